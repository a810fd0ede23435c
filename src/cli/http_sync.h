/* SPDX-License-Identifier: Apache-2.0
 *
 * http_sync.h: one-shot, blocking HTTP requests for the CLI.
 *
 * Each request runs on a private libuv loop that lives only for the call,
 * so it can be used from plain sequential code (and even from inside a
 * callback of another loop, which then waits). Not for daemons.
 */
#ifndef CR_CLI_HTTP_SYNC_H
#define CR_CLI_HTTP_SYNC_H

#include "base/buf.h"
#include "net/url.h"

#include <jansson.h>
#include <stddef.h>

#define CLI_HTTP_TIMEOUT 15.0 /* seconds, default for one request */

struct http_sync_resp {
    int status;
    char *body; /* owned, NUL-terminated */
    size_t len;
    char *location; /* owned: the Location header of a 307, else NULL */
};

/* Send one request and wait for the whole answer. 0 (any status), or a
 * negative code when no answer came (refused, timeout...). */
int http_sync_request(const struct cr_hostport *hp, const char *method,
                      const char *path, const char *headers, const char *body,
                      size_t len, double timeout, struct http_sync_resp *out);
void http_sync_resp_fini(struct http_sync_resp *r);
/* The text of a code http_sync_request() returned (CR_E* or libuv's). */
const char *http_sync_err_text(int err);
/* The first line of body (NULL: empty), at most max bytes, control
 * characters as '?', into dst[0..n) (n > 0): an answer's reason, safe to
 * print on a terminal. Returns dst. */
char *http_sync_first_line(char *dst, size_t n, const char *body, size_t max);

/* GET path from the leading master of a comma-separated master list:
 * tries each master in turn and follows up to 3 redirects. On success,
 * *out is the parsed JSON body (owned) and *leader (if not NULL) the
 * master that answered. On failure, -1 with a one-line reason in err. */
int http_sync_master_json(const char *masters, const char *path, double timeout,
                          json_t **out, struct cr_hostport *leader, char *err,
                          size_t errlen);
/* GET path on hp and parse the JSON body (JSON_ALLOW_NUL). Returns 0, the
 * HTTP status when it is not 200 (with the body's first line in err), or
 * -1 on a transport or parse error (reason in err). */
int http_sync_get_json(const struct cr_hostport *hp, const char *path,
                       double timeout, json_t **out, char *err, size_t errlen);
/* "host:port" (with [] for IPv6) into out. Returns out. */
char *cli_hostport_str(const struct cr_hostport *hp, char *out, size_t n);

#endif
