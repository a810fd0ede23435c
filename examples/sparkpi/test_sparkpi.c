/* SPDX-License-Identifier: Apache-2.0
 *
 * test_sparkpi.c: corral-sparkpi's pure helpers: the slice (deterministic,
 * close to pi), the slice line and its parser (bounded, malformed lines
 * refused), task ids, -D properties of SPARK_SUBMIT_OPTS, master URLs and
 * the order the driver looks for its master in.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "base/err.h"
#include "sparkpi.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void
test_slice_is_deterministic_and_near_pi(void **state)
{
    (void)state;
    uint64_t a = sparkpi_slice_inside(3, 100000);
    assert_true(a == sparkpi_slice_inside(3, 100000));
    assert_true(a != sparkpi_slice_inside(4, 100000));
    uint64_t in = 0;
    for (unsigned i = 0; i < 4; i++)
        in += sparkpi_slice_inside(i, 100000);
    double pi = 4.0 * (double)in / 400000.0;
    assert_true(fabs(pi - 3.14159265) < 0.02);
    assert_true(sparkpi_slice_inside(0, 0) == 0);
}

static void
test_slice_line_round_trip(void **state)
{
    (void)state;
    char line[128];
    assert_int_equal(sparkpi_slice_line(line, sizeof(line), 7, 785, 1000), 0);
    assert_string_equal(line, "sparkpi-slice 7: inside=785 of 1000\n");
    char small[8];
    assert_int_equal(sparkpi_slice_line(small, sizeof(small), 7, 785, 1000),
                     CR_ETOOBIG);

    uint64_t in = 0, n = 0;
    const char *out = "noise\nsparkpi-slice 1: inside=1 of 2\n"
                      "sparkpi-slice 7: inside=785 of 1000\r\nmore";
    assert_int_equal(sparkpi_parse_slice_output(out, strlen(out), 7, &in, &n),
                     0);
    assert_true(in == 785 && n == 1000);
    assert_int_equal(sparkpi_parse_slice_output(out, strlen(out), 1, &in, &n),
                     0);
    assert_true(in == 1 && n == 2);
    assert_int_equal(sparkpi_parse_slice_output(out, strlen(out), 2, &in, &n),
                     CR_ENOTFOUND);
    /* Not NUL-terminated: the length bounds the scan. */
    const char *cut = "sparkpi-slice 7: inside=5 of 1000";
    assert_int_equal(
        sparkpi_parse_slice_output(cut, strlen(cut) - 2, 7, &in, &n), 0);
    assert_true(in == 5 && n == 10);
    assert_int_equal(sparkpi_parse_slice_output("", 0, 0, &in, &n),
                     CR_ENOTFOUND);
}

static void
test_slice_line_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "sparkpi-slice 7: inside=11 of 10",
        "sparkpi-slice 7: inside=1 of 0",
        "sparkpi-slice 7: inside=x of 10",
        "sparkpi-slice 7: inside=1 of 10 trailing",
        "sparkpi-slice 7: inside=99999999999999999999999 of 10",
        "sparkpi-slice 7: outside=1 of 10",
    };
    uint64_t in, n;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(
            sparkpi_parse_slice_output(bad[i], strlen(bad[i]), 7, &in, &n),
            CR_EPROTO_DATA);
    /* Another slice's line, or a prefix alone, is not ours. */
    const char *other = "sparkpi-slice 70: inside=1 of 10\nsparkpi-slice ";
    assert_int_equal(
        sparkpi_parse_slice_output(other, strlen(other), 7, &in, &n),
        CR_ENOTFOUND);
}

static void
test_task_ids(void **state)
{
    (void)state;
    char id[SPARKPI_TASK_ID_MAX];
    unsigned s, a;
    sparkpi_task_id(id, sizeof(id), 12, 3);
    assert_string_equal(id, "slice-12-3");
    assert_int_equal(sparkpi_parse_task_id(id, &s, &a), 0);
    assert_true(s == 12 && a == 3);
    static const char *const bad[] = {
        "slice-1",  "slice-1-", "slice--1",           "slice-1-2x",
        "driver-1", "",         "slice-99999999999-1"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(sparkpi_parse_task_id(bad[i], &s, &a),
                         CR_EINVAL_INPUT);
}

static void
test_java_props(void **state)
{
    (void)state;
    const char *opts = " -Dspark.mesos.driver.frameworkId=fw-1-driver-2  "
                       "-Xmx1g '-Dspark.app.name=my app' "
                       "-Dspark.master=\"mesos://a:5050\" -Dspark.master2=x";
    char *v = sparkpi_java_prop(opts, "spark.mesos.driver.frameworkId");
    assert_string_equal(v, "fw-1-driver-2");
    free(v);
    v = sparkpi_java_prop(opts, "spark.app.name");
    assert_string_equal(v, "my app");
    free(v);
    v = sparkpi_java_prop(opts, "spark.master");
    assert_string_equal(v, "mesos://a:5050");
    free(v);
    assert_null(sparkpi_java_prop(opts, "spark.mesos"));
    assert_null(sparkpi_java_prop(NULL, "spark.master"));
    v = sparkpi_java_prop("-Dk=1 -Dk=2", "k");
    assert_string_equal(v, "2");
    free(v);
}

static void
test_master_normalize(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"mesos://127.0.0.1:5050", "127.0.0.1:5050"},
        {"mesos://a:1,b:2", "a:1,b:2"},
        {"mesos://zk://z1:2181,z2:2181/mesos", "zk://z1:2181,z2:2181/mesos"},
        {"zk://z:2181/corral", "zk://z:2181/corral"},
        {"127.0.0.1:5050", "127.0.0.1:5050"},
        {"mesos://host", "host"},
        {"file:///etc/master", "file:///etc/master"},
        {"spark://h:7077", NULL},
        {"local[*]", NULL},
        {"yarn", NULL},
        {"mesos://", NULL},
        {"", NULL},
        {"mesos://a b:1", NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *v = sparkpi_master_normalize(cases[i][0]);
        if (cases[i][1] == NULL)
            assert_null(v);
        else
            assert_string_equal(v, cases[i][1]);
        free(v);
    }
    assert_null(sparkpi_master_normalize(NULL));
}

static void
test_master_pick_order(void **state)
{
    (void)state;
    char *m = NULL;
    const char *opts = "-Dspark.master=mesos://p:1";
    assert_int_equal(sparkpi_master_pick("mesos://a:1", opts, "e:1", &m),
                     SPARKPI_MASTER_ARG);
    assert_string_equal(m, "mesos://a:1");
    free(m);
    assert_int_equal(sparkpi_master_pick(NULL, opts, "e:1", &m),
                     SPARKPI_MASTER_PROP);
    assert_string_equal(m, "mesos://p:1");
    free(m);
    assert_int_equal(sparkpi_master_pick("", "-Dother=1", "e:1", &m),
                     SPARKPI_MASTER_ENV);
    assert_string_equal(m, "e:1");
    free(m);
    assert_int_equal(sparkpi_master_pick(NULL, NULL, "", &m),
                     SPARKPI_MASTER_NONE);
    assert_null(m);

    json_t *st = json_pack("{s:{s:s, s:s}}", "flags", "master",
                           "zk://z:2181/corral", "port", "5051");
    m = sparkpi_master_from_agent_state(st);
    assert_string_equal(m, "zk://z:2181/corral");
    free(m);
    json_decref(st);
    st = json_pack("{s:{}}", "flags");
    assert_null(sparkpi_master_from_agent_state(st));
    json_decref(st);
    assert_null(sparkpi_master_from_agent_state(NULL));
}

static void
test_shell_quote(void **state)
{
    (void)state;
    char *q = sparkpi_shell_quote("/opt/my dir/it's");
    assert_string_equal(q, "'/opt/my dir/it'\\''s'");
    free(q);
    q = sparkpi_shell_quote("");
    assert_string_equal(q, "''");
    free(q);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slice_is_deterministic_and_near_pi),
        cmocka_unit_test(test_slice_line_round_trip),
        cmocka_unit_test(test_slice_line_malformed),
        cmocka_unit_test(test_task_ids),
        cmocka_unit_test(test_java_props),
        cmocka_unit_test(test_master_normalize),
        cmocka_unit_test(test_master_pick_order),
        cmocka_unit_test(test_shell_quote),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
