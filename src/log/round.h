/* SPDX-License-Identifier: Apache-2.0
 *
 * round.h: one request sent to a set of replicas, with each replica's
 * outcome kept for quorum counting and for the operator's error message
 * ("which replicas it reached, which it did not, what --quorum is").
 *
 * The owner gets one callback per reply or failure, after the round's
 * counters are updated; the callback may stop or free the round. Calls
 * that fail to start are recorded as FAILED without a callback (the owner
 * checks cr_log_round_complete after sending). Loop thread only.
 */
#ifndef CR_LOG_ROUND_H
#define CR_LOG_ROUND_H

#include "base/buf.h"
#include "msg.h"
#include "transport.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cr_log_outcome {
    CR_LOG_PENDING = 0,
    CR_LOG_GOT_ACK,
    CR_LOG_GOT_NACK,
    CR_LOG_GOT_IGNORED,
    CR_LOG_FAILED,
};

struct cr_log_round;

struct cr_log_round_peer {
    char *name; /* owned */
    enum cr_log_outcome outcome;
    int err;                   /* FAILED: why */
    enum cr_log_status status; /* from the reply, 0 if none */
    uint64_t promised;         /* NACK: the replica's promise */
    struct cr_log_round *round;
};

/* reply is borrowed and NULL when the call failed. */
typedef void (*cr_log_round_cb)(void *owner, struct cr_log_round *r, size_t i,
                                const struct cr_log_msg *reply);

struct cr_log_round {
    struct cr_log_rpc rpc;
    struct cr_log_round_peer *peers;
    size_t n;
    size_t acks, nacks, ignored, failed;
    cr_log_round_cb cb;
    void *owner;
    char what[96]; /* "election with ballot 4" */
};

/* A new empty round; what (copied, truncated) names it in messages. */
struct cr_log_round *cr_log_round_new(const struct cr_log_transport *t,
                                      const char *what, cr_log_round_cb cb,
                                      void *owner);
/* Send req to each of peers[0..n) (names copied). */
void cr_log_round_send(struct cr_log_round *r, char *const *peers, size_t n,
                       const struct cr_log_msg *req, double timeout_secs);
/* Cancel the calls still outstanding (their peers stay PENDING). */
void cr_log_round_stop(struct cr_log_round *r);
/* Stop and free. NULL-safe. */
void cr_log_round_free(struct cr_log_round *r);
/* A proposer keeps its current round and the one before it (whose answers
 * explain failures). Stop *cur, free *last, and keep *cur as *last. */
void cr_log_round_retire(struct cr_log_round **cur, struct cr_log_round **last);
/* The round worth describing: cur, unless it is still waiting for answers
 * and last exists (a finished round says more). May be NULL. */
const struct cr_log_round *cr_log_round_latest(const struct cr_log_round *cur,
                                               const struct cr_log_round *last);
/* Every peer has answered or failed. */
bool cr_log_round_complete(const struct cr_log_round *r);
/* The index of peer name in r, or -1. */
long cr_log_round_find(const struct cr_log_round *r, const char *name);
/* Append "<what>: reached a (ACK), b (IGNORED: EMPTY); not reached: c
 * (connection refused); --quorum=2" to out. */
void cr_log_round_describe(const struct cr_log_round *r, size_t quorum,
                           struct cr_buf *out);

#endif
