/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_operator_call.c: the master's decoding of v1 operator calls
 * (POST /api/v1): JSON parse, then operator_call_validate. Neither may
 * crash, leak or read out of bounds on any input.
 */
#include "base/json.h"
#include "master/operator_api.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    json_t *call = cr_json_parse((const char *)data, size, err, sizeof(err));
    if (call == NULL)
        return 0;
    operator_call_validate(call, err, sizeof(err));
    json_decref(call);
    return 0;
}
