/* SPDX-License-Identifier: Apache-2.0
 *
 * master_link.c: the agent's subscription to the master (docs/protocol.md).
 *
 * States: IDLE -> CONNECTING -(SUBSCRIBED event)-> SUBSCRIBED; any break
 * -> CONNECTING with a retry after a random delay in [0, backoff], the
 * backoff starting at --registration_backoff_factor and doubling up to
 * min(64 x factor, 1 minute), so tests can pass a small factor. A 307 answer
 * moves the target to the Location's host:port and retries at once (at most 10
 * hops, then back to --master). No event for three heartbeat intervals counts
 * as a broken stream. An ERROR event means the master refuses this agent id:
 * the agent exits 1 (Mesos's agent shuts down too).
 *
 * Calls (UPDATE, EXECUTOR_EXITED, MESSAGE) go out as short POSTs tagged
 * with the stream id; they are dropped while not subscribed (status
 * updates are retried by the manager and flushed on re-subscription). A
 * 400/403 answer means our stream id is stale: re-subscribe.
 *
 * With --master=zk://... (or a file:// holding one) a master detector
 * (detector/master_detector.h) names the leader, which takes the place of
 * --master above (redirects and retries included). Each change of leader
 * drops the stream at once and subscribes to the new leader (same agent
 * id, same task list) after a random delay in [0, W], W = min(
 * --registration_backoff_factor, 0.5 s): sub-second failover, with
 * thousands of agents spread over W instead of all arriving in the same
 * millisecond. The backoff restarts at W, so a new leader that is not
 * serving yet is retried within W, 2W, 4W... "No leader" drops the stream
 * and waits for the next leader (the old one has lost its ZooKeeper
 * session and fences itself). Loop thread only.
 */
#include "agent.h"
#include "base/err.h"
#include "base/id.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "net/event_stream.h"
#include "net/http_client.h"
#include "sum.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINK_PATH          "/corral/v1/agent"
#define LINK_BACKOFF_MAX   60.0
#define LINK_MAX_REDIRECTS 10
#define LINK_MISSED_BEATS  3
#define LINK_LEADER_JITTER 0.5 /* seconds: ceiling of W above */

static const char *const link_state_names[] = {"IDLE", "CONNECTING",
                                               "SUBSCRIBED"};

static void subscribe(struct agent *a);

static void
set_state(struct agent *a, enum link_state to, const char *why)
{
    if (a->link.state == to)
        return;
    cr_info("master link %s -> %s (%s) master=%s:%d",
            link_state_names[a->link.state], link_state_names[to], why,
            a->link.target.host, a->link.target.port);
    a->link.state = to;
}

static void
on_retry(uv_timer_t *t)
{
    subscribe(t->data);
}

static void
schedule_retry(struct agent *a, double delay)
{
    uv_timer_start(&a->link.retry, on_retry, (uint64_t)(delay * 1000), 0);
}

/* A uniform random number in [0, 1]. */
static double
random_unit(void)
{
    uint32_t r;
    cr_random_bytes(&r, sizeof(r));
    return (double)r / (double)UINT32_MAX;
}

/* Random delay in [0, backoff], then double the backoff. */
static void
retry_with_backoff(struct agent *a)
{
    double delay = a->link.backoff * random_unit();
    a->link.backoff *= 2;
    double cap = 64 * a->fl.backoff_factor;
    if (cap > LINK_BACKOFF_MAX)
        cap = LINK_BACKOFF_MAX;
    if (a->link.backoff > cap)
        a->link.backoff = cap;
    cr_info("re-subscribing to the master in %.3fs", delay);
    schedule_retry(a, delay);
}

static void
drop_stream(struct agent *a)
{
    cr_event_stream_close(a->link.stream);
    a->link.stream = NULL;
    free(a->link.stream_id);
    a->link.stream_id = NULL;
    uv_timer_stop(&a->link.watchdog);
}

static void
on_watchdog(uv_timer_t *t)
{
    struct agent *a = t->data;
    cr_warn("no event from the master for %.0fs: re-subscribing",
            LINK_MISSED_BEATS * a->link.hb_interval);
    drop_stream(a);
    set_state(a, LINK_CONNECTING, "missed heartbeats");
    retry_with_backoff(a);
}

static void
arm_watchdog(struct agent *a)
{
    double t = LINK_MISSED_BEATS * a->link.hb_interval;
    if (t < 1)
        t = 1;
    uv_timer_start(&a->link.watchdog, on_watchdog, (uint64_t)(t * 1000), 0);
}

static void
on_subscribed(struct agent *a, const json_t *ev)
{
    json_t *s = json_object_get(ev, "subscribed");
    const char *id = cr_json_id(s, "agent_id");
    if (id == NULL || id[0] == '\0') {
        cr_error("SUBSCRIBED without agent_id: ignored");
        return;
    }
    if (a->id && strcmp(a->id, id) != 0)
        agent_fatal(a,
                    "the master assigned agent id %s but this agent is "
                    "%s; refusing to continue (remove %s/meta/slaves/"
                    "latest to start as a new agent)",
                    id, a->id, a->fl.work_dir);
    if (a->id == NULL) {
        a->id = cr_xstrdup(id);
        recover_checkpoint_agent(a);
    }
    double hb = 15;
    cr_json_num(s, "heartbeat_interval_seconds", &hb);
    a->link.hb_interval = hb > 0 ? hb : 15;
    json_decref(a->link.master_info);
    a->link.master_info = json_incref(json_object_get(s, "master_info"));
    free(a->link.master_hostname);
    const char *mh = cr_json_str(a->link.master_info, "hostname");
    a->link.master_hostname = mh ? cr_xstrdup(mh) : NULL;
    a->link.backoff = a->fl.backoff_factor;
    a->link.redirects = 0;
    a->link.ever_subscribed = true;
    set_state(a, LINK_SUBSCRIBED, "subscribed");
    cr_info("registered with the master agent_id=%s", a->id);
    sum_flush(a->sum);
}

static void
on_event(void *data, json_t *ev)
{
    struct agent *a = data;
    const char *type = cr_json_str(ev, "type");
    if (type == NULL)
        return;
    arm_watchdog(a);
    if (strcmp(type, "SUBSCRIBED") == 0)
        on_subscribed(a, ev);
    else if (strcmp(type, "HEARTBEAT") == 0) {
        /* Answer so the master knows we are alive, not only connected. */
        if (a->link.state == LINK_SUBSCRIBED)
            link_send(a, "HEARTBEAT", json_object());
        return;
    } else if (strcmp(type, "ERROR") == 0) {
        const char *msg = cr_json_str(json_object_get(ev, "error"), "message");
        agent_fatal(a, "the master refused this agent: %s",
                    msg ? msg : "(no message)");
    } else if (a->link.state != LINK_SUBSCRIBED)
        cr_warn("event %s before SUBSCRIBED: ignored", type);
    else if (strcmp(type, "RUN_TASK") == 0)
        on_run_task(a, ev);
    else if (strcmp(type, "RUN_TASK_GROUP") == 0)
        on_run_task_group(a, ev);
    else if (strcmp(type, "KILL_TASK") == 0)
        on_kill_task(a, ev);
    else if (strcmp(type, "ACKNOWLEDGE") == 0)
        on_acknowledge(a, ev);
    else if (strcmp(type, "SHUTDOWN_EXECUTOR") == 0)
        on_shutdown_executor(a, ev);
    else if (strcmp(type, "SHUTDOWN_FRAMEWORK") == 0)
        on_shutdown_framework(a, ev);
    else if (strcmp(type, "SHUTDOWN") == 0)
        on_agent_shutdown(a, ev);
    else if (strcmp(type, "MESSAGE") == 0)
        on_framework_message(a, ev);
    else
        cr_warn("unknown event type %s from the master", type);
}

static void
on_open(void *data, const char *stream_id)
{
    struct agent *a = data;
    free(a->link.stream_id);
    a->link.stream_id = stream_id ? cr_xstrdup(stream_id) : NULL;
}

/* Parse a Location ("//host:port/path", "http://host:port/path"). */
static int
parse_location(const char *loc, struct cr_hostport *out)
{
    if (loc == NULL)
        return -1;
    if (strncmp(loc, "//", 2) == 0)
        loc += 2;
    return cr_hostport_parse(loc, 5050, out) == 0 ? 0 : -1;
}

static void
on_close(void *data, int err, int http_status, const char *detail)
{
    struct agent *a = data;
    a->link.stream = NULL;
    free(a->link.stream_id);
    a->link.stream_id = NULL;
    uv_timer_stop(&a->link.watchdog);
    set_state(a, LINK_CONNECTING, "stream closed");
    struct cr_hostport to;
    if (http_status == 307 && parse_location(detail, &to) == 0 &&
        a->link.redirects < LINK_MAX_REDIRECTS) {
        a->link.redirects++;
        cr_info("master redirected us to %s:%d", to.host, to.port);
        a->link.target = to;
        schedule_retry(a, 0);
        return;
    }
    if (http_status != 0 && http_status != 200)
        cr_warn("master answered %d: %.200s", http_status,
                detail ? detail : "");
    else
        cr_warn("master stream ended: %s", err ? cr_strerror(err) : "EOF");
    a->link.redirects = 0;
    a->link.target = a->link.configured;
    retry_with_backoff(a);
}

static void
subscribe(struct agent *a)
{
    if (a->link.stream)
        drop_stream(a);
    if (a->link.spec.kind == CR_MASTER_ZK && !a->link.have_leader) {
        set_state(a, LINK_CONNECTING, "waiting for a leading master");
        return;
    }
    json_t *sub = json_object();
    json_object_set_new(sub, "agent_info", agent_info_json(a));
    json_object_set_new(sub, "frameworks", containers_frameworks_json(a));
    json_object_set_new(sub, "executors", containers_executors_json(a));
    json_object_set_new(sub, "tasks", containers_tasks_json(a));
    json_t *call =
        json_pack("{s:s,s:o}", "type", "SUBSCRIBE", "subscribe", sub);
    if (a->id)
        cr_json_set_id(call, "agent_id", a->id);
    char *body = cr_json_dump(call);
    json_decref(call);
    static const struct cr_event_stream_cbs cbs = {
        .on_open = on_open, .on_event = on_event, .on_close = on_close};
    set_state(a, LINK_CONNECTING, "subscribing");
    int rc = cr_event_stream_open(a->loop, a->link.target.host,
                                  a->link.target.port, LINK_PATH, body, NULL,
                                  10.0, &cbs, a, &a->link.stream);
    free(body);
    if (rc != 0) {
        a->link.stream = NULL;
        cr_warn("cannot reach the master %s:%d: %s", a->link.target.host,
                a->link.target.port, cr_strerror(rc));
        a->link.target = a->link.configured;
        retry_with_backoff(a);
    }
}

void
link_init(struct agent *a)
{
    uv_timer_init(a->loop, &a->link.retry);
    uv_timer_init(a->loop, &a->link.watchdog);
    a->link.retry.data = a->link.watchdog.data = a;
    a->link.target = a->link.configured;
    a->link.backoff = a->fl.backoff_factor > 0 ? a->fl.backoff_factor : 1;
    a->link.hb_interval = 15;
}

/* The window W a subscription to a new leader is spread over. */
static double
leader_jitter_window(const struct agent *a)
{
    double w = a->fl.backoff_factor;
    if (!(w > 0))
        return 0;
    return w < LINK_LEADER_JITTER ? w : LINK_LEADER_JITTER;
}

/* The detector reports a new leader (l) or none (NULL). */
static void
on_leader(void *arg, const struct cr_master_leader *l)
{
    struct agent *a = arg;
    uv_timer_stop(&a->link.retry);
    drop_stream(a);
    a->link.redirects = 0;
    if (l == NULL) {
        a->link.have_leader = false;
        set_state(a, LINK_CONNECTING, "no leading master");
        cr_warn("no leading master in ZooKeeper: waiting for one");
        return;
    }
    a->link.have_leader = true;
    a->link.configured = a->link.target = l->addr;
    double w = leader_jitter_window(a);
    a->link.backoff = w > 0 ? w : 1;
    double delay = w * random_unit();
    set_state(a, LINK_CONNECTING, "new leading master");
    cr_info("leading master is %s:%d (json.info_%010llu): subscribing in "
            "%.3fs",
            l->addr.host, l->addr.port, (unsigned long long)l->seq, delay);
    schedule_retry(a, delay);
}

void
link_start(struct agent *a)
{
    if (a->link.spec.kind != CR_MASTER_ZK) {
        /* Mesos waits a random [0, factor] before the first registration;
         * we start at once and keep the randomness for retries. */
        subscribe(a);
        return;
    }
    if (a->link.detector != NULL || a->link.detector_closing)
        return;
    int rc = cr_master_detector_open(a->loop, &a->link.spec.zk,
                                     a->fl.zk_session_timeout, on_leader, a,
                                     &a->link.detector);
    if (rc != 0) {
        char *where = link_describe(a);
        agent_fatal(a, "cannot use ZooKeeper %s: %s", where, cr_strerror(rc));
    }
    set_state(a, LINK_CONNECTING, "detecting the leading master");
}

static void
on_detector_closed(void *arg)
{
    struct agent *a = arg;
    a->link.detector_closing = false;
}

void
link_stop(struct agent *a)
{
    uv_timer_stop(&a->link.retry);
    drop_stream(a);
    set_state(a, LINK_IDLE, "stopping");
    if (a->link.detector != NULL) {
        a->link.detector_closing = true;
        cr_master_detector_close(a->link.detector, on_detector_closed, a);
        a->link.detector = NULL;
        a->link.have_leader = false;
    }
}

bool
link_is_closed(const struct agent *a)
{
    return a->link.detector == NULL && !a->link.detector_closing;
}

int
link_configure(struct agent *a, char *err, size_t errlen)
{
    char why[512];
    if (cr_master_spec_parse(a->fl.master, &a->link.spec, why, sizeof(why))) {
        snprintf(err, errlen, "bad value for --master: %s", why);
        return -1;
    }
    if (a->link.spec.kind == CR_MASTER_HOSTS &&
        cr_hostport_parse(a->link.spec.hosts, 5050, &a->link.configured)) {
        snprintf(err, errlen,
                 "bad value for --master: '%.200s' (expected host:port, "
                 "zk://host:port[,...]/path or file:///path)",
                 a->link.spec.hosts);
        return -1;
    }
    return 0;
}

char *
link_describe(const struct agent *a)
{
    if (a->link.spec.kind == CR_MASTER_ZK)
        return cr_zk_url_to_string(&a->link.spec.zk);
    const struct cr_hostport *hp = &a->link.configured;
    return strchr(hp->host, ':') ? cr_xasprintf("[%s]:%d", hp->host, hp->port)
                                 : cr_xasprintf("%s:%d", hp->host, hp->port);
}

bool
link_is_subscribed(const struct agent *a)
{
    return a->link.state == LINK_SUBSCRIBED;
}

static void
on_call_done(int err, const struct cr_http_response *resp, void *data)
{
    struct agent *a = data;
    if (err != 0) {
        cr_warn("call to the master failed: %s", cr_strerror(err));
        return;
    }
    if (resp->status == 202 || resp->status == 200)
        return;
    cr_warn("master answered %d to a call: %.200s", resp->status, resp->body);
    if ((resp->status == 400 || resp->status == 403) &&
        a->link.state == LINK_SUBSCRIBED) {
        /* Our stream is stale: subscribe again. */
        drop_stream(a);
        set_state(a, LINK_CONNECTING, "stale stream");
        retry_with_backoff(a);
    }
}

void
link_send(struct agent *a, const char *type, json_t *body)
{
    if (a->link.state != LINK_SUBSCRIBED || a->id == NULL) {
        cr_debug("not subscribed: dropping %s call", type);
        json_decref(body);
        return;
    }
    char field[32];
    size_t n = strlen(type);
    if (n >= sizeof(field))
        n = sizeof(field) - 1;
    for (size_t i = 0; i < n; i++)
        field[i] = (char)tolower((unsigned char)type[i]);
    field[n] = '\0';
    json_t *call = json_pack("{s:s,s:o}", "type", type, field, body);
    cr_json_set_id(call, "agent_id", a->id);
    char *s = cr_json_dump(call);
    json_decref(call);
    char *hdr = cr_xasprintf("Content-Type: application/json\r\n"
                             "Mesos-Stream-Id: %s\r\n",
                             a->link.stream_id ? a->link.stream_id : "");
    int rc = cr_http_call_start(a->loop, a->link.target.host,
                                a->link.target.port, "POST", LINK_PATH, hdr, s,
                                strlen(s), 10.0, on_call_done, a, NULL);
    if (rc != 0)
        cr_warn("cannot send %s to the master: %s", type, cr_strerror(rc));
    free(hdr);
    free(s);
}
