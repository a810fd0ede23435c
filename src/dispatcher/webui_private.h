/* SPDX-License-Identifier: Apache-2.0
 *
 * webui_private.h: what corral-dispatcher's web UI files share: webui.c
 * (the server, routing, static assets), webui_api.c (GET /api/state and
 * /api/driver) and webui_log.c (GET /api/driver/log, the proxy to the
 * master's /files/read).
 *
 * Errors of the /api/ paths are JSON objects {"message": "<one line>"} with the
 * HTTP status.
 *
 * Threading: loop thread only.
 */
#ifndef CR_DISPATCHER_WEBUI_PRIVATE_H
#define CR_DISPATCHER_WEBUI_PRIVATE_H

#include "dispatcher_private.h"
#include "net/http_server.h"
#include "net/url.h"
#include "webui.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct disp_log_call;

struct disp_webui {
    struct dispatcher *d;
    struct cr_http_server *srv;
    int port;                    /* bound */
    char *url;                   /* http://<advertised>:<port> */
    struct disp_log_call *calls; /* waiting for the master */
    size_t n_calls;
};

/* Answer req with body (taken) as JSON, not cached. */
void disp_webui_json(struct cr_http_req *req, int status, json_t *body);
/* Answer req with {"message": <formatted>}. */
void disp_webui_error(struct cr_http_req *req, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The leading master this dispatcher talks to (its scheduler's current
 * or last subscription). 0 with *out set, or CR_ENOTFOUND (no scheduler,
 * or with ZooKeeper no leader known yet). */
int disp_webui_master(const struct dispatcher *d, struct cr_hostport *out);
/* "http://host:port" for hp (IPv6 in brackets). Owned. */
char *disp_webui_http_url(const struct cr_hostport *hp);
/* The framework id, or NULL while unknown. Borrowed. */
const char *disp_webui_framework_id(const struct dispatcher *d);

/* webui_api.c */
void disp_webui_api_state(struct dispatcher *d, struct cr_http_req *req);
void disp_webui_api_driver(struct dispatcher *d, struct cr_http_req *req);

/* webui_log.c */
void disp_webui_api_log(struct disp_webui *ui, struct cr_http_req *req);
/* Answer every waiting request with 503 and cancel its call. */
void disp_webui_log_close(struct disp_webui *ui);

#endif
