/* SPDX-License-Identifier: Apache-2.0
 *
 * bench_failover: how long a master failover takes, seen from the agents
 * and a framework.
 *
 * It emulates --agents agents in this one process, each a real stream to
 * the leading master over the agent protocol (docs/protocol.md), plus one
 * framework on the v1 scheduler API. All of them find the leader through
 * ZooKeeper (--zk) exactly as real agents do: on a leader change each
 * agent re-subscribes with its id after a random jitter of up to
 * --jitter_ms, and the framework re-subscribes with its framework id.
 * Once everything is registered it kill -9s the leader (its pid comes from
 * --pids PORT=PID,...) and measures from the kill to:
 *   (a) ZooKeeper reporting a new leader,
 *   (b) every emulated agent re-registered with it,
 *   (c) the framework receiving OFFERS from it.
 * Prints one table row per round; never fails on a figure.
 */
#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "model/master_info.h"
#include "net/event_stream.h"
#include "zk/group.h"
#include "zk/url.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define MAX_PIDS 16

struct sim_agent {
    struct bench *b;
    int index;
    char *id;
    struct cr_event_stream *stream;
    bool registered;
    uv_timer_t jitter;
};

struct bench {
    uv_loop_t *loop;
    int n_agents, rounds, round, jitter_ms;
    struct sim_agent *agents;
    int registered;
    struct cr_zk_group *zk;
    char leader_host[256];
    int leader_port;
    bool leader_known;
    /* framework */
    struct cr_event_stream *fw;
    char *fw_id;
    bool fw_offered;
    /* pids of the masters, by port */
    int ports[MAX_PIDS], pids[MAX_PIDS], n_pids;
    int killed_port;
    /* timings of this round, ns; 0 = not yet */
    uint64_t t_kill, t_elected, t_agents, t_offers;
    uv_timer_t tick;
    uv_timer_t fw_retry;
};

static void agent_subscribe(struct sim_agent *a);
static void on_jitter(uv_timer_t *t);
static void fw_subscribe(struct bench *b);

static double
ms_since(uint64_t t0, uint64_t t)
{
    return t && t0 ? (double)(t - t0) / 1e6 : -1;
}

/* ---- emulated agents -------------------------------------------------- */

static void
agent_on_open(void *data, const char *stream_id)
{
    (void)data;
    (void)stream_id;
}

static void
agent_on_event(void *data, json_t *ev)
{
    struct sim_agent *a = data;
    const char *type = cr_json_str(ev, "type");
    if (type == NULL || strcmp(type, "SUBSCRIBED") != 0 || a->registered)
        return;
    const char *id = cr_json_id(json_object_get(ev, "subscribed"), "agent_id");
    if (id && a->id == NULL)
        a->id = cr_xstrdup(id);
    a->registered = true;
    struct bench *b = a->b;
    if (++b->registered == b->n_agents && b->t_kill && !b->t_agents)
        b->t_agents = cr_mono_ns();
}

static void
agent_on_close(void *data, int err, int status, const char *detail)
{
    struct sim_agent *a = data;
    (void)err;
    (void)status;
    (void)detail;
    a->stream = NULL;
    if (a->registered) {
        a->registered = false;
        a->b->registered--;
    }
    /* A leader still recovering its registry answers 503: try again
     * shortly, as a real agent's backoff would. A leader change also
     * re-subscribes everyone (see on_leader). */
    if (a->b->leader_known)
        uv_timer_start(&a->jitter, on_jitter,
                       50 + (uint64_t)(rand() % (a->b->jitter_ms + 1)), 0);
}

static void
agent_subscribe(struct sim_agent *a)
{
    struct bench *b = a->b;
    if (!b->leader_known || a->stream)
        return;
    json_t *info = json_pack(
        "{s:s, s:i, s:[{s:s, s:s, s:{s:f}}, {s:s, s:s, s:{s:f}}]}", "hostname",
        "sim", "port", 10000 + a->index % 50000, "resources", "name", "cpus",
        "type", "SCALAR", "scalar", "value", 1.0, "name", "mem", "type",
        "SCALAR", "scalar", "value", 1024.0);
    if (a->id)
        cr_json_set_id(info, "id", a->id);
    json_t *call = json_pack("{s:s, s:{s:o}}", "type", "SUBSCRIBE", "subscribe",
                             "agent_info", info);
    if (a->id)
        cr_json_set_id(call, "agent_id", a->id);
    char *body = cr_json_dump(call);
    json_decref(call);
    static const struct cr_event_stream_cbs cbs = {
        agent_on_open, agent_on_event, agent_on_close};
    cr_event_stream_open(b->loop, b->leader_host, b->leader_port,
                         "/corral/v1/agent", body, NULL, 5.0, &cbs, a,
                         &a->stream);
    free(body);
}

static void
on_jitter(uv_timer_t *t)
{
    agent_subscribe(t->data);
}

/* ---- the framework ---------------------------------------------------- */

static void
fw_on_event(void *data, json_t *ev)
{
    struct bench *b = data;
    const char *type = cr_json_str(ev, "type");
    if (type && strcmp(type, "SUBSCRIBED") == 0) {
        const char *id =
            cr_json_id(json_object_get(ev, "subscribed"), "framework_id");
        if (id && b->fw_id == NULL)
            b->fw_id = cr_xstrdup(id);
    } else if (type && strcmp(type, "OFFERS") == 0) {
        b->fw_offered = true;
        if (b->t_kill && !b->t_offers)
            b->t_offers = cr_mono_ns();
    }
}

static void
on_fw_retry(uv_timer_t *t)
{
    fw_subscribe(t->data);
}

static void
fw_on_close(void *data, int err, int status, const char *detail)
{
    struct bench *b = data;
    (void)err;
    (void)status;
    (void)detail;
    b->fw = NULL;
    if (b->leader_known)
        uv_timer_start(&b->fw_retry, on_fw_retry, 50, 0);
}

static void
fw_subscribe(struct bench *b)
{
    if (!b->leader_known || b->fw)
        return;
    json_t *fi = json_pack("{s:s, s:s, s:f}", "user", "root", "name",
                           "bench_failover", "failover_timeout", 3600.0);
    if (b->fw_id)
        cr_json_set_id(fi, "id", b->fw_id);
    json_t *call = json_pack("{s:s, s:{s:o}}", "type", "SUBSCRIBE", "subscribe",
                             "framework_info", fi);
    if (b->fw_id)
        cr_json_set_id(call, "framework_id", b->fw_id);
    char *body = cr_json_dump(call);
    json_decref(call);
    static const struct cr_event_stream_cbs cbs = {NULL, fw_on_event,
                                                   fw_on_close};
    cr_event_stream_open(b->loop, b->leader_host, b->leader_port,
                         "/api/v1/scheduler", body, NULL, 5.0, &cbs, b, &b->fw);
    free(body);
}

/* ---- leader detection and the rounds ---------------------------------- */

static void
on_leader(void *arg, const struct cr_zk_leader *leader)
{
    struct bench *b = arg;
    char err[200];
    b->leader_known =
        leader != NULL &&
        cr_master_info_address(leader->data, leader->len, b->leader_host,
                               sizeof(b->leader_host), &b->leader_port, err,
                               sizeof(err)) == 0;
    if (!b->leader_known)
        return;
    if (b->t_kill && !b->t_elected && b->leader_port != b->killed_port)
        b->t_elected = cr_mono_ns();
    /* Drop streams to a previous leader and come to this one, agents
     * spread over the jitter window so they do not all arrive at once. */
    for (int i = 0; i < b->n_agents; i++) {
        struct sim_agent *a = &b->agents[i];
        cr_event_stream_close(a->stream);
        a->stream = NULL;
        if (a->registered) {
            a->registered = false;
            b->registered--;
        }
        uint64_t delay = b->jitter_ms ? (uint64_t)(rand() % b->jitter_ms) : 0;
        uv_timer_start(&a->jitter, on_jitter, delay, 0);
    }
    cr_event_stream_close(b->fw);
    b->fw = NULL;
    b->fw_offered = false;
    fw_subscribe(b);
}

static int
pid_of(struct bench *b, int port)
{
    for (int i = 0; i < b->n_pids; i++)
        if (b->ports[i] == port)
            return b->pids[i];
    return -1;
}

static void
print_row(struct bench *b)
{
    printf("| %d | %d | %.0f | %.0f | %.0f |\n", b->round, b->n_agents,
           ms_since(b->t_kill, b->t_elected), ms_since(b->t_kill, b->t_agents),
           ms_since(b->t_kill, b->t_offers));
    fflush(stdout);
}

static void
on_tick(uv_timer_t *t)
{
    struct bench *b = t->data;
    uint64_t now = cr_mono_ns();
    if (b->t_kill == 0) {
        /* Wait for the whole fleet and an offer, then kill the leader. */
        if (b->registered < b->n_agents || !b->fw_offered)
            return;
        int pid = pid_of(b, b->leader_port);
        if (pid <= 0) {
            fprintf(stderr, "bench_failover: no pid for leader port %d\n",
                    b->leader_port);
            uv_stop(b->loop);
            return;
        }
        b->killed_port = b->leader_port;
        b->t_kill = now;
        b->t_elected = b->t_agents = b->t_offers = 0;
        kill(pid, SIGKILL);
        return;
    }
    bool done = b->t_elected && b->t_agents && b->t_offers;
    if (done || now - b->t_kill > 60ull * 1000000000ull) {
        print_row(b);
        /* One leader dies per round; stop before running out. */
        if (++b->round >= b->rounds) {
            uv_stop(b->loop);
            return;
        }
        b->t_kill = 0;
    }
}

static int
parse_pids(struct bench *b, const char *s)
{
    char *copy = cr_xstrdup(s), *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && b->n_pids < MAX_PIDS;
         tok = strtok_r(NULL, ",", &save)) {
        if (sscanf(tok, "%d=%d", &b->ports[b->n_pids], &b->pids[b->n_pids]) ==
            2)
            b->n_pids++;
    }
    free(copy);
    return b->n_pids > 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
    struct bench b = {.n_agents = 1000, .rounds = 1, .jitter_ms = 200};
    const char *zk = NULL, *pids = NULL;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--zk=", 5) == 0)
            zk = argv[i] + 5;
        else if (strncmp(argv[i], "--pids=", 7) == 0)
            pids = argv[i] + 7;
        else if (strncmp(argv[i], "--agents=", 9) == 0)
            b.n_agents = atoi(argv[i] + 9);
        else if (strncmp(argv[i], "--rounds=", 9) == 0)
            b.rounds = atoi(argv[i] + 9);
        else if (strncmp(argv[i], "--jitter_ms=", 12) == 0)
            b.jitter_ms = atoi(argv[i] + 12);
    }
    if (zk == NULL || pids == NULL || parse_pids(&b, pids) != 0 ||
        b.n_agents < 1 || b.rounds < 1 || b.jitter_ms < 0) {
        fprintf(stderr, "usage: bench_failover --zk=URL --pids=PORT=PID,... "
                        "[--agents=N] [--rounds=R] [--jitter_ms=J]\n");
        return 1;
    }
    cr_log_set_level(CR_LOG_WARN);
    uv_loop_t loop;
    uv_loop_init(&loop);
    b.loop = &loop;
    b.agents = cr_xcalloc((size_t)b.n_agents, sizeof(*b.agents));
    for (int i = 0; i < b.n_agents; i++) {
        b.agents[i].b = &b;
        b.agents[i].index = i;
        uv_timer_init(&loop, &b.agents[i].jitter);
        b.agents[i].jitter.data = &b.agents[i];
    }
    struct cr_zk_url url;
    char err[256];
    if (cr_zk_url_parse(zk, &url, err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_failover: %s\n", err);
        return 1;
    }
    struct cr_zk_group_config c = {.url = &url,
                                   .session_timeout_secs = 10,
                                   .on_leader = on_leader,
                                   .arg = &b};
    if (cr_zk_group_open(&loop, &c, &b.zk) != 0) {
        fprintf(stderr, "bench_failover: cannot open ZooKeeper\n");
        return 1;
    }
    cr_zk_url_fini(&url);
    uv_timer_init(&loop, &b.tick);
    uv_timer_init(&loop, &b.fw_retry);
    b.tick.data = b.fw_retry.data = &b;
    uv_timer_start(&b.tick, on_tick, 5, 5);
    printf("| round | agents | (a) elected ms | (b) agents re-registered ms "
           "| (c) offers ms |\n|---|---|---|---|---|\n");
    fflush(stdout);
    uv_run(&loop, UV_RUN_DEFAULT);
    return 0;
}
