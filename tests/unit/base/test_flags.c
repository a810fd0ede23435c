/* SPDX-License-Identifier: Apache-2.0
 *
 * test_flags.c: flag tables: defaults, both value syntaxes, booleans,
 * environment precedence, aliases, positional arguments, and one-line
 * errors for unknown flags and bad values.
 */

/* cmocka needs these first, in this order */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
/* clang-format on */
#include "base/flags.h"
#include "tests.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vals {
    char *ip;
    long n;
    double ratio;
    bool quiet;
    double timeout;
    int port;
};

#define NFLAGS 6

static void
make_table(struct cr_flag *f, struct vals *v)
{
    memset(v, 0, sizeof(*v));
    struct cr_flag t[NFLAGS] = {
        {"ip", CR_FLAG_STRING, "127.0.0.1", "IP", &v->ip, NULL, NULL, false},
        {"max_tasks", CR_FLAG_INT, "10", "n", &v->n, NULL, NULL, false},
        {"ratio", CR_FLAG_DOUBLE, "0.5", "r", &v->ratio, NULL, NULL, false},
        {"quiet", CR_FLAG_BOOL, "false", "q", &v->quiet, NULL, NULL, false},
        {"agent_ping_timeout", CR_FLAG_DURATION, "15secs", "t", &v->timeout,
         "slave_ping_timeout", NULL, false},
        {"port", CR_FLAG_PORT, "5050", "p", &v->port, NULL, NULL, false},
    };
    memcpy(f, t, sizeof(t));
}

static int
parse(struct cr_flag *f, int argc, char **argv, char *err, size_t errlen)
{
    err[0] = '\0';
    return cr_flags_parse(f, NFLAGS, argc, argv, NULL, 0, NULL, NULL, err,
                          errlen);
}

static void
clear_env(void)
{
    static const char *const names[] = {"PORT", "QUIET", "IP",
                                        "AGENT_PING_TIMEOUT", "MAX_TASKS"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char a[64], b[64];
        snprintf(a, sizeof(a), "CORRAL_%s", names[i]);
        snprintf(b, sizeof(b), "MESOS_%s", names[i]);
        unsetenv(a);
        unsetenv(b);
    }
}

static int
setup(void **state)
{
    clear_env();
    return 0;
}

static void
test_defaults(void **state)
{
    struct cr_flag f[NFLAGS];
    struct vals v;
    make_table(f, &v);
    char err[256];
    char *argv[] = {"prog"};
    assert_int_equal(parse(f, 1, argv, err, sizeof(err)), 0);
    assert_string_equal(v.ip, "127.0.0.1");
    assert_int_equal(v.n, 10);
    assert_true(v.ratio == 0.5);
    assert_false(v.quiet);
    assert_true(v.timeout == 15);
    assert_int_equal(v.port, 5050);
    assert_false(f[0].given);
    assert_string_equal(cr_flags_find(f, NFLAGS, "port")->value, "5050");
    assert_ptr_equal(cr_flags_find(f, NFLAGS, "slave_ping_timeout"), &f[4]);
    assert_null(cr_flags_find(f, NFLAGS, "nope"));
    cr_flags_free(f, NFLAGS);
}

static void
test_syntaxes(void **state)
{
    struct cr_flag f[NFLAGS];
    struct vals v;
    make_table(f, &v);
    char err[256];
    char *argv[] = {"prog", "--ip=10.0.0.1", "--max_tasks",
                    "42",   "--quiet",       "--port",
                    "0",    "--ratio=2.5",   "--slave_ping_timeout=1mins"};
    assert_int_equal(parse(f, 9, argv, err, sizeof(err)), 0);
    assert_string_equal(v.ip, "10.0.0.1");
    assert_int_equal(v.n, 42);
    assert_true(v.quiet);
    assert_int_equal(v.port, 0);
    assert_true(v.ratio == 2.5);
    assert_true(v.timeout == 60);
    assert_true(f[0].given);
    assert_string_equal(f[4].value, "1mins");
    cr_flags_free(f, NFLAGS);
}

static void
test_booleans(void **state)
{
    struct cr_flag f[NFLAGS];
    struct vals v;
    char err[256];
    const char *on[] = {"--quiet", "--quiet=true", "--quiet=1"};
    const char *off[] = {"--no-quiet", "--quiet=false", "--quiet=0"};
    for (int i = 0; i < 3; i++) {
        make_table(f, &v);
        char *argv[] = {"prog", (char *)(uintptr_t)on[i]};
        assert_int_equal(parse(f, 2, argv, err, sizeof(err)), 0);
        assert_true(v.quiet);
        cr_flags_free(f, NFLAGS);
        make_table(f, &v);
        v.quiet = true;
        char *argv2[] = {"prog", "--quiet", (char *)(uintptr_t)off[i]};
        assert_int_equal(parse(f, 3, argv2, err, sizeof(err)), 0);
        assert_false(v.quiet); /* the last one wins */
        cr_flags_free(f, NFLAGS);
    }
}

static void
test_env_precedence(void **state)
{
    struct cr_flag f[NFLAGS];
    struct vals v;
    char err[256];
    char *argv[] = {"prog"};

    setenv("MESOS_PORT", "6000", 1);
    make_table(f, &v);
    assert_int_equal(parse(f, 1, argv, err, sizeof(err)), 0);
    assert_int_equal(v.port, 6000);
    assert_true(f[5].given);
    cr_flags_free(f, NFLAGS);

    setenv("CORRAL_PORT", "7000", 1);
    make_table(f, &v);
    assert_int_equal(parse(f, 1, argv, err, sizeof(err)), 0);
    assert_int_equal(v.port, 7000); /* CORRAL_ before MESOS_ */
    cr_flags_free(f, NFLAGS);

    char *argv2[] = {"prog", "--port=8000"};
    make_table(f, &v);
    assert_int_equal(parse(f, 2, argv2, err, sizeof(err)), 0);
    assert_int_equal(v.port, 8000); /* command line first */
    cr_flags_free(f, NFLAGS);

    setenv("MESOS_QUIET", "true", 1);
    setenv("CORRAL_AGENT_PING_TIMEOUT", "3secs", 1);
    make_table(f, &v);
    assert_int_equal(parse(f, 1, argv, err, sizeof(err)), 0);
    assert_true(v.quiet);
    assert_true(v.timeout == 3);
    cr_flags_free(f, NFLAGS);

    setenv("CORRAL_PORT", "http", 1);
    make_table(f, &v);
    assert_int_equal(parse(f, 1, argv, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "--port"));
    cr_flags_free(f, NFLAGS);
    clear_env();
}

static void
expect_error(const char *arg, const char *needle)
{
    struct cr_flag f[NFLAGS];
    struct vals v;
    make_table(f, &v);
    char err[256];
    char *argv[] = {"prog", (char *)(uintptr_t)arg};
    assert_int_equal(parse(f, 2, argv, err, sizeof(err)), -1);
    if (strstr(err, needle) == NULL)
        fail_msg("'%s' gave '%s', want '%s'", arg, err, needle);
    assert_null(strchr(err, '\n')); /* one line */
    cr_flags_free(f, NFLAGS);
}

static void
test_errors(void **state)
{
    expect_error("--foo=1", "unknown flag '--foo'");
    expect_error("--foo", "unknown flag '--foo'");
    expect_error("--no-port", "unknown flag '--no-port'");
    expect_error("--no-quiet=true", "unknown flag");
    expect_error("--port=65536", "bad value for --port");
    expect_error("--port=-1", "bad value for --port");
    expect_error("--port=50x", "bad value for --port");
    expect_error("--max_tasks=ten", "bad value for --max_tasks");
    expect_error("--max_tasks=", "bad value for --max_tasks");
    expect_error("--max_tasks=99999999999999999999999", "bad value");
    expect_error("--ratio=abc", "bad value for --ratio");
    expect_error("--ratio=inf", "bad value for --ratio");
    expect_error("--quiet=yes", "bad value for --quiet");
    expect_error("--agent_ping_timeout=5", "bad value for "
                                           "--agent_ping_timeout");
    expect_error("--port", "--port needs a value");
    expect_error("positional", "unexpected argument 'positional'");
}

static void
test_positional_and_help(void **state)
{
    struct cr_flag f[NFLAGS];
    struct vals v;
    make_table(f, &v);
    char err[256];
    char *argv[] = {"prog", "run", "--port=1", "--help", "x", "--"};
    int pos[4];
    size_t npos = 0;
    bool help = false;
    assert_int_equal(cr_flags_parse(f, NFLAGS, 6, argv, pos, 4, &npos, &help,
                                    err, sizeof(err)),
                     0);
    assert_true(help);
    assert_int_equal(npos, 3);
    assert_int_equal(pos[0], 1);
    assert_int_equal(pos[1], 4);
    assert_int_equal(pos[2], 5);
    cr_flags_free(f, NFLAGS);
    make_table(f, &v);
    assert_int_equal(cr_flags_parse(f, NFLAGS, 6, argv, pos, 1, &npos, &help,
                                    err, sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "unexpected argument 'x'"));
    cr_flags_free(f, NFLAGS);
}

static void
test_usage(void **state)
{
    struct cr_flag f[NFLAGS];
    struct vals v;
    make_table(f, &v);
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    cr_flags_usage(out, "prog [flags]", f, NFLAGS);
    fclose(out);
    assert_non_null(strstr(text, "--port=VALUE"));
    assert_non_null(strstr(text, "(default: 15secs)"));
    assert_null(strstr(text, "--quiet=VALUE"));
    free(text);
}

int
run_flags_tests(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_defaults, setup),
        cmocka_unit_test_setup(test_syntaxes, setup),
        cmocka_unit_test_setup(test_booleans, setup),
        cmocka_unit_test_setup(test_env_precedence, setup),
        cmocka_unit_test_setup(test_errors, setup),
        cmocka_unit_test_setup(test_positional_and_help, setup),
        cmocka_unit_test_setup(test_usage, setup),
    };
    return cmocka_run_group_tests_name("flags", tests, NULL, NULL);
}
