/* SPDX-License-Identifier: Apache-2.0
 *
 * hash.h: uthash with the FNV-1a hash. uthash's default Jenkins hash has
 * unannotated switch fall-throughs that clang's -Wimplicit-fallthrough
 * rejects. Every agent file includes this instead of <uthash.h>, so all
 * tables agree on the hash function.
 */
#ifndef CR_AGENT_HASH_H
#define CR_AGENT_HASH_H

#define HASH_FUNCTION(keyptr, keylen, hashv) HASH_FNV(keyptr, keylen, hashv)
#include <uthash.h>

#endif
