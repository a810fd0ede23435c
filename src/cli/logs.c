/* SPDX-License-Identifier: Apache-2.0
 *
 * logs.c: `corral logs TASK [stdout|stderr] [--follow]`.
 *
 * Finds the task in the master's /master/state (framework, agent,
 * executor), then copies the sandbox file from the agent's /files/read to
 * stdout. --follow keeps polling from the last offset until the task is
 * terminal (or gone from the master) and a final read brings nothing new.
 */
#include "cli.h"
#include "http_sync.h"
#include "sandbox.h"
#include "scheduler/scheduler.h"
#include "state.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_MS 500

struct logs_opts {
    const char *master;
    const char *framework;
    bool follow;
    const char *task;
    const char *file;
};

static void
sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Is the task still running? Errors count as "no" so --follow ends. */
static bool
task_is_live(const struct logs_opts *o)
{
    json_t *state;
    char err[512];
    struct cli_task_ref t;
    if (http_sync_master_json(o->master, "/master/state", CLI_HTTP_TIMEOUT,
                              &state, NULL, err, sizeof(err)) != 0)
        return false;
    bool live = cli_state_find_task(state, o->task, o->framework, &t) == 0 &&
                t.active && !cr_sched_task_state_is_terminal(t.state);
    json_decref(state);
    return live;
}

static int
follow(const struct logs_opts *o, struct sandbox_file *f)
{
    char err[512];
    for (;;) {
        bool live = task_is_live(o);
        size_t n;
        if (sandbox_read_available(f, stdout, &n, err, sizeof(err)) != 0) {
            cli_error("logs", "%s", err);
            return CLI_EXIT_UNAVAILABLE;
        }
        /* Terminal before this read, and the read brought nothing more:
         * the file is complete. */
        if (!live && n == 0)
            return CLI_EXIT_OK;
        if (n == 0)
            sleep_ms(POLL_MS);
    }
}

static int
run_logs(struct logs_opts *o)
{
    json_t *state;
    char err[512];
    struct cli_task_ref t;
    struct sandbox_file f;
    if (http_sync_master_json(o->master, "/master/state", CLI_HTTP_TIMEOUT,
                              &state, NULL, err, sizeof(err)) != 0) {
        cli_error("logs", "%s", err);
        return CLI_EXIT_UNAVAILABLE;
    }
    if (cli_state_find_task(state, o->task, o->framework, &t) != 0) {
        cli_error("logs", "task '%s' not found", o->task);
        json_decref(state);
        return CLI_EXIT_USAGE;
    }
    if (t.agent_id == NULL || t.framework_id == NULL) {
        cli_error("logs", "task '%s' has no agent", o->task);
        json_decref(state);
        return CLI_EXIT_USAGE;
    }
    int rc = sandbox_open(&f, state, t.framework_id, t.agent_id, t.executor_id,
                          o->file, err, sizeof(err));
    json_decref(state);
    if (rc != 0) {
        cli_error("logs", "%s", err);
        return CLI_EXIT_UNAVAILABLE;
    }
    if (o->follow)
        rc = follow(o, &f);
    else if (sandbox_read_all(&f, stdout, err, sizeof(err)) != 0) {
        cli_error("logs", "%s", err);
        rc = CLI_EXIT_UNAVAILABLE;
    }
    sandbox_close(&f);
    return rc;
}

int
cmd_logs(int argc, char **argv)
{
    struct logs_opts o = {.master = cli_default_master(), .file = "stdout"};
    struct cli_opt opts[] = {
        {"master", CLI_STR, &o.master, "MASTER", CLI_MASTER_HELP},
        {"framework", CLI_STR, &o.framework, "ID",
         "The task's framework, when several have a task of that id."},
        {"follow", CLI_BOOL, &o.follow, NULL,
         "Keep printing new output until the task is terminal."},
    };
    struct cli_args a;
    int rc = cli_parse("logs", "corral logs TASK [stdout|stderr] [options]",
                       "Print a task's stdout (default) or stderr from its "
                       "sandbox.",
                       opts, 3, argc, argv, 2, &a);
    if (rc)
        return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (a.npos < 1) {
        cli_error("logs", "missing TASK (see corral logs --help)");
        return CLI_EXIT_USAGE;
    }
    o.task = a.pos[0];
    if (a.npos > 1)
        o.file = a.pos[1];
    if (strcmp(o.file, "stdout") != 0 && strcmp(o.file, "stderr") != 0) {
        cli_error("logs", "file must be stdout or stderr, not '%s'", o.file);
        return CLI_EXIT_USAGE;
    }
    if (cli_check_master("logs", o.master) != 0)
        return CLI_EXIT_USAGE;
    char *list;
    rc = cli_resolve_master("logs", o.master, &list);
    if (rc != 0)
        return rc;
    o.master = list;
    rc = run_logs(&o);
    free(list);
    return rc;
}
