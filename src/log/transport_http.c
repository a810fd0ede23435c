/* SPDX-License-Identifier: Apache-2.0
 *
 * transport_http.c: see transport_http.h.
 */
#include "transport_http.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/http_client.h"
#include "net/url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSON_HEADERS "Content-Type: application/json\r\n"

struct hcall {
    struct cr_log_http *h;
    struct cr_http_call *http;
    cr_log_reply_cb cb;
    void *data;
    struct hcall *prev, *next;
};

struct cr_log_http {
    uv_loop_t *loop;
    struct cr_log_transport t;
    struct hcall *calls;
};

static void
unlink_call(struct hcall *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->h->calls = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

static int
status_error(int status)
{
    switch (status) {
    case 404:
        return CR_ENOTFOUND;
    case 503:
        return CR_ESTATE;
    default:
        return CR_EPROTO_DATA;
    }
}

static void
on_response(int err, const struct cr_http_response *resp, void *data)
{
    struct hcall *c = data;
    cr_log_reply_cb cb = c->cb;
    void *cb_data = c->data;
    unlink_call(c);
    free(c);
    struct cr_log_msg reply;
    memset(&reply, 0, sizeof(reply));
    if (err == 0 && resp->status != 200)
        err = status_error(resp->status);
    if (err == 0) {
        char why[160];
        err = cr_log_msg_from_json(resp->body, resp->body_len, &reply, why,
                                   sizeof(why));
        if (err == 0 && reply.type != CR_LOG_MSG_REPLY) {
            cr_log_msg_fini(&reply);
            err = CR_EPROTO_DATA;
        }
        if (err != 0)
            cr_warn("replicated log: bad answer from a replica: %s", why);
    }
    cb(cb_data, err, err == 0 ? &reply : NULL);
    cr_log_msg_fini(&reply);
}

static int
http_call(void *ctx, const char *peer, const struct cr_log_msg *req,
          double timeout_secs, cr_log_reply_cb cb, void *data, void **handle)
{
    struct cr_log_http *h = ctx;
    struct cr_hostport hp;
    int rc = cr_hostport_parse(peer, 5050, &hp);
    if (rc != 0)
        return rc;
    struct cr_buf body;
    cr_buf_init(&body, CR_HTTP_MAX_BODY);
    rc = cr_log_msg_to_json(req, &body);
    if (rc != 0) {
        cr_buf_fini(&body);
        return rc;
    }
    struct hcall *c = cr_xcalloc(1, sizeof(*c));
    c->h = h;
    c->cb = cb;
    c->data = data;
    rc = cr_http_call_start(h->loop, hp.host, hp.port, "POST", CR_LOG_HTTP_PATH,
                            JSON_HEADERS, body.data, body.len, timeout_secs,
                            on_response, c, &c->http);
    cr_buf_fini(&body);
    if (rc != 0) {
        free(c);
        return rc;
    }
    c->next = h->calls;
    if (h->calls)
        h->calls->prev = c;
    h->calls = c;
    *handle = c;
    return 0;
}

static void
http_cancel(void *ctx, void *handle)
{
    struct hcall *c = handle;
    (void)ctx;
    unlink_call(c);
    cr_http_call_cancel(c->http);
    free(c);
}

struct cr_log_http *
cr_log_http_new(uv_loop_t *loop)
{
    struct cr_log_http *h = cr_xcalloc(1, sizeof(*h));
    h->loop = loop;
    h->t.ctx = h;
    h->t.call = http_call;
    h->t.cancel = http_cancel;
    return h;
}

void
cr_log_http_free(struct cr_log_http *h)
{
    if (h == NULL)
        return;
    while (h->calls)
        http_cancel(h, h->calls);
    free(h);
}

const struct cr_log_transport *
cr_log_http_transport(struct cr_log_http *h)
{
    return &h->t;
}

/* ---- server side ------------------------------------------------------- */

static void
on_replica_reply(void *data, int err, const struct cr_log_msg *reply)
{
    struct cr_http_req *req = data;
    if (err != 0) {
        char text[128];
        snprintf(text, sizeof(text), "replicated log: %s\n", cr_strerror(err));
        cr_http_respond_text(req, err == CR_EPROTO_DATA ? 400 : 503, text);
        return;
    }
    struct cr_buf b;
    cr_buf_init(&b, (size_t)CR_HTTP_CLIENT_MAX_BODY);
    if (cr_log_msg_to_json(reply, &b) != 0) {
        cr_buf_fini(&b);
        cr_http_respond_text(req, 503, "replicated log: reply too large\n");
        return;
    }
    cr_http_respond_json(req, 200, b.data, b.len);
    cr_buf_fini(&b);
}

int
cr_log_http_handle(struct cr_log_replica *r, struct cr_http_req *req)
{
    if (strcmp(req->method, "POST") != 0) {
        cr_http_respond(req, 405, "text/plain", "use POST\n", 9,
                        "Allow: POST\r\n");
        return 0;
    }
    if (r == NULL) {
        cr_http_respond_text(req, 503, "no replicated log on this master\n");
        return 0;
    }
    struct cr_log_msg m;
    char why[160];
    if (cr_log_msg_from_json(req->body, req->body_len, &m, why, sizeof(why)) !=
            0 ||
        m.type == CR_LOG_MSG_REPLY) {
        char text[200];
        snprintf(text, sizeof(text), "bad log message: %s\n",
                 m.type == CR_LOG_MSG_REPLY ? "a reply is not a request" : why);
        cr_log_msg_fini(&m);
        cr_http_respond_text(req, 400, text);
        return 0;
    }
    cr_log_replica_handle(r, &m, on_replica_reply, req);
    cr_log_msg_fini(&m);
    return 0;
}
