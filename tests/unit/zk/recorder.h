/* SPDX-License-Identifier: Apache-2.0
 *
 * recorder.h: callbacks for the live ZooKeeper tests that record what the
 * session and group layers report, and the predicates tests wait on.
 * Everything runs on the test's loop thread.
 */
#ifndef CR_TESTS_ZK_RECORDER_H
#define CR_TESTS_ZK_RECORDER_H

#include "zk/group.h"
#include "zk/session.h"

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#define REC_MAX_EVENTS 32

/* A session's state and watch events. */
struct srec {
    struct cr_zk_session *s;
    enum cr_zk_state state;
    int nstates;
    int nwatch;
    enum cr_zk_event ev[REC_MAX_EVENTS];
    char evpath[REC_MAX_EVENTS][128];
    bool closed;
};

/* One operation's result, copied. */
struct res {
    bool done;
    int rc;
    char path[256];
    char *data;
    size_t len;
    char children[16][64];
    size_t n;
    bool has_stat;
    struct cr_zk_stat stat;
};

/* A group's contender and detector reports. */
struct mrec {
    struct cr_zk_group *g;
    int ncand, nelected, nlost;
    uint64_t seq;
    char reason[160];
    int nleader; /* reports, including "no leader" */
    bool has_leader;
    char data[256];
    uint64_t lseq;
    bool self;
    bool closed;
};

extern uv_loop_t test_loop;

/* Open a session to servers; waits for CONNECTED. */
struct cr_zk_session *srec_open(struct srec *r, const char *servers,
                                const char *auth, double timeout);
/* Close r->s and wait for the close callback. */
void srec_close(struct srec *r);
/* True if a watch event (ev, path) was recorded. */
bool srec_saw(const struct srec *r, enum cr_zk_event ev, const char *path);

void on_res(void *arg, const struct cr_zk_result *r);
void res_fini(struct res *r);
bool res_done(void *arg);
/* Run one operation to completion; returns its rc (r is reset first and
 * holds the copied result). */
int sync_create(struct cr_zk_session *s, const char *path, const char *data,
                int flags, struct res *r);
int sync_get(struct cr_zk_session *s, const char *path, bool watch,
             struct res *r);
int sync_children(struct cr_zk_session *s, const char *path, bool watch,
                  struct res *r);
int sync_exists(struct cr_zk_session *s, const char *path, bool watch,
                struct res *r);
int sync_delete(struct cr_zk_session *s, const char *path, struct res *r);

/* Open a group on url_text ("zk://..."); contend with data unless NULL. */
void mrec_open(struct mrec *m, const char *url_text, double timeout,
               const char *data);
/* Close m->g and wait. */
void mrec_close(struct mrec *m);
bool mrec_elected(void *arg);
bool mrec_candidate(void *arg);
bool mrec_lost(void *arg);
bool mrec_no_leader(void *arg);
bool mrec_connected(void *arg);
/* Wait until m reports a leader whose data is `data` (NULL: no leader). */
bool mrec_wait_leader(struct mrec *m, const char *data, double secs);
/* Wait until m has seen n CANDIDATE / ELECTED events. */
bool mrec_wait_counts(struct mrec *m, int ncand, int nelected, double secs);

#endif
