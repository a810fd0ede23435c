/* SPDX-License-Identifier: Apache-2.0
 *
 * maintfmt.h: the pure half of `corral maintenance`: times, machine ids,
 * maintenance schedules (mesos.v1.maintenance.Schedule) and cluster status
 * (maintenance.ClusterStatus), upstream JSON shapes:
 *   Schedule  {windows: [{machine_ids: [{hostname, ip}],
 *              unavailability: {start: {nanoseconds}, duration:
 * {nanoseconds}}}]} ClusterStatus {draining_machines: [{id: MachineID,
 * statuses:
 *              [{status, framework_id, timestamp}]}], down_machines:
 * [MachineID]} Inputs are borrowed; built JSON is returned as new references.
 * No I/O.
 */
#ifndef CR_CLI_MAINTFMT_H
#define CR_CLI_MAINTFMT_H

#include "table.h"

#include <jansson.h>
#include <stddef.h>

#define CLI_MACHINE_FIELD_MAX 255 /* bytes of a hostname or an ip */

/* A start time: "now", seconds since the epoch ("1700000000", "1.5e9") or
 * RFC 3339 ("2024-05-01T12:00:00Z", "...T12:00:00.5+02:00"). now is the
 * current wall time in seconds. 0, or CR_EINVAL_INPUT. */
int cli_time_parse(const char *s, double now, double *out);
/* secs as RFC 3339 in UTC ("2024-05-01T12:00:00Z", with the fraction when
 * there is one). Returns out. */
char *cli_time_format(double secs, char *out, size_t n);

/* A MachineID from "HOST", "HOST/IP" or "/IP". NULL with a one-line reason
 * in err. */
json_t *cli_machine_parse(const char *word, char *err, size_t errlen);
/* The array of MachineIDs of n words (at least one). */
json_t *cli_machines_parse(const char *const *words, size_t n, char *err,
                           size_t errlen);
/* MachineIDs from --hostname and --ip lists: paired by position when both
 * are given (same count), else one field each. NULL with a reason in err
 * when none is given or the counts differ. */
json_t *cli_machines_from_lists(const char *const *hosts, size_t nh,
                                const char *const *ips, size_t ni, char *err,
                                size_t errlen);

/* A Window of machines (taken) unavailable from start for duration
 * seconds (duration < 0: no duration, i.e. indefinitely). */
json_t *cli_window_new(json_t *machines, double start, double duration);
/* A copy of schedule with window (taken) appended; its machines are first
 * removed from the other windows (a machine is in one window at most) and
 * windows left without machines are dropped. */
json_t *cli_schedule_add_window(const json_t *schedule, json_t *window);
/* The Schedule in doc: doc itself, or doc.schedule (the form `maintenance
 * schedule --json` prints). Checks the structure (windows of machine ids
 * with an unavailability start). A borrowed pointer into doc, or NULL with
 * a one-line reason in err. */
const json_t *cli_schedule_from_doc(const json_t *doc, char *err,
                                    size_t errlen);

/* Table WINDOW HOSTNAME IP START DURATION, a row per machine. */
void cli_schedule_table(const json_t *schedule, struct cli_table *t);
/* Table HOSTNAME IP MODE RESPONSES of a ClusterStatus: DRAINING machines
 * with the frameworks' answers ("<framework id>:ACCEPT,..."), DOWN ones. */
void cli_maint_status_table(const json_t *status, struct cli_table *t);

#endif
