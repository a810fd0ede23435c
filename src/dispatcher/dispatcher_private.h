/* SPDX-License-Identifier: Apache-2.0
 *
 * dispatcher_private.h: the state shared by corral-dispatcher's own
 * files: dispatcher.c (life cycle, leadership, persistence), offers.c
 * (the framework: offers, launches, updates, retries), rest.c (Spark's
 * REST protocol) and webui*.c (the web UI on --webui-port, webui.h).
 *
 * Roles:
 *   SOLO     no ZooKeeper: subscribes at once, keeps its state in memory.
 *   STANDBY  --zk, not elected: never subscribes; REST answers 503 naming
 *            the leader.
 *   LEADER   --zk, elected: loads the state from ZooKeeper, subscribes
 *            with the stored framework id, writes every change through.
 * `loaded` says the driver list is authoritative (LEADER after loading,
 * SOLO after the first subscription); `ready` says submissions may be
 * taken (subscribed and the framework id persisted). A fatal event (lost
 * leadership, framework ERROR, a refused write) clears both and makes the
 * process exit (disp_fatal).
 *
 * Persistence (with a store): a driver's record lives in the sub-tree of
 * its state; a state change writes the new record and then deletes the old
 * one. What is acknowledged (a REST answer, a status update ACK, a task
 * launch) waits until the writes before it are applied (disp_persist_sync).
 * Without a store these helpers complete synchronously.
 *
 * Threading: loop thread only.
 */
#ifndef CR_DISPATCHER_DISPATCHER_PRIVATE_H
#define CR_DISPATCHER_DISPATCHER_PRIVATE_H

#include "dispatcher.h"
#include "net/http_server.h"
#include "queue.h"
#include "record.h"
#include "scheduler/scheduler.h"
#include "store_zk.h"

#include <jansson.h>
#include <stdbool.h>
#include <uv.h>

enum disp_role { DISP_SOLO, DISP_STANDBY, DISP_LEADER };

struct dispatcher {
    uv_loop_t *loop;
    char *host, *master, *name, *version;
    int port, bound_port;
    json_t *conf;
    json_t *fw_info; /* FrameworkInfo without id */
    struct cr_http_server *http;
    struct cr_sched *sched;
    struct disp_store *store; /* NULL without ZooKeeper */
    struct disp_queues queues;
    uv_timer_t retry_timer, fatal_timer;
    enum disp_role role;
    bool loaded, ready, suppressed, fw_persisted, closing;
    char *fatal;              /* why we stop (once fatal) */
    char *leader;             /* STANDBY: the leader's address, or NULL */
    char *leader_ui;          /* STANDBY: the leader's web UI URL, or NULL */
    struct disp_webui *webui; /* webui.h; NULL when not serving */
    int webui_port;           /* asked for (-1: no web UI) */
    char *fw_id;              /* LEADER: the stored framework id, or NULL */
    struct disp_driver *drivers, **tail; /* in submission order */
    unsigned long id_counter, finish_counter;
    double refuse_secs, max_wait;
    long retained, max_drivers;
    int pending_closes;
    void (*close_cb)(void *);
    void *close_arg;
    void (*on_fatal)(void *, const char *);
    void *fatal_arg;
};

/* ---- dispatcher.c ---- */

/* Stop serving and have the process exit: reason is one line. */
void disp_fatal(struct dispatcher *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
const char *disp_conf_str(const struct dispatcher *d, const char *key);
/* "host:port" others should use to reach port of this dispatcher:
 * SPARK_PUBLIC_DNS, --host, or the host name when --host is a wildcard
 * (IPv6 in brackets). Owned. */
char *disp_advertised(const struct dispatcher *d, int port);

struct disp_driver *disp_driver_find(struct dispatcher *d, const char *id);
void disp_driver_append(struct dispatcher *d, struct disp_driver *drv);
/* Unlink drv and free it (its record is deleted, see disp_forget). */
void disp_driver_remove(struct dispatcher *d, struct disp_driver *drv);
size_t disp_count_state(const struct dispatcher *d, enum disp_drv_state st);
bool disp_has_due_work(const struct dispatcher *d, double now);

/* Persist drv in its current state; from: the state whose record it
 * leaves (== drv->state: rewrite in place). */
void disp_persist(struct dispatcher *d, const struct disp_driver *drv,
                  enum disp_drv_state from);
/* Delete the record of id in state st. */
void disp_forget(struct dispatcher *d, enum disp_drv_state st, const char *id);
/* cb(arg, rc) once everything persisted so far is applied (rc 0), or
 * failed / cancelled (rc < 0). Synchronous without a store. */
void disp_persist_sync(struct dispatcher *d, disp_store_cb cb, void *arg);
/* Write the id counter value n (and drop n-1). */
void disp_persist_counter(struct dispatcher *d, unsigned long n);

/* FINISHED now (persisted; old finished drivers evicted). */
void disp_driver_finish(struct dispatcher *d, struct disp_driver *drv);

/* ---- offers.c ---- */

void disp_on_offers(struct cr_sched *s, void *data, json_t *offers);
void disp_on_update(struct cr_sched *s, void *data, json_t *status);
void disp_revive(struct dispatcher *d);
void disp_maybe_suppress(struct dispatcher *d);
void disp_arm_retry_timer(struct dispatcher *d);
void disp_on_retry_timer(uv_timer_t *t);
/* Explicit reconciliation of every launched driver. */
void disp_reconcile_launched(struct dispatcher *d);

/* ---- rest.c ---- */

void disp_on_request(struct cr_http_req *req, void *data);

#endif
