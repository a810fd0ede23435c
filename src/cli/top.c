/* SPDX-License-Identifier: Apache-2.0
 *
 * top.c: `corral top`, a live view of the cluster fed by the master's
 * operator event stream (SUBSCRIBE on /api/v1; the model is top_model.c).
 *
 * Two modes:
 *  - snapshot (stdout not a terminal, or --once): subscribe, print the
 *    view of the SUBSCRIBED snapshot as plain text, exit 0. No master
 *    answering: one line on stderr, exit 2; a 4xx answer: exit 1.
 *  - live: the alternate screen, redrawn with plain ANSI sequences (home,
 *    clear to end of line/screen; no curses: the view is a handful of
 *    lines rewritten in place, which needs nothing terminfo knows better)
 *    at most every REDRAW_MS after events, every second for the clock,
 *    and on resize. q, Q, Ctrl-C (raw mode) or SIGINT quit with 0;
 *    SIGTERM/SIGHUP with 128+signal. The terminal (mode, cursor, screen)
 *    is restored on every way out that runs stop().
 *
 * Following the leader: a host list is tried in turn, 307 redirects are
 * followed (at most MAX_HOPS); with zk:// the live view watches the
 * election (detector/master_detector.h) and re-subscribes to each new
 * leader. A stream that ends or stays silent for 5 heartbeat intervals is
 * re-opened, with a backoff of 0.5 s doubling to 5 s between rounds.
 *
 * One loop, owned by cmd_top's stack frame; every handle is closed before
 * it returns. Loop thread only.
 */
#include "base/clock.h"
#include "base/err.h"
#include "base/mem.h"
#include "cli.h"
#include "detector/master_detector.h"
#include "http_sync.h"
#include "maintfmt.h"
#include "net/event_stream.h"
#include "net/http_client.h"
#include "opcmds.h"
#include "operator.h"
#include "top_model.h"

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define MAX_MASTERS      16
#define MAX_HOPS         3
#define REDRAW_MS        100
#define TICK_MS          1000
#define BACKOFF_FIRST_MS 500
#define BACKOFF_MAX_MS   5000
#define MISSED_BEATS     5
#define SUBSCRIBE_BODY   "{\"type\":\"SUBSCRIBE\"}"
#define SNAPSHOT_SECS    (3 * CLI_HTTP_TIMEOUT)
/* The largest SUBSCRIBED snapshot taken (the master's document limit). */
#define TOP_MAX_SNAPSHOT (1u << 30)

#define ALT_SCREEN_ON  "\033[?1049h\033[?25l\033[H\033[2J"
#define ALT_SCREEN_OFF "\033[?25h\033[?1049l"

struct top {
    uv_loop_t loop;
    struct top_model *model;
    bool live;

    /* where to subscribe */
    struct cr_master_spec spec;
    struct cr_master_detector *det;
    bool have_leader;
    struct cr_hostport leader;
    struct cr_hostport list[MAX_MASTERS];
    size_t n, idx;
    struct cr_hostport cur;
    int hops;

    struct cr_event_stream *stream;
    bool subscribed; /* the current stream delivered SUBSCRIBED */
    uint64_t last_event_ms;
    unsigned backoff_ms;

    /* handles */
    uv_timer_t tick, redraw, retry;
    uv_signal_t sigs[4];
    uv_tty_t tty_in;
    bool tty_raw, redraw_pending;

    char status[400];
    int exit_code;
    bool stopping;
};

static void connect_next(struct top *t);
static void open_stream(struct top *t, const struct cr_hostport *hp, int hops);
static void stop(struct top *t, int code);

/* ---- drawing -------------------------------------------------------------
 */

static void
term_size(size_t *w, size_t *h)
{
    struct winsize ws;
    *w = 80;
    *h = 24;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 &&
        ws.ws_row > 0) {
        *w = ws.ws_col;
        *h = ws.ws_row;
    }
}

static void
draw(struct top *t, bool live)
{
    char title[600], now[48], addr[CR_HOST_MAX + 16];
    struct top_view v = {.title = title, .ansi = live};
    cli_time_format((double)time(NULL), now, sizeof(now));
    cli_hostport_str(&t->cur, addr, sizeof(addr));
    if (live) {
        term_size(&v.width, &v.height);
        snprintf(title, sizeof(title), "corral top   %s   %s   (q quits)",
                 t->status, now);
    } else {
        snprintf(title, sizeof(title), "corral top   master %s   %s", addr,
                 now);
    }
    struct cr_buf b;
    cr_buf_init(&b, 256u << 20);
    top_model_render(t->model, &v, &b);
    fwrite(b.data ? b.data : "", 1, b.len, stdout);
    fflush(stdout);
    cr_buf_fini(&b);
}

static void
on_redraw(uv_timer_t *h)
{
    struct top *t = h->data;
    t->redraw_pending = false;
    draw(t, true);
}

static void
request_redraw(struct top *t)
{
    if (!t->live || t->stopping || t->redraw_pending)
        return;
    t->redraw_pending = true;
    uv_timer_start(&t->redraw, on_redraw, REDRAW_MS, 0);
}

static void set_status(struct top *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
set_status(struct top *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(t->status, sizeof(t->status), fmt, ap);
    va_end(ap);
    for (char *p = t->status; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    request_redraw(t);
}

/* ---- the stream ----------------------------------------------------------
 */

static void
on_retry(uv_timer_t *h)
{
    struct top *t = h->data;
    t->idx = 0;
    connect_next(t);
}

static void
schedule_retry(struct top *t)
{
    if (t->stopping)
        return;
    uv_timer_start(&t->retry, on_retry, t->backoff_ms, 0);
    t->backoff_ms *= 2;
    if (t->backoff_ms > BACKOFF_MAX_MS)
        t->backoff_ms = BACKOFF_MAX_MS;
}

/* Every master of this round failed (status says why). */
static void
round_failed(struct top *t)
{
    if (!t->live) {
        cli_error("top", "%s", t->status);
        stop(t, CLI_EXIT_UNAVAILABLE);
        return;
    }
    schedule_retry(t);
}

static void
attempt_failed(struct top *t)
{
    if (t->spec.kind == CR_MASTER_ZK && t->live) {
        schedule_retry(t);
        return;
    }
    t->idx++;
    connect_next(t);
}

static void
on_open(void *data, const char *stream_id)
{
    struct top *t = data;
    char addr[CR_HOST_MAX + 16];
    set_status(t, "master %s", cli_hostport_str(&t->cur, addr, sizeof(addr)));
}

static void
on_event(void *data, json_t *ev)
{
    struct top *t = data;
    t->last_event_ms = cr_mono_ms();
    bool changed = top_model_apply(t->model, ev);
    if (!t->subscribed && top_model_ready(t->model)) {
        t->subscribed = true;
        t->backoff_ms = BACKOFF_FIRST_MS;
        if (!t->live) {
            draw(t, false);
            stop(t, CLI_EXIT_OK);
            return;
        }
    }
    if (changed)
        request_redraw(t);
}

/* "detail" of a failed answer: its first line, printable. */
static void
detail_line(char *out, size_t n, const char *detail)
{
    const char *d = detail ? detail : "";
    size_t len = strcspn(d, "\r\n");
    snprintf(out, n, "%.*s", (int)(len > 200 ? 200 : len), d);
}

static void
on_close(void *data, int err, int http_status, const char *detail)
{
    struct top *t = data;
    char addr[CR_HOST_MAX + 16], line[256];
    bool was_subscribed = t->subscribed;
    t->stream = NULL;
    t->subscribed = false;
    if (t->stopping)
        return;
    cli_hostport_str(&t->cur, addr, sizeof(addr));
    if (err == CR_ENOTLEADER && detail && t->hops < MAX_HOPS) {
        const char *loc = strncmp(detail, "//", 2) == 0 ? detail + 2 : detail;
        struct cr_hostport hp;
        if (cr_hostport_parse(loc, 5050, &hp) == 0) {
            open_stream(t, &hp, t->hops + 1);
            return;
        }
    }
    detail_line(line, sizeof(line), detail);
    if (http_status)
        set_status(t, "master %s: HTTP %d %s", addr, http_status, line);
    else if (err)
        set_status(t, "cannot reach master %s: %s", addr,
                   err <= CR_EPROTO_DATA && err >= CR_ESTATE
                       ? cr_strerror(err)
                       : uv_strerror(err));
    else
        set_status(t, "master %s ended the stream", addr);
    if (!t->live && http_status >= 400 && http_status < 500) {
        cli_error("top", "%s", t->status);
        stop(t, CLI_EXIT_USAGE);
    } else if (was_subscribed) {
        t->idx = 0; /* a working stream ended: look for the leader again */
        schedule_retry(t);
    } else {
        attempt_failed(t);
    }
}

/* Subscribe at hp; hops: redirects followed to get there. */
static void
open_stream(struct top *t, const struct cr_hostport *hp, int hops)
{
    static const struct cr_event_stream_cbs cbs = {on_open, on_event, on_close};
    char addr[CR_HOST_MAX + 16];
    if (t->stopping)
        return;
    t->cur = *hp;
    t->hops = hops;
    set_status(t, "connecting to %s", cli_hostport_str(hp, addr, sizeof(addr)));
    int rc = cr_event_stream_open(&t->loop, hp->host, hp->port, CLI_OP_PATH,
                                  SUBSCRIBE_BODY, NULL, CLI_HTTP_TIMEOUT, &cbs,
                                  t, &t->stream);
    if (rc != 0) {
        set_status(t, "cannot reach master %s: %s", addr, uv_strerror(rc));
        attempt_failed(t);
        return;
    }
    /* SUBSCRIBED holds the whole cluster: ~110 MB at 200,000 tasks. */
    cr_event_stream_set_max_record(t->stream, TOP_MAX_SNAPSHOT);
}

static void
connect_next(struct top *t)
{
    if (t->stopping || t->stream)
        return;
    if (t->spec.kind == CR_MASTER_ZK && t->live) {
        if (t->have_leader)
            open_stream(t, &t->leader, 0);
        else
            set_status(t, "no leading master known (ZooKeeper); waiting");
        return;
    }
    if (t->idx >= t->n) {
        round_failed(t);
        return;
    }
    open_stream(t, &t->list[t->idx], 0);
}

static void
on_leader(void *arg, const struct cr_master_leader *leader)
{
    struct top *t = arg;
    if (t->stopping)
        return;
    if (leader == NULL) {
        t->have_leader = false;
        set_status(t, "no leading master known (ZooKeeper); waiting");
        return;
    }
    /* A new leader (even at the same address): subscribe to it. */
    t->have_leader = true;
    t->leader = leader->addr;
    cr_event_stream_close(t->stream);
    t->stream = NULL;
    t->subscribed = false;
    uv_timer_stop(&t->retry);
    t->backoff_ms = BACKOFF_FIRST_MS;
    connect_next(t);
}

/* ---- terminal, signals, timers -------------------------------------------
 */

static void
on_tick(uv_timer_t *h)
{
    struct top *t = h->data;
    double hb = top_model_heartbeat(t->model);
    if (t->stream && t->subscribed && hb > 0 &&
        cr_mono_ms() - t->last_event_ms > (uint64_t)(MISSED_BEATS * hb * 1e3)) {
        char addr[CR_HOST_MAX + 16];
        cr_event_stream_close(t->stream);
        t->stream = NULL;
        t->subscribed = false;
        set_status(t, "master %s went silent; reconnecting",
                   cli_hostport_str(&t->cur, addr, sizeof(addr)));
        t->idx = 0;
        schedule_retry(t);
    }
    request_redraw(t); /* the clock */
}

static void
on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    static char space[256];
    *buf = uv_buf_init(space, sizeof(space));
}

static void
on_key(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    struct top *t = s->data;
    if (nread < 0) {
        uv_read_stop(s); /* no more keys; signals still quit */
        return;
    }
    for (ssize_t i = 0; i < nread; i++) {
        char c = buf->base[i];
        if (c == 'q' || c == 'Q' || c == 3 /* Ctrl-C */) {
            stop(t, CLI_EXIT_OK);
            return;
        }
        if (c == 12 /* Ctrl-L */)
            request_redraw(t);
    }
}

static void
on_signal(uv_signal_t *h, int signum)
{
    struct top *t = h->data;
    if (signum == SIGWINCH) {
        if (t->live)
            draw(t, true);
        return;
    }
    stop(t, signum == SIGINT ? CLI_EXIT_OK : 128 + signum);
}

static void
start_terminal(struct top *t)
{
    static const int signums[4] = {SIGINT, SIGTERM, SIGHUP, SIGWINCH};
    for (size_t i = 0; i < 4; i++) {
        uv_signal_init(&t->loop, &t->sigs[i]);
        t->sigs[i].data = t;
        uv_signal_start(&t->sigs[i], on_signal, signums[i]);
    }
    if (!t->live)
        return;
    fputs(ALT_SCREEN_ON, stdout);
    fflush(stdout);
    if (isatty(STDIN_FILENO) && uv_tty_init(&t->loop, &t->tty_in, 0, 1) == 0) {
        t->tty_in.data = t;
        t->tty_raw = uv_tty_set_mode(&t->tty_in, UV_TTY_MODE_RAW) == 0;
        uv_read_start((uv_stream_t *)&t->tty_in, on_alloc, on_key);
    }
}

static void
close_handle(uv_handle_t *h)
{
    if (h->loop && !uv_is_closing(h))
        uv_close(h, NULL);
}

/* Leave: close the stream and every handle, restore the terminal. The
 * loop ends once the handles (and the detector) are closed. */
static void
stop(struct top *t, int code)
{
    if (t->stopping)
        return;
    t->stopping = true;
    t->exit_code = code;
    cr_event_stream_close(t->stream);
    t->stream = NULL;
    if (t->det) {
        cr_master_detector_close(t->det, NULL, NULL);
        t->det = NULL;
    }
    close_handle((uv_handle_t *)&t->tick);
    close_handle((uv_handle_t *)&t->redraw);
    close_handle((uv_handle_t *)&t->retry);
    for (size_t i = 0; i < 4; i++)
        close_handle((uv_handle_t *)&t->sigs[i]);
    if (t->tty_in.loop) {
        if (t->tty_raw)
            uv_tty_set_mode(&t->tty_in, UV_TTY_MODE_NORMAL);
        close_handle((uv_handle_t *)&t->tty_in);
    }
    if (t->live) {
        uv_tty_reset_mode();
        fputs(ALT_SCREEN_OFF, stdout);
        fflush(stdout);
    }
}

/* ---- the command ---------------------------------------------------------
 */

/* Where to subscribe: a host list (snapshot mode resolves ZooKeeper once,
 * blocking), or the detector (live mode with zk://). Exit code. */
static int
setup_targets(struct top *t, const char *master)
{
    char err[512];
    if (cr_master_spec_parse(master, &t->spec, err, sizeof(err)) != 0) {
        cli_error("top", "bad --master '%s': %s", master, err);
        return CLI_EXIT_USAGE;
    }
    if (t->spec.kind == CR_MASTER_ZK && t->live) {
        int rc = cr_master_detector_open(&t->loop, &t->spec.zk,
                                         CLI_ZK_SESSION_TIMEOUT, on_leader, t,
                                         &t->det);
        if (rc != 0) {
            cli_error("top", "cannot watch ZooKeeper: %s", uv_strerror(rc));
            return CLI_EXIT_UNAVAILABLE;
        }
        return 0;
    }
    char *list;
    int rc = cli_resolve_master("top", master, &list);
    if (rc != 0)
        return rc;
    rc = cr_hostport_parse_list(list, 5050, t->list, MAX_MASTERS, &t->n);
    if (rc != 0 || t->n == 0)
        cli_error("top", "bad master list '%s'", list);
    free(list);
    return rc != 0 || t->n == 0 ? CLI_EXIT_USAGE : 0;
}

/* Snapshot mode: no SUBSCRIBED in time (connects and redirects included). */
static void
on_deadline(uv_timer_t *h)
{
    struct top *t = h->data;
    cli_error("top", "no snapshot from the master within %gs (%s)",
              SNAPSHOT_SECS, t->status);
    stop(t, CLI_EXIT_UNAVAILABLE);
}

static void
start_timers(struct top *t)
{
    uv_timer_init(&t->loop, &t->tick);
    uv_timer_init(&t->loop, &t->redraw);
    uv_timer_init(&t->loop, &t->retry);
    t->tick.data = t->redraw.data = t->retry.data = t;
    if (t->live)
        uv_timer_start(&t->tick, on_tick, TICK_MS, TICK_MS);
    else
        uv_timer_start(&t->tick, on_deadline, (uint64_t)(SNAPSHOT_SECS * 1000),
                       0);
}

static void
close_walk(uv_handle_t *h, void *arg)
{
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static int
run_top(struct top *t, const char *master)
{
    int rc = setup_targets(t, master);
    if (rc != 0)
        return rc;
    t->model = top_model_new();
    t->backoff_ms = BACKOFF_FIRST_MS;
    start_timers(t);
    start_terminal(t);
    if (t->live)
        draw(t, true);
    connect_next(t);
    uv_run(&t->loop, UV_RUN_DEFAULT);
    if (!t->stopping) /* every handle went away by itself */
        stop(t, CLI_EXIT_UNAVAILABLE);
    cr_http_client_shutdown(&t->loop);
    uv_walk(&t->loop, close_walk, NULL);
    uv_run(&t->loop, UV_RUN_DEFAULT);
    top_model_free(t->model);
    return t->exit_code;
}

int
cmd_top(int argc, char **argv)
{
    const char *master = cli_default_master();
    bool once = false;
    struct cli_opt opts[] = {
        {"master", CLI_STR, &master, "MASTER", CLI_MASTER_HELP},
        {"once", CLI_BOOL, &once, NULL,
         "Print one snapshot and exit (also when stdout is not a "
         "terminal)."},
    };
    struct op_words pos;
    int rc = op_parse(
        "top", "corral top [--master M] [--once]",
        "A live view of the cluster from the master's operator event "
        "stream: agents (resources used/total), frameworks, tasks per state "
        "and live tasks. q or Ctrl-C quits.",
        opts, 2, argc, argv, &pos);
    if (rc == 0 && pos.n > 0) {
        cli_error("top", "unexpected argument '%s' (see corral top --help)",
                  pos.v[0]);
        rc = -1;
    }
    op_words_free(&pos);
    if (rc)
        return rc > 0 ? CLI_EXIT_OK : CLI_EXIT_USAGE;
    if (cli_check_master("top", master) != 0)
        return CLI_EXIT_USAGE;

    struct top t;
    memset(&t, 0, sizeof(t));
    t.live = !once && isatty(STDOUT_FILENO);
    if (uv_loop_init(&t.loop) != 0) {
        cli_error("top", "cannot start an event loop");
        return CLI_EXIT_UNAVAILABLE;
    }
    rc = run_top(&t, master);
    uv_walk(&t.loop, close_walk, NULL);
    uv_run(&t.loop, UV_RUN_DEFAULT);
    uv_loop_close(&t.loop);
    cr_master_spec_fini(&t.spec);
    return rc;
}
