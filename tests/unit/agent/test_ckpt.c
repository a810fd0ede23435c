/* SPDX-License-Identifier: Apache-2.0
 *
 * test_ckpt.c: durable files (atomic write, append, group commit on a
 * real loop and thread pool) and the task.updates record format
 * (round trip, torn tail, corrupt lines).
 */
/* cmocka needs these system headers first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
/* clang-format on */

#include "agent/ckpt.h"
#include "agent/updates_file.h"
#include "base/err.h"
#include "base/id.h"
#include "base/json.h"
#include "base/mem.h"

static char *
tmpdir(void)
{
    char tmpl[] = "/tmp/corral-test-ckpt-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return cr_xstrdup(d);
}

static void
rmtree(const char *dir)
{
    char *cmd = cr_xasprintf("rm -rf '%s'", dir);
    int rc = system(cmd);
    (void)rc;
    free(cmd);
}

static void
test_atomic_round_trip(void **state)
{
    char *d = tmpdir();
    char *p = cr_xasprintf("%s/a/b/c/file.info", d);
    assert_int_equal(ckpt_write_atomic(p, "hello", 5), 0);
    assert_int_equal(ckpt_write_atomic(p, "world!", 6), 0);
    char *data;
    size_t len;
    assert_int_equal(ckpt_read_file(p, 100, &data, &len), 0);
    assert_int_equal(len, 6);
    assert_string_equal(data, "world!");
    free(data);
    assert_int_equal(ckpt_read_file(p, 5, &data, &len), CR_ETOOBIG);
    assert_null(data);
    char *missing = cr_xasprintf("%s/nope", d);
    assert_true(ckpt_read_file(missing, 5, &data, &len) < 0);
    /* No temp file is left behind. */
    char *tmp = cr_xasprintf("%s.tmp", p);
    assert_int_not_equal(access(tmp, F_OK), 0);
    char *link = cr_xasprintf("%s/latest", d);
    assert_int_equal(ckpt_symlink_atomic("target1", link), 0);
    assert_int_equal(ckpt_symlink_atomic("target2", link), 0);
    char buf[64];
    ssize_t n = readlink(link, buf, sizeof(buf) - 1);
    assert_int_equal(n, 7);
    buf[n] = '\0';
    assert_string_equal(buf, "target2");
    free(link);
    free(tmp);
    free(missing);
    free(p);
    rmtree(d);
    free(d);
}

static int barrier_calls;
static int barrier_err;

static void
on_barrier(void *data, int err)
{
    (void)data;
    barrier_calls++;
    barrier_err = err;
}

static void
test_group_commit(void **state)
{
    char *d = tmpdir();
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct ckpt_queue *q = ckpt_queue_new(&loop);
    char *p = cr_xasprintf("%s/x/task.updates", d);
    char *info = cr_xasprintf("%s/x/task.info", d);
    /* One loop turn's worth of operations: one batch. */
    ckpt_write(q, info, "{}", 2);
    for (int i = 0; i < 50; i++) {
        char line[32];
        int n = snprintf(line, sizeof(line), "line %d\n", i);
        ckpt_append(q, p, line, (size_t)n);
    }
    ckpt_barrier(q, on_barrier, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(barrier_calls, 1);
    assert_int_equal(barrier_err, 0);
    assert_int_equal(ckpt_queue_batches(q), 1);
    assert_true(ckpt_queue_is_idle(q));
    char *data;
    size_t len;
    assert_int_equal(ckpt_read_file(p, 10000, &data, &len), 0);
    assert_non_null(strstr(data, "line 0\nline 1\n"));
    assert_non_null(strstr(data, "line 49\n"));
    free(data);
    /* Appends continue the file in a later batch. */
    ckpt_append(q, p, "tail\n", 5);
    ckpt_barrier(q, on_barrier, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(barrier_calls, 2);
    assert_int_equal(ckpt_read_file(p, 10000, &data, &len), 0);
    assert_int_equal(len, strlen(data));
    assert_string_equal(data + len - 13, "line 49\ntail\n");
    free(data);
    /* The same file written twice in one batch: the later content wins
     * and the batch succeeds (both writes share one temporary file). */
    ckpt_write(q, info, "{\"v\":1}", 7);
    ckpt_write(q, info, "{\"v\":2}", 7);
    ckpt_barrier(q, on_barrier, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(barrier_calls, 3);
    assert_int_equal(barrier_err, 0);
    assert_int_equal(ckpt_read_file(info, 10000, &data, &len), 0);
    assert_string_equal(data, "{\"v\":2}");
    free(data);
    /* A failing operation reports its error to the batch's barrier. */
    char *bad = cr_xasprintf("%s/x/task.info/sub/file", d);
    ckpt_write(q, bad, "z", 1);
    ckpt_barrier(q, on_barrier, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(barrier_calls, 4);
    assert_true(barrier_err < 0);
    ckpt_queue_free(q);
    uv_run(&loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&loop), 0);
    free(bad);
    free(info);
    free(p);
    rmtree(d);
    free(d);
}

struct seen {
    int updates, acks;
    char states[8][32];
};

static int
on_rec(void *ctx, enum updates_rec type, const char *fw, json_t *status,
       const char *uuid)
{
    struct seen *s = ctx;
    if (type == UPDATES_REC_UPDATE) {
        assert_string_equal(fw, "F");
        snprintf(s->states[s->updates++ & 7], 32, "%s",
                 cr_json_str(status, "state"));
    } else {
        s->acks++;
    }
    return 0;
}

static json_t *
mkstatus(const char *state, char uuid[32])
{
    uint8_t raw[16];
    cr_uuid_bytes(raw);
    cr_base64_encode(raw, 16, uuid);
    return json_pack("{s:{s:s},s:s,s:s}", "task_id", "value", "t", "state",
                     state, "uuid", uuid);
}

static void
test_updates_round_trip(void **state)
{
    char u1[32], u2[32];
    json_t *s1 = mkstatus("TASK_RUNNING", u1);
    json_t *s2 = mkstatus("TASK_FINISHED", u2);
    char *l1 = updates_encode_update("F", s1);
    char *l2 = updates_encode_ack(u1);
    char *l3 = updates_encode_update("F", s2);
    char *all = cr_xasprintf("%s%s%s", l1, l2, l3);
    struct seen s = {0};
    size_t valid;
    char err[200];
    assert_int_equal(
        updates_parse(all, strlen(all), on_rec, &s, &valid, err, sizeof(err)),
        0);
    assert_int_equal(s.updates, 2);
    assert_int_equal(s.acks, 1);
    assert_string_equal(s.states[0], "TASK_RUNNING");
    assert_string_equal(s.states[1], "TASK_FINISHED");
    assert_int_equal(valid, strlen(all));
    /* A torn last record is not an error; valid_len stops before it. */
    memset(&s, 0, sizeof(s));
    size_t torn = strlen(l1) + strlen(l2) + strlen(l3) / 2;
    assert_int_equal(
        updates_parse(all, torn, on_rec, &s, &valid, err, sizeof(err)), 0);
    assert_int_equal(valid, strlen(l1) + strlen(l2));
    assert_int_equal(s.updates, 1);
    free(all);
    free(l1);
    free(l2);
    free(l3);
    json_decref(s1);
    json_decref(s2);
}

static void
test_updates_corrupt(void **state)
{
    static const char *const bad[] = {
        "not json\n",
        "{\"type\":\"UPDATE\"}\n",
        "{\"type\":\"UPDATE\",\"framework_id\":{\"value\":\"F\"},\"status\":"
        "{\"task_id\":{\"value\":\"t\"},\"state\":\"TASK_RUNNING\",\"uuid\":"
        "\"c2hvcnQ=\"}}\n",
        "{\"type\":\"UPDATE\",\"framework_id\":{\"value\":\"F\"},\"status\":"
        "{\"task_id\":{\"value\":\"t\"},\"state\":\"NOPE\",\"uuid\":"
        "\"AAAAAAAAAAAAAAAAAAAAAA==\"}}\n",
        "{\"type\":\"ACK\",\"uuid\":12}\n",
        "{\"type\":\"OTHER\"}\n",
        "[1,2]\n",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct seen s = {0};
        size_t valid = 99;
        char err[200] = "";
        assert_int_equal(updates_parse(bad[i], strlen(bad[i]), on_rec, &s,
                                       &valid, err, sizeof(err)),
                         CR_EPROTO_DATA);
        assert_int_equal(valid, 0);
        assert_true(strlen(err) > 0);
        assert_int_equal(s.updates + s.acks, 0);
    }
    /* Empty lines are skipped. */
    struct seen s = {0};
    size_t valid;
    char err[64];
    assert_int_equal(
        updates_parse("\n\n", 2, on_rec, &s, &valid, err, sizeof(err)), 0);
    assert_int_equal(valid, 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_atomic_round_trip),
        cmocka_unit_test(test_group_commit),
        cmocka_unit_test(test_updates_round_trip),
        cmocka_unit_test(test_updates_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
