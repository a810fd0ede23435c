/* SPDX-License-Identifier: Apache-2.0
 *
 * master.h: the master's root struct and the objects it owns.
 *
 * The master owns every framework, agent, task and offer; they are indexed
 * by id in uthash tables and freed only by the functions in this folder.
 * Objects refer to each other by pointer only while both are alive:
 * removing an agent or a framework first detaches its tasks and offers.
 * Across async gaps (HTTP calls, timers) code holds ids, not pointers.
 *
 * Framework states (framework.c):
 *
 *     SUBSCRIBE             stream breaks
 *   ----------> CONNECTED ----------------> DISCONNECTED
 *                  ^   |                      |     |
 *                  |   | TEARDOWN  SUBSCRIBE  |     | failover_timeout
 *                  |   v  (again)             |     v
 *                  +---|----------------------+   REMOVED (completed list)
 *                      +------------------------> REMOVED
 *
 * Agent states (agents.c): CONNECTED <-> DISCONNECTED -> REMOVED (after
 * agent_ping_timeout x max_agent_ping_timeouts without a new stream).
 *
 * Loop thread only.
 */
#ifndef CR_MASTER_MASTER_H
#define CR_MASTER_MASTER_H

#include "base/buf.h"
#include "base/flags.h"
#include "base/hash.h"
#include "base/id.h"
#include "model/resources.h"
#include "net/http_server.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct allocator;
struct cr_log;
struct cr_zk_group;
struct registrar;
struct registry_op;
struct replicas;

struct master_flags {
    char *ip;
    int port;
    char *hostname;
    char *advertise_ip;
    int advertise_port;
    char *cluster;
    char *work_dir;
    char *registry;
    double registry_fetch_timeout;
    double registry_store_timeout;
    bool log_auto_initialize;
    char *zk;
    double zk_session_timeout;
    long quorum;
    double allocation_interval;
    double offer_timeout; /* 0: offers never expire */
    double agent_ping_timeout;
    long max_agent_ping_timeouts;
    double agent_reregister_timeout;
    char *recovery_agent_removal_limit;
    double recovery_removal_fraction; /* the limit as 0..1 */
    long max_completed_frameworks;
    long max_completed_tasks_per_framework;
    char *roles;
    char *weights;
    char *min_allocatable_resources;
    char *logging_level;
    char *ready_file;
    double framework_heartbeat; /* HEARTBEAT period, 15s as upstream */
};

enum framework_state {
    FRAMEWORK_CONNECTED,
    FRAMEWORK_DISCONNECTED,
    FRAMEWORK_REMOVED,
};

enum agent_state {
    AGENT_CONNECTED,
    AGENT_DISCONNECTED,
    AGENT_REMOVED,
};

/* Task states, in the order of the v1 TaskState enum. */
enum task_state {
    TASK_STARTING = 0,
    TASK_RUNNING = 1,
    TASK_FINISHED = 2,
    TASK_FAILED = 3,
    TASK_KILLED = 4,
    TASK_LOST = 5,
    TASK_STAGING = 6,
    TASK_ERROR = 7,
    TASK_KILLING = 8,
    TASK_DROPPED = 9,
    TASK_UNREACHABLE = 10,
    TASK_GONE = 11,
    TASK_GONE_BY_OPERATOR = 12,
    TASK_UNKNOWN = 13,
    TASK_STATE_COUNT
};

struct mtask {
    char *key; /* "<framework_id>\n<task_id>": unique in the master */
    char *task_id;
    char *framework_id;
    char *agent_id;
    char *executor_id; /* command tasks: the task id */
    char *name;
    /* Interned (tasks.c): tasks of one role share the string, so equal
     * roles are equal pointers. */
    const char *role;
    json_t *info;          /* TaskInfo as launched (owned) */
    bool custom_executor;  /* info has an executor (not a command task) */
    json_t *statuses;      /* array of {state, timestamp} (owned) */
    json_t *status;        /* latest TaskStatus relayed (owned, may be NULL) */
    enum task_state state; /* latest state known to the master */
    enum task_state acked_state; /* state of the oldest unacked update */
    struct cr_resources res;
    bool resources_released;
    UT_hash_handle hh;     /* master->tasks */
    struct mtask *fw_next; /* framework's task list */
    struct mtask *fw_prev;
    struct mtask *ag_next; /* agent's task list */
    struct mtask *ag_prev;
    /* This task's /master/state and GET_STATE entries, encoded by the
     * first document that needs them (state_json.c) and dropped whenever
     * the task changes (tasks.c), so later documents copy bytes instead
     * of walking its strings and JSON again. NULL: not encoded. */
    char *json_v0, *json_v1;
    uint32_t json_v0_len, json_v1_len;
    /* Nonzero: freed, its struct kept for documents in progress
     * (state_doc.c; the newest document's number then). */
    uint64_t gone_at;
};

struct moffer {
    char *id;
    char *framework_id;
    char *agent_id;
    char *role;
    struct cr_resources res;
    double created; /* monotonic secs, for --offer_timeout */
    UT_hash_handle hh;
};

struct mframework {
    struct master *master;
    char *id;
    json_t *info; /* FrameworkInfo with id set (owned) */
    char **roles;
    size_t n_roles;
    bool partition_aware;
    enum framework_state state;
    struct cr_http_stream *stream;
    char stream_id[CR_UUID_STR_LEN + 1];
    double failover_timeout;
    double disconnected_at; /* monotonic secs */
    double registered_time, reregistered_time, unregistered_time;
    struct mtask *tasks; /* intrusive list of live tasks */
    size_t n_tasks;
    json_t *completed_tasks; /* array of task JSON (bounded ring) */
    bool recovered;          /* known only from an agent's report so far */
    UT_hash_handle hh;
};

struct magent {
    struct master *master;
    char *id;
    char *hostname;
    int port;
    char *pid;    /* "slave(1)@ip:port" */
    char *ip;     /* the address it connects from (maintenance MachineID) */
    json_t *info; /* AgentInfo (owned) */
    struct cr_resources total;
    enum agent_state state;
    struct cr_http_stream *stream;
    char stream_id[CR_UUID_STR_LEN + 1];
    double disconnected_at;
    double last_seen; /* monotonic secs of the agent's last call */
    double registered_time, reregistered_time;
    struct mtask *tasks;
    size_t n_tasks;
    /* On m->agents_seen while CONNECTED, on m->agents_down while
     * DISCONNECTED (agent_api.c); health_list says which, NULL: neither. */
    struct magent *health_prev, *health_next;
    struct magent **health_list;
    /* On m->agents_ping while CONNECTED (the heartbeat round, agent_api.c). */
    struct magent *ping_prev, *ping_next;
    bool on_ping_list;
    UT_hash_handle hh;
};

struct master_stats {
    uint64_t tasks_by_state[TASK_STATE_COUNT];
    uint64_t valid_status_updates;
    uint64_t invalid_status_updates;
    uint64_t agent_registrations;
    uint64_t agent_reregistrations;
    uint64_t agent_removals;
    uint64_t offers_made;
};

struct master {
    uv_loop_t *loop;
    struct master_flags flags;
    struct cr_flag *flag_table;
    size_t n_flags;
    char id[CR_UUID_STR_LEN + 1];
    char *hostname; /* advertised */
    char *advertise_ip;
    int advertise_port;
    double start_time;
    double elected_time;
    uint64_t next_framework;
    uint64_t next_agent;
    uint64_t next_offer;
    struct cr_http_server *http;
    struct allocator *allocator;
    struct mframework *frameworks;
    json_t *completed_frameworks; /* array, bounded */
    /* Ids of removed frameworks (id -> true) and their order, bounded:
     * such a framework may not come back, neither by re-subscribing nor
     * through an agent that was away when it was torn down. */
    json_t *removed_frameworks;
    json_t *removed_order;
    struct magent *agents;
    /* The agents' health deadlines in order (utlist DL lists, agent_api.c):
     * CONNECTED agents by last_seen, DISCONNECTED ones by disconnected_at,
     * so the tick looks only at the agents whose time is up. */
    struct magent *agents_seen, *agents_down;
    /* Heartbeats go round agents_ping a few agents per step, so that every
     * agent gets one per --agent_ping_timeout without one long burst
     * (agent_api.c). ping_cursor: the next to get one (NULL: the head). */
    struct magent *agents_ping, *ping_cursor;
    size_t n_ping;
    double ping_owed; /* heartbeats due but not yet sent (< 1) */
    uint64_t ping_at; /* monotonic ms of the last step */
    struct mtask *tasks;
    struct moffer *offers;
    json_t *pending_offers;  /* framework id -> array of offers to send */
    uv_timer_t tick;         /* deadlines: failover, agent removal, offers */
    uv_timer_t heartbeat;    /* HEARTBEAT to frameworks */
    uv_timer_t agent_ping;   /* HEARTBEAT to agents */
    uv_timer_t allocation;   /* periodic full allocation */
    uv_idle_t allocate_soon; /* dirty-only pass on the next loop turn */
    bool allocate_pending;
    struct master_stats stats;
    /* Leadership (leadership.c). */
    struct cr_zk_group *zk; /* NULL without --zk */
    bool leading;
    bool leader_known;
    char *leader_host; /* the leader's address, for redirects */
    int leader_port;
    json_t *leader_info; /* the leader's MasterInfo, or NULL (owned) */
    /* Registry (recovery.c). Elected masters recover it before leading:
     * `recovering` is true from ELECTED until the registry is read. */
    struct cr_log *log; /* --registry=replicated_log, else NULL */
    struct registrar *registrar;
    struct replicas *replicas; /* with --zk and a log */
    char *log_self;            /* our replica's "host:port" */
    bool recovering;
    double recovered_at;   /* monotonic secs */
    bool reregister_swept; /* unreachable marking after recovery done */
    int exit_code;         /* set by master_fatal */
    json_t *quota_roles;   /* roles with a quota in the allocator */
};

/* master.c */
double master_now(void);
json_t *master_info_json(const struct master *m);
/* Flags as a {name: value} object (effective values as text). */
json_t *master_flags_json(const struct master *m);
void master_allocate_soon(struct master *m);

/* Drop every framework, agent, task and offer (closing their streams)
 * and start over with empty tables: a master that lost leadership. */
void master_reset_state(struct master *m);

/* leadership.c */
/* Join the election with --zk (or lead at once without it). 0, or -1 with
 * a one-line reason in err. */
int leadership_start(struct master *m, char *err, size_t errlen);
void leadership_stop(struct master *m);
bool master_is_leader(const struct master *m);
/* Answer req on a standby: 307 to the leader (with req's path and query
 * when keep_path) or 503 when no leader is known. Frees req. */
void master_redirect(struct master *m, struct cr_http_req *req, bool keep_path);

/* routes.c */
void master_handle_http(struct cr_http_req *req, void *data);

/* recovery.c */
/* Open the registry: the replicated log (and its replica discovery) with
 * --registry=replicated_log, and the registrar. 0, or -1 with a one-line
 * reason in err. */
int master_registry_open(struct master *m, char *err, size_t errlen);
/* Close it (pending operations are canceled). NULL-safe parts. */
void master_registry_close(struct master *m);
/* This master was elected (or starts without --zk): recover the registry,
 * then lead. */
void master_elected(struct master *m);
/* Leadership is gone: stop leading or recovering (the caller resets the
 * state). */
void master_demoted(struct master *m);
bool master_is_recovering(const struct master *m);
/* Something this master cannot serve past (the registry cannot be read or
 * written, or another master took the log over): print why on stderr,
 * stop serving at once and leave the loop; the process exits 1. */
void master_fatal(struct master *m, const char *why);
/* Parse --weights ("role=w,...") into a WEIGHTS op (bad items are warned
 * about and skipped). */
void master_parse_weights(const char *text, struct registry_op *op);
/* After --agent_reregister_timeout from recovery, mark the registry's
 * agents that did not come back unreachable (once). */
void registry_check_reregistration(struct master *m, double now);

/* admission.c */
/* Answer an agent's SUBSCRIBE (already validated; takes req and a
 * reference to call): accept it now, after committing it to the registry,
 * or refuse it with an ERROR event. */
void admission_subscribe(struct master *m, struct cr_http_req *req,
                         json_t *call);
/* Record in the registry that agent id failed its health checks. */
void admission_mark_unreachable(struct master *m, const char *id);

/* framework.c */
/* Encode event (borrowed) as one RecordIO record and write it to s.
 * Returns the write result (a slow or gone peer is handled by the
 * server: see cr_http_stream_write). */
int master_stream_send(struct cr_http_stream *s, json_t *event);
/* Remember that framework id was removed (bounded memory). */
void framework_note_removed(struct master *m, const char *id);
bool framework_was_removed(const struct master *m, const char *id);
struct mframework *framework_find(struct master *m, const char *id);
void framework_send(struct master *m, struct mframework *f, json_t *event);
void framework_disconnect(struct master *m, struct mframework *f);
void framework_remove(struct master *m, struct mframework *f, const char *why);
/* Release f's memory (ending its stream); no events, no allocator calls.
 * For removal and shutdown. f must already be out of the table. */
void framework_free(struct mframework *f);
struct mframework *framework_recover(struct master *m, const char *id,
                                     json_t *info);
void frameworks_check_failover(struct master *m, double now);
void frameworks_heartbeat(struct master *m);

/* scheduler_api.c */
void scheduler_api_handle(struct master *m, struct cr_http_req *req);

/* agent_api.c */
void agent_api_handle(struct master *m, struct cr_http_req *req);
/* Accept a SUBSCRIBE admitted into the registry under id: start the
 * agent's stream (SUBSCRIBED) and adopt what it reports. Takes req. */
void agent_subscribe_accept(struct master *m, struct cr_http_req *req,
                            json_t *call, const char *id);
void agent_send(struct master *m, struct magent *a, json_t *event);
struct magent *agent_find(struct master *m, const char *id);
/* Remove a with its tasks as the operator's doing (gone agent, machine
 * down): tell it to shut down, report its tasks TASK_GONE_BY_OPERATOR
 * (TASK_LOST to frameworks that are not partition-aware). Frees a. */
void agent_remove_by_operator(struct master *m, struct magent *a,
                              const char *why);
/* The address part of a peer "ip:port" / "[ip6]:port" (owned), or NULL. */
char *master_peer_ip(const char *peer);
void agents_check_removal(struct master *m, double now);
/* One step of the heartbeat round at monotonic now_ms: send the
 * heartbeats due since the last step; returns the ms until the next. */
uint64_t agents_heartbeat(struct master *m, uint64_t now_ms);
/* Release a's memory (ending its stream); a must be out of the table. */
void agent_free(struct magent *a);

/* offers.c */
void offers_on_allocation(void *data, const char *framework_id,
                          const char *agent_id, const char *role,
                          const struct cr_resources *res);
void offers_flush(struct master *m);
struct moffer *offer_find(struct master *m, const char *id);
void offer_remove(struct master *m, struct moffer *o, bool rescind,
                  bool recover, double refuse_seconds);
void offers_rescind_for_agent(struct master *m, const char *agent_id);
void offers_rescind_for_framework(struct master *m, const char *fw_id);
void offers_check_timeout(struct master *m, double now);
/* Release o's memory; o must be out of the table. */
void offer_free(struct moffer *o);

/* tasks.c */
const char *task_state_name(enum task_state s);
int task_state_parse(const char *name, enum task_state *out);
bool task_state_is_terminal(enum task_state s);
struct mtask *task_find(struct master *m, const char *framework_id,
                        const char *task_id);
struct mtask *task_add(struct master *m, struct mframework *f, struct magent *a,
                       json_t *info, const char *role,
                       const struct cr_resources *res, enum task_state st);
void task_set_state(struct master *m, struct mtask *t, enum task_state st,
                    double timestamp);
/* An agent's update: t takes the agent's latest state, and status joins
 * t's statuses (one entry per relayed update, as upstream). */
void task_apply_update(struct master *m, struct mtask *t, const json_t *status,
                       enum task_state latest);
void task_remove(struct master *m, struct mtask *t);
/* Release t's memory only (t must be unlinked, or everything is going). */
void task_free(struct mtask *t);
void task_release_resources(struct master *m, struct mtask *t);
json_t *task_to_v1_json(const struct mtask *t);
json_t *task_to_v0_json(const struct mtask *t);
json_t *task_status_new(const char *task_id, const char *agent_id,
                        const char *executor_id, enum task_state st,
                        const char *source, const char *reason,
                        const char *message);
void task_send_update(struct master *m, struct mframework *f, json_t *status);

/* accept.c */
void accept_handle(struct master *m, struct mframework *f, json_t *accept);

/* metrics.c */
/* The metrics as a flat {name: number} object (upstream names). */
json_t *metrics_json(struct master *m);
/* The same in the Prometheus text exposition format, appended to out. */
int metrics_prometheus(struct master *m, struct cr_buf *out);

/* state_json.c */
json_t *state_json(struct master *m);
/* A framework in the /master/state shape (tasks, offers, resources). */
json_t *framework_to_v0_json(struct master *m, struct mframework *f);

/* ---- sandbox files through the master (files_proxy*.c) -------------------
 *
 * GET /files/{browse,read,download,debug}?agent_id=<id>&path=<path>
 * [&offset=&length=] is relayed to that agent's own /files/<op> and its
 * answer (status, Content-Type, body) passed back; docs/protocol.md,
 * "Sandbox files through the master". Leader only (routes.c). */

#define FILES_PROXY_ID_MAX   1024
#define FILES_PROXY_PATH_MAX 4096
/* Largest length a read forwards (the agent itself caps a read at 64 KiB,
 * upstream's 16 pages). */
#define FILES_PROXY_MAX_READ (1u << 20)

enum files_proxy_op {
    FILES_PROXY_BROWSE,
    FILES_PROXY_READ,
    FILES_PROXY_DOWNLOAD,
    FILES_PROXY_DEBUG,
};

struct files_proxy_query {
    enum files_proxy_op op;
    char *agent_id; /* owned; NULL only for debug (the master's own) */
    char *path;     /* owned, decoded; NULL for debug */
    long long offset, length; /* read only; -1 when absent */
    char *target;             /* owned: path and query to send to the agent */
};

/* Parse /files/<what>?<query> (query may be NULL). 0 with q filled (free
 * with files_proxy_query_fini), CR_ENOTFOUND for an unknown <what> (404),
 * or CR_EINVAL_INPUT (400); both with a one-line reason in err, and q
 * left empty. */
int files_proxy_query_parse(const char *what, const char *query,
                            struct files_proxy_query *q, char *err,
                            size_t errlen);
void files_proxy_query_fini(struct files_proxy_query *q);
/* Answer GET /files/<what> (req->path is "/files/<what>"). Takes req. */
void files_proxy_handle(struct master *m, struct cr_http_req *req,
                        const char *what);

#endif
