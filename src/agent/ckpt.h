/* SPDX-License-Identifier: Apache-2.0
 *
 * ckpt.h: durable checkpoint files.
 *
 * Two layers:
 *  - synchronous helpers (ckpt_write_atomic, ckpt_append_sync, ...) that
 *    block on disk; they are safe on any thread and are used from the
 *    libuv thread pool and during start-up recovery (before serving);
 *  - struct ckpt_queue, the loop-thread front end: operations are queued,
 *    and everything queued during one loop turn forms a batch that one
 *    thread-pool job performs in order (appends to the same file in a
 *    batch become one write + one fsync: group commit). Only one batch is
 *    in flight; later operations wait for the next one, so the order of
 *    operations is the order of calls.
 *
 * Atomic writes are write-temp, fsync, rename, fsync-directory. Appends
 * fsync the file (and the directory when the file was created). Parent
 * directories are created as needed.
 *
 * Async contract: ckpt_barrier's callback runs exactly once, on the loop
 * thread, after every operation queued before it is durable; err is the
 * first error of its batch (0 if none). ckpt_queue_free() may only be
 * called when no batch is in flight (ckpt_queue_is_idle); pending
 * barriers are then dropped without running.
 */
#ifndef CR_AGENT_CKPT_H
#define CR_AGENT_CKPT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <uv.h>

/* Largest checkpoint file read back (task.updates can hold many updates). */
#define CKPT_MAX_FILE (64u * 1024 * 1024)
/* Largest single info file (framework.info, task.info...). */
#define CKPT_MAX_INFO (4u * 1024 * 1024)

/* mkdir -p path (0755). 0 or -errno. */
int ckpt_mkdirs(const char *path);
/* Replace path atomically with data. 0 or -errno. */
int ckpt_write_atomic(const char *path, const void *data, size_t len);
/* Append data to path and fsync. 0 or -errno. */
int ckpt_append_sync(const char *path, const void *data, size_t len);
/* Point link at target atomically (symlink to temp + rename). */
int ckpt_symlink_atomic(const char *target, const char *link);
/* Read a whole file of at most max bytes into an owned NUL-terminated
 * buffer. 0, -errno, or CR_ETOOBIG. */
int ckpt_read_file(const char *path, size_t max, char **out, size_t *len);

struct ckpt_queue;
typedef void (*ckpt_done_cb)(void *data, int err);

struct ckpt_queue *ckpt_queue_new(uv_loop_t *loop);
/* Free an idle queue (see contract above). NULL-safe. */
void ckpt_queue_free(struct ckpt_queue *q);
bool ckpt_queue_is_idle(const struct ckpt_queue *q);
/* Number of batches performed so far (tests: group commit). */
unsigned long ckpt_queue_batches(const struct ckpt_queue *q);

/* Queue operations. Arguments are copied. */
void ckpt_write(struct ckpt_queue *q, const char *path, const void *data,
                size_t len);
void ckpt_append(struct ckpt_queue *q, const char *path, const void *data,
                 size_t len);
void ckpt_symlink(struct ckpt_queue *q, const char *target, const char *link);
void ckpt_mkdir(struct ckpt_queue *q, const char *path);
/* Run cb(data, err) once everything queued so far is durable. */
void ckpt_barrier(struct ckpt_queue *q, ckpt_done_cb cb, void *data);

#endif
