/* SPDX-License-Identifier: Apache-2.0
 *
 * util.h: helpers shared by the log unit tests: temp dirs, running a loop
 * until a condition holds (with a deadline, never a bare sleep), a seeded
 * PRNG.
 */
#ifndef CR_TESTS_LOG_UTIL_H
#define CR_TESTS_LOG_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

/* A fresh directory under $TMPDIR (or /tmp); owned string. */
char *tu_tmpdir(void);
/* Remove dir and everything below it. */
void tu_rmrf(const char *dir);
/* Run loop until *flag or secs pass. Returns *flag. */
bool tu_run_until(uv_loop_t *loop, const bool *flag, double secs);
/* Run loop until pred(data) or secs pass. Returns the last pred value. */
bool tu_run_until_pred(uv_loop_t *loop, bool (*pred)(void *), void *data,
                       double secs);
/* Let pending callbacks and closes finish (a few NOWAIT turns). */
void tu_drain(uv_loop_t *loop);
/* Close every handle left on the loop, run it dry and close it. */
void tu_loop_close(uv_loop_t *loop);

/* xorshift64*: deterministic for a seed. */
uint64_t tu_rand(uint64_t *state);
/* Uniform in [0, n). */
uint64_t tu_rand_below(uint64_t *state, uint64_t n);
/* Seed from $CR_TEST_SEED if set, else def; printed once per test. */
uint64_t tu_seed(uint64_t def);

#endif
