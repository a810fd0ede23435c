/* SPDX-License-Identifier: Apache-2.0
 *
 * json.c: see json.h.
 */
#include "json.h"

#include "err.h"
#include "mem.h"

#include <stdio.h>
#include <string.h>

#define DUMP_FLAGS (JSON_COMPACT | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(16))

const char *
cr_json_str(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

const char *
cr_json_id(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_object(v) ? cr_json_str(v, "value") : NULL;
}

bool
cr_json_num(const json_t *obj, const char *key, double *out)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_number(v))
        return false;
    *out = json_number_value(v);
    return true;
}

bool
cr_json_bool(const json_t *obj, const char *key, bool def)
{
    json_t *v = json_object_get(obj, key);
    return json_is_boolean(v) ? json_is_true(v) : def;
}

json_t *
cr_json_id_new(const char *value)
{
    return json_pack("{s:s}", "value", value);
}

void
cr_json_set_id(json_t *obj, const char *key, const char *value)
{
    json_object_set_new(obj, key, cr_json_id_new(value));
}

json_t *
cr_json_parse(const char *data, size_t len, char *err, size_t errlen)
{
    return cr_json_parse_max(data, len, CR_JSON_MAX_BODY, err, errlen);
}

json_t *
cr_json_parse_max(const char *data, size_t len, size_t max, char *err,
                  size_t errlen)
{
    json_error_t e;
    if (len > max) {
        snprintf(err, errlen, "JSON body of %zu bytes exceeds the limit", len);
        return NULL;
    }
    json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &e);
    if (v == NULL)
        snprintf(err, errlen, "invalid JSON at line %d column %d: %s", e.line,
                 e.column, e.text);
    return v;
}

char *
cr_json_dump(const json_t *v)
{
    char *s = json_dumps(v, DUMP_FLAGS | JSON_ENCODE_ANY);
    if (s == NULL)
        return cr_xstrdup("null");
    /* json_dumps uses malloc; hand back our own allocation so callers can
     * free uniformly. */
    return s;
}

static int
dump_cb(const char *buffer, size_t size, void *data)
{
    return cr_buf_append(data, buffer, size) ? -1 : 0;
}

int
cr_json_dump_buf(const json_t *v, struct cr_buf *b)
{
    return json_dump_callback(v, dump_cb, b, DUMP_FLAGS | JSON_ENCODE_ANY)
               ? CR_ETOOBIG
               : 0;
}
