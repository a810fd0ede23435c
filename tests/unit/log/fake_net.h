/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_net.h: an in-process cr_log_transport for tests. Replicas are
 * registered by name; each request and each reply is delayed by a random
 * 0..max_delay_ms (so messages overtake each other), dropped with
 * probability drop (the caller then times out), and requests are
 * delivered twice with probability dup (the second answer is thrown
 * away). A peer can be cut off (its requests vanish). Decisions come from
 * a seeded PRNG, so a seed replays the same fault pattern.
 */
#ifndef CR_TESTS_LOG_FAKE_NET_H
#define CR_TESTS_LOG_FAKE_NET_H

#include "log/replica.h"
#include "log/transport.h"

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

struct fake_net_opts {
    double drop;           /* per request and per reply */
    double dup;            /* per request */
    unsigned max_delay_ms; /* per hop */
    uint64_t seed;
};

struct fake_net_stats {
    unsigned long sent, delivered, dropped, duplicated, timeouts;
};

struct fake_net;

struct fake_net *fake_net_new(uv_loop_t *loop, const struct fake_net_opts *o);
/* Free, after the replicas are closed (their last answers come back
 * through the net); run the loop afterwards. */
void fake_net_free(struct fake_net *n);
/* Register (or replace; NULL removes) the replica answering as name. */
void fake_net_set(struct fake_net *n, const char *name,
                  struct cr_log_replica *r);
/* Cut a peer off (requests to it vanish) or reconnect it. */
void fake_net_cut(struct fake_net *n, const char *name, bool cut);
/* Change the fault rates. */
void fake_net_faults(struct fake_net *n, double drop, double dup);
const struct cr_log_transport *fake_net_transport(struct fake_net *n);
struct fake_net_stats fake_net_stats(const struct fake_net *n);
/* Calls not yet answered or canceled. */
unsigned long fake_net_live(const struct fake_net *n);

#endif
