/* SPDX-License-Identifier: Apache-2.0
 *
 * opfmt.h: the pure halves of `corral state`, `corral weights` and
 * `corral quota`: reading v1 operator answers (GET_STATE, GET_WEIGHTS,
 * GET_QUOTA, upstream shapes) into summaries and tables, and building the
 * bodies of UPDATE_WEIGHTS and UPDATE_QUOTA from command-line words.
 *
 * Shapes (mesos.v1.master, Mesos 1.9+ for quota):
 *   get_weights {weight_infos: [{role, weight}]}
 *   get_quota   {status: {infos: [QuotaInfo], configs: [QuotaConfig]}}
 *   QuotaConfig {role, guarantees: {name: {value}}, limits: {name: {value}}}
 * Answers are borrowed; built JSON is returned as new references. No I/O.
 */
#ifndef CR_CLI_OPFMT_H
#define CR_CLI_OPFMT_H

#include "base/buf.h"
#include "table.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The v1 task states in display order: live ones first, then terminal. */
#define CLI_TASK_STATES 14
extern const char *const cli_task_states[CLI_TASK_STATES];
/* The index of a state name in cli_task_states; unknown names (and NULL)
 * map to TASK_UNKNOWN. */
size_t cli_task_state_index(const char *name);
/* True for the terminal states (the task holds no resources). */
bool cli_task_state_is_terminal(size_t idx);

/* Sum of the scalar values of the resources named name in a v1 Resource
 * array (0 when none or not an array). */
double cli_v1_scalar(const json_t *resources, const char *name);

/* The summary `corral state` prints for a get_state object: agents and
 * their resources (used/total), frameworks, executors, tasks per state.
 * master names who answered (may be NULL). 0 or CR_ETOOBIG. */
int cli_state_summary(const json_t *get_state, const char *master,
                      struct cr_buf *out);

/* Table ROLE WEIGHT of a get_weights object. t must be uninitialised. */
void cli_weights_table(const json_t *get_weights, struct cli_table *t);
/* weight_infos for UPDATE_WEIGHTS from n words "ROLE=WEIGHT" (weight a
 * finite number > 0, each role once). NULL with a one-line reason in err
 * when a word is malformed. */
json_t *cli_weights_parse(const char *const *words, size_t n, char *err,
                          size_t errlen);

/* Table ROLE GUARANTEES LIMITS ("cpus:2;mem:1024", "-" for none) of a
 * get_quota object: its status.configs, else (older masters) the
 * guarantees of status.infos. t must be uninitialised. */
void cli_quota_table(const json_t *get_quota, struct cli_table *t);
/* A QuotaConfig for role from "cpus:2;mem:1024" texts; either may be NULL
 * (no guarantees / no limits: both NULL removes the role's quota). NULL
 * with a one-line reason in err on a bad role or resource text. */
json_t *cli_quota_config_new(const char *role, const char *guarantees,
                             const char *limits, char *err, size_t errlen);

#endif
