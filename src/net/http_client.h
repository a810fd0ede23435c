/* SPDX-License-Identifier: Apache-2.0
 *
 * http_client.h: an HTTP/1.1 client on libuv.
 *
 * Two shapes:
 *  - cr_http_call: one request, the whole response delivered to one
 *    callback. Idle keep-alive connections to the same host:port are
 *    reused.
 *  - cr_http_stream_client: a request whose response body is delivered
 *    as it arrives (de-chunked), for RecordIO event streams.
 *
 * Async contract (libuv): when a function returns an error the callback
 * never runs; when it returns 0 the final callback (response_cb or
 * on_close) runs exactly once, unless the caller cancels/closes first, in
 * which case it never runs. Hosts are resolved with uv_getaddrinfo.
 * Loop thread only.
 */
#ifndef CR_NET_HTTP_CLIENT_H
#define CR_NET_HTTP_CLIENT_H

#include "http.h"

#include <stddef.h>
#include <uv.h>

struct cr_http_call;
struct cr_http_stream_client;

/* Largest response head and body a cr_http_call accepts (bounded input);
 * bigger answers fail with CR_ETOOBIG. */
#define CR_HTTP_CLIENT_MAX_BODY (256u * 1024 * 1024)

struct cr_http_response {
    int status;
    struct cr_http_headers headers;
    char *body; /* NUL-terminated, never NULL */
    size_t body_len;
};

/* err is 0 on a complete response (any status), else a negative code
 * (connection refused, timeout: CR_ETIMEOUT, bad response: CR_EPROTO_DATA).
 * resp is borrowed for the duration of the callback and NULL on error. */
typedef void (*cr_http_response_cb)(int err,
                                    const struct cr_http_response *resp,
                                    void *data);

/* Send method path to host:port with extra header lines ("Name: v\r\n"...,
 * may be NULL) and a body (may be NULL when len is 0; Content-Length is
 * always sent for POST/PUT). timeout_secs bounds the whole exchange
 * (0: none). *out, when not NULL, receives a handle for cancel. */
int cr_http_call_start(uv_loop_t *loop, const char *host, int port,
                       const char *method, const char *path,
                       const char *headers, const char *body, size_t len,
                       double timeout_secs, cr_http_response_cb cb, void *data,
                       struct cr_http_call **out);
/* Abandon a call: its callback will not run. Only valid before the
 * callback has run (the handle is freed right after it). */
void cr_http_call_cancel(struct cr_http_call *call);

struct cr_http_stream_cbs {
    /* The status line and headers have arrived. */
    void (*on_response)(void *data, int status,
                        const struct cr_http_headers *headers);
    /* Body bytes, de-chunked, in order. */
    void (*on_data)(void *data, const char *p, size_t n);
    /* The stream ended: err 0 for a clean end of body, else why. */
    void (*on_close)(void *data, int err);
};

/* Open a streaming request. connect_timeout_secs bounds connect + response
 * head; the body may then last forever. */
int cr_http_stream_client_open(uv_loop_t *loop, const char *host, int port,
                               const char *method, const char *path,
                               const char *headers, const char *body,
                               size_t len, double connect_timeout_secs,
                               const struct cr_http_stream_cbs *cbs, void *data,
                               struct cr_http_stream_client **out);
/* Close the stream; on_close will not run. NULL-safe. */
void cr_http_stream_client_close(struct cr_http_stream_client *s);

/* Drop idle pooled connections (for clean shutdown). */
void cr_http_client_shutdown(uv_loop_t *loop);

#endif
