/* SPDX-License-Identifier: Apache-2.0
 *
 * executor.c: see executor.h.
 *
 * Task state machine (one log line per transition):
 *   NEW -(spawned)-> RUNNING -(KILL)-> KILLING -(exit)-> DONE
 *   NEW/RUNNING -(exit or spawn failure)-> DONE
 * A task is DONE once its terminal update has been queued; the executor
 * exits when every task is DONE and no update is unacknowledged.
 */
#include "executor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#define HASH_FUNCTION(keyptr, keylen, hashv) HASH_FNV(keyptr, keylen, hashv)
#include "base/clock.h"
#include "base/duration.h"
#include "base/err.h"
#include "base/id.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "command.h"
#include "net/event_stream.h"
#include "net/http_client.h"
#include "net/url.h"

#include <uthash.h>
#include <utlist.h>

#define API_PATH           "/api/v1/executor"
#define DEFAULT_KILL_GRACE 3.0
#define LINGER_MS          200
#define BACKOFF_MIN        0.1
#define RESEND_MS          1000

extern char **environ;

enum ex_task_state { T_NEW, T_RUNNING, T_KILLING, T_DONE };
static const char *const task_state_names[] = {"NEW", "RUNNING", "KILLING",
                                               "DONE"};

struct ex_task {
    char *id;
    json_t *info;
    enum ex_task_state state;
    pid_t pid;
    bool killed;
    bool acked; /* some update for it was acknowledged */
    unsigned group;
    uv_timer_t escalate;
    uint64_t kill_started; /* loop time (ms) of the first SIGTERM */
    struct ex_executor *ex;
    UT_hash_handle hh;
};

struct ex_update {
    char *uuid;
    char *task_id;
    json_t *status;
    bool sent; /* posted, or carried by the last SUBSCRIBE */
    struct ex_update *prev, *next;
};

struct ex_executor {
    uv_loop_t *loop;
    struct ex_config cfg;
    struct cr_event_stream *stream;
    bool subscribed;
    bool shutting_down;
    bool killing_capable; /* framework has TASK_KILLING_STATE */
    char *container_id;
    struct ex_task *tasks;
    struct ex_update *unacked; /* oldest first */
    bool posting;              /* an UPDATE POST is in flight */
    unsigned next_group;
    uv_timer_t retry, linger, resend, hard_exit;
    uv_signal_t sigchld, sigterm;
    double backoff;
    uint64_t disconnected_at; /* ms, 0 while connected */
    int exit_code;
};

static void subscribe(struct ex_executor *x);
static void maybe_exit(struct ex_executor *x);

/* ---- configuration ---------------------------------------------------- */

static double
env_duration(const char *name, double def)
{
    const char *v = getenv(name);
    double secs;
    if (v && cr_duration_parse(v, &secs) == 0)
        return secs;
    return def;
}

int
ex_config_from_env(struct ex_config *c, char *err, size_t errlen)
{
    memset(c, 0, sizeof(*c));
    const char *fw = getenv("MESOS_FRAMEWORK_ID");
    const char *ex = getenv("MESOS_EXECUTOR_ID");
    const char *ep = getenv("MESOS_AGENT_ENDPOINT");
    const char *dir = getenv("MESOS_SANDBOX");
    if (dir == NULL)
        dir = getenv("MESOS_DIRECTORY");
    if (fw == NULL || ex == NULL || ep == NULL) {
        snprintf(err, errlen,
                 "MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID and "
                 "MESOS_AGENT_ENDPOINT must be set");
        return -1;
    }
    struct cr_hostport hp;
    if (cr_hostport_parse(ep, 5051, &hp) != 0) {
        snprintf(err, errlen, "bad MESOS_AGENT_ENDPOINT '%s'", ep);
        return -1;
    }
    c->fw_id = cr_xstrdup(fw);
    c->exec_id = cr_xstrdup(ex);
    c->agent_host = cr_xstrdup(hp.host);
    c->agent_port = hp.port;
    c->sandbox = cr_xstrdup(dir ? dir : ".");
    const char *ck = getenv("MESOS_CHECKPOINT");
    c->checkpoint = ck && strcmp(ck, "1") == 0;
    c->shutdown_grace = env_duration("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", 5);
    c->recovery_timeout = env_duration("MESOS_RECOVERY_TIMEOUT", 15 * 60);
    c->backoff_max = env_duration("MESOS_SUBSCRIPTION_BACKOFF_MAX", 2);
    return 0;
}

/* ---- calls to the agent --------------------------------------------- */

static json_t *
call_new(struct ex_executor *x, const char *type)
{
    json_t *c = json_pack("{s:s}", "type", type);
    cr_json_set_id(c, "framework_id", x->cfg.fw_id);
    cr_json_set_id(c, "executor_id", x->cfg.exec_id);
    return c;
}

static void on_update_sent(int err, const struct cr_http_response *resp,
                           void *data);
static void on_resend(uv_timer_t *t);

/* Updates go to the agent one at a time, oldest first: every POST is a new
 * connection, and two in flight may reach the agent swapped (a task's
 * TASK_RUNNING after its TASK_FINISHED), which the agent, the master and
 * the framework would all take as the task's order (upstream's executor
 * library sends its calls in order on one connection). */
static void
post_next_update(struct ex_executor *x)
{
    struct ex_update *u;
    if (x->posting || !x->subscribed)
        return;
    DL_FOREACH(x->unacked, u)
    {
        if (!u->sent)
            break;
    }
    if (u == NULL)
        return;
    json_t *call = call_new(x, "UPDATE");
    json_object_set_new(call, "update",
                        json_pack("{s:O}", "status", u->status));
    char *body = cr_json_dump(call);
    json_decref(call);
    int rc = cr_http_call_start(x->loop, x->cfg.agent_host, x->cfg.agent_port,
                                "POST", API_PATH,
                                "Content-Type: application/json\r\n", body,
                                strlen(body), 10.0, on_update_sent, x, NULL);
    free(body);
    if (rc != 0) {
        cr_warn("cannot send update %s: %s", u->uuid, cr_strerror(rc));
        if (!uv_is_active((uv_handle_t *)&x->resend))
            uv_timer_start(&x->resend, on_resend, RESEND_MS, 0);
        return;
    }
    u->sent = true;
    x->posting = true;
}

static void
on_resend(uv_timer_t *t)
{
    post_next_update(t->data);
}

static void
on_update_sent(int err, const struct cr_http_response *resp, void *data)
{
    struct ex_executor *x = data;
    struct ex_update *u;
    x->posting = false;
    if (err == 0 && resp->status == 202) {
        post_next_update(x);
        return;
    }
    /* Send every unacknowledged update again, in order: the agent drops
     * the ones it already has (by uuid). */
    DL_FOREACH(x->unacked, u)
    {
        u->sent = false;
    }
    if (err)
        cr_warn("agent did not take an update (%s); will resend",
                cr_strerror(err));
    else
        cr_warn("agent did not take an update (HTTP %d); will resend",
                resp->status);
    if (x->subscribed && !uv_is_active((uv_handle_t *)&x->resend))
        uv_timer_start(&x->resend, on_resend, RESEND_MS, 0);
}

static void
send_status(struct ex_executor *x, struct ex_task *t, const char *state,
            const char *message, const char *reason)
{
    uint8_t raw[16];
    char uuid[32];
    cr_uuid_bytes(raw);
    cr_base64_encode(raw, 16, uuid);
    json_t *st = json_object();
    cr_json_set_id(st, "task_id", t->id);
    json_object_set_new(st, "state", json_string(state));
    json_object_set_new(st, "source", json_string("SOURCE_EXECUTOR"));
    cr_json_set_id(st, "executor_id", x->cfg.exec_id);
    json_object_set_new(st, "timestamp", json_real(cr_wall_secs()));
    json_object_set_new(st, "uuid", json_string(uuid));
    if (message)
        json_object_set_new(st, "message", json_string(message));
    if (reason)
        json_object_set_new(st, "reason", json_string(reason));
    if (x->container_id) {
        json_t *cs = json_object();
        cr_json_set_id(cs, "container_id", x->container_id);
        if (t->pid > 0)
            json_object_set_new(cs, "executor_pid", json_integer(getpid()));
        json_object_set_new(st, "container_status", cs);
    }
    struct ex_update *u = cr_xcalloc(1, sizeof(*u));
    u->uuid = cr_xstrdup(uuid);
    u->task_id = cr_xstrdup(t->id);
    u->status = st;
    DL_APPEND(x->unacked, u);
    cr_info("sending %s task_id=%s uuid=%s%s%s", state, t->id, uuid,
            message ? " message=" : "", message ? message : "");
    post_next_update(x);
}

/* ---- tasks ---------------------------------------------------------- */

static void
task_set_state(struct ex_task *t, enum ex_task_state to, const char *why)
{
    if (t->state == to)
        return;
    cr_info("task %s -> %s (%s) task_id=%s", task_state_names[t->state],
            task_state_names[to], why, t->id);
    t->state = to;
}

static struct ex_task *
task_new(struct ex_executor *x, const json_t *info, unsigned group)
{
    struct ex_task *t = cr_xcalloc(1, sizeof(*t));
    t->id = cr_xstrdup(cr_json_id(info, "task_id"));
    t->info = json_deep_copy(info);
    t->group = group;
    t->ex = x;
    uv_timer_init(x->loop, &t->escalate);
    t->escalate.data = t;
    HASH_ADD_KEYPTR(hh, x->tasks, t->id, strlen(t->id), t);
    return t;
}

static void
signal_task(struct ex_task *t, int sig)
{
    if (t->pid <= 0)
        return;
    if (kill(-t->pid, sig) != 0)
        kill(t->pid, sig);
}

static void
on_escalate(uv_timer_t *timer)
{
    struct ex_task *t = timer->data;
    if (t->state != T_KILLING)
        return;
    cr_warn("task did not stop within its grace period: SIGKILL task_id=%s",
            t->id);
    signal_task(t, SIGKILL);
}

/* Grace periods come from the network (kill_policy): keep the conversion
 * to milliseconds defined for any double. */
static double
clamp_grace(double grace)
{
    if (!(grace > 0))
        return 0;
    return grace > 1e7 ? 1e7 : grace;
}

/* A later kill may shorten the grace period, counted from the first
 * SIGTERM (as upstream's command executor); it never lengthens it. */
static void
shorten_grace(struct ex_executor *x, struct ex_task *t, double grace)
{
    if (!uv_is_active((uv_handle_t *)&t->escalate))
        return; /* SIGKILL already sent */
    uint64_t elapsed = uv_now(x->loop) - t->kill_started;
    uint64_t want = (uint64_t)(clamp_grace(grace) * 1000);
    uint64_t left = want > elapsed ? want - elapsed : 0;
    if (left < uv_timer_get_due_in(&t->escalate))
        uv_timer_start(&t->escalate, on_escalate, left, 0);
}

static void
kill_task(struct ex_executor *x, struct ex_task *t, double grace)
{
    t->killed = true;
    if (t->state == T_KILLING)
        shorten_grace(x, t, grace);
    if (t->state == T_DONE || t->state == T_KILLING)
        return;
    if (t->state == T_NEW) {
        task_set_state(t, T_DONE, "killed before start");
        send_status(x, t, "TASK_KILLED", "Killed before start", NULL);
        return;
    }
    task_set_state(t, T_KILLING, "kill requested");
    if (x->killing_capable)
        send_status(x, t, "TASK_KILLING", NULL, NULL);
    signal_task(t, SIGTERM);
    t->kill_started = uv_now(x->loop);
    uv_timer_start(&t->escalate, on_escalate,
                   (uint64_t)(clamp_grace(grace) * 1000), 0);
}

static int
spawn_task(struct ex_executor *x, struct ex_task *t, const json_t *cmd,
           char *err, size_t errlen)
{
    char *file;
    char **argv = command_argv(cmd, &file);
    if (argv == NULL) {
        snprintf(err, errlen, "Task has no command value");
        return -1;
    }
    char **env = command_env(environ, cmd);
    char *out = cr_xasprintf("%s/stdout", x->cfg.sandbox);
    char *errf = cr_xasprintf("%s/stderr", x->cfg.sandbox);
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_addopen(&fa, 2, errf,
                                     O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_addchdir_np(&fa, x->cfg.sandbox);
    posix_spawnattr_init(&attr);
    sigset_t all, none;
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    sigemptyset(&none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP |
                                        POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETSIGMASK);
    pid_t pid;
    int rc = strchr(file, '/')
                 ? posix_spawn(&pid, file, &fa, &attr, argv, env)
                 : posix_spawnp(&pid, file, &fa, &attr, argv, env);
    if (rc != 0)
        snprintf(err, errlen, "Failed to launch '%s': %s", file, strerror(rc));
    else
        t->pid = pid;
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    free(out);
    free(errf);
    free(file);
    command_argv_free(argv);
    command_argv_free(env);
    return rc == 0 ? 0 : -1;
}

static void
launch_task(struct ex_executor *x, const json_t *info, unsigned group)
{
    const char *id = cr_json_id(info, "task_id");
    struct ex_task *t = NULL;
    if (id == NULL)
        return;
    HASH_FIND_STR(x->tasks, id, t);
    if (t != NULL) {
        cr_info("task already known, LAUNCH ignored task_id=%s", id);
        return;
    }
    t = task_new(x, info, group);
    if (x->shutting_down) {
        task_set_state(t, T_DONE, "shutting down");
        send_status(x, t, "TASK_KILLED", "Executor is shutting down", NULL);
        return;
    }
    send_status(x, t, "TASK_STARTING", NULL, NULL);
    char err[512];
    if (spawn_task(x, t, json_object_get(info, "command"), err, sizeof(err)) !=
        0) {
        task_set_state(t, T_DONE, "spawn failed");
        send_status(x, t, "TASK_FAILED", err, "REASON_COMMAND_EXECUTOR_FAILED");
        return;
    }
    task_set_state(t, T_RUNNING, "spawned");
    cr_info("task started task_id=%s pid=%d", t->id, (int)t->pid);
    send_status(x, t, "TASK_RUNNING", NULL, NULL);
}

/* A group member ended badly: kill the rest of the group. */
static void
kill_group(struct ex_executor *x, unsigned group)
{
    struct ex_task *t, *tmp;
    HASH_ITER(hh, x->tasks, t, tmp)
    {
        if (t->group == group && t->state != T_DONE)
            kill_task(
                x, t,
                command_kill_grace(json_object_get(t->info, "kill_policy"),
                                   DEFAULT_KILL_GRACE));
    }
}

static void
task_exited(struct ex_executor *x, struct ex_task *t, int status)
{
    char msg[256];
    uv_timer_stop(&t->escalate);
    const char *state = command_outcome(status, t->killed, msg, sizeof(msg));
    task_set_state(t, T_DONE, "process exited");
    t->pid = -t->pid; /* remember, never signal again */
    send_status(x, t, state, msg, NULL);
    if (t->group && strcmp(state, "TASK_FINISHED") != 0)
        kill_group(x, t->group);
    maybe_exit(x);
}

static void
on_sigchld(uv_signal_t *s, int signum)
{
    struct ex_executor *x = s->data;
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        struct ex_task *t, *tmp;
        HASH_ITER(hh, x->tasks, t, tmp)
        {
            if (t->pid == pid) {
                task_exited(x, t, status);
                break;
            }
        }
    }
}

/* ---- events ----------------------------------------------------------- */

static void
shutdown_all(struct ex_executor *x)
{
    x->shutting_down = true;
    struct ex_task *t, *tmp;
    HASH_ITER(hh, x->tasks, t, tmp)
    kill_task(x, t, x->cfg.shutdown_grace * 0.9);
    maybe_exit(x);
}

static void
on_acknowledged(struct ex_executor *x, const json_t *ev)
{
    json_t *a = json_object_get(ev, "acknowledged");
    const char *uuid = cr_json_str(a, "uuid");
    const char *tid = cr_json_id(a, "task_id");
    if (uuid == NULL)
        return;
    struct ex_update *u, *tmp;
    DL_FOREACH_SAFE(x->unacked, u, tmp)
    {
        if (strcmp(u->uuid, uuid) != 0)
            continue;
        DL_DELETE(x->unacked, u);
        json_decref(u->status);
        free(u->uuid);
        free(u->task_id);
        free(u);
        break;
    }
    struct ex_task *t = NULL;
    if (tid)
        HASH_FIND_STR(x->tasks, tid, t);
    if (t)
        t->acked = true;
    maybe_exit(x);
}

static void
on_subscribed(struct ex_executor *x, const json_t *ev)
{
    json_t *s = json_object_get(ev, "subscribed");
    const char *cid = cr_json_id(s, "container_id");
    if (cid) {
        free(x->container_id);
        x->container_id = cr_xstrdup(cid);
    }
    json_t *caps =
        json_object_get(json_object_get(s, "framework_info"), "capabilities");
    size_t i;
    json_t *c;
    json_array_foreach(caps, i, c)
    {
        const char *ty = cr_json_str(c, "type");
        if (ty && strcmp(ty, "TASK_KILLING_STATE") == 0)
            x->killing_capable = true;
    }
    x->subscribed = true;
    x->backoff = BACKOFF_MIN;
    x->disconnected_at = 0;
    cr_info("subscribed to the agent %s:%d", x->cfg.agent_host,
            x->cfg.agent_port);
    post_next_update(x); /* any made after the SUBSCRIBE went out */
}

static void
on_kill(struct ex_executor *x, const json_t *ev)
{
    json_t *k = json_object_get(ev, "kill");
    const char *tid = cr_json_id(k, "task_id");
    struct ex_task *t = NULL;
    if (tid)
        HASH_FIND_STR(x->tasks, tid, t);
    if (t == NULL) {
        cr_warn("KILL for an unknown task task_id=%s", tid ? tid : "-");
        return;
    }
    json_t *kp = json_object_get(k, "kill_policy");
    if (kp == NULL)
        kp = json_object_get(t->info, "kill_policy");
    double grace = command_kill_grace(kp, DEFAULT_KILL_GRACE);
    if (t->group)
        kill_group(x, t->group); /* killing one task kills the group */
    else
        kill_task(x, t, grace);
}

static void
on_event(void *data, json_t *ev)
{
    struct ex_executor *x = data;
    const char *type = cr_json_str(ev, "type");
    if (type == NULL)
        return;
    if (strcmp(type, "SUBSCRIBED") == 0) {
        on_subscribed(x, ev);
    } else if (strcmp(type, "LAUNCH") == 0) {
        launch_task(x, json_object_get(json_object_get(ev, "launch"), "task"),
                    0);
    } else if (strcmp(type, "LAUNCH_GROUP") == 0) {
        json_t *tasks = json_object_get(
            json_object_get(json_object_get(ev, "launch_group"), "task_group"),
            "tasks");
        unsigned g = ++x->next_group;
        size_t i;
        json_t *t;
        json_array_foreach(tasks, i, t) launch_task(x, t, g);
    } else if (strcmp(type, "KILL") == 0) {
        on_kill(x, ev);
    } else if (strcmp(type, "ACKNOWLEDGED") == 0) {
        on_acknowledged(x, ev);
    } else if (strcmp(type, "SHUTDOWN") == 0) {
        cr_info("SHUTDOWN received");
        shutdown_all(x);
    } else if (strcmp(type, "MESSAGE") == 0) {
        const char *d = cr_json_str(json_object_get(ev, "message"), "data");
        cr_info("framework message received (%zu base64 bytes)",
                d ? strlen(d) : 0);
    } else if (strcmp(type, "ERROR") == 0) {
        const char *m = cr_json_str(json_object_get(ev, "error"), "message");
        cr_error("agent error: %s", m ? m : "(none)");
    }
}

/* ---- subscription ---------------------------------------------------- */

static void
kill_everything_and_exit(struct ex_executor *x, const char *why)
{
    cr_error("%s: killing tasks and exiting", why);
    struct ex_task *t, *tmp;
    HASH_ITER(hh, x->tasks, t, tmp)
    signal_task(t, SIGKILL);
    exit(1);
}

static void
on_retry(uv_timer_t *t)
{
    subscribe(t->data);
}

static void
schedule_resubscribe(struct ex_executor *x)
{
    uint64_t now = uv_now(x->loop);
    if (x->disconnected_at == 0)
        x->disconnected_at = now;
    if (!x->cfg.checkpoint)
        kill_everything_and_exit(x, "lost the agent (framework does not "
                                    "checkpoint)");
    if ((double)(now - x->disconnected_at) / 1000.0 > x->cfg.recovery_timeout)
        kill_everything_and_exit(x, "the agent did not come back within "
                                    "MESOS_RECOVERY_TIMEOUT");
    double cap = x->cfg.backoff_max / 2;
    if (cap < BACKOFF_MIN)
        cap = BACKOFF_MIN;
    double delay = x->backoff < cap ? x->backoff : cap;
    x->backoff *= 2;
    uv_timer_start(&x->retry, on_retry, (uint64_t)(delay * 1000), 0);
}

static void
on_open(void *data, const char *stream_id)
{
    (void)data;
    (void)stream_id;
}

static void
on_close(void *data, int err, int http_status, const char *detail)
{
    struct ex_executor *x = data;
    x->stream = NULL;
    x->subscribed = false;
    if (http_status == 400 || http_status == 403)
        kill_everything_and_exit(x, "the agent does not know this executor");
    if (http_status)
        cr_warn("agent stream closed (HTTP %d)", http_status);
    else
        cr_warn("agent stream closed (%s)", err ? cr_strerror(err) : "EOF");
    schedule_resubscribe(x);
}

static json_t *
subscribe_body(struct ex_executor *x)
{
    json_t *tasks = json_array(), *updates = json_array();
    struct ex_task *t, *tmp;
    HASH_ITER(hh, x->tasks, t, tmp)
    {
        if (!t->acked)
            json_array_append(tasks, t->info);
    }
    struct ex_update *u;
    DL_FOREACH(x->unacked, u)
    {
        json_array_append_new(updates, json_pack("{s:O}", "status", u->status));
        u->sent = true;
    }
    json_t *call = call_new(x, "SUBSCRIBE");
    json_object_set_new(call, "subscribe",
                        json_pack("{s:o,s:o}", "unacknowledged_tasks", tasks,
                                  "unacknowledged_updates", updates));
    return call;
}

static void
subscribe(struct ex_executor *x)
{
    json_t *call = subscribe_body(x);
    char *body = cr_json_dump(call);
    json_decref(call);
    static const struct cr_event_stream_cbs cbs = {
        .on_open = on_open, .on_event = on_event, .on_close = on_close};
    int rc =
        cr_event_stream_open(x->loop, x->cfg.agent_host, x->cfg.agent_port,
                             API_PATH, body, NULL, 5.0, &cbs, x, &x->stream);
    free(body);
    if (rc != 0) {
        x->stream = NULL;
        cr_warn("cannot subscribe to the agent: %s", cr_strerror(rc));
        schedule_resubscribe(x);
    }
}

/* ---- exit ------------------------------------------------------------- */

static void
on_linger(uv_timer_t *t)
{
    struct ex_executor *x = t->data;
    cr_info("all tasks are terminal and acknowledged: exiting");
    cr_event_stream_close(x->stream);
    x->stream = NULL;
    uv_stop(x->loop);
}

static void
maybe_exit(struct ex_executor *x)
{
    if (x->unacked != NULL || HASH_COUNT(x->tasks) == 0) {
        if (!(x->shutting_down && HASH_COUNT(x->tasks) == 0))
            return;
    }
    struct ex_task *t, *tmp;
    HASH_ITER(hh, x->tasks, t, tmp)
    {
        if (t->state != T_DONE)
            return;
    }
    if (x->unacked != NULL)
        return;
    if (!uv_is_active((uv_handle_t *)&x->linger))
        uv_timer_start(&x->linger, on_linger, LINGER_MS, 0);
}

static void
on_hard_exit(uv_timer_t *t)
{
    struct ex_executor *x = t->data;
    kill_everything_and_exit(x, "terminal updates not acknowledged in time "
                                "after SIGTERM");
}

static void
on_sigterm(uv_signal_t *s, int signum)
{
    struct ex_executor *x = s->data;
    cr_info("signal %d: shutting down", signum);
    shutdown_all(x);
    /* The agent may be gone: do not wait for acknowledgements forever. */
    uv_timer_start(&x->hard_exit, on_hard_exit,
                   (uint64_t)((x->cfg.shutdown_grace + 2) * 1000), 0);
}

int
ex_run(uv_loop_t *loop, const struct ex_config *c)
{
    static struct ex_executor x;
    x.loop = loop;
    x.cfg = *c;
    x.backoff = BACKOFF_MIN;
    uv_timer_init(loop, &x.retry);
    uv_timer_init(loop, &x.linger);
    uv_timer_init(loop, &x.resend);
    uv_timer_init(loop, &x.hard_exit);
    x.retry.data = x.linger.data = x.resend.data = x.hard_exit.data = &x;
    uv_signal_init(loop, &x.sigchld);
    uv_signal_init(loop, &x.sigterm);
    x.sigchld.data = x.sigterm.data = &x;
    uv_signal_start(&x.sigchld, on_sigchld, SIGCHLD);
    uv_signal_start(&x.sigterm, on_sigterm, SIGTERM);
    cr_info("executor starting executor_id=%s framework_id=%s agent=%s:%d "
            "checkpoint=%d",
            c->exec_id, c->fw_id, c->agent_host, c->agent_port, c->checkpoint);
    subscribe(&x);
    uv_run(loop, UV_RUN_DEFAULT);
    return x.exit_code;
}
