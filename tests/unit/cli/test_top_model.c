/* SPDX-License-Identifier: Apache-2.0
 *
 * test_top_model.c: `corral top`'s model of the operator event stream
 * (src/cli/top_model.c): the SUBSCRIBED snapshot, task/agent/framework
 * events, resources used per agent and framework, per-state counts across
 * evictions, malformed events, and the rendering cut to a screen.
 */
/* cmocka.h needs the headers before it. */
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

#include "base/buf.h"
#include "cli/top_model.h"
#include "cli_test.h"

static bool
apply(struct top_model *m, const char *text)
{
    json_t *ev = jq(text);
    bool changed = top_model_apply(m, ev);
    json_decref(ev);
    return changed;
}

static char *
view(struct top_model *m, size_t width, size_t height)
{
    struct top_view v = {.title = "TITLE", .width = width, .height = height};
    struct cr_buf b;
    cr_buf_init(&b, 1 << 20);
    assert_int_equal(top_model_render(m, &v, &b), 0);
    return cr_buf_steal(&b);
}

static void
assert_has(const char *text, const char *want)
{
    if (strstr(text, want) == NULL)
        fail_msg("no '%s' in:\n%s", want, text);
}

#define RES(c, m)                                                              \
    "[{'name':'cpus','type':'SCALAR','scalar':{'value':" #c "}},"              \
    "{'name':'mem','type':'SCALAR','scalar':{'value':" #m "}}]"

#define TASK(id, fw, agent, state, c, m)                                       \
    "{'task_id':{'value':'" id "'},'framework_id':{'value':'" fw "'},"         \
    "'agent_id':{'value':'" agent "'},'name':'n-" id "','state':'" state       \
    "','resources':" RES(c, m) "}"

static const char *subscribed =
    "{'type':'SUBSCRIBED','subscribed':{'heartbeat_interval_seconds':15,"
    "'get_state':{"
    " 'get_agents':{'agents':["
    "  {'agent_info':{'id':{'value':'S0'},'hostname':'h0','port':5051},"
    "   'active':true,'total_resources':" RES(
        4,
        1024) "},"
              "  "
              "{'agent_info':{'id':{'value':'S1'},'hostname':'h1','port':5052},"
              "   'active':false,'total_resources':" RES(
                  2,
                  512) "}]},"
                       " 'get_frameworks':{'frameworks':["
                       "  "
                       "{'framework_info':{'id':{'value':'F1'},'name':'spark','"
                       "user':'al'},"
                       "   'active':true,'connected':true}],"
                       "  'completed_frameworks':[{},{}]},"
                       " 'get_tasks':{"
                       "  'tasks':[" TASK(
                           "t1", "F1", "S0", "TASK_RUNNING", 1,
                           100) "," TASK("t2", "F1", "S1", "TASK_STAGING", 0.5,
                                         50) "," TASK("t3", "F1", "S0",
                                                      "TASK_FINISHED", 1,
                                                      1) "],"
                                                         "  "
                                                         "'completed_tasks':"
                                                         "[" TASK("t0", "F1",
                                                                  "S0",
                                                                  "TASK_FAILED",
                                                                  9, 9) "]}"
                                                                        "}}}";

static void
test_snapshot(void **state)
{
    (void)state;
    struct top_model *m = top_model_new();
    assert_false(top_model_ready(m));
    assert_true(apply(m, subscribed));
    assert_true(top_model_ready(m));
    assert_true(top_model_heartbeat(m) == 15);
    assert_false(apply(m, "{'type':'HEARTBEAT'}"));
    char *s = view(m, 0, 0);
    assert_string_equal(
        s, "TITLE\n"
           "agents 2 (1 active)   frameworks 1 (2 completed)   tasks 2 live\n"
           "used/total   cpus 1.5/6   mem 150/1536   disk 0/0\n"
           "tasks live   STAGING 1  STARTING 0  RUNNING 1  KILLING 0\n"
           "tasks ended  FINISHED 1  FAILED 1  KILLED 0  LOST 0\n"
           "\n"
           "AGENTS (2)\n"
           "ID  HOSTNAME  PORT  ACTIVE  TASKS  CPUS   MEM       DISK\n"
           "S0  h0        5051  true    1      1/4    100/1024  0/0\n"
           "S1  h1        5052  false   1      0.5/2  50/512    0/0\n"
           "\n"
           "FRAMEWORKS (1)\n"
           "ID  NAME   USER  ACTIVE  CONNECTED  TASKS  CPUS  MEM\n"
           "F1  spark  al    true    true       2      1.5   150\n"
           "\n"
           "TASKS (2 live)\n"
           "ID  FRAMEWORK  AGENT  STATE         NAME\n"
           "t1  F1         S0     TASK_RUNNING  n-t1\n"
           "t2  F1         S1     TASK_STAGING  n-t2\n");
    free(s);
    top_model_free(m);
}

static void
test_events(void **state)
{
    (void)state;
    struct top_model *m = top_model_new();
    apply(m, subscribed);
    /* A new task, then t1 and t2 change state; t2 finishes: its resources
     * are released. */
    assert_true(apply(m, "{'type':'TASK_ADDED','task_added':{'task':" TASK(
                             "t4", "F2", "S0", "TASK_STAGING", 2, 200) "}}"));
    apply(m, "{'type':'TASK_UPDATED','task_updated':{'framework_id':{'value':"
             "'F1'},'status':{'task_id':{'value':'t2'},'state':'TASK_RUNNING'},"
             "'state':'TASK_FINISHED'}}");
    apply(m, "{'type':'TASK_UPDATED','task_updated':{'framework_id':{'value':"
             "'F2'},'status':{'task_id':{'value':'t4'},'state':"
             "'TASK_RUNNING'}}}");
    /* An update of a task never added still counts. */
    apply(m, "{'type':'TASK_UPDATED','task_updated':{'framework_id':{'value':"
             "'F9'},'status':{'task_id':{'value':'x'},'agent_id':{'value':"
             "'S1'}},'state':'TASK_KILLED'}}");
    apply(m, "{'type':'FRAMEWORK_ADDED','framework_added':{'framework':{"
             "'framework_info':{'id':{'value':'F2'},'name':'two','user':'u'},"
             "'active':true,'connected':false}}}");
    apply(m, "{'type':'AGENT_ADDED','agent_added':{'agent':{'agent_info':{"
             "'id':{'value':'S2'},'hostname':'h2','port':1},'active':true,"
             "'total_resources':" RES(8, 8) "}}}");
    char *s = view(m, 0, 0);
    assert_has(s, "agents 3 (2 active)   frameworks 2 (2 completed)   "
                  "tasks 2 live\n");
    assert_has(s, "used/total   cpus 3/14   mem 300/1544   disk 0/0\n");
    assert_has(s, "tasks live   STAGING 0  STARTING 0  RUNNING 2  KILLING 0\n");
    assert_has(s, "tasks ended  FINISHED 2  FAILED 1  KILLED 1  LOST 0\n");
    assert_has(s, "S0  h0        5051  true    2      3/4");
    assert_has(s, "S1  h1        5052  false   0      0/2");
    assert_has(s, "F2  two    u     true    false      1      2     200\n");
    assert_has(s, "t4  F2         S0     TASK_RUNNING  n-t4\n");
    free(s);

    apply(m, "{'type':'AGENT_REMOVED','agent_removed':{'agent_id':{'value':"
             "'S1'}}}");
    apply(m, "{'type':'FRAMEWORK_REMOVED','framework_removed':{"
             "'framework_info':{'id':{'value':'F1'}}}}");
    apply(m, "{'type':'FRAMEWORK_UPDATED','framework_updated':{'framework':{"
             "'framework_info':{'id':{'value':'F2'},'name':'two','user':'u'},"
             "'active':false,'connected':false}}}");
    s = view(m, 0, 0);
    assert_has(s, "agents 2 (2 active)   frameworks 1 (3 completed)");
    assert_has(s, "F2  two   u     false   false");
    assert_null(strstr(s, "h1"));
    free(s);
    /* A new SUBSCRIBED (a reconnection) starts over. */
    apply(m, subscribed);
    s = view(m, 0, 0);
    assert_has(s, "tasks ended  FINISHED 1  FAILED 1  KILLED 0  LOST 0\n");
    free(s);
    top_model_free(m);
}

static void
test_malformed_events(void **state)
{
    (void)state;
    struct top_model *m = top_model_new();
    const char *bad[] = {
        "{}",
        "{'type':7}",
        "{'type':'SUBSCRIBED'}",
        "{'type':'SUBSCRIBED','subscribed':{'get_state':{'get_agents':"
        "{'agents':[1,{'agent_info':[]},{'agent_info':{'id':{'value':5}}}]},"
        "'get_tasks':{'tasks':{},'completed_tasks':[null,{'task_id':1}]}}}}",
        "{'type':'TASK_ADDED'}",
        "{'type':'TASK_ADDED','task_added':{'task':{'task_id':{'value':'a'}}}}",
        "{'type':'TASK_UPDATED','task_updated':[]}",
        "{'type':'AGENT_ADDED','agent_added':{'agent':{'agent_info':{'id':"
        "{'value':'A'},'port':1e99},'total_resources':'x'}}}",
        "{'type':'AGENT_REMOVED','agent_removed':{}}",
        "{'type':'FRAMEWORK_REMOVED','framework_removed':{'framework_info':"
        "{'id':{'value':'nope'}}}}",
        "{'type':'FRAMEWORK_ADDED','framework_added':{'framework':{"
        "'framework_info':{'id':{'value':'F'},'name':7}}}}",
        "{'type':'TASK_ADDED','task_added':{'task':{'task_id':{'value':'b'},"
        "'framework_id':{'value':'F'},'state':'WHATEVER','resources':[1,{}]}}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        apply(m, bad[i]);
    char *s = view(m, 0, 0);
    assert_has(s, "agents 1 (1 active)"); /* A, port ignored */
    assert_has(s, "tasks 1 live");        /* b, as TASK_UNKNOWN */
    assert_has(s, "UNKNOWN 1");
    free(s);
    top_model_free(m);
}

static void
test_eviction_keeps_counts(void **state)
{
    (void)state;
    struct top_model *m = top_model_new();
    apply(m, subscribed);
    char ev[512];
    size_t n = TOP_MAX_DONE + 50;
    for (size_t i = 0; i < n; i++) {
        snprintf(ev, sizeof(ev),
                 "{\"type\":\"TASK_ADDED\",\"task_added\":{\"task\":{"
                 "\"task_id\":{\"value\":\"d%zu\"},\"framework_id\":{\"value\":"
                 "\"F1\"},\"state\":\"TASK_FINISHED\"}}}",
                 i);
        json_t *e = json_loads(ev, 0, NULL);
        top_model_apply(m, e);
        json_decref(e);
    }
    char *s = view(m, 0, 0);
    char want[128];
    snprintf(want, sizeof(want), "FINISHED %zu ", n + 1);
    assert_has(s, want);
    free(s);
    /* A recent terminal task is still known: its move back is exact. */
    snprintf(ev, sizeof(ev),
             "{\"type\":\"TASK_UPDATED\",\"task_updated\":{\"framework_id\":"
             "{\"value\":\"F1\"},\"status\":{\"task_id\":{\"value\":\"d%zu\"}},"
             "\"state\":\"TASK_RUNNING\"}}",
             n - 1);
    json_t *e = json_loads(ev, 0, NULL);
    top_model_apply(m, e);
    json_decref(e);
    s = view(m, 0, 0);
    snprintf(want, sizeof(want), "FINISHED %zu ", n);
    assert_has(s, want);
    assert_has(s, "RUNNING 2");
    free(s);
    top_model_free(m);
}

static size_t
count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void
test_screen_cut(void **state)
{
    (void)state;
    struct top_model *m = top_model_new();
    apply(m, subscribed);
    char ev[512];
    for (int i = 0; i < 40; i++) {
        snprintf(ev, sizeof(ev),
                 "{\"type\":\"TASK_ADDED\",\"task_added\":{\"task\":{"
                 "\"task_id\":{\"value\":\"r%02d\"},\"framework_id\":"
                 "{\"value\":\"F1\"},\"agent_id\":{\"value\":\"S0\"},"
                 "\"state\":\"TASK_RUNNING\"}}}",
                 i);
        json_t *e = json_loads(ev, 0, NULL);
        top_model_apply(m, e);
        json_decref(e);
    }
    char *s = view(m, 30, 24);
    assert_true(count_lines(s) <= 24);
    assert_has(s, "TASKS (42 live)\n");
    assert_has(s, "... ");
    assert_has(s, " more\n");
    /* Both agents still fit, and no line passes 29 columns. */
    assert_has(s, "\nS0 ");
    assert_has(s, "\nS1 ");
    for (const char *p = s; *p;) {
        size_t len = strcspn(p, "\n");
        assert_true(len <= 29);
        p += len + (p[len] != '\0');
    }
    free(s);
    /* ANSI: home first, clear to end of screen last, no newline after the
     * bottom line. */
    struct top_view v = {.title = "T", .width = 80, .height = 10, .ansi = true};
    struct cr_buf b;
    cr_buf_init(&b, 1 << 20);
    assert_int_equal(top_model_render(m, &v, &b), 0);
    assert_memory_equal(b.data, "\033[H\033[7mT\033[0m\033[K\n", 15);
    assert_true(b.len > 4);
    assert_string_equal(b.data + b.len - 3, "\033[J");
    assert_true(b.data[b.len - 4] != '\n');
    assert_int_equal(count_lines(b.data), 9);
    cr_buf_fini(&b);
    top_model_free(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_snapshot),
        cmocka_unit_test(test_events),
        cmocka_unit_test(test_malformed_events),
        cmocka_unit_test(test_eviction_keeps_counts),
        cmocka_unit_test(test_screen_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
