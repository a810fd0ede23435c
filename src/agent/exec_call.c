/* SPDX-License-Identifier: Apache-2.0
 *
 * exec_call.c: see exec_call.h.
 */
#include "exec_call.h"

#include "base/id.h"
#include "base/json.h"
#include "base/mem.h"
#include "task_state.h"
#include "updates_file.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
exec_call_check_status(const json_t *status, const char *exec_id, char *err,
                       size_t errlen)
{
    if (updates_check_status(status, err, errlen) != 0)
        return 400;
    const char *source = cr_json_str(status, "source");
    if (source == NULL || strcmp(source, "SOURCE_EXECUTOR") != 0) {
        snprintf(err, errlen,
                 "Received Call from executor with invalid "
                 "source: expected SOURCE_EXECUTOR");
        return 400;
    }
    if (task_state_parse(cr_json_str(status, "state")) == TS_STAGING) {
        snprintf(err, errlen, "Received TASK_STAGING from executor");
        return 400;
    }
    json_t *eid = json_object_get(status, "executor_id");
    if (eid != NULL) {
        const char *v = cr_json_str(eid, "value");
        if (v == NULL || exec_id == NULL || strcmp(v, exec_id) != 0) {
            snprintf(err, errlen,
                     "ExecutorID in Call does not match "
                     "ExecutorID in TaskStatus");
            return 400;
        }
    }
    return 0;
}

static int
check_subscribe(struct exec_call *c, char *err, size_t errlen)
{
    json_t *s = json_object_get(c->root, "subscribe");
    if (s == NULL)
        return 0;
    if (!json_is_object(s)) {
        snprintf(err, errlen, "Expecting 'subscribe' to be an object");
        return 400;
    }
    json_t *tasks = json_object_get(s, "unacknowledged_tasks");
    json_t *upds = json_object_get(s, "unacknowledged_updates");
    if ((tasks && !json_is_array(tasks)) || (upds && !json_is_array(upds)) ||
        json_array_size(tasks) > EXEC_CALL_MAX_UNACKED ||
        json_array_size(upds) > EXEC_CALL_MAX_UNACKED) {
        snprintf(err, errlen, "Bad unacknowledged tasks or updates");
        return 400;
    }
    size_t i;
    json_t *v;
    json_array_foreach(tasks, i, v)
    {
        const char *tid = cr_json_id(v, "task_id");
        if (tid == NULL || tid[0] == '\0') {
            snprintf(err, errlen, "Unacknowledged task without task_id");
            return 400;
        }
    }
    json_array_foreach(upds, i, v)
    {
        int rc = exec_call_check_status(json_object_get(v, "status"),
                                        c->exec_id, err, errlen);
        if (rc != 0)
            return rc;
    }
    c->unacked_tasks = tasks;
    c->unacked_updates = upds;
    return 0;
}

static int
check_message(struct exec_call *c, char *err, size_t errlen)
{
    json_t *m = json_object_get(c->root, "message");
    const char *data = cr_json_str(m, "data");
    if (data == NULL) {
        snprintf(err, errlen, "Expecting 'message' with 'data'");
        return 400;
    }
    size_t n = strlen(data);
    if (n % 4 != 0) {
        snprintf(err, errlen, "'message.data' is not base64");
        return 400;
    }
    uint8_t *tmp = cr_xmalloc(n / 4 * 3 + 3);
    size_t out = 0;
    int rc = cr_base64_decode(data, tmp, &out);
    free(tmp);
    if (rc != 0) {
        snprintf(err, errlen, "'message.data' is not base64");
        return 400;
    }
    c->data = data;
    return 0;
}

static int
decode_type(const char *type, enum exec_call_type *out)
{
    static const struct {
        const char *name;
        enum exec_call_type type;
    } types[] = {
        {"SUBSCRIBE", EXEC_CALL_SUBSCRIBE},
        {"UPDATE", EXEC_CALL_UPDATE},
        {"MESSAGE", EXEC_CALL_MESSAGE},
        {"HEARTBEAT", EXEC_CALL_HEARTBEAT},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(type, types[i].name) == 0) {
            *out = types[i].type;
            return 0;
        }
    }
    return -1;
}

int
exec_call_decode(const char *body, size_t len, struct exec_call *out, char *err,
                 size_t errlen)
{
    memset(out, 0, sizeof(*out));
    char jerr[160];
    json_t *root = cr_json_parse(body, len, jerr, sizeof(jerr));
    if (root == NULL) {
        snprintf(err, errlen, "Failed to parse body into Call: %s", jerr);
        return 400;
    }
    out->root = root;
    const char *type = cr_json_str(root, "type");
    if (!json_is_object(root) || type == NULL) {
        snprintf(err, errlen, "Expecting 'type' to be present");
        goto fail400;
    }
    if (decode_type(type, &out->type) != 0) {
        snprintf(err, errlen, "Unknown call type '%.40s'", type);
        exec_call_fini(out);
        return 501;
    }
    out->fw_id = cr_json_id(root, "framework_id");
    out->exec_id = cr_json_id(root, "executor_id");
    if (out->type == EXEC_CALL_HEARTBEAT)
        return 0;
    if (out->fw_id == NULL || out->fw_id[0] == '\0' || out->exec_id == NULL ||
        out->exec_id[0] == '\0') {
        snprintf(err, errlen,
                 "Expecting 'framework_id' and 'executor_id' to be present");
        goto fail400;
    }
    int rc = 0;
    switch (out->type) {
    case EXEC_CALL_SUBSCRIBE:
        rc = check_subscribe(out, err, errlen);
        break;
    case EXEC_CALL_UPDATE:
        out->status =
            json_object_get(json_object_get(root, "update"), "status");
        if (out->status == NULL) {
            snprintf(err, errlen, "Expecting 'update.status' to be present");
            rc = 400;
        } else {
            rc = exec_call_check_status(out->status, out->exec_id, err, errlen);
        }
        break;
    case EXEC_CALL_MESSAGE:
        rc = check_message(out, err, errlen);
        break;
    case EXEC_CALL_HEARTBEAT:
        break;
    }
    if (rc == 0)
        return 0;
    exec_call_fini(out);
    return rc;
fail400:
    exec_call_fini(out);
    return 400;
}

void
exec_call_fini(struct exec_call *c)
{
    json_decref(c->root);
    memset(c, 0, sizeof(*c));
}
