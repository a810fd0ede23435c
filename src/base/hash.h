/* SPDX-License-Identifier: Apache-2.0
 *
 * hash.h: uthash, configured once for the whole project.
 *
 * uthash's default Jenkins hash has unannotated switch fall-throughs that
 * clang's -Wimplicit-fallthrough rejects; FNV-1a (shipped with uthash) is
 * used instead. Include this, never <uthash.h> directly, so every table in
 * a program agrees on the hash function.
 */
#ifndef CR_BASE_HASH_H
#define CR_BASE_HASH_H

#ifndef HASH_FUNCTION
#define HASH_FUNCTION(keyptr, keylen, hashv) HASH_FNV(keyptr, keylen, hashv)
#endif
#include <uthash.h>

#endif
