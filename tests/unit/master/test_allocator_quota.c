/* SPDX-License-Identifier: Apache-2.0
 *
 * test_allocator_quota.c: unit tests of the allocator's quota (guarantees,
 * limits, headroom; src/master/allocator_quota.c and its use in
 * allocator_pass.c), of agent total updates and of reservations, with the
 * fake clock and recording callback of allocator_harness.h.
 */
/* cmocka needs these first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "allocator_harness.h"
#include "base/err.h"
#include "base/log.h"
#include "master/allocator.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------- */

/* Set role's quota from text forms ("" = none); returns the call's rc. */
static int
set_quota(struct ctx *c, const char *role, const char *guarantees,
          const char *limits)
{
    struct cr_resources g = res(guarantees), l = res(limits);
    int rc = allocator_set_quota(c->a, role, &g, &l);
    cr_resources_fini(&g);
    cr_resources_fini(&l);
    return rc;
}

/* Sum of scalar `name` in the recorded offers to role (NULL: all). */
static double
offered(const struct ctx *c, const char *role, const char *name)
{
    double sum = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (role == NULL || strcmp(c->offers[i].role, role) == 0)
            sum += cr_resources_scalar(&c->offers[i].res, name);
    }
    return sum;
}

static int64_t
consumed(const struct ctx *c, const char *role, int kind)
{
    int64_t q[CR_RES_NFIXED];
    (void)allocator_get_quota(c->a, role, NULL, q);
    return q[kind];
}

static size_t
held_agents(const struct ctx *c)
{
    struct allocator_stats st;
    allocator_get_stats(c->a, &st);
    return st.agents_held;
}

/* Drop offer i from the record without recovering it. */
static void
forget_offer(struct ctx *c, size_t i)
{
    cr_resources_fini(&c->offers[i].res);
    c->offers[i] = c->offers[--c->n];
}

/* ---- guarantees ---------------------------------------------------------- */

static void
three_agents_two_roles(struct ctx *c)
{
    add_agent(c, "a1", "cpus:4;mem:1024");
    add_agent(c, "a2", "cpus:4;mem:1024");
    add_agent(c, "a3", "cpus:4;mem:1024");
    add_fw(c, "fo", "o");
    add_fw(c, "fq", "q");
}

static void
test_guarantee_served_first(void **state)
{
    (void)state;
    /* Without quota, "o" wins the ties (name order): two agents of three. */
    struct ctx *c = ctx_new();
    three_agents_two_roles(c);
    assert_int_equal(allocator_run(c->a, true), 3);
    assert_int_equal(count_for(c, "fo"), 2);
    assert_string_equal(c->offers[0].role, "o");
    ctx_free(c);

    /* With a guarantee of 8 cpus, "q" is served first until it has them. */
    c = ctx_new();
    assert_int_equal(set_quota(c, "q", "cpus:8", ""), 0);
    three_agents_two_roles(c);
    assert_int_equal(allocator_run(c->a, true), 3);
    assert_string_equal(c->offers[0].role, "q");
    assert_string_equal(c->offers[1].role, "q");
    assert_int_equal(count_for(c, "fq"), 2);
    assert_int_equal(count_for(c, "fo"), 1);
    assert_true(offered(c, "q", "cpus") == 8.0);
    assert_int_equal(consumed(c, "q", CR_RES_CPUS), 8000);
    struct allocator_quota q;
    int64_t used[CR_RES_NFIXED];
    assert_int_equal(allocator_get_quota(c->a, "q", &q, used), 0);
    assert_int_equal(q.guarantees[CR_RES_CPUS], 8000);
    assert_true(q.limits[CR_RES_CPUS] == ALLOCATOR_NO_LIMIT);
    assert_int_equal(used[CR_RES_MEM], 2048000);
    ctx_free(c);
}

static void
test_guarantee_chops_to_unmet_part(void **state)
{
    (void)state;
    /* "q" may burst above its guarantee only as far as the headroom for
     * "g" (guaranteed 6 cpus, no framework yet) allows. */
    struct ctx *c = ctx_new();
    assert_int_equal(set_quota(c, "g", "cpus:6", ""), 0);
    assert_int_equal(set_quota(c, "q", "cpus:1", ""), 0);
    add_agent(c, "a1", "cpus:8;mem:512");
    add_fw(c, "fq", "q");
    assert_int_equal(allocator_run(c->a, true), 1);
    /* 1 guaranteed + (8 - 1 - 6) surplus = 2 cpus; mem is not held. */
    assert_true(offered(c, "q", "cpus") == 2.0);
    assert_true(offered(c, "q", "mem") == 512.0);
    assert_int_equal(held_agents(c), 1);
    /* g's framework arrives: the held agent is re-checked for it. */
    clear_offers(c);
    add_fw(c, "fg", "g");
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_string_equal(c->offers[0].role, "g");
    assert_true(offered(c, "g", "cpus") == 6.0);
    assert_int_equal(held_agents(c), 0);
    ctx_free(c);
}

static void
test_headroom_held_back(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    assert_int_equal(set_quota(c, "q", "cpus:4", ""), 0);
    add_agent(c, "a1", "cpus:4;mem:100");
    add_agent(c, "a2", "cpus:4;mem:100");
    add_fw(c, "fo", "o");
    /* q has no framework: 4 of the 8 cpus stay free for it. */
    assert_int_equal(allocator_run(c->a, true), 2);
    assert_true(offered(c, "o", "cpus") == 4.0);
    assert_true(offered(c, "o", "mem") == 200.0);
    assert_int_equal(held_agents(c), 1);
    assert_int_equal(allocator_run(c->a, true), 0);
    assert_int_equal(allocator_run_exhaustive(c->a), 0);
    /* o declines everything with a long filter (each filter covers only
     * what was offered, so o may get the other agent's cpus now): the
     * headroom is still kept. */
    for (size_t i = 0; i < c->n; i++)
        decline(c, i, 3600);
    clear_offers(c);
    (void)allocator_run(c->a, true);
    assert_true(offered(c, "o", "cpus") <= 4.0);
    double free_cpus =
        cr_resources_scalar(allocator_agent_available(c->a, "a1"), "cpus") +
        cr_resources_scalar(allocator_agent_available(c->a, "a2"), "cpus");
    assert_true(free_cpus >= 4.0);
    /* q's framework subscribes: it gets (at least) its 4 cpus. */
    clear_offers(c);
    add_fw(c, "fq", "q");
    assert_true(allocator_run(c->a, true) >= 1);
    assert_true(offered(c, "q", "cpus") >= 4.0);
    assert_int_equal(consumed(c, "q", CR_RES_CPUS) >= 4000, 1);
    assert_int_equal(allocator_run_exhaustive(c->a), 0);
    ctx_free(c);
}

/* ---- limits -------------------------------------------------------------- */

static void
test_limit_caps_and_trims(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    assert_int_equal(set_quota(c, "l", "", "cpus:3"), 0);
    add_agent(c, "a1", "cpus:4;mem:1024;ports:[1-10]");
    add_fw(c, "fl", "l");
    assert_int_equal(allocator_run(c->a, true), 1);
    struct cr_resources want = res("cpus:3;mem:1024;ports:[1-10]");
    assert_true(cr_resources_equal(&c->offers[0].res, &want));
    cr_resources_fini(&want);
    assert_true(cr_resources_scalar(allocator_agent_available(c->a, "a1"),
                                    "cpus") == 1.0);
    assert_int_equal(held_agents(c), 1);
    assert_int_equal(allocator_run(c->a, true), 0);
    assert_int_equal(allocator_run_exhaustive(c->a), 0);
    /* At its limit, l is offered only what quota does not bound. */
    add_agent(c, "a2", "cpus:4;mem:64");
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_string_equal(c->offers[1].agent, "a2");
    assert_true(cr_resources_scalar(&c->offers[1].res, "cpus") == 0.0);
    assert_true(cr_resources_scalar(&c->offers[1].res, "mem") == 64.0);
    assert_int_equal(consumed(c, "l", CR_RES_CPUS), 3000);
    /* A task of 1 cpu ends: l may have one more, from either agent. */
    struct cr_resources one = res("cpus:1");
    allocator_recover(c->a, "fl", "a1", "l", &one, -1);
    cr_resources_fini(&one);
    assert_int_equal(consumed(c, "l", CR_RES_CPUS), 2000);
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_true(cr_resources_scalar(&c->offers[2].res, "cpus") == 1.0);
    assert_int_equal(consumed(c, "l", CR_RES_CPUS), 3000);
    assert_int_equal(allocator_run_exhaustive(c->a), 0);
    /* Another role takes what l may not. */
    add_fw(c, "fx", "x");
    assert_int_equal(allocator_run(c->a, true), 2);
    assert_true(offered(c, "x", "cpus") == 5.0);
    ctx_free(c);
}

static void
test_limit_counts_reservations(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    assert_int_equal(set_quota(c, "l", "", "cpus:3"), 0);
    add_agent(c, "a1", "cpus:4;mem:64");
    add_agent(c, "a2", "cpus(l):2;mem:64");
    add_fw(c, "fl", "l");
    /* The reservation is consumed quota whether used or not. */
    assert_int_equal(consumed(c, "l", CR_RES_CPUS), 2000);
    assert_int_equal(allocator_run(c->a, true), 2);
    assert_true(offered(c, "l", "cpus") == 3.0);
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->offers[i].agent, "a2") == 0)
            assert_true(cr_resources_scalar_role(&c->offers[i].res, "cpus",
                                                 "l") == 2.0);
        else
            assert_true(cr_resources_scalar(&c->offers[i].res, "cpus") == 1.0);
    }
    assert_int_equal(consumed(c, "l", CR_RES_CPUS), 3000);
    /* Offering reservations does not consume more. */
    ctx_free(c);
}

static void
test_hierarchical_limit(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    assert_int_equal(set_quota(c, "a", "", "cpus:4"), 0);
    assert_int_equal(set_quota(c, "a/b", "", "cpus:1"), 0);
    for (int i = 0; i < 4; i++) {
        char id[8];
        snprintf(id, sizeof(id), "x%d", i);
        add_agent(c, id, "cpus:2;mem:64");
    }
    add_fw(c, "fab", "a/b");
    add_fw(c, "fac", "a/c");
    add_fw(c, "fo", "other");
    /* An agent may be split: a/b's share first, then a/c's. */
    assert_true(allocator_run(c->a, true) >= 4);
    double ab = offered(c, "a/b", "cpus"), ac = offered(c, "a/c", "cpus");
    assert_true(ab <= 1.0);
    assert_true(ab + ac <= 4.0);
    assert_int_equal(consumed(c, "a", CR_RES_CPUS), (int64_t)(ab + ac) * 1000);
    assert_int_equal(consumed(c, "a/b", CR_RES_CPUS), (int64_t)ab * 1000);
    /* A role without quota: consumption is still reported. */
    int64_t q[CR_RES_NFIXED];
    assert_int_equal(allocator_get_quota(c->a, "a/c", NULL, q), CR_ENOTFOUND);
    assert_int_equal(q[CR_RES_CPUS], (int64_t)ac * 1000);
    assert_true(offered(c, "other", "cpus") + ab + ac <= 8.0);
    /* Everyone declines for good; nothing more, whatever the pass. */
    for (size_t i = 0; i < c->n; i++)
        decline(c, i, 3600);
    clear_offers(c);
    assert_int_equal(consumed(c, "a", CR_RES_CPUS), 0);
    allocator_run(c->a, true);
    assert_true(offered(c, "a/b", "cpus") <= 1.0);
    assert_true(offered(c, "a/b", "cpus") + offered(c, "a/c", "cpus") <= 4.0);
    assert_int_equal(allocator_run_exhaustive(c->a), 0);
    ctx_free(c);
}

static void
test_clear_quota(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    assert_int_equal(set_quota(c, "l", "", "cpus:1"), 0);
    add_agent(c, "a1", "cpus:4;mem:64");
    add_fw(c, "fl", "l");
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_true(offered(c, "l", "cpus") == 1.0);
    assert_int_equal(allocator_run(c->a, true), 0);
    /* Cleared (NULL): the held cpus are offered on the next pass. */
    assert_int_equal(allocator_set_quota(c->a, "l", NULL, NULL), 0);
    assert_int_equal(allocator_get_quota(c->a, "l", NULL, NULL), CR_ENOTFOUND);
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_true(offered(c, "l", "cpus") == 4.0);
    assert_int_equal(held_agents(c), 0);
    /* Cleared with empty resources, too. */
    for (size_t i = 0; i < c->n; i++)
        decline(c, i, -1);
    clear_offers(c);
    assert_int_equal(set_quota(c, "l", "cpus:1", "cpus:2"), 0);
    assert_int_equal(set_quota(c, "l", "", ""), 0);
    struct allocator_stats st;
    allocator_get_stats(c->a, &st);
    assert_int_equal(st.quota_roles, 0);
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_true(offered(c, "l", "cpus") == 4.0);
    ctx_free(c);
}

static void
test_quota_config_and_validation(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    cr_log_set_level(CR_LOG_ERROR);
    assert_int_equal(set_quota(c, "*", "cpus:1", ""), CR_EINVAL_INPUT);
    assert_int_equal(set_quota(c, "a//b", "cpus:1", ""), CR_EINVAL_INPUT);
    assert_int_equal(set_quota(c, "r", "cpus:2", "cpus:1"), CR_EINVAL_INPUT);
    assert_int_equal(set_quota(c, "r", "", "ports:[1-2]"), CR_EINVAL_INPUT);
    assert_int_equal(set_quota(c, "r", "cpus(r):1", ""), CR_EINVAL_INPUT);
    assert_int_equal(set_quota(c, "r", "foo:1", ""), CR_EINVAL_INPUT);
    cr_log_set_level(CR_LOG_INFO);
    assert_int_equal(allocator_get_quota(c->a, "r", NULL, NULL), CR_ENOTFOUND);
    /* A zero limit: no cpus at all for r, mem as usual. */
    struct allocator_quota q;
    allocator_quota_init(&q);
    q.limits[CR_RES_CPUS] = 0;
    assert_int_equal(allocator_set_quota_config(c->a, "r", &q), 0);
    add_agent(c, "a1", "cpus:4;mem:64");
    add_fw(c, "f", "r");
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_true(cr_resources_scalar(&c->offers[0].res, "cpus") == 0.0);
    assert_true(cr_resources_scalar(&c->offers[0].res, "mem") == 64.0);
    struct allocator_quota back;
    assert_int_equal(allocator_get_quota(c->a, "r", &back, NULL), 0);
    assert_int_equal(back.limits[CR_RES_CPUS], 0);
    assert_true(back.limits[CR_RES_MEM] == ALLOCATOR_NO_LIMIT);
    assert_int_equal(allocator_set_quota_config(c->a, "r", NULL), 0);
    assert_int_equal(allocator_get_quota(c->a, "r", NULL, NULL), CR_ENOTFOUND);
    ctx_free(c);
}

struct seen {
    int n;
    int64_t consumed_cpus;
};

static void
count_quota(void *data, const char *role, const struct allocator_quota *q,
            const int64_t used[CR_RES_NFIXED])
{
    struct seen *s = data;
    s->n++;
    s->consumed_cpus += used[CR_RES_CPUS];
    assert_true(strcmp(role, "a") == 0 || strcmp(role, "b") == 0);
    assert_non_null(q);
}

static void
test_foreach_quota(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    assert_int_equal(set_quota(c, "a", "cpus:1", ""), 0);
    assert_int_equal(set_quota(c, "b", "", "mem:10"), 0);
    add_agent(c, "x", "cpus:1;mem:64;cpus(b):2");
    struct seen s = {0};
    allocator_foreach_quota(c->a, count_quota, &s);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.consumed_cpus, 2000); /* b's reservation */
    ctx_free(c);
}

/* ---- agent updates and reservations -------------------------------------- */

static void
assert_available(struct ctx *c, const char *agent, const char *text)
{
    struct cr_resources want = res(text);
    const struct cr_resources *got = allocator_agent_available(c->a, agent);
    assert_non_null(got);
    if (!cr_resources_equal(got, &want)) {
        char *g = cr_resources_to_text(got);
        fail_msg("available on %s: %s, want %s", agent, g, text);
    }
    cr_resources_fini(&want);
}

static int
update_agent(struct ctx *c, const char *id, const char *text)
{
    struct cr_resources r = res(text);
    int rc = allocator_update_agent(c->a, id, &r);
    cr_resources_fini(&r);
    return rc;
}

static void
test_update_agent_total(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    add_agent(c, "a1", "cpus:4;mem:1024");
    add_fw(c, "f1", "r");
    struct cr_resources task = res("cpus:2;mem:512");
    allocator_add_allocation(c->a, "f1", "a1", "r", &task);
    /* More: available = new total - what the task uses. */
    assert_int_equal(update_agent(c, "a1", "cpus:8;mem:2048"), 0);
    assert_available(c, "a1", "cpus:6;mem:1536");
    assert_int_equal(allocator_run(c->a, true), 1);
    struct cr_resources want = res("cpus:6;mem:1536");
    assert_true(cr_resources_equal(&c->offers[0].res, &want));
    cr_resources_fini(&want);
    decline(c, 0, -1);
    clear_offers(c);
    /* Less, still covering the task. */
    assert_int_equal(update_agent(c, "a1", "cpus:3;mem:1024"), 0);
    assert_available(c, "a1", "cpus:1;mem:512");
    assert_true(allocator_framework_share(c->a, "f1", "r") == 2.0 / 3.0);
    /* Less than the task uses: nothing available, the task stays. */
    cr_log_set_level(CR_LOG_ERROR);
    assert_int_equal(update_agent(c, "a1", "cpus:1;mem:256"), 0);
    cr_log_set_level(CR_LOG_INFO);
    assert_available(c, "a1", "");
    assert_int_equal(allocator_run(c->a, true), 0);
    /* The task ends: what comes back first covers the shrunk total. */
    allocator_recover(c->a, "f1", "a1", "r", &task, -1);
    assert_available(c, "a1", "cpus:1;mem:256");
    assert_true(allocator_framework_share(c->a, "f1", "r") == 0.0);
    assert_int_equal(allocator_run(c->a, true), 1);
    decline(c, 0, -1);
    clear_offers(c);
    /* Grown again while the task runs again. */
    cr_log_set_level(CR_LOG_ERROR);
    allocator_add_allocation(c->a, "f1", "a1", "r", &task);
    cr_log_set_level(CR_LOG_INFO);
    assert_available(c, "a1", "");
    assert_int_equal(update_agent(c, "a1", "cpus:4;mem:1024"), 0);
    assert_available(c, "a1", "cpus:2;mem:512");
    assert_int_equal(update_agent(c, "nope", "cpus:1"), CR_ENOTFOUND);
    cr_resources_fini(&task);
    ctx_free(c);
}

static void
test_update_agent_reservation(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    add_agent(c, "a1", "cpus:4;mem:1024");
    add_fw(c, "f1", "r1");
    add_fw(c, "f2", "r2");
    struct cr_resources task = res("cpus:1");
    allocator_add_allocation(c->a, "f1", "a1", "r1", &task);
    cr_resources_fini(&task);
    /* The operator reserves 2 of the free cpus for r2. */
    assert_int_equal(update_agent(c, "a1", "cpus:2;cpus(r2):2;mem:1024"), 0);
    assert_available(c, "a1", "cpus:1;cpus(r2):2;mem:1024");
    /* r2 (share 0) goes first and gets everything usable by it. */
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_string_equal(c->offers[0].role, "r2");
    assert_true(cr_resources_scalar_role(&c->offers[0].res, "cpus", "r2") ==
                2.0);
    /* r2 declines for good: r1 gets the rest but never r2's cpus. */
    decline(c, 0, 3600);
    clear_offers(c);
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_string_equal(c->offers[0].role, "r1");
    struct cr_resources want = res("cpus:1;mem:1024");
    assert_true(cr_resources_equal(&c->offers[0].res, &want));
    cr_resources_fini(&want);
    assert_available(c, "a1", "cpus(r2):2");
    assert_int_equal(allocator_run_exhaustive(c->a), 0);
    /* A sub-role of r2 may use r2's reservation. */
    add_fw(c, "f3", "r2/sub");
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_string_equal(c->offers[1].role, "r2/sub");
    assert_true(cr_resources_scalar_role(&c->offers[1].res, "cpus", "r2") ==
                2.0);
    ctx_free(c);
}

/* ---- the incremental invariant with quota -------------------------------- */

/* The roles quota is set on, with random guarantees and limits. */
static void
random_quota(struct ctx *c, unsigned r)
{
    static const char *const qroles[] = {"r0", "r1", "r1/sub", "r2"};
    const char *role = qroles[r % 4];
    struct allocator_quota q;
    allocator_quota_init(&q);
    switch ((r >> 2) % 4) {
    case 0: /* clear */
        break;
    case 1:
        q.guarantees[CR_RES_CPUS] = (int64_t)((r >> 4) % 9) * 1000;
        break;
    case 2:
        q.limits[CR_RES_CPUS] = (int64_t)((r >> 4) % 9) * 1000;
        q.limits[CR_RES_MEM] = (int64_t)((r >> 8) % 4) * 256000;
        break;
    default:
        q.guarantees[CR_RES_CPUS] = (int64_t)((r >> 4) % 5) * 1000;
        q.limits[CR_RES_CPUS] = q.guarantees[CR_RES_CPUS] + 2000;
        q.guarantees[CR_RES_MEM] = 64000;
        break;
    }
    assert_int_equal(allocator_set_quota_config(c->a, role, &q), 0);
}

/* Limits hold: a pass never takes a limited role's consumption above
 * its limit (it may start above it: reservations, lowered limits). */
static void
snapshot_limited(struct ctx *c, int64_t before[4][CR_RES_NFIXED])
{
    static const char *const qroles[] = {"r0", "r1", "r1/sub", "r2"};
    for (int i = 0; i < 4; i++)
        (void)allocator_get_quota(c->a, qroles[i], NULL, before[i]);
}

static void
check_limits(struct ctx *c, int64_t before[4][CR_RES_NFIXED], uint64_t seed,
             int step)
{
    static const char *const qroles[] = {"r0", "r1", "r1/sub", "r2"};
    for (int i = 0; i < 4; i++) {
        struct allocator_quota q;
        int64_t now[CR_RES_NFIXED];
        if (allocator_get_quota(c->a, qroles[i], &q, now) != 0)
            continue;
        for (int k = 0; k < CR_RES_NFIXED; k++) {
            int64_t cap =
                before[i][k] > q.limits[k] ? before[i][k] : q.limits[k];
            if (now[k] > cap)
                fail_msg("seed %llu step %d: role %s kind %d consumed "
                         "%lld above %lld",
                         (unsigned long long)seed, step, qroles[i], k,
                         (long long)now[k], (long long)cap);
        }
    }
}

static void
random_step(struct ctx *c, unsigned r, char ids[16][8])
{
    static const char *const roles[] = {"r0", "r1", "r2", "r1/sub"};
    static const char *const kinds[] = {
        "cpus:4;mem:512;ports:[1-5]", "cpus:2;mem:256;cpus(r1):1",
        "cpus:0.005;mem:8", "cpus:1;mem(r2):64;s:{a,b}",
        "cpus:3;cpus(r1/sub):1;mem:128"};
    const char *fw = ids[r % 6];
    const char *agent = ids[(r >> 3) % 12];
    const char *role = roles[(r >> 4) % 4];
    const char *two[] = {role, roles[(r >> 6) % 4]};
    switch ((r >> 8) % 14) {
    case 0:
        allocator_add_framework(c->a, fw, two, 2, NULL, 0, true);
        break;
    case 1:
        allocator_suppress(c->a, fw, &role, 1);
        break;
    case 2:
        allocator_revive(c->a, fw, (r >> 12) % 2 ? &role : NULL, (r >> 12) % 2);
        break;
    case 3:
        if ((r >> 12) % 2)
            allocator_deactivate_framework(c->a, fw);
        else
            allocator_activate_framework(c->a, fw);
        break;
    case 4:
        c->now += (double)((r >> 12) % 7);
        break;
    case 5:
        if ((r >> 12) % 8 == 0)
            allocator_remove_framework(c->a, fw);
        break;
    case 6:
    case 7:
        random_quota(c, r >> 12);
        break;
    case 8: {
        struct cr_resources t = res(kinds[(r >> 12) % 5]);
        (void)allocator_update_agent(c->a, agent, &t);
        cr_resources_fini(&t);
        break;
    }
    case 9:
        if ((r >> 12) % 4 == 0)
            allocator_deactivate_agent(c->a, agent);
        else
            allocator_activate_agent(c->a, agent);
        break;
    case 10:
        if ((r >> 12) % 6 == 0) {
            allocator_remove_agent(c->a, agent);
            add_agent(c, agent, kinds[(r >> 16) % 5]);
        }
        break;
    default:
        if (c->n > 0) {
            size_t i = (r >> 12) % c->n;
            decline(c, i, (double)((r >> 16) % 4) * 2.0 - 1.0);
            forget_offer(c, i);
        }
        break;
    }
}

static void
random_quota_ops(uint64_t seed, int steps)
{
    uint64_t seed0 = seed;
    struct ctx *c = ctx_new();
    char ids[16][8];
    for (int i = 0; i < 16; i++)
        snprintf(ids[i], sizeof(ids[i]), "x%d", i);
    for (int i = 0; i < 12; i++)
        add_agent(c, ids[i],
                  i % 2 ? "cpus:4;mem:512;ports:[1-5]"
                        : "cpus:2;mem:256;cpus(r1):1");
    for (int step = 0; step < steps; step++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        random_step(c, (unsigned)(seed >> 33), ids);
        if (step % 3 != 0)
            continue;
        int64_t before[4][CR_RES_NFIXED];
        snapshot_limited(c, before);
        size_t n0 = c->n;
        allocator_run(c->a, true);
        check_limits(c, before, seed0, step);
        size_t extra = allocator_run_exhaustive(c->a);
        if (extra != 0)
            fail_msg("seed %llu step %d: full pass found %zu more offers "
                     "after %zu",
                     (unsigned long long)seed0, step, extra, c->n - n0 - extra);
        if (c->n > MAX_OFFERS - 64)
            clear_offers(c);
    }
    ctx_free(c);
}

static void
test_quota_incremental_matches_full(void **state)
{
    (void)state;
    cr_log_set_level(CR_LOG_ERROR); /* shrinking totals and removals warn */
    for (uint64_t seed = 1; seed <= 30; seed++)
        random_quota_ops(seed, 3000);
    cr_log_set_level(CR_LOG_INFO);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_guarantee_served_first),
        cmocka_unit_test(test_guarantee_chops_to_unmet_part),
        cmocka_unit_test(test_headroom_held_back),
        cmocka_unit_test(test_limit_caps_and_trims),
        cmocka_unit_test(test_limit_counts_reservations),
        cmocka_unit_test(test_hierarchical_limit),
        cmocka_unit_test(test_clear_quota),
        cmocka_unit_test(test_quota_config_and_validation),
        cmocka_unit_test(test_foreach_quota),
        cmocka_unit_test(test_update_agent_total),
        cmocka_unit_test(test_update_agent_reservation),
        cmocka_unit_test(test_quota_incremental_matches_full),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
