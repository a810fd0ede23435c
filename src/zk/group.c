/* SPDX-License-Identifier: Apache-2.0
 *
 * group.c: leader election and detection (see group.h for the contract).
 *
 * Detector: on every CONNECTED (first connection, reconnection, new
 * session) and on every child / created / deleted event on <path>, list
 * the children of <path> with a child watch. The lowest json.info_ member
 * is read (data + stat) and reported if it differs from the last report.
 * If <path> does not exist, an exists watch waits for it. No herd-effect
 * handling: every member re-lists on change, as Mesos does.
 *
 * Contender: JOINING creates the missing components of <path>, then
 * "<path>/json.info_" EPHEMERAL|SEQUENTIAL; CANDIDATE once the create
 * answered; ELECTED when the detector reads the lowest member and finds its
 * ephemeral owner is our session.
 *
 * Staleness: each request carries the epoch it was sent in (a heap `gop`);
 * the epoch moves on every CONNECTED and on every new session, and results
 * of older epochs are dropped. A create lost to a connection loss is simply
 * retried after reconnecting: if the first one had in fact succeeded, both
 * nodes belong to our session, and "self" is decided by owner, not by name.
 *
 * Sessions: on EXPIRED / AUTH_FAILED the session is detached and closed
 * (closing is asynchronous; `sessions_open` counts them) and a new one is
 * opened at once, or after RETRY_MS if opening fails. The group is freed
 * when it is closing and no session and no timer remain.
 */
#include "zk/group.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RETRY_MS 1000

enum contender_state { C_IDLE, C_JOINING, C_CANDIDATE, C_ELECTED };

struct cr_zk_group {
    uv_loop_t *loop;
    char *servers;
    char *path;
    char *auth;
    double timeout;
    cr_zk_leader_cb on_leader;
    cr_zk_contender_cb on_contender;
    void *arg;

    struct cr_zk_session *session; /* current; NULL between sessions */
    int sessions_open;             /* current + closing ones */
    uint64_t epoch;
    uv_timer_t retry;
    bool retry_open;
    bool closing;
    cr_zk_group_close_cb close_cb;
    void *close_arg;

    /* detector */
    bool have_leader;
    struct cr_zk_leader leader; /* points into leader_znode/leader_data */
    char *leader_znode;
    char *leader_data;
    int64_t leader_czxid;
    uint64_t want_seq; /* the member whose data is being read */
    bool reading;      /* a read of want_seq is in flight (this epoch) */

    /* contender */
    enum contender_state cstate;
    char *cdata;
    size_t clen;
    uint64_t own_seq;
};

/* One request's context: who asked, in which epoch. */
struct gop {
    struct cr_zk_group *g;
    uint64_t epoch;
    uint64_t seq;     /* get of a member */
    size_t mkdir_len; /* create of a path component */
};

static void detect_list(struct cr_zk_group *g);
static void join_step(struct cr_zk_group *g, size_t done_len);
static void open_session(struct cr_zk_group *g);

bool
cr_zk_member_seq(const char *name, uint64_t *seq)
{
    size_t plen = sizeof(CR_ZK_MEMBER_PREFIX) - 1;
    if (strncmp(name, CR_ZK_MEMBER_PREFIX, plen) != 0)
        return false;
    const char *d = name + plen;
    uint64_t v = 0;
    size_t n = 0;
    for (; d[n] != '\0'; n++) {
        if (d[n] < '0' || d[n] > '9' || n >= 19)
            return false;
        v = v * 10 + (uint64_t)(d[n] - '0');
    }
    if (n == 0)
        return false;
    *seq = v;
    return true;
}

static struct gop *
gop_new(struct cr_zk_group *g)
{
    struct gop *op = cr_xcalloc(1, sizeof(*op));
    op->g = g;
    op->epoch = g->epoch;
    return op;
}

/* True if the result is current; frees nothing. */
static bool
gop_is_current(const struct gop *op, const struct cr_zk_result *r)
{
    struct cr_zk_group *g = op->g;
    return r->rc != CR_ECANCELED_OP && !g->closing && g->session != NULL &&
           op->epoch == g->epoch;
}

/* Build "<path>/<name>" (path "/" gives "/<name>"). Owned. */
static char *
child_path(const struct cr_zk_group *g, const char *name)
{
    return cr_xasprintf("%s/%s", strcmp(g->path, "/") == 0 ? "" : g->path,
                        name);
}

/* ---- reporting ------------------------------------------------------- */

static void
clear_leader(struct cr_zk_group *g)
{
    CR_FREE(g->leader_znode);
    CR_FREE(g->leader_data);
    memset(&g->leader, 0, sizeof(g->leader));
    g->have_leader = false;
    g->leader_czxid = 0;
}

static void
report_no_leader(struct cr_zk_group *g, const char *why)
{
    g->want_seq = 0;
    g->reading = false;
    if (!g->have_leader)
        return;
    cr_info("zk: no leader in %s (%s)", g->path, why);
    clear_leader(g);
    if (g->on_leader != NULL)
        g->on_leader(g->arg, NULL);
}

/* Move the contender to `to` and tell the owner. */
static void
contender_event(struct cr_zk_group *g, enum cr_zk_contender_event ev,
                const char *reason)
{
    static const char *const names[] = {"CANDIDATE", "ELECTED", "LOST"};
    uint64_t seq = g->own_seq;
    if (ev == CR_ZK_LOST) {
        g->cstate = C_IDLE;
        g->own_seq = 0;
        CR_FREE(g->cdata);
        g->clen = 0;
        cr_warn("zk: contender in %s: LOST seq=%llu (%s)", g->path,
                (unsigned long long)seq, reason);
    } else {
        g->cstate = ev == CR_ZK_ELECTED ? C_ELECTED : C_CANDIDATE;
        cr_info("zk: contender in %s: %s seq=%llu (%s)", g->path, names[ev],
                (unsigned long long)seq, reason);
    }
    if (g->on_contender != NULL)
        g->on_contender(g->arg, ev, seq, reason);
}

/* ---- detector -------------------------------------------------------- */

/* Compare the known leader with our candidacy. */
static void
evaluate_contender(struct cr_zk_group *g)
{
    if (!g->have_leader)
        return;
    if (g->leader.is_self && g->cstate == C_CANDIDATE)
        contender_event(g, CR_ZK_ELECTED, "lowest sequence in the group");
    else if (!g->leader.is_self && g->cstate == C_ELECTED)
        contender_event(g, CR_ZK_LOST, "another member leads");
}

/* Remember the leader read from member seq and report it. */
static void
set_leader(struct cr_zk_group *g, uint64_t seq, const struct cr_zk_result *r,
           bool self)
{
    clear_leader(g);
    char name[32];
    snprintf(name, sizeof(name), CR_ZK_MEMBER_PREFIX "%010llu",
             (unsigned long long)seq);
    g->leader_data = cr_xmalloc(r->len + 1);
    if (r->len > 0)
        memcpy(g->leader_data, r->data, r->len);
    g->leader_data[r->len] = '\0';
    g->leader_znode = child_path(g, name);
    g->leader = (struct cr_zk_leader){
        .seq = seq,
        .znode = g->leader_znode,
        .data = g->leader_data,
        .len = r->len,
        .is_self = self,
    };
    g->leader_czxid = r->stat->czxid;
    g->have_leader = true;
    cr_info("zk: leader in %s is %s%s", g->path, g->leader.znode,
            self ? " (this process)" : "");
    if (g->on_leader != NULL)
        g->on_leader(g->arg, &g->leader);
}

static void
on_leader_data(void *arg, const struct cr_zk_result *r)
{
    struct gop *op = arg;
    struct cr_zk_group *g = op->g;
    bool current = gop_is_current(op, r) && op->seq == g->want_seq;
    uint64_t seq = op->seq;
    free(op);
    if (!current)
        return;
    g->reading = false;
    if (r->rc == CR_ZK_ENONODE)
        return; /* gone already: the child watch fires and we re-list */
    if (r->rc == CR_ZK_ECONNLOSS || r->rc == CR_ZK_ETIMEOUT ||
        r->rc == CR_ZK_ESESSIONEXPIRED)
        return; /* read again on the next CONNECTED */
    if (r->rc != 0 || r->stat == NULL) {
        cr_warn("zk: cannot read leader json.info_%010llu in %s: %s",
                (unsigned long long)seq, g->path,
                r->rc != 0 ? cr_zk_strerror(r->rc) : "no stat");
        return;
    }
    bool self = r->stat->ephemeral_owner != 0 &&
                r->stat->ephemeral_owner == cr_zk_session_id(g->session);
    if (!g->have_leader || g->leader.seq != seq ||
        g->leader_czxid != r->stat->czxid) {
        set_leader(g, seq, r, self);
        if (g->closing)
            return;
    }
    evaluate_contender(g);
}

/* Pick the lowest member; check that ours is still there. */
static void
scan_members(struct cr_zk_group *g, const struct cr_zk_result *r)
{
    bool found = false, own_found = false;
    uint64_t min = 0;
    for (size_t i = 0; i < r->n_children; i++) {
        uint64_t seq;
        if (!cr_zk_member_seq(r->children[i], &seq))
            continue;
        if (!found || seq < min)
            min = seq;
        found = true;
        own_found |= seq == g->own_seq;
    }
    if ((g->cstate == C_CANDIDATE || g->cstate == C_ELECTED) && !own_found) {
        contender_event(g, CR_ZK_LOST, "our znode disappeared");
        if (g->closing)
            return;
    }
    if (!found) {
        report_no_leader(g, "no members");
        return;
    }
    if (g->have_leader && g->leader.seq == min) {
        g->want_seq = min;
        g->reading = false;
        evaluate_contender(g);
        return;
    }
    if (g->reading && g->want_seq == min)
        return; /* its answer is on the way */
    g->want_seq = min;
    char name[32];
    snprintf(name, sizeof(name), CR_ZK_MEMBER_PREFIX "%010llu",
             (unsigned long long)min);
    char *path = child_path(g, name);
    struct gop *op = gop_new(g);
    op->seq = min;
    if (cr_zk_get(g->session, path, false, on_leader_data, op) != 0)
        free(op);
    else
        g->reading = true;
    free(path);
}

static void
on_path_exists(void *arg, const struct cr_zk_result *r)
{
    struct gop *op = arg;
    bool current = gop_is_current(op, r);
    struct cr_zk_group *g = op->g;
    free(op);
    if (current && r->rc == 0)
        detect_list(g); /* created between our list and this exists */
}

static void
on_children(void *arg, const struct cr_zk_result *r)
{
    struct gop *op = arg;
    bool current = gop_is_current(op, r);
    struct cr_zk_group *g = op->g;
    free(op);
    if (!current)
        return;
    if (r->rc == CR_ZK_ENONODE) {
        report_no_leader(g, "the group path does not exist");
        if (g->closing)
            return;
        struct gop *eop = gop_new(g);
        if (cr_zk_exists(g->session, g->path, true, on_path_exists, eop) != 0)
            free(eop);
        return;
    }
    if (r->rc != 0) {
        if (r->rc != CR_ZK_ECONNLOSS && r->rc != CR_ZK_ESESSIONEXPIRED)
            cr_warn("zk: cannot list %s: %s", g->path, cr_zk_strerror(r->rc));
        return; /* retried on the next CONNECTED */
    }
    scan_members(g, r);
}

static void
detect_list(struct cr_zk_group *g)
{
    if (g->session == NULL || g->closing ||
        cr_zk_session_state(g->session) != CR_ZK_CONNECTED)
        return;
    struct gop *op = gop_new(g);
    if (cr_zk_get_children(g->session, g->path, true, on_children, op) != 0)
        free(op);
}

static void
on_watch(void *arg, struct cr_zk_session *s, enum cr_zk_event type,
         const char *path)
{
    struct cr_zk_group *g = arg;
    if (s != g->session || strcmp(path, g->path) != 0)
        return;
    if (type == CR_ZK_EVENT_CHILD || type == CR_ZK_EVENT_CREATED ||
        type == CR_ZK_EVENT_DELETED)
        detect_list(g);
}

/* ---- contender ------------------------------------------------------- */

static void
on_member_created(void *arg, const struct cr_zk_result *r)
{
    struct gop *op = arg;
    bool current = gop_is_current(op, r);
    struct cr_zk_group *g = op->g;
    free(op);
    if (!current || g->cstate != C_JOINING)
        return;
    if (r->rc == CR_ZK_ENONODE) {
        join_step(g, 0); /* <path> vanished: create it again */
        return;
    }
    if (r->rc == CR_ZK_ECONNLOSS || r->rc == CR_ZK_ESESSIONEXPIRED ||
        r->rc == CR_ZK_ETIMEOUT)
        return; /* retried on the next CONNECTED */
    const char *slash = r->rc == 0 ? strrchr(r->path, '/') : NULL;
    uint64_t seq;
    if (r->rc != 0 || slash == NULL || !cr_zk_member_seq(slash + 1, &seq)) {
        char reason[128];
        snprintf(reason, sizeof(reason), "cannot create our znode: %s",
                 r->rc != 0 ? cr_zk_strerror(r->rc) : "unexpected name");
        contender_event(g, CR_ZK_LOST, reason);
        return;
    }
    g->own_seq = seq;
    contender_event(g, CR_ZK_CANDIDATE, "znode created");
    detect_list(g);
}

static void
create_member(struct cr_zk_group *g)
{
    char *path = child_path(g, CR_ZK_MEMBER_PREFIX);
    struct gop *op = gop_new(g);
    int rc =
        cr_zk_create(g->session, path, g->cdata, g->clen,
                     CR_ZK_EPHEMERAL | CR_ZK_SEQUENTIAL, on_member_created, op);
    free(path);
    if (rc != 0) {
        free(op);
        cr_warn("zk: cannot start creating our znode: %s", cr_zk_strerror(rc));
    }
}

static void
on_component_created(void *arg, const struct cr_zk_result *r)
{
    struct gop *op = arg;
    bool current = gop_is_current(op, r);
    struct cr_zk_group *g = op->g;
    size_t len = op->mkdir_len;
    free(op);
    if (!current || g->cstate != C_JOINING)
        return;
    if (r->rc == 0 || r->rc == CR_ZK_ENODEEXISTS) {
        join_step(g, len);
        return;
    }
    if (r->rc == CR_ZK_ECONNLOSS || r->rc == CR_ZK_ESESSIONEXPIRED ||
        r->rc == CR_ZK_ETIMEOUT)
        return;
    char reason[160];
    snprintf(reason, sizeof(reason), "cannot create %.*s: %s", (int)len,
             g->path, cr_zk_strerror(r->rc));
    contender_event(g, CR_ZK_LOST, reason);
}

/* Create the next component of <path> after the first done_len bytes, or
 * our member node when the whole path exists. */
static void
join_step(struct cr_zk_group *g, size_t done_len)
{
    size_t n = strlen(g->path);
    if (g->session == NULL ||
        cr_zk_session_state(g->session) != CR_ZK_CONNECTED)
        return;
    if (done_len >= n || n == 1) {
        create_member(g);
        return;
    }
    const char *next = strchr(g->path + done_len + 1, '/');
    size_t len = next != NULL ? (size_t)(next - g->path) : n;
    char *prefix = cr_xstrndup(g->path, len);
    struct gop *op = gop_new(g);
    op->mkdir_len = len;
    int rc =
        cr_zk_create(g->session, prefix, NULL, 0, 0, on_component_created, op);
    free(prefix);
    if (rc != 0) {
        free(op);
        cr_warn("zk: cannot start creating %s: %s", g->path,
                cr_zk_strerror(rc));
    }
}

int
cr_zk_group_contend(struct cr_zk_group *g, const void *data, size_t len)
{
    if (g->closing || g->cstate != C_IDLE)
        return CR_ESTATE;
    if (g->on_contender == NULL)
        return CR_EINVAL_INPUT;
    if (len > CR_ZK_DATA_MAX)
        return CR_ETOOBIG;
    g->cdata = cr_xmalloc(len + 1);
    if (len > 0)
        memcpy(g->cdata, data, len);
    g->cdata[len] = '\0';
    g->clen = len;
    g->cstate = C_JOINING;
    g->own_seq = 0;
    cr_info("zk: contending in %s", g->path);
    join_step(g, 0);
    return 0;
}

/* ---- sessions -------------------------------------------------------- */

static void maybe_free(struct cr_zk_group *g);

static void
on_session_closed(void *arg)
{
    struct cr_zk_group *g = arg;
    g->sessions_open--;
    maybe_free(g);
}

static void
on_connected(struct cr_zk_group *g)
{
    g->epoch++;
    g->reading = false;
    if (g->cstate == C_JOINING)
        join_step(g, 0);
    detect_list(g);
}

/* The session is over: fence, forget, and start a new one. */
static void
on_session_lost(struct cr_zk_group *g, struct cr_zk_session *s,
                enum cr_zk_state state)
{
    g->session = NULL;
    g->epoch++;
    g->reading = false;
    cr_zk_session_close(s, on_session_closed, g);
    const char *why = state == CR_ZK_EXPIRED ? "ZooKeeper session expired"
                                             : "ZooKeeper authentication "
                                               "failed";
    if (g->cstate != C_IDLE) {
        contender_event(g, CR_ZK_LOST, why);
        if (g->closing)
            return;
    }
    report_no_leader(g, why);
    if (g->closing)
        return;
    open_session(g);
}

static void
on_state(void *arg, struct cr_zk_session *s, enum cr_zk_state state)
{
    struct cr_zk_group *g = arg;
    if (s != g->session || g->closing)
        return;
    if (state == CR_ZK_CONNECTED)
        on_connected(g);
    else if (state == CR_ZK_EXPIRED || state == CR_ZK_AUTH_FAILED)
        on_session_lost(g, s, state);
}

static void
on_retry(uv_timer_t *t)
{
    open_session(t->data);
}

static void
open_session(struct cr_zk_group *g)
{
    struct cr_zk_session_config c = {
        .servers = g->servers,
        .auth = g->auth,
        .timeout_secs = g->timeout,
        .on_state = on_state,
        .on_watch = on_watch,
        .arg = g,
    };
    int rc = cr_zk_session_open(g->loop, &c, &g->session);
    if (rc == 0) {
        g->sessions_open++;
        g->epoch++;
        return;
    }
    cr_warn("zk: cannot open a new session (%s); retrying in %d ms",
            cr_strerror(rc), RETRY_MS);
    uv_timer_start(&g->retry, on_retry, RETRY_MS, 0);
}

int
cr_zk_group_open(uv_loop_t *loop, const struct cr_zk_group_config *c,
                 struct cr_zk_group **out)
{
    *out = NULL;
    const struct cr_zk_url *u = c->url;
    if (u == NULL || u->servers == NULL || !cr_zk_path_is_valid(u->path) ||
        strlen(u->path) + sizeof(CR_ZK_MEMBER_PREFIX) + 12 >= CR_ZK_PATH_MAX)
        return CR_EINVAL_INPUT;
    struct cr_zk_group *g = cr_xcalloc(1, sizeof(*g));
    g->loop = loop;
    g->servers = cr_xstrdup(u->servers);
    g->path = cr_xstrdup(u->path);
    g->auth = u->auth != NULL ? cr_xstrdup(u->auth) : NULL;
    g->timeout = c->session_timeout_secs > 0 ? c->session_timeout_secs
                                             : CR_ZK_SESSION_TIMEOUT_DEFAULT;
    g->on_leader = c->on_leader;
    g->on_contender = c->on_contender;
    g->arg = c->arg;
    struct cr_zk_session_config sc = {
        .servers = g->servers,
        .auth = g->auth,
        .timeout_secs = g->timeout,
        .on_state = on_state,
        .on_watch = on_watch,
        .arg = g,
    };
    int rc = cr_zk_session_open(loop, &sc, &g->session);
    if (rc != 0) {
        free(g->servers);
        free(g->path);
        free(g->auth);
        free(g);
        return rc;
    }
    g->sessions_open = 1;
    uv_timer_init(loop, &g->retry);
    g->retry.data = g;
    g->retry_open = true;
    *out = g;
    return 0;
}

static void
on_retry_closed(uv_handle_t *h)
{
    struct cr_zk_group *g = h->data;
    g->retry_open = false;
    maybe_free(g);
}

static void
maybe_free(struct cr_zk_group *g)
{
    if (!g->closing || g->sessions_open > 0 || g->retry_open)
        return;
    cr_zk_group_close_cb cb = g->close_cb;
    void *arg = g->close_arg;
    clear_leader(g);
    free(g->cdata);
    free(g->servers);
    free(g->path);
    free(g->auth);
    free(g);
    if (cb != NULL)
        cb(arg);
}

void
cr_zk_group_close(struct cr_zk_group *g, cr_zk_group_close_cb cb, void *arg)
{
    if (g->closing) {
        cr_error("zk: BUG: group closed twice");
        return;
    }
    g->closing = true;
    g->close_cb = cb;
    g->close_arg = arg;
    cr_info("zk: closing the group in %s", g->path);
    if (g->session != NULL) {
        struct cr_zk_session *s = g->session;
        g->session = NULL;
        cr_zk_session_close(s, on_session_closed, g);
    }
    uv_timer_stop(&g->retry);
    uv_close((uv_handle_t *)&g->retry, on_retry_closed);
}

const struct cr_zk_leader *
cr_zk_group_leader(const struct cr_zk_group *g)
{
    return g->have_leader ? &g->leader : NULL;
}

bool
cr_zk_group_is_leader(const struct cr_zk_group *g)
{
    return g->cstate == C_ELECTED;
}

enum cr_zk_state
cr_zk_group_session_state(const struct cr_zk_group *g)
{
    return g->session != NULL ? cr_zk_session_state(g->session)
                              : CR_ZK_CONNECTING;
}

struct cr_zk_session *
cr_zk_group_session(const struct cr_zk_group *g)
{
    return g->session;
}
