/* SPDX-License-Identifier: Apache-2.0
 *
 * action.h: the values of the replicated log and a replica's metadata.
 *
 * A log is a sequence of positions 1, 2, 3 ... Each position holds one
 * action: NOP (a hole filled by a new coordinator), APPEND (caller bytes) or
 * TRUNCATE (drop every position below `truncate_to`). A replica records, per
 * position, the ballot under which it accepted the action (`performed`) and
 * whether the action is known to be chosen (`learned`). Ballots and
 * positions are below 2^63 so they survive JSON.
 *
 * Replica status (see docs/replicated-log.md):
 *   EMPTY -> RECOVERING -> VOTING     (catch-up from a quorum of VOTING)
 *   EMPTY -> STARTING -> VOTING       (auto-initialisation of a new cluster)
 * Only a VOTING replica answers coordinators.
 *
 * Ownership: an action owns its value; cr_log_action_fini frees it.
 */
#ifndef CR_LOG_ACTION_H
#define CR_LOG_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest APPEND value (it travels base64 in one HTTP body). */
#define CR_LOG_MAX_VALUE (8u * 1024 * 1024)
/* Largest ballot or position (JSON integers are signed 64-bit). */
#define CR_LOG_MAX_U63 ((uint64_t)INT64_MAX)
/* A reply carrying actions stops before this many value bytes (but always
 * carries at least one action) and this many actions. */
#define CR_LOG_PAGE_BYTES   (8u * 1024 * 1024)
#define CR_LOG_PAGE_ACTIONS 1024u

enum cr_log_action_type {
    CR_LOG_NOP = 1,
    CR_LOG_APPEND = 2,
    CR_LOG_TRUNCATE = 3,
};

enum cr_log_status {
    CR_LOG_EMPTY = 1,
    CR_LOG_STARTING = 2,
    CR_LOG_RECOVERING = 3,
    CR_LOG_VOTING = 4,
};

struct cr_log_action {
    uint64_t position;
    uint64_t promised;  /* ballot in force when the action was written */
    uint64_t performed; /* ballot it was accepted with */
    bool learned;       /* known to be chosen */
    enum cr_log_action_type type;
    uint64_t truncate_to; /* TRUNCATE: positions < truncate_to go */
    uint8_t *value;       /* APPEND: owned, NULL when value_len is 0 */
    size_t value_len;
};

struct cr_log_meta {
    enum cr_log_status status;
    uint64_t promised; /* highest ballot promised (log-wide) */
    uint64_t begin;    /* lowest position that may still hold an action */
};

/* Free the value; the action is zeroed. NULL-safe. */
void cr_log_action_fini(struct cr_log_action *a);
/* Deep copy src into dst (OUT, overwritten). */
void cr_log_action_copy(struct cr_log_action *dst,
                        const struct cr_log_action *src);
/* Move src into dst (dst's old contents are not freed); src is zeroed. */
void cr_log_action_move(struct cr_log_action *dst, struct cr_log_action *src);
/* Check the fields a peer or the disk may have set: type, bounds, value
 * only on APPEND, truncate_to only on TRUNCATE and not past the position.
 * 0 or CR_EPROTO_DATA. */
int cr_log_action_check(const struct cr_log_action *a);

/* "NOP", "APPEND", "TRUNCATE" (or "?"); parse back: 0 or CR_EINVAL_INPUT. */
const char *cr_log_action_type_name(enum cr_log_action_type t);
int cr_log_action_type_parse(const char *s, enum cr_log_action_type *out);
/* "EMPTY", "STARTING", "RECOVERING", "VOTING" (or "?"); parse back. */
const char *cr_log_status_name(enum cr_log_status s);
int cr_log_status_parse(const char *s, enum cr_log_status *out);

#endif
