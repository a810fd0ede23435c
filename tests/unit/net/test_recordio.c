/* SPDX-License-Identifier: Apache-2.0
 *
 * test_recordio.c: RecordIO framing: round trips with the stream split at
 * every byte, whitespace tolerance, empty records, and malformed input.
 */

/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/err.h"
#include "net/recordio.h"
#include "tests.h"

#include <stdlib.h>
#include <string.h>

static const char *const records[] = {
    "{\"type\":\"SUBSCRIBED\"}",
    "",
    "x",
    "{\"type\":\"HEARTBEAT\"}",
    "0123456789abcdef0123456789abcdef0123456789",
};
#define NREC (sizeof(records) / sizeof(records[0]))

static void
encode_all(struct cr_buf *b)
{
    cr_buf_init(b, 1 << 20);
    for (size_t i = 0; i < NREC; i++)
        assert_int_equal(cr_recordio_encode(b, records[i], strlen(records[i])),
                         0);
}

/* Pull every ready record into out[] starting at *n. */
static enum cr_parse
drain(struct cr_recordio_reader *r, char **out, size_t *n)
{
    const char *rec;
    size_t len;
    enum cr_parse st;
    while ((st = cr_recordio_reader_next(r, &rec, &len)) == CR_PARSE_DONE) {
        assert_true(*n < 16);
        out[(*n)++] = cr_xstrndup(rec, len);
    }
    return st;
}

static void
check_records(char **out, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < NREC; i++) {
        if (records[i][0] == '\0')
            continue; /* zero-length records are skipped */
        assert_true(k < n);
        assert_string_equal(out[k], records[i]);
        k++;
    }
    assert_int_equal(k, n);
    for (size_t i = 0; i < n; i++)
        free(out[i]);
}

static void
test_encode_format(void **state)
{
    struct cr_buf b;
    cr_buf_init(&b, 64);
    assert_int_equal(cr_recordio_encode(&b, "hello", 5), 0);
    assert_int_equal(cr_recordio_encode(&b, "", 0), 0);
    assert_string_equal(b.data, "5\nhello0\n");
    /* too big for the buffer: refused, buffer unchanged */
    char big[100];
    memset(big, 'a', sizeof(big));
    assert_int_equal(cr_recordio_encode(&b, big, sizeof(big)), CR_ETOOBIG);
    assert_string_equal(b.data, "5\nhello0\n");
    cr_buf_fini(&b);
}

static void
test_every_split_point(void **state)
{
    struct cr_buf b;
    encode_all(&b);
    for (size_t split = 0; split <= b.len; split++) {
        struct cr_recordio_reader r;
        cr_recordio_reader_init(&r, 0);
        char *out[16];
        size_t n = 0;
        assert_int_equal(cr_recordio_reader_feed(&r, b.data, split), 0);
        assert_int_equal(drain(&r, out, &n), CR_PARSE_AGAIN);
        assert_int_equal(
            cr_recordio_reader_feed(&r, b.data + split, b.len - split), 0);
        assert_int_equal(drain(&r, out, &n), CR_PARSE_AGAIN);
        check_records(out, n);
        cr_recordio_reader_fini(&r);
    }
    cr_buf_fini(&b);
}

static void
test_byte_at_a_time(void **state)
{
    struct cr_buf b;
    encode_all(&b);
    struct cr_recordio_reader r;
    cr_recordio_reader_init(&r, 0);
    char *out[16];
    size_t n = 0;
    for (size_t i = 0; i < b.len; i++) {
        assert_int_equal(cr_recordio_reader_feed(&r, b.data + i, 1), 0);
        assert_int_equal(drain(&r, out, &n), CR_PARSE_AGAIN);
    }
    check_records(out, n);
    cr_recordio_reader_fini(&r);
    cr_buf_fini(&b);
}

static enum cr_parse
parse_one(const char *in, size_t max, const char **rec, size_t *len,
          struct cr_recordio_reader *r)
{
    cr_recordio_reader_init(r, max);
    assert_int_equal(cr_recordio_reader_feed(r, in, strlen(in)), 0);
    return cr_recordio_reader_next(r, rec, len);
}

static void
test_whitespace(void **state)
{
    static const char *const ok[] = {
        " 5\nhello",    "5 \nhello",   "\t5\t\r\nhello",
        "\n\n5\nhello", "0\n5\nhello", "00000000000000000005\nhello",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct cr_recordio_reader r;
        const char *rec;
        size_t len;
        assert_int_equal(parse_one(ok[i], 0, &rec, &len, &r), CR_PARSE_DONE);
        assert_int_equal(len, 5);
        assert_memory_equal(rec, "hello", 5);
        assert_int_equal(cr_recordio_reader_next(&r, &rec, &len),
                         CR_PARSE_AGAIN);
        cr_recordio_reader_fini(&r);
    }
}

static void
test_bad_input(void **state)
{
    static const char *const bad[] = {
        "abc\nxyz",
        "-1\n",
        "5x\nhello",
        "000000000000000000005\nhello", /* 21 characters */
        "99999999999999999999\n",       /* past the limit */
        "5                  \nhello",   /* too many trailing blanks */
        "11\nhello world",              /* bigger than max (10) */
        "5 5\nhello",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cr_recordio_reader r;
        const char *rec;
        size_t len;
        assert_int_equal(parse_one(bad[i], 10, &rec, &len, &r), CR_PARSE_ERROR);
        cr_recordio_reader_fini(&r);
    }
}

static void
test_incomplete(void **state)
{
    static const char *const again[] = {"", "   ", "12", "12 ", "5\nhell"};
    for (size_t i = 0; i < sizeof(again) / sizeof(again[0]); i++) {
        struct cr_recordio_reader r;
        const char *rec;
        size_t len;
        assert_int_equal(parse_one(again[i], 0, &rec, &len, &r),
                         CR_PARSE_AGAIN);
        cr_recordio_reader_fini(&r);
    }
}

static void
test_feed_bounded(void **state)
{
    /* a reader that is not drained may not grow without bound */
    struct cr_recordio_reader r;
    cr_recordio_reader_init(&r, 16);
    char chunk[64];
    memset(chunk, 'a', sizeof(chunk));
    int rc = 0;
    for (int i = 0; i < 10 && rc == 0; i++)
        rc = cr_recordio_reader_feed(&r, chunk, sizeof(chunk));
    assert_int_equal(rc, CR_ETOOBIG);
    cr_recordio_reader_fini(&r);
}

int
run_recordio_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_format),
        cmocka_unit_test(test_every_split_point),
        cmocka_unit_test(test_byte_at_a_time),
        cmocka_unit_test(test_whitespace),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_incomplete),
        cmocka_unit_test(test_feed_bounded),
    };
    return cmocka_run_group_tests_name("recordio", tests, NULL, NULL);
}
