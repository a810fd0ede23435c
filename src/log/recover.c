/* SPDX-License-Identifier: Apache-2.0
 *
 * recover.c: see recover.h.
 *
 * Phases: PH_STATUS (RECOVER round) -> [set RECOVERING] -> PH_READ (READ
 * round for one window of positions) -> PH_STORE (install the window into
 * the local replica) -> next window ... -> set VOTING. The callbacks of
 * the local replica (set_status, install) carry the object; a freed object
 * is kept until they have come back ("dead" with pending local calls).
 */
#include "recover.h"

#include "base/err.h"
#include "base/id.h"
#include "base/log.h"
#include "base/mem.h"
#include "round.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum mode { M_NONE, M_RECOVER, M_CATCHUP };
enum phase { PH_NONE, PH_STATUS, PH_READ, PH_STORE, PH_LOCAL };

struct cand {
    struct cr_log_action a;
    bool have;
};

struct cr_log_recovery {
    uv_loop_t *loop;
    const struct cr_log_transport *transport;
    struct cr_log_replica *replica;
    char *self;
    size_t quorum;
    bool auto_init;
    double call_timeout, retry_min;
    uint64_t rng;
    char **peers; /* without self */
    size_t n_peers;

    enum mode mode;
    enum phase phase;
    cr_log_recovery_cb cb;
    void *data;

    /* what the status round found */
    size_t n_status[CR_LOG_VOTING + 1];
    uint64_t max_promised, max_begin, max_end;
    char **voters;
    size_t n_voters;

    /* reading */
    uint64_t from, to;
    struct cand *window;
    uint64_t window_from, window_to, page_upto;
    size_t page_acks;

    struct cr_log_round *round, *last;
    uv_timer_t timer;
    void (*retry_fn)(struct cr_log_recovery *r);
    int local_calls; /* set_status/install callbacks outstanding */
    bool dead;
    char note[192];
};

static void status_round(struct cr_log_recovery *r);
static void read_page(struct cr_log_recovery *r);
static void on_status_reply(struct cr_log_recovery *r, size_t i,
                            const struct cr_log_msg *reply);
static void on_read_reply(struct cr_log_recovery *r,
                          const struct cr_log_msg *reply);
static void destroy(struct cr_log_recovery *r);

/* ---- plumbing ---------------------------------------------------------- */

static void
on_timer(uv_timer_t *t)
{
    struct cr_log_recovery *r = t->data;
    void (*fn)(struct cr_log_recovery *) = r->retry_fn;
    r->retry_fn = NULL;
    if (fn)
        fn(r);
}

static void
later(struct cr_log_recovery *r, void (*fn)(struct cr_log_recovery *),
      bool jitter)
{
    r->rng ^= r->rng << 13;
    r->rng ^= r->rng >> 7;
    r->rng ^= r->rng << 17;
    double ms =
        jitter ? r->retry_min * 1000.0 * (1.0 + (double)(r->rng % 1000) / 1000)
               : 0;
    r->phase = PH_NONE;
    r->retry_fn = fn;
    uv_timer_start(&r->timer, on_timer, (uint64_t)ms, 0);
}

static void on_reply(void *owner, struct cr_log_round *rd, size_t i,
                     const struct cr_log_msg *reply);

static void
retire_round(struct cr_log_recovery *r)
{
    cr_log_round_retire(&r->round, &r->last);
}

static void
start_round(struct cr_log_recovery *r, enum phase ph, const char *what,
            char *const *peers, size_t n, const struct cr_log_msg *req)
{
    retire_round(r);
    r->phase = ph;
    r->round = cr_log_round_new(r->transport, what, on_reply, r);
    cr_log_round_send(r->round, peers, n, req, r->call_timeout);
}

static void
window_free(struct cr_log_recovery *r)
{
    if (r->window == NULL)
        return;
    for (uint64_t p = r->window_from; p <= r->window_to; p++)
        cr_log_action_fini(&r->window[p - r->window_from].a);
    CR_FREE(r->window);
}

static void
clear_voters(struct cr_log_recovery *r)
{
    for (size_t i = 0; i < r->n_voters; i++)
        free(r->voters[i]);
    CR_FREE(r->voters);
    r->n_voters = 0;
}

static void
finish(struct cr_log_recovery *r, int err)
{
    retire_round(r);
    window_free(r);
    r->mode = M_NONE;
    r->phase = PH_NONE;
    cr_log_recovery_cb cb = r->cb;
    r->cb = NULL;
    if (cb)
        cb(r->data, err); /* last: it may free r */
}

static void
finish_ok(struct cr_log_recovery *r)
{
    finish(r, 0);
}

/* A local (replica) callback came back: false if r is dead. */
static bool
local_back(struct cr_log_recovery *r)
{
    r->local_calls--;
    if (r->dead) {
        if (r->local_calls == 0)
            destroy(r);
        return false;
    }
    return true;
}

/* ---- status round ------------------------------------------------------ */

/* Evaluate a round that completed while being sent, on a later turn (so
 * no callback runs inside start/catchup). */
static void
status_eval(struct cr_log_recovery *r)
{
    r->phase = PH_STATUS;
    on_status_reply(r, 0, NULL);
}

static void
read_eval(struct cr_log_recovery *r)
{
    r->phase = PH_READ;
    on_read_reply(r, NULL);
}

static void
status_round(struct cr_log_recovery *r)
{
    memset(r->n_status, 0, sizeof(r->n_status));
    r->max_promised = r->max_end = 0;
    r->max_begin = 1;
    clear_voters(r);
    struct cr_log_msg req = {.type = CR_LOG_MSG_RECOVER};
    start_round(r, PH_STATUS, "replica recovery status", r->peers, r->n_peers,
                &req);
    if (cr_log_round_complete(r->round)) /* no peer could be asked */
        later(r, status_eval, false);
}

static void
note_status(struct cr_log_recovery *r)
{
    snprintf(r->note, sizeof(r->note),
             "peers VOTING %zu, EMPTY %zu, STARTING %zu, RECOVERING %zu of "
             "%zu (a non-voting replica needs --quorum=%zu VOTING peers)",
             r->n_status[CR_LOG_VOTING], r->n_status[CR_LOG_EMPTY],
             r->n_status[CR_LOG_STARTING], r->n_status[CR_LOG_RECOVERING],
             r->n_peers, r->quorum);
}

/* The local replica's status change is durable: go on from there. */
static void
on_local_status(void *data, int err)
{
    struct cr_log_recovery *r = data;
    if (!local_back(r))
        return;
    if (err != 0) {
        finish(r, err);
        return;
    }
    switch (cr_log_replica_status(r->replica)) {
    case CR_LOG_VOTING:
        finish(r, 0);
        break;
    case CR_LOG_RECOVERING:
        read_page(r); /* begin_reads set the range */
        break;
    default:
        later(r, status_round, true); /* STARTING: wait for the others */
        break;
    }
}

static void
set_local(struct cr_log_recovery *r, enum cr_log_status to, uint64_t promised,
          const char *why)
{
    r->phase = PH_LOCAL;
    int rc = cr_log_replica_set_status(r->replica, to, promised, why,
                                       on_local_status, r);
    if (rc != 0) {
        finish(r, rc);
        return;
    }
    r->local_calls++;
}

/* Auto-initialisation, once every peer known has answered (see recover.h).
 *
 * EMPTY -> STARTING also needs the whole cluster in view: 2 * quorum - 1
 * replicas as Mesos sizes it, the local one included. The peers come from
 * ZooKeeper one by one; going by the ones known so far (a mere quorum),
 * two replicas could initialise while a third, later one is left EMPTY
 * beside a VOTING peer, which it can neither join (the log is no longer
 * new) nor recover from (one is not a quorum): the log would never elect.
 *
 * STARTING -> VOTING goes by the peers known now (at least a quorum with
 * the local replica): once every replica has left EMPTY, a STARTING one
 * whose peer died and left ZooKeeper may still vote with the others,
 * where waiting for all 2 * quorum - 1 (as Mesos does) would wait for the
 * dead one to come back. */
static bool
try_auto_init(struct cr_log_recovery *r)
{
    const struct cr_log_round *rd = r->last;
    size_t *n = r->n_status;
    enum cr_log_status me = cr_log_replica_status(r->replica);
    if (!r->auto_init || rd == NULL || rd->acks != r->n_peers ||
        r->n_peers + 1 < r->quorum)
        return false;
    if (me == CR_LOG_EMPTY && r->n_peers + 1 >= 2 * r->quorum - 1 &&
        n[CR_LOG_EMPTY] + n[CR_LOG_STARTING] == r->n_peers) {
        set_local(r, CR_LOG_STARTING, 0,
                  "auto-initialisation: every replica is empty");
        return true;
    }
    if (me == CR_LOG_STARTING &&
        n[CR_LOG_STARTING] + n[CR_LOG_VOTING] == r->n_peers) {
        set_local(r, CR_LOG_VOTING, 0,
                  "auto-initialisation: every replica is starting");
        return true;
    }
    return false;
}

static void
begin_reads(struct cr_log_recovery *r)
{
    enum cr_log_status me = cr_log_replica_status(r->replica);
    uint64_t lo = r->max_begin;
    if (r->mode == M_CATCHUP) {
        lo = cr_log_replica_first_unlearned(r->replica);
        if (r->n_voters == 0 || lo > r->max_end) {
            finish(r, 0);
            return;
        }
    }
    r->from = lo;
    r->to = r->max_end;
    if (r->mode == M_RECOVER && me != CR_LOG_RECOVERING) {
        /* From here on a crash restarts recovery instead of voting. */
        set_local(r, CR_LOG_RECOVERING, r->max_promised,
                  "a quorum of replicas is voting: catching up");
        return;
    }
    read_page(r);
}

static void
on_status_reply(struct cr_log_recovery *r, size_t i,
                const struct cr_log_msg *reply)
{
    if (reply && reply->result == CR_LOG_ACK && reply->status >= CR_LOG_EMPTY &&
        reply->status <= CR_LOG_VOTING) {
        r->n_status[reply->status]++;
        if (reply->status == CR_LOG_VOTING) {
            r->voters =
                cr_xrealloc(r->voters, (r->n_voters + 1) * sizeof(char *));
            r->voters[r->n_voters++] = cr_xstrdup(r->round->peers[i].name);
            if (reply->promised > r->max_promised)
                r->max_promised = reply->promised;
            if (reply->begin > r->max_begin)
                r->max_begin = reply->begin;
            if (reply->end > r->max_end)
                r->max_end = reply->end;
        }
    }
    bool complete = cr_log_round_complete(r->round);
    if (complete || r->n_status[CR_LOG_VOTING] >= r->quorum)
        note_status(r); /* describe settled rounds only */
    if (r->mode == M_RECOVER && r->n_status[CR_LOG_VOTING] >= r->quorum) {
        retire_round(r);
        begin_reads(r);
    } else if (complete) {
        retire_round(r);
        if (r->mode == M_CATCHUP)
            begin_reads(r);
        else if (!try_auto_init(r))
            later(r, status_round, true);
    }
}

/* ---- reading windows --------------------------------------------------- */

static void
read_page(struct cr_log_recovery *r)
{
    window_free(r);
    uint64_t begin = cr_log_replica_begin(r->replica);
    if (r->from < begin)
        r->from = begin;
    if (r->from > r->to) {
        if (r->mode == M_RECOVER)
            set_local(r, CR_LOG_VOTING, r->max_promised,
                      "caught up from a quorum");
        else
            finish(r, 0);
        return;
    }
    r->window_from = r->from;
    r->window_to = r->to;
    if (r->window_to - r->window_from >= CR_LOG_PAGE_ACTIONS)
        r->window_to = r->window_from + CR_LOG_PAGE_ACTIONS - 1;
    r->window =
        cr_xcalloc(r->window_to - r->window_from + 1, sizeof(*r->window));
    r->page_upto = r->window_to;
    r->page_acks = 0;
    char what[96];
    snprintf(what, sizeof(what), "%s of positions %llu..%llu",
             r->mode == M_RECOVER ? "recovery" : "catch-up",
             (unsigned long long)r->window_from,
             (unsigned long long)r->window_to);
    struct cr_log_msg req = {.type = CR_LOG_MSG_READ,
                             .ranged = true,
                             .from = r->window_from,
                             .to = r->window_to};
    start_round(r, PH_READ, what, r->voters, r->n_voters, &req);
    if (cr_log_round_complete(r->round))
        later(r, read_eval, false);
}

/* Learned wins; else the highest accepted ballot (recovery only). */
static void
merge(struct cr_log_recovery *r, const struct cr_log_action *a)
{
    if (a->position < r->window_from || a->position > r->window_to)
        return;
    if (r->mode == M_CATCHUP && !a->learned)
        return;
    struct cand *k = &r->window[a->position - r->window_from];
    if (k->have &&
        (k->a.learned || (!a->learned && a->performed <= k->a.performed)))
        return;
    cr_log_action_fini(&k->a);
    cr_log_action_copy(&k->a, a);
    k->have = true;
}

static void
on_stored(void *data, int err)
{
    struct cr_log_recovery *r = data;
    if (!local_back(r))
        return;
    if (err != 0) {
        finish(r, err);
        return;
    }
    r->from = r->page_upto + 1;
    read_page(r);
}

static void
store_page(struct cr_log_recovery *r)
{
    size_t n = 0;
    struct cr_log_action *v =
        cr_xcalloc(r->page_upto - r->window_from + 1, sizeof(*v));
    for (uint64_t p = r->window_from; p <= r->page_upto; p++) {
        struct cand *k = &r->window[p - r->window_from];
        if (k->have)
            v[n++] = k->a; /* borrowed from the window */
    }
    r->phase = PH_STORE;
    int rc = n ? cr_log_replica_install(r->replica, v, n, on_stored, r) : 0;
    free(v);
    if (rc != 0) {
        finish(r, rc);
        return;
    }
    if (n == 0) {
        r->from = r->page_upto + 1;
        read_page(r);
        return;
    }
    r->local_calls++;
}

static void
on_read_reply(struct cr_log_recovery *r, const struct cr_log_msg *reply)
{
    if (reply && reply->result == CR_LOG_ACK && reply->upto >= r->window_from) {
        r->page_acks++;
        if (reply->upto < r->page_upto)
            r->page_upto = reply->upto;
        if (reply->promised > r->max_promised)
            r->max_promised = reply->promised;
        for (size_t i = 0; i < reply->n_actions; i++)
            merge(r, &reply->actions[i]);
    }
    bool complete = cr_log_round_complete(r->round);
    size_t need = r->mode == M_RECOVER ? r->quorum : 1;
    if (r->mode == M_RECOVER ? r->page_acks >= need
                             : complete && r->page_acks >= need) {
        retire_round(r);
        store_page(r);
    } else if (complete) {
        retire_round(r);
        if (r->mode == M_RECOVER)
            later(r, read_page, true);
        else
            finish(r, CR_ETIMEOUT); /* nobody answered: try again later */
    }
}

static void
on_reply(void *owner, struct cr_log_round *rd, size_t i,
         const struct cr_log_msg *reply)
{
    struct cr_log_recovery *r = owner;
    if (rd != r->round)
        return;
    if (r->phase == PH_STATUS)
        on_status_reply(r, i, reply);
    else if (r->phase == PH_READ)
        on_read_reply(r, reply);
}

/* ---- API --------------------------------------------------------------- */

int
cr_log_recovery_start(struct cr_log_recovery *r, cr_log_recovery_cb cb,
                      void *data)
{
    if (r->mode != M_NONE || r->dead)
        return CR_ESTATE;
    r->mode = M_RECOVER;
    r->cb = cb;
    r->data = data;
    if (cr_log_replica_status(r->replica) == CR_LOG_VOTING)
        later(r, finish_ok, false);
    else
        status_round(r);
    return 0;
}

int
cr_log_recovery_catchup(struct cr_log_recovery *r, cr_log_recovery_cb cb,
                        void *data)
{
    if (r->mode != M_NONE || r->dead ||
        cr_log_replica_status(r->replica) != CR_LOG_VOTING)
        return CR_ESTATE;
    r->mode = M_CATCHUP;
    r->cb = cb;
    r->data = data;
    status_round(r);
    return 0;
}

static void
free_peers(struct cr_log_recovery *r)
{
    for (size_t i = 0; i < r->n_peers; i++)
        free(r->peers[i]);
    CR_FREE(r->peers);
    r->n_peers = 0;
}

static bool
has_peer(char *const *list, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

void
cr_log_recovery_set_peers(struct cr_log_recovery *r, const char *const *peers,
                          size_t n)
{
    char **old = r->peers;
    size_t n_old = r->n_peers;
    r->peers = cr_xcalloc(n + 1, sizeof(char *));
    r->n_peers = 0;
    for (size_t i = 0; i < n; i++) {
        bool skip = (r->self && strcmp(peers[i], r->self) == 0) ||
                    has_peer(r->peers, r->n_peers, peers[i]);
        if (!skip)
            r->peers[r->n_peers++] = cr_xstrdup(peers[i]);
    }
    bool changed = n_old != r->n_peers;
    for (size_t i = 0; i < n_old; i++) {
        changed = changed || !has_peer(r->peers, r->n_peers, old[i]);
        free(old[i]);
    }
    free(old);
    /* A status round still waiting for a peer that has just left (dead,
     * or stopped with its connection open) would wait out the call
     * timeout, and a STARTING replica would not reach VOTING in time for
     * an election: ask the peers there are now instead. */
    if (changed && r->phase == PH_STATUS && r->round != NULL && !r->dead)
        status_round(r);
}

struct cr_log_recovery *
cr_log_recovery_new(uv_loop_t *loop, const struct cr_log_recovery_cfg *cfg)
{
    struct cr_log_recovery *r = cr_xcalloc(1, sizeof(*r));
    r->loop = loop;
    r->transport = cfg->transport;
    r->replica = cfg->replica;
    r->self = cfg->self ? cr_xstrdup(cfg->self) : NULL;
    r->quorum = cfg->quorum ? cfg->quorum : 1;
    r->auto_init = cfg->auto_initialize;
    r->call_timeout = cfg->call_timeout > 0 ? cfg->call_timeout : 5.0;
    r->retry_min = cfg->retry_min > 0 ? cfg->retry_min : 0.1;
    r->rng = cfg->seed;
    if (r->rng == 0)
        cr_random_bytes(&r->rng, sizeof(r->rng));
    r->rng |= 1;
    uv_timer_init(loop, &r->timer);
    r->timer.data = r;
    snprintf(r->note, sizeof(r->note), "not started");
    return r;
}

static void
on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

static void
destroy(struct cr_log_recovery *r)
{
    cr_log_round_free(r->last);
    r->last = NULL;
    window_free(r);
    clear_voters(r);
    free_peers(r);
    free(r->self);
    uv_close((uv_handle_t *)&r->timer, on_timer_closed);
}

void
cr_log_recovery_free(struct cr_log_recovery *r)
{
    if (r == NULL || r->dead)
        return;
    r->dead = true;
    uv_timer_stop(&r->timer);
    r->retry_fn = NULL;
    retire_round(r);
    cr_log_recovery_cb cb = r->cb;
    r->cb = NULL;
    r->mode = M_NONE;
    if (cb)
        cb(r->data, CR_ECANCELED_OP);
    if (r->local_calls == 0)
        destroy(r);
}

void
cr_log_recovery_describe(const struct cr_log_recovery *r, struct cr_buf *out)
{
    cr_buf_printf(out, "local replica %s; %s; ",
                  cr_log_status_name(cr_log_replica_status(r->replica)),
                  r->note);
    const struct cr_log_round *rd = cr_log_round_latest(r->round, r->last);
    if (rd)
        cr_log_round_describe(rd, r->quorum, out);
    else
        cr_buf_puts(out, "no round yet");
}
