/* SPDX-License-Identifier: Apache-2.0
 *
 * metrics.c: the agent's metrics with upstream's names (reference §3.7,
 * slave/...), for /metrics/snapshot, /metrics and GET_METRICS.
 *
 * Computed when asked, in one pass over the object tables:
 *   slave/registered, slave/uptime_secs, slave/frameworks_active,
 *   slave/executors_registering|running|terminating (live executors by
 *   state; registering includes launching), slave/executors_terminated,
 *   slave/tasks_staging|starting|running|killing (live tasks by state),
 *   slave/tasks_finished|failed|killed|lost|gone (terminal tasks),
 *   slave/<r>_total|used|percent for cpus, mem, disk, gpus (used: what
 *   the live executors' containers hold), and the system/... gauges.
 *
 * The terminated/terminal counts are upstream counters; here they count
 * what the agent still remembers (completed executors, tasks and
 * frameworks are kept up to the AGENT_MAX_COMPLETED_* bounds), so they are
 * exact until those bounds are reached and never count a task twice.
 *
 * Loop thread only.
 */
#include "base/metrics.h"

#include "base/clock.h"
#include "operator_api.h"
#include "task_state.h"

#include <stdio.h>
#include <utlist.h>

static void
put(json_t *o, const char *name, double v)
{
    json_object_set_new(o, name, json_real(v));
}

struct counts {
    double exec_registering, exec_running, exec_terminating, exec_terminated;
    double tasks[TS_COUNT];
};

static void
count_tasks(const struct task *list, struct counts *c)
{
    const struct task *t;
    DL_FOREACH(list, t)
    {
        int st = t->state >= 0 && t->state < TS_COUNT ? t->state : TS_UNKNOWN;
        c->tasks[st]++;
    }
}

static void
count_executor(const struct executor *e, bool live, struct counts *c)
{
    count_tasks(e->order, c);
    count_tasks(e->completed, c);
    if (!live || e->state == EXEC_TERMINATED)
        c->exec_terminated++;
    else if (e->state == EXEC_TERMINATING)
        c->exec_terminating++;
    else if (e->state == EXEC_RUNNING)
        c->exec_running++;
    else
        c->exec_registering++;
}

static void
count_framework(const struct framework *f, bool live, struct counts *c)
{
    struct executor *e, *tmp;
    HASH_ITER(hh, f->executors, e, tmp)
    count_executor(e, live, c);
    DL_FOREACH(f->completed, e)
    count_executor(e, false, c);
}

static void
resource_metrics(struct agent *a, json_t *o)
{
    static const char *const names[] = {"cpus", "mem", "disk", "gpus"};
    struct cr_resources total, used;
    cr_resources_init(&total);
    cr_resources_init(&used);
    if (json_is_array(a->resources))
        cr_resources_parse_json(&total, a->resources, NULL, NULL, 0);
    struct framework *f, *ftmp;
    struct executor *e, *etmp;
    HASH_ITER(hh, a->frameworks, f, ftmp)
    {
        HASH_ITER(hh, f->executors, e, etmp)
        {
            if (e->state != EXEC_TERMINATED)
                operator_exec_resources(e, &used);
        }
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        double t = cr_resources_scalar(&total, names[i]);
        double u = cr_resources_scalar(&used, names[i]);
        char key[64];
        snprintf(key, sizeof(key), "slave/%s_total", names[i]);
        put(o, key, t);
        snprintf(key, sizeof(key), "slave/%s_used", names[i]);
        put(o, key, u);
        snprintf(key, sizeof(key), "slave/%s_percent", names[i]);
        put(o, key, t > 0 ? u / t : 0);
    }
    cr_resources_fini(&total);
    cr_resources_fini(&used);
}

json_t *
agent_metrics_json(struct agent *a)
{
    struct counts c = {0};
    double fws = 0;
    struct framework *f, *tmp;
    HASH_ITER(hh, a->frameworks, f, tmp)
    {
        fws += !f->removing;
        count_framework(f, true, &c);
    }
    DL_FOREACH(a->completed_fws, f)
    count_framework(f, false, &c);

    json_t *o = json_object();
    put(o, "slave/registered", link_is_subscribed(a) ? 1 : 0);
    put(o, "slave/uptime_secs", cr_wall_secs() - a->start_time);
    put(o, "slave/frameworks_active", fws);
    put(o, "slave/executors_registering", c.exec_registering);
    put(o, "slave/executors_running", c.exec_running);
    put(o, "slave/executors_terminating", c.exec_terminating);
    put(o, "slave/executors_terminated", c.exec_terminated);
    put(o, "slave/tasks_staging", c.tasks[TS_STAGING]);
    put(o, "slave/tasks_starting", c.tasks[TS_STARTING]);
    put(o, "slave/tasks_running", c.tasks[TS_RUNNING]);
    put(o, "slave/tasks_killing", c.tasks[TS_KILLING]);
    put(o, "slave/tasks_finished", c.tasks[TS_FINISHED]);
    put(o, "slave/tasks_failed", c.tasks[TS_FAILED]);
    put(o, "slave/tasks_killed", c.tasks[TS_KILLED]);
    put(o, "slave/tasks_lost", c.tasks[TS_LOST]);
    put(o, "slave/tasks_gone", c.tasks[TS_GONE]);
    resource_metrics(a, o);
    cr_metrics_system(o);
    return o;
}

int
agent_metrics_prometheus(struct agent *a, struct cr_buf *out)
{
    static const char *const counters[] = {
        "slave/executors_terminated", "slave/tasks_finished",
        "slave/tasks_failed",         "slave/tasks_killed",
        "slave/tasks_lost",           "slave/tasks_gone",
    };
    json_t *o = agent_metrics_json(a);
    int rc = cr_metrics_prometheus(o, counters,
                                   sizeof(counters) / sizeof(counters[0]), out);
    json_decref(o);
    return rc;
}
