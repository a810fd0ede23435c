/* SPDX-License-Identifier: Apache-2.0
 *
 * store_zk.h: corral-dispatcher's state in ZooKeeper, and the election of
 * the one dispatcher that may use it.
 *
 * Layout under D = <chroot of the connect string> + spark.deploy.zookeeper
 * .dir (the sub-tree names of Spark's MesosClusterPersistenceEngine, plus
 * ours):
 *   D/leader/json.info_NNNNNNNNNN  ephemeral sequential: the contenders
 *                                  (zk/group.h); the lowest leads. Data:
 *                                  {"address": "host:port", ...}
 *   D/scheduler/frameworkId        the framework id
 *   D/scheduler/driverIdCounter/N  the id counter (the name is the value)
 *   D/driverQueue/<id>             queued drivers
 *   D/launchedDrivers/<id>         launched drivers
 *   D/retryList/<id>               supervised drivers waiting to relaunch
 *   D/finishedDrivers/<id>         finished drivers (a corral extension)
 * What the nodes hold is the dispatcher's business (record.h); this module
 * moves bytes.
 *
 * Life: disp_store_open() connects and contends at once. A standby hears
 * of the leader through on_leader. Once elected, the store creates the
 * sub-trees, reads every node of them and hands the snapshot to
 * on_elected; from then on the owner may write. on_failed reports, once,
 * that the store cannot go on: leadership lost (session expired, our node
 * gone), or a write the servers refused. The owner must then stop serving
 * and close the store (the dispatcher exits).
 *
 * Writes are queued in order and sent at once; ZooKeeper applies one
 * session's requests in order, so a later write never lands before an
 * earlier one. They go through the election's own session: once it has
 * expired (and so a successor may exist) no write of ours can succeed.
 * A write that fails because the connection dropped is sent again, in
 * order, once the session is connected again (a create that then finds
 * its node, or a delete that finds none, counts as done). Every write's
 * callback runs exactly once: rc 0 when applied, CR_ECANCELED_OP when the
 * store was closed first, another negative code when it failed (and then
 * on_failed has been called).
 *
 * Ownership: the store copies everything it is given. Threading: loop
 * thread only; callbacks run on the loop. The owner may call
 * disp_store_close() from any callback.
 */
#ifndef CR_DISPATCHER_STORE_ZK_H
#define CR_DISPATCHER_STORE_ZK_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#define DISP_ZK_DIR_DEFAULT "/spark_mesos_dispatcher"

enum disp_tree {
    DISP_TREE_QUEUE,     /* driverQueue */
    DISP_TREE_LAUNCHED,  /* launchedDrivers */
    DISP_TREE_RETRY,     /* retryList */
    DISP_TREE_FINISHED,  /* finishedDrivers */
    DISP_TREE_SCHEDULER, /* scheduler */
    DISP_TREE_COUNTER,   /* scheduler/driverIdCounter */
    DISP_N_TREES,
};

struct disp_store;

/* One node read at election. */
struct disp_store_entry {
    enum disp_tree tree;
    const char *name; /* the node's name in its sub-tree */
    const char *data; /* NUL-terminated */
    size_t len;
};

struct disp_store_config {
    const char *zk;      /* "[zk://][user:pw@]h:p[,h:p][/chroot]" or file:// */
    const char *dir;     /* spark.deploy.zookeeper.dir (NULL: default) */
    double timeout_secs; /* session timeout */
    const char *self;    /* data of our contender node (JSON) */
};

struct disp_store_callbacks {
    /* The leader's contender data (NUL-terminated), or NULL when none is
     * known; self: it is us. */
    void (*leader)(void *arg, const char *data, bool self);
    /* Elected and loaded: entries are borrowed for the call. */
    void (*elected)(void *arg, const struct disp_store_entry *entries,
                    size_t n);
    /* Fatal: reason is one line. Called at most once. */
    void (*failed)(void *arg, const char *reason);
};

typedef void (*disp_store_cb)(void *arg, int rc);

/* Parse cfg, open the session and contend. 0 with *out, or
 * CR_EINVAL_INPUT / -errno with a one-line reason in err. */
int disp_store_open(uv_loop_t *loop, const struct disp_store_config *cfg,
                    const struct disp_store_callbacks *cbs, void *arg,
                    struct disp_store **out, char *err, size_t errlen);
/* Stop: pending writes complete with CR_ECANCELED_OP (synchronously), our
 * contender node goes with the session; cb(arg) runs once everything is
 * released. No other callback runs after this call. */
void disp_store_close(struct disp_store *s, void (*cb)(void *arg), void *arg);

/* The masked ZooKeeper URL of D, for logs. Borrowed. */
const char *disp_store_describe(const struct disp_store *s);

/* Write <tree>/<name>, replacing any node there (delete, then create). */
void disp_store_put(struct disp_store *s, enum disp_tree tree, const char *name,
                    const char *data, size_t len, disp_store_cb cb, void *arg);
/* Create <tree>/<name>; fails (fatally) if it exists: a compare-and-set
 * that fences a second writer. */
void disp_store_create(struct disp_store *s, enum disp_tree tree,
                       const char *name, const char *data, size_t len,
                       disp_store_cb cb, void *arg);
/* Delete <tree>/<name> (already gone is fine). */
void disp_store_delete(struct disp_store *s, enum disp_tree tree,
                       const char *name, disp_store_cb cb, void *arg);
/* cb runs once every write queued before this call has been applied. */
void disp_store_sync(struct disp_store *s, disp_store_cb cb, void *arg);

#endif
