/* SPDX-License-Identifier: Apache-2.0
 *
 * test_url.c: the ZooKeeper URL forms users type (zk/url.h), with
 * file:// URLs and the errors they get back.
 */

/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/err.h"
#include "zk/group.h"
#include "zk/url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void
check(const char *in, const char *servers, const char *path, const char *auth)
{
    struct cr_zk_url u;
    char err[256] = "";
    int rc = cr_zk_url_parse_text(in, &u, err, sizeof(err));
    if (rc != 0)
        fail_msg("'%s' did not parse: %s", in, err);
    assert_string_equal(u.servers, servers);
    assert_string_equal(u.path, path);
    if (auth == NULL)
        assert_null(u.auth);
    else
        assert_string_equal(u.auth, auth);
    cr_zk_url_fini(&u);
    assert_null(u.servers);
}

static void
test_good(void **state)
{
    check("zk://h1:2181,h2:2182,h3:2183/mesos", "h1:2181,h2:2182,h3:2183",
          "/mesos", NULL);
    check("zk://10.0.0.1:2181/mesos/prod", "10.0.0.1:2181", "/mesos/prod",
          NULL);
    check("ZK://host:1/", "host:1", "/", NULL);
    check("zk://host:1", "host:1", "/", NULL);
    check("zk://host/mesos", "host:2181", "/mesos", NULL);
    check("zk://user:pass@h1:2181,h2:2181/mesos", "h1:2181,h2:2181", "/mesos",
          "user:pass");
    check("zk://u:p:with:colons@h:1/x", "h:1", "/x", "u:p:with:colons");
    check("zk://u:p@ss@h:1/x", "h:1", "/x", "u:p@ss");
    check("h1:2181,h2:2181,h3:2181,/mesos", "h1:2181,h2:2181,h3:2181", "/mesos",
          NULL);
    check("h1:2181,h2:2181/mesos", "h1:2181,h2:2181", "/mesos", NULL);
    check("127.0.0.1:2181", "127.0.0.1:2181", "/", NULL);
    check("zk://[::1]:2181,[fe80::1%eth0]/m", "[::1]:2181,[fe80::1%eth0]:2181",
          "/m", NULL);
    check("  zk://h:1/mesos/  \n", "h:1", "/mesos", NULL);
    check("zk://zk-1.example.com:2181/a_b-c.d", "zk-1.example.com:2181",
          "/a_b-c.d", NULL);
    check("file:2181,/m", "file:2181", "/m", NULL); /* a host named file */
}

static void
check_bad(const char *in, const char *needle)
{
    struct cr_zk_url u;
    char err[256] = "";
    int rc = cr_zk_url_parse_text(in, &u, err, sizeof(err));
    if (rc != CR_EINVAL_INPUT)
        fail_msg("'%s' parsed (rc %d)", in, rc);
    assert_null(u.servers);
    assert_null(u.path);
    assert_null(u.auth);
    if (strncmp(err, "zk url: ", 8) != 0 || strchr(err, '\n') != NULL)
        fail_msg("'%s': bad message '%s'", in, err);
    if (strstr(err, needle) == NULL)
        fail_msg("'%s': message '%s' lacks '%s'", in, err, needle);
}

static void
test_bad(void **state)
{
    check_bad("", "empty");
    check_bad("   ", "empty");
    check_bad("zk://", "no hosts");
    check_bad("zk:///mesos", "no hosts");
    check_bad("http://h:1/mesos", "unsupported scheme 'http'");
    check_bad("zk://h:0/m", "out of range");
    check_bad("zk://h:65536/m", "out of range");
    check_bad("zk://h:12x/m", "bad port");
    check_bad("zk://h:/m", "bad port");
    check_bad("zk://h1:1,,h2:2/m", "empty entry");
    check_bad("zk://,h1:1/m", "empty entry");
    check_bad("zk://h1:1,,/m", "empty entry");
    check_bad("zk://ho st:1/m", "bad character in host");
    check_bad("zk://[::1/m", "unterminated");
    check_bad("zk://[::1]x:1/m", "junk after");
    check_bad("zk://[zz]:1/m", "bad IPv6");
    check_bad("zk://user@h:1/m", "user:password");
    check_bad("zk://:pass@h:1/m", "user:password");
    check_bad("zk://user:@h:1/m", "user:password");
    check_bad("user:pass@h:1/m", "need the zk:// scheme");
    check_bad("zk://h:1/a//b", "bad znode path");
    check_bad("zk://h:1/a/../b", "bad znode path");
    check_bad("zk://h:1/a/./b", "bad znode path");
    check_bad("zk://h:1/a b", "bad znode path");
    check_bad("zk://h:1/a\x01", "bad znode path");
    check_bad("file:///etc/x", "not allowed here");
}

static void
test_limits(void **state)
{
    /* More than CR_ZK_HOSTS_MAX hosts. */
    char many[2048] = "zk://";
    for (int i = 0; i <= CR_ZK_HOSTS_MAX; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "h%d:1,", i);
    strcat(many, "/m");
    check_bad(many, "more than");
    /* A path at the limit. */
    char *big = malloc(CR_ZK_URL_MAX + 16);
    strcpy(big, "zk://h:1/");
    memset(big + 9, 'a', CR_ZK_PATH_MAX);
    big[9 + CR_ZK_PATH_MAX] = '\0';
    check_bad(big, "path longer");
    /* Text beyond CR_ZK_URL_MAX. */
    memset(big + 9, 'a', CR_ZK_URL_MAX);
    big[9 + CR_ZK_URL_MAX] = '\0';
    check_bad(big, "longer than");
    free(big);
    /* A host name too long. */
    char host[300] = "zk://";
    memset(host + 5, 'x', 260);
    strcpy(host + 265, ":1/m");
    check_bad(host, "too long");
}

static void
test_path_valid(void **state)
{
    assert_true(cr_zk_path_is_valid("/"));
    assert_true(cr_zk_path_is_valid("/mesos"));
    assert_true(cr_zk_path_is_valid("/a/b/json.info_"));
    assert_false(cr_zk_path_is_valid(""));
    assert_false(cr_zk_path_is_valid(NULL));
    assert_false(cr_zk_path_is_valid("mesos"));
    assert_false(cr_zk_path_is_valid("/mesos/"));
    assert_false(cr_zk_path_is_valid("//"));
    assert_false(cr_zk_path_is_valid("/.."));
}

static void
write_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(content, f);
    fclose(f);
}

static void
test_file(void **state)
{
    char dir[] = "/tmp/corral-zkurl-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], url[160], err[256];
    struct cr_zk_url u;

    snprintf(path, sizeof(path), "%s/zk", dir);
    write_file(path, "zk://alice:secret@h1:2181,h2:2181/mesos\n");
    snprintf(url, sizeof(url), "file://%s", path);
    assert_int_equal(cr_zk_url_parse(url, &u, err, sizeof(err)), 0);
    assert_string_equal(u.servers, "h1:2181,h2:2181");
    assert_string_equal(u.path, "/mesos");
    assert_string_equal(u.auth, "alice:secret");
    char *shown = cr_zk_url_to_string(&u);
    assert_string_equal(shown, "zk://alice:***@h1:2181,h2:2181/mesos");
    free(shown);
    cr_zk_url_fini(&u);

    /* The plain forms go through cr_zk_url_parse too. */
    assert_int_equal(cr_zk_url_parse("h:1,/x", &u, err, sizeof(err)), 0);
    assert_string_equal(u.path, "/x");
    cr_zk_url_fini(&u);

    /* No nesting. */
    write_file(path, url);
    assert_int_equal(cr_zk_url_parse(url, &u, err, sizeof(err)),
                     CR_EINVAL_INPUT);
    assert_non_null(strstr(err, "not allowed here"));

    /* Missing file. */
    snprintf(url, sizeof(url), "file://%s/missing", dir);
    assert_int_equal(cr_zk_url_parse(url, &u, err, sizeof(err)),
                     CR_EINVAL_INPUT);
    assert_non_null(strstr(err, "cannot read"));
    assert_non_null(strstr(err, "No such file"));

    /* Relative file URL. */
    assert_int_equal(cr_zk_url_parse("file://zk", &u, err, sizeof(err)),
                     CR_EINVAL_INPUT);
    assert_non_null(strstr(err, "file:///path"));

    /* Too big. */
    char *big = malloc(CR_ZK_URL_MAX + 2);
    memset(big, ' ', CR_ZK_URL_MAX + 1);
    big[CR_ZK_URL_MAX + 1] = '\0';
    write_file(path, big);
    free(big);
    snprintf(url, sizeof(url), "file://%s", path);
    assert_int_equal(cr_zk_url_parse(url, &u, err, sizeof(err)),
                     CR_EINVAL_INPUT);
    assert_non_null(strstr(err, "larger than"));

    unlink(path);
    rmdir(dir);
}

static void
test_member_seq(void **state)
{
    uint64_t seq = 0;
    assert_true(cr_zk_member_seq("json.info_0000000007", &seq));
    assert_int_equal(seq, 7);
    assert_true(cr_zk_member_seq("json.info_2147483647", &seq));
    assert_int_equal(seq, 2147483647);
    assert_false(cr_zk_member_seq("info_0000000001", &seq));
    assert_false(cr_zk_member_seq("json.info_", &seq));
    assert_false(cr_zk_member_seq("json.info_12a", &seq));
    assert_false(cr_zk_member_seq("log_replicas", &seq));
    assert_false(cr_zk_member_seq("json.info_00000000000000000001", &seq));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good),   cmocka_unit_test(test_bad),
        cmocka_unit_test(test_limits), cmocka_unit_test(test_path_valid),
        cmocka_unit_test(test_file),   cmocka_unit_test(test_member_seq),
    };
    return cmocka_run_group_tests_name("zk_url", tests, NULL, NULL);
}
