/* SPDX-License-Identifier: Apache-2.0
 *
 * operator_api.h: the agent's operator surface: POST /api/v1
 * (mesos.v1.agent.Call, reference §3.3; operator_api.c, the call decoder
 * in operator_call.c) and its metrics (metrics.c), served as
 * /metrics/snapshot, /metrics (Prometheus text) and GET_METRICS.
 *
 * Everything is computed when asked from the agent's object tables; no
 * state is kept between calls except the SET_LOGGING_LEVEL revert timer.
 * Loop thread only.
 */
#ifndef CR_AGENT_OPERATOR_API_H
#define CR_AGENT_OPERATOR_API_H

#include "agent.h"
#include "base/buf.h"
#include "model/resources.h"

#include <jansson.h>

/* POST /api/v1 (also under /slave(1)). Answers req. */
void operator_api_handle(struct agent *a, struct cr_http_req *req);

/* The agent's metrics as a flat object name -> number (new reference). */
json_t *agent_metrics_json(struct agent *a);
/* The same in the Prometheus text format. 0 or CR_ETOOBIG. */
int agent_metrics_prometheus(struct agent *a, struct cr_buf *out);

/* The resources e's container holds: a custom executor's own resources
 * plus those of its tasks that are not terminal (command executors carry
 * their task's resources, counted once). out must be initialised. */
void operator_exec_resources(const struct executor *e,
                             struct cr_resources *out);

#endif
