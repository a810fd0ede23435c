/* SPDX-License-Identifier: Apache-2.0
 *
 * task_state.c: see task_state.h.
 */
#include "task_state.h"

#include <stddef.h>
#include <string.h>

static const char *const names[TS_COUNT] = {
    [TS_STARTING] = "TASK_STARTING",
    [TS_RUNNING] = "TASK_RUNNING",
    [TS_FINISHED] = "TASK_FINISHED",
    [TS_FAILED] = "TASK_FAILED",
    [TS_KILLED] = "TASK_KILLED",
    [TS_LOST] = "TASK_LOST",
    [TS_STAGING] = "TASK_STAGING",
    [TS_ERROR] = "TASK_ERROR",
    [TS_KILLING] = "TASK_KILLING",
    [TS_DROPPED] = "TASK_DROPPED",
    [TS_UNREACHABLE] = "TASK_UNREACHABLE",
    [TS_GONE] = "TASK_GONE",
    [TS_GONE_BY_OPERATOR] = "TASK_GONE_BY_OPERATOR",
    [TS_UNKNOWN] = "TASK_UNKNOWN",
};

const char *
task_state_name(enum task_state s)
{
    if ((int)s < 0 || s >= TS_COUNT)
        return "TASK_UNKNOWN";
    return names[s];
}

int
task_state_parse(const char *name)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i < TS_COUNT; i++)
        if (strcmp(names[i], name) == 0)
            return i;
    return -1;
}

bool
task_state_is_terminal(enum task_state s)
{
    switch (s) {
    case TS_FINISHED:
    case TS_FAILED:
    case TS_KILLED:
    case TS_LOST:
    case TS_ERROR:
    case TS_DROPPED:
    case TS_GONE:
    case TS_GONE_BY_OPERATOR:
        return true;
    default:
        return false;
    }
}
