/* SPDX-License-Identifier: Apache-2.0
 *
 * allocator_harness.c: shared helpers of the allocator unit tests (see
 * allocator_harness.h).
 */
/* cmocka needs these first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "allocator_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double
fake_now(void *data)
{
    return ((struct ctx *)data)->now;
}

void
on_offer(void *data, const char *fw, const char *agent, const char *role,
         const struct cr_resources *offered)
{
    struct ctx *c = data;
    assert_true(c->n < MAX_OFFERS);
    struct offer_rec *o = &c->offers[c->n++];
    snprintf(o->fw, sizeof(o->fw), "%s", fw);
    snprintf(o->agent, sizeof(o->agent), "%s", agent);
    snprintf(o->role, sizeof(o->role), "%s", role);
    cr_resources_init(&o->res);
    cr_resources_copy(&o->res, offered);
    assert_false(cr_resources_is_empty(offered));
}

void
clear_offers(struct ctx *c)
{
    for (size_t i = 0; i < c->n; i++)
        cr_resources_fini(&c->offers[i].res);
    c->n = 0;
}

struct ctx *
ctx_new_with(const char *min_alloc)
{
    struct ctx *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->now = 1000.0;
    struct allocator_config cfg = {
        .allocation_interval = 1.0,
        .now = fake_now,
        .clock_data = c,
        .min_allocatable = min_alloc,
        .seed = 42,
    };
    c->a = allocator_new(&cfg, on_offer, c);
    return c;
}

struct ctx *
ctx_new(void)
{
    return ctx_new_with(NULL);
}

void
ctx_free(struct ctx *c)
{
    clear_offers(c);
    allocator_free(c->a);
    free(c);
}

struct cr_resources
res(const char *text)
{
    struct cr_resources r;
    char err[128];
    cr_resources_init(&r);
    if (cr_resources_parse_text(&r, text, NULL, err, sizeof(err)) != 0)
        fail_msg("bad resources '%s': %s", text, err);
    return r;
}

void
add_agent(struct ctx *c, const char *id, const char *text)
{
    struct cr_resources r = res(text);
    allocator_add_agent(c->a, id, &r);
    cr_resources_fini(&r);
}

void
add_fw(struct ctx *c, const char *id, const char *role)
{
    const char *roles[] = {role};
    allocator_add_framework(c->a, id, roles, 1, NULL, 0, true);
}

void
decline(struct ctx *c, size_t i, double refuse)
{
    struct offer_rec *o = &c->offers[i];
    allocator_recover(c->a, o->fw, o->agent, o->role, &o->res, refuse);
}

size_t
count_for(const struct ctx *c, const char *fw)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        n += strcmp(c->offers[i].fw, fw) == 0;
    return n;
}
