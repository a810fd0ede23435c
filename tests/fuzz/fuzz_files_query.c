/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_files_query.c: the master's check of a /files request
 * (files_proxy_query_parse). Input: the endpoint name ("browse",
 * "read"...) up to the first newline, then the raw query string. Besides
 * not crashing or leaking, an accepted query must yield a request target
 * that is safe to put on the agent's request line: "/files/<op>", then
 * only unreserved characters, '/', '%' escapes and the separators the
 * parser writes itself.
 */
#include "base/err.h"
#include "master/master.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_target(const char *t)
{
    if (strncmp(t, "/files/", 7) != 0)
        abort();
    for (const char *p = t; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || strchr("-._~/%?&=", c) != NULL))
            abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *query = strchr(text, '\n');
    if (query)
        *query++ = '\0';
    struct files_proxy_query q;
    char err[256];
    int rc = files_proxy_query_parse(text, query, &q, err, sizeof(err));
    if (rc == 0) {
        check_target(q.target);
        if (q.op != FILES_PROXY_DEBUG &&
            (q.agent_id == NULL || !q.path || q.path[0] != '/'))
            abort();
        if (q.length < 0 || q.length > (long long)FILES_PROXY_MAX_READ)
            abort();
        files_proxy_query_fini(&q);
    } else if (rc != CR_EINVAL_INPUT && rc != CR_ENOTFOUND) {
        abort();
    }
    free(text);
    return 0;
}
