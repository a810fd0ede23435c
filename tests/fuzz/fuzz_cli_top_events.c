/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_cli_top_events.c: `corral top`'s model of the operator event
 * stream. Arbitrary bytes are read as a RecordIO stream (a master's
 * SUBSCRIBE answer on /api/v1); each record is parsed as JSON and applied
 * to the model, which is then rendered twice: whole, and cut to a small
 * ANSI screen. Nothing may crash, leak or read out of bounds.
 */
#include "base/buf.h"
#include "base/json.h"
#include "cli/top_model.h"
#include "net/recordio.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
render(struct top_model *m, size_t width, size_t height, bool ansi)
{
    struct top_view v = {
        .title = "fuzz", .width = width, .height = height, .ansi = ansi};
    struct cr_buf b;
    cr_buf_init(&b, 1u << 24);
    top_model_render(m, &v, &b);
    cr_buf_fini(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cr_recordio_reader rd;
    struct top_model *m = top_model_new();
    cr_recordio_reader_init(&rd, 1u << 20);
    if (cr_recordio_reader_feed(&rd, (const char *)data, size) == 0) {
        const char *rec;
        size_t len;
        while (cr_recordio_reader_next(&rd, &rec, &len) == CR_PARSE_DONE) {
            char err[128];
            json_t *ev = cr_json_parse(rec, len, err, sizeof(err));
            if (ev == NULL)
                continue;
            top_model_apply(m, ev);
            json_decref(ev);
        }
    }
    cr_recordio_reader_fini(&rd);
    render(m, 0, 0, false);
    render(m, 40, 12, true);
    top_model_free(m);
    return 0;
}
