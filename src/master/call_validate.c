/* SPDX-License-Identifier: Apache-2.0
 *
 * call_validate.c: structural validation of v1 scheduler calls and of the
 * agent protocol's calls, before any of them touches master state.
 *
 * Upstream answers a call whose required fields are missing or of the
 * wrong type with 400 "Failed to validate scheduler::Call: ...". Doing all
 * of that here keeps the handlers free of type checks: after validation a
 * handler may assume every required field is present with the right JSON
 * type. Pure functions, no I/O (a fuzz target drives them).
 */
#include "call_validate.h"

#include "base/id.h"
#include "base/json.h"

#include <stdio.h>
#include <string.h>

#define FAIL(...)                                                              \
    do {                                                                       \
        snprintf(err, errlen, __VA_ARGS__);                                    \
        return -1;                                                             \
    } while (0)

/* Is v an id object {"value": "<non-empty string>"}? */
static bool
is_id(const json_t *v)
{
    const char *s = json_is_object(v) ? cr_json_str(v, "value") : NULL;
    return s != NULL && *s != '\0' && strlen(s) <= CR_MAX_ID_LEN;
}

static bool
is_id_array(const json_t *v)
{
    size_t i;
    json_t *e;
    if (!json_is_array(v))
        return false;
    json_array_foreach(v, i, e)
    {
        if (!is_id(e))
            return false;
    }
    return true;
}

static bool
is_string_array(const json_t *v)
{
    size_t i;
    json_t *e;
    if (v == NULL)
        return true;
    if (!json_is_array(v))
        return false;
    json_array_foreach(v, i, e)
    {
        if (!json_is_string(e))
            return false;
    }
    return true;
}

/* A TaskStatus uuid: base64 of exactly 16 bytes. */
static bool
is_uuid(const json_t *v)
{
    uint8_t raw[64];
    size_t n;
    const char *s = json_string_value(v);
    return s && strlen(s) <= 64 && cr_base64_decode(s, raw, &n) == 0 && n == 16;
}

static int
check_task_infos(const json_t *infos, const char *where, char *err,
                 size_t errlen)
{
    size_t i;
    json_t *t;
    if (!json_is_array(infos))
        FAIL("Expecting '%s' to be an array", where);
    json_array_foreach(infos, i, t)
    {
        if (!json_is_object(t) || !is_id(json_object_get(t, "task_id")) ||
            !is_id(json_object_get(t, "agent_id")) ||
            !json_is_string(json_object_get(t, "name")))
            FAIL("Missing required fields in %s[%zu]: name, task_id, "
                 "agent_id",
                 where, i);
        json_t *res = json_object_get(t, "resources");
        if (res && !json_is_array(res))
            FAIL("Expecting %s[%zu].resources to be an array", where, i);
    }
    return 0;
}

static int
check_operations(const json_t *ops, char *err, size_t errlen)
{
    size_t i;
    json_t *op;
    if (ops == NULL)
        return 0;
    if (!json_is_array(ops))
        FAIL("Expecting 'accept.operations' to be an array");
    json_array_foreach(ops, i, op)
    {
        const char *type = cr_json_str(op, "type");
        if (type == NULL)
            FAIL("Expecting 'accept.operations[%zu].type' to be present", i);
        if (strcmp(type, "LAUNCH") == 0) {
            json_t *l = json_object_get(op, "launch");
            if (!json_is_object(l))
                FAIL("Expecting 'launch' in a LAUNCH operation");
            if (check_task_infos(json_object_get(l, "task_infos"),
                                 "launch.task_infos", err, errlen))
                return -1;
        } else if (strcmp(type, "LAUNCH_GROUP") == 0) {
            json_t *lg = json_object_get(op, "launch_group");
            json_t *ex = json_object_get(lg, "executor");
            if (!json_is_object(lg) || !json_is_object(ex) ||
                !is_id(json_object_get(ex, "executor_id")))
                FAIL("Expecting 'launch_group.executor.executor_id'");
            json_t *tg = json_object_get(lg, "task_group");
            if (check_task_infos(json_object_get(tg, "tasks"),
                                 "launch_group.task_group.tasks", err, errlen))
                return -1;
        }
    }
    return 0;
}

static int
check_body(const json_t *call, const char *field, json_t **out, char *err,
           size_t errlen)
{
    json_t *b = json_object_get(call, field);
    if (!json_is_object(b))
        FAIL("Expecting '%s' to be present", field);
    *out = b;
    return 0;
}

static int
check_scheduler_body(const char *type, const json_t *call, char *err,
                     size_t errlen)
{
    json_t *b;
    if (strcmp(type, "SUBSCRIBE") == 0)
        return check_body(call, "subscribe", &b, err, errlen);
    if (strcmp(type, "ACCEPT") == 0) {
        if (check_body(call, "accept", &b, err, errlen))
            return -1;
        if (!is_id_array(json_object_get(b, "offer_ids")))
            FAIL("Expecting 'accept.offer_ids' to be an array of ids");
        return check_operations(json_object_get(b, "operations"), err, errlen);
    }
    if (strcmp(type, "DECLINE") == 0) {
        if (check_body(call, "decline", &b, err, errlen))
            return -1;
        if (!is_id_array(json_object_get(b, "offer_ids")))
            FAIL("Expecting 'decline.offer_ids' to be an array of ids");
        return 0;
    }
    if (strcmp(type, "KILL") == 0) {
        if (check_body(call, "kill", &b, err, errlen))
            return -1;
        if (!is_id(json_object_get(b, "task_id")))
            FAIL("Expecting 'kill.task_id' to be present");
        return 0;
    }
    if (strcmp(type, "SHUTDOWN") == 0) {
        if (check_body(call, "shutdown", &b, err, errlen))
            return -1;
        if (!is_id(json_object_get(b, "executor_id")) ||
            !is_id(json_object_get(b, "agent_id")))
            FAIL("Expecting 'shutdown.executor_id' and 'shutdown.agent_id'");
        return 0;
    }
    if (strcmp(type, "ACKNOWLEDGE") == 0) {
        if (check_body(call, "acknowledge", &b, err, errlen))
            return -1;
        if (!is_id(json_object_get(b, "agent_id")) ||
            !is_id(json_object_get(b, "task_id")))
            FAIL("Expecting 'acknowledge.agent_id' and "
                 "'acknowledge.task_id'");
        if (!is_uuid(json_object_get(b, "uuid")))
            FAIL("Expecting 'acknowledge.uuid' to be a base64 UUID");
        return 0;
    }
    if (strcmp(type, "RECONCILE") == 0) {
        json_t *tasks =
            json_object_get(json_object_get(call, "reconcile"), "tasks");
        size_t i;
        json_t *t;
        if (tasks && !json_is_array(tasks))
            FAIL("Expecting 'reconcile.tasks' to be an array");
        json_array_foreach(tasks, i, t)
        {
            if (!is_id(json_object_get(t, "task_id")))
                FAIL("Expecting 'reconcile.tasks[%zu].task_id'", i);
        }
        return 0;
    }
    if (strcmp(type, "MESSAGE") == 0) {
        if (check_body(call, "message", &b, err, errlen))
            return -1;
        if (!is_id(json_object_get(b, "agent_id")) ||
            !is_id(json_object_get(b, "executor_id")) ||
            !json_is_string(json_object_get(b, "data")))
            FAIL("Expecting 'message.agent_id', 'message.executor_id' and "
                 "'message.data'");
        return 0;
    }
    if (strcmp(type, "REVIVE") == 0 || strcmp(type, "SUPPRESS") == 0) {
        const char *field = type[0] == 'R' ? "revive" : "suppress";
        if (!is_string_array(
                json_object_get(json_object_get(call, field), "roles")))
            FAIL("Expecting '%s.roles' to be an array of strings", field);
        return 0;
    }
    if (strcmp(type, "UPDATE_FRAMEWORK") == 0)
        return check_body(call, "update_framework", &b, err, errlen);
    return 0;
}

int
scheduler_call_validate(const json_t *call, char *err, size_t errlen)
{
    if (!json_is_object(call))
        FAIL("Expecting a JSON object");
    const char *type = cr_json_str(call, "type");
    if (type == NULL)
        FAIL("Expecting 'type' to be present");
    json_t *fid = json_object_get(call, "framework_id");
    if (fid && !is_id(fid))
        FAIL("Expecting 'framework_id' to be an id object");
    return check_scheduler_body(type, call, err, errlen);
}

int
agent_call_validate(const json_t *call, char *err, size_t errlen)
{
    json_t *b;
    if (!json_is_object(call))
        FAIL("Expecting a JSON object");
    const char *type = cr_json_str(call, "type");
    if (type == NULL)
        FAIL("Expecting 'type' to be present");
    if (strcmp(type, "SUBSCRIBE") == 0) {
        if (check_body(call, "subscribe", &b, err, errlen))
            return -1;
        json_t *info = json_object_get(b, "agent_info");
        if (!json_is_object(info))
            FAIL("Expecting 'subscribe.agent_info'");
        json_t *id = json_object_get(info, "id");
        if (id && !is_id(id))
            FAIL("Expecting 'agent_info.id' to be an id object");
        static const char *const lists[] = {"frameworks", "executors", "tasks"};
        for (size_t i = 0; i < 3; i++) {
            json_t *l = json_object_get(b, lists[i]);
            if (l && !json_is_array(l))
                FAIL("Expecting 'subscribe.%s' to be an array", lists[i]);
        }
        return 0;
    }
    if (!is_id(json_object_get(call, "agent_id")))
        FAIL("Expecting 'agent_id' to be present");
    if (strcmp(type, "UPDATE") == 0) {
        if (check_body(call, "update", &b, err, errlen))
            return -1;
        json_t *st = json_object_get(b, "status");
        if (!is_id(json_object_get(b, "framework_id")) || !json_is_object(st) ||
            !is_id(json_object_get(st, "task_id")) ||
            !json_is_string(json_object_get(st, "state")) ||
            !is_uuid(json_object_get(st, "uuid")))
            FAIL("Expecting 'update.framework_id' and 'update.status' with "
                 "task_id, state and uuid");
        return 0;
    }
    if (strcmp(type, "EXECUTOR_EXITED") == 0) {
        if (check_body(call, "executor_exited", &b, err, errlen))
            return -1;
        if (!is_id(json_object_get(b, "framework_id")) ||
            !is_id(json_object_get(b, "executor_id")))
            FAIL("Expecting 'executor_exited.framework_id' and "
                 "'executor_exited.executor_id'");
        return 0;
    }
    if (strcmp(type, "MESSAGE") == 0) {
        if (check_body(call, "message", &b, err, errlen))
            return -1;
        if (!is_id(json_object_get(b, "framework_id")) ||
            !is_id(json_object_get(b, "executor_id")) ||
            !json_is_string(json_object_get(b, "data")))
            FAIL("Expecting 'message.framework_id', 'message.executor_id' "
                 "and 'message.data'");
        return 0;
    }
    if (strcmp(type, "HEARTBEAT") == 0)
        return 0;
    FAIL("Unknown call type '%.64s'", type);
}
