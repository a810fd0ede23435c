/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_resources_json.c: the v1 JSON Resource array parser; accepted values
 * must survive a v1 JSON round trip and encode as v0 JSON.
 */
#include "base/json.h"
#include "model/resources.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    json_t *j = cr_json_parse((const char *)data, size, err, sizeof(err));
    if (j == NULL)
        return 0;
    struct cr_resources r, back;
    cr_resources_init(&r);
    cr_resources_init(&back);
    if (cr_resources_parse_json(&r, j, NULL, err, sizeof(err)) == 0) {
        json_t *out = cr_resources_to_json(&r, NULL);
        if (cr_resources_parse_json(&back, out, NULL, err, sizeof(err)) != 0 ||
            !cr_resources_equal(&r, &back))
            abort();
        json_decref(out);
        json_decref(cr_resources_to_v0_json(&r));
        struct cr_resources part;
        cr_resources_init(&part);
        cr_resources_allocatable_to(&part, &r, "a/b");
        if (!cr_resources_contains(&r, &part))
            abort();
        cr_resources_fini(&part);
    }
    json_decref(j);
    cr_resources_fini(&r);
    cr_resources_fini(&back);
    return 0;
}
