/* SPDX-License-Identifier: Apache-2.0
 *
 * args.c: see args.h.
 */
#include "args.h"

#include "base/duration.h"
#include "base/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_opt *
find_opt(const struct cli_opt *opts, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(opts[i].name) == len &&
            strncmp(opts[i].name, name, len) == 0)
            return &opts[i];
    return NULL;
}

static int
parse_bool(const char *v, bool *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes"))
        *out = true;
    else if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no"))
        *out = false;
    else
        return -1;
    return 0;
}

static int
parse_duration(const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    /* A bare number means seconds. */
    if (errno == 0 && end != v && *end == '\0' && d >= 0 && d < 1e12) {
        *out = d;
        return 0;
    }
    return cr_duration_parse(v, out) == 0 ? 0 : -1;
}

/* Store value into o's destination. */
static int
set_value(const struct cli_opt *o, const char *v, char *err, size_t errlen)
{
    char *end;
    switch (o->kind) {
    case CLI_STR:
        *(const char **)o->dst = v;
        return 0;
    case CLI_LIST: {
        struct cli_list *l = o->dst;
        l->v = cr_xrealloc(l->v, (l->n + 1) * sizeof(l->v[0]));
        l->v[l->n++] = v;
        return 0;
    }
    case CLI_BOOL:
        if (parse_bool(v, o->dst) == 0)
            return 0;
        snprintf(err, errlen,
                 "bad value for --%s: '%s' (expected true or "
                 "false)",
                 o->name, v);
        return -1;
    case CLI_INT: {
        errno = 0;
        long x = strtol(v, &end, 10);
        if (errno || end == v || *end != '\0' || x < 0) {
            snprintf(err, errlen,
                     "bad value for --%s: '%s' is not a "
                     "non-negative integer",
                     o->name, v);
            return -1;
        }
        *(long *)o->dst = x;
        return 0;
    }
    case CLI_DURATION:
        if (parse_duration(v, o->dst) == 0)
            return 0;
        snprintf(err, errlen,
                 "bad value for --%s: '%s' is not a duration "
                 "(e.g. 30secs, 5mins)",
                 o->name, v);
        return -1;
    }
    return -1;
}

/* Parse argv[*i], an option; may consume the next argument. */
static int
parse_option(const struct cli_opt *opts, size_t n, int argc, char **argv,
             int *i, char *err, size_t errlen)
{
    const char *arg = argv[*i] + 2;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    const struct cli_opt *o = find_opt(opts, n, arg, len);
    if (o == NULL) {
        snprintf(err, errlen, "unknown option '--%.*s'", (int)len, arg);
        return -1;
    }
    if (eq)
        return set_value(o, eq + 1, err, errlen);
    if (o->kind == CLI_BOOL)
        return set_value(o, "true", err, errlen);
    if (*i + 1 >= argc) {
        snprintf(err, errlen, "option --%s needs a value", o->name);
        return -1;
    }
    return set_value(o, argv[++*i], err, errlen);
}

int
cli_args_parse(const struct cli_opt *opts, size_t n, int argc, char **argv,
               size_t max_pos, struct cli_args *out, char *err, size_t errlen)
{
    bool only_pos = false;
    memset(out, 0, sizeof(*out));
    if (max_pos > CLI_MAX_POSITIONAL)
        max_pos = CLI_MAX_POSITIONAL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!only_pos && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
            out->help = true;
        } else if (!only_pos && !strcmp(a, "--")) {
            only_pos = true;
        } else if (!only_pos && !strncmp(a, "--", 2)) {
            if (parse_option(opts, n, argc, argv, &i, err, errlen))
                return -1;
        } else if (!only_pos && a[0] == '-' && a[1] != '\0') {
            snprintf(err, errlen,
                     "unknown option '%s' (options are "
                     "--name=value)",
                     a);
            return -1;
        } else if (out->npos < max_pos) {
            out->pos[out->npos++] = a;
        } else {
            snprintf(err, errlen, "unexpected argument '%s'", a);
            return -1;
        }
    }
    return 0;
}

void
cli_list_free(struct cli_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

void
cli_usage(FILE *f, const char *usage, const char *summary,
          const struct cli_opt *opts, size_t n)
{
    fprintf(f, "Usage: %s\n\n%s\n", usage, summary);
    if (n > 0)
        fprintf(f, "\nOptions:\n");
    for (size_t i = 0; i < n; i++) {
        const struct cli_opt *o = &opts[i];
        char head[96];
        if (o->kind == CLI_BOOL)
            snprintf(head, sizeof(head), "--%s", o->name);
        else
            snprintf(head, sizeof(head), "--%s %s", o->name,
                     o->metavar ? o->metavar : "VALUE");
        fprintf(f, "  %-28s %s%s\n", head, o->help,
                o->kind == CLI_LIST ? " (repeatable)" : "");
    }
    fprintf(f, "  %-28s %s\n", "--help", "Print this help and exit.");
}
