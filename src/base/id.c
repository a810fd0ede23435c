/* SPDX-License-Identifier: Apache-2.0
 *
 * id.c: see id.h.
 */
#include "id.h"

#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void
cr_random_bytes(void *p, size_t n)
{
    uint8_t *q = p;
    while (n > 0) {
        ssize_t r = getrandom(q, n, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "corral: getrandom failed\n");
            abort();
        }
        q += r;
        n -= (size_t)r;
    }
}

void
cr_uuid_bytes(uint8_t out[16])
{
    cr_random_bytes(out, 16);
    out[6] = (uint8_t)((out[6] & 0x0f) | 0x40);
    out[8] = (uint8_t)((out[8] & 0x3f) | 0x80);
}

void
cr_uuid_format(const uint8_t b[16], char out[CR_UUID_STR_LEN + 1])
{
    snprintf(out, CR_UUID_STR_LEN + 1,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
             "%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10],
             b[11], b[12], b[13], b[14], b[15]);
}

void
cr_uuid_str(char out[CR_UUID_STR_LEN + 1])
{
    uint8_t b[16];
    cr_uuid_bytes(b);
    cr_uuid_format(b, out);
}

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t
cr_base64_encoded_len(size_t n)
{
    return (n + 2) / 3 * 4;
}

void
cr_base64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < n)
            v |= (uint32_t)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = b64[(v >> 18) & 63];
        out[o++] = b64[(v >> 12) & 63];
        out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? b64[v & 63] : '=';
    }
    out[o] = '\0';
}

static int
b64_value(char c)
{
    const char *p = c ? strchr(b64, c) : NULL;
    return p ? (int)(p - b64) : -1;
}

int
cr_base64_decode(const char *in, uint8_t *out, size_t *outlen)
{
    size_t len = strlen(in);
    size_t o = 0;
    if (len % 4 != 0)
        return CR_EINVAL_INPUT;
    for (size_t i = 0; i < len; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            char c = in[i + k];
            if (c == '=' && i + 4 == len && k >= 2) {
                v[k] = 0;
                pad++;
                continue;
            }
            if (pad)
                return CR_EINVAL_INPUT; /* data after padding */
            v[k] = b64_value(c);
            if (v[k] < 0)
                return CR_EINVAL_INPUT;
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 |
                     (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[o++] = (uint8_t)(w >> 16);
        if (pad < 2)
            out[o++] = (uint8_t)(w >> 8);
        if (pad < 1)
            out[o++] = (uint8_t)w;
    }
    *outlen = o;
    return 0;
}
