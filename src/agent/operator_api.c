/* SPDX-License-Identifier: Apache-2.0
 *
 * operator_api.c: POST /api/v1 on the agent, the v1 agent operator API
 * (mesos.v1.agent.Call, reference §3.3): GET_HEALTH, GET_FLAGS,
 * GET_VERSION, GET_METRICS, GET/SET_LOGGING_LEVEL, GET_STATE,
 * GET_CONTAINERS, GET_FRAMEWORKS, GET_EXECUTORS, GET_TASKS, GET_AGENT.
 *
 * Checks run in upstream's order: 503 while executors are re-registering
 * after a restart ("Agent has not finished recovery"), 405 unless POST,
 * 400 without Content-Type, 415 unless application/json, 400 on a body
 * that does not decode (operator_call.c; an unknown type is named), 406
 * unless Accept allows application/json, then 501 for the calls of the
 * API Corral does not implement. GET_* answer 200 with exactly
 * "application/json" and {"type": "GET_X", "get_x": {...}};
 * SET_LOGGING_LEVEL answers 200 without Content-Type (mesos-go's
 * "no data" calls).
 *
 * Shapes follow mesos.v1.agent.Response: frameworks, executors and tasks
 * come from the object tables (live and completed, as /state shows them),
 * containers are the live executors with their ContainerStatus and a
 * ResourceStatistics read from /proc for the executor's session (one pass
 * over /proc per GET_CONTAINERS, on the loop thread, at most
 * PROC_SCAN_MAX entries: a few milliseconds on a busy host).
 *
 * Owns nothing: the plumbing every v1 API shares (the checks, typed
 * responses, the SET_LOGGING_LEVEL revert timer) is net/api.h's. Loop
 * thread only.
 */
#include "operator_api.h"

#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/api.h"
#include "net/http.h"
#include "operator_call.h"
#include "sum.h"
#include "task_state.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utlist.h>

/* Largest response body (GET_STATE of a busy agent). */
#define MAX_RESPONSE (256u * 1024 * 1024)
/* /proc entries looked at per GET_CONTAINERS. */
#define PROC_SCAN_MAX 100000

/* ---- small helpers ------------------------------------------------------ */

/* Add the v1 Resource array arr (if valid) to out. */
static void
add_resources_json(struct cr_resources *out, const json_t *arr)
{
    if (!json_is_array(arr))
        return;
    struct cr_resources r;
    cr_resources_init(&r);
    if (cr_resources_parse_json(&r, arr, NULL, NULL, 0) == 0)
        cr_resources_add(out, &r);
    cr_resources_fini(&r);
}

void
operator_exec_resources(const struct executor *e, struct cr_resources *out)
{
    if (!e->command_executor)
        add_resources_json(out, json_object_get(e->info, "resources"));
    const struct task *t;
    DL_FOREACH(e->order, t)
    {
        if (!task_state_is_terminal((enum task_state)t->state))
            add_resources_json(out, json_object_get(t->info, "resources"));
    }
}

/* ---- frameworks, executors, tasks --------------------------------------- */

static json_t *
framework_entry(const struct framework *f)
{
    json_t *info =
        json_is_object(f->info) ? json_deep_copy(f->info) : json_object();
    cr_json_set_id(info, "id", f->id);
    return json_pack("{s:o}", "framework_info", info);
}

static json_t *
get_frameworks(struct agent *a)
{
    json_t *live = json_array(), *done = json_array();
    struct framework *f, *tmp;
    HASH_ITER(hh, a->frameworks, f, tmp)
    json_array_append_new(live, framework_entry(f));
    DL_FOREACH(a->completed_fws, f)
    json_array_append_new(done, framework_entry(f));
    return json_pack("{s:o, s:o}", "frameworks", live, "completed_frameworks",
                     done);
}

static json_t *
executor_entry(const struct executor *e)
{
    json_t *info =
        json_is_object(e->info) ? json_deep_copy(e->info) : json_object();
    cr_json_set_id(info, "executor_id", e->id);
    cr_json_set_id(info, "framework_id", e->fw_id);
    return json_pack("{s:o}", "executor_info", info);
}

static json_t *
get_executors(struct agent *a)
{
    json_t *live = json_array(), *done = json_array();
    struct framework *f, *ftmp;
    struct executor *e, *etmp;
    HASH_ITER(hh, a->frameworks, f, ftmp)
    {
        HASH_ITER(hh, f->executors, e, etmp)
        json_array_append_new(live, executor_entry(e));
        DL_FOREACH(f->completed, e)
        json_array_append_new(done, executor_entry(e));
    }
    DL_FOREACH(a->completed_fws, f)
    {
        HASH_ITER(hh, f->executors, e, etmp)
        json_array_append_new(done, executor_entry(e));
        DL_FOREACH(f->completed, e)
        json_array_append_new(done, executor_entry(e));
    }
    return json_pack("{s:o, s:o}", "executors", live, "completed_executors",
                     done);
}

/* t in the mesos.v1.Task shape. */
static json_t *
task_entry(struct agent *a, const struct executor *e, const struct task *t)
{
    json_t *o = json_object();
    const char *name = cr_json_str(t->info, "name");
    json_object_set_new(o, "name", json_string(name ? name : ""));
    cr_json_set_id(o, "task_id", t->id);
    cr_json_set_id(o, "framework_id", e->fw_id);
    /* A command task has no executor of its own (as in /state). */
    if (!(e->command_executor && strcmp(e->id, t->id) == 0))
        cr_json_set_id(o, "executor_id", e->id);
    if (a->id)
        cr_json_set_id(o, "agent_id", a->id);
    json_object_set_new(
        o, "state", json_string(task_state_name((enum task_state)t->state)));
    json_t *res = json_object_get(t->info, "resources");
    json_object_set_new(o, "resources",
                        json_is_array(res) ? json_deep_copy(res)
                                           : json_array());
    if (json_array_size(t->statuses) > 0)
        json_object_set_new(o, "statuses", json_deep_copy(t->statuses));
    const json_t *head = sum_head(a->sum, e->fw_id, t->id);
    if (head) {
        json_t *st = json_object_get(head, "state");
        json_t *uuid = json_object_get(head, "uuid");
        if (st)
            json_object_set(o, "status_update_state", st);
        if (uuid)
            json_object_set(o, "status_update_uuid", uuid);
    }
    static const char *const copy[] = {"labels", "discovery", "container",
                                       "health_check", "limits"};
    for (size_t i = 0; i < sizeof(copy) / sizeof(copy[0]); i++) {
        json_t *v = json_object_get(t->info, copy[i]);
        if (v && !json_is_null(v))
            json_object_set_new(o, copy[i], json_deep_copy(v));
    }
    return o;
}

struct task_lists {
    json_t *queued, *launched, *terminated, *completed;
};

/* The tasks of e; live: e is among its framework's executors. */
static void
collect_tasks(struct agent *a, const struct executor *e, bool live,
              struct task_lists *l)
{
    const struct task *t;
    DL_FOREACH(e->order, t)
    {
        json_t *dst;
        if (!live || task_state_is_terminal((enum task_state)t->state))
            dst = l->terminated;
        else if (!t->launched)
            dst = l->queued;
        else
            dst = l->launched;
        json_array_append_new(dst, task_entry(a, e, t));
    }
    DL_FOREACH(e->completed, t)
    json_array_append_new(l->completed, task_entry(a, e, t));
}

static void
collect_framework_tasks(struct agent *a, const struct framework *f, bool live,
                        struct task_lists *l)
{
    struct executor *e, *etmp;
    HASH_ITER(hh, f->executors, e, etmp)
    collect_tasks(a, e, live, l);
    DL_FOREACH(f->completed, e)
    collect_tasks(a, e, false, l);
}

/* Tasks are queued on their executor as soon as they arrive, so
 * pending_tasks (waiting for an executor to be created) stays empty. */
static json_t *
get_tasks(struct agent *a)
{
    struct task_lists l = {json_array(), json_array(), json_array(),
                           json_array()};
    struct framework *f, *ftmp;
    HASH_ITER(hh, a->frameworks, f, ftmp)
    collect_framework_tasks(a, f, true, &l);
    DL_FOREACH(a->completed_fws, f)
    collect_framework_tasks(a, f, false, &l);
    return json_pack("{s:[], s:o, s:o, s:o, s:o}", "pending_tasks",
                     "queued_tasks", l.queued, "launched_tasks", l.launched,
                     "terminated_tasks", l.terminated, "completed_tasks",
                     l.completed);
}

static json_t *
get_state(struct agent *a)
{
    return json_pack("{s:o, s:o, s:o}", "get_tasks", get_tasks(a),
                     "get_executors", get_executors(a), "get_frameworks",
                     get_frameworks(a));
}

/* ---- containers ---------------------------------------------------------- */

/* Usage of one executor's session (the executor runs in its own session
 * whose id is its pid), summed over the session's processes. */
struct usage {
    int sid;
    bool found;
    unsigned processes, threads;
    double utime_ticks, stime_ticks, rss_pages;
    UT_hash_handle hh;
};

/* The numeric fields of /proc/<pid>/stat we use (1-based numbers, as in
 * proc(5)). */
enum { STAT_SESSION, STAT_UTIME, STAT_STIME, STAT_THREADS, STAT_RSS, N_STAT };
static const int stat_fields[N_STAT] = {6, 14, 15, 20, 24};

/* Parse the fields after the command name (which may hold spaces and
 * parentheses: the last ')' ends it). 0 or -1. */
static int
parse_stat(const char *text, double out[N_STAT])
{
    const char *p = strrchr(text, ')');
    if (p == NULL)
        return -1;
    p++;
    int found = 0;
    for (int field = 3; field <= stat_fields[N_STAT - 1]; field++) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            return -1;
        for (int k = 0; k < N_STAT; k++)
            if (stat_fields[k] == field) {
                char *end;
                out[k] = strtod(p, &end);
                if (end == p)
                    return -1;
                found++;
            }
        p += strcspn(p, " ");
    }
    return found == N_STAT ? 0 : -1;
}

static void
scan_one(struct usage *by_sid, const char *pid)
{
    char path[64], text[1024];
    snprintf(path, sizeof(path), "/proc/%s/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return;
    text[n] = '\0';
    double f[N_STAT] = {0};
    if (parse_stat(text, f) != 0 || !(f[STAT_SESSION] > 0) ||
        f[STAT_SESSION] > 1e9 || !(f[STAT_THREADS] >= 0) ||
        f[STAT_THREADS] > 1e6)
        return;
    int sid = (int)f[STAT_SESSION];
    struct usage *u = NULL;
    HASH_FIND_INT(by_sid, &sid, u);
    if (u == NULL)
        return;
    u->found = true;
    u->processes++;
    u->threads += (unsigned)f[STAT_THREADS];
    u->utime_ticks += f[STAT_UTIME];
    u->stime_ticks += f[STAT_STIME];
    u->rss_pages += f[STAT_RSS];
}

/* One pass over /proc for every session in by_sid. */
static void
scan_proc(struct usage *by_sid)
{
    if (by_sid == NULL)
        return;
    DIR *d = opendir("/proc");
    if (d == NULL)
        return;
    struct dirent *de;
    size_t seen = 0;
    while ((de = readdir(d)) != NULL && seen < PROC_SCAN_MAX) {
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        seen++;
        scan_one(by_sid, de->d_name);
    }
    closedir(d);
}

static json_t *
statistics_json(const struct executor *e, const struct usage *u)
{
    struct cr_resources r;
    cr_resources_init(&r);
    operator_exec_resources(e, &r);
    json_t *s = json_pack("{s:f}", "timestamp", cr_wall_secs());
    double cpus = cr_resources_scalar(&r, "cpus");
    double mem = cr_resources_scalar(&r, "mem");
    cr_resources_fini(&r);
    if (cpus > 0)
        json_object_set_new(s, "cpus_limit", json_real(cpus));
    if (mem > 0)
        json_object_set_new(s, "mem_limit_bytes",
                            json_integer((json_int_t)(mem * 1024 * 1024)));
    if (u && u->found) {
        double tick = (double)sysconf(_SC_CLK_TCK);
        double page = (double)sysconf(_SC_PAGESIZE);
        if (tick <= 0)
            tick = 100;
        json_object_set_new(s, "processes", json_integer(u->processes));
        json_object_set_new(s, "threads", json_integer(u->threads));
        json_object_set_new(s, "cpus_user_time_secs",
                            json_real(u->utime_ticks / tick));
        json_object_set_new(s, "cpus_system_time_secs",
                            json_real(u->stime_ticks / tick));
        json_object_set_new(s, "mem_rss_bytes",
                            json_integer((json_int_t)(u->rss_pages * page)));
    }
    return s;
}

static json_t *
container_entry(const struct executor *e, const struct usage *u)
{
    const char *name = cr_json_str(e->info, "name");
    json_t *c = json_object();
    cr_json_set_id(c, "framework_id", e->fw_id);
    cr_json_set_id(c, "executor_id", e->id);
    json_object_set_new(c, "executor_name", json_string(name ? name : ""));
    cr_json_set_id(c, "container_id", e->cid);
    json_t *status = json_object();
    cr_json_set_id(status, "container_id", e->cid);
    if (e->pid > 0)
        json_object_set_new(status, "executor_pid", json_integer(e->pid));
    json_object_set_new(c, "container_status", status);
    json_object_set_new(c, "resource_statistics", statistics_json(e, u));
    return c;
}

static struct usage *
usage_add(struct usage **by_sid, int sid)
{
    struct usage *u = NULL;
    HASH_FIND_INT(*by_sid, &sid, u);
    if (u == NULL) {
        u = cr_xcalloc(1, sizeof(*u));
        u->sid = sid;
        HASH_ADD_INT(*by_sid, sid, u);
    }
    return u;
}

/* The live executors' containers (those of terminated executors are
 * gone, as upstream's). */
static json_t *
get_containers(struct agent *a)
{
    struct usage *by_sid = NULL;
    struct framework *f, *ftmp;
    struct executor *e, *etmp;
    HASH_ITER(hh, a->frameworks, f, ftmp)
    {
        HASH_ITER(hh, f->executors, e, etmp)
        {
            if (e->pid > 0 && e->state != EXEC_TERMINATED)
                usage_add(&by_sid, e->pid);
        }
    }
    scan_proc(by_sid);
    json_t *arr = json_array();
    HASH_ITER(hh, a->frameworks, f, ftmp)
    {
        HASH_ITER(hh, f->executors, e, etmp)
        {
            struct usage *u = NULL;
            if (e->pid > 0 && e->state != EXEC_TERMINATED)
                HASH_FIND_INT(by_sid, &e->pid, u);
            json_array_append_new(arr, container_entry(e, u));
        }
    }
    struct usage *u, *utmp;
    HASH_ITER(hh, by_sid, u, utmp)
    {
        HASH_DEL(by_sid, u);
        free(u);
    }
    return json_pack("{s:o}", "containers", arr);
}

/* ---- the small calls ----------------------------------------------------- */

static json_t *
get_health(struct agent *a)
{
    (void)a;
    return json_pack("{s:b}", "healthy", 1);
}

static json_t *
get_flags(struct agent *a)
{
    json_t *flags = json_array();
    for (size_t i = 0; i < a->n_flags; i++)
        if (a->flags[i].value)
            json_array_append_new(flags, json_pack("{s:s, s:s}", "name",
                                                   a->flags[i].name, "value",
                                                   a->flags[i].value));
    return json_pack("{s:o}", "flags", flags);
}

static json_t *
get_version(struct agent *a)
{
    (void)a;
    return json_pack("{s:o}", "version_info", cr_api_version_info(false));
}

static json_t *
get_metrics(struct agent *a)
{
    return cr_api_metrics(agent_metrics_json(a));
}

static json_t *
get_logging_level(struct agent *a)
{
    (void)a;
    return cr_api_logging_level();
}

static json_t *
get_agent(struct agent *a)
{
    return json_pack("{s:o}", "agent_info", agent_info_json(a));
}

/* ---- dispatch ------------------------------------------------------------ */

typedef json_t *(*getter_fn)(struct agent *a);

static const struct {
    enum agent_call_type type;
    getter_fn fn;
} getters[] = {
    {AGENT_CALL_GET_HEALTH, get_health},
    {AGENT_CALL_GET_FLAGS, get_flags},
    {AGENT_CALL_GET_VERSION, get_version},
    {AGENT_CALL_GET_METRICS, get_metrics},
    {AGENT_CALL_GET_LOGGING_LEVEL, get_logging_level},
    {AGENT_CALL_GET_STATE, get_state},
    {AGENT_CALL_GET_CONTAINERS, get_containers},
    {AGENT_CALL_GET_FRAMEWORKS, get_frameworks},
    {AGENT_CALL_GET_EXECUTORS, get_executors},
    {AGENT_CALL_GET_TASKS, get_tasks},
    {AGENT_CALL_GET_AGENT, get_agent},
};

/* Method, recovery and Content-Type. 0, or -1 after answering. */
static int
check_request(struct agent *a, struct cr_http_req *req)
{
    if (a->recovering) {
        cr_http_respond_text(req, 503, "Agent has not finished recovery");
        return -1;
    }
    return cr_api_check_post_json(req);
}

static void
dispatch(struct agent *a, struct cr_http_req *req, const struct agent_call *c)
{
    if (c->type == AGENT_CALL_SET_LOGGING_LEVEL) {
        /* Level 0: the usual lines, higher: debug lines, for `duration`. */
        cr_api_set_logging_level(a->loop, c->level, c->duration_secs * 1e3);
        cr_http_respond(req, 200, NULL, NULL, 0, NULL);
        return;
    }
    for (size_t i = 0; i < sizeof(getters) / sizeof(getters[0]); i++)
        if (getters[i].type == c->type) {
            cr_api_respond_typed(req, c->name, getters[i].fn(a), MAX_RESPONSE);
            return;
        }
    cr_http_respond_text(req, 501, "Unsupported call type");
}

void
operator_api_handle(struct agent *a, struct cr_http_req *req)
{
    if (check_request(a, req) != 0)
        return;
    struct agent_call c;
    char err[256];
    int rc = agent_call_decode(req->body, req->body_len, &c, err, sizeof(err));
    if (rc == 400) {
        char msg[320];
        snprintf(msg, sizeof(msg), "Failed to validate agent::Call: %s", err);
        cr_http_respond_text(req, 400, msg);
        return;
    }
    if (cr_api_check_accept(req) != 0) {
        /* answered 406 */
    } else if (rc == 501) {
        cr_http_respond_text(req, 501, err);
    } else {
        dispatch(a, req, &c);
    }
    agent_call_fini(&c);
}
