/* SPDX-License-Identifier: Apache-2.0
 *
 * bench_state: what fetching the whole state of a large cluster costs the
 * master, and what it costs everybody else while it happens.
 *
 * One binary, three roles (run.sh starts them as separate processes so a
 * client parsing 100 MB of JSON never delays the framework being timed):
 *
 *   agents  Emulates --count agents (global indices --first..) over real
 *           connections with the internal agent protocol
 *           (docs/protocol.md). Each SUBSCRIBEs reporting --tasks running
 *           tasks of the --frameworks load frameworks, as agents do when
 *           they re-register after a master failover, so the master adopts
 *           them (the honest way to put 200k tasks into a real master in a
 *           minute). Agents from --keep on close their stream once
 *           SUBSCRIBED: they stay in the master's state as deactivated
 *           agents (the master's RLIMIT_NOFILE cannot hold 20k streams).
 *           Connected agents answer HEARTBEATs and run the tasks a
 *           framework launches: TASK_RUNNING at once, TASK_FINISHED once
 *           RUNNING is acknowledged. With --load_frameworks the process
 *           also subscribes the load frameworks (they SUPPRESS offers).
 *           Writes --ready_file once everything is registered.
 *   probe   A framework that launches one task at a time for --seconds and
 *           measures (a) launch: ACCEPT sent -> TASK_RUNNING received and
 *           (b) offer: TASK_FINISHED received -> the freed agent offered
 *           again (the master's allocate-soon pass). Offers of other
 *           agents are declined for an hour, so one agent cycles.
 *   fetch   Fetches /master/state (--what=state) or operator GET_STATE
 *           (--what=get_state) back to back, --count times or for
 *           --seconds, and prints latency percentiles and the size.
 *
 * Prints key=value lines; run.sh makes the table. Never fails on a figure.
 */
#include "base/clock.h"
#include "base/id.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/event_stream.h"
#include "net/http_client.h"
#include "scheduler/scheduler.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define MAX_CALLS_INFLIGHT 32
/* Status updates do not wait behind a burst of heartbeat answers: a real
 * agent has its own connection, not a share of ours. */
#define MAX_URGENT_INFLIGHT 16
#define MAX_SUBSCRIBING     256

static uv_loop_t *loop;
static char host[256] = "127.0.0.1";
static int port = 5050;

/* ---- percentiles ------------------------------------------------------ */

struct samples {
    double *v;
    size_t n, cap;
};

static void
samples_add(struct samples *s, double ms)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->v = cr_xrealloc(s->v, s->cap * sizeof(double));
    }
    s->v[s->n++] = ms;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
pct(struct samples *s, double p)
{
    if (s->n == 0)
        return -1;
    qsort(s->v, s->n, sizeof(double), cmp_double);
    size_t i = (size_t)(p * (double)(s->n - 1) + 0.5);
    return s->v[i];
}

static double
ms_between(uint64_t t0, uint64_t t1)
{
    return (double)(t1 - t0) / 1e6;
}

/* ---- bounded POSTs to the master ------------------------------------- */

typedef void (*post_cb)(int err, int status, void *data);

struct post {
    char *path, *headers, *body;
    post_cb cb;
    void *data;
    struct post_queue *q;
    struct post *next;
};

struct post_queue {
    struct post *head, *tail;
    int inflight, max;
};

static struct post_queue posts = {.max = MAX_CALLS_INFLIGHT};
static struct post_queue urgent_posts = {.max = MAX_URGENT_INFLIGHT};

static void posts_pump(struct post_queue *q);

static void
post_free(struct post *p)
{
    free(p->path);
    free(p->headers);
    free(p->body);
    free(p);
}

static void
on_post_done(int err, const struct cr_http_response *resp, void *data)
{
    struct post *p = data;
    struct post_queue *q = p->q;
    q->inflight--;
    if (p->cb)
        p->cb(err, resp ? resp->status : 0, p->data);
    post_free(p);
    posts_pump(q);
}

static void
posts_pump(struct post_queue *q)
{
    while (q->inflight < q->max && q->head) {
        struct post *p = q->head;
        q->head = p->next;
        if (q->head == NULL)
            q->tail = NULL;
        if (cr_http_call_start(loop, host, port, "POST", p->path, p->headers,
                               p->body, strlen(p->body), 30, on_post_done, p,
                               NULL) == 0) {
            q->inflight++;
        } else {
            if (p->cb)
                p->cb(-1, 0, p->data);
            post_free(p);
        }
    }
}

/* Queue a POST of call (taken) to path with extra headers. */
static void
post_json(const char *path, const char *headers, json_t *call, bool urgent,
          post_cb cb, void *data)
{
    struct post_queue *q = urgent ? &urgent_posts : &posts;
    struct post *p = cr_xcalloc(1, sizeof(*p));
    p->q = q;
    p->path = cr_xstrdup(path);
    p->headers = cr_xasprintf("Content-Type: application/json\r\n%s", headers);
    p->body = cr_json_dump(call);
    json_decref(call);
    p->cb = cb;
    p->data = data;
    if (q->tail)
        q->tail->next = p;
    else
        q->head = p;
    q->tail = p;
    posts_pump(q);
}

/* ---- emulated agents --------------------------------------------------- */

struct sim_task {
    char *fid, *tid;
    char uuid[32];
    const char *state;
    struct sim_task *next;
};

struct sim_agent {
    int index;
    bool keep; /* keep the stream open */
    char *id;
    char stream_id[CR_UUID_STR_LEN + 64];
    struct cr_event_stream *stream;
    bool registered, subscribing;
    struct sim_task *tasks; /* launched by a framework */
    uv_timer_t retry;
};

static struct {
    int first, count, keep, tasks, frameworks;
    double task_cpus, task_mem, agent_cpus, agent_mem;
    struct sim_agent *agents;
    int next_to_subscribe, subscribing, registered, lost;
    const char *ready_file;
    bool ready;
    bool load_frameworks;
    int fw_subscribed;
    uv_timer_t tick;
    uint64_t t0;
} sim;

static void agent_subscribe(struct sim_agent *a);

static char *
load_fw_id(int j)
{
    return cr_xasprintf("bench-load-%04d", j);
}

static json_t *
load_fw_info(int j)
{
    char *id = load_fw_id(j);
    char name[64];
    snprintf(name, sizeof(name), "load-%d", j);
    json_t *fi = json_pack("{s:{s:s}, s:s, s:s, s:f, s:b}", "id", "value", id,
                           "name", name, "user", "root", "failover_timeout",
                           7 * 86400.0, "checkpoint", 1);
    free(id);
    return fi;
}

static json_t *
scalar(const char *name, double v, const char *role)
{
    json_t *r = json_pack("{s:s, s:s, s:{s:f}}", "name", name, "type", "SCALAR",
                          "scalar", "value", v);
    if (role)
        json_object_set_new(r, "allocation_info",
                            json_pack("{s:s}", "role", role));
    return r;
}

static json_t *
subscribe_call(struct sim_agent *a)
{
    json_t *info = json_pack(
        "{s:s, s:i, s:[o, o, o], s:[{s:s, s:s, s:{s:s}}]}", "hostname", "sim",
        "port", 10000 + a->index % 50000, "resources",
        scalar("cpus", sim.agent_cpus, NULL),
        scalar("mem", sim.agent_mem, NULL), scalar("disk", 10240.0, NULL),
        "attributes", "name", "rack", "type", "TEXT", "text", "value", "r1");
    char host_name[64];
    snprintf(host_name, sizeof(host_name), "sim-%06d", a->index);
    json_object_set_new(info, "hostname", json_string(host_name));
    if (a->id)
        cr_json_set_id(info, "id", a->id);
    json_t *fws = json_array();
    json_t *tasks = json_array();
    bool *used = cr_xcalloc((size_t)sim.frameworks + 1, sizeof(bool));
    double now = cr_wall_secs();
    for (int k = 0; k < sim.tasks && sim.frameworks > 0; k++) {
        int j = (a->index * sim.tasks + k) % sim.frameworks;
        char *fid = load_fw_id(j);
        char tid[64];
        snprintf(tid, sizeof(tid), "task-%06d-%02d", a->index, k);
        json_t *t = json_pack(
            "{s:s, s:{s:s}, s:{s:s}, s:s, s:[o, o], s:[{s:{s:s}, s:s, s:f}]}",
            "name", tid, "task_id", "value", tid, "framework_id", "value", fid,
            "state", "TASK_RUNNING", "resources",
            scalar("cpus", sim.task_cpus, "*"),
            scalar("mem", sim.task_mem, "*"), "statuses", "task_id", "value",
            tid, "state", "TASK_RUNNING", "timestamp", now);
        json_array_append_new(tasks, t);
        if (!used[j]) {
            used[j] = true;
            json_array_append_new(fws, load_fw_info(j));
        }
        free(fid);
    }
    free(used);
    json_t *call =
        json_pack("{s:s, s:{s:o, s:o, s:o}}", "type", "SUBSCRIBE", "subscribe",
                  "agent_info", info, "frameworks", fws, "tasks", tasks);
    if (a->id)
        cr_json_set_id(call, "agent_id", a->id);
    return call;
}

static void
agent_call(struct sim_agent *a, const char *type, json_t *body)
{
    if (a->id == NULL || a->stream == NULL) {
        json_decref(body);
        return;
    }
    char lower[32];
    size_t i = 0;
    for (; type[i] && i + 1 < sizeof(lower); i++)
        lower[i] =
            (char)(type[i] >= 'A' && type[i] <= 'Z' ? type[i] + 32 : type[i]);
    lower[i] = '\0';
    json_t *call = json_pack("{s:s, s:{s:s}, s:o}", "type", type, "agent_id",
                             "value", a->id, lower, body);
    char *hdr = cr_xasprintf("Mesos-Stream-Id: %s\r\n", a->stream_id);
    post_json("/corral/v1/agent", hdr, call, strcmp(type, "HEARTBEAT") != 0,
              NULL, NULL);
    free(hdr);
}

static void
send_update(struct sim_agent *a, struct sim_task *t, const char *state)
{
    uint8_t raw[16];
    cr_uuid_bytes(raw);
    cr_base64_encode(raw, sizeof(raw), t->uuid);
    t->state = state;
    json_t *status = json_pack("{s:{s:s}, s:{s:s}, s:s, s:s, s:s, s:f}",
                               "task_id", "value", t->tid, "agent_id", "value",
                               a->id, "state", state, "uuid", t->uuid, "source",
                               "SOURCE_EXECUTOR", "timestamp", cr_wall_secs());
    agent_call(a, "UPDATE",
               json_pack("{s:{s:s}, s:o, s:s}", "framework_id", "value", t->fid,
                         "status", status, "latest_state", state));
}

static void
on_run_task(struct sim_agent *a, json_t *ev)
{
    json_t *body = json_object_get(ev, "run_task");
    const char *fid = cr_json_id(json_object_get(body, "framework_info"), "id");
    const char *tid = cr_json_id(json_object_get(body, "task"), "task_id");
    if (fid == NULL || tid == NULL)
        return;
    struct sim_task *t = cr_xcalloc(1, sizeof(*t));
    t->fid = cr_xstrdup(fid);
    t->tid = cr_xstrdup(tid);
    t->next = a->tasks;
    a->tasks = t;
    send_update(a, t, "TASK_RUNNING");
}

static void
on_acknowledge(struct sim_agent *a, json_t *ev)
{
    json_t *body = json_object_get(ev, "acknowledge");
    const char *tid = cr_json_id(body, "task_id");
    const char *uuid = cr_json_str(body, "uuid");
    for (struct sim_task **pt = &a->tasks; *pt; pt = &(*pt)->next) {
        struct sim_task *t = *pt;
        if (tid == NULL || uuid == NULL || strcmp(t->tid, tid) != 0 ||
            strcmp(t->uuid, uuid) != 0)
            continue;
        if (strcmp(t->state, "TASK_RUNNING") == 0) {
            send_update(a, t, "TASK_FINISHED");
        } else {
            *pt = t->next;
            free(t->fid);
            free(t->tid);
            free(t);
        }
        return;
    }
}

static void
on_kill_task(struct sim_agent *a, json_t *ev)
{
    const char *tid = cr_json_id(json_object_get(ev, "kill_task"), "task_id");
    for (struct sim_task *t = a->tasks; t && tid; t = t->next)
        if (strcmp(t->tid, tid) == 0)
            send_update(a, t, "TASK_KILLED");
}

static void
agent_on_open(void *data, const char *stream_id)
{
    struct sim_agent *a = data;
    snprintf(a->stream_id, sizeof(a->stream_id), "%s",
             stream_id ? stream_id : "");
}

static void
agent_on_event(void *data, json_t *ev)
{
    struct sim_agent *a = data;
    const char *type = cr_json_str(ev, "type");
    if (type == NULL)
        return;
    if (strcmp(type, "SUBSCRIBED") == 0) {
        const char *id =
            cr_json_id(json_object_get(ev, "subscribed"), "agent_id");
        if (id && a->id == NULL)
            a->id = cr_xstrdup(id);
        if (!a->registered) {
            a->registered = true;
            sim.registered++;
        }
        if (a->subscribing) {
            a->subscribing = false;
            sim.subscribing--;
        }
        if (!a->keep) {
            cr_event_stream_close(a->stream);
            a->stream = NULL;
        }
        while (sim.subscribing < MAX_SUBSCRIBING &&
               sim.next_to_subscribe < sim.count)
            agent_subscribe(&sim.agents[sim.next_to_subscribe++]);
    } else if (strcmp(type, "HEARTBEAT") == 0) {
        agent_call(a, "HEARTBEAT", json_object());
    } else if (strcmp(type, "RUN_TASK") == 0) {
        on_run_task(a, ev);
    } else if (strcmp(type, "ACKNOWLEDGE") == 0) {
        on_acknowledge(a, ev);
    } else if (strcmp(type, "KILL_TASK") == 0) {
        on_kill_task(a, ev);
    }
}

static void
on_agent_retry(uv_timer_t *t)
{
    agent_subscribe(t->data);
}

static void
agent_on_close(void *data, int err, int status, const char *detail)
{
    struct sim_agent *a = data;
    a->stream = NULL;
    if (a->subscribing) {
        a->subscribing = false;
        sim.subscribing--;
    }
    if (a->registered) {
        a->registered = false;
        sim.registered--;
        sim.lost++;
    }
    fprintf(stderr, "bench_state: agent %d stream closed (%d, %d, %s)\n",
            a->index, err, status, detail ? detail : "");
    /* Come back as a real agent would, with the same report. */
    uv_timer_start(&a->retry, on_agent_retry, 1000, 0);
}

static void
agent_subscribe(struct sim_agent *a)
{
    if (a->stream)
        return;
    json_t *call = subscribe_call(a);
    char *body = cr_json_dump(call);
    json_decref(call);
    static const struct cr_event_stream_cbs cbs = {
        agent_on_open, agent_on_event, agent_on_close};
    a->subscribing = true;
    sim.subscribing++;
    if (cr_event_stream_open(loop, host, port, "/corral/v1/agent", body, NULL,
                             60.0, &cbs, a, &a->stream) != 0) {
        a->subscribing = false;
        sim.subscribing--;
        uv_timer_start(&a->retry, on_agent_retry, 1000, 0);
    }
    free(body);
}

/* Load frameworks: subscribe with the ids the agents report, SUPPRESS,
 * decline anything offered anyway, acknowledge every update. */
static void
load_subscribed(struct cr_sched *s, void *data, json_t *subscribed)
{
    (void)data;
    (void)subscribed;
    sim.fw_subscribed++;
    cr_sched_suppress(s, NULL, 0, NULL, NULL);
}

static void
load_offers(struct cr_sched *s, void *data, json_t *offers)
{
    (void)data;
    cr_sched_decline_all(s, offers, 3600, NULL, NULL);
}

static void
load_update(struct cr_sched *s, void *data, json_t *status)
{
    (void)data;
    cr_sched_ack_update(s, status, NULL, NULL);
}

static void
start_load_frameworks(void)
{
    char master[300];
    snprintf(master, sizeof(master), "%s:%d", host, port);
    struct cr_sched_callbacks cbs = {.subscribed = load_subscribed,
                                     .offers = load_offers,
                                     .update = load_update};
    for (int j = 0; j < sim.frameworks; j++) {
        json_t *fi = load_fw_info(j);
        struct cr_sched *s = cr_sched_new(loop, master, fi, &cbs, NULL);
        json_decref(fi);
        if (s)
            cr_sched_start(s);
    }
}

static void
on_sim_tick(uv_timer_t *t)
{
    (void)t;
    bool fws_ok = !sim.load_frameworks || sim.fw_subscribed >= sim.frameworks;
    if (!sim.ready && sim.registered == sim.count && fws_ok) {
        sim.ready = true;
        fprintf(stderr,
                "bench_state: %d agents (%d kept connected) registered in "
                "%.1f s\n",
                sim.count, sim.keep, ms_between(sim.t0, cr_mono_ns()) / 1e3);
        FILE *f = fopen(sim.ready_file, "w");
        if (f) {
            fprintf(f, "%d\n", sim.count);
            fclose(f);
        }
    }
}

static int
run_agents(void)
{
    sim.agents = cr_xcalloc((size_t)sim.count, sizeof(*sim.agents));
    for (int i = 0; i < sim.count; i++) {
        struct sim_agent *a = &sim.agents[i];
        a->index = sim.first + i;
        a->keep = a->index < sim.keep;
        uv_timer_init(loop, &a->retry);
        a->retry.data = a;
    }
    sim.t0 = cr_mono_ns();
    if (sim.load_frameworks)
        start_load_frameworks();
    while (sim.subscribing < MAX_SUBSCRIBING &&
           sim.next_to_subscribe < sim.count)
        agent_subscribe(&sim.agents[sim.next_to_subscribe++]);
    uv_timer_init(loop, &sim.tick);
    uv_timer_start(&sim.tick, on_sim_tick, 100, 100);
    uv_run(loop, UV_RUN_DEFAULT);
    return 0;
}

/* ---- the probe framework ---------------------------------------------- */

static struct {
    struct cr_sched *s;
    double seconds, warmup;
    uint64_t t_start, t_accept, t_finished;
    bool inflight, waiting_offer;
    int n;
    struct samples launch, offer;
    uv_timer_t stop;
    bool debug;
} probe;

static json_t *
probe_task(json_t *offer, int n)
{
    const char *role =
        cr_json_str(json_object_get(offer, "allocation_info"), "role");
    char id[32];
    snprintf(id, sizeof(id), "probe-%d", n);
    return json_pack("{s:s, s:{s:s}, s:O, s:[o, o], s:{s:b, s:s}}", "name", id,
                     "task_id", "value", id, "agent_id",
                     json_object_get(offer, "agent_id"), "resources",
                     scalar("cpus", 0.1, role ? role : "*"),
                     scalar("mem", 32, role ? role : "*"), "command", "shell",
                     1, "value", "true");
}

static bool
probe_measuring(uint64_t now)
{
    return ms_between(probe.t_start, now) >= probe.warmup * 1e3;
}

static void
probe_offers(struct cr_sched *s, void *data, json_t *offers)
{
    (void)data;
    uint64_t now = cr_mono_ns();
    size_t first = 0;
    if (probe.debug)
        fprintf(stderr, "%.3f OFFERS %zu inflight=%d\n",
                ms_between(probe.t_start, now) / 1e3, json_array_size(offers),
                probe.inflight);
    if (!probe.inflight && json_array_size(offers) > 0) {
        json_t *o = json_array_get(offers, 0);
        if (probe.waiting_offer && probe_measuring(now))
            samples_add(&probe.offer, ms_between(probe.t_finished, now));
        probe.waiting_offer = false;
        const char *ids[1] = {cr_json_id(o, "id")};
        json_t *tasks = json_array();
        json_array_append_new(tasks, probe_task(o, probe.n++));
        probe.t_accept = cr_mono_ns();
        probe.inflight = true;
        cr_sched_launch(s, ids, 1, tasks, 3600, NULL, NULL);
        first = 1;
    }
    if (json_array_size(offers) > first) {
        json_t *rest = json_array();
        for (size_t i = first; i < json_array_size(offers); i++)
            json_array_append(rest, json_array_get(offers, i));
        cr_sched_decline_all(s, rest, 3600, NULL, NULL);
        json_decref(rest);
    }
}

static void
probe_update(struct cr_sched *s, void *data, json_t *status)
{
    (void)data;
    uint64_t now = cr_mono_ns();
    const char *state = cr_json_str(status, "state");
    if (probe.debug)
        fprintf(stderr, "%.3f UPDATE %s %s\n",
                ms_between(probe.t_start, now) / 1e3, state,
                cr_json_id(status, "task_id"));
    cr_sched_ack_update(s, status, NULL, NULL);
    if (!probe.inflight || state == NULL)
        return;
    if (strcmp(state, "TASK_RUNNING") == 0) {
        if (probe_measuring(now))
            samples_add(&probe.launch, ms_between(probe.t_accept, now));
    } else if (cr_sched_task_state_is_terminal(state)) {
        probe.inflight = false;
        probe.waiting_offer = true;
        probe.t_finished = now;
    }
}

static void
on_probe_stop(uv_timer_t *t)
{
    (void)t;
    cr_sched_teardown(probe.s, NULL, NULL);
    uv_stop(loop);
}

static int
run_probe(void)
{
    char master[300];
    snprintf(master, sizeof(master), "%s:%d", host, port);
    json_t *fi = json_pack("{s:s, s:s, s:f}", "user", "root", "name",
                           "bench-probe", "failover_timeout", 0.0);
    struct cr_sched_callbacks cbs = {.offers = probe_offers,
                                     .update = probe_update};
    probe.s = cr_sched_new(loop, master, fi, &cbs, NULL);
    json_decref(fi);
    if (probe.s == NULL)
        return 1;
    probe.t_start = cr_mono_ns();
    probe.debug = getenv("BENCH_STATE_DEBUG") != NULL;
    cr_sched_start(probe.s);
    uv_timer_init(loop, &probe.stop);
    uv_timer_start(&probe.stop, on_probe_stop,
                   (uint64_t)((probe.seconds + probe.warmup) * 1e3), 0);
    uv_run(loop, UV_RUN_DEFAULT);
    /* Let the TEARDOWN go out. */
    for (int i = 0; i < 50; i++)
        uv_run(loop, UV_RUN_NOWAIT);
    printf("cycles=%zu launch_p50=%.2f launch_p99=%.2f launch_max=%.2f "
           "offer_p50=%.2f offer_p99=%.2f offer_max=%.2f\n",
           probe.offer.n, pct(&probe.launch, 0.5), pct(&probe.launch, 0.99),
           pct(&probe.launch, 1.0), pct(&probe.offer, 0.5),
           pct(&probe.offer, 0.99), pct(&probe.offer, 1.0));
    return 0;
}

/* ---- the state fetcher ------------------------------------------------ */

static struct {
    bool v1;
    int count, done, failed;
    double seconds;
    uint64_t t_start, t_req;
    size_t size;
    struct samples lat;
} fetch;

static void fetch_next(void);

static void
on_fetched(int err, const struct cr_http_response *resp, void *data)
{
    (void)data;
    uint64_t now = cr_mono_ns();
    if (err != 0 || resp->status != 200) {
        fetch.failed++;
        fprintf(stderr, "bench_state: fetch failed (%d, %d)\n", err,
                resp ? resp->status : 0);
    } else {
        samples_add(&fetch.lat, ms_between(fetch.t_req, now));
        fetch.size = resp->body_len;
    }
    fetch.done++;
    bool more = fetch.seconds > 0
                    ? ms_between(fetch.t_start, now) < fetch.seconds * 1e3
                    : fetch.done < fetch.count;
    if (more && fetch.failed < 5)
        fetch_next();
}

static void
fetch_next(void)
{
    static const char get_state[] = "{\"type\":\"GET_STATE\"}";
    fetch.t_req = cr_mono_ns();
    int rc = fetch.v1 ? cr_http_call_start(loop, host, port, "POST", "/api/v1",
                                           "Content-Type: application/json\r\n"
                                           "Accept: application/json\r\n",
                                           get_state, strlen(get_state), 120,
                                           on_fetched, NULL, NULL)
                      : cr_http_call_start(loop, host, port, "GET",
                                           "/master/state", NULL, NULL, 0, 120,
                                           on_fetched, NULL, NULL);
    if (rc != 0)
        fprintf(stderr, "bench_state: cannot fetch: %d\n", rc);
}

static int
run_fetch(void)
{
    fetch.t_start = cr_mono_ns();
    fetch_next();
    uv_run(loop, UV_RUN_DEFAULT);
    printf("fetches=%zu failed=%d state_p50=%.1f state_p99=%.1f "
           "state_max=%.1f size_mb=%.1f\n",
           fetch.lat.n, fetch.failed, pct(&fetch.lat, 0.5),
           pct(&fetch.lat, 0.99), pct(&fetch.lat, 1.0),
           (double)fetch.size / 1e6);
    return 0;
}

/* ---- main ------------------------------------------------------------- */

static int
usage(void)
{
    fprintf(stderr,
            "usage: bench_state agents --master=H:P --first=I --count=N "
            "--keep=K --tasks=T --frameworks=F --ready_file=PATH "
            "[--load_frameworks]\n"
            "       bench_state probe --master=H:P --seconds=S [--warmup=W]\n"
            "       bench_state fetch --master=H:P --what=state|get_state "
            "(--count=N | --seconds=S)\n");
    return 1;
}

static const char *
opt(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 ? arg + n : NULL;
}

int
main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    const char *mode = argv[1];
    sim.count = 1000;
    sim.keep = 1 << 30;
    sim.tasks = 10;
    sim.frameworks = 10;
    sim.task_cpus = 0.1;
    sim.task_mem = 32;
    probe.seconds = 20;
    probe.warmup = 3;
    fetch.count = 10;
    for (int i = 2; i < argc; i++) {
        const char *v;
        if ((v = opt(argv[i], "--master="))) {
            const char *colon = strrchr(v, ':');
            if (colon == NULL || (size_t)(colon - v) >= sizeof(host))
                return usage();
            memcpy(host, v, (size_t)(colon - v));
            host[colon - v] = '\0';
            port = atoi(colon + 1);
        } else if ((v = opt(argv[i], "--first="))) {
            sim.first = atoi(v);
        } else if ((v = opt(argv[i], "--count="))) {
            sim.count = fetch.count = atoi(v);
        } else if ((v = opt(argv[i], "--keep="))) {
            sim.keep = atoi(v);
        } else if ((v = opt(argv[i], "--tasks="))) {
            sim.tasks = atoi(v);
        } else if ((v = opt(argv[i], "--frameworks="))) {
            sim.frameworks = atoi(v);
        } else if ((v = opt(argv[i], "--ready_file="))) {
            sim.ready_file = v;
        } else if (strcmp(argv[i], "--load_frameworks") == 0) {
            sim.load_frameworks = true;
        } else if ((v = opt(argv[i], "--seconds="))) {
            probe.seconds = fetch.seconds = atof(v);
        } else if ((v = opt(argv[i], "--warmup="))) {
            probe.warmup = atof(v);
        } else if ((v = opt(argv[i], "--what="))) {
            fetch.v1 = strcmp(v, "get_state") == 0;
        } else {
            return usage();
        }
    }
    /* Room for the tasks plus one free cpu for the probe framework. */
    sim.agent_cpus = sim.tasks * sim.task_cpus + 1.0;
    sim.agent_mem = sim.tasks * sim.task_mem + 1024.0;
    cr_log_set_level(CR_LOG_WARN);
    uv_loop_t l;
    uv_loop_init(&l);
    loop = &l;
    if (strcmp(mode, "agents") == 0) {
        if (sim.ready_file == NULL || sim.count < 1 || sim.tasks < 0 ||
            sim.frameworks < 1)
            return usage();
        return run_agents();
    }
    if (strcmp(mode, "probe") == 0)
        return run_probe();
    if (strcmp(mode, "fetch") == 0)
        return run_fetch();
    return usage();
}
