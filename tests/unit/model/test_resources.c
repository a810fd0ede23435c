/* SPDX-License-Identifier: Apache-2.0
 *
 * test_resources.c: parsing (text, JSON, flag), encoding (v1, v0, text),
 * arithmetic (scalars, ranges, sets, roles), predicates and detection.
 */
/* cmocka needs these first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "base/json.h"
#include "model/resources.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct cr_resources
parse(const char *text)
{
    struct cr_resources r;
    char err[256] = "";
    cr_resources_init(&r);
    int rc = cr_resources_parse_text(&r, text, NULL, err, sizeof(err));
    if (rc != 0)
        fail_msg("parse '%s': %s", text, err);
    return r;
}

static void
assert_text(const struct cr_resources *r, const char *want)
{
    char *got = cr_resources_to_text(r);
    assert_string_equal(got, want);
    free(got);
}

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
test_parse_text_basic(void **state)
{
    (void)state;
    struct cr_resources r =
        parse(" cpus : 2 ; mem:1024;disk:4096; ports:[31000-32000, 1-5] ;"
              "bugs(debug_role):{c, a,b}");
    assert_true(r.fixed[CR_RES_CPUS] == 2000);
    assert_true(r.fixed[CR_RES_MEM] == 1024000);
    assert_true(cr_resources_scalar(&r, "disk") == 4096.0);
    const struct cr_res_entry *p = cr_resources_find(&r, "ports", "*");
    assert_non_null(p);
    assert_int_equal(p->n, 2);
    assert_true(p->u.ranges[0].begin == 1 && p->u.ranges[1].end == 32000);
    const struct cr_res_entry *b = cr_resources_find(&r, "bugs", "debug_role");
    assert_non_null(b);
    assert_int_equal(b->resv, CR_RES_STATIC);
    assert_string_equal(b->u.items[0], "a");
    assert_string_equal(b->u.items[2], "c");
    assert_null(cr_resources_find(&r, "bugs", "*"));
    assert_text(&r, "cpus:2;mem:1024;disk:4096;ports:[1-5,31000-32000];"
                    "bugs(debug_role):{a,b,c}");
    cr_resources_fini(&r);
}

static void
test_parse_text_roles_and_repeats(void **state)
{
    (void)state;
    struct cr_resources r;
    char err[128];
    cr_resources_init(&r);
    assert_int_equal(cr_resources_parse_text(&r,
                                             "cpus:1;cpus(*):0.5;cpus(web):"
                                             "2;mem:10;cpus:0.0004",
                                             "ops", err, sizeof(err)),
                     0);
    /* Unrole'd entries take the default role; "(*)" is unreserved. */
    assert_true(cr_resources_scalar_role(&r, "cpus", "ops") == 1.0);
    assert_true(cr_resources_scalar_role(&r, "cpus", "*") == 0.5);
    assert_true(cr_resources_scalar_role(&r, "cpus", "web") == 2.0);
    assert_true(cr_resources_scalar(&r, "cpus") == 3.5);
    assert_true(cr_resources_scalar(&r, "mem") == 10.0);
    assert_true(cr_resources_has_reserved(&r));
    int64_t q[CR_RES_NFIXED];
    cr_resources_quantities(&r, q);
    assert_true(q[CR_RES_CPUS] == 3500 && q[CR_RES_MEM] == 10000);
    cr_resources_fini(&r);
    /* Zero values vanish. */
    r = parse("cpus:0;ports:[]");
    assert_true(cr_resources_is_empty(&r));
    cr_resources_fini(&r);
    r = parse("");
    assert_true(cr_resources_is_empty(&r));
    cr_resources_fini(&r);
}

static void
expect_text_error(const char *text, const char *needle)
{
    struct cr_resources r;
    char err[256] = "";
    cr_resources_init(&r);
    assert_int_not_equal(
        cr_resources_parse_text(&r, text, NULL, err, sizeof(err)), 0);
    assert_true(cr_resources_is_empty(&r));
    if (strstr(err, needle) == NULL)
        fail_msg("'%s': error '%s' lacks '%s'", text, err, needle);
    assert_null(strchr(err, '\n'));
    cr_resources_fini(&r);
}

static void
test_parse_text_errors(void **state)
{
    (void)state;
    expect_text_error("cpus", "expected name:value");
    expect_text_error("cpus:1:2", "expected name:value");
    expect_text_error("cpus:abc", "bad value 'abc'");
    expect_text_error("cpus:-1", "bad value '-1'");
    expect_text_error("cpus:nan", "bad value");
    expect_text_error("cpus:inf", "bad value");
    expect_text_error("mem:1e300", "bad value");
    expect_text_error("ports:[5-1]", "begin > end");
    expect_text_error("ports:[a-b]", "bad range");
    expect_text_error("ports:[1-2", "bad ranges");
    expect_text_error("ports:[-1-2]", "bad range");
    expect_text_error("ports:[1-99999999999999999999]", "bad range");
    expect_text_error("s:{a,b", "bad set");
    expect_text_error("cpus(bad role):1", "bad role");
    expect_text_error("cpus(/x):1", "bad role");
    expect_text_error("cpus(a//b):1", "bad role");
    expect_text_error("cpus(-a):1", "bad role");
    expect_text_error("cpus(web:1", "bad resource key");
    expect_text_error(":1", "bad resource name");
    expect_text_error("gpus:1.5", "whole number");
    expect_text_error("cpus:1;mem:x", "bad value 'x' for 'mem'");
}

static struct cr_resources
parse_json(const char *text, int want_rc, char *err, size_t errlen)
{
    struct cr_resources r;
    cr_resources_init(&r);
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    assert_non_null(j);
    int rc = cr_resources_parse_json(&r, j, NULL, err, errlen);
    json_decref(j);
    if ((rc == 0) != (want_rc == 0))
        fail_msg("parse_json '%s' rc %d: %s", text, rc, err);
    return r;
}

static void
test_parse_json_good(void **state)
{
    (void)state;
    char err[256];
    struct cr_resources r = parse_json(
        "[{\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1.5}},"
        " {\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":{\"value\":\"64\"},"
        "  \"role\":\"*\"},"
        " {\"name\":\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":1},"
        "  \"role\":\"dev\"},"
        " {\"name\":\"disk\",\"type\":\"SCALAR\",\"scalar\":{\"value\":5},"
        "  \"reservations\":[{\"type\":\"DYNAMIC\",\"role\":\"dev\","
        "   \"principal\":\"p1\"}]},"
        " {\"name\":\"ports\",\"type\":\"RANGES\",\"ranges\":{\"range\":"
        "  [{\"begin\":10,\"end\":20},{\"begin\":21,\"end\":30}]}},"
        " {\"name\":\"z\",\"type\":\"SET\",\"set\":{\"item\":[\"b\",\"a\"]},"
        "  \"allocation_info\":{\"role\":\"dev\"}}]",
        0, err, sizeof(err));
    assert_true(cr_resources_scalar_role(&r, "cpus", "*") == 1.5);
    assert_true(cr_resources_scalar_role(&r, "cpus", "dev") == 1.0);
    assert_true(cr_resources_scalar(&r, "mem") == 64.0);
    const struct cr_res_entry *d = cr_resources_find(&r, "disk", "dev");
    assert_non_null(d);
    assert_int_equal(d->resv, CR_RES_DYNAMIC);
    assert_string_equal(d->principal, "p1");
    const struct cr_res_entry *p = cr_resources_find(&r, "ports", NULL);
    assert_int_equal(p->n, 1); /* adjacent ranges merged */
    assert_true(p->u.ranges[0].begin == 10 && p->u.ranges[0].end == 30);

    /* v1 round trip. */
    json_t *j = cr_resources_to_json(&r, NULL);
    struct cr_resources back;
    cr_resources_init(&back);
    assert_int_equal(cr_resources_parse_json(&back, j, NULL, err, sizeof(err)),
                     0);
    json_decref(j);
    assert_true(cr_resources_equal(&r, &back));
    cr_resources_fini(&back);

    /* Legacy pre-refinement dynamic reservation. */
    cr_resources_fini(&r);
    r = parse_json("[{\"name\":\"mem\",\"type\":\"SCALAR\",\"scalar\":"
                   "{\"value\":8},\"role\":\"r1\",\"reservation\":"
                   "{\"principal\":\"me\"}}]",
                   0, err, sizeof(err));
    d = cr_resources_find(&r, "mem", "r1");
    assert_non_null(d);
    assert_int_equal(d->resv, CR_RES_DYNAMIC);
    assert_string_equal(d->principal, "me");
    cr_resources_fini(&r);
}

static void
expect_json_error(const char *text, const char *needle)
{
    char err[256] = "";
    struct cr_resources r = parse_json(text, -1, err, sizeof(err));
    assert_true(cr_resources_is_empty(&r));
    if (strstr(err, needle) == NULL)
        fail_msg("'%s': error '%s' lacks '%s'", text, err, needle);
    cr_resources_fini(&r);
}

static void
test_parse_json_bad(void **state)
{
    (void)state;
    expect_json_error("{}", "expected a JSON array");
    expect_json_error("[1]", "not an object");
    expect_json_error("[{\"type\":\"SCALAR\"}]", "name");
    expect_json_error("[{\"name\":\"cpus\"}]", "no type");
    expect_json_error("[{\"name\":\"cpus\",\"type\":\"TEXT\"}]", "bad type");
    expect_json_error("[{\"name\":\"cpus\",\"type\":\"FOO\"}]", "bad type");
    expect_json_error("[{\"name\":\"cpus\",\"type\":\"SCALAR\"}]",
                      "scalar.value");
    expect_json_error("[{\"name\":\"cpus\",\"type\":\"SCALAR\","
                      "\"scalar\":{\"value\":-1}}]",
                      "bad scalar");
    expect_json_error("[{\"name\":\"cpus\",\"type\":\"SCALAR\","
                      "\"scalar\":{\"value\":\"NaN\"}}]",
                      "bad scalar");
    expect_json_error("[{\"name\":\"cpus\",\"type\":\"SCALAR\","
                      "\"scalar\":{\"value\":\"Infinity\"}}]",
                      "bad scalar");
    expect_json_error("[{\"name\":\"p\",\"type\":\"RANGES\",\"ranges\":"
                      "{\"range\":[{\"begin\":5,\"end\":1}]}}]",
                      "begin > end");
    expect_json_error("[{\"name\":\"p\",\"type\":\"RANGES\",\"ranges\":"
                      "{\"range\":[{\"begin\":-5,\"end\":1}]}}]",
                      "bad range");
    expect_json_error("[{\"name\":\"p\",\"type\":\"RANGES\"}]", "no ranges");
    expect_json_error("[{\"name\":\"s\",\"type\":\"SET\",\"set\":"
                      "{\"item\":[\"a\",\"a\"]}}]",
                      "duplicate");
    expect_json_error("[{\"name\":\"s\",\"type\":\"SET\",\"set\":"
                      "{\"item\":[1]}}]",
                      "bad set item");
    expect_json_error("[{\"name\":\"cpus\",\"type\":\"SCALAR\","
                      "\"scalar\":{\"value\":1},\"role\":\"a b\"}]",
                      "bad role");
    expect_json_error("[{\"name\":\"cpus\",\"type\":\"SCALAR\","
                      "\"scalar\":{\"value\":1},\"reservations\":[{}]}]",
                      "no role");
    expect_json_error("[{\"name\":\"gpus\",\"type\":\"SCALAR\","
                      "\"scalar\":{\"value\":0.5}}]",
                      "whole number");
}

static void
test_encode_v1(void **state)
{
    (void)state;
    struct cr_resources r = parse("cpus:0.5;ports:[1-2];s(web):{x}");
    assert_json(
        cr_resources_to_json(&r, "web"),
        "[{\"allocation_info\":{\"role\":\"web\"},\"name\":\"cpus\","
        "\"role\":\"*\",\"scalar\":{\"value\":0.5},\"type\":\"SCALAR\"},"
        "{\"allocation_info\":{\"role\":\"web\"},\"name\":\"ports\","
        "\"ranges\":{\"range\":[{\"begin\":1,\"end\":2}]},\"role\":\"*\","
        "\"type\":\"RANGES\"},"
        "{\"allocation_info\":{\"role\":\"web\"},\"name\":\"s\","
        "\"reservations\":[{\"role\":\"web\",\"type\":\"STATIC\"}],"
        "\"role\":\"web\",\"set\":{\"item\":[\"x\"]},\"type\":\"SET\"}]");
    assert_json(cr_resources_to_json(&r, NULL),
                "[{\"name\":\"cpus\",\"role\":\"*\",\"scalar\":{\"value\":"
                "0.5},\"type\":\"SCALAR\"},{\"name\":\"ports\",\"ranges\":"
                "{\"range\":[{\"begin\":1,\"end\":2}]},\"role\":\"*\","
                "\"type\":\"RANGES\"},{\"name\":\"s\",\"reservations\":"
                "[{\"role\":\"web\",\"type\":\"STATIC\"}],\"role\":\"web\","
                "\"set\":{\"item\":[\"x\"]},\"type\":\"SET\"}]");
    cr_resources_fini(&r);
}

static void
test_encode_v0(void **state)
{
    (void)state;
    struct cr_resources r = parse("cpus:2;mem:1024;disk:4096;"
                                  "ports:[31000-32000]");
    assert_json(cr_resources_to_v0_json(&r),
                "{\"cpus\":2.0,\"disk\":4096.0,\"gpus\":0.0,\"mem\":1024.0,"
                "\"ports\":\"[31000-32000]\"}");
    cr_resources_fini(&r);
    r = parse("cpus(a):1;cpus:0.5;ports(a):[5-6];ports:[1-2,8-9];"
              "t:{b};t(a):{a};foo:3;foo(a):1");
    assert_json(cr_resources_to_v0_json(&r),
                "{\"cpus\":1.5,\"disk\":0.0,\"foo\":4.0,\"gpus\":0.0,"
                "\"mem\":0.0,\"ports\":\"[1-2, 5-6, 8-9]\","
                "\"t\":\"{a, b}\"}");
    cr_resources_fini(&r);
    cr_resources_init(&r);
    assert_json(cr_resources_to_v0_json(&r),
                "{\"cpus\":0.0,\"disk\":0.0,\"gpus\":0.0,\"mem\":0.0}");
    cr_resources_fini(&r);
}

static void
test_scalar_arithmetic(void **state)
{
    (void)state;
    struct cr_resources a = parse("cpus:4;mem:1024");
    struct cr_resources b = parse("cpus:0.1;mem:1000");
    for (int i = 0; i < 10; i++)
        assert_true(cr_resources_subtract(
            &a, &(struct cr_resources){.fixed = {100, 0, 0, 0}}));
    assert_true(a.fixed[CR_RES_CPUS] == 3000); /* fixed point: exact */
    assert_true(cr_resources_contains(&a, &b));
    assert_true(cr_resources_subtract(&a, &b));
    assert_false(cr_resources_contains(&a, &b));
    /* Not contained: unchanged, no saturation. */
    assert_false(cr_resources_subtract(&a, &b));
    assert_true(a.fixed[CR_RES_MEM] == 24000);
    cr_resources_add(&a, &b);
    assert_true(cr_resources_scalar(&a, "cpus") == 3.0);
    assert_true(cr_resources_scalar(&a, "mem") == 1024.0);
    assert_null(a.ents);
    struct cr_resources c = parse("cpus:3;mem:1024");
    assert_true(cr_resources_equal(&a, &c));
    cr_resources_fini(&a);
    cr_resources_fini(&b);
    cr_resources_fini(&c);
}

static void
test_ranges_arithmetic(void **state)
{
    (void)state;
    struct cr_resources a = parse("ports:[1-100]");
    struct cr_resources mid = parse("ports:[10-20,50-50]");
    assert_true(cr_resources_contains(&a, &mid));
    assert_true(cr_resources_subtract(&a, &mid));
    assert_text(&a, "ports:[1-9,21-49,51-100]");
    assert_false(cr_resources_contains(&a, &mid));
    struct cr_resources edge = parse("ports:[1-9,100-100]");
    assert_true(cr_resources_subtract(&a, &edge));
    assert_text(&a, "ports:[21-49,51-99]");
    struct cr_resources straddle = parse("ports:[45-55]");
    assert_false(cr_resources_contains(&a, &straddle));
    assert_false(cr_resources_subtract(&a, &straddle));
    /* Adding back merges into one range again. */
    cr_resources_add(&a, &mid);
    cr_resources_add(&a, &edge);
    assert_text(&a, "ports:[1-100]");
    struct cr_resources all = parse("ports:[1-100]");
    assert_true(cr_resources_subtract(&a, &all));
    assert_true(cr_resources_is_empty(&a)); /* empty entry removed */
    assert_false(cr_resources_contains(&a, &mid));
    cr_resources_fini(&a);
    cr_resources_fini(&mid);
    cr_resources_fini(&edge);
    cr_resources_fini(&straddle);
    cr_resources_fini(&all);
}

static void
test_sets_and_roles_arithmetic(void **state)
{
    (void)state;
    struct cr_resources a = parse("s:{a,b,c};cpus(r):2;cpus:1");
    struct cr_resources b = parse("s:{b};cpus(r):1");
    assert_true(cr_resources_subtract(&a, &b));
    assert_text(&a, "cpus:1;s:{a,c};cpus(r):1");
    struct cr_resources wrong_role = parse("cpus(q):1");
    assert_false(cr_resources_contains(&a, &wrong_role));
    struct cr_resources unres = parse("cpus:2");
    assert_false(cr_resources_contains(&a, &unres)); /* cpus(r) is not "*" */
    cr_resources_add(&a, &b);
    assert_text(&a, "cpus:1;s:{a,b,c};cpus(r):2");
    cr_resources_fini(&a);
    cr_resources_fini(&b);
    cr_resources_fini(&wrong_role);
    cr_resources_fini(&unres);
}

static void
test_allocatable_to(void **state)
{
    (void)state;
    struct cr_resources a = parse("cpus:1;cpus(eng):2;cpus(eng/be):3;"
                                  "cpus(ops):4;ports:[1-2]");
    struct cr_resources out;
    cr_resources_init(&out);
    cr_resources_allocatable_to(&out, &a, "eng/be");
    assert_true(cr_resources_scalar(&out, "cpus") == 6.0);
    cr_resources_allocatable_to(&out, &a, "eng");
    assert_true(cr_resources_scalar(&out, "cpus") == 3.0);
    cr_resources_allocatable_to(&out, &a, "engineering");
    assert_true(cr_resources_scalar(&out, "cpus") == 1.0);
    assert_non_null(cr_resources_find(&out, "ports", NULL));
    cr_resources_unreserved(&out, &a);
    assert_text(&out, "cpus:1;ports:[1-2]");
    /* Flattened: every reservation dropped, quantities merged. */
    struct cr_resources r = parse("cpus(eng):2;mem(ops):5;ports(eng):[3-4]");
    cr_resources_flatten(&out, &r);
    assert_text(&out, "cpus:2;mem:5;ports:[3-4]");
    cr_resources_flatten(&out, &a);
    assert_text(&out, "cpus:10;ports:[1-2]");
    cr_resources_fini(&r);
    assert_true(cr_role_is_within("a/b/c", "a"));
    assert_false(cr_role_is_within("ab", "a"));
    assert_true(cr_role_is_valid("*"));
    assert_true(cr_role_is_valid("eng/be"));
    assert_false(cr_role_is_valid("eng/*"));
    assert_false(cr_role_is_valid("a/../b"));
    assert_false(cr_role_is_valid(""));
    cr_resources_fini(&out);
    cr_resources_fini(&a);
}

static void
test_copy_move_share(void **state)
{
    (void)state;
    struct cr_resources a = parse("cpus:1;ports:[1-5];s:{x}");
    struct cr_resources b, c;
    cr_resources_init(&b);
    cr_resources_init(&c);
    cr_resources_copy(&b, &a);
    assert_true(cr_resources_equal(&a, &b));
    cr_resources_move(&c, &b);
    assert_true(cr_resources_is_empty(&b));
    assert_true(cr_resources_equal(&a, &c));
    cr_resources_copy(&c, &c);
    assert_true(cr_resources_equal(&a, &c));
    int64_t q[CR_RES_NFIXED] = {500, 100, 0, 0};
    int64_t t[CR_RES_NFIXED] = {1000, 1000, 0, 0};
    assert_true(cr_resources_dominant_share(q, t) == 0.5);
    int64_t zero[CR_RES_NFIXED] = {0};
    assert_true(cr_resources_dominant_share(q, zero) == 0.0);
    assert_int_not_equal(cr_resources_add_scalar(&a, "x", -1, NULL), 0);
    assert_int_equal(cr_resources_add_scalar(&a, "x", 1.25, "r"), 0);
    assert_true(cr_resources_scalar_role(&a, "x", "r") == 1.25);
    assert_int_not_equal(cr_resources_add_range(&a, "p", 5, 1, NULL), 0);
    cr_resources_fini(&a);
    cr_resources_fini(&b);
    cr_resources_fini(&c);
}

static void
test_parse_flag_forms(void **state)
{
    (void)state;
    struct cr_resources r;
    char err[256];
    cr_resources_init(&r);
    assert_int_equal(
        cr_resources_parse_flag(&r,
                                " [{\"name\":\"cpus\",\"type\":\"SCALAR\","
                                "\"scalar\":{\"value\":3}}]",
                                "*", err, sizeof(err)),
        0);
    assert_true(cr_resources_scalar(&r, "cpus") == 3.0);
    char path[] = "/tmp/cr_res_flag_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char *body = "cpus:7;mem:64\n";
    assert_int_equal(write(fd, body, strlen(body)), (int)strlen(body));
    close(fd);
    char flag[64];
    snprintf(flag, sizeof(flag), "file://%s", path);
    assert_int_equal(cr_resources_parse_flag(&r, flag, "*", err, sizeof(err)),
                     0);
    assert_true(cr_resources_scalar(&r, "cpus") == 7.0);
    unlink(path);
    assert_int_not_equal(
        cr_resources_parse_flag(&r, flag, "*", err, sizeof(err)), 0);
    assert_non_null(strstr(err, "cannot open"));
    assert_int_not_equal(
        cr_resources_parse_flag(&r, "[{", "*", err, sizeof(err)), 0);
    assert_int_not_equal(
        cr_resources_parse_flag(&r, "cpus:1", "bad role", err, sizeof(err)), 0);
    cr_resources_fini(&r);
}

static void
test_detect(void **state)
{
    (void)state;
    struct cr_resources flag = parse("cpus(web):3;ports:[1-2]");
    struct cr_resources out;
    cr_resources_init(&out);
    assert_int_equal(
        cr_resources_detect(&out, &flag, "/nonexistent/dir/x", "*"), 0);
    assert_true(cr_resources_scalar(&out, "cpus") == 3.0); /* kept */
    assert_true(cr_resources_scalar(&out, "mem") >= 1.0);
    assert_true(cr_resources_scalar(&out, "disk") >= 1.0);
    assert_text(&flag, "cpus(web):3;ports:[1-2]");
    const struct cr_res_entry *p = cr_resources_find(&out, "ports", NULL);
    assert_true(p != NULL && p->n == 1 && p->u.ranges[0].begin == 1);
    cr_resources_fini(&flag);
    assert_int_equal(cr_resources_detect(&out, NULL, "/tmp", "r"), 0);
    assert_true(cr_resources_scalar_role(&out, "cpus", "r") >= 1.0);
    p = cr_resources_find(&out, "ports", "r");
    assert_true(p != NULL && p->u.ranges[0].begin == 31000 &&
                p->u.ranges[0].end == 32000);
    cr_resources_fini(&out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_text_basic),
        cmocka_unit_test(test_parse_text_roles_and_repeats),
        cmocka_unit_test(test_parse_text_errors),
        cmocka_unit_test(test_parse_json_good),
        cmocka_unit_test(test_parse_json_bad),
        cmocka_unit_test(test_encode_v1),
        cmocka_unit_test(test_encode_v0),
        cmocka_unit_test(test_scalar_arithmetic),
        cmocka_unit_test(test_ranges_arithmetic),
        cmocka_unit_test(test_sets_and_roles_arithmetic),
        cmocka_unit_test(test_allocatable_to),
        cmocka_unit_test(test_copy_move_share),
        cmocka_unit_test(test_parse_flag_forms),
        cmocka_unit_test(test_detect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
