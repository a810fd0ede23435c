/* SPDX-License-Identifier: Apache-2.0
 *
 * json.h: small helpers over jansson for the Mesos JSON mapping.
 *
 * Mesos wraps ids as {"value": "..."}; enums travel as their names; bytes
 * as base64. Returned pointers are borrowed from the json_t they came from
 * and live as long as it does.
 */
#ifndef CR_BASE_JSON_H
#define CR_BASE_JSON_H

#include "buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Largest JSON body any daemon accepts (a big ACCEPT or agent state). */
#define CR_JSON_MAX_BODY (16u * 1024 * 1024)

/* obj[key] as a string, or NULL when absent or not a string. */
const char *cr_json_str(const json_t *obj, const char *key);
/* obj[key]["value"] as a string (Mesos id objects), or NULL. */
const char *cr_json_id(const json_t *obj, const char *key);
/* obj[key] as a number (integer or real) into *out; false if absent. */
bool cr_json_num(const json_t *obj, const char *key, double *out);
/* obj[key] as a bool; def when absent or not a bool. */
bool cr_json_bool(const json_t *obj, const char *key, bool def);
/* A new {"value": value} object. */
json_t *cr_json_id_new(const char *value);
/* Set obj[key] = {"value": value}. */
void cr_json_set_id(json_t *obj, const char *key, const char *value);
/* Parse len bytes; on error return NULL and a one-line reason in err. */
json_t *cr_json_parse(const char *data, size_t len, char *err, size_t errlen);
/* The same with a limit of max bytes instead of CR_JSON_MAX_BODY (for
 * records already bounded by their reader). */
json_t *cr_json_parse_max(const char *data, size_t len, size_t max, char *err,
                          size_t errlen);
/* Serialise compactly with non-ASCII escaped (browser RecordIO readers
 * count bytes as characters). Owned string. */
char *cr_json_dump(const json_t *v);
/* Append the compact serialisation to b. 0 or CR_ETOOBIG. */
int cr_json_dump_buf(const json_t *v, struct cr_buf *b);

#endif
