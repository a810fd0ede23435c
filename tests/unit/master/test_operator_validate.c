/* SPDX-License-Identifier: Apache-2.0
 *
 * test_operator_validate.c: operator_call_validate, the structural check
 * of a v1 master Call before POST /api/v1 dispatches it.
 */
/* cmocka.h needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "master/operator_api.h"

#include <string.h>

static int
check(const char *text, char *err, size_t n)
{
    json_error_t e;
    json_t *call = json_loads(text, 0, &e);
    assert_non_null(call);
    int rc = operator_call_validate(call, err, n);
    json_decref(call);
    return rc;
}

static void
test_valid_calls(void **state)
{
    (void)state;
    char err[256];
    static const char *const ok[] = {
        "{\"type\":\"GET_STATE\"}",
        "{\"type\":\"NO_SUCH_CALL\"}", /* answered 501, not 400 */
        "{\"type\":\"GET_METRICS\"}",
        "{\"type\":\"GET_METRICS\",\"get_metrics\":{\"timeout\":"
        "{\"nanoseconds\":5e9}}}",
        "{\"type\":\"SET_LOGGING_LEVEL\",\"set_logging_level\":{\"level\":1,"
        "\"duration\":{\"nanoseconds\":1000}}}",
        "{\"type\":\"TEARDOWN\",\"teardown\":{\"framework_id\":"
        "{\"value\":\"abc-0000\"}}}",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        assert_int_equal(check(ok[i], err, sizeof(err)), 0);
}

static void
test_invalid_calls(void **state)
{
    (void)state;
    char err[256];
    static const char *const bad[] = {
        "[]",
        "{}",
        "{\"type\":3}",
        "{\"type\":\"\"}",
        "{\"type\":\"SET_LOGGING_LEVEL\"}",
        "{\"type\":\"SET_LOGGING_LEVEL\",\"set_logging_level\":{\"level\":1}}",
        "{\"type\":\"SET_LOGGING_LEVEL\",\"set_logging_level\":{\"level\":-1,"
        "\"duration\":{\"nanoseconds\":1}}}",
        "{\"type\":\"SET_LOGGING_LEVEL\",\"set_logging_level\":{\"level\":1.5,"
        "\"duration\":{\"nanoseconds\":1}}}",
        "{\"type\":\"TEARDOWN\"}",
        "{\"type\":\"TEARDOWN\",\"teardown\":{\"framework_id\":{}}}",
        "{\"type\":\"TEARDOWN\",\"teardown\":{\"framework_id\":"
        "{\"value\":\"\"}}}",
        "{\"type\":\"GET_METRICS\",\"get_metrics\":{\"timeout\":3}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        err[0] = '\0';
        assert_int_equal(check(bad[i], err, sizeof(err)), -1);
        assert_true(strlen(err) > 0);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_calls),
        cmocka_unit_test(test_invalid_calls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
