/* SPDX-License-Identifier: Apache-2.0
 *
 * duration.h: durations in the Mesos (stout) text syntax.
 *
 * A duration is a non-negative decimal number followed by a unit: ns, us,
 * ms, secs, mins, hrs, days, weeks ("5secs", "1.5mins", "10mins"). Values
 * are carried as double seconds.
 */
#ifndef CR_BASE_DURATION_H
#define CR_BASE_DURATION_H

#include <stddef.h>

/* Parse s into *secs (OUT). 0, or CR_EINVAL_INPUT for anything else. */
int cr_duration_parse(const char *s, double *secs);
/* Format secs the way Mesos prints it ("5secs", "10mins", "100ms") into
 * out (size n). Returns out. */
char *cr_duration_format(double secs, char *out, size_t n);

#endif
