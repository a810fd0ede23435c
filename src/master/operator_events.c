/* SPDX-License-Identifier: Apache-2.0
 *
 * operator_events.c: the operator event stream (SUBSCRIBE on the master's
 * /api/v1, reference §3.2).
 *
 * A subscriber gets a RecordIO stream (Content-Type application/json):
 * SUBSCRIBED {get_state, heartbeat_interval_seconds} and a HEARTBEAT at
 * once, then TASK_ADDED, TASK_UPDATED, AGENT_ADDED, AGENT_REMOVED,
 * FRAMEWORK_ADDED/UPDATED/REMOVED as the master changes, and HEARTBEAT
 * every HEARTBEAT_SECS.
 *
 * The SUBSCRIBED snapshot is a state document (state_doc.h, kind
 * SUBSCRIBED) written in slices like GET_STATE, so a subscriber to a big
 * cluster neither stalls the master nor meets the 16 MB record limit of
 * a jansson-built event (at 200,000 tasks it is ~110 MB); it is sent by
 * reference. Until it is out, the subscriber's events wait in its `held`
 * buffer (bounded: past CR_HTTP_STREAM_MAX_QUEUED the subscriber is
 * closed), then follow it in order. Events that happened while the
 * snapshot was being written may already show in it: subscribers apply
 * them idempotently (an added task is known by id, an update carries the
 * state).
 *
 * Each event is encoded once and the same bytes are written to every
 * subscriber. Subscribers form a list, oldest first; beyond
 * operator_max_subscribers the oldest is closed. A subscriber whose stream
 * ends is unlinked by the stream's close callback (never called from
 * inside a write, so writing while iterating is safe). When this master
 * stops leading, the next heartbeat closes every subscriber.
 *
 * Module state is static: one master per process. The heartbeat timer is
 * unreferenced so it never keeps the loop alive at shutdown. Loop thread
 * only.
 */
#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/recordio.h"
#include "operator_api.h"
#include "state_doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEARTBEAT_SECS STATE_DOC_EVENTS_HEARTBEAT

long operator_max_subscribers = 1000;

struct snapshot_send;

struct subscriber {
    struct cr_http_stream *stream;
    struct subscriber *prev, *next;
    bool ready;                    /* SUBSCRIBED is out: events go direct */
    struct state_job *job;         /* SUBSCRIBED being written, or NULL */
    struct snapshot_send *sending; /* SUBSCRIBED being sent, or NULL */
    struct cr_buf held;            /* events meanwhile, RecordIO */
};

/* SUBSCRIBED on its way out: the document stays the state writer's until
 * release; s is NULL once the subscriber is gone. */
struct snapshot_send {
    struct subscriber *s;
    cr_http_release_cb release;
    void *release_arg;
};

static struct subscriber *oldest, *newest;
static size_t n_subscribers;
static uv_timer_t heartbeat;
static bool heartbeat_ready;
static struct master *the_master;

size_t
operator_events_subscribers(void)
{
    return n_subscribers;
}

static void
unlink_sub(struct subscriber *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        oldest = s->next;
    if (s->next)
        s->next->prev = s->prev;
    else
        newest = s->prev;
    n_subscribers--;
    if (n_subscribers == 0 && heartbeat_ready)
        uv_timer_stop(&heartbeat);
}

static void
free_sub(struct subscriber *s)
{
    unlink_sub(s);
    state_serve_cancel(s->job);
    if (s->sending)
        s->sending->s = NULL;
    cr_buf_fini(&s->held);
    free(s);
}

/* End s's stream (its close callback will not run) and forget it. */
static void
close_sub(struct subscriber *s)
{
    struct cr_http_stream *stream = s->stream;
    free_sub(s);
    cr_http_stream_end(stream);
}

static void
on_stream_closed(struct cr_http_stream *stream, void *data)
{
    (void)stream;
    free_sub(data);
}

/* Write one RecordIO record to s, or hold it until SUBSCRIBED is out; a
 * subscriber that falls too far behind meanwhile is closed. */
static void
deliver(struct subscriber *s, const char *rec, size_t len)
{
    if (s->ready) {
        cr_http_stream_write(s->stream, rec, len);
    } else if (cr_buf_append(&s->held, rec, len) != 0) {
        cr_warn("operator event stream to %s: too many events while its "
                "snapshot is written; closing it",
                cr_http_stream_peer(s->stream));
        close_sub(s);
    }
}

/* Encode event as one RecordIO record into rec. 0 or negative. */
static int
encode(json_t *event, struct cr_buf *rec)
{
    struct cr_buf body;
    cr_buf_init(&body, CR_RECORDIO_MAX_RECORD);
    int rc = cr_json_dump_buf(event, &body);
    if (rc == 0)
        rc = cr_recordio_encode(rec, body.data, body.len);
    cr_buf_fini(&body);
    return rc;
}

/* Write event to every subscriber (or only to one). Takes event. 0, or
 * negative when it could not be encoded (too large). */
static int
send_event(json_t *event, struct subscriber *only)
{
    struct cr_buf rec;
    cr_buf_init(&rec, CR_RECORDIO_MAX_RECORD + 32);
    int rc = encode(event, &rec);
    if (rc != 0) {
        cr_warn("operator event %s too large, not sent",
                cr_json_str(event, "type"));
    } else if (only) {
        deliver(only, rec.data, rec.len);
    } else {
        for (struct subscriber *s = oldest, *next; s; s = next) {
            next = s->next;
            deliver(s, rec.data, rec.len);
        }
    }
    cr_buf_fini(&rec);
    json_decref(event);
    return rc;
}

/* {"type": type, field: body}; takes body. */
static void
broadcast(const char *type, const char *field, json_t *body)
{
    (void)send_event(json_pack("{s:s, s:o}", "type", type, field, body), NULL);
}

static void
on_heartbeat(uv_timer_t *t)
{
    (void)t;
    if (the_master && !master_is_leader(the_master)) {
        while (oldest)
            close_sub(oldest);
        return;
    }
    (void)send_event(json_pack("{s:s}", "type", "HEARTBEAT"), NULL);
}

/* SUBSCRIBED is out (or the connection is gone): give the document back,
 * then let the held events follow. */
static void
on_snapshot_sent(void *arg)
{
    struct snapshot_send *send = arg;
    struct subscriber *s = send->s;
    send->release(send->release_arg);
    free(send);
    if (s == NULL)
        return;
    s->sending = NULL;
    s->ready = true;
    if (s->held.len > 0)
        cr_http_stream_write(s->stream, s->held.data, s->held.len);
    cr_buf_fini(&s->held);
}

static void
on_snapshot(void *arg, int rc, const char *data, size_t len,
            cr_http_release_cb release, void *release_arg)
{
    struct subscriber *s = arg;
    s->job = NULL;
    if (rc != 1) {
        cr_warn("operator event stream to %s: no snapshot (%s); closing it",
                cr_http_stream_peer(s->stream), cr_strerror(rc));
        close_sub(s);
        return;
    }
    char head[32]; /* RecordIO: the record's length and a newline */
    int hl = snprintf(head, sizeof(head), "%zu\n", len);
    struct snapshot_send *send = cr_xmalloc(sizeof(*send));
    *send = (struct snapshot_send){s, release, release_arg};
    s->sending = send;
    /* on_snapshot_sent() may run before this returns. */
    cr_http_stream_write_borrowed(s->stream, head, (size_t)hl, data, len,
                                  on_snapshot_sent, send);
}

void
operator_events_subscribe(struct master *m, struct cr_http_req *req)
{
    struct subscriber *s = cr_xcalloc(1, sizeof(*s));
    cr_buf_init(&s->held, CR_HTTP_STREAM_MAX_QUEUED);
    s->stream = cr_http_stream_start(req, 200, "application/json", NULL,
                                     on_stream_closed, s);
    if (s->stream == NULL) {
        free(s);
        return;
    }
    the_master = m;
    s->prev = newest;
    if (newest)
        newest->next = s;
    else
        oldest = s;
    newest = s;
    n_subscribers++;
    while (operator_max_subscribers > 0 &&
           n_subscribers > (size_t)operator_max_subscribers)
        close_sub(oldest);
    if (!heartbeat_ready) {
        uv_timer_init(m->loop, &heartbeat);
        uv_unref((uv_handle_t *)&heartbeat);
        heartbeat_ready = true;
    }
    if (!uv_is_active((uv_handle_t *)&heartbeat)) {
        uint64_t ms = (uint64_t)(HEARTBEAT_SECS * 1000);
        uv_timer_start(&heartbeat, on_heartbeat, ms, ms);
    }
    cr_info("operator event stream subscriber from %s (%zu open)",
            cr_http_stream_peer(s->stream), n_subscribers);
    s->job = state_serve_call(m, STATE_DOC_SUBSCRIBED, on_snapshot, s);
    if (s->job == NULL) {
        cr_warn("operator event stream to %s: too many state documents "
                "waiting; closing it",
                cr_http_stream_peer(s->stream));
        close_sub(s);
        return;
    }
    (void)send_event(json_pack("{s:s}", "type", "HEARTBEAT"), s);
}

/* ---- hooks ----------------------------------------------------------------
 */

void
operator_event_task_added(struct master *m, const struct mtask *t)
{
    (void)m;
    if (n_subscribers == 0)
        return;
    broadcast("TASK_ADDED", "task_added",
              json_pack("{s:o}", "task", task_to_v1_json(t)));
}

void
operator_event_task_updated(struct master *m, const struct mtask *t,
                            const json_t *status)
{
    (void)m;
    if (n_subscribers == 0)
        return;
    json_t *st = status
                     ? json_deep_copy(status)
                     : task_status_new(t->task_id, t->agent_id, t->executor_id,
                                       t->state, "SOURCE_MASTER", NULL, NULL);
    broadcast("TASK_UPDATED", "task_updated",
              json_pack("{s:o, s:o, s:s}", "framework_id",
                        cr_json_id_new(t->framework_id), "status", st, "state",
                        task_state_name(t->state)));
}

void
operator_event_agent_added(struct master *m, struct magent *a)
{
    if (n_subscribers == 0)
        return;
    broadcast("AGENT_ADDED", "agent_added",
              json_pack("{s:o}", "agent", operator_agent_json(m, a)));
}

void
operator_event_agent_removed(struct master *m, const char *agent_id)
{
    (void)m;
    if (n_subscribers == 0)
        return;
    broadcast("AGENT_REMOVED", "agent_removed",
              json_pack("{s:o}", "agent_id", cr_json_id_new(agent_id)));
}

void
operator_event_framework(struct master *m, struct mframework *f,
                         enum operator_fw_event what)
{
    if (n_subscribers == 0)
        return;
    if (what == OPERATOR_FW_REMOVED) {
        json_t *info =
            json_is_object(f->info) ? json_deep_copy(f->info) : json_object();
        cr_json_set_id(info, "id", f->id);
        broadcast("FRAMEWORK_REMOVED", "framework_removed",
                  json_pack("{s:o}", "framework_info", info));
        return;
    }
    bool added = what == OPERATOR_FW_ADDED;
    broadcast(added ? "FRAMEWORK_ADDED" : "FRAMEWORK_UPDATED",
              added ? "framework_added" : "framework_updated",
              json_pack("{s:o}", "framework", operator_framework_json(m, f)));
}
