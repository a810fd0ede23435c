/* SPDX-License-Identifier: Apache-2.0
 *
 * table.h: plain-text tables for `corral ps/agents/frameworks`.
 *
 * Columns are left-aligned, separated by two spaces, padded to the widest
 * cell; the last column is not padded and lines carry no trailing blanks.
 * Empty cells print as "-" and control characters as '?', so every row is
 * one line with the same number of fields (awk-friendly). Pure.
 */
#ifndef CR_CLI_TABLE_H
#define CR_CLI_TABLE_H

#include "base/buf.h"

#include <stddef.h>

#define CLI_TABLE_MAX_COLS 12

struct cli_table {
    size_t ncols;
    size_t nrows; /* including the header row */
    char **cells; /* nrows * ncols, owned */
};

/* Start a table with ncols (<= CLI_TABLE_MAX_COLS) headers. */
void cli_table_init(struct cli_table *t, size_t ncols,
                    const char *const *headers);
/* Append a row of ncols cells (copied; NULL prints as "-"). */
void cli_table_add(struct cli_table *t, const char *const *cells);
/* Number of data rows (without the header). */
size_t cli_table_rows(const struct cli_table *t);
/* Append the rendered table to out. 0 or CR_ETOOBIG. */
int cli_table_render(const struct cli_table *t, struct cr_buf *out);
void cli_table_fini(struct cli_table *t);

#endif
