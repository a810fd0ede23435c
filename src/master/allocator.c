/* SPDX-License-Identifier: Apache-2.0
 *
 * allocator.c: hierarchical weighted DRF allocator (see allocator.h).
 *
 * Objects (all owned by struct allocator, found by id through uthash):
 *   role       - weight, allocation sum, weighted share; sits in role_tree
 *                (ordered by share, offers, name) while it has at least one
 *                eligible member.
 *   framework  - active flag and its members (one per role it ever used).
 *   member     - a (framework, role) pair: allocation, share, suppressed,
 *                filters. Eligible (= framework active, role subscribed,
 *                not suppressed) members sit in their role's member tree.
 *   agent      - total, available (precomputed), per-member allocation
 *                slots, filters, and which work set it is in.
 *   filter     - refused resources of a member on an agent until a time;
 *                indexed per agent in an array sorted by member serial,
 *                listed per member, and kept in a min-heap by expiry.
 *
 * Work sets (the incremental core). Every active agent with available
 * resources is in exactly one of:
 *   cand    - changed since it was last looked at: walk all roles/members;
 *   blocked - walked and no member could take anything (all filtered, or
 *             below the minimum). It stays untouched until its resources
 *             grow (then back to cand), or a member could newly take it:
 *             a member became eligible (listed in `fresh`) or the
 *             member's filter on it went away (expiry, revive: listed in
 *             the agent's `recheck`). Then it is re-checked against just
 *             those members: nobody else could take it.
 * Agents with nothing available or inactive are in neither set.
 *
 * Shares are stored in the nodes and only changed while a node is out of
 * its tree, so the trees stay consistent; when the cluster totals change
 * (agent added/removed) every share is recomputed and the trees rebuilt at
 * the start of the next pass (shares_dirty).
 *
 * Threading: loop thread only. The offer callback must not re-enter.
 */
#include "master/allocator.h"

#include <bsd/sys/queue.h>
/* libbsd leaves __unused undefined on Linux; RB_GENERATE_STATIC needs it. */
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
#include <bsd/sys/tree.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Our own hash for every table: 8 bytes per step (ids are ~40 bytes), and
 * uthash's default Jenkins hash has switch fall-throughs that
 * -Wimplicit-fallthrough rejects. */
static inline uint64_t
alloc_mix(uint64_t h)
{
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ULL;
    h ^= h >> 32;
    return h;
}

static inline unsigned
alloc_hash(const void *key, size_t len)
{
    const unsigned char *p = key;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ len;
    while (len >= 8) {
        uint64_t w;
        memcpy(&w, p, 8);
        h = alloc_mix(h ^ w);
        p += 8;
        len -= 8;
    }
    uint64_t w = 0;
    memcpy(&w, p, len);
    return (unsigned)alloc_mix(h ^ w ^ 0xff51afd7ed558ccdULL);
}
#define HASH_FUNCTION(keyptr, keylen, hashv)                                   \
    ((hashv) = alloc_hash((keyptr), (size_t)(keylen)))
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"

#include <uthash.h>

#define NQ CR_RES_NFIXED

struct member;
struct filter;

RB_HEAD(member_tree, member);
RB_HEAD(role_tree, role);

struct role {
    char *name;
    UT_hash_handle hh;
    double weight;
    bool weight_set;
    bool in_tree;
    int64_t alloc[NQ];
    double share; /* dominant share / weight */
    uint64_t offers;
    RB_ENTRY(role) node;
    struct member_tree members; /* eligible members */
    size_t n_members;           /* all members */
    size_t n_eligible;
    uint64_t stamp; /* last agent visit that looked at this role */
};

struct framework {
    char *id;
    UT_hash_handle hh;
    bool active;
    struct member **members;
    size_t n_members;
};

struct member {
    struct framework *fw;
    struct role *role;
    uint32_t serial;
    bool subscribed;
    bool suppressed;
    bool in_tree;
    bool in_fresh;
    int64_t alloc[NQ]; /* == sum of its slots */
    size_t n_slots;    /* agents where it holds something */
    double share;
    uint64_t offers;
    RB_ENTRY(member) node;
    TAILQ_HEAD(, filter) filters;
    UT_hash_handle hh_serial; /* a->by_serial */
};

struct slot {
    struct member *m;
    int64_t q[NQ];
};

enum agent_set { SET_NONE = 0, SET_CAND, SET_BLOCKED };

struct agent {
    char *id;
    UT_hash_handle hh;
    uint32_t serial;
    bool active;
    enum agent_set set;
    size_t set_idx;
    struct cr_resources total;
    struct cr_resources available;
    int64_t total_q[NQ];
    bool may_have_reserved; /* total or a recovered part had some */
    struct slot *slots;
    size_t n_slots, cap_slots;
    struct fidx *fx; /* filters on this agent, sorted by member serial */
    size_t n_fx, cap_fx;
    /* BLOCKED only: members whose filter here went away since the last
     * visit (serials; the members may be gone by the next pass). */
    uint32_t *recheck;
    size_t n_recheck, cap_recheck;
    bool in_recheck; /* listed in a->recheck */
};

/* Per-agent filter index entry: a contiguous sorted array is a cache miss
 * or two per lookup, where a global hash walked scattered chains. */
struct fidx {
    uint32_t serial;
    struct filter *f;
};

struct filter {
    struct member *m;
    struct agent *ag;
    TAILQ_ENTRY(filter) m_link;
    struct cr_resources refused;
    double expires;
    size_t heap_idx;
};

struct vec {
    void **v;
    size_t n, cap;
};

/* allocator_recover() called from the offer callback: applied after the
 * pass. */
struct deferred {
    char *framework_id, *agent_id, *role;
    struct cr_resources res;
    double refuse;
};

struct allocator {
    struct allocator_config cfg;
    allocator_offer_cb offer;
    void *data;

    struct role *roles;
    struct framework *frameworks;
    struct agent *agents;
    struct role_tree role_tree;
    int64_t total_q[NQ];
    bool shares_dirty;
    uint32_t next_serial;

    struct vec cand;    /* struct agent * */
    struct vec blocked; /* struct agent * */
    struct vec fresh;   /* struct member * */
    struct vec recheck; /* struct agent *, blocked with a recheck list */
    struct member *by_serial;
    struct vec order; /* scratch: agents of one pass */

    struct vec heap; /* struct filter *, min-heap by expires */

    struct cr_resources *min_alloc; /* alternatives */
    size_t n_min_alloc;

    struct cr_resources scratch; /* the offer being made */
    struct deferred *deferred;
    size_t n_deferred, cap_deferred;
    uint64_t rng;
    uint64_t stamp;
    bool in_run;

    uv_loop_t *loop;
    uv_timer_t tick;
    uv_timer_t kick;
    bool kick_pending;
    bool closing;
    int open_handles;

    struct allocator_stats stats;
};

/* ---- small utilities ----------------------------------------------------- */

static void
vec_push(struct vec *v, void *p)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 16;
        v->v = cr_xrealloc(v->v, v->cap * sizeof(void *));
    }
    v->v[v->n++] = p;
}

static void
vec_fini(struct vec *v)
{
    free(v->v);
    memset(v, 0, sizeof(*v));
}

static double
now_secs(const struct allocator *a)
{
    if (a->cfg.now != NULL)
        return a->cfg.now(a->cfg.clock_data);
    return (double)cr_mono_ns() / 1e9;
}

static uint64_t
rng_next(struct allocator *a)
{
    /* xorshift64* */
    a->rng ^= a->rng >> 12;
    a->rng ^= a->rng << 25;
    a->rng ^= a->rng >> 27;
    return a->rng * 2685821657736338717ULL;
}

static bool
q_is_zero(const int64_t q[NQ])
{
    for (int k = 0; k < NQ; k++) {
        if (q[k] != 0)
            return false;
    }
    return true;
}

/* dst += sign * q, never below zero. */
static void
q_apply(int64_t dst[NQ], const int64_t q[NQ], int sign)
{
    for (int k = 0; k < NQ; k++) {
        dst[k] += sign * q[k];
        if (dst[k] < 0)
            dst[k] = 0;
    }
}

static bool
in_run_guard(const struct allocator *a, const char *what)
{
    if (!a->in_run)
        return false;
    cr_error("allocator: %s called from the offer callback; ignored", what);
    return true;
}

/* ---- ordering ------------------------------------------------------------ */

static int
role_cmp(const struct role *x, const struct role *y)
{
    if (x->share != y->share)
        return x->share < y->share ? -1 : 1;
    if (x->offers != y->offers)
        return x->offers < y->offers ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int
member_cmp(const struct member *x, const struct member *y)
{
    if (x->share != y->share)
        return x->share < y->share ? -1 : 1;
    if (x->offers != y->offers)
        return x->offers < y->offers ? -1 : 1;
    int c = strcmp(x->fw->id, y->fw->id);
    if (c != 0)
        return c;
    return x->serial < y->serial ? -1 : x->serial > y->serial;
}

RB_GENERATE_STATIC(role_tree, role, node, role_cmp)
RB_GENERATE_STATIC(member_tree, member, node, member_cmp)

static void
role_compute_share(const struct allocator *a, struct role *r)
{
    r->share = cr_resources_dominant_share(r->alloc, a->total_q) / r->weight;
}

static void
member_compute_share(const struct allocator *a, struct member *m)
{
    m->share = cr_resources_dominant_share(m->alloc, a->total_q);
}

/* Recompute r's share (and, with m, m's share) keeping the trees valid. */
static void
reposition(struct allocator *a, struct role *r, struct member *m)
{
    if (m != NULL) {
        if (m->in_tree)
            RB_REMOVE(member_tree, &r->members, m);
        member_compute_share(a, m);
        if (m->in_tree)
            RB_INSERT(member_tree, &r->members, m);
    }
    if (r->in_tree)
        RB_REMOVE(role_tree, &a->role_tree, r);
    role_compute_share(a, r);
    if (r->in_tree)
        RB_INSERT(role_tree, &a->role_tree, r);
}

/* Totals changed: recompute every share and rebuild both tree levels. */
static void
rebuild_shares(struct allocator *a)
{
    RB_INIT(&a->role_tree);
    for (struct role *r = a->roles; r != NULL; r = r->hh.next) {
        RB_INIT(&r->members);
        role_compute_share(a, r);
        if (r->in_tree)
            RB_INSERT(role_tree, &a->role_tree, r);
    }
    for (struct framework *f = a->frameworks; f != NULL; f = f->hh.next) {
        for (size_t i = 0; i < f->n_members; i++) {
            struct member *m = f->members[i];
            member_compute_share(a, m);
            if (m->in_tree)
                RB_INSERT(member_tree, &m->role->members, m);
        }
    }
    a->shares_dirty = false;
}

/* ---- loop integration ---------------------------------------------------- */

static void on_kick(uv_timer_t *t);

/* Ask for an incremental pass on the next loop turn. */
static void
kick(struct allocator *a)
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

/* ---- agent work sets ----------------------------------------------------- */

static struct vec *
set_vec(struct allocator *a, enum agent_set s)
{
    return s == SET_CAND ? &a->cand : &a->blocked;
}

static void
set_leave(struct allocator *a, struct agent *ag)
{
    ag->n_recheck = 0;
    if (ag->set == SET_NONE)
        return;
    struct vec *v = set_vec(a, ag->set);
    struct agent *last = v->v[--v->n];
    v->v[ag->set_idx] = last;
    last->set_idx = ag->set_idx;
    ag->set = SET_NONE;
}

static void
set_enter(struct allocator *a, struct agent *ag, enum agent_set s)
{
    if (ag->set == s)
        return;
    set_leave(a, ag);
    if (s == SET_NONE)
        return;
    struct vec *v = set_vec(a, s);
    ag->set = s;
    ag->set_idx = v->n;
    vec_push(v, ag);
}

/* Something about ag changed that may let a member take it. */
static void
agent_touch(struct allocator *a, struct agent *ag)
{
    if (!ag->active || cr_resources_is_empty(&ag->available)) {
        set_enter(a, ag, SET_NONE);
        return;
    }
    set_enter(a, ag, SET_CAND);
    kick(a);
}

/* ag's available shrank: a blocked agent stays blocked (subsets of what
 * nobody could take), an emptied one leaves its set. */
static void
agent_shrunk(struct allocator *a, struct agent *ag)
{
    if (cr_resources_is_empty(&ag->available))
        set_enter(a, ag, SET_NONE);
}

/* ---- filters ------------------------------------------------------------- */

/* First index in ag->fx with serial >= serial. */
static size_t
fx_lower(const struct agent *ag, uint32_t serial)
{
    size_t lo = 0, hi = ag->n_fx;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ag->fx[mid].serial < serial)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void
fx_insert(struct agent *ag, struct filter *f)
{
    if (ag->n_fx == ag->cap_fx) {
        ag->cap_fx = ag->cap_fx ? ag->cap_fx * 2 : 2;
        ag->fx = cr_xrealloc(ag->fx, ag->cap_fx * sizeof(*ag->fx));
    }
    size_t i = fx_lower(ag, f->m->serial);
    memmove(&ag->fx[i + 1], &ag->fx[i], (ag->n_fx - i) * sizeof(*ag->fx));
    ag->fx[i] = (struct fidx){f->m->serial, f};
    ag->n_fx++;
}

static void
fx_remove(struct agent *ag, const struct filter *f)
{
    size_t i = fx_lower(ag, f->m->serial);
    while (ag->fx[i].f != f)
        i++;
    memmove(&ag->fx[i], &ag->fx[i + 1], (ag->n_fx - i - 1) * sizeof(*ag->fx));
    ag->n_fx--;
}

static bool
heap_less(struct vec *h, size_t i, size_t j)
{
    return ((struct filter *)h->v[i])->expires <
           ((struct filter *)h->v[j])->expires;
}

static void
heap_swap(struct vec *h, size_t i, size_t j)
{
    void *t = h->v[i];
    h->v[i] = h->v[j];
    h->v[j] = t;
    ((struct filter *)h->v[i])->heap_idx = i;
    ((struct filter *)h->v[j])->heap_idx = j;
}

static void
heap_up(struct vec *h, size_t i)
{
    while (i > 0 && heap_less(h, i, (i - 1) / 2)) {
        heap_swap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void
heap_down(struct vec *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && heap_less(h, l, m))
            m = l;
        if (r < h->n && heap_less(h, r, m))
            m = r;
        if (m == i)
            return;
        heap_swap(h, i, m);
        i = m;
    }
}

static void
heap_remove(struct vec *h, size_t i)
{
    h->n--;
    if (i == h->n)
        return;
    h->v[i] = h->v[h->n];
    ((struct filter *)h->v[i])->heap_idx = i;
    heap_down(h, i);
    heap_up(h, i);
}

#define RECHECK_MAX 32 /* beyond this, a full walk is as cheap */

/* The filter of member `serial` on blocked agent ag went away: only that
 * member may now take ag. */
static void
recheck_push(struct allocator *a, struct agent *ag, uint32_t serial)
{
    if (ag->n_recheck >= RECHECK_MAX) {
        set_enter(a, ag, SET_CAND);
        return;
    }
    if (ag->n_recheck == ag->cap_recheck) {
        ag->cap_recheck = ag->cap_recheck ? ag->cap_recheck * 2 : 2;
        ag->recheck =
            cr_xrealloc(ag->recheck, ag->cap_recheck * sizeof(*ag->recheck));
    }
    ag->recheck[ag->n_recheck++] = serial;
    if (!ag->in_recheck) {
        ag->in_recheck = true;
        vec_push(&a->recheck, ag);
    }
}

static void
recheck_forget(struct allocator *a, struct agent *ag)
{
    if (!ag->in_recheck)
        return;
    for (size_t i = 0; i < a->recheck.n; i++) {
        if (a->recheck.v[i] == ag) {
            a->recheck.v[i] = a->recheck.v[--a->recheck.n];
            break;
        }
    }
    ag->in_recheck = false;
}

/* Delete one filter. touch: its member may now take the agent (false when
 * the member or the agent is going away). */
static void
filter_delete(struct allocator *a, struct filter *f, bool touch)
{
    struct agent *ag = f->ag;
    uint32_t serial = f->m->serial;
    fx_remove(ag, f);
    heap_remove(&a->heap, f->heap_idx);
    TAILQ_REMOVE(&f->m->filters, f, m_link);
    cr_resources_fini(&f->refused);
    free(f);
    if (touch && ag->set == SET_BLOCKED) {
        recheck_push(a, ag, serial);
        kick(a);
    }
}

static void
filter_add(struct allocator *a, struct member *m, struct agent *ag,
           const struct cr_resources *refused, double expires)
{
    struct filter *f = cr_xcalloc(1, sizeof(*f));
    f->m = m;
    f->ag = ag;
    f->expires = expires;
    cr_resources_init(&f->refused);
    cr_resources_copy(&f->refused, refused);
    TAILQ_INSERT_TAIL(&m->filters, f, m_link);
    fx_insert(ag, f);
    f->heap_idx = a->heap.n;
    vec_push(&a->heap, f);
    heap_up(&a->heap, f->heap_idx);
}

/* Is m filtered from being offered res on ag (res within a refused set)? */
static bool
is_filtered(const struct allocator *a, const struct member *m,
            const struct agent *ag, const struct cr_resources *res)
{
    (void)a;
    if (ag->n_fx == 0)
        return false;
    for (size_t i = fx_lower(ag, m->serial);
         i < ag->n_fx && ag->fx[i].serial == m->serial; i++) {
        if (cr_resources_contains(&ag->fx[i].f->refused, res))
            return true;
    }
    return false;
}

static void
member_clear_filters(struct allocator *a, struct member *m)
{
    struct filter *f;
    while ((f = TAILQ_FIRST(&m->filters)) != NULL)
        filter_delete(a, f, true);
}

static void
expire_filters(struct allocator *a, double now)
{
    while (a->heap.n > 0) {
        struct filter *f = a->heap.v[0];
        if (f->expires > now)
            break;
        filter_delete(a, f, true);
    }
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

/* ---- roles, frameworks, members ------------------------------------------ */

static struct role *
role_find(const struct allocator *a, const char *name)
{
    struct role *r;
    HASH_FIND_STR(a->roles, name, r);
    return r;
}

static struct role *
role_get(struct allocator *a, const char *name)
{
    struct role *r = role_find(a, name);
    if (r != NULL)
        return r;
    r = cr_xcalloc(1, sizeof(*r));
    r->name = cr_xstrdup(name);
    r->weight = 1.0;
    RB_INIT(&r->members);
    HASH_ADD_KEYPTR(hh, a->roles, r->name, strlen(r->name), r);
    return r;
}

static void
role_maybe_free(struct allocator *a, struct role *r)
{
    if (r->n_members > 0 || r->weight_set)
        return;
    HASH_DEL(a->roles, r);
    free(r->name);
    free(r);
}

static struct framework *
fw_find(const struct allocator *a, const char *id)
{
    struct framework *f;
    HASH_FIND_STR(a->frameworks, id, f);
    return f;
}

static struct member *
member_find(const struct framework *f, const char *role)
{
    for (size_t i = 0; i < f->n_members; i++) {
        if (strcmp(f->members[i]->role->name, role) == 0)
            return f->members[i];
    }
    return NULL;
}

static struct member *
member_get(struct allocator *a, struct framework *f, const char *role)
{
    struct member *m = member_find(f, role);
    if (m != NULL)
        return m;
    m = cr_xcalloc(1, sizeof(*m));
    m->fw = f;
    m->role = role_get(a, role);
    m->role->n_members++;
    m->serial = ++a->next_serial;
    TAILQ_INIT(&m->filters);
    HASH_ADD(hh_serial, a->by_serial, serial, sizeof(m->serial), m);
    f->members = cr_xrealloc(f->members, (f->n_members + 1) * sizeof(m));
    f->members[f->n_members++] = m;
    return m;
}

static void
fresh_remove(struct allocator *a, struct member *m)
{
    if (!m->in_fresh)
        return;
    for (size_t i = 0; i < a->fresh.n; i++) {
        if (a->fresh.v[i] == m) {
            a->fresh.v[i] = a->fresh.v[--a->fresh.n];
            break;
        }
    }
    m->in_fresh = false;
}

/* Put m in or out of its role's tree after a change of eligibility. */
static void
member_update(struct allocator *a, struct member *m)
{
    struct role *r = m->role;
    bool eligible = m->fw->active && m->subscribed && !m->suppressed;
    if (eligible == m->in_tree)
        return;
    if (eligible) {
        m->in_tree = true;
        RB_INSERT(member_tree, &r->members, m);
        if (r->n_eligible++ == 0) {
            r->in_tree = true;
            RB_INSERT(role_tree, &a->role_tree, r);
        }
        if (!m->in_fresh) {
            m->in_fresh = true;
            vec_push(&a->fresh, m);
        }
        kick(a);
        return;
    }
    m->in_tree = false;
    RB_REMOVE(member_tree, &r->members, m);
    fresh_remove(a, m);
    if (--r->n_eligible == 0) {
        r->in_tree = false;
        RB_REMOVE(role_tree, &a->role_tree, r);
    }
}

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
            (void)member_get(a, f, roles[i]);
    }
    for (size_t i = 0; i < f->n_members; i++) {
        struct member *m = f->members[i];
        m->subscribed = in_list(m->role->name, roles, n_roles);
        m->suppressed = in_list(m->role->name, supp, n_supp);
        member_update(a, m);
    }
}

static void
fw_update_all(struct allocator *a, struct framework *f)
{
    for (size_t i = 0; i < f->n_members; i++)
        member_update(a, f->members[i]);
}

static struct framework *
fw_create(struct allocator *a, const char *id)
{
    struct framework *f = cr_xcalloc(1, sizeof(*f));
    f->id = cr_xstrdup(id);
    HASH_ADD_KEYPTR(hh, a->frameworks, f->id, strlen(f->id), f);
    return f;
}

/* ---- allocation accounting ----------------------------------------------- */

static struct slot *
slot_find(struct agent *ag, const struct member *m)
{
    for (size_t i = 0; i < ag->n_slots; i++) {
        if (ag->slots[i].m == m)
            return &ag->slots[i];
    }
    return NULL;
}

/* Charge (sign 1) or release (sign -1) q for m on ag. */
static void
account(struct allocator *a, struct agent *ag, struct member *m,
        const int64_t q[NQ], int sign)
{
    struct slot *s = slot_find(ag, m);
    if (s == NULL) {
        if (sign < 0 || q_is_zero(q))
            return; /* nothing of m's on ag (stale recover) */
        if (ag->n_slots == ag->cap_slots) {
            ag->cap_slots = ag->cap_slots ? ag->cap_slots * 2 : 2;
            ag->slots =
                cr_xrealloc(ag->slots, ag->cap_slots * sizeof(*ag->slots));
        }
        s = &ag->slots[ag->n_slots++];
        memset(s, 0, sizeof(*s));
        s->m = m;
        m->n_slots++;
    }
    /* Release at most what the slot holds, so that m->alloc stays the sum
     * of m's slots and role->alloc the sum of its members'. */
    int64_t d[NQ];
    for (int k = 0; k < NQ; k++)
        d[k] = sign > 0 || q[k] < s->q[k] ? q[k] : s->q[k];
    q_apply(s->q, d, sign);
    if (q_is_zero(s->q)) {
        *s = ag->slots[--ag->n_slots];
        m->n_slots--;
    }
    q_apply(m->alloc, d, sign);
    q_apply(m->role->alloc, d, sign);
    reposition(a, m->role, m);
}

/* Drop every slot of m on every agent (m is going away with allocations
 * the master did not recover: rare, so a full scan is fine). */
static void
drop_member_slots(struct allocator *a, struct member *m)
{
    if (m->n_slots == 0)
        return;
    cr_warn("allocator: framework %s removed with resources still allocated "
            "in role %s",
            m->fw->id, m->role->name);
    for (struct agent *ag = a->agents; ag != NULL; ag = ag->hh.next) {
        struct slot *s = slot_find(ag, m);
        if (s != NULL)
            *s = ag->slots[--ag->n_slots];
    }
    m->n_slots = 0;
    q_apply(m->role->alloc, m->alloc, -1);
    memset(m->alloc, 0, sizeof(m->alloc));
    reposition(a, m->role, m);
}

static void
member_free(struct allocator *a, struct member *m)
{
    m->suppressed = true; /* make it ineligible */
    member_update(a, m);
    fresh_remove(a, m);
    struct filter *f;
    while ((f = TAILQ_FIRST(&m->filters)) != NULL)
        filter_delete(a, f, false);
    drop_member_slots(a, m);
    HASH_DELETE(hh_serial, a->by_serial, m);
    struct role *r = m->role;
    r->n_members--;
    free(m);
    role_maybe_free(a, r);
}

/* ---- offers -------------------------------------------------------------- */

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

/* What ag can offer to role: the whole available (no copy) when nothing on
 * it is reserved, else a filtered copy in a->scratch. NULL if nothing. */
static const struct cr_resources *
offerable(struct allocator *a, struct agent *ag, struct role *r, bool *whole)
{
    *whole =
        !ag->may_have_reserved || !cr_resources_has_reserved(&ag->available);
    if (*whole)
        return &ag->available;
    if (!usable_by(ag, r->name))
        return NULL;
    cr_resources_allocatable_to(&a->scratch, &ag->available, r->name);
    return &a->scratch;
}

static void
make_offer(struct allocator *a, struct agent *ag, struct member *m,
           const struct cr_resources *res, bool whole)
{
    int64_t q[NQ];
    cr_resources_quantities(res, q);
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
    account(a, ag, m, q, 1);
    a->stats.offers++;
    a->offer(a->data, m->fw->id, ag->id, m->role->name, &a->scratch);
    cr_resources_clear(&a->scratch);
}

/* Walk roles and members in DRF order; offer to the first taker per
 * role. Returns whether any offer was made. */
static bool
visit_full(struct allocator *a, struct agent *ag)
{
    bool made = false;
    uint64_t stamp = ++a->stamp;
    struct role *next;
    for (struct role *r = RB_MIN(role_tree, &a->role_tree); r != NULL;
         r = next) {
        next = RB_NEXT(role_tree, &a->role_tree, r);
        if (r->stamp == stamp)
            continue;
        r->stamp = stamp;
        if (cr_resources_is_empty(&ag->available))
            break;
        bool whole;
        const struct cr_resources *res = offerable(a, ag, r, &whole);
        if (res == NULL || !min_alloc_ok(a, res))
            continue;
        struct member *m;
        RB_FOREACH(m, member_tree, &r->members)
        {
            if (!is_filtered(a, m, ag, res))
                break;
        }
        if (m != NULL) {
            make_offer(a, ag, m, res, whole);
            made = true;
        }
    }
    return made;
}

/* Is m a taker for ag ahead of *best in DRF order? */
static void
consider(struct allocator *a, struct agent *ag, struct member *m,
         struct member **best)
{
    struct member *b = *best;
    if (m == NULL || !m->in_tree || m == b ||
        (b != NULL && (role_cmp(m->role, b->role) > 0 ||
                       (m->role == b->role && member_cmp(m, b) > 0))))
        return;
    bool whole;
    const struct cr_resources *res = offerable(a, ag, m->role, &whole);
    if (res != NULL && min_alloc_ok(a, res) && !is_filtered(a, m, ag, res))
        *best = m;
}

static struct member *
member_by_serial(const struct allocator *a, uint32_t serial)
{
    struct member *m;
    HASH_FIND(hh_serial, a->by_serial, &serial, sizeof(serial), m);
    return m;
}

/* ag is blocked: only members that became eligible (fresh) or whose filter
 * on ag went away (ag->recheck) can take it. Offer to the first of them in
 * DRF order, repeatedly. */
static bool
visit_recheck(struct allocator *a, struct agent *ag)
{
    bool made = false;
    while (!cr_resources_is_empty(&ag->available)) {
        struct member *best = NULL;
        for (size_t i = 0; i < a->fresh.n; i++)
            consider(a, ag, a->fresh.v[i], &best);
        for (size_t i = 0; i < ag->n_recheck; i++)
            consider(a, ag, member_by_serial(a, ag->recheck[i]), &best);
        if (best == NULL)
            break;
        bool whole;
        const struct cr_resources *res = offerable(a, ag, best->role, &whole);
        make_offer(a, ag, best, res, whole);
        made = true;
    }
    return made;
}

/* ---- the pass ------------------------------------------------------------ */

/* Agents to visit: cand, plus blocked ones with something to re-check
 * (all of them when a member became eligible). */
static void
build_order(struct allocator *a)
{
    a->order.n = 0;
    for (size_t i = 0; i < a->cand.n; i++)
        vec_push(&a->order, a->cand.v[i]);
    if (a->fresh.n > 0) {
        for (size_t i = 0; i < a->blocked.n; i++)
            vec_push(&a->order, a->blocked.v[i]);
    } else {
        for (size_t i = 0; i < a->recheck.n; i++) {
            struct agent *ag = a->recheck.v[i];
            if (ag->set == SET_BLOCKED)
                vec_push(&a->order, ag);
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

static size_t
run_pass(struct allocator *a, bool exhaustive)
{
    if (a == NULL || a->closing || in_run_guard(a, "allocator_run"))
        return 0;
    uint64_t t0 = cr_mono_ns();
    uint64_t offers0 = a->stats.offers;
    a->in_run = true;
    expire_filters(a, now_secs(a));
    if (a->shares_dirty)
        rebuild_shares(a);
    if (exhaustive) {
        while (a->blocked.n > 0)
            set_enter(a, a->blocked.v[a->blocked.n - 1], SET_CAND);
    }
    build_order(a);
    for (size_t i = 0; i < a->order.n; i++) {
        struct agent *ag = a->order.v[i];
        prefetch_agents(&a->order, i);
        if (ag->set == SET_CAND)
            visit_full(a, ag);
        else if (ag->set == SET_BLOCKED)
            visit_recheck(a, ag);
        ag->n_recheck = 0;
        set_enter(a, ag,
                  cr_resources_is_empty(&ag->available) ? SET_NONE
                                                        : SET_BLOCKED);
    }
    for (size_t i = 0; i < a->fresh.n; i++)
        ((struct member *)a->fresh.v[i])->in_fresh = false;
    a->fresh.n = 0;
    for (size_t i = 0; i < a->recheck.n; i++)
        ((struct agent *)a->recheck.v[i])->in_recheck = false;
    a->recheck.n = 0;
    a->in_run = false;

    double ms = (double)(cr_mono_ns() - t0) / 1e6;
    a->stats.runs++;
    a->stats.last_run_ms = ms;
    a->stats.last_visited = a->order.n;
    if (ms > a->stats.max_run_ms)
        a->stats.max_run_ms = ms;
    apply_deferred(a);
    return (size_t)(a->stats.offers - offers0);
}

size_t
allocator_run(struct allocator *a, bool dirty_only)
{
    (void)dirty_only; /* both are exact; see allocator.h */
    return run_pass(a, false);
}

size_t
allocator_run_exhaustive(struct allocator *a)
{
    return run_pass(a, true);
}

/* ---- lifecycle ----------------------------------------------------------- */

static void
parse_min_alloc(struct allocator *a, const char *spec)
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
    parse_min_alloc(a, a->cfg.min_allocatable);
    a->cfg.min_allocatable = NULL; /* borrowed: do not keep */
    a->rng = a->cfg.seed ? a->cfg.seed : (cr_mono_ns() | 1);
    return a;
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
        cr_resources_fini(&ag->total);
        cr_resources_fini(&ag->available);
        free(ag->slots);
        free(ag->fx);
        free(ag->recheck);
        free(ag->id);
        free(ag);
    }
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
    vec_fini(&a->cand);
    vec_fini(&a->blocked);
    vec_fini(&a->fresh);
    vec_fini(&a->recheck);
    vec_fini(&a->order);
    vec_fini(&a->heap);
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
    for (size_t i = 0; i < a->heap.n; i++) {
        struct filter *f = a->heap.v[i];
        cr_resources_fini(&f->refused);
        free(f);
    }
    a->heap.n = 0;
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
    kick(a);
    return 0;
}

/* ---- frameworks ---------------------------------------------------------- */

void
allocator_add_framework(struct allocator *a, const char *framework_id,
                        const char *const *roles, size_t n_roles,
                        const char *const *suppressed_roles,
                        size_t n_suppressed, bool active)
{
    if (in_run_guard(a, "add_framework"))
        return;
    struct framework *f = fw_find(a, framework_id);
    if (f == NULL)
        f = fw_create(a, framework_id);
    f->active = active;
    set_roles(a, f, roles, n_roles, suppressed_roles, n_suppressed);
}

void
allocator_update_framework_roles(struct allocator *a, const char *framework_id,
                                 const char *const *roles, size_t n_roles,
                                 const char *const *suppressed_roles,
                                 size_t n_suppressed)
{
    if (in_run_guard(a, "update_framework_roles"))
        return;
    struct framework *f = fw_find(a, framework_id);
    if (f != NULL)
        set_roles(a, f, roles, n_roles, suppressed_roles, n_suppressed);
}

void
allocator_remove_framework(struct allocator *a, const char *framework_id)
{
    if (in_run_guard(a, "remove_framework"))
        return;
    struct framework *f = fw_find(a, framework_id);
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->n_members; i++)
        member_free(a, f->members[i]);
    HASH_DEL(a->frameworks, f);
    free(f->members);
    free(f->id);
    free(f);
}

static void
set_fw_active(struct allocator *a, const char *id, bool active)
{
    if (in_run_guard(a, "(de)activate_framework"))
        return;
    struct framework *f = fw_find(a, id);
    if (f == NULL || f->active == active)
        return;
    f->active = active;
    fw_update_all(a, f);
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
    member_update(a, m);
}

static void
do_revive(struct allocator *a, struct member *m)
{
    m->suppressed = false;
    member_clear_filters(a, m);
    member_update(a, m);
}

void
allocator_suppress(struct allocator *a, const char *framework_id,
                   const char *const *roles, size_t n)
{
    if (in_run_guard(a, "suppress"))
        return;
    struct framework *f = fw_find(a, framework_id);
    if (f != NULL)
        for_roles(a, f, roles, n, do_suppress);
}

void
allocator_revive(struct allocator *a, const char *framework_id,
                 const char *const *roles, size_t n)
{
    if (in_run_guard(a, "revive"))
        return;
    struct framework *f = fw_find(a, framework_id);
    if (f != NULL)
        for_roles(a, f, roles, n, do_revive);
}

void
allocator_set_weight(struct allocator *a, const char *role, double weight)
{
    if (in_run_guard(a, "set_weight"))
        return;
    if (!(weight > 0) || !isfinite(weight)) {
        cr_warn("allocator: ignoring weight %g for role %s", weight, role);
        return;
    }
    struct role *r = role_get(a, role);
    r->weight = weight;
    r->weight_set = true;
    reposition(a, r, NULL);
    kick(a);
}

double
allocator_get_weight(const struct allocator *a, const char *role)
{
    const struct role *r = role_find(a, role);
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

void
allocator_add_agent(struct allocator *a, const char *agent_id,
                    const struct cr_resources *total)
{
    if (in_run_guard(a, "add_agent"))
        return;
    struct agent *ag = agent_find(a, agent_id);
    if (ag == NULL) {
        ag = cr_xcalloc(1, sizeof(*ag));
        ag->id = cr_xstrdup(agent_id);
        ag->serial = ++a->next_serial;
        ag->active = true;
        cr_resources_init(&ag->total);
        cr_resources_init(&ag->available);
        HASH_ADD_KEYPTR(hh, a->agents, ag->id, strlen(ag->id), ag);
        cr_resources_copy(&ag->available, total);
    } else {
        /* Replace the total, keeping what is allocated on it. */
        struct cr_resources used;
        cr_resources_init(&used);
        cr_resources_copy(&used, &ag->total);
        (void)cr_resources_subtract(&used, &ag->available);
        cr_resources_copy(&ag->available, total);
        if (!cr_resources_subtract(&ag->available, &used)) {
            cr_warn("allocator: agent %s: new total does not cover what is "
                    "allocated; nothing offered until resources return",
                    agent_id);
            cr_resources_clear(&ag->available);
        }
        cr_resources_fini(&used);
        q_apply(a->total_q, ag->total_q, -1);
    }
    cr_resources_copy(&ag->total, total);
    ag->may_have_reserved |= cr_resources_has_reserved(total);
    cr_resources_quantities(total, ag->total_q);
    q_apply(a->total_q, ag->total_q, 1);
    a->shares_dirty = true;
    agent_touch(a, ag);
}

void
allocator_remove_agent(struct allocator *a, const char *agent_id)
{
    if (in_run_guard(a, "remove_agent"))
        return;
    struct agent *ag = agent_find(a, agent_id);
    if (ag == NULL)
        return;
    while (ag->n_fx > 0)
        filter_delete(a, ag->fx[ag->n_fx - 1].f, false);
    while (ag->n_slots > 0) {
        struct slot s = ag->slots[ag->n_slots - 1];
        account(a, ag, s.m, s.q, -1);
    }
    set_leave(a, ag);
    recheck_forget(a, ag);
    q_apply(a->total_q, ag->total_q, -1);
    a->shares_dirty = true;
    HASH_DEL(a->agents, ag);
    cr_resources_fini(&ag->total);
    cr_resources_fini(&ag->available);
    free(ag->slots);
    free(ag->fx);
    free(ag->recheck);
    free(ag->id);
    free(ag);
    kick(a); /* shares changed */
}

static void
set_agent_active(struct allocator *a, const char *id, bool active)
{
    if (in_run_guard(a, "(de)activate_agent"))
        return;
    struct agent *ag = agent_find(a, id);
    if (ag == NULL || ag->active == active)
        return;
    ag->active = active;
    agent_touch(a, ag);
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

/* Take res out of ag's available; what is not there is skipped. */
static void
take_available(struct agent *ag, const struct cr_resources *res)
{
    if (cr_resources_subtract(&ag->available, res))
        return;
    cr_warn("allocator: agent %s: allocation exceeds available resources",
            ag->id);
    for (int k = 0; k < NQ; k++) {
        int64_t t = res->fixed[k] < ag->available.fixed[k]
                        ? res->fixed[k]
                        : ag->available.fixed[k];
        ag->available.fixed[k] -= t;
    }
    for (uint32_t i = 0; i < res->n; i++) {
        struct cr_resources one = {.n = 1, .cap = 1};
        struct cr_res_entry e = res->ents[i];
        one.ents = &e;
        (void)cr_resources_subtract(&ag->available, &one);
    }
}

void
allocator_add_allocation(struct allocator *a, const char *framework_id,
                         const char *agent_id, const char *role,
                         const struct cr_resources *res)
{
    if (in_run_guard(a, "add_allocation"))
        return;
    struct agent *ag = agent_find(a, agent_id);
    if (ag == NULL || role == NULL) {
        cr_warn("allocator: allocation on unknown agent %s ignored", agent_id);
        return;
    }
    struct framework *f = fw_find(a, framework_id);
    if (f == NULL) {
        f = fw_create(a, framework_id);
        member_get(a, f, role)->subscribed = true;
    }
    struct member *m = member_get(a, f, role);
    take_available(ag, res);
    int64_t q[NQ];
    cr_resources_quantities(res, q);
    account(a, ag, m, q, 1);
    agent_shrunk(a, ag);
}

void
allocator_recover(struct allocator *a, const char *framework_id,
                  const char *agent_id, const char *role,
                  const struct cr_resources *res, double refuse_seconds)
{
    if (a->in_run) {
        if (a->n_deferred == a->cap_deferred) {
            a->cap_deferred = a->cap_deferred ? a->cap_deferred * 2 : 8;
            a->deferred = cr_xrealloc(a->deferred,
                                      a->cap_deferred * sizeof(*a->deferred));
        }
        struct deferred *d = &a->deferred[a->n_deferred++];
        d->framework_id = cr_xstrdup(framework_id);
        d->agent_id = cr_xstrdup(agent_id);
        d->role = role != NULL ? cr_xstrdup(role) : NULL;
        cr_resources_init(&d->res);
        cr_resources_copy(&d->res, res);
        d->refuse = refuse_seconds;
        return;
    }
    struct agent *ag = agent_find(a, agent_id);
    if (ag == NULL)
        return;
    cr_resources_add(&ag->available, res);
    ag->may_have_reserved |= res->n > 0 && cr_resources_has_reserved(res);
    struct framework *f = fw_find(a, framework_id);
    struct member *m = f != NULL && role != NULL ? member_find(f, role) : NULL;
    if (m != NULL) {
        int64_t q[NQ];
        cr_resources_quantities(res, q);
        account(a, ag, m, q, -1);
        if (!(refuse_seconds < 0)) {
            double secs = allocator_normalize_refuse(refuse_seconds);
            if (secs > 0) {
                if (secs < a->cfg.allocation_interval)
                    secs = a->cfg.allocation_interval;
                filter_add(a, m, ag, res, now_secs(a) + secs);
            }
        }
    }
    agent_touch(a, ag);
}

/* ---- introspection ------------------------------------------------------- */

void
allocator_get_stats(const struct allocator *a, struct allocator_stats *out)
{
    *out = a->stats;
    out->agents = HASH_COUNT(a->agents);
    out->agents_available = a->cand.n + a->blocked.n;
    out->frameworks = HASH_COUNT(a->frameworks);
    out->roles = HASH_COUNT(a->roles);
    out->filters = a->heap.n;
}

double
allocator_role_share(const struct allocator *a, const char *role)
{
    const struct role *r = role_find(a, role);
    if (r == NULL)
        return 0;
    return cr_resources_dominant_share(r->alloc, a->total_q) / r->weight;
}

double
allocator_framework_share(const struct allocator *a, const char *framework_id,
                          const char *role)
{
    const struct framework *f = fw_find(a, framework_id);
    const struct member *m = f != NULL ? member_find(f, role) : NULL;
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
    const struct framework *f = fw_find(a, framework_id);
    const struct member *m = f != NULL ? member_find(f, role) : NULL;
    const struct agent *ag = agent_find(a, agent_id);
    if (m == NULL || ag == NULL)
        return false;
    double now = now_secs(a);
    const struct filter *fl;
    TAILQ_FOREACH(fl, &m->filters, m_link)
    {
        if (fl->ag == ag && fl->expires > now)
            return true;
    }
    return false;
}
