/* SPDX-License-Identifier: Apache-2.0
 *
 * operator_api.h: the master's v1 operator API (POST /api/v1,
 * mesos.v1.master.Call; reference §3.1-3.2) and its event stream.
 *
 * operator_api.c answers the calls; operator_events.c keeps the SUBSCRIBE
 * streams and turns the master's changes into events; operator_validate.c
 * holds the pure structural check of a Call (fuzzed).
 *
 * The operator_event_*() hooks are called where things happen (tasks.c,
 * agent_api.c, scheduler_api.c, framework.c). They cost one test when
 * nobody subscribed; otherwise each event is encoded once and the same
 * RecordIO bytes are written to every subscriber.
 *
 * Loop thread only.
 */
#ifndef CR_MASTER_OPERATOR_API_H
#define CR_MASTER_OPERATOR_API_H

#include "master.h"

#include <jansson.h>
#include <stddef.h>

/* --max_operator_event_stream_subscribers (main.c's flag table writes it):
 * beyond it, the oldest subscriber is closed. */
extern long operator_max_subscribers;

/* Validate a v1 master Call: an object with a string "type", and the body
 * of the calls that take one well formed. Unknown types pass (the caller
 * answers 501). 0, or -1 with a one-line reason in err. Pure. */
int operator_call_validate(const json_t *call, char *err, size_t errlen);

/* POST /api/v1 on the leader. Takes req. */
void operator_api_handle(struct master *m, struct cr_http_req *req);

/* v1 shapes shared by the calls and the events (new references). */
json_t *operator_agent_json(struct master *m, struct magent *a);
json_t *operator_framework_json(struct master *m, struct mframework *f);
/* Response.GetWeights: {"weight_infos": [{role, weight}]}. */
json_t *operator_get_weights(struct master *m);
/* Response.GetState: tasks, executors, frameworks, agents (a tree, for
 * the SUBSCRIBED event; the GET_STATE call streams it: state_doc.h). */
json_t *operator_state_json(struct master *m);
/* A completed task / framework, kept in the v0 shape, in the v1 shape. */
json_t *operator_completed_task_json(const json_t *v0);
json_t *operator_completed_framework_json(const json_t *v0);

/* Event stream (operator_events.c). */
/* Start a SUBSCRIBE stream on req (already validated). Takes req. */
void operator_events_subscribe(struct master *m, struct cr_http_req *req);
/* How many subscribers are open (for metrics and tests). */
size_t operator_events_subscribers(void);

enum operator_fw_event {
    OPERATOR_FW_ADDED,
    OPERATOR_FW_UPDATED,
    OPERATOR_FW_REMOVED,
};

void operator_event_task_added(struct master *m, const struct mtask *t);
/* t's state changed; status is the update that changed it (NULL: the
 * master changed it, a status is made up). */
void operator_event_task_updated(struct master *m, const struct mtask *t,
                                 const json_t *status);
void operator_event_agent_added(struct master *m, struct magent *a);
void operator_event_agent_removed(struct master *m, const char *agent_id);
void operator_event_framework(struct master *m, struct mframework *f,
                              enum operator_fw_event what);

#endif
