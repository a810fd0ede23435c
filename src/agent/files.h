/* SPDX-License-Identifier: Apache-2.0
 *
 * files.h: the /files endpoints (browse, read, download, debug).
 *
 * A table maps attached virtual paths to real directories (Mesos's
 * Files::attach): the agent attaches each sandbox under
 * /frameworks/<fw>/executors/<exec>/runs/latest and under its real path.
 * A request path resolves through its longest attached prefix; the
 * result is realpath()ed and must stay inside the attached directory's
 * realpath, so "..", symlinks and the like cannot escape (404).
 *
 * Reads are synchronous and small (64 KiB per /files/read, like Mesos's
 * 16 pages); /files/download is capped at FILES_MAX_DOWNLOAD. Loop thread
 * only.
 */
#ifndef CR_AGENT_FILES_H
#define CR_AGENT_FILES_H

#include "base/buf.h"
#include "net/http_server.h"

#include <jansson.h>
#include <stddef.h>

#define FILES_MAX_READ     (16u * 4096)
#define FILES_MAX_DOWNLOAD (64u * 1024 * 1024)
#define FILES_MAX_BROWSE   100000

struct files;

struct files *files_new(void);
void files_free(struct files *f);
/* Attach real (a directory) under the virtual path vpath (replacing). */
void files_attach(struct files *f, const char *vpath, const char *real);
/* Detach vpath if it still points at real. */
void files_detach(struct files *f, const char *vpath, const char *real);

/* Resolve a request path into an owned real path in *out. 0,
 * CR_EINVAL_INPUT (not absolute, too long, "..") or CR_ENOTFOUND (not
 * attached, missing, or escaping its root). */
int files_resolve(const struct files *f, const char *path, char **out);

/* Serve GET /files/<what> (browse, read, download, debug). */
void files_handle(struct files *f, struct cr_http_req *req, const char *what);

/* Append s[0..n) as a JSON string literal (quotes included), ASCII only;
 * bytes that are not valid UTF-8 are escaped as \u00XX. */
int files_json_escape(struct cr_buf *b, const char *s, size_t n);

#endif
