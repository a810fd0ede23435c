/* SPDX-License-Identifier: Apache-2.0
 *
 * sum.c: see sum.h.
 *
 * Ownership: the manager owns its streams; a stream owns its queued
 * updates (deep copies of the statuses) and its set of seen uuids.
 * Pending checkpoint callbacks hold a struct ck naming the stream by key,
 * never by pointer, because the stream may be gone when the disk answers.
 */
#include "sum.h"

#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "hash.h"
#include "updates_file.h"

#include <string.h>
#include <utlist.h>

#define RETRY_MIN_MS_DEFAULT 1000
#define RETRY_MAX_MS_DEFAULT 60000

struct upd {
    json_t *status;
    char *uuid;
    int state;
    bool durable;
    bool ck_failed; /* its checkpoint failed: sum_tick tries again */
    struct upd *next;
};

struct seen {
    char *uuid;
    UT_hash_handle hh;
};

struct stream {
    char *key; /* fw \x1f task */
    char *fw, *task, *exec, *path;
    struct upd *head, **tail;
    size_t qlen;
    struct seen *seen;
    int latest;
    bool sent; /* the head has been forwarded at least once */
    uint64_t interval, next_retry;
    UT_hash_handle hh;
};

struct ck {
    struct sum *m; /* NULL once the manager is freed */
    char *key, *uuid;
    struct ck *prev, *next;
};

struct sum {
    const struct sum_ops *ops;
    void *ctx;
    struct stream *streams;
    struct ck *cks;
    uint64_t retry_min, retry_max;
};

static char *
make_key(const char *fw, const char *task)
{
    return cr_xasprintf("%s\x1f%s", fw, task);
}

static struct stream *
find_stream(const struct sum *m, const char *fw, const char *task)
{
    char *key = make_key(fw, task);
    struct stream *s = NULL;
    HASH_FIND_STR(m->streams, key, s);
    free(key);
    return s;
}

static struct stream *
open_stream(struct sum *m, const char *fw, const char *task, const char *exec,
            const char *path)
{
    struct stream *s = find_stream(m, fw, task);
    if (s)
        return s;
    s = cr_xcalloc(1, sizeof(*s));
    s->key = make_key(fw, task);
    s->fw = cr_xstrdup(fw);
    s->task = cr_xstrdup(task);
    s->exec = cr_xstrdup(exec ? exec : task);
    s->path = path ? cr_xstrdup(path) : NULL;
    s->tail = &s->head;
    s->latest = -1;
    HASH_ADD_KEYPTR(hh, m->streams, s->key, strlen(s->key), s);
    return s;
}

static void
upd_free(struct upd *u)
{
    json_decref(u->status);
    free(u->uuid);
    free(u);
}

static void
free_stream(struct sum *m, struct stream *s)
{
    HASH_DEL(m->streams, s);
    while (s->head) {
        struct upd *u = s->head;
        s->head = u->next;
        upd_free(u);
    }
    struct seen *x, *tmp;
    HASH_ITER(hh, s->seen, x, tmp)
    {
        HASH_DEL(s->seen, x);
        free(x->uuid);
        free(x);
    }
    free(s->key);
    free(s->fw);
    free(s->task);
    free(s->exec);
    free(s->path);
    free(s);
}

static bool
stream_finished(const struct stream *s)
{
    return s->head == NULL && s->latest >= 0 &&
           task_state_is_terminal((enum task_state)s->latest);
}

/* Fire stream_done and free s if it is finished. */
static void
maybe_finish(struct sum *m, struct stream *s)
{
    if (!stream_finished(s))
        return;
    char *fw = cr_xstrdup(s->fw), *task = cr_xstrdup(s->task);
    free_stream(m, s);
    m->ops->stream_done(m->ctx, fw, task);
    free(fw);
    free(task);
}

static void
forward_head(struct sum *m, struct stream *s)
{
    if (s->head == NULL || !s->head->durable)
        return;
    s->sent = true;
    s->interval = m->retry_min;
    s->next_retry = m->ops->now_ms(m->ctx) + s->interval;
    m->ops->forward(m->ctx, s->fw, s->head->status,
                    task_state_name((enum task_state)s->latest));
}

static bool
seen_has(const struct stream *s, const char *uuid)
{
    struct seen *x = NULL;
    HASH_FIND_STR(s->seen, uuid, x);
    return x != NULL;
}

static void
seen_add(struct stream *s, const char *uuid)
{
    struct seen *x = cr_xcalloc(1, sizeof(*x));
    x->uuid = cr_xstrdup(uuid);
    HASH_ADD_KEYPTR(hh, s->seen, x->uuid, strlen(x->uuid), x);
}

static struct upd *
queue_find(const struct stream *s, const char *uuid)
{
    for (struct upd *u = s->head; u; u = u->next)
        if (strcmp(u->uuid, uuid) == 0)
            return u;
    return NULL;
}

static struct upd *
enqueue(struct stream *s, const json_t *status, bool durable)
{
    struct upd *u = cr_xcalloc(1, sizeof(*u));
    u->status = json_deep_copy(status);
    u->uuid = cr_xstrdup(cr_json_str(status, "uuid"));
    u->state = task_state_parse(cr_json_str(status, "state"));
    u->durable = durable;
    *s->tail = u;
    s->tail = &u->next;
    s->qlen++;
    s->latest = u->state;
    seen_add(s, u->uuid);
    return u;
}

static void
on_durable(struct sum *m, struct stream *s, struct upd *u)
{
    u->durable = true;
    m->ops->durable(m->ctx, s->fw, s->exec, s->task, u->uuid);
    if (u == s->head && !s->sent)
        forward_head(m, s);
}

static void
on_checkpointed(void *arg, int err)
{
    struct ck *c = arg;
    struct sum *m = c->m;
    if (m != NULL) {
        DL_DELETE(m->cks, c);
        struct stream *s = NULL;
        HASH_FIND_STR(m->streams, c->key, s);
        struct upd *u = s ? queue_find(s, c->uuid) : NULL;
        if (err != 0) {
            /* Not durable, so not forwarded; retried from sum_tick so a
             * passing disk error does not stall the task's stream. */
            cr_error("status update %s not checkpointed (will retry): %s",
                     c->uuid, cr_strerror(err));
            if (u != NULL)
                u->ck_failed = true;
        } else if (u != NULL) {
            on_durable(m, s, u);
        }
    }
    free(c->key);
    free(c->uuid);
    free(c);
}

static void
checkpoint_update(struct sum *m, struct stream *s, struct upd *u)
{
    struct ck *c = cr_xcalloc(1, sizeof(*c));
    c->m = m;
    c->key = cr_xstrdup(s->key);
    c->uuid = cr_xstrdup(u->uuid);
    DL_APPEND(m->cks, c);
    char *line = updates_encode_update(s->fw, u->status);
    m->ops->checkpoint(m->ctx, s->path, line, strlen(line), on_checkpointed, c);
    free(line);
}

struct sum *
sum_new(const struct sum_ops *ops, void *ctx)
{
    struct sum *m = cr_xcalloc(1, sizeof(*m));
    m->ops = ops;
    m->ctx = ctx;
    m->retry_min = RETRY_MIN_MS_DEFAULT;
    m->retry_max = RETRY_MAX_MS_DEFAULT;
    return m;
}

void
sum_free(struct sum *m)
{
    if (m == NULL)
        return;
    struct stream *s, *tmp;
    HASH_ITER(hh, m->streams, s, tmp)
    free_stream(m, s);
    struct ck *c, *ctmp;
    DL_FOREACH_SAFE(m->cks, c, ctmp)
    {
        DL_DELETE(m->cks, c);
        c->m = NULL;
        c->prev = c->next = NULL;
    }
    free(m);
}

void
sum_set_retry(struct sum *m, uint64_t min_ms, uint64_t max_ms)
{
    m->retry_min = min_ms ? min_ms : 1;
    m->retry_max = max_ms < m->retry_min ? m->retry_min : max_ms;
}

int
sum_update(struct sum *m, const char *fw_id, const char *exec_id,
           const char *path, const json_t *status)
{
    char why[128];
    if (fw_id == NULL || updates_check_status(status, why, sizeof(why)) != 0)
        return CR_EINVAL_INPUT;
    const char *task = cr_json_id(status, "task_id");
    const char *uuid = cr_json_str(status, "uuid");
    struct stream *s = open_stream(m, fw_id, task, exec_id, path);
    if (seen_has(s, uuid)) {
        struct upd *u = queue_find(s, uuid);
        if (u == NULL || u->durable)
            m->ops->durable(m->ctx, s->fw, s->exec, s->task, uuid);
        return SUM_DUPLICATE;
    }
    struct upd *u = enqueue(s, status, s->path == NULL);
    cr_info("status update %s uuid=%s task_id=%s framework_id=%s",
            cr_json_str(status, "state"), uuid, task, fw_id);
    if (s->path)
        checkpoint_update(m, s, u);
    else
        on_durable(m, s, u);
    return SUM_NEW;
}

int
sum_recover_update(struct sum *m, const char *fw_id, const char *exec_id,
                   const char *path, const json_t *status)
{
    char why[128];
    if (updates_check_status(status, why, sizeof(why)) != 0)
        return CR_EINVAL_INPUT;
    struct stream *s =
        open_stream(m, fw_id, cr_json_id(status, "task_id"), exec_id, path);
    if (seen_has(s, cr_json_str(status, "uuid")))
        return SUM_DUPLICATE;
    enqueue(s, status, true);
    return SUM_NEW;
}

static void
pop_head(struct stream *s)
{
    struct upd *u = s->head;
    s->head = u->next;
    if (s->head == NULL)
        s->tail = &s->head;
    s->qlen--;
    upd_free(u);
    s->sent = false;
}

int
sum_recover_ack(struct sum *m, const char *fw_id, const char *task_id,
                const char *uuid)
{
    struct stream *s = find_stream(m, fw_id, task_id);
    if (s == NULL || s->head == NULL || strcmp(s->head->uuid, uuid) != 0)
        return CR_ESTATE;
    pop_head(s);
    return 0;
}

void
sum_recover_done(struct sum *m)
{
    struct stream *s, *tmp;
    HASH_ITER(hh, m->streams, s, tmp)
    maybe_finish(m, s);
}

int
sum_acknowledge(struct sum *m, const char *fw_id, const char *task_id,
                const char *uuid)
{
    struct stream *s = find_stream(m, fw_id, task_id);
    if (s == NULL)
        return CR_ENOTFOUND;
    if (s->head == NULL || strcmp(s->head->uuid, uuid) != 0) {
        cr_warn("ignoring acknowledgement uuid=%s task_id=%s: not the head "
                "of the stream",
                uuid, task_id);
        return CR_ESTATE;
    }
    cr_info("status update acknowledged uuid=%s task_id=%s framework_id=%s",
            uuid, task_id, fw_id);
    pop_head(s);
    if (s->path) {
        char *line = updates_encode_ack(uuid);
        m->ops->checkpoint(m->ctx, s->path, line, strlen(line), NULL, NULL);
        free(line);
    }
    if (s->head)
        forward_head(m, s);
    else
        maybe_finish(m, s);
    return 0;
}

void
sum_flush(struct sum *m)
{
    struct stream *s, *tmp;
    HASH_ITER(hh, m->streams, s, tmp)
    forward_head(m, s);
}

void
sum_tick(struct sum *m, uint64_t now_ms)
{
    struct stream *s, *tmp;
    HASH_ITER(hh, m->streams, s, tmp)
    {
        for (struct upd *u = s->head; u; u = u->next)
            if (u->ck_failed) {
                u->ck_failed = false;
                checkpoint_update(m, s, u);
            }
        if (!s->sent || s->head == NULL || now_ms < s->next_retry)
            continue;
        s->interval *= 2;
        if (s->interval > m->retry_max)
            s->interval = m->retry_max;
        s->next_retry = now_ms + s->interval;
        cr_info("retrying status update %s uuid=%s task_id=%s",
                cr_json_str(s->head->status, "state"), s->head->uuid, s->task);
        m->ops->forward(m->ctx, s->fw, s->head->status,
                        task_state_name((enum task_state)s->latest));
    }
}

void
sum_remove_framework(struct sum *m, const char *fw_id)
{
    struct stream *s, *tmp;
    HASH_ITER(hh, m->streams, s, tmp)
    {
        if (strcmp(s->fw, fw_id) == 0)
            free_stream(m, s);
    }
}

int
sum_latest_state(const struct sum *m, const char *fw_id, const char *task_id)
{
    const struct stream *s = find_stream(m, fw_id, task_id);
    return s ? s->latest : -1;
}

const json_t *
sum_head(const struct sum *m, const char *fw_id, const char *task_id)
{
    const struct stream *s = find_stream(m, fw_id, task_id);
    return s && s->head ? s->head->status : NULL;
}

size_t
sum_queue_len(const struct sum *m, const char *fw_id, const char *task_id)
{
    const struct stream *s = find_stream(m, fw_id, task_id);
    return s ? s->qlen : 0;
}

size_t
sum_stream_count(const struct sum *m)
{
    return HASH_COUNT(m->streams);
}

bool
sum_has_framework(const struct sum *m, const char *fw_id)
{
    const struct stream *s, *tmp;
    HASH_ITER(hh, m->streams, s, tmp)
    {
        if (strcmp(s->fw, fw_id) == 0)
            return true;
    }
    return false;
}
