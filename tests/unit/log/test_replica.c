/* SPDX-License-Identifier: Apache-2.0
 *
 * test_replica.c: the acceptor: status gating, promise and write rules,
 * NACKs carrying the promise, learned actions being final, truncation,
 * pages, replies in decision order, duplicates, durability across
 * reopen, invalid input, close with requests pending.
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
#include "log/replica.h"
#include "tests.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXR 64

struct fx {
    uv_loop_t loop;
    char *dir;
    struct cr_log_replica *r;
    struct cr_log_msg replies[MAXR];
    int errs[MAXR];
    int n; /* answers received, in order */
    int order[MAXR];
};

struct slot {
    struct fx *f;
    int id;
};

static struct slot slots[MAXR];

static void
open_replica(struct fx *f)
{
    char err[256];
    struct cr_log_storage_opts o = {.no_sync = true};
    assert_int_equal(
        cr_log_replica_open(&f->loop, f->dir, &o, &f->r, err, sizeof(err)), 0);
}

static void
on_status_done(void *data, int err)
{
    *(int *)data = err + 1000; /* any value marks "done" */
}

static bool
int_set(void *data)
{
    return *(int *)data != 0;
}

static void
make_voting(struct fx *f)
{
    int done = 0;
    assert_int_equal(cr_log_replica_set_status(f->r, CR_LOG_VOTING, 0, "test",
                                               on_status_done, &done),
                     0);
    assert_true(tu_run_until_pred(&f->loop, int_set, &done, 5));
    assert_int_equal(done, 1000);
}

static int
setup(void **state)
{
    struct fx *f = cr_xcalloc(1, sizeof(*f));
    uv_loop_init(&f->loop);
    f->dir = tu_tmpdir();
    open_replica(f);
    *state = f;
    return 0;
}

static void
clear(struct fx *f)
{
    for (int i = 0; i < f->n; i++)
        cr_log_msg_fini(&f->replies[i]);
    f->n = 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    clear(f);
    cr_log_replica_close(f->r);
    tu_loop_close(&f->loop);
    tu_rmrf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void
on_reply(void *data, int err, const struct cr_log_msg *reply)
{
    struct slot *s = data;
    struct fx *f = s->f;
    assert_true(f->n < MAXR);
    f->order[f->n] = s->id;
    f->errs[f->n] = err;
    memset(&f->replies[f->n], 0, sizeof(f->replies[0]));
    if (reply)
        cr_log_msg_copy(&f->replies[f->n], reply);
    f->n++;
}

/* Send without waiting; id identifies the answer. */
static void
send_req(struct fx *f, int id, const struct cr_log_msg *m)
{
    slots[id] = (struct slot){f, id};
    cr_log_replica_handle(f->r, m, on_reply, &slots[id]);
}

static bool
got_n(void *data)
{
    struct fx *f = data;
    return f->n >= f->order[MAXR - 1];
}

static void
wait_n(struct fx *f, int n)
{
    f->order[MAXR - 1] = n;
    assert_true(tu_run_until_pred(&f->loop, got_n, f, 10));
}

/* Send one request and return its reply (borrowed from f). */
static const struct cr_log_msg *
call(struct fx *f, const struct cr_log_msg *m)
{
    clear(f);
    int before = f->n;
    send_req(f, 0, m);
    assert_int_equal(f->n, before); /* never answered synchronously */
    wait_n(f, 1);
    assert_int_equal(f->errs[0], 0);
    return &f->replies[0];
}

static struct cr_log_msg
promise(uint64_t ballot)
{
    return (struct cr_log_msg){.type = CR_LOG_MSG_PROMISE, .ballot = ballot};
}

static struct cr_log_msg
ranged(enum cr_log_msg_type t, uint64_t ballot, uint64_t from, uint64_t to)
{
    return (struct cr_log_msg){
        .type = t, .ballot = ballot, .ranged = true, .from = from, .to = to};
}

static struct cr_log_msg
write1(uint64_t ballot, uint64_t pos, const char *text)
{
    struct cr_log_msg m = {.type = CR_LOG_MSG_WRITE, .ballot = ballot};
    struct cr_log_action a = {.position = pos,
                              .type = text ? CR_LOG_APPEND : CR_LOG_NOP,
                              .value = (uint8_t *)(uintptr_t)text,
                              .value_len = text ? strlen(text) : 0};
    cr_log_msg_add_action(&m, &a);
    return m;
}

static void
test_empty_ignores(void **state)
{
    struct fx *f = *state;
    struct cr_log_msg m = promise(1);
    const struct cr_log_msg *r = call(f, &m);
    assert_int_equal(r->result, CR_LOG_IGNORED);
    assert_int_equal(r->status, CR_LOG_EMPTY);
    m = write1(1, 1, "x");
    r = call(f, &m);
    assert_int_equal(r->result, CR_LOG_IGNORED);
    cr_log_msg_fini(&m);
    m = (struct cr_log_msg){.type = CR_LOG_MSG_RECOVER};
    r = call(f, &m);
    assert_int_equal(r->result, CR_LOG_ACK);
    assert_int_equal(r->status, CR_LOG_EMPTY);
    assert_int_equal(r->begin, 1);
    assert_int_equal(r->end, 0);
}

static void
test_promise_rules(void **state)
{
    struct fx *f = *state;
    make_voting(f);
    struct cr_log_msg m = promise(1);
    assert_int_equal(call(f, &m)->result, CR_LOG_ACK);
    const struct cr_log_msg *r = call(f, &m); /* same ballot again */
    assert_int_equal(r->result, CR_LOG_NACK);
    assert_int_equal(r->promised, 1);
    m = promise(3);
    assert_int_equal(call(f, &m)->result, CR_LOG_ACK);
    m = promise(2);
    r = call(f, &m);
    assert_int_equal(r->result, CR_LOG_NACK);
    assert_int_equal(r->promised, 3);
    /* a ranged promise accepts an equal ballot */
    m = ranged(CR_LOG_MSG_PROMISE, 3, 1, 10);
    r = call(f, &m);
    assert_int_equal(r->result, CR_LOG_ACK);
    assert_int_equal(r->upto, 10);
    assert_int_equal(r->n_actions, 0);
    m = ranged(CR_LOG_MSG_PROMISE, 2, 1, 10);
    assert_int_equal(call(f, &m)->result, CR_LOG_NACK);
    assert_int_equal(cr_log_replica_promised(f->r), 3);
}

static void
test_write_rules(void **state)
{
    struct fx *f = *state;
    make_voting(f);
    struct cr_log_msg p = promise(3);
    call(f, &p);
    struct cr_log_msg m = write1(2, 1, "old");
    const struct cr_log_msg *r = call(f, &m);
    assert_int_equal(r->result, CR_LOG_NACK);
    assert_int_equal(r->promised, 3);
    cr_log_msg_fini(&m);
    m = write1(3, 1, "three");
    assert_int_equal(call(f, &m)->result, CR_LOG_ACK);
    cr_log_msg_fini(&m);
    /* a higher ballot writes with an implicit promise */
    m = write1(5, 2, "five");
    r = call(f, &m);
    assert_int_equal(r->result, CR_LOG_ACK);
    assert_int_equal(r->promised, 5);
    assert_int_equal(r->end, 2);
    cr_log_msg_fini(&m);
    p = promise(5);
    assert_int_equal(call(f, &p)->result, CR_LOG_NACK);
    /* the ranged promise reports what was accepted, with ballots */
    p = ranged(CR_LOG_MSG_PROMISE, 5, 1, 100);
    r = call(f, &p);
    assert_int_equal(r->result, CR_LOG_ACK);
    assert_int_equal(r->n_actions, 2);
    assert_int_equal(r->actions[0].performed, 3);
    assert_memory_equal(r->actions[0].value, "three", 5);
    assert_int_equal(r->actions[1].performed, 5);
    assert_false(r->actions[1].learned);
    assert_int_equal(r->upto, 100);
}

static void
test_learned_final(void **state)
{
    struct fx *f = *state;
    make_voting(f);
    struct cr_log_msg m = write1(2, 1, "chosen");
    call(f, &m);
    cr_log_msg_fini(&m);
    m = write1(2, 2, "maybe");
    call(f, &m);
    cr_log_msg_fini(&m);
    /* learned by ballot: only where the ballot matches */
    struct cr_log_msg l = {.type = CR_LOG_MSG_LEARNED, .ballot = 2};
    cr_log_msg_add_position(&l, 1);
    cr_log_msg_add_position(&l, 7); /* never accepted here */
    assert_int_equal(call(f, &l)->result, CR_LOG_ACK);
    cr_log_msg_fini(&l);
    l = (struct cr_log_msg){.type = CR_LOG_MSG_LEARNED, .ballot = 9};
    cr_log_msg_add_position(&l, 2); /* accepted with 2, not 9 */
    call(f, &l);
    cr_log_msg_fini(&l);
    struct cr_log_action a;
    assert_int_equal(cr_log_replica_get(f->r, 1, &a), 0);
    assert_true(a.learned);
    cr_log_action_fini(&a);
    assert_int_equal(cr_log_replica_get(f->r, 2, &a), 0);
    assert_false(a.learned);
    cr_log_action_fini(&a);
    assert_int_equal(cr_log_replica_get(f->r, 7, &a), CR_ENOTFOUND);
    assert_int_equal(cr_log_replica_first_unlearned(f->r), 2);
    /* a later write does not change a learned value */
    m = write1(8, 1, "other");
    assert_int_equal(call(f, &m)->result, CR_LOG_ACK);
    cr_log_msg_fini(&m);
    assert_int_equal(cr_log_replica_get(f->r, 1, &a), 0);
    assert_memory_equal(a.value, "chosen", 6);
    cr_log_action_fini(&a);
    /* learned with the value: stored even if never accepted */
    l = (struct cr_log_msg){.type = CR_LOG_MSG_LEARNED, .ballot = 8};
    struct cr_log_action v = {.position = 3,
                              .performed = 8,
                              .type = CR_LOG_APPEND,
                              .value = (uint8_t *)(uintptr_t) "three",
                              .value_len = 5};
    cr_log_msg_add_action(&l, &v);
    call(f, &l);
    cr_log_msg_fini(&l);
    assert_int_equal(cr_log_replica_get(f->r, 3, &a), 0);
    assert_true(a.learned);
    cr_log_action_fini(&a);
    assert_int_equal(cr_log_replica_first_unlearned(f->r), 2);
}

static void
test_truncate(void **state)
{
    struct fx *f = *state;
    make_voting(f);
    struct cr_log_msg w = {.type = CR_LOG_MSG_WRITE, .ballot = 1};
    for (uint64_t i = 1; i <= 6; i++) {
        struct cr_log_action a = {.position = i,
                                  .type = CR_LOG_APPEND,
                                  .value = (uint8_t *)(uintptr_t) "v",
                                  .value_len = 1};
        cr_log_msg_add_action(&w, &a);
    }
    struct cr_log_action t = {
        .position = 7, .type = CR_LOG_TRUNCATE, .truncate_to = 5};
    cr_log_msg_add_action(&w, &t);
    call(f, &w);
    cr_log_msg_fini(&w);
    /* accepted but not learned: nothing is dropped */
    assert_int_equal(cr_log_replica_begin(f->r), 1);
    struct cr_log_msg l = {.type = CR_LOG_MSG_LEARNED, .ballot = 1};
    cr_log_msg_add_position(&l, 7);
    const struct cr_log_msg *r = call(f, &l);
    cr_log_msg_fini(&l);
    assert_int_equal(r->begin, 5);
    assert_int_equal(cr_log_replica_begin(f->r), 5);
    struct cr_log_action a;
    assert_int_equal(cr_log_replica_get(f->r, 4, &a), CR_ENOTFOUND);
    struct cr_log_msg rd = ranged(CR_LOG_MSG_READ, 0, 1, 100);
    r = call(f, &rd);
    assert_int_equal(r->n_actions, 3);
    assert_int_equal(r->actions[0].position, 5);
    /* a write below begin is acknowledged but keeps nothing */
    w = write1(1, 2, "late");
    assert_int_equal(call(f, &w)->result, CR_LOG_ACK);
    cr_log_msg_fini(&w);
    assert_int_equal(cr_log_replica_get(f->r, 2, &a), CR_ENOTFOUND);
    /* and it survives a restart */
    cr_log_replica_close(f->r);
    tu_drain(&f->loop);
    open_replica(f);
    assert_int_equal(cr_log_replica_begin(f->r), 5);
    assert_int_equal(cr_log_replica_end(f->r), 7);
    assert_int_equal(cr_log_replica_get(f->r, 4, &a), CR_ENOTFOUND);
}

static void
test_order_and_duplicates(void **state)
{
    struct fx *f = *state;
    make_voting(f);
    /* issued together: answers come in order and see earlier decisions */
    struct cr_log_msg p7 = promise(7);
    struct cr_log_msg w6 = write1(6, 1, "late");
    struct cr_log_msg w7 = write1(7, 1, "ok");
    struct cr_log_msg p7b = promise(7);
    struct cr_log_msg rd = ranged(CR_LOG_MSG_PROMISE, 7, 1, 5);
    clear(f);
    send_req(f, 0, &p7);
    send_req(f, 1, &w6);
    send_req(f, 2, &w7);
    send_req(f, 3, &w7); /* duplicate */
    send_req(f, 4, &p7b);
    send_req(f, 5, &rd);
    assert_int_equal(f->n, 0);
    wait_n(f, 6);
    for (int i = 0; i < 6; i++)
        assert_int_equal(f->order[i], i);
    assert_int_equal(f->replies[0].result, CR_LOG_ACK);
    assert_int_equal(f->replies[1].result, CR_LOG_NACK);
    assert_int_equal(f->replies[2].result, CR_LOG_ACK);
    assert_int_equal(f->replies[3].result, CR_LOG_ACK);
    assert_int_equal(f->replies[4].result, CR_LOG_NACK);
    /* the read sees the write decided before it */
    assert_int_equal(f->replies[5].n_actions, 1);
    assert_memory_equal(f->replies[5].actions[0].value, "ok", 2);
    cr_log_msg_fini(&w6);
    cr_log_msg_fini(&w7);
}

static void
test_pages(void **state)
{
    struct fx *f = *state;
    make_voting(f);
    size_t big = 1024 * 1024;
    uint8_t *val = cr_xmalloc(big);
    memset(val, 'p', big);
    for (uint64_t i = 1; i <= 20; i++) {
        struct cr_log_msg w = {.type = CR_LOG_MSG_WRITE, .ballot = 1};
        struct cr_log_action a = {.position = i * 2,
                                  .type = CR_LOG_APPEND,
                                  .value = val,
                                  .value_len = big};
        cr_log_msg_add_action(&w, &a);
        call(f, &w);
        cr_log_msg_fini(&w);
    }
    free(val);
    uint64_t from = 1, seen = 0;
    int pages = 0;
    while (from <= 100) {
        struct cr_log_msg rd = ranged(CR_LOG_MSG_READ, 0, from, 100);
        const struct cr_log_msg *r = call(f, &rd);
        size_t bytes = 0;
        for (size_t i = 0; i < r->n_actions; i++) {
            assert_int_equal(r->actions[i].position, 2 * (seen + 1));
            bytes += r->actions[i].value_len;
            seen++;
        }
        assert_true(bytes <= CR_LOG_PAGE_BYTES);
        assert_true(r->upto >= from);
        from = r->upto + 1;
        pages++;
    }
    assert_int_equal(seen, 20);
    assert_true(pages >= 3);
}

static void
test_durable_promise(void **state)
{
    struct fx *f = *state;
    make_voting(f);
    struct cr_log_msg p = promise(9);
    call(f, &p);
    struct cr_log_msg w = write1(9, 1, "kept");
    call(f, &w);
    cr_log_msg_fini(&w);
    cr_log_replica_close(f->r);
    tu_drain(&f->loop);
    open_replica(f);
    assert_int_equal(cr_log_replica_status(f->r), CR_LOG_VOTING);
    assert_int_equal(cr_log_replica_promised(f->r), 9);
    p = promise(8);
    assert_int_equal(call(f, &p)->result, CR_LOG_NACK);
    struct cr_log_action a;
    assert_int_equal(cr_log_replica_get(f->r, 1, &a), 0);
    assert_int_equal(a.performed, 9);
    cr_log_action_fini(&a);
}

static void
test_invalid(void **state)
{
    struct fx *f = *state;
    make_voting(f);
    struct cr_log_msg bad = {.type = CR_LOG_MSG_PROMISE, .ballot = 0};
    clear(f);
    send_req(f, 0, &bad);
    assert_int_equal(f->n, 0);
    wait_n(f, 1);
    assert_int_equal(f->errs[0], CR_EPROTO_DATA);
    struct cr_log_msg reply = {.type = CR_LOG_MSG_REPLY, .result = CR_LOG_ACK};
    clear(f);
    send_req(f, 0, &reply);
    wait_n(f, 1);
    assert_int_equal(f->errs[0], CR_EPROTO_DATA);
}

static void
test_close_pending(void **state)
{
    struct fx *f = *state;
    make_voting(f);
    clear(f);
    struct cr_log_msg p = promise(4);
    send_req(f, 0, &p);
    send_req(f, 1, &p);
    cr_log_replica_close(f->r);
    f->r = NULL;
    assert_int_equal(f->n, 2);
    assert_int_equal(f->errs[0], CR_ECANCELED_OP);
    assert_int_equal(f->errs[1], CR_ECANCELED_OP);
}

static void
test_install(void **state)
{
    struct fx *f = *state;
    int done = 0;
    assert_int_equal(cr_log_replica_set_status(f->r, CR_LOG_RECOVERING, 12,
                                               "test", on_status_done, &done),
                     0);
    assert_true(tu_run_until_pred(&f->loop, int_set, &done, 5));
    struct cr_log_action acts[3] = {
        {.position = 1, .performed = 3, .learned = true, .type = CR_LOG_NOP},
        {.position = 2,
         .performed = 4,
         .type = CR_LOG_APPEND,
         .value = (uint8_t *)(uintptr_t) "ab",
         .value_len = 2},
        {.position = 3,
         .performed = 4,
         .learned = true,
         .type = CR_LOG_TRUNCATE,
         .truncate_to = 2},
    };
    done = 0;
    assert_int_equal(
        cr_log_replica_install(f->r, acts, 3, on_status_done, &done), 0);
    assert_true(tu_run_until_pred(&f->loop, int_set, &done, 5));
    assert_int_equal(done, 1000);
    assert_int_equal(cr_log_replica_promised(f->r), 12);
    assert_int_equal(cr_log_replica_begin(f->r), 2);
    struct cr_log_action a;
    assert_int_equal(cr_log_replica_get(f->r, 2, &a), 0);
    assert_int_equal(a.performed, 4);
    assert_false(a.learned);
    cr_log_action_fini(&a);
    assert_int_equal(cr_log_replica_first_unlearned(f->r), 2);
    /* RECOVERING: not voting yet */
    struct cr_log_msg p = promise(20);
    assert_int_equal(call(f, &p)->result, CR_LOG_IGNORED);
}

int
run_replica_tests(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_empty_ignores), T(test_promise_rules),
        T(test_write_rules),   T(test_learned_final),
        T(test_truncate),      T(test_order_and_duplicates),
        T(test_pages),         T(test_durable_promise),
        T(test_invalid),       T(test_close_pending),
        T(test_install),
    };
#undef T
    return cmocka_run_group_tests_name("replica", tests, NULL, NULL);
}
