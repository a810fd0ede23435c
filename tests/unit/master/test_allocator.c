/* SPDX-License-Identifier: Apache-2.0
 *
 * test_allocator.c: unit tests of src/master/allocator*.c (without quota:
 * see test_allocator_quota.c) with a fake clock and a recording offer
 * callback (allocator_harness.h).
 *
 * Layout: one clearly marked block per author. Add new tests in your own
 * block and list them in main().
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
#include "base/clock.h"
#include "base/log.h"
#include "master/allocator.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

/* ---- allocator tests (model/allocator engineer) -------------------------- */

static void
test_whole_agent_offers(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    add_agent(c, "a1", "cpus:4;mem:4096;ports:[31000-32000]");
    add_agent(c, "a2", "cpus:2;mem:1024");
    add_fw(c, "f1", "r");
    assert_int_equal(allocator_run(c->a, true), 2);
    assert_int_equal(c->n, 2);
    for (size_t i = 0; i < 2; i++) {
        struct offer_rec *o = &c->offers[i];
        assert_string_equal(o->fw, "f1");
        assert_string_equal(o->role, "r");
        struct cr_resources want =
            res(strcmp(o->agent, "a1") == 0 ? "cpus:4;mem:4096;"
                                              "ports:[31000-32000]"
                                            : "cpus:2;mem:1024");
        assert_true(cr_resources_equal(&o->res, &want));
        cr_resources_fini(&want);
    }
    /* Offered resources are allocated: nothing more to offer. */
    assert_int_equal(allocator_run(c->a, true), 0);
    assert_int_equal(allocator_run_exhaustive(c->a), 0);
    assert_true(cr_resources_is_empty(allocator_agent_available(c->a, "a1")));
    assert_true(allocator_framework_share(c->a, "f1", "r") == 1.0);
    struct allocator_stats st;
    allocator_get_stats(c->a, &st);
    assert_int_equal(st.agents, 2);
    assert_int_equal(st.frameworks, 1);
    assert_int_equal(st.offers, 2);
    assert_int_equal(st.agents_available, 0);
    ctx_free(c);
}

static void
test_drf_between_frameworks(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    add_agent(c, "a1", "cpus:4;mem:4096");
    add_agent(c, "a2", "cpus:4;mem:4096");
    add_fw(c, "f1", "r");
    add_fw(c, "f2", "r");
    /* f1 already runs a task using most of a1. */
    struct cr_resources used = res("cpus:3;mem:100");
    allocator_add_allocation(c->a, "f1", "a1", "r", &used);
    assert_true(fabs(allocator_framework_share(c->a, "f1", "r") - 0.375) <
                1e-9);
    /* Whatever the shuffle, f2 (share 0) is served first; then f1 (0.375)
     * is below f2 (0.5 after taking a2) or f2 took the small rest of a1. */
    assert_int_equal(allocator_run(c->a, true), 2);
    assert_int_equal(count_for(c, "f2"), 1);
    assert_int_equal(count_for(c, "f1"), 1);
    for (size_t i = 0; i < c->n; i++) {
        if (strcmp(c->offers[i].agent, "a2") == 0)
            assert_string_equal(c->offers[i].fw, "f2");
    }
    cr_resources_fini(&used);
    ctx_free(c);
}

static void
test_drf_between_roles_and_weights(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    add_agent(c, "big", "cpus:10;mem:1000");
    add_agent(c, "free", "cpus:1;mem:10");
    add_fw(c, "fa", "ra");
    add_fw(c, "fb", "rb");
    add_fw(c, "fc", "rc");
    /* Of 11 cpus / 1010 mem: ra 4/11 = 0.36, rb 3/11 = 0.27, rc ~0.99. */
    struct cr_resources ua = res("cpus:4"), ub = res("cpus:3");
    struct cr_resources uc = res("cpus:3;mem:1000");
    allocator_add_allocation(c->a, "fa", "big", "ra", &ua);
    allocator_add_allocation(c->a, "fb", "big", "rb", &ub);
    allocator_add_allocation(c->a, "fc", "big", "rc", &uc);
    assert_true(fabs(allocator_role_share(c->a, "ra") - 4.0 / 11) < 1e-9);
    assert_true(allocator_role_share(c->a, "rb") <
                allocator_role_share(c->a, "ra"));
    /* Weight 2 halves ra's share (0.18): ra now goes first. */
    allocator_set_weight(c->a, "ra", 2.0);
    assert_true(allocator_get_weight(c->a, "ra") == 2.0);
    assert_true(allocator_get_weight(c->a, "nope") == 1.0);
    assert_true(fabs(allocator_role_share(c->a, "ra") - 2.0 / 11) < 1e-9);
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_string_equal(c->offers[0].fw, "fa");
    assert_string_equal(c->offers[0].agent, "free");
    /* Back to weight 1: rb is the lowest and gets the agent. */
    decline(c, 0, -1);
    clear_offers(c);
    allocator_set_weight(c->a, "ra", 1.0);
    allocator_set_weight(c->a, "ra", -1);  /* ignored */
    allocator_set_weight(c->a, "ra", NAN); /* ignored */
    assert_true(allocator_get_weight(c->a, "ra") == 1.0);
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_string_equal(c->offers[0].fw, "fb");
    cr_resources_fini(&ua);
    cr_resources_fini(&ub);
    cr_resources_fini(&uc);
    ctx_free(c);
}

static void
test_refuse_filter_and_expiry(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    add_agent(c, "a1", "cpus:4;mem:4096");
    add_fw(c, "f1", "r");
    assert_int_equal(allocator_run(c->a, true), 1);
    decline(c, 0, 10.0);
    clear_offers(c);
    assert_true(allocator_is_filtered(c->a, "f1", "a1", "r"));
    assert_int_equal(allocator_run(c->a, true), 0);
    assert_int_equal(allocator_run_exhaustive(c->a), 0);
    c->now += 9.9;
    assert_int_equal(allocator_run(c->a, true), 0);
    c->now += 0.2;
    assert_false(allocator_is_filtered(c->a, "f1", "a1", "r"));
    assert_int_equal(allocator_run(c->a, true), 1);
    /* refuse 0: no filter at all. */
    decline(c, 0, 0.0);
    clear_offers(c);
    assert_false(allocator_is_filtered(c->a, "f1", "a1", "r"));
    assert_int_equal(allocator_run(c->a, true), 1);
    /* A short refusal lasts at least one allocation interval (1 s). */
    decline(c, 0, 0.2);
    clear_offers(c);
    c->now += 0.5;
    assert_int_equal(allocator_run(c->a, true), 0);
    c->now += 0.6;
    assert_int_equal(allocator_run(c->a, true), 1);
    /* Negative refuse in recover: no filter (task ended). */
    decline(c, 0, -1);
    clear_offers(c);
    assert_int_equal(allocator_run(c->a, true), 1);
    /* Non-finite: the 5 s default. */
    decline(c, 0, NAN);
    clear_offers(c);
    c->now += 4.9;
    assert_int_equal(allocator_run(c->a, true), 0);
    c->now += 0.2;
    assert_int_equal(allocator_run(c->a, true), 1);
    struct allocator_stats st;
    allocator_get_stats(c->a, &st);
    assert_int_equal(st.filters, 0);
    ctx_free(c);
}

static void
test_normalize_refuse(void **state)
{
    (void)state;
    assert_true(allocator_normalize_refuse(-1) == 5.0);
    assert_true(allocator_normalize_refuse(NAN) == 5.0);
    assert_true(allocator_normalize_refuse(INFINITY) == 5.0);
    assert_true(allocator_normalize_refuse(0) == 0.0);
    assert_true(allocator_normalize_refuse(120) == 120.0);
    assert_true(allocator_normalize_refuse(1e12) == 365.0 * 24 * 3600);
}

static void
test_filter_covers_only_refused(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    add_agent(c, "a1", "cpus:4;mem:4096;ports:[1-10]");
    add_fw(c, "f1", "r");
    assert_int_equal(allocator_run(c->a, true), 1);
    /* f1 launches a task with cpus:1;mem:1024;ports:[1-1] and declines
     * the rest for an hour. */
    struct cr_resources task = res("cpus:1;mem:1024;ports:[1-1]");
    struct cr_resources rest = res("cpus:3;mem:3072;ports:[2-10]");
    allocator_recover(c->a, "f1", "a1", "r", &rest, 3600);
    clear_offers(c);
    assert_int_equal(allocator_run(c->a, true), 0);
    /* The task ends: the agent now has more than was refused. */
    allocator_recover(c->a, "f1", "a1", "r", &task, -1);
    assert_int_equal(allocator_run(c->a, true), 1);
    struct cr_resources all = res("cpus:4;mem:4096;ports:[1-10]");
    assert_true(cr_resources_equal(&c->offers[0].res, &all));
    cr_resources_fini(&task);
    cr_resources_fini(&rest);
    cr_resources_fini(&all);
    ctx_free(c);
}

static void
test_filtered_framework_lets_next_one_in(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    add_agent(c, "a1", "cpus:4;mem:4096");
    add_fw(c, "f1", "r");
    add_fw(c, "f2", "r");
    assert_int_equal(allocator_run(c->a, true), 1);
    char first[64];
    snprintf(first, sizeof(first), "%s", c->offers[0].fw);
    decline(c, 0, 100);
    clear_offers(c);
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_string_not_equal(c->offers[0].fw, first);
    decline(c, 0, 100);
    clear_offers(c);
    /* Both filtered: the agent is blocked, no work on later passes. */
    assert_int_equal(allocator_run(c->a, true), 0);
    assert_int_equal(allocator_run(c->a, true), 0);
    struct allocator_stats st;
    allocator_get_stats(c->a, &st);
    assert_int_equal(st.last_visited, 0);
    assert_int_equal(st.filters, 2);
    /* A new framework is checked against the blocked agent. */
    add_fw(c, "f3", "r");
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_string_equal(c->offers[0].fw, "f3");
    ctx_free(c);
}

static void
test_suppress_revive(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    add_agent(c, "a1", "cpus:4;mem:4096");
    const char *roles[] = {"r1", "r2"};
    const char *supp[] = {"r2"};
    allocator_add_framework(c->a, "f1", roles, 2, supp, 1, true);
    allocator_suppress(c->a, "f1", NULL, 0); /* all roles */
    assert_int_equal(allocator_run(c->a, true), 0);
    const char *r2[] = {"r2"};
    allocator_revive(c->a, "f1", r2, 1);
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_string_equal(c->offers[0].role, "r2");
    /* Decline with a long filter; revive clears it. */
    decline(c, 0, 3600);
    clear_offers(c);
    assert_int_equal(allocator_run(c->a, true), 0);
    allocator_revive(c->a, "f1", NULL, 0);
    assert_false(allocator_is_filtered(c->a, "f1", "a1", "r2"));
    assert_int_equal(allocator_run(c->a, true), 1);
    clear_offers(c);
    /* Suppressing one role leaves the other. */
    allocator_suppress(c->a, "f1", r2, 1);
    struct cr_resources all = res("cpus:4;mem:4096");
    allocator_recover(c->a, "f1", "a1", "r2", &all, -1);
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_string_equal(c->offers[0].role, "r1");
    cr_resources_fini(&all);
    ctx_free(c);
}

static void
test_deactivate_framework_and_agent(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    add_agent(c, "a1", "cpus:4;mem:4096");
    add_fw(c, "f1", "r");
    allocator_deactivate_framework(c->a, "f1");
    assert_int_equal(allocator_run(c->a, true), 0);
    allocator_activate_framework(c->a, "f1");
    allocator_deactivate_agent(c->a, "a1");
    assert_int_equal(allocator_run_exhaustive(c->a), 0);
    allocator_activate_agent(c->a, "a1");
    assert_int_equal(allocator_run(c->a, true), 1);
    /* A framework added inactive gets nothing until activated. */
    decline(c, 0, -1);
    clear_offers(c);
    allocator_deactivate_framework(c->a, "f1");
    const char *roles[] = {"r"};
    allocator_add_framework(c->a, "f2", roles, 1, NULL, 0, false);
    assert_int_equal(allocator_run(c->a, true), 0);
    allocator_activate_framework(c->a, "f2");
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_string_equal(c->offers[0].fw, "f2");
    ctx_free(c);
}

static void
test_min_allocatable(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    add_fw(c, "f1", "r");
    add_agent(c, "tiny", "cpus:0.005;mem:16;disk:100");
    assert_int_equal(allocator_run(c->a, true), 0);
    add_agent(c, "cpu", "cpus:0.01");
    add_agent(c, "mem", "mem:32");
    assert_int_equal(allocator_run(c->a, true), 2);
    assert_int_equal(allocator_run_exhaustive(c->a), 0);
    ctx_free(c);

    c = ctx_new_with("cpus:1;mem:10|gpus:1");
    add_fw(c, "f1", "r");
    add_agent(c, "a", "cpus:1;mem:5");
    add_agent(c, "b", "cpus:1;mem:10");
    add_agent(c, "g", "gpus:1");
    assert_int_equal(allocator_run(c->a, true), 2);
    for (size_t i = 0; i < c->n; i++)
        assert_string_not_equal(c->offers[i].agent, "a");
    ctx_free(c);

    c = ctx_new_with(""); /* disabled */
    add_fw(c, "f1", "r");
    add_agent(c, "a", "disk:1");
    assert_int_equal(allocator_run(c->a, true), 1);
    ctx_free(c);
}

static void
test_recover_and_remove_agent(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    add_agent(c, "a1", "cpus:4;mem:4096");
    add_agent(c, "a2", "cpus:4;mem:4096");
    add_fw(c, "f1", "r");
    assert_int_equal(allocator_run(c->a, true), 2);
    assert_true(allocator_framework_share(c->a, "f1", "r") == 1.0);
    allocator_remove_agent(c->a, "a1");
    /* Only a2's allocation is left, and a2 is the whole cluster. */
    assert_true(allocator_framework_share(c->a, "f1", "r") == 1.0);
    allocator_remove_agent(c->a, "a2");
    assert_true(allocator_framework_share(c->a, "f1", "r") == 0.0);
    assert_null(allocator_agent_available(c->a, "a1"));
    /* Recovering onto a removed agent is ignored. */
    decline(c, 0, 100);
    assert_int_equal(allocator_run(c->a, true), 0);
    struct allocator_stats st;
    allocator_get_stats(c->a, &st);
    assert_int_equal(st.agents, 0);
    assert_int_equal(st.filters, 0);
    ctx_free(c);
}

static void
test_remove_framework(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    add_agent(c, "a1", "cpus:4;mem:4096");
    add_fw(c, "f1", "r");
    add_fw(c, "f2", "r");
    assert_int_equal(allocator_run(c->a, true), 1);
    const char *first = strcmp(c->offers[0].fw, "f1") == 0 ? "f1" : "f2";
    const char *other = strcmp(first, "f1") == 0 ? "f2" : "f1";
    /* Master contract: recover the offer, then remove. */
    decline(c, 0, 100);
    allocator_remove_framework(c->a, first);
    clear_offers(c);
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_string_equal(c->offers[0].fw, other);
    /* Removing with resources still allocated drops them from shares. */
    allocator_remove_framework(c->a, other);
    assert_true(allocator_role_share(c->a, "r") == 0.0);
    allocator_remove_framework(c->a, "unknown");
    struct allocator_stats st;
    allocator_get_stats(c->a, &st);
    assert_int_equal(st.frameworks, 0);
    assert_int_equal(st.roles, 0);
    ctx_free(c);
}

static void
test_reservations(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    add_agent(c, "a1", "cpus:2;mem:100;cpus(eng):3;mem(ops):50");
    add_fw(c, "fops", "ops");
    add_fw(c, "fbe", "eng/be");
    allocator_set_weight(c->a, "ops", 100); /* ops never leads... */
    struct cr_resources used = res("cpus:1");
    allocator_add_allocation(c->a, "fops", "a1", "ops", &used);
    /* eng/be goes first (share 0): unreserved + eng's reservation. */
    assert_int_equal(allocator_run(c->a, true), 2);
    struct cr_resources want_be = res("cpus:1;mem:100;cpus(eng):3");
    struct cr_resources want_ops = res("mem(ops):50");
    for (size_t i = 0; i < 2; i++) {
        struct offer_rec *o = &c->offers[i];
        if (strcmp(o->fw, "fbe") == 0) {
            assert_string_equal(o->role, "eng/be");
            assert_true(cr_resources_equal(&o->res, &want_be));
        } else {
            assert_string_equal(o->role, "ops");
            assert_true(cr_resources_equal(&o->res, &want_ops));
        }
    }
    json_t *j = cr_resources_to_json(&c->offers[0].res, c->offers[0].role);
    assert_non_null(j);
    json_decref(j);
    cr_resources_fini(&used);
    cr_resources_fini(&want_be);
    cr_resources_fini(&want_ops);
    ctx_free(c);
}

static void
test_multi_role_framework(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    add_agent(c, "a1", "cpus:2;cpus(r2):2");
    const char *roles[] = {"r1", "r2"};
    allocator_add_framework(c->a, "f1", roles, 2, NULL, 0, true);
    assert_int_equal(allocator_run(c->a, true), 2);
    assert_string_not_equal(c->offers[0].role, c->offers[1].role);
    /* Dropping r2 from the roles: no more offers for it. */
    for (size_t i = 0; i < c->n; i++)
        decline(c, i, -1);
    clear_offers(c);
    const char *only_r1[] = {"r1"};
    allocator_update_framework_roles(c->a, "f1", only_r1, 1, NULL, 0);
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_string_equal(c->offers[0].role, "r1");
    ctx_free(c);
}

static void
test_add_allocation_unknown_framework(void **state)
{
    (void)state;
    struct ctx *c = ctx_new();
    add_agent(c, "a1", "cpus:4;mem:4096");
    struct cr_resources used = res("cpus:4;mem:4000");
    allocator_add_allocation(c->a, "ghost", "a1", "r", &used);
    assert_true(allocator_framework_share(c->a, "ghost", "r") == 1.0);
    /* The ghost framework is inactive: the mem left goes to nobody... */
    assert_int_equal(allocator_run(c->a, true), 0);
    /* ...until it subscribes. Then the rest (mem:96) is offered. */
    add_fw(c, "ghost", "r");
    assert_int_equal(allocator_run(c->a, true), 1);
    /* Over-allocation is clamped to what is there, with a warning. */
    allocator_recover(c->a, "ghost", "a1", "r", &used, -1);
    struct cr_resources huge = res("cpus:100");
    allocator_add_allocation(c->a, "ghost", "a1", "r", &huge);
    assert_true(cr_resources_scalar(allocator_agent_available(c->a, "a1"),
                                    "cpus") == 0.0);
    cr_resources_fini(&used);
    cr_resources_fini(&huge);
    ctx_free(c);
}

static void
test_same_seed_same_order(void **state)
{
    (void)state;
    char order[2][64][16];
    memset(order, 0, sizeof(order));
    for (int round = 0; round < 2; round++) {
        struct ctx *c = ctx_new();
        for (int i = 0; i < 64; i++) {
            char id[16];
            snprintf(id, sizeof(id), "a%d", i);
            add_agent(c, id, "cpus:1;mem:64");
        }
        add_fw(c, "f1", "r");
        assert_int_equal(allocator_run(c->a, true), 64);
        for (int i = 0; i < 64; i++)
            memcpy(order[round][i], c->offers[i].agent, 15);
        ctx_free(c);
    }
    assert_memory_equal(order[0], order[1], sizeof(order[0]));
    bool shuffled = false;
    for (int i = 0; i < 64; i++) {
        char id[16];
        snprintf(id, sizeof(id), "a%d", i);
        shuffled |= strcmp(order[0][i], id) != 0;
    }
    assert_true(shuffled);
}

/* Random operations; after every incremental pass, a full pass must find
 * nothing more to offer (the incremental invariant). */
static void
random_ops(uint64_t seed, int steps)
{
    struct ctx *c = ctx_new();
    char ids[16][8];
    for (int i = 0; i < 16; i++)
        snprintf(ids[i], sizeof(ids[i]), "x%d", i);
    const char *roles[] = {"r0", "r1", "r2", "r1/sub"};
    const char *kinds[] = {"cpus:4;mem:512;ports:[1-5]",
                           "cpus:2;mem:256;cpus(r1):1", "cpus:0.005;mem:8",
                           "cpus:1;mem(r2):64;s:{a,b}"};
    for (int i = 0; i < 12; i++)
        add_agent(c, ids[i], kinds[i % 4]);
    for (int step = 0; step < steps; step++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned r = (unsigned)(seed >> 33);
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
            allocator_revive(c->a, fw, (r >> 12) % 2 ? &role : NULL,
                             (r >> 12) % 2);
            break;
        case 3:
            allocator_deactivate_framework(c->a, fw);
            break;
        case 4:
            allocator_activate_framework(c->a, fw);
            break;
        case 5:
            c->now += (double)((r >> 12) % 7);
            break;
        case 6:
            if ((r >> 12) % 8 == 0)
                allocator_remove_framework(c->a, fw);
            break;
        case 7:
            allocator_update_framework_roles(c->a, fw, two, 2, two, 1);
            break;
        case 8:
            allocator_set_weight(c->a, role, 0.5 + (double)((r >> 12) % 4));
            break;
        case 9:
            if ((r >> 12) % 4 == 0) {
                allocator_deactivate_agent(c->a, agent);
            } else {
                allocator_activate_agent(c->a, agent);
            }
            break;
        case 10:
            if ((r >> 12) % 6 == 0) {
                allocator_remove_agent(c->a, agent);
                add_agent(c, agent, kinds[(r >> 16) % 4]);
            }
            break;
        default:
            if (c->n > 0) {
                size_t i = (r >> 12) % c->n;
                decline(c, i, (double)((r >> 16) % 4) * 2.0 - 1.0);
                cr_resources_fini(&c->offers[i].res);
                c->offers[i] = c->offers[--c->n];
            }
            break;
        }
        if (step % 3 == 0) {
            size_t before = c->n;
            allocator_run(c->a, true);
            size_t extra = allocator_run_exhaustive(c->a);
            if (extra != 0)
                fail_msg("seed %llu step %d: full pass found %zu more "
                         "offers after %zu",
                         (unsigned long long)seed, step, extra,
                         c->n - before - extra);
        }
        if (c->n > MAX_OFFERS - 64)
            clear_offers(c);
    }
    ctx_free(c);
}

static void
test_incremental_matches_full(void **state)
{
    (void)state;
    cr_log_set_level(CR_LOG_ERROR); /* removals with allocations warn */
    for (uint64_t seed = 1; seed <= 20; seed++)
        random_ops(seed, 3000);
    cr_log_set_level(CR_LOG_INFO);
}

struct loop_ctx {
    size_t offers;
};

static void
loop_offer(void *data, const char *fw, const char *agent, const char *role,
           const struct cr_resources *offered)
{
    ((struct loop_ctx *)data)->offers++;
}

static void
test_loop_integration(void **state)
{
    (void)state;
    uv_loop_t loop;
    assert_int_equal(uv_loop_init(&loop), 0);
    struct loop_ctx lc = {0};
    struct allocator_config cfg = {.allocation_interval = 0.05, .seed = 1};
    struct allocator *a = allocator_new(&cfg, loop_offer, &lc);
    assert_int_equal(allocator_attach_loop(a, &loop), 0);
    assert_int_not_equal(allocator_attach_loop(a, &loop), 0);
    struct cr_resources r = res("cpus:1;mem:64");
    allocator_add_agent(a, "a1", &r);
    const char *roles[] = {"r"};
    allocator_add_framework(a, "f1", roles, 1, NULL, 0, true);
    uint64_t deadline = cr_mono_ms() + 5000;
    while (lc.offers == 0 && cr_mono_ms() < deadline)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(lc.offers, 1);
    /* Declined with a 0.1 s filter: re-offered by the periodic pass. */
    allocator_recover(a, "f1", "a1", "r", &r, 0.1);
    while (lc.offers == 1 && cr_mono_ms() < deadline)
        uv_run(&loop, UV_RUN_ONCE);
    assert_int_equal(lc.offers, 2);
    allocator_free(a);
    assert_int_equal(uv_run(&loop, UV_RUN_DEFAULT), 0);
    assert_int_equal(uv_loop_close(&loop), 0);
    cr_resources_fini(&r);
}

static void
declining_offer(void *data, const char *fw, const char *agent, const char *role,
                const struct cr_resources *offered)
{
    struct ctx *c = data;
    c->n++;
    /* Allowed from the callback: applied when the pass ends. */
    allocator_recover(c->a, fw, agent, role, offered, 100);
    assert_false(cr_resources_is_empty(offered));
    allocator_revive(c->a, fw, NULL, 0); /* refused: logs an error */
}

static void
test_recover_from_offer_callback(void **state)
{
    (void)state;
    struct ctx *c = calloc(1, sizeof(*c));
    c->now = 5.0;
    struct allocator_config cfg = {.now = fake_now, .clock_data = c};
    c->a = allocator_new(&cfg, declining_offer, c);
    add_agent(c, "a1", "cpus:1;mem:64");
    add_fw(c, "f1", "r");
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_true(cr_resources_scalar(allocator_agent_available(c->a, "a1"),
                                    "cpus") == 1.0);
    assert_true(allocator_is_filtered(c->a, "f1", "a1", "r"));
    assert_true(allocator_framework_share(c->a, "f1", "r") == 0.0);
    assert_int_equal(allocator_run(c->a, true), 0);
    add_fw(c, "f2", "r");
    assert_int_equal(allocator_run(c->a, true), 1);
    assert_int_equal(allocator_run(c->a, true), 0);
    allocator_free(c->a);
    free(c);
}

/* ---- end of allocator tests (model/allocator engineer) ------------------- */

int
main(void)
{
    const struct CMUnitTest tests[] = {
        /* allocator engineer */
        cmocka_unit_test(test_whole_agent_offers),
        cmocka_unit_test(test_drf_between_frameworks),
        cmocka_unit_test(test_drf_between_roles_and_weights),
        cmocka_unit_test(test_refuse_filter_and_expiry),
        cmocka_unit_test(test_normalize_refuse),
        cmocka_unit_test(test_filter_covers_only_refused),
        cmocka_unit_test(test_filtered_framework_lets_next_one_in),
        cmocka_unit_test(test_suppress_revive),
        cmocka_unit_test(test_deactivate_framework_and_agent),
        cmocka_unit_test(test_min_allocatable),
        cmocka_unit_test(test_recover_and_remove_agent),
        cmocka_unit_test(test_remove_framework),
        cmocka_unit_test(test_reservations),
        cmocka_unit_test(test_multi_role_framework),
        cmocka_unit_test(test_add_allocation_unknown_framework),
        cmocka_unit_test(test_same_seed_same_order),
        cmocka_unit_test(test_incremental_matches_full),
        cmocka_unit_test(test_loop_integration),
        cmocka_unit_test(test_recover_from_offer_callback),
        /* more tests: add below */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
