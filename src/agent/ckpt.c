/* SPDX-License-Identifier: Apache-2.0
 *
 * ckpt.c: see ckpt.h.
 *
 * Threading: the ckpt_* synchronous helpers touch only their arguments.
 * A struct batch is owned by the loop thread while it is being filled, by
 * the worker thread while in flight, and by the loop thread again in
 * after_batch(); nothing else is shared.
 */
#include "ckpt.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- synchronous helpers ------------------------------------------- */

int
ckpt_mkdirs(const char *path)
{
    char tmp[PATH_MAX];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof(tmp))
        return -ENAMETOOLONG;
    memcpy(tmp, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0')
            continue;
        char saved = tmp[i];
        tmp[i] = '\0';
        if (mkdir(tmp, 0755) != 0 && errno != EEXIST)
            return -errno;
        tmp[i] = saved;
    }
    struct stat st;
    if (stat(path, &st) != 0)
        return -errno;
    return S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
}

static int
parent_dir(const char *path, char *out, size_t n)
{
    size_t len = strlen(path);
    if (len >= n)
        return -ENAMETOOLONG;
    memcpy(out, path, len + 1);
    char *slash = strrchr(out, '/');
    if (slash == NULL) {
        snprintf(out, n, ".");
    } else if (slash == out) {
        out[1] = '\0';
    } else {
        *slash = '\0';
    }
    return 0;
}

static int
fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

static int
write_all(int fd, const void *data, size_t len)
{
    const char *p = data;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

int
ckpt_write_atomic(const char *path, const void *data, size_t len)
{
    char dir[PATH_MAX], tmp[PATH_MAX];
    int rc = parent_dir(path, dir, sizeof(dir));
    if (rc)
        return rc;
    if ((rc = ckpt_mkdirs(dir)) != 0)
        return rc;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    rc = write_all(fd, data, len);
    if (rc == 0 && fsync(fd) != 0)
        rc = -errno;
    close(fd);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0) {
        unlink(tmp);
        return rc;
    }
    return fsync_dir(dir);
}

int
ckpt_append_sync(const char *path, const void *data, size_t len)
{
    char dir[PATH_MAX];
    int rc = parent_dir(path, dir, sizeof(dir));
    if (rc)
        return rc;
    if ((rc = ckpt_mkdirs(dir)) != 0)
        return rc;
    bool created = access(path, F_OK) != 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    rc = write_all(fd, data, len);
    if (rc == 0 && fdatasync(fd) != 0)
        rc = -errno;
    close(fd);
    if (rc == 0 && created)
        rc = fsync_dir(dir);
    return rc;
}

int
ckpt_symlink_atomic(const char *target, const char *link)
{
    char dir[PATH_MAX], tmp[PATH_MAX];
    int rc = parent_dir(link, dir, sizeof(dir));
    if (rc)
        return rc;
    if ((rc = ckpt_mkdirs(dir)) != 0)
        return rc;
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", link) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    unlink(tmp);
    if (symlink(target, tmp) != 0)
        return -errno;
    if (rename(tmp, link) != 0) {
        rc = -errno;
        unlink(tmp);
        return rc;
    }
    return fsync_dir(dir);
}

int
ckpt_read_file(const char *path, size_t max, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    if ((size_t)st.st_size > max) {
        close(fd);
        return CR_ETOOBIG;
    }
    size_t cap = (size_t)st.st_size;
    char *buf = cr_xmalloc(cap + 1);
    size_t got = 0;
    while (got < cap) {
        ssize_t r = read(fd, buf + got, cap - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *out = buf;
    *len = got;
    return 0;
}

/* ---- the queue ------------------------------------------------------ */

enum op_kind { OP_WRITE, OP_APPEND, OP_SYMLINK, OP_MKDIR };

struct op {
    enum op_kind kind;
    char *path;   /* file, link or directory */
    char *target; /* OP_SYMLINK */
    struct cr_buf data;
    int prepared;    /* result of op_prepare (worker thread) */
    bool superseded; /* a later op of the batch writes the same path */
    struct op *next;
    UT_hash_handle hh; /* appends by path */
};

struct barrier {
    ckpt_done_cb cb;
    void *data;
    struct barrier *next;
};

struct batch {
    uv_work_t work;
    struct ckpt_queue *q;
    struct op *ops, **tail;
    struct op *appends; /* hash by path, OP_APPEND only */
    struct barrier *barriers, **btail;
    int err;
};

struct ckpt_queue {
    uv_loop_t *loop;
    uv_timer_t kick; /* zero-delay timer: end of this loop turn */
    struct batch *filling;
    struct batch *in_flight;
    unsigned long batches;
};

static struct batch *
batch_new(struct ckpt_queue *q)
{
    struct batch *b = cr_xcalloc(1, sizeof(*b));
    b->q = q;
    b->tail = &b->ops;
    b->btail = &b->barriers;
    b->work.data = b;
    return b;
}

static void
batch_free(struct batch *b)
{
    HASH_CLEAR(hh, b->appends);
    struct op *o = b->ops;
    while (o) {
        struct op *n = o->next;
        free(o->path);
        free(o->target);
        cr_buf_fini(&o->data);
        free(o);
        o = n;
    }
    struct barrier *w = b->barriers;
    while (w) {
        struct barrier *n = w->next;
        free(w);
        w = n;
    }
    free(b);
}

/* A batch is made durable with two syncfs(2) calls instead of one or two
 * fsyncs per operation (fsync costs milliseconds on real disks, and a
 * burst of launches checkpoints dozens of files):
 *   1. write every new file under "<path>.tmp", append every log, create
 *      every directory and temporary symlink, without syncing;
 *   2. syncfs: all of that is on disk;
 *   3. rename every temporary file and symlink into place;
 *   4. syncfs: the renames are on disk; only now do barriers fire.
 * A crash before 4 leaves each file either old or new, never torn, as
 * with per-file fsync; an append cut short by a crash leaves at most a
 * partial last line, which the readers ignore. */
static int
op_prepare(struct op *o)
{
    char dir[PATH_MAX], tmp[PATH_MAX];
    const char *data = o->data.data ? o->data.data : "";
    int rc = o->kind == OP_MKDIR ? 0 : parent_dir(o->path, dir, sizeof(dir));
    if (rc == 0)
        rc = ckpt_mkdirs(o->kind == OP_MKDIR ? o->path : dir);
    if (rc != 0 || o->kind == OP_MKDIR)
        return rc;
    if (o->kind == OP_APPEND) {
        int fd = open(o->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0)
            return -errno;
        rc = write_all(fd, data, o->data.len);
        close(fd);
        return rc;
    }
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", o->path) >= (int)sizeof(tmp))
        return -ENAMETOOLONG;
    if (o->kind == OP_SYMLINK) {
        unlink(tmp);
        return symlink(o->target, tmp) == 0 ? 0 : -errno;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    rc = write_all(fd, data, o->data.len);
    close(fd);
    return rc;
}

static int
op_commit(struct op *o)
{
    char tmp[PATH_MAX];
    if (o->kind != OP_WRITE && o->kind != OP_SYMLINK)
        return 0;
    snprintf(tmp, sizeof(tmp), "%s.tmp", o->path);
    if (rename(tmp, o->path) != 0) {
        int rc = -errno;
        unlink(tmp);
        return rc;
    }
    return 0;
}

/* syncfs on the file system holding path (every checkpoint lives on the
 * one holding --work_dir). */
static int
sync_fs_of(const char *path)
{
    char dir[PATH_MAX];
    if (parent_dir(path, dir, sizeof(dir)) != 0)
        return -ENAMETOOLONG;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = syncfs(fd) == 0 ? 0 : -errno;
    close(fd);
    return rc;
}

static void
note_err(struct batch *b, int rc)
{
    if (rc != 0 && b->err == 0)
        b->err = rc;
}

/* Two writes of one file in a batch share "<path>.tmp": the later one's
 * content is what is left there, so only the later one is renamed (the
 * earlier rename would take the file and leave the later one nothing). */
static void
mark_superseded(struct batch *b)
{
    for (struct op *o = b->ops; o; o = o->next) {
        if (o->kind != OP_WRITE && o->kind != OP_SYMLINK)
            continue;
        for (struct op *l = o->next; l && !o->superseded; l = l->next)
            o->superseded = l->kind == o->kind && strcmp(l->path, o->path) == 0;
    }
}

static void
work_batch(uv_work_t *w)
{
    struct batch *b = w->data;
    bool renames = false;
    if (b->ops == NULL)
        return;
    mark_superseded(b);
    for (struct op *o = b->ops; o; o = o->next) {
        o->prepared = op_prepare(o);
        note_err(b, o->prepared);
        renames |= o->kind == OP_WRITE || o->kind == OP_SYMLINK;
    }
    int rc = sync_fs_of(b->ops->path);
    note_err(b, rc);
    /* Never rename a file whose new content may not be whole or durable
     * into place: a failed write leaves the old file as it was. */
    if (!renames || rc != 0)
        return;
    for (struct op *o = b->ops; o; o = o->next)
        if (o->prepared == 0 && !o->superseded)
            note_err(b, op_commit(o));
    note_err(b, sync_fs_of(b->ops->path));
}

static void submit(struct ckpt_queue *q);

static void
after_batch(uv_work_t *w, int status)
{
    struct batch *b = w->data;
    struct ckpt_queue *q = b->q;
    if (status != 0 && b->err == 0)
        b->err = status;
    if (b->err != 0)
        cr_error("checkpoint batch failed: %s", cr_strerror(b->err));
    q->in_flight = NULL;
    q->batches++;
    for (struct barrier *x = b->barriers; x; x = x->next)
        x->cb(x->data, b->err);
    batch_free(b);
    if (q->filling && !uv_is_active((uv_handle_t *)&q->kick))
        submit(q);
}

static void
submit(struct ckpt_queue *q)
{
    if (q->in_flight || q->filling == NULL)
        return;
    struct batch *b = q->filling;
    q->filling = NULL;
    q->in_flight = b;
    int rc = uv_queue_work(q->loop, &b->work, work_batch, after_batch);
    if (rc != 0) {
        /* Cannot happen with a live loop; run inline rather than lose. */
        work_batch(&b->work);
        after_batch(&b->work, 0);
    }
}

static void
on_kick(uv_timer_t *t)
{
    submit(t->data);
}

static struct batch *
filling(struct ckpt_queue *q)
{
    if (q->filling == NULL)
        q->filling = batch_new(q);
    if (!uv_is_active((uv_handle_t *)&q->kick))
        uv_timer_start(&q->kick, on_kick, 0, 0);
    return q->filling;
}

static struct op *
add_op(struct ckpt_queue *q, enum op_kind kind, const char *path)
{
    struct batch *b = filling(q);
    struct op *o = cr_xcalloc(1, sizeof(*o));
    o->kind = kind;
    o->path = cr_xstrdup(path);
    cr_buf_init(&o->data, CKPT_MAX_FILE);
    *b->tail = o;
    b->tail = &o->next;
    return o;
}

struct ckpt_queue *
ckpt_queue_new(uv_loop_t *loop)
{
    struct ckpt_queue *q = cr_xcalloc(1, sizeof(*q));
    q->loop = loop;
    uv_timer_init(loop, &q->kick);
    q->kick.data = q;
    return q;
}

static void
on_kick_closed(uv_handle_t *h)
{
    free(h->data);
}

void
ckpt_queue_free(struct ckpt_queue *q)
{
    if (q == NULL)
        return;
    if (q->filling)
        batch_free(q->filling);
    q->filling = NULL;
    uv_close((uv_handle_t *)&q->kick, on_kick_closed);
}

bool
ckpt_queue_is_idle(const struct ckpt_queue *q)
{
    return q->in_flight == NULL && q->filling == NULL;
}

unsigned long
ckpt_queue_batches(const struct ckpt_queue *q)
{
    return q->batches;
}

void
ckpt_write(struct ckpt_queue *q, const char *path, const void *data, size_t len)
{
    struct op *o = add_op(q, OP_WRITE, path);
    if (cr_buf_append(&o->data, data, len) != 0)
        cr_error("checkpoint %s: too big", path);
}

void
ckpt_append(struct ckpt_queue *q, const char *path, const void *data,
            size_t len)
{
    struct batch *b = filling(q);
    struct op *o = NULL;
    HASH_FIND_STR(b->appends, path, o);
    if (o == NULL) {
        o = add_op(q, OP_APPEND, path);
        HASH_ADD_KEYPTR(hh, b->appends, o->path, strlen(o->path), o);
    }
    if (cr_buf_append(&o->data, data, len) != 0)
        cr_error("checkpoint %s: batch too big", path);
}

void
ckpt_symlink(struct ckpt_queue *q, const char *target, const char *link)
{
    struct op *o = add_op(q, OP_SYMLINK, link);
    o->target = cr_xstrdup(target);
}

void
ckpt_mkdir(struct ckpt_queue *q, const char *path)
{
    add_op(q, OP_MKDIR, path);
}

void
ckpt_barrier(struct ckpt_queue *q, ckpt_done_cb cb, void *data)
{
    struct batch *b = filling(q);
    struct barrier *x = cr_xcalloc(1, sizeof(*x));
    x->cb = cb;
    x->data = data;
    *b->btail = x;
    b->btail = &x->next;
}
