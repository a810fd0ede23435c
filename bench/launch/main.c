/* SPDX-License-Identifier: Apache-2.0
 *
 * bench_launch: end-to-end task throughput and latency through the whole
 * stack: scheduler API -> master -> agent -> corral-executor -> task.
 *
 * It subscribes as a framework, launches --tasks tasks of `true` (as many
 * per offer as fit, never more than --inflight unfinished at once),
 * acknowledges every update, and reports the latency from the ACCEPT that
 * carried a task to its TASK_RUNNING and to its TASK_FINISHED, plus the
 * overall rate. As a baseline measured in the same run it spawns the same
 * number of `/bin/sh -c true` processes directly with the same
 * concurrency: the floor that process creation alone puts under any
 * launcher on this machine.
 *
 * Prints a table; never fails on a figure (bench/ decides nothing).
 */
#include "base/clock.h"
#include "base/json.h"
#include "scheduler/scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

struct bench {
    uv_loop_t *loop;
    struct cr_sched *s;
    int total, inflight_max;
    int launched, running, finished, failed, inflight;
    uint64_t *t_accept, *t_running, *t_finished;
    uint64_t t0, t_end;
    double cpus, mem;
};

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double
pct_ms(uint64_t *v, int n, double p)
{
    if (n == 0)
        return 0;
    int i = (int)(p * (n - 1) + 0.5);
    return (double)v[i] / 1e6;
}

static json_t *
scalar(const char *name, double v, const char *role)
{
    return json_pack("{s:s, s:s, s:{s:f}, s:{s:s}}", "name", name, "type",
                     "SCALAR", "scalar", "value", v, "allocation_info", "role",
                     role);
}

static void
on_offers(struct cr_sched *s, void *data, json_t *offers)
{
    struct bench *b = data;
    size_t i;
    json_t *o;
    json_array_foreach(offers, i, o)
    {
        const char *oid = cr_json_id(o, "id");
        const char *role =
            cr_json_str(json_object_get(o, "allocation_info"), "role");
        json_t *res = json_object_get(o, "resources"), *r;
        double cpus = 0, mem = 0;
        size_t k;
        json_array_foreach(res, k, r)
        {
            double v = 0;
            cr_json_num(json_object_get(r, "scalar"), "value", &v);
            if (strcmp(cr_json_str(r, "name"), "cpus") == 0)
                cpus += v;
            if (strcmp(cr_json_str(r, "name"), "mem") == 0)
                mem += v;
        }
        json_t *tasks = json_array();
        uint64_t now = cr_mono_ns();
        while (b->launched < b->total && b->inflight < b->inflight_max &&
               cpus >= b->cpus - 1e-9 && mem >= b->mem - 1e-9) {
            char id[32];
            snprintf(id, sizeof(id), "b-%d", b->launched);
            json_t *t =
                json_pack("{s:s, s:{s:s}, s:O, s:[o,o], s:{s:b, s:s}}", "name",
                          id, "task_id", "value", id, "agent_id",
                          json_object_get(o, "agent_id"), "resources",
                          scalar("cpus", b->cpus, role ? role : "*"),
                          scalar("mem", b->mem, role ? role : "*"), "command",
                          "shell", 1, "value", "true");
            json_array_append_new(tasks, t);
            b->t_accept[b->launched++] = now;
            b->inflight++;
            cpus -= b->cpus;
            mem -= b->mem;
        }
        const char *ids[1] = {oid};
        if (json_array_size(tasks) > 0)
            cr_sched_launch(s, ids, 1, tasks, 0, NULL, NULL);
        else {
            json_decref(tasks);
            cr_sched_decline(s, ids, 1, 60, NULL, NULL);
        }
    }
}

static void
on_update(struct cr_sched *s, void *data, json_t *status)
{
    struct bench *b = data;
    const char *tid = cr_json_id(status, "task_id");
    const char *state = cr_json_str(status, "state");
    int n = tid && strncmp(tid, "b-", 2) == 0 ? atoi(tid + 2) : -1;
    cr_sched_ack_update(s, status, NULL, NULL);
    if (n < 0 || n >= b->total || state == NULL)
        return;
    uint64_t now = cr_mono_ns();
    if (strcmp(state, "TASK_RUNNING") == 0 && b->t_running[n] == 0) {
        b->t_running[n] = now - b->t_accept[n];
        b->running++;
    } else if (cr_sched_task_state_is_terminal(state) &&
               b->t_finished[n] == 0) {
        b->t_finished[n] = now - b->t_accept[n];
        b->finished++;
        b->inflight--;
        if (strcmp(state, "TASK_FINISHED") != 0)
            b->failed++;
        if (b->finished == b->total) {
            b->t_end = now;
            cr_sched_teardown(s, NULL, NULL);
            uv_stop(b->loop);
        } else if (b->launched < b->total) {
            cr_sched_revive(s, NULL, 0, NULL, NULL);
        }
    }
}

struct spawn_bench {
    uv_loop_t *loop;
    int total, started, done, inflight_max, inflight;
};

static void start_spawns(struct spawn_bench *sb);

static void
on_spawn_close(uv_handle_t *h)
{
    free(h);
}

static void
on_spawn_exit(uv_process_t *p, int64_t status, int sig)
{
    struct spawn_bench *sb = p->data;
    sb->done++;
    sb->inflight--;
    uv_close((uv_handle_t *)p, on_spawn_close);
    start_spawns(sb);
}

static void
start_spawns(struct spawn_bench *sb)
{
    static char *argv[] = {"/bin/sh", "-c", "true", NULL};
    while (sb->started < sb->total && sb->inflight < sb->inflight_max) {
        uv_process_t *p = calloc(1, sizeof(*p));
        uv_process_options_t o = {
            .file = argv[0], .args = argv, .exit_cb = on_spawn_exit};
        p->data = sb;
        if (uv_spawn(sb->loop, p, &o) != 0) {
            free(p);
            sb->total = sb->started;
            break;
        }
        sb->started++;
        sb->inflight++;
    }
}

static double
baseline_spawn_rate(int n, int inflight)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct spawn_bench sb = {
        .loop = &loop, .total = n, .inflight_max = inflight};
    uint64_t t0 = cr_mono_ns();
    start_spawns(&sb);
    uv_run(&loop, UV_RUN_DEFAULT);
    double secs = (double)(cr_mono_ns() - t0) / 1e9;
    uv_loop_close(&loop);
    return sb.done / secs;
}

int
main(int argc, char **argv)
{
    const char *master = "127.0.0.1:5050";
    struct bench b = {
        .total = 1000, .inflight_max = 64, .cpus = 0.01, .mem = 1};
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--master=", 9) == 0)
            master = argv[i] + 9;
        else if (strncmp(argv[i], "--tasks=", 8) == 0)
            b.total = atoi(argv[i] + 8);
        else if (strncmp(argv[i], "--inflight=", 11) == 0)
            b.inflight_max = atoi(argv[i] + 11);
        else {
            fprintf(stderr, "usage: bench_launch [--master=H:P] [--tasks=N] "
                            "[--inflight=K]\n");
            return 1;
        }
    }
    if (b.total < 1 || b.inflight_max < 1) {
        fprintf(stderr, "bench_launch: --tasks and --inflight must be >= 1\n");
        return 1;
    }
    b.t_accept = calloc((size_t)b.total, sizeof(uint64_t));
    b.t_running = calloc((size_t)b.total, sizeof(uint64_t));
    b.t_finished = calloc((size_t)b.total, sizeof(uint64_t));
    uv_loop_t loop;
    uv_loop_init(&loop);
    b.loop = &loop;
    json_t *fi = json_pack("{s:s, s:s, s:f}", "user", "root", "name",
                           "bench_launch", "failover_timeout", 0.0);
    struct cr_sched_callbacks cbs = {.offers = on_offers, .update = on_update};
    b.s = cr_sched_new(&loop, master, fi, &cbs, &b);
    json_decref(fi);
    if (b.s == NULL)
        return 1;
    b.t0 = cr_mono_ns();
    cr_sched_start(b.s);
    uv_run(&loop, UV_RUN_DEFAULT);
    double secs = (double)(b.t_end - b.t0) / 1e9;
    cr_sched_free(b.s);
    uv_run(&loop, UV_RUN_NOWAIT);

    qsort(b.t_running, (size_t)b.total, sizeof(uint64_t), cmp_u64);
    qsort(b.t_finished, (size_t)b.total, sizeof(uint64_t), cmp_u64);
    int skip = b.total - b.running; /* zeros sort first */
    double base = baseline_spawn_rate(b.total, b.inflight_max);
    printf("| tasks | inflight | tasks/s | running p50 ms | running p99 ms "
           "| finished p50 ms | finished p99 ms | failed | baseline sh "
           "spawns/s |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    printf("| %d | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %d | %.0f |\n",
           b.total, b.inflight_max, b.finished / secs,
           pct_ms(b.t_running + skip, b.running, 0.5),
           pct_ms(b.t_running + skip, b.running, 0.99),
           pct_ms(b.t_finished, b.total, 0.5),
           pct_ms(b.t_finished, b.total, 0.99), b.failed, base);
    return 0;
}
