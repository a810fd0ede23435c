/* SPDX-License-Identifier: Apache-2.0
 *
 * errf.c: see errf.h.
 */
#include "errf.h"

#include <stdarg.h>
#include <stdio.h>

int
cr_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err == NULL || errlen == 0)
        return rc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}
