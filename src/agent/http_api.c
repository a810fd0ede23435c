/* SPDX-License-Identifier: Apache-2.0
 *
 * http_api.c: the agent's HTTP routes.
 *
 *   POST /api/v1/executor             executor API (executor_api.c)
 *   POST /api/v1, /slave(1)/api/v1    operator API (operator_api.c)
 *   GET  /state, /slave(1)/state      agent state, v0 shape (?jsonp=)
 *   GET  /flags, /slave(1)/flags      effective flags (?jsonp=)
 *   GET  /health, /slave(1)/health    200, empty
 *   GET  /version                     build information
 *   GET  /metrics/snapshot            agent metrics, flat JSON (metrics.c)
 *   GET  /metrics                     the same, Prometheus text format
 *   GET  /files/browse, read, download, debug
 *
 * Loop thread only.
 */
#include "agent.h"
#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "files.h"
#include "model/resources.h"
#include "net/http.h"
#include "operator_api.h"
#include "task_state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utlist.h>

#define JSONP_MAX 256

static json_t *
res_v0(const json_t *arr)
{
    struct cr_resources r;
    cr_resources_init(&r);
    char err[128];
    if (json_is_array(arr))
        cr_resources_parse_json(&r, arr, NULL, err, sizeof(err));
    json_t *v = cr_resources_to_v0_json(&r);
    cr_resources_fini(&r);
    return v;
}

static json_t *
task_v0(struct agent *a, const struct executor *e, const struct task *t)
{
    json_t *o = json_object();
    const char *name = cr_json_str(t->info, "name");
    json_object_set_new(o, "id", json_string(t->id));
    json_object_set_new(o, "name", json_string(name ? name : ""));
    json_object_set_new(o, "framework_id", json_string(e->fw_id));
    json_object_set_new(
        o, "executor_id",
        json_string(e->command_executor && strcmp(e->id, t->id) == 0 ? ""
                                                                     : e->id));
    json_object_set_new(o, "slave_id", json_string(a->id ? a->id : ""));
    json_object_set_new(
        o, "state", json_string(task_state_name((enum task_state)t->state)));
    json_object_set_new(o, "resources",
                        res_v0(json_object_get(t->info, "resources")));
    json_t *sts = json_array();
    size_t i;
    json_t *s;
    json_array_foreach(t->statuses, i, s)
    {
        json_t *x = json_object();
        json_object_set(x, "state", json_object_get(s, "state"));
        json_object_set(x, "timestamp", json_object_get(s, "timestamp"));
        json_t *cs = json_object_get(s, "container_status");
        if (cs)
            json_object_set(x, "container_status", cs);
        json_array_append_new(sts, x);
    }
    json_object_set_new(o, "statuses", sts);
    json_t *role = json_object_get(
        json_object_get(
            json_array_get(json_object_get(t->info, "resources"), 0),
            "allocation_info"),
        "role");
    if (role)
        json_object_set(o, "role", role);
    json_t *labels = json_object_get(t->info, "labels");
    if (labels)
        json_object_set(o, "labels", labels);
    return o;
}

static json_t *
executor_v0(struct agent *a, const struct executor *e)
{
    json_t *o = json_object();
    const char *name = cr_json_str(e->info, "name");
    const char *source = cr_json_str(e->info, "source");
    json_object_set_new(o, "id", json_string(e->id));
    json_object_set_new(o, "name", json_string(name ? name : ""));
    json_object_set_new(o, "source", json_string(source ? source : ""));
    json_object_set_new(o, "container", json_string(e->cid));
    json_object_set_new(o, "directory", json_string(e->directory));
    json_object_set_new(
        o, "type", json_string(e->command_executor ? "DEFAULT" : "CUSTOM"));
    json_t *all = json_array();
    json_t *er = json_object_get(e->info, "resources");
    if (!e->command_executor && json_is_array(er))
        json_array_extend(all, er);
    json_t *tasks = json_array(), *queued = json_array(),
           *completed = json_array();
    const struct task *t;
    DL_FOREACH(e->order, t)
    {
        json_t *tr = json_object_get(t->info, "resources");
        if (json_is_array(tr) && !task_state_is_terminal(t->state))
            json_array_extend(all, tr);
        bool q = !t->launched && t->state == TS_STAGING;
        json_array_append_new(q ? queued : tasks, task_v0(a, e, t));
    }
    DL_FOREACH(e->completed, t)
    json_array_append_new(completed, task_v0(a, e, t));
    json_object_set_new(o, "resources", res_v0(all));
    json_decref(all);
    json_object_set_new(o, "tasks", tasks);
    json_object_set_new(o, "queued_tasks", queued);
    json_object_set_new(o, "completed_tasks", completed);
    json_t *labels = json_object_get(e->info, "labels");
    if (labels)
        json_object_set(o, "labels", labels);
    return o;
}

static json_t *
framework_v0(struct agent *a, const struct framework *f)
{
    json_t *o = json_object();
    const json_t *fi = f->info;
    static const char *const copy[] = {"name",      "user",      "hostname",
                                       "principal", "role",      "roles",
                                       "webui_url", "checkpoint"};
    json_object_set_new(o, "id", json_string(f->id));
    for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
        json_t *v = json_object_get(fi, copy[i]);
        if (v)
            json_object_set(o, copy[i], v);
    }
    double fo = 0;
    cr_json_num(fi, "failover_timeout", &fo);
    json_object_set_new(o, "failover_timeout", json_real(fo));
    json_t *caps = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(fi, "capabilities"), i, c)
    {
        json_t *ty = json_object_get(c, "type");
        if (json_is_string(ty))
            json_array_append(caps, ty);
    }
    json_object_set_new(o, "capabilities", caps);
    json_t *execs = json_array(), *done = json_array();
    struct executor *e, *tmp;
    HASH_ITER(hh, f->executors, e, tmp)
    json_array_append_new(execs, executor_v0(a, e));
    DL_FOREACH(f->completed, e)
    json_array_append_new(done, executor_v0(a, e));
    json_object_set_new(o, "executors", execs);
    json_object_set_new(o, "completed_executors", done);
    return o;
}

static json_t *
flags_json(struct agent *a)
{
    json_t *o = json_object();
    for (size_t i = 0; i < a->n_flags; i++)
        if (a->flags[i].value)
            json_object_set_new(o, a->flags[i].name,
                                json_string(a->flags[i].value));
    return o;
}

json_t *
http_api_state_json(struct agent *a)
{
    char pid[320];
    snprintf(pid, sizeof(pid), "slave(1)@%s:%d", a->endpoint_ip, a->port);
    json_t *o = json_object();
    json_object_set_new(o, "version", json_string(CR_VERSION));
    json_object_set_new(o, "build_date", json_string(__DATE__));
    json_object_set_new(o, "build_time", json_real(0));
    json_object_set_new(o, "build_user", json_string(""));
    json_object_set_new(o, "start_time", json_real(a->start_time));
    json_object_set_new(o, "id", json_string(a->id ? a->id : ""));
    json_object_set_new(o, "pid", json_string(pid));
    json_object_set_new(o, "hostname", json_string(a->hostname));
    json_object_set_new(o, "port", json_integer(a->port));
    json_object_set_new(o, "capabilities",
                        json_pack("[s,s,s,s]", "MULTI_ROLE",
                                  "HIERARCHICAL_ROLE", "TASK_KILLING_STATE",
                                  "RESERVATION_REFINEMENT"));
    json_object_set(o, "resources", a->resources_v0);
    json_object_set(o, "unreserved_resources", a->resources_v0);
    json_object_set_new(o, "reserved_resources", json_object());
    json_object_set(o, "attributes", a->attributes_v0);
    json_object_set_new(
        o, "master_hostname",
        json_string(a->link.master_hostname ? a->link.master_hostname : ""));
    if (a->fl.log_dir)
        json_object_set_new(o, "log_dir", json_string(a->fl.log_dir));
    json_object_set_new(o, "flags", flags_json(a));
    json_t *fws = json_array(), *done = json_array();
    struct framework *f, *tmp;
    HASH_ITER(hh, a->frameworks, f, tmp)
    json_array_append_new(fws, framework_v0(a, f));
    DL_FOREACH(a->completed_fws, f)
    json_array_append_new(done, framework_v0(a, f));
    json_object_set_new(o, "frameworks", fws);
    json_object_set_new(o, "completed_frameworks", done);
    return o;
}

static bool
jsonp_ok(const char *cb)
{
    for (const char *p = cb; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '$' ||
              c == '[' || c == ']'))
            return false;
    }
    return cb[0] != '\0';
}

/* Answer v (stolen), wrapped as cb(...) when ?jsonp=cb is given. */
static void
respond_jsonp(struct cr_http_req *req, json_t *v)
{
    char cb[JSONP_MAX];
    char *s = cr_json_dump(v);
    json_decref(v);
    if (cr_http_query_param(req->query, "jsonp", cb, sizeof(cb)) == 0) {
        if (!jsonp_ok(cb)) {
            cr_http_respond_text(req, 400, "Invalid 'jsonp' callback");
        } else {
            char *w = cr_xasprintf("%s(%s);", cb, s);
            cr_http_respond(req, 200, "text/javascript", w, strlen(w), NULL);
            free(w);
        }
    } else {
        cr_http_respond_json(req, 200, s, strlen(s));
    }
    free(s);
}

static void
respond_prometheus(struct agent *a, struct cr_http_req *req)
{
    struct cr_buf b;
    cr_buf_init(&b, 1u << 24);
    agent_metrics_prometheus(a, &b);
    cr_http_respond(req, 200, "text/plain; version=0.0.4", b.data, b.len, NULL);
    cr_buf_fini(&b);
}

static const char *
strip_prefix(const char *path)
{
    static const char *const prefixes[] = {"/slave(1)", "/slave%281%29"};
    for (size_t i = 0; i < 2; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(path, prefixes[i], n) == 0 &&
            (path[n] == '/' || path[n] == '\0'))
            return path + n;
    }
    return path;
}

void
http_api_handle(struct cr_http_req *req, void *data)
{
    struct agent *a = data;
    if (strcmp(req->path, "/api/v1/executor") == 0) {
        executor_api_handle(a, req);
        return;
    }
    if (strncmp(req->path, "/files/", 7) == 0) {
        files_handle(a->files, req, req->path + 7);
        return;
    }
    const char *p = strip_prefix(req->path);
    if (strcmp(p, "/api/v1") == 0) {
        operator_api_handle(a, req);
        return;
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0 &&
        strcmp(req->method, "POST") != 0) {
        cr_http_respond(req, 405, NULL, NULL, 0, "Allow: GET\r\n");
        return;
    }
    if (strcmp(p, "/state") == 0 || strcmp(p, "/state.json") == 0)
        respond_jsonp(req, http_api_state_json(a));
    else if (strcmp(p, "/flags") == 0)
        respond_jsonp(req, json_pack("{s:o}", "flags", flags_json(a)));
    else if (strcmp(p, "/health") == 0)
        cr_http_respond(req, 200, NULL, NULL, 0, NULL);
    else if (strcmp(p, "/version") == 0)
        respond_jsonp(req, json_pack("{s:s,s:s,s:f,s:s}", "version", CR_VERSION,
                                     "build_date", __DATE__, "build_time", 0.0,
                                     "build_user", ""));
    else if (strcmp(p, "/metrics/snapshot") == 0)
        respond_jsonp(req, agent_metrics_json(a));
    else if (strcmp(p, "/metrics") == 0)
        respond_prometheus(a, req);
    else
        cr_http_respond_text(req, 404, "");
}
