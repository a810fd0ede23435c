/* SPDX-License-Identifier: Apache-2.0
 *
 * task_state.h: mesos.v1.TaskState names as the agent uses them.
 */
#ifndef CR_AGENT_TASK_STATE_H
#define CR_AGENT_TASK_STATE_H

#include <stdbool.h>

enum task_state {
    TS_STARTING = 0,
    TS_RUNNING = 1,
    TS_FINISHED = 2,
    TS_FAILED = 3,
    TS_KILLED = 4,
    TS_LOST = 5,
    TS_STAGING = 6,
    TS_ERROR = 7,
    TS_KILLING = 8,
    TS_DROPPED = 9,
    TS_UNREACHABLE = 10,
    TS_GONE = 11,
    TS_GONE_BY_OPERATOR = 12,
    TS_UNKNOWN = 13,
    TS_COUNT
};

/* "TASK_RUNNING" etc. */
const char *task_state_name(enum task_state s);
/* Parse a name; -1 if unknown. */
int task_state_parse(const char *name);
bool task_state_is_terminal(enum task_state s);

#endif
