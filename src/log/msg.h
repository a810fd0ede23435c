/* SPDX-License-Identifier: Apache-2.0
 *
 * msg.h: the messages between log coordinators and replicas, and their
 * JSON encoding (docs/replicated-log.md lists every field).
 *
 * Every exchange is a request answered by one REPLY:
 *   PROMISE {ballot}            full-range (implicit) promise
 *   PROMISE {ballot, from, to}  promise that also returns the actions in
 *                               [from, to] (one page; REPLY.upto says how
 *                               far the page reaches)
 *   WRITE   {ballot, actions}   accept these actions (implicit promise)
 *   LEARNED {ballot, positions, actions}
 *                               these positions are chosen: `positions`
 *                               are learned if accepted with `ballot`,
 *                               `actions` carry their value
 *   RECOVER {}                  status, promised, begin, end
 *   READ    {from, to}          the actions in [from, to] (one page)
 *   REPLY   {result ACK|NACK|IGNORED, ballot, status, promised, begin, end,
 *            upto, actions, positions}
 * A NACK carries the replica's promised ballot (higher than the request's);
 * IGNORED means the replica is not VOTING (its status says why) or the
 * request was not applicable.
 *
 * Limits: at most CR_LOG_PAGE_ACTIONS actions and positions per message,
 * at most CR_LOG_PAGE_BYTES value bytes in all. The decoder enforces them
 * and every field's range; it never trusts a count.
 * Ownership: a message owns its arrays; cr_log_msg_fini frees them.
 */
#ifndef CR_LOG_MSG_H
#define CR_LOG_MSG_H

#include "action.h"
#include "base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cr_log_msg_type {
    CR_LOG_MSG_PROMISE = 1,
    CR_LOG_MSG_WRITE = 2,
    CR_LOG_MSG_LEARNED = 3,
    CR_LOG_MSG_RECOVER = 4,
    CR_LOG_MSG_READ = 5,
    CR_LOG_MSG_REPLY = 6,
};

enum cr_log_result {
    CR_LOG_ACK = 1,
    CR_LOG_NACK = 2,
    CR_LOG_IGNORED = 3,
};

struct cr_log_msg {
    enum cr_log_msg_type type;
    uint64_t ballot; /* PROMISE, WRITE, LEARNED, REPLY (the ballot answered) */
    bool ranged;     /* PROMISE: from/to present (READ: always) */
    uint64_t from, to;
    struct cr_log_action *actions; /* owned */
    size_t n_actions;
    uint64_t *positions; /* owned */
    size_t n_positions;
    /* REPLY */
    enum cr_log_result result;
    enum cr_log_status status;
    uint64_t promised, begin, end, upto;
};

/* Free the arrays; the message is zeroed. NULL-safe. */
void cr_log_msg_fini(struct cr_log_msg *m);
/* Deep copy src into dst (OUT). */
void cr_log_msg_copy(struct cr_log_msg *dst, const struct cr_log_msg *src);
/* Append an action (copied) / a position. */
void cr_log_msg_add_action(struct cr_log_msg *m, const struct cr_log_action *a);
void cr_log_msg_add_position(struct cr_log_msg *m, uint64_t position);
/* Check the fields of a message against its type and the limits.
 * 0 or CR_EPROTO_DATA. */
int cr_log_msg_check(const struct cr_log_msg *m);

/* Append the JSON form of m to b. 0 or CR_ETOOBIG. */
int cr_log_msg_to_json(const struct cr_log_msg *m, struct cr_buf *b);
/* Parse len bytes of JSON into out (OUT; fini it on success). On error out
 * is empty and err (size errlen) says why. 0 or CR_EPROTO_DATA. */
int cr_log_msg_from_json(const char *data, size_t len, struct cr_log_msg *out,
                         char *err, size_t errlen);

/* "PROMISE", "WRITE", ... and "ACK", "NACK", "IGNORED" (or "?"). */
const char *cr_log_msg_type_name(enum cr_log_msg_type t);
const char *cr_log_result_name(enum cr_log_result r);

#endif
