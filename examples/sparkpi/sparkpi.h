/* SPDX-License-Identifier: Apache-2.0
 *
 * sparkpi.h: the pure parts of corral-sparkpi (no I/O, no loop): the
 * Monte-Carlo slice, the line a slice prints and its parser, task ids,
 * and how the driver finds its master (a --master argument, the
 * -Dspark.master property of SPARK_SUBMIT_OPTS, $MESOS_MASTER, or the
 * master of the agent it runs on).
 *
 * Invariants: deterministic given the arguments (a slice's count depends
 * only on its index and sample count), so unit tests drive them directly.
 * Strings returned as char * are owned by the caller (free()).
 * Threading: none.
 */
#ifndef CR_EXAMPLES_SPARKPI_H
#define CR_EXAMPLES_SPARKPI_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define SPARKPI_DEFAULT_SLICES  2
#define SPARKPI_MAX_SLICES      10000
#define SPARKPI_DEFAULT_SAMPLES 100000ULL
#define SPARKPI_MAX_SAMPLES     1000000000ULL
#define SPARKPI_TASK_ID_MAX     48

/* Points of slice's sample (samples points uniform in [-1,1)^2, drawn
 * from a splitmix64 stream seeded by the slice index) that fall inside
 * the unit circle. */
uint64_t sparkpi_slice_inside(unsigned slice, uint64_t samples);

/* The line a slice prints on stdout ("sparkpi-slice 3: inside=785 of
 * 1000\n") into out[n]. 0, or CR_ETOOBIG. */
int sparkpi_slice_line(char *out, size_t n, unsigned slice, uint64_t inside,
                       uint64_t samples);
/* Find slice's line in text[0..len) (a slice's stdout; not
 * NUL-terminated). 0 with *inside and *samples, CR_ENOTFOUND when there
 * is no such line, CR_EPROTO_DATA when it is malformed (inside >
 * samples, bad numbers). */
int sparkpi_parse_slice_output(const char *text, size_t len, unsigned slice,
                               uint64_t *inside, uint64_t *samples);

/* Task ids of slice attempts: "slice-<slice>-<attempt>". */
void sparkpi_task_id(char *out, size_t n, unsigned slice, unsigned attempt);
/* 0 with *slice and *attempt, or CR_EINVAL_INPUT for other ids. */
int sparkpi_parse_task_id(const char *id, unsigned *slice, unsigned *attempt);

/* The value of -D<name>=<value> in a JVM options string such as
 * SPARK_SUBMIT_OPTS (whitespace-separated; a value may be wrapped in
 * single or double quotes); the last one wins. Owned, or NULL. */
char *sparkpi_java_prop(const char *opts, const char *name);

/* A Spark master URL as libcorral_scheduler takes it: "mesos://h:p[,..]"
 * gives "h:p[,..]", "mesos://zk://..." gives "zk://...", a bare "h:p" or
 * "zk://..." or "file:///..." is kept. NULL for anything else (spark://,
 * local[*], yarn, empty). Owned. */
char *sparkpi_master_normalize(const char *url);

enum sparkpi_master_source {
    SPARKPI_MASTER_NONE,
    SPARKPI_MASTER_ARG,   /* --master */
    SPARKPI_MASTER_PROP,  /* -Dspark.master in SPARK_SUBMIT_OPTS */
    SPARKPI_MASTER_ENV,   /* $MESOS_MASTER */
    SPARKPI_MASTER_AGENT, /* the master of the agent we run on */
};

/* A static name for a source ("--master", "SPARK_SUBMIT_OPTS"...). */
const char *sparkpi_master_source_name(enum sparkpi_master_source src);

/* The first of arg, -Dspark.master in submit_opts, env_master that is
 * set and not empty (each may be NULL), as given (not normalized), into
 * *out (owned). Returns its source, or SPARKPI_MASTER_NONE (*out NULL):
 * then ask the agent (sparkpi_master_from_agent_state). */
enum sparkpi_master_source sparkpi_master_pick(const char *arg,
                                               const char *submit_opts,
                                               const char *env_master,
                                               char **out);

/* The master an agent reports to, from its /state document: its
 * "flags"."master" ("h:p", "zk://..."). Owned, or NULL. */
char *sparkpi_master_from_agent_state(const json_t *state);

/* Quote s for sh -c with single quotes ('it'\''s'). Owned. */
char *sparkpi_shell_quote(const char *s);

#endif
