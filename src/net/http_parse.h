/* SPDX-License-Identifier: Apache-2.0
 *
 * http_parse.h: internal to src/net. The pure, I/O-free part of HTTP/1.1
 * parsing: bytes in, struct cr_http_req out (server side), plus the header
 * collector the client's response parser shares. Unit tests and the fuzzer
 * drive it directly.
 *
 * Request parser usage: cr_http_parse_feed() consumes bytes up to the end
 * of one request and stops there (pipelined bytes after it are left
 * unconsumed, *used says how many were taken). On CR_PARSE_DONE take the
 * request with cr_http_parse_take(), which also readies the parser for the
 * next request of the connection. On CR_PARSE_ERROR the connection is
 * unusable; status says what to answer (400, 413, 431) before closing.
 * Every size is bounded by the CR_HTTP_MAX_* limits of http.h.
 */
#ifndef CR_NET_HTTP_PARSE_H
#define CR_NET_HTTP_PARSE_H

#include "base/buf.h"
#include "net/http.h"
#include "net/http_server.h"
#include "net/recordio.h" /* enum cr_parse */

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>

/* Collects header name/value pieces (http-parser may split them across
 * reads) into a struct cr_http_headers, bounded in count and bytes. */
struct cr_http_hdr_acc {
    struct cr_buf name;
    struct cr_buf value;
    struct cr_http_headers h;
    size_t cap;
    size_t bytes; /* bytes of head seen so far (also counts the URL) */
    size_t max_bytes;
    bool in_value;
};

void cr_http_hdr_acc_init(struct cr_http_hdr_acc *a, size_t max_bytes);
void cr_http_hdr_acc_fini(struct cr_http_hdr_acc *a);
/* Account for n head bytes that are not header fields (the URL). */
int cr_http_hdr_acc_count(struct cr_http_hdr_acc *a, size_t n);
/* Add a piece of a field name / value. 0 or CR_ETOOBIG. */
int cr_http_hdr_acc_field(struct cr_http_hdr_acc *a, const char *p, size_t n);
int cr_http_hdr_acc_value(struct cr_http_hdr_acc *a, const char *p, size_t n);
/* The head is complete: flush the last header. 0 or CR_ETOOBIG. */
int cr_http_hdr_acc_finish(struct cr_http_hdr_acc *a);
/* Move the collected headers to *out (which must be empty) and reset. */
void cr_http_hdr_acc_take(struct cr_http_hdr_acc *a,
                          struct cr_http_headers *out);

struct cr_http_parse {
    http_parser parser;
    struct cr_http_hdr_acc hdrs;
    struct cr_buf url;
    struct cr_buf body;
    struct cr_http_req *req; /* complete request, between DONE and take */
    int status;              /* on CR_PARSE_ERROR: 400, 413 or 431 */
    bool keep_alive;         /* of the complete request */
    bool expect_continue;    /* head asked for 100-continue (caller clears) */
    bool in_message;         /* some bytes of a request have been seen */
};

void cr_http_parse_init(struct cr_http_parse *p);
void cr_http_parse_fini(struct cr_http_parse *p);
/* Feed n bytes. *used (OUT) receives how many were consumed. */
enum cr_parse cr_http_parse_feed(struct cr_http_parse *p, const char *data,
                                 size_t n, size_t *used);
/* After CR_PARSE_DONE: the request (owned by the caller; free it with
 * cr_http_req_free) and whether the connection may stay open. */
struct cr_http_req *cr_http_parse_take(struct cr_http_parse *p,
                                       bool *keep_alive);
/* Free a request built by the parser. NULL-safe. */
void cr_http_req_free(struct cr_http_req *req);

#endif
