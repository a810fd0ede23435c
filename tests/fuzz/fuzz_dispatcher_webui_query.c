/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_dispatcher_webui_query.c: the query strings of corral-dispatcher's
 * web UI API (webui_view.h): GET /api/driver?id= and GET /api/driver/log.
 * Input: the raw query string (up to the first newline), then an agent id
 * and a framework id, one a line, as the log proxy would pass them.
 * Besides not crashing or leaking, an accepted query must be a submission
 * id, stdout or stderr, offset >= -1 and a length within the cap, and the
 * master's request built from it must be safe on a request line:
 * "/files/read?", then only unreserved characters, '/', '%' escapes and
 * the separators the builder writes itself.
 */
#include "base/err.h"
#include "dispatcher/webui_view.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_target(const char *t)
{
    if (strncmp(t, "/files/read?agent_id=", 21) != 0)
        abort();
    for (const char *p = t; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || strchr("-._~/%?&=", c) != NULL))
            abort();
    }
}

static char *
next_line(char *s)
{
    char *nl = s ? strchr(s, '\n') : NULL;
    if (nl)
        *nl++ = '\0';
    return nl;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return 0;
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';
    char *agent = next_line(text);
    char *fw = next_line(agent);
    next_line(fw);
    char id[DISP_MAX_ID], err[256];
    if (disp_view_query_id(text, id, sizeof(id), err, sizeof(err)) == 0 &&
        !disp_submission_id_valid(id))
        abort();
    struct disp_log_query q;
    if (disp_log_query_parse(text, &q, err, sizeof(err)) == 0) {
        if (!disp_submission_id_valid(q.id) || q.offset < -1 || q.length < 0 ||
            q.length > DISP_LOG_MAX_READ ||
            (strcmp(q.file, "stdout") != 0 && strcmp(q.file, "stderr") != 0))
            abort();
        char *t = disp_log_target(agent ? agent : "a", fw ? fw : "f", q.id, &q);
        if (t)
            check_target(t);
        free(t);
    } else if (err[0] == '\0') {
        abort(); /* a refusal always says why */
    }
    free(text);
    return 0;
}
