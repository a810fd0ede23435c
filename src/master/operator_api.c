/* SPDX-License-Identifier: Apache-2.0
 *
 * operator_api.c: POST /api/v1 on the master, the v1 operator API
 * (mesos.v1.master.Call, reference §3.1): GET_HEALTH, GET_FLAGS,
 * GET_VERSION, GET_METRICS, GET/SET_LOGGING_LEVEL, GET_STATE, GET_AGENTS,
 * GET_FRAMEWORKS, GET_EXECUTORS, GET_TASKS, GET_ROLES, GET_WEIGHTS,
 * GET_MASTER, TEARDOWN and SUBSCRIBE (operator_events.c); the calls that
 * change the registry's configuration (weights, quota, reservations, gone
 * agents, maintenance) and their getters are in operator_config.c.
 *
 * Answers: GET_* 200 with exactly "application/json" and a body
 * {"type": "GET_X", "get_x": {...}}; SET_LOGGING_LEVEL and TEARDOWN 200
 * without Content-Type (mesos-go's "no data" calls); bad input 400, other
 * call types 501. Routing sends standbys' calls to the leader first.
 *
 * Responses are built in one pass over each table: offers and task
 * resources are grouped by agent / framework / role in small hash maps
 * first, so no response is quadratic in the cluster's size.
 *
 * Owns nothing: the plumbing every v1 API shares (the checks, typed
 * responses, the SET_LOGGING_LEVEL revert timer) is net/api.h's. Loop
 * thread only.
 */
#include "operator_api.h"

#include "allocator.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/api.h"
#include "operator_config.h"
#include "registrar.h"
#include "registry.h"
#include "state_doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest response body (GET_STATE of a big cluster). */
#define MAX_RESPONSE (1u << 30)

/* ---- small helpers ------------------------------------------------------ */

static json_t *
time_info(double secs)
{
    return json_pack("{s:I}", "nanoseconds", (json_int_t)(secs * 1e9));
}

/* Append other's elements to arr; takes other. */
static void
extend_new(json_t *arr, json_t *other)
{
    json_array_extend(arr, other);
    json_decref(other);
}

/* A growable sum of resources per key (agent id, framework id, role). */
struct res_acc {
    char *key;
    struct cr_resources res;
    UT_hash_handle hh;
};

static struct res_acc *
acc_get(struct res_acc **head, const char *key)
{
    struct res_acc *e = NULL;
    HASH_FIND_STR(*head, key, e);
    if (e == NULL) {
        e = cr_xcalloc(1, sizeof(*e));
        e->key = cr_xstrdup(key);
        cr_resources_init(&e->res);
        HASH_ADD_KEYPTR(hh, *head, e->key, strlen(e->key), e);
    }
    return e;
}

static void
acc_free(struct res_acc **head)
{
    struct res_acc *e, *tmp;
    HASH_ITER(hh, *head, e, tmp)
    {
        HASH_DEL(*head, e);
        cr_resources_fini(&e->res);
        free(e->key);
        free(e);
    }
}

/* Append each role's sum as v1 Resources with allocation_info. */
static void
acc_append_json(struct res_acc *by_role, json_t *arr)
{
    for (struct res_acc *e = by_role; e; e = e->hh.next)
        extend_new(arr, cr_resources_to_json(&e->res, e->key));
}

/* ---- agents ------------------------------------------------------------- */

static json_t *
agent_json_with(struct master *m, struct magent *a, json_t *offered)
{
    struct res_acc *by_role = NULL;
    for (struct mtask *t = a->tasks; t; t = t->ag_next)
        if (!t->resources_released)
            cr_resources_add(&acc_get(&by_role, t->role)->res, &t->res);
    json_t *allocated = json_array();
    acc_append_json(by_role, allocated);
    acc_free(&by_role);

    json_t *info = json_deep_copy(a->info);
    if (!json_is_object(info)) {
        json_decref(info);
        info = json_object();
    }
    cr_json_set_id(info, "id", a->id);
    json_object_set_new(info, "resources",
                        cr_resources_to_json(&a->total, NULL));
    bool active = a->state == AGENT_CONNECTED;
    json_t *j = json_pack(
        "{s:o, s:b, s:b, s:s, s:s, s:o, s:o, s:o, s:o}", "agent_info", info,
        "active", active, "deactivated", !active, "version", CR_VERSION, "pid",
        a->pid, "registered_time", time_info(a->registered_time),
        "total_resources", cr_resources_to_json(&a->total, NULL),
        "allocated_resources", allocated, "offered_resources",
        offered ? offered : json_array());
    if (a->reregistered_time > 0)
        json_object_set_new(j, "reregistered_time",
                            time_info(a->reregistered_time));
    json_t *caps = json_object_get(a->info, "capabilities");
    if (json_is_array(caps))
        json_object_set(j, "capabilities", caps);
    return j;
}

json_t *
operator_agent_json(struct master *m, struct magent *a)
{
    json_t *offered = json_array();
    struct moffer *o, *tmp;
    HASH_ITER(hh, m->offers, o, tmp)
    {
        if (strcmp(o->agent_id, a->id) == 0)
            extend_new(offered, cr_resources_to_json(&o->res, o->role));
    }
    return agent_json_with(m, a, offered);
}

static json_t *
get_agents(struct master *m)
{
    /* Offers grouped by agent in one pass. */
    json_t *offered = json_object();
    struct moffer *o, *otmp;
    HASH_ITER(hh, m->offers, o, otmp)
    {
        json_t *arr = json_object_get(offered, o->agent_id);
        if (arr == NULL) {
            arr = json_array();
            json_object_set_new(offered, o->agent_id, arr);
        }
        extend_new(arr, cr_resources_to_json(&o->res, o->role));
    }
    json_t *agents = json_array();
    struct magent *a, *atmp;
    HASH_ITER(hh, m->agents, a, atmp)
    {
        json_t *off = json_object_get(offered, a->id);
        json_array_append_new(
            agents, agent_json_with(m, a, off ? json_incref(off) : NULL));
    }
    json_decref(offered);
    return json_pack("{s:o, s:[]}", "agents", agents, "recovered_agents");
}

/* ---- frameworks -----------------------------------------------------------
 */

static json_t *
offer_json(struct master *m, const struct moffer *o)
{
    struct magent *a = agent_find(m, o->agent_id);
    json_t *j = json_pack(
        "{s:o, s:o, s:o, s:s, s:o, s:{s:s}}", "id", cr_json_id_new(o->id),
        "framework_id", cr_json_id_new(o->framework_id), "agent_id",
        cr_json_id_new(o->agent_id), "hostname", a ? a->hostname : "",
        "resources", cr_resources_to_json(&o->res, o->role), "allocation_info",
        "role", o->role);
    return j;
}

/* f in the GetFrameworks.Framework shape; offers: its v1 offers (taken),
 * or NULL to look them up. */
static json_t *
framework_json_with(struct master *m, struct mframework *f, json_t *offers)
{
    if (offers == NULL) {
        offers = json_array();
        struct moffer *o, *tmp;
        HASH_ITER(hh, m->offers, o, tmp)
        {
            if (strcmp(o->framework_id, f->id) == 0)
                json_array_append_new(offers, offer_json(m, o));
        }
    }
    json_t *offered = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(offers, i, o)
    {
        json_array_extend(offered, json_object_get(o, "resources"));
    }
    struct res_acc *by_role = NULL;
    for (struct mtask *t = f->tasks; t; t = t->fw_next)
        if (!t->resources_released)
            cr_resources_add(&acc_get(&by_role, t->role)->res, &t->res);
    json_t *allocated = json_array();
    acc_append_json(by_role, allocated);
    acc_free(&by_role);

    bool connected = f->state == FRAMEWORK_CONNECTED;
    json_t *info =
        json_is_object(f->info) ? json_deep_copy(f->info) : json_object();
    cr_json_set_id(info, "id", f->id);
    json_t *j = json_pack(
        "{s:o, s:b, s:b, s:b, s:o, s:o, s:o, s:o}", "framework_info", info,
        "active", connected, "connected", connected, "recovered", f->recovered,
        "registered_time", time_info(f->registered_time), "offers", offers,
        "allocated_resources", allocated, "offered_resources", offered);
    if (f->reregistered_time > 0)
        json_object_set_new(j, "reregistered_time",
                            time_info(f->reregistered_time));
    if (f->unregistered_time > 0)
        json_object_set_new(j, "unregistered_time",
                            time_info(f->unregistered_time));
    return j;
}

json_t *
operator_framework_json(struct master *m, struct mframework *f)
{
    return framework_json_with(m, f, NULL);
}

/* A completed framework (kept in the v0 shape) in the v1 shape. */
json_t *
operator_completed_framework_json(const json_t *v0)
{
    json_t *info = json_object();
    static const char *const keys[] = {"name",      "user",      "hostname",
                                       "principal", "webui_url", "role"};
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        const char *v = cr_json_str(v0, keys[k]);
        if (v && *v)
            json_object_set_new(info, keys[k], json_string(v));
    }
    cr_json_set_id(info, "id",
                   cr_json_str(v0, "id") ? cr_json_str(v0, "id") : "");
    json_t *roles = json_object_get(v0, "roles");
    if (json_array_size(roles) > 0)
        json_object_set(info, "roles", roles);
    double fo = 0, reg = 0, unreg = 0;
    cr_json_num(v0, "failover_timeout", &fo);
    cr_json_num(v0, "registered_time", &reg);
    cr_json_num(v0, "unregistered_time", &unreg);
    json_object_set_new(info, "failover_timeout", json_real(fo));
    json_object_set_new(info, "checkpoint",
                        json_boolean(cr_json_bool(v0, "checkpoint", false)));
    return json_pack("{s:o, s:b, s:b, s:b, s:o, s:o}", "framework_info", info,
                     "active", 0, "connected", 0, "recovered", 0,
                     "registered_time", time_info(reg), "unregistered_time",
                     time_info(unreg));
}

static json_t *
get_frameworks(struct master *m)
{
    /* Offers grouped by framework in one pass. */
    json_t *by_fw = json_object();
    struct moffer *o, *otmp;
    HASH_ITER(hh, m->offers, o, otmp)
    {
        json_t *arr = json_object_get(by_fw, o->framework_id);
        if (arr == NULL) {
            arr = json_array();
            json_object_set_new(by_fw, o->framework_id, arr);
        }
        json_array_append_new(arr, offer_json(m, o));
    }
    json_t *fws = json_array();
    struct mframework *f, *ftmp;
    HASH_ITER(hh, m->frameworks, f, ftmp)
    {
        json_t *offers = json_object_get(by_fw, f->id);
        json_array_append_new(
            fws, framework_json_with(
                     m, f, offers ? json_incref(offers) : json_array()));
    }
    json_decref(by_fw);
    json_t *done = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(m->completed_frameworks, i, c)
    {
        json_array_append_new(done, operator_completed_framework_json(c));
    }
    return json_pack("{s:o, s:o}", "frameworks", fws, "completed_frameworks",
                     done);
}

/* ---- tasks and executors ------------------------------------------------- */

/* v0 flat resources ({"cpus": 1, "ports": "[1-2]"}) as v1 Resources. */
static json_t *
v0_resources_to_v1(json_t *flat, const char *role)
{
    struct cr_buf text;
    cr_buf_init(&text, 1u << 20);
    const char *name;
    json_t *v;
    json_object_foreach(flat, name, v)
    {
        if (json_is_number(v) && json_number_value(v) > 0)
            cr_buf_printf(&text, "%s%s:%.17g", text.len ? ";" : "", name,
                          json_number_value(v));
        else if (json_is_string(v) && json_string_length(v) > 2)
            cr_buf_printf(&text, "%s%s:%s", text.len ? ";" : "", name,
                          json_string_value(v));
    }
    struct cr_resources res;
    cr_resources_init(&res);
    json_t *out = NULL;
    if (text.len > 0 && cr_buf_puts(&text, "") == 0 &&
        cr_resources_parse_text(&res, text.data, NULL, NULL, 0) == 0)
        out = cr_resources_to_json(&res, role);
    cr_resources_fini(&res);
    cr_buf_fini(&text);
    return out ? out : json_array();
}

/* A completed task (kept in the v0 shape) in the v1 Task shape. */
json_t *
operator_completed_task_json(const json_t *v0)
{
    const char *id = cr_json_str(v0, "id");
    const char *fw = cr_json_str(v0, "framework_id");
    const char *agent = cr_json_str(v0, "slave_id");
    const char *state = cr_json_str(v0, "state");
    const char *name = cr_json_str(v0, "name");
    const char *exec = cr_json_str(v0, "executor_id");
    const char *role = cr_json_str(v0, "role");
    json_t *j =
        json_pack("{s:s, s:o, s:o, s:o, s:s, s:o}", "name", name ? name : "",
                  "task_id", cr_json_id_new(id ? id : ""), "framework_id",
                  cr_json_id_new(fw ? fw : ""), "agent_id",
                  cr_json_id_new(agent ? agent : ""), "state",
                  state ? state : "TASK_UNKNOWN", "resources",
                  v0_resources_to_v1(json_object_get(v0, "resources"), role));
    if (exec && *exec)
        cr_json_set_id(j, "executor_id", exec);
    json_t *statuses = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(v0, "statuses"), i, s)
    {
        const char *st = cr_json_str(s, "state");
        double ts = 0;
        cr_json_num(s, "timestamp", &ts);
        json_array_append_new(
            statuses, json_pack("{s:o, s:s, s:f}", "task_id",
                                cr_json_id_new(id ? id : ""), "state",
                                st ? st : "TASK_UNKNOWN", "timestamp", ts));
    }
    json_object_set_new(j, "statuses", statuses);
    return j;
}

static void
append_completed(json_t *out, const json_t *v0_tasks)
{
    size_t i;
    json_t *t;
    json_array_foreach(v0_tasks, i, t)
    {
        json_array_append_new(out, operator_completed_task_json(t));
    }
}

static json_t *
get_tasks(struct master *m)
{
    json_t *tasks = json_array();
    struct mtask *t, *ttmp;
    HASH_ITER(hh, m->tasks, t, ttmp)
    {
        json_array_append_new(tasks, task_to_v1_json(t));
    }
    json_t *completed = json_array();
    struct mframework *f, *ftmp;
    HASH_ITER(hh, m->frameworks, f, ftmp)
    {
        append_completed(completed, f->completed_tasks);
    }
    size_t i;
    json_t *c;
    json_array_foreach(m->completed_frameworks, i, c)
    {
        append_completed(completed, json_object_get(c, "tasks"));
        append_completed(completed, json_object_get(c, "completed_tasks"));
    }
    return json_pack("{s:[], s:o, s:[], s:o, s:[]}", "pending_tasks", "tasks",
                     tasks, "unreachable_tasks", "completed_tasks", completed,
                     "orphan_tasks");
}

/* Custom executors of live tasks, once per (agent, framework, executor). */
static json_t *
get_executors(struct master *m)
{
    json_t *seen = json_object();
    json_t *execs = json_array();
    struct mtask *t, *ttmp;
    HASH_ITER(hh, m->tasks, t, ttmp)
    {
        json_t *ei = json_object_get(t->info, "executor");
        if (!json_is_object(ei))
            continue;
        char *key = cr_xasprintf("%s\n%s\n%s", t->agent_id, t->framework_id,
                                 t->executor_id);
        if (json_object_get(seen, key) == NULL) {
            json_object_set_new(seen, key, json_true());
            json_t *info = json_deep_copy(ei);
            cr_json_set_id(info, "framework_id", t->framework_id);
            json_array_append_new(
                execs, json_pack("{s:o, s:o}", "executor_info", info,
                                 "agent_id", cr_json_id_new(t->agent_id)));
        }
        free(key);
    }
    json_decref(seen);
    return json_pack("{s:o, s:[]}", "executors", execs, "orphan_executors");
}

json_t *
operator_state_json(struct master *m)
{
    return json_pack("{s:o, s:o, s:o, s:o}", "get_tasks", get_tasks(m),
                     "get_executors", get_executors(m), "get_frameworks",
                     get_frameworks(m), "get_agents", get_agents(m));
}

/* ---- roles and weights --------------------------------------------------- */

/* Every role with a configured weight, into names (an object used as a
 * set). */
static void
weighted_roles(struct master *m, json_t *names)
{
    if (m->registrar) {
        const struct registry *r = registrar_registry(m->registrar);
        for (const struct registry_weight *w = r ? r->weights : NULL; w;
             w = w->hh.next)
            json_object_set_new(names, w->role, json_true());
    }
    if (m->flags.weights) {
        struct registry_op op;
        master_parse_weights(m->flags.weights, &op);
        for (size_t i = 0; i < op.n_weights; i++)
            json_object_set_new(names, op.weights[i].role, json_true());
        registry_op_fini(&op);
    }
}

json_t *
operator_get_weights(struct master *m)
{
    json_t *names = json_object();
    weighted_roles(m, names);
    json_t *infos = json_array();
    const char *role;
    json_t *v;
    json_object_foreach(names, role, v)
    {
        json_array_append_new(
            infos, json_pack("{s:s, s:f}", "role", role, "weight",
                             allocator_get_weight(m->allocator, role)));
    }
    json_decref(names);
    return json_pack("{s:o}", "weight_infos", infos);
}

static json_t *
role_entry(struct master *m, json_t *roles, const char *name)
{
    json_t *r = json_object_get(roles, name);
    if (r == NULL) {
        r = json_pack("{s:s, s:f, s:[]}", "name", name, "weight",
                      allocator_get_weight(m->allocator, name), "frameworks");
        json_object_set_new(roles, name, r);
    }
    return r;
}

static json_t *
get_roles(struct master *m)
{
    json_t *roles = json_object();
    json_t *names = json_object();
    weighted_roles(m, names);
    const char *name;
    json_t *v;
    json_object_foreach(names, name, v)
    {
        role_entry(m, roles, name);
    }
    json_decref(names);
    struct mframework *f, *ftmp;
    HASH_ITER(hh, m->frameworks, f, ftmp)
    {
        for (size_t i = 0; i < f->n_roles; i++)
            json_array_append_new(
                json_object_get(role_entry(m, roles, f->roles[i]),
                                "frameworks"),
                cr_json_id_new(f->id));
    }
    struct res_acc *by_role = NULL;
    struct mtask *t, *ttmp;
    HASH_ITER(hh, m->tasks, t, ttmp)
    {
        if (!t->resources_released)
            cr_resources_add(&acc_get(&by_role, t->role)->res, &t->res);
    }
    json_t *out = json_array();
    json_object_foreach(roles, name, v)
    {
        struct res_acc *e = NULL;
        HASH_FIND_STR(by_role, name, e);
        json_object_set_new(v, "resources",
                            e ? cr_resources_to_json(&e->res, NULL)
                              : json_array());
        json_array_append(out, v);
    }
    acc_free(&by_role);
    json_decref(roles);
    return json_pack("{s:o}", "roles", out);
}

/* ---- the small calls ----------------------------------------------------- */

static json_t *
get_flags(struct master *m)
{
    json_t *flags = json_array();
    for (size_t i = 0; i < m->n_flags; i++)
        if (m->flag_table[i].value)
            json_array_append_new(
                flags, json_pack("{s:s, s:s}", "name", m->flag_table[i].name,
                                 "value", m->flag_table[i].value));
    return json_pack("{s:o}", "flags", flags);
}

static json_t *
get_metrics(struct master *m)
{
    return cr_api_metrics(metrics_json(m));
}

static json_t *
get_master(struct master *m)
{
    json_t *j = json_pack("{s:o, s:f}", "master_info", master_info_json(m),
                          "start_time", m->start_time);
    if (m->leading)
        json_object_set_new(j, "elected_time", json_real(m->elected_time));
    return j;
}

/* SET_LOGGING_LEVEL (validated by operator_validate.c). */
static void
set_logging_level(struct master *m, const json_t *call)
{
    json_t *body = json_object_get(call, "set_logging_level");
    double level = json_number_value(json_object_get(body, "level"));
    double ns = json_number_value(
        json_object_get(json_object_get(body, "duration"), "nanoseconds"));
    cr_api_set_logging_level(m->loop, level >= 1 ? 1u : 0u, ns / 1e6);
}

static void
teardown(struct master *m, struct cr_http_req *req, const json_t *call)
{
    const char *id =
        cr_json_id(json_object_get(call, "teardown"), "framework_id");
    struct mframework *f = framework_find(m, id);
    if (f == NULL) {
        cr_http_respond_text(req, 400, "No framework found with specified ID");
        return;
    }
    framework_remove(m, f, "TEARDOWN by the operator");
    cr_http_respond(req, 200, NULL, NULL, 0, NULL);
}

/* ---- dispatch ------------------------------------------------------------ */

typedef json_t *(*getter_fn)(struct master *m);

static json_t *
get_health(struct master *m)
{
    (void)m;
    return json_pack("{s:b}", "healthy", 1);
}

static json_t *
get_version(struct master *m)
{
    (void)m;
    return json_pack("{s:o}", "version_info", cr_api_version_info(true));
}

static json_t *
get_logging_level(struct master *m)
{
    (void)m;
    return cr_api_logging_level();
}

static json_t *
get_maintenance_schedule(struct master *m)
{
    return json_pack("{s:o}", "schedule", config_schedule_json(m));
}

static json_t *
get_maintenance_status(struct master *m)
{
    return json_pack("{s:o}", "status", config_maintenance_status_json(m));
}

static const struct {
    const char *type;
    getter_fn fn;
} getters[] = {
    {"GET_HEALTH", get_health},
    {"GET_FLAGS", get_flags},
    {"GET_VERSION", get_version},
    {"GET_METRICS", get_metrics},
    {"GET_LOGGING_LEVEL", get_logging_level},
    {"GET_AGENTS", get_agents},
    {"GET_FRAMEWORKS", get_frameworks},
    {"GET_EXECUTORS", get_executors},
    {"GET_TASKS", get_tasks},
    {"GET_ROLES", get_roles},
    {"GET_WEIGHTS", operator_get_weights},
    {"GET_MASTER", get_master},
    {"GET_QUOTA", config_get_quota},
    {"GET_MAINTENANCE_SCHEDULE", get_maintenance_schedule},
    {"GET_MAINTENANCE_STATUS", get_maintenance_status},
};

void
operator_api_handle(struct master *m, struct cr_http_req *req)
{
    json_t *call;
    if (cr_api_parse_call(req, operator_call_validate, "master::Call", &call) !=
        0)
        return;
    const char *type = cr_json_str(call, "type");
    if (cr_api_check_accept(req) != 0) {
        json_decref(call);
        return;
    }
    if (strcmp(type, "GET_STATE") == 0) {
        /* Written in slices, never stalling the loop (state_doc.h). */
        state_serve(m, req, STATE_DOC_GET_STATE, NULL, NULL);
        json_decref(call);
        return;
    }
    for (size_t i = 0; i < sizeof(getters) / sizeof(getters[0]); i++)
        if (strcmp(type, getters[i].type) == 0) {
            cr_api_respond_typed(req, type, getters[i].fn(m), MAX_RESPONSE);
            json_decref(call);
            return;
        }
    if (strcmp(type, "SUBSCRIBE") == 0) {
        operator_events_subscribe(m, req);
    } else if (strcmp(type, "SET_LOGGING_LEVEL") == 0) {
        set_logging_level(m, call);
        cr_http_respond(req, 200, NULL, NULL, 0, NULL);
    } else if (strcmp(type, "TEARDOWN") == 0) {
        teardown(m, req, call);
    } else if (operator_config_handle(m, req, call, type)) {
        /* answered */
    } else {
        cr_http_respond_text(req, 501, "Unsupported call type");
    }
    json_decref(call);
}
