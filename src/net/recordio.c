/* SPDX-License-Identifier: Apache-2.0
 *
 * recordio.c: see recordio.h.
 *
 * The reader keeps unconsumed bytes in r->buf; r->pending is the offset of
 * the first byte not yet handed out (records before it may still be
 * borrowed by the caller, so they are only dropped by the next feed).
 * Header line: optional whitespace, 1-20 digits, optional blanks, '\n'.
 */
#include "recordio.h"

#include "base/err.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SIZE_DIGITS_MAX 20
#define TRAIL_WS_MAX    16
#define HEADER_MAX      (SIZE_DIGITS_MAX + TRAIL_WS_MAX + 1)

int
cr_recordio_encode(struct cr_buf *out, const char *data, size_t len)
{
    size_t old = out->len;
    int rc = cr_buf_printf(out, "%zu\n", len);
    if (rc == 0 && len > 0)
        rc = cr_buf_append(out, data, len);
    if (rc != 0 && out->data != NULL) {
        out->len = old;
        out->data[old] = '\0';
    }
    return rc;
}

void
cr_recordio_reader_init(struct cr_recordio_reader *r, size_t max_record)
{
    cr_buf_init(&r->buf, SIZE_MAX / 4);
    r->max_record = max_record ? max_record : CR_RECORDIO_MAX_RECORD;
    r->pending = 0;
    r->scanned = 0;
}

void
cr_recordio_reader_fini(struct cr_recordio_reader *r)
{
    cr_buf_fini(&r->buf);
    r->pending = 0;
    r->scanned = 0;
}

int
cr_recordio_reader_feed(struct cr_recordio_reader *r, const char *p, size_t n)
{
    if (r->pending > 0) {
        cr_buf_consume(&r->buf, r->pending);
        r->pending = 0;
    }
    /* What is left must be one incomplete record: the caller drains with
     * _next() before feeding more, so this bounds the memory held. */
    if (r->buf.len > r->max_record + HEADER_MAX + 64)
        return CR_ETOOBIG;
    return cr_buf_append(&r->buf, p, n);
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

/* Parse the header at p (avail bytes, leading whitespace already gone):
 * CR_PARSE_DONE with *size and *hlen, AGAIN, or ERROR. */
static enum cr_parse
parse_header(const struct cr_recordio_reader *r, const char *p, size_t avail,
             uint64_t *size, size_t *hlen)
{
    size_t i = 0;
    uint64_t v = 0;
    while (i < avail && p[i] >= '0' && p[i] <= '9') {
        if (i >= SIZE_DIGITS_MAX)
            return CR_PARSE_ERROR;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return CR_PARSE_ERROR;
        v = v * 10 + d;
        i++;
    }
    if (i == avail)
        return CR_PARSE_AGAIN;
    if (i == 0)
        return CR_PARSE_ERROR;
    size_t digits = i;
    while (i < avail && is_blank(p[i])) {
        if (i - digits >= TRAIL_WS_MAX)
            return CR_PARSE_ERROR;
        i++;
    }
    if (i == avail)
        return CR_PARSE_AGAIN;
    if (p[i] != '\n' || v > r->max_record)
        return CR_PARSE_ERROR;
    *size = v;
    *hlen = i + 1;
    return CR_PARSE_DONE;
}

enum cr_parse
cr_recordio_reader_next(struct cr_recordio_reader *r, const char **rec,
                        size_t *len)
{
    for (;;) {
        while (r->pending < r->buf.len && (is_blank(r->buf.data[r->pending]) ||
                                           r->buf.data[r->pending] == '\n'))
            r->pending++;
        const char *p = r->buf.data + r->pending;
        size_t avail = r->buf.len - r->pending;
        if (avail == 0)
            return CR_PARSE_AGAIN;
        uint64_t size = 0;
        size_t hlen = 0;
        enum cr_parse st = parse_header(r, p, avail, &size, &hlen);
        if (st != CR_PARSE_DONE)
            return st;
        if (avail - hlen < size)
            return CR_PARSE_AGAIN;
        r->pending += hlen + (size_t)size;
        if (size == 0)
            continue;
        *rec = p + hlen;
        *len = (size_t)size;
        return CR_PARSE_DONE;
    }
}
