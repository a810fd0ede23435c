/* SPDX-License-Identifier: Apache-2.0
 *
 * buf.h: a growable byte buffer with a hard maximum size.
 *
 * Invariants: data[len] == '\0' whenever data != NULL (so text can be used
 * as a C string); len <= cap; len <= max. An append that would pass max
 * fails with CR_ETOOBIG and leaves the buffer unchanged, so input-driven
 * growth is always bounded (curl's dynbuf "toobig").
 */
#ifndef CR_BASE_BUF_H
#define CR_BASE_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct cr_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
};

/* Initialise an empty buffer that may grow up to max bytes. */
void cr_buf_init(struct cr_buf *b, size_t max);
/* Release the memory; the buffer is empty and reusable afterwards. */
void cr_buf_fini(struct cr_buf *b);
/* Drop the contents, keep the memory. */
void cr_buf_reset(struct cr_buf *b);
/* Append n bytes. 0 or CR_ETOOBIG. */
int cr_buf_append(struct cr_buf *b, const void *p, size_t n);
/* Append a C string. 0 or CR_ETOOBIG. */
int cr_buf_puts(struct cr_buf *b, const char *s);
/* Append printf-formatted text. 0 or CR_ETOOBIG. */
int cr_buf_printf(struct cr_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int cr_buf_vprintf(struct cr_buf *b, const char *fmt, va_list ap);
/* Remove the first n bytes (n <= len). */
void cr_buf_consume(struct cr_buf *b, size_t n);
/* Take the data out: returns an owned, NUL-terminated string (never NULL)
 * and leaves the buffer empty. */
char *cr_buf_steal(struct cr_buf *b);

#endif
