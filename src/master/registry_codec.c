/* SPDX-License-Identifier: Apache-2.0
 *
 * registry_codec.c: the registry's log records (registry.h): the
 * encoders, and the decoder, which copies into C structs and checks every
 * bound before anything is applied (bytes come from disk and from other
 * masters).
 */
#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"
#include "registry_private.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- encoding ------------------------------------------------------------ */

static json_t *
weights_json(const struct registry_role_weight *w, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_pack("{s:s, s:f}", "role", w[i].role,
                                             "weight", w[i].weight));
    return arr;
}

static json_t *
scalars_json(const struct registry_scalar *v, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, v[i].name, json_real(v[i].value));
    return o;
}

/* A quota as {"role", "guarantees", "limits"} (with "type" in an op). */
static json_t *
quota_json(const char *type, const struct registry_quota *q)
{
    json_t *o = json_pack("{s:s, s:o, s:o}", "role", q->role, "guarantees",
                          scalars_json(q->guarantees, q->n_guarantees),
                          "limits", scalars_json(q->limits, q->n_limits));
    if (type)
        json_object_set_new(o, "type", json_string(type));
    return o;
}

static json_t *
machine_json(const struct registry_machine_id *id)
{
    json_t *m = json_object();
    if (id->hostname)
        json_object_set_new(m, "hostname", json_string(id->hostname));
    if (id->ip)
        json_object_set_new(m, "ip", json_string(id->ip));
    return m;
}

static json_t *
machines_json(const struct registry_machine_id *ids, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, machine_json(&ids[i]));
    return arr;
}

static json_t *
windows_json(const struct registry_window *w, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(
            arr, json_pack("{s:o, s:I, s:I}", "machines",
                           machines_json(w[i].machines, w[i].n_machines),
                           "start_ns", (json_int_t)w[i].start_ns, "duration_ns",
                           (json_int_t)w[i].duration_ns));
    return arr;
}

static json_t *
op_json(const struct registry_op *op)
{
    const char *type = registry_op_names[op->type];
    switch (op->type) {
    case REGISTRY_OP_ADMIT:
        return json_pack("{s:s, s:{s:s, s:s, s:i}}", "type", type, "agent",
                         "id", op->agent_id, "hostname", op->hostname, "port",
                         op->port);
    case REGISTRY_OP_UNREACHABLE:
    case REGISTRY_OP_GONE:
        return json_pack("{s:s, s:s, s:f}", "type", type, "agent_id",
                         op->agent_id, "time", op->time);
    case REGISTRY_OP_WEIGHTS:
        return json_pack("{s:s, s:o}", "type", type, "weights",
                         weights_json(op->weights, op->n_weights));
    case REGISTRY_OP_QUOTA:
        return quota_json(type, &op->quota);
    case REGISTRY_OP_RESERVE:
    case REGISTRY_OP_UNRESERVE:
        return json_pack("{s:s, s:s, s:o}", "type", type, "agent_id",
                         op->agent_id, "resources",
                         cr_resources_to_json(&op->resources, NULL));
    case REGISTRY_OP_SCHEDULE:
        return json_pack("{s:s, s:o}", "type", type, "windows",
                         windows_json(op->windows, op->n_windows));
    case REGISTRY_OP_START_MAINTENANCE:
    case REGISTRY_OP_STOP_MAINTENANCE:
        return json_pack("{s:s, s:o}", "type", type, "machines",
                         machines_json(op->machines, op->n_machines));
    }
    return json_null();
}

static int
dump_record(json_t *rec, struct cr_buf *out)
{
    int rc = cr_json_dump_buf(rec, out);
    json_decref(rec);
    return rc;
}

int
registry_encode_ops(const struct registry_op *const *ops, size_t n,
                    struct cr_buf *out)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, op_json(ops[i]));
    return dump_record(
        json_pack("{s:s, s:o}", "format", REGISTRY_FORMAT, "ops", arr), out);
}

static json_t *
agent_json(const struct registry_agent *a)
{
    if (a->status == REGISTRY_GONE)
        return json_pack("{s:s, s:f}", "id", a->id, "time", a->time);
    json_t *o = json_pack("{s:s, s:s, s:i}", "id", a->id, "hostname",
                          a->hostname, "port", a->port);
    if (a->status == REGISTRY_UNREACHABLE)
        json_object_set_new(o, "time", json_real(a->time));
    if (!cr_resources_is_empty(&a->reserved))
        json_object_set_new(o, "reserved",
                            cr_resources_to_json(&a->reserved, NULL));
    return o;
}

static json_t *
snapshot_json(const struct registry *r)
{
    json_t *lists[4] = {NULL, json_array(), json_array(), json_array()};
    const struct registry_agent *a, *atmp;
    HASH_ITER(hh, r->agents, a, atmp)
    {
        if (a->status != REGISTRY_UNKNOWN)
            json_array_append_new(lists[a->status], agent_json(a));
    }
    json_t *weights = json_array(), *quotas = json_array();
    const struct registry_weight *w, *wtmp;
    HASH_ITER(hh, r->weights, w, wtmp)
    {
        json_array_append_new(weights, json_pack("{s:s, s:f}", "role", w->role,
                                                 "weight", w->weight));
    }
    const struct registry_quota *q, *qtmp;
    HASH_ITER(hh, r->quotas, q, qtmp)
    {
        json_array_append_new(quotas, quota_json(NULL, q));
    }
    json_t *down = json_array();
    const struct registry_machine *mc, *mtmp;
    HASH_ITER(hh, r->machines, mc, mtmp)
    {
        if (mc->mode == REGISTRY_MACHINE_DOWN)
            json_array_append_new(down, machine_json(&mc->id));
    }
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "admitted",
                     lists[REGISTRY_ADMITTED], "unreachable",
                     lists[REGISTRY_UNREACHABLE], "gone", lists[REGISTRY_GONE],
                     "weights", weights, "quotas", quotas, "schedule",
                     windows_json(r->windows, r->n_windows), "down", down);
}

int
registry_encode_snapshot(const struct registry *r, struct cr_buf *out)
{
    return dump_record(json_pack("{s:s, s:o}", "format", REGISTRY_FORMAT,
                                 "snapshot", snapshot_json(r)),
                       out);
}

char *
registry_to_json_text(const struct registry *r)
{
    json_t *v = snapshot_json(r);
    char *s = cr_json_dump(v);
    json_decref(v);
    return s;
}

/* ---- decoding ------------------------------------------------------------ */

/* obj[key] as a string of 1..REGISTRY_STR_MAX bytes without NUL. */
static const char *
get_str(const json_t *obj, const char *key, char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (s == NULL || n == 0 || n > REGISTRY_STR_MAX || strlen(s) != n) {
        snprintf(err, errlen, "'%s' must be a string of 1 to %d bytes", key,
                 REGISTRY_STR_MAX);
        return NULL;
    }
    return s;
}

static int
get_num(const json_t *obj, const char *key, double min, double max, double *out,
        char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    double d = json_number_value(v);
    if (!json_is_number(v) || !isfinite(d) || d < min || d > max) {
        snprintf(err, errlen, "'%s' must be a number in [%g, %g]", key, min,
                 max);
        return CR_EPROTO_DATA;
    }
    *out = d;
    return 0;
}

static int
get_port(const json_t *obj, int *out, char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, "port");
    json_int_t p = json_integer_value(v);
    if (!json_is_integer(v) || p < 1 || p > 65535) {
        snprintf(err, errlen, "'port' must be an integer in [1, 65535]");
        return CR_EPROTO_DATA;
    }
    *out = (int)p;
    return 0;
}

#define TIME_MAX   1e12
#define WEIGHT_MIN 1e-9
#define WEIGHT_MAX 1e9

static const json_t *
get_array(const json_t *obj, const char *key, size_t max, char *err,
          size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_array(v) || json_array_size(v) > max) {
        snprintf(err, errlen, "'%s' must be an array of at most %zu items", key,
                 max);
        return NULL;
    }
    return v;
}

/* {"role", "weight"} items of arr into op (a WEIGHTS op). */
static int
decode_weights(const json_t *arr, struct registry_op *op, char *err,
               size_t errlen)
{
    size_t i;
    const json_t *item;
    json_array_foreach(arr, i, item)
    {
        const char *role = get_str(item, "role", err, errlen);
        double w;
        if (role == NULL ||
            get_num(item, "weight", WEIGHT_MIN, WEIGHT_MAX, &w, err, errlen))
            return CR_EPROTO_DATA;
        registry_op_add_weight(op, role, w);
    }
    return 0;
}

/* An array of v1 Resources, every one of them reserved to a role. */
static int
decode_reserved(const json_t *arr, struct cr_resources *out, char *err,
                size_t errlen)
{
    if (!json_is_array(arr) || json_array_size(arr) > CR_RES_MAX_ENTRIES) {
        snprintf(err, errlen,
                 "reserved resources must be an array of at most "
                 "%d resources",
                 CR_RES_MAX_ENTRIES);
        return CR_EPROTO_DATA;
    }
    if (cr_resources_parse_json(out, arr, NULL, err, errlen) != 0)
        return CR_EPROTO_DATA;
    struct cr_resources unres;
    cr_resources_init(&unres);
    cr_resources_unreserved(&unres, out);
    bool any = !cr_resources_is_empty(&unres);
    cr_resources_fini(&unres);
    if (any) {
        cr_resources_clear(out);
        snprintf(err, errlen, "reserved resources include unreserved ones");
        return CR_EPROTO_DATA;
    }
    return 0;
}

/* obj[key]: {name: number} with at most REGISTRY_SCALARS_MAX names, into
 * op's quota (limits when `limit`). Absent is empty. */
static int
decode_scalars(const json_t *obj, const char *key, bool limit,
               struct registry_op *op, char *err, size_t errlen)
{
    json_t *map = json_object_get(obj, key);
    if (map == NULL)
        return 0;
    if (!json_is_object(map) || json_object_size(map) > REGISTRY_SCALARS_MAX) {
        snprintf(err, errlen, "'%s' must be an object of at most %d numbers",
                 key, REGISTRY_SCALARS_MAX);
        return CR_EPROTO_DATA;
    }
    const char *name;
    const json_t *v;
    json_object_foreach(map, name, v)
    {
        double d = json_number_value(v);
        size_t n = strlen(name);
        if (n == 0 || n > REGISTRY_STR_MAX || !json_is_number(v) ||
            !isfinite(d) || d < 0 || d > CR_RES_MAX_SCALAR) {
            snprintf(err, errlen, "'%s' must map names to numbers in [0, %g]",
                     key, CR_RES_MAX_SCALAR);
            return CR_EPROTO_DATA;
        }
        registry_op_add_scalar(op, limit, name, d);
    }
    return 0;
}

static int
decode_quota(const json_t *o, struct registry_op *op, char *err, size_t errlen)
{
    const char *role = get_str(o, "role", err, errlen);
    if (role == NULL)
        return CR_EPROTO_DATA;
    registry_op_quota(op, role);
    if (decode_scalars(o, "guarantees", false, op, err, errlen) ||
        decode_scalars(o, "limits", true, op, err, errlen)) {
        registry_op_fini(op);
        return CR_EPROTO_DATA;
    }
    return 0;
}

/* obj[key] as a string of 1..REGISTRY_STR_MAX bytes, or NULL when absent
 * (*bad set when present but not such a string). */
static const char *
opt_str(const json_t *obj, const char *key, bool *bad)
{
    const json_t *v = json_object_get(obj, key);
    if (v == NULL)
        return NULL;
    size_t n = json_string_length(v);
    const char *s = json_string_value(v);
    if (s == NULL || n == 0 || n > REGISTRY_STR_MAX || strlen(s) != n) {
        *bad = true;
        return NULL;
    }
    return s;
}

/* The machines of arr into op (into its last window for a SCHEDULE). */
static int
decode_machines(const json_t *arr, struct registry_op *op, size_t *budget,
                char *err, size_t errlen)
{
    if (!json_is_array(arr) || json_array_size(arr) > *budget) {
        snprintf(err, errlen,
                 "'machines' must be an array of at most %d "
                 "machines in all",
                 REGISTRY_MACHINES_MAX);
        return CR_EPROTO_DATA;
    }
    *budget -= json_array_size(arr);
    size_t i;
    const json_t *item;
    json_array_foreach(arr, i, item)
    {
        bool bad = !json_is_object(item);
        const char *host = opt_str(item, "hostname", &bad);
        const char *ip = opt_str(item, "ip", &bad);
        if (bad || (host == NULL && ip == NULL)) {
            snprintf(err, errlen,
                     "machine %zu: needs a hostname or an ip of "
                     "1 to %d bytes",
                     i, REGISTRY_STR_MAX);
            return CR_EPROTO_DATA;
        }
        registry_op_add_machine(op, host, ip);
    }
    return 0;
}

static int
get_int64(const json_t *obj, const char *key, int64_t *out, char *err,
          size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v)) {
        snprintf(err, errlen, "'%s' must be an integer", key);
        return CR_EPROTO_DATA;
    }
    *out = (int64_t)json_integer_value(v);
    return 0;
}

/* A schedule's windows into op (a SCHEDULE). */
static int
decode_windows(const json_t *arr, struct registry_op *op, char *err,
               size_t errlen)
{
    size_t budget = REGISTRY_MACHINES_MAX;
    size_t i;
    const json_t *w;
    json_array_foreach(arr, i, w)
    {
        int64_t start, duration;
        if (get_int64(w, "start_ns", &start, err, errlen) ||
            get_int64(w, "duration_ns", &duration, err, errlen))
            return CR_EPROTO_DATA;
        registry_op_add_window(op, start, duration);
        if (decode_machines(json_object_get(w, "machines"), op, &budget, err,
                            errlen))
            return CR_EPROTO_DATA;
    }
    return 0;
}

static int
decode_maintenance(const json_t *o, enum registry_op_type type,
                   struct registry_op *op, char *err, size_t errlen)
{
    registry_op_maintenance(op, type);
    size_t budget = REGISTRY_MACHINES_MAX;
    const json_t *arr;
    int rc;
    if (type == REGISTRY_OP_SCHEDULE)
        rc = (arr = get_array(o, "windows", REGISTRY_MACHINES_MAX, err,
                              errlen)) == NULL
                 ? CR_EPROTO_DATA
                 : decode_windows(arr, op, err, errlen);
    else
        rc = decode_machines(json_object_get(o, "machines"), op, &budget, err,
                             errlen);
    if (rc != 0)
        registry_op_fini(op);
    return rc;
}

static int
decode_reservation(const json_t *o, enum registry_op_type type,
                   struct registry_op *op, char *err, size_t errlen)
{
    const char *id = get_str(o, "agent_id", err, errlen);
    if (id == NULL)
        return CR_EPROTO_DATA;
    struct cr_resources res;
    cr_resources_init(&res);
    if (decode_reserved(json_object_get(o, "resources"), &res, err, errlen)) {
        cr_resources_fini(&res);
        return CR_EPROTO_DATA;
    }
    registry_op_reservation(op, type, id, &res);
    cr_resources_fini(&res);
    return 0;
}

static int
decode_admit(const json_t *o, struct registry_op *op, char *err, size_t errlen)
{
    const json_t *agent = json_object_get(o, "agent");
    const char *id = get_str(agent, "id", err, errlen);
    const char *host = id ? get_str(agent, "hostname", err, errlen) : NULL;
    int port;
    if (host == NULL || get_port(agent, &port, err, errlen))
        return CR_EPROTO_DATA;
    registry_op_admit(op, id, host, port);
    return 0;
}

static int
decode_op(const json_t *o, struct registry_op *op, char *err, size_t errlen)
{
    const char *type = cr_json_str(o, "type");
    memset(op, 0, sizeof(*op));
    if (type && strcmp(type, "ADMIT") == 0)
        return decode_admit(o, op, err, errlen);
    if (type &&
        (strcmp(type, "UNREACHABLE") == 0 || strcmp(type, "GONE") == 0)) {
        const char *id = get_str(o, "agent_id", err, errlen);
        double t;
        if (id == NULL || get_num(o, "time", 0, TIME_MAX, &t, err, errlen))
            return CR_EPROTO_DATA;
        registry_op_mark(
            op, type[0] == 'G' ? REGISTRY_OP_GONE : REGISTRY_OP_UNREACHABLE, id,
            t);
        return 0;
    }
    if (type && strcmp(type, "WEIGHTS") == 0) {
        const json_t *arr =
            get_array(o, "weights", REGISTRY_ITEMS_MAX, err, errlen);
        registry_op_weights(op);
        if (arr == NULL || decode_weights(arr, op, err, errlen)) {
            registry_op_fini(op);
            return CR_EPROTO_DATA;
        }
        return 0;
    }
    if (type && strcmp(type, "QUOTA") == 0)
        return decode_quota(o, op, err, errlen);
    if (type && strcmp(type, "RESERVE") == 0)
        return decode_reservation(o, REGISTRY_OP_RESERVE, op, err, errlen);
    if (type && strcmp(type, "UNRESERVE") == 0)
        return decode_reservation(o, REGISTRY_OP_UNRESERVE, op, err, errlen);
    if (type && strcmp(type, "SCHEDULE") == 0)
        return decode_maintenance(o, REGISTRY_OP_SCHEDULE, op, err, errlen);
    if (type && strcmp(type, "START_MAINTENANCE") == 0)
        return decode_maintenance(o, REGISTRY_OP_START_MAINTENANCE, op, err,
                                  errlen);
    if (type && strcmp(type, "STOP_MAINTENANCE") == 0)
        return decode_maintenance(o, REGISTRY_OP_STOP_MAINTENANCE, op, err,
                                  errlen);
    snprintf(err, errlen, "unknown operation type '%s'",
             type ? type : "(none)");
    return CR_EPROTO_DATA;
}

static void
free_ops(struct registry_op *ops, size_t n)
{
    for (size_t i = 0; i < n; i++)
        registry_op_fini(&ops[i]);
    free(ops);
}

static int
replay_ops(struct registry *r, const json_t *arr,
           struct registry_replay_info *info, char *err, size_t errlen)
{
    size_t n = json_array_size(arr);
    struct registry_op *ops = cr_xcalloc(n ? n : 1, sizeof(*ops));
    for (size_t i = 0; i < n; i++) {
        char why[200];
        if (decode_op(json_array_get(arr, i), &ops[i], why, sizeof(why))) {
            snprintf(err, errlen, "operation %zu: %s", i, why);
            free_ops(ops, i);
            return CR_EPROTO_DATA;
        }
    }
    for (size_t i = 0; i < n; i++) {
        char why[200];
        if (registry_apply(r, &ops[i], why, sizeof(why)) != 0)
            info->skipped++;
    }
    info->ops = n;
    free_ops(ops, n);
    return 0;
}

static int
snap_agent(struct registry *r, const json_t *item, enum registry_status st,
           char *err, size_t errlen)
{
    const char *id = get_str(item, "id", err, errlen);
    const char *host = NULL;
    int port = 0;
    double t = 0;
    if (id == NULL)
        return CR_EPROTO_DATA;
    if (st != REGISTRY_GONE &&
        ((host = get_str(item, "hostname", err, errlen)) == NULL ||
         get_port(item, &port, err, errlen)))
        return CR_EPROTO_DATA;
    if (st != REGISTRY_ADMITTED &&
        get_num(item, "time", 0, TIME_MAX, &t, err, errlen))
        return CR_EPROTO_DATA;
    if (registry_find_agent(r, id)) {
        snprintf(err, errlen, "agent %s is listed twice", id);
        return CR_EPROTO_DATA;
    }
    struct cr_resources reserved;
    cr_resources_init(&reserved);
    const json_t *res = json_object_get(item, "reserved");
    if (res && (st == REGISTRY_GONE ||
                decode_reserved(res, &reserved, err, errlen) != 0)) {
        if (st == REGISTRY_GONE)
            snprintf(err, errlen, "a gone agent has no reservations");
        cr_resources_fini(&reserved);
        return CR_EPROTO_DATA;
    }
    struct registry_agent *a = registry_add_agent(r, id, st);
    if (host)
        registry_set_host(a, host, port);
    a->time = t;
    cr_resources_move(&a->reserved, &reserved);
    return 0;
}

static int
snap_agents(struct registry *r, const json_t *snap, const char *key,
            enum registry_status st, char *err, size_t errlen)
{
    const json_t *arr = get_array(snap, key, REGISTRY_ITEMS_MAX, err, errlen);
    if (arr == NULL)
        return CR_EPROTO_DATA;
    size_t i;
    const json_t *item;
    json_array_foreach(arr, i, item)
    {
        char why[200];
        if (snap_agent(r, item, st, why, sizeof(why))) {
            snprintf(err, errlen, "%s[%zu]: %s", key, i, why);
            return CR_EPROTO_DATA;
        }
    }
    return 0;
}

/* The snapshot's optional "quotas" into tmp. */
static int
snap_quotas(struct registry *tmp, const json_t *snap, char *err, size_t errlen)
{
    if (json_object_get(snap, "quotas") == NULL)
        return 0;
    const json_t *arr =
        get_array(snap, "quotas", REGISTRY_ITEMS_MAX, err, errlen);
    if (arr == NULL)
        return CR_EPROTO_DATA;
    size_t i;
    const json_t *item;
    json_array_foreach(arr, i, item)
    {
        struct registry_op op;
        char why[200];
        if (decode_quota(item, &op, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "quotas[%zu]: %s", i, why);
            return CR_EPROTO_DATA;
        }
        bool twice = registry_quota(tmp, op.quota.role) != NULL;
        if (!twice)
            registry_apply(tmp, &op, why, sizeof(why));
        registry_op_fini(&op);
        if (twice) {
            snprintf(err, errlen, "quotas[%zu]: the role is listed twice", i);
            return CR_EPROTO_DATA;
        }
    }
    return 0;
}

/* The snapshot's optional "schedule" and "down" into tmp. */
static int
snap_maintenance(struct registry *tmp, const json_t *snap, char *err,
                 size_t errlen)
{
    struct registry_op sched, down;
    registry_op_maintenance(&sched, REGISTRY_OP_SCHEDULE);
    registry_op_maintenance(&down, REGISTRY_OP_START_MAINTENANCE);
    const json_t *arr = json_object_get(snap, "schedule");
    const json_t *darr = json_object_get(snap, "down");
    size_t budget = REGISTRY_MACHINES_MAX;
    int rc = 0;
    if (arr && ((arr = get_array(snap, "schedule", REGISTRY_MACHINES_MAX, err,
                                 errlen)) == NULL ||
                decode_windows(arr, &sched, err, errlen) != 0))
        rc = CR_EPROTO_DATA;
    else if (darr && decode_machines(darr, &down, &budget, err, errlen) != 0)
        rc = CR_EPROTO_DATA;
    else if (arr || darr) {
        struct registry_window *w = sched.windows;
        size_t n = sched.n_windows;
        sched.windows = NULL;
        sched.n_windows = 0;
        if (registry_maint_restore(tmp, w, n, down.machines, down.n_machines,
                                   err, errlen) != 0)
            rc = CR_EPROTO_DATA;
    }
    registry_op_fini(&sched);
    registry_op_fini(&down);
    return rc;
}

static int
replay_snapshot(struct registry *r, const json_t *snap, char *err,
                size_t errlen)
{
    struct registry tmp;
    struct registry_op w;
    registry_init(&tmp);
    registry_op_weights(&w);
    const json_t *wa;
    int rc = CR_EPROTO_DATA;
    if (snap_agents(&tmp, snap, "admitted", REGISTRY_ADMITTED, err, errlen) ||
        snap_agents(&tmp, snap, "unreachable", REGISTRY_UNREACHABLE, err,
                    errlen) ||
        snap_agents(&tmp, snap, "gone", REGISTRY_GONE, err, errlen) ||
        (wa = get_array(snap, "weights", REGISTRY_ITEMS_MAX, err, errlen)) ==
            NULL ||
        decode_weights(wa, &w, err, errlen) ||
        snap_quotas(&tmp, snap, err, errlen) ||
        snap_maintenance(&tmp, snap, err, errlen)) {
        registry_fini(&tmp);
        goto out;
    }
    registry_apply(&tmp, &w, err, errlen);
    registry_fini(r);
    *r = tmp;
    rc = 0;
out:
    registry_op_fini(&w);
    return rc;
}

int
registry_replay(struct registry *r, const uint8_t *bytes, size_t len,
                struct registry_replay_info *info, char *err, size_t errlen)
{
    struct registry_replay_info dummy;
    if (info == NULL)
        info = &dummy;
    memset(info, 0, sizeof(*info));
    char why[256];
    json_t *rec = cr_json_parse((const char *)bytes, len, why, sizeof(why));
    int rc = CR_EPROTO_DATA;
    if (rec == NULL) {
        snprintf(err, errlen, "registry record: %s", why);
        return rc;
    }
    const char *format = cr_json_str(rec, "format");
    const json_t *ops = json_object_get(rec, "ops");
    const json_t *snap = json_object_get(rec, "snapshot");
    if (format == NULL || strcmp(format, REGISTRY_FORMAT) != 0)
        snprintf(err, errlen, "registry record: format is not '%s'",
                 REGISTRY_FORMAT);
    else if (json_is_object(snap))
        info->snapshot = (rc = replay_snapshot(r, snap, why, sizeof(why))) == 0;
    else if (json_is_array(ops) && json_array_size(ops) <= REGISTRY_OPS_MAX)
        rc = replay_ops(r, ops, info, why, sizeof(why));
    else
        snprintf(why, sizeof(why),
                 "neither a snapshot nor a batch of at "
                 "most %d operations",
                 REGISTRY_OPS_MAX);
    if (rc != 0 && format && strcmp(format, REGISTRY_FORMAT) == 0)
        snprintf(err, errlen, "registry record: %s", why);
    json_decref(rec);
    return rc;
}
