/* SPDX-License-Identifier: Apache-2.0
 *
 * http_parse.c: see http_parse.h. http-parser does the byte-level work;
 * this file gathers the pieces into owned strings under fixed limits and
 * pauses the parser at the end of each request so pipelined requests are
 * handled one at a time.
 */
#include "http_parse.h"

#include "base/err.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- header collector ---------------------------------------------- */

void
cr_http_hdr_acc_init(struct cr_http_hdr_acc *a, size_t max_bytes)
{
    memset(a, 0, sizeof(*a));
    cr_buf_init(&a->name, max_bytes);
    cr_buf_init(&a->value, max_bytes);
    a->max_bytes = max_bytes;
}

void
cr_http_hdr_acc_fini(struct cr_http_hdr_acc *a)
{
    cr_buf_fini(&a->name);
    cr_buf_fini(&a->value);
    cr_http_headers_fini(&a->h);
    a->cap = 0;
    a->bytes = 0;
    a->in_value = false;
}

int
cr_http_hdr_acc_count(struct cr_http_hdr_acc *a, size_t n)
{
    if (n > a->max_bytes || a->bytes > a->max_bytes - n)
        return CR_ETOOBIG;
    a->bytes += n;
    return 0;
}

/* Store the name/value pair gathered so far as a header. */
static int
flush_header(struct cr_http_hdr_acc *a)
{
    if (a->name.len == 0 && !a->in_value)
        return 0;
    if (a->h.n >= CR_HTTP_MAX_HEADERS)
        return CR_ETOOBIG;
    if (a->h.n == a->cap) {
        a->cap = a->cap ? a->cap * 2 : 16;
        a->h.v = cr_xrealloc(a->h.v, a->cap * sizeof(*a->h.v));
    }
    struct cr_http_header *hd = &a->h.v[a->h.n++];
    hd->name = cr_xstrndup(a->name.data ? a->name.data : "", a->name.len);
    hd->value = cr_xstrndup(a->value.data ? a->value.data : "", a->value.len);
    cr_buf_reset(&a->name);
    cr_buf_reset(&a->value);
    a->in_value = false;
    return 0;
}

int
cr_http_hdr_acc_field(struct cr_http_hdr_acc *a, const char *p, size_t n)
{
    int rc = cr_http_hdr_acc_count(a, n);
    if (rc == 0 && a->in_value)
        rc = flush_header(a);
    if (rc == 0)
        rc = cr_buf_append(&a->name, p, n);
    return rc;
}

int
cr_http_hdr_acc_value(struct cr_http_hdr_acc *a, const char *p, size_t n)
{
    int rc = cr_http_hdr_acc_count(a, n);
    a->in_value = true;
    if (rc == 0)
        rc = cr_buf_append(&a->value, p, n);
    return rc;
}

int
cr_http_hdr_acc_finish(struct cr_http_hdr_acc *a)
{
    return flush_header(a);
}

void
cr_http_hdr_acc_take(struct cr_http_hdr_acc *a, struct cr_http_headers *out)
{
    *out = a->h;
    memset(&a->h, 0, sizeof(a->h));
    a->cap = 0;
    a->bytes = 0;
    a->in_value = false;
    cr_buf_reset(&a->name);
    cr_buf_reset(&a->value);
}

/* ---- request parser -------------------------------------------------- */

static struct cr_http_parse *
parse_of(http_parser *hp)
{
    return hp->data;
}

static int
fail(struct cr_http_parse *p, int status)
{
    if (p->status == 0)
        p->status = status;
    return -1;
}

static int
on_message_begin(http_parser *hp)
{
    parse_of(hp)->in_message = true;
    return 0;
}

static int
on_url(http_parser *hp, const char *at, size_t n)
{
    struct cr_http_parse *p = parse_of(hp);
    if (cr_http_hdr_acc_count(&p->hdrs, n) || cr_buf_append(&p->url, at, n))
        return fail(p, 414);
    return 0;
}

static int
on_header_field(http_parser *hp, const char *at, size_t n)
{
    struct cr_http_parse *p = parse_of(hp);
    return cr_http_hdr_acc_field(&p->hdrs, at, n) ? fail(p, 431) : 0;
}

static int
on_header_value(http_parser *hp, const char *at, size_t n)
{
    struct cr_http_parse *p = parse_of(hp);
    return cr_http_hdr_acc_value(&p->hdrs, at, n) ? fail(p, 431) : 0;
}

static int
on_headers_complete(http_parser *hp)
{
    struct cr_http_parse *p = parse_of(hp);
    if (cr_http_hdr_acc_finish(&p->hdrs))
        return fail(p, 431);
    if ((hp->flags & F_CONTENTLENGTH) && hp->content_length > CR_HTTP_MAX_BODY)
        return fail(p, 413);
    const char *expect = cr_http_headers_get(&p->hdrs.h, "Expect");
    if (expect && strcasecmp(expect, "100-continue") == 0)
        p->expect_continue = true;
    return 0;
}

static int
on_body(http_parser *hp, const char *at, size_t n)
{
    struct cr_http_parse *p = parse_of(hp);
    return cr_buf_append(&p->body, at, n) ? fail(p, 413) : 0;
}

/* Split the raw URL into path and query; absolute-form targets
 * ("http://host/x") lose their scheme and authority; fragments go. */
static void
split_url(struct cr_http_req *req, const char *url)
{
    const char *start = url;
    if (*url != '/') {
        const char *scheme = strstr(url, "://");
        if (scheme) {
            const char *slash = strchr(scheme + 3, '/');
            start = slash ? slash : "/";
        }
    }
    size_t plen = strcspn(start, "?#");
    req->path = cr_xstrndup(start, plen);
    if (start[plen] == '?') {
        const char *q = start + plen + 1;
        req->query = cr_xstrndup(q, strcspn(q, "#"));
    }
}

static int
on_message_complete(http_parser *hp)
{
    struct cr_http_parse *p = parse_of(hp);
    struct cr_http_req *req = cr_xcalloc(1, sizeof(*req));
    req->method = http_method_str((enum http_method)hp->method);
    split_url(req, p->url.data ? p->url.data : "/");
    cr_http_hdr_acc_take(&p->hdrs, &req->headers);
    req->body_len = p->body.len;
    req->body = cr_buf_steal(&p->body);
    cr_buf_reset(&p->url);
    p->keep_alive = http_should_keep_alive(hp) && !hp->upgrade &&
                    hp->method != HTTP_CONNECT;
    p->req = req;
    p->in_message = false;
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

void
cr_http_parse_init(struct cr_http_parse *p)
{
    memset(p, 0, sizeof(*p));
    http_parser_init(&p->parser, HTTP_REQUEST);
    p->parser.data = p;
    cr_http_hdr_acc_init(&p->hdrs, CR_HTTP_MAX_HEADER_BYTES);
    cr_buf_init(&p->url, CR_HTTP_MAX_HEADER_BYTES);
    cr_buf_init(&p->body, CR_HTTP_MAX_BODY);
}

void
cr_http_parse_fini(struct cr_http_parse *p)
{
    cr_http_hdr_acc_fini(&p->hdrs);
    cr_buf_fini(&p->url);
    cr_buf_fini(&p->body);
    cr_http_req_free(p->req);
    p->req = NULL;
}

enum cr_parse
cr_http_parse_feed(struct cr_http_parse *p, const char *data, size_t n,
                   size_t *used)
{
    *used = 0;
    if (p->req != NULL)
        return CR_PARSE_DONE; /* take the pending request first */
    if (p->status != 0)
        return CR_PARSE_ERROR;
    if (n == 0)
        return CR_PARSE_AGAIN;
    size_t got = http_parser_execute(&p->parser, &settings, data, n);
    enum http_errno e = HTTP_PARSER_ERRNO(&p->parser);
    *used = got;
    if (p->req != NULL)
        return CR_PARSE_DONE;
    if (e != HPE_OK || got != n || p->parser.upgrade) {
        if (e == HPE_HEADER_OVERFLOW)
            fail(p, 431);
        fail(p, 400);
        return CR_PARSE_ERROR;
    }
    return CR_PARSE_AGAIN;
}

struct cr_http_req *
cr_http_parse_take(struct cr_http_parse *p, bool *keep_alive)
{
    struct cr_http_req *req = p->req;
    if (req == NULL)
        return NULL;
    p->req = NULL;
    if (keep_alive)
        *keep_alive = p->keep_alive;
    p->expect_continue = false;
    http_parser_pause(&p->parser, 0);
    return req;
}

void
cr_http_req_free(struct cr_http_req *req)
{
    if (req == NULL)
        return;
    free(req->path);
    free(req->query);
    cr_http_headers_fini(&req->headers);
    free(req->body);
    free(req);
}
