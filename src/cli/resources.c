/* SPDX-License-Identifier: Apache-2.0
 *
 * resources.c: see resources.h.
 */
#include "resources.h"

#include "base/json.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Mesos keeps scalars as fixed point with three decimals. */
static double
round3(double v)
{
    return round(v * 1000.0) / 1000.0;
}

static bool
name_ok(const char *s, size_t len)
{
    if (len == 0 || len >= CLI_RES_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '_' && c != '-' && c != '.')
            return false;
    }
    return true;
}

/* Parse one "name:value" item of len bytes. */
static int
parse_item(const char *p, size_t len, struct cli_resources *out, char *err,
           size_t errlen)
{
    char item[128];
    while (len > 0 && isspace((unsigned char)*p))
        p++, len--;
    while (len > 0 && isspace((unsigned char)p[len - 1]))
        len--;
    if (len == 0)
        return 0; /* "cpus:1;" */
    if (len >= sizeof(item)) {
        snprintf(err, errlen, "resource item too long");
        return -1;
    }
    memcpy(item, p, len);
    item[len] = '\0';
    char *colon = strchr(item, ':');
    if (colon == NULL) {
        snprintf(err, errlen, "bad resource '%s' (expected name:value)", item);
        return -1;
    }
    size_t nlen = (size_t)(colon - item);
    if (!name_ok(item, nlen)) {
        snprintf(err, errlen, "bad resource name in '%s'", item);
        return -1;
    }
    const char *v = colon + 1;
    if (*v == '[' || *v == '{') {
        snprintf(err, errlen,
                 "resource '%.*s': only scalar resources are "
                 "supported",
                 (int)nlen, item);
        return -1;
    }
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end != '\0' || !isfinite(x) || x < 0 ||
        x > 1e15) {
        snprintf(err, errlen, "bad value in resource '%s'", item);
        return -1;
    }
    *colon = '\0';
    for (size_t i = 0; i < out->n; i++)
        if (strcmp(out->v[i].name, item) == 0) {
            snprintf(err, errlen, "resource '%s' given twice", item);
            return -1;
        }
    if (round3(x) == 0)
        return 0;
    if (out->n >= CLI_RES_MAX) {
        snprintf(err, errlen, "too many resources (at most %d)", CLI_RES_MAX);
        return -1;
    }
    memcpy(out->v[out->n].name, item, nlen + 1); /* nlen < NAME_MAX */
    out->v[out->n].value = round3(x);
    out->n++;
    return 0;
}

int
cli_resources_parse(const char *text, struct cli_resources *out, char *err,
                    size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (text == NULL) {
        snprintf(err, errlen, "no resources given");
        return -1;
    }
    const char *p = text;
    for (;;) {
        const char *semi = strchr(p, ';');
        size_t len = semi ? (size_t)(semi - p) : strlen(p);
        if (parse_item(p, len, out, err, errlen))
            return -1;
        if (semi == NULL)
            break;
        p = semi + 1;
    }
    if (out->n == 0) {
        snprintf(err, errlen, "no resources in '%s'", text);
        return -1;
    }
    return 0;
}

json_t *
cli_resources_to_json(const struct cli_resources *r, const char *role)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->n; i++) {
        json_t *res =
            json_pack("{s:s,s:s,s:{s:f}}", "name", r->v[i].name, "type",
                      "SCALAR", "scalar", "value", r->v[i].value);
        if (role)
            json_object_set_new(res, "allocation_info",
                                json_pack("{s:s}", "role", role));
        json_array_append_new(a, res);
    }
    return a;
}

/* True for a resource a task can claim without naming a reservation. */
static bool
is_plain_unreserved(const json_t *res)
{
    const char *role = cr_json_str(res, "role");
    json_t *stack = json_object_get(res, "reservations");
    if (role && strcmp(role, "*") != 0)
        return false;
    if (json_array_size(stack) > 0 || json_object_get(res, "reservation"))
        return false;
    if (json_object_get(res, "revocable") || json_object_get(res, "disk") ||
        json_object_get(res, "shared") || json_object_get(res, "provider_id"))
        return false;
    const char *type = cr_json_str(res, "type");
    return type == NULL || strcmp(type, "SCALAR") == 0;
}

double
cli_offer_scalar(const json_t *offer, const char *name)
{
    double sum = 0;
    size_t i;
    json_t *res;
    json_array_foreach(json_object_get(offer, "resources"), i, res)
    {
        const char *n = cr_json_str(res, "name");
        double v;
        if (n == NULL || strcmp(n, name) != 0 || !is_plain_unreserved(res))
            continue;
        if (cr_json_num(json_object_get(res, "scalar"), "value", &v) &&
            isfinite(v) && v > 0)
            sum += v;
    }
    return round3(sum);
}

size_t
cli_offer_fits(const json_t *offer, const struct cli_resources *r, size_t max)
{
    size_t fits = max;
    for (size_t i = 0; i < r->n && fits > 0; i++) {
        double have = cli_offer_scalar(offer, r->v[i].name);
        /* Compare in thousandths to avoid 0.1 + 0.2 surprises. */
        long long h = llround(have * 1000.0);
        long long need = llround(r->v[i].value * 1000.0);
        size_t k = need > 0 ? (size_t)(h / need) : max;
        if (k < fits)
            fits = k;
    }
    return fits;
}
