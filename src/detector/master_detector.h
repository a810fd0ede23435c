/* SPDX-License-Identifier: Apache-2.0
 *
 * master_detector.h: which master a client (agent, scheduler library, CLI)
 * talks to, and, with ZooKeeper, following the elected leader.
 *
 * --master takes the forms Mesos's agents and tools take:
 *   host:port[,host:port...]          a fixed list: no detection
 *   zk://[user:pw@]h1:p,h2:p/path     the leader elected under path
 *   file:///path                      a file holding one of the two above
 * Only the zk:// scheme selects ZooKeeper (the scheme-less list forms of
 * zk/url.h are host lists here, as for Mesos's --master).
 *
 * The detector opens a zk group as a detector only (zk/group.h) and turns
 * each leader it reports into the address in its MasterInfo JSON
 * (model/master_info.h). It reports every change of leader (a new member,
 * even at the same address: that is a restarted master) and "no leader"
 * (NULL). A leader whose MasterInfo has no usable address counts as no
 * leader (logged). While the ZooKeeper session is only disconnected the
 * last leader stays reported; after a session expiry "no leader" comes
 * first, then the leader again (zk/group.h).
 *
 * Ownership: a spec owns its strings. Leaders handed to callbacks are
 * borrowed for the call (cr_master_detector_leader() until the next
 * report). Threading: loop thread only; callbacks run on the loop and may
 * call cr_master_detector_close(). cr_master_detect_once() runs a private
 * loop and may be called from plain sequential code.
 */
#ifndef CR_DETECTOR_MASTER_DETECTOR_H
#define CR_DETECTOR_MASTER_DETECTOR_H

#include "net/url.h"
#include "zk/url.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* A --master value, classified. */
enum cr_master_kind {
    CR_MASTER_HOSTS, /* a fixed list in hosts */
    CR_MASTER_ZK,    /* the leader elected in zk */
};

struct cr_master_spec {
    enum cr_master_kind kind;
    char *hosts;         /* CR_MASTER_HOSTS: the list text, trimmed; owned */
    struct cr_zk_url zk; /* CR_MASTER_ZK: servers, path, auth; owned */
};

/* True if text names ZooKeeper or a file ("zk://" or "file://"): the
 * forms that need cr_master_spec_parse() rather than a host list parser. */
bool cr_master_is_indirect(const char *text);

/* Classify text (reading a file:// URL, at most CR_ZK_URL_MAX bytes,
 * surrounding whitespace ignored; its content may not be another file://).
 * Host lists are not checked here: callers parse them with their own
 * bounds (net/url.h). 0, or CR_EINVAL_INPUT with a one-line reason in err
 * (err may be NULL); on error *out is zeroed. */
int cr_master_spec_parse(const char *text, struct cr_master_spec *out,
                         char *err, size_t errlen);
/* Release *s and zero it. NULL-safe, idempotent. */
void cr_master_spec_fini(struct cr_master_spec *s);

/* The leading master. */
struct cr_master_leader {
    struct cr_hostport addr; /* from its MasterInfo */
    uint64_t seq;            /* its json.info_ sequence */
    const char *info;        /* its MasterInfo JSON, NUL-terminated */
    size_t info_len;
};

struct cr_master_detector;

/* leader is NULL when there is no (usable) leader. */
typedef void (*cr_master_detector_cb)(void *arg,
                                      const struct cr_master_leader *leader);
typedef void (*cr_master_detector_close_cb)(void *arg);

/* Start detecting the leader elected under url (copied) on loop, with a
 * ZooKeeper session of session_timeout seconds (<= 0: the default). 0 with
 * *out set, or an error of cr_zk_group_open(); on error cb never runs. */
int cr_master_detector_open(uv_loop_t *loop, const struct cr_zk_url *url,
                            double session_timeout, cr_master_detector_cb cb,
                            void *arg, struct cr_master_detector **out);
/* Stop: no callback runs after this call except cb(arg), on a later loop
 * turn once everything (the ZooKeeper session included) is released. Keep
 * the loop running until then. Call once; cb may be NULL. */
void cr_master_detector_close(struct cr_master_detector *d,
                              cr_master_detector_close_cb cb, void *arg);
/* The last reported leader, or NULL. Borrowed. */
const struct cr_master_leader *
cr_master_detector_leader(const struct cr_master_detector *d);

/* Blocking: find the current leader under url once, on a private loop,
 * waiting at most wait_secs for one to be known. 0 with *out set,
 * CR_ETIMEOUT (no leader within wait_secs), or an open error; a one-line
 * reason in err. */
int cr_master_detect_once(const struct cr_zk_url *url, double session_timeout,
                          double wait_secs, struct cr_hostport *out, char *err,
                          size_t errlen);

#endif
