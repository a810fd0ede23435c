/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_flags_duration.c: the input as a duration (parse, format, parse
 * back), then split at newlines into an argv for a flag table holding
 * every flag type.
 */
#include "base/duration.h"
#include "base/flags.h"
#include "base/mem.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_ARGS 32

static void
check_duration(const char *s)
{
    double v;
    if (cr_duration_parse(s, &v) != 0)
        return;
    if (!isfinite(v) || v < 0)
        abort();
    char out[64];
    cr_duration_format(v, out, sizeof(out));
    double back;
    if (cr_duration_parse(out, &back) != 0)
        abort(); /* what we print, we must read */
}

static void
check_flags(char *text)
{
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    argv[argc++] = "prog";
    for (char *p = text; p && argc < MAX_ARGS;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        argv[argc++] = p;
        p = nl ? nl + 1 : NULL;
    }
    char *str = NULL;
    long n = 0;
    double d = 0, dur = 0;
    bool b = false;
    int port = 0;
    struct cr_flag f[] = {
        {"name", CR_FLAG_STRING, "x", "", &str, NULL, NULL, false},
        {"count", CR_FLAG_INT, "1", "", &n, NULL, NULL, false},
        {"ratio", CR_FLAG_DOUBLE, NULL, "", &d, NULL, NULL, false},
        {"on", CR_FLAG_BOOL, "false", "", &b, NULL, NULL, false},
        {"timeout", CR_FLAG_DURATION, "5secs", "", &dur, "old", NULL, false},
        {"port", CR_FLAG_PORT, "5050", "", &port, NULL, NULL, false},
    };
    size_t nf = sizeof(f) / sizeof(f[0]);
    int pos[4];
    size_t npos;
    bool help;
    char err[256];
    err[0] = '\0';
    int rc = cr_flags_parse(f, nf, argc, argv, pos, 4, &npos, &help, err,
                            sizeof(err));
    if (rc != 0 && (err[0] == '\0' || strchr(err, '\n')))
        abort(); /* errors are one non-empty line */
    if (rc == 0 && (port < 0 || port > 65535 || !isfinite(dur)))
        abort();
    cr_flags_free(f, nf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192)
        return 0;
    char *s = cr_xstrndup((const char *)data, size);
    check_duration(s);
    check_flags(s);
    free(s);
    return 0;
}
