/* SPDX-License-Identifier: Apache-2.0
 *
 * taskinfo.h: the JSON `corral execute` sends (FrameworkInfo, TaskInfo)
 * and how it reads the outcome (exit codes). Pure functions; no I/O.
 */
#ifndef CR_CLI_TASKINFO_H
#define CR_CLI_TASKINFO_H

#include "args.h"
#include "resources.h"

#include <jansson.h>
#include <stddef.h>

struct exec_spec {
    const char *name;    /* task name; task ids derive from it */
    const char *command; /* shell command */
    const char *role;    /* "*" unless --role */
    const char *framework_name;
    const char *user;
    struct cli_resources res;
    struct cli_list env; /* "K=V" */
    struct cli_list uris;
};

/* Check the parts a user typed: name usable in a task id, env entries of
 * the form K=V, non-empty command. 0, or -1 with a reason in err. */
int exec_spec_check(const struct exec_spec *sp, char *err, size_t errlen);
/* The FrameworkInfo: failover_timeout 0, MULTI_ROLE with roles [role]. */
json_t *exec_framework_info(const struct exec_spec *sp);
/* The task id of instance i (0-based) of n: the name when n == 1, else
 * "<name>-<i+1>". Owned. */
char *exec_task_id(const struct exec_spec *sp, size_t i, size_t n);
/* A command TaskInfo for task_id on agent_id; alloc_role is the offer's
 * allocation role (NULL when the offer has none). New reference. */
json_t *exec_task_info(const struct exec_spec *sp, const char *task_id,
                       const char *agent_id, const char *alloc_role);
/* The exit code for a task that ended in state with message (may be
 * NULL): 0 for TASK_FINISHED; N for TASK_FAILED whose message says
 * "exited with status N" (1..255); 1 otherwise. */
int exec_exit_code(const char *state, const char *message);

#endif
