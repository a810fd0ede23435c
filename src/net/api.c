/* SPDX-License-Identifier: Apache-2.0
 *
 * api.c: see api.h.
 */
#include "api.h"

#include "base/buf.h"
#include "base/json.h"
#include "base/log.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Deepest nesting cr_api_strip_nulls descends into; Mesos messages stay
 * far shallower. */
#define NULL_STRIP_MAX_DEPTH 64
/* The longest SET_LOGGING_LEVEL duration honoured: a year. */
#define LEVEL_MAX_MS (365.0 * 86400e3)

/* ---- media types ------------------------------------------------------- */

/* Stricter than necessary would break curl users for nothing. */
bool
cr_api_is_media(const char *header, const char *type)
{
    size_t n = strlen(type);
    return header && strncasecmp(header, type, n) == 0 &&
           (header[n] == '\0' || header[n] == ';' || header[n] == ' ');
}

bool
cr_api_accepts_json(const char *accept)
{
    return accept == NULL || *accept == '\0' ||
           strstr(accept, "application/json") || strstr(accept, "*/*") ||
           strstr(accept, "application/*");
}

/* ---- request checks ---------------------------------------------------- */

int
cr_api_check_post_json(struct cr_http_req *req)
{
    if (strcmp(req->method, "POST") != 0) {
        cr_http_respond(req, 405, "text/plain", "Expecting 'POST'", 16,
                        "Allow: POST\r\n");
        return -1;
    }
    const char *ct = cr_http_headers_get(&req->headers, "Content-Type");
    if (ct == NULL) {
        cr_http_respond_text(req, 400,
                             "Expecting 'Content-Type' to be present");
        return -1;
    }
    if (!cr_api_is_media(ct, "application/json")) {
        char msg[300];
        snprintf(msg, sizeof(msg),
                 "Expecting 'Content-Type' of application/json (protobuf is "
                 "not supported); got '%.200s'",
                 ct);
        cr_http_respond_text(req, 415, msg);
        return -1;
    }
    return 0;
}

int
cr_api_check_accept(struct cr_http_req *req)
{
    if (cr_api_accepts_json(cr_http_headers_get(&req->headers, "Accept")))
        return 0;
    cr_http_respond_text(req, 406, CR_API_NOT_ACCEPTABLE);
    return -1;
}

static void
strip_nulls(json_t *v, int depth)
{
    const char *key;
    json_t *e;
    void *tmp;
    size_t i;
    if (depth > NULL_STRIP_MAX_DEPTH)
        return;
    if (json_is_object(v)) {
        json_object_foreach_safe(v, tmp, key, e)
        {
            if (json_is_null(e))
                json_object_del(v, key);
            else
                strip_nulls(e, depth + 1);
        }
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, e)
        {
            strip_nulls(e, depth + 1);
        }
    }
}

void
cr_api_strip_nulls(json_t *v)
{
    strip_nulls(v, 0);
}

int
cr_api_parse_call(struct cr_http_req *req, cr_api_validate_fn validate,
                  const char *what, json_t **out)
{
    char err[256], msg[320];
    if (cr_api_check_post_json(req) != 0)
        return -1;
    json_t *call = cr_json_parse(req->body, req->body_len, err, sizeof(err));
    if (call == NULL || !json_is_object(call)) {
        snprintf(msg, sizeof(msg), "Failed to parse body into Call: %s",
                 call ? "not a JSON object" : err);
        json_decref(call);
        cr_http_respond_text(req, 400, msg);
        return -1;
    }
    strip_nulls(call, 0);
    if (validate(call, err, sizeof(err)) != 0) {
        snprintf(msg, sizeof(msg), "Failed to validate %s: %s", what, err);
        json_decref(call);
        cr_http_respond_text(req, 400, msg);
        return -1;
    }
    *out = call;
    return 0;
}

/* ---- responses --------------------------------------------------------- */

void
cr_api_respond_json(struct cr_http_req *req, const json_t *resp, size_t max)
{
    struct cr_buf b;
    cr_buf_init(&b, max);
    if (cr_json_dump_buf(resp, &b) != 0) {
        cr_buf_fini(&b);
        cr_http_respond_text(req, 500, "Response too large");
        return;
    }
    cr_http_respond(req, 200, "application/json", b.data, b.len, NULL);
    cr_buf_fini(&b);
}

char *
cr_api_type_field(const char *type, char *out, size_t n)
{
    size_t i = 0;
    for (; type[i] && i + 1 < n; i++)
        out[i] =
            (char)(type[i] >= 'A' && type[i] <= 'Z' ? type[i] + 32 : type[i]);
    out[i] = '\0';
    return out;
}

void
cr_api_respond_typed(struct cr_http_req *req, const char *type, json_t *body,
                     size_t max)
{
    char field[64];
    cr_api_type_field(type, field, sizeof(field));
    json_t *resp = json_pack("{s:s, s:o}", "type", type, field, body);
    cr_api_respond_json(req, resp, max);
    json_decref(resp);
}

/* ---- the calls every operator API shares -------------------------------- */

/* Seconds since the epoch of this file's compilation: VersionInfo's
 * build_time is a double, as upstream's. */
static double
build_time(void)
{
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    if (strptime(__DATE__ " " __TIME__, "%b %d %Y %H:%M:%S", &tm) == NULL)
        return 0.0;
    return (double)timegm(&tm);
}

json_t *
cr_api_version_info(bool git_sha)
{
    json_t *v =
        json_pack("{s:s, s:s, s:f, s:s}", "version", CR_VERSION, "build_date",
                  __DATE__, "build_time", build_time(), "build_user", "corral");
    if (git_sha)
        json_object_set_new(v, "git_sha", json_string(""));
    return v;
}

json_t *
cr_api_metrics(json_t *flat)
{
    json_t *metrics = json_array();
    const char *name;
    json_t *v;
    json_object_foreach(flat, name, v)
    {
        if (json_is_number(v))
            json_array_append_new(metrics,
                                  json_pack("{s:s, s:f}", "name", name, "value",
                                            json_number_value(v)));
    }
    json_decref(flat);
    return json_pack("{s:o}", "metrics", metrics);
}

json_t *
cr_api_logging_level(void)
{
    json_int_t level = cr_log_level_current > CR_LOG_INFO
                           ? cr_log_level_current - CR_LOG_INFO
                           : 0;
    return json_pack("{s:I}", "level", level);
}

static uv_timer_t level_timer;
static bool level_timer_ready;
static int level_saved = -1; /* the level before a temporary change */

static void
on_level_timer(uv_timer_t *t)
{
    (void)t;
    if (level_saved >= 0)
        cr_log_set_level((enum cr_log_level)level_saved);
    level_saved = -1;
    cr_info("logging level reverted");
}

void
cr_api_set_logging_level(uv_loop_t *loop, unsigned level, double ms)
{
    if (!level_timer_ready) {
        uv_timer_init(loop, &level_timer);
        uv_unref((uv_handle_t *)&level_timer);
        level_timer_ready = true;
    }
    if (level_saved < 0)
        level_saved = cr_log_level_current;
    int base = level_saved > CR_LOG_INFO ? CR_LOG_INFO : level_saved;
    cr_log_set_level(level >= 1 ? CR_LOG_DEBUG : (enum cr_log_level)base);
    uint64_t delay = ms > 0 ? (uint64_t)fmin(ms, LEVEL_MAX_MS) : 0;
    uv_timer_start(&level_timer, on_level_timer, delay, 0);
    cr_info("logging level set to %d for %llu ms", cr_log_level_current,
            (unsigned long long)delay);
}
