/* SPDX-License-Identifier: Apache-2.0
 *
 * round.c: see round.h.
 */
#include "round.h"

#include "base/err.h"
#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cr_log_round *
cr_log_round_new(const struct cr_log_transport *t, const char *what,
                 cr_log_round_cb cb, void *owner)
{
    struct cr_log_round *r = cr_xcalloc(1, sizeof(*r));
    cr_log_rpc_init(&r->rpc, t);
    r->cb = cb;
    r->owner = owner;
    snprintf(r->what, sizeof(r->what), "%s", what);
    return r;
}

static void
on_reply(void *data, int err, const struct cr_log_msg *reply)
{
    struct cr_log_round_peer *p = data;
    struct cr_log_round *r = p->round;
    size_t i = (size_t)(p - r->peers);
    if (err == 0 && reply->type != CR_LOG_MSG_REPLY)
        err = CR_EPROTO_DATA;
    if (err != 0) {
        p->outcome = CR_LOG_FAILED;
        p->err = err;
        r->failed++;
        reply = NULL;
    } else {
        p->status = reply->status;
        switch (reply->result) {
        case CR_LOG_ACK:
            p->outcome = CR_LOG_GOT_ACK;
            r->acks++;
            break;
        case CR_LOG_NACK:
            p->outcome = CR_LOG_GOT_NACK;
            p->promised = reply->promised;
            r->nacks++;
            break;
        default:
            p->outcome = CR_LOG_GOT_IGNORED;
            r->ignored++;
            break;
        }
    }
    r->cb(r->owner, r, i, reply); /* last: it may free r */
}

void
cr_log_round_send(struct cr_log_round *r, char *const *peers, size_t n,
                  const struct cr_log_msg *req, double timeout_secs)
{
    /* The peer array never moves once calls hold pointers into it. */
    if (r->n != 0 || n == 0)
        return;
    r->peers = cr_xcalloc(n, sizeof(*r->peers));
    r->n = n;
    for (size_t i = 0; i < n; i++) {
        r->peers[i].name = cr_xstrdup(peers[i]);
        r->peers[i].round = r;
    }
    for (size_t i = 0; i < n; i++) {
        int rc = cr_log_rpc_call(&r->rpc, peers[i], req, timeout_secs, on_reply,
                                 &r->peers[i]);
        if (rc != 0) {
            r->peers[i].outcome = CR_LOG_FAILED;
            r->peers[i].err = rc;
            r->failed++;
        }
    }
}

void
cr_log_round_stop(struct cr_log_round *r)
{
    cr_log_rpc_cancel_all(&r->rpc);
}

void
cr_log_round_free(struct cr_log_round *r)
{
    if (r == NULL)
        return;
    cr_log_round_stop(r);
    for (size_t i = 0; i < r->n; i++)
        free(r->peers[i].name);
    free(r->peers);
    free(r);
}

void
cr_log_round_retire(struct cr_log_round **cur, struct cr_log_round **last)
{
    if (*cur == NULL)
        return;
    cr_log_round_stop(*cur);
    cr_log_round_free(*last);
    *last = *cur;
    *cur = NULL;
}

const struct cr_log_round *
cr_log_round_latest(const struct cr_log_round *cur,
                    const struct cr_log_round *last)
{
    if (cur == NULL || (!cr_log_round_complete(cur) && last != NULL))
        return last;
    return cur;
}

bool
cr_log_round_complete(const struct cr_log_round *r)
{
    return r->acks + r->nacks + r->ignored + r->failed >= r->n;
}

long
cr_log_round_find(const struct cr_log_round *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->peers[i].name, name) == 0)
            return (long)i;
    return -1;
}

static void
describe_reached(const struct cr_log_round_peer *p, struct cr_buf *out)
{
    switch (p->outcome) {
    case CR_LOG_GOT_ACK:
        cr_buf_printf(out, "%s (accepted)", p->name);
        break;
    case CR_LOG_GOT_NACK:
        cr_buf_printf(out, "%s (refused: promised to ballot %llu)", p->name,
                      (unsigned long long)p->promised);
        break;
    default:
        cr_buf_printf(out, "%s (not voting: %s)", p->name,
                      p->status ? cr_log_status_name(p->status)
                                : "not applicable");
        break;
    }
}

void
cr_log_round_describe(const struct cr_log_round *r, size_t quorum,
                      struct cr_buf *out)
{
    size_t reached = r->acks + r->nacks + r->ignored;
    cr_buf_printf(out,
                  "%s: %zu of %zu replicas answered, %zu accepted, "
                  "--quorum=%zu; reached: ",
                  r->what, reached, r->n, r->acks, quorum);
    bool first = true;
    for (size_t i = 0; i < r->n; i++) {
        const struct cr_log_round_peer *p = &r->peers[i];
        if (p->outcome == CR_LOG_PENDING || p->outcome == CR_LOG_FAILED)
            continue;
        cr_buf_puts(out, first ? "" : ", ");
        describe_reached(p, out);
        first = false;
    }
    cr_buf_puts(out, first ? "none; not reached: " : "; not reached: ");
    first = true;
    for (size_t i = 0; i < r->n; i++) {
        const struct cr_log_round_peer *p = &r->peers[i];
        if (p->outcome != CR_LOG_PENDING && p->outcome != CR_LOG_FAILED)
            continue;
        cr_buf_printf(out, "%s%s (%s)", first ? "" : ", ", p->name,
                      p->outcome == CR_LOG_PENDING ? "no answer yet"
                                                   : cr_strerror(p->err));
        first = false;
    }
    if (first)
        cr_buf_puts(out, "none");
    if (r->n == 0)
        cr_buf_puts(out, " (no replicas known)");
}
