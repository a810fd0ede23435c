/* SPDX-License-Identifier: Apache-2.0
 *
 * table.c: see table.h.
 */
#include "table.h"

#include "base/mem.h"

#include <stdlib.h>
#include <string.h>

static char *
clean_cell(const char *s)
{
    if (s == NULL || s[0] == '\0')
        return cr_xstrdup("-");
    char *c = cr_xstrdup(s);
    for (char *p = c; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return c;
}

static void
add_row(struct cli_table *t, const char *const *cells)
{
    t->cells =
        cr_xrealloc(t->cells, (t->nrows + 1) * t->ncols * sizeof(t->cells[0]));
    for (size_t c = 0; c < t->ncols; c++)
        t->cells[t->nrows * t->ncols + c] = clean_cell(cells[c]);
    t->nrows++;
}

void
cli_table_init(struct cli_table *t, size_t ncols, const char *const *headers)
{
    memset(t, 0, sizeof(*t));
    t->ncols = ncols > CLI_TABLE_MAX_COLS ? CLI_TABLE_MAX_COLS : ncols;
    add_row(t, headers);
}

void
cli_table_add(struct cli_table *t, const char *const *cells)
{
    add_row(t, cells);
}

size_t
cli_table_rows(const struct cli_table *t)
{
    return t->nrows ? t->nrows - 1 : 0;
}

int
cli_table_render(const struct cli_table *t, struct cr_buf *out)
{
    size_t width[CLI_TABLE_MAX_COLS] = {0};
    for (size_t r = 0; r < t->nrows; r++)
        for (size_t c = 0; c < t->ncols; c++) {
            size_t w = strlen(t->cells[r * t->ncols + c]);
            if (w > width[c])
                width[c] = w;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            const char *cell = t->cells[r * t->ncols + c];
            int rc;
            if (c + 1 == t->ncols)
                rc = cr_buf_puts(out, cell);
            else
                rc = cr_buf_printf(out, "%-*s  ", (int)width[c], cell);
            if (rc)
                return rc;
        }
        int rc = cr_buf_puts(out, "\n");
        if (rc)
            return rc;
    }
    return 0;
}

void
cli_table_fini(struct cli_table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof(*t));
}
