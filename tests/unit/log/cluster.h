/* SPDX-License-Identifier: Apache-2.0
 *
 * cluster.h: N in-process replicas (each in its own temp dir) on one loop
 * behind a fake network, for the coordinator and recovery tests.
 */
#ifndef CR_TESTS_LOG_CLUSTER_H
#define CR_TESTS_LOG_CLUSTER_H

#include "fake_net.h"
#include "log/coordinator.h"
#include "log/replica.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#define CL_MAX 5

struct cluster {
    uv_loop_t loop;
    char *root;
    int n;
    char names[CL_MAX][8];
    const char *peers[CL_MAX];
    char *dirs[CL_MAX];
    struct cr_log_replica *r[CL_MAX];
    struct fake_net *net;
};

struct res {
    bool done;
    int err;
    uint64_t pos;
};

/* Open n replicas; voting: set them VOTING (as after auto-init). */
void cl_init(struct cluster *cl, int n, bool voting,
             const struct fake_net_opts *o);
void cl_fini(struct cluster *cl);
/* Close replica i and open it again from its directory (a restart);
 * wipe: remove its directory first (a lost disk: it comes back EMPTY). */
void cl_restart(struct cluster *cl, int i, bool wipe);
/* A coordinator whose local replica is i (-1: none). */
struct cr_log_coord *cl_coord(struct cluster *cl, int local, size_t quorum,
                              uint64_t seed);
/* Callback for struct res. */
void cl_on_res(void *data, int err, uint64_t pos);
/* Run until r->done (secs at most). */
bool cl_wait(struct cluster *cl, struct res *r, double secs);
/* Learned APPEND/NOP values of replica i in [from, to] as strings
 * ("" for NOP, "?" when missing or unlearned); out has to - from + 1
 * entries, each owned. */
void cl_read(struct cluster *cl, int i, uint64_t from, uint64_t to, char **out);
void cl_free_strs(char **v, size_t n);
/* Run until replica i has learned every position up to `upto`. */
bool cl_wait_learned(struct cluster *cl, int i, uint64_t upto, double secs);

#endif
