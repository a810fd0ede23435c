/* SPDX-License-Identifier: Apache-2.0
 *
 * resources.c: the cr_resources value type and its arithmetic.
 *
 * See resources.h for the representation and its invariants. Entry lists
 * are short (a handful), so lookups are linear scans. Ranges and set items
 * are kept normalised, so union, difference and containment are linear
 * merges of two sorted lists. Only entry-bearing values allocate.
 */
#include "model/resources.h"

#include "base/err.h"
#include "base/mem.h"
#include "model/resources_private.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const fixed_names[CR_RES_NFIXED] = {"cpus", "mem", "disk",
                                                       "gpus"};

int
cr_res_fixed_index(const char *name)
{
    /* Hot in the allocator: dispatch on the first byte. */
    int i;
    switch (name[0]) {
    case 'c':
        i = CR_RES_CPUS;
        break;
    case 'm':
        i = CR_RES_MEM;
        break;
    case 'd':
        i = CR_RES_DISK;
        break;
    case 'g':
        i = CR_RES_GPUS;
        break;
    default:
        return -1;
    }
    return strcmp(name, fixed_names[i]) == 0 ? i : -1;
}

const char *
cr_res_fixed_name(int i)
{
    return fixed_names[i];
}

int
cr_res_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
        /* Keep it one printable ASCII line whatever the input held. */
        for (char *p = err; *p != '\0'; p++) {
            unsigned char c = (unsigned char)*p;
            if (c < ' ' || c >= 0x7f)
                *p = '?';
        }
    }
    return CR_EINVAL_INPUT;
}

bool
cr_res_utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p != 0) {
        if (*p < 0x80) {
            p++;
            continue;
        }
        int n = (*p & 0xe0) == 0xc0   ? 1
                : (*p & 0xf0) == 0xe0 ? 2
                : (*p & 0xf8) == 0xf0 ? 3
                                      : -1;
        if (n < 0 || *p == 0xc0 || *p == 0xc1 || *p > 0xf4)
            return false;
        uint32_t cp = *p & (0x3f >> n);
        for (int i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return false;
        p += n + 1;
    }
    return true;
}

bool
cr_res_to_milli(double v, int64_t *out)
{
    if (!isfinite(v) || v < 0 || v > CR_RES_MAX_SCALAR)
        return false;
    *out = llround(v * CR_RES_MILLI);
    return true;
}

void
cr_res_milli_format(struct cr_buf *b, int64_t milli)
{
    int64_t whole = milli / CR_RES_MILLI;
    int64_t frac = milli % CR_RES_MILLI;
    if (frac == 0) {
        (void)cr_buf_printf(b, "%lld", (long long)whole);
        return;
    }
    char digits[24];
    snprintf(digits, sizeof(digits), "%03lld", (long long)(frac % 1000));
    for (int i = 2; i > 0 && digits[i] == '0'; i--)
        digits[i] = '\0';
    (void)cr_buf_printf(b, "%lld.%s", (long long)whole, digits);
}

/* ---- strings, ranges, items ---------------------------------------------- */

static bool
str_eq(const char *a, const char *b)
{
    if (a == NULL || b == NULL)
        return a == b;
    return strcmp(a, b) == 0;
}

static char *
str_dup_or_null(const char *s)
{
    return s != NULL ? cr_xstrdup(s) : NULL;
}

static int
range_cmp(const void *pa, const void *pb)
{
    const struct cr_range *a = pa, *b = pb;
    if (a->begin != b->begin)
        return a->begin < b->begin ? -1 : 1;
    if (a->end != b->end)
        return a->end < b->end ? -1 : 1;
    return 0;
}

void
cr_res_ranges_normalize(struct cr_range *v, uint32_t *n)
{
    if (*n == 0)
        return;
    qsort(v, *n, sizeof(*v), range_cmp);
    uint32_t out = 0;
    for (uint32_t i = 1; i < *n; i++) {
        struct cr_range *last = &v[out];
        /* Coalesce overlapping and adjacent ([1-2],[3-4] -> [1-4]). */
        if (v[i].begin <= last->end ||
            (last->end != UINT64_MAX && v[i].begin == last->end + 1)) {
            if (v[i].end > last->end)
                last->end = v[i].end;
        } else {
            v[++out] = v[i];
        }
    }
    *n = out + 1;
}

static int
item_cmp(const void *pa, const void *pb)
{
    const char *const *a = pa, *const *b = pb;
    return strcmp(*a, *b);
}

void
cr_res_items_normalize(char **items, uint32_t *n)
{
    if (*n == 0)
        return;
    qsort(items, *n, sizeof(*items), item_cmp);
    uint32_t out = 0;
    for (uint32_t i = 1; i < *n; i++) {
        if (strcmp(items[i], items[out]) == 0)
            free(items[i]);
        else
            items[++out] = items[i];
    }
    *n = out + 1;
}

/* Is every range of b inside some range of a? Both normalised, so each
 * b range must sit inside a single a range. */
static bool
ranges_contain(const struct cr_range *a, uint32_t an, const struct cr_range *b,
               uint32_t bn)
{
    uint32_t i = 0;
    for (uint32_t j = 0; j < bn; j++) {
        while (i < an && a[i].end < b[j].begin)
            i++;
        if (i == an || a[i].begin > b[j].begin || a[i].end < b[j].end)
            return false;
    }
    return true;
}

static bool
items_contain(char *const *a, uint32_t an, char *const *b, uint32_t bn)
{
    uint32_t i = 0;
    for (uint32_t j = 0; j < bn; j++) {
        int c = 1;
        while (i < an && (c = strcmp(a[i], b[j])) < 0)
            i++;
        if (i == an || c != 0)
            return false;
        i++;
    }
    return true;
}

static void
ensure_cap(void **v, uint32_t *cap, uint32_t need, size_t elem)
{
    if (need <= *cap)
        return;
    uint32_t c = *cap ? *cap : 2;
    while (c < need)
        c *= 2;
    *v = cr_xrealloc(*v, (size_t)c * elem);
    *cap = c;
}

/* e->ranges |= b (b normalised). */
static void
ranges_union(struct cr_res_entry *e, const struct cr_range *b, uint32_t bn)
{
    if (bn == 0)
        return;
    void *v = e->u.ranges;
    ensure_cap(&v, &e->cap, e->n + bn, sizeof(struct cr_range));
    e->u.ranges = v;
    memcpy(e->u.ranges + e->n, b, bn * sizeof(*b));
    e->n += bn;
    cr_res_ranges_normalize(e->u.ranges, &e->n);
}

/* e->ranges -= b, b contained in e (both normalised). */
static void
ranges_subtract(struct cr_res_entry *e, const struct cr_range *b, uint32_t bn)
{
    uint32_t an = e->n;
    struct cr_range *a = e->u.ranges;
    struct cr_range *out = cr_xmalloc((size_t)(an + bn) * sizeof(*out));
    uint32_t on = 0, j = 0;
    for (uint32_t i = 0; i < an; i++) {
        uint64_t cur = a[i].begin;
        bool open = true;
        while (j < bn && b[j].begin <= a[i].end) {
            /* b[j] lies inside a[i] (containment checked by the caller). */
            if (b[j].begin > cur)
                out[on++] = (struct cr_range){cur, b[j].begin - 1};
            if (b[j].end == a[i].end) {
                open = false;
                j++;
                break;
            }
            cur = b[j].end + 1;
            j++;
        }
        if (open)
            out[on++] = (struct cr_range){cur, a[i].end};
    }
    free(a);
    e->u.ranges = out;
    e->n = on;
    e->cap = an + bn;
}

/* e->items |= b (copies strings). */
static void
items_union(struct cr_res_entry *e, char *const *b, uint32_t bn)
{
    void *v = e->u.items;
    ensure_cap(&v, &e->cap, e->n + bn, sizeof(char *));
    e->u.items = v;
    for (uint32_t j = 0; j < bn; j++)
        e->u.items[e->n++] = cr_xstrdup(b[j]);
    cr_res_items_normalize(e->u.items, &e->n);
}

/* e->items -= b, b contained in e. */
static void
items_subtract(struct cr_res_entry *e, char *const *b, uint32_t bn)
{
    uint32_t out = 0, j = 0;
    for (uint32_t i = 0; i < e->n; i++) {
        if (j < bn && strcmp(e->u.items[i], b[j]) == 0) {
            free(e->u.items[i]);
            j++;
        } else {
            e->u.items[out++] = e->u.items[i];
        }
    }
    e->n = out;
}

/* ---- entries ------------------------------------------------------------- */

void
cr_res_entry_fini(struct cr_res_entry *e)
{
    free(e->name);
    free(e->role);
    free(e->principal);
    if (e->type == CR_RES_RANGES) {
        free(e->u.ranges);
    } else if (e->type == CR_RES_SET) {
        for (uint32_t i = 0; i < e->n; i++)
            free(e->u.items[i]);
        free(e->u.items);
    }
    memset(e, 0, sizeof(*e));
}

static void
entry_copy(struct cr_res_entry *dst, const struct cr_res_entry *src)
{
    *dst = *src;
    dst->name = cr_xstrdup(src->name);
    dst->role = str_dup_or_null(src->role);
    dst->principal = str_dup_or_null(src->principal);
    dst->cap = src->n;
    if (src->type == CR_RES_RANGES) {
        dst->u.ranges = cr_xmalloc((size_t)src->n * sizeof(struct cr_range));
        memcpy(dst->u.ranges, src->u.ranges, src->n * sizeof(struct cr_range));
    } else if (src->type == CR_RES_SET) {
        dst->u.items = cr_xmalloc((size_t)src->n * sizeof(char *));
        for (uint32_t i = 0; i < src->n; i++)
            dst->u.items[i] = cr_xstrdup(src->u.items[i]);
    }
}

static bool
entry_is_empty(const struct cr_res_entry *e)
{
    return e->type == CR_RES_SCALAR ? e->scalar <= 0 : e->n == 0;
}

static bool
entry_same_key(const struct cr_res_entry *a, const struct cr_res_entry *b)
{
    return a->type == b->type && a->resv == b->resv &&
           strcmp(a->name, b->name) == 0 && str_eq(a->role, b->role) &&
           str_eq(a->principal, b->principal);
}

static int
find_entry(const struct cr_resources *r, const struct cr_res_entry *key)
{
    for (uint32_t i = 0; i < r->n; i++) {
        if (entry_same_key(&r->ents[i], key))
            return (int)i;
    }
    return -1;
}

static struct cr_res_entry *
push_entry(struct cr_resources *r)
{
    void *v = r->ents;
    ensure_cap(&v, &r->cap, r->n + 1, sizeof(struct cr_res_entry));
    r->ents = v;
    struct cr_res_entry *e = &r->ents[r->n++];
    memset(e, 0, sizeof(*e));
    return e;
}

static void
remove_entry(struct cr_resources *r, uint32_t i)
{
    cr_res_entry_fini(&r->ents[i]);
    memmove(&r->ents[i], &r->ents[i + 1],
            (r->n - i - 1) * sizeof(struct cr_res_entry));
    r->n--;
}

static int64_t
sat_add(int64_t a, int64_t b)
{
    int64_t s;
    if (__builtin_add_overflow(a, b, &s))
        return INT64_MAX;
    return s;
}

/* dst += src where both have the same key. */
static void
entry_merge(struct cr_res_entry *dst, const struct cr_res_entry *src)
{
    switch (src->type) {
    case CR_RES_SCALAR:
        dst->scalar = sat_add(dst->scalar, src->scalar);
        break;
    case CR_RES_RANGES:
        ranges_union(dst, src->u.ranges, src->n);
        break;
    default:
        items_union(dst, src->u.items, src->n);
        break;
    }
}

static bool
entry_contains(const struct cr_res_entry *a, const struct cr_res_entry *b)
{
    switch (b->type) {
    case CR_RES_SCALAR:
        return a->scalar >= b->scalar;
    case CR_RES_RANGES:
        return ranges_contain(a->u.ranges, a->n, b->u.ranges, b->n);
    default:
        return items_contain(a->u.items, a->n, b->u.items, b->n);
    }
}

/* a -= b, b contained in a (same key). */
static void
entry_subtract(struct cr_res_entry *a, const struct cr_res_entry *b)
{
    switch (b->type) {
    case CR_RES_SCALAR:
        a->scalar -= b->scalar;
        break;
    case CR_RES_RANGES:
        ranges_subtract(a, b->u.ranges, b->n);
        break;
    default:
        items_subtract(a, b->u.items, b->n);
        break;
    }
}

static bool
entry_is_fixed_unreserved(const struct cr_res_entry *e, int *idx)
{
    if (e->type != CR_RES_SCALAR || e->resv != CR_RES_UNRESERVED)
        return false;
    *idx = cr_res_fixed_index(e->name);
    return *idx >= 0;
}

void
cr_res_add_owned(struct cr_resources *r, struct cr_res_entry *e)
{
    int fi;
    if (entry_is_empty(e)) {
        cr_res_entry_fini(e);
        return;
    }
    if (entry_is_fixed_unreserved(e, &fi)) {
        r->fixed[fi] = sat_add(r->fixed[fi], e->scalar);
        cr_res_entry_fini(e);
        return;
    }
    int i = find_entry(r, e);
    if (i >= 0) {
        entry_merge(&r->ents[i], e);
        cr_res_entry_fini(e);
        return;
    }
    *push_entry(r) = *e;
    memset(e, 0, sizeof(*e));
}

/* ---- lifecycle ----------------------------------------------------------- */

void
cr_resources_init(struct cr_resources *r)
{
    memset(r, 0, sizeof(*r));
}

void
cr_resources_clear(struct cr_resources *r)
{
    for (uint32_t i = 0; i < r->n; i++)
        cr_res_entry_fini(&r->ents[i]);
    r->n = 0;
    memset(r->fixed, 0, sizeof(r->fixed));
}

void
cr_resources_fini(struct cr_resources *r)
{
    cr_resources_clear(r);
    free(r->ents);
    cr_resources_init(r);
}

void
cr_resources_copy(struct cr_resources *dst, const struct cr_resources *src)
{
    if (dst == src)
        return;
    cr_resources_clear(dst);
    memcpy(dst->fixed, src->fixed, sizeof(dst->fixed));
    if (src->n == 0)
        return;
    void *v = dst->ents;
    ensure_cap(&v, &dst->cap, src->n, sizeof(struct cr_res_entry));
    dst->ents = v;
    for (uint32_t i = 0; i < src->n; i++)
        entry_copy(&dst->ents[i], &src->ents[i]);
    dst->n = src->n;
}

void
cr_resources_move(struct cr_resources *dst, struct cr_resources *src)
{
    if (dst == src)
        return;
    cr_resources_fini(dst);
    *dst = *src;
    cr_resources_init(src);
}

/* ---- arithmetic ---------------------------------------------------------- */

void
cr_resources_add(struct cr_resources *a, const struct cr_resources *b)
{
    for (int k = 0; k < CR_RES_NFIXED; k++)
        a->fixed[k] = sat_add(a->fixed[k], b->fixed[k]);
    for (uint32_t j = 0; j < b->n; j++) {
        int i = find_entry(a, &b->ents[j]);
        if (i >= 0)
            entry_merge(&a->ents[i], &b->ents[j]);
        else
            entry_copy(push_entry(a), &b->ents[j]);
    }
}

bool
cr_resources_contains(const struct cr_resources *a,
                      const struct cr_resources *b)
{
    for (int k = 0; k < CR_RES_NFIXED; k++) {
        if (a->fixed[k] < b->fixed[k])
            return false;
    }
    for (uint32_t j = 0; j < b->n; j++) {
        int i = find_entry(a, &b->ents[j]);
        if (i < 0 || !entry_contains(&a->ents[i], &b->ents[j]))
            return false;
    }
    return true;
}

bool
cr_resources_subtract(struct cr_resources *a, const struct cr_resources *b)
{
    if (!cr_resources_contains(a, b))
        return false;
    for (int k = 0; k < CR_RES_NFIXED; k++)
        a->fixed[k] -= b->fixed[k];
    for (uint32_t j = 0; j < b->n; j++) {
        int i = find_entry(a, &b->ents[j]);
        entry_subtract(&a->ents[i], &b->ents[j]);
        if (entry_is_empty(&a->ents[i]))
            remove_entry(a, (uint32_t)i);
    }
    return true;
}

bool
cr_resources_is_empty(const struct cr_resources *r)
{
    for (int k = 0; k < CR_RES_NFIXED; k++) {
        if (r->fixed[k] != 0)
            return false;
    }
    return r->n == 0;
}

bool
cr_resources_equal(const struct cr_resources *a, const struct cr_resources *b)
{
    return a->n == b->n && cr_resources_contains(a, b) &&
           cr_resources_contains(b, a);
}

bool
cr_resources_has_reserved(const struct cr_resources *r)
{
    for (uint32_t i = 0; i < r->n; i++) {
        if (r->ents[i].resv != CR_RES_UNRESERVED)
            return true;
    }
    return false;
}

/* ---- roles --------------------------------------------------------------- */

bool
cr_role_is_within(const char *role, const char *resv_role)
{
    if (role == NULL || resv_role == NULL)
        return false;
    size_t n = strlen(resv_role);
    return strncmp(role, resv_role, n) == 0 &&
           (role[n] == '\0' || role[n] == '/');
}

static bool
role_component_ok(const char *s, size_t n)
{
    if (n == 0 || s[0] == '-')
        return false;
    if ((n == 1 && (s[0] == '.' || s[0] == '*')) ||
        (n == 2 && s[0] == '.' && s[1] == '.'))
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f)
            return false;
    }
    return true;
}

bool
cr_role_is_valid(const char *role)
{
    if (role == NULL || role[0] == '\0' || strlen(role) > CR_RES_MAX_NAME ||
        !cr_res_utf8_ok(role))
        return false;
    if (strcmp(role, "*") == 0)
        return true;
    const char *p = role;
    for (;;) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (!role_component_ok(p, n))
            return false;
        if (slash == NULL)
            return true;
        p = slash + 1;
    }
}

static bool
entry_usable_by(const struct cr_res_entry *e, const char *role)
{
    return e->resv == CR_RES_UNRESERVED || cr_role_is_within(role, e->role);
}

void
cr_resources_allocatable_to(struct cr_resources *dst,
                            const struct cr_resources *src, const char *role)
{
    cr_resources_clear(dst);
    memcpy(dst->fixed, src->fixed, sizeof(dst->fixed));
    for (uint32_t i = 0; i < src->n; i++) {
        if (entry_usable_by(&src->ents[i], role))
            entry_copy(push_entry(dst), &src->ents[i]);
    }
}

void
cr_resources_unreserved(struct cr_resources *dst,
                        const struct cr_resources *src)
{
    cr_resources_allocatable_to(dst, src, NULL);
}

void
cr_resources_reserved_to(struct cr_resources *dst,
                         const struct cr_resources *src, const char *role)
{
    cr_resources_clear(dst);
    for (uint32_t i = 0; i < src->n; i++) {
        const struct cr_res_entry *e = &src->ents[i];
        if (e->role && role && strcmp(e->role, role) == 0)
            entry_copy(push_entry(dst), e);
    }
}

void
cr_resources_flatten(struct cr_resources *dst, const struct cr_resources *src)
{
    cr_resources_clear(dst);
    memcpy(dst->fixed, src->fixed, sizeof(dst->fixed));
    for (uint32_t i = 0; i < src->n; i++) {
        struct cr_res_entry e;
        entry_copy(&e, &src->ents[i]);
        free(e.role);
        free(e.principal);
        e.role = e.principal = NULL;
        e.resv = CR_RES_UNRESERVED;
        cr_res_add_owned(dst, &e);
    }
}

/* ---- getters ------------------------------------------------------------- */

static bool
role_is_unreserved(const char *role)
{
    return role == NULL || strcmp(role, "*") == 0;
}

double
cr_resources_scalar(const struct cr_resources *r, const char *name)
{
    int64_t sum = 0;
    int fi = cr_res_fixed_index(name);
    if (fi >= 0)
        sum = r->fixed[fi];
    for (uint32_t i = 0; i < r->n; i++) {
        const struct cr_res_entry *e = &r->ents[i];
        if (e->type == CR_RES_SCALAR && strcmp(e->name, name) == 0)
            sum = sat_add(sum, e->scalar);
    }
    return (double)sum / CR_RES_MILLI;
}

double
cr_resources_scalar_role(const struct cr_resources *r, const char *name,
                         const char *role)
{
    int64_t sum = 0;
    bool unres = role_is_unreserved(role);
    int fi = cr_res_fixed_index(name);
    if (unres && fi >= 0)
        sum = r->fixed[fi];
    for (uint32_t i = 0; i < r->n; i++) {
        const struct cr_res_entry *e = &r->ents[i];
        if (e->type != CR_RES_SCALAR || strcmp(e->name, name) != 0)
            continue;
        if (unres ? e->role == NULL : str_eq(e->role, role))
            sum = sat_add(sum, e->scalar);
    }
    return (double)sum / CR_RES_MILLI;
}

void
cr_resources_quantities(const struct cr_resources *r, int64_t q[CR_RES_NFIXED])
{
    memcpy(q, r->fixed, sizeof(r->fixed));
    for (uint32_t i = 0; i < r->n; i++) {
        const struct cr_res_entry *e = &r->ents[i];
        if (e->type != CR_RES_SCALAR)
            continue;
        int fi = cr_res_fixed_index(e->name);
        if (fi >= 0)
            q[fi] = sat_add(q[fi], e->scalar);
    }
}

const struct cr_res_entry *
cr_resources_find(const struct cr_resources *r, const char *name,
                  const char *role)
{
    bool unres = role_is_unreserved(role);
    for (uint32_t i = 0; i < r->n; i++) {
        const struct cr_res_entry *e = &r->ents[i];
        if (strcmp(e->name, name) != 0)
            continue;
        if (unres ? e->role == NULL : str_eq(e->role, role))
            return e;
    }
    return NULL;
}

double
cr_resources_dominant_share(const int64_t q[CR_RES_NFIXED],
                            const int64_t t[CR_RES_NFIXED])
{
    double share = 0;
    for (int k = 0; k < CR_RES_NFIXED; k++) {
        if (t[k] > 0) {
            double s = (double)q[k] / (double)t[k];
            if (s > share)
                share = s;
        }
    }
    return share;
}

/* ---- builders ------------------------------------------------------------ */

static void
entry_set_role(struct cr_res_entry *e, const char *role)
{
    if (role_is_unreserved(role)) {
        e->resv = CR_RES_UNRESERVED;
        e->role = NULL;
    } else {
        e->resv = CR_RES_STATIC;
        e->role = cr_xstrdup(role);
    }
}

int
cr_resources_add_scalar(struct cr_resources *r, const char *name, double value,
                        const char *role)
{
    int64_t milli;
    if (name == NULL || name[0] == '\0' || !cr_res_to_milli(value, &milli))
        return CR_EINVAL_INPUT;
    struct cr_res_entry e = {0};
    e.name = cr_xstrdup(name);
    e.type = CR_RES_SCALAR;
    e.scalar = milli;
    entry_set_role(&e, role);
    cr_res_add_owned(r, &e);
    return 0;
}

int
cr_resources_add_range(struct cr_resources *r, const char *name, uint64_t begin,
                       uint64_t end, const char *role)
{
    if (name == NULL || name[0] == '\0' || begin > end)
        return CR_EINVAL_INPUT;
    struct cr_res_entry e = {0};
    e.name = cr_xstrdup(name);
    e.type = CR_RES_RANGES;
    e.u.ranges = cr_xmalloc(sizeof(struct cr_range));
    e.u.ranges[0] = (struct cr_range){begin, end};
    e.n = e.cap = 1;
    entry_set_role(&e, role);
    cr_res_add_owned(r, &e);
    return 0;
}
