/* SPDX-License-Identifier: Apache-2.0
 *
 * test_table.c: the table printer (src/cli/table.c).
 */
/* cmocka.h needs the headers before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include "cli/table.h"

static void
test_render(void **state)
{
    struct cli_table t;
    struct cr_buf b;
    const char *hdr[] = {"ID", "STATE", "NAME"};
    const char *r1[] = {"task-1", "TASK_RUNNING", "sleep"};
    const char *r2[] = {"t2", NULL, "a\tb\nc"};
    cli_table_init(&t, 3, hdr);
    cli_table_add(&t, r1);
    cli_table_add(&t, r2);
    assert_int_equal(cli_table_rows(&t), 2);
    cr_buf_init(&b, 1 << 16);
    assert_int_equal(cli_table_render(&t, &b), 0);
    assert_string_equal(b.data, "ID      STATE         NAME\n"
                                "task-1  TASK_RUNNING  sleep\n"
                                "t2      -             a?b?c\n");
    cr_buf_fini(&b);
    cli_table_fini(&t);
}

static void
test_header_only_and_limit(void **state)
{
    struct cli_table t;
    struct cr_buf b;
    const char *hdr[] = {"A", "B"};
    cli_table_init(&t, 2, hdr);
    cr_buf_init(&b, 1 << 16);
    assert_int_equal(cli_table_render(&t, &b), 0);
    assert_string_equal(b.data, "A  B\n");
    cr_buf_fini(&b);
    /* A buffer too small fails cleanly instead of truncating silently. */
    cr_buf_init(&b, 3);
    assert_true(cli_table_render(&t, &b) < 0);
    cr_buf_fini(&b);
    cli_table_fini(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_header_only_and_limit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
