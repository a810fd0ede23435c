/* SPDX-License-Identifier: Apache-2.0
 *
 * test_recover.c: replicas coming to VOTING: auto-initialisation of an
 * all-empty cluster (3 replicas, and 1 with quorum 1), no
 * auto-initialisation beside a voting minority, nor before the whole
 * cluster (2 x quorum - 1) is known, a peer dying mid-initialisation (or
 * stopping and leaving ZooKeeper while another is STARTING), a
 * wiped replica catching
 * up from a quorum (values, unlearned acceptances and promises kept), a
 * voting replica catching up on positions it missed.
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
#include "log/recover.h"
#include "tests.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct fake_net_opts calm = {.max_delay_ms = 2, .seed = 11};

struct rdone {
    bool done;
    int err;
};

static void
on_rdone(void *data, int err)
{
    struct rdone *d = data;
    d->done = true;
    d->err = err;
}

static struct cr_log_recovery *
recovery(struct cluster *cl, int i, size_t quorum, bool auto_init)
{
    struct cr_log_recovery_cfg cfg = {
        .transport = fake_net_transport(cl->net),
        .replica = cl->r[i],
        .self = cl->names[i],
        .quorum = quorum,
        .auto_initialize = auto_init,
        .call_timeout = 0.06,
        .retry_min = 0.01,
        .seed = (uint64_t)i + 100,
    };
    struct cr_log_recovery *r = cr_log_recovery_new(&cl->loop, &cfg);
    cr_log_recovery_set_peers(r, cl->peers, (size_t)cl->n);
    return r;
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
elect(struct cluster *cl, struct cr_log_coord *c)
{
    struct res r = {0};
    assert_int_equal(cr_log_coord_elect(c, cl_on_res, &r), 0);
    assert_true(cl_wait(cl, &r, 10));
    assert_int_equal(r.err, 0);
}

struct all_done {
    struct rdone *d;
    int n;
};

static bool
all_done(void *data)
{
    struct all_done *a = data;
    for (int i = 0; i < a->n; i++)
        if (!a->d[i].done)
            return false;
    return true;
}

static void
test_auto_init_3(void **state)
{
    (void)state;
    struct cluster cl;
    cl_init(&cl, 3, false, &calm);
    struct cr_log_recovery *rec[3];
    struct rdone d[3] = {{0}};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cr_log_replica_status(cl.r[i]), CR_LOG_EMPTY);
        rec[i] = recovery(&cl, i, 2, true);
        assert_int_equal(cr_log_recovery_start(rec[i], on_rdone, &d[i]), 0);
        assert_false(d[i].done);
        assert_int_equal(cr_log_recovery_start(rec[i], on_rdone, &d[i]),
                         CR_ESTATE);
    }
    struct all_done a = {d, 3};
    assert_true(tu_run_until_pred(&cl.loop, all_done, &a, 10));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(d[i].err, 0);
        assert_int_equal(cr_log_replica_status(cl.r[i]), CR_LOG_VOTING);
        cr_log_recovery_free(rec[i]);
    }
    struct cr_log_coord *c = cl_coord(&cl, 1, 2, 1);
    elect(&cl, c);
    assert_int_equal(append(&cl, c, "first"), 1);
    cr_log_coord_free(c);
    cl_fini(&cl);
}

static bool
voting(void *data)
{
    return cr_log_replica_status(data) == CR_LOG_VOTING;
}

/* ZooKeeper lists replicas one by one: two that know only each other must
 * not initialise (the third, once listed, could then neither join nor
 * recover); once the third is known all three vote. */
static void
test_auto_init_waits_for_the_cluster(void **state)
{
    (void)state;
    struct cluster cl;
    cl_init(&cl, 3, false, &calm);
    struct cr_log_recovery *rec[3];
    struct rdone d[3] = {{0}};
    for (int i = 0; i < 3; i++) {
        rec[i] = recovery(&cl, i, 2, true);
        cr_log_recovery_set_peers(rec[i], cl.peers, 2); /* 0 and 1 only */
    }
    for (int i = 0; i < 2; i++)
        assert_int_equal(cr_log_recovery_start(rec[i], on_rdone, &d[i]), 0);
    /* Many rounds (retry 10 ms) with both answering: still EMPTY. */
    assert_false(tu_run_until_pred(&cl.loop, voting, cl.r[0], 0.5));
    assert_int_equal(cr_log_replica_status(cl.r[0]), CR_LOG_EMPTY);
    assert_int_equal(cr_log_replica_status(cl.r[1]), CR_LOG_EMPTY);
    for (int i = 0; i < 3; i++)
        cr_log_recovery_set_peers(rec[i], cl.peers, 3);
    assert_int_equal(cr_log_recovery_start(rec[2], on_rdone, &d[2]), 0);
    struct all_done a = {d, 3};
    assert_true(tu_run_until_pred(&cl.loop, all_done, &a, 10));
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cr_log_replica_status(cl.r[i]), CR_LOG_VOTING);
        cr_log_recovery_free(rec[i]);
    }
    cl_fini(&cl);
}

/* A replica that dies (and leaves ZooKeeper) once it votes does not keep
 * the other two from voting. */
static void
test_auto_init_survives_a_dead_peer(void **state)
{
    (void)state;
    struct cluster cl;
    cl_init(&cl, 3, false, &calm);
    struct cr_log_recovery *rec[3];
    struct rdone d[3] = {{0}};
    for (int i = 0; i < 3; i++)
        rec[i] = recovery(&cl, i, 2, true);
    for (int i = 0; i < 3; i++)
        assert_int_equal(cr_log_recovery_start(rec[i], on_rdone, &d[i]), 0);
    assert_true(tu_run_until_pred(&cl.loop, voting, cl.r[0], 10));
    fake_net_cut(cl.net, cl.names[0], true);
    const char *rest[2] = {cl.peers[1], cl.peers[2]};
    cr_log_recovery_set_peers(rec[1], rest, 2);
    cr_log_recovery_set_peers(rec[2], rest, 2);
    struct all_done a = {&d[1], 2};
    assert_true(tu_run_until_pred(&cl.loop, all_done, &a, 10));
    assert_int_equal(cr_log_replica_status(cl.r[1]), CR_LOG_VOTING);
    assert_int_equal(cr_log_replica_status(cl.r[2]), CR_LOG_VOTING);
    for (int i = 0; i < 3; i++)
        cr_log_recovery_free(rec[i]);
    cl_fini(&cl);
}

static void
set_status(struct cluster *cl, int i, enum cr_log_status to)
{
    struct rdone d = {0};
    assert_int_equal(
        cr_log_replica_set_status(cl->r[i], to, 0, "test", on_rdone, &d), 0);
    assert_true(tu_run_until(&cl->loop, &d.done, 5));
}

/* The leader stops (SIGSTOP: its requests hang) just after it voted, while
 * another replica is still STARTING; once it leaves ZooKeeper, that
 * replica's status round asks the peers left at once rather than waiting
 * out the call timeout for it, and votes. */
static void
test_auto_init_stopped_peer_left(void **state)
{
    (void)state;
    struct cluster cl;
    cl_init(&cl, 3, false, &calm);
    set_status(&cl, 0, CR_LOG_VOTING);
    set_status(&cl, 1, CR_LOG_STARTING);
    set_status(&cl, 2, CR_LOG_VOTING);
    fake_net_cut(cl.net, cl.names[0], true);
    struct cr_log_recovery_cfg cfg = {
        .transport = fake_net_transport(cl.net),
        .replica = cl.r[1],
        .self = cl.names[1],
        .quorum = 2,
        .auto_initialize = true,
        .call_timeout = 60, /* far beyond this test's deadlines */
        .retry_min = 0.01,
        .seed = 7,
    };
    struct cr_log_recovery *rec = cr_log_recovery_new(&cl.loop, &cfg);
    cr_log_recovery_set_peers(rec, cl.peers, 3);
    struct rdone d = {0};
    assert_int_equal(cr_log_recovery_start(rec, on_rdone, &d), 0);
    assert_false(tu_run_until(&cl.loop, &d.done, 0.2)); /* waits for 0 */
    const char *rest[2] = {cl.peers[1], cl.peers[2]};
    cr_log_recovery_set_peers(rec, rest, 2);
    assert_true(tu_run_until(&cl.loop, &d.done, 5));
    assert_int_equal(d.err, 0);
    assert_int_equal(cr_log_replica_status(cl.r[1]), CR_LOG_VOTING);
    cr_log_recovery_free(rec);
    cl_fini(&cl);
}

static void
test_auto_init_single(void **state)
{
    (void)state;
    struct cluster cl;
    cl_init(&cl, 1, false, &calm);
    struct cr_log_recovery *rec = recovery(&cl, 0, 1, true);
    struct rdone d = {0};
    assert_int_equal(cr_log_recovery_start(rec, on_rdone, &d), 0);
    assert_true(tu_run_until(&cl.loop, &d.done, 5));
    assert_int_equal(d.err, 0);
    assert_int_equal(cr_log_replica_status(cl.r[0]), CR_LOG_VOTING);
    /* already voting: completes at once, but not synchronously */
    d.done = false;
    assert_int_equal(cr_log_recovery_start(rec, on_rdone, &d), 0);
    assert_false(d.done);
    assert_true(tu_run_until(&cl.loop, &d.done, 5));
    cr_log_recovery_free(rec);
    cl_fini(&cl);
}

static void
set_voting(struct cluster *cl, int i)
{
    struct rdone d = {0};
    assert_int_equal(cr_log_replica_set_status(cl->r[i], CR_LOG_VOTING, 0,
                                               "test", on_rdone, &d),
                     0);
    assert_true(tu_run_until(&cl->loop, &d.done, 5));
}

static void
test_no_auto_init_beside_voters(void **state)
{
    (void)state;
    struct cluster cl;
    cl_init(&cl, 3, false, &calm);
    set_voting(&cl, 0); /* one replica kept its data, two lost theirs */
    struct cr_log_recovery *rec = recovery(&cl, 1, 2, true);
    struct cr_log_recovery *rec2 = recovery(&cl, 2, 2, true);
    struct rdone d = {0}, d2 = {0};
    assert_int_equal(cr_log_recovery_start(rec, on_rdone, &d), 0);
    assert_int_equal(cr_log_recovery_start(rec2, on_rdone, &d2), 0);
    assert_false(tu_run_until(&cl.loop, &d.done, 0.3));
    assert_int_equal(cr_log_replica_status(cl.r[1]), CR_LOG_EMPTY);
    struct cr_buf b;
    cr_buf_init(&b, 4096);
    cr_log_recovery_describe(rec, &b);
    assert_non_null(strstr(b.data, "VOTING 1"));
    assert_non_null(strstr(b.data, "--quorum=2"));
    cr_buf_fini(&b);
    cr_log_recovery_free(rec);
    assert_true(d.done);
    assert_int_equal(d.err, CR_ECANCELED_OP);
    cr_log_recovery_free(rec2);
    cl_fini(&cl);
}

static void
on_raw_reply(void *data, int err, const struct cr_log_msg *reply)
{
    assert_int_equal(err, 0);
    assert_int_equal(reply->result, CR_LOG_ACK);
    *(bool *)data = true;
}

static void
raw(struct cluster *cl, int i, struct cr_log_msg *m)
{
    bool done = false;
    cr_log_replica_handle(cl->r[i], m, on_raw_reply, &done);
    assert_true(tu_run_until(&cl->loop, &done, 5));
}

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
    raw(cl, i, &w);
    cr_log_msg_fini(&w);
}

static void
recover_one(struct cluster *cl, int i, size_t quorum)
{
    struct cr_log_recovery *rec = recovery(cl, i, quorum, true);
    struct rdone d = {0};
    assert_int_equal(cr_log_recovery_start(rec, on_rdone, &d), 0);
    assert_true(tu_run_until(&cl->loop, &d.done, 10));
    assert_int_equal(d.err, 0);
    assert_int_equal(cr_log_replica_status(cl->r[i]), CR_LOG_VOTING);
    cr_log_recovery_free(rec);
}

static void
test_wiped_replica_catches_up(void **state)
{
    (void)state;
    struct cluster cl;
    cl_init(&cl, 3, true, &calm);
    struct cr_log_coord *c = cl_coord(&cl, 0, 2, 2);
    elect(&cl, c);
    char texts[30][8];
    for (int i = 0; i < 30; i++) {
        snprintf(texts[i], sizeof(texts[i]), "w%d", i + 1);
        append(&cl, c, texts[i]);
    }
    /* (LEARNED messages still in flight die with their coordinator) */
    assert_true(cl_wait_learned(&cl, 2, 30, 5));
    cr_log_coord_free(c);
    uint64_t promised = cr_log_replica_promised(cl.r[0]);
    cl_restart(&cl, 2, true); /* the disk is gone */
    assert_int_equal(cr_log_replica_status(cl.r[2]), CR_LOG_EMPTY);
    recover_one(&cl, 2, 2);
    assert_true(cr_log_replica_promised(cl.r[2]) >= promised);
    char *got[30];
    cl_read(&cl, 2, 1, 30, got);
    for (int i = 0; i < 30; i++)
        assert_string_equal(got[i], texts[i]);
    cl_free_strs(got, 30);
    /* it can now back a new coordinator while r0 is away */
    fake_net_cut(cl.net, "r0", true);
    c = cl_coord(&cl, 2, 2, 3);
    elect(&cl, c);
    assert_int_equal(append(&cl, c, "w31"), 31);
    cr_log_coord_free(c);
    cl_fini(&cl);
}

static void
test_wiped_acceptor_keeps_choice(void **state)
{
    (void)state;
    struct cluster cl;
    cl_init(&cl, 3, true, &calm);
    /* "x" is chosen at position 1 by r0 and r2 (ballot 4), but nobody
     * learned it; r1 promised 6 meanwhile */
    raw_write(&cl, 0, 4, 1, "x");
    raw_write(&cl, 2, 4, 1, "x");
    struct cr_log_msg p = {.type = CR_LOG_MSG_PROMISE, .ballot = 6};
    raw(&cl, 1, &p);
    cl_restart(&cl, 2, true);
    recover_one(&cl, 2, 2);
    /* the promise of the quorum came back with the data */
    assert_true(cr_log_replica_promised(cl.r[2]) >= 6);
    struct cr_log_action a;
    assert_int_equal(cr_log_replica_get(cl.r[2], 1, &a), 0);
    assert_false(a.learned);
    assert_int_equal(a.performed, 4);
    cr_log_action_fini(&a);
    /* a coordinator hearing only r1 and r2 still finds "x" */
    fake_net_cut(cl.net, "r0", true);
    struct cr_log_coord *c = cl_coord(&cl, -1, 2, 4);
    elect(&cl, c);
    assert_true(cr_log_coord_ballot(c) > 6);
    assert_true(cl_wait_learned(&cl, 1, 1, 5));
    char *got[1];
    cl_read(&cl, 1, 1, 1, got);
    assert_string_equal(got[0], "x");
    cl_free_strs(got, 1);
    cr_log_coord_free(c);
    cl_fini(&cl);
}

static void
test_voting_catch_up(void **state)
{
    (void)state;
    struct cluster cl;
    cl_init(&cl, 3, true, &calm);
    struct cr_log_coord *c = cl_coord(&cl, 0, 2, 5);
    elect(&cl, c);
    fake_net_cut(cl.net, "r2", true);
    for (int i = 0; i < 12; i++)
        append(&cl, c, "m");
    fake_net_cut(cl.net, "r2", false);
    assert_int_equal(cr_log_replica_first_unlearned(cl.r[2]), 1);
    assert_true(cl_wait_learned(&cl, 1, 12, 5));
    struct cr_log_recovery *rec = recovery(&cl, 2, 2, true);
    struct rdone d = {0};
    assert_int_equal(cr_log_recovery_catchup(rec, on_rdone, &d), 0);
    assert_true(tu_run_until(&cl.loop, &d.done, 5));
    assert_int_equal(d.err, 0);
    assert_int_equal(cr_log_replica_first_unlearned(cl.r[2]), 13);
    char *got[12];
    cl_read(&cl, 2, 1, 12, got);
    for (int i = 0; i < 12; i++)
        assert_string_equal(got[i], "m");
    cl_free_strs(got, 12);
    cr_log_recovery_free(rec);
    cr_log_coord_free(c);
    cl_fini(&cl);
}

int
run_recover_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_auto_init_3),
        cmocka_unit_test(test_auto_init_single),
        cmocka_unit_test(test_auto_init_waits_for_the_cluster),
        cmocka_unit_test(test_auto_init_survives_a_dead_peer),
        cmocka_unit_test(test_auto_init_stopped_peer_left),
        cmocka_unit_test(test_no_auto_init_beside_voters),
        cmocka_unit_test(test_wiped_replica_catches_up),
        cmocka_unit_test(test_wiped_acceptor_keeps_choice),
        cmocka_unit_test(test_voting_catch_up),
    };
    return cmocka_run_group_tests_name("recover", tests, NULL, NULL);
}
