/* SPDX-License-Identifier: Apache-2.0
 *
 * maintfmt.c: see maintfmt.h.
 */
#include "maintfmt.h"

#include "base/duration.h"
#include "base/err.h"
#include "base/json.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_EPOCH_SECS 9.0e9 /* nanoseconds must fit an int64 */

/* ---- times ---------------------------------------------------------------
 */

/* Exactly n digits at *p, advancing it. */
static bool
take_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool
take_char(const char **p, const char *set)
{
    if (**p == '\0' || strchr(set, **p) == NULL)
        return false;
    (*p)++;
    return true;
}

/* ".123" (any number of digits) as a fraction of a second. */
static double
take_fraction(const char **p)
{
    double f = 0, scale = 0.1;
    if (**p != '.')
        return 0;
    (*p)++;
    while (isdigit((unsigned char)**p)) {
        f += (**p - '0') * scale;
        scale /= 10;
        (*p)++;
    }
    return f;
}

/* "Z", or "+HH:MM" / "-HH:MM" as seconds east of UTC. */
static bool
take_offset(const char **p, int *secs)
{
    if (take_char(p, "Zz")) {
        *secs = 0;
        return true;
    }
    int sign = **p == '-' ? -1 : 1;
    int h, m;
    if (!take_char(p, "+-") || !take_digits(p, 2, &h) || !take_char(p, ":") ||
        !take_digits(p, 2, &m) || h > 23 || m > 59)
        return false;
    *secs = sign * (h * 3600 + m * 60);
    return true;
}

static int
parse_rfc3339(const char *s, double *out)
{
    const char *p = s;
    int y, mo, d, h, mi, se, off;
    if (!take_digits(&p, 4, &y) || !take_char(&p, "-") ||
        !take_digits(&p, 2, &mo) || !take_char(&p, "-") ||
        !take_digits(&p, 2, &d) || !take_char(&p, "Tt ") ||
        !take_digits(&p, 2, &h) || !take_char(&p, ":") ||
        !take_digits(&p, 2, &mi) || !take_char(&p, ":") ||
        !take_digits(&p, 2, &se))
        return CR_EINVAL_INPUT;
    double frac = take_fraction(&p);
    if (!take_offset(&p, &off) || *p != '\0')
        return CR_EINVAL_INPUT;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        se > 60)
        return CR_EINVAL_INPUT;
    struct tm tm = {.tm_year = y - 1900,
                    .tm_mon = mo - 1,
                    .tm_mday = d,
                    .tm_hour = h,
                    .tm_min = mi,
                    .tm_sec = se};
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != d) /* 2023-02-30 normalises */
        return CR_EINVAL_INPUT;
    double v = (double)t - off + frac;
    if (v < 0 || v >= MAX_EPOCH_SECS)
        return CR_EINVAL_INPUT;
    *out = v;
    return 0;
}

int
cli_time_parse(const char *s, double now, double *out)
{
    if (s == NULL || *s == '\0')
        return CR_EINVAL_INPUT;
    if (strcmp(s, "now") == 0) {
        *out = now;
        return 0;
    }
    if (strchr(s, '-') == NULL) { /* no date: seconds since the epoch */
        char *end;
        errno = 0;
        double v = strtod(s, &end);
        if (errno || end == s || *end != '\0' || !isfinite(v) || v < 0 ||
            v >= MAX_EPOCH_SECS)
            return CR_EINVAL_INPUT;
        *out = v;
        return 0;
    }
    return parse_rfc3339(s, out);
}

char *
cli_time_format(double secs, char *out, size_t n)
{
    if (!isfinite(secs) || secs < 0 || secs >= MAX_EPOCH_SECS) {
        snprintf(out, n, "%g", secs);
        return out;
    }
    long long ms = llround(secs * 1000.0);
    time_t whole = (time_t)(ms / 1000);
    struct tm tm;
    char date[40];
    if (gmtime_r(&whole, &tm) == NULL ||
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(out, n, "%g", secs);
        return out;
    }
    if (ms % 1000)
        snprintf(out, n, "%s.%03lldZ", date, ms % 1000);
    else
        snprintf(out, n, "%sZ", date);
    return out;
}

/* ---- machines ------------------------------------------------------------
 */

static bool
field_ok(const char *s, size_t len)
{
    if (len > CLI_MACHINE_FIELD_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == ',')
            return false;
    return true;
}

/* {hostname?, ip?} of two (pointer, length) fields; empty ones left out. */
static json_t *
machine_new(const char *host, size_t hlen, const char *ip, size_t ilen)
{
    json_t *m = json_object();
    if (hlen > 0)
        json_object_set_new(m, "hostname", json_stringn(host, hlen));
    if (ilen > 0)
        json_object_set_new(m, "ip", json_stringn(ip, ilen));
    return m;
}

json_t *
cli_machine_parse(const char *word, char *err, size_t errlen)
{
    const char *slash = strchr(word, '/');
    size_t hlen = slash ? (size_t)(slash - word) : strlen(word);
    const char *ip = slash ? slash + 1 : "";
    size_t ilen = strlen(ip);
    if ((hlen == 0 && ilen == 0) || !field_ok(word, hlen) ||
        !field_ok(ip, ilen) || strchr(ip, '/')) {
        snprintf(err, errlen,
                 "bad machine '%.80s' (expected HOST, HOST/IP "
                 "or /IP)",
                 word);
        return NULL;
    }
    return machine_new(word, hlen, ip, ilen);
}

json_t *
cli_machines_parse(const char *const *words, size_t n, char *err, size_t errlen)
{
    if (n == 0) {
        snprintf(err, errlen, "no machine given (HOST[/IP]...)");
        return NULL;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *m = cli_machine_parse(words[i], err, errlen);
        if (m == NULL) {
            json_decref(arr);
            return NULL;
        }
        json_array_append_new(arr, m);
    }
    return arr;
}

json_t *
cli_machines_from_lists(const char *const *hosts, size_t nh,
                        const char *const *ips, size_t ni, char *err,
                        size_t errlen)
{
    if (nh == 0 && ni == 0) {
        snprintf(err, errlen, "give --hostname and/or --ip (or a FILE)");
        return NULL;
    }
    if (nh > 0 && ni > 0 && nh != ni) {
        snprintf(err, errlen,
                 "%zu --hostname but %zu --ip: give one --ip per "
                 "--hostname, or only one kind",
                 nh, ni);
        return NULL;
    }
    size_t n = nh > ni ? nh : ni;
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *h = nh ? hosts[i] : "", *ip = ni ? ips[i] : "";
        if ((*h == '\0' && *ip == '\0') || !field_ok(h, strlen(h)) ||
            !field_ok(ip, strlen(ip))) {
            snprintf(err, errlen, "bad machine '%.80s/%.80s'", h, ip);
            json_decref(arr);
            return NULL;
        }
        json_array_append_new(arr, machine_new(h, strlen(h), ip, strlen(ip)));
    }
    return arr;
}

/* ---- schedules -----------------------------------------------------------
 */

static json_t *
time_info_new(double secs)
{
    return json_pack("{s:I}", "nanoseconds", (json_int_t)llround(secs * 1e9));
}

json_t *
cli_window_new(json_t *machines, double start, double duration)
{
    json_t *un = json_pack("{s:o}", "start", time_info_new(start));
    if (duration >= 0)
        json_object_set_new(un, "duration", time_info_new(duration));
    return json_pack("{s:o, s:o}", "machine_ids", machines, "unavailability",
                     un);
}

static bool
str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static bool
machine_eq(const json_t *a, const json_t *b)
{
    return str_eq(cr_json_str(a, "hostname"), cr_json_str(b, "hostname")) &&
           str_eq(cr_json_str(a, "ip"), cr_json_str(b, "ip"));
}

static bool
in_machines(const json_t *machines, const json_t *m)
{
    size_t i;
    json_t *x;
    json_array_foreach(machines, i, x)
    {
        if (machine_eq(x, m))
            return true;
    }
    return false;
}

json_t *
cli_schedule_add_window(const json_t *schedule, json_t *window)
{
    const json_t *taken = json_object_get(window, "machine_ids");
    json_t *windows = json_array();
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(schedule, "windows"), i, w)
    {
        json_t *keep = json_array();
        size_t j;
        json_t *m;
        json_array_foreach(json_object_get(w, "machine_ids"), j, m)
        {
            if (!in_machines(taken, m))
                json_array_append(keep, m);
        }
        if (json_array_size(keep) == 0) {
            json_decref(keep);
            continue;
        }
        json_t *copy = json_deep_copy(w);
        json_object_set_new(copy, "machine_ids", keep);
        json_array_append_new(windows, copy);
    }
    json_array_append_new(windows, window);
    return json_pack("{s:o}", "windows", windows);
}

static int
check_window(const json_t *w, size_t i, char *err, size_t errlen)
{
    const json_t *ids = json_object_get(w, "machine_ids");
    size_t j;
    json_t *m;
    if (!json_is_object(w) || !json_is_array(ids)) {
        snprintf(err, errlen, "window %zu: no machine_ids array", i);
        return -1;
    }
    json_array_foreach(ids, j, m)
    {
        if (!json_is_object(m) || (cr_json_str(m, "hostname") == NULL &&
                                   cr_json_str(m, "ip") == NULL)) {
            snprintf(err, errlen,
                     "window %zu: machine %zu needs a hostname or an ip", i, j);
            return -1;
        }
    }
    const json_t *start =
        json_object_get(json_object_get(w, "unavailability"), "start");
    if (!json_is_number(json_object_get(start, "nanoseconds"))) {
        snprintf(err, errlen, "window %zu: no unavailability.start.nanoseconds",
                 i);
        return -1;
    }
    return 0;
}

const json_t *
cli_schedule_from_doc(const json_t *doc, char *err, size_t errlen)
{
    const json_t *s = doc;
    if (json_is_object(json_object_get(doc, "schedule")))
        s = json_object_get(doc, "schedule");
    if (!json_is_object(s)) {
        snprintf(err, errlen,
                 "not a maintenance schedule (a JSON object "
                 "with 'windows')");
        return NULL;
    }
    const json_t *windows = json_object_get(s, "windows");
    if (windows != NULL && !json_is_array(windows)) {
        snprintf(err, errlen, "'windows' must be an array");
        return NULL;
    }
    size_t i;
    json_t *w;
    json_array_foreach(windows, i, w)
    {
        if (check_window(w, i, err, errlen) != 0)
            return NULL;
    }
    return s;
}

/* ---- tables --------------------------------------------------------------
 */

static void
window_rows(struct cli_table *t, const json_t *w, size_t idx)
{
    char num[24], start[48] = "", dur[48] = "-";
    const json_t *un = json_object_get(w, "unavailability");
    double ns;
    snprintf(num, sizeof(num), "%zu", idx);
    if (cr_json_num(json_object_get(un, "start"), "nanoseconds", &ns))
        cli_time_format(ns / 1e9, start, sizeof(start));
    if (cr_json_num(json_object_get(un, "duration"), "nanoseconds", &ns))
        cr_duration_format(ns / 1e9, dur, sizeof(dur));
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(w, "machine_ids"), i, m)
    {
        const char *row[] = {num, cr_json_str(m, "hostname"),
                             cr_json_str(m, "ip"), start, dur};
        cli_table_add(t, row);
    }
}

void
cli_schedule_table(const json_t *schedule, struct cli_table *t)
{
    static const char *const hdr[] = {"WINDOW", "HOSTNAME", "IP", "START",
                                      "DURATION"};
    cli_table_init(t, 5, hdr);
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(schedule, "windows"), i, w)
        window_rows(t, w, i);
}

/* "<framework id>:<status>,..." of InverseOfferStatuses into b. */
static void
responses_text(const json_t *statuses, char *b, size_t n)
{
    size_t len = 0, i;
    json_t *s;
    b[0] = '\0';
    json_array_foreach(statuses, i, s)
    {
        const char *fw = cr_json_id(s, "framework_id");
        const char *st = cr_json_str(s, "status");
        int w = snprintf(b + len, n - len, "%s%s:%s", len ? "," : "",
                         fw ? fw : "?", st ? st : "UNKNOWN");
        if (w < 0 || (size_t)w >= n - len)
            break;
        len += (size_t)w;
    }
}

void
cli_maint_status_table(const json_t *status, struct cli_table *t)
{
    static const char *const hdr[] = {"HOSTNAME", "IP", "MODE", "RESPONSES"};
    cli_table_init(t, 4, hdr);
    char resp[1024];
    size_t i;
    json_t *m;
    json_array_foreach(json_object_get(status, "draining_machines"), i, m)
    {
        const json_t *id = json_object_get(m, "id");
        responses_text(json_object_get(m, "statuses"), resp, sizeof(resp));
        const char *row[] = {cr_json_str(id, "hostname"), cr_json_str(id, "ip"),
                             "DRAINING", resp};
        cli_table_add(t, row);
    }
    json_array_foreach(json_object_get(status, "down_machines"), i, m)
    {
        const char *row[] = {cr_json_str(m, "hostname"), cr_json_str(m, "ip"),
                             "DOWN", NULL};
        cli_table_add(t, row);
    }
}
