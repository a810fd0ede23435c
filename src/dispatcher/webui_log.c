/* SPDX-License-Identifier: Apache-2.0
 *
 * webui_log.c: GET /api/driver/log?id=ID&file=stdout|stderr&offset=N&
 * length=N: a driver's stdout or stderr read through the leading master's
 * sandbox proxy (GET /files/read?agent_id=&path=&offset=&length=), so the
 * browser needs to reach the dispatcher only.
 *
 * The file is the one of the driver's current (or last) task: the agent's
 * virtual path /frameworks/<fw>/executors/<task id>/runs/latest/<file>
 * (a command task's executor id is its task id). Parameters are checked
 * (webui_view.h) and the master's request is rebuilt from them; offset
 * and length keep the agent's semantics (offset -1: the size only), the
 * length is capped at DISP_LOG_MAX_READ.
 *
 * Answer 200: {"id", "taskId", "file", "offset", "data"}, the master's
 * offset and data (text; undecodable bytes come as \u00XX escapes).
 * Errors ({"message"}): 400 bad parameters; 404 unknown driver, a driver
 * without a task yet, or a file the agent no longer has (the master's
 * 404 is relayed); 503 on a standby, while the leading master or the
 * framework id is unknown, when DISP_LOG_MAX_CALLS reads are in flight
 * (Retry-After: 1) or when the dispatcher stops; 502 when the master
 * cannot be reached or answers something else (too large, not JSON, a
 * 5xx); 504 when it does not answer within DISP_LOG_TIMEOUT seconds.
 *
 * Ownership: a waiting request and its call belong to a struct
 * disp_log_call on the UI's list until the answer (or the close).
 * Threading: loop thread only.
 */
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/http_client.h"
#include "webui_private.h"
#include "webui_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DISP_LOG_MAX_CALLS 16
#define DISP_LOG_TIMEOUT   10.0
/* A master answer to a read of at most DISP_LOG_MAX_READ bytes: each
 * byte may become a 6-byte escape, plus the envelope. */
#define DISP_LOG_MAX_ANSWER (6u * DISP_LOG_MAX_READ + 4096)

struct disp_log_call {
    struct disp_webui *ui;
    struct cr_http_req *req;
    struct cr_http_call *call;
    char id[DISP_MAX_ID];
    char task_id[DISP_MAX_TASK_ID];
    const char *file;
    char master[CR_HOST_MAX + 16];
    struct disp_log_call *next;
};

static void
unlink_call(struct disp_log_call *lc)
{
    struct disp_log_call **pp = &lc->ui->calls;
    while (*pp && *pp != lc)
        pp = &(*pp)->next;
    if (*pp) {
        *pp = lc->next;
        lc->ui->n_calls--;
    }
}

/* The master's 200 answer {"data": text, "offset": N} as ours. */
static void
relay_read(struct disp_log_call *lc, const struct cr_http_response *resp)
{
    char err[128];
    json_t *o = cr_json_parse(resp->body, resp->body_len, err, sizeof(err));
    json_t *data = json_object_get(o, "data");
    json_t *off = json_object_get(o, "offset");
    if (!json_is_string(data) || !json_is_integer(off)) {
        json_decref(o);
        disp_webui_error(lc->req, 502,
                         "The master %s answered the read of %s's %s with "
                         "something else than {data, offset}",
                         lc->master, lc->task_id, lc->file);
        return;
    }
    json_t *r =
        json_pack("{s:s, s:s, s:s, s:O, s:O}", "id", lc->id, "taskId",
                  lc->task_id, "file", lc->file, "offset", off, "data", data);
    json_decref(o);
    disp_webui_json(lc->req, 200, r);
}

/* The master's first line of text (bounded), for an error message. */
static void
first_line(const struct cr_http_response *resp, char *out, size_t n)
{
    size_t len = 0;
    while (len < resp->body_len && len + 1 < n && resp->body[len] != '\n' &&
           resp->body[len] != '\r' && resp->body[len] != '\0')
        len++;
    memcpy(out, resp->body, len);
    out[len] = '\0';
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f)
            out[i] = '?';
}

static void
on_answer(int rc, const struct cr_http_response *resp, void *data)
{
    struct disp_log_call *lc = data;
    unlink_call(lc);
    char line[200] = "";
    if (rc != 0) {
        disp_webui_error(lc->req, rc == CR_ETIMEOUT ? 504 : 502,
                         "Cannot read %s's %s through the master %s: %s",
                         lc->task_id, lc->file, lc->master, cr_strerror(rc));
    } else if (resp->status == 200 && resp->body_len <= DISP_LOG_MAX_ANSWER) {
        relay_read(lc, resp);
    } else if (resp->status == 200) {
        disp_webui_error(lc->req, 502, "The master %s answered too much",
                         lc->master);
    } else {
        first_line(resp, line, sizeof(line));
        int st = resp->status == 400 || resp->status == 404   ? resp->status
                 : resp->status == 307 || resp->status == 503 ? 503
                                                              : 502;
        disp_webui_error(lc->req, st,
                         "The master %s answered %d reading %s's %s%s%s",
                         lc->master, resp->status, lc->task_id, lc->file,
                         line[0] ? ": " : "", line);
    }
    free(lc);
}

/* 0 with the driver's task, agent and framework in lc and the master in
 * hp; otherwise the request is answered. */
static int
locate(struct disp_webui *ui, struct cr_http_req *req,
       const struct disp_log_query *q, struct disp_log_call *lc,
       struct cr_hostport *hp, const char **agent, const char **fw)
{
    struct dispatcher *d = ui->d;
    struct disp_driver *drv = disp_driver_find(d, q->id);
    if (d->role == DISP_STANDBY) {
        disp_webui_error(req, 503,
                         "This dispatcher is a standby: ask the leading "
                         "dispatcher (%s)",
                         d->leader ? d->leader : "none elected yet");
        return -1;
    }
    if (drv == NULL) {
        disp_webui_error(req, 404, "Cannot find driver %s", q->id);
        return -1;
    }
    if (drv->state == DISP_QUEUED || drv->task_id[0] == '\0' ||
        drv->agent_id == NULL) {
        disp_webui_error(req, 404, "Driver %s has not been launched", q->id);
        return -1;
    }
    *fw = disp_webui_framework_id(d);
    if (*fw == NULL || disp_webui_master(d, hp) != 0) {
        disp_webui_error(req, 503,
                         "The leading master or the framework id is not "
                         "known yet; try again");
        return -1;
    }
    *agent = drv->agent_id;
    snprintf(lc->task_id, sizeof(lc->task_id), "%s", drv->task_id);
    return 0;
}

static void
start_call(struct disp_webui *ui, struct disp_log_call *lc,
           const struct cr_hostport *hp, const char *target)
{
    bool v6 = strchr(hp->host, ':') != NULL;
    snprintf(lc->master, sizeof(lc->master), "%s%s%s:%d", v6 ? "[" : "",
             hp->host, v6 ? "]" : "", hp->port);
    lc->next = ui->calls;
    ui->calls = lc;
    ui->n_calls++;
    int rc =
        cr_http_call_start(ui->d->loop, hp->host, hp->port, "GET", target, NULL,
                           NULL, 0, DISP_LOG_TIMEOUT, on_answer, lc, &lc->call);
    if (rc != 0) {
        unlink_call(lc);
        disp_webui_error(lc->req, 502, "Cannot reach the master %s: %s",
                         lc->master, cr_strerror(rc));
        free(lc);
    }
}

void
disp_webui_api_log(struct disp_webui *ui, struct cr_http_req *req)
{
    struct disp_log_query q;
    char err[160];
    if (disp_log_query_parse(req->query, &q, err, sizeof(err)) != 0) {
        disp_webui_error(req, 400, "%s", err);
        return;
    }
    if (ui->n_calls >= DISP_LOG_MAX_CALLS) {
        static const char busy[] =
            "{\"message\":\"Too many log reads in flight; try again\"}";
        cr_http_respond(req, 503, "application/json", busy, strlen(busy),
                        "Retry-After: 1\r\nCache-Control: no-store\r\n");
        return;
    }
    struct disp_log_call *lc = cr_xcalloc(1, sizeof(*lc));
    struct cr_hostport hp;
    const char *agent = NULL, *fw = NULL;
    if (locate(ui, req, &q, lc, &hp, &agent, &fw) != 0) {
        free(lc);
        return;
    }
    lc->ui = ui;
    lc->req = req;
    lc->file = q.file;
    snprintf(lc->id, sizeof(lc->id), "%s", q.id);
    char *target = disp_log_target(agent, fw, lc->task_id, &q);
    if (target == NULL) {
        disp_webui_error(req, 400, "The request is too large");
        free(lc);
        return;
    }
    start_call(ui, lc, &hp, target);
    free(target);
}

void
disp_webui_log_close(struct disp_webui *ui)
{
    while (ui->calls) {
        struct disp_log_call *lc = ui->calls;
        ui->calls = lc->next;
        cr_http_call_cancel(lc->call);
        disp_webui_error(lc->req, 503, "The dispatcher is stopping");
        free(lc);
    }
    ui->n_calls = 0;
}
