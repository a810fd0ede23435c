/* SPDX-License-Identifier: Apache-2.0
 *
 * allocator.h: the master's offer allocator (hierarchical weighted DRF
 * with Mesos 1.9+ quota).
 *
 * Policy (Mesos HierarchicalDRF). For each agent with available resources,
 * in a shuffled order, two stages run:
 *   1. quota stage: roles below their quota guarantee (and with an eligible
 *      framework), by ascending weighted dominant share;
 *   2. fair-share stage: every role by ascending weighted dominant share.
 * Within a role, frameworks go by ascending dominant share (ties: fewer
 * offers so far, then id). The first framework that is active, has not
 * suppressed the role, is not filtered on that agent for that role, and
 * would receive at least the minimum allocatable resources gets ONE offer:
 * every resource on the agent usable by the role (unreserved + reserved to
 * the role or an ancestor: a reservation goes to its role and sub-roles
 * only), with the unreserved cpus/mem/disk/gpus trimmed by quota (below).
 * A role gets at most one offer per agent and pass. Offered resources count
 * as allocated (in shares) until recovered. DRF shares use cpus, mem, disk
 * and gpus. Not yet: capability checks (GPU_RESOURCES...), per-framework
 * offer_filters, DRF shares rolled up the role hierarchy.
 *
 * Quota (allocator_set_quota). Consumed quota of a role = resources
 * reserved to it or a sub-role (allocated or not) + unreserved resources
 * allocated or offered to it or a sub-role (Mesos's definition; "a/b"
 * counts against "a"). Only cpus, mem, disk and gpus are bounded; ports,
 * sets and other scalars are always offered in full.
 *   - Limits: an offer to a role never takes the consumption of the role
 *     or of any ancestor with a limit above that limit: the unreserved
 *     scalars are trimmed to what is left. Reserved resources are always
 *     offered to their role (they are consumed already).
 *   - Guarantees: in stage 1 a role below its guarantee gets, unbounded by
 *     the headroom, up to its unmet guarantee (within its limits) plus, as
 *     far as the surplus headroom allows, the rest of the agent.
 *   - Headroom (upstream's rule): required headroom = sum over guarantee
 *     roles with no guaranteed ancestor of max(0, guarantee - consumed);
 *     available headroom = unreserved scalars of all agents (active or
 *     not) not allocated or offered; surplus = available - required. An
 *     offer's unreserved scalars stay within the surplus, plus what goes
 *     toward the unmet guarantee of the role's outermost guaranteed
 *     ancestor-or-self (that lowers the required headroom by as much, so
 *     available - required stays >= 0; upstream counts only the surplus
 *     and hands the rest out over later passes, which would make a pass
 *     depend on the one before).
 *   Simplifications: stage 1 runs per agent, ahead of stage 2 on that agent
 *   (upstream runs stage 1 over all agents first; the headroom keeps what
 *   unmet guarantees need either way, so only the choice of agents for a
 *   quota role's offers can differ); a nested role's guarantee only gets
 *   stage-1 priority, the headroom is kept for its outermost guaranteed
 *   ancestor; no check that children's quota fits in the parent's;
 *   offers already made are not rescinded when quota changes (the master
 *   rescinds them if it wants upstream's behaviour).
 *
 * Incremental design (the point of this module): each agent's available
 * resources are kept precomputed; agents with nothing available are in no
 * work set. An agent that was visited and found no taker is "blocked": it
 * comes back for a full walk only when its resources change, and is
 * re-checked against just the frameworks concerned when one becomes
 * eligible (added, activated, unsuppressed) or when a framework's filter on
 * it goes away (expiry, REVIVE). Filters expire from a min-heap. An agent
 * where quota trimmed an offer is "held" instead: it is also walked again
 * when quota loosens (a limit's or guarantee's room or the surplus
 * headroom grew since the last pass); a per-agent memo of the trimmed
 * offers nobody took lets that walk skip the framework walk of a role
 * whose offer came out the same. So a pass costs O(changed agents x
 * frameworks walked) + O(re-checks) + O(held agents x roles, after quota
 * loosened) + O(quota roles^2) per visited agent while a guarantee is
 * unmet, never O(agents x frameworks) in the steady state.
 *
 * Contract with the master: resources offered or used are returned with
 * allocator_recover(); the master recovers a framework's offers and tasks
 * before allocator_remove_framework() (as in Mesos; if it does not, the
 * leftovers are dropped from the shares with a warning). Ids and arrays
 * passed in are borrowed for the call. The offer callback runs
 * synchronously inside allocator_run(); its `offered` argument is borrowed
 * for the call. From the callback, only allocator_recover() may be called
 * (it is applied when the pass ends); other calls are refused with an
 * error log.
 *
 * Threading: loop thread only.
 */
#ifndef CR_MASTER_ALLOCATOR_H
#define CR_MASTER_ALLOCATOR_H

#include "model/resources.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* Filters.refuse_seconds default and cap (Mesos). */
#define ALLOCATOR_DEFAULT_REFUSE_SECS 5.0
#define ALLOCATOR_MAX_REFUSE_SECS     (365.0 * 24 * 3600)

struct allocator_config {
    double allocation_interval;      /* secs; <= 0 means 1 */
    double (*now)(void *clock_data); /* secs, monotonic; NULL: real */
    void *clock_data;
    /* Minimum allocatable resources: alternatives separated by '|', each
     * in the text form, e.g. "cpus:0.01|mem:32" (the default when NULL);
     * "" disables the check. An offer is made only if it contains at least
     * one alternative's quantities. */
    const char *min_allocatable;
    /* Seed for the agent shuffle; 0 picks one from the clock. */
    uint64_t seed;
};

typedef void (*allocator_offer_cb)(void *data, const char *framework_id,
                                   const char *agent_id, const char *role,
                                   const struct cr_resources *offered);

struct allocator;

/* Create an allocator. cfg is copied (min_allocatable parsed now; a bad
 * value is logged and the default used). Never NULL. */
struct allocator *allocator_new(const struct allocator_config *cfg,
                                allocator_offer_cb offer, void *data);
/* Release everything. With a loop attached, the timers are closed and the
 * memory is released in their close callbacks (keep the loop running);
 * no offer callback runs after this call. NULL is fine. */
void allocator_free(struct allocator *a);

/* Add a framework subscribed to roles, some of them suppressed. Adding an
 * id that exists updates its roles and suppression and sets `active`
 * (covers frameworks first seen through allocator_add_allocation). */
void allocator_add_framework(struct allocator *a, const char *framework_id,
                             const char *const *roles, size_t n_roles,
                             const char *const *suppressed_roles,
                             size_t n_suppressed, bool active);
/* Replace the framework's roles and suppressed roles (UPDATE_FRAMEWORK).
 * Allocations under dropped roles stay accounted until recovered. */
void allocator_update_framework_roles(struct allocator *a,
                                      const char *framework_id,
                                      const char *const *roles, size_t n_roles,
                                      const char *const *suppressed_roles,
                                      size_t n_suppressed);
void allocator_remove_framework(struct allocator *a, const char *framework_id);
/* Disconnected frameworks get no offers; filters are kept. */
void allocator_activate_framework(struct allocator *a,
                                  const char *framework_id);
void allocator_deactivate_framework(struct allocator *a,
                                    const char *framework_id);

/* Add an agent with its total resources, all available. Adding an id that
 * exists replaces its total (available is recomputed as total minus what
 * is allocated on it). */
void allocator_add_agent(struct allocator *a, const char *agent_id,
                         const struct cr_resources *total);
/* The agent's total changed (e.g. the operator reserved or unreserved
 * resources on it): available becomes total minus what is allocated or
 * offered on it (what the new total lacks is dropped from available, with
 * a warning), allocations are kept, and the agent is walked again on the
 * next pass. 0, or CR_ENOTFOUND for an unknown agent, CR_ESTATE from the
 * offer callback. (allocator_add_agent on a known id does the same.) */
int allocator_update_agent(struct allocator *a, const char *agent_id,
                           const struct cr_resources *total);
/* Remove an agent; allocations on it are dropped from the shares and its
 * filters deleted. */
void allocator_remove_agent(struct allocator *a, const char *agent_id);
/* Deactivated agents are not offered (their allocations stay). */
void allocator_activate_agent(struct allocator *a, const char *agent_id);
void allocator_deactivate_agent(struct allocator *a, const char *agent_id);

/* Resources now used by framework_id under role on agent_id (e.g. running
 * tasks of a re-registered agent). An unknown framework is created
 * inactive with that role. If res is not available on the agent, what is
 * available of it is taken and a warning logged. */
void allocator_add_allocation(struct allocator *a, const char *framework_id,
                              const char *agent_id, const char *role,
                              const struct cr_resources *res);
/* Resources coming back (declined / unused part of an offer, terminal
 * task, rescinded offer). refuse_seconds < 0: no filter; otherwise
 * Filters.refuse_seconds semantics (non-finite: default 5 s, 0: none,
 * > 365 days: capped; lasts at least allocation_interval). Unknown ids
 * are ignored (the agent or framework is gone). */
void allocator_recover(struct allocator *a, const char *framework_id,
                       const char *agent_id, const char *role,
                       const struct cr_resources *res, double refuse_seconds);
/* Normalise a Filters.refuse_seconds value as Mesos does: non-finite or
 * negative: 5; > 365 days: 365 days. (Exposed for the master and tests.) */
double allocator_normalize_refuse(double refuse_seconds);

/* SUPPRESS: stop offers for the given roles (n == 0: all its roles). */
void allocator_suppress(struct allocator *a, const char *framework_id,
                        const char *const *roles, size_t n);
/* REVIVE: unsuppress the roles and clear the framework's filters for them
 * (n == 0: all its roles). */
void allocator_revive(struct allocator *a, const char *framework_id,
                      const char *const *roles, size_t n);
/* Set a role's weight (> 0; others ignored with a warning). */
void allocator_set_weight(struct allocator *a, const char *role, double weight);
double allocator_get_weight(const struct allocator *a, const char *role);

/* ---- quota (Mesos 1.9+ QuotaConfig) --------------------------------------
 * Quantities are milli-units (1.0 cpus == 1000, as in cr_resources). */
#define ALLOCATOR_NO_LIMIT INT64_MAX

struct allocator_quota {
    int64_t guarantees[CR_RES_NFIXED]; /* 0: no guarantee for that kind */
    int64_t limits[CR_RES_NFIXED];     /* ALLOCATOR_NO_LIMIT: no limit */
};

/* No guarantees, no limits (the default quota). */
void allocator_quota_init(struct allocator_quota *q);

/* Set role's quota (UPDATE_QUOTA): the unreserved cpus/mem/disk/gpus of
 * guarantees and limits (cr_resources fixed[]); a kind absent (0) from
 * limits is unlimited, so a limit of 0 needs allocator_set_quota_config.
 * NULL or empty for both (the default quota) clears the role's quota.
 * Returns 0, or CR_EINVAL_INPUT (nothing changed) when role is "*" or
 * invalid, either holds other resources (reserved, ports, other scalars:
 * not supported), or a guarantee exceeds its limit; CR_ESTATE from the
 * offer callback. Takes effect from the next pass (a pass is kicked);
 * outstanding offers are left alone. */
int allocator_set_quota(struct allocator *a, const char *role,
                        const struct cr_resources *guarantees,
                        const struct cr_resources *limits);
/* The same with explicit quantities (limits may be 0). q NULL or the
 * default quota clears. Same returns. */
int allocator_set_quota_config(struct allocator *a, const char *role,
                               const struct allocator_quota *q);
/* Read role's quota into *q (the default quota when none is set; q may be
 * NULL) and its consumed quota (see the header comment; cpus/mem/disk/gpus
 * in milli-units) into consumed (may be NULL). consumed is filled for any
 * role: O(1) for a role with quota, O(roles) otherwise (GET_ROLES). Returns
 * 0 when role has a quota set, CR_ENOTFOUND otherwise. */
int allocator_get_quota(const struct allocator *a, const char *role,
                        struct allocator_quota *q,
                        int64_t consumed[CR_RES_NFIXED]);
/* Call fn for every role with a quota set, in no particular order
 * (GET_QUOTA). Arguments are borrowed for the call; fn must not call into
 * the allocator. */
typedef void (*allocator_quota_cb)(void *data, const char *role,
                                   const struct allocator_quota *q,
                                   const int64_t consumed[CR_RES_NFIXED]);
void allocator_foreach_quota(const struct allocator *a, allocator_quota_cb fn,
                             void *data);

/* Run one allocation pass and call offer() synchronously for each offer;
 * expired filters are removed first. Returns the number of offers made.
 * The pass visits the agents that changed since the last pass and
 * re-checks blocked agents against the frameworks that could newly take
 * them; by the invariants above it makes every offer a Mesos full pass
 * would make, so dirty_only == false (the periodic "full" pass) and true
 * (the event-driven pass) do the same work. */
size_t allocator_run(struct allocator *a, bool dirty_only);
/* The reference pass: re-walk every active agent with available resources
 * against every eligible framework, O(agents x frameworks) when all are
 * filtered. For tests and benchmarks; never needed in production. */
size_t allocator_run_exhaustive(struct allocator *a);

/* Loop integration: an incremental pass every allocation_interval, and one
 * on the next loop turn after an event that may produce offers (agent
 * added / updated / activated, resources recovered, framework added /
 * activated / revived, weights or quota changed). 0, or a libuv error (then
 * nothing attached). At most one loop, attached once. */
int allocator_attach_loop(struct allocator *a, uv_loop_t *loop);

struct allocator_stats {
    uint64_t runs;           /* passes run */
    uint64_t offers;         /* offers made, all passes */
    double last_run_ms;      /* duration of the last pass */
    double max_run_ms;       /* longest pass */
    uint64_t last_visited;   /* agents visited by the last pass */
    size_t agents;           /* agents known */
    size_t agents_available; /* agents with available resources */
    size_t frameworks;       /* frameworks known */
    size_t roles;            /* roles known */
    size_t filters;          /* active refuse filters */
    size_t agents_held;      /* of agents_available: quota held some back */
    size_t quota_roles;      /* roles with a quota set */
};
void allocator_get_stats(const struct allocator *a,
                         struct allocator_stats *out);

/* Introspection for /master/roles, /master/state and tests. */
/* Weighted dominant share of role (0 if unknown). */
double allocator_role_share(const struct allocator *a, const char *role);
/* Dominant share of framework_id within role (0 if unknown). */
double allocator_framework_share(const struct allocator *a,
                                 const char *framework_id, const char *role);
/* Resources currently available (not allocated) on agent_id, or NULL.
 * Borrowed until the next allocator call. */
const struct cr_resources *allocator_agent_available(const struct allocator *a,
                                                     const char *agent_id);
/* Is framework_id filtered on agent_id for role right now? */
bool allocator_is_filtered(const struct allocator *a, const char *framework_id,
                           const char *agent_id, const char *role);

#endif
