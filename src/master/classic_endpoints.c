/* SPDX-License-Identifier: Apache-2.0
 *
 * classic_endpoints.c: the master's classic (v0) JSON endpoints beyond
 * /health, /version and /flags (reference §3.4), each also under the
 * /master prefix and with ?jsonp=:
 *
 *   GET  /state, /state.json          whole state (state_doc.h, sliced)
 *   GET  /frameworks[?framework_id=]  frameworks, completed_frameworks,
 *                                     unregistered_frameworks ([])
 *   GET  /slaves[?slave_id=]          slaves (with upstream's *_full
 *                                     resources), recovered_slaves
 *   GET  /tasks?limit=100&offset=0&order=desc&framework_id=&task_id=
 *                                     live and completed tasks, sorted by
 *                                     their first status's timestamp
 *   GET  /roles                       roles: name, weight, resources
 *                                     (allocated + offered), frameworks
 *   POST /teardown                    form body frameworkId=<id>
 *
 * Status codes as upstream: 307/503 on a standby or while recovering for
 * all but /state (which any master serves: the web UI finds the leader
 * through it); /teardown answers 405 to other methods, 400 without
 * frameworkId or for an unknown framework (upstream never answers 404
 * there), 200 with an empty body once the framework is torn down. Where
 * upstream silently falls back to defaults on bad input (/tasks limit,
 * offset, order) we answer 400; an invalid jsonp callback is 400 too.
 * Other methods than GET/HEAD on the GET endpoints: 405.
 *
 * /tasks and /roles are computed in one go: O(tasks) (/tasks keeps only
 * the offset+limit best candidates in a heap, O(tasks log k)); the big
 * documents go through state_serve().
 *
 * Loop thread only.
 */
#include "allocator.h"
#include "base/err.h"
#include "base/json.h"
#include "base/jsonw.h"
#include "base/log.h"
#include "base/mem.h"
#include "registrar.h"
#include "registry.h"
#include "state_doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ID_MAX              1024
#define TASKS_DEFAULT_LIMIT 100
/* Largest limit or offset accepted (bounded input). */
#define TASKS_MAX_PARAM 1000000000L

bool
classic_owns(const char *path)
{
    static const char *const paths[] = {
        "/state", "/state.json", "/frameworks", "/slaves",
        "/tasks", "/roles",      "/teardown"};
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (strcmp(path, paths[i]) == 0)
            return true;
    return false;
}

/* Answer a small document written with w into b (jsonp wrapped). */
static void
respond_doc(struct cr_http_req *req, struct cr_buf *b, const char *jsonp)
{
    if (*jsonp)
        (void)cr_buf_puts(b, ");");
    cr_http_respond(req, 200, *jsonp ? "text/javascript" : "application/json",
                    b->data, b->len, NULL);
}

static void
begin_doc(struct cr_buf *b, struct cr_jsonw *w, const char *jsonp)
{
    cr_buf_init(b, STATE_DOC_MAX);
    if (*jsonp)
        (void)cr_buf_printf(b, "%s(", jsonp);
    cr_jsonw_init(w, b);
}

/* An optional id parameter: 0 (out "" when absent), or -1 (too long). */
static int
id_param(const struct cr_http_req *req, const char *name, char *out)
{
    int rc = cr_http_query_param(req->query, name, out, ID_MAX);
    if (rc == CR_ENOTFOUND) {
        *out = '\0';
        return 0;
    }
    return rc == 0 ? 0 : -1;
}

/* ---- /tasks -------------------------------------------------------------- */

struct cand {
    double ts;   /* first status's timestamp */
    bool has_ts; /* upstream puts tasks without statuses first (asc) or
                    last (desc) */
    size_t seq;  /* discovery order: ties keep it */
    struct mtask *live;
    const json_t *done; /* a completed task (v0 JSON) */
};

/* < 0 when a comes before b in the answer. */
static int
cand_cmp(const struct cand *a, const struct cand *b, bool asc)
{
    if (a->has_ts != b->has_ts)
        return (a->has_ts ? 1 : -1) * (asc ? 1 : -1);
    if (a->has_ts && a->ts != b->ts)
        return (a->ts < b->ts ? -1 : 1) * (asc ? 1 : -1);
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* The k first candidates in answer order: a heap whose root is the worst
 * kept one. */
struct topk {
    struct cand *v;
    size_t n, cap, k;
    bool asc;
    size_t seq;
};

static bool
worse(const struct topk *h, size_t i, size_t j)
{
    return cand_cmp(&h->v[i], &h->v[j], h->asc) > 0;
}

static void
swap_cand(struct topk *h, size_t i, size_t j)
{
    struct cand t = h->v[i];
    h->v[i] = h->v[j];
    h->v[j] = t;
}

static void
sift_down(struct topk *h, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, w = i;
        if (l < h->n && worse(h, l, w))
            w = l;
        if (r < h->n && worse(h, r, w))
            w = r;
        if (w == i)
            return;
        swap_cand(h, i, w);
        i = w;
    }
}

static void
topk_offer(struct topk *h, struct cand c)
{
    c.seq = h->seq++;
    if (h->k == 0)
        return;
    if (h->n < h->k) {
        if (h->n == h->cap) {
            h->cap = h->cap ? h->cap * 2 : 256;
            h->v = cr_xrealloc(h->v, h->cap * sizeof(*h->v));
        }
        size_t i = h->n++;
        h->v[i] = c;
        while (i > 0 && worse(h, i, (i - 1) / 2)) {
            swap_cand(h, i, (i - 1) / 2);
            i = (i - 1) / 2;
        }
        return;
    }
    if (cand_cmp(&c, &h->v[0], h->asc) < 0) {
        h->v[0] = c;
        sift_down(h, 0);
    }
}

static int
qsort_cmp(const void *a, const void *b, void *asc)
{
    return cand_cmp(a, b, *(const bool *)asc);
}

static bool
first_timestamp(const json_t *statuses, double *ts)
{
    return cr_json_num(json_array_get(statuses, 0), "timestamp", ts);
}

static void
offer_done_tasks(struct topk *h, const json_t *tasks, const char *task_id)
{
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t)
    {
        const char *id = cr_json_str(t, "id");
        if (*task_id && (id == NULL || strcmp(id, task_id) != 0))
            continue;
        struct cand c = {.done = t};
        c.has_ts = first_timestamp(json_object_get(t, "statuses"), &c.ts);
        topk_offer(h, c);
    }
}

/* Parse a non-negative integer parameter (default def). 0 or -1. */
static int
count_param(const struct cr_http_req *req, const char *name, long def,
            long *out)
{
    char v[32];
    int rc = cr_http_query_param(req->query, name, v, sizeof(v));
    if (rc == CR_ENOTFOUND) {
        *out = def;
        return 0;
    }
    if (rc != 0 || *v == '\0')
        return -1;
    char *end;
    long n = strtol(v, &end, 10);
    if (*end != '\0' || n < 0 || n > TASKS_MAX_PARAM || v[0] == '+' ||
        v[0] == ' ')
        return -1;
    *out = n;
    return 0;
}

static void
handle_tasks(struct master *m, struct cr_http_req *req, const char *jsonp)
{
    long limit, offset;
    char order[16], fw_id[ID_MAX], task_id[ID_MAX];
    int orc = cr_http_query_param(req->query, "order", order, sizeof(order));
    if (count_param(req, "limit", TASKS_DEFAULT_LIMIT, &limit) != 0) {
        cr_http_respond_text(req, 400,
                             "Invalid 'limit': expecting a "
                             "non-negative integer");
        return;
    }
    if (count_param(req, "offset", 0, &offset) != 0) {
        cr_http_respond_text(req, 400,
                             "Invalid 'offset': expecting a "
                             "non-negative integer");
        return;
    }
    if (orc == CR_ENOTFOUND)
        snprintf(order, sizeof(order), "desc");
    if (orc == CR_ETOOBIG ||
        (strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0)) {
        cr_http_respond_text(req, 400,
                             "Invalid 'order': expecting 'asc' or 'desc'");
        return;
    }
    if (id_param(req, "framework_id", fw_id) != 0 ||
        id_param(req, "task_id", task_id) != 0) {
        cr_http_respond_text(req, 400, "Invalid 'framework_id' or 'task_id'");
        return;
    }
    struct topk h = {.asc = strcmp(order, "asc") == 0,
                     .k = (size_t)offset + (size_t)limit};
    for (struct mframework *f = m->frameworks; f; f = f->hh.next) {
        if (*fw_id && strcmp(f->id, fw_id) != 0)
            continue;
        for (struct mtask *t = f->tasks; t; t = t->fw_next) {
            if (*task_id && strcmp(t->task_id, task_id) != 0)
                continue;
            struct cand c = {.live = t};
            c.has_ts = first_timestamp(t->statuses, &c.ts);
            topk_offer(&h, c);
        }
        offer_done_tasks(&h, f->completed_tasks, task_id);
    }
    size_t i;
    json_t *c;
    json_array_foreach(m->completed_frameworks, i, c)
    {
        const char *id = cr_json_str(c, "id");
        if (*fw_id && (id == NULL || strcmp(id, fw_id) != 0))
            continue;
        offer_done_tasks(&h, json_object_get(c, "tasks"), task_id);
        offer_done_tasks(&h, json_object_get(c, "completed_tasks"), task_id);
    }
    if (h.n > 1)
        qsort_r(h.v, h.n, sizeof(*h.v), qsort_cmp, &h.asc);

    struct cr_buf b;
    struct cr_jsonw w;
    begin_doc(&b, &w, jsonp);
    cr_jsonw_object(&w);
    cr_jsonw_key(&w, "tasks");
    cr_jsonw_array(&w);
    for (size_t k = (size_t)offset; k < h.n; k++) {
        if (h.v[k].live)
            state_write_v0_task_cached(&w, h.v[k].live);
        else
            cr_jsonw_value(&w, h.v[k].done);
    }
    cr_jsonw_array_end(&w);
    cr_jsonw_object_end(&w);
    free(h.v);
    if (cr_jsonw_error(&w))
        cr_http_respond_text(req, 500, "Response too large");
    else
        respond_doc(req, &b, jsonp);
    cr_buf_fini(&b);
}

/* ---- /roles -------------------------------------------------------------- */

struct role_entry {
    char *name;
    struct cr_resources res; /* allocated + offered */
    json_t *frameworks;      /* array of framework ids */
    UT_hash_handle hh;
};

static struct role_entry *
role_get(struct role_entry **roles, const char *name)
{
    struct role_entry *r = NULL;
    HASH_FIND_STR(*roles, name, r);
    if (r == NULL) {
        r = cr_xcalloc(1, sizeof(*r));
        r->name = cr_xstrdup(name);
        cr_resources_init(&r->res);
        r->frameworks = json_array();
        HASH_ADD_KEYPTR(hh, *roles, r->name, strlen(r->name), r);
    }
    return r;
}

static int
role_cmp(const void *a, const void *b)
{
    const struct role_entry *x = a, *y = b;
    return strcmp(x->name, y->name);
}

/* Roles upstream knows: whitelisted (--roles), weighted, subscribed to by
 * a framework, or holding resources. */
static void
collect_roles(struct master *m, struct role_entry **roles)
{
    if (m->flags.roles) {
        char *copy = cr_xstrdup(m->flags.roles), *save = NULL;
        for (char *r = strtok_r(copy, ",", &save); r;
             r = strtok_r(NULL, ",", &save))
            if (*r)
                role_get(roles, r);
        free(copy);
    }
    const struct registry *reg =
        m->registrar ? registrar_registry(m->registrar) : NULL;
    for (const struct registry_weight *w = reg ? reg->weights : NULL; w;
         w = w->hh.next)
        role_get(roles, w->role);
    if (m->flags.weights) {
        struct registry_op op;
        master_parse_weights(m->flags.weights, &op);
        for (size_t i = 0; i < op.n_weights; i++)
            role_get(roles, op.weights[i].role);
        registry_op_fini(&op);
    }
    for (struct mframework *f = m->frameworks; f; f = f->hh.next)
        for (size_t i = 0; i < f->n_roles; i++)
            json_array_append_new(role_get(roles, f->roles[i])->frameworks,
                                  json_string(f->id));
    for (struct mtask *t = m->tasks; t; t = t->hh.next)
        if (!t->resources_released)
            cr_resources_add(&role_get(roles, t->role)->res, &t->res);
    for (struct moffer *o = m->offers; o; o = o->hh.next)
        cr_resources_add(&role_get(roles, o->role)->res, &o->res);
}

static void
handle_roles(struct master *m, struct cr_http_req *req, const char *jsonp)
{
    struct role_entry *roles = NULL;
    collect_roles(m, &roles);
    HASH_SORT(roles, role_cmp);
    struct cr_buf b;
    struct cr_jsonw w;
    begin_doc(&b, &w, jsonp);
    cr_jsonw_object(&w);
    cr_jsonw_key(&w, "roles");
    cr_jsonw_array(&w);
    struct role_entry *r, *tmp;
    HASH_ITER(hh, roles, r, tmp)
    {
        cr_jsonw_object(&w);
        cr_jsonw_kstring(&w, "name", r->name);
        cr_jsonw_kreal(&w, "weight",
                       allocator_get_weight(m->allocator, r->name));
        cr_jsonw_key(&w, "resources");
        state_write_v0_resources(&w, &r->res);
        cr_jsonw_kvalue(&w, "frameworks", r->frameworks);
        cr_jsonw_object_end(&w);
        HASH_DEL(roles, r);
        cr_resources_fini(&r->res);
        json_decref(r->frameworks);
        free(r->name);
        free(r);
    }
    cr_jsonw_array_end(&w);
    cr_jsonw_object_end(&w);
    if (cr_jsonw_error(&w))
        cr_http_respond_text(req, 500, "Response too large");
    else
        respond_doc(req, &b, jsonp);
    cr_buf_fini(&b);
}

/* ---- /teardown ----------------------------------------------------------- */

static void
handle_teardown(struct master *m, struct cr_http_req *req)
{
    if (strcmp(req->method, "POST") != 0) {
        cr_http_respond(req, 405, "text/plain; charset=utf-8", "Expecting POST",
                        14, "Allow: POST\r\n");
        return;
    }
    char id[ID_MAX];
    int rc = cr_http_query_param(req->body, "frameworkId", id, sizeof(id));
    if (rc == CR_ENOTFOUND || (rc == 0 && *id == '\0')) {
        cr_http_respond_text(req, 400,
                             "Missing 'frameworkId' query "
                             "parameter in the request body");
        return;
    }
    if (rc != 0) {
        cr_http_respond_text(req, 400, "Invalid 'frameworkId'");
        return;
    }
    struct mframework *f = framework_find(m, id);
    if (f == NULL) {
        cr_http_respond_text(req, 400, "No framework found with specified ID");
        return;
    }
    cr_info("framework %s torn down through /master/teardown by %s", id,
            req->peer);
    framework_remove(m, f, "teardown by the operator");
    cr_http_respond(req, 200, NULL, NULL, 0, NULL);
}

/* ---- dispatch ------------------------------------------------------------ */

void
classic_handle(struct master *m, struct cr_http_req *req, const char *path)
{
    bool state =
        strcmp(path, "/state") == 0 || strcmp(path, "/state.json") == 0;
    if (!state && master_is_recovering(m)) {
        cr_http_respond_text(req, 503, "Master has not finished recovery");
        return;
    }
    if (!state && !master_is_leader(m)) {
        master_redirect(m, req, true);
        return;
    }
    if (strcmp(path, "/teardown") == 0) {
        handle_teardown(m, req);
        return;
    }
    if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        cr_http_respond(req, 405, "text/plain; charset=utf-8", "Expecting GET",
                        13, "Allow: GET, HEAD\r\n");
        return;
    }
    char jsonp[STATE_JSONP_MAX];
    if (state_jsonp_param(req, jsonp) < 0) {
        cr_http_respond_text(req, 400, "Invalid jsonp callback name");
        return;
    }
    char id[ID_MAX];
    if (state) {
        state_serve(m, req, STATE_DOC_STATE, NULL, jsonp);
    } else if (strcmp(path, "/frameworks") == 0) {
        if (id_param(req, "framework_id", id) != 0)
            cr_http_respond_text(req, 400, "Invalid 'framework_id'");
        else
            state_serve(m, req, STATE_DOC_FRAMEWORKS, id, jsonp);
    } else if (strcmp(path, "/slaves") == 0) {
        if (id_param(req, "slave_id", id) != 0)
            cr_http_respond_text(req, 400, "Invalid 'slave_id'");
        else
            state_serve(m, req, STATE_DOC_SLAVES, id, jsonp);
    } else if (strcmp(path, "/tasks") == 0) {
        handle_tasks(m, req, jsonp);
    } else {
        handle_roles(m, req, jsonp);
    }
}
