/* SPDX-License-Identifier: Apache-2.0
 *
 * test_call_validate.c: the master's structural validation of scheduler
 * and agent calls, on good and bad input.
 */
/* cmocka.h needs these first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/json.h"
#include "master/call_validate.h"

#include <string.h>

static int
check(int (*fn)(const json_t *, char *, size_t), const char *text, char *err,
      size_t errlen)
{
    char perr[256];
    json_t *v = cr_json_parse(text, strlen(text), perr, sizeof(perr));
    assert_non_null(v);
    int rc = fn(v, err, errlen);
    json_decref(v);
    return rc;
}

#define SCHED_OK(text)                                                         \
    do {                                                                       \
        char e[256] = "";                                                      \
        int rc_ = check(scheduler_call_validate, text, e, sizeof(e));          \
        if (rc_ != 0)                                                          \
            fail_msg("expected valid, got: %s", e);                            \
    } while (0)

#define SCHED_BAD(text, needle)                                                \
    do {                                                                       \
        char e[256] = "";                                                      \
        assert_int_equal(check(scheduler_call_validate, text, e, sizeof(e)),   \
                         -1);                                                  \
        if (strstr(e, needle) == NULL)                                         \
            fail_msg("message '%s' lacks '%s'", e, needle);                    \
    } while (0)

static void
test_scheduler_good_calls(void **state)
{
    (void)state;
    SCHED_OK("{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"framework_info\":"
             "{\"user\":\"u\",\"name\":\"n\"}}}");
    SCHED_OK("{\"type\":\"ACCEPT\",\"framework_id\":{\"value\":\"F\"},"
             "\"accept\":{\"offer_ids\":[{\"value\":\"O\"}],\"operations\":"
             "[{\"type\":\"LAUNCH\",\"launch\":{\"task_infos\":[{\"name\":"
             "\"t\",\"task_id\":{\"value\":\"t\"},\"agent_id\":{\"value\":"
             "\"A\"},\"resources\":[]}]}}]}}");
    SCHED_OK("{\"type\":\"ACKNOWLEDGE\",\"acknowledge\":{\"agent_id\":"
             "{\"value\":\"A\"},\"task_id\":{\"value\":\"t\"},\"uuid\":"
             "\"AAAAAAAAAAAAAAAAAAAAAA==\"}}");
    SCHED_OK("{\"type\":\"RECONCILE\",\"reconcile\":{}}");
    SCHED_OK("{\"type\":\"REVIVE\"}");
    SCHED_OK("{\"type\":\"SUPPRESS\",\"suppress\":{\"roles\":[\"a\"]}}");
    /* Unknown call types pass validation: the handler answers 501. */
    SCHED_OK("{\"type\":\"SOMETHING_NEW\"}");
}

static void
test_scheduler_bad_calls(void **state)
{
    (void)state;
    SCHED_BAD("[]", "JSON object");
    SCHED_BAD("{}", "'type'");
    SCHED_BAD("{\"type\":7}", "'type'");
    SCHED_BAD("{\"type\":\"SUBSCRIBE\"}", "'subscribe'");
    SCHED_BAD("{\"type\":\"REVIVE\",\"framework_id\":\"F\"}", "framework_id");
    SCHED_BAD("{\"type\":\"ACCEPT\",\"accept\":{\"offer_ids\":[1]}}",
              "offer_ids");
    SCHED_BAD("{\"type\":\"ACCEPT\",\"accept\":{\"offer_ids\":[],"
              "\"operations\":[{\"type\":\"LAUNCH\"}]}}",
              "launch");
    SCHED_BAD("{\"type\":\"ACCEPT\",\"accept\":{\"offer_ids\":[],"
              "\"operations\":[{\"type\":\"LAUNCH\",\"launch\":{"
              "\"task_infos\":[{\"name\":\"t\"}]}}]}}",
              "task_id");
    SCHED_BAD("{\"type\":\"KILL\",\"kill\":{}}", "kill.task_id");
    SCHED_BAD("{\"type\":\"ACKNOWLEDGE\",\"acknowledge\":{\"agent_id\":"
              "{\"value\":\"A\"},\"task_id\":{\"value\":\"t\"},\"uuid\":"
              "\"short\"}}",
              "uuid");
    SCHED_BAD("{\"type\":\"RECONCILE\",\"reconcile\":{\"tasks\":[{}]}}",
              "task_id");
    SCHED_BAD("{\"type\":\"SUPPRESS\",\"suppress\":{\"roles\":[1]}}", "roles");
    SCHED_BAD("{\"type\":\"DECLINE\",\"decline\":{\"offer_ids\":"
              "[{\"value\":\"\"}]}}",
              "offer_ids");
}

static void
test_agent_calls(void **state)
{
    char e[256];
    (void)state;
    assert_int_equal(
        check(agent_call_validate,
              "{\"type\":\"SUBSCRIBE\",\"subscribe\":{\"agent_info\":"
              "{\"hostname\":\"h\",\"port\":5051}}}",
              e, sizeof(e)),
        0);
    assert_int_equal(
        check(agent_call_validate,
              "{\"type\":\"UPDATE\",\"agent_id\":{\"value\":\"A\"},"
              "\"update\":{\"framework_id\":{\"value\":\"F\"},\"status\":{"
              "\"task_id\":{\"value\":\"t\"},\"state\":\"TASK_RUNNING\","
              "\"uuid\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}}}",
              e, sizeof(e)),
        0);
    assert_int_equal(check(agent_call_validate,
                           "{\"type\":\"UPDATE\",\"agent_id\":{\"value\":"
                           "\"A\"},\"update\":{}}",
                           e, sizeof(e)),
                     -1);
    assert_int_equal(check(agent_call_validate,
                           "{\"type\":\"SUBSCRIBE\",\"subscribe\":{"
                           "\"agent_info\":{},\"tasks\":{}}}",
                           e, sizeof(e)),
                     -1);
    assert_int_equal(check(agent_call_validate,
                           "{\"type\":\"BOGUS\",\"agent_id\":{\"value\":"
                           "\"A\"}}",
                           e, sizeof(e)),
                     -1);
    assert_non_null(strstr(e, "Unknown"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scheduler_good_calls),
        cmocka_unit_test(test_scheduler_bad_calls),
        cmocka_unit_test(test_agent_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
