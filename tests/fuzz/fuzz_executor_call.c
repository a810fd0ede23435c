/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_executor_call.c: the executor API call decoder and validator.
 */
#include "agent/exec_call.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct exec_call c;
    char err[256];
    if (exec_call_decode((const char *)data, size, &c, err, sizeof(err)) == 0)
        exec_call_fini(&c);
    return 0;
}
