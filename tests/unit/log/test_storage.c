/* SPDX-License-Identifier: Apache-2.0
 *
 * test_storage.c: the LMDB replica storage: fresh state, round trips,
 * group commit order, truncation, reopen, corrupt records and meta, a
 * child process killed mid-write (acknowledged batches survive, a batch is
 * all or nothing), a full map, close with a commit in flight.
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
#include "base/mem.h"
#include "log/record.h"
#include "log/storage.h"
#include "tests.h"
#include "util.h"

#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct fx {
    uv_loop_t loop;
    char *dir;
    struct cr_log_storage *s;
    int done; /* callbacks seen */
    int order[64];
    int last_err;
};

static int
setup(void **state)
{
    struct fx *f = cr_xcalloc(1, sizeof(*f));
    uv_loop_init(&f->loop);
    f->dir = tu_tmpdir();
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    cr_log_storage_close(f->s);
    tu_loop_close(&f->loop);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void
open_storage(struct fx *f, size_t map)
{
    char err[256];
    struct cr_log_storage_opts o = {.map_size = map, .no_sync = true};
    assert_int_equal(
        cr_log_storage_open(&f->loop, f->dir, &o, &f->s, err, sizeof(err)), 0);
}

struct cbarg {
    struct fx *f;
    int id;
};

static void
on_done(void *data, int err)
{
    struct cbarg *a = data;
    a->f->order[a->f->done++] = a->id;
    a->f->last_err = err;
}

static bool
done_at_least(void *data)
{
    struct fx *f = ((struct cbarg *)data)->f;
    return f->done >= ((struct cbarg *)data)->id + 1;
}

static void
commit(struct fx *f, struct cr_log_batch *b)
{
    struct cbarg a = {f, f->done};
    assert_int_equal(cr_log_storage_submit(f->s, b, on_done, &a), 0);
    assert_true(tu_run_until_pred(&f->loop, done_at_least, &a, 10));
    assert_int_equal(f->last_err, 0);
}

static struct cr_log_action
append(uint64_t pos, const char *text)
{
    return (struct cr_log_action){.position = pos,
                                  .promised = 1,
                                  .performed = 1,
                                  .type = CR_LOG_APPEND,
                                  .value = (uint8_t *)(uintptr_t)text,
                                  .value_len = strlen(text)};
}

static void
test_fresh(void **state)
{
    struct fx *f = *state;
    open_storage(f, 0);
    struct cr_log_meta m;
    assert_int_equal(cr_log_storage_get_meta(f->s, &m), 0);
    assert_int_equal(m.status, CR_LOG_EMPTY);
    assert_int_equal(m.promised, 0);
    assert_int_equal(m.begin, 1);
    uint64_t end = 99;
    assert_int_equal(cr_log_storage_end(f->s, &end), 0);
    assert_int_equal(end, 0);
    struct cr_log_action a;
    assert_int_equal(cr_log_storage_get(f->s, 1, &a), CR_ENOTFOUND);
}

static int
collect(void *data, const struct cr_log_action *a)
{
    uint64_t *seen = data;
    seen[++seen[0]] = a->position;
    return 0;
}

static void
test_round_trip_and_reopen(void **state)
{
    struct fx *f = *state;
    open_storage(f, 0);
    struct cr_log_batch *b = cr_log_batch_new();
    struct cr_log_meta m = {.status = CR_LOG_VOTING, .promised = 5, .begin = 1};
    cr_log_batch_set_meta(b, &m);
    const char *texts[] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++) {
        struct cr_log_action a = append((uint64_t)i + 1, texts[i]);
        assert_int_equal(cr_log_batch_put(b, &a), 0);
    }
    struct cr_log_action nop = {
        .position = 7, .performed = 5, .type = CR_LOG_NOP, .learned = true};
    assert_int_equal(cr_log_batch_put(b, &nop), 0);
    assert_int_equal(cr_log_batch_size(b), 5);
    commit(f, b);

    cr_log_storage_close(f->s);
    f->s = NULL;
    open_storage(f, 0);
    assert_int_equal(cr_log_storage_get_meta(f->s, &m), 0);
    assert_int_equal(m.status, CR_LOG_VOTING);
    assert_int_equal(m.promised, 5);
    struct cr_log_action a;
    assert_int_equal(cr_log_storage_get(f->s, 2, &a), 0);
    assert_int_equal(a.value_len, 3);
    assert_memory_equal(a.value, "two", 3);
    cr_log_action_fini(&a);
    assert_int_equal(cr_log_storage_get(f->s, 7, &a), 0);
    assert_true(a.learned);
    assert_int_equal(a.type, CR_LOG_NOP);
    assert_int_equal(cr_log_storage_get(f->s, 4, &a), CR_ENOTFOUND);
    uint64_t end;
    assert_int_equal(cr_log_storage_end(f->s, &end), 0);
    assert_int_equal(end, 7);
    uint64_t seen[16] = {0};
    assert_int_equal(cr_log_storage_scan(f->s, 2, 100, collect, seen), 0);
    assert_int_equal(seen[0], 3);
    assert_int_equal(seen[1], 2);
    assert_int_equal(seen[2], 3);
    assert_int_equal(seen[3], 7);
}

static void
test_group_commit_order(void **state)
{
    struct fx *f = *state;
    open_storage(f, 0);
    struct cbarg args[20];
    for (int i = 0; i < 20; i++) {
        struct cr_log_batch *b = cr_log_batch_new();
        char text[16];
        snprintf(text, sizeof(text), "v%d", i);
        struct cr_log_action a = append((uint64_t)i + 1, text);
        assert_int_equal(cr_log_batch_put(b, &a), 0);
        args[i] = (struct cbarg){f, i};
        assert_int_equal(cr_log_storage_submit(f->s, b, on_done, &args[i]), 0);
    }
    assert_true(cr_log_storage_pending(f->s) == 20);
    assert_true(tu_run_until_pred(&f->loop, done_at_least, &args[19], 10));
    for (int i = 0; i < 20; i++)
        assert_int_equal(f->order[i], i);
    assert_int_equal(cr_log_storage_pending(f->s), 0);
    /* a later overwrite of the same position wins */
    struct cr_log_batch *b = cr_log_batch_new();
    struct cr_log_action a = append(3, "again");
    a.learned = true;
    assert_int_equal(cr_log_batch_put(b, &a), 0);
    commit(f, b);
    struct cr_log_action r;
    assert_int_equal(cr_log_storage_get(f->s, 3, &r), 0);
    assert_memory_equal(r.value, "again", 5);
    assert_true(r.learned);
    cr_log_action_fini(&r);
}

static void
test_truncate(void **state)
{
    struct fx *f = *state;
    open_storage(f, 0);
    struct cr_log_batch *b = cr_log_batch_new();
    for (uint64_t i = 1; i <= 10; i++) {
        struct cr_log_action a = append(i, "x");
        assert_int_equal(cr_log_batch_put(b, &a), 0);
    }
    commit(f, b);
    b = cr_log_batch_new();
    cr_log_batch_truncate(b, 6);
    struct cr_log_meta m = {.status = CR_LOG_VOTING, .promised = 1, .begin = 6};
    cr_log_batch_set_meta(b, &m);
    commit(f, b);
    uint64_t seen[16] = {0};
    assert_int_equal(cr_log_storage_scan(f->s, 1, 100, collect, seen), 0);
    assert_int_equal(seen[0], 5);
    assert_int_equal(seen[1], 6);
    assert_int_equal(cr_log_storage_get_meta(f->s, &m), 0);
    assert_int_equal(m.begin, 6);
    /* truncating past the end empties the table */
    b = cr_log_batch_new();
    cr_log_batch_truncate(b, 100);
    commit(f, b);
    uint64_t end = 1;
    assert_int_equal(cr_log_storage_end(f->s, &end), 0);
    assert_int_equal(end, 0);
}

/* Write raw bytes under a key, bypassing the encoder. */
static void
raw_put(const char *dir, const char *table, const void *key, size_t klen,
        const void *val, size_t vlen)
{
    MDB_env *env;
    MDB_txn *txn;
    MDB_dbi dbi;
    assert_int_equal(mdb_env_create(&env), 0);
    assert_int_equal(mdb_env_set_maxdbs(env, 2), 0);
    assert_int_equal(mdb_env_set_mapsize(env, (size_t)1 << 30), 0);
    assert_int_equal(mdb_env_open(env, dir, MDB_NOTLS, 0600), 0);
    assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
    assert_int_equal(mdb_dbi_open(txn, table, MDB_CREATE, &dbi), 0);
    MDB_val k = {.mv_size = klen, .mv_data = (void *)(uintptr_t)key};
    MDB_val v = {.mv_size = vlen, .mv_data = (void *)(uintptr_t)val};
    assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
    assert_int_equal(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

static void
test_corrupt_action(void **state)
{
    struct fx *f = *state;
    open_storage(f, 0);
    cr_log_storage_close(f->s);
    f->s = NULL;
    uint8_t key[8];
    cr_log_key_encode(4, key);
    raw_put(f->dir, "actions", key, 8, "garbage!", 8);
    /* a valid record filed under the wrong position */
    struct cr_buf rec;
    cr_buf_init(&rec, 1024);
    struct cr_log_action a = append(9, "misfiled");
    assert_int_equal(cr_log_record_encode_action(&a, &rec), 0);
    cr_log_key_encode(5, key);
    raw_put(f->dir, "actions", key, 8, rec.data, rec.len);
    cr_buf_fini(&rec);

    open_storage(f, 0);
    struct cr_log_action r;
    assert_int_equal(cr_log_storage_get(f->s, 4, &r), CR_EPROTO_DATA);
    assert_int_equal(cr_log_storage_get(f->s, 5, &r), CR_EPROTO_DATA);
    uint64_t seen[16] = {0};
    assert_int_equal(cr_log_storage_scan(f->s, 1, 100, collect, seen),
                     CR_EPROTO_DATA);
}

static void
test_corrupt_meta(void **state)
{
    struct fx *f = *state;
    open_storage(f, 0);
    cr_log_storage_close(f->s);
    f->s = NULL;
    raw_put(f->dir, "meta", "meta", 4, "CLM1 not really", 15);
    char err[256] = "";
    struct cr_log_storage_opts o = {.no_sync = true};
    assert_int_equal(
        cr_log_storage_open(&f->loop, f->dir, &o, &f->s, err, sizeof(err)),
        CR_EPROTO_DATA);
    assert_null(f->s);
    assert_non_null(strstr(err, "unreadable"));
}

static void
test_bad_dir(void **state)
{
    struct fx *f = *state;
    char err[256] = "";
    char *path = cr_xasprintf("%s/file", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
    char *below = cr_xasprintf("%s/sub", path);
    assert_true(cr_log_storage_open(&f->loop, below, NULL, &f->s, err,
                                    sizeof(err)) < 0);
    assert_non_null(strstr(err, "cannot create"));
    free(below);
    free(path);
}

static void
test_invalid_put(void **state)
{
    (void)state;
    struct cr_log_batch *b = cr_log_batch_new();
    struct cr_log_action a = {.position = 0, .type = CR_LOG_NOP};
    assert_int_equal(cr_log_batch_put(b, &a), CR_EPROTO_DATA);
    uint8_t v = 0;
    struct cr_log_action big = {.position = 1,
                                .type = CR_LOG_APPEND,
                                .value = &v,
                                .value_len = CR_LOG_MAX_VALUE + 1};
    assert_int_equal(cr_log_batch_put(b, &big), CR_EPROTO_DATA);
    assert_int_equal(cr_log_batch_size(b), 0);
    cr_log_batch_free(b);
}

static void
test_map_full(void **state)
{
    struct fx *f = *state;
    open_storage(f, 256 * 1024);
    size_t n = 64 * 1024;
    uint8_t *val = cr_xmalloc(n);
    memset(val, 'z', n);
    struct cbarg args[8];
    for (int i = 0; i < 8; i++) {
        struct cr_log_batch *b = cr_log_batch_new();
        struct cr_log_action a = {.position = (uint64_t)i + 1,
                                  .type = CR_LOG_APPEND,
                                  .value = val,
                                  .value_len = n};
        assert_int_equal(cr_log_batch_put(b, &a), 0);
        args[i] = (struct cbarg){f, i};
        int rc = cr_log_storage_submit(f->s, b, on_done, &args[i]);
        assert_int_equal(rc, 0);
        assert_true(tu_run_until_pred(&f->loop, done_at_least, &args[i], 10));
        if (f->last_err != 0)
            break;
    }
    free(val);
    assert_int_equal(f->last_err, CR_ETOOBIG);
    assert_int_equal(cr_log_storage_failed(f->s), CR_ETOOBIG);
    struct cr_log_batch *b = cr_log_batch_new();
    assert_int_equal(cr_log_storage_submit(f->s, b, on_done, &args[0]),
                     CR_ETOOBIG);
}

static void
never(void *data, int err)
{
    (void)err;
    *(bool *)data = true;
}

static void
test_close_in_flight(void **state)
{
    struct fx *f = *state;
    open_storage(f, 0);
    bool called = false;
    for (int i = 0; i < 3; i++) {
        struct cr_log_batch *b = cr_log_batch_new();
        struct cr_log_action a = append((uint64_t)i + 1, "bye");
        assert_int_equal(cr_log_batch_put(b, &a), 0);
        assert_int_equal(cr_log_storage_submit(f->s, b, never, &called), 0);
    }
    cr_log_storage_close(f->s);
    f->s = NULL;
    tu_drain(&f->loop);
    uv_run(&f->loop, UV_RUN_DEFAULT); /* the job finishes on the pool */
    assert_false(called);
}

/* The child commits batches of two actions and reports each commit on a
 * pipe, then is killed with batches still in flight. */
static void
crash_child(const char *dir, int wfd)
{
    uv_loop_t loop;
    uv_loop_init(&loop);
    struct cr_log_storage *s;
    char err[256];
    struct cr_log_storage_opts o = {0}; /* real fsync */
    if (cr_log_storage_open(&loop, dir, &o, &s, err, sizeof(err)) != 0)
        _exit(3);
    for (int i = 0; i < 200; i++) {
        struct cr_log_batch *b = cr_log_batch_new();
        for (int k = 0; k < 2; k++) {
            struct cr_log_action a = append((uint64_t)(2 * i + k + 1), "pair");
            if (cr_log_batch_put(b, &a) != 0)
                _exit(4);
        }
        (void)cr_log_storage_submit(s, b, NULL, NULL);
        /* Report commits as they happen: poll the pending count. */
        while (cr_log_storage_pending(s) > 3)
            uv_run(&loop, UV_RUN_ONCE);
        int committed = i + 1 - (int)cr_log_storage_pending(s);
        if (write(wfd, &committed, sizeof(committed)) < 0)
            _exit(5);
    }
    pause(); /* the parent kills us */
    _exit(0);
}

static void
test_crash_mid_write(void **state)
{
    struct fx *f = *state;
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        crash_child(f->dir, fds[1]);
    }
    close(fds[1]);
    int committed = -1, v;
    /* read a few reports, then kill at once */
    for (int i = 0; i < 20 && read(fds[0], &v, sizeof(v)) == sizeof(v); i++)
        committed = v;
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    close(fds[0]);
    assert_true(committed >= 0);

    open_storage(f, 0);
    uint64_t end;
    assert_int_equal(cr_log_storage_end(f->s, &end), 0);
    /* every acknowledged batch is there; batches are all or nothing */
    assert_true(end >= (uint64_t)(2 * committed));
    assert_int_equal(end % 2, 0);
    uint64_t *seen = cr_xcalloc(end + 2, sizeof(uint64_t));
    assert_int_equal(cr_log_storage_scan(f->s, 1, end, collect, seen), 0);
    assert_int_equal(seen[0], end);
    free(seen);
}

int
run_storage_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_fresh, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip_and_reopen, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_group_commit_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_truncate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_action, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupt_meta, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_put, setup, teardown),
        cmocka_unit_test_setup_teardown(test_map_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_close_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_crash_mid_write, setup, teardown),
    };
    return cmocka_run_group_tests_name("storage", tests, NULL, NULL);
}
