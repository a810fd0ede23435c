/* SPDX-License-Identifier: Apache-2.0
 *
 * operator_call.c: see operator_call.h.
 */
#include "operator_call.h"

#include "base/errf.h"
#include "base/json.h"
#include "net/api.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define TYPE_MAX_LEN 64
#define UINT32_LIMIT 4294967295.0

/* Every type of mesos.v1.agent.Call (upstream 1.12): its decoding, and
 * whether it must carry its body object (named as the lowercase type). */
static const struct {
    const char *name;
    enum agent_call_type type;
    bool body_required;
} kinds[] = {
    {"GET_HEALTH", AGENT_CALL_GET_HEALTH, false},
    {"GET_FLAGS", AGENT_CALL_GET_FLAGS, false},
    {"GET_VERSION", AGENT_CALL_GET_VERSION, false},
    {"GET_METRICS", AGENT_CALL_GET_METRICS, false},
    {"GET_LOGGING_LEVEL", AGENT_CALL_GET_LOGGING_LEVEL, false},
    {"SET_LOGGING_LEVEL", AGENT_CALL_SET_LOGGING_LEVEL, true},
    {"GET_STATE", AGENT_CALL_GET_STATE, false},
    {"GET_CONTAINERS", AGENT_CALL_GET_CONTAINERS, false},
    {"GET_FRAMEWORKS", AGENT_CALL_GET_FRAMEWORKS, false},
    {"GET_EXECUTORS", AGENT_CALL_GET_EXECUTORS, false},
    {"GET_TASKS", AGENT_CALL_GET_TASKS, false},
    {"GET_AGENT", AGENT_CALL_GET_AGENT, false},
    /* Known to the API, not implemented (501). */
    {"UNKNOWN", AGENT_CALL_NOT_IMPLEMENTED, false},
    {"LIST_FILES", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"READ_FILE", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"GET_OPERATIONS", AGENT_CALL_NOT_IMPLEMENTED, false},
    {"GET_RESOURCE_PROVIDERS", AGENT_CALL_NOT_IMPLEMENTED, false},
    {"LAUNCH_NESTED_CONTAINER", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"WAIT_NESTED_CONTAINER", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"KILL_NESTED_CONTAINER", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"REMOVE_NESTED_CONTAINER", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"LAUNCH_NESTED_CONTAINER_SESSION", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"ATTACH_CONTAINER_INPUT", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"ATTACH_CONTAINER_OUTPUT", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"LAUNCH_CONTAINER", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"WAIT_CONTAINER", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"KILL_CONTAINER", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"REMOVE_CONTAINER", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"ADD_RESOURCE_PROVIDER_CONFIG", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"UPDATE_RESOURCE_PROVIDER_CONFIG", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"REMOVE_RESOURCE_PROVIDER_CONFIG", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"MARK_RESOURCE_PROVIDER_GONE", AGENT_CALL_NOT_IMPLEMENTED, true},
    {"PRUNE_IMAGES", AGENT_CALL_NOT_IMPLEMENTED, false},
};

#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char *const unimplemented[] = {
    "LIST_FILES",
    "READ_FILE",
    "GET_OPERATIONS",
    "GET_RESOURCE_PROVIDERS",
    "LAUNCH_NESTED_CONTAINER",
    "WAIT_NESTED_CONTAINER",
    "KILL_NESTED_CONTAINER",
    "REMOVE_NESTED_CONTAINER",
    "LAUNCH_NESTED_CONTAINER_SESSION",
    "ATTACH_CONTAINER_INPUT",
    "ATTACH_CONTAINER_OUTPUT",
    "LAUNCH_CONTAINER",
    "WAIT_CONTAINER",
    "KILL_CONTAINER",
    "REMOVE_CONTAINER",
    "ADD_RESOURCE_PROVIDER_CONFIG",
    "UPDATE_RESOURCE_PROVIDER_CONFIG",
    "REMOVE_RESOURCE_PROVIDER_CONFIG",
    "MARK_RESOURCE_PROVIDER_GONE",
    "PRUNE_IMAGES",
    NULL,
};

const char *const *
agent_call_unimplemented(void)
{
    return unimplemented;
}

/* obj[key], with JSON null read as absent. */
static json_t *
field(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

/* A DurationInfo {"nanoseconds": integer} into *secs. */
static int
check_duration(const json_t *d, const char *what, double *secs, char *err,
               size_t errlen)
{
    json_t *ns = field(d, "nanoseconds");
    if (!json_is_object(d) || ns == NULL)
        return cr_errf(err, errlen, 400,
                       "Missing required fields: %s.nanoseconds", what);
    double v = json_number_value(ns);
    if (!json_is_number(ns) || !isfinite(v) || v != floor(v))
        return cr_errf(err, errlen, 400, "'%s.nanoseconds' must be an integer",
                       what);
    if (secs)
        *secs = v / 1e9;
    return 0;
}

static int
check_get_metrics(const json_t *body, char *err, size_t errlen)
{
    if (body == NULL)
        return 0;
    json_t *timeout = field(body, "timeout");
    if (timeout == NULL)
        return 0;
    return check_duration(timeout, "get_metrics.timeout", NULL, err, errlen);
}

static int
check_set_logging_level(const json_t *body, struct agent_call *c, char *err,
                        size_t errlen)
{
    json_t *level = field(body, "level");
    if (level == NULL)
        return cr_errf(err, errlen, 400,
                       "Missing required fields: set_logging_level.level");
    double v = json_number_value(level);
    if (!json_is_number(level) || !(v >= 0 && v <= UINT32_LIMIT) ||
        v != floor(v))
        return cr_errf(err, errlen, 400,
                       "'set_logging_level.level' must be an unsigned integer");
    c->level = (unsigned)v;
    return check_duration(field(body, "duration"), "set_logging_level.duration",
                          &c->duration_secs, err, errlen);
}

/* The checks that depend on the type; c->type and c->name are set. */
static int
check_kind(size_t k, struct agent_call *c, char *err, size_t errlen)
{
    char key[TYPE_MAX_LEN + 1];
    cr_api_type_field(c->name, key, sizeof(key)); /* the body object */
    json_t *body = field(c->root, key);
    if (body != NULL && !json_is_object(body))
        return cr_errf(err, errlen, 400, "Expecting '%s' to be an object", key);
    if (body == NULL && kinds[k].body_required)
        return cr_errf(err, errlen, 400, "Expecting '%s' to be present", key);
    if (c->type == AGENT_CALL_GET_METRICS)
        return check_get_metrics(body, err, errlen);
    if (c->type == AGENT_CALL_SET_LOGGING_LEVEL)
        return check_set_logging_level(body, c, err, errlen);
    return 0;
}

static int
decode_root(struct agent_call *c, char *err, size_t errlen)
{
    if (!json_is_object(c->root))
        return cr_errf(err, errlen, 400, "Expecting a JSON object");
    json_t *type = field(c->root, "type");
    if (type == NULL)
        return cr_errf(err, errlen, 400, "Expecting 'type' to be present");
    if (!json_is_string(type))
        return cr_errf(err, errlen, 400, "Expecting 'type' to be a string");
    const char *t = json_string_value(type);
    size_t n = json_string_length(type);
    if (n == 0 || n > TYPE_MAX_LEN || strlen(t) != n)
        return cr_errf(err, errlen, 400, "Expecting 'type' to name a call");
    for (size_t k = 0; k < N_KINDS; k++) {
        if (strcmp(t, kinds[k].name) != 0)
            continue;
        c->type = kinds[k].type;
        c->name = kinds[k].name;
        int rc = check_kind(k, c, err, errlen);
        if (rc != 0)
            return rc;
        if (c->type == AGENT_CALL_NOT_IMPLEMENTED) {
            snprintf(err, errlen, "Call type %s is not implemented", t);
            return 501;
        }
        return 0;
    }
    return cr_errf(err, errlen, 400, "Unknown call type '%s'", t);
}

int
agent_call_decode(const char *body, size_t len, struct agent_call *out,
                  char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (len > CR_JSON_MAX_BODY)
        return cr_errf(err, errlen, 400, "Request body too large");
    char perr[200];
    out->root = cr_json_parse(body, len, perr, sizeof(perr));
    if (out->root == NULL)
        return cr_errf(err, errlen, 400, "Failed to parse body into Call: %s",
                       perr);
    int rc = decode_root(out, err, errlen);
    if (rc == 400)
        agent_call_fini(out);
    return rc;
}

void
agent_call_fini(struct agent_call *c)
{
    json_decref(c->root);
    c->root = NULL;
}
