/* SPDX-License-Identifier: Apache-2.0
 *
 * accept.c: the ACCEPT call: offers in, tasks out.
 *
 * Order (reference §1.4): validate the offers (all known, all this
 * framework's, all on one agent); if any is invalid, every task in the call
 * gets TASK_LOST (TASK_DROPPED for partition-aware frameworks) with
 * REASON_INVALID_OFFERS and the valid offers go back unfiltered. Otherwise
 * the offers' resources are pooled and operations apply in order; each task
 * is validated (TASK_ERROR, REASON_TASK_INVALID) and, if good, takes its
 * resources from the pool and is sent to the agent. What is left of the
 * pool goes back to the allocator with the call's refuse filter.
 */
#include "allocator.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "master.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double refuse_seconds_of(json_t *filters);

struct pool {
    struct cr_resources res;
    struct magent *agent;
    char *role;
};

static void
drop_tasks(struct master *m, struct mframework *f, json_t *ops,
           const char *reason, const char *message)
{
    size_t i, j;
    json_t *op, *ti;
    enum task_state st = f->partition_aware ? TASK_DROPPED : TASK_LOST;
    json_array_foreach(ops, i, op)
    {
        json_t *infos =
            json_object_get(json_object_get(op, "launch"), "task_infos");
        json_t *group = json_object_get(
            json_object_get(json_object_get(op, "launch_group"), "task_group"),
            "tasks");
        json_array_foreach(infos, j, ti)
        {
            task_send_update(m, f,
                             task_status_new(cr_json_id(ti, "task_id"),
                                             cr_json_id(ti, "agent_id"), NULL,
                                             st, "SOURCE_MASTER", reason,
                                             message));
        }
        json_array_foreach(group, j, ti)
        {
            task_send_update(m, f,
                             task_status_new(cr_json_id(ti, "task_id"),
                                             cr_json_id(ti, "agent_id"), NULL,
                                             st, "SOURCE_MASTER", reason,
                                             message));
        }
    }
}

/* Take the offers out and pool their resources. 0, or -1 with why set. */
static int
take_offers(struct master *m, struct mframework *f, json_t *ids, struct pool *p,
            const char **why)
{
    size_t i;
    json_t *oid;
    struct moffer *first = NULL;
    if (json_array_size(ids) == 0) {
        *why = "No offers specified";
        return -1;
    }
    json_array_foreach(ids, i, oid)
    {
        struct moffer *o = offer_find(m, cr_json_str(oid, "value"));
        if (o == NULL) {
            *why = "Offer is no longer valid";
            return -1;
        }
        if (strcmp(o->framework_id, f->id) != 0) {
            *why = "Offer belongs to another framework";
            return -1;
        }
        if (first && strcmp(first->agent_id, o->agent_id) != 0) {
            *why = "Aggregated offers must belong to one single agent";
            return -1;
        }
        if (first && strcmp(first->role, o->role) != 0) {
            *why = "Aggregated offers must be allocated to the same role";
            return -1;
        }
        if (first == NULL)
            first = o;
        /* A repeated id is found again only if still present. */
        for (size_t k = 0; k < i; k++)
            if (strcmp(cr_json_str(json_array_get(ids, k), "value"), o->id) ==
                0) {
                *why = "Duplicate offer id in the call";
                return -1;
            }
    }
    p->agent = agent_find(m, first->agent_id);
    p->role = cr_xstrdup(first->role);
    json_array_foreach(ids, i, oid)
    {
        struct moffer *o = offer_find(m, cr_json_str(oid, "value"));
        cr_resources_add(&p->res, &o->res);
        offer_remove(m, o, false, false, 0);
    }
    return 0;
}

static void
task_error(struct master *m, struct mframework *f, json_t *ti,
           const char *reason, const char *message)
{
    task_send_update(
        m, f,
        task_status_new(cr_json_id(ti, "task_id"), cr_json_id(ti, "agent_id"),
                        NULL, TASK_ERROR, "SOURCE_MASTER", reason, message));
}

/* Validate one TaskInfo against the pool; parse its resources into res.
 * Returns NULL when good, else the reason. */
static const char *
validate_task(struct master *m, struct mframework *f, struct pool *p,
              json_t *ti, bool in_group, struct cr_resources *res, char *err,
              size_t errlen)
{
    const char *task_id = cr_json_id(ti, "task_id");
    const char *agent_id = cr_json_id(ti, "agent_id");
    if (task_id == NULL || *task_id == '\0' || cr_json_str(ti, "name") == NULL)
        return "Task needs 'task_id' and 'name'";
    if (agent_id == NULL || strcmp(agent_id, p->agent->id) != 0)
        return "Task uses an agent id that differs from the offers'";
    if (task_find(m, f->id, task_id))
        return "Task has duplicate ID";
    bool has_cmd = json_object_get(ti, "command") != NULL;
    bool has_exec = json_object_get(ti, "executor") != NULL;
    if (!in_group && has_cmd == has_exec)
        return "Task should have at least one (but not both) of "
               "CommandInfo or ExecutorInfo present";
    if (in_group && has_exec)
        return "Task in a group must not set an executor";
    if (cr_resources_parse_json(res, json_object_get(ti, "resources"), NULL,
                                err, errlen) != 0)
        return err;
    if (cr_resources_is_empty(res))
        return "Task uses no resources";
    if (!cr_resources_contains(&p->res, res))
        return "Task uses more resources than available in the offers";
    return NULL;
}

static void
launch_tasks(struct master *m, struct mframework *f, struct pool *p,
             json_t *launch)
{
    json_t *infos = json_object_get(launch, "task_infos"), *ti;
    size_t i;
    char err[256];
    json_array_foreach(infos, i, ti)
    {
        struct cr_resources res;
        cr_resources_init(&res);
        const char *why =
            validate_task(m, f, p, ti, false, &res, err, sizeof(err));
        if (why) {
            task_error(m, f, ti, "REASON_TASK_INVALID", why);
            cr_resources_fini(&res);
            continue;
        }
        cr_resources_subtract(&p->res, &res);
        struct mtask *t =
            task_add(m, f, p->agent, ti, p->role, &res, TASK_STAGING);
        cr_resources_fini(&res);
        json_t *fi = json_deep_copy(f->info);
        json_t *ev =
            json_pack("{s:s, s:{s:o, s:O}}", "type", "RUN_TASK", "run_task",
                      "framework_info", fi, "task", t->info);
        agent_send(m, p->agent, ev);
        cr_info("launching task %s of framework %s on agent %s", t->task_id,
                f->id, p->agent->id);
    }
}

static void
launch_group(struct master *m, struct mframework *f, struct pool *p, json_t *lg)
{
    json_t *exec = json_object_get(lg, "executor");
    json_t *tasks = json_object_get(json_object_get(lg, "task_group"), "tasks");
    char err[256];
    const char *why = NULL;
    struct cr_resources total, one;
    cr_resources_init(&total);
    cr_resources_init(&one);
    size_t i;
    json_t *ti;
    if (cr_json_id(exec, "executor_id") == NULL)
        why = "Task group needs an executor with 'executor_id'";
    else if (json_array_size(tasks) == 0)
        why = "Task group is empty";
    else if (cr_resources_parse_json(&total, json_object_get(exec, "resources"),
                                     NULL, err, sizeof(err)) != 0)
        why = err;
    json_array_foreach(tasks, i, ti)
    {
        if (why)
            break;
        why = validate_task(m, f, p, ti, true, &one, err, sizeof(err));
        cr_resources_add(&total, &one);
        for (size_t k = 0; k < i && !why; k++)
            if (strcmp(cr_json_id(json_array_get(tasks, k), "task_id"),
                       cr_json_id(ti, "task_id")) == 0)
                why = "Task group has duplicate task ids";
    }
    if (!why && !cr_resources_contains(&p->res, &total))
        why = "Task group uses more resources than available in the offers";
    if (why) {
        json_array_foreach(tasks, i, ti)
        {
            task_error(m, f, ti, "REASON_TASK_GROUP_INVALID", why);
        }
        cr_resources_fini(&total);
        cr_resources_fini(&one);
        return;
    }
    cr_resources_subtract(&p->res, &total);
    json_t *execj = json_deep_copy(exec);
    cr_json_set_id(execj, "framework_id", f->id);
    json_array_foreach(tasks, i, ti)
    {
        json_t *tcopy = json_deep_copy(ti);
        json_object_set(tcopy, "executor", execj);
        cr_resources_parse_json(&one, json_object_get(ti, "resources"), NULL,
                                err, sizeof(err));
        /* The executor's own resources ride on the group's first task. */
        if (i == 0) {
            struct cr_resources er;
            cr_resources_init(&er);
            cr_resources_parse_json(&er, json_object_get(exec, "resources"),
                                    NULL, err, sizeof(err));
            cr_resources_add(&one, &er);
            cr_resources_fini(&er);
        }
        task_add(m, f, p->agent, tcopy, p->role, &one, TASK_STAGING);
        json_decref(tcopy);
    }
    json_t *ev =
        json_pack("{s:s, s:{s:o, s:O, s:{s:O}}}", "type", "RUN_TASK_GROUP",
                  "run_task_group", "framework_info", json_deep_copy(f->info),
                  "executor", execj, "task_group", "tasks", tasks);
    agent_send(m, p->agent, ev);
    json_decref(execj);
    cr_resources_fini(&total);
    cr_resources_fini(&one);
}

void
accept_handle(struct master *m, struct mframework *f, json_t *accept)
{
    json_t *ops = json_object_get(accept, "operations");
    struct pool p = {.agent = NULL, .role = NULL};
    const char *why = NULL;
    cr_resources_init(&p.res);

    if (take_offers(m, f, json_object_get(accept, "offer_ids"), &p, &why) !=
            0 ||
        p.agent == NULL || p.agent->state != AGENT_CONNECTED) {
        /* Give back whatever was valid and belonged to f. */
        size_t i;
        json_t *oid;
        json_array_foreach(json_object_get(accept, "offer_ids"), i, oid)
        {
            struct moffer *o = offer_find(m, cr_json_str(oid, "value"));
            if (o && strcmp(o->framework_id, f->id) == 0)
                offer_remove(m, o, false, true, -1);
        }
        if (p.agent && !why) {
            why = "Agent is not connected";
            allocator_recover(m->allocator, f->id, p.agent->id, p.role, &p.res,
                              -1);
        }
        drop_tasks(m, f, ops, "REASON_INVALID_OFFERS", why);
        cr_resources_fini(&p.res);
        free(p.role);
        master_allocate_soon(m);
        return;
    }

    size_t i;
    json_t *op;
    json_array_foreach(ops, i, op)
    {
        const char *type = cr_json_str(op, "type");
        if (type && strcmp(type, "LAUNCH") == 0)
            launch_tasks(m, f, &p, json_object_get(op, "launch"));
        else if (type && strcmp(type, "LAUNCH_GROUP") == 0)
            launch_group(m, f, &p, json_object_get(op, "launch_group"));
        else
            cr_warn("framework %s: operation %s is not supported yet; "
                    "ignored",
                    f->id, type ? type : "(none)");
    }
    double refuse = refuse_seconds_of(json_object_get(accept, "filters"));
    allocator_recover(m->allocator, f->id, p.agent->id, p.role, &p.res, refuse);
    cr_resources_fini(&p.res);
    free(p.role);
    master_allocate_soon(m);
}
