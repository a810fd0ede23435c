/* SPDX-License-Identifier: Apache-2.0
 *
 * http.h: types shared by the HTTP/1.1 server and client.
 *
 * Header names keep the case they arrived with; lookups are
 * case-insensitive. All strings are NUL-terminated and owned by the
 * request or response that holds them.
 */
#ifndef CR_NET_HTTP_H
#define CR_NET_HTTP_H

#include <stddef.h>

struct cr_buf;

/* Limits on what a peer may send (bounded input, see STYLE.md 2.3). */
#define CR_HTTP_MAX_HEADER_BYTES (64u * 1024)
#define CR_HTTP_MAX_HEADERS      100
#define CR_HTTP_MAX_BODY         (16u * 1024 * 1024)

struct cr_http_header {
    char *name;
    char *value;
};

struct cr_http_headers {
    struct cr_http_header *v;
    size_t n;
};

/* Value of the first header called name (any case), or NULL. Borrowed. */
const char *cr_http_headers_get(const struct cr_http_headers *h,
                                const char *name);
/* Free the names and values and the array. */
void cr_http_headers_fini(struct cr_http_headers *h);
/* Reason phrase for a status code ("OK", "Temporary Redirect"...). */
const char *cr_http_status_text(int status);
/* URL-decode the value of parameter name in query string q (may be NULL)
 * into out (size n). Returns 0, CR_ENOTFOUND, or CR_ETOOBIG. */
int cr_http_query_param(const char *q, const char *name, char *out, size_t n);
/* Append s percent-encoded for a URL path or query value: unreserved
 * characters (RFC 3986) and '/' stay, every other byte becomes %XX.
 * 0 or CR_ETOOBIG (the buffer's maximum). */
int cr_http_query_encode(struct cr_buf *out, const char *s);
/* The value of parameter name as a decimal integer >= min (digits with
 * an optional '-'; no blanks or '+', which strtoll would take): 0 with
 * *out set, or 0 with *out untouched when the parameter is absent (set
 * the default first), or CR_EINVAL_INPUT. */
int cr_http_query_int(const char *q, const char *name, long long min,
                      long long *out);

#endif
