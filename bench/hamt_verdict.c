/* hamt_verdict.c - chapter 5's closing table, written as Markdown.
 *
 * The chapter ends with one table: each question the seed answered (or
 * left open), what the seed said, what build/hamt-bench measured on this
 * machine, and whether the target set for it was met.  main_hamt_bench.c
 * collects the figures as it prints its sections; this file only turns
 * them into rows, so that the wording of a verdict lives in one place and
 * the chapter can include the file (bench/results/ch05-verdict.md) as it
 * is.  The ratios are medians over medians unless a row says otherwise.
 */
#include "hamt_bench.h"

#include <stdio.h>

const char *hamt_met(double x, double target, int le)
{
    return (le ? x <= target : x >= target) ? "met" : "NOT met";
}

double hamt_at_1k(const hamt_figures *f, const double *w)
{
    return f->nsizes > 0 && f->sizes[0] == 1000 ? w[0] : 0;
}

/* Reads against the unsynchronised floor, and the write costs. */
static void rows_reads_writes(const hamt_figures *f, FILE *md)
{
    const cell_stat(*rd)[2] = f->reads;
    double floor1 = rd[0][0].med;
    for (int t = 0; t < 2; t++)
        fprintf(md, "| read cost / unsynchronised lookup (1 thread), "
                "%d thread%s | not measured | rwlock %.2fx, cow %.2fx, "
                "hamt %.2fx | hamt <= 2.0x: %s |\n", t + 1,
                t ? "s" : "", rd[1][t].med / floor1,
                rd[2][t].med / floor1, rd[3][t].med / floor1,
                hamt_met(rd[3][t].med / floor1, 2.0, 1));
    double rw = hamt_at_1k(f, f->wr), h = hamt_at_1k(f, f->wh);
    fprintf(md, "| write cost at 1,000 keys / rwlock in place | COW "
            "writes copy the map | cow %.1fx, hamt %.1fx, hamt in "
            "batches of %d %.1fx | hamt <= 10x: %s |\n",
            hamt_at_1k(f, f->wc) / rw, h / rw, CELL_BATCH,
            hamt_at_1k(f, f->whb) / rw, hamt_met(h / rw, 10, 1));
    if (f->nsizes > 1) {
        int last = f->nsizes - 1;
        fprintf(md, "| write cost, %ld keys / %ld keys | not measured "
                "| cow%s %.0fx, hamt %.1fx, rwlock %.1fx | hamt nearly "
                "flat |\n", f->sizes[last], f->sizes[0],
                f->sizes[last] > 10000 ? " (table copy)" : "",
                f->wc[last] / f->wc[0], f->wh[last] / f->wh[0],
                f->wr[last] / f->wr[0]);
        fprintf(md, "| hamt write / rwlock write, by size | not "
                "measured | ");
        for (int z = 0; z < f->nsizes; z++)
            fprintf(md, "%s%ldK: %.1fx", z ? ", " : "", f->sizes[z] / 1000,
                    f->wh[z] / f->wr[z]);
        fprintf(md, " | stays a small factor |\n");
    }
}

/* Counters, striping and the seed's 95/5 mix. */
static void rows_counters_mix(const hamt_figures *f, FILE *md)
{
    double floor1 = f->reads[0][0].med;
    fprintf(md, "| one increment at 2 threads | not measured | shared "
            "%.1f ns, per-thread 64 B %.1f ns, 128 B %.1f ns | "
            "per-thread flat |\n", f->inc[1][1].med, f->inc[2][1].med,
            f->inc[3][1].med);
    fprintf(md, "| lock striping (16 shards) | not measured | two "
            "writers %.2fx rwlock's throughput; its readers %.2fx naive "
            "at 2 threads (rwlock %.2fx) | should help writers, not "
            "readers |\n",
            f->writers[1].med / f->writers[0].med,
            f->reads[4][1].med / floor1, f->reads[1][1].med / floor1);
    for (int t = 0; t < f->ntc; t++) {
        const cell_stat *m = f->mix[t];
        int tc = f->tcounts[t];
        double cmed = m[1].med > m[2].med ? m[1].med : m[2].med;
        fprintf(md, "| 95%%/5%% mix, %d thread%s: best COW / rwlock | "
                "rwlock wins, COW 3.5x slower | %.2fx against rwlock's "
                "best run, %.2fx median to median (rwlock %.2f [best "
                "%.2f], cow %.2f, hamt %.2f Mops/s) | %s%s |\n",
                tc, tc > 1 ? "s" : "", cmed / m[0].best, cmed / m[0].med,
                m[0].med, m[0].best, m[1].med, m[2].med,
                tc == 1 ? "" : ">= 1.5x: medians ",
                tc == 1 ? "(no contention: for reference)"
                : cmed / m[0].med < 1.5 ? "NOT met"
                : cmed / m[0].best >= 1.5
                    ? "met, also against the best run"
                    : "met; against the best run NOT met");
    }
}

int hamt_verdict_write(const hamt_figures *f, const char *path)
{
    FILE *md = fopen(path, "w");
    if (md == NULL)
        return -1;
    fprintf(md, "| question | the seed | measured here (%s) | target or "
                "expectation |\n", f->model);
    fprintf(md, "|---|---|---|---|\n");
    rows_reads_writes(f, md);
    rows_counters_mix(f, md);
    return fclose(md) == 0 ? 0 : -1;
}
