/* SPDX-License-Identifier: Apache-2.0
 *
 * replica.h: a replicated-log replica: the acceptor and learner of
 * multi-Paxos, over storage.h, driven by messages (msg.h).
 *
 * Rules (docs/replicated-log.md has the reasoning):
 *  - Only a VOTING replica answers PROMISE, WRITE, LEARNED and READ; in
 *    any other status it replies IGNORED with its status. RECOVER is
 *    answered in every status.
 *  - A full-range PROMISE succeeds only with a ballot strictly above the
 *    promised one; a ranged PROMISE and a WRITE need ballot >= promised
 *    and raise the promise to their ballot (a WRITE is an implicit
 *    promise). Otherwise the reply is a NACK carrying the promise.
 *  - A learned action is final: it is never overwritten.
 *  - A learned TRUNCATE{to} drops every position below `to` (begin = to).
 *  - Every reply is sent only after the state it reflects, and everything
 *    decided before it, is durable (each request rides one storage batch;
 *    batches commit in order).
 *
 * Decisions are taken on the loop against an in-memory view: the metadata
 * and an overlay of actions written by batches not yet committed, over the
 * committed LMDB state.
 *
 * Async contract: cr_log_replica_handle always answers exactly once
 * through cb, never from inside the call; the reply is borrowed for the
 * callback. Closing the replica answers what is still pending with
 * CR_ECANCELED_OP (from inside cr_log_replica_close).
 * Loop thread only.
 */
#ifndef CR_LOG_REPLICA_H
#define CR_LOG_REPLICA_H

#include "msg.h"
#include "storage.h"

#include <stdint.h>
#include <uv.h>

struct cr_log_replica;

typedef void (*cr_log_replica_cb)(void *data, int err,
                                  const struct cr_log_msg *reply);

/* Open the replica stored in dir (created if needed). opts may be NULL.
 * 0 or an error with a one-line reason in err. */
int cr_log_replica_open(uv_loop_t *loop, const char *dir,
                        const struct cr_log_storage_opts *opts,
                        struct cr_log_replica **out, char *err, size_t errlen);
/* Close: pending requests are answered with CR_ECANCELED_OP now; memory
 * is released once the loop has run. NULL-safe. */
void cr_log_replica_close(struct cr_log_replica *r);
/* Same, and run closed(data) once the storage is closed and the memory
 * released (the directory may then be opened again). */
void cr_log_replica_close_cb(struct cr_log_replica *r,
                             void (*closed)(void *data), void *data);

/* Handle one request. Invalid requests get err CR_EPROTO_DATA; once the
 * storage has failed every request gets the storage's error. */
void cr_log_replica_handle(struct cr_log_replica *r,
                           const struct cr_log_msg *req, cr_log_replica_cb cb,
                           void *data);

/* The in-memory view (may be ahead of the disk by uncommitted batches). */
enum cr_log_status cr_log_replica_status(const struct cr_log_replica *r);
uint64_t cr_log_replica_promised(const struct cr_log_replica *r);
uint64_t cr_log_replica_begin(const struct cr_log_replica *r);
uint64_t cr_log_replica_end(const struct cr_log_replica *r);
/* 0, or the storage error that stopped the replica. */
int cr_log_replica_failed(const struct cr_log_replica *r);
/* The lowest position >= begin that is not learned here (end + 1 when
 * everything is). */
uint64_t cr_log_replica_first_unlearned(struct cr_log_replica *r);
/* The action at position (OUT, owned). 0, CR_ENOTFOUND, or an error. */
int cr_log_replica_get(struct cr_log_replica *r, uint64_t position,
                       struct cr_log_action *out);
/* Visit the actions in [from, to] in order (borrowed for the call).
 * The visitor returns nonzero to stop (returned). 0 or error. */
int cr_log_replica_scan(struct cr_log_replica *r, uint64_t from, uint64_t to,
                        cr_log_scan_cb cb, void *data);
/* Recovery (recover.h): change status (logged; durable when cb runs) and
 * raise the promise to at least promised. Async contract as above; the
 * change is visible at once. 0 or the storage's error. */
int cr_log_replica_set_status(struct cr_log_replica *r, enum cr_log_status to,
                              uint64_t promised, const char *reason,
                              cr_log_storage_cb cb, void *data);
/* Recovery: store actions copied from other replicas as they are
 * (performed ballot and learned flag kept), except below begin and over
 * learned actions; learned TRUNCATEs apply. 0 or the storage's error. */
int cr_log_replica_install(struct cr_log_replica *r,
                           const struct cr_log_action *actions, size_t n,
                           cr_log_storage_cb cb, void *data);

#endif
