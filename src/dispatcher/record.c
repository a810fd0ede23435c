/* SPDX-License-Identifier: Apache-2.0
 *
 * record.c: drivers and their znode records (see record.h). Pure
 * functions; no I/O.
 */
#include "record.h"

#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"
#include "history.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[] = {"QUEUED", "LAUNCHED", "RETRYING",
                                          "FINISHED"};

const char *
disp_drv_state_name(enum disp_drv_state st)
{
    return (unsigned)st < 4 ? state_names[st] : "UNKNOWN";
}

/* ---- drivers ---- */

struct disp_driver *
disp_driver_new(const json_t *req, const char *id, unsigned long seq,
                double submitted)
{
    char *msg = NULL;
    json_t *copy = json_deep_copy(req);
    if (copy == NULL || disp_validate_create(copy, &msg, NULL) != 0 ||
        strlen(id) >= DISP_MAX_ID) {
        free(msg);
        json_decref(copy);
        return NULL;
    }
    struct disp_driver *drv = cr_xcalloc(1, sizeof(*drv));
    drv->req = copy;
    snprintf(drv->id, sizeof(drv->id), "%s", id);
    drv->props = json_object_get(copy, "sparkProperties");
    drv->args = json_object_get(copy, "appArgs");
    drv->env = json_object_get(copy, "environmentVariables");
    drv->app_name = cr_json_str(drv->props, "spark.app.name");
    drv->main_class = cr_json_str(copy, "mainClass");
    drv->app_resource = cr_json_str(copy, "appResource");
    drv->queue = cr_json_str(drv->props, DISP_QUEUE_PROP);
    if (drv->queue == NULL || drv->queue[0] == '\0')
        drv->queue = DISP_QUEUE_DEFAULT;
    drv->cores = 1.0;
    const char *c = cr_json_str(drv->props, "spark.driver.cores");
    if (c)
        disp_parse_double(c, &drv->cores);
    const char *sv = cr_json_str(drv->props, "spark.driver.supervise");
    if (sv)
        disp_parse_bool(sv, &drv->supervise);
    drv->mem_mb = disp_driver_memory_mb(drv->props);
    if (drv->mem_mb < 0 || !isfinite(drv->cores) || drv->cores < 0 ||
        drv->main_class == NULL || drv->app_resource == NULL) {
        disp_driver_free(drv);
        return NULL;
    }
    drv->seq = seq;
    drv->submitted = submitted;
    drv->state = DISP_QUEUED;
    return drv;
}

void
disp_driver_free(struct disp_driver *drv)
{
    if (drv == NULL)
        return;
    json_decref(drv->req);
    free(drv->agent_id);
    json_decref(drv->last_status);
    free(drv->agent_host);
    disp_history_free(drv->history);
    free(drv);
}

long
disp_driver_progress(const struct disp_driver *drv)
{
    switch (drv->state) {
    case DISP_QUEUED:
        return 0;
    case DISP_LAUNCHED:
        return 2L * drv->retries + 1;
    case DISP_RETRYING:
        return 2L * drv->retries;
    case DISP_FINISHED:
        break;
    }
    return 4L * DISP_MAX_RETRIES;
}

int
disp_submission_counter(const char *id, unsigned long *out)
{
    if (!disp_submission_id_valid(id))
        return -1;
    const char *p = strrchr(id, '-');
    return p ? disp_counter_parse(p + 1, out) : -1;
}

/* ---- encoding ---- */

static void
set_num(json_t *o, const char *key, double v)
{
    json_object_set_new(o, key, json_real(v));
}

char *
disp_record_encode(const struct disp_driver *drv, size_t *len)
{
    json_t *o = json_pack(
        "{s:i, s:s, s:s, s:I, s:f, s:O}", "version", DISP_RECORD_VERSION, "id",
        drv->id, "state", disp_drv_state_name(drv->state), "seq",
        (json_int_t)drv->seq, "submitted", drv->submitted, "request", drv->req);
    if (o == NULL)
        return NULL;
    if (drv->task_id[0])
        json_object_set_new(o, "taskId", json_string(drv->task_id));
    if (drv->agent_id)
        json_object_set_new(o, "agentId", json_string(drv->agent_id));
    if (drv->retries > 0) {
        json_object_set_new(o, "retries", json_integer(drv->retries));
        set_num(o, "retryWait", drv->wait);
        set_num(o, "nextRetry", drv->next_retry);
    }
    if (drv->last_status)
        json_object_set(o, "lastStatus", drv->last_status);
    if (drv->state == DISP_FINISHED)
        set_num(o, "finished", drv->finished);
    char *s = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (s == NULL || strlen(s) > DISP_RECORD_MAX) {
        free(s);
        return NULL;
    }
    *len = strlen(s);
    return s;
}

/* ---- decoding ---- */

static int bad(char *err, size_t n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
bad(char *err, size_t n, const char *fmt, ...)
{
    if (err && n) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, n, fmt, ap);
        va_end(ap);
    }
    return CR_EINVAL_INPUT;
}

/* Parse len bytes (bounded) into an object. */
static json_t *
parse_object(const char *data, size_t len, char *err, size_t n)
{
    char jerr[160];
    if (len > DISP_RECORD_MAX) {
        bad(err, n, "record of %zu bytes (at most %u)", len, DISP_RECORD_MAX);
        return NULL;
    }
    json_t *o = cr_json_parse(data, len, jerr, sizeof(jerr));
    if (o == NULL) {
        bad(err, n, "not JSON: %s", jerr);
        return NULL;
    }
    if (!json_is_object(o)) {
        json_decref(o);
        bad(err, n, "not a JSON object");
        return NULL;
    }
    const json_t *v = json_object_get(o, "version");
    if (!json_is_integer(v) || json_integer_value(v) != DISP_RECORD_VERSION) {
        json_decref(o);
        bad(err, n, "unsupported record version");
        return NULL;
    }
    return o;
}

/* An optional finite number >= 0; false when present and bad. */
static bool
opt_time(const json_t *o, const char *key, double *out)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL)
        return true;
    if (!json_is_number(v))
        return false;
    double x = json_number_value(v);
    if (!isfinite(x) || x < 0 || x > 1e13)
        return false;
    *out = x;
    return true;
}

/* An optional string of 1..max-1 bytes; false when present and bad. */
static bool
opt_str(const json_t *o, const char *key, size_t max, const char **out)
{
    const json_t *v = json_object_get(o, key);
    if (v == NULL)
        return true;
    const char *s = json_string_value(v);
    if (s == NULL || s[0] == '\0' || strlen(s) >= max)
        return false;
    *out = s;
    return true;
}

/* The fields every record has: id (== name), state, seq, submitted and a
 * valid request; builds the driver. */
static int
decode_base(json_t *o, const char *name, enum disp_drv_state state,
            struct disp_driver **out, char *err, size_t n)
{
    const char *id = cr_json_str(o, "id");
    if (id == NULL || strlen(id) >= DISP_MAX_ID ||
        !disp_submission_id_valid(id))
        return bad(err, n, "missing or bad 'id'");
    if (name && strcmp(id, name) != 0)
        return bad(err, n, "'id' %s differs from the znode name", id);
    const char *st = cr_json_str(o, "state");
    if (st == NULL || strcmp(st, disp_drv_state_name(state)) != 0)
        return bad(err, n, "'state' is not %s", disp_drv_state_name(state));
    const json_t *seq = json_object_get(o, "seq");
    if (!json_is_integer(seq) || json_integer_value(seq) < 0)
        return bad(err, n, "missing or bad 'seq'");
    double submitted = -1;
    if (!opt_time(o, "submitted", &submitted) || submitted < 0)
        return bad(err, n, "missing or bad 'submitted'");
    json_t *req = json_object_get(o, "request");
    char *msg = NULL;
    if (!json_is_object(req) || disp_validate_create(req, &msg, NULL) != 0) {
        int rc =
            bad(err, n, "bad 'request': %.200s", msg ? msg : "not an object");
        free(msg);
        return rc;
    }
    *out = disp_driver_new(req, id, (unsigned long)json_integer_value(seq),
                           submitted);
    if (*out == NULL)
        return bad(err, n, "bad 'request': invalid driver memory or cores");
    (*out)->state = state;
    return 0;
}

/* taskId (of this driver), agentId, retries, back-off, status, finish. */
static int
decode_launch(json_t *o, struct disp_driver *drv, char *err, size_t n)
{
    const char *task = NULL, *agent = NULL;
    if (!opt_str(o, "taskId", DISP_MAX_TASK_ID, &task))
        return bad(err, n, "bad 'taskId'");
    if (task) {
        char sub[DISP_MAX_ID];
        disp_task_submission(task, sub, sizeof(sub));
        if (strcmp(sub, drv->id) != 0)
            return bad(err, n, "'taskId' %s is not a task of %s", task,
                       drv->id);
        snprintf(drv->task_id, sizeof(drv->task_id), "%s", task);
    }
    if (!opt_str(o, "agentId", DISP_MAX_AGENT, &agent))
        return bad(err, n, "bad 'agentId'");
    if (drv->state == DISP_LAUNCHED && (task == NULL || agent == NULL))
        return bad(err, n, "a launched driver needs 'taskId' and 'agentId'");
    if (drv->state == DISP_RETRYING && task == NULL)
        return bad(err, n, "a retrying driver needs 'taskId'");
    if (agent)
        drv->agent_id = cr_xstrdup(agent);
    const json_t *r = json_object_get(o, "retries");
    if (r && (!json_is_integer(r) || json_integer_value(r) < 0 ||
              json_integer_value(r) > DISP_MAX_RETRIES))
        return bad(err, n, "bad 'retries'");
    drv->retries = r ? (int)json_integer_value(r) : 0;
    if (!opt_time(o, "retryWait", &drv->wait) ||
        !opt_time(o, "nextRetry", &drv->next_retry) ||
        !opt_time(o, "finished", &drv->finished))
        return bad(err, n, "bad 'retryWait', 'nextRetry' or 'finished'");
    json_t *ls = json_object_get(o, "lastStatus");
    if (ls && (!json_is_object(ls) || cr_json_str(ls, "state") == NULL))
        return bad(err, n, "bad 'lastStatus'");
    if (ls)
        drv->last_status = json_incref(ls);
    return 0;
}

int
disp_record_decode(const char *data, size_t len, const char *name,
                   enum disp_drv_state state, struct disp_driver **out,
                   char *err, size_t errlen)
{
    *out = NULL;
    if ((unsigned)state > DISP_FINISHED)
        return bad(err, errlen, "unknown state");
    json_t *o = parse_object(data, len, err, errlen);
    if (o == NULL)
        return CR_EINVAL_INPUT;
    struct disp_driver *drv = NULL;
    int rc = decode_base(o, name, state, &drv, err, errlen);
    if (rc == 0)
        rc = decode_launch(o, drv, err, errlen);
    json_decref(o);
    if (rc != 0) {
        disp_driver_free(drv);
        return rc;
    }
    *out = drv;
    return 0;
}

/* ---- framework id ---- */

bool
disp_framework_id_valid(const char *id)
{
    size_t n = strlen(id);
    if (n == 0 || n >= DISP_MAX_FW_ID)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)id[i]) && !strchr("._-", id[i]))
            return false;
    return true;
}

char *
disp_framework_encode(const char *framework_id, size_t *len)
{
    json_t *o = json_pack("{s:i, s:s}", "version", DISP_RECORD_VERSION,
                          "frameworkId", framework_id);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (s)
        *len = strlen(s);
    return s;
}

int
disp_framework_decode(const char *data, size_t len, char *out, size_t n,
                      char *err, size_t errlen)
{
    json_t *o = parse_object(data, len, err, errlen);
    if (o == NULL)
        return CR_EINVAL_INPUT;
    const char *id = cr_json_str(o, "frameworkId");
    int rc = 0;
    if (id == NULL || !disp_framework_id_valid(id) || strlen(id) >= n)
        rc = bad(err, errlen, "missing or bad 'frameworkId'");
    else
        snprintf(out, n, "%s", id);
    json_decref(o);
    return rc;
}

/* ---- counter ---- */

void
disp_counter_name(char *out, size_t n, unsigned long value)
{
    snprintf(out, n, "%010lu", value);
}

int
disp_counter_parse(const char *name, unsigned long *value)
{
    size_t n = strlen(name);
    if (n == 0 || n > 19)
        return -1;
    unsigned long long v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)name[i]))
            return -1;
        v = v * 10 + (unsigned long long)(name[i] - '0');
    }
    if (v > (unsigned long long)(unsigned long)-1)
        return -1;
    *value = (unsigned long)v;
    return 0;
}
