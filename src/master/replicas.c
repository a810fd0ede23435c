/* SPDX-License-Identifier: Apache-2.0
 *
 * replicas.c: see replicas.h.
 *
 * Per session, on every CONNECTED, the publication chain runs:
 *
 *   create each missing prefix of <dir> --> create <dir>/<self> (EPHEMERAL)
 *      --(exists, owned by another session)--> delete it, create again
 *   --> exists(<dir>/<self>, watch) --> get_children(<dir>, watch)
 *
 * A CHILD event re-lists <dir>; a DELETED event on our node reruns the
 * chain. An operation that fails (connection loss, ...) reruns the chain
 * after RETRY_MS once the session is connected. EXPIRED / AUTH_FAILED close
 * the session and open a new one. Results of a closed session arrive as
 * CR_ECANCELED_OP and are ignored.
 */
#include "replicas.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "log/log.h"
#include "zk/session.h"
#include "zk/url.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_MS     300
#define DEPARTED_MAX 16
#define NAME_MAX_LEN 255

struct replicas {
    uv_loop_t *loop;
    struct cr_log *log;
    struct cr_zk_url url;
    double timeout;
    char *self, *dir, *node;
    struct cr_zk_session *s;
    bool busy;       /* the publication chain is running */
    size_t prefix;   /* chain: the next prefix of dir to create */
    int recreations; /* chain: deletions of a stale node */
    char **members;
    size_t n_members;
    char **departed;
    size_t n_departed;
    uv_timer_t retry;
    bool stopping;
    int closes; /* the retry timer and every session not yet closed */
};

static void chain_start(struct replicas *rp);
static void list_children(struct replicas *rp);
static int session_open(struct replicas *rp);
static void on_session_closed(void *arg);

/* ---- helpers ------------------------------------------------------------- */

static void
free_names(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static bool
is_connected(const struct replicas *rp)
{
    return rp->s && cr_zk_session_state(rp->s) == CR_ZK_CONNECTED;
}

static void
on_retry(uv_timer_t *t)
{
    struct replicas *rp = t->data;
    if (rp->s == NULL) {
        if (session_open(rp) != 0)
            uv_timer_start(&rp->retry, on_retry, 1000, 0);
    } else if (is_connected(rp) && !rp->busy)
        chain_start(rp);
}

/* An operation failed: try the whole chain again a little later. */
static void
retry_later(struct replicas *rp, const char *what, int rc)
{
    if (rc == CR_ECANCELED_OP || rp->stopping)
        return; /* a closed session's operation */
    rp->busy = false;
    cr_warn("log replicas: %s: %s; retrying", what, cr_zk_strerror(rc));
    uv_timer_start(&rp->retry, on_retry, RETRY_MS, 0);
}

/* ---- the member list ----------------------------------------------------- */

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
name_ok(const char *n)
{
    size_t len = strlen(n);
    if (len == 0 || len > NAME_MAX_LEN || strchr(n, ':') == NULL)
        return false;
    for (const char *p = n; *p; p++)
        if (*p <= ' ' || *p == '/' || *p == 0x7f)
            return false;
    return true;
}

static bool
contains(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return true;
    return false;
}

static void
forget_departed(struct replicas *rp, const char *name)
{
    for (size_t i = 0; i < rp->n_departed; i++)
        if (strcmp(rp->departed[i], name) == 0) {
            free(rp->departed[i]);
            memmove(&rp->departed[i], &rp->departed[i + 1],
                    (rp->n_departed - i - 1) * sizeof(char *));
            rp->n_departed--;
            return;
        }
}

static void
add_departed(struct replicas *rp, const char *name)
{
    forget_departed(rp, name);
    if (rp->n_departed == DEPARTED_MAX) {
        free(rp->departed[0]);
        memmove(&rp->departed[0], &rp->departed[1],
                (DEPARTED_MAX - 1) * sizeof(char *));
        rp->n_departed--;
    }
    rp->departed[rp->n_departed++] = cr_xstrdup(name);
}

static bool
same_names(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return false;
    for (size_t i = 0; i < na; i++)
        if (strcmp(a[i], b[i]) != 0)
            return false;
    return true;
}

/* Take names (sorted, owned) as the new member list. */
static void
set_members(struct replicas *rp, char **names, size_t n)
{
    if (same_names(names, n, rp->members, rp->n_members)) {
        free_names(names, n);
        return;
    }
    for (size_t i = 0; i < rp->n_members; i++)
        if (!contains(names, n, rp->members[i]))
            add_departed(rp, rp->members[i]);
    for (size_t i = 0; i < n; i++)
        forget_departed(rp, names[i]);
    free_names(rp->members, rp->n_members);
    rp->members = names;
    rp->n_members = n;
    struct cr_buf b;
    cr_buf_init(&b, 4096);
    for (size_t i = 0; i < n; i++)
        cr_buf_printf(&b, "%s%s", i ? ", " : "", names[i]);
    cr_info("log replicas: %zu in ZooKeeper: %s", n, b.data ? b.data : "");
    cr_buf_fini(&b);
    cr_log_set_peers(rp->log, (const char *const *)names, n);
}

static void
on_children(void *arg, const struct cr_zk_result *r)
{
    struct replicas *rp = arg;
    if (r->rc == CR_ZK_ENONODE) {
        chain_start(rp); /* the directory went away: publish again */
        return;
    }
    if (r->rc != CR_ZK_OK) {
        retry_later(rp, "cannot list the replicas", r->rc);
        return;
    }
    char **names = cr_xcalloc(r->n_children + 1, sizeof(char *));
    size_t n = 0;
    for (size_t i = 0; i < r->n_children; i++) {
        if (name_ok(r->children[i]))
            names[n++] = cr_xstrdup(r->children[i]);
        else
            cr_warn("log replicas: ignoring node '%.64s'", r->children[i]);
    }
    qsort(names, n, sizeof(char *), cmp_names);
    set_members(rp, names, n);
}

static void
list_children(struct replicas *rp)
{
    int rc = cr_zk_get_children(rp->s, rp->dir, true, on_children, rp);
    if (rc != 0)
        retry_later(rp, "cannot list the replicas", rc);
}

/* ---- the publication chain ----------------------------------------------- */

static void create_node(struct replicas *rp);
static void create_prefix(struct replicas *rp);

static void
on_watch_set(void *arg, const struct cr_zk_result *r)
{
    struct replicas *rp = arg;
    if (r->rc == CR_ZK_ENONODE) {
        rp->busy = false;
        chain_start(rp); /* gone already: publish again */
        return;
    }
    if (r->rc != CR_ZK_OK) {
        retry_later(rp, "cannot watch our replica node", r->rc);
        return;
    }
    rp->busy = false;
    cr_info("log replicas: published %s", rp->node);
    list_children(rp);
}

static void
on_stale_deleted(void *arg, const struct cr_zk_result *r)
{
    struct replicas *rp = arg;
    if (r->rc != CR_ZK_OK && r->rc != CR_ZK_ENONODE) {
        retry_later(rp, "cannot delete a stale replica node", r->rc);
        return;
    }
    create_node(rp);
}

/* Our name exists: ours (a retried create), or a dead predecessor's. */
static void
on_existing(void *arg, const struct cr_zk_result *r)
{
    struct replicas *rp = arg;
    if (r->rc == CR_ZK_ENONODE) {
        create_node(rp);
        return;
    }
    if (r->rc != CR_ZK_OK) {
        retry_later(rp, "cannot check our replica node", r->rc);
        return;
    }
    if (r->stat->ephemeral_owner == cr_zk_session_id(rp->s)) {
        int rc = cr_zk_exists(rp->s, rp->node, true, on_watch_set, rp);
        if (rc != 0)
            retry_later(rp, "cannot watch our replica node", rc);
        return;
    }
    if (++rp->recreations > 3) {
        retry_later(rp, "our replica node keeps coming back",
                    CR_ZK_ENODEEXISTS);
        return;
    }
    cr_info("log replicas: replacing %s, left by an earlier session", rp->node);
    int rc = cr_zk_delete(rp->s, rp->node, -1, on_stale_deleted, rp);
    if (rc != 0)
        retry_later(rp, "cannot delete a stale replica node", rc);
}

static void
on_node_created(void *arg, const struct cr_zk_result *r)
{
    struct replicas *rp = arg;
    int rc;
    if (r->rc == CR_ZK_OK || r->rc == CR_ZK_ENODEEXISTS)
        rc = r->rc == CR_ZK_OK
                 ? cr_zk_exists(rp->s, rp->node, true, on_watch_set, rp)
                 : cr_zk_exists(rp->s, rp->node, false, on_existing, rp);
    else
        rc = r->rc;
    if (rc != 0)
        retry_later(rp, "cannot publish our replica", rc);
}

static void
create_node(struct replicas *rp)
{
    int rc = cr_zk_create(rp->s, rp->node, rp->self, strlen(rp->self),
                          CR_ZK_EPHEMERAL, on_node_created, rp);
    if (rc != 0)
        retry_later(rp, "cannot publish our replica", rc);
}

static void
on_prefix_created(void *arg, const struct cr_zk_result *r)
{
    struct replicas *rp = arg;
    if (r->rc != CR_ZK_OK && r->rc != CR_ZK_ENODEEXISTS) {
        retry_later(rp, "cannot create the replicas' directory", r->rc);
        return;
    }
    create_prefix(rp);
}

/* Create the next prefix of dir ("/a", then "/a/b"...), then our node. */
static void
create_prefix(struct replicas *rp)
{
    if (rp->prefix >= strlen(rp->dir)) {
        create_node(rp);
        return;
    }
    const char *slash = strchr(rp->dir + rp->prefix + 1, '/');
    size_t len = slash ? (size_t)(slash - rp->dir) : strlen(rp->dir);
    char *path = cr_xstrndup(rp->dir, len);
    rp->prefix = len;
    int rc = cr_zk_create(rp->s, path, NULL, 0, 0, on_prefix_created, rp);
    free(path);
    if (rc != 0)
        retry_later(rp, "cannot create the replicas' directory", rc);
}

static void
chain_start(struct replicas *rp)
{
    if (rp->busy || rp->stopping || !is_connected(rp))
        return;
    rp->busy = true;
    rp->prefix = 0;
    rp->recreations = 0;
    create_prefix(rp);
}

/* ---- the session --------------------------------------------------------- */

static void
on_watch(void *arg, struct cr_zk_session *s, enum cr_zk_event type,
         const char *path)
{
    struct replicas *rp = arg;
    if (s != rp->s || rp->stopping)
        return;
    if (type == CR_ZK_EVENT_CHILD && strcmp(path, rp->dir) == 0)
        list_children(rp);
    else if (strcmp(path, rp->node) == 0 && type == CR_ZK_EVENT_DELETED)
        chain_start(rp);
}

static void
on_state(void *arg, struct cr_zk_session *s, enum cr_zk_state state)
{
    struct replicas *rp = arg;
    if (s != rp->s || rp->stopping)
        return;
    if (state == CR_ZK_CONNECTED) {
        chain_start(rp);
    } else if (state == CR_ZK_EXPIRED || state == CR_ZK_AUTH_FAILED) {
        cr_warn("log replicas: ZooKeeper session %s; opening a new one",
                cr_zk_state_name(state));
        rp->s = NULL;
        rp->busy = false;
        cr_zk_session_close(s, on_session_closed, rp);
        if (session_open(rp) != 0)
            uv_timer_start(&rp->retry, on_retry, 1000, 0);
    }
}

static int
session_open(struct replicas *rp)
{
    struct cr_zk_session_config c = {
        .servers = rp->url.servers,
        .auth = rp->url.auth,
        .timeout_secs = rp->timeout,
        .on_state = on_state,
        .on_watch = on_watch,
        .arg = rp,
    };
    int rc = cr_zk_session_open(rp->loop, &c, &rp->s);
    if (rc != 0) {
        rp->s = NULL;
        cr_warn("log replicas: cannot open a ZooKeeper session: %d", rc);
        return rc;
    }
    rp->closes++;
    return 0;
}

/* ---- lifecycle ----------------------------------------------------------- */

int
replicas_start(uv_loop_t *loop, const char *zk, double session_timeout,
               const char *self, struct cr_log *log, struct replicas **out,
               char *err, size_t errlen)
{
    struct replicas *rp = cr_xcalloc(1, sizeof(*rp));
    if (cr_zk_url_parse(zk, &rp->url, err, errlen) != 0) {
        free(rp);
        return -1;
    }
    rp->loop = loop;
    rp->log = log;
    rp->timeout = session_timeout;
    rp->self = cr_xstrdup(self);
    rp->dir = strcmp(rp->url.path, "/") == 0
                  ? cr_xstrdup("/" REPLICAS_DIR)
                  : cr_xasprintf("%s/" REPLICAS_DIR, rp->url.path);
    rp->node = cr_xasprintf("%s/%s", rp->dir, self);
    rp->departed = cr_xcalloc(DEPARTED_MAX, sizeof(char *));
    rp->closes = 1;
    uv_timer_init(loop, &rp->retry);
    rp->retry.data = rp;
    if (session_open(rp) != 0) {
        snprintf(err, errlen,
                 "cannot open a ZooKeeper session for the log replicas");
        replicas_stop(rp);
        return -1;
    }
    *out = rp;
    return 0;
}

static void
release(struct replicas *rp)
{
    if (--rp->closes > 0)
        return;
    cr_zk_url_fini(&rp->url);
    free(rp->self);
    free(rp->dir);
    free(rp->node);
    free_names(rp->members, rp->n_members);
    free_names(rp->departed, rp->n_departed);
    free(rp);
}

static void
on_session_closed(void *arg)
{
    release(arg);
}

static void
on_retry_closed(uv_handle_t *h)
{
    release(h->data);
}

void
replicas_stop(struct replicas *rp)
{
    if (rp == NULL || rp->stopping)
        return;
    rp->stopping = true;
    uv_close((uv_handle_t *)&rp->retry, on_retry_closed);
    if (rp->s) {
        cr_zk_session_close(rp->s, on_session_closed, rp);
        rp->s = NULL;
    }
}

size_t
replicas_count(const struct replicas *rp)
{
    return rp ? rp->n_members : 0;
}

void
replicas_describe(const struct replicas *rp, struct cr_buf *out)
{
    cr_buf_printf(out, "log replicas in ZooKeeper at %s: ", rp->dir);
    for (size_t i = 0; i < rp->n_members; i++)
        cr_buf_printf(out, "%s%s", i ? ", " : "", rp->members[i]);
    if (rp->n_members == 0)
        cr_buf_puts(out, "none");
    if (rp->n_departed == 0)
        return;
    cr_buf_puts(out, "; gone from ZooKeeper: ");
    for (size_t i = 0; i < rp->n_departed; i++)
        cr_buf_printf(out, "%s%s", i ? ", " : "", rp->departed[i]);
}
