/* SPDX-License-Identifier: Apache-2.0
 *
 * jsonw.c: see jsonw.h.
 *
 * The real formatter. "%.16g" of a finite v with 1e-4 <= |v| < 1e15 is
 * always in fixed notation, and its 16 significant digits are
 * D = round(|v| * 10^(15 - e10)) with e10 = floor(log10 |v|), rounded half
 * to even on the exact binary value (what glibc's printf does). With
 * |v| = m * 2^q (m < 2^53, -66 <= q <= -3 in that range) and
 * 1 <= 15 - e10 <= 19, m * 10^(15 - e10) < 2^117 fits an unsigned 128-bit
 * integer, so D is computed exactly by one multiplication and a shift with
 * the remainder deciding the rounding. A guessed e10 is corrected until
 * the unrounded quotient has exactly 16 digits (then e10 is exact); a
 * rounding carry into a 17th digit moves it up by one, as printf does.
 * Other values go through snprintf.
 */
#include "jsonw.h"

#include "err.h"
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

/* ---- low level -------------------------------------------------------- */

/* Appends are many and tiny: copy in place when the buffer has room
 * (keeping cr_buf's invariants: data[len] == '\0', len <= max), else let
 * cr_buf grow it. */
static inline void
put(struct cr_jsonw *w, const char *p, size_t n)
{
    struct cr_buf *b = w->out;
    if (w->err)
        return;
    if (b->data && b->len + n < b->cap && b->len + n <= b->max) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
    } else if (cr_buf_append(b, p, n) != 0) {
        w->err = CR_ETOOBIG;
    }
}

static inline void
put_char(struct cr_jsonw *w, char c)
{
    struct cr_buf *b = w->out;
    if (w->err == 0 && b->data && b->len + 1 < b->cap && b->len < b->max) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return;
    }
    put(w, &c, 1);
}

/* Before any value or key: the comma that separates it from the previous
 * member of its container. */
static void
separate(struct cr_jsonw *w)
{
    if (w->after_key) {
        w->after_key = false;
        return;
    }
    if (w->depth == 0)
        return;
    uint64_t bit = 1ull << (w->depth - 1);
    if (w->nonempty & bit)
        put_char(w, ',');
    w->nonempty |= bit;
}

void
cr_jsonw_init(struct cr_jsonw *w, struct cr_buf *out)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
}

int
cr_jsonw_error(const struct cr_jsonw *w)
{
    return w->err;
}

static void
open_container(struct cr_jsonw *w, char c)
{
    if (w->err)
        return;
    separate(w);
    if (w->depth >= CR_JSONW_MAX_DEPTH) {
        w->err = CR_EINVAL_INPUT;
        return;
    }
    w->depth++;
    w->nonempty &= ~(1ull << (w->depth - 1));
    put_char(w, c);
}

static void
close_container(struct cr_jsonw *w, char c)
{
    if (w->err)
        return;
    if (w->depth == 0 || w->after_key) {
        w->err = CR_EINVAL_INPUT;
        return;
    }
    w->depth--;
    put_char(w, c);
}

void
cr_jsonw_object(struct cr_jsonw *w)
{
    open_container(w, '{');
}

void
cr_jsonw_object_end(struct cr_jsonw *w)
{
    close_container(w, '}');
}

void
cr_jsonw_array(struct cr_jsonw *w)
{
    open_container(w, '[');
}

void
cr_jsonw_array_end(struct cr_jsonw *w)
{
    close_container(w, ']');
}

/* ---- strings ---------------------------------------------------------- */

/* Decode one UTF-8 sequence at s (n bytes left): the code point, or -1
 * for an invalid one; *len gets the bytes used (1 when invalid). */
static long
utf8_next(const unsigned char *s, size_t n, size_t *len)
{
    unsigned char c = s[0];
    size_t need;
    long cp;
    *len = 1;
    if (c < 0x80)
        return c;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
        cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        cp = c & 0x07;
    } else {
        return -1;
    }
    if (need > n)
        return -1;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    /* Overlong forms, surrogates and values past U+10FFFF. */
    if ((need == 3 && cp < 0x800) || (need == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return -1;
    *len = need;
    return cp;
}

static void
put_escape(struct cr_jsonw *w, long cp)
{
    char tmp[16];
    const char *short_form = NULL;
    switch (cp) {
    case '"':
        short_form = "\\\"";
        break;
    case '\\':
        short_form = "\\\\";
        break;
    case '\b':
        short_form = "\\b";
        break;
    case '\f':
        short_form = "\\f";
        break;
    case '\n':
        short_form = "\\n";
        break;
    case '\r':
        short_form = "\\r";
        break;
    case '\t':
        short_form = "\\t";
        break;
    default:
        break;
    }
    if (short_form) {
        put(w, short_form, 2);
        return;
    }
    int n;
    if (cp < 0x10000) {
        n = snprintf(tmp, sizeof(tmp), "\\u%04X", (unsigned)cp);
    } else {
        long v = cp - 0x10000;
        n = snprintf(tmp, sizeof(tmp), "\\u%04X\\u%04X",
                     (unsigned)(0xD800 | ((v >> 10) & 0x3FF)),
                     (unsigned)(0xDC00 | (v & 0x3FF)));
    }
    put(w, tmp, (size_t)n);
}

/* Bytes copied as they are: printable ASCII but '"' and '\\'
 * (0x20..0x7F except 0x22 and 0x5C). */
/* clang-format off */
static const unsigned char plain[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
/* clang-format on */

static inline bool
plain_byte(unsigned char c)
{
    return plain[c];
}

static void
put_string(struct cr_jsonw *w, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    put_char(w, '"');
    size_t i = 0;
    while (i < len && w->err == 0) {
        size_t run = i;
        while (run < len && plain_byte(p[run]))
            run++;
        if (run > i)
            put(w, s + i, run - i);
        i = run;
        if (i >= len)
            break;
        size_t used;
        long cp = utf8_next(p + i, len - i, &used);
        put_escape(w, cp < 0 ? 0xFFFD : cp);
        i += used;
    }
    put_char(w, '"');
}

/* The same for a NUL-terminated string, in one pass (no strlen: the
 * strings of a big document are scattered in memory, each read once). */
static void
put_cstring(struct cr_jsonw *w, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    put_char(w, '"');
    for (;;) {
        const unsigned char *run = p;
        while (plain[*p])
            p++;
        if (p > run)
            put(w, (const char *)run, (size_t)(p - run));
        if (*p == '\0' || w->err)
            break;
        /* utf8_next() stops at the first byte that is not a continuation
         * byte, so it never reads past the terminator. */
        size_t used;
        long cp = utf8_next(p, 4, &used);
        put_escape(w, cp < 0 ? 0xFFFD : cp);
        p += used;
    }
    put_char(w, '"');
}

void
cr_jsonw_key_n(struct cr_jsonw *w, const char *key, size_t len)
{
    if (w->err)
        return;
    if (w->after_key || w->depth == 0) {
        w->err = CR_EINVAL_INPUT;
        return;
    }
    separate(w);
    put_string(w, key, len);
    put_char(w, ':');
    w->after_key = true;
}

void
cr_jsonw_key(struct cr_jsonw *w, const char *key)
{
    if (w->err)
        return;
    if (w->after_key || w->depth == 0) {
        w->err = CR_EINVAL_INPUT;
        return;
    }
    separate(w);
    put_cstring(w, key);
    put_char(w, ':');
    w->after_key = true;
}

void
cr_jsonw_string_n(struct cr_jsonw *w, const char *s, size_t len)
{
    if (w->err)
        return;
    separate(w);
    if (s == NULL)
        put(w, "null", 4);
    else
        put_string(w, s, len);
}

void
cr_jsonw_string(struct cr_jsonw *w, const char *s)
{
    if (w->err)
        return;
    separate(w);
    if (s == NULL)
        put(w, "null", 4);
    else
        put_cstring(w, s);
}

/* ---- numbers ---------------------------------------------------------- */

size_t
cr_jsonw_format_real_slow(double v, char *out)
{
    if (!isfinite(v)) {
        memcpy(out, "null", 5);
        return 4;
    }
    int n = snprintf(out, CR_JSONW_REAL_MAX, "%.16g", v);
    if (n < 0 || n >= CR_JSONW_REAL_MAX - 3) {
        memcpy(out, "null", 5);
        return 4;
    }
    size_t len = (size_t)n;
    /* A real must read back as a real. */
    if (strchr(out, '.') == NULL && strchr(out, 'e') == NULL) {
        memcpy(out + len, ".0", 3);
        len += 2;
    }
    /* "1e+20" -> "1e20", "1e-05" -> "1e-5". */
    char *e = strchr(out, 'e');
    if (e) {
        char *start = e + 1;
        char *digits = start;
        if (*digits == '+' || *digits == '-')
            digits++;
        if (*start == '-')
            start++;
        char *end = digits;
        while (*end == '0' && end[1] != '\0')
            end++;
        if (end != start) {
            memmove(start, end, strlen(end) + 1);
            len = strlen(out);
        }
    }
    return len;
}

static const uint64_t pow10_u64[20] = {1ull,
                                       10ull,
                                       100ull,
                                       1000ull,
                                       10000ull,
                                       100000ull,
                                       1000000ull,
                                       10000000ull,
                                       100000000ull,
                                       1000000000ull,
                                       10000000000ull,
                                       100000000000ull,
                                       1000000000000ull,
                                       10000000000000ull,
                                       100000000000000ull,
                                       1000000000000000ull,
                                       10000000000000000ull,
                                       100000000000000000ull,
                                       1000000000000000000ull,
                                       10000000000000000000ull};

/* m * 10^p / 2^s, exactly: its floor, and whether rounding it half to
 * even goes up. */
static uint64_t
scaled(uint64_t m, int p, int s, bool *round_up)
{
    u128 n = (u128)m * pow10_u64[p];
    u128 d = n >> s;
    u128 rem = n & (((u128)1 << s) - 1);
    u128 half = (u128)1 << (s - 1);
    *round_up = rem > half || (rem == half && (d & 1));
    return (uint64_t)d;
}

/* The 16 significant digits of a (1e-4 <= a < 1e15) as "%.16e" rounds
 * them, and the decimal exponent; false if the search does not settle
 * (never expected). e10 = floor(log10 a) is the e for which
 * floor(a * 10^(15 - e)) has 16 digits, found exactly; rounding may then
 * carry into a 17th digit, which moves the exponent up. */
static bool
digits16(double a, uint64_t *digits, int *e10)
{
    int bexp;
    double f = frexp(a, &bexp); /* a = f * 2^bexp, 0.5 <= f < 1 */
    uint64_t m = (uint64_t)ldexp(f, 53);
    int s = 53 - bexp; /* a = m / 2^s */
    if (s < 1 || s > 120)
        return false;
    /* floor(log10(a)) within one: (bexp - 1) * log10(2), in fixed point
     * (78913 / 2^18 = 0.30103); the search corrects it. */
    int e = ((bexp - 1) * 78913) >> 18;
    for (int tries = 0; tries < 4; tries++) {
        int p = 15 - e;
        if (p < 0 || p > 19)
            return false;
        bool up;
        uint64_t d = scaled(m, p, s, &up);
        if (d >= pow10_u64[16]) {
            e++;
        } else if (d < pow10_u64[15]) {
            e--;
        } else {
            d += up;
            if (d == pow10_u64[16]) {
                d = pow10_u64[15];
                e++;
            }
            *digits = d;
            *e10 = e;
            return true;
        }
    }
    return false;
}

size_t
cr_jsonw_format_real(double v, char *out)
{
    double a = fabs(v);
    if (!(a >= 1e-4 && a < 1e15)) {
        if (v == 0) {
            if (signbit(v)) {
                memcpy(out, "-0.0", 5);
                return 4;
            }
            memcpy(out, "0.0", 4);
            return 3;
        }
        return cr_jsonw_format_real_slow(v, out);
    }
    uint64_t d;
    int e;
    if (!digits16(a, &d, &e))
        return cr_jsonw_format_real_slow(v, out);
    char dig[17];
    for (int i = 15; i >= 0; i--) {
        dig[i] = (char)('0' + d % 10);
        d /= 10;
    }
    int last = 15; /* last significant digit kept (no trailing zeros) */
    while (last > 0 && dig[last] == '0')
        last--;
    size_t n = 0;
    if (v < 0)
        out[n++] = '-';
    if (e >= 0) {
        for (int i = 0; i <= e; i++)
            out[n++] = dig[i];
        if (last > e) {
            out[n++] = '.';
            for (int i = e + 1; i <= last; i++)
                out[n++] = dig[i];
        } else {
            out[n++] = '.';
            out[n++] = '0';
        }
    } else {
        out[n++] = '0';
        out[n++] = '.';
        for (int i = 0; i < -e - 1; i++)
            out[n++] = '0';
        for (int i = 0; i <= last; i++)
            out[n++] = dig[i];
    }
    out[n] = '\0';
    return n;
}

void
cr_jsonw_real(struct cr_jsonw *w, double v)
{
    if (w->err)
        return;
    separate(w);
    char tmp[CR_JSONW_REAL_MAX];
    put(w, tmp, cr_jsonw_format_real(v, tmp));
}

/* Decimal digits of v at the end of tmp (24 bytes); returns the start. */
static char *
format_integer(long long v, char tmp[24])
{
    char *p = tmp + 24;
    unsigned long long u =
        v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    return p;
}

void
cr_jsonw_integer(struct cr_jsonw *w, long long v)
{
    if (w->err)
        return;
    separate(w);
    char tmp[24];
    char *p = format_integer(v, tmp);
    put(w, p, (size_t)(tmp + sizeof(tmp) - p));
}

void
cr_jsonw_bool(struct cr_jsonw *w, bool v)
{
    if (w->err)
        return;
    separate(w);
    if (v)
        put(w, "true", 4);
    else
        put(w, "false", 5);
}

void
cr_jsonw_null(struct cr_jsonw *w)
{
    if (w->err)
        return;
    separate(w);
    put(w, "null", 4);
}

/* Trees nested deeper than this inside a value are left to jansson's own
 * dumper (same bytes, slower), bounding this function's recursion. */
#define VALUE_MAX_DEPTH 32

static void put_value(struct cr_jsonw *w, const json_t *v, int depth);

static void
put_object(struct cr_jsonw *w, json_t *o, int depth)
{
    put_char(w, '{');
    bool first = true;
    for (void *it = json_object_iter(o); it && w->err == 0;
         it = json_object_iter_next(o, it)) {
        if (!first)
            put_char(w, ',');
        first = false;
        put_string(w, json_object_iter_key(it), json_object_iter_key_len(it));
        put_char(w, ':');
        put_value(w, json_object_iter_value(it), depth + 1);
    }
    put_char(w, '}');
}

static void
put_array(struct cr_jsonw *w, json_t *a, int depth)
{
    put_char(w, '[');
    size_t n = json_array_size(a);
    for (size_t i = 0; i < n && w->err == 0; i++) {
        if (i)
            put_char(w, ',');
        put_value(w, json_array_get(a, i), depth + 1);
    }
    put_char(w, ']');
}

static void
put_value(struct cr_jsonw *w, const json_t *v, int depth)
{
    /* jansson's iteration API takes non-const pointers; nothing is
     * modified. */
    json_t *mv = (json_t *)(uintptr_t)v;
    char tmp[CR_JSONW_REAL_MAX];
    switch (json_typeof(v)) {
    case JSON_OBJECT:
    case JSON_ARRAY:
        if (depth >= VALUE_MAX_DEPTH) {
            if (cr_json_dump_buf(v, w->out) != 0)
                w->err = CR_ETOOBIG;
        } else if (json_is_object(v)) {
            put_object(w, mv, depth);
        } else {
            put_array(w, mv, depth);
        }
        break;
    case JSON_STRING:
        put_string(w, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER: {
        char num[24];
        char *p = format_integer((long long)json_integer_value(v), num);
        put(w, p, (size_t)(num + sizeof(num) - p));
        break;
    }
    case JSON_REAL:
        put(w, tmp, cr_jsonw_format_real(json_real_value(v), tmp));
        break;
    case JSON_TRUE:
        put(w, "true", 4);
        break;
    case JSON_FALSE:
        put(w, "false", 5);
        break;
    default:
        put(w, "null", 4);
        break;
    }
}

void
cr_jsonw_value(struct cr_jsonw *w, const json_t *v)
{
    if (w->err)
        return;
    separate(w);
    if (v == NULL)
        put(w, "null", 4);
    else
        put_value(w, v, 0);
}

void
cr_jsonw_raw(struct cr_jsonw *w, const char *json, size_t len)
{
    if (w->err)
        return;
    separate(w);
    put(w, json, len);
}

/* ---- key + value ------------------------------------------------------ */

void
cr_jsonw_kstring(struct cr_jsonw *w, const char *key, const char *s)
{
    cr_jsonw_key(w, key);
    cr_jsonw_string(w, s);
}

void
cr_jsonw_kreal(struct cr_jsonw *w, const char *key, double v)
{
    cr_jsonw_key(w, key);
    cr_jsonw_real(w, v);
}

void
cr_jsonw_kinteger(struct cr_jsonw *w, const char *key, long long v)
{
    cr_jsonw_key(w, key);
    cr_jsonw_integer(w, v);
}

void
cr_jsonw_kbool(struct cr_jsonw *w, const char *key, bool v)
{
    cr_jsonw_key(w, key);
    cr_jsonw_bool(w, v);
}

void
cr_jsonw_kvalue(struct cr_jsonw *w, const char *key, const json_t *v)
{
    cr_jsonw_key(w, key);
    cr_jsonw_value(w, v);
}
