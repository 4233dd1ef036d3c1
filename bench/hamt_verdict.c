/* hamt_verdict.c - chapter 5's closing table, written as Markdown.
 *
 * The chapter ends with one table: each question the seed answered (or
 * left open), what the seed said, what build/hamt-bench measured on this
 * machine, and whether the target set for it was met.  main_hamt_bench.c
 * collects the figures as it prints its sections; this file only turns
 * them into rows, so that the wording of a verdict lives in one place and
 * the chapter can include the file (bench/results/ch05-verdict.md) as it
 * is.  Every ratio is a range: repeat by repeat for cells that took turns
 * (cell_paired()), best-over-worst to worst-over-best for the write cells,
 * which did not (cell_unpaired()).  A row's verdict is "met" or "NOT met"
 * only when its whole range is on one side of the target, and "unstable
 * here (ratio lo-hi)" otherwise.
 */
#include "hamt_bench.h"

#include <math.h>
#include <stdio.h>

const char *hamt_met(double x, double target, int le)
{
    return (le ? x <= target : x >= target) ? "met" : "NOT met";
}

/* [ch05-judge] */
const char *hamt_judge(cell_range r, double target, int le, char *buf)
{
    if (isnan(r.lo) || isnan(r.hi))
        return "untested";
    /* The whole range must be on one side of the target. */
    bool all_in = le ? r.hi <= target : r.lo >= target;
    bool all_out = le ? r.lo > target : r.hi < target;
    if (all_in)
        return "met";
    if (all_out)
        return "NOT met";
    snprintf(buf, 64, "unstable here (ratio %.2f\u2013%.2f)", r.lo, r.hi);
    return buf;
}
/* [ch05-judge] */

cell_stat hamt_at_1k(const hamt_figures *f, const cell_stat *w)
{
    cell_stat zero = { 0 };
    return f->nsizes > 0 && f->sizes[0] == 1000 ? w[0] : zero;
}

/* "lo–hi" with two decimals (one above 10). */
static const char *rg(char *buf, cell_range r)
{
    const char *fmt = r.hi >= 10 ? "%.1f\u2013%.1f" : "%.2f\u2013%.2f";
    snprintf(buf, 48, fmt, r.lo, r.hi);
    return buf;
}
#define RG(r) rg((char[48]){0}, (r))

/* Reads against the unsynchronised floor, and the write costs. */
static void rows_reads_writes(const hamt_figures *f, FILE *md)
{
    const cell_stat(*rd)[2] = f->reads;
    char jb[64];
    for (int t = 0; t < 2; t++) {
        cell_range h = cell_paired(&rd[3][t], &rd[0][0]);
        fprintf(md, "| read cost / unsynchronised lookup (1 thread), "
                "%d thread%s | not measured | rwlock %s, cow %s, hamt %s "
                "| hamt <= 2.0x: %s |\n", t + 1, t ? "s" : "",
                RG(cell_paired(&rd[1][t], &rd[0][0])),
                RG(cell_paired(&rd[2][t], &rd[0][0])), RG(h),
                hamt_judge(h, 2.0, 1, jb));
    }
    cell_stat rw = hamt_at_1k(f, f->wr), h = hamt_at_1k(f, f->wh);
    cell_stat c = hamt_at_1k(f, f->wc), hb = hamt_at_1k(f, f->whb);
    cell_range hr = cell_unpaired(&h, &rw);
    fprintf(md, "| write cost at 1,000 keys / rwlock in place | COW "
            "writes copy the map | cow %s, hamt %s, hamt in batches of %d "
            "%s | hamt <= 10x: %s |\n", RG(cell_unpaired(&c, &rw)), RG(hr),
            CELL_BATCH, RG(cell_unpaired(&hb, &rw)),
            hamt_judge(hr, 10, 1, jb));
    if (f->nsizes > 1) {
        int last = f->nsizes - 1;
        cell_range g = cell_unpaired(&f->wh[last], &f->wh[0]);
        fprintf(md, "| write cost, %ld keys / %ld keys | not measured "
                "| cow%s %.0fx, hamt %s, rwlock %s | hamt <= 10x while "
                "the keys grow %.0fx: %s |\n", f->sizes[last], f->sizes[0],
                f->sizes[last] > 10000 ? " (table copy)" : "",
                f->wc[last].med / f->wc[0].med, RG(g),
                RG(cell_unpaired(&f->wr[last], &f->wr[0])),
                (double)f->sizes[last] / (double)f->sizes[0],
                hamt_judge(g, 10, 1, jb));
        fprintf(md, "| hamt write / rwlock write, by size | not "
                "measured | ");
        double lo = INFINITY, hi = 0;
        for (int z = 0; z < f->nsizes; z++) {
            cell_range r = cell_unpaired(&f->wh[z], &f->wr[z]);
            lo = r.lo < lo ? r.lo : lo;
            hi = r.hi > hi ? r.hi : hi;
            fprintf(md, "%s%ldK: %s", z ? ", " : "", f->sizes[z] / 1000,
                    RG(r));
        }
        fprintf(md, " | <= 10x at every size: %s |\n",
                hamt_judge((cell_range){ lo, hi }, 10, 1, jb));
    }
}

/* Counters, striping and the seed's 95/5 mix. */
static void rows_counters_mix(const hamt_figures *f, FILE *md)
{
    char jb[64];
    cell_range flat = cell_paired(&f->inc[3][1], &f->inc[3][0]);
    fprintf(md, "| one increment at 2 threads | not measured | shared "
            "%.1f ns, per-thread 64 B %.1f ns, 128 B %.1f ns (medians); "
            "128 B at 2 threads / at 1: %s | per-thread flat (<= 1.5x): "
            "%s |\n", f->inc[1][1].med, f->inc[2][1].med, f->inc[3][1].med,
            RG(flat), hamt_judge(flat, 1.5, 1, jb));
    cell_range sw = cell_paired(&f->writers[1], &f->writers[0]);
    cell_range sr = cell_paired(&f->reads[4][1], &f->reads[1][1]);
    char jb2[64];
    fprintf(md, "| lock striping (16 shards) | not measured | two "
            "writers: striped / rwlock throughput %s; readers at 2 "
            "threads: striped / rwlock cost %s | helps writers (> 1): "
            "%s; not readers (cost >= 1): %s |\n", RG(sw), RG(sr),
            hamt_judge(sw, 1, 0, jb), hamt_judge(sr, 1, 0, jb2));
    for (int t = 0; t < f->ntc; t++) {
        const cell_stat *m = f->mix[t];
        const cell_csw *c = f->mixcsw[t];
        int tc = f->tcounts[t];
        int cv = m[1].med > m[2].med ? 1 : 2;
        cell_range r = cell_paired(&m[cv], &m[0]);
        fprintf(md, "| 95%%/5%% mix, %d thread%s: best COW / rwlock | "
                "rwlock wins, COW 3.5x slower | %s / rwlock throughput %s "
                "(medians: rwlock %.2f, cow %.2f, hamt %.2f Mops/s; rwlock "
                "%.3g voluntary + %.3g involuntary context switches per "
                "1,000 ops) | %s%s |\n",
                tc, tc > 1 ? "s" : "", cv == 1 ? "cow" : "hamt", RG(r),
                m[0].med, m[1].med, m[2].med, c[0].vol, c[0].invol,
                tc == 1 ? "" : ">= 1.5x: ",
                tc == 1 ? "(no contention: for reference)"
                        : hamt_judge(r, 1.5, 0, jb));
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
