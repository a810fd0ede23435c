/* SPDX-License-Identifier: Apache-2.0
 *
 * log.h: the replicated log as the master's registrar sees it.
 *
 * Every master opens one log: its replica lives in
 * <work_dir>/replicated_log (LMDB) and answers the other masters'
 * coordinators on POST /corral/v1/log (route it with
 * cr_log_http_handle(cr_log_local_replica(log), req)). The peer list (all
 * masters' "host:port", this one included) comes from the caller, who
 * learns it from ZooKeeper and calls cr_log_set_peers whenever it changes.
 * As soon as peers are known, a replica that is not VOTING recovers in the
 * background (auto-initialisation of a new cluster, or catch-up of a
 * replica whose disk was lost) so standbys are ready to vote.
 *
 * The leading master then calls cr_log_recover: wait for the local replica
 * to vote, get elected by a quorum (recovering every unlearned position),
 * and only then serve: read the registry with cr_log_read_all and write it
 * with cr_log_append / cr_log_snapshot. Each operation is bounded by its
 * timeout (--registry_fetch_timeout for recover, --registry_store_timeout
 * for writes); on failure the callback gets an error and a one-line reason
 * naming the replicas reached and not reached and --quorum, for the
 * master to print before exiting non-zero. After a timeout, or when
 * another master's coordinator takes over (CR_ENOTLEADER), this master is
 * no longer the writer: every later write fails.
 *
 * Async contract: recover/append/snapshot return 0 and run cb exactly once
 * later (CR_ECANCELED_OP from cr_log_close), or return an error and never
 * run cb. `why` is NULL on success and borrowed for the callback.
 * Loop thread only.
 */
#ifndef CR_LOG_LOG_H
#define CR_LOG_LOG_H

#include "replica.h"
#include "storage.h"
#include "transport.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct cr_log;

struct cr_log_cfg {
    const char *work_dir;    /* the replica goes in <work_dir>/replicated_log */
    const char *self;        /* this master's "host:port" (its peer name) */
    size_t quorum;           /* --quorum (>= 1) */
    bool auto_initialize;    /* --log_auto_initialize (Mesos default: true) */
    double fetch_timeout;    /* --registry_fetch_timeout; 0: 60 s */
    double store_timeout;    /* --registry_store_timeout; 0: 20 s */
    double call_timeout;     /* one message; 0: 5 s */
    double retry_min;        /* retry delay 1-2 x this; 0: 0.1 s */
    double catchup_interval; /* follower catch-up period; 0: 30 s; <0 off */
    /* NULL: HTTP to the peers (transport_http.h). Borrowed otherwise. */
    const struct cr_log_transport *transport;
    struct cr_log_storage_opts storage;
};

typedef void (*cr_log_done_cb)(void *data, int err, const char *why);
typedef void (*cr_log_pos_cb)(void *data, int err, uint64_t position,
                              const char *why);
/* One entry: borrowed for the call. Return nonzero to stop. */
typedef int (*cr_log_entry_cb)(void *data, uint64_t position,
                               const uint8_t *bytes, size_t len);

/* Open the local replica (0, or an error with a one-line reason). */
int cr_log_open(uv_loop_t *loop, const struct cr_log_cfg *cfg,
                struct cr_log **out, char *err, size_t errlen);
/* Pending callbacks get CR_ECANCELED_OP; memory is released once the loop
 * has run. NULL-safe. */
void cr_log_close(struct cr_log *log);
/* All masters' addresses (copied; self is added if missing). */
void cr_log_set_peers(struct cr_log *log, const char *const *peers, size_t n);
/* The local replica, for the HTTP route (valid until cr_log_close). */
struct cr_log_replica *cr_log_local_replica(struct cr_log *log);

/* Become the writer: local replica VOTING, then elected by a quorum.
 * cb(err 0 | CR_ETIMEOUT | ..., why). CR_ESTATE if already running or
 * done. */
int cr_log_recover(struct cr_log *log, cr_log_done_cb cb, void *data);
/* Stop being the writer, or stop becoming it (the master lost its
 * leadership): a pending recover and pending writes get CR_ECANCELED_OP
 * (from inside this call) and the coordinator is dropped. The replica keeps
 * voting, and a later cr_log_recover starts over with a new coordinator
 * whose ballot is above every one this replica promised. No-op when
 * neither writing nor recovering. */
void cr_log_resign(struct cr_log *log);
/* Append len bytes (<= CR_LOG_MAX_VALUE); cb gets its position. Writer
 * only (CR_ESTATE before recover, CR_ENOTLEADER once deposed). */
int cr_log_append(struct cr_log *log, const void *bytes, size_t len,
                  cr_log_pos_cb cb, void *data);
/* Append a snapshot and then truncate the log before it, so read_all
 * starts at the snapshot. cb gets the snapshot's position. */
int cr_log_snapshot(struct cr_log *log, const void *bytes, size_t len,
                    cr_log_pos_cb cb, void *data);
/* Visit the APPEND entries of the local replica from its beginning, in
 * order, up to the first position it has not learned (on the writer that
 * is everything committed). Synchronous. 0, the visitor's value, CR_ESTATE
 * if the replica is not VOTING, or a storage error. */
int cr_log_read_all(struct cr_log *log, cr_log_entry_cb cb, void *data);

/* This master is the elected writer. */
bool cr_log_is_writer(const struct cr_log *log);
/* The status of the local replica. */
enum cr_log_status cr_log_local_status(const struct cr_log *log);
/* A description of where the log stands (replicas reached, quorum). */
void cr_log_describe(const struct cr_log *log, struct cr_buf *out);

#endif
