/* SPDX-License-Identifier: Apache-2.0
 *
 * id.h: random identifiers and base64.
 *
 * UUIDs are version 4, from getrandom(2). TaskStatus uuids travel as 16 raw
 * bytes, base64 encoded (24 characters), as in Mesos's JSON mapping.
 */
#ifndef CR_BASE_ID_H
#define CR_BASE_ID_H

#include <stddef.h>
#include <stdint.h>

#define CR_UUID_STR_LEN 36 /* without the terminating NUL */

/* Fill p with n random bytes. */
void cr_random_bytes(void *p, size_t n);
/* Write 16 random bytes forming a v4 UUID. */
void cr_uuid_bytes(uint8_t out[16]);
/* Write a v4 UUID as text ("xxxxxxxx-xxxx-4xxx-...") into out[37]. */
void cr_uuid_str(char out[CR_UUID_STR_LEN + 1]);
/* Format 16 bytes as UUID text into out[37]. */
void cr_uuid_format(const uint8_t in[16], char out[CR_UUID_STR_LEN + 1]);

/* Base64 (standard alphabet, padded). Encoded length for n bytes. */
size_t cr_base64_encoded_len(size_t n);
/* Encode n bytes into out (cr_base64_encoded_len(n) + 1 bytes). */
void cr_base64_encode(const uint8_t *in, size_t n, char *out);
/* Decode a NUL-terminated string into out (room for at least
 * strlen(in) / 4 * 3 bytes); writes the length to *outlen.
 * 0, or CR_EINVAL_INPUT for bad characters or padding. */
int cr_base64_decode(const char *in, uint8_t *out, size_t *outlen);

#endif
