/* SPDX-License-Identifier: Apache-2.0
 *
 * http.c: header lookup, reason phrases and query-string parameters shared
 * by the HTTP server and client. No I/O, no state.
 */
#include "http.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *
cr_http_headers_get(const struct cr_http_headers *h, const char *name)
{
    if (h == NULL)
        return NULL;
    for (size_t i = 0; i < h->n; i++)
        if (strcasecmp(h->v[i].name, name) == 0)
            return h->v[i].value;
    return NULL;
}

void
cr_http_headers_fini(struct cr_http_headers *h)
{
    if (h == NULL)
        return;
    for (size_t i = 0; i < h->n; i++) {
        free(h->v[i].name);
        free(h->v[i].value);
    }
    CR_FREE(h->v);
    h->n = 0;
}

const char *
cr_http_status_text(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 101:
        return "Switching Protocols";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 307:
        return "Temporary Redirect";
    case 308:
        return "Permanent Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 410:
        return "Gone";
    case 411:
        return "Length Required";
    case 413:
        return "Payload Too Large";
    case 414:
        return "URI Too Long";
    case 415:
        return "Unsupported Media Type";
    case 416:
        return "Range Not Satisfiable";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        break;
    }
    if (status >= 100 && status < 200)
        return "Informational";
    if (status >= 200 && status < 300)
        return "Success";
    if (status >= 300 && status < 400)
        return "Redirection";
    if (status >= 400 && status < 500)
        return "Client Error";
    return "Server Error";
}

static int
hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decode the n bytes at p ('+' is a space, %XX an octet; a malformed
 * escape stays literal) into out (size outn). 0 or CR_ETOOBIG. */
static int
url_decode(const char *p, size_t n, char *out, size_t outn)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < n) {
            int hi = hex_value(p[i + 1]);
            int lo = hex_value(p[i + 2]);
            if (hi >= 0 && lo >= 0) {
                c = (char)(hi * 16 + lo);
                i += 2;
            }
        }
        if (o + 1 >= outn)
            return CR_ETOOBIG;
        out[o++] = c;
    }
    if (outn == 0)
        return CR_ETOOBIG;
    out[o] = '\0';
    return 0;
}

int
cr_http_query_param(const char *q, const char *name, char *out, size_t n)
{
    if (q == NULL || name == NULL)
        return CR_ENOTFOUND;
    size_t nlen = strlen(name);
    const char *p = q;
    while (*p) {
        const char *end = strchr(p, '&');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t klen = eq ? (size_t)(eq - p) : len;
        char key[256];
        if (klen < sizeof(key) && url_decode(p, klen, key, sizeof(key)) == 0 &&
            strlen(key) == nlen && memcmp(key, name, nlen) == 0) {
            if (eq == NULL)
                return url_decode(p, 0, out, n);
            return url_decode(eq + 1, len - klen - 1, out, n);
        }
        if (end == NULL)
            break;
        p = end + 1;
    }
    return CR_ENOTFOUND;
}

int
cr_http_query_int(const char *q, const char *name, long long min,
                  long long *out)
{
    char buf[32];
    int rc = cr_http_query_param(q, name, buf, sizeof(buf));
    if (rc == CR_ENOTFOUND)
        return 0;
    if (rc != 0 || !(buf[0] == '-' || (buf[0] >= '0' && buf[0] <= '9')))
        return CR_EINVAL_INPUT;
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (errno != 0 || *end != '\0' || v < min)
        return CR_EINVAL_INPUT;
    *out = v;
    return 0;
}

int
cr_http_query_encode(struct cr_buf *out, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        unsigned c = *p;
        int rc;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
            c == '~' || c == '/') {
            char ch = (char)c;
            rc = cr_buf_append(out, &ch, 1);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = cr_buf_append(out, esc, 3);
        }
        if (rc != 0)
            return rc;
    }
    return 0;
}
