/* SPDX-License-Identifier: Apache-2.0
 *
 * recover.c: reading the agent's checkpoints back after a restart
 * (--recover=reconnect), before the agent serves or registers.
 *
 * Layout in paths.h. Only the latest run of each executor is recovered.
 * For each task: task.info, then task.updates replayed into the status
 * update manager (a torn last line, left by a crash mid-append, is cut
 * off). Executors whose forked pid is still alive (same boot) wait for
 * re-subscription (main.c's --executor_reregistration_timeout); the
 * others are declared terminated, which generates terminal updates only
 * for tasks whose newest state is not terminal already.
 *
 * A corrupt or oversized checkpoint is fatal with --strict (the default)
 * and skipped with a warning otherwise. Runs synchronously at start-up
 * (disk reads on the loop thread are fine: nothing is served yet).
 */
#include "agent.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "ckpt.h"
#include "paths.h"
#include "proc.h"
#include "sum.h"
#include "task_state.h"
#include "updates_file.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utlist.h>

struct rec_ctx {
    struct agent *a;
    bool rebooted;
    int errors;
    struct executor **dead; /* executors found not running */
    size_t n_dead, cap_dead;
};

static void
problem(struct rec_ctx *c, const char *fmt, const char *path, const char *why)
{
    char msg[1024];
    snprintf(msg, sizeof(msg), fmt, path, why);
    if (c->a->fl.strict)
        agent_fatal(c->a,
                    "recovery failed: %s (start with --no-strict to "
                    "skip damaged checkpoints)",
                    msg);
    cr_warn("recovery: %s; skipped", msg);
    c->errors++;
}

/* Read a JSON object file. NULL after reporting (missing: silent when
 * optional). */
static json_t *
read_json(struct rec_ctx *c, const char *path, bool optional)
{
    char *data;
    size_t len;
    int rc = ckpt_read_file(path, CKPT_MAX_INFO, &data, &len);
    if (rc == -ENOENT && optional)
        return NULL;
    if (rc != 0) {
        problem(c, "cannot read %s: %s", path, cr_strerror(rc));
        return NULL;
    }
    char err[160];
    json_t *v = cr_json_parse(data, len, err, sizeof(err));
    free(data);
    if (v == NULL || !json_is_object(v)) {
        problem(c, "corrupt checkpoint %s: %s", path,
                v ? "not an object" : err);
        json_decref(v);
        return NULL;
    }
    return v;
}

struct replay {
    struct rec_ctx *c;
    struct executor *e;
    struct task *t;
    const char *path;
};

static int
on_record(void *ctx, enum updates_rec type, const char *fw_id, json_t *status,
          const char *uuid)
{
    struct replay *r = ctx;
    struct agent *a = r->c->a;
    if (type == UPDATES_REC_UPDATE) {
        if (strcmp(fw_id, r->e->fw_id) != 0 ||
            strcmp(cr_json_id(status, "task_id"), r->t->id) != 0)
            return CR_EPROTO_DATA;
        if (sum_recover_update(a->sum, fw_id, r->e->id, r->path, status) ==
            SUM_NEW)
            task_record_status(r->t, status);
        r->t->launched = true;
        return 0;
    }
    if (sum_recover_ack(a->sum, r->e->fw_id, r->t->id, uuid) != 0)
        cr_warn("recovery: acknowledgement %s in %s is not for the oldest "
                "update; ignored",
                uuid, r->path);
    return 0;
}

static void
recover_updates(struct rec_ctx *c, struct executor *e, struct task *t)
{
    struct agent *a = c->a;
    char *path = paths_task_updates_file(a->fl.work_dir, a->id, e->fw_id, e->id,
                                         e->cid, t->id);
    char *data;
    size_t len;
    int rc = ckpt_read_file(path, CKPT_MAX_FILE, &data, &len);
    if (rc == -ENOENT) {
        free(path);
        return;
    }
    if (rc != 0) {
        problem(c, "cannot read %s: %s", path, cr_strerror(rc));
        free(path);
        return;
    }
    struct replay r = {c, e, t, path};
    size_t valid;
    char err[256] = "";
    rc = updates_parse(data, len, on_record, &r, &valid, err, sizeof(err));
    if (rc != 0) {
        problem(c, "corrupt status updates in %s: %s", path,
                err[0] ? err : "record does not belong to this task");
    } else if (valid < len) {
        cr_warn("recovery: cutting a torn record off %s (%zu bytes)", path,
                len - valid);
        if (truncate(path, (off_t)valid) != 0)
            cr_warn("recovery: truncate %s: %s", path, strerror(errno));
    }
    free(data);
    free(path);
}

static void
recover_task(struct rec_ctx *c, struct executor *e, const char *task_id)
{
    struct agent *a = c->a;
    char *p = paths_task_info_file(a->fl.work_dir, a->id, e->fw_id, e->id,
                                   e->cid, task_id);
    json_t *info = read_json(c, p, false);
    free(p);
    if (info == NULL)
        return;
    const char *tid = cr_json_id(info, "task_id");
    if (tid == NULL || strcmp(tid, task_id) != 0) {
        problem(c, "task.info of %s names another task%s", task_id, "");
        json_decref(info);
        return;
    }
    double g = 0;
    cr_json_num(info, "corral_group", &g);
    json_object_del(info, "corral_group");
    struct task *t = task_add(e, info, g > 0 ? (unsigned)g : 0);
    if (t->group >= e->next_group)
        e->next_group = t->group;
    json_decref(info);
    recover_updates(c, e, t);
}

/* Call fn(c, arg, name) for each safe entry of dir. */
static void
each_entry(struct rec_ctx *c, const char *dir,
           void (*fn)(struct rec_ctx *, void *, const char *), void *arg)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || strcmp(de->d_name, "latest") == 0)
            continue;
        if (!paths_id_is_safe(de->d_name))
            continue;
        fn(c, arg, de->d_name);
    }
    closedir(d);
}

static void
task_entry(struct rec_ctx *c, void *arg, const char *name)
{
    recover_task(c, arg, name);
}

static int
read_pid(const char *path)
{
    char *data;
    size_t len;
    if (ckpt_read_file(path, 64, &data, &len) != 0)
        return 0;
    long v = strtol(data, NULL, 10);
    free(data);
    return v > 1 && v < 1 << 30 ? (int)v : 0;
}

static void
mark_dead(struct rec_ctx *c, struct executor *e)
{
    if (c->n_dead == c->cap_dead) {
        c->cap_dead = c->cap_dead ? c->cap_dead * 2 : 16;
        c->dead = cr_xrealloc(c->dead, c->cap_dead * sizeof(*c->dead));
    }
    c->dead[c->n_dead++] = e;
}

static void
recover_executor(struct rec_ctx *c, void *arg, const char *exec_id)
{
    struct agent *a = c->a;
    struct framework *f = arg;
    char *p = paths_exec_info_file(a->fl.work_dir, a->id, f->id, exec_id);
    json_t *info = read_json(c, p, false);
    free(p);
    if (info == NULL)
        return;
    char *dir = paths_meta_exec_dir(a->fl.work_dir, a->id, f->id, exec_id);
    char *link = cr_xasprintf("%s/runs/latest", dir);
    char cid[300];
    ssize_t n = readlink(link, cid, sizeof(cid) - 1);
    free(link);
    free(dir);
    const char *id = cr_json_id(info, "executor_id");
    if (n <= 0 || id == NULL || strcmp(id, exec_id) != 0) {
        problem(c, "executor %s has no usable run%s", exec_id, "");
        json_decref(info);
        return;
    }
    cid[n] = '\0';
    bool cmd = cr_json_bool(info, "corral_command_executor", false);
    json_object_del(info, "corral_command_executor");
    struct executor *e = exec_create(a, f, info, cmd, cid);
    json_decref(info);
    e->checkpoint = true;
    e->recovered = true;
    char *run = paths_meta_run_dir(a->fl.work_dir, a->id, f->id, e->id, e->cid);
    char *tasks = cr_xasprintf("%s/tasks", run);
    each_entry(c, tasks, task_entry, e);
    free(tasks);
    free(run);
    char *pidf =
        paths_forked_pid_file(a->fl.work_dir, a->id, f->id, e->id, e->cid);
    char *done =
        paths_completed_file(a->fl.work_dir, a->id, f->id, e->id, e->cid);
    e->pid = read_pid(pidf);
    bool completed = access(done, F_OK) == 0;
    free(pidf);
    free(done);
    if (completed || c->rebooted || !proc_is_alive(e->pid)) {
        cr_info("recovery: executor is not running executor_id=%s pid=%d%s",
                e->id, e->pid, completed ? " (completed)" : "");
        e->pid = completed || c->rebooted ? 0 : e->pid;
        mark_dead(c, e);
        return;
    }
    e->state = EXEC_REGISTERING;
    cr_info("recovery: waiting for executor executor_id=%s pid=%d", e->id,
            e->pid);
    launch_watch_pid(e);
}

static void
recover_framework(struct rec_ctx *c, void *arg, const char *fw_id)
{
    struct agent *a = c->a;
    (void)arg;
    char *p = paths_fw_info_file(a->fl.work_dir, a->id, fw_id);
    json_t *info = read_json(c, p, false);
    free(p);
    if (info == NULL)
        return;
    const char *id = cr_json_id(info, "id");
    if (id == NULL || strcmp(id, fw_id) != 0) {
        problem(c, "framework.info of %s names another framework%s", fw_id, "");
        json_decref(info);
        return;
    }
    struct framework *f = fw_ensure(a, info);
    json_decref(info);
    char *fdir = paths_meta_fw_dir(a->fl.work_dir, a->id, fw_id);
    char *dir = cr_xasprintf("%s/executors", fdir);
    each_entry(c, dir, recover_executor, f);
    free(dir);
    free(fdir);
}

static bool
check_boot_id(struct agent *a)
{
    char *p = paths_boot_id_file(a->fl.work_dir);
    char *old;
    size_t len;
    bool rebooted = false;
    if (ckpt_read_file(p, 256, &old, &len) == 0) {
        rebooted = a->boot_id && strcmp(old, a->boot_id) != 0;
        free(old);
    }
    if (a->boot_id)
        ckpt_write_atomic(p, a->boot_id, strlen(a->boot_id));
    free(p);
    return rebooted;
}

int
recover_state(struct agent *a)
{
    struct rec_ctx c = {.a = a};
    c.rebooted = check_boot_id(a);
    char *link = paths_meta_latest_link(a->fl.work_dir);
    char id[300];
    ssize_t n = readlink(link, id, sizeof(id) - 1);
    free(link);
    if (n <= 0) {
        cr_info("recovery: no checkpointed agent; starting fresh");
        return 0;
    }
    id[n] = '\0';
    if (!paths_id_is_safe(id)) {
        problem(&c, "bad agent id link %s%s", id, "");
        return -1;
    }
    char *p = paths_agent_info_file(a->fl.work_dir, id);
    json_t *info = read_json(&c, p, false);
    free(p);
    if (info == NULL)
        return -1;
    json_decref(info);
    a->id = cr_xstrdup(id);
    cr_info("recovery: agent_id=%s%s", a->id,
            c.rebooted ? " (the host rebooted)" : "");
    char *adir = paths_meta_agent_dir(a->fl.work_dir, a->id);
    char *dir = cr_xasprintf("%s/frameworks", adir);
    each_entry(&c, dir, recover_framework, NULL);
    free(dir);
    free(adir);
    sum_recover_done(a->sum);
    for (size_t i = 0; i < c.n_dead; i++) {
        c.dead[i]->end = END_EXITED;
        exec_terminated(c.dead[i], -1);
    }
    free(c.dead);
    return c.errors ? -1 : 0;
}

void
recover_checkpoint_agent(struct agent *a)
{
    json_t *info = agent_info_json(a);
    char *s = cr_json_dump(info);
    json_decref(info);
    char *p = paths_agent_info_file(a->fl.work_dir, a->id);
    ckpt_write(a->ckpt, p, s, strlen(s));
    free(p);
    free(s);
    p = paths_meta_latest_link(a->fl.work_dir);
    ckpt_symlink(a->ckpt, a->id, p);
    free(p);
}
