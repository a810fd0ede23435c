/* SPDX-License-Identifier: Apache-2.0
 *
 * record.h: the on-disk encoding of actions and replica metadata.
 *
 * Records are little-endian, fixed layout, versioned by a 4-byte magic and
 * closed by a CRC-32 (IEEE) of everything before it, so a torn or flipped
 * record is reported as CR_EPROTO_DATA instead of being believed:
 *
 *   action: "CLA1" type:u8 flags:u8 (bit 0 learned) zero:u16
 *           position:u64 promised:u64 performed:u64 truncate_to:u64
 *           value_len:u32 value[value_len] crc:u32
 *   meta:   "CLM1" status:u8 zero:u8[3] promised:u64 begin:u64 crc:u32
 *
 * Keys of the action table are positions as 8 big-endian bytes (memcmp
 * order is numeric order). Decoders never trust a length they have not
 * checked against the input size and CR_LOG_MAX_VALUE.
 */
#ifndef CR_LOG_RECORD_H
#define CR_LOG_RECORD_H

#include "action.h"
#include "base/buf.h"

#include <stddef.h>
#include <stdint.h>

#define CR_LOG_ACTION_HEADER_LEN 44u
#define CR_LOG_ACTION_RECORD_MIN (CR_LOG_ACTION_HEADER_LEN + 4u)
#define CR_LOG_META_RECORD_LEN   28u

/* CRC-32 (IEEE 802.3, as zlib's crc32) of n bytes. */
uint32_t cr_log_crc32(const void *p, size_t n);

/* Append the record of a to b. 0, CR_EPROTO_DATA if a fails
 * cr_log_action_check, or CR_ETOOBIG. */
int cr_log_record_encode_action(const struct cr_log_action *a,
                                struct cr_buf *b);
/* Decode n bytes into out (OUT; its value is a new allocation the caller
 * frees with cr_log_action_fini). 0 or CR_EPROTO_DATA (bad magic, length,
 * checksum or field). */
int cr_log_record_decode_action(const uint8_t *p, size_t n,
                                struct cr_log_action *out);

/* Write the meta record into out. */
void cr_log_record_encode_meta(const struct cr_log_meta *m,
                               uint8_t out[CR_LOG_META_RECORD_LEN]);
/* Decode a meta record. 0 or CR_EPROTO_DATA. */
int cr_log_record_decode_meta(const uint8_t *p, size_t n,
                              struct cr_log_meta *out);

/* Position <-> 8-byte big-endian key. */
void cr_log_key_encode(uint64_t position, uint8_t out[8]);
uint64_t cr_log_key_decode(const uint8_t in[8]);

#endif
