/* SPDX-License-Identifier: Apache-2.0
 *
 * coordinator.c: see coordinator.h.
 *
 * One round is active at a time (c->round); its phase says what the
 * replies mean:
 *
 *   PH_PROMISE  full-range promise          -> fill_next
 *   PH_RANGE    ranged promise of a window  -> write of the window
 *   PH_WRITE    WRITE of c->wmsg            -> LEARNED, then write_done
 *   PH_LEARN    waiting for the local replica to learn c->wmsg
 *
 * write_done continues the election (next window) or completes the
 * append in flight and starts the next one. A finished round is kept as
 * c->last for cr_log_coord_describe. Retries go through one timer.
 *
 * Invariants: c->ballot only grows; once LOST or FAILED no callback
 * reports success; an operation's position is fixed when its write
 * starts and c->next only grows.
 */
#include "coordinator.h"

#include "base/err.h"
#include "base/id.h"
#include "base/log.h"
#include "base/mem.h"
#include "round.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum phase { PH_NONE, PH_PROMISE, PH_RANGE, PH_WRITE, PH_LEARN };

enum op_kind { OP_APPEND, OP_TRUNCATE };

struct op {
    enum op_kind kind;
    uint8_t *value;
    size_t len;
    uint64_t to;
    uint64_t position;
    cr_log_coord_cb cb;
    void *data;
    struct op *next;
};

struct cand {
    struct cr_log_action a;
    bool have;
};

struct cr_log_coord {
    uv_loop_t *loop;
    const struct cr_log_transport *transport;
    size_t quorum;
    char *local;
    struct cr_log_replica *replica;
    double call_timeout, retry_min;
    uint64_t rng;
    char **peers;
    size_t n_peers;

    enum cr_log_coord_state state;
    enum phase phase;
    uint64_t ballot, seen, next;

    /* election */
    uint64_t max_end, max_begin, fill_from;
    struct cand *window;
    uint64_t window_from, window_to, page_upto, page_begin;
    size_t page_acks;

    /* write in progress */
    struct cr_log_msg wmsg;
    char **acked;
    size_t n_acked;
    bool local_acked;

    struct cr_log_round *round, *last;
    struct cr_log_rpc learn_rpc;
    uv_timer_t timer;
    void (*retry_fn)(struct cr_log_coord *c);

    cr_log_coord_cb elect_cb;
    void *elect_data;
    struct op *ops, **ops_tail, *cur;

    int busy;  /* user callbacks running */
    bool dead; /* freed by the user; destroyed when busy drops to 0 */
};

static void elect_start(struct cr_log_coord *c);
static void fill_next(struct cr_log_coord *c);
static void write_round(struct cr_log_coord *c);
static void op_next(struct cr_log_coord *c);
static void destroy(struct cr_log_coord *c);

/* Around user callbacks, which may free the coordinator: leave() returns
 * false when it is gone and the caller must return at once. */
static void
enter(struct cr_log_coord *c)
{
    c->busy++;
}

static bool
leave(struct cr_log_coord *c)
{
    if (--c->busy == 0 && c->dead) {
        destroy(c);
        return false;
    }
    return !c->dead;
}

static const char *const state_names[] = {"IDLE", "ELECTING", "ELECTED", "LOST",
                                          "FAILED"};

const char *
cr_log_coord_state_name(enum cr_log_coord_state s)
{
    return (size_t)s < sizeof(state_names) / sizeof(state_names[0])
               ? state_names[s]
               : "?";
}

static void
set_state(struct cr_log_coord *c, enum cr_log_coord_state to,
          const char *reason)
{
    if (c->ballot == 0) /* not chosen yet */
        cr_info("replicated log: coordinator %s -> %s (%s)",
                state_names[c->state], state_names[to], reason);
    else
        cr_info("replicated log: coordinator %s -> %s with ballot %llu (%s)",
                state_names[c->state], state_names[to],
                (unsigned long long)c->ballot, reason);
    c->state = to;
}

/* ---- rounds and retries ----------------------------------------------- */

static void on_reply(void *owner, struct cr_log_round *r, size_t i,
                     const struct cr_log_msg *reply);

static void
retire_round(struct cr_log_coord *c)
{
    cr_log_round_retire(&c->round, &c->last);
}

static void
start_round(struct cr_log_coord *c, enum phase ph, const char *what,
            char *const *peers, size_t n, const struct cr_log_msg *req)
{
    retire_round(c);
    c->phase = ph;
    c->round = cr_log_round_new(c->transport, what, on_reply, c);
    cr_log_round_send(c->round, peers, n, req, c->call_timeout);
}

static void
on_timer(uv_timer_t *t)
{
    struct cr_log_coord *c = t->data;
    void (*fn)(struct cr_log_coord *) = c->retry_fn;
    c->retry_fn = NULL;
    if (fn)
        fn(c);
}

/* Run fn after a random delay in [retry_min, 2 * retry_min]. */
static void
retry_later(struct cr_log_coord *c, void (*fn)(struct cr_log_coord *))
{
    c->rng ^= c->rng << 13;
    c->rng ^= c->rng >> 7;
    c->rng ^= c->rng << 17;
    double ms = c->retry_min * 1000.0 * (1.0 + (double)(c->rng % 1000) / 1000);
    c->phase = PH_NONE;
    c->retry_fn = fn;
    uv_timer_start(&c->timer, on_timer, (uint64_t)ms + 1, 0);
}

/* ---- operations -------------------------------------------------------- */

static void
op_free(struct op *op)
{
    free(op->value);
    free(op);
}

/* Fail the operation in flight, every queued one and a pending election.
 * Returns false if a callback freed the coordinator. */
static bool
fail_all(struct cr_log_coord *c, int err)
{
    enter(c);
    if (c->elect_cb) {
        cr_log_coord_cb cb = c->elect_cb;
        c->elect_cb = NULL;
        cb(c->elect_data, err, 0);
    }
    struct op *list = c->cur;
    c->cur = NULL;
    if (list)
        list->next = c->ops;
    else
        list = c->ops;
    c->ops = NULL;
    c->ops_tail = &c->ops;
    while (list) {
        struct op *next = list->next;
        list->cb(list->data, err, 0);
        op_free(list);
        list = next;
    }
    return leave(c);
}

static void
stop_activity(struct cr_log_coord *c)
{
    retire_round(c);
    cr_log_rpc_cancel_all(&c->learn_rpc);
    uv_timer_stop(&c->timer);
    c->retry_fn = NULL;
    c->phase = PH_NONE;
    cr_log_msg_fini(&c->wmsg);
}

/* Fencing: a higher ballot exists, this coordinator is deposed. */
static void
lose(struct cr_log_coord *c, uint64_t promised)
{
    char why[96];
    snprintf(why, sizeof(why), "a replica promised ballot %llu",
             (unsigned long long)promised);
    set_state(c, CR_LOG_COORD_LOST, why);
    stop_activity(c);
    (void)fail_all(c, CR_ENOTLEADER); /* the caller returns right after */
}

static void
fail(struct cr_log_coord *c, int err, const char *why)
{
    set_state(c, CR_LOG_COORD_FAILED, why);
    stop_activity(c);
    (void)fail_all(c, err); /* the caller returns right after */
}

/* ---- election: full-range promise ------------------------------------- */

static void
elect_start(struct cr_log_coord *c)
{
    uint64_t b = c->ballot > c->seen ? c->ballot : c->seen;
    if (c->replica && cr_log_replica_promised(c->replica) > b)
        b = cr_log_replica_promised(c->replica);
    c->ballot = b + 1;
    c->max_end = 0;
    c->max_begin = 1;
    char what[96];
    snprintf(what, sizeof(what), "election with ballot %llu",
             (unsigned long long)c->ballot);
    cr_debug("replicated log: %s", what);
    struct cr_log_msg req = {.type = CR_LOG_MSG_PROMISE, .ballot = c->ballot};
    start_round(c, PH_PROMISE, what, c->peers, c->n_peers, &req);
    if (cr_log_round_complete(c->round)) {
        retire_round(c);
        retry_later(c, elect_start);
    }
}

static void
on_promise_reply(struct cr_log_coord *c, const struct cr_log_msg *reply)
{
    if (reply && reply->result == CR_LOG_ACK) {
        if (reply->end > c->max_end)
            c->max_end = reply->end;
        if (reply->begin > c->max_begin)
            c->max_begin = reply->begin;
    }
    if (c->round->acks >= c->quorum) {
        retire_round(c);
        uint64_t lo = c->max_begin;
        if (c->replica && cr_log_replica_first_unlearned(c->replica) > lo)
            lo = cr_log_replica_first_unlearned(c->replica);
        c->fill_from = lo;
        cr_debug("replicated log: ballot %llu promised by a quorum; "
                 "recovering positions %llu..%llu",
                 (unsigned long long)c->ballot, (unsigned long long)lo,
                 (unsigned long long)c->max_end);
        fill_next(c);
    } else if (cr_log_round_complete(c->round)) {
        retire_round(c);
        retry_later(c, elect_start);
    }
}

/* ---- election: recovery of unlearned positions, one window at a time --- */

static void
window_free(struct cr_log_coord *c)
{
    if (c->window == NULL)
        return;
    for (uint64_t p = c->window_from; p <= c->window_to; p++)
        cr_log_action_fini(&c->window[p - c->window_from].a);
    CR_FREE(c->window);
}

static void
elected(struct cr_log_coord *c)
{
    c->next = c->max_end + 1 > c->fill_from ? c->max_end + 1 : c->fill_from;
    set_state(c, CR_LOG_COORD_ELECTED, "recovered from a quorum");
    cr_log_coord_cb cb = c->elect_cb;
    c->elect_cb = NULL;
    enter(c);
    if (cb)
        cb(c->elect_data, 0, c->next - 1);
    if (!leave(c))
        return;
    if (c->state == CR_LOG_COORD_ELECTED && c->cur == NULL)
        op_next(c);
}

static void
fill_next(struct cr_log_coord *c)
{
    window_free(c);
    if (c->fill_from > c->max_end) {
        elected(c);
        return;
    }
    c->window_from = c->fill_from;
    c->window_to = c->max_end;
    if (c->window_to - c->window_from >= CR_LOG_PAGE_ACTIONS)
        c->window_to = c->window_from + CR_LOG_PAGE_ACTIONS - 1;
    c->window =
        cr_xcalloc(c->window_to - c->window_from + 1, sizeof(*c->window));
    c->page_upto = c->window_to;
    c->page_begin = 0;
    c->page_acks = 0;
    char what[96];
    snprintf(what, sizeof(what), "recovery of positions %llu..%llu",
             (unsigned long long)c->window_from,
             (unsigned long long)c->window_to);
    struct cr_log_msg req = {.type = CR_LOG_MSG_PROMISE,
                             .ballot = c->ballot,
                             .ranged = true,
                             .from = c->window_from,
                             .to = c->window_to};
    start_round(c, PH_RANGE, what, c->peers, c->n_peers, &req);
    if (cr_log_round_complete(c->round)) {
        retire_round(c);
        retry_later(c, fill_next);
    }
}

/* Keep, per position, a learned action or the highest-ballot accepted one. */
static void
merge(struct cr_log_coord *c, const struct cr_log_action *a)
{
    if (a->position < c->window_from || a->position > c->window_to)
        return;
    struct cand *k = &c->window[a->position - c->window_from];
    if (k->have &&
        (k->a.learned || (!a->learned && a->performed <= k->a.performed)))
        return;
    cr_log_action_fini(&k->a);
    cr_log_action_copy(&k->a, a);
    k->have = true;
}

/* The WRITE re-proposing the window's values, within the page limits. */
static void
build_fill_write(struct cr_log_coord *c, struct cr_log_msg *w)
{
    *w = (struct cr_log_msg){.type = CR_LOG_MSG_WRITE, .ballot = c->ballot};
    size_t bytes = 0;
    uint64_t p = c->window_from;
    if (c->page_begin > p)
        p = c->page_begin; /* truncated below: nothing to keep */
    for (; p <= c->page_upto; p++) {
        struct cand *k = &c->window[p - c->window_from];
        struct cr_log_action a = {.position = p, .type = CR_LOG_NOP};
        if (k->have) {
            a = k->a;
            a.learned = false;
        }
        if (w->n_actions > 0 && bytes + a.value_len > CR_LOG_PAGE_BYTES)
            break;
        bytes += a.value_len;
        cr_log_msg_add_action(w, &a);
    }
    c->fill_from = p; /* where the next window starts */
}

static void write_start(struct cr_log_coord *c, struct cr_log_msg *w);

static void
on_range_reply(struct cr_log_coord *c, const struct cr_log_msg *reply)
{
    if (reply && reply->result == CR_LOG_NACK) {
        if (reply->promised > c->seen)
            c->seen = reply->promised;
        retire_round(c);
        retry_later(c, elect_start); /* someone else is electing */
        return;
    }
    if (reply && reply->result == CR_LOG_ACK && reply->upto >= c->window_from) {
        c->page_acks++;
        if (reply->upto < c->page_upto)
            c->page_upto = reply->upto;
        if (reply->begin > c->page_begin)
            c->page_begin = reply->begin;
        for (size_t i = 0; i < reply->n_actions; i++)
            merge(c, &reply->actions[i]);
    }
    if (c->page_acks >= c->quorum) {
        retire_round(c);
        struct cr_log_msg w;
        build_fill_write(c, &w);
        if (w.n_actions == 0) {
            cr_log_msg_fini(&w);
            fill_next(c);
        } else {
            write_start(c, &w);
        }
    } else if (cr_log_round_complete(c->round)) {
        retire_round(c);
        retry_later(c, fill_next);
    }
}

/* ---- writes ------------------------------------------------------------ */

static bool
has_acked(const struct cr_log_coord *c, const char *peer)
{
    for (size_t i = 0; i < c->n_acked; i++)
        if (strcmp(c->acked[i], peer) == 0)
            return true;
    return false;
}

static void
clear_acked(struct cr_log_coord *c)
{
    for (size_t i = 0; i < c->n_acked; i++)
        free(c->acked[i]);
    CR_FREE(c->acked);
    c->n_acked = 0;
    c->local_acked = false;
}

/* Takes w. */
static void
write_start(struct cr_log_coord *c, struct cr_log_msg *w)
{
    cr_log_msg_fini(&c->wmsg);
    c->wmsg = *w;
    memset(w, 0, sizeof(*w));
    clear_acked(c);
    write_round(c);
}

static void
write_round(struct cr_log_coord *c)
{
    char **todo = cr_xcalloc(c->n_peers + 1, sizeof(*todo));
    size_t n = 0;
    for (size_t i = 0; i < c->n_peers; i++)
        if (!has_acked(c, c->peers[i]))
            todo[n++] = c->peers[i];
    const struct cr_log_msg *w = &c->wmsg;
    unsigned long long first = w->actions[0].position;
    unsigned long long last = w->actions[w->n_actions - 1].position;
    char what[96];
    if (first == last)
        snprintf(what, sizeof(what), "write of position %llu", first);
    else
        snprintf(what, sizeof(what), "write of positions %llu..%llu", first,
                 last);
    start_round(c, PH_WRITE, what, todo, n, w);
    free(todo);
    if (cr_log_round_complete(c->round)) {
        retire_round(c);
        retry_later(c, write_round);
    }
}

static void write_done(struct cr_log_coord *c);

static void send_local_learned(struct cr_log_coord *c);

static void
on_local_learned(void *data, int err, const struct cr_log_msg *reply)
{
    struct cr_log_coord *c = data;
    if (err == 0 && reply->result != CR_LOG_ACK)
        err = CR_ESTATE; /* the local replica stopped voting */
    int broken = c->replica ? cr_log_replica_failed(c->replica) : 0;
    if (broken != 0 || err == CR_ESTATE) {
        char why[128];
        snprintf(why, sizeof(why), "the local replica could not learn: %s",
                 cr_strerror(broken ? broken : err));
        fail(c, broken ? broken : err, why);
        return;
    }
    if (err != 0) {
        /* lost on the way: ask again (LEARNED is idempotent) */
        retry_later(c, send_local_learned);
        c->phase = PH_LEARN;
        return;
    }
    write_done(c);
}

/* (Re)send the LEARNED of the write in c->wmsg to the local replica. */
static void
send_local_learned(struct cr_log_coord *c)
{
    struct cr_log_msg m = {.type = CR_LOG_MSG_LEARNED, .ballot = c->ballot};
    m.actions = c->wmsg.actions; /* borrowed for the call */
    m.n_actions = c->wmsg.n_actions;
    c->phase = PH_LEARN;
    if (cr_log_rpc_call(&c->learn_rpc, c->local, &m, c->call_timeout,
                        on_local_learned, c) != 0)
        retry_later(c, send_local_learned);
}

static void
on_other_learned(void *data, int err, const struct cr_log_msg *reply)
{
    (void)data;
    (void)err;
    (void)reply;
}

/* Tell every replica the write is chosen; wait for the local one. */
static void
send_learned(struct cr_log_coord *c)
{
    struct cr_log_msg bare = {.type = CR_LOG_MSG_LEARNED, .ballot = c->ballot};
    struct cr_log_msg full = bare;
    for (size_t i = 0; i < c->wmsg.n_actions; i++)
        cr_log_msg_add_position(&bare, c->wmsg.actions[i].position);
    full.actions = c->wmsg.actions; /* borrowed for the sends */
    full.n_actions = c->wmsg.n_actions;
    for (size_t i = 0; i < c->n_peers; i++) {
        const char *p = c->peers[i];
        if (c->local && strcmp(p, c->local) == 0)
            continue;
        (void)cr_log_rpc_call(&c->learn_rpc, p, has_acked(c, p) ? &bare : &full,
                              c->call_timeout, on_other_learned, c);
    }
    cr_log_msg_fini(&bare);
    if (c->local)
        send_local_learned(c);
    else
        write_done(c);
}

static void
on_write_reply(struct cr_log_coord *c, size_t i, const struct cr_log_msg *reply)
{
    const char *peer = c->round->peers[i].name;
    if (reply && reply->result == CR_LOG_ACK && !has_acked(c, peer)) {
        c->acked = cr_xrealloc(c->acked, (c->n_acked + 1) * sizeof(char *));
        c->acked[c->n_acked++] = cr_xstrdup(peer);
        if (c->local && strcmp(peer, c->local) == 0)
            c->local_acked = true;
    }
    if (reply && reply->result == CR_LOG_NACK) {
        if (reply->promised > c->seen)
            c->seen = reply->promised;
        if (c->state == CR_LOG_COORD_ELECTED) {
            lose(c, reply->promised);
        } else {
            retire_round(c);
            cr_log_msg_fini(&c->wmsg);
            retry_later(c, elect_start);
        }
        return;
    }
    if (c->n_acked >= c->quorum && (c->local == NULL || c->local_acked)) {
        retire_round(c);
        send_learned(c);
    } else if (cr_log_round_complete(c->round)) {
        retire_round(c);
        retry_later(c, write_round);
    }
}

static void
write_done(struct cr_log_coord *c)
{
    c->phase = PH_NONE;
    cr_log_msg_fini(&c->wmsg);
    clear_acked(c);
    if (c->state == CR_LOG_COORD_ELECTING) {
        fill_next(c);
        return;
    }
    struct op *op = c->cur;
    c->cur = NULL;
    if (op) {
        enter(c);
        op->cb(op->data, 0, op->position);
        op_free(op);
        if (!leave(c))
            return;
    }
    if (c->state == CR_LOG_COORD_ELECTED && c->cur == NULL)
        op_next(c);
}

/* ---- dispatch ---------------------------------------------------------- */

static void
on_reply(void *owner, struct cr_log_round *r, size_t i,
         const struct cr_log_msg *reply)
{
    struct cr_log_coord *c = owner;
    if (r != c->round)
        return; /* cannot happen: retired rounds are stopped */
    switch (c->phase) {
    case PH_PROMISE:
        on_promise_reply(c, reply);
        break;
    case PH_RANGE:
        on_range_reply(c, reply);
        break;
    case PH_WRITE:
        on_write_reply(c, i, reply);
        break;
    default:
        break;
    }
}

static void
op_next(struct cr_log_coord *c)
{
    struct op *op = c->ops;
    if (op == NULL || c->cur != NULL)
        return;
    c->ops = op->next;
    if (c->ops == NULL)
        c->ops_tail = &c->ops;
    op->next = NULL;
    c->cur = op;
    op->position = c->next++;
    struct cr_log_action a = {.position = op->position};
    if (op->kind == OP_APPEND) {
        a.type = CR_LOG_APPEND;
        a.value = op->value;
        a.value_len = op->len;
    } else {
        a.type = CR_LOG_TRUNCATE;
        a.truncate_to = op->to;
    }
    struct cr_log_msg w = {.type = CR_LOG_MSG_WRITE, .ballot = c->ballot};
    cr_log_msg_add_action(&w, &a);
    write_start(c, &w);
}

static int
enqueue(struct cr_log_coord *c, struct op *op)
{
    if (c->state == CR_LOG_COORD_LOST || c->state == CR_LOG_COORD_FAILED ||
        c->state != CR_LOG_COORD_ELECTED) {
        int rc = c->state == CR_LOG_COORD_LOST ? CR_ENOTLEADER : CR_ESTATE;
        op_free(op);
        return rc;
    }
    *c->ops_tail = op;
    c->ops_tail = &op->next;
    if (c->cur == NULL)
        op_next(c);
    return 0;
}

int
cr_log_coord_append(struct cr_log_coord *c, const void *bytes, size_t len,
                    cr_log_coord_cb cb, void *data)
{
    if (len > CR_LOG_MAX_VALUE)
        return CR_ETOOBIG;
    struct op *op = cr_xcalloc(1, sizeof(*op));
    op->kind = OP_APPEND;
    if (len > 0) {
        op->value = cr_xmalloc(len);
        memcpy(op->value, bytes, len);
    }
    op->len = len;
    op->cb = cb;
    op->data = data;
    return enqueue(c, op);
}

int
cr_log_coord_truncate(struct cr_log_coord *c, uint64_t to, cr_log_coord_cb cb,
                      void *data)
{
    if (to == 0 || (c->state == CR_LOG_COORD_ELECTED && to > c->next))
        return CR_EINVAL_INPUT;
    struct op *op = cr_xcalloc(1, sizeof(*op));
    op->kind = OP_TRUNCATE;
    op->to = to;
    op->cb = cb;
    op->data = data;
    return enqueue(c, op);
}

int
cr_log_coord_elect(struct cr_log_coord *c, cr_log_coord_cb cb, void *data)
{
    if (c->state != CR_LOG_COORD_IDLE)
        return CR_ESTATE;
    c->elect_cb = cb;
    c->elect_data = data;
    set_state(c, CR_LOG_COORD_ELECTING, "elect");
    elect_start(c);
    return 0;
}

/* ---- lifecycle --------------------------------------------------------- */

static void
free_peers(struct cr_log_coord *c)
{
    for (size_t i = 0; i < c->n_peers; i++)
        free(c->peers[i]);
    CR_FREE(c->peers);
    c->n_peers = 0;
}

void
cr_log_coord_set_peers(struct cr_log_coord *c, const char *const *peers,
                       size_t n)
{
    free_peers(c);
    c->peers = cr_xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        bool dup = false;
        for (size_t k = 0; k < c->n_peers; k++)
            dup |= strcmp(c->peers[k], peers[i]) == 0;
        if (!dup)
            c->peers[c->n_peers++] = cr_xstrdup(peers[i]);
    }
}

struct cr_log_coord *
cr_log_coord_new(uv_loop_t *loop, const struct cr_log_coord_cfg *cfg)
{
    struct cr_log_coord *c = cr_xcalloc(1, sizeof(*c));
    c->loop = loop;
    c->transport = cfg->transport;
    c->quorum = cfg->quorum ? cfg->quorum : 1;
    c->local = cfg->local ? cr_xstrdup(cfg->local) : NULL;
    c->replica = cfg->replica;
    c->call_timeout = cfg->call_timeout > 0 ? cfg->call_timeout : 5.0;
    c->retry_min = cfg->retry_min > 0 ? cfg->retry_min : 0.1;
    c->rng = cfg->seed;
    if (c->rng == 0)
        cr_random_bytes(&c->rng, sizeof(c->rng));
    c->rng |= 1;
    c->ops_tail = &c->ops;
    cr_log_rpc_init(&c->learn_rpc, c->transport);
    uv_timer_init(loop, &c->timer);
    c->timer.data = c;
    return c;
}

static void
on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void
destroy(struct cr_log_coord *c)
{
    stop_activity(c);
    window_free(c);
    clear_acked(c);
    cr_log_round_free(c->last);
    c->last = NULL;
    free_peers(c);
    free(c->local);
    uv_close((uv_handle_t *)&c->timer, on_timer_closed);
}

void
cr_log_coord_free(struct cr_log_coord *c)
{
    if (c == NULL || c->dead)
        return;
    c->dead = true;
    stop_activity(c);
    enter(c);
    (void)fail_all(c, CR_ECANCELED_OP);
    (void)leave(c);
}

enum cr_log_coord_state
cr_log_coord_state(const struct cr_log_coord *c)
{
    return c->state;
}

uint64_t
cr_log_coord_ballot(const struct cr_log_coord *c)
{
    return c->ballot;
}

uint64_t
cr_log_coord_next(const struct cr_log_coord *c)
{
    return c->next;
}

void
cr_log_coord_describe(const struct cr_log_coord *c, struct cr_buf *out)
{
    cr_buf_printf(out, "coordinator %s with ballot %llu; ",
                  state_names[c->state], (unsigned long long)c->ballot);
    /* A finished round says more than one still waiting for answers. */
    const struct cr_log_round *r = cr_log_round_latest(c->round, c->last);
    if (r)
        cr_log_round_describe(r, c->quorum, out);
    else
        cr_buf_printf(out, "no round yet; --quorum=%zu", c->quorum);
    /* retried writes only go to replicas that have not accepted yet */
    for (size_t i = 0; i < c->n_acked; i++)
        cr_buf_printf(
            out, "%s%s",
            i ? ", " : "; accepted by an earlier round: ", c->acked[i]);
}
