/* SPDX-License-Identifier: Apache-2.0
 *
 * files_proxy_query.c: the request side of the master's /files proxy
 * (files_proxy.c, declared in master.h): check a client's query and build
 * the request to send to the agent.
 *
 * The master's /files/<op> takes agent_id=<id>&path=<path> (plus
 * offset and length for read, integers >= -1 as on the agent). What
 * goes to the agent is rebuilt from the parsed values, never copied from
 * the client's query: the path percent-encoded again, offset as given,
 * length clamped to FILES_PROXY_MAX_READ; other parameters are dropped.
 * The path is only checked to be absolute and bounded: the agent decides
 * what it serves.
 *
 * Pure functions, no I/O: unit tests and tests/fuzz/fuzz_files_query.c
 * drive them directly. Results are owned by the query struct.
 */
#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"
#include "master.h"
#include "net/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[] = {
    [FILES_PROXY_BROWSE] = "browse",
    [FILES_PROXY_READ] = "read",
    [FILES_PROXY_DOWNLOAD] = "download",
    [FILES_PROXY_DEBUG] = "debug",
};

static int
parse_op(const char *what, enum files_proxy_op *op)
{
    for (size_t i = 0; i < sizeof(op_names) / sizeof(op_names[0]); i++)
        if (strcmp(what, op_names[i]) == 0) {
            *op = (enum files_proxy_op)i;
            return 0;
        }
    return CR_ENOTFOUND;
}

/* agent_id: required except for debug (the master's own table, which is
 * empty). Printable ASCII without spaces, at most CR_FILES_ID_MAX. */
static int
parse_agent_id(const char *query, struct files_proxy_query *q, char *err,
               size_t errlen)
{
    char id[FILES_PROXY_ID_MAX + 1];
    int rc = cr_http_query_param(query, "agent_id", id, sizeof(id));
    if (rc == CR_ENOTFOUND && q->op == FILES_PROXY_DEBUG)
        return 0;
    if (rc == CR_ETOOBIG) {
        snprintf(err, errlen, "'agent_id' is longer than %d bytes",
                 FILES_PROXY_ID_MAX);
        return CR_EINVAL_INPUT;
    }
    if (rc != 0 || id[0] == '\0') {
        snprintf(err, errlen,
                 "Expecting 'agent_id' query parameter (the "
                 "master serves agents' sandboxes)");
        return CR_EINVAL_INPUT;
    }
    for (const unsigned char *p = (const unsigned char *)id; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f) {
            snprintf(err, errlen, "Invalid 'agent_id'");
            return CR_EINVAL_INPUT;
        }
    q->agent_id = cr_xstrdup(id);
    return 0;
}

static int
parse_path(const char *query, struct files_proxy_query *q, char *err,
           size_t errlen)
{
    char *path = cr_xmalloc(FILES_PROXY_PATH_MAX + 1);
    int rc = cr_http_query_param(query, "path", path, FILES_PROXY_PATH_MAX + 1);
    if (rc == CR_ETOOBIG) {
        snprintf(err, errlen, "'path' is longer than %d bytes",
                 FILES_PROXY_PATH_MAX);
    } else if (rc != 0 || path[0] == '\0') {
        snprintf(err, errlen, "Expecting 'path' query parameter");
    } else if (path[0] != '/') {
        snprintf(err, errlen, "'path' must be absolute");
    } else {
        q->path = path;
        return 0;
    }
    free(path);
    return CR_EINVAL_INPUT;
}

static void
build_target(struct files_proxy_query *q)
{
    struct cr_buf b;
    cr_buf_init(&b, 4 * FILES_PROXY_PATH_MAX + 128);
    cr_buf_printf(&b, "/files/%s", op_names[q->op]);
    if (q->path) {
        cr_buf_puts(&b, "?path=");
        cr_http_query_encode(&b, q->path);
    }
    if (q->op == FILES_PROXY_READ)
        cr_buf_printf(&b, "&offset=%lld&length=%lld", q->offset, q->length);
    q->target = cr_buf_steal(&b);
}

int
files_proxy_query_parse(const char *what, const char *query,
                        struct files_proxy_query *q, char *err, size_t errlen)
{
    memset(q, 0, sizeof(*q));
    q->offset = q->length = -1;
    if (errlen > 0)
        err[0] = '\0';
    if (parse_op(what, &q->op) != 0) {
        snprintf(err, errlen, "No such endpoint: /files/%s", what);
        return CR_ENOTFOUND;
    }
    int rc = parse_agent_id(query, q, err, errlen);
    if (rc == 0 && q->op != FILES_PROXY_DEBUG)
        rc = parse_path(query, q, err, errlen);
    if (rc == 0 && q->op == FILES_PROXY_READ &&
        (cr_http_query_int(query, "offset", -1, &q->offset) != 0 ||
         cr_http_query_int(query, "length", -1, &q->length) != 0)) {
        snprintf(err, errlen,
                 "Bad 'offset' or 'length' value: expecting "
                 "integers >= -1");
        rc = CR_EINVAL_INPUT;
    }
    if (rc != 0) {
        files_proxy_query_fini(q);
        return rc;
    }
    if (q->length < 0 || q->length > FILES_PROXY_MAX_READ)
        q->length = FILES_PROXY_MAX_READ;
    build_target(q);
    return 0;
}

void
files_proxy_query_fini(struct files_proxy_query *q)
{
    free(q->agent_id);
    free(q->path);
    free(q->target);
    q->agent_id = q->path = q->target = NULL;
}
