/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_sched_event.c: the scheduler library's event path. Arbitrary bytes
 * are read as a RecordIO stream (as a master's SUBSCRIBE answer would be);
 * each record is parsed as JSON and handed to the scheduler's event
 * decoder, whose callbacks walk the borrowed objects they receive. No I/O:
 * the scheduler is never started, only placed in the SUBSCRIBING state.
 */
#include "base/json.h"
#include "base/log.h"
#include "net/recordio.h"
#include "scheduler/scheduler.h"
#include "scheduler/scheduler_private.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t sink;

static void
walk(json_t *v, int depth)
{
    const char *k;
    json_t *x;
    size_t i;
    if (depth > 8)
        return;
    if (json_is_object(v)) {
        json_object_foreach(v, k, x)
        {
            sink += strlen(k);
            walk(x, depth + 1);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) walk(x, depth + 1);
    } else if (json_is_string(v)) {
        sink += json_string_length(v);
    }
}

static void
on_offers(struct cr_sched *s, void *d, json_t *offers)
{
    size_t i;
    json_t *o;
    json_array_foreach(offers, i, o)
    {
        const char *id = cr_json_id(o, "id");
        sink += id ? strlen(id) : 0;
        walk(json_object_get(o, "resources"), 0);
    }
}

static void
on_update(struct cr_sched *s, void *d, json_t *status)
{
    const char *uuid = cr_json_str(status, "uuid");
    sink += uuid ? strlen(uuid) : 0;
    sink += cr_sched_task_state_is_terminal(cr_json_str(status, "state"));
}

static void
on_object(struct cr_sched *s, void *d, json_t *o)
{
    walk(o, 0);
}

static void
on_text(struct cr_sched *s, void *d, const char *t)
{
    sink += strlen(t);
}

static const struct cr_sched_callbacks cbs = {
    .subscribed = on_object,
    .offers = on_offers,
    .rescind = on_text,
    .update = on_update,
    .message = on_object,
    .failure = on_object,
    .error = on_text,
    .disconnected = on_text,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uv_loop_t loop;
    cr_log_set_level((enum cr_log_level) - 1);
    uv_loop_init(&loop);
    json_t *fi = json_pack("{s:s,s:s}", "user", "fuzz", "name", "fuzz");
    struct cr_sched *s = cr_sched_new(&loop, "127.0.0.1:1", fi, &cbs, NULL);
    json_decref(fi);
    s->state = CR_SCHED_SUBSCRIBING;

    struct cr_recordio_reader rd;
    cr_recordio_reader_init(&rd, 1u << 20);
    if (cr_recordio_reader_feed(&rd, (const char *)data, size) == 0) {
        const char *rec;
        size_t len;
        while (cr_recordio_reader_next(&rd, &rec, &len) == CR_PARSE_DONE) {
            char err[128];
            json_t *ev = cr_json_parse(rec, len, err, sizeof(err));
            if (ev)
                cr_sched_handle_event(s, ev);
            json_decref(ev);
        }
    }
    cr_recordio_reader_fini(&rd);
    cr_sched_free(s);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return 0;
}
