/* SPDX-License-Identifier: Apache-2.0
 *
 * sum.h: the task status update manager.
 *
 * One stream per (framework, task). Each update carries a uuid. A new
 * update is checkpointed first (ops->checkpoint, durable when its done
 * callback fires); once durable the executor is told (ops->durable ->
 * ACKNOWLEDGED) and, if it is the head of its stream, it is forwarded to
 * the master (ops->forward) together with the task's latest state. Only
 * the head is ever in flight; it is re-forwarded with doubling backoff
 * (retry_min_ms .. retry_max_ms) from sum_tick() until the master relays
 * the scheduler's acknowledgement with that uuid (sum_acknowledge); then
 * the ACK is checkpointed and the next update goes out. An update whose
 * uuid the stream has seen before is a duplicate: it is not queued again
 * (the executor still gets its ACKNOWLEDGED once durable). An
 * acknowledgement for anything but the head is ignored. A stream whose
 * latest state is terminal and whose queue is empty is finished:
 * ops->stream_done fires and the stream is freed.
 *
 * Time is passed in (ops->now_ms and sum_tick's argument), so tests drive
 * retries without sleeping. Loop thread only; callbacks never re-enter
 * the manager synchronously from sum_update/sum_acknowledge except
 * ops->forward/ops->durable/ops->stream_done, which must not call back
 * into the manager.
 */
#ifndef CR_AGENT_SUM_H
#define CR_AGENT_SUM_H

#include "task_state.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sum;

typedef void (*sum_ckpt_done_cb)(void *arg, int err);

struct sum_ops {
    /* Append line (ends in '\n') to path; call done(arg, err) once
     * durable. Not called for streams without a path. */
    void (*checkpoint)(void *ctx, const char *path, const char *line,
                       size_t len, sum_ckpt_done_cb done, void *arg);
    /* Forward status (borrowed) to the master. */
    void (*forward)(void *ctx, const char *fw_id, const json_t *status,
                    const char *latest_state);
    /* The update with uuid is durable: tell the executor. */
    void (*durable)(void *ctx, const char *fw_id, const char *exec_id,
                    const char *task_id, const char *uuid);
    /* All updates of a terminal task are acknowledged. */
    void (*stream_done)(void *ctx, const char *fw_id, const char *task_id);
    uint64_t (*now_ms)(void *ctx);
};

enum sum_result {
    SUM_NEW = 0,       /* queued */
    SUM_DUPLICATE = 1, /* seen before; not queued again */
};

struct sum *sum_new(const struct sum_ops *ops, void *ctx);
/* Free every stream. Outstanding checkpoint callbacks become no-ops. */
void sum_free(struct sum *m);
void sum_set_retry(struct sum *m, uint64_t min_ms, uint64_t max_ms);

/* Receive a status update (borrowed; validated with updates_check_status
 * by the caller). path: the stream's task.updates file, or NULL when the
 * framework does not checkpoint. Returns SUM_NEW, SUM_DUPLICATE, or
 * CR_EINVAL_INPUT. */
int sum_update(struct sum *m, const char *fw_id, const char *exec_id,
               const char *path, const json_t *status);
/* Recovery: replay records read back from a task.updates file (already
 * durable; nothing is checkpointed or forwarded). */
int sum_recover_update(struct sum *m, const char *fw_id, const char *exec_id,
                       const char *path, const json_t *status);
int sum_recover_ack(struct sum *m, const char *fw_id, const char *task_id,
                    const char *uuid);
/* Recovery is over: streams that are finished fire stream_done. */
void sum_recover_done(struct sum *m);

/* The scheduler acknowledged uuid. 0 when it was the head;
 * CR_ENOTFOUND (no such stream) or CR_ESTATE (not the head: ignored). */
int sum_acknowledge(struct sum *m, const char *fw_id, const char *task_id,
                    const char *uuid);

/* Re-forward every durable head now (after (re)connecting to a master),
 * resetting backoffs. */
void sum_flush(struct sum *m);
/* Re-forward heads whose retry time has come. */
void sum_tick(struct sum *m, uint64_t now_ms);
/* Drop every stream of a framework (it was shut down). */
void sum_remove_framework(struct sum *m, const char *fw_id);

/* Queries. latest state: -1 when there is no stream. */
int sum_latest_state(const struct sum *m, const char *fw_id,
                     const char *task_id);
/* The head (oldest unacknowledged) update, borrowed, or NULL. */
const json_t *sum_head(const struct sum *m, const char *fw_id,
                       const char *task_id);
size_t sum_queue_len(const struct sum *m, const char *fw_id,
                     const char *task_id);
size_t sum_stream_count(const struct sum *m);
/* Whether any stream of the framework is open (a task not yet terminal,
 * or an update waiting for acknowledgement). */
bool sum_has_framework(const struct sum *m, const char *fw_id);

#endif
