/* SPDX-License-Identifier: Apache-2.0
 *
 * metrics.c: the master's metrics, with the upstream names (reference
 * §3.7), served as the flat JSON object of /metrics/snapshot and in the
 * Prometheus text exposition format at /metrics.
 *
 * Everything is computed when asked from state the master keeps anyway
 * (counters in struct master_stats, the object tables), so serving
 * metrics costs nothing between scrapes.
 */
#include "allocator.h"
#include "base/buf.h"
#include "base/clock.h"
#include "log/log.h"
#include "master.h"
#include "registrar.h"
#include "replicas.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static void
put(json_t *o, const char *name, double v)
{
    json_object_set_new(o, name, json_real(v));
}

static void
resource_metrics(struct master *m, json_t *o)
{
    static const char *const names[] = {"cpus", "mem", "disk", "gpus"};
    double total[4] = {0}, used[4] = {0};
    struct magent *a, *atmp;
    HASH_ITER(hh, m->agents, a, atmp)
    {
        if (a->state != AGENT_CONNECTED)
            continue;
        for (int i = 0; i < 4; i++)
            total[i] += cr_resources_scalar(&a->total, names[i]);
    }
    struct mtask *t, *ttmp;
    HASH_ITER(hh, m->tasks, t, ttmp)
    {
        if (t->resources_released)
            continue;
        for (int i = 0; i < 4; i++)
            used[i] += cr_resources_scalar(&t->res, names[i]);
    }
    for (int i = 0; i < 4; i++) {
        char key[64];
        snprintf(key, sizeof(key), "master/%s_total", names[i]);
        put(o, key, total[i]);
        snprintf(key, sizeof(key), "master/%s_used", names[i]);
        put(o, key, used[i]);
        snprintf(key, sizeof(key), "master/%s_percent", names[i]);
        put(o, key, total[i] > 0 ? used[i] / total[i] : 0);
    }
}

static void
object_metrics(struct master *m, json_t *o)
{
    double fw_connected = 0, fw_disconnected = 0;
    double ag_connected = 0, ag_disconnected = 0;
    struct mframework *f, *ftmp;
    HASH_ITER(hh, m->frameworks, f, ftmp)
    {
        if (f->state == FRAMEWORK_CONNECTED)
            fw_connected++;
        else
            fw_disconnected++;
    }
    struct magent *a, *atmp;
    HASH_ITER(hh, m->agents, a, atmp)
    {
        if (a->state == AGENT_CONNECTED)
            ag_connected++;
        else
            ag_disconnected++;
    }
    put(o, "master/frameworks_active", fw_connected);
    put(o, "master/frameworks_inactive", fw_disconnected);
    put(o, "master/frameworks_connected", fw_connected);
    put(o, "master/frameworks_disconnected", fw_disconnected);
    put(o, "master/slaves_active", ag_connected);
    put(o, "master/slaves_inactive", ag_disconnected);
    put(o, "master/slaves_connected", ag_connected);
    put(o, "master/slaves_disconnected", ag_disconnected);
    put(o, "master/slaves_unreachable",
        m->registrar ? (double)registrar_registry(m->registrar)
                           ->count[REGISTRY_UNREACHABLE]
                     : 0);
    put(o, "master/outstanding_offers", (double)HASH_COUNT(m->offers));
}

static void
task_metrics(struct master *m, json_t *o)
{
    for (int s = 0; s < TASK_STATE_COUNT; s++) {
        /* "TASK_RUNNING" -> "master/tasks_running" */
        char key[64];
        const char *name = task_state_name((enum task_state)s) + 5;
        int n = snprintf(key, sizeof(key), "master/tasks_");
        for (const char *p = name; *p && n < (int)sizeof(key) - 1; p++)
            key[n++] = (char)tolower((unsigned char)*p);
        key[n] = '\0';
        put(o, key, (double)m->stats.tasks_by_state[s]);
    }
}

/* Upstream's registrar metrics (the registrar/log ones only with a
 * log). */
static void
registrar_metrics(struct master *m, json_t *o)
{
    struct registrar_stats rs = {0};
    if (m->registrar)
        registrar_get_stats(m->registrar, &rs);
    put(o, "registrar/state_fetch_ms", rs.fetch_ms);
    put(o, "registrar/state_store_ms", rs.store_ms);
    put(o, "registrar/registry_size_bytes", (double)rs.size_bytes);
    if (m->log == NULL)
        return;
    put(o, "registrar/log/recovered",
        cr_log_local_status(m->log) == CR_LOG_VOTING ? 1 : 0);
    put(o, "registrar/log/ensemble_size",
        m->replicas ? (double)replicas_count(m->replicas) : 1);
}

static void
system_metrics(json_t *o)
{
    struct sysinfo si;
    put(o, "system/cpus_total", (double)sysconf(_SC_NPROCESSORS_ONLN));
    if (sysinfo(&si) == 0) {
        double scale = 1.0 / (double)(1 << SI_LOAD_SHIFT);
        put(o, "system/load_1min", (double)si.loads[0] * scale);
        put(o, "system/load_5min", (double)si.loads[1] * scale);
        put(o, "system/load_15min", (double)si.loads[2] * scale);
        put(o, "system/mem_total_bytes",
            (double)si.totalram * (double)si.mem_unit);
        put(o, "system/mem_free_bytes",
            (double)si.freeram * (double)si.mem_unit);
    }
}

json_t *
metrics_json(struct master *m)
{
    json_t *o = json_object();
    struct allocator_stats as;
    allocator_get_stats(m->allocator, &as);
    put(o, "master/elected", m->leading ? 1 : 0);
    put(o, "master/uptime_secs", cr_wall_secs() - m->start_time);
    object_metrics(m, o);
    task_metrics(m, o);
    resource_metrics(m, o);
    put(o, "master/slave_registrations", (double)m->stats.agent_registrations);
    put(o, "master/slave_reregistrations",
        (double)m->stats.agent_reregistrations);
    put(o, "master/slave_removals", (double)m->stats.agent_removals);
    put(o, "master/valid_status_updates",
        (double)m->stats.valid_status_updates);
    put(o, "master/invalid_status_updates",
        (double)m->stats.invalid_status_updates);
    put(o, "master/offers_made", (double)m->stats.offers_made);
    put(o, "allocator/mesos/allocation_runs", (double)as.runs);
    put(o, "allocator/mesos/allocation_run_ms", as.last_run_ms);
    put(o, "allocator/mesos/allocation_run_ms/max", as.max_run_ms);
    put(o, "allocator/mesos/filters", (double)as.filters);
    registrar_metrics(m, o);
    system_metrics(o);
    return o;
}

/* "master/tasks_running" -> "master_tasks_running"; Prometheus names allow
 * [a-zA-Z0-9_:] only. */
static void
prom_name(const char *in, char *out, size_t n)
{
    size_t i = 0;
    for (; *in && i + 1 < n; in++)
        out[i++] = isalnum((unsigned char)*in) ? *in : '_';
    out[i] = '\0';
}

/* Counters only grow; everything else is a gauge. */
static bool
is_counter(const char *name)
{
    static const char *const counters[] = {"master/tasks_finished",
                                           "master/tasks_failed",
                                           "master/tasks_killed",
                                           "master/tasks_lost",
                                           "master/tasks_error",
                                           "master/tasks_dropped",
                                           "master/tasks_gone",
                                           "master/tasks_gone_by_operator",
                                           "master/slave_registrations",
                                           "master/slave_reregistrations",
                                           "master/slave_removals",
                                           "master/valid_status_updates",
                                           "master/invalid_status_updates",
                                           "master/offers_made",
                                           "allocator/mesos/allocation_runs"};
    for (size_t i = 0; i < sizeof(counters) / sizeof(counters[0]); i++)
        if (strcmp(name, counters[i]) == 0)
            return true;
    return false;
}

int
metrics_prometheus(struct master *m, struct cr_buf *out)
{
    json_t *o = metrics_json(m);
    const char *key;
    json_t *v;
    int rc = 0;
    json_object_foreach(o, key, v)
    {
        char name[128];
        prom_name(key, name, sizeof(name));
        rc |= cr_buf_printf(out, "# TYPE %s %s\n%s %.17g\n", name,
                            is_counter(key) ? "counter" : "gauge", name,
                            json_number_value(v));
    }
    json_decref(o);
    return rc ? -1 : 0;
}
