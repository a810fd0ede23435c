/* SPDX-License-Identifier: Apache-2.0
 *
 * log.c: see log.h.
 *
 * Parts: the local replica; a transport that hands calls addressed to
 * `self` straight to the local replica and the rest to the peers' HTTP (or
 * the configured transport); a background recovery that brings the
 * replica to VOTING and, on followers, periodically catches it up; and,
 * once cr_log_recover runs, a coordinator. Each write carries its own
 * deadline timer; a write that misses it ends this master's time as the
 * writer (the outcome of that position is unknown, so nothing later can be
 * ordered after it safely).
 */
#include "log.h"

#include "base/duration.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "coordinator.h"
#include "recover.h"
#include "transport_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A call through the wrapper transport. */
struct wcall {
    struct cr_log *log;
    bool local, canceled;
    void *inner;
    cr_log_reply_cb cb;
    void *data;
};

struct wop {
    struct cr_log *log;
    uv_timer_t timer;
    bool snapshot, truncating, finished;
    uint64_t position;
    cr_log_pos_cb cb;
    void *data;
    struct wop *prev, *next;
};

struct cr_log {
    uv_loop_t *loop;
    char *self;
    size_t quorum;
    struct cr_log_cfg cfg;
    struct cr_log_replica *replica;
    struct cr_log_http *http;
    const struct cr_log_transport *inner;
    struct cr_log_transport t;
    char **peers;
    size_t n_peers;

    struct cr_log_recovery *recovery;
    bool recovering, catching_up;
    uv_timer_t catchup_timer;

    struct cr_log_coord *coord;
    bool writer, deposed;
    cr_log_done_cb recover_cb;
    void *recover_data;
    bool waiting_voting;
    uv_timer_t fetch_timer;

    struct wop *ops;
    char why[2048];
    int closing; /* handles still to close */
};

static void start_background_recovery(struct cr_log *log);
static void elect(struct cr_log *log);

/* ---- the wrapper transport --------------------------------------------- */

static void
on_local_reply(void *data, int err, const struct cr_log_msg *reply)
{
    struct wcall *w = data;
    if (!w->canceled)
        w->cb(w->data, err, reply);
    free(w);
}

static void
on_inner_reply(void *data, int err, const struct cr_log_msg *reply)
{
    struct wcall *w = data;
    cr_log_reply_cb cb = w->cb;
    void *cb_data = w->data;
    free(w);
    cb(cb_data, err, reply);
}

static int
wrap_call(void *ctx, const char *peer, const struct cr_log_msg *req,
          double timeout_secs, cr_log_reply_cb cb, void *data, void **handle)
{
    struct cr_log *log = ctx;
    struct wcall *w = cr_xcalloc(1, sizeof(*w));
    w->log = log;
    w->cb = cb;
    w->data = data;
    if (strcmp(peer, log->self) == 0) {
        /* The replica always answers, at the latest when it closes. */
        w->local = true;
        cr_log_replica_handle(log->replica, req, on_local_reply, w);
        *handle = w;
        return 0;
    }
    int rc = log->inner->call(log->inner->ctx, peer, req, timeout_secs,
                              on_inner_reply, w, &w->inner);
    if (rc != 0) {
        free(w);
        return rc;
    }
    *handle = w;
    return 0;
}

static void
wrap_cancel(void *ctx, void *handle)
{
    struct wcall *w = handle;
    (void)ctx;
    if (w->local) {
        w->canceled = true; /* freed when the replica answers */
        return;
    }
    w->log->inner->cancel(w->log->inner->ctx, w->inner);
    free(w);
}

/* ---- helpers ----------------------------------------------------------- */

static void
fmt_secs(double secs, char *out, size_t n)
{
    cr_duration_format(secs, out, n);
}

static void
describe_into(struct cr_log *log, const char *prefix)
{
    struct cr_buf b;
    cr_buf_init(&b, sizeof(log->why) - 1);
    cr_buf_printf(&b, "%s: ", prefix);
    cr_log_describe(log, &b);
    snprintf(log->why, sizeof(log->why), "%s", b.data ? b.data : prefix);
    cr_buf_fini(&b);
}

/* ---- background recovery and catch-up ---------------------------------- */

static void
on_catchup(void *data, int err)
{
    struct cr_log *log = data;
    log->catching_up = false;
    if (err != 0 && err != CR_ECANCELED_OP)
        cr_debug("replicated log: catch-up pass: %s", cr_strerror(err));
}

static void
on_catchup_timer(uv_timer_t *t)
{
    struct cr_log *log = t->data;
    if (log->writer || log->recovering || log->catching_up ||
        cr_log_replica_status(log->replica) != CR_LOG_VOTING)
        return;
    if (cr_log_recovery_catchup(log->recovery, on_catchup, log) == 0)
        log->catching_up = true;
}

static void
on_recovered(void *data, int err)
{
    struct cr_log *log = data;
    log->recovering = false;
    if (err != 0)
        return; /* canceled: closing */
    cr_info("replicated log: local replica is VOTING");
    if (log->waiting_voting) {
        log->waiting_voting = false;
        elect(log);
    }
}

static void
start_background_recovery(struct cr_log *log)
{
    if (log->recovering || log->catching_up || log->n_peers == 0 ||
        cr_log_replica_status(log->replica) == CR_LOG_VOTING)
        return;
    if (cr_log_recovery_start(log->recovery, on_recovered, log) == 0)
        log->recovering = true;
}

/* ---- becoming the writer ----------------------------------------------- */

static void
finish_recover(struct cr_log *log, int err, const char *why)
{
    uv_timer_stop(&log->fetch_timer);
    cr_log_done_cb cb = log->recover_cb;
    log->recover_cb = NULL;
    if (cb)
        cb(log->recover_data, err, why);
}

static void
on_elected(void *data, int err, uint64_t end)
{
    struct cr_log *log = data;
    if (log->recover_cb == NULL)
        return; /* timed out already */
    if (err != 0) {
        describe_into(log, "replicated log: election failed");
        finish_recover(log, err, log->why);
        return;
    }
    log->writer = true;
    cr_info("replicated log: this master is the writer (ballot %llu); the "
            "log ends at position %llu",
            (unsigned long long)cr_log_coord_ballot(log->coord),
            (unsigned long long)end);
    finish_recover(log, 0, NULL);
}

static void
elect(struct cr_log *log)
{
    struct cr_log_coord_cfg cfg = {
        .transport = &log->t,
        .quorum = log->quorum,
        .local = log->self,
        .replica = log->replica,
        .call_timeout = log->cfg.call_timeout,
        .retry_min = log->cfg.retry_min,
    };
    log->coord = cr_log_coord_new(log->loop, &cfg);
    cr_log_coord_set_peers(log->coord, (const char *const *)log->peers,
                           log->n_peers);
    (void)cr_log_coord_elect(log->coord, on_elected, log);
}

static void
on_fetch_timeout(uv_timer_t *t)
{
    struct cr_log *log = t->data;
    char d[32];
    fmt_secs(log->cfg.fetch_timeout, d, sizeof(d));
    char prefix[128];
    snprintf(prefix, sizeof(prefix),
             "replicated log: could not recover within %s "
             "(--registry_fetch_timeout)",
             d);
    describe_into(log, prefix);
    cr_error("%s", log->why);
    cr_log_done_cb cb = log->recover_cb;
    log->recover_cb = NULL;
    cr_log_coord_free(log->coord); /* on_elected sees recover_cb NULL */
    log->coord = NULL;
    log->waiting_voting = false;
    if (cb)
        cb(log->recover_data, CR_ETIMEOUT, log->why);
}

int
cr_log_recover(struct cr_log *log, cr_log_done_cb cb, void *data)
{
    if (log->recover_cb || log->coord || log->writer)
        return CR_ESTATE;
    log->recover_cb = cb;
    log->recover_data = data;
    uv_timer_start(&log->fetch_timer, on_fetch_timeout,
                   (uint64_t)(log->cfg.fetch_timeout * 1000), 0);
    if (cr_log_replica_status(log->replica) == CR_LOG_VOTING &&
        !log->recovering) {
        elect(log);
    } else {
        log->waiting_voting = true;
        start_background_recovery(log);
    }
    return 0;
}

/* ---- writes ------------------------------------------------------------ */

static void
wop_closed(uv_handle_t *h)
{
    free(h->data);
}

static void
wop_finish(struct wop *op, int err, const char *why)
{
    struct cr_log *log = op->log;
    if (op->finished)
        return;
    op->finished = true;
    uv_timer_stop(&op->timer);
    if (op->prev)
        op->prev->next = op->next;
    else
        log->ops = op->next;
    if (op->next)
        op->next->prev = op->prev;
    op->cb(op->data, err, err == 0 ? op->position : 0, why);
    uv_close((uv_handle_t *)&op->timer, wop_closed);
}

/* The writer is gone (deposed or timed out): fail everything pending. */
static void
drop_writer(struct cr_log *log, int err)
{
    log->writer = false;
    log->deposed = true;
    struct cr_log_coord *c = log->coord;
    log->coord = NULL;
    cr_log_coord_free(c); /* callbacks see finished ops or log->coord NULL */
    while (log->ops)
        wop_finish(log->ops, err, log->why);
}

void
cr_log_resign(struct cr_log *log)
{
    if (log->recover_cb == NULL && log->coord == NULL && !log->writer) {
        log->deposed = false;
        return;
    }
    snprintf(log->why, sizeof(log->why),
             "replicated log: this master resigned as the writer");
    cr_info("%s", log->why);
    uv_timer_stop(&log->fetch_timer);
    log->waiting_voting = false;
    cr_log_done_cb cb = log->recover_cb;
    log->recover_cb = NULL; /* on_elected sees it NULL */
    drop_writer(log, CR_ECANCELED_OP);
    log->deposed = false; /* a later recover may make us the writer again */
    if (cb)
        cb(log->recover_data, CR_ECANCELED_OP, log->why);
}

static void on_coord_done(void *data, int err, uint64_t position);

static void
on_coord_done(void *data, int err, uint64_t position)
{
    struct wop *op = data;
    struct cr_log *log = op->log;
    if (op->finished || err == CR_ECANCELED_OP)
        return;
    if (err == CR_ENOTLEADER) {
        snprintf(log->why, sizeof(log->why),
                 "replicated log: another master's coordinator took over "
                 "(a replica promised a ballot above %llu): this master is "
                 "no longer the writer",
                 (unsigned long long)cr_log_coord_ballot(log->coord));
        cr_error("%s", log->why);
        drop_writer(log, CR_ENOTLEADER);
        return;
    }
    if (err != 0) {
        describe_into(log, "replicated log: write failed");
        cr_error("%s", log->why);
        drop_writer(log, err);
        return;
    }
    if (op->snapshot && !op->truncating) {
        /* the snapshot is in: now drop everything before it */
        op->position = position;
        op->truncating = true;
        int rc = cr_log_coord_truncate(log->coord, position, on_coord_done, op);
        if (rc != 0)
            wop_finish(op, rc, "replicated log: cannot truncate");
        return;
    }
    if (!op->snapshot)
        op->position = position;
    wop_finish(op, 0, NULL);
}

static void
on_store_timeout(uv_timer_t *t)
{
    struct wop *op = t->data;
    struct cr_log *log = op->log;
    char d[32];
    fmt_secs(log->cfg.store_timeout, d, sizeof(d));
    char prefix[128];
    snprintf(prefix, sizeof(prefix),
             "replicated log: could not store within %s "
             "(--registry_store_timeout)",
             d);
    describe_into(log, prefix);
    cr_error("%s", log->why);
    drop_writer(log, CR_ETIMEOUT);
}

static int
submit(struct cr_log *log, const void *bytes, size_t len, bool snapshot,
       cr_log_pos_cb cb, void *data)
{
    if (log->deposed)
        return CR_ENOTLEADER;
    if (!log->writer)
        return CR_ESTATE;
    if (len > CR_LOG_MAX_VALUE)
        return CR_ETOOBIG;
    struct wop *op = cr_xcalloc(1, sizeof(*op));
    op->log = log;
    op->snapshot = snapshot;
    op->cb = cb;
    op->data = data;
    int rc = cr_log_coord_append(log->coord, bytes, len, on_coord_done, op);
    if (rc != 0) {
        free(op);
        return rc;
    }
    uv_timer_init(log->loop, &op->timer);
    op->timer.data = op;
    uv_timer_start(&op->timer, on_store_timeout,
                   (uint64_t)(log->cfg.store_timeout * 1000), 0);
    op->next = log->ops;
    if (log->ops)
        log->ops->prev = op;
    log->ops = op;
    return 0;
}

int
cr_log_append(struct cr_log *log, const void *bytes, size_t len,
              cr_log_pos_cb cb, void *data)
{
    return submit(log, bytes, len, false, cb, data);
}

int
cr_log_snapshot(struct cr_log *log, const void *bytes, size_t len,
                cr_log_pos_cb cb, void *data)
{
    return submit(log, bytes, len, true, cb, data);
}

/* ---- reading ----------------------------------------------------------- */

struct reader {
    cr_log_entry_cb cb;
    void *data;
    uint64_t next;
    int rc; /* the visitor's nonzero answer */
};

static int
visit(void *data, const struct cr_log_action *a)
{
    struct reader *rd = data;
    if (a->position != rd->next || !a->learned)
        return 1; /* a hole or an unlearned position: stop here */
    rd->next++;
    if (a->type != CR_LOG_APPEND)
        return 0;
    rd->rc = rd->cb(rd->data, a->position, a->value, a->value_len);
    return rd->rc != 0;
}

int
cr_log_read_all(struct cr_log *log, cr_log_entry_cb cb, void *data)
{
    if (cr_log_replica_status(log->replica) != CR_LOG_VOTING)
        return CR_ESTATE;
    uint64_t begin = cr_log_replica_begin(log->replica);
    struct reader rd = {cb, data, begin, 0};
    int rc = cr_log_replica_scan(log->replica, begin,
                                 cr_log_replica_end(log->replica), visit, &rd);
    if (rc < 0)
        return rc;
    return rd.rc;
}

/* ---- lifecycle --------------------------------------------------------- */

void
cr_log_set_peers(struct cr_log *log, const char *const *peers, size_t n)
{
    for (size_t i = 0; i < log->n_peers; i++)
        free(log->peers[i]);
    free(log->peers);
    log->peers = cr_xcalloc(n + 1, sizeof(char *));
    log->n_peers = 0;
    bool have_self = false;
    for (size_t i = 0; i < n; i++) {
        have_self |= strcmp(peers[i], log->self) == 0;
        log->peers[log->n_peers++] = cr_xstrdup(peers[i]);
    }
    if (!have_self)
        log->peers[log->n_peers++] = cr_xstrdup(log->self);
    const char *const *p = (const char *const *)log->peers;
    cr_log_recovery_set_peers(log->recovery, p, log->n_peers);
    if (log->coord)
        cr_log_coord_set_peers(log->coord, p, log->n_peers);
    start_background_recovery(log);
}

int
cr_log_open(uv_loop_t *loop, const struct cr_log_cfg *cfg, struct cr_log **out,
            char *err, size_t errlen)
{
    *out = NULL;
    if (cfg->quorum == 0 || cfg->self == NULL || cfg->work_dir == NULL) {
        snprintf(err, errlen,
                 "replicated log: work_dir, self and a quorum "
                 ">= 1 are required");
        return CR_EINVAL_INPUT;
    }
    struct cr_log *log = cr_xcalloc(1, sizeof(*log));
    log->cfg = *cfg;
    if (log->cfg.fetch_timeout <= 0)
        log->cfg.fetch_timeout = 60;
    if (log->cfg.store_timeout <= 0)
        log->cfg.store_timeout = 20;
    if (log->cfg.catchup_interval == 0)
        log->cfg.catchup_interval = 30;
    log->loop = loop;
    log->self = cr_xstrdup(cfg->self);
    log->quorum = cfg->quorum;
    char *dir = cr_xasprintf("%s/replicated_log", cfg->work_dir);
    int rc = cr_log_replica_open(loop, dir, &cfg->storage, &log->replica, err,
                                 errlen);
    free(dir);
    if (rc != 0) {
        free(log->self);
        free(log);
        return rc;
    }
    if (cfg->transport) {
        log->inner = cfg->transport;
    } else {
        log->http = cr_log_http_new(loop);
        log->inner = cr_log_http_transport(log->http);
    }
    log->t = (struct cr_log_transport){
        .ctx = log, .call = wrap_call, .cancel = wrap_cancel};
    struct cr_log_recovery_cfg rc_cfg = {
        .transport = &log->t,
        .replica = log->replica,
        .self = log->self,
        .quorum = log->quorum,
        .auto_initialize = cfg->auto_initialize,
        .call_timeout = cfg->call_timeout,
        .retry_min = cfg->retry_min,
    };
    log->recovery = cr_log_recovery_new(loop, &rc_cfg);
    uv_timer_init(loop, &log->fetch_timer);
    log->fetch_timer.data = log;
    uv_timer_init(loop, &log->catchup_timer);
    log->catchup_timer.data = log;
    if (log->cfg.catchup_interval > 0) {
        uint64_t ms = (uint64_t)(log->cfg.catchup_interval * 1000);
        uv_timer_start(&log->catchup_timer, on_catchup_timer, ms, ms);
    }
    *out = log;
    return 0;
}

static void
on_handle_closed(uv_handle_t *h)
{
    struct cr_log *log = h->data;
    if (--log->closing == 0)
        free(log);
}

void
cr_log_close(struct cr_log *log)
{
    if (log == NULL)
        return;
    snprintf(log->why, sizeof(log->why), "replicated log: closing");
    log->deposed = true;
    while (log->ops)
        wop_finish(log->ops, CR_ECANCELED_OP, log->why);
    finish_recover(log, CR_ECANCELED_OP, log->why);
    cr_log_coord_free(log->coord);
    log->coord = NULL;
    cr_log_recovery_free(log->recovery);
    log->recovery = NULL;
    cr_log_replica_close(log->replica); /* answers local calls */
    cr_log_http_free(log->http);
    for (size_t i = 0; i < log->n_peers; i++)
        free(log->peers[i]);
    free(log->peers);
    free(log->self);
    log->closing = 2;
    uv_close((uv_handle_t *)&log->fetch_timer, on_handle_closed);
    uv_close((uv_handle_t *)&log->catchup_timer, on_handle_closed);
}

struct cr_log_replica *
cr_log_local_replica(struct cr_log *log)
{
    return log->replica;
}

bool
cr_log_is_writer(const struct cr_log *log)
{
    return log->writer;
}

enum cr_log_status
cr_log_local_status(const struct cr_log *log)
{
    return cr_log_replica_status(log->replica);
}

void
cr_log_describe(const struct cr_log *log, struct cr_buf *out)
{
    cr_buf_printf(out, "this master %s: ", log->self);
    if (log->coord) {
        cr_buf_printf(out, "local replica %s; ",
                      cr_log_status_name(cr_log_replica_status(log->replica)));
        cr_log_coord_describe(log->coord, out);
    } else if (log->recovery) {
        cr_log_recovery_describe(log->recovery, out);
    } else {
        cr_buf_printf(out, "--quorum=%zu", log->quorum);
    }
}
