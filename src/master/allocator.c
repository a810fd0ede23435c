/* SPDX-License-Identifier: Apache-2.0
 *
 * allocator.c: hierarchical weighted DRF allocator with quota (see
 * allocator.h for the policy and the contract). This file holds the
 * lifecycle, the loop integration and the public calls that feed the
 * allocator events; the design, objects and work sets are described in
 * allocator_private.h, the pass in allocator_pass.c.
 *
 * Ownership: every object is owned by struct allocator; ids and resources
 * passed in are copied. Threading: loop thread only. The offer callback
 * must not re-enter (only allocator_recover() is accepted from it, and
 * deferred to the end of the pass).
 */
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "master/allocator_private.h"

#include <math.h>
#include <stdlib.h>

/* ---- small utilities ----------------------------------------------------- */

void
alloc_vec_push(struct vec *v, void *p)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->v = cr_xrealloc(v->v, v->cap * sizeof(void *));
    }
    v->v[v->n++] = p;
}

void
alloc_vec_fini(struct vec *v)
{
    free(v->v);
    memset(v, 0, sizeof(*v));
}

void
alloc_vec_remove(struct vec *v, const void *p)
{
    for (size_t i = 0; i < v->n; i++) {
        if (v->v[i] == p) {
            v->v[i] = v->v[--v->n];
            return;
        }
    }
}

double
alloc_now(const struct allocator *a)
{
    if (a->cfg.now != NULL)
        return a->cfg.now(a->cfg.clock_data);
    return (double)cr_mono_ns() / 1e9;
}

bool
alloc_in_run_guard(const struct allocator *a, const char *what)
{
    if (!a->in_run)
        return false;
    cr_error("allocator: %s called from the offer callback; ignored", what);
    return true;
}

/* ---- loop integration ---------------------------------------------------- */

static void on_kick(uv_timer_t *t);

void
alloc_kick(struct allocator *a)
{
    if (a->loop == NULL || a->kick_pending || a->closing)
        return;
    a->kick_pending = true;
    uv_timer_start(&a->kick, on_kick, 0, 0);
}

static void
on_kick(uv_timer_t *t)
{
    struct allocator *a = t->data;
    a->kick_pending = false;
    allocator_run(a, true);
}

static void
on_tick(uv_timer_t *t)
{
    allocator_run(t->data, true);
}

/* ---- lifecycle ----------------------------------------------------------- */

struct allocator *
allocator_new(const struct allocator_config *cfg, allocator_offer_cb offer,
              void *data)
{
    struct allocator *a = cr_xcalloc(1, sizeof(*a));
    if (cfg != NULL)
        a->cfg = *cfg;
    if (!(a->cfg.allocation_interval > 0))
        a->cfg.allocation_interval = 1.0;
    a->offer = offer;
    a->data = data;
    RB_INIT(&a->role_tree);
    cr_resources_init(&a->scratch);
    alloc_parse_min_alloc(a, a->cfg.min_allocatable);
    a->cfg.min_allocatable = NULL; /* borrowed: do not keep */
    a->rng = a->cfg.seed ? a->cfg.seed : (cr_mono_ns() | 1);
    return a;
}

static void
agent_release(struct agent *ag)
{
    cr_resources_fini(&ag->total);
    cr_resources_fini(&ag->available);
    cr_resources_fini(&ag->over);
    free(ag->slots);
    free(ag->fx);
    free(ag->recheck);
    free(ag->memo);
    free(ag->id);
    free(ag);
}

static void
destroy(struct allocator *a)
{
    HASH_CLEAR(hh_serial, a->by_serial);
    struct framework *f, *ftmp;
    HASH_ITER(hh, a->frameworks, f, ftmp)
    {
        for (size_t i = 0; i < f->n_members; i++)
            free(f->members[i]); /* filters are gone (allocator_free) */
        HASH_DEL(a->frameworks, f);
        free(f->members);
        free(f->id);
        free(f);
    }
    struct agent *ag, *atmp;
    HASH_ITER(hh, a->agents, ag, atmp)
    {
        HASH_DEL(a->agents, ag);
        agent_release(ag);
    }
    alloc_quota_free_all(a);
    struct role *r, *rtmp;
    HASH_ITER(hh, a->roles, r, rtmp)
    {
        HASH_DEL(a->roles, r);
        free(r->name);
        free(r);
    }
    for (size_t i = 0; i < a->n_min_alloc; i++)
        cr_resources_fini(&a->min_alloc[i]);
    free(a->min_alloc);
    cr_resources_fini(&a->scratch);
    free(a->deferred); /* empty: only filled during a pass */
    free(a->memo_old);
    struct vec *vecs[] = {&a->cand,    &a->blocked, &a->held, &a->fresh,
                          &a->recheck, &a->order,   &a->heap};
    for (size_t i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++)
        alloc_vec_fini(vecs[i]);
    free(a);
}

static void
on_close(uv_handle_t *h)
{
    struct allocator *a = h->data;
    if (--a->open_handles == 0)
        destroy(a);
}

void
allocator_free(struct allocator *a)
{
    if (a == NULL)
        return;
    /* Filters reference agents: drop them while both still exist. */
    a->closing = true;
    alloc_filters_drop_all(a);
    if (a->loop == NULL) {
        destroy(a);
        return;
    }
    uv_timer_stop(&a->tick);
    uv_timer_stop(&a->kick);
    a->open_handles = 2;
    uv_close((uv_handle_t *)&a->tick, on_close);
    uv_close((uv_handle_t *)&a->kick, on_close);
}

int
allocator_attach_loop(struct allocator *a, uv_loop_t *loop)
{
    if (a->loop != NULL)
        return UV_EBUSY;
    int rc = uv_timer_init(loop, &a->tick);
    if (rc != 0)
        return rc;
    rc = uv_timer_init(loop, &a->kick);
    if (rc != 0) {
        uv_close((uv_handle_t *)&a->tick, NULL);
        return rc;
    }
    a->tick.data = a;
    a->kick.data = a;
    uint64_t ms = (uint64_t)(a->cfg.allocation_interval * 1000.0);
    uv_timer_start(&a->tick, on_tick, ms ? ms : 1, ms ? ms : 1);
    a->loop = loop;
    alloc_kick(a);
    return 0;
}

size_t
allocator_run(struct allocator *a, bool dirty_only)
{
    (void)dirty_only; /* both are exact; see allocator.h */
    return alloc_run_pass(a, false);
}

size_t
allocator_run_exhaustive(struct allocator *a)
{
    return alloc_run_pass(a, true);
}

/* ---- frameworks ---------------------------------------------------------- */

static bool
in_list(const char *s, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (list[i] != NULL && strcmp(list[i], s) == 0)
            return true;
    }
    return false;
}

static void
set_roles(struct allocator *a, struct framework *f, const char *const *roles,
          size_t n_roles, const char *const *supp, size_t n_supp)
{
    for (size_t i = 0; i < n_roles; i++) {
        if (roles[i] != NULL && roles[i][0] != '\0')
            (void)alloc_member_get(a, f, roles[i]);
    }
    for (size_t i = 0; i < f->n_members; i++) {
        struct member *m = f->members[i];
        m->subscribed = in_list(m->role->name, roles, n_roles);
        m->suppressed = in_list(m->role->name, supp, n_supp);
        alloc_member_update(a, m);
    }
}

void
allocator_add_framework(struct allocator *a, const char *framework_id,
                        const char *const *roles, size_t n_roles,
                        const char *const *suppressed_roles,
                        size_t n_suppressed, bool active)
{
    if (alloc_in_run_guard(a, "add_framework"))
        return;
    struct framework *f = alloc_fw_find(a, framework_id);
    if (f == NULL)
        f = alloc_fw_create(a, framework_id);
    f->active = active;
    set_roles(a, f, roles, n_roles, suppressed_roles, n_suppressed);
}

void
allocator_update_framework_roles(struct allocator *a, const char *framework_id,
                                 const char *const *roles, size_t n_roles,
                                 const char *const *suppressed_roles,
                                 size_t n_suppressed)
{
    if (alloc_in_run_guard(a, "update_framework_roles"))
        return;
    struct framework *f = alloc_fw_find(a, framework_id);
    if (f != NULL)
        set_roles(a, f, roles, n_roles, suppressed_roles, n_suppressed);
}

void
allocator_remove_framework(struct allocator *a, const char *framework_id)
{
    if (alloc_in_run_guard(a, "remove_framework"))
        return;
    struct framework *f = alloc_fw_find(a, framework_id);
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n_members; i++)
        alloc_member_free(a, f->members[i]);
    HASH_DEL(a->frameworks, f);
    free(f->members);
    free(f->id);
    free(f);
}

static void
set_fw_active(struct allocator *a, const char *id, bool active)
{
    if (alloc_in_run_guard(a, "(de)activate_framework"))
        return;
    struct framework *f = alloc_fw_find(a, id);
    if (f == NULL || f->active == active)
        return;
    f->active = active;
    for (size_t i = 0; i < f->n_members; i++)
        alloc_member_update(a, f->members[i]);
}

void
allocator_activate_framework(struct allocator *a, const char *framework_id)
{
    set_fw_active(a, framework_id, true);
}

void
allocator_deactivate_framework(struct allocator *a, const char *framework_id)
{
    set_fw_active(a, framework_id, false);
}

/* Apply fn to the framework's members named in roles (all when n == 0). */
static void
for_roles(struct allocator *a, struct framework *f, const char *const *roles,
          size_t n, void (*fn)(struct allocator *, struct member *))
{
    for (size_t i = 0; i < f->n_members; i++) {
        struct member *m = f->members[i];
        if (n == 0 ? m->subscribed : in_list(m->role->name, roles, n))
            fn(a, m);
    }
}

static void
do_suppress(struct allocator *a, struct member *m)
{
    m->suppressed = true;
    alloc_member_update(a, m);
}

static void
do_revive(struct allocator *a, struct member *m)
{
    m->suppressed = false;
    alloc_member_clear_filters(a, m);
    alloc_member_update(a, m);
}

void
allocator_suppress(struct allocator *a, const char *framework_id,
                   const char *const *roles, size_t n)
{
    if (alloc_in_run_guard(a, "suppress"))
        return;
    struct framework *f = alloc_fw_find(a, framework_id);
    if (f != NULL)
        for_roles(a, f, roles, n, do_suppress);
}

void
allocator_revive(struct allocator *a, const char *framework_id,
                 const char *const *roles, size_t n)
{
    if (alloc_in_run_guard(a, "revive"))
        return;
    struct framework *f = alloc_fw_find(a, framework_id);
    if (f != NULL)
        for_roles(a, f, roles, n, do_revive);
}

void
allocator_set_weight(struct allocator *a, const char *role, double weight)
{
    if (alloc_in_run_guard(a, "set_weight"))
        return;
    if (!(weight > 0) || !isfinite(weight)) {
        cr_warn("allocator: ignoring weight %g for role %s", weight, role);
        return;
    }
    struct role *r = alloc_role_get(a, role);
    r->weight = weight;
    r->weight_set = true;
    alloc_reposition(a, r, NULL);
    alloc_kick(a);
}

double
allocator_get_weight(const struct allocator *a, const char *role)
{
    const struct role *r = alloc_role_find(a, role);
    return r != NULL ? r->weight : 1.0;
}

/* ---- agents -------------------------------------------------------------- */

static struct agent *
agent_find(const struct allocator *a, const char *id)
{
    struct agent *ag;
    HASH_FIND_STR(a->agents, id, ag);
    return ag;
}

static bool
str_eq(const char *x, const char *y)
{
    return x == y || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

/* The scalar in r with e's name and reservation, or 0. */
static int64_t
entry_scalar(const struct cr_resources *r, const struct cr_res_entry *e)
{
    for (uint32_t i = 0; i < r->n; i++) {
        const struct cr_res_entry *x = &r->ents[i];
        if (x->type == CR_RES_SCALAR && x->resv == e->resv &&
            strcmp(x->name, e->name) == 0 && str_eq(x->role, e->role) &&
            str_eq(x->principal, e->principal))
            return x->scalar;
    }
    return 0;
}

/* dst += e (a borrowed entry, its scalar replaced by value if SCALAR). */
static void
add_entry(struct cr_resources *dst, const struct cr_res_entry *e, int64_t value)
{
    struct cr_res_entry x = *e;
    x.scalar = value;
    struct cr_resources one = {.n = 1, .cap = 1, .ents = &x};
    cr_resources_add(dst, &one);
}

/* dst -= src as far as dst has it (scalars clamp at zero; a range or set
 * entry not contained is left alone); what dst lacked is added to missing
 * (may be NULL). Returns whether all of src was there. Cheap when it was;
 * the rest is a rare path (inconsistent reports, a shrinking total). */
static bool
subtract_clamped(struct cr_resources *dst, const struct cr_resources *src,
                 struct cr_resources *missing)
{
    if (cr_resources_subtract(dst, src))
        return true;
    for (int k = 0; k < NQ; k++) {
        int64_t t =
            src->fixed[k] < dst->fixed[k] ? src->fixed[k] : dst->fixed[k];
        dst->fixed[k] -= t;
        if (missing != NULL)
            missing->fixed[k] += src->fixed[k] - t;
    }
    for (uint32_t i = 0; i < src->n; i++) {
        const struct cr_res_entry *e = &src->ents[i];
        if (e->type != CR_RES_SCALAR) {
            struct cr_res_entry x = *e; /* borrowed, read only */
            struct cr_resources one = {.n = 1, .cap = 1, .ents = &x};
            if (!cr_resources_subtract(dst, &one) && missing != NULL)
                add_entry(missing, e, e->scalar);
            continue;
        }
        int64_t have = entry_scalar(dst, e);
        int64_t take = e->scalar < have ? e->scalar : have;
        if (take > 0) {
            struct cr_res_entry x = *e;
            x.scalar = take;
            struct cr_resources one = {.n = 1, .cap = 1, .ents = &x};
            (void)cr_resources_subtract(dst, &one);
        }
        if (missing != NULL && e->scalar > take)
            add_entry(missing, e, e->scalar - take);
    }
    return false;
}

/* res comes back to ag: it first pays off ag->over, the rest becomes
 * available. */
static void
agent_give_back(struct agent *ag, const struct cr_resources *res)
{
    if (cr_resources_is_empty(&ag->over)) {
        cr_resources_add(&ag->available, res);
        return;
    }
    struct cr_resources rest;
    cr_resources_init(&rest);
    (void)subtract_clamped(&ag->over, res, &rest);
    cr_resources_add(&ag->available, &rest);
    cr_resources_fini(&rest);
}

/* ag's total is going away (replaced or removed): take it out of the
 * cluster totals and the quota reservations. */
static void
agent_total_out(struct allocator *a, struct agent *ag)
{
    alloc_q_apply(a->total_q, ag->total_q, -1);
    alloc_quota_agent_total(a, &ag->total, -1);
    a->shares_dirty = true;
}

/* Install total as ag's total (available already set). */
static void
agent_total_in(struct allocator *a, struct agent *ag,
               const struct cr_resources *total)
{
    cr_resources_copy(&ag->total, total);
    ag->may_have_reserved |= cr_resources_has_reserved(total);
    cr_resources_quantities(total, ag->total_q);
    alloc_q_apply(a->total_q, ag->total_q, 1);
    alloc_quota_agent_total(a, total, 1);
    a->shares_dirty = true;
    alloc_agent_touch(a, ag);
}

/* Replace ag's total, keeping what is allocated on it: available = total
 * - used, and what of used the new total lacks goes to ag->over. */
static void
agent_replace_total(struct allocator *a, struct agent *ag,
                    const struct cr_resources *total)
{
    struct cr_resources used;
    cr_resources_init(&used);
    cr_resources_copy(&used, &ag->total);
    (void)subtract_clamped(&used, &ag->available, NULL);
    cr_resources_add(&used, &ag->over);
    cr_resources_copy(&ag->available, total);
    cr_resources_clear(&ag->over);
    if (!subtract_clamped(&ag->available, &used, &ag->over))
        cr_warn("allocator: agent %s: new total does not cover what is "
                "allocated on it; offering what is left",
                ag->id);
    cr_resources_fini(&used);
    agent_total_out(a, ag);
    agent_total_in(a, ag, total);
}

void
allocator_add_agent(struct allocator *a, const char *agent_id,
                    const struct cr_resources *total)
{
    if (alloc_in_run_guard(a, "add_agent"))
        return;
    struct agent *ag = agent_find(a, agent_id);
    if (ag != NULL) {
        agent_replace_total(a, ag, total);
        return;
    }
    ag = cr_xcalloc(1, sizeof(*ag));
    ag->id = cr_xstrdup(agent_id);
    ag->serial = ++a->next_serial;
    ag->active = true;
    cr_resources_init(&ag->total);
    cr_resources_init(&ag->available);
    cr_resources_init(&ag->over);
    HASH_ADD_KEYPTR(hh, a->agents, ag->id, strlen(ag->id), ag);
    cr_resources_copy(&ag->available, total);
    agent_total_in(a, ag, total);
}

int
allocator_update_agent(struct allocator *a, const char *agent_id,
                       const struct cr_resources *total)
{
    if (alloc_in_run_guard(a, "update_agent"))
        return CR_ESTATE;
    struct agent *ag = agent_find(a, agent_id);
    if (ag == NULL)
        return CR_ENOTFOUND;
    agent_replace_total(a, ag, total);
    return 0;
}

void
allocator_remove_agent(struct allocator *a, const char *agent_id)
{
    if (alloc_in_run_guard(a, "remove_agent"))
        return;
    struct agent *ag = agent_find(a, agent_id);
    if (ag == NULL)
        return;
    while (ag->n_fx > 0)
        alloc_filter_delete(a, ag->fx[ag->n_fx - 1].f, false);
    while (ag->n_slots > 0) {
        struct slot s = ag->slots[ag->n_slots - 1];
        alloc_account(a, ag, s.m, s.q, s.uq, -1);
    }
    alloc_set_leave(a, ag);
    alloc_recheck_forget(a, ag);
    agent_total_out(a, ag);
    HASH_DEL(a->agents, ag);
    agent_release(ag);
    alloc_kick(a); /* shares changed */
}

static void
set_agent_active(struct allocator *a, const char *id, bool active)
{
    if (alloc_in_run_guard(a, "(de)activate_agent"))
        return;
    struct agent *ag = agent_find(a, id);
    if (ag == NULL || ag->active == active)
        return;
    ag->active = active;
    alloc_agent_touch(a, ag);
}

void
allocator_activate_agent(struct allocator *a, const char *agent_id)
{
    set_agent_active(a, agent_id, true);
}

void
allocator_deactivate_agent(struct allocator *a, const char *agent_id)
{
    set_agent_active(a, agent_id, false);
}

/* ---- allocations --------------------------------------------------------- */

void
allocator_add_allocation(struct allocator *a, const char *framework_id,
                         const char *agent_id, const char *role,
                         const struct cr_resources *res)
{
    if (alloc_in_run_guard(a, "add_allocation"))
        return;
    struct agent *ag = agent_find(a, agent_id);
    if (ag == NULL || role == NULL) {
        cr_warn("allocator: allocation on unknown agent %s ignored", agent_id);
        return;
    }
    struct framework *f = alloc_fw_find(a, framework_id);
    if (f == NULL) {
        f = alloc_fw_create(a, framework_id);
        alloc_member_get(a, f, role)->subscribed = true;
    }
    struct member *m = alloc_member_get(a, f, role);
    if (!subtract_clamped(&ag->available, res, &ag->over))
        cr_warn("allocator: agent %s: allocation exceeds available resources",
                ag->id);
    int64_t q[NQ];
    cr_resources_quantities(res, q);
    alloc_account(a, ag, m, q, res->fixed, 1);
    alloc_agent_shrunk(a, ag);
}

static void
defer_recover(struct allocator *a, const char *framework_id,
              const char *agent_id, const char *role,
              const struct cr_resources *res, double refuse_seconds)
{
    if (a->n_deferred == a->cap_deferred) {
        a->cap_deferred = a->cap_deferred ? a->cap_deferred * 2 : 8;
        a->deferred =
            cr_xrealloc(a->deferred, a->cap_deferred * sizeof(*a->deferred));
    }
    struct deferred *d = &a->deferred[a->n_deferred++];
    d->framework_id = cr_xstrdup(framework_id);
    d->agent_id = cr_xstrdup(agent_id);
    d->role = role != NULL ? cr_xstrdup(role) : NULL;
    cr_resources_init(&d->res);
    cr_resources_copy(&d->res, res);
    d->refuse = refuse_seconds;
}

void
allocator_recover(struct allocator *a, const char *framework_id,
                  const char *agent_id, const char *role,
                  const struct cr_resources *res, double refuse_seconds)
{
    if (a->in_run) {
        defer_recover(a, framework_id, agent_id, role, res, refuse_seconds);
        return;
    }
    struct agent *ag = agent_find(a, agent_id);
    if (ag == NULL)
        return;
    agent_give_back(ag, res);
    ag->may_have_reserved |= res->n > 0 && cr_resources_has_reserved(res);
    struct framework *f = alloc_fw_find(a, framework_id);
    struct member *m =
        f != NULL && role != NULL ? alloc_member_find(f, role) : NULL;
    if (m != NULL) {
        int64_t q[NQ];
        cr_resources_quantities(res, q);
        alloc_account(a, ag, m, q, res->fixed, -1);
        if (!(refuse_seconds < 0)) {
            double secs = allocator_normalize_refuse(refuse_seconds);
            if (secs > 0) {
                if (secs < a->cfg.allocation_interval)
                    secs = a->cfg.allocation_interval;
                alloc_filter_add(a, m, ag, res, alloc_now(a) + secs);
            }
        }
    }
    alloc_agent_touch(a, ag);
}

double
allocator_normalize_refuse(double refuse_seconds)
{
    if (!isfinite(refuse_seconds) || refuse_seconds < 0)
        return ALLOCATOR_DEFAULT_REFUSE_SECS;
    if (refuse_seconds > ALLOCATOR_MAX_REFUSE_SECS)
        return ALLOCATOR_MAX_REFUSE_SECS;
    return refuse_seconds;
}

/* ---- introspection ------------------------------------------------------- */

void
allocator_get_stats(const struct allocator *a, struct allocator_stats *out)
{
    *out = a->stats;
    out->agents = HASH_COUNT(a->agents);
    out->agents_available = a->cand.n + a->blocked.n + a->held.n;
    out->agents_held = a->held.n;
    out->frameworks = HASH_COUNT(a->frameworks);
    out->roles = HASH_COUNT(a->roles);
    out->filters = a->heap.n;
    out->quota_roles = a->n_quotas;
}

double
allocator_role_share(const struct allocator *a, const char *role)
{
    const struct role *r = alloc_role_find(a, role);
    if (r == NULL)
        return 0;
    return cr_resources_dominant_share(r->alloc, a->total_q) / r->weight;
}

double
allocator_framework_share(const struct allocator *a, const char *framework_id,
                          const char *role)
{
    const struct framework *f = alloc_fw_find(a, framework_id);
    const struct member *m = f != NULL ? alloc_member_find(f, role) : NULL;
    return m != NULL ? cr_resources_dominant_share(m->alloc, a->total_q) : 0;
}

const struct cr_resources *
allocator_agent_available(const struct allocator *a, const char *agent_id)
{
    const struct agent *ag = agent_find(a, agent_id);
    return ag != NULL ? &ag->available : NULL;
}

bool
allocator_is_filtered(const struct allocator *a, const char *framework_id,
                      const char *agent_id, const char *role)
{
    const struct framework *f = alloc_fw_find(a, framework_id);
    const struct member *m = f != NULL ? alloc_member_find(f, role) : NULL;
    const struct agent *ag = agent_find(a, agent_id);
    if (m == NULL || ag == NULL)
        return false;
    double now = alloc_now(a);
    const struct filter *fl;
    TAILQ_FOREACH(fl, &m->filters, m_link)
    {
        if (fl->ag == ag && fl->expires > now)
            return true;
    }
    return false;
}
