/* SPDX-License-Identifier: Apache-2.0
 *
 * queue.c: queue declarations and the queue order (see queue.h). Pure.
 */
#include "queue.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void
disp_queues_fini(struct disp_queues *q)
{
    for (size_t i = 0; i < q->n; i++)
        free(q->names[i]);
    free(q->names);
    free(q->priorities);
    memset(q, 0, sizeof(*q));
}

int
disp_queues_parse(const json_t *conf, struct disp_queues *q, char *err,
                  size_t errlen)
{
    memset(q, 0, sizeof(*q));
    size_t plen = strlen(DISP_QUEUE_CONF_PREFIX), cap = json_object_size(conf);
    q->names = cr_xcalloc(cap ? cap : 1, sizeof(*q->names));
    q->priorities = cr_xcalloc(cap ? cap : 1, sizeof(*q->priorities));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)(uintptr_t)conf, k, v)
    {
        if (strncmp(k, DISP_QUEUE_CONF_PREFIX, plen) != 0 || k[plen] == '\0')
            continue;
        const char *name = k + plen, *val = json_string_value(v);
        double p;
        if (val == NULL || disp_parse_double(val, &p) != 0 || !isfinite(p)) {
            snprintf(err, errlen,
                     "%s: the priority of queue '%.200s' must be a float, "
                     "not '%.100s'",
                     k, name, val ? val : "");
            disp_queues_fini(q);
            return CR_EINVAL_INPUT;
        }
        if (strcmp(name, DISP_QUEUE_DEFAULT) == 0) {
            cr_warn("ignoring %s: queue '" DISP_QUEUE_DEFAULT
                    "' always has priority 0.0",
                    k);
            continue;
        }
        q->names[q->n] = cr_xstrdup(name);
        q->priorities[q->n++] = p;
    }
    return 0;
}

bool
disp_queues_lookup(const struct disp_queues *q, const char *name,
                   double *priority)
{
    if (name == NULL || name[0] == '\0' ||
        strcmp(name, DISP_QUEUE_DEFAULT) == 0) {
        *priority = 0.0;
        return true;
    }
    for (size_t i = 0; i < q->n; i++)
        if (strcmp(q->names[i], name) == 0) {
            *priority = q->priorities[i];
            return true;
        }
    return false;
}

int
disp_queue_cmp(const void *a, const void *b)
{
    const struct disp_driver *x = *(const struct disp_driver *const *)a;
    const struct disp_driver *y = *(const struct disp_driver *const *)b;
    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    if (x->submitted != y->submitted)
        return x->submitted < y->submitted ? -1 : 1;
    if (x->seq != y->seq)
        return x->seq < y->seq ? -1 : 1;
    return strcmp(x->id, y->id);
}
