/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_registry_record.c: arbitrary bytes through the master's registry
 * record decoder (src/master/registry.c), replayed onto a registry that
 * already holds every kind of entry. A rejected record must leave the
 * registry unchanged; whatever the registry becomes must survive a
 * snapshot round trip exactly.
 */
#include "base/buf.h"
#include "master/registry.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
seed(struct registry *r)
{
    static const char rec[] =
        "{\"format\":\"corral.registry/1\",\"snapshot\":{"
        "\"admitted\":[{\"id\":\"a1\",\"hostname\":\"h1\",\"port\":5051}],"
        "\"unreachable\":[{\"id\":\"a2\",\"hostname\":\"h2\",\"port\":5052,"
        "\"time\":10}],\"gone\":[{\"id\":\"a3\",\"time\":20}],"
        "\"weights\":[{\"role\":\"dev\",\"weight\":2}]}}";
    char err[256];
    if (registry_replay(r, (const uint8_t *)rec, sizeof(rec) - 1, NULL, err,
                        sizeof(err)) != 0)
        abort();
}

static void
check_round_trip(const struct registry *r)
{
    struct cr_buf b;
    struct registry copy;
    char err[256];
    cr_buf_init(&b, 64u << 20);
    registry_init(&copy);
    if (registry_encode_snapshot(r, &b) != 0 ||
        registry_replay(&copy, (const uint8_t *)b.data, b.len, NULL, err,
                        sizeof(err)) != 0)
        abort();
    char *t1 = registry_to_json_text(r), *t2 = registry_to_json_text(&copy);
    if (strcmp(t1, t2) != 0)
        abort();
    free(t1);
    free(t2);
    registry_fini(&copy);
    cr_buf_fini(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct registry r;
    registry_init(&r);
    seed(&r);
    char *before = registry_to_json_text(&r);
    char err[256];
    struct registry_replay_info info;
    if (registry_replay(&r, data, size, &info, err, sizeof(err)) != 0) {
        char *after = registry_to_json_text(&r);
        if (strcmp(before, after) != 0 || err[0] == '\0')
            abort();
        free(after);
    } else if (info.skipped > info.ops) {
        abort();
    }
    check_round_trip(&r);
    free(before);
    registry_fini(&r);
    return 0;
}
