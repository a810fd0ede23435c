/* SPDX-License-Identifier: Apache-2.0
 *
 * test_duration.c: Mesos duration text, both ways, and what is refused.
 */

/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/duration.h"
#include "base/err.h"
#include "tests.h"

#include <math.h>
#include <string.h>

static void
check_parse(const char *s, double want)
{
    double v = -1;
    if (cr_duration_parse(s, &v) != 0)
        fail_msg("'%s' did not parse", s);
    if (fabs(v - want) > 1e-12 * (want > 1 ? want : 1))
        fail_msg("'%s' gave %.12g, want %.12g", s, v, want);
}

static void
test_parse(void **state)
{
    check_parse("5secs", 5);
    check_parse("1.5mins", 90);
    check_parse("100ms", 0.1);
    check_parse("250us", 250e-6);
    check_parse("10ns", 10e-9);
    check_parse("2hrs", 7200);
    check_parse("1days", 86400);
    check_parse("3weeks", 3 * 604800);
    check_parse("0secs", 0);
    check_parse("0.5secs", 0.5);
    check_parse("15secs", 15);
}

static void
test_parse_bad(void **state)
{
    static const char *const bad[] = {
        "",        "5",       "secs",     "-5secs", "+5secs",    " 5secs",
        "5 secs",  "5secs ",  "5sec",     "5SECS",  "inf",       "nansecs",
        "infsecs", "1e3secs", "0x10secs", ".secs",  "5.5.5secs", "5minutes",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        double v = 42;
        if (cr_duration_parse(bad[i], &v) != CR_EINVAL_INPUT)
            fail_msg("'%s' parsed", bad[i]);
        assert_true(v == 42); /* untouched on error */
    }
    double v;
    assert_int_equal(cr_duration_parse(NULL, &v), CR_EINVAL_INPUT);
    char huge[400];
    memset(huge, '9', 300);
    strcpy(huge + 300, "weeks");
    assert_int_equal(cr_duration_parse(huge, &v), CR_EINVAL_INPUT);
    /* long but within the length limit: large and finite */
    char over[80];
    memset(over, '9', 55);
    strcpy(over + 55, "weeks");
    assert_int_equal(cr_duration_parse(over, &v), 0);
    assert_true(isfinite(v));
}

static void
check_format(double secs, const char *want)
{
    char out[32];
    assert_string_equal(cr_duration_format(secs, out, sizeof(out)), want);
}

static void
test_format(void **state)
{
    check_format(5, "5secs");
    check_format(600, "10mins");
    check_format(0.1, "100ms");
    check_format(0, "0ns");
    check_format(7200, "2hrs");
    check_format(86400, "1days");
    check_format(1209600, "2weeks");
    check_format(1e-6, "1us");
    check_format(15, "15secs");
    char small[4];
    cr_duration_format(600, small, sizeof(small)); /* truncates, no overflow */
    assert_int_equal(strlen(small), 3);
}

static void
test_round_trip(void **state)
{
    const double values[] = {0,  1e-9, 0.001, 0.25, 1,     1.5,    5,
                             59, 60,   90,    3600, 86400, 604800, 1e6};
    for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
        char out[32];
        double back;
        cr_duration_format(values[i], out, sizeof(out));
        assert_int_equal(cr_duration_parse(out, &back), 0);
        assert_true(fabs(back - values[i]) <= 1e-9 * (values[i] + 1));
    }
}

int
run_duration_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_round_trip),
    };
    return cmocka_run_group_tests_name("duration", tests, NULL, NULL);
}
