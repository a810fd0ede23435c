/* SPDX-License-Identifier: Apache-2.0
 *
 * opfmt.c: see opfmt.h.
 */
#include "opfmt.h"

#include "base/err.h"
#include "base/json.h"
#include "resources.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROLE_MAX 512 /* longer roles are the master's to refuse */

const char *const cli_task_states[CLI_TASK_STATES] = {
    "TASK_STAGING",     "TASK_STARTING",
    "TASK_RUNNING",     "TASK_KILLING",
    "TASK_UNREACHABLE", "TASK_UNKNOWN",
    "TASK_FINISHED",    "TASK_FAILED",
    "TASK_KILLED",      "TASK_LOST",
    "TASK_ERROR",       "TASK_DROPPED",
    "TASK_GONE",        "TASK_GONE_BY_OPERATOR",
};

#define FIRST_TERMINAL 6 /* TASK_FINISHED */
#define UNKNOWN_INDEX  5

size_t
cli_task_state_index(const char *name)
{
    for (size_t i = 0; name && i < CLI_TASK_STATES; i++)
        if (strcmp(cli_task_states[i], name) == 0)
            return i;
    return UNKNOWN_INDEX;
}

bool
cli_task_state_is_terminal(size_t idx)
{
    return idx >= FIRST_TERMINAL && idx < CLI_TASK_STATES;
}

double
cli_v1_scalar(const json_t *resources, const char *name)
{
    double sum = 0;
    size_t i;
    json_t *r;
    json_array_foreach(resources, i, r)
    {
        const char *n = cr_json_str(r, "name");
        double v;
        if (n && strcmp(n, name) == 0 &&
            cr_json_num(json_object_get(r, "scalar"), "value", &v) &&
            isfinite(v) && v > 0)
            sum += v;
    }
    return round(sum * 1000.0) / 1000.0;
}

/* ---- state ---------------------------------------------------------------
 */

struct totals {
    size_t agents, active;
    double used[4], total[4];
};

static const char *const scalar_names[4] = {"cpus", "mem", "disk", "gpus"};

static void
sum_agents(const json_t *agents, struct totals *t)
{
    size_t i;
    json_t *a;
    json_array_foreach(agents, i, a)
    {
        t->agents++;
        if (cr_json_bool(a, "active", false))
            t->active++;
        for (size_t k = 0; k < 4; k++) {
            t->total[k] += cli_v1_scalar(json_object_get(a, "total_resources"),
                                         scalar_names[k]);
            t->used[k] += cli_v1_scalar(
                json_object_get(a, "allocated_resources"), scalar_names[k]);
        }
    }
}

static void
count_tasks(const json_t *tasks, size_t counts[CLI_TASK_STATES], size_t *n)
{
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t)
    {
        counts[cli_task_state_index(cr_json_str(t, "state"))]++;
        (*n)++;
    }
}

static int
summary_tasks(const json_t *get_tasks, struct cr_buf *out)
{
    size_t counts[CLI_TASK_STATES] = {0}, n = 0;
    count_tasks(json_object_get(get_tasks, "tasks"), counts, &n);
    count_tasks(json_object_get(get_tasks, "unreachable_tasks"), counts, &n);
    count_tasks(json_object_get(get_tasks, "completed_tasks"), counts, &n);
    int rc = cr_buf_printf(out, "%-12s %zu\n", "tasks", n);
    for (size_t k = 0; k < CLI_TASK_STATES && rc == 0; k++)
        if (counts[k] > 0)
            rc = cr_buf_printf(out, "  %-22s %zu\n", cli_task_states[k],
                               counts[k]);
    return rc;
}

static int
summary_frameworks(const json_t *get_frameworks, struct cr_buf *out)
{
    size_t active = 0, inactive = 0, i;
    json_t *f;
    json_array_foreach(json_object_get(get_frameworks, "frameworks"), i, f)
    {
        if (cr_json_bool(f, "active", false))
            active++;
        else
            inactive++;
    }
    size_t done = json_array_size(
        json_object_get(get_frameworks, "completed_frameworks"));
    return cr_buf_printf(out,
                         "%-12s %zu (%zu active, %zu inactive, %zu "
                         "completed)\n",
                         "frameworks", active + inactive, active, inactive,
                         done);
}

int
cli_state_summary(const json_t *get_state, const char *master,
                  struct cr_buf *out)
{
    struct totals t = {0};
    sum_agents(
        json_object_get(json_object_get(get_state, "get_agents"), "agents"),
        &t);
    int rc = 0;
    if (master)
        rc = cr_buf_printf(out, "%-12s %s\n", "master", master);
    if (rc == 0)
        rc = cr_buf_printf(out, "%-12s %zu (%zu active)\n", "agents", t.agents,
                           t.active);
    for (size_t k = 0; k < 4 && rc == 0; k++)
        if (k < 3 || t.total[k] > 0)
            rc = cr_buf_printf(out, "%-12s %g/%g\n", scalar_names[k], t.used[k],
                               t.total[k]);
    if (rc == 0)
        rc = summary_frameworks(json_object_get(get_state, "get_frameworks"),
                                out);
    if (rc == 0) {
        const json_t *ex = json_object_get(get_state, "get_executors");
        rc = cr_buf_printf(out, "%-12s %zu\n", "executors",
                           json_array_size(json_object_get(ex, "executors")));
    }
    if (rc == 0)
        rc = summary_tasks(json_object_get(get_state, "get_tasks"), out);
    return rc;
}

/* ---- weights -------------------------------------------------------------
 */

void
cli_weights_table(const json_t *get_weights, struct cli_table *t)
{
    static const char *const hdr[] = {"ROLE", "WEIGHT"};
    cli_table_init(t, 2, hdr);
    size_t i;
    json_t *w;
    json_array_foreach(json_object_get(get_weights, "weight_infos"), i, w)
    {
        char weight[32] = "";
        double v;
        if (cr_json_num(w, "weight", &v))
            snprintf(weight, sizeof(weight), "%g", v);
        const char *row[] = {cr_json_str(w, "role"), weight};
        cli_table_add(t, row);
    }
}

static int
parse_weight_word(const char *word, json_t *infos, char *err, size_t errlen)
{
    const char *eq = strrchr(word, '=');
    if (eq == NULL || eq == word) {
        snprintf(err, errlen, "bad weight '%s' (expected ROLE=WEIGHT)", word);
        return -1;
    }
    size_t rlen = (size_t)(eq - word);
    if (rlen > ROLE_MAX) {
        snprintf(err, errlen, "role too long in '%.40s...'", word);
        return -1;
    }
    char *end;
    errno = 0;
    double w = strtod(eq + 1, &end);
    if (errno || end == eq + 1 || *end != '\0' || !isfinite(w) || w <= 0) {
        snprintf(err, errlen, "bad weight in '%s' (a number > 0)", word);
        return -1;
    }
    size_t i;
    json_t *info;
    json_array_foreach(infos, i, info)
    {
        const char *r = cr_json_str(info, "role");
        if (strlen(r) == rlen && strncmp(r, word, rlen) == 0) {
            snprintf(err, errlen, "role '%.*s' given twice", (int)rlen, word);
            return -1;
        }
    }
    json_array_append_new(
        infos, json_pack("{s:s%, s:f}", "role", word, rlen, "weight", w));
    return 0;
}

json_t *
cli_weights_parse(const char *const *words, size_t n, char *err, size_t errlen)
{
    if (n == 0) {
        snprintf(err, errlen, "no ROLE=WEIGHT given");
        return NULL;
    }
    json_t *infos = json_array();
    for (size_t i = 0; i < n; i++)
        if (parse_weight_word(words[i], infos, err, errlen) != 0) {
            json_decref(infos);
            return NULL;
        }
    return infos;
}

/* ---- quota ---------------------------------------------------------------
 */

/* "name:value;..." of a map<string, Value.Scalar> into b ("-" if empty). */
static void
scalar_map_text(json_t *map, char *b, size_t n)
{
    size_t len = 0;
    const char *name;
    json_t *v;
    b[0] = '\0';
    json_object_foreach(map, name, v)
    {
        double x = 0;
        if (!cr_json_num(v, "value", &x) && json_is_number(v))
            x = json_number_value(v);
        int w = snprintf(b + len, n - len, "%s%s:%g", len ? ";" : "", name, x);
        if (w < 0 || (size_t)w >= n - len)
            break;
        len += (size_t)w;
    }
    if (len == 0)
        snprintf(b, n, "-");
}

/* The same text for a v1 Resource array (scalars only). */
static void
resources_text(const json_t *resources, char *b, size_t n)
{
    json_t *map = json_object();
    size_t i;
    json_t *r;
    json_array_foreach(resources, i, r)
    {
        const char *name = cr_json_str(r, "name");
        if (name && json_object_get(map, name) == NULL)
            json_object_set_new(
                map, name,
                json_pack("{s:f}", "value", cli_v1_scalar(resources, name)));
    }
    scalar_map_text(map, b, n);
    json_decref(map);
}

void
cli_quota_table(const json_t *get_quota, struct cli_table *t)
{
    static const char *const hdr[] = {"ROLE", "GUARANTEES", "LIMITS"};
    cli_table_init(t, 3, hdr);
    const json_t *status = json_object_get(get_quota, "status");
    const json_t *configs = json_object_get(status, "configs");
    char g[512], l[512];
    size_t i;
    json_t *c;
    if (json_array_size(configs) > 0) {
        json_array_foreach(configs, i, c)
        {
            scalar_map_text(json_object_get(c, "guarantees"), g, sizeof(g));
            scalar_map_text(json_object_get(c, "limits"), l, sizeof(l));
            const char *row[] = {cr_json_str(c, "role"), g, l};
            cli_table_add(t, row);
        }
        return;
    }
    json_array_foreach(json_object_get(status, "infos"), i, c)
    {
        resources_text(json_object_get(c, "guarantee"), g, sizeof(g));
        const char *row[] = {cr_json_str(c, "role"), g, "-"};
        cli_table_add(t, row);
    }
}

/* {name: {value}} of a resource text, or an empty object for NULL. */
static json_t *
scalar_map_new(const char *text, const char *what, char *err, size_t errlen)
{
    json_t *map = json_object();
    if (text == NULL)
        return map;
    struct cli_resources res;
    char why[200];
    if (cli_resources_parse(text, &res, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "bad --%s: %s", what, why);
        json_decref(map);
        return NULL;
    }
    for (size_t i = 0; i < res.n; i++)
        json_object_set_new(map, res.v[i].name,
                            json_pack("{s:f}", "value", res.v[i].value));
    return map;
}

json_t *
cli_quota_config_new(const char *role, const char *guarantees,
                     const char *limits, char *err, size_t errlen)
{
    if (role == NULL || role[0] == '\0' || strlen(role) > ROLE_MAX) {
        snprintf(err, errlen, "bad role '%.40s'", role ? role : "");
        return NULL;
    }
    json_t *g = scalar_map_new(guarantees, "guarantee", err, errlen);
    if (g == NULL)
        return NULL;
    json_t *l = scalar_map_new(limits, "limit", err, errlen);
    if (l == NULL) {
        json_decref(g);
        return NULL;
    }
    return json_pack("{s:s, s:o, s:o}", "role", role, "guarantees", g, "limits",
                     l);
}
