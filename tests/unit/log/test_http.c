/* SPDX-License-Identifier: Apache-2.0
 *
 * test_http.c: three masters' logs on one loop, each behind its own HTTP
 * server on 127.0.0.1 (free ports), talking over the HTTP transport:
 * auto-initialisation, recover, appends, snapshot + truncation, reads on
 * the writer and on a follower, failover to another writer (the old one is
 * fenced), the route's error answers, and the timeout message when a
 * quorum cannot be reached.
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
#include "log/log.h"
#include "log/transport_http.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "tests.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 3

struct node {
    struct cr_http_server *srv;
    int port;
    char addr[32];
    struct cr_log *log;
};

struct fx {
    uv_loop_t loop;
    char *root;
    struct node nodes[N];
    const char *peers[N];
};

static void
on_req(struct cr_http_req *req, void *data)
{
    struct node *n = data;
    if (strcmp(req->path, CR_LOG_HTTP_PATH) == 0)
        cr_log_http_handle(n->log ? cr_log_local_replica(n->log) : NULL, req);
    else
        cr_http_respond_text(req, 404, "not here\n");
}

static void
open_log_t(struct fx *f, int i, double fetch_timeout, double store_timeout)
{
    struct node *n = &f->nodes[i];
    char *dir = cr_xasprintf("%s/m%d", f->root, i);
    struct cr_log_cfg cfg = {
        .work_dir = dir,
        .self = n->addr,
        .quorum = 2,
        .auto_initialize = true,
        .fetch_timeout = fetch_timeout,
        .store_timeout = store_timeout,
        .call_timeout = 0.5,
        .retry_min = 0.02,
        .catchup_interval = 0.1,
        .storage = {.no_sync = true},
    };
    char err[256];
    assert_int_equal(cr_log_open(&f->loop, &cfg, &n->log, err, sizeof(err)), 0);
    free(dir);
}

static void
open_log(struct fx *f, int i, double fetch_timeout)
{
    open_log_t(f, i, fetch_timeout, 5);
}

static int
setup(void **state)
{
    struct fx *f = cr_xcalloc(1, sizeof(*f));
    uv_loop_init(&f->loop);
    f->root = tu_tmpdir();
    for (int i = 0; i < N; i++) {
        struct node *n = &f->nodes[i];
        n->srv = cr_http_server_new(&f->loop, on_req, n);
        assert_int_equal(
            cr_http_server_listen(n->srv, "127.0.0.1", 0, &n->port), 0);
        snprintf(n->addr, sizeof(n->addr), "127.0.0.1:%d", n->port);
        f->peers[i] = n->addr;
    }
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < N; i++) {
        cr_log_close(f->nodes[i].log);
        f->nodes[i].log = NULL;
    }
    tu_drain(&f->loop);
    for (int i = 0; i < N; i++)
        cr_http_server_free(f->nodes[i].srv);
    cr_http_client_shutdown(&f->loop);
    tu_loop_close(&f->loop);
    tu_rmrf(f->root);
    free(f->root);
    free(f);
    return 0;
}

struct done {
    bool done;
    int err;
    uint64_t pos;
    char why[1024];
};

static void
on_done(void *data, int err, const char *why)
{
    struct done *d = data;
    d->done = true;
    d->err = err;
    snprintf(d->why, sizeof(d->why), "%s", why ? why : "");
}

static void
on_pos(void *data, int err, uint64_t pos, const char *why)
{
    struct done *d = data;
    d->pos = pos;
    on_done(d, err, why);
}

static uint64_t
append(struct fx *f, int i, const char *text)
{
    struct done d = {0};
    assert_int_equal(
        cr_log_append(f->nodes[i].log, text, strlen(text), on_pos, &d), 0);
    assert_true(tu_run_until(&f->loop, &d.done, 10));
    if (d.err != 0)
        fail_msg("append: %s", d.why);
    return d.pos;
}

struct collected {
    char text[512];
    int n;
};

static int
collect(void *data, uint64_t pos, const uint8_t *bytes, size_t len)
{
    struct collected *c = data;
    (void)pos;
    size_t used = strlen(c->text);
    snprintf(c->text + used, sizeof(c->text) - used, "%s%.*s",
             c->n++ ? "," : "", (int)len, (const char *)bytes);
    return 0;
}

static int
stop_at_first(void *data, uint64_t pos, const uint8_t *bytes, size_t len)
{
    (void)bytes;
    (void)len;
    *(uint64_t *)data = pos;
    return 7;
}

static bool
all_voting(void *data)
{
    struct fx *f = data;
    for (int i = 0; i < N; i++)
        if (cr_log_local_status(f->nodes[i].log) != CR_LOG_VOTING)
            return false;
    return true;
}

struct follower {
    struct fx *f;
    int i;
    const char *want;
};

static bool
follower_has(void *data)
{
    struct follower *w = data;
    struct collected c = {{0}, 0};
    cr_log_read_all(w->f->nodes[w->i].log, collect, &c);
    return strcmp(c.text, w->want) == 0;
}

static void
recover(struct fx *f, int i)
{
    struct done d = {0};
    assert_int_equal(cr_log_recover(f->nodes[i].log, on_done, &d), 0);
    assert_true(tu_run_until(&f->loop, &d.done, 10));
    if (d.err != 0)
        fail_msg("recover: %s", d.why);
    assert_true(cr_log_is_writer(f->nodes[i].log));
}

static void
test_three_masters(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < N; i++)
        open_log(f, i, 10);
    for (int i = 0; i < N; i++)
        cr_log_set_peers(f->nodes[i].log, f->peers, N);
    assert_true(tu_run_until_pred(&f->loop, all_voting, f, 10));

    recover(f, 0);
    struct done d = {0};
    assert_int_equal(cr_log_append(f->nodes[1].log, "x", 1, on_pos, &d),
                     CR_ESTATE);
    assert_int_equal(append(f, 0, "a1"), 1);
    assert_int_equal(append(f, 0, "a2"), 2);
    /* snapshot: the log now starts at it */
    d = (struct done){0};
    assert_int_equal(cr_log_snapshot(f->nodes[0].log, "S", 1, on_pos, &d), 0);
    assert_true(tu_run_until(&f->loop, &d.done, 10));
    assert_int_equal(d.err, 0);
    assert_int_equal(d.pos, 3);
    assert_int_equal(append(f, 0, "a3"), 5); /* 4 is the TRUNCATE */
    struct collected c = {{0}, 0};
    assert_int_equal(cr_log_read_all(f->nodes[0].log, collect, &c), 0);
    assert_string_equal(c.text, "S,a3");
    uint64_t first = 0;
    assert_int_equal(cr_log_read_all(f->nodes[0].log, stop_at_first, &first),
                     7);
    assert_int_equal(first, 3);
    assert_int_equal(
        cr_log_replica_begin(cr_log_local_replica(f->nodes[0].log)), 3);
    /* followers converge (LEARNED messages and catch-up) */
    struct follower w = {f, 2, "S,a3"};
    assert_true(tu_run_until_pred(&f->loop, follower_has, &w, 5));

    /* failover: master 1 takes over; master 0 is fenced on its next write */
    recover(f, 1);
    assert_int_equal(append(f, 1, "b1"), 6);
    d = (struct done){0};
    assert_int_equal(cr_log_append(f->nodes[0].log, "stale", 5, on_pos, &d), 0);
    assert_true(tu_run_until(&f->loop, &d.done, 10));
    assert_int_equal(d.err, CR_ENOTLEADER);
    assert_non_null(strstr(d.why, "no longer the writer"));
    assert_false(cr_log_is_writer(f->nodes[0].log));
    assert_int_equal(cr_log_append(f->nodes[0].log, "x", 1, on_pos, &d),
                     CR_ENOTLEADER);
    c = (struct collected){{0}, 0};
    assert_int_equal(cr_log_read_all(f->nodes[1].log, collect, &c), 0);
    assert_string_equal(c.text, "S,a3,b1");
    w = (struct follower){f, 0, "S,a3,b1"};
    assert_true(tu_run_until_pred(&f->loop, follower_has, &w, 5));
}

struct http_res {
    bool done;
    int status;
};

static void
on_http(int err, const struct cr_http_response *resp, void *data)
{
    struct http_res *r = data;
    r->done = true;
    r->status = err ? err : resp->status;
}

static int
http(struct fx *f, const char *method, const char *body)
{
    struct http_res r = {0};
    assert_int_equal(cr_http_call_start(&f->loop, "127.0.0.1", f->nodes[0].port,
                                        method, CR_LOG_HTTP_PATH, NULL, body,
                                        body ? strlen(body) : 0, 5, on_http, &r,
                                        NULL),
                     0);
    assert_true(tu_run_until(&f->loop, &r.done, 5));
    return r.status;
}

static void
test_route_errors(void **state)
{
    struct fx *f = *state;
    assert_int_equal(http(f, "POST", "{\"type\":\"RECOVER\"}"), 503);
    open_log(f, 0, 10);
    assert_int_equal(http(f, "GET", NULL), 405);
    assert_int_equal(http(f, "POST", "not json"), 400);
    assert_int_equal(http(f, "POST", "{\"type\":\"REPLY\",\"result\":\"ACK\"}"),
                     400);
    assert_int_equal(http(f, "POST", "{\"type\":\"RECOVER\"}"), 200);
}

static void
test_no_quorum_message(void **state)
{
    struct fx *f = *state;
    /* only master 0 runs: its peers' ports answer nothing */
    cr_http_server_free(f->nodes[1].srv);
    cr_http_server_free(f->nodes[2].srv);
    f->nodes[1].srv = f->nodes[2].srv = NULL;
    tu_drain(&f->loop);
    open_log(f, 0, 0.5);
    cr_log_set_peers(f->nodes[0].log, f->peers, N);
    struct done d = {0};
    assert_int_equal(cr_log_recover(f->nodes[0].log, on_done, &d), 0);
    assert_true(tu_run_until(&f->loop, &d.done, 5));
    assert_int_equal(d.err, CR_ETIMEOUT);
    assert_non_null(strstr(d.why, "--registry_fetch_timeout"));
    assert_non_null(strstr(d.why, "--quorum=2"));
    assert_non_null(strstr(d.why, "not reached"));
    assert_non_null(strstr(d.why, f->nodes[1].addr));
    assert_non_null(strstr(d.why, f->nodes[2].addr));
    assert_non_null(strstr(d.why, "onnection refused"));
    assert_false(cr_log_is_writer(f->nodes[0].log));
}

static void
test_store_timeout_message(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < N; i++)
        open_log_t(f, i, 10, 0.4);
    for (int i = 0; i < N; i++)
        cr_log_set_peers(f->nodes[i].log, f->peers, N);
    assert_true(tu_run_until_pred(&f->loop, all_voting, f, 10));
    recover(f, 0);
    assert_int_equal(append(f, 0, "ok"), 1);
    /* the other masters vanish */
    for (int i = 1; i < N; i++) {
        cr_log_close(f->nodes[i].log);
        f->nodes[i].log = NULL;
        cr_http_server_free(f->nodes[i].srv);
        f->nodes[i].srv = NULL;
    }
    tu_drain(&f->loop);
    struct done d = {0};
    assert_int_equal(cr_log_append(f->nodes[0].log, "lost", 4, on_pos, &d), 0);
    assert_true(tu_run_until(&f->loop, &d.done, 5));
    assert_int_equal(d.err, CR_ETIMEOUT);
    assert_non_null(strstr(d.why, "--registry_store_timeout"));
    assert_non_null(strstr(d.why, "--quorum=2"));
    assert_non_null(strstr(d.why, "write of position 2"));
    assert_non_null(strstr(d.why, f->nodes[1].addr));
    assert_non_null(strstr(d.why, "accepted by an earlier round: "));
    assert_false(cr_log_is_writer(f->nodes[0].log));
    assert_int_equal(cr_log_append(f->nodes[0].log, "x", 1, on_pos, &d),
                     CR_ENOTLEADER);
}

int
run_http_tests(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_three_masters),
        T(test_route_errors),
        T(test_no_quorum_message),
        T(test_store_timeout_message),
    };
#undef T
    return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
