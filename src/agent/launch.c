/* SPDX-License-Identifier: Apache-2.0
 *
 * launch.c: bringing an executor up.
 *
 *   launch_executor: queue checkpoints (framework.info, executor.info,
 *   task.info) and the sandbox directory + runs/latest link on the
 *   checkpoint queue -> barrier -> fetch the URIs on the thread pool ->
 *   spawn the executor (own session, stdout/stderr to sandbox files) ->
 *   forked.pid checkpoint, registration timer.
 *
 * Each async step carries a struct launch_ref (ids, not pointers) and
 * looks the executor up again; if it is gone or was shut down meanwhile,
 * the launch stops there. Loop thread only (except fetch_work, which runs
 * on the thread pool and touches only its job).
 */
#include "agent.h"
#include "base/duration.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "ckpt.h"
#include "fetcher.h"
#include "paths.h"
#include "proc.h"
#include "task_state.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utlist.h>

extern char **environ;

struct launch_ref {
    struct agent *a;
    char *fw, *exec, *cid;
    /* fetch job */
    uv_work_t work;
    struct fetch_uri *uris;
    size_t n_uris;
    char *dir;
    int rc;
    char err[600];
    /* task checkpoint */
    char *task;
};

static struct launch_ref *
ref_new(struct executor *e)
{
    struct launch_ref *r = cr_xcalloc(1, sizeof(*r));
    r->a = e->agent;
    r->fw = cr_xstrdup(e->fw_id);
    r->exec = cr_xstrdup(e->id);
    r->cid = cr_xstrdup(e->cid);
    r->work.data = r;
    return r;
}

static void
ref_free(struct launch_ref *r)
{
    free(r->fw);
    free(r->exec);
    free(r->cid);
    free(r->dir);
    free(r->task);
    fetcher_uris_free(r->uris, r->n_uris);
    free(r);
}

static struct executor *
ref_exec(struct launch_ref *r)
{
    struct executor *e = exec_find(r->a, r->fw, r->exec);
    return e && strcmp(e->cid, r->cid) == 0 ? e : NULL;
}

static void
launch_failed(struct executor *e, const char *why)
{
    cr_error("launch failed executor_id=%s: %s", e->id, why);
    if (e->end == END_NONE) {
        e->end = END_LAUNCH_FAILED;
        free(e->end_message);
        e->end_message = cr_xstrdup(why);
    }
    exec_terminated(e, -1);
}

/* ---- environment ------------------------------------------------------ */

struct env {
    char **v;
    size_t n, cap;
};

static void
env_add(struct env *env, const char *name, const char *value)
{
    size_t len = strlen(name);
    for (size_t i = 0; i < env->n; i++) {
        if (strncmp(env->v[i], name, len) == 0 && env->v[i][len] == '=') {
            free(env->v[i]);
            env->v[i] = cr_xasprintf("%s=%s", name, value);
            return;
        }
    }
    if (env->n + 2 > env->cap) {
        env->cap = env->cap ? env->cap * 2 : 64;
        env->v = cr_xrealloc(env->v, env->cap * sizeof(char *));
    }
    env->v[env->n++] = cr_xasprintf("%s=%s", name, value);
    env->v[env->n] = NULL;
}

static const char *
allocation_role(const struct executor *e)
{
    const struct task *t = e->order;
    json_t *res = t ? json_object_get(t->info, "resources")
                    : json_object_get(e->info, "resources");
    const char *role = cr_json_str(
        json_object_get(json_array_get(res, 0), "allocation_info"), "role");
    if (role)
        return role;
    struct framework *f = fw_find(e->agent, e->fw_id);
    json_t *roles = f ? json_object_get(f->info, "roles") : NULL;
    if (json_is_string(json_array_get(roles, 0)))
        return json_string_value(json_array_get(roles, 0));
    role = f ? cr_json_str(f->info, "role") : NULL;
    return role ? role : "*";
}

char **
launch_environment(struct executor *e)
{
    struct agent *a = e->agent;
    struct env env = {0};
    for (char **p = environ; p && *p; p++) {
        const char *eq = strchr(*p, '=');
        if (eq == NULL)
            continue;
        char *name = cr_xstrndup(*p, (size_t)(eq - *p));
        env_add(&env, name, eq + 1);
        free(name);
    }
    char buf[512], dur[64];
    snprintf(buf, sizeof(buf), "%s:%d", a->endpoint_ip, a->port);
    env_add(&env, "MESOS_AGENT_ENDPOINT", buf);
    env_add(&env, "MESOS_FRAMEWORK_ID", e->fw_id);
    env_add(&env, "MESOS_EXECUTOR_ID", e->id);
    env_add(&env, "MESOS_DIRECTORY", e->directory);
    env_add(&env, "MESOS_SANDBOX", e->directory);
    env_add(&env, "MESOS_CHECKPOINT", e->checkpoint ? "1" : "0");
    env_add(&env, "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD",
            cr_duration_format(exec_grace_period(e), dur, sizeof(dur)));
    if (e->checkpoint) {
        env_add(&env, "MESOS_RECOVERY_TIMEOUT",
                cr_duration_format(a->fl.recovery_timeout, dur, sizeof(dur)));
        env_add(&env, "MESOS_SUBSCRIPTION_BACKOFF_MAX",
                cr_duration_format(a->fl.rereg_timeout, dur, sizeof(dur)));
    }
    env_add(&env, "MESOS_SLAVE_ID", a->id ? a->id : "");
    env_add(&env, "MESOS_AGENT_ID", a->id ? a->id : "");
    snprintf(buf, sizeof(buf), "slave(1)@%s:%d", a->endpoint_ip, a->port);
    env_add(&env, "MESOS_SLAVE_PID", buf);
    env_add(&env, "MESOS_HTTP_COMMAND_EXECUTOR", "1");
    env_add(&env, "MESOS_ALLOCATION_ROLE", allocation_role(e));
    env_add(&env, "LIBPROCESS_PORT", "0");
    env_add(&env, "LIBPROCESS_IP", a->endpoint_ip);
    json_t *vars = json_object_get(
        json_object_get(json_object_get(e->info, "command"), "environment"),
        "variables");
    size_t i;
    json_t *v;
    json_array_foreach(vars, i, v)
    {
        const char *name = cr_json_str(v, "name");
        const char *value = cr_json_str(v, "value");
        if (name && value && name[0] && strchr(name, '=') == NULL)
            env_add(&env, name, value);
    }
    return env.v;
}

void
launch_free_env(char **env)
{
    for (char **p = env; p && *p; p++)
        free(*p);
    free(env);
}

/* ---- spawn ------------------------------------------------------------- */

static void
on_exec_exit(uv_process_t *p, int64_t exit_status, int term_signal)
{
    struct executor *e = p->data;
    int status = term_signal ? term_signal : (int)((exit_status & 0xff) << 8);
    cr_info("executor process exited executor_id=%s pid=%d status=%d "
            "signal=%d",
            e->id, e->pid, (int)exit_status, term_signal);
    exec_terminated(e, status);
}

static void
on_reg_timeout(uv_timer_t *t)
{
    struct executor *e = t->data;
    if (e->state != EXEC_REGISTERING)
        return;
    cr_warn("executor did not subscribe in time executor_id=%s", e->id);
    e->end = END_REG_TIMEOUT;
    exec_kill_now(e);
}

/* argv for the executor's CommandInfo (owned, NULL-terminated). */
static char **
command_argv(const json_t *cmd)
{
    const char *value = cr_json_str(cmd, "value");
    json_t *args = json_object_get(cmd, "arguments");
    bool shell = cr_json_bool(cmd, "shell", true);
    size_t n = shell ? 3 : (json_array_size(args) ? json_array_size(args) : 1);
    char **argv = cr_xcalloc(n + 1, sizeof(char *));
    if (shell) {
        argv[0] = cr_xstrdup("/bin/sh");
        argv[1] = cr_xstrdup("-c");
        argv[2] = cr_xstrdup(value ? value : "");
        return argv;
    }
    if (json_array_size(args) == 0) {
        argv[0] = cr_xstrdup(value ? value : "");
        return argv;
    }
    for (size_t i = 0; i < n; i++) {
        const char *s = json_string_value(json_array_get(args, i));
        argv[i] = cr_xstrdup(s ? s : "");
    }
    return argv;
}

static int
open_log(const char *dir, const char *name)
{
    char *p = cr_xasprintf("%s/%s", dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    free(p);
    return fd;
}

static void
checkpoint_pid(struct executor *e)
{
    struct agent *a = e->agent;
    if (!e->checkpoint)
        return;
    char *p =
        paths_forked_pid_file(a->fl.work_dir, a->id, e->fw_id, e->id, e->cid);
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "%d", e->pid);
    ckpt_write(a->ckpt, p, buf, (size_t)n);
    free(p);
}

static void
spawn(struct executor *e)
{
    json_t *cmd = json_object_get(e->info, "command");
    char **argv = command_argv(cmd);
    char *file = cr_xstrdup(argv[0]);
    /* shell:false with arguments: value is the program, arguments argv. */
    const char *value = cr_json_str(cmd, "value");
    if (!cr_json_bool(cmd, "shell", true) && value && value[0]) {
        free(file);
        file = cr_xstrdup(value);
    }
    char **env = launch_environment(e);
    int out = open_log(e->directory, "stdout");
    int err = open_log(e->directory, "stderr");
    uv_stdio_container_t stdio[3] = {
        {.flags = UV_IGNORE},
        {.flags = out >= 0 ? UV_INHERIT_FD : UV_IGNORE, .data.fd = out},
        {.flags = err >= 0 ? UV_INHERIT_FD : UV_IGNORE, .data.fd = err},
    };
    uv_process_options_t o = {
        .exit_cb = on_exec_exit,
        .file = file,
        .args = argv,
        .env = env,
        .cwd = e->directory,
        .flags = UV_PROCESS_DETACHED,
        .stdio_count = 3,
        .stdio = stdio,
    };
    e->proc.data = e;
    int rc = uv_spawn(e->agent->loop, &e->proc, &o);
    if (out >= 0)
        close(out);
    if (err >= 0)
        close(err);
    char why[512] = "";
    /* Only for a real error: libuv's uv_strerror() allocates (and leaks)
     * a message for codes it does not know, 0 among them. */
    if (rc != 0)
        snprintf(why, sizeof(why), "Failed to spawn executor '%s': %s", file,
                 uv_strerror(rc));
    free(file);
    launch_free_env(env);
    for (char **p = argv; *p; p++)
        free(*p);
    free(argv);
    if (rc != 0) {
        /* libuv still needs the handle closed after a failed spawn. */
        e->proc_active = true;
        e->open_handles++;
        launch_failed(e, why);
        return;
    }
    e->proc_active = true;
    e->open_handles++;
    e->pid = e->proc.pid;
    cr_info("executor spawned executor_id=%s pid=%d sandbox=%s", e->id, e->pid,
            e->directory);
    exec_set_state(e, EXEC_REGISTERING, "spawned");
    checkpoint_pid(e);
    uv_timer_start(&e->timer, on_reg_timeout,
                   (uint64_t)(e->agent->fl.reg_timeout * 1000), 0);
}

/* ---- fetch ------------------------------------------------------------ */

static void
fetch_work(uv_work_t *w)
{
    struct launch_ref *r = w->data;
    r->rc =
        fetcher_fetch_all(r->uris, r->n_uris, r->dir, r->err, sizeof(r->err));
}

static void
fetch_done(uv_work_t *w, int status)
{
    struct launch_ref *r = w->data;
    struct executor *e = ref_exec(r);
    if (e == NULL || e->agent->stopping) {
        /* Stopping: the launch is left as an agent crash would leave it,
         * for recovery to settle. */
        ref_free(r);
        return;
    }
    if (e->end == END_SHUTDOWN) {
        exec_terminated(e, -1);
    } else if (status != 0 || r->rc != 0) {
        launch_failed(e, r->rc ? r->err : "fetch canceled");
    } else {
        cr_info("fetched %zu uri(s) executor_id=%s", r->n_uris, e->id);
        spawn(e);
    }
    ref_free(r);
}

/* The URIs to fetch: the executor's, plus every task's command uris. */
static json_t *
collect_uris(struct executor *e)
{
    json_t *all = json_array();
    json_t *u = json_object_get(json_object_get(e->info, "command"), "uris");
    if (!e->command_executor && json_is_array(u))
        json_array_extend(all, u);
    struct task *t;
    DL_FOREACH(e->order, t)
    {
        u = json_object_get(json_object_get(t->info, "command"), "uris");
        if (json_is_array(u))
            json_array_extend(all, u);
    }
    return all;
}

static void
on_prepared(void *data, int err)
{
    struct launch_ref *r = data;
    struct executor *e = ref_exec(r);
    if (e == NULL) {
        ref_free(r);
        return;
    }
    if (e->end == END_SHUTDOWN) {
        exec_terminated(e, -1);
        ref_free(r);
        return;
    }
    if (err != 0) {
        launch_failed(e, "Failed to create the sandbox or checkpoint");
        ref_free(r);
        return;
    }
    json_t *uris = collect_uris(e);
    r->uris = fetcher_uris_from_json(uris, &r->n_uris);
    json_decref(uris);
    if (r->n_uris == 0) {
        spawn(e);
        ref_free(r);
        return;
    }
    r->dir = cr_xstrdup(e->directory);
    if (uv_queue_work(e->agent->loop, &r->work, fetch_work, fetch_done) != 0) {
        launch_failed(e, "Failed to start the fetcher");
        ref_free(r);
    }
}

static void
checkpoint_task_info(struct executor *e, const struct task *t)
{
    struct agent *a = e->agent;
    char *p = paths_task_info_file(a->fl.work_dir, a->id, e->fw_id, e->id,
                                   e->cid, t->id);
    json_t *rec = json_deep_copy(t->info);
    if (t->group)
        json_object_set_new(rec, "corral_group", json_integer(t->group));
    char *s = cr_json_dump(rec);
    json_decref(rec);
    ckpt_write(a->ckpt, p, s, strlen(s));
    free(s);
    free(p);
}

static void
checkpoint_infos(struct executor *e)
{
    struct agent *a = e->agent;
    struct framework *f = fw_find(a, e->fw_id);
    char *p = paths_fw_info_file(a->fl.work_dir, a->id, e->fw_id);
    char *s = cr_json_dump(f->info);
    ckpt_write(a->ckpt, p, s, strlen(s));
    free(s);
    free(p);
    json_t *rec = json_deep_copy(e->info);
    json_object_set_new(rec, "corral_command_executor",
                        json_boolean(e->command_executor));
    p = paths_exec_info_file(a->fl.work_dir, a->id, e->fw_id, e->id);
    s = cr_json_dump(rec);
    json_decref(rec);
    ckpt_write(a->ckpt, p, s, strlen(s));
    free(s);
    free(p);
    p = paths_meta_run_dir(a->fl.work_dir, a->id, e->fw_id, e->id, e->cid);
    ckpt_mkdir(a->ckpt, p);
    free(p);
    char *runs = paths_meta_exec_dir(a->fl.work_dir, a->id, e->fw_id, e->id);
    p = cr_xasprintf("%s/runs/latest", runs);
    ckpt_symlink(a->ckpt, e->cid, p);
    free(p);
    free(runs);
    struct task *t;
    DL_FOREACH(e->order, t)
    checkpoint_task_info(e, t);
}

void
launch_executor(struct executor *e)
{
    struct agent *a = e->agent;
    if (e->checkpoint)
        checkpoint_infos(e);
    ckpt_mkdir(a->ckpt, e->directory);
    char *runs = paths_runs_dir(a->fl.work_dir, a->id, e->fw_id, e->id);
    char *latest = cr_xasprintf("%s/latest", runs);
    ckpt_symlink(a->ckpt, e->cid, latest);
    free(latest);
    free(runs);
    ckpt_barrier(a->ckpt, on_prepared, ref_new(e));
}

static void
on_task_checkpointed(void *data, int err)
{
    struct launch_ref *r = data;
    struct executor *e = ref_exec(r);
    if (e != NULL) {
        if (err != 0)
            cr_error("task.info checkpoint failed task_id=%s", r->task);
        if (e->state == EXEC_RUNNING)
            exec_deliver_queued(e);
    }
    ref_free(r);
}

void
launch_checkpoint_task(struct executor *e, struct task *t)
{
    if (!e->checkpoint) {
        if (e->state == EXEC_RUNNING)
            exec_deliver_queued(e);
        return;
    }
    checkpoint_task_info(e, t);
    struct launch_ref *r = ref_new(e);
    r->task = cr_xstrdup(t->id);
    ckpt_barrier(e->agent->ckpt, on_task_checkpointed, r);
}

/* ---- recovered executors ------------------------------------------------ */

static void
on_poll(uv_timer_t *t)
{
    struct executor *e = t->data;
    if (proc_is_alive(e->pid))
        return;
    cr_info("recovered executor is gone executor_id=%s pid=%d", e->id, e->pid);
    exec_terminated(e, -1);
}

void
launch_watch_pid(struct executor *e)
{
    uv_timer_start(&e->poll, on_poll, 200, 500);
}
