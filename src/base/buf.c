/* SPDX-License-Identifier: Apache-2.0
 *
 * buf.c: see buf.h.
 */
#include "buf.h"

#include "err.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
cr_buf_init(struct cr_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    b->max = max;
}

void
cr_buf_fini(struct cr_buf *b)
{
    CR_FREE(b->data);
    b->len = 0;
    b->cap = 0;
}

void
cr_buf_reset(struct cr_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static int
reserve(struct cr_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return CR_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    b->data = cr_xrealloc(b->data, cap);
    b->cap = cap;
    return 0;
}

int
cr_buf_append(struct cr_buf *b, const void *p, size_t n)
{
    int rc = reserve(b, n);
    if (rc)
        return rc;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

int
cr_buf_puts(struct cr_buf *b, const char *s)
{
    return cr_buf_append(b, s, strlen(s));
}

int
cr_buf_vprintf(struct cr_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        return CR_EINVAL_INPUT;
    int rc = reserve(b, (size_t)n);
    if (rc)
        return rc;
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int
cr_buf_printf(struct cr_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = cr_buf_vprintf(b, fmt, ap);
    va_end(ap);
    return rc;
}

void
cr_buf_consume(struct cr_buf *b, size_t n)
{
    if (n >= b->len) {
        cr_buf_reset(b);
        return;
    }
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
    b->data[b->len] = '\0';
}

char *
cr_buf_steal(struct cr_buf *b)
{
    char *p = b->data ? b->data : cr_xstrdup("");
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
