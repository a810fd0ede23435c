/* SPDX-License-Identifier: Apache-2.0
 *
 * test_webui_view.c: the pure parts of corral-dispatcher's web UI: a
 * driver's bounded state history (history.c), its JSON view with secrets
 * redacted, the /api/driver and /api/driver/log parameters and the log
 * proxy's request to the master (webui_view.c).
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"
#include "dispatcher/history.h"
#include "dispatcher/record.h"
#include "dispatcher/webui_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID "driver-20240102030405-0042"

static struct disp_driver *
new_driver(void)
{
    json_t *req = json_pack(
        "{s:s, s:s, s:s, s:[s, s], s:s, s:{s:s, s:s, s:s, s:s, s:s}, "
        "s:{s:s, s:s}}",
        "action", "CreateSubmissionRequest", "appResource", "/bin/sh",
        "mainClass", "org.example.Main", "appArgs", "-c", "echo hi",
        "clientSparkVersion", "3.5.1", "sparkProperties", "spark.app.name",
        "pi", "spark.driver.memory", "16m", "spark.driver.cores", "0.5",
        "spark.authenticate.SECRET", "s3cr3t", "spark.hadoop.fs.s3a.access.key",
        "AKIA", "environmentVariables", "SPARK_X", "1", "MY_TOKEN", "tok");
    struct disp_driver *d = disp_driver_new(req, ID, 42, 1700000000.25);
    json_decref(req);
    assert_non_null(d);
    return d;
}

static void
launch(struct disp_driver *d, const char *task, const char *status)
{
    d->state = DISP_LAUNCHED;
    snprintf(d->task_id, sizeof(d->task_id), "%s", task);
    free(d->agent_id);
    d->agent_id = cr_xstrdup("agent-S0");
    json_decref(d->last_status);
    d->last_status =
        status ? json_pack("{s:s, s:s}", "state", status, "message", "m")
               : NULL;
}

/* ---- history ---- */

static void
test_history_entries(void **state)
{
    (void)state;
    struct disp_driver *d = new_driver();
    assert_int_equal(disp_history_len(d->history), 0);
    disp_driver_note(d, 10.0, "submitted");
    launch(d, ID, NULL);
    disp_driver_note(d, 11.0, "launched");
    launch(d, ID, "TASK_RUNNING");
    disp_driver_note(d, 12.0, NULL);
    disp_driver_note(d, 12.5, NULL); /* same again: recorded once */
    assert_int_equal(disp_history_len(d->history), 3);
    json_t *h = disp_history_json(d->history);
    assert_int_equal(json_array_size(h), 3);
    json_t *q = json_array_get(h, 0);
    assert_string_equal(cr_json_str(q, "state"), "QUEUED");
    assert_string_equal(cr_json_str(q, "message"), "submitted");
    assert_null(json_object_get(q, "taskId")); /* not for QUEUED */
    json_t *l = json_array_get(h, 1);
    assert_string_equal(cr_json_str(l, "taskId"), ID);
    assert_null(json_object_get(l, "taskState"));
    json_t *r = json_array_get(h, 2);
    assert_string_equal(cr_json_str(r, "taskState"), "TASK_RUNNING");
    assert_null(json_object_get(r, "message"));
    double t;
    assert_true(cr_json_num(r, "time", &t));
    assert_true(t > 11.9 && t < 12.1);
    json_decref(h);
    disp_driver_free(d);
}

static void
test_history_bounded(void **state)
{
    (void)state;
    struct disp_driver *d = new_driver();
    char msg[32];
    for (int i = 0; i < DISP_HISTORY_MAX + 10; i++) {
        snprintf(msg, sizeof(msg), "n%d", i);
        disp_driver_note(d, (double)i, msg);
    }
    assert_int_equal(disp_history_len(d->history), DISP_HISTORY_MAX);
    json_t *h = disp_history_json(d->history);
    assert_string_equal(cr_json_str(json_array_get(h, 0), "message"), "n10");
    snprintf(msg, sizeof(msg), "n%d", DISP_HISTORY_MAX + 9);
    assert_string_equal(
        cr_json_str(json_array_get(h, DISP_HISTORY_MAX - 1), "message"), msg);
    json_decref(h);
    /* A long message is cut, on a UTF-8 boundary. */
    char big[DISP_HISTORY_TEXT * 2];
    memset(big, 'x', sizeof(big));
    memcpy(big + DISP_HISTORY_TEXT - 2, "\xc3\xa9", 2); /* straddles */
    big[sizeof(big) - 1] = '\0';
    disp_driver_note(d, 99.0, big);
    h = disp_history_json(d->history);
    const char *m =
        cr_json_str(json_array_get(h, DISP_HISTORY_MAX - 1), "message");
    assert_non_null(m); /* valid UTF-8, or jansson would refuse it */
    assert_int_equal(strlen(m), DISP_HISTORY_TEXT - 2);
    json_decref(h);
    disp_driver_free(d);
    assert_int_equal(disp_history_len(NULL), 0);
    h = disp_history_json(NULL);
    assert_int_equal(json_array_size(h), 0);
    json_decref(h);
}

/* ---- views ---- */

static void
test_view_queued_and_launched(void **state)
{
    (void)state;
    struct disp_driver *d = new_driver();
    json_t *v = disp_view_driver(d, 0);
    assert_string_equal(cr_json_str(v, "state"), "QUEUED");
    assert_string_equal(cr_json_str(v, "driverState"), "QUEUED");
    assert_string_equal(cr_json_str(v, "mainClass"), "org.example.Main");
    assert_string_equal(cr_json_str(v, "queue"), "default");
    assert_true(json_is_null(json_object_get(v, "taskId")));
    assert_true(json_is_null(json_object_get(v, "lastStatus")));
    assert_null(json_object_get(v, "history"));
    assert_null(json_object_get(v, "sparkProperties"));
    json_decref(v);

    launch(d, ID "-retry-1", "TASK_RUNNING");
    d->agent_host = cr_xstrdup("host1");
    v = disp_view_driver(d, DISP_VIEW_HISTORY);
    assert_string_equal(cr_json_str(v, "driverState"), "RUNNING");
    assert_string_equal(cr_json_str(v, "taskId"), ID "-retry-1");
    assert_string_equal(cr_json_str(v, "agentId"), "agent-S0");
    assert_string_equal(cr_json_str(v, "agentHost"), "host1");
    assert_string_equal(cr_json_str(json_object_get(v, "lastStatus"), "state"),
                        "TASK_RUNNING");
    assert_true(json_is_array(json_object_get(v, "history")));
    json_decref(v);

    d->state = DISP_RETRYING;
    d->wait = 2;
    d->next_retry = 5;
    v = disp_view_driver(d, 0);
    assert_string_equal(cr_json_str(v, "driverState"), "RETRYING");
    assert_non_null(json_object_get(v, "nextRetry"));
    assert_null(json_object_get(v, "finished"));
    json_decref(v);
    disp_driver_free(d);
}

static void
test_view_redacts_secrets(void **state)
{
    (void)state;
    assert_true(disp_view_secret("spark.authenticate.secret"));
    assert_true(disp_view_secret("MY_PASSWORD"));
    assert_true(disp_view_secret("spark.hadoop.fs.s3a.access.key"));
    assert_true(disp_view_secret("GITHUB_TOKEN"));
    assert_false(disp_view_secret("spark.app.name"));
    assert_false(disp_view_secret("spark.hadoop.fs.s3a.accesskey"));
    struct disp_driver *d = new_driver();
    json_t *v = disp_view_driver(d, DISP_VIEW_DETAIL);
    json_t *p = json_object_get(v, "sparkProperties");
    json_t *e = json_object_get(v, "environmentVariables");
    assert_string_equal(cr_json_str(p, "spark.authenticate.SECRET"),
                        DISP_VIEW_REDACTED);
    assert_string_equal(cr_json_str(p, "spark.hadoop.fs.s3a.access.key"),
                        DISP_VIEW_REDACTED);
    assert_string_equal(cr_json_str(p, "spark.app.name"), "pi");
    assert_string_equal(cr_json_str(e, "MY_TOKEN"), DISP_VIEW_REDACTED);
    assert_string_equal(cr_json_str(e, "SPARK_X"), "1");
    assert_int_equal(json_array_size(json_object_get(v, "appArgs")), 2);
    char *s = json_dumps(v, 0);
    assert_null(strstr(s, "s3cr3t"));
    assert_null(strstr(s, "AKIA"));
    free(s);
    json_decref(v);
    disp_driver_free(d);
}

/* ---- queries ---- */

static void
test_query_id(void **state)
{
    (void)state;
    char id[DISP_MAX_ID], err[160];
    assert_int_equal(
        disp_view_query_id("id=" ID, id, sizeof(id), err, sizeof(err)), 0);
    assert_string_equal(id, ID);
    assert_int_equal(disp_view_query_id(NULL, id, sizeof(id), err, sizeof(err)),
                     CR_EINVAL_INPUT);
    assert_non_null(strstr(err, "Missing"));
    assert_int_equal(
        disp_view_query_id("id=", id, sizeof(id), err, sizeof(err)),
        CR_EINVAL_INPUT);
    assert_int_equal(
        disp_view_query_id("id=..%2Fx", id, sizeof(id), err, sizeof(err)),
        CR_EINVAL_INPUT);
    char big[300];
    snprintf(big, sizeof(big), "id=%0250d", 1);
    assert_int_equal(disp_view_query_id(big, id, sizeof(id), err, sizeof(err)),
                     CR_EINVAL_INPUT);
}

static void
test_log_query(void **state)
{
    (void)state;
    struct disp_log_query q;
    char err[160];
    assert_int_equal(disp_log_query_parse("id=" ID, &q, err, sizeof(err)), 0);
    assert_string_equal(q.file, "stdout");
    assert_int_equal(q.offset, 0);
    assert_int_equal(q.length, DISP_LOG_MAX_READ);
    assert_int_equal(disp_log_query_parse("id=" ID "&file=stderr&offset=-1&"
                                          "length=10",
                                          &q, err, sizeof(err)),
                     0);
    assert_string_equal(q.file, "stderr");
    assert_int_equal(q.offset, -1);
    assert_int_equal(q.length, 10);
    assert_int_equal(
        disp_log_query_parse("id=" ID "&length=99999999", &q, err, sizeof(err)),
        0);
    assert_int_equal(q.length, DISP_LOG_MAX_READ);
    static const char *const bad[] = {
        "file=stdout",
        "id=" ID "&file=..%2Fetc%2Fpasswd",
        "id=" ID "&file=",
        "id=" ID "&offset=-2",
        "id=" ID "&offset=1x",
        "id=" ID "&offset=+1",
        "id=" ID "&offset=99999999999999999999999",
        "id=" ID "&length=abc",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (disp_log_query_parse(bad[i], &q, err, sizeof(err)) !=
            CR_EINVAL_INPUT)
            fail_msg("accepted %s", bad[i]);
}

static void
test_log_target(void **state)
{
    (void)state;
    struct disp_log_query q;
    char err[160];
    assert_int_equal(disp_log_query_parse("id=" ID "&offset=5&length=7", &q,
                                          err, sizeof(err)),
                     0);
    char *t = disp_log_target("a b&c", "fw-1", ID "-retry-2", &q);
    assert_string_equal(t, "/files/read?agent_id=a%20b%26c&path=/frameworks/"
                           "fw-1/executors/" ID "-retry-2/runs/latest/stdout"
                           "&offset=5&length=7");
    free(t);
    char *p = disp_sandbox_path("fw", "task");
    assert_string_equal(p, "/frameworks/fw/executors/task/runs/latest");
    free(p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_history_entries),
        cmocka_unit_test(test_history_bounded),
        cmocka_unit_test(test_view_queued_and_launched),
        cmocka_unit_test(test_view_redacts_secrets),
        cmocka_unit_test(test_query_id),
        cmocka_unit_test(test_log_query),
        cmocka_unit_test(test_log_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
