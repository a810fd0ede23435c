/* SPDX-License-Identifier: Apache-2.0
 *
 * tasks.c: tasks as the master sees them.
 *
 * A task is indexed in master->tasks by "<framework>\n<task>" and linked
 * into its framework's and its agent's lists. Its resources count as used
 * until its latest state is terminal (then they go back to the allocator
 * at once, even while earlier updates wait for acknowledgement); the task
 * itself stays until the scheduler acknowledges the terminal update, and
 * then moves to the framework's bounded completed_tasks array.
 */
#include "allocator.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "master.h"
#include "operator_api.h"
#include "state_doc.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[TASK_STATE_COUNT] = {
    [TASK_STARTING] = "TASK_STARTING",
    [TASK_RUNNING] = "TASK_RUNNING",
    [TASK_FINISHED] = "TASK_FINISHED",
    [TASK_FAILED] = "TASK_FAILED",
    [TASK_KILLED] = "TASK_KILLED",
    [TASK_LOST] = "TASK_LOST",
    [TASK_STAGING] = "TASK_STAGING",
    [TASK_ERROR] = "TASK_ERROR",
    [TASK_KILLING] = "TASK_KILLING",
    [TASK_DROPPED] = "TASK_DROPPED",
    [TASK_UNREACHABLE] = "TASK_UNREACHABLE",
    [TASK_GONE] = "TASK_GONE",
    [TASK_GONE_BY_OPERATOR] = "TASK_GONE_BY_OPERATOR",
    [TASK_UNKNOWN] = "TASK_UNKNOWN",
};

/* ---- interned role names -------------------------------------------- */

/* Every task's role string comes from here, shared by all tasks of that
 * role and counted; documents compare roles by pointer (state_doc.c)
 * without reading the string of each task (a cache miss each). */
struct role_name {
    UT_hash_handle hh;
    size_t refs;
    char name[];
};

static struct role_name *role_names;

static const char *
role_intern(const char *role)
{
    struct role_name *r;
    HASH_FIND_STR(role_names, role, r);
    if (r == NULL) {
        size_t n = strlen(role);
        r = cr_xcalloc(1, sizeof(*r) + n + 1);
        memcpy(r->name, role, n + 1);
        HASH_ADD_KEYPTR(hh, role_names, r->name, n, r);
    }
    r->refs++;
    return r->name;
}

static void
role_release(const char *name)
{
    if (name == NULL)
        return;
    struct role_name *r =
        (struct role_name *)(uintptr_t)(name -
                                        offsetof(struct role_name, name));
    if (--r->refs > 0)
        return;
    HASH_DEL(role_names, r);
    free(r);
}

const char *
task_state_name(enum task_state s)
{
    return (unsigned)s < TASK_STATE_COUNT ? state_names[s] : "TASK_UNKNOWN";
}

int
task_state_parse(const char *name, enum task_state *out)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < TASK_STATE_COUNT; i++)
        if (strcmp(name, state_names[i]) == 0) {
            *out = (enum task_state)i;
            return 0;
        }
    return -1;
}

bool
task_state_is_terminal(enum task_state s)
{
    switch (s) {
    case TASK_FINISHED:
    case TASK_FAILED:
    case TASK_KILLED:
    case TASK_LOST:
    case TASK_ERROR:
    case TASK_DROPPED:
    case TASK_GONE:
    case TASK_GONE_BY_OPERATOR:
        return true;
    default:
        return false;
    }
}

static char *
task_key(const char *framework_id, const char *task_id)
{
    return cr_xasprintf("%s\n%s", framework_id, task_id);
}

struct mtask *
task_find(struct master *m, const char *framework_id, const char *task_id)
{
    if (framework_id == NULL || task_id == NULL)
        return NULL;
    char *key = task_key(framework_id, task_id);
    struct mtask *t = NULL;
    HASH_FIND_STR(m->tasks, key, t);
    free(key);
    return t;
}

struct mtask *
task_add(struct master *m, struct mframework *f, struct magent *a, json_t *info,
         const char *role, const struct cr_resources *res, enum task_state st)
{
    struct mtask *t = cr_xcalloc(1, sizeof(*t));
    const char *task_id = cr_json_id(info, "task_id");
    const char *exec =
        cr_json_id(json_object_get(info, "executor"), "executor_id");
    const char *name = cr_json_str(info, "name");
    t->task_id = cr_xstrdup(task_id);
    t->framework_id = cr_xstrdup(f->id);
    t->agent_id = cr_xstrdup(a->id);
    t->executor_id = cr_xstrdup(exec ? exec : task_id);
    t->name = cr_xstrdup(name ? name : "");
    t->role = role_intern(role ? role : "*");
    t->key = task_key(f->id, task_id);
    t->info = json_incref(info);
    t->custom_executor = json_is_object(json_object_get(info, "executor"));
    t->statuses = json_array();
    t->state = st;
    cr_resources_copy(&t->res, res);
    HASH_ADD_KEYPTR(hh, m->tasks, t->key, strlen(t->key), t);

    t->fw_next = f->tasks;
    if (f->tasks)
        f->tasks->fw_prev = t;
    f->tasks = t;
    f->n_tasks++;
    t->ag_next = a->tasks;
    if (a->tasks)
        a->tasks->ag_prev = t;
    a->tasks = t;
    a->n_tasks++;
    m->stats.tasks_by_state[st]++;
    /* A launched task has no status yet (upstream); an adopted one starts
     * with the state its agent reported. */
    if (st != TASK_STAGING)
        json_array_append_new(
            t->statuses, json_pack("{s:s, s:f}", "state", task_state_name(st),
                                   "timestamp", cr_wall_secs()));
    operator_event_task_added(m, t);
    return t;
}

void
task_release_resources(struct master *m, struct mtask *t)
{
    if (t->resources_released)
        return;
    t->resources_released = true;
    allocator_recover(m->allocator, t->framework_id, t->agent_id, t->role,
                      &t->res, -1);
    master_allocate_soon(m);
}

static void
change_state(struct master *m, struct mtask *t, enum task_state st)
{
    cr_debug("task %s of framework %s: %s -> %s", t->task_id, t->framework_id,
             task_state_name(t->state), task_state_name(st));
    if (m->stats.tasks_by_state[t->state] > 0)
        m->stats.tasks_by_state[t->state]--;
    m->stats.tasks_by_state[st]++;
    t->state = st;
    if (task_state_is_terminal(st))
        task_release_resources(m, t);
}

/* Forget t's encoded state entries (master.h): they no longer match. */
static void
forget_json(struct mtask *t)
{
    free(t->json_v0);
    free(t->json_v1);
    t->json_v0 = t->json_v1 = NULL;
    t->json_v0_len = t->json_v1_len = 0;
}

/* Append {state, timestamp[, container_status]} to t->statuses; a repeat
 * of the last entry's state replaces it, as upstream. Every change of a
 * task's state, statuses or status passes here. */
static void
record_status(struct mtask *t, const char *state, double timestamp,
              json_t *container_status)
{
    forget_json(t);
    size_t n = json_array_size(t->statuses);
    if (n > 0) {
        const char *last =
            cr_json_str(json_array_get(t->statuses, n - 1), "state");
        if (last && strcmp(last, state) == 0)
            json_array_remove(t->statuses, n - 1);
    }
    json_t *e = json_pack("{s:s, s:f}", "state", state, "timestamp", timestamp);
    if (container_status)
        json_object_set(e, "container_status", container_status);
    json_array_append_new(t->statuses, e);
}

void
task_set_state(struct master *m, struct mtask *t, enum task_state st,
               double timestamp)
{
    if (t->state == st)
        return;
    change_state(m, t, st);
    record_status(t, task_state_name(st), timestamp, NULL);
    operator_event_task_updated(m, t, NULL);
}

void
task_apply_update(struct master *m, struct mtask *t, const json_t *status,
                  enum task_state latest)
{
    bool changed = t->state != latest;
    if (changed)
        change_state(m, t, latest);
    double ts;
    if (!cr_json_num(status, "timestamp", &ts))
        ts = cr_wall_secs();
    record_status(t, cr_json_str(status, "state"), ts,
                  json_object_get(status, "container_status"));
    json_decref(t->status);
    t->status = json_deep_copy(status);
    if (changed)
        operator_event_task_updated(m, t, status);
}

static void
unlink_task(struct master *m, struct mtask *t)
{
    struct mframework *f = framework_find(m, t->framework_id);
    struct magent *a = agent_find(m, t->agent_id);
    if (f) {
        if (t->fw_prev)
            t->fw_prev->fw_next = t->fw_next;
        else
            f->tasks = t->fw_next;
        if (t->fw_next)
            t->fw_next->fw_prev = t->fw_prev;
        f->n_tasks--;
    }
    if (a) {
        if (t->ag_prev)
            t->ag_prev->ag_next = t->ag_next;
        else
            a->tasks = t->ag_next;
        if (t->ag_next)
            t->ag_next->ag_prev = t->ag_prev;
        a->n_tasks--;
    }
    HASH_DEL(m->tasks, t);
    if (f) {
        json_array_append_new(f->completed_tasks, task_to_v0_json(t));
        while ((long)json_array_size(f->completed_tasks) >
               m->flags.max_completed_tasks_per_framework)
            json_array_remove(f->completed_tasks, 0);
    }
}

void
task_remove(struct master *m, struct mtask *t)
{
    if (!task_state_is_terminal(t->state))
        task_release_resources(m, t);
    unlink_task(m, t);
    if (m->stats.tasks_by_state[t->state] > 0 &&
        !task_state_is_terminal(t->state))
        m->stats.tasks_by_state[t->state]--;
    task_free(t);
}

void
task_free(struct mtask *t)
{
    cr_resources_fini(&t->res);
    json_decref(t->info);
    json_decref(t->statuses);
    json_decref(t->status);
    free(t->key);
    free(t->task_id);
    free(t->framework_id);
    free(t->agent_id);
    free(t->executor_id);
    free(t->name);
    role_release(t->role);
    forget_json(t);
    if (!state_doc_keep_task(t))
        free(t);
}

json_t *
task_status_new(const char *task_id, const char *agent_id,
                const char *executor_id, enum task_state st, const char *source,
                const char *reason, const char *message)
{
    json_t *s = json_pack("{s:o, s:s, s:s, s:f}", "task_id",
                          cr_json_id_new(task_id ? task_id : ""), "state",
                          task_state_name(st), "source", source, "timestamp",
                          cr_wall_secs());
    if (agent_id)
        cr_json_set_id(s, "agent_id", agent_id);
    if (executor_id)
        cr_json_set_id(s, "executor_id", executor_id);
    if (reason)
        json_object_set_new(s, "reason", json_string(reason));
    if (message)
        json_object_set_new(s, "message", json_string(message));
    return s;
}

void
task_send_update(struct master *m, struct mframework *f, json_t *status)
{
    json_t *ev = json_pack("{s:s, s:{s:o}}", "type", "UPDATE", "update",
                           "status", status);
    framework_send(m, f, ev);
}

json_t *
task_to_v1_json(const struct mtask *t)
{
    json_t *j = json_pack("{s:s, s:o, s:o, s:o, s:o, s:s, s:o}", "name",
                          t->name, "task_id", cr_json_id_new(t->task_id),
                          "framework_id", cr_json_id_new(t->framework_id),
                          "executor_id", cr_json_id_new(t->executor_id),
                          "agent_id", cr_json_id_new(t->agent_id), "state",
                          task_state_name(t->state), "resources",
                          cr_resources_to_json(&t->res, t->role));
    if (t->status)
        json_object_set_new(j, "statuses", json_pack("[O]", t->status));
    return j;
}

json_t *
task_to_v0_json(const struct mtask *t)
{
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:s, s:O}", "id", t->task_id,
        "name", t->name, "framework_id", t->framework_id, "executor_id",
        t->executor_id == NULL || strcmp(t->executor_id, t->task_id) == 0
            ? ""
            : t->executor_id,
        "slave_id", t->agent_id, "state", task_state_name(t->state),
        "resources", cr_resources_to_v0_json(&t->res), "role", t->role,
        "statuses", t->statuses);
    json_t *labels = json_object_get(t->info, "labels");
    if (labels)
        json_object_set(j, "labels", json_object_get(labels, "labels"));
    return j;
}
