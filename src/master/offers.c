/* SPDX-License-Identifier: Apache-2.0
 *
 * offers.c: offers made by the allocator, sent in OFFERS events, and
 * taken back (used by ACCEPT, declined, rescinded, expired).
 *
 * The allocator calls offers_on_allocation() synchronously during a pass;
 * offers are queued per framework in master->pending_offers and sent as one
 * OFFERS event per framework by offers_flush() at the end of the pass. An
 * offer's resources count as allocated in the allocator until the offer is
 * removed: offer_remove() hands them back (recover) unless the caller is
 * turning them into tasks.
 */
#include "allocator.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "master.h"
#include "operator_config.h"

#include <stdlib.h>
#include <string.h>

struct moffer *
offer_find(struct master *m, const char *id)
{
    struct moffer *o = NULL;
    if (id)
        HASH_FIND_STR(m->offers, id, o);
    return o;
}

static json_t *
offer_json(struct master *m, struct moffer *o, struct magent *a)
{
    json_t *j = json_pack(
        "{s:o, s:o, s:o, s:s, s:o, s:{s:s}, s:{s:s, s:{s:s, s:s, s:i}, s:s}}",
        "id", cr_json_id_new(o->id), "framework_id",
        cr_json_id_new(o->framework_id), "agent_id", cr_json_id_new(a->id),
        "hostname", a->hostname, "resources",
        cr_resources_to_json(&o->res, o->role), "allocation_info", "role",
        o->role, "url", "scheme", "http", "address", "hostname", a->hostname,
        "ip", a->hostname, "port", a->port, "path", "/slave(1)");
    json_t *attrs = json_object_get(a->info, "attributes");
    if (json_array_size(attrs) > 0)
        json_object_set(j, "attributes", attrs);
    /* A machine scheduled for maintenance: when it goes away. */
    json_t *un = config_unavailability_json(m, a);
    if (un)
        json_object_set_new(j, "unavailability", un);
    return j;
}

void
offers_on_allocation(void *data, const char *framework_id, const char *agent_id,
                     const char *role, const struct cr_resources *res)
{
    struct master *m = data;
    struct mframework *f = framework_find(m, framework_id);
    struct magent *a = agent_find(m, agent_id);
    if (f == NULL || a == NULL || f->state != FRAMEWORK_CONNECTED ||
        a->state != AGENT_CONNECTED) {
        /* The allocator's view lags by at most one event; give it back. */
        allocator_recover(m->allocator, framework_id, agent_id, role, res, -1);
        return;
    }
    struct moffer *o = cr_xcalloc(1, sizeof(*o));
    o->id =
        cr_xasprintf("%s-O%llu", m->id, (unsigned long long)m->next_offer++);
    o->framework_id = cr_xstrdup(framework_id);
    o->agent_id = cr_xstrdup(agent_id);
    o->role = cr_xstrdup(role);
    cr_resources_copy(&o->res, res);
    o->created = master_now();
    HASH_ADD_KEYPTR(hh, m->offers, o->id, strlen(o->id), o);
    m->stats.offers_made++;

    json_t *list = json_object_get(m->pending_offers, framework_id);
    if (list == NULL) {
        list = json_array();
        json_object_set_new(m->pending_offers, framework_id, list);
    }
    json_array_append_new(list, offer_json(m, o, a));
}

void
offers_flush(struct master *m)
{
    const char *fid;
    json_t *list;
    json_object_foreach(m->pending_offers, fid, list)
    {
        struct mframework *f = framework_find(m, fid);
        if (f == NULL)
            continue;
        json_t *ev = json_pack("{s:s, s:{s:O}}", "type", "OFFERS", "offers",
                               "offers", list);
        framework_send(m, f, ev);
    }
    json_object_clear(m->pending_offers);
}

/* Drop o from a batch not yet sent (it is being taken back in the same
 * loop turn it was made). */
static void
unqueue(struct master *m, struct moffer *o)
{
    json_t *list = json_object_get(m->pending_offers, o->framework_id);
    size_t i;
    json_t *e;
    json_array_foreach(list, i, e)
    {
        if (strcmp(cr_json_id(e, "id"), o->id) == 0) {
            json_array_remove(list, i);
            return;
        }
    }
}

void
offer_remove(struct master *m, struct moffer *o, bool rescind, bool recover,
             double refuse_seconds)
{
    HASH_DEL(m->offers, o);
    unqueue(m, o);
    if (rescind) {
        struct mframework *f = framework_find(m, o->framework_id);
        if (f)
            framework_send(m, f,
                           json_pack("{s:s, s:{s:o}}", "type", "RESCIND",
                                     "rescind", "offer_id",
                                     cr_json_id_new(o->id)));
    }
    if (recover)
        allocator_recover(m->allocator, o->framework_id, o->agent_id, o->role,
                          &o->res, refuse_seconds);
    offer_free(o);
}

void
offer_free(struct moffer *o)
{
    cr_resources_fini(&o->res);
    free(o->id);
    free(o->framework_id);
    free(o->agent_id);
    free(o->role);
    free(o);
}

void
offers_rescind_for_agent(struct master *m, const char *agent_id)
{
    struct moffer *o, *tmp;
    HASH_ITER(hh, m->offers, o, tmp)
    {
        if (strcmp(o->agent_id, agent_id) == 0)
            offer_remove(m, o, true, true, -1);
    }
}

void
offers_rescind_for_framework(struct master *m, const char *fw_id)
{
    struct moffer *o, *tmp;
    HASH_ITER(hh, m->offers, o, tmp)
    {
        if (strcmp(o->framework_id, fw_id) == 0)
            offer_remove(m, o, true, true, -1);
    }
}

void
offers_check_timeout(struct master *m, double now)
{
    if (m->flags.offer_timeout <= 0)
        return;
    struct moffer *o, *tmp;
    HASH_ITER(hh, m->offers, o, tmp)
    {
        if (now - o->created >= m->flags.offer_timeout)
            offer_remove(m, o, true, true, -1);
    }
}
