/* SPDX-License-Identifier: Apache-2.0
 *
 * url.h: the ZooKeeper addresses users type in --zk / --master.
 *
 * Accepted forms (the Mesos grammar, plus the scheme-less list forms):
 *   zk://h1:2181,h2:2181,h3:2181/mesos
 *   zk://user:password@h1:2181/mesos          (digest authentication)
 *   file:///etc/corral/zk                     (the file holds one of these)
 *   h1:2181,h2:2181,h3:2181,/mesos            (trailing comma before path)
 *   h1:2181,h2:2181/mesos
 * A host is a name, an IPv4 address or a bracketed IPv6 address; a missing
 * port means 2181. Everything from the first '/' after the host list is the
 * znode path (nested paths allowed, "/" when absent, one trailing '/'
 * dropped). Credentials need the zk:// scheme.
 *
 * The parser does no I/O except cr_zk_url_parse() reading a file:// URL;
 * cr_zk_url_parse_text() is the pure part (fuzzed). Sizes are bounded:
 * CR_ZK_URL_MAX bytes of text, CR_ZK_HOSTS_MAX hosts, CR_ZK_PATH_MAX bytes
 * of path. Errors are CR_EINVAL_INPUT with a one-line message in err.
 * Thread-safe (no shared state).
 */
#ifndef CR_ZK_URL_H
#define CR_ZK_URL_H

#include <stdbool.h>
#include <stddef.h>

#define CR_ZK_URL_MAX      4096
#define CR_ZK_HOSTS_MAX    64
#define CR_ZK_PATH_MAX     1024
#define CR_ZK_DEFAULT_PORT 2181

struct cr_zk_url {
    char *servers; /* normalized "h1:p1,h2:p2" for the client; owned */
    char *path;    /* absolute znode path, "/" by default; owned */
    char *auth;    /* "user:password" for digest auth, or NULL; owned */
};

/* Parse any accepted form into *out (which the caller then releases with
 * cr_zk_url_fini). A file:// URL is read (at most CR_ZK_URL_MAX bytes;
 * surrounding whitespace ignored) and its content parsed as a zk URL; the
 * content may not be another file:// URL. 0 or CR_EINVAL_INPUT with a
 * one-line reason in err (err may be NULL); on error *out is zeroed. */
int cr_zk_url_parse(const char *text, struct cr_zk_url *out, char *err,
                    size_t errlen);
/* The same without any I/O: file:// URLs are rejected. */
int cr_zk_url_parse_text(const char *text, struct cr_zk_url *out, char *err,
                         size_t errlen);
/* Release the strings of *u and zero it. NULL-safe, idempotent. */
void cr_zk_url_fini(struct cr_zk_url *u);
/* Return "zk://user:***@servers/path" (password masked, for logs). Owned by
 * the caller. */
char *cr_zk_url_to_string(const struct cr_zk_url *u);

/* True if path is an absolute znode path we accept: "/" or "/a/b" with
 * non-empty components other than "." and "..", printable ASCII without
 * spaces, no trailing '/', shorter than CR_ZK_PATH_MAX. */
bool cr_zk_path_is_valid(const char *path);

#endif
