/* SPDX-License-Identifier: Apache-2.0
 *
 * replicas.h: discovery of the masters' log replicas through ZooKeeper.
 *
 * Every master publishes its replica's address ("host:port", the name it
 * uses as `self` in the log) as an EPHEMERAL znode
 * <zk path>/log_replicas/<host:port>, through a ZooKeeper session of its
 * own, watches the children of <zk path>/log_replicas, and hands every
 * change of that list to cr_log_set_peers (this master included). The
 * election (zk/group.h) reads only json.info_ members of <zk path>, so the
 * sibling log_replicas node does not disturb it.
 *
 * Missing paths are created (persistent, empty). A node of the same name
 * owned by another session is a dead predecessor at the same address (it
 * lingers until its session expires): it is deleted and ours created. Our
 * node is recreated if it disappears, and after a session expiry a new
 * session publishes it again. While the session is down the last list
 * stays in force.
 *
 * Loop thread only.
 */
#ifndef CR_MASTER_REPLICAS_H
#define CR_MASTER_REPLICAS_H

#include "base/buf.h"

#include <stddef.h>
#include <uv.h>

struct cr_log;
struct replicas;

#define REPLICAS_DIR "log_replicas"

/* Start publishing self and feeding log. zk is the --zk URL. 0, or -1
 * with a one-line reason in err. */
int replicas_start(uv_loop_t *loop, const char *zk, double session_timeout,
                   const char *self, struct cr_log *log, struct replicas **out,
                   char *err, size_t errlen);
/* Close the session (our node goes away); memory is released once the
 * loop has run. NULL-safe. */
void replicas_stop(struct replicas *rp);
/* Replicas currently listed in ZooKeeper. */
size_t replicas_count(const struct replicas *rp);
/* "log replicas in ZooKeeper at <dir>: a, b; gone from it: c" */
void replicas_describe(const struct replicas *rp, struct cr_buf *out);

#endif
