/* SPDX-License-Identifier: Apache-2.0
 *
 * dispatcher.c: corral-dispatcher's life cycle (configuration, start,
 * close, fatal exit), its leadership (the ZooKeeper store's callbacks and
 * loading the stored state), its driver list and the persistence helpers
 * (see dispatcher_private.h for the roles and the rules).
 *
 * Drivers live in one list in submission order. Each is in exactly one
 * state:
 *   QUEUED -> LAUNCHED -> FINISHED             (terminal Mesos state)
 *                      -> RETRYING -> LAUNCHED  (supervised, FAILED/LOST)
 * A kill removes QUEUED and RETRYING drivers at once (status: NOT_FOUND,
 * as in Spark) and asks Mesos to kill a LAUNCHED one (FINISHED on
 * TASK_KILLED, never relaunched). FINISHED drivers are kept up to
 * spark.mesos.retainedDrivers, the oldest 10% evicted when full.
 *
 * Ownership: the dispatcher owns its drivers, the scheduler, the store and
 * the HTTP server. Threading: loop thread only.
 */
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "dispatcher_private.h"
#include "history.h"
#include "webui.h"

#include <math.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define FAILOVER_MAX    2147483647.0
#define MAX_WAIT_DEF    60.0
#define REFUSE_DEF      120.0
#define RETAINED_DEF    200
#define MAX_DRIVERS_DEF 200
#define ZK_TIMEOUT_DEF  10.0
#define FW_ID_NODE      "frameworkId"

/* ---- configuration ---- */

const char *
disp_conf_str(const struct dispatcher *d, const char *key)
{
    return json_string_value(json_object_get(d->conf, key));
}

/* Spark time strings ("120s", "2min", "500ms"; bare numbers: seconds). */
static double
conf_secs(const struct dispatcher *d, const char *key, double def)
{
    const char *v = disp_conf_str(d, key);
    if (v == NULL)
        return def;
    char *end = NULL;
    double x = strtod(v, &end);
    if (end == v || !(x >= 0) || !isfinite(x))
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
    const char *v = disp_conf_str(d, key);
    double x;
    if (v == NULL || disp_parse_double(v, &x) != 0 || x < 0 || x > 1e9)
        return def;
    return (long)x;
}

/* ---- drivers ---- */

struct disp_driver *
disp_driver_find(struct dispatcher *d, const char *id)
{
    for (struct disp_driver *x = d->drivers; x; x = x->next)
        if (strcmp(x->id, id) == 0)
            return x;
    return NULL;
}

void
disp_driver_append(struct dispatcher *d, struct disp_driver *drv)
{
    drv->next = NULL;
    *d->tail = drv;
    d->tail = &drv->next;
}

static void
driver_unlink(struct dispatcher *d, struct disp_driver *drv)
{
    struct disp_driver **pp = &d->drivers;
    while (*pp && *pp != drv)
        pp = &(*pp)->next;
    if (*pp == NULL)
        return;
    *pp = drv->next;
    if (d->tail == &drv->next)
        d->tail = pp;
    drv->next = NULL;
}

void
disp_driver_remove(struct dispatcher *d, struct disp_driver *drv)
{
    driver_unlink(d, drv);
    disp_driver_free(drv);
}

size_t
disp_count_state(const struct dispatcher *d, enum disp_drv_state st)
{
    size_t n = 0;
    for (const struct disp_driver *x = d->drivers; x; x = x->next)
        n += x->state == st;
    return n;
}

bool
disp_has_due_work(const struct dispatcher *d, double now)
{
    for (const struct disp_driver *x = d->drivers; x; x = x->next)
        if (x->state == DISP_QUEUED ||
            (x->state == DISP_RETRYING && x->next_retry <= now))
            return true;
    return false;
}

/* Drop the oldest finished drivers beyond spark.mesos.retainedDrivers. */
static void
retain_finished(struct dispatcher *d)
{
    long n = (long)disp_count_state(d, DISP_FINISHED);
    if (n <= d->retained)
        return;
    long drop = d->retained / 10 > 1 ? d->retained / 10 : 1;
    while (drop-- > 0) {
        struct disp_driver *old = NULL;
        for (struct disp_driver *x = d->drivers; x; x = x->next)
            if (x->state == DISP_FINISHED &&
                (old == NULL || x->finish_seq < old->finish_seq))
                old = x;
        if (old == NULL)
            break;
        disp_forget(d, DISP_FINISHED, old->id);
        disp_driver_remove(d, old);
    }
}

void
disp_driver_finish(struct dispatcher *d, struct disp_driver *drv)
{
    enum disp_drv_state from = drv->state;
    drv->state = DISP_FINISHED;
    drv->finished = cr_wall_secs();
    drv->finish_seq = ++d->finish_counter;
    cr_info("driver %s finished", drv->id);
    disp_driver_note(drv, drv->finished,
                     cr_json_str(drv->last_status, "message"));
    disp_persist(d, drv, from);
    retain_finished(d);
}

/* ---- persistence ---- */

static const enum disp_tree tree_of_state[] = {
    [DISP_QUEUED] = DISP_TREE_QUEUE,
    [DISP_LAUNCHED] = DISP_TREE_LAUNCHED,
    [DISP_RETRYING] = DISP_TREE_RETRY,
    [DISP_FINISHED] = DISP_TREE_FINISHED,
};

void
disp_persist(struct dispatcher *d, const struct disp_driver *drv,
             enum disp_drv_state from)
{
    if (d->store == NULL || d->closing)
        return;
    size_t len = 0;
    char *data = disp_record_encode(drv, &len);
    if (data == NULL) {
        disp_fatal(d, "the record of driver %s is too large to persist",
                   drv->id);
        return;
    }
    disp_store_put(d->store, tree_of_state[drv->state], drv->id, data, len,
                   NULL, NULL);
    free(data);
    if (from != drv->state)
        disp_store_delete(d->store, tree_of_state[from], drv->id, NULL, NULL);
}

void
disp_forget(struct dispatcher *d, enum disp_drv_state st, const char *id)
{
    if (d->store && !d->closing)
        disp_store_delete(d->store, tree_of_state[st], id, NULL, NULL);
}

void
disp_persist_sync(struct dispatcher *d, disp_store_cb cb, void *arg)
{
    if (d->closing)
        cb(arg, CR_ECANCELED_OP);
    else if (d->store == NULL)
        cb(arg, 0);
    else
        disp_store_sync(d->store, cb, arg);
}

void
disp_persist_counter(struct dispatcher *d, unsigned long n)
{
    if (d->store == NULL || d->closing)
        return;
    char name[32];
    disp_counter_name(name, sizeof(name), n);
    char *data = cr_xasprintf("{\"version\":%d,\"counter\":%lu}",
                              DISP_RECORD_VERSION, n);
    disp_store_create(d->store, DISP_TREE_COUNTER, name, data, strlen(data),
                      NULL, NULL);
    free(data);
    if (n > 1) {
        disp_counter_name(name, sizeof(name), n - 1);
        disp_store_delete(d->store, DISP_TREE_COUNTER, name, NULL, NULL);
    }
}

/* ---- fatal ---- */

static void
on_fatal_timer(uv_timer_t *t)
{
    struct dispatcher *d = t->data;
    if (d->on_fatal && !d->closing)
        d->on_fatal(d->fatal_arg, d->fatal);
}

void
disp_fatal(struct dispatcher *d, const char *fmt, ...)
{
    if (d->fatal || d->closing)
        return;
    char reason[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    for (char *p = reason; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    d->fatal = cr_xstrdup(reason);
    d->ready = false;
    cr_error("stopping: %s", reason);
    uv_timer_start(&d->fatal_timer, on_fatal_timer, 0, 0);
}

/* ---- the framework ---- */

static void
become_ready(struct dispatcher *d)
{
    if (d->closing || d->fatal)
        return;
    d->ready = true;
    d->loaded = true;
    d->suppressed = false;
    disp_reconcile_launched(d);
    if (disp_has_due_work(d, cr_wall_secs()))
        disp_revive(d);
    else
        disp_maybe_suppress(d);
}

static void
on_fw_persisted(void *arg, int rc)
{
    struct dispatcher *d = arg;
    if (rc != 0 || d->closing)
        return;
    d->fw_persisted = true;
    cr_info("framework id %s persisted", cr_sched_framework_id(d->sched));
    become_ready(d);
}

static void
on_subscribed(struct cr_sched *s, void *data, json_t *sub)
{
    struct dispatcher *d = data;
    (void)sub;
    const char *fw = cr_sched_framework_id(s);
    cr_info("subscribed as framework %s", fw ? fw : "?");
    if (d->store && !d->fw_persisted) {
        size_t len = 0;
        char *enc = fw && disp_framework_id_valid(fw)
                        ? disp_framework_encode(fw, &len)
                        : NULL;
        if (enc == NULL) {
            disp_fatal(d, "the master gave an unusable framework id");
            return;
        }
        disp_store_put(d->store, DISP_TREE_SCHEDULER, FW_ID_NODE, enc, len,
                       NULL, NULL);
        free(enc);
        disp_persist_sync(d, on_fw_persisted, d);
        return;
    }
    become_ready(d);
}

static void
on_error(struct cr_sched *s, void *data, const char *message)
{
    struct dispatcher *d = data;
    (void)s;
    disp_fatal(d, "framework error: %s", message);
}

static void
on_disconnected(struct cr_sched *s, void *data, const char *reason)
{
    (void)data;
    cr_warn("disconnected from the master (%s): %s", reason,
            cr_sched_state_name(cr_sched_state(s)));
}

static const struct cr_sched_callbacks sched_cbs = {
    .subscribed = on_subscribed,
    .offers = disp_on_offers,
    .update = disp_on_update,
    .error = on_error,
    .disconnected = on_disconnected,
};

/* The scheduler, subscribing with the stored framework id if any. NULL
 * for a bad master string (nothing is sent before cr_sched_start). */
static struct cr_sched *
new_sched(struct dispatcher *d)
{
    json_t *fi = json_deep_copy(d->fw_info);
    if (d->fw_id)
        cr_json_set_id(fi, "id", d->fw_id);
    struct cr_sched *s = cr_sched_new(d->loop, d->master, fi, &sched_cbs, d);
    json_decref(fi);
    return s;
}

static void
start_framework(struct dispatcher *d)
{
    d->fw_persisted = d->fw_id != NULL;
    if (d->sched == NULL)
        d->sched = new_sched(d);
    if (d->sched == NULL) {
        disp_fatal(d, "cannot create the scheduler for %s", d->master);
        return;
    }
    int rc = cr_sched_start(d->sched);
    if (rc != 0)
        disp_fatal(d, "cannot start subscribing to %s: %s", d->master,
                   cr_strerror(rc));
    else
        cr_info("subscribing to %s%s%s", d->master,
                d->fw_id ? " as framework " : "", d->fw_id ? d->fw_id : "");
}

/* ---- loading the stored state ---- */

static int
cmp_seq(const void *a, const void *b)
{
    const struct disp_driver *x = *(const struct disp_driver *const *)a;
    const struct disp_driver *y = *(const struct disp_driver *const *)b;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return strcmp(x->id, y->id);
}

static int
cmp_finished(const void *a, const void *b)
{
    const struct disp_driver *x = *(const struct disp_driver *const *)a;
    const struct disp_driver *y = *(const struct disp_driver *const *)b;
    if (x->finished != y->finished)
        return x->finished < y->finished ? -1 : 1;
    return cmp_seq(a, b);
}

/* Keep the newest of two records of one driver (a crash between writing
 * the new record and deleting the old one leaves both). */
static void
add_loaded(struct dispatcher *d, struct disp_driver *drv)
{
    struct disp_driver *old = disp_driver_find(d, drv->id);
    if (old == NULL) {
        disp_driver_append(d, drv);
        return;
    }
    struct disp_driver *lose = drv;
    if (disp_driver_progress(drv) > disp_driver_progress(old)) {
        driver_unlink(d, old);
        disp_driver_append(d, drv);
        lose = old;
    }
    cr_info("driver %s had records in two states; keeping %s", drv->id,
            disp_drv_state_name(lose == drv ? old->state : drv->state));
    disp_forget(d, lose->state, lose->id);
    disp_driver_free(lose);
}

static void
load_driver(struct dispatcher *d, const struct disp_store_entry *e)
{
    static const enum disp_drv_state state_of_tree[] = {
        [DISP_TREE_QUEUE] = DISP_QUEUED,
        [DISP_TREE_LAUNCHED] = DISP_LAUNCHED,
        [DISP_TREE_RETRY] = DISP_RETRYING,
        [DISP_TREE_FINISHED] = DISP_FINISHED,
    };
    char err[256];
    struct disp_driver *drv = NULL;
    if (disp_record_decode(e->data, e->len, e->name, state_of_tree[e->tree],
                           &drv, err, sizeof(err)) != 0) {
        cr_warn("ignoring the bad record %s of state %s: %s", e->name,
                disp_drv_state_name(state_of_tree[e->tree]), err);
        return;
    }
    disp_driver_note(drv, cr_wall_secs(), "recovered from ZooKeeper");
    unsigned long c;
    if (drv->seq > d->id_counter)
        d->id_counter = drv->seq;
    if (disp_submission_counter(drv->id, &c) == 0 && c > d->id_counter)
        d->id_counter = c;
    add_loaded(d, drv);
}

/* Sort the list by submission, number the finished drivers in finish
 * order, set the queue priorities. */
static void
order_loaded(struct dispatcher *d)
{
    size_t n = 0, k = 0, nf = 0;
    for (struct disp_driver *x = d->drivers; x; x = x->next)
        n++;
    struct disp_driver **v = cr_xcalloc(n ? n : 1, sizeof(*v));
    for (struct disp_driver *x = d->drivers; x; x = x->next)
        v[k++] = x;
    qsort(v, n, sizeof(*v), cmp_seq);
    d->drivers = NULL;
    d->tail = &d->drivers;
    for (size_t i = 0; i < n; i++) {
        disp_driver_append(d, v[i]);
        if (!disp_queues_lookup(&d->queues, v[i]->queue, &v[i]->priority)) {
            cr_warn("driver %s: queue '%s' is not declared any more; using "
                    "priority 0",
                    v[i]->id, v[i]->queue);
            v[i]->priority = 0.0;
        }
        if (v[i]->state == DISP_FINISHED)
            v[nf++] = v[i];
    }
    qsort(v, nf, sizeof(*v), cmp_finished);
    for (size_t i = 0; i < nf; i++)
        v[i]->finish_seq = ++d->finish_counter;
    free(v);
}

static void
load_counter(struct dispatcher *d, const struct disp_store_entry *e,
             unsigned long *max, char ***names, size_t *n)
{
    unsigned long v;
    if (disp_counter_parse(e->name, &v) != 0) {
        cr_warn("ignoring the bad id counter node %s", e->name);
        return;
    }
    if (v > *max)
        *max = v;
    *names = cr_xrealloc(*names, (*n + 1) * sizeof(**names));
    (*names)[(*n)++] = cr_xstrdup(e->name);
    (void)d;
}

static void
load_snapshot(struct dispatcher *d, const struct disp_store_entry *e, size_t n)
{
    unsigned long counter = 0;
    char **counters = NULL;
    size_t n_counters = 0;
    for (size_t i = 0; i < n; i++) {
        char fw[DISP_MAX_FW_ID], err[256];
        switch (e[i].tree) {
        case DISP_TREE_SCHEDULER:
            if (strcmp(e[i].name, FW_ID_NODE) != 0)
                break;
            if (disp_framework_decode(e[i].data, e[i].len, fw, sizeof(fw), err,
                                      sizeof(err)) != 0)
                cr_warn("ignoring the bad framework id record: %s", err);
            else
                d->fw_id = cr_xstrdup(fw);
            break;
        case DISP_TREE_COUNTER:
            load_counter(d, &e[i], &counter, &counters, &n_counters);
            break;
        case DISP_TREE_QUEUE:
        case DISP_TREE_LAUNCHED:
        case DISP_TREE_RETRY:
        case DISP_TREE_FINISHED:
            load_driver(d, &e[i]);
            break;
        case DISP_N_TREES:
            break;
        }
    }
    /* Keep only the highest counter node. */
    for (size_t i = 0; i < n_counters; i++) {
        unsigned long v;
        if (disp_counter_parse(counters[i], &v) == 0 && v < counter)
            disp_store_delete(d->store, DISP_TREE_COUNTER, counters[i], NULL,
                              NULL);
        free(counters[i]);
    }
    free(counters);
    if (counter > d->id_counter)
        d->id_counter = counter;
    order_loaded(d);
    retain_finished(d);
    cr_info(
        "state loaded: framework %s, %zu queued, %zu launched, %zu "
        "retrying, %zu finished drivers, id counter %lu",
        d->fw_id ? d->fw_id : "(none yet)", disp_count_state(d, DISP_QUEUED),
        disp_count_state(d, DISP_LAUNCHED), disp_count_state(d, DISP_RETRYING),
        disp_count_state(d, DISP_FINISHED), d->id_counter);
}

/* ---- leadership (store callbacks) ---- */

static void
on_store_leader(void *arg, const char *data, bool self)
{
    struct dispatcher *d = arg;
    CR_FREE(d->leader);
    CR_FREE(d->leader_ui);
    if (data == NULL) {
        cr_info("no leading dispatcher known");
        return;
    }
    if (self)
        return;
    char err[128];
    json_t *o = cr_json_parse(data, strlen(data), err, sizeof(err));
    const char *addr = cr_json_str(o, "address");
    if (addr && strlen(addr) < 256)
        d->leader = cr_xstrdup(addr);
    d->leader_ui = disp_webui_checked_url(cr_json_str(o, "webuiUrl"));
    json_decref(o);
    cr_info("the leading dispatcher is %s", d->leader ? d->leader : "?");
}

static void
on_store_elected(void *arg, const struct disp_store_entry *e, size_t n)
{
    struct dispatcher *d = arg;
    if (d->closing || d->fatal)
        return;
    d->role = DISP_LEADER;
    CR_FREE(d->leader);
    CR_FREE(d->leader_ui);
    load_snapshot(d, e, n);
    d->loaded = true;
    disp_arm_retry_timer(d);
    start_framework(d);
}

static void
on_store_failed(void *arg, const char *reason)
{
    disp_fatal(arg, "ZooKeeper: %s", reason);
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
    if (role) {
        json_object_set_new(fi, "roles", json_pack("[s]", role));
        json_object_set_new(fi, "capabilities",
                            json_pack("[{s:s}]", "type", "MULTI_ROLE"));
    }
    if (principal)
        json_object_set_new(fi, "principal", json_string(principal));
    if (ui)
        json_object_set_new(fi, "webui_url", json_string(ui));
    return fi;
}

/* spark.deploy.recoveryMode: 0 (NONE), 1 (ZOOKEEPER), or -1. */
static int
recovery_mode(const struct dispatcher *d, char *err, size_t errlen)
{
    const char *m = disp_conf_str(d, "spark.deploy.recoveryMode");
    if (m == NULL || strcasecmp(m, "NONE") == 0)
        return 0;
    if (strcasecmp(m, "ZOOKEEPER") != 0) {
        snprintf(err, errlen, "Unsupported recovery mode: %s", m);
        return -1;
    }
    const char *url = disp_conf_str(d, "spark.deploy.zookeeper.url");
    if (url == NULL || url[0] == '\0') {
        snprintf(err, errlen,
                 "spark.deploy.recoveryMode=ZOOKEEPER needs "
                 "spark.deploy.zookeeper.url (--zk)");
        return -1;
    }
    return 1;
}

static void free_dispatcher(struct dispatcher *d);

struct dispatcher *
disp_new(uv_loop_t *loop, const struct disp_config *cfg, char *err,
         size_t errlen)
{
    struct dispatcher *d = cr_xcalloc(1, sizeof(*d));
    d->loop = loop;
    d->host = cr_xstrdup(cfg->host);
    d->port = cfg->port;
    d->webui_port = cfg->webui_port;
    d->master = cr_xstrdup(cfg->master);
    d->name = cr_xstrdup(cfg->name);
    d->conf = json_deep_copy(cfg->conf);
    d->tail = &d->drivers;
    d->on_fatal = cfg->on_fatal;
    d->fatal_arg = cfg->fatal_arg;
    const char *ver = disp_conf_str(d, "spark.corral.dispatcher.sparkVersion");
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
    d->fw_info = framework_info(cfg);
    int mode = recovery_mode(d, err, errlen);
    if (mode < 0 || disp_queues_parse(d->conf, &d->queues, err, errlen) != 0) {
        free_dispatcher(d);
        return NULL;
    }
    d->role = mode == 1 ? DISP_STANDBY : DISP_SOLO;
    /* Check the master string now. SOLO keeps this scheduler; a LEADER
     * makes its own once it knows the stored framework id. */
    struct cr_sched *s = new_sched(d);
    if (s == NULL) {
        snprintf(err, errlen, "bad master '%s'", d->master);
        free_dispatcher(d);
        return NULL;
    }
    if (d->role == DISP_SOLO)
        d->sched = s;
    else
        cr_sched_free(s);
    uv_timer_init(loop, &d->retry_timer);
    uv_timer_init(loop, &d->fatal_timer);
    d->retry_timer.data = d->fatal_timer.data = d;
    d->http = cr_http_server_new(loop, disp_on_request, d);
    return d;
}

/* The address others should submit to: SPARK_PUBLIC_DNS, --host, or the
 * host name when --host is a wildcard. */
char *
disp_advertised(const struct dispatcher *d, int port)
{
    char host[256];
    const char *pub = getenv("SPARK_PUBLIC_DNS");
    if (pub && *pub)
        snprintf(host, sizeof(host), "%s", pub);
    else if (strcmp(d->host, "0.0.0.0") && strcmp(d->host, "::") && d->host[0])
        snprintf(host, sizeof(host), "%s", d->host);
    else if (gethostname(host, sizeof(host) - 1) != 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    bool v6 = strchr(host, ':') != NULL;
    return cr_xasprintf("%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", port);
}

static int
start_store(struct dispatcher *d, char *err, size_t errlen)
{
    char *addr = disp_advertised(d, d->bound_port);
    json_t *self =
        json_pack("{s:s, s:s, s:i, s:s}", "address", addr, "name", d->name,
                  "pid", (int)getpid(), "version", CR_VERSION);
    const char *ui = disp_webui_url(d);
    if (ui)
        json_object_set_new(self, "webuiUrl", json_string(ui));
    char *self_s = json_dumps(self, JSON_COMPACT);
    json_decref(self);
    free(addr);
    struct disp_store_config sc = {
        .zk = disp_conf_str(d, "spark.deploy.zookeeper.url"),
        .dir = disp_conf_str(d, "spark.deploy.zookeeper.dir"),
        .timeout_secs = conf_secs(
            d, "spark.corral.dispatcher.zk.sessionTimeout", ZK_TIMEOUT_DEF),
        .self = self_s,
    };
    if (!(sc.timeout_secs >= 1 && sc.timeout_secs <= 600))
        sc.timeout_secs = ZK_TIMEOUT_DEF;
    struct disp_store_callbacks cbs = {
        .leader = on_store_leader,
        .elected = on_store_elected,
        .failed = on_store_failed,
    };
    int rc = disp_store_open(d->loop, &sc, &cbs, d, &d->store, err, errlen);
    free(self_s);
    if (rc == 0)
        cr_info("state in ZooKeeper %s (session timeout %.1fs); waiting to "
                "be elected",
                disp_store_describe(d->store), sc.timeout_secs);
    return rc;
}

/* Open the web UI's port; its URL becomes the framework's webui_url
 * unless spark.mesos.dispatcher.webui.url set one (as in Spark). */
static int
start_webui(struct dispatcher *d, char *err, size_t errlen)
{
    if (d->webui_port < 0)
        return 0;
    int rc = disp_webui_listen(d, d->webui_port, err, errlen);
    if (rc != 0 || json_object_get(d->fw_info, "webui_url"))
        return rc;
    json_object_set_new(d->fw_info, "webui_url",
                        json_string(disp_webui_url(d)));
    if (d->role == DISP_SOLO) { /* made by disp_new, not started yet */
        cr_sched_free(d->sched);
        d->sched = new_sched(d);
        if (d->sched == NULL) {
            snprintf(err, errlen, "cannot create the scheduler for %s",
                     d->master);
            return CR_ESTATE;
        }
    }
    return 0;
}

int
disp_start(struct dispatcher *d, int *bound_port, char *err, size_t errlen)
{
    int rc = cr_http_server_listen(d->http, d->host, d->port, &d->bound_port);
    if (rc != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d: %s", d->host, d->port,
                 cr_strerror(rc));
        return rc;
    }
    *bound_port = d->bound_port;
    rc = start_webui(d, err, errlen);
    if (rc != 0)
        return rc;
    if (d->role == DISP_STANDBY)
        return start_store(d, err, errlen);
    start_framework(d);
    if (d->fatal) {
        snprintf(err, errlen, "%s", d->fatal);
        return CR_ESTATE;
    }
    return 0;
}

static void
free_dispatcher(struct dispatcher *d)
{
    while (d->drivers) {
        struct disp_driver *x = d->drivers;
        d->drivers = x->next;
        disp_driver_free(x);
    }
    disp_queues_fini(&d->queues);
    free(d->host);
    free(d->master);
    free(d->name);
    free(d->version);
    free(d->fatal);
    free(d->leader);
    free(d->leader_ui);
    free(d->fw_id);
    json_decref(d->conf);
    json_decref(d->fw_info);
    free(d);
}

static void
close_step(struct dispatcher *d)
{
    if (--d->pending_closes > 0)
        return;
    void (*cb)(void *) = d->close_cb;
    void *arg = d->close_arg;
    free_dispatcher(d);
    if (cb)
        cb(arg);
}

static void
on_handle_closed(uv_handle_t *h)
{
    close_step(h->data);
}

static void
on_part_closed(void *arg)
{
    close_step(arg);
}

void
disp_close(struct dispatcher *d, void (*cb)(void *arg), void *arg)
{
    if (d == NULL || d->closing)
        return;
    d->closing = true;
    d->ready = false;
    d->close_cb = cb;
    d->close_arg = arg;
    d->pending_closes = 2 + (d->store != NULL) + (d->sched != NULL);
    cr_http_server_free(d->http);
    d->http = NULL;
    disp_webui_close(d);
    uv_close((uv_handle_t *)&d->retry_timer, on_handle_closed);
    uv_close((uv_handle_t *)&d->fatal_timer, on_handle_closed);
    if (d->store) {
        struct disp_store *s = d->store;
        /* Pending writes complete now (cancelled): their callbacks see
         * d->closing. */
        disp_store_close(s, on_part_closed, d);
        d->store = NULL;
    }
    if (d->sched) {
        struct cr_sched *s = d->sched;
        d->sched = NULL;
        cr_sched_close(s, on_part_closed, d);
    }
}
