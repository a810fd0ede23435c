/* SPDX-License-Identifier: Apache-2.0
 *
 * registry.c: see registry.h. The in-memory registry, its transitions and
 * the operation constructors. The maintenance schedule's transitions are in
 * registry_maint.c, the records' encoder and decoder in registry_codec.c.
 */
#include "registry.h"

#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"
#include "registry_private.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[] = {"UNKNOWN", "ADMITTED", "UNREACHABLE",
                                           "GONE"};
const char *const registry_op_names[] = {
    "ADMIT",
    "UNREACHABLE",
    "GONE",
    "WEIGHTS",
    "QUOTA",
    "RESERVE",
    "UNRESERVE",
    "SCHEDULE",
    "START_MAINTENANCE",
    "STOP_MAINTENANCE",
};

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
    cr_resources_fini(&a->reserved);
    free(a);
}

void
registry_scalars_free(struct registry_scalar *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i].name);
    free(v);
}

static void
quota_fini(struct registry_quota *q)
{
    free(q->role);
    registry_scalars_free(q->guarantees, q->n_guarantees);
    registry_scalars_free(q->limits, q->n_limits);
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
    struct registry_quota *q, *qtmp;
    HASH_ITER(hh, r->quotas, q, qtmp)
    {
        HASH_DEL(r->quotas, q);
        quota_fini(q);
        free(q);
    }
    registry_maint_fini(r);
    registry_init(r);
}

void
registry_clear(struct registry *r)
{
    registry_fini(r);
}

struct registry_agent *
registry_find_agent(const struct registry *r, const char *id)
{
    struct registry_agent *a = NULL;
    if (id)
        HASH_FIND_STR(r->agents, id, a);
    return a;
}

enum registry_status
registry_agent_status(const struct registry *r, const char *id)
{
    const struct registry_agent *a = registry_find_agent(r, id);
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

const struct registry_quota *
registry_quota(const struct registry *r, const char *role)
{
    struct registry_quota *q = NULL;
    if (role)
        HASH_FIND_STR(r->quotas, role, q);
    return q;
}

const struct registry_agent *
registry_agent(const struct registry *r, const char *id)
{
    return registry_find_agent(r, id);
}

static void
set_status(struct registry *r, struct registry_agent *a,
           enum registry_status to)
{
    r->count[a->status]--;
    r->count[to]++;
    a->status = to;
}

void
registry_set_host(struct registry_agent *a, const char *hostname, int port)
{
    free(a->hostname);
    a->hostname = cr_xstrdup(hostname);
    a->port = port;
}

struct registry_agent *
registry_add_agent(struct registry *r, const char *id, enum registry_status st)
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
             registry_op_names[op->type], op->agent_id, status_names[st]);
    return CR_ESTATE;
}

static int
apply_admit(struct registry *r, const struct registry_op *op, char *err,
            size_t errlen)
{
    struct registry_agent *a = registry_find_agent(r, op->agent_id);
    if (a == NULL)
        a = registry_add_agent(r, op->agent_id, REGISTRY_ADMITTED);
    else if (a->status == REGISTRY_GONE)
        return refuse(op, a->status, err, errlen);
    set_status(r, a, REGISTRY_ADMITTED);
    registry_set_host(a, op->hostname, op->port);
    a->time = 0;
    return 0;
}

static int
apply_mark(struct registry *r, const struct registry_op *op, char *err,
           size_t errlen)
{
    struct registry_agent *a = registry_find_agent(r, op->agent_id);
    enum registry_status to =
        op->type == REGISTRY_OP_GONE ? REGISTRY_GONE : REGISTRY_UNREACHABLE;
    if (a == NULL)
        return refuse(op, REGISTRY_UNKNOWN, err, errlen);
    if (a->status == REGISTRY_GONE && to != REGISTRY_GONE)
        return refuse(op, a->status, err, errlen);
    set_status(r, a, to);
    a->time = op->time;
    if (to == REGISTRY_GONE) {
        CR_FREE(a->hostname);
        cr_resources_clear(&a->reserved);
    }
    return 0;
}

/* RESERVE adds dynamically reserved resources to an admitted or
 * unreachable agent; UNRESERVE takes back ones it has. */
static int
apply_reservation(struct registry *r, const struct registry_op *op, char *err,
                  size_t errlen)
{
    struct registry_agent *a = registry_find_agent(r, op->agent_id);
    if (a == NULL || a->status == REGISTRY_GONE)
        return refuse(op, a ? a->status : REGISTRY_UNKNOWN, err, errlen);
    if (op->type == REGISTRY_OP_RESERVE) {
        cr_resources_add(&a->reserved, &op->resources);
        return 0;
    }
    if (!cr_resources_subtract(&a->reserved, &op->resources)) {
        snprintf(err, errlen,
                 "UNRESERVE of resources agent %s does not have reserved",
                 op->agent_id);
        return CR_ESTATE;
    }
    return 0;
}

/* QUOTA replaces the role's quota; empty maps remove it. */
static int
apply_quota(struct registry *r, const struct registry_op *op)
{
    struct registry_quota *q = NULL;
    HASH_FIND_STR(r->quotas, op->quota.role, q);
    if (q) {
        HASH_DEL(r->quotas, q);
        quota_fini(q);
        free(q);
    }
    if (op->quota.n_guarantees == 0 && op->quota.n_limits == 0)
        return 0;
    q = cr_xcalloc(1, sizeof(*q));
    q->role = cr_xstrdup(op->quota.role);
    q->guarantees =
        registry_scalars_copy(op->quota.guarantees, op->quota.n_guarantees);
    q->n_guarantees = op->quota.n_guarantees;
    q->limits = registry_scalars_copy(op->quota.limits, op->quota.n_limits);
    q->n_limits = op->quota.n_limits;
    HASH_ADD_KEYPTR(hh, r->quotas, q->role, strlen(q->role), q);
    return 0;
}

struct registry_scalar *
registry_scalars_copy(const struct registry_scalar *v, size_t n)
{
    struct registry_scalar *c = cr_xcalloc(n ? n : 1, sizeof(*c));
    for (size_t i = 0; i < n; i++) {
        c[i].name = cr_xstrdup(v[i].name);
        c[i].value = v[i].value;
    }
    return c;
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
    case REGISTRY_OP_QUOTA:
        return apply_quota(r, op);
    case REGISTRY_OP_RESERVE:
    case REGISTRY_OP_UNRESERVE:
        return apply_reservation(r, op, err, errlen);
    case REGISTRY_OP_SCHEDULE:
    case REGISTRY_OP_START_MAINTENANCE:
    case REGISTRY_OP_STOP_MAINTENANCE:
        return registry_maint_apply(r, op, err, errlen);
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
registry_op_quota(struct registry_op *op, const char *role)
{
    memset(op, 0, sizeof(*op));
    op->type = REGISTRY_OP_QUOTA;
    op->quota.role = cr_xstrdup(role);
}

void
registry_op_add_scalar(struct registry_op *op, bool limit, const char *name,
                       double value)
{
    struct registry_scalar **v =
        limit ? &op->quota.limits : &op->quota.guarantees;
    size_t *n = limit ? &op->quota.n_limits : &op->quota.n_guarantees;
    *v = cr_xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[*n].name = cr_xstrdup(name);
    (*v)[*n].value = value;
    (*n)++;
}

void
registry_op_reservation(struct registry_op *op, enum registry_op_type type,
                        const char *id, const struct cr_resources *res)
{
    memset(op, 0, sizeof(*op));
    op->type = type;
    op->agent_id = cr_xstrdup(id);
    cr_resources_init(&op->resources);
    cr_resources_copy(&op->resources, res);
}

void
registry_op_fini(struct registry_op *op)
{
    free(op->agent_id);
    free(op->hostname);
    for (size_t i = 0; i < op->n_weights; i++)
        free(op->weights[i].role);
    free(op->weights);
    quota_fini(&op->quota);
    cr_resources_fini(&op->resources);
    registry_windows_free(op->windows, op->n_windows);
    registry_machine_ids_free(op->machines, op->n_machines);
    memset(op, 0, sizeof(*op));
}

void
registry_op_move(struct registry_op *dst, struct registry_op *src)
{
    *dst = *src;
    memset(src, 0, sizeof(*src));
}
