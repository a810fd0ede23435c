/* SPDX-License-Identifier: Apache-2.0
 *
 * url.c: parsing of ZooKeeper URLs (see url.h for the grammar).
 *
 * The text is scanned once, left to right: scheme, credentials, host list,
 * path. Every piece is validated and copied into a bounded cr_buf, so the
 * result holds only characters we checked. Errors write one line into the
 * caller's buffer and leave *out zeroed.
 */
#include "zk/url.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define HOSTNAME_MAX 253

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        int n = snprintf(err, errlen, "zk url: ");
        if (n > 0 && (size_t)n < errlen) {
            va_list ap;
            va_start(ap, fmt);
            vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
            va_end(ap);
        }
    }
    return CR_EINVAL_INPUT;
}

static bool
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
           c == '\v';
}

static bool
is_alnum(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9');
}

/* Visible ASCII (no space, no control, no 8-bit). */
static bool
is_visible(char c)
{
    return c > 0x20 && c < 0x7f;
}

static bool
starts_with_ci(const char *s, size_t n, const char *prefix)
{
    size_t p = strlen(prefix);
    return n >= p && strncasecmp(s, prefix, p) == 0;
}

bool
cr_zk_path_is_valid(const char *path)
{
    size_t n = path != NULL ? strlen(path) : 0;
    if (n == 0 || n >= CR_ZK_PATH_MAX || path[0] != '/')
        return false;
    if (n == 1)
        return true;
    if (path[n - 1] == '/')
        return false;
    const char *comp = path + 1;
    for (const char *p = path + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            size_t len = (size_t)(p - comp);
            if (len == 0 || (len == 1 && comp[0] == '.') ||
                (len == 2 && comp[0] == '.' && comp[1] == '.'))
                return false;
            if (*p == '\0')
                return true;
            comp = p + 1;
        } else if (!is_visible(*p)) {
            return false;
        }
    }
}

/* Validate "[v6]" or a name / IPv4 address of n bytes. */
static int
check_host(const char *h, size_t n, char *err, size_t errlen)
{
    if (n == 0)
        return fail(err, errlen, "empty host");
    if (h[0] == '[') {
        if (n < 3 || h[n - 1] != ']')
            return fail(err, errlen, "bad IPv6 address '%.*s'", (int)n, h);
        bool colon = false;
        for (size_t i = 1; i + 1 < n; i++) {
            if (!is_alnum(h[i]) && h[i] != ':' && h[i] != '.' && h[i] != '%')
                return fail(err, errlen, "bad IPv6 address '%.*s'",
                            (int)(n > 64 ? 64 : n), h);
            colon |= h[i] == ':';
        }
        if (!colon)
            return fail(err, errlen, "bad IPv6 address '%.*s'",
                        (int)(n > 64 ? 64 : n), h);
        return 0;
    }
    if (n > HOSTNAME_MAX)
        return fail(err, errlen, "host name too long");
    for (size_t i = 0; i < n; i++)
        if (!is_alnum(h[i]) && h[i] != '-' && h[i] != '.' && h[i] != '_')
            return fail(err, errlen, "bad character in host '%.*s'",
                        (int)(n > 64 ? 64 : n), h);
    return 0;
}

/* Parse the digits of a port (n bytes) into *port. */
static int
parse_port(const char *s, size_t n, int *port, char *err, size_t errlen)
{
    if (n == 0 || n > 5)
        return fail(err, errlen, "bad port '%.*s'", (int)(n > 8 ? 8 : n), s);
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return fail(err, errlen, "bad port '%.*s'", (int)n, s);
        v = v * 10 + (s[i] - '0');
    }
    if (v < 1 || v > 65535)
        return fail(err, errlen, "port %d out of range", v);
    *port = v;
    return 0;
}

/* Parse one "host[:port]" entry of n bytes and append it to out. */
static int
parse_entry(const char *e, size_t n, struct cr_buf *out, char *err,
            size_t errlen)
{
    size_t hostlen = n;
    const char *colon = NULL;
    if (n > 0 && e[0] == '[') {
        const char *close = memchr(e, ']', n);
        if (close == NULL)
            return fail(err, errlen, "unterminated '[' in host list");
        hostlen = (size_t)(close - e) + 1;
        if (hostlen < n) {
            if (e[hostlen] != ':')
                return fail(err, errlen, "junk after ']' in host list");
            colon = e + hostlen;
        }
    } else {
        colon = memchr(e, ':', n);
        if (colon != NULL)
            hostlen = (size_t)(colon - e);
    }
    int rc = check_host(e, hostlen, err, errlen);
    if (rc != 0)
        return rc;
    int port = CR_ZK_DEFAULT_PORT;
    if (colon != NULL) {
        rc = parse_port(colon + 1, (size_t)(e + n - colon - 1), &port, err,
                        errlen);
        if (rc != 0)
            return rc;
    }
    if (cr_buf_printf(out, "%s%.*s:%d", out->len ? "," : "", (int)hostlen, e,
                      port) != 0)
        return fail(err, errlen, "host list too long");
    return 0;
}

/* Parse the comma-separated host list hosts[0..n). A single trailing comma
 * is allowed (the "h1:p,h2:p,/path" form). */
static int
parse_hosts(const char *hosts, size_t n, struct cr_buf *out, char *err,
            size_t errlen)
{
    if (n == 0)
        return fail(err, errlen, "no hosts");
    if (hosts[n - 1] == ',')
        n--;
    size_t count = 0;
    const char *p = hosts, *end = hosts + n;
    for (;;) {
        const char *comma = memchr(p, ',', (size_t)(end - p));
        const char *stop = comma != NULL ? comma : end;
        if (stop == p)
            return fail(err, errlen, "empty entry in host list");
        if (++count > CR_ZK_HOSTS_MAX)
            return fail(err, errlen, "more than %d hosts", CR_ZK_HOSTS_MAX);
        int rc = parse_entry(p, (size_t)(stop - p), out, err, errlen);
        if (rc != 0 || comma == NULL)
            return rc;
        p = comma + 1;
    }
}

/* Parse "user:password" (n bytes) into an owned string. */
static int
parse_auth(const char *a, size_t n, char **out, char *err, size_t errlen)
{
    const char *colon = memchr(a, ':', n);
    if (colon == NULL || colon == a || colon == a + n - 1)
        return fail(err, errlen, "credentials must be 'user:password'");
    for (size_t i = 0; i < n; i++)
        if (!is_visible(a[i]) || a[i] == ',')
            return fail(err, errlen, "bad character in credentials");
    *out = cr_xstrndup(a, n);
    return 0;
}

/* Validate and copy the path (n bytes, starting with '/'). */
static int
parse_path(const char *p, size_t n, char **out, char *err, size_t errlen)
{
    if (n > 1 && p[n - 1] == '/')
        n--;
    if (n >= CR_ZK_PATH_MAX)
        return fail(err, errlen, "path longer than %d bytes",
                    CR_ZK_PATH_MAX - 1);
    char *path = cr_xstrndup(p, n);
    if (!cr_zk_path_is_valid(path)) {
        free(path);
        return fail(err, errlen,
                    "bad znode path (empty, '.' or '..' component, or a "
                    "space or control character)");
    }
    *out = path;
    return 0;
}

/* Trim ASCII whitespace; the start and length are updated in place. */
static void
trim(const char **s, size_t *n)
{
    while (*n > 0 && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_space((*s)[*n - 1]))
        (*n)--;
}

/* Parse s[0..n) (already trimmed, no file://) into out. */
static int
parse_zk(const char *s, size_t n, struct cr_zk_url *out, char *err,
         size_t errlen)
{
    bool scheme = false;
    if (starts_with_ci(s, n, "zk://")) {
        s += 5;
        n -= 5;
        scheme = true;
    } else {
        const char *sep = memchr(s, '/', n);
        if (sep != NULL && sep > s && sep[-1] == ':' &&
            (size_t)(sep - s) + 1 < n && sep[1] == '/') {
            size_t slen = (size_t)(sep - s) - 1;
            return fail(err, errlen,
                        "unsupported scheme '%.*s' (want zk:// or file://)",
                        (int)(slen > 16 ? 16 : slen), s);
        }
    }
    const char *slash = memchr(s, '/', n);
    size_t alen = slash != NULL ? (size_t)(slash - s) : n;
    const char *hosts = s;
    size_t hlen = alen;
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (s[i] == '@')
            at = s + i;
    int rc = 0;
    if (at != NULL) {
        if (!scheme)
            return fail(err, errlen, "credentials need the zk:// scheme");
        rc = parse_auth(s, (size_t)(at - s), &out->auth, err, errlen);
        hosts = at + 1;
        hlen = alen - (size_t)(hosts - s);
    }
    struct cr_buf servers;
    cr_buf_init(&servers, CR_ZK_URL_MAX);
    if (rc == 0)
        rc = parse_hosts(hosts, hlen, &servers, err, errlen);
    if (rc == 0 && slash != NULL)
        rc = parse_path(slash, n - alen, &out->path, err, errlen);
    if (rc == 0 && slash == NULL)
        out->path = cr_xstrdup("/");
    if (rc == 0)
        out->servers = cr_buf_steal(&servers);
    cr_buf_fini(&servers);
    return rc;
}

int
cr_zk_url_parse_text(const char *text, struct cr_zk_url *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (text == NULL)
        return fail(err, errlen, "empty");
    size_t n = strnlen(text, CR_ZK_URL_MAX + 1);
    if (n > CR_ZK_URL_MAX)
        return fail(err, errlen, "longer than %d bytes", CR_ZK_URL_MAX);
    const char *s = text;
    trim(&s, &n);
    if (n == 0)
        return fail(err, errlen, "empty");
    if (starts_with_ci(s, n, "file://"))
        return fail(err, errlen, "file:// URL not allowed here");
    int rc = parse_zk(s, n, out, err, errlen);
    if (rc != 0)
        cr_zk_url_fini(out);
    return rc;
}

/* Read at most CR_ZK_URL_MAX bytes of path into buf (NUL-terminated). */
static int
read_small_file(const char *path, char *buf, size_t cap, char *err,
                size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errlen, "cannot read %s: %s", path, strerror(errno));
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return fail(err, errlen, "cannot read %s: %s", path, strerror(e));
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == cap) {
            close(fd);
            return fail(err, errlen, "%s is larger than %d bytes", path,
                        CR_ZK_URL_MAX);
        }
    }
    close(fd);
    if (memchr(buf, '\0', len) != NULL)
        return fail(err, errlen, "%s holds a NUL byte", path);
    buf[len] = '\0';
    return 0;
}

int
cr_zk_url_parse(const char *text, struct cr_zk_url *out, char *err,
                size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (text == NULL)
        return fail(err, errlen, "empty");
    size_t n = strnlen(text, CR_ZK_URL_MAX + 1);
    const char *s = text;
    trim(&s, &n);
    if (!starts_with_ci(s, n, "file://"))
        return cr_zk_url_parse_text(text, out, err, errlen);
    if (!starts_with_ci(s, n, "file:///"))
        return fail(err, errlen, "file URL must look like file:///path");
    char *path = cr_xstrndup(s + 7, n - 7);
    char *buf = cr_xmalloc(CR_ZK_URL_MAX + 1);
    int rc = read_small_file(path, buf, CR_ZK_URL_MAX + 1, err, errlen);
    if (rc == 0)
        rc = cr_zk_url_parse_text(buf, out, err, errlen);
    free(buf);
    free(path);
    return rc;
}

void
cr_zk_url_fini(struct cr_zk_url *u)
{
    if (u == NULL)
        return;
    CR_FREE(u->servers);
    CR_FREE(u->path);
    CR_FREE(u->auth);
}

char *
cr_zk_url_to_string(const struct cr_zk_url *u)
{
    if (u->auth == NULL)
        return cr_xasprintf("zk://%s%s", u->servers ? u->servers : "",
                            u->path ? u->path : "/");
    const char *colon = strchr(u->auth, ':');
    int ulen = colon != NULL ? (int)(colon - u->auth) : (int)strlen(u->auth);
    return cr_xasprintf("zk://%.*s:***@%s%s", ulen, u->auth,
                        u->servers ? u->servers : "", u->path ? u->path : "/");
}
