/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_agent_call.c: the agent's decoding of v1 operator calls
 * (POST /api/v1 on the agent, mesos.v1.agent.Call). It may not crash,
 * leak or read out of bounds on any input, and answers only 0, 400 or
 * 501.
 */
#include "agent/operator_call.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct agent_call c;
    char err[256];
    int rc = agent_call_decode((const char *)data, size, &c, err, sizeof(err));
    if (rc != 0 && rc != 400 && rc != 501)
        abort();
    if (rc != 400)
        agent_call_fini(&c);
    return 0;
}
