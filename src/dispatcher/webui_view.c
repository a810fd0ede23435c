/* SPDX-License-Identifier: Apache-2.0
 *
 * webui_view.c: the pure parts of corral-dispatcher's web UI (see
 * webui_view.h): driver views, redaction, query parameters and the log
 * proxy's request to the master.
 *
 * Every query value is read with cr_http_query_param into a bounded
 * buffer; what goes to the master is rebuilt from checked values, never
 * copied from the browser's query.
 *
 * Threading: none.
 */
#include "webui_view.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"
#include "history.h"
#include "net/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *
disp_view_spark_state(enum disp_drv_state st)
{
    static const char *const names[] = {
        [DISP_QUEUED] = "QUEUED",
        [DISP_LAUNCHED] = "RUNNING",
        [DISP_RETRYING] = "RETRYING",
        [DISP_FINISHED] = "FINISHED",
    };
    return (unsigned)st < sizeof(names) / sizeof(names[0]) ? names[st] : "?";
}

/* ---- redaction ---- */

static bool
contains_ci(const char *s, const char *word)
{
    size_t n = strlen(word);
    for (; *s; s++)
        if (strncasecmp(s, word, n) == 0)
            return true;
    return false;
}

bool
disp_view_secret(const char *name)
{
    static const char *const words[] = {"secret", "password", "token",
                                        "access.key"};
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (contains_ci(name, words[i]))
            return true;
    return false;
}

/* A copy of a string map with secret values replaced. */
static json_t *
redacted(json_t *map)
{
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach(map, k, v)
    {
        if (disp_view_secret(k))
            json_object_set_new(out, k, json_string(DISP_VIEW_REDACTED));
        else
            json_object_set(out, k, v);
    }
    return out;
}

/* ---- driver view ---- */

static json_t *
str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

/* The fields of the last TaskStatus the UI shows. */
static json_t *
status_view(const json_t *st)
{
    if (st == NULL)
        return json_null();
    json_t *o = json_object();
    static const char *const keys[] = {"state",  "message",   "reason",
                                       "source", "timestamp", "healthy"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *v = json_object_get(st, keys[i]);
        if (v)
            json_object_set(o, keys[i], v);
    }
    return o;
}

static void
add_detail(json_t *o, const struct disp_driver *drv)
{
    json_object_set(o, "appArgs", drv->args);
    json_object_set_new(o, "sparkProperties", redacted(drv->props));
    json_object_set_new(o, "environmentVariables", redacted(drv->env));
}

json_t *
disp_view_driver(const struct disp_driver *drv, unsigned flags)
{
    bool has_task = drv->state != DISP_QUEUED && drv->task_id[0];
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f, s:I, s:b, s:f, s:i, "
        "s:b}",
        "id", drv->id, "state", disp_drv_state_name(drv->state), "driverState",
        disp_view_spark_state(drv->state), "name",
        drv->app_name ? drv->app_name : "", "mainClass",
        drv->main_class ? drv->main_class : "", "appResource",
        drv->app_resource ? drv->app_resource : "", "queue",
        drv->queue ? drv->queue : DISP_QUEUE_DEFAULT, "priority", drv->priority,
        "cores", drv->cores, "memoryMb", (json_int_t)drv->mem_mb, "supervise",
        drv->supervise, "submitted", drv->submitted, "retries", drv->retries,
        "killed", drv->killed);
    if (o == NULL) /* not UTF-8: cannot happen for validated requests */
        o = json_pack("{s:s}", "id", drv->id);
    json_object_set_new(o, "taskId", str_or_null(has_task ? drv->task_id : 0));
    json_object_set_new(o, "agentId",
                        str_or_null(has_task ? drv->agent_id : NULL));
    json_object_set_new(o, "agentHost",
                        str_or_null(has_task ? drv->agent_host : NULL));
    json_object_set_new(o, "lastStatus", status_view(drv->last_status));
    if (drv->state == DISP_RETRYING) {
        json_object_set_new(o, "retryWait", json_real(drv->wait));
        json_object_set_new(o, "nextRetry", json_real(drv->next_retry));
    }
    if (drv->state == DISP_FINISHED)
        json_object_set_new(o, "finished", json_real(drv->finished));
    if (flags & DISP_VIEW_HISTORY)
        json_object_set_new(o, "history", disp_history_json(drv->history));
    if (flags & DISP_VIEW_DETAIL)
        add_detail(o, drv);
    return o;
}

/* ---- queries ---- */

int
disp_view_query_id(const char *query, char *out, size_t n, char *err,
                   size_t errlen)
{
    int rc = cr_http_query_param(query, "id", out, n);
    if (rc == CR_ENOTFOUND || (rc == 0 && out[0] == '\0')) {
        snprintf(err, errlen,
                 "Missing the 'id' query parameter (a driver's "
                 "submission id)");
        return CR_EINVAL_INPUT;
    }
    if (rc != 0 || !disp_submission_id_valid(out)) {
        snprintf(err, errlen, "'id' is not a submission id");
        return CR_EINVAL_INPUT;
    }
    return 0;
}

static int
parse_file(const char *query, struct disp_log_query *q, char *err,
           size_t errlen)
{
    char f[16];
    int rc = cr_http_query_param(query, "file", f, sizeof(f));
    if (rc == CR_ENOTFOUND) {
        q->file = "stdout";
        return 0;
    }
    if (rc == 0 && strcmp(f, "stdout") == 0)
        q->file = "stdout";
    else if (rc == 0 && strcmp(f, "stderr") == 0)
        q->file = "stderr";
    else {
        snprintf(err, errlen, "'file' must be stdout or stderr");
        return CR_EINVAL_INPUT;
    }
    return 0;
}

int
disp_log_query_parse(const char *query, struct disp_log_query *q, char *err,
                     size_t errlen)
{
    memset(q, 0, sizeof(*q));
    q->length = DISP_LOG_MAX_READ;
    int rc = disp_view_query_id(query, q->id, sizeof(q->id), err, errlen);
    if (rc == 0)
        rc = parse_file(query, q, err, errlen);
    if (rc != 0)
        return rc;
    if (cr_http_query_int(query, "offset", -1, &q->offset) != 0) {
        snprintf(err, errlen, "'offset' must be an integer >= -1");
        return CR_EINVAL_INPUT;
    }
    if (cr_http_query_int(query, "length", -1, &q->length) != 0) {
        snprintf(err, errlen, "'length' must be an integer >= -1");
        return CR_EINVAL_INPUT;
    }
    if (q->length < 0 || q->length > DISP_LOG_MAX_READ)
        q->length = DISP_LOG_MAX_READ;
    return 0;
}

/* ---- the master's request ---- */

char *
disp_sandbox_path(const char *framework_id, const char *task_id)
{
    return cr_xasprintf("/frameworks/%s/executors/%s/runs/latest", framework_id,
                        task_id);
}

char *
disp_log_target(const char *agent_id, const char *framework_id,
                const char *task_id, const struct disp_log_query *q)
{
    char *sandbox = disp_sandbox_path(framework_id, task_id);
    char *path = cr_xasprintf("%s/%s", sandbox, q->file);
    struct cr_buf b;
    cr_buf_init(&b, 64 * 1024);
    cr_buf_puts(&b, "/files/read?agent_id=");
    int rc = cr_http_query_encode(&b, agent_id);
    if (rc == 0)
        rc = cr_buf_puts(&b, "&path=");
    if (rc == 0)
        rc = cr_http_query_encode(&b, path);
    if (rc == 0)
        rc =
            cr_buf_printf(&b, "&offset=%lld&length=%lld", q->offset, q->length);
    free(sandbox);
    free(path);
    if (rc != 0) {
        cr_buf_fini(&b);
        return NULL;
    }
    return cr_buf_steal(&b);
}
