/* SPDX-License-Identifier: Apache-2.0
 *
 * bench_allocator: allocation passes of src/master/allocator.c at scale,
 * after Mesos's HierarchicalAllocator_BENCHMARK_Test.DeclineOffers.
 *
 * For each (agents, frameworks), all frameworks in one role, every agent
 * "cpus:24;mem:4096;disk:4096;ports:[31000-32000]":
 *   first   - the first pass: every agent free, one offer per agent;
 *   steady  - every framework declines every offer with a long filter
 *             (INT_MAX seconds, capped to 365 days) and the next pass runs:
 *             each agent skips the frameworks that refused it (median of
 *             ROUNDS rounds) - Mesos's DeclineOffers measurement;
 *   exh     - the same round with allocator_run_exhaustive() (re-walks
 *             every agent against every framework; the reference);
 *   alloc   - a pass when every agent is fully allocated (the offers of the
 *             previous round are kept, as if used by tasks);
 *   recover - time to decline all offers of one round (the master's cost of
 *             handing resources back, not part of a pass).
 * A second table starts from the DeclineOffers end state (every framework
 * has refused every agent): a pass, an exhaustive re-check, a REVIVE of
 * one framework and the pass that follows it.
 * A third table runs the DeclineOffers rounds with quota set: "limit"
 * caps the frameworks' role at half the cluster's cpus (offers are trimmed,
 * agents held); "guarantee" gives a role without frameworks half the
 * cluster's cpus (the headroom holds them back from everyone else). Each
 * decline round loosens quota, so held agents are walked again.
 * The offer callback copies the offered resources (as the master must).
 * Usage: bench_allocator [max_agents] (default 50000).
 */
#include "base/clock.h"
#include "master/allocator.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUNDS 5

struct offer {
    const char *fw;
    const char *agent;
    struct cr_resources res;
};

struct bench {
    struct offer *offers;
    size_t n, cap;
};

static void
on_offer(void *data, const char *fw, const char *agent, const char *role,
         const struct cr_resources *offered)
{
    struct bench *b = data;
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 1024;
        b->offers = realloc(b->offers, b->cap * sizeof(*b->offers));
        if (b->offers == NULL)
            abort();
    }
    struct offer *o = &b->offers[b->n++];
    o->fw = fw;
    o->agent = agent;
    cr_resources_init(&o->res);
    cr_resources_copy(&o->res, offered);
}

static void
drop_offers(struct bench *b)
{
    for (size_t i = 0; i < b->n; i++)
        cr_resources_fini(&b->offers[i].res);
    b->n = 0;
}

static double
ms_since(uint64_t t0)
{
    return (double)(cr_mono_ns() - t0) / 1e6;
}

/* Decline every recorded offer with a long filter; returns ms. */
static double
decline_all(struct allocator *a, struct bench *b)
{
    uint64_t t0 = cr_mono_ns();
    for (size_t i = 0; i < b->n; i++)
        allocator_recover(a, b->offers[i].fw, b->offers[i].agent, "r",
                          &b->offers[i].res, (double)INT_MAX);
    double ms = ms_since(t0);
    drop_offers(b);
    return ms;
}

enum mode { RUN_FULL, RUN_DIRTY, RUN_EXHAUSTIVE };

static double
timed_run(struct allocator *a, enum mode mode, size_t *offers)
{
    uint64_t t0 = cr_mono_ns();
    *offers = mode == RUN_EXHAUSTIVE ? allocator_run_exhaustive(a)
                                     : allocator_run(a, mode == RUN_DIRTY);
    return ms_since(t0);
}

static int
cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static double
median(double *v, size_t n)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return v[n / 2];
}

static struct allocator *
setup(struct bench *b, size_t n_agents, size_t n_fws)
{
    struct allocator_config cfg = {.allocation_interval = 1.0, .seed = 1};
    struct allocator *a = allocator_new(&cfg, on_offer, b);
    struct cr_resources total;
    char err[128], id[64];
    cr_resources_init(&total);
    if (cr_resources_parse_text(&total,
                                "cpus:24;mem:4096;disk:4096;"
                                "ports:[31000-32000]",
                                NULL, err, sizeof(err)) != 0)
        abort();
    for (size_t i = 0; i < n_agents; i++) {
        snprintf(id, sizeof(id), "20171125-0000-4000-8000-0123456789ab-S%zu",
                 i);
        allocator_add_agent(a, id, &total);
    }
    const char *roles[] = {"r"};
    for (size_t i = 0; i < n_fws; i++) {
        snprintf(id, sizeof(id), "20171125-0000-4000-8000-0123456789ab-%04zu",
                 i);
        allocator_add_framework(a, id, roles, 1, NULL, 0, true);
    }
    cr_resources_fini(&total);
    return a;
}

static void
run_case(size_t n_agents, size_t n_fws)
{
    struct bench b = {0};
    struct allocator *a = setup(&b, n_agents, n_fws);
    size_t offers;
    double first = timed_run(a, RUN_FULL, &offers);
    size_t first_offers = offers;

    double full[ROUNDS], exh[ROUNDS], rec[ROUNDS];
    size_t steady_offers = 0;
    for (int r = 0; r < ROUNDS; r++) {
        rec[r] = decline_all(a, &b);
        full[r] = timed_run(a, RUN_FULL, &offers);
        steady_offers = offers;
        (void)decline_all(a, &b);
        exh[r] = timed_run(a, RUN_EXHAUSTIVE, &offers);
    }
    /* Keep the last offers: every agent is now fully allocated. */
    double alloc = timed_run(a, RUN_FULL, &offers);
    struct allocator_stats st;
    allocator_get_stats(a, &st);
    printf("| %6zu | %5zu | %8.2f | %9.2f | %8.2f | %8.3f | %8.2f | %6zu / "
           "%6zu | %8zu |\n",
           n_agents, n_fws, first, median(full, ROUNDS), median(exh, ROUNDS),
           alloc, median(rec, ROUNDS), first_offers, steady_offers, st.filters);
    fflush(stdout);
    drop_offers(&b);
    allocator_free(a);
    free(b.offers);
}

/* Every framework declines every agent (Mesos's DeclineOffers end state):
 * a pass has nothing to do, the exhaustive pass re-checks every (agent,
 * framework) filter, and a REVIVE makes one framework eligible again. */
static void
run_blocked_case(size_t n_agents, size_t n_fws)
{
    struct bench b = {0};
    struct allocator *a = setup(&b, n_agents, n_fws);
    size_t offers, rounds = 0;
    do {
        (void)decline_all(a, &b);
        (void)timed_run(a, RUN_DIRTY, &offers);
        rounds++;
    } while (offers > 0);
    struct allocator_stats st;
    allocator_get_stats(a, &st);
    double incr = timed_run(a, RUN_FULL, &offers);
    double full = timed_run(a, RUN_EXHAUSTIVE, &offers);
    const char *fw = "20171125-0000-4000-8000-0123456789ab-0000";
    uint64_t t0 = cr_mono_ns();
    allocator_revive(a, fw, NULL, 0);
    double revive = ms_since(t0);
    size_t revived_offers;
    double after = timed_run(a, RUN_DIRTY, &revived_offers);
    printf("| %6zu | %5zu | %6zu | %8zu | %8.3f | %8.2f | %9.2f | %9.2f | "
           "%6zu |\n",
           n_agents, n_fws, rounds, st.filters, incr, full, revive, after,
           revived_offers);
    fflush(stdout);
    drop_offers(&b);
    allocator_free(a);
    free(b.offers);
}

enum quota_mode { Q_LIMIT, Q_GUARANTEE };

/* DeclineOffers with quota: the first pass, then the median pass after
 * every offer was declined (quota loosens each round). */
static void
run_quota_case(size_t n_agents, size_t n_fws, enum quota_mode mode)
{
    struct bench b = {0};
    struct allocator *a = setup(&b, n_agents, n_fws);
    struct allocator_quota q;
    allocator_quota_init(&q);
    int64_t half = (int64_t)n_agents * 24 * 1000 / 2; /* milli-cpus */
    if (mode == Q_LIMIT) {
        q.limits[CR_RES_CPUS] = half;
        (void)allocator_set_quota_config(a, "r", &q);
    } else {
        q.guarantees[CR_RES_CPUS] = half;
        (void)allocator_set_quota_config(a, "g", &q);
    }
    size_t offers;
    double first = timed_run(a, RUN_FULL, &offers);
    size_t first_offers = offers;
    struct allocator_stats st;
    allocator_get_stats(a, &st);
    size_t held = st.agents_held;
    double full[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        (void)decline_all(a, &b);
        full[r] = timed_run(a, RUN_FULL, &offers);
    }
    double exh = timed_run(a, RUN_EXHAUSTIVE, &offers);
    printf("| %6zu | %5zu | %-9s | %8.2f | %9.2f | %8.2f | %6zu | %6zu |\n",
           n_agents, n_fws, mode == Q_LIMIT ? "limit" : "guarantee", first,
           median(full, ROUNDS), exh, first_offers, held);
    fflush(stdout);
    drop_offers(&b);
    allocator_free(a);
    free(b.offers);
}

/* The worst case for quota: r is at its limit with running tasks (the
 * cpus of half the agents), every framework has refused the mem-only
 * offers of the other (held) agents, and a task ends, so quota loosens and
 * every held agent is walked again. Prints that pass and the next. */
static void
run_quota_loosen_case(size_t n_agents, size_t n_fws)
{
    struct bench b = {0};
    struct allocator *a = setup(&b, n_agents, n_fws);
    struct allocator_quota q;
    allocator_quota_init(&q);
    q.limits[CR_RES_CPUS] = (int64_t)n_agents * 24 * 1000 / 2;
    (void)allocator_set_quota_config(a, "r", &q);
    size_t offers;
    (void)timed_run(a, RUN_FULL, &offers);
    /* Keep the offers with cpus (the tasks), decline the rest until every
     * framework has refused every held agent. */
    struct bench tasks = {0};
    size_t rounds = 0;
    do {
        for (size_t i = 0; i < b.n; i++) {
            struct offer *o = &b.offers[i];
            if (cr_resources_scalar(&o->res, "cpus") > 0) {
                on_offer(&tasks, o->fw, o->agent, "r", &o->res);
                continue;
            }
            allocator_recover(a, o->fw, o->agent, "r", &o->res,
                              (double)INT_MAX);
        }
        drop_offers(&b);
        (void)timed_run(a, RUN_DIRTY, &offers);
        rounds++;
    } while (offers > 0);
    struct allocator_stats st;
    allocator_get_stats(a, &st);
    /* One task ends. */
    struct offer *t = &tasks.offers[0];
    allocator_recover(a, t->fw, t->agent, "r", &t->res, -1);
    double loosen = timed_run(a, RUN_DIRTY, &offers);
    size_t loosen_offers = offers;
    double next = timed_run(a, RUN_DIRTY, &offers);
    printf("| %6zu | %5zu | %6zu | %6zu | %8zu | %9.2f | %7zu | %8.3f |\n",
           n_agents, n_fws, rounds, st.agents_held, st.filters, loosen,
           loosen_offers, next);
    fflush(stdout);
    drop_offers(&b);
    drop_offers(&tasks);
    allocator_free(a);
    free(b.offers);
    free(tasks.offers);
}

int
main(int argc, char **argv)
{
    size_t max_agents = argc > 1 ? strtoul(argv[1], NULL, 10) : 50000;
    const size_t agents[] = {1000, 10000, 50000};
    const size_t fws[] = {100, 1000};
    printf("| agents | fws   | first ms | steady ms | exh ms   | alloc ms | "
           "recov ms | offers 1st/steady | filters  |\n");
    printf("|-------:|------:|---------:|----------:|---------:|---------:|"
           "---------:|------------------:|---------:|\n");
    for (size_t i = 0; i < sizeof(agents) / sizeof(agents[0]); i++) {
        if (agents[i] > max_agents)
            continue;
        for (size_t j = 0; j < sizeof(fws) / sizeof(fws[0]); j++)
            run_case(agents[i], fws[j]);
    }
    printf("\nAll agents filtered by every framework (steady state of "
           "DeclineOffers):\n\n");
    printf("| agents | fws   | rounds | filters  | pass ms  | exh ms   | "
           "revive ms | next ms   | offers |\n");
    printf("|-------:|------:|-------:|---------:|---------:|---------:|"
           "----------:|----------:|-------:|\n");
    const size_t blocked[][2] = {{1000, 100}, {1000, 1000}, {10000, 100}};
    for (size_t i = 0; i < sizeof(blocked) / sizeof(blocked[0]); i++) {
        if (blocked[i][0] <= max_agents)
            run_blocked_case(blocked[i][0], blocked[i][1]);
    }
    printf("\nWith quota (frameworks in role r; half the cluster's cpus as "
           "r's limit, or as the guarantee of a role without frameworks):"
           "\n\n");
    printf("| agents | fws   | quota     | first ms | steady ms | exh ms   | "
           "offers | held   |\n");
    printf("|-------:|------:|-----------|---------:|----------:|---------:|"
           "-------:|-------:|\n");
    for (size_t i = 1; i < sizeof(agents) / sizeof(agents[0]); i++) {
        if (agents[i] > max_agents)
            continue;
        run_quota_case(agents[i], 1000, Q_LIMIT);
        run_quota_case(agents[i], 1000, Q_GUARANTEE);
    }
    printf("\nA limited role at its limit, every framework refused every "
           "held agent, then one task ends:\n\n");
    printf("| agents | fws   | rounds | held   | filters  | loosen ms | offers "
           "| next ms  |\n");
    printf("|-------:|------:|-------:|-------:|---------:|----------:|-------:"
           "|---------:|\n");
    if (max_agents >= 10000)
        run_quota_loosen_case(10000, 1000);
    return 0;
}
