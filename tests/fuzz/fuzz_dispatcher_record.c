/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_dispatcher_record.c: corral-dispatcher's znode decoders on
 * arbitrary input (what a restarted or newly elected dispatcher reads back
 * from ZooKeeper). The first byte picks the decoder: a driver record of
 * one of the four states (the znode name is the record's own "id" when it
 * has one), the framework id node, or a counter node name. A record that
 * decodes must encode again, and decode again to the same encoding.
 */
#include "base/mem.h"
#include "dispatcher/record.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The "id" of the input when it is a JSON object with one, else a fixed
 * valid name. Owned. */
static char *
name_of(const char *s, size_t n)
{
    json_t *o = json_loadb(s, n, 0, NULL);
    const char *id = json_string_value(json_object_get(o, "id"));
    char *out = cr_xstrdup(id ? id : "driver-20240101000000-0001");
    json_decref(o);
    return out;
}

static void
record(const char *s, size_t n, enum disp_drv_state st)
{
    char *name = name_of(s, n);
    struct disp_driver *d = NULL;
    char err[256];
    int rc = disp_record_decode(s, n, name, st, &d, err, sizeof(err));
    if ((rc == 0) != (d != NULL))
        abort();
    if (rc == 0) {
        if (strcmp(d->id, name) != 0 || d->state != st || d->mem_mb < 0)
            abort();
        size_t len = 0, len2 = 0;
        char *enc = disp_record_encode(d, &len);
        struct disp_driver *d2 = NULL;
        if (enc == NULL ||
            disp_record_decode(enc, len, name, st, &d2, err, sizeof(err)) != 0)
            abort();
        char *enc2 = disp_record_encode(d2, &len2);
        if (enc2 == NULL || len != len2 || memcmp(enc, enc2, len) != 0)
            abort();
        free(enc);
        free(enc2);
        disp_driver_free(d2);
    }
    disp_driver_free(d);
    free(name);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > (1u << 20))
        return 0;
    const char *s = (const char *)data + 1;
    size_t n = size - 1;
    unsigned which = data[0] % 6;
    if (which < 4) {
        record(s, n, (enum disp_drv_state)which);
    } else if (which == 4) {
        char fw[DISP_MAX_FW_ID], err[128];
        if (disp_framework_decode(s, n, fw, sizeof(fw), err, sizeof(err)) ==
                0 &&
            !disp_framework_id_valid(fw))
            abort();
    } else {
        char *name = cr_xstrndup(s, n);
        unsigned long v;
        if (disp_counter_parse(name, &v) == 0) {
            char back[32];
            disp_counter_name(back, sizeof(back), v);
            unsigned long w;
            if (disp_counter_parse(back, &w) != 0 || w != v)
                abort();
        }
        free(name);
    }
    return 0;
}
