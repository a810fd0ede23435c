/* SPDX-License-Identifier: Apache-2.0
 *
 * operator.h: blocking calls of the master's v1 operator API (POST /api/v1,
 * JSON mesos.v1.master.Call) for the `corral` operator commands.
 *
 * Leader following: the masters of a comma-separated list are tried in
 * turn; a 307 is followed (its Location, at most CLI_OP_MAX_REDIRECTS
 * hops) and a 503 ("No leader elected", "not finished recovery") or an
 * unreachable master moves on to the next one. Any other answer is
 * definite: 2xx is success, 4xx/5xx an error of the call. zk:// and
 * file:// are resolved to the leader first (cli_resolve_master()).
 *
 * Exit codes (cli.h): a definite error answer is CLI_EXIT_USAGE (1) with
 * the body's first line; no master answering (unreachable, 503, redirect
 * loops) is CLI_EXIT_UNAVAILABLE (2). Each request runs on a private loop
 * (http_sync.h); not for daemons.
 */
#ifndef CR_CLI_OPERATOR_H
#define CR_CLI_OPERATOR_H

#include "net/url.h"

#include <jansson.h>
#include <stddef.h>

#define CLI_OP_MAX_REDIRECTS 3
#define CLI_OP_PATH          "/api/v1"

struct cli_op_answer {
    int status;   /* the HTTP status of the definite answer, 0 if none */
    json_t *body; /* owned: the parsed body of a 2xx answer with one */
    struct cr_hostport master; /* the master that answered */
};

/* POST call to /api/v1 of the leading master of the host list masters
 * ("h:p[,h:p...]"). Returns 0 on a 2xx answer (out->body NULL when the
 * answer had no body), CLI_EXIT_USAGE on another definite answer, or
 * CLI_EXIT_UNAVAILABLE when no master answered; on failure a one-line
 * reason is in err and out holds nothing to free. call is borrowed. */
int cli_op_post(const char *masters, const json_t *call, double timeout,
                struct cli_op_answer *out, char *err, size_t errlen);
void cli_op_answer_fini(struct cli_op_answer *a);

/* The whole round trip for a command: resolve master (any --master form),
 * POST call (taken), print a one-line error "corral <cmd>: ..." on
 * failure. Returns an exit code; on success *resp (if not NULL) is the
 * answer's body (owned, NULL for no-data answers) and *who (if not NULL)
 * the answering master as "host:port". */
int cli_op_run(const char *cmd, const char *master, json_t *call, json_t **resp,
               char *who, size_t wholen);

/* A GET_* call of type (e.g. "GET_WEIGHTS"): on success *field is the
 * answer's typed member (e.g. "get_weights"), a new reference. An answer
 * without it is an error (exit 1). */
int cli_op_get(const char *cmd, const char *master, const char *type,
               json_t **field, char *who, size_t wholen);

/* "GET_WEIGHTS" -> "get_weights" into out. Returns out. */
char *cli_op_field_name(const char *type, char *out, size_t n);

#endif
