/* SPDX-License-Identifier: Apache-2.0
 *
 * fetcher.h: download CommandInfo.uris into a sandbox (Mesos fetcher).
 *
 * Schemes: http, https, ftp(s) through libcurl; file:// and absolute
 * paths are copied. The file is named after output_file when given (a
 * relative path inside the sandbox) or the last path segment of the URI.
 * `executable` makes it mode 0755; otherwise `extract` (default true)
 * unpacks .tar, .tar.gz, .tgz, .tar.bz2, .tbz2, .tar.xz, .txz with tar and
 * .zip with unzip (child processes) into the sandbox.
 *
 * fetcher_fetch_all blocks: call it from the thread pool, never the loop.
 * It touches only its arguments (thread-safe once curl_global_init ran)
 * and one process-wide flag, fetcher_abort_all, which makes every fetch in
 * progress or to come fail within about a second (the agent is stopping:
 * its thread pool must drain).
 */
#ifndef CR_AGENT_FETCHER_H
#define CR_AGENT_FETCHER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct fetch_uri {
    char *value;
    char *output_file; /* may be NULL */
    bool extract;
    bool executable;
};

/* Copy the uris of a CommandInfo-style JSON array. *n gets the count. */
struct fetch_uri *fetcher_uris_from_json(const json_t *uris, size_t *n);
void fetcher_uris_free(struct fetch_uri *u, size_t n);
/* Fetch each uri into dir. 0, or -1 with a one-line reason in err. */
int fetcher_fetch_all(const struct fetch_uri *u, size_t n, const char *dir,
                      char *err, size_t errlen);
/* Fail every fetch from now on (any thread; async-signal-safe). */
void fetcher_abort_all(void);
/* The file name a uri lands in (owned), or NULL if unusable. */
char *fetcher_output_name(const struct fetch_uri *u);

#endif
