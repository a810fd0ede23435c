/* SPDX-License-Identifier: Apache-2.0
 *
 * url.h: the address forms users type: "host:port", "host",
 * "http://host:port/path", "mesos://host:port", "[::1]:5050", and
 * comma-separated lists of them ("h1:5050,h2:5050").
 */
#ifndef CR_NET_URL_H
#define CR_NET_URL_H

#include <stddef.h>

#define CR_HOST_MAX 256

struct cr_hostport {
    char host[CR_HOST_MAX]; /* without brackets for IPv6 */
    int port;
};

/* Parse one address; scheme prefixes http://, https://, mesos:// and a
 * trailing path are accepted and ignored. default_port is used when none
 * is given. 0 or CR_EINVAL_INPUT. */
int cr_hostport_parse(const char *s, int default_port, struct cr_hostport *out);
/* Parse a comma-separated list into out[0..max). Writes the count to *n.
 * 0 or CR_EINVAL_INPUT (also when empty or more than max). */
int cr_hostport_parse_list(const char *s, int default_port,
                           struct cr_hostport *out, size_t max, size_t *n);

#endif
