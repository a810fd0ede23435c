/* SPDX-License-Identifier: Apache-2.0
 *
 * test_buf.c: the bounded buffer keeps its maximum, its NUL and its
 * contents on refusal.
 */

/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/buf.h"
#include "base/err.h"
#include "tests.h"

#include <stdlib.h>
#include <string.h>

static void
test_append_and_limit(void **state)
{
    struct cr_buf b;
    cr_buf_init(&b, 10);
    assert_null(b.data);
    assert_int_equal(cr_buf_append(&b, "hello", 5), 0);
    assert_int_equal(cr_buf_puts(&b, "world"), 0); /* exactly max */
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "helloworld");
    assert_int_equal(cr_buf_append(&b, "!", 1), CR_ETOOBIG);
    assert_int_equal(cr_buf_printf(&b, "%d", 1), CR_ETOOBIG);
    assert_string_equal(b.data, "helloworld"); /* unchanged */
    assert_int_equal(cr_buf_append(&b, "", 0), 0);
    cr_buf_fini(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void
test_huge_append_refused(void **state)
{
    struct cr_buf b;
    cr_buf_init(&b, 100);
    assert_int_equal(cr_buf_append(&b, "x", SIZE_MAX), CR_ETOOBIG);
    assert_int_equal(cr_buf_append(&b, "abc", 3), 0);
    assert_int_equal(cr_buf_append(&b, "x", SIZE_MAX - 1), CR_ETOOBIG);
    assert_int_equal(b.len, 3);
    cr_buf_fini(&b);
}

static void
test_printf_grows(void **state)
{
    struct cr_buf b;
    cr_buf_init(&b, 1 << 20);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(cr_buf_printf(&b, "%04d,", i), 0);
    assert_int_equal(b.len, 5000);
    assert_int_equal(b.data[b.len], '\0');
    assert_memory_equal(b.data + 4995, "0999,", 5);
    cr_buf_fini(&b);
}

static void
test_consume_reset_steal(void **state)
{
    struct cr_buf b;
    cr_buf_init(&b, 64);
    cr_buf_puts(&b, "abcdef");
    cr_buf_consume(&b, 2);
    assert_string_equal(b.data, "cdef");
    cr_buf_consume(&b, 100);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    cr_buf_puts(&b, "xyz");
    cr_buf_reset(&b);
    assert_string_equal(b.data, "");
    cr_buf_puts(&b, "kept");
    char *s = cr_buf_steal(&b);
    assert_string_equal(s, "kept");
    free(s);
    assert_null(b.data);
    assert_int_equal(b.max, 64); /* still usable with the same limit */
    s = cr_buf_steal(&b);
    assert_string_equal(s, "");
    free(s);
    assert_int_equal(cr_buf_puts(&b, "again"), 0);
    cr_buf_fini(&b);
}

int
run_buf_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_and_limit),
        cmocka_unit_test(test_huge_append_refused),
        cmocka_unit_test(test_printf_grows),
        cmocka_unit_test(test_consume_reset_steal),
    };
    return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
