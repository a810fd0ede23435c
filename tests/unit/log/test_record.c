/* SPDX-License-Identifier: Apache-2.0
 *
 * test_record.c: on-disk records: round trips, and every kind of damage
 * (flipped bit, short input, bad magic, bad type, lying length, fields out
 * of range) is a clean CR_EPROTO_DATA.
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
#include "log/record.h"
#include "tests.h"

#include <stdlib.h>
#include <string.h>

static void
encode(const struct cr_log_action *a, struct cr_buf *b)
{
    cr_buf_init(b, 1 << 24);
    assert_int_equal(cr_log_record_encode_action(a, b), 0);
}

static void
test_action_round_trip(void **state)
{
    (void)state;
    uint8_t val[] = {0, 1, 2, 0xff, 'x'};
    struct cr_log_action a = {.position = 42,
                              .promised = 7,
                              .performed = 6,
                              .learned = true,
                              .type = CR_LOG_APPEND,
                              .value = val,
                              .value_len = sizeof(val)};
    struct cr_buf b;
    encode(&a, &b);
    assert_int_equal(b.len, CR_LOG_ACTION_RECORD_MIN + sizeof(val));
    struct cr_log_action d;
    assert_int_equal(cr_log_record_decode_action((uint8_t *)b.data, b.len, &d),
                     0);
    assert_int_equal(d.position, 42);
    assert_int_equal(d.promised, 7);
    assert_int_equal(d.performed, 6);
    assert_true(d.learned);
    assert_int_equal(d.type, CR_LOG_APPEND);
    assert_int_equal(d.value_len, sizeof(val));
    assert_memory_equal(d.value, val, sizeof(val));
    cr_log_action_fini(&d);
    cr_buf_fini(&b);

    struct cr_log_action t = {.position = 9,
                              .performed = 3,
                              .type = CR_LOG_TRUNCATE,
                              .truncate_to = 5};
    encode(&t, &b);
    assert_int_equal(cr_log_record_decode_action((uint8_t *)b.data, b.len, &d),
                     0);
    assert_int_equal(d.type, CR_LOG_TRUNCATE);
    assert_int_equal(d.truncate_to, 5);
    assert_false(d.learned);
    assert_null(d.value);
    cr_log_action_fini(&d);
    cr_buf_fini(&b);
}

static void
test_action_damage(void **state)
{
    (void)state;
    uint8_t val[16];
    memset(val, 'v', sizeof(val));
    struct cr_log_action a = {.position = 3,
                              .performed = 1,
                              .type = CR_LOG_APPEND,
                              .value = val,
                              .value_len = sizeof(val)};
    struct cr_buf b;
    encode(&a, &b);
    uint8_t *p = (uint8_t *)b.data;
    struct cr_log_action d;
    /* every single-bit flip is caught */
    for (size_t i = 0; i < b.len * 8; i++) {
        p[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(cr_log_record_decode_action(p, b.len, &d),
                         CR_EPROTO_DATA);
        p[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    /* every truncation is caught */
    for (size_t n = 0; n < b.len; n++)
        assert_int_equal(cr_log_record_decode_action(p, n, &d), CR_EPROTO_DATA);
    cr_buf_fini(&b);
}

static void
test_action_invalid_fields(void **state)
{
    (void)state;
    struct cr_buf b;
    cr_buf_init(&b, 1 << 20);
    uint8_t v = 1;
    struct cr_log_action bad[] = {
        {.position = 0, .type = CR_LOG_NOP},                 /* pos 0 */
        {.position = 1, .type = (enum cr_log_action_type)9}, /* type */
        {.position = 1, .type = CR_LOG_NOP, .value = &v, .value_len = 1},
        {.position = 4, .type = CR_LOG_TRUNCATE, .truncate_to = 5}, /* > pos */
        {.position = 4, .type = CR_LOG_TRUNCATE, .truncate_to = 0},
        {.position = 4, .type = CR_LOG_APPEND, .truncate_to = 2},
        {.position = CR_LOG_MAX_U63 + 1, .type = CR_LOG_NOP},
        {.position = 1, .type = CR_LOG_APPEND, .value = NULL, .value_len = 3},
        {.position = 1,
         .type = CR_LOG_APPEND,
         .value = &v,
         .value_len = CR_LOG_MAX_VALUE + 1},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(cr_log_record_encode_action(&bad[i], &b),
                         CR_EPROTO_DATA);
        assert_int_equal(b.len, 0);
    }
    cr_buf_fini(&b);
}

static void
test_meta(void **state)
{
    (void)state;
    struct cr_log_meta m = {
        .status = CR_LOG_VOTING, .promised = 99, .begin = 12};
    uint8_t rec[CR_LOG_META_RECORD_LEN];
    cr_log_record_encode_meta(&m, rec);
    struct cr_log_meta d;
    assert_int_equal(cr_log_record_decode_meta(rec, sizeof(rec), &d), 0);
    assert_int_equal(d.status, CR_LOG_VOTING);
    assert_int_equal(d.promised, 99);
    assert_int_equal(d.begin, 12);
    for (size_t i = 0; i < sizeof(rec) * 8; i++) {
        rec[i / 8] ^= (uint8_t)(1u << (i % 8));
        assert_int_equal(cr_log_record_decode_meta(rec, sizeof(rec), &d),
                         CR_EPROTO_DATA);
        rec[i / 8] ^= (uint8_t)(1u << (i % 8));
    }
    assert_int_equal(cr_log_record_decode_meta(rec, sizeof(rec) - 1, &d),
                     CR_EPROTO_DATA);
    struct cr_log_meta zero = {.status = CR_LOG_EMPTY, .begin = 0};
    cr_log_record_encode_meta(&zero, rec);
    assert_int_equal(cr_log_record_decode_meta(rec, sizeof(rec), &d),
                     CR_EPROTO_DATA);
}

static void
test_keys_and_crc(void **state)
{
    (void)state;
    uint8_t k1[8], k2[8];
    cr_log_key_encode(255, k1);
    cr_log_key_encode(256, k2);
    assert_true(memcmp(k1, k2, 8) < 0);
    assert_int_equal(cr_log_key_decode(k2), 256);
    /* the standard check value of CRC-32/IEEE */
    assert_int_equal(cr_log_crc32("123456789", 9), 0xCBF43926u);
}

int
run_record_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_action_round_trip),
        cmocka_unit_test(test_action_damage),
        cmocka_unit_test(test_action_invalid_fields),
        cmocka_unit_test(test_meta),
        cmocka_unit_test(test_keys_and_crc),
    };
    return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
