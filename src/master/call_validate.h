/* SPDX-License-Identifier: Apache-2.0
 *
 * call_validate.h: structural validation of incoming calls (required
 * fields present, JSON types right, ids well formed, uuids 16 bytes).
 * Pure functions; borrowed arguments.
 */
#ifndef CR_MASTER_CALL_VALIDATE_H
#define CR_MASTER_CALL_VALIDATE_H

#include <jansson.h>
#include <stddef.h>

/* Longest id (framework, agent, task, offer...) the master accepts. */
#define CR_MAX_ID_LEN 1024

/* Validate a v1 scheduler Call. 0, or -1 with a one-line reason in err. */
int scheduler_call_validate(const json_t *call, char *err, size_t errlen);
/* Validate a master<->agent protocol call (docs/protocol.md). */
int agent_call_validate(const json_t *call, char *err, size_t errlen);

#endif
