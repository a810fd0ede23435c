/* SPDX-License-Identifier: Apache-2.0
 *
 * http_sync.c: see http_sync.h.
 */
#include "http_sync.h"

#include "base/err.h"
#include "base/mem.h"
#include "net/http_client.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define MAX_REDIRECTS 3
#define MAX_MASTERS   16

struct sync_call {
    bool done;
    int err;
    struct http_sync_resp *out;
};

static void
on_response(int err, const struct cr_http_response *resp, void *data)
{
    struct sync_call *c = data;
    c->done = true;
    c->err = err;
    if (err || resp == NULL)
        return;
    c->out->status = resp->status;
    /* Bodies may hold NULs (file downloads): copy by length. */
    c->out->body = cr_xmalloc(resp->body_len + 1);
    memcpy(c->out->body, resp->body, resp->body_len);
    c->out->body[resp->body_len] = '\0';
    c->out->len = resp->body_len;
    const char *loc = cr_http_headers_get(&resp->headers, "Location");
    if (loc)
        c->out->location = cr_xstrdup(loc);
}

static void
close_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int
http_sync_request(const struct cr_hostport *hp, const char *method,
                  const char *path, const char *headers, const char *body,
                  size_t len, double timeout, struct http_sync_resp *out)
{
    uv_loop_t loop;
    struct sync_call c = {.out = out};
    memset(out, 0, sizeof(*out));
    int rc = uv_loop_init(&loop);
    if (rc)
        return rc;
    rc = cr_http_call_start(&loop, hp->host, hp->port, method, path, headers,
                            body, len, timeout, on_response, &c, NULL);
    if (rc == 0) {
        while (!c.done && uv_run(&loop, UV_RUN_ONCE) != 0)
            ;
        rc = c.done ? c.err : CR_ECLOSED;
    }
    cr_http_client_shutdown(&loop);
    uv_run(&loop, UV_RUN_NOWAIT);
    uv_walk(&loop, close_walk, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    if (rc != 0)
        http_sync_resp_fini(out);
    return rc;
}

void
http_sync_resp_fini(struct http_sync_resp *r)
{
    free(r->body);
    free(r->location);
    memset(r, 0, sizeof(*r));
}

char *
cli_hostport_str(const struct cr_hostport *hp, char *out, size_t n)
{
    if (strchr(hp->host, ':'))
        snprintf(out, n, "[%s]:%d", hp->host, hp->port);
    else
        snprintf(out, n, "%s:%d", hp->host, hp->port);
    return out;
}

const char *
http_sync_err_text(int err)
{
    if (err <= CR_EPROTO_DATA && err >= CR_ESTATE)
        return cr_strerror(err);
    return uv_strerror(err);
}

char *
http_sync_first_line(char *dst, size_t n, const char *body, size_t max)
{
    const char *b = body ? body : "";
    size_t len = strcspn(b, "\r\n");
    if (len > max)
        len = max;
    snprintf(dst, n, "%.*s", (int)len, b);
    for (char *p = dst; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return dst;
}

int
http_sync_get_json(const struct cr_hostport *hp, const char *path,
                   double timeout, json_t **out, char *err, size_t errlen)
{
    struct http_sync_resp r;
    char addr[CR_HOST_MAX + 16], line[256];
    *out = NULL;
    cli_hostport_str(hp, addr, sizeof(addr));
    int rc = http_sync_request(hp, "GET", path, "Accept: application/json\r\n",
                               NULL, 0, timeout, &r);
    if (rc != 0) {
        snprintf(err, errlen, "%s: %s", addr, http_sync_err_text(rc));
        return -1;
    }
    if (r.status != 200) {
        http_sync_first_line(line, sizeof(line), r.body, 200);
        snprintf(err, errlen, "%s%s: HTTP %d %s", addr, path, r.status, line);
        rc = r.status;
        http_sync_resp_fini(&r);
        return rc;
    }
    json_error_t je;
    *out = json_loadb(r.body, r.len, JSON_ALLOW_NUL, &je);
    http_sync_resp_fini(&r);
    if (*out == NULL) {
        snprintf(err, errlen, "%s%s: bad JSON: %s", addr, path, je.text);
        return -1;
    }
    return 0;
}

/* GET from one master, following redirects. 0, 1 to try the next master,
 * -1 on a definite failure. */
static int
get_from_master(struct cr_hostport hp, const char *path, double timeout,
                json_t **out, struct cr_hostport *leader, char *err,
                size_t errlen)
{
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
        struct http_sync_resp r;
        char addr[CR_HOST_MAX + 16];
        cli_hostport_str(&hp, addr, sizeof(addr));
        int rc =
            http_sync_request(&hp, "GET", path, "Accept: application/json\r\n",
                              NULL, 0, timeout, &r);
        if (rc != 0) {
            snprintf(err, errlen, "cannot reach master %s: %s", addr,
                     http_sync_err_text(rc));
            return 1;
        }
        if (r.status == 307 && r.location) {
            const char *loc = r.location;
            if (strncmp(loc, "//", 2) == 0)
                loc += 2;
            rc = cr_hostport_parse(loc, 5050, &hp);
            http_sync_resp_fini(&r);
            if (rc != 0) {
                snprintf(err, errlen, "master %s: bad redirect", addr);
                return 1;
            }
            continue;
        }
        if (r.status != 200) {
            char line[256];
            http_sync_first_line(line, sizeof(line), r.body, 200);
            snprintf(err, errlen, "master %s: HTTP %d %s", addr, r.status,
                     line);
            http_sync_resp_fini(&r);
            return 1;
        }
        json_error_t je;
        *out = json_loadb(r.body, r.len, JSON_ALLOW_NUL, &je);
        http_sync_resp_fini(&r);
        if (*out == NULL) {
            snprintf(err, errlen, "master %s: bad JSON in %s: %s", addr, path,
                     je.text);
            return -1;
        }
        if (leader)
            *leader = hp;
        return 0;
    }
    snprintf(err, errlen, "too many redirects");
    return 1;
}

int
http_sync_master_json(const char *masters, const char *path, double timeout,
                      json_t **out, struct cr_hostport *leader, char *err,
                      size_t errlen)
{
    struct cr_hostport list[MAX_MASTERS];
    size_t n = 0;
    *out = NULL;
    if (cr_hostport_parse_list(masters, 5050, list, MAX_MASTERS, &n) != 0 ||
        n == 0) {
        snprintf(err, errlen, "bad master address '%s'", masters);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int rc =
            get_from_master(list[i], path, timeout, out, leader, err, errlen);
        if (rc <= 0)
            return rc;
    }
    return -1;
}
