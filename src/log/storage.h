/* SPDX-License-Identifier: Apache-2.0
 *
 * storage.h: a log replica's durable state in LMDB.
 *
 * Layout: one LMDB environment in `dir` with two tables. "meta" holds one
 * record (status, promised ballot, begin); "actions" maps a position (8
 * big-endian bytes) to its action record (record.h). `end` is the highest
 * position present (0 when there is none). A directory without a meta
 * record is a fresh replica: EMPTY, promised 0, begin 1.
 *
 * Writes: the caller builds a batch (meta update, actions to store, a
 * truncation) and submits it. Batches are applied in submission order by a
 * chain of uv_queue_work jobs with at most one in flight; all batches queued
 * while a job runs are committed together by the next job (group commit:
 * one LMDB transaction, one fsync). The callback of a batch runs on the loop
 * once its transaction is durable. If a commit fails, that batch's and every
 * later batch's callbacks get the error: the caller's view of the state has
 * run ahead of the disk, so the storage refuses further writes
 * (cr_log_storage_failed).
 *
 * Reads are short read-only transactions on the loop thread; they see only
 * committed state.
 *
 * Threading: loop thread, except the commit itself, which runs on the libuv
 * thread pool and touches only the job it was handed and the environment.
 * Ownership: the storage owns its batches once submitted.
 */
#ifndef CR_LOG_STORAGE_H
#define CR_LOG_STORAGE_H

#include "action.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct cr_log_storage;
struct cr_log_batch;

struct cr_log_storage_opts {
    size_t map_size; /* LMDB map size; 0: 1 GiB */
    bool no_sync;    /* skip fsync on commit (tests only: not crash-safe) */
};

typedef void (*cr_log_storage_cb)(void *data, int err);
/* Scan visitor: the action is borrowed for the call. Return nonzero to
 * stop the scan (cr_log_storage_scan then returns that value). */
typedef int (*cr_log_scan_cb)(void *data, const struct cr_log_action *a);

/* Open (creating dir and the tables if needed). opts may be NULL. On
 * error, a one-line reason goes to err (size errlen). 0, -errno, or
 * CR_EPROTO_DATA when the existing meta record is corrupt. */
int cr_log_storage_open(uv_loop_t *loop, const char *dir,
                        const struct cr_log_storage_opts *opts,
                        struct cr_log_storage **out, char *err, size_t errlen);
/* Close. Queued batches are dropped and no callback runs any more; a
 * commit in flight finishes on the thread pool and the memory is released
 * after it (run the loop afterwards). NULL-safe. */
void cr_log_storage_close(struct cr_log_storage *s);
/* Same, and run closed(data) on the loop once the environment is closed
 * (the directory may then be opened again), possibly from inside this
 * call. */
void cr_log_storage_close_cb(struct cr_log_storage *s,
                             void (*closed)(void *data), void *data);

/* The meta record (OUT). A fresh replica yields EMPTY/0/1. 0 or error. */
int cr_log_storage_get_meta(struct cr_log_storage *s, struct cr_log_meta *out);
/* The action at position (OUT, owned by the caller). 0, CR_ENOTFOUND, or
 * CR_EPROTO_DATA for a record that does not decode or is filed under the
 * wrong position. */
int cr_log_storage_get(struct cr_log_storage *s, uint64_t position,
                       struct cr_log_action *out);
/* The highest stored position into *end (0 when none). 0 or error. */
int cr_log_storage_end(struct cr_log_storage *s, uint64_t *end);
/* Visit the stored actions with from <= position <= to in order. 0, the
 * visitor's nonzero value, or an error (CR_EPROTO_DATA for a bad record). */
int cr_log_storage_scan(struct cr_log_storage *s, uint64_t from, uint64_t to,
                        cr_log_scan_cb cb, void *data);

/* 0, or the error that made the storage refuse writes. */
int cr_log_storage_failed(const struct cr_log_storage *s);
/* How many submitted batches have not completed yet. */
size_t cr_log_storage_pending(const struct cr_log_storage *s);

/* Batches. Operations apply in the order they were added. */
struct cr_log_batch *cr_log_batch_new(void);
void cr_log_batch_free(struct cr_log_batch *b);
/* Replace the meta record. */
void cr_log_batch_set_meta(struct cr_log_batch *b, const struct cr_log_meta *m);
/* Store a (overwriting position a->position). The action is encoded now;
 * a stays the caller's. 0 or CR_EPROTO_DATA for an invalid action. */
int cr_log_batch_put(struct cr_log_batch *b, const struct cr_log_action *a);
/* Delete every action below position `to`. */
void cr_log_batch_truncate(struct cr_log_batch *b, uint64_t to);
/* Number of operations in b. */
size_t cr_log_batch_size(const struct cr_log_batch *b);

/* Queue b for commit (the storage takes b, also on error). cb(data, err)
 * runs on the loop after the commit, unless the storage is closed first.
 * Returns 0, or the failure of an earlier commit (cb will not run). */
int cr_log_storage_submit(struct cr_log_storage *s, struct cr_log_batch *b,
                          cr_log_storage_cb cb, void *data);

#endif
