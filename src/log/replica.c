/* SPDX-License-Identifier: Apache-2.0
 *
 * replica.c: see replica.h.
 *
 * Each request becomes a `req` with a sequence number and one storage
 * batch (possibly empty). The decision is taken at once against the view
 * (r->meta, r->end, the overlay over storage); the reply is built then and
 * sent from the batch's commit callback, so replies leave in decision order
 * and only describe durable state. Overlay entries carry the sequence
 * number of the batch that writes them and are dropped when it commits.
 *
 * Requests that cannot reach the storage (it has failed) are answered from
 * a zero-delay timer instead, so no answer is ever synchronous.
 *
 * Status diagram (changes only through cr_log_replica_set_status):
 *
 *   EMPTY --(recover: a quorum is VOTING)--> RECOVERING --(caught up)-->
 *   VOTING;  EMPTY --(auto-init: all EMPTY/STARTING)--> STARTING
 *   --(all STARTING/VOTING)--> VOTING
 */
#include "replica.h"

#include "base/err.h"
#include "base/hash.h"
#include "base/log.h"
#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct overlay {
    uint64_t position; /* key */
    uint64_t seq;      /* batch that writes it */
    struct cr_log_action a;
    UT_hash_handle hh;
};

struct req {
    struct cr_log_replica *r;
    uint64_t seq;
    int err;
    cr_log_replica_cb cb;  /* requests */
    cr_log_storage_cb scb; /* internal changes */
    void *data;
    struct cr_log_msg reply;
    struct req *prev, *next; /* r->reqs: waiting for their batch */
};

struct cr_log_replica {
    uv_loop_t *loop;
    struct cr_log_storage *s;
    struct cr_log_meta meta;
    uint64_t end;
    uint64_t seq;            /* last batch sequence number handed out */
    uint64_t learned_hint;   /* every position below is learned */
    struct overlay *overlay; /* uthash by position */
    struct req *reqs;        /* waiting for storage */
    struct req **deferred;   /* answered from the timer */
    size_t n_deferred;
    uv_timer_t timer;
    int failed;
    bool closing;
    int close_waits; /* storage and timer still closing */
    void (*closed)(void *data);
    void *closed_data;
};

/* ---- view ------------------------------------------------------------- */

static struct overlay *
overlay_find(struct cr_log_replica *r, uint64_t position)
{
    struct overlay *o;
    HASH_FIND(hh, r->overlay, &position, sizeof(position), o);
    return o;
}

static void
overlay_del(struct cr_log_replica *r, struct overlay *o)
{
    HASH_DEL(r->overlay, o);
    cr_log_action_fini(&o->a);
    free(o);
}

static void
overlay_put(struct cr_log_replica *r, const struct cr_log_action *a,
            uint64_t seq)
{
    struct overlay *o = overlay_find(r, a->position);
    if (o == NULL) {
        o = cr_xcalloc(1, sizeof(*o));
        o->position = a->position;
        HASH_ADD(hh, r->overlay, position, sizeof(o->position), o);
    } else {
        cr_log_action_fini(&o->a);
    }
    cr_log_action_copy(&o->a, a);
    o->seq = seq;
}

/* Drop overlay entries whose batches are committed (seq <= done), or all
 * entries below position `below`. */
static void
overlay_prune(struct cr_log_replica *r, uint64_t done, uint64_t below)
{
    struct overlay *o, *tmp;
    HASH_ITER(hh, r->overlay, o, tmp)
    if (o->seq <= done || o->position < below)
        overlay_del(r, o);
}

int
cr_log_replica_get(struct cr_log_replica *r, uint64_t position,
                   struct cr_log_action *out)
{
    memset(out, 0, sizeof(*out));
    if (position < r->meta.begin || position > r->end)
        return CR_ENOTFOUND;
    struct overlay *o = overlay_find(r, position);
    if (o != NULL) {
        cr_log_action_copy(out, &o->a);
        return 0;
    }
    return cr_log_storage_get(r->s, position, out);
}

/* ---- pages: the merged view of a range -------------------------------- */

struct page {
    struct cr_log_action *v;
    size_t n, cap, bytes;
    size_t max_n, max_bytes;
    uint64_t begin;
    bool full;
};

static void
page_push(struct page *p, const struct cr_log_action *a)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 16;
        p->v = cr_xrealloc(p->v, p->cap * sizeof(*p->v));
    }
    cr_log_action_copy(&p->v[p->n++], a);
    p->bytes += a->value_len;
}

static void
page_fini(struct page *p)
{
    for (size_t i = 0; i < p->n; i++)
        cr_log_action_fini(&p->v[i]);
    free(p->v);
}

static int
collect_stored(void *data, const struct cr_log_action *a)
{
    struct page *p = data;
    if (a->position < p->begin)
        return 0; /* truncated, deletion not committed yet */
    page_push(p, a);
    if (p->n >= p->max_n || p->bytes >= p->max_bytes) {
        p->full = true;
        return 1;
    }
    return 0;
}

static int
cmp_overlay(const void *a, const void *b)
{
    uint64_t x = (*(struct overlay *const *)a)->position;
    uint64_t y = (*(struct overlay *const *)b)->position;
    return x < y ? -1 : x > y;
}

/* The overlay entries in [lo, hi], sorted. Owned array of borrowed
 * pointers. */
static struct overlay **
overlay_range(struct cr_log_replica *r, uint64_t lo, uint64_t hi, size_t *n)
{
    struct overlay **v = cr_xcalloc(HASH_COUNT(r->overlay) + 1, sizeof(*v));
    struct overlay *o, *tmp;
    *n = 0;
    HASH_ITER(hh, r->overlay, o, tmp)
    if (o->position >= lo && o->position <= hi)
        v[(*n)++] = o;
    qsort(v, *n, sizeof(*v), cmp_overlay);
    return v;
}

/* Fill out with the actions in [from, to] (at most max_n actions; stops
 * before max_bytes of values unless nothing was added yet). *upto is the
 * last position the result fully describes. */
static int
view_page(struct cr_log_replica *r, uint64_t from, uint64_t to, size_t max_n,
          size_t max_bytes, struct page *out, uint64_t *upto)
{
    uint64_t lo = from > r->meta.begin ? from : r->meta.begin;
    uint64_t hi = to < r->end ? to : r->end;
    *upto = to;
    if (lo > hi)
        return 0;
    struct page st = {
        .max_n = max_n, .max_bytes = max_bytes, .begin = r->meta.begin};
    int rc = cr_log_storage_scan(r->s, lo, hi, collect_stored, &st);
    if (rc < 0) {
        page_fini(&st);
        return rc;
    }
    uint64_t limit = st.full ? st.v[st.n - 1].position : hi;
    size_t no;
    struct overlay **ov = overlay_range(r, lo, limit, &no);
    size_t i = 0, j = 0;
    *upto = st.full ? limit : to;
    while (i < st.n || j < no) {
        const struct cr_log_action *next;
        if (j < no && (i >= st.n || ov[j]->position <= st.v[i].position)) {
            if (i < st.n && st.v[i].position == ov[j]->position)
                i++; /* the overlay is newer */
            next = &ov[j++]->a;
        } else {
            next = &st.v[i++];
        }
        if (out->n > 0 &&
            (out->n >= max_n || out->bytes + next->value_len > max_bytes)) {
            *upto = next->position - 1;
            break;
        }
        page_push(out, next);
    }
    free(ov);
    page_fini(&st);
    return 0;
}

int
cr_log_replica_scan(struct cr_log_replica *r, uint64_t from, uint64_t to,
                    cr_log_scan_cb cb, void *data)
{
    while (from <= to) {
        struct page p = {0};
        uint64_t upto;
        int rc = view_page(r, from, to, CR_LOG_PAGE_ACTIONS, CR_LOG_PAGE_BYTES,
                           &p, &upto);
        for (size_t i = 0; rc == 0 && i < p.n; i++)
            rc = cb(data, &p.v[i]);
        page_fini(&p);
        if (rc != 0 || upto >= to)
            return rc;
        from = upto + 1;
    }
    return 0;
}

static int
stop_at_unlearned(void *data, const struct cr_log_action *a)
{
    uint64_t *next = data;
    if (a->position != *next || !a->learned)
        return 1;
    (*next)++;
    return 0;
}

uint64_t
cr_log_replica_first_unlearned(struct cr_log_replica *r)
{
    uint64_t next =
        r->learned_hint > r->meta.begin ? r->learned_hint : r->meta.begin;
    if (next <= r->end)
        (void)cr_log_replica_scan(r, next, r->end, stop_at_unlearned, &next);
    r->learned_hint = next;
    return next;
}

/* ---- mutations (into the view and the batch) --------------------------- */

static void
put_action(struct cr_log_replica *r, struct cr_log_batch *b,
           const struct cr_log_action *a)
{
    if (cr_log_batch_put(b, a) != 0)
        return; /* checked by the caller; cannot happen */
    overlay_put(r, a, r->seq);
    if (a->position > r->end)
        r->end = a->position;
}

static void
set_meta(struct cr_log_replica *r, struct cr_log_batch *b)
{
    cr_log_batch_set_meta(b, &r->meta);
}

static void
truncate_below(struct cr_log_replica *r, struct cr_log_batch *b, uint64_t to)
{
    if (to <= r->meta.begin)
        return;
    cr_info("replicated log: truncating positions below %llu (was %llu)",
            (unsigned long long)to, (unsigned long long)r->meta.begin);
    r->meta.begin = to;
    cr_log_batch_truncate(b, to);
    set_meta(r, b);
    overlay_prune(r, 0, to);
}

/* Is the action at position learned in the view? */
static bool
is_learned(struct cr_log_replica *r, uint64_t position,
           struct cr_log_action *cur /* OUT, owned, may stay empty */)
{
    return cr_log_replica_get(r, position, cur) == 0 && cur->learned;
}

/* Is position below begin, or learned here already? */
static bool
is_settled(struct cr_log_replica *r, uint64_t position)
{
    if (position < r->meta.begin)
        return true;
    struct cr_log_action cur;
    bool learned = is_learned(r, position, &cur);
    cr_log_action_fini(&cur);
    return learned;
}

/* Store a learned action and apply it if it is a TRUNCATE. */
static void
learn(struct cr_log_replica *r, struct cr_log_batch *b,
      const struct cr_log_action *a)
{
    struct cr_log_action l = *a; /* shallow: put_action copies */
    l.learned = true;
    put_action(r, b, &l);
    if (a->type == CR_LOG_TRUNCATE)
        truncate_below(r, b, a->truncate_to);
}

/* ---- message handlers -------------------------------------------------- */

static void
nack(struct cr_log_replica *r, struct cr_log_msg *reply)
{
    reply->result = CR_LOG_NACK;
    reply->promised = r->meta.promised;
}

static void
fill_page(struct cr_log_replica *r, const struct cr_log_msg *req,
          struct cr_log_msg *reply, int *err)
{
    struct page p = {0};
    *err = view_page(r, req->from, req->to, CR_LOG_PAGE_ACTIONS,
                     CR_LOG_PAGE_BYTES, &p, &reply->upto);
    reply->ranged = true;
    reply->from = req->from;
    reply->to = req->to;
    /* hand the page over without copying the values again */
    reply->actions = p.v;
    reply->n_actions = p.n;
}

static int
on_promise(struct cr_log_replica *r, const struct cr_log_msg *req,
           struct cr_log_batch *b, struct cr_log_msg *reply)
{
    bool ok = req->ranged ? req->ballot >= r->meta.promised
                          : req->ballot > r->meta.promised;
    if (!ok) {
        nack(r, reply);
        return 0;
    }
    if (req->ballot > r->meta.promised) {
        r->meta.promised = req->ballot;
        set_meta(r, b);
    }
    reply->result = CR_LOG_ACK;
    int err = 0;
    if (req->ranged)
        fill_page(r, req, reply, &err);
    return err;
}

static int
on_write(struct cr_log_replica *r, const struct cr_log_msg *req,
         struct cr_log_batch *b, struct cr_log_msg *reply)
{
    if (req->ballot < r->meta.promised) {
        nack(r, reply);
        return 0;
    }
    if (req->ballot > r->meta.promised) {
        r->meta.promised = req->ballot;
        set_meta(r, b);
    }
    for (size_t i = 0; i < req->n_actions; i++) {
        const struct cr_log_action *in = &req->actions[i];
        /* Below begin: truncated. Learned: final, and Paxos guarantees it
         * holds the same value. */
        if (is_settled(r, in->position))
            continue;
        struct cr_log_action a = *in;
        a.promised = req->ballot;
        a.performed = req->ballot;
        a.learned = false;
        put_action(r, b, &a);
    }
    reply->result = CR_LOG_ACK;
    return 0;
}

static int
on_learned(struct cr_log_replica *r, const struct cr_log_msg *req,
           struct cr_log_batch *b, struct cr_log_msg *reply)
{
    for (size_t i = 0; i < req->n_actions; i++)
        if (!is_settled(r, req->actions[i].position))
            learn(r, b, &req->actions[i]);
    for (size_t i = 0; i < req->n_positions; i++) {
        struct cr_log_action cur;
        if (req->positions[i] < r->meta.begin ||
            cr_log_replica_get(r, req->positions[i], &cur) != 0)
            continue; /* never accepted here: catch-up will bring it */
        if (!cur.learned && cur.performed == req->ballot)
            learn(r, b, &cur);
        cr_log_action_fini(&cur);
    }
    reply->result = CR_LOG_ACK;
    return 0;
}

static int
dispatch(struct cr_log_replica *r, const struct cr_log_msg *req,
         struct cr_log_batch *b, struct cr_log_msg *reply)
{
    reply->type = CR_LOG_MSG_REPLY;
    reply->ballot = req->ballot;
    int err = 0;
    if (req->type == CR_LOG_MSG_RECOVER) {
        reply->result = CR_LOG_ACK;
    } else if (r->meta.status != CR_LOG_VOTING) {
        reply->result = CR_LOG_IGNORED;
    } else {
        switch (req->type) {
        case CR_LOG_MSG_PROMISE:
            err = on_promise(r, req, b, reply);
            break;
        case CR_LOG_MSG_WRITE:
            err = on_write(r, req, b, reply);
            break;
        case CR_LOG_MSG_LEARNED:
            err = on_learned(r, req, b, reply);
            break;
        case CR_LOG_MSG_READ:
            reply->result = CR_LOG_ACK;
            fill_page(r, req, reply, &err);
            break;
        default:
            err = CR_EPROTO_DATA;
            break;
        }
    }
    reply->status = r->meta.status;
    if (reply->result != CR_LOG_NACK)
        reply->promised = r->meta.promised;
    reply->begin = r->meta.begin;
    reply->end = r->end;
    return err;
}

/* ---- request plumbing -------------------------------------------------- */

static void
req_link(struct cr_log_replica *r, struct req *q)
{
    q->next = r->reqs;
    if (r->reqs)
        r->reqs->prev = q;
    r->reqs = q;
}

static void
req_unlink(struct cr_log_replica *r, struct req *q)
{
    if (q->prev)
        q->prev->next = q->next;
    else
        r->reqs = q->next;
    if (q->next)
        q->next->prev = q->prev;
    q->prev = q->next = NULL;
}

static void
req_finish(struct req *q, int err)
{
    if (q->cb)
        q->cb(q->data, err, err == 0 ? &q->reply : NULL);
    else if (q->scb)
        q->scb(q->data, err);
    cr_log_msg_fini(&q->reply);
    free(q);
}

static void
on_timer(uv_timer_t *t)
{
    struct cr_log_replica *r = t->data;
    while (r->n_deferred > 0 && !r->closing) {
        struct req *q = r->deferred[0];
        memmove(r->deferred, r->deferred + 1,
                --r->n_deferred * sizeof(*r->deferred));
        req_finish(q, q->err);
    }
}

static void
defer(struct cr_log_replica *r, struct req *q, int err)
{
    q->err = err;
    r->deferred =
        cr_xrealloc(r->deferred, (r->n_deferred + 1) * sizeof(*r->deferred));
    r->deferred[r->n_deferred++] = q;
    uv_timer_start(&r->timer, on_timer, 0, 0);
}

static void
on_commit(void *data, int err)
{
    struct req *q = data;
    struct cr_log_replica *r = q->r;
    req_unlink(r, q);
    overlay_prune(r, q->seq, 0);
    if (err != 0 && r->failed == 0)
        r->failed = err;
    req_finish(q, err); /* last: the callback may close r */
}

static struct req *
req_new(struct cr_log_replica *r, void *data)
{
    struct req *q = cr_xcalloc(1, sizeof(*q));
    q->r = r;
    q->data = data;
    q->seq = ++r->seq;
    return q;
}

/* Submit q's batch, or defer q's answer with err. */
static void
req_submit(struct cr_log_replica *r, struct req *q, struct cr_log_batch *b,
           int err)
{
    if (r->closing) {
        /* Called from a callback run by close: answer at once. */
        cr_log_batch_free(b);
        req_finish(q, CR_ECANCELED_OP);
        return;
    }
    if (err == 0)
        err = r->failed;
    if (err == 0) {
        req_link(r, q);
        err = cr_log_storage_submit(r->s, b, on_commit, q);
        b = NULL;
        if (err != 0) {
            req_unlink(r, q);
            if (r->failed == 0)
                r->failed = err;
        }
    }
    cr_log_batch_free(b);
    if (err != 0) {
        cr_log_msg_fini(&q->reply);
        defer(r, q, err);
    }
}

void
cr_log_replica_handle(struct cr_log_replica *r, const struct cr_log_msg *req,
                      cr_log_replica_cb cb, void *data)
{
    struct req *q = req_new(r, data);
    q->cb = cb;
    if (r->closing) { /* a caller that ignored close: answer at once */
        req_finish(q, CR_ECANCELED_OP);
        return;
    }
    struct cr_log_batch *b = cr_log_batch_new();
    int err = r->failed;
    if (err == 0 && (req->type == CR_LOG_MSG_REPLY || cr_log_msg_check(req)))
        err = CR_EPROTO_DATA;
    if (err == 0)
        err = dispatch(r, req, b, &q->reply);
    req_submit(r, q, b, err);
}

int
cr_log_replica_set_status(struct cr_log_replica *r, enum cr_log_status to,
                          uint64_t promised, const char *reason,
                          cr_log_storage_cb cb, void *data)
{
    if (r->failed)
        return r->failed;
    if (to != r->meta.status)
        cr_info("replicated log: replica %s -> %s (%s)",
                cr_log_status_name(r->meta.status), cr_log_status_name(to),
                reason);
    r->meta.status = to;
    if (promised > r->meta.promised)
        r->meta.promised = promised;
    struct req *q = req_new(r, data);
    q->scb = cb;
    struct cr_log_batch *b = cr_log_batch_new();
    set_meta(r, b);
    req_submit(r, q, b, 0);
    return 0;
}

int
cr_log_replica_install(struct cr_log_replica *r,
                       const struct cr_log_action *actions, size_t n,
                       cr_log_storage_cb cb, void *data)
{
    if (r->failed)
        return r->failed;
    struct req *q = req_new(r, data);
    q->scb = cb;
    struct cr_log_batch *b = cr_log_batch_new();
    for (size_t i = 0; i < n; i++) {
        const struct cr_log_action *a = &actions[i];
        if (cr_log_action_check(a) != 0 || is_settled(r, a->position))
            continue;
        if (a->learned)
            learn(r, b, a);
        else
            put_action(r, b, a);
    }
    req_submit(r, q, b, 0);
    return 0;
}

/* ---- lifecycle --------------------------------------------------------- */

int
cr_log_replica_open(uv_loop_t *loop, const char *dir,
                    const struct cr_log_storage_opts *opts,
                    struct cr_log_replica **out, char *err, size_t errlen)
{
    *out = NULL;
    struct cr_log_storage *s;
    int rc = cr_log_storage_open(loop, dir, opts, &s, err, errlen);
    if (rc != 0)
        return rc;
    struct cr_log_replica *r = cr_xcalloc(1, sizeof(*r));
    r->loop = loop;
    r->s = s;
    rc = cr_log_storage_get_meta(s, &r->meta);
    if (rc == 0)
        rc = cr_log_storage_end(s, &r->end);
    if (rc != 0) {
        snprintf(err, errlen, "the replicated log in %s is unreadable: %s", dir,
                 cr_strerror(rc));
        cr_log_storage_close(s);
        free(r);
        return rc;
    }
    uv_timer_init(loop, &r->timer);
    r->timer.data = r;
    cr_info("replicated log: replica opened in %s: status %s, promised "
            "ballot %llu, positions %llu..%llu",
            dir, cr_log_status_name(r->meta.status),
            (unsigned long long)r->meta.promised,
            (unsigned long long)r->meta.begin, (unsigned long long)r->end);
    *out = r;
    return 0;
}

static void
close_step(void *data)
{
    struct cr_log_replica *r = data;
    if (--r->close_waits > 0)
        return;
    void (*closed)(void *) = r->closed;
    void *cdata = r->closed_data;
    free(r);
    if (closed)
        closed(cdata);
}

static void
on_closed(uv_handle_t *h)
{
    close_step(h->data);
}

void
cr_log_replica_close(struct cr_log_replica *r)
{
    cr_log_replica_close_cb(r, NULL, NULL);
}

void
cr_log_replica_close_cb(struct cr_log_replica *r, void (*closed)(void *data),
                        void *data)
{
    if (r == NULL || r->closing)
        return;
    r->closing = true;
    r->closed = closed;
    r->closed_data = data;
    r->close_waits = 3; /* storage, timer, this function */
    cr_log_storage_close_cb(r->s, close_step, r);
    while (r->reqs) {
        struct req *q = r->reqs;
        req_unlink(r, q);
        req_finish(q, CR_ECANCELED_OP);
    }
    for (size_t i = 0; i < r->n_deferred; i++)
        req_finish(r->deferred[i], CR_ECANCELED_OP);
    free(r->deferred);
    overlay_prune(r, UINT64_MAX, 0);
    uv_close((uv_handle_t *)&r->timer, on_closed);
    close_step(r);
}

enum cr_log_status
cr_log_replica_status(const struct cr_log_replica *r)
{
    return r->meta.status;
}

uint64_t
cr_log_replica_promised(const struct cr_log_replica *r)
{
    return r->meta.promised;
}

uint64_t
cr_log_replica_begin(const struct cr_log_replica *r)
{
    return r->meta.begin;
}

uint64_t
cr_log_replica_end(const struct cr_log_replica *r)
{
    return r->end;
}

int
cr_log_replica_failed(const struct cr_log_replica *r)
{
    return r->failed;
}
