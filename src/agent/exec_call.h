/* SPDX-License-Identifier: Apache-2.0
 *
 * exec_call.h: decoding and validating mesos.v1.executor.Call (JSON).
 *
 * Rules (Mesos executor API, reference §2.1): every call names
 * framework_id and executor_id; UPDATE carries a status whose uuid
 * decodes to 16 bytes, whose source is SOURCE_EXECUTOR, whose state is
 * known and not TASK_STAGING, and whose executor_id (if set) matches the
 * call's; MESSAGE carries base64 data; SUBSCRIBE may carry
 * unacknowledged_tasks (TaskInfo with task_id) and unacknowledged_updates
 * ({status}). Pure: no I/O, fuzzed by fuzz_executor_call.
 */
#ifndef CR_AGENT_EXEC_CALL_H
#define CR_AGENT_EXEC_CALL_H

#include <jansson.h>
#include <stddef.h>

#define EXEC_CALL_MAX_UNACKED 10000

enum exec_call_type {
    EXEC_CALL_SUBSCRIBE,
    EXEC_CALL_UPDATE,
    EXEC_CALL_MESSAGE,
    EXEC_CALL_HEARTBEAT,
};

struct exec_call {
    enum exec_call_type type;
    json_t *root;            /* owned */
    const char *fw_id;       /* borrowed from root */
    const char *exec_id;     /* borrowed from root */
    json_t *status;          /* UPDATE */
    const char *data;        /* MESSAGE, base64 */
    json_t *unacked_tasks;   /* SUBSCRIBE, array or NULL */
    json_t *unacked_updates; /* SUBSCRIBE, array or NULL */
};

/* Decode body. Returns 0, or an HTTP status (400 bad call, 501 unknown
 * type) with a one-line reason in err. On success the caller must call
 * exec_call_fini. */
int exec_call_decode(const char *body, size_t len, struct exec_call *out,
                     char *err, size_t errlen);
void exec_call_fini(struct exec_call *c);
/* Validate one status the way UPDATE does (also used for the updates a
 * resubscribing executor resends). 0 or 400 with err. */
int exec_call_check_status(const json_t *status, const char *exec_id, char *err,
                           size_t errlen);

#endif
