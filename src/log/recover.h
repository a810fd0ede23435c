/* SPDX-License-Identifier: Apache-2.0
 *
 * recover.h: bringing the local replica to VOTING, and catching it up.
 *
 * Recovery (cr_log_recovery_start), repeated until the replica votes:
 *   1. RECOVER to every peer: each answers its status, promise, begin, end.
 *   2. If at least `quorum` peers are VOTING: the local replica becomes
 *      RECOVERING (durably: a crash from here on restarts recovery), reads
 *      [highest begin, highest end] page by page from a quorum of them
 *      (READ), keeps per position the learned action, else the one accepted
 *      with the highest ballot, stores those as they are, raises its promise
 *      to the highest promise reported, and becomes VOTING. A replica that
 *      lost its disk therefore never votes against a promise or an
 *      acceptance it made before.
 *   3. Else, with auto-initialisation, when every peer answered and all
 *      (the local replica included, at least `quorum` of them) are EMPTY or
 *      STARTING, and these are the whole cluster (2 * quorum - 1 replicas,
 *      as Mesos sizes it, not just the peers ZooKeeper has listed so far):
 *      EMPTY -> STARTING; when all are STARTING or VOTING: STARTING ->
 *      VOTING. The two steps keep one replica from voting alone while
 *      another still waits in EMPTY.
 *   4. Else retry after 1-2 x retry_min.
 *
 * Catch-up (cr_log_recovery_catchup), for a VOTING replica that missed
 * writes: learn the highest end among the peers, then read
 * [first unlearned position, that end] and store every action some peer
 * has learned (a learned action is chosen: no quorum is needed).
 *
 * Async contract: start/catchup return 0 and run cb exactly once later
 * (CR_ECANCELED_OP from cr_log_recovery_free), or return an error (one
 * activity at a time: CR_ESTATE) and never run cb. Loop thread only.
 */
#ifndef CR_LOG_RECOVER_H
#define CR_LOG_RECOVER_H

#include "base/buf.h"
#include "replica.h"
#include "transport.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct cr_log_recovery;

struct cr_log_recovery_cfg {
    const struct cr_log_transport *transport; /* borrowed */
    struct cr_log_replica *replica;           /* the local replica */
    const char *self; /* its peer name: not asked (copied) */
    size_t quorum;    /* >= 1 */
    bool auto_initialize;
    double call_timeout; /* 0: 5 s */
    double retry_min;    /* 0: 0.1 s */
    uint64_t seed;       /* 0: random */
};

typedef void (*cr_log_recovery_cb)(void *data, int err);

struct cr_log_recovery *
cr_log_recovery_new(uv_loop_t *loop, const struct cr_log_recovery_cfg *cfg);
/* Pending callbacks get CR_ECANCELED_OP; memory is released once the loop
 * has run. NULL-safe. */
void cr_log_recovery_free(struct cr_log_recovery *r);
/* The peers (self may be among them; it is skipped). Copied. */
void cr_log_recovery_set_peers(struct cr_log_recovery *r,
                               const char *const *peers, size_t n);
/* Run until the local replica is VOTING (at once if it is). */
int cr_log_recovery_start(struct cr_log_recovery *r, cr_log_recovery_cb cb,
                          void *data);
/* One catch-up pass (VOTING replicas only: CR_ESTATE otherwise). */
int cr_log_recovery_catchup(struct cr_log_recovery *r, cr_log_recovery_cb cb,
                            void *data);
/* Append what the current (or last) round found and what is missing. */
void cr_log_recovery_describe(const struct cr_log_recovery *r,
                              struct cr_buf *out);

#endif
