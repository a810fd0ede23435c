/* SPDX-License-Identifier: Apache-2.0
 *
 * cluster.c: see cluster.h.
 */
#include "cluster.h"

#include "base/mem.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
open_one(struct cluster *cl, int i)
{
    char err[256];
    struct cr_log_storage_opts so = {.no_sync = true};
    if (cr_log_replica_open(&cl->loop, cl->dirs[i], &so, &cl->r[i], err,
                            sizeof(err)) != 0) {
        fprintf(stderr, "open %s: %s\n", cl->dirs[i], err);
        abort();
    }
    fake_net_set(cl->net, cl->names[i], cl->r[i]);
}

static void
on_done(void *data, int err)
{
    *(int *)data = err == 0 ? 1 : -1;
}

static bool
int_set(void *data)
{
    return *(int *)data != 0;
}

void
cl_init(struct cluster *cl, int n, bool voting, const struct fake_net_opts *o)
{
    memset(cl, 0, sizeof(*cl));
    uv_loop_init(&cl->loop);
    cl->root = tu_tmpdir();
    cl->n = n;
    cl->net = fake_net_new(&cl->loop, o);
    for (int i = 0; i < n; i++) {
        snprintf(cl->names[i], sizeof(cl->names[i]), "r%d", i);
        cl->peers[i] = cl->names[i];
        cl->dirs[i] = cr_xasprintf("%s/%s", cl->root, cl->names[i]);
        open_one(cl, i);
        if (!voting)
            continue;
        int done = 0;
        if (cr_log_replica_set_status(cl->r[i], CR_LOG_VOTING, 0, "test",
                                      on_done, &done) != 0 ||
            !tu_run_until_pred(&cl->loop, int_set, &done, 5) || done != 1)
            abort();
    }
}

void
cl_fini(struct cluster *cl)
{
    for (int i = 0; i < cl->n; i++) {
        fake_net_set(cl->net, cl->names[i], NULL); /* nothing new for it */
        cr_log_replica_close(cl->r[i]);
        free(cl->dirs[i]);
    }
    tu_drain(&cl->loop);
    fake_net_free(cl->net);
    tu_loop_close(&cl->loop);
    tu_rmrf(cl->root);
    free(cl->root);
}

static void
on_closed(void *data)
{
    *(int *)data = 1;
}

void
cl_restart(struct cluster *cl, int i, bool wipe)
{
    fake_net_set(cl->net, cl->names[i], NULL);
    int closed = 0;
    cr_log_replica_close_cb(cl->r[i], on_closed, &closed);
    cl->r[i] = NULL;
    if (!tu_run_until_pred(&cl->loop, int_set, &closed, 10))
        abort();
    if (wipe)
        tu_rmrf(cl->dirs[i]);
    open_one(cl, i);
}

struct cr_log_coord *
cl_coord(struct cluster *cl, int local, size_t quorum, uint64_t seed)
{
    struct cr_log_coord_cfg cfg = {
        .transport = fake_net_transport(cl->net),
        .quorum = quorum,
        .local = local >= 0 ? cl->names[local] : NULL,
        .replica = local >= 0 ? cl->r[local] : NULL,
        .call_timeout = 0.06,
        .retry_min = 0.01,
        .seed = seed,
    };
    struct cr_log_coord *c = cr_log_coord_new(&cl->loop, &cfg);
    cr_log_coord_set_peers(c, cl->peers, (size_t)cl->n);
    return c;
}

void
cl_on_res(void *data, int err, uint64_t pos)
{
    struct res *r = data;
    r->done = true;
    r->err = err;
    r->pos = pos;
}

bool
cl_wait(struct cluster *cl, struct res *r, double secs)
{
    return tu_run_until(&cl->loop, &r->done, secs);
}

void
cl_read(struct cluster *cl, int i, uint64_t from, uint64_t to, char **out)
{
    for (uint64_t p = from; p <= to; p++) {
        struct cr_log_action a;
        char *s;
        if (cr_log_replica_get(cl->r[i], p, &a) != 0 || !a.learned)
            s = cr_xstrdup("?");
        else if (a.type == CR_LOG_APPEND)
            s = cr_xstrndup((const char *)a.value, a.value_len);
        else if (a.type == CR_LOG_TRUNCATE)
            s = cr_xstrdup("<truncate>");
        else
            s = cr_xstrdup("");
        cr_log_action_fini(&a);
        out[p - from] = s;
    }
}

void
cl_free_strs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
}

struct learned_arg {
    struct cluster *cl;
    int i;
    uint64_t upto;
};

static bool
learned_pred(void *data)
{
    struct learned_arg *a = data;
    return cr_log_replica_first_unlearned(a->cl->r[a->i]) > a->upto;
}

bool
cl_wait_learned(struct cluster *cl, int i, uint64_t upto, double secs)
{
    struct learned_arg a = {cl, i, upto};
    return tu_run_until_pred(&cl->loop, learned_pred, &a, secs);
}
