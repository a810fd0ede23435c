/* SPDX-License-Identifier: Apache-2.0
 *
 * webui_view.h: the pure parts of corral-dispatcher's web UI (no I/O):
 * a driver as the JSON API shows it, the redaction of secrets, the
 * parameters of GET /api/driver and GET /api/driver/log, and the request
 * the log proxy sends to the master's /files/read.
 *
 * A driver's view (disp_view_driver):
 *   {"id", "state": "QUEUED|LAUNCHED|RETRYING|FINISHED",
 *    "driverState": "QUEUED|RUNNING|RETRYING|FINISHED" (Spark's words),
 *    "name", "mainClass", "appResource", "queue", "priority", "cores",
 *    "memoryMb", "supervise", "submitted" (wall secs), "retries",
 *    "killed", "taskId", "agentId", "agentHost" (null when unknown),
 *    "lastStatus": {"state", "message", "reason", "source", "timestamp",
 *    "healthy"} or null, "retryWait" and "nextRetry" (RETRYING),
 *    "finished" (FINISHED), "history" (DISP_VIEW_HISTORY: history.h),
 *    and with DISP_VIEW_DETAIL "appArgs", "sparkProperties" and
 *    "environmentVariables" with secrets redacted.}
 *
 * Redaction follows Spark's default spark.redaction.regex,
 * "(?i)secret|password|token|access[.]key": a property or variable whose
 * name matches shows DISP_VIEW_REDACTED instead of its value.
 *
 * Strings returned as char * are owned by the caller; json_t results are
 * new references. Threading: none.
 */
#ifndef CR_DISPATCHER_WEBUI_VIEW_H
#define CR_DISPATCHER_WEBUI_VIEW_H

#include "record.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define DISP_VIEW_HISTORY  1u
#define DISP_VIEW_DETAIL   2u
#define DISP_VIEW_REDACTED "*********(redacted)"

/* Bytes of a driver's log read per request (the master relays up to
 * 1 MiB, a Corral agent reads 64 KiB at most). */
#define DISP_LOG_MAX_READ (64 * 1024)

json_t *disp_view_driver(const struct disp_driver *drv, unsigned flags);
/* Spark's names for the states: QUEUED, RUNNING, RETRYING, FINISHED. */
const char *disp_view_spark_state(enum disp_drv_state st);
/* Whether a property or variable name holds a secret (see above). */
bool disp_view_secret(const char *name);

/* GET /api/driver?id=ID and /api/driver/log: the id. 0 with out filled
 * (DISP_MAX_ID bytes); CR_EINVAL_INPUT (missing or not a submission id)
 * with a one-line reason in err. */
int disp_view_query_id(const char *query, char *out, size_t n, char *err,
                       size_t errlen);

/* GET /api/driver/log?id=ID&file=stdout|stderr&offset=N&length=N. */
struct disp_log_query {
    char id[DISP_MAX_ID];
    const char *file; /* "stdout" (default) or "stderr"; static */
    long long offset; /* >= -1; default 0; -1: the size only */
    long long length; /* 0..DISP_LOG_MAX_READ; default the maximum */
};

/* Parse and check the query string (may be NULL). 0, or CR_EINVAL_INPUT
 * with a one-line reason in err. A length over DISP_LOG_MAX_READ (or -1)
 * is clamped to it. */
int disp_log_query_parse(const char *query, struct disp_log_query *q, char *err,
                         size_t errlen);
/* The sandbox of a command task on its agent (the agent's virtual path;
 * the executor id of a command task is its task id):
 * "/frameworks/<fw>/executors/<task>/runs/latest". */
char *disp_sandbox_path(const char *framework_id, const char *task_id);
/* The master's request for q: "/files/read?agent_id=<a>&path=<sandbox>/
 * <file>&offset=<o>&length=<l>", every value percent-encoded. */
char *disp_log_target(const char *agent_id, const char *framework_id,
                      const char *task_id, const struct disp_log_query *q);

#endif
