/* SPDX-License-Identifier: Apache-2.0
 *
 * http_server.h: an HTTP/1.1 server on libuv (http-parser underneath).
 *
 * One handler callback receives every complete request (head and body).
 * The handler answers exactly once, now or later, with either
 * cr_http_respond() or cr_http_stream_start(). Requests on one connection
 * are answered in order: the next request of a keep-alive connection is
 * not parsed until the current one has been answered.
 *
 * Lifetimes: a struct cr_http_req stays valid until it is answered, even if
 * the client disconnects meanwhile (the answer is then discarded); answering
 * frees it. A struct cr_http_stream stays valid until either the server
 * side calls cr_http_stream_end() or the on_close callback fires (the peer
 * went away or the write queue passed its limit); never both.
 *
 * Loop thread only.
 */
#ifndef CR_NET_HTTP_SERVER_H
#define CR_NET_HTTP_SERVER_H

#include "http.h"

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct cr_http_server;
struct cr_http_stream;

struct cr_http_req {
    const char *method; /* "GET", "POST", ... (static) */
    char *path;         /* the path, without the query, not decoded */
    char *query;        /* raw query string without '?', or NULL */
    struct cr_http_headers headers;
    char *body; /* NUL-terminated (never NULL) */
    size_t body_len;
    char peer[64];      /* "ip:port" of the client */
    void *conn_private; /* owned by the server */
};

typedef void (*cr_http_handler_cb)(struct cr_http_req *req, void *data);
typedef void (*cr_http_stream_closed_cb)(struct cr_http_stream *s, void *data);

/* Create a server that calls handler(req, data) for each request. */
struct cr_http_server *
cr_http_server_new(uv_loop_t *loop, cr_http_handler_cb handler, void *data);
/* Bind and listen on ip:port (port 0: any free port). Writes the bound
 * port to *bound_port when not NULL. 0 or -errno. */
int cr_http_server_listen(struct cr_http_server *srv, const char *ip, int port,
                          int *bound_port);
/* Close keep-alive connections that wait longer than secs for their next
 * request (default 75s: longer than clients keep idle connections, so
 * clients normally close first). */
void cr_http_server_set_idle_timeout(struct cr_http_server *srv, double secs);
/* Close the listener and every connection; open streams are dropped
 * without calling their on_close. The memory is released once libuv has
 * closed the handles (run the loop afterwards). NULL-safe. */
void cr_http_server_free(struct cr_http_server *srv);

/* Answer req with status, an optional body (content_type NULL means no
 * Content-Type header; body may be NULL when len is 0), and extra header
 * lines ("Name: value\r\n"...; may be NULL). Frees req. */
void cr_http_respond(struct cr_http_req *req, int status,
                     const char *content_type, const char *body, size_t len,
                     const char *extra_headers);
/* cr_http_respond() without copying the body: body stays the caller's,
 * unchanged, until release(arg), called exactly once when it is written
 * or the connection is gone, possibly before this returns. For large
 * bodies (the master's state documents) whose copy would stall the loop;
 * one body may answer several requests. Frees req. */
typedef void (*cr_http_release_cb)(void *arg);
void cr_http_respond_borrowed(struct cr_http_req *req, int status,
                              const char *content_type, const char *body,
                              size_t len, cr_http_release_cb release,
                              void *arg);
/* Shorthand: a text/plain body (for 4xx/5xx messages). Frees req. */
void cr_http_respond_text(struct cr_http_req *req, int status,
                          const char *text);
/* Shorthand: an application/json body. Frees req. */
void cr_http_respond_json(struct cr_http_req *req, int status, const char *json,
                          size_t len);

/* Answer req with a chunked, long-lived response. Frees req; returns the
 * stream, which stays open until cr_http_stream_end() or on_close. */
struct cr_http_stream *cr_http_stream_start(struct cr_http_req *req, int status,
                                            const char *content_type,
                                            const char *extra_headers,
                                            cr_http_stream_closed_cb on_close,
                                            void *data);
/* Send len bytes as one chunk. 0, or CR_ECLOSED when the peer is gone, or
 * CR_ETOOBIG when more than CR_HTTP_STREAM_MAX_QUEUED bytes wait to be
 * written (a consumer this slow is disconnected: on_close will follow on a
 * later loop turn). */
int cr_http_stream_write(struct cr_http_stream *s, const char *data,
                         size_t len);
/* One chunk of head (len head_len, copied; may be empty) followed by data
 * (borrowed, as in cr_http_respond_borrowed(): the caller's, unchanged,
 * until release(arg), called exactly once when it is written or the
 * connection is gone, possibly before this returns). For a record too
 * big to copy (the operator stream's SUBSCRIBED snapshot); the caller
 * bounds it, so it is not held to CR_HTTP_STREAM_MAX_QUEUED, but further
 * writes are until it is out: wait for release before writing more. 0 or
 * CR_ECLOSED. */
int cr_http_stream_write_borrowed(struct cr_http_stream *s, const char *head,
                                  size_t head_len, const char *data, size_t len,
                                  cr_http_release_cb release, void *arg);
/* Finish the response (terminal chunk) and close the connection. on_close
 * is not called. */
void cr_http_stream_end(struct cr_http_stream *s);
/* The peer address of the stream ("ip:port"). Borrowed. */
const char *cr_http_stream_peer(const struct cr_http_stream *s);

#define CR_HTTP_STREAM_MAX_QUEUED (64u * 1024 * 1024)

#endif
