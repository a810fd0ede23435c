/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_log_msg.c: arbitrary bytes through the replicated log's JSON
 * message decoder (the body of POST /corral/v1/log and of its answers).
 * Whatever decodes must pass the message checks and survive an
 * encode/decode round trip unchanged.
 */
#include "base/buf.h"
#include "log/msg.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cr_log_msg m;
    char err[256];
    if (cr_log_msg_from_json((const char *)data, size, &m, err, sizeof(err)) !=
        0)
        return 0;
    if (cr_log_msg_check(&m) != 0)
        abort();
    struct cr_buf a, b;
    cr_buf_init(&a, 64u << 20);
    cr_buf_init(&b, 64u << 20);
    struct cr_log_msg again;
    if (cr_log_msg_to_json(&m, &a) != 0 ||
        cr_log_msg_from_json(a.data, a.len, &again, err, sizeof(err)) != 0 ||
        cr_log_msg_to_json(&again, &b) != 0 || a.len != b.len ||
        memcmp(a.data, b.data, a.len) != 0)
        abort();
    cr_log_msg_fini(&again);
    cr_log_msg_fini(&m);
    cr_buf_fini(&a);
    cr_buf_fini(&b);
    return 0;
}
