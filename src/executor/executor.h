/* SPDX-License-Identifier: Apache-2.0
 *
 * executor.h: corral-executor, the default command executor.
 *
 * A client of the agent's executor API (MESOS_AGENT_ENDPOINT
 * /api/v1/executor). It SUBSCRIBEs (resending unacknowledged tasks and
 * updates), runs each LAUNCHed task (or every task of a LAUNCH_GROUP) as
 * a child in its own process group with cwd = sandbox and stdout/stderr
 * appended to the sandbox files, and reports TASK_STARTING, TASK_RUNNING
 * and a terminal state. KILL: SIGTERM to the task's process group,
 * SIGKILL after the kill policy's grace (default 3s; a later KILL may
 * shorten it, counted from the first SIGTERM). SHUTDOWN: the same
 * for every task with the shutdown grace period. In a task group, a task
 * that does not finish successfully gets the others killed (Mesos default
 * executor semantics).
 *
 * Reliability: every update is kept until the agent's ACKNOWLEDGED; when
 * the agent's stream breaks, a checkpointing executor (MESOS_CHECKPOINT=1)
 * re-subscribes with backoff (at most half of
 * MESOS_SUBSCRIPTION_BACKOFF_MAX between tries) for up to
 * MESOS_RECOVERY_TIMEOUT, others kill their tasks and exit. The executor
 * exits 0 once every task is terminal and every update acknowledged.
 *
 * Children are started with posix_spawn (POSIX_SPAWN_SETPGROUP, default
 * signal dispositions) and reaped from a SIGCHLD uv_signal handler, so no
 * libuv process handles are involved. One thread, one loop.
 */
#ifndef CR_EXECUTOR_EXECUTOR_H
#define CR_EXECUTOR_EXECUTOR_H

#include <uv.h>

struct ex_config {
    char *fw_id;
    char *exec_id;
    char *agent_host;
    int agent_port;
    char *sandbox;
    int checkpoint;
    double shutdown_grace;   /* seconds */
    double recovery_timeout; /* seconds */
    double backoff_max;      /* seconds */
};

/* Read the MESOS_* environment. 0, or -1 with a reason in err. */
int ex_config_from_env(struct ex_config *c, char *err, size_t errlen);
/* Run the executor until it is done; returns the process exit code. */
int ex_run(uv_loop_t *loop, const struct ex_config *c);

#endif
