/* SPDX-License-Identifier: Apache-2.0
 *
 * webui.c: corral-dispatcher's web UI server (webui.h): listening,
 * routing, the embedded static files and the helpers the API files share
 * (webui_private.h).
 *
 * Static files are served from the generated table by net/assets.h, by
 * exact name (no path reaches the file system), with an ETag and
 * "Cache-Control: no-cache" (browsers revalidate). Pages carry
 * a Content-Security-Policy allowing only this origin's scripts, styles
 * and requests; API answers are never cached.
 *
 * Loop thread only.
 */
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/http.h"
#include "webui_private.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATIC_PREFIX "/static/"
#define URL_MAX       512

/* Added to net/assets.h's ETag and Cache-Control on pages. */
#define PAGE_HEADERS                                                           \
    "X-Content-Type-Options: nosniff\r\n"                                      \
    "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'\r\n"

/* ---- shared helpers ---- */

void
disp_webui_json(struct cr_http_req *req, int status, json_t *body)
{
    char *s = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII |
                                   JSON_REAL_PRECISION(15));
    json_decref(body);
    if (s == NULL) {
        cr_http_respond_text(req, 500, "cannot encode the answer");
        return;
    }
    cr_http_respond(req, status, "application/json", s, strlen(s),
                    "Cache-Control: no-store\r\n"
                    "X-Content-Type-Options: nosniff\r\n");
    free(s);
}

void
disp_webui_error(struct cr_http_req *req, int status, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    json_t *o = json_object();
    json_object_set_new(o, "message", json_string(msg));
    disp_webui_json(req, status, o);
}

int
disp_webui_master(const struct dispatcher *d, struct cr_hostport *out)
{
    const char *m = d->sched ? cr_sched_master(d->sched) : NULL;
    if (m == NULL || strncmp(m, "zk://", 5) == 0 ||
        strncmp(m, "file://", 7) == 0 || cr_hostport_parse(m, 5050, out) != 0)
        return CR_ENOTFOUND;
    return 0;
}

char *
disp_webui_http_url(const struct cr_hostport *hp)
{
    bool v6 = strchr(hp->host, ':') != NULL;
    return cr_xasprintf("http://%s%s%s:%d", v6 ? "[" : "", hp->host,
                        v6 ? "]" : "", hp->port);
}

const char *
disp_webui_framework_id(const struct dispatcher *d)
{
    const char *fw = d->sched ? cr_sched_framework_id(d->sched) : NULL;
    return fw ? fw : d->fw_id;
}

char *
disp_webui_checked_url(const char *url)
{
    if (url == NULL || strlen(url) > URL_MAX ||
        (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
        return NULL;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= 0x20 || *p >= 0x7f || *p == '"' || *p == '<' || *p == '>')
            return NULL;
    return cr_xstrdup(url);
}

/* ---- static files ---- */

static void
serve_asset(struct cr_http_req *req, const char *name)
{
    cr_asset_serve(req, webui_assets, name, PAGE_HEADERS);
}

/* ---- routing ---- */

static void
on_request(struct cr_http_req *req, void *data)
{
    struct disp_webui *ui = data;
    const char *p = req->path;
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        cr_http_respond(req, 405, "text/plain", "Method Not Allowed\n", 19,
                        "Allow: GET, HEAD\r\n");
    } else if (strcmp(p, "/") == 0 || strcmp(p, "/index.html") == 0) {
        serve_asset(req, "index.html");
    } else if (strcmp(p, "/driver") == 0 || strcmp(p, "/driver/") == 0) {
        serve_asset(req, "driver.html");
    } else if (strncmp(p, STATIC_PREFIX, strlen(STATIC_PREFIX)) == 0) {
        serve_asset(req, p + strlen(STATIC_PREFIX));
    } else if (strcmp(p, "/api/state") == 0) {
        disp_webui_api_state(ui->d, req);
    } else if (strcmp(p, "/api/driver") == 0) {
        disp_webui_api_driver(ui->d, req);
    } else if (strcmp(p, "/api/driver/log") == 0) {
        disp_webui_api_log(ui, req);
    } else if (strncmp(p, "/api/", 5) == 0) {
        disp_webui_error(req, 404, "No such endpoint: %.200s", p);
    } else {
        cr_http_respond_text(req, 404, "Not Found");
    }
}

/* ---- life cycle ---- */

int
disp_webui_listen(struct dispatcher *d, int port, char *err, size_t errlen)
{
    struct disp_webui *ui = cr_xcalloc(1, sizeof(*ui));
    ui->d = d;
    ui->srv = cr_http_server_new(d->loop, on_request, ui);
    int rc = cr_http_server_listen(ui->srv, d->host, port, &ui->port);
    if (rc != 0) {
        snprintf(err, errlen, "cannot listen on %s:%d (web UI): %s", d->host,
                 port, cr_strerror(rc));
        cr_http_server_free(ui->srv);
        free(ui);
        return rc;
    }
    char *addr = disp_advertised(d, ui->port);
    ui->url = cr_xasprintf("http://%s", addr);
    free(addr);
    d->webui = ui;
    cr_info("web UI on %s:%d (%s)", d->host, ui->port, ui->url);
    return 0;
}

int
disp_webui_port(const struct dispatcher *d)
{
    return d && d->webui ? d->webui->port : -1;
}

const char *
disp_webui_url(const struct dispatcher *d)
{
    return d->webui ? d->webui->url : NULL;
}

void
disp_webui_close(struct dispatcher *d)
{
    struct disp_webui *ui = d ? d->webui : NULL;
    if (ui == NULL)
        return;
    d->webui = NULL;
    disp_webui_log_close(ui);
    cr_http_server_free(ui->srv);
    free(ui->url);
    free(ui);
}
