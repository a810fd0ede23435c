/* SPDX-License-Identifier: Apache-2.0
 *
 * driver.h: corral-sparkpi's driver, a Mesos framework (libcorral_scheduler)
 * that runs N slice tasks and adds up their counts into an estimate of pi.
 *
 * Ownership: the configuration is borrowed for the duration of the run.
 * Threading: the run owns a libuv loop of its own; everything runs on it.
 */
#ifndef CR_EXAMPLES_SPARKPI_DRIVER_H
#define CR_EXAMPLES_SPARKPI_DRIVER_H

#include <stdint.h>

struct sparkpi_config {
    const char *master;         /* for cr_sched_new ("h:p", "zk://..."), or
                                   NULL: ask the agent at agent_endpoint */
    const char *agent_endpoint; /* "ip:port" of the agent we run on */
    const char *name;           /* framework name */
    const char *framework_id;   /* subscribe with this id (Spark's
                                   spark.mesos.driver.frameworkId), or NULL */
    const char *user;
    const char *slice_command; /* shell prefix running a slice ("'/p/bin'") */
    unsigned slices;
    uint64_t samples; /* per slice */
    double slice_cpus, slice_mem;
    unsigned max_failures; /* attempts per slice before giving up */
    double timeout;        /* seconds for the whole run; 0: none */
};

/* Run the driver to the end: subscribe, run every slice, tear the
 * framework down. Returns 0 with the estimate in *pi, 1 when the run
 * failed (logged: a slice failed max_failures times, the master refused
 * the framework, the timeout passed, no master), or 128 + the signal
 * after SIGTERM/SIGINT. */
int sparkpi_driver_run(const struct sparkpi_config *cfg, double *pi);

#endif
