/* SPDX-License-Identifier: Apache-2.0
 *
 * util.c: see util.h.
 */
#include "util.h"

#include "base/mem.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *
tu_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char *path =
        cr_xasprintf("%s/cr_log_XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(path) == NULL) {
        perror("mkdtemp");
        abort();
    }
    return path;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void
tu_rmrf(const char *dir)
{
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
on_tick(uv_timer_t *t)
{
    (void)t;
}

static bool
flag_pred(void *data)
{
    return *(const bool *)data;
}

bool
tu_run_until(uv_loop_t *loop, const bool *flag, double secs)
{
    return tu_run_until_pred(loop, flag_pred, (void *)(uintptr_t)flag, secs);
}

bool
tu_run_until_pred(uv_loop_t *loop, bool (*pred)(void *), void *data,
                  double secs)
{
    uv_timer_t tick;
    uv_timer_init(loop, &tick);
    uv_timer_start(&tick, on_tick, 5, 5);
    uv_update_time(loop);
    uint64_t end = uv_now(loop) + (uint64_t)(secs * 1000);
    bool ok;
    while (!(ok = pred(data)) && uv_now(loop) < end)
        uv_run(loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(loop, UV_RUN_NOWAIT);
    return ok;
}

void
tu_drain(uv_loop_t *loop)
{
    for (int i = 0; i < 10; i++)
        uv_run(loop, UV_RUN_NOWAIT);
}

static void
close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

void
tu_loop_close(uv_loop_t *loop)
{
    /* Running to completion also waits for thread-pool work (storage
     * commits) still in flight. */
    uv_walk(loop, close_walk, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    if (uv_loop_close(loop) != 0) {
        fprintf(stderr, "loop still busy at close\n");
        abort();
    }
}

uint64_t
tu_rand(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

uint64_t
tu_rand_below(uint64_t *state, uint64_t n)
{
    return n ? tu_rand(state) % n : 0;
}

uint64_t
tu_seed(uint64_t def)
{
    const char *s = getenv("CR_TEST_SEED");
    uint64_t seed = s && *s ? strtoull(s, NULL, 0) : def;
    fprintf(stderr, "  seed %llu (set CR_TEST_SEED to replay)\n",
            (unsigned long long)seed);
    return seed;
}
