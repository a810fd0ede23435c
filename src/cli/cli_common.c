/* SPDX-License-Identifier: Apache-2.0
 *
 * cli_common.c: see cli.h.
 */
#include "cli.h"
#include "net/url.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

const char *
cli_default_master(void)
{
    const char *m = getenv("CORRAL_MASTER");
    return m && *m ? m : "127.0.0.1:5050";
}

int
cli_check_master(const char *cmd, const char *masters)
{
    struct cr_hostport list[16];
    size_t n;
    if (cr_hostport_parse_list(masters, 5050, list, 16, &n) == 0 && n > 0)
        return 0;
    cli_error(cmd, "bad --master '%s'", masters);
    return -1;
}

void
cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "corral %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int
cli_parse(const char *cmd, const char *usage, const char *summary,
          const struct cli_opt *opts, size_t n, int argc, char **argv,
          size_t max_pos, struct cli_args *a)
{
    char err[256];
    if (cli_args_parse(opts, n, argc, argv, max_pos, a, err, sizeof(err))) {
        cli_error(cmd, "%s (see corral %s --help)", err, cmd);
        return -1;
    }
    if (a->help) {
        cli_usage(stdout, usage, summary, opts, n);
        return 1;
    }
    return 0;
}
