/* SPDX-License-Identifier: Apache-2.0
 *
 * test_protocol.c: corral-dispatcher's Spark REST protocol v1 helpers:
 * routing (400/405/468), CreateSubmissionRequest validation with Spark's
 * messages and unknownFields, memory strings, submission ids, shellEscape
 * and the driver command of reference §3.6.
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "dispatcher/protocol.h"

#include <stdlib.h>
#include <string.h>

static void
test_route(void **state)
{
    (void)state;
    struct disp_route r;
    disp_route("POST", "/v1/submissions/create", &r);
    assert_int_equal(r.action, DISP_ROUTE_CREATE);
    disp_route("POST", "/v1/submissions/create/extra", &r);
    assert_int_equal(r.action, DISP_ROUTE_CREATE);
    disp_route("GET", "/v1/submissions/create", &r);
    assert_int_equal(r.action, DISP_ROUTE_METHOD);
    assert_int_equal(r.status, 405);
    disp_route("GET", "/v1/submissions/status/driver-1/any/thing", &r);
    assert_int_equal(r.action, DISP_ROUTE_STATUS);
    assert_string_equal(r.id, "driver-1");
    disp_route("POST", "/v1/submissions/kill/d2", &r);
    assert_int_equal(r.action, DISP_ROUTE_KILL);
    assert_string_equal(r.id, "d2");
    disp_route("POST", "/v1/submissions/kill/", &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.message, "Submission ID is missing in kill request.");
    disp_route("GET", "/v1/submissions/status", &r);
    assert_string_equal(r.message,
                        "Submission ID is missing in status request.");
    disp_route("GET", "/", &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.message, "Missing protocol version."));
    assert_non_null(strstr(r.message, "http://[host]:[port]/v1/submissions"));
    disp_route("GET", "/v1", &r);
    assert_non_null(strstr(r.message, "Missing the /submissions prefix."));
    disp_route("DELETE", "/v1/submissions/other", &r);
    assert_int_equal(r.status, 400);
    assert_non_null(strstr(r.message, "Missing an action"));
    disp_route("GET", "/v2/submissions/create", &r);
    assert_int_equal(r.status, 468);
    assert_true(r.version_mismatch);
    assert_non_null(strstr(r.message, "Unknown protocol version 'v2'."));
}

static void
test_memory(void **state)
{
    (void)state;
    long long b;
    assert_int_equal(disp_parse_memory("512m", &b), 0);
    assert_int_equal(b, 512LL << 20);
    assert_int_equal(disp_parse_memory("2G", &b), 0);
    assert_int_equal(b, 2LL << 30);
    assert_int_equal(disp_parse_memory("1024", &b), 0);
    assert_int_equal(b, 1024);
    assert_int_equal(disp_parse_memory("3kb", &b), 0);
    assert_int_equal(b, 3072);
    assert_int_equal(disp_parse_memory("1.5g", &b), -1);
    assert_int_equal(disp_parse_memory("g", &b), -1);
    assert_int_equal(disp_parse_memory("12x", &b), -1);
    assert_int_equal(disp_parse_memory("99999999999p", &b), -1);
    double d;
    assert_int_equal(disp_parse_double(" 1.5 ", &d), 0);
    assert_int_equal(disp_parse_double("x", &d), -1);
    bool v;
    assert_int_equal(disp_parse_bool("TRUE", &v), 0);
    assert_true(v);
    assert_int_equal(disp_parse_bool("yes", &v), -1);
}

static void
test_driver_memory(void **state)
{
    (void)state;
    json_t *p = json_pack("{s:s}", "spark.driver.memory", "2000m");
    assert_int_equal(disp_driver_memory_mb(p), 2384);
    json_object_set_new(p, "spark.driver.memory", json_string("5000m"));
    assert_int_equal(disp_driver_memory_mb(p), 5500);
    json_object_set_new(p, "spark.driver.memory", json_string("2000m"));
    json_object_set_new(p, "spark.driver.memoryOverhead", json_string("1000"));
    assert_int_equal(disp_driver_memory_mb(p), 3000);
    json_decref(p);
    p = json_object();
    assert_int_equal(disp_driver_memory_mb(p), 1024 + 384);
    json_decref(p);
}

static json_t *
valid_request(void)
{
    return json_pack("{s:s, s:s, s:s, s:[s], s:s, s:{s:s, s:s}, s:{}}",
                     "action", "CreateSubmissionRequest", "appResource",
                     "http://x/pi.jar", "mainClass", "Pi", "appArgs", "100",
                     "clientSparkVersion", "2.2.0", "sparkProperties",
                     "spark.app.name", "pi", "spark.driver.memory", "2g",
                     "environmentVariables");
}

/* Validate req (taken) and check the status and a piece of the message. */
static void
expect_invalid(json_t *req, const char *needle)
{
    char *msg = NULL;
    assert_int_equal(disp_validate_create(req, &msg, NULL), 400);
    assert_non_null(msg);
    if (strstr(msg, needle) == NULL)
        fail_msg("'%s' not in '%s'", needle, msg);
    free(msg);
    json_decref(req);
}

static void
test_validate(void **state)
{
    (void)state;
    char *msg = NULL;
    json_t *unknown = NULL;
    json_t *req = valid_request();
    assert_int_equal(disp_validate_create(req, &msg, &unknown), 0);
    assert_null(msg);
    assert_null(unknown);
    json_object_set_new(req, "extra", json_true());
    assert_int_equal(disp_validate_create(req, &msg, &unknown), 0);
    assert_int_equal(json_array_size(unknown), 1);
    assert_string_equal(json_string_value(json_array_get(unknown, 0)), "extra");
    json_decref(unknown);
    json_decref(req);

    req = valid_request();
    json_object_del(req, "clientSparkVersion");
    expect_invalid(req, "Malformed request: Validation of message "
                        "CreateSubmissionRequest failed: "
                        "'clientSparkVersion' is missing");
    req = valid_request();
    json_object_del(req, "sparkProperties");
    expect_invalid(req, "No Spark properties set!");
    req = valid_request();
    json_object_del(json_object_get(req, "sparkProperties"), "spark.app.name");
    expect_invalid(req, "'spark.app.name' is missing in message "
                        "CreateSubmissionRequest.");
    req = valid_request();
    json_object_set_new(json_object_get(req, "sparkProperties"),
                        "spark.driver.supervise", json_string("maybe"));
    expect_invalid(req, "Property 'spark.driver.supervise' expected boolean "
                        "value: actual was 'maybe'.");
    req = valid_request();
    json_object_set_new(json_object_get(req, "sparkProperties"),
                        "spark.cores.max", json_string("many"));
    expect_invalid(req, "Property 'spark.cores.max' expected numeric value");
    req = valid_request();
    json_object_set_new(json_object_get(req, "sparkProperties"),
                        "spark.executor.memory", json_string("1.5g"));
    expect_invalid(req, "Property 'spark.executor.memory' expected memory");
    req = valid_request();
    json_object_del(req, "mainClass");
    expect_invalid(req, "Main class 'mainClass' is missing.");
    req = valid_request();
    json_object_set_new(req, "appArgs", json_integer(3));
    expect_invalid(req, "Malformed request: ");
    req = valid_request();
    json_object_set_new(req, "action", json_string("ErrorResponse"));
    expect_invalid(req, "Received message of unexpected type ErrorResponse.");
    expect_invalid(json_array(), "Malformed request: ");
    expect_invalid(json_object(), "Malformed request: ");
}

static void
test_ids(void **state)
{
    (void)state;
    char id[DISP_MAX_ID];
    disp_submission_id(id, sizeof(id), time(NULL), 1);
    assert_true(disp_submission_id_valid(id));
    assert_int_equal(strlen(id), strlen("driver-20170905101530-0001"));
    assert_string_equal(id + strlen(id) - 5, "-0001");
    disp_submission_id(id, sizeof(id), time(NULL), 12345);
    assert_true(disp_submission_id_valid(id));
    assert_string_equal(id + strlen(id) - 6, "-12345");
    assert_false(disp_submission_id_valid("driver-2017-0001"));
    assert_false(disp_submission_id_valid("driver-20170905101530-01"));
    char sub[DISP_MAX_ID];
    disp_task_submission("driver-20170905101530-0001-retry-3", sub,
                         sizeof(sub));
    assert_string_equal(sub, "driver-20170905101530-0001");
}

static char *
escaped(const char *s)
{
    struct cr_buf b;
    cr_buf_init(&b, 4096);
    cr_buf_puts(&b, "");
    disp_shell_escape(&b, s);
    return cr_buf_steal(&b);
}

static void
test_escape(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"plain", "plain"},
        {"a b", "\"a b\""},
        {"--a=$2", "\"--a=\\$2\""},
        {"'quoted already'", "'quoted already'"},
        {"\"x y\"", "\"x y\""},
        {"back`tick", "\"back\\`tick\""},
        {"", "\"\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *e = escaped(cases[i][0]);
        assert_string_equal(e, cases[i][1]);
        free(e);
    }
}

static void
test_command(void **state)
{
    (void)state;
    json_t *args = json_pack("[s, s, s]", "--a=$2", "--b", "x y z");
    json_t *props = json_pack("{s:s, s:s, s:s, s:s}", "spark.app.name",
                              "app name", "spark.jars", "x.jar", "spark.master",
                              "mesos://d:7077", "spark.foo", "bar");
    struct disp_cmd_input in = {
        .app_name = "app name",
        .main_class = "Main",
        .app_resource = "http://repo/jar",
        .app_args = args,
        .props = props,
        .master = "m:5050",
        .cores = 1.0,
        .mem_mb = 1000,
        .executor_uri = "http://x/spark-version.tgz",
    };
    char *cmd = disp_driver_command(&in);
    assert_string_equal(
        cmd, "cd spark-version*;  bin/spark-submit --name \"app name\" "
             "--master mesos://m:5050 --driver-cores 1.0 --driver-memory "
             "1000M --class Main --conf \"spark.app.name=app name\" --conf "
             "spark.foo=bar ../jar \"--a=\\$2\" --b \"x y z\"");
    free(cmd);
    in.executor_uri = NULL;
    in.spark_home = "/opt/spark";
    in.main_class = "";
    in.cores = 0.5;
    cmd = disp_driver_command(&in);
    assert_non_null(strstr(cmd, "/opt/spark/bin/spark-submit --name"));
    assert_non_null(strstr(cmd, "--driver-cores 0.5 "));
    assert_null(strstr(cmd, "--class"));
    assert_non_null(strstr(cmd, " ./jar "));
    free(cmd);
    in.spark_home = NULL;
    in.app_resource = "/bin/sh";
    cmd = disp_driver_command(&in);
    assert_string_equal(cmd, "/bin/sh \"--a=\\$2\" --b \"x y z\"");
    free(cmd);
    json_decref(args);
    json_decref(props);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route),         cmocka_unit_test(test_memory),
        cmocka_unit_test(test_driver_memory), cmocka_unit_test(test_validate),
        cmocka_unit_test(test_ids),           cmocka_unit_test(test_escape),
        cmocka_unit_test(test_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
