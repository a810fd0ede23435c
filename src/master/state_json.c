/* SPDX-License-Identifier: Apache-2.0
 *
 * state_json.c: /master/state in the upstream (v0) shape (reference §3.4):
 * flat resource objects, frameworks with tasks and completed tasks, agents
 * ("slaves") with their resources.
 */
#include "allocator.h"
#include "base/json.h"
#include "base/mem.h"
#include "master.h"
#include "model/attributes.h"
#include "registrar.h"

#include <stdlib.h>
#include <string.h>

/* The v0 flat attributes object (name -> number or string, RANGES as
 * "[a-b, c-d]") of a v1 Attribute array. */
static json_t *
attributes_v0_json(const json_t *attrs)
{
    struct cr_attributes parsed;
    char err[256];
    cr_attributes_init(&parsed);
    if (attrs == NULL ||
        cr_attributes_parse_json(&parsed, attrs, err, sizeof(err)) != 0)
        return json_object();
    json_t *o = cr_attributes_to_v0_json(&parsed);
    cr_attributes_fini(&parsed);
    return o;
}

static json_t *
agent_json(struct master *m, struct magent *a)
{
    struct cr_resources used;
    cr_resources_init(&used);
    for (struct mtask *t = a->tasks; t; t = t->ag_next)
        if (!t->resources_released)
            cr_resources_add(&used, &t->res);
    json_t *attrs = json_object_get(a->info, "attributes");
    json_t *j = json_pack(
        "{s:s, s:s, s:i, s:s, s:f, s:o, s:o, s:o, s:b, s:b, s:s, s:o}", "id",
        a->id, "hostname", a->hostname, "port", a->port, "pid", a->pid,
        "registered_time", a->registered_time, "resources",
        cr_resources_to_v0_json(&a->total), "used_resources",
        cr_resources_to_v0_json(&used), "unreserved_resources",
        cr_resources_to_v0_json(&a->total), "active",
        a->state == AGENT_CONNECTED, "deactivated", a->state != AGENT_CONNECTED,
        "version", CR_VERSION, "attributes", attributes_v0_json(attrs));
    if (a->reregistered_time > 0)
        json_object_set_new(j, "reregistered_time",
                            json_real(a->reregistered_time));
    cr_resources_fini(&used);
    return j;
}

json_t *
framework_to_v0_json(struct master *m, struct mframework *f)
{
    struct cr_resources used, offered;
    cr_resources_init(&used);
    cr_resources_init(&offered);
    json_t *tasks = json_array();
    json_t *offers = json_array();
    for (struct mtask *t = f->tasks; t; t = t->fw_next) {
        json_array_append_new(tasks, task_to_v0_json(t));
        if (!t->resources_released)
            cr_resources_add(&used, &t->res);
    }
    struct moffer *o, *tmp;
    HASH_ITER(hh, m->offers, o, tmp)
    {
        if (strcmp(o->framework_id, f->id) != 0)
            continue;
        cr_resources_add(&offered, &o->res);
        json_array_append_new(offers,
                              json_pack("{s:s, s:s, s:s, s:o}", "id", o->id,
                                        "framework_id", o->framework_id,
                                        "slave_id", o->agent_id, "resources",
                                        cr_resources_to_v0_json(&o->res)));
    }
    json_t *roles = json_array();
    for (size_t i = 0; i < f->n_roles; i++)
        json_array_append_new(roles, json_string(f->roles[i]));
    const char *name = cr_json_str(f->info, "name");
    const char *user = cr_json_str(f->info, "user");
    const char *host = cr_json_str(f->info, "hostname");
    const char *principal = cr_json_str(f->info, "principal");
    const char *webui = cr_json_str(f->info, "webui_url");
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:f, s:b, s:f, s:f, s:f, "
        "s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
        "id", f->id, "name", name ? name : "", "user", user ? user : "",
        "hostname", host ? host : "", "webui_url", webui ? webui : "", "active",
        f->state == FRAMEWORK_CONNECTED, "connected",
        f->state == FRAMEWORK_CONNECTED, "recovered", f->recovered,
        "failover_timeout", f->failover_timeout, "checkpoint",
        cr_json_bool(f->info, "checkpoint", false), "registered_time",
        f->registered_time, "reregistered_time", f->reregistered_time,
        "unregistered_time", f->unregistered_time, "roles", roles, "role",
        f->n_roles ? f->roles[0] : "*", "used_resources",
        cr_resources_to_v0_json(&used), "offered_resources",
        cr_resources_to_v0_json(&offered), "resources",
        cr_resources_to_v0_json(&used), "tasks", tasks, "completed_tasks",
        json_deep_copy(f->completed_tasks), "offers", offers,
        "unreachable_tasks", json_array());
    if (principal)
        json_object_set_new(j, "principal", json_string(principal));
    json_t *caps = json_object_get(f->info, "capabilities");
    json_t *capnames = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(caps, i, c)
    {
        if (cr_json_str(c, "type"))
            json_array_append_new(capnames,
                                  json_string(cr_json_str(c, "type")));
    }
    json_object_set_new(j, "capabilities", capnames);
    cr_resources_fini(&used);
    cr_resources_fini(&offered);
    return j;
}

json_t *
state_json(struct master *m)
{
    json_t *agents = json_array();
    json_t *frameworks = json_array();
    size_t activated = 0, deactivated = 0;
    struct magent *a, *atmp;
    HASH_ITER(hh, m->agents, a, atmp)
    {
        json_array_append_new(agents, agent_json(m, a));
        if (a->state == AGENT_CONNECTED)
            activated++;
        else
            deactivated++;
    }
    struct mframework *f, *ftmp;
    HASH_ITER(hh, m->frameworks, f, ftmp)
    {
        json_array_append_new(frameworks, framework_to_v0_json(m, f));
    }
    json_t *info = master_info_json(m);
    const char *pid = cr_json_str(info, "pid");
    json_t *j = json_pack(
        "{s:s, s:s, s:s, s:s, s:f, s:s, s:s, s:s, s:I, s:I, s:I, "
        "s:o, s:o, s:O, s:o, s:o}",
        "version", CR_VERSION, "git_sha", "", "build_date", __DATE__,
        "build_user", "corral", "start_time", m->start_time, "id", m->id, "pid",
        pid, "hostname", m->hostname, "activated_slaves", (json_int_t)activated,
        "deactivated_slaves", (json_int_t)deactivated, "unreachable_slaves",
        (json_int_t)(m->registrar ? registrar_registry(m->registrar)
                                        ->count[REGISTRY_UNREACHABLE]
                                  : 0),
        "slaves", agents, "frameworks", frameworks, "completed_frameworks",
        m->completed_frameworks, "orphan_tasks", json_array(),
        "unregistered_frameworks", json_array());
    /* A standby says who leads (upstream omits elected_time there). */
    if (m->leading)
        json_object_set_new(j, "elected_time", json_real(m->elected_time));
    if (m->leader_info) {
        const char *lpid = cr_json_str(m->leader_info, "pid");
        if (lpid)
            json_object_set_new(j, "leader", json_string(lpid));
        json_object_set(j, "leader_info", m->leader_info);
    }
    if (m->flags.cluster)
        json_object_set_new(j, "cluster", json_string(m->flags.cluster));
    json_object_set_new(j, "flags", master_flags_json(m));
    json_decref(info);
    return j;
}
