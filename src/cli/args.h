/* SPDX-License-Identifier: Apache-2.0
 *
 * args.h: the command line of one `corral` subcommand.
 *
 * Options are `--name=value`, `--name value` or, for booleans, `--name`;
 * list options may repeat (`--env A=1 --env B=2`); `--` ends the options;
 * `-h`/`--help` asks for help. Everything else is positional. Parsing is
 * pure (no I/O): string values point into argv, lists hold arrays of such
 * pointers. Errors are one line, ready to print.
 */
#ifndef CR_CLI_ARGS_H
#define CR_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CLI_MAX_POSITIONAL 8

enum cli_opt_kind {
    CLI_STR,      /* dst: const char ** */
    CLI_LIST,     /* dst: struct cli_list * (repeatable) */
    CLI_BOOL,     /* dst: bool * */
    CLI_INT,      /* dst: long * (decimal, >= 0) */
    CLI_DURATION, /* dst: double * seconds ("30secs", "5mins", or "10") */
};

struct cli_list {
    const char **v; /* owned array; the strings belong to argv */
    size_t n;
};

struct cli_opt {
    const char *name; /* without dashes */
    enum cli_opt_kind kind;
    void *dst;
    const char *metavar; /* for help: "HOST:PORT" */
    const char *help;    /* one line */
};

struct cli_args {
    const char *pos[CLI_MAX_POSITIONAL];
    size_t npos;
    bool help;
};

/* Parse argv[0..argc) (the arguments after the subcommand name) against
 * opts[0..n). At most max_pos positionals are accepted. Returns 0, or -1
 * with a one-line reason in err. List options must start empty (zeroed);
 * free them with cli_list_free() either way. */
int cli_args_parse(const struct cli_opt *opts, size_t n, int argc, char **argv,
                   size_t max_pos, struct cli_args *out, char *err,
                   size_t errlen);
/* Release a list's array. */
void cli_list_free(struct cli_list *l);
/* Print "Usage: <usage>", the summary and one paragraph per option. */
void cli_usage(FILE *f, const char *usage, const char *summary,
               const struct cli_opt *opts, size_t n);

#endif
