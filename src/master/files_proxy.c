/* SPDX-License-Identifier: Apache-2.0
 *
 * files_proxy.c: sandbox files through the master (master.h,
 * docs/protocol.md "Sandbox files through the master").
 *
 * GET /files/<op>?agent_id=<id>&path=<path>[&offset=&length=] looks the
 * agent up in the master's table and relays the request to the agent's
 * own /files/<op> with the pooled HTTP client (keep-alive connections to
 * the agent are reused). The agent's status, Content-Type and body come
 * back unchanged (plus Content-Disposition for downloads), so its own
 * rules (attached sandboxes only, no escape through ".." or symlinks,
 * 400 for a directory read...) and status codes hold through the master.
 * Errors of the master's own:
 *   400 bad parameters, 404 unknown endpoint or agent, 405 not GET/HEAD,
 *   502 agent unreachable or its answer too big or malformed,
 *   503 too many relayed requests in flight, 504 agent did not answer in
 *   time.
 *
 * Bounds: answers are buffered, not streamed, and capped per operation
 * (PROXY_MAX_*_BODY); at most PROXY_MAX_INFLIGHT requests (of which
 * PROXY_MAX_DOWNLOADS downloads) are relayed at once, process-wide, so
 * the master's memory for files stays bounded; each relay has a deadline
 * (PROXY_TIMEOUT_*).
 *
 * Ownership: a relay owns its copy of what it reports (ids, address)
 * and the client request until it answers it; it holds no pointer to
 * the agent, which may go away meanwhile. A client that disconnects
 * early is answered anyway (the server drops the answer). At master
 * shutdown a relay in flight keeps the loop running until it ends
 * (bounded by its deadline).
 *
 * Loop thread only.
 */
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "master.h"
#include "net/http_client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROXY_MAX_INFLIGHT     64
#define PROXY_MAX_DOWNLOADS    4
#define PROXY_TIMEOUT_SECS     10.0
#define PROXY_TIMEOUT_DOWNLOAD 60.0
/* An agent's read answer: at most FILES_PROXY_MAX_READ bytes escaped as
 * JSON (6 bytes per byte at worst) plus the envelope. */
#define PROXY_MAX_READ_BODY     (6u * FILES_PROXY_MAX_READ + 4096)
#define PROXY_MAX_BROWSE_BODY   (32u * 1024 * 1024)
#define PROXY_MAX_DOWNLOAD_BODY (64u * 1024 * 1024)

struct relay {
    struct cr_http_req *req; /* the client's, answered exactly once */
    enum files_proxy_op op;
    char *agent_id;
    char *addr; /* "host:port", for messages */
    char *path; /* NULL for debug */
};

static unsigned n_inflight, n_downloads;

static void
relay_free(struct relay *r)
{
    n_inflight--;
    if (r->op == FILES_PROXY_DOWNLOAD)
        n_downloads--;
    free(r->agent_id);
    free(r->addr);
    free(r->path);
    free(r);
}

static size_t
max_body(enum files_proxy_op op)
{
    switch (op) {
    case FILES_PROXY_READ:
        return PROXY_MAX_READ_BODY;
    case FILES_PROXY_DOWNLOAD:
        return PROXY_MAX_DOWNLOAD_BODY;
    default:
        return PROXY_MAX_BROWSE_BODY;
    }
}

static void respond_error(struct cr_http_req *req, int status, const char *fmt,
                          ...) __attribute__((format(printf, 3, 4)));

static void
respond_error(struct cr_http_req *req, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cr_http_respond_text(req, status, msg);
}

/* Extra headers for a relayed download: the agent's file name, and no
 * rendering of the bytes in the master's origin. */
static char *
download_headers(const struct cr_http_response *resp)
{
    const char *cd = cr_http_headers_get(&resp->headers, "Content-Disposition");
    if (cd == NULL || strpbrk(cd, "\r\n") != NULL || strlen(cd) > 1024)
        cd = "attachment";
    return cr_xasprintf("Content-Disposition: %s\r\n"
                        "X-Content-Type-Options: nosniff\r\n"
                        "Content-Security-Policy: sandbox\r\n",
                        cd);
}

static void
relay_answer(struct relay *r, const struct cr_http_response *resp)
{
    const char *ct = cr_http_headers_get(&resp->headers, "Content-Type");
    if (ct && (strpbrk(ct, "\r\n") != NULL || strlen(ct) > 256))
        ct = "application/octet-stream";
    if (resp->status >= 300 && resp->body_len == 0) {
        /* The agent's errors carry no text: say what was refused. */
        respond_error(r->req, resp->status, "Agent %s: %s: %s", r->agent_id,
                      r->path ? r->path : "/files/debug",
                      cr_http_status_text(resp->status));
        return;
    }
    char *extra = NULL;
    if (r->op == FILES_PROXY_DOWNLOAD && resp->status == 200)
        extra = download_headers(resp);
    cr_http_respond(r->req, resp->status, ct, resp->body, resp->body_len,
                    extra);
    free(extra);
}

static void
on_agent_response(int err, const struct cr_http_response *resp, void *data)
{
    struct relay *r = data;
    if (err == CR_ETIMEOUT) {
        respond_error(r->req, 504, "Agent %s at %s did not answer within %g s",
                      r->agent_id, r->addr,
                      r->op == FILES_PROXY_DOWNLOAD ? PROXY_TIMEOUT_DOWNLOAD
                                                    : PROXY_TIMEOUT_SECS);
    } else if (err == CR_ETOOBIG ||
               (err == 0 && resp->body_len > max_body(r->op))) {
        respond_error(r->req, 502, "Agent %s answered more than %zu bytes",
                      r->agent_id, max_body(r->op));
    } else if (err != 0) {
        respond_error(r->req, 502, "Cannot reach agent %s at %s: %s",
                      r->agent_id, r->addr, cr_strerror(err));
    } else if (resp->status < 200 || resp->status > 599) {
        respond_error(r->req, 502, "Agent %s answered status %d", r->agent_id,
                      resp->status);
    } else {
        relay_answer(r, resp);
    }
    relay_free(r);
}

/* Start relaying q to agent a. Takes req. */
static void
relay_start(struct master *m, struct cr_http_req *req, struct magent *a,
            struct files_proxy_query *q)
{
    if (n_inflight >= PROXY_MAX_INFLIGHT ||
        (q->op == FILES_PROXY_DOWNLOAD && n_downloads >= PROXY_MAX_DOWNLOADS)) {
        cr_http_respond(req, 503, "text/plain",
                        "Too many file requests in flight; retry", 39,
                        "Retry-After: 1\r\n");
        return;
    }
    struct relay *r = cr_xcalloc(1, sizeof(*r));
    r->req = req;
    r->op = q->op;
    r->agent_id = cr_xstrdup(a->id);
    r->addr = cr_xasprintf("%s:%d", a->hostname, a->port);
    r->path = q->path ? cr_xstrdup(q->path) : NULL;
    n_inflight++;
    if (r->op == FILES_PROXY_DOWNLOAD)
        n_downloads++;
    cr_debug("files: %s -> agent %s at %s", q->target, a->id, r->addr);
    double timeout = q->op == FILES_PROXY_DOWNLOAD ? PROXY_TIMEOUT_DOWNLOAD
                                                   : PROXY_TIMEOUT_SECS;
    int rc =
        cr_http_call_start(m->loop, a->hostname, a->port, "GET", q->target,
                           NULL, NULL, 0, timeout, on_agent_response, r, NULL);
    if (rc != 0) {
        respond_error(req, 502, "Cannot reach agent %s at %s: %s", r->agent_id,
                      r->addr, cr_strerror(rc));
        relay_free(r);
    }
}

void
files_proxy_handle(struct master *m, struct cr_http_req *req, const char *what)
{
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        cr_http_respond(req, 405, "text/plain", "Method Not Allowed", 18,
                        "Allow: GET, HEAD\r\n");
        return;
    }
    struct files_proxy_query q;
    char err[256];
    int rc = files_proxy_query_parse(what, req->query, &q, err, sizeof(err));
    if (rc != 0) {
        cr_http_respond_text(req, rc == CR_ENOTFOUND ? 404 : 400, err);
        return;
    }
    if (q.agent_id == NULL) {
        /* debug without an agent: the master attaches no paths itself. */
        cr_http_respond_json(req, 200, "{}", 2);
    } else {
        struct magent *a = agent_find(m, q.agent_id);
        if (a == NULL)
            respond_error(req, 404,
                          "Agent %s is not registered with this "
                          "master",
                          q.agent_id);
        else
            relay_start(m, req, a, &q);
    }
    files_proxy_query_fini(&q);
}
