/* SPDX-License-Identifier: Apache-2.0
 *
 * cli_common.c: see cli.h.
 */
#include "base/mem.h"
#include "cli.h"
#include "detector/master_detector.h"
#include "http_sync.h"
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
    struct cr_master_spec spec;
    struct cr_hostport list[16];
    size_t n = 0;
    char err[512];
    if (cr_master_spec_parse(masters, &spec, err, sizeof(err)) != 0) {
        cli_error(cmd, "bad --master '%s': %s", masters, err);
        return -1;
    }
    int rc = 0;
    if (spec.kind == CR_MASTER_HOSTS &&
        (cr_hostport_parse_list(spec.hosts, 5050, list, 16, &n) || n == 0)) {
        cli_error(cmd, "bad --master '%s'", masters);
        rc = -1;
    }
    cr_master_spec_fini(&spec);
    return rc;
}

int
cli_resolve_master(const char *cmd, const char *masters, char **out)
{
    struct cr_master_spec spec;
    char err[512];
    *out = NULL;
    if (cr_master_spec_parse(masters, &spec, err, sizeof(err)) != 0) {
        cli_error(cmd, "bad --master '%s': %s", masters, err);
        return CLI_EXIT_USAGE;
    }
    if (spec.kind == CR_MASTER_HOSTS) {
        *out = cr_xstrdup(spec.hosts);
        cr_master_spec_fini(&spec);
        return 0;
    }
    struct cr_hostport leader;
    int rc = cr_master_detect_once(&spec.zk, CLI_ZK_SESSION_TIMEOUT,
                                   CLI_ZK_WAIT, &leader, err, sizeof(err));
    cr_master_spec_fini(&spec);
    if (rc != 0) {
        cli_error(cmd, "%s", err);
        return CLI_EXIT_UNAVAILABLE;
    }
    char hp[CR_HOST_MAX + 16];
    *out = cr_xstrdup(cli_hostport_str(&leader, hp, sizeof(hp)));
    return 0;
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
