/* SPDX-License-Identifier: Apache-2.0
 *
 * opcmds.h: the `corral` commands built on the master's v1 operator API
 * (operator.h): state, top, maintenance, quota, weights; and the argument
 * and output helpers they share.
 *
 * They keep cli.h's conventions: results on stdout (a table or summary,
 * or with --json the answer's typed member exactly as the master sent it,
 * e.g. the "get_weights" object), one-line errors on stderr, exit 0 / 1
 * (bad usage or the master refused the call, 4xx) / 2 (no master
 * answered). Calls that change something print nothing on success.
 */
#ifndef CR_CLI_OPCMDS_H
#define CR_CLI_OPCMDS_H

#include "args.h"
#include "table.h"

#include <jansson.h>
#include <stddef.h>

int cmd_state(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_maintenance(int argc, char **argv);
int cmd_quota(int argc, char **argv);
int cmd_weights(int argc, char **argv);

/* Positional words of a command line, any number (args.h caps them). */
struct op_words {
    const char **v; /* owned array; the strings belong to argv */
    size_t n;
};

/* Parse argv like cli_parse() (options from opts), but collect every
 * positional word into *pos (free with op_words_free() in every case).
 * Returns 0 to go on, 1 when help was printed, -1 after a one-line
 * error. */
int op_parse(const char *cmd, const char *usage, const char *summary,
             const struct cli_opt *opts, size_t n, int argc, char **argv,
             struct op_words *pos);
void op_words_free(struct op_words *w);
/* Print v as indented JSON on stdout. */
void op_print_json(const json_t *v);
/* Render t on stdout and release it. */
void op_print_table(struct cli_table *t);
/* The exit code after printing results: 0, or 1 if stdout failed. */
int op_flush(void);

#endif
