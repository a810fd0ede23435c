/* SPDX-License-Identifier: Apache-2.0
 *
 * test_files_query.c: files_proxy_query_parse, the check of a client's
 * /files/<op>?agent_id=&path=[&offset=&length=] on the master and the
 * request it builds for the agent.
 */
/* cmocka.h needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/err.h"
#include "master/master.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID      "0f1e2d3c-aaaa-bbbb-cccc-0123456789ab-S0"
#define SANDBOX "/frameworks/fw-1/executors/task-1/runs/latest"

/* Parse; on success return the target (owned), else NULL with *rc set. */
static char *
target_of(const char *what, const char *query, int *rc)
{
    struct files_proxy_query q;
    char err[256];
    *rc = files_proxy_query_parse(what, query, &q, err, sizeof(err));
    if (*rc != 0) {
        assert_non_null(strlen(err) ? err : NULL); /* a reason is given */
        assert_null(q.target);
        assert_null(q.agent_id);
        return NULL;
    }
    char *t = strdup(q.target);
    files_proxy_query_fini(&q);
    return t;
}

static void
expect_target(const char *what, const char *query, const char *want)
{
    int rc;
    char *t = target_of(what, query, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(t, want);
    free(t);
}

static void
expect_rc(const char *what, const char *query, int want)
{
    int rc;
    char *t = target_of(what, query, &rc);
    assert_null(t);
    assert_int_equal(rc, want);
}

static void
test_browse_and_download(void **state)
{
    (void)state;
    expect_target("browse", "agent_id=" ID "&path=" SANDBOX,
                  "/files/browse?path=" SANDBOX);
    /* Encoded input, any parameter order; other parameters are dropped
     * (offset and length mean nothing to browse or download). */
    expect_target("download",
                  "jsonp=cb&path=%2Fsandbox%2Fstd%20out&offset=3&agent_id=" ID,
                  "/files/download?path=/sandbox/std%20out");
    struct files_proxy_query q;
    char err[128];
    assert_int_equal(files_proxy_query_parse("browse",
                                             "agent_id=" ID "&path=/a", &q, err,
                                             sizeof(err)),
                     0);
    assert_int_equal(q.op, FILES_PROXY_BROWSE);
    assert_string_equal(q.agent_id, ID);
    assert_string_equal(q.path, "/a");
    files_proxy_query_fini(&q);
    assert_null(q.target);
}

static void
test_path_is_reencoded(void **state)
{
    (void)state;
    /* Whatever the client sent, the agent gets one safe request line:
     * only unreserved characters and '/' unescaped. */
    expect_target("browse",
                  "agent_id=" ID "&path=/a+b/c%26d=e%3Ff%23g/%C3%A9/%0D%0A",
                  "/files/browse?path=/a%20b/c%26d%3De%3Ff%23g/%C3%A9/%0D%0A");
    /* ".." is the agent's to refuse (it answers 400): passed as is. */
    expect_target("browse", "agent_id=" ID "&path=/a/../b",
                  "/files/browse?path=/a/../b");
}

static void
test_read_offset_length(void **state)
{
    (void)state;
    char want[256];
    /* Absent: offset -1 (the agent answers the size), length capped. */
    snprintf(want, sizeof(want),
             "/files/read?path=/s/stdout&offset=-1&length=%u",
             FILES_PROXY_MAX_READ);
    expect_target("read", "agent_id=" ID "&path=/s/stdout", want);
    expect_target("read", "agent_id=" ID "&path=/s/stdout&length=-1", want);
    expect_target("read", "agent_id=" ID "&path=/s/stdout&length=99999999999",
                  want);
    expect_target("read", "agent_id=" ID "&path=/s/stdout&offset=0&length=10",
                  "/files/read?path=/s/stdout&offset=0&length=10");
    expect_target("read",
                  "agent_id=" ID "&path=/s/stdout&offset=123456789012&length=0",
                  "/files/read?path=/s/stdout&offset=123456789012&length=0");
    static const char *const bad[] = {
        "offset=-2", "length=-5",   "offset=abc", "offset=",
        "offset=1x", "length=1.5",  "offset=+",   "offset=99999999999999999999",
        "length= 1", "offset=0x10",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char q[256];
        snprintf(q, sizeof(q), "agent_id=%s&path=/s/stdout&%s", ID, bad[i]);
        expect_rc("read", q, CR_EINVAL_INPUT);
    }
}

static void
test_bad_parameters(void **state)
{
    (void)state;
    expect_rc("browse", NULL, CR_EINVAL_INPUT);
    expect_rc("browse", "", CR_EINVAL_INPUT);
    expect_rc("browse", "path=/a", CR_EINVAL_INPUT);
    expect_rc("browse", "agent_id=&path=/a", CR_EINVAL_INPUT);
    expect_rc("browse", "agent_id=a%20b&path=/a", CR_EINVAL_INPUT);
    expect_rc("browse", "agent_id=a%0Ab&path=/a", CR_EINVAL_INPUT);
    expect_rc("read", "agent_id=" ID, CR_EINVAL_INPUT);
    expect_rc("read", "agent_id=" ID "&path=", CR_EINVAL_INPUT);
    expect_rc("read", "agent_id=" ID "&path=relative/x", CR_EINVAL_INPUT);
    expect_rc("download", "agent_id=" ID "&path", CR_EINVAL_INPUT);

    /* Bounded: an id over FILES_PROXY_ID_MAX, a path over
     * FILES_PROXY_PATH_MAX. */
    size_t n = FILES_PROXY_PATH_MAX + 64;
    char *q = malloc(n + 64);
    strcpy(q, "agent_id=" ID "&path=/");
    size_t len = strlen(q);
    memset(q + len, 'x', FILES_PROXY_PATH_MAX);
    q[len + FILES_PROXY_PATH_MAX] = '\0';
    expect_rc("browse", q, CR_EINVAL_INPUT);
    q[len + FILES_PROXY_PATH_MAX - 1] = '\0'; /* exactly the maximum */
    int rc;
    char *t = target_of("browse", q, &rc);
    assert_int_equal(rc, 0);
    free(t);
    strcpy(q, "path=/a&agent_id=");
    len = strlen(q);
    memset(q + len, 'i', FILES_PROXY_ID_MAX + 1);
    q[len + FILES_PROXY_ID_MAX + 1] = '\0';
    expect_rc("browse", q, CR_EINVAL_INPUT);
    free(q);
}

static void
test_endpoints(void **state)
{
    (void)state;
    expect_rc("", "agent_id=" ID "&path=/a", CR_ENOTFOUND);
    expect_rc("browse/x", "agent_id=" ID "&path=/a", CR_ENOTFOUND);
    expect_rc("readx", "agent_id=" ID "&path=/a", CR_ENOTFOUND);
    /* debug: the master's own (no agent) or an agent's table. */
    struct files_proxy_query q;
    char err[128];
    assert_int_equal(
        files_proxy_query_parse("debug", NULL, &q, err, sizeof(err)), 0);
    assert_null(q.agent_id);
    assert_null(q.path);
    assert_string_equal(q.target, "/files/debug");
    files_proxy_query_fini(&q);
    expect_target("debug", "agent_id=" ID, "/files/debug");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_browse_and_download),
        cmocka_unit_test(test_path_is_reencoded),
        cmocka_unit_test(test_read_offset_length),
        cmocka_unit_test(test_bad_parameters),
        cmocka_unit_test(test_endpoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
