/* SPDX-License-Identifier: Apache-2.0
 *
 * registrar.c: see registrar.h.
 *
 * Operations wait in a FIFO; one entry is stored at a time (the log orders
 * entries by submission anyway, and one at a time lets a snapshot be
 * exactly the committed registry: nothing is in flight when it is taken).
 * When a store completes its operations are applied to the registry first
 * and their callbacks run afterwards, so a callback always sees the
 * registry with its operation (and the whole batch) applied.
 */
#include "registrar.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "log/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BATCH_MAX        1000 /* operations in one entry */
#define SNAPSHOT_DEFAULT 100  /* batches between snapshots */

static const char *const state_names[] = {"IDLE", "RECOVERING", "READY",
                                          "FAILED"};

struct rop {
    struct registry_op op;
    registrar_done_cb cb;
    void *data;
    int result; /* of registry_apply, once stored */
    char why[160];
    struct rop *next;
};

struct registrar {
    struct registrar_cfg cfg;
    enum registrar_state state;
    struct registry reg;
    struct rop *queue; /* waiting, FIFO */
    struct rop **queue_tail;
    struct rop *batch; /* in flight */
    bool storing, storing_snapshot;
    size_t since_snapshot; /* batches since the last snapshot */
    uint64_t store_start_ns;
    registrar_done_cb recover_cb;
    void *recover_data;
    uint64_t recover_start_ns;
    struct registrar_stats stats;
    uv_timer_t mem_timer; /* in memory: "stores" complete here */
    struct cr_buf enc;
};

static void kick(struct registrar *r);

static double
ms_since(uint64_t start_ns)
{
    return (double)(cr_mono_ns() - start_ns) / 1e6;
}

/* ---- completing operations ---------------------------------------------- */

static void
rop_finish(struct rop *o, int err, const char *why)
{
    registry_op_fini(&o->op);
    if (o->cb)
        o->cb(o->data, err, err ? why : NULL);
    free(o);
}

static void
fail_list(struct rop *list, int err, const char *why)
{
    while (list) {
        struct rop *next = list->next;
        rop_finish(list, err, why);
        list = next;
    }
}

/* Detach and fail the batch in flight and every queued operation. */
static void
cancel_all(struct registrar *r, int err, const char *why)
{
    struct rop *batch = r->batch, *queue = r->queue;
    r->batch = r->queue = NULL;
    r->queue_tail = &r->queue;
    r->storing = r->storing_snapshot = false;
    fail_list(batch, err, why);
    fail_list(queue, err, why);
}

static void
fail(struct registrar *r, int err, const char *why)
{
    if (r->state == REGISTRAR_FAILED)
        return;
    cr_error("registrar: %s", why);
    r->state = REGISTRAR_FAILED;
    cancel_all(r, err, why);
    if (r->cfg.on_failure)
        r->cfg.on_failure(r->cfg.failure_data, err, why);
}

/* The entry in flight is stored: apply its operations, then report. */
static void
stored(struct registrar *r, size_t len)
{
    struct rop *batch = r->batch;
    r->batch = NULL;
    r->stats.stores++;
    r->stats.store_ms = ms_since(r->store_start_ns);
    if (r->storing_snapshot) {
        r->stats.size_bytes = len;
        r->since_snapshot = 0;
    } else {
        r->stats.size_bytes += len;
        r->since_snapshot++;
    }
    for (struct rop *o = batch; o; o = o->next) {
        o->result = registry_apply(&r->reg, &o->op, o->why, sizeof(o->why));
        if (o->result != 0) {
            r->stats.skipped++;
            cr_warn("registrar: stored an operation that does not fit the "
                    "registry: %s",
                    o->why);
        }
    }
    r->storing = r->storing_snapshot = false;
    while (batch) {
        struct rop *next = batch->next;
        rop_finish(batch, batch->result, batch->why);
        batch = next;
    }
    kick(r);
}

static void
on_log_stored(void *data, int err, uint64_t position, const char *why)
{
    struct registrar *r = data;
    (void)position;
    if (err == CR_ECANCELED_OP)
        return; /* resign or close: cancel_all follows or ran */
    if (err != 0) {
        fail(r, err, why ? why : cr_strerror(err));
        return;
    }
    stored(r, r->enc.len);
}

static void
on_mem_timer(uv_timer_t *t)
{
    struct registrar *r = t->data;
    if (r->storing)
        stored(r, r->enc.len);
}

/* ---- storing ------------------------------------------------------------- */

static int
encode_batch(struct registrar *r)
{
    const struct registry_op *ops[BATCH_MAX];
    size_t n = 0;
    struct rop **tail = &r->batch;
    while (r->queue && n < BATCH_MAX) {
        struct rop *o = r->queue;
        r->queue = o->next;
        o->next = NULL;
        *tail = o;
        tail = &o->next;
        ops[n++] = &o->op;
    }
    if (r->queue == NULL)
        r->queue_tail = &r->queue;
    return registry_encode_ops(ops, n, &r->enc);
}

static void
store(struct registrar *r, bool snapshot)
{
    cr_buf_reset(&r->enc);
    int rc =
        snapshot ? registry_encode_snapshot(&r->reg, &r->enc) : encode_batch(r);
    if (rc == CR_ETOOBIG && snapshot) {
        /* Larger than a log entry: keep appending batches (the log is
         * then never truncated: a known gap). */
        cr_warn("registrar: the registry no longer fits one log entry "
                "(%d bytes): not snapshotting",
                (int)CR_LOG_MAX_VALUE);
        r->since_snapshot = 0;
        if (r->queue == NULL)
            return;
        cr_buf_reset(&r->enc);
        snapshot = false;
        rc = encode_batch(r);
    }
    r->storing = true;
    r->storing_snapshot = snapshot;
    r->store_start_ns = cr_mono_ns();
    if (rc == 0 && r->cfg.log == NULL) {
        uv_timer_start(&r->mem_timer, on_mem_timer, 0, 0);
        return;
    }
    if (rc == 0)
        rc = (snapshot ? cr_log_snapshot : cr_log_append)(
            r->cfg.log, r->enc.data, r->enc.len, on_log_stored, r);
    if (rc != 0) {
        char why[200];
        snprintf(why, sizeof(why), "cannot store a registry %s: %s",
                 snapshot ? "snapshot" : "batch", cr_strerror(rc));
        fail(r, rc, why);
    }
}

static void
kick(struct registrar *r)
{
    if (r->state != REGISTRAR_READY || r->storing)
        return;
    if (r->cfg.log && r->since_snapshot >= r->cfg.snapshot_every)
        store(r, true);
    else if (r->queue)
        store(r, false);
}

int
registrar_apply(struct registrar *r, struct registry_op *op,
                registrar_done_cb cb, void *data)
{
    if (r->state != REGISTRAR_READY) {
        registry_op_fini(op);
        return CR_ESTATE;
    }
    struct rop *o = cr_xcalloc(1, sizeof(*o));
    registry_op_move(&o->op, op);
    o->cb = cb;
    o->data = data;
    *r->queue_tail = o;
    r->queue_tail = &o->next;
    kick(r);
    return 0;
}

/* ---- recovery ------------------------------------------------------------ */

struct replay {
    struct registrar *r;
    int rc;
    char why[400];
};

static int
on_entry(void *data, uint64_t position, const uint8_t *bytes, size_t len)
{
    struct replay *rp = data;
    struct registrar *r = rp->r;
    struct registry_replay_info info;
    char err[300];
    if (registry_replay(&r->reg, bytes, len, &info, err, sizeof(err)) != 0) {
        snprintf(rp->why, sizeof(rp->why),
                 "the registry's log entry at position %llu is unreadable: "
                 "%s",
                 (unsigned long long)position, err);
        rp->rc = CR_EPROTO_DATA;
        return 1;
    }
    r->stats.entries++;
    r->stats.skipped += info.skipped;
    if (info.snapshot) {
        r->stats.size_bytes = len;
        r->since_snapshot = 0;
    } else {
        r->stats.size_bytes += len;
        r->since_snapshot++;
    }
    return 0;
}

static void
finish_recover(struct registrar *r, int err, const char *why)
{
    registrar_done_cb cb = r->recover_cb;
    r->recover_cb = NULL;
    if (cb)
        cb(r->recover_data, err, why);
}

static void
replay_log(struct registrar *r)
{
    struct replay rp = {.r = r};
    registry_clear(&r->reg);
    r->stats.entries = r->stats.size_bytes = 0;
    r->since_snapshot = 0;
    int rc = cr_log_read_all(r->cfg.log, on_entry, &rp);
    if (rc < 0 && rp.rc == 0) {
        rp.rc = rc;
        snprintf(rp.why, sizeof(rp.why), "cannot read the registry's log: %s",
                 cr_strerror(rc));
    }
    if (rp.rc != 0) {
        registry_clear(&r->reg);
        r->state = REGISTRAR_FAILED;
        cr_error("registrar: %s", rp.why);
        finish_recover(r, rp.rc, rp.why);
        return;
    }
    r->state = REGISTRAR_READY;
    r->stats.fetch_ms = ms_since(r->recover_start_ns);
    cr_info("registrar: recovered %zu admitted, %zu unreachable and %zu gone "
            "agents and %zu role weights from %llu log entries in %.0f ms",
            r->reg.count[REGISTRY_ADMITTED], r->reg.count[REGISTRY_UNREACHABLE],
            r->reg.count[REGISTRY_GONE], registry_weights_count(&r->reg),
            (unsigned long long)r->stats.entries, r->stats.fetch_ms);
    finish_recover(r, 0, NULL);
    kick(r);
}

static void
on_log_recovered(void *data, int err, const char *why)
{
    struct registrar *r = data;
    if (err == CR_ECANCELED_OP) {
        r->state = REGISTRAR_IDLE;
        finish_recover(r, err, why);
        return;
    }
    if (err != 0) {
        r->state = REGISTRAR_FAILED;
        finish_recover(r, err, why ? why : cr_strerror(err));
        return;
    }
    replay_log(r);
}

int
registrar_recover(struct registrar *r, registrar_done_cb cb, void *data)
{
    if (r->state != REGISTRAR_IDLE || r->cfg.log == NULL)
        return CR_ESTATE;
    r->state = REGISTRAR_RECOVERING;
    r->recover_cb = cb;
    r->recover_data = data;
    r->recover_start_ns = cr_mono_ns();
    int rc = cr_log_recover(r->cfg.log, on_log_recovered, r);
    if (rc != 0) {
        r->state = REGISTRAR_IDLE;
        r->recover_cb = NULL;
    }
    return rc;
}

void
registrar_resign(struct registrar *r)
{
    const char *why = "the registrar resigned: leadership lost";
    if (r->cfg.log == NULL) {
        uv_timer_stop(&r->mem_timer);
        cancel_all(r, CR_ECANCELED_OP, why);
        return;
    }
    if (r->state != REGISTRAR_RECOVERING && r->state != REGISTRAR_READY)
        return;
    r->state = REGISTRAR_IDLE;
    /* Runs on_log_recovered or on_log_stored with CR_ECANCELED_OP. */
    cr_log_resign(r->cfg.log);
    finish_recover(r, CR_ECANCELED_OP, why);
    cancel_all(r, CR_ECANCELED_OP, why);
    registry_clear(&r->reg);
}

/* ---- lifecycle and queries ----------------------------------------------- */

struct registrar *
registrar_new(const struct registrar_cfg *cfg)
{
    struct registrar *r = cr_xcalloc(1, sizeof(*r));
    r->cfg = *cfg;
    if (r->cfg.snapshot_every == 0)
        r->cfg.snapshot_every = SNAPSHOT_DEFAULT;
    r->state = cfg->log ? REGISTRAR_IDLE : REGISTRAR_READY;
    registry_init(&r->reg);
    r->queue_tail = &r->queue;
    cr_buf_init(&r->enc, CR_LOG_MAX_VALUE);
    uv_timer_init(cfg->loop, &r->mem_timer);
    r->mem_timer.data = r;
    return r;
}

static void
on_timer_closed(uv_handle_t *h)
{
    free(h->data);
}

void
registrar_free(struct registrar *r)
{
    if (r == NULL)
        return;
    registrar_resign(r);
    cancel_all(r, CR_ECANCELED_OP, "the registrar is closing");
    registry_fini(&r->reg);
    cr_buf_fini(&r->enc);
    uv_close((uv_handle_t *)&r->mem_timer, on_timer_closed);
}

enum registrar_state
registrar_state(const struct registrar *r)
{
    return r->state;
}

const char *
registrar_state_name(enum registrar_state s)
{
    return (unsigned)s < 4 ? state_names[s] : "?";
}

const struct registry *
registrar_registry(const struct registrar *r)
{
    return &r->reg;
}

bool
registrar_is_durable(const struct registrar *r)
{
    return r->cfg.log != NULL;
}

void
registrar_get_stats(const struct registrar *r, struct registrar_stats *out)
{
    *out = r->stats;
}
