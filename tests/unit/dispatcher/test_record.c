/* SPDX-License-Identifier: Apache-2.0
 *
 * test_record.c: corral-dispatcher's znode encoding (records of drivers in
 * each state, the framework id, the id counter's names), the validation
 * of what is read back, the "newest record wins" order, and the queue
 * priorities (declarations, lookup, the queue order with ties).
 */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "base/err.h"
#include "dispatcher/queue.h"
#include "dispatcher/record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID "driver-20240102030405-0042"

static json_t *
request(void)
{
    return json_pack(
        "{s:s, s:s, s:s, s:[s, s], s:s, s:{s:s, s:s, s:s, s:s}, s:{s:s}}",
        "action", "CreateSubmissionRequest", "appResource", "/bin/sh",
        "mainClass", "", "appArgs", "-c", "echo hi", "clientSparkVersion",
        "3.5.1", "sparkProperties", "spark.app.name", "pi",
        "spark.driver.memory", "16m", "spark.driver.cores", "0.5",
        "spark.driver.supervise", "true", "environmentVariables", "SPARK_X",
        "1");
}

static struct disp_driver *
new_driver(void)
{
    json_t *req = request();
    struct disp_driver *d = disp_driver_new(req, ID, 42, 1700000000.25);
    json_decref(req);
    assert_non_null(d);
    return d;
}

/* Encode d and decode it from the sub-tree of its state. */
static struct disp_driver *
round_trip(const struct disp_driver *d)
{
    size_t len = 0;
    char *enc = disp_record_encode(d, &len);
    assert_non_null(enc);
    assert_int_equal(len, strlen(enc));
    struct disp_driver *out = NULL;
    char err[256];
    int rc =
        disp_record_decode(enc, len, d->id, d->state, &out, err, sizeof(err));
    if (rc != 0)
        fail_msg("decode: %s (%s)", err, enc);
    free(enc);
    return out;
}

static void
test_new_driver(void **state)
{
    (void)state;
    struct disp_driver *d = new_driver();
    assert_string_equal(d->id, ID);
    assert_string_equal(d->app_name, "pi");
    assert_string_equal(d->app_resource, "/bin/sh");
    assert_string_equal(d->main_class, "");
    assert_string_equal(d->queue, DISP_QUEUE_DEFAULT);
    assert_true(d->supervise);
    assert_true(d->cores > 0.49 && d->cores < 0.51);
    assert_int_equal(d->mem_mb, 16 + 384);
    assert_int_equal(d->state, DISP_QUEUED);
    assert_int_equal(d->seq, 42);
    disp_driver_free(d);

    json_t *req = request();
    json_object_set_new(json_object_get(req, "sparkProperties"),
                        DISP_QUEUE_PROP, json_string("urgent"));
    d = disp_driver_new(req, ID, 1, 0);
    assert_string_equal(d->queue, "urgent");
    disp_driver_free(d);
    json_object_del(req, "appResource");
    assert_null(disp_driver_new(req, ID, 1, 0));
    json_decref(req);
}

static void
test_round_trip_states(void **state)
{
    (void)state;
    struct disp_driver *d = new_driver();
    struct disp_driver *r = round_trip(d);
    assert_int_equal(r->state, DISP_QUEUED);
    assert_int_equal(r->seq, 42);
    assert_true(r->submitted > 1700000000.2 && r->submitted < 1700000000.3);
    assert_true(json_equal(r->req, d->req));
    assert_string_equal(r->task_id, "");
    assert_null(r->agent_id);
    disp_driver_free(r);

    d->state = DISP_LAUNCHED;
    snprintf(d->task_id, sizeof(d->task_id), "%s-retry-2", ID);
    d->agent_id = strdup("agent-1");
    d->retries = 2;
    d->wait = 2.0;
    d->next_retry = 1700000010.0;
    r = round_trip(d);
    assert_int_equal(r->state, DISP_LAUNCHED);
    assert_string_equal(r->task_id, ID "-retry-2");
    assert_string_equal(r->agent_id, "agent-1");
    assert_int_equal(r->retries, 2);
    assert_true(r->wait == 2.0);
    disp_driver_free(r);

    d->state = DISP_RETRYING;
    d->retries = 3;
    d->last_status =
        json_pack("{s:{s:s}, s:s, s:s}", "task_id", "value", d->task_id,
                  "state", "TASK_FAILED", "message", "exit 3");
    r = round_trip(d);
    assert_int_equal(r->state, DISP_RETRYING);
    assert_int_equal(r->retries, 3);
    assert_true(r->next_retry == 1700000010.0);
    assert_string_equal(
        json_string_value(json_object_get(r->last_status, "state")),
        "TASK_FAILED");
    disp_driver_free(r);

    d->state = DISP_FINISHED;
    d->finished = 1700000020.5;
    r = round_trip(d);
    assert_int_equal(r->state, DISP_FINISHED);
    assert_true(r->finished == 1700000020.5);
    disp_driver_free(r);
    disp_driver_free(d);
}

/* Decoding text as a record of state under name must fail, mentioning
 * needle. */
static void
expect_bad(const char *text, const char *name, enum disp_drv_state st,
           const char *needle)
{
    struct disp_driver *out = (struct disp_driver *)1;
    char err[256] = "";
    assert_int_equal(disp_record_decode(text, strlen(text), name, st, &out, err,
                                        sizeof(err)),
                     CR_EINVAL_INPUT);
    assert_null(out);
    if (strstr(err, needle) == NULL)
        fail_msg("'%s' does not mention '%s' (input %s)", err, needle, text);
}

/* A valid QUEUED record with one key replaced (value: JSON text, or NULL
 * to delete the key). Owned. */
static char *
record_with(const char *key, const char *value)
{
    struct disp_driver *d = new_driver();
    size_t len;
    char *enc = disp_record_encode(d, &len);
    disp_driver_free(d);
    json_t *o = json_loads(enc, 0, NULL);
    free(enc);
    if (value)
        json_object_set_new(o, key, json_loads(value, JSON_DECODE_ANY, NULL));
    else
        json_object_del(o, key);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return s;
}

static void
expect_bad_field(const char *key, const char *value, enum disp_drv_state st,
                 const char *needle)
{
    char *s = record_with(key, value);
    expect_bad(s, ID, st, needle);
    free(s);
}

static void
test_decode_rejects(void **state)
{
    (void)state;
    expect_bad("", ID, DISP_QUEUED, "not JSON");
    expect_bad("{nope", ID, DISP_QUEUED, "not JSON");
    expect_bad("[1]", ID, DISP_QUEUED, "not a JSON object");
    expect_bad("{\"version\":2}", ID, DISP_QUEUED, "version");
    expect_bad_field("version", "\"1\"", DISP_QUEUED, "version");
    expect_bad_field("id", "\"driver-x\"", DISP_QUEUED, "'id'");
    expect_bad_field("id", NULL, DISP_QUEUED, "'id'");
    expect_bad_field("id", "\"driver-20240102030405-0043\"", DISP_QUEUED,
                     "differs from the znode name");
    expect_bad_field("state", "\"FINISHED\"", DISP_QUEUED, "'state'");
    expect_bad_field("seq", "-1", DISP_QUEUED, "'seq'");
    expect_bad_field("seq", "1.5", DISP_QUEUED, "'seq'");
    expect_bad_field("submitted", NULL, DISP_QUEUED, "'submitted'");
    expect_bad_field("submitted", "1e300", DISP_QUEUED, "'submitted'");
    expect_bad_field("request", "{}", DISP_QUEUED, "'request'");
    expect_bad_field("request", "7", DISP_QUEUED, "'request'");
    expect_bad_field("taskId", "\"driver-other-1\"", DISP_QUEUED,
                     "not a task of");
    expect_bad_field("taskId", "3", DISP_QUEUED, "'taskId'");
    expect_bad_field("agentId", "\"\"", DISP_QUEUED, "'agentId'");
    expect_bad_field("retries", "-1", DISP_QUEUED, "'retries'");
    expect_bad_field("retries", "100000000", DISP_QUEUED, "'retries'");
    expect_bad_field("nextRetry", "\"soon\"", DISP_QUEUED, "'nextRetry'");
    expect_bad_field("lastStatus", "[]", DISP_QUEUED, "'lastStatus'");
    expect_bad_field("lastStatus", "{\"state\":1}", DISP_QUEUED,
                     "'lastStatus'");
    /* The request is validated as a create would be. */
    char *s = record_with("request",
                          "{\"action\":\"CreateSubmissionRequest\","
                          "\"clientSparkVersion\":\"3\",\"appResource\":\"x\","
                          "\"mainClass\":\"\",\"appArgs\":[],"
                          "\"environmentVariables\":{},\"sparkProperties\":"
                          "{\"spark.app.name\":\"a\",\"spark.driver.memory\":"
                          "\"1.5g\"}}");
    expect_bad(s, ID, DISP_QUEUED, "spark.driver.memory");
    free(s);
    /* A launched record needs its task and agent. */
    s = record_with("state", "\"LAUNCHED\"");
    expect_bad(s, ID, DISP_LAUNCHED, "needs 'taskId' and 'agentId'");
    free(s);
    /* Oversized input is refused before parsing. */
    size_t big = DISP_RECORD_MAX + 1;
    char *huge = malloc(big + 1);
    memset(huge, ' ', big);
    huge[big] = '\0';
    expect_bad(huge, ID, DISP_QUEUED, "bytes");
    free(huge);
    /* Unknown keys are ignored. */
    s = record_with("futureField", "{\"x\":1}");
    struct disp_driver *out = NULL;
    char err[256];
    assert_int_equal(disp_record_decode(s, strlen(s), ID, DISP_QUEUED, &out,
                                        err, sizeof(err)),
                     0);
    disp_driver_free(out);
    free(s);
}

static void
test_too_large_to_encode(void **state)
{
    (void)state;
    json_t *req = request();
    size_t n = DISP_RECORD_MAX;
    char *blob = malloc(n + 1);
    memset(blob, 'a', n);
    blob[n] = '\0';
    json_object_set_new(json_object_get(req, "environmentVariables"), "BIG",
                        json_string(blob));
    free(blob);
    struct disp_driver *d = disp_driver_new(req, ID, 1, 1);
    json_decref(req);
    size_t len = 0;
    assert_null(disp_record_encode(d, &len));
    disp_driver_free(d);
}

static void
test_framework_and_counter(void **state)
{
    (void)state;
    size_t len;
    char *enc = disp_framework_encode("abc-123.X_0000", &len);
    char out[DISP_MAX_FW_ID], err[128];
    assert_int_equal(
        disp_framework_decode(enc, len, out, sizeof(out), err, sizeof(err)), 0);
    assert_string_equal(out, "abc-123.X_0000");
    free(enc);
    const char *bad[] = {"",
                         "{}",
                         "{\"version\":1}",
                         "{\"version\":1,\"frameworkId\":\"a b\"}",
                         "{\"version\":1,\"frameworkId\":\"\"}",
                         "{\"version\":1,\"frameworkId\":\"../x\"}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(disp_framework_decode(bad[i], strlen(bad[i]), out,
                                               sizeof(out), err, sizeof(err)),
                         CR_EINVAL_INPUT);
    assert_true(disp_framework_id_valid("5b8c-0001"));
    assert_false(disp_framework_id_valid("x/y"));

    char name[32];
    unsigned long v;
    disp_counter_name(name, sizeof(name), 42);
    assert_string_equal(name, "0000000042");
    assert_int_equal(disp_counter_parse(name, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(disp_counter_parse("", &v), -1);
    assert_int_equal(disp_counter_parse("12a", &v), -1);
    assert_int_equal(disp_counter_parse("99999999999999999999", &v), -1);
    assert_int_equal(disp_submission_counter(ID, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(disp_submission_counter("driver-x", &v), -1);
}

static void
test_progress(void **state)
{
    (void)state;
    struct disp_driver *d = new_driver();
    long q = disp_driver_progress(d);
    d->state = DISP_LAUNCHED;
    long l0 = disp_driver_progress(d);
    d->state = DISP_RETRYING;
    d->retries = 1;
    long r1 = disp_driver_progress(d);
    d->state = DISP_LAUNCHED;
    long l1 = disp_driver_progress(d);
    d->state = DISP_FINISHED;
    long f = disp_driver_progress(d);
    assert_true(q < l0 && l0 < r1 && r1 < l1 && l1 < f);
    disp_driver_free(d);
}

static void
test_queues(void **state)
{
    (void)state;
    json_t *conf = json_pack(
        "{s:s, s:s, s:s, s:s}", "spark.mesos.dispatcher.queue.urgent", "2.5",
        "spark.mesos.dispatcher.queue.low", "-1",
        "spark.mesos.dispatcher."
        "queue.default",
        "9", "spark.mesos.dispatcher.queue", "ignored: not a declaration");
    struct disp_queues q;
    char err[256];
    assert_int_equal(disp_queues_parse(conf, &q, err, sizeof(err)), 0);
    double p = -7;
    assert_true(disp_queues_lookup(&q, "urgent", &p));
    assert_true(p == 2.5);
    assert_true(disp_queues_lookup(&q, "low", &p));
    assert_true(p == -1);
    assert_true(disp_queues_lookup(&q, "default", &p));
    assert_true(p == 0.0); /* cannot be redeclared */
    assert_true(disp_queues_lookup(&q, NULL, &p));
    assert_true(disp_queues_lookup(&q, "", &p));
    assert_false(disp_queues_lookup(&q, "nope", &p));
    disp_queues_fini(&q);
    json_object_set_new(conf, "spark.mesos.dispatcher.queue.bad",
                        json_string("high"));
    assert_int_equal(disp_queues_parse(conf, &q, err, sizeof(err)),
                     CR_EINVAL_INPUT);
    assert_non_null(strstr(err, "'bad'"));
    assert_int_equal(q.n, 0);
    json_decref(conf);
}

static void
test_queue_order(void **state)
{
    (void)state;
    struct disp_driver *v[5];
    const double prio[5] = {0, 2, 0, 2, 1};
    const double when[5] = {10, 30, 10, 20, 5};
    for (int i = 0; i < 5; i++) {
        v[i] = new_driver();
        v[i]->priority = prio[i];
        v[i]->submitted = when[i];
        v[i]->seq = (unsigned long)(10 - i);
    }
    struct disp_driver *w[5];
    memcpy(w, v, sizeof(w));
    qsort(w, 5, sizeof(*w), disp_queue_cmp);
    /* priority 2 (earlier first), then 1, then the two ties of priority 0
     * and time 10, by counter: none is dropped. */
    assert_ptr_equal(w[0], v[3]);
    assert_ptr_equal(w[1], v[1]);
    assert_ptr_equal(w[2], v[4]);
    assert_ptr_equal(w[3], v[2]);
    assert_ptr_equal(w[4], v[0]);
    for (int i = 0; i < 5; i++)
        disp_driver_free(v[i]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_driver),
        cmocka_unit_test(test_round_trip_states),
        cmocka_unit_test(test_decode_rejects),
        cmocka_unit_test(test_too_large_to_encode),
        cmocka_unit_test(test_framework_and_counter),
        cmocka_unit_test(test_progress),
        cmocka_unit_test(test_queues),
        cmocka_unit_test(test_queue_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
