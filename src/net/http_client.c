/* SPDX-License-Identifier: Apache-2.0
 *
 * http_client.c: HTTP/1.1 client on libuv; see http_client.h.
 *
 * An exchange (struct exch: one request and its response) runs on a
 * connection (struct cconn, handles tcp + timer). One-shot calls and
 * streaming requests share that machinery and differ in what they do with
 * the response head, body pieces and the end (struct exch_ops).
 *
 * Connection states: RESOLVING -> CONNECTING -> BUSY -> (IDLE -> BUSY)* ->
 * closing. Idle connections sit in a per-loop pool keyed by host:port
 * (bounded per key and in total), are unref'd so they do not keep the loop
 * alive, keep reading so a server-side close is noticed, and are closed
 * after POOL_IDLE_MS. A request that fails on a reused connection before
 * any response byte arrived is retried once on a fresh connection (the
 * server may have closed it as we sent).
 *
 * Ownership: the caller owns its call/stream handle until the final
 * callback runs (then it is freed) or it cancels/closes it. A cconn is
 * owned by its exchange while busy, by the pool while idle, and frees
 * itself in its last close callback (and never while a getaddrinfo
 * request on it is pending). User callbacks may close/cancel their own
 * handle; code after a user callback only touches the cconn.
 *
 * Loop thread only.
 */
#include "http_client.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "http_parse.h"
#include "url.h"

#include <http_parser.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POOL_IDLE_MS      30000u
#define POOL_MAX_PER_HOST 32u
#define POOL_MAX_TOTAL    256u
#define READ_BUF_SIZE     (64u * 1024)

struct exch;
struct cconn;

struct exch_ops {
    /* Response head arrived. Return nonzero to stop (the exchange is over:
     * it has been finished or closed by the callee). */
    void (*on_head)(struct exch *x, int status, struct cr_http_headers *h);
    /* A piece of de-chunked body. 0, or an error that fails the exchange. */
    int (*on_body)(struct exch *x, const char *p, size_t n);
    /* The exchange is over: err 0 on a complete response. */
    void (*on_done)(struct exch *x, int err);
};

struct exch {
    const struct exch_ops *ops;
    uv_loop_t *loop;
    char host[CR_HOST_MAX];
    int port;
    struct cr_buf req; /* the request bytes, kept for a retry */
    bool head_request;
    bool poolable;
    bool retried;
    bool head_seen;
    uint64_t deadline; /* uv_now() ms; 0: none */
    bool deadline_head_only;
    struct cconn *c;
};

struct pool {
    uv_loop_t *loop;
    struct cconn *idle;
    size_t n_idle;
    struct pool *next;
};

struct cconn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    uv_getaddrinfo_t gai;
    uv_connect_t creq;
    uv_write_t wreq;
    char *wbuf; /* unwritten rest of the request (owned) */
    struct pool *pool;
    char host[CR_HOST_MAX];
    int port;
    http_parser parser;
    struct cr_http_hdr_acc hdrs;
    struct exch *x; /* current exchange; NULL when idle or abandoned */
    struct cconn *prev, *next; /* in pool->idle */
    int handles_open;
    bool resolving;
    bool closing;
    bool idle;
    bool reused;
    bool got_bytes;
    bool msg_done;
    bool informational;
    char rbuf[READ_BUF_SIZE];
};

static struct pool *pools; /* loop thread only */

static void cconn_close(struct cconn *c);
static void exch_fail(struct exch *x, int err);
static int exch_run(struct exch *x);

/* ---- pool ----------------------------------------------------------- */

static struct pool *
pool_for(uv_loop_t *loop)
{
    for (struct pool *p = pools; p; p = p->next)
        if (p->loop == loop)
            return p;
    struct pool *p = cr_xcalloc(1, sizeof(*p));
    p->loop = loop;
    p->next = pools;
    pools = p;
    return p;
}

static void
pool_remove(struct cconn *c)
{
    if (!c->idle)
        return;
    struct pool *p = c->pool;
    if (c->prev)
        c->prev->next = c->next;
    else
        p->idle = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->prev = c->next = NULL;
    c->idle = false;
    p->n_idle--;
    uv_ref((uv_handle_t *)&c->tcp);
    uv_ref((uv_handle_t *)&c->timer);
}

static struct cconn *
pool_take(struct pool *p, const char *host, int port)
{
    for (struct cconn *c = p->idle; c; c = c->next) {
        if (c->port == port && strcmp(c->host, host) == 0) {
            pool_remove(c);
            uv_timer_stop(&c->timer);
            return c;
        }
    }
    return NULL;
}

static void
on_idle_timer(uv_timer_t *t)
{
    cconn_close(t->data);
}

static void
pool_put(struct cconn *c)
{
    struct pool *p = c->pool;
    size_t same = 0;
    for (struct cconn *o = p->idle; o; o = o->next)
        same += o->port == c->port && strcmp(o->host, c->host) == 0;
    if (p->n_idle >= POOL_MAX_TOTAL || same >= POOL_MAX_PER_HOST) {
        cconn_close(c);
        return;
    }
    c->idle = true;
    c->next = p->idle;
    c->prev = NULL;
    if (p->idle)
        p->idle->prev = c;
    p->idle = c;
    p->n_idle++;
    uv_unref((uv_handle_t *)&c->tcp);
    uv_unref((uv_handle_t *)&c->timer);
    uv_timer_start(&c->timer, on_idle_timer, POOL_IDLE_MS, 0);
}

void
cr_http_client_shutdown(uv_loop_t *loop)
{
    struct pool **pp = &pools;
    while (*pp && (*pp)->loop != loop)
        pp = &(*pp)->next;
    struct pool *p = *pp;
    if (p == NULL)
        return;
    while (p->idle)
        cconn_close(p->idle);
    /* Busy connections keep their pointer to the pool: keep it while any
     * exist. Freeing it is only safe when the loop is done, so the pool
     * stays (one small struct per loop). */
}

/* ---- connection lifetime --------------------------------------------- */

static void
cconn_maybe_free(struct cconn *c)
{
    if (c->handles_open > 0 || c->resolving)
        return;
    cr_http_hdr_acc_fini(&c->hdrs);
    free(c->wbuf);
    free(c);
}

static void
on_cconn_closed(uv_handle_t *h)
{
    struct cconn *c = h->data;
    c->handles_open--;
    cconn_maybe_free(c);
}

/* Close the connection; its exchange (if any) is detached, not told. */
static void
cconn_close(struct cconn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    pool_remove(c);
    if (c->x) {
        c->x->c = NULL;
        c->x = NULL;
    }
    /* Stop a parse in progress (we may be inside one of its callbacks);
     * a parser already in error state stops by itself, and pausing it
     * would trip http-parser's assertion. */
    if (HTTP_PARSER_ERRNO(&c->parser) == HPE_OK)
        http_parser_pause(&c->parser, 1);
    uv_close((uv_handle_t *)&c->tcp, on_cconn_closed);
    uv_close((uv_handle_t *)&c->timer, on_cconn_closed);
}

static struct cconn *
cconn_new(uv_loop_t *loop, const char *host, int port)
{
    struct cconn *c = cr_xcalloc(1, sizeof(*c));
    c->pool = pool_for(loop);
    snprintf(c->host, sizeof(c->host), "%s", host);
    c->port = port;
    uv_tcp_init(loop, &c->tcp);
    uv_timer_init(loop, &c->timer);
    c->tcp.data = c;
    c->timer.data = c;
    c->gai.data = c;
    c->creq.data = c;
    c->wreq.data = c;
    c->handles_open = 2;
    cr_http_hdr_acc_init(&c->hdrs, CR_HTTP_MAX_HEADER_BYTES);
    return c;
}

/* ---- response parsing --------------------------------------------------- */

static int
rp_header_field(http_parser *hp, const char *at, size_t n)
{
    struct cconn *c = hp->data;
    return cr_http_hdr_acc_field(&c->hdrs, at, n) ? -1 : 0;
}

static int
rp_header_value(http_parser *hp, const char *at, size_t n)
{
    struct cconn *c = hp->data;
    return cr_http_hdr_acc_value(&c->hdrs, at, n) ? -1 : 0;
}

static int
rp_headers_complete(http_parser *hp)
{
    struct cconn *c = hp->data;
    if (cr_http_hdr_acc_finish(&c->hdrs))
        return -1;
    int status = (int)hp->status_code;
    if (status >= 100 && status < 200 && status != 101) {
        c->informational = true; /* 100 Continue and friends: skip */
        struct cr_http_headers drop;
        cr_http_hdr_acc_take(&c->hdrs, &drop);
        cr_http_headers_fini(&drop);
        return 0;
    }
    struct exch *x = c->x;
    if (x == NULL)
        return -1;
    bool skip_body = x->head_request;
    struct cr_http_headers h;
    cr_http_hdr_acc_take(&c->hdrs, &h);
    x->head_seen = true;
    x->ops->on_head(x, status, &h);
    cr_http_headers_fini(&h);
    if (c->x == NULL || c->closing) {
        http_parser_pause(hp, 1);
        return 0;
    }
    return skip_body ? 1 : 0;
}

static int
rp_body(http_parser *hp, const char *at, size_t n)
{
    struct cconn *c = hp->data;
    if (c->x == NULL)
        return -1;
    int rc = c->x->ops->on_body(c->x, at, n);
    if (rc != 0 && c->x != NULL) {
        exch_fail(c->x, rc);
        return -1;
    }
    if (c->x == NULL || c->closing)
        http_parser_pause(hp, 1);
    return 0;
}

static int
rp_message_complete(http_parser *hp)
{
    struct cconn *c = hp->data;
    if (c->informational) {
        c->informational = false;
        return 0;
    }
    c->msg_done = true;
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings rp_settings = {
    .on_header_field = rp_header_field,
    .on_header_value = rp_header_value,
    .on_headers_complete = rp_headers_complete,
    .on_body = rp_body,
    .on_message_complete = rp_message_complete,
};

/* ---- exchange end ----------------------------------------------------- */

/* The response is complete: give the connection back (or close it) and
 * report success. */
static void
exch_complete(struct exch *x, bool reusable)
{
    struct cconn *c = x->c;
    x->c = NULL;
    if (c != NULL) {
        c->x = NULL;
        /* A server may answer before it has read all of our request;
         * such a connection still has a write in flight and cannot be
         * reused until it completes, so it is closed instead. */
        if (reusable && x->poolable && !c->closing && c->wbuf == NULL) {
            uv_timer_stop(&c->timer);
            pool_put(c);
        } else {
            cconn_close(c);
        }
    }
    x->ops->on_done(x, 0);
}

static void
exch_fail(struct exch *x, int err)
{
    struct cconn *c = x->c;
    if (c != NULL)
        cconn_close(c); /* detaches x */
    x->ops->on_done(x, err);
}

/* The connection broke (err) before the response completed. */
static void
exch_broken(struct exch *x, int err)
{
    struct cconn *c = x->c;
    bool retry = c != NULL && c->reused && !c->got_bytes && !x->retried;
    if (retry) {
        cconn_close(c);
        x->retried = true;
        int rc = exch_run(x);
        if (rc != 0)
            x->ops->on_done(x, rc);
        return;
    }
    exch_fail(x, err);
}

/* ---- I/O ------------------------------------------------------------- */

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    struct cconn *c = h->data;
    buf->base = c->rbuf;
    buf->len = sizeof(c->rbuf);
}

static void
handle_eof(struct cconn *c, int err)
{
    struct exch *x = c->x;
    if (err == UV_EOF && c->got_bytes && !c->msg_done) {
        /* A body delimited by the close completes now. */
        http_parser_execute(&c->parser, &rp_settings, NULL, 0);
        if (c->x != x || c->closing)
            return;
        if (c->msg_done) {
            exch_complete(x, false);
            return;
        }
    }
    exch_broken(x, err == UV_EOF ? CR_ECLOSED : err);
}

static void
on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf)
{
    struct cconn *c = st->data;
    if (c->closing)
        return;
    if (c->x == NULL) {
        /* Idle: EOF or unexpected bytes both end the connection. */
        if (nread != 0)
            cconn_close(c);
        return;
    }
    if (nread < 0) {
        handle_eof(c, (int)nread);
        return;
    }
    if (nread == 0)
        return;
    c->got_bytes = true;
    size_t got =
        http_parser_execute(&c->parser, &rp_settings, buf->base, (size_t)nread);
    if (c->closing || c->x == NULL)
        return; /* a callback ended it */
    struct exch *x = c->x;
    if (c->msg_done) {
        bool clean = got == (size_t)nread && http_should_keep_alive(&c->parser);
        exch_complete(x, clean);
        return;
    }
    if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK || got != (size_t)nread) {
        bool big = c->hdrs.bytes >= c->hdrs.max_bytes;
        exch_fail(x, big ? CR_ETOOBIG : CR_EPROTO_DATA);
    }
}

static void
on_write(uv_write_t *w, int status)
{
    struct cconn *c = w->data;
    CR_FREE(c->wbuf);
    if (status < 0 && !c->closing && c->x != NULL)
        exch_broken(c->x, status);
}

static void
on_timeout(uv_timer_t *t)
{
    struct cconn *c = t->data;
    if (c->x != NULL)
        exch_fail(c->x, CR_ETIMEOUT);
}

static void
arm_timer(struct exch *x, struct cconn *c)
{
    if (x->deadline == 0 || (x->deadline_head_only && x->head_seen))
        return;
    uint64_t now = uv_now(x->loop);
    uint64_t left = x->deadline > now ? x->deadline - now : 0;
    uv_timer_start(&c->timer, on_timeout, left, 0);
}

/* Send the request on the attached, connected connection. */
static int
exch_send(struct exch *x, struct cconn *c)
{
    http_parser_init(&c->parser, HTTP_RESPONSE);
    c->parser.data = c;
    c->got_bytes = false;
    c->msg_done = false;
    c->informational = false;
    uv_buf_t b = uv_buf_init(x->req.data, (unsigned)x->req.len);
    int r = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    size_t done = r > 0 ? (size_t)r : 0;
    if (r < 0 && r != UV_EAGAIN)
        return r;
    if (done < x->req.len) {
        c->wbuf = cr_xmalloc(x->req.len - done);
        memcpy(c->wbuf, x->req.data + done, x->req.len - done);
        b = uv_buf_init(c->wbuf, (unsigned)(x->req.len - done));
        r = uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_write);
        if (r != 0) {
            CR_FREE(c->wbuf);
            return r;
        }
    }
    return uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) == UV_EINVAL
               ? UV_EINVAL
               : 0;
}

static void
on_connect(uv_connect_t *req, int status)
{
    struct cconn *c = req->data;
    if (c->closing)
        return;
    struct exch *x = c->x;
    if (x == NULL) {
        cconn_close(c);
        return;
    }
    if (status < 0) {
        exch_fail(x, status);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    int rc = exch_send(x, c);
    if (rc != 0)
        exch_fail(x, rc);
}

static int
cconn_connect(struct cconn *c, const struct sockaddr *sa)
{
    return uv_tcp_connect(&c->creq, &c->tcp, sa, on_connect);
}

static const struct addrinfo *
pick_addr(const struct addrinfo *ai)
{
    for (const struct addrinfo *a = ai; a; a = a->ai_next)
        if (a->ai_family == AF_INET)
            return a; /* IPv4 first: servers usually bind 0.0.0.0 */
    return ai;
}

static void
on_resolved(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    struct cconn *c = req->data;
    c->resolving = false;
    if (c->closing) {
        uv_freeaddrinfo(res);
        cconn_maybe_free(c);
        return;
    }
    struct exch *x = c->x;
    if (x == NULL) {
        uv_freeaddrinfo(res);
        cconn_close(c);
        return;
    }
    int rc = status < 0 ? status : 0;
    if (rc == 0 && res == NULL)
        rc = UV_EAI_NONAME;
    if (rc == 0)
        rc = cconn_connect(c, pick_addr(res)->ai_addr);
    uv_freeaddrinfo(res);
    if (rc != 0)
        exch_fail(x, rc);
}

/* Start connecting c to its host: numeric addresses directly, names
 * through uv_getaddrinfo. */
static int
cconn_start(struct cconn *c)
{
    struct sockaddr_storage ss;
    if (uv_ip4_addr(c->host, c->port, (struct sockaddr_in *)&ss) == 0 ||
        uv_ip6_addr(c->host, c->port, (struct sockaddr_in6 *)&ss) == 0)
        return cconn_connect(c, (struct sockaddr *)&ss);
    char port[16];
    snprintf(port, sizeof(port), "%d", c->port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    int rc = uv_getaddrinfo(c->tcp.loop, &c->gai, on_resolved, c->host, port,
                            &hints);
    if (rc == 0)
        c->resolving = true;
    return rc;
}

/* Attach x to a pooled or new connection and get it going. 0 or error
 * (then nothing is attached). */
static int
exch_run(struct exch *x)
{
    struct cconn *c = NULL;
    if (x->poolable && !x->retried)
        c = pool_take(pool_for(x->loop), x->host, x->port);
    if (c != NULL) {
        c->reused = true;
        c->x = x;
        x->c = c;
        arm_timer(x, c);
        int rc = exch_send(x, c);
        if (rc == 0)
            return 0;
        cconn_close(c);
        x->retried = true; /* a dead pooled connection: fresh one */
    }
    c = cconn_new(x->loop, x->host, x->port);
    c->x = x;
    x->c = c;
    arm_timer(x, c);
    int rc = cconn_start(c);
    if (rc != 0) {
        x->c = NULL;
        c->x = NULL;
        cconn_close(c);
    }
    return rc;
}

static int
exch_init(struct exch *x, const struct exch_ops *ops, uv_loop_t *loop,
          const char *host, int port, const char *method, const char *path,
          const char *headers, const char *body, size_t len, double timeout)
{
    memset(x, 0, sizeof(*x));
    if (host == NULL || strlen(host) >= sizeof(x->host) || port <= 0 ||
        port > 65535 || method == NULL || path == NULL ||
        (body == NULL && len > 0) || timeout < 0)
        return CR_EINVAL_INPUT;
    x->ops = ops;
    x->loop = loop;
    snprintf(x->host, sizeof(x->host), "%s", host);
    x->port = port;
    x->head_request = strcmp(method, "HEAD") == 0;
    if (timeout > 0)
        x->deadline = uv_now(loop) + (uint64_t)(timeout * 1000.0) + 1;
    cr_buf_init(&x->req, SIZE_MAX / 4);
    bool v6 = strchr(host, ':') != NULL;
    int rc =
        cr_buf_printf(&x->req, "%s %s HTTP/1.1\r\nHost: %s%s%s:%d\r\n", method,
                      path, v6 ? "[" : "", host, v6 ? "]" : "", port);
    bool has_body = len > 0 || strcmp(method, "POST") == 0 ||
                    strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;
    if (rc == 0 && has_body)
        rc = cr_buf_printf(&x->req, "Content-Length: %zu\r\n", len);
    if (rc == 0 && headers)
        rc = cr_buf_puts(&x->req, headers);
    if (rc == 0)
        rc = cr_buf_append(&x->req, "\r\n", 2);
    if (rc == 0 && len > 0)
        rc = cr_buf_append(&x->req, body, len);
    if (rc != 0)
        cr_buf_fini(&x->req);
    return rc;
}

/* Detach and close the connection without reporting. */
static void
exch_abandon(struct exch *x)
{
    if (x->c != NULL)
        cconn_close(x->c);
    x->c = NULL;
    cr_buf_fini(&x->req);
}

/* ---- one-shot calls ------------------------------------------------- */

struct cr_http_call {
    struct exch x; /* first: ops receive &call->x */
    cr_http_response_cb cb;
    void *data;
    int status;
    struct cr_http_headers headers;
    struct cr_buf body;
};

static void
call_on_head(struct exch *x, int status, struct cr_http_headers *h)
{
    struct cr_http_call *call = (struct cr_http_call *)x;
    call->status = status;
    cr_http_headers_fini(&call->headers);
    call->headers = *h;
    memset(h, 0, sizeof(*h));
}

static int
call_on_body(struct exch *x, const char *p, size_t n)
{
    struct cr_http_call *call = (struct cr_http_call *)x;
    return cr_buf_append(&call->body, p, n);
}

static void
call_free(struct cr_http_call *call)
{
    exch_abandon(&call->x);
    cr_http_headers_fini(&call->headers);
    cr_buf_fini(&call->body);
    free(call);
}

static void
call_on_done(struct exch *x, int err)
{
    struct cr_http_call *call = (struct cr_http_call *)x;
    if (err == 0) {
        struct cr_http_response resp = {
            .status = call->status,
            .headers = call->headers,
            .body = call->body.data ? call->body.data : (char *)(uintptr_t) "",
            .body_len = call->body.len,
        };
        call->cb(0, &resp, call->data);
    } else {
        call->cb(err, NULL, call->data);
    }
    call_free(call);
}

static const struct exch_ops call_ops = {
    .on_head = call_on_head,
    .on_body = call_on_body,
    .on_done = call_on_done,
};

int
cr_http_call_start(uv_loop_t *loop, const char *host, int port,
                   const char *method, const char *path, const char *headers,
                   const char *body, size_t len, double timeout_secs,
                   cr_http_response_cb cb, void *data,
                   struct cr_http_call **out)
{
    struct cr_http_call *call = cr_xcalloc(1, sizeof(*call));
    int rc = exch_init(&call->x, &call_ops, loop, host, port, method, path,
                       headers, body, len, timeout_secs);
    if (rc != 0) {
        free(call);
        return rc;
    }
    call->x.poolable = true;
    call->cb = cb;
    call->data = data;
    cr_buf_init(&call->body, CR_HTTP_CLIENT_MAX_BODY);
    rc = exch_run(&call->x);
    if (rc != 0) {
        call_free(call);
        return rc;
    }
    if (out)
        *out = call;
    return 0;
}

void
cr_http_call_cancel(struct cr_http_call *call)
{
    if (call != NULL)
        call_free(call);
}

/* ---- streaming requests --------------------------------------------- */

struct cr_http_stream_client {
    struct exch x; /* first */
    struct cr_http_stream_cbs cbs;
    void *data;
};

static void
sc_on_head(struct exch *x, int status, struct cr_http_headers *h)
{
    struct cr_http_stream_client *s = (struct cr_http_stream_client *)x;
    if (x->c)
        uv_timer_stop(&x->c->timer); /* the body may last forever */
    if (s->cbs.on_response)
        s->cbs.on_response(s->data, status, h);
}

static int
sc_on_body(struct exch *x, const char *p, size_t n)
{
    struct cr_http_stream_client *s = (struct cr_http_stream_client *)x;
    if (s->cbs.on_data)
        s->cbs.on_data(s->data, p, n);
    return 0;
}

static void
sc_on_done(struct exch *x, int err)
{
    struct cr_http_stream_client *s = (struct cr_http_stream_client *)x;
    void (*on_close)(void *, int) = s->cbs.on_close;
    void *data = s->data;
    exch_abandon(x);
    free(s);
    if (on_close)
        on_close(data, err);
}

static const struct exch_ops sc_ops = {
    .on_head = sc_on_head,
    .on_body = sc_on_body,
    .on_done = sc_on_done,
};

int
cr_http_stream_client_open(uv_loop_t *loop, const char *host, int port,
                           const char *method, const char *path,
                           const char *headers, const char *body, size_t len,
                           double connect_timeout_secs,
                           const struct cr_http_stream_cbs *cbs, void *data,
                           struct cr_http_stream_client **out)
{
    struct cr_http_stream_client *s = cr_xcalloc(1, sizeof(*s));
    int rc = exch_init(&s->x, &sc_ops, loop, host, port, method, path, headers,
                       body, len, connect_timeout_secs);
    if (rc != 0) {
        free(s);
        return rc;
    }
    s->x.deadline_head_only = true;
    s->cbs = *cbs;
    s->data = data;
    rc = exch_run(&s->x);
    if (rc != 0) {
        exch_abandon(&s->x);
        free(s);
        return rc;
    }
    if (out)
        *out = s;
    return 0;
}

void
cr_http_stream_client_close(struct cr_http_stream_client *s)
{
    if (s == NULL)
        return;
    exch_abandon(&s->x);
    free(s);
}
