/* SPDX-License-Identifier: Apache-2.0
 *
 * main.c: runs one group of the log unit tests (argv[1]) or all of them.
 */
/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/log.h"
#include "tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(void);
} groups[] = {
    {"record", run_record_tests},
    {"storage", run_storage_tests},
    {"msg", run_msg_tests},
    {"replica", run_replica_tests},
    {"coordinator", run_coordinator_tests},
    {"recover", run_recover_tests},
    {"http", run_http_tests},
};

int
main(int argc, char **argv)
{
    int failed = 0, ran = 0;
    if (getenv("CR_TEST_VERBOSE") == NULL)
        cr_log_set_level(CR_LOG_ERROR);
    if (getenv("CR_TEST_FILTER") != NULL) /* one test by name (glob) */
        cmocka_set_test_filter(getenv("CR_TEST_FILTER"));
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
        if (argc > 1 && strcmp(argv[1], groups[i].name) != 0)
            continue;
        failed += groups[i].run();
        ran++;
    }
    if (ran == 0) {
        fprintf(stderr, "unknown group '%s'\n", argv[1]);
        return 2;
    }
    return failed ? 1 : 0;
}
