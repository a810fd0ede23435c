/* SPDX-License-Identifier: Apache-2.0
 *
 * config_effects.c: what the registry's configuration means for the
 * running master (operator_config.h): quotas in the allocator, dynamic
 * reservations in agents' totals, and machines under maintenance.
 *
 * Everything here reads the committed registry, so applying it twice is
 * harmless: it runs after each commit and after each recovery.
 *
 * Owns m->quota_roles (the roles whose quota the allocator holds, to
 * clear the ones the registry dropped). Loop thread only.
 */
#include "allocator.h"
#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "operator_config.h"
#include "registrar.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The index of cpus/mem/disk/gpus in cr_resources' fixed[], or -1. */
int
config_quota_kind(const char *name)
{
    static const char *const names[CR_RES_NFIXED] = {"cpus", "mem", "disk",
                                                     "gpus"};
    for (int i = 0; i < CR_RES_NFIXED; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

static void
quota_config(const struct registry_quota *q, struct allocator_quota *out)
{
    allocator_quota_init(out);
    for (size_t i = 0; i < q->n_guarantees; i++) {
        int k = config_quota_kind(q->guarantees[i].name);
        if (k >= 0)
            out->guarantees[k] =
                (int64_t)llround(q->guarantees[i].value * CR_RES_MILLI);
    }
    for (size_t i = 0; i < q->n_limits; i++) {
        int k = config_quota_kind(q->limits[i].name);
        if (k >= 0)
            out->limits[k] =
                (int64_t)llround(q->limits[i].value * CR_RES_MILLI);
    }
}

void
config_apply_quotas(struct master *m)
{
    const struct registry *reg = registrar_registry(m->registrar);
    json_t *now = json_object();
    const struct registry_quota *q, *tmp;
    HASH_ITER(hh, reg->quotas, q, tmp)
    {
        struct allocator_quota aq;
        quota_config(q, &aq);
        int rc = allocator_set_quota_config(m->allocator, q->role, &aq);
        if (rc != 0)
            cr_warn("quota of role %s not applied: %s", q->role,
                    cr_strerror(rc));
        json_object_set_new(now, q->role, json_true());
    }
    const char *role;
    json_t *v;
    if (m->quota_roles)
        json_object_foreach(m->quota_roles, role, v)
        {
            if (json_object_get(now, role) == NULL)
                allocator_set_quota_config(m->allocator, role, NULL);
        }
    json_decref(m->quota_roles);
    m->quota_roles = now;
}

/* ---- reservations -------------------------------------------------------- */

void
config_move_reservation(struct master *m, struct magent *a,
                        const struct cr_resources *res, bool reserve)
{
    struct cr_resources unres;
    cr_resources_init(&unres);
    cr_resources_flatten(&unres, res);
    const struct cr_resources *from = reserve ? &unres : res;
    const struct cr_resources *to = reserve ? res : &unres;
    if (cr_resources_subtract(&a->total, from)) {
        cr_resources_add(&a->total, to);
        allocator_update_agent(m->allocator, a->id, &a->total);
    } else {
        cr_warn("agent %s: cannot %s resources it does not have", a->id,
                reserve ? "reserve" : "unreserve");
    }
    cr_resources_fini(&unres);
}

void
config_agent_total(struct master *m, const char *id, struct cr_resources *total)
{
    const struct registry_agent *ra =
        registry_agent(registrar_registry(m->registrar), id);
    if (ra == NULL || cr_resources_is_empty(&ra->reserved))
        return;
    struct cr_resources unres;
    cr_resources_init(&unres);
    cr_resources_flatten(&unres, &ra->reserved);
    if (cr_resources_subtract(total, &unres))
        cr_resources_add(total, &ra->reserved);
    else
        cr_warn("agent %s no longer has the resources of its dynamic "
                "reservations; offering what it reports",
                id);
    cr_resources_fini(&unres);
}

/* ---- maintenance --------------------------------------------------------- */

bool
config_machine_down(struct master *m, const char *hostname, const char *ip)
{
    return registry_machine_mode_of(registrar_registry(m->registrar), hostname,
                                    ip, NULL) == REGISTRY_MACHINE_DOWN;
}

json_t *
config_unavailability_json(struct master *m, const struct magent *a)
{
    const struct registry_window *w = NULL;
    if (registrar_registry(m->registrar)->machines == NULL ||
        registry_machine_mode_of(registrar_registry(m->registrar), a->hostname,
                                 a->ip, &w) == REGISTRY_MACHINE_UP ||
        w == NULL)
        return NULL;
    json_t *un =
        json_pack("{s:{s:I}}", "start", "nanoseconds", (json_int_t)w->start_ns);
    if (w->duration_ns >= 0)
        json_object_set_new(
            un, "duration",
            json_pack("{s:I}", "nanoseconds", (json_int_t)w->duration_ns));
    return un;
}

static void
on_gone_stored(void *data, int err, const char *why)
{
    char *id = data;
    if (err != 0 && err != CR_ECANCELED_OP)
        cr_warn("registry: cannot mark agent %s gone: %s", id, why);
    free(id);
}

void
config_apply_maintenance(struct master *m)
{
    const struct registry *reg = registrar_registry(m->registrar);
    struct magent *a, *tmp;
    HASH_ITER(hh, m->agents, a, tmp)
    {
        enum registry_machine_mode mode =
            registry_machine_mode_of(reg, a->hostname, a->ip, NULL);
        if (mode == REGISTRY_MACHINE_DRAINING) {
            offers_rescind_for_agent(m, a->id);
        } else if (mode == REGISTRY_MACHINE_DOWN) {
            /* Upstream removes the agents of a machine that goes down and
             * tells them to shut down; they come back with new ids once
             * the machine is up again. */
            struct registry_op op;
            registry_op_mark(&op, REGISTRY_OP_GONE, a->id, cr_wall_secs());
            char *copy = cr_xstrdup(a->id);
            if (registrar_apply(m->registrar, &op, on_gone_stored, copy) != 0)
                free(copy);
            agent_remove_by_operator(m, a,
                                     "its machine is down for "
                                     "maintenance");
        }
    }
    master_allocate_soon(m);
}

void
config_recovered(struct master *m)
{
    config_apply_quotas(m);
}
