/* SPDX-License-Identifier: Apache-2.0
 *
 * driver.c: corral-sparkpi's driver framework.
 *
 * Each slice is a command task ("corral-sparkpi --slice I --samples N")
 * that prints one line with its count on stdout. When a slice's
 * TASK_FINISHED arrives, the driver reads that stdout from the agent's
 * /files/read (the sandbox's virtual path /frameworks/<fw>/executors/
 * <task>/runs/latest/stdout; a command task's executor id is its task id)
 * and only then acknowledges the update: an unacknowledged update keeps
 * the framework busy on the agent, so the sandbox stays attached until the
 * count is read.
 *
 * A slice is in one state:
 *
 *   PENDING --offer fits--> LAUNCHED --TASK_FINISHED--> READING --> DONE
 *      ^                       |                           |
 *      +---- other terminal state, ACCEPT refused, --------+
 *            unreadable or missing count (a failure)
 *
 * A slice that fails max_failures times fails the run (Spark's
 * spark.task.maxFailures = 4). Attempts have their own task ids
 * ("slice-<i>-<attempt>"), so late updates of an old attempt are only
 * acknowledged. Offers are suppressed while no slice is pending and
 * revived when one is again. At the end the framework is torn down (the
 * way a Spark driver unregisters), bounded by TEARDOWN_SECS.
 *
 * Ownership: the driver owns its scheduler, slices and handles; statuses
 * held for a pending acknowledgement are owned references.
 * Threading: one libuv loop.
 */
#include "driver.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/http_client.h"
#include "net/url.h"
#include "scheduler/scheduler.h"
#include "sparkpi.h"

#include <ctype.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define EPS           1e-9
#define READ_LEN      65536
#define HTTP_TIMEOUT  10.0
#define TEARDOWN_SECS 5.0
#define REFUSE_IDLE   60.0

enum slice_state { SL_PENDING, SL_LAUNCHED, SL_READING, SL_DONE };

struct driver;

struct slice {
    struct driver *d;
    unsigned index;
    enum slice_state state;
    unsigned attempt, failures;
    char task_id[SPARKPI_TASK_ID_MAX];
    char agent_id[128];
    char host[CR_HOST_MAX];
    int port;
    struct cr_http_call *read;
    json_t *status; /* the TASK_FINISHED acknowledged once read */
    uint64_t inside, samples;
};

struct driver {
    uv_loop_t *loop;
    const struct sparkpi_config *cfg;
    char *master;
    struct cr_sched *sched;
    struct slice *slices;
    unsigned n_pending, n_done;
    bool suppressed, subscribed_once, stopping, closing;
    int exit_code;
    double pi;
    uv_timer_t timer;
    uv_signal_t sig_term, sig_int;
    struct cr_http_call *lookup;
};

static void finish(struct driver *d, int code);

/* ---- helpers ---- */

static void
url_escape(struct cr_buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (isalnum(*p) || strchr("-._~/", *p))
            cr_buf_append(b, p, 1);
        else
            cr_buf_printf(b, "%%%02X", *p);
    }
}

static void
ack(struct driver *d, const json_t *status)
{
    if (!d->stopping)
        (void)cr_sched_ack_update(d->sched, status, NULL, NULL);
}

static void
want_offers(struct driver *d)
{
    if (d->suppressed && !d->stopping &&
        cr_sched_revive(d->sched, NULL, 0, NULL, NULL) == 0)
        d->suppressed = false;
}

static void
slice_failed(struct driver *d, unsigned i, const char *why)
{
    struct slice *s = &d->slices[i];
    s->failures++;
    cr_warn("slice %u attempt %u failed (%u of %u): %s", i, s->attempt,
            s->failures, d->cfg->max_failures, why);
    if (s->failures >= d->cfg->max_failures) {
        cr_error("slice %u failed %u times; giving up", i, s->failures);
        finish(d, 1);
        return;
    }
    s->state = SL_PENDING;
    d->n_pending++;
    want_offers(d);
}

static void
all_done(struct driver *d)
{
    uint64_t inside = 0, samples = 0;
    for (unsigned i = 0; i < d->cfg->slices; i++) {
        inside += d->slices[i].inside;
        samples += d->slices[i].samples;
    }
    d->pi = 4.0 * (double)inside / (double)samples;
    cr_info("all %u slices done: %llu of %llu points inside", d->cfg->slices,
            (unsigned long long)inside, (unsigned long long)samples);
    finish(d, 0);
}

/* ---- reading a slice's count ---- */

/* The count in a /files/read answer ({"data": "...", "offset": 0}). */
static int
count_from_read(const struct slice *s, const struct cr_http_response *resp,
                uint64_t *inside, uint64_t *samples)
{
    json_t *j = cr_json_parse(resp->body, resp->body_len, NULL, 0);
    json_t *data = json_object_get(j, "data");
    int rc = CR_EPROTO_DATA;
    if (json_is_string(data))
        rc = sparkpi_parse_slice_output(json_string_value(data),
                                        json_string_length(data), s->index,
                                        inside, samples);
    json_decref(j);
    return rc;
}

static void
on_read(int err, const struct cr_http_response *resp, void *data)
{
    struct slice *s = data;
    struct driver *d = s->d;
    s->read = NULL;
    json_t *status = s->status;
    s->status = NULL;
    uint64_t inside = 0, samples = 0;
    char why[128] = "";
    if (err != 0)
        snprintf(why, sizeof(why), "reading its stdout: %s", cr_strerror(err));
    else if (resp->status != 200)
        snprintf(why, sizeof(why), "reading its stdout: HTTP %d", resp->status);
    else if ((err = count_from_read(s, resp, &inside, &samples)) != 0)
        snprintf(why, sizeof(why), "no count in its stdout (%s)",
                 cr_strerror(err));
    else if (samples != d->cfg->samples)
        snprintf(why, sizeof(why), "it counted %llu samples, not %llu",
                 (unsigned long long)samples,
                 (unsigned long long)d->cfg->samples);
    ack(d, status);
    json_decref(status);
    if (why[0]) {
        slice_failed(d, s->index, why);
        return;
    }
    s->state = SL_DONE;
    s->inside = inside;
    s->samples = samples;
    cr_info("slice %u: %llu of %llu inside", s->index,
            (unsigned long long)inside, (unsigned long long)samples);
    if (++d->n_done == d->cfg->slices)
        all_done(d);
}

/* TASK_FINISHED: read the slice's stdout, then acknowledge (on_read). */
static void
read_count(struct driver *d, struct slice *s, json_t *status)
{
    const char *fw = cr_sched_framework_id(d->sched);
    struct cr_buf b;
    cr_buf_init(&b, 8192);
    cr_buf_puts(&b, "/files/read?path=");
    char *vpath = cr_xasprintf("/frameworks/%s/executors/%s/runs/latest/stdout",
                               fw ? fw : "", s->task_id);
    url_escape(&b, vpath);
    free(vpath);
    cr_buf_printf(&b, "&offset=0&length=%d", READ_LEN);
    s->state = SL_READING;
    s->status = json_incref(status);
    int rc = cr_http_call_start(d->loop, s->host, s->port, "GET", b.data, NULL,
                                NULL, 0, HTTP_TIMEOUT, on_read, s, &s->read);
    cr_buf_fini(&b);
    if (rc != 0) {
        s->read = NULL;
        json_decref(s->status);
        s->status = NULL;
        ack(d, status);
        slice_failed(d, s->index, cr_strerror(rc));
    }
}

/* ---- scheduler events ---- */

static void
on_update(struct cr_sched *sched, void *data, json_t *status)
{
    struct driver *d = data;
    const char *tid = cr_json_id(status, "task_id");
    const char *state = cr_json_str(status, "state");
    unsigned i, attempt;
    if (d->stopping || tid == NULL || state == NULL ||
        sparkpi_parse_task_id(tid, &i, &attempt) != 0 || i >= d->cfg->slices) {
        ack(d, status);
        return;
    }
    struct slice *s = &d->slices[i];
    cr_debug("update task_id=%s state=%s", tid, state);
    if (s->state != SL_LAUNCHED || attempt != s->attempt) {
        ack(d, status); /* a stale attempt, or a redelivery */
        return;
    }
    if (strcmp(state, "TASK_FINISHED") == 0) {
        read_count(d, s, status);
        return;
    }
    ack(d, status);
    if (cr_sched_task_state_is_terminal(state)) {
        const char *msg = cr_json_str(status, "message");
        char why[256];
        snprintf(why, sizeof(why), "%s%s%s", state, msg ? ": " : "",
                 msg ? msg : "");
        slice_failed(d, i, why);
    }
}

static double
scalar_sum(const json_t *resources, const char *name)
{
    double sum = 0, v;
    size_t i;
    json_t *r;
    json_array_foreach(resources, i, r)
    {
        const char *n = cr_json_str(r, "name");
        if (n && strcmp(n, name) == 0 &&
            cr_json_num(json_object_get(r, "scalar"), "value", &v) && v > 0)
            sum += v;
    }
    return sum;
}

/* Move amount of resource name from avail (pieces copied with their roles
 * and reservations) into out. */
static void
take(json_t *avail, const char *name, double amount, json_t *out)
{
    size_t i;
    json_t *r;
    json_array_foreach(avail, i, r)
    {
        const char *n = cr_json_str(r, "name");
        json_t *sc = json_object_get(r, "scalar");
        double v;
        if (amount <= EPS || n == NULL || strcmp(n, name) != 0 ||
            !cr_json_num(sc, "value", &v) || v <= EPS)
            continue;
        double part = v < amount ? v : amount;
        json_t *piece = json_deep_copy(r);
        json_object_set_new(json_object_get(piece, "scalar"), "value",
                            json_real(part));
        json_array_append_new(out, piece);
        json_object_set_new(sc, "value", json_real(v - part));
        amount -= part;
    }
}

static json_t *
slice_task(struct driver *d, struct slice *s, const json_t *offer,
           json_t *avail)
{
    json_t *res = json_array();
    take(avail, "cpus", d->cfg->slice_cpus, res);
    take(avail, "mem", d->cfg->slice_mem, res);
    char *cmd =
        cr_xasprintf("%s --slice %u --samples %llu", d->cfg->slice_command,
                     s->index, (unsigned long long)d->cfg->samples);
    char *name = cr_xasprintf("sparkpi slice %u", s->index);
    json_t *task = json_pack("{s:s, s:{s:s}, s:O, s:o, s:{s:b, s:s}}", "name",
                             name, "task_id", "value", s->task_id, "agent_id",
                             json_object_get(offer, "agent_id"), "resources",
                             res, "command", "shell", 1, "value", cmd);
    free(name);
    free(cmd);
    return task;
}

/* The agent's address for /files, from the offer's url. */
static void
offer_agent(const json_t *offer, char *host, size_t n, int *port)
{
    json_t *addr = json_object_get(json_object_get(offer, "url"), "address");
    const char *h = cr_json_str(addr, "ip");
    double p = 0;
    if (h == NULL || *h == '\0')
        h = cr_json_str(addr, "hostname");
    if (h == NULL || *h == '\0')
        h = cr_json_str(offer, "hostname");
    cr_json_num(addr, "port", &p);
    snprintf(host, n, "%s", h ? h : "");
    *port = (int)p;
}

struct launch {
    struct driver *d;
    size_t n;
    struct {
        unsigned slice, attempt;
    } t[];
};

static void
on_launched(struct cr_sched *sched, void *data, int err, int status,
            const char *body)
{
    struct launch *l = data;
    struct driver *d = l->d;
    if (!d->stopping && (err != 0 || status != 202)) {
        char why[256];
        snprintf(why, sizeof(why), "ACCEPT refused: %s %.160s",
                 err ? cr_strerror(err) : "HTTP", err ? "" : body);
        for (size_t k = 0; k < l->n && !d->stopping; k++) {
            struct slice *s = &d->slices[l->t[k].slice];
            if (s->state == SL_LAUNCHED && s->attempt == l->t[k].attempt)
                slice_failed(d, s->index, why);
        }
    }
    free(l);
}

/* Launch as many pending slices as fit on offer; returns how many. */
static size_t
place(struct driver *d, const json_t *offer)
{
    const char *offer_id = cr_json_id(offer, "id");
    const char *agent_id = cr_json_id(offer, "agent_id");
    char host[CR_HOST_MAX];
    int port;
    offer_agent(offer, host, sizeof(host), &port);
    if (offer_id == NULL || agent_id == NULL || host[0] == '\0' || port <= 0)
        return 0;
    json_t *avail = json_deep_copy(json_object_get(offer, "resources"));
    json_t *tasks = json_array();
    struct launch *l =
        cr_xcalloc(1, sizeof(*l) + d->n_pending * sizeof(l->t[0]));
    l->d = d;
    for (unsigned i = 0; i < d->cfg->slices && d->n_pending > 0; i++) {
        struct slice *s = &d->slices[i];
        if (s->state != SL_PENDING ||
            scalar_sum(avail, "cpus") + EPS < d->cfg->slice_cpus ||
            scalar_sum(avail, "mem") + EPS < d->cfg->slice_mem)
            continue;
        s->attempt++;
        sparkpi_task_id(s->task_id, sizeof(s->task_id), i, s->attempt);
        snprintf(s->agent_id, sizeof(s->agent_id), "%s", agent_id);
        snprintf(s->host, sizeof(s->host), "%s", host);
        s->port = port;
        s->state = SL_LAUNCHED;
        d->n_pending--;
        json_array_append_new(tasks, slice_task(d, s, offer, avail));
        l->t[l->n].slice = i;
        l->t[l->n++].attempt = s->attempt;
        cr_info("launching %s on agent %s", s->task_id, agent_id);
    }
    json_decref(avail);
    size_t n = l->n;
    if (n == 0) {
        json_decref(tasks);
        free(l);
        return 0;
    }
    const char *ids[1] = {offer_id};
    if (cr_sched_launch(d->sched, ids, 1, tasks, -1, on_launched, l) != 0)
        on_launched(d->sched, l, CR_ESTATE, 0, "");
    return n;
}

static void
on_offers(struct cr_sched *sched, void *data, json_t *offers)
{
    struct driver *d = data;
    size_t i;
    json_t *offer;
    json_array_foreach(offers, i, offer)
    {
        if (d->stopping)
            return;
        if (d->n_pending > 0 && place(d, offer) > 0)
            continue;
        const char *id = cr_json_id(offer, "id");
        if (id)
            (void)cr_sched_decline(d->sched, &id, 1,
                                   d->n_pending ? -1 : REFUSE_IDLE, NULL, NULL);
    }
    if (d->n_pending == 0 && !d->suppressed && !d->stopping &&
        cr_sched_suppress(d->sched, NULL, 0, NULL, NULL) == 0)
        d->suppressed = true;
}

/* After a re-subscription (master failover), ask about launched slices. */
static void
reconcile(struct driver *d)
{
    json_t *tasks = json_array();
    for (unsigned i = 0; i < d->cfg->slices; i++) {
        const struct slice *s = &d->slices[i];
        if (s->state == SL_LAUNCHED)
            json_array_append_new(
                tasks, json_pack("{s:{s:s}, s:{s:s}}", "task_id", "value",
                                 s->task_id, "agent_id", "value", s->agent_id));
    }
    if (json_array_size(tasks) == 0) {
        json_decref(tasks);
        return;
    }
    (void)cr_sched_reconcile(d->sched, tasks, NULL, NULL);
}

static void
on_subscribed(struct cr_sched *sched, void *data, json_t *subscribed)
{
    struct driver *d = data;
    cr_info("subscribed to %s as framework %s", cr_sched_master(sched),
            cr_sched_framework_id(sched));
    d->suppressed = false; /* a (re-)subscription starts unsuppressed */
    if (d->subscribed_once)
        reconcile(d);
    d->subscribed_once = true;
}

static void
on_error(struct cr_sched *sched, void *data, const char *message)
{
    cr_error("the master refused the framework: %s", message);
    finish(data, 1);
}

static void
on_disconnected(struct cr_sched *sched, void *data, const char *reason)
{
    struct driver *d = data;
    enum cr_sched_state st = cr_sched_state(sched);
    if (d->stopping)
        return;
    cr_warn("disconnected from the master (%s); %s", reason,
            cr_sched_state_name(st));
    if (st == CR_SCHED_FAILED || st == CR_SCHED_STOPPED)
        finish(d, 1);
}

/* ---- start and stop ---- */

static void
on_handle_closed(uv_handle_t *h)
{
}

static void
close_all(struct driver *d)
{
    if (d->closing)
        return;
    d->closing = true;
    if (d->lookup) {
        cr_http_call_cancel(d->lookup);
        d->lookup = NULL;
    }
    cr_sched_close(d->sched, NULL, NULL);
    d->sched = NULL;
    uv_close((uv_handle_t *)&d->timer, on_handle_closed);
    uv_close((uv_handle_t *)&d->sig_term, on_handle_closed);
    uv_close((uv_handle_t *)&d->sig_int, on_handle_closed);
    cr_http_client_shutdown(d->loop);
}

static void
on_teardown(struct cr_sched *sched, void *data, int err, int status,
            const char *body)
{
    struct driver *d = data;
    if (err == 0 && status != 202)
        cr_warn("TEARDOWN answered %d %.200s", status, body);
    close_all(d);
}

static void
on_timer(uv_timer_t *t)
{
    struct driver *d = t->data;
    if (d->stopping) {
        cr_warn("no answer to TEARDOWN within %.0fs", TEARDOWN_SECS);
        close_all(d);
        return;
    }
    cr_error("timed out after %.0fs (%u of %u slices done)", d->cfg->timeout,
             d->n_done, d->cfg->slices);
    finish(d, 1);
}

/* Stop with exit code code: drop pending reads, tear the framework down
 * (bounded), close everything. */
static void
finish(struct driver *d, int code)
{
    if (d->stopping)
        return;
    d->stopping = true;
    d->exit_code = code;
    for (unsigned i = 0; i < d->cfg->slices; i++) {
        struct slice *s = &d->slices[i];
        if (s->read) {
            cr_http_call_cancel(s->read);
            s->read = NULL;
        }
        json_decref(s->status);
        s->status = NULL;
    }
    uv_timer_stop(&d->timer);
    if (d->sched && cr_sched_state(d->sched) == CR_SCHED_SUBSCRIBED &&
        cr_sched_teardown(d->sched, on_teardown, d) == 0) {
        uv_timer_start(&d->timer, on_timer, (uint64_t)(TEARDOWN_SECS * 1000),
                       0);
        return;
    }
    close_all(d);
}

static void
on_signal(uv_signal_t *h, int signum)
{
    struct driver *d = h->data;
    cr_warn("signal %d: stopping", signum);
    finish(d, 128 + signum);
}

static json_t *
framework_info(const struct driver *d)
{
    json_t *fi =
        json_pack("{s:s, s:s, s:f, s:b}", "user", d->cfg->user, "name",
                  d->cfg->name, "failover_timeout", 0.0, "checkpoint", 0);
    if (d->cfg->framework_id && *d->cfg->framework_id)
        cr_json_set_id(fi, "id", d->cfg->framework_id);
    return fi;
}

static void
subscribe(struct driver *d)
{
    static const struct cr_sched_callbacks cbs = {
        .subscribed = on_subscribed,
        .offers = on_offers,
        .update = on_update,
        .error = on_error,
        .disconnected = on_disconnected,
    };
    json_t *fi = framework_info(d);
    d->sched = cr_sched_new(d->loop, d->master, fi, &cbs, d);
    json_decref(fi);
    int rc = d->sched ? cr_sched_start(d->sched) : CR_EINVAL_INPUT;
    if (rc != 0) {
        cr_error("cannot subscribe to %s: %s", d->master, cr_strerror(rc));
        finish(d, 1);
        return;
    }
    cr_info("driver for %u slices of %llu samples; master %s", d->cfg->slices,
            (unsigned long long)d->cfg->samples, d->master);
}

static void
on_agent_state(int err, const struct cr_http_response *resp, void *data)
{
    struct driver *d = data;
    d->lookup = NULL;
    json_t *st = err == 0 && resp->status == 200
                     ? cr_json_parse(resp->body, resp->body_len, NULL, 0)
                     : NULL;
    char *m = sparkpi_master_from_agent_state(st);
    json_decref(st);
    d->master = sparkpi_master_normalize(m);
    if (d->master == NULL) {
        cr_error("no master: none given (--master, -Dspark.master in "
                 "SPARK_SUBMIT_OPTS, MESOS_MASTER) and the agent at %s did "
                 "not tell its own (%s)",
                 d->cfg->agent_endpoint,
                 err ? cr_strerror(err)
                 : m ? m
                     : "no flags.master");
        free(m);
        finish(d, 1);
        return;
    }
    cr_info("master from %s: %s",
            sparkpi_master_source_name(SPARKPI_MASTER_AGENT), d->master);
    free(m);
    subscribe(d);
}

static void
start(struct driver *d)
{
    if (d->cfg->master) {
        d->master = cr_xstrdup(d->cfg->master);
        subscribe(d);
        return;
    }
    struct cr_hostport hp;
    int rc = d->cfg->agent_endpoint
                 ? cr_hostport_parse(d->cfg->agent_endpoint, 5051, &hp)
                 : CR_EINVAL_INPUT;
    if (rc == 0)
        rc = cr_http_call_start(d->loop, hp.host, hp.port, "GET", "/state",
                                NULL, NULL, 0, HTTP_TIMEOUT, on_agent_state, d,
                                &d->lookup);
    if (rc != 0) {
        cr_error("no master: pass --master mesos://HOST:PORT (or run as a "
                 "task, where the agent is asked)");
        finish(d, 1);
    }
}

int
sparkpi_driver_run(const struct sparkpi_config *cfg, double *pi)
{
    uv_loop_t loop;
    if (uv_loop_init(&loop) != 0)
        return 1;
    struct driver d = {.loop = &loop, .cfg = cfg, .n_pending = cfg->slices};
    d.slices = cr_xcalloc(cfg->slices, sizeof(*d.slices));
    for (unsigned i = 0; i < cfg->slices; i++) {
        d.slices[i].d = &d;
        d.slices[i].index = i;
    }
    uv_timer_init(&loop, &d.timer);
    uv_signal_init(&loop, &d.sig_term);
    uv_signal_init(&loop, &d.sig_int);
    d.timer.data = d.sig_term.data = d.sig_int.data = &d;
    uv_signal_start(&d.sig_term, on_signal, SIGTERM);
    uv_signal_start(&d.sig_int, on_signal, SIGINT);
    if (cfg->timeout > 0)
        uv_timer_start(&d.timer, on_timer, (uint64_t)(cfg->timeout * 1000), 0);
    start(&d);
    uv_run(&loop, UV_RUN_DEFAULT);
    if (uv_loop_close(&loop) != 0)
        cr_warn("the loop still had handles at exit");
    free(d.slices);
    free(d.master);
    *pi = d.pi;
    return d.exit_code;
}
