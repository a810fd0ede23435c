/* SPDX-License-Identifier: Apache-2.0
 *
 * main.c: corral-executor entry point (see executor.h).
 */
#include "base/log.h"
#include "executor.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
    if (argc > 1 &&
        (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("Usage: corral-executor\n\nThe default command executor. "
               "Started by corral-agent with the MESOS_* executor "
               "environment\n(MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID, "
               "MESOS_AGENT_ENDPOINT, MESOS_DIRECTORY, ...).\n");
        return 0;
    }
    cr_log_set_ident("executor");
    signal(SIGPIPE, SIG_IGN);
    struct ex_config c;
    char err[256];
    if (ex_config_from_env(&c, err, sizeof(err)) != 0) {
        fprintf(stderr, "corral-executor: %s\n", err);
        return 1;
    }
    return ex_run(uv_default_loop(), &c);
}
