/* table.c - a table of text cells, printed as Markdown and as CSV.
 *
 * Every result the benchmark reports goes through one of these, so the
 * Markdown a reader sees and the CSV a script reads always hold the same
 * cells.  Cells are text because a cell may be "n/a", a variant name or a
 * verdict; numbers are formatted once, by bench_num(), to three
 * significant digits (more would be noise on a shared machine).
 */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void bench_table_init(bench_table *t, const char *id, const char *title,
                      int ncols, const char *const *head)
{
    memset(t, 0, sizeof *t);
    snprintf(t->id, sizeof t->id, "%s", id);
    snprintf(t->title, sizeof t->title, "%s", title);
    t->ncols = ncols;
    t->head = calloc((size_t)ncols, sizeof *t->head);
    for (int c = 0; t->head != NULL && c < ncols; c++)
        t->head[c] = strdup(head[c]);
}

int bench_table_add(bench_table *t, const char *const *cells)
{
    if (t->nrows == t->cap) {
        int cap = t->cap ? 2 * t->cap : 8;
        char ***rows = realloc(t->rows, (size_t)cap * sizeof *rows);
        if (rows == NULL)
            return -1;
        t->rows = rows;
        t->cap = cap;
    }
    char **row = calloc((size_t)t->ncols, sizeof *row);
    if (row == NULL)
        return -1;
    for (int c = 0; c < t->ncols; c++)
        row[c] = strdup(cells[c] != NULL ? cells[c] : "");
    t->rows[t->nrows++] = row;
    return 0;
}

void bench_table_free(bench_table *t)
{
    for (int r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++)
            free(t->rows[r][c]);
        free(t->rows[r]);
    }
    free(t->rows);
    for (int c = 0; t->head != NULL && c < t->ncols; c++)
        free(t->head[c]);
    free(t->head);
    memset(t, 0, sizeof *t);
}

void bench_table_md(const bench_table *t, FILE *f)
{
    fprintf(f, "\n### %s\n\n", t->title);
    if (t->note[0] != '\0')
        fprintf(f, "%s\n\n", t->note);
    fputs("|", f);
    for (int c = 0; c < t->ncols; c++)
        fprintf(f, " %s |", t->head[c]);
    fputs("\n|", f);
    /* Numbers right-aligned, text left: judged by the first row. */
    for (int c = 0; c < t->ncols; c++) {
        char *end = NULL;
        const char *v = t->nrows > 0 ? t->rows[0][c] : "";
        strtod(v, &end);
        bool number = c > 0 && (strcmp(v, "n/a") == 0 ||
                                (end != v && *end == '\0'));
        fputs(number ? "---:|" : "---|", f);
    }
    fputs("\n", f);
    for (int r = 0; r < t->nrows; r++) {
        fputs("|", f);
        for (int c = 0; c < t->ncols; c++)
            fprintf(f, " %s |", t->rows[r][c]);
        fputs("\n", f);
    }
}

/* A CSV field: quoted when it holds a comma or a quote. */
static void csv_field(FILE *f, const char *s)
{
    if (strpbrk(s, ",\"\n") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void bench_table_csv(const bench_table *t, FILE *f, bool header)
{
    if (header) {
        fputs("table", f);
        for (int c = 0; c < t->ncols; c++) {
            fputc(',', f);
            csv_field(f, t->head[c]);
        }
        fputc('\n', f);
    }
    for (int r = 0; r < t->nrows; r++) {
        csv_field(f, t->id);
        for (int c = 0; c < t->ncols; c++) {
            fputc(',', f);
            csv_field(f, t->rows[r][c]);
        }
        fputc('\n', f);
    }
}

char *bench_num(char *buf, double x)
{
    double a = fabs(x);
    if (isnan(x) || isinf(x))
        snprintf(buf, 32, "n/a");
    else if (a >= 1000 || a == 0)
        snprintf(buf, 32, "%.0f", x);
    else if (a >= 100)
        snprintf(buf, 32, "%.0f", x);
    else if (a >= 10)
        snprintf(buf, 32, "%.1f", x);
    else if (a >= 1)
        snprintf(buf, 32, "%.2f", x);
    else
        snprintf(buf, 32, "%.3g", x);
    return buf;
}
