/* SPDX-License-Identifier: Apache-2.0
 *
 * cli_test.h: helpers shared by the CLI unit tests (cli_test.c).
 */
#ifndef CR_TESTS_CLI_TEST_H
#define CR_TESTS_CLI_TEST_H

#include "cli/table.h"

#include <jansson.h>

/* JSON written with single quotes for readability ('a' is "a"); a test
 * failure if it does not parse. The caller owns the value. */
json_t *jq(const char *text);
/* Render t as `corral` prints it, free t, and return the text (the
 * caller frees it). */
char *render(struct cli_table *t);

#endif
