/* SPDX-License-Identifier: Apache-2.0
 *
 * test_registry.c: the master's registry (registry.c) and registrar
 * (registrar.c): transitions, record encoding and replay (round trips and
 * damaged records), and the registrar over a real single-replica log:
 * recovery, batching, snapshots, a restart that replays everything, and
 * resigning then recovering again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka needs the four above first */
#include "base/clock.h"
#include "base/err.h"
#include "log/log.h"
#include "master/registrar.h"
#include "master/registry.h"

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ------------------------------------------------------------- */

static void
apply_ok(struct registry *r, struct registry_op *op)
{
    char err[200];
    assert_int_equal(registry_apply(r, op, err, sizeof(err)), 0);
    registry_op_fini(op);
}

static int
apply_err(struct registry *r, struct registry_op *op)
{
    char err[200] = "";
    int rc = registry_apply(r, op, err, sizeof(err));
    assert_true(rc == 0 || strlen(err) > 0);
    registry_op_fini(op);
    return rc;
}

/* Text of r, for comparisons (owned). */
static char *
text(const struct registry *r)
{
    return registry_to_json_text(r);
}

static int
replay_str(struct registry *r, const char *s)
{
    char err[300];
    return registry_replay(r, (const uint8_t *)s, strlen(s), NULL, err,
                           sizeof(err));
}

/* A registry with every kind of entry. */
static void
fill(struct registry *r)
{
    struct registry_op op;
    registry_op_admit(&op, "a1", "h1", 5051);
    apply_ok(r, &op);
    registry_op_admit(&op, "a2", "h2", 5052);
    apply_ok(r, &op);
    registry_op_admit(&op, "a3", "h3", 5053);
    apply_ok(r, &op);
    registry_op_mark(&op, REGISTRY_OP_UNREACHABLE, "a2", 100.5);
    apply_ok(r, &op);
    registry_op_mark(&op, REGISTRY_OP_GONE, "a3", 200);
    apply_ok(r, &op);
    registry_op_weights(&op);
    registry_op_add_weight(&op, "dev", 2);
    registry_op_add_weight(&op, "prod", 3.5);
    apply_ok(r, &op);
}

/* ---- transitions --------------------------------------------------------- */

static void
test_transitions(void **state)
{
    (void)state;
    struct registry r;
    struct registry_op op;
    registry_init(&r);
    fill(&r);
    assert_int_equal(registry_agent_status(&r, "a1"), REGISTRY_ADMITTED);
    assert_int_equal(registry_agent_status(&r, "a2"), REGISTRY_UNREACHABLE);
    assert_int_equal(registry_agent_status(&r, "a3"), REGISTRY_GONE);
    assert_int_equal(registry_agent_status(&r, "nope"), REGISTRY_UNKNOWN);
    assert_int_equal(r.count[REGISTRY_ADMITTED], 1);
    assert_true(registry_weight(&r, "prod") == 3.5);
    assert_true(registry_weight(&r, "other") == 0);

    /* Unreachable agents come back; gone ones never do. */
    registry_op_admit(&op, "a2", "h2b", 6000);
    apply_ok(&r, &op);
    assert_int_equal(registry_agent_status(&r, "a2"), REGISTRY_ADMITTED);
    registry_op_admit(&op, "a3", "h3", 5053);
    assert_int_equal(apply_err(&r, &op), CR_ESTATE);
    assert_int_equal(registry_agent_status(&r, "a3"), REGISTRY_GONE);
    registry_op_mark(&op, REGISTRY_OP_UNREACHABLE, "a3", 1);
    assert_int_equal(apply_err(&r, &op), CR_ESTATE);
    registry_op_mark(&op, REGISTRY_OP_UNREACHABLE, "ghost", 1);
    assert_int_equal(apply_err(&r, &op), CR_ESTATE);
    registry_op_mark(&op, REGISTRY_OP_GONE, "ghost", 1);
    assert_int_equal(apply_err(&r, &op), CR_ESTATE);
    assert_int_equal(registry_agent_status(&r, "ghost"), REGISTRY_UNKNOWN);
    assert_int_equal(r.count[REGISTRY_ADMITTED], 2);
    assert_int_equal(r.count[REGISTRY_UNREACHABLE], 0);
    assert_int_equal(r.count[REGISTRY_GONE], 1);
    registry_fini(&r);
}

/* ---- configuration: quotas, reservations, maintenance ------------------- */

static void
reservation(struct registry_op *op, enum registry_op_type type, const char *id,
            const char *text_res)
{
    struct cr_resources res;
    cr_resources_init(&res);
    assert_int_equal(cr_resources_parse_text(&res, text_res, NULL, NULL, 0), 0);
    registry_op_reservation(op, type, id, &res);
    cr_resources_fini(&res);
}

static void
test_quota_and_reservations(void **state)
{
    (void)state;
    struct registry r;
    struct registry_op op;
    registry_init(&r);
    registry_op_quota(&op, "dev");
    registry_op_add_scalar(&op, false, "cpus", 2);
    registry_op_add_scalar(&op, true, "cpus", 4);
    apply_ok(&r, &op);
    const struct registry_quota *q = registry_quota(&r, "dev");
    assert_non_null(q);
    assert_int_equal(q->n_guarantees, 1);
    assert_true(q->limits[0].value == 4);
    registry_op_quota(&op, "dev"); /* replaced, then removed */
    registry_op_add_scalar(&op, true, "mem", 1024);
    apply_ok(&r, &op);
    assert_int_equal(registry_quota(&r, "dev")->n_guarantees, 0);
    registry_op_quota(&op, "dev");
    apply_ok(&r, &op);
    assert_null(registry_quota(&r, "dev"));

    /* Reservations need a known, not gone agent; UNRESERVE what is there. */
    reservation(&op, REGISTRY_OP_RESERVE, "a1", "cpus(dev):1");
    assert_int_equal(apply_err(&r, &op), CR_ESTATE);
    registry_op_admit(&op, "a1", "h1", 5051);
    apply_ok(&r, &op);
    reservation(&op, REGISTRY_OP_RESERVE, "a1", "cpus(dev):1;mem(dev):256");
    apply_ok(&r, &op);
    reservation(&op, REGISTRY_OP_UNRESERVE, "a1", "cpus(dev):2");
    assert_int_equal(apply_err(&r, &op), CR_ESTATE);
    reservation(&op, REGISTRY_OP_UNRESERVE, "a1", "cpus(dev):1");
    apply_ok(&r, &op);
    const struct registry_agent *a = registry_agent(&r, "a1");
    assert_true(cr_resources_scalar(&a->reserved, "mem") == 256);
    assert_true(cr_resources_scalar(&a->reserved, "cpus") == 0);
    registry_op_mark(&op, REGISTRY_OP_GONE, "a1", 1);
    apply_ok(&r, &op);
    assert_true(cr_resources_is_empty(&registry_agent(&r, "a1")->reserved));
    registry_fini(&r);
}

static void
schedule2(struct registry_op *op)
{
    registry_op_maintenance(op, REGISTRY_OP_SCHEDULE);
    registry_op_add_window(op, 1000, 60);
    registry_op_add_machine(op, "m1", "10.0.0.1");
    registry_op_add_window(op, 2000, -1);
    registry_op_add_machine(op, "m2", NULL);
    registry_op_add_machine(op, NULL, "10.0.0.3");
}

static void
machines(struct registry_op *op, enum registry_op_type type, const char *host,
         const char *ip)
{
    registry_op_maintenance(op, type);
    registry_op_add_machine(op, host, ip);
}

static void
test_maintenance(void **state)
{
    (void)state;
    struct registry r;
    struct registry_op op;
    const struct registry_window *w;
    char err[200];
    registry_init(&r);
    schedule2(&op);
    apply_ok(&r, &op);
    assert_int_equal(r.n_windows, 2);
    /* An agent's machine matches by hostname and IP, or either one. */
    assert_int_equal(registry_machine_mode_of(&r, "m1", "10.0.0.1", &w),
                     REGISTRY_MACHINE_DRAINING);
    assert_int_equal(w->start_ns, 1000);
    assert_int_equal(registry_machine_mode_of(&r, "m1", "10.0.0.9", NULL),
                     REGISTRY_MACHINE_UP);
    assert_int_equal(registry_machine_mode_of(&r, "m2", "10.9.9.9", &w),
                     REGISTRY_MACHINE_DRAINING);
    assert_int_equal(w->duration_ns, -1);
    assert_int_equal(registry_machine_mode_of(&r, "x", "10.0.0.3", NULL),
                     REGISTRY_MACHINE_DRAINING);

    machines(&op, REGISTRY_OP_STOP_MAINTENANCE, "m2", NULL);
    assert_int_equal(registry_maint_check(&r, &op, err, sizeof(err)),
                     CR_ESTATE); /* not down */
    assert_int_equal(apply_err(&r, &op), CR_ESTATE);
    machines(&op, REGISTRY_OP_START_MAINTENANCE, "m9", NULL);
    assert_int_equal(apply_err(&r, &op), CR_ESTATE); /* not scheduled */
    machines(&op, REGISTRY_OP_START_MAINTENANCE, "m2", NULL);
    apply_ok(&r, &op);
    assert_int_equal(registry_machine_mode_of(&r, "m2", NULL, NULL),
                     REGISTRY_MACHINE_DOWN);

    /* A down machine must stay in the schedule; one listed twice is bad. */
    registry_op_maintenance(&op, REGISTRY_OP_SCHEDULE);
    registry_op_add_window(&op, 5, 5);
    registry_op_add_machine(&op, "m1", "10.0.0.1");
    assert_int_equal(apply_err(&r, &op), CR_ESTATE);
    registry_op_maintenance(&op, REGISTRY_OP_SCHEDULE);
    registry_op_add_window(&op, 5, 5);
    registry_op_add_machine(&op, "m2", NULL);
    registry_op_add_machine(&op, "m2", NULL);
    assert_int_equal(apply_err(&r, &op), CR_ESTATE);
    /* Rescheduled: m2 stays down, m1 and 10.0.0.3 are up again. */
    registry_op_maintenance(&op, REGISTRY_OP_SCHEDULE);
    registry_op_add_window(&op, 7, 7);
    registry_op_add_machine(&op, "m2", NULL);
    registry_op_add_machine(&op, "m4", NULL);
    apply_ok(&r, &op);
    assert_int_equal(registry_machine_mode_of(&r, "m2", NULL, NULL),
                     REGISTRY_MACHINE_DOWN);
    assert_int_equal(registry_machine_mode_of(&r, "m1", "10.0.0.1", NULL),
                     REGISTRY_MACHINE_UP);
    /* STOP: m2 is up and out of the schedule; its window keeps m4. */
    machines(&op, REGISTRY_OP_STOP_MAINTENANCE, "m2", NULL);
    apply_ok(&r, &op);
    assert_int_equal(registry_machine_mode_of(&r, "m2", NULL, NULL),
                     REGISTRY_MACHINE_UP);
    assert_int_equal(r.n_windows, 1);
    assert_int_equal(r.windows[0].n_machines, 1);
    assert_string_equal(r.windows[0].machines[0].hostname, "m4");
    machines(&op, REGISTRY_OP_START_MAINTENANCE, "m4", NULL);
    apply_ok(&r, &op);
    machines(&op, REGISTRY_OP_STOP_MAINTENANCE, "m4", NULL);
    apply_ok(&r, &op);
    assert_int_equal(r.n_windows, 0);
    assert_null(r.machines);
    registry_fini(&r);
}

/* Every kind of operation, encoded as a batch and as a snapshot, replays
 * to the same registry. */
static void
test_config_round_trip(void **state)
{
    (void)state;
    struct registry_op ops[6];
    registry_op_admit(&ops[0], "a1", "h1", 5051);
    reservation(&ops[1], REGISTRY_OP_RESERVE, "a1", "cpus(dev):1;disk(dev):10");
    registry_op_quota(&ops[2], "dev/web");
    registry_op_add_scalar(&ops[2], false, "cpus", 1.5);
    registry_op_add_scalar(&ops[2], true, "gpus", 0);
    schedule2(&ops[3]);
    machines(&ops[4], REGISTRY_OP_START_MAINTENANCE, NULL, "10.0.0.3");
    registry_op_weights(&ops[5]);
    registry_op_add_weight(&ops[5], "dev", 3);
    const struct registry_op *p[6];
    for (int i = 0; i < 6; i++)
        p[i] = &ops[i];
    struct cr_buf b, snap;
    cr_buf_init(&b, 1 << 20);
    cr_buf_init(&snap, 1 << 20);
    assert_int_equal(registry_encode_ops(p, 6, &b), 0);
    struct registry direct, replayed, restored;
    registry_init(&direct);
    registry_init(&replayed);
    registry_init(&restored);
    for (int i = 0; i < 6; i++)
        apply_ok(&direct, &ops[i]);
    struct registry_replay_info info;
    char err[200];
    assert_int_equal(registry_replay(&replayed, (const uint8_t *)b.data, b.len,
                                     &info, err, sizeof(err)),
                     0);
    assert_int_equal(info.skipped, 0);
    assert_int_equal(registry_encode_snapshot(&replayed, &snap), 0);
    assert_int_equal(registry_replay(&restored, (const uint8_t *)snap.data,
                                     snap.len, &info, err, sizeof(err)),
                     0);
    char *t1 = text(&direct), *t2 = text(&replayed), *t3 = text(&restored);
    assert_string_equal(t1, t2);
    assert_string_equal(t1, t3);
    assert_non_null(strstr(t1, "\"down\":[{\"ip\":\"10.0.0.3\"}]"));
    assert_int_equal(
        registry_machine_mode_of(&restored, "any", "10.0.0.3", NULL),
        REGISTRY_MACHINE_DOWN);
    free(t1);
    free(t2);
    free(t3);
    cr_buf_fini(&b);
    cr_buf_fini(&snap);
    registry_fini(&direct);
    registry_fini(&replayed);
    registry_fini(&restored);
}

static void
test_damaged_config_records(void **state)
{
    (void)state;
    static const char *const bad[] = {
        /* a negative quota */
        "{\"format\":\"corral.registry/1\",\"ops\":[{\"type\":\"QUOTA\","
        "\"role\":\"r\",\"guarantees\":{\"cpus\":-1}}]}",
        /* unreserved resources in a reservation */
        "{\"format\":\"corral.registry/1\",\"ops\":[{\"type\":\"RESERVE\","
        "\"agent_id\":\"a\",\"resources\":[{\"name\":\"cpus\",\"type\":"
        "\"SCALAR\",\"scalar\":{\"value\":1}}]}]}",
        /* a machine with neither hostname nor ip */
        "{\"format\":\"corral.registry/1\",\"ops\":[{\"type\":"
        "\"START_MAINTENANCE\",\"machines\":[{}]}]}",
        /* a window without start */
        "{\"format\":\"corral.registry/1\",\"ops\":[{\"type\":\"SCHEDULE\","
        "\"windows\":[{\"machines\":[{\"hostname\":\"h\"}],"
        "\"duration_ns\":1}]}]}",
        /* a down machine outside the schedule */
        "{\"format\":\"corral.registry/1\",\"snapshot\":{\"admitted\":[],"
        "\"unreachable\":[],\"gone\":[],\"weights\":[],\"schedule\":[],"
        "\"down\":[{\"hostname\":\"h\"}]}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct registry r;
        registry_init(&r);
        assert_int_equal(replay_str(&r, bad[i]), CR_EPROTO_DATA);
        assert_int_equal(HASH_COUNT(r.agents), 0);
        registry_fini(&r);
    }
}

/* ---- records ------------------------------------------------------------- */

static void
test_batch_round_trip(void **state)
{
    (void)state;
    struct registry_op ops[4];
    registry_op_admit(&ops[0], "a1", "h1", 1);
    registry_op_admit(&ops[1], "a2", "h\"2\\", 65535);
    registry_op_mark(&ops[2], REGISTRY_OP_UNREACHABLE, "a1", 12.25);
    registry_op_weights(&ops[3]);
    registry_op_add_weight(&ops[3], "r\xc3\xa9le", 0.5);
    const struct registry_op *p[4] = {&ops[0], &ops[1], &ops[2], &ops[3]};
    struct cr_buf b;
    cr_buf_init(&b, 1 << 20);
    assert_int_equal(registry_encode_ops(p, 4, &b), 0);

    struct registry direct, replayed;
    registry_init(&direct);
    registry_init(&replayed);
    for (int i = 0; i < 4; i++)
        apply_ok(&direct, &ops[i]);
    struct registry_replay_info info;
    char err[200];
    assert_int_equal(registry_replay(&replayed, (const uint8_t *)b.data, b.len,
                                     &info, err, sizeof(err)),
                     0);
    assert_false(info.snapshot);
    assert_int_equal(info.ops, 4);
    assert_int_equal(info.skipped, 0);
    char *t1 = text(&direct), *t2 = text(&replayed);
    assert_string_equal(t1, t2);
    free(t1);
    free(t2);
    /* Replayed twice: the same operations no longer all fit, nothing
     * breaks (ADMIT of an admitted agent fits; UNREACHABLE again too). */
    assert_int_equal(registry_replay(&replayed, (const uint8_t *)b.data, b.len,
                                     &info, err, sizeof(err)),
                     0);
    assert_int_equal(registry_agent_status(&replayed, "a1"),
                     REGISTRY_UNREACHABLE);
    cr_buf_fini(&b);
    registry_fini(&direct);
    registry_fini(&replayed);
}

static void
test_snapshot_round_trip(void **state)
{
    (void)state;
    struct registry r, copy;
    registry_init(&r);
    registry_init(&copy);
    fill(&r);
    struct registry_op op;
    registry_op_admit(&op, "stale", "x", 1);
    apply_ok(&copy, &op); /* a snapshot replaces everything */
    struct cr_buf b;
    cr_buf_init(&b, 1 << 20);
    assert_int_equal(registry_encode_snapshot(&r, &b), 0);
    struct registry_replay_info info;
    char err[200];
    assert_int_equal(registry_replay(&copy, (const uint8_t *)b.data, b.len,
                                     &info, err, sizeof(err)),
                     0);
    assert_true(info.snapshot);
    char *t1 = text(&r), *t2 = text(&copy);
    assert_string_equal(t1, t2);
    free(t1);
    free(t2);
    assert_int_equal(registry_agent_status(&copy, "stale"), REGISTRY_UNKNOWN);
    assert_int_equal(copy.count[REGISTRY_GONE], 1);
    cr_buf_fini(&b);
    registry_fini(&r);
    registry_fini(&copy);
}

static void
test_damaged_records(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "{",
        "[]",
        "{\"ops\":[]}",
        "{\"format\":\"corral.registry/2\",\"ops\":[]}",
        "{\"format\":\"corral.registry/1\"}",
        "{\"format\":\"corral.registry/1\",\"ops\":{}}",
        "{\"format\":\"corral.registry/1\",\"ops\":[{\"type\":\"NUKE\"}]}",
        "{\"format\":\"corral.registry/1\",\"ops\":[{\"type\":\"ADMIT\"}]}",
        "{\"format\":\"corral.registry/1\",\"ops\":[{\"type\":\"ADMIT\","
        "\"agent\":{\"id\":\"a\",\"hostname\":\"h\",\"port\":0}}]}",
        "{\"format\":\"corral.registry/1\",\"ops\":[{\"type\":\"ADMIT\","
        "\"agent\":{\"id\":\"a\",\"hostname\":\"h\",\"port\":1.5}}]}",
        "{\"format\":\"corral.registry/1\",\"ops\":[{\"type\":\"ADMIT\","
        "\"agent\":{\"id\":\"\",\"hostname\":\"h\",\"port\":1}}]}",
        "{\"format\":\"corral.registry/1\",\"ops\":[{\"type\":\"ADMIT\","
        "\"agent\":{\"id\":\"a\\u0000b\",\"hostname\":\"h\",\"port\":1}}]}",
        "{\"format\":\"corral.registry/1\",\"ops\":[{\"type\":\"GONE\","
        "\"agent_id\":\"a\",\"time\":-1}]}",
        "{\"format\":\"corral.registry/1\",\"ops\":[{\"type\":\"WEIGHTS\","
        "\"weights\":[{\"role\":\"r\",\"weight\":0}]}]}",
        "{\"format\":\"corral.registry/1\",\"snapshot\":{\"admitted\":[],"
        "\"unreachable\":[],\"gone\":[]}}",
        "{\"format\":\"corral.registry/1\",\"snapshot\":{\"admitted\":[{\"id\":"
        "\"a\",\"hostname\":\"h\",\"port\":1},{\"id\":\"a\",\"hostname\":"
        "\"h\",\"port\":2}],\"unreachable\":[],\"gone\":[],\"weights\":[]}}",
    };
    struct registry r;
    registry_init(&r);
    fill(&r);
    char *before = text(&r);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[300] = "";
        int rc = registry_replay(&r, (const uint8_t *)bad[i], strlen(bad[i]),
                                 NULL, err, sizeof(err));
        if (rc != CR_EPROTO_DATA)
            fail_msg("record %zu accepted: %s", i, bad[i]);
        assert_true(strlen(err) > 0);
        char *after = text(&r);
        assert_string_equal(before, after); /* unchanged */
        free(after);
    }
    /* A valid batch whose second op is damaged applies nothing. */
    assert_int_equal(
        replay_str(&r, "{\"format\":\"corral.registry/1\",\"ops\":["
                       "{\"type\":\"ADMIT\",\"agent\":{\"id\":\"new\","
                       "\"hostname\":\"h\",\"port\":1}},{\"type\":\"X\"}]}"),
        CR_EPROTO_DATA);
    assert_int_equal(registry_agent_status(&r, "new"), REGISTRY_UNKNOWN);
    /* Too long a string. */
    char big[REGISTRY_STR_MAX + 200];
    int n = snprintf(big, sizeof(big),
                     "{\"format\":\"corral.registry/1\",\"ops\":[{\"type\":"
                     "\"GONE\",\"time\":1,\"agent_id\":\"");
    memset(big + n, 'x', REGISTRY_STR_MAX + 1);
    snprintf(big + n + REGISTRY_STR_MAX + 1,
             sizeof(big) - (size_t)n - REGISTRY_STR_MAX - 1, "\"}]}");
    assert_int_equal(replay_str(&r, big), CR_EPROTO_DATA);
    free(before);
    registry_fini(&r);
}

/* ---- the registrar ------------------------------------------------------- */

struct done {
    int calls;
    int err;
};

static void
on_done(void *data, int err, const char *why)
{
    struct done *d = data;
    d->calls++;
    d->err = err;
    assert_true(err == 0 || why != NULL);
}

static void
on_tick(uv_timer_t *t)
{
    (void)t;
}

/* Run the loop until *calls reaches want (10 s at most). */
static void
wait_calls(uv_loop_t *loop, const int *calls, int want)
{
    uv_timer_t tick;
    uv_timer_init(loop, &tick);
    uv_timer_start(&tick, on_tick, 10, 10);
    uint64_t end = cr_mono_ms() + 10000;
    while (*calls < want && cr_mono_ms() < end)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    assert_int_equal(*calls, want);
}

struct fixture {
    uv_loop_t loop;
    char dir[64];
    struct cr_log *log;
    struct registrar *reg;
    struct done failure;
};

static void
open_all(struct fixture *f, size_t snapshot_every)
{
    char err[300];
    struct cr_log_cfg cfg = {
        .work_dir = f->dir,
        .self = "127.0.0.1:1",
        .quorum = 1,
        .auto_initialize = true,
        .retry_min = 0.01,
    };
    assert_int_equal(cr_log_open(&f->loop, &cfg, &f->log, err, sizeof(err)), 0);
    const char *self = cfg.self;
    cr_log_set_peers(f->log, &self, 1);
    struct registrar_cfg rc = {
        .loop = &f->loop,
        .log = f->log,
        .snapshot_every = snapshot_every,
        .on_failure = on_done,
        .failure_data = &f->failure,
    };
    f->reg = registrar_new(&rc);
    struct done d = {0};
    assert_int_equal(registrar_recover(f->reg, on_done, &d), 0);
    assert_int_equal(registrar_state(f->reg), REGISTRAR_RECOVERING);
    wait_calls(&f->loop, &d.calls, 1);
    assert_int_equal(d.err, 0);
    assert_int_equal(registrar_state(f->reg), REGISTRAR_READY);
}

static void
close_all(struct fixture *f)
{
    registrar_free(f->reg);
    cr_log_close(f->log);
    uv_run(&f->loop, UV_RUN_DEFAULT);
    f->reg = NULL;
    f->log = NULL;
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    uv_loop_init(&f->loop);
    snprintf(f->dir, sizeof(f->dir), "/tmp/cr-registrar-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        return -1;
    uv_loop_close(&f->loop);
    free(f);
    return 0;
}

static void
admit_n(struct fixture *f, int from, int to, struct done *d)
{
    for (int i = from; i < to; i++) {
        char id[32];
        struct registry_op op;
        snprintf(id, sizeof(id), "agent-%d", i);
        registry_op_admit(&op, id, "host", 5000 + i);
        assert_int_equal(registrar_apply(f->reg, &op, on_done, d), 0);
        assert_null(op.agent_id); /* taken */
    }
}

static void
test_registrar_log(void **state)
{
    struct fixture *f = *state;
    open_all(f, 5);
    struct done d = {0};
    /* Submitted in one turn: one batch for the first, one for the rest. */
    admit_n(f, 0, 40, &d);
    wait_calls(&f->loop, &d.calls, 40);
    assert_int_equal(d.err, 0);
    /* One at a time: many entries, so snapshots and truncation happen. */
    for (int i = 40; i < 60; i++) {
        admit_n(f, i, i + 1, &d);
        wait_calls(&f->loop, &d.calls, i + 1);
    }
    struct registry_op op;
    registry_op_mark(&op, REGISTRY_OP_UNREACHABLE, "agent-3", 7);
    assert_int_equal(registrar_apply(f->reg, &op, on_done, &d), 0);
    wait_calls(&f->loop, &d.calls, 61);
    /* An operation that does not fit is stored, reported, skipped. */
    registry_op_mark(&op, REGISTRY_OP_UNREACHABLE, "ghost", 7);
    assert_int_equal(registrar_apply(f->reg, &op, on_done, &d), 0);
    wait_calls(&f->loop, &d.calls, 62);
    assert_int_equal(d.err, CR_ESTATE);
    const struct registry *r = registrar_registry(f->reg);
    assert_int_equal(r->count[REGISTRY_ADMITTED], 59);
    assert_int_equal(r->count[REGISTRY_UNREACHABLE], 1);
    struct registrar_stats st;
    registrar_get_stats(f->reg, &st);
    assert_true(st.stores > 20);
    assert_true(st.size_bytes > 0);
    char *before = text(r);
    close_all(f);

    /* A restarted master replays the same registry (from a snapshot). */
    open_all(f, 5);
    r = registrar_registry(f->reg);
    char *after = text(r);
    assert_string_equal(before, after);
    free(after);
    registrar_get_stats(f->reg, &st);
    assert_true(st.entries < 20); /* truncated before a snapshot */

    /* Resign: pending work is canceled, the registry emptied; recovering
     * again reads it back and writes still work. */
    struct done pend = {0};
    admit_n(f, 100, 101, &pend);
    registrar_resign(f->reg);
    assert_int_equal(pend.calls, 1);
    assert_int_equal(pend.err, CR_ECANCELED_OP);
    assert_int_equal(registrar_state(f->reg), REGISTRAR_IDLE);
    assert_int_equal(registrar_registry(f->reg)->count[REGISTRY_ADMITTED], 0);
    registry_op_admit(&op, "late", "h", 1);
    assert_int_equal(registrar_apply(f->reg, &op, on_done, &pend), CR_ESTATE);
    struct done rec = {0};
    assert_int_equal(registrar_recover(f->reg, on_done, &rec), 0);
    wait_calls(&f->loop, &rec.calls, 1);
    assert_int_equal(rec.err, 0);
    after = text(registrar_registry(f->reg));
    /* agent-100 may or may not have been stored before the resign. */
    enum registry_status s100 =
        registry_agent_status(registrar_registry(f->reg), "agent-100");
    if (s100 == REGISTRY_UNKNOWN)
        assert_string_equal(before, after);
    free(after);
    d.calls = 0;
    admit_n(f, 200, 201, &d);
    wait_calls(&f->loop, &d.calls, 1);
    assert_int_equal(d.err, 0);
    assert_int_equal(
        registry_agent_status(registrar_registry(f->reg), "agent-200"),
        REGISTRY_ADMITTED);
    assert_int_equal(f->failure.calls, 0);
    free(before);
    close_all(f);
}

static void
test_registrar_in_memory(void **state)
{
    struct fixture *f = *state;
    struct registrar_cfg rc = {.loop = &f->loop};
    struct registrar *reg = registrar_new(&rc);
    assert_false(registrar_is_durable(reg));
    assert_int_equal(registrar_state(reg), REGISTRAR_READY);
    struct done d = {0};
    assert_int_equal(registrar_recover(reg, on_done, &d), CR_ESTATE);
    f->reg = reg;
    admit_n(f, 0, 3, &d);
    assert_int_equal(d.calls, 0); /* never from inside apply */
    wait_calls(&f->loop, &d.calls, 3);
    assert_int_equal(registrar_registry(reg)->count[REGISTRY_ADMITTED], 3);
    /* Resigning keeps an in-memory registry (there is no other copy). */
    admit_n(f, 3, 4, &d);
    registrar_resign(reg);
    assert_int_equal(d.calls, 4);
    assert_int_equal(d.err, CR_ECANCELED_OP);
    assert_int_equal(registrar_registry(reg)->count[REGISTRY_ADMITTED], 3);
    registrar_free(reg);
    uv_run(&f->loop, UV_RUN_DEFAULT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_batch_round_trip),
        cmocka_unit_test(test_snapshot_round_trip),
        cmocka_unit_test(test_damaged_records),
        cmocka_unit_test(test_quota_and_reservations),
        cmocka_unit_test(test_maintenance),
        cmocka_unit_test(test_config_round_trip),
        cmocka_unit_test(test_damaged_config_records),
        cmocka_unit_test_setup_teardown(test_registrar_log, setup, teardown),
        cmocka_unit_test_setup_teardown(test_registrar_in_memory, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
