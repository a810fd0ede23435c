/* SPDX-License-Identifier: Apache-2.0
 *
 * sched_calls.c: building scheduler calls and sending them to the master
 * of the live subscription with its Mesos-Stream-Id.
 *
 * Calls go out one at a time, in the order they were made, each once the
 * master has answered the one before (on a kept-alive connection): the
 * master must see them in that order. Sent concurrently on several
 * connections, a DECLINE with a 120 s filter could be handled after the
 * REVIVE that followed it, and the framework would see no offer for two
 * minutes; a SUPPRESS could overtake a later REVIVE for good; a KILL could
 * reach the master before the ACCEPT that launched the task.
 * Acknowledgements are the exception: each names one update the agent
 * holds, so no other call depends on their order, and they go out at once
 * (else every ACCEPT after a status update waited a round trip behind its
 * ACKNOWLEDGE, and a framework acknowledging thousands of updates would
 * put its launches behind all of them).
 *
 * Each call not yet answered is a struct sched_pending_call on the list
 * s->calls, oldest first (pc->http set once it is sent), so
 * cr_sched_free() can cancel them all; the entry is unlinked before its
 * callback runs. s->ordered counts the ordered calls on it; only the
 * oldest of them is ever out. When the subscription is lost, the calls
 * not sent are cancelled and the one out stops holding the others
 * (sched_detach_calls()), so no call of the next subscription waits
 * behind a call to a master that is gone.
 * Calls are only accepted while SUBSCRIBED: before that there is no stream
 * id, and the master would answer 400 anyway.
 *
 * Loop thread only.
 */
#include "base/err.h"
#include "base/id.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/http_client.h"
#include "scheduler_private.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CALL_TYPE_MAX 48

struct sched_pending_call {
    struct sched_pending_call *prev, *next;
    struct cr_sched *s;
    struct cr_http_call *http;
    cr_sched_call_cb cb;
    void *data;
    char *headers, *text; /* the request, until it is sent */
    bool unordered;       /* an acknowledgement: sent at once */
    bool teardown;
    char type[CALL_TYPE_MAX];
};

/* ---- pure builders ---- */

json_t *
cr_sched_call_new(const char *type, const char *framework_id, json_t *body)
{
    char field[CALL_TYPE_MAX];
    size_t i = 0;
    for (; type[i] && i + 1 < sizeof(field); i++)
        field[i] = (char)tolower((unsigned char)type[i]);
    field[i] = '\0';

    json_t *call = json_pack("{s:s}", "type", type);
    if (framework_id)
        cr_json_set_id(call, "framework_id", framework_id);
    if (body)
        json_object_set_new(call, field, body);
    return call;
}

bool
cr_sched_task_state_is_terminal(const char *state)
{
    static const char *const terminal[] = {
        "TASK_FINISHED", "TASK_FAILED",  "TASK_KILLED", "TASK_ERROR",
        "TASK_LOST",     "TASK_DROPPED", "TASK_GONE",   "TASK_GONE_BY_OPERATOR",
    };
    if (state == NULL)
        return false;
    for (size_t i = 0; i < sizeof(terminal) / sizeof(terminal[0]); i++)
        if (strcmp(state, terminal[i]) == 0)
            return true;
    return false;
}

static json_t *
id_array(const char *const *ids, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        if (ids[i] == NULL || ids[i][0] == '\0') {
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, cr_json_id_new(ids[i]));
    }
    return a;
}

static json_t *
string_array(const char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        if (v[i])
            json_array_append_new(a, json_string(v[i]));
    return a;
}

static void
set_filters(json_t *body, double refuse_seconds)
{
    if (refuse_seconds >= 0 && isfinite(refuse_seconds))
        json_object_set_new(
            body, "filters",
            json_pack("{s:f}", "refuse_seconds", refuse_seconds));
}

/* ---- sending ---- */

static void
free_call(struct sched_pending_call *pc)
{
    free(pc->headers);
    free(pc->text);
    free(pc);
}

/* Take pc off the list, tell its callback (err, or the HTTP answer) and
 * free it. A TEARDOWN that failed leaves the framework up. */
static void
end_call(struct cr_sched *s, struct sched_pending_call *pc, int err, int status,
         const char *body)
{
    if (pc->prev)
        pc->prev->next = pc->next;
    else
        s->calls = pc->next;
    if (pc->next)
        pc->next->prev = pc->prev;
    else
        s->calls_tail = pc->prev;
    if (!pc->unordered)
        s->ordered--;
    if (pc->teardown && (err || status < 200 || status >= 300))
        s->tearing_down = false;
    if (pc->cb)
        pc->cb(s, pc->data, err, status, body);
    free_call(pc);
}

static void send_next(struct cr_sched *s);

static void
on_call_done(int err, const struct cr_http_response *resp, void *data)
{
    struct sched_pending_call *pc = data;
    struct cr_sched *s = pc->s;
    int status = resp ? resp->status : 0;
    const char *body = resp ? resp->body : "";

    if (err)
        cr_warn("scheduler: %s call to %s failed: %s", pc->type, s->target_text,
                cr_strerror(err));
    else if (status < 200 || status >= 300)
        cr_warn("scheduler: %s call to %s answered %d: %.200s", pc->type,
                s->target_text, status, body);
    end_call(s, pc, err, status, body);
    if (!s->freeing)
        send_next(s);
}

static int
start_call(struct cr_sched *s, struct sched_pending_call *pc)
{
    int rc = cr_http_call_start(s->loop, s->target.host, s->target.port, "POST",
                                SCHED_API_PATH, pc->headers, pc->text,
                                strlen(pc->text), s->opts.call_timeout,
                                on_call_done, pc, &pc->http);
    free(pc->headers);
    free(pc->text);
    pc->headers = pc->text = NULL;
    if (rc == 0)
        cr_debug("scheduler: %s sent to %s", pc->type, s->target_text);
    return rc;
}

/* The oldest ordered call, or NULL. */
static struct sched_pending_call *
first_ordered(struct cr_sched *s)
{
    struct sched_pending_call *pc = s->calls;
    while (pc && pc->unordered)
        pc = pc->next;
    return pc;
}

/* Send the oldest ordered call unless it is out already. A call that
 * cannot even be started is answered with the error and skipped. */
static void
send_next(struct cr_sched *s)
{
    struct sched_pending_call *pc;
    while ((pc = first_ordered(s)) != NULL && pc->http == NULL && !s->freeing) {
        int rc = start_call(s, pc);
        if (rc == 0)
            return;
        cr_warn("scheduler: %s call to %s not sent: %s", pc->type,
                s->target_text, cr_strerror(rc));
        end_call(s, pc, rc, 0, "");
    }
}

void
sched_cancel_calls(struct cr_sched *s)
{
    while (s->calls) {
        struct sched_pending_call *pc = s->calls;
        if (pc->http)
            cr_http_call_cancel(pc->http);
        end_call(s, pc, CR_ECANCELED_OP, 0, "");
    }
}

void
sched_detach_calls(struct cr_sched *s)
{
    struct sched_pending_call *pc = s->calls, *next;
    for (; pc; pc = next) {
        next = pc->next;
        if (pc->http == NULL) {
            end_call(s, pc, CR_ECANCELED_OP, 0, "");
        } else if (!pc->unordered) {
            pc->unordered = true;
            s->ordered--;
        }
    }
}

size_t
sched_calls_sent(const struct cr_sched *s)
{
    size_t n = 0;
    for (const struct sched_pending_call *pc = s->calls; pc; pc = pc->next)
        n += pc->http != NULL;
    return n;
}

int
cr_sched_call(struct cr_sched *s, const char *type, json_t *body,
              cr_sched_call_cb cb, void *data)
{
    if (type == NULL || strlen(type) >= CALL_TYPE_MAX ||
        strcmp(type, "SUBSCRIBE") == 0) {
        json_decref(body);
        return CR_EINVAL_INPUT;
    }
    if (s->freeing || s->state != CR_SCHED_SUBSCRIBED || !s->stream_id ||
        !s->framework_id) {
        json_decref(body);
        return CR_ESTATE;
    }
    json_t *call = cr_sched_call_new(type, s->framework_id, body);
    struct sched_pending_call *pc = cr_xcalloc(1, sizeof(*pc));
    pc->s = s;
    pc->cb = cb;
    pc->data = data;
    pc->teardown = strcmp(type, "TEARDOWN") == 0;
    pc->unordered = strncmp(type, "ACKNOWLEDGE", 11) == 0;
    snprintf(pc->type, sizeof(pc->type), "%s", type);
    pc->text = cr_json_dump(call);
    json_decref(call);
    pc->headers = cr_xasprintf("Content-Type: application/json\r\n"
                               "Accept: application/json\r\n"
                               "Mesos-Stream-Id: %s\r\n",
                               s->stream_id);
    if (pc->unordered || s->ordered == 0) {
        /* Nothing ahead of it: a call that cannot start fails here. */
        int rc = start_call(s, pc);
        if (rc != 0) {
            free_call(pc);
            return rc;
        }
    }
    pc->prev = s->calls_tail;
    if (s->calls_tail)
        s->calls_tail->next = pc;
    else
        s->calls = pc;
    s->calls_tail = pc;
    if (!pc->unordered)
        s->ordered++;
    if (pc->teardown)
        s->tearing_down = true;
    return 0;
}

/* ---- typed calls ---- */

int
cr_sched_accept(struct cr_sched *s, const char *const *offer_ids,
                size_t n_offers, json_t *operations, double refuse_seconds,
                cr_sched_call_cb cb, void *data)
{
    json_t *ids = n_offers ? id_array(offer_ids, n_offers) : NULL;
    if (ids == NULL || !json_is_array(operations)) {
        json_decref(ids);
        json_decref(operations);
        return CR_EINVAL_INPUT;
    }
    json_t *body =
        json_pack("{s:o,s:o}", "offer_ids", ids, "operations", operations);
    set_filters(body, refuse_seconds);
    return cr_sched_call(s, "ACCEPT", body, cb, data);
}

int
cr_sched_launch(struct cr_sched *s, const char *const *offer_ids,
                size_t n_offers, json_t *task_infos, double refuse_seconds,
                cr_sched_call_cb cb, void *data)
{
    if (!json_is_array(task_infos)) {
        json_decref(task_infos);
        return CR_EINVAL_INPUT;
    }
    json_t *op = json_pack("{s:s,s:{s:o}}", "type", "LAUNCH", "launch",
                           "task_infos", task_infos);
    return cr_sched_accept(s, offer_ids, n_offers, json_pack("[o]", op),
                           refuse_seconds, cb, data);
}

int
cr_sched_launch_group(struct cr_sched *s, const char *const *offer_ids,
                      size_t n_offers, json_t *executor, json_t *tasks,
                      double refuse_seconds, cr_sched_call_cb cb, void *data)
{
    if (!json_is_object(executor) || !json_is_array(tasks)) {
        json_decref(executor);
        json_decref(tasks);
        return CR_EINVAL_INPUT;
    }
    json_t *op = json_pack("{s:s,s:{s:o,s:{s:o}}}", "type", "LAUNCH_GROUP",
                           "launch_group", "executor", executor, "task_group",
                           "tasks", tasks);
    return cr_sched_accept(s, offer_ids, n_offers, json_pack("[o]", op),
                           refuse_seconds, cb, data);
}

int
cr_sched_decline(struct cr_sched *s, const char *const *offer_ids,
                 size_t n_offers, double refuse_seconds, cr_sched_call_cb cb,
                 void *data)
{
    json_t *ids = n_offers ? id_array(offer_ids, n_offers) : NULL;
    if (ids == NULL)
        return CR_EINVAL_INPUT;
    json_t *body = json_pack("{s:o}", "offer_ids", ids);
    set_filters(body, refuse_seconds);
    return cr_sched_call(s, "DECLINE", body, cb, data);
}

int
cr_sched_decline_all(struct cr_sched *s, const json_t *offers,
                     double refuse_seconds, cr_sched_call_cb cb, void *data)
{
    json_t *ids = json_array();
    size_t i;
    json_t *offer;
    json_array_foreach(offers, i, offer)
    {
        const char *id = cr_json_id(offer, "id");
        if (id)
            json_array_append_new(ids, cr_json_id_new(id));
    }
    if (json_array_size(ids) == 0) {
        json_decref(ids);
        return CR_EINVAL_INPUT;
    }
    json_t *body = json_pack("{s:o}", "offer_ids", ids);
    set_filters(body, refuse_seconds);
    return cr_sched_call(s, "DECLINE", body, cb, data);
}

static int
roles_call(struct cr_sched *s, const char *type, const char *const *roles,
           size_t n_roles, cr_sched_call_cb cb, void *data)
{
    json_t *body = NULL;
    if (n_roles > 0)
        body = json_pack("{s:o}", "roles", string_array(roles, n_roles));
    return cr_sched_call(s, type, body, cb, data);
}

int
cr_sched_revive(struct cr_sched *s, const char *const *roles, size_t n_roles,
                cr_sched_call_cb cb, void *data)
{
    return roles_call(s, "REVIVE", roles, n_roles, cb, data);
}

int
cr_sched_suppress(struct cr_sched *s, const char *const *roles, size_t n_roles,
                  cr_sched_call_cb cb, void *data)
{
    return roles_call(s, "SUPPRESS", roles, n_roles, cb, data);
}

int
cr_sched_kill(struct cr_sched *s, const char *task_id, const char *agent_id,
              double grace_secs, cr_sched_call_cb cb, void *data)
{
    if (task_id == NULL || task_id[0] == '\0')
        return CR_EINVAL_INPUT;
    json_t *body = json_object();
    cr_json_set_id(body, "task_id", task_id);
    if (agent_id)
        cr_json_set_id(body, "agent_id", agent_id);
    if (grace_secs >= 0 && grace_secs < 1e9)
        json_object_set_new(body, "kill_policy",
                            json_pack("{s:{s:I}}", "grace_period",
                                      "nanoseconds",
                                      (json_int_t)(grace_secs * 1e9)));
    return cr_sched_call(s, "KILL", body, cb, data);
}

int
cr_sched_shutdown(struct cr_sched *s, const char *executor_id,
                  const char *agent_id, cr_sched_call_cb cb, void *data)
{
    if (executor_id == NULL || agent_id == NULL)
        return CR_EINVAL_INPUT;
    json_t *body = json_object();
    cr_json_set_id(body, "executor_id", executor_id);
    cr_json_set_id(body, "agent_id", agent_id);
    return cr_sched_call(s, "SHUTDOWN", body, cb, data);
}

int
cr_sched_acknowledge(struct cr_sched *s, const char *agent_id,
                     const char *task_id, const char *uuid, cr_sched_call_cb cb,
                     void *data)
{
    if (agent_id == NULL || task_id == NULL || uuid == NULL || !uuid[0])
        return CR_EINVAL_INPUT;
    json_t *body = json_object();
    cr_json_set_id(body, "agent_id", agent_id);
    cr_json_set_id(body, "task_id", task_id);
    json_object_set_new(body, "uuid", json_string(uuid));
    return cr_sched_call(s, "ACKNOWLEDGE", body, cb, data);
}

int
cr_sched_ack_update(struct cr_sched *s, const json_t *status,
                    cr_sched_call_cb cb, void *data)
{
    const char *uuid = cr_json_str(status, "uuid");
    if (uuid == NULL || uuid[0] == '\0')
        return 1;
    return cr_sched_acknowledge(s, cr_json_id(status, "agent_id"),
                                cr_json_id(status, "task_id"), uuid, cb, data);
}

int
cr_sched_reconcile(struct cr_sched *s, json_t *tasks, cr_sched_call_cb cb,
                   void *data)
{
    if (tasks != NULL && !json_is_array(tasks)) {
        json_decref(tasks);
        return CR_EINVAL_INPUT;
    }
    json_t *body = json_object();
    if (tasks != NULL)
        json_object_set_new(body, "tasks", tasks);
    return cr_sched_call(s, "RECONCILE", body, cb, data);
}

int
cr_sched_message(struct cr_sched *s, const char *agent_id,
                 const char *executor_id, const void *msg, size_t len,
                 cr_sched_call_cb cb, void *data)
{
    if (agent_id == NULL || executor_id == NULL || (msg == NULL && len) ||
        len > CR_JSON_MAX_BODY / 2)
        return CR_EINVAL_INPUT;
    char *b64 = cr_xmalloc(cr_base64_encoded_len(len) + 1);
    cr_base64_encode(msg, len, b64);
    json_t *body = json_object();
    cr_json_set_id(body, "agent_id", agent_id);
    cr_json_set_id(body, "executor_id", executor_id);
    json_object_set_new(body, "data", json_string(b64));
    free(b64);
    return cr_sched_call(s, "MESSAGE", body, cb, data);
}

int
cr_sched_teardown(struct cr_sched *s, cr_sched_call_cb cb, void *data)
{
    return cr_sched_call(s, "TEARDOWN", NULL, cb, data);
}
