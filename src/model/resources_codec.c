/* SPDX-License-Identifier: Apache-2.0
 *
 * resources_codec.c: cr_resources <-> Mesos text form, v1 JSON Resource
 * arrays and the v0 flat JSON object.
 *
 * Every input size is bounded (resources.h CR_RES_MAX_*); errors are one
 * line naming the offending token. Parsers build into `out` and clear it
 * on error, so a failed parse never leaves a half-filled value.
 */
#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"
#include "model/resources.h"
#include "model/resources_private.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_MAX     (1u << 20) /* bytes of a text or file form */
#define JSON_MAX_ELT 1024       /* elements of a JSON array */

/* ---- small text helpers -------------------------------------------------- */

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

/* A name, item or principal: non-empty, bounded, no control characters. */
static bool
token_ok(const char *s, bool allow_space)
{
    size_t n = strlen(s);
    if (n == 0 || n > CR_RES_MAX_NAME || !cr_res_utf8_ok(s))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < ' ' || c == 0x7f || (!allow_space && c == ' '))
            return false;
    }
    return true;
}

static bool
name_ok(const char *s)
{
    return token_ok(s, false) && strpbrk(s, "()[]{}:;,") == NULL;
}

static bool
parse_u64(const char *s, uint64_t *out)
{
    if (!isdigit((unsigned char)*s))
        return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > INT64_MAX)
        return false;
    *out = v;
    return true;
}

static bool
parse_double(const char *s, double *out)
{
    if (*s == '\0')
        return false;
    errno = 0;
    char *end;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0')
        return false;
    *out = v;
    return true;
}

/* ---- ranges and sets ----------------------------------------------------- */

void
cr_res_ranges_format(struct cr_buf *b, const struct cr_range *v, size_t n,
                     const char *sep)
{
    (void)cr_buf_puts(b, "[");
    for (size_t i = 0; i < n; i++) {
        (void)cr_buf_printf(b, "%s%llu-%llu", i ? sep : "",
                            (unsigned long long)v[i].begin,
                            (unsigned long long)v[i].end);
    }
    (void)cr_buf_puts(b, "]");
}

static int
range_token(char *tok, struct cr_range *r, char *err, size_t errlen)
{
    char *dash = strchr(tok, '-');
    char *a = tok, *b = tok;
    if (dash != NULL) {
        *dash = '\0';
        b = dash + 1;
    }
    a = trim(a);
    b = trim(b);
    if (!parse_u64(a, &r->begin) || !parse_u64(b, &r->end))
        return cr_res_err(err, errlen, "bad range '%s%s%s'", a, dash ? "-" : "",
                          dash ? b : "");
    if (r->begin > r->end)
        return cr_res_err(err, errlen, "bad range '%s-%s': begin > end", a, b);
    return 0;
}

int
cr_res_ranges_parse(const char *s, struct cr_range **out, uint32_t *n,
                    char *err, size_t errlen)
{
    *out = NULL;
    *n = 0;
    size_t len = strlen(s);
    if (len < 2 || s[0] != '[' || s[len - 1] != ']')
        return cr_res_err(err, errlen, "bad ranges '%s': expected [a-b,...]",
                          s);
    char *copy = cr_xstrndup(s + 1, len - 2);
    uint32_t cap = 0;
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        tok = trim(tok);
        if (*tok == '\0')
            continue;
        if (*n >= CR_RES_MAX_RANGES) {
            rc = cr_res_err(err, errlen, "too many ranges (max %d)",
                            CR_RES_MAX_RANGES);
            break;
        }
        if (*n == cap) {
            cap = cap ? cap * 2 : 4;
            *out = cr_xrealloc(*out, cap * sizeof(**out));
        }
        rc = range_token(tok, &(*out)[*n], err, errlen);
        if (rc != 0)
            break;
        (*n)++;
    }
    free(copy);
    if (rc != 0) {
        CR_FREE(*out);
        *n = 0;
        return rc;
    }
    cr_res_ranges_normalize(*out, n);
    return 0;
}

static int
set_parse(const char *s, struct cr_res_entry *e, char *err, size_t errlen)
{
    size_t len = strlen(s);
    if (len < 2 || s[0] != '{' || s[len - 1] != '}')
        return cr_res_err(err, errlen, "bad set '%s': expected {a,b,...}", s);
    char *copy = cr_xstrndup(s + 1, len - 2);
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL;
         tok = strtok_r(NULL, ",", &save)) {
        tok = trim(tok);
        if (*tok == '\0')
            continue;
        if (!token_ok(tok, true)) {
            rc = cr_res_err(err, errlen, "bad set item '%s'", tok);
            break;
        }
        if (e->n >= CR_RES_MAX_ITEMS) {
            rc = cr_res_err(err, errlen, "too many set items (max %d)",
                            CR_RES_MAX_ITEMS);
            break;
        }
        if (e->n == e->cap) {
            e->cap = e->cap ? e->cap * 2 : 4;
            e->u.items = cr_xrealloc(e->u.items, e->cap * sizeof(char *));
        }
        e->u.items[e->n++] = cr_xstrdup(tok);
    }
    free(copy);
    if (rc == 0)
        cr_res_items_normalize(e->u.items, &e->n);
    return rc;
}

/* ---- text form ----------------------------------------------------------- */

/* Repeated names add up: keep the sums within CR_RES_MAX_SCALAR too. */
static int
check_sums(const struct cr_resources *r, char *err, size_t errlen)
{
    const int64_t max = (int64_t)(CR_RES_MAX_SCALAR * CR_RES_MILLI);
    for (int k = 0; k < CR_RES_NFIXED; k++) {
        if (r->fixed[k] > max)
            return cr_res_err(err, errlen, "'%s' is too large",
                              cr_res_fixed_name(k));
    }
    for (uint32_t i = 0; i < r->n; i++) {
        if (r->ents[i].type == CR_RES_SCALAR && r->ents[i].scalar > max)
            return cr_res_err(err, errlen, "'%s' is too large",
                              r->ents[i].name);
    }
    return 0;
}

static bool
role_unreserved(const char *role)
{
    return role == NULL || strcmp(role, "*") == 0;
}

static void
entry_take_role(struct cr_res_entry *e, const char *role)
{
    if (role_unreserved(role))
        return;
    e->resv = CR_RES_STATIC;
    e->role = cr_xstrdup(role);
}

static int
check_gpus(const struct cr_res_entry *e, char *err, size_t errlen)
{
    if (e->type == CR_RES_SCALAR && strcmp(e->name, "gpus") == 0 &&
        e->scalar % CR_RES_MILLI != 0)
        return cr_res_err(err, errlen, "gpus must be a whole number");
    return 0;
}

/* Split "name(role)" (trimmed) into name and role (NULL if none). */
static int
split_key(char *key, char **name, char **role, char *err, size_t errlen)
{
    *role = NULL;
    char *open = strchr(key, '(');
    if (open != NULL) {
        size_t n = strlen(key);
        if (key[n - 1] != ')')
            return cr_res_err(err, errlen, "bad resource key '%s'", key);
        key[n - 1] = '\0';
        *open = '\0';
        *role = trim(open + 1);
        if (!cr_role_is_valid(*role))
            return cr_res_err(err, errlen, "bad role '%s'", *role);
    }
    *name = trim(key);
    if (!name_ok(*name))
        return cr_res_err(err, errlen, "bad resource name '%s'", *name);
    return 0;
}

static int
text_value(struct cr_res_entry *e, const char *value, char *err, size_t errlen)
{
    if (value[0] == '[') {
        e->type = CR_RES_RANGES;
        int rc = cr_res_ranges_parse(value, &e->u.ranges, &e->n, err, errlen);
        e->cap = e->n;
        return rc;
    }
    if (value[0] == '{') {
        e->type = CR_RES_SET;
        return set_parse(value, e, err, errlen);
    }
    double v;
    e->type = CR_RES_SCALAR;
    if (!parse_double(value, &v) || !cr_res_to_milli(v, &e->scalar))
        return cr_res_err(err, errlen, "bad value '%s' for '%s'", value,
                          e->name);
    return check_gpus(e, err, errlen);
}

static int
text_item(struct cr_resources *out, char *tok, const char *default_role,
          char *err, size_t errlen)
{
    char *colon = strchr(tok, ':');
    if (colon == NULL || strchr(colon + 1, ':') != NULL)
        return cr_res_err(err, errlen, "bad resource '%s': expected name:value",
                          tok);
    *colon = '\0';
    char *name = NULL, *role = NULL;
    int rc = split_key(tok, &name, &role, err, errlen);
    if (rc != 0)
        return rc;
    if (out->n >= CR_RES_MAX_ENTRIES)
        return cr_res_err(err, errlen, "too many resources (max %d)",
                          CR_RES_MAX_ENTRIES);
    struct cr_res_entry e = {0};
    e.name = cr_xstrdup(name);
    entry_take_role(&e, role != NULL ? role : default_role);
    rc = text_value(&e, trim(colon + 1), err, errlen);
    if (rc != 0) {
        cr_res_entry_fini(&e);
        return rc;
    }
    cr_res_add_owned(out, &e);
    return 0;
}

static int
check_default_role(const char *role, char *err, size_t errlen)
{
    if (role != NULL && !cr_role_is_valid(role))
        return cr_res_err(err, errlen, "bad default role '%s'", role);
    return 0;
}

int
cr_resources_parse_text(struct cr_resources *out, const char *text,
                        const char *default_role, char *err, size_t errlen)
{
    cr_resources_clear(out);
    int rc = check_default_role(default_role, err, errlen);
    if (rc != 0 || text == NULL)
        return rc;
    if (strlen(text) > TEXT_MAX)
        return cr_res_err(err, errlen, "resources text too long");
    char *copy = cr_xstrdup(text);
    char *save = NULL;
    for (char *tok = strtok_r(copy, ";", &save); tok != NULL && rc == 0;
         tok = strtok_r(NULL, ";", &save)) {
        tok = trim(tok);
        if (*tok != '\0')
            rc = text_item(out, tok, default_role, err, errlen);
    }
    free(copy);
    if (rc == 0)
        rc = check_sums(out, err, errlen);
    if (rc != 0)
        cr_resources_clear(out);
    return rc;
}

/* ---- v1 JSON in ---------------------------------------------------------- */

/* A JSON number, or a string holding one (stout accepts both). */
static bool
json_to_double(const json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return true;
    }
    if (json_is_string(v))
        return parse_double(json_string_value(v), out);
    return false;
}

static bool
json_to_u64(const json_t *v, uint64_t *out)
{
    if (json_is_integer(v)) {
        json_int_t i = json_integer_value(v);
        if (i < 0)
            return false;
        *out = (uint64_t)i;
        return true;
    }
    double d;
    if (!json_to_double(v, &d) || !isfinite(d) || d < 0 || d > 9.0e18 ||
        d != floor(d))
        return false;
    *out = (uint64_t)d;
    return true;
}

static int
json_role(struct cr_res_entry *e, const json_t *o, const char *default_role,
          char *err, size_t errlen)
{
    const json_t *resvs = json_object_get(o, "reservations");
    const char *role;
    const char *principal = NULL;
    bool dynamic = false;
    if (json_is_array(resvs) && json_array_size(resvs) > 0) {
        const json_t *last = json_array_get(resvs, json_array_size(resvs) - 1);
        role = cr_json_str(last, "role");
        if (role == NULL)
            return cr_res_err(err, errlen, "reservation of '%s' has no role",
                              e->name);
        const char *type = cr_json_str(last, "type");
        dynamic = type != NULL && strcmp(type, "DYNAMIC") == 0;
        principal = cr_json_str(last, "principal");
    } else {
        role = cr_json_str(o, "role");
        const json_t *resv = json_object_get(o, "reservation");
        if (json_is_object(resv)) {
            dynamic = true;
            principal = cr_json_str(resv, "principal");
        }
        if (role == NULL)
            role = default_role;
    }
    if (role != NULL && !cr_role_is_valid(role))
        return cr_res_err(err, errlen, "bad role '%s' for '%s'", role, e->name);
    if (principal != NULL && !token_ok(principal, true))
        return cr_res_err(err, errlen, "bad principal for '%s'", e->name);
    if (role_unreserved(role))
        return 0;
    e->role = cr_xstrdup(role);
    e->resv = dynamic ? CR_RES_DYNAMIC : CR_RES_STATIC;
    if (dynamic && principal != NULL)
        e->principal = cr_xstrdup(principal);
    return 0;
}

static int
json_scalar(struct cr_res_entry *e, const json_t *o, char *err, size_t errlen)
{
    double v;
    const json_t *s = json_object_get(o, "scalar");
    if (!json_is_object(s) || !json_to_double(json_object_get(s, "value"), &v))
        return cr_res_err(err, errlen, "scalar '%s' has no scalar.value",
                          e->name);
    if (!cr_res_to_milli(v, &e->scalar))
        return cr_res_err(err, errlen, "bad scalar value %g for '%s'", v,
                          e->name);
    return check_gpus(e, err, errlen);
}

static int
json_ranges(struct cr_res_entry *e, const json_t *o, char *err, size_t errlen)
{
    const json_t *rs = json_object_get(o, "ranges");
    if (!json_is_object(rs))
        return cr_res_err(err, errlen, "ranges '%s' has no ranges", e->name);
    const json_t *arr = json_object_get(rs, "range");
    if (arr == NULL)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > CR_RES_MAX_RANGES)
        return cr_res_err(err, errlen, "bad ranges.range for '%s'", e->name);
    size_t n = json_array_size(arr);
    e->u.ranges = cr_xmalloc((n ? n : 1) * sizeof(struct cr_range));
    e->cap = (uint32_t)(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        const json_t *r = json_array_get(arr, i);
        struct cr_range *rg = &e->u.ranges[e->n];
        if (!json_to_u64(json_object_get(r, "begin"), &rg->begin) ||
            !json_to_u64(json_object_get(r, "end"), &rg->end))
            return cr_res_err(err, errlen, "bad range in '%s'", e->name);
        if (rg->begin > rg->end)
            return cr_res_err(err, errlen, "bad range in '%s': begin > end",
                              e->name);
        e->n++;
    }
    cr_res_ranges_normalize(e->u.ranges, &e->n);
    return 0;
}

static int
json_set(struct cr_res_entry *e, const json_t *o, char *err, size_t errlen)
{
    const json_t *s = json_object_get(o, "set");
    if (!json_is_object(s))
        return cr_res_err(err, errlen, "set '%s' has no set", e->name);
    const json_t *arr = json_object_get(s, "item");
    if (arr == NULL)
        return 0;
    if (!json_is_array(arr) || json_array_size(arr) > CR_RES_MAX_ITEMS)
        return cr_res_err(err, errlen, "bad set.item for '%s'", e->name);
    size_t n = json_array_size(arr);
    e->u.items = cr_xmalloc((n ? n : 1) * sizeof(char *));
    e->cap = (uint32_t)(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        const json_t *it = json_array_get(arr, i);
        if (!json_is_string(it) || !token_ok(json_string_value(it), true))
            return cr_res_err(err, errlen, "bad set item in '%s'", e->name);
        e->u.items[e->n++] = cr_xstrdup(json_string_value(it));
    }
    uint32_t before = e->n;
    cr_res_items_normalize(e->u.items, &e->n);
    if (e->n != before)
        return cr_res_err(err, errlen, "duplicate set items in '%s'", e->name);
    return 0;
}

static int
json_value(struct cr_res_entry *e, const json_t *o, char *err, size_t errlen)
{
    const char *type = cr_json_str(o, "type");
    if (type == NULL)
        return cr_res_err(err, errlen, "resource '%s' has no type", e->name);
    if (strcmp(type, "SCALAR") == 0) {
        e->type = CR_RES_SCALAR;
        return json_scalar(e, o, err, errlen);
    }
    if (strcmp(type, "RANGES") == 0) {
        e->type = CR_RES_RANGES;
        return json_ranges(e, o, err, errlen);
    }
    if (strcmp(type, "SET") == 0) {
        e->type = CR_RES_SET;
        return json_set(e, o, err, errlen);
    }
    return cr_res_err(err, errlen, "resource '%s' has bad type '%s'", e->name,
                      type);
}

static int
json_item(struct cr_resources *out, const json_t *o, const char *default_role,
          char *err, size_t errlen)
{
    if (!json_is_object(o))
        return cr_res_err(err, errlen, "resource is not an object");
    const char *name = cr_json_str(o, "name");
    if (name == NULL || !name_ok(name))
        return cr_res_err(err, errlen, "resource has a missing or bad name");
    if (out->n >= CR_RES_MAX_ENTRIES)
        return cr_res_err(err, errlen, "too many resources (max %d)",
                          CR_RES_MAX_ENTRIES);
    struct cr_res_entry e = {0};
    e.name = cr_xstrdup(name);
    e.type = CR_RES_SCALAR; /* so fini is right before the type is known */
    int rc = json_role(&e, o, default_role, err, errlen);
    if (rc == 0)
        rc = json_value(&e, o, err, errlen);
    if (rc != 0) {
        cr_res_entry_fini(&e);
        return rc;
    }
    cr_res_add_owned(out, &e);
    return 0;
}

int
cr_resources_parse_json(struct cr_resources *out, const json_t *array,
                        const char *default_role, char *err, size_t errlen)
{
    cr_resources_clear(out);
    int rc = check_default_role(default_role, err, errlen);
    if (rc != 0)
        return rc;
    if (!json_is_array(array))
        return cr_res_err(err, errlen, "resources: expected a JSON array");
    if (json_array_size(array) > JSON_MAX_ELT)
        return cr_res_err(err, errlen, "too many resources (max %d)",
                          JSON_MAX_ELT);
    for (size_t i = 0; i < json_array_size(array) && rc == 0; i++)
        rc =
            json_item(out, json_array_get(array, i), default_role, err, errlen);
    if (rc == 0)
        rc = check_sums(out, err, errlen);
    if (rc != 0)
        cr_resources_clear(out);
    return rc;
}

/* ---- flag form ----------------------------------------------------------- */

static char *
read_small_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cr_res_err(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    char *data = cr_xmalloc(TEXT_MAX + 1);
    size_t n = fread(data, 1, TEXT_MAX + 1, f);
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad || n > TEXT_MAX) {
        free(data);
        cr_res_err(err, errlen, "cannot read '%s' (or larger than %u bytes)",
                   path, TEXT_MAX);
        return NULL;
    }
    data[n] = '\0';
    return data;
}

static int
parse_inline(struct cr_resources *out, const char *value,
             const char *default_role, char *err, size_t errlen)
{
    const char *p = value;
    while (isspace((unsigned char)*p))
        p++;
    if (*p != '[')
        return cr_resources_parse_text(out, value, default_role, err, errlen);
    char jerr[160];
    json_t *j = cr_json_parse(p, strlen(p), jerr, sizeof(jerr));
    if (j == NULL) {
        cr_resources_clear(out);
        return cr_res_err(err, errlen, "resources JSON: %s", jerr);
    }
    int rc = cr_resources_parse_json(out, j, default_role, err, errlen);
    json_decref(j);
    return rc;
}

int
cr_resources_parse_flag(struct cr_resources *out, const char *value,
                        const char *default_role, char *err, size_t errlen)
{
    if (value == NULL || strncmp(value, "file://", 7) != 0)
        return parse_inline(out, value, default_role, err, errlen);
    cr_resources_clear(out);
    char *data = read_small_file(value + 7, err, errlen);
    if (data == NULL)
        return CR_EINVAL_INPUT;
    int rc = parse_inline(out, data, default_role, err, errlen);
    free(data);
    return rc;
}

/* ---- v1 JSON out --------------------------------------------------------- */

static json_t *
resource_new(const char *name, const char *type, const char *alloc_role)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", json_string(name));
    json_object_set_new(o, "type", json_string(type));
    if (alloc_role != NULL)
        json_object_set_new(o, "allocation_info",
                            json_pack("{s:s}", "role", alloc_role));
    return o;
}

static void
set_reservation(json_t *o, const struct cr_res_entry *e)
{
    if (e->resv == CR_RES_UNRESERVED) {
        json_object_set_new(o, "role", json_string("*"));
        return;
    }
    json_object_set_new(o, "role", json_string(e->role));
    json_t *r = json_pack("{s:s,s:s}", "type",
                          e->resv == CR_RES_DYNAMIC ? "DYNAMIC" : "STATIC",
                          "role", e->role);
    if (e->resv == CR_RES_DYNAMIC) {
        json_t *legacy = json_object();
        if (e->principal != NULL) {
            json_object_set_new(r, "principal", json_string(e->principal));
            json_object_set_new(legacy, "principal", json_string(e->principal));
        }
        json_object_set_new(o, "reservation", legacy);
    }
    json_object_set_new(o, "reservations", json_pack("[o]", r));
}

static json_t *
scalar_json(int64_t milli)
{
    return json_pack("{s:f}", "value", (double)milli / CR_RES_MILLI);
}

static json_t *
entry_json(const struct cr_res_entry *e, const char *alloc_role)
{
    static const char *const types[] = {"SCALAR", "RANGES", "SET"};
    json_t *o = resource_new(e->name, types[e->type], alloc_role);
    if (e->type == CR_RES_SCALAR) {
        json_object_set_new(o, "scalar", scalar_json(e->scalar));
    } else if (e->type == CR_RES_RANGES) {
        json_t *arr = json_array();
        for (uint32_t i = 0; i < e->n; i++)
            json_array_append_new(
                arr, json_pack("{s:I,s:I}", "begin",
                               (json_int_t)e->u.ranges[i].begin, "end",
                               (json_int_t)e->u.ranges[i].end));
        json_object_set_new(o, "ranges", json_pack("{s:o}", "range", arr));
    } else {
        json_t *arr = json_array();
        for (uint32_t i = 0; i < e->n; i++)
            json_array_append_new(arr, json_string(e->u.items[i]));
        json_object_set_new(o, "set", json_pack("{s:o}", "item", arr));
    }
    set_reservation(o, e);
    return o;
}

json_t *
cr_resources_to_json(const struct cr_resources *r, const char *allocation_role)
{
    json_t *arr = json_array();
    for (int k = 0; k < CR_RES_NFIXED; k++) {
        if (r->fixed[k] == 0)
            continue;
        json_t *o =
            resource_new(cr_res_fixed_name(k), "SCALAR", allocation_role);
        json_object_set_new(o, "scalar", scalar_json(r->fixed[k]));
        json_object_set_new(o, "role", json_string("*"));
        json_array_append_new(arr, o);
    }
    for (uint32_t i = 0; i < r->n; i++)
        json_array_append_new(arr, entry_json(&r->ents[i], allocation_role));
    return arr;
}

/* ---- v0 JSON and text out ------------------------------------------------ */

/* Union of every entry of `name` and `type`, across roles, into tmp. */
static void
collect_by_name(const struct cr_resources *r, const char *name, uint8_t type,
                struct cr_resources *tmp)
{
    for (uint32_t i = 0; i < r->n; i++) {
        const struct cr_res_entry *e = &r->ents[i];
        if (e->type != type || strcmp(e->name, name) != 0)
            continue;
        struct cr_resources one = {.n = 1, .cap = 1};
        struct cr_res_entry copy = *e;
        copy.role = NULL;
        copy.principal = NULL;
        copy.resv = CR_RES_UNRESERVED;
        one.ents = &copy;
        cr_resources_add(tmp, &one);
    }
}

static void
set_format(struct cr_buf *b, const struct cr_res_entry *e, const char *sep)
{
    (void)cr_buf_puts(b, "{");
    for (uint32_t i = 0; i < e->n; i++)
        (void)cr_buf_printf(b, "%s%s", i ? sep : "", e->u.items[i]);
    (void)cr_buf_puts(b, "}");
}

static json_t *
v0_value(const struct cr_resources *r, const struct cr_res_entry *e)
{
    if (e->type == CR_RES_SCALAR)
        return json_real(cr_resources_scalar(r, e->name));
    struct cr_resources tmp;
    cr_resources_init(&tmp);
    collect_by_name(r, e->name, e->type, &tmp);
    struct cr_buf b;
    cr_buf_init(&b, TEXT_MAX);
    if (tmp.n == 1 && e->type == CR_RES_RANGES)
        cr_res_ranges_format(&b, tmp.ents[0].u.ranges, tmp.ents[0].n, ", ");
    else if (tmp.n == 1)
        set_format(&b, &tmp.ents[0], ", ");
    json_t *v = json_string(b.data != NULL ? b.data : "");
    cr_buf_fini(&b);
    cr_resources_fini(&tmp);
    return v;
}

json_t *
cr_resources_to_v0_json(const struct cr_resources *r)
{
    json_t *o = json_object();
    static const char *const order[] = {"cpus", "gpus", "mem", "disk"};
    for (size_t k = 0; k < 4; k++)
        json_object_set_new(o, order[k],
                            json_real(cr_resources_scalar(r, order[k])));
    for (uint32_t i = 0; i < r->n; i++) {
        const struct cr_res_entry *e = &r->ents[i];
        if (json_object_get(o, e->name) == NULL)
            json_object_set_new(o, e->name, v0_value(r, e));
    }
    return o;
}

static void
text_key(struct cr_buf *b, bool first, const char *name, const char *role)
{
    (void)cr_buf_printf(b, "%s%s", first ? "" : ";", name);
    if (role != NULL)
        (void)cr_buf_printf(b, "(%s)", role);
    (void)cr_buf_puts(b, ":");
}

char *
cr_resources_to_text(const struct cr_resources *r)
{
    struct cr_buf b;
    cr_buf_init(&b, SIZE_MAX / 2);
    bool first = true;
    for (int k = 0; k < CR_RES_NFIXED; k++) {
        if (r->fixed[k] == 0)
            continue;
        text_key(&b, first, cr_res_fixed_name(k), NULL);
        cr_res_milli_format(&b, r->fixed[k]);
        first = false;
    }
    for (uint32_t i = 0; i < r->n; i++) {
        const struct cr_res_entry *e = &r->ents[i];
        text_key(&b, first, e->name, e->role);
        if (e->type == CR_RES_SCALAR)
            cr_res_milli_format(&b, e->scalar);
        else if (e->type == CR_RES_RANGES)
            cr_res_ranges_format(&b, e->u.ranges, e->n, ",");
        else
            set_format(&b, e, ",");
        first = false;
    }
    return cr_buf_steal(&b);
}
