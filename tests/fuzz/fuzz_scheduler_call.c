/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_scheduler_call.c: the master's decoding of v1 scheduler calls and
 * agent protocol calls: JSON parse, then structural validation. Neither
 * may crash, leak or read out of bounds on any input.
 */
#include "base/json.h"
#include "master/call_validate.h"

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
    scheduler_call_validate(call, err, sizeof(err));
    agent_call_validate(call, err, sizeof(err));
    json_decref(call);
    return 0;
}
