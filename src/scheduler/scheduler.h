/* SPDX-License-Identifier: Apache-2.0
 *
 * scheduler.h: libcorral_scheduler, a client of the Mesos v1 scheduler API
 * (POST /api/v1/scheduler, JSON) on a libuv loop.
 *
 * What it does for you:
 *  - SUBSCRIBE to one of a list of masters ("h1:5050,h2:5050"), or to the
 *    leader elected in ZooKeeper ("zk://h1:2181,h2:2181/corral", or a
 *    "file:///path" holding either form), keeping the Mesos-Stream-Id of
 *    the live subscription and tagging every call with it;
 *  - with ZooKeeper, follow the leader: when it changes, close the stream
 *    at once and re-subscribe to the new leader (with the framework id)
 *    after a random delay of at most 0.1 s; while no leader is known, wait
 *    (state BACKOFF, nothing sent);
 *  - follow 307 redirects (Location "//leader:port/...") to the leader, move
 *    to the next master of the list on a connection failure or a 503, and
 *    retry with exponential backoff and jitter (capped, 15 s by default);
 *  - re-subscribe with the framework id after any disconnection, and treat
 *    max_missed_heartbeats (5) heartbeat intervals without an event as a
 *    disconnection;
 *  - decode events and hand them to your callbacks;
 *  - build and send every scheduler call (accept/launch, decline, revive,
 *    suppress, kill, shutdown, acknowledge, reconcile, message, teardown),
 *    reporting each call's HTTP answer to an optional callback. Calls
 *    reach the master in the order they were made: each is sent once the
 *    one before it is answered (acknowledgements, which no other call
 *    depends on, go out at once). When the subscription is lost, calls
 *    not sent yet are cancelled; the one out finishes on its own.
 *
 * What it does not do: it keeps no task or offer bookkeeping and never
 * acknowledges updates by itself (call cr_sched_ack_update() from your
 * update callback once the update is handled, as the v1 API requires).
 *
 * Subscription states (cr_sched_state()):
 *
 *   IDLE --start--> CONNECTING --200--> SUBSCRIBING --SUBSCRIBED--> SUBSCRIBED
 *                     ^   |                 |                          |
 *                     |   | refused, 503,   | stream ends, heartbeats  |
 *                     |   | timeout (307:   | missed, leader changed   |
 *                     |   v  no wait)       v  (ZooKeeper)             |
 *                     +-- BACKOFF <---------+--------------------------+
 *
 *   With ZooKeeper, CONNECTING after start means "detecting the leader"
 *   until the first leader is known; BACKOFF also means "no leader known".
 *
 *   Any state -> FAILED when the master answers SUBSCRIBE with another 4xx
 *   or sends an ERROR event (e.g. "Framework has been removed"): retrying
 *   could only fail the same way or steal a legitimate failover, so the
 *   library stops and reports it. Any state -> STOPPED after
 *   cr_sched_teardown() is accepted and the master closes the stream.
 *
 * Ownership: json_t values handed to callbacks are borrowed for the call
 * (json_incref() them to keep them). Functions documented as "taking" a
 * json_t steal the reference, even when they fail.
 *
 * Async contract: every call function returns 0 when the call was sent, in
 * which case its cb (if not NULL) runs exactly once later: with err 0 and
 * the HTTP status and body once the master answered (202 accepted; 400/403
 * when the stream is stale or the call invalid; 307/503 when the master
 * lost leadership), with a negative err on a transport failure or timeout,
 * or with CR_ECANCELED_OP from cr_sched_free(). On a negative return the
 * cb never runs: CR_ESTATE when not subscribed, CR_EINVAL_INPUT for bad
 * arguments.
 *
 * Re-entrancy: callbacks may call any function here, including
 * cr_sched_free() on their own scheduler. Loop thread only.
 */
#ifndef CR_SCHEDULER_SCHEDULER_H
#define CR_SCHEDULER_SCHEDULER_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

struct cr_sched;

enum cr_sched_state {
    CR_SCHED_IDLE,        /* created, not started */
    CR_SCHED_CONNECTING,  /* SUBSCRIBE sent, waiting for the 200 */
    CR_SCHED_SUBSCRIBING, /* stream open, waiting for SUBSCRIBED */
    CR_SCHED_SUBSCRIBED,  /* calls may be sent */
    CR_SCHED_BACKOFF,     /* disconnected, waiting to retry */
    CR_SCHED_FAILED,      /* given up: ERROR event or SUBSCRIBE refused */
    CR_SCHED_STOPPED,     /* torn down */
};

/* Event callbacks. All are optional (NULL: ignored). s is the scheduler,
 * data the pointer given to cr_sched_new(). */
struct cr_sched_callbacks {
    /* SUBSCRIBED (also after every re-subscription). subscribed is the
     * event's "subscribed" object: framework_id, heartbeat_interval_seconds,
     * master_info. cr_sched_framework_id() is already set. */
    void (*subscribed)(struct cr_sched *s, void *data, json_t *subscribed);
    /* OFFERS: offers is the array of Offer objects (never empty). */
    void (*offers)(struct cr_sched *s, void *data, json_t *offers);
    /* RESCIND of one offer. */
    void (*rescind)(struct cr_sched *s, void *data, const char *offer_id);
    /* UPDATE: status is the TaskStatus (has task_id and state). Call
     * cr_sched_ack_update(s, status, ...) once it is handled. */
    void (*update)(struct cr_sched *s, void *data, json_t *status);
    /* MESSAGE from an executor: the "message" object (agent_id,
     * executor_id, data in base64). */
    void (*message)(struct cr_sched *s, void *data, json_t *message);
    /* FAILURE of an agent or executor: the "failure" object (agent_id,
     * optional executor_id and status). */
    void (*failure)(struct cr_sched *s, void *data, json_t *failure);
    /* ERROR from the master; the scheduler is now CR_SCHED_FAILED. Also
     * called when the master refuses SUBSCRIBE with a 4xx (message: the
     * status and body). */
    void (*error)(struct cr_sched *s, void *data, const char *message);
    /* HEARTBEAT. */
    void (*heartbeat)(struct cr_sched *s, void *data);
    /* A subscription attempt failed or a live subscription was lost.
     * reason is one line ("connection refused", "heartbeats missed"...).
     * cr_sched_state() tells what happens next (BACKOFF: it will retry;
     * FAILED/STOPPED: it will not). */
    void (*disconnected)(struct cr_sched *s, void *data, const char *reason);
    /* Every event before the typed callback, including types this library
     * does not decode (INVERSE_OFFERS, UPDATE_OPERATION_STATUS...). */
    void (*event)(struct cr_sched *s, void *data, json_t *event);
};

/* Tunables; zero fields take the defaults shown. */
struct cr_sched_options {
    double connect_timeout;    /* connect + SUBSCRIBE answer head: 10 s */
    double call_timeout;       /* a whole non-SUBSCRIBE call: 75 s */
    double backoff_min;        /* first retry delay: 0.5 s */
    double backoff_max;        /* cap on the retry delay: 15 s */
    int max_missed_heartbeats; /* disconnect after this many: 5 */
    double zk_session_timeout; /* ZooKeeper session (zk:// masters): 10 s */
};

/* The answer to one call. err 0: status/body are the master's answer (body
 * borrowed, NUL-terminated, possibly empty). err < 0: no answer (transport
 * error, timeout, CR_ECANCELED_OP); status is 0 and body "". */
typedef void (*cr_sched_call_cb)(struct cr_sched *s, void *data, int err,
                                 int status, const char *body);

/* Create a scheduler for the masters listed in masters ("host:port" or a
 * comma-separated list; default port 5050), or for the leader elected in
 * ZooKeeper ("zk://[user:password@]host:port[,...]/path"), or for what the
 * file in "file:///path" holds (either form; read here), subscribing with
 * framework_info
 * (a FrameworkInfo object; borrowed, copied; must have "user" and "name";
 * an "id" makes the first SUBSCRIBE a re-subscription). cbs is copied.
 * Returns NULL (and logs why) on a bad master list or FrameworkInfo.
 * Nothing happens until cr_sched_start(). */
struct cr_sched *cr_sched_new(uv_loop_t *loop, const char *masters,
                              const json_t *framework_info,
                              const struct cr_sched_callbacks *cbs, void *data);
/* Replace the tunables (before cr_sched_start()). */
void cr_sched_set_options(struct cr_sched *s,
                          const struct cr_sched_options *opts);
/* Start subscribing (the first attempt starts at once; with ZooKeeper, the
 * ZooKeeper session is opened and the first attempt follows the first
 * leader). 0, CR_ESTATE if already started, or (ZooKeeper) the error of
 * opening the session (the scheduler stays IDLE). */
int cr_sched_start(struct cr_sched *s);
/* Close the stream and timers, cancel pending calls (their cb runs with
 * CR_ECANCELED_OP, synchronously) and release the scheduler once libuv has
 * closed its handles: keep running the loop afterwards. No event callback
 * runs after this. NULL-safe. Does not tear the framework down. */
void cr_sched_free(struct cr_sched *s);
/* cr_sched_free(), then cb(arg) once the scheduler is released (with
 * ZooKeeper, after its session is closed, which takes a round trip to the
 * servers): run the loop until then before closing every handle of the
 * loop with uv_walk(). NULL-safe (cb does not run for NULL). */
void cr_sched_close(struct cr_sched *s, void (*cb)(void *arg), void *arg);

/* The current state; see the diagram above. */
enum cr_sched_state cr_sched_state(const struct cr_sched *s);
/* A static name for a state ("SUBSCRIBED"). */
const char *cr_sched_state_name(enum cr_sched_state st);
/* The framework id once known (after the first SUBSCRIBED, or from
 * framework_info.id), else NULL. Borrowed. */
const char *cr_sched_framework_id(const struct cr_sched *s);
/* The Mesos-Stream-Id of the live stream, or NULL. Borrowed. */
const char *cr_sched_stream_id(const struct cr_sched *s);
/* The FrameworkInfo sent on SUBSCRIBE (with "id" once known). Borrowed. */
const json_t *cr_sched_framework_info(const struct cr_sched *s);
/* Where the current or last subscription went ("host:port"; with
 * ZooKeeper, the masked zk:// URL until a leader is known). Borrowed. */
const char *cr_sched_master(const struct cr_sched *s);

/* ---- Calls (see the async contract above) ---- */

/* Send a call of any type: {"type": type, "framework_id": ..., "<type in
 * lower case>": body}. Takes body (may be NULL for body-less calls). */
int cr_sched_call(struct cr_sched *s, const char *type, json_t *body,
                  cr_sched_call_cb cb, void *data);

/* ACCEPT offers (all from one agent) with operations (a JSON array of
 * Offer.Operation, taken). refuse_seconds >= 0 sets filters.refuse_seconds
 * for the unused resources; < 0 leaves the master's default (5 s). */
int cr_sched_accept(struct cr_sched *s, const char *const *offer_ids,
                    size_t n_offers, json_t *operations, double refuse_seconds,
                    cr_sched_call_cb cb, void *data);
/* ACCEPT with one LAUNCH operation of task_infos (array of TaskInfo,
 * taken). */
int cr_sched_launch(struct cr_sched *s, const char *const *offer_ids,
                    size_t n_offers, json_t *task_infos, double refuse_seconds,
                    cr_sched_call_cb cb, void *data);
/* ACCEPT with one LAUNCH_GROUP operation: executor (ExecutorInfo, taken)
 * runs tasks (array of TaskInfo, taken). */
int cr_sched_launch_group(struct cr_sched *s, const char *const *offer_ids,
                          size_t n_offers, json_t *executor, json_t *tasks,
                          double refuse_seconds, cr_sched_call_cb cb,
                          void *data);
/* DECLINE offers; refuse_seconds as for cr_sched_accept(). */
int cr_sched_decline(struct cr_sched *s, const char *const *offer_ids,
                     size_t n_offers, double refuse_seconds,
                     cr_sched_call_cb cb, void *data);
/* DECLINE every offer of an OFFERS array (borrowed), e.g. the one given to
 * the offers callback. CR_EINVAL_INPUT when it holds no offer id. */
int cr_sched_decline_all(struct cr_sched *s, const json_t *offers,
                         double refuse_seconds, cr_sched_call_cb cb,
                         void *data);
/* REVIVE / SUPPRESS offers for roles (n_roles 0: every subscribed role). */
int cr_sched_revive(struct cr_sched *s, const char *const *roles,
                    size_t n_roles, cr_sched_call_cb cb, void *data);
int cr_sched_suppress(struct cr_sched *s, const char *const *roles,
                      size_t n_roles, cr_sched_call_cb cb, void *data);
/* KILL a task; agent_id may be NULL. grace_secs >= 0 sets
 * kill_policy.grace_period; < 0 leaves the task's own policy. */
int cr_sched_kill(struct cr_sched *s, const char *task_id, const char *agent_id,
                  double grace_secs, cr_sched_call_cb cb, void *data);
/* SHUTDOWN an executor on an agent. */
int cr_sched_shutdown(struct cr_sched *s, const char *executor_id,
                      const char *agent_id, cr_sched_call_cb cb, void *data);
/* ACKNOWLEDGE an update (uuid: the status's base64 uuid). */
int cr_sched_acknowledge(struct cr_sched *s, const char *agent_id,
                         const char *task_id, const char *uuid,
                         cr_sched_call_cb cb, void *data);
/* Acknowledge the TaskStatus status (borrowed) if it needs it. Returns 0
 * when an ACKNOWLEDGE was sent (cb runs later), 1 when the update carries
 * no uuid and must not be acknowledged (master-generated updates,
 * reconciliation answers; cb never runs), or a negative error (e.g.
 * CR_EINVAL_INPUT: a uuid without agent_id/task_id). */
int cr_sched_ack_update(struct cr_sched *s, const json_t *status,
                        cr_sched_call_cb cb, void *data);
/* RECONCILE. tasks: an array of {"task_id":{...},"agent_id":{...}}
 * (taken); NULL or empty asks for implicit reconciliation (all tasks). */
int cr_sched_reconcile(struct cr_sched *s, json_t *tasks, cr_sched_call_cb cb,
                       void *data);
/* MESSAGE len bytes of msg to an executor (base64-encoded for you). */
int cr_sched_message(struct cr_sched *s, const char *agent_id,
                     const char *executor_id, const void *msg, size_t len,
                     cr_sched_call_cb cb, void *data);
/* TEARDOWN the framework: the master kills its tasks and removes it. The
 * scheduler then goes to CR_SCHED_STOPPED instead of re-subscribing. */
int cr_sched_teardown(struct cr_sched *s, cr_sched_call_cb cb, void *data);

/* ---- Pure helpers (no I/O; usable without a scheduler) ---- */

/* Build a call envelope: {"type": type, "framework_id": {"value":
 * framework_id} (omitted when NULL), "<type lower case>": body (taken,
 * omitted when NULL)}. Returns a new reference. */
json_t *cr_sched_call_new(const char *type, const char *framework_id,
                          json_t *body);
/* True for terminal TaskState names (TASK_FINISHED, TASK_FAILED,
 * TASK_KILLED, TASK_ERROR, TASK_LOST, TASK_DROPPED, TASK_GONE,
 * TASK_GONE_BY_OPERATOR). */
bool cr_sched_task_state_is_terminal(const char *state);

#endif
