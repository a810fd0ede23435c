/* SPDX-License-Identifier: Apache-2.0
 *
 * test_sched_zk.c: libcorral_scheduler with "zk://" masters, against two
 * fake masters on loopback and one real ZooKeeper server (the zk tests'
 * harness; exit 77 when ZooKeeper is unavailable). Contending zk groups
 * whose data is a fake master's MasterInfo stand in for the real masters'
 * election.
 *
 * Covers: nothing is sent before a leader is known; subscribing to the
 * leader; a change of leader closing the stream at once and re-subscribing
 * to the new leader with the framework id, promptly (no backoff); "no
 * leader" (BACKOFF, nothing sent); a leader again; a failed stream retried
 * against the leader; cr_sched_close() with its callback; file:// URLs.
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
#include "base/json.h"
#include "base/log.h"
#include "fake_master.h"
#include "harness.h"
#include "net/http_client.h"
#include "recorder.h"
#include "scheduler/scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct zk_ensemble ens;

struct rec {
    int n_subscribed, n_disconnected;
    char last_reason[256];
    char master_at_subscribed[300];
    bool released;
};

static void
on_subscribed(struct cr_sched *s, void *data, json_t *sub)
{
    struct rec *r = data;
    r->n_subscribed++;
    snprintf(r->master_at_subscribed, sizeof(r->master_at_subscribed), "%s",
             cr_sched_master(s));
}

static void
on_disconnected(struct cr_sched *s, void *data, const char *reason)
{
    struct rec *r = data;
    r->n_disconnected++;
    snprintf(r->last_reason, sizeof(r->last_reason), "%s", reason);
}

static const struct cr_sched_callbacks cbs = {
    .subscribed = on_subscribed,
    .disconnected = on_disconnected,
};

struct count_want {
    const int *v;
    int want;
};

static bool
count_reached(void *arg)
{
    struct count_want *w = arg;
    return *w->v >= w->want;
}

static bool
wait_count(const int *v, int want)
{
    struct count_want w = {v, want};
    return loop_until(&test_loop, count_reached, &w, 10);
}

static const char *
info(int port)
{
    static char buf[4][256];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]),
             "{\"id\":\"m%d\",\"hostname\":\"127.0.0.1\",\"port\":%d,"
             "\"address\":{\"ip\":\"127.0.0.1\",\"port\":%d}}",
             port, port, port);
    return buf[i];
}

static const char *
zk_url(const char *path)
{
    static char buf[1200];
    snprintf(buf, sizeof(buf), "zk://%s%s", ens.connect, path);
    return buf;
}

static struct cr_sched *
new_sched(const char *masters, struct rec *r)
{
    json_t *fi = json_pack("{s:s,s:s,s:f}", "user", "root", "name", "zk",
                           "failover_timeout", 60.0);
    struct cr_sched *s = cr_sched_new(&test_loop, masters, fi, &cbs, r);
    json_decref(fi);
    assert_non_null(s);
    struct cr_sched_options o = {.backoff_min = 0.05,
                                 .backoff_max = 0.2,
                                 .connect_timeout = 2,
                                 .call_timeout = 5,
                                 .zk_session_timeout = 4};
    cr_sched_set_options(s, &o);
    return s;
}

static bool
released(void *arg)
{
    return ((struct rec *)arg)->released;
}

static void
on_released(void *arg)
{
    ((struct rec *)arg)->released = true;
}

static void
close_sched(struct cr_sched *s, struct rec *r)
{
    cr_sched_close(s, on_released, r);
    assert_true(loop_until(&test_loop, released, r, 10));
}

static const char *
addr(int port)
{
    static char buf[2][32];
    static int i;
    i = (i + 1) % 2;
    snprintf(buf[i], sizeof(buf[i]), "127.0.0.1:%d", port);
    return buf[i];
}

static bool
stream_gone(void *arg)
{
    return ((struct fake_master *)arg)->stream == NULL;
}

static void
test_follows_the_leader(void **state)
{
    (void)state;
    const char *path = "/sched/follow";
    struct fake_master a, b;
    fake_master_init(&a, &test_loop);
    fake_master_init(&b, &test_loop);
    struct rec r = {0};
    struct cr_sched *s = new_sched(zk_url(path), &r);
    assert_non_null(strstr(cr_sched_master(s), "zk://"));

    /* No leader yet: nothing is sent. */
    assert_int_equal(cr_sched_start(s), 0);
    assert_int_equal(cr_sched_state(s), CR_SCHED_CONNECTING);
    loop_for(&test_loop, 0.3);
    assert_int_equal(a.n_subscribes + b.n_subscribes, 0);

    /* A leads: subscribe there. */
    struct mrec ga, gb;
    mrec_open(&ga, zk_url(path), 4, info(a.port));
    assert_true(wait_count(&r.n_subscribed, 1));
    assert_string_equal(r.master_at_subscribed, addr(a.port));
    assert_string_equal(cr_sched_framework_id(s), "fw-1");
    assert_int_equal(a.n_subscribes, 1);
    assert_null(json_object_get(a.last_subscribe, "framework_id"));

    /* B stands by; A's node goes: re-subscribe to B at once, with the
     * framework id, and A's stream is closed. */
    mrec_open(&gb, zk_url(path), 4, info(b.port));
    assert_true(loop_until(&test_loop, mrec_candidate, &gb, 10));
    uint64_t t0 = cr_mono_ms();
    mrec_close(&ga);
    assert_true(wait_count(&r.n_subscribed, 2));
    uint64_t took = cr_mono_ms() - t0;
    assert_string_equal(r.master_at_subscribed, addr(b.port));
    assert_int_equal(r.n_disconnected, 1);
    assert_string_equal(r.last_reason, "the leading master changed");
    assert_int_equal(b.n_subscribes, 1);
    assert_string_equal(cr_json_id(b.last_subscribe, "framework_id"), "fw-1");
    assert_string_equal(
        cr_json_id(
            json_object_get(json_object_get(b.last_subscribe, "subscribe"),
                            "framework_info"),
            "id"),
        "fw-1");
    assert_true(loop_until(&test_loop, stream_gone, &a, 5));
    assert_int_equal(a.n_subscribes, 1);
    /* jitter <= 0.1 s, plus ZooKeeper's notification and a round trip */
    if (took > 1000 * harness_mult())
        fail_msg("re-subscribing took %llu ms", (unsigned long long)took);

    /* B's stream breaks while B still leads: retried against B. */
    fake_master_drop(&b);
    assert_true(wait_count(&r.n_subscribed, 3));
    assert_int_equal(b.n_subscribes, 2);
    assert_int_equal(a.n_subscribes, 1);

    /* No leader: drop the stream and wait; nothing is sent. */
    mrec_close(&gb);
    assert_true(wait_count(&r.n_disconnected, 3));
    assert_string_equal(r.last_reason, "no leading master in ZooKeeper");
    assert_int_equal(cr_sched_state(s), CR_SCHED_BACKOFF);
    loop_for(&test_loop, 0.5);
    assert_int_equal(a.n_subscribes, 1);
    assert_int_equal(b.n_subscribes, 2);
    assert_int_equal(cr_sched_state(s), CR_SCHED_BACKOFF);

    /* A leads again. */
    mrec_open(&ga, zk_url(path), 4, info(a.port));
    assert_true(wait_count(&r.n_subscribed, 4));
    assert_string_equal(r.master_at_subscribed, addr(a.port));
    assert_string_equal(cr_json_id(a.last_subscribe, "framework_id"), "fw-1");

    close_sched(s, &r);
    mrec_close(&ga);
    fake_master_fini(&a);
    fake_master_fini(&b);
    cr_http_client_shutdown(&test_loop);
    loop_for(&test_loop, 0.05);
}

static void
test_file_url_and_bad_urls(void **state)
{
    (void)state;
    const char *path = "/sched/file";
    struct fake_master a;
    fake_master_init(&a, &test_loop);
    struct mrec ga;
    mrec_open(&ga, zk_url(path), 4, info(a.port));
    assert_true(loop_until(&test_loop, mrec_elected, &ga, 10));

    char file[] = "/tmp/corral-sched-zk-XXXXXX";
    int fd = mkstemp(file);
    assert_true(fd >= 0);
    char content[1300];
    int n = snprintf(content, sizeof(content), "%s\n", zk_url(path));
    assert_int_equal(write(fd, content, (size_t)n), n);
    close(fd);
    char url[64];
    snprintf(url, sizeof(url), "file://%s", file);
    struct rec r = {0};
    struct cr_sched *s = new_sched(url, &r);
    assert_int_equal(cr_sched_start(s), 0);
    assert_true(wait_count(&r.n_subscribed, 1));
    assert_string_equal(r.master_at_subscribed, addr(a.port));
    close_sched(s, &r);

    /* freeing before start, and bad URLs */
    r.released = false;
    s = new_sched(zk_url(path), &r);
    close_sched(s, &r);
    json_t *fi = json_pack("{s:s,s:s}", "user", "u", "name", "n");
    assert_null(cr_sched_new(&test_loop, "zk://", fi, &cbs, &r));
    assert_null(cr_sched_new(&test_loop, "zk://h:1/a/../b", fi, &cbs, &r));
    assert_null(
        cr_sched_new(&test_loop, "file:///nonexistent/zk", fi, &cbs, &r));
    /* no ZooKeeper server there: waits (nothing sent), closes promptly */
    s = cr_sched_new(&test_loop, "zk://127.0.0.1:1/x", fi, &cbs, &r);
    assert_non_null(s);
    json_decref(fi);
    assert_int_equal(cr_sched_start(s), 0);
    loop_for(&test_loop, 0.2);
    assert_int_equal(cr_sched_state(s), CR_SCHED_CONNECTING);
    assert_int_equal(r.n_subscribed, 1);
    r.released = false;
    close_sched(s, &r);

    unlink(file);
    mrec_close(&ga);
    fake_master_fini(&a);
    cr_http_client_shutdown(&test_loop);
    loop_for(&test_loop, 0.05);
}

int
main(void)
{
    cr_log_set_level(CR_LOG_ERROR);
    uv_loop_init(&test_loop);
    int rc = zk_ensemble_start(&ens, 1);
    if (rc == HARNESS_SKIP) {
        fprintf(stderr, "scheduler_zk: ZooKeeper unavailable, skipped\n");
        return HARNESS_SKIP;
    }
    if (rc != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_follows_the_leader),
        cmocka_unit_test(test_file_url_and_bad_urls),
    };
    int failed = cmocka_run_group_tests_name("scheduler_zk", tests, NULL, NULL);
    zk_ensemble_stop(&ens);
    loop_for(&test_loop, 0.01);
    if (uv_loop_close(&test_loop) != 0) {
        fprintf(stderr, "scheduler_zk: handles left open on the loop\n");
        failed++;
    }
    return failed ? 1 : 0;
}
