/* SPDX-License-Identifier: Apache-2.0
 *
 * duration.c: see duration.h.
 */
#include "duration.h"

#include "err.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct unit {
    const char *name;
    double secs;
} units[] = {
    {"ns", 1e-9},   {"us", 1e-6},    {"ms", 1e-3},      {"secs", 1.0},
    {"mins", 60.0}, {"hrs", 3600.0}, {"days", 86400.0}, {"weeks", 604800.0},
};

int
cr_duration_parse(const char *s, double *secs)
{
    if (s == NULL || *s == '\0' || strlen(s) > 64)
        return CR_EINVAL_INPUT;
    /* strtod would accept "inf", "nan", hex and leading spaces: refuse them
     * by insisting on a plain decimal prefix. */
    size_t i = 0;
    while (s[i] >= '0' && s[i] <= '9')
        i++;
    if (s[i] == '.') {
        i++;
        while (s[i] >= '0' && s[i] <= '9')
            i++;
    }
    if (i == 0 || (i == 1 && s[0] == '.'))
        return CR_EINVAL_INPUT;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno != 0 || end != s + i || !isfinite(v))
        return CR_EINVAL_INPUT;
    for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
        if (strcmp(s + i, units[u].name) == 0) {
            double r = v * units[u].secs;
            if (!isfinite(r))
                return CR_EINVAL_INPUT;
            *secs = r;
            return 0;
        }
    }
    return CR_EINVAL_INPUT;
}

char *
cr_duration_format(double secs, char *out, size_t n)
{
    /* Pick the largest unit that divides evenly, as stout does. */
    for (size_t u = sizeof(units) / sizeof(units[0]); u-- > 0;) {
        double q = secs / units[u].secs;
        if (q >= 1.0 && fabs(q - round(q)) < 1e-9) {
            snprintf(out, n, "%.0f%s", round(q), units[u].name);
            return out;
        }
    }
    if (secs == 0) {
        snprintf(out, n, "0ns");
        return out;
    }
    snprintf(out, n, "%gsecs", secs);
    return out;
}
