/* SPDX-License-Identifier: Apache-2.0
 *
 * cli_test.c: helpers shared by the CLI unit tests (cli_test.h).
 */
/* cmocka.h needs the headers before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include "cli_test.h"

#include "base/buf.h"

json_t *
jq(const char *text)
{
    char *s = strdup(text);
    for (char *p = s; *p; p++)
        if (*p == '\'')
            *p = '"';
    json_error_t e;
    json_t *v = json_loads(s, JSON_DECODE_ANY, &e);
    if (v == NULL)
        fail_msg("bad test JSON: %s: %s", e.text, s);
    free(s);
    return v;
}

char *
render(struct cli_table *t)
{
    struct cr_buf b;
    cr_buf_init(&b, 1 << 16);
    cli_table_render(t, &b);
    cli_table_fini(t);
    return cr_buf_steal(&b);
}
