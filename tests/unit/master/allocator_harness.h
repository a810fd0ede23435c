/* SPDX-License-Identifier: Apache-2.0
 *
 * allocator_harness.h: shared helpers of the allocator unit tests: a fake
 * clock, a recording offer callback and short-hands for resources, agents
 * and frameworks. Test code only; failures go through cmocka.
 */
#ifndef CR_TESTS_ALLOCATOR_HARNESS_H
#define CR_TESTS_ALLOCATOR_HARNESS_H

#include "master/allocator.h"

#include <stddef.h>

#define MAX_OFFERS 4096

struct offer_rec {
    char fw[64];
    char agent[64];
    char role[64];
    struct cr_resources res;
};

struct ctx {
    double now;
    struct allocator *a;
    struct offer_rec offers[MAX_OFFERS];
    size_t n;
};

/* The fake clock (struct ctx *data). */
double fake_now(void *data);
/* Record an offer into the ctx (data); fails on an empty offer. */
void on_offer(void *data, const char *fw, const char *agent, const char *role,
              const struct cr_resources *offered);
void clear_offers(struct ctx *c);
/* A ctx with a fake clock at 1000 s, interval 1 s, seed 42. */
struct ctx *ctx_new_with(const char *min_alloc);
struct ctx *ctx_new(void);
void ctx_free(struct ctx *c);
/* Parse the text form (fails the test on error); caller finis. */
struct cr_resources res(const char *text);
void add_agent(struct ctx *c, const char *id, const char *text);
void add_fw(struct ctx *c, const char *id, const char *role);
/* Recover the offer with index i, with a filter of refuse seconds. */
void decline(struct ctx *c, size_t i, double refuse);
size_t count_for(const struct ctx *c, const char *fw);

#endif
