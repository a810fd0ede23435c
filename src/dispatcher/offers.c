/* SPDX-License-Identifier: Apache-2.0
 *
 * offers.c: corral-dispatcher's framework side: matching offers to
 * drivers, launching them, status updates, supervised relaunches and
 * reconciliation (Spark's MesosClusterScheduler, reference §3.4-§3.9).
 *
 * Offers: due retries first (list order), then queued drivers in queue
 * order (queue.h: priority, submission time, counter), each on the first
 * offer of the batch with enough cpus and mem (summed over roles), several
 * per offer; unused offers are declined for spark.mesos.rejectOfferDuration.
 * Offers are suppressed while nothing waits and revived on new work (a
 * submission, or a retry whose back-off expired: a timer).
 *
 * A launch is persisted (launchedDrivers/<id>) before the ACCEPT is sent,
 * so a crash can never launch a driver twice: a launch record whose task
 * never reached Mesos is answered TASK_LOST by the reconciliation after a
 * restart. A status update is acknowledged only once the state change it
 * caused is persisted, so a crash before that makes Mesos send it again.
 *
 * Threading: loop thread only.
 */
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "dispatcher_private.h"
#include "history.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EPS         1e-9
#define STATUS_TEXT 4096 /* bytes of a TaskStatus message we keep */

/* ---- revive / suppress ---- */

void
disp_revive(struct dispatcher *d)
{
    if (d->sched && cr_sched_revive(d->sched, NULL, 0, NULL, NULL) == 0)
        d->suppressed = false;
}

void
disp_maybe_suppress(struct dispatcher *d)
{
    if (d->sched == NULL || d->suppressed ||
        disp_has_due_work(d, cr_wall_secs()))
        return;
    if (cr_sched_suppress(d->sched, NULL, 0, NULL, NULL) == 0)
        d->suppressed = true;
}

/* ---- offers ---- */

struct slot {
    const char *offer_id;
    const char *hostname; /* the agent's */
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
        const char *n = cr_json_str(r, "name");
        if (n && !strcmp(n, name) &&
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
driver_env(const struct dispatcher *d, const struct disp_driver *drv)
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
    /* The driver's framework id, as Spark's dispatcher passes it; and the
     * master, which spark-submit also gets as --master but a driver run
     * directly (no SPARK_HOME) learns only from here. */
    char *so =
        cr_xasprintf("%s -Dspark.mesos.driver.frameworkId=%s-%s "
                     "-Dspark.master=mesos://%s",
                     opts ? opts : "", fw ? fw : "", drv->task_id, d->master);
    json_array_append_new(vars, json_pack("{s:s, s:s}", "name",
                                          "SPARK_SUBMIT_OPTS", "value", so));
    free(so);
    return json_pack("{s:o}", "variables", vars);
}

static const char *
executor_uri(const struct disp_driver *drv)
{
    const char *u = cr_json_str(drv->props, "spark.executor.uri");
    return u ? u : cr_json_str(drv->env, "SPARK_EXECUTOR_URI");
}

static const char *
spark_home(const struct dispatcher *d, const struct disp_driver *drv)
{
    const char *h = cr_json_str(drv->props, "spark.mesos.executor.home");
    if (h == NULL)
        h = disp_conf_str(d, "spark.home");
    if (h == NULL)
        h = getenv("SPARK_HOME");
    return h && *h ? h : NULL;
}

static json_t *
driver_uris(const struct disp_driver *drv, bool spark_mode)
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
driver_task(struct dispatcher *d, struct disp_driver *drv, struct slot *s)
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
launch_on(struct dispatcher *d, struct disp_driver *drv, struct slot *s)
{
    enum disp_drv_state from = drv->state;
    if (drv->retries > 0)
        snprintf(drv->task_id, sizeof(drv->task_id), "%s-retry-%d", drv->id,
                 drv->retries);
    else
        snprintf(drv->task_id, sizeof(drv->task_id), "%s", drv->id);
    json_t *task = driver_task(d, drv, s);
    if (task == NULL) {
        cr_warn("driver %s: cannot build its task; retired", drv->id);
        disp_driver_finish(d, drv);
        return;
    }
    json_array_append_new(s->tasks, task);
    drv->state = DISP_LAUNCHED;
    free(drv->agent_id);
    drv->agent_id = cr_xstrdup(cr_json_id(task, "agent_id"));
    free(drv->agent_host);
    drv->agent_host = s->hostname ? cr_xstrndup(s->hostname, 255) : NULL;
    json_decref(drv->last_status);
    drv->last_status = NULL;
    cr_info("launching driver %s as task %s on agent %s", drv->id, drv->task_id,
            drv->agent_id);
    char *note = cr_xasprintf(
        "launched on agent %s%s%s%s", drv->agent_id, s->hostname ? " (" : "",
        s->hostname ? drv->agent_host : "", s->hostname ? ")" : "");
    disp_driver_note(drv, cr_wall_secs(), note);
    free(note);
    disp_persist(d, drv, from);
}

static void
place(struct dispatcher *d, struct disp_driver *drv, struct slot *slots,
      size_t n)
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
    size_t nq = 0, k = 0;
    for (struct disp_driver *x = d->drivers; x; x = x->next)
        nq += x->state == DISP_QUEUED || x->state == DISP_RETRYING;
    struct disp_driver **due = cr_xcalloc(nq ? nq : 1, sizeof(*due));
    for (struct disp_driver *x = d->drivers; x; x = x->next)
        if (x->state == DISP_RETRYING && x->next_retry <= now)
            due[k++] = x;
    size_t nretry = k;
    for (struct disp_driver *x = d->drivers; x; x = x->next)
        if (x->state == DISP_QUEUED)
            due[k++] = x;
    qsort(due + nretry, k - nretry, sizeof(*due), disp_queue_cmp);
    /* A failed build retires (and may evict) drivers: only ones already
     * FINISHED are evicted, never these. */
    for (size_t i = 0; i < k; i++)
        place(d, due[i], slots, n);
    free(due);
}

/* Offers used, waiting for their launches to be persisted. */
struct batch {
    struct dispatcher *d;
    size_t n;
    char **offer_ids;
    json_t **tasks;
};

static void
batch_free(struct batch *b)
{
    for (size_t i = 0; i < b->n; i++) {
        free(b->offer_ids[i]);
        json_decref(b->tasks[i]);
    }
    free(b->offer_ids);
    free(b->tasks);
    free(b);
}

/* The tasks still to launch: drivers killed meanwhile are retired. */
static json_t *
still_wanted(struct dispatcher *d, json_t *tasks)
{
    json_t *keep = json_array();
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t)
    {
        const char *tid = cr_json_id(t, "task_id");
        char sub[DISP_MAX_ID];
        disp_task_submission(tid ? tid : "", sub, sizeof(sub));
        struct disp_driver *drv = disp_driver_find(d, sub);
        if (drv == NULL || drv->state != DISP_LAUNCHED ||
            strcmp(drv->task_id, tid) != 0)
            continue;
        if (!drv->killed) {
            json_array_append(keep, t);
            continue;
        }
        json_decref(drv->last_status);
        drv->last_status = json_pack("{s:{s:s}, s:s, s:s, s:f}", "task_id",
                                     "value", tid, "state", "TASK_KILLED",
                                     "message", "Killed before it was launched",
                                     "timestamp", cr_wall_secs());
        disp_driver_finish(d, drv);
    }
    return keep;
}

static void
on_batch_persisted(void *arg, int rc)
{
    struct batch *b = arg;
    struct dispatcher *d = b->d;
    for (size_t i = 0; rc == 0 && !d->closing && d->sched && i < b->n; i++) {
        const char *id = b->offer_ids[i];
        json_t *tasks = still_wanted(d, b->tasks[i]);
        if (json_array_size(tasks) == 0) {
            json_decref(tasks);
            cr_sched_decline(d->sched, &id, 1, d->refuse_secs, NULL, NULL);
        } else if (cr_sched_launch(d->sched, &id, 1, tasks, -1, NULL, NULL)) {
            cr_warn("cannot launch on offer %s (reconciliation will tell)", id);
        }
    }
    batch_free(b);
}

void
disp_on_offers(struct cr_sched *s, void *data, json_t *offers)
{
    struct dispatcher *d = data;
    size_t n = json_array_size(offers);
    struct slot *slots = cr_xcalloc(n, sizeof(*slots));
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(offers, i);
        slots[i].offer_id = cr_json_id(o, "id");
        slots[i].agent_id = json_object_get(o, "agent_id");
        slots[i].hostname = cr_json_str(o, "hostname");
        json_t *r = json_object_get(o, "resources");
        slots[i].res = json_is_array(r) ? json_deep_copy(r) : json_array();
        slots[i].tasks = json_array();
    }
    if (d->ready)
        match_offers(d, slots, n);
    struct batch *b = cr_xcalloc(1, sizeof(*b));
    b->d = d;
    b->offer_ids = cr_xcalloc(n ? n : 1, sizeof(*b->offer_ids));
    b->tasks = cr_xcalloc(n ? n : 1, sizeof(*b->tasks));
    for (size_t i = 0; i < n; i++) {
        const char *id = slots[i].offer_id;
        if (id != NULL && json_array_size(slots[i].tasks) > 0) {
            b->offer_ids[b->n] = cr_xstrdup(id);
            b->tasks[b->n++] = slots[i].tasks;
            slots[i].tasks = NULL;
        } else if (id != NULL) {
            cr_sched_decline(s, &id, 1, d->refuse_secs, NULL, NULL);
        }
        json_decref(slots[i].tasks);
        json_decref(slots[i].res);
    }
    free(slots);
    if (b->n > 0)
        disp_persist_sync(d, on_batch_persisted, b);
    else
        batch_free(b);
    disp_maybe_suppress(d);
}

/* ---- retries ---- */

void
disp_on_retry_timer(uv_timer_t *t)
{
    struct dispatcher *d = t->data;
    if (disp_has_due_work(d, cr_wall_secs()))
        disp_revive(d);
    disp_arm_retry_timer(d);
}

void
disp_arm_retry_timer(struct dispatcher *d)
{
    double now = cr_wall_secs(), first = -1;
    for (const struct disp_driver *x = d->drivers; x; x = x->next)
        if (x->state == DISP_RETRYING && x->next_retry > now &&
            (first < 0 || x->next_retry < first))
            first = x->next_retry;
    if (d->closing)
        return;
    uv_timer_stop(&d->retry_timer);
    if (first >= 0)
        uv_timer_start(&d->retry_timer, disp_on_retry_timer,
                       (uint64_t)((first - now) * 1000.0) + 1, 0);
}

static void
driver_retry(struct dispatcher *d, struct disp_driver *drv)
{
    drv->retries++;
    drv->wait = drv->retries == 1 ? 1.0 : fmin(d->max_wait, drv->wait * 2);
    drv->next_retry = cr_wall_secs() + drv->wait;
    drv->state = DISP_RETRYING;
    cr_info("driver %s failed; relaunch %d in %.0f s", drv->id, drv->retries,
            drv->wait);
    char *note = cr_xasprintf("relaunch %d in %.0f s", drv->retries, drv->wait);
    disp_driver_note(drv, cr_wall_secs(), note);
    free(note);
    disp_persist(d, drv, DISP_LAUNCHED);
    disp_arm_retry_timer(d);
}

/* ---- status updates ---- */

static bool
state_terminal(const char *st)
{
    return cr_sched_task_state_is_terminal(st) ||
           !strcmp(st, "TASK_UNREACHABLE") || !strcmp(st, "TASK_UNKNOWN");
}

/* The fields of a TaskStatus we keep (and persist): no data, a bounded
 * message. */
static json_t *
status_keep(const json_t *st)
{
    static const char *const keep[] = {"task_id",   "state",      "agent_id",
                                       "timestamp", "source",     "reason",
                                       "healthy",   "executor_id"};
    json_t *o = json_object();
    for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
        json_t *v = json_object_get(st, keep[i]);
        if (v)
            json_object_set_new(o, keep[i], json_deep_copy(v));
    }
    const char *m = cr_json_str(st, "message");
    if (m) {
        char *t = cr_xstrndup(m, STATUS_TEXT);
        json_object_set_new(o, "message", json_string(t));
        free(t);
    }
    return o;
}

struct ack {
    struct dispatcher *d;
    json_t *status;
};

static void
on_update_persisted(void *arg, int rc)
{
    struct ack *a = arg;
    if (rc == 0 && !a->d->closing && a->d->sched)
        cr_sched_ack_update(a->d->sched, a->status, NULL, NULL);
    json_decref(a->status);
    free(a);
}

void
disp_on_update(struct cr_sched *s, void *data, json_t *status)
{
    struct dispatcher *d = data;
    (void)s;
    const char *tid = cr_json_id(status, "task_id");
    const char *st = cr_json_str(status, "state");
    char sub[DISP_MAX_ID];
    struct disp_driver *drv = NULL;
    if (tid != NULL && st != NULL) {
        disp_task_submission(tid, sub, sizeof(sub));
        drv = disp_driver_find(d, sub);
    }
    if (drv == NULL || drv->state != DISP_LAUNCHED ||
        strcmp(drv->task_id, tid) != 0) {
        cr_info("ignoring update %s for task %s", st ? st : "?",
                tid ? tid : "?");
    } else {
        json_decref(drv->last_status);
        drv->last_status = status_keep(status);
        if (!state_terminal(st))
            disp_driver_note(drv, cr_wall_secs(),
                             cr_json_str(drv->last_status, "message"));
        if (state_terminal(st)) {
            bool relaunch =
                drv->supervise && !drv->killed &&
                (!strcmp(st, "TASK_FAILED") || !strcmp(st, "TASK_LOST"));
            if (relaunch)
                driver_retry(d, drv);
            else
                disp_driver_finish(d, drv);
        }
    }
    struct ack *a = cr_xcalloc(1, sizeof(*a));
    a->d = d;
    a->status = json_incref(status);
    disp_persist_sync(d, on_update_persisted, a);
}

void
disp_reconcile_launched(struct dispatcher *d)
{
    json_t *tasks = json_array();
    for (const struct disp_driver *x = d->drivers; x; x = x->next)
        if (x->state == DISP_LAUNCHED && x->agent_id)
            json_array_append_new(
                tasks, json_pack("{s:{s:s}, s:{s:s}}", "task_id", "value",
                                 x->task_id, "agent_id", "value", x->agent_id));
    if (json_array_size(tasks) == 0) {
        json_decref(tasks);
        return;
    }
    cr_info("reconciling %zu launched drivers", json_array_size(tasks));
    cr_sched_reconcile(d->sched, tasks, NULL, NULL);
}
