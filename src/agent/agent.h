/* SPDX-License-Identifier: Apache-2.0
 *
 * agent.h: the agent daemon's root struct and the functions its modules
 * offer each other (private to src/agent).
 *
 * Modules:
 *   main.c          flags, start-up, the loop
 *   master_link.c   subscription to the master (backoff, redirects,
 *                   heartbeats, following the leader elected in
 *                   ZooKeeper) and the calls sent on it
 *   containers.c    frameworks, executors and tasks: launch, kill,
 *                   shutdown, executor exit, status updates in and out
 *   launch.c        sandbox + checkpoints + fetch + spawn of an executor
 *   executor_api.c  POST /api/v1/executor (subscriptions, calls)
 *   http_api.c      routing, /state, /health, /flags, /version
 *   files.c         the /files endpoints
 *   recover.c       reading checkpoints back after a restart
 *   sum.c           the status update manager; ckpt.c durable files
 *
 * Object model: agent -> frameworks (hash by id) -> executors (hash by id)
 * -> tasks (hash by id, plus arrival order). An executor that terminated
 * moves to its framework's completed list; a task whose terminal update
 * was acknowledged moves to its executor's completed list. Objects are
 * owned by their parent; across async gaps (disk, fetch, HTTP calls) code
 * holds ids and looks objects up again.
 *
 * Executor state machine (one log line per transition):
 *
 *   LAUNCHING --(sandbox+fetch ok, spawned)--> REGISTERING --(SUBSCRIBE)-->
 *   RUNNING --(SHUTDOWN sent)--> TERMINATING --(process gone)-->
 *   TERMINATED; any state --(process gone / launch failed)--> TERMINATED.
 *   A recovered executor starts in REGISTERING with recovered=true.
 *
 * Threading: loop thread only.
 */
#ifndef CR_AGENT_AGENT_H
#define CR_AGENT_AGENT_H

#include "base/flags.h"
#include "detector/master_detector.h"
#include "hash.h"
#include "net/http_server.h"
#include "net/url.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#define AGENT_MAX_STATUSES            16  /* kept per task for /state */
#define AGENT_MAX_COMPLETED_TASKS     200 /* per executor */
#define AGENT_MAX_COMPLETED_EXECUTORS 150 /* per framework */
#define AGENT_MAX_COMPLETED_FWS       50

struct agent;
struct executor;

struct task {
    char *id;
    json_t *info; /* TaskInfo, owned */
    struct executor *exec;
    int state;                /* enum task_state: the newest known */
    json_t *statuses;         /* the newest statuses, oldest first, owned */
    bool launched;            /* LAUNCH / LAUNCH_GROUP sent to the executor */
    bool killed;              /* a kill was requested */
    unsigned group;           /* 0: a single task; else the task group number */
    struct task *prev, *next; /* exec->order or exec->completed */
    UT_hash_handle hh;        /* exec->tasks */
};

enum exec_state {
    EXEC_LAUNCHING,
    EXEC_REGISTERING,
    EXEC_RUNNING,
    EXEC_TERMINATING,
    EXEC_TERMINATED,
};

enum exec_end {
    END_NONE,
    END_EXITED,        /* the process ended on its own */
    END_SHUTDOWN,      /* we asked it to stop (kill / shutdown) */
    END_REG_TIMEOUT,   /* never subscribed */
    END_REREG_TIMEOUT, /* did not come back after an agent restart */
    END_LAUNCH_FAILED, /* sandbox, fetch or spawn failed */
};

struct executor {
    char *id;
    char *cid; /* container id (uuid) */
    char *fw_id;
    struct agent *agent;
    json_t *info;          /* ExecutorInfo, owned */
    bool command_executor; /* corral-executor for command tasks/groups */
    bool checkpoint;       /* the framework checkpoints */
    enum exec_state state;
    enum exec_end end;
    char *end_message;
    char *directory;        /* sandbox */
    struct task *tasks;     /* live tasks by id */
    struct task *order;     /* live tasks in arrival order */
    struct task *completed; /* terminal and acknowledged */
    size_t n_completed;
    unsigned next_group;
    int pid;
    bool recovered; /* pid is not our child: poll it */
    uv_process_t proc;
    bool proc_active;
    uv_timer_t timer; /* registration timeout / shutdown grace */
    uv_timer_t poll;  /* recovered executors: is the pid still alive? */
    int open_handles; /* uv handles not yet closed */
    bool freeing;     /* free once open_handles reaches 0 */
    struct cr_http_stream *stream; /* the executor's subscription */
    int exit_status;
    struct executor *prev, *next; /* fw->completed */
    UT_hash_handle hh;            /* fw->executors */
};

struct framework {
    char *id;
    json_t *info;  /* FrameworkInfo, owned */
    bool removing; /* SHUTDOWN_FRAMEWORK received */
    struct executor *executors;
    struct executor *completed;
    size_t n_completed;
    struct framework *prev, *next; /* agent->completed_fws */
    UT_hash_handle hh;
};

struct agent_flags {
    char *master;
    char *ip;
    int port;
    char *hostname;
    char *advertise_ip;
    int advertise_port;
    char *work_dir;
    char *resources;
    char *attributes;
    char *default_role;
    double shutdown_grace;
    double reg_timeout;
    double rereg_timeout;
    char *recover;
    bool strict;
    double backoff_factor;
    char *launcher_dir;
    char *logging_level;
    double http_heartbeat;
    double recovery_timeout;
    char *ready_file;
    char *log_dir;
    double zk_session_timeout;
};

enum link_state { LINK_IDLE, LINK_CONNECTING, LINK_SUBSCRIBED };

struct master_link {
    /* --master, or with ZooKeeper the detected leader (valid while
     * have_leader) */
    struct cr_hostport configured;
    struct cr_hostport target; /* after redirects */
    enum link_state state;
    struct cr_event_stream *stream;
    char *stream_id;
    uv_timer_t retry;    /* next subscription attempt */
    uv_timer_t watchdog; /* no event for too long */
    double backoff;      /* seconds, current ceiling */
    double hb_interval;  /* from SUBSCRIBED */
    int redirects;
    bool ever_subscribed;
    json_t *master_info;
    char *master_hostname;
    /* --master=zk://... (or a file:// holding one): follow the leader */
    struct cr_master_spec spec;
    struct cr_master_detector *detector; /* open between start and stop */
    bool detector_closing;               /* until its close callback */
    bool have_leader;                    /* configured holds the leader */
};

struct agent {
    uv_loop_t *loop;
    struct agent_flags fl;
    struct cr_flag *flags;
    size_t n_flags;

    char *id; /* agent id, NULL until first registered */
    char *hostname;
    char *endpoint_ip; /* ip executors and the master reach us on */
    int port;          /* bound port */
    json_t *resources; /* v1 Resource array, owned */
    json_t *resources_v0;
    json_t *attributes; /* v1 Attribute array, owned */
    json_t *attributes_v0;
    char *boot_id;
    double start_time;
    char *launcher_dir;

    struct cr_http_server *http;
    struct ckpt_queue *ckpt;
    struct sum *sum;
    struct files *files;
    struct master_link link;

    struct framework *frameworks;
    struct framework *completed_fws;
    size_t n_completed_fws;

    uv_timer_t tick;        /* status update retries */
    uv_timer_t rereg_timer; /* end of executor re-registration */
    bool recovering;        /* waiting for executors to come back */
    bool stopping;          /* a signal came: exiting, executors stay */
    uv_signal_t sigterm, sigint;
};

/* ---- master_link.c ---- */
void link_init(struct agent *a);
void link_start(struct agent *a);
/* Stop subscribing; with ZooKeeper, close the detector (asynchronously:
 * keep the loop running until link_is_closed()). */
void link_stop(struct agent *a);
bool link_is_closed(const struct agent *a);
bool link_is_subscribed(const struct agent *a);
/* Parse --master into a->link (host:port, zk://, file://). 0, or -1 with
 * a one-line reason in err. */
int link_configure(struct agent *a, char *err, size_t errlen);
/* "host:port" or the masked zk URL, for logs. Owned. */
char *link_describe(const struct agent *a);
/* Send a call {"type": type, "agent_id", lower(type): body}; body is
 * stolen. Dropped when not subscribed (callers retry through the status
 * update manager or accept loss, as for MESSAGE). */
void link_send(struct agent *a, const char *type, json_t *body);

/* ---- containers.c ---- */
void containers_init(struct agent *a);
struct framework *fw_find(struct agent *a, const char *fw_id);
struct executor *exec_find(struct agent *a, const char *fw_id,
                           const char *exec_id);
struct framework *fw_ensure(struct agent *a, const json_t *fw_info);
void on_run_task(struct agent *a, const json_t *ev);
void on_run_task_group(struct agent *a, const json_t *ev);
void on_kill_task(struct agent *a, const json_t *ev);
void on_shutdown_executor(struct agent *a, const json_t *ev);
void on_shutdown_framework(struct agent *a, const json_t *ev);
void on_agent_shutdown(struct agent *a, const json_t *ev);
void on_framework_message(struct agent *a, const json_t *ev);
void on_acknowledge(struct agent *a, const json_t *ev);
/* The agent (re)subscribed: the SUBSCRIBE body lists. */
json_t *containers_frameworks_json(struct agent *a);
json_t *containers_executors_json(struct agent *a);
json_t *containers_tasks_json(struct agent *a);
/* Generate an update from the agent (source SOURCE_AGENT). */
void agent_status_update(struct agent *a, const char *fw_id, struct executor *e,
                         const char *task_id, int state, const char *reason,
                         const char *message);
/* An update from an executor (validated). 0 or an HTTP status. */
int exec_receive_update(struct executor *e, const json_t *status);
void exec_set_state(struct executor *e, enum exec_state to, const char *why);
/* Send an event to the executor's subscription (stolen). */
void exec_send_event(struct executor *e, json_t *event);
/* Send LAUNCH / LAUNCH_GROUP for every task not yet delivered. */
void exec_deliver_queued(struct executor *e);
/* The executor process is gone (status: wait status, or -1 unknown). */
void exec_terminated(struct executor *e, int status);
/* Ask the executor to stop: SHUTDOWN, then SIGKILL after the grace. */
void exec_shutdown(struct executor *e, const char *why);
/* Kill the executor's process session now. */
void exec_kill_now(struct executor *e);
/* Paths */
char *exec_task_updates_path(struct executor *e, const char *task_id);
double exec_grace_period(const struct executor *e);
struct task *task_add(struct executor *e, const json_t *info, unsigned group);
/* Remember status as t's newest (state + bounded history). */
void task_record_status(struct task *t, const json_t *status);
/* A new executor record (cid NULL: a fresh container id). */
struct executor *exec_create(struct agent *a, struct framework *f,
                             const json_t *info, bool command_executor,
                             const char *cid);
/* Executors that have not come back after a restart. */
void containers_rereg_timeout(struct agent *a);
/* The status update manager's forward: an UPDATE call to the master. */
const struct sum_ops *containers_sum_ops(void);
void agent_fatal(struct agent *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- launch.c ---- */
/* Create the sandbox, checkpoint, fetch and spawn (async). */
void launch_executor(struct executor *e);
/* Checkpoint a task added to an existing executor, then deliver it. */
void launch_checkpoint_task(struct executor *e, struct task *t);
/* The executor's environment (owned NULL-terminated array). */
char **launch_environment(struct executor *e);
void launch_free_env(char **env);
/* Watch a recovered (not our child) executor pid. */
void launch_watch_pid(struct executor *e);

/* ---- executor_api.c ---- */
void executor_api_handle(struct agent *a, struct cr_http_req *req);
/* The stream of e closed or must be dropped. */
void executor_api_detach(struct executor *e);

/* ---- http_api.c ---- */
void http_api_handle(struct cr_http_req *req, void *data);
json_t *http_api_state_json(struct agent *a);

/* ---- main.c ---- */
/* AgentInfo as sent to the master and to executors (new reference). */
json_t *agent_info_json(struct agent *a);
/* End the recovery phase early if every recovered executor is back. */
void agent_recovery_check(struct agent *a);

/* ---- recover.c ---- */
/* Read <work_dir>/meta back. 0, or -1 after logging (fatal with
 * --strict). */
int recover_state(struct agent *a);
/* Write slave.info and the latest link (after first registration). */
void recover_checkpoint_agent(struct agent *a);

#endif
