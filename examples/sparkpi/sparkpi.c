/* SPDX-License-Identifier: Apache-2.0
 *
 * sparkpi.c: see sparkpi.h.
 */
#include "sparkpi.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINE_PREFIX "sparkpi-slice "

/* ---- the Monte-Carlo slice ---- */

static uint64_t
splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A double uniform in [-1, 1) from the top 53 bits. */
static double
unit_coord(uint64_t *state)
{
    return (double)(splitmix64(state) >> 11) * 0x1.0p-52 - 1.0;
}

uint64_t
sparkpi_slice_inside(unsigned slice, uint64_t samples)
{
    uint64_t state = ((uint64_t)slice + 1) * 0x2545f4914f6cdd1dULL;
    uint64_t inside = 0;
    for (uint64_t i = 0; i < samples; i++) {
        double x = unit_coord(&state), y = unit_coord(&state);
        inside += x * x + y * y <= 1.0;
    }
    return inside;
}

int
sparkpi_slice_line(char *out, size_t n, unsigned slice, uint64_t inside,
                   uint64_t samples)
{
    int w = snprintf(out, n, LINE_PREFIX "%u: inside=%llu of %llu\n", slice,
                     (unsigned long long)inside, (unsigned long long)samples);
    return w < 0 || (size_t)w >= n ? CR_ETOOBIG : 0;
}

/* Parse decimal digits at *p (advanced); false if none or overflow. */
static bool
parse_u64(const char **p, const char *end, uint64_t *out)
{
    uint64_t v = 0;
    const char *s = *p;
    while (s < end && isdigit((unsigned char)*s)) {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
        s++;
    }
    if (s == *p)
        return false;
    *p = s;
    *out = v;
    return true;
}

static bool
eat(const char **p, const char *end, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
        return false;
    *p += n;
    return true;
}

/* Parse one line [p, end) if it is slice's; 1 found, 0 not ours, or
 * CR_EPROTO_DATA. */
static int
parse_line(const char *p, const char *end, unsigned slice, uint64_t *inside,
           uint64_t *samples)
{
    uint64_t idx, in, total;
    if (!eat(&p, end, LINE_PREFIX) || !parse_u64(&p, end, &idx) ||
        idx != slice || !eat(&p, end, ": "))
        return 0;
    if (!eat(&p, end, "inside=") || !parse_u64(&p, end, &in) ||
        !eat(&p, end, " of ") || !parse_u64(&p, end, &total) ||
        (p < end && *p != '\r') || in > total || total == 0)
        return CR_EPROTO_DATA;
    *inside = in;
    *samples = total;
    return 1;
}

int
sparkpi_parse_slice_output(const char *text, size_t len, unsigned slice,
                           uint64_t *inside, uint64_t *samples)
{
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        int rc = parse_line(p, eol, slice, inside, samples);
        if (rc != 0)
            return rc > 0 ? 0 : rc;
        p = nl ? nl + 1 : end;
    }
    return CR_ENOTFOUND;
}

/* ---- task ids ---- */

void
sparkpi_task_id(char *out, size_t n, unsigned slice, unsigned attempt)
{
    snprintf(out, n, "slice-%u-%u", slice, attempt);
}

int
sparkpi_parse_task_id(const char *id, unsigned *slice, unsigned *attempt)
{
    const char *p = id, *end = id + strlen(id);
    uint64_t s, a;
    if (!eat(&p, end, "slice-") || !parse_u64(&p, end, &s) ||
        !eat(&p, end, "-") || !parse_u64(&p, end, &a) || p != end ||
        s > SPARKPI_MAX_SLICES || a > 1000000)
        return CR_EINVAL_INPUT;
    *slice = (unsigned)s;
    *attempt = (unsigned)a;
    return 0;
}

/* ---- finding the master ---- */

/* Next whitespace-separated token of opts at *p, unquoted; owned or NULL
 * at the end. */
static char *
next_token(const char **p)
{
    const char *s = *p;
    while (*s && isspace((unsigned char)*s))
        s++;
    if (*s == '\0')
        return NULL;
    struct cr_buf b;
    cr_buf_init(&b, 1u << 20);
    char quote = 0;
    for (; *s && (quote || !isspace((unsigned char)*s)); s++) {
        if (quote && *s == quote)
            quote = 0;
        else if (!quote && (*s == '\'' || *s == '"'))
            quote = *s;
        else if (cr_buf_append(&b, s, 1) != 0)
            break;
    }
    *p = s;
    return cr_buf_steal(&b);
}

char *
sparkpi_java_prop(const char *opts, const char *name)
{
    if (opts == NULL || name == NULL)
        return NULL;
    char *found = NULL;
    size_t nlen = strlen(name);
    const char *p = opts;
    char *tok;
    while ((tok = next_token(&p)) != NULL) {
        if (strncmp(tok, "-D", 2) == 0 && strncmp(tok + 2, name, nlen) == 0 &&
            tok[2 + nlen] == '=') {
            free(found);
            found = cr_xstrdup(tok + 3 + nlen);
        }
        free(tok);
    }
    return found;
}

char *
sparkpi_master_normalize(const char *url)
{
    if (url == NULL)
        return NULL;
    while (isspace((unsigned char)*url))
        url++;
    const char *v = url;
    bool mesos = strncmp(v, "mesos://", 8) == 0;
    if (mesos)
        v += 8;
    if (*v == '\0' || strpbrk(v, " \t\r\n"))
        return NULL;
    if (strncmp(v, "zk://", 5) == 0 || strncmp(v, "file://", 7) == 0)
        return cr_xstrdup(v);
    /* Other schemes (spark://, k8s://) and Spark's non-Mesos masters
     * (local[*], yarn): only "host[:port][,...]" is left, and without
     * mesos:// a port is required. */
    if (strstr(v, "://") || (!mesos && strchr(v, ':') == NULL))
        return NULL;
    return cr_xstrdup(v);
}

const char *
sparkpi_master_source_name(enum sparkpi_master_source src)
{
    switch (src) {
    case SPARKPI_MASTER_ARG:
        return "--master";
    case SPARKPI_MASTER_PROP:
        return "-Dspark.master in SPARK_SUBMIT_OPTS";
    case SPARKPI_MASTER_ENV:
        return "MESOS_MASTER";
    case SPARKPI_MASTER_AGENT:
        return "the agent's master";
    case SPARKPI_MASTER_NONE:
        break;
    }
    return "none";
}

enum sparkpi_master_source
sparkpi_master_pick(const char *arg, const char *submit_opts,
                    const char *env_master, char **out)
{
    *out = NULL;
    if (arg && *arg) {
        *out = cr_xstrdup(arg);
        return SPARKPI_MASTER_ARG;
    }
    char *prop = sparkpi_java_prop(submit_opts, "spark.master");
    if (prop && *prop) {
        *out = prop;
        return SPARKPI_MASTER_PROP;
    }
    free(prop);
    if (env_master && *env_master) {
        *out = cr_xstrdup(env_master);
        return SPARKPI_MASTER_ENV;
    }
    return SPARKPI_MASTER_NONE;
}

char *
sparkpi_master_from_agent_state(const json_t *state)
{
    const char *m = cr_json_str(json_object_get(state, "flags"), "master");
    return m && *m ? cr_xstrdup(m) : NULL;
}

char *
sparkpi_shell_quote(const char *s)
{
    struct cr_buf b;
    cr_buf_init(&b, 1u << 20);
    cr_buf_puts(&b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '\'')
            cr_buf_puts(&b, "'\\''");
        else
            cr_buf_append(&b, p, 1);
    }
    cr_buf_puts(&b, "'");
    return cr_buf_steal(&b);
}
