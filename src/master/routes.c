/* SPDX-License-Identifier: Apache-2.0
 *
 * routes.c: the master's HTTP routing table and the small classic
 * endpoints (/health, /version, /flags); /state, /frameworks, /slaves,
 * /tasks, /roles and /teardown are in classic_endpoints.c.
 *
 * Paths are matched with and without the "/master" prefix, as libprocess's
 * delegate rule makes upstream do. Classic JSON endpoints accept ?jsonp=.
 */
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "log/log.h"
#include "log/transport_http.h"
#include "master.h"
#include "net/api.h"
#include "operator_api.h"
#include "operator_config.h"
#include "registrar.h"
#include "state_doc.h"
#include "webui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
respond_json_value(struct cr_http_req *req, json_t *v)
{
    char cb[128];
    struct cr_buf b;
    cr_buf_init(&b, 1u << 30);
    bool jsonp =
        cr_http_query_param(req->query, "jsonp", cb, sizeof(cb)) == 0 && *cb;
    if (jsonp) {
        /* Only identifier characters: a callback name is not a place for
         * script injection. */
        for (char *p = cb; *p; p++)
            if (!(*p == '_' || *p == '.' || *p == '$' ||
                  (*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
                  (*p >= 'A' && *p <= 'Z'))) {
                cr_buf_fini(&b);
                cr_http_respond_text(req, 400, "Invalid jsonp callback name");
                return;
            }
        cr_buf_printf(&b, "%s(", cb);
    }
    cr_json_dump_buf(v, &b);
    if (jsonp)
        cr_buf_puts(&b, ");");
    cr_http_respond(req, 200, jsonp ? "text/javascript" : "application/json",
                    b.data, b.len, NULL);
    cr_buf_fini(&b);
}

static void
handle_version(struct cr_http_req *req)
{
    json_t *v = cr_api_version_info(true);
    respond_json_value(req, v);
    json_decref(v);
}

static void
handle_flags(struct master *m, struct cr_http_req *req)
{
    json_t *v = json_pack("{s:o}", "flags", master_flags_json(m));
    respond_json_value(req, v);
    json_decref(v);
}

static void
handle_metrics(struct master *m, struct cr_http_req *req, bool prometheus)
{
    if (!prometheus) {
        json_t *v = metrics_json(m);
        respond_json_value(req, v);
        json_decref(v);
        return;
    }
    struct cr_buf b;
    cr_buf_init(&b, 1u << 24);
    metrics_prometheus(m, &b);
    cr_http_respond(req, 200, "text/plain; version=0.0.4", b.data, b.len, NULL);
    cr_buf_fini(&b);
}

#define REGISTRY_PATH "/registrar(1)/registry"

/* GET /registrar(1)/registry: the leader's registry (registry.h's
 * snapshot shape). */
static void
handle_registry(struct master *m, struct cr_http_req *req)
{
    char *text = registry_to_json_text(registrar_registry(m->registrar));
    cr_http_respond_json(req, 200, text, strlen(text));
    free(text);
}

/* POST /corral/v1/log: every master's replica answers its peers. */
static void
handle_log(struct master *m, struct cr_http_req *req)
{
    cr_log_http_handle(m->log ? cr_log_local_replica(m->log) : NULL, req);
}

/* Paths only the leader serves; a standby redirects them. */
static bool
leader_only(const char *path)
{
    return strcmp(path, "/api/v1/scheduler") == 0 ||
           strcmp(path, "/corral/v1/agent") == 0 ||
           strcmp(path, "/api/v1") == 0 || strcmp(path, REGISTRY_PATH) == 0 ||
           strncmp(path, "/files/", 7) == 0; /* files_proxy.c */
}

/* Strip a leading "/master" so both spellings route alike. */
static const char *
canonical_path(const char *path)
{
    if (strncmp(path, "/master/", 8) == 0)
        return path + 7;
    return path;
}

void
master_handle_http(struct cr_http_req *req, void *data)
{
    struct master *m = data;
    const char *p = canonical_path(req->path);
    bool get =
        strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;

    cr_debug("%s %s from %s", req->method, req->path, req->peer);
    if (strcmp(req->path, CR_LOG_HTTP_PATH) == 0) {
        handle_log(m, req);
    } else if (leader_only(req->path) && master_is_recovering(m)) {
        cr_http_respond_text(req, 503, "Master has not finished recovery");
    } else if (leader_only(req->path) && !master_is_leader(m)) {
        master_redirect(m, req, true);
    } else if (get && strcmp(req->path, REGISTRY_PATH) == 0) {
        handle_registry(m, req);
    } else if (strcmp(req->path, "/api/v1/scheduler") == 0) {
        scheduler_api_handle(m, req);
    } else if (strcmp(req->path, "/api/v1") == 0) {
        operator_api_handle(m, req);
    } else if (strcmp(req->path, "/corral/v1/agent") == 0) {
        agent_api_handle(m, req);
    } else if (strcmp(p, "/health") == 0) {
        cr_http_respond(req, 200, NULL, NULL, 0, NULL);
    } else if (get && strcmp(p, "/version") == 0) {
        handle_version(req);
    } else if (get && strcmp(p, "/flags") == 0) {
        handle_flags(m, req);
    } else if (classic_config_owns(p)) {
        classic_config_handle(m, req, p); /* classic_config.c */
    } else if (classic_owns(p)) {
        classic_handle(m, req, p); /* classic_endpoints.c */
    } else if (get && strcmp(req->path, "/metrics/snapshot") == 0) {
        handle_metrics(m, req, false);
    } else if (get && strcmp(req->path, "/metrics") == 0) {
        handle_metrics(m, req, true);
    } else if (strncmp(req->path, "/files/", 7) == 0) {
        files_proxy_handle(m, req, req->path + 7);
    } else if (strcmp(p, "/redirect") == 0) {
        master_redirect(m, req, false);
    } else if (webui_owns(req->path)) {
        webui_handle(req);
    } else {
        cr_http_respond_text(req, 404, "Not Found");
    }
}
