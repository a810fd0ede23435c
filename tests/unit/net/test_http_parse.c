/* SPDX-License-Identifier: Apache-2.0
 *
 * test_http_parse.c: bytes -> request, without sockets: good requests,
 * bodies (length, chunked, none), pipelining, every split point, and the
 * limits (400, 413, 414, 431).
 */

/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "net/http_parse.h"
#include "tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Feed all of in; expect exactly one request. */
static struct cr_http_req *
parse_whole(const char *in, size_t n, bool *keep_alive)
{
    struct cr_http_parse p;
    cr_http_parse_init(&p);
    size_t used = 0;
    enum cr_parse st = cr_http_parse_feed(&p, in, n, &used);
    assert_int_equal(st, CR_PARSE_DONE);
    assert_int_equal(used, n);
    struct cr_http_req *req = cr_http_parse_take(&p, keep_alive);
    assert_non_null(req);
    cr_http_parse_fini(&p);
    return req;
}

static int
parse_error(const char *in, size_t n)
{
    struct cr_http_parse p;
    cr_http_parse_init(&p);
    size_t used = 0;
    enum cr_parse st = cr_http_parse_feed(&p, in, n, &used);
    assert_int_equal(st, CR_PARSE_ERROR);
    int status = p.status;
    cr_http_parse_fini(&p);
    return status;
}

static void
test_get(void **state)
{
    const char in[] = "GET /master/state?jsonp=x&y=1 HTTP/1.1\r\n"
                      "Host: localhost:5050\r\nACCEPT: application/json\r\n"
                      "X-Long: a\r\n b\r\n\r\n";
    bool ka = false;
    struct cr_http_req *req = parse_whole(in, sizeof(in) - 1, &ka);
    assert_true(ka);
    assert_string_equal(req->method, "GET");
    assert_string_equal(req->path, "/master/state");
    assert_string_equal(req->query, "jsonp=x&y=1");
    assert_int_equal(req->headers.n, 3);
    assert_string_equal(cr_http_headers_get(&req->headers, "accept"),
                        "application/json");
    assert_non_null(req->body);
    assert_int_equal(req->body_len, 0);
    cr_http_req_free(req);
}

static void
test_post_bodies(void **state)
{
    const char cl[] = "POST /api/v1/scheduler HTTP/1.1\r\nContent-Length: 7"
                      "\r\nContent-Type: application/json\r\n\r\n{\"a\":1}";
    struct cr_http_req *req = parse_whole(cl, sizeof(cl) - 1, NULL);
    assert_string_equal(req->method, "POST");
    assert_null(req->query);
    assert_int_equal(req->body_len, 7);
    assert_string_equal(req->body, "{\"a\":1}");
    cr_http_req_free(req);

    const char none[] = "POST /teardown HTTP/1.1\r\nHost: x\r\n\r\n";
    req = parse_whole(none, sizeof(none) - 1, NULL);
    assert_int_equal(req->body_len, 0);
    assert_string_equal(req->body, "");
    cr_http_req_free(req);

    const char chunked[] = "POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                           "\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n"
                           "Trailer: yes\r\n\r\n";
    req = parse_whole(chunked, sizeof(chunked) - 1, NULL);
    assert_int_equal(req->body_len, 11);
    assert_string_equal(req->body, "hello world");
    cr_http_req_free(req);
}

static void
test_keep_alive_rules(void **state)
{
    bool ka = true;
    const char v10[] = "GET / HTTP/1.0\r\n\r\n";
    cr_http_req_free(parse_whole(v10, sizeof(v10) - 1, &ka));
    assert_false(ka);
    const char v10ka[] = "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    cr_http_req_free(parse_whole(v10ka, sizeof(v10ka) - 1, &ka));
    assert_true(ka);
    const char close[] = "GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
    cr_http_req_free(parse_whole(close, sizeof(close) - 1, &ka));
    assert_false(ka);
}

static void
test_absolute_form_and_fragment(void **state)
{
    const char in[] = "GET http://h:5050/files/read?path=/x#frag HTTP/1.1"
                      "\r\n\r\n";
    struct cr_http_req *req = parse_whole(in, sizeof(in) - 1, NULL);
    assert_string_equal(req->path, "/files/read");
    assert_string_equal(req->query, "path=/x");
    cr_http_req_free(req);
}

static void
test_expect_continue(void **state)
{
    const char in[] = "POST /x HTTP/1.1\r\nExpect: 100-continue\r\n"
                      "Content-Length: 3\r\n\r\n";
    struct cr_http_parse p;
    cr_http_parse_init(&p);
    size_t used;
    assert_int_equal(cr_http_parse_feed(&p, in, sizeof(in) - 1, &used),
                     CR_PARSE_AGAIN);
    assert_true(p.expect_continue);
    assert_int_equal(cr_http_parse_feed(&p, "abc", 3, &used), CR_PARSE_DONE);
    struct cr_http_req *req = cr_http_parse_take(&p, NULL);
    assert_string_equal(req->body, "abc");
    cr_http_req_free(req);
    cr_http_parse_fini(&p);
}

static const char pipelined[] =
    "POST /a HTTP/1.1\r\nContent-Length: 3\r\n\r\none"
    "POST /b?q HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\ntwo\r\n0"
    "\r\n\r\n"
    "GET /c HTTP/1.1\r\nX: y\r\n\r\n";

/* Feed in[0..n) in two parts split at split, taking every request. */
static void
run_split(const char *in, size_t n, size_t split, char out[][8], int *count)
{
    struct cr_http_parse p;
    cr_http_parse_init(&p);
    size_t part_end[2] = {split, n};
    size_t pos = 0;
    for (int part = 0; part < 2; part++) {
        while (pos < part_end[part]) {
            size_t used = 0;
            enum cr_parse st =
                cr_http_parse_feed(&p, in + pos, part_end[part] - pos, &used);
            assert_int_not_equal(st, CR_PARSE_ERROR);
            pos += used;
            if (st == CR_PARSE_AGAIN) {
                assert_int_equal(pos, part_end[part]);
                break;
            }
            struct cr_http_req *req = cr_http_parse_take(&p, NULL);
            snprintf(out[*count], 8, "%s%s", req->path + 1, req->body);
            (*count)++;
            cr_http_req_free(req);
        }
    }
    cr_http_parse_fini(&p);
}

static void
test_pipelined_every_split(void **state)
{
    size_t n = sizeof(pipelined) - 1;
    for (size_t split = 0; split <= n; split++) {
        char out[4][8];
        int count = 0;
        run_split(pipelined, n, split, out, &count);
        assert_int_equal(count, 3);
        assert_string_equal(out[0], "aone");
        assert_string_equal(out[1], "btwo");
        assert_string_equal(out[2], "c");
    }
}

static void
test_done_until_taken(void **state)
{
    struct cr_http_parse p;
    cr_http_parse_init(&p);
    size_t used;
    size_t n = sizeof(pipelined) - 1;
    assert_int_equal(cr_http_parse_feed(&p, pipelined, n, &used),
                     CR_PARSE_DONE);
    assert_true(used < n);
    size_t again;
    /* not taken yet: nothing more is consumed */
    assert_int_equal(cr_http_parse_feed(&p, pipelined + used, n - used, &again),
                     CR_PARSE_DONE);
    assert_int_equal(again, 0);
    cr_http_parse_fini(&p); /* frees the untaken request */
}

static void
test_errors(void **state)
{
    const char garbage[] = "NOT HTTP AT ALL\r\n\r\n";
    assert_int_equal(parse_error(garbage, sizeof(garbage) - 1), 400);
    const char badlen[] = "POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n";
    assert_int_equal(parse_error(badlen, sizeof(badlen) - 1), 400);
    const char two_len[] = "POST / HTTP/1.1\r\nContent-Length: 1\r\n"
                           "Content-Length: 2\r\n\r\nab";
    assert_int_equal(parse_error(two_len, sizeof(two_len) - 1), 400);
    const char badchunk[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked"
                            "\r\n\r\nzz\r\n";
    assert_int_equal(parse_error(badchunk, sizeof(badchunk) - 1), 400);
    const char toobig[] = "POST / HTTP/1.1\r\nContent-Length: 16777217\r\n"
                          "\r\n";
    assert_int_equal(parse_error(toobig, sizeof(toobig) - 1), 413);
    const char upgrade[] = "GET / HTTP/1.1\r\nConnection: Upgrade\r\n"
                           "Upgrade: websocket\r\n\r\nxx";
    struct cr_http_parse p;
    cr_http_parse_init(&p);
    size_t used;
    enum cr_parse st =
        cr_http_parse_feed(&p, upgrade, sizeof(upgrade) - 1, &used);
    if (st == CR_PARSE_DONE) {
        bool ka = true;
        cr_http_req_free(cr_http_parse_take(&p, &ka));
        assert_false(ka); /* answered, then the connection closes */
    }
    cr_http_parse_fini(&p);
}

static void
test_header_limits(void **state)
{
    /* one huge header value */
    size_t n = CR_HTTP_MAX_HEADER_BYTES + 10;
    char *in = malloc(n + 64);
    int k = snprintf(in, 64, "GET / HTTP/1.1\r\nX: ");
    memset(in + k, 'v', n);
    memcpy(in + k + n, "\r\n\r\n", 4);
    assert_int_equal(parse_error(in, (size_t)k + n + 4), 431);
    /* a huge URL */
    k = snprintf(in, 64, "GET /");
    memset(in + k, 'u', n);
    memcpy(in + k + n, " HTTP/1.1\r\n\r\n", 13);
    assert_int_equal(parse_error(in, (size_t)k + n + 13), 414);
    free(in);
    /* too many headers */
    struct cr_buf b;
    cr_buf_init(&b, 1 << 20);
    cr_buf_puts(&b, "GET / HTTP/1.1\r\n");
    for (int i = 0; i <= CR_HTTP_MAX_HEADERS; i++)
        cr_buf_printf(&b, "H%d: v\r\n", i);
    cr_buf_puts(&b, "\r\n");
    assert_int_equal(parse_error(b.data, b.len), 431);
    /* exactly the limit is fine */
    cr_buf_reset(&b);
    cr_buf_puts(&b, "GET / HTTP/1.1\r\n");
    for (int i = 0; i < CR_HTTP_MAX_HEADERS; i++)
        cr_buf_printf(&b, "H%d: v\r\n", i);
    cr_buf_puts(&b, "\r\n");
    struct cr_http_req *req = parse_whole(b.data, b.len, NULL);
    assert_int_equal(req->headers.n, CR_HTTP_MAX_HEADERS);
    cr_http_req_free(req);
    cr_buf_fini(&b);
}

static void
test_chunked_body_limit(void **state)
{
    struct cr_http_parse p;
    cr_http_parse_init(&p);
    const char head[] = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                        "\r\n100000\r\n";
    size_t used;
    assert_int_equal(cr_http_parse_feed(&p, head, sizeof(head) - 1, &used),
                     CR_PARSE_AGAIN);
    char *chunk = malloc(0x100000 + 16);
    memset(chunk, 'c', 0x100000);
    memcpy(chunk + 0x100000, "\r\n100000\r\n", 10);
    enum cr_parse st = CR_PARSE_AGAIN;
    for (int i = 0; i < 20 && st == CR_PARSE_AGAIN; i++)
        st = cr_http_parse_feed(&p, chunk, 0x100000 + 10, &used);
    assert_int_equal(st, CR_PARSE_ERROR);
    assert_int_equal(p.status, 413);
    free(chunk);
    cr_http_parse_fini(&p);
}

int
run_http_parse_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get),
        cmocka_unit_test(test_post_bodies),
        cmocka_unit_test(test_keep_alive_rules),
        cmocka_unit_test(test_absolute_form_and_fragment),
        cmocka_unit_test(test_expect_continue),
        cmocka_unit_test(test_pipelined_every_split),
        cmocka_unit_test(test_done_until_taken),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_header_limits),
        cmocka_unit_test(test_chunked_body_limit),
    };
    return cmocka_run_group_tests_name("http_parse", tests, NULL, NULL);
}
