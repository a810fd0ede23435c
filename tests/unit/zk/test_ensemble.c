/* SPDX-License-Identifier: Apache-2.0
 *
 * test_ensemble.c: leader election over a real 3-server ensemble, losing
 * one server.
 *
 * The client library is told to try servers in the order given, and the
 * server that leads the ensemble is put first, so every session starts on
 * it; killing it forces each session to move to another server while the
 * two survivors elect a new ensemble leader (the worst case). Our leader
 * must ride through that without a LOST (its session survives: same id,
 * no expiry), detectors must keep reporting it, and the two remaining
 * servers still form a quorum for new members and a failover.
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
#include "harness.h"
#include "recorder.h"
#include "zk/group.h"

#include <stdio.h>
#include <string.h>
#include <zookeeper/zookeeper.h>

static struct zk_ensemble ens;

static void
test_kill_one_of_three(void **state)
{
    int victim = zk_ensemble_leader(&ens);
    assert_true(victim >= 1);
    char url[1200];
    int off = snprintf(url, sizeof(url), "zk://127.0.0.1:%d",
                       zk_ensemble_port(&ens, victim));
    for (int i = 1; i <= ens.n; i++)
        if (i != victim)
            off += snprintf(url + off, sizeof(url) - (size_t)off,
                            ",127.0.0.1:%d", zk_ensemble_port(&ens, i));
    snprintf(url + off, sizeof(url) - (size_t)off, "/corral/ha");
    struct mrec l, d;
    mrec_open(&l, url, 0 /* default 10 s */, "L");
    mrec_open(&d, url, 0, NULL);
    assert_true(loop_until(&test_loop, mrec_elected, &l, 15));
    assert_true(mrec_wait_leader(&d, "L", 10));
    struct cr_zk_session *ls = cr_zk_group_session(l.g);
    int64_t id = cr_zk_session_id(ls);
    int d_reports = d.nleader;

    uint64_t t0 = cr_mono_ms();
    assert_int_equal(zk_ensemble_stop_node(&ens, victim), 0);

    /* A write through the leader's session proves it reconnected. */
    struct res x = {0};
    assert_int_equal(cr_zk_create(ls, "/corral/ha-probe", "", 0,
                                  CR_ZK_EPHEMERAL, on_res, &x),
                     0);
    assert_true(loop_until(&test_loop, res_done, &x, 15));
    while (x.rc == CR_ZK_ECONNLOSS) { /* sent before the switch: retry */
        res_fini(&x);
        assert_int_equal(cr_zk_create(ls, "/corral/ha-probe", "", 0,
                                      CR_ZK_EPHEMERAL, on_res, &x),
                         0);
        assert_true(loop_until(&test_loop, res_done, &x, 15));
    }
    assert_int_equal(x.rc, 0);
    fprintf(stderr,
            "ensemble: leader's session usable again %llu ms after "
            "losing its server (the ensemble leader)\n",
            (unsigned long long)(cr_mono_ms() - t0));
    res_fini(&x);

    /* No interruption: same session, still leading, no LOST. */
    assert_true(cr_zk_group_session(l.g) == ls);
    assert_int_equal(cr_zk_session_state(ls), CR_ZK_CONNECTED);
    assert_true(cr_zk_session_id(ls) == id);
    assert_int_equal(l.nlost, 0);
    assert_true(cr_zk_group_is_leader(l.g));
    assert_true(loop_until(&test_loop, mrec_connected, &d, 15));
    assert_true(mrec_wait_leader(&d, "L", 1));
    assert_int_equal(d.nleader, d_reports);

    /* Two of three still elect: a new member, then a failover. */
    struct mrec n;
    mrec_open(&n, url, 0, "N");
    assert_true(loop_until(&test_loop, mrec_candidate, &n, 15));
    assert_true(mrec_wait_leader(&n, "L", 10));
    assert_int_equal(n.nelected, 0);
    mrec_close(&l);
    assert_true(loop_until(&test_loop, mrec_elected, &n, 15));
    assert_true(mrec_wait_leader(&d, "N", 10));
    mrec_close(&n);
    mrec_close(&d);
}

int
main(void)
{
    uv_loop_init(&test_loop);
    int rc = zk_ensemble_start(&ens, 3);
    if (rc == HARNESS_SKIP) {
        fprintf(stderr, "zk_ensemble: ZooKeeper unavailable, skipped\n");
        return HARNESS_SKIP;
    }
    if (rc != 0)
        return 1;
    zoo_deterministic_conn_order(1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_one_of_three),
    };
    int failed = cmocka_run_group_tests_name("zk_ensemble", tests, NULL, NULL);
    zk_ensemble_stop(&ens);
    loop_for(&test_loop, 0.01);
    if (uv_loop_close(&test_loop) != 0) {
        fprintf(stderr, "zk_ensemble: handles left open on the loop\n");
        failed++;
    }
    return failed ? 1 : 0;
}
