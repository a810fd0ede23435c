/* SPDX-License-Identifier: Apache-2.0
 *
 * command.h: pure helpers of the command executor (unit tested).
 */
#ifndef CR_EXECUTOR_COMMAND_H
#define CR_EXECUTOR_COMMAND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* argv for a CommandInfo: shell (default) -> /bin/sh -c value; else the
 * arguments (argv[0] first) or just value. *file gets the program to run
 * (value when not a shell command). Owned, NULL-terminated; NULL when the
 * command has no value. */
char **command_argv(const json_t *cmd, char **file);
void command_argv_free(char **argv);

/* environ + CommandInfo.environment VALUE variables (later wins). Owned,
 * NULL-terminated. */
char **command_env(char **base, const json_t *cmd);

/* Task state name and message for a wait status of the task's process.
 * killed: a kill was requested. message: out buffer. */
const char *command_outcome(int wait_status, bool killed, char *message,
                            size_t n);

/* Grace period in seconds from a KillPolicy object (NULL: def). */
double command_kill_grace(const json_t *kill_policy, double def);

#endif
