/* SPDX-License-Identifier: Apache-2.0
 *
 * rest.c: corral-dispatcher's REST submission server (Spark's protocol
 * v1, reference §2): create, status and kill, on top of the driver list.
 *
 * Answers by role (dispatcher_private.h):
 *   STANDBY: every create/status/kill gets HTTP 503 with an ErrorResponse
 *            naming the leading dispatcher (and "leaderAddress", a corral
 *            extension), or saying none is elected yet.
 *   not ready (subscribing, stopping): create/kill answer 200 with
 *            success:false "Scheduler is not ready to take requests";
 *            status too until the state is loaded.
 * A create or a kill of a queued/retrying driver is answered only once
 * its change is persisted (write-through): an acknowledged submission
 * survives a crash of the dispatcher.
 *
 * Threading: loop thread only.
 */
#include "base/buf.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "dispatcher_private.h"
#include "history.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define JSON_TYPE "application/json;charset=utf-8"
#define NOT_READY "Scheduler is not ready to take requests"
/* Room left in a record for its task, agent and status fields. */
#define RECORD_SLACK (64u * 1024)

static void
respond(struct cr_http_req *req, int status, json_t *resp)
{
    char *body = disp_response_dump(resp);
    cr_http_respond(req, status, JSON_TYPE, body, strlen(body), NULL);
    free(body);
    json_decref(resp);
}

static void
respond_error(struct dispatcher *d, struct cr_http_req *req, int status,
              const char *message, bool mismatch)
{
    json_t *r = disp_response_new("ErrorResponse", d->version);
    json_object_set_new(r, "message", json_string(message));
    if (mismatch)
        json_object_set_new(r, "highestProtocolVersion",
                            json_string(DISP_PROTOCOL_VERSION));
    respond(req, status, r);
}

/* A standby's answer to create, status and kill. */
static void
respond_standby(struct dispatcher *d, struct cr_http_req *req)
{
    json_t *r = disp_response_new("ErrorResponse", d->version);
    if (d->leader) {
        json_object_set_new(
            r, "message",
            json_sprintf("This dispatcher is a standby; the leading "
                         "dispatcher is at %s (submit with --master "
                         "mesos://%s)",
                         d->leader, d->leader));
        json_object_set_new(r, "leaderAddress", json_string(d->leader));
    } else {
        json_object_set_new(r, "message",
                            json_string("This dispatcher is a standby and no "
                                        "leading dispatcher is elected yet; "
                                        "try again"));
    }
    respond(req, 503, r);
}

static const char *
not_ready_message(const struct dispatcher *d)
{
    return d->fatal ? "Scheduler is not ready to take requests (the "
                      "dispatcher is stopping)"
                    : NOT_READY;
}

/* ---- create ---- */

/* The request as the driver keeps it: sparkProperties merged with the
 * dispatcher's spark.mesos.dispatcher.driverDefault.* (a submission's own
 * value wins). */
static json_t *
merged_request(const struct dispatcher *d, const json_t *body)
{
    json_t *req = json_pack(
        "{s:s, s:O, s:O, s:O, s:O, s:O}", "action", "CreateSubmissionRequest",
        "clientSparkVersion", json_object_get(body, "clientSparkVersion"),
        "appResource", json_object_get(body, "appResource"), "mainClass",
        json_object_get(body, "mainClass"), "appArgs",
        json_object_get(body, "appArgs"), "environmentVariables",
        json_object_get(body, "environmentVariables"));
    json_t *props = json_deep_copy(json_object_get(body, "sparkProperties"));
    const char *pre = "spark.mesos.dispatcher.driverDefault.";
    size_t plen = strlen(pre);
    const char *k;
    json_t *v;
    json_object_foreach(d->conf, k, v)
    {
        if (strncmp(k, pre, plen) == 0 && k[plen] &&
            json_object_get(props, k + plen) == NULL)
            json_object_set(props, k + plen, v);
    }
    json_object_set_new(req, "sparkProperties", props);
    return req;
}

/* 0, or a 400 message (owned) for an undeclared queue. */
static char *
check_queue(const struct dispatcher *d, const json_t *req, double *prio)
{
    const char *q =
        cr_json_str(json_object_get(req, "sparkProperties"), DISP_QUEUE_PROP);
    if (disp_queues_lookup(&d->queues, q, prio))
        return NULL;
    struct cr_buf b;
    cr_buf_init(&b, 4096);
    cr_buf_puts(&b, DISP_QUEUE_DEFAULT);
    for (size_t i = 0; i < d->queues.n; i++)
        cr_buf_printf(&b, ", %.100s", d->queues.names[i]);
    char *known = cr_buf_steal(&b);
    char *m = cr_xasprintf(
        "Malformed request: unknown queue '%.200s' in " DISP_QUEUE_PROP
        " (this dispatcher declares: %s; declare a queue with "
        "spark.mesos.dispatcher.queue.<name>=<priority>).",
        q, known);
    free(known);
    return m;
}

struct create_ctx {
    struct dispatcher *d;
    struct cr_http_req *req;
    struct disp_driver *drv;
    json_t *resp;
};

static void
on_create_persisted(void *arg, int rc)
{
    struct create_ctx *c = arg;
    struct dispatcher *d = c->d;
    if (rc == 0 && !d->closing) {
        struct disp_driver *drv = c->drv;
        disp_driver_append(d, drv);
        char *note = cr_xasprintf("submitted to queue %s", drv->queue);
        disp_driver_note(drv, drv->submitted, note);
        free(note);
        cr_info("queued driver %s (%s, queue %s): cpus %.2f mem %ld MB",
                drv->id, drv->app_name, drv->queue, drv->cores, drv->mem_mb);
        json_object_set_new(c->resp, "success", json_true());
        json_object_set_new(c->resp, "submissionId", json_string(drv->id));
        json_object_set_new(
            c->resp, "message",
            json_sprintf("Driver successfully submitted as %s", drv->id));
        disp_revive(d);
    } else {
        disp_driver_free(c->drv);
        json_object_set_new(c->resp, "success", json_false());
        json_object_set_new(c->resp, "message",
                            json_string("Scheduler is not ready to take "
                                        "requests (the submission could not "
                                        "be persisted)"));
    }
    respond(c->req, 200, c->resp);
    free(c);
}

/* A record too large for ZooKeeper: refuse before acknowledging. */
static bool
fits_record(const struct dispatcher *d, const struct disp_driver *drv)
{
    if (d->store == NULL)
        return true;
    size_t len = 0;
    char *enc = disp_record_encode(drv, &len);
    bool ok = enc != NULL && len + RECORD_SLACK <= DISP_RECORD_MAX;
    free(enc);
    return ok;
}

/* Accept a valid request (body) as a new driver. */
static void
create_driver(struct dispatcher *d, struct cr_http_req *req, json_t *body,
              json_t *r)
{
    json_t *merged = merged_request(d, body);
    double prio = 0;
    char *qerr = check_queue(d, merged, &prio);
    if (qerr) {
        respond_error(d, req, 400, qerr, false);
        free(qerr);
        json_decref(merged);
        json_decref(r);
        return;
    }
    unsigned long seq = d->id_counter + 1;
    char id[DISP_MAX_ID];
    disp_submission_id(id, sizeof(id), time(NULL), seq);
    struct disp_driver *drv = disp_driver_new(merged, id, seq, cr_wall_secs());
    json_decref(merged);
    if (drv == NULL) {
        respond_error(d, req, 400,
                      "Malformed request: the submission is not valid once "
                      "the dispatcher's spark.mesos.dispatcher.driverDefault.* "
                      "properties are applied.",
                      false);
        json_decref(r);
        return;
    }
    if (!fits_record(d, drv)) {
        disp_driver_free(drv);
        json_object_set_new(r, "success", json_false());
        json_object_set_new(
            r, "message",
            json_sprintf("The submission is too large to persist (at most "
                         "%u bytes)",
                         DISP_RECORD_MAX - RECORD_SLACK));
        respond(req, 200, r);
        return;
    }
    d->id_counter = seq;
    drv->priority = prio;
    disp_persist_counter(d, seq);
    disp_persist(d, drv, DISP_QUEUED);
    struct create_ctx *c = cr_xcalloc(1, sizeof(*c));
    *c = (struct create_ctx){.d = d, .req = req, .drv = drv, .resp = r};
    disp_persist_sync(d, on_create_persisted, c);
}

static void
handle_create(struct dispatcher *d, struct cr_http_req *req)
{
    char err[256], *msg = NULL;
    json_t *unknown = NULL;
    json_t *body = req->body_len ? cr_json_parse(req->body, req->body_len, err,
                                                 sizeof(err))
                                 : NULL;
    if (body == NULL) {
        char *m = cr_xasprintf("Malformed request: %s",
                               req->body_len ? err : "the request has no body");
        respond_error(d, req, 400, m, false);
        free(m);
        return;
    }
    int rc = disp_validate_create(body, &msg, &unknown);
    if (rc == 0 &&
        disp_driver_memory_mb(json_object_get(body, "sparkProperties")) < 0) {
        rc = 400;
        msg = cr_xstrdup("Malformed request: Property "
                         "'spark.driver.memoryOverhead' expected memory "
                         "value.");
    }
    if (rc != 0) {
        respond_error(d, req, rc, msg, false);
        free(msg);
        json_decref(body);
        return;
    }
    json_t *r = disp_response_new("CreateSubmissionResponse", d->version);
    if (unknown)
        json_object_set_new(r, "unknownFields", unknown);
    if (d->role == DISP_STANDBY) {
        json_decref(r);
        respond_standby(d, req);
    } else if (!d->ready) {
        json_object_set_new(r, "success", json_false());
        json_object_set_new(r, "message", json_string(not_ready_message(d)));
        respond(req, 200, r);
    } else if ((long)disp_count_state(d, DISP_LAUNCHED) >= d->max_drivers) {
        json_object_set_new(r, "success", json_false());
        json_object_set_new(
            r, "message",
            json_string("Already reached maximum submission size"));
        respond(req, 200, r);
    } else {
        create_driver(d, req, body, r);
    }
    json_decref(body);
}

/* ---- status ---- */

/* The TaskStatus as protobuf text, the way Spark prints it. */
static json_t *
status_text(const json_t *st)
{
    struct cr_buf b;
    cr_buf_init(&b, 64 * 1024);
    const char *v;
    if ((v = cr_json_id(st, "task_id")))
        cr_buf_printf(&b, "task_id {\n  value: \"%s\"\n}\n", v);
    if ((v = cr_json_str(st, "state")))
        cr_buf_printf(&b, "state: %s\n", v);
    if ((v = cr_json_str(st, "message"))) {
        char *q = json_dumps(json_object_get(st, "message"), JSON_ENCODE_ANY);
        cr_buf_printf(&b, "message: %s\n", q ? q : "\"\"");
        free(q);
    }
    if ((v = cr_json_id(st, "agent_id")))
        cr_buf_printf(&b, "slave_id {\n  value: \"%s\"\n}\n", v);
    double ts;
    if (cr_json_num(st, "timestamp", &ts))
        cr_buf_printf(&b, "timestamp: %.6f\n", ts);
    if ((v = cr_json_str(st, "source")))
        cr_buf_printf(&b, "source: %s\n", v);
    if ((v = cr_json_str(st, "reason")))
        cr_buf_printf(&b, "reason: %s\n", v);
    if (json_is_boolean(json_object_get(st, "healthy")))
        cr_buf_printf(&b, "healthy: %s\n",
                      cr_json_bool(st, "healthy", false) ? "true" : "false");
    char *s = cr_buf_steal(&b);
    json_t *out = json_string(s);
    free(s);
    return out;
}

static void
handle_status(struct dispatcher *d, struct cr_http_req *req, const char *id)
{
    if (d->role == DISP_STANDBY) {
        respond_standby(d, req);
        return;
    }
    json_t *r = disp_response_new("SubmissionStatusResponse", d->version);
    json_object_set_new(r, "submissionId", json_string(id));
    struct disp_driver *drv = disp_driver_find(d, id);
    static const char *const names[] = {"QUEUED", "RUNNING", "RETRYING",
                                        "FINISHED"};
    if (!d->loaded) {
        json_object_set_new(r, "success", json_false());
        json_object_set_new(r, "message", json_string(not_ready_message(d)));
    } else if (drv == NULL) {
        json_object_set_new(r, "success", json_false());
        json_object_set_new(r, "driverState", json_string("NOT_FOUND"));
    } else {
        json_object_set_new(r, "success", json_true());
        json_object_set_new(r, "driverState", json_string(names[drv->state]));
        if (drv->last_status) {
            json_object_set_new(r, "message", status_text(drv->last_status));
            json_object_set(r, "mesosTaskState",
                            json_object_get(drv->last_status, "state"));
        }
        if (drv->state != DISP_QUEUED && drv->task_id[0])
            json_object_set_new(r, "mesosTaskId", json_string(drv->task_id));
        if (drv->retries > 0)
            json_object_set_new(r, "retries", json_integer(drv->retries));
        json_object_set_new(r, "queue", json_string(drv->queue));
    }
    respond(req, 200, r);
}

/* ---- kill ---- */

struct kill_ctx {
    struct cr_http_req *req;
    json_t *resp;
};

static void
on_kill_persisted(void *arg, int rc)
{
    struct kill_ctx *k = arg;
    if (rc != 0) {
        json_object_set_new(k->resp, "success", json_false());
        json_object_set_new(k->resp, "message",
                            json_string("Scheduler is not ready to take "
                                        "requests (the removal could not "
                                        "be persisted)"));
    }
    respond(k->req, 200, k->resp);
    free(k);
}

/* Remove a queued or retrying driver; the answer waits for the delete. */
static void
remove_waiting(struct dispatcher *d, struct disp_driver *drv,
               struct cr_http_req *req, json_t *r, const char *msg)
{
    enum disp_drv_state st = drv->state;
    disp_forget(d, st, drv->id);
    disp_driver_remove(d, drv);
    if (st == DISP_RETRYING)
        disp_arm_retry_timer(d);
    disp_maybe_suppress(d);
    json_object_set_new(r, "success", json_true());
    json_object_set_new(r, "message", json_string(msg));
    struct kill_ctx *k = cr_xcalloc(1, sizeof(*k));
    k->req = req;
    k->resp = r;
    disp_persist_sync(d, on_kill_persisted, k);
}

static void
handle_kill(struct dispatcher *d, struct cr_http_req *req, const char *id)
{
    if (d->role == DISP_STANDBY) {
        respond_standby(d, req);
        return;
    }
    json_t *r = disp_response_new("KillSubmissionResponse", d->version);
    json_object_set_new(r, "submissionId", json_string(id));
    struct disp_driver *drv = d->ready ? disp_driver_find(d, id) : NULL;
    bool ok = false;
    const char *msg = "Cannot find driver";
    if (!d->ready) {
        msg = not_ready_message(d);
    } else if (drv && drv->state == DISP_QUEUED) {
        remove_waiting(d, drv, req, r,
                       "Removed driver while it's still pending");
        return;
    } else if (drv && drv->state == DISP_RETRYING) {
        remove_waiting(d, drv, req, r,
                       "Removed driver while it's being retried");
        return;
    } else if (drv && drv->state == DISP_LAUNCHED) {
        if (cr_sched_kill(d->sched, drv->task_id, drv->agent_id, -1, NULL,
                          NULL) != 0) {
            msg = "Cannot reach the master to kill the driver; try again";
        } else {
            drv->killed = true;
            ok = true;
            msg = "Killing running driver";
            disp_driver_note(drv, cr_wall_secs(), "kill requested");
        }
    } else if (drv) {
        msg = "Driver already terminated";
    }
    json_object_set_new(r, "success", json_boolean(ok));
    json_object_set_new(r, "message", json_string(msg));
    respond(req, 200, r);
}

void
disp_on_request(struct cr_http_req *req, void *data)
{
    struct dispatcher *d = data;
    struct disp_route r;
    disp_route(req->method, req->path, &r);
    switch (r.action) {
    case DISP_ROUTE_ERROR:
        respond_error(d, req, r.status, r.message, r.version_mismatch);
        break;
    case DISP_ROUTE_METHOD:
        cr_http_respond(req, 405, "text/plain", "HTTP method not allowed\n", 24,
                        NULL);
        break;
    case DISP_ROUTE_CREATE:
        handle_create(d, req);
        break;
    case DISP_ROUTE_STATUS:
        handle_status(d, req, r.id);
        break;
    case DISP_ROUTE_KILL:
        handle_kill(d, req, r.id);
        break;
    }
}
