/* SPDX-License-Identifier: Apache-2.0
 *
 * test_operator_call.c: decoding and validation of the agent's v1
 * operator calls (mesos.v1.agent.Call), and the Prometheus text encoder
 * the agent's /metrics uses (base/metrics.h).
 */
/* cmocka needs these system headers first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include "agent/operator_call.h"
#include "base/buf.h"
#include "base/metrics.h"

static char err[256];

/* Decode body; on 0 and 501 return the call (finished by the caller). */
static int
decode(const char *body, struct agent_call *c)
{
    err[0] = '\0';
    int rc = agent_call_decode(body, strlen(body), c, err, sizeof(err));
    if (rc != 0)
        assert_true(strlen(err) > 0);
    return rc;
}

static void
expect(const char *body, int want, const char *err_part)
{
    struct agent_call c;
    int rc = decode(body, &c);
    if (rc != want)
        fail_msg("%s: got %d (%s), want %d", body, rc, err, want);
    if (err_part && strstr(err, err_part) == NULL)
        fail_msg("%s: error '%s' lacks '%s'", body, err, err_part);
    if (rc != 400)
        agent_call_fini(&c);
}

static void
test_implemented_calls(void **state)
{
    (void)state;
    static const struct {
        const char *name;
        enum agent_call_type type;
    } calls[] = {
        {"GET_HEALTH", AGENT_CALL_GET_HEALTH},
        {"GET_FLAGS", AGENT_CALL_GET_FLAGS},
        {"GET_VERSION", AGENT_CALL_GET_VERSION},
        {"GET_METRICS", AGENT_CALL_GET_METRICS},
        {"GET_LOGGING_LEVEL", AGENT_CALL_GET_LOGGING_LEVEL},
        {"GET_STATE", AGENT_CALL_GET_STATE},
        {"GET_CONTAINERS", AGENT_CALL_GET_CONTAINERS},
        {"GET_FRAMEWORKS", AGENT_CALL_GET_FRAMEWORKS},
        {"GET_EXECUTORS", AGENT_CALL_GET_EXECUTORS},
        {"GET_TASKS", AGENT_CALL_GET_TASKS},
        {"GET_AGENT", AGENT_CALL_GET_AGENT},
    };
    for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
        char body[128];
        snprintf(body, sizeof(body), "{\"type\":\"%s\"}", calls[i].name);
        struct agent_call c;
        assert_int_equal(decode(body, &c), 0);
        assert_int_equal(c.type, calls[i].type);
        assert_string_equal(c.name, calls[i].name);
        agent_call_fini(&c);
    }
}

static void
test_get_metrics_timeout(void **state)
{
    (void)state;
    expect("{\"type\":\"GET_METRICS\",\"get_metrics\":{}}", 0, NULL);
    expect("{\"type\":\"GET_METRICS\",\"get_metrics\":{\"timeout\":"
           "{\"nanoseconds\":5000000000}}}",
           0, NULL);
    expect("{\"type\":\"GET_METRICS\",\"get_metrics\":null}", 0, NULL);
    expect("{\"type\":\"GET_METRICS\",\"get_metrics\":{\"timeout\":{}}}", 400,
           "get_metrics.timeout.nanoseconds");
    expect("{\"type\":\"GET_METRICS\",\"get_metrics\":{\"timeout\":"
           "{\"nanoseconds\":\"5s\"}}}",
           400, "must be an integer");
    expect("{\"type\":\"GET_METRICS\",\"get_metrics\":7}", 400,
           "'get_metrics' to be an object");
}

static void
test_set_logging_level(void **state)
{
    (void)state;
    struct agent_call c;
    assert_int_equal(decode("{\"type\":\"SET_LOGGING_LEVEL\","
                            "\"set_logging_level\":{\"level\":2,"
                            "\"duration\":{\"nanoseconds\":1500000000}}}",
                            &c),
                     0);
    assert_int_equal(c.type, AGENT_CALL_SET_LOGGING_LEVEL);
    assert_int_equal(c.level, 2);
    assert_true(c.duration_secs > 1.49 && c.duration_secs < 1.51);
    agent_call_fini(&c);
    expect("{\"type\":\"SET_LOGGING_LEVEL\"}", 400,
           "Expecting 'set_logging_level' to be present");
    expect("{\"type\":\"SET_LOGGING_LEVEL\",\"set_logging_level\":"
           "{\"duration\":{\"nanoseconds\":1}}}",
           400, "set_logging_level.level");
    expect("{\"type\":\"SET_LOGGING_LEVEL\",\"set_logging_level\":"
           "{\"level\":-1,\"duration\":{\"nanoseconds\":1}}}",
           400, "unsigned integer");
    expect("{\"type\":\"SET_LOGGING_LEVEL\",\"set_logging_level\":"
           "{\"level\":1.5,\"duration\":{\"nanoseconds\":1}}}",
           400, "unsigned integer");
    expect("{\"type\":\"SET_LOGGING_LEVEL\",\"set_logging_level\":"
           "{\"level\":1}}",
           400, "set_logging_level.duration.nanoseconds");
}

static void
test_bad_envelopes(void **state)
{
    (void)state;
    expect("", 400, "Failed to parse");
    expect("{", 400, "Failed to parse");
    expect("[]", 400, "JSON object");
    expect("{}", 400, "Expecting 'type' to be present");
    expect("{\"type\":null}", 400, "Expecting 'type' to be present");
    expect("{\"type\":3}", 400, "string");
    expect("{\"type\":\"\"}", 400, "name a call");
    expect("{\"type\":\"get_health\"}", 400, "Unknown call type 'get_health'");
    expect("{\"type\":\"NO_SUCH_CALL\"}", 400,
           "Unknown call type 'NO_SUCH_CALL'");
    /* A master-only call is not an agent call. */
    expect("{\"type\":\"GET_AGENTS\"}", 400, "GET_AGENTS");
    char big[200];
    memset(big, 'A', sizeof(big));
    memcpy(big, "{\"type\":\"", 9);
    memcpy(big + sizeof(big) - 3, "\"}", 3);
    expect(big, 400, "name a call");
}

static void
test_unimplemented_calls(void **state)
{
    (void)state;
    expect("{\"type\":\"UNKNOWN\"}", 501, "UNKNOWN");
    expect("{\"type\":\"GET_OPERATIONS\"}", 501, "GET_OPERATIONS");
    expect("{\"type\":\"PRUNE_IMAGES\"}", 501, NULL);
    /* Validation comes first: a body the call needs is still checked. */
    expect("{\"type\":\"LIST_FILES\"}", 400,
           "Expecting 'list_files' to be present");
    expect("{\"type\":\"LIST_FILES\",\"list_files\":{\"path\":\"/x\"}}", 501,
           "LIST_FILES");
    /* Every call the list names decodes to 501 given its body. */
    for (const char *const *n = agent_call_unimplemented(); *n; n++) {
        char body[256], key[64];
        size_t i = 0;
        for (; (*n)[i] && i + 1 < sizeof(key); i++)
            key[i] = (char)((*n)[i] >= 'A' && (*n)[i] <= 'Z' ? (*n)[i] + 32
                                                             : (*n)[i]);
        key[i] = '\0';
        snprintf(body, sizeof(body), "{\"type\":\"%s\",\"%s\":{}}", *n, key);
        expect(body, 501, *n);
    }
}

static void
test_prometheus_text(void **state)
{
    (void)state;
    json_t *o = json_pack("{s:f, s:i, s:s, s:f}", "slave/tasks_running", 2.0,
                          "slave/tasks_finished", 7, "note", "skipped",
                          "9lives/x-y", 0.5);
    static const char *const counters[] = {"slave/tasks_finished"};
    struct cr_buf b;
    cr_buf_init(&b, 4096);
    assert_int_equal(cr_metrics_prometheus(o, counters, 1, &b), 0);
    assert_string_equal(b.data, "# TYPE slave_tasks_running gauge\n"
                                "slave_tasks_running 2\n"
                                "# TYPE slave_tasks_finished counter\n"
                                "slave_tasks_finished 7\n"
                                "# TYPE _9lives_x_y gauge\n"
                                "_9lives_x_y 0.5\n");
    cr_buf_fini(&b);
    /* A full buffer is an error, not an overflow. */
    cr_buf_init(&b, 16);
    assert_true(cr_metrics_prometheus(o, counters, 1, &b) < 0);
    assert_true(b.len <= 16);
    cr_buf_fini(&b);
    json_decref(o);

    json_t *sys = json_object();
    cr_metrics_system(sys);
    assert_true(json_number_value(json_object_get(sys, "system/cpus_total")) >=
                1);
    assert_non_null(json_object_get(sys, "system/mem_total_bytes"));
    json_decref(sys);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_implemented_calls),
        cmocka_unit_test(test_get_metrics_timeout),
        cmocka_unit_test(test_set_logging_level),
        cmocka_unit_test(test_bad_envelopes),
        cmocka_unit_test(test_unimplemented_calls),
        cmocka_unit_test(test_prometheus_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
