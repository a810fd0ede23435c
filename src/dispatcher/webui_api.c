/* SPDX-License-Identifier: Apache-2.0
 *
 * webui_api.c: the web UI's JSON API (webui.h): GET /api/state and GET
 * /api/driver?id=ID.
 *
 * /api/state (?history=0 leaves the drivers' histories out):
 *   {"dispatcher": {"name", "version", "sparkVersion", "now",
 *     "role": "leader" | "standby", "highAvailability": bool (--zk),
 *     "ready", "loaded", "stopping": reason or null,
 *     "leader": {"address": "h:p" (REST), "webuiUrl"} or null (a standby
 *       that knows no leader; a leader names itself),
 *     "restAddress", "webuiUrl", "frameworkId", "master" (--master
 *     without mesos://), "masterLeader": "h:p" or null, "masterUrl",
 *     "schedulerState", "zookeeper": the masked URL of the state's
 *     directory or null, "queues": [{"name", "priority"}],
 *     "maxDrivers", "retainedDrivers", "counts": {"queued", ...}},
 *    "queued": [driver...] (queue order), "launched": [...], "retrying":
 *    [...] (submission order), "finished": [...] (newest first)}
 * Drivers are webui_view.h's views with their history.
 *
 * /api/driver?id=ID: the driver's view with its history and details
 * (arguments, properties and environment, secrets redacted) plus
 * "frameworkId" and "sandbox": {"path", "masterUrl", "agentUrl" (the
 * master UI's agent page), "stdoutUrl", "stderrUrl" (the master's
 * /files/read from offset 0), "stdoutDownloadUrl", "stderrDownloadUrl"
 * (its /files/download)} or null while the driver has no task or the
 * master or the framework id is unknown. 400 without a valid id, 404 for an
 * unknown driver, 503 on a standby (with its "leader").
 *
 * Threading: loop thread only.
 */
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"
#include "net/http.h"
#include "webui_private.h"
#include "webui_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SANDBOX_URL_MAX (16 * 1024)

/* ---- the dispatcher ---- */

static json_t *
str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *
leader_view(const struct dispatcher *d)
{
    if (d->role != DISP_STANDBY) {
        char *addr = disp_advertised(d, d->bound_port);
        json_t *o = json_pack("{s:s, s:o}", "address", addr, "webuiUrl",
                              str_or_null(disp_webui_url(d)));
        free(addr);
        return o;
    }
    if (d->leader == NULL)
        return json_null();
    return json_pack("{s:s, s:o}", "address", d->leader, "webuiUrl",
                     str_or_null(d->leader_ui));
}

static json_t *
queues_view(const struct dispatcher *d)
{
    json_t *a = json_array();
    json_array_append_new(a, json_pack("{s:s, s:f}", "name", DISP_QUEUE_DEFAULT,
                                       "priority", 0.0));
    for (size_t i = 0; i < d->queues.n; i++)
        json_array_append_new(a, json_pack("{s:s, s:f}", "name",
                                           d->queues.names[i], "priority",
                                           d->queues.priorities[i]));
    return a;
}

static void
add_master(const struct dispatcher *d, json_t *o)
{
    struct cr_hostport hp;
    if (disp_webui_master(d, &hp) != 0) {
        json_object_set_new(o, "masterLeader", json_null());
        json_object_set_new(o, "masterUrl", json_null());
        return;
    }
    bool v6 = strchr(hp.host, ':') != NULL;
    json_object_set_new(o, "masterLeader",
                        json_sprintf("%s%s%s:%d", v6 ? "[" : "", hp.host,
                                     v6 ? "]" : "", hp.port));
    char *url = disp_webui_http_url(&hp);
    json_object_set_new(o, "masterUrl", json_string(url));
    free(url);
}

static json_t *
dispatcher_view(const struct dispatcher *d)
{
    char *rest = disp_advertised(d, d->bound_port);
    json_t *o = json_pack(
        "{s:s, s:s, s:s, s:f, s:s, s:b, s:b, s:b, s:o, s:o, s:s, s:o, s:o, "
        "s:s}",
        "name", d->name, "version", CR_VERSION, "sparkVersion", d->version,
        "now", cr_wall_secs(), "role",
        d->role == DISP_STANDBY ? "standby" : "leader", "highAvailability",
        d->role != DISP_SOLO, "ready", d->ready, "loaded", d->loaded,
        "stopping", str_or_null(d->fatal), "leader", leader_view(d),
        "restAddress", rest, "webuiUrl", str_or_null(disp_webui_url(d)),
        "frameworkId", str_or_null(disp_webui_framework_id(d)), "master",
        d->master);
    free(rest);
    add_master(d, o);
    json_object_set_new(
        o, "schedulerState",
        str_or_null(d->sched ? cr_sched_state_name(cr_sched_state(d->sched))
                             : NULL));
    json_object_set_new(
        o, "zookeeper",
        str_or_null(d->store ? disp_store_describe(d->store) : NULL));
    json_object_set_new(o, "queues", queues_view(d));
    json_object_set_new(o, "maxDrivers", json_integer(d->max_drivers));
    json_object_set_new(o, "retainedDrivers", json_integer(d->retained));
    json_object_set_new(
        o, "counts",
        json_pack("{s:I, s:I, s:I, s:I}", "queued",
                  (json_int_t)disp_count_state(d, DISP_QUEUED), "launched",
                  (json_int_t)disp_count_state(d, DISP_LAUNCHED), "retrying",
                  (json_int_t)disp_count_state(d, DISP_RETRYING), "finished",
                  (json_int_t)disp_count_state(d, DISP_FINISHED)));
    return o;
}

/* ---- the driver lists ---- */

static int
cmp_finished_desc(const void *a, const void *b)
{
    const struct disp_driver *x = *(const struct disp_driver *const *)a;
    const struct disp_driver *y = *(const struct disp_driver *const *)b;
    if (x->finish_seq != y->finish_seq)
        return x->finish_seq > y->finish_seq ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* The drivers in state st as an array of views, in the UI's order. */
static json_t *
list_view(const struct dispatcher *d, enum disp_drv_state st, unsigned flags)
{
    size_t n = disp_count_state(d, st), k = 0;
    struct disp_driver **v = cr_xcalloc(n ? n : 1, sizeof(*v));
    for (struct disp_driver *x = d->drivers; x && k < n; x = x->next)
        if (x->state == st)
            v[k++] = x;
    if (st == DISP_QUEUED)
        qsort(v, k, sizeof(*v), disp_queue_cmp);
    else if (st == DISP_FINISHED)
        qsort(v, k, sizeof(*v), cmp_finished_desc);
    json_t *a = json_array();
    for (size_t i = 0; i < k; i++)
        json_array_append_new(a, disp_view_driver(v[i], flags));
    free(v);
    return a;
}

void
disp_webui_api_state(struct dispatcher *d, struct cr_http_req *req)
{
    char h[8];
    unsigned flags = DISP_VIEW_HISTORY;
    if (cr_http_query_param(req->query, "history", h, sizeof(h)) == 0 &&
        (strcmp(h, "0") == 0 || strcmp(h, "false") == 0))
        flags = 0;
    json_t *o =
        json_pack("{s:o, s:o, s:o, s:o, s:o}", "dispatcher", dispatcher_view(d),
                  "queued", list_view(d, DISP_QUEUED, flags), "launched",
                  list_view(d, DISP_LAUNCHED, flags), "retrying",
                  list_view(d, DISP_RETRYING, flags), "finished",
                  list_view(d, DISP_FINISHED, flags));
    disp_webui_json(req, 200, o);
}

/* ---- one driver ---- */

/* The master's /files/<op> URL of a file of the sandbox at path. */
static char *
file_url(const char *master_url, const char *op, const char *agent,
         const char *path, const char *file)
{
    struct cr_buf b;
    cr_buf_init(&b, SANDBOX_URL_MAX);
    cr_buf_printf(&b, "%s/files/%s?agent_id=", master_url, op);
    cr_http_query_encode(&b, agent);
    cr_buf_puts(&b, "&path=");
    cr_http_query_encode(&b, path);
    cr_buf_puts(&b, "/");
    cr_buf_puts(&b, file);
    if (strcmp(op, "read") == 0)
        cr_buf_puts(&b, "&offset=0");
    return cr_buf_steal(&b);
}

static void
add_file_urls(json_t *o, const char *master, const char *agent,
              const char *path)
{
    static const char *const files[] = {"stdout", "stderr"};
    for (size_t i = 0; i < 2; i++) {
        char key[32];
        char *u = file_url(master, "read", agent, path, files[i]);
        snprintf(key, sizeof(key), "%sUrl", files[i]);
        json_object_set_new(o, key, json_string(u));
        free(u);
        u = file_url(master, "download", agent, path, files[i]);
        snprintf(key, sizeof(key), "%sDownloadUrl", files[i]);
        json_object_set_new(o, key, json_string(u));
        free(u);
    }
}

/* Where the driver's task sandbox is, or null. */
static json_t *
sandbox_view(const struct dispatcher *d, const struct disp_driver *drv)
{
    struct cr_hostport hp;
    const char *fw = disp_webui_framework_id(d);
    if (drv->state == DISP_QUEUED || drv->task_id[0] == '\0' ||
        drv->agent_id == NULL || fw == NULL || disp_webui_master(d, &hp) != 0)
        return json_null();
    char *master = disp_webui_http_url(&hp);
    char *path = disp_sandbox_path(fw, drv->task_id);
    struct cr_buf b;
    cr_buf_init(&b, SANDBOX_URL_MAX);
    cr_buf_printf(&b, "%s/#/agents/", master);
    cr_http_query_encode(&b, drv->agent_id);
    char *agent_url = cr_buf_steal(&b);
    json_t *o = json_pack("{s:s, s:s, s:s}", "path", path, "masterUrl", master,
                          "agentUrl", agent_url);
    if (o)
        add_file_urls(o, master, drv->agent_id, path);
    free(master);
    free(path);
    free(agent_url);
    return o ? o : json_null();
}

void
disp_webui_api_driver(struct dispatcher *d, struct cr_http_req *req)
{
    char id[DISP_MAX_ID], err[160];
    if (disp_view_query_id(req->query, id, sizeof(id), err, sizeof(err))) {
        disp_webui_error(req, 400, "%s", err);
        return;
    }
    if (d->role == DISP_STANDBY) {
        json_t *o = json_pack("{s:s, s:o}", "message",
                              "This dispatcher is a standby: the leading "
                              "dispatcher knows the drivers",
                              "leader", leader_view(d));
        disp_webui_json(req, 503, o);
        return;
    }
    struct disp_driver *drv = disp_driver_find(d, id);
    if (drv == NULL) {
        disp_webui_error(req, 404, "Cannot find driver %s", id);
        return;
    }
    json_t *o = disp_view_driver(drv, DISP_VIEW_HISTORY | DISP_VIEW_DETAIL);
    json_object_set_new(o, "frameworkId",
                        str_or_null(disp_webui_framework_id(d)));
    json_object_set_new(o, "sandbox", sandbox_view(d, drv));
    disp_webui_json(req, 200, o);
}
