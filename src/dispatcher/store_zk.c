/* SPDX-License-Identifier: Apache-2.0
 *
 * store_zk.c: the dispatcher's ZooKeeper store (see store_zk.h).
 *
 * Election is zk/group.h's (the masters' too), on D/leader. Reads and
 * writes use the group's own session (cr_zk_group_session), so that they
 * are fenced exactly like the leadership: when that session expires both
 * end together, and a successor can only be elected after that.
 *
 * Writes: a FIFO of `wop`s. Each is sent at once and carries a heap
 * `ticket` (store, op id, generation) that the session hands back exactly
 * once. Results come back in order. A connection loss fails every request
 * in flight: the generation moves on (late results of the old one are
 * dropped) and, once the session is CONNECTED again, every unfinished op
 * is sent again in order. An op is finished when its result is in; the
 * head of the FIFO completes while it is finished (a sync op is finished
 * as soon as it is the head).
 *
 * Loading (once elected): create the missing sub-trees, list them, then
 * read every child with at most LOAD_WINDOW reads in flight. A connection
 * loss restarts the load after LOAD_RETRY_MS.
 */
#include "store_zk.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "zk/group.h"
#include "zk/url.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RESEND_MS      100
#define LOAD_RETRY_MS  500
#define RECONTEND_MS   100
#define LOAD_WINDOW    32
#define DIR_PATH_MAX   512
#define LEADER_SUBTREE "leader"
#define MAX_LOAD_ITEMS 200000

static const char *const tree_names[DISP_N_TREES] = {
    [DISP_TREE_QUEUE] = "driverQueue",
    [DISP_TREE_LAUNCHED] = "launchedDrivers",
    [DISP_TREE_RETRY] = "retryList",
    [DISP_TREE_FINISHED] = "finishedDrivers",
    [DISP_TREE_SCHEDULER] = "scheduler",
    [DISP_TREE_COUNTER] = "scheduler/driverIdCounter",
};

enum wop_kind { W_CREATE, W_DELETE, W_SYNC };

struct wop {
    enum wop_kind kind;
    uint64_t id;
    char *path, *data;
    size_t len;
    bool resent;
    bool done;
    int rc;
    disp_store_cb cb;
    void *arg;
    struct wop *next;
};

enum load_phase { L_IDLE, L_MKDIR, L_LIST, L_GET, L_DONE };

struct ticket {
    struct disp_store *s;
    uint64_t id;  /* write: the op; load: unused */
    uint64_t gen; /* write or load generation */
    enum disp_tree tree;
    char *name; /* load get: the child's name */
};

struct item {
    enum disp_tree tree;
    char *name;
    char *data;
    size_t len;
};

struct disp_store {
    uv_loop_t *loop;
    struct cr_zk_group *group;
    char *dir;  /* D */
    char *desc; /* masked URL of D */
    char *self;
    struct disp_store_callbacks cbs;
    void *arg;
    bool elected, loaded, failed, closing;

    /* writes */
    struct wop *head, **tail;
    uint64_t next_id, gen;
    bool resend_wait;
    uv_timer_t resend;

    /* load, or re-contending while a standby */
    uv_timer_t timer;
    enum load_phase phase;
    uint64_t load_gen;
    int outstanding;
    struct item *items; /* L_LIST: names; L_GET: names + data */
    size_t n_items, cap_items, next_get;

    int tickets_out;
    int handles_open; /* the two timers */
    bool group_open;
    void (*close_cb)(void *);
    void *close_arg;
};

static void store_fail(struct disp_store *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void load_start(struct disp_store *s);
static void maybe_free(struct disp_store *s);

const char *
disp_store_describe(const struct disp_store *s)
{
    return s->desc;
}

static char *
tree_path(const struct disp_store *s, enum disp_tree t, const char *name)
{
    if (name)
        return cr_xasprintf("%s/%s/%s", s->dir, tree_names[t], name);
    return cr_xasprintf("%s/%s", s->dir, tree_names[t]);
}

static bool
retryable(int rc)
{
    return rc == CR_ZK_ECONNLOSS || rc == CR_ZK_ETIMEOUT;
}

static struct ticket *
ticket_new(struct disp_store *s, uint64_t id, uint64_t gen)
{
    struct ticket *t = cr_xcalloc(1, sizeof(*t));
    t->s = s;
    t->id = id;
    t->gen = gen;
    s->tickets_out++;
    return t;
}

/* Release a ticket; true if its store is closing (then drop the result). */
static bool
ticket_end(struct ticket *t)
{
    struct disp_store *s = t->s;
    s->tickets_out--;
    free(t->name);
    free(t);
    if (s->closing) {
        maybe_free(s);
        return true;
    }
    return false;
}

/* ---- writes ---- */

static void
wop_free(struct wop *w)
{
    free(w->path);
    free(w->data);
    free(w);
}

/* Pop every queued op and complete it with rc. */
static void
complete_all(struct disp_store *s, int rc)
{
    while (s->head) {
        struct wop *w = s->head;
        s->head = w->next;
        if (s->head == NULL)
            s->tail = &s->head;
        if (w->cb)
            w->cb(w->arg, rc);
        wop_free(w);
    }
}

static void
store_fail(struct disp_store *s, const char *fmt, ...)
{
    if (s->failed || s->closing)
        return;
    char reason[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);
    s->failed = true;
    cr_error("zk store %s: %s", s->desc, reason);
    uv_timer_stop(&s->resend);
    uv_timer_stop(&s->timer);
    complete_all(s, CR_ESTATE);
    if (!s->closing && s->cbs.failed)
        s->cbs.failed(s->arg, reason);
}

/* Complete the finished ops at the head, in order. */
static void
drain(struct disp_store *s)
{
    while (!s->closing && s->head &&
           (s->head->done || s->head->kind == W_SYNC)) {
        struct wop *w = s->head;
        s->head = w->next;
        if (s->head == NULL)
            s->tail = &s->head;
        int rc = w->done ? w->rc : 0;
        if (rc != 0)
            store_fail(s, "cannot %s %s: %s",
                       w->kind == W_CREATE ? "write" : "delete", w->path,
                       cr_zk_strerror(rc));
        if (w->cb)
            w->cb(w->arg, rc);
        wop_free(w);
    }
}

static struct wop *
wop_find(struct disp_store *s, uint64_t id)
{
    for (struct wop *w = s->head; w; w = w->next)
        if (w->id == id)
            return w;
    return NULL;
}

static void on_resend(uv_timer_t *t);

static void
start_resend(struct disp_store *s, int rc)
{
    if (s->resend_wait)
        return;
    cr_warn("zk store %s: writes interrupted (%s); sending them again once "
            "reconnected",
            s->desc, cr_zk_strerror(rc));
    s->resend_wait = true;
    s->gen++;
    uv_timer_start(&s->resend, on_resend, RESEND_MS, 0);
}

static void
on_write_done(void *arg, const struct cr_zk_result *r)
{
    struct ticket *t = arg;
    struct disp_store *s = t->s;
    uint64_t id = t->id, gen = t->gen;
    if (ticket_end(t) || s->failed || gen != s->gen)
        return;
    struct wop *w = wop_find(s, id);
    if (w == NULL || w->done)
        return;
    int rc = r->rc;
    if (retryable(rc)) {
        start_resend(s, rc);
        return;
    }
    if (w->kind == W_DELETE && rc == CR_ZK_ENONODE)
        rc = 0;
    if (w->kind == W_CREATE && rc == CR_ZK_ENODEEXISTS && w->resent)
        rc = 0; /* our first attempt went through before the loss */
    w->done = true;
    w->rc = rc;
    drain(s);
}

static void
send_op(struct disp_store *s, struct wop *w)
{
    if (w->kind == W_SYNC || w->done)
        return;
    struct cr_zk_session *zs = cr_zk_group_session(s->group);
    if (zs == NULL) {
        store_fail(s, "no ZooKeeper session");
        return;
    }
    struct ticket *t = ticket_new(s, w->id, s->gen);
    int rc =
        w->kind == W_CREATE
            ? cr_zk_create(zs, w->path, w->data, w->len, 0, on_write_done, t)
            : cr_zk_delete(zs, w->path, -1, on_write_done, t);
    if (rc != 0) {
        s->tickets_out--;
        free(t);
        store_fail(s, "cannot send a write of %s: %s", w->path,
                   cr_zk_strerror(rc));
    }
}

static void
on_resend(uv_timer_t *timer)
{
    struct disp_store *s = timer->data;
    if (s->closing || s->failed)
        return;
    if (cr_zk_group_session_state(s->group) != CR_ZK_CONNECTED) {
        uv_timer_start(&s->resend, on_resend, RESEND_MS, 0);
        return;
    }
    s->resend_wait = false;
    for (struct wop *w = s->head; w && !s->failed; w = w->next) {
        if (w->kind != W_SYNC && !w->done) {
            w->resent = true;
            send_op(s, w);
        }
    }
    drain(s);
}

static void
enqueue(struct disp_store *s, enum wop_kind kind, char *path, const char *data,
        size_t len, disp_store_cb cb, void *arg)
{
    if (s->closing || s->failed || !s->loaded) {
        free(path);
        if (cb)
            cb(arg, s->closing ? CR_ECANCELED_OP : CR_ESTATE);
        return;
    }
    struct wop *w = cr_xcalloc(1, sizeof(*w));
    w->kind = kind;
    w->id = ++s->next_id;
    w->path = path;
    if (data) {
        w->data = cr_xmalloc(len + 1);
        memcpy(w->data, data, len);
        w->data[len] = '\0';
        w->len = len;
    }
    w->cb = cb;
    w->arg = arg;
    *s->tail = w;
    s->tail = &w->next;
    if (!s->resend_wait)
        send_op(s, w);
    drain(s);
}

void
disp_store_put(struct disp_store *s, enum disp_tree tree, const char *name,
               const char *data, size_t len, disp_store_cb cb, void *arg)
{
    enqueue(s, W_DELETE, tree_path(s, tree, name), NULL, 0, NULL, NULL);
    enqueue(s, W_CREATE, tree_path(s, tree, name), data, len, cb, arg);
}

void
disp_store_create(struct disp_store *s, enum disp_tree tree, const char *name,
                  const char *data, size_t len, disp_store_cb cb, void *arg)
{
    enqueue(s, W_CREATE, tree_path(s, tree, name), data, len, cb, arg);
}

void
disp_store_delete(struct disp_store *s, enum disp_tree tree, const char *name,
                  disp_store_cb cb, void *arg)
{
    enqueue(s, W_DELETE, tree_path(s, tree, name), NULL, 0, cb, arg);
}

void
disp_store_sync(struct disp_store *s, disp_store_cb cb, void *arg)
{
    enqueue(s, W_SYNC, NULL, NULL, 0, cb, arg);
}

/* ---- loading ---- */

static void
items_clear(struct disp_store *s)
{
    for (size_t i = 0; i < s->n_items; i++) {
        free(s->items[i].name);
        free(s->items[i].data);
    }
    free(s->items);
    s->items = NULL;
    s->n_items = s->cap_items = s->next_get = 0;
}

static void
on_load_timer(uv_timer_t *timer)
{
    struct disp_store *s = timer->data;
    if (!s->closing && !s->failed && s->elected && !s->loaded)
        load_start(s);
}

/* A read failed in a way a new attempt may fix. */
static void
load_retry(struct disp_store *s, int rc)
{
    cr_warn("zk store %s: loading interrupted (%s); retrying", s->desc,
            cr_zk_strerror(rc));
    s->load_gen++;
    s->phase = L_IDLE;
    s->outstanding = 0;
    items_clear(s);
    uv_timer_start(&s->timer, on_load_timer, LOAD_RETRY_MS, 0);
}

/* Check a load result: true when it is current and may be used. */
static bool
load_result_ok(struct disp_store *s, struct ticket *t, bool *stale)
{
    uint64_t gen = t->gen;
    *stale = false;
    if (s->closing || s->failed || gen != s->load_gen) {
        *stale = true;
        return false;
    }
    s->outstanding--;
    return true;
}

static void load_list(struct disp_store *s);
static void load_get_more(struct disp_store *s);

static void
on_mkdir(void *arg, const struct cr_zk_result *r)
{
    struct ticket *t = arg;
    struct disp_store *s = t->s;
    bool stale;
    bool ok = load_result_ok(s, t, &stale);
    if (ticket_end(t) || stale || !ok)
        return;
    if (r->rc != 0 && r->rc != CR_ZK_ENODEEXISTS) {
        if (retryable(r->rc))
            load_retry(s, r->rc);
        else
            store_fail(s, "cannot create the sub-trees: %s",
                       cr_zk_strerror(r->rc));
        return;
    }
    if (s->outstanding == 0 && s->phase == L_MKDIR)
        load_list(s);
}

static void
add_item(struct disp_store *s, enum disp_tree tree, const char *name,
         const char *data, size_t len)
{
    if (s->n_items == s->cap_items) {
        s->cap_items = s->cap_items ? 2 * s->cap_items : 64;
        s->items = cr_xrealloc(s->items, s->cap_items * sizeof(*s->items));
    }
    struct item *it = &s->items[s->n_items++];
    it->tree = tree;
    it->name = cr_xstrdup(name);
    it->data = NULL;
    it->len = 0;
    if (data) {
        it->data = cr_xmalloc(len + 1);
        memcpy(it->data, data, len);
        it->data[len] = '\0';
        it->len = len;
    }
}

static void
on_children(void *arg, const struct cr_zk_result *r)
{
    struct ticket *t = arg;
    struct disp_store *s = t->s;
    enum disp_tree tree = t->tree;
    bool stale;
    bool ok = load_result_ok(s, t, &stale);
    if (ticket_end(t) || stale || !ok)
        return;
    if (r->rc != 0) {
        if (retryable(r->rc) || r->rc == CR_ZK_ENONODE)
            load_retry(s, r->rc);
        else
            store_fail(s, "cannot list %s: %s", tree_names[tree],
                       cr_zk_strerror(r->rc));
        return;
    }
    for (size_t i = 0; i < r->n_children; i++) {
        if (s->n_items >= MAX_LOAD_ITEMS) {
            store_fail(s, "more than %d nodes to load", MAX_LOAD_ITEMS);
            return;
        }
        add_item(s, tree, r->children[i], NULL, 0);
    }
    if (s->outstanding == 0 && s->phase == L_LIST) {
        s->phase = L_GET;
        load_get_more(s);
    }
}

static void
deliver(struct disp_store *s)
{
    s->phase = L_DONE;
    s->loaded = true;
    size_t n = 0;
    struct disp_store_entry *e =
        cr_xcalloc(s->n_items ? s->n_items : 1, sizeof(*e));
    for (size_t i = 0; i < s->n_items; i++) {
        if (s->items[i].data == NULL)
            continue; /* vanished between list and read */
        e[n++] = (struct disp_store_entry){.tree = s->items[i].tree,
                                           .name = s->items[i].name,
                                           .data = s->items[i].data,
                                           .len = s->items[i].len};
    }
    cr_info("zk store %s: loaded %zu nodes", s->desc, n);
    if (s->cbs.elected)
        s->cbs.elected(s->arg, e, n);
    free(e);
    if (!s->closing)
        items_clear(s);
}

static void
on_get(void *arg, const struct cr_zk_result *r)
{
    struct ticket *t = arg;
    struct disp_store *s = t->s;
    size_t idx = (size_t)t->id;
    bool stale;
    bool ok = load_result_ok(s, t, &stale);
    if (ticket_end(t) || stale || !ok)
        return;
    if (r->rc == 0) {
        struct item *it = &s->items[idx];
        it->data = cr_xmalloc(r->len + 1);
        memcpy(it->data, r->data, r->len);
        it->data[r->len] = '\0';
        it->len = r->len;
    } else if (r->rc != CR_ZK_ENONODE) {
        if (retryable(r->rc))
            load_retry(s, r->rc);
        else
            store_fail(s, "cannot read %s/%s: %s",
                       tree_names[s->items[idx].tree], s->items[idx].name,
                       cr_zk_strerror(r->rc));
        return;
    }
    load_get_more(s);
}

static void
load_get_more(struct disp_store *s)
{
    struct cr_zk_session *zs = cr_zk_group_session(s->group);
    while (zs && s->outstanding < LOAD_WINDOW && s->next_get < s->n_items) {
        size_t i = s->next_get++;
        char *path = tree_path(s, s->items[i].tree, s->items[i].name);
        struct ticket *t = ticket_new(s, i, s->load_gen);
        int rc = cr_zk_get(zs, path, false, on_get, t);
        free(path);
        if (rc != 0) {
            s->tickets_out--;
            free(t);
            if (rc == CR_EINVAL_INPUT) {
                cr_warn("zk store %s: skipping %s/%s: bad node name", s->desc,
                        tree_names[s->items[i].tree], s->items[i].name);
                continue;
            }
            store_fail(s, "cannot read: %s", cr_zk_strerror(rc));
            return;
        }
        s->outstanding++;
    }
    if (zs == NULL)
        store_fail(s, "no ZooKeeper session");
    else if (s->outstanding == 0 && s->next_get >= s->n_items)
        deliver(s);
}

static void
load_list(struct disp_store *s)
{
    struct cr_zk_session *zs = cr_zk_group_session(s->group);
    s->phase = L_LIST;
    for (int tr = 0; tr < DISP_N_TREES && zs; tr++) {
        char *path = tree_path(s, (enum disp_tree)tr, NULL);
        struct ticket *t = ticket_new(s, 0, s->load_gen);
        t->tree = (enum disp_tree)tr;
        int rc = cr_zk_get_children(zs, path, false, on_children, t);
        free(path);
        if (rc != 0) {
            s->tickets_out--;
            free(t);
            store_fail(s, "cannot list: %s", cr_zk_strerror(rc));
            return;
        }
        s->outstanding++;
    }
    if (zs == NULL)
        store_fail(s, "no ZooKeeper session");
}

static int
mkdir_one(struct disp_store *s, struct cr_zk_session *zs, char *path)
{
    struct ticket *t = ticket_new(s, 0, s->load_gen);
    int rc = cr_zk_create(zs, path, NULL, 0, 0, on_mkdir, t);
    free(path);
    if (rc != 0) {
        s->tickets_out--;
        free(t);
        return rc;
    }
    s->outstanding++;
    return 0;
}

/* Create every component of D, then the sub-trees (parents first). */
static void
load_start(struct disp_store *s)
{
    struct cr_zk_session *zs = cr_zk_group_session(s->group);
    if (zs == NULL) {
        store_fail(s, "no ZooKeeper session");
        return;
    }
    s->load_gen++;
    s->phase = L_MKDIR;
    s->outstanding = 0;
    items_clear(s);
    int rc = 0;
    for (const char *p = strchr(s->dir + 1, '/'); p && rc == 0;
         p = strchr(p + 1, '/'))
        rc = mkdir_one(s, zs, cr_xstrndup(s->dir, (size_t)(p - s->dir)));
    if (rc == 0)
        rc = mkdir_one(s, zs, cr_xstrdup(s->dir));
    for (int tr = 0; tr < DISP_N_TREES && rc == 0; tr++)
        rc = mkdir_one(s, zs, tree_path(s, (enum disp_tree)tr, NULL));
    if (rc != 0)
        store_fail(s, "cannot create the sub-trees: %s", cr_zk_strerror(rc));
}

/* ---- election ---- */

static void
on_leader(void *arg, const struct cr_zk_leader *leader)
{
    struct disp_store *s = arg;
    if (s->closing)
        return;
    if (s->cbs.leader)
        s->cbs.leader(s->arg, leader ? leader->data : NULL,
                      leader ? leader->is_self : false);
}

static void
on_recontend(uv_timer_t *timer)
{
    struct disp_store *s = timer->data;
    if (s->closing || s->failed || s->elected)
        return;
    int rc = cr_zk_group_contend(s->group, s->self, strlen(s->self));
    if (rc != 0)
        store_fail(s, "cannot contend again: %s", cr_strerror(rc));
}

static void
on_contender(void *arg, enum cr_zk_contender_event ev, uint64_t seq,
             const char *reason)
{
    struct disp_store *s = arg;
    if (s->closing || s->failed)
        return;
    switch (ev) {
    case CR_ZK_CANDIDATE:
        cr_info("zk store %s: standing by (candidate %llu)", s->desc,
                (unsigned long long)seq);
        break;
    case CR_ZK_ELECTED:
        cr_info("zk store %s: elected leader; loading the state", s->desc);
        s->elected = true;
        uv_timer_stop(&s->timer);
        load_start(s);
        break;
    case CR_ZK_LOST:
        if (s->elected) {
            store_fail(s, "lost the leadership: %s", reason);
        } else {
            /* A standby that never served just joins again. */
            cr_warn("zk store %s: candidacy lost (%s); contending again",
                    s->desc, reason);
            uv_timer_start(&s->timer, on_recontend, RECONTEND_MS, 0);
        }
        break;
    }
}

/* ---- open / close ---- */

static int
build_dir(const struct cr_zk_url *u, const char *dir, char **out, char *err,
          size_t errlen)
{
    if (dir == NULL || dir[0] == '\0')
        dir = DISP_ZK_DIR_DEFAULT;
    if (dir[0] != '/') {
        snprintf(err, errlen,
                 "spark.deploy.zookeeper.dir '%s' must start "
                 "with '/'",
                 dir);
        return CR_EINVAL_INPUT;
    }
    char *d = strcmp(dir, "/") == 0       ? cr_xstrdup(u->path)
              : strcmp(u->path, "/") == 0 ? cr_xstrdup(dir)
                                          : cr_xasprintf("%s%s", u->path, dir);
    size_t n = strlen(d);
    if (n > 1 && d[n - 1] == '/')
        d[n - 1] = '\0';
    if (strcmp(d, "/") == 0 || !cr_zk_path_is_valid(d) ||
        strlen(d) >= DIR_PATH_MAX) {
        snprintf(err, errlen, "bad ZooKeeper directory '%.200s'", d);
        free(d);
        return CR_EINVAL_INPUT;
    }
    *out = d;
    return 0;
}

int
disp_store_open(uv_loop_t *loop, const struct disp_store_config *cfg,
                const struct disp_store_callbacks *cbs, void *arg,
                struct disp_store **out, char *err, size_t errlen)
{
    *out = NULL;
    struct cr_zk_url u;
    char uerr[256];
    if (cr_zk_url_parse(cfg->zk, &u, uerr, sizeof(uerr)) != 0) {
        snprintf(err, errlen, "bad ZooKeeper address '%s': %s", cfg->zk, uerr);
        return CR_EINVAL_INPUT;
    }
    char *dir = NULL;
    int rc = build_dir(&u, cfg->dir, &dir, err, errlen);
    if (rc != 0) {
        cr_zk_url_fini(&u);
        return rc;
    }
    struct disp_store *s = cr_xcalloc(1, sizeof(*s));
    s->loop = loop;
    s->dir = dir;
    s->self = cr_xstrdup(cfg->self ? cfg->self : "{}");
    s->cbs = *cbs;
    s->arg = arg;
    s->tail = &s->head;
    free(u.path);
    u.path = dir;
    s->desc = cr_zk_url_to_string(&u);
    u.path = cr_xasprintf("%s/" LEADER_SUBTREE, dir);
    struct cr_zk_group_config gc = {
        .url = &u,
        .session_timeout_secs = cfg->timeout_secs,
        .on_leader = on_leader,
        .on_contender = on_contender,
        .arg = s,
    };
    rc = cr_zk_group_open(loop, &gc, &s->group);
    cr_zk_url_fini(&u);
    if (rc != 0) {
        snprintf(err, errlen, "cannot open a ZooKeeper session: %s",
                 cr_strerror(rc));
        free(s->dir);
        free(s->desc);
        free(s->self);
        free(s);
        return rc;
    }
    s->group_open = true;
    uv_timer_init(loop, &s->resend);
    uv_timer_init(loop, &s->timer);
    s->resend.data = s->timer.data = s;
    s->handles_open = 2;
    rc = cr_zk_group_contend(s->group, s->self, strlen(s->self));
    if (rc != 0) {
        snprintf(err, errlen, "cannot contend: %s", cr_strerror(rc));
        disp_store_close(s, NULL, NULL);
        return rc;
    }
    cr_info("zk store %s: contending for the leadership", s->desc);
    *out = s;
    return 0;
}

static void
maybe_free(struct disp_store *s)
{
    if (!s->closing || s->group_open || s->handles_open > 0 ||
        s->tickets_out > 0)
        return;
    void (*cb)(void *) = s->close_cb;
    void *arg = s->close_arg;
    items_clear(s);
    free(s->dir);
    free(s->desc);
    free(s->self);
    free(s);
    if (cb)
        cb(arg);
}

static void
on_group_closed(void *arg)
{
    struct disp_store *s = arg;
    s->group_open = false;
    maybe_free(s);
}

static void
on_timer_closed(uv_handle_t *h)
{
    struct disp_store *s = h->data;
    s->handles_open--;
    maybe_free(s);
}

void
disp_store_close(struct disp_store *s, void (*cb)(void *arg), void *arg)
{
    if (s == NULL || s->closing)
        return;
    s->closing = true;
    s->close_cb = cb;
    s->close_arg = arg;
    complete_all(s, CR_ECANCELED_OP);
    uv_close((uv_handle_t *)&s->resend, on_timer_closed);
    uv_close((uv_handle_t *)&s->timer, on_timer_closed);
    cr_zk_group_close(s->group, on_group_closed, s);
}
