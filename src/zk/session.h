/* SPDX-License-Identifier: Apache-2.0
 *
 * session.h: one ZooKeeper session, driven from a libuv loop.
 *
 * A session connects to an ensemble ("h1:p1,h2:p2"), keeps itself alive,
 * and runs asynchronous create / get / get_children / exists / delete
 * operations. Every callback (state changes, watch events, operation
 * results) runs on the loop thread, never on the client library's threads;
 * results are copied into heap messages first, so all pointers handed to a
 * callback are borrowed for that call only.
 *
 * States (reported through on_state, one transition per call):
 *
 *     CONNECTING --> CONNECTED <--> DISCONNECTED
 *         |              |               |
 *         +--------------+---------------+--> EXPIRED | AUTH_FAILED
 *
 *   CONNECTING    initial; the client library tries the servers.
 *   CONNECTED     the session is established (or re-established after a
 *                 connection loss, same session id, watches kept).
 *   DISCONNECTED  connection lost; the library reconnects by itself and
 *                 the session may still be alive on the servers.
 *   EXPIRED       terminal: the servers expired the session (its ephemeral
 *                 nodes are gone), or we stayed DISCONNECTED for a quarter
 *                 of the negotiated timeout T. The client library only
 *                 learns of an expiry once it reconnects, and by then
 *                 another node may have been elected. The library gives up
 *                 on a silent server after 2/3 T without a reply, so we
 *                 declare ourselves expired at most 11/12 T after the last
 *                 word from the servers, while the servers cannot expire us
 *                 before T after the last word from us: a leader fences
 *                 itself before any successor can exist. A server that
 *                 dies outright is noticed at once and leaves T/4 to reach
 *                 another one.
 *   AUTH_FAILED   terminal: the servers rejected our credentials.
 * On a terminal state the owner must close this session and open a new one;
 * no further state or watch callbacks come from it.
 *
 * Watches are ZooKeeper's one-shot watches, all delivered to the single
 * on_watch callback with the event type and the znode path (the client
 * library's "default watcher" model). Pass watch=true to get, exists or
 * get_children to set one.
 *
 * Operations: a 0 return means the callback runs exactly once, later, on
 * the loop; a negative return means it never runs. After
 * cr_zk_session_close() every pending operation still completes, with rc
 * CR_ECANCELED_OP, before the close callback.
 *
 * Nodes are created with the open ACL, or, when the session has digest
 * credentials, with "creator all + world read" (as Mesos does).
 *
 * Threading: every function here is loop-thread only.
 */
#ifndef CR_ZK_SESSION_H
#define CR_ZK_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* Bounds on what we accept from the servers; larger replies fail the
 * operation with CR_ETOOBIG. ZooKeeper's own default limit (jute.maxbuffer)
 * is just under 1 MiB. */
#define CR_ZK_DATA_MAX                (1024 * 1024)
#define CR_ZK_CHILDREN_MAX            100000
#define CR_ZK_CHILDREN_BYTES          (8 * 1024 * 1024)
#define CR_ZK_SESSION_TIMEOUT_DEFAULT 10.0 /* --zk_session_timeout */

struct cr_zk_session;

enum cr_zk_state {
    CR_ZK_CONNECTING,
    CR_ZK_CONNECTED,
    CR_ZK_DISCONNECTED,
    CR_ZK_EXPIRED,
    CR_ZK_AUTH_FAILED,
    CR_ZK_CLOSED, /* after cr_zk_session_close(); never reported */
};

/* Result codes of operations. The values are the C client's (checked at
 * build time) so unnamed ones pass through; CR_ETOOBIG and
 * CR_ECANCELED_OP (base/err.h) also occur. */
enum cr_zk_rc {
    CR_ZK_OK = 0,
    CR_ZK_ECONNLOSS = -4,     /* the connection broke; outcome unknown */
    CR_ZK_ETIMEOUT = -7,      /* operation timed out */
    CR_ZK_EBADARGS = -8,      /* rejected by the client library */
    CR_ZK_EINVALSTATE = -9,   /* session expired or auth failed */
    CR_ZK_ENONODE = -101,     /* no such node */
    CR_ZK_ENOAUTH = -102,     /* not allowed by the node's ACL */
    CR_ZK_EBADVERSION = -103, /* version mismatch */
    CR_ZK_ENOCHILDRENFOREPHEMERALS = -108,
    CR_ZK_ENODEEXISTS = -110,
    CR_ZK_ENOTEMPTY = -111,
    CR_ZK_ESESSIONEXPIRED = -112,
    CR_ZK_EAUTHFAILED = -115,
    CR_ZK_ECLOSING = -116,
};

enum cr_zk_event {
    CR_ZK_EVENT_CREATED = 1,
    CR_ZK_EVENT_DELETED = 2,
    CR_ZK_EVENT_CHANGED = 3,
    CR_ZK_EVENT_CHILD = 4,
};

/* Flags of cr_zk_create. */
#define CR_ZK_EPHEMERAL  1
#define CR_ZK_SEQUENTIAL 2

struct cr_zk_stat {
    int64_t czxid;    /* zxid of the create */
    int64_t mzxid;    /* zxid of the last change */
    int64_t ctime_ms; /* creation time, ms since the epoch */
    int64_t mtime_ms; /* last change, ms since the epoch */
    int32_t version;  /* data version */
    int32_t cversion; /* children version */
    int32_t data_length;
    int32_t num_children;
    int64_t ephemeral_owner; /* session id of the owner, 0 if persistent */
};

/* The outcome of one operation. All pointers are borrowed for the call. */
struct cr_zk_result {
    int rc;                      /* CR_ZK_OK or a negative code */
    const char *path;            /* create: the created path (with seq) */
    const char *data;            /* get: the bytes, NUL-terminated */
    size_t len;                  /* get: number of bytes in data */
    const char *const *children; /* get_children: names, unsorted */
    size_t n_children;
    const struct cr_zk_stat *stat; /* get, exists: when rc == 0, else NULL */
};

typedef void (*cr_zk_state_cb)(void *arg, struct cr_zk_session *s,
                               enum cr_zk_state state);
typedef void (*cr_zk_watch_cb)(void *arg, struct cr_zk_session *s,
                               enum cr_zk_event type, const char *path);
typedef void (*cr_zk_result_cb)(void *arg, const struct cr_zk_result *r);
typedef void (*cr_zk_close_cb)(void *arg);

struct cr_zk_session_config {
    const char *servers;     /* "h1:p1,h2:p2" (see zk/url.h); borrowed */
    const char *auth;        /* "user:password" for digest auth, or NULL */
    double timeout_secs;     /* requested session timeout, > 0 */
    cr_zk_state_cb on_state; /* may be NULL */
    cr_zk_watch_cb on_watch; /* may be NULL */
    void *arg;               /* passed to on_state and on_watch */
};

/* Open a session on loop and start connecting. Host names are resolved
 * here, synchronously (use addresses or /etc/hosts names on the loop).
 * 0 with *out set, or CR_EINVAL_INPUT (bad config) / -errno (the client
 * library refused the server list); on error no callback ever runs. */
int cr_zk_session_open(uv_loop_t *loop, const struct cr_zk_session_config *c,
                       struct cr_zk_session **out);

/* Close the session: its ephemeral nodes go away if the servers are
 * reachable. No state or watch callback runs after this call; pending
 * operations complete with CR_ECANCELED_OP; then cb(arg) runs on a later
 * loop turn and the memory is released. Blocking teardown of the client
 * library happens on the libuv thread pool. May be called from any of this
 * session's callbacks; call it exactly once. cb may be NULL. */
void cr_zk_session_close(struct cr_zk_session *s, cr_zk_close_cb cb, void *arg);

enum cr_zk_state cr_zk_session_state(const struct cr_zk_session *s);
/* The session id (ephemeral_owner of the nodes we create); 0 before the
 * first CONNECTED. */
int64_t cr_zk_session_id(const struct cr_zk_session *s);
/* The timeout the servers granted, in seconds (the requested one before
 * the first CONNECTED). */
double cr_zk_session_timeout(const struct cr_zk_session *s);

/* Create path with data (len bytes, <= CR_ZK_DATA_MAX) and flags
 * (CR_ZK_EPHEMERAL | CR_ZK_SEQUENTIAL). The result carries the created
 * path. Errors: CR_ESTATE (closed or terminal), CR_EINVAL_INPUT (bad
 * path), CR_ETOOBIG, or a client-library code. */
int cr_zk_create(struct cr_zk_session *s, const char *path, const void *data,
                 size_t len, int flags, cr_zk_result_cb cb, void *arg);
/* Read a node's data and stat; watch=true sets a data watch (CHANGED or
 * DELETED). */
int cr_zk_get(struct cr_zk_session *s, const char *path, bool watch,
              cr_zk_result_cb cb, void *arg);
/* List a node's children; watch=true sets a child watch (CHILD, or DELETED
 * for the node itself). */
int cr_zk_get_children(struct cr_zk_session *s, const char *path, bool watch,
                       cr_zk_result_cb cb, void *arg);
/* Stat a node; watch=true sets a watch that also fires on CREATED, so it
 * may be set on a node that does not exist (rc CR_ZK_ENONODE). */
int cr_zk_exists(struct cr_zk_session *s, const char *path, bool watch,
                 cr_zk_result_cb cb, void *arg);
/* Delete a node; version -1 matches any version. */
int cr_zk_delete(struct cr_zk_session *s, const char *path, int version,
                 cr_zk_result_cb cb, void *arg);

const char *cr_zk_state_name(enum cr_zk_state state);
/* A static message for a result code (ZooKeeper or CR_E*). */
const char *cr_zk_strerror(int rc);

#endif
