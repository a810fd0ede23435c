/* SPDX-License-Identifier: Apache-2.0
 *
 * clock.c: see clock.h.
 */
#include "clock.h"

#include <time.h>

double
cr_wall_secs(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

uint64_t
cr_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
cr_mono_ms(void)
{
    return cr_mono_ns() / 1000000u;
}
