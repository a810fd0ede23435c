/* SPDX-License-Identifier: Apache-2.0
 *
 * test_http.c: header lookup, reason phrases, query parameters (text and
 * integers) and their encoding.
 */

/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/buf.h"
#include "base/err.h"
#include "net/http.h"
#include "tests.h"

#include <string.h>

static void
test_headers_get(void **state)
{
    struct cr_http_header v[2] = {{"Content-Type", "application/json"},
                                  {"Mesos-Stream-Id", "abc"}};
    struct cr_http_headers h = {v, 2};
    assert_string_equal(cr_http_headers_get(&h, "content-type"),
                        "application/json");
    assert_string_equal(cr_http_headers_get(&h, "MESOS-STREAM-ID"), "abc");
    assert_null(cr_http_headers_get(&h, "Location"));
    assert_null(cr_http_headers_get(NULL, "Location"));
}

static void
test_status_text(void **state)
{
    assert_string_equal(cr_http_status_text(200), "OK");
    assert_string_equal(cr_http_status_text(307), "Temporary Redirect");
    assert_string_equal(cr_http_status_text(413), "Payload Too Large");
    assert_string_equal(cr_http_status_text(431),
                        "Request Header Fields Too Large");
    assert_string_equal(cr_http_status_text(599), "Server Error");
    assert_string_equal(cr_http_status_text(299), "Success");
}

static void
test_query_param(void **state)
{
    char out[32];
    const char *q =
        "jsonp=cb&path=%2Fvar%2Flog+x&empty=&flag&a%62c=1&bad=%zz%4";
    assert_int_equal(cr_http_query_param(q, "jsonp", out, sizeof(out)), 0);
    assert_string_equal(out, "cb");
    assert_int_equal(cr_http_query_param(q, "path", out, sizeof(out)), 0);
    assert_string_equal(out, "/var/log x");
    assert_int_equal(cr_http_query_param(q, "empty", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(cr_http_query_param(q, "flag", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(cr_http_query_param(q, "abc", out, sizeof(out)), 0);
    assert_string_equal(out, "1");
    assert_int_equal(cr_http_query_param(q, "bad", out, sizeof(out)), 0);
    assert_string_equal(out, "%zz%4"); /* malformed escapes stay literal */
    assert_int_equal(cr_http_query_param(q, "missing", out, sizeof(out)),
                     CR_ENOTFOUND);
    assert_int_equal(cr_http_query_param(q, "pat", out, sizeof(out)),
                     CR_ENOTFOUND);
    assert_int_equal(cr_http_query_param(NULL, "a", out, sizeof(out)),
                     CR_ENOTFOUND);
    assert_int_equal(cr_http_query_param("", "a", out, sizeof(out)),
                     CR_ENOTFOUND);
    char small[4];
    assert_int_equal(cr_http_query_param(q, "jsonp", small, sizeof(small)), 0);
    assert_int_equal(cr_http_query_param(q, "path", small, sizeof(small)),
                     CR_ETOOBIG);
    assert_int_equal(cr_http_query_param("a=%00b", "a", out, sizeof(out)), 0);
    assert_int_equal(out[0], '\0'); /* decoded NUL ends the C string */
}

static void
test_query_int(void **state)
{
    long long v = 7;
    const char *q = "a=12&b=-1&c=-2&d=+3&e=%204&f=9x&g=&h=99999999999999999999";
    assert_int_equal(cr_http_query_int(q, "a", -1, &v), 0);
    assert_int_equal(v, 12);
    assert_int_equal(cr_http_query_int(q, "b", -1, &v), 0);
    assert_int_equal(v, -1);
    v = 7;
    assert_int_equal(cr_http_query_int(q, "missing", -1, &v), 0);
    assert_int_equal(v, 7); /* absent: untouched */
    const char *bad[] = {"c", "d", "e", "f", "g", "h"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(cr_http_query_int(q, bad[i], -1, &v), CR_EINVAL_INPUT);
        assert_int_equal(v, 7);
    }
    assert_int_equal(cr_http_query_int(q, "c", -5, &v), 0);
    assert_int_equal(v, -2);
}

static void
test_query_encode(void **state)
{
    struct cr_buf b;
    cr_buf_init(&b, 1024);
    assert_int_equal(
        cr_http_query_encode(&b, "/var/lib/a b&c=d?%~_.-Z9\xc3\xa9"), 0);
    assert_string_equal(b.data, "/var/lib/a%20b%26c%3Dd%3F%25~_.-Z9%C3%A9");
    cr_buf_fini(&b);
    cr_buf_init(&b, 4); /* bounded: an error, not an overflow */
    assert_int_equal(cr_http_query_encode(&b, "a b c"), CR_ETOOBIG);
    cr_buf_fini(&b);
}

int
run_http_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_headers_get),  cmocka_unit_test(test_status_text),
        cmocka_unit_test(test_query_param),  cmocka_unit_test(test_query_int),
        cmocka_unit_test(test_query_encode),
    };
    return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
