/* SPDX-License-Identifier: Apache-2.0
 *
 * test_scheduler.c: libcorral_scheduler against fake masters on loopback:
 * subscription, redirects, the master list, backoff, heartbeats, calls and
 * their stream ids, acknowledgements, teardown, cancellation. Plus the
 * pure helpers. Every wait polls a condition with a deadline.
 */
/* cmocka.h needs the headers before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "fake_master.h"
#include "net/http_client.h"
#include "scheduler/scheduler.h"
#include "scheduler/scheduler_private.h"

/* ---- harness ---- */

struct rec {
    int n_subscribed, n_offers, n_updates, n_errors, n_disconnected;
    int n_heartbeats, n_rescinds, n_calls_done;
    int last_status, last_err, ack_rc;
    char last_error[512], last_reason[256], last_offer[64];
    bool ack_updates, free_in_offers;
    struct cr_sched *s;
};

static uv_loop_t loop;

static void
on_subscribed(struct cr_sched *s, void *data, json_t *sub)
{
    struct rec *r = data;
    r->n_subscribed++;
}

static void
on_offers(struct cr_sched *s, void *data, json_t *offers)
{
    struct rec *r = data;
    r->n_offers++;
    const char *id = cr_json_id(json_array_get(offers, 0), "id");
    snprintf(r->last_offer, sizeof(r->last_offer), "%s", id ? id : "");
    if (r->free_in_offers) {
        cr_sched_free(s);
        r->s = NULL;
    }
}

static void
on_update(struct cr_sched *s, void *data, json_t *status)
{
    struct rec *r = data;
    r->n_updates++;
    if (r->ack_updates)
        r->ack_rc = cr_sched_ack_update(s, status, NULL, NULL);
}

static void
on_rescind(struct cr_sched *s, void *data, const char *id)
{
    struct rec *r = data;
    r->n_rescinds++;
}

static void
on_error(struct cr_sched *s, void *data, const char *msg)
{
    struct rec *r = data;
    r->n_errors++;
    snprintf(r->last_error, sizeof(r->last_error), "%s", msg);
}

static void
on_heartbeat(struct cr_sched *s, void *data)
{
    struct rec *r = data;
    r->n_heartbeats++;
}

static void
on_disconnected(struct cr_sched *s, void *data, const char *reason)
{
    struct rec *r = data;
    r->n_disconnected++;
    snprintf(r->last_reason, sizeof(r->last_reason), "%s", reason);
}

static void
on_call_done(struct cr_sched *s, void *data, int err, int status,
             const char *body)
{
    struct rec *r = data;
    r->n_calls_done++;
    r->last_err = err;
    r->last_status = status;
}

static const struct cr_sched_callbacks cbs = {
    .subscribed = on_subscribed,
    .offers = on_offers,
    .rescind = on_rescind,
    .update = on_update,
    .error = on_error,
    .heartbeat = on_heartbeat,
    .disconnected = on_disconnected,
};

static void
on_tick(uv_timer_t *t)
{
    (void)t;
}

/* Run the loop until *flag >= want or 5 s pass. */
static bool
wait_for(const int *flag, int want)
{
    uv_timer_t tick;
    uv_timer_init(&loop, &tick);
    uv_timer_start(&tick, on_tick, 5, 5);
    uint64_t deadline = cr_mono_ms() + 5000;
    while (*flag < want && cr_mono_ms() < deadline)
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    return *flag >= want;
}

static bool
wait_state(struct cr_sched *s, enum cr_sched_state st)
{
    int reached = 0;
    uv_timer_t tick;
    uv_timer_init(&loop, &tick);
    uv_timer_start(&tick, on_tick, 5, 5);
    uint64_t deadline = cr_mono_ms() + 5000;
    while (cr_sched_state(s) != st && cr_mono_ms() < deadline)
        uv_run(&loop, UV_RUN_ONCE);
    reached = cr_sched_state(s) == st;
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    return reached;
}

/* Run the loop until fm has recorded n calls of type or 5 s pass. */
static bool
wait_calls(struct fake_master *fm, const char *type, int n)
{
    uv_timer_t tick;
    uv_timer_init(&loop, &tick);
    uv_timer_start(&tick, on_tick, 5, 5);
    uint64_t deadline = cr_mono_ms() + 5000;
    while (fake_master_count(fm, type) < n && cr_mono_ms() < deadline)
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    return fake_master_count(fm, type) >= n;
}

static json_t *
framework_info(void)
{
    return json_pack("{s:s,s:s,s:f}", "user", "root", "name", "test",
                     "failover_timeout", 0.0);
}

static struct cr_sched *
new_sched(const char *masters, struct rec *r)
{
    json_t *fi = framework_info();
    struct cr_sched *s = cr_sched_new(&loop, masters, fi, &cbs, r);
    json_decref(fi);
    assert_non_null(s);
    struct cr_sched_options o = {.backoff_min = 0.01,
                                 .backoff_max = 0.05,
                                 .connect_timeout = 2,
                                 .call_timeout = 5};
    cr_sched_set_options(s, &o);
    r->s = s;
    return s;
}

static char *
addr(int port)
{
    static char buf[4][32];
    static int i;
    i = (i + 1) % 4;
    snprintf(buf[i], sizeof(buf[i]), "127.0.0.1:%d", port);
    return buf[i];
}

/* A fake master on fm and a scheduler subscribed to it. */
static struct cr_sched *
subscribed(struct fake_master *fm, struct rec *r)
{
    fake_master_init(fm, &loop);
    struct cr_sched *s = new_sched(addr(fm->port), r);
    assert_int_equal(cr_sched_start(s), 0);
    assert_true(wait_for(&r->n_subscribed, 1));
    return s;
}

static void
finish(struct cr_sched *s, struct fake_master *a, struct fake_master *b)
{
    cr_sched_free(s);
    if (a)
        fake_master_fini(a);
    if (b)
        fake_master_fini(b);
    cr_http_client_shutdown(&loop);
    for (int i = 0; i < 50; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
}

static int
setup(void **state)
{
    cr_log_set_level(CR_LOG_ERROR);
    return uv_loop_init(&loop);
}

static int
teardown(void **state)
{
    uv_run(&loop, UV_RUN_DEFAULT);
    return uv_loop_close(&loop);
}

/* ---- tests against a fake master ---- */

static void
test_subscribe_offers_and_calls(void **state)
{
    struct fake_master fm;
    struct rec r = {0};
    fake_master_init(&fm, &loop);
    struct cr_sched *s = new_sched(addr(fm.port), &r);

    assert_int_equal(
        cr_sched_decline(s, (const char *[]){"o"}, 1, 1, NULL, NULL),
        CR_ESTATE);
    assert_int_equal(cr_sched_start(s), 0);
    assert_int_equal(cr_sched_start(s), CR_ESTATE);
    assert_true(wait_for(&r.n_subscribed, 1));
    assert_string_equal(cr_sched_framework_id(s), "fw-1");
    assert_string_equal(cr_sched_stream_id(s), fm.stream_id);
    assert_null(json_object_get(fm.last_subscribe, "framework_id"));
    assert_string_equal(
        cr_json_str(
            json_object_get(json_object_get(fm.last_subscribe, "subscribe"),
                            "framework_info"),
            "name"),
        "test");
    assert_true(wait_for(&r.n_heartbeats, 1));

    fake_master_send(&fm, "{\"type\":\"OFFERS\",\"offers\":{\"offers\":["
                          "{\"id\":{\"value\":\"O1\"},\"agent_id\":{\"value\":"
                          "\"A\"}}]}}");
    assert_true(wait_for(&r.n_offers, 1));
    assert_string_equal(r.last_offer, "O1");

    const char *ids[] = {"O1"};
    assert_int_equal(cr_sched_decline(s, ids, 1, 30, on_call_done, &r), 0);
    assert_true(wait_for(&r.n_calls_done, 1));
    assert_int_equal(r.last_err, 0);
    assert_int_equal(r.last_status, 202);
    json_t *c = fake_master_last(&fm, "DECLINE");
    assert_non_null(c);
    assert_string_equal(cr_json_id(c, "framework_id"), "fw-1");
    json_t *d = json_object_get(c, "decline");
    assert_string_equal(
        cr_json_str(json_array_get(json_object_get(d, "offer_ids"), 0),
                    "value"),
        "O1");
    double refuse = 0;
    assert_true(
        cr_json_num(json_object_get(d, "filters"), "refuse_seconds", &refuse));
    assert_true(refuse == 30);
    assert_string_equal(
        json_string_value(json_array_get(fm.call_stream_ids, 0)), fm.stream_id);

    json_t *tasks = json_pack("[{s:s,s:{s:s},s:{s:s},s:{s:s}}]", "name", "t",
                              "task_id", "value", "t1", "agent_id", "value",
                              "A", "command", "value", "true");
    assert_int_equal(cr_sched_launch(s, ids, 1, tasks, -1, on_call_done, &r),
                     0);
    assert_true(wait_for(&r.n_calls_done, 2));
    c = fake_master_last(&fm, "ACCEPT");
    json_t *acc = json_object_get(c, "accept");
    json_t *op = json_array_get(json_object_get(acc, "operations"), 0);
    assert_string_equal(cr_json_str(op, "type"), "LAUNCH");
    assert_int_equal(json_array_size(json_object_get(
                         json_object_get(op, "launch"), "task_infos")),
                     1);
    assert_null(json_object_get(acc, "filters"));

    fake_master_send(&fm, "{\"type\":\"RESCIND\",\"rescind\":{\"offer_id\":"
                          "{\"value\":\"O1\"}}}");
    assert_true(wait_for(&r.n_rescinds, 1));

    assert_int_equal(cr_sched_revive(s, NULL, 0, on_call_done, &r), 0);
    const char *roles[] = {"dev"};
    assert_int_equal(cr_sched_suppress(s, roles, 1, on_call_done, &r), 0);
    assert_int_equal(cr_sched_kill(s, "t1", "A", 2.5, on_call_done, &r), 0);
    assert_int_equal(cr_sched_reconcile(s, NULL, on_call_done, &r), 0);
    assert_int_equal(cr_sched_message(s, "A", "E", "hi", 2, on_call_done, &r),
                     0);
    assert_int_equal(cr_sched_shutdown(s, "E", "A", on_call_done, &r), 0);
    assert_true(wait_for(&r.n_calls_done, 8));
    assert_int_equal(r.last_status, 202);
    assert_null(json_object_get(fake_master_last(&fm, "REVIVE"), "revive"));
    assert_string_equal(
        json_string_value(json_array_get(
            json_object_get(
                json_object_get(fake_master_last(&fm, "SUPPRESS"), "suppress"),
                "roles"),
            0)),
        "dev");
    json_t *kill = json_object_get(fake_master_last(&fm, "KILL"), "kill");
    json_t *ns = json_object_get(
        json_object_get(json_object_get(kill, "kill_policy"), "grace_period"),
        "nanoseconds");
    assert_int_equal(json_integer_value(ns), 2500000000LL);
    assert_string_equal(
        cr_json_str(
            json_object_get(fake_master_last(&fm, "MESSAGE"), "message"),
            "data"),
        "aGk=");
    finish(s, &fm, NULL);
}

static void
test_ack_update(void **state)
{
    struct fake_master fm;
    struct rec r = {.ack_updates = true};
    struct cr_sched *s = subscribed(&fm, &r);

    /* A reconciliation answer has no uuid: it must not be acknowledged. */
    fake_master_send(&fm, "{\"type\":\"UPDATE\",\"update\":{\"status\":{"
                          "\"task_id\":{\"value\":\"t1\"},\"state\":"
                          "\"TASK_RUNNING\",\"agent_id\":{\"value\":\"A\"},"
                          "\"reason\":\"REASON_RECONCILIATION\"}}}");
    assert_true(wait_for(&r.n_updates, 1));
    assert_int_equal(r.ack_rc, 1);

    fake_master_send(&fm, "{\"type\":\"UPDATE\",\"update\":{\"status\":{"
                          "\"task_id\":{\"value\":\"t1\"},\"state\":"
                          "\"TASK_FINISHED\",\"agent_id\":{\"value\":\"A\"},"
                          "\"uuid\":\"AAECAwQFBgcICQoLDA0ODw==\"}}}");
    assert_true(wait_for(&r.n_updates, 2));
    assert_int_equal(r.ack_rc, 0);
    json_t *empty = json_object();
    assert_int_equal(cr_sched_ack_update(s, empty, NULL, NULL), 1);
    json_decref(empty);
    json_t *bad = json_pack("{s:s}", "uuid", "AAAA");
    assert_int_equal(cr_sched_ack_update(s, bad, NULL, NULL), CR_EINVAL_INPUT);
    json_decref(bad);

    assert_true(wait_calls(&fm, "ACKNOWLEDGE", 1));
    assert_int_equal(fake_master_count(&fm, "ACKNOWLEDGE"), 1);
    assert_int_equal(fake_master_count(&fm, NULL), 1);
    json_t *ack =
        json_object_get(fake_master_last(&fm, "ACKNOWLEDGE"), "acknowledge");
    assert_string_equal(cr_json_str(ack, "uuid"), "AAECAwQFBgcICQoLDA0ODw==");
    assert_string_equal(cr_json_id(ack, "task_id"), "t1");
    assert_string_equal(cr_json_id(ack, "agent_id"), "A");
    finish(s, &fm, NULL);
}

static void
test_redirect_to_leader(void **state)
{
    struct fake_master a, b;
    struct rec r = {0};
    fake_master_init(&a, &loop);
    fake_master_init(&b, &loop);
    a.mode = FM_REDIRECT;
    a.redirect_port = b.port;
    struct cr_sched *s = new_sched(addr(a.port), &r);
    cr_sched_start(s);
    assert_true(wait_for(&r.n_subscribed, 1));
    assert_int_equal(a.n_subscribes, 1);
    assert_int_equal(b.n_subscribes, 1);
    assert_string_equal(cr_sched_master(s), addr(b.port));
    assert_int_equal(r.n_disconnected, 0);

    assert_int_equal(cr_sched_revive(s, NULL, 0, on_call_done, &r), 0);
    assert_true(wait_for(&r.n_calls_done, 1));
    assert_int_equal(r.last_status, 202);
    assert_int_equal(fake_master_count(&b, "REVIVE"), 1);
    assert_int_equal(fake_master_count(&a, NULL), 0);
    finish(s, &a, &b);
}

static void
test_next_master_on_refused_and_503(void **state)
{
    struct fake_master dead, a, b;
    struct rec r = {0};
    fake_master_init(&dead, &loop);
    int dead_port = dead.port;
    fake_master_fini(&dead);
    for (int i = 0; i < 20; i++)
        uv_run(&loop, UV_RUN_NOWAIT);
    fake_master_init(&a, &loop);
    fake_master_init(&b, &loop);
    a.mode = FM_UNAVAILABLE;

    char list[128];
    snprintf(list, sizeof(list), "127.0.0.1:%d,127.0.0.1:%d,127.0.0.1:%d",
             dead_port, a.port, b.port);
    struct cr_sched *s = new_sched(list, &r);
    cr_sched_start(s);
    assert_true(wait_for(&r.n_subscribed, 1));
    assert_int_equal(a.n_subscribes, 1);
    assert_int_equal(b.n_subscribes, 1);
    assert_int_equal(r.n_disconnected, 2);
    assert_string_equal(cr_sched_master(s), addr(b.port));
    finish(s, &a, &b);
}

static void
test_resubscribe_after_drop(void **state)
{
    struct fake_master fm;
    struct rec r = {0};
    struct cr_sched *s = subscribed(&fm, &r);
    char first_stream[64];
    snprintf(first_stream, sizeof(first_stream), "%s", cr_sched_stream_id(s));

    /* A call the master never answers, and one queued behind it. */
    fm.hold_calls = true;
    assert_int_equal(cr_sched_revive(s, NULL, 0, on_call_done, &r), 0);
    assert_int_equal(cr_sched_suppress(s, NULL, 0, on_call_done, &r), 0);
    assert_true(wait_calls(&fm, "REVIVE", 1));

    fake_master_drop(&fm);
    assert_true(wait_for(&r.n_subscribed, 2));
    assert_int_equal(r.n_disconnected, 1);
    assert_int_equal(fm.n_subscribes, 2);
    /* The queued call ended with the subscription; the one out goes on,
     * and a call of the new subscription is not held behind it. */
    assert_int_equal(r.n_calls_done, 1);
    assert_int_equal(r.last_err, CR_ECANCELED_OP);
    assert_int_equal(fake_master_count(&fm, "SUPPRESS"), 0);
    fm.hold_calls = false;
    assert_int_equal(cr_sched_kill(s, "t1", "A", -1, on_call_done, &r), 0);
    assert_true(wait_for(&r.n_calls_done, 2));
    assert_int_equal(r.last_err, 0);
    assert_int_equal(r.last_status, 202);
    assert_non_null(fm.held_req); /* the REVIVE, still unanswered */
    fake_master_release(&fm);
    assert_true(wait_for(&r.n_calls_done, 3));
    assert_string_equal(cr_json_id(fm.last_subscribe, "framework_id"), "fw-1");
    json_t *fi = json_object_get(
        json_object_get(fm.last_subscribe, "subscribe"), "framework_info");
    assert_string_equal(cr_json_id(fi, "id"), "fw-1");
    assert_string_not_equal(cr_sched_stream_id(s), first_stream);
    assert_string_equal(cr_json_id(cr_sched_framework_info(s), "id"), "fw-1");
    finish(s, &fm, NULL);
}

static void
test_missed_heartbeats_reconnect(void **state)
{
    struct fake_master fm;
    struct rec r = {0};
    fake_master_init(&fm, &loop);
    fm.hb_interval = 0.02;
    struct cr_sched *s = new_sched(addr(fm.port), &r);
    cr_sched_start(s);
    assert_true(wait_for(&r.n_subscribed, 1));
    /* The fake sends nothing more: after 5 x 20 ms the library gives up on
     * the stream and subscribes again. */
    assert_true(wait_for(&r.n_subscribed, 2));
    assert_true(r.n_disconnected >= 1);
    assert_non_null(strstr(r.last_reason, "heartbeat"));
    finish(s, &fm, NULL);
}

static void
test_error_event_is_final(void **state)
{
    struct fake_master fm;
    struct rec r = {0};
    struct cr_sched *s = subscribed(&fm, &r);
    fake_master_send(&fm, "{\"type\":\"ERROR\",\"error\":{\"message\":"
                          "\"Framework has been removed\"}}");
    fake_master_drop(&fm);
    assert_true(wait_for(&r.n_errors, 1));
    assert_string_equal(r.last_error, "Framework has been removed");
    assert_true(wait_state(s, CR_SCHED_FAILED));
    assert_false(uv_is_active((uv_handle_t *)&s->backoff_timer));
    assert_int_equal(fm.n_subscribes, 1);
    assert_int_equal(cr_sched_revive(s, NULL, 0, NULL, NULL), CR_ESTATE);
    finish(s, &fm, NULL);
}

static void
test_subscribe_refused(void **state)
{
    struct fake_master fm;
    struct rec r = {0};
    fake_master_init(&fm, &loop);
    fm.mode = FM_BAD_REQUEST;
    struct cr_sched *s = new_sched(addr(fm.port), &r);
    cr_sched_start(s);
    assert_true(wait_for(&r.n_errors, 1));
    assert_non_null(strstr(r.last_error, "400"));
    assert_non_null(strstr(r.last_error, "Missing required fields"));
    assert_true(wait_state(s, CR_SCHED_FAILED));
    assert_false(uv_is_active((uv_handle_t *)&s->backoff_timer));
    finish(s, &fm, NULL);
}

static void
test_stale_stream_call(void **state)
{
    struct fake_master fm;
    struct rec r = {0};
    struct cr_sched *s = subscribed(&fm, &r);
    /* The master now believes in another stream. */
    snprintf(fm.stream_id, sizeof(fm.stream_id), "other");
    assert_int_equal(cr_sched_revive(s, NULL, 0, on_call_done, &r), 0);
    assert_true(wait_for(&r.n_calls_done, 1));
    assert_int_equal(r.last_err, 0);
    assert_int_equal(r.last_status, 400);
    assert_int_equal(cr_sched_state(s), CR_SCHED_SUBSCRIBED);
    finish(s, &fm, NULL);
}

static void
test_teardown_stops(void **state)
{
    struct fake_master fm;
    struct rec r = {0};
    fake_master_init(&fm, &loop);
    fm.end_on_teardown = true;
    struct cr_sched *s = new_sched(addr(fm.port), &r);
    cr_sched_start(s);
    assert_true(wait_for(&r.n_subscribed, 1));
    assert_int_equal(cr_sched_teardown(s, on_call_done, &r), 0);
    assert_true(wait_for(&r.n_calls_done, 1));
    assert_int_equal(r.last_status, 202);
    assert_true(wait_state(s, CR_SCHED_STOPPED));
    assert_false(uv_is_active((uv_handle_t *)&s->backoff_timer));
    assert_int_equal(fm.n_subscribes, 1);
    finish(s, &fm, NULL);
}

static void
test_free_cancels_pending_calls(void **state)
{
    struct fake_master fm;
    struct rec r = {0};
    struct cr_sched *s = subscribed(&fm, &r);
    fm.hold_calls = true;
    assert_int_equal(cr_sched_revive(s, NULL, 0, on_call_done, &r), 0);
    assert_int_equal(cr_sched_suppress(s, NULL, 0, on_call_done, &r), 0);
    assert_true(wait_calls(&fm, "REVIVE", 1));
    assert_non_null(fm.held_req);
    cr_sched_free(s);
    assert_int_equal(r.n_calls_done, 2); /* the one out and the one queued */
    assert_int_equal(r.last_err, CR_ECANCELED_OP);
    finish(NULL, &fm, NULL);
}

/* A DECLINE with a filter, then REVIVE, then SUPPRESS: the master must see
 * them in that order (else the filter or the suppression outlives the
 * REVIVE), so each waits for the answer to the one before. */
static void
test_calls_in_order_one_at_a_time(void **state)
{
    struct fake_master fm;
    struct rec r = {0};
    struct cr_sched *s = subscribed(&fm, &r);
    fm.hold_calls = true;
    const char *ids[] = {"O1"};
    assert_int_equal(cr_sched_decline(s, ids, 1, 120, on_call_done, &r), 0);
    assert_int_equal(cr_sched_revive(s, NULL, 0, on_call_done, &r), 0);
    assert_int_equal(cr_sched_suppress(s, NULL, 0, on_call_done, &r), 0);
    assert_true(wait_calls(&fm, "DECLINE", 1));
    assert_non_null(fm.held_req);
    assert_int_equal(sched_calls_sent(s), 1);
    assert_int_equal(fake_master_count(&fm, NULL), 1);
    assert_int_equal(r.n_calls_done, 0);
    /* An acknowledgement does not wait behind them, nor they behind it. */
    assert_int_equal(
        cr_sched_acknowledge(s, "A", "t1", "dXVpZA==", on_call_done, &r), 0);
    assert_true(wait_for(&r.n_calls_done, 1));
    assert_int_equal(fake_master_count(&fm, "ACKNOWLEDGE"), 1);
    assert_int_equal(fake_master_count(&fm, "REVIVE"), 0);

    fm.hold_calls = false;
    fake_master_release(&fm);
    assert_true(wait_for(&r.n_calls_done, 4));
    assert_int_equal(r.last_status, 202);
    assert_int_equal(fake_master_count(&fm, NULL), 4);
    const char *want[] = {"DECLINE", "ACKNOWLEDGE", "REVIVE", "SUPPRESS"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(cr_json_str(json_array_get(fm.calls, i), "type"),
                            want[i]);
    assert_int_equal(sched_calls_sent(s), 0);
    finish(s, &fm, NULL);
}

static void
test_free_inside_callback(void **state)
{
    struct fake_master fm;
    struct rec r = {.free_in_offers = true};
    (void)subscribed(&fm, &r); /* freed by its offers callback */
    fake_master_send(&fm, "{\"type\":\"OFFERS\",\"offers\":{\"offers\":["
                          "{\"id\":{\"value\":\"O1\"}}]}}"
                          "");
    fake_master_send(&fm, "{\"type\":\"HEARTBEAT\"}");
    assert_true(wait_for(&r.n_offers, 1));
    assert_null(r.s);
    finish(NULL, &fm, NULL);
}

/* ---- pure helpers ---- */

static void
test_parse_location(void **state)
{
    struct cr_hostport hp;
    assert_int_equal(cr_sched_parse_location("//10.0.0.2:5051/api/v1/"
                                             "scheduler",
                                             &hp),
                     0);
    assert_string_equal(hp.host, "10.0.0.2");
    assert_int_equal(hp.port, 5051);
    assert_int_equal(cr_sched_parse_location("http://m2:5052/x", &hp), 0);
    assert_string_equal(hp.host, "m2");
    assert_int_equal(hp.port, 5052);
    assert_int_equal(cr_sched_parse_location("//leader", &hp), 0);
    assert_int_equal(hp.port, 5050);
    assert_int_equal(cr_sched_parse_location("", &hp), CR_EINVAL_INPUT);
    assert_int_equal(cr_sched_parse_location("//", &hp), CR_EINVAL_INPUT);
    assert_int_equal(cr_sched_parse_location("/api/v1", &hp), CR_EINVAL_INPUT);
    assert_int_equal(cr_sched_parse_location(NULL, &hp), CR_EINVAL_INPUT);
}

static void
test_backoff_delay(void **state)
{
    struct cr_sched_options o = {.backoff_min = 0.5, .backoff_max = 15};
    /* First pass over three masters: no wait. */
    assert_true(cr_sched_backoff_delay(&o, 1, 3, 1.0) == 0);
    assert_true(cr_sched_backoff_delay(&o, 2, 3, 1.0) == 0);
    assert_true(cr_sched_backoff_delay(&o, 3, 3, 1.0) == 0.5);
    assert_true(cr_sched_backoff_delay(&o, 4, 3, 1.0) == 1.0);
    assert_true(cr_sched_backoff_delay(&o, 1, 1, 1.0) == 0.5);
    assert_true(cr_sched_backoff_delay(&o, 2, 1, 0.5) == 0.5);
    assert_true(cr_sched_backoff_delay(&o, 50, 1, 1.0) == 15);
    assert_true(cr_sched_backoff_delay(&o, 5000, 1, 0.7) <= 15);
    assert_true(cr_sched_backoff_delay(&o, 5000, 1, 0.0) == 7.5);
}

static void
test_call_new_and_helpers(void **state)
{
    json_t *c = cr_sched_call_new("ACCEPT_INVERSE_OFFERS", "F", json_object());
    assert_string_equal(cr_json_str(c, "type"), "ACCEPT_INVERSE_OFFERS");
    assert_string_equal(cr_json_id(c, "framework_id"), "F");
    assert_non_null(json_object_get(c, "accept_inverse_offers"));
    json_decref(c);
    c = cr_sched_call_new("TEARDOWN", NULL, NULL);
    assert_int_equal(json_object_size(c), 1);
    json_decref(c);

    assert_true(cr_sched_task_state_is_terminal("TASK_FINISHED"));
    assert_true(cr_sched_task_state_is_terminal("TASK_GONE_BY_OPERATOR"));
    assert_false(cr_sched_task_state_is_terminal("TASK_RUNNING"));
    assert_false(cr_sched_task_state_is_terminal("TASK_UNREACHABLE"));
    assert_false(cr_sched_task_state_is_terminal(NULL));

    assert_true(cr_sched_id_is_valid("0a1b-2c"));
    assert_false(cr_sched_id_is_valid(""));
    assert_false(cr_sched_id_is_valid("a\r\nX-Evil: 1"));
    char longid[SCHED_MAX_ID_LEN + 2];
    memset(longid, 'a', sizeof(longid) - 1);
    longid[sizeof(longid) - 1] = '\0';
    assert_false(cr_sched_id_is_valid(longid));
}

static void
test_new_rejects_bad_input(void **state)
{
    struct rec r = {0};
    json_t *fi = framework_info();
    assert_null(cr_sched_new(&loop, "", fi, &cbs, &r));
    assert_null(cr_sched_new(&loop, "host:notaport", fi, &cbs, &r));
    json_t *nouser = json_pack("{s:s}", "name", "x");
    assert_null(cr_sched_new(&loop, "127.0.0.1:5050", nouser, &cbs, &r));
    json_decref(nouser);
    /* A FrameworkInfo with an id makes the first SUBSCRIBE a
     * re-subscription. */
    json_object_set_new(fi, "id", json_pack("{s:s}", "value", "fw-9"));
    struct cr_sched *s = cr_sched_new(&loop, "127.0.0.1:5050", fi, &cbs, &r);
    assert_non_null(s);
    assert_string_equal(cr_sched_framework_id(s), "fw-9");
    assert_int_equal(cr_sched_state(s), CR_SCHED_IDLE);
    json_decref(fi);
    finish(s, NULL, NULL);
}

static void
test_malformed_events_dropped(void **state)
{
    struct rec r = {0};
    json_t *fi = framework_info();
    struct cr_sched *s = cr_sched_new(&loop, "127.0.0.1:1", fi, &cbs, &r);
    json_decref(fi);
    const char *evs[] = {
        "{}",
        "{\"type\":7}",
        "{\"type\":\"OFFERS\"}",
        ("{\"type\":\"SUBSCRIBED\",\"subscribed\":{\"framework_id\":{"
         "\"value\":\"F\"}}}"),
        "{\"type\":\"OFFERS\",\"offers\":{\"offers\":{}}}",
        "{\"type\":\"OFFERS\",\"offers\":{\"offers\":[]}}",
        "{\"type\":\"UPDATE\",\"update\":{\"status\":[]}}",
        "{\"type\":\"UPDATE\",\"update\":{\"status\":{\"state\":1}}}",
        "{\"type\":\"RESCIND\",\"rescind\":{}}",
        "{\"type\":\"MESSAGE\",\"message\":\"x\"}",
        "{\"type\":\"INVERSE_OFFERS\"}",
        "{\"type\":\"ERROR\"}",
        "{\"type\":\"SUBSCRIBED\"}",
    };
    s->state = CR_SCHED_SUBSCRIBING;
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
        json_t *ev = json_loads(evs[i], 0, NULL);
        cr_sched_handle_event(s, ev);
        json_decref(ev);
    }
    assert_int_equal(r.n_offers, 0);
    assert_int_equal(r.n_updates, 0);
    assert_int_equal(r.n_rescinds, 0);
    assert_int_equal(r.n_subscribed, 1);
    assert_int_equal(r.n_errors, 1);
    assert_string_equal(cr_sched_framework_id(s), "F");
    finish(s, NULL, NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_location),
        cmocka_unit_test(test_backoff_delay),
        cmocka_unit_test(test_call_new_and_helpers),
        cmocka_unit_test_setup_teardown(test_new_rejects_bad_input, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_malformed_events_dropped, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_subscribe_offers_and_calls, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_ack_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redirect_to_leader, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_next_master_on_refused_and_503,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_resubscribe_after_drop, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missed_heartbeats_reconnect, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_error_event_is_final, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_subscribe_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_stale_stream_call, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_teardown_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_calls_in_order_one_at_a_time,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_free_cancels_pending_calls, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_free_inside_callback, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
