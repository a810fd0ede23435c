/* SPDX-License-Identifier: Apache-2.0
 *
 * metrics.h: helpers shared by the daemons' metrics endpoints.
 *
 * Metrics travel as a flat JSON object name -> number (upstream's
 * /metrics/snapshot shape, names like "slave/tasks_running").
 * cr_metrics_prometheus renders such an object in the Prometheus text
 * exposition format (version 0.0.4) for /metrics; cr_metrics_system adds
 * the host's system/... gauges. Neither keeps state. Any thread.
 */
#ifndef CR_BASE_METRICS_H
#define CR_BASE_METRICS_H

#include "buf.h"

#include <jansson.h>
#include <stddef.h>

/* Append one "# TYPE" line and one sample per numeric member of flat, in
 * the object's order. Names become Prometheus names by replacing every
 * character outside [a-zA-Z0-9_] with '_' ("slave/tasks_running" ->
 * "slave_tasks_running"), truncated to 127 characters; a name starting
 * with a digit gets a leading '_'. A metric named in counters (n entries)
 * is typed "counter", every other one "gauge". Non-numeric members are
 * skipped. 0, or CR_ETOOBIG when out is full (out then holds a prefix). */
int cr_metrics_prometheus(json_t *flat, const char *const *counters, size_t n,
                          struct cr_buf *out);

/* Set system/cpus_total, system/load_1min|5min|15min and
 * system/mem_total_bytes|mem_free_bytes (upstream's names) in o. */
void cr_metrics_system(json_t *o);

#endif
