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
 *    comma-separated list of masters is accepted everywhere, and so are
 *    zk://host:port[,...]/path (the leader elected in ZooKeeper, looked up
 *    once per command; `execute` follows it) and file:///path holding
 *    either form.
 */
#ifndef CR_CLI_CLI_H
#define CR_CLI_CLI_H

#include "args.h"

#include <stddef.h>

#define CLI_EXIT_OK          0
#define CLI_EXIT_USAGE       1
#define CLI_EXIT_TASK_FAILED 1
#define CLI_EXIT_UNAVAILABLE 2

#define CLI_ZK_WAIT            10.0 /* s: finding the leader in ZooKeeper */
#define CLI_ZK_SESSION_TIMEOUT 10.0 /* s */
#define CLI_MASTER_HELP                                                        \
    "HOST:PORT[,...], zk://HOST:PORT[,...]/PATH or file:///PATH (default: "    \
    "$CORRAL_MASTER or 127.0.0.1:5050)."

int cmd_execute(int argc, char **argv);
int cmd_local(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_agents(int argc, char **argv);
int cmd_frameworks(int argc, char **argv);
int cmd_logs(int argc, char **argv);
int cmd_submit(int argc, char **argv);

/* $CORRAL_MASTER, or 127.0.0.1:5050. */
const char *cli_default_master(void);
/* Check the syntax of --master: "host:port[,...]", "zk://..." or
 * "file:///..." (read). 0, or -1 after printing a one-line error (a usage
 * error: exit 1). */
int cli_check_master(const char *cmd, const char *masters);
/* The master list to send requests to: masters itself (a file's content
 * for file://), or with ZooKeeper the "host:port" of the current leader,
 * waiting up to CLI_ZK_WAIT for one. 0 with *out owned, or an exit code
 * (CLI_EXIT_USAGE, CLI_EXIT_UNAVAILABLE) after printing a one-line error. */
int cli_resolve_master(const char *cmd, const char *masters, char **out);
/* Print "corral <cmd>: <formatted message>\n" to stderr. */
void cli_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Parse a subcommand's arguments. Returns 0 to go on, 1 when help was
 * printed (exit 0), -1 after printing a one-line error (exit 1). */
int cli_parse(const char *cmd, const char *usage, const char *summary,
              const struct cli_opt *opts, size_t n, int argc, char **argv,
              size_t max_pos, struct cli_args *a);

#endif
