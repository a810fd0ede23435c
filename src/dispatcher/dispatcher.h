/* SPDX-License-Identifier: Apache-2.0
 *
 * dispatcher.h: corral-dispatcher's daemon: Spark's REST submission server
 * (protocol v1) in front of a Mesos framework (libcorral_scheduler) that
 * runs each submitted driver as a task.
 *
 * Ownership: the dispatcher copies the configuration it is given.
 * Threading: one libuv loop; every function here runs on it.
 */
#ifndef CR_DISPATCHER_DISPATCHER_H
#define CR_DISPATCHER_DISPATCHER_H

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

struct disp_config {
    const char *host;   /* REST bind address */
    int port;           /* REST port (0: any) */
    const char *master; /* spark.master without mesos:// ("h:p[,..]", zk://) */
    const char *name;   /* framework name */
    const json_t *conf; /* the dispatcher's spark.* properties */
};

struct dispatcher;

struct dispatcher *disp_new(uv_loop_t *loop, const struct disp_config *cfg);
/* Open the REST port (at once; it answers "not ready" until the framework
 * is subscribed) and start subscribing. 0 or a negative error; the bound
 * port goes to *bound_port. */
int disp_start(struct dispatcher *d, int *bound_port);
/* Stop serving, leave the framework registered (failover), release
 * everything; cb(arg) runs once all handles are closed. */
void disp_close(struct dispatcher *d, void (*cb)(void *arg), void *arg);

#endif
