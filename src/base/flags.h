/* SPDX-License-Identifier: Apache-2.0
 *
 * flags.h: command-line flags with Mesos names, syntax and defaults.
 *
 * A daemon describes its flags in a table of struct cr_flag. Values come,
 * in order of precedence, from the command line (`--name=value`,
 * `--name value`, `--name`/`--no-name` for booleans), the environment
 * (`CORRAL_<NAME>` then `MESOS_<NAME>`, name upper-cased), and the default.
 * Each flag keeps its effective value as text (for /flags and GET_FLAGS) and
 * writes the typed value into the caller's variable.
 *
 * Errors are one line ("unknown flag '--foo'", "bad value for --port: ...")
 * so the daemon can print it and exit 1.
 */
#ifndef CR_BASE_FLAGS_H
#define CR_BASE_FLAGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum cr_flag_type {
    CR_FLAG_STRING,   /* dst: char ** (owned by the flags table) */
    CR_FLAG_INT,      /* dst: long * */
    CR_FLAG_DOUBLE,   /* dst: double * */
    CR_FLAG_BOOL,     /* dst: bool * */
    CR_FLAG_DURATION, /* dst: double * (seconds) */
    CR_FLAG_PORT,     /* dst: int * (1..65535, 0 allowed for "any") */
};

struct cr_flag {
    const char *name;       /* without dashes: "allocation_interval" */
    enum cr_flag_type type; /* how value text is checked and converted */
    const char *def;        /* default as text; NULL: unset by default */
    const char *help;       /* one line for --help */
    void *dst;              /* typed destination, see enum above */
    const char *alias;      /* optional older name ("slave_ping_timeout") */
    /* Filled in by cr_flags_parse: */
    char *value; /* effective value text, owned; NULL if unset */
    bool given;  /* came from command line or environment */
};

/* Parse argv[1..argc) and the environment into flags[0..n).
 * Arguments that do not start with "--" are positional: their indexes are
 * written to positional[] (up to max_positional) and counted in
 * *n_positional (both may be NULL/0 when none are allowed, in which case a
 * positional argument is an error). "--help" sets *want_help.
 * Returns 0, or -1 with a one-line reason in err (size errlen). */
int cr_flags_parse(struct cr_flag *flags, size_t n, int argc, char **argv,
                   int *positional, size_t max_positional, size_t *n_positional,
                   bool *want_help, char *err, size_t errlen);

/* Print a usage page listing every flag with its default. */
void cr_flags_usage(FILE *out, const char *usage_line,
                    const struct cr_flag *flags, size_t n);

/* Release the value texts. */
void cr_flags_free(struct cr_flag *flags, size_t n);

/* Return the flag named name, or NULL. */
const struct cr_flag *cr_flags_find(const struct cr_flag *flags, size_t n,
                                    const char *name);

#endif
