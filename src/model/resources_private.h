/* SPDX-License-Identifier: Apache-2.0
 *
 * resources_private.h: helpers shared by resources.c (arithmetic),
 * resources_codec.c (text / JSON) and attributes.c. Not for other modules.
 */
#ifndef CR_MODEL_RESOURCES_PRIVATE_H
#define CR_MODEL_RESOURCES_PRIVATE_H

#include "base/buf.h"
#include "model/resources.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Index in fixed[] of a common scalar name, or -1. */
int cr_res_fixed_index(const char *name);
/* Name of fixed[i]. */
const char *cr_res_fixed_name(int i);

/* Sort and coalesce (overlapping or adjacent) ranges in place. */
void cr_res_ranges_normalize(struct cr_range *v, uint32_t *n);
/* Sort items, freeing duplicates, in place. */
void cr_res_items_normalize(char **items, uint32_t *n);
/* Release an entry's memory and zero it. */
void cr_res_entry_fini(struct cr_res_entry *e);
/* Merge entry e (normalised; its memory is taken, e is zeroed) into r.
 * Unreserved scalars of the fixed names go to fixed[]; empty entries are
 * dropped. */
void cr_res_add_owned(struct cr_resources *r, struct cr_res_entry *e);

/* Append "[a-b, c-d]" (Mesos stringify) to b. */
void cr_res_ranges_format(struct cr_buf *b, const struct cr_range *v, size_t n,
                          const char *sep);
/* Parse a ranges literal "[a-b, c-d]" (whole string, trimmed) into an
 * owned, normalised array. 0 or CR_EINVAL_INPUT with err. */
int cr_res_ranges_parse(const char *s, struct cr_range **out, uint32_t *n,
                        char *err, size_t errlen);
/* Is s valid UTF-8 (JSON strings must be)? */
bool cr_res_utf8_ok(const char *s);
/* Format an error into err (if errlen > 0); returns CR_EINVAL_INPUT. */
int cr_res_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Convert a value in units to milli-units, rejecting negative, non-finite
 * and too large values. */
bool cr_res_to_milli(double v, int64_t *out);
/* Append a milli value formatted like Mesos ("2", "0.5", "1024"). */
void cr_res_milli_format(struct cr_buf *b, int64_t milli);

#endif
