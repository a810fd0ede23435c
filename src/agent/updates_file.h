/* SPDX-License-Identifier: Apache-2.0
 *
 * updates_file.h: the record format of task.updates checkpoints.
 *
 * One JSON object per line, appended in order:
 *   {"type":"UPDATE","framework_id":{"value":F},"status":{TaskStatus}}
 *   {"type":"ACK","uuid":"<base64>"}
 * A line is durable only once its '\n' is on disk; a torn last line (no
 * newline) is what a crash mid-append leaves and is not an error: the
 * parser reports the length of the valid prefix so recovery can truncate.
 * Every record is validated (state name, 16-byte uuid, task id) before it
 * reaches the callback. Pure functions, no I/O.
 */
#ifndef CR_AGENT_UPDATES_FILE_H
#define CR_AGENT_UPDATES_FILE_H

#include <jansson.h>
#include <stddef.h>

#define UPDATES_MAX_LINE (1024u * 1024)

enum updates_rec { UPDATES_REC_UPDATE, UPDATES_REC_ACK };

/* status is borrowed for the call; fw_id is NULL for ACK records, uuid is
 * the status uuid (UPDATE) or the acknowledged uuid (ACK). */
typedef int (*updates_rec_cb)(void *ctx, enum updates_rec type,
                              const char *fw_id, json_t *status,
                              const char *uuid);

/* Owned line ending in '\n'. */
char *updates_encode_update(const char *fw_id, const json_t *status);
char *updates_encode_ack(const char *uuid);

/* Check that status is a TaskStatus the agent can queue: task_id, a known
 * state, and a uuid of 16 base64 bytes. 0 or CR_EINVAL_INPUT with a reason
 * in err. */
int updates_check_status(const json_t *status, char *err, size_t errlen);

/* Parse len bytes of a task.updates file, calling cb per valid record.
 * *valid_len receives the length of the prefix made of complete records.
 * Returns 0, CR_EPROTO_DATA for a corrupt complete line (reason in err),
 * or the first non-zero value cb returned. */
int updates_parse(const char *data, size_t len, updates_rec_cb cb, void *ctx,
                  size_t *valid_len, char *err, size_t errlen);

#endif
