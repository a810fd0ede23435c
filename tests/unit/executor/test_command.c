/* SPDX-License-Identifier: Apache-2.0
 *
 * test_command.c: argv and environment of a task, the terminal state and
 * message for a wait status, kill grace periods.
 */
/* cmocka needs these system headers first. */
/* clang-format off */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include "executor/command.h"

static void
test_argv(void **state)
{
    char *file;
    json_t *cmd = json_pack("{s:s}", "value", "echo hi");
    char **argv = command_argv(cmd, &file);
    assert_string_equal(file, "/bin/sh");
    assert_string_equal(argv[0], "/bin/sh");
    assert_string_equal(argv[1], "-c");
    assert_string_equal(argv[2], "echo hi");
    assert_null(argv[3]);
    command_argv_free(argv);
    free(file);
    json_decref(cmd);

    cmd = json_pack("{s:s,s:b,s:[s,s]}", "value", "/bin/echo", "shell", 0,
                    "arguments", "echo", "x y");
    argv = command_argv(cmd, &file);
    assert_string_equal(file, "/bin/echo");
    assert_string_equal(argv[0], "echo");
    assert_string_equal(argv[1], "x y");
    assert_null(argv[2]);
    command_argv_free(argv);
    free(file);
    json_decref(cmd);

    cmd = json_pack("{s:s,s:b}", "value", "/bin/true", "shell", 0);
    argv = command_argv(cmd, &file);
    assert_string_equal(argv[0], "/bin/true");
    assert_null(argv[1]);
    command_argv_free(argv);
    free(file);
    json_decref(cmd);

    cmd = json_pack("{s:b}", "shell", 1);
    assert_null(command_argv(cmd, &file));
    assert_null(file);
    json_decref(cmd);
}

static void
test_env(void **state)
{
    char *base[] = {"PATH=/bin", "A=1", "junk", NULL};
    json_t *cmd =
        json_pack("{s:{s:[{s:s,s:s},{s:s,s:s,s:s},{s:s,s:s,s:s},{s:s,s:s}]}}",
                  "environment", "variables", "name", "A", "value", "2", "name",
                  "B", "type", "VALUE", "value", "3", "name", "S", "type",
                  "SECRET", "value", "x", "name", "BAD=", "value", "y");
    char **env = command_env(base, cmd);
    int n = 0;
    for (char **p = env; *p; p++)
        n++;
    assert_int_equal(n, 3);
    assert_string_equal(env[0], "PATH=/bin");
    assert_string_equal(env[1], "A=2");
    assert_string_equal(env[2], "B=3");
    command_argv_free(env);
    json_decref(cmd);
}

static void
test_outcome(void **state)
{
    char msg[128];
    assert_string_equal(command_outcome(0, false, msg, sizeof(msg)),
                        "TASK_FINISHED");
    assert_string_equal(msg, "Command exited with status 0");
    assert_string_equal(command_outcome(3 << 8, false, msg, sizeof(msg)),
                        "TASK_FAILED");
    assert_string_equal(msg, "Command exited with status 3");
    assert_string_equal(command_outcome(SIGKILL, false, msg, sizeof(msg)),
                        "TASK_FAILED");
    assert_non_null(strstr(msg, "Command terminated with signal"));
    assert_string_equal(command_outcome(SIGTERM, true, msg, sizeof(msg)),
                        "TASK_KILLED");
    assert_string_equal(command_outcome(0, true, msg, sizeof(msg)),
                        "TASK_KILLED");
}

static void
test_kill_grace(void **state)
{
    json_t *kp = json_pack("{s:{s:f}}", "grace_period", "nanoseconds", 5e8);
    assert_true(command_kill_grace(kp, 3) == 0.5);
    assert_true(command_kill_grace(NULL, 3) == 3);
    json_decref(kp);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argv),
        cmocka_unit_test(test_env),
        cmocka_unit_test(test_outcome),
        cmocka_unit_test(test_kill_grace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
