/* SPDX-License-Identifier: Apache-2.0
 *
 * resources_detect.c: the agent's resource auto-detection (Mesos rules).
 *
 * Reads sysconf, /proc/meminfo and statvfs once; called at agent start
 * (blocking but tiny). Values in Mesos units: mem and disk in MB.
 */
#include "base/log.h"
#include "base/mem.h"
#include "model/resources.h"

#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define MB (1024.0 * 1024.0)
#define GB (1024.0 * MB)

static double
detect_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (double)n : 1.0;
}

/* Total memory in bytes from /proc/meminfo, or 0. */
static double
mem_total_bytes(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (f == NULL)
        return 0;
    char line[256];
    double kb = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long long v;
        if (sscanf(line, "MemTotal: %llu kB", &v) == 1) {
            kb = (double)v;
            break;
        }
    }
    fclose(f);
    return kb * 1024.0;
}

static double
detect_mem_mb(void)
{
    double total = mem_total_bytes();
    if (total <= 0)
        return 1024.0;
    double mem = total >= 2 * GB ? total - GB : total / 2;
    return (double)(long long)(mem / MB);
}

/* statvfs of dir, or of its nearest existing ancestor. */
static double
fs_size_bytes(const char *dir)
{
    char *path = cr_xstrdup(dir != NULL && dir[0] ? dir : ".");
    double size = 0;
    for (;;) {
        struct statvfs st;
        if (statvfs(path, &st) == 0) {
            size = (double)st.f_blocks * (double)st.f_frsize;
            break;
        }
        char *slash = strrchr(path, '/');
        if (slash == NULL)
            break;
        if (slash == path) {
            if (path[1] == '\0')
                break;
            path[1] = '\0';
        } else {
            *slash = '\0';
        }
    }
    free(path);
    return size;
}

static double
detect_disk_mb(const char *work_dir)
{
    double total = fs_size_bytes(work_dir);
    if (total <= 0)
        return 10.0 * 1024;
    double disk = total >= 10 * GB ? total - 5 * GB : total / 2;
    return (double)(long long)(disk / MB);
}

static bool
has_name(const struct cr_resources *r, const char *name)
{
    if (cr_resources_scalar(r, name) > 0)
        return true;
    for (uint32_t i = 0; i < r->n; i++) {
        if (strcmp(r->ents[i].name, name) == 0)
            return true;
    }
    return false;
}

int
cr_resources_detect(struct cr_resources *out, const struct cr_resources *flag,
                    const char *work_dir, const char *default_role)
{
    struct cr_resources got;
    cr_resources_init(&got);
    if (flag != NULL)
        cr_resources_copy(&got, flag);
    if (!has_name(&got, "cpus"))
        (void)cr_resources_add_scalar(&got, "cpus", detect_cpus(),
                                      default_role);
    if (!has_name(&got, "mem"))
        (void)cr_resources_add_scalar(&got, "mem", detect_mem_mb(),
                                      default_role);
    if (!has_name(&got, "disk"))
        (void)cr_resources_add_scalar(&got, "disk", detect_disk_mb(work_dir),
                                      default_role);
    if (!has_name(&got, "ports"))
        (void)cr_resources_add_range(&got, "ports", 31000, 32000, default_role);
    cr_resources_move(out, &got);
    cr_debug("resources: detected %.0f cpus, %.0f MB mem, %.0f MB disk",
             cr_resources_scalar(out, "cpus"), cr_resources_scalar(out, "mem"),
             cr_resources_scalar(out, "disk"));
    return 0;
}
