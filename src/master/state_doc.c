/* SPDX-License-Identifier: Apache-2.0
 *
 * state_doc.c: the documents of state_doc.h as resumable state machines.
 *
 * A document is a sequence of phases; each call of unit() does one small
 * unit of work (one agent, one task, one completed task, one framework's
 * head or tail, one member of a completed framework) and moves the
 * cursors, so state_doc_step() can stop after any unit. Between units no
 * pointer to a live object is kept: agents and frameworks are snapshotted
 * as id lists (one arena each) and found again by id when their unit
 * runs; tasks are snapshotted by address, and a task freed meanwhile
 * keeps its (emptied) struct, marked gone, until every document open
 * when it was freed is freed too (state_doc_keep_task()). Whatever is gone is
 * skipped. A task's entry is copied from its cached encoding (master.h) when it
 * has one.
 *
 * The phases, per kind:
 *   STATE      BEGIN AGENTS FRAMEWORKS (FW_TASKS FW_DONE FW_TAIL)*
 *              COMPLETED END
 *   FRAMEWORKS BEGIN FRAMEWORKS (FW_TASKS FW_DONE FW_TAIL)* COMPLETED END
 *   SLAVES     BEGIN AGENTS RECOVERED END
 *   GET_STATE  BEGIN V1_SNAP V1_TASKS V1_DONE_LIVE V1_DONE_GONE
 *              V1_EXECUTORS V1_FRAMEWORKS V1_FRAMEWORKS_GONE V1_AGENTS
 *   SUBSCRIBED as GET_STATE, inside the SUBSCRIBED event's wrapper
 *
 * Costs: a unit is O(its entry); task lists are snapshotted in chunks of
 * STATE_SNAPSHOT_CHUNK tasks (snapshot_step()) and the agent, framework
 * and offer tables walked in chunks of as many (walk_step(); the offers
 * are grouped by framework / agent once per document, so no entry scans
 * all offers).
 *
 * Loop thread only.
 */
#include "state_doc.h"

#include "base/clock.h"
#include "base/err.h"
#include "base/json.h"
#include "base/mem.h"
#include "operator_api.h"
#include "registrar.h"
#include "registry.h"

#include <stdlib.h>
#include <string.h>

/* Units between two looks at the clock. */
#define UNITS_PER_CLOCK_CHECK 8

/* ---- id lists --------------------------------------------------------- */

/* Strings copied back to back into one arena. */
struct id_list {
    struct cr_buf text;
    size_t *off;
    size_t n, cap;
};

static void
ids_init(struct id_list *l)
{
    memset(l, 0, sizeof(*l));
    cr_buf_init(&l->text, SIZE_MAX / 2);
}

static void
ids_push(struct id_list *l, const char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->off = cr_xrealloc(l->off, l->cap * sizeof(*l->off));
    }
    l->off[l->n++] = l->text.len;
    (void)cr_buf_append(&l->text, s, strlen(s) + 1);
}

static const char *
ids_get(const struct id_list *l, size_t i)
{
    return l->text.data + l->off[i];
}

static void
ids_clear(struct id_list *l)
{
    cr_buf_reset(&l->text);
    l->n = 0;
}

static void
ids_fini(struct id_list *l)
{
    cr_buf_fini(&l->text);
    free(l->off);
    l->off = NULL;
    l->n = l->cap = 0;
}

/* ---- task references ------------------------------------------------- */

/* A task seen when a phase started, by address. Its struct stays
 * readable while this document is open: a task freed
 * meanwhile is emptied and kept, marked gone (state_doc_keep_task()), so
 * task_live() needs one read of the task, which writing it needs anyway.
 * (Before: a walk of the task's hash bucket per task, a quarter of the
 * writer's time at 200k tasks.) */
struct task_refs {
    struct mtask **v;
    size_t n, cap;
};

static void
refs_push(struct task_refs *r, struct mtask *t)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? r->cap * 2 : 256;
        r->v = cr_xrealloc(r->v, r->cap * sizeof(*r->v));
    }
    r->v[r->n++] = t;
}

static UT_hash_handle *
hh_of(void *elt, size_t hho)
{
    return (UT_hash_handle *)((char *)elt + hho);
}

/* The element of the uthash table `head` (its handle at offset hho) at
 * address addr with hash hashv, if it is still in the table; only live
 * elements are read on the way. */
static void *
elt_live(void *head, size_t hho, uintptr_t addr, unsigned hashv)
{
    if (head == NULL)
        return NULL;
    UT_hash_table *tbl = hh_of(head, hho)->tbl;
    unsigned bkt;
    HASH_TO_BKT(hashv, tbl->num_buckets, bkt);
    for (UT_hash_handle *hh = tbl->buckets[bkt].hh_head; hh; hh = hh->hh_next)
        if (hh->hashv == hashv && (uintptr_t)ELMT_FROM_HH(tbl, hh) == addr)
            return ELMT_FROM_HH(tbl, hh);
    return NULL;
}

static struct mtask *
task_live(struct master *m, const struct task_refs *r, size_t i)
{
    (void)m;
    return r->v[i]->gone_at ? NULL : r->v[i];
}

/* Restarts of a snapshot (the last task taken was removed meanwhile)
 * before the rest is taken in one unit. */
#define SNAPSHOT_RESTARTS 3

size_t state_doc_snapshot_chunk = STATE_SNAPSHOT_CHUNK;

/* ---- offers grouped by owner (framework or agent id) ------------------ */

struct offer_group {
    char *owner;
    struct id_list ids;
    UT_hash_handle hh;
};

static void
group_add(struct offer_group **g, const char *owner, const char *offer_id)
{
    struct offer_group *e = NULL;
    HASH_FIND_STR(*g, owner, e);
    if (e == NULL) {
        e = cr_xcalloc(1, sizeof(*e));
        e->owner = cr_xstrdup(owner);
        ids_init(&e->ids);
        HASH_ADD_KEYPTR(hh, *g, e->owner, strlen(e->owner), e);
    }
    ids_push(&e->ids, offer_id);
}

static const struct id_list *
groups_get(struct offer_group *g, const char *owner)
{
    struct offer_group *e = NULL;
    HASH_FIND_STR(g, owner, e);
    return e ? &e->ids : NULL;
}

static void
groups_free(struct offer_group **g)
{
    struct offer_group *e, *tmp;
    HASH_ITER(hh, *g, e, tmp)
    {
        HASH_DEL(*g, e);
        ids_fini(&e->ids);
        free(e->owner);
        free(e);
    }
}

/* ---- the document ----------------------------------------------------- */

/* Resources per role, roles in the order they first appear. */
struct role_res {
    const char *role; /* borrowed from a live task or agent */
    struct cr_resources res;
};

/* allocated_resources lists at most this many roles per entry (one agent
 * or framework with more is not a case this bounded code serves exactly:
 * the rest are left out). */
#define MAX_ROLES_LISTED 256

/* A walk over a uthash table in insertion order, resumable across units
 * (walk_step()). */
struct walk {
    bool active;
    unsigned restarts;
    uintptr_t last; /* address of the last element visited, 0: none */
    unsigned last_hashv;
};

/* Snapshots a phase needs before its units run (done in chunks by
 * prep_unit(), lowest bit first). */
enum {
    PREP_AGENTS = 1 << 0,       /* d->agents, d->n_active/inactive */
    PREP_FRAMEWORKS = 1 << 1,   /* d->fws */
    PREP_OFFERS_BY_FW = 1 << 2, /* d->offers_by_fw */
    PREP_OFFERS_BY_AGENT = 1 << 3,
};

enum phase {
    PH_BEGIN,
    PH_AGENTS,
    PH_RECOVERED,
    PH_FRAMEWORKS,
    PH_FW_TASKS,
    PH_FW_DONE,
    PH_FW_TAIL,
    PH_COMPLETED,
    PH_V1_SNAP,
    PH_V1_TASKS,
    PH_V1_DONE_LIVE,
    PH_V1_DONE_GONE,
    PH_V1_EXECUTORS,
    PH_V1_FRAMEWORKS,
    PH_V1_FRAMEWORKS_GONE,
    PH_V1_AGENTS,
    PH_END,
    PH_DONE,
};

struct state_doc {
    uint64_t seq;                    /* order of creation (doc_seq) */
    struct state_doc *older, *newer; /* the open documents, by age */
    enum state_doc_kind kind;
    char *filter;
    char jsonp[STATE_JSONP_MAX];
    struct cr_buf out;
    struct cr_jsonw w;
    enum phase phase;
    int error;
    struct id_list agents, fws;
    struct task_refs tasks;
    size_t i, j; /* cursors in the lists (or completed_frameworks) */
    size_t k;    /* cursor in one framework's completed tasks */
    /* A task list being snapshotted (snapshot_step()). */
    bool snapping;
    unsigned restarts;
    struct cr_resources used;
    struct role_res roles[MAX_ROLES_LISTED]; /* used, per allocation role */
    size_t n_roles;
    /* Snapshots of the tables (prep_unit()). */
    unsigned prep;
    struct walk walk;
    long long n_active, n_inactive;
    bool begun;
    struct offer_group *offers_by_fw, *offers_by_agent;
    json_t *executors_seen; /* GET_STATE: "agent\nframework\nexecutor" */
    /* The completed framework being written, member by member (held:
     * it may leave m->completed_frameworks meanwhile), its member cursor,
     * and whether that member's array is being written element by
     * element (cursor k). */
    json_t *done_fw;
    void *done_it;
    bool done_in_array;
};

/* Documents not yet freed, by age (each numbered from doc_seq), and the
 * tasks freed while any was open, oldest first, each marked with the
 * newest document number of its time (t->gone_at): a task may go once
 * every document at least that old has been freed. Two clients polling
 * in turn keep documents open all the time, so waiting for none to be
 * open would let kept tasks pile up. */
static uint64_t doc_seq;
static struct state_doc *docs_oldest, *docs_newest;
static struct mtask *kept_oldest, *kept_newest;

bool
state_doc_keep_task(struct mtask *t)
{
    if (docs_oldest == NULL)
        return false;
    memset(t, 0, sizeof(*t));
    t->gone_at = doc_seq;
    if (kept_newest)
        kept_newest->fw_next = t;
    else
        kept_oldest = t;
    kept_newest = t;
    return true;
}

size_t
state_doc_kept_tasks(void)
{
    size_t n = 0;
    for (struct mtask *t = kept_oldest; t; t = t->fw_next)
        n++;
    return n;
}

/* Free the kept tasks no open document can hold. */
static void
free_kept_tasks(void)
{
    uint64_t oldest = docs_oldest ? docs_oldest->seq : UINT64_MAX;
    while (kept_oldest && kept_oldest->gone_at < oldest) {
        struct mtask *t = kept_oldest;
        kept_oldest = t->fw_next;
        free(t);
    }
    if (kept_oldest == NULL)
        kept_newest = NULL;
}

/* The size of the last complete document of each kind: the next one
 * starts with that much room, sparing the buffer's doublings (copies and
 * page faults of each doubling). */
static size_t size_hint[STATE_DOC_SUBSCRIBED + 1];

/* A spent output buffer (state_doc_give_back()), kept for the next
 * document: its pages are already mapped, so writing into it costs no
 * page faults (a fresh 72 MB buffer cost a fifth of the writer's time). */
static struct cr_buf spare;

void
state_doc_drop_spare(void)
{
    cr_buf_fini(&spare);
}

static void
presize(struct cr_buf *b, size_t hint)
{
    size_t cap = hint + hint / 8 + 4096;
    if (hint == 0 || cap > b->max)
        return;
    /* cr_buf's fields are public; its invariants hold: empty, NUL at
     * data[len], cap > len. */
    if (spare.data != NULL && spare.cap >= cap) {
        b->data = spare.data;
        b->cap = spare.cap;
        spare.data = NULL;
        spare.cap = spare.len = 0;
    } else {
        state_doc_drop_spare();
        b->data = cr_xmalloc(cap);
        b->cap = cap;
    }
    b->data[0] = '\0';
}

void
state_doc_give_back(struct state_doc *d)
{
    if (d->out.data == NULL || d->out.cap <= spare.cap)
        return;
    state_doc_drop_spare();
    spare = d->out;
    spare.len = 0;
    cr_buf_init(&d->out, STATE_DOC_MAX);
}

static void roles_clear(struct role_res *acc, size_t *n);

struct state_doc *
state_doc_new(enum state_doc_kind kind, const char *filter_id,
              const char *jsonp)
{
    struct state_doc *d = cr_xcalloc(1, sizeof(*d));
    d->seq = ++doc_seq;
    d->older = docs_newest;
    if (docs_newest)
        docs_newest->newer = d;
    else
        docs_oldest = d;
    docs_newest = d;
    d->kind = kind;
    d->filter = filter_id && *filter_id ? cr_xstrdup(filter_id) : NULL;
    snprintf(d->jsonp, sizeof(d->jsonp), "%s", jsonp ? jsonp : "");
    cr_buf_init(&d->out, STATE_DOC_MAX);
    if (d->filter == NULL)
        presize(&d->out, size_hint[kind]);
    cr_jsonw_init(&d->w, &d->out);
    ids_init(&d->agents);
    ids_init(&d->fws);
    cr_resources_init(&d->used);
    d->phase = PH_BEGIN;
    return d;
}

void
state_doc_free(struct state_doc *d)
{
    if (d == NULL)
        return;
    free(d->filter);
    cr_buf_fini(&d->out);
    ids_fini(&d->agents);
    ids_fini(&d->fws);
    free(d->tasks.v);
    cr_resources_fini(&d->used);
    roles_clear(d->roles, &d->n_roles);
    groups_free(&d->offers_by_fw);
    groups_free(&d->offers_by_agent);
    json_decref(d->executors_seen);
    json_decref(d->done_fw);
    if (d->older)
        d->older->newer = d->newer;
    else
        docs_oldest = d->newer;
    if (d->newer)
        d->newer->older = d->older;
    else
        docs_newest = d->older;
    free(d);
    free_kept_tasks();
}

const struct cr_buf *
state_doc_output(const struct state_doc *d)
{
    return &d->out;
}

enum state_doc_kind
state_doc_kind(const struct state_doc *d)
{
    return d->kind;
}

const char *
state_doc_content_type(const struct state_doc *d)
{
    return *d->jsonp ? "text/javascript" : "application/json";
}

bool
state_doc_same(const struct state_doc *d, enum state_doc_kind kind,
               const char *filter_id, const char *jsonp)
{
    const char *f = filter_id && *filter_id ? filter_id : NULL;
    return d->kind == kind &&
           ((d->filter == NULL && f == NULL) ||
            (d->filter && f && strcmp(d->filter, f) == 0)) &&
           strcmp(d->jsonp, jsonp ? jsonp : "") == 0;
}

static bool
filtered_out(const struct state_doc *d, const char *id)
{
    return d->filter && (id == NULL || strcmp(d->filter, id) != 0);
}

/* Bytes outside the JSON value (the JSONP wrapper). */
static void
raw_text(struct state_doc *d, const char *s)
{
    if (d->w.err == 0 && cr_buf_puts(&d->out, s) != 0)
        d->w.err = CR_ETOOBIG;
}

static void
empty_array(struct cr_jsonw *w, const char *key)
{
    cr_jsonw_key(w, key);
    cr_jsonw_array(w);
    cr_jsonw_array_end(w);
}

/* Add t's resources (unless released) to the sum of its allocation role
 * in acc (n roles so far). */
static void
roles_add(struct role_res *acc, size_t *n, const struct mtask *t)
{
    if (t->resources_released)
        return;
    size_t k = 0;
    while (k < *n && acc[k].role != t->role) /* interned: master.h */
        k++;
    if (k == *n) {
        if (*n == MAX_ROLES_LISTED)
            return;
        acc[k].role = t->role;
        cr_resources_init(&acc[k].res);
        (*n)++;
    }
    cr_resources_add(&acc[k].res, &t->res);
}

static void
roles_clear(struct role_res *acc, size_t *n)
{
    for (size_t k = 0; k < *n; k++)
        cr_resources_fini(&acc[k].res);
    *n = 0;
}

/* Take the next chunk of a task list into d->tasks: a framework's list
 * (fw_list, head f->tasks) or master->tasks in insertion order, summing
 * the unreleased resources into d->used (sums has SNAP_USED: v0's
 * used_resources) and per allocation role into d->roles (SNAP_BY_ROLE:
 * v1's allocated_resources). The first call (d->snapping false) starts
 * at head; later ones continue after the last task taken, found again
 * with task_live().
 * New tasks join a framework's list at its
 * head and master->tasks at its end, and removed ones leave both, so the
 * continuation is exact; if the last task taken is gone the snapshot
 * starts over (after SNAPSHOT_RESTARTS, the rest is taken at once).
 * true when the list is complete. */
enum { SNAP_USED = 1, SNAP_BY_ROLE = 2 }; /* what snapshot_step() sums */

static bool
snapshot_step(struct state_doc *d, struct master *m, struct mtask *head,
              bool fw_list, unsigned sums)
{
    struct mtask *t = head;
    bool restart = !d->snapping;
    if (d->snapping) {
        struct mtask *last =
            d->tasks.n ? task_live(m, &d->tasks, d->tasks.n - 1) : NULL;
        if (last) {
            t = fw_list ? last->fw_next : last->hh.next;
        } else if (d->tasks.n > 0) {
            d->restarts++;
            restart = true;
        }
    } else {
        d->snapping = true;
        d->restarts = 0;
    }
    if (restart) {
        d->tasks.n = 0;
        cr_resources_clear(&d->used);
        roles_clear(d->roles, &d->n_roles);
    }
    size_t budget =
        d->restarts >= SNAPSHOT_RESTARTS ? SIZE_MAX : state_doc_snapshot_chunk;
    for (; t && budget > 0; budget--) {
        refs_push(&d->tasks, t);
        if ((sums & SNAP_USED) && !t->resources_released)
            cr_resources_add(&d->used, &t->res);
        if (sums & SNAP_BY_ROLE)
            roles_add(d->roles, &d->n_roles, t);
        t = fw_list ? t->fw_next : t->hh.next;
    }
    if (t)
        return false;
    d->snapping = false;
    return true;
}

typedef void (*visit_fn)(struct state_doc *d, void *elt);

/* Visit the next chunk of the elements of a uthash table (head; hho: the
 * offset of its UT_hash_handle) in insertion order, continuing after the
 * last one visited, found again by address in its hash bucket (agents,
 * frameworks and offers are freed at once, unlike tasks); new elements are
 * added at the end and removed ones leave, so the continuation is exact.
 * If the last one visited is gone, reset(d) and start over (after
 * SNAPSHOT_RESTARTS restarts, the rest is visited at once). true once
 * every element was visited. */
static bool
walk_step(struct state_doc *d, struct walk *w, void *head, size_t hho,
          visit_fn visit, void (*reset)(struct state_doc *d))
{
    void *e = head;
    if (!w->active) {
        memset(w, 0, sizeof(*w));
        w->active = true;
        reset(d);
    } else if (w->last) {
        void *last = elt_live(head, hho, w->last, w->last_hashv);
        if (last) {
            e = hh_of(last, hho)->next;
        } else {
            w->restarts++;
            w->last = 0;
            reset(d);
        }
    }
    size_t budget =
        w->restarts >= SNAPSHOT_RESTARTS ? SIZE_MAX : state_doc_snapshot_chunk;
    for (; e && budget > 0; budget--) {
        UT_hash_handle *hh = hh_of(e, hho);
        visit(d, e);
        w->last = (uintptr_t)e;
        w->last_hashv = hh->hashv;
        e = hh->next;
    }
    if (e)
        return false;
    w->active = false;
    return true;
}

static void
agents_reset(struct state_doc *d)
{
    ids_clear(&d->agents);
    d->n_active = d->n_inactive = 0;
}

static void
agents_visit(struct state_doc *d, void *elt)
{
    struct magent *a = elt;
    ids_push(&d->agents, a->id);
    if (a->state == AGENT_CONNECTED)
        d->n_active++;
    else
        d->n_inactive++;
}

static void
fws_reset(struct state_doc *d)
{
    ids_clear(&d->fws);
}

static void
fws_visit(struct state_doc *d, void *elt)
{
    ids_push(&d->fws, ((struct mframework *)elt)->id);
}

static void
offers_fw_reset(struct state_doc *d)
{
    groups_free(&d->offers_by_fw);
}

static void
offers_fw_visit(struct state_doc *d, void *elt)
{
    struct moffer *o = elt;
    group_add(&d->offers_by_fw, o->framework_id, o->id);
}

static void
offers_agent_reset(struct state_doc *d)
{
    groups_free(&d->offers_by_agent);
}

static void
offers_agent_visit(struct state_doc *d, void *elt)
{
    struct moffer *o = elt;
    group_add(&d->offers_by_agent, o->agent_id, o->id);
}

/* One chunk of the first snapshot d->prep still asks for. */
static void
prep_unit(struct state_doc *d, struct master *m)
{
    unsigned bit = d->prep & -d->prep;
    bool done = false;
    switch (bit) {
    case PREP_AGENTS:
        done = walk_step(d, &d->walk, m->agents, offsetof(struct magent, hh),
                         agents_visit, agents_reset);
        break;
    case PREP_FRAMEWORKS:
        done = walk_step(d, &d->walk, m->frameworks,
                         offsetof(struct mframework, hh), fws_visit, fws_reset);
        break;
    case PREP_OFFERS_BY_FW:
        done = walk_step(d, &d->walk, m->offers, offsetof(struct moffer, hh),
                         offers_fw_visit, offers_fw_reset);
        break;
    default:
        done = walk_step(d, &d->walk, m->offers, offsetof(struct moffer, hh),
                         offers_agent_visit, offers_agent_reset);
        break;
    }
    if (done)
        d->prep &= ~bit;
}

/* Ask for snapshots before the next phase's units; its cursor restarts. */
static void
need(struct state_doc *d, unsigned prep)
{
    d->prep |= prep;
    d->i = 0;
}

/* ---- v0: /master/state, /master/frameworks, /master/slaves ------------ */

/* First call: ask for the snapshots the document starts with; second
 * call (once they are taken): the head of the document. */
static void
v0_begin(struct state_doc *d, struct master *m)
{
    struct cr_jsonw *w = &d->w;
    if (!d->begun) {
        d->begun = true;
        if (d->kind == STATE_DOC_FRAMEWORKS)
            need(d, PREP_FRAMEWORKS | PREP_OFFERS_BY_FW);
        else if (d->kind == STATE_DOC_SLAVES)
            need(d, PREP_AGENTS | PREP_OFFERS_BY_AGENT);
        else
            need(d, PREP_AGENTS);
        return;
    }
    if (*d->jsonp) {
        raw_text(d, d->jsonp);
        raw_text(d, "(");
    }
    cr_jsonw_object(w);
    if (d->kind == STATE_DOC_FRAMEWORKS) {
        cr_jsonw_key(w, "frameworks");
        cr_jsonw_array(w);
        d->phase = PH_FRAMEWORKS;
        return;
    }
    if (d->kind == STATE_DOC_SLAVES) {
        cr_jsonw_key(w, "slaves");
        cr_jsonw_array(w);
        d->phase = PH_AGENTS;
        return;
    }
    json_t *info = master_info_json(m);
    cr_jsonw_kstring(w, "version", CR_VERSION);
    cr_jsonw_kstring(w, "git_sha", "");
    cr_jsonw_kstring(w, "build_date", __DATE__);
    cr_jsonw_kstring(w, "build_user", "corral");
    cr_jsonw_kreal(w, "start_time", m->start_time);
    cr_jsonw_kstring(w, "id", m->id);
    cr_jsonw_kstring(w, "pid", cr_json_str(info, "pid"));
    cr_jsonw_kstring(w, "hostname", m->hostname);
    cr_jsonw_kinteger(w, "activated_slaves", d->n_active);
    cr_jsonw_kinteger(w, "deactivated_slaves", d->n_inactive);
    cr_jsonw_kinteger(w, "unreachable_slaves",
                      m->registrar ? (long long)registrar_registry(m->registrar)
                                         ->count[REGISTRY_UNREACHABLE]
                                   : 0);
    json_decref(info);
    cr_jsonw_key(w, "slaves");
    cr_jsonw_array(w);
    d->phase = PH_AGENTS;
}

/* Resources reserved to each role of an agent (role -> resources), in the
 * order the roles first appear; roles past max are left out. */
static size_t
reserved_by_role(const struct cr_resources *total, struct role_res *out,
                 size_t max)
{
    size_t n = 0;
    for (uint32_t i = 0; i < total->n; i++) {
        const struct cr_res_entry *e = &total->ents[i];
        if (e->role == NULL)
            continue;
        size_t k = 0;
        while (k < n && strcmp(out[k].role, e->role) != 0)
            k++;
        if (k == n) {
            if (n == max)
                continue;
            out[n].role = e->role;
            cr_resources_init(&out[n].res);
            n++;
        }
        /* A one-entry view of e, added (copied) into the role's sum. */
        struct cr_res_entry copy = *e;
        struct cr_resources one = {.n = 1, .cap = 1, .ents = &copy};
        cr_resources_add(&out[k].res, &one);
    }
    return n;
}

static void
write_v1_plain(struct cr_jsonw *w, const char *key,
               const struct cr_resources *r)
{
    json_t *tree = cr_resources_to_json(r, NULL);
    cr_jsonw_kvalue(w, key, tree);
    json_decref(tree);
}

/* /master/slaves adds upstream's offered, reserved and *_full fields to
 * the /master/state entry. */
static void
v0_agent_full(struct state_doc *d, struct master *m, struct magent *a)
{
    struct cr_jsonw *w = &d->w;
    state_write_v0_agent_open(w, a);
    struct cr_resources offered, used, unreserved;
    cr_resources_init(&offered);
    cr_resources_init(&used);
    cr_resources_init(&unreserved);
    const struct id_list *ids = groups_get(d->offers_by_agent, a->id);
    for (size_t k = 0; ids && k < ids->n; k++) {
        struct moffer *o = offer_find(m, ids_get(ids, k));
        if (o)
            cr_resources_add(&offered, &o->res);
    }
    for (struct mtask *t = a->tasks; t; t = t->ag_next)
        if (!t->resources_released)
            cr_resources_add(&used, &t->res);
    cr_resources_unreserved(&unreserved, &a->total);
    struct role_res roles[64];
    size_t n = reserved_by_role(&a->total, roles, 64);

    cr_jsonw_key(w, "offered_resources");
    state_write_v0_resources(w, &offered);
    cr_jsonw_key(w, "reserved_resources");
    cr_jsonw_object(w);
    for (size_t k = 0; k < n; k++) {
        cr_jsonw_key(w, roles[k].role);
        state_write_v0_resources(w, &roles[k].res);
    }
    cr_jsonw_object_end(w);
    cr_jsonw_kvalue(w, "capabilities",
                    json_object_get(a->info, "capabilities"));
    cr_jsonw_key(w, "reserved_resources_full");
    cr_jsonw_object(w);
    for (size_t k = 0; k < n; k++)
        write_v1_plain(w, roles[k].role, &roles[k].res);
    cr_jsonw_object_end(w);
    write_v1_plain(w, "unreserved_resources_full", &unreserved);
    write_v1_plain(w, "used_resources_full", &used);
    write_v1_plain(w, "offered_resources_full", &offered);
    cr_jsonw_object_end(w);
    for (size_t k = 0; k < n; k++)
        cr_resources_fini(&roles[k].res);
    cr_resources_fini(&offered);
    cr_resources_fini(&used);
    cr_resources_fini(&unreserved);
}

static void
v0_agents_unit(struct state_doc *d, struct master *m)
{
    struct cr_jsonw *w = &d->w;
    if (d->i < d->agents.n) {
        struct magent *a = agent_find(m, ids_get(&d->agents, d->i++));
        if (a == NULL || filtered_out(d, a->id))
            return;
        if (d->kind == STATE_DOC_SLAVES)
            v0_agent_full(d, m, a);
        else
            state_write_v0_agent(w, a);
        return;
    }
    cr_jsonw_array_end(w);
    if (d->kind == STATE_DOC_SLAVES) {
        cr_jsonw_key(w, "recovered_slaves");
        cr_jsonw_array(w);
        d->phase = PH_RECOVERED;
        return;
    }
    cr_jsonw_key(w, "frameworks");
    cr_jsonw_array(w);
    need(d, PREP_FRAMEWORKS | PREP_OFFERS_BY_FW);
    d->phase = PH_FRAMEWORKS;
}

/* Agents admitted in the registry that have not re-registered with this
 * master yet (after a failover). */
static void
v0_recovered_unit(struct state_doc *d, struct master *m)
{
    struct cr_jsonw *w = &d->w;
    const struct registry *r =
        m->registrar ? registrar_registry(m->registrar) : NULL;
    for (const struct registry_agent *ra = r ? r->agents : NULL; ra;
         ra = ra->hh.next) {
        if (ra->status != REGISTRY_ADMITTED || agent_find(m, ra->id) ||
            filtered_out(d, ra->id))
            continue;
        cr_jsonw_object(w);
        cr_jsonw_kstring(w, "id", ra->id);
        cr_jsonw_kstring(w, "hostname", ra->hostname ? ra->hostname : "");
        cr_jsonw_kinteger(w, "port", ra->port);
        cr_jsonw_object_end(w);
    }
    cr_jsonw_array_end(w);
    d->phase = PH_END;
}

/* The offers of f still outstanding, and their sum. */
static void
fw_offered(struct state_doc *d, struct master *m, const char *fid,
           struct cr_resources *sum)
{
    const struct id_list *ids = groups_get(d->offers_by_fw, fid);
    for (size_t k = 0; ids && k < ids->n; k++) {
        struct moffer *o = offer_find(m, ids_get(ids, k));
        if (o)
            cr_resources_add(sum, &o->res);
    }
}

/* A framework up to its "tasks" array (framework_to_v0_json()'s order),
 * once its tasks are snapshotted (their sum in d->used). */
static void
v0_framework_head(struct state_doc *d, struct master *m, struct mframework *f)
{
    struct cr_jsonw *w = &d->w;
    struct cr_resources offered;
    cr_resources_init(&offered);
    d->j = 0;
    fw_offered(d, m, f->id, &offered);
    const char *name = cr_json_str(f->info, "name");
    const char *user = cr_json_str(f->info, "user");
    const char *host = cr_json_str(f->info, "hostname");
    const char *webui = cr_json_str(f->info, "webui_url");
    bool connected = f->state == FRAMEWORK_CONNECTED;
    cr_jsonw_object(w);
    cr_jsonw_kstring(w, "id", f->id);
    cr_jsonw_kstring(w, "name", name ? name : "");
    cr_jsonw_kstring(w, "user", user ? user : "");
    cr_jsonw_kstring(w, "hostname", host ? host : "");
    cr_jsonw_kstring(w, "webui_url", webui ? webui : "");
    cr_jsonw_kbool(w, "active", connected);
    cr_jsonw_kbool(w, "connected", connected);
    cr_jsonw_kbool(w, "recovered", f->recovered);
    cr_jsonw_kreal(w, "failover_timeout", f->failover_timeout);
    cr_jsonw_kbool(w, "checkpoint", cr_json_bool(f->info, "checkpoint", false));
    cr_jsonw_kreal(w, "registered_time", f->registered_time);
    cr_jsonw_kreal(w, "reregistered_time", f->reregistered_time);
    cr_jsonw_kreal(w, "unregistered_time", f->unregistered_time);
    cr_jsonw_key(w, "roles");
    cr_jsonw_array(w);
    for (size_t i = 0; i < f->n_roles; i++)
        cr_jsonw_string(w, f->roles[i]);
    cr_jsonw_array_end(w);
    cr_jsonw_kstring(w, "role", f->n_roles ? f->roles[0] : "*");
    cr_jsonw_key(w, "used_resources");
    state_write_v0_resources(w, &d->used);
    cr_jsonw_key(w, "offered_resources");
    state_write_v0_resources(w, &offered);
    cr_jsonw_key(w, "resources");
    state_write_v0_resources(w, &d->used);
    cr_jsonw_key(w, "tasks");
    cr_jsonw_array(w);
    cr_resources_fini(&offered);
}

/* The rest of the framework after "completed_tasks" (f may have gone
 * meanwhile: then the object is closed with empty members). */
static void
v0_framework_tail(struct state_doc *d, struct master *m, struct mframework *f)
{
    struct cr_jsonw *w = &d->w;
    cr_jsonw_key(w, "offers");
    cr_jsonw_array(w);
    const struct id_list *ids = f ? groups_get(d->offers_by_fw, f->id) : NULL;
    for (size_t k = 0; ids && k < ids->n; k++) {
        struct moffer *o = offer_find(m, ids_get(ids, k));
        if (o == NULL)
            continue;
        cr_jsonw_object(w);
        cr_jsonw_kstring(w, "id", o->id);
        cr_jsonw_kstring(w, "framework_id", o->framework_id);
        cr_jsonw_kstring(w, "slave_id", o->agent_id);
        cr_jsonw_key(w, "resources");
        state_write_v0_resources(w, &o->res);
        cr_jsonw_object_end(w);
    }
    cr_jsonw_array_end(w);
    empty_array(w, "unreachable_tasks");
    const char *principal = f ? cr_json_str(f->info, "principal") : NULL;
    if (principal)
        cr_jsonw_kstring(w, "principal", principal);
    cr_jsonw_key(w, "capabilities");
    cr_jsonw_array(w);
    size_t i;
    json_t *c;
    json_array_foreach(f ? json_object_get(f->info, "capabilities") : NULL, i,
                       c)
    {
        if (cr_json_str(c, "type"))
            cr_jsonw_string(w, cr_json_str(c, "type"));
    }
    cr_jsonw_array_end(w);
    cr_jsonw_object_end(w);
}

static void
v0_frameworks_unit(struct state_doc *d, struct master *m)
{
    struct cr_jsonw *w = &d->w;
    if (d->i < d->fws.n) {
        const char *id = ids_get(&d->fws, d->i);
        struct mframework *f = framework_find(m, id);
        if (f == NULL || filtered_out(d, id)) {
            d->snapping = false;
            d->i++;
            return;
        }
        if (!snapshot_step(d, m, f->tasks, true, SNAP_USED))
            return;
        v0_framework_head(d, m, f);
        d->phase = PH_FW_TASKS;
        return;
    }
    cr_jsonw_array_end(w);
    cr_jsonw_key(w, "completed_frameworks");
    cr_jsonw_array(w);
    d->j = 0;
    d->phase = PH_COMPLETED;
}

static void
v0_fw_tasks_unit(struct state_doc *d, struct master *m)
{
    if (d->j < d->tasks.n) {
        struct mtask *t = task_live(m, &d->tasks, d->j++);
        if (t)
            state_write_v0_task_cached(&d->w, t);
        return;
    }
    cr_jsonw_array_end(&d->w);
    cr_jsonw_key(&d->w, "completed_tasks");
    cr_jsonw_array(&d->w);
    d->k = 0;
    d->phase = PH_FW_DONE;
}

/* One completed task of the current framework (kept as v0 JSON, at most
 * --max_completed_tasks_per_framework of them). */
static void
v0_fw_done_unit(struct state_doc *d, struct master *m)
{
    struct mframework *f = framework_find(m, ids_get(&d->fws, d->i));
    if (f && d->k < json_array_size(f->completed_tasks)) {
        cr_jsonw_value(&d->w, json_array_get(f->completed_tasks, d->k++));
        return;
    }
    cr_jsonw_array_end(&d->w);
    d->phase = PH_FW_TAIL;
}

static void
v0_fw_tail_unit(struct state_doc *d, struct master *m)
{
    v0_framework_tail(d, m, framework_find(m, ids_get(&d->fws, d->i)));
    d->i++;
    d->phase = PH_FRAMEWORKS;
}

/* Arrays longer than this in a completed framework are written one
 * element per unit (its completed tasks: up to
 * --max_completed_tasks_per_framework of them, 5 ms in one unit). */
#define DONE_FW_ARRAY_UNIT 16

/* A completed framework (kept as v0 JSON), one member per unit and its
 * long arrays (completed tasks) one element per unit, in its own order
 * (as cr_jsonw_value() would write it whole). */
static void
v0_completed_unit(struct state_doc *d, struct master *m)
{
    struct cr_jsonw *w = &d->w;
    if (d->done_fw == NULL) {
        if (d->j >= json_array_size(m->completed_frameworks)) {
            cr_jsonw_array_end(w);
            d->phase = PH_END;
            return;
        }
        json_t *c = json_array_get(m->completed_frameworks, d->j++);
        if (filtered_out(d, cr_json_str(c, "id")))
            return;
        d->done_fw = json_incref(c);
        d->done_it = json_object_iter(c);
        d->done_in_array = false;
        cr_jsonw_object(w);
        return;
    }
    if (d->done_in_array) {
        json_t *a = json_object_iter_value(d->done_it);
        if (d->k < json_array_size(a)) {
            cr_jsonw_value(w, json_array_get(a, d->k++));
            return;
        }
        cr_jsonw_array_end(w);
        d->done_in_array = false;
        d->done_it = json_object_iter_next(d->done_fw, d->done_it);
        return;
    }
    if (d->done_it == NULL) {
        cr_jsonw_object_end(w);
        json_decref(d->done_fw);
        d->done_fw = NULL;
        return;
    }
    json_t *v = json_object_iter_value(d->done_it);
    cr_jsonw_key_n(w, json_object_iter_key(d->done_it),
                   json_object_iter_key_len(d->done_it));
    if (json_is_array(v) && json_array_size(v) > DONE_FW_ARRAY_UNIT) {
        cr_jsonw_array(w);
        d->done_in_array = true;
        d->k = 0;
        return;
    }
    cr_jsonw_value(w, v);
    d->done_it = json_object_iter_next(d->done_fw, d->done_it);
}

static void
v0_end(struct state_doc *d, struct master *m)
{
    struct cr_jsonw *w = &d->w;
    if (d->kind == STATE_DOC_STATE) {
        empty_array(w, "orphan_tasks");
        empty_array(w, "unregistered_frameworks");
        /* A standby says who leads (upstream omits elected_time there). */
        if (m->leading)
            cr_jsonw_kreal(w, "elected_time", m->elected_time);
        if (m->leader_info) {
            const char *lpid = cr_json_str(m->leader_info, "pid");
            if (lpid)
                cr_jsonw_kstring(w, "leader", lpid);
            cr_jsonw_kvalue(w, "leader_info", m->leader_info);
        }
        if (m->flags.cluster)
            cr_jsonw_kstring(w, "cluster", m->flags.cluster);
        json_t *flags = master_flags_json(m);
        cr_jsonw_kvalue(w, "flags", flags);
        json_decref(flags);
    } else if (d->kind == STATE_DOC_FRAMEWORKS) {
        empty_array(w, "unregistered_frameworks");
    }
    cr_jsonw_object_end(w);
    if (*d->jsonp)
        raw_text(d, ");");
    d->phase = PH_DONE;
}

/* ---- v1: operator GET_STATE ------------------------------------------- */

static void
time_info(struct cr_jsonw *w, const char *key, double secs)
{
    cr_jsonw_key(w, key);
    cr_jsonw_object(w);
    cr_jsonw_kinteger(w, "nanoseconds", (long long)(secs * 1e9));
    cr_jsonw_object_end(w);
}

/* obj's members in order, with `key` replaced by {"value": id} (appended
 * when absent): what cr_json_set_id() on a copy would print. A second
 * override (key2 -> v1 resources of res2) serves AgentInfo. */
static void
object_with_overrides(struct cr_jsonw *w, const json_t *obj, const char *key,
                      const char *id, const char *key2,
                      const struct cr_resources *res2)
{
    json_t *o = (json_t *)(uintptr_t)obj; /* iteration only */
    bool done1 = false, done2 = key2 == NULL;
    cr_jsonw_object(w);
    for (void *it = json_is_object(o) ? json_object_iter(o) : NULL; it;
         it = json_object_iter_next(o, it)) {
        const char *k = json_object_iter_key(it);
        if (strcmp(k, key) == 0) {
            state_write_v1_id(w, key, id);
            done1 = true;
        } else if (key2 && strcmp(k, key2) == 0) {
            cr_jsonw_key(w, key2);
            state_write_v1_resources(w, res2, NULL);
            done2 = true;
        } else {
            cr_jsonw_key_n(w, k, json_object_iter_key_len(it));
            cr_jsonw_value(w, json_object_iter_value(it));
        }
    }
    if (!done1)
        state_write_v1_id(w, key, id);
    if (!done2) {
        cr_jsonw_key(w, key2);
        state_write_v1_resources(w, res2, NULL);
    }
    cr_jsonw_object_end(w);
}

/* allocated_resources from per-role sums (cleared). */
static void
write_allocated(struct cr_jsonw *w, struct role_res *acc, size_t *n)
{
    cr_jsonw_key(w, "allocated_resources");
    cr_jsonw_array(w);
    for (size_t k = 0; k < *n; k++) {
        state_write_v1_resource_elems(w, &acc[k].res, acc[k].role);
        cr_resources_fini(&acc[k].res);
    }
    cr_jsonw_array_end(w);
    *n = 0;
}

static void
v1_begin(struct state_doc *d, struct master *m)
{
    struct cr_jsonw *w = &d->w;
    cr_jsonw_object(w);
    if (d->kind == STATE_DOC_SUBSCRIBED) {
        cr_jsonw_kstring(w, "type", "SUBSCRIBED");
        cr_jsonw_key(w, "subscribed");
        cr_jsonw_object(w);
    } else {
        cr_jsonw_kstring(w, "type", "GET_STATE");
    }
    cr_jsonw_key(w, "get_state");
    cr_jsonw_object(w);
    cr_jsonw_key(w, "get_tasks");
    cr_jsonw_object(w);
    empty_array(w, "pending_tasks");
    cr_jsonw_key(w, "tasks");
    cr_jsonw_array(w);
    d->phase = PH_V1_SNAP;
}

static void
v1_snap_unit(struct state_doc *d, struct master *m)
{
    if (!snapshot_step(d, m, m->tasks, false, 0))
        return;
    d->j = 0;
    d->phase = PH_V1_TASKS;
}

static void
v1_tasks_unit(struct state_doc *d, struct master *m)
{
    struct cr_jsonw *w = &d->w;
    if (d->j < d->tasks.n) {
        struct mtask *t = task_live(m, &d->tasks, d->j++);
        if (t)
            state_write_v1_task_cached(w, t);
        return;
    }
    cr_jsonw_array_end(w);
    empty_array(w, "unreachable_tasks");
    cr_jsonw_key(w, "completed_tasks");
    cr_jsonw_array(w);
    need(d, PREP_FRAMEWORKS);
    d->k = 0;
    d->phase = PH_V1_DONE_LIVE;
}

static void
completed_task_v1(struct cr_jsonw *w, const json_t *v0)
{
    json_t *v1 = operator_completed_task_json(v0);
    cr_jsonw_value(w, v1);
    json_decref(v1);
}

/* One completed task of a live framework per unit (each is converted
 * from v0 through a tree: a few microseconds). */
static void
v1_done_live_unit(struct state_doc *d, struct master *m)
{
    if (d->i < d->fws.n) {
        struct mframework *f = framework_find(m, ids_get(&d->fws, d->i));
        if (f && d->k < json_array_size(f->completed_tasks)) {
            completed_task_v1(&d->w,
                              json_array_get(f->completed_tasks, d->k++));
        } else {
            d->i++;
            d->k = 0;
        }
        return;
    }
    d->j = 0;
    d->k = 0;
    d->phase = PH_V1_DONE_GONE;
}

/* The tasks and completed tasks of removed frameworks, one per unit. */
static void
v1_done_gone_unit(struct state_doc *d, struct master *m)
{
    struct cr_jsonw *w = &d->w;
    if (d->j < json_array_size(m->completed_frameworks)) {
        json_t *c = json_array_get(m->completed_frameworks, d->j);
        json_t *tasks = json_object_get(c, "tasks");
        json_t *done = json_object_get(c, "completed_tasks");
        size_t n1 = json_array_size(tasks), n2 = json_array_size(done);
        if (d->k < n1) {
            completed_task_v1(w, json_array_get(tasks, d->k++));
        } else if (d->k < n1 + n2) {
            completed_task_v1(w, json_array_get(done, d->k++ - n1));
        } else {
            d->j++;
            d->k = 0;
        }
        return;
    }
    cr_jsonw_array_end(w);
    empty_array(w, "orphan_tasks");
    cr_jsonw_object_end(w); /* get_tasks */
    cr_jsonw_key(w, "get_executors");
    cr_jsonw_object(w);
    cr_jsonw_key(w, "executors");
    cr_jsonw_array(w);
    d->executors_seen = json_object();
    d->j = 0;
    d->phase = PH_V1_EXECUTORS;
}

/* Custom executors of live tasks, once per (agent, framework, executor). */
static void
v1_executors_unit(struct state_doc *d, struct master *m)
{
    struct cr_jsonw *w = &d->w;
    if (d->j < d->tasks.n) {
        struct mtask *t = task_live(m, &d->tasks, d->j++);
        if (t == NULL || !t->custom_executor)
            return; /* (without a look into its info: a cache miss) */
        json_t *ei = json_object_get(t->info, "executor");
        char *key = cr_xasprintf("%s\n%s\n%s", t->agent_id, t->framework_id,
                                 t->executor_id);
        if (json_object_get(d->executors_seen, key) == NULL) {
            json_object_set_new(d->executors_seen, key, json_true());
            cr_jsonw_object(w);
            cr_jsonw_key(w, "executor_info");
            object_with_overrides(w, ei, "framework_id", t->framework_id, NULL,
                                  NULL);
            state_write_v1_id(w, "agent_id", t->agent_id);
            cr_jsonw_object_end(w);
        }
        free(key);
        return;
    }
    cr_jsonw_array_end(w);
    empty_array(w, "orphan_executors");
    cr_jsonw_object_end(w); /* get_executors */
    cr_jsonw_key(w, "get_frameworks");
    cr_jsonw_object(w);
    cr_jsonw_key(w, "frameworks");
    cr_jsonw_array(w);
    need(d, PREP_OFFERS_BY_FW);
    d->phase = PH_V1_FRAMEWORKS;
}

static void
v1_offer(struct cr_jsonw *w, struct master *m, const struct moffer *o)
{
    struct magent *a = agent_find(m, o->agent_id);
    cr_jsonw_object(w);
    state_write_v1_id(w, "id", o->id);
    state_write_v1_id(w, "framework_id", o->framework_id);
    state_write_v1_id(w, "agent_id", o->agent_id);
    cr_jsonw_kstring(w, "hostname", a ? a->hostname : "");
    cr_jsonw_key(w, "resources");
    state_write_v1_resources(w, &o->res, o->role);
    cr_jsonw_key(w, "allocation_info");
    cr_jsonw_object(w);
    cr_jsonw_kstring(w, "role", o->role);
    cr_jsonw_object_end(w);
    cr_jsonw_object_end(w);
}

/* f in the GetFrameworks.Framework shape (operator_api.c's order), once
 * its tasks are summed per role in d->roles. */
static void
v1_framework(struct state_doc *d, struct master *m, struct mframework *f)
{
    struct cr_jsonw *w = &d->w;
    const struct id_list *ids = groups_get(d->offers_by_fw, f->id);
    bool connected = f->state == FRAMEWORK_CONNECTED;
    cr_jsonw_object(w);
    cr_jsonw_key(w, "framework_info");
    object_with_overrides(w, f->info, "id", f->id, NULL, NULL);
    cr_jsonw_kbool(w, "active", connected);
    cr_jsonw_kbool(w, "connected", connected);
    cr_jsonw_kbool(w, "recovered", f->recovered);
    time_info(w, "registered_time", f->registered_time);
    cr_jsonw_key(w, "offers");
    cr_jsonw_array(w);
    for (size_t k = 0; ids && k < ids->n; k++) {
        struct moffer *o = offer_find(m, ids_get(ids, k));
        if (o)
            v1_offer(w, m, o);
    }
    cr_jsonw_array_end(w);
    write_allocated(w, d->roles, &d->n_roles);
    cr_jsonw_key(w, "offered_resources");
    cr_jsonw_array(w);
    for (size_t k = 0; ids && k < ids->n; k++) {
        struct moffer *o = offer_find(m, ids_get(ids, k));
        if (o)
            state_write_v1_resource_elems(w, &o->res, o->role);
    }
    cr_jsonw_array_end(w);
    if (f->reregistered_time > 0)
        time_info(w, "reregistered_time", f->reregistered_time);
    if (f->unregistered_time > 0)
        time_info(w, "unregistered_time", f->unregistered_time);
    cr_jsonw_object_end(w);
}

static void
v1_frameworks_unit(struct state_doc *d, struct master *m)
{
    struct cr_jsonw *w = &d->w;
    if (d->i < d->fws.n) {
        struct mframework *f = framework_find(m, ids_get(&d->fws, d->i));
        if (f == NULL) {
            d->snapping = false;
            d->i++;
            return;
        }
        if (!snapshot_step(d, m, f->tasks, true, SNAP_BY_ROLE))
            return;
        v1_framework(d, m, f);
        d->i++;
        return;
    }
    cr_jsonw_array_end(w);
    cr_jsonw_key(w, "completed_frameworks");
    cr_jsonw_array(w);
    d->j = 0;
    d->phase = PH_V1_FRAMEWORKS_GONE;
}

static void
v1_frameworks_gone_unit(struct state_doc *d, struct master *m)
{
    struct cr_jsonw *w = &d->w;
    if (d->j < json_array_size(m->completed_frameworks)) {
        json_t *v1 = operator_completed_framework_json(
            json_array_get(m->completed_frameworks, d->j++));
        cr_jsonw_value(w, v1);
        json_decref(v1);
        return;
    }
    cr_jsonw_array_end(w);
    cr_jsonw_object_end(w); /* get_frameworks */
    cr_jsonw_key(w, "get_agents");
    cr_jsonw_object(w);
    cr_jsonw_key(w, "agents");
    cr_jsonw_array(w);
    need(d, PREP_AGENTS | PREP_OFFERS_BY_AGENT);
    d->phase = PH_V1_AGENTS;
}

/* a in the GetAgents.Agent shape (operator_api.c's order). */
static void
v1_agent(struct state_doc *d, struct master *m, struct magent *a)
{
    struct cr_jsonw *w = &d->w;
    bool active = a->state == AGENT_CONNECTED;
    cr_jsonw_object(w);
    cr_jsonw_key(w, "agent_info");
    object_with_overrides(w, a->info, "id", a->id, "resources", &a->total);
    cr_jsonw_kbool(w, "active", active);
    cr_jsonw_kbool(w, "deactivated", !active);
    cr_jsonw_kstring(w, "version", CR_VERSION);
    cr_jsonw_kstring(w, "pid", a->pid);
    time_info(w, "registered_time", a->registered_time);
    cr_jsonw_key(w, "total_resources");
    state_write_v1_resources(w, &a->total, NULL);
    struct role_res roles[MAX_ROLES_LISTED];
    size_t n_roles = 0;
    for (struct mtask *t = a->tasks; t; t = t->ag_next)
        roles_add(roles, &n_roles, t);
    write_allocated(w, roles, &n_roles);
    cr_jsonw_key(w, "offered_resources");
    cr_jsonw_array(w);
    const struct id_list *ids = groups_get(d->offers_by_agent, a->id);
    for (size_t k = 0; ids && k < ids->n; k++) {
        struct moffer *o = offer_find(m, ids_get(ids, k));
        if (o)
            state_write_v1_resource_elems(w, &o->res, o->role);
    }
    cr_jsonw_array_end(w);
    if (a->reregistered_time > 0)
        time_info(w, "reregistered_time", a->reregistered_time);
    json_t *caps = json_object_get(a->info, "capabilities");
    if (json_is_array(caps))
        cr_jsonw_kvalue(w, "capabilities", caps);
    cr_jsonw_object_end(w);
}

static void
v1_agents_unit(struct state_doc *d, struct master *m)
{
    struct cr_jsonw *w = &d->w;
    if (d->i < d->agents.n) {
        struct magent *a = agent_find(m, ids_get(&d->agents, d->i++));
        if (a)
            v1_agent(d, m, a);
        return;
    }
    cr_jsonw_array_end(w);
    empty_array(w, "recovered_agents");
    cr_jsonw_object_end(w); /* get_agents */
    cr_jsonw_object_end(w); /* get_state */
    if (d->kind == STATE_DOC_SUBSCRIBED) {
        cr_jsonw_kreal(w, "heartbeat_interval_seconds",
                       STATE_DOC_EVENTS_HEARTBEAT);
        cr_jsonw_object_end(w); /* subscribed */
    }
    cr_jsonw_object_end(w);
    d->phase = PH_DONE;
}

/* ---- stepping --------------------------------------------------------- */

static void
unit(struct state_doc *d, struct master *m)
{
    if (d->prep) {
        prep_unit(d, m);
        return;
    }
    switch (d->phase) {
    case PH_BEGIN:
        if (d->kind == STATE_DOC_GET_STATE || d->kind == STATE_DOC_SUBSCRIBED)
            v1_begin(d, m);
        else
            v0_begin(d, m);
        break;
    case PH_AGENTS:
        v0_agents_unit(d, m);
        break;
    case PH_RECOVERED:
        v0_recovered_unit(d, m);
        break;
    case PH_FRAMEWORKS:
        v0_frameworks_unit(d, m);
        break;
    case PH_FW_TASKS:
        v0_fw_tasks_unit(d, m);
        break;
    case PH_FW_DONE:
        v0_fw_done_unit(d, m);
        break;
    case PH_FW_TAIL:
        v0_fw_tail_unit(d, m);
        break;
    case PH_COMPLETED:
        v0_completed_unit(d, m);
        break;
    case PH_V1_SNAP:
        v1_snap_unit(d, m);
        break;
    case PH_V1_TASKS:
        v1_tasks_unit(d, m);
        break;
    case PH_V1_DONE_LIVE:
        v1_done_live_unit(d, m);
        break;
    case PH_V1_DONE_GONE:
        v1_done_gone_unit(d, m);
        break;
    case PH_V1_EXECUTORS:
        v1_executors_unit(d, m);
        break;
    case PH_V1_FRAMEWORKS:
        v1_frameworks_unit(d, m);
        break;
    case PH_V1_FRAMEWORKS_GONE:
        v1_frameworks_gone_unit(d, m);
        break;
    case PH_V1_AGENTS:
        v1_agents_unit(d, m);
        break;
    case PH_END:
        v0_end(d, m);
        break;
    case PH_DONE:
        break;
    }
}

int
state_doc_step(struct state_doc *d, struct master *m, uint64_t deadline_ns)
{
    if (d->error)
        return d->error;
    unsigned units = 0;
    while (d->phase != PH_DONE) {
        unit(d, m);
        if (cr_jsonw_error(&d->w)) {
            d->error = cr_jsonw_error(&d->w);
            return d->error;
        }
        if (deadline_ns && ++units % UNITS_PER_CLOCK_CHECK == 0 &&
            cr_mono_ns() >= deadline_ns)
            break;
    }
    if (d->phase != PH_DONE)
        return 0;
    if (d->filter == NULL)
        size_hint[d->kind] = d->out.len;
    return 1;
}
