/* SPDX-License-Identifier: Apache-2.0
 *
 * test_taskinfo.c: what `corral execute` sends and how it reads the
 * outcome (src/cli/taskinfo.c).
 */
/* cmocka.h needs the headers before it. */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
/* clang-format on */

#include "base/json.h"
#include "cli/taskinfo.h"

static void
spec(struct exec_spec *sp)
{
    char err[128];
    memset(sp, 0, sizeof(*sp));
    sp->name = "job";
    sp->command = "echo hi";
    sp->role = "*";
    sp->framework_name = "corral-execute";
    sp->user = "root";
    assert_int_equal(
        cli_resources_parse("cpus:0.1;mem:32", &sp->res, err, sizeof(err)), 0);
}

static void
test_task_info(void **state)
{
    struct exec_spec sp;
    spec(&sp);
    const char *env[] = {"A=1", "B=x=y"};
    const char *uris[] = {"http://h/f.tgz"};
    sp.env.v = env;
    sp.env.n = 2;
    sp.uris.v = uris;
    sp.uris.n = 1;
    json_t *t = exec_task_info(&sp, "job-2", "S0", "dev");
    char *s = cr_json_dump(t);
    assert_string_equal(
        s, "{\"name\":\"job\",\"task_id\":{\"value\":\"job-2\"},"
           "\"agent_id\":{\"value\":\"S0\"},\"resources\":[{\"name\":"
           "\"cpus\",\"type\":\"SCALAR\",\"scalar\":{\"value\":0.1},"
           "\"allocation_info\":{\"role\":\"dev\"}},{\"name\":\"mem\","
           "\"type\":\"SCALAR\",\"scalar\":{\"value\":32.0},"
           "\"allocation_info\":{\"role\":\"dev\"}}],\"command\":{\"shell\":"
           "true,\"value\":\"echo hi\",\"environment\":{\"variables\":["
           "{\"name\":\"A\",\"type\":\"VALUE\",\"value\":\"1\"},{\"name\":"
           "\"B\",\"type\":\"VALUE\",\"value\":\"x=y\"}]},\"uris\":[{"
           "\"value\":\"http://h/f.tgz\"}]}}");
    free(s);
    json_decref(t);
}

static void
test_framework_info_and_ids(void **state)
{
    struct exec_spec sp;
    spec(&sp);
    json_t *fi = exec_framework_info(&sp);
    char *s = cr_json_dump(fi);
    assert_string_equal(s, "{\"user\":\"root\",\"name\":\"corral-execute\","
                           "\"roles\":[\"*\"],\"capabilities\":[{\"type\":"
                           "\"MULTI_ROLE\"}],\"failover_timeout\":0.0,"
                           "\"checkpoint\":false}");
    free(s);
    json_decref(fi);
    char *id = exec_task_id(&sp, 0, 1);
    assert_string_equal(id, "job");
    free(id);
    id = exec_task_id(&sp, 2, 5);
    assert_string_equal(id, "job-3");
    free(id);
}

static void
test_spec_check(void **state)
{
    struct exec_spec sp;
    char err[256];
    spec(&sp);
    assert_int_equal(exec_spec_check(&sp, err, sizeof(err)), 0);
    sp.name = "a/b";
    assert_int_equal(exec_spec_check(&sp, err, sizeof(err)), -1);
    sp.name = "..";
    assert_int_equal(exec_spec_check(&sp, err, sizeof(err)), -1);
    sp.name = "a b";
    assert_int_equal(exec_spec_check(&sp, err, sizeof(err)), -1);
    sp.name = "ok";
    sp.command = NULL;
    assert_int_equal(exec_spec_check(&sp, err, sizeof(err)), -1);
    assert_string_equal(err, "missing --command");
    sp.command = "true";
    const char *env[] = {"=1"};
    sp.env.v = env;
    sp.env.n = 1;
    assert_int_equal(exec_spec_check(&sp, err, sizeof(err)), -1);
    env[0] = "NOEQ";
    assert_int_equal(exec_spec_check(&sp, err, sizeof(err)), -1);
    env[0] = "A=";
    assert_int_equal(exec_spec_check(&sp, err, sizeof(err)), 0);
}

static void
test_exit_codes(void **state)
{
    assert_int_equal(exec_exit_code("TASK_FINISHED", NULL), 0);
    assert_int_equal(
        exec_exit_code("TASK_FAILED", "Command exited with status 3"), 3);
    assert_int_equal(exec_exit_code("TASK_FAILED", "exited with status 255"),
                     255);
    assert_int_equal(exec_exit_code("TASK_FAILED", "exited with status 0"), 1);
    assert_int_equal(exec_exit_code("TASK_FAILED", "exited with status 999"),
                     1);
    assert_int_equal(
        exec_exit_code("TASK_FAILED", "Command terminated with signal Killed"),
        1);
    assert_int_equal(exec_exit_code("TASK_FAILED", NULL), 1);
    assert_int_equal(exec_exit_code("TASK_KILLED", "exited with status 3"), 1);
    assert_int_equal(exec_exit_code("TASK_LOST", NULL), 1);
    assert_int_equal(exec_exit_code(NULL, NULL), 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_task_info),
        cmocka_unit_test(test_framework_info_and_ids),
        cmocka_unit_test(test_spec_check),
        cmocka_unit_test(test_exit_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
