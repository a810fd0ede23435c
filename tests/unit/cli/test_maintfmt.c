/* SPDX-License-Identifier: Apache-2.0
 *
 * test_maintfmt.c: the pure half of `corral maintenance`
 * (src/cli/maintfmt.c): start times, machine words, windows, adding a
 * window to a schedule, schedule files, and the schedule/status tables.
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

#include "base/buf.h"
#include "cli/maintfmt.h"
#include "cli_test.h"

static void
assert_json(json_t *got, const char *want_text)
{
    json_t *want = jq(want_text);
    if (!json_equal(got, want)) {
        char *g = json_dumps(got, JSON_SORT_KEYS);
        fail_msg("got %s", g);
    }
    json_decref(want);
}

static void
test_time_parse(void **state)
{
    (void)state;
    double t = -1;
    assert_int_equal(cli_time_parse("now", 123.5, &t), 0);
    assert_true(t == 123.5);
    assert_int_equal(cli_time_parse("1700000000", 0, &t), 0);
    assert_true(t == 1700000000.0);
    assert_int_equal(cli_time_parse("1.5e9", 0, &t), 0);
    assert_true(t == 1.5e9);
    assert_int_equal(cli_time_parse("2024-05-01T12:00:00Z", 0, &t), 0);
    assert_true(t == 1714564800.0);
    assert_int_equal(cli_time_parse("2024-05-01t14:00:00.25+02:00", 0, &t), 0);
    assert_true(t == 1714564800.25);
    assert_int_equal(cli_time_parse("2024-05-01 07:30:00-04:30", 0, &t), 0);
    assert_true(t == 1714564800.0);
    assert_int_equal(cli_time_parse("2024-02-29T00:00:00Z", 0, &t), 0);
    const char *bad[] = {"",
                         "-5",
                         "abc",
                         "2024-05-01",
                         "2024-05-01T12:00:00",
                         "2024-05-01T12:00Z",
                         "2024-02-30T00:00:00Z",
                         "2023-02-29T00:00:00Z",
                         "2024-13-01T00:00:00Z",
                         "2024-05-01T24:00:00Z",
                         "2024-05-01T12:00:00+25:00",
                         "2024-05-01T12:00:00Zjunk",
                         "1960-01-01T00:00:00Z",
                         "1e300",
                         "nan"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (cli_time_parse(bad[i], 0, &t) == 0)
            fail_msg("accepted '%s'", bad[i]);
    assert_int_not_equal(cli_time_parse(NULL, 0, &t), 0);
}

static void
test_time_format(void **state)
{
    (void)state;
    char b[64];
    assert_string_equal(cli_time_format(1714564800.0, b, sizeof(b)),
                        "2024-05-01T12:00:00Z");
    assert_string_equal(cli_time_format(1714564800.25, b, sizeof(b)),
                        "2024-05-01T12:00:00.250Z");
    assert_string_equal(cli_time_format(0, b, sizeof(b)),
                        "1970-01-01T00:00:00Z");
    cli_time_format(-1, b, sizeof(b)); /* out of range: a plain number */
    assert_string_equal(b, "-1");
    double t;
    cli_time_format(1700000123.5, b, sizeof(b));
    assert_int_equal(cli_time_parse(b, 0, &t), 0);
    assert_true(t == 1700000123.5);
}

static void
test_machines(void **state)
{
    (void)state;
    char err[256];
    json_t *m = cli_machine_parse("node1", err, sizeof(err));
    assert_json(m, "{'hostname':'node1'}");
    json_decref(m);
    m = cli_machine_parse("node1/10.0.0.1", err, sizeof(err));
    assert_json(m, "{'hostname':'node1','ip':'10.0.0.1'}");
    json_decref(m);
    m = cli_machine_parse("/10.0.0.1", err, sizeof(err));
    assert_json(m, "{'ip':'10.0.0.1'}");
    json_decref(m);
    const char *bad[] = {"", "/", "a/b/c", "a b", "a,b", "a\tb"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if ((m = cli_machine_parse(bad[i], err, sizeof(err))) != NULL)
            fail_msg("accepted '%s'", bad[i]);
    char longname[300];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    assert_null(cli_machine_parse(longname, err, sizeof(err)));

    const char *words[] = {"a", "b/1.2.3.4"};
    m = cli_machines_parse(words, 2, err, sizeof(err));
    assert_json(m, "[{'hostname':'a'},{'hostname':'b','ip':'1.2.3.4'}]");
    json_decref(m);
    assert_null(cli_machines_parse(words, 0, err, sizeof(err)));
    const char *badw[] = {"a", ""};
    assert_null(cli_machines_parse(badw, 2, err, sizeof(err)));
}

static void
test_machines_from_lists(void **state)
{
    (void)state;
    char err[256];
    const char *h[] = {"a", "b"}, *ip[] = {"1.1.1.1", "2.2.2.2"};
    json_t *m = cli_machines_from_lists(h, 2, ip, 2, err, sizeof(err));
    assert_json(m, "[{'hostname':'a','ip':'1.1.1.1'},"
                   "{'hostname':'b','ip':'2.2.2.2'}]");
    json_decref(m);
    m = cli_machines_from_lists(h, 2, NULL, 0, err, sizeof(err));
    assert_json(m, "[{'hostname':'a'},{'hostname':'b'}]");
    json_decref(m);
    m = cli_machines_from_lists(NULL, 0, ip, 1, err, sizeof(err));
    assert_json(m, "[{'ip':'1.1.1.1'}]");
    json_decref(m);
    assert_null(cli_machines_from_lists(h, 2, ip, 1, err, sizeof(err)));
    assert_non_null(strstr(err, "--ip"));
    assert_null(cli_machines_from_lists(NULL, 0, NULL, 0, err, sizeof(err)));
    const char *empty[] = {""};
    assert_null(cli_machines_from_lists(empty, 1, NULL, 0, err, sizeof(err)));
}

static void
test_windows_and_schedules(void **state)
{
    (void)state;
    json_t *w = cli_window_new(jq("[{'hostname':'a'}]"), 1714564800.5, 3600);
    assert_json(w, "{'machine_ids':[{'hostname':'a'}],'unavailability':"
                   "{'start':{'nanoseconds':1714564800500000000},"
                   "'duration':{'nanoseconds':3600000000000}}}");
    json_decref(w);
    w = cli_window_new(jq("[{'hostname':'a'}]"), 10, -1);
    assert_json(w, "{'machine_ids':[{'hostname':'a'}],'unavailability':"
                   "{'start':{'nanoseconds':10000000000}}}");

    /* a moves to the new window; the window left empty goes away; b/ip
     * is another machine than b. */
    json_t *old = jq("{'windows':["
                     " {'machine_ids':[{'hostname':'a'}],"
                     "  'unavailability':{'start':{'nanoseconds':1}}},"
                     " {'machine_ids':[{'hostname':'b','ip':'1.1.1.1'},"
                     "   {'hostname':'a','ip':'9.9.9.9'}],"
                     "  'unavailability':{'start':{'nanoseconds':2}}}]}");
    json_t *s = cli_schedule_add_window(old, w);
    assert_json(s, "{'windows':["
                   " {'machine_ids':[{'hostname':'b','ip':'1.1.1.1'},"
                   "   {'hostname':'a','ip':'9.9.9.9'}],"
                   "  'unavailability':{'start':{'nanoseconds':2}}},"
                   " {'machine_ids':[{'hostname':'a'}],'unavailability':"
                   "  {'start':{'nanoseconds':10000000000}}}]}");
    json_decref(s);
    json_decref(old);
    /* An empty or missing current schedule. */
    w = cli_window_new(jq("[{'ip':'1.2.3.4'}]"), 1, -1);
    s = cli_schedule_add_window(NULL, w);
    assert_int_equal(json_array_size(json_object_get(s, "windows")), 1);
    json_decref(s);
}

static void
test_schedule_from_doc(void **state)
{
    (void)state;
    char err[256];
    json_t *doc = jq("{'schedule':{'windows':[{'machine_ids':[{'hostname':"
                     "'a'}],'unavailability':{'start':{'nanoseconds':5}}}]}}");
    const json_t *s = cli_schedule_from_doc(doc, err, sizeof(err));
    assert_ptr_equal(s, json_object_get(doc, "schedule"));
    json_decref(doc);
    doc = jq("{'windows':[]}");
    assert_ptr_equal(cli_schedule_from_doc(doc, err, sizeof(err)), doc);
    json_decref(doc);
    doc = jq("{}");
    assert_ptr_equal(cli_schedule_from_doc(doc, err, sizeof(err)), doc);
    json_decref(doc);
    const char *bad[] = {
        "[]",
        "{'windows':{}}",
        "{'windows':[{}]}",
        "{'windows':[{'machine_ids':[{}],'unavailability':{'start':"
        "{'nanoseconds':1}}}]}",
        "{'windows':[{'machine_ids':[{'hostname':'a'}]}]}",
        "{'windows':[{'machine_ids':[{'hostname':'a'}],'unavailability':"
        "{'start':{'nanoseconds':'x'}}}]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        doc = jq(bad[i]);
        if (cli_schedule_from_doc(doc, err, sizeof(err)) != NULL)
            fail_msg("accepted %s", bad[i]);
        json_decref(doc);
    }
}

static void
test_tables(void **state)
{
    (void)state;
    json_t *s = jq("{'windows':["
                   " {'machine_ids':[{'hostname':'a','ip':'1.1.1.1'},"
                   "   {'hostname':'b'}],'unavailability':{'start':"
                   "   {'nanoseconds':1714564800000000000},'duration':"
                   "   {'nanoseconds':3600000000000}}},"
                   " {'machine_ids':[{'ip':'2.2.2.2'}],'unavailability':"
                   "   {'start':{'nanoseconds':1714564800000000000}}}]}");
    struct cli_table t;
    cli_schedule_table(s, &t);
    char *out = render(&t);
    assert_string_equal(
        out, "WINDOW  HOSTNAME  IP       START                 DURATION\n"
             "0       a         1.1.1.1  2024-05-01T12:00:00Z  1hrs\n"
             "0       b         -        2024-05-01T12:00:00Z  1hrs\n"
             "1       -         2.2.2.2  2024-05-01T12:00:00Z  -\n");
    free(out);
    json_decref(s);

    json_t *st = jq("{'draining_machines':[{'id':{'hostname':'a'},"
                    " 'statuses':[{'status':'ACCEPT','framework_id':"
                    " {'value':'F1'}},{'status':'UNKNOWN','framework_id':"
                    " {'value':'F2'}}]},{'id':{'ip':'3.3.3.3'}}],"
                    " 'down_machines':[{'hostname':'b','ip':'1.2.3.4'}]}");
    cli_maint_status_table(st, &t);
    out = render(&t);
    assert_string_equal(out,
                        "HOSTNAME  IP       MODE      RESPONSES\n"
                        "a         -        DRAINING  F1:ACCEPT,F2:UNKNOWN\n"
                        "-         3.3.3.3  DRAINING  -\n"
                        "b         1.2.3.4  DOWN      -\n");
    free(out);
    json_decref(st);
    cli_maint_status_table(NULL, &t);
    out = render(&t);
    assert_string_equal(out, "HOSTNAME  IP  MODE  RESPONSES\n");
    free(out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_parse),
        cmocka_unit_test(test_time_format),
        cmocka_unit_test(test_machines),
        cmocka_unit_test(test_machines_from_lists),
        cmocka_unit_test(test_windows_and_schedules),
        cmocka_unit_test(test_schedule_from_doc),
        cmocka_unit_test(test_tables),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
