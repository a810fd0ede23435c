/* SPDX-License-Identifier: Apache-2.0
 *
 * errf.h: one-line reasons for validators and decoders.
 *
 * A check that fails formats its reason into the caller's buffer and
 * returns the caller's code in one statement:
 *
 *     return cr_errf(err, errlen, 400, "Unknown call type '%s'", t);
 *
 * The reason is truncated to errlen - 1 bytes and always NUL-terminated;
 * err may be NULL when errlen is 0 (then nothing is written). Pure,
 * thread-safe.
 */
#ifndef CR_BASE_ERRF_H
#define CR_BASE_ERRF_H

#include <stddef.h>

/* Format fmt into err[0..errlen) and return rc. */
int cr_errf(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
