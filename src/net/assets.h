/* SPDX-License-Identifier: Apache-2.0
 *
 * assets.h: static files embedded into a binary at build time
 * (cmake/embed_webui.cmake generates a table of them) and served over
 * HTTP by exact name: no request path reaches the file system.
 *
 * Every answer carries the asset's ETag (computed at build time from its
 * bytes) and "Cache-Control: no-cache", so browsers revalidate and get a
 * 304 while the binary is unchanged, and never run a stale UI after an
 * upgrade. Used by the master's and the dispatcher's web UIs.
 *
 * Tables are generated, read-only and live for the process. No state.
 */
#ifndef CR_NET_ASSETS_H
#define CR_NET_ASSETS_H

#include <stddef.h>

struct cr_http_req;

struct cr_asset {
    const char *name;          /* "index.html", "app.js", ... */
    const unsigned char *data; /* NUL-terminated; len excludes the NUL */
    size_t len;
    const char *etag; /* quoted, e.g. "\"3f2a...\"" */
};

/* The entry of table (terminated by a NULL name) named name, or NULL. */
const struct cr_asset *cr_asset_find(const struct cr_asset *table,
                                     const char *name);
/* Content-Type for a file name by its extension (octet-stream if
 * unknown). */
const char *cr_asset_content_type(const char *name);
/* Answer req with the asset of table named name: 200 with its
 * Content-Type, or 304 when If-None-Match matches its ETag; 404 for an
 * unknown name. extra_headers ("Name: value\r\n"..., may be NULL) go into
 * both answers after the ETag and Cache-Control. Takes req. */
void cr_asset_serve(struct cr_http_req *req, const struct cr_asset *table,
                    const char *name, const char *extra_headers);

#endif
