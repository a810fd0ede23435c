/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_master.h: a scripted v1 scheduler endpoint for the scheduler
 * library's tests, on the real HTTP server bound to 127.0.0.1:0.
 *
 * It answers SUBSCRIBE according to its mode (stream, 307, 503, 400), keeps
 * the one live stream, records every call with the Mesos-Stream-Id it
 * carried, answers calls 202 (400 on a stream id mismatch, 403 without a
 * stream), and lets the test push events or drop the stream. Loop thread
 * only.
 */
#ifndef FAKE_MASTER_H
#define FAKE_MASTER_H

#include "net/http_server.h"

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

enum fake_mode {
    FM_STREAM,   /* 200 + SUBSCRIBED + HEARTBEAT */
    FM_REDIRECT, /* 307 to redirect_port */
    FM_UNAVAILABLE,
    FM_BAD_REQUEST,
};

struct fake_master {
    uv_loop_t *loop;
    struct cr_http_server *srv;
    int port;
    enum fake_mode mode;
    int redirect_port;
    const char *framework_id; /* given in SUBSCRIBED unless resubscribing */
    double hb_interval;       /* advertised in SUBSCRIBED */
    bool hold_calls;          /* do not answer calls (held_req keeps one) */
    bool end_on_teardown;     /* TEARDOWN: 202 then end the stream */

    char stream_id[64];
    struct cr_http_stream *stream;
    struct cr_http_req *held_req;
    int n_subscribes;
    json_t *last_subscribe;  /* owned */
    json_t *calls;           /* array of received calls */
    json_t *call_stream_ids; /* array of strings ("" when absent) */
};

void fake_master_init(struct fake_master *fm, uv_loop_t *loop);
void fake_master_fini(struct fake_master *fm);
/* Push one event (JSON text) on the live stream. */
void fake_master_send(struct fake_master *fm, const char *json);
/* End the live stream as a dying master would. */
void fake_master_drop(struct fake_master *fm);
/* Answer the held call (202). */
void fake_master_release(struct fake_master *fm);
/* Number of recorded calls of type (NULL: all). */
int fake_master_count(const struct fake_master *fm, const char *type);
/* The last recorded call of type, or NULL. Borrowed. */
json_t *fake_master_last(const struct fake_master *fm, const char *type);

#endif
