/* SPDX-License-Identifier: Apache-2.0
 *
 * operator_config.c: the v1 operator calls that change what the registry
 * keeps for the cluster (registry.h) - UPDATE_WEIGHTS, UPDATE_QUOTA,
 * RESERVE_RESOURCES, UNRESERVE_RESOURCES, MARK_AGENT_GONE,
 * UPDATE_MAINTENANCE_SCHEDULE, START_MAINTENANCE, STOP_MAINTENANCE - and
 * the getters of that configuration: GET_QUOTA, GET_MAINTENANCE_SCHEDULE,
 * GET_MAINTENANCE_STATUS.
 *
 * Every change is validated against the master's state, committed to the
 * registry (the replicated log with --zk), and only then takes effect and
 * is answered: a 200 (202 for reservations, as upstream) means the change
 * survives a failover. Bad input is a 400 naming the field; a change that
 * does not fit the cluster (resources not available, a machine in the
 * wrong mode) is a 409; a registry that cannot store is a 503.
 *
 * The effects (config_effects.c) are applied on the commit callback and
 * again after every registry recovery, so a new leader behaves as the old
 * one did.
 *
 * A pending call holds its request until the registrar's callback (the
 * HTTP server keeps it valid until answered). Loop thread only.
 */
#include "operator_config.h"

#include "allocator.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "registrar.h"

#include <arpa/inet.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Weights and quantities accepted from operators (as the registry). */
#define WEIGHT_MAX  1e9
#define CONFIGS_MAX 1000 /* roles in one UPDATE_WEIGHTS / UPDATE_QUOTA */

/* ---- a call waiting for its registry commit ----------------------------- */

typedef void (*commit_effect_fn)(struct master *m, json_t *call);

struct pending {
    struct master *m;
    struct cr_http_req *req;
    json_t *call; /* a reference */
    commit_effect_fn effect;
    int ok_status; /* 200 or 202 */
    size_t waiting;
    int err;
    char why[256];
};

static void
pending_done(struct pending *p)
{
    if (p->err == 0) {
        if (p->effect)
            p->effect(p->m, p->call);
        cr_http_respond(p->req, p->ok_status, NULL, NULL, 0, NULL);
    } else if (p->err == CR_ESTATE) {
        cr_http_respond_text(p->req, 409, p->why);
    } else if (p->err == CR_ECANCELED_OP) {
        cr_http_respond_text(p->req, 503,
                             "This master stopped leading before the change "
                             "was stored; retry with the new leader");
    } else {
        char msg[320];
        snprintf(msg, sizeof(msg),
                 "The registry could not store the change: %s", p->why);
        cr_http_respond_text(p->req, 503, msg);
    }
    json_decref(p->call);
    free(p);
}

static void
on_committed(void *data, int err, const char *why)
{
    struct pending *p = data;
    if (err != 0 && p->err == 0) {
        p->err = err;
        snprintf(p->why, sizeof(p->why), "%s", why ? why : cr_strerror(err));
    }
    if (--p->waiting == 0)
        pending_done(p);
}

/* Commit ops[0..n) (taken) in one go; answer req when all are stored:
 * effect(call) runs first when all succeeded. */
static void
commit(struct master *m, struct cr_http_req *req, json_t *call,
       struct registry_op *ops, size_t n, commit_effect_fn effect,
       int ok_status)
{
    struct pending *p = cr_xcalloc(1, sizeof(*p));
    p->m = m;
    p->req = req;
    p->call = json_incref(call);
    p->effect = effect;
    p->ok_status = ok_status;
    p->waiting = n + 1; /* +1: held until every op is submitted */
    for (size_t i = 0; i < n; i++)
        if (registrar_apply(m->registrar, &ops[i], on_committed, p) != 0)
            on_committed(p, CR_ECANCELED_OP, "the registrar is not ready");
    on_committed(p, 0, NULL);
}

/* ---- input helpers ------------------------------------------------------- */

static void
bad_request(struct cr_http_req *req, const char *fmt, const char *arg)
{
    char msg[400];
    snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
    cr_http_respond_text(req, 400, msg);
}

/* call[field] as an object, or NULL after a 400. */
static const json_t *
body_of(struct cr_http_req *req, json_t *call, const char *field)
{
    const json_t *b = json_object_get(call, field);
    if (!json_is_object(b)) {
        bad_request(req, "Expecting '%s' to be present", field);
        return NULL;
    }
    return b;
}

/* A MachineID {hostname?, ip?}; at least one, ip a valid address. */
static int
parse_machine(const json_t *mid, const char **host, const char **ip, char *err,
              size_t errlen)
{
    *host = cr_json_str(mid, "hostname");
    *ip = cr_json_str(mid, "ip");
    unsigned char buf[16];
    if (!json_is_object(mid) || (*host == NULL && *ip == NULL)) {
        snprintf(err, errlen, "a MachineID needs a hostname or an ip");
        return -1;
    }
    if ((*host && (**host == '\0' || strlen(*host) > REGISTRY_STR_MAX)) ||
        (*ip && inet_pton(AF_INET, *ip, buf) != 1 &&
         inet_pton(AF_INET6, *ip, buf) != 1)) {
        snprintf(err, errlen, "invalid MachineID (hostname '%s', ip '%s')",
                 *host ? *host : "", *ip ? *ip : "");
        return -1;
    }
    return 0;
}

/* ---- weights ------------------------------------------------------------- */

static void
weights_effect(struct master *m, json_t *call)
{
    const json_t *infos = json_object_get(
        json_object_get(call, "update_weights"), "weight_infos");
    size_t i;
    const json_t *wi;
    json_array_foreach(infos, i, wi)
    {
        double w = 0;
        cr_json_num(wi, "weight", &w);
        allocator_set_weight(m->allocator, cr_json_str(wi, "role"), w);
    }
    master_allocate_soon(m);
}

static void
update_weights(struct master *m, struct cr_http_req *req, json_t *call)
{
    const json_t *body = body_of(req, call, "update_weights");
    const json_t *infos = json_object_get(body, "weight_infos");
    if (body == NULL)
        return;
    if (!json_is_array(infos) || json_array_size(infos) > CONFIGS_MAX)
        return bad_request(req,
                           "Expecting 'update_weights.weight_infos' to "
                           "be an array%s",
                           NULL);
    struct registry_op op;
    registry_op_weights(&op);
    size_t i;
    const json_t *wi;
    json_array_foreach(infos, i, wi)
    {
        const char *role = cr_json_str(wi, "role");
        double w = 0;
        if (role == NULL || !cr_role_is_valid(role) || strcmp(role, "*") == 0) {
            registry_op_fini(&op);
            return bad_request(req, "Invalid role '%s' in weight_infos",
                               role ? role : "(none)");
        }
        if (!cr_json_num(wi, "weight", &w) || !isfinite(w) || w <= 0 ||
            w > WEIGHT_MAX) {
            registry_op_fini(&op);
            return bad_request(req,
                               "Invalid weight for role '%s': expecting a "
                               "positive number",
                               role);
        }
        registry_op_add_weight(&op, role, w);
    }
    commit(m, req, call, &op, 1, weights_effect, 200);
}

/* ---- quota --------------------------------------------------------------- */

/* QuotaConfig's map<string, Value.Scalar> -> op scalars. */
static int
parse_scalar_map(json_t *map, bool limit, struct registry_op *op, char *err,
                 size_t errlen)
{
    if (map == NULL)
        return 0;
    if (!json_is_object(map) || json_object_size(map) > REGISTRY_SCALARS_MAX) {
        snprintf(err, errlen, "'%s' must be an object of at most %d scalars",
                 limit ? "limits" : "guarantees", REGISTRY_SCALARS_MAX);
        return -1;
    }
    const char *name;
    const json_t *v;
    json_object_foreach(map, name, v)
    {
        double d = -1;
        if (config_quota_kind(name) < 0) {
            snprintf(err, errlen,
                     "'%s.%s': quota supports cpus, mem, disk and gpus",
                     limit ? "limits" : "guarantees", name);
            return -1;
        }
        if (!cr_json_num(v, "value", &d) || !isfinite(d) || d < 0 ||
            d > CR_RES_MAX_SCALAR) {
            snprintf(err, errlen,
                     "'%s.%s' must be {\"value\": a non-negative number}",
                     limit ? "limits" : "guarantees", name);
            return -1;
        }
        registry_op_add_scalar(op, limit, name, d);
    }
    return 0;
}

static const struct registry_scalar *
scalar_find(const struct registry_scalar *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return &v[i];
    return NULL;
}

/* One QuotaConfig into op; guarantees may not exceed limits. */
static int
parse_quota_config(const json_t *qc, struct registry_op *op, char *err,
                   size_t errlen)
{
    const char *role = cr_json_str(qc, "role");
    if (!json_is_object(qc) || role == NULL || !cr_role_is_valid(role) ||
        strcmp(role, "*") == 0) {
        snprintf(err, errlen, "Invalid QuotaConfig: invalid role '%s'",
                 role ? role : "(none)");
        return -1;
    }
    registry_op_quota(op, role);
    char why[200];
    if (parse_scalar_map(json_object_get(qc, "guarantees"), false, op, why,
                         sizeof(why)) ||
        parse_scalar_map(json_object_get(qc, "limits"), true, op, why,
                         sizeof(why))) {
        snprintf(err, errlen, "Invalid QuotaConfig for role '%s': %s", role,
                 why);
        return -1;
    }
    for (size_t i = 0; i < op->quota.n_guarantees; i++) {
        const struct registry_scalar *g = &op->quota.guarantees[i];
        const struct registry_scalar *l =
            scalar_find(op->quota.limits, op->quota.n_limits, g->name);
        if (l && g->value > l->value) {
            snprintf(err, errlen,
                     "Invalid QuotaConfig for role '%s': guarantee of %s "
                     "(%g) exceeds its limit (%g)",
                     role, g->name, g->value, l->value);
            return -1;
        }
    }
    return 0;
}

/* Add each guarantee of v[0..n) into sum (name -> total). */
static void
sum_guarantees(json_t *sum, const struct registry_scalar *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        json_object_set_new(
            sum, v[i].name,
            json_real(json_number_value(json_object_get(sum, v[i].name)) +
                      v[i].value));
}

/* Guarantees may not grow beyond the agents' total (upstream's check,
 * bypassed by 'force'): 0, or -1 with the first resource that does not
 * fit. Only a resource whose guaranteed total grows is checked, so quota
 * can always be lowered or removed. */
static int
check_capacity(struct master *m, const struct registry_op *ops, size_t n,
               char *err, size_t errlen)
{
    const struct registry *reg = registrar_registry(m->registrar);
    json_t *before = json_object(), *after = json_object();
    const struct registry_quota *q, *tmp;
    HASH_ITER(hh, reg->quotas, q, tmp)
    {
        bool replaced = false;
        for (size_t i = 0; i < n; i++)
            replaced |= strcmp(ops[i].quota.role, q->role) == 0;
        sum_guarantees(before, q->guarantees, q->n_guarantees);
        if (!replaced)
            sum_guarantees(after, q->guarantees, q->n_guarantees);
    }
    for (size_t k = 0; k < n; k++)
        sum_guarantees(after, ops[k].quota.guarantees,
                       ops[k].quota.n_guarantees);
    int rc = 0;
    const char *name;
    json_t *v;
    json_object_foreach(after, name, v)
    {
        double want = json_number_value(v);
        if (want <= json_number_value(json_object_get(before, name)) + 1e-9)
            continue;
        double cap = 0;
        for (struct magent *a = m->agents; a; a = a->hh.next)
            cap += cr_resources_scalar(&a->total, name);
        if (want > cap + 1e-9) {
            snprintf(err, errlen,
                     "Total quota guarantees of %s (%g) exceed the cluster's "
                     "capacity (%g); use 'force' to set them anyway",
                     name, want, cap);
            rc = -1;
            break;
        }
    }
    json_decref(before);
    json_decref(after);
    return rc;
}

static void
quota_effect(struct master *m, json_t *call)
{
    (void)call;
    config_apply_quotas(m);
    /* As upstream: outstanding offers come back so that the next pass
     * hands them out under the new quota. */
    for (struct magent *a = m->agents; a; a = a->hh.next)
        offers_rescind_for_agent(m, a->id);
    master_allocate_soon(m);
}

static void
update_quota(struct master *m, struct cr_http_req *req, json_t *call)
{
    const json_t *body = body_of(req, call, "update_quota");
    if (body == NULL)
        return;
    const json_t *configs = json_object_get(body, "quota_configs");
    if (!json_is_array(configs) || json_array_size(configs) == 0 ||
        json_array_size(configs) > CONFIGS_MAX)
        return bad_request(req,
                           "Expecting 'update_quota.quota_configs' to be "
                           "a non-empty array%s",
                           NULL);
    size_t n = json_array_size(configs);
    struct registry_op *ops = cr_xcalloc(n, sizeof(*ops));
    char err[400];
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = parse_quota_config(json_array_get(configs, i), &ops[i], err,
                                sizeof(err));
        for (size_t j = 0; j < i && rc == 0; j++)
            if (strcmp(ops[j].quota.role, ops[i].quota.role) == 0) {
                snprintf(err, sizeof(err),
                         "Invalid QuotaConfig: role '%s' appears twice",
                         ops[i].quota.role);
                rc = -1;
            }
    }
    int status = 400;
    if (rc == 0 && !json_is_true(json_object_get(body, "force")) &&
        check_capacity(m, ops, n, err, sizeof(err)) != 0) {
        rc = -1;
        status = 409;
    }
    if (rc != 0) {
        for (size_t i = 0; i < n; i++)
            registry_op_fini(&ops[i]);
        free(ops);
        cr_http_respond_text(req, status, err);
        return;
    }
    commit(m, req, call, ops, n, quota_effect, 200);
    free(ops);
}

static json_t *
scalar_map_json(const struct registry_scalar *v, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, v[i].name,
                            json_pack("{s:f}", "value", v[i].value));
    return o;
}

json_t *
config_get_quota(struct master *m)
{
    json_t *infos = json_array(), *configs = json_array();
    const struct registry *reg = registrar_registry(m->registrar);
    const struct registry_quota *q, *tmp;
    HASH_ITER(hh, reg->quotas, q, tmp)
    {
        json_array_append_new(
            configs,
            json_pack("{s:s, s:o, s:o}", "role", q->role, "guarantees",
                      scalar_map_json(q->guarantees, q->n_guarantees), "limits",
                      scalar_map_json(q->limits, q->n_limits)));
        /* The deprecated QuotaInfo: guarantees as Resources. */
        json_t *guarantee = json_array();
        for (size_t i = 0; i < q->n_guarantees; i++)
            json_array_append_new(guarantee,
                                  json_pack("{s:s, s:s, s:{s:f}}", "name",
                                            q->guarantees[i].name, "type",
                                            "SCALAR", "scalar", "value",
                                            q->guarantees[i].value));
        json_array_append_new(infos, json_pack("{s:s, s:o}", "role", q->role,
                                               "guarantee", guarantee));
    }
    return json_pack("{s:{s:o, s:o}}", "status", "infos", infos, "configs",
                     configs);
}

/* ---- reservations -------------------------------------------------------- */

/* call's agent and resources, checked: dynamic reservations only. NULL
 * after a 4xx. */
static struct magent *
parse_reservation(struct master *m, struct cr_http_req *req, const json_t *body,
                  struct cr_resources *res)
{
    const char *id = cr_json_id(body, "agent_id");
    struct magent *a = agent_find(m, id);
    char err[256];
    if (id == NULL) {
        bad_request(req, "Expecting 'agent_id' to be present%s", NULL);
        return NULL;
    }
    if (a == NULL || a->state != AGENT_CONNECTED) {
        bad_request(req, "Unknown or disconnected agent '%s'", id);
        return NULL;
    }
    const json_t *arr = json_object_get(body, "resources");
    if (!json_is_array(arr) || json_array_size(arr) == 0 ||
        cr_resources_parse_json(res, arr, NULL, err, sizeof(err)) != 0) {
        bad_request(req, "Invalid resources: %s",
                    json_is_array(arr) && json_array_size(arr) ? err
                                                               : "expecting a "
                                                                 "non-empty "
                                                                 "array");
        return NULL;
    }
    struct cr_resources unres;
    cr_resources_init(&unres);
    cr_resources_unreserved(&unres, res);
    bool mixed = !cr_resources_is_empty(&unres);
    cr_resources_fini(&unres);
    if (mixed) {
        bad_request(req,
                    "Invalid resources: every resource must carry a "
                    "dynamic reservation%s",
                    NULL);
        return NULL;
    }
    return a;
}

static void
reservation_effect(struct master *m, json_t *call)
{
    bool reserve = strcmp(cr_json_str(call, "type"), "RESERVE_RESOURCES") == 0;
    const json_t *body = json_object_get(call, reserve ? "reserve_resources"
                                                       : "unreserve_resources");
    struct magent *a = agent_find(m, cr_json_id(body, "agent_id"));
    if (a == NULL)
        return; /* removed meanwhile: re-applied when it is back */
    struct cr_resources res;
    cr_resources_init(&res);
    if (cr_resources_parse_json(&res, json_object_get(body, "resources"), NULL,
                                NULL, 0) == 0)
        config_move_reservation(m, a, &res, reserve);
    cr_resources_fini(&res);
    master_allocate_soon(m);
}

static void
reservation_call(struct master *m, struct cr_http_req *req, json_t *call,
                 bool reserve)
{
    const json_t *body = body_of(
        req, call, reserve ? "reserve_resources" : "unreserve_resources");
    if (body == NULL)
        return;
    struct cr_resources res, need;
    cr_resources_init(&res);
    cr_resources_init(&need);
    struct magent *a = parse_reservation(m, req, body, &res);
    if (a == NULL)
        goto out;
    /* What must be free on the agent: the unreserved form to reserve, the
     * reserved resources themselves to unreserve. Offers are taken back
     * first so that offered resources count as free (as upstream). */
    if (reserve)
        cr_resources_flatten(&need, &res);
    else
        cr_resources_copy(&need, &res);
    const struct registry_agent *ra =
        registry_agent(registrar_registry(m->registrar), a->id);
    if (!reserve &&
        (ra == NULL || !cr_resources_contains(&ra->reserved, &res))) {
        cr_http_respond_text(req, 409,
                             "Invalid UNRESERVE: the agent has no such "
                             "dynamic reservation");
        goto out;
    }
    if (reserve) {
        /* Reserve what is unreserved now: compare with the unreserved
         * part of the agent's total. */
        struct cr_resources base;
        cr_resources_init(&base);
        cr_resources_unreserved(&base, &a->total);
        bool fits = cr_resources_contains(&base, &need);
        cr_resources_fini(&base);
        if (!fits) {
            cr_http_respond_text(req, 409,
                                 "Invalid RESERVE: the agent does not have "
                                 "these resources unreserved");
            goto out;
        }
    }
    offers_rescind_for_agent(m, a->id);
    const struct cr_resources *avail =
        allocator_agent_available(m->allocator, a->id);
    if (avail == NULL || !cr_resources_contains(avail, &need)) {
        cr_http_respond_text(req, 409,
                             reserve ? "Invalid RESERVE: the resources are in "
                                       "use on the agent"
                                     : "Invalid UNRESERVE: the resources are "
                                       "in use on the agent");
        goto out;
    }
    struct registry_op op;
    registry_op_reservation(
        &op, reserve ? REGISTRY_OP_RESERVE : REGISTRY_OP_UNRESERVE, a->id,
        &res);
    commit(m, req, call, &op, 1, reservation_effect, 202);
out:
    cr_resources_fini(&res);
    cr_resources_fini(&need);
}

/* ---- gone agents --------------------------------------------------------- */

static void
gone_effect(struct master *m, json_t *call)
{
    const char *id =
        cr_json_id(json_object_get(call, "mark_agent_gone"), "agent_id");
    struct magent *a = agent_find(m, id);
    if (a)
        agent_remove_by_operator(m, a, "marked gone by the operator");
}

static void
mark_agent_gone(struct master *m, struct cr_http_req *req, json_t *call)
{
    const json_t *body = body_of(req, call, "mark_agent_gone");
    if (body == NULL)
        return;
    const char *id = cr_json_id(body, "agent_id");
    if (id == NULL)
        return bad_request(req, "Expecting 'mark_agent_gone.agent_id'%s", NULL);
    enum registry_status st =
        registry_agent_status(registrar_registry(m->registrar), id);
    if (st == REGISTRY_GONE) {
        cr_http_respond(req, 200, NULL, NULL, 0, NULL); /* idempotent */
        return;
    }
    if (st == REGISTRY_UNKNOWN && agent_find(m, id) == NULL)
        return bad_request(req, "Unknown agent '%s'", id);
    struct registry_op op;
    registry_op_mark(&op, REGISTRY_OP_GONE, id, cr_wall_secs());
    commit(m, req, call, &op, 1, gone_effect, 200);
}

/* ---- maintenance --------------------------------------------------------- */

static json_t *
machine_id_json(const struct registry_machine_id *id)
{
    json_t *o = json_object();
    if (id->hostname)
        json_object_set_new(o, "hostname", json_string(id->hostname));
    if (id->ip)
        json_object_set_new(o, "ip", json_string(id->ip));
    return o;
}

json_t *
config_schedule_json(struct master *m)
{
    const struct registry *reg = registrar_registry(m->registrar);
    json_t *windows = json_array();
    for (size_t i = 0; i < reg->n_windows; i++) {
        const struct registry_window *w = &reg->windows[i];
        json_t *ids = json_array();
        for (size_t j = 0; j < w->n_machines; j++)
            json_array_append_new(ids, machine_id_json(&w->machines[j]));
        json_t *un = json_pack("{s:{s:I}}", "start", "nanoseconds",
                               (json_int_t)w->start_ns);
        if (w->duration_ns >= 0)
            json_object_set_new(
                un, "duration",
                json_pack("{s:I}", "nanoseconds", (json_int_t)w->duration_ns));
        json_array_append_new(windows, json_pack("{s:o, s:o}", "machine_ids",
                                                 ids, "unavailability", un));
    }
    return json_pack("{s:o}", "windows", windows);
}

json_t *
config_maintenance_status_json(struct master *m)
{
    const struct registry *reg = registrar_registry(m->registrar);
    json_t *draining = json_array(), *down = json_array();
    const struct registry_machine *mc, *tmp;
    HASH_ITER(hh, reg->machines, mc, tmp)
    {
        if (mc->mode == REGISTRY_MACHINE_DOWN)
            json_array_append_new(down, machine_id_json(&mc->id));
        else
            json_array_append_new(draining, json_pack("{s:o, s:[]}", "id",
                                                      machine_id_json(&mc->id),
                                                      "statuses"));
    }
    return json_pack("{s:o, s:o}", "draining_machines", draining,
                     "down_machines", down);
}

/* {"windows": [{"machine_ids": [...], "unavailability": {"start":
 * {"nanoseconds"}, "duration"?: {"nanoseconds"}}}]} into a SCHEDULE op. */
int
config_parse_schedule(const json_t *schedule, struct registry_op *op, char *err,
                      size_t errlen)
{
    registry_op_maintenance(op, REGISTRY_OP_SCHEDULE);
    const json_t *windows = json_object_get(schedule, "windows");
    if (windows == NULL)
        return 0; /* an empty schedule */
    if (!json_is_array(windows) ||
        json_array_size(windows) > REGISTRY_MACHINES_MAX) {
        snprintf(err, errlen, "'schedule.windows' must be an array");
        return -1;
    }
    size_t i, total = 0;
    const json_t *w;
    json_array_foreach(windows, i, w)
    {
        const json_t *ids = json_object_get(w, "machine_ids");
        const json_t *un = json_object_get(w, "unavailability");
        const json_t *start =
            json_object_get(json_object_get(un, "start"), "nanoseconds");
        const json_t *dur = json_object_get(un, "duration");
        const json_t *dur_ns = json_object_get(dur, "nanoseconds");
        if (!json_is_array(ids) || json_array_size(ids) == 0 ||
            (total += json_array_size(ids)) > REGISTRY_MACHINES_MAX) {
            snprintf(err, errlen,
                     "window %zu: 'machine_ids' must be a non-empty array", i);
            return -1;
        }
        if (!json_is_integer(start) || (dur && !json_is_integer(dur_ns)) ||
            (dur && json_integer_value(dur_ns) < 0)) {
            snprintf(err, errlen,
                     "window %zu: 'unavailability' needs start.nanoseconds "
                     "(and a non-negative duration.nanoseconds if given)",
                     i);
            return -1;
        }
        registry_op_add_window(op, (int64_t)json_integer_value(start),
                               dur ? (int64_t)json_integer_value(dur_ns) : -1);
        size_t j;
        const json_t *mid;
        json_array_foreach(ids, j, mid)
        {
            const char *host, *ip;
            char why[200];
            if (parse_machine(mid, &host, &ip, why, sizeof(why)) != 0) {
                snprintf(err, errlen, "window %zu, machine %zu: %s", i, j, why);
                return -1;
            }
            registry_op_add_machine(op, host, ip);
        }
    }
    return 0;
}

/* A list of MachineIDs into a START/STOP op. */
int
config_parse_machines(const json_t *machines, enum registry_op_type type,
                      struct registry_op *op, char *err, size_t errlen)
{
    registry_op_maintenance(op, type);
    if (!json_is_array(machines) || json_array_size(machines) == 0 ||
        json_array_size(machines) > REGISTRY_MACHINES_MAX) {
        snprintf(err, errlen, "'machines' must be a non-empty array");
        return -1;
    }
    size_t j;
    const json_t *mid;
    json_array_foreach(machines, j, mid)
    {
        const char *host, *ip;
        char why[200];
        if (parse_machine(mid, &host, &ip, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "machine %zu: %s", j, why);
            return -1;
        }
        registry_op_add_machine(op, host, ip);
    }
    return 0;
}

static void
maintenance_effect(struct master *m, json_t *call)
{
    (void)call;
    config_apply_maintenance(m);
}

static void
maintenance_call(struct master *m, struct cr_http_req *req, json_t *call,
                 const char *type)
{
    struct registry_op op;
    char err[300];
    int rc;
    memset(&op, 0, sizeof(op));
    if (strcmp(type, "UPDATE_MAINTENANCE_SCHEDULE") == 0) {
        const json_t *body = body_of(req, call, "update_maintenance_schedule");
        if (body == NULL)
            return;
        rc = config_parse_schedule(json_object_get(body, "schedule"), &op, err,
                                   sizeof(err));
    } else {
        bool start = strcmp(type, "START_MAINTENANCE") == 0;
        const json_t *body = body_of(
            req, call, start ? "start_maintenance" : "stop_maintenance");
        if (body == NULL)
            return;
        rc = config_parse_machines(json_object_get(body, "machines"),
                                   start ? REGISTRY_OP_START_MAINTENANCE
                                         : REGISTRY_OP_STOP_MAINTENANCE,
                                   &op, err, sizeof(err));
    }
    if (rc != 0) {
        registry_op_fini(&op);
        return bad_request(req, "%s", err);
    }
    /* Refused by the registry (a machine in the wrong mode, a DOWN one left
     * out of the schedule): a 409 with the reason, not a stored no-op. */
    if (registry_maint_check(registrar_registry(m->registrar), &op, err,
                             sizeof(err)) != 0) {
        registry_op_fini(&op);
        cr_http_respond_text(req, 409, err);
        return;
    }
    commit(m, req, call, &op, 1, maintenance_effect, 200);
}

/* ---- dispatch ------------------------------------------------------------ */

bool
operator_config_handle(struct master *m, struct cr_http_req *req, json_t *call,
                       const char *type)
{
    if (strcmp(type, "UPDATE_WEIGHTS") == 0)
        update_weights(m, req, call);
    else if (strcmp(type, "UPDATE_QUOTA") == 0)
        update_quota(m, req, call);
    else if (strcmp(type, "RESERVE_RESOURCES") == 0)
        reservation_call(m, req, call, true);
    else if (strcmp(type, "UNRESERVE_RESOURCES") == 0)
        reservation_call(m, req, call, false);
    else if (strcmp(type, "MARK_AGENT_GONE") == 0)
        mark_agent_gone(m, req, call);
    else if (strcmp(type, "UPDATE_MAINTENANCE_SCHEDULE") == 0 ||
             strcmp(type, "START_MAINTENANCE") == 0 ||
             strcmp(type, "STOP_MAINTENANCE") == 0)
        maintenance_call(m, req, call, type);
    else
        return false;
    return true;
}
