/* SPDX-License-Identifier: Apache-2.0
 *
 * state_json.c: /master/state in the upstream (v0) shape (reference §3.4):
 * flat resource objects, frameworks with tasks and completed tasks, agents
 * ("slaves") with their resources.
 *
 * Two forms of the same entries:
 *  - jansson trees (state_json(), framework_to_v0_json()): the reference
 *    shapes; framework.c keeps a removed framework's tree among the
 *    completed frameworks, and tests compare the streamed documents with
 *    state_json();
 *  - streaming writers (state_write_*()): the same bytes written straight
 *    into a buffer, for the documents of state_doc.c. Values of the
 *    common shape (scalar-only resources, status arrays) are written
 *    directly; rare ones go through the tree functions and are dumped.
 *
 * Loop thread only.
 */
#include "allocator.h"
#include "base/err.h"
#include "base/json.h"
#include "base/jsonw.h"
#include "base/mem.h"
#include "master.h"
#include "model/attributes.h"
#include "registrar.h"
#include "state_doc.h"

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

/* "reserved_resources": {role: v0 resources} of an agent's total. */
static json_t *
reserved_v0_json(const struct cr_resources *total)
{
    json_t *by_role = json_object();
    struct cr_resources part;
    cr_resources_init(&part);
    for (uint32_t i = 0; i < total->n; i++) {
        const char *role = total->ents[i].role;
        if (role == NULL || json_object_get(by_role, role))
            continue;
        cr_resources_reserved_to(&part, total, role);
        json_object_set_new(by_role, role, cr_resources_to_v0_json(&part));
    }
    cr_resources_fini(&part);
    return by_role;
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
    struct cr_resources unres;
    cr_resources_init(&unres);
    cr_resources_unreserved(&unres, &a->total);
    json_t *j = json_pack(
        "{s:s, s:s, s:i, s:s, s:f, s:o, s:o, s:o, s:o, s:b, s:b, s:s, s:o}",
        "id", a->id, "hostname", a->hostname, "port", a->port, "pid", a->pid,
        "registered_time", a->registered_time, "resources",
        cr_resources_to_v0_json(&a->total), "used_resources",
        cr_resources_to_v0_json(&used), "unreserved_resources",
        cr_resources_to_v0_json(&unres), "reserved_resources",
        reserved_v0_json(&a->total), "active", a->state == AGENT_CONNECTED,
        "deactivated", a->state != AGENT_CONNECTED, "version", CR_VERSION,
        "attributes", attributes_v0_json(attrs));
    if (a->reregistered_time > 0)
        json_object_set_new(j, "reregistered_time",
                            json_real(a->reregistered_time));
    cr_resources_fini(&used);
    cr_resources_fini(&unres);
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

/* ---- streaming writers ------------------------------------------------- */

void
state_write_v0_resources(struct cr_jsonw *w, const struct cr_resources *r)
{
    if (r->n > 0) {
        json_t *tree = cr_resources_to_v0_json(r);
        cr_jsonw_value(w, tree);
        json_decref(tree);
        return;
    }
    /* Only the fixed unreserved scalars: cr_resources_to_v0_json()'s keys
     * and values without the tree. */
    cr_jsonw_object(w);
    cr_jsonw_kreal(w, "cpus", (double)r->fixed[CR_RES_CPUS] / CR_RES_MILLI);
    cr_jsonw_kreal(w, "gpus", (double)r->fixed[CR_RES_GPUS] / CR_RES_MILLI);
    cr_jsonw_kreal(w, "mem", (double)r->fixed[CR_RES_MEM] / CR_RES_MILLI);
    cr_jsonw_kreal(w, "disk", (double)r->fixed[CR_RES_DISK] / CR_RES_MILLI);
    cr_jsonw_object_end(w);
}

void
state_write_v1_resource_elems(struct cr_jsonw *w, const struct cr_resources *r,
                              const char *allocation_role)
{
    if (r->n > 0) {
        json_t *tree = cr_resources_to_json(r, allocation_role);
        size_t i;
        json_t *e;
        json_array_foreach(tree, i, e)
        {
            cr_jsonw_value(w, e);
        }
        json_decref(tree);
        return;
    }
    static const char *const names[CR_RES_NFIXED] = {
        [CR_RES_CPUS] = "cpus",
        [CR_RES_MEM] = "mem",
        [CR_RES_DISK] = "disk",
        [CR_RES_GPUS] = "gpus",
    };
    for (int k = 0; k < CR_RES_NFIXED; k++) {
        if (r->fixed[k] == 0)
            continue;
        cr_jsonw_object(w);
        cr_jsonw_kstring(w, "name", names[k]);
        cr_jsonw_kstring(w, "type", "SCALAR");
        if (allocation_role) {
            cr_jsonw_key(w, "allocation_info");
            cr_jsonw_object(w);
            cr_jsonw_kstring(w, "role", allocation_role);
            cr_jsonw_object_end(w);
        }
        cr_jsonw_key(w, "scalar");
        cr_jsonw_object(w);
        cr_jsonw_kreal(w, "value", (double)r->fixed[k] / CR_RES_MILLI);
        cr_jsonw_object_end(w);
        cr_jsonw_kstring(w, "role", "*");
        cr_jsonw_object_end(w);
    }
}

void
state_write_v1_resources(struct cr_jsonw *w, const struct cr_resources *r,
                         const char *allocation_role)
{
    cr_jsonw_array(w);
    state_write_v1_resource_elems(w, r, allocation_role);
    cr_jsonw_array_end(w);
}

void
state_write_v0_task(struct cr_jsonw *w, const struct mtask *t)
{
    cr_jsonw_object(w);
    cr_jsonw_kstring(w, "id", t->task_id);
    cr_jsonw_kstring(w, "name", t->name);
    cr_jsonw_kstring(w, "framework_id", t->framework_id);
    cr_jsonw_kstring(w, "executor_id",
                     t->executor_id == NULL ||
                             strcmp(t->executor_id, t->task_id) == 0
                         ? ""
                         : t->executor_id);
    cr_jsonw_kstring(w, "slave_id", t->agent_id);
    cr_jsonw_kstring(w, "state", task_state_name(t->state));
    cr_jsonw_key(w, "resources");
    state_write_v0_resources(w, &t->res);
    cr_jsonw_kstring(w, "role", t->role);
    cr_jsonw_kvalue(w, "statuses", t->statuses);
    json_t *labels =
        json_object_get(json_object_get(t->info, "labels"), "labels");
    if (labels)
        cr_jsonw_kvalue(w, "labels", labels);
    cr_jsonw_object_end(w);
}

void
state_write_v1_id(struct cr_jsonw *w, const char *key, const char *value)
{
    cr_jsonw_key(w, key);
    cr_jsonw_object(w);
    cr_jsonw_kstring(w, "value", value);
    cr_jsonw_object_end(w);
}

void
state_write_v1_task(struct cr_jsonw *w, const struct mtask *t)
{
    cr_jsonw_object(w);
    cr_jsonw_kstring(w, "name", t->name);
    state_write_v1_id(w, "task_id", t->task_id);
    state_write_v1_id(w, "framework_id", t->framework_id);
    state_write_v1_id(w, "executor_id", t->executor_id);
    state_write_v1_id(w, "agent_id", t->agent_id);
    cr_jsonw_kstring(w, "state", task_state_name(t->state));
    cr_jsonw_key(w, "resources");
    state_write_v1_resources(w, &t->res, t->role);
    if (t->status) {
        cr_jsonw_key(w, "statuses");
        cr_jsonw_array(w);
        cr_jsonw_value(w, t->status);
        cr_jsonw_array_end(w);
    }
    cr_jsonw_object_end(w);
}

/* Write t's entry through its cached encoding (master.h): copied when
 * present, else written by encode() and the bytes it wrote (without the
 * writer's separating comma) kept for the next document. */
static void
write_cached(struct cr_jsonw *w, struct mtask *t, char **cache, uint32_t *len,
             void (*encode)(struct cr_jsonw *, const struct mtask *))
{
    if (*cache != NULL) {
        cr_jsonw_raw(w, *cache, *len);
        return;
    }
    size_t start = w->out->len;
    encode(w, t);
    if (cr_jsonw_error(w) != 0)
        return;
    if (start < w->out->len && w->out->data[start] == ',')
        start++;
    size_t n = w->out->len - start;
    if (n == 0 || n >= UINT32_MAX)
        return;
    *cache = cr_xmalloc(n);
    memcpy(*cache, w->out->data + start, n);
    *len = (uint32_t)n;
}

void
state_write_v0_task_cached(struct cr_jsonw *w, struct mtask *t)
{
    write_cached(w, t, &t->json_v0, &t->json_v0_len, state_write_v0_task);
}

void
state_write_v1_task_cached(struct cr_jsonw *w, struct mtask *t)
{
    write_cached(w, t, &t->json_v1, &t->json_v1_len, state_write_v1_task);
}

void
state_write_v0_agent_open(struct cr_jsonw *w, struct magent *a)
{
    struct cr_resources used;
    cr_resources_init(&used);
    for (struct mtask *t = a->tasks; t; t = t->ag_next)
        if (!t->resources_released)
            cr_resources_add(&used, &t->res);
    cr_jsonw_object(w);
    cr_jsonw_kstring(w, "id", a->id);
    cr_jsonw_kstring(w, "hostname", a->hostname);
    cr_jsonw_kinteger(w, "port", a->port);
    cr_jsonw_kstring(w, "pid", a->pid);
    cr_jsonw_kreal(w, "registered_time", a->registered_time);
    cr_jsonw_key(w, "resources");
    state_write_v0_resources(w, &a->total);
    cr_jsonw_key(w, "used_resources");
    state_write_v0_resources(w, &used);
    struct cr_resources unres;
    cr_resources_init(&unres);
    cr_resources_unreserved(&unres, &a->total);
    cr_jsonw_key(w, "unreserved_resources");
    state_write_v0_resources(w, &unres);
    cr_resources_fini(&unres);
    json_t *reserved = reserved_v0_json(&a->total);
    cr_jsonw_kvalue(w, "reserved_resources", reserved);
    json_decref(reserved);
    cr_jsonw_kbool(w, "active", a->state == AGENT_CONNECTED);
    cr_jsonw_kbool(w, "deactivated", a->state != AGENT_CONNECTED);
    cr_jsonw_kstring(w, "version", CR_VERSION);
    json_t *attrs = attributes_v0_json(json_object_get(a->info, "attributes"));
    cr_jsonw_kvalue(w, "attributes", attrs);
    json_decref(attrs);
    if (a->reregistered_time > 0)
        cr_jsonw_kreal(w, "reregistered_time", a->reregistered_time);
    cr_resources_fini(&used);
}

void
state_write_v0_agent(struct cr_jsonw *w, struct magent *a)
{
    state_write_v0_agent_open(w, a);
    cr_jsonw_object_end(w);
}

bool
state_jsonp_valid(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= STATE_JSONP_MAX)
        return false;
    /* Only identifier characters: a callback name is not a place for
     * script injection. */
    for (const char *p = name; *p; p++)
        if (!(*p == '_' || *p == '.' || *p == '$' || (*p >= '0' && *p <= '9') ||
              (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
            return false;
    return true;
}

int
state_jsonp_param(const struct cr_http_req *req, char *out)
{
    int rc = cr_http_query_param(req->query, "jsonp", out, STATE_JSONP_MAX);
    if (rc == CR_ENOTFOUND || (rc == 0 && *out == '\0')) {
        *out = '\0';
        return 0;
    }
    if (rc != 0 || !state_jsonp_valid(out)) {
        *out = '\0';
        return -1;
    }
    return 1;
}
