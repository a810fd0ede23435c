/* SPDX-License-Identifier: Apache-2.0
 *
 * clock.h: wall-clock and monotonic time.
 */
#ifndef CR_BASE_CLOCK_H
#define CR_BASE_CLOCK_H

#include <stdint.h>

/* Seconds since the epoch, with microseconds (TaskStatus.timestamp). */
double cr_wall_secs(void);
/* Monotonic milliseconds since an arbitrary origin. */
uint64_t cr_mono_ms(void);
/* Monotonic nanoseconds since an arbitrary origin (benchmarks). */
uint64_t cr_mono_ns(void);

#endif
