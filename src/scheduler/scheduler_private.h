/* SPDX-License-Identifier: Apache-2.0
 *
 * scheduler_private.h: the scheduler's internals, shared by the files of
 * src/scheduler/ and exposed to its unit tests and fuzz target. Not part
 * of the library's API.
 *
 * Lifetime: the struct is freed once its last libuv handle (two timers)
 * and, with ZooKeeper, its master detector are closed after
 * cr_sched_free(). "freeing" is set first, and
 * every path that invoked a user callback checks it before touching
 * anything else, so a callback may free its own scheduler.
 */
#ifndef CR_SCHEDULER_SCHEDULER_PRIVATE_H
#define CR_SCHEDULER_SCHEDULER_PRIVATE_H

#include "detector/master_detector.h"
#include "net/event_stream.h"
#include "net/url.h"
#include "scheduler.h"

#include <stdint.h>

#define SCHED_MAX_MASTERS     16
#define SCHED_MAX_ID_LEN      256 /* framework and stream ids */
#define SCHED_MAX_REDIRECTS   8   /* 307s in a row before backing off */
#define SCHED_DEFAULT_HB_SECS 15.0
#define SCHED_API_PATH        "/api/v1/scheduler"
#define SCHED_LEADER_JITTER   0.1 /* s: re-subscribing to a new leader */

struct sched_pending_call;

struct cr_sched {
    uv_loop_t *loop;
    struct cr_hostport masters[SCHED_MAX_MASTERS];
    size_t n_masters;          /* 0 with ZooKeeper */
    size_t cur;                /* index into masters of the last attempt */
    struct cr_hostport target; /* where SUBSCRIBE and calls go */
    char target_text[CR_HOST_MAX + 16];
    unsigned redirects; /* consecutive 307s */
    unsigned attempt;   /* failed attempts since last SUBSCRIBED */

    json_t *framework_info; /* owned; gets "id" once known */
    char *framework_id;     /* owned or NULL */
    char *stream_id;        /* owned or NULL */

    enum cr_sched_state state;
    struct cr_event_stream *stream;
    bool fatal;        /* an ERROR event came: do not re-subscribe */
    bool tearing_down; /* TEARDOWN accepted or sent: do not re-subscribe */

    /* masters "zk://..." (or a file:// holding one): follow the leader */
    bool zk;
    struct cr_zk_url zk_url;
    struct cr_master_detector *detector; /* open from start to free */
    bool have_leader;                    /* masters[0] is the leader */

    uv_timer_t backoff_timer;
    uv_timer_t watchdog;        /* heartbeat watchdog */
    int open_handles;           /* handles (and the detector) not yet closed */
    void (*free_cb)(void *arg); /* cr_sched_close() */
    void *free_arg;
    bool freeing;
    double hb_interval; /* seconds, from SUBSCRIBED */
    uint64_t last_event_ms;

    struct cr_sched_callbacks cbs;
    void *data;
    struct cr_sched_options opts;
    /* Calls not yet answered, oldest first (sched_calls.c: of the ordered
     * ones, only the oldest is out). */
    struct sched_pending_call *calls, *calls_tail;
    size_t ordered; /* calls on the list that are not acknowledgements */
};

/* scheduler.c */
void sched_set_state(struct cr_sched *s, enum cr_sched_state to,
                     const char *why);
/* The stream is unusable: close it and decide what comes next (back off,
 * stay failed or stopped) and tell the disconnected callback. */
void sched_connection_lost(struct cr_sched *s, const char *reason);
/* Note that an event arrived (feeds the heartbeat watchdog). */
void sched_watchdog_kick(struct cr_sched *s);
/* SUBSCRIBED arrived with framework_id (valid) and the heartbeat interval
 * in seconds (<= 0: default): record them and move to SUBSCRIBED. */
void sched_on_subscribed(struct cr_sched *s, const char *framework_id,
                         double hb_interval);

/* sched_events.c: decode one event and dispatch it to the callbacks. The
 * event is borrowed. Never trusts its shape: malformed events are logged
 * and dropped. */
void cr_sched_handle_event(struct cr_sched *s, json_t *event);

/* sched_calls.c: cancel every pending call (cb with CR_ECANCELED_OP). */
void sched_cancel_calls(struct cr_sched *s);
/* The subscription is lost: calls not sent yet are cancelled (cb with
 * CR_ECANCELED_OP; they carry a stream id that is over), the one out
 * finishes on its own but no longer holds later calls behind it (it may
 * hang on a master that is gone until the call timeout). */
void sched_detach_calls(struct cr_sched *s);
/* How many calls are out and not answered yet (for tests). */
size_t sched_calls_sent(const struct cr_sched *s);

/* Pure helpers, unit-tested. */
/* Parse a 307 Location ("//host:port/path", "http://host:port/path" or
 * "host:port") into out. 0 or CR_EINVAL_INPUT. */
int cr_sched_parse_location(const char *location, struct cr_hostport *out);
/* The delay in seconds before retry number attempt (1-based) with n
 * masters: 0 for the first pass over the list, then backoff_min * 2^k
 * capped at backoff_max, scaled by jitter in [0.5, 1]. */
double cr_sched_backoff_delay(const struct cr_sched_options *o,
                              unsigned attempt, size_t n_masters,
                              double jitter);
/* True if id is usable as a stream/framework id: 1..SCHED_MAX_ID_LEN
 * printable ASCII characters (it goes into an HTTP header). */
bool cr_sched_id_is_valid(const char *id);

#endif
