/* SPDX-License-Identifier: Apache-2.0
 *
 * scheduler_api.c: POST /api/v1/scheduler, the Mesos v1 scheduler API.
 *
 * Checks run in upstream's order (reference §1.1): method, Content-Type,
 * parse, validation, Accept, then SUBSCRIBE or the framework lookup
 * (400 unknown, 403 not subscribed), the Mesos-Stream-Id (400 missing or
 * different), and dispatch. SUBSCRIBE answers with a RecordIO stream whose
 * first events are SUBSCRIBED and HEARTBEAT; every other call answers 202
 * with no body (UPDATE_FRAMEWORK: 200).
 */
#include "allocator.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "call_validate.h"
#include "master.h"
#include "net/api.h"
#include "operator_api.h"
#include "registrar.h"
#include "registry.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_REFUSE_SECONDS 5.0

static void
bad_request(struct cr_http_req *req, const char *fmt, const char *arg)
{
    char msg[512];
    snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
    cr_http_respond_text(req, 400, msg);
}

/* ---- SUBSCRIBE ------------------------------------------------------- */

static void
set_roles(struct mframework *f)
{
    for (size_t i = 0; i < f->n_roles; i++)
        free(f->roles[i]);
    free(f->roles);
    f->roles = NULL;
    f->n_roles = 0;
    f->partition_aware = false;
    bool multi_role = false;
    json_t *caps = json_object_get(f->info, "capabilities"), *c;
    size_t i;
    json_array_foreach(caps, i, c)
    {
        const char *type = cr_json_str(c, "type");
        if (type && strcmp(type, "MULTI_ROLE") == 0)
            multi_role = true;
        if (type && strcmp(type, "PARTITION_AWARE") == 0)
            f->partition_aware = true;
    }
    json_t *roles = json_object_get(f->info, "roles");
    if (multi_role && json_array_size(roles) > 0) {
        f->roles = cr_xcalloc(json_array_size(roles), sizeof(char *));
        json_t *r;
        json_array_foreach(roles, i, r)
        {
            if (json_is_string(r))
                f->roles[f->n_roles++] = cr_xstrdup(json_string_value(r));
        }
        return;
    }
    const char *role = cr_json_str(f->info, "role");
    f->roles = cr_xcalloc(1, sizeof(char *));
    f->roles[0] = cr_xstrdup(role ? role : "*");
    f->n_roles = 1;
}

static const char *
validate_framework_info(const json_t *info)
{
    if (!json_is_object(info))
        return "Expecting 'framework_info' to be present";
    if (cr_json_str(info, "user") == NULL)
        return "Missing required fields: framework_info.user";
    if (cr_json_str(info, "name") == NULL)
        return "Missing required fields: framework_info.name";
    json_t *fo = json_object_get(info, "failover_timeout");
    if (fo && (!json_is_number(fo) || json_number_value(fo) < 0 ||
               !isfinite(json_number_value(fo))))
        return "'framework_info.failover_timeout' must be a non-negative "
               "number";
    return NULL;
}

/* The stream's data is its framework: a framework always ends its stream
 * (so this callback never runs) before it is freed or gets a new one. */
static void
on_stream_closed(struct cr_http_stream *s, void *data)
{
    struct mframework *f = data;
    if (f->stream == s)
        framework_disconnect(f->master, f);
}

static struct mframework *
framework_new(struct master *m, const char *id)
{
    struct mframework *f = cr_xcalloc(1, sizeof(*f));
    if (id)
        f->id = cr_xstrdup(id);
    else
        /* A client may have picked an id of our form already. */
        do {
            free(f->id);
            f->id = cr_xasprintf("%s-%04llu", m->id,
                                 (unsigned long long)m->next_framework++);
        } while (framework_find(m, f->id) || framework_was_removed(m, f->id));
    f->master = m;
    f->completed_tasks = json_array();
    f->state = FRAMEWORK_DISCONNECTED;
    f->registered_time = cr_wall_secs();
    HASH_ADD_KEYPTR(hh, m->frameworks, f->id, strlen(f->id), f);
    return f;
}

static void
replace_stream(struct master *m, struct mframework *f)
{
    if (f->stream == NULL)
        return;
    json_t *err = json_pack("{s:s, s:{s:s}}", "type", "ERROR", "error",
                            "message", "Framework failed over");
    framework_send(m, f, err);
    cr_http_stream_end(f->stream);
    f->stream = NULL;
    /* Ending the stream does not run its close callback: take back the
     * offers the old instance held, which the new one never saw. */
    offers_rescind_for_framework(m, f->id);
}

/* With the deprecated --roles whitelist, every role a framework asks for
 * must be listed ("*" is always allowed). NULL when fine, else why (in
 * buf). */
static const char *
check_role_whitelist(const struct master *m, const struct mframework *f,
                     char *buf, size_t n)
{
    if (m->flags.roles == NULL)
        return NULL;
    for (size_t i = 0; i < f->n_roles; i++) {
        const char *r = f->roles[i];
        size_t len = strlen(r);
        bool found = strcmp(r, "*") == 0;
        for (const char *p = m->flags.roles; !found && *p;) {
            const char *comma = strchr(p, ',');
            size_t tok = comma ? (size_t)(comma - p) : strlen(p);
            found = tok == len && strncmp(p, r, len) == 0;
            p += tok + (comma != NULL);
        }
        if (!found) {
            snprintf(buf, n,
                     "Role '%.200s' is not present in the master's --roles", r);
            return buf;
        }
    }
    return NULL;
}

/* The --roles check for a FrameworkInfo, run on a scratch framework so a
 * refused call leaves the real one untouched. */
static const char *
check_roles_of(const struct master *m, json_t *info, char *buf, size_t n)
{
    struct mframework probe = {.info = info};
    set_roles(&probe);
    const char *why = check_role_whitelist(m, &probe, buf, n);
    for (size_t i = 0; i < probe.n_roles; i++)
        free(probe.roles[i]);
    free(probe.roles);
    return why;
}

static void
handle_subscribe(struct master *m, struct cr_http_req *req, json_t *call)
{
    if (cr_http_headers_get(&req->headers, "Mesos-Stream-Id")) {
        cr_http_respond_text(req, 400,
                             "Subscribe calls should not include "
                             "the 'Mesos-Stream-Id' header");
        return;
    }
    json_t *sub = json_object_get(call, "subscribe");
    json_t *info = json_object_get(sub, "framework_info");
    const char *why = validate_framework_info(info);
    if (why) {
        bad_request(req, "Failed to validate scheduler::Call: %s", why);
        return;
    }
    const char *id = cr_json_id(info, "id");
    const char *top = cr_json_id(call, "framework_id");
    if (id && top && strcmp(id, top) != 0) {
        cr_http_respond_text(req, 400,
                             "'framework_id' differs from "
                             "'subscribe.framework_info.id'");
        return;
    }
    if (framework_was_removed(m, id)) {
        cr_http_respond_text(req, 403, "Framework has been removed");
        return;
    }

    char rolebuf[300];
    why = check_roles_of(m, info, rolebuf, sizeof(rolebuf));
    if (why) {
        bad_request(req, "Failed to validate scheduler::Call: %s", why);
        return;
    }

    struct mframework *f = framework_find(m, id);
    bool resubscribe = f != NULL;
    if (f == NULL)
        f = framework_new(m, id);
    replace_stream(m, f);
    json_decref(f->info);
    f->info = json_deep_copy(info);
    cr_json_set_id(f->info, "id", f->id);
    double fo = 0;
    cr_json_num(f->info, "failover_timeout", &fo);
    f->failover_timeout = fo;
    set_roles(f);

    cr_uuid_str(f->stream_id);
    char hdr[128];
    snprintf(hdr, sizeof(hdr), "Mesos-Stream-Id: %s\r\n", f->stream_id);
    f->stream = cr_http_stream_start(req, 200, "application/json", hdr,
                                     on_stream_closed, f);
    if (resubscribe)
        f->reregistered_time = cr_wall_secs();
    f->recovered = false;
    f->state = FRAMEWORK_CONNECTED;
    cr_info("framework %s (%s) %s", f->id, cr_json_str(info, "name"),
            resubscribe ? "re-subscribed" : "subscribed");

    json_t *ev = json_pack(
        "{s:s, s:{s:o, s:f, s:o}}", "type", "SUBSCRIBED", "subscribed",
        "framework_id", cr_json_id_new(f->id), "heartbeat_interval_seconds",
        m->flags.framework_heartbeat, "master_info", master_info_json(m));
    framework_send(m, f, ev);
    framework_send(m, f, json_pack("{s:s}", "type", "HEARTBEAT"));
    operator_event_framework(
        m, f, resubscribe ? OPERATOR_FW_UPDATED : OPERATOR_FW_ADDED);

    json_t *supp = json_object_get(sub, "suppressed_roles");
    size_t n_supp = json_array_size(supp);
    const char **supp_roles = cr_xcalloc(n_supp + 1, sizeof(char *));
    size_t k = 0;
    for (size_t i = 0; i < n_supp; i++)
        if (json_is_string(json_array_get(supp, i)))
            supp_roles[k++] = json_string_value(json_array_get(supp, i));
    /* Adding an existing framework updates its roles and activates it. */
    allocator_add_framework(m->allocator, f->id, (const char *const *)f->roles,
                            f->n_roles, supp_roles, k, true);
    free(supp_roles);
    master_allocate_soon(m);
}

/* ---- simple calls ----------------------------------------------------- */

/* Collect an array of role strings into a C array (borrowed strings). */
static const char **
roles_of(json_t *body, size_t *n)
{
    json_t *roles = json_object_get(body, "roles");
    const char **out = cr_xcalloc(json_array_size(roles) + 1, sizeof(char *));
    size_t k = 0, i;
    json_t *r;
    json_array_foreach(roles, i, r)
    {
        if (json_is_string(r))
            out[k++] = json_string_value(r);
    }
    *n = k;
    return out;
}

double refuse_seconds_of(json_t *filters);

double
refuse_seconds_of(json_t *filters)
{
    double r = DEFAULT_REFUSE_SECONDS;
    if (!cr_json_num(filters, "refuse_seconds", &r))
        return DEFAULT_REFUSE_SECONDS;
    if (r < 0 || !isfinite(r))
        return DEFAULT_REFUSE_SECONDS;
    if (r > 365.0 * 86400)
        r = 365.0 * 86400;
    return r;
}

static void
handle_decline(struct master *m, struct mframework *f, json_t *call)
{
    json_t *body = json_object_get(call, "decline");
    double refuse = refuse_seconds_of(json_object_get(body, "filters"));
    json_t *ids = json_object_get(body, "offer_ids"), *oid;
    size_t i;
    json_array_foreach(ids, i, oid)
    {
        struct moffer *o = offer_find(m, cr_json_str(oid, "value"));
        if (o && strcmp(o->framework_id, f->id) == 0)
            offer_remove(m, o, false, true, refuse);
    }
    master_allocate_soon(m);
}

static void
handle_kill(struct master *m, struct mframework *f, json_t *call)
{
    json_t *body = json_object_get(call, "kill");
    const char *task_id = cr_json_id(body, "task_id");
    struct mtask *t = task_find(m, f->id, task_id);
    if (t == NULL) {
        /* Unknown task: answer as explicit reconciliation would. */
        json_t *st = task_status_new(
            task_id, cr_json_id(body, "agent_id"), NULL,
            f->partition_aware ? TASK_UNKNOWN : TASK_LOST, "SOURCE_MASTER",
            "REASON_RECONCILIATION", "Attempted to kill an unknown task");
        task_send_update(m, f, st);
        return;
    }
    struct magent *a = agent_find(m, t->agent_id);
    if (a == NULL)
        return;
    json_t *kill =
        json_pack("{s:o, s:o}", "framework_id", cr_json_id_new(f->id),
                  "task_id", cr_json_id_new(t->task_id));
    json_t *policy = json_object_get(body, "kill_policy");
    if (policy)
        json_object_set(kill, "kill_policy", policy);
    agent_send(m, a,
               json_pack("{s:s, s:o}", "type", "KILL_TASK", "kill_task", kill));
}

static void
handle_acknowledge(struct master *m, struct mframework *f, json_t *call)
{
    json_t *body = json_object_get(call, "acknowledge");
    const char *task_id = cr_json_id(body, "task_id");
    const char *agent_id = cr_json_id(body, "agent_id");
    const char *uuid = cr_json_str(body, "uuid");
    if (!task_id || !agent_id || !uuid)
        return;
    struct magent *a = agent_find(m, agent_id);
    if (a) {
        json_t *ack =
            json_pack("{s:o, s:o, s:s}", "framework_id", cr_json_id_new(f->id),
                      "task_id", cr_json_id_new(task_id), "uuid", uuid);
        agent_send(
            m, a,
            json_pack("{s:s, s:o}", "type", "ACKNOWLEDGE", "acknowledge", ack));
    }
    struct mtask *t = task_find(m, f->id, task_id);
    const char *last_uuid = t ? cr_json_str(t->status, "uuid") : NULL;
    /* The terminal update is acknowledged: the task is done with. */
    if (t && task_state_is_terminal(t->state) && last_uuid &&
        strcmp(last_uuid, uuid) == 0) {
        enum task_state st;
        if (task_state_parse(cr_json_str(t->status, "state"), &st) == 0 &&
            task_state_is_terminal(st))
            task_remove(m, t);
    }
}

static void
reconcile_one(struct master *m, struct mframework *f, const char *task_id,
              const char *agent_id)
{
    struct mtask *t = task_find(m, f->id, task_id);
    if (t) {
        json_t *st =
            task_status_new(t->task_id, t->agent_id, t->executor_id, t->state,
                            "SOURCE_MASTER", "REASON_RECONCILIATION", NULL);
        task_send_update(m, f, st);
        return;
    }
    struct magent *a = agent_id ? agent_find(m, agent_id) : NULL;
    enum task_state st = TASK_LOST;
    if (agent_id == NULL && m->registrar &&
        registrar_registry(m->registrar)->count[REGISTRY_ADMITTED] >
            HASH_COUNT(m->agents)) {
        /* No agent named, and some admitted agents are not back since the
         * failover: the task may be on one of them. Say nothing yet. */
        return;
    }
    if (f->partition_aware)
        st = a ? TASK_GONE : TASK_UNKNOWN;
    if (a == NULL && agent_id && m->registrar) {
        /* An admitted agent that has not re-registered since the failover
         * may still bring the task back: answering TASK_LOST now would
         * be a lie the framework acts on. Say nothing; it retries. */
        switch (
            registry_agent_status(registrar_registry(m->registrar), agent_id)) {
        case REGISTRY_ADMITTED:
            return;
        case REGISTRY_UNREACHABLE:
            st = f->partition_aware ? TASK_UNREACHABLE : TASK_LOST;
            break;
        case REGISTRY_GONE:
            st = f->partition_aware ? TASK_GONE_BY_OPERATOR : TASK_LOST;
            break;
        case REGISTRY_UNKNOWN:
            break;
        }
    }
    task_send_update(m, f,
                     task_status_new(task_id, agent_id, NULL, st,
                                     "SOURCE_MASTER", "REASON_RECONCILIATION",
                                     "Reconciliation: task is unknown"));
}

static void
handle_reconcile(struct master *m, struct mframework *f, json_t *call)
{
    json_t *tasks =
        json_object_get(json_object_get(call, "reconcile"), "tasks");
    if (json_array_size(tasks) == 0) {
        for (struct mtask *t = f->tasks; t; t = t->fw_next)
            reconcile_one(m, f, t->task_id, t->agent_id);
        return;
    }
    size_t i;
    json_t *e;
    json_array_foreach(tasks, i, e)
    {
        const char *task_id = cr_json_id(e, "task_id");
        if (task_id)
            reconcile_one(m, f, task_id, cr_json_id(e, "agent_id"));
    }
}

static void
handle_shutdown(struct master *m, struct mframework *f, json_t *call)
{
    json_t *body = json_object_get(call, "shutdown");
    struct magent *a = agent_find(m, cr_json_id(body, "agent_id"));
    const char *exec = cr_json_id(body, "executor_id");
    if (a == NULL || exec == NULL)
        return;
    json_t *ev =
        json_pack("{s:s, s:{s:o, s:o}}", "type", "SHUTDOWN_EXECUTOR",
                  "shutdown_executor", "framework_id", cr_json_id_new(f->id),
                  "executor_id", cr_json_id_new(exec));
    agent_send(m, a, ev);
}

static void
handle_message(struct master *m, struct mframework *f, json_t *call)
{
    json_t *body = json_object_get(call, "message");
    struct magent *a = agent_find(m, cr_json_id(body, "agent_id"));
    const char *exec = cr_json_id(body, "executor_id");
    const char *data = cr_json_str(body, "data");
    if (a == NULL || exec == NULL || data == NULL)
        return;
    json_t *ev = json_pack("{s:s, s:{s:o, s:o, s:s}}", "type", "MESSAGE",
                           "message", "framework_id", cr_json_id_new(f->id),
                           "executor_id", cr_json_id_new(exec), "data", data);
    agent_send(m, a, ev);
}

/* UPDATE_FRAMEWORK may not change these (upstream answers 400). */
static const char *
check_immutable(const json_t *old, const json_t *neu)
{
    static const char *const fields[] = {"user", "principal"};
    for (size_t i = 0; i < 2; i++) {
        const char *a = cr_json_str(old, fields[i]);
        const char *b = cr_json_str(neu, fields[i]);
        if (strcmp(a ? a : "", b ? b : "") != 0)
            return i == 0 ? "Updating 'FrameworkInfo.user' is unsupported"
                          : "Updating 'FrameworkInfo.principal' is "
                            "unsupported";
    }
    if (cr_json_bool(old, "checkpoint", false) !=
        cr_json_bool(neu, "checkpoint", false))
        return "Updating 'FrameworkInfo.checkpoint' is unsupported";
    return NULL;
}

static void
handle_update_framework(struct master *m, struct mframework *f,
                        struct cr_http_req *req, json_t *call)
{
    char rolebuf[300];
    json_t *body = json_object_get(call, "update_framework");
    json_t *info = json_object_get(body, "framework_info");
    const char *why = validate_framework_info(info);
    if (why) {
        bad_request(req, "Failed to validate scheduler::Call: %s", why);
        return;
    }
    const char *id = cr_json_id(info, "id");
    if (id == NULL || strcmp(id, f->id) != 0) {
        cr_http_respond_text(req, 400,
                             "'framework_info.id' must match the "
                             "framework's id");
        return;
    }
    why = check_immutable(f->info, info);
    if (why == NULL)
        why = check_roles_of(m, info, rolebuf, sizeof(rolebuf));
    if (why) {
        bad_request(req, "Failed to validate scheduler::Call: %s", why);
        return;
    }
    json_decref(f->info);
    f->info = json_deep_copy(info);
    double fo = 0;
    cr_json_num(f->info, "failover_timeout", &fo);
    f->failover_timeout = fo;
    set_roles(f);
    size_t n;
    json_t *wrap = json_object();
    json_t *supp_json = json_object_get(body, "suppressed_roles");
    if (supp_json)
        json_object_set(wrap, "roles", supp_json);
    const char **supp = roles_of(wrap, &n);
    allocator_update_framework_roles(m->allocator, f->id,
                                     (const char *const *)f->roles, f->n_roles,
                                     supp, n);
    free(supp);
    json_decref(wrap);
    offers_rescind_for_framework(m, f->id);
    master_allocate_soon(m);
    operator_event_framework(m, f, OPERATOR_FW_UPDATED);
    cr_http_respond(req, 200, NULL, NULL, 0, NULL);
}

/* ---- dispatch ---------------------------------------------------------- */

static int
check_framework(struct master *m, struct cr_http_req *req, json_t *call,
                struct mframework **out)
{
    const char *fid = cr_json_id(call, "framework_id");
    if (fid == NULL) {
        cr_http_respond_text(req, 400,
                             "Failed to validate scheduler::Call: "
                             "Expecting 'framework_id' to be "
                             "present");
        return -1;
    }
    struct mframework *f = framework_find(m, fid);
    if (f == NULL) {
        cr_http_respond_text(req, 400, "Framework cannot be found");
        return -1;
    }
    if (f->state != FRAMEWORK_CONNECTED) {
        cr_http_respond_text(req, 403, "Framework is not subscribed");
        return -1;
    }
    const char *sid = cr_http_headers_get(&req->headers, "Mesos-Stream-Id");
    if (sid == NULL) {
        cr_http_respond_text(req, 400,
                             "All non-subscribe calls should "
                             "include the 'Mesos-Stream-Id' header");
        return -1;
    }
    if (strcmp(sid, f->stream_id) != 0) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "The stream ID '%.64s' included in this request didn't match "
                 "the stream ID currently associated with framework ID %.64s",
                 sid, f->id);
        cr_http_respond_text(req, 400, msg);
        return -1;
    }
    *out = f;
    return 0;
}

static void
dispatch(struct master *m, struct mframework *f, struct cr_http_req *req,
         const char *type, json_t *call)
{
    size_t n;
    const char **roles;
    if (strcmp(type, "TEARDOWN") == 0) {
        cr_http_respond(req, 202, NULL, NULL, 0, NULL);
        framework_remove(m, f, "TEARDOWN");
        return;
    }
    if (strcmp(type, "UPDATE_FRAMEWORK") == 0) {
        handle_update_framework(m, f, req, call);
        return;
    }
    static const char *const async_calls[] = {"ACCEPT",
                                              "DECLINE",
                                              "REVIVE",
                                              "KILL",
                                              "SHUTDOWN",
                                              "ACKNOWLEDGE",
                                              "RECONCILE",
                                              "MESSAGE",
                                              "REQUEST",
                                              "SUPPRESS",
                                              "ACCEPT_INVERSE_OFFERS",
                                              "DECLINE_INVERSE_OFFERS",
                                              "ACKNOWLEDGE_OPERATION_STATUS",
                                              "RECONCILE_OPERATIONS"};
    bool known = false;
    for (size_t i = 0; i < sizeof(async_calls) / sizeof(async_calls[0]); i++)
        known |= strcmp(type, async_calls[i]) == 0;
    if (!known) {
        cr_http_respond_text(req, 501, "Unsupported call type");
        return;
    }
    /* Answer first: what follows may write events on the framework's own
     * stream, and 202 only says the call was accepted. */
    cr_http_respond(req, 202, NULL, NULL, 0, NULL);
    if (strcmp(type, "ACCEPT") == 0)
        accept_handle(m, f, json_object_get(call, "accept"));
    else if (strcmp(type, "DECLINE") == 0)
        handle_decline(m, f, call);
    else if (strcmp(type, "REVIVE") == 0 || strcmp(type, "SUPPRESS") == 0) {
        bool revive = type[0] == 'R';
        roles =
            roles_of(json_object_get(call, revive ? "revive" : "suppress"), &n);
        if (revive)
            allocator_revive(m->allocator, f->id, roles, n);
        else
            allocator_suppress(m->allocator, f->id, roles, n);
        free(roles);
        if (revive)
            master_allocate_soon(m);
    } else if (strcmp(type, "KILL") == 0)
        handle_kill(m, f, call);
    else if (strcmp(type, "ACKNOWLEDGE") == 0)
        handle_acknowledge(m, f, call);
    else if (strcmp(type, "RECONCILE") == 0)
        handle_reconcile(m, f, call);
    else if (strcmp(type, "SHUTDOWN") == 0)
        handle_shutdown(m, f, call);
    else if (strcmp(type, "MESSAGE") == 0)
        handle_message(m, f, call);
}

void
scheduler_api_handle(struct master *m, struct cr_http_req *req)
{
    json_t *call;
    if (cr_api_parse_call(req, scheduler_call_validate, "scheduler::Call",
                          &call) != 0)
        return;
    const char *type = cr_json_str(call, "type");
    if (strcmp(type, "SUBSCRIBE") == 0) {
        if (cr_api_check_accept(req) == 0)
            handle_subscribe(m, req, call);
        json_decref(call);
        return;
    }
    struct mframework *f;
    if (check_framework(m, req, call, &f) == 0)
        dispatch(m, f, req, type, call);
    json_decref(call);
}
