/* SPDX-License-Identifier: Apache-2.0
 *
 * test_api.c: the v1 API helpers (src/net/api.c). Pure helpers are called
 * directly; the request checks and typed responses run behind an
 * in-process server on 127.0.0.1 (a free port) and are asserted by
 * status, headers and body, word for word, as the daemons' integration
 * tests expect them. The logging level's revert timer runs on the same
 * loop, polled with a deadline.
 */

/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/log.h"
#include "base/mem.h"
#include "net/api.h"
#include "net/http_client.h"
#include "net/http_server.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- pure helpers -------------------------------------------------------- */

static void
test_is_media(void **state)
{
    (void)state;
    const char *json = "application/json";
    assert_true(cr_api_is_media("application/json", json));
    assert_true(cr_api_is_media("Application/JSON", json));
    assert_true(cr_api_is_media("application/json; charset=utf-8", json));
    assert_true(cr_api_is_media("application/json;charset=utf-8", json));
    assert_true(cr_api_is_media("application/json ", json));
    assert_false(cr_api_is_media("application/jsonx", json));
    assert_false(cr_api_is_media("application/x-protobuf", json));
    assert_false(cr_api_is_media("text/plain", json));
    assert_false(cr_api_is_media("", json));
    assert_false(cr_api_is_media(NULL, json));
}

static void
test_accepts_json(void **state)
{
    (void)state;
    assert_true(cr_api_accepts_json(NULL));
    assert_true(cr_api_accepts_json(""));
    assert_true(cr_api_accepts_json("application/json"));
    assert_true(cr_api_accepts_json("text/html, */*;q=0.8"));
    assert_true(cr_api_accepts_json("application/*"));
    assert_true(
        cr_api_accepts_json("application/x-protobuf, application/json"));
    assert_false(cr_api_accepts_json("application/x-protobuf"));
    assert_false(cr_api_accepts_json("text/plain"));
}

static void
test_type_field(void **state)
{
    (void)state;
    char out[64];
    assert_string_equal(cr_api_type_field("GET_STATE", out, sizeof(out)),
                        "get_state");
    assert_string_equal(cr_api_type_field("SET_LOGGING_LEVEL", out, 64),
                        "set_logging_level");
    assert_string_equal(cr_api_type_field("Get_V1x", out, 64), "get_v1x");
    assert_string_equal(cr_api_type_field("", out, 64), "");
    /* truncated to n - 1 bytes, always terminated */
    assert_string_equal(cr_api_type_field("GET_STATE", out, 4), "get");
    assert_string_equal(cr_api_type_field("GET_STATE", out, 1), "");
}

static void
test_strip_nulls(void **state)
{
    (void)state;
    json_t *v = json_loads("{\"type\":\"SUBSCRIBE\",\"a\":null,"
                           "\"b\":{\"c\":null,\"d\":[{\"e\":null,\"f\":1},"
                           "null]},\"g\":[]}",
                           0, NULL);
    assert_non_null(v);
    cr_api_strip_nulls(v);
    json_t *want = json_loads("{\"type\":\"SUBSCRIBE\",\"b\":{\"d\":[{\"f\":1},"
                              "null]},\"g\":[]}",
                              0, NULL);
    /* array elements stay (only object members are "not set") */
    assert_true(json_equal(v, want));
    json_decref(v);
    json_decref(want);

    /* deeper than 64 levels: the deep nulls stay, nothing breaks */
    json_t *root = json_object(), *o = root;
    for (int i = 0; i < 100; i++) {
        json_t *next = json_object();
        json_object_set_new(o, "n", next);
        json_object_set_new(o, "z", json_null());
        o = next;
    }
    cr_api_strip_nulls(root);
    assert_null(json_object_get(root, "z"));
    o = root;
    int depth = 0;
    while (json_object_get(o, "n")) {
        if (json_object_get(o, "z"))
            break;
        o = json_object_get(o, "n");
        depth++;
    }
    assert_int_equal(depth, 65);
    assert_non_null(json_object_get(o, "z"));
    json_decref(root);
    cr_api_strip_nulls(NULL); /* NULL-safe */
}

static void
test_version_info(void **state)
{
    (void)state;
    json_t *v = cr_api_version_info(false);
    assert_string_equal(json_string_value(json_object_get(v, "version")),
                        CR_VERSION);
    assert_string_equal(json_string_value(json_object_get(v, "build_date")),
                        __DATE__);
    assert_string_equal(json_string_value(json_object_get(v, "build_user")),
                        "corral");
    json_t *bt = json_object_get(v, "build_time");
    assert_true(json_is_real(bt));
    assert_true(json_real_value(bt) > 1.5e9);
    assert_null(json_object_get(v, "git_sha"));
    assert_int_equal(json_object_size(v), 4);
    json_decref(v);

    v = cr_api_version_info(true);
    assert_string_equal(json_string_value(json_object_get(v, "git_sha")), "");
    assert_int_equal(json_object_size(v), 5);
    json_decref(v);
}

static void
test_metrics(void **state)
{
    (void)state;
    json_t *flat =
        json_pack("{s:i, s:f, s:s, s:b, s:n}", "master/a", 3, "master/b", 0.5,
                  "master/c", "x", "master/d", 1, "master/e");
    json_t *m = cr_api_metrics(flat); /* takes flat */
    json_t *want =
        json_pack("{s:[{s:s, s:f}, {s:s, s:f}]}", "metrics", "name", "master/a",
                  "value", 3.0, "name", "master/b", "value", 0.5);
    assert_true(json_equal(m, want));
    json_decref(m);
    json_decref(want);

    m = cr_api_metrics(NULL);
    assert_int_equal(json_array_size(json_object_get(m, "metrics")), 0);
    json_decref(m);
}

static json_int_t
level_now(void)
{
    json_t *v = cr_api_logging_level();
    json_int_t n = json_integer_value(json_object_get(v, "level"));
    json_decref(v);
    return n;
}

static void
test_logging_level(void **state)
{
    (void)state;
    int saved = cr_log_level_current;
    cr_log_set_level(CR_LOG_WARN);
    assert_int_equal(level_now(), 0);
    cr_log_set_level(CR_LOG_INFO);
    assert_int_equal(level_now(), 0);
    cr_log_set_level(CR_LOG_DEBUG);
    assert_int_equal(level_now(), 1);
    cr_log_set_level((enum cr_log_level)saved);
}

/* ---- over HTTP ------------------------------------------------------------
 */

#define SMALL_MAX 64 /* the response limit of /small */

struct fixture {
    uv_loop_t loop;
    struct cr_http_server *srv;
    int port;
};

static struct fixture fx;

/* test::Call: a string "type", nothing else. */
static int
validate(const json_t *call, char *err, size_t errlen)
{
    if (!json_is_string(json_object_get(call, "type"))) {
        snprintf(err, errlen, "Expecting 'type' to be present");
        return -1;
    }
    return 0;
}

/* Answers {"type": T, "<t>": the call as parsed}. */
static void
handler(struct cr_http_req *req, void *data)
{
    (void)data;
    size_t max = strcmp(req->path, "/small") == 0 ? SMALL_MAX : 1u << 20;
    json_t *call;
    if (cr_api_parse_call(req, validate, "test::Call", &call) != 0)
        return;
    if (cr_api_check_accept(req) == 0)
        cr_api_respond_typed(req,
                             json_string_value(json_object_get(call, "type")),
                             json_deep_copy(call), max);
    json_decref(call);
}

static void
on_tick(uv_timer_t *t)
{
    (void)t;
}

/* Run the loop until *flag is set or secs pass. Returns *flag. */
static bool
run_until(const bool *flag, double secs)
{
    uv_timer_t tick;
    uv_timer_init(&fx.loop, &tick);
    uv_timer_start(&tick, on_tick, 5, 5);
    uv_update_time(&fx.loop);
    uint64_t end = uv_now(&fx.loop) + (uint64_t)(secs * 1000);
    while (!*flag && uv_now(&fx.loop) < end)
        uv_run(&fx.loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&fx.loop, UV_RUN_NOWAIT);
    return *flag;
}

struct result {
    bool done;
    int err, status;
    char *body;
    char ctype[128], allow[64];
};

static void
copy_header(char *dst, size_t n, const struct cr_http_response *resp,
            const char *name)
{
    const char *v = cr_http_headers_get(&resp->headers, name);
    snprintf(dst, n, "%s", v ? v : "(none)");
}

static void
on_response(int err, const struct cr_http_response *resp, void *data)
{
    struct result *r = data;
    r->done = true;
    r->err = err;
    if (resp == NULL)
        return;
    r->status = resp->status;
    r->body = cr_xstrndup(resp->body, resp->body_len);
    copy_header(r->ctype, sizeof(r->ctype), resp, "Content-Type");
    copy_header(r->allow, sizeof(r->allow), resp, "Allow");
}

/* One call; the answer's status, headers and body in *r (free r->body). */
static void
call(const char *method, const char *path, const char *headers,
     const char *body, struct result *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(cr_http_call_start(&fx.loop, "127.0.0.1", fx.port, method,
                                        path, headers, body,
                                        body ? strlen(body) : 0, 5, on_response,
                                        r, NULL),
                     0);
    assert_true(run_until(&r->done, 10));
    assert_int_equal(r->err, 0);
}

static void
expect(const char *method, const char *headers, const char *body, int status,
       const char *text)
{
    struct result r;
    call(method, "/api", headers, body, &r);
    assert_int_equal(r.status, status);
    assert_string_equal(r.body, text);
    free(r.body);
}

#define CT_JSON "Content-Type: application/json\r\n"

static void
test_request_checks(void **state)
{
    (void)state;
    struct result r;
    call("GET", "/api", NULL, NULL, &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.body, "Expecting 'POST'");
    assert_string_equal(r.allow, "POST");
    free(r.body);

    expect("POST", NULL, "{}", 400, "Expecting 'Content-Type' to be present");
    expect("POST", "Content-Type: application/x-protobuf\r\n", "{}", 415,
           "Expecting 'Content-Type' of application/json (protobuf is not "
           "supported); got 'application/x-protobuf'");
    expect("POST", CT_JSON, "[1]", 400,
           "Failed to parse body into Call: not a JSON object");
    expect("POST", CT_JSON, "{\"type\": null}", 400,
           "Failed to validate test::Call: Expecting 'type' to be present");
    expect("POST", CT_JSON "Accept: application/x-protobuf\r\n",
           "{\"type\": \"GET_HEALTH\"}", 406, CR_API_NOT_ACCEPTABLE);

    call("POST", "/api", CT_JSON, "{\"type\":", &r);
    assert_int_equal(r.status, 400);
    assert_true(strncmp(r.body, "Failed to parse body into Call: ", 32) == 0);
    assert_true(strlen(r.body) > 32); /* the parser's reason follows */
    free(r.body);
}

static void
test_typed_response(void **state)
{
    (void)state;
    struct result r;
    call("POST", "/api",
         "Content-Type: Application/JSON; charset=utf-8\r\n"
         "Accept: application/json\r\n",
         "{\"type\":\"GET_HEALTH\",\"x\":null,\"y\":{\"z\":null}}", &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "application/json");
    json_t *got = json_loads(r.body, 0, NULL);
    json_t *want = json_loads("{\"type\":\"GET_HEALTH\",\"get_health\":"
                              "{\"type\":\"GET_HEALTH\",\"y\":{}}}",
                              0, NULL);
    assert_true(json_equal(got, want));
    json_decref(got);
    json_decref(want);
    free(r.body);

    /* past the caller's limit: 500, nothing half-written */
    call("POST", "/small", CT_JSON,
         "{\"type\":\"GET_STATE\",\"pad\":\"0123456789012345678901234567890"
         "123456789\"}",
         &r);
    assert_int_equal(r.status, 500);
    assert_string_equal(r.body, "Response too large");
    free(r.body);
}

/* Run the loop until the log level is level or secs pass. */
static bool
wait_level(int level, double secs)
{
    uv_update_time(&fx.loop);
    uint64_t end = uv_now(&fx.loop) + (uint64_t)(secs * 1000);
    while (cr_log_level_current != level && uv_now(&fx.loop) < end) {
        bool never = false;
        run_until(&never, 0.01);
    }
    return cr_log_level_current == level;
}

static void
test_set_logging_level(void **state)
{
    (void)state;
    int saved = cr_log_level_current;
    cr_log_set_level(CR_LOG_INFO);
    cr_api_set_logging_level(&fx.loop, 1, 50);
    assert_int_equal(cr_log_level_current, CR_LOG_DEBUG);
    assert_int_equal(level_now(), 1);
    /* a second change before the revert keeps the first level to return to */
    cr_api_set_logging_level(&fx.loop, 0, 30);
    assert_int_equal(cr_log_level_current, CR_LOG_INFO);
    cr_api_set_logging_level(&fx.loop, 7, 30);
    assert_int_equal(cr_log_level_current, CR_LOG_DEBUG);
    assert_true(wait_level(CR_LOG_INFO, 10));

    /* from WARN: level 0 keeps WARN (never louder than before), and a
     * non-positive or NaN duration reverts at the next turn */
    cr_log_set_level(CR_LOG_WARN);
    cr_api_set_logging_level(&fx.loop, 0, -5);
    assert_int_equal(cr_log_level_current, CR_LOG_WARN);
    cr_api_set_logging_level(&fx.loop, 1, NAN);
    assert_int_equal(cr_log_level_current, CR_LOG_DEBUG);
    assert_true(wait_level(CR_LOG_WARN, 10));
    cr_log_set_level((enum cr_log_level)saved);
}

static void
close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

static int
group_setup(void **state)
{
    (void)state;
    uv_loop_init(&fx.loop);
    fx.srv = cr_http_server_new(&fx.loop, handler, NULL);
    assert_int_equal(cr_http_server_listen(fx.srv, "127.0.0.1", 0, &fx.port),
                     0);
    return 0;
}

static int
group_teardown(void **state)
{
    (void)state;
    cr_http_server_free(fx.srv);
    cr_http_client_shutdown(&fx.loop);
    uv_run(&fx.loop, UV_RUN_NOWAIT);
    /* the revert timer is unreferenced: close it as a daemon's walk does */
    uv_walk(&fx.loop, close_walk, NULL);
    uv_run(&fx.loop, UV_RUN_DEFAULT);
    assert_int_equal(uv_loop_close(&fx.loop), 0);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_is_media),
        cmocka_unit_test(test_accepts_json),
        cmocka_unit_test(test_type_field),
        cmocka_unit_test(test_strip_nulls),
        cmocka_unit_test(test_version_info),
        cmocka_unit_test(test_metrics),
        cmocka_unit_test(test_logging_level),
        cmocka_unit_test(test_request_checks),
        cmocka_unit_test(test_typed_response),
        cmocka_unit_test(test_set_logging_level),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
