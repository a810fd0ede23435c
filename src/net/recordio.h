/* SPDX-License-Identifier: Apache-2.0
 *
 * recordio.h: the RecordIO framing of Mesos event streams.
 *
 * A stream is a sequence of "<decimal byte length>\n<record bytes>", with
 * no separator between records. The reader is incremental: feed it bytes
 * as they arrive (any split) and pull complete records out. It does no I/O,
 * so tests and fuzzers drive it directly.
 */
#ifndef CR_NET_RECORDIO_H
#define CR_NET_RECORDIO_H

#include "../base/buf.h"

#include <stddef.h>

/* Default largest record accepted (mesos-go's reader uses 4 MiB). */
#define CR_RECORDIO_MAX_RECORD (16u * 1024 * 1024)

enum cr_parse {
    CR_PARSE_AGAIN = 0, /* need more bytes */
    CR_PARSE_DONE = 1,  /* a record is ready */
    CR_PARSE_ERROR = 2, /* malformed or too big: the stream is unusable */
};

struct cr_recordio_reader {
    struct cr_buf buf; /* unconsumed bytes */
    size_t max_record;
    size_t pending; /* bytes of the previous record to drop on next */
    size_t scanned; /* internal */
};

/* Append the framing of one record to out. 0 or CR_ETOOBIG. */
int cr_recordio_encode(struct cr_buf *out, const char *data, size_t len);

void cr_recordio_reader_init(struct cr_recordio_reader *r, size_t max_record);
void cr_recordio_reader_fini(struct cr_recordio_reader *r);
/* Add received bytes. 0 or CR_ETOOBIG. */
int cr_recordio_reader_feed(struct cr_recordio_reader *r, const char *p,
                            size_t n);
/* Take the next record: on CR_PARSE_DONE *rec and *len point into the reader
 * and stay valid until the next call on it. Zero-length records are
 * skipped. Leading/trailing whitespace around the length is tolerated. */
enum cr_parse cr_recordio_reader_next(struct cr_recordio_reader *r,
                                      const char **rec, size_t *len);

#endif
