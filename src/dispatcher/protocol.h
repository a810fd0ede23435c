/* SPDX-License-Identifier: Apache-2.0
 *
 * protocol.h: the pure parts of corral-dispatcher (no I/O, no loop):
 * Spark's REST submission protocol v1 (path routing, CreateSubmissionRequest
 * validation with Spark's messages, response envelopes), Spark's memory
 * strings, submission ids, and the driver's shell command (Spark's
 * shellEscape rules).
 *
 * Invariants: every function here is deterministic given its arguments, so
 * the unit tests exercise them directly. Strings returned as char * are
 * owned by the caller (free()); json_t results are new references.
 * Threading: none (pure functions).
 */
#ifndef CR_DISPATCHER_PROTOCOL_H
#define CR_DISPATCHER_PROTOCOL_H

#include "base/buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define DISP_PROTOCOL_VERSION      "v1"
#define DISP_DEFAULT_SPARK_VERSION "3.5.1"
#define DISP_MAX_ID                64

enum disp_action {
    DISP_ROUTE_ERROR,  /* answer status/message (JSON ErrorResponse) */
    DISP_ROUTE_METHOD, /* 405: wrong method on a real endpoint */
    DISP_ROUTE_CREATE,
    DISP_ROUTE_STATUS,
    DISP_ROUTE_KILL,
};

struct disp_route {
    enum disp_action action;
    int status;            /* for DISP_ROUTE_ERROR: 400 or 468 */
    bool version_mismatch; /* 468: add highestProtocolVersion */
    char message[256];     /* for DISP_ROUTE_ERROR */
    char id[DISP_MAX_ID];  /* for STATUS and KILL */
};

/* Route one request (method "GET"/"POST"..., path without the query) as
 * Spark's servlets do (reference §2.1). Always fills r. */
void disp_route(const char *method, const char *path, struct disp_route *r);

/* Parse a Spark memory string ("512m", "2g", "1024" = bytes) into bytes.
 * 0, or -1 for anything else (fractions, unknown suffix, overflow). */
int disp_parse_memory(const char *s, long long *bytes);
/* Spark's Double parse (whitespace allowed around). 0 or -1. */
int disp_parse_double(const char *s, double *out);
/* Scala's toBoolean ("true"/"false", any case). 0 or -1. */
int disp_parse_bool(const char *s, bool *out);

/* Validate a parsed create body (reference §2.3). Returns 0 when valid.
 * Otherwise returns the HTTP status (400) and sets *msg (owned) to the
 * whole ErrorResponse message ("Malformed request: ..."). When valid and
 * unknown is not NULL, *unknown is a new array of the top-level keys
 * Spark does not know (NULL when there are none). */
int disp_validate_create(json_t *req, char **msg, json_t **unknown);

/* "driver-yyyyMMddHHmmss-NNNN" (local time of t, counter zero-padded to at
 * least 4 digits) into out (DISP_MAX_ID bytes). */
void disp_submission_id(char *out, size_t n, time_t t, unsigned long counter);
/* Check the shape of a submission id. */
bool disp_submission_id_valid(const char *id);
/* The submission id of a task id: the task id without "-retry-N". Into out
 * (DISP_MAX_ID). */
void disp_task_submission(const char *task_id, char *out, size_t n);

/* Append s escaped with Spark's shellEscape (a value wrapped in matching
 * quotes is kept; one holding a shell special character is double-quoted
 * with " ` $ \ escaped; an empty value becomes ""). 0 or CR_ETOOBIG. */
int disp_shell_escape(struct cr_buf *b, const char *s);

/* A response envelope {"action": action, "serverSparkVersion": version}. */
json_t *disp_response_new(const char *action, const char *version);
/* Serialise a response as Spark does: pretty, keys sorted. Owned. */
char *disp_response_dump(const json_t *resp);

/* Driver memory in MB as Spark 3.0 counts it: spark.driver.memory (default
 * 1024 MB; bare numbers are bytes) plus spark.driver.memoryOverhead (MB)
 * or max(10%, 384 MB). props: the sparkProperties object. -1 if invalid. */
long disp_driver_memory_mb(const json_t *props);

/* What the driver command is built from. */
struct disp_cmd_input {
    const char *app_name;
    const char *main_class; /* "" or NULL: no --class */
    const char *app_resource;
    const json_t *app_args; /* array of strings */
    json_t *props;          /* merged sparkProperties (string -> string) */
    const char *master;     /* the dispatcher's spark.master, no scheme */
    double cores;
    long mem_mb;
    const char *spark_home;   /* home mode when set */
    const char *executor_uri; /* URI mode when set (wins over home) */
};

/* The shell command of a driver task (reference §3.6): spark-submit with
 * Spark's options when spark_home or executor_uri is set, else the app
 * resource run as a command with the app args (escaped). Owned; NULL when
 * too large. */
char *disp_driver_command(const struct disp_cmd_input *in);

#endif
