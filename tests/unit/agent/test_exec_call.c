/* SPDX-License-Identifier: Apache-2.0
 *
 * test_exec_call.c: decoding and validation of executor API calls.
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

#include "agent/exec_call.h"

#define UUID "AAECAwQFBgcICQoLDA0ODw=="
#define IDS                                                                    \
    "\"framework_id\":{\"value\":\"F\"},\"executor_id\":{\"value\":\"E\"}"

static int
decode(const char *body, struct exec_call *c)
{
    char err[256];
    int rc = exec_call_decode(body, strlen(body), c, err, sizeof(err));
    if (rc != 0)
        assert_true(strlen(err) > 0);
    return rc;
}

static char *
update(const char *status_fields)
{
    static char buf[1024];
    snprintf(buf, sizeof(buf),
             "{\"type\":\"UPDATE\"," IDS ",\"update\":{\"status\":{"
             "\"task_id\":{\"value\":\"t\"}%s}}}",
             status_fields);
    return buf;
}

static void
test_valid_calls(void **state)
{
    struct exec_call c;
    assert_int_equal(decode(update(",\"state\":\"TASK_RUNNING\",\"source\":"
                                   "\"SOURCE_EXECUTOR\",\"uuid\":\"" UUID
                                   "\",\"executor_id\":{\"value\":\"E\"}"),
                            &c),
                     0);
    assert_int_equal(c.type, EXEC_CALL_UPDATE);
    assert_string_equal(c.fw_id, "F");
    assert_string_equal(c.exec_id, "E");
    assert_non_null(c.status);
    exec_call_fini(&c);

    assert_int_equal(decode("{\"type\":\"SUBSCRIBE\"," IDS
                            ",\"subscribe\":{\"unacknowledged_tasks\":[{"
                            "\"task_id\":{\"value\":\"t\"}}],"
                            "\"unacknowledged_updates\":[{\"status\":{"
                            "\"task_id\":{\"value\":\"t\"},\"state\":"
                            "\"TASK_RUNNING\",\"source\":\"SOURCE_EXECUTOR\","
                            "\"uuid\":\"" UUID "\"}}]}}",
                            &c),
                     0);
    assert_int_equal(c.type, EXEC_CALL_SUBSCRIBE);
    assert_int_equal(json_array_size(c.unacked_tasks), 1);
    assert_int_equal(json_array_size(c.unacked_updates), 1);
    exec_call_fini(&c);

    assert_int_equal(decode("{\"type\":\"SUBSCRIBE\"," IDS "}", &c), 0);
    assert_null(c.unacked_tasks);
    exec_call_fini(&c);

    assert_int_equal(decode("{\"type\":\"MESSAGE\"," IDS
                            ",\"message\":{\"data\":\"aGk=\"}}",
                            &c),
                     0);
    assert_string_equal(c.data, "aGk=");
    exec_call_fini(&c);

    /* HEARTBEAT is answered before any validation. */
    assert_int_equal(decode("{\"type\":\"HEARTBEAT\"}", &c), 0);
    assert_int_equal(c.type, EXEC_CALL_HEARTBEAT);
    exec_call_fini(&c);
}

static void
test_invalid_updates(void **state)
{
    struct exec_call c;
    /* no uuid */
    assert_int_equal(decode(update(",\"state\":\"TASK_RUNNING\",\"source\":"
                                   "\"SOURCE_EXECUTOR\""),
                            &c),
                     400);
    /* uuid of 5 bytes */
    assert_int_equal(decode(update(",\"state\":\"TASK_RUNNING\",\"source\":"
                                   "\"SOURCE_EXECUTOR\",\"uuid\":\"aGVsbG8=\""),
                            &c),
                     400);
    /* wrong source */
    assert_int_equal(decode(update(",\"state\":\"TASK_RUNNING\",\"source\":"
                                   "\"SOURCE_MASTER\",\"uuid\":\"" UUID "\""),
                            &c),
                     400);
    /* TASK_STAGING */
    assert_int_equal(decode(update(",\"state\":\"TASK_STAGING\",\"source\":"
                                   "\"SOURCE_EXECUTOR\",\"uuid\":\"" UUID "\""),
                            &c),
                     400);
    /* unknown state */
    assert_int_equal(decode(update(",\"state\":\"TASK_WHATEVER\",\"source\":"
                                   "\"SOURCE_EXECUTOR\",\"uuid\":\"" UUID "\""),
                            &c),
                     400);
    /* executor id mismatch */
    assert_int_equal(decode(update(",\"state\":\"TASK_RUNNING\",\"source\":"
                                   "\"SOURCE_EXECUTOR\",\"uuid\":\"" UUID
                                   "\",\"executor_id\":{\"value\":\"X\"}"),
                            &c),
                     400);
    /* no status at all */
    assert_int_equal(decode("{\"type\":\"UPDATE\"," IDS "}", &c), 400);
}

static void
test_invalid_envelopes(void **state)
{
    struct exec_call c;
    assert_int_equal(decode("", &c), 400);
    assert_int_equal(decode("{", &c), 400);
    assert_int_equal(decode("[]", &c), 400);
    assert_int_equal(decode("{\"type\":3}", &c), 400);
    assert_int_equal(decode("{\"type\":\"SUBSCRIBE\"}", &c), 400);
    assert_int_equal(decode("{\"type\":\"SUBSCRIBE\",\"framework_id\":"
                            "{\"value\":\"F\"}}",
                            &c),
                     400);
    assert_int_equal(decode("{\"type\":\"TELEPORT\"," IDS "}", &c), 501);
    assert_int_equal(decode("{\"type\":\"MESSAGE\"," IDS "}", &c), 400);
    assert_int_equal(decode("{\"type\":\"MESSAGE\"," IDS
                            ",\"message\":{\"data\":\"!!!!\"}}",
                            &c),
                     400);
    assert_int_equal(decode("{\"type\":\"SUBSCRIBE\"," IDS
                            ",\"subscribe\":{\"unacknowledged_tasks\":{}}}",
                            &c),
                     400);
    assert_int_equal(decode("{\"type\":\"SUBSCRIBE\"," IDS
                            ",\"subscribe\":{\"unacknowledged_tasks\":[{}]}}",
                            &c),
                     400);
    assert_int_equal(decode("{\"type\":\"SUBSCRIBE\"," IDS
                            ",\"subscribe\":{\"unacknowledged_updates\":"
                            "[{\"status\":{}}]}}",
                            &c),
                     400);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_calls),
        cmocka_unit_test(test_invalid_updates),
        cmocka_unit_test(test_invalid_envelopes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
