/* SPDX-License-Identifier: Apache-2.0
 *
 * session.c: a ZooKeeper session on the libuv loop (see session.h).
 *
 * Client library choice: libzookeeper-mt. Its io thread owns the socket,
 * reconnects, pings and re-registers watches; its completion thread calls
 * our watcher and completion functions. The single-threaded variant would
 * put all of that on the loop (zookeeper_interest -> uv_poll/uv_timer ->
 * zookeeper_process), but the library closes and reopens its socket inside
 * zookeeper_process, so the uv_poll handle would have to be torn down and
 * rebuilt around a descriptor that may already be closed (libuv forbids
 * closing a polled fd), and zookeeper_close would block the loop. With -mt
 * the only thread-aware code is the bridge below, and the blocking close
 * goes to the thread pool. (It is also the variant install-deps.sh ships.)
 *
 * The bridge: a library callback copies everything it was given (rc, path,
 * data, children, stat, session id) into a heap `struct msg`, appends it to
 * a mutex-protected FIFO and calls uv_async_send. on_async() swaps the FIFO
 * out under the lock and delivers the messages in order on the loop. One
 * FIFO keeps ZooKeeper's ordering guarantee (a watch event arrives before
 * the results of later reads). The mutex guards only head/tail; it is the
 * only lock in the layer.
 *
 * Lifetime: the session is freed only after zookeeper_close has returned on
 * the thread pool (so no library thread can touch it any more), the FIFO
 * has been drained (pending operations complete with CR_ECANCELED_OP) and
 * both libuv handles are closed. Each operation carries a heap `struct op`
 * (callback + argument) that the library normally hands back exactly once;
 * the loop keeps every op in flight on a list (loop thread only).
 *
 * Closing waits until the library is quiet. libzookeeper-mt (3.8 and
 * earlier; ZOOKEEPER-2894, ZOOKEEPER-3868) can lose completions in
 * zookeeper_close: it sets close_requested, then fakes a ZCLOSING reply
 * for every request still in flight and queues it for the completion
 * thread; but that thread leaves its loop as soon as it sees
 * close_requested after a pass, so anything queued after that pass (those
 * fakes, or a session or watch event the io thread was producing) is never
 * called nor freed: a leak inside the library and, for a request, a
 * callback that never runs (its owner waits forever). So
 * cr_zk_session_close() only marks the session closing (results are
 * reported as CR_ECANCELED_OP from then on, state and watch events are
 * dropped) and calls zookeeper_close once no op is in flight (a reply, a
 * connection loss or an expiry ends each) and the library's own session
 * state is settled (connected, or expired / auth failed for good: not in
 * the middle of a reconnection, which ends in a session event). Then the
 * completion thread has nothing left to do when the close starts. A server
 * that does not answer cannot hold the close for more than a quarter of
 * the session timeout (the grace of a lost connection, see session.h):
 * then the close goes ahead anyway, and any op the library dropped is
 * completed here with CR_ECANCELED_OP once zookeeper_close has returned,
 * so no callback is ever lost.
 */
#include "zk/session.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "zk/session_private.h"
#include "zk/url.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zookeeper/zookeeper.h>

_Static_assert((int)CR_ZK_ECONNLOSS == (int)ZCONNECTIONLOSS, "rc mirror");
_Static_assert((int)CR_ZK_ETIMEOUT == (int)ZOPERATIONTIMEOUT, "rc mirror");
_Static_assert((int)CR_ZK_EBADARGS == (int)ZBADARGUMENTS, "rc mirror");
_Static_assert((int)CR_ZK_EINVALSTATE == (int)ZINVALIDSTATE, "rc mirror");
_Static_assert((int)CR_ZK_ENONODE == (int)ZNONODE, "rc mirror");
_Static_assert((int)CR_ZK_ENOAUTH == (int)ZNOAUTH, "rc mirror");
_Static_assert((int)CR_ZK_EBADVERSION == (int)ZBADVERSION, "rc mirror");
_Static_assert((int)CR_ZK_ENOCHILDRENFOREPHEMERALS ==
                   (int)ZNOCHILDRENFOREPHEMERALS,
               "rc mirror");
_Static_assert((int)CR_ZK_ENODEEXISTS == (int)ZNODEEXISTS, "rc mirror");
_Static_assert((int)CR_ZK_ENOTEMPTY == (int)ZNOTEMPTY, "rc mirror");
_Static_assert((int)CR_ZK_ESESSIONEXPIRED == (int)ZSESSIONEXPIRED, "rc mirror");
_Static_assert((int)CR_ZK_EAUTHFAILED == (int)ZAUTHFAILED, "rc mirror");
_Static_assert((int)CR_ZK_ECLOSING == (int)ZCLOSING, "rc mirror");

enum msg_kind { MSG_STATE, MSG_WATCH, MSG_RESULT, MSG_AUTH };

struct op {
    cr_zk_result_cb cb;
    void *arg;
    struct cr_zk_session *s; /* read by library threads: set once */
    struct op *prev, *next;  /* the ops in flight (loop thread only) */
};

/* One library callback, copied. Owned by the FIFO, then by on_async. */
struct msg {
    struct msg *next;
    enum msg_kind kind;
    int rc;            /* RESULT, AUTH */
    int zstate;        /* STATE */
    int64_t client_id; /* STATE when connected */
    char passwd[CR_ZK_PASSWD_LEN];
    int recv_timeout_ms; /* STATE when connected */
    int ztype;           /* WATCH */
    char *path;          /* WATCH; RESULT of create */
    struct op *op;       /* RESULT */
    char *data;          /* RESULT of get, NUL-terminated */
    size_t len;
    char **children; /* RESULT of get_children */
    size_t n_children;
    bool has_stat;
    struct cr_zk_stat stat;
};

struct cr_zk_session {
    uv_loop_t *loop;
    zhandle_t *zh;
    enum cr_zk_state state;
    char *servers;
    char *auth;
    cr_zk_state_cb on_state;
    cr_zk_watch_cb on_watch;
    void *arg;
    int64_t id;
    char passwd[CR_ZK_PASSWD_LEN];
    double timeout;   /* seconds: requested, then negotiated */
    uv_timer_t grace; /* DISCONNECTED for too long -> EXPIRED; when
                         closing: the bound on waiting for quiet */
    uv_async_t async;
    uv_work_t close_work;
    /* The bridge FIFO: the only state touched by library threads. */
    pthread_mutex_t mu;
    struct msg *head;
    struct msg **tail;
    struct op *ops; /* in flight: handed to the library, not delivered */
    size_t n_ops;
    int zstate; /* the library's last session state (0: none yet) */
    bool closing;
    bool close_started; /* zookeeper_close queued on the thread pool */
    int handles_open;
    cr_zk_close_cb close_cb;
    void *close_arg;
};

/* ---- states ---------------------------------------------------------- */

static const char *const state_names[] = {
    [CR_ZK_CONNECTING] = "CONNECTING",     [CR_ZK_CONNECTED] = "CONNECTED",
    [CR_ZK_DISCONNECTED] = "DISCONNECTED", [CR_ZK_EXPIRED] = "EXPIRED",
    [CR_ZK_AUTH_FAILED] = "AUTH_FAILED",   [CR_ZK_CLOSED] = "CLOSED",
};

/* allowed[from][to] */
static const bool allowed[6][6] = {
    [CR_ZK_CONNECTING] = {[CR_ZK_CONNECTED] = true,
                          [CR_ZK_EXPIRED] = true,
                          [CR_ZK_AUTH_FAILED] = true,
                          [CR_ZK_CLOSED] = true},
    [CR_ZK_CONNECTED] = {[CR_ZK_DISCONNECTED] = true,
                         [CR_ZK_EXPIRED] = true,
                         [CR_ZK_AUTH_FAILED] = true,
                         [CR_ZK_CLOSED] = true},
    [CR_ZK_DISCONNECTED] = {[CR_ZK_CONNECTED] = true,
                            [CR_ZK_EXPIRED] = true,
                            [CR_ZK_AUTH_FAILED] = true,
                            [CR_ZK_CLOSED] = true},
    [CR_ZK_EXPIRED] = {[CR_ZK_CLOSED] = true},
    [CR_ZK_AUTH_FAILED] = {[CR_ZK_CLOSED] = true},
};

const char *
cr_zk_state_name(enum cr_zk_state state)
{
    if ((unsigned)state < sizeof(state_names) / sizeof(state_names[0]))
        return state_names[state];
    return "UNKNOWN";
}

static bool
is_terminal(enum cr_zk_state st)
{
    return st == CR_ZK_EXPIRED || st == CR_ZK_AUTH_FAILED || st == CR_ZK_CLOSED;
}

/* Move to `to`, log it, and tell the owner (except for CLOSED). */
static void
set_state(struct cr_zk_session *s, enum cr_zk_state to, const char *reason)
{
    if (!allowed[s->state][to]) {
        cr_error("zk: BUG: illegal session transition %s -> %s (%s)",
                 cr_zk_state_name(s->state), cr_zk_state_name(to), reason);
        return;
    }
    cr_info("zk: session 0x%llx %s -> %s (%s)", (unsigned long long)s->id,
            cr_zk_state_name(s->state), cr_zk_state_name(to), reason);
    s->state = to;
    if (to != CR_ZK_CLOSED && s->on_state != NULL)
        s->on_state(s->arg, s, to);
}

/* ---- the bridge (library threads) ------------------------------------ */

static void
bridge_push(struct cr_zk_session *s, struct msg *m)
{
    pthread_mutex_lock(&s->mu);
    *s->tail = m;
    s->tail = &m->next;
    pthread_mutex_unlock(&s->mu);
    uv_async_send(&s->async);
}

static char *
dup_bounded(const char *s, size_t max)
{
    if (s == NULL)
        return NULL;
    size_t n = strnlen(s, max + 1);
    return n > max ? NULL : cr_xstrndup(s, n);
}

static void
copy_stat(struct msg *m, const struct Stat *st)
{
    if (st == NULL)
        return;
    m->has_stat = true;
    m->stat = (struct cr_zk_stat){
        .czxid = st->czxid,
        .mzxid = st->mzxid,
        .ctime_ms = st->ctime,
        .mtime_ms = st->mtime,
        .version = st->version,
        .cversion = st->cversion,
        .data_length = st->dataLength,
        .num_children = st->numChildren,
        .ephemeral_owner = st->ephemeralOwner,
    };
}

/* The default watcher: session events and every watch we set. */
static void
on_zk_event(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    struct cr_zk_session *s = ctx;
    struct msg *m = cr_xcalloc(1, sizeof(*m));
    if (type == ZOO_SESSION_EVENT) {
        m->kind = MSG_STATE;
        m->zstate = state;
        if (state == ZOO_CONNECTED_STATE) {
            const clientid_t *cid = zoo_client_id(zh);
            m->client_id = cid->client_id;
            memcpy(m->passwd, cid->passwd, sizeof(m->passwd));
            m->recv_timeout_ms = zoo_recv_timeout(zh);
        }
    } else {
        m->kind = MSG_WATCH;
        m->ztype = type;
        m->path = dup_bounded(path, CR_ZK_PATH_MAX);
    }
    bridge_push(s, m);
}

static struct msg *
result_msg(const void *data, int rc)
{
    struct msg *m = cr_xcalloc(1, sizeof(*m));
    m->kind = MSG_RESULT;
    m->op = (struct op *)(uintptr_t)data;
    m->rc = rc;
    return m;
}

static void
on_create_done(int rc, const char *value, const void *data)
{
    struct msg *m = result_msg(data, rc);
    if (rc == ZOK && (m->path = dup_bounded(value, CR_ZK_PATH_MAX)) == NULL)
        m->rc = CR_ETOOBIG;
    bridge_push(m->op->s, m);
}

static void
on_get_done(int rc, const char *value, int value_len, const struct Stat *stat,
            const void *data)
{
    struct msg *m = result_msg(data, rc);
    if (rc == ZOK) {
        size_t n = value_len > 0 ? (size_t)value_len : 0;
        if (n > CR_ZK_DATA_MAX) {
            m->rc = CR_ETOOBIG;
        } else {
            m->data = cr_xmalloc(n + 1);
            if (n > 0)
                memcpy(m->data, value, n);
            m->data[n] = '\0';
            m->len = n;
            copy_stat(m, stat);
        }
    }
    bridge_push(m->op->s, m);
}

static int
copy_children(struct msg *m, const struct String_vector *v)
{
    size_t n = v != NULL && v->count > 0 ? (size_t)v->count : 0;
    if (n > CR_ZK_CHILDREN_MAX)
        return CR_ETOOBIG;
    size_t total = 0;
    for (size_t i = 0; i < n; i++) {
        total += strnlen(v->data[i], CR_ZK_PATH_MAX + 1) + 1;
        if (total > CR_ZK_CHILDREN_BYTES)
            return CR_ETOOBIG;
    }
    m->children = cr_xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        m->children[i] = dup_bounded(v->data[i], CR_ZK_PATH_MAX);
        if (m->children[i] == NULL) {
            m->n_children = i;
            return CR_ETOOBIG;
        }
    }
    m->n_children = n;
    return 0;
}

static void
on_children_done(int rc, const struct String_vector *strings, const void *data)
{
    struct msg *m = result_msg(data, rc);
    if (rc == ZOK) {
        int err = copy_children(m, strings);
        if (err != 0)
            m->rc = err;
    }
    bridge_push(m->op->s, m);
}

static void
on_stat_done(int rc, const struct Stat *stat, const void *data)
{
    struct msg *m = result_msg(data, rc);
    if (rc == ZOK)
        copy_stat(m, stat);
    bridge_push(m->op->s, m);
}

static void
on_void_done(int rc, const void *data)
{
    struct msg *m = result_msg(data, rc);
    bridge_push(m->op->s, m);
}

static void
on_auth_done(int rc, const void *data)
{
    struct cr_zk_session *s = (struct cr_zk_session *)(uintptr_t)data;
    struct msg *m = cr_xcalloc(1, sizeof(*m));
    m->kind = MSG_AUTH;
    m->rc = rc;
    bridge_push(s, m);
}

/* The library's own log lines, from any of its threads. cr_log_write only
 * formats into a stack buffer and write(2)s, so it is safe here. While no
 * server answers, the library retries in a tight loop and logs every
 * attempt: pass at most LOG_BURST lines a second (process-wide; the
 * counters are atomics, the only shared state outside the bridge). */
#define LOG_BURST 5

static _Atomic uint64_t log_window;
static _Atomic unsigned log_count;

static void
on_zk_log(const char *message)
{
    uint64_t now = cr_mono_ms() / 1000;
    uint64_t window = atomic_load(&log_window);
    if (now != window &&
        atomic_compare_exchange_strong(&log_window, &window, now))
        atomic_store(&log_count, 0);
    if (atomic_fetch_add(&log_count, 1) >= LOG_BURST)
        return;
    bool serious = strstr(message, "ZOO_ERROR") != NULL ||
                   strstr(message, "ZOO_WARN") != NULL;
    cr_log(serious ? CR_LOG_WARN : CR_LOG_DEBUG, "zk client: %s", message);
}

/* ---- delivery (loop thread) ------------------------------------------ */

static void
msg_free(struct msg *m)
{
    free(m->path);
    free(m->data);
    for (size_t i = 0; i < m->n_children; i++)
        free(m->children[i]);
    free(m->children);
    free(m);
}

static void
ops_link(struct cr_zk_session *s, struct op *op)
{
    op->prev = NULL;
    op->next = s->ops;
    if (s->ops != NULL)
        s->ops->prev = op;
    s->ops = op;
    s->n_ops++;
}

static void
ops_unlink(struct cr_zk_session *s, struct op *op)
{
    if (op->prev != NULL)
        op->prev->next = op->next;
    else
        s->ops = op->next;
    if (op->next != NULL)
        op->next->prev = op->prev;
    op->prev = op->next = NULL;
    s->n_ops--;
}

static void maybe_close(struct cr_zk_session *s);

static void
deliver_result(struct cr_zk_session *s, struct msg *m)
{
    struct cr_zk_result r = {.rc = m->rc};
    if (s->closing || m->rc == ZCLOSING)
        r.rc = CR_ECANCELED_OP;
    if (r.rc == 0) {
        r.path = m->path;
        r.data = m->data;
        r.len = m->len;
        r.children = (const char *const *)m->children;
        r.n_children = m->n_children;
        r.stat = m->has_stat ? &m->stat : NULL;
    }
    struct op *op = m->op;
    ops_unlink(s, op);
    op->cb(op->arg, &r); /* may close the session */
    free(op);
}

static void on_grace_expired(uv_timer_t *t);

static void
deliver_state(struct cr_zk_session *s, struct msg *m)
{
    if (s->closing || is_terminal(s->state))
        return;
    if (m->zstate == ZOO_CONNECTED_STATE) {
        s->id = m->client_id;
        memcpy(s->passwd, m->passwd, sizeof(s->passwd));
        if (m->recv_timeout_ms > 0)
            s->timeout = m->recv_timeout_ms / 1000.0;
        uv_timer_stop(&s->grace);
        if (s->state != CR_ZK_CONNECTED)
            set_state(s, CR_ZK_CONNECTED, "session established");
    } else if (m->zstate == ZOO_CONNECTING_STATE) {
        if (s->state != CR_ZK_CONNECTED)
            return;
        set_state(s, CR_ZK_DISCONNECTED, "connection lost, reconnecting");
        /* T/4 after the library's 2/3 T: see "EXPIRED" in session.h. */
        uint64_t grace_ms = (uint64_t)(s->timeout * 1000.0 / 4.0);
        if (!s->closing && s->state == CR_ZK_DISCONNECTED)
            uv_timer_start(&s->grace, on_grace_expired, grace_ms, 0);
    } else if (m->zstate == ZOO_EXPIRED_SESSION_STATE) {
        set_state(s, CR_ZK_EXPIRED, "expired by the servers");
    } else if (m->zstate == ZOO_AUTH_FAILED_STATE) {
        set_state(s, CR_ZK_AUTH_FAILED, "authentication failed");
    }
}

static enum cr_zk_event
event_of(int ztype)
{
    if (ztype == ZOO_CREATED_EVENT)
        return CR_ZK_EVENT_CREATED;
    if (ztype == ZOO_DELETED_EVENT)
        return CR_ZK_EVENT_DELETED;
    if (ztype == ZOO_CHANGED_EVENT)
        return CR_ZK_EVENT_CHANGED;
    if (ztype == ZOO_CHILD_EVENT)
        return CR_ZK_EVENT_CHILD;
    return 0;
}

static void
deliver(struct cr_zk_session *s, struct msg *m)
{
    switch (m->kind) {
    case MSG_RESULT:
        deliver_result(s, m);
        break;
    case MSG_STATE:
        s->zstate = m->zstate; /* even when closing: see maybe_close */
        deliver_state(s, m);
        break;
    case MSG_WATCH: {
        enum cr_zk_event ev = event_of(m->ztype);
        if (s->closing || is_terminal(s->state) || ev == 0 || m->path == NULL)
            break;
        cr_debug("zk: watch event %d on %s", (int)ev, m->path);
        if (s->on_watch != NULL)
            s->on_watch(s->arg, s, ev, m->path);
        break;
    }
    case MSG_AUTH:
        if (m->rc != ZOK && !s->closing)
            cr_warn("zk: digest authentication failed: %s", zerror(m->rc));
        break;
    }
}

static void
on_async(uv_async_t *a)
{
    struct cr_zk_session *s = a->data;
    pthread_mutex_lock(&s->mu);
    struct msg *m = s->head;
    s->head = NULL;
    s->tail = &s->head;
    pthread_mutex_unlock(&s->mu);
    while (m != NULL) {
        struct msg *next = m->next;
        deliver(s, m);
        msg_free(m);
        m = next;
    }
    if (s->closing)
        maybe_close(s);
}

static void
on_grace_expired(uv_timer_t *t)
{
    struct cr_zk_session *s = t->data;
    if (s->state == CR_ZK_DISCONNECTED && !s->closing)
        set_state(s, CR_ZK_EXPIRED,
                  "disconnected for a quarter of the session timeout");
}

/* ---- open / close ---------------------------------------------------- */

static void on_handle_closed(uv_handle_t *h);

static pthread_once_t zk_log_once = PTHREAD_ONCE_INIT;

static void
set_library_log_level(void)
{
    zoo_set_debug_level(cr_log_level_current >= CR_LOG_DEBUG
                            ? ZOO_LOG_LEVEL_INFO
                            : ZOO_LOG_LEVEL_WARN);
}

static int
check_config(const struct cr_zk_session_config *c)
{
    if (c->servers == NULL || c->servers[0] == '\0' ||
        strlen(c->servers) > CR_ZK_URL_MAX)
        return CR_EINVAL_INPUT;
    if (!(c->timeout_secs > 0.0) || c->timeout_secs > 3600.0)
        return CR_EINVAL_INPUT;
    if (c->auth != NULL && strchr(c->auth, ':') == NULL)
        return CR_EINVAL_INPUT;
    return 0;
}

int
cr_zk_session_open(uv_loop_t *loop, const struct cr_zk_session_config *c,
                   struct cr_zk_session **out)
{
    *out = NULL;
    int rc = check_config(c);
    if (rc != 0)
        return rc;
    pthread_once(&zk_log_once, set_library_log_level);
    struct cr_zk_session *s = cr_xcalloc(1, sizeof(*s));
    s->loop = loop;
    s->state = CR_ZK_CONNECTING;
    s->servers = cr_xstrdup(c->servers);
    s->auth = c->auth != NULL ? cr_xstrdup(c->auth) : NULL;
    s->on_state = c->on_state;
    s->on_watch = c->on_watch;
    s->arg = c->arg;
    s->timeout = c->timeout_secs;
    s->tail = &s->head;
    pthread_mutex_init(&s->mu, NULL);
    uv_async_init(loop, &s->async, on_async);
    uv_timer_init(loop, &s->grace);
    s->async.data = s;
    s->grace.data = s;
    s->handles_open = 2;
    errno = 0;
    s->zh = zookeeper_init2(s->servers, on_zk_event, (int)(s->timeout * 1000),
                            NULL, s, 0, on_zk_log);
    if (s->zh == NULL) {
        rc = errno > 0 ? -errno : CR_EINVAL_INPUT;
        cr_warn("zk: cannot open a session to %s: %s", s->servers,
                cr_strerror(rc));
        s->state = CR_ZK_CLOSED;
        s->closing = true;
        /* The handles are embedded: s is freed in their close callbacks. */
        uv_close((uv_handle_t *)&s->async, on_handle_closed);
        uv_close((uv_handle_t *)&s->grace, on_handle_closed);
        return rc;
    }
    if (s->auth != NULL)
        zoo_add_auth(s->zh, "digest", s->auth, (int)strlen(s->auth),
                     on_auth_done, s);
    cr_info("zk: opening a session to %s (timeout %.1fs%s)", s->servers,
            s->timeout, s->auth != NULL ? ", digest auth" : "");
    *out = s;
    return 0;
}

static void
on_handle_closed(uv_handle_t *h)
{
    struct cr_zk_session *s = h->data;
    if (--s->handles_open > 0)
        return;
    cr_zk_close_cb cb = s->close_cb;
    void *arg = s->close_arg;
    pthread_mutex_destroy(&s->mu);
    free(s->servers);
    free(s->auth);
    free(s);
    if (cb != NULL)
        cb(arg);
}

static void
close_work_run(uv_work_t *w)
{
    struct cr_zk_session *s = w->data;
    zookeeper_close(s->zh);
}

static void
close_work_done(uv_work_t *w, int status)
{
    struct cr_zk_session *s = w->data;
    (void)status;
    s->zh = NULL;
    /* No library thread is left: drain what the close produced. */
    on_async(&s->async);
    /* Ops the library dropped (see the top of this file): their replies
     * can no longer come, complete them here. */
    if (s->ops != NULL)
        cr_warn("zk: session 0x%llx: %zu operation(s) lost by the client "
                "library at close; cancelling them",
                (unsigned long long)s->id, s->n_ops);
    while (s->ops != NULL) {
        struct op *op = s->ops;
        ops_unlink(s, op);
        struct cr_zk_result r = {.rc = CR_ECANCELED_OP};
        op->cb(op->arg, &r);
        free(op);
    }
    uv_close((uv_handle_t *)&s->async, on_handle_closed);
    uv_close((uv_handle_t *)&s->grace, on_handle_closed);
}

/* Hand the handle to zookeeper_close on the thread pool. */
static void
close_start(struct cr_zk_session *s)
{
    s->close_started = true;
    uv_timer_stop(&s->grace);
    s->close_work.data = s;
    if (uv_queue_work(s->loop, &s->close_work, close_work_run,
                      close_work_done) != 0) {
        close_work_run(&s->close_work);
        close_work_done(&s->close_work, 0);
    }
}

/* Nothing in flight and no session event on the way (see the top). */
static bool
library_quiet(const struct cr_zk_session *s)
{
    return s->ops == NULL && (s->zstate == ZOO_CONNECTED_STATE ||
                              s->zstate == ZOO_EXPIRED_SESSION_STATE ||
                              s->zstate == ZOO_AUTH_FAILED_STATE);
}

static void
maybe_close(struct cr_zk_session *s)
{
    if (s->closing && !s->close_started && library_quiet(s))
        close_start(s);
}

/* The library's state, for log lines. */
static const char *
zstate_name(int zstate)
{
    if (zstate == ZOO_CONNECTED_STATE)
        return "connected";
    if (zstate == ZOO_EXPIRED_SESSION_STATE)
        return "expired";
    if (zstate == ZOO_AUTH_FAILED_STATE)
        return "authentication failed";
    return "connecting";
}

static void
on_close_deadline(uv_timer_t *t)
{
    struct cr_zk_session *s = t->data;
    if (s->close_started)
        return;
    cr_warn("zk: session 0x%llx: closing with %zu operation(s) in flight, "
            "client library %s",
            (unsigned long long)s->id, s->n_ops, zstate_name(s->zstate));
    close_start(s);
}

void
cr_zk_session_close(struct cr_zk_session *s, cr_zk_close_cb cb, void *arg)
{
    if (s->closing) {
        cr_error("zk: BUG: session closed twice");
        return;
    }
    s->closing = true;
    s->close_cb = cb;
    s->close_arg = arg;
    uv_timer_stop(&s->grace);
    set_state(s, CR_ZK_CLOSED, "closed by its owner");
    if (library_quiet(s)) {
        close_start(s);
        return;
    }
    /* Let the library settle first (see the top). */
    cr_debug("zk: session 0x%llx: closing once the client library is quiet "
             "(%zu operation(s) in flight, client library %s)",
             (unsigned long long)s->id, s->n_ops, zstate_name(s->zstate));
    uv_timer_start(&s->grace, on_close_deadline,
                   (uint64_t)(s->timeout * 250.0) + 1, 0);
}

enum cr_zk_state
cr_zk_session_state(const struct cr_zk_session *s)
{
    return s->state;
}

int64_t
cr_zk_session_id(const struct cr_zk_session *s)
{
    return s->id;
}

double
cr_zk_session_timeout(const struct cr_zk_session *s)
{
    return s->timeout;
}

int
cr_zk_session_credentials(const struct cr_zk_session *s, int64_t *id,
                          char passwd[CR_ZK_PASSWD_LEN])
{
    if (s->id == 0)
        return CR_ESTATE;
    *id = s->id;
    memcpy(passwd, s->passwd, CR_ZK_PASSWD_LEN);
    return 0;
}

/* ---- operations ------------------------------------------------------ */

/* Check that an operation may start; on success return a new op. */
static int
op_begin(struct cr_zk_session *s, const char *path, cr_zk_result_cb cb,
         void *arg, struct op **out)
{
    if (s->closing || is_terminal(s->state) || s->zh == NULL)
        return CR_ESTATE;
    if (cb == NULL || !cr_zk_path_is_valid(path))
        return CR_EINVAL_INPUT;
    struct op *op = cr_xmalloc(sizeof(*op));
    *op = (struct op){.cb = cb, .arg = arg, .s = s};
    ops_link(s, op);
    *out = op;
    return 0;
}

/* The library refused to queue the request: its callback never runs. */
static int
op_end(struct op *op, int zrc)
{
    if (zrc == ZOK)
        return 0;
    ops_unlink(op->s, op);
    free(op);
    return zrc;
}

int
cr_zk_create(struct cr_zk_session *s, const char *path, const void *data,
             size_t len, int flags, cr_zk_result_cb cb, void *arg)
{
    if (len > CR_ZK_DATA_MAX)
        return CR_ETOOBIG;
    if ((flags & ~(CR_ZK_EPHEMERAL | CR_ZK_SEQUENTIAL)) != 0)
        return CR_EINVAL_INPUT;
    struct op *op;
    int rc = op_begin(s, path, cb, arg, &op);
    if (rc != 0)
        return rc;
    int mode = ((flags & CR_ZK_EPHEMERAL) ? ZOO_EPHEMERAL : 0) |
               ((flags & CR_ZK_SEQUENTIAL) ? ZOO_SEQUENCE : 0);
    /* With credentials: world may read, the creator may do anything. */
    struct ACL acl[2] = {{.perms = ZOO_PERM_READ, .id = ZOO_ANYONE_ID_UNSAFE},
                         {.perms = ZOO_PERM_ALL, .id = ZOO_AUTH_IDS}};
    struct ACL_vector secured = {2, acl};
    const struct ACL_vector *acls =
        s->auth != NULL ? &secured : &ZOO_OPEN_ACL_UNSAFE;
    return op_end(op, zoo_acreate(s->zh, path, data != NULL ? data : "",
                                  (int)len, acls, mode, on_create_done, op));
}

int
cr_zk_get(struct cr_zk_session *s, const char *path, bool watch,
          cr_zk_result_cb cb, void *arg)
{
    struct op *op;
    int rc = op_begin(s, path, cb, arg, &op);
    if (rc != 0)
        return rc;
    return op_end(op, zoo_aget(s->zh, path, watch, on_get_done, op));
}

int
cr_zk_get_children(struct cr_zk_session *s, const char *path, bool watch,
                   cr_zk_result_cb cb, void *arg)
{
    struct op *op;
    int rc = op_begin(s, path, cb, arg, &op);
    if (rc != 0)
        return rc;
    return op_end(op,
                  zoo_aget_children(s->zh, path, watch, on_children_done, op));
}

int
cr_zk_exists(struct cr_zk_session *s, const char *path, bool watch,
             cr_zk_result_cb cb, void *arg)
{
    struct op *op;
    int rc = op_begin(s, path, cb, arg, &op);
    if (rc != 0)
        return rc;
    return op_end(op, zoo_aexists(s->zh, path, watch, on_stat_done, op));
}

int
cr_zk_delete(struct cr_zk_session *s, const char *path, int version,
             cr_zk_result_cb cb, void *arg)
{
    struct op *op;
    int rc = op_begin(s, path, cb, arg, &op);
    if (rc != 0)
        return rc;
    return op_end(op, zoo_adelete(s->zh, path, version, on_void_done, op));
}

const char *
cr_zk_strerror(int rc)
{
    if (rc <= -10000)
        return cr_strerror(rc);
    return zerror(rc);
}
