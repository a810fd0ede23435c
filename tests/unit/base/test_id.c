/* SPDX-License-Identifier: Apache-2.0
 *
 * test_id.c: UUID text form and base64 round trips and refusals.
 */

/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/err.h"
#include "base/id.h"
#include "tests.h"

#include <stdbool.h>
#include <string.h>

static bool
is_hex_lower(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static void
test_uuid_format(void **state)
{
    char a[CR_UUID_STR_LEN + 1], b[CR_UUID_STR_LEN + 1];
    cr_uuid_str(a);
    cr_uuid_str(b);
    assert_int_equal(strlen(a), CR_UUID_STR_LEN);
    assert_string_not_equal(a, b);
    for (int i = 0; i < CR_UUID_STR_LEN; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23)
            assert_int_equal(a[i], '-');
        else
            assert_true(is_hex_lower(a[i]));
    }
    assert_int_equal(a[14], '4');           /* version 4 */
    assert_non_null(strchr("89ab", a[19])); /* RFC 4122 variant */
    const uint8_t fixed[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0x4d, 0xef,
                               0x80, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0xff};
    cr_uuid_format(fixed, a);
    assert_string_equal(a, "12345678-9abc-4def-8001-0203040506ff");
}

static void
test_base64_known(void **state)
{
    char out[64];
    cr_base64_encode((const uint8_t *)"", 0, out);
    assert_string_equal(out, "");
    cr_base64_encode((const uint8_t *)"f", 1, out);
    assert_string_equal(out, "Zg==");
    cr_base64_encode((const uint8_t *)"fo", 2, out);
    assert_string_equal(out, "Zm8=");
    cr_base64_encode((const uint8_t *)"foobar", 6, out);
    assert_string_equal(out, "Zm9vYmFy");
    assert_int_equal(cr_base64_encoded_len(16), 24);
}

static void
test_base64_round_trip(void **state)
{
    for (size_t n = 0; n <= 40; n++) {
        uint8_t in[40], back[40];
        char text[64];
        size_t got = 999;
        cr_random_bytes(in, n);
        cr_base64_encode(in, n, text);
        assert_int_equal(strlen(text), cr_base64_encoded_len(n));
        assert_int_equal(cr_base64_decode(text, back, &got), 0);
        assert_int_equal(got, n);
        assert_memory_equal(in, back, n);
    }
}

static void
test_base64_bad(void **state)
{
    static const char *const bad[] = {
        "Zg=",  "Zg",       "Z",    "Zm9v!mFy", "Z===",
        "====", "Zg==Zg==", "Zm=v", "Zm9 ",     "Zm\n9v",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint8_t out[16];
        size_t n;
        if (cr_base64_decode(bad[i], out, &n) != CR_EINVAL_INPUT)
            fail_msg("'%s' decoded", bad[i]);
    }
}

int
run_id_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uuid_format),
        cmocka_unit_test(test_base64_known),
        cmocka_unit_test(test_base64_round_trip),
        cmocka_unit_test(test_base64_bad),
    };
    return cmocka_run_group_tests_name("id", tests, NULL, NULL);
}
