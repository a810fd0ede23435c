/* SPDX-License-Identifier: Apache-2.0
 *
 * attributes.c: agent attributes, parsed from --attributes or v1 JSON and
 * encoded as v1 Attribute arrays or the v0 flat object.
 *
 * Typing follows Mesos's values::parse: "[...]" is RANGES, "{...}" a SET
 * (rejected for attributes), a number is SCALAR, anything else TEXT (which
 * may not contain the characters []{},). Sizes are bounded by CR_ATTR_MAX
 * and the resources limits.
 */
#include "model/attributes.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"
#include "model/resources_private.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ATTR_TEXT_MAX (64u * 1024)

void
cr_attributes_init(struct cr_attributes *a)
{
    a->v = NULL;
    a->n = 0;
}

static void
attr_fini(struct cr_attribute *at)
{
    free(at->name);
    free(at->text);
    free(at->ranges);
    memset(at, 0, sizeof(*at));
}

void
cr_attributes_fini(struct cr_attributes *a)
{
    for (size_t i = 0; i < a->n; i++)
        attr_fini(&a->v[i]);
    free(a->v);
    cr_attributes_init(a);
}

static char *
trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static bool
text_ok(const char *s, const char *banned)
{
    size_t n = strlen(s);
    if (n == 0 || n > CR_RES_MAX_NAME || strpbrk(s, banned) != NULL ||
        !cr_res_utf8_ok(s))
        return false;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < ' ' || s[i] == 0x7f)
            return false;
    }
    return true;
}

static struct cr_attribute *
attr_push(struct cr_attributes *a)
{
    a->v = cr_xrealloc(a->v, (a->n + 1) * sizeof(*a->v));
    struct cr_attribute *at = &a->v[a->n++];
    memset(at, 0, sizeof(*at));
    return at;
}

static bool
parse_scalar(const char *s, double *out)
{
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || end == s || !isfinite(v))
        return false;
    *out = v;
    return true;
}

/* Type and store value (trimmed) into at. */
static int
attr_value(struct cr_attribute *at, const char *value, char *err, size_t errlen)
{
    if (value[0] == '[') {
        uint32_t n;
        at->type = CR_ATTR_RANGES;
        int rc = cr_res_ranges_parse(value, &at->ranges, &n, err, errlen);
        at->n = n;
        return rc;
    }
    if (value[0] == '{')
        return cr_res_err(err, errlen, "attribute '%s': sets are not supported",
                          at->name);
    if (parse_scalar(value, &at->scalar)) {
        at->type = CR_ATTR_SCALAR;
        return 0;
    }
    if (!text_ok(value, "[]{},"))
        return cr_res_err(err, errlen, "attribute '%s': bad value '%s'",
                          at->name, value);
    at->type = CR_ATTR_TEXT;
    at->text = cr_xstrdup(value);
    return 0;
}

static int
attr_item(struct cr_attributes *out, char *tok, char *err, size_t errlen)
{
    char *colon = strchr(tok, ':');
    if (colon == NULL)
        return cr_res_err(err, errlen,
                          "bad attribute '%s': expected name:value", tok);
    *colon = '\0';
    char *name = trim(tok), *value = trim(colon + 1);
    if (!text_ok(name, "()[]{}:;,") || strchr(name, ' ') != NULL)
        return cr_res_err(err, errlen, "bad attribute name '%s'", name);
    if (*value == '\0')
        return cr_res_err(err, errlen, "attribute '%s' has no value", name);
    if (out->n >= CR_ATTR_MAX)
        return cr_res_err(err, errlen, "too many attributes (max %d)",
                          CR_ATTR_MAX);
    struct cr_attribute *at = attr_push(out);
    at->name = cr_xstrdup(name);
    return attr_value(at, value, err, errlen);
}

int
cr_attributes_parse(struct cr_attributes *out, const char *text, char *err,
                    size_t errlen)
{
    cr_attributes_fini(out);
    if (text == NULL)
        return 0;
    if (strlen(text) > ATTR_TEXT_MAX)
        return cr_res_err(err, errlen, "attributes text too long");
    char *copy = cr_xstrdup(text);
    char *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ";\n", &save); tok != NULL && rc == 0;
         tok = strtok_r(NULL, ";\n", &save)) {
        tok = trim(tok);
        if (*tok != '\0')
            rc = attr_item(out, tok, err, errlen);
    }
    free(copy);
    if (rc != 0)
        cr_attributes_fini(out);
    return rc;
}

/* ---- JSON ---------------------------------------------------------------- */

static int
json_attr_ranges(struct cr_attribute *at, const json_t *o, char *err,
                 size_t errlen)
{
    const json_t *arr = json_object_get(json_object_get(o, "ranges"), "range");
    if (arr == NULL)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > CR_RES_MAX_RANGES)
        return cr_res_err(err, errlen, "attribute '%s': bad ranges", at->name);
    size_t n = json_array_size(arr);
    at->ranges = cr_xmalloc((n ? n : 1) * sizeof(struct cr_range));
    for (size_t i = 0; i < n; i++) {
        const json_t *b = json_object_get(json_array_get(arr, i), "begin");
        const json_t *e = json_object_get(json_array_get(arr, i), "end");
        if (!json_is_integer(b) || !json_is_integer(e) ||
            json_integer_value(b) < 0 ||
            json_integer_value(b) > json_integer_value(e))
            return cr_res_err(err, errlen, "attribute '%s': bad range",
                              at->name);
        at->ranges[at->n++] = (struct cr_range){
            (uint64_t)json_integer_value(b), (uint64_t)json_integer_value(e)};
    }
    uint32_t n32 = (uint32_t)at->n;
    cr_res_ranges_normalize(at->ranges, &n32);
    at->n = n32;
    return 0;
}

static int
json_attr(struct cr_attributes *out, const json_t *o, char *err, size_t errlen)
{
    const char *name = cr_json_str(o, "name");
    const char *type = cr_json_str(o, "type");
    if (name == NULL || !text_ok(name, "()[]{}:;,") || type == NULL)
        return cr_res_err(err, errlen, "attribute without a valid name/type");
    struct cr_attribute *at = attr_push(out);
    at->name = cr_xstrdup(name);
    if (strcmp(type, "SCALAR") == 0) {
        at->type = CR_ATTR_SCALAR;
        if (!cr_json_num(json_object_get(o, "scalar"), "value", &at->scalar) ||
            !isfinite(at->scalar))
            return cr_res_err(err, errlen, "attribute '%s': bad scalar", name);
        return 0;
    }
    if (strcmp(type, "TEXT") == 0) {
        at->type = CR_ATTR_TEXT;
        const char *v = cr_json_str(json_object_get(o, "text"), "value");
        if (v == NULL || !text_ok(v, ""))
            return cr_res_err(err, errlen, "attribute '%s': bad text", name);
        at->text = cr_xstrdup(v);
        return 0;
    }
    if (strcmp(type, "RANGES") == 0) {
        at->type = CR_ATTR_RANGES;
        return json_attr_ranges(at, o, err, errlen);
    }
    return cr_res_err(err, errlen, "attribute '%s': unsupported type '%s'",
                      name, type);
}

int
cr_attributes_parse_json(struct cr_attributes *out, const json_t *array,
                         char *err, size_t errlen)
{
    cr_attributes_fini(out);
    if (!json_is_array(array))
        return cr_res_err(err, errlen, "attributes: expected a JSON array");
    if (json_array_size(array) > CR_ATTR_MAX)
        return cr_res_err(err, errlen, "too many attributes (max %d)",
                          CR_ATTR_MAX);
    int rc = 0;
    for (size_t i = 0; i < json_array_size(array) && rc == 0; i++) {
        const json_t *o = json_array_get(array, i);
        rc = json_is_object(o)
                 ? json_attr(out, o, err, errlen)
                 : cr_res_err(err, errlen, "attribute is not an object");
    }
    if (rc != 0)
        cr_attributes_fini(out);
    return rc;
}

static json_t *
ranges_string(const struct cr_attribute *at)
{
    struct cr_buf b;
    cr_buf_init(&b, SIZE_MAX / 2);
    cr_res_ranges_format(&b, at->ranges, at->n, ", ");
    json_t *s = json_string(b.data);
    cr_buf_fini(&b);
    return s;
}

json_t *
cr_attributes_to_json(const struct cr_attributes *a)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < a->n; i++) {
        const struct cr_attribute *at = &a->v[i];
        json_t *o = json_pack("{s:s}", "name", at->name);
        if (at->type == CR_ATTR_SCALAR) {
            json_object_set_new(o, "type", json_string("SCALAR"));
            json_object_set_new(o, "scalar",
                                json_pack("{s:f}", "value", at->scalar));
        } else if (at->type == CR_ATTR_RANGES) {
            json_t *r = json_array();
            for (size_t k = 0; k < at->n; k++)
                json_array_append_new(
                    r, json_pack("{s:I,s:I}", "begin",
                                 (json_int_t)at->ranges[k].begin, "end",
                                 (json_int_t)at->ranges[k].end));
            json_object_set_new(o, "type", json_string("RANGES"));
            json_object_set_new(o, "ranges", json_pack("{s:o}", "range", r));
        } else {
            json_object_set_new(o, "type", json_string("TEXT"));
            json_object_set_new(o, "text",
                                json_pack("{s:s}", "value", at->text));
        }
        json_array_append_new(arr, o);
    }
    return arr;
}

json_t *
cr_attributes_to_v0_json(const struct cr_attributes *a)
{
    json_t *o = json_object();
    for (size_t i = 0; i < a->n; i++) {
        const struct cr_attribute *at = &a->v[i];
        json_t *v = at->type == CR_ATTR_SCALAR   ? json_real(at->scalar)
                    : at->type == CR_ATTR_RANGES ? ranges_string(at)
                                                 : json_string(at->text);
        json_object_set_new(o, at->name, v);
    }
    return o;
}

const struct cr_attribute *
cr_attributes_get(const struct cr_attributes *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++) {
        if (strcmp(a->v[i].name, name) == 0)
            return &a->v[i];
    }
    return NULL;
}
