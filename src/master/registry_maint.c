/* SPDX-License-Identifier: Apache-2.0
 *
 * registry_maint.c: the maintenance part of the registry (registry.h):
 * the schedule (windows of machines) and each scheduled machine's mode.
 *
 * Invariants: every machine of every window is in r->machines exactly once
 * (its `window` is the index of its window); a machine not in the schedule
 * is UP and not in r->machines; only DRAINING and DOWN are stored. An
 * operation is checked in full before anything changes, so a refused one
 * leaves the registry as it was.
 */
#include "base/err.h"
#include "base/mem.h"
#include "registry_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const mode_names[] = {"UP", "DRAINING", "DOWN"};

const char *
registry_machine_mode_name(enum registry_machine_mode mode)
{
    return (unsigned)mode < 3 ? mode_names[mode] : "?";
}

/* "hostname\nip" ("" for a missing field): a machine's identity. */
static char *
key_of(const char *hostname, const char *ip)
{
    return cr_xasprintf("%s\n%s", hostname ? hostname : "", ip ? ip : "");
}

static char *
machine_key(const struct registry_machine_id *id)
{
    return key_of(id->hostname, id->ip);
}

static void
machine_id_copy(struct registry_machine_id *dst,
                const struct registry_machine_id *src)
{
    dst->hostname = src->hostname ? cr_xstrdup(src->hostname) : NULL;
    dst->ip = src->ip ? cr_xstrdup(src->ip) : NULL;
}

void
registry_machine_ids_free(struct registry_machine_id *ids, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(ids[i].hostname);
        free(ids[i].ip);
    }
    free(ids);
}

void
registry_windows_free(struct registry_window *w, size_t n)
{
    for (size_t i = 0; i < n; i++)
        registry_machine_ids_free(w[i].machines, w[i].n_machines);
    free(w);
}

static struct registry_machine *
find_by(const struct registry *r, const char *hostname, const char *ip)
{
    char *key = key_of(hostname, ip);
    struct registry_machine *mc = NULL;
    HASH_FIND_STR(r->machines, key, mc);
    free(key);
    return mc;
}

static struct registry_machine *
find_machine(const struct registry *r, const struct registry_machine_id *id)
{
    return find_by(r, id->hostname, id->ip);
}

static void
machines_free(struct registry_machine *machines)
{
    struct registry_machine *mc, *tmp;
    HASH_ITER(hh, machines, mc, tmp)
    {
        HASH_DEL(machines, mc);
        free(mc->key);
        free(mc->id.hostname);
        free(mc->id.ip);
        free(mc);
    }
}

void
registry_maint_fini(struct registry *r)
{
    machines_free(r->machines);
    registry_windows_free(r->windows, r->n_windows);
    r->machines = NULL;
    r->windows = NULL;
    r->n_windows = 0;
}

/* A scheduled machine names a hostname, an IP or both: the agent's
 * machine is the one of those three forms that is scheduled (three hash
 * lookups, however long the schedule). */
enum registry_machine_mode
registry_machine_mode_of(const struct registry *r, const char *hostname,
                         const char *ip, const struct registry_window **window)
{
    const char *const forms[3][2] = {
        {hostname, ip},
        {hostname, NULL},
        {NULL, ip},
    };
    for (size_t i = 0; i < 3 && r->machines; i++) {
        if (forms[i][0] == NULL && forms[i][1] == NULL)
            continue;
        const struct registry_machine *mc =
            find_by(r, forms[i][0], forms[i][1]);
        if (mc) {
            if (window)
                *window = &r->windows[mc->window];
            return mc->mode;
        }
    }
    if (window)
        *window = NULL;
    return REGISTRY_MACHINE_UP;
}

/* A new machine table for windows into *out: every machine DRAINING
 * unless old (may be NULL) has it DOWN. CR_ESTATE with a reason when a
 * machine is listed twice or a DOWN machine of old is missing. */
static int
build_machines(const struct registry_machine *old,
               const struct registry_window *windows, size_t n,
               struct registry_machine **out, char *err, size_t errlen)
{
    struct registry_machine *table = NULL;
    for (size_t w = 0; w < n; w++)
        for (size_t i = 0; i < windows[w].n_machines; i++) {
            const struct registry_machine_id *id = &windows[w].machines[i];
            char *key = machine_key(id);
            struct registry_machine *mc = NULL, *was = NULL;
            HASH_FIND_STR(table, key, mc);
            if (mc) {
                snprintf(err, errlen, "machine %s/%s is scheduled twice",
                         id->hostname ? id->hostname : "",
                         id->ip ? id->ip : "");
                free(key);
                machines_free(table);
                return CR_ESTATE;
            }
            HASH_FIND_STR(old, key, was);
            mc = cr_xcalloc(1, sizeof(*mc));
            mc->key = key;
            machine_id_copy(&mc->id, id);
            mc->window = w;
            mc->mode = was && was->mode == REGISTRY_MACHINE_DOWN
                           ? REGISTRY_MACHINE_DOWN
                           : REGISTRY_MACHINE_DRAINING;
            HASH_ADD_KEYPTR(hh, table, mc->key, strlen(mc->key), mc);
        }
    const struct registry_machine *o, *tmp;
    HASH_ITER(hh, old, o, tmp)
    {
        struct registry_machine *mc = NULL;
        HASH_FIND_STR(table, o->key, mc);
        if (o->mode == REGISTRY_MACHINE_DOWN && mc == NULL) {
            snprintf(err, errlen,
                     "machine %s/%s is down: stop its maintenance before "
                     "taking it out of the schedule",
                     o->id.hostname ? o->id.hostname : "",
                     o->id.ip ? o->id.ip : "");
            machines_free(table);
            return CR_ESTATE;
        }
    }
    *out = table;
    return 0;
}

static struct registry_window *
windows_copy(const struct registry_window *w, size_t n)
{
    struct registry_window *c = cr_xcalloc(n ? n : 1, sizeof(*c));
    for (size_t i = 0; i < n; i++) {
        c[i] = w[i];
        c[i].machines = cr_xcalloc(w[i].n_machines ? w[i].n_machines : 1,
                                   sizeof(*c[i].machines));
        for (size_t j = 0; j < w[i].n_machines; j++)
            machine_id_copy(&c[i].machines[j], &w[i].machines[j]);
    }
    return c;
}

static void
install(struct registry *r, struct registry_window *windows, size_t n,
        struct registry_machine *machines)
{
    registry_maint_fini(r);
    r->windows = windows;
    r->n_windows = n;
    r->machines = machines;
}

static int
apply_schedule(struct registry *r, const struct registry_op *op, char *err,
               size_t errlen)
{
    struct registry_machine *table = NULL;
    if (build_machines(r->machines, op->windows, op->n_windows, &table, err,
                       errlen) != 0)
        return CR_ESTATE;
    install(r, windows_copy(op->windows, op->n_windows), op->n_windows, table);
    return 0;
}

/* Every machine of op must be scheduled and in mode `from`. */
static int
check_machines(const struct registry *r, const struct registry_op *op,
               enum registry_machine_mode from, char *err, size_t errlen)
{
    for (size_t i = 0; i < op->n_machines; i++) {
        const struct registry_machine_id *id = &op->machines[i];
        const struct registry_machine *mc = find_machine(r, id);
        if (mc == NULL || mc->mode != from) {
            snprintf(err, errlen, "%s of machine %s/%s, which is %s",
                     registry_op_names[op->type],
                     id->hostname ? id->hostname : "", id->ip ? id->ip : "",
                     mc ? mode_names[mc->mode] : "not in the schedule");
            return CR_ESTATE;
        }
    }
    return 0;
}

/* Drop a stopped machine from its window (and empty windows). */
static void
unschedule(struct registry *r, struct registry_machine *mc)
{
    struct registry_window *w = &r->windows[mc->window];
    for (size_t i = 0; i < w->n_machines; i++) {
        char *key = machine_key(&w->machines[i]);
        bool same = strcmp(key, mc->key) == 0;
        free(key);
        if (!same)
            continue;
        free(w->machines[i].hostname);
        free(w->machines[i].ip);
        /* Keep the order: the machine table's order follows the windows'
         * (a snapshot rebuilds it from them). */
        memmove(&w->machines[i], &w->machines[i + 1],
                (w->n_machines - i - 1) * sizeof(w->machines[0]));
        w->n_machines--;
        break;
    }
    HASH_DEL(r->machines, mc);
    free(mc->key);
    free(mc->id.hostname);
    free(mc->id.ip);
    free(mc);
}

static void
drop_empty_windows(struct registry *r)
{
    size_t kept = 0;
    for (size_t i = 0; i < r->n_windows; i++) {
        if (r->windows[i].n_machines == 0) {
            free(r->windows[i].machines);
            continue;
        }
        r->windows[kept++] = r->windows[i];
    }
    r->n_windows = kept;
    /* Window indexes moved: renumber the machines. */
    for (size_t i = 0; i < r->n_windows; i++)
        for (size_t j = 0; j < r->windows[i].n_machines; j++) {
            struct registry_machine *mc =
                find_machine(r, &r->windows[i].machines[j]);
            if (mc)
                mc->window = i;
        }
}

int
registry_maint_apply(struct registry *r, const struct registry_op *op,
                     char *err, size_t errlen)
{
    switch (op->type) {
    case REGISTRY_OP_SCHEDULE:
        return apply_schedule(r, op, err, errlen);
    case REGISTRY_OP_START_MAINTENANCE:
        if (check_machines(r, op, REGISTRY_MACHINE_DRAINING, err, errlen))
            return CR_ESTATE;
        for (size_t i = 0; i < op->n_machines; i++)
            find_machine(r, &op->machines[i])->mode = REGISTRY_MACHINE_DOWN;
        return 0;
    case REGISTRY_OP_STOP_MAINTENANCE:
        if (check_machines(r, op, REGISTRY_MACHINE_DOWN, err, errlen))
            return CR_ESTATE;
        for (size_t i = 0; i < op->n_machines; i++)
            unschedule(r, find_machine(r, &op->machines[i]));
        drop_empty_windows(r);
        return 0;
    default:
        snprintf(err, errlen, "not a maintenance operation");
        return CR_ESTATE;
    }
}

int
registry_maint_restore(struct registry *r, struct registry_window *windows,
                       size_t n_windows, const struct registry_machine_id *down,
                       size_t n_down, char *err, size_t errlen)
{
    struct registry_machine *table = NULL;
    if (build_machines(NULL, windows, n_windows, &table, err, errlen) != 0) {
        registry_windows_free(windows, n_windows);
        return CR_ESTATE;
    }
    install(r, windows, n_windows, table);
    for (size_t i = 0; i < n_down; i++) {
        struct registry_machine *mc = find_machine(r, &down[i]);
        if (mc == NULL) {
            snprintf(err, errlen, "a down machine is not in the schedule");
            return CR_ESTATE;
        }
        mc->mode = REGISTRY_MACHINE_DOWN;
    }
    return 0;
}

int
registry_maint_check(const struct registry *r, const struct registry_op *op,
                     char *err, size_t errlen)
{
    struct registry_machine *table = NULL;
    switch (op->type) {
    case REGISTRY_OP_SCHEDULE:
        if (build_machines(r->machines, op->windows, op->n_windows, &table, err,
                           errlen) != 0)
            return CR_ESTATE;
        machines_free(table);
        return 0;
    case REGISTRY_OP_START_MAINTENANCE:
        return check_machines(r, op, REGISTRY_MACHINE_DRAINING, err, errlen);
    case REGISTRY_OP_STOP_MAINTENANCE:
        return check_machines(r, op, REGISTRY_MACHINE_DOWN, err, errlen);
    default:
        return 0;
    }
}

/* ---- operations ---------------------------------------------------------- */

void
registry_op_maintenance(struct registry_op *op, enum registry_op_type type)
{
    memset(op, 0, sizeof(*op));
    op->type = type;
}

void
registry_op_add_window(struct registry_op *op, int64_t start_ns,
                       int64_t duration_ns)
{
    op->windows =
        cr_xrealloc(op->windows, (op->n_windows + 1) * sizeof(*op->windows));
    struct registry_window *w = &op->windows[op->n_windows++];
    memset(w, 0, sizeof(*w));
    w->start_ns = start_ns;
    w->duration_ns = duration_ns;
}

static void
push_id(struct registry_machine_id **ids, size_t *n, const char *hostname,
        const char *ip)
{
    *ids = cr_xrealloc(*ids, (*n + 1) * sizeof(**ids));
    (*ids)[*n].hostname = hostname ? cr_xstrdup(hostname) : NULL;
    (*ids)[*n].ip = ip ? cr_xstrdup(ip) : NULL;
    (*n)++;
}

void
registry_op_add_machine(struct registry_op *op, const char *hostname,
                        const char *ip)
{
    if (op->type == REGISTRY_OP_SCHEDULE && op->n_windows > 0) {
        struct registry_window *w = &op->windows[op->n_windows - 1];
        push_id(&w->machines, &w->n_machines, hostname, ip);
    } else {
        push_id(&op->machines, &op->n_machines, hostname, ip);
    }
}
