/* SPDX-License-Identifier: Apache-2.0
 *
 * cli.h: the `corral` command's subcommands and the helpers they share.
 *
 * Conventions (kept stable for scripts):
 *  - stdout carries only results: tables, JSON (--json), task output;
 *    progress lines and errors go to stderr.
 *  - Errors are one line "corral <command>: <reason>".
 *  - Exit codes: 0 success; 1 bad usage, or (execute) a task that ended
 *    in a non-success state without an exit status; 2 the master or an
 *    agent could not be reached or refused us; execute passes a failed
 *    task's exit status through, and 130/143 after SIGINT/SIGTERM.
 *  - The master defaults to $CORRAL_MASTER, else 127.0.0.1:5050; a
 *    comma-separated list of masters is accepted everywhere.
 */
#ifndef CR_CLI_CLI_H
#define CR_CLI_CLI_H

#include "args.h"

#include <stddef.h>

#define CLI_EXIT_OK          0
#define CLI_EXIT_USAGE       1
#define CLI_EXIT_TASK_FAILED 1
#define CLI_EXIT_UNAVAILABLE 2

int cmd_execute(int argc, char **argv);
int cmd_local(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_agents(int argc, char **argv);
int cmd_frameworks(int argc, char **argv);
int cmd_logs(int argc, char **argv);

/* $CORRAL_MASTER, or 127.0.0.1:5050. */
const char *cli_default_master(void);
/* Check the syntax of a --master list ("host:port[,...]"). 0, or -1
 * after printing a one-line error (a usage error: exit 1). */
int cli_check_master(const char *cmd, const char *masters);
/* Print "corral <cmd>: <formatted message>\n" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Parse a subcommand's arguments. Returns 0 to go on, 1 when help was
 * printed (exit 0), -1 after printing a one-line error (exit 1). */
int cli_parse(const char *cmd, const char *usage, const char *summary,
              const struct cli_opt *opts, size_t n, int argc, char **argv,
              size_t max_pos, struct cli_args *a);

#endif
