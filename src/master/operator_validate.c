/* SPDX-License-Identifier: Apache-2.0
 *
 * operator_validate.c: structural validation of a v1 master Call
 * (mesos.v1.master.Call) before operator_api.c dispatches it.
 *
 * Pure: no master state, borrowed arguments, bounded work (only the few
 * fields the implemented calls read are looked at). Unknown call types
 * pass, so that the dispatcher answers them 501 as upstream does for
 * UNKNOWN.
 */
#include "base/errf.h"
#include "call_validate.h"
#include "operator_api.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define UINT32_LIMIT 4294967295.0

/* A DurationInfo: {"nanoseconds": integer}. */
static int
check_duration(const json_t *d, const char *what, char *err, size_t errlen)
{
    json_t *ns = json_object_get(d, "nanoseconds");
    if (!json_is_object(d) || ns == NULL)
        return cr_errf(err, errlen, -1,
                       "Missing required fields: %s.nanoseconds", what);
    if (!json_is_number(ns) || !isfinite(json_number_value(ns)))
        return cr_errf(err, errlen, -1, "'%s.nanoseconds' must be a number",
                       what);
    return 0;
}

static int
check_set_logging_level(const json_t *call, char *err, size_t errlen)
{
    json_t *body = json_object_get(call, "set_logging_level");
    if (!json_is_object(body))
        return cr_errf(err, errlen, -1,
                       "Expecting 'set_logging_level' to be present");
    json_t *level = json_object_get(body, "level");
    if (level == NULL)
        return cr_errf(err, errlen, -1,
                       "Missing required fields: set_logging_level.level");
    double v = json_number_value(level);
    if (!json_is_number(level) || !(v >= 0 && v <= UINT32_LIMIT) ||
        v != floor(v))
        return cr_errf(err, errlen, -1,
                       "'set_logging_level.level' must be an unsigned integer");
    return check_duration(json_object_get(body, "duration"),
                          "set_logging_level.duration", err, errlen);
}

static int
check_teardown(const json_t *call, char *err, size_t errlen)
{
    json_t *body = json_object_get(call, "teardown");
    if (!json_is_object(body))
        return cr_errf(err, errlen, -1, "Expecting 'teardown' to be present");
    json_t *id =
        json_object_get(json_object_get(body, "framework_id"), "value");
    if (!json_is_string(id))
        return cr_errf(err, errlen, -1,
                       "Missing required fields: teardown.framework_id.value");
    size_t n = json_string_length(id);
    if (n == 0 || n > CR_MAX_ID_LEN)
        return cr_errf(err, errlen, -1,
                       "'teardown.framework_id' must be 1 to %d "
                       "characters",
                       CR_MAX_ID_LEN);
    return 0;
}

static int
check_get_metrics(const json_t *call, char *err, size_t errlen)
{
    json_t *body = json_object_get(call, "get_metrics");
    if (body == NULL)
        return 0;
    if (!json_is_object(body))
        return cr_errf(err, errlen, -1, "'get_metrics' must be an object");
    json_t *timeout = json_object_get(body, "timeout");
    if (timeout == NULL)
        return 0;
    return check_duration(timeout, "get_metrics.timeout", err, errlen);
}

int
operator_call_validate(const json_t *call, char *err, size_t errlen)
{
    if (!json_is_object(call))
        return cr_errf(err, errlen, -1, "Expecting a JSON object");
    json_t *type = json_object_get(call, "type");
    if (type == NULL)
        return cr_errf(err, errlen, -1, "Expecting 'type' to be present");
    if (!json_is_string(type) || json_string_length(type) == 0 ||
        json_string_length(type) > 64)
        return cr_errf(err, errlen, -1, "'type' must be a call type name");
    const char *t = json_string_value(type);
    if (strcmp(t, "SET_LOGGING_LEVEL") == 0)
        return check_set_logging_level(call, err, errlen);
    if (strcmp(t, "TEARDOWN") == 0)
        return check_teardown(call, err, errlen);
    if (strcmp(t, "GET_METRICS") == 0)
        return check_get_metrics(call, err, errlen);
    return 0;
}
