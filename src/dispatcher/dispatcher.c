/* SPDX-License-Identifier: Apache-2.0
 *
 * dispatcher.c: corral-dispatcher's state machine, its Mesos framework and
 * its REST server (Spark's MesosClusterDispatcher behaviour, reference §3).
 *
 * Drivers live in one list in submission order (so "queue order" is list
 * order; priorities come later). Each driver is in exactly one state:
 *   QUEUED -> LAUNCHED -> FINISHED            (terminal Mesos state)
 *                      -> RETRYING -> LAUNCHED (supervised, FAILED/LOST)
 * A kill removes QUEUED and RETRYING drivers at once (status: NOT_FOUND, as
 * in Spark) and asks Mesos to kill a LAUNCHED one (FINISHED on TASK_KILLED,
 * never relaunched). FINISHED drivers are kept up to
 * spark.mesos.retainedDrivers, the oldest 10% evicted when full.
 *
 * Offers: due retries first, then queued drivers, each on the first offer
 * of the batch with enough cpus and mem (summed over roles), several per
 * offer; unused offers are declined for spark.mesos.rejectOfferDuration.
 * Offers are suppressed while nothing waits and revived on new work (a
 * submission, or a retry whose back-off expired: a timer).
 *
 * Ownership: the dispatcher owns its drivers, the scheduler and the HTTP
 * server. Threading: loop thread only.
 */
#include "dispatcher.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/http_server.h"
#include "protocol.h"
#include "scheduler/scheduler.h"

#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define JSON_TYPE       "application/json;charset=utf-8"
#define NOT_READY       "Scheduler is not ready to take requests"
#define FAILOVER_MAX    2147483647.0
#define EPS             1e-9
#define MAX_WAIT_DEF    60.0
#define REFUSE_DEF      120.0
#define RETAINED_DEF    200
#define MAX_DRIVERS_DEF 200

enum drv_state { DRV_QUEUED, DRV_LAUNCHED, DRV_RETRYING, DRV_FINISHED };

struct driver {
    char id[DISP_MAX_ID];
    char task_id[DISP_MAX_ID + 32];
    char *app_name, *main_class, *app_resource;
    json_t *args, *props, *env; /* owned */
    double cores;
    long mem_mb;
    bool supervise, killed;
    enum drv_state state;
    char *agent_id;      /* of the current or last task */
    json_t *last_status; /* last TaskStatus, owned */
    int retries;
    double wait, next_retry; /* back-off (s) and when (wall s) */
    unsigned long finish_seq;
    struct driver *next;
};

struct dispatcher {
    uv_loop_t *loop;
    char *host, *master, *name, *version;
    int port;
    json_t *conf;
    struct cr_http_server *http;
    struct cr_sched *sched;
    uv_timer_t retry_timer;
    bool ready, failed, suppressed;
    char *failure;
    struct driver *drivers, **tail;
    unsigned long id_counter, finish_counter;
    double refuse_secs, max_wait;
    long retained, max_drivers;
    int pending_closes;
    void (*close_cb)(void *);
    void *close_arg;
};

/* ---- configuration ---- */

static const char *
conf_str(const struct dispatcher *d, const char *key)
{
    return json_string_value(json_object_get(d->conf, key));
}

/* Spark time strings ("120s", "2min", "500ms"; bare numbers: def_unit). */
static double
conf_secs(const struct dispatcher *d, const char *key, double def)
{
    const char *v = conf_str(d, key);
    if (v == NULL)
        return def;
    char *end = NULL;
    double x = strtod(v, &end);
    if (end == v || x < 0)
        return def;
    static const struct {
        const char *u;
        double mult;
    } units[] = {{"", 1},   {"s", 1},    {"ms", 1e-3}, {"us", 1e-6},
                 {"m", 60}, {"min", 60}, {"h", 3600},  {"d", 86400}};
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (strcmp(end, units[i].u) == 0)
            return x * units[i].mult;
    cr_warn("ignoring bad time value %s=%s", key, v);
    return def;
}

static long
conf_long(const struct dispatcher *d, const char *key, long def)
{
    const char *v = conf_str(d, key);
    double x;
    if (v == NULL || disp_parse_double(v, &x) != 0 || x < 0 || x > 1e9)
        return def;
    return (long)x;
}

/* ---- drivers ---- */

static void
driver_free(struct driver *drv)
{
    if (drv == NULL)
        return;
    free(drv->app_name);
    free(drv->main_class);
    free(drv->app_resource);
    json_decref(drv->args);
    json_decref(drv->props);
    json_decref(drv->env);
    free(drv->agent_id);
    json_decref(drv->last_status);
    free(drv);
}

static struct driver *
driver_find(struct dispatcher *d, const char *id)
{
    for (struct driver *x = d->drivers; x; x = x->next)
        if (strcmp(x->id, id) == 0)
            return x;
    return NULL;
}

static void
driver_remove(struct dispatcher *d, struct driver *drv)
{
    struct driver **pp = &d->drivers;
    while (*pp && *pp != drv)
        pp = &(*pp)->next;
    if (*pp == NULL)
        return;
    *pp = drv->next;
    if (d->tail == &drv->next)
        d->tail = pp;
    driver_free(drv);
}

static size_t
count_state(const struct dispatcher *d, enum drv_state st)
{
    size_t n = 0;
    for (const struct driver *x = d->drivers; x; x = x->next)
        n += x->state == st;
    return n;
}

static bool
has_due_work(const struct dispatcher *d, double now)
{
    for (const struct driver *x = d->drivers; x; x = x->next)
        if (x->state == DRV_QUEUED ||
            (x->state == DRV_RETRYING && x->next_retry <= now))
            return true;
    return false;
}

/* Drop the oldest finished drivers beyond spark.mesos.retainedDrivers. */
static void
retain_finished(struct dispatcher *d)
{
    long n = (long)count_state(d, DRV_FINISHED);
    if (n <= d->retained)
        return;
    long drop = d->retained / 10 > 1 ? d->retained / 10 : 1;
    while (drop-- > 0) {
        struct driver *old = NULL;
        for (struct driver *x = d->drivers; x; x = x->next)
            if (x->state == DRV_FINISHED &&
                (old == NULL || x->finish_seq < old->finish_seq))
                old = x;
        if (old == NULL)
            break;
        driver_remove(d, old);
    }
}

static void
driver_finish(struct dispatcher *d, struct driver *drv)
{
    drv->state = DRV_FINISHED;
    drv->finish_seq = ++d->finish_counter;
    cr_info("driver %s finished", drv->id);
    retain_finished(d);
}

/* ---- offers ---- */

static void
revive(struct dispatcher *d)
{
    if (cr_sched_revive(d->sched, NULL, 0, NULL, NULL) == 0)
        d->suppressed = false;
}

static void
maybe_suppress(struct dispatcher *d)
{
    if (d->suppressed || has_due_work(d, cr_wall_secs()))
        return;
    if (cr_sched_suppress(d->sched, NULL, 0, NULL, NULL) == 0)
        d->suppressed = true;
}

struct slot {
    const char *offer_id;
    const json_t *agent_id;
    json_t *res; /* remaining resources (copy) */
    json_t *tasks;
};

static double
slot_sum(const struct slot *s, const char *name)
{
    double sum = 0;
    size_t i;
    const json_t *r;
    json_array_foreach(s->res, i, r)
    {
        double v;
        if (!strcmp(cr_json_str(r, "name") ? cr_json_str(r, "name") : "",
                    name) &&
            cr_json_num(json_object_get(r, "scalar"), "value", &v))
            sum += v;
    }
    return sum;
}

/* Take amount of a scalar from the slot, in offer order, appending the
 * pieces (with their roles/reservations) to out. */
static void
slot_take(struct slot *s, const char *name, double amount, json_t *out)
{
    size_t i;
    json_t *r;
    json_array_foreach(s->res, i, r)
    {
        const char *n = cr_json_str(r, "name");
        json_t *sc = json_object_get(r, "scalar");
        double v;
        if (amount <= EPS || n == NULL || strcmp(n, name) ||
            !cr_json_num(sc, "value", &v) || v <= EPS)
            continue;
        double take = v < amount ? v : amount;
        json_t *piece = json_deep_copy(r);
        json_object_set_new(json_object_get(piece, "scalar"), "value",
                            json_real(take));
        json_array_append_new(out, piece);
        json_object_set_new(sc, "value", json_real(v - take));
        amount -= take;
    }
}

static json_t *
driver_env(const struct dispatcher *d, const struct driver *drv)
{
    json_t *vars = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(drv->props, k, v)
    {
        if (strncmp(k, "spark.mesos.driverEnv.", 22) == 0 && k[22])
            json_array_append_new(
                vars, json_pack("{s:s, s:O}", "name", k + 22, "value", v));
    }
    const char *opts = NULL;
    json_object_foreach(drv->env, k, v)
    {
        if (strcmp(k, "SPARK_SUBMIT_OPTS") == 0)
            opts = json_string_value(v);
        else
            json_array_append_new(
                vars, json_pack("{s:s, s:O}", "name", k, "value", v));
    }
    const char *fw = cr_sched_framework_id(d->sched);
    char *so = cr_xasprintf("%s -Dspark.mesos.driver.frameworkId=%s-%s",
                            opts ? opts : "", fw ? fw : "", drv->task_id);
    json_array_append_new(vars, json_pack("{s:s, s:s}", "name",
                                          "SPARK_SUBMIT_OPTS", "value", so));
    free(so);
    return json_pack("{s:o}", "variables", vars);
}

static const char *
executor_uri(const struct driver *drv)
{
    const char *u =
        json_string_value(json_object_get(drv->props, "spark.executor.uri"));
    return u ? u
             : json_string_value(
                   json_object_get(drv->env, "SPARK_EXECUTOR_URI"));
}

static const char *
spark_home(const struct dispatcher *d, const struct driver *drv)
{
    const char *h = json_string_value(
        json_object_get(drv->props, "spark.mesos.executor.home"));
    if (h == NULL)
        h = conf_str(d, "spark.home");
    if (h == NULL)
        h = getenv("SPARK_HOME");
    return h && *h ? h : NULL;
}

static json_t *
driver_uris(const struct driver *drv, bool spark_mode)
{
    json_t *uris = json_array();
    if (!spark_mode)
        return uris;
    const char *r = drv->app_resource;
    if (strncmp(r, "local:", 6) != 0) {
        if (strncmp(r, "file:", 5) == 0)
            r += 5;
        json_array_append_new(uris, json_pack("{s:s}", "value", r));
    }
    const char *eu = executor_uri(drv);
    if (eu)
        json_array_append_new(uris, json_pack("{s:s}", "value", eu));
    return uris;
}

/* The TaskInfo for drv on slot, or NULL when the command cannot be built. */
static json_t *
driver_task(struct dispatcher *d, struct driver *drv, struct slot *s)
{
    const char *eu = executor_uri(drv), *home = spark_home(d, drv);
    struct disp_cmd_input in = {
        .app_name = drv->app_name,
        .main_class = drv->main_class,
        .app_resource = drv->app_resource,
        .app_args = drv->args,
        .props = drv->props,
        .master = d->master,
        .cores = drv->cores,
        .mem_mb = drv->mem_mb,
        .spark_home = eu ? NULL : home,
        .executor_uri = eu,
    };
    char *cmd = disp_driver_command(&in);
    if (cmd == NULL)
        return NULL;
    json_t *res = json_array();
    slot_take(s, "cpus", drv->cores, res);
    slot_take(s, "mem", (double)drv->mem_mb, res);
    char *name = cr_xasprintf("Driver for %s", drv->app_name);
    json_t *task = json_pack(
        "{s:s, s:{s:s}, s:O, s:o, s:{s:b, s:s, s:o, s:o}}", "name", name,
        "task_id", "value", drv->task_id, "agent_id", s->agent_id, "resources",
        res, "command", "shell", 1, "value", cmd, "environment",
        driver_env(d, drv), "uris", driver_uris(drv, eu || home));
    free(name);
    free(cmd);
    return task;
}

static void
launch_on(struct dispatcher *d, struct driver *drv, struct slot *s)
{
    if (drv->retries > 0)
        snprintf(drv->task_id, sizeof(drv->task_id), "%s-retry-%d", drv->id,
                 drv->retries);
    else
        snprintf(drv->task_id, sizeof(drv->task_id), "%s", drv->id);
    json_t *task = driver_task(d, drv, s);
    if (task == NULL) {
        cr_warn("driver %s: cannot build its task; retired", drv->id);
        driver_finish(d, drv);
        return;
    }
    json_array_append_new(s->tasks, task);
    drv->state = DRV_LAUNCHED;
    free(drv->agent_id);
    drv->agent_id = cr_xstrdup(cr_json_id(task, "agent_id"));
    json_decref(drv->last_status);
    drv->last_status = NULL;
    cr_info("launching driver %s as task %s on agent %s", drv->id, drv->task_id,
            drv->agent_id);
}

static void
place(struct dispatcher *d, struct driver *drv, struct slot *slots, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (slot_sum(&slots[i], "cpus") + EPS >= drv->cores &&
            slot_sum(&slots[i], "mem") + EPS >= (double)drv->mem_mb) {
            launch_on(d, drv, &slots[i]);
            return;
        }
    }
}

static void
match_offers(struct dispatcher *d, struct slot *slots, size_t n)
{
    double now = cr_wall_secs();
    struct driver *next;
    for (struct driver *x = d->drivers; x; x = next) {
        next = x->next; /* a failed build may retire (and evict) drivers */
        if (x->state == DRV_RETRYING && x->next_retry <= now)
            place(d, x, slots, n);
    }
    for (struct driver *x = d->drivers; x; x = next) {
        next = x->next;
        if (x->state == DRV_QUEUED)
            place(d, x, slots, n);
    }
}

static void
on_offers(struct cr_sched *s, void *data, json_t *offers)
{
    struct dispatcher *d = data;
    size_t n = json_array_size(offers);
    struct slot *slots = cr_xcalloc(n, sizeof(*slots));
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(offers, i);
        slots[i].offer_id = cr_json_id(o, "id");
        slots[i].agent_id = json_object_get(o, "agent_id");
        json_t *r = json_object_get(o, "resources");
        slots[i].res = json_is_array(r) ? json_deep_copy(r) : json_array();
        slots[i].tasks = json_array();
    }
    match_offers(d, slots, n);
    for (size_t i = 0; i < n; i++) {
        const char *id = slots[i].offer_id;
        if (id != NULL && json_array_size(slots[i].tasks) > 0) {
            if (cr_sched_launch(s, &id, 1, slots[i].tasks, -1, NULL, NULL))
                cr_warn("cannot launch on offer %s", id);
            slots[i].tasks = NULL; /* taken */
        } else if (id != NULL) {
            cr_sched_decline(s, &id, 1, d->refuse_secs, NULL, NULL);
        }
        json_decref(slots[i].tasks);
        json_decref(slots[i].res);
    }
    free(slots);
    maybe_suppress(d);
}

/* ---- retries ---- */

static void arm_retry_timer(struct dispatcher *d);

static void
on_retry_timer(uv_timer_t *t)
{
    struct dispatcher *d = t->data;
    if (has_due_work(d, cr_wall_secs()))
        revive(d);
    arm_retry_timer(d);
}

static void
arm_retry_timer(struct dispatcher *d)
{
    double now = cr_wall_secs(), first = -1;
    for (const struct driver *x = d->drivers; x; x = x->next)
        if (x->state == DRV_RETRYING && x->next_retry > now &&
            (first < 0 || x->next_retry < first))
            first = x->next_retry;
    uv_timer_stop(&d->retry_timer);
    if (first >= 0)
        uv_timer_start(&d->retry_timer, on_retry_timer,
                       (uint64_t)((first - now) * 1000.0) + 1, 0);
}

static void
driver_retry(struct dispatcher *d, struct driver *drv)
{
    drv->retries++;
    drv->wait = drv->retries == 1 ? 1.0 : fmin(d->max_wait, drv->wait * 2);
    drv->next_retry = cr_wall_secs() + drv->wait;
    drv->state = DRV_RETRYING;
    cr_info("driver %s failed; relaunch %d in %.0f s", drv->id, drv->retries,
            drv->wait);
    arm_retry_timer(d);
}

/* ---- status updates ---- */

static bool
state_terminal(const char *st)
{
    return cr_sched_task_state_is_terminal(st) ||
           !strcmp(st, "TASK_UNREACHABLE") || !strcmp(st, "TASK_UNKNOWN");
}

static void
on_update(struct cr_sched *s, void *data, json_t *status)
{
    struct dispatcher *d = data;
    const char *tid = cr_json_id(status, "task_id");
    const char *st = cr_json_str(status, "state");
    char sub[DISP_MAX_ID];
    struct driver *drv = NULL;
    if (tid != NULL && st != NULL) {
        disp_task_submission(tid, sub, sizeof(sub));
        drv = driver_find(d, sub);
    }
    if (drv == NULL || drv->state != DRV_LAUNCHED ||
        strcmp(drv->task_id, tid) != 0) {
        cr_info("ignoring update %s for task %s", st ? st : "?",
                tid ? tid : "?");
    } else {
        json_decref(drv->last_status);
        drv->last_status = json_deep_copy(status);
        if (state_terminal(st)) {
            bool relaunch =
                drv->supervise && !drv->killed &&
                (!strcmp(st, "TASK_FAILED") || !strcmp(st, "TASK_LOST"));
            if (relaunch)
                driver_retry(d, drv);
            else
                driver_finish(d, drv);
        }
    }
    cr_sched_ack_update(s, status, NULL, NULL);
}

static void
reconcile_launched(struct dispatcher *d)
{
    json_t *tasks = json_array();
    for (const struct driver *x = d->drivers; x; x = x->next)
        if (x->state == DRV_LAUNCHED && x->agent_id)
            json_array_append_new(
                tasks, json_pack("{s:{s:s}, s:{s:s}}", "task_id", "value",
                                 x->task_id, "agent_id", "value", x->agent_id));
    if (json_array_size(tasks) == 0) {
        json_decref(tasks);
        return;
    }
    cr_sched_reconcile(d->sched, tasks, NULL, NULL);
}

static void
on_subscribed(struct cr_sched *s, void *data, json_t *sub)
{
    struct dispatcher *d = data;
    (void)sub;
    cr_info("subscribed as framework %s", cr_sched_framework_id(s));
    d->ready = true;
    d->suppressed = false;
    reconcile_launched(d);
    if (has_due_work(d, cr_wall_secs()))
        revive(d);
    else
        maybe_suppress(d);
}

static void
on_error(struct cr_sched *s, void *data, const char *message)
{
    struct dispatcher *d = data;
    (void)s;
    cr_error("framework failed: %s", message);
    d->failed = true;
    d->ready = false;
    free(d->failure);
    d->failure = cr_xstrdup(message);
}

static void
on_disconnected(struct cr_sched *s, void *data, const char *reason)
{
    (void)data;
    cr_warn("disconnected from the master (%s): %s", reason,
            cr_sched_state_name(cr_sched_state(s)));
}

/* ---- REST ---- */

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

static const char *
not_ready_message(const struct dispatcher *d)
{
    return d->failed ? "Scheduler is not ready to take requests (framework "
                       "failed; restart the dispatcher)"
                     : NOT_READY;
}

static struct driver *
driver_new(struct dispatcher *d, const json_t *req)
{
    struct driver *drv = cr_xcalloc(1, sizeof(*drv));
    drv->props = json_deep_copy(json_object_get(req, "sparkProperties"));
    const char *k;
    json_t *v;
    const char *pre = "spark.mesos.dispatcher.driverDefault.";
    json_object_foreach(d->conf, k, v)
    {
        if (strncmp(k, pre, strlen(pre)) == 0 && k[strlen(pre)] &&
            json_object_get(drv->props, k + strlen(pre)) == NULL)
            json_object_set(drv->props, k + strlen(pre), v);
    }
    drv->args = json_deep_copy(json_object_get(req, "appArgs"));
    drv->env = json_deep_copy(json_object_get(req, "environmentVariables"));
    drv->app_name = cr_xstrdup(cr_json_str(drv->props, "spark.app.name"));
    drv->main_class = cr_xstrdup(cr_json_str(req, "mainClass"));
    drv->app_resource = cr_xstrdup(cr_json_str(req, "appResource"));
    drv->cores = 1.0;
    const char *c = cr_json_str(drv->props, "spark.driver.cores");
    if (c)
        disp_parse_double(c, &drv->cores);
    const char *sv = cr_json_str(drv->props, "spark.driver.supervise");
    if (sv)
        disp_parse_bool(sv, &drv->supervise);
    drv->mem_mb = disp_driver_memory_mb(drv->props);
    disp_submission_id(drv->id, sizeof(drv->id), time(NULL), ++d->id_counter);
    drv->state = DRV_QUEUED;
    return drv;
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
    if (!d->ready) {
        json_object_set_new(r, "success", json_false());
        json_object_set_new(r, "message", json_string(not_ready_message(d)));
    } else if ((long)count_state(d, DRV_LAUNCHED) >= d->max_drivers) {
        json_object_set_new(r, "success", json_false());
        json_object_set_new(
            r, "message",
            json_string("Already reached maximum submission size"));
    } else {
        struct driver *drv = driver_new(d, body);
        *d->tail = drv;
        d->tail = &drv->next;
        cr_info("queued driver %s (%s): cpus %.2f mem %ld MB", drv->id,
                drv->app_name, drv->cores, drv->mem_mb);
        json_object_set_new(r, "success", json_true());
        json_object_set_new(r, "submissionId", json_string(drv->id));
        json_object_set_new(
            r, "message",
            json_sprintf("Driver successfully submitted as %s", drv->id));
        revive(d);
    }
    json_decref(body);
    respond(req, 200, r);
}

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
    json_t *r = disp_response_new("SubmissionStatusResponse", d->version);
    json_object_set_new(r, "submissionId", json_string(id));
    struct driver *drv = driver_find(d, id);
    static const char *const names[] = {"QUEUED", "RUNNING", "RETRYING",
                                        "FINISHED"};
    if (!d->ready && !d->failed && d->id_counter == 0) {
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
        if (drv->state != DRV_QUEUED)
            json_object_set_new(r, "mesosTaskId", json_string(drv->task_id));
        if (drv->retries > 0)
            json_object_set_new(r, "retries", json_integer(drv->retries));
    }
    respond(req, 200, r);
}

static const char *
kill_driver(struct dispatcher *d, struct driver *drv, bool *ok)
{
    *ok = true;
    switch (drv->state) {
    case DRV_QUEUED:
        driver_remove(d, drv);
        maybe_suppress(d);
        return "Removed driver while it's still pending";
    case DRV_RETRYING:
        driver_remove(d, drv);
        arm_retry_timer(d);
        maybe_suppress(d);
        return "Removed driver while it's being retried";
    case DRV_LAUNCHED:
        if (cr_sched_kill(d->sched, drv->task_id, drv->agent_id, -1, NULL,
                          NULL) != 0) {
            *ok = false;
            return "Cannot reach the master to kill the driver; try again";
        }
        drv->killed = true;
        return "Killing running driver";
    case DRV_FINISHED:
        break;
    }
    *ok = false;
    return "Driver already terminated";
}

static void
handle_kill(struct dispatcher *d, struct cr_http_req *req, const char *id)
{
    json_t *r = disp_response_new("KillSubmissionResponse", d->version);
    json_object_set_new(r, "submissionId", json_string(id));
    struct driver *drv = driver_find(d, id);
    bool ok = false;
    const char *msg;
    if (!d->ready)
        msg = not_ready_message(d);
    else if (drv == NULL)
        msg = "Cannot find driver";
    else
        msg = kill_driver(d, drv, &ok);
    json_object_set_new(r, "success", json_boolean(ok));
    json_object_set_new(r, "message", json_string(msg));
    respond(req, 200, r);
}

static void
on_request(struct cr_http_req *req, void *data)
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

/* ---- life cycle ---- */

static json_t *
framework_info(const struct disp_config *cfg)
{
    const char *user = getenv("SPARK_USER");
    struct passwd *pw = getpwuid(getuid());
    if (user == NULL)
        user = pw ? pw->pw_name : "root";
    char host[256] = "localhost";
    const char *pub = getenv("SPARK_PUBLIC_DNS");
    if (pub)
        snprintf(host, sizeof(host), "%s", pub);
    else
        gethostname(host, sizeof(host) - 1);
    json_t *fi = json_pack("{s:s, s:s, s:b, s:f, s:s}", "user", user, "name",
                           cfg->name, "checkpoint", 1, "failover_timeout",
                           FAILOVER_MAX, "hostname", host);
    const char *role =
        json_string_value(json_object_get(cfg->conf, "spark.mesos.role"));
    const char *principal =
        json_string_value(json_object_get(cfg->conf, "spark.mesos.principal"));
    const char *ui = json_string_value(
        json_object_get(cfg->conf, "spark.mesos.dispatcher.webui.url"));
    if (role)
        json_object_set_new(fi, "roles", json_pack("[s]", role));
    if (role)
        json_object_set_new(fi, "capabilities",
                            json_pack("[{s:s}]", "type", "MULTI_ROLE"));
    if (principal)
        json_object_set_new(fi, "principal", json_string(principal));
    if (ui)
        json_object_set_new(fi, "webui_url", json_string(ui));
    return fi;
}

struct dispatcher *
disp_new(uv_loop_t *loop, const struct disp_config *cfg)
{
    struct dispatcher *d = cr_xcalloc(1, sizeof(*d));
    d->loop = loop;
    d->host = cr_xstrdup(cfg->host);
    d->port = cfg->port;
    d->master = cr_xstrdup(cfg->master);
    d->name = cr_xstrdup(cfg->name);
    d->conf = json_deep_copy(cfg->conf);
    d->tail = &d->drivers;
    const char *ver = conf_str(d, "spark.corral.dispatcher.sparkVersion");
    d->version = cr_xstrdup(ver ? ver : DISP_DEFAULT_SPARK_VERSION);
    d->refuse_secs =
        conf_secs(d, "spark.mesos.rejectOfferDuration", REFUSE_DEF);
    d->max_wait =
        conf_secs(d, "spark.mesos.cluster.retry.wait.max", MAX_WAIT_DEF);
    if (d->max_wait < 1)
        d->max_wait = 1;
    d->retained =
        conf_long(d, "spark.mesos.retainedDrivers",
                  conf_long(d, "spark.deploy.retainedDrivers", RETAINED_DEF));
    d->max_drivers = conf_long(d, "spark.mesos.maxDrivers", MAX_DRIVERS_DEF);
    struct cr_sched_callbacks cbs = {
        .subscribed = on_subscribed,
        .offers = on_offers,
        .update = on_update,
        .error = on_error,
        .disconnected = on_disconnected,
    };
    json_t *fi = framework_info(cfg);
    d->sched = cr_sched_new(loop, d->master, fi, &cbs, d);
    json_decref(fi);
    uv_timer_init(loop, &d->retry_timer);
    d->retry_timer.data = d;
    d->http = cr_http_server_new(loop, on_request, d);
    return d;
}

int
disp_start(struct dispatcher *d, int *bound_port)
{
    if (d->sched == NULL)
        return CR_EINVAL_INPUT;
    int rc = cr_http_server_listen(d->http, d->host, d->port, bound_port);
    if (rc != 0)
        return rc;
    return cr_sched_start(d->sched);
}

static void
close_step(struct dispatcher *d)
{
    if (--d->pending_closes > 0)
        return;
    while (d->drivers) {
        struct driver *x = d->drivers;
        d->drivers = x->next;
        driver_free(x);
    }
    void (*cb)(void *) = d->close_cb;
    void *arg = d->close_arg;
    free(d->host);
    free(d->master);
    free(d->name);
    free(d->version);
    free(d->failure);
    json_decref(d->conf);
    free(d);
    if (cb)
        cb(arg);
}

static void
on_timer_closed(uv_handle_t *h)
{
    close_step(h->data);
}

static void
on_sched_closed(void *arg)
{
    close_step(arg);
}

void
disp_close(struct dispatcher *d, void (*cb)(void *arg), void *arg)
{
    if (d == NULL)
        return;
    d->close_cb = cb;
    d->close_arg = arg;
    d->pending_closes = 2;
    cr_http_server_free(d->http);
    d->http = NULL;
    uv_close((uv_handle_t *)&d->retry_timer, on_timer_closed);
    if (d->sched)
        cr_sched_close(d->sched, on_sched_closed, d);
    else
        close_step(d);
}
