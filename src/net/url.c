/* SPDX-License-Identifier: Apache-2.0
 *
 * url.c: see url.h. Accepts "[scheme://]host[:port][/path]" where host is
 * a name, an IPv4 address or a bracketed IPv6 address; a bare IPv6
 * address without brackets is accepted when it has more than one colon
 * (and then carries no port).
 */
#include "url.h"

#include "base/err.h"

#include <stdbool.h>
#include <string.h>
#include <strings.h>

static const char *
skip_scheme(const char *s)
{
    static const char *const schemes[] = {"http://", "https://", "mesos://"};
    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t n = strlen(schemes[i]);
        if (strncasecmp(s, schemes[i], n) == 0)
            return s + n;
    }
    return s;
}

static bool
host_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
           c == ':' || c == '%';
}

static int
parse_port(const char *p, size_t n, int *out)
{
    if (n == 0 || n > 5)
        return CR_EINVAL_INPUT;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return CR_EINVAL_INPUT;
        v = v * 10 + (p[i] - '0');
    }
    if (v < 1 || v > 65535)
        return CR_EINVAL_INPUT;
    *out = v;
    return 0;
}

static int
set_host(struct cr_hostport *out, const char *h, size_t n, bool ipv6)
{
    if (n == 0 || n >= CR_HOST_MAX)
        return CR_EINVAL_INPUT;
    for (size_t i = 0; i < n; i++)
        if (!host_char_ok(h[i]) || (!ipv6 && h[i] == ':'))
            return CR_EINVAL_INPUT;
    memcpy(out->host, h, n);
    out->host[n] = '\0';
    return 0;
}

/* Parse the authority [p, p+n) (no scheme, no path). */
static int
parse_authority(const char *p, size_t n, int default_port,
                struct cr_hostport *out)
{
    const char *port = NULL;
    size_t portlen = 0;
    int rc;
    if (n > 0 && p[0] == '[') {
        const char *close = memchr(p, ']', n);
        if (close == NULL)
            return CR_EINVAL_INPUT;
        size_t rest = n - (size_t)(close - p) - 1;
        if (rest > 0) {
            if (close[1] != ':')
                return CR_EINVAL_INPUT;
            port = close + 2;
            portlen = rest - 1;
        }
        rc = set_host(out, p + 1, (size_t)(close - p) - 1, true);
    } else {
        const char *colon = memchr(p, ':', n);
        size_t colons = 0;
        for (size_t i = 0; i < n; i++)
            colons += p[i] == ':';
        if (colons > 1) {
            rc = set_host(out, p, n, true); /* bare IPv6, no port */
        } else {
            if (colon) {
                port = colon + 1;
                portlen = n - (size_t)(colon - p) - 1;
            }
            rc = set_host(out, p, colon ? (size_t)(colon - p) : n, false);
        }
    }
    if (rc != 0)
        return rc;
    if (port != NULL)
        return parse_port(port, portlen, &out->port);
    if (default_port < 1 || default_port > 65535)
        return CR_EINVAL_INPUT;
    out->port = default_port;
    return 0;
}

int
cr_hostport_parse(const char *s, int default_port, struct cr_hostport *out)
{
    if (s == NULL)
        return CR_EINVAL_INPUT;
    while (*s == ' ' || *s == '\t')
        s++;
    s = skip_scheme(s);
    size_t n = strcspn(s, "/?# \t\r\n");
    const char *tail = s + n;
    if (*tail == ' ' || *tail == '\t') {
        /* only trailing blanks may follow */
        while (*tail == ' ' || *tail == '\t')
            tail++;
        if (*tail != '\0')
            return CR_EINVAL_INPUT;
    } else if (*tail == '\r' || *tail == '\n') {
        return CR_EINVAL_INPUT;
    }
    struct cr_hostport tmp;
    int rc = parse_authority(s, n, default_port, &tmp);
    if (rc == 0)
        *out = tmp;
    return rc;
}

int
cr_hostport_parse_list(const char *s, int default_port, struct cr_hostport *out,
                       size_t max, size_t *n)
{
    if (s == NULL)
        return CR_EINVAL_INPUT;
    size_t count = 0;
    const char *p = s;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        char item[CR_HOST_MAX + 128];
        if (len >= sizeof(item) || count >= max)
            return CR_EINVAL_INPUT;
        memcpy(item, p, len);
        item[len] = '\0';
        int rc = cr_hostport_parse(item, default_port, &out[count]);
        if (rc != 0)
            return rc;
        count++;
        if (comma == NULL)
            break;
        p = comma + 1;
    }
    *n = count;
    return 0;
}
