/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_http_request.c: bytes into the server's request parser, whole and
 * split in two at a point derived from the data; every complete request
 * is taken and checked, as the server would (pipelining included).
 */
#include "net/http_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_req(const struct cr_http_req *req)
{
    if (req->body == NULL || req->body[req->body_len] != '\0' ||
        req->path == NULL || req->method == NULL)
        abort();
    for (size_t i = 0; i < req->headers.n; i++)
        if (req->headers.v[i].name == NULL || req->headers.v[i].value == NULL)
            abort();
    (void)cr_http_headers_get(&req->headers, "content-type");
}

/* Feed the parts in order; returns how many requests came out. */
static int
run(const char *p, size_t n, size_t split)
{
    struct cr_http_parse ps;
    cr_http_parse_init(&ps);
    int count = 0;
    size_t ends[2] = {split, n}, pos = 0;
    for (int part = 0; part < 2; part++) {
        while (pos < ends[part]) {
            size_t used = 0;
            enum cr_parse st =
                cr_http_parse_feed(&ps, p + pos, ends[part] - pos, &used);
            if (used > ends[part] - pos)
                abort();
            pos += used;
            if (st == CR_PARSE_ERROR) {
                if (ps.status != 400 && ps.status != 413 && ps.status != 414 &&
                    ps.status != 431)
                    abort();
                goto out;
            }
            if (st == CR_PARSE_AGAIN)
                break;
            bool keep_alive;
            struct cr_http_req *req = cr_http_parse_take(&ps, &keep_alive);
            check_req(req);
            cr_http_req_free(req);
            count++;
            if (!keep_alive)
                goto out; /* the server closes here */
        }
    }
out:
    cr_http_parse_fini(&ps);
    return count;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;
    int whole = run(p, size, size);
    size_t split = size ? (size_t)data[0] * 257 % (size + 1) : 0;
    int halves = run(p, size, split);
    /* where the bytes are split must not change what comes out */
    if (halves != whole)
        abort();
    return 0;
}
