/* SPDX-License-Identifier: Apache-2.0
 *
 * test_state_doc.c: the streamed state documents (state_doc.h) against
 * the jansson-tree references, on a small master built in memory:
 *  - /master/state equals state_json() byte for byte, whether written in
 *    one step or in slices of a few entries, with and without JSONP;
 *  - GET_STATE equals {"type":"GET_STATE","get_state":
 *    operator_state_json()};
 *  - /master/frameworks equals the framework_to_v0_json() trees, filtered;
 *  - /master/slaves carries the upstream extra fields, filtered;
 *  - documents stay well-formed while tasks, frameworks and agents are
 *    removed or added between slices (run under ASan in the sanitizer
 *    build: no entry is ever read after it is freed).
 */

/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "master/allocator.h"
#include "master/master.h"
#include "master/operator_api.h"
#include "master/state_doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uv_loop_t loop;
static struct master m;

static void
no_offers(void *data, const char *framework_id, const char *agent_id,
          const char *role, const struct cr_resources *offered)
{
    (void)data;
    (void)framework_id;
    (void)agent_id;
    (void)role;
    (void)offered;
}

static void
parse_res(struct cr_resources *r, const char *text)
{
    char err[256];
    cr_resources_init(r);
    if (cr_resources_parse_text(r, text, NULL, err, sizeof(err)) != 0)
        fail_msg("bad resources %s: %s", text, err);
}

static struct magent *
add_agent(const char *id, const char *host, const char *res, const char *attrs)
{
    struct magent *a = cr_xcalloc(1, sizeof(*a));
    a->master = &m;
    a->id = cr_xstrdup(id);
    a->hostname = cr_xstrdup(host);
    a->port = 5051;
    a->pid = cr_xasprintf("slave(1)@%s:%d", host, a->port);
    parse_res(&a->total, res);
    a->info = json_pack("{s:s, s:i, s:o}", "hostname", host, "port", 5051,
                        "resources", cr_resources_to_json(&a->total, NULL));
    if (attrs)
        json_object_set_new(a->info, "attributes", json_loads(attrs, 0, NULL));
    cr_json_set_id(a->info, "id", id);
    a->state = AGENT_CONNECTED;
    a->registered_time = 1764000000.25;
    HASH_ADD_KEYPTR(hh, m.agents, a->id, strlen(a->id), a);
    allocator_add_agent(m.allocator, a->id, &a->total);
    return a;
}

static struct mframework *
add_framework(const char *id, const char *name, const char *role,
              bool connected)
{
    struct mframework *f = cr_xcalloc(1, sizeof(*f));
    f->master = &m;
    f->id = cr_xstrdup(id);
    f->info =
        json_pack("{s:s, s:s, s:s, s:f, s:b, s:[{s:s}], s:s}", "name", name,
                  "user", "root", "hostname", "sched.example",
                  "failover_timeout", 60.0, "checkpoint", 1, "capabilities",
                  "type", "MULTI_ROLE", "principal", "ops");
    cr_json_set_id(f->info, "id", id);
    f->roles = cr_xcalloc(1, sizeof(char *));
    f->roles[0] = cr_xstrdup(role);
    f->n_roles = 1;
    f->state = connected ? FRAMEWORK_CONNECTED : FRAMEWORK_DISCONNECTED;
    f->failover_timeout = 60;
    f->registered_time = 1764000001.5;
    f->reregistered_time = connected ? 1764000002.75 : 0;
    f->unregistered_time = connected ? 0 : 1764000003.125;
    f->completed_tasks = json_array();
    HASH_ADD_KEYPTR(hh, m.frameworks, f->id, strlen(f->id), f);
    const char *roles[1] = {role};
    allocator_add_framework(m.allocator, f->id, roles, 1, NULL, 0, connected);
    return f;
}

static struct mtask *
add_task(struct mframework *f, struct magent *a, const char *tid,
         const char *res, enum task_state st, bool executor, bool labels)
{
    json_t *info =
        json_pack("{s:s, s:{s:s}}", "name", tid, "task_id", "value", tid);
    if (executor)
        json_object_set_new(info, "executor",
                            json_pack("{s:{s:s}, s:{s:s}, s:s}", "executor_id",
                                      "value", "exec-1", "command", "value",
                                      "run-it", "name", "custom"));
    if (labels)
        json_object_set_new(info, "labels",
                            json_pack("{s:[{s:s, s:s}]}", "labels", "key",
                                      "team", "value", "caf\xc3\xa9 \"q\""));
    struct cr_resources r;
    parse_res(&r, res);
    allocator_add_allocation(m.allocator, f->id, a->id, f->roles[0], &r);
    struct mtask *t = task_add(&m, f, a, info, f->roles[0], &r, st);
    json_decref(info);
    cr_resources_fini(&r);
    return t;
}

static void
update(struct mtask *t, const char *state, double ts)
{
    json_t *s = json_pack("{s:{s:s}, s:s, s:s, s:f, s:{s:[{s:[{s:s}]}]}}",
                          "task_id", "value", t->task_id, "state", state,
                          "uuid", "AAAAAAAAAAAAAAAAAAAAAA==", "timestamp", ts,
                          "container_status", "network_infos", "ip_addresses",
                          "ip_address", "10.0.0.7");
    enum task_state st;
    assert_int_equal(task_state_parse(state, &st), 0);
    task_apply_update(&m, t, s, st);
    json_decref(s);
}

static void
add_offer(const char *id, struct mframework *f, struct magent *a,
          const char *res)
{
    struct moffer *o = cr_xcalloc(1, sizeof(*o));
    o->id = cr_xstrdup(id);
    o->framework_id = cr_xstrdup(f->id);
    o->agent_id = cr_xstrdup(a->id);
    o->role = cr_xstrdup(f->roles[0]);
    parse_res(&o->res, res);
    HASH_ADD_KEYPTR(hh, m.offers, o->id, strlen(o->id), o);
}

static char flag_names[2][16] = {"cluster", "work_dir"};
static char flag_values[2][16] = {"test", "/tmp/x"};

static int
setup(void **state)
{
    (void)state;
    cr_log_set_level(CR_LOG_ERROR);
    memset(&m, 0, sizeof(m));
    uv_loop_init(&loop);
    m.loop = &loop;
    uv_idle_init(&loop, &m.allocate_soon);
    m.allocate_soon.data = &m;
    snprintf(m.id, sizeof(m.id), "%s", "5f3c1a9e-0000-4000-8000-00000000cafe");
    m.hostname = cr_xstrdup("master.example");
    m.advertise_ip = cr_xstrdup("127.0.0.1");
    m.advertise_port = 5050;
    m.start_time = 1764000000.0;
    m.elected_time = 1764000000.5;
    m.leading = true;
    m.leader_info = master_info_json(&m);
    m.flags.cluster = "test";
    m.flags.max_completed_frameworks = 50;
    m.flags.max_completed_tasks_per_framework = 1000;
    m.flag_table = cr_xcalloc(2, sizeof(*m.flag_table));
    for (int i = 0; i < 2; i++) {
        m.flag_table[i].name = flag_names[i];
        m.flag_table[i].value = flag_values[i];
    }
    m.n_flags = 2;
    m.completed_frameworks = json_array();
    m.removed_frameworks = json_object();
    m.removed_order = json_array();
    m.pending_offers = json_object();
    struct allocator_config cfg = {.allocation_interval = 1, .seed = 1};
    m.allocator = allocator_new(&cfg, no_offers, &m);

    struct magent *a1 = add_agent("agent-S0", "node-1",
                                  "cpus:8;mem:16384;"
                                  "disk:1000;ports:[31000-32000]",
                                  "[{\"name\":\"rack\",\"type\":\"TEXT\","
                                  "\"text\":{\"value\":\"r1\"}},"
                                  "{\"name\":\"level\",\"type\":\"SCALAR\","
                                  "\"scalar\":{\"value\":3}}]");
    struct magent *a2 = add_agent("agent-S1",
                                  "n\xc3\xb8"
                                  "de-2",
                                  "cpus:4;mem:4096;cpus(web):2;mem(web):512;"
                                  "gpus:1;bugs:{a,b}",
                                  NULL);
    a2->state = AGENT_DISCONNECTED;
    a2->reregistered_time = 1764000009.0;
    struct magent *a3 = add_agent("agent-S2", "node-3", "cpus:1;mem:128", NULL);

    struct mframework *f1 =
        add_framework("fw-0000", "caf\xc3\xa9 \xe2\x9c\x93", "*", true);
    struct mframework *f2 = add_framework("fw-0001", "web", "web", false);
    struct mframework *f3 = add_framework("fw-0002", "gone", "*", true);
    f2->recovered = true;

    struct mtask *t1 =
        add_task(f1, a1, "t-1", "cpus:0.1;mem:32", TASK_STAGING, false, true);
    struct mtask *t2 =
        add_task(f1, a1, "t-2", "cpus:1.5;mem:100.125;ports:[31000-31001]",
                 TASK_STAGING, true, false);
    add_task(f1, a2, "t-3", "cpus:0.001", TASK_RUNNING, true, false);
    struct mtask *t4 = add_task(f2, a2, "t-4", "cpus(web):1;mem(web):64",
                                TASK_RUNNING, false, false);
    struct mtask *t5 =
        add_task(f3, a1, "t-5", "cpus:1", TASK_STAGING, false, false);
    add_task(f3, a1, "t-6", "cpus:1", TASK_RUNNING, false, false);
    update(t1, "TASK_STARTING", 1764000010.000001);
    update(t1, "TASK_RUNNING", 1764000011.1);
    update(t2, "TASK_RUNNING", 1764000012.0);
    update(t4, "TASK_KILLING", 1764000013.3);
    update(t5, "TASK_FINISHED", 1764000014.9);
    task_remove(&m, t5);
    add_offer("offer-O1", f1, a1, "cpus:2;mem:1024");
    add_offer("offer-O2", f1, a3, "cpus:1");
    add_offer("offer-O3", f2, a2, "cpus(web):1");
    framework_remove(&m, f3, "test");
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    struct mtask *t, *ttmp;
    HASH_ITER(hh, m.tasks, t, ttmp)
    {
        HASH_DEL(m.tasks, t);
        task_free(t);
    }
    struct moffer *o, *otmp;
    HASH_ITER(hh, m.offers, o, otmp)
    {
        HASH_DEL(m.offers, o);
        offer_free(o);
    }
    struct mframework *f, *ftmp;
    HASH_ITER(hh, m.frameworks, f, ftmp)
    {
        HASH_DEL(m.frameworks, f);
        framework_free(f);
    }
    struct magent *a, *atmp;
    HASH_ITER(hh, m.agents, a, atmp)
    {
        HASH_DEL(m.agents, a);
        agent_free(a);
    }
    json_decref(m.completed_frameworks);
    json_decref(m.removed_frameworks);
    json_decref(m.removed_order);
    json_decref(m.pending_offers);
    json_decref(m.leader_info);
    allocator_free(m.allocator);
    free(m.flag_table);
    free(m.hostname);
    free(m.advertise_ip);
    uv_close((uv_handle_t *)&m.allocate_soon, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return 0;
}

/* The whole document: in one step (slice 0) or stopping as often as the
 * writer allows (a deadline already past: a few entries per step). */
static char *
write_doc(enum state_doc_kind kind, const char *filter, const char *jsonp,
          bool sliced, int *steps)
{
    struct state_doc *d = state_doc_new(kind, filter, jsonp);
    int rc, n = 0;
    while ((rc = state_doc_step(d, &m, sliced ? 1 : 0)) == 0)
        n++;
    assert_int_equal(rc, 1);
    if (steps)
        *steps = n;
    const struct cr_buf *out = state_doc_output(d);
    char *text = cr_xstrdup(out->data ? out->data : "");
    assert_int_equal(strlen(text), out->len);
    state_doc_free(d);
    return text;
}

static void
test_state_matches_tree(void **state)
{
    (void)state;
    json_t *tree = state_json(&m);
    char *want = cr_json_dump(tree);
    json_decref(tree);
    char *one = write_doc(STATE_DOC_STATE, NULL, NULL, false, NULL);
    assert_string_equal(one, want);
    int steps = 0;
    char *sliced = write_doc(STATE_DOC_STATE, NULL, NULL, true, &steps);
    assert_string_equal(sliced, want);
    assert_true(steps >= 2);
    char *wrapped = cr_xasprintf("my.cb_1(%s);", want);
    char *jsonp = write_doc(STATE_DOC_STATE, NULL, "my.cb_1", true, NULL);
    assert_string_equal(jsonp, wrapped);
    /* The content is the one the old code had: spot-check a few values. */
    json_t *doc = json_loads(one, 0, NULL);
    assert_non_null(doc);
    assert_int_equal(json_array_size(json_object_get(doc, "slaves")), 3);
    assert_int_equal(json_array_size(json_object_get(doc, "frameworks")), 2);
    assert_int_equal(
        json_array_size(json_object_get(doc, "completed_frameworks")), 1);
    json_decref(doc);
    free(one);
    free(sliced);
    free(wrapped);
    free(jsonp);
    free(want);
}

/* A document of kind, written in one step and in slices, equals tree
 * (taken) dumped by jansson. */
static void
assert_doc_is_tree(enum state_doc_kind kind, json_t *tree)
{
    char *want = cr_json_dump(tree);
    json_decref(tree);
    char *one = write_doc(kind, NULL, NULL, false, NULL);
    assert_string_equal(one, want);
    char *sliced = write_doc(kind, NULL, NULL, true, NULL);
    assert_string_equal(sliced, want);
    free(one);
    free(sliced);
    free(want);
}

static void
test_get_state_matches_tree(void **state)
{
    (void)state;
    assert_doc_is_tree(STATE_DOC_GET_STATE,
                       json_pack("{s:s, s:o}", "type", "GET_STATE", "get_state",
                                 operator_state_json(&m)));
}

/* The event stream's SUBSCRIBED: GET_STATE's get_state in its wrapper,
 * what operator_events.c built as a tree before. */
static void
test_subscribed_matches_tree(void **state)
{
    (void)state;
    assert_doc_is_tree(
        STATE_DOC_SUBSCRIBED,
        json_pack("{s:s, s:{s:o, s:f}}", "type", "SUBSCRIBED", "subscribed",
                  "get_state", operator_state_json(&m),
                  "heartbeat_interval_seconds", STATE_DOC_EVENTS_HEARTBEAT));
}

static char *
frameworks_tree(const char *only)
{
    json_t *live = json_array(), *done = json_array();
    for (struct mframework *f = m.frameworks; f; f = f->hh.next)
        if (only == NULL || strcmp(f->id, only) == 0)
            json_array_append_new(live, framework_to_v0_json(&m, f));
    size_t i;
    json_t *c;
    json_array_foreach(m.completed_frameworks, i, c)
    {
        if (only == NULL || strcmp(cr_json_str(c, "id"), only) == 0)
            json_array_append(done, c);
    }
    json_t *tree =
        json_pack("{s:o, s:o, s:[]}", "frameworks", live,
                  "completed_frameworks", done, "unregistered_frameworks");
    char *text = cr_json_dump(tree);
    json_decref(tree);
    return text;
}

static void
test_frameworks_doc(void **state)
{
    (void)state;
    const char *filters[] = {NULL, "fw-0001", "fw-0002", "fw-none"};
    for (size_t i = 0; i < 4; i++) {
        char *want = frameworks_tree(filters[i]);
        char *got =
            write_doc(STATE_DOC_FRAMEWORKS, filters[i], NULL, true, NULL);
        assert_string_equal(got, want);
        free(got);
        free(want);
    }
}

static void
test_slaves_doc(void **state)
{
    (void)state;
    char *text = write_doc(STATE_DOC_SLAVES, NULL, NULL, true, NULL);
    json_t *doc = json_loads(text, 0, NULL);
    assert_non_null(doc);
    json_t *slaves = json_object_get(doc, "slaves");
    assert_int_equal(json_array_size(slaves), 3);
    assert_int_equal(json_array_size(json_object_get(doc, "recovered_slaves")),
                     0);
    json_t *s1 = json_array_get(slaves, 1);
    assert_string_equal(cr_json_str(s1, "id"), "agent-S1");
    json_t *web =
        json_object_get(json_object_get(s1, "reserved_resources"), "web");
    assert_true(json_number_value(json_object_get(web, "cpus")) == 2.0);
    assert_true(json_is_array(json_object_get(
        json_object_get(s1, "reserved_resources_full"), "web")));
    assert_true(json_is_array(json_object_get(s1, "used_resources_full")));
    assert_true(
        json_is_array(json_object_get(s1, "unreserved_resources_full")));
    json_t *s0 = json_array_get(slaves, 0);
    /* Both of agent-S0's offers... one is on S2: S0 has offer-O1 only. */
    assert_true(json_number_value(json_object_get(
                    json_object_get(s0, "offered_resources"), "cpus")) == 2.0);
    assert_int_equal(
        json_array_size(json_object_get(s0, "offered_resources_full")), 2);
    /* The /master/state entry's members come first, unchanged. */
    char *st_text = write_doc(STATE_DOC_STATE, NULL, NULL, false, NULL);
    json_t *st = json_loads(st_text, 0, NULL);
    free(st_text);
    json_t *st0 = json_array_get(json_object_get(st, "slaves"), 0);
    const char *k;
    json_t *v;
    json_object_foreach(st0, k, v)
    {
        assert_true(json_equal(v, json_object_get(s0, k)));
    }
    json_decref(st);
    json_decref(doc);
    free(text);

    text = write_doc(STATE_DOC_SLAVES, "agent-S2", "cb", false, NULL);
    const char *head = "cb({\"slaves\":[{\"id\":\"agent-S2\"";
    assert_true(strncmp(text, head, strlen(head)) == 0);
    free(text);
}

static bool
valid_json(const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    json_decref(v);
    return v != NULL;
}

/* Remove one task, one framework and one agent while documents are being
 * written, add a task, and check every document is still one valid JSON
 * value. */
static void
test_changes_between_slices(void **state)
{
    (void)state;
    enum state_doc_kind kinds[] = {STATE_DOC_STATE, STATE_DOC_GET_STATE,
                                   STATE_DOC_FRAMEWORKS, STATE_DOC_SLAVES};
    /* One task per snapshot unit: changes land inside snapshots too (and
     * make them continue or start over). */
    state_doc_snapshot_chunk = 1;
    for (size_t k = 0; k < 4; k++) {
        for (int when = 1; when < 60; when += 2) {
            teardown(NULL);
            setup(NULL);
            struct state_doc *d = state_doc_new(kinds[k], NULL, NULL);
            int rc, step = 0;
            while ((rc = state_doc_step(d, &m, 1)) == 0) {
                if (++step != when)
                    continue;
                struct mtask *t = task_find(&m, "fw-0000", "t-2");
                if (t)
                    task_remove(&m, t);
                struct mframework *f = framework_find(&m, "fw-0001");
                if (f)
                    framework_remove(&m, f, "test");
                struct magent *a = agent_find(&m, "agent-S2");
                if (a) {
                    offers_rescind_for_agent(&m, a->id);
                    while (a->tasks)
                        task_remove(&m, a->tasks);
                    allocator_remove_agent(m.allocator, a->id);
                    HASH_DEL(m.agents, a);
                    agent_free(a);
                }
                add_task(framework_find(&m, "fw-0000"),
                         agent_find(&m, "agent-S0"), "t-new", "cpus:0.5",
                         TASK_RUNNING, false, false);
            }
            assert_int_equal(rc, 1);
            const struct cr_buf *out = state_doc_output(d);
            if (!valid_json(out->data))
                fail_msg("kind %zu, change at step %d: %s", k, when, out->data);
            /* A task added meanwhile is written at most once. */
            const char *mark = kinds[k] == STATE_DOC_GET_STATE
                                   ? "\"task_id\":{\"value\":\"t-new\"}"
                                   : "\"id\":\"t-new\"";
            const char *first = strstr(out->data, mark);
            assert_true(first == NULL || strstr(first + 1, mark) == NULL);
            state_doc_free(d);
        }
    }
    state_doc_snapshot_chunk = STATE_SNAPSHOT_CHUNK;
}

/* With one task per snapshot unit and nothing changing, the sliced
 * documents still equal the references. */
static void
test_chunked_snapshots_match(void **state)
{
    (void)state;
    state_doc_snapshot_chunk = 1;
    json_t *tree = state_json(&m);
    char *want = cr_json_dump(tree);
    json_decref(tree);
    char *got = write_doc(STATE_DOC_STATE, NULL, NULL, true, NULL);
    assert_string_equal(got, want);
    free(got);
    free(want);
    tree = json_pack("{s:s, s:o}", "type", "GET_STATE", "get_state",
                     operator_state_json(&m));
    want = cr_json_dump(tree);
    json_decref(tree);
    got = write_doc(STATE_DOC_GET_STATE, NULL, NULL, true, NULL);
    assert_string_equal(got, want);
    free(got);
    free(want);
    state_doc_snapshot_chunk = STATE_SNAPSHOT_CHUNK;
}

/* Both references, as one string each. */
static void
references(char **state_ref, char **get_state_ref)
{
    json_t *tree = state_json(&m);
    *state_ref = cr_json_dump(tree);
    json_decref(tree);
    tree = json_pack("{s:s, s:o}", "type", "GET_STATE", "get_state",
                     operator_state_json(&m));
    *get_state_ref = cr_json_dump(tree);
    json_decref(tree);
}

/* A document whose buffer goes back for reuse, as state_serve() does. */
static char *
write_doc_reusing(enum state_doc_kind kind)
{
    struct state_doc *d = state_doc_new(kind, NULL, NULL);
    int rc;
    while ((rc = state_doc_step(d, &m, 1)) == 0)
        ;
    assert_int_equal(rc, 1);
    char *text = cr_xstrdup(state_doc_output(d)->data);
    state_doc_give_back(d);
    state_doc_free(d);
    return text;
}

/* Tasks' cached entries (master.h) are dropped when they change: a
 * document after a status update shows it, byte for byte as the
 * references; documents written into a reused buffer are whole. */
static void
test_cached_entries_follow_changes(void **state)
{
    (void)state;
    teardown(NULL); /* a fresh master */
    setup(NULL);
    for (int round = 0; round < 3; round++) {
        char *want_state, *want_get;
        references(&want_state, &want_get);
        char *got = write_doc_reusing(STATE_DOC_STATE);
        assert_string_equal(got, want_state);
        free(got);
        got = write_doc_reusing(STATE_DOC_GET_STATE);
        assert_string_equal(got, want_get);
        free(got);
        free(want_state);
        free(want_get);
        struct mtask *t = task_find(&m, "fw-0000", "t-1");
        assert_non_null(t);
        assert_non_null(t->json_v0);
        assert_non_null(t->json_v1);
        update(t, round == 1 ? "TASK_KILLING" : "TASK_RUNNING",
               1764000100.0 + round);
        assert_null(t->json_v0);
        assert_null(t->json_v1);
    }
    state_doc_drop_spare();
}

/* A completed framework with many completed tasks (written member by
 * member, its tasks one per unit) equals the reference, also when it
 * leaves m->completed_frameworks while being written. */
static void
test_completed_framework_in_units(void **state)
{
    (void)state;
    teardown(NULL); /* a fresh master */
    setup(NULL);
    int before = 0;
    free(write_doc(STATE_DOC_STATE, NULL, NULL, true, &before));
    struct mframework *f = add_framework("fw-0009", "batch", "*", true);
    for (int i = 0; i < 40; i++) {
        char tid[16];
        snprintf(tid, sizeof(tid), "b-%d", i);
        struct mtask *t = add_task(f, agent_find(&m, "agent-S0"), tid,
                                   "cpus:0.01", TASK_RUNNING, false, i == 3);
        update(t, "TASK_FINISHED", 1764000200.0 + i);
        task_remove(&m, t);
    }
    framework_remove(&m, f, "test");
    char *want_state, *want_get;
    references(&want_state, &want_get);
    int steps = 0;
    char *got = write_doc(STATE_DOC_STATE, NULL, NULL, true, &steps);
    assert_string_equal(got, want_state);
    /* Its 40 tasks took several steps (8 units per look at the clock),
     * not one unit. */
    assert_true(steps >= before + 4);
    free(got);
    got = write_doc(STATE_DOC_GET_STATE, NULL, NULL, true, NULL);
    assert_string_equal(got, want_get);
    free(got);
    free(want_state);
    free(want_get);

    /* Dropped from the list mid-way: the document stays valid JSON. */
    struct state_doc *d = state_doc_new(STATE_DOC_STATE, NULL, NULL);
    int rc, n = 0;
    while ((rc = state_doc_step(d, &m, 1)) == 0)
        if (++n == 60)
            json_array_clear(m.completed_frameworks);
    assert_int_equal(rc, 1);
    assert_true(valid_json(state_doc_output(d)->data));
    state_doc_free(d);
}

/* Tasks freed while documents are open are kept only as long as a
 * document that may hold them: with documents overlapping all the time
 * (two clients polling in turn) they do not pile up. */
static void
test_kept_tasks_released_with_overlapping_docs(void **state)
{
    (void)state;
    teardown(NULL); /* a fresh master */
    setup(NULL);
    struct mframework *f = framework_find(&m, "fw-0000");
    struct magent *a = agent_find(&m, "agent-S0");
    struct state_doc *older = state_doc_new(STATE_DOC_STATE, NULL, NULL);
    assert_int_equal(state_doc_step(older, &m, 1), 0);
    for (int i = 0; i < 20; i++) {
        char tid[16];
        snprintf(tid, sizeof(tid), "k-%d", i);
        struct mtask *t =
            add_task(f, a, tid, "cpus:0.01", TASK_RUNNING, false, false);
        task_remove(&m, t); /* freed while `older` is open: kept */
        assert_int_equal(state_doc_kept_tasks(), 1);
        struct state_doc *newer = state_doc_new(STATE_DOC_STATE, NULL, NULL);
        state_doc_free(older); /* only `newer` is open: released */
        assert_int_equal(state_doc_kept_tasks(), 0);
        older = newer;
    }
    int rc;
    while ((rc = state_doc_step(older, &m, 1)) == 0)
        ;
    assert_int_equal(rc, 1);
    assert_true(valid_json(state_doc_output(older)->data));
    state_doc_free(older);
    assert_int_equal(state_doc_kept_tasks(), 0);
}

static void
test_too_large_fails_cleanly(void **state)
{
    (void)state;
    /* A document past its maximum reports CR_ETOOBIG, never a truncated
     * success: simulated with a tiny maximum through the buffer. */
    struct state_doc *d = state_doc_new(STATE_DOC_STATE, NULL, NULL);
    struct cr_buf *out = (struct cr_buf *)(uintptr_t)state_doc_output(d);
    out->max = 100;
    int rc;
    while ((rc = state_doc_step(d, &m, 0)) == 0)
        ;
    assert_true(rc < 0);
    assert_int_equal(state_doc_step(d, &m, 0), rc);
    state_doc_free(d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_matches_tree),
        cmocka_unit_test(test_get_state_matches_tree),
        cmocka_unit_test(test_subscribed_matches_tree),
        cmocka_unit_test(test_frameworks_doc),
        cmocka_unit_test(test_slaves_doc),
        cmocka_unit_test(test_changes_between_slices),
        cmocka_unit_test(test_chunked_snapshots_match),
        cmocka_unit_test(test_too_large_fails_cleanly),
        cmocka_unit_test(test_cached_entries_follow_changes),
        cmocka_unit_test(test_completed_framework_in_units),
        cmocka_unit_test(test_kept_tasks_released_with_overlapping_docs),
    };
    return cmocka_run_group_tests_name("state_doc", tests, setup, teardown);
}
