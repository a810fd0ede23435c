/* SPDX-License-Identifier: Apache-2.0
 *
 * transport_http.h: the replicated log over HTTP (src/net).
 *
 * Every log message is one `POST /corral/v1/log` on the master's port with
 * the message as JSON (msg.h; values base64) and
 * `Content-Type: application/json`; the answer is 200 with the REPLY as
 * JSON. Errors: 400 (a body that is not a valid request), 405 (not POST),
 * 503 (no replica here, or it is closing or its storage failed).
 *
 * Client: a cr_log_transport whose peers are "host:port" strings; each
 * call is one cr_http_call (kept-alive connections are reused by the net
 * layer). Server: the master routes the path to cr_log_http_handle.
 * Loop thread only.
 */
#ifndef CR_LOG_TRANSPORT_HTTP_H
#define CR_LOG_TRANSPORT_HTTP_H

#include "net/http_server.h"
#include "replica.h"
#include "transport.h"

#include <uv.h>

#define CR_LOG_HTTP_PATH "/corral/v1/log"

struct cr_log_http;

struct cr_log_http *cr_log_http_new(uv_loop_t *loop);
/* Cancel outstanding calls (their callbacks do not run) and free.
 * NULL-safe. */
void cr_log_http_free(struct cr_log_http *h);
/* The transport (valid until cr_log_http_free). */
const struct cr_log_transport *cr_log_http_transport(struct cr_log_http *h);

/* Answer req (POST CR_LOG_HTTP_PATH) with replica r (NULL: 503). Takes
 * req: it is answered exactly once, now or when the replica replies.
 * Returns 0 (the request was taken). */
int cr_log_http_handle(struct cr_log_replica *r, struct cr_http_req *req);

#endif
