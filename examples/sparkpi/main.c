/* SPDX-License-Identifier: Apache-2.0
 *
 * main.c: corral-sparkpi, a demo application for corral-dispatcher that
 * needs no Spark: Spark's SparkPi example as a native Mesos framework.
 *
 *   corral-sparkpi [--master mesos://HOST:PORT] [options] [SLICES]
 *       the driver: a framework that runs SLICES (default 2) slice tasks,
 *       adds their counts and prints "Pi is roughly 3.14..." on stdout;
 *       exit 0, 1 on failure, 2 on a usage error.
 *   corral-sparkpi --slice I [--samples N]
 *       one slice (run by the driver as a command task): prints
 *       "sparkpi-slice I: inside=X of N".
 *
 * Submitted through the dispatcher (corral submit ... corral-sparkpi 4),
 * the driver runs as `corral-sparkpi 4` in a task: it learns its master
 * from --master, else -Dspark.master in $SPARK_SUBMIT_OPTS, else
 * $MESOS_MASTER, else the agent it runs on ($MESOS_AGENT_ENDPOINT /state,
 * flags.master); its framework id from -Dspark.mesos.driver.frameworkId
 * and its name from --name or -Dspark.app.name (as a Spark driver does).
 * Slices run the same binary, found through /proc/self/exe, so it must be
 * at the same path on every agent (it is with `corral local`).
 *
 * Threading: one libuv loop (driver.c).
 */
#include "base/log.h"
#include "base/mem.h"
#include "driver.h"
#include "sparkpi.h"

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define EXIT_USAGE 2

struct opts {
    const char *master, *name, *slices_arg;
    long long slice; /* -1: driver mode */
    unsigned long long samples;
    double slice_cpus, slice_mem, timeout;
    unsigned long max_failures;
};

static void
usage(FILE *f)
{
    fprintf(f,
            "Usage: corral-sparkpi [options] [SLICES]\n"
            "       corral-sparkpi --slice I [--samples N]\n\n"
            "Estimate pi like Spark's SparkPi: a Mesos framework running "
            "SLICES (default %d)\nMonte-Carlo slice tasks; prints \"Pi is "
            "roughly ...\".\n\n"
            "Options:\n"
            "  --master URL        mesos://HOST:PORT[,...] or "
            "mesos://zk://HOST:PORT/PATH (default:\n"
            "                      -Dspark.master in $SPARK_SUBMIT_OPTS, "
            "$MESOS_MASTER, or the\n"
            "                      master of the agent this runs on)\n"
            "  --name NAME         framework name (default: "
            "-Dspark.app.name, else \"Spark Pi\")\n"
            "  --samples N         points per slice (default: %llu)\n"
            "  --slice-cpus X      cpus per slice task (default: 0.1)\n"
            "  --slice-mem MB      mem per slice task (default: 32)\n"
            "  --max-failures N    attempts per slice (default: 4)\n"
            "  --timeout SECS      give up after SECS (default: 0, never)\n"
            "  --slice I           run slice I and print its count\n"
            "  --help              this help\n",
            SPARKPI_DEFAULT_SLICES, SPARKPI_DEFAULT_SAMPLES);
}

static int
bad_usage(const char *what, const char *v)
{
    fprintf(stderr, "corral-sparkpi: bad %s '%s'\n", what, v ? v : "");
    return -1;
}

static int
parse_ull(const char *v, unsigned long long min, unsigned long long max,
          unsigned long long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long x = v && *v != '-' ? strtoull(v, &end, 10) : 0;
    if (v == NULL || end == v || *end || errno || x < min || x > max)
        return -1;
    *out = x;
    return 0;
}

static int
parse_pos_double(const char *v, double *out)
{
    char *end = NULL;
    double x = v ? strtod(v, &end) : 0;
    if (v == NULL || end == v || *end || !(x >= 0) || x > 1e9)
        return -1;
    *out = x;
    return 0;
}

/* One option with a value at argv[*i]; 0, 1 (not an option of ours) or
 * -1 (bad value). */
static int
parse_valued(struct opts *o, char **argv, int argc, int *i)
{
    const char *a = argv[*i];
    static const char *const names[] = {
        "--master",    "--name",         "--samples", "--slice-cpus",
        "--slice-mem", "--max-failures", "--timeout", "--slice"};
    size_t k = 0, n = sizeof(names) / sizeof(names[0]);
    while (k < n && strcmp(a, names[k]) != 0)
        k++;
    if (k == n)
        return 1;
    if (*i + 1 >= argc)
        return bad_usage("option (no value)", a);
    const char *v = argv[++*i];
    unsigned long long u;
    switch (k) {
    case 0:
        o->master = v;
        return 0;
    case 1:
        o->name = v;
        return 0;
    case 2:
        return parse_ull(v, 1, SPARKPI_MAX_SAMPLES, &o->samples)
                   ? bad_usage("--samples", v)
                   : 0;
    case 3:
        return parse_pos_double(v, &o->slice_cpus) || o->slice_cpus <= 0
                   ? bad_usage("--slice-cpus", v)
                   : 0;
    case 4:
        return parse_pos_double(v, &o->slice_mem) || o->slice_mem <= 0
                   ? bad_usage("--slice-mem", v)
                   : 0;
    case 5:
        if (parse_ull(v, 1, 1000, &u))
            return bad_usage("--max-failures", v);
        o->max_failures = (unsigned long)u;
        return 0;
    case 6:
        return parse_pos_double(v, &o->timeout) ? bad_usage("--timeout", v) : 0;
    default:
        if (parse_ull(v, 0, SPARKPI_MAX_SLICES - 1, &u))
            return bad_usage("--slice", v);
        o->slice = (long long)u;
        return 0;
    }
}

/* 0 to go on, 1 after --help, -1 on a usage error. */
static int
parse_args(int argc, char **argv, struct opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        int rc = parse_valued(o, argv, argc, &i);
        if (rc < 0)
            return -1;
        if (rc == 0)
            continue;
        if (a[0] == '-' && a[1] != '\0')
            return bad_usage("option", a);
        if (o->slices_arg)
            return bad_usage("extra argument", a);
        o->slices_arg = a;
    }
    return 0;
}

static int
run_slice(const struct opts *o)
{
    uint64_t inside = sparkpi_slice_inside((unsigned)o->slice, o->samples);
    char line[128];
    if (sparkpi_slice_line(line, sizeof(line), (unsigned)o->slice, inside,
                           o->samples) != 0)
        return 1;
    fputs(line, stdout);
    return fflush(stdout) == 0 ? 0 : 1;
}

static const char *
user_name(void)
{
    const char *u = getenv("SPARK_USER");
    if (u && *u)
        return u;
    struct passwd *pw = getpwuid(geteuid());
    return pw && pw->pw_name ? pw->pw_name : "root";
}

/* The shell prefix that runs this binary in a slice task. Owned. */
static char *
slice_command(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return NULL;
    self[n] = '\0';
    return sparkpi_shell_quote(self);
}

static int
run_driver(const struct opts *o)
{
    unsigned long long slices = SPARKPI_DEFAULT_SLICES;
    if (o->slices_arg &&
        parse_ull(o->slices_arg, 1, SPARKPI_MAX_SLICES, &slices) != 0) {
        bad_usage("SLICES", o->slices_arg);
        return EXIT_USAGE;
    }
    const char *sso = getenv("SPARK_SUBMIT_OPTS");
    char *picked = NULL, *master = NULL;
    enum sparkpi_master_source src =
        sparkpi_master_pick(o->master, sso, getenv("MESOS_MASTER"), &picked);
    if (src != SPARKPI_MASTER_NONE) {
        master = sparkpi_master_normalize(picked);
        if (master == NULL) {
            fprintf(stderr,
                    "corral-sparkpi: master '%s' (from %s) is not a Mesos "
                    "master (mesos://HOST:PORT or mesos://zk://...)\n",
                    picked, sparkpi_master_source_name(src));
            free(picked);
            return EXIT_USAGE;
        }
        cr_info("master from %s: %s", sparkpi_master_source_name(src), master);
    }
    free(picked);
    char *fw_id = sparkpi_java_prop(sso, "spark.mesos.driver.frameworkId");
    char *app = o->name ? NULL : sparkpi_java_prop(sso, "spark.app.name");
    char *cmd = slice_command();
    struct sparkpi_config cfg = {
        .master = master,
        .agent_endpoint = getenv("MESOS_AGENT_ENDPOINT"),
        .name = o->name       ? o->name
                : app && *app ? app
                              : "Spark Pi",
        .framework_id = fw_id,
        .user = user_name(),
        .slice_command = cmd,
        .slices = (unsigned)slices,
        .samples = o->samples,
        .slice_cpus = o->slice_cpus,
        .slice_mem = o->slice_mem,
        .max_failures = (unsigned)o->max_failures,
        .timeout = o->timeout,
    };
    double pi = 0;
    int rc = 1;
    if (cmd == NULL)
        cr_error("cannot find my own binary (/proc/self/exe)");
    else
        rc = sparkpi_driver_run(&cfg, &pi);
    if (rc == 0) {
        printf("Pi is roughly %.6f\n", pi);
        rc = fflush(stdout) == 0 ? 0 : 1;
    }
    free(master);
    free(fw_id);
    free(app);
    free(cmd);
    return rc;
}

int
main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    cr_log_set_ident("corral-sparkpi");
    const char *lvl = getenv("CORRAL_LOGGING_LEVEL");
    if (lvl && cr_log_level_parse(lvl) >= 0)
        cr_log_set_level((enum cr_log_level)cr_log_level_parse(lvl));
    struct opts o = {.slice = -1,
                     .samples = SPARKPI_DEFAULT_SAMPLES,
                     .slice_cpus = 0.1,
                     .slice_mem = 32,
                     .max_failures = 4};
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? 0 : EXIT_USAGE;
    if (o.slice < 0)
        return run_driver(&o);
    if (o.slices_arg) {
        bad_usage("argument with --slice", o.slices_arg);
        return EXIT_USAGE;
    }
    return run_slice(&o);
}
