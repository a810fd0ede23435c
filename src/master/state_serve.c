/* SPDX-License-Identifier: Apache-2.0
 *
 * state_serve.c: answering requests with state documents (state_doc.h)
 * without stalling the loop.
 *
 * Jobs wait in one FIFO queue; one uv_idle handle, active while the queue
 * is not empty, writes the head job's document for about STATE_SLICE_US
 * per loop turn. An idle handle makes the loop poll without blocking, so
 * between two slices every ready event (status updates, calls, timers,
 * the allocate-soon pass) is handled. A slice also ends as soon as the
 * loop's epoll fd shows waiting events (one poll() every CHECK_NS), so a
 * framework's call waits ~20 us behind a document, not a whole slice:
 * under load documents take longer, launches do not.
 *
 * A job holds its requests (answered when the document is complete), or
 * the callback of a document for the master itself (state_serve_call()),
 * and its document; requests arriving while an identical document waits,
 * not yet started, join it (upstream batches /state requests the same
 * way).
 *
 * The finished document is handed to the HTTP server by reference
 * (cr_http_respond_borrowed()): the job lives on, holding it, until every
 * connection it answers has written it or closed. Its buffer is then kept
 * for the next document (state_doc_give_back()), so a client polling the
 * state costs no fresh pages per fetch; a timer drops that spare after
 * SPARE_KEEP_MS without documents.
 *
 * Shutdown: master_run() frees the master's objects (allocator = NULL)
 * before its final loop run; the idle callback sees that, answers every
 * waiting request with 503 and closes the handle. Between two slices the
 * master may also lose leadership and reset its tables: documents hold
 * ids and kept task structs (state_doc.h), so they finish with what is
 * left.
 *
 * Module state is static (one master per process). Loop thread only.
 */
#include "base/clock.h"
#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "state_doc.h"

#include <poll.h>
#include <stdlib.h>
#include <string.h>

#define SLICE_NS ((uint64_t)STATE_SLICE_US * 1000u)
/* How often a slice looks for waiting events (one poll() each). */
#define CHECK_NS 20000u
/* How long a spent document buffer is kept for the next document. */
#define SPARE_KEEP_MS 30000
/* Requests one job may answer (identical ones batched together). */
#define MAX_JOB_REQS 256

struct state_job {
    struct state_doc *doc;
    struct cr_http_req **reqs;
    size_t n_reqs;
    state_doc_ready_cb cb; /* a document for the master itself */
    void *cb_arg;
    bool started;
    unsigned refs; /* while answered: connections still writing it, + 1 */
    uint64_t t_queued, t_writing, t_longest; /* ns */
    unsigned slices;
    struct state_job *next;
};

static struct {
    struct master *m;
    uv_idle_t idle;
    bool idle_open;
    uv_timer_t spare_timer; /* drops the spare buffer (state_doc.h) */
    bool spare_timer_open;
    size_t answering; /* jobs whose document is still being written out */
    struct state_job *head, *tail;
    size_t n;
} q;

size_t
state_serve_pending(void)
{
    return q.n;
}

static void
job_free(struct state_job *j)
{
    state_doc_free(j->doc);
    free(j->reqs);
    free(j);
}

static void
on_spare_timer(uv_timer_t *t)
{
    (void)t;
    state_doc_drop_spare();
}

/* No document is queued or being written out: start the clock on the
 * spare buffer. The timer never keeps the loop alive. */
static void
spare_clock_start(void)
{
    if (q.head != NULL || q.answering > 0 || q.m == NULL)
        return;
    if (q.m->allocator == NULL) { /* shutting down */
        state_doc_drop_spare();
        return;
    }
    if (!q.spare_timer_open) {
        uv_timer_init(q.m->loop, &q.spare_timer);
        uv_unref((uv_handle_t *)&q.spare_timer);
        q.spare_timer_open = true;
    }
    if (!uv_is_closing((uv_handle_t *)&q.spare_timer))
        uv_timer_start(&q.spare_timer, on_spare_timer, SPARE_KEEP_MS, 0);
}

/* A connection is done with j's document (cr_http_release_cb). */
static void
job_release(void *arg)
{
    struct state_job *j = arg;
    if (--j->refs > 0)
        return;
    q.answering--;
    state_doc_give_back(j->doc);
    job_free(j);
    spare_clock_start();
}

/* Answer j's requests (rc: 1 complete, else the error) and free j once
 * its document is written out. */
static void
answer(struct state_job *j, int rc)
{
    const struct cr_buf *out = state_doc_output(j->doc);
    uint64_t t0 = cr_mono_ns();
    if (rc != 1) {
        for (size_t i = 0; i < j->n_reqs; i++)
            if (rc == CR_ETOOBIG)
                cr_http_respond_text(j->reqs[i], 500, "Response too large");
            else
                cr_http_respond_text(j->reqs[i], 503,
                                     "Master is shutting down");
        if (j->cb)
            j->cb(j->cb_arg, rc, NULL, 0, NULL, NULL);
        job_free(j);
        return;
    }
    cr_debug("state document (kind %d) for %zu request(s): %zu bytes, "
             "%.1f ms after the request, %.1f ms writing in %u slice(s) "
             "(longest %.1f ms)",
             (int)state_doc_kind(j->doc), j->n_reqs, out->len,
             (double)(t0 - j->t_queued) / 1e6, (double)j->t_writing / 1e6,
             j->slices, (double)j->t_longest / 1e6);
    j->refs = (unsigned)j->n_reqs + (j->cb ? 1 : 0) + 1;
    q.answering++;
    for (size_t i = 0; i < j->n_reqs; i++)
        cr_http_respond_borrowed(j->reqs[i], 200,
                                 state_doc_content_type(j->doc), out->data,
                                 out->len, job_release, j);
    if (j->cb)
        j->cb(j->cb_arg, 1, out->data, out->len, job_release, j);
    job_release(j);
}

static struct state_job *
pop(void)
{
    struct state_job *j = q.head;
    q.head = j->next;
    if (q.head == NULL)
        q.tail = NULL;
    q.n--;
    return j;
}

/* Has the loop's poller events waiting (a call, an update, a writable
 * socket)? One poll() of the epoll fd, which is readable then. */
static bool
io_waiting(void)
{
    struct pollfd p = {.fd = uv_backend_fd(q.m->loop), .events = POLLIN};
    return poll(&p, 1, 0) > 0;
}

/* Write one slice of j's document: 1 done, 0 more, < 0 failed. The
 * slice ends early, at a check every CHECK_NS, when events wait: they
 * are served without waiting for the rest of the slice. */
static int
slice(struct state_job *j)
{
    uint64_t t0 = cr_mono_ns(), now = t0, end = t0 + SLICE_NS;
    j->started = true;
    int rc;
    do {
        uint64_t until = now + CHECK_NS < end ? now + CHECK_NS : end;
        rc = state_doc_step(j->doc, q.m, until);
    } while (rc == 0 && (now = cr_mono_ns()) < end && !io_waiting());
    uint64_t spent = cr_mono_ns() - t0;
    j->t_writing += spent;
    if (spent > j->t_longest)
        j->t_longest = spent;
    j->slices++;
    return rc;
}

static void
on_idle_closed(uv_handle_t *h)
{
    (void)h;
    q.idle_open = false;
}

static void
on_idle(uv_idle_t *h)
{
    if (q.m->allocator == NULL) {
        /* The master is shutting down: its tables are gone. */
        while (q.head) {
            struct state_job *j = pop();
            answer(j, CR_ECANCELED_OP);
        }
        state_doc_drop_spare();
        uv_close((uv_handle_t *)h, on_idle_closed);
        return;
    }
    struct state_job *j = q.head;
    if (j == NULL) {
        uv_idle_stop(h);
        return;
    }
    int rc = slice(j);
    if (rc != 0) {
        pop();
        answer(j, rc);
    }
    if (q.head == NULL)
        uv_idle_stop(h);
}

static void
enqueue(struct state_job *j)
{
    if (q.tail)
        q.tail->next = j;
    else
        q.head = j;
    q.tail = j;
    q.n++;
    if (!q.idle_open) {
        uv_idle_init(q.m->loop, &q.idle);
        q.idle_open = true;
    }
    if (!uv_is_closing((uv_handle_t *)&q.idle))
        uv_idle_start(&q.idle, on_idle);
}

struct state_job *
state_serve_call(struct master *m, enum state_doc_kind kind,
                 state_doc_ready_cb cb, void *arg)
{
    q.m = m;
    if (q.spare_timer_open)
        uv_timer_stop(&q.spare_timer);
    if (q.n >= STATE_MAX_QUEUED)
        return NULL;
    struct state_job *j = cr_xcalloc(1, sizeof(*j));
    j->doc = state_doc_new(kind, NULL, NULL);
    j->cb = cb;
    j->cb_arg = arg;
    j->t_queued = cr_mono_ns();
    enqueue(j);
    return j;
}

void
state_serve_cancel(struct state_job *j)
{
    if (j == NULL)
        return;
    j->cb = NULL;
    if (j->started || j->n_reqs > 0)
        return; /* finished, then freed, as usual */
    struct state_job **p = &q.head, *prev = NULL;
    while (*p && *p != j) {
        prev = *p;
        p = &(*p)->next;
    }
    if (*p == NULL)
        return;
    *p = j->next;
    if (q.tail == j)
        q.tail = prev;
    q.n--;
    job_free(j);
}

void
state_serve(struct master *m, struct cr_http_req *req, enum state_doc_kind kind,
            const char *filter_id, const char *jsonp)
{
    q.m = m;
    if (q.spare_timer_open)
        uv_timer_stop(&q.spare_timer);
    for (struct state_job *j = q.head; j; j = j->next)
        if (!j->started && j->n_reqs < MAX_JOB_REQS &&
            state_doc_same(j->doc, kind, filter_id, jsonp)) {
            j->reqs = cr_xrealloc(j->reqs, (j->n_reqs + 1) * sizeof(*j->reqs));
            j->reqs[j->n_reqs++] = req;
            return;
        }
    if (q.n >= STATE_MAX_QUEUED) {
        cr_http_respond_text(req, 503, "Too many state requests waiting");
        return;
    }
    struct state_job *j = cr_xcalloc(1, sizeof(*j));
    j->doc = state_doc_new(kind, filter_id, jsonp);
    j->reqs = cr_xmalloc(sizeof(*j->reqs));
    j->reqs[0] = req;
    j->n_reqs = 1;
    j->t_queued = cr_mono_ns();
    if (q.head == NULL) {
        /* Nothing ahead: a small document is answered right away. */
        int rc = slice(j);
        if (rc != 0) {
            answer(j, rc);
            return;
        }
    }
    enqueue(j);
}
