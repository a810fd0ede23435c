/* SPDX-License-Identifier: Apache-2.0
 *
 * group.h: master leader election and leader detection over ZooKeeper.
 *
 * The layout is Mesos's, so Mesos-aware tools find our leader: every
 * contending master creates an EPHEMERAL|SEQUENTIAL znode
 * "<path>/json.info_NNNNNNNNNN" holding its MasterInfo as JSON; the member
 * with the lowest sequence leads. Children of <path> with other names are
 * ignored (Mesos < 0.24 "info_" nodes, log replicas, anything else).
 *
 * One group owns one ZooKeeper session and offers two roles:
 *   - detector (every user: masters, agents, the CLI, scheduler clients):
 *     on_leader reports each change of leader, and "no leader" (NULL);
 *   - contender (masters): cr_zk_group_contend() joins the election, and
 *     on_contender reports CANDIDATE (our node exists, with its sequence),
 *     ELECTED (we are the lowest) and LOST.
 *
 * Contender states (one event per arrow; LOST also while CANDIDATE):
 *
 *     IDLE --contend()--> JOINING --node created--> CANDIDATE --> ELECTED
 *       ^                    |                          |            |
 *       +------- LOST -------+--------------------------+------------+
 *
 * LOST means "stop serving now" (fencing). It is reported at once when the
 * session expires (including our own expiry after a quarter of the session
 * timeout without a connection, see session.h), when our node disappears,
 * or when a leader sees another leader. After LOST the group stays IDLE as
 * a contender: the owner decides whether to call contend() again (a leader
 * should exit, as Mesos masters do; a standby may rejoin).
 *
 * Detection survives everything: after a session expiry the group opens a
 * new session by itself and reports the leader again once it is known;
 * while the session is only disconnected (the client library is
 * reconnecting) the last leader stays reported. A node is "self" when its
 * ephemeral owner is our session, so a node created by a retried create
 * after a connection loss is recognised as ours too.
 *
 * Threading: loop thread only; callbacks run on the loop. The owner may
 * call cr_zk_group_close() from inside any callback.
 */
#ifndef CR_ZK_GROUP_H
#define CR_ZK_GROUP_H

#include "zk/session.h"
#include "zk/url.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define CR_ZK_MEMBER_PREFIX "json.info_"

struct cr_zk_group;

/* The current leader, as read from its znode. Borrowed: valid during the
 * callback (or until the next group call for cr_zk_group_leader()). */
struct cr_zk_leader {
    uint64_t seq;      /* the NNNNNNNNNN of json.info_NNNNNNNNNN */
    const char *znode; /* the full path of that node */
    const char *data;  /* its data (MasterInfo JSON), NUL-terminated */
    size_t len;        /* bytes in data */
    bool is_self;      /* the node belongs to this group's session */
};

enum cr_zk_contender_event {
    CR_ZK_CANDIDATE, /* our node exists (seq given); not leading */
    CR_ZK_ELECTED,   /* our node is the lowest: we lead */
    CR_ZK_LOST,      /* no longer leading nor contending: stop serving */
};

/* leader is NULL when there is no leader (none elected, the <path> does not
 * exist, or our session expired). */
typedef void (*cr_zk_leader_cb)(void *arg, const struct cr_zk_leader *leader);
/* seq is our node's sequence (for LOST: the node we had, if one was created;
 * sequences start at 0); reason is a short text for the log. */
typedef void (*cr_zk_contender_cb)(void *arg, enum cr_zk_contender_event ev,
                                   uint64_t seq, const char *reason);
typedef void (*cr_zk_group_close_cb)(void *arg);

struct cr_zk_group_config {
    const struct cr_zk_url *url;     /* servers, path, auth; copied */
    double session_timeout_secs;     /* --zk_session_timeout; <= 0: default */
    cr_zk_leader_cb on_leader;       /* may be NULL */
    cr_zk_contender_cb on_contender; /* required to contend */
    void *arg;
};

/* Open a group (and its session) on loop and start detecting. 0 with *out
 * set, or CR_EINVAL_INPUT / -errno (see cr_zk_session_open); on error no
 * callback runs. */
int cr_zk_group_open(uv_loop_t *loop, const struct cr_zk_group_config *c,
                     struct cr_zk_group **out);

/* Join the election with data (copied; <= CR_ZK_DATA_MAX bytes). The
 * <path> is created (persistent, empty) if missing. Events follow through
 * on_contender. 0, CR_ESTATE if already contending or closing,
 * CR_EINVAL_INPUT without on_contender, or CR_ETOOBIG. */
int cr_zk_group_contend(struct cr_zk_group *g, const void *data, size_t len);

/* Close the group: our node goes away with the session. No callback runs
 * after this call except cb(arg), which runs on a later loop turn once the
 * memory is released. Call once; cb may be NULL. */
void cr_zk_group_close(struct cr_zk_group *g, cr_zk_group_close_cb cb,
                       void *arg);

/* The last reported leader, or NULL. Borrowed. */
const struct cr_zk_leader *cr_zk_group_leader(const struct cr_zk_group *g);
/* True between ELECTED and LOST. */
bool cr_zk_group_is_leader(const struct cr_zk_group *g);
/* The state of the group's current session (CONNECTING while a new one is
 * being opened after an expiry). */
enum cr_zk_state cr_zk_group_session_state(const struct cr_zk_group *g);
/* The group's current session, or NULL between sessions (borrowed): for
 * other znode work that must stop exactly when the membership does. */
struct cr_zk_session *cr_zk_group_session(const struct cr_zk_group *g);

/* Parse a member name "json.info_<digits>" into *seq. Other names: false. */
bool cr_zk_member_seq(const char *name, uint64_t *seq);

#endif
