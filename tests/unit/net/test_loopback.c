/* SPDX-License-Identifier: Apache-2.0
 *
 * test_loopback.c: an in-process server and client on one loop, talking
 * over 127.0.0.1 on a free port: plain calls, keep-alive reuse, a RecordIO
 * event stream, client timeouts, a stream whose client leaves, non-200
 * subscriptions, a server that drops a kept-alive connection, pipelining,
 * bodies answered by reference.
 */

/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/buf.h"
#include "base/err.h"
#include "net/event_stream.h"
#include "net/http_client.h"
#include "net/http_server.h"
#include "net/recordio.h"
#include "tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fixture {
    uv_loop_t loop;
    struct cr_http_server *srv;
    int port;
    int requests;
    char last_peer[64];
    struct cr_http_req *held; /* a request the handler did not answer */
    bool got_held;
    struct cr_http_stream *stream;
    bool stream_closed;
    int events_to_send;
    char *shared; /* a body answered by reference (/borrowed) */
    size_t shared_len;
    int released; /* its release callbacks */
    bool got_borrowed;
};

static void
on_tick(uv_timer_t *t)
{
    (void)t;
}

/* Run the loop until *flag is set or secs pass (a ticking timer makes
 * sure every turn returns). Returns *flag. */
static bool
run_until(uv_loop_t *loop, const bool *flag, double secs)
{
    uv_timer_t tick;
    uv_timer_init(loop, &tick);
    uv_timer_start(&tick, on_tick, 5, 5);
    uv_update_time(loop);
    uint64_t end = uv_now(loop) + (uint64_t)(secs * 1000);
    while (!*flag && uv_now(loop) < end)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return *flag;
}

static void
send_events(struct fixture *f)
{
    for (int i = 0; i < f->events_to_send; i++) {
        char ev[64];
        snprintf(ev, sizeof(ev), "{\"type\":\"EV\",\"n\":%d}", i);
        struct cr_buf b;
        cr_buf_init(&b, 1024);
        assert_int_equal(cr_recordio_encode(&b, ev, strlen(ev)), 0);
        /* split each record in two chunks to exercise the reader */
        assert_int_equal(cr_http_stream_write(f->stream, b.data, 3), 0);
        assert_int_equal(cr_http_stream_write(f->stream, b.data + 3, b.len - 3),
                         0);
        cr_buf_fini(&b);
    }
}

static void
on_stream_closed(struct cr_http_stream *s, void *data)
{
    struct fixture *f = data;
    assert_ptr_equal(s, f->stream);
    f->stream = NULL;
    f->stream_closed = true;
}

static void
on_released(void *arg)
{
    struct fixture *f = arg;
    f->released++;
}

static void
handler(struct cr_http_req *req, void *data)
{
    struct fixture *f = data;
    f->requests++;
    snprintf(f->last_peer, sizeof(f->last_peer), "%s", req->peer);
    if (strcmp(req->path, "/echo") == 0) {
        char type[64] = "";
        cr_http_query_param(req->query, "type", type, sizeof(type));
        char *hdr = NULL;
        if (type[0])
            hdr = cr_xasprintf("X-Type: %s\r\n", type);
        cr_http_respond(req, 200, "text/plain", req->body, req->body_len, hdr);
        free(hdr);
    } else if (strcmp(req->path, "/hang") == 0) {
        f->held = req;
        f->got_held = true;
    } else if (strcmp(req->path, "/events") == 0) {
        f->stream = cr_http_stream_start(req, 200, "application/json",
                                         "Mesos-Stream-Id: sid-1\r\n",
                                         on_stream_closed, f);
        send_events(f);
        if (f->events_to_send > 0) {
            cr_http_stream_end(f->stream);
            f->stream = NULL;
        }
    } else if (strcmp(req->path, "/events-borrowed") == 0) {
        /* One record by reference (its length line copied), then the end. */
        f->stream = cr_http_stream_start(req, 200, "application/json", NULL,
                                         on_stream_closed, f);
        char head[32];
        int hl = snprintf(head, sizeof(head), "%zu\n", f->shared_len);
        assert_int_equal(cr_http_stream_write_borrowed(
                             f->stream, head, (size_t)hl, f->shared,
                             f->shared_len, on_released, f),
                         0);
        cr_http_stream_end(f->stream);
        f->stream = NULL;
    } else if (strcmp(req->path, "/redirect") == 0) {
        cr_http_respond(req, 307, NULL, NULL, 0,
                        "Location: //127.0.0.1:1/api/v1/scheduler\r\n");
    } else if (strcmp(req->path, "/bad") == 0) {
        cr_http_respond_text(req, 400, "Failed to validate call");
    } else if (strcmp(req->path, "/borrowed") == 0) {
        cr_http_respond_borrowed(req, 200, "application/json", f->shared,
                                 f->shared_len, on_released, f);
        f->got_borrowed = true;
    } else if (strcmp(req->path, "/big") == 0) {
        size_t n = 3u * 1024 * 1024;
        char *big = malloc(n);
        memset(big, 'x', n);
        cr_http_respond(req, 200, "application/octet-stream", big, n, NULL);
        free(big);
    } else {
        cr_http_respond_text(req, 404, "no such path");
    }
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    uv_loop_init(&f->loop);
    f->srv = cr_http_server_new(&f->loop, handler, f);
    assert_int_equal(cr_http_server_listen(f->srv, "127.0.0.1", 0, &f->port),
                     0);
    assert_true(f->port > 0);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    cr_http_server_free(f->srv);
    cr_http_client_shutdown(&f->loop);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&f->loop), 0); /* every handle closed */
    free(f);
    return 0;
}

struct result {
    bool done;
    int err;
    int status;
    char *body;
    size_t body_len;
    char xtype[64];
};

static void
on_response(int err, const struct cr_http_response *resp, void *data)
{
    struct result *r = data;
    r->done = true;
    r->err = err;
    if (resp) {
        r->status = resp->status;
        r->body = cr_xstrndup(resp->body, resp->body_len);
        r->body_len = resp->body_len;
        const char *t = cr_http_headers_get(&resp->headers, "x-type");
        snprintf(r->xtype, sizeof(r->xtype), "%s", t ? t : "");
    }
}

static void
call(struct fixture *f, const char *method, const char *path, const char *body,
     double timeout, struct result *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(cr_http_call_start(&f->loop, "127.0.0.1", f->port, method,
                                        path, NULL, body,
                                        body ? strlen(body) : 0, timeout,
                                        on_response, r, NULL),
                     0);
    assert_true(run_until(&f->loop, &r->done, 10));
}

static void
test_calls(void **state)
{
    struct fixture *f = *state;
    struct result r;
    call(f, "POST", "/echo?type=a%20b&x=1", "hello", 5, &r);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "hello");
    assert_string_equal(r.xtype, "a b");
    free(r.body);

    call(f, "GET", "/nothing", NULL, 5, &r);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body, "no such path");
    free(r.body);

    call(f, "POST", "/echo", NULL, 5, &r); /* empty body */
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    free(r.body);

    call(f, "GET", "/big", NULL, 5, &r); /* larger than socket buffers */
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 3u * 1024 * 1024);
    assert_true(r.body[0] == 'x' && r.body[r.body_len - 1] == 'x');
    free(r.body);
    /* HEAD: a length but no body, and the connection stays usable */
    call(f, "HEAD", "/big", NULL, 5, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    free(r.body);

    /* a request body bigger than the socket buffers */
    size_t n = 2u * 1024 * 1024;
    char *big = malloc(n + 1);
    memset(big, 'y', n);
    big[n] = '\0';
    call(f, "POST", "/echo", big, 5, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, n);
    assert_memory_equal(r.body, big, n);
    free(r.body);
    free(big);
    assert_int_equal(f->requests, 6);
}

static void
make_shared(struct fixture *f, size_t n)
{
    f->shared = malloc(n);
    for (size_t i = 0; i < n; i++)
        f->shared[i] = (char)('a' + i % 26);
    f->shared_len = n;
}

/* A borrowed body larger than the socket buffers arrives whole, is
 * released once per answer after it is written, and is never copied:
 * changing it before the release would show (it is not changed here). */
static void
test_borrowed_body(void **state)
{
    struct fixture *f = *state;
    make_shared(f, 6u * 1024 * 1024);
    for (int i = 1; i <= 2; i++) { /* twice: keep-alive after it */
        struct result r;
        call(f, "GET", "/borrowed", NULL, 10, &r);
        assert_int_equal(r.err, 0);
        assert_int_equal(r.status, 200);
        assert_int_equal(r.body_len, f->shared_len);
        assert_memory_equal(r.body, f->shared, f->shared_len);
        free(r.body);
        assert_int_equal(f->released, i);
    }
    /* HEAD: nothing to write, released at once. */
    struct result r;
    call(f, "HEAD", "/borrowed", NULL, 10, &r);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.body_len, 0);
    free(r.body);
    assert_int_equal(f->released, 3);
    free(f->shared);
}

/* The connection goes away with most of a borrowed body unwritten: it is
 * released exactly once (by the closing write). */
static void
test_borrowed_body_peer_gone(void **state)
{
    struct fixture *f = *state;
    make_shared(f, 64u * 1024 * 1024);
    struct result r = {0};
    assert_int_equal(cr_http_call_start(&f->loop, "127.0.0.1", f->port, "GET",
                                        "/borrowed", NULL, NULL, 0, 10,
                                        on_response, &r, NULL),
                     0);
    assert_true(run_until(&f->loop, &f->got_borrowed, 10));
    assert_int_equal(f->released, 0); /* 64 MB: still being written */
    cr_http_server_free(f->srv);
    f->srv = NULL;
    assert_true(run_until(&f->loop, &r.done, 10));
    assert_int_not_equal(r.err, 0); /* cut short */
    free(r.body);
    assert_int_equal(f->released, 1);
    free(f->shared);
}

static void
test_keep_alive_reuse(void **state)
{
    struct fixture *f = *state;
    struct result r;
    char first[64];
    call(f, "GET", "/echo", NULL, 5, &r);
    free(r.body);
    snprintf(first, sizeof(first), "%s", f->last_peer);
    for (int i = 0; i < 20; i++) {
        call(f, "POST", "/echo", "again", 5, &r);
        assert_int_equal(r.status, 200);
        free(r.body);
        /* same client port: the pooled connection was reused */
        assert_string_equal(first, f->last_peer);
    }
}

/* Many calls in flight at once: several connections, all answered. */
struct many {
    int done;
    int ok;
    bool all;
};

static void
on_many(int err, const struct cr_http_response *resp, void *data)
{
    struct many *m = data;
    m->done++;
    if (err == 0 && resp->status == 200 && resp->body_len == 2)
        m->ok++;
    m->all = m->done == 200;
}

static void
test_concurrent_calls(void **state)
{
    struct fixture *f = *state;
    struct many m = {0};
    for (int i = 0; i < 200; i++)
        assert_int_equal(cr_http_call_start(&f->loop, "localhost", f->port,
                                            "POST", "/echo", NULL, "hi", 2, 5,
                                            on_many, &m, NULL),
                         0);
    assert_true(run_until(&f->loop, &m.all, 20));
    assert_int_equal(m.ok, 200);
}

struct es_result {
    bool opened, closed;
    char stream_id[64];
    int events;
    int last_n;
    int err, status;
    char detail[256];
    struct cr_event_stream *es;
    bool close_on_first_event;
};

static void
es_on_open(void *data, const char *stream_id)
{
    struct es_result *r = data;
    r->opened = true;
    snprintf(r->stream_id, sizeof(r->stream_id), "%s",
             stream_id ? stream_id : "");
}

static void
es_on_event(void *data, json_t *ev)
{
    struct es_result *r = data;
    r->last_n = (int)json_integer_value(json_object_get(ev, "n"));
    assert_string_equal(json_string_value(json_object_get(ev, "type")), "EV");
    r->events++;
    if (r->close_on_first_event) {
        cr_event_stream_close(r->es);
        r->closed = true;
    }
}

static void
es_on_close(void *data, int err, int status, const char *detail)
{
    struct es_result *r = data;
    r->closed = true;
    r->err = err;
    r->status = status;
    snprintf(r->detail, sizeof(r->detail), "%s", detail ? detail : "");
}

static const struct cr_event_stream_cbs es_cbs = {
    .on_open = es_on_open,
    .on_event = es_on_event,
    .on_close = es_on_close,
};

static void
test_event_stream(void **state)
{
    struct fixture *f = *state;
    f->events_to_send = 5;
    struct es_result r = {0};
    assert_int_equal(cr_event_stream_open(&f->loop, "127.0.0.1", f->port,
                                          "/events", "{\"type\":\"SUBSCRIBE\"}",
                                          NULL, 5, &es_cbs, &r, &r.es),
                     0);
    assert_true(run_until(&f->loop, &r.closed, 10));
    assert_true(r.opened);
    assert_string_equal(r.stream_id, "sid-1");
    assert_int_equal(r.events, 5);
    assert_int_equal(r.last_n, 4);
    assert_int_equal(r.err, 0);
    assert_int_equal(r.status, 200);
}

/* A record larger than the socket buffers written by reference arrives
 * whole, and its buffer is released exactly once. */
static void
test_event_stream_borrowed_record(void **state)
{
    struct fixture *f = *state;
    size_t pad = 3u * 1024 * 1024;
    f->shared = malloc(pad + 64);
    f->shared_len = (size_t)sprintf(f->shared, "{\"type\":\"EV\",\"n\":7,"
                                               "\"pad\":\"");
    memset(f->shared + f->shared_len, 'a', pad);
    f->shared_len += pad;
    f->shared_len += (size_t)sprintf(f->shared + f->shared_len, "\"}");
    struct es_result r = {0};
    assert_int_equal(cr_event_stream_open(&f->loop, "127.0.0.1", f->port,
                                          "/events-borrowed", "{}", NULL, 5,
                                          &es_cbs, &r, &r.es),
                     0);
    assert_true(run_until(&f->loop, &r.closed, 10));
    assert_int_equal(r.events, 1);
    assert_int_equal(r.last_n, 7);
    assert_int_equal(r.err, 0);
    assert_int_equal(f->released, 1);
    free(f->shared);
    f->shared = NULL;
}

static void
test_event_stream_close_in_callback(void **state)
{
    struct fixture *f = *state;
    f->events_to_send = 5;
    struct es_result r = {0};
    r.close_on_first_event = true;
    assert_int_equal(cr_event_stream_open(&f->loop, "127.0.0.1", f->port,
                                          "/events", "{}", NULL, 5, &es_cbs, &r,
                                          &r.es),
                     0);
    assert_true(run_until(&f->loop, &r.closed, 10));
    uv_run(&f->loop, UV_RUN_NOWAIT);
    assert_int_equal(r.events, 1);
}

static void
test_event_stream_non_200(void **state)
{
    struct fixture *f = *state;
    struct es_result r = {0};
    assert_int_equal(cr_event_stream_open(&f->loop, "127.0.0.1", f->port,
                                          "/redirect", "{}", NULL, 5, &es_cbs,
                                          &r, &r.es),
                     0);
    assert_true(run_until(&f->loop, &r.closed, 10));
    assert_false(r.opened);
    assert_int_equal(r.status, 307);
    assert_int_equal(r.err, CR_ENOTLEADER);
    assert_string_equal(r.detail, "//127.0.0.1:1/api/v1/scheduler");

    memset(&r, 0, sizeof(r));
    assert_int_equal(cr_event_stream_open(&f->loop, "127.0.0.1", f->port,
                                          "/bad", "{}", NULL, 5, &es_cbs, &r,
                                          &r.es),
                     0);
    assert_true(run_until(&f->loop, &r.closed, 10));
    assert_int_equal(r.status, 400);
    assert_int_equal(r.err, CR_EPROTO_DATA);
    assert_string_equal(r.detail, "Failed to validate call");
}

static void
test_event_stream_refused(void **state)
{
    struct fixture *f = *state;
    /* a port nobody listens on: bind one, learn it, close it */
    struct cr_http_server *tmp = cr_http_server_new(&f->loop, handler, f);
    int port;
    assert_int_equal(cr_http_server_listen(tmp, "127.0.0.1", 0, &port), 0);
    cr_http_server_free(tmp);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    struct es_result r = {0};
    assert_int_equal(cr_event_stream_open(&f->loop, "127.0.0.1", port, "/x",
                                          "{}", NULL, 5, &es_cbs, &r, &r.es),
                     0);
    assert_true(run_until(&f->loop, &r.closed, 10));
    assert_int_equal(r.err, UV_ECONNREFUSED);
    assert_int_equal(r.status, 0);
}

static void
test_client_timeout(void **state)
{
    struct fixture *f = *state;
    struct result r;
    call(f, "GET", "/hang", NULL, 0.2, &r);
    assert_int_equal(r.err, CR_ETIMEOUT);
    assert_non_null(f->held);
    /* the client has gone; answering must be harmless */
    bool gone = false;
    run_until(&f->loop, &gone, 0.05);
    cr_http_respond_text(f->held, 200, "late");
    f->held = NULL;
    run_until(&f->loop, &gone, 0.05);
    /* and the server still serves */
    call(f, "GET", "/echo", NULL, 5, &r);
    assert_int_equal(r.status, 200);
    free(r.body);
}

static void
test_event_stream_timeout(void **state)
{
    struct fixture *f = *state;
    struct es_result r = {0};
    assert_int_equal(cr_event_stream_open(&f->loop, "127.0.0.1", f->port,
                                          "/hang", "{}", NULL, 0.2, &es_cbs, &r,
                                          &r.es),
                     0);
    assert_true(run_until(&f->loop, &r.closed, 10));
    assert_int_equal(r.err, CR_ETIMEOUT);
    assert_int_equal(r.status, 0);
    assert_non_null(f->held);
    cr_http_respond_text(f->held, 503, "late");
    f->held = NULL;
}

/* Requests outlive the server: answering or streaming after
 * cr_http_server_free is harmless and leaks nothing. */
static void
test_server_free_with_held_requests(void **state)
{
    struct fixture *f = *state;
    struct result r1 = {0}, r2 = {0};
    assert_int_equal(cr_http_call_start(&f->loop, "127.0.0.1", f->port, "GET",
                                        "/hang", NULL, NULL, 0, 5, on_response,
                                        &r1, NULL),
                     0);
    assert_true(run_until(&f->loop, &f->got_held, 10));
    f->got_held = false;
    struct cr_http_req *first = f->held;
    f->held = NULL;
    assert_int_equal(cr_http_call_start(&f->loop, "127.0.0.1", f->port, "GET",
                                        "/hang", NULL, NULL, 0, 5, on_response,
                                        &r2, NULL),
                     0);
    assert_true(run_until(&f->loop, &f->got_held, 10));
    cr_http_server_free(f->srv);
    f->srv = NULL;
    assert_true(run_until(&f->loop, &r1.done, 10));
    assert_true(run_until(&f->loop, &r2.done, 10));
    assert_int_not_equal(r1.err, 0); /* the server closed on them */
    cr_http_respond_text(first, 200, "too late");
    assert_null(
        cr_http_stream_start(f->held, 200, NULL, NULL, on_stream_closed, f));
    f->held = NULL;
}

static void
test_cancel(void **state)
{
    struct fixture *f = *state;
    struct result r = {0};
    struct cr_http_call *c;
    assert_int_equal(cr_http_call_start(&f->loop, "127.0.0.1", f->port, "GET",
                                        "/hang", NULL, NULL, 0, 5, on_response,
                                        &r, &c),
                     0);
    assert_true(run_until(&f->loop, &f->got_held, 10));
    cr_http_call_cancel(c);
    bool never = false;
    run_until(&f->loop, &never, 0.05);
    assert_false(r.done);
    cr_http_respond_text(f->held, 200, "late");
    f->held = NULL;
}

struct sc_result {
    bool responded;
    int status;
    struct cr_http_stream_client *sc;
};

static void
sc_on_response(void *data, int status, const struct cr_http_headers *h)
{
    struct sc_result *r = data;
    r->responded = true;
    r->status = status;
}

static void
sc_on_data(void *data, const char *p, size_t n)
{
}

static void
sc_on_close(void *data, int err)
{
    fail_msg("on_close must not run after close");
}

static void
test_stream_client_leaves(void **state)
{
    struct fixture *f = *state;
    f->events_to_send = 0; /* keep the stream open */
    struct sc_result r = {0};
    struct cr_http_stream_cbs cbs = {sc_on_response, sc_on_data, sc_on_close};
    assert_int_equal(cr_http_stream_client_open(&f->loop, "127.0.0.1", f->port,
                                                "POST", "/events", NULL, "{}",
                                                2, 5, &cbs, &r, &r.sc),
                     0);
    assert_true(run_until(&f->loop, &r.responded, 10));
    assert_int_equal(r.status, 200);
    assert_non_null(f->stream);
    assert_int_equal(cr_http_stream_write(f->stream, "2\n{}", 4), 0);
    cr_http_stream_client_close(r.sc);
    assert_true(run_until(&f->loop, &f->stream_closed, 10));
    assert_null(f->stream);
}

/* A raw server: answers the first request keep-alive, then closes the
 * connection when the second request arrives on it without answering,
 * and answers on any new connection. */
struct raw {
    uv_tcp_t listener;
    int port;
    int conns;
};

struct raw_conn {
    uv_tcp_t tcp;
    struct raw *raw;
    int served;
    char buf[4096];
};

static void
raw_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
    struct raw_conn *rc = h->data;
    *b = uv_buf_init(rc->buf, sizeof(rc->buf));
}

static void
raw_free(uv_handle_t *h)
{
    free(h->data);
}

static void
raw_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct raw_conn *rc = st->data;
    if (n < 0) {
        uv_close((uv_handle_t *)st, raw_free);
        return;
    }
    if (n == 0 || memmem(b->base, (size_t)n, "\r\n\r\n", 4) == NULL)
        return;
    if (rc->served == 1) {
        uv_close((uv_handle_t *)st, raw_free); /* the "idle close" race */
        return;
    }
    rc->served++;
    static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    uv_buf_t out = uv_buf_init((char *)(uintptr_t)ok, sizeof(ok) - 1);
    assert_int_equal(uv_try_write(st, &out, 1), (int)sizeof(ok) - 1);
}

static void
raw_on_conn(uv_stream_t *l, int status)
{
    struct raw *raw = l->data;
    struct raw_conn *rc = calloc(1, sizeof(*rc));
    rc->raw = raw;
    uv_tcp_init(l->loop, &rc->tcp);
    rc->tcp.data = rc;
    assert_int_equal(uv_accept(l, (uv_stream_t *)&rc->tcp), 0);
    raw->conns++;
    uv_read_start((uv_stream_t *)&rc->tcp, raw_alloc, raw_read);
}

static void
test_retry_on_server_close(void **state)
{
    struct fixture *f = *state;
    struct raw raw = {0};
    uv_tcp_init(&f->loop, &raw.listener);
    raw.listener.data = &raw;
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", 0, &a);
    assert_int_equal(uv_tcp_bind(&raw.listener, (struct sockaddr *)&a, 0), 0);
    assert_int_equal(uv_listen((uv_stream_t *)&raw.listener, 16, raw_on_conn),
                     0);
    int len = sizeof(a);
    uv_tcp_getsockname(&raw.listener, (struct sockaddr *)&a, &len);
    int port = ntohs(a.sin_port);
    for (int i = 0; i < 2; i++) {
        struct result r = {0};
        assert_int_equal(cr_http_call_start(&f->loop, "127.0.0.1", port, "POST",
                                            "/x", NULL, "{}", 2, 5, on_response,
                                            &r, NULL),
                         0);
        assert_true(run_until(&f->loop, &r.done, 10));
        assert_int_equal(r.err, 0);
        assert_int_equal(r.status, 200);
        assert_string_equal(r.body, "ok");
        free(r.body);
    }
    assert_int_equal(raw.conns, 2); /* the second call was retried */
    cr_http_client_shutdown(&f->loop);
    uv_close((uv_handle_t *)&raw.listener, NULL);
    uv_run(&f->loop, UV_RUN_NOWAIT);
}

/* Raw client bytes to our server: pipelining and limits. */
struct rawc {
    uv_tcp_t tcp;
    uv_connect_t creq;
    const char *send;
    size_t send_len;
    struct cr_buf got;
    bool eof;
    char buf[65536];
};

static void
rawc_alloc(uv_handle_t *h, size_t s, uv_buf_t *b)
{
    struct rawc *c = h->data;
    *b = uv_buf_init(c->buf, sizeof(c->buf));
}

static void
rawc_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
    struct rawc *c = st->data;
    if (n < 0) {
        c->eof = true;
        uv_read_stop(st);
        return;
    }
    cr_buf_append(&c->got, b->base, (size_t)n);
}

static void
rawc_write_done(uv_write_t *w, int status)
{
    free(w);
}

static void
rawc_connected(uv_connect_t *req, int status)
{
    struct rawc *c = req->data;
    assert_int_equal(status, 0);
    if (c->send_len > 0) {
        uv_write_t *w = malloc(sizeof(*w));
        uv_buf_t b =
            uv_buf_init((char *)(uintptr_t)c->send, (unsigned)c->send_len);
        uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, rawc_write_done);
    }
    uv_read_start((uv_stream_t *)&c->tcp, rawc_alloc, rawc_read);
}

/* Send bytes, collect everything until the server closes. */
static char *
raw_exchange(struct fixture *f, const char *send, size_t n)
{
    struct rawc *c = calloc(1, sizeof(*c));
    cr_buf_init(&c->got, 1 << 20);
    c->send = send;
    c->send_len = n;
    uv_tcp_init(&f->loop, &c->tcp);
    c->tcp.data = c;
    c->creq.data = c;
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", f->port, &a);
    uv_tcp_connect(&c->creq, &c->tcp, (struct sockaddr *)&a, rawc_connected);
    assert_true(run_until(&f->loop, &c->eof, 10));
    uv_close((uv_handle_t *)&c->tcp, NULL);
    uv_run(&f->loop, UV_RUN_NOWAIT);
    char *out = cr_buf_steal(&c->got);
    free(c);
    return out;
}

static void
test_pipelining(void **state)
{
    struct fixture *f = *state;
    const char req[] = "POST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\none"
                       "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                       "\r\n3\r\ntwo\r\n0\r\n\r\n"
                       "GET /echo HTTP/1.1\r\nConnection: close\r\n\r\n";
    char *got = raw_exchange(f, req, sizeof(req) - 1);
    const char *one = strstr(got, "\r\n\r\none");
    const char *two = strstr(got, "\r\n\r\ntwo");
    assert_non_null(one);
    assert_non_null(two);
    assert_true(one < two);
    assert_non_null(strstr(two, "Content-Length: 0\r\n"));
    assert_non_null(strstr(two, "Connection: close\r\n"));
    free(got);
    assert_int_equal(f->requests, 3);
}

static void
test_bad_requests(void **state)
{
    struct fixture *f = *state;
    const char bad[] = "GARBAGE\r\n\r\n";
    char *got = raw_exchange(f, bad, sizeof(bad) - 1);
    assert_true(strncmp(got, "HTTP/1.1 400 ", 13) == 0);
    free(got);

    const char big[] = "POST /echo HTTP/1.1\r\nContent-Length: 99999999999\r\n"
                       "\r\n";
    got = raw_exchange(f, big, sizeof(big) - 1);
    assert_true(strncmp(got, "HTTP/1.1 413 ", 13) == 0);
    free(got);

    size_t n = CR_HTTP_MAX_HEADER_BYTES + 100;
    char *huge = malloc(n + 64);
    int k = snprintf(huge, 64, "GET / HTTP/1.1\r\nX-Big: ");
    memset(huge + k, 'a', n);
    memcpy(huge + k + n, "\r\n\r\n", 4);
    got = raw_exchange(f, huge, (size_t)k + n + 4);
    assert_true(strncmp(got, "HTTP/1.1 431 ", 13) == 0);
    free(got);
    free(huge);
    assert_int_equal(f->requests, 0);
}

static void
test_idle_timeout(void **state)
{
    struct fixture *f = *state;
    cr_http_server_set_idle_timeout(f->srv, 0.1);
    /* a connection that never sends a request is closed by the server */
    char *got = raw_exchange(f, "", 0);
    assert_string_equal(got, "");
    free(got);
    /* so is one that sends half a request and stalls */
    const char half[] = "GET / HTTP/1.1\r\nHost: x";
    got = raw_exchange(f, half, sizeof(half) - 1);
    assert_string_equal(got, "");
    free(got);
    assert_int_equal(f->requests, 0);
}

int
run_loopback_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_alive_reuse, setup, teardown),
        cmocka_unit_test_setup_teardown(test_borrowed_body, setup, teardown),
        cmocka_unit_test_setup_teardown(test_borrowed_body_peer_gone, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_calls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_stream, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_stream_borrowed_record,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_stream_close_in_callback,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_stream_non_200, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_event_stream_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_client_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_event_stream_timeout, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_server_free_with_held_requests,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stream_client_leaves, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retry_on_server_close, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_pipelining, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_idle_timeout, setup, teardown),
    };
    return cmocka_run_group_tests_name("loopback", tests, NULL, NULL);
}
