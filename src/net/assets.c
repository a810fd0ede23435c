/* SPDX-License-Identifier: Apache-2.0
 *
 * assets.c: serving embedded static files (assets.h).
 */
#include "net/assets.h"

#include "net/http.h"
#include "net/http_server.h"

#include <stdio.h>
#include <string.h>

const struct cr_asset *
cr_asset_find(const struct cr_asset *table, const char *name)
{
    for (const struct cr_asset *a = table; a->name; a++)
        if (strcmp(a->name, name) == 0)
            return a;
    return NULL;
}

const char *
cr_asset_content_type(const char *name)
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

void
cr_asset_serve(struct cr_http_req *req, const struct cr_asset *table,
               const char *name, const char *extra_headers)
{
    const struct cr_asset *a = cr_asset_find(table, name);
    if (a == NULL) {
        cr_http_respond_text(req, 404, "Not Found");
        return;
    }
    char hdr[512];
    snprintf(hdr, sizeof(hdr), "ETag: %s\r\nCache-Control: no-cache\r\n%s",
             a->etag, extra_headers ? extra_headers : "");
    const char *inm = cr_http_headers_get(&req->headers, "If-None-Match");
    if (inm && strcmp(inm, a->etag) == 0) {
        cr_http_respond(req, 304, NULL, NULL, 0, hdr);
        return;
    }
    cr_http_respond(req, 200, cr_asset_content_type(name),
                    (const char *)a->data, a->len, hdr);
}
