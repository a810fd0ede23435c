/* SPDX-License-Identifier: Apache-2.0
 *
 * test_msg.c: the JSON codec of log messages: round trips of every type,
 * and rejection of malformed or out-of-range input.
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
#include "log/msg.h"
#include "tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
round_trip(const struct cr_log_msg *m, struct cr_log_msg *out)
{
    struct cr_buf b;
    cr_buf_init(&b, 1 << 26);
    assert_int_equal(cr_log_msg_to_json(m, &b), 0);
    char err[256];
    int rc = cr_log_msg_from_json(b.data, b.len, out, err, sizeof(err));
    if (rc != 0)
        fail_msg("decode failed: %s: %s", err, b.data);
    cr_buf_fini(&b);
}

static void
test_requests(void **state)
{
    (void)state;
    struct cr_log_msg m = {.type = CR_LOG_MSG_PROMISE, .ballot = 4}, d;
    round_trip(&m, &d);
    assert_int_equal(d.type, CR_LOG_MSG_PROMISE);
    assert_int_equal(d.ballot, 4);
    assert_false(d.ranged);
    cr_log_msg_fini(&d);

    m = (struct cr_log_msg){.type = CR_LOG_MSG_PROMISE,
                            .ballot = 4,
                            .ranged = true,
                            .from = 3,
                            .to = 9};
    round_trip(&m, &d);
    assert_true(d.ranged);
    assert_int_equal(d.from, 3);
    assert_int_equal(d.to, 9);
    cr_log_msg_fini(&d);

    uint8_t val[300];
    for (size_t i = 0; i < sizeof(val); i++)
        val[i] = (uint8_t)i;
    struct cr_log_action acts[2] = {
        {.position = 5,
         .type = CR_LOG_APPEND,
         .value = val,
         .value_len = sizeof(val)},
        {.position = 6, .type = CR_LOG_TRUNCATE, .truncate_to = 2},
    };
    m = (struct cr_log_msg){.type = CR_LOG_MSG_WRITE, .ballot = 7};
    cr_log_msg_add_action(&m, &acts[0]);
    cr_log_msg_add_action(&m, &acts[1]);
    round_trip(&m, &d);
    assert_int_equal(d.n_actions, 2);
    assert_int_equal(d.actions[0].value_len, sizeof(val));
    assert_memory_equal(d.actions[0].value, val, sizeof(val));
    assert_int_equal(d.actions[1].type, CR_LOG_TRUNCATE);
    assert_int_equal(d.actions[1].truncate_to, 2);
    cr_log_msg_fini(&d);
    cr_log_msg_fini(&m);

    m = (struct cr_log_msg){.type = CR_LOG_MSG_LEARNED, .ballot = 7};
    cr_log_msg_add_position(&m, 5);
    cr_log_msg_add_position(&m, 6);
    round_trip(&m, &d);
    assert_int_equal(d.n_positions, 2);
    assert_int_equal(d.positions[1], 6);
    cr_log_msg_fini(&d);
    cr_log_msg_fini(&m);

    m = (struct cr_log_msg){.type = CR_LOG_MSG_RECOVER};
    round_trip(&m, &d);
    assert_int_equal(d.type, CR_LOG_MSG_RECOVER);
    cr_log_msg_fini(&d);
}

static void
test_reply(void **state)
{
    (void)state;
    struct cr_log_msg m = {.type = CR_LOG_MSG_REPLY,
                           .result = CR_LOG_NACK,
                           .ballot = 3,
                           .status = CR_LOG_VOTING,
                           .promised = 8,
                           .begin = 2,
                           .end = 30,
                           .upto = 20,
                           .ranged = true,
                           .from = 10,
                           .to = 40};
    struct cr_log_action a = {.position = 12,
                              .performed = 6,
                              .promised = 6,
                              .learned = true,
                              .type = CR_LOG_NOP};
    cr_log_msg_add_action(&m, &a);
    struct cr_log_msg d;
    round_trip(&m, &d);
    assert_int_equal(d.result, CR_LOG_NACK);
    assert_int_equal(d.status, CR_LOG_VOTING);
    assert_int_equal(d.promised, 8);
    assert_int_equal(d.begin, 2);
    assert_int_equal(d.end, 30);
    assert_int_equal(d.upto, 20);
    assert_int_equal(d.actions[0].performed, 6);
    assert_true(d.actions[0].learned);
    struct cr_log_msg c;
    cr_log_msg_copy(&c, &d);
    assert_int_equal(c.actions[0].position, 12);
    cr_log_msg_fini(&c);
    cr_log_msg_fini(&d);
    cr_log_msg_fini(&m);
}

static void
test_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "[]",
        "{}",
        "{\"type\":\"NOPE\"}",
        "{\"type\":\"PROMISE\"}", /* no ballot */
        "{\"type\":\"PROMISE\",\"ballot\":-1}",
        "{\"type\":\"PROMISE\",\"ballot\":1.5}",
        "{\"type\":\"PROMISE\",\"ballot\":1,\"from\":5,\"to\":4}",
        "{\"type\":\"PROMISE\",\"ballot\":1,\"from\":5}",
        "{\"type\":\"READ\"}",
        "{\"type\":\"WRITE\",\"ballot\":1}", /* no actions */
        "{\"type\":\"WRITE\",\"ballot\":1,\"actions\":[{\"position\":0,"
        "\"type\":\"NOP\"}]}",
        "{\"type\":\"WRITE\",\"ballot\":1,\"actions\":[{\"position\":2,"
        "\"type\":\"NOP\"},{\"position\":2,\"type\":\"NOP\"}]}",
        "{\"type\":\"WRITE\",\"ballot\":1,\"actions\":[{\"position\":2,"
        "\"type\":\"APPEND\",\"value\":\"***\"}]}",
        "{\"type\":\"WRITE\",\"ballot\":1,\"actions\":[{\"position\":2,"
        "\"type\":\"NOP\",\"value\":\"AAAA\"}]}",
        "{\"type\":\"WRITE\",\"ballot\":1,\"actions\":[{\"position\":2,"
        "\"type\":\"TRUNCATE\",\"truncate_to\":3}]}",
        "{\"type\":\"WRITE\",\"ballot\":1,\"actions\":[{\"position\":2,"
        "\"type\":\"NOP\",\"learned\":1}]}",
        "{\"type\":\"LEARNED\",\"ballot\":1}",
        "{\"type\":\"LEARNED\",\"ballot\":1,\"positions\":[\"x\"]}",
        "{\"type\":\"REPLY\"}",
        "{\"type\":\"REPLY\",\"result\":\"ACK\",\"status\":\"SLEEPY\"}",
        "{\"type\":\"PROMISE\",\"ballot\":1,\"type\":\"WRITE\"}",
        "{\"type\":\"PROMISE\",\"ballot\":9223372036854775808}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct cr_log_msg d;
        char err[256] = "";
        if (cr_log_msg_from_json(bad[i], strlen(bad[i]), &d, err,
                                 sizeof(err)) != CR_EPROTO_DATA)
            fail_msg("accepted: %s", bad[i]);
        assert_true(err[0] != '\0');
        assert_int_equal(d.n_actions, 0);
    }
}

static void
test_limits(void **state)
{
    (void)state;
    /* more positions than a page allows */
    struct cr_buf b;
    cr_buf_init(&b, 1 << 20);
    cr_buf_puts(&b, "{\"type\":\"LEARNED\",\"ballot\":1,\"positions\":[");
    for (unsigned i = 0; i <= CR_LOG_PAGE_ACTIONS; i++)
        cr_buf_printf(&b, "%s%u", i ? "," : "", i + 1);
    cr_buf_puts(&b, "]}");
    struct cr_log_msg d;
    assert_int_equal(cr_log_msg_from_json(b.data, b.len, &d, NULL, 0),
                     CR_EPROTO_DATA);
    cr_buf_fini(&b);
    /* values adding up past a page */
    struct cr_log_msg m = {.type = CR_LOG_MSG_WRITE, .ballot = 1};
    uint8_t *big = calloc(1, CR_LOG_PAGE_BYTES / 2 + 1);
    for (int i = 0; i < 2; i++) {
        struct cr_log_action a = {.position = (uint64_t)i + 1,
                                  .type = CR_LOG_APPEND,
                                  .value = big,
                                  .value_len = CR_LOG_PAGE_BYTES / 2 + 1};
        cr_log_msg_add_action(&m, &a);
    }
    free(big);
    assert_int_equal(cr_log_msg_check(&m), CR_EPROTO_DATA);
    cr_log_msg_fini(&m);
}

int
run_msg_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requests),
        cmocka_unit_test(test_reply),
        cmocka_unit_test(test_rejects),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests_name("msg", tests, NULL, NULL);
}
