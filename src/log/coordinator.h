/* SPDX-License-Identifier: Apache-2.0
 *
 * coordinator.h: the proposer of the replicated log (multi-Paxos).
 *
 * Only the leading master runs a coordinator. It is elected by a quorum
 * of replicas and then appends with one write round per entry:
 *
 *   elect:  PROMISE{b} (full range) to every replica; with `quorum` ACKs
 *           the coordinator knows the highest end among them. It then
 *           recovers [first position not learned locally, that end] in
 *           pages: a ranged PROMISE{b, from, to} returns what a quorum
 *           accepted; for each position it re-writes the learned value if
 *           any replica learned one, else the value accepted with the
 *           highest ballot, else a NOP (a hole); then LEARNED. Appends go
 *           after that end.
 *   append: WRITE{b, [action]} to every replica (an implicit promise);
 *           committed once `quorum` replicas, including the local one,
 *           have accepted; then LEARNED to all (positions only to those
 *           that accepted, whole actions to the others), and the result
 *           is reported once the local replica has learned it.
 *
 * Rounds without a quorum are retried after a random 1-2 x retry_min delay
 * (forever: the caller bounds the time and frees the coordinator). A NACK
 * during the election restarts it with a ballot above the NACK's. A NACK
 * once elected means another coordinator holds a higher ballot: the
 * coordinator becomes LOST, fails every pending operation with
 * CR_ENOTLEADER and never reports a commit again (fencing).
 *
 * States: IDLE -> ELECTING -> ELECTED -> LOST;  any -> FAILED when the
 * local replica's storage fails.
 *
 * Async contract: elect/append/truncate return 0 and run cb exactly once
 * later (CR_ECANCELED_OP from cr_log_coord_free), or return an error and
 * never run cb. Loop thread only.
 */
#ifndef CR_LOG_COORDINATOR_H
#define CR_LOG_COORDINATOR_H

#include "base/buf.h"
#include "replica.h"
#include "transport.h"

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct cr_log_coord;

enum cr_log_coord_state {
    CR_LOG_COORD_IDLE,
    CR_LOG_COORD_ELECTING,
    CR_LOG_COORD_ELECTED,
    CR_LOG_COORD_LOST,
    CR_LOG_COORD_FAILED,
};

struct cr_log_coord_cfg {
    const struct cr_log_transport *transport; /* borrowed, outlives us */
    size_t quorum;                            /* >= 1 */
    /* The co-located replica: its peer name and handle (both NULL when
     * there is none, as in some tests). Its promise seeds the ballot, its
     * learned prefix bounds recovery, and commits wait for it. */
    const char *local;
    struct cr_log_replica *replica;
    double call_timeout; /* per call; 0: 5 s */
    double retry_min;    /* 0: 0.1 s */
    uint64_t seed;       /* retry jitter; 0: random */
};

/* elect: position = the log's end; append/truncate: the entry's position. */
typedef void (*cr_log_coord_cb)(void *data, int err, uint64_t position);

/* cfg is copied (local too). */
struct cr_log_coord *cr_log_coord_new(uv_loop_t *loop,
                                      const struct cr_log_coord_cfg *cfg);
/* Pending operations get CR_ECANCELED_OP (from inside this call); memory
 * is released once the loop has run. NULL-safe. */
void cr_log_coord_free(struct cr_log_coord *c);
/* Set the replicas to talk to (copied; duplicates dropped). Used by the
 * next round. */
void cr_log_coord_set_peers(struct cr_log_coord *c, const char *const *peers,
                            size_t n);

/* Get elected. CR_ESTATE unless IDLE. */
int cr_log_coord_elect(struct cr_log_coord *c, cr_log_coord_cb cb, void *data);
/* Append len bytes (copied; <= CR_LOG_MAX_VALUE). Queued behind earlier
 * operations. CR_ENOTLEADER when LOST, CR_ESTATE unless ELECTED,
 * CR_ETOOBIG. */
int cr_log_coord_append(struct cr_log_coord *c, const void *bytes, size_t len,
                        cr_log_coord_cb cb, void *data);
/* Append TRUNCATE{to}: once learned, replicas drop positions below `to`.
 * `to` must not pass the position the entry will get (CR_EINVAL_INPUT). */
int cr_log_coord_truncate(struct cr_log_coord *c, uint64_t to,
                          cr_log_coord_cb cb, void *data);

enum cr_log_coord_state cr_log_coord_state(const struct cr_log_coord *c);
const char *cr_log_coord_state_name(enum cr_log_coord_state s);
uint64_t cr_log_coord_ballot(const struct cr_log_coord *c);
/* The position the next append will get (valid once ELECTED). */
uint64_t cr_log_coord_next(const struct cr_log_coord *c);
/* Append a description of the current (or last) round: what it was,
 * which replicas answered how, which did not, the quorum. */
void cr_log_coord_describe(const struct cr_log_coord *c, struct cr_buf *out);

#endif
