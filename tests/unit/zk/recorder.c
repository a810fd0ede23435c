/* SPDX-License-Identifier: Apache-2.0
 *
 * recorder.c: see recorder.h.
 */
/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "recorder.h"

#include "base/mem.h"
#include "harness.h"
#include "zk/url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uv_loop_t test_loop;

/* ---- sessions -------------------------------------------------------- */

static void
srec_on_state(void *arg, struct cr_zk_session *s, enum cr_zk_state state)
{
    struct srec *r = arg;
    r->state = state;
    r->nstates++;
}

static void
srec_on_watch(void *arg, struct cr_zk_session *s, enum cr_zk_event ev,
              const char *path)
{
    struct srec *r = arg;
    if (r->nwatch < REC_MAX_EVENTS) {
        r->ev[r->nwatch] = ev;
        snprintf(r->evpath[r->nwatch], sizeof(r->evpath[0]), "%s", path);
    }
    r->nwatch++;
}

static bool
srec_is_connected(void *arg)
{
    return ((struct srec *)arg)->state == CR_ZK_CONNECTED;
}

struct cr_zk_session *
srec_open(struct srec *r, const char *servers, const char *auth, double timeout)
{
    memset(r, 0, sizeof(*r));
    struct cr_zk_session_config c = {
        .servers = servers,
        .auth = auth,
        .timeout_secs = timeout,
        .on_state = srec_on_state,
        .on_watch = srec_on_watch,
        .arg = r,
    };
    assert_int_equal(cr_zk_session_open(&test_loop, &c, &r->s), 0);
    assert_true(loop_until(&test_loop, srec_is_connected, r, 10));
    return r->s;
}

static void
srec_on_closed(void *arg)
{
    ((struct srec *)arg)->closed = true;
}

static bool
srec_is_closed(void *arg)
{
    return ((struct srec *)arg)->closed;
}

void
srec_close(struct srec *r)
{
    cr_zk_session_close(r->s, srec_on_closed, r);
    assert_true(loop_until(&test_loop, srec_is_closed, r, 10));
    r->s = NULL;
}

bool
srec_saw(const struct srec *r, enum cr_zk_event ev, const char *path)
{
    for (int i = 0; i < r->nwatch && i < REC_MAX_EVENTS; i++)
        if (r->ev[i] == ev && strcmp(r->evpath[i], path) == 0)
            return true;
    return false;
}

/* ---- operations ------------------------------------------------------ */

void
on_res(void *arg, const struct cr_zk_result *r)
{
    struct res *out = arg;
    out->done = true;
    out->rc = r->rc;
    if (r->path != NULL)
        snprintf(out->path, sizeof(out->path), "%s", r->path);
    if (r->data != NULL) {
        out->data = cr_xmalloc(r->len + 1);
        memcpy(out->data, r->data, r->len + 1);
        out->len = r->len;
    }
    for (size_t i = 0; i < r->n_children && i < 16; i++)
        snprintf(out->children[i], sizeof(out->children[0]), "%s",
                 r->children[i]);
    out->n = r->n_children;
    if (r->stat != NULL) {
        out->has_stat = true;
        out->stat = *r->stat;
    }
}

void
res_fini(struct res *r)
{
    free(r->data);
    memset(r, 0, sizeof(*r));
}

bool
res_done(void *arg)
{
    return ((struct res *)arg)->done;
}

static int
finish(int rc, struct res *r)
{
    assert_int_equal(rc, 0);
    assert_true(loop_until(&test_loop, res_done, r, 10));
    return r->rc;
}

int
sync_create(struct cr_zk_session *s, const char *path, const char *data,
            int flags, struct res *r)
{
    res_fini(r);
    return finish(
        cr_zk_create(s, path, data, data ? strlen(data) : 0, flags, on_res, r),
        r);
}

int
sync_get(struct cr_zk_session *s, const char *path, bool watch, struct res *r)
{
    res_fini(r);
    return finish(cr_zk_get(s, path, watch, on_res, r), r);
}

int
sync_children(struct cr_zk_session *s, const char *path, bool watch,
              struct res *r)
{
    res_fini(r);
    return finish(cr_zk_get_children(s, path, watch, on_res, r), r);
}

int
sync_exists(struct cr_zk_session *s, const char *path, bool watch,
            struct res *r)
{
    res_fini(r);
    return finish(cr_zk_exists(s, path, watch, on_res, r), r);
}

int
sync_delete(struct cr_zk_session *s, const char *path, struct res *r)
{
    res_fini(r);
    return finish(cr_zk_delete(s, path, -1, on_res, r), r);
}

/* ---- groups ---------------------------------------------------------- */

static void
mrec_on_contender(void *arg, enum cr_zk_contender_event ev, uint64_t seq,
                  const char *reason)
{
    struct mrec *m = arg;
    if (ev == CR_ZK_CANDIDATE) {
        m->ncand++;
        m->seq = seq;
    } else if (ev == CR_ZK_ELECTED) {
        m->nelected++;
    } else {
        m->nlost++;
    }
    snprintf(m->reason, sizeof(m->reason), "%s", reason);
}

static void
mrec_on_leader(void *arg, const struct cr_zk_leader *l)
{
    struct mrec *m = arg;
    m->nleader++;
    m->has_leader = l != NULL;
    m->data[0] = '\0';
    m->self = false;
    m->lseq = 0;
    if (l != NULL) {
        snprintf(m->data, sizeof(m->data), "%s", l->data);
        m->self = l->is_self;
        m->lseq = l->seq;
        assert_int_equal(strlen(l->data), l->len);
        assert_non_null(strstr(l->znode, "/json.info_"));
    }
}

void
mrec_open(struct mrec *m, const char *url_text, double timeout,
          const char *data)
{
    memset(m, 0, sizeof(*m));
    struct cr_zk_url url;
    char err[256];
    if (cr_zk_url_parse(url_text, &url, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    struct cr_zk_group_config c = {
        .url = &url,
        .session_timeout_secs = timeout,
        .on_leader = mrec_on_leader,
        .on_contender = mrec_on_contender,
        .arg = m,
    };
    int rc = cr_zk_group_open(&test_loop, &c, &m->g);
    cr_zk_url_fini(&url);
    assert_int_equal(rc, 0);
    if (data != NULL)
        assert_int_equal(cr_zk_group_contend(m->g, data, strlen(data)), 0);
}

static void
mrec_on_closed(void *arg)
{
    ((struct mrec *)arg)->closed = true;
}

static bool
mrec_is_closed(void *arg)
{
    return ((struct mrec *)arg)->closed;
}

void
mrec_close(struct mrec *m)
{
    cr_zk_group_close(m->g, mrec_on_closed, m);
    assert_true(loop_until(&test_loop, mrec_is_closed, m, 10));
    m->g = NULL;
}

bool
mrec_elected(void *arg)
{
    return ((struct mrec *)arg)->nelected > 0;
}

bool
mrec_candidate(void *arg)
{
    return ((struct mrec *)arg)->ncand > 0;
}

bool
mrec_lost(void *arg)
{
    return ((struct mrec *)arg)->nlost > 0;
}

bool
mrec_no_leader(void *arg)
{
    return !((struct mrec *)arg)->has_leader;
}

bool
mrec_connected(void *arg)
{
    struct mrec *m = arg;
    return cr_zk_group_session_state(m->g) == CR_ZK_CONNECTED;
}

struct leader_want {
    struct mrec *m;
    const char *data;
};

static bool
leader_matches(void *arg)
{
    struct leader_want *w = arg;
    if (w->data == NULL)
        return !w->m->has_leader;
    return w->m->has_leader && strcmp(w->m->data, w->data) == 0;
}

bool
mrec_wait_leader(struct mrec *m, const char *data, double secs)
{
    struct leader_want w = {m, data};
    return loop_until(&test_loop, leader_matches, &w, secs);
}

struct counts_want {
    struct mrec *m;
    int ncand, nelected;
};

static bool
counts_reached(void *arg)
{
    struct counts_want *w = arg;
    return w->m->ncand >= w->ncand && w->m->nelected >= w->nelected;
}

bool
mrec_wait_counts(struct mrec *m, int ncand, int nelected, double secs)
{
    struct counts_want w = {m, ncand, nelected};
    return loop_until(&test_loop, counts_reached, &w, secs);
}
