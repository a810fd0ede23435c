/* SPDX-License-Identifier: Apache-2.0
 *
 * test_opfmt.c: the pure half of `corral state/weights/quota`
 * (src/cli/opfmt.c): task states, v1 scalar sums, the state summary, the
 * weights and quota tables, and the UPDATE_WEIGHTS / UPDATE_QUOTA bodies
 * built from command-line words. Also the operator field names
 * (src/cli/operator.c).
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

#include "cli/operator.h"
#include "cli/opfmt.h"
#include "cli_test.h"

static void
test_task_states(void **state)
{
    (void)state;
    assert_string_equal(cli_task_states[cli_task_state_index("TASK_RUNNING")],
                        "TASK_RUNNING");
    assert_string_equal(cli_task_states[cli_task_state_index("bogus")],
                        "TASK_UNKNOWN");
    assert_string_equal(cli_task_states[cli_task_state_index(NULL)],
                        "TASK_UNKNOWN");
    assert_false(cli_task_state_is_terminal(
        cli_task_state_index("TASK_UNREACHABLE"))); /* may come back */
    assert_false(
        cli_task_state_is_terminal(cli_task_state_index("TASK_KILLING")));
    assert_true(
        cli_task_state_is_terminal(cli_task_state_index("TASK_FINISHED")));
    assert_true(cli_task_state_is_terminal(
        cli_task_state_index("TASK_GONE_BY_OPERATOR")));
    assert_true(cli_task_state_is_terminal(cli_task_state_index("TASK_LOST")));
}

static void
test_v1_scalar(void **state)
{
    (void)state;
    json_t *r = jq("[{'name':'cpus','type':'SCALAR','scalar':{'value':0.1}},"
                   " {'name':'cpus','type':'SCALAR','scalar':{'value':0.2}},"
                   " {'name':'mem','type':'SCALAR','scalar':{'value':32}},"
                   " {'name':'ports','type':'RANGES','ranges':{}},"
                   " {'name':'cpus','scalar':{'value':-5}}, 7]");
    assert_true(cli_v1_scalar(r, "cpus") == 0.3);
    assert_true(cli_v1_scalar(r, "mem") == 32);
    assert_true(cli_v1_scalar(r, "disk") == 0);
    assert_true(cli_v1_scalar(NULL, "cpus") == 0);
    json_decref(r);
}

static void
test_state_summary(void **state)
{
    (void)state;
    json_t *st =
        jq("{'get_agents':{'agents':["
           "  {'agent_info':{'id':{'value':'S0'}},'active':true,"
           "   'total_resources':[{'name':'cpus','scalar':{'value':4}},"
           "                      {'name':'mem','scalar':{'value':1024}}],"
           "   'allocated_resources':[{'name':'cpus','scalar':{'value':0.5}}]},"
           "  {'agent_info':{'id':{'value':'S1'}},'active':false,"
           "   'total_resources':[{'name':'cpus','scalar':{'value':2}},"
           "                      {'name':'gpus','scalar':{'value':1}}]}]},"
           " 'get_frameworks':{'frameworks':[{'active':true},{'active':false}],"
           "   'completed_frameworks':[{}]},"
           " 'get_executors':{'executors':[{}]},"
           " 'get_tasks':{'tasks':[{'state':'TASK_RUNNING'},"
           "   {'state':'TASK_RUNNING'},{'state':'TASK_FINISHED'}],"
           "   'completed_tasks':[{'state':'TASK_FAILED'}],"
           "   'unreachable_tasks':[{'state':'TASK_UNREACHABLE'}]}}");
    struct cr_buf b;
    cr_buf_init(&b, 1 << 16);
    assert_int_equal(cli_state_summary(st, "127.0.0.1:5050", &b), 0);
    assert_string_equal(b.data, "master       127.0.0.1:5050\n"
                                "agents       2 (1 active)\n"
                                "cpus         0.5/6\n"
                                "mem          0/1024\n"
                                "disk         0/0\n"
                                "gpus         0/1\n"
                                "frameworks   2 (1 active, 1 inactive, 1 "
                                "completed)\n"
                                "executors    1\n"
                                "tasks        5\n"
                                "  TASK_RUNNING           2\n"
                                "  TASK_UNREACHABLE       1\n"
                                "  TASK_FINISHED          1\n"
                                "  TASK_FAILED            1\n");
    cr_buf_reset(&b);
    /* An empty answer still summarises (zeros), without a master line. */
    json_t *empty = json_object();
    assert_int_equal(cli_state_summary(empty, NULL, &b), 0);
    assert_non_null(strstr(b.data, "agents       0 (0 active)\n"));
    assert_null(strstr(b.data, "master"));
    json_decref(empty);
    cr_buf_fini(&b);
    json_decref(st);
}

static void
test_weights_table(void **state)
{
    (void)state;
    json_t *w = jq("{'weight_infos':[{'role':'a','weight':2.5},"
                   "{'role':'b/c','weight':1}]}");
    struct cli_table t;
    cli_weights_table(w, &t);
    char *s = render(&t);
    assert_string_equal(s, "ROLE  WEIGHT\na     2.5\nb/c   1\n");
    free(s);
    json_decref(w);
}

static void
test_weights_parse(void **state)
{
    (void)state;
    char err[256];
    const char *ok[] = {"a=2", "b/c=0.5", "x=y=3"};
    json_t *infos = cli_weights_parse(ok, 3, err, sizeof(err));
    assert_non_null(infos);
    json_t *want = jq("[{'role':'a','weight':2.0},{'role':'b/c','weight':0.5},"
                      "{'role':'x=y','weight':3.0}]");
    assert_true(json_equal(infos, want));
    json_decref(want);
    json_decref(infos);

    const char *bad[][1] = {{"a"},   {"=2"},    {"a=0"}, {"a=-1"},
                            {"a=x"}, {"a=inf"}, {"a="}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_null(cli_weights_parse(bad[i], 1, err, sizeof(err)));
        assert_non_null(strstr(err, bad[i][0]));
    }
    const char *dup[] = {"a=1", "a=2"};
    assert_null(cli_weights_parse(dup, 2, err, sizeof(err)));
    assert_non_null(strstr(err, "twice"));
    assert_null(cli_weights_parse(dup, 0, err, sizeof(err)));
}

static void
test_quota_table(void **state)
{
    (void)state;
    json_t *q = jq("{'status':{'configs':["
                   " {'role':'dev','guarantees':{'cpus':{'value':2},"
                   "  'mem':{'value':1024}},'limits':{'cpus':{'value':4}}},"
                   " {'role':'ops','limits':{'mem':{'value':512.5}}}],"
                   " 'infos':[{'role':'ignored'}]}}");
    struct cli_table t;
    cli_quota_table(q, &t);
    char *s = render(&t);
    assert_string_equal(s, "ROLE  GUARANTEES       LIMITS\n"
                           "dev   cpus:2;mem:1024  cpus:4\n"
                           "ops   -                mem:512.5\n");
    free(s);
    json_decref(q);
    /* An older master: only infos with guarantee resources. */
    q = jq("{'status':{'infos':[{'role':'r','guarantee':["
           " {'name':'cpus','type':'SCALAR','scalar':{'value':1}},"
           " {'name':'cpus','type':'SCALAR','scalar':{'value':1}}]}]}}");
    cli_quota_table(q, &t);
    s = render(&t);
    assert_string_equal(s, "ROLE  GUARANTEES  LIMITS\nr     cpus:2      -\n");
    free(s);
    json_decref(q);
}

static void
test_quota_config(void **state)
{
    (void)state;
    char err[256];
    json_t *c = cli_quota_config_new("dev", "cpus:2;mem:1024", "cpus:4", err,
                                     sizeof(err));
    json_t *want =
        jq("{'role':'dev','guarantees':{'cpus':{'value':2.0},"
           "'mem':{'value':1024.0}},'limits':{'cpus':{'value':4.0}}}");
    assert_true(json_equal(c, want));
    json_decref(c);
    json_decref(want);
    c = cli_quota_config_new("dev", NULL, NULL, err, sizeof(err));
    want = jq("{'role':'dev','guarantees':{},'limits':{}}");
    assert_true(json_equal(c, want));
    json_decref(c);
    json_decref(want);
    assert_null(cli_quota_config_new("", "cpus:1", NULL, err, sizeof(err)));
    assert_null(cli_quota_config_new("r", "cpus:x", NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "--guarantee"));
    assert_null(
        cli_quota_config_new("r", NULL, "ports:[1-2]", err, sizeof(err)));
    assert_non_null(strstr(err, "--limit"));
}

static void
test_field_name(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(
        cli_op_field_name("GET_MAINTENANCE_STATUS", b, sizeof(b)),
        "get_maintenance_status");
    char small[4];
    assert_string_equal(cli_op_field_name("GET_STATE", small, sizeof(small)),
                        "get");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_states),
        cmocka_unit_test(test_v1_scalar),
        cmocka_unit_test(test_state_summary),
        cmocka_unit_test(test_weights_table),
        cmocka_unit_test(test_weights_parse),
        cmocka_unit_test(test_quota_table),
        cmocka_unit_test(test_quota_config),
        cmocka_unit_test(test_field_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
