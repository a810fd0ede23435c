/* SPDX-License-Identifier: Apache-2.0
 *
 * test_paths.c: the on-disk layout and id safety.
 */
/* cmocka needs these system headers first. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include "agent/paths.h"

static void
check(char *got, const char *want)
{
    assert_string_equal(got, want);
    free(got);
}

static void
test_layout(void **state)
{
    check(paths_sandbox_dir("/w", "A", "F", "E", "C"),
          "/w/slaves/A/frameworks/F/executors/E/runs/C");
    check(paths_runs_dir("/w", "A", "F", "E"),
          "/w/slaves/A/frameworks/F/executors/E/runs");
    check(paths_sandbox_virtual("F", "E"),
          "/frameworks/F/executors/E/runs/latest");
    check(paths_meta_latest_link("/w"), "/w/meta/slaves/latest");
    check(paths_agent_info_file("/w", "A"), "/w/meta/slaves/A/slave.info");
    check(paths_fw_info_file("/w", "A", "F"),
          "/w/meta/slaves/A/frameworks/F/framework.info");
    check(paths_exec_info_file("/w", "A", "F", "E"),
          "/w/meta/slaves/A/frameworks/F/executors/E/executor.info");
    check(paths_forked_pid_file("/w", "A", "F", "E", "C"),
          "/w/meta/slaves/A/frameworks/F/executors/E/runs/C/forked.pid");
    check(paths_task_info_file("/w", "A", "F", "E", "C", "T"),
          "/w/meta/slaves/A/frameworks/F/executors/E/runs/C/tasks/T/"
          "task.info");
    check(paths_task_updates_file("/w", "A", "F", "E", "C", "T"),
          "/w/meta/slaves/A/frameworks/F/executors/E/runs/C/tasks/T/"
          "task.updates");
    check(paths_boot_id_file("/w"), "/w/meta/boot_id");
}

static void
test_id_safety(void **state)
{
    assert_true(paths_id_is_safe("task-1.a_b"));
    assert_true(paths_id_is_safe("with space"));
    assert_true(paths_id_is_safe("..."));
    assert_false(paths_id_is_safe(NULL));
    assert_false(paths_id_is_safe(""));
    assert_false(paths_id_is_safe("."));
    assert_false(paths_id_is_safe(".."));
    assert_false(paths_id_is_safe("a/b"));
    assert_false(paths_id_is_safe("../x"));
    assert_false(paths_id_is_safe("tab\there"));
    char big[300];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    assert_false(paths_id_is_safe(big));
    big[PATHS_ID_MAX] = '\0';
    assert_true(paths_id_is_safe(big));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_id_safety),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
