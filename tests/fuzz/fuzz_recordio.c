/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_recordio.c: arbitrary bytes through the RecordIO reader in
 * data-derived pieces, and an encode/decode round trip of the input.
 */
#include "net/recordio.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
read_in_pieces(const char *p, size_t n, size_t step)
{
    struct cr_recordio_reader r;
    cr_recordio_reader_init(&r, 4096);
    for (size_t pos = 0; pos < n;) {
        size_t k = n - pos < step ? n - pos : step;
        if (cr_recordio_reader_feed(&r, p + pos, k) != 0)
            break;
        pos += k;
        const char *rec;
        size_t len;
        enum cr_parse st;
        while ((st = cr_recordio_reader_next(&r, &rec, &len)) ==
               CR_PARSE_DONE) {
            if (len == 0 || len > 4096)
                abort();
            volatile char first = rec[0], last = rec[len - 1];
            (void)first;
            (void)last;
        }
        if (st == CR_PARSE_ERROR)
            break;
    }
    cr_recordio_reader_fini(&r);
}

static void
round_trip(const char *p, size_t n)
{
    struct cr_buf b;
    cr_buf_init(&b, 1 << 20);
    if (cr_recordio_encode(&b, p, n) != 0 || cr_recordio_encode(&b, p, n))
        abort();
    struct cr_recordio_reader r;
    cr_recordio_reader_init(&r, 0);
    if (cr_recordio_reader_feed(&r, b.data, b.len) != 0)
        abort();
    for (int i = 0; i < 2 && n > 0; i++) {
        const char *rec;
        size_t len;
        if (cr_recordio_reader_next(&r, &rec, &len) != CR_PARSE_DONE ||
            len != n || memcmp(rec, p, n) != 0)
            abort();
    }
    const char *rec;
    size_t len;
    if (cr_recordio_reader_next(&r, &rec, &len) != CR_PARSE_AGAIN)
        abort();
    cr_recordio_reader_fini(&r);
    cr_buf_fini(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    size_t step = size ? (size_t)data[0] % 17 + 1 : 1;
    read_in_pieces(p, size, size ? size : 1);
    read_in_pieces(p, size, step);
    round_trip(p, size);
    return 0;
}
