/* SPDX-License-Identifier: Apache-2.0
 *
 * sandbox.h: reading a task's sandbox files (stdout, stderr) through the
 * agent's /files/read endpoint (mesos-api.md §3.6).
 *
 * The file is named by the virtual path
 * /frameworks/<fw>/executors/<exec>/runs/latest/<file>; if the agent does
 * not know it (404), the executor's real "directory" from the agent's
 * /state is tried instead. Reads go in 64 KiB pieces from an offset that
 * the caller keeps, so `logs --follow` can poll for more. Blocking (uses
 * http_sync).
 */
#ifndef CR_CLI_SANDBOX_H
#define CR_CLI_SANDBOX_H

#include "net/url.h"

#include <jansson.h>
#include <stdio.h>

struct sandbox_file {
    struct cr_hostport agent;
    char *framework_id;
    char *executor_id;
    char *name; /* "stdout" */
    char *path; /* the path given to /files/read */
    long long offset;
    int fallback_tried;
};

/* Locate file of executor_id of framework_id on agent_id, using the
 * master's state document (borrowed). 0, or -1 with a reason in err. */
int sandbox_open(struct sandbox_file *f, const json_t *master_state,
                 const char *framework_id, const char *agent_id,
                 const char *executor_id, const char *name, char *err,
                 size_t errlen);
/* Copy the whole file to out (download; falls back to piecewise reads).
 * 0, or -1 with a reason in err. */
int sandbox_read_all(struct sandbox_file *f, FILE *out, char *err,
                     size_t errlen);
/* Copy everything from f->offset to the current end of the file to out,
 * advancing f->offset. *n (OUT, may be NULL) gets the bytes copied. 0, or
 * -1 with a reason in err. */
int sandbox_read_available(struct sandbox_file *f, FILE *out, size_t *n,
                           char *err, size_t errlen);
void sandbox_close(struct sandbox_file *f);

/* The /files/read request path for path, offset and length. Owned. */
char *sandbox_read_url(const char *path, long long offset, long length);

#endif
