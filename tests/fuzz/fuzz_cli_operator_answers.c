/* SPDX-License-Identifier: Apache-2.0
 *
 * fuzz_cli_operator_answers.c: how the `corral` operator commands read a
 * master's answers (and maintenance schedule files). The input is parsed
 * as JSON and handed, as is and through its typed members, to every
 * reader: the state summary, the weights, quota, schedule and status
 * tables, the schedule file check, and adding a window to the schedule.
 */
#include "base/buf.h"
#include "base/json.h"
#include "cli/maintfmt.h"
#include "cli/opfmt.h"

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
drop(struct cli_table *t)
{
    struct cr_buf b;
    cr_buf_init(&b, 1u << 24);
    cli_table_render(t, &b);
    cr_buf_fini(&b);
    cli_table_fini(t);
}

static void
read_all(const json_t *v)
{
    struct cli_table t;
    struct cr_buf b;
    char err[256];
    cr_buf_init(&b, 1u << 24);
    cli_state_summary(v, "m", &b);
    cr_buf_fini(&b);
    cli_weights_table(v, &t);
    drop(&t);
    cli_quota_table(v, &t);
    drop(&t);
    cli_schedule_table(v, &t);
    drop(&t);
    cli_maint_status_table(v, &t);
    drop(&t);
    const json_t *s = cli_schedule_from_doc(v, err, sizeof(err));
    if (s != NULL) {
        cli_schedule_table(s, &t);
        drop(&t);
    }
    json_t *w = cli_window_new(json_pack("[{s:s}]", "hostname", "h"), 1, 2);
    json_decref(cli_schedule_add_window(v, w));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    json_t *v = cr_json_parse((const char *)data, size, err, sizeof(err));
    if (v == NULL)
        return 0;
    static const char *const members[] = {"get_state",
                                          "get_weights",
                                          "get_quota",
                                          "get_maintenance_schedule",
                                          "get_maintenance_status",
                                          "schedule",
                                          "status"};
    read_all(v);
    for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
        read_all(json_object_get(v, members[i]));
    json_decref(v);
    return 0;
}
