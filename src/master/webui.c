/* SPDX-License-Identifier: Apache-2.0
 *
 * webui.c: serves the embedded web UI (webui.h).
 *
 * Assets are served from the generated table by net/assets.h: the name
 * after "/webui/" must match an entry exactly, so no path reaches the
 * file system; ETags and revalidation are assets.h's.
 *
 * Loop thread only.
 */
#include "webui.h"

#include "net/http.h"
#include "net/http_server.h"

#include <string.h>

#define WEBUI_PREFIX "/webui/"

int
webui_owns(const char *path)
{
    return strcmp(path, "/") == 0 ||
           strncmp(path, WEBUI_PREFIX, strlen(WEBUI_PREFIX)) == 0;
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
    cr_asset_serve(req, webui_assets, name,
                   "X-Content-Type-Options: nosniff\r\n");
}
