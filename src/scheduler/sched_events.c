/* SPDX-License-Identifier: Apache-2.0
 *
 * sched_events.c: decoding mesos.v1.scheduler.Event objects and
 * dispatching them to the user's callbacks.
 *
 * The event comes from the network, so nothing about its shape is trusted:
 * an event whose body is missing or of the wrong type is logged and
 * dropped, never asserted on. Events other than SUBSCRIBED, HEARTBEAT and
 * ERROR are only delivered while SUBSCRIBED (the master sends SUBSCRIBED
 * first; anything before it is a protocol error).
 *
 * Every user callback may free the scheduler, so s->freeing is checked
 * after each one. Loop thread only.
 */
#include "base/json.h"
#include "base/log.h"
#include "scheduler_private.h"

#include <string.h>

static void
on_subscribed(struct cr_sched *s, json_t *ev)
{
    json_t *sub = json_object_get(ev, "subscribed");
    const char *fid = cr_json_id(sub, "framework_id");
    if (!cr_sched_id_is_valid(fid)) {
        cr_warn("scheduler: SUBSCRIBED without a valid framework_id");
        sched_connection_lost(s, "SUBSCRIBED without a valid framework_id");
        return;
    }
    if (s->state != CR_SCHED_SUBSCRIBING && s->state != CR_SCHED_SUBSCRIBED) {
        cr_warn("scheduler: SUBSCRIBED in state %s, ignored",
                cr_sched_state_name(s->state));
        return;
    }
    double hb = 0;
    cr_json_num(sub, "heartbeat_interval_seconds", &hb);
    sched_on_subscribed(s, fid, hb);
    if (s->cbs.subscribed)
        s->cbs.subscribed(s, s->data, sub);
}

static void
on_offers(struct cr_sched *s, json_t *ev)
{
    json_t *offers = json_object_get(json_object_get(ev, "offers"), "offers");
    if (!json_is_array(offers)) {
        cr_warn("scheduler: OFFERS without an offers array");
        return;
    }
    if (json_array_size(offers) > 0 && s->cbs.offers)
        s->cbs.offers(s, s->data, offers);
}

static void
on_rescind(struct cr_sched *s, json_t *ev)
{
    const char *id = cr_json_id(json_object_get(ev, "rescind"), "offer_id");
    if (id == NULL) {
        cr_warn("scheduler: RESCIND without offer_id");
        return;
    }
    if (s->cbs.rescind)
        s->cbs.rescind(s, s->data, id);
}

static void
on_update(struct cr_sched *s, json_t *ev)
{
    json_t *status = json_object_get(json_object_get(ev, "update"), "status");
    if (cr_json_id(status, "task_id") == NULL ||
        cr_json_str(status, "state") == NULL) {
        cr_warn("scheduler: UPDATE without status.task_id/state");
        return;
    }
    if (s->cbs.update)
        s->cbs.update(s, s->data, status);
}

static void
on_object_event(struct cr_sched *s, json_t *ev, const char *field,
                void (*cb)(struct cr_sched *, void *, json_t *))
{
    json_t *body = json_object_get(ev, field);
    if (!json_is_object(body)) {
        cr_warn("scheduler: event without a '%s' object", field);
        return;
    }
    if (cb)
        cb(s, s->data, body);
}

static void
on_error_event(struct cr_sched *s, json_t *ev)
{
    const char *msg = cr_json_str(json_object_get(ev, "error"), "message");
    if (msg == NULL)
        msg = "(no message)";
    cr_error("scheduler: ERROR from master %s: %s", s->target_text, msg);
    /* The master closes the stream after ERROR; do not come back. */
    s->fatal = true;
    if (s->cbs.error)
        s->cbs.error(s, s->data, msg);
}

static void
dispatch_subscribed_only(struct cr_sched *s, const char *type, json_t *ev)
{
    if (s->state != CR_SCHED_SUBSCRIBED) {
        cr_warn("scheduler: %s before SUBSCRIBED, dropped", type);
        return;
    }
    if (strcmp(type, "OFFERS") == 0)
        on_offers(s, ev);
    else if (strcmp(type, "RESCIND") == 0)
        on_rescind(s, ev);
    else if (strcmp(type, "UPDATE") == 0)
        on_update(s, ev);
    else if (strcmp(type, "MESSAGE") == 0)
        on_object_event(s, ev, "message", s->cbs.message);
    else if (strcmp(type, "FAILURE") == 0)
        on_object_event(s, ev, "failure", s->cbs.failure);
    else
        cr_debug("scheduler: event %s not decoded", type);
}

void
cr_sched_handle_event(struct cr_sched *s, json_t *ev)
{
    const char *type = cr_json_str(ev, "type");
    if (s->freeing)
        return;
    if (type == NULL) {
        cr_warn("scheduler: event without a type, dropped");
        return;
    }
    if (s->cbs.event) {
        s->cbs.event(s, s->data, ev);
        if (s->freeing)
            return;
    }
    if (strcmp(type, "SUBSCRIBED") == 0)
        on_subscribed(s, ev);
    else if (strcmp(type, "HEARTBEAT") == 0) {
        if (s->cbs.heartbeat)
            s->cbs.heartbeat(s, s->data);
    } else if (strcmp(type, "ERROR") == 0)
        on_error_event(s, ev);
    else
        dispatch_subscribed_only(s, type, ev);
}
