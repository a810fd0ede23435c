/* SPDX-License-Identifier: Apache-2.0
 *
 * test_resources.c: resource text -> v1 JSON, and matching offers
 * (src/cli/resources.c).
 */
/* cmocka.h needs the headers before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include "base/json.h"
#include "cli/resources.h"

static void
test_parse(void **state)
{
    struct cli_resources r;
    char err[256];
    assert_int_equal(
        cli_resources_parse("cpus:0.1;mem:32; disk:64 ;", &r, err, sizeof(err)),
        0);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.v[0].name, "cpus");
    assert_true(r.v[0].value == 0.1);
    assert_string_equal(r.v[1].name, "mem");
    assert_true(r.v[1].value == 32);
    assert_string_equal(r.v[2].name, "disk");
    assert_true(r.v[2].value == 64);

    /* Three decimals, as Mesos keeps them; zero amounts are dropped. */
    assert_int_equal(
        cli_resources_parse("cpus:0.12345;gpus:0", &r, err, sizeof(err)), 0);
    assert_int_equal(r.n, 1);
    assert_true(r.v[0].value == 0.123);
}

static void
test_parse_errors(void **state)
{
    struct cli_resources r;
    char err[256];
    const char *bad[] = {
        "",           "cpus",          "cpus:",
        "cpus:x",     "cpus:-1",       ":1",
        "cp us:1",    "cpus:1;cpus:2", "ports:[1-2]",
        "cpus:1e400", "cpus:nan",      "a:1;b:1;c:1;d:1;e:1;f:1;g:1;h:1;i:1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(cli_resources_parse(bad[i], &r, err, sizeof(err)), -1);
        assert_true(err[0] != '\0');
        assert_null(strchr(err, '\n'));
    }
    assert_int_equal(
        cli_resources_parse("ports:[31000-32000]", &r, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "scalar"));
}

static void
test_to_json(void **state)
{
    struct cli_resources r;
    char err[256];
    assert_int_equal(
        cli_resources_parse("cpus:0.5;mem:64", &r, err, sizeof(err)), 0);
    json_t *a = cli_resources_to_json(&r, "dev");
    char *s = cr_json_dump(a);
    assert_string_equal(
        s, "[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.5},"
           "\"allocation_info\":{\"role\":\"dev\"}},{\"name\":\"mem\","
           "\"type\":\"SCALAR\",\"scalar\":{\"value\":64.0},"
           "\"allocation_info\":{\"role\":\"dev\"}}]");
    free(s);
    json_decref(a);
    a = cli_resources_to_json(&r, NULL);
    assert_null(json_object_get(json_array_get(a, 0), "allocation_info"));
    json_decref(a);
}

static json_t *
offer(void)
{
    const char *text =
        "{\"id\":{\"value\":\"O1\"},\"resources\":["
        "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1.0},"
        " \"allocation_info\":{\"role\":\"*\"}},"
        "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":4},"
        " \"reservations\":[{\"type\":\"STATIC\",\"role\":\"dev\"}]},"
        "{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":2},"
        " \"revocable\":{}},"
        "{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":100},"
        " \"role\":\"*\"},"
        "{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":28}},"
        "{\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":50},"
        " \"disk\":{\"persistence\":{\"id\":\"v\"}}},"
        "{\"name\":\"ports\",\"type\":\"RANGES\",\"ranges\":{\"range\":"
        " [{\"begin\":1,\"end\":2}]}}]}";
    return json_loads(text, 0, NULL);
}

static void
test_offer_fits(void **state)
{
    json_t *o = offer();
    struct cli_resources r;
    char err[256];
    /* Only unreserved, non-revocable, plain scalars count. */
    assert_true(cli_offer_scalar(o, "cpus") == 1.0);
    assert_true(cli_offer_scalar(o, "mem") == 128);
    assert_true(cli_offer_scalar(o, "disk") == 0);
    assert_true(cli_offer_scalar(o, "gpus") == 0);

    assert_int_equal(
        cli_resources_parse("cpus:0.1;mem:32", &r, err, sizeof(err)), 0);
    assert_int_equal(cli_offer_fits(o, &r, 100), 4); /* mem-bound */
    assert_int_equal(cli_offer_fits(o, &r, 3), 3);
    assert_int_equal(cli_resources_parse("cpus:0.1", &r, err, sizeof(err)), 0);
    assert_int_equal(cli_offer_fits(o, &r, 100), 10); /* no 0.1 drift */
    assert_int_equal(
        cli_resources_parse("cpus:0.1;disk:1", &r, err, sizeof(err)), 0);
    assert_int_equal(cli_offer_fits(o, &r, 100), 0);
    json_decref(o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_to_json),
        cmocka_unit_test(test_offer_fits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
