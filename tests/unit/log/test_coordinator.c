/* SPDX-License-Identifier: Apache-2.0
 *
 * test_coordinator.c: the proposer with 3 and 5 in-process replicas over
 * the fake network (seeded drops, duplicates and reordering): election
 * and appends, quorum counting with replicas down, a deposed coordinator
 * whose writes are refused (fencing), recovery of holes left by an
 * earlier coordinator, a coordinator crashing mid-append, truncation.
 */

/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/err.h"
#include "base/mem.h"
#include "cluster.h"
#include "tests.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct fake_net_opts calm = {.max_delay_ms = 2, .seed = 7};

static void
elect(struct cluster *cl, struct cr_log_coord *c, uint64_t want_end)
{
    struct res r = {0};
    assert_int_equal(cr_log_coord_elect(c, cl_on_res, &r), 0);
    assert_true(cl_wait(cl, &r, 10));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.pos, want_end);
    assert_int_equal(cr_log_coord_state(c), CR_LOG_COORD_ELECTED);
}

static uint64_t
append(struct cluster *cl, struct cr_log_coord *c, const char *text)
{
    struct res r = {0};
    assert_int_equal(cr_log_coord_append(c, text, strlen(text), cl_on_res, &r),
                     0);
    assert_true(cl_wait(cl, &r, 10));
    assert_int_equal(r.err, 0);
    return r.pos;
}

static void
expect_log(struct cluster *cl, int i, uint64_t from, const char *const *want,
           size_t n)
{
    char *got[64];
    assert_true(n <= 64);
    cl_read(cl, i, from, from + n - 1, got);
    for (size_t k = 0; k < n; k++)
        if (strcmp(got[k], want[k]) != 0)
            fail_msg("replica r%d position %llu: got '%s', want '%s'", i,
                     (unsigned long long)(from + k), got[k], want[k]);
    cl_free_strs(got, n);
}

static void
test_elect_append_3(void **state)
{
    (void)state;
    struct cluster cl;
    cl_init(&cl, 3, true, &calm);
    struct cr_log_coord *c = cl_coord(&cl, 0, 2, 1);
    elect(&cl, c, 0);
    /* queue ten appends at once: they commit in order */
    struct res rs[10] = {{0}};
    char texts[10][8];
    const char *want[10];
    for (int i = 0; i < 10; i++) {
        snprintf(texts[i], sizeof(texts[i]), "v%d", i + 1);
        want[i] = texts[i];
        assert_int_equal(cr_log_coord_append(c, texts[i], strlen(texts[i]),
                                             cl_on_res, &rs[i]),
                         0);
    }
    assert_true(cl_wait(&cl, &rs[9], 10));
    for (int i = 0; i < 10; i++) {
        assert_true(rs[i].done);
        assert_int_equal(rs[i].err, 0);
        assert_int_equal(rs[i].pos, (uint64_t)i + 1);
    }
    /* the local replica has learned everything when the append returns */
    assert_int_equal(cr_log_replica_first_unlearned(cl.r[0]), 11);
    expect_log(&cl, 0, 1, want, 10);
    for (int k = 1; k < 3; k++) {
        assert_true(cl_wait_learned(&cl, k, 10, 5));
        expect_log(&cl, k, 1, want, 10);
    }
    assert_int_equal(cr_log_coord_next(c), 11);
    cr_log_coord_free(c);
    cl_fini(&cl);
}

/* Every replica agrees with the reference replica on what both learned. */
static void
check_agreement(struct cluster *cl, int ref, uint64_t upto)
{
    char **a = cr_xcalloc(upto + 1, sizeof(char *));
    char **b = cr_xcalloc(upto + 1, sizeof(char *));
    cl_read(cl, ref, 1, upto, a);
    for (int k = 0; k < cl->n; k++) {
        if (cl->r[k] == NULL)
            continue;
        cl_read(cl, k, 1, upto, b);
        for (uint64_t p = 0; p < upto; p++)
            if (strcmp(b[p], "?") != 0 && strcmp(a[p], b[p]) != 0)
                fail_msg("r%d and r%d disagree at %llu: '%s' vs '%s'", k, ref,
                         (unsigned long long)p + 1, b[p], a[p]);
        cl_free_strs(b, upto);
    }
    cl_free_strs(a, upto);
    free(a);
    free(b);
}

static void
test_faults_5(void **state)
{
    (void)state;
    struct fake_net_opts o = {
        .drop = 0.1, .dup = 0.2, .max_delay_ms = 8, .seed = tu_seed(42)};
    struct cluster cl;
    cl_init(&cl, 5, true, &o);
    struct cr_log_coord *c = cl_coord(&cl, 2, 3, o.seed);
    elect(&cl, c, 0);
    struct res rs[25] = {{0}};
    char texts[25][8];
    for (int i = 0; i < 25; i++) {
        snprintf(texts[i], sizeof(texts[i]), "f%d", i + 1);
        assert_int_equal(cr_log_coord_append(c, texts[i], strlen(texts[i]),
                                             cl_on_res, &rs[i]),
                         0);
    }
    assert_true(cl_wait(&cl, &rs[24], 15));
    for (int i = 0; i < 25; i++) {
        assert_int_equal(rs[i].err, 0);
        assert_int_equal(rs[i].pos, (uint64_t)i + 1);
    }
    const char *want[25];
    for (int i = 0; i < 25; i++)
        want[i] = texts[i];
    expect_log(&cl, 2, 1, want, 25);
    check_agreement(&cl, 2, 25);
    struct fake_net_stats st = fake_net_stats(cl.net);
    assert_true(st.dropped > 0 && st.duplicated > 0);
    cr_log_coord_free(c);
    cl_fini(&cl);
}

static void
test_five_two_down(void **state)
{
    (void)state;
    struct cluster cl;
    cl_init(&cl, 5, true, &calm);
    fake_net_cut(cl.net, "r3", true);
    fake_net_cut(cl.net, "r4", true);
    struct cr_log_coord *c = cl_coord(&cl, 0, 3, 3);
    elect(&cl, c, 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(append(&cl, c, "x"), (uint64_t)i + 1);
    /* a third replica down: no quorum, the append waits */
    fake_net_cut(cl.net, "r2", true);
    struct res r = {0};
    assert_int_equal(cr_log_coord_append(c, "y", 1, cl_on_res, &r), 0);
    assert_false(cl_wait(&cl, &r, 0.3));
    struct cr_buf d;
    cr_buf_init(&d, 4096);
    cr_log_coord_describe(c, &d);
    assert_non_null(strstr(d.data, "--quorum=3"));
    assert_non_null(strstr(d.data, "r2 ("));
    assert_non_null(strstr(d.data, "not reached"));
    cr_buf_fini(&d);
    fake_net_cut(cl.net, "r3", false);
    assert_true(cl_wait(&cl, &r, 5));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.pos, 6);
    cr_log_coord_free(c);
    cl_fini(&cl);
}

static void
test_no_quorum_then_quorum(void **state)
{
    (void)state;
    struct cluster cl;
    cl_init(&cl, 3, true, &calm);
    fake_net_cut(cl.net, "r1", true);
    fake_net_cut(cl.net, "r2", true);
    struct cr_log_coord *c = cl_coord(&cl, 0, 2, 4);
    struct res r = {0};
    assert_int_equal(cr_log_coord_elect(c, cl_on_res, &r), 0);
    assert_false(cl_wait(&cl, &r, 0.3));
    assert_int_equal(cr_log_coord_state(c), CR_LOG_COORD_ELECTING);
    assert_int_equal(cr_log_coord_append(c, "z", 1, cl_on_res, &r), CR_ESTATE);
    struct cr_buf d;
    cr_buf_init(&d, 4096);
    cr_log_coord_describe(c, &d);
    assert_non_null(strstr(d.data, "election"));
    assert_non_null(strstr(d.data, "r0 (accepted)"));
    assert_non_null(strstr(d.data, "r1 ("));
    assert_non_null(strstr(d.data, "--quorum=2"));
    cr_buf_fini(&d);
    fake_net_cut(cl.net, "r2", false);
    assert_true(cl_wait(&cl, &r, 5));
    assert_int_equal(r.err, 0);
    cr_log_coord_free(c);
    cl_fini(&cl);
}

static void
test_deposed(void **state)
{
    (void)state;
    struct cluster cl;
    cl_init(&cl, 3, true, &calm);
    struct cr_log_coord *a = cl_coord(&cl, 0, 2, 5);
    elect(&cl, a, 0);
    assert_int_equal(append(&cl, a, "a1"), 1);
    assert_int_equal(append(&cl, a, "a2"), 2);
    /* B is elected by r1 and r2 while r0 (A's replica) cannot hear it */
    fake_net_cut(cl.net, "r0", true);
    struct cr_log_coord *b = cl_coord(&cl, 1, 2, 6);
    elect(&cl, b, 2);
    assert_true(cr_log_coord_ballot(b) > cr_log_coord_ballot(a));
    fake_net_cut(cl.net, "r0", false);
    /* A's write is accepted by its own replica but refused by the others:
     * A is deposed and reports it, never a commit */
    struct res r = {0};
    assert_int_equal(cr_log_coord_append(a, "stale", 5, cl_on_res, &r), 0);
    assert_true(cl_wait(&cl, &r, 5));
    assert_int_equal(r.err, CR_ENOTLEADER);
    assert_int_equal(cr_log_coord_state(a), CR_LOG_COORD_LOST);
    assert_int_equal(cr_log_coord_append(a, "again", 5, cl_on_res, &r),
                     CR_ENOTLEADER);
    /* B carries on at the same position; "stale" is overwritten */
    assert_int_equal(append(&cl, b, "b1"), 3);
    assert_int_equal(append(&cl, b, "b2"), 4);
    const char *want[] = {"a1", "a2", "b1", "b2"};
    expect_log(&cl, 1, 1, want, 4);
    assert_true(cl_wait_learned(&cl, 0, 4, 5));
    expect_log(&cl, 0, 1, want, 4);
    cr_log_coord_free(a);
    cr_log_coord_free(b);
    cl_fini(&cl);
}

static void
on_raw_reply(void *data, int err, const struct cr_log_msg *reply)
{
    assert_int_equal(err, 0);
    assert_int_equal(reply->result, CR_LOG_ACK);
    *(bool *)data = true;
}

/* Send a WRITE straight to one replica, as an earlier coordinator would. */
static void
raw_write(struct cluster *cl, int i, uint64_t ballot, uint64_t pos,
          const char *text)
{
    struct cr_log_msg w = {.type = CR_LOG_MSG_WRITE, .ballot = ballot};
    struct cr_log_action a = {.position = pos,
                              .type = CR_LOG_APPEND,
                              .value = (uint8_t *)(uintptr_t)text,
                              .value_len = strlen(text)};
    cr_log_msg_add_action(&w, &a);
    bool done = false;
    cr_log_replica_handle(cl->r[i], &w, on_raw_reply, &done);
    assert_true(tu_run_until(&cl->loop, &done, 5));
    cr_log_msg_fini(&w);
}

static void
test_recovery_with_holes(void **state)
{
    (void)state;
    struct cluster cl;
    cl_init(&cl, 3, true, &calm);
    /* an earlier coordinator (ballot 1) got position 1 chosen (r0, r1),
     * wrote 2 to r2 only, nothing at 3, "old4" at 4 on r1; then one with
     * ballot 2 wrote "new4" at 4 on r2 only */
    raw_write(&cl, 0, 1, 1, "chosen");
    raw_write(&cl, 1, 1, 1, "chosen");
    raw_write(&cl, 2, 1, 2, "lonely");
    raw_write(&cl, 1, 1, 4, "old4");
    raw_write(&cl, 2, 2, 4, "new4");
    /* a coordinator without a local replica, hearing only r1 and r2 */
    fake_net_cut(cl.net, "r0", true);
    struct cr_log_coord *c = cl_coord(&cl, -1, 2, 8);
    elect(&cl, c, 4);
    assert_true(cr_log_coord_ballot(c) > 2); /* NACKed first, then retried */
    assert_int_equal(append(&cl, c, "five"), 5);
    const char *want[] = {"chosen", "lonely", "", "new4", "five"};
    assert_true(cl_wait_learned(&cl, 1, 5, 5));
    assert_true(cl_wait_learned(&cl, 2, 5, 5));
    expect_log(&cl, 1, 1, want, 5);
    expect_log(&cl, 2, 1, want, 5);
    cr_log_coord_free(c);

    /* a later coordinator on r0 (which missed all of it) learns it all */
    fake_net_cut(cl.net, "r0", false);
    c = cl_coord(&cl, 0, 2, 9);
    elect(&cl, c, 5);
    expect_log(&cl, 0, 1, want, 5);
    assert_int_equal(append(&cl, c, "six"), 6);
    cr_log_coord_free(c);
    cl_fini(&cl);
}

static void
test_crash_mid_append(void **state)
{
    (void)state;
    struct fake_net_opts o = {
        .drop = 0.1, .dup = 0.1, .max_delay_ms = 6, .seed = tu_seed(1234)};
    struct cluster cl;
    cl_init(&cl, 3, true, &o);
    struct cr_log_coord *a = cl_coord(&cl, 0, 2, o.seed);
    elect(&cl, a, 0);
    struct res rs[20] = {{0}};
    char texts[20][8];
    for (int i = 0; i < 20; i++) {
        snprintf(texts[i], sizeof(texts[i]), "c%d", i + 1);
        assert_int_equal(cr_log_coord_append(a, texts[i], strlen(texts[i]),
                                             cl_on_res, &rs[i]),
                         0);
    }
    /* let about half commit, then A dies */
    assert_true(cl_wait(&cl, &rs[9], 10));
    cr_log_coord_free(a);
    int committed = 0;
    while (committed < 20 && rs[committed].done && rs[committed].err == 0)
        committed++;
    for (int i = committed; i < 20; i++)
        assert_true(!rs[i].done || rs[i].err == CR_ECANCELED_OP);
    /* B recovers from a quorum without r0 */
    fake_net_cut(cl.net, "r0", true);
    struct cr_log_coord *b = cl_coord(&cl, 1, 2, o.seed + 1);
    struct res e = {0};
    assert_int_equal(cr_log_coord_elect(b, cl_on_res, &e), 0);
    assert_true(cl_wait(&cl, &e, 10));
    assert_int_equal(e.err, 0);
    assert_true(e.pos >= (uint64_t)committed);
    /* everything A reported is there, in place */
    char **got = cr_xcalloc(e.pos + 1, sizeof(char *));
    cl_read(&cl, 1, 1, e.pos, got);
    for (int i = 0; i < committed; i++)
        assert_string_equal(got[i], texts[i]);
    /* what A had in flight is there in order or a hole */
    for (uint64_t p = (uint64_t)committed; p < e.pos; p++)
        assert_true(strcmp(got[p], "") == 0 || strcmp(got[p], texts[p]) == 0);
    cl_free_strs(got, e.pos);
    free(got);
    uint64_t pos = append(&cl, b, "after");
    assert_int_equal(pos, e.pos + 1);
    fake_net_cut(cl.net, "r0", false);
    check_agreement(&cl, 1, pos);
    cr_log_coord_free(b);
    cl_fini(&cl);
}

static void
test_truncate(void **state)
{
    (void)state;
    struct cluster cl;
    cl_init(&cl, 3, true, &calm);
    struct cr_log_coord *c = cl_coord(&cl, 0, 2, 10);
    elect(&cl, c, 0);
    for (int i = 0; i < 10; i++)
        append(&cl, c, "old");
    struct res r = {0};
    assert_int_equal(cr_log_coord_truncate(c, 99, cl_on_res, &r),
                     CR_EINVAL_INPUT);
    assert_int_equal(cr_log_coord_truncate(c, 8, cl_on_res, &r), 0);
    assert_true(cl_wait(&cl, &r, 5));
    assert_int_equal(r.err, 0);
    assert_int_equal(r.pos, 11);
    assert_int_equal(cr_log_replica_begin(cl.r[0]), 8);
    for (int k = 1; k < 3; k++) {
        assert_true(cl_wait_learned(&cl, k, 11, 5));
        assert_int_equal(cr_log_replica_begin(cl.r[k]), 8);
        struct cr_log_action a;
        assert_int_equal(cr_log_replica_get(cl.r[k], 7, &a), CR_ENOTFOUND);
    }
    assert_int_equal(append(&cl, c, "new"), 12);
    cr_log_coord_free(c);
    /* a new coordinator starts from the truncated log */
    c = cl_coord(&cl, 1, 2, 11);
    elect(&cl, c, 12);
    assert_int_equal(append(&cl, c, "newer"), 13);
    const char *want[] = {"old", "old", "old", "<truncate>", "new", "newer"};
    expect_log(&cl, 1, 8, want, 6);
    cr_log_coord_free(c);
    cl_fini(&cl);
}

static void
on_res_free(void *data, int err, uint64_t pos)
{
    struct res *r = data;
    cl_on_res(r, err, pos);
}

struct free_ctx {
    struct cr_log_coord *c;
    struct res r;
};

static void
free_from_cb(void *data, int err, uint64_t pos)
{
    struct free_ctx *f = data;
    cl_on_res(&f->r, err, pos);
    cr_log_coord_free(f->c);
}

static void
test_free_from_callback(void **state)
{
    (void)state;
    struct cluster cl;
    cl_init(&cl, 3, true, &calm);
    struct free_ctx f = {.c = cl_coord(&cl, 0, 2, 12)};
    elect(&cl, f.c, 0);
    struct res second = {0};
    assert_int_equal(cr_log_coord_append(f.c, "one", 3, free_from_cb, &f), 0);
    assert_int_equal(cr_log_coord_append(f.c, "two", 3, on_res_free, &second),
                     0);
    assert_true(cl_wait(&cl, &f.r, 5));
    assert_int_equal(f.r.err, 0);
    assert_true(second.done);
    assert_int_equal(second.err, CR_ECANCELED_OP);
    cl_fini(&cl);
}

/* ---- two coordinators at once --------------------------------------- */

#define DUEL_MAX_POS 512

struct duel {
    struct cluster *cl;
    struct cr_log_coord *c[2];
    int gen[2];
    uint64_t rng;
    bool stopping;
    int commits, replaced;
    char *committed[DUEL_MAX_POS + 1]; /* position -> value reported */
};

struct duel_op {
    struct duel *d;
    int slot, gen;
    char value[24];
};

static void duel_start(struct duel *d, int slot);

static void
duel_record(struct duel *d, uint64_t pos, const char *value)
{
    assert_true(pos >= 1 && pos <= DUEL_MAX_POS);
    if (d->committed[pos] != NULL && strcmp(d->committed[pos], value) != 0)
        fail_msg("position %llu reported committed twice: '%s' and '%s'",
                 (unsigned long long)pos, d->committed[pos], value);
    if (d->committed[pos] == NULL)
        d->committed[pos] = cr_xstrdup(value);
    d->commits++;
}

static void
duel_replace(struct duel *d, int slot)
{
    cr_log_coord_free(d->c[slot]);
    d->c[slot] = NULL;
    d->replaced++;
    if (!d->stopping)
        duel_start(d, slot);
}

static void duel_batch(struct duel *d, int slot);

static void
on_duel_append(void *data, int err, uint64_t pos)
{
    struct duel_op *op = data;
    struct duel *d = op->d;
    int slot = op->slot;
    bool current = d->gen[slot] == op->gen && d->c[slot] != NULL;
    if (err == 0)
        duel_record(d, pos, op->value);
    bool last = strchr(op->value, '!') != NULL;
    free(op);
    if (!current || d->stopping || err == CR_ECANCELED_OP)
        return;
    if (err != 0)
        duel_replace(d, slot);
    else if (last)
        duel_batch(d, slot);
}

static void
duel_batch(struct duel *d, int slot)
{
    for (int k = 0; k < 4; k++) {
        struct duel_op *op = cr_xcalloc(1, sizeof(*op));
        op->d = d;
        op->slot = slot;
        op->gen = d->gen[slot];
        snprintf(op->value, sizeof(op->value), "g%d.%d.%d%s", slot,
                 d->gen[slot], k, k == 3 ? "!" : "");
        if (cr_log_coord_append(d->c[slot], op->value, strlen(op->value),
                                on_duel_append, op) != 0) {
            free(op);
            duel_replace(d, slot);
            return;
        }
    }
}

static void
on_duel_elected(void *data, int err, uint64_t end)
{
    struct duel_op *op = data;
    struct duel *d = op->d;
    int slot = op->slot;
    bool current = d->gen[slot] == op->gen;
    free(op);
    (void)end;
    if (!current || err != 0 || d->stopping)
        return;
    duel_batch(d, slot);
}

static void
duel_start(struct duel *d, int slot)
{
    int local = (int)tu_rand_below(&d->rng, (uint64_t)d->cl->n);
    d->gen[slot]++;
    d->c[slot] = cl_coord(d->cl, local, 3, tu_rand(&d->rng));
    struct duel_op *op = cr_xcalloc(1, sizeof(*op));
    op->d = d;
    op->slot = slot;
    op->gen = d->gen[slot];
    assert_int_equal(cr_log_coord_elect(d->c[slot], on_duel_elected, op), 0);
}

static bool
duel_enough(void *data)
{
    return ((struct duel *)data)->commits >= 60;
}

static void
test_dueling_coordinators(void **state)
{
    (void)state;
    struct fake_net_opts o = {
        .drop = 0.05, .dup = 0.1, .max_delay_ms = 5, .seed = tu_seed(77)};
    struct cluster cl;
    cl_init(&cl, 5, true, &o);
    struct duel *d = cr_xcalloc(1, sizeof(*d));
    d->cl = &cl;
    d->rng = o.seed;
    duel_start(d, 0);
    duel_start(d, 1);
    (void)tu_run_until_pred(&cl.loop, duel_enough, d, 6);
    d->stopping = true;
    for (int s = 0; s < 2; s++) {
        cr_log_coord_free(d->c[s]);
        d->c[s] = NULL;
    }
    assert_true(d->commits > 0);
    fprintf(stderr, "  %d commits reported, %d coordinators deposed\n",
            d->commits, d->replaced);
    /* a last coordinator, on a calm network, sees every reported commit */
    fake_net_faults(cl.net, 0, 0);
    struct cr_log_coord *c = cl_coord(&cl, 4, 3, o.seed + 99);
    struct res r = {0};
    assert_int_equal(cr_log_coord_elect(c, cl_on_res, &r), 0);
    assert_true(cl_wait(&cl, &r, 10));
    assert_int_equal(r.err, 0);
    uint64_t end = r.pos;
    assert_true(end <= DUEL_MAX_POS);
    char **got = cr_xcalloc(end + 1, sizeof(char *));
    cl_read(&cl, 4, 1, end, got);
    for (uint64_t p = 1; p <= end; p++)
        if (d->committed[p] && strcmp(got[p - 1], d->committed[p]) != 0)
            fail_msg("position %llu: committed '%s', log has '%s'",
                     (unsigned long long)p, d->committed[p], got[p - 1]);
    for (uint64_t p = end + 1; p <= DUEL_MAX_POS; p++)
        assert_null(d->committed[p]);
    cl_free_strs(got, end);
    free(got);
    check_agreement(&cl, 4, end);
    cr_log_coord_free(c);
    for (int p = 0; p <= DUEL_MAX_POS; p++)
        free(d->committed[p]);
    free(d);
    cl_fini(&cl);
}

int
run_coordinator_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_elect_append_3),
        cmocka_unit_test(test_faults_5),
        cmocka_unit_test(test_five_two_down),
        cmocka_unit_test(test_no_quorum_then_quorum),
        cmocka_unit_test(test_deposed),
        cmocka_unit_test(test_recovery_with_holes),
        cmocka_unit_test(test_crash_mid_append),
        cmocka_unit_test(test_truncate),
        cmocka_unit_test(test_free_from_callback),
        cmocka_unit_test(test_dueling_coordinators),
    };
    return cmocka_run_group_tests_name("coordinator", tests, NULL, NULL);
}
