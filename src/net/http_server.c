/* SPDX-License-Identifier: Apache-2.0
 *
 * http_server.c: HTTP/1.1 server on libuv; see http_server.h.
 *
 * Each accepted connection is a struct conn with two handles (tcp, timer)
 * and this state machine:
 *
 *   READ --request complete--> DISPATCH --respond, keep-alive--> READ
 *                                  |--respond, close / error----> DRAIN
 *                                  `--stream_start--> STREAM --end--> DRAIN
 *   DRAIN: the answer is queued and the write side shut down; incoming
 *   bytes are discarded until EOF or a short linger, then the handles close.
 *   Any state --peer gone / I/O error / idle timeout--> closing.
 *
 * Only one request per connection is outstanding: reading stops while the
 * handler owns the request, and bytes already received for the next
 * (pipelined) request wait in conn->pending.
 *
 * Ownership: the server owns its conns. A conn's memory is released in the
 * last handle close callback, unless its request is still outstanding, in
 * which case answering the request releases it (the request outlives the
 * peer). A stream belongs to the caller until cr_http_stream_end() or the
 * on_close callback, which runs from the conn's close callback (never from
 * inside a write call). Responses are written with uv_try_write of iovecs
 * and only the unwritten rest is copied for uv_write, except a borrowed
 * body (cr_http_respond_borrowed()), queued by reference.
 *
 * Loop thread only.
 */
#include "http_server.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "http_parse.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READ_BUF_SIZE   (64u * 1024)
#define PENDING_MAX     (4u * READ_BUF_SIZE)
#define IDLE_TIMEOUT_MS 75000u /* default; longer than the client's pool */
#define LINGER_MS       2000u

enum conn_state { CONN_READ, CONN_DISPATCH, CONN_STREAM, CONN_DRAIN };

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_shutdown_t shutdown_req;
    struct cr_http_server *srv; /* NULL once the handles are closed */
    struct conn *prev, *next;   /* in srv->conns while handles are open */
    struct cr_http_parse parse;
    struct cr_buf pending; /* received, not yet parsed (pipelining) */
    size_t pending_pos;
    struct cr_http_req *req;       /* outstanding request */
    struct cr_http_stream *stream; /* open stream (CONN_STREAM) */
    enum conn_state state;
    int handles_open;
    bool keep_alive;
    bool closing; /* uv_close called (or handles gone) */
    bool in_process;
    bool server_gone; /* closed by cr_http_server_free */
    bool peer_eof;    /* EOF seen while answers were still queued */
    uint64_t last_active;
    char peer[64];
};

struct cr_http_stream {
    struct conn *c;
    cr_http_stream_closed_cb on_close;
    void *data;
};

struct cr_http_server {
    uv_loop_t *loop;
    uv_tcp_t listener;
    cr_http_handler_cb handler;
    void *data;
    struct conn *conns;
    int handles_open; /* listener + conns not yet fully closed */
    uint64_t idle_ms;
    bool freeing;
    char rbuf[READ_BUF_SIZE];
};

struct wreq {
    uv_write_t req;
    struct conn *c;
    cr_http_release_cb release; /* borrowed buffers given back (or NULL) */
    void *release_arg;
    char data[];
};

static void conn_close(struct conn *c);
static void conn_process(struct conn *c);
static void conn_update_reading(struct conn *c);
static void on_timer(uv_timer_t *t);
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf);

/* ---- lifetime ------------------------------------------------------ */

static void
server_maybe_release(struct cr_http_server *srv)
{
    if (srv->freeing && srv->handles_open == 0)
        free(srv);
}

static void
conn_release(struct conn *c)
{
    cr_http_parse_fini(&c->parse);
    cr_buf_fini(&c->pending);
    free(c);
}

static void
on_conn_handle_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    if (--c->handles_open > 0)
        return;
    struct cr_http_server *srv = c->srv;
    c->srv = NULL;
    struct cr_http_stream *s = c->stream;
    c->stream = NULL;
    if (s != NULL) {
        if (srv == NULL || !srv->freeing)
            s->on_close(s, s->data);
        free(s);
    }
    if (c->req == NULL)
        conn_release(c);
    if (srv != NULL) {
        srv->handles_open--;
        server_maybe_release(srv);
    }
}

static void
conn_unlink(struct conn *c)
{
    struct cr_http_server *srv = c->srv;
    if (srv == NULL)
        return;
    if (c->prev)
        c->prev->next = c->next;
    else if (srv->conns == c)
        srv->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void
conn_close(struct conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    conn_unlink(c);
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

/* ---- writing --------------------------------------------------------- */

static void
on_write(uv_write_t *w, int status)
{
    struct wreq *wr = (struct wreq *)w;
    struct conn *c = wr->c;
    if (wr->release)
        wr->release(wr->release_arg);
    free(wr);
    if (status < 0 && !c->closing)
        conn_close(c);
}

/* Write the buffers in order: directly when possible, else queue the
 * rest. Buffers before `borrowed` are copied if not written at once; the
 * ones from `borrowed` on are queued by reference and stay the caller's
 * until release(arg), called exactly once: when they are written or the
 * connection is gone (possibly before this returns). 0 or a libuv error
 * (the peer is gone). */
/* Most buffers one write takes (the callers' fixed arrays). */
#define MAX_WRITE_BUFS 4

static int
conn_write_borrowing(struct conn *c, uv_buf_t *bufs, unsigned nbufs,
                     unsigned borrowed, cr_http_release_cb release, void *arg)
{
    size_t total = 0, done = 0;
    assert(nbufs <= MAX_WRITE_BUFS);
    for (unsigned i = 0; i < nbufs; i++)
        total += bufs[i].len;
    if (total > 0 && c->tcp.write_queue_size == 0) {
        int r = uv_try_write((uv_stream_t *)&c->tcp, bufs, nbufs);
        if (r >= 0)
            done = (size_t)r;
        else if (r != UV_EAGAIN && r != UV_ENOSYS) {
            if (release)
                release(arg);
            return r;
        }
    }
    if (done == total) {
        if (release)
            release(arg);
        return 0;
    }
    /* Skip what was written; count what must be copied. */
    unsigned first = 0;
    size_t skip = done, copy = 0;
    while (skip >= bufs[first].len)
        skip -= bufs[first++].len;
    for (unsigned i = first; i < borrowed && i < nbufs; i++)
        copy += bufs[i].len - (i == first ? skip : 0);
    struct wreq *wr = cr_xmalloc(sizeof(*wr) + copy);
    wr->c = c;
    wr->release = release;
    wr->release_arg = arg;
    uv_buf_t out[MAX_WRITE_BUFS + 1];
    unsigned n = 0;
    size_t o = 0;
    for (unsigned i = first; i < nbufs; i++) {
        size_t off = i == first ? skip : 0;
        if (i < borrowed) {
            memcpy(wr->data + o, bufs[i].base + off, bufs[i].len - off);
            o += bufs[i].len - off;
            continue;
        }
        if (n == 0 && o > 0)
            out[n++] = uv_buf_init(wr->data, (unsigned)o);
        if (bufs[i].len > off)
            out[n++] =
                uv_buf_init(bufs[i].base + off, (unsigned)(bufs[i].len - off));
    }
    if (n == 0)
        out[n++] = uv_buf_init(wr->data, (unsigned)o);
    int r = uv_write(&wr->req, (uv_stream_t *)&c->tcp, out, n, on_write);
    if (r != 0) {
        free(wr);
        if (release)
            release(arg);
    }
    return r;
}

static int
conn_write(struct conn *c, uv_buf_t *bufs, unsigned nbufs)
{
    return conn_write_borrowing(c, bufs, nbufs, nbufs, NULL, NULL);
}

/* ---- draining and closing after the last answer ------------------- */

static void
on_shutdown(uv_shutdown_t *req, int status)
{
    struct conn *c = req->data;
    if (status < 0 || c->closing || c->peer_eof) {
        conn_close(c);
        return;
    }
    /* Linger so the peer reads the answer rather than a reset. */
    uv_timer_start(&c->timer, on_timer, LINGER_MS, 0);
}

/* The connection gets no more requests: shut down the write side once
 * the queued bytes are out, then discard input until EOF or the linger. */
static void
conn_finish(struct conn *c)
{
    if (c->closing || c->state == CONN_DRAIN)
        return;
    c->state = CONN_DRAIN;
    cr_buf_reset(&c->pending);
    c->pending_pos = 0;
    uv_timer_stop(&c->timer);
    c->shutdown_req.data = c;
    if (uv_shutdown(&c->shutdown_req, (uv_stream_t *)&c->tcp, on_shutdown))
        conn_close(c);
    else
        conn_update_reading(c);
}

static void
on_timer(uv_timer_t *t)
{
    struct conn *c = t->data;
    if (c->state == CONN_DRAIN) {
        conn_close(c);
        return;
    }
    if (c->state != CONN_READ)
        return;
    uint64_t idle = uv_now(t->loop) - c->last_active;
    uint64_t limit = c->srv->idle_ms;
    if (idle >= limit)
        conn_close(c);
    else
        uv_timer_start(t, on_timer, limit - idle, 0);
}

/* ---- reading --------------------------------------------------------- */

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct conn *c = h->data;
    buf->base = c->srv->rbuf;
    buf->len = sizeof(c->srv->rbuf);
}

static void
conn_update_reading(struct conn *c)
{
    if (c->closing)
        return;
    bool want = c->state != CONN_DISPATCH;
    if (want)
        uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    else
        uv_read_stop((uv_stream_t *)&c->tcp);
}

static void
on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct conn *c = st->data;
    if (nread < 0) {
        /* A half-closing client still gets the answers already queued. */
        if (nread == UV_EOF && c->state != CONN_STREAM &&
            c->tcp.write_queue_size > 0) {
            c->peer_eof = true;
            uv_read_stop(st);
            conn_finish(c);
            if (c->state == CONN_DRAIN)
                uv_read_stop(st);
            return;
        }
        conn_close(c);
        return;
    }
    if (nread == 0 || c->state == CONN_DRAIN || c->state == CONN_STREAM)
        return; /* discard what follows a final answer */
    c->last_active = uv_now(st->loop);
    if (c->pending_pos > 0) {
        cr_buf_consume(&c->pending, c->pending_pos);
        c->pending_pos = 0;
    }
    if (cr_buf_append(&c->pending, buf->base, (size_t)nread)) {
        conn_close(c);
        return;
    }
    conn_process(c);
}

/* ---- requests and answers ------------------------------------------ */

static void
write_error_and_finish(struct conn *c, int status)
{
    cr_debug("http: refusing a request from %s with %d", c->peer, status);
    char head[256];
    int n = snprintf(head, sizeof(head),
                     "HTTP/1.1 %d %s\r\nContent-Length: 0\r\n"
                     "Connection: close\r\n\r\n",
                     status, cr_http_status_text(status));
    uv_buf_t b = uv_buf_init(head, (unsigned)n);
    if (conn_write(c, &b, 1))
        conn_close(c);
    else
        conn_finish(c);
}

static void
dispatch(struct conn *c)
{
    struct cr_http_req *req = cr_http_parse_take(&c->parse, &c->keep_alive);
    memcpy(req->peer, c->peer, sizeof(req->peer));
    req->conn_private = c;
    c->req = req;
    c->state = CONN_DISPATCH;
    conn_update_reading(c);
    c->srv->handler(req, c->srv->data);
}

static void
send_continue(struct conn *c)
{
    static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
    c->parse.expect_continue = false;
    uv_buf_t b = uv_buf_init((char *)(uintptr_t)cont, sizeof(cont) - 1);
    if (conn_write(c, &b, 1))
        conn_close(c);
}

/* Parse buffered bytes while the connection waits for a request. The
 * handler may answer synchronously; in_process keeps that from recursing. */
static void
conn_process(struct conn *c)
{
    if (c->in_process)
        return;
    c->in_process = true;
    while (!c->closing && c->state == CONN_READ &&
           c->pending_pos < c->pending.len) {
        size_t used = 0;
        enum cr_parse r =
            cr_http_parse_feed(&c->parse, c->pending.data + c->pending_pos,
                               c->pending.len - c->pending_pos, &used);
        c->pending_pos += used;
        if (r == CR_PARSE_ERROR) {
            write_error_and_finish(c, c->parse.status);
            break;
        }
        if (r == CR_PARSE_AGAIN) {
            if (c->parse.expect_continue)
                send_continue(c); /* the body has not come yet */
            break;
        }
        dispatch(c);
    }
    if (c->pending_pos >= c->pending.len) {
        cr_buf_reset(&c->pending);
        c->pending_pos = 0;
    }
    c->in_process = false;
}

/* Detach req from its connection and free it (the caller has copied what
 * it needs from it: answers may be built from the request's own body).
 * Returns the connection if an answer can still be written, else NULL
 * (the request outlived its peer). */
static struct conn *
answer_end(struct cr_http_req *req)
{
    struct conn *c = req->conn_private;
    cr_http_req_free(req);
    c->req = NULL;
    if (c->closing) {
        if (c->handles_open == 0)
            conn_release(c);
        return NULL;
    }
    return c;
}

/* After a complete, non-streaming answer: next request or drain. */
static void
answer_done(struct conn *c)
{
    if (c->closing)
        return;
    if (!c->keep_alive) {
        conn_finish(c);
        return;
    }
    c->state = CONN_READ;
    c->last_active = uv_now(c->tcp.loop);
    uv_timer_start(&c->timer, on_timer, c->srv->idle_ms, 0);
    conn_update_reading(c);
    conn_process(c);
}

static int
format_head(char *out, size_t n, int status, const char *content_type,
            const char *length_or_chunked, bool keep_alive)
{
    int len =
        snprintf(out, n, "HTTP/1.1 %d %s\r\n%s%s%s%s", status,
                 cr_http_status_text(status), length_or_chunked,
                 content_type ? "Content-Type: " : "",
                 content_type ? content_type : "", content_type ? "\r\n" : "");
    if (len < 0 || (size_t)len >= n)
        return -1;
    if (!keep_alive) {
        int m = snprintf(out + len, n - (size_t)len, "Connection: close\r\n");
        if (m < 0 || (size_t)m >= n - (size_t)len)
            return -1;
        len += m;
    }
    return len;
}

static void
respond(struct cr_http_req *req, int status, const char *content_type,
        const char *body, size_t len, const char *extra_headers,
        cr_http_release_cb release, void *arg)
{
    struct conn *c = req->conn_private;
    if (c->closing) {
        answer_end(req);
        if (release)
            release(arg);
        return;
    }
    bool head_only = strcmp(req->method, "HEAD") == 0;
    char clen[64], head[512];
    snprintf(clen, sizeof(clen), "Content-Length: %zu\r\n", len);
    int hl = format_head(head, sizeof(head), status, content_type, clen,
                         c->keep_alive);
    if (hl < 0) {
        hl = format_head(head, sizeof(head), status, NULL, clen, false);
        c->keep_alive = false;
    }
    uv_buf_t bufs[4] = {
        uv_buf_init(head, (unsigned)hl),
        uv_buf_init((char *)(uintptr_t)(extra_headers ? extra_headers : ""),
                    extra_headers ? (unsigned)strlen(extra_headers) : 0),
        uv_buf_init((char *)(uintptr_t) "\r\n", 2),
        uv_buf_init((char *)(uintptr_t)(body ? body : ""),
                    head_only || body == NULL ? 0 : (unsigned)len),
    };
    int rc = conn_write_borrowing(c, bufs, 4, release ? 3 : 4, release, arg);
    answer_end(req);
    if (rc != 0) {
        conn_close(c);
        return;
    }
    answer_done(c);
}

void
cr_http_respond(struct cr_http_req *req, int status, const char *content_type,
                const char *body, size_t len, const char *extra_headers)
{
    respond(req, status, content_type, body, len, extra_headers, NULL, NULL);
}

/* A body this large is written at most SNDBUF_BIG bytes per writable
 * event (SO_SNDBUF; Linux doubles it): on loopback the kernel otherwise
 * grows a busy socket's buffer to many megabytes, and one writev copying
 * 10 MB stalled the loop for several milliseconds. */
#define BIG_BODY   (4u * 1024 * 1024)
#define SNDBUF_BIG (256 * 1024)

static void
limit_sndbuf_for(struct conn *c, size_t len)
{
    if (len >= BIG_BODY && !c->closing) {
        int size = SNDBUF_BIG;
        (void)uv_send_buffer_size((uv_handle_t *)&c->tcp, &size);
    }
}

void
cr_http_respond_borrowed(struct cr_http_req *req, int status,
                         const char *content_type, const char *body, size_t len,
                         cr_http_release_cb release, void *arg)
{
    limit_sndbuf_for(req->conn_private, len);
    respond(req, status, content_type, body, len, NULL, release, arg);
}

void
cr_http_respond_text(struct cr_http_req *req, int status, const char *text)
{
    cr_http_respond(req, status, "text/plain; charset=utf-8", text,
                    text ? strlen(text) : 0, NULL);
}

void
cr_http_respond_json(struct cr_http_req *req, int status, const char *json,
                     size_t len)
{
    cr_http_respond(req, status, "application/json", json, len, NULL);
}

/* ---- streams --------------------------------------------------------- */

static void
on_orphan_timer(uv_timer_t *t)
{
    struct conn *c = t->data;
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

/* The peer left before the stream started: report on_close on a later
 * loop turn through a fresh timer handle. */
static void
stream_orphan(struct conn *c)
{
    uv_timer_init(c->tcp.loop, &c->timer);
    c->timer.data = c;
    c->handles_open = 1;
    uv_timer_start(&c->timer, on_orphan_timer, 0, 0);
}

struct cr_http_stream *
cr_http_stream_start(struct cr_http_req *req, int status,
                     const char *content_type, const char *extra_headers,
                     cr_http_stream_closed_cb on_close, void *data)
{
    struct conn *c = req->conn_private;
    if (c->server_gone) {
        answer_end(req);
        return NULL; /* the server is going away */
    }
    cr_http_req_free(req);
    c->req = NULL;
    struct cr_http_stream *s = cr_xcalloc(1, sizeof(*s));
    s->c = c;
    s->on_close = on_close;
    s->data = data;
    c->stream = s;
    if (c->closing) {
        if (c->handles_open == 0)
            stream_orphan(c);
        return s;
    }
    c->state = CONN_STREAM;
    char head[512];
    int hl = format_head(head, sizeof(head), status, content_type,
                         "Transfer-Encoding: chunked\r\n", true);
    if (hl < 0)
        hl = format_head(head, sizeof(head), status, NULL,
                         "Transfer-Encoding: chunked\r\n", true);
    uv_buf_t bufs[3] = {
        uv_buf_init(head, (unsigned)hl),
        uv_buf_init((char *)(uintptr_t)(extra_headers ? extra_headers : ""),
                    extra_headers ? (unsigned)strlen(extra_headers) : 0),
        uv_buf_init((char *)(uintptr_t) "\r\n", 2),
    };
    if (conn_write(c, bufs, 3))
        conn_close(c);
    else
        conn_update_reading(c); /* to notice the peer leaving */
    return s;
}

int
cr_http_stream_write(struct cr_http_stream *s, const char *data, size_t len)
{
    if (s == NULL || s->c->closing)
        return CR_ECLOSED;
    struct conn *c = s->c;
    if (len == 0)
        return 0; /* an empty chunk would end the stream */
    if (len > CR_HTTP_STREAM_MAX_QUEUED ||
        c->tcp.write_queue_size > CR_HTTP_STREAM_MAX_QUEUED - len) {
        cr_warn("http: stream to %s is too slow (%zu bytes queued); "
                "disconnecting",
                c->peer, c->tcp.write_queue_size);
        conn_close(c);
        return CR_ETOOBIG;
    }
    char hdr[24];
    int hl = snprintf(hdr, sizeof(hdr), "%zx\r\n", len);
    uv_buf_t bufs[3] = {
        uv_buf_init(hdr, (unsigned)hl),
        uv_buf_init((char *)(uintptr_t)data, (unsigned)len),
        uv_buf_init((char *)(uintptr_t) "\r\n", 2),
    };
    if (conn_write(c, bufs, 3)) {
        conn_close(c);
        return CR_ECLOSED;
    }
    return 0;
}

int
cr_http_stream_write_borrowed(struct cr_http_stream *s, const char *head,
                              size_t head_len, const char *data, size_t len,
                              cr_http_release_cb release, void *arg)
{
    if (s == NULL || s->c->closing || head_len + len == 0) {
        release(arg);
        return s == NULL || s->c->closing ? CR_ECLOSED : 0;
    }
    struct conn *c = s->c;
    limit_sndbuf_for(c, len);
    char hdr[24];
    int hl = snprintf(hdr, sizeof(hdr), "%zx\r\n", head_len + len);
    uv_buf_t bufs[4] = {
        uv_buf_init(hdr, (unsigned)hl),
        uv_buf_init((char *)(uintptr_t)(head ? head : ""), (unsigned)head_len),
        uv_buf_init((char *)(uintptr_t)(data ? data : ""), (unsigned)len),
        uv_buf_init((char *)(uintptr_t) "\r\n", 2),
    };
    if (conn_write_borrowing(c, bufs, 4, 2, release, arg)) {
        conn_close(c);
        return CR_ECLOSED;
    }
    return 0;
}

void
cr_http_stream_end(struct cr_http_stream *s)
{
    if (s == NULL)
        return;
    struct conn *c = s->c;
    c->stream = NULL;
    free(s);
    if (c->closing)
        return;
    uv_buf_t b = uv_buf_init((char *)(uintptr_t) "0\r\n\r\n", 5);
    if (conn_write(c, &b, 1))
        conn_close(c);
    else
        conn_finish(c);
}

const char *
cr_http_stream_peer(const struct cr_http_stream *s)
{
    return s ? s->c->peer : "";
}

/* ---- accepting ------------------------------------------------------- */

static void
format_peer(uv_tcp_t *tcp, char *out, size_t n)
{
    struct sockaddr_storage ss;
    int len = sizeof(ss);
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (uv_tcp_getpeername(tcp, (struct sockaddr *)&ss, &len) == 0) {
        if (ss.ss_family == AF_INET6) {
            struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
            uv_ip6_name(a, ip, sizeof(ip));
            port = ntohs(a->sin6_port);
        } else {
            struct sockaddr_in *a = (struct sockaddr_in *)&ss;
            uv_ip4_name(a, ip, sizeof(ip));
            port = ntohs(a->sin_port);
        }
    }
    snprintf(out, n, "%s:%d", ip, port);
}

static void
on_connection(uv_stream_t *listener, int status)
{
    struct cr_http_server *srv = listener->data;
    if (status < 0 || srv->freeing)
        return;
    struct conn *c = cr_xcalloc(1, sizeof(*c));
    c->srv = srv;
    uv_tcp_init(srv->loop, &c->tcp);
    uv_timer_init(srv->loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->handles_open = 2;
    srv->handles_open++;
    cr_http_parse_init(&c->parse);
    cr_buf_init(&c->pending, PENDING_MAX);
    c->next = srv->conns;
    if (srv->conns)
        srv->conns->prev = c;
    srv->conns = c;
    if (uv_accept(listener, (uv_stream_t *)&c->tcp) != 0) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    format_peer(&c->tcp, c->peer, sizeof(c->peer));
    c->state = CONN_READ;
    c->last_active = uv_now(srv->loop);
    uv_timer_start(&c->timer, on_timer, c->srv->idle_ms, 0);
    conn_update_reading(c);
}

struct cr_http_server *
cr_http_server_new(uv_loop_t *loop, cr_http_handler_cb handler, void *data)
{
    struct cr_http_server *srv = cr_xcalloc(1, sizeof(*srv));
    srv->loop = loop;
    srv->handler = handler;
    srv->data = data;
    uv_tcp_init(loop, &srv->listener);
    srv->listener.data = srv;
    srv->handles_open = 1;
    srv->idle_ms = IDLE_TIMEOUT_MS;
    return srv;
}

int
cr_http_server_listen(struct cr_http_server *srv, const char *ip, int port,
                      int *bound_port)
{
    struct sockaddr_storage ss;
    int r;
    if (strchr(ip, ':'))
        r = uv_ip6_addr(ip, port, (struct sockaddr_in6 *)&ss);
    else
        r = uv_ip4_addr(ip, port, (struct sockaddr_in *)&ss);
    if (r == 0)
        r = uv_tcp_bind(&srv->listener, (struct sockaddr *)&ss, 0);
    if (r == 0)
        r = uv_listen((uv_stream_t *)&srv->listener, 511, on_connection);
    if (r != 0)
        return r;
    if (bound_port) {
        int len = sizeof(ss);
        r = uv_tcp_getsockname(&srv->listener, (struct sockaddr *)&ss, &len);
        if (r != 0)
            return r;
        *bound_port = ss.ss_family == AF_INET6
                          ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
                          : ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    return 0;
}

void
cr_http_server_set_idle_timeout(struct cr_http_server *srv, double secs)
{
    srv->idle_ms = secs > 0 ? (uint64_t)(secs * 1000.0) : 1;
}

static void
on_listener_closed(uv_handle_t *h)
{
    struct cr_http_server *srv = h->data;
    srv->handles_open--;
    server_maybe_release(srv);
}

void
cr_http_server_free(struct cr_http_server *srv)
{
    if (srv == NULL || srv->freeing)
        return;
    srv->freeing = true;
    while (srv->conns) {
        srv->conns->server_gone = true;
        conn_close(srv->conns);
    }
    uv_close((uv_handle_t *)&srv->listener, on_listener_closed);
}
