/* SPDX-License-Identifier: Apache-2.0
 *
 * framework.c: frameworks known to the master and their state machine
 * (drawn in master.h): connect on SUBSCRIBE, disconnect when the stream
 * breaks, removal after failover_timeout or TEARDOWN.
 *
 * A framework owns its live tasks (intrusive list) and a bounded array of
 * completed task JSON. Removing a framework kills its tasks on the agents,
 * releases their resources, rescinds its offers and moves its JSON to the
 * bounded completed_frameworks list.
 */
#include "allocator.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "master.h"
#include "net/recordio.h"
#include "operator_api.h"

#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {"CONNECTED", "DISCONNECTED",
                                          "REMOVED"};

static void
set_state(struct mframework *f, enum framework_state to, const char *why)
{
    cr_info("framework %s: %s -> %s (%s)", f->id, state_names[f->state],
            state_names[to], why);
    f->state = to;
}

struct mframework *
framework_find(struct master *m, const char *id)
{
    struct mframework *f = NULL;
    if (id)
        HASH_FIND_STR(m->frameworks, id, f);
    return f;
}

int
master_stream_send(struct cr_http_stream *s, json_t *event)
{
    struct cr_buf body, rec;
    cr_buf_init(&body, CR_RECORDIO_MAX_RECORD);
    cr_buf_init(&rec, CR_RECORDIO_MAX_RECORD + 32);
    int rc = cr_json_dump_buf(event, &body);
    if (rc == 0)
        rc = cr_recordio_encode(&rec, body.data, body.len);
    if (rc == 0)
        rc = cr_http_stream_write(s, rec.data, rec.len);
    cr_buf_fini(&body);
    cr_buf_fini(&rec);
    return rc;
}

void
framework_send(struct master *m, struct mframework *f, json_t *event)
{
    if (f->state == FRAMEWORK_CONNECTED && f->stream)
        master_stream_send(f->stream, event);
    json_decref(event);
}

void
frameworks_heartbeat(struct master *m)
{
    struct mframework *f, *tmp;
    HASH_ITER(hh, m->frameworks, f, tmp)
    {
        if (f->state == FRAMEWORK_CONNECTED)
            framework_send(m, f, json_pack("{s:s}", "type", "HEARTBEAT"));
    }
}

void
framework_disconnect(struct master *m, struct mframework *f)
{
    if (f->state != FRAMEWORK_CONNECTED)
        return;
    f->stream = NULL;
    f->stream_id[0] = '\0';
    f->disconnected_at = master_now();
    f->unregistered_time = cr_wall_secs();
    set_state(f, FRAMEWORK_DISCONNECTED, "stream closed");
    allocator_deactivate_framework(m->allocator, f->id);
    offers_rescind_for_framework(m, f->id);
    operator_event_framework(m, f, OPERATOR_FW_UPDATED);
}

static void
kill_tasks_on_agents(struct master *m, struct mframework *f)
{
    /* Tell every agent running tasks of f to shut the framework down once,
     * then drop the tasks. */
    json_t *told = json_object();
    while (f->tasks) {
        struct mtask *t = f->tasks;
        struct magent *a = agent_find(m, t->agent_id);
        if (a && !json_object_get(told, a->id)) {
            json_object_set_new(told, a->id, json_true());
            json_t *ev = json_pack("{s:s, s:{s:o}}", "type",
                                   "SHUTDOWN_FRAMEWORK", "shutdown_framework",
                                   "framework_id", cr_json_id_new(f->id));
            agent_send(m, a, ev);
        }
        if (!task_state_is_terminal(t->state))
            task_set_state(m, t, TASK_KILLED, cr_wall_secs());
        task_remove(m, t);
    }
    json_decref(told);
}

#define MAX_REMOVED_FRAMEWORKS 10000

void
framework_note_removed(struct master *m, const char *id)
{
    json_object_set_new(m->removed_frameworks, id, json_true());
    json_array_append_new(m->removed_order, json_string(id));
    while (json_array_size(m->removed_order) > MAX_REMOVED_FRAMEWORKS) {
        json_object_del(m->removed_frameworks,
                        json_string_value(json_array_get(m->removed_order, 0)));
        json_array_remove(m->removed_order, 0);
    }
}

bool
framework_was_removed(const struct master *m, const char *id)
{
    return id && json_object_get(m->removed_frameworks, id) != NULL;
}

void
framework_remove(struct master *m, struct mframework *f, const char *why)
{
    framework_note_removed(m, f->id);
    set_state(f, FRAMEWORK_REMOVED, why);
    if (f->stream) {
        cr_http_stream_end(f->stream);
        f->stream = NULL;
    }
    offers_rescind_for_framework(m, f->id);
    kill_tasks_on_agents(m, f);
    allocator_remove_framework(m->allocator, f->id);
    if (f->unregistered_time == 0)
        f->unregistered_time = cr_wall_secs();
    json_array_append_new(m->completed_frameworks, framework_to_v0_json(m, f));
    HASH_DEL(m->frameworks, f);
    while ((long)json_array_size(m->completed_frameworks) >
           m->flags.max_completed_frameworks)
        json_array_remove(m->completed_frameworks, 0);
    operator_event_framework(m, f, OPERATOR_FW_REMOVED);
    framework_free(f);
}

void
framework_free(struct mframework *f)
{
    if (f->stream)
        cr_http_stream_end(f->stream);
    json_decref(f->info);
    json_decref(f->completed_tasks);
    for (size_t i = 0; i < f->n_roles; i++)
        free(f->roles[i]);
    free(f->roles);
    free(f->id);
    free(f);
}

void
frameworks_check_failover(struct master *m, double now)
{
    struct mframework *f, *tmp;
    HASH_ITER(hh, m->frameworks, f, tmp)
    {
        if (f->state == FRAMEWORK_DISCONNECTED &&
            now - f->disconnected_at >= f->failover_timeout)
            framework_remove(m, f, "failover timeout expired");
    }
}

/* Create a framework known only from an agent's report (after a master
 * restart); it waits, disconnected, for its scheduler to re-subscribe. */
struct mframework *
framework_recover(struct master *m, const char *id, json_t *info)
{
    struct mframework *f = cr_xcalloc(1, sizeof(*f));
    f->master = m;
    f->id = cr_xstrdup(id);
    f->info = info ? json_deep_copy(info) : json_object();
    cr_json_set_id(f->info, "id", id);
    f->completed_tasks = json_array();
    f->state = FRAMEWORK_DISCONNECTED;
    f->recovered = true;
    f->disconnected_at = master_now();
    double fo = 0;
    cr_json_num(f->info, "failover_timeout", &fo);
    /* Its scheduler gets at least agent_reregister_timeout to come back,
     * so a master failover alone never kills a framework's tasks. */
    f->failover_timeout = fo > m->flags.agent_reregister_timeout
                              ? fo
                              : m->flags.agent_reregister_timeout;
    HASH_ADD_KEYPTR(hh, m->frameworks, f->id, strlen(f->id), f);
    cr_info("framework %s recovered from an agent's report", id);
    return f;
}
