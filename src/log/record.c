/* SPDX-License-Identifier: Apache-2.0
 *
 * record.c: see record.h. Fixed offsets, explicit little-endian loads and
 * stores (no struct punning), checksum verified before any field is used.
 */
#include "record.h"

#include "base/err.h"
#include "base/mem.h"

#include <string.h>

static const uint8_t action_magic[4] = {'C', 'L', 'A', '1'};
static const uint8_t meta_magic[4] = {'C', 'L', 'M', '1'};

/* Half-byte table: constant, so any thread may checksum. */
static const uint32_t crc_nibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu,
    0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
    0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t
cr_log_crc32(const void *p, size_t n)
{
    const uint8_t *s = p;
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        crc ^= s[i];
        crc = crc_nibble[crc & 0xF] ^ (crc >> 4);
        crc = crc_nibble[crc & 0xF] ^ (crc >> 4);
    }
    return crc ^ 0xFFFFFFFFu;
}

static void
put_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void
put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
get_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

static uint64_t
get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

void
cr_log_key_encode(uint64_t position, uint8_t out[8])
{
    for (int i = 0; i < 8; i++)
        out[i] = (uint8_t)(position >> (56 - 8 * i));
}

uint64_t
cr_log_key_decode(const uint8_t in[8])
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | in[i];
    return v;
}

int
cr_log_record_encode_action(const struct cr_log_action *a, struct cr_buf *b)
{
    if (cr_log_action_check(a) != 0)
        return CR_EPROTO_DATA;
    uint8_t h[CR_LOG_ACTION_HEADER_LEN];
    memcpy(h, action_magic, 4);
    h[4] = (uint8_t)a->type;
    h[5] = a->learned ? 1 : 0;
    h[6] = h[7] = 0;
    put_u64(h + 8, a->position);
    put_u64(h + 16, a->promised);
    put_u64(h + 24, a->performed);
    put_u64(h + 32, a->truncate_to);
    put_u32(h + 40, (uint32_t)a->value_len);
    /* The checksum covers header and value, computed as one run. */
    size_t start = b->len;
    int rc = cr_buf_append(b, h, sizeof(h));
    if (rc == 0 && a->value_len > 0)
        rc = cr_buf_append(b, a->value, a->value_len);
    uint8_t crc[4];
    if (rc == 0) {
        put_u32(crc, cr_log_crc32(b->data + start, b->len - start));
        rc = cr_buf_append(b, crc, 4);
    }
    if (rc != 0 && b->data != NULL) {
        b->len = start;
        b->data[start] = '\0';
    }
    return rc;
}

int
cr_log_record_decode_action(const uint8_t *p, size_t n,
                            struct cr_log_action *out)
{
    memset(out, 0, sizeof(*out));
    if (n < CR_LOG_ACTION_RECORD_MIN || memcmp(p, action_magic, 4) != 0)
        return CR_EPROTO_DATA;
    uint32_t len = get_u32(p + 40);
    if (len > CR_LOG_MAX_VALUE || n != CR_LOG_ACTION_RECORD_MIN + len)
        return CR_EPROTO_DATA;
    if (get_u32(p + n - 4) != cr_log_crc32(p, n - 4))
        return CR_EPROTO_DATA;
    if ((p[5] & ~1u) != 0 || p[6] != 0 || p[7] != 0)
        return CR_EPROTO_DATA;
    struct cr_log_action a = {
        .position = get_u64(p + 8),
        .promised = get_u64(p + 16),
        .performed = get_u64(p + 24),
        .learned = (p[5] & 1) != 0,
        .type = (enum cr_log_action_type)p[4],
        .truncate_to = get_u64(p + 32),
        .value_len = len,
    };
    /* Check with a stand-in pointer before allocating anything. */
    static const uint8_t probe;
    a.value = len > 0 ? (uint8_t *)(uintptr_t)&probe : NULL;
    if (cr_log_action_check(&a) != 0)
        return CR_EPROTO_DATA;
    if (len > 0) {
        a.value = cr_xmalloc(len);
        memcpy(a.value, p + CR_LOG_ACTION_HEADER_LEN, len);
    }
    *out = a;
    return 0;
}

void
cr_log_record_encode_meta(const struct cr_log_meta *m,
                          uint8_t out[CR_LOG_META_RECORD_LEN])
{
    memset(out, 0, CR_LOG_META_RECORD_LEN);
    memcpy(out, meta_magic, 4);
    out[4] = (uint8_t)m->status;
    put_u64(out + 8, m->promised);
    put_u64(out + 16, m->begin);
    put_u32(out + 24, cr_log_crc32(out, 24));
}

int
cr_log_record_decode_meta(const uint8_t *p, size_t n, struct cr_log_meta *out)
{
    if (n != CR_LOG_META_RECORD_LEN || memcmp(p, meta_magic, 4) != 0)
        return CR_EPROTO_DATA;
    if (get_u32(p + 24) != cr_log_crc32(p, 24))
        return CR_EPROTO_DATA;
    if (p[5] != 0 || p[6] != 0 || p[7] != 0)
        return CR_EPROTO_DATA;
    struct cr_log_meta m = {
        .status = (enum cr_log_status)p[4],
        .promised = get_u64(p + 8),
        .begin = get_u64(p + 16),
    };
    if (m.status < CR_LOG_EMPTY || m.status > CR_LOG_VOTING ||
        m.promised > CR_LOG_MAX_U63 || m.begin == 0 || m.begin > CR_LOG_MAX_U63)
        return CR_EPROTO_DATA;
    *out = m;
    return 0;
}
