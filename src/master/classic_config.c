/* SPDX-License-Identifier: Apache-2.0
 *
 * classic_config.c: the classic (pre-v1) endpoints of the configuration
 * the registry keeps, with upstream's paths and bodies:
 *
 *   GET  /maintenance/schedule      the Schedule
 *   POST /maintenance/schedule      body: a Schedule (replaces it)
 *   GET  /maintenance/status        ClusterStatus
 *   POST /machine/down, /machine/up body: [MachineID, ...]
 *   GET  /weights                   [{"role", "weight"}, ...]
 *   PUT  /weights                   body: [{"role", "weight"}, ...]
 *   GET  /quota                     QuotaStatus
 *   POST /reserve, /unreserve       form: slaveId=<id>&resources=<JSON>
 *
 * (each also under /master/...). Each one is turned into the v1 operator
 * call it stands for and answered by operator_config.c, so both APIs
 * validate, store and apply alike. Only the leader serves them; a standby
 * redirects. Loop thread only.
 */
#include "base/json.h"
#include "base/mem.h"
#include "operator_api.h"
#include "operator_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest form value accepted (a resources JSON array). */
#define FORM_VALUE_MAX (64u * 1024)

static void
respond_json(struct cr_http_req *req, json_t *v)
{
    char *text = cr_json_dump(v);
    cr_http_respond_json(req, 200, text, strlen(text));
    free(text);
    json_decref(v);
}

/* The request body as JSON, or NULL after a 400. */
static json_t *
body_json(struct cr_http_req *req)
{
    char err[200], msg[300];
    json_t *v = cr_json_parse(req->body, req->body_len, err, sizeof(err));
    if (v == NULL) {
        snprintf(msg, sizeof(msg), "Failed to parse the request body: %s", err);
        cr_http_respond_text(req, 400, msg);
    }
    return v;
}

/* Hand {"type": type, field: body} to operator_config.c; takes body. */
static void
as_call(struct master *m, struct cr_http_req *req, const char *type,
        const char *field, json_t *body)
{
    json_t *call = json_pack("{s:s, s:o}", "type", type, field, body);
    operator_config_handle(m, req, call, type);
    json_decref(call);
}

static void
machines(struct master *m, struct cr_http_req *req, bool down)
{
    json_t *ids = body_json(req);
    if (ids == NULL)
        return;
    as_call(m, req, down ? "START_MAINTENANCE" : "STOP_MAINTENANCE",
            down ? "start_maintenance" : "stop_maintenance",
            json_pack("{s:o}", "machines", ids));
}

static void
weights(struct master *m, struct cr_http_req *req, bool put)
{
    if (!put) {
        json_t *w = operator_get_weights(m);
        respond_json(req, json_incref(json_object_get(w, "weight_infos")));
        json_decref(w);
        return;
    }
    json_t *infos = body_json(req);
    if (infos)
        as_call(m, req, "UPDATE_WEIGHTS", "update_weights",
                json_pack("{s:o}", "weight_infos", infos));
}

/* slaveId and resources from a form body; 400 when missing or bad. */
static void
reservation(struct master *m, struct cr_http_req *req, bool reserve)
{
    char id[256];
    char *res = cr_xmalloc(FORM_VALUE_MAX);
    json_t *arr = NULL;
    if (cr_http_query_param(req->body, "slaveId", id, sizeof(id)) != 0 ||
        cr_http_query_param(req->body, "resources", res, FORM_VALUE_MAX) != 0) {
        cr_http_respond_text(req, 400,
                             "Expecting form parameters 'slaveId' and "
                             "'resources'");
    } else if ((arr = json_loads(res, 0, NULL)) == NULL ||
               !json_is_array(arr)) {
        cr_http_respond_text(req, 400,
                             "'resources' must be a JSON array of Resources");
    } else {
        as_call(m, req, reserve ? "RESERVE_RESOURCES" : "UNRESERVE_RESOURCES",
                reserve ? "reserve_resources" : "unreserve_resources",
                json_pack("{s:{s:s}, s:O}", "agent_id", "value", id,
                          "resources", arr));
    }
    json_decref(arr);
    free(res);
}

static const char *const paths[] = {
    "/maintenance/schedule",
    "/maintenance/status",
    "/machine/down",
    "/machine/up",
    "/weights",
    "/quota",
    "/reserve",
    "/unreserve",
};

bool
classic_config_owns(const char *path)
{
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (strcmp(path, paths[i]) == 0)
            return true;
    return false;
}

void
classic_config_handle(struct master *m, struct cr_http_req *req,
                      const char *path)
{
    bool get = strcmp(req->method, "GET") == 0;
    bool post = strcmp(req->method, "POST") == 0;
    if (master_is_recovering(m)) {
        cr_http_respond_text(req, 503, "Master has not finished recovery");
    } else if (!master_is_leader(m)) {
        master_redirect(m, req, true);
    } else if (strcmp(path, "/maintenance/schedule") == 0 && get) {
        respond_json(req, config_schedule_json(m));
    } else if (strcmp(path, "/maintenance/schedule") == 0 && post) {
        json_t *sched = body_json(req);
        if (sched)
            as_call(m, req, "UPDATE_MAINTENANCE_SCHEDULE",
                    "update_maintenance_schedule",
                    json_pack("{s:o}", "schedule", sched));
    } else if (strcmp(path, "/maintenance/status") == 0 && get) {
        respond_json(req, config_maintenance_status_json(m));
    } else if (strncmp(path, "/machine/", 9) == 0 && post) {
        machines(m, req, strcmp(path, "/machine/down") == 0);
    } else if (strcmp(path, "/weights") == 0 &&
               (get || strcmp(req->method, "PUT") == 0)) {
        weights(m, req, !get);
    } else if (strcmp(path, "/quota") == 0 && get) {
        json_t *q = config_get_quota(m);
        respond_json(req, json_incref(json_object_get(q, "status")));
        json_decref(q);
    } else if ((strcmp(path, "/reserve") == 0 ||
                strcmp(path, "/unreserve") == 0) &&
               post) {
        reservation(m, req, strcmp(path, "/reserve") == 0);
    } else {
        cr_http_respond_text(req, 405, "Method Not Allowed");
    }
}
