/* SPDX-License-Identifier: Apache-2.0
 *
 * test_args.c: the CLI argument parser (src/cli/args.c).
 */
/* cmocka.h needs the headers before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include "cli/args.h"

struct vals {
    const char *master, *name;
    bool json;
    long n;
    double d;
    struct cli_list env;
};

static int
parse(struct vals *v, struct cli_args *a, char *err, size_t errlen, int argc,
      char **argv)
{
    struct cli_opt opts[] = {
        {"master", CLI_STR, &v->master, "M", "master"},
        {"name", CLI_STR, &v->name, "N", "name"},
        {"json", CLI_BOOL, &v->json, NULL, "json"},
        {"instances", CLI_INT, &v->n, "K", "count"},
        {"kill_after", CLI_DURATION, &v->d, "D", "duration"},
        {"env", CLI_LIST, &v->env, "K=V", "env"},
    };
    return cli_args_parse(opts, 6, argc, argv, 2, a, err, errlen);
}

#define ARGV(...)                                                              \
    (char *[])                                                                 \
    {                                                                          \
        __VA_ARGS__                                                            \
    }
#define ARGC(...) ((int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)))
#define PARSE(v, a, err, ...)                                                  \
    parse(v, a, err, sizeof(err), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

static void
test_forms(void **state)
{
    struct vals v = {0};
    struct cli_args a;
    char err[256];
    assert_int_equal(PARSE(&v, &a, err, "--master=h:1", "--name", "x", "--json",
                           "--instances", "3", "--kill_after=2mins", "pos1",
                           "--env", "A=1", "--env=B=2=3", "pos2"),
                     0);
    assert_string_equal(v.master, "h:1");
    assert_string_equal(v.name, "x");
    assert_true(v.json);
    assert_int_equal(v.n, 3);
    assert_true(v.d == 120);
    assert_int_equal(v.env.n, 2);
    assert_string_equal(v.env.v[0], "A=1");
    assert_string_equal(v.env.v[1], "B=2=3");
    assert_int_equal(a.npos, 2);
    assert_string_equal(a.pos[0], "pos1");
    assert_string_equal(a.pos[1], "pos2");
    assert_false(a.help);
    cli_list_free(&v.env);
}

static void
test_bool_and_duration_values(void **state)
{
    struct vals v = {0};
    struct cli_args a;
    char err[256];
    assert_int_equal(PARSE(&v, &a, err, "--json=false", "--kill_after", "10"),
                     0);
    assert_false(v.json);
    assert_true(v.d == 10);
    assert_int_equal(PARSE(&v, &a, err, "--json=maybe"), -1);
    assert_non_null(strstr(err, "--json"));
    assert_int_equal(PARSE(&v, &a, err, "--kill_after=soon"), -1);
    assert_non_null(strstr(err, "duration"));
}

static void
test_errors(void **state)
{
    struct vals v = {0};
    struct cli_args a;
    char err[256];
    assert_int_equal(PARSE(&v, &a, err, "--nope=1"), -1);
    assert_string_equal(err, "unknown option '--nope'");
    assert_int_equal(PARSE(&v, &a, err, "--master"), -1);
    assert_string_equal(err, "option --master needs a value");
    assert_int_equal(PARSE(&v, &a, err, "--instances", "-3"), -1);
    assert_int_equal(PARSE(&v, &a, err, "--instances", "3x"), -1);
    assert_int_equal(PARSE(&v, &a, err, "a", "b", "c"), -1);
    assert_string_equal(err, "unexpected argument 'c'");
    assert_int_equal(PARSE(&v, &a, err, "-x"), -1);
    assert_null(strchr(err, '\n'));
}

static void
test_help_and_double_dash(void **state)
{
    struct vals v = {0};
    struct cli_args a;
    char err[256];
    assert_int_equal(PARSE(&v, &a, err, "-h"), 0);
    assert_true(a.help);
    assert_int_equal(PARSE(&v, &a, err, "--", "--json", "-"), 0);
    assert_false(a.help);
    assert_false(v.json);
    assert_int_equal(a.npos, 2);
    assert_string_equal(a.pos[0], "--json");
    assert_string_equal(a.pos[1], "-");
    /* A value that looks like an option is still a value. */
    assert_int_equal(PARSE(&v, &a, err, "--name", "--json"), 0);
    assert_string_equal(v.name, "--json");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forms),
        cmocka_unit_test(test_bool_and_duration_values),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_help_and_double_dash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
