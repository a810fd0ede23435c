/* SPDX-License-Identifier: Apache-2.0
 *
 * storage.c: see storage.h.
 *
 * Write path: submit() appends a `pending` (batch + callback) to s->queue;
 * kick() moves the whole queue into one `job` when no job is in flight and
 * hands it to uv_queue_work. The job applies every batch in one write
 * transaction on a pool thread and commits; after_work() runs the
 * callbacks in order on the loop, then kicks again. Close during a job (or
 * from inside one of its callbacks) is deferred until the job is done.
 */
#include "storage.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "record.h"

#include <errno.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_MAP_SIZE ((size_t)1 << 30)
#define META_KEY         "meta"

enum op_kind { OP_META, OP_PUT, OP_TRUNCATE };

struct op {
    enum op_kind kind;
    uint8_t key[8];
    uint64_t to;
    struct cr_buf rec; /* OP_META, OP_PUT: the encoded record */
};

struct cr_log_batch {
    struct op *ops;
    size_t n, cap;
};

struct pending {
    struct cr_log_batch *b;
    cr_log_storage_cb cb;
    void *data;
    struct pending *next;
};

struct job {
    uv_work_t req;
    struct cr_log_storage *s;
    struct pending *first;
    bool skip; /* the storage had failed: touch nothing, fail the batches */
    int rc;    /* set on the pool thread */
};

struct cr_log_storage {
    uv_loop_t *loop;
    MDB_env *env;
    MDB_dbi meta_dbi, actions_dbi;
    struct pending *queue, **queue_tail;
    size_t n_pending; /* queued + in the job */
    struct job *in_flight;
    bool dispatching, closing;
    int failed;
    void (*closed)(void *data);
    void *closed_data;
};

static int
map_mdb(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return 0;
    case MDB_NOTFOUND:
        return CR_ENOTFOUND;
    case MDB_MAP_FULL:
        return CR_ETOOBIG;
    case MDB_CORRUPTED:
    case MDB_PAGE_NOTFOUND:
    case MDB_INVALID:
    case MDB_VERSION_MISMATCH:
        return CR_EPROTO_DATA;
    default:
        return rc > 0 ? -rc : -EIO;
    }
}

/* ---- batches ---------------------------------------------------------- */

struct cr_log_batch *
cr_log_batch_new(void)
{
    return cr_xcalloc(1, sizeof(struct cr_log_batch));
}

void
cr_log_batch_free(struct cr_log_batch *b)
{
    if (b == NULL)
        return;
    for (size_t i = 0; i < b->n; i++)
        cr_buf_fini(&b->ops[i].rec);
    free(b->ops);
    free(b);
}

static struct op *
batch_add(struct cr_log_batch *b, enum op_kind kind)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 4;
        b->ops = cr_xrealloc(b->ops, b->cap * sizeof(*b->ops));
    }
    struct op *op = &b->ops[b->n++];
    memset(op, 0, sizeof(*op));
    op->kind = kind;
    cr_buf_init(&op->rec, CR_LOG_ACTION_RECORD_MIN + CR_LOG_MAX_VALUE);
    return op;
}

void
cr_log_batch_set_meta(struct cr_log_batch *b, const struct cr_log_meta *m)
{
    uint8_t rec[CR_LOG_META_RECORD_LEN];
    cr_log_record_encode_meta(m, rec);
    struct op *op = batch_add(b, OP_META);
    (void)cr_buf_append(&op->rec, rec, sizeof(rec));
}

int
cr_log_batch_put(struct cr_log_batch *b, const struct cr_log_action *a)
{
    if (cr_log_action_check(a) != 0)
        return CR_EPROTO_DATA;
    struct op *op = batch_add(b, OP_PUT);
    cr_log_key_encode(a->position, op->key);
    int rc = cr_log_record_encode_action(a, &op->rec);
    if (rc != 0) {
        cr_buf_fini(&op->rec);
        b->n--;
    }
    return rc;
}

void
cr_log_batch_truncate(struct cr_log_batch *b, uint64_t to)
{
    batch_add(b, OP_TRUNCATE)->to = to;
}

size_t
cr_log_batch_size(const struct cr_log_batch *b)
{
    return b->n;
}

/* ---- the writer (pool thread) ------------------------------------------ */

static int
apply_truncate(MDB_txn *txn, MDB_dbi dbi, uint64_t to)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(txn, dbi, &cur);
    if (rc != 0)
        return rc;
    for (;;) {
        MDB_val k, v;
        rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        if (rc == MDB_NOTFOUND) {
            rc = 0;
            break;
        }
        if (rc != 0)
            break;
        if (k.mv_size == 8 && cr_log_key_decode(k.mv_data) >= to)
            break;
        rc = mdb_cursor_del(cur, 0);
        if (rc != 0)
            break;
    }
    mdb_cursor_close(cur);
    return rc;
}

static int
apply_op(struct cr_log_storage *s, MDB_txn *txn, struct op *op)
{
    MDB_val k, v = {.mv_size = op->rec.len, .mv_data = op->rec.data};
    switch (op->kind) {
    case OP_META:
        k.mv_size = strlen(META_KEY);
        k.mv_data = (void *)(uintptr_t)META_KEY;
        return mdb_put(txn, s->meta_dbi, &k, &v, 0);
    case OP_PUT:
        k.mv_size = 8;
        k.mv_data = op->key;
        return mdb_put(txn, s->actions_dbi, &k, &v, 0);
    case OP_TRUNCATE:
        return apply_truncate(txn, s->actions_dbi, op->to);
    }
    return EINVAL;
}

static void
job_work(uv_work_t *req)
{
    struct job *job = req->data;
    struct cr_log_storage *s = job->s;
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    for (struct pending *p = job->first; rc == 0 && p; p = p->next)
        for (size_t i = 0; rc == 0 && i < p->b->n; i++)
            rc = apply_op(s, txn, &p->b->ops[i]);
    if (rc == 0)
        rc = mdb_txn_commit(txn); /* frees txn either way */
    else if (txn != NULL)
        mdb_txn_abort(txn);
    job->rc = rc;
}

static void
job_skip(uv_work_t *req)
{
    (void)req;
}

static void storage_destroy(struct cr_log_storage *s);
static void kick(struct cr_log_storage *s);

static void
free_pendings(struct pending *p)
{
    while (p) {
        struct pending *next = p->next;
        cr_log_batch_free(p->b);
        free(p);
        p = next;
    }
}

static void
job_done(uv_work_t *req, int status)
{
    struct job *job = req->data;
    struct cr_log_storage *s = job->s;
    int rc = status != 0 ? CR_ECANCELED_OP : map_mdb(job->rc);
    if (job->skip)
        rc = s->failed;
    s->in_flight = NULL;
    if (rc != 0 && s->failed == 0) {
        s->failed = rc;
        cr_error("replicated log: storage commit failed: %s; the replica "
                 "refuses further writes",
                 job->rc != 0 ? mdb_strerror(job->rc) : cr_strerror(rc));
    }
    s->dispatching = true;
    for (struct pending *p = job->first; p; p = p->next) {
        s->n_pending--;
        if (!s->closing && p->cb)
            p->cb(p->data, rc);
    }
    s->dispatching = false;
    free_pendings(job->first);
    free(job);
    if (s->closing)
        storage_destroy(s);
    else
        kick(s);
}

static void
kick(struct cr_log_storage *s)
{
    if (s->in_flight || s->queue == NULL || s->closing)
        return;
    struct job *job = cr_xcalloc(1, sizeof(*job));
    job->s = s;
    job->req.data = job;
    job->first = s->queue;
    /* After a failed commit, batches queued behind it are failed through
     * the same completion path without touching the disk. */
    job->skip = s->failed != 0;
    s->queue = NULL;
    s->queue_tail = &s->queue;
    s->in_flight = job;
    int rc = uv_queue_work(s->loop, &job->req, job->skip ? job_skip : job_work,
                           job_done);
    if (rc != 0) {
        /* Only with an invalid loop; keep the callback contract anyway. */
        job->rc = EIO;
        job_done(&job->req, 0);
    }
}

int
cr_log_storage_submit(struct cr_log_storage *s, struct cr_log_batch *b,
                      cr_log_storage_cb cb, void *data)
{
    if (s->failed || s->closing) {
        cr_log_batch_free(b);
        return s->failed ? s->failed : CR_ECANCELED_OP;
    }
    struct pending *p = cr_xcalloc(1, sizeof(*p));
    p->b = b;
    p->cb = cb;
    p->data = data;
    *s->queue_tail = p;
    s->queue_tail = &p->next;
    s->n_pending++;
    kick(s);
    return 0;
}

int
cr_log_storage_failed(const struct cr_log_storage *s)
{
    return s->failed;
}

size_t
cr_log_storage_pending(const struct cr_log_storage *s)
{
    return s->n_pending;
}

/* ---- open / close ------------------------------------------------------ */

static int
make_dirs(const char *dir)
{
    char path[4096];
    int n = snprintf(path, sizeof(path), "%s", dir);
    if (n <= 0 || (size_t)n >= sizeof(path))
        return -ENAMETOOLONG;
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0755) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(path, 0755) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int
open_tables(struct cr_log_storage *s)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (rc != 0)
        return rc;
    rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &s->meta_dbi);
    if (rc == 0)
        rc = mdb_dbi_open(txn, "actions", MDB_CREATE, &s->actions_dbi);
    if (rc == 0)
        return mdb_txn_commit(txn);
    mdb_txn_abort(txn);
    return rc;
}

int
cr_log_storage_open(uv_loop_t *loop, const char *dir,
                    const struct cr_log_storage_opts *opts,
                    struct cr_log_storage **out, char *err, size_t errlen)
{
    *out = NULL;
    int rc = make_dirs(dir);
    if (rc != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, cr_strerror(rc));
        return rc;
    }
    struct cr_log_storage *s = cr_xcalloc(1, sizeof(*s));
    s->loop = loop;
    s->queue_tail = &s->queue;
    size_t map = opts && opts->map_size ? opts->map_size : DEFAULT_MAP_SIZE;
    unsigned flags = MDB_NOTLS | (opts && opts->no_sync ? MDB_NOSYNC : 0);
    int mrc = mdb_env_create(&s->env);
    if (mrc == 0)
        mrc = mdb_env_set_maxdbs(s->env, 2);
    if (mrc == 0)
        mrc = mdb_env_set_mapsize(s->env, map);
    if (mrc == 0)
        mrc = mdb_env_open(s->env, dir, flags, 0600);
    if (mrc == 0)
        mrc = open_tables(s);
    if (mrc != 0) {
        snprintf(err, errlen, "cannot open the replicated log in %s: %s", dir,
                 mdb_strerror(mrc));
        storage_destroy(s);
        return map_mdb(mrc);
    }
    struct cr_log_meta m;
    rc = cr_log_storage_get_meta(s, &m);
    if (rc != 0) {
        snprintf(err, errlen, "the replicated log in %s is unreadable: %s", dir,
                 cr_strerror(rc));
        storage_destroy(s);
        return rc;
    }
    *out = s;
    return 0;
}

static void
storage_destroy(struct cr_log_storage *s)
{
    void (*closed)(void *) = s->closed;
    void *data = s->closed_data;
    free_pendings(s->queue);
    if (s->env)
        mdb_env_close(s->env);
    free(s);
    if (closed)
        closed(data);
}

void
cr_log_storage_close_cb(struct cr_log_storage *s, void (*closed)(void *data),
                        void *data)
{
    if (s == NULL || s->closing)
        return;
    s->closing = true;
    s->closed = closed;
    s->closed_data = data;
    if (s->in_flight == NULL && !s->dispatching)
        storage_destroy(s);
}

void
cr_log_storage_close(struct cr_log_storage *s)
{
    cr_log_storage_close_cb(s, NULL, NULL);
}

/* ---- reads (loop thread) ----------------------------------------------- */

static int
read_begin(struct cr_log_storage *s, MDB_txn **txn)
{
    return map_mdb(mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn));
}

int
cr_log_storage_get_meta(struct cr_log_storage *s, struct cr_log_meta *out)
{
    MDB_txn *txn;
    int rc = read_begin(s, &txn);
    if (rc != 0)
        return rc;
    MDB_val k = {.mv_size = strlen(META_KEY),
                 .mv_data = (void *)(uintptr_t)META_KEY};
    MDB_val v;
    rc = map_mdb(mdb_get(txn, s->meta_dbi, &k, &v));
    if (rc == 0)
        rc = cr_log_record_decode_meta(v.mv_data, v.mv_size, out);
    else if (rc == CR_ENOTFOUND) {
        *out = (struct cr_log_meta){.status = CR_LOG_EMPTY, .begin = 1};
        rc = 0;
    }
    mdb_txn_abort(txn);
    return rc;
}

static int
decode_at(const MDB_val *k, const MDB_val *v, struct cr_log_action *out)
{
    if (k->mv_size != 8)
        return CR_EPROTO_DATA;
    int rc = cr_log_record_decode_action(v->mv_data, v->mv_size, out);
    if (rc == 0 && out->position != cr_log_key_decode(k->mv_data)) {
        cr_log_action_fini(out);
        rc = CR_EPROTO_DATA;
    }
    return rc;
}

int
cr_log_storage_get(struct cr_log_storage *s, uint64_t position,
                   struct cr_log_action *out)
{
    memset(out, 0, sizeof(*out));
    MDB_txn *txn;
    int rc = read_begin(s, &txn);
    if (rc != 0)
        return rc;
    uint8_t key[8];
    cr_log_key_encode(position, key);
    MDB_val k = {.mv_size = 8, .mv_data = key}, v;
    rc = map_mdb(mdb_get(txn, s->actions_dbi, &k, &v));
    if (rc == 0)
        rc = decode_at(&k, &v, out);
    mdb_txn_abort(txn);
    return rc;
}

int
cr_log_storage_end(struct cr_log_storage *s, uint64_t *end)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = read_begin(s, &txn);
    if (rc != 0)
        return rc;
    rc = map_mdb(mdb_cursor_open(txn, s->actions_dbi, &cur));
    if (rc == 0) {
        MDB_val k, v;
        rc = map_mdb(mdb_cursor_get(cur, &k, &v, MDB_LAST));
        if (rc == 0 && k.mv_size != 8)
            rc = CR_EPROTO_DATA;
        *end = rc == 0 ? cr_log_key_decode(k.mv_data) : 0;
        if (rc == CR_ENOTFOUND)
            rc = 0;
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    return rc;
}

int
cr_log_storage_scan(struct cr_log_storage *s, uint64_t from, uint64_t to,
                    cr_log_scan_cb cb, void *data)
{
    MDB_txn *txn;
    MDB_cursor *cur;
    int rc = read_begin(s, &txn);
    if (rc != 0)
        return rc;
    rc = map_mdb(mdb_cursor_open(txn, s->actions_dbi, &cur));
    if (rc != 0) {
        mdb_txn_abort(txn);
        return rc;
    }
    uint8_t key[8];
    cr_log_key_encode(from, key);
    MDB_val k = {.mv_size = 8, .mv_data = key}, v;
    MDB_cursor_op op = MDB_SET_RANGE;
    while (from <= to) {
        rc = map_mdb(mdb_cursor_get(cur, &k, &v, op));
        op = MDB_NEXT;
        if (rc != 0)
            break;
        if (k.mv_size == 8 && cr_log_key_decode(k.mv_data) > to)
            break;
        struct cr_log_action a;
        rc = decode_at(&k, &v, &a);
        if (rc != 0)
            break;
        rc = cb(data, &a);
        cr_log_action_fini(&a);
        if (rc != 0)
            break;
    }
    if (rc == CR_ENOTFOUND)
        rc = 0;
    mdb_cursor_close(cur);
    mdb_txn_abort(txn);
    return rc;
}
