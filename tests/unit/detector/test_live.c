/* SPDX-License-Identifier: Apache-2.0
 *
 * test_live.c: the master detector against one real ZooKeeper server
 * (scripts/zk-ensemble.sh through the zk tests' harness; exit 77 when
 * ZooKeeper is unavailable). Masters are stood in for by contending zk
 * groups whose data is a MasterInfo JSON.
 *
 * Covers: the leader's address from its MasterInfo; a straight change of
 * leader; "no leader" once the last member leaves; a member with unusable
 * MasterInfo counting as no leader; a new member at the same address
 * reported again (a restarted master); the one-shot lookup, found and
 * timed out; closing from inside a callback.
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
#include "base/log.h"
#include "detector/master_detector.h"
#include "harness.h"
#include "recorder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct zk_ensemble ens;

/* What a detector reported. */
struct drec {
    struct cr_master_detector *d;
    int nreports; /* including "no leader" */
    bool has;
    char host[256];
    int port;
    uint64_t seq;
    bool close_in_cb;
    bool closed;
};

static void
on_closed(void *arg)
{
    ((struct drec *)arg)->closed = true;
}

static void
on_leader(void *arg, const struct cr_master_leader *l)
{
    struct drec *r = arg;
    r->nreports++;
    r->has = l != NULL;
    if (l != NULL) {
        snprintf(r->host, sizeof(r->host), "%s", l->addr.host);
        r->port = l->addr.port;
        r->seq = l->seq;
        assert_int_equal(strlen(l->info), l->info_len);
        assert_ptr_equal(cr_master_detector_leader(r->d), l);
    } else {
        assert_null(cr_master_detector_leader(r->d));
    }
    if (r->close_in_cb) {
        cr_master_detector_close(r->d, on_closed, r);
        r->d = NULL;
    }
}

static struct cr_zk_url
parse_url(const char *path)
{
    char text[1200], err[256];
    struct cr_zk_url u;
    snprintf(text, sizeof(text), "zk://%s%s", ens.connect, path);
    if (cr_zk_url_parse_text(text, &u, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    return u;
}

static void
drec_open(struct drec *r, const char *path)
{
    memset(r, 0, sizeof(*r));
    struct cr_zk_url u = parse_url(path);
    assert_int_equal(
        cr_master_detector_open(&test_loop, &u, 4, on_leader, r, &r->d), 0);
    cr_zk_url_fini(&u);
}

static bool
drec_closed(void *arg)
{
    return ((struct drec *)arg)->closed;
}

static void
drec_close(struct drec *r)
{
    cr_master_detector_close(r->d, on_closed, r);
    r->d = NULL;
    assert_true(loop_until(&test_loop, drec_closed, r, 10));
}

struct want {
    struct drec *r;
    int port; /* 0: no leader */
    int nreports;
};

static bool
want_reached(void *arg)
{
    struct want *w = arg;
    if (w->r->nreports < w->nreports)
        return false;
    return w->port == 0 ? !w->r->has : w->r->has && w->r->port == w->port;
}

/* Wait for the report number n to say port (0: no leader). */
static bool
wait_report(struct drec *r, int n, int port)
{
    struct want w = {r, port, n};
    return loop_until(&test_loop, want_reached, &w, 10);
}

static const char *
info(int port)
{
    static char buf[4][256];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]),
             "{\"id\":\"m%d\",\"ip\":16777343,\"port\":%d,\"hostname\":"
             "\"127.0.0.1\",\"address\":{\"ip\":\"127.0.0.1\",\"port\":%d}}",
             port, port, port);
    return buf[i];
}

static char *
url_text(const char *path)
{
    static char buf[1200];
    snprintf(buf, sizeof(buf), "zk://%s%s", ens.connect, path);
    return buf;
}

static void
test_follows_leader(void **state)
{
    (void)state;
    const char *path = "/detector/follow";
    struct drec r;
    drec_open(&r, path);

    struct mrec a, b;
    mrec_open(&a, url_text(path), 4, info(5001));
    assert_true(loop_until(&test_loop, mrec_elected, &a, 10));
    assert_true(wait_report(&r, 1, 5001));
    assert_string_equal(r.host, "127.0.0.1");
    assert_int_equal(r.seq, a.seq);

    mrec_open(&b, url_text(path), 4, info(5002));
    assert_true(loop_until(&test_loop, mrec_candidate, &b, 10));
    loop_for(&test_loop, 0.2);
    assert_int_equal(r.nreports, 1); /* a candidate changes nothing */

    /* The leader leaves: straight to the next one, no "no leader". */
    uint64_t t0 = cr_mono_ms();
    mrec_close(&a);
    assert_true(wait_report(&r, 2, 5002));
    assert_int_equal(r.nreports, 2);
    assert_int_equal(r.seq, b.seq);
    assert_true(cr_mono_ms() - t0 < 5000 * harness_mult());

    /* The last one leaves: "no leader". */
    mrec_close(&b);
    assert_true(wait_report(&r, 3, 0));

    /* A restarted master at the same address is a new leader. */
    mrec_open(&a, url_text(path), 4, info(5002));
    assert_true(loop_until(&test_loop, mrec_elected, &a, 10));
    assert_true(wait_report(&r, 4, 5002));
    assert_int_equal(r.seq, a.seq);
    mrec_close(&a);
    assert_true(wait_report(&r, 5, 0));
    drec_close(&r);
}

static void
test_unusable_master_info(void **state)
{
    (void)state;
    const char *path = "/detector/unusable";
    struct drec r;
    drec_open(&r, path);
    struct mrec a, b;
    mrec_open(&a, url_text(path), 4, "{\"hostname\":\"m\"}"); /* no port */
    assert_true(loop_until(&test_loop, mrec_elected, &a, 10));
    loop_for(&test_loop, 0.3);
    assert_int_equal(r.nreports, 0); /* no leader before, none now */
    assert_null(cr_master_detector_leader(r.d));

    /* An unusable leader after a usable one is "no leader". */
    mrec_open(&b, url_text(path), 4, info(5003));
    assert_true(loop_until(&test_loop, mrec_candidate, &b, 10));
    mrec_close(&a);
    assert_true(wait_report(&r, 1, 5003));
    mrec_open(&a, url_text(path), 4, "not json");
    assert_true(loop_until(&test_loop, mrec_candidate, &a, 10));
    mrec_close(&b);
    assert_true(wait_report(&r, 2, 0));
    mrec_close(&a);
    loop_for(&test_loop, 0.2);
    assert_int_equal(r.nreports, 2); /* "no leader" is reported once */
    drec_close(&r);
}

static void
test_close_in_callback(void **state)
{
    (void)state;
    const char *path = "/detector/close";
    struct mrec a;
    mrec_open(&a, url_text(path), 4, info(5004));
    assert_true(loop_until(&test_loop, mrec_elected, &a, 10));
    struct drec r;
    drec_open(&r, path);
    r.close_in_cb = true;
    assert_true(loop_until(&test_loop, drec_closed, &r, 10));
    assert_int_equal(r.nreports, 1);
    assert_int_equal(r.port, 5004);
    mrec_close(&a);
}

static void
test_detect_once(void **state)
{
    (void)state;
    const char *path = "/detector/once";
    struct cr_zk_url u = parse_url(path);
    struct cr_hostport hp;
    char err[256];

    /* Nobody leads: the deadline holds. */
    uint64_t t0 = cr_mono_ms();
    assert_int_equal(cr_master_detect_once(&u, 4, 0.5, &hp, err, sizeof(err)),
                     CR_ETIMEOUT);
    assert_non_null(strstr(err, "no leading master"));
    assert_true(cr_mono_ms() - t0 >= 500);
    assert_true(cr_mono_ms() - t0 < 5000 * harness_mult());

    struct mrec a;
    mrec_open(&a, url_text(path), 4, info(5005));
    assert_true(loop_until(&test_loop, mrec_elected, &a, 10));
    memset(&hp, 0, sizeof(hp));
    assert_int_equal(cr_master_detect_once(&u, 4, 10 * harness_mult(), &hp, err,
                                           sizeof(err)),
                     0);
    assert_string_equal(hp.host, "127.0.0.1");
    assert_int_equal(hp.port, 5005);
    mrec_close(&a);
    cr_zk_url_fini(&u);

    /* A server list the client library refuses (no port); the private
     * loop is still closed cleanly. */
    struct cr_zk_url bad = {.servers = "127.0.0.1", .path = "/x"};
    assert_true(cr_master_detect_once(&bad, 4, 1, &hp, err, sizeof(err)) < 0);
    assert_non_null(strstr(err, "cannot use ZooKeeper"));
}

int
main(void)
{
    cr_log_set_level(CR_LOG_WARN);
    uv_loop_init(&test_loop);
    int rc = zk_ensemble_start(&ens, 1);
    if (rc == HARNESS_SKIP) {
        fprintf(stderr, "detector_live: ZooKeeper unavailable, skipped\n");
        return HARNESS_SKIP;
    }
    if (rc != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_follows_leader),
        cmocka_unit_test(test_unusable_master_info),
        cmocka_unit_test(test_close_in_callback),
        cmocka_unit_test(test_detect_once),
    };
    int failed =
        cmocka_run_group_tests_name("detector_live", tests, NULL, NULL);
    zk_ensemble_stop(&ens);
    loop_for(&test_loop, 0.01);
    if (uv_loop_close(&test_loop) != 0) {
        fprintf(stderr, "detector_live: handles left open on the loop\n");
        failed++;
    }
    return failed ? 1 : 0;
}
