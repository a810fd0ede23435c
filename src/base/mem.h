/* SPDX-License-Identifier: Apache-2.0
 *
 * mem.h: allocation that never returns NULL.
 *
 * Daemons treat out-of-memory as fatal (as Redis, Tor and Slurm do): these
 * wrappers log one line and abort. Growth driven by input is bounded
 * elsewhere (see buf.h), so an abort here means the machine is out of
 * memory, not that a client sent something large.
 */
#ifndef CR_BASE_MEM_H
#define CR_BASE_MEM_H

#include <stddef.h>

void *cr_xmalloc(size_t n);
void *cr_xcalloc(size_t count, size_t size);
void *cr_xrealloc(void *p, size_t n);
char *cr_xstrdup(const char *s);
char *cr_xstrndup(const char *s, size_t n);
/* Return a newly allocated string formatted like printf. Owned by caller. */
char *cr_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Free *pp and set it to NULL. */
#define CR_FREE(p)                                                             \
    do {                                                                       \
        free(p);                                                               \
        (p) = NULL;                                                            \
    } while (0)

#endif
