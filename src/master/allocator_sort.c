/* SPDX-License-Identifier: Apache-2.0
 *
 * allocator_sort.c: the allocator's roles, frameworks and members, their
 * DRF order (two levels of red-black trees: roles by weighted dominant
 * share, members of a role by dominant share) and the allocation
 * accounting that moves them in those trees. See allocator_private.h.
 *
 * Invariants: a member's alloc/ualloc is the sum of its slots; a role's
 * alloc/ualloc the sum of its members'; a->unres_alloc the sum of the
 * roles' ualloc. A node's share only changes while it is out of its tree.
 *
 * Threading: loop thread only.
 */
#include "base/log.h"
#include "base/mem.h"
#include "master/allocator_private.h"

#include <stdlib.h>

/* ---- shares -------------------------------------------------------------- */

static void
role_compute_share(const struct allocator *a, struct role *r)
{
    r->share = cr_resources_dominant_share(r->alloc, a->total_q) / r->weight;
}

static void
member_compute_share(const struct allocator *a, struct member *m)
{
    m->share = cr_resources_dominant_share(m->alloc, a->total_q);
}

void
alloc_reposition(struct allocator *a, struct role *r, struct member *m)
{
    if (m != NULL) {
        if (m->in_tree)
            RB_REMOVE(alloc_member_tree, &r->members, m);
        member_compute_share(a, m);
        if (m->in_tree)
            RB_INSERT(alloc_member_tree, &r->members, m);
    }
    if (r->in_tree)
        RB_REMOVE(alloc_role_tree, &a->role_tree, r);
    role_compute_share(a, r);
    if (r->in_tree)
        RB_INSERT(alloc_role_tree, &a->role_tree, r);
}

void
alloc_rebuild_shares(struct allocator *a)
{
    RB_INIT(&a->role_tree);
    for (struct role *r = a->roles; r != NULL; r = r->hh.next) {
        RB_INIT(&r->members);
        role_compute_share(a, r);
        if (r->in_tree)
            RB_INSERT(alloc_role_tree, &a->role_tree, r);
    }
    for (struct framework *f = a->frameworks; f != NULL; f = f->hh.next) {
        for (size_t i = 0; i < f->n_members; i++) {
            struct member *m = f->members[i];
            member_compute_share(a, m);
            if (m->in_tree)
                RB_INSERT(alloc_member_tree, &m->role->members, m);
        }
    }
    a->shares_dirty = false;
}

/* ---- roles --------------------------------------------------------------- */

struct role *
alloc_role_find(const struct allocator *a, const char *name)
{
    struct role *r;
    HASH_FIND_STR(a->roles, name, r);
    return r;
}

struct role *
alloc_role_get(struct allocator *a, const char *name)
{
    struct role *r = alloc_role_find(a, name);
    if (r != NULL)
        return r;
    r = cr_xcalloc(1, sizeof(*r));
    r->name = cr_xstrdup(name);
    r->serial = ++a->next_serial;
    r->weight = 1.0;
    RB_INIT(&r->members);
    HASH_ADD_KEYPTR(hh, a->roles, r->name, strlen(r->name), r);
    r->qnode = a->n_quotas > 0 ? alloc_quota_node_for(a, name) : NULL;
    return r;
}

void
alloc_role_maybe_free(struct allocator *a, struct role *r)
{
    if (r->n_members > 0 || r->weight_set || r->q != NULL ||
        !alloc_q_is_zero(r->resv))
        return;
    HASH_DEL(a->roles, r);
    free(r->name);
    free(r);
}

/* ---- frameworks and members ---------------------------------------------- */

struct framework *
alloc_fw_find(const struct allocator *a, const char *id)
{
    struct framework *f;
    HASH_FIND_STR(a->frameworks, id, f);
    return f;
}

struct framework *
alloc_fw_create(struct allocator *a, const char *id)
{
    struct framework *f = cr_xcalloc(1, sizeof(*f));
    f->id = cr_xstrdup(id);
    HASH_ADD_KEYPTR(hh, a->frameworks, f->id, strlen(f->id), f);
    return f;
}

struct member *
alloc_member_find(const struct framework *f, const char *role)
{
    for (size_t i = 0; i < f->n_members; i++) {
        if (strcmp(f->members[i]->role->name, role) == 0)
            return f->members[i];
    }
    return NULL;
}

struct member *
alloc_member_get(struct allocator *a, struct framework *f, const char *role)
{
    struct member *m = alloc_member_find(f, role);
    if (m != NULL)
        return m;
    m = cr_xcalloc(1, sizeof(*m));
    m->fw = f;
    m->role = alloc_role_get(a, role);
    m->role->n_members++;
    m->serial = ++a->next_serial;
    TAILQ_INIT(&m->filters);
    HASH_ADD(hh_serial, a->by_serial, serial, sizeof(m->serial), m);
    f->members = cr_xrealloc(f->members, (f->n_members + 1) * sizeof(m));
    f->members[f->n_members++] = m;
    return m;
}

struct member *
alloc_member_by_serial(const struct allocator *a, uint32_t serial)
{
    struct member *m;
    HASH_FIND(hh_serial, a->by_serial, &serial, sizeof(serial), m);
    return m;
}

static void
fresh_remove(struct allocator *a, struct member *m)
{
    if (!m->in_fresh)
        return;
    alloc_vec_remove(&a->fresh, m);
    m->in_fresh = false;
}

void
alloc_member_update(struct allocator *a, struct member *m)
{
    struct role *r = m->role;
    bool eligible = m->fw->active && m->subscribed && !m->suppressed;
    if (eligible == m->in_tree)
        return;
    if (eligible) {
        m->in_tree = true;
        RB_INSERT(alloc_member_tree, &r->members, m);
        if (r->n_eligible++ == 0) {
            r->in_tree = true;
            RB_INSERT(alloc_role_tree, &a->role_tree, r);
        }
        if (!m->in_fresh) {
            m->in_fresh = true;
            alloc_vec_push(&a->fresh, m);
        }
        a->elig_epoch++;
        alloc_kick(a);
        return;
    }
    m->in_tree = false;
    RB_REMOVE(alloc_member_tree, &r->members, m);
    fresh_remove(a, m);
    if (--r->n_eligible == 0) {
        r->in_tree = false;
        RB_REMOVE(alloc_role_tree, &a->role_tree, r);
    }
}

/* ---- allocation accounting ----------------------------------------------- */

static struct slot *
slot_find(struct agent *ag, const struct member *m)
{
    for (size_t i = 0; i < ag->n_slots; i++) {
        if (ag->slots[i].m == m)
            return &ag->slots[i];
    }
    return NULL;
}

static struct slot *
slot_new(struct agent *ag, struct member *m)
{
    if (ag->n_slots == ag->cap_slots) {
        ag->cap_slots = ag->cap_slots ? ag->cap_slots * 2 : 2;
        ag->slots = cr_xrealloc(ag->slots, ag->cap_slots * sizeof(*ag->slots));
    }
    struct slot *s = &ag->slots[ag->n_slots++];
    memset(s, 0, sizeof(*s));
    s->m = m;
    m->n_slots++;
    return s;
}

/* d = what to apply: all of q for a charge, at most what held holds for a
 * release. */
static void
clamp_delta(int64_t d[NQ], const int64_t q[NQ], const int64_t held[NQ],
            int sign)
{
    for (int k = 0; k < NQ; k++)
        d[k] = sign > 0 || q[k] < held[k] ? q[k] : held[k];
}

void
alloc_account(struct allocator *a, struct agent *ag, struct member *m,
              const int64_t q[NQ], const int64_t uq[NQ], int sign)
{
    struct slot *s = slot_find(ag, m);
    if (s == NULL) {
        if (sign < 0 || alloc_q_is_zero(q))
            return; /* nothing of m's on ag (stale recover) */
        s = slot_new(ag, m);
    }
    /* Release at most what the slot holds, so that the sums stay sums. */
    int64_t d[NQ], du[NQ];
    clamp_delta(d, q, s->q, sign);
    clamp_delta(du, uq, s->uq, sign);
    alloc_q_apply(s->q, d, sign);
    alloc_q_apply(s->uq, du, sign);
    if (alloc_q_is_zero(s->q) && alloc_q_is_zero(s->uq)) {
        *s = ag->slots[--ag->n_slots];
        m->n_slots--;
    }
    alloc_q_apply(m->alloc, d, sign);
    alloc_q_apply(m->ualloc, du, sign);
    alloc_q_apply(m->role->alloc, d, sign);
    alloc_quota_charge_alloc(a, m->role, du, sign);
    alloc_reposition(a, m->role, m);
}

/* Drop every slot of m on every agent (m is going away with allocations
 * the master did not recover: rare, so a full scan is fine). */
static void
drop_member_slots(struct allocator *a, struct member *m)
{
    if (m->n_slots == 0)
        return;
    cr_warn("allocator: framework %s removed with resources still allocated "
            "in role %s",
            m->fw->id, m->role->name);
    for (struct agent *ag = a->agents; ag != NULL; ag = ag->hh.next) {
        struct slot *s = slot_find(ag, m);
        if (s != NULL)
            *s = ag->slots[--ag->n_slots];
    }
    m->n_slots = 0;
    alloc_q_apply(m->role->alloc, m->alloc, -1);
    alloc_quota_charge_alloc(a, m->role, m->ualloc, -1);
    memset(m->alloc, 0, sizeof(m->alloc));
    memset(m->ualloc, 0, sizeof(m->ualloc));
    alloc_reposition(a, m->role, m);
    alloc_kick(a); /* quota may have loosened */
}

void
alloc_member_free(struct allocator *a, struct member *m)
{
    m->suppressed = true; /* make it ineligible */
    alloc_member_update(a, m);
    fresh_remove(a, m);
    struct filter *f;
    while ((f = TAILQ_FIRST(&m->filters)) != NULL)
        alloc_filter_delete(a, f, false);
    drop_member_slots(a, m);
    HASH_DELETE(hh_serial, a->by_serial, m);
    struct role *r = m->role;
    r->n_members--;
    free(m);
    alloc_role_maybe_free(a, r);
}
