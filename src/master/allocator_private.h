/* SPDX-License-Identifier: Apache-2.0
 *
 * allocator_private.h: the allocator's objects and the functions its files
 * share. Not an API: other modules use allocator.h only.
 *
 * Files: allocator.c (lifecycle, loop, the public calls), allocator_sort.c
 * (roles, frameworks, members, DRF order, allocation accounting),
 * allocator_filters.c (work sets, refuse filters, their expiry heap,
 * re-check lists), allocator_quota.c (quota, consumption, headroom),
 * allocator_pass.c (offers and the allocation pass).
 *
 * Objects (all owned by struct allocator, found by id through uthash):
 *   role       - weight, allocation sums, weighted share, reservations to
 *                it, optional quota; sits in role_tree (ordered by share,
 *                offers, name) while it has at least one eligible member.
 *   quota      - a role's guarantees and limits and the consumption of the
 *                role's subtree (allocator_quota.c).
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
 *             below the minimum), and quota trimmed nothing. It stays
 *             untouched until its resources grow (then back to cand), or a
 *             member could newly take it: a member became eligible (listed
 *             in `fresh`) or the member's filter on it went away (expiry,
 *             revive: listed in the agent's `recheck`). Then it is
 *             re-checked against just those members: nobody else could
 *             take it. Quota changes cannot unblock it: an offer computed
 *             under any quota state is a subset of the untrimmed one that
 *             was refused.
 *   held    - like blocked, but quota trimmed an offer considered on it
 *             (a limit, a guarantee's share or the headroom), so a role
 *             might take more once quota loosens. When the quota state
 *             loosens (allocator_quota.c: some role's limit headroom or
 *             unmet guarantee, or the surplus headroom, grew since the end
 *             of the last pass), every held agent goes back to cand;
 *             its memo (the trimmed offers nobody took, per role) spares
 *             the framework walk of a role whose offer is unchanged.
 * Agents with nothing available or inactive are in no set.
 *
 * Shares are stored in the nodes and only changed while a node is out of
 * its tree, so the trees stay consistent; when the cluster totals change
 * (agent added/removed/updated) every share is recomputed and the trees
 * rebuilt at the start of the next pass (shares_dirty).
 *
 * Threading: loop thread only.
 */
#ifndef CR_MASTER_ALLOCATOR_PRIVATE_H
#define CR_MASTER_ALLOCATOR_PRIVATE_H

#include "master/allocator.h"

#include <bsd/sys/queue.h>
/* libbsd leaves __unused undefined on Linux; RB_GENERATE_STATIC needs it. */
#ifndef __unused
#define __unused __attribute__((__unused__))
#endif
#include <bsd/sys/tree.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Our own hash for every table: 8 bytes per step (ids are ~40 bytes), and
 * uthash's default Jenkins hash has switch fall-throughs that
 * -Wimplicit-fallthrough rejects. Every allocator file must see the same
 * HASH_FUNCTION, hence here. */
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
#include <uthash.h>

#define NQ    CR_RES_NFIXED
#define Q_INF INT64_MAX /* "no bound" in quota arithmetic */

struct member;
struct filter;

RB_HEAD(alloc_member_tree, member);
RB_HEAD(alloc_role_tree, role);

/* A role with quota set (allocator_quota.c). */
struct quota {
    int64_t guarantee[NQ]; /* milli; 0: none */
    int64_t limit[NQ];     /* milli; Q_INF: none */
    bool has_guarantee;
    bool has_limit;
    /* Reservations to the role and its sub-roles plus unreserved resources
     * allocated or offered to them (Mesos "consumed quota"). */
    int64_t consumed[NQ];
    struct role *qparent; /* nearest proper ancestor with quota, or NULL */
    /* Has a guarantee and no ancestor has one: its unmet part counts in
     * the required headroom (a->req). */
    bool outermost;
    int64_t unmet[NQ]; /* outermost: max(0, guarantee - consumed) */
    /* Limit headroom and unmet guarantee at the end of the last pass. */
    int64_t snap_lim[NQ];
    int64_t snap_unmet[NQ];
    size_t idx; /* in a->quotas */
};

struct role {
    char *name;
    UT_hash_handle hh;
    uint32_t serial;
    double weight;
    bool weight_set;
    bool in_tree;
    int64_t alloc[NQ];  /* allocated + offered, reserved or not */
    int64_t ualloc[NQ]; /* the unreserved part of alloc */
    int64_t resv[NQ];   /* reserved to exactly this role, agent totals */
    double share;       /* dominant share / weight */
    uint64_t offers;
    RB_ENTRY(role) node;
    struct alloc_member_tree members; /* eligible members */
    size_t n_members;                 /* all members */
    size_t n_eligible;
    uint64_t stamp;     /* last agent visit that offered to / walked it */
    uint64_t s1stamp;   /* last agent visit that tried it in stage 1 */
    struct quota *q;    /* quota set on this role, or NULL */
    struct role *qnode; /* nearest ancestor-or-self with quota, or NULL */
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
    int64_t alloc[NQ];  /* == sum of its slots' q */
    int64_t ualloc[NQ]; /* == sum of its slots' uq */
    size_t n_slots;     /* agents where it holds something */
    double share;
    uint64_t offers;
    RB_ENTRY(member) node;
    TAILQ_HEAD(, filter) filters;
    UT_hash_handle hh_serial; /* a->by_serial */
};

/* What one member holds on one agent: all quantities, and the unreserved
 * ones (what counts against quota). */
struct slot {
    struct member *m;
    int64_t q[NQ];
    int64_t uq[NQ];
};

enum agent_set { SET_NONE = 0, SET_CAND, SET_BLOCKED, SET_HELD };

struct agent {
    char *id;
    UT_hash_handle hh;
    uint32_t serial;
    bool active;
    enum agent_set set;
    size_t set_idx;
    struct cr_resources total;
    struct cr_resources available;
    /* In use beyond the total (the total shrank below what is allocated,
     * or an allocation was reported that was not available): resources
     * coming back pay this off before becoming available. Usually empty.
     * Invariant: total + over == available + allocated/offered. */
    struct cr_resources over;
    int64_t total_q[NQ];
    bool may_have_reserved; /* total or a recovered part had some */
    struct slot *slots;
    size_t n_slots, cap_slots;
    struct fidx *fx; /* filters on this agent, sorted by member serial */
    size_t n_fx, cap_fx;
    /* BLOCKED/HELD only: members whose filter here went away since the
     * last visit (serials; the members may be gone by the next pass). */
    uint32_t *recheck;
    size_t n_recheck, cap_recheck;
    bool in_recheck; /* listed in a->recheck */
    /* HELD only: the trimmed offers nobody took at the last full visit.
     * Valid while memo_ok and memo_epoch == a->elig_epoch (no member
     * became eligible since), cleared when the agent changes or a filter
     * on it goes away. Lets the walk after quota loosened skip a role whose
     * offer here came out the same (allocator_pass.c). */
    struct memo *memo;
    size_t n_memo, cap_memo;
    uint64_t memo_epoch;
    bool memo_ok;
};

/* A role's trimmed offer on an agent that no member took. */
struct memo {
    uint32_t role_serial;
    int stage;
    int64_t q[NQ]; /* its unreserved scalars */
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
    struct alloc_role_tree role_tree;
    int64_t total_q[NQ];
    bool shares_dirty;
    uint32_t next_serial;

    struct vec cand;    /* struct agent * */
    struct vec blocked; /* struct agent * */
    struct vec held;    /* struct agent * */
    struct vec fresh;   /* struct member * */
    struct vec recheck; /* struct agent *, blocked/held with a recheck list */
    struct member *by_serial;
    struct vec order; /* scratch: agents of one pass */

    struct vec heap; /* struct filter *, min-heap by expires */

    /* Quota (allocator_quota.c). */
    struct role **quotas; /* roles with quota */
    size_t n_quotas, cap_quotas;
    size_t n_guarantees;     /* of them, with a guarantee */
    int64_t unres_total[NQ]; /* unreserved scalars of all agents' totals */
    int64_t unres_alloc[NQ]; /* of them, allocated or offered */
    int64_t req[NQ];         /* required headroom: sum of outermost unmet */
    int64_t snap_surplus[NQ];
    bool quota_loosened; /* quota set/cleared since the last pass */
    bool chopped;        /* the current agent visit trimmed an offer */

    struct cr_resources *min_alloc; /* alternatives */
    size_t n_min_alloc;

    struct cr_resources scratch; /* the offer being made */
    struct deferred *deferred;
    size_t n_deferred, cap_deferred;
    uint64_t rng;
    uint64_t stamp;
    uint64_t elig_epoch;   /* bumped when a member becomes eligible */
    bool use_memo;         /* the current visit may use memo_old */
    bool exhaustive;       /* the pass is allocator_run_exhaustive() */
    struct memo *memo_old; /* the visited agent's memo before the visit */
    size_t n_memo_old, cap_memo_old;
    bool in_run;

    uv_loop_t *loop;
    uv_timer_t tick;
    uv_timer_t kick;
    bool kick_pending;
    bool closing;
    int open_handles;

    struct allocator_stats stats;
};

/* ---- ordering (static in every file, so the tree code inlines) ---------- */

static inline int
alloc_role_cmp(const struct role *x, const struct role *y)
{
    if (x->share != y->share)
        return x->share < y->share ? -1 : 1;
    if (x->offers != y->offers)
        return x->offers < y->offers ? -1 : 1;
    return strcmp(x->name, y->name);
}

static inline int
alloc_member_cmp(const struct member *x, const struct member *y)
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

RB_GENERATE_STATIC(alloc_role_tree, role, node, alloc_role_cmp)
RB_GENERATE_STATIC(alloc_member_tree, member, node, alloc_member_cmp)

/* ---- small utilities (allocator.c) --------------------------------------- */

void alloc_vec_push(struct vec *v, void *p);
void alloc_vec_fini(struct vec *v);
/* Remove p from v (unordered; linear search). */
void alloc_vec_remove(struct vec *v, const void *p);
double alloc_now(const struct allocator *a);
/* Ask for an incremental pass on the next loop turn. */
void alloc_kick(struct allocator *a);
/* Log and return true when called from the offer callback. */
bool alloc_in_run_guard(const struct allocator *a, const char *what);

static inline bool
alloc_q_is_zero(const int64_t q[NQ])
{
    for (int k = 0; k < NQ; k++) {
        if (q[k] != 0)
            return false;
    }
    return true;
}

/* dst += sign * q, never below zero. */
static inline void
alloc_q_apply(int64_t dst[NQ], const int64_t q[NQ], int sign)
{
    for (int k = 0; k < NQ; k++) {
        dst[k] += sign * q[k];
        if (dst[k] < 0)
            dst[k] = 0;
    }
}

/* ---- roles, frameworks, members, accounting (allocator_sort.c) ---------- */

struct role *alloc_role_find(const struct allocator *a, const char *name);
/* Find or create (weight 1, quota node looked up). */
struct role *alloc_role_get(struct allocator *a, const char *name);
/* Free r if nothing keeps it (members, weight, quota, reservations). */
void alloc_role_maybe_free(struct allocator *a, struct role *r);
struct framework *alloc_fw_find(const struct allocator *a, const char *id);
struct framework *alloc_fw_create(struct allocator *a, const char *id);
struct member *alloc_member_find(const struct framework *f, const char *role);
struct member *alloc_member_get(struct allocator *a, struct framework *f,
                                const char *role);
struct member *alloc_member_by_serial(const struct allocator *a,
                                      uint32_t serial);
/* Put m in or out of its role's tree after a change of eligibility. */
void alloc_member_update(struct allocator *a, struct member *m);
void alloc_member_free(struct allocator *a, struct member *m);
/* Recompute r's share (and, with m, m's share) keeping the trees valid. */
void alloc_reposition(struct allocator *a, struct role *r, struct member *m);
/* Totals changed: recompute every share and rebuild both tree levels. */
void alloc_rebuild_shares(struct allocator *a);
/* Charge (sign 1) or release (sign -1) quantities q, of which uq are
 * unreserved scalars, for m on ag. A release takes at most what the slot
 * holds. */
void alloc_account(struct allocator *a, struct agent *ag, struct member *m,
                   const int64_t q[NQ], const int64_t uq[NQ], int sign);

/* ---- work sets and filters (allocator_filters.c) ------------------------- */

void alloc_set_enter(struct allocator *a, struct agent *ag, enum agent_set s);
void alloc_set_leave(struct allocator *a, struct agent *ag);
/* Something about ag changed that may let a member take it. */
void alloc_agent_touch(struct allocator *a, struct agent *ag);
/* ag's available shrank: a blocked/held agent stays so (subsets of what
 * nobody could take), an emptied one leaves its set. */
void alloc_agent_shrunk(struct allocator *a, struct agent *ag);
/* Drop ag from a->recheck (it is going away). */
void alloc_recheck_forget(struct allocator *a, struct agent *ag);
void alloc_filter_add(struct allocator *a, struct member *m, struct agent *ag,
                      const struct cr_resources *refused, double expires);
/* Delete one filter. touch: its member may now take the agent (false when
 * the member or the agent is going away). */
void alloc_filter_delete(struct allocator *a, struct filter *f, bool touch);
/* Is m filtered from being offered res on ag (res within a refused set)? */
bool alloc_is_filtered(const struct member *m, const struct agent *ag,
                       const struct cr_resources *res);
void alloc_member_clear_filters(struct allocator *a, struct member *m);
void alloc_expire_filters(struct allocator *a, double now);
/* Free every filter without touching agents (allocator_free). */
void alloc_filters_drop_all(struct allocator *a);

/* ---- quota (allocator_quota.c) ------------------------------------------- */

/* Outcome of alloc_quota_allow(). */
enum quota_allow {
    QA_FREE = 0, /* no quota bound binds: offer everything usable */
    QA_TRIM,     /* cap the unreserved scalars at allow[] */
    QA_NONE,     /* stage 1 does not apply to the role on this agent */
};
/* What role r may take of the unreserved scalars avail[] (an agent's) in
 * stage 1 (its unmet guarantee first) or stage 2 (fair share). */
enum quota_allow alloc_quota_allow(const struct allocator *a,
                                   const struct role *r,
                                   const int64_t avail[NQ], int stage,
                                   int64_t allow[NQ]);
/* Does r have a guarantee it has not reached? */
bool alloc_quota_unmet(const struct role *r);
/* Unreserved scalars du allocated (sign 1) or released (-1) by role r. */
void alloc_quota_charge_alloc(struct allocator *a, struct role *r,
                              const int64_t du[NQ], int sign);
/* An agent's total came (sign 1) or went (-1): its reservations and
 * unreserved scalars. */
void alloc_quota_agent_total(struct allocator *a,
                             const struct cr_resources *total, int sign);
/* Nearest ancestor-or-self of name with quota, or NULL. */
struct role *alloc_quota_node_for(const struct allocator *a, const char *name);
/* Pass start: did quota loosen since the last pass end? Clears the flag. */
bool alloc_quota_take_loosened(struct allocator *a);
/* Pass end: remember the bounds for the next loosening check. */
void alloc_quota_snapshot(struct allocator *a);
/* Release every quota (destroy). */
void alloc_quota_free_all(struct allocator *a);

/* ---- the pass (allocator_pass.c) ----------------------------------------- */

size_t alloc_run_pass(struct allocator *a, bool exhaustive);
void alloc_parse_min_alloc(struct allocator *a, const char *spec);

#endif
