/* SPDX-License-Identifier: Apache-2.0
 *
 * queue.h: Spark 3.1+'s driver queues with priorities (reference §1.4,
 * §3.3). The dispatcher declares queues with
 * spark.mesos.dispatcher.queue.<Name>=<float> (higher runs first); queue
 * "default" always exists with priority 0.0 and cannot be redeclared. A
 * submission names its queue with spark.mesos.dispatcher.queue (none:
 * "default"); an undeclared name is refused at submission.
 *
 * Order of the queue: priority descending, then submission time, then the
 * submission counter (so ties are never dropped, unlike SPARK-40902), then
 * the id.
 *
 * Ownership: struct disp_queues owns its names. Threading: none.
 */
#ifndef CR_DISPATCHER_QUEUE_H
#define CR_DISPATCHER_QUEUE_H

#include "record.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define DISP_QUEUE_CONF_PREFIX "spark.mesos.dispatcher.queue."

struct disp_queues {
    size_t n;
    char **names;
    double *priorities;
};

/* Read the declared queues from the dispatcher's spark.* properties conf.
 * 0, or CR_EINVAL_INPUT with a one-line reason in err (a priority that is
 * not a finite float). On error *q is empty. */
int disp_queues_parse(const json_t *conf, struct disp_queues *q, char *err,
                      size_t errlen);
void disp_queues_fini(struct disp_queues *q);
/* The priority of queue name (NULL or "" or "default": 0.0). False when
 * the queue is not declared. */
bool disp_queues_lookup(const struct disp_queues *q, const char *name,
                        double *priority);
/* qsort comparator over struct disp_driver * elements: the queue order. */
int disp_queue_cmp(const void *a, const void *b);

#endif
