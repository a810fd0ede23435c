/* SPDX-License-Identifier: Apache-2.0
 *
 * event_stream.h: the client side of a v1-style subscription.
 *
 * Every long-lived conversation in Corral has one shape (scheduler API,
 * executor API, operator SUBSCRIBE, master<->agent): the client POSTs a
 * JSON call and the server answers 200 with a chunked RecordIO stream of
 * JSON events, naming the stream in a Mesos-Stream-Id header. This module
 * opens such a stream, decodes the records and hands each event to the
 * caller as a parsed JSON object.
 *
 * Async contract: if open returns an error, no callback runs; otherwise
 * on_close runs exactly once unless cr_event_stream_close() is called
 * first. Callbacks may call cr_event_stream_close() on their own stream.
 * Loop thread only.
 */
#ifndef CR_NET_EVENT_STREAM_H
#define CR_NET_EVENT_STREAM_H

#include <jansson.h>
#include <uv.h>

struct cr_event_stream;

#define CR_EVENT_STREAM_MAX_DETAIL (64u * 1024)

struct cr_event_stream_cbs {
    /* 200 arrived; stream_id is the Mesos-Stream-Id header or NULL.
     * Borrowed for the call. */
    void (*on_open)(void *data, const char *stream_id);
    /* One decoded event; borrowed for the call. */
    void (*on_event)(void *data, json_t *event);
    /* The stream is over. err: 0 clean end, else a negative code.
     * http_status: the response status if one arrived, else 0. detail: for
     * a 307 the Location header, for other non-200 answers the response
     * body (at most CR_EVENT_STREAM_MAX_DETAIL bytes), else NULL. A
     * non-200 answer ends with err CR_ENOTLEADER for 307 and
     * CR_EPROTO_DATA otherwise; a malformed record or event also gives
     * CR_EPROTO_DATA. */
    void (*on_close)(void *data, int err, int http_status, const char *detail);
};

/* Accept records up to max bytes (default CR_RECORDIO_MAX_RECORD): for
 * the operator stream, whose first record holds the whole cluster. */
void cr_event_stream_set_max_record(struct cr_event_stream *es, size_t max);

/* POST body (JSON text) to path on host:port with Content-Type and Accept
 * application/json plus extra header lines (may be NULL). */
int cr_event_stream_open(uv_loop_t *loop, const char *host, int port,
                         const char *path, const char *body,
                         const char *extra_headers, double connect_timeout,
                         const struct cr_event_stream_cbs *cbs, void *data,
                         struct cr_event_stream **out);
/* Close; on_close will not run. NULL-safe. */
void cr_event_stream_close(struct cr_event_stream *s);

#endif
