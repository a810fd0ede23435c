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
 * With ZooKeeper ("zk://..." masters) a master detector, opened by
 * cr_sched_start(), replaces the list: retries go to the detected leader
 * (backoff as for a one-master list), nothing is sent while no leader is
 * known, and a change of leader closes the stream at once and
 * re-subscribes (framework id included) to the new leader after a random
 * delay in [0, SCHED_LEADER_JITTER] (a scheduler is one client, not ten
 * thousand: the jitter only keeps several schedulers from arriving
 * together).
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
random_unit(void)
{
    uint32_t r;
    cr_random_bytes(&r, sizeof(r));
    return (double)r / (double)UINT32_MAX;
}

static double
random_jitter(void)
{
    return 0.5 + 0.5 * random_unit();
}

static void
set_target(struct cr_sched *s, const struct cr_hostport *hp)
{
    s->target = *hp;
    /* The precision tells gcc the host fits (it is NUL-terminated within
     * CR_HOST_MAX), so -Wformat-truncation stays quiet at -O2. */
    int n = CR_HOST_MAX - 1;
    if (strchr(hp->host, ':'))
        snprintf(s->target_text, sizeof(s->target_text), "[%.*s]:%d", n,
                 hp->host, hp->port);
    else
        snprintf(s->target_text, sizeof(s->target_text), "%.*s:%d", n, hp->host,
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
    if (!(o->zk_session_timeout > 0))
        o->zk_session_timeout = 10;
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

/* Parse masters (a host list, "zk://..." or "file://...") into s. */
static int
parse_masters(struct cr_sched *s, const char *masters)
{
    struct cr_master_spec spec;
    char err[256];
    size_t n = 0;
    if (cr_master_spec_parse(masters, &spec, err, sizeof(err)) != 0) {
        /* A zk:// text may hold a password: only the reason is logged. */
        if (cr_master_is_indirect(masters))
            cr_error("scheduler: bad masters: %s", err);
        else
            cr_error("scheduler: bad master list '%s': %s", masters, err);
        return -1;
    }
    if (spec.kind == CR_MASTER_ZK) {
        s->zk = true;
        s->zk_url = spec.zk; /* moved */
        memset(&spec.zk, 0, sizeof(spec.zk));
        char *where = cr_zk_url_to_string(&s->zk_url);
        snprintf(s->target_text, sizeof(s->target_text), "%s", where);
        free(where);
    } else if (cr_hostport_parse_list(spec.hosts, 5050, s->masters,
                                      SCHED_MAX_MASTERS, &n) ||
               n == 0) {
        cr_error("scheduler: bad master list '%s'", masters);
        cr_master_spec_fini(&spec);
        return -1;
    } else {
        s->n_masters = n;
        set_target(s, &s->masters[0]);
    }
    cr_master_spec_fini(&spec);
    return 0;
}

struct cr_sched *
cr_sched_new(uv_loop_t *loop, const char *masters, const json_t *framework_info,
             const struct cr_sched_callbacks *cbs, void *data)
{
    if (loop == NULL || masters == NULL) {
        cr_error("scheduler: no loop or no master list");
        return NULL;
    }
    if (!framework_info_ok(framework_info))
        return NULL;

    struct cr_sched *s = cr_xcalloc(1, sizeof(*s));
    if (parse_masters(s, masters) != 0) {
        free(s);
        return NULL;
    }
    s->loop = loop;
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

static void on_leader(void *arg, const struct cr_master_leader *l);

int
cr_sched_start(struct cr_sched *s)
{
    if (s->state != CR_SCHED_IDLE || s->freeing)
        return CR_ESTATE;
    if (s->zk) {
        int rc = cr_master_detector_open(s->loop, &s->zk_url,
                                         s->opts.zk_session_timeout, on_leader,
                                         s, &s->detector);
        if (rc != 0) {
            cr_error("scheduler: cannot use ZooKeeper %s: %s", s->target_text,
                     cr_strerror(rc));
            return rc;
        }
        s->open_handles++;
        sched_set_state(s, CR_SCHED_CONNECTING, "detecting the leader");
        return 0;
    }
    sched_set_state(s, CR_SCHED_CONNECTING, "start");
    uv_timer_start(&s->backoff_timer, on_backoff_timer, 0, 0);
    return 0;
}

/* One of the handles (or the detector) is closed; release s after the
 * last. */
static void
release_one(struct cr_sched *s)
{
    if (--s->open_handles > 0)
        return;
    void (*cb)(void *) = s->free_cb;
    void *arg = s->free_arg;
    json_decref(s->framework_info);
    free(s->framework_id);
    free(s->stream_id);
    cr_zk_url_fini(&s->zk_url);
    free(s);
    if (cb)
        cb(arg);
}

static void
on_handle_closed(uv_handle_t *h)
{
    release_one(h->data);
}

static void
on_detector_closed(void *arg)
{
    release_one(arg);
}

void
cr_sched_close(struct cr_sched *s, void (*cb)(void *arg), void *arg)
{
    if (s == NULL || s->freeing)
        return;
    s->freeing = true;
    s->free_cb = cb;
    s->free_arg = arg;
    sched_set_state(s, CR_SCHED_STOPPED, "freed");
    cr_event_stream_close(s->stream);
    s->stream = NULL;
    sched_cancel_calls(s);
    if (s->detector != NULL) {
        cr_master_detector_close(s->detector, on_detector_closed, s);
        s->detector = NULL;
    }
    uv_close((uv_handle_t *)&s->backoff_timer, on_handle_closed);
    uv_close((uv_handle_t *)&s->watchdog, on_handle_closed);
}

void
cr_sched_free(struct cr_sched *s)
{
    cr_sched_close(s, NULL, NULL);
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
        sched_detach_calls(s);
        s->attempt = was_subscribed ? 1 : s->attempt + 1;
        s->redirects = 0;
        if (!s->zk) {
            s->cur = (s->cur + 1) % s->n_masters;
            set_target(s, &s->masters[s->cur]);
            schedule_retry(s, cr_sched_backoff_delay(&s->opts, s->attempt,
                                                     s->n_masters,
                                                     random_jitter()));
        } else if (s->have_leader) {
            set_target(s, &s->masters[0]);
            schedule_retry(s, cr_sched_backoff_delay(&s->opts, s->attempt, 1,
                                                     random_jitter()));
        } else {
            sched_set_state(s, CR_SCHED_BACKOFF, "no leading master");
        }
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
    if (s->freeing || s->stream != NULL || (s->zk && !s->have_leader))
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

/* ---- ZooKeeper ---- */

/* The detector reports a new leader (l) or none (NULL): drop whatever is
 * open or scheduled and go to the new leader. */
static void
on_leader(void *arg, const struct cr_master_leader *l)
{
    struct cr_sched *s = arg;
    char reason[CR_HOST_MAX + 64];
    s->have_leader = l != NULL;
    if (l != NULL)
        s->masters[0] = l->addr;
    if (s->freeing || s->state == CR_SCHED_FAILED ||
        s->state == CR_SCHED_STOPPED)
        return;
    if (l != NULL)
        set_target(s, &l->addr);
    snprintf(reason, sizeof(reason), "%s",
             l != NULL ? "the leading master changed"
                       : "no leading master in ZooKeeper");
    bool was_live = s->stream != NULL;
    if (s->tearing_down || s->fatal) {
        if (was_live)
            sched_connection_lost(s, reason);
        return;
    }
    cr_event_stream_close(s->stream);
    s->stream = NULL;
    CR_FREE(s->stream_id);
    uv_timer_stop(&s->watchdog);
    uv_timer_stop(&s->backoff_timer);
    s->attempt = 0;
    s->redirects = 0;
    if (l != NULL) {
        cr_info("scheduler: leading master is %s (json.info_%010llu)",
                s->target_text, (unsigned long long)l->seq);
        schedule_retry(s, SCHED_LEADER_JITTER * random_unit());
    } else {
        sched_set_state(s, CR_SCHED_BACKOFF, "no leading master");
    }
    if (was_live && s->cbs.disconnected)
        s->cbs.disconnected(s, s->data, reason);
}
