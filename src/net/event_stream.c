/* SPDX-License-Identifier: Apache-2.0
 *
 * event_stream.c: see event_stream.h. A streaming HTTP request whose
 * de-chunked body runs through a RecordIO reader; each record is parsed
 * as JSON and handed to on_event.
 *
 * Re-entrancy: user callbacks may close the stream. While a callback runs
 * (depth > 0) closing only marks the stream; it is freed when the
 * outermost callback returns. Loop thread only.
 */
#include "event_stream.h"

#include "base/buf.h"
#include "base/err.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "http_client.h"
#include "recordio.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct cr_event_stream {
    struct cr_http_stream_client *sc;
    struct cr_event_stream_cbs cbs;
    void *data;
    struct cr_recordio_reader rd;
    struct cr_buf detail;
    char *location;
    int status;
    int depth;
    bool closed; /* no more callbacks; free when depth drops to 0 */
};

static void
es_free(struct cr_event_stream *es)
{
    cr_recordio_reader_fini(&es->rd);
    cr_buf_fini(&es->detail);
    free(es->location);
    free(es);
}

static void
es_release_if_done(struct cr_event_stream *es)
{
    if (es->closed && es->depth == 0)
        es_free(es);
}

/* End the stream from inside: close the transport, report once. */
static void
es_finish(struct cr_event_stream *es, int err, const char *detail)
{
    if (es->closed)
        return;
    es->closed = true;
    cr_http_stream_client_close(es->sc);
    es->sc = NULL;
    if (es->cbs.on_close) {
        es->depth++;
        es->cbs.on_close(es->data, err, es->status, detail);
        es->depth--;
    }
}

static void
on_response(void *data, int status, const struct cr_http_headers *h)
{
    struct cr_event_stream *es = data;
    es->status = status;
    if (status == 307) {
        const char *loc = cr_http_headers_get(h, "Location");
        es->location = loc ? cr_xstrdup(loc) : NULL;
    }
    if (status != 200 || es->cbs.on_open == NULL)
        return;
    es->depth++;
    es->cbs.on_open(es->data, cr_http_headers_get(h, "Mesos-Stream-Id"));
    es->depth--;
    es_release_if_done(es);
}

static void
deliver_records(struct cr_event_stream *es)
{
    const char *rec;
    size_t len;
    enum cr_parse st;
    while (!es->closed && (st = cr_recordio_reader_next(&es->rd, &rec, &len)) ==
                              CR_PARSE_DONE) {
        char err[160];
        json_t *ev =
            cr_json_parse_max(rec, len, es->rd.max_record, err, sizeof(err));
        if (ev == NULL) {
            cr_warn("event stream: bad event: %s", err);
            es_finish(es, CR_EPROTO_DATA, NULL);
            return;
        }
        if (es->cbs.on_event)
            es->cbs.on_event(es->data, ev);
        json_decref(ev);
    }
    if (!es->closed && st == CR_PARSE_ERROR) {
        cr_warn("event stream: bad RecordIO framing");
        es_finish(es, CR_EPROTO_DATA, NULL);
    }
}

static void
on_data(void *data, const char *p, size_t n)
{
    struct cr_event_stream *es = data;
    if (es->closed)
        return;
    if (es->status != 200) {
        size_t room = es->detail.max - es->detail.len;
        cr_buf_append(&es->detail, p, n < room ? n : room);
        return;
    }
    es->depth++;
    if (cr_recordio_reader_feed(&es->rd, p, n) != 0)
        es_finish(es, CR_ETOOBIG, NULL);
    else
        deliver_records(es);
    es->depth--;
    es_release_if_done(es);
}

static void
on_close(void *data, int err)
{
    struct cr_event_stream *es = data;
    es->sc = NULL; /* the client frees itself after this callback */
    const char *detail = NULL;
    if (es->status == 307) {
        detail = es->location;
        err = err ? err : CR_ENOTLEADER;
    } else if (es->status != 0 && es->status != 200) {
        detail = es->detail.data ? es->detail.data : "";
        err = err ? err : CR_EPROTO_DATA;
    }
    es_finish(es, err, detail);
    es_release_if_done(es);
}

static const struct cr_http_stream_cbs stream_cbs = {
    .on_response = on_response,
    .on_data = on_data,
    .on_close = on_close,
};

void
cr_event_stream_set_max_record(struct cr_event_stream *es, size_t max)
{
    es->rd.max_record = max;
}

int
cr_event_stream_open(uv_loop_t *loop, const char *host, int port,
                     const char *path, const char *body,
                     const char *extra_headers, double connect_timeout,
                     const struct cr_event_stream_cbs *cbs, void *data,
                     struct cr_event_stream **out)
{
    struct cr_event_stream *es = cr_xcalloc(1, sizeof(*es));
    es->cbs = *cbs;
    es->data = data;
    cr_recordio_reader_init(&es->rd, CR_RECORDIO_MAX_RECORD);
    cr_buf_init(&es->detail, CR_EVENT_STREAM_MAX_DETAIL);
    char *headers = cr_xasprintf(
        "Content-Type: application/json\r\nAccept: application/json\r\n%s",
        extra_headers ? extra_headers : "");
    const char *b = body ? body : "";
    int rc = cr_http_stream_client_open(loop, host, port, "POST", path, headers,
                                        b, strlen(b), connect_timeout,
                                        &stream_cbs, es, &es->sc);
    free(headers);
    if (rc != 0) {
        es_free(es);
        return rc;
    }
    *out = es;
    return 0;
}

void
cr_event_stream_close(struct cr_event_stream *s)
{
    if (s == NULL)
        return;
    if (!s->closed) {
        s->closed = true;
        cr_http_stream_client_close(s->sc);
        s->sc = NULL;
    }
    es_release_if_done(s);
}
