/* SPDX-License-Identifier: Apache-2.0
 *
 * agent_api.c: the master's side of the master<->agent protocol
 * (docs/protocol.md): POST /corral/v1/agent.
 *
 * An agent SUBSCRIBEs and keeps a RecordIO event stream open; it sends
 * UPDATE, EXECUTOR_EXITED and MESSAGE as short POSTs carrying the stream
 * id. When the stream breaks the agent is DISCONNECTED (offers rescinded,
 * no new offers) and has agent_ping_timeout x max_agent_ping_timeouts to
 * come back before it is REMOVED and its tasks reported lost.
 *
 * Health deadlines: a CONNECTED agent sits on m->agents_seen, moved to the
 * tail on each of its calls, so that list stays ordered by last_seen; a
 * DISCONNECTED one on m->agents_down, appended when it disconnects. The
 * 100 ms tick pops expired agents off the heads and never walks the rest
 * (a walk of 20,000 agents cost the loop ~5 ms per tick, cache misses
 * mostly).
 *
 * Heartbeats: CONNECTED agents are also on m->agents_ping, in no order;
 * agents_heartbeat() goes round it a few agents per step (steps at least
 * PING_STEP_MS apart), each agent once per --agent_ping_timeout. One
 * burst to every agent held the loop ~170 ms at 19,000 agents.
 */
#include "allocator.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "call_validate.h"
#include "master.h"
#include "net/api.h"
#include "net/recordio.h"
#include "operator_api.h"
#include "operator_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utlist.h>

#define PING_STEP_MS 2 /* the shortest step of the heartbeat round */

static const char *const state_names[] = {"CONNECTED", "DISCONNECTED",
                                          "REMOVED"};

struct magent *
agent_find(struct master *m, const char *id)
{
    struct magent *a = NULL;
    if (id)
        HASH_FIND_STR(m->agents, id, a);
    return a;
}

static void
ping_unlink(struct master *m, struct magent *a)
{
    if (!a->on_ping_list)
        return;
    if (m->ping_cursor == a)
        m->ping_cursor = a->ping_next;
    DL_DELETE2(m->agents_ping, a, ping_prev, ping_next);
    a->on_ping_list = false;
    m->n_ping--;
}

static void
ping_link(struct master *m, struct magent *a)
{
    if (a->on_ping_list)
        return;
    DL_APPEND2(m->agents_ping, a, ping_prev, ping_next);
    a->on_ping_list = true;
    m->n_ping++;
}

static void
health_off(struct magent *a)
{
    if (a->health_list)
        DL_DELETE2(*a->health_list, a, health_prev, health_next);
    a->health_list = NULL;
}

/* Take a off its health list and off the heartbeat round. */
static void
health_unlink(struct master *m, struct magent *a)
{
    health_off(a);
    ping_unlink(m, a);
}

/* Put a at the tail of the health list of its state: call it after its
 * state, last_seen or disconnected_at changed (times only grow). Its
 * place in the heartbeat round does not move. */
static void
health_track(struct master *m, struct magent *a)
{
    health_off(a);
    if (a->state == AGENT_CONNECTED) {
        a->health_list = &m->agents_seen;
        ping_link(m, a);
    } else {
        ping_unlink(m, a);
        if (a->state != AGENT_DISCONNECTED)
            return;
        a->health_list = &m->agents_down;
    }
    DL_APPEND2(*a->health_list, a, health_prev, health_next);
}

static void
set_state(struct magent *a, enum agent_state to, const char *why)
{
    cr_info("agent %s (%s:%d): %s -> %s (%s)", a->id, a->hostname, a->port,
            state_names[a->state], state_names[to], why);
    a->state = to;
}

void
agent_send(struct master *m, struct magent *a, json_t *event)
{
    if (a->state == AGENT_CONNECTED && a->stream)
        master_stream_send(a->stream, event);
    json_decref(event);
}

uint64_t
agents_heartbeat(struct master *m, uint64_t now_ms)
{
    /* The event as one RecordIO record: its length, a newline, the JSON. */
    static const char record[] = "20\n{\"type\":\"HEARTBEAT\"}";
    uint64_t period = (uint64_t)(m->flags.agent_ping_timeout * 1000.0);
    if (period < 1)
        period = 1;
    double due = m->ping_owed + (double)m->n_ping *
                                    (double)(now_ms - m->ping_at) /
                                    (double)period;
    m->ping_at = now_ms;
    size_t k = due < (double)m->n_ping ? (size_t)due : m->n_ping;
    m->ping_owed = k < m->n_ping ? due - (double)k : 0;
    while (k-- > 0) {
        struct magent *a = m->ping_cursor ? m->ping_cursor : m->agents_ping;
        m->ping_cursor = a->ping_next;
        if (a->stream)
            cr_http_stream_write(a->stream, record, sizeof(record) - 1);
    }
    /* Steps about one heartbeat apart, at least PING_STEP_MS apart, and at
     * most a second apart, so agents that join find the round going. */
    uint64_t step = m->n_ping ? period / m->n_ping : period;
    return step < PING_STEP_MS ? PING_STEP_MS : step > 1000 ? 1000 : step;
}

static void
agent_disconnect(struct master *m, struct magent *a, const char *why)
{
    if (a->state != AGENT_CONNECTED)
        return;
    a->stream = NULL;
    a->stream_id[0] = '\0';
    a->disconnected_at = master_now();
    set_state(a, AGENT_DISCONNECTED, why);
    health_track(m, a);
    allocator_deactivate_agent(m->allocator, a->id);
    offers_rescind_for_agent(m, a->id);
}

/* What an agent's removal means for its live tasks. */
struct removal {
    enum task_state pa_state; /* for partition-aware frameworks */
    const char *reason;
    const char *message;
};

static void
remove_agent(struct master *m, struct magent *a, const char *why,
             const struct removal *r)
{
    set_state(a, AGENT_REMOVED, why);
    health_unlink(m, a);
    m->stats.agent_removals++;
    offers_rescind_for_agent(m, a->id);
    while (a->tasks) {
        struct mtask *t = a->tasks;
        struct mframework *f = framework_find(m, t->framework_id);
        bool pa = f && f->partition_aware;
        enum task_state st = pa ? r->pa_state : TASK_LOST;
        if (!task_state_is_terminal(t->state)) {
            task_set_state(m, t, st, cr_wall_secs());
            if (f)
                task_send_update(
                    m, f,
                    task_status_new(t->task_id, a->id, t->executor_id, st,
                                    "SOURCE_MASTER", r->reason, r->message));
        }
        task_remove(m, t);
    }
    struct mframework *f, *tmp;
    HASH_ITER(hh, m->frameworks, f, tmp)
    {
        /* FAILURE without executor_id means the whole agent is lost. */
        framework_send(m, f,
                       json_pack("{s:s, s:{s:o}}", "type", "FAILURE", "failure",
                                 "agent_id", cr_json_id_new(a->id)));
    }
    allocator_remove_agent(m->allocator, a->id);
    operator_event_agent_removed(m, a->id);
    HASH_DEL(m->agents, a);
    agent_free(a);
}

static void
agent_remove(struct master *m, struct magent *a, const char *why)
{
    static const struct removal lost = {
        TASK_UNREACHABLE, "REASON_AGENT_REMOVED", "Agent removed"};
    remove_agent(m, a, why, &lost);
}

void
agent_remove_by_operator(struct master *m, struct magent *a, const char *why)
{
    static const struct removal gone = {TASK_GONE_BY_OPERATOR,
                                        "REASON_AGENT_REMOVED_BY_OPERATOR",
                                        "Agent removed by the operator"};
    agent_send(m, a,
               json_pack("{s:s, s:{s:s}}", "type", "SHUTDOWN", "shutdown",
                         "message", why));
    remove_agent(m, a, why, &gone);
}

void
agent_free(struct magent *a)
{
    if (a->stream)
        cr_http_stream_end(a->stream);
    cr_resources_fini(&a->total);
    json_decref(a->info);
    free(a->id);
    free(a->hostname);
    free(a->pid);
    free(a->ip);
    free(a);
}

void
agents_check_removal(struct master *m, double now)
{
    double budget =
        m->flags.agent_ping_timeout * (double)m->flags.max_agent_ping_timeouts;
    struct magent *a;
    /* An agent answers each HEARTBEAT with a HEARTBEAT call; one that
     * stays silent (hung, stopped, cut off with its connection still
     * open) is disconnected here rather than when TCP gives up. It moves
     * to the tail of agents_down, so this loop ends. */
    while ((a = m->agents_seen) != NULL && now - a->last_seen >= budget) {
        struct cr_http_stream *s = a->stream;
        agent_disconnect(m, a, "no heartbeat from the agent");
        if (s)
            cr_http_stream_end(s);
    }
    while ((a = m->agents_down) != NULL && now - a->disconnected_at >= budget) {
        admission_mark_unreachable(m, a->id);
        agent_remove(m, a, "health check timed out");
    }
}

/* The stream's data is its agent, which always ends its stream before it
 * is freed or gets a new one. */
static void
on_agent_stream_closed(struct cr_http_stream *s, void *data)
{
    struct magent *a = data;
    if (a->stream == s)
        agent_disconnect(a->master, a, "stream closed");
}

/* ---- re-registration: rebuild tasks from the agent's report ------------ */

static void
adopt_frameworks(struct master *m, json_t *frameworks)
{
    size_t i;
    json_t *fi;
    json_array_foreach(frameworks, i, fi)
    {
        const char *id = cr_json_id(fi, "id");
        if (id && framework_find(m, id) == NULL &&
            !framework_was_removed(m, id)) {
            struct mframework *f = framework_recover(m, id, fi);
            json_t *roles = json_object_get(fi, "roles");
            const char *role = cr_json_str(fi, "role");
            const char *r0 = json_array_size(roles)
                                 ? json_string_value(json_array_get(roles, 0))
                             : role ? role
                                    : "*";
            f->roles = cr_xcalloc(1, sizeof(char *));
            f->roles[0] = cr_xstrdup(r0 ? r0 : "*");
            f->n_roles = 1;
            allocator_add_framework(m->allocator, f->id,
                                    (const char *const *)f->roles, f->n_roles,
                                    NULL, 0, false);
        }
    }
}

/* The allocation role of a reported task: its resources' allocation_info,
 * else the framework's first role. */
static const char *
reported_role(json_t *task, const struct mframework *f)
{
    json_t *r0 = json_array_get(json_object_get(task, "resources"), 0);
    const char *role =
        cr_json_str(json_object_get(r0, "allocation_info"), "role");
    return role ? role : f->n_roles ? f->roles[0] : "*";
}

static void
adopt_task(struct master *m, struct magent *a, json_t *tj, const char *fid,
           const char *tid, enum task_state st)
{
    char err[256];
    struct mframework *f = framework_find(m, fid);
    if (f == NULL)
        f = framework_recover(m, fid, NULL);
    struct cr_resources res;
    cr_resources_init(&res);
    if (cr_resources_parse_json(&res, json_object_get(tj, "resources"), NULL,
                                err, sizeof(err)) != 0)
        cr_warn("agent %s reported task %s with bad resources: %s", a->id, tid,
                err);
    const char *role = reported_role(tj, f);
    struct mtask *t = task_add(m, f, a, tj, role, &res, st);
    if (!task_state_is_terminal(st))
        allocator_add_allocation(m->allocator, fid, a->id, role, &res);
    else
        t->resources_released = true;
    cr_resources_fini(&res);
}

/* A task the master launched on a but that a's report leaves out was lost
 * on the way (its RUN_TASK died with a broken stream, or the agent lost
 * it): tell its framework rather than wait forever. */
static void
drop_unreported(struct master *m, struct magent *a, json_t *reported)
{
    struct mtask *t = a->tasks;
    while (t) {
        struct mtask *next = t->ag_next;
        if (!task_state_is_terminal(t->state) &&
            json_object_get(reported, t->key) == NULL) {
            struct mframework *f = framework_find(m, t->framework_id);
            enum task_state st =
                f && f->partition_aware ? TASK_GONE : TASK_LOST;
            task_set_state(m, t, st, cr_wall_secs());
            if (f)
                task_send_update(
                    m, f,
                    task_status_new(t->task_id, a->id, t->executor_id, st,
                                    "SOURCE_MASTER", "REASON_AGENT_RESTARTED",
                                    "Task is unknown to the "
                                    "agent that re-registered"));
            task_remove(m, t);
        }
        t = next;
    }
}

/* Tasks of a removed framework reported by an agent that was away when it
 * was torn down are not adopted: the agent is told to shut the framework
 * down instead (ids collected in *shutdown). */
static void
adopt_tasks(struct master *m, struct magent *a, json_t *tasks, json_t *shutdown)
{
    size_t i;
    json_t *tj;
    json_t *reported = json_object();
    json_array_foreach(tasks, i, tj)
    {
        const char *fid = cr_json_id(tj, "framework_id");
        const char *tid = cr_json_id(tj, "task_id");
        enum task_state st;
        if (!fid || !tid || task_state_parse(cr_json_str(tj, "state"), &st))
            continue;
        if (framework_was_removed(m, fid)) {
            json_object_set_new(shutdown, fid, json_true());
            continue;
        }
        char *key = cr_xasprintf("%s\n%s", fid, tid);
        json_object_set_new(reported, key, json_true());
        free(key);
        /* Known already: the agent reconnected to the same master, whose
         * view the status updates in flight will bring up to date. */
        if (task_find(m, fid, tid) == NULL)
            adopt_task(m, a, tj, fid, tid, st);
    }
    drop_unreported(m, a, reported);
    json_decref(reported);
}

/* ---- SUBSCRIBE ----------------------------------------------------------- */

char *
master_peer_ip(const char *peer)
{
    if (peer == NULL)
        return NULL;
    if (*peer == '[') {
        const char *end = strchr(peer, ']');
        return end ? cr_xstrndup(peer + 1, (size_t)(end - peer - 1)) : NULL;
    }
    const char *colon = strrchr(peer, ':');
    return colon ? cr_xstrndup(peer, (size_t)(colon - peer)) : cr_xstrdup(peer);
}

static struct magent *
agent_new(struct master *m, const char *id, json_t *info,
          struct cr_resources *total)
{
    struct magent *a = cr_xcalloc(1, sizeof(*a));
    a->master = m;
    a->id = cr_xstrdup(id);
    const char *host = cr_json_str(info, "hostname");
    double port = 5051;
    cr_json_num(info, "port", &port);
    a->hostname = cr_xstrdup(host);
    a->port = (int)port;
    a->pid = cr_xasprintf("slave(1)@%s:%d", a->hostname, a->port);
    a->info = json_deep_copy(info);
    cr_json_set_id(a->info, "id", a->id);
    cr_resources_move(&a->total, total);
    a->state = AGENT_DISCONNECTED;
    a->registered_time = cr_wall_secs();
    HASH_ADD_KEYPTR(hh, m->agents, a->id, strlen(a->id), a);
    allocator_add_agent(m->allocator, a->id, &a->total);
    return a;
}

static const char *
validate_agent_info(json_t *info, struct cr_resources *total, char *err,
                    size_t errlen)
{
    const char *host = cr_json_str(info, "hostname");
    double port;
    if (!json_is_object(info))
        return "Expecting 'subscribe.agent_info'";
    if (host == NULL || *host == '\0' || strlen(host) > 255)
        return "Expecting 'agent_info.hostname'";
    if (!cr_json_num(info, "port", &port) || port < 1 || port > 65535)
        return "Expecting 'agent_info.port' between 1 and 65535";
    if (cr_resources_parse_json(total, json_object_get(info, "resources"), NULL,
                                err, errlen) != 0)
        return err;
    return NULL;
}

/* Check the subscription, then let the registry decide (admission.c). */
static void
handle_subscribe(struct master *m, struct cr_http_req *req, json_t *call)
{
    json_t *info =
        json_object_get(json_object_get(call, "subscribe"), "agent_info");
    struct cr_resources total;
    char err[256];
    char msg[320];
    cr_resources_init(&total);
    const char *why = validate_agent_info(info, &total, err, sizeof(err));
    cr_resources_fini(&total);
    if (why) {
        snprintf(msg, sizeof(msg), "Invalid agent subscription: %s", why);
        cr_http_respond_text(req, 400, msg);
        return;
    }
    admission_subscribe(m, req, call);
}

void
agent_subscribe_accept(struct master *m, struct cr_http_req *req, json_t *call,
                       const char *id)
{
    json_t *sub = json_object_get(call, "subscribe");
    json_t *info = json_object_get(sub, "agent_info");
    struct cr_resources total;
    char err[256];
    cr_resources_init(&total);
    (void)validate_agent_info(info, &total, err, sizeof(err));
    config_agent_total(m, id, &total);
    bool rereg = cr_json_id(info, "id") != NULL;
    struct magent *a = agent_find(m, id);
    if (a == NULL) {
        a = agent_new(m, id, info, &total);
        a->ip = master_peer_ip(req->peer);
    } else {
        if (a->stream)
            cr_http_stream_end(a->stream);
        a->stream = NULL;
        a->state = AGENT_DISCONNECTED;
        a->reregistered_time = cr_wall_secs();
    }
    cr_resources_fini(&total);
    if (rereg)
        m->stats.agent_reregistrations++;
    else
        m->stats.agent_registrations++;

    json_t *shutdown = json_object();
    adopt_frameworks(m, json_object_get(sub, "frameworks"));
    adopt_tasks(m, a, json_object_get(sub, "tasks"), shutdown);

    cr_uuid_str(a->stream_id);
    char hdr[128];
    snprintf(hdr, sizeof(hdr), "Mesos-Stream-Id: %s\r\n", a->stream_id);
    a->stream = cr_http_stream_start(req, 200, "application/json", hdr,
                                     on_agent_stream_closed, a);
    set_state(a, AGENT_CONNECTED, rereg ? "re-subscribed" : "subscribed");
    a->last_seen = master_now();
    health_track(m, a);
    operator_event_agent_added(m, a);
    agent_send(m, a,
               json_pack("{s:s, s:{s:o, s:f, s:o}}", "type", "SUBSCRIBED",
                         "subscribed", "agent_id", cr_json_id_new(a->id),
                         "heartbeat_interval_seconds",
                         m->flags.agent_ping_timeout, "master_info",
                         master_info_json(m)));
    agent_send(m, a, json_pack("{s:s}", "type", "HEARTBEAT"));
    const char *fid;
    json_t *v;
    json_object_foreach(shutdown, fid, v)
    {
        agent_send(m, a,
                   json_pack("{s:s, s:{s:o}}", "type", "SHUTDOWN_FRAMEWORK",
                             "shutdown_framework", "framework_id",
                             cr_json_id_new(fid)));
    }
    json_decref(shutdown);
    allocator_activate_agent(m->allocator, a->id);
    master_allocate_soon(m);
}

/* ---- UPDATE, EXECUTOR_EXITED, MESSAGE ------------------------------------ */

static void
handle_update(struct master *m, struct magent *a, json_t *call)
{
    json_t *body = json_object_get(call, "update");
    json_t *status = json_object_get(body, "status");
    const char *fid = cr_json_id(body, "framework_id");
    const char *tid = cr_json_id(status, "task_id");
    enum task_state st, latest;
    if (!fid || !tid || task_state_parse(cr_json_str(status, "state"), &st) ||
        cr_json_str(status, "uuid") == NULL) {
        m->stats.invalid_status_updates++;
        cr_warn("agent %s sent an invalid status update", a->id);
        return;
    }
    if (task_state_parse(cr_json_str(body, "latest_state"), &latest))
        latest = st;
    m->stats.valid_status_updates++;
    struct mframework *f = framework_find(m, fid);
    struct mtask *t = task_find(m, fid, tid);
    if (t)
        task_apply_update(m, t, status, latest);
    if (f == NULL || f->state != FRAMEWORK_CONNECTED)
        return; /* the agent retries until the framework acknowledges */
    json_t *copy = json_deep_copy(status);
    if (!json_object_get(copy, "agent_id"))
        cr_json_set_id(copy, "agent_id", a->id);
    task_send_update(m, f, copy);
}

static void
handle_executor_exited(struct master *m, struct magent *a, json_t *call)
{
    json_t *body = json_object_get(call, "executor_exited");
    struct mframework *f = framework_find(m, cr_json_id(body, "framework_id"));
    const char *exec = cr_json_id(body, "executor_id");
    double status = 0;
    cr_json_num(body, "status", &status);
    if (f == NULL || exec == NULL)
        return;
    framework_send(m, f,
                   json_pack("{s:s, s:{s:o, s:o, s:i}}", "type", "FAILURE",
                             "failure", "agent_id", cr_json_id_new(a->id),
                             "executor_id", cr_json_id_new(exec), "status",
                             (int)status));
}

static void
handle_message(struct master *m, struct magent *a, json_t *call)
{
    json_t *body = json_object_get(call, "message");
    struct mframework *f = framework_find(m, cr_json_id(body, "framework_id"));
    const char *exec = cr_json_id(body, "executor_id");
    const char *data = cr_json_str(body, "data");
    if (f == NULL || exec == NULL || data == NULL)
        return;
    framework_send(m, f,
                   json_pack("{s:s, s:{s:o, s:o, s:s}}", "type", "MESSAGE",
                             "message", "agent_id", cr_json_id_new(a->id),
                             "executor_id", cr_json_id_new(exec), "data",
                             data));
}

/* A call from a subscribed agent on its live stream. Any call counts as
 * a sign of life; HEARTBEAT is only that. */
static void
dispatch_call(struct master *m, struct magent *a, struct cr_http_req *req,
              const char *type, json_t *call)
{
    if (strcmp(type, "HEARTBEAT") == 0) {
        cr_http_respond(req, 202, NULL, NULL, 0, NULL);
    } else if (strcmp(type, "UPDATE") == 0) {
        cr_http_respond(req, 202, NULL, NULL, 0, NULL);
        handle_update(m, a, call);
    } else if (strcmp(type, "EXECUTOR_EXITED") == 0) {
        cr_http_respond(req, 202, NULL, NULL, 0, NULL);
        handle_executor_exited(m, a, call);
    } else if (strcmp(type, "MESSAGE") == 0) {
        cr_http_respond(req, 202, NULL, NULL, 0, NULL);
        handle_message(m, a, call);
    } else {
        cr_http_respond_text(req, 400, "Unknown agent call type");
    }
}

void
agent_api_handle(struct master *m, struct cr_http_req *req)
{
    json_t *call;
    if (cr_api_parse_call(req, agent_call_validate, "agent call", &call) != 0)
        return;
    const char *type = cr_json_str(call, "type");
    if (strcmp(type, "SUBSCRIBE") == 0) {
        handle_subscribe(m, req, call);
        json_decref(call);
        return;
    }
    struct magent *a = agent_find(m, cr_json_id(call, "agent_id"));
    const char *sid = cr_http_headers_get(&req->headers, "Mesos-Stream-Id");
    if (a == NULL) {
        cr_http_respond_text(req, 400, "Agent cannot be found");
    } else if (a->state != AGENT_CONNECTED) {
        cr_http_respond_text(req, 403, "Agent is not subscribed");
    } else if (sid == NULL || strcmp(sid, a->stream_id) != 0) {
        cr_http_respond_text(req, 400, "Missing or stale 'Mesos-Stream-Id'");
    } else {
        a->last_seen = master_now();
        health_track(m, a);
        dispatch_call(m, a, req, type, call);
    }
    json_decref(call);
}
