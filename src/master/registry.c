/* SPDX-License-Identifier: Apache-2.0
 *
 * registry.c: see registry.h. Three parts: the in-memory registry and its
 * transitions, the record encoders, and the record decoder (which copies
 * into C structs and checks every bound before anything is applied).
 */
#include "registry.h"

#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {"UNKNOWN", "ADMITTED", "UNREACHABLE",
                                           "GONE"};
static const char *const op_names[] = {"ADMIT", "UNREACHABLE", "GONE",
                                       "WEIGHTS"};

/* ---- the registry -------------------------------------------------------- */

void
registry_init(struct registry *r)
{
    memset(r, 0, sizeof(*r));
}

static void
agent_free(struct registry_agent *a)
{
    free(a->id);
    free(a->hostname);
    free(a);
}

void
registry_fini(struct registry *r)
{
    struct registry_agent *a, *atmp;
    HASH_ITER(hh, r->agents, a, atmp)
    {
        HASH_DEL(r->agents, a);
        agent_free(a);
    }
    struct registry_weight *w, *wtmp;
    HASH_ITER(hh, r->weights, w, wtmp)
    {
        HASH_DEL(r->weights, w);
        free(w->role);
        free(w);
    }
    registry_init(r);
}

void
registry_clear(struct registry *r)
{
    registry_fini(r);
}

static struct registry_agent *
find_agent(const struct registry *r, const char *id)
{
    struct registry_agent *a = NULL;
    if (id)
        HASH_FIND_STR(r->agents, id, a);
    return a;
}

enum registry_status
registry_agent_status(const struct registry *r, const char *id)
{
    const struct registry_agent *a = find_agent(r, id);
    return a ? a->status : REGISTRY_UNKNOWN;
}

const char *
registry_status_name(enum registry_status s)
{
    return (unsigned)s < 4 ? status_names[s] : "?";
}

double
registry_weight(const struct registry *r, const char *role)
{
    struct registry_weight *w = NULL;
    HASH_FIND_STR(r->weights, role, w);
    return w ? w->weight : 0;
}

size_t
registry_weights_count(const struct registry *r)
{
    return HASH_COUNT(r->weights);
}

static void
set_status(struct registry *r, struct registry_agent *a,
           enum registry_status to)
{
    r->count[a->status]--;
    r->count[to]++;
    a->status = to;
}

static void
set_host(struct registry_agent *a, const char *hostname, int port)
{
    free(a->hostname);
    a->hostname = cr_xstrdup(hostname);
    a->port = port;
}

static struct registry_agent *
add_agent(struct registry *r, const char *id, enum registry_status st)
{
    struct registry_agent *a = cr_xcalloc(1, sizeof(*a));
    a->id = cr_xstrdup(id);
    a->status = st;
    HASH_ADD_KEYPTR(hh, r->agents, a->id, strlen(a->id), a);
    r->count[st]++;
    return a;
}

static int
refuse(const struct registry_op *op, enum registry_status st, char *err,
       size_t errlen)
{
    snprintf(err, errlen, "%s of agent %s, which is %s in the registry",
             op_names[op->type], op->agent_id, status_names[st]);
    return CR_ESTATE;
}

static int
apply_admit(struct registry *r, const struct registry_op *op, char *err,
            size_t errlen)
{
    struct registry_agent *a = find_agent(r, op->agent_id);
    if (a == NULL)
        a = add_agent(r, op->agent_id, REGISTRY_ADMITTED);
    else if (a->status == REGISTRY_GONE)
        return refuse(op, a->status, err, errlen);
    set_status(r, a, REGISTRY_ADMITTED);
    set_host(a, op->hostname, op->port);
    a->time = 0;
    return 0;
}

static int
apply_mark(struct registry *r, const struct registry_op *op, char *err,
           size_t errlen)
{
    struct registry_agent *a = find_agent(r, op->agent_id);
    enum registry_status to =
        op->type == REGISTRY_OP_GONE ? REGISTRY_GONE : REGISTRY_UNREACHABLE;
    if (a == NULL)
        return refuse(op, REGISTRY_UNKNOWN, err, errlen);
    if (a->status == REGISTRY_GONE && to != REGISTRY_GONE)
        return refuse(op, a->status, err, errlen);
    set_status(r, a, to);
    a->time = op->time;
    if (to == REGISTRY_GONE)
        CR_FREE(a->hostname);
    return 0;
}

static void
set_weight(struct registry *r, const char *role, double weight)
{
    struct registry_weight *w = NULL;
    HASH_FIND_STR(r->weights, role, w);
    if (w == NULL) {
        w = cr_xcalloc(1, sizeof(*w));
        w->role = cr_xstrdup(role);
        HASH_ADD_KEYPTR(hh, r->weights, w->role, strlen(w->role), w);
    }
    w->weight = weight;
}

int
registry_apply(struct registry *r, const struct registry_op *op, char *err,
               size_t errlen)
{
    switch (op->type) {
    case REGISTRY_OP_ADMIT:
        return apply_admit(r, op, err, errlen);
    case REGISTRY_OP_UNREACHABLE:
    case REGISTRY_OP_GONE:
        return apply_mark(r, op, err, errlen);
    case REGISTRY_OP_WEIGHTS:
        for (size_t i = 0; i < op->n_weights; i++)
            set_weight(r, op->weights[i].role, op->weights[i].weight);
        return 0;
    }
    snprintf(err, errlen, "unknown operation");
    return CR_ESTATE;
}

/* ---- operations ---------------------------------------------------------- */

void
registry_op_admit(struct registry_op *op, const char *id, const char *hostname,
                  int port)
{
    memset(op, 0, sizeof(*op));
    op->type = REGISTRY_OP_ADMIT;
    op->agent_id = cr_xstrdup(id);
    op->hostname = cr_xstrdup(hostname);
    op->port = port;
}

void
registry_op_mark(struct registry_op *op, enum registry_op_type type,
                 const char *id, double time)
{
    memset(op, 0, sizeof(*op));
    op->type = type;
    op->agent_id = cr_xstrdup(id);
    op->time = time;
}

void
registry_op_weights(struct registry_op *op)
{
    memset(op, 0, sizeof(*op));
    op->type = REGISTRY_OP_WEIGHTS;
}

void
registry_op_add_weight(struct registry_op *op, const char *role, double weight)
{
    op->weights =
        cr_xrealloc(op->weights, (op->n_weights + 1) * sizeof(*op->weights));
    op->weights[op->n_weights].role = cr_xstrdup(role);
    op->weights[op->n_weights].weight = weight;
    op->n_weights++;
}

void
registry_op_fini(struct registry_op *op)
{
    free(op->agent_id);
    free(op->hostname);
    for (size_t i = 0; i < op->n_weights; i++)
        free(op->weights[i].role);
    free(op->weights);
    memset(op, 0, sizeof(*op));
}

void
registry_op_move(struct registry_op *dst, struct registry_op *src)
{
    *dst = *src;
    memset(src, 0, sizeof(*src));
}

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
op_json(const struct registry_op *op)
{
    const char *type = op_names[op->type];
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
snapshot_json(const struct registry *r)
{
    json_t *admitted = json_array(), *unreachable = json_array();
    json_t *gone = json_array(), *weights = json_array();
    const struct registry_agent *a, *atmp;
    HASH_ITER(hh, r->agents, a, atmp)
    {
        if (a->status == REGISTRY_ADMITTED)
            json_array_append_new(
                admitted, json_pack("{s:s, s:s, s:i}", "id", a->id, "hostname",
                                    a->hostname, "port", a->port));
        else if (a->status == REGISTRY_UNREACHABLE)
            json_array_append_new(unreachable,
                                  json_pack("{s:s, s:s, s:i, s:f}", "id", a->id,
                                            "hostname", a->hostname, "port",
                                            a->port, "time", a->time));
        else
            json_array_append_new(
                gone, json_pack("{s:s, s:f}", "id", a->id, "time", a->time));
    }
    const struct registry_weight *w, *wtmp;
    HASH_ITER(hh, r->weights, w, wtmp)
    {
        json_array_append_new(weights, json_pack("{s:s, s:f}", "role", w->role,
                                                 "weight", w->weight));
    }
    return json_pack("{s:o, s:o, s:o, s:o}", "admitted", admitted,
                     "unreachable", unreachable, "gone", gone, "weights",
                     weights);
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
    if (find_agent(r, id)) {
        snprintf(err, errlen, "agent %s is listed twice", id);
        return CR_EPROTO_DATA;
    }
    struct registry_agent *a = add_agent(r, id, st);
    if (host)
        set_host(a, host, port);
    a->time = t;
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
        decode_weights(wa, &w, err, errlen)) {
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
