/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_resources_text.c: the --resources text parser, plus the invariants
 * every parsed value must keep: text and v1 JSON round trips give an equal
 * value, a + a contains a, and (a + a) - a keeps a's scalar quantities
 * (ranges and sets are idempotent under +, so they vanish).
 */
#include "base/mem.h"
#include "model/resources.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_round_trips(const struct cr_resources *r)
{
    char err[256];
    struct cr_resources back, sum;
    cr_resources_init(&back);
    cr_resources_init(&sum);

    char *text = cr_resources_to_text(r);
    if (cr_resources_parse_text(&back, text, NULL, err, sizeof(err)) != 0 ||
        !cr_resources_equal(r, &back))
        abort();
    free(text);

    json_t *j = cr_resources_to_json(r, "role");
    if (cr_resources_parse_json(&back, j, NULL, err, sizeof(err)) != 0 ||
        !cr_resources_equal(r, &back))
        abort();
    json_decref(j);
    json_decref(cr_resources_to_v0_json(r));

    cr_resources_copy(&sum, r);
    cr_resources_add(&sum, r);
    if (!cr_resources_contains(&sum, r) || !cr_resources_subtract(&sum, r))
        abort();
    int64_t q1[CR_RES_NFIXED], q2[CR_RES_NFIXED];
    cr_resources_quantities(r, q1);
    cr_resources_quantities(&sum, q2);
    if (memcmp(q1, q2, sizeof(q1)) != 0)
        abort();
    cr_resources_fini(&back);
    cr_resources_fini(&sum);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = cr_xstrndup((const char *)data, size);
    char err[256];
    struct cr_resources r;
    cr_resources_init(&r);
    if (cr_resources_parse_text(&r, text, "dflt", err, sizeof(err)) == 0)
        check_round_trips(&r);
    else if (!cr_resources_is_empty(&r) || memchr(err, '\n', strlen(err)))
        abort();
    cr_resources_fini(&r);
    free(text);
    return 0;
}
