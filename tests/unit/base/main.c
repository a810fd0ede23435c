/* SPDX-License-Identifier: Apache-2.0
 *
 * main.c: runs one group of the base unit tests (argv[1]) or all of them.
 */
#include "tests.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(void);
} groups[] = {
    {"buf", run_buf_tests},
    {"duration", run_duration_tests},
    {"flags", run_flags_tests},
    {"id", run_id_tests},
};

int
main(int argc, char **argv)
{
    int failed = 0, ran = 0;
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
