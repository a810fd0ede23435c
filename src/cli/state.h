/* SPDX-License-Identifier: Apache-2.0
 *
 * state.h: reading the master's /master/state document (v0 JSON, see
 * mesos-api.md §3.4): finding tasks and agents, and turning the lists into
 * tables for `corral ps/agents/frameworks`.
 *
 * Ids in /master/state are plain strings ("slave_id": "..."); the
 * {"value": "..."} form is accepted too. Everything returned points into
 * the state document (borrowed). Pure functions; no I/O.
 */
#ifndef CR_CLI_STATE_H
#define CR_CLI_STATE_H

#include "net/url.h"
#include "table.h"

#include <jansson.h>
#include <stdbool.h>

struct cli_task_ref {
    json_t *task;
    const char *task_id;
    const char *framework_id;
    const char *agent_id;
    const char *executor_id; /* the task id for command tasks */
    const char *state;
    const char *name;
    bool active; /* listed in frameworks[].tasks */
};

typedef void (*cli_task_visit_cb)(const struct cli_task_ref *t, void *data);

/* An id field as a string: obj[key] if a string, or obj[key].value. */
const char *cli_state_id(const json_t *obj, const char *key);
/* "slave(1)@10.0.0.1:5051" -> 10.0.0.1 and 5051. 0 or CR_EINVAL_INPUT. */
int cli_pid_to_hostport(const char *pid, struct cr_hostport *out);
/* The address of agent_id: from its pid, else hostname and port.
 * 0 or CR_ENOTFOUND. */
int cli_state_agent_addr(const json_t *state, const char *agent_id,
                         struct cr_hostport *out);
/* Visit active tasks (frameworks[].tasks) and, with all, completed ones
 * too (completed_tasks of frameworks and completed_frameworks). */
void cli_state_foreach_task(const json_t *state, bool all, cli_task_visit_cb cb,
                            void *data);
/* Find task_id (in framework_id, or any when NULL): an active task wins,
 * else the last completed one listed. 0 or CR_ENOTFOUND. */
int cli_state_find_task(const json_t *state, const char *task_id,
                        const char *framework_id, struct cli_task_ref *out);

/* Tables: tasks (ID FRAMEWORK AGENT STATE NAME), agents (ID HOSTNAME PORT
 * ACTIVE CPUS MEM DISK; resources as used/total), frameworks (ID NAME
 * USER ACTIVE CONNECTED TASKS CPUS MEM). t must be uninitialised. */
void cli_state_tasks_table(const json_t *state, bool all, struct cli_table *t);
void cli_state_agents_table(const json_t *state, struct cli_table *t);
void cli_state_frameworks_table(const json_t *state, bool all,
                                struct cli_table *t);
/* The task objects `ps --json` prints (new reference). */
json_t *cli_state_tasks_json(const json_t *state, bool all);
/* The framework objects `frameworks --json` prints (new reference). */
json_t *cli_state_frameworks_json(const json_t *state, bool all);

#endif
