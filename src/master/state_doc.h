/* SPDX-License-Identifier: Apache-2.0
 *
 * state_doc.h: the master's big JSON documents (/master/state,
 * /master/frameworks, /master/slaves, operator GET_STATE), written
 * incrementally so that serving them never stalls offers and status
 * updates, and the small classic endpoints that share their entries.
 *
 * A document (struct state_doc) writes straight into one buffer with the
 * streaming writer (base/jsonw.h); no jansson tree of the whole cluster is
 * ever built. It is produced in steps: each step writes entries until a
 * deadline passes and the next step resumes where it stopped, so
 * state_serve() can spread one document over many loop turns (a fraction
 * of a millisecond each) while the loop keeps serving everything else.
 *
 * Consistency: between steps the master keeps changing. A document never
 * holds a pointer to a live object across steps: it snapshots the
 * agents, the frameworks and, when it reaches a framework, that
 * framework's tasks (ids, or a task's address, whose struct outlives the
 * task while documents are in progress: state_doc_keep_task()) and finds
 * each one again when writing it; an object removed meanwhile is skipped,
 * one added after its snapshot is left out.
 * Each entry is therefore current as of the moment it is written
 * (upstream writes the whole document in one go instead, stalling its
 * master actor meanwhile). A document that fits in one step (a small
 * cluster) is one consistent snapshot.
 *
 * Shapes: byte for byte what the earlier jansson-tree code produced
 * (state_json() in state_json.c is kept as that reference; unit tests
 * compare the two), so the web UI and clients see no change.
 *
 * Loop thread only.
 */
#ifndef CR_MASTER_STATE_DOC_H
#define CR_MASTER_STATE_DOC_H

#include "base/buf.h"
#include "base/jsonw.h"
#include "master.h"

#include <stdbool.h>
#include <stdint.h>

/* Largest document (the old tree code's limit too). */
#define STATE_DOC_MAX (1u << 30)
/* Longest ?jsonp= callback name. */
#define STATE_JSONP_MAX 128

enum state_doc_kind {
    STATE_DOC_STATE,      /* /master/state */
    STATE_DOC_FRAMEWORKS, /* /master/frameworks[?framework_id=] */
    STATE_DOC_SLAVES,     /* /master/slaves[?slave_id=] */
    STATE_DOC_GET_STATE,  /* operator GET_STATE (v1 shape) */
    /* The operator event stream's first event: {"type": "SUBSCRIBED",
     * "subscribed": {"get_state": <GET_STATE's get_state>,
     * "heartbeat_interval_seconds": STATE_DOC_EVENTS_HEARTBEAT}}. */
    STATE_DOC_SUBSCRIBED,
};
/* The operator event stream's heartbeat interval, in seconds. */
#define STATE_DOC_EVENTS_HEARTBEAT 15.0

struct state_doc;

/* A new document of kind. filter_id (framework_id for FRAMEWORKS,
 * slave_id for SLAVES; NULL for all) and jsonp (a callback name already
 * checked with state_jsonp_valid(), or NULL) are copied. Nothing is
 * written yet. */
struct state_doc *state_doc_new(enum state_doc_kind kind, const char *filter_id,
                                const char *jsonp);
/* Write more, until deadline_ns (cr_mono_ns() scale; 0: no deadline) has
 * passed. Returns 1 when the document is complete, 0 when more remains,
 * or a negative code (CR_ETOOBIG: past STATE_DOC_MAX) after which the
 * document is unusable. */
int state_doc_step(struct state_doc *d, struct master *m, uint64_t deadline_ns);
/* Tasks snapshotted per step unit (the variable lets tests make it 1). */
#define STATE_SNAPSHOT_CHUNK 512
extern size_t state_doc_snapshot_chunk;
/* Called by task_free() with a task whose contents are freed: while
 * documents are in progress (they may hold its address), keeps the
 * struct, emptied and marked gone, until every document open at that
 * time is freed, and returns true; else false (the caller frees it). */
bool state_doc_keep_task(struct mtask *t);
/* Tasks kept so (for tests; O(kept)). */
size_t state_doc_kept_tasks(void);
/* The bytes written so far (complete once step returned 1). Borrowed. */
const struct cr_buf *state_doc_output(const struct state_doc *d);
/* Is this document the same request as (kind, filter_id, jsonp)? Used to
 * answer identical waiting requests with one document. */
bool state_doc_same(const struct state_doc *d, enum state_doc_kind kind,
                    const char *filter_id, const char *jsonp);
enum state_doc_kind state_doc_kind(const struct state_doc *d);
/* "text/javascript" for a JSONP document, else "application/json". */
const char *state_doc_content_type(const struct state_doc *d);
void state_doc_free(struct state_doc *d);
/* Offer d's output buffer (no longer needed: d is about to be freed) for
 * the next document to write into; the largest one given is kept until
 * state_doc_drop_spare(). */
void state_doc_give_back(struct state_doc *d);
void state_doc_drop_spare(void);

/* ---- serving (state_serve.c) ------------------------------------------ */

/* Answer req with a document of kind: written at once when it fits one
 * slice and nothing else is queued, else queued and written in slices of
 * about STATE_SLICE_US on later loop turns (an idle handle), identical
 * waiting requests sharing one document. 200 with Content-Type
 * application/json (text/javascript with jsonp); 500 if too large; 503 if
 * too many documents are waiting or the master shuts down meanwhile.
 * Takes req. */
void state_serve(struct master *m, struct cr_http_req *req,
                 enum state_doc_kind kind, const char *filter_id,
                 const char *jsonp);
/* A document for the master itself (the operator stream's SUBSCRIBED):
 * queued like a request's and written in slices, then cb(arg, 1, data,
 * len, release, release_arg), after which the bytes stay valid until
 * release(release_arg), which the receiver must call exactly once; or
 * cb(arg, rc < 0, NULL, 0, NULL, NULL) when it could not be written (too
 * large, shutdown). NULL (and no cb) when too many documents wait. The
 * job is valid until cb runs. */
typedef void (*state_doc_ready_cb)(void *arg, int rc, const char *data,
                                   size_t len, cr_http_release_cb release,
                                   void *release_arg);
struct state_job;
struct state_job *state_serve_call(struct master *m, enum state_doc_kind kind,
                                   state_doc_ready_cb cb, void *arg);
/* cb will not run (the receiver is gone); NULL-safe, only before cb ran. */
void state_serve_cancel(struct state_job *j);
/* Budget of one slice, and of the first, synchronous one. */
#define STATE_SLICE_US 100
/* Documents that may wait; more requests get 503. */
#define STATE_MAX_QUEUED 64
/* Documents queued or in progress (tests, metrics). */
size_t state_serve_pending(void);

/* ---- entry writers (state_json.c) -------------------------------------- */

/* v0 flat resources ({"cpus":..,"gpus":..,"mem":..,"disk":..,...}). */
void state_write_v0_resources(struct cr_jsonw *w, const struct cr_resources *r);
/* A live task in the /master/state shape (task_to_v0_json()'s bytes). */
void state_write_v0_task(struct cr_jsonw *w, const struct mtask *t);
/* An agent in the /master/state "slaves" shape; _open leaves the object
 * open for more members (the caller ends it). */
void state_write_v0_agent(struct cr_jsonw *w, struct magent *a);
void state_write_v0_agent_open(struct cr_jsonw *w, struct magent *a);
/* v1 Resource array (cr_resources_to_json()'s bytes); _elems writes the
 * elements only, into an array the caller has open. */
void state_write_v1_resources(struct cr_jsonw *w, const struct cr_resources *r,
                              const char *allocation_role);
void state_write_v1_resource_elems(struct cr_jsonw *w,
                                   const struct cr_resources *r,
                                   const char *allocation_role);
/* key: {"value": value}, the v1 shape of every id. */
void state_write_v1_id(struct cr_jsonw *w, const char *key, const char *value);
/* A live task in the v1 Task shape (task_to_v1_json()'s bytes). */
void state_write_v1_task(struct cr_jsonw *w, const struct mtask *t);
/* state_write_v0_task() and _v1_task() through the task's cached
 * encoding (master.h): the first call encodes and keeps the bytes, later
 * ones copy them. */
void state_write_v0_task_cached(struct cr_jsonw *w, struct mtask *t);
void state_write_v1_task_cached(struct cr_jsonw *w, struct mtask *t);

/* Is name usable as a JSONP callback (identifier characters and dots,
 * 1..STATE_JSONP_MAX-1 bytes)? */
bool state_jsonp_valid(const char *name);
/* The ?jsonp= of req into out (STATE_JSONP_MAX bytes): 1 when present and
 * valid, 0 when absent or empty (out = ""), -1 when invalid (answer 400). */
int state_jsonp_param(const struct cr_http_req *req, char *out);

/* ---- classic endpoints (classic_endpoints.c) --------------------------- */

/* The paths (after the /master prefix is stripped) handled below. */
bool classic_owns(const char *path);
/* Answer /frameworks, /slaves, /tasks, /roles, /teardown, /state and
 * /state.json. Takes req. */
void classic_handle(struct master *m, struct cr_http_req *req,
                    const char *path);

#endif
