/* SPDX-License-Identifier: Apache-2.0
 *
 * bench_state_doc: the state documents' writing cost alone, in process.
 *
 * Builds a master's tables in memory (--agents agents, --tasks running
 * tasks each over --frameworks frameworks, shaped as bench_state's agents
 * report them) and times writing /master/state and GET_STATE with
 * state_doc_step(): in STATE_SLICE_US slices, as state_serve() does, and
 * in one block (the stall one unsliced write would cause), plus the old
 * jansson-tree path (state_json() + dump) for comparison. No network, no
 * other load: the floor under bench/state/run.sh's figures. Best of
 * --rounds; "longest slice" is the worst of all rounds.
 *
 * Prints one markdown table; never fails on a figure.
 */
#include "base/clock.h"
#include "base/json.h"
#include "base/log.h"
#include "base/mem.h"
#include "master/allocator.h"
#include "master/master.h"
#include "master/operator_api.h"
#include "master/state_doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct master m;
static uv_loop_t loop;

static void
no_offers(void *data, const char *framework_id, const char *agent_id,
          const char *role, const struct cr_resources *offered)
{
    (void)data;
    (void)framework_id;
    (void)agent_id;
    (void)role;
    (void)offered;
}

static void
build(int n_agents, int per_agent, int n_fws)
{
    uv_loop_init(&loop);
    m.loop = &loop;
    uv_idle_init(&loop, &m.allocate_soon);
    snprintf(m.id, sizeof(m.id), "%s", "5f3c1a9e-0000-4000-8000-00000000cafe");
    m.hostname = cr_xstrdup("master.example");
    m.advertise_ip = cr_xstrdup("127.0.0.1");
    m.advertise_port = 5050;
    m.start_time = m.elected_time = cr_wall_secs();
    m.leading = true;
    m.flags.max_completed_tasks_per_framework = 1000;
    m.flags.max_completed_frameworks = 50;
    m.completed_frameworks = json_array();
    m.removed_frameworks = json_object();
    m.removed_order = json_array();
    struct allocator_config cfg = {.allocation_interval = 1, .seed = 1};
    m.allocator = allocator_new(&cfg, no_offers, &m);
    struct mframework **fws = cr_xcalloc((size_t)n_fws, sizeof(*fws));
    for (int j = 0; j < n_fws; j++) {
        struct mframework *f = cr_xcalloc(1, sizeof(*f));
        f->master = &m;
        f->id = cr_xasprintf("bench-load-%04d", j);
        f->info = json_pack("{s:{s:s}, s:s, s:s, s:f, s:b}", "id", "value",
                            f->id, "name", "load", "user", "root",
                            "failover_timeout", 604800.0, "checkpoint", 1);
        f->roles = cr_xcalloc(1, sizeof(char *));
        f->roles[0] = cr_xstrdup("*");
        f->n_roles = 1;
        f->state = FRAMEWORK_CONNECTED;
        f->registered_time = cr_wall_secs();
        f->completed_tasks = json_array();
        HASH_ADD_KEYPTR(hh, m.frameworks, f->id, strlen(f->id), f);
        fws[j] = f;
    }
    char err[256];
    for (int i = 0; i < n_agents; i++) {
        struct magent *a = cr_xcalloc(1, sizeof(*a));
        a->master = &m;
        a->id = cr_xasprintf("%s-S%d", m.id, i);
        a->hostname = cr_xasprintf("sim-%06d", i);
        a->port = 10000 + i % 50000;
        a->pid = cr_xasprintf("slave(1)@%s:%d", a->hostname, a->port);
        cr_resources_init(&a->total);
        cr_resources_parse_text(&a->total, "cpus:2;mem:1344;disk:10240", NULL,
                                err, sizeof(err));
        a->info =
            json_pack("{s:s, s:i, s:o, s:[{s:s, s:s, s:{s:s}}]}", "hostname",
                      a->hostname, "port", a->port, "resources",
                      cr_resources_to_json(&a->total, NULL), "attributes",
                      "name", "rack", "type", "TEXT", "text", "value", "r1");
        cr_json_set_id(a->info, "id", a->id);
        a->state = i % 20 == 19 ? AGENT_DISCONNECTED : AGENT_CONNECTED;
        a->registered_time = cr_wall_secs();
        HASH_ADD_KEYPTR(hh, m.agents, a->id, strlen(a->id), a);
        for (int k = 0; k < per_agent; k++) {
            struct mframework *f = fws[(i * per_agent + k) % n_fws];
            char tid[64];
            snprintf(tid, sizeof(tid), "task-%06d-%02d", i, k);
            json_t *info = json_pack(
                "{s:s, s:{s:s}, s:{s:s}, s:s, s:[{s:s, s:s, s:{s:f}, s:{s:s}},"
                " {s:s, s:s, s:{s:f}, s:{s:s}}]}",
                "name", tid, "task_id", "value", tid, "framework_id", "value",
                f->id, "state", "TASK_RUNNING", "resources", "name", "cpus",
                "type", "SCALAR", "scalar", "value", 0.1, "allocation_info",
                "role", "*", "name", "mem", "type", "SCALAR", "scalar", "value",
                32.0, "allocation_info", "role", "*");
            struct cr_resources r;
            cr_resources_init(&r);
            cr_resources_parse_text(&r, "cpus:0.1;mem:32", NULL, err,
                                    sizeof(err));
            task_add(&m, f, a, info, "*", &r, TASK_RUNNING);
            json_decref(info);
            cr_resources_fini(&r);
        }
    }
    free(fws);
}

static double
time_doc(enum state_doc_kind kind, bool sliced, size_t *size, unsigned *slices,
         double *longest)
{
    struct state_doc *d = state_doc_new(kind, NULL, NULL);
    uint64_t t0 = cr_mono_ns();
    int rc;
    *slices = 0;
    *longest = 0;
    do {
        uint64_t s0 = cr_mono_ns();
        rc = state_doc_step(d, &m, sliced ? s0 + STATE_SLICE_US * 1000ull : 0);
        double ms = (double)(cr_mono_ns() - s0) / 1e6;
        if (ms > *longest)
            *longest = ms;
        (*slices)++;
    } while (rc == 0);
    double ms = (double)(cr_mono_ns() - t0) / 1e6;
    *size = state_doc_output(d)->len;
    state_doc_give_back(d); /* as state_serve() does */
    state_doc_free(d);
    return rc == 1 ? ms : -1;
}

static double
time_tree(bool v1, size_t *size)
{
    uint64_t t0 = cr_mono_ns();
    json_t *tree = v1 ? json_pack("{s:s, s:o}", "type", "GET_STATE",
                                  "get_state", operator_state_json(&m))
                      : state_json(&m);
    struct cr_buf b;
    cr_buf_init(&b, 1u << 30);
    cr_json_dump_buf(tree, &b);
    json_decref(tree);
    double ms = (double)(cr_mono_ns() - t0) / 1e6;
    *size = b.len;
    cr_buf_fini(&b);
    return ms;
}

int
main(int argc, char **argv)
{
    int agents = 20000, per_agent = 10, fws = 10, rounds = 3;
    bool tree = true;
    for (int i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--agents=", 9) == 0)
            agents = atoi(argv[i] + 9);
        else if (strncmp(argv[i], "--tasks=", 8) == 0)
            per_agent = atoi(argv[i] + 8);
        else if (strncmp(argv[i], "--frameworks=", 13) == 0)
            fws = atoi(argv[i] + 13);
        else if (strncmp(argv[i], "--rounds=", 9) == 0)
            rounds = atoi(argv[i] + 9);
        else if (strcmp(argv[i], "--no_tree") == 0)
            tree = false;
        else {
            fprintf(stderr, "usage: bench_state_doc [--agents=N] [--tasks=T] "
                            "[--frameworks=F] [--rounds=R] [--no_tree]\n");
            return 1;
        }
    }
    if (agents < 1 || per_agent < 0 || fws < 1 || rounds < 1)
        return 1;
    cr_log_set_level(CR_LOG_ERROR);
    build(agents, per_agent, fws);
    printf("| document | agents | tasks | size MB | best ms | slices | "
           "longest slice ms | MB/s |\n|---|---|---|---|---|---|---|---|\n");
    static const struct {
        const char *name;
        enum state_doc_kind kind;
        bool sliced;
    } docs[] = {
        {"/master/state (streamed, slices)", STATE_DOC_STATE, true},
        {"/master/state (streamed, one block)", STATE_DOC_STATE, false},
        {"GET_STATE (streamed, slices)", STATE_DOC_GET_STATE, true},
        {"GET_STATE (streamed, one block)", STATE_DOC_GET_STATE, false},
    };
    for (size_t k = 0; k < sizeof(docs) / sizeof(docs[0]); k++) {
        double best = 1e18, longest = 0;
        size_t size = 0;
        unsigned slices = 0;
        for (int r = 0; r < rounds; r++) {
            double lg;
            double ms =
                time_doc(docs[k].kind, docs[k].sliced, &size, &slices, &lg);
            if (ms >= 0 && ms < best)
                best = ms;
            if (lg > longest)
                longest = lg;
        }
        printf("| %s | %d | %d | %.1f | %.1f | %u | %.1f | %.0f |\n",
               docs[k].name, agents, agents * per_agent, (double)size / 1e6,
               best, slices, longest, (double)size / 1e6 / (best / 1e3));
        fflush(stdout);
    }
    for (int v1 = 0; tree && v1 < 2; v1++) {
        size_t size = 0;
        double ms = time_tree(v1, &size);
        printf("| %s (jansson tree, one block) | %d | %d | %.1f | %.1f | 1 | "
               "%.1f | %.0f |\n",
               v1 ? "GET_STATE" : "/master/state", agents, agents * per_agent,
               (double)size / 1e6, ms, ms, (double)size / 1e6 / (ms / 1e3));
        fflush(stdout);
    }
    return 0;
}
