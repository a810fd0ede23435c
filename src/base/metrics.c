/* SPDX-License-Identifier: Apache-2.0
 *
 * metrics.c: see metrics.h.
 */
#include "metrics.h"

#include "err.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#define PROM_NAME_MAX 128

/* "slave/tasks_running" -> "slave_tasks_running". */
static void
prom_name(const char *in, char *out, size_t n)
{
    size_t i = 0;
    if (isdigit((unsigned char)*in) && n > 1)
        out[i++] = '_';
    for (; *in && i + 1 < n; in++)
        out[i++] = isalnum((unsigned char)*in) ? *in : '_';
    out[i] = '\0';
}

static bool
listed(const char *name, const char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (names[i] && strcmp(name, names[i]) == 0)
            return true;
    return false;
}

int
cr_metrics_prometheus(json_t *flat, const char *const *counters, size_t n,
                      struct cr_buf *out)
{
    const char *key;
    json_t *v;
    json_object_foreach(flat, key, v)
    {
        if (!json_is_number(v))
            continue;
        char name[PROM_NAME_MAX];
        prom_name(key, name, sizeof(name));
        if (cr_buf_printf(out, "# TYPE %s %s\n%s %.17g\n", name,
                          listed(key, counters, n) ? "counter" : "gauge", name,
                          json_number_value(v)) != 0)
            return CR_ETOOBIG;
    }
    return 0;
}

static void
put(json_t *o, const char *name, double v)
{
    json_object_set_new(o, name, json_real(v));
}

void
cr_metrics_system(json_t *o)
{
    struct sysinfo si;
    put(o, "system/cpus_total", (double)sysconf(_SC_NPROCESSORS_ONLN));
    if (sysinfo(&si) != 0)
        return;
    double scale = 1.0 / (double)(1 << SI_LOAD_SHIFT);
    put(o, "system/load_1min", (double)si.loads[0] * scale);
    put(o, "system/load_5min", (double)si.loads[1] * scale);
    put(o, "system/load_15min", (double)si.loads[2] * scale);
    put(o, "system/mem_total_bytes", (double)si.totalram * (double)si.mem_unit);
    put(o, "system/mem_free_bytes", (double)si.freeram * (double)si.mem_unit);
}
