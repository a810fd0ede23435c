/* SPDX-License-Identifier: Apache-2.0
 *
 * test_attributes.c: --attributes parsing, JSON round trip, v0 encoding.
 */
/* cmocka needs these first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "model/attributes.h"

#include <stdlib.h>
#include <string.h>

static void
assert_json(json_t *j, const char *want)
{
    char *got =
        json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(10));
    assert_string_equal(got, want);
    free(got);
    json_decref(j);
}

static void
test_parse_types(void **state)
{
    (void)state;
    struct cr_attributes a;
    char err[128];
    cr_attributes_init(&a);
    assert_int_equal(cr_attributes_parse(&a,
                                         "rack:2; zone : a ;os:linux:5;"
                                         "p:[5-6,1-2];w:1.5\n",
                                         err, sizeof(err)),
                     0);
    assert_int_equal(a.n, 5);
    const struct cr_attribute *rack = cr_attributes_get(&a, "rack");
    assert_int_equal(rack->type, CR_ATTR_SCALAR);
    assert_true(rack->scalar == 2.0);
    const struct cr_attribute *zone = cr_attributes_get(&a, "zone");
    assert_int_equal(zone->type, CR_ATTR_TEXT);
    assert_string_equal(zone->text, "a");
    assert_string_equal(cr_attributes_get(&a, "os")->text, "linux:5");
    assert_int_equal(cr_attributes_get(&a, "p")->type, CR_ATTR_RANGES);
    assert_null(cr_attributes_get(&a, "nope"));

    assert_json(cr_attributes_to_v0_json(&a),
                "{\"os\":\"linux:5\",\"p\":\"[1-2, 5-6]\",\"rack\":2.0,"
                "\"w\":1.5,\"zone\":\"a\"}");
    json_t *j = cr_attributes_to_json(&a);
    assert_json(json_incref(j),
                "[{\"name\":\"rack\",\"scalar\":{\"value\":2.0},\"type\":"
                "\"SCALAR\"},{\"name\":\"zone\",\"text\":{\"value\":\"a\"},"
                "\"type\":\"TEXT\"},{\"name\":\"os\",\"text\":{\"value\":"
                "\"linux:5\"},\"type\":\"TEXT\"},{\"name\":\"p\",\"ranges\":"
                "{\"range\":[{\"begin\":1,\"end\":2},{\"begin\":5,\"end\":6}]},"
                "\"type\":\"RANGES\"},{\"name\":\"w\",\"scalar\":{\"value\":"
                "1.5},\"type\":\"SCALAR\"}]");
    struct cr_attributes back;
    cr_attributes_init(&back);
    assert_int_equal(cr_attributes_parse_json(&back, j, err, sizeof(err)), 0);
    json_decref(j);
    assert_int_equal(back.n, 5);
    assert_string_equal(cr_attributes_get(&back, "zone")->text, "a");
    assert_int_equal(cr_attributes_get(&back, "p")->n, 2);
    cr_attributes_fini(&back);
    cr_attributes_fini(&a);

    assert_int_equal(cr_attributes_parse(&a, "", err, sizeof(err)), 0);
    assert_int_equal(a.n, 0);
    assert_int_equal(cr_attributes_parse(&a, NULL, err, sizeof(err)), 0);
    cr_attributes_fini(&a);
}

static void
expect_error(const char *text, const char *needle)
{
    struct cr_attributes a;
    char err[128] = "";
    cr_attributes_init(&a);
    assert_int_not_equal(cr_attributes_parse(&a, text, err, sizeof(err)), 0);
    assert_int_equal(a.n, 0);
    if (strstr(err, needle) == NULL)
        fail_msg("'%s': error '%s' lacks '%s'", text, err, needle);
    cr_attributes_fini(&a);
}

static void
test_parse_errors(void **state)
{
    (void)state;
    expect_error("rack", "expected name:value");
    expect_error("rack:", "no value");
    expect_error(":2", "bad attribute name");
    expect_error("s:{a,b}", "sets are not supported");
    expect_error("p:[2-1]", "begin > end");
    expect_error("t:a,b", "bad value");
}

static void
test_json_errors(void **state)
{
    (void)state;
    const char *bad[] = {
        "{}",
        "[1]",
        "[{\"name\":\"x\"}]",
        "[{\"name\":\"x\",\"type\":\"SET\"}]",
        "[{\"name\":\"x\",\"type\":\"SCALAR\"}]",
        "[{\"name\":\"x\",\"type\":\"TEXT\",\"text\":{}}]",
        ("[{\"name\":\"x\",\"type\":\"RANGES\",\"ranges\":{\"range\":"
         "[{\"begin\":3,\"end\":1}]}}]"),
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cr_attributes a;
        char err[128];
        cr_attributes_init(&a);
        json_t *j = json_loads(bad[i], 0, NULL);
        assert_non_null(j);
        assert_int_not_equal(cr_attributes_parse_json(&a, j, err, sizeof(err)),
                             0);
        assert_int_equal(a.n, 0);
        json_decref(j);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_types),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_json_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
