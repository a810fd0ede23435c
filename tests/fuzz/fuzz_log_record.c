/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_log_record.c: arbitrary bytes through the replicated log's on-disk
 * decoders (action and meta records). Whatever decodes must re-encode to
 * the same bytes (the format has one spelling per value).
 */
#include "base/buf.h"
#include "log/record.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_action(const uint8_t *data, size_t size)
{
    struct cr_log_action a;
    if (cr_log_record_decode_action(data, size, &a) != 0)
        return;
    struct cr_buf b;
    cr_buf_init(&b, CR_LOG_ACTION_RECORD_MIN + CR_LOG_MAX_VALUE);
    if (cr_log_record_encode_action(&a, &b) != 0 || b.len != size ||
        memcmp(b.data, data, size) != 0)
        abort();
    cr_buf_fini(&b);
    cr_log_action_fini(&a);
}

static void
check_meta(const uint8_t *data, size_t size)
{
    struct cr_log_meta m;
    if (cr_log_record_decode_meta(data, size, &m) != 0)
        return;
    uint8_t out[CR_LOG_META_RECORD_LEN];
    cr_log_record_encode_meta(&m, out);
    if (size != sizeof(out) || memcmp(out, data, size) != 0)
        abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_action(data, size);
    check_meta(data, size);
    if (size >= 8)
        (void)cr_log_key_decode(data);
    return 0;
}
