/* SPDX-License-Identifier: Apache-2.0
 *
 * master.c: the master's loop: listening socket, timers, allocation
 * scheduling, and clean shutdown on SIGINT/SIGTERM.
 *
 * Timers: `tick` (100 ms) checks every deadline (framework failover, agent
 * removal, offer expiry) so objects need no timers of their own and can be
 * freed synchronously; `heartbeat` sends HEARTBEAT events to frameworks,
 * `agent_ping` (one-shot, re-armed by each step) to agents, a few at a time;
 * `allocation` runs a full allocator pass every --allocation_interval, and
 * `allocate_soon` (an idle handle) runs a dirty-only pass on the next loop
 * turn after events that free resources or add agents or frameworks.
 */
#include "master.h"

#include "allocator.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/http_client.h"
#include "registry.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int master_run(struct master *m);

double
master_now(void)
{
    return (double)cr_mono_ns() / 1e9;
}

/* MasterInfo's ip is a uint32 in network byte order, printed as a plain
 * number (an upstream oddity kept for wire compatibility). */
static uint32_t
ip_as_uint32(const char *ip)
{
    struct in_addr a;
    if (ip == NULL || inet_pton(AF_INET, ip, &a) != 1)
        return 0;
    return a.s_addr;
}

json_t *
master_info_json(const struct master *m)
{
    char *pid =
        cr_xasprintf("master@%s:%d", m->advertise_ip, m->advertise_port);
    json_t *info = json_pack(
        "{s:s, s:I, s:i, s:s, s:s, s:{s:s, s:s, s:i}, s:s}", "id", m->id, "ip",
        (json_int_t)ip_as_uint32(m->advertise_ip), "port", m->advertise_port,
        "pid", pid, "hostname", m->hostname, "address", "hostname", m->hostname,
        "ip", m->advertise_ip, "port", m->advertise_port, "version",
        CR_VERSION);
    free(pid);
    return info;
}

json_t *
master_flags_json(const struct master *m)
{
    json_t *flags = json_object();
    for (size_t i = 0; i < m->n_flags; i++)
        if (m->flag_table[i].value)
            json_object_set_new(flags, m->flag_table[i].name,
                                json_string(m->flag_table[i].value));
    return flags;
}

static void
on_allocate_soon(uv_idle_t *h)
{
    struct master *m = h->data;
    uv_idle_stop(h);
    m->allocate_pending = false;
    allocator_run(m->allocator, true);
    offers_flush(m);
}

void
master_allocate_soon(struct master *m)
{
    if (m->allocate_pending)
        return;
    m->allocate_pending = true;
    uv_idle_start(&m->allocate_soon, on_allocate_soon);
}

static void
on_allocation(uv_timer_t *t)
{
    struct master *m = t->data;
    allocator_run(m->allocator, false);
    offers_flush(m);
}

static void
on_tick(uv_timer_t *t)
{
    struct master *m = t->data;
    double now = master_now();
    frameworks_check_failover(m, now);
    agents_check_removal(m, now);
    offers_check_timeout(m, now);
    registry_check_reregistration(m, now);
}

static void
on_heartbeat(uv_timer_t *t)
{
    frameworks_heartbeat(t->data);
}

static void
on_agent_ping(uv_timer_t *t)
{
    struct master *m = t->data;
    uv_timer_start(t, on_agent_ping, agents_heartbeat(m, uv_now(m->loop)), 0);
}

static void
on_signal(uv_signal_t *s, int signum)
{
    struct master *m = s->data;
    cr_info("received signal %d, shutting down", signum);
    uv_stop(m->loop);
}

static int
write_ready_file(const char *path, int port)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        return -errno;
    fprintf(f, "%d\n", port);
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        return -errno;
    return 0;
}

/* --weights, unless the replicated registry holds the weights (then the
 * flag only seeds an empty registry: recovery.c). */
static void
apply_weights(struct master *m)
{
    if (m->flags.weights == NULL ||
        strcmp(m->flags.registry, "replicated_log") == 0)
        return;
    struct registry_op op;
    master_parse_weights(m->flags.weights, &op);
    for (size_t i = 0; i < op.n_weights; i++)
        allocator_set_weight(m->allocator, op.weights[i].role,
                             op.weights[i].weight);
    registry_op_fini(&op);
}

static int
setup_identity(struct master *m, int bound_port)
{
    struct master_flags *f = &m->flags;
    cr_uuid_str(m->id);
    m->advertise_ip = cr_xstrdup(f->advertise_ip ? f->advertise_ip
                                 : strcmp(f->ip, "0.0.0.0") == 0 ? "127.0.0.1"
                                                                 : f->ip);
    m->advertise_port = f->advertise_port ? f->advertise_port : bound_port;
    m->hostname = cr_xstrdup(f->hostname ? f->hostname : m->advertise_ip);
    m->start_time = cr_wall_secs();
    m->elected_time = m->start_time;
    return 0;
}

static void
init_timers(struct master *m)
{
    uv_timer_init(m->loop, &m->tick);
    uv_timer_init(m->loop, &m->heartbeat);
    uv_timer_init(m->loop, &m->agent_ping);
    uv_timer_init(m->loop, &m->allocation);
    uv_idle_init(m->loop, &m->allocate_soon);
    m->tick.data = m->heartbeat.data = m->agent_ping.data = m;
    m->allocation.data = m->allocate_soon.data = m;
    uint64_t alloc_ms = (uint64_t)(m->flags.allocation_interval * 1000);
    uv_timer_start(&m->tick, on_tick, 100, 100);
    uv_timer_start(&m->heartbeat, on_heartbeat,
                   (uint64_t)(m->flags.framework_heartbeat * 1000),
                   (uint64_t)(m->flags.framework_heartbeat * 1000));
    m->ping_at = uv_now(m->loop);
    uv_timer_start(&m->agent_ping, on_agent_ping,
                   agents_heartbeat(m, m->ping_at), 0);
    uv_timer_start(&m->allocation, on_allocation, alloc_ms,
                   alloc_ms ? alloc_ms : 1);
}

/* Free every object at shutdown, without events or allocator calls. */
static void
free_objects(struct master *m)
{
    struct mtask *t, *ttmp;
    HASH_ITER(hh, m->tasks, t, ttmp)
    {
        HASH_DEL(m->tasks, t);
        task_free(t);
    }
    struct moffer *o, *otmp;
    HASH_ITER(hh, m->offers, o, otmp)
    {
        HASH_DEL(m->offers, o);
        offer_free(o);
    }
    struct mframework *f, *ftmp;
    HASH_ITER(hh, m->frameworks, f, ftmp)
    {
        HASH_DEL(m->frameworks, f);
        framework_free(f);
    }
    struct magent *a, *atmp;
    HASH_ITER(hh, m->agents, a, atmp)
    {
        HASH_DEL(m->agents, a);
        agent_free(a);
    }
    m->agents_seen = m->agents_down = NULL;
    m->agents_ping = m->ping_cursor = NULL;
    m->n_ping = 0;
    json_decref(m->completed_frameworks);
    json_decref(m->removed_frameworks);
    json_decref(m->removed_order);
    json_decref(m->pending_offers);
    json_decref(m->quota_roles);
    m->quota_roles = NULL;
    allocator_free(m->allocator);
    m->allocator = NULL;
}

/* Fresh, empty tables and allocator. */
static void
init_state(struct master *m)
{
    m->removed_frameworks = json_object();
    m->removed_order = json_array();
    memset(m->stats.tasks_by_state, 0, sizeof(m->stats.tasks_by_state));
    m->completed_frameworks = json_array();
    m->pending_offers = json_object();
    struct allocator_config acfg = {
        .allocation_interval = m->flags.allocation_interval,
        .min_allocatable = m->flags.min_allocatable_resources,
    };
    m->allocator = allocator_new(&acfg, offers_on_allocation, m);
    apply_weights(m);
}

void
master_reset_state(struct master *m)
{
    free_objects(m);
    init_state(m);
}

static void
close_walk_cb(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

/* Listen, then open the registry and join the election. 0, or -1 after
 * printing why. */
static int
start(struct master *m, int *bound)
{
    int rc = cr_http_server_listen(m->http, m->flags.ip, m->flags.port, bound);
    if (rc != 0) {
        fprintf(stderr, "corral-master: cannot listen on %s:%d: %s\n",
                m->flags.ip, m->flags.port, strerror(-rc));
        return -1;
    }
    setup_identity(m, *bound);
    char err[512];
    if (master_registry_open(m, err, sizeof(err)) != 0 ||
        leadership_start(m, err, sizeof(err)) != 0) {
        fprintf(stderr, "corral-master: %s\n", err);
        return -1;
    }
    cr_info("master %s listening on %s:%d (advertised as %s:%d)", m->id,
            m->flags.ip, *bound, m->advertise_ip, m->advertise_port);
    if (m->flags.ready_file &&
        (rc = write_ready_file(m->flags.ready_file, *bound)) != 0)
        cr_warn("cannot write --ready_file %s: %s", m->flags.ready_file,
                strerror(-rc));
    return 0;
}

int
master_run(struct master *m)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    m->loop = &loop;
    init_state(m);
    m->http = cr_http_server_new(&loop, master_handle_http, m);
    init_timers(m); /* before leading: an elected master allocates soon */
    uv_signal_t sigint, sigterm;
    uv_signal_init(&loop, &sigint);
    uv_signal_init(&loop, &sigterm);
    sigint.data = sigterm.data = m;
    uv_signal_start(&sigint, on_signal, SIGINT);
    uv_signal_start(&sigterm, on_signal, SIGTERM);

    int bound = 0;
    if (start(m, &bound) != 0)
        m->exit_code = 1;
    else
        uv_run(&loop, UV_RUN_DEFAULT);

    /* Shut down in order: our own handles first, then let the libraries
     * (ZooKeeper group, HTTP) finish closing theirs on the loop. */
    leadership_stop(m);
    master_registry_close(m); /* answers requests held for the registry */
    free_objects(m);
    free(m->hostname);
    free(m->advertise_ip);
    free(m->leader_host);
    cr_http_client_shutdown(&loop);
    cr_http_server_free(m->http);
    uv_handle_t *own[] = {
        (uv_handle_t *)&m->tick,          (uv_handle_t *)&m->heartbeat,
        (uv_handle_t *)&m->agent_ping,    (uv_handle_t *)&m->allocation,
        (uv_handle_t *)&m->allocate_soon, (uv_handle_t *)&sigint,
        (uv_handle_t *)&sigterm};
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        uv_close(own[i], NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_walk(&loop, close_walk_cb, NULL); /* anything a library left */
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return m->exit_code ? -1 : 0;
}
