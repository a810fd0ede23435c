/* SPDX-License-Identifier: Apache-2.0
 *
 * allocator_quota.c: quota (Mesos 1.9+ QuotaConfig: guarantees and
 * limits per role) for the allocator. See allocator.h for the policy.
 *
 * State. Every role with quota has a struct quota. Its `consumed` is the
 * Mesos "consumed quota" of the role's subtree ("a" covers "a/b"):
 *   consumed(Q) = reservations to Q or a sub-role (agent totals, allocated
 *                 or not) + unreserved scalars allocated or offered to Q
 *                 or a sub-role,
 * kept incrementally: each role points at its nearest ancestor-or-self
 * with quota (qnode), each quota at its nearest proper ancestor with quota
 * (qparent), and a change of a role's allocation or reservations walks
 * that chain (depth of the role name at most). Only cpus, mem, disk and
 * gpus (the fixed kinds) are counted and bounded.
 *
 * Headroom. available = unreserved scalars of all agents' totals minus
 * those allocated or offered (a->unres_total - a->unres_alloc); required =
 * sum over outermost guarantee roles (no ancestor has a guarantee) of
 * max(0, guarantee - consumed), kept in a->req. Surplus = available -
 * required. A role may take the surplus plus the unmet guarantee of its
 * outermost guaranteed ancestor-or-self (taking that lowers `required` as
 * much); in stage 1 also its own unmet guarantee, headroom or not.
 *
 * Loosening (the incremental contract, see allocator_private.h). An offer
 * computed for a role is monotone in its bounds: its and its ancestors'
 * limit headroom (limit - consumed), its own and its outermost guaranteed
 * ancestor's unmet guarantee, and the surplus. During a pass every bound only
 * shrinks (consumption only grows, recoveries are deferred), so comparing the
 * bounds at the start of a pass with those at the end of the previous one tells
 * whether any held agent could now get a bigger offer.
 *
 * Threading: loop thread only.
 */
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "master/allocator_private.h"

#include <stdlib.h>

_Static_assert(CR_RES_CPUS == 0 && CR_RES_MEM == 1 && CR_RES_DISK == 2 &&
                   CR_RES_GPUS == 3 && NQ == 4,
               "fixed resource kinds");

static int
fixed_index(const char *name)
{
    static const char *const names[NQ] = {"cpus", "mem", "disk", "gpus"};
    for (int k = 0; k < NQ; k++) {
        if (strcmp(name, names[k]) == 0)
            return k;
    }
    return -1;
}

static int64_t
min64(int64_t x, int64_t y)
{
    return x < y ? x : y;
}

static int64_t
sat_add(int64_t x, int64_t y)
{
    return x > Q_INF - y ? Q_INF : x + y;
}

/* ---- chains and consumption ---------------------------------------------- */

/* Nearest role with quota among name's ancestors (and name itself unless
 * skip_self), or NULL. */
static struct role *
node_for(const struct allocator *a, const char *name, bool skip_self)
{
    if (a->n_quotas == 0)
        return NULL;
    char stack[256];
    size_t len = strlen(name);
    char *buf = len < sizeof(stack) ? stack : cr_xmalloc(len + 1);
    memcpy(buf, name, len + 1);
    struct role *found = NULL;
    bool self = true;
    for (;;) {
        if (!(self && skip_self)) {
            struct role *r = alloc_role_find(a, buf);
            if (r != NULL && r->q != NULL) {
                found = r;
                break;
            }
        }
        self = false;
        char *slash = strrchr(buf, '/');
        if (slash == NULL)
            break;
        *slash = '\0';
    }
    if (buf != stack)
        free(buf);
    return found;
}

struct role *
alloc_quota_node_for(const struct allocator *a, const char *name)
{
    return node_for(a, name, false);
}

static void
update_unmet(struct allocator *a, struct quota *q)
{
    for (int k = 0; k < NQ; k++) {
        int64_t u = q->guarantee[k] - q->consumed[k];
        if (u < 0)
            u = 0;
        a->req[k] += u - q->unmet[k];
        q->unmet[k] = u;
    }
}

/* d consumed (sign 1) or given back (-1) by the subtree of every quota on
 * the chain starting at node. */
static void
chain_consume(struct allocator *a, struct role *node, const int64_t d[NQ],
              int sign)
{
    for (struct role *n = node; n != NULL; n = n->q->qparent) {
        alloc_q_apply(n->q->consumed, d, sign);
        if (n->q->outermost)
            update_unmet(a, n->q);
    }
}

void
alloc_quota_charge_alloc(struct allocator *a, struct role *r,
                         const int64_t du[NQ], int sign)
{
    if (alloc_q_is_zero(du))
        return;
    alloc_q_apply(r->ualloc, du, sign);
    alloc_q_apply(a->unres_alloc, du, sign);
    chain_consume(a, r->qnode, du, sign);
}

void
alloc_quota_agent_total(struct allocator *a, const struct cr_resources *total,
                        int sign)
{
    alloc_q_apply(a->unres_total, total->fixed, sign);
    for (uint32_t i = 0; i < total->n; i++) {
        const struct cr_res_entry *e = &total->ents[i];
        int k;
        if (e->resv == CR_RES_UNRESERVED || e->role == NULL ||
            e->type != CR_RES_SCALAR || (k = fixed_index(e->name)) < 0)
            continue;
        struct role *r =
            sign > 0 ? alloc_role_get(a, e->role) : alloc_role_find(a, e->role);
        if (r == NULL)
            continue;
        int64_t d[NQ] = {0};
        d[k] = e->scalar;
        alloc_q_apply(r->resv, d, sign);
        chain_consume(a, r->qnode, d, sign);
        if (sign < 0)
            alloc_role_maybe_free(a, r);
    }
}

/* Quota set or cleared somewhere: recompute every chain, consumption and
 * the required headroom from the roles' own sums. O(roles x depth). */
static void
quota_rebuild(struct allocator *a)
{
    a->n_guarantees = 0;
    memset(a->req, 0, sizeof(a->req));
    for (size_t i = 0; i < a->n_quotas; i++) {
        struct role *n = a->quotas[i];
        n->q->qparent = node_for(a, n->name, true);
        memset(n->q->consumed, 0, sizeof(n->q->consumed));
        memset(n->q->unmet, 0, sizeof(n->q->unmet));
        a->n_guarantees += n->q->has_guarantee;
    }
    for (size_t i = 0; i < a->n_quotas; i++) {
        struct quota *q = a->quotas[i]->q;
        q->outermost = q->has_guarantee;
        for (struct role *p = q->qparent; p != NULL && q->outermost;
             p = p->q->qparent)
            q->outermost = !p->q->has_guarantee;
    }
    for (struct role *r = a->roles; r != NULL; r = r->hh.next) {
        r->qnode = node_for(a, r->name, false);
        chain_consume(a, r->qnode, r->ualloc, 1);
        chain_consume(a, r->qnode, r->resv, 1);
    }
    for (size_t i = 0; i < a->n_quotas; i++) {
        if (a->quotas[i]->q->outermost)
            update_unmet(a, a->quotas[i]->q);
    }
}

/* ---- bounds -------------------------------------------------------------- */

/* Limit headroom of r's chain, per kind (Q_INF: unbounded). */
static void
limit_room(const struct role *r, int64_t lim[NQ])
{
    for (int k = 0; k < NQ; k++)
        lim[k] = Q_INF;
    for (const struct role *n = r->qnode; n != NULL; n = n->q->qparent) {
        const struct quota *q = n->q;
        if (!q->has_limit)
            continue;
        for (int k = 0; k < NQ; k++) {
            if (q->limit[k] == Q_INF)
                continue;
            int64_t h = q->limit[k] - q->consumed[k];
            lim[k] = min64(lim[k], h < 0 ? 0 : h);
        }
    }
}

static void
surplus(const struct allocator *a, int64_t sur[NQ])
{
    for (int k = 0; k < NQ; k++) {
        if (a->n_guarantees == 0) {
            sur[k] = Q_INF;
            continue;
        }
        int64_t s = a->unres_total[k] - a->unres_alloc[k] - a->req[k];
        sur[k] = s < 0 ? 0 : s;
    }
}

static int64_t
own_unmet(const struct quota *q, int k)
{
    int64_t u = q->guarantee[k] - q->consumed[k];
    return u < 0 ? 0 : u;
}

bool
alloc_quota_unmet(const struct role *r)
{
    if (r->q == NULL || !r->q->has_guarantee)
        return false;
    for (int k = 0; k < NQ; k++) {
        if (own_unmet(r->q, k) > 0)
            return true;
    }
    return false;
}

/* Unmet guarantee of the outermost guaranteed role on r's chain (0 if
 * none): what r may take beyond the surplus, since taking it lowers the
 * required headroom by as much. */
static int64_t
chain_unmet(const struct role *r, int k)
{
    for (const struct role *n = r->qnode; n != NULL; n = n->q->qparent) {
        if (n->q->outermost)
            return n->q->unmet[k];
    }
    return 0;
}

enum quota_allow
alloc_quota_allow(const struct allocator *a, const struct role *r,
                  const int64_t avail[NQ], int stage, int64_t allow[NQ])
{
    if (stage == 1 && (r->q == NULL || !r->q->has_guarantee))
        return QA_NONE;
    if (r->qnode == NULL && a->n_guarantees == 0)
        return QA_FREE;
    int64_t lim[NQ], sur[NQ];
    limit_room(r, lim);
    surplus(a, sur);
    bool progress = false;
    for (int k = 0; k < NQ; k++) {
        /* Beyond the surplus, r may take what goes toward the unmet
         * guarantee of its outermost guaranteed ancestor-or-self: the
         * required headroom drops by as much, so available - required
         * stays >= 0, and one offer takes all r may get (a second visit
         * finds nothing more: the pass stays exact). */
        int64_t extra = a->n_guarantees > 0 ? chain_unmet(r, k) : 0;
        if (stage == 1) {
            /* Its own unmet guarantee bypasses the headroom (it is what
             * the headroom was kept for). */
            int64_t gp = min64(min64(avail[k], own_unmet(r->q, k)), lim[k]);
            progress |= gp > 0;
            extra = gp > extra ? gp : extra;
        }
        allow[k] = min64(lim[k], sat_add(sur[k], extra));
    }
    if (stage == 1 && !progress)
        return QA_NONE;
    for (int k = 0; k < NQ; k++) {
        if (allow[k] < avail[k])
            return QA_TRIM;
    }
    return QA_FREE;
}

/* ---- loosening ----------------------------------------------------------- */

static bool
grew(const int64_t now[NQ], const int64_t then[NQ])
{
    for (int k = 0; k < NQ; k++) {
        if (now[k] > then[k])
            return true;
    }
    return false;
}

static void
quota_bounds(const struct role *n, int64_t lim[NQ], int64_t unmet[NQ])
{
    const struct quota *q = n->q;
    for (int k = 0; k < NQ; k++) {
        int64_t h = q->limit[k] - q->consumed[k];
        lim[k] = q->limit[k] == Q_INF ? Q_INF : h < 0 ? 0 : h;
        unmet[k] = own_unmet(q, k);
    }
}

bool
alloc_quota_take_loosened(struct allocator *a)
{
    bool loose = a->quota_loosened;
    a->quota_loosened = false;
    if (loose || a->n_quotas == 0)
        return loose;
    int64_t sur[NQ], lim[NQ], unmet[NQ];
    surplus(a, sur);
    if (grew(sur, a->snap_surplus))
        return true;
    for (size_t i = 0; i < a->n_quotas; i++) {
        const struct role *n = a->quotas[i];
        quota_bounds(n, lim, unmet);
        if (grew(lim, n->q->snap_lim) || grew(unmet, n->q->snap_unmet))
            return true;
    }
    return false;
}

void
alloc_quota_snapshot(struct allocator *a)
{
    if (a->n_quotas == 0)
        return;
    surplus(a, a->snap_surplus);
    for (size_t i = 0; i < a->n_quotas; i++) {
        struct role *n = a->quotas[i];
        quota_bounds(n, n->q->snap_lim, n->q->snap_unmet);
    }
}

/* ---- configuration ------------------------------------------------------- */

static void
quota_detach(struct allocator *a, struct role *r)
{
    size_t i = r->q->idx;
    a->quotas[i] = a->quotas[--a->n_quotas];
    a->quotas[i]->q->idx = i;
    free(r->q);
    r->q = NULL;
}

static void
quota_attach(struct allocator *a, struct role *r)
{
    if (a->n_quotas == a->cap_quotas) {
        a->cap_quotas = a->cap_quotas ? a->cap_quotas * 2 : 8;
        a->quotas = cr_xrealloc(a->quotas, a->cap_quotas * sizeof(*a->quotas));
    }
    r->q = cr_xcalloc(1, sizeof(*r->q));
    r->q->idx = a->n_quotas;
    a->quotas[a->n_quotas++] = r;
}

static bool
quota_is_default(const struct allocator_quota *cfg)
{
    for (int k = 0; k < NQ; k++) {
        if (cfg->guarantees[k] != 0 || cfg->limits[k] != ALLOCATOR_NO_LIMIT)
            return false;
    }
    return true;
}

static int
quota_check(const char *role, const struct allocator_quota *cfg)
{
    if (role == NULL || strcmp(role, "*") == 0 || !cr_role_is_valid(role))
        return CR_EINVAL_INPUT;
    if (cfg == NULL)
        return 0;
    for (int k = 0; k < NQ; k++) {
        if (cfg->guarantees[k] < 0 || cfg->limits[k] < 0 ||
            cfg->guarantees[k] > cfg->limits[k])
            return CR_EINVAL_INPUT;
    }
    return 0;
}

int
allocator_set_quota_config(struct allocator *a, const char *role,
                           const struct allocator_quota *cfg)
{
    if (alloc_in_run_guard(a, "set_quota"))
        return CR_ESTATE;
    int rc = quota_check(role, cfg);
    if (rc != 0) {
        cr_warn("allocator: invalid quota for role %s ignored",
                role != NULL ? role : "(null)");
        return rc;
    }
    bool clear = cfg == NULL || quota_is_default(cfg);
    struct role *r = clear ? alloc_role_find(a, role) : alloc_role_get(a, role);
    if (r == NULL || (clear && r->q == NULL))
        return 0;
    if (clear) {
        quota_detach(a, r);
    } else {
        if (r->q == NULL)
            quota_attach(a, r);
        memcpy(r->q->guarantee, cfg->guarantees, sizeof(r->q->guarantee));
        memcpy(r->q->limit, cfg->limits, sizeof(r->q->limit));
        r->q->has_guarantee = !alloc_q_is_zero(cfg->guarantees);
        r->q->has_limit = false;
        for (int k = 0; k < NQ; k++)
            r->q->has_limit |= cfg->limits[k] != ALLOCATOR_NO_LIMIT;
    }
    quota_rebuild(a);
    a->quota_loosened = true;
    if (clear)
        alloc_role_maybe_free(a, r);
    alloc_kick(a);
    return 0;
}

int
allocator_set_quota(struct allocator *a, const char *role,
                    const struct cr_resources *guarantees,
                    const struct cr_resources *limits)
{
    if ((guarantees != NULL && guarantees->n > 0) ||
        (limits != NULL && limits->n > 0)) {
        cr_warn("allocator: quota for role %s: only unreserved cpus, mem, "
                "disk and gpus are supported",
                role != NULL ? role : "(null)");
        return CR_EINVAL_INPUT;
    }
    struct allocator_quota cfg;
    allocator_quota_init(&cfg);
    for (int k = 0; k < NQ; k++) {
        if (guarantees != NULL)
            cfg.guarantees[k] = guarantees->fixed[k];
        if (limits != NULL && limits->fixed[k] > 0)
            cfg.limits[k] = limits->fixed[k];
    }
    return allocator_set_quota_config(a, role, &cfg);
}

void
allocator_quota_init(struct allocator_quota *cfg)
{
    for (int k = 0; k < NQ; k++) {
        cfg->guarantees[k] = 0;
        cfg->limits[k] = ALLOCATOR_NO_LIMIT;
    }
}

/* consumed of any role: O(1) with quota, else a walk over all roles. */
static void
consumed_of(const struct allocator *a, const char *role, int64_t out[NQ])
{
    const struct role *r = alloc_role_find(a, role);
    if (r != NULL && r->q != NULL) {
        memcpy(out, r->q->consumed, NQ * sizeof(*out));
        return;
    }
    memset(out, 0, NQ * sizeof(*out));
    for (const struct role *x = a->roles; x != NULL; x = x->hh.next) {
        if (cr_role_is_within(x->name, role)) {
            alloc_q_apply(out, x->ualloc, 1);
            alloc_q_apply(out, x->resv, 1);
        }
    }
}

int
allocator_get_quota(const struct allocator *a, const char *role,
                    struct allocator_quota *cfg, int64_t consumed[NQ])
{
    const struct role *r = alloc_role_find(a, role);
    bool set = r != NULL && r->q != NULL;
    if (cfg != NULL) {
        allocator_quota_init(cfg);
        if (set) {
            memcpy(cfg->guarantees, r->q->guarantee, sizeof(cfg->guarantees));
            memcpy(cfg->limits, r->q->limit, sizeof(cfg->limits));
        }
    }
    if (consumed != NULL)
        consumed_of(a, role, consumed);
    return set ? 0 : CR_ENOTFOUND;
}

void
allocator_foreach_quota(const struct allocator *a, allocator_quota_cb fn,
                        void *data)
{
    for (size_t i = 0; i < a->n_quotas; i++) {
        const struct role *r = a->quotas[i];
        struct allocator_quota cfg;
        memcpy(cfg.guarantees, r->q->guarantee, sizeof(cfg.guarantees));
        memcpy(cfg.limits, r->q->limit, sizeof(cfg.limits));
        fn(data, r->name, &cfg, r->q->consumed);
    }
}

void
alloc_quota_free_all(struct allocator *a)
{
    for (size_t i = 0; i < a->n_quotas; i++) {
        free(a->quotas[i]->q);
        a->quotas[i]->q = NULL;
    }
    free(a->quotas);
    a->quotas = NULL;
    a->n_quotas = a->cap_quotas = 0;
}
