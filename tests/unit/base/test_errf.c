/* SPDX-License-Identifier: Apache-2.0
 *
 * test_errf.c: cr_errf (src/base/errf.c): the code comes back, the reason
 * is formatted, truncated and terminated, a missing buffer is fine.
 */

/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/errf.h"

#include <string.h>

static void
test_formats_and_returns(void **state)
{
    (void)state;
    char err[64];
    assert_int_equal(
        cr_errf(err, sizeof(err), 400, "Unknown call type '%s'", "NOPE"), 400);
    assert_string_equal(err, "Unknown call type 'NOPE'");
    assert_int_equal(cr_errf(err, sizeof(err), -1, "must be 1 to %d", 255), -1);
    assert_string_equal(err, "must be 1 to 255");
    assert_int_equal(cr_errf(err, sizeof(err), 0, "plain"), 0);
    assert_string_equal(err, "plain");
}

static void
test_truncates(void **state)
{
    (void)state;
    char err[8];
    memset(err, 'x', sizeof(err));
    assert_int_equal(cr_errf(err, sizeof(err), 400, "%s", "0123456789"), 400);
    assert_string_equal(err, "0123456");
    char one[1] = {'x'};
    assert_int_equal(cr_errf(one, 1, 400, "anything"), 400);
    assert_int_equal(one[0], '\0');
}

static void
test_no_buffer(void **state)
{
    (void)state;
    assert_int_equal(cr_errf(NULL, 0, 400, "ignored %d", 1), 400);
    assert_int_equal(cr_errf(NULL, 16, -1, "ignored"), -1);
    char err[4] = "abc";
    assert_int_equal(cr_errf(err, 0, 7, "ignored"), 7);
    assert_string_equal(err, "abc"); /* errlen 0: untouched */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats_and_returns),
        cmocka_unit_test(test_truncates),
        cmocka_unit_test(test_no_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
