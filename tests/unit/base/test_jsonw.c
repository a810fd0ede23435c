/* SPDX-License-Identifier: Apache-2.0
 *
 * test_jsonw.c: the streaming writer prints byte for byte what
 * cr_json_dump() prints for the same tree (reals, escapes, nesting), its
 * fast real formatter equals the snprintf reference on millions of values,
 * and its errors are sticky and bounded.
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
#include "base/json.h"
#include "base/jsonw.h"
#include "base/mem.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint64_t
next_u64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void
check_real(double v)
{
    char fast[CR_JSONW_REAL_MAX], slow[CR_JSONW_REAL_MAX];
    size_t nf = cr_jsonw_format_real(v, fast);
    size_t ns = cr_jsonw_format_real_slow(v, slow);
    if (nf != ns || strcmp(fast, slow) != 0)
        fail_msg("%.17g: fast '%s' slow '%s'", v, fast, slow);
    /* And the reference is what jansson prints. */
    if (isfinite(v) && (next_u64() & 63) == 0) {
        json_t *r = json_real(v);
        char *dumped = cr_json_dump(r);
        assert_string_equal(dumped, slow);
        free(dumped);
        json_decref(r);
    }
}

static void
test_real_edges(void **state)
{
    static const double edges[] = {
        0.0,
        -0.0,
        0.1,
        0.2,
        0.3,
        1.0 / 3,
        2.0 / 3,
        9.999,
        99.99,
        0.001,
        1e-4,
        9.99e-5,
        1e-5,
        1e15,
        1e15 - 1,
        1e16,
        1e17,
        1e21,
        1e22,
        1e23,
        1e300,
        5e-324,
        1.7976931348623157e308,
        123456789012345.6,
        999999999999999.9,
        0.00010000000000000001,
        1764000000.123456,
        1764000000.5,
        32.0,
        1024.0,
        0.5,
        2.5,
        -3.75,
        4503599627370496.0,
        9007199254740993.0,
        1e-7,
    };
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        check_real(edges[i]);
        check_real(-edges[i]);
        check_real(nextafter(edges[i], 0));
        check_real(nextafter(edges[i], INFINITY));
    }
    for (int k = -30; k <= 30; k++) {
        double p = pow(10, k);
        check_real(p);
        check_real(nextafter(p, 0));
        check_real(nextafter(p, INFINITY));
    }
    char out[CR_JSONW_REAL_MAX];
    cr_jsonw_format_real(NAN, out);
    assert_string_equal(out, "null");
    cr_jsonw_format_real(-INFINITY, out);
    assert_string_equal(out, "null");
}

static void
test_real_milli_and_timestamps(void **state)
{
    /* Resource quantities (milli units) and wall-clock timestamps: the
     * values /master/state is made of. */
    for (long k = 0; k < 2000000; k++)
        check_real((double)k / 1000);
    for (int i = 0; i < 1000000; i++)
        check_real(1.7e9 + (double)(next_u64() % 400000000000ull) / 1e6);
}

static void
test_real_random_bits(void **state)
{
    for (int i = 0; i < 2000000; i++) {
        uint64_t bits = next_u64();
        double v;
        memcpy(&v, &bits, sizeof(v));
        if (isfinite(v))
            check_real(v);
    }
    /* Uniform in the fast range, where every branch is exercised. */
    for (int i = 0; i < 2000000; i++) {
        double e = -4.5 + (double)(next_u64() % 20000) / 1000;
        check_real(pow(10, e));
    }
}

/* A random tree and the same document written with the writer. */
static json_t *
random_tree(int depth, struct cr_jsonw *w)
{
    static const char *const strings[] = {
        "",
        "plain",
        "quote\"back\\slash",
        "ctl\x01\x1f\x7f",
        "tab\there",
        "nl\ncr\rff\fbs\b",
        "caf\xc3\xa9",
        "\xe2\x82\xac 5",
        "\xf0\x9f\x90\x8e horse",
        "slash/ok",
        "{\"json\":1}",
    };
    int kind = depth <= 0 ? (int)(next_u64() % 6) : (int)(next_u64() % 8);
    switch (kind) {
    case 0: {
        const char *s = strings[next_u64() % 11];
        cr_jsonw_string(w, s);
        return json_string(s);
    }
    case 1: {
        double v = (double)(int64_t)(next_u64() % 2000001 - 1000000) / 1000;
        cr_jsonw_real(w, v);
        return json_real(v);
    }
    case 2: {
        long long v =
            (long long)(next_u64() >> 1) * ((next_u64() & 1) ? -1 : 1);
        cr_jsonw_integer(w, v);
        return json_integer(v);
    }
    case 3:
        cr_jsonw_bool(w, true);
        return json_true();
    case 4:
        cr_jsonw_bool(w, false);
        return json_false();
    case 5:
        cr_jsonw_null(w);
        return json_null();
    case 6: {
        json_t *o = json_object();
        cr_jsonw_object(w);
        int n = (int)(next_u64() % 5);
        for (int i = 0; i < n; i++) {
            char key[32];
            snprintf(key, sizeof(key), "k%d\xc3\xa9%d", i, depth);
            cr_jsonw_key(w, key);
            json_object_set_new(o, key, random_tree(depth - 1, w));
        }
        cr_jsonw_object_end(w);
        return o;
    }
    default: {
        json_t *a = json_array();
        cr_jsonw_array(w);
        int n = (int)(next_u64() % 5);
        for (int i = 0; i < n; i++)
            json_array_append_new(a, random_tree(depth - 1, w));
        cr_jsonw_array_end(w);
        return a;
    }
    }
}

static void
test_writer_equals_jansson(void **state)
{
    for (int round = 0; round < 2000; round++) {
        struct cr_buf b;
        cr_buf_init(&b, 1u << 24);
        struct cr_jsonw w;
        cr_jsonw_init(&w, &b);
        json_t *tree = random_tree(4, &w);
        assert_int_equal(cr_jsonw_error(&w), 0);
        char *want = cr_json_dump(tree);
        assert_string_equal(b.data ? b.data : "", want);
        free(want);
        json_decref(tree);
        cr_buf_fini(&b);
    }
}

static void
test_embedded_values_and_raw(void **state)
{
    struct cr_buf b;
    cr_buf_init(&b, 1024);
    struct cr_jsonw w;
    cr_jsonw_init(&w, &b);
    json_t *v = json_pack("{s:[i, f]}", "x", 1, 2.5);
    cr_jsonw_object(&w);
    cr_jsonw_kvalue(&w, "tree", v);
    cr_jsonw_key(&w, "raw");
    cr_jsonw_raw(&w, "[1,2]", 5);
    cr_jsonw_kvalue(&w, "none", NULL);
    cr_jsonw_kstring(&w, "nul", NULL);
    cr_jsonw_kinteger(&w, "min", -9223372036854775807LL - 1);
    cr_jsonw_kreal(&w, "r", 1764000000.25);
    cr_jsonw_kbool(&w, "b", false);
    cr_jsonw_key(&w, "bad");
    cr_jsonw_string(&w, "a\xff"
                        "b");
    cr_jsonw_object_end(&w);
    assert_int_equal(cr_jsonw_error(&w), 0);
    assert_string_equal(b.data, "{\"tree\":{\"x\":[1,2.5]},\"raw\":[1,2],"
                                "\"none\":null,\"nul\":null,"
                                "\"min\":-9223372036854775808,"
                                "\"r\":1764000000.25,\"b\":false,"
                                "\"bad\":\"a\\uFFFDb\"}");
    json_decref(v);
    cr_buf_fini(&b);
}

/* Values nested deeper than the writer walks itself are left to jansson:
 * same bytes. */
static void
test_deep_values(void **state)
{
    json_t *v = json_pack("{s:s}", "leaf", "caf\xc3\xa9");
    for (int i = 0; i < 200; i++)
        v = i % 2 ? json_pack("[o, f]", v, 0.1 * i)
                  : json_pack("{s:o, s:i}", "k", v, "n", i);
    struct cr_buf b;
    cr_buf_init(&b, 1u << 20);
    struct cr_jsonw w;
    cr_jsonw_init(&w, &b);
    cr_jsonw_array(&w);
    cr_jsonw_value(&w, v);
    cr_jsonw_array_end(&w);
    assert_int_equal(cr_jsonw_error(&w), 0);
    char *inner = cr_json_dump(v);
    char *want = cr_xasprintf("[%s]", inner);
    assert_string_equal(b.data, want);
    free(inner);
    free(want);
    json_decref(v);
    cr_buf_fini(&b);
}

static void
test_errors_are_sticky(void **state)
{
    struct cr_buf b;
    cr_buf_init(&b, 8);
    struct cr_jsonw w;
    cr_jsonw_init(&w, &b);
    cr_jsonw_array(&w);
    cr_jsonw_string(&w, "too long for eight");
    assert_int_equal(cr_jsonw_error(&w), CR_ETOOBIG);
    size_t len = b.len;
    cr_jsonw_integer(&w, 1);
    cr_jsonw_array_end(&w);
    assert_int_equal(b.len, len);
    cr_buf_fini(&b);

    cr_buf_init(&b, 1u << 20);
    cr_jsonw_init(&w, &b);
    for (int i = 0; i < CR_JSONW_MAX_DEPTH; i++)
        cr_jsonw_array(&w);
    assert_int_equal(cr_jsonw_error(&w), 0);
    cr_jsonw_array(&w);
    assert_int_equal(cr_jsonw_error(&w), CR_EINVAL_INPUT);
    cr_buf_fini(&b);

    cr_buf_init(&b, 1024);
    cr_jsonw_init(&w, &b);
    cr_jsonw_array_end(&w); /* nothing open */
    assert_int_equal(cr_jsonw_error(&w), CR_EINVAL_INPUT);
    cr_buf_fini(&b);

    cr_buf_init(&b, 1024);
    cr_jsonw_init(&w, &b);
    cr_jsonw_object(&w);
    cr_jsonw_key(&w, "k");
    cr_jsonw_object_end(&w); /* a key without its value */
    assert_int_equal(cr_jsonw_error(&w), CR_EINVAL_INPUT);
    cr_buf_fini(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_real_edges),
        cmocka_unit_test(test_real_milli_and_timestamps),
        cmocka_unit_test(test_real_random_bits),
        cmocka_unit_test(test_writer_equals_jansson),
        cmocka_unit_test(test_embedded_values_and_raw),
        cmocka_unit_test(test_deep_values),
        cmocka_unit_test(test_errors_are_sticky),
    };
    return cmocka_run_group_tests_name("jsonw", tests, NULL, NULL);
}
