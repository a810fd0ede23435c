/* SPDX-License-Identifier: Apache-2.0
 *
 * sandbox.c: see sandbox.h.
 */
#include "sandbox.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "http_sync.h"
#include "net/http.h"
#include "state.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define READ_CHUNK   65536L
#define MAX_READS    (1L << 16) /* 4 GiB at most per call */
#define PATH_MAX_LEN 4096

char *
sandbox_read_url(const char *path, long long offset, long length)
{
    struct cr_buf b;
    cr_buf_init(&b, PATH_MAX_LEN * 3 + 128);
    cr_buf_puts(&b, "/files/read?path=");
    cr_http_query_encode(&b, path);
    cr_buf_printf(&b, "&offset=%lld&length=%ld", offset, length);
    return cr_buf_steal(&b);
}

int
sandbox_open(struct sandbox_file *f, const json_t *master_state,
             const char *framework_id, const char *agent_id,
             const char *executor_id, const char *name, char *err,
             size_t errlen)
{
    memset(f, 0, sizeof(*f));
    if (cli_state_agent_addr(master_state, agent_id, &f->agent) != 0) {
        snprintf(err, errlen, "agent %s is not known to the master", agent_id);
        return -1;
    }
    f->framework_id = cr_xstrdup(framework_id);
    f->executor_id = cr_xstrdup(executor_id);
    f->name = cr_xstrdup(name);
    f->path = cr_xasprintf("/frameworks/%s/executors/%s/runs/latest/%s",
                           framework_id, executor_id, name);
    return 0;
}

void
sandbox_close(struct sandbox_file *f)
{
    free(f->framework_id);
    free(f->executor_id);
    free(f->name);
    free(f->path);
    memset(f, 0, sizeof(*f));
}

static const char *
executor_dir_in(const json_t *frameworks, const char *fw, const char *exec)
{
    static const char *const lists[] = {"executors", "completed_executors"};
    size_t i, j;
    json_t *f, *e;
    json_array_foreach(frameworks, i, f)
    {
        const char *id = cli_state_id(f, "id");
        if (id == NULL || strcmp(id, fw) != 0)
            continue;
        for (size_t l = 0; l < 2; l++)
            json_array_foreach(json_object_get(f, lists[l]), j, e)
            {
                const char *eid = cli_state_id(e, "id");
                const char *dir = cr_json_str(e, "directory");
                if (eid && dir && strcmp(eid, exec) == 0)
                    return dir;
            }
    }
    return NULL;
}

/* Switch f->path to the executor's real directory from the agent's
 * /state. 0, or -1 with a reason in err. */
static int
use_agent_directory(struct sandbox_file *f, char *err, size_t errlen)
{
    json_t *st;
    f->fallback_tried = 1;
    if (http_sync_get_json(&f->agent, "/state", CLI_HTTP_TIMEOUT, &st, err,
                           errlen) != 0)
        return -1;
    const char *dir = executor_dir_in(json_object_get(st, "frameworks"),
                                      f->framework_id, f->executor_id);
    if (dir == NULL)
        dir = executor_dir_in(json_object_get(st, "completed_frameworks"),
                              f->framework_id, f->executor_id);
    if (dir == NULL || strlen(dir) > PATH_MAX_LEN) {
        snprintf(err, errlen, "sandbox of executor %s not found on the agent",
                 f->executor_id);
        json_decref(st);
        return -1;
    }
    free(f->path);
    f->path = cr_xasprintf("%s/%s", dir, f->name);
    json_decref(st);
    return 0;
}

/* GET /files/read at offset for length bytes (-1, -1: the size). On 0,
 * *r is the answer (owned). Returns 0, 404, or -1. */
static int
files_read(struct sandbox_file *f, long long offset, long length, json_t **r,
           char *err, size_t errlen)
{
    char *url = sandbox_read_url(f->path, offset, length);
    int rc =
        http_sync_get_json(&f->agent, url, CLI_HTTP_TIMEOUT, r, err, errlen);
    free(url);
    if (rc == 0 && !json_is_string(json_object_get(*r, "data"))) {
        snprintf(err, errlen, "/files/read answer without 'data'");
        json_decref(*r);
        rc = -1;
    }
    return rc == 0 ? 0 : rc == 404 ? 404 : -1;
}

/* The current size of the file. 0, 404, or -1. */
static int
file_size(struct sandbox_file *f, long long *size, char *err, size_t errlen)
{
    json_t *r;
    double v = -1;
    int rc = files_read(f, -1, -1, &r, err, errlen);
    if (rc == 404 && !f->fallback_tried) {
        if (use_agent_directory(f, err, errlen) != 0)
            return -1;
        rc = files_read(f, -1, -1, &r, err, errlen);
    }
    if (rc != 0)
        return rc;
    cr_json_num(r, "offset", &v);
    json_decref(r);
    if (v < 0 || v > 1e15) {
        snprintf(err, errlen, "/files/read gave no file size");
        return -1;
    }
    *size = (long long)v;
    return 0;
}

int
sandbox_read_available(struct sandbox_file *f, FILE *out, size_t *n, char *err,
                       size_t errlen)
{
    long long size;
    size_t total = 0;
    if (n)
        *n = 0;
    int rc = file_size(f, &size, err, errlen);
    if (rc == 404)
        snprintf(err, errlen, "%s not found in the sandbox", f->name);
    if (rc != 0)
        return -1;
    /* Ask for exactly the bytes known to exist, so the offset advances by
     * raw bytes even when the JSON text re-encodes invalid UTF-8. */
    for (long i = 0; i < MAX_READS && f->offset < size; i++) {
        long want = size - f->offset > READ_CHUNK ? READ_CHUNK
                                                  : (long)(size - f->offset);
        json_t *r;
        if (files_read(f, f->offset, want, &r, err, errlen) != 0)
            return -1;
        json_t *data = json_object_get(r, "data");
        size_t len = json_string_length(data);
        bool ok =
            len == 0 || fwrite(json_string_value(data), 1, len, out) == len;
        json_decref(r);
        if (!ok) {
            snprintf(err, errlen, "write failed");
            return -1;
        }
        if (len == 0)
            break; /* the file shrank */
        f->offset += want;
        total += (size_t)want;
    }
    fflush(out);
    if (n)
        *n = total;
    return 0;
}

int
sandbox_read_all(struct sandbox_file *f, FILE *out, char *err, size_t errlen)
{
    struct cr_buf url;
    struct http_sync_resp r;
    cr_buf_init(&url, PATH_MAX_LEN * 3 + 64);
    cr_buf_puts(&url, "/files/download?path=");
    cr_http_query_encode(&url, f->path);
    int rc = http_sync_request(&f->agent, "GET", url.data, NULL, NULL, 0,
                               CLI_HTTP_TIMEOUT, &r);
    cr_buf_fini(&url);
    if (rc == 0 && r.status == 200) {
        size_t len = r.len;
        bool ok = len == 0 || fwrite(r.body, 1, len, out) == len;
        http_sync_resp_fini(&r);
        fflush(out);
        f->offset = (long long)len;
        if (!ok)
            snprintf(err, errlen, "write failed");
        return ok ? 0 : -1;
    }
    if (rc == 0)
        http_sync_resp_fini(&r);
    /* No file at that path, no download endpoint, or too big: read it
     * piece by piece (which also tries the executor's real directory). */
    f->offset = 0;
    return sandbox_read_available(f, out, NULL, err, errlen);
}
