/* SPDX-License-Identifier: Apache-2.0
 *
 * dispatcher.h: corral-dispatcher's daemon: Spark's REST submission server
 * (protocol v1) in front of a Mesos framework (libcorral_scheduler) that
 * runs each submitted driver as a task; with ZooKeeper
 * (spark.deploy.recoveryMode=ZOOKEEPER), its state persisted there and
 * one leader among several dispatchers.
 *
 * The configuration is the dispatcher's spark.* properties (conf): among
 * them spark.deploy.recoveryMode, spark.deploy.zookeeper.url and
 * spark.deploy.zookeeper.dir select persistence.
 *
 * Ownership: the dispatcher copies the configuration it is given.
 * Threading: one libuv loop; every function here runs on it.
 */
#ifndef CR_DISPATCHER_DISPATCHER_H
#define CR_DISPATCHER_DISPATCHER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct disp_config {
    const char *host;   /* REST bind address */
    int port;           /* REST port (0: any) */
    int webui_port;     /* web UI port on host (0: any; -1: no web UI) */
    const char *master; /* spark.master without mesos:// ("h:p[,..]", zk://) */
    const char *name;   /* framework name */
    const json_t *conf; /* the dispatcher's spark.* properties */
    /* Called (on a later loop turn, once) when the dispatcher must stop:
     * leadership lost, framework ERROR, ZooKeeper refused a write. reason
     * is one line. The owner should disp_close() and exit non-zero. */
    void (*on_fatal)(void *arg, const char *reason);
    void *fatal_arg;
};

struct dispatcher;

/* NULL with a one-line reason in err for a bad configuration (master
 * string, queue priorities, recovery mode, ZooKeeper address). */
struct dispatcher *disp_new(uv_loop_t *loop, const struct disp_config *cfg,
                            char *err, size_t errlen);
/* Open the REST port (at once; it answers "not ready" until the framework
 * is subscribed) and the web UI's port, then start subscribing, or, with
 * ZooKeeper, contending.
 * 0 or a negative error (reason in err); the bound port goes to
 * *bound_port. */
int disp_start(struct dispatcher *d, int *bound_port, char *err, size_t errlen);
/* The bound port of the web UI (after disp_start), or -1 without one. */
int disp_webui_port(const struct dispatcher *d);
/* Stop serving, leave the framework registered (failover), release
 * everything; cb(arg) runs once all handles are closed. */
void disp_close(struct dispatcher *d, void (*cb)(void *arg), void *arg);

#endif
