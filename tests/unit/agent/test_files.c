/* SPDX-License-Identifier: Apache-2.0
 *
 * test_files.c: /files path resolution (virtual and real paths, refusal
 * of traversal through ".." and symlinks) and the JSON text escaper.
 */
/* cmocka needs these system headers first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
/* clang-format on */

#include "agent/ckpt.h"
#include "agent/files.h"
#include "base/buf.h"
#include "base/err.h"
#include "base/mem.h"

struct fx {
    char *dir, *sandbox, *secret;
    struct files *f;
};

static int
setup(void **state)
{
    struct fx *x = cr_xcalloc(1, sizeof(*x));
    char tmpl[] = "/tmp/corral-test-files-XXXXXX";
    x->dir = cr_xstrdup(mkdtemp(tmpl));
    x->sandbox = cr_xasprintf("%s/sb", x->dir);
    x->secret = cr_xasprintf("%s/secret", x->dir);
    char *p = cr_xasprintf("%s/sub/stdout", x->sandbox);
    assert_int_equal(ckpt_write_atomic(p, "hi\n", 3), 0);
    assert_int_equal(ckpt_write_atomic(x->secret, "s", 1), 0);
    free(p);
    /* Links inside the sandbox: one escaping, one staying inside. */
    p = cr_xasprintf("%s/escape", x->sandbox);
    assert_int_equal(symlink(x->secret, p), 0);
    free(p);
    p = cr_xasprintf("%s/inner", x->sandbox);
    assert_int_equal(symlink("sub/stdout", p), 0);
    free(p);
    x->f = files_new();
    files_attach(x->f, "/frameworks/F/executors/E/runs/latest", x->sandbox);
    files_attach(x->f, x->sandbox, x->sandbox);
    *state = x;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *x = *state;
    char *cmd = cr_xasprintf("rm -rf '%s'", x->dir);
    int rc = system(cmd);
    (void)rc;
    free(cmd);
    files_free(x->f);
    free(x->dir);
    free(x->sandbox);
    free(x->secret);
    free(x);
    return 0;
}

static void
expect_ok(struct files *f, const char *req, const char *want_suffix)
{
    char *out = NULL;
    assert_int_equal(files_resolve(f, req, &out), 0);
    size_t a = strlen(out), b = strlen(want_suffix);
    assert_true(a >= b);
    assert_string_equal(out + a - b, want_suffix);
    free(out);
}

static void
test_resolve_virtual_and_real(void **state)
{
    struct fx *x = *state;
    expect_ok(x->f, "/frameworks/F/executors/E/runs/latest", "/sb");
    expect_ok(x->f, "/frameworks/F/executors/E/runs/latest/", "/sb");
    expect_ok(x->f, "/frameworks/F/executors/E/runs/latest/sub/stdout",
              "/sb/sub/stdout");
    expect_ok(x->f, "//frameworks/F/executors/E/runs/latest/./sub//stdout",
              "/sb/sub/stdout");
    expect_ok(x->f, "/frameworks/F/executors/E/runs/latest/inner",
              "/sb/sub/stdout");
    char *real = cr_xasprintf("%s/sub/stdout", x->sandbox);
    expect_ok(x->f, real, "/sb/sub/stdout");
    free(real);
}

static void
test_refusals(void **state)
{
    struct fx *x = *state;
    char *out = (char *)"sentinel";
    assert_int_equal(files_resolve(x->f,
                                   "/frameworks/F/executors/E/runs/"
                                   "latest/../../../../../etc/passwd",
                                   &out),
                     CR_EINVAL_INPUT);
    assert_null(out);
    assert_int_equal(
        files_resolve(x->f, "/frameworks/F/executors/E/runs/latest/escape",
                      &out),
        CR_ENOTFOUND);
    assert_int_equal(files_resolve(x->f, "relative/path", &out),
                     CR_EINVAL_INPUT);
    assert_int_equal(files_resolve(x->f,
                                   "/frameworks/G/executors/E/runs/"
                                   "latest/stdout",
                                   &out),
                     CR_ENOTFOUND);
    assert_int_equal(files_resolve(x->f,
                                   "/frameworks/F/executors/E/runs/"
                                   "latest/missing",
                                   &out),
                     CR_ENOTFOUND);
    /* A real path outside any attached sandbox. */
    assert_int_equal(files_resolve(x->f, x->secret, &out), CR_ENOTFOUND);
    assert_int_equal(files_resolve(x->f, "/etc/passwd", &out), CR_ENOTFOUND);
    /* A prefix that is not at a component boundary does not match. */
    char *sib = cr_xasprintf("%sx", x->sandbox);
    assert_int_equal(files_resolve(x->f, sib, &out), CR_ENOTFOUND);
    free(sib);
    /* After detach the virtual path is gone. */
    files_detach(x->f, "/frameworks/F/executors/E/runs/latest", "/other");
    expect_ok(x->f, "/frameworks/F/executors/E/runs/latest", "/sb");
    files_detach(x->f, "/frameworks/F/executors/E/runs/latest", x->sandbox);
    assert_int_equal(
        files_resolve(x->f, "/frameworks/F/executors/E/runs/latest", &out),
        CR_ENOTFOUND);
}

static void
test_json_escape(void **state)
{
    struct cr_buf b;
    cr_buf_init(&b, 1024);
    const char in[] = "a\"b\\c\n\x01\xc3\xa9\xff\xf0\x9f\x98\x80";
    assert_int_equal(files_json_escape(&b, in, sizeof(in) - 1), 0);
    assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001\\u00e9\\u00ff"
                                "\\ud83d\\ude00\"");
    cr_buf_fini(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_resolve_virtual_and_real, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
        cmocka_unit_test(test_json_escape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
