/* SPDX-License-Identifier: Apache-2.0
 *
 * state.c: see state.h.
 */
#include "state.h"

#include "base/err.h"
#include "base/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
cli_state_id(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_string(v))
        return json_string_value(v);
    return cr_json_str(v, "value");
}

int
cli_pid_to_hostport(const char *pid, struct cr_hostport *out)
{
    const char *at = pid ? strrchr(pid, '@') : NULL;
    if (at == NULL || at[1] == '\0')
        return CR_EINVAL_INPUT;
    if (cr_hostport_parse(at + 1, 0, out) != 0 || out->port <= 0)
        return CR_EINVAL_INPUT;
    return 0;
}

int
cli_state_agent_addr(const json_t *state, const char *agent_id,
                     struct cr_hostport *out)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(state, "slaves"), i, a)
    {
        const char *id = cli_state_id(a, "id");
        if (id == NULL || strcmp(id, agent_id) != 0)
            continue;
        if (cli_pid_to_hostport(cr_json_str(a, "pid"), out) == 0)
            return 0;
        const char *host = cr_json_str(a, "hostname");
        double port = 0;
        if (host && cr_json_num(a, "port", &port) && port > 0 && port < 65536 &&
            strlen(host) < sizeof(out->host)) {
            snprintf(out->host, sizeof(out->host), "%s", host);
            out->port = (int)port;
            return 0;
        }
    }
    return CR_ENOTFOUND;
}

static void
visit_list(json_t *fw, const char *key, bool active, cli_task_visit_cb cb,
           void *data)
{
    size_t i;
    json_t *t;
    json_array_foreach(json_object_get(fw, key), i, t)
    {
        struct cli_task_ref r = {.task = t, .active = active};
        r.task_id = cli_state_id(t, "id");
        if (r.task_id == NULL)
            continue;
        r.framework_id = cli_state_id(t, "framework_id");
        if (r.framework_id == NULL)
            r.framework_id = cli_state_id(fw, "id");
        r.agent_id = cli_state_id(t, "slave_id");
        if (r.agent_id == NULL)
            r.agent_id = cli_state_id(t, "agent_id");
        r.executor_id = cli_state_id(t, "executor_id");
        if (r.executor_id == NULL || r.executor_id[0] == '\0')
            r.executor_id = r.task_id;
        r.state = cr_json_str(t, "state");
        r.name = cr_json_str(t, "name");
        cb(&r, data);
    }
}

void
cli_state_foreach_task(const json_t *state, bool all, cli_task_visit_cb cb,
                       void *data)
{
    size_t i;
    json_t *fw;
    json_array_foreach(json_object_get(state, "frameworks"), i, fw)
    {
        visit_list(fw, "tasks", true, cb, data);
        if (all)
            visit_list(fw, "completed_tasks", false, cb, data);
    }
    if (!all)
        return;
    json_array_foreach(json_object_get(state, "completed_frameworks"), i, fw)
    {
        visit_list(fw, "tasks", false, cb, data);
        visit_list(fw, "completed_tasks", false, cb, data);
    }
}

struct find_ctx {
    const char *task_id;
    const char *framework_id;
    struct cli_task_ref found;
    bool have;
};

static void
find_visit(const struct cli_task_ref *t, void *data)
{
    struct find_ctx *f = data;
    if (strcmp(t->task_id, f->task_id) != 0)
        return;
    if (f->framework_id &&
        (t->framework_id == NULL || strcmp(t->framework_id, f->framework_id)))
        return;
    if (f->have && f->found.active && !t->active)
        return; /* an active match wins over completed ones */
    f->found = *t;
    f->have = true;
}

int
cli_state_find_task(const json_t *state, const char *task_id,
                    const char *framework_id, struct cli_task_ref *out)
{
    struct find_ctx f = {.task_id = task_id, .framework_id = framework_id};
    cli_state_foreach_task(state, true, find_visit, &f);
    if (!f.have)
        return CR_ENOTFOUND;
    *out = f.found;
    return 0;
}

/* ---- tables ---- */

static void
task_row(const struct cli_task_ref *t, void *data)
{
    const char *row[] = {t->task_id, t->framework_id, t->agent_id, t->state,
                         t->name};
    cli_table_add(data, row);
}

void
cli_state_tasks_table(const json_t *state, bool all, struct cli_table *t)
{
    static const char *const hdr[] = {"ID", "FRAMEWORK", "AGENT", "STATE",
                                      "NAME"};
    cli_table_init(t, 5, hdr);
    cli_state_foreach_task(state, all, task_row, t);
}

static void
task_json(const struct cli_task_ref *t, void *data)
{
    json_array_append(data, t->task);
}

json_t *
cli_state_tasks_json(const json_t *state, bool all)
{
    json_t *a = json_array();
    cli_state_foreach_task(state, all, task_json, a);
    return a;
}

/* "used/total" of one resource of the flat v0 resources objects. */
static void
fmt_usage(char *out, size_t n, const json_t *used, const json_t *total,
          const char *name)
{
    double u = 0, t = 0;
    cr_json_num(used, name, &u);
    cr_json_num(total, name, &t);
    snprintf(out, n, "%g/%g", u, t);
}

void
cli_state_agents_table(const json_t *state, struct cli_table *t)
{
    static const char *const hdr[] = {"ID",   "HOSTNAME", "PORT", "ACTIVE",
                                      "CPUS", "MEM",      "DISK"};
    cli_table_init(t, 7, hdr);
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(state, "slaves"), i, a)
    {
        char port[16] = "", cpus[48], mem[48], disk[48];
        double p;
        if (cr_json_num(a, "port", &p))
            snprintf(port, sizeof(port), "%.0f", p);
        json_t *used = json_object_get(a, "used_resources");
        json_t *total = json_object_get(a, "resources");
        fmt_usage(cpus, sizeof(cpus), used, total, "cpus");
        fmt_usage(mem, sizeof(mem), used, total, "mem");
        fmt_usage(disk, sizeof(disk), used, total, "disk");
        const char *row[] = {cli_state_id(a, "id"),
                             cr_json_str(a, "hostname"),
                             port,
                             cr_json_bool(a, "active", true) ? "true" : "false",
                             cpus,
                             mem,
                             disk};
        cli_table_add(t, row);
    }
}

static void
framework_row(struct cli_table *t, const json_t *fw, bool completed)
{
    char ntasks[16], cpus[32], mem[32];
    double c = 0, m = 0;
    json_t *used = json_object_get(fw, "used_resources");
    cr_json_num(used, "cpus", &c);
    cr_json_num(used, "mem", &m);
    snprintf(ntasks, sizeof(ntasks), "%zu",
             json_array_size(json_object_get(fw, "tasks")));
    snprintf(cpus, sizeof(cpus), "%g", c);
    snprintf(mem, sizeof(mem), "%g", m);
    bool active = !completed && cr_json_bool(fw, "active", true);
    bool connected = !completed && cr_json_bool(fw, "connected", true);
    const char *row[] = {cli_state_id(fw, "id"),
                         cr_json_str(fw, "name"),
                         cr_json_str(fw, "user"),
                         active ? "true" : "false",
                         connected ? "true" : "false",
                         ntasks,
                         cpus,
                         mem};
    cli_table_add(t, row);
}

void
cli_state_frameworks_table(const json_t *state, bool all, struct cli_table *t)
{
    static const char *const hdr[] = {"ID",        "NAME",  "USER", "ACTIVE",
                                      "CONNECTED", "TASKS", "CPUS", "MEM"};
    cli_table_init(t, 8, hdr);
    size_t i;
    json_t *fw;
    json_array_foreach(json_object_get(state, "frameworks"), i, fw)
        framework_row(t, fw, false);
    if (!all)
        return;
    json_array_foreach(json_object_get(state, "completed_frameworks"), i, fw)
        framework_row(t, fw, true);
}

json_t *
cli_state_frameworks_json(const json_t *state, bool all)
{
    json_t *a = json_array();
    size_t i;
    json_t *fw;
    json_array_foreach(json_object_get(state, "frameworks"), i, fw)
        json_array_append(a, fw);
    if (all)
        json_array_foreach(json_object_get(state, "completed_frameworks"), i,
                           fw) json_array_append(a, fw);
    return a;
}
