/* SPDX-License-Identifier: Apache-2.0
 *
 * top_model.h: what `corral top` shows, kept up to date from the master's
 * operator event stream (SUBSCRIBE on /api/v1, mesos.v1.master.Event), and
 * its rendering as text.
 *
 * SUBSCRIBED replaces everything with its get_state snapshot; TASK_ADDED,
 * TASK_UPDATED, AGENT_ADDED, AGENT_REMOVED, FRAMEWORK_ADDED/UPDATED/REMOVED
 * change it; other events (HEARTBEAT) are ignored. Malformed events are
 * ignored field by field (never asserted on).
 *
 * Invariants: an agent's or framework's "used" resources are the sum over
 * its tasks in a non-terminal state (as the master's allocated_resources,
 * which drop a task's resources once it is terminal). Per-state counts
 * cover every task seen, including terminal tasks evicted from memory:
 * the newest TOP_MAX_DONE terminal tasks are kept (a later update of one
 * is applied exactly), older ones only counted. At most TOP_MAX_LIVE
 * non-terminal tasks, TOP_MAX_AGENTS agents and TOP_MAX_FRAMEWORKS
 * frameworks are tracked (beyond that, shown as "untracked").
 *
 * Pure (no I/O): tests feed it events. Not thread-safe.
 */
#ifndef CR_CLI_TOP_MODEL_H
#define CR_CLI_TOP_MODEL_H

#include "base/buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define TOP_MAX_DONE       20000
#define TOP_MAX_LIVE       500000
#define TOP_MAX_AGENTS     100000
#define TOP_MAX_FRAMEWORKS 100000

struct top_model;

struct top_view {
    const char *title; /* the first line (borrowed); NULL: none */
    size_t width;      /* columns a line may use; 0: unlimited */
    size_t height;     /* lines; 0: unlimited (every row is printed) */
    bool ansi;         /* a live screen: cursor home, emphasis, clearing */
};

struct top_model *top_model_new(void);
/* NULL-safe. */
void top_model_free(struct top_model *m);
/* Apply one event (borrowed). Returns true if what is shown changed. */
bool top_model_apply(struct top_model *m, const json_t *event);
/* True once a SUBSCRIBED event has been applied. */
bool top_model_ready(const struct top_model *m);
/* The stream's heartbeat_interval_seconds (0 when not told). */
double top_model_heartbeat(const struct top_model *m);
/* Append the view to out: a summary (agents, resources used/total, tasks
 * per state), then tables of agents, frameworks and live tasks, cut to
 * v->height lines ("... N more" rows) and v->width columns. Only scratch
 * sums in m change. 0 or CR_ETOOBIG. */
int top_model_render(struct top_model *m, const struct top_view *v,
                     struct cr_buf *out);

#endif
