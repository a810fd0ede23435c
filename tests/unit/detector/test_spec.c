/* SPDX-License-Identifier: Apache-2.0
 *
 * test_spec.c: cr_master_spec_parse(), the --master forms every client
 * accepts: host lists, zk:// URLs, file:// URLs holding either (read from
 * a temporary directory), and the errors.
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
#include "detector/master_detector.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static int
setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/corral-detector-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int
teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Write content to dir/name; return "file://<path>" (static buffer). */
static const char *
file_url(const char *name, const char *content, size_t len)
{
    static char url[256];
    char path[192];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(content, 1, len, f), len);
    fclose(f);
    snprintf(url, sizeof(url), "file://%s", path);
    return url;
}

static void
assert_hosts(const char *text, const char *hosts)
{
    struct cr_master_spec s;
    char err[256] = "";
    if (cr_master_spec_parse(text, &s, err, sizeof(err)) != 0)
        fail_msg("%s: %s", text, err);
    assert_int_equal(s.kind, CR_MASTER_HOSTS);
    assert_string_equal(s.hosts, hosts);
    assert_null(s.zk.servers);
    cr_master_spec_fini(&s);
    assert_null(s.hosts);
    cr_master_spec_fini(&s); /* idempotent */
}

static void
assert_zk(const char *text, const char *servers, const char *path,
          const char *auth)
{
    struct cr_master_spec s;
    char err[256] = "";
    if (cr_master_spec_parse(text, &s, err, sizeof(err)) != 0)
        fail_msg("%s: %s", text, err);
    assert_int_equal(s.kind, CR_MASTER_ZK);
    assert_null(s.hosts);
    assert_string_equal(s.zk.servers, servers);
    assert_string_equal(s.zk.path, path);
    if (auth)
        assert_string_equal(s.zk.auth, auth);
    else
        assert_null(s.zk.auth);
    cr_master_spec_fini(&s);
}

static void
assert_bad(const char *text, const char *why)
{
    struct cr_master_spec s;
    char err[256] = "";
    assert_int_equal(cr_master_spec_parse(text, &s, err, sizeof(err)),
                     CR_EINVAL_INPUT);
    assert_int_equal(s.kind, 0);
    assert_null(s.hosts);
    assert_null(s.zk.servers);
    if (strstr(err, why) == NULL)
        fail_msg("'%s': expected '%s' in '%s'", text ? text : "(null)", why,
                 err);
}

static void
test_host_lists(void **state)
{
    (void)state;
    assert_hosts("127.0.0.1:5050", "127.0.0.1:5050");
    assert_hosts("m1:5050,m2:5050", "m1:5050,m2:5050");
    assert_hosts("[::1]:5050", "[::1]:5050");
    /* scheme-less zk list forms are host lists for --master (as Mesos) */
    assert_hosts("h1:2181,h2:2181/mesos", "h1:2181,h2:2181/mesos");
    assert_hosts("http://m:5050", "http://m:5050");
}

static void
test_zk_urls(void **state)
{
    (void)state;
    assert_zk("zk://127.0.0.1:2181/corral", "127.0.0.1:2181", "/corral", NULL);
    assert_zk("zk://h1:1,h2:2,h3/a/b", "h1:1,h2:2,h3:2181", "/a/b", NULL);
    assert_zk("zk://u:p@h1:2181/mesos", "h1:2181", "/mesos", "u:p");
    assert_zk("zk://h1:2181", "h1:2181", "/", NULL);
    assert_bad("zk://", "zk url");
    assert_bad("zk://h1:2181/a/../b", "zk url");
    assert_bad("zk://h1:notaport/a", "zk url");
}

static void
test_file_urls(void **state)
{
    (void)state;
    const char *zk = "  zk://127.0.0.1:2181,127.0.0.2:2182/corral\n\n";
    assert_zk(file_url("zk", zk, strlen(zk)), "127.0.0.1:2181,127.0.0.2:2182",
              "/corral", NULL);
    const char *hosts = "m1:5050\n";
    assert_hosts(file_url("hosts", hosts, strlen(hosts)), "m1:5050");
    const char *nested = "file:///etc/passwd\n";
    assert_bad(file_url("nested", nested, strlen(nested)),
               "another file:// URL");
    assert_bad(file_url("empty", "\n \t\n", 4), "empty address");
    const char *badzk = "zk://h1:2181/a//b";
    assert_bad(file_url("badzk", badzk, strlen(badzk)), "zk url");

    /* the bound: CR_ZK_URL_MAX bytes are read, one more is refused */
    size_t max = CR_ZK_URL_MAX;
    char *big = malloc(max + 1);
    assert_non_null(big);
    memset(big, ' ', max + 1);
    memcpy(big, "m1:5050", 7);
    assert_hosts(file_url("max", big, max), "m1:5050");
    assert_bad(file_url("big", big, max + 1), "larger than 4 KiB");
    free(big);

    char missing[128];
    snprintf(missing, sizeof(missing), "file://%s/none", dir);
    assert_bad(missing, "No such file");
    assert_bad("file://relative/path", "absolute path");
    char dirurl[128];
    snprintf(dirurl, sizeof(dirurl), "file://%s", dir);
    assert_bad(dirurl, "cannot use");
}

static void
test_errors_and_bounds(void **state)
{
    (void)state;
    assert_bad(NULL, "no address");
    assert_bad("", "empty address");
    char *long_text = malloc(CR_ZK_URL_MAX + 2);
    assert_non_null(long_text);
    memset(long_text, 'a', CR_ZK_URL_MAX + 1);
    long_text[CR_ZK_URL_MAX + 1] = '\0';
    assert_bad(long_text, "too long");
    free(long_text);
    /* err may be NULL */
    struct cr_master_spec s;
    assert_int_equal(cr_master_spec_parse("", &s, NULL, 0), CR_EINVAL_INPUT);
    cr_master_spec_fini(NULL);
}

static void
test_is_indirect(void **state)
{
    (void)state;
    assert_true(cr_master_is_indirect("zk://h/p"));
    assert_true(cr_master_is_indirect("file:///x"));
    assert_false(cr_master_is_indirect("h:5050"));
    assert_false(cr_master_is_indirect("zk:/h"));
    assert_false(cr_master_is_indirect(""));
    assert_false(cr_master_is_indirect(NULL));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_host_lists),
        cmocka_unit_test(test_zk_urls),
        cmocka_unit_test(test_file_urls),
        cmocka_unit_test(test_errors_and_bounds),
        cmocka_unit_test(test_is_indirect),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
