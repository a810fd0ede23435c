/* SPDX-License-Identifier: Apache-2.0
 *
 * record.h: one submitted Spark driver as corral-dispatcher keeps it (in
 * memory), and its persistent form: the JSON data of the driver's znode
 * (plus the framework id znode and the id counter's znode names).
 *
 * A driver is built from the CreateSubmissionRequest it was accepted with
 * (sparkProperties already merged with the dispatcher's driverDefault.*),
 * so the request is the single source of its description: cores, memory,
 * supervise and queue are derived from it the same way at submission and
 * when a record is read back from ZooKeeper.
 *
 * Record (version 1), one znode <dir>/<subtree>/<submissionId>:
 *   {"version": 1, "id": "driver-...", "state": "QUEUED", "seq": 42,
 *    "submitted": 1700000000.123, "request": {CreateSubmissionRequest},
 *    "taskId": "...", "agentId": "...", "retries": 1, "retryWait": 1.0,
 *    "nextRetry": 1700000001.5, "lastStatus": {TaskStatus},
 *    "finished": 1700000002.0}
 * The last seven keys are optional (taskId and agentId are required for a
 * launched driver). Unknown keys are ignored. Decoding validates
 * everything (the request with disp_validate_create) and never trusts a
 * size: a bad record is refused with a one-line reason.
 *
 * Ownership: a struct disp_driver owns its request, agent id and host,
 * last status and history; the derived strings point into the request.
 * Threading: none (pure functions).
 */
#ifndef CR_DISPATCHER_RECORD_H
#define CR_DISPATCHER_RECORD_H

#include "protocol.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define DISP_RECORD_VERSION 1
/* Largest record written or read: under ZooKeeper's 1 MiB node limit. */
#define DISP_RECORD_MAX  (1000u * 1000u)
#define DISP_MAX_TASK_ID (DISP_MAX_ID + 32)
#define DISP_MAX_FW_ID   256
#define DISP_MAX_AGENT   256
#define DISP_MAX_RETRIES 1000000
/* The submission's queue property and the queue without one. */
#define DISP_QUEUE_PROP    "spark.mesos.dispatcher.queue"
#define DISP_QUEUE_DEFAULT "default"

struct disp_history;

enum disp_drv_state {
    DISP_QUEUED,   /* waiting for an offer */
    DISP_LAUNCHED, /* its task was launched (RUNNING for REST) */
    DISP_RETRYING, /* supervised, waiting for its relaunch */
    DISP_FINISHED, /* its task ended, or it could not be built */
};

struct disp_driver {
    char id[DISP_MAX_ID];
    char task_id[DISP_MAX_TASK_ID]; /* current or last task; "" if none */
    json_t *req;                    /* the accepted request (owned) */
    /* Borrowed from req. */
    const char *app_name, *main_class, *app_resource, *queue;
    json_t *args, *props, *env;
    /* Derived from req. */
    double cores;
    long mem_mb;
    bool supervise;
    double priority;   /* of its queue (set by the dispatcher) */
    double submitted;  /* wall-clock seconds */
    unsigned long seq; /* the id counter value it was given */
    enum disp_drv_state state;
    bool killed;         /* a kill was asked (not persisted) */
    char *agent_id;      /* of the current or last task (owned) */
    json_t *last_status; /* last TaskStatus (owned) */
    int retries;
    double wait, next_retry; /* back-off (s) and when (wall s) */
    double finished;         /* wall s when it finished */
    unsigned long finish_seq;
    /* For the web UI, not persisted (owned; NULL when unknown). */
    char *agent_host;             /* host name of the current agent */
    struct disp_history *history; /* history.h */
    struct disp_driver *next;
};

/* A QUEUED driver for an accepted request (copied): req must pass
 * disp_validate_create. NULL when the request is not valid. */
struct disp_driver *disp_driver_new(const json_t *req, const char *id,
                                    unsigned long seq, double submitted);
void disp_driver_free(struct disp_driver *drv);

/* "QUEUED", "LAUNCHED", "RETRYING", "FINISHED". */
const char *disp_drv_state_name(enum disp_drv_state st);

/* How far a driver has got, to pick the newest of two records of one
 * driver left by a crash between two writes: QUEUED 0 < LAUNCHED with r
 * retries 2r+1 < RETRYING with r retries 2r < ... < FINISHED. */
long disp_driver_progress(const struct disp_driver *drv);

/* The counter part (the NNNN) of a submission id. 0 or -1. */
int disp_submission_counter(const char *id, unsigned long *out);

/* Encode drv as its znode's data (compact JSON). Owned; *len its length.
 * NULL when the result would exceed DISP_RECORD_MAX. */
char *disp_record_encode(const struct disp_driver *drv, size_t *len);
/* Decode the znode name (its submission id) read from the sub-tree of
 * state. 0 with *out set, or CR_EINVAL_INPUT with a one-line reason in
 * err. */
int disp_record_decode(const char *data, size_t len, const char *name,
                       enum disp_drv_state state, struct disp_driver **out,
                       char *err, size_t errlen);

/* The framework id znode: {"version": 1, "frameworkId": "..."}. */
char *disp_framework_encode(const char *framework_id, size_t *len);
/* Decode it into out (DISP_MAX_FW_ID bytes). 0 or CR_EINVAL_INPUT. */
int disp_framework_decode(const char *data, size_t len, char *out, size_t n,
                          char *err, size_t errlen);
/* Ids we accept for a framework: 1-255 of [A-Za-z0-9._-]. */
bool disp_framework_id_valid(const char *id);

/* The id counter is kept as znode names: "%010lu". */
void disp_counter_name(char *out, size_t n, unsigned long value);
/* Parse such a name (1-19 digits). 0 or -1. */
int disp_counter_parse(const char *name, unsigned long *value);

#endif
