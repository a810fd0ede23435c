/* SPDX-License-Identifier: Apache-2.0
 *
 * operator_call.h: decoding and validating mesos.v1.agent.Call (JSON), the
 * body of POST /api/v1 on the agent (reference §3.3).
 *
 * Rules, in upstream's order: the body is a JSON object; "type" is present
 * and a string naming a call of the agent API (a name the API does not
 * have is 400, naming it: upstream drops unknown enum names and then
 * misses 'type'); the calls that carry a body carry it as an object
 * (GET_METRICS's is optional, its timeout a DurationInfo;
 * SET_LOGGING_LEVEL's level an unsigned integer and duration a
 * DurationInfo). Calls the agent API has but Corral does not implement,
 * and UNKNOWN itself, decode to 501 after the same checks.
 *
 * JSON null means "not set" (mesos-go sends unset message fields as null).
 * Pure: no I/O, bounded work, fuzzed by fuzz_agent_call.
 */
#ifndef CR_AGENT_OPERATOR_CALL_H
#define CR_AGENT_OPERATOR_CALL_H

#include <jansson.h>
#include <stddef.h>

enum agent_call_type {
    AGENT_CALL_GET_HEALTH,
    AGENT_CALL_GET_FLAGS,
    AGENT_CALL_GET_VERSION,
    AGENT_CALL_GET_METRICS,
    AGENT_CALL_GET_LOGGING_LEVEL,
    AGENT_CALL_SET_LOGGING_LEVEL,
    AGENT_CALL_GET_STATE,
    AGENT_CALL_GET_CONTAINERS,
    AGENT_CALL_GET_FRAMEWORKS,
    AGENT_CALL_GET_EXECUTORS,
    AGENT_CALL_GET_TASKS,
    AGENT_CALL_GET_AGENT,
    AGENT_CALL_NOT_IMPLEMENTED, /* known to the API, answered 501 */
};

struct agent_call {
    enum agent_call_type type;
    const char *name; /* the type's name (static storage) */
    json_t *root;     /* the whole call, owned */
    /* SET_LOGGING_LEVEL */
    unsigned level;
    double duration_secs;
};

/* Decode body. Returns 0 (an implemented call), 501 (a call of the API
 * Corral does not implement, or UNKNOWN; out is filled and must be
 * finished) or 400 (with a one-line reason in err; nothing to finish). */
int agent_call_decode(const char *body, size_t len, struct agent_call *out,
                      char *err, size_t errlen);
void agent_call_fini(struct agent_call *c);

/* The calls of mesos.v1.agent.Call that decode to 501, for docs and the
 * error message: a static NULL-terminated list. */
const char *const *agent_call_unimplemented(void);

#endif
