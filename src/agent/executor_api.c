/* SPDX-License-Identifier: Apache-2.0
 *
 * executor_api.c: POST /api/v1/executor, the v1 executor HTTP API.
 *
 * SUBSCRIBE opens the executor's event stream (the previous one, if any,
 * is ended): SUBSCRIBED first, then the executor's resent updates are
 * taken in (duplicates are only re-acknowledged), kills that could not be
 * delivered while it was away are sent again, and queued tasks go out as
 * LAUNCH / LAUNCH_GROUP. UPDATE, MESSAGE need a live subscription (403
 * otherwise); HEARTBEAT is answered before any lookup. Unknown framework
 * or executor: 400. Loop thread only.
 */
#include "agent.h"
#include "base/json.h"
#include "base/log.h"
#include "exec_call.h"
#include "task_state.h"

#include <string.h>
#include <utlist.h>

void
executor_api_detach(struct executor *e)
{
    e->stream = NULL;
}

static void
on_stream_closed(struct cr_http_stream *s, void *data)
{
    struct executor *e = data;
    if (e->stream != s)
        return;
    e->stream = NULL;
    cr_info("executor disconnected executor_id=%s framework_id=%s", e->id,
            e->fw_id);
}

static json_t *
subscribed_event(struct agent *a, struct executor *e)
{
    struct framework *f = fw_find(a, e->fw_id);
    json_t *ev = json_pack("{s:s}", "type", "SUBSCRIBED");
    json_t *sub = json_object();
    json_object_set(sub, "executor_info", e->info);
    json_object_set(sub, "framework_info", f->info);
    json_object_set_new(sub, "agent_info", agent_info_json(a));
    cr_json_set_id(sub, "container_id", e->cid);
    json_object_set_new(ev, "subscribed", sub);
    return ev;
}

static bool
in_unacked_tasks(const json_t *tasks, const char *task_id)
{
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t)
    {
        const char *id = cr_json_id(t, "task_id");
        if (id && strcmp(id, task_id) == 0)
            return true;
    }
    return false;
}

static void
resend_kills(struct executor *e)
{
    struct task *t;
    DL_FOREACH(e->order, t)
    {
        if (!t->killed || !t->launched || task_state_is_terminal(t->state))
            continue;
        json_t *ev = json_pack("{s:s,s:{s:{s:s}}}", "type", "KILL", "kill",
                               "task_id", "value", t->id);
        exec_send_event(e, ev);
    }
}

static void
handle_subscribe(struct agent *a, struct executor *e, struct exec_call *c,
                 struct cr_http_req *req)
{
    if (e->stream) {
        struct cr_http_stream *old = e->stream;
        e->stream = NULL;
        cr_http_stream_end(old);
    }
    e->stream = cr_http_stream_start(req, 200, "application/json", NULL,
                                     on_stream_closed, e);
    cr_info("executor subscribed executor_id=%s framework_id=%s%s", e->id,
            e->fw_id, e->recovered ? " (recovered)" : "");
    if (e->state == EXEC_REGISTERING) {
        uv_timer_stop(&e->timer);
        exec_set_state(e, EXEC_RUNNING, "subscribed");
    }
    exec_send_event(e, subscribed_event(a, e));
    /* Tasks the executor already holds must not be launched again. */
    struct task *t;
    DL_FOREACH(e->order, t)
    {
        if (in_unacked_tasks(c->unacked_tasks, t->id))
            t->launched = true;
    }
    size_t i;
    json_t *u;
    json_array_foreach(c->unacked_updates, i, u)
        exec_receive_update(e, json_object_get(u, "status"));
    if (e->state == EXEC_TERMINATING) {
        exec_send_event(e, json_pack("{s:s}", "type", "SHUTDOWN"));
    } else {
        resend_kills(e);
        exec_deliver_queued(e);
    }
    if (a->recovering)
        agent_recovery_check(a);
}

void
executor_api_handle(struct agent *a, struct cr_http_req *req)
{
    if (strcmp(req->method, "POST") != 0) {
        cr_http_respond(req, 405, NULL, NULL, 0, "Allow: POST\r\n");
        return;
    }
    const char *ct = cr_http_headers_get(&req->headers, "Content-Type");
    if (ct && strncmp(ct, "application/json", 16) != 0) {
        cr_http_respond_text(req, 415,
                             "Expecting 'Content-Type' of "
                             "application/json");
        return;
    }
    struct exec_call c;
    char err[256];
    int rc = exec_call_decode(req->body, req->body_len, &c, err, sizeof(err));
    if (rc != 0) {
        cr_http_respond_text(req, rc, err);
        return;
    }
    if (c.type == EXEC_CALL_HEARTBEAT) {
        cr_http_respond(req, 202, NULL, NULL, 0, NULL);
        goto out;
    }
    struct executor *e = exec_find(a, c.fw_id, c.exec_id);
    if (e == NULL || e->state == EXEC_TERMINATED) {
        cr_http_respond_text(req, 400, "Executor cannot be found");
        goto out;
    }
    switch (c.type) {
    case EXEC_CALL_SUBSCRIBE:
        handle_subscribe(a, e, &c, req);
        break;
    case EXEC_CALL_UPDATE:
        if (e->stream == NULL) {
            cr_http_respond_text(req, 403, "Executor is not subscribed");
            break;
        }
        rc = exec_receive_update(e, c.status);
        if (rc == 202)
            cr_http_respond(req, 202, NULL, NULL, 0, NULL);
        else
            cr_http_respond_text(req, rc, "Status update refused");
        break;
    case EXEC_CALL_MESSAGE: {
        if (e->stream == NULL) {
            cr_http_respond_text(req, 403, "Executor is not subscribed");
            break;
        }
        json_t *body = json_object();
        cr_json_set_id(body, "framework_id", e->fw_id);
        cr_json_set_id(body, "executor_id", e->id);
        json_object_set_new(body, "data", json_string(c.data));
        link_send(a, "MESSAGE", body);
        cr_http_respond(req, 202, NULL, NULL, 0, NULL);
        break;
    }
    case EXEC_CALL_HEARTBEAT:
        break;
    }
out:
    exec_call_fini(&c);
}
