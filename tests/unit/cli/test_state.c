/* SPDX-License-Identifier: Apache-2.0
 *
 * test_state.c: reading /master/state documents and the ps/agents/
 * frameworks tables (src/cli/state.c), plus the /files/read URL.
 */
/* cmocka.h needs the headers before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include "base/err.h"
#include "cli/http_sync.h"
#include "cli/sandbox.h"
#include "cli/state.h"
#include "cli_test.h"

static const char *state_text =
    "{\"slaves\":["
    " {\"id\":\"S0\",\"hostname\":\"node-a\",\"port\":5051,"
    "  \"pid\":\"slave(1)@127.0.0.1:5051\",\"active\":true,"
    "  \"resources\":{\"cpus\":4,\"mem\":1024,\"disk\":2048},"
    "  \"used_resources\":{\"cpus\":0.1,\"mem\":32,\"disk\":0}},"
    " {\"id\":\"S1\",\"hostname\":\"127.0.0.2\",\"port\":5052,"
    "  \"active\":false,\"resources\":{\"cpus\":2}}],"
    "\"frameworks\":["
    " {\"id\":\"F1\",\"name\":\"spark\",\"user\":\"alice\",\"active\":true,"
    "  \"connected\":true,\"used_resources\":{\"cpus\":0.1,\"mem\":32},"
    "  \"tasks\":[{\"id\":\"t1\",\"name\":\"sleep\",\"framework_id\":\"F1\","
    "   \"executor_id\":\"\",\"slave_id\":\"S0\",\"state\":\"TASK_RUNNING\"}],"
    "  \"completed_tasks\":[{\"id\":\"t0\",\"name\":\"old\","
    "   \"framework_id\":\"F1\",\"executor_id\":\"E0\",\"slave_id\":\"S1\","
    "   \"state\":\"TASK_FINISHED\"},"
    "   {\"id\":\"t1\",\"name\":\"sleep\",\"framework_id\":\"F1\","
    "   \"slave_id\":\"S1\",\"state\":\"TASK_FAILED\"}]}],"
    "\"completed_frameworks\":["
    " {\"id\":\"F0\",\"name\":\"gone\",\"user\":\"bob\",\"tasks\":[],"
    "  \"completed_tasks\":[{\"id\":\"t9\",\"name\":\"x\","
    "   \"framework_id\":\"F0\",\"slave_id\":\"S0\","
    "   \"state\":\"TASK_KILLED\"}]}]}";

static json_t *
load(void)
{
    json_t *s = json_loads(state_text, 0, NULL);
    assert_non_null(s);
    return s;
}

static void
test_agent_addr(void **state)
{
    json_t *s = load();
    struct cr_hostport hp;
    assert_int_equal(cli_state_agent_addr(s, "S0", &hp), 0);
    assert_string_equal(hp.host, "127.0.0.1");
    assert_int_equal(hp.port, 5051);
    /* No pid: hostname and port. */
    assert_int_equal(cli_state_agent_addr(s, "S1", &hp), 0);
    assert_string_equal(hp.host, "127.0.0.2");
    assert_int_equal(hp.port, 5052);
    assert_int_equal(cli_state_agent_addr(s, "S9", &hp), CR_ENOTFOUND);
    assert_int_equal(cli_pid_to_hostport("slave(1)", &hp), CR_EINVAL_INPUT);
    assert_int_equal(cli_pid_to_hostport("slave(1)@", &hp), CR_EINVAL_INPUT);
    assert_int_equal(cli_pid_to_hostport(NULL, &hp), CR_EINVAL_INPUT);
    json_decref(s);
}

static void
test_find_task(void **state)
{
    json_t *s = load();
    struct cli_task_ref t;
    /* The active t1 wins over the completed one of the same id. */
    assert_int_equal(cli_state_find_task(s, "t1", NULL, &t), 0);
    assert_true(t.active);
    assert_string_equal(t.agent_id, "S0");
    assert_string_equal(t.executor_id, "t1"); /* command task */
    assert_string_equal(t.state, "TASK_RUNNING");
    assert_int_equal(cli_state_find_task(s, "t0", NULL, &t), 0);
    assert_false(t.active);
    assert_string_equal(t.executor_id, "E0");
    assert_int_equal(cli_state_find_task(s, "t9", "F0", &t), 0);
    assert_string_equal(t.framework_id, "F0");
    assert_int_equal(cli_state_find_task(s, "t9", "F1", &t), CR_ENOTFOUND);
    assert_int_equal(cli_state_find_task(s, "nope", NULL, &t), CR_ENOTFOUND);
    json_decref(s);
}

static void
test_tables(void **state)
{
    json_t *s = load();
    struct cli_table t;
    cli_state_tasks_table(s, false, &t);
    char *out = render(&t);
    assert_string_equal(out, "ID  FRAMEWORK  AGENT  STATE         NAME\n"
                             "t1  F1         S0     TASK_RUNNING  sleep\n");
    free(out);
    cli_state_tasks_table(s, true, &t);
    out = render(&t);
    assert_string_equal(out, "ID  FRAMEWORK  AGENT  STATE          NAME\n"
                             "t1  F1         S0     TASK_RUNNING   sleep\n"
                             "t0  F1         S1     TASK_FINISHED  old\n"
                             "t1  F1         S1     TASK_FAILED    sleep\n"
                             "t9  F0         S0     TASK_KILLED    x\n");
    free(out);
    cli_state_agents_table(s, &t);
    out = render(&t);
    assert_string_equal(out,
                        "ID  HOSTNAME   PORT  ACTIVE  CPUS   MEM      DISK\n"
                        "S0  node-a     5051  true    0.1/4  32/1024  0/2048\n"
                        "S1  127.0.0.2  5052  false   0/2    0/0      0/0\n");
    free(out);
    cli_state_frameworks_table(s, true, &t);
    out = render(&t);
    assert_string_equal(out, "ID  NAME   USER   ACTIVE  CONNECTED  TASKS  "
                             "CPUS  MEM\n"
                             "F1  spark  alice  true    true       1      "
                             "0.1   32\n"
                             "F0  gone   bob    false   false      0      "
                             "0     0\n");
    free(out);
    json_decref(s);
}

static void
test_json_lists(void **state)
{
    json_t *s = load();
    json_t *a = cli_state_tasks_json(s, false);
    assert_int_equal(json_array_size(a), 1);
    assert_string_equal(
        json_string_value(json_object_get(json_array_get(a, 0), "id")), "t1");
    json_decref(a);
    a = cli_state_tasks_json(s, true);
    assert_int_equal(json_array_size(a), 4);
    json_decref(a);
    a = cli_state_frameworks_json(s, false);
    assert_int_equal(json_array_size(a), 1);
    json_decref(a);
    /* An empty document gives empty lists, not crashes. */
    json_t *empty = json_object();
    a = cli_state_tasks_json(empty, true);
    assert_int_equal(json_array_size(a), 0);
    json_decref(a);
    struct cli_table t;
    cli_state_agents_table(empty, &t);
    assert_int_equal(cli_table_rows(&t), 0);
    cli_table_fini(&t);
    json_decref(empty);
    json_decref(s);
}

static void
test_files_url(void **state)
{
    char *u = sandbox_read_url("/frameworks/F 1/executors/e&x/runs/latest/"
                               "stdout",
                               65536, 4096);
    assert_string_equal(u, "/files/read?path=/frameworks/F%201/executors/"
                           "e%26x/runs/latest/stdout&offset=65536&"
                           "length=4096");
    free(u);
    struct cr_hostport hp = {.host = "::1", .port = 5050};
    char buf[64];
    assert_string_equal(cli_hostport_str(&hp, buf, sizeof(buf)), "[::1]:5050");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agent_addr), cmocka_unit_test(test_find_task),
        cmocka_unit_test(test_tables),     cmocka_unit_test(test_json_lists),
        cmocka_unit_test(test_files_url),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
