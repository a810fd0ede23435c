/* SPDX-License-Identifier: Apache-2.0
 *
 * flags.c: see flags.h.
 */
#include "flags.h"

#include "duration.h"
#include "mem.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FLAG_VALUE_MAX 65536

static struct cr_flag *
find_flag(struct cr_flag *flags, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (strlen(flags[i].name) == len &&
            strncmp(flags[i].name, name, len) == 0)
            return &flags[i];
        if (flags[i].alias && strlen(flags[i].alias) == len &&
            strncmp(flags[i].alias, name, len) == 0)
            return &flags[i];
    }
    return NULL;
}

const struct cr_flag *
cr_flags_find(const struct cr_flag *flags, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(flags[i].name, name) == 0 ||
            (flags[i].alias && strcmp(flags[i].alias, name) == 0))
            return &flags[i];
    return NULL;
}

static int
parse_bool(const char *s, bool *out)
{
    if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0) {
        *out = false;
        return 0;
    }
    return -1;
}

/* Check and convert text into the flag's destination. */
static int
convert(struct cr_flag *f, char *text, char *err, size_t errlen)
{
    char *end;
    if (strlen(text) > FLAG_VALUE_MAX) {
        snprintf(err, errlen, "value for --%s is too long", f->name);
        return -1;
    }
    switch (f->type) {
    case CR_FLAG_STRING:
        if (f->dst)
            *(char **)f->dst = text;
        return 0;
    case CR_FLAG_INT: {
        errno = 0;
        long v = strtol(text, &end, 10);
        if (errno || end == text || *end != '\0') {
            snprintf(err, errlen, "bad value for --%s: '%s' is not an integer",
                     f->name, text);
            return -1;
        }
        if (f->dst)
            *(long *)f->dst = v;
        return 0;
    }
    case CR_FLAG_DOUBLE: {
        errno = 0;
        double v = strtod(text, &end);
        if (errno || end == text || *end != '\0' || !isfinite(v)) {
            snprintf(err, errlen, "bad value for --%s: '%s' is not a number",
                     f->name, text);
            return -1;
        }
        if (f->dst)
            *(double *)f->dst = v;
        return 0;
    }
    case CR_FLAG_BOOL: {
        bool v;
        if (parse_bool(text, &v)) {
            snprintf(err, errlen,
                     "bad value for --%s: '%s' (expected true or false)",
                     f->name, text);
            return -1;
        }
        if (f->dst)
            *(bool *)f->dst = v;
        return 0;
    }
    case CR_FLAG_DURATION: {
        double v;
        if (cr_duration_parse(text, &v)) {
            snprintf(err, errlen,
                     "bad value for --%s: '%s' is not a duration "
                     "(e.g. 500ms, 5secs, 10mins)",
                     f->name, text);
            return -1;
        }
        if (f->dst)
            *(double *)f->dst = v;
        return 0;
    }
    case CR_FLAG_PORT: {
        errno = 0;
        long v = strtol(text, &end, 10);
        if (errno || end == text || *end != '\0' || v < 0 || v > 65535) {
            snprintf(err, errlen,
                     "bad value for --%s: '%s' is not a port (0-65535)",
                     f->name, text);
            return -1;
        }
        if (f->dst)
            *(int *)f->dst = (int)v;
        return 0;
    }
    }
    return -1;
}

static int
set_value(struct cr_flag *f, const char *text, char *err, size_t errlen)
{
    char *copy = cr_xstrdup(text);
    if (convert(f, copy, err, errlen)) {
        free(copy);
        return -1;
    }
    free(f->value);
    f->value = copy;
    return 0;
}

static const char *
env_for(const char *prefix, const char *name, char *tmp, size_t tmplen)
{
    size_t p = strlen(prefix);
    if (p + strlen(name) + 1 > tmplen)
        return NULL;
    memcpy(tmp, prefix, p);
    for (size_t i = 0; name[i]; i++)
        tmp[p++] = (char)toupper((unsigned char)name[i]);
    tmp[p] = '\0';
    return getenv(tmp);
}

static int
apply_defaults_and_env(struct cr_flag *flags, size_t n, char *err,
                       size_t errlen)
{
    char tmp[256];
    for (size_t i = 0; i < n; i++) {
        struct cr_flag *f = &flags[i];
        if (f->given)
            continue;
        const char *v = env_for("CORRAL_", f->name, tmp, sizeof(tmp));
        if (v == NULL)
            v = env_for("MESOS_", f->name, tmp, sizeof(tmp));
        if (v != NULL) {
            if (set_value(f, v, err, errlen))
                return -1;
            f->given = true;
        } else if (f->def != NULL) {
            if (set_value(f, f->def, err, errlen))
                return -1;
        }
    }
    return 0;
}

static int
parse_one(struct cr_flag *flags, size_t n, int argc, char **argv, int *i,
          char *err, size_t errlen)
{
    const char *arg = argv[*i] + 2;
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    struct cr_flag *f = find_flag(flags, n, arg, len);
    bool negated = false;
    if (f == NULL && len > 3 && strncmp(arg, "no-", 3) == 0) {
        f = find_flag(flags, n, arg + 3, len - 3);
        negated = f != NULL && f->type == CR_FLAG_BOOL && eq == NULL;
        if (!negated)
            f = NULL;
    }
    if (f == NULL) {
        snprintf(err, errlen, "unknown flag '--%.*s'", (int)len, arg);
        return -1;
    }
    const char *text;
    if (negated)
        text = "false";
    else if (eq)
        text = eq + 1;
    else if (f->type == CR_FLAG_BOOL)
        text = "true";
    else if (*i + 1 < argc)
        text = argv[++*i];
    else {
        snprintf(err, errlen, "flag --%s needs a value", f->name);
        return -1;
    }
    if (set_value(f, text, err, errlen))
        return -1;
    f->given = true;
    return 0;
}

int
cr_flags_parse(struct cr_flag *flags, size_t n, int argc, char **argv,
               int *positional, size_t max_positional, size_t *n_positional,
               bool *want_help, char *err, size_t errlen)
{
    size_t npos = 0;
    if (want_help)
        *want_help = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            if (want_help)
                *want_help = true;
            continue;
        }
        if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
            if (npos >= max_positional) {
                snprintf(err, errlen, "unexpected argument '%s'", argv[i]);
                return -1;
            }
            positional[npos++] = i;
            continue;
        }
        if (parse_one(flags, n, argc, argv, &i, err, errlen))
            return -1;
    }
    if (n_positional)
        *n_positional = npos;
    return apply_defaults_and_env(flags, n, err, errlen);
}

void
cr_flags_usage(FILE *out, const char *usage_line, const struct cr_flag *flags,
               size_t n)
{
    fprintf(out,
            "Usage: %s\n\nFlags (also settable as CORRAL_<FLAG> or "
            "MESOS_<FLAG> in the environment):\n",
            usage_line);
    for (size_t i = 0; i < n; i++) {
        const struct cr_flag *f = &flags[i];
        fprintf(out, "  --%s", f->name);
        if (f->type != CR_FLAG_BOOL)
            fprintf(out, "=VALUE");
        fprintf(out, "\n      %s", f->help);
        if (f->def)
            fprintf(out, " (default: %s)", f->def);
        fprintf(out, "\n");
    }
    fprintf(out, "  --help\n      Print this help and exit.\n");
}

void
cr_flags_free(struct cr_flag *flags, size_t n)
{
    for (size_t i = 0; i < n; i++)
        CR_FREE(flags[i].value);
}
