/* SPDX-License-Identifier: Apache-2.0
 *
 * top_model.c: see top_model.h.
 *
 * Tasks live in one hash keyed by framework id and task id. Terminal ones
 * are also on a FIFO (oldest first) so the oldest can be evicted into the
 * per-state counts; counts[] always holds every task ever seen by state,
 * so eviction changes nothing shown. Agents and frameworks are hashes by
 * id; rendering collects them into sorted arrays.
 */
#include "top_model.h"

#include "base/err.h"
#include "base/hash.h"
#include "base/json.h"
#include "base/mem.h"
#include "opfmt.h"
#include "table.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utlist.h>

#define NRES 4
static const char *const res_names[NRES] = {"cpus", "mem", "disk", "gpus"};

struct top_agent {
    char *id, *hostname;
    int port;
    bool active;
    double total[NRES];
    double used[NRES]; /* scratch, filled by render */
    size_t ntasks;     /* scratch */
    UT_hash_handle hh;
};

struct top_fw {
    char *id, *name, *user;
    bool active, connected;
    double used[NRES]; /* scratch */
    size_t ntasks;     /* scratch */
    UT_hash_handle hh;
};

struct top_task {
    char *key; /* framework id, 0x1f, task id */
    char *task_id, *fw_id, *agent_id, *name;
    size_t state; /* index in cli_task_states */
    double res[NRES];
    struct top_task *prev, *next; /* on the terminal FIFO while terminal */
    UT_hash_handle hh;
};

struct top_model {
    struct top_agent *agents;
    struct top_fw *fws;
    struct top_task *tasks;
    struct top_task *done; /* terminal FIFO, oldest first */
    size_t nagents, nfws, nlive, ndone;
    size_t counts[CLI_TASK_STATES];
    size_t completed_fws, untracked;
    bool ready;
    double heartbeat;
};

struct top_model *
top_model_new(void)
{
    return cr_xcalloc(1, sizeof(struct top_model));
}

/* ---- tasks ---------------------------------------------------------------
 */

static void
task_free(struct top_task *t)
{
    free(t->key);
    free(t->task_id);
    free(t->fw_id);
    free(t->agent_id);
    free(t->name);
    free(t);
}

static void
set_str(char **dst, const char *v)
{
    if (v == NULL)
        return;
    free(*dst);
    *dst = cr_xstrdup(v);
}

/* Evict the oldest terminal tasks beyond TOP_MAX_DONE (counts stay). */
static void
trim_done(struct top_model *m)
{
    while (m->ndone > TOP_MAX_DONE && m->done) {
        struct top_task *t = m->done;
        DL_DELETE(m->done, t);
        HASH_DEL(m->tasks, t);
        m->ndone--;
        task_free(t);
    }
}

/* Move t to state idx, keeping counts and the FIFO right. */
static void
task_move(struct top_model *m, struct top_task *t, size_t idx)
{
    bool was_done = cli_task_state_is_terminal(t->state);
    bool done = cli_task_state_is_terminal(idx);
    m->counts[t->state]--;
    m->counts[idx]++;
    t->state = idx;
    if (was_done && !done) {
        DL_DELETE(m->done, t);
        m->ndone--;
        m->nlive++;
    } else if (!was_done && done) {
        m->nlive--;
        DL_APPEND(m->done, t);
        m->ndone++;
        trim_done(m);
    }
}

static struct top_task *
task_create(struct top_model *m, const char *key, const char *fw,
            const char *tid, size_t idx)
{
    bool done = cli_task_state_is_terminal(idx);
    m->counts[idx]++;
    if (!done && m->nlive >= TOP_MAX_LIVE) {
        m->untracked++;
        return NULL;
    }
    struct top_task *t = cr_xcalloc(1, sizeof(*t));
    t->key = cr_xstrdup(key);
    t->fw_id = cr_xstrdup(fw);
    t->task_id = cr_xstrdup(tid);
    t->state = idx;
    HASH_ADD_KEYPTR(hh, m->tasks, t->key, strlen(t->key), t);
    if (done) {
        DL_APPEND(m->done, t);
        m->ndone++;
    } else {
        m->nlive++;
    }
    return t;
}

/* Add or update a task. agent, name, resources: NULL keeps what is known. */
static void
task_set(struct top_model *m, const char *fw, const char *tid,
         const char *agent, const char *name, const char *state,
         const json_t *resources)
{
    if (fw == NULL || tid == NULL)
        return;
    char *key = cr_xasprintf("%s\x1f%s", fw, tid);
    size_t idx = cli_task_state_index(state);
    struct top_task *t = NULL;
    HASH_FIND_STR(m->tasks, key, t);
    if (t == NULL)
        t = task_create(m, key, fw, tid, idx);
    else if (t->state != idx)
        task_move(m, t, idx);
    free(key);
    if (t == NULL)
        return;
    set_str(&t->agent_id, agent);
    set_str(&t->name, name);
    if (json_is_array(resources))
        for (size_t k = 0; k < NRES; k++)
            t->res[k] = cli_v1_scalar(resources, res_names[k]);
    if (cli_task_state_is_terminal(idx))
        trim_done(m); /* t may be gone now */
}

/* A v1 Task. */
static void
task_from_json(struct top_model *m, const json_t *task)
{
    task_set(m, cr_json_id(task, "framework_id"), cr_json_id(task, "task_id"),
             cr_json_id(task, "agent_id"), cr_json_str(task, "name"),
             cr_json_str(task, "state"), json_object_get(task, "resources"));
}

static void
tasks_from_array(struct top_model *m, const json_t *arr)
{
    size_t i;
    json_t *t;
    json_array_foreach(arr, i, t) task_from_json(m, t);
}

static void
task_updated(struct top_model *m, const json_t *body)
{
    const json_t *status = json_object_get(body, "status");
    const char *state = cr_json_str(body, "state");
    if (state == NULL)
        state = cr_json_str(status, "state");
    task_set(m, cr_json_id(body, "framework_id"), cr_json_id(status, "task_id"),
             cr_json_id(status, "agent_id"), NULL, state, NULL);
}

/* ---- agents and frameworks -----------------------------------------------
 */

static void
agent_free(struct top_agent *a)
{
    free(a->id);
    free(a->hostname);
    free(a);
}

static void
fw_free(struct top_fw *f)
{
    free(f->id);
    free(f->name);
    free(f->user);
    free(f);
}

/* A GetAgents.Agent. */
static void
agent_set(struct top_model *m, const json_t *agent)
{
    const json_t *info = json_object_get(agent, "agent_info");
    const char *id = cr_json_id(info, "id");
    if (id == NULL)
        return;
    struct top_agent *a = NULL;
    HASH_FIND_STR(m->agents, id, a);
    if (a == NULL) {
        if (m->nagents >= TOP_MAX_AGENTS)
            return;
        a = cr_xcalloc(1, sizeof(*a));
        a->id = cr_xstrdup(id);
        HASH_ADD_KEYPTR(hh, m->agents, a->id, strlen(a->id), a);
        m->nagents++;
    }
    set_str(&a->hostname, cr_json_str(info, "hostname"));
    double port = 0;
    if (cr_json_num(info, "port", &port) && port > 0 && port < 65536)
        a->port = (int)port;
    a->active = cr_json_bool(agent, "active", true);
    const json_t *total = json_object_get(agent, "total_resources");
    if (!json_is_array(total))
        total = json_object_get(info, "resources");
    for (size_t k = 0; k < NRES; k++)
        a->total[k] = cli_v1_scalar(total, res_names[k]);
}

static void
agent_remove(struct top_model *m, const char *id)
{
    struct top_agent *a = NULL;
    if (id)
        HASH_FIND_STR(m->agents, id, a);
    if (a == NULL)
        return;
    HASH_DEL(m->agents, a);
    m->nagents--;
    agent_free(a);
}

/* A GetFrameworks.Framework. */
static void
fw_set(struct top_model *m, const json_t *fw)
{
    const json_t *info = json_object_get(fw, "framework_info");
    const char *id = cr_json_id(info, "id");
    if (id == NULL)
        return;
    struct top_fw *f = NULL;
    HASH_FIND_STR(m->fws, id, f);
    if (f == NULL) {
        if (m->nfws >= TOP_MAX_FRAMEWORKS)
            return;
        f = cr_xcalloc(1, sizeof(*f));
        f->id = cr_xstrdup(id);
        HASH_ADD_KEYPTR(hh, m->fws, f->id, strlen(f->id), f);
        m->nfws++;
    }
    set_str(&f->name, cr_json_str(info, "name"));
    set_str(&f->user, cr_json_str(info, "user"));
    f->active = cr_json_bool(fw, "active", true);
    f->connected = cr_json_bool(fw, "connected", true);
}

static void
fw_remove(struct top_model *m, const json_t *info)
{
    const char *id = cr_json_id(info, "id");
    struct top_fw *f = NULL;
    if (id)
        HASH_FIND_STR(m->fws, id, f);
    if (f == NULL)
        return;
    HASH_DEL(m->fws, f);
    m->nfws--;
    m->completed_fws++;
    fw_free(f);
}

/* ---- the model -----------------------------------------------------------
 */

static void
model_clear(struct top_model *m)
{
    struct top_task *t, *tt;
    HASH_ITER(hh, m->tasks, t, tt)
    {
        HASH_DEL(m->tasks, t);
        task_free(t);
    }
    struct top_agent *a, *at;
    HASH_ITER(hh, m->agents, a, at)
    {
        HASH_DEL(m->agents, a);
        agent_free(a);
    }
    struct top_fw *f, *ft;
    HASH_ITER(hh, m->fws, f, ft)
    {
        HASH_DEL(m->fws, f);
        fw_free(f);
    }
    memset(m, 0, sizeof(*m));
}

void
top_model_free(struct top_model *m)
{
    if (m == NULL)
        return;
    model_clear(m);
    free(m);
}

static void
load_snapshot(struct top_model *m, const json_t *subscribed)
{
    const json_t *st = json_object_get(subscribed, "get_state");
    const json_t *fws = json_object_get(st, "get_frameworks");
    const json_t *tasks = json_object_get(st, "get_tasks");
    size_t i;
    json_t *x;
    model_clear(m);
    json_array_foreach(
        json_object_get(json_object_get(st, "get_agents"), "agents"), i, x)
        agent_set(m, x);
    json_array_foreach(json_object_get(fws, "frameworks"), i, x) fw_set(m, x);
    m->completed_fws =
        json_array_size(json_object_get(fws, "completed_frameworks"));
    tasks_from_array(m, json_object_get(tasks, "completed_tasks"));
    tasks_from_array(m, json_object_get(tasks, "unreachable_tasks"));
    tasks_from_array(m, json_object_get(tasks, "tasks"));
    double hb = 0;
    if (cr_json_num(subscribed, "heartbeat_interval_seconds", &hb) && hb > 0 &&
        hb < 1e6)
        m->heartbeat = hb;
    m->ready = true;
}

bool
top_model_apply(struct top_model *m, const json_t *event)
{
    const char *type = cr_json_str(event, "type");
    if (type == NULL)
        return false;
    if (strcmp(type, "SUBSCRIBED") == 0)
        load_snapshot(m, json_object_get(event, "subscribed"));
    else if (strcmp(type, "TASK_ADDED") == 0)
        task_from_json(
            m, json_object_get(json_object_get(event, "task_added"), "task"));
    else if (strcmp(type, "TASK_UPDATED") == 0)
        task_updated(m, json_object_get(event, "task_updated"));
    else if (strcmp(type, "AGENT_ADDED") == 0)
        agent_set(
            m, json_object_get(json_object_get(event, "agent_added"), "agent"));
    else if (strcmp(type, "AGENT_REMOVED") == 0)
        agent_remove(
            m, cr_json_id(json_object_get(event, "agent_removed"), "agent_id"));
    else if (strcmp(type, "FRAMEWORK_ADDED") == 0)
        fw_set(m, json_object_get(json_object_get(event, "framework_added"),
                                  "framework"));
    else if (strcmp(type, "FRAMEWORK_UPDATED") == 0)
        fw_set(m, json_object_get(json_object_get(event, "framework_updated"),
                                  "framework"));
    else if (strcmp(type, "FRAMEWORK_REMOVED") == 0)
        fw_remove(m,
                  json_object_get(json_object_get(event, "framework_removed"),
                                  "framework_info"));
    else
        return false;
    return true;
}

bool
top_model_ready(const struct top_model *m)
{
    return m->ready;
}

double
top_model_heartbeat(const struct top_model *m)
{
    return m->heartbeat;
}

/* ---- rendering -----------------------------------------------------------
 */

struct render {
    struct cr_buf *out;
    const struct top_view *v;
    size_t lines;
    int rc;
};

enum line_kind { LINE_PLAIN, LINE_TITLE, LINE_HEADING };

/* Bytes of s (len bytes) that fit in cols columns (UTF-8 aware). */
static size_t
fit(const char *s, size_t len, size_t cols)
{
    size_t used = 0;
    for (size_t i = 0; i < len; i++) {
        if (((unsigned char)s[i] & 0xC0) == 0x80)
            continue; /* a continuation byte */
        if (used == cols)
            return i;
        used++;
    }
    return len;
}

static void
emit(struct render *r, enum line_kind kind, const char *s, size_t len)
{
    const struct top_view *v = r->v;
    if (r->rc != 0 || (v->height > 0 && r->lines >= v->height))
        return;
    r->lines++;
    if (v->width > 1)
        len = fit(s, len, v->width - 1); /* the last column would wrap */
    static const char *const on[] = {"", "\033[7m", "\033[1m"};
    if (v->ansi && kind != LINE_PLAIN)
        r->rc = cr_buf_puts(r->out, on[kind]);
    if (r->rc == 0)
        r->rc = cr_buf_append(r->out, s, len);
    if (r->rc == 0 && v->ansi)
        r->rc = cr_buf_puts(r->out,
                            kind != LINE_PLAIN ? "\033[0m\033[K" : "\033[K");
    bool last = v->height > 0 && r->lines == v->height;
    if (r->rc == 0 && !(v->ansi && last))
        r->rc = cr_buf_puts(r->out, "\n"); /* raw mode keeps ONLCR */
}

static void emitf(struct render *r, enum line_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
emitf(struct render *r, enum line_kind kind, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    emit(r, kind, line,
         (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

/* Emit a rendered table, and "... N more" when rows were left out. */
static void
emit_table(struct render *r, struct cli_table *t, size_t more)
{
    struct cr_buf b;
    cr_buf_init(&b, 64u << 20);
    if (cli_table_render(t, &b) == 0 && b.len > 0) {
        const char *p = b.data, *end = b.data + b.len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
            emit(r, LINE_PLAIN, p, len);
            p += len + 1;
        }
    }
    cr_buf_fini(&b);
    cli_table_fini(t);
    if (more > 0)
        emitf(r, LINE_PLAIN, "... %zu more", more);
}

/* ---- sections ------------------------------------------------------------
 */

static int
cmp_agents(const void *x, const void *y)
{
    const struct top_agent *a = *(struct top_agent *const *)x;
    const struct top_agent *b = *(struct top_agent *const *)y;
    int c =
        strcmp(a->hostname ? a->hostname : "", b->hostname ? b->hostname : "");
    if (c == 0)
        c = (a->port > b->port) - (a->port < b->port);
    return c ? c : strcmp(a->id, b->id);
}

static int
cmp_fws(const void *x, const void *y)
{
    const struct top_fw *a = *(struct top_fw *const *)x;
    const struct top_fw *b = *(struct top_fw *const *)y;
    return strcmp(a->id, b->id);
}

static int
cmp_tasks(const void *x, const void *y)
{
    const struct top_task *a = *(struct top_task *const *)x;
    const struct top_task *b = *(struct top_task *const *)y;
    int c = strcmp(a->fw_id, b->fw_id);
    return c ? c : strcmp(a->task_id, b->task_id);
}

/* Fill the agents' and frameworks' scratch sums from the live tasks. */
static void
sum_usage(struct top_model *m)
{
    struct top_agent *a, *at;
    HASH_ITER(hh, m->agents, a, at)
    {
        memset(a->used, 0, sizeof(a->used));
        a->ntasks = 0;
    }
    struct top_fw *f, *ft;
    HASH_ITER(hh, m->fws, f, ft)
    {
        memset(f->used, 0, sizeof(f->used));
        f->ntasks = 0;
    }
    struct top_task *t, *tt;
    HASH_ITER(hh, m->tasks, t, tt)
    {
        if (cli_task_state_is_terminal(t->state))
            continue;
        a = NULL;
        f = NULL;
        if (t->agent_id)
            HASH_FIND_STR(m->agents, t->agent_id, a);
        HASH_FIND_STR(m->fws, t->fw_id, f);
        for (size_t k = 0; k < NRES; k++) {
            if (a)
                a->used[k] += t->res[k];
            if (f)
                f->used[k] += t->res[k];
        }
        if (a)
            a->ntasks++;
        if (f)
            f->ntasks++;
    }
}

/* "tasks live   STAGING 0  ..." or "tasks ended  FINISHED 0  ...": the
 * common states always, the others when some task is in them. */
static void
emit_states(struct render *r, const struct top_model *m, bool ended)
{
    char line[512];
    int n =
        snprintf(line, sizeof(line), "tasks %-5s", ended ? "ended" : "live");
    for (size_t k = 0; k < CLI_TASK_STATES; k++) {
        if (cli_task_state_is_terminal(k) != ended)
            continue;
        bool always = k <= 3 || (k >= 6 && k <= 9);
        if ((always || m->counts[k] > 0) && n > 0 && (size_t)n < sizeof(line))
            n += snprintf(line + n, sizeof(line) - (size_t)n, "  %s %zu",
                          cli_task_states[k] + 5, m->counts[k]);
    }
    emitf(r, LINE_PLAIN, "%s", line);
}

static void
emit_summary(struct render *r, const struct top_model *m)
{
    size_t active = 0;
    double used[NRES] = {0}, total[NRES] = {0};
    struct top_agent *a, *at;
    HASH_ITER(hh, m->agents, a, at)
    {
        active += a->active;
        for (size_t k = 0; k < NRES; k++) {
            used[k] += a->used[k];
            total[k] += a->total[k];
        }
    }
    emitf(r, LINE_PLAIN,
          "agents %zu (%zu active)   frameworks %zu (%zu completed)   "
          "tasks %zu live",
          m->nagents, active, m->nfws, m->completed_fws, m->nlive);
    char line[512];
    int n = snprintf(line, sizeof(line), "used/total");
    for (size_t k = 0; k < NRES && n > 0 && (size_t)n < sizeof(line); k++)
        if (k < 3 || total[k] > 0)
            n += snprintf(line + n, sizeof(line) - (size_t)n, "   %s %g/%g",
                          res_names[k], used[k], total[k]);
    emitf(r, LINE_PLAIN, "%s", line);
    emit_states(r, m, false);
    emit_states(r, m, true);
    if (m->untracked > 0)
        emitf(r, LINE_PLAIN, "(%zu live tasks untracked)", m->untracked);
}

/* How many lines each of the n sections may use (rows plus a "more"
 * line), given the lines already used. */
static void
plan_sections(const struct top_view *v, size_t used, const size_t *need,
              size_t *slots, size_t n)
{
    size_t fixed = used + 3 * n; /* blank, heading, table header */
    size_t avail = v->height > fixed ? v->height - fixed : 0;
    for (size_t i = 0; i < n; i++) {
        if (v->height == 0) {
            slots[i] = need[i];
            continue;
        }
        size_t reserve = 0;
        for (size_t j = i + 1; j < n; j++)
            reserve += need[j] < 3 ? need[j] : 3;
        size_t room = avail > reserve ? avail - reserve : 0;
        slots[i] = need[i] < room ? need[i] : room;
        avail -= slots[i];
    }
}

/* Rows to show for need rows in slots lines (one goes to "more"). */
static size_t
rows_shown(size_t need, size_t slots)
{
    return slots >= need ? need : (slots > 0 ? slots - 1 : 0);
}

static void
fmt_pair(char *b, size_t n, double u, double t)
{
    snprintf(b, n, "%g/%g", u, t);
}

static void
emit_agents(struct render *r, struct top_model *m, size_t slots)
{
    static const char *const hdr[] = {"ID",    "HOSTNAME", "PORT", "ACTIVE",
                                      "TASKS", "CPUS",     "MEM",  "DISK"};
    struct top_agent **v = cr_xcalloc(m->nagents + 1, sizeof(*v));
    size_t n = 0;
    struct top_agent *a, *at;
    HASH_ITER(hh, m->agents, a, at) v[n++] = a;
    qsort(v, n, sizeof(*v), cmp_agents);
    size_t show = rows_shown(n, slots);
    struct cli_table t;
    cli_table_init(&t, 8, hdr);
    for (size_t i = 0; i < show; i++) {
        char port[16], ntasks[24], res[3][64];
        a = v[i];
        snprintf(port, sizeof(port), "%d", a->port);
        snprintf(ntasks, sizeof(ntasks), "%zu", a->ntasks);
        for (size_t k = 0; k < 3; k++)
            fmt_pair(res[k], sizeof(res[k]), a->used[k], a->total[k]);
        const char *row[] = {
            a->id,  a->hostname, port,   a->active ? "true" : "false",
            ntasks, res[0],      res[1], res[2]};
        cli_table_add(&t, row);
    }
    free(v);
    emit(r, LINE_PLAIN, "", 0);
    emitf(r, LINE_HEADING, "AGENTS (%zu)", n);
    emit_table(r, &t, n - show);
}

static void
emit_frameworks(struct render *r, struct top_model *m, size_t slots)
{
    static const char *const hdr[] = {"ID",        "NAME",  "USER", "ACTIVE",
                                      "CONNECTED", "TASKS", "CPUS", "MEM"};
    struct top_fw **v = cr_xcalloc(m->nfws + 1, sizeof(*v));
    size_t n = 0;
    struct top_fw *f, *ft;
    HASH_ITER(hh, m->fws, f, ft) v[n++] = f;
    qsort(v, n, sizeof(*v), cmp_fws);
    size_t show = rows_shown(n, slots);
    struct cli_table t;
    cli_table_init(&t, 8, hdr);
    for (size_t i = 0; i < show; i++) {
        char ntasks[24], cpus[32], mem[32];
        f = v[i];
        snprintf(ntasks, sizeof(ntasks), "%zu", f->ntasks);
        snprintf(cpus, sizeof(cpus), "%g", f->used[0]);
        snprintf(mem, sizeof(mem), "%g", f->used[1]);
        const char *row[] = {f->id,
                             f->name,
                             f->user,
                             f->active ? "true" : "false",
                             f->connected ? "true" : "false",
                             ntasks,
                             cpus,
                             mem};
        cli_table_add(&t, row);
    }
    free(v);
    emit(r, LINE_PLAIN, "", 0);
    emitf(r, LINE_HEADING, "FRAMEWORKS (%zu)", n);
    emit_table(r, &t, n - show);
}

static void
emit_tasks(struct render *r, struct top_model *m, size_t slots)
{
    static const char *const hdr[] = {"ID", "FRAMEWORK", "AGENT", "STATE",
                                      "NAME"};
    struct top_task **v = cr_xcalloc(m->nlive + 1, sizeof(*v));
    size_t n = 0;
    struct top_task *t, *tt;
    HASH_ITER(hh, m->tasks, t, tt)
    {
        if (!cli_task_state_is_terminal(t->state) && n < m->nlive)
            v[n++] = t;
    }
    qsort(v, n, sizeof(*v), cmp_tasks);
    size_t show = rows_shown(n, slots);
    struct cli_table tab;
    cli_table_init(&tab, 5, hdr);
    for (size_t i = 0; i < show; i++) {
        const char *row[] = {v[i]->task_id, v[i]->fw_id, v[i]->agent_id,
                             cli_task_states[v[i]->state], v[i]->name};
        cli_table_add(&tab, row);
    }
    free(v);
    emit(r, LINE_PLAIN, "", 0);
    emitf(r, LINE_HEADING, "TASKS (%zu live)", n);
    emit_table(r, &tab, n - show);
}

int
top_model_render(struct top_model *m, const struct top_view *v,
                 struct cr_buf *out)
{
    struct render r = {.out = out, .v = v};
    if (v->ansi)
        r.rc = cr_buf_puts(out, "\033[H");
    if (v->title)
        emit(&r, LINE_TITLE, v->title, strlen(v->title));
    sum_usage(m);
    emit_summary(&r, m);
    size_t need[3] = {m->nagents, m->nfws, m->nlive}, slots[3];
    plan_sections(v, r.lines, need, slots, 3);
    emit_agents(&r, m, slots[0]);
    emit_frameworks(&r, m, slots[1]);
    emit_tasks(&r, m, slots[2]);
    if (r.rc == 0 && v->ansi)
        r.rc = cr_buf_puts(out, "\033[J");
    return r.rc;
}
