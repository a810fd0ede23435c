/* SPDX-License-Identifier: Apache-2.0
 *
 * webui.c: serves the embedded web UI (webui.h).
 *
 * Assets are served from the generated table only: the name after
 * "/webui/" must match an entry exactly, so no path reaches the file
 * system. Every response carries an ETag (FNV-1a of the bytes, computed
 * once per asset) and "Cache-Control: no-cache", so browsers revalidate
 * and get a 304 while the binary is unchanged, and never run a stale UI
 * after an upgrade.
 *
 * Loop thread only.
 */
#include "webui.h"

#include "net/http.h"
#include "net/http_server.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define WEBUI_PREFIX     "/webui/"
#define WEBUI_MAX_ASSETS 32

static char etags[WEBUI_MAX_ASSETS][24];

int
webui_owns(const char *path)
{
    return strcmp(path, "/") == 0 ||
           strncmp(path, WEBUI_PREFIX, strlen(WEBUI_PREFIX)) == 0;
}

static const char *
content_type(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".json", "application/json"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return "application/octet-stream";
}

static const char *
asset_etag(size_t i)
{
    if (etags[i][0] == '\0') {
        uint64_t h = 0xcbf29ce484222325ull;
        for (size_t k = 0; k < webui_assets[i].len; k++) {
            h ^= webui_assets[i].data[k];
            h *= 0x100000001b3ull;
        }
        snprintf(etags[i], sizeof(etags[i]), "\"%016llx\"",
                 (unsigned long long)h);
    }
    return etags[i];
}

/* Index of the asset named name, or -1. */
static int
find_asset(const char *name)
{
    for (int i = 0; i < WEBUI_MAX_ASSETS && webui_assets[i].name; i++)
        if (strcmp(webui_assets[i].name, name) == 0)
            return i;
    return -1;
}

void
webui_handle(struct cr_http_req *req)
{
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        cr_http_respond_text(req, 405, "Method Not Allowed");
        return;
    }
    const char *name = strcmp(req->path, "/") == 0
                           ? "index.html"
                           : req->path + strlen(WEBUI_PREFIX);
    int i = find_asset(name);
    if (i < 0) {
        cr_http_respond_text(req, 404, "Not Found");
        return;
    }
    const char *etag = asset_etag((size_t)i);
    char hdr[160];
    snprintf(hdr, sizeof(hdr),
             "ETag: %s\r\nCache-Control: no-cache\r\n"
             "X-Content-Type-Options: nosniff\r\n",
             etag);
    const char *inm = cr_http_headers_get(&req->headers, "If-None-Match");
    if (inm && strcmp(inm, etag) == 0) {
        cr_http_respond(req, 304, NULL, NULL, 0, hdr);
        return;
    }
    cr_http_respond(req, 200, content_type(name),
                    (const char *)webui_assets[i].data, webui_assets[i].len,
                    hdr);
}
