/* SPDX-License-Identifier: Apache-2.0
 *
 * fake_master.c: see fake_master.h.
 */
#include "fake_master.h"

#include "base/buf.h"
#include "base/id.h"
#include "base/json.h"
#include "base/mem.h"
#include "net/recordio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
on_stream_closed(struct cr_http_stream *s, void *data)
{
    struct fake_master *fm = data;
    if (fm->stream == s)
        fm->stream = NULL;
}

void
fake_master_send(struct fake_master *fm, const char *json)
{
    if (fm->stream == NULL)
        return;
    struct cr_buf b;
    cr_buf_init(&b, 1 << 20);
    cr_recordio_encode(&b, json, strlen(json));
    cr_http_stream_write(fm->stream, b.data, b.len);
    cr_buf_fini(&b);
}

void
fake_master_drop(struct fake_master *fm)
{
    if (fm->stream)
        cr_http_stream_end(fm->stream);
    fm->stream = NULL;
}

static void
start_stream(struct fake_master *fm, struct cr_http_req *req, json_t *call)
{
    fake_master_drop(fm);
    cr_uuid_str(fm->stream_id);
    char hdr[128];
    snprintf(hdr, sizeof(hdr), "Mesos-Stream-Id: %s\r\n", fm->stream_id);
    fm->stream = cr_http_stream_start(req, 200, "application/json", hdr,
                                      on_stream_closed, fm);
    const char *fid = cr_json_id(call, "framework_id");
    char ev[512];
    snprintf(ev, sizeof(ev),
             "{\"type\":\"SUBSCRIBED\",\"subscribed\":{\"framework_id\":"
             "{\"value\":\"%s\"},\"heartbeat_interval_seconds\":%g}}",
             fid ? fid : fm->framework_id, fm->hb_interval);
    fake_master_send(fm, ev);
    fake_master_send(fm, "{\"type\":\"HEARTBEAT\"}");
}

static void
on_subscribe(struct fake_master *fm, struct cr_http_req *req, json_t *call)
{
    char hdr[128];
    fm->n_subscribes++;
    json_decref(fm->last_subscribe);
    fm->last_subscribe = json_incref(call);
    switch (fm->mode) {
    case FM_REDIRECT:
        snprintf(hdr, sizeof(hdr),
                 "Location: //127.0.0.1:%d/api/v1/scheduler\r\n",
                 fm->redirect_port);
        cr_http_respond(req, 307, NULL, NULL, 0, hdr);
        return;
    case FM_UNAVAILABLE:
        cr_http_respond_text(req, 503, "No leader elected");
        return;
    case FM_BAD_REQUEST:
        cr_http_respond_text(req, 400, "Missing required fields: user");
        return;
    case FM_STREAM:
        start_stream(fm, req, call);
        return;
    }
}

static void
on_call(struct fake_master *fm, struct cr_http_req *req, json_t *call)
{
    const char *sid = cr_http_headers_get(&req->headers, "Mesos-Stream-Id");
    json_array_append(fm->calls, call);
    json_array_append_new(fm->call_stream_ids, json_string(sid ? sid : ""));
    if (fm->hold_calls && fm->held_req == NULL) {
        fm->held_req = req;
        return;
    }
    if (fm->stream == NULL) {
        cr_http_respond_text(req, 403, "Framework is not subscribed");
        return;
    }
    if (sid == NULL || strcmp(sid, fm->stream_id) != 0) {
        cr_http_respond_text(req, 400,
                             "The stream ID included in this request didn't "
                             "match the stream ID currently associated");
        return;
    }
    cr_http_respond(req, 202, NULL, NULL, 0, NULL);
    const char *type = cr_json_str(call, "type");
    if (fm->end_on_teardown && type && strcmp(type, "TEARDOWN") == 0)
        fake_master_drop(fm);
}

static void
handler(struct cr_http_req *req, void *data)
{
    struct fake_master *fm = data;
    char err[128];
    if (strcmp(req->path, "/api/v1/scheduler") != 0) {
        cr_http_respond_text(req, 404, "not found");
        return;
    }
    json_t *call = cr_json_parse(req->body, req->body_len, err, sizeof(err));
    const char *type = cr_json_str(call, "type");
    if (type == NULL)
        cr_http_respond_text(req, 400, "bad call");
    else if (strcmp(type, "SUBSCRIBE") == 0)
        on_subscribe(fm, req, call);
    else
        on_call(fm, req, call);
    json_decref(call);
}

void
fake_master_init(struct fake_master *fm, uv_loop_t *loop)
{
    memset(fm, 0, sizeof(*fm));
    fm->loop = loop;
    fm->framework_id = "fw-1";
    fm->hb_interval = 15;
    fm->calls = json_array();
    fm->call_stream_ids = json_array();
    fm->srv = cr_http_server_new(loop, handler, fm);
    if (cr_http_server_listen(fm->srv, "127.0.0.1", 0, &fm->port) != 0)
        abort();
}

void
fake_master_release(struct fake_master *fm)
{
    if (fm->held_req) {
        cr_http_respond(fm->held_req, 202, NULL, NULL, 0, NULL);
        fm->held_req = NULL;
    }
}

void
fake_master_fini(struct fake_master *fm)
{
    fake_master_release(fm);
    fake_master_drop(fm);
    cr_http_server_free(fm->srv);
    fm->srv = NULL;
    json_decref(fm->last_subscribe);
    json_decref(fm->calls);
    json_decref(fm->call_stream_ids);
}

int
fake_master_count(const struct fake_master *fm, const char *type)
{
    int n = 0;
    size_t i;
    json_t *c;
    json_array_foreach(fm->calls, i, c)
    {
        const char *t = cr_json_str(c, "type");
        if (type == NULL || (t && strcmp(t, type) == 0))
            n++;
    }
    return n;
}

json_t *
fake_master_last(const struct fake_master *fm, const char *type)
{
    json_t *found = NULL;
    size_t i;
    json_t *c;
    json_array_foreach(fm->calls, i, c)
    {
        const char *t = cr_json_str(c, "type");
        if (t && strcmp(t, type) == 0)
            found = c;
    }
    return found;
}
