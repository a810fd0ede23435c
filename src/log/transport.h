/* SPDX-License-Identifier: Apache-2.0
 *
 * transport.h: how coordinators and recovering replicas reach replicas.
 *
 * A transport is a struct of function pointers so unit tests can put a
 * fake network (drops, duplicates, reordering) where production has HTTP
 * (transport_http.h). Peers are named by strings ("host:port").
 *
 * Async contract (libuv): call() returns 0 and then runs cb exactly once,
 * never from inside call() itself, unless cancel() is called first, after
 * which cb never runs; or call() returns an error and cb never runs. The
 * transport bounds each call by timeout_secs (CR_ETIMEOUT). The request is
 * borrowed for the duration of call(); the reply is borrowed for the
 * duration of cb and is NULL when err != 0.
 *
 * cr_log_rpc tracks an owner's outstanding calls so the owner can cancel
 * them all at once when it goes away (loop thread only).
 */
#ifndef CR_LOG_TRANSPORT_H
#define CR_LOG_TRANSPORT_H

#include "msg.h"

#include <stddef.h>

typedef void (*cr_log_reply_cb)(void *data, int err,
                                const struct cr_log_msg *reply);

struct cr_log_transport {
    void *ctx;
    int (*call)(void *ctx, const char *peer, const struct cr_log_msg *req,
                double timeout_secs, cr_log_reply_cb cb, void *data,
                void **handle /* OUT: for cancel */);
    void (*cancel)(void *ctx, void *handle);
};

struct cr_log_rpc_call;

struct cr_log_rpc {
    const struct cr_log_transport *t; /* borrowed */
    struct cr_log_rpc_call *head;
};

void cr_log_rpc_init(struct cr_log_rpc *r, const struct cr_log_transport *t);
/* Call through the transport, tracked. Same contract as transport call. */
int cr_log_rpc_call(struct cr_log_rpc *r, const char *peer,
                    const struct cr_log_msg *req, double timeout_secs,
                    cr_log_reply_cb cb, void *data);
/* Cancel every outstanding call: none of their callbacks will run. */
void cr_log_rpc_cancel_all(struct cr_log_rpc *r);
/* Number of outstanding calls. */
size_t cr_log_rpc_outstanding(const struct cr_log_rpc *r);

#endif
