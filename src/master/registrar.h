/* SPDX-License-Identifier: Apache-2.0
 *
 * registrar.h: the registry (registry.h) kept in the replicated log.
 *
 * The leading master's registrar recovers the log (becoming its only
 * writer), replays it into an in-memory registry, and from then on commits
 * every change as a log entry before the change counts: an operation's
 * callback runs once its entry is stored by a quorum of replicas, and only
 * then is it applied to the registry that registrar_registry() shows.
 * Operations queued while a store is in flight go out together as the next
 * entry (a batch), so entries are written one at a time in submission
 * order. Every `snapshot_every` batches the whole registry is written as a
 * snapshot and the log truncated before it.
 *
 * States:
 *
 *            recover()          log recovered, replayed
 *   IDLE -----------------> RECOVERING -----------------> READY
 *    ^                         |   |                        |
 *    +------ resign() ---------+---|------------------------+
 *                                  | fetch fails       store fails,
 *                                  v                   deposed
 *                               FAILED <----------------+
 *
 * FAILED is final: the failure callback (and the recover callback, during
 * recovery) gets the log's one-line reason, and the master exits so that a
 * supervisor restarts it as a standby (as Mesos does). It never keeps
 * serving after a failed write. resign() (leadership lost) cancels what is
 * pending with CR_ECANCELED_OP and empties the registry; a later recover()
 * reads it again.
 *
 * Without a log (--registry=in_memory) the registrar is READY from the
 * start, nothing survives the process, and stores complete on the next
 * loop turn.
 *
 * Async contract: recover/apply return 0 and run cb exactly once later
 * (CR_ECANCELED_OP on resign or free), or return an error and never run
 * cb. Do not call registrar_free from one of its callbacks. Loop thread
 * only.
 */
#ifndef CR_MASTER_REGISTRAR_H
#define CR_MASTER_REGISTRAR_H

#include "registry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct cr_log;
struct registrar;

/* err 0 on success; why is a one-line reason (NULL on success), borrowed
 * for the call. */
typedef void (*registrar_done_cb)(void *data, int err, const char *why);

struct registrar_cfg {
    uv_loop_t *loop;
    struct cr_log *log;    /* borrowed; NULL: the registry is in memory */
    size_t snapshot_every; /* batches between snapshots; 0: 100 */
    /* A store failed or this master was deposed (state FAILED). */
    registrar_done_cb on_failure;
    void *failure_data;
};

enum registrar_state {
    REGISTRAR_IDLE,
    REGISTRAR_RECOVERING,
    REGISTRAR_READY,
    REGISTRAR_FAILED,
};

struct registrar_stats {
    double fetch_ms;     /* the last recovery (log recover + replay) */
    double store_ms;     /* the last store */
    uint64_t size_bytes; /* the last snapshot plus the batches after it */
    uint64_t stores;     /* entries written by this master */
    uint64_t entries;    /* entries read at the last recovery */
    uint64_t skipped;    /* operations that did not fit, read or written */
};

struct registrar *registrar_new(const struct registrar_cfg *cfg);
/* Cancel what is pending (callbacks get CR_ECANCELED_OP) and free.
 * NULL-safe. The log stays open (it is the caller's). */
void registrar_free(struct registrar *r);

/* Recover the log and replay it. cb(0) once READY; cb(err, why) when the
 * log cannot be recovered within --registry_fetch_timeout or a record
 * cannot be read (state FAILED). CR_ESTATE unless IDLE. */
int registrar_recover(struct registrar *r, registrar_done_cb cb, void *data);
/* Leadership is gone: cancel the recovery or the pending operations and
 * stop being the log's writer. No-op unless RECOVERING or READY. */
void registrar_resign(struct registrar *r);

/* Commit op (taken: *op is left empty, even on error). cb(0) once it is
 * stored and applied; cb(CR_ESTATE, why) when it was stored but did not
 * fit the registry; cb(err, why) when the store failed. CR_ESTATE unless
 * READY. */
int registrar_apply(struct registrar *r, struct registry_op *op,
                    registrar_done_cb cb, void *data);

enum registrar_state registrar_state(const struct registrar *r);
const char *registrar_state_name(enum registrar_state s);
/* The registry as committed (borrowed; empty unless READY). */
const struct registry *registrar_registry(const struct registrar *r);
/* The registry survives this process (it is in the replicated log). */
bool registrar_is_durable(const struct registrar *r);
void registrar_get_stats(const struct registrar *r,
                         struct registrar_stats *out);

#endif
