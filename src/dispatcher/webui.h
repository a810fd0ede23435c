/* SPDX-License-Identifier: Apache-2.0
 *
 * webui.h: corral-dispatcher's web UI (Spark's MesosClusterUI), a second
 * HTTP server on --host:--webui-port (default 8081):
 *
 *   GET /                       the drivers page (webui-dispatcher/)
 *   GET /driver?id=ID           one driver's page
 *   GET /static/<asset>         the pages' JS and CSS
 *   GET /api/state              the dispatcher and its four driver lists
 *   GET /api/driver?id=ID       one driver (404 unknown)
 *   GET /api/driver/log?id=ID&file=stdout|stderr&offset=N&length=N
 *                               the driver's sandbox file, read through
 *                               the leading master's /files/read
 * (HEAD too; other methods: 405). The JSON shapes are in webui_api.c and
 * webui_view.h; docs/dispatcher.md ("Web UI") describes them.
 *
 * The static files are embedded at build time (cmake/embed_webui.cmake)
 * into webui_assets[], served by exact name only (no file system access),
 * with an ETag and Cache-Control: no-cache, as the master's UI.
 *
 * Ownership: the dispatcher owns its web UI (struct dispatcher.webui);
 * disp_webui_close answers the requests still waiting for the master
 * (503), cancels their calls and closes the server.
 * Threading: loop thread only.
 */
#ifndef CR_DISPATCHER_WEBUI_H
#define CR_DISPATCHER_WEBUI_H

#include "net/assets.h"

#include <stddef.h>

struct dispatcher;

extern const struct cr_asset webui_assets[];

/* Listen on the dispatcher's host and port (0: any). 0, or a negative
 * error with a one-line reason in err. */
int disp_webui_listen(struct dispatcher *d, int port, char *err, size_t errlen);
/* The UI's URL, "http://<advertised host>:<bound port>", or NULL when not
 * serving. Borrowed. */
const char *disp_webui_url(const struct dispatcher *d);
/* A copy of url if it is an http(s) URL of at most 512 printable
 * characters (a leader's URL read from ZooKeeper is shown as a link),
 * else NULL. Owned. */
char *disp_webui_checked_url(const char *url);
/* Answer pending requests, cancel the calls to the master and close the
 * server (its memory goes once libuv closed the handles). NULL-safe and
 * idempotent. */
void disp_webui_close(struct dispatcher *d);

#endif
