/* SPDX-License-Identifier: Apache-2.0
 *
 * execute.c: `corral execute`: run a shell command as K tasks through a
 * short-lived framework and print what it printed.
 *
 * Phases (main loop, then plain sequential code):
 *   1. RUN (loop): subscribe (failover_timeout 0), pack instances into
 *      offers that fit, decline the rest, suppress once all are launched,
 *      print each task state change to stderr, acknowledge updates, kill
 *      after --kill_after. The loop stops when every task is terminal, on a
 *      framework error, on SIGINT/SIGTERM, or when no subscription came
 *      within --connect_timeout.
 *   2. OUTPUT (blocking): read each task's stdout from its agent's
 *      /files/read to our stdout (and the stderr of tasks that did not
 *      finish, to our stderr).
 *   3. TEARDOWN (loop): TEARDOWN the framework and wait for the answer,
 *      then free everything.
 * Exit code: see cli.h and exec_exit_code().
 */
#include "base/duration.h"
#include "base/json.h"
#include "base/mem.h"
#include "cli.h"
#include "http_sync.h"
#include "net/http_client.h"
#include "sandbox.h"
#include "scheduler/scheduler.h"
#include "taskinfo.h"

#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define REFUSE_WHILE_WAITING 1.0
#define REFUSE_WHEN_DONE     3600.0
#define TEARDOWN_WAIT_MS     10000
#define MAX_INSTANCES        10000

struct exec_task {
    char *id;
    char *agent_id;
    char *executor_id;
    char *state;
    char *message;
    bool terminal;
};

struct exec {
    uv_loop_t loop;
    struct exec_spec sp;
    const char *master;
    long instances;
    double kill_after;
    double connect_timeout;
    bool quiet;

    struct cr_sched *s;
    struct exec_task *tasks;
    size_t n_launched, n_terminal;
    uv_timer_t kill_timer, deadline_timer;
    uv_signal_t sigint, sigterm;
    bool subscribed, suppressed, no_fit_noted, teardown_done;
    bool finished; /* phase 1 is over */
    bool all_done; /* every task is terminal */
    int exit_code; /* when !all_done */
    char last_problem[512];
};

static void note(struct exec *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
note(struct exec *e, const char *fmt, ...)
{
    if (e->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* End phase 1 with code (ignored when every task is terminal). */
static void
finish(struct exec *e, int code)
{
    if (e->finished)
        return;
    e->finished = true;
    e->exit_code = code;
    uv_timer_stop(&e->kill_timer);
    uv_timer_stop(&e->deadline_timer);
    uv_stop(&e->loop);
}

static struct exec_task *
find_task(struct exec *e, const char *id)
{
    for (size_t i = 0; i < (size_t)e->instances; i++)
        if (strcmp(e->tasks[i].id, id) == 0)
            return &e->tasks[i];
    return NULL;
}

static void
set_str(char **dst, const char *v)
{
    if (v == NULL || (*dst && strcmp(*dst, v) == 0))
        return;
    free(*dst);
    *dst = cr_xstrdup(v);
}

/* ---- scheduler callbacks ---- */

static void
on_subscribed(struct cr_sched *s, void *data, json_t *sub)
{
    struct exec *e = data;
    if (!e->subscribed)
        note(e, "framework %s subscribed to %s", cr_sched_framework_id(s),
             cr_sched_master(s));
    e->subscribed = true;
    uv_timer_stop(&e->deadline_timer);
}

static void
on_accept_done(struct cr_sched *s, void *data, int err, int status,
               const char *body)
{
    struct exec *e = data;
    if (err == 0 && status >= 200 && status < 300)
        return;
    if (err)
        snprintf(e->last_problem, sizeof(e->last_problem),
                 "launch failed: no answer from master");
    else
        snprintf(e->last_problem, sizeof(e->last_problem),
                 "launch refused: HTTP %d %.300s", status, body);
    cli_error("execute", "%s", e->last_problem);
    finish(e, CLI_EXIT_UNAVAILABLE);
}

static void
on_kill_timer(uv_timer_t *t)
{
    struct exec *e = t->data;
    char d[32];
    note(e, "killing tasks after %s",
         cr_duration_format(e->kill_after, d, sizeof(d)));
    for (size_t i = 0; i < e->n_launched; i++)
        if (!e->tasks[i].terminal)
            cr_sched_kill(e->s, e->tasks[i].id, e->tasks[i].agent_id, -1, NULL,
                          NULL);
}

static void
all_launched(struct exec *e)
{
    if (e->suppressed)
        return;
    e->suppressed = true;
    cr_sched_suppress(e->s, NULL, 0, NULL, NULL);
    if (e->kill_after > 0)
        uv_timer_start(&e->kill_timer, on_kill_timer,
                       (uint64_t)(e->kill_after * 1000.0), 0);
}

/* Launch as many pending instances as fit on offer. */
static void
use_offer(struct exec *e, json_t *offer, const char *offer_id)
{
    size_t want = (size_t)e->instances - e->n_launched;
    size_t k = cli_offer_fits(offer, &e->sp.res, want);
    const char *hostname = cr_json_str(offer, "hostname");
    if (k == 0) {
        if (!e->no_fit_noted)
            note(e,
                 "waiting for an offer with enough resources (offer %s "
                 "from %s is too small)",
                 offer_id, hostname ? hostname : "?");
        e->no_fit_noted = true;
        cr_sched_decline(e->s, &offer_id, 1, REFUSE_WHILE_WAITING, NULL, NULL);
        return;
    }
    const char *agent = cr_json_id(offer, "agent_id");
    const char *role =
        cr_json_str(json_object_get(offer, "allocation_info"), "role");
    json_t *infos = json_array();
    for (size_t j = 0; j < k; j++) {
        struct exec_task *t = &e->tasks[e->n_launched++];
        set_str(&t->agent_id, agent);
        set_str(&t->state, "TASK_STAGING");
        json_array_append_new(
            infos, exec_task_info(&e->sp, t->id, agent ? agent : "", role));
        note(e, "task %s TASK_STAGING", t->id);
    }
    bool done = e->n_launched == (size_t)e->instances;
    int rc = cr_sched_launch(e->s, &offer_id, 1, infos,
                             done ? REFUSE_WHEN_DONE : REFUSE_WHILE_WAITING,
                             on_accept_done, e);
    if (rc != 0) {
        cli_error("execute", "cannot send ACCEPT to the master");
        finish(e, CLI_EXIT_UNAVAILABLE);
        return;
    }
    if (done)
        all_launched(e);
}

static void
on_offers(struct cr_sched *s, void *data, json_t *offers)
{
    struct exec *e = data;
    size_t i;
    json_t *offer;
    json_array_foreach(offers, i, offer)
    {
        const char *id = cr_json_id(offer, "id");
        if (id == NULL)
            continue;
        if (e->finished || e->n_launched == (size_t)e->instances)
            cr_sched_decline(s, &id, 1, REFUSE_WHEN_DONE, NULL, NULL);
        else
            use_offer(e, offer, id);
    }
}

static void
on_update(struct cr_sched *s, void *data, json_t *status)
{
    struct exec *e = data;
    const char *id = cr_json_id(status, "task_id");
    const char *state = cr_json_str(status, "state");
    struct exec_task *t = find_task(e, id);
    if (t && !t->terminal) {
        if (t->state == NULL || strcmp(t->state, state) != 0) {
            const char *msg = cr_json_str(status, "message");
            bool bad = cr_sched_task_state_is_terminal(state) &&
                       strcmp(state, "TASK_FINISHED") != 0;
            if (bad && msg && *msg)
                note(e, "task %s %s (%s)", id, state, msg);
            else
                note(e, "task %s %s", id, state);
        }
        set_str(&t->state, state);
        set_str(&t->agent_id, cr_json_id(status, "agent_id"));
        set_str(&t->executor_id, cr_json_id(status, "executor_id"));
        set_str(&t->message, cr_json_str(status, "message"));
        if (cr_sched_task_state_is_terminal(state)) {
            t->terminal = true;
            e->n_terminal++;
        }
    }
    cr_sched_ack_update(s, status, NULL, NULL);
    if (e->n_terminal == (size_t)e->instances && !e->finished) {
        e->all_done = true;
        finish(e, 0);
    }
}

static void
on_error(struct cr_sched *s, void *data, const char *message)
{
    struct exec *e = data;
    snprintf(e->last_problem, sizeof(e->last_problem), "%s", message);
}

static void
on_disconnected(struct cr_sched *s, void *data, const char *reason)
{
    struct exec *e = data;
    enum cr_sched_state st = cr_sched_state(s);
    if (st == CR_SCHED_FAILED) {
        cli_error("execute", "master %s: %s", cr_sched_master(s),
                  e->last_problem[0] ? e->last_problem : reason);
        finish(e, CLI_EXIT_UNAVAILABLE);
        return;
    }
    snprintf(e->last_problem, sizeof(e->last_problem), "%s", reason);
    if (e->subscribed && st == CR_SCHED_BACKOFF && !e->finished)
        note(e, "lost the master (%s); reconnecting", reason);
}

static void
on_deadline(uv_timer_t *t)
{
    struct exec *e = t->data;
    char d[32];
    cli_error("execute", "could not subscribe to %s within %s: %s", e->master,
              cr_duration_format(e->connect_timeout, d, sizeof(d)),
              e->last_problem[0] ? e->last_problem : "no answer");
    finish(e, CLI_EXIT_UNAVAILABLE);
}

static void
on_signal(uv_signal_t *h, int signum)
{
    struct exec *e = h->data;
    note(e, "interrupted; tearing the framework down");
    finish(e, 128 + signum);
}

/* ---- phases ---- */

static const struct cr_sched_callbacks exec_cbs = {
    .subscribed = on_subscribed,
    .offers = on_offers,
    .update = on_update,
    .error = on_error,
    .disconnected = on_disconnected,
};

static int
phase_run(struct exec *e)
{
    json_t *fi = exec_framework_info(&e->sp);
    e->s = cr_sched_new(&e->loop, e->master, fi, &exec_cbs, e);
    json_decref(fi);
    if (e->s == NULL) {
        cli_error("execute", "bad --master '%s'", e->master);
        return CLI_EXIT_USAGE;
    }
    uv_timer_init(&e->loop, &e->kill_timer);
    uv_timer_init(&e->loop, &e->deadline_timer);
    uv_signal_init(&e->loop, &e->sigint);
    uv_signal_init(&e->loop, &e->sigterm);
    e->kill_timer.data = e->deadline_timer.data = e;
    e->sigint.data = e->sigterm.data = e;
    uv_signal_start(&e->sigint, on_signal, SIGINT);
    uv_signal_start(&e->sigterm, on_signal, SIGTERM);
    uv_timer_start(&e->deadline_timer, on_deadline,
                   (uint64_t)(e->connect_timeout * 1000.0), 0);
    cr_sched_start(e->s);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    return 0;
}

static void
copy_file(struct exec *e, const json_t *state, const struct exec_task *t,
          const char *name, FILE *out, bool header)
{
    struct sandbox_file f;
    char err[512];
    const char *exec_id = t->executor_id ? t->executor_id : t->id;
    if (header)
        note(e, "==> task %s %s <==", t->id, name);
    if (sandbox_open(&f, state, cr_sched_framework_id(e->s), t->agent_id,
                     exec_id, name, err, sizeof(err)) != 0 ||
        sandbox_read_all(&f, out, err, sizeof(err)) != 0)
        cli_error("execute", "cannot read %s of task %s: %s", name, t->id, err);
    sandbox_close(&f);
}

static void
phase_output(struct exec *e)
{
    json_t *state = NULL;
    char err[512];
    bool many = e->instances > 1;
    for (size_t i = 0; i < (size_t)e->instances; i++) {
        const struct exec_task *t = &e->tasks[i];
        if (t->agent_id == NULL || t->agent_id[0] == '\0')
            continue;
        if (state == NULL &&
            http_sync_master_json(cr_sched_master(e->s), "/master/state",
                                  CLI_HTTP_TIMEOUT, &state, NULL, err,
                                  sizeof(err)) != 0) {
            cli_error("execute", "cannot read task output: %s", err);
            return;
        }
        copy_file(e, state, t, "stdout", stdout, many);
        if (!e->quiet && strcmp(t->state, "TASK_FINISHED") != 0)
            copy_file(e, state, t, "stderr", stderr, true);
    }
    json_decref(state);
}

static void
on_teardown_done(struct cr_sched *s, void *data, int err, int status,
                 const char *body)
{
    struct exec *e = data;
    e->teardown_done = true;
    if (err || status >= 300)
        cli_error("execute", "teardown of framework %s: %s %.200s",
                  cr_sched_framework_id(s), err ? "no answer" : "refused",
                  body);
    uv_stop(&e->loop);
}

static void
on_teardown_timeout(uv_timer_t *t)
{
    uv_stop(t->loop);
}

static void
phase_teardown(struct exec *e)
{
    if (cr_sched_teardown(e->s, on_teardown_done, e) == 0) {
        uv_timer_start(&e->deadline_timer, on_teardown_timeout,
                       TEARDOWN_WAIT_MS, 0);
        while (!e->teardown_done &&
               uv_is_active((uv_handle_t *)&e->deadline_timer))
            uv_run(&e->loop, UV_RUN_DEFAULT);
    }
}

static void
close_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static void
on_sched_released(void *arg)
{
    bool *released = arg;
    *released = true;
}

static void
cleanup(struct exec *e)
{
    /* A ZooKeeper session closes asynchronously: let the scheduler finish
     * before every remaining handle is closed by force. */
    bool released = e->s == NULL;
    cr_sched_close(e->s, on_sched_released, &released);
    while (!released)
        uv_run(&e->loop, UV_RUN_ONCE);
    cr_http_client_shutdown(&e->loop);
    uv_walk(&e->loop, close_walk, NULL);
    uv_run(&e->loop, UV_RUN_DEFAULT);
    uv_loop_close(&e->loop);
    for (size_t i = 0; e->tasks && i < (size_t)e->instances; i++) {
        free(e->tasks[i].id);
        free(e->tasks[i].agent_id);
        free(e->tasks[i].executor_id);
        free(e->tasks[i].state);
        free(e->tasks[i].message);
    }
    free(e->tasks);
}

static int
result_code(const struct exec *e)
{
    if (!e->all_done)
        return e->exit_code;
    for (size_t i = 0; i < (size_t)e->instances; i++) {
        int c = exec_exit_code(e->tasks[i].state, e->tasks[i].message);
        if (c != 0)
            return c;
    }
    return CLI_EXIT_OK;
}

static int
run(struct exec *e)
{
    e->tasks = cr_xcalloc((size_t)e->instances, sizeof(e->tasks[0]));
    for (size_t i = 0; i < (size_t)e->instances; i++)
        e->tasks[i].id = exec_task_id(&e->sp, i, (size_t)e->instances);
    uv_loop_init(&e->loop);
    int rc = phase_run(e);
    if (rc == 0) {
        if (e->all_done)
            phase_output(e);
        phase_teardown(e);
        rc = result_code(e);
    }
    cleanup(e);
    return rc;
}

/* ---- arguments ---- */

static const char *
current_user(void)
{
    const char *u = getenv("USER");
    if (u && *u)
        return u;
    struct passwd *pw = getpwuid(geteuid());
    return pw && pw->pw_name ? pw->pw_name : "root";
}

static int
check_args(struct exec *e, const char *resources)
{
    char err[256];
    if (cli_resources_parse(resources, &e->sp.res, err, sizeof(err)) != 0) {
        cli_error("execute", "bad --resources: %s", err);
        return -1;
    }
    if (e->instances < 1 || e->instances > MAX_INSTANCES) {
        cli_error("execute", "--instances must be 1..%d", MAX_INSTANCES);
        return -1;
    }
    if (e->connect_timeout <= 0) {
        cli_error("execute", "--connect_timeout must be positive");
        return -1;
    }
    if (cli_check_master("execute", e->master) != 0)
        return -1;
    if (exec_spec_check(&e->sp, err, sizeof(err)) != 0) {
        cli_error("execute", "%s", err);
        return -1;
    }
    return 0;
}

int
cmd_execute(int argc, char **argv)
{
    struct exec e = {
        .master = cli_default_master(), .instances = 1, .connect_timeout = 15};
    const char *resources = "cpus:0.1;mem:32";
    e.sp.name = "corral-execute";
    e.sp.role = "*";
    e.sp.framework_name = "corral-execute";
    struct cli_opt opts[] = {
        {"master", CLI_STR, &e.master, "MASTER", CLI_MASTER_HELP},
        {"name", CLI_STR, &e.sp.name, "NAME",
         "Task name and id (default: corral-execute)."},
        {"command", CLI_STR, &e.sp.command, "CMD", "Shell command to run."},
        {"resources", CLI_STR, &resources, "RES",
         "Per task, e.g. 'cpus:0.1;mem:32;disk:10' (default: "
         "cpus:0.1;mem:32)."},
        {"instances", CLI_INT, &e.instances, "K",
         "Number of tasks; ids are NAME-1..NAME-K when K > 1 (default: 1)."},
        {"role", CLI_STR, &e.sp.role, "ROLE",
         "Role to subscribe with "
         "(default: *)."},
        {"framework_name", CLI_STR, &e.sp.framework_name, "NAME",
         "Framework name (default: corral-execute)."},
        {"env", CLI_LIST, &e.sp.env, "NAME=VALUE",
         "Environment variable for the command."},
        {"uri", CLI_LIST, &e.sp.uris, "URI", "URI to fetch into the sandbox."},
        {"kill_after", CLI_DURATION, &e.kill_after, "DURATION",
         "Kill the tasks this long after launching them (e.g. 30secs)."},
        {"connect_timeout", CLI_DURATION, &e.connect_timeout, "DURATION",
         "Give up if not subscribed within this time (default: 15secs)."},
        {"quiet", CLI_BOOL, &e.quiet, NULL,
         "Print only the tasks' output and errors."},
    };
    struct cli_args a;
    int rc = cli_parse("execute", "corral execute --command CMD [options]",
                       "Run CMD as a task (or --instances tasks) through a "
                       "temporary framework, print\neach state change to "
                       "stderr, then the tasks' stdout to stdout. Exits with "
                       "the\ntask's exit status (0 for TASK_FINISHED; 1 for "
                       "other failures without one;\n2 if the master cannot "
                       "be used; 130/143 when interrupted).",
                       opts, sizeof(opts) / sizeof(opts[0]), argc, argv, 0, &a);
    if (rc == 0 && check_args(&e, resources) != 0)
        rc = -1;
    if (rc == 0) {
        e.sp.user = current_user();
        rc = run(&e);
    } else {
        rc = rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    }
    cli_list_free(&e.sp.env);
    cli_list_free(&e.sp.uris);
    return rc;
}
