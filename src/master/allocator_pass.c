/* SPDX-License-Identifier: Apache-2.0
 *
 * allocator_pass.c: the allocation pass. Agents to visit (cand, plus
 * blocked/held ones with something to re-check) are shuffled; each is
 * walked in two stages: stage 1 offers to roles below their quota
 * guarantee (lowest share first), stage 2 to every role by DRF order. A
 * role gets at most one offer per agent visit, from its first member (DRF
 * order) that is not filtered and would receive the minimum allocatable
 * resources. Quota trims the unreserved scalars of an offer
 * (allocator_quota.c); a visit that trimmed something and left resources
 * makes the agent "held" rather than "blocked". See allocator_private.h.
 *
 * Threading: loop thread only; the offer callback runs synchronously.
 */
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "master/allocator_private.h"

#include <stdlib.h>

/* ---- what can be offered ------------------------------------------------- */

static bool
min_alloc_ok(const struct allocator *a, const struct cr_resources *res)
{
    if (a->n_min_alloc == 0)
        return true;
    int64_t q[NQ];
    cr_resources_quantities(res, q);
    for (size_t i = 0; i < a->n_min_alloc; i++) {
        const struct cr_resources *alt = &a->min_alloc[i];
        bool ok = true;
        for (int k = 0; k < NQ && ok; k++)
            ok = q[k] >= alt->fixed[k];
        for (uint32_t e = 0; e < alt->n && ok; e++)
            ok = cr_resources_scalar(res, alt->ents[e].name) * CR_RES_MILLI >=
                 (double)alt->ents[e].scalar;
        if (ok)
            return true;
    }
    return false;
}

/* Does ag have anything usable by role (without copying)? */
static bool
usable_by(const struct agent *ag, const char *role)
{
    const struct cr_resources *av = &ag->available;
    for (int k = 0; k < NQ; k++) {
        if (av->fixed[k] > 0)
            return true;
    }
    for (uint32_t i = 0; i < av->n; i++) {
        const struct cr_res_entry *e = &av->ents[i];
        if (e->resv == CR_RES_UNRESERVED || cr_role_is_within(role, e->role))
            return true;
    }
    return false;
}

/* What ag can offer to role r in stage (1: quota guarantee, 2: fair
 * share): the whole available (no copy, *whole) when nothing on it is
 * reserved and quota trims nothing, else a copy in a->scratch. NULL if
 * nothing. Sets a->chopped when quota trimmed the offer. */
static const struct cr_resources *
offerable(struct allocator *a, struct agent *ag, struct role *r, int stage,
          bool *whole)
{
    int64_t allow[NQ];
    enum quota_allow qa = QA_FREE;
    if (a->n_quotas > 0 || stage == 1) {
        qa = alloc_quota_allow(a, r, ag->available.fixed, stage, allow);
        if (qa == QA_NONE)
            return NULL;
    }
    *whole = qa == QA_FREE && (!ag->may_have_reserved ||
                               !cr_resources_has_reserved(&ag->available));
    if (*whole)
        return &ag->available;
    if (!usable_by(ag, r->name))
        return NULL;
    cr_resources_allocatable_to(&a->scratch, &ag->available, r->name);
    if (qa == QA_TRIM) {
        a->chopped = true;
        for (int k = 0; k < NQ; k++) {
            if (a->scratch.fixed[k] > allow[k])
                a->scratch.fixed[k] = allow[k];
        }
        if (cr_resources_is_empty(&a->scratch))
            return NULL;
    }
    return &a->scratch;
}

static void
make_offer(struct allocator *a, struct agent *ag, struct member *m,
           const struct cr_resources *res, bool whole)
{
    int64_t q[NQ], uq[NQ];
    cr_resources_quantities(res, q);
    memcpy(uq, res->fixed, sizeof(uq));
    if (whole) {
        /* Swap buffers: the agent keeps scratch's (empty) entry array. */
        struct cr_resources t = a->scratch;
        a->scratch = ag->available;
        ag->available = t;
        cr_resources_clear(&ag->available);
    } else {
        (void)cr_resources_subtract(&ag->available, &a->scratch);
    }
    m->offers++;
    m->role->offers++;
    alloc_account(a, ag, m, q, uq, 1);
    a->stats.offers++;
    a->offer(a->data, m->fw->id, ag->id, m->role->name, &a->scratch);
    cr_resources_clear(&a->scratch);
}

/* ---- memo of trimmed offers nobody took ---------------------------------- */

static struct memo *
memo_find(const struct agent *ag, const struct role *r, int stage)
{
    for (size_t i = 0; i < ag->n_memo; i++) {
        if (ag->memo[i].role_serial == r->serial && ag->memo[i].stage == stage)
            return &ag->memo[i];
    }
    return NULL;
}

static void
memo_add(struct agent *ag, const struct role *r, int stage, const int64_t q[NQ])
{
    if (ag->n_memo == ag->cap_memo) {
        ag->cap_memo = ag->cap_memo ? ag->cap_memo * 2 : 2;
        ag->memo = cr_xrealloc(ag->memo, ag->cap_memo * sizeof(*ag->memo));
    }
    struct memo *e = &ag->memo[ag->n_memo++];
    e->role_serial = r->serial;
    e->stage = stage;
    memcpy(e->q, q, sizeof(e->q));
}

/* Visit start: may this (full) visit trust ag's memo (never in the
 * exhaustive reference pass)? The entries move to a->memo_old, and ag's
 * memo is rebuilt as the visit goes. */
static void
memo_begin(struct allocator *a, struct agent *ag)
{
    a->use_memo = !a->exhaustive && ag->memo_ok &&
                  ag->memo_epoch == a->elig_epoch && ag->n_memo > 0;
    a->n_memo_old = 0;
    if (a->use_memo) {
        if (a->cap_memo_old < ag->n_memo) {
            a->cap_memo_old = ag->n_memo;
            a->memo_old = cr_xrealloc(a->memo_old,
                                      a->cap_memo_old * sizeof(*a->memo_old));
        }
        memcpy(a->memo_old, ag->memo, ag->n_memo * sizeof(*ag->memo));
        a->n_memo_old = ag->n_memo;
    }
    ag->n_memo = 0;
}

/* Did r's stage-`stage` offer res on ag go untaken at the last full
 * visit, with the agent and the eligible members unchanged since? Then no
 * member takes it now either: ag's available only shrank since (it would
 * be a candidate otherwise), so res is within what was refused or below
 * the minimum, and filters on ag only went away through its recheck list
 * (which voids the memo). */
static bool
memo_says_untaken(const struct allocator *a, const struct role *r, int stage,
                  const struct cr_resources *res)
{
    if (!a->use_memo)
        return false;
    for (size_t i = 0; i < a->n_memo_old; i++) {
        const struct memo *e = &a->memo_old[i];
        if (e->role_serial == r->serial && e->stage == stage)
            return memcmp(e->q, res->fixed, sizeof(e->q)) == 0;
    }
    return false;
}

/* Offer role r's stage-`stage` share of ag to r's first member in DRF
 * order that takes it. Returns whether an offer was made. */
static bool
offer_to_role(struct allocator *a, struct agent *ag, struct role *r, int stage)
{
    bool whole;
    bool chopped = a->chopped;
    a->chopped = false;
    const struct cr_resources *res = offerable(a, ag, r, stage, &whole);
    bool trimmed = a->chopped;
    a->chopped |= chopped;
    if (res == NULL || !min_alloc_ok(a, res))
        return false;
    struct member *m = NULL;
    bool known = trimmed && memo_says_untaken(a, r, stage, res);
    if (!known) {
        RB_FOREACH(m, alloc_member_tree, &r->members)
        {
            if (!alloc_is_filtered(m, ag, res))
                break;
        }
    }
    if (m == NULL) {
        if (trimmed && memo_find(ag, r, stage) == NULL)
            memo_add(ag, r, stage, res->fixed);
        return false;
    }
    make_offer(a, ag, m, res, whole);
    return true;
}

/* ---- full visit ---------------------------------------------------------- */

/* The eligible role below its guarantee that stage 1 should try next on
 * this visit (lowest share first), or NULL. O(quota roles). */
static struct role *
stage1_next(struct allocator *a, uint64_t stamp)
{
    struct role *best = NULL;
    for (size_t i = 0; i < a->n_quotas; i++) {
        struct role *r = a->quotas[i];
        if (!r->in_tree || r->s1stamp == stamp || !alloc_quota_unmet(r))
            continue;
        if (best == NULL || alloc_role_cmp(r, best) < 0)
            best = r;
    }
    return best;
}

/* Stage 1: roles below their guarantee, served before anyone else. */
static void
visit_stage1(struct allocator *a, struct agent *ag, uint64_t stamp)
{
    struct role *r;
    while (!cr_resources_is_empty(&ag->available) &&
           (r = stage1_next(a, stamp)) != NULL) {
        r->s1stamp = stamp;
        if (offer_to_role(a, ag, r, 1))
            r->stamp = stamp; /* one offer per role and visit */
    }
}

/* Walk roles and members in DRF order; offer to the first taker per
 * role. */
static void
visit_full(struct allocator *a, struct agent *ag)
{
    uint64_t stamp = ++a->stamp;
    memo_begin(a, ag);
    if (a->n_guarantees > 0)
        visit_stage1(a, ag, stamp);
    struct role *next;
    for (struct role *r = RB_MIN(alloc_role_tree, &a->role_tree); r != NULL;
         r = next) {
        next = RB_NEXT(alloc_role_tree, &a->role_tree, r);
        if (r->stamp == stamp)
            continue;
        r->stamp = stamp;
        if (cr_resources_is_empty(&ag->available))
            break;
        (void)offer_to_role(a, ag, r, 2);
    }
    a->use_memo = false;
}

/* ---- re-check visit ------------------------------------------------------ */

/* A member that can take the agent, and in which stage. */
struct taker {
    struct member *m;
    int stage;
};

/* Order of takers: stage 1 first, then roles by DRF, then members. */
static int
taker_cmp(const struct member *m, int stage, const struct taker *t)
{
    if (stage != t->stage)
        return stage < t->stage ? -1 : 1;
    if (m->role != t->m->role)
        return alloc_role_cmp(m->role, t->m->role);
    return alloc_member_cmp(m, t->m);
}

/* Is m a taker for ag ahead of *best? */
static void
consider(struct allocator *a, struct agent *ag, struct member *m,
         struct taker *best, uint64_t stamp)
{
    if (m == NULL || !m->in_tree || m->role->stamp == stamp || m == best->m)
        return;
    for (int stage = 1; stage <= 2; stage++) {
        if (stage == 1 && !alloc_quota_unmet(m->role))
            continue;
        if (best->m != NULL && taker_cmp(m, stage, best) > 0)
            return;
        bool whole;
        const struct cr_resources *res =
            offerable(a, ag, m->role, stage, &whole);
        if (res != NULL && min_alloc_ok(a, res) &&
            !alloc_is_filtered(m, ag, res)) {
            *best = (struct taker){m, stage};
            return;
        }
    }
}

/* ag is blocked or held: only members that became eligible (fresh) or
 * whose filter on ag went away (ag->recheck) can take it. Offer to the
 * first of them in taker order, repeatedly. */
static void
visit_recheck(struct allocator *a, struct agent *ag)
{
    uint64_t stamp = ++a->stamp;
    while (!cr_resources_is_empty(&ag->available)) {
        struct taker best = {NULL, 0};
        for (size_t i = 0; i < a->fresh.n; i++)
            consider(a, ag, a->fresh.v[i], &best, stamp);
        for (size_t i = 0; i < ag->n_recheck; i++)
            consider(a, ag, alloc_member_by_serial(a, ag->recheck[i]), &best,
                     stamp);
        if (best.m == NULL)
            break;
        bool whole;
        const struct cr_resources *res =
            offerable(a, ag, best.m->role, best.stage, &whole);
        make_offer(a, ag, best.m, res, whole);
        best.m->role->stamp = stamp;
    }
}

/* ---- the pass ------------------------------------------------------------ */

static uint64_t
rng_next(struct allocator *a)
{
    /* xorshift64* */
    a->rng ^= a->rng >> 12;
    a->rng ^= a->rng << 25;
    a->rng ^= a->rng >> 27;
    return a->rng * 2685821657736338717ULL;
}

static void
push_all(struct vec *dst, const struct vec *src)
{
    for (size_t i = 0; i < src->n; i++)
        alloc_vec_push(dst, src->v[i]);
}

/* Agents to visit: cand, plus blocked/held ones with something to
 * re-check (all of them when a member became eligible). */
static void
build_order(struct allocator *a)
{
    a->order.n = 0;
    push_all(&a->order, &a->cand);
    if (a->fresh.n > 0) {
        push_all(&a->order, &a->blocked);
        push_all(&a->order, &a->held);
    } else {
        for (size_t i = 0; i < a->recheck.n; i++) {
            struct agent *ag = a->recheck.v[i];
            if (ag->set == SET_BLOCKED || ag->set == SET_HELD)
                alloc_vec_push(&a->order, ag);
        }
    }
    for (size_t i = a->order.n; i > 1; i--) {
        size_t j = (size_t)(rng_next(a) % i);
        void *t = a->order.v[i - 1];
        a->order.v[i - 1] = a->order.v[j];
        a->order.v[j] = t;
    }
}

/* The shuffled walk touches agents at random: fetch the next ones' structs
 * and then their resources ahead of use. */
static void
prefetch_agents(const struct vec *order, size_t i)
{
    if (i + 4 < order->n)
        __builtin_prefetch(order->v[i + 4]);
    if (i + 2 < order->n) {
        const struct agent *nx = order->v[i + 2];
        __builtin_prefetch(nx->available.ents);
        __builtin_prefetch(nx->fx);
        __builtin_prefetch(nx->slots);
    }
}

static void
visit(struct allocator *a, struct agent *ag)
{
    enum agent_set was = ag->set;
    a->chopped = false;
    if (was == SET_CAND)
        visit_full(a, ag);
    else if (was == SET_BLOCKED || was == SET_HELD)
        visit_recheck(a, ag);
    ag->n_recheck = 0;
    enum agent_set to = SET_BLOCKED;
    if (cr_resources_is_empty(&ag->available))
        to = SET_NONE;
    else if (a->chopped || was == SET_HELD)
        to = SET_HELD;
    /* The memo describes the agent after a full visit only. */
    ag->memo_ok = to == SET_HELD && was == SET_CAND;
    ag->memo_epoch = a->elig_epoch;
    if (!ag->memo_ok)
        ag->n_memo = 0;
    alloc_set_enter(a, ag, to);
}

static void
apply_deferred(struct allocator *a)
{
    for (size_t i = 0; i < a->n_deferred; i++) {
        struct deferred *d = &a->deferred[i];
        allocator_recover(a, d->framework_id, d->agent_id, d->role, &d->res,
                          d->refuse);
        free(d->framework_id);
        free(d->agent_id);
        free(d->role);
        cr_resources_fini(&d->res);
    }
    a->n_deferred = 0;
}

static void
end_pass(struct allocator *a)
{
    for (size_t i = 0; i < a->fresh.n; i++)
        ((struct member *)a->fresh.v[i])->in_fresh = false;
    a->fresh.n = 0;
    for (size_t i = 0; i < a->recheck.n; i++)
        ((struct agent *)a->recheck.v[i])->in_recheck = false;
    a->recheck.n = 0;
    alloc_quota_snapshot(a);
    a->in_run = false;
}

size_t
alloc_run_pass(struct allocator *a, bool exhaustive)
{
    if (a == NULL || a->closing || alloc_in_run_guard(a, "allocator_run"))
        return 0;
    uint64_t t0 = cr_mono_ns();
    uint64_t offers0 = a->stats.offers;
    a->in_run = true;
    a->exhaustive = exhaustive;
    alloc_expire_filters(a, alloc_now(a));
    if (a->shares_dirty)
        alloc_rebuild_shares(a);
    if (alloc_quota_take_loosened(a) || exhaustive) {
        while (a->held.n > 0)
            alloc_set_enter(a, a->held.v[a->held.n - 1], SET_CAND);
    }
    if (exhaustive) {
        while (a->blocked.n > 0)
            alloc_set_enter(a, a->blocked.v[a->blocked.n - 1], SET_CAND);
    }
    build_order(a);
    for (size_t i = 0; i < a->order.n; i++) {
        prefetch_agents(&a->order, i);
        visit(a, a->order.v[i]);
    }
    end_pass(a);

    double ms = (double)(cr_mono_ns() - t0) / 1e6;
    a->stats.runs++;
    a->stats.last_run_ms = ms;
    a->stats.last_visited = a->order.n;
    if (ms > a->stats.max_run_ms)
        a->stats.max_run_ms = ms;
    apply_deferred(a);
    return (size_t)(a->stats.offers - offers0);
}

/* ---- configuration ------------------------------------------------------- */

void
alloc_parse_min_alloc(struct allocator *a, const char *spec)
{
    if (spec == NULL)
        spec = "cpus:0.01|mem:32";
    char *copy = cr_xstrdup(spec);
    char *save = NULL;
    for (char *tok = strtok_r(copy, "|", &save); tok != NULL;
         tok = strtok_r(NULL, "|", &save)) {
        struct cr_resources r;
        char err[160];
        cr_resources_init(&r);
        if (cr_resources_parse_text(&r, tok, NULL, err, sizeof(err)) != 0 ||
            cr_resources_is_empty(&r)) {
            cr_warn("allocator: ignoring min_allocatable '%s': %s", tok,
                    cr_resources_is_empty(&r) ? "empty" : err);
            cr_resources_fini(&r);
            continue;
        }
        a->min_alloc = cr_xrealloc(a->min_alloc, (a->n_min_alloc + 1) *
                                                     sizeof(*a->min_alloc));
        a->min_alloc[a->n_min_alloc++] = r;
    }
    free(copy);
}
