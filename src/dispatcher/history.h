/* SPDX-License-Identifier: Apache-2.0
 *
 * history.h: a driver's recent state history, for the web UI: the last
 * DISP_HISTORY_MAX transitions (submitted, launched, task status updates,
 * relaunch scheduled, finished, kill asked, recovered), each with its wall
 * time, the driver state after it, the task and its Mesos state at that
 * moment and a short message.
 *
 * Invariants: at most DISP_HISTORY_MAX entries (the oldest are dropped);
 * every string is bounded (a message is cut at DISP_HISTORY_TEXT bytes,
 * on a UTF-8 character boundary); two consecutive identical entries
 * (same state, task, task state and message) are recorded once, so
 * repeated reconciliation answers do not flush the history. The history
 * is not persisted: a dispatcher that loads a driver from ZooKeeper
 * starts its history with a "recovered" entry.
 *
 * Ownership: a driver owns its history (struct disp_driver.history,
 * allocated on the first entry, freed by disp_driver_free).
 * Threading: none.
 */
#ifndef CR_DISPATCHER_HISTORY_H
#define CR_DISPATCHER_HISTORY_H

#include "record.h"

#include <jansson.h>
#include <stddef.h>

#define DISP_HISTORY_MAX  32
#define DISP_HISTORY_TEXT 256

struct disp_history;

/* Record a transition of drv at wall time t: its current state, its task
 * id (not for a QUEUED driver), the state of its last TaskStatus (when it
 * has one and is not QUEUED) and message (may be NULL). */
void disp_driver_note(struct disp_driver *drv, double t, const char *message);
/* The number of entries kept (0 for NULL). */
size_t disp_history_len(const struct disp_history *h);
/* The entries, oldest first: [{"time": secs, "state": "LAUNCHED",
 * "taskId"?, "taskState"?, "message"?}]. A new array (empty for NULL). */
json_t *disp_history_json(const struct disp_history *h);
/* NULL-safe. */
void disp_history_free(struct disp_history *h);

#endif
