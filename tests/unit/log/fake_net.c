/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_net.c: see fake_net.h. One timer drives a time-sorted event list.
 * A call is reference counted: by its scheduled events and by replica
 * requests in flight; canceled calls stay until both are gone.
 */
#include "fake_net.h"

#include "base/err.h"
#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

#define MAX_PEERS 16

enum ev_kind { EV_DELIVER, EV_DELIVER_DUP, EV_REPLY, EV_TIMEOUT };

struct fcall {
    struct fake_net *n;
    char *peer;
    struct cr_log_msg req;
    struct cr_log_msg reply;
    int reply_err;
    cr_log_reply_cb cb;
    void *data;
    int refs;
    bool done; /* answered, timed out or canceled */
};

struct ev {
    uint64_t at;
    uint64_t order; /* FIFO among equal times */
    enum ev_kind kind;
    struct fcall *fc;
    struct ev *next;
};

struct rctx {
    struct fcall *fc;
    bool dup;
};

struct peer {
    char *name;
    struct cr_log_replica *r;
    bool cut;
};

struct fake_net {
    uv_loop_t *loop;
    struct fake_net_opts o;
    uint64_t rng, order;
    struct cr_log_transport t;
    struct peer peers[MAX_PEERS];
    size_t n_peers;
    struct ev *events;
    uv_timer_t timer;
    struct fake_net_stats stats;
    unsigned long live;
};

static double
rnd(struct fake_net *n)
{
    uint64_t x = n->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    n->rng = x;
    return (double)((x * 0x2545F4914F6CDD1Dull) >> 11) / 9007199254740992.0;
}

static void
unref(struct fcall *fc)
{
    if (--fc->refs > 0)
        return;
    cr_log_msg_fini(&fc->req);
    cr_log_msg_fini(&fc->reply);
    free(fc->peer);
    free(fc);
}

static void on_timer(uv_timer_t *t);

static void
arm(struct fake_net *n)
{
    if (n->events == NULL) {
        uv_timer_stop(&n->timer);
        return;
    }
    uint64_t now = uv_now(n->loop);
    uint64_t at = n->events->at;
    uv_timer_start(&n->timer, on_timer, at > now ? at - now : 0, 0);
}

static void
schedule(struct fake_net *n, struct fcall *fc, enum ev_kind kind,
         uint64_t delay_ms)
{
    struct ev *e = cr_xcalloc(1, sizeof(*e));
    e->at = uv_now(n->loop) + delay_ms;
    e->order = n->order++;
    e->kind = kind;
    e->fc = fc;
    fc->refs++;
    struct ev **p = &n->events;
    while (*p &&
           ((*p)->at < e->at || ((*p)->at == e->at && (*p)->order < e->order)))
        p = &(*p)->next;
    e->next = *p;
    *p = e;
    arm(n);
}

static uint64_t
delay(struct fake_net *n)
{
    return n->o.max_delay_ms ? (uint64_t)(rnd(n) * (n->o.max_delay_ms + 1)) : 0;
}

static struct peer *
find(struct fake_net *n, const char *name)
{
    for (size_t i = 0; i < n->n_peers; i++)
        if (strcmp(n->peers[i].name, name) == 0)
            return &n->peers[i];
    return NULL;
}

/* Answer the caller once; the caller's reference is dropped by the
 * event that called this (which holds one more). */
static bool
finish(struct fcall *fc, int err, const struct cr_log_msg *reply)
{
    if (fc->done)
        return false;
    fc->done = true;
    fc->n->live--;
    fc->cb(fc->data, err, reply);
    return true;
}

static void
on_replica_reply(void *data, int err, const struct cr_log_msg *reply)
{
    struct rctx *rc = data;
    struct fcall *fc = rc->fc;
    struct fake_net *n = fc->n;
    if (!rc->dup && !fc->done) {
        if (rnd(n) < n->o.drop) {
            n->stats.dropped++;
        } else {
            fc->reply_err = err;
            if (reply)
                cr_log_msg_copy(&fc->reply, reply);
            schedule(n, fc, EV_REPLY, delay(n));
        }
    }
    free(rc);
    unref(fc);
}

static void
deliver(struct fake_net *n, struct fcall *fc, bool dup)
{
    struct peer *p = find(n, fc->peer);
    if (p == NULL || p->cut || p->r == NULL)
        return; /* vanishes: the caller times out */
    n->stats.delivered++;
    struct rctx *rc = cr_xcalloc(1, sizeof(*rc));
    rc->fc = fc;
    rc->dup = dup;
    fc->refs++;
    cr_log_replica_handle(p->r, &fc->req, on_replica_reply, rc);
}

static void
run_event(struct fake_net *n, struct ev *e)
{
    struct fcall *fc = e->fc;
    bool answered = false;
    switch (e->kind) {
    case EV_DELIVER:
    case EV_DELIVER_DUP:
        if (!fc->done || e->kind == EV_DELIVER_DUP)
            deliver(n, fc, e->kind == EV_DELIVER_DUP);
        break;
    case EV_REPLY:
        answered = finish(fc, fc->reply_err, fc->reply_err ? NULL : &fc->reply);
        break;
    case EV_TIMEOUT:
        if (!fc->done)
            n->stats.timeouts++;
        answered = finish(fc, CR_ETIMEOUT, NULL);
        break;
    }
    if (answered)
        fc->refs--; /* the caller's; this event still holds one */
    unref(fc);
}

static void
on_timer(uv_timer_t *t)
{
    struct fake_net *n = t->data;
    uint64_t now = uv_now(n->loop);
    while (n->events && n->events->at <= now) {
        struct ev *e = n->events;
        n->events = e->next;
        run_event(n, e);
        free(e);
    }
    arm(n);
}

static int
net_call(void *ctx, const char *peer, const struct cr_log_msg *req,
         double timeout_secs, cr_log_reply_cb cb, void *data, void **handle)
{
    struct fake_net *n = ctx;
    struct fcall *fc = cr_xcalloc(1, sizeof(*fc));
    fc->n = n;
    fc->peer = cr_xstrdup(peer);
    cr_log_msg_copy(&fc->req, req);
    fc->cb = cb;
    fc->data = data;
    fc->refs = 1; /* the caller's, until done or canceled */
    n->stats.sent++;
    n->live++;
    if (rnd(n) < n->o.drop)
        n->stats.dropped++;
    else
        schedule(n, fc, EV_DELIVER, delay(n));
    if (rnd(n) < n->o.dup) {
        n->stats.duplicated++;
        schedule(n, fc, EV_DELIVER_DUP, delay(n) + 1);
    }
    schedule(n, fc, EV_TIMEOUT, (uint64_t)(timeout_secs * 1000));
    *handle = fc;
    return 0;
}

static void
net_cancel(void *ctx, void *handle)
{
    struct fcall *fc = handle;
    (void)ctx;
    if (!fc->done) { /* always, by the transport contract */
        fc->done = true;
        fc->n->live--;
        unref(fc);
    }
}

struct fake_net *
fake_net_new(uv_loop_t *loop, const struct fake_net_opts *o)
{
    struct fake_net *n = cr_xcalloc(1, sizeof(*n));
    n->loop = loop;
    n->o = *o;
    n->rng = o->seed ? o->seed : 1;
    n->t.ctx = n;
    n->t.call = net_call;
    n->t.cancel = net_cancel;
    uv_timer_init(loop, &n->timer);
    n->timer.data = n;
    return n;
}

static void
on_closed(uv_handle_t *h)
{
    free(h->data);
}

void
fake_net_free(struct fake_net *n)
{
    while (n->events) {
        struct ev *e = n->events;
        n->events = e->next;
        unref(e->fc);
        free(e);
    }
    for (size_t i = 0; i < n->n_peers; i++)
        free(n->peers[i].name);
    uv_close((uv_handle_t *)&n->timer, on_closed);
}

void
fake_net_set(struct fake_net *n, const char *name, struct cr_log_replica *r)
{
    struct peer *p = find(n, name);
    if (p == NULL) {
        if (n->n_peers == MAX_PEERS)
            abort();
        p = &n->peers[n->n_peers++];
        p->name = cr_xstrdup(name);
    }
    p->r = r;
}

void
fake_net_cut(struct fake_net *n, const char *name, bool cut)
{
    struct peer *p = find(n, name);
    if (p)
        p->cut = cut;
}

void
fake_net_faults(struct fake_net *n, double drop, double dup)
{
    n->o.drop = drop;
    n->o.dup = dup;
}

const struct cr_log_transport *
fake_net_transport(struct fake_net *n)
{
    return &n->t;
}

struct fake_net_stats
fake_net_stats(const struct fake_net *n)
{
    return n->stats;
}

unsigned long
fake_net_live(const struct fake_net *n)
{
    return n->live;
}
