/* SPDX-License-Identifier: Apache-2.0
 *
 * allocator_filters.c: the allocator's agent work sets (cand / blocked /
 * held), refuse filters, the min-heap that expires them, and the per-agent
 * re-check lists that let a blocked agent be re-checked against just the
 * members whose filter on it went away. See allocator_private.h.
 *
 * Invariants: an agent is in at most one set, at index set_idx of that
 * set's vector; a filter is in its member's list, its agent's sorted index
 * and the heap (at heap_idx), or in none of them (freed).
 *
 * Threading: loop thread only.
 */
#include "base/mem.h"
#include "master/allocator_private.h"

#include <stdlib.h>

/* ---- agent work sets ----------------------------------------------------- */

static struct vec *
set_vec(struct allocator *a, enum agent_set s)
{
    switch (s) {
    case SET_CAND:
        return &a->cand;
    case SET_HELD:
        return &a->held;
    default:
        return &a->blocked;
    }
}

void
alloc_set_leave(struct allocator *a, struct agent *ag)
{
    ag->n_recheck = 0;
    if (ag->set == SET_NONE)
        return;
    struct vec *v = set_vec(a, ag->set);
    struct agent *last = v->v[--v->n];
    v->v[ag->set_idx] = last;
    last->set_idx = ag->set_idx;
    ag->set = SET_NONE;
}

void
alloc_set_enter(struct allocator *a, struct agent *ag, enum agent_set s)
{
    if (ag->set == s)
        return;
    alloc_set_leave(a, ag);
    if (s == SET_NONE)
        return;
    struct vec *v = set_vec(a, s);
    ag->set = s;
    ag->set_idx = v->n;
    alloc_vec_push(v, ag);
}

void
alloc_agent_touch(struct allocator *a, struct agent *ag)
{
    ag->memo_ok = false;
    if (!ag->active || cr_resources_is_empty(&ag->available)) {
        alloc_set_enter(a, ag, SET_NONE);
        return;
    }
    alloc_set_enter(a, ag, SET_CAND);
    alloc_kick(a);
}

void
alloc_agent_shrunk(struct allocator *a, struct agent *ag)
{
    ag->memo_ok = false;
    if (cr_resources_is_empty(&ag->available))
        alloc_set_enter(a, ag, SET_NONE);
}

/* ---- per-agent filter index ---------------------------------------------- */

/* First index in ag->fx with serial >= serial. */
static size_t
fx_lower(const struct agent *ag, uint32_t serial)
{
    size_t lo = 0, hi = ag->n_fx;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (ag->fx[mid].serial < serial)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void
fx_insert(struct agent *ag, struct filter *f)
{
    if (ag->n_fx == ag->cap_fx) {
        ag->cap_fx = ag->cap_fx ? ag->cap_fx * 2 : 2;
        ag->fx = cr_xrealloc(ag->fx, ag->cap_fx * sizeof(*ag->fx));
    }
    size_t i = fx_lower(ag, f->m->serial);
    memmove(&ag->fx[i + 1], &ag->fx[i], (ag->n_fx - i) * sizeof(*ag->fx));
    ag->fx[i] = (struct fidx){f->m->serial, f};
    ag->n_fx++;
}

static void
fx_remove(struct agent *ag, const struct filter *f)
{
    size_t i = fx_lower(ag, f->m->serial);
    while (ag->fx[i].f != f)
        i++;
    memmove(&ag->fx[i], &ag->fx[i + 1], (ag->n_fx - i - 1) * sizeof(*ag->fx));
    ag->n_fx--;
}

/* ---- expiry heap --------------------------------------------------------- */

static bool
heap_less(struct vec *h, size_t i, size_t j)
{
    return ((struct filter *)h->v[i])->expires <
           ((struct filter *)h->v[j])->expires;
}

static void
heap_swap(struct vec *h, size_t i, size_t j)
{
    void *t = h->v[i];
    h->v[i] = h->v[j];
    h->v[j] = t;
    ((struct filter *)h->v[i])->heap_idx = i;
    ((struct filter *)h->v[j])->heap_idx = j;
}

static void
heap_up(struct vec *h, size_t i)
{
    while (i > 0 && heap_less(h, i, (i - 1) / 2)) {
        heap_swap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void
heap_down(struct vec *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && heap_less(h, l, m))
            m = l;
        if (r < h->n && heap_less(h, r, m))
            m = r;
        if (m == i)
            return;
        heap_swap(h, i, m);
        i = m;
    }
}

static void
heap_remove(struct vec *h, size_t i)
{
    h->n--;
    if (i == h->n)
        return;
    h->v[i] = h->v[h->n];
    ((struct filter *)h->v[i])->heap_idx = i;
    heap_down(h, i);
    heap_up(h, i);
}

/* ---- re-check lists ------------------------------------------------------ */

#define RECHECK_MAX 32 /* beyond this, a full walk is as cheap */

/* The filter of member `serial` on blocked/held agent ag went away: only
 * that member may now take ag. */
static void
recheck_push(struct allocator *a, struct agent *ag, uint32_t serial)
{
    ag->memo_ok = false;
    if (ag->n_recheck >= RECHECK_MAX) {
        alloc_set_enter(a, ag, SET_CAND);
        return;
    }
    if (ag->n_recheck == ag->cap_recheck) {
        ag->cap_recheck = ag->cap_recheck ? ag->cap_recheck * 2 : 2;
        ag->recheck =
            cr_xrealloc(ag->recheck, ag->cap_recheck * sizeof(*ag->recheck));
    }
    ag->recheck[ag->n_recheck++] = serial;
    if (!ag->in_recheck) {
        ag->in_recheck = true;
        alloc_vec_push(&a->recheck, ag);
    }
}

void
alloc_recheck_forget(struct allocator *a, struct agent *ag)
{
    if (!ag->in_recheck)
        return;
    alloc_vec_remove(&a->recheck, ag);
    ag->in_recheck = false;
}

/* ---- filters ------------------------------------------------------------- */

void
alloc_filter_delete(struct allocator *a, struct filter *f, bool touch)
{
    struct agent *ag = f->ag;
    uint32_t serial = f->m->serial;
    fx_remove(ag, f);
    heap_remove(&a->heap, f->heap_idx);
    TAILQ_REMOVE(&f->m->filters, f, m_link);
    cr_resources_fini(&f->refused);
    free(f);
    if (touch && (ag->set == SET_BLOCKED || ag->set == SET_HELD)) {
        recheck_push(a, ag, serial);
        alloc_kick(a);
    }
}

void
alloc_filter_add(struct allocator *a, struct member *m, struct agent *ag,
                 const struct cr_resources *refused, double expires)
{
    struct filter *f = cr_xcalloc(1, sizeof(*f));
    f->m = m;
    f->ag = ag;
    f->expires = expires;
    cr_resources_init(&f->refused);
    cr_resources_copy(&f->refused, refused);
    TAILQ_INSERT_TAIL(&m->filters, f, m_link);
    fx_insert(ag, f);
    f->heap_idx = a->heap.n;
    alloc_vec_push(&a->heap, f);
    heap_up(&a->heap, f->heap_idx);
}

bool
alloc_is_filtered(const struct member *m, const struct agent *ag,
                  const struct cr_resources *res)
{
    if (ag->n_fx == 0)
        return false;
    for (size_t i = fx_lower(ag, m->serial);
         i < ag->n_fx && ag->fx[i].serial == m->serial; i++) {
        if (cr_resources_contains(&ag->fx[i].f->refused, res))
            return true;
    }
    return false;
}

void
alloc_member_clear_filters(struct allocator *a, struct member *m)
{
    struct filter *f;
    while ((f = TAILQ_FIRST(&m->filters)) != NULL)
        alloc_filter_delete(a, f, true);
}

void
alloc_expire_filters(struct allocator *a, double now)
{
    while (a->heap.n > 0) {
        struct filter *f = a->heap.v[0];
        if (f->expires > now)
            break;
        alloc_filter_delete(a, f, true);
    }
}

void
alloc_filters_drop_all(struct allocator *a)
{
    for (size_t i = 0; i < a->heap.n; i++) {
        struct filter *f = a->heap.v[i];
        cr_resources_fini(&f->refused);
        free(f);
    }
    a->heap.n = 0;
}
