/* SPDX-License-Identifier: Apache-2.0
 *
 * test_live.c: the session and group layers against one real ZooKeeper
 * server (standalone), started once for the whole binary.
 *
 * Covers: connecting, create/get/children/exists/delete with watches,
 * digest ACLs, cancellation on close, two contenders and a detector
 * (exactly one leader; failover on close), session expiry forced by taking
 * the session over from a second handle (LOST, "no leader", a new session,
 * detection again), and fencing: a server frozen with SIGSTOP makes the
 * leader report LOST within the session timeout, before any other member
 * could have been elected.
 */

/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/clock.h"
#include "base/err.h"
#include "harness.h"
#include "recorder.h"
#include "zk/group.h"
#include "zk/session_private.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zookeeper/zookeeper.h>

static struct zk_ensemble ens;

static char *
zk_url(const char *path)
{
    static char buf[1200];
    snprintf(buf, sizeof(buf), "zk://%s%s", ens.connect, path);
    return buf;
}

static void
test_session_connect(void **state)
{
    struct srec r;
    struct cr_zk_session *s = srec_open(&r, ens.connect, NULL, 4.0);
    assert_int_equal(cr_zk_session_state(s), CR_ZK_CONNECTED);
    assert_int_equal(r.nstates, 1);
    assert_true(cr_zk_session_id(s) != 0);
    assert_true(cr_zk_session_timeout(s) == 4.0);
    srec_close(&r);
}

static void
test_open_errors(void **state)
{
    struct cr_zk_session *s = NULL;
    struct cr_zk_session_config c = {.servers = "", .timeout_secs = 4};
    assert_int_equal(cr_zk_session_open(&test_loop, &c, &s), CR_EINVAL_INPUT);
    c.servers = ens.connect;
    c.timeout_secs = 0;
    assert_int_equal(cr_zk_session_open(&test_loop, &c, &s), CR_EINVAL_INPUT);
    c.timeout_secs = 4;
    c.auth = "no-colon";
    assert_int_equal(cr_zk_session_open(&test_loop, &c, &s), CR_EINVAL_INPUT);
    c.auth = NULL;
    c.servers = "127.0.0.1"; /* no port: the client library refuses */
    assert_true(cr_zk_session_open(&test_loop, &c, &s) < 0);
    assert_null(s);
    loop_for(&test_loop, 0.01); /* release the refused session's handles */
}

static void
test_ops_and_watches(void **state)
{
    struct srec r;
    struct res x = {0};
    struct cr_zk_session *s = srec_open(&r, ens.connect, NULL, 4.0);

    assert_int_equal(sync_create(s, "/ops", NULL, 0, &x), 0);
    assert_string_equal(x.path, "/ops");
    assert_int_equal(sync_create(s, "/ops/a", "hello", 0, &x), 0);
    assert_int_equal(sync_create(s, "/ops/a", "again", 0, &x),
                     CR_ZK_ENODEEXISTS);

    assert_int_equal(sync_get(s, "/ops/a", true, &x), 0);
    assert_int_equal(x.len, 5);
    assert_string_equal(x.data, "hello");
    assert_true(x.has_stat);
    assert_int_equal(x.stat.version, 0);
    assert_int_equal(x.stat.data_length, 5);
    assert_true(x.stat.ephemeral_owner == 0);

    assert_int_equal(sync_get(s, "/ops/missing", false, &x), CR_ZK_ENONODE);
    assert_false(x.has_stat);
    assert_null(x.data);

    assert_int_equal(sync_exists(s, "/ops/b", true, &x), CR_ZK_ENONODE);
    assert_int_equal(sync_children(s, "/ops", true, &x), 0);
    assert_int_equal(x.n, 1);
    assert_string_equal(x.children[0], "a");

    assert_int_equal(sync_create(s, "/ops/b", NULL, 0, &x), 0);
    assert_true(srec_saw(&r, CR_ZK_EVENT_CREATED, "/ops/b"));
    assert_true(srec_saw(&r, CR_ZK_EVENT_CHILD, "/ops"));
    assert_int_equal(sync_exists(s, "/ops/b", false, &x), 0);
    assert_true(x.has_stat);

    assert_int_equal(sync_delete(s, "/ops/a", &x), 0);
    assert_true(srec_saw(&r, CR_ZK_EVENT_DELETED, "/ops/a"));
    assert_int_equal(sync_delete(s, "/ops", &x), CR_ZK_ENOTEMPTY);

    /* Ephemeral + sequential: ten-digit suffix, owned by our session. */
    assert_int_equal(
        sync_create(s, "/ops/e-", "x", CR_ZK_EPHEMERAL | CR_ZK_SEQUENTIAL, &x),
        0);
    assert_int_equal(strlen(x.path), strlen("/ops/e-") + 10);
    char eph[256];
    snprintf(eph, sizeof(eph), "%s", x.path);
    assert_int_equal(sync_get(s, eph, false, &x), 0);
    assert_true(x.stat.ephemeral_owner == cr_zk_session_id(s));

    /* A larger value round-trips; one over the bound is refused. */
    size_t big = 200 * 1024;
    char *data = malloc(big + 1);
    memset(data, 'z', big);
    data[big] = '\0';
    assert_int_equal(sync_create(s, "/ops/big", data, 0, &x), 0);
    assert_int_equal(sync_get(s, "/ops/big", false, &x), 0);
    assert_int_equal(x.len, big);
    assert_memory_equal(x.data, data, big);
    free(data);
    assert_int_equal(
        cr_zk_create(s, "/ops/huge", "", CR_ZK_DATA_MAX + 1, 0, on_res, &x),
        CR_ETOOBIG);
    assert_int_equal(cr_zk_get(s, "relative", false, on_res, &x),
                     CR_EINVAL_INPUT);
    assert_int_equal(cr_zk_create(s, "/ops/f", "", 0, 99, on_res, &x),
                     CR_EINVAL_INPUT);
    res_fini(&x);
    srec_close(&r);

    /* The ephemeral node went away with the session. */
    s = srec_open(&r, ens.connect, NULL, 4.0);
    assert_int_equal(sync_exists(s, eph, false, &x), CR_ZK_ENONODE);
    res_fini(&x);
    srec_close(&r);
}

static void
test_cancel_on_close(void **state)
{
    struct srec r;
    struct res x = {0};
    struct cr_zk_session *s = srec_open(&r, ens.connect, NULL, 4.0);
    assert_int_equal(cr_zk_get(s, "/", false, on_res, &x), 0);
    int nstates = r.nstates;
    cr_zk_session_close(s, NULL, NULL);
    /* Closed: new operations are refused, pending ones cancelled. */
    struct res y = {0};
    assert_int_equal(cr_zk_get(s, "/", false, on_res, &y), CR_ESTATE);
    assert_true(loop_until(&test_loop, res_done, &x, 10));
    assert_int_equal(x.rc, CR_ECANCELED_OP);
    assert_int_equal(r.nstates, nstates);
    loop_for(&test_loop, 0.05);
    res_fini(&x);
}

static void
test_digest_acl(void **state)
{
    struct srec ra, rb, rc;
    struct res x = {0};
    struct cr_zk_session *a = srec_open(&ra, ens.connect, "alice:secret", 4);
    struct cr_zk_session *b = srec_open(&rb, ens.connect, NULL, 4);
    struct cr_zk_session *c = srec_open(&rc, ens.connect, "alice:wrong", 4);

    assert_int_equal(sync_create(a, "/secure", "s", 0, &x), 0);
    assert_int_equal(sync_get(b, "/secure", false, &x), 0); /* world read */
    assert_string_equal(x.data, "s");
    assert_int_equal(sync_create(b, "/secure/x", NULL, 0, &x), CR_ZK_ENOAUTH);
    assert_int_equal(sync_create(c, "/secure/x", NULL, 0, &x), CR_ZK_ENOAUTH);
    assert_int_equal(sync_create(a, "/secure/x", NULL, 0, &x), 0);
    res_fini(&x);
    srec_close(&ra);
    srec_close(&rb);
    srec_close(&rc);
}

static void
test_election(void **state)
{
    const char *url = zk_url("/corral/election");
    struct mrec a, b, d;
    mrec_open(&a, url, 4, "A-info");
    assert_true(loop_until(&test_loop, mrec_elected, &a, 10));
    assert_int_equal(a.ncand, 1);
    assert_int_equal(a.nelected, 1);
    assert_true(a.has_leader && a.self);
    assert_string_equal(a.data, "A-info");
    assert_int_equal(a.lseq, a.seq);
    assert_true(cr_zk_group_is_leader(a.g));
    assert_int_equal(cr_zk_group_contend(a.g, "x", 1), CR_ESTATE);

    mrec_open(&b, url, 4, "B-info");
    mrec_open(&d, url, 4, NULL);
    assert_true(loop_until(&test_loop, mrec_candidate, &b, 10));
    assert_true(b.seq > a.seq);
    assert_true(mrec_wait_leader(&b, "A-info", 10));
    assert_false(b.self);
    assert_true(mrec_wait_leader(&d, "A-info", 10));
    assert_false(d.self);
    assert_int_equal(b.nelected, 0);
    assert_false(cr_zk_group_is_leader(b.g));

    /* Non-member nodes, even with low numbers, are ignored. */
    struct srec r;
    struct res x = {0};
    struct cr_zk_session *s = srec_open(&r, ens.connect, NULL, 4);
    assert_int_equal(
        sync_create(s, "/corral/election/info_0000000000", "old", 0, &x), 0);
    assert_int_equal(
        sync_create(s, "/corral/election/log_replicas", NULL, 0, &x), 0);

    /* Exactly one leader; the leader leaves: B takes over. */
    assert_int_equal(a.nelected + b.nelected, 1);
    int d_reports = d.nleader;
    mrec_close(&a);
    assert_true(loop_until(&test_loop, mrec_elected, &b, 10));
    assert_true(b.self);
    assert_string_equal(b.data, "B-info");
    assert_int_equal(b.nlost, 0);
    assert_true(mrec_wait_leader(&d, "B-info", 10));
    assert_int_equal(d.nleader, d_reports + 1); /* straight from A to B */
    assert_int_equal(d.lseq, b.seq);
    assert_false(d.self);

    /* The last member leaves: "no leader". */
    mrec_close(&b);
    assert_true(loop_until(&test_loop, mrec_no_leader, &d, 10));
    assert_int_equal(d.ncand + d.nelected + d.nlost, 0);
    mrec_close(&d);
    assert_int_equal(sync_delete(s, "/corral/election/info_0000000000", &x), 0);
    res_fini(&x);
    srec_close(&r);
}

/* A second handle on the same session signals its CONNECTED at once, so
 * the test can close it before the first client steals the session back. */
struct takeover {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool connected;
};

static void
takeover_watcher(zhandle_t *zh, int type, int state, const char *path,
                 void *ctx)
{
    struct takeover *t = ctx;
    if (type != ZOO_SESSION_EVENT || state != ZOO_CONNECTED_STATE)
        return;
    pthread_mutex_lock(&t->mu);
    t->connected = true;
    pthread_cond_signal(&t->cond);
    pthread_mutex_unlock(&t->mu);
}

/* Attach a handle with the session's id and password and close it as soon
 * as it is connected: the servers end the session, and the owner hears
 * EXPIRED when it reconnects. */
static void
take_over_and_close(const clientid_t *cid)
{
    struct takeover t = {.connected = false};
    pthread_mutex_init(&t.mu, NULL);
    pthread_cond_init(&t.cond, NULL);
    zhandle_t *h =
        zookeeper_init(ens.connect, takeover_watcher, 4000, cid, &t, 0);
    assert_non_null(h);
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 10;
    pthread_mutex_lock(&t.mu);
    while (!t.connected &&
           pthread_cond_timedwait(&t.cond, &t.mu, &deadline) == 0)
        ;
    pthread_mutex_unlock(&t.mu);
    zookeeper_close(h);
    pthread_cond_destroy(&t.cond);
    pthread_mutex_destroy(&t.mu);
}

/* Expire the group's session from outside. The first client reconnects
 * (taking the session back) within milliseconds, so the close may miss
 * its window; retry a few times. */
static void
expire_session_of(struct mrec *m)
{
    struct cr_zk_session *s = cr_zk_group_session(m->g);
    assert_non_null(s);
    clientid_t cid;
    assert_int_equal(cr_zk_session_credentials(s, &cid.client_id, cid.passwd),
                     0);
    for (int i = 0; i < 10 && m->nlost == 0; i++) {
        take_over_and_close(&cid);
        loop_until(&test_loop, mrec_lost, m, 2);
    }
}

static bool
new_session_connected(void *arg)
{
    struct mrec *m = arg;
    struct cr_zk_session *s = cr_zk_group_session(m->g);
    return s != NULL && cr_zk_session_state(s) == CR_ZK_CONNECTED;
}

static void
test_expiry(void **state)
{
    const char *url = zk_url("/corral/expiry");
    struct mrec x, d, y;
    mrec_open(&x, url, 4, "X");
    mrec_open(&d, url, 4, NULL);
    assert_true(loop_until(&test_loop, mrec_elected, &x, 10));
    int64_t old_id = cr_zk_session_id(cr_zk_group_session(x.g));

    expire_session_of(&x);
    assert_true(loop_until(&test_loop, mrec_lost, &x, 10));
    assert_int_equal(x.nlost, 1);
    assert_non_null(strstr(x.reason, "expired"));
    assert_false(cr_zk_group_is_leader(x.g));
    assert_false(x.has_leader); /* "no leader" reported with the loss */
    assert_true(loop_until(&test_loop, mrec_no_leader, &d, 10));

    /* The group opened a new session by itself and detects again. */
    assert_true(loop_until(&test_loop, new_session_connected, &x, 10));
    assert_true(cr_zk_session_id(cr_zk_group_session(x.g)) != old_id);
    mrec_open(&y, url, 4, "Y");
    assert_true(loop_until(&test_loop, mrec_elected, &y, 10));
    assert_true(mrec_wait_leader(&x, "Y", 10));
    assert_true(mrec_wait_leader(&d, "Y", 10));

    /* The owner may contend again: a candidate behind Y. */
    assert_int_equal(cr_zk_group_contend(x.g, "X2", 2), 0);
    assert_true(mrec_wait_counts(&x, 2, 1, 10));
    assert_int_equal(x.nelected, 1);
    assert_true(x.seq > y.seq);
    mrec_close(&y);
    assert_true(mrec_wait_counts(&x, 2, 2, 10));
    assert_true(mrec_wait_leader(&d, "X2", 10));
    mrec_close(&x);
    mrec_close(&d);
}

static void
test_fencing_sigstop(void **state)
{
    const double timeout = 2.0;
    struct mrec f;
    mrec_open(&f, zk_url("/corral/fence"), timeout, "F");
    assert_true(loop_until(&test_loop, mrec_elected, &f, 10));
    assert_true(cr_zk_session_timeout(cr_zk_group_session(f.g)) == timeout);

    pid_t pid = zk_ensemble_pid(&ens, 1);
    assert_true(pid > 1);
    uint64_t t0 = cr_mono_ms();
    assert_int_equal(kill(pid, SIGSTOP), 0);
    bool lost = loop_until(&test_loop, mrec_lost, &f, timeout * 3);
    uint64_t elapsed = cr_mono_ms() - t0;
    kill(pid, SIGCONT);
    assert_true(lost);
    /* The server is frozen, so only our own expiry can say this, and it
     * must come within the session timeout of the last server contact. */
    fprintf(stderr, "fencing: LOST %llu ms after SIGSTOP\n",
            (unsigned long long)elapsed);
    assert_true(elapsed <= (uint64_t)(timeout * 1000 * harness_mult()) + 250);
    assert_non_null(strstr(f.reason, "expired"));
    assert_false(cr_zk_group_is_leader(f.g));

    /* After the server resumes: a new session, and we can lead again. */
    assert_true(loop_until(&test_loop, new_session_connected, &f, 15));
    assert_int_equal(cr_zk_group_contend(f.g, "F2", 2), 0);
    assert_true(mrec_wait_counts(&f, 2, 2, 15));
    assert_string_equal(f.data, "F2");
    mrec_close(&f);
}

int
main(void)
{
    uv_loop_init(&test_loop);
    int rc = zk_ensemble_start(&ens, 1);
    if (rc == HARNESS_SKIP) {
        fprintf(stderr, "zk_live: ZooKeeper unavailable, skipped\n");
        return HARNESS_SKIP;
    }
    if (rc != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_session_connect),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_ops_and_watches),
        cmocka_unit_test(test_cancel_on_close),
        cmocka_unit_test(test_digest_acl),
        cmocka_unit_test(test_election),
        cmocka_unit_test(test_expiry),
        cmocka_unit_test(test_fencing_sigstop),
    };
    int failed = cmocka_run_group_tests_name("zk_live", tests, NULL, NULL);
    zk_ensemble_stop(&ens);
    loop_for(&test_loop, 0.01);
    if (uv_loop_close(&test_loop) != 0) {
        fprintf(stderr, "zk_live: handles left open on the loop\n");
        failed++;
    }
    return failed ? 1 : 0;
}
