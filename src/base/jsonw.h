/* SPDX-License-Identifier: Apache-2.0
 *
 * jsonw.h: a streaming JSON writer into a cr_buf, for documents too big
 * to build as a jansson tree first (the master's /master/state of a
 * 20k-agent cluster).
 *
 * Output is byte-for-byte what cr_json_dump() would print for the same
 * tree: compact separators, non-ASCII escaped as \uXXXX (uppercase hex,
 * surrogate pairs), reals as jansson prints them with
 * JSON_REAL_PRECISION(16) ("%.16g", ".0" appended to integral values,
 * exponents without '+' or leading zeros), integers in decimal. Reals use
 * an exact integer-arithmetic formatter in the common range and snprintf
 * elsewhere, so formatting never dominates a large document.
 *
 * Commas are placed by the writer: call key() before each member of an
 * object and nothing before array elements. Errors are sticky: the first
 * failure (the buffer reached its maximum: CR_ETOOBIG; nesting deeper than
 * CR_JSONW_MAX_DEPTH or a misplaced end: CR_EINVAL_INPUT) is kept in err
 * and later calls do nothing. A writer may be resumed across calls (and
 * loop turns): all its state is in the struct.
 *
 * Strings given to the writer are C strings and should be UTF-8; an
 * invalid byte is written as \uFFFD (jansson would refuse the string).
 * Non-finite reals are written as null (jansson cannot hold them).
 *
 * Ownership: the writer borrows out; it owns nothing. Threading: none.
 */
#ifndef CR_BASE_JSONW_H
#define CR_BASE_JSONW_H

#include "buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CR_JSONW_MAX_DEPTH 64

struct cr_jsonw {
    struct cr_buf *out;
    int err;
    unsigned depth;
    uint64_t nonempty; /* bit d: the container at depth d has a member */
    bool after_key;    /* a key was written; its value comes next */
};

void cr_jsonw_init(struct cr_jsonw *w, struct cr_buf *out);
/* The first error, or 0. */
int cr_jsonw_error(const struct cr_jsonw *w);

void cr_jsonw_object(struct cr_jsonw *w);
void cr_jsonw_object_end(struct cr_jsonw *w);
void cr_jsonw_array(struct cr_jsonw *w);
void cr_jsonw_array_end(struct cr_jsonw *w);
/* The key of the next object member (_n: len bytes, may hold NULs). */
void cr_jsonw_key(struct cr_jsonw *w, const char *key);
void cr_jsonw_key_n(struct cr_jsonw *w, const char *key, size_t len);

/* Values. A NULL string is written as null. */
void cr_jsonw_string(struct cr_jsonw *w, const char *s);
void cr_jsonw_string_n(struct cr_jsonw *w, const char *s, size_t len);
void cr_jsonw_real(struct cr_jsonw *w, double v);
void cr_jsonw_integer(struct cr_jsonw *w, long long v);
void cr_jsonw_bool(struct cr_jsonw *w, bool v);
void cr_jsonw_null(struct cr_jsonw *w);
/* A jansson value (borrowed), serialised as cr_json_dump() does; NULL is
 * written as null. */
void cr_jsonw_value(struct cr_jsonw *w, const json_t *v);
/* An already encoded JSON value (len bytes), copied as is. */
void cr_jsonw_raw(struct cr_jsonw *w, const char *json, size_t len);

/* key + value shorthands. */
void cr_jsonw_kstring(struct cr_jsonw *w, const char *key, const char *s);
void cr_jsonw_kreal(struct cr_jsonw *w, const char *key, double v);
void cr_jsonw_kinteger(struct cr_jsonw *w, const char *key, long long v);
void cr_jsonw_kbool(struct cr_jsonw *w, const char *key, bool v);
void cr_jsonw_kvalue(struct cr_jsonw *w, const char *key, const json_t *v);

/* Format v as jansson prints a real (see above) into out, which must hold
 * at least CR_JSONW_REAL_MAX bytes; returns the length (NUL-terminated).
 * Non-finite values give "null". Exposed for tests. */
#define CR_JSONW_REAL_MAX 40
size_t cr_jsonw_format_real(double v, char *out);
/* The same through snprintf only (the reference the fast path must equal;
 * for tests). */
size_t cr_jsonw_format_real_slow(double v, char *out);

#endif
