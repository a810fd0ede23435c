/* SPDX-License-Identifier: Apache-2.0
 *
 * protocol.c: Spark REST protocol v1 routing and validation, memory
 * strings, submission ids and driver commands for corral-dispatcher. See
 * protocol.h. Pure functions; no I/O.
 */
#include "protocol.h"

#include "base/mem.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PATH_HINT                                                              \
    " Please submit requests through "                                         \
    "http://[host]:[port]/v1/submissions/..."
#define MAX_SEGS 4
#define CMD_MAX  (1024u * 1024)
/* Escaping at most doubles a bounded (16 MB) request, so appends never hit
 * this; the result is then checked against CMD_MAX. */
#define CMD_BUF_MAX (64u * 1024 * 1024)

/* ---- routing ---- */

/* Split path into up to MAX_SEGS non-empty segments (copied into store). */
static size_t
split_path(const char *path, char store[MAX_SEGS][DISP_MAX_ID])
{
    size_t n = 0;
    const char *p = path;
    while (*p && n < MAX_SEGS) {
        while (*p == '/')
            p++;
        const char *e = p;
        while (*e && *e != '/')
            e++;
        if (e > p) {
            size_t len = (size_t)(e - p);
            if (len >= DISP_MAX_ID)
                len = DISP_MAX_ID - 1;
            memcpy(store[n], p, len);
            store[n][len] = '\0';
            n++;
        }
        p = e;
    }
    return n;
}

static void
route_error(struct disp_route *r, int status, const char *msg)
{
    r->action = DISP_ROUTE_ERROR;
    r->status = status;
    snprintf(r->message, sizeof(r->message), "%s%s", msg, PATH_HINT);
}

static void
route_endpoint(const char *method, const char *want, enum disp_action a,
               const char *id, struct disp_route *r)
{
    if (strcmp(method, want) != 0) {
        r->action = DISP_ROUTE_METHOD;
        r->status = 405;
        return;
    }
    r->action = a;
    if (a == DISP_ROUTE_CREATE)
        return;
    if (id == NULL || *id == '\0') {
        r->action = DISP_ROUTE_ERROR;
        r->status = 400;
        snprintf(r->message, sizeof(r->message),
                 "Submission ID is missing in %s request.",
                 a == DISP_ROUTE_STATUS ? "status" : "kill");
        return;
    }
    snprintf(r->id, sizeof(r->id), "%s", id);
}

void
disp_route(const char *method, const char *path, struct disp_route *r)
{
    char seg[MAX_SEGS][DISP_MAX_ID];
    memset(r, 0, sizeof(*r));
    size_t n = split_path(path ? path : "", seg);
    if (n == 0) {
        route_error(r, 400, "Missing protocol version.");
        return;
    }
    if (strcmp(seg[0], DISP_PROTOCOL_VERSION) != 0) {
        char msg[128];
        snprintf(msg, sizeof(msg), "Unknown protocol version '%s'.", seg[0]);
        route_error(r, 468, msg);
        r->version_mismatch = true;
        return;
    }
    if (n == 1 || strcmp(seg[1], "submissions") != 0) {
        route_error(r, 400, "Missing the /submissions prefix.");
        return;
    }
    const char *id = n > 3 ? seg[3] : NULL;
    if (n > 2 && strcmp(seg[2], "create") == 0)
        route_endpoint(method, "POST", DISP_ROUTE_CREATE, NULL, r);
    else if (n > 2 && strcmp(seg[2], "status") == 0)
        route_endpoint(method, "GET", DISP_ROUTE_STATUS, id, r);
    else if (n > 2 && strcmp(seg[2], "kill") == 0)
        route_endpoint(method, "POST", DISP_ROUTE_KILL, id, r);
    else
        route_error(r, 400,
                    "Missing an action: please specify one of /create, "
                    "/kill, or /status.");
}

/* ---- value parsing ---- */

static void
trim(const char *s, char *out, size_t n)
{
    while (isspace((unsigned char)*s))
        s++;
    snprintf(out, n, "%s", s);
    size_t len = strlen(out);
    while (len > 0 && isspace((unsigned char)out[len - 1]))
        out[--len] = '\0';
}

int
disp_parse_memory(const char *s, long long *bytes)
{
    static const struct {
        const char *suffix;
        int shift;
    } units[] = {{"", 0},   {"b", 0},   {"k", 10}, {"kb", 10},
                 {"m", 20}, {"mb", 20}, {"g", 30}, {"gb", 30},
                 {"t", 40}, {"tb", 40}, {"p", 50}, {"pb", 50}};
    char v[64];
    if (s == NULL || strlen(s) >= sizeof(v))
        return -1;
    trim(s, v, sizeof(v));
    if (!isdigit((unsigned char)v[0]))
        return -1;
    errno = 0;
    char *end = NULL;
    long long n = strtoll(v, &end, 10);
    if (errno != 0 || n < 0)
        return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcasecmp(end, units[i].suffix) != 0)
            continue;
        if (n > (LLONG_MAX >> units[i].shift))
            return -1;
        *bytes = n << units[i].shift;
        return 0;
    }
    return -1;
}

int
disp_parse_double(const char *s, double *out)
{
    char v[64];
    if (s == NULL || strlen(s) >= sizeof(v))
        return -1;
    trim(s, v, sizeof(v));
    if (v[0] == '\0')
        return -1;
    errno = 0;
    char *end = NULL;
    double d = strtod(v, &end);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = d;
    return 0;
}

int
disp_parse_bool(const char *s, bool *out)
{
    if (s == NULL)
        return -1;
    if (strcasecmp(s, "true") == 0)
        *out = true;
    else if (strcasecmp(s, "false") == 0)
        *out = false;
    else
        return -1;
    return 0;
}

/* ---- validation ---- */

static const char *const known_fields[] = {
    "action",  "clientSparkVersion", "appResource",          "mainClass",
    "appArgs", "sparkProperties",    "environmentVariables", "message",
};

static const char *const protocol_types[] = {
    "CreateSubmissionResponse",
    "KillSubmissionResponse",
    "SubmissionStatusResponse",
    "ErrorResponse",
};

static int
fail(char **msg, const char *fmt, const char *a, const char *b)
{
    char inner[512];
    snprintf(inner, sizeof(inner), fmt, a, b ? b : "");
    *msg = cr_xasprintf("Malformed request: %s", inner);
    return 400;
}

/* A field that must be present (not null). */
static int
need_field(const json_t *req, const char *name, char **msg)
{
    const json_t *v = json_object_get(req, name);
    if (v == NULL || json_is_null(v))
        return fail(msg,
                    "Validation of message CreateSubmissionRequest failed: "
                    "'%s' is missing in message CreateSubmissionRequest.%s",
                    name, NULL);
    return 0;
}

static bool
all_strings_array(const json_t *a)
{
    size_t i;
    const json_t *v;
    json_array_foreach(a, i, v) if (!json_is_string(v)) return false;
    return true;
}

static bool
all_strings_object(json_t *o)
{
    const char *k;
    const json_t *v;
    json_object_foreach(o, k, v) if (!json_is_string(v)) return false;
    return true;
}

/* Field types (Jackson would fail to map these). */
static int
check_types(json_t *req, char **msg)
{
    static const char *const strs[] = {"clientSparkVersion", "appResource",
                                       "mainClass", "message"};
    for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
        const json_t *v = json_object_get(req, strs[i]);
        if (v && !json_is_null(v) && !json_is_string(v))
            return fail(msg, "field '%s' must be a string.%s", strs[i], NULL);
    }
    const json_t *a = json_object_get(req, "appArgs");
    if (a && !json_is_null(a) && (!json_is_array(a) || !all_strings_array(a)))
        return fail(msg, "field '%s' must be an array of strings.%s", "appArgs",
                    NULL);
    static const char *const maps[] = {"sparkProperties",
                                       "environmentVariables"};
    for (size_t i = 0; i < 2; i++) {
        json_t *m = json_object_get(req, maps[i]);
        if (m && !json_is_null(m) &&
            (!json_is_object(m) || !all_strings_object(m)))
            return fail(msg, "field '%s' must be an object of strings.%s",
                        maps[i], NULL);
    }
    return 0;
}

static int
check_property(const json_t *props, const char *key, const char *kind,
               char **msg)
{
    const char *v = json_string_value(json_object_get(props, key));
    if (v == NULL)
        return 0;
    bool ok, b;
    double d;
    long long m;
    if (strcmp(kind, "boolean") == 0)
        ok = disp_parse_bool(v, &b) == 0;
    else if (strcmp(kind, "numeric") == 0)
        ok = disp_parse_double(v, &d) == 0;
    else
        ok = disp_parse_memory(v, &m) == 0;
    if (ok)
        return 0;
    char inner[384];
    snprintf(inner, sizeof(inner), "Property '%s' expected %s value: ", key,
             kind);
    return fail(msg,
                "Validation of message CreateSubmissionRequest failed: "
                "%sactual was '%s'.",
                inner, v);
}

static int
check_properties(const json_t *props, char **msg)
{
    if (json_string_value(json_object_get(props, "spark.app.name")) == NULL)
        return fail(msg,
                    "Validation of message CreateSubmissionRequest failed: "
                    "'%s' is missing in message CreateSubmissionRequest.%s",
                    "spark.app.name", NULL);
    int rc;
    if ((rc =
             check_property(props, "spark.driver.supervise", "boolean", msg)) ||
        (rc = check_property(props, "spark.driver.cores", "numeric", msg)) ||
        (rc = check_property(props, "spark.cores.max", "numeric", msg)) ||
        (rc = check_property(props, "spark.driver.memory", "memory", msg)) ||
        (rc = check_property(props, "spark.executor.memory", "memory", msg)))
        return rc;
    return 0;
}

/* The Mesos servlet's own checks (MesosSubmitRequestServlet). */
static int
check_mesos(const json_t *req, char **msg)
{
    static const struct {
        const char *field, *text;
    } checks[] = {
        {"appResource", "Application jar 'appResource' is missing."},
        {"mainClass", "Main class 'mainClass' is missing."},
        {"appArgs", "Command line arguments 'appArgs' are missing."},
        {"environmentVariables",
         "Environment variables 'environmentVariables' are missing."},
    };
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
        const json_t *v = json_object_get(req, checks[i].field);
        if (v == NULL || json_is_null(v))
            return fail(msg, "%s%s", checks[i].text, NULL);
    }
    return 0;
}

static json_t *
unknown_fields(json_t *req)
{
    json_t *out = NULL;
    const char *k;
    const json_t *v;
    json_object_foreach(req, k, v)
    {
        bool known = false;
        for (size_t i = 0; i < sizeof(known_fields) / sizeof(known_fields[0]);
             i++)
            known = known || strcmp(k, known_fields[i]) == 0;
        if (known)
            continue;
        if (out == NULL)
            out = json_array();
        json_array_append_new(out, json_string(k));
    }
    return out;
}

int
disp_validate_create(json_t *req, char **msg, json_t **unknown)
{
    *msg = NULL;
    if (unknown)
        *unknown = NULL;
    if (!json_is_object(req))
        return fail(msg, "the request body is not a JSON object.%s", "", NULL);
    const char *action = json_string_value(json_object_get(req, "action"));
    if (action == NULL)
        return fail(msg, "'action' is missing or not a string.%s", "", NULL);
    for (size_t i = 0; i < sizeof(protocol_types) / sizeof(protocol_types[0]);
         i++)
        if (strcmp(action, protocol_types[i]) == 0) {
            *msg =
                cr_xasprintf("Received message of unexpected type %s.", action);
            return 400;
        }
    if (strcmp(action, "CreateSubmissionRequest") != 0)
        return fail(msg, "Unknown message type '%s'.%s", action, NULL);
    int rc;
    if ((rc = check_types(req, msg)) ||
        (rc = need_field(req, "clientSparkVersion", msg)) ||
        (rc = need_field(req, "appResource", msg)) ||
        (rc = need_field(req, "appArgs", msg)) ||
        (rc = need_field(req, "environmentVariables", msg)))
        return rc;
    const json_t *props = json_object_get(req, "sparkProperties");
    if (props == NULL || json_is_null(props))
        return fail(msg,
                    "Validation of message CreateSubmissionRequest failed: "
                    "No Spark properties set!%s",
                    "", NULL);
    if ((rc = check_properties(props, msg)) || (rc = check_mesos(req, msg)))
        return rc;
    if (unknown)
        *unknown = unknown_fields(req);
    return 0;
}

/* ---- ids ---- */

void
disp_submission_id(char *out, size_t n, time_t t, unsigned long counter)
{
    struct tm tm;
    char ts[32];
    localtime_r(&t, &tm);
    strftime(ts, sizeof(ts), "%Y%m%d%H%M%S", &tm);
    snprintf(out, n, "driver-%s-%04lu", ts, counter);
}

bool
disp_submission_id_valid(const char *id)
{
    if (strncmp(id, "driver-", 7) != 0)
        return false;
    const char *p = id + 7;
    for (int i = 0; i < 14; i++)
        if (!isdigit((unsigned char)p[i]))
            return false;
    p += 14;
    if (*p++ != '-')
        return false;
    size_t digits = 0;
    while (isdigit((unsigned char)*p)) {
        p++;
        digits++;
    }
    return *p == '\0' && digits >= 4;
}

void
disp_task_submission(const char *task_id, char *out, size_t n)
{
    snprintf(out, n, "%s", task_id);
    char *r = strstr(out, "-retry-");
    if (r != NULL)
        *r = '\0';
}

/* ---- commands ---- */

static bool
wrapped_in_quotes(const char *s)
{
    size_t n = strlen(s);
    return n >= 3 && (s[0] == '"' || s[0] == '\'') && s[n - 1] == s[0];
}

int
disp_shell_escape(struct cr_buf *b, const char *s)
{
    if (*s == '\0')
        return cr_buf_puts(b, "\"\"");
    if (wrapped_in_quotes(s) || strpbrk(s, " '<>&|?*;!#\\()\"$`") == NULL)
        return cr_buf_puts(b, s);
    int rc = cr_buf_puts(b, "\"");
    for (const char *p = s; *p && rc == 0; p++) {
        if (strchr("\"`$\\", *p))
            rc = cr_buf_puts(b, "\\");
        if (rc == 0)
            rc = cr_buf_append(b, p, 1);
    }
    return rc ? rc : cr_buf_puts(b, "\"");
}

json_t *
disp_response_new(const char *action, const char *version)
{
    return json_pack("{s:s, s:s}", "action", action, "serverSparkVersion",
                     version);
}

char *
disp_response_dump(const json_t *resp)
{
    return json_dumps(resp, JSON_INDENT(2) | JSON_SORT_KEYS);
}

long
disp_driver_memory_mb(const json_t *props)
{
    long long mb = 1024;
    const char *m =
        json_string_value(json_object_get(props, "spark.driver.memory"));
    if (m != NULL) {
        long long bytes;
        if (disp_parse_memory(m, &bytes) != 0)
            return -1;
        mb = bytes / (1024 * 1024);
    }
    long long overhead = mb / 10 > 384 ? mb / 10 : 384;
    const char *o = json_string_value(
        json_object_get(props, "spark.driver.memoryOverhead"));
    if (o != NULL) {
        long long bytes;
        if (disp_parse_memory(o, &bytes) != 0)
            return -1;
        /* Spark reads this one in MiB when it has no suffix. */
        overhead = isdigit((unsigned char)o[strlen(o) - 1])
                       ? bytes
                       : bytes / (1024 * 1024);
    }
    if (mb + overhead > LONG_MAX / 2)
        return -1;
    return (long)(mb + overhead);
}

static void
fmt_double(char *out, size_t n, double d)
{
    if (d == floor(d) && fabs(d) < 1e15)
        snprintf(out, n, "%.1f", d);
    else
        snprintf(out, n, "%g", d);
}

static const char *
basename_of(const char *uri)
{
    const char *s = strrchr(uri, '/');
    return s ? s + 1 : uri;
}

/* "--opt value" with both escaped, preceded by a space. */
static void
add_opt(struct cr_buf *b, const char *opt, const char *value)
{
    cr_buf_printf(b, " %s ", opt);
    disp_shell_escape(b, value);
}

static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
add_confs(struct cr_buf *b, json_t *props)
{
    size_t n = json_object_size(props), k = 0;
    const char **keys = cr_xcalloc(n ? n : 1, sizeof(*keys));
    const char *key;
    const json_t *v;
    json_object_foreach(props, key, v)
    {
        if (strcmp(key, "spark.jars") &&
            strcmp(key, "spark.submit.deployMode") &&
            strcmp(key, "spark.master") && json_is_string(v))
            keys[k++] = key;
    }
    qsort(keys, k, sizeof(*keys), cmp_str);
    for (size_t i = 0; i < k; i++) {
        char *kv =
            cr_xasprintf("%s=%s", keys[i],
                         json_string_value(json_object_get(props, keys[i])));
        add_opt(b, "--conf", kv);
        free(kv);
    }
    free(keys);
}

/* The launcher prefix and sandbox path (reference §3.6). */
static const char *
add_launcher(struct cr_buf *b, const struct disp_cmd_input *in)
{
    if (in->executor_uri != NULL) {
        char base[256];
        snprintf(base, sizeof(base), "%s", basename_of(in->executor_uri));
        char *dot = strchr(base, '.');
        if (dot)
            *dot = '\0';
        cr_buf_printf(b, "cd %s*;  bin/spark-submit", base);
        return "..";
    }
    cr_buf_printf(b, "%s/bin/spark-submit", in->spark_home);
    return ".";
}

static void
add_args(struct cr_buf *b, const json_t *args)
{
    size_t i;
    const json_t *v;
    json_array_foreach(args, i, v)
    {
        cr_buf_puts(b, " ");
        disp_shell_escape(b, json_string_value(v));
    }
}

char *
disp_driver_command(const struct disp_cmd_input *in)
{
    struct cr_buf b;
    cr_buf_init(&b, CMD_BUF_MAX);
    if (in->spark_home == NULL && in->executor_uri == NULL) {
        disp_shell_escape(&b, in->app_resource);
        add_args(&b, in->app_args);
    } else {
        const char *sandbox = add_launcher(&b, in);
        char num[64];
        add_opt(&b, "--name", in->app_name);
        char *master = cr_xasprintf("mesos://%s", in->master);
        add_opt(&b, "--master", master);
        free(master);
        fmt_double(num, sizeof(num), in->cores);
        add_opt(&b, "--driver-cores", num);
        snprintf(num, sizeof(num), "%ldM", in->mem_mb);
        add_opt(&b, "--driver-memory", num);
        if (in->main_class && *in->main_class)
            add_opt(&b, "--class", in->main_class);
        const char *em = json_string_value(
            json_object_get(in->props, "spark.executor.memory"));
        const char *cm =
            json_string_value(json_object_get(in->props, "spark.cores.max"));
        if (em)
            add_opt(&b, "--executor-memory", em);
        if (cm)
            add_opt(&b, "--total-executor-cores", cm);
        add_confs(&b, in->props);
        char *res =
            cr_xasprintf("%s/%s", sandbox, basename_of(in->app_resource));
        cr_buf_puts(&b, " ");
        disp_shell_escape(&b, res);
        free(res);
        add_args(&b, in->app_args);
    }
    if (b.len > CMD_MAX) {
        cr_buf_fini(&b);
        return NULL;
    }
    return cr_buf_steal(&b);
}
