/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_checkpoint.c: reading a task.updates checkpoint, replayed into a
 * status update manager as recovery does.
 */
#include "agent/sum.h"
#include "agent/updates_file.h"
#include "base/json.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
ck(void *ctx, const char *path, const char *line, size_t len,
   sum_ckpt_done_cb done, void *arg)
{
    if (done)
        done(arg, 0);
}

static void
fwd(void *ctx, const char *fw, const json_t *status, const char *latest)
{
}

static void
durable(void *ctx, const char *fw, const char *exec, const char *task,
        const char *uuid)
{
}

static void
finished(void *ctx, const char *fw, const char *task)
{
}

static uint64_t
now(void *ctx)
{
    return 0;
}

static const struct sum_ops ops = {ck, fwd, durable, finished, now};

struct ctx {
    struct sum *m;
    char fw[128], task[128];
};

static int
on_record(void *arg, enum updates_rec type, const char *fw_id, json_t *status,
          const char *uuid)
{
    struct ctx *c = arg;
    if (type == UPDATES_REC_UPDATE) {
        snprintf(c->fw, sizeof(c->fw), "%s", fw_id);
        snprintf(c->task, sizeof(c->task), "%s", cr_json_id(status, "task_id"));
        sum_recover_update(c->m, fw_id, "E", "/x", status);
    } else {
        sum_recover_ack(c->m, c->fw, c->task, uuid);
    }
    return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ctx c = {.m = sum_new(&ops, NULL)};
    size_t valid;
    char err[256];
    updates_parse((const char *)data, size, on_record, &c, &valid, err,
                  sizeof(err));
    sum_recover_done(c.m);
    sum_flush(c.m);
    sum_free(c.m);
    return 0;
}
