/* SPDX-License-Identifier: Apache-2.0
 *
 * leadership.c: whether this master leads, and what a standby does.
 *
 * Without --zk the master leads from the start. With --zk it joins the
 * election in ZooKeeper (src/zk/group.h: an EPHEMERAL|SEQUENTIAL
 * json.info_ znode holding our MasterInfo) and detects the leader:
 *
 *            contend()            ELECTED
 *   STANDBY ----------> CANDIDATE ---------> LEADING
 *      ^                    |                   |
 *      +------ LOST --------+------ LOST -------+  (demote, contend again)
 *
 * A standby answers every leader-only call with 307 to the leader
 * (protocol-relative Location, as upstream) or 503 while no leader is
 * known. Losing leadership (LOST: our session expired, including the
 * session layer's own early expiry, or our node vanished) demotes the
 * master at once: every stream is closed and all soft state (frameworks,
 * agents, tasks, offers) dropped before anything else runs, so there is
 * never a moment where two masters both serve. Frameworks and agents then
 * find the new leader and re-register with it, as after any failover.
 * Between ELECTED and LEADING the registry is recovered (recovery.c);
 * losing leadership meanwhile cancels the recovery.
 *
 * Loop thread only.
 */
#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "master.h"
#include "model/master_info.h"
#include "zk/group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool
master_is_leader(const struct master *m)
{
    return m->leading;
}

/* Answer a leader-only request on a standby. */
void
master_redirect(struct master *m, struct cr_http_req *req, bool keep_path)
{
    if (!m->leader_known) {
        cr_http_respond_text(req, 503, "No leader elected");
        return;
    }
    char loc[2048];
    if (keep_path)
        snprintf(loc, sizeof(loc), "Location: //%s:%d%s%s%s\r\n",
                 m->leader_host, m->leader_port, req->path,
                 req->query ? "?" : "", req->query ? req->query : "");
    else
        snprintf(loc, sizeof(loc), "Location: //%s:%d\r\n", m->leader_host,
                 m->leader_port);
    cr_http_respond(req, 307, NULL, NULL, 0, loc);
}

static void
on_leader(void *arg, const struct cr_zk_leader *leader)
{
    struct master *m = arg;
    char err[200];
    json_decref(m->leader_info);
    m->leader_info = NULL;
    if (leader == NULL) {
        m->leader_known = false;
        cr_info("no leading master is known");
        return;
    }
    char host[256];
    int port;
    if (cr_master_info_address(leader->data, leader->len, host, sizeof(host),
                               &port, err, sizeof(err)) != 0) {
        m->leader_known = false;
        cr_warn("cannot use leader znode %s: %s", leader->znode, err);
        return;
    }
    free(m->leader_host);
    m->leader_host = cr_xstrdup(host);
    m->leader_port = port;
    m->leader_known = true;
    m->leader_info = cr_json_parse(leader->data, leader->len, err, sizeof(err));
    cr_info("leading master is %s:%d%s (%s)", host, port,
            leader->is_self ? " (this master)" : "", leader->znode);
}

static void contend(struct master *m);

static void
on_contender(void *arg, enum cr_zk_contender_event ev, uint64_t seq,
             const char *reason)
{
    struct master *m = arg;
    switch (ev) {
    case CR_ZK_CANDIDATE:
        cr_info("contending for leadership as json.info_%010llu",
                (unsigned long long)seq);
        break;
    case CR_ZK_ELECTED:
        m->elected_time = cr_wall_secs();
        cr_info("elected leading master (json.info_%010llu)",
                (unsigned long long)seq);
        master_elected(m); /* leads once the registry is recovered */
        break;
    case CR_ZK_LOST:
        if (m->leading || m->recovering) {
            cr_warn("lost leadership (%s): dropping all state and standing "
                    "by",
                    reason ? reason : "?");
            master_demoted(m);
            master_reset_state(m);
        } else {
            cr_info("left the election (%s)", reason ? reason : "?");
        }
        contend(m);
        break;
    }
}

static void
contend(struct master *m)
{
    json_t *info = master_info_json(m);
    char *data = cr_json_dump(info);
    json_decref(info);
    int rc = cr_zk_group_contend(m->zk, data, strlen(data));
    free(data);
    if (rc != 0)
        cr_error("cannot join the election: %d", rc);
}

int
leadership_start(struct master *m, char *err, size_t errlen)
{
    if (m->flags.zk == NULL) {
        m->leader_known = true;
        m->leader_host = cr_xstrdup(m->hostname);
        m->leader_port = m->advertise_port;
        m->leader_info = master_info_json(m);
        master_elected(m);
        return 0;
    }
    struct cr_zk_url url;
    if (cr_zk_url_parse(m->flags.zk, &url, err, errlen) != 0)
        return -1;
    struct cr_zk_group_config c = {
        .url = &url,
        .session_timeout_secs = m->flags.zk_session_timeout,
        .on_leader = on_leader,
        .on_contender = on_contender,
        .arg = m,
    };
    int rc = cr_zk_group_open(m->loop, &c, &m->zk);
    char *shown = cr_zk_url_to_string(&url);
    cr_zk_url_fini(&url);
    if (rc != 0) {
        snprintf(err, errlen, "cannot use ZooKeeper at %s: %d", shown, rc);
        free(shown);
        return -1;
    }
    cr_info("standing by; contending for leadership through %s", shown);
    free(shown);
    contend(m);
    return 0;
}

void
leadership_stop(struct master *m)
{
    if (m->zk)
        cr_zk_group_close(m->zk, NULL, NULL);
    m->zk = NULL;
    m->leading = false;
    json_decref(m->leader_info);
    m->leader_info = NULL;
}
