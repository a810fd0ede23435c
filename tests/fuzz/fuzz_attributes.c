/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_attributes.c: the --attributes parser; accepted values must survive
 * a v1 JSON round trip and encode as v0 JSON.
 */
#include "base/mem.h"
#include "model/attributes.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = cr_xstrndup((const char *)data, size);
    char err[256];
    struct cr_attributes a, back;
    cr_attributes_init(&a);
    cr_attributes_init(&back);
    if (cr_attributes_parse(&a, text, err, sizeof(err)) == 0) {
        json_t *j = cr_attributes_to_json(&a);
        if (cr_attributes_parse_json(&back, j, err, sizeof(err)) != 0 ||
            back.n != a.n)
            abort();
        json_decref(j);
        json_decref(cr_attributes_to_v0_json(&a));
    }
    cr_attributes_fini(&a);
    cr_attributes_fini(&back);
    free(text);
    return 0;
}
