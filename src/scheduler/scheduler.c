/* SPDX-License-Identifier: Apache-2.0
 *
 * scheduler.c: the scheduler's lifecycle and its subscription state machine
 * (diagram in scheduler.h): subscribing, following redirects, moving along
 * the master list, backing off, watching heartbeats.
 *
 * Every retry goes through backoff_timer, even with a zero delay, so a
 * failure never re-enters the code that reported it. The event stream is
 * owned here: s->stream is non-NULL exactly while a SUBSCRIBE is open.
 *
 * Loop thread only.
 */
#include "scheduler.h"

#include "base/err.h"
#include "base/id.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "scheduler_private.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void subscribe_now(struct cr_sched *s);

static const char *
err_text(int err)
{
    /* Project codes first; libuv knows -errno and its own EAI codes. */
    if (err <= CR_EPROTO_DATA && err >= CR_ESTATE)
        return cr_strerror(err);
    return uv_strerror(err);
}

const char *
cr_sched_state_name(enum cr_sched_state st)
{
    switch (st) {
    case CR_SCHED_IDLE:
        return "IDLE";
    case CR_SCHED_CONNECTING:
        return "CONNECTING";
    case CR_SCHED_SUBSCRIBING:
        return "SUBSCRIBING";
    case CR_SCHED_SUBSCRIBED:
        return "SUBSCRIBED";
    case CR_SCHED_BACKOFF:
        return "BACKOFF";
    case CR_SCHED_FAILED:
        return "FAILED";
    case CR_SCHED_STOPPED:
        return "STOPPED";
    }
    return "?";
}

void
sched_set_state(struct cr_sched *s, enum cr_sched_state to, const char *why)
{
    if (s->state == to)
        return;
    cr_info("scheduler: %s -> %s (%s) master=%s framework_id=%s",
            cr_sched_state_name(s->state), cr_sched_state_name(to), why,
            s->target_text, s->framework_id ? s->framework_id : "-");
    s->state = to;
}

/* ---- pure helpers ---- */

bool
cr_sched_id_is_valid(const char *id)
{
    if (id == NULL || id[0] == '\0')
        return false;
    size_t n = 0;
    for (; id[n]; n++) {
        unsigned char c = (unsigned char)id[n];
        if (c < 0x21 || c > 0x7e || n >= SCHED_MAX_ID_LEN)
            return false;
    }
    return true;
}

int
cr_sched_parse_location(const char *location, struct cr_hostport *out)
{
    if (location == NULL)
        return CR_EINVAL_INPUT;
    while (*location == ' ')
        location++;
    if (strncmp(location, "//", 2) == 0)
        location += 2;
    if (*location == '\0' || *location == '/')
        return CR_EINVAL_INPUT;
    return cr_hostport_parse(location, 5050, out);
}

double
cr_sched_backoff_delay(const struct cr_sched_options *o, unsigned attempt,
                       size_t n_masters, double jitter)
{
    /* The first pass over the list tries each master at once. */
    if (attempt < n_masters)
        return 0;
    unsigned k = attempt - (unsigned)n_masters;
    double d = o->backoff_min * ldexp(1.0, k > 30 ? 30 : (int)k);
    if (d > o->backoff_max)
        d = o->backoff_max;
    if (jitter < 0.5)
        jitter = 0.5;
    if (jitter > 1.0)
        jitter = 1.0;
    return d * jitter;
}

static double
random_jitter(void)
{
    uint32_t r;
    cr_random_bytes(&r, sizeof(r));
    return 0.5 + 0.5 * ((double)r / (double)UINT32_MAX);
}

static void
set_target(struct cr_sched *s, const struct cr_hostport *hp)
{
    s->target = *hp;
    if (strchr(hp->host, ':'))
        snprintf(s->target_text, sizeof(s->target_text), "[%s]:%d", hp->host,
                 hp->port);
    else
        snprintf(s->target_text, sizeof(s->target_text), "%s:%d", hp->host,
                 hp->port);
}

/* ---- lifecycle ---- */

static void
options_defaults(struct cr_sched_options *o)
{
    if (o->connect_timeout <= 0)
        o->connect_timeout = 10;
    if (o->call_timeout <= 0)
        o->call_timeout = 75;
    if (o->backoff_min <= 0)
        o->backoff_min = 0.5;
    if (o->backoff_max <= 0)
        o->backoff_max = 15;
    if (o->backoff_max < o->backoff_min)
        o->backoff_max = o->backoff_min;
    if (o->max_missed_heartbeats <= 0)
        o->max_missed_heartbeats = 5;
}

static bool
framework_info_ok(const json_t *fi)
{
    if (!json_is_object(fi)) {
        cr_error("scheduler: framework_info must be a JSON object");
        return false;
    }
    if (cr_json_str(fi, "user") == NULL || cr_json_str(fi, "name") == NULL) {
        cr_error("scheduler: framework_info needs string 'user' and 'name'");
        return false;
    }
    const char *id = cr_json_id(fi, "id");
    if (json_object_get(fi, "id") != NULL && !cr_sched_id_is_valid(id)) {
        cr_error("scheduler: framework_info.id is not a valid id");
        return false;
    }
    return true;
}

struct cr_sched *
cr_sched_new(uv_loop_t *loop, const char *masters, const json_t *framework_info,
             const struct cr_sched_callbacks *cbs, void *data)
{
    struct cr_hostport list[SCHED_MAX_MASTERS];
    size_t n = 0;
    if (loop == NULL || masters == NULL ||
        cr_hostport_parse_list(masters, 5050, list, SCHED_MAX_MASTERS, &n) ||
        n == 0) {
        cr_error("scheduler: bad master list '%s'",
                 masters ? masters : "(null)");
        return NULL;
    }
    if (!framework_info_ok(framework_info))
        return NULL;

    struct cr_sched *s = cr_xcalloc(1, sizeof(*s));
    s->loop = loop;
    memcpy(s->masters, list, n * sizeof(list[0]));
    s->n_masters = n;
    set_target(s, &s->masters[0]);
    s->framework_info = json_deep_copy(framework_info);
    const char *id = cr_json_id(framework_info, "id");
    if (id)
        s->framework_id = cr_xstrdup(id);
    if (cbs)
        s->cbs = *cbs;
    s->data = data;
    options_defaults(&s->opts);
    s->hb_interval = SCHED_DEFAULT_HB_SECS;
    uv_timer_init(loop, &s->backoff_timer);
    uv_timer_init(loop, &s->watchdog);
    s->backoff_timer.data = s;
    s->watchdog.data = s;
    s->open_handles = 2;
    return s;
}

void
cr_sched_set_options(struct cr_sched *s, const struct cr_sched_options *opts)
{
    s->opts = *opts;
    options_defaults(&s->opts);
}

static void
on_backoff_timer(uv_timer_t *t)
{
    struct cr_sched *s = t->data;
    subscribe_now(s);
}

int
cr_sched_start(struct cr_sched *s)
{
    if (s->state != CR_SCHED_IDLE || s->freeing)
        return CR_ESTATE;
    sched_set_state(s, CR_SCHED_CONNECTING, "start");
    uv_timer_start(&s->backoff_timer, on_backoff_timer, 0, 0);
    return 0;
}

static void
on_handle_closed(uv_handle_t *h)
{
    struct cr_sched *s = h->data;
    if (--s->open_handles > 0)
        return;
    json_decref(s->framework_info);
    free(s->framework_id);
    free(s->stream_id);
    free(s);
}

void
cr_sched_free(struct cr_sched *s)
{
    if (s == NULL || s->freeing)
        return;
    s->freeing = true;
    sched_set_state(s, CR_SCHED_STOPPED, "freed");
    cr_event_stream_close(s->stream);
    s->stream = NULL;
    sched_cancel_calls(s);
    uv_close((uv_handle_t *)&s->backoff_timer, on_handle_closed);
    uv_close((uv_handle_t *)&s->watchdog, on_handle_closed);
}

enum cr_sched_state
cr_sched_state(const struct cr_sched *s)
{
    return s->state;
}

const char *
cr_sched_framework_id(const struct cr_sched *s)
{
    return s->framework_id;
}

const char *
cr_sched_stream_id(const struct cr_sched *s)
{
    return s->stream_id;
}

const json_t *
cr_sched_framework_info(const struct cr_sched *s)
{
    return s->framework_info;
}

const char *
cr_sched_master(const struct cr_sched *s)
{
    return s->target_text;
}

/* ---- heartbeat watchdog ---- */

static void
on_watchdog(uv_timer_t *t)
{
    struct cr_sched *s = t->data;
    double limit_ms = s->hb_interval * 1000.0 * s->opts.max_missed_heartbeats;
    if ((double)(uv_now(s->loop) - s->last_event_ms) < limit_ms)
        return;
    char reason[96];
    snprintf(reason, sizeof(reason), "no event for %d heartbeat intervals",
             s->opts.max_missed_heartbeats);
    sched_connection_lost(s, reason);
}

/* (Re)arm the watchdog to check once per heartbeat interval. */
static void
watchdog_arm(struct cr_sched *s)
{
    uint64_t period = (uint64_t)(s->hb_interval * 1000.0);
    if (period < 10)
        period = 10;
    s->last_event_ms = uv_now(s->loop);
    uv_timer_start(&s->watchdog, on_watchdog, period, period);
}

void
sched_watchdog_kick(struct cr_sched *s)
{
    s->last_event_ms = uv_now(s->loop);
}

/* ---- subscription ---- */

static void
schedule_retry(struct cr_sched *s, double delay)
{
    sched_set_state(s, CR_SCHED_BACKOFF, "retry scheduled");
    uv_timer_start(&s->backoff_timer, on_backoff_timer,
                   (uint64_t)(delay * 1000.0), 0);
    if (delay > 0)
        cr_info("scheduler: retrying in %.2fs (attempt %u) master=%s", delay,
                s->attempt, s->target_text);
}

void
sched_connection_lost(struct cr_sched *s, const char *reason)
{
    bool was_subscribed = s->state == CR_SCHED_SUBSCRIBED;
    cr_event_stream_close(s->stream);
    s->stream = NULL;
    CR_FREE(s->stream_id);
    uv_timer_stop(&s->watchdog);
    if (s->freeing)
        return;

    if (s->tearing_down) {
        sched_set_state(s, CR_SCHED_STOPPED, "torn down");
    } else if (s->fatal) {
        sched_set_state(s, CR_SCHED_FAILED, "error from master");
    } else {
        cr_warn("scheduler: %s from master %s: %s",
                was_subscribed ? "subscription lost" : "subscribe failed",
                s->target_text, reason);
        s->attempt = was_subscribed ? 1 : s->attempt + 1;
        s->redirects = 0;
        s->cur = (s->cur + 1) % s->n_masters;
        set_target(s, &s->masters[s->cur]);
        schedule_retry(s,
                       cr_sched_backoff_delay(&s->opts, s->attempt,
                                              s->n_masters, random_jitter()));
    }
    if (s->cbs.disconnected)
        s->cbs.disconnected(s, s->data, reason);
}

static void
on_stream_open(void *data, const char *stream_id)
{
    struct cr_sched *s = data;
    if (!cr_sched_id_is_valid(stream_id)) {
        sched_connection_lost(s, "SUBSCRIBE answer has no valid "
                                 "Mesos-Stream-Id");
        return;
    }
    free(s->stream_id);
    s->stream_id = cr_xstrdup(stream_id);
    s->redirects = 0;
    sched_set_state(s, CR_SCHED_SUBSCRIBING, "stream open");
    watchdog_arm(s);
}

static void
on_stream_event(void *data, json_t *event)
{
    struct cr_sched *s = data;
    sched_watchdog_kick(s);
    cr_sched_handle_event(s, event);
}

/* SUBSCRIBE was refused with a 4xx: the request itself is wrong (bad
 * FrameworkInfo, bad credentials), so retrying cannot help. */
static void
subscribe_refused(struct cr_sched *s, int status, const char *body)
{
    char msg[1024];
    snprintf(msg, sizeof(msg), "SUBSCRIBE refused by %s: %d %.400s",
             s->target_text, status, body && *body ? body : "");
    cr_error("scheduler: %s", msg);
    s->fatal = true;
    if (s->cbs.error) {
        s->cbs.error(s, s->data, msg);
        if (s->freeing)
            return;
    }
    sched_connection_lost(s, msg);
}

static void
follow_redirect(struct cr_sched *s, const char *location)
{
    struct cr_hostport hp;
    if (cr_sched_parse_location(location, &hp) != 0) {
        sched_connection_lost(s, "307 without a usable Location");
        return;
    }
    if (++s->redirects > SCHED_MAX_REDIRECTS) {
        sched_connection_lost(s, "too many redirects");
        return;
    }
    cr_info("scheduler: %s is not the leader, redirected to %s", s->target_text,
            location);
    set_target(s, &hp);
    schedule_retry(s, 0);
}

static void
on_stream_close(void *data, int err, int http_status, const char *detail)
{
    struct cr_sched *s = data;
    s->stream = NULL; /* already finished by the stream client */
    char reason[256];

    if (http_status == 307 && !s->fatal && !s->tearing_down) {
        CR_FREE(s->stream_id);
        uv_timer_stop(&s->watchdog);
        follow_redirect(s, detail);
        return;
    }
    if (http_status >= 400 && http_status < 500 && http_status != 408 &&
        http_status != 429) {
        subscribe_refused(s, http_status, detail);
        return;
    }
    if (http_status != 0 && http_status != 200)
        snprintf(reason, sizeof(reason), "HTTP %d %.200s", http_status,
                 detail ? detail : "");
    else if (err != 0)
        snprintf(reason, sizeof(reason), "%s", err_text(err));
    else
        snprintf(reason, sizeof(reason), "stream closed by master");
    sched_connection_lost(s, reason);
}

static char *
subscribe_body(struct cr_sched *s)
{
    if (s->framework_id)
        cr_json_set_id(s->framework_info, "id", s->framework_id);
    json_t *body = json_pack("{s:O}", "framework_info", s->framework_info);
    json_t *call = cr_sched_call_new("SUBSCRIBE", s->framework_id, body);
    char *text = cr_json_dump(call);
    json_decref(call);
    return text;
}

static void
subscribe_now(struct cr_sched *s)
{
    static const struct cr_event_stream_cbs cbs = {
        .on_open = on_stream_open,
        .on_event = on_stream_event,
        .on_close = on_stream_close,
    };
    if (s->freeing || s->stream != NULL)
        return;
    char *body = subscribe_body(s);
    sched_set_state(s, CR_SCHED_CONNECTING, "subscribing");
    int rc = cr_event_stream_open(s->loop, s->target.host, s->target.port,
                                  SCHED_API_PATH, body, NULL,
                                  s->opts.connect_timeout, &cbs, s, &s->stream);
    free(body);
    if (rc != 0) {
        s->stream = NULL;
        sched_connection_lost(s, err_text(rc));
    }
}

void
sched_on_subscribed(struct cr_sched *s, const char *framework_id,
                    double hb_interval)
{
    if (s->framework_id == NULL || strcmp(s->framework_id, framework_id)) {
        free(s->framework_id);
        s->framework_id = cr_xstrdup(framework_id);
        cr_json_set_id(s->framework_info, "id", framework_id);
    }
    /* Bounded: a silly interval must neither spin nor disable the check. */
    if (!(hb_interval > 0))
        hb_interval = SCHED_DEFAULT_HB_SECS;
    if (hb_interval < 0.01)
        hb_interval = 0.01;
    if (hb_interval > 3600)
        hb_interval = 3600;
    s->hb_interval = hb_interval;
    s->attempt = 0;
    s->redirects = 0;
    sched_set_state(s, CR_SCHED_SUBSCRIBED, "SUBSCRIBED");
    watchdog_arm(s);
}
