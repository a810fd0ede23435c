/* SPDX-License-Identifier: Apache-2.0
 *
 * harness.h: a real ZooKeeper ensemble for the zk tests, started through
 * scripts/zk-ensemble.sh in a temporary directory, plus loop helpers.
 *
 * One ensemble per test binary: Java start-up costs a second or two. The
 * script gets our pid as --owner, so its watchdog stops the servers even if
 * the test crashes. The directory is removed on stop unless
 * CR_TEST_KEEP=1.
 */
#ifndef CR_TESTS_ZK_HARNESS_H
#define CR_TESTS_ZK_HARNESS_H

#include <stdbool.h>
#include <sys/types.h>
#include <uv.h>

#define HARNESS_SKIP 77 /* exit status ctest reads as "skipped" */

struct zk_ensemble {
    char dir[256];
    char connect[1024]; /* "127.0.0.1:p1,127.0.0.1:p2,..." */
    int n;
};

/* Start n (1 or 3) servers. 0, HARNESS_SKIP when ZooKeeper is not
 * installable, or -1. */
int zk_ensemble_start(struct zk_ensemble *e, int n);
/* Stop every server and remove the directory. */
void zk_ensemble_stop(struct zk_ensemble *e);
/* SIGKILL server i (1-based) / start it again. 0 or -1. */
int zk_ensemble_stop_node(struct zk_ensemble *e, int i);
int zk_ensemble_start_node(struct zk_ensemble *e, int i);
/* The client port of server i, or -1. */
int zk_ensemble_port(const struct zk_ensemble *e, int i);
/* The index of the server that leads the ensemble (asked with the "srvr"
 * four-letter word), or -1. */
int zk_ensemble_leader(const struct zk_ensemble *e);
/* The pid of server i, or -1. */
pid_t zk_ensemble_pid(const struct zk_ensemble *e, int i);

/* CR_TEST_TIMEOUT_MULT (sanitizer builds run slower), at least 1. */
double harness_mult(void);
/* Run loop until pred(arg) holds or secs (times harness_mult) pass.
 * Returns the final pred(arg). */
bool loop_until(uv_loop_t *loop, bool (*pred)(void *), void *arg, double secs);
/* Run loop for secs of wall time (to check that nothing happens). */
void loop_for(uv_loop_t *loop, double secs);

#endif
