/* SPDX-License-Identifier: Apache-2.0
 *
 * master_detector.c: see master_detector.h.
 *
 * The detector is a thin layer over a detector-only zk group: it keeps a
 * copy of the last usable leader (address, sequence, MasterInfo) and
 * passes changes on. The group already reports only changes (a new
 * member, or the same sequence re-created after a session expiry), so
 * every report with a usable address is passed on; "no leader" is passed
 * on once.
 *
 * Loop thread only, except cr_master_detect_once(), which owns a private
 * loop for the duration of the call.
 */
#include "detector/master_detector.h"

#include "base/err.h"
#include "base/log.h"
#include "base/mem.h"
#include "model/master_info.h"
#include "zk/group.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ZK_SCHEME   "zk://"
#define FILE_SCHEME "file://"

struct cr_master_detector {
    struct cr_zk_group *group;
    char *where; /* the url for logs, password masked */
    cr_master_detector_cb cb;
    void *arg;
    bool have_leader;
    struct cr_master_leader leader; /* info points into info */
    char *info;
    cr_master_detector_close_cb close_cb;
    void *close_arg;
};

/* ---- specs ----------------------------------------------------------- */

static int
spec_fail(struct cr_master_spec *out, char *err, size_t errlen, const char *why)
{
    cr_master_spec_fini(out);
    if (err != NULL && errlen > 0)
        snprintf(err, errlen, "master: %s", why);
    return CR_EINVAL_INPUT;
}

bool
cr_master_is_indirect(const char *text)
{
    return text != NULL &&
           (strncmp(text, ZK_SCHEME, strlen(ZK_SCHEME)) == 0 ||
            strncmp(text, FILE_SCHEME, strlen(FILE_SCHEME)) == 0);
}

/* Read at most CR_ZK_URL_MAX bytes of path into buf (size > that), trimmed.
 * 0 or -errno / CR_ETOOBIG. */
static int
read_small_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, size - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = -errno;
            close(fd);
            return e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
        if (n == size - 1) {
            close(fd);
            return CR_ETOOBIG;
        }
    }
    close(fd);
    buf[n] = '\0';
    while (n > 0 && isspace((unsigned char)buf[n - 1]))
        buf[--n] = '\0';
    size_t lead = 0;
    while (isspace((unsigned char)buf[lead]))
        lead++;
    memmove(buf, buf + lead, n - lead + 1);
    return 0;
}

static int
spec_from_text(const char *text, struct cr_master_spec *out, char *err,
               size_t errlen)
{
    if (strncmp(text, ZK_SCHEME, strlen(ZK_SCHEME)) == 0) {
        out->kind = CR_MASTER_ZK;
        if (cr_zk_url_parse_text(text, &out->zk, err, errlen) != 0) {
            cr_master_spec_fini(out);
            return CR_EINVAL_INPUT;
        }
        return 0;
    }
    if (text[0] == '\0')
        return spec_fail(out, err, errlen, "empty address");
    out->kind = CR_MASTER_HOSTS;
    out->hosts = cr_xstrdup(text);
    return 0;
}

int
cr_master_spec_parse(const char *text, struct cr_master_spec *out, char *err,
                     size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (text == NULL)
        return spec_fail(out, err, errlen, "no address");
    if (strlen(text) > CR_ZK_URL_MAX)
        return spec_fail(out, err, errlen, "address too long");
    if (strncmp(text, FILE_SCHEME, strlen(FILE_SCHEME)) != 0)
        return spec_from_text(text, out, err, errlen);

    const char *path = text + strlen(FILE_SCHEME);
    char why[200];
    if (path[0] != '/')
        return spec_fail(out, err, errlen,
                         "a file URL needs an absolute path (file:///...)");
    char *buf = cr_xmalloc(CR_ZK_URL_MAX + 2);
    int rc = read_small_file(path, buf, CR_ZK_URL_MAX + 2);
    if (rc == 0 && strncmp(buf, FILE_SCHEME, strlen(FILE_SCHEME)) == 0)
        rc = CR_EINVAL_INPUT;
    if (rc != 0) {
        snprintf(why, sizeof(why), "cannot use %.100s: %s", path,
                 rc == CR_ETOOBIG        ? "larger than 4 KiB"
                 : rc == CR_EINVAL_INPUT ? "it holds another file:// URL"
                                         : strerror(-rc));
        free(buf);
        return spec_fail(out, err, errlen, why);
    }
    rc = spec_from_text(buf, out, err, errlen);
    free(buf);
    return rc;
}

void
cr_master_spec_fini(struct cr_master_spec *s)
{
    if (s == NULL)
        return;
    free(s->hosts);
    cr_zk_url_fini(&s->zk);
    memset(s, 0, sizeof(*s));
}

/* ---- detector -------------------------------------------------------- */

static void
forget_leader(struct cr_master_detector *d)
{
    CR_FREE(d->info);
    memset(&d->leader, 0, sizeof(d->leader));
    d->have_leader = false;
}

static void
on_leader(void *arg, const struct cr_zk_leader *l)
{
    struct cr_master_detector *d = arg;
    struct cr_hostport hp;
    char why[256];
    if (l != NULL &&
        cr_master_info_address(l->data, l->len, hp.host, sizeof(hp.host),
                               &hp.port, why, sizeof(why)) != 0) {
        cr_warn("master detector: leader %s in %s is unusable: %s", l->znode,
                d->where, why);
        l = NULL;
    }
    if (l == NULL) {
        if (!d->have_leader)
            return;
        forget_leader(d);
        cr_warn("master detector: no leading master in %s", d->where);
        d->cb(d->arg, NULL);
        return;
    }
    forget_leader(d);
    d->info = cr_xmalloc(l->len + 1);
    memcpy(d->info, l->data, l->len);
    d->info[l->len] = '\0';
    d->leader = (struct cr_master_leader){
        .addr = hp, .seq = l->seq, .info = d->info, .info_len = l->len};
    d->have_leader = true;
    cr_info("master detector: leading master is %s:%d (%s)", hp.host, hp.port,
            l->znode);
    d->cb(d->arg, &d->leader);
}

int
cr_master_detector_open(uv_loop_t *loop, const struct cr_zk_url *url,
                        double session_timeout, cr_master_detector_cb cb,
                        void *arg, struct cr_master_detector **out)
{
    if (loop == NULL || url == NULL || cb == NULL || out == NULL)
        return CR_EINVAL_INPUT;
    struct cr_master_detector *d = cr_xcalloc(1, sizeof(*d));
    d->cb = cb;
    d->arg = arg;
    d->where = cr_zk_url_to_string(url);
    struct cr_zk_group_config c = {
        .url = url,
        .session_timeout_secs = session_timeout,
        .on_leader = on_leader,
        .arg = d,
    };
    int rc = cr_zk_group_open(loop, &c, &d->group);
    if (rc != 0) {
        free(d->where);
        free(d);
        return rc;
    }
    *out = d;
    return 0;
}

static void
on_group_closed(void *arg)
{
    struct cr_master_detector *d = arg;
    cr_master_detector_close_cb cb = d->close_cb;
    void *cb_arg = d->close_arg;
    forget_leader(d);
    free(d->where);
    free(d);
    if (cb != NULL)
        cb(cb_arg);
}

void
cr_master_detector_close(struct cr_master_detector *d,
                         cr_master_detector_close_cb cb, void *arg)
{
    d->close_cb = cb;
    d->close_arg = arg;
    cr_zk_group_close(d->group, on_group_closed, d);
    d->group = NULL;
}

const struct cr_master_leader *
cr_master_detector_leader(const struct cr_master_detector *d)
{
    return d->have_leader ? &d->leader : NULL;
}

/* ---- one-shot detection ---------------------------------------------- */

struct once {
    uv_loop_t loop;
    uv_timer_t timer;
    struct cr_master_detector *d;
    bool found, timed_out, closed;
    struct cr_hostport addr;
};

static void
once_on_leader(void *arg, const struct cr_master_leader *l)
{
    struct once *o = arg;
    if (l == NULL || o->found)
        return;
    o->found = true;
    o->addr = l->addr;
    uv_stop(&o->loop);
}

static void
once_on_timer(uv_timer_t *t)
{
    struct once *o = t->data;
    o->timed_out = true;
    uv_stop(&o->loop);
}

static void
once_on_closed(void *arg)
{
    struct once *o = arg;
    o->closed = true;
}

int
cr_master_detect_once(const struct cr_zk_url *url, double session_timeout,
                      double wait_secs, struct cr_hostport *out, char *err,
                      size_t errlen)
{
    struct once o;
    memset(&o, 0, sizeof(o));
    char *where = cr_zk_url_to_string(url);
    int rc = uv_loop_init(&o.loop);
    if (rc != 0) {
        snprintf(err, errlen, "cannot create a loop: %s", uv_strerror(rc));
        free(where);
        return rc;
    }
    rc = cr_master_detector_open(&o.loop, url, session_timeout, once_on_leader,
                                 &o, &o.d);
    if (rc != 0) {
        snprintf(err, errlen, "cannot use ZooKeeper %s: %s", where,
                 cr_strerror(rc));
        uv_run(&o.loop, UV_RUN_DEFAULT); /* a refused session's handles */
    } else {
        uv_timer_init(&o.loop, &o.timer);
        o.timer.data = &o;
        uv_timer_start(&o.timer, once_on_timer,
                       (uint64_t)(wait_secs > 0 ? wait_secs * 1000 : 0), 0);
        while (!o.found && !o.timed_out)
            uv_run(&o.loop, UV_RUN_ONCE);
        bool reached = cr_zk_group_session_state(o.d->group) == CR_ZK_CONNECTED;
        uv_close((uv_handle_t *)&o.timer, NULL);
        cr_master_detector_close(o.d, once_on_closed, &o);
        while (!o.closed)
            uv_run(&o.loop, UV_RUN_ONCE);
        uv_run(&o.loop, UV_RUN_DEFAULT); /* the timer's close */
        if (o.found) {
            *out = o.addr;
        } else {
            snprintf(err, errlen, "%s %s within %.0fs",
                     reached ? "no leading master in ZooKeeper"
                             : "cannot reach ZooKeeper at",
                     where, wait_secs);
            rc = CR_ETIMEOUT;
        }
    }
    free(where);
    if (uv_loop_close(&o.loop) != 0)
        cr_warn("master detector: private loop still busy at close");
    return rc;
}
