/* SPDX-License-Identifier: Apache-2.0
 *
 * test_master_info.c: cr_master_info_address(), the MasterInfo JSON of a
 * json.info_ znode (or a SUBSCRIBED event) turned into host and port:
 * address{} first, then the top-level hostname, then the numeric ip; and
 * every way the input can be unusable.
 */
/* cmocka needs these first, in this order. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */

#include "base/err.h"
#include "model/master_info.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct addr {
    char host[256];
    int port;
    char err[256];
};

/* Parse text; return the rc, with the result in *a. */
static int
parse(const char *text, struct addr *a)
{
    memset(a, 0, sizeof(*a));
    a->port = -1;
    return cr_master_info_address(text, strlen(text), a->host, sizeof(a->host),
                                  &a->port, a->err, sizeof(a->err));
}

static void
assert_addr(const char *text, const char *host, int port)
{
    struct addr a;
    int rc = parse(text, &a);
    if (rc != 0)
        fail_msg("%s: %s", text, a.err);
    assert_string_equal(a.host, host);
    assert_int_equal(a.port, port);
}

static void
assert_bad(const char *text, const char *why)
{
    struct addr a;
    assert_int_equal(parse(text, &a), CR_EINVAL_INPUT);
    assert_int_equal(a.port, -1); /* untouched */
    assert_non_null(strstr(a.err, "bad MasterInfo: "));
    assert_non_null(strstr(a.err, why));
}

/* What a Mesos 1.x master writes: address{} and the older fields. */
static void
test_upstream_master_info(void **state)
{
    (void)state;
    assert_addr("{\"id\":\"a1b2\",\"ip\":16777343,\"port\":5050,"
                "\"pid\":\"master@127.0.0.1:5050\",\"hostname\":\"old\","
                "\"version\":\"1.11.0\",\"address\":{\"hostname\":"
                "\"m1.example\",\"ip\":\"127.0.0.1\",\"port\":5050}}",
                "m1.example", 5050);
}

static void
test_address_preferred(void **state)
{
    (void)state;
    /* address.hostname, then address.ip, both over the top level */
    assert_addr("{\"hostname\":\"top\",\"port\":1,"
                "\"address\":{\"hostname\":\"a\",\"ip\":\"10.0.0.2\","
                "\"port\":5051}}",
                "a", 5051);
    assert_addr("{\"hostname\":\"top\",\"port\":1,"
                "\"address\":{\"ip\":\"10.0.0.2\",\"port\":5052}}",
                "10.0.0.2", 5052);
    /* an empty address.hostname does not count */
    assert_addr("{\"address\":{\"hostname\":\"\",\"ip\":\"::1\","
                "\"port\":5053}}",
                "::1", 5053);
}

static void
test_empty_address_falls_back(void **state)
{
    (void)state;
    /* address{} gives neither host nor port: the top level does */
    assert_addr("{\"address\":{},\"hostname\":\"m2\",\"port\":5060}", "m2",
                5060);
    /* a host from address{}, the port from the top level */
    assert_addr("{\"address\":{\"hostname\":\"m3\"},\"port\":5061}", "m3",
                5061);
    /* address that is not an object is ignored */
    assert_addr("{\"address\":\"m9:1\",\"hostname\":\"m4\",\"port\":5062}",
                "m4", 5062);
}

static void
test_top_level_hostname(void **state)
{
    (void)state;
    assert_addr("{\"hostname\":\"master.local\",\"port\":5050}", "master.local",
                5050);
    /* hostname wins over the numeric ip */
    assert_addr("{\"hostname\":\"h\",\"ip\":16777343,\"port\":5050}", "h",
                5050);
}

static void
test_numeric_ip(void **state)
{
    (void)state;
    /* uint32 in network byte order, as Mesos stores in_addr.s_addr */
    uint32_t ip;
    unsigned char b[4] = {10, 1, 2, 3};
    memcpy(&ip, b, 4);
    char text[128];
    snprintf(text, sizeof(text), "{\"ip\":%u,\"port\":5055}", ip);
    assert_addr(text, "10.1.2.3", 5055);
    assert_addr("{\"ip\":16777343,\"port\":5050}", "127.0.0.1", 5050);
    assert_addr("{\"ip\":0,\"port\":5050}", "0.0.0.0", 5050);
    assert_addr("{\"ip\":4294967295,\"port\":5050}", "255.255.255.255", 5050);
}

static void
test_missing_or_bad_port(void **state)
{
    (void)state;
    assert_bad("{\"hostname\":\"m\"}", "no valid port");
    assert_bad("{\"address\":{\"hostname\":\"m\"}}", "no valid port");
    assert_bad("{\"hostname\":\"m\",\"port\":0}", "no valid port");
    assert_bad("{\"hostname\":\"m\",\"port\":-5}", "no valid port");
    assert_bad("{\"hostname\":\"m\",\"port\":65536}", "no valid port");
    assert_bad("{\"hostname\":\"m\",\"port\":\"5050\"}", "no valid port");
    assert_bad("{\"address\":{\"hostname\":\"m\",\"port\":1e300}}",
               "no valid port");
    assert_addr("{\"hostname\":\"m\",\"port\":65535}", "m", 65535);
    assert_addr("{\"hostname\":\"m\",\"port\":1}", "m", 1);
}

static void
test_no_address(void **state)
{
    (void)state;
    assert_bad("{}", "no usable address");
    assert_bad("{\"port\":5050}", "no usable address");
    assert_bad("{\"address\":{},\"port\":5050}", "no usable address");
    assert_bad("{\"address\":{\"port\":5050}}", "no usable address");
    assert_bad("{\"hostname\":\"\",\"port\":5050}", "no usable address");
    assert_bad("{\"hostname\":7,\"port\":5050}", "no usable address");
    assert_bad("{\"ip\":-1,\"port\":5050}", "no usable address");
    assert_bad("{\"ip\":4294967296,\"port\":5050}", "no usable address");
    assert_bad("{\"ip\":\"127.0.0.1\",\"port\":5050}", "no usable address");
}

static void
test_garbage(void **state)
{
    (void)state;
    assert_bad("", "not a JSON object");
    assert_bad("master@127.0.0.1:5050", "not a JSON object");
    assert_bad("{\"hostname\":\"m\",\"port\":5050", "not a JSON object");
    assert_bad("[{\"hostname\":\"m\",\"port\":5050}]", "not a JSON object");
    assert_bad("\"m:5050\"", "not a JSON object");
    assert_bad("null", "not a JSON object");
    /* a protobuf-encoded (pre-0.24 info_) node */
    const char pb[] = "\x0a\x04\x61\x62\x63\x64\x10\x7f\x18\xba\x27";
    struct addr a;
    assert_int_equal(cr_master_info_address(pb, sizeof(pb) - 1, a.host,
                                            sizeof(a.host), &a.port, a.err,
                                            sizeof(a.err)),
                     CR_EINVAL_INPUT);
    /* NUL bytes inside the data */
    const char nul[] = "{\"hostname\":\"m\",\0\"port\":5050}";
    assert_int_equal(cr_master_info_address(nul, sizeof(nul) - 1, a.host,
                                            sizeof(a.host), &a.port, a.err,
                                            sizeof(a.err)),
                     CR_EINVAL_INPUT);
}

static void
test_bounds(void **state)
{
    (void)state;
    /* a host that does not fit the caller's buffer is not usable... */
    char host[8];
    int port = -1;
    char err[128];
    const char *t = "{\"hostname\":\"much-too-long\",\"port\":5050}";
    assert_int_equal(cr_master_info_address(t, strlen(t), host, sizeof(host),
                                            &port, err, sizeof(err)),
                     CR_EINVAL_INPUT);
    assert_int_equal(port, -1);
    /* ...and the next candidate is used instead */
    t = "{\"hostname\":\"much-too-long-for-16\",\"ip\":16777343,"
        "\"port\":5050}";
    assert_int_equal(cr_master_info_address(t, strlen(t), host, sizeof(host),
                                            &port, err, sizeof(err)),
                     CR_EINVAL_INPUT); /* "127.0.0.1" needs 10 bytes */
    char host16[16];
    assert_int_equal(cr_master_info_address(t, strlen(t), host16,
                                            sizeof(host16), &port, err,
                                            sizeof(err)),
                     0);
    assert_string_equal(host16, "127.0.0.1");
    /* input above CR_MASTER_INFO_MAX is refused before parsing */
    size_t big = CR_MASTER_INFO_MAX + 1;
    char *huge = malloc(big + 1);
    assert_non_null(huge);
    memset(huge, ' ', big);
    memcpy(huge, "{\"hostname\":\"m\",\"port\":5050}", 28);
    huge[big] = '\0';
    assert_int_equal(cr_master_info_address(huge, big, host16, sizeof(host16),
                                            &port, err, sizeof(err)),
                     CR_EINVAL_INPUT);
    assert_non_null(strstr(err, "too large"));
    /* exactly the maximum is accepted (trailing spaces are valid JSON) */
    assert_int_equal(cr_master_info_address(huge, big - 1, host16,
                                            sizeof(host16), &port, err,
                                            sizeof(err)),
                     0);
    free(huge);
    /* no room for a message is fine */
    assert_int_equal(
        cr_master_info_address("{}", 2, host16, sizeof(host16), &port, NULL, 0),
        CR_EINVAL_INPUT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_upstream_master_info),
        cmocka_unit_test(test_address_preferred),
        cmocka_unit_test(test_empty_address_falls_back),
        cmocka_unit_test(test_top_level_hostname),
        cmocka_unit_test(test_numeric_ip),
        cmocka_unit_test(test_missing_or_bad_port),
        cmocka_unit_test(test_no_address),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
