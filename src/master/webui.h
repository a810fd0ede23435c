/* SPDX-License-Identifier: Apache-2.0
 *
 * webui.h: the master's web UI, static files (webui/ in the source tree)
 * embedded into the binary at build time by cmake/embed_webui.cmake and
 * served on the master's own port: GET / (index.html) and
 * GET /webui/<asset>.
 *
 * The asset table is generated, read-only and lives for the process.
 * Loop thread only (the ETag cache is filled lazily).
 */
#ifndef CR_MASTER_WEBUI_H
#define CR_MASTER_WEBUI_H
#include "net/assets.h"

#include <stddef.h>

struct cr_http_req;

extern const struct cr_asset webui_assets[];

/* Whether path is one the web UI serves ("/", "/webui/..."). */
int webui_owns(const char *path);
/* Answer GET/HEAD / and /webui/<asset>: the asset with its Content-Type,
 * an ETag and Cache-Control: no-cache (revalidate: 304 when If-None-Match
 * matches); 404 for an unknown asset, 405 for other methods. Takes req. */
void webui_handle(struct cr_http_req *req);

#endif
