/* SPDX-License-Identifier: Apache-2.0
 *
 * test_url.c: address forms users type, and lists of them.
 */

/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/err.h"
#include "net/url.h"
#include "tests.h"

#include <string.h>

static void
check(const char *in, const char *host, int port)
{
    struct cr_hostport hp;
    int rc = cr_hostport_parse(in, 5050, &hp);
    if (rc != 0)
        fail_msg("'%s' did not parse", in);
    assert_string_equal(hp.host, host);
    assert_int_equal(hp.port, port);
}

static void
test_good(void **state)
{
    check("localhost:5050", "localhost", 5050);
    check("master.example.com", "master.example.com", 5050);
    check("127.0.0.1:1", "127.0.0.1", 1);
    check("http://10.0.0.1:8080/api/v1", "10.0.0.1", 8080);
    check("https://host/path?x=1", "host", 5050);
    check("mesos://zk-free:5051", "zk-free", 5051);
    check("HTTP://Upper:65535", "Upper", 65535);
    check("[::1]:5050", "::1", 5050);
    check("[fe80::1%eth0]", "fe80::1%eth0", 5050);
    check("http://[::1]:7077/", "::1", 7077);
    check("::1", "::1", 5050);
    check("  host:1  ", "host", 1);
}

static void
test_bad(void **state)
{
    static const char *const bad[] = {
        "",         ":5050",    "host:",      "host:0",  "host:65536",
        "host:abc", "host:50a", "[::1",       "[::1]x",  "[]:1",
        "ho st:1",  "host:1 x", "http://",    "h\r\n:1", "host:123456",
        "a,b",      "[::1]:",   "mesos://:5",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cr_hostport hp;
        if (cr_hostport_parse(bad[i], 5050, &hp) != CR_EINVAL_INPUT)
            fail_msg("'%s' parsed", bad[i]);
    }
    struct cr_hostport hp;
    assert_int_equal(cr_hostport_parse(NULL, 5050, &hp), CR_EINVAL_INPUT);
    char longhost[CR_HOST_MAX + 10];
    memset(longhost, 'a', sizeof(longhost) - 1);
    longhost[sizeof(longhost) - 1] = '\0';
    assert_int_equal(cr_hostport_parse(longhost, 5050, &hp), CR_EINVAL_INPUT);
}

static void
test_list(void **state)
{
    struct cr_hostport hp[3];
    size_t n = 0;
    assert_int_equal(
        cr_hostport_parse_list("h1:5050,h2,[::1]:7", 5050, hp, 3, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(hp[1].host, "h2");
    assert_int_equal(hp[1].port, 5050);
    assert_string_equal(hp[2].host, "::1");
    assert_int_equal(hp[2].port, 7);
    assert_int_equal(cr_hostport_parse_list("a,b,c,d", 1, hp, 3, &n),
                     CR_EINVAL_INPUT);
    assert_int_equal(cr_hostport_parse_list("", 1, hp, 3, &n), CR_EINVAL_INPUT);
    assert_int_equal(cr_hostport_parse_list("a:1,", 1, hp, 3, &n),
                     CR_EINVAL_INPUT);
    assert_int_equal(cr_hostport_parse_list("a:1,,b", 1, hp, 3, &n),
                     CR_EINVAL_INPUT);
}

int
run_url_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_bad),
        cmocka_unit_test(test_list),
    };
    return cmocka_run_group_tests_name("url", tests, NULL, NULL);
}
