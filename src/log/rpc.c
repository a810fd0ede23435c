/* SPDX-License-Identifier: Apache-2.0
 *
 * rpc.c: see transport.h (cr_log_rpc). Outstanding calls form a doubly
 * linked list; a call is unlinked and freed before its callback runs, so
 * the callback may cancel or free anything, including the owner.
 */
#include "base/mem.h"
#include "transport.h"

#include <stdlib.h>

struct cr_log_rpc_call {
    struct cr_log_rpc *rpc;
    void *handle;
    cr_log_reply_cb cb;
    void *data;
    struct cr_log_rpc_call *prev, *next;
};

void
cr_log_rpc_init(struct cr_log_rpc *r, const struct cr_log_transport *t)
{
    r->t = t;
    r->head = NULL;
}

static void
unlink_call(struct cr_log_rpc_call *c)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        c->rpc->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
}

static void
on_reply(void *data, int err, const struct cr_log_msg *reply)
{
    struct cr_log_rpc_call *c = data;
    cr_log_reply_cb cb = c->cb;
    void *cb_data = c->data;
    unlink_call(c);
    free(c);
    cb(cb_data, err, reply);
}

int
cr_log_rpc_call(struct cr_log_rpc *r, const char *peer,
                const struct cr_log_msg *req, double timeout_secs,
                cr_log_reply_cb cb, void *data)
{
    struct cr_log_rpc_call *c = cr_xcalloc(1, sizeof(*c));
    c->rpc = r;
    c->cb = cb;
    c->data = data;
    int rc =
        r->t->call(r->t->ctx, peer, req, timeout_secs, on_reply, c, &c->handle);
    if (rc != 0) {
        free(c);
        return rc;
    }
    c->next = r->head;
    if (r->head)
        r->head->prev = c;
    r->head = c;
    return 0;
}

void
cr_log_rpc_cancel_all(struct cr_log_rpc *r)
{
    while (r->head) {
        struct cr_log_rpc_call *c = r->head;
        r->head = c->next;
        r->t->cancel(r->t->ctx, c->handle);
        free(c);
    }
}

size_t
cr_log_rpc_outstanding(const struct cr_log_rpc *r)
{
    size_t n = 0;
    for (const struct cr_log_rpc_call *c = r->head; c; c = c->next)
        n++;
    return n;
}
