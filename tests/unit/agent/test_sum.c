/* SPDX-License-Identifier: Apache-2.0
 *
 * test_sum.c: the status update manager with fake ops (checkpoints the
 * test completes by hand, a recorded forward list, a fake clock).
 */
/* cmocka needs these system headers first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include "agent/sum.h"
#include "agent/updates_file.h"
#include "base/err.h"
#include "base/id.h"
#include "base/json.h"
#include "base/mem.h"

#define MAXREC 64

struct pending {
    sum_ckpt_done_cb done;
    void *arg;
};

struct fake {
    uint64_t now;
    char *lines[MAXREC];
    int n_lines;
    struct pending pend[MAXREC];
    int n_pend;
    char *fwd_uuid[MAXREC];
    char *fwd_latest[MAXREC];
    int n_fwd;
    char *durable[MAXREC];
    int n_durable;
    int done;
};

static void
f_checkpoint(void *ctx, const char *path, const char *line, size_t len,
             sum_ckpt_done_cb done, void *arg)
{
    struct fake *f = ctx;
    (void)path;
    f->lines[f->n_lines++] = cr_xstrndup(line, len);
    if (done) {
        f->pend[f->n_pend].done = done;
        f->pend[f->n_pend].arg = arg;
        f->n_pend++;
    }
}

static void
f_forward(void *ctx, const char *fw, const json_t *status, const char *latest)
{
    struct fake *f = ctx;
    (void)fw;
    f->fwd_uuid[f->n_fwd] = cr_xstrdup(cr_json_str(status, "uuid"));
    f->fwd_latest[f->n_fwd] = cr_xstrdup(latest);
    f->n_fwd++;
}

static void
f_durable(void *ctx, const char *fw, const char *exec, const char *task,
          const char *uuid)
{
    struct fake *f = ctx;
    f->durable[f->n_durable++] = cr_xstrdup(uuid);
}

static void
f_done(void *ctx, const char *fw, const char *task)
{
    struct fake *f = ctx;
    f->done++;
}

static uint64_t
f_now(void *ctx)
{
    return ((struct fake *)ctx)->now;
}

static const struct sum_ops ops = {f_checkpoint, f_forward, f_durable, f_done,
                                   f_now};

static void
fake_free(struct fake *f)
{
    for (int i = 0; i < f->n_lines; i++)
        free(f->lines[i]);
    for (int i = 0; i < f->n_fwd; i++) {
        free(f->fwd_uuid[i]);
        free(f->fwd_latest[i]);
    }
    for (int i = 0; i < f->n_durable; i++)
        free(f->durable[i]);
}

/* Complete every pending checkpoint, in order. */
static void
complete_all(struct fake *f)
{
    int n = f->n_pend;
    f->n_pend = 0;
    for (int i = 0; i < n; i++)
        f->pend[i].done(f->pend[i].arg, 0);
}

static json_t *
status(const char *task, const char *state, char uuid_out[32])
{
    uint8_t raw[16];
    cr_uuid_bytes(raw);
    cr_base64_encode(raw, 16, uuid_out);
    json_t *s =
        json_pack("{s:{s:s},s:s,s:s,s:s}", "task_id", "value", task, "state",
                  state, "source", "SOURCE_EXECUTOR", "uuid", uuid_out);
    return s;
}

static void
test_order_and_ack(void **state)
{
    struct fake f = {0};
    struct sum *m = sum_new(&ops, &f);
    char u1[32], u2[32], u3[32];
    json_t *s1 = status("t", "TASK_STARTING", u1);
    json_t *s2 = status("t", "TASK_RUNNING", u2);
    json_t *s3 = status("t", "TASK_FINISHED", u3);
    assert_int_equal(sum_update(m, "F", "E", "/p", s1), SUM_NEW);
    assert_int_equal(sum_update(m, "F", "E", "/p", s2), SUM_NEW);
    /* Nothing leaves before the checkpoint is durable. */
    assert_int_equal(f.n_fwd, 0);
    assert_int_equal(f.n_durable, 0);
    complete_all(&f);
    assert_int_equal(f.n_durable, 2);
    /* Only the head goes out, carrying the newest state. */
    assert_int_equal(f.n_fwd, 1);
    assert_string_equal(f.fwd_uuid[0], u1);
    assert_string_equal(f.fwd_latest[0], "TASK_RUNNING");
    assert_int_equal(sum_update(m, "F", "E", "/p", s3), SUM_NEW);
    complete_all(&f);
    assert_int_equal(f.n_fwd, 1);
    assert_int_equal(sum_latest_state(m, "F", "t"), 2 /* FINISHED */);
    /* Acks move the head along, in order. */
    assert_int_equal(sum_acknowledge(m, "F", "t", u1), 0);
    assert_int_equal(f.n_fwd, 2);
    assert_string_equal(f.fwd_uuid[1], u2);
    assert_string_equal(f.fwd_latest[1], "TASK_FINISHED");
    assert_int_equal(sum_acknowledge(m, "F", "t", u2), 0);
    assert_string_equal(f.fwd_uuid[2], u3);
    assert_int_equal(f.done, 0);
    assert_int_equal(sum_acknowledge(m, "F", "t", u3), 0);
    /* Terminal and fully acknowledged: the stream is finished. */
    assert_int_equal(f.done, 1);
    assert_int_equal(sum_stream_count(m), 0);
    /* The checkpoint holds 3 UPDATE lines and 3 ACK lines. */
    assert_int_equal(f.n_lines, 6);
    assert_non_null(strstr(f.lines[3], "\"ACK\""));
    assert_non_null(strstr(f.lines[3], u1));
    json_decref(s1);
    json_decref(s2);
    json_decref(s3);
    sum_free(m);
    fake_free(&f);
}

static void
test_ack_not_head_ignored(void **state)
{
    struct fake f = {0};
    struct sum *m = sum_new(&ops, &f);
    char u1[32], u2[32];
    json_t *s1 = status("t", "TASK_STARTING", u1);
    json_t *s2 = status("t", "TASK_RUNNING", u2);
    sum_update(m, "F", "E", "/p", s1);
    sum_update(m, "F", "E", "/p", s2);
    complete_all(&f);
    assert_int_equal(sum_acknowledge(m, "F", "t", u2), CR_ESTATE);
    assert_int_equal(sum_queue_len(m, "F", "t"), 2);
    assert_int_equal(f.n_fwd, 1);
    assert_int_equal(sum_acknowledge(m, "F", "nope", u1), CR_ENOTFOUND);
    assert_int_equal(sum_acknowledge(m, "F", "t", u1), 0);
    /* A second ack of the same uuid is not the head any more. */
    assert_int_equal(sum_acknowledge(m, "F", "t", u1), CR_ESTATE);
    assert_int_equal(sum_queue_len(m, "F", "t"), 1);
    json_decref(s1);
    json_decref(s2);
    sum_free(m);
    fake_free(&f);
}

static void
test_duplicates(void **state)
{
    struct fake f = {0};
    struct sum *m = sum_new(&ops, &f);
    char u1[32];
    json_t *s1 = status("t", "TASK_RUNNING", u1);
    assert_int_equal(sum_update(m, "F", "E", "/p", s1), SUM_NEW);
    /* Duplicate before durability: no second checkpoint, no early ack. */
    assert_int_equal(sum_update(m, "F", "E", "/p", s1), SUM_DUPLICATE);
    assert_int_equal(f.n_lines, 1);
    assert_int_equal(f.n_durable, 0);
    complete_all(&f);
    assert_int_equal(f.n_durable, 1);
    /* Duplicate after durability: acknowledged to the executor again. */
    assert_int_equal(sum_update(m, "F", "E", "/p", s1), SUM_DUPLICATE);
    assert_int_equal(f.n_durable, 2);
    assert_int_equal(sum_queue_len(m, "F", "t"), 1);
    /* Duplicate after the scheduler's ack: still not queued again. */
    sum_acknowledge(m, "F", "t", u1);
    assert_int_equal(sum_update(m, "F", "E", "/p", s1), SUM_DUPLICATE);
    assert_int_equal(sum_queue_len(m, "F", "t"), 0);
    assert_int_equal(f.n_fwd, 1);
    json_decref(s1);
    sum_free(m);
    fake_free(&f);
}

static void
test_retry_backoff(void **state)
{
    struct fake f = {0};
    struct sum *m = sum_new(&ops, &f);
    sum_set_retry(m, 1000, 4000);
    char u1[32];
    json_t *s1 = status("t", "TASK_RUNNING", u1);
    sum_update(m, "F", "E", "/p", s1);
    complete_all(&f);
    assert_int_equal(f.n_fwd, 1);
    sum_tick(m, 999);
    assert_int_equal(f.n_fwd, 1);
    sum_tick(m, 1000); /* next after 2000 */
    assert_int_equal(f.n_fwd, 2);
    sum_tick(m, 2999);
    assert_int_equal(f.n_fwd, 2);
    sum_tick(m, 3000); /* next after 4000 (cap) */
    assert_int_equal(f.n_fwd, 3);
    sum_tick(m, 6999);
    assert_int_equal(f.n_fwd, 3);
    sum_tick(m, 7000); /* still 4000: capped */
    assert_int_equal(f.n_fwd, 4);
    sum_tick(m, 11000);
    assert_int_equal(f.n_fwd, 5);
    for (int i = 0; i < f.n_fwd; i++)
        assert_string_equal(f.fwd_uuid[i], u1);
    /* flush resends at once and resets the backoff. */
    sum_flush(m);
    assert_int_equal(f.n_fwd, 6);
    f.now = 20000;
    sum_flush(m);
    sum_tick(m, 20999);
    assert_int_equal(f.n_fwd, 7);
    sum_tick(m, 21000);
    assert_int_equal(f.n_fwd, 8);
    /* After the ack there is nothing left to retry. */
    sum_acknowledge(m, "F", "t", u1);
    sum_tick(m, 100000);
    assert_int_equal(f.n_fwd, 8);
    json_decref(s1);
    sum_free(m);
    fake_free(&f);
}

static void
test_not_checkpointed_and_invalid(void **state)
{
    struct fake f = {0};
    struct sum *m = sum_new(&ops, &f);
    char u1[32];
    json_t *s1 = status("t", "TASK_RUNNING", u1);
    assert_int_equal(sum_update(m, "F", "E", NULL, s1), SUM_NEW);
    assert_int_equal(f.n_lines, 0);
    assert_int_equal(f.n_fwd, 1);
    assert_int_equal(f.n_durable, 1);
    json_t *bad = json_pack("{s:{s:s},s:s,s:s}", "task_id", "value", "t",
                            "state", "TASK_RUNNING", "uuid", "short");
    assert_int_equal(sum_update(m, "F", "E", NULL, bad), CR_EINVAL_INPUT);
    json_object_set_new(bad, "uuid", json_string(u1));
    json_object_set_new(bad, "state", json_string("TASK_BOGUS"));
    assert_int_equal(sum_update(m, "F", "E", NULL, bad), CR_EINVAL_INPUT);
    json_decref(bad);
    json_decref(s1);
    sum_free(m);
    fake_free(&f);
}

static void
test_recover_replay(void **state)
{
    struct fake f = {0};
    struct sum *m = sum_new(&ops, &f);
    char u1[32], u2[32], u3[32], v1[32];
    json_t *s1 = status("t", "TASK_STARTING", u1);
    json_t *s2 = status("t", "TASK_RUNNING", u2);
    json_t *s3 = status("t", "TASK_FINISHED", u3);
    json_t *w1 = status("done", "TASK_FAILED", v1);
    sum_recover_update(m, "F", "E", "/p", s1);
    sum_recover_update(m, "F", "E", "/p", s2);
    assert_int_equal(sum_recover_ack(m, "F", "t", u1), 0);
    assert_int_equal(sum_recover_ack(m, "F", "t", u1), CR_ESTATE);
    sum_recover_update(m, "F", "E", "/p", s3);
    sum_recover_update(m, "F", "E", "/q", w1);
    assert_int_equal(sum_recover_ack(m, "F", "done", v1), 0);
    sum_recover_done(m);
    /* "done" was terminal and acknowledged: finished. */
    assert_int_equal(f.done, 1);
    assert_int_equal(sum_stream_count(m), 1);
    assert_int_equal(f.n_fwd, 0);
    assert_int_equal(f.n_lines, 0);
    sum_flush(m);
    assert_int_equal(f.n_fwd, 1);
    assert_string_equal(f.fwd_uuid[0], u2);
    assert_string_equal(f.fwd_latest[0], "TASK_FINISHED");
    /* An update resent by the executor after recovery is a duplicate. */
    assert_int_equal(sum_update(m, "F", "E", "/p", s3), SUM_DUPLICATE);
    json_decref(s1);
    json_decref(s2);
    json_decref(s3);
    json_decref(w1);
    sum_free(m);
    fake_free(&f);
}

static void
test_free_with_pending_checkpoint(void **state)
{
    struct fake f = {0};
    struct sum *m = sum_new(&ops, &f);
    char u1[32];
    json_t *s1 = status("t", "TASK_RUNNING", u1);
    sum_update(m, "F", "E", "/p", s1);
    sum_free(m);
    complete_all(&f); /* must not touch the freed manager */
    assert_int_equal(f.n_durable, 0);
    json_decref(s1);
    fake_free(&f);
}

static void
test_remove_framework(void **state)
{
    struct fake f = {0};
    struct sum *m = sum_new(&ops, &f);
    char u1[32], u2[32];
    json_t *s1 = status("a", "TASK_RUNNING", u1);
    json_t *s2 = status("b", "TASK_RUNNING", u2);
    sum_update(m, "F", "E", NULL, s1);
    sum_update(m, "G", "E", NULL, s2);
    sum_remove_framework(m, "F");
    assert_int_equal(sum_stream_count(m), 1);
    assert_int_equal(sum_latest_state(m, "F", "a"), -1);
    assert_int_equal(sum_latest_state(m, "G", "b"), 1);
    json_decref(s1);
    json_decref(s2);
    sum_free(m);
    fake_free(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_ack),
        cmocka_unit_test(test_ack_not_head_ignored),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_retry_backoff),
        cmocka_unit_test(test_not_checkpointed_and_invalid),
        cmocka_unit_test(test_recover_replay),
        cmocka_unit_test(test_free_with_pending_checkpoint),
        cmocka_unit_test(test_remove_framework),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
