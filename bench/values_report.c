/* values_report.c - build/values-bench's results: Markdown tables, the targets, CSV, SVG plots.
 * Chapter 8.
 *
 * The Markdown file is what the chapter includes, so it stands alone: the
 * machine and the run's settings first, then one table for writes and one
 * for reads (ns per operation, the median of the repeats and their
 * min–max, three ways side by side, and the ratios of the persistent way
 * to the other two taken repeat by repeat), then memory per element, ours
 * and a real redis-server's, and last every target with its figure and
 * "met" or "NOT met".  A verdict is decided on the medians; the range of
 * the ratio over the repeats is printed beside it, with a warning when it
 * straddles the target, so a reader can see which verdicts the noise of a
 * shared machine could flip.  The CSV has every figure, one per line.
 * The plots are drawn as chapter 4's are (report.c): a gnuplot script
 * with its data inline, piped into gnuplot.
 */
#include "values_bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A number of nanoseconds, grouped by thousands above 10,000. */
static const char *ns(char *buf, double x)
{
    if (isnan(x))
        return strcpy(buf, "n/a");
    if (x < 10)
        snprintf(buf, 32, "%.2f", x);
    else if (x < 10000)
        snprintf(buf, 32, "%.0f", x);
    else {
        long v = lround(x);
        char t[32];
        int len = snprintf(t, sizeof t, "%ld", v), o = 0;
        for (int i = 0; i < len; i++) {
            if (i > 0 && (len - i) % 3 == 0)
                buf[o++] = ',';
            buf[o++] = t[i];
        }
        buf[o] = '\0';
    }
    return buf;
}

/* "1k", "10k", "1M". */
static const char *size_name(char *buf, long n)
{
    if (n >= 1000000 && n % 1000000 == 0)
        snprintf(buf, 24, "%ldM", n / 1000000);
    else if (n >= 1000 && n % 1000 == 0)
        snprintf(buf, 24, "%ldk", n / 1000);
    else
        snprintf(buf, 24, "%ld", n);
    return buf;
}

static const vb_cell *find(const vb_cell *c, int nc, const char *op, long n)
{
    for (int i = 0; i < nc; i++)
        if (c[i].n == n && strcmp(c[i].op, op) == 0)
            return &c[i];
    return NULL;
}

/* The sizes measured, ascending (at most 8). */
static int sizes(const vb_cell *c, int nc, long *out)
{
    int k = 0;
    for (int i = 0; i < nc; i++) {
        int seen = 0;
        for (int j = 0; j < k; j++)
            seen |= out[j] == c[i].n;
        if (!seen && k < 8)
            out[k++] = c[i].n;
    }
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && out[j - 1] > out[j]; j--) {
            long t = out[j];
            out[j] = out[j - 1];
            out[j - 1] = t;
        }
    return k;
}

/* The operations measured, in order of first appearance (at most 32). */
static int ops(const vb_cell *c, int nc, bool read, const char **out)
{
    int k = 0;
    for (int i = 0; i < nc; i++) {
        if (c[i].read != read)
            continue;
        int seen = 0;
        for (int j = 0; j < k; j++)
            seen |= strcmp(out[j], c[i].op) == 0;
        if (!seen && k < 32)
            out[k++] = c[i].op;
    }
    return k;
}

static void table(FILE *f, const vb_cell *c, int nc, bool read)
{
    bool fewer_runs = false, *fewer = &fewer_runs;
    const char *names[32];
    int no = ops(c, nc, read, names);
    long sz[8];
    int ns_ = sizes(c, nc, sz);
    fprintf(f, "| operation | n | persistent | flat rebuild | in-place | "
               "persistent / in-place | persistent / flat |\n");
    fprintf(f, "|---|---:|---:|---:|---:|---:|---:|\n");
    for (int o = 0; o < no; o++)
        for (int s = 0; s < ns_; s++) {
            const vb_cell *x = find(c, nc, names[o], sz[s]);
            if (x == NULL)
                continue;
            char b[VB_WAYS][3][32], sn[24];
            fprintf(f, "| %s (%s) | %s |", x->op, x->type,
                    size_name(sn, x->n));
            int most = 0;
            for (int w = 0; w < VB_WAYS; w++)
                most = x->st[w].n > most ? x->st[w].n : most;
            for (int w = 0; w < VB_WAYS; w++) {
                const cell_stat *st = &x->st[w];
                char runs[24] = "";
                if (st->n < most) {
                    snprintf(runs, sizeof runs, " (%d runs)", st->n);
                    *fewer = true;
                }
                fprintf(f, " %s [%s–%s]%s |", ns(b[w][0], st->med),
                        ns(b[w][1], st->best), ns(b[w][2], st->worst), runs);
            }
            cell_range ri = cell_paired(&x->st[VB_PERSISTENT],
                                        &x->st[VB_INPLACE]);
            cell_range rf = cell_paired(&x->st[VB_PERSISTENT],
                                        &x->st[VB_FLAT]);
            fprintf(f, " %.2fx [%.2f–%.2f] | %.3gx [%.3g–%.3g] |\n",
                    x->st[VB_PERSISTENT].med / x->st[VB_INPLACE].med, ri.lo,
                    ri.hi, x->st[VB_PERSISTENT].med / x->st[VB_FLAT].med,
                    rf.lo, rf.hi);
        }
    if (fewer_runs)
        fprintf(f, "\n(k runs): the way reached the cap, so its median is "
                   "of k repeats; the ratios pair the first k.\n");
    fprintf(f, "\n");
}

/* One target line: the figure, the range, the verdict on the median. */
static int target(FILE *f, const char *what, double x, cell_range r,
                  double limit, int *met, int *all)
{
    bool ok = x <= limit;
    bool straddles = !isnan(r.lo) && r.lo <= limit && r.hi > limit;
    fprintf(f, "| %s | %.2fx (range %.2f–%.2f) | <= %.1fx | %s%s |\n", what,
            x, r.lo, r.hi, limit, ok ? "met" : "NOT met",
            straddles ? " (the range straddles the target)" : "");
    *met += ok;
    (*all)++;
    return ok;
}

static void targets(FILE *f, const vb_cell *c, int nc, const vb_mem *mem,
                    int nm)
{
    long sz[8];
    int k = sizes(c, nc, sz);
    if (k == 0)
        return;
    long lo = sz[0], hi = sz[k - 1];
    char a[24], b[24];
    const char *w[32], *r[32];
    int nw = ops(c, nc, false, w), nr = ops(c, nc, true, r);
    int met = 0, all = 0;
    fprintf(f, "## Targets\n\n");
    fprintf(f, "A verdict is taken on the medians; the range is the ratio's "
               "spread over the repeats (at sizes, best over worst to worst "
               "over best; between ways, repeat by repeat).\n\n");
    fprintf(f, "| target | figure | limit | verdict |\n|---|---:|---:|---|\n");
    for (int o = 0; o < nw; o++) {
        const vb_cell *x = find(c, nc, w[o], hi), *y = find(c, nc, w[o], lo);
        if (x == NULL || y == NULL || hi == lo)
            continue;
        char what[160];
        snprintf(what, sizeof what, "%s (%s): persistent at %s / at %s",
                 w[o], x->type, size_name(a, hi), size_name(b, lo));
        target(f, what, x->st[VB_PERSISTENT].med / y->st[VB_PERSISTENT].med,
               cell_unpaired(&x->st[VB_PERSISTENT], &y->st[VB_PERSISTENT]),
               3.0, &met, &all);
    }
    for (int o = 0; o < nw; o++) {
        const vb_cell *x = find(c, nc, w[o], hi);
        if (x == NULL)
            continue;
        char what[160];
        snprintf(what, sizeof what, "%s (%s) at %s: persistent / in-place",
                 w[o], x->type, size_name(a, hi));
        target(f, what, x->st[VB_PERSISTENT].med / x->st[VB_INPLACE].med,
               cell_paired(&x->st[VB_PERSISTENT], &x->st[VB_INPLACE]), 5.0,
               &met, &all);
    }
    for (int o = 0; o < nr; o++)
        for (int s = 0; s < k; s++) {
            const vb_cell *x = find(c, nc, r[o], sz[s]);
            if (x == NULL)
                continue;
            char what[160];
            snprintf(what, sizeof what, "%s (%s) at %s: persistent / flat",
                     r[o], x->type, size_name(a, sz[s]));
            target(f, what, x->st[VB_PERSISTENT].med / x->st[VB_FLAT].med,
                   cell_paired(&x->st[VB_PERSISTENT], &x->st[VB_FLAT]), 1.5,
                   &met, &all);
        }
    for (int i = 0; i < nm; i++) {
        const vb_mem *m = &mem[i];
        if (m->redis_bytes < 0) {
            fprintf(f, "| memory per element, %s of %s: ours <= Redis's | "
                       "%.1f B (module), %.1f B (heap) | redis not measured "
                       "| not judged |\n", m->type, size_name(a, m->n),
                    m->module_bytes / (double)m->n,
                    m->malloc_bytes / (double)m->n);
            continue;
        }
        double ours = m->malloc_bytes > m->module_bytes ? m->malloc_bytes
                                                        : m->module_bytes;
        double red = (double)m->redis_bytes;
        bool ok = ours <= red;
        fprintf(f, "| memory per element, %s of %s: ours (the larger of "
                   "module and heap) <= Redis's | %.1f B vs %.1f B (%.2fx) | "
                   "<= 1.0x | %s |\n", m->type, size_name(a, m->n),
                ours / (double)m->n, red / (double)m->n, ours / red,
                ok ? "met" : "NOT met");
        met += ok;
        all++;
    }
    fprintf(f, "\n%d of %d targets met.\n\n", met, all);
}

static void memory(FILE *f, const vb_mem *mem, int nm)
{
    if (nm == 0)
        return;
    char a[24];
    fprintf(f, "## Memory per element\n\n");
    fprintf(f, "| collection | ours: module's *_bytes() | ours: heap growth "
               "(mallinfo2) | chapter 7 flat: heap growth | redis MEMORY "
               "USAGE | redis encoding |\n|---|---:|---:|---:|---:|---|\n");
    for (int i = 0; i < nm; i++) {
        const vb_mem *m = &mem[i];
        double n = (double)m->n;
        fprintf(f, "| %s of %s | %.1f B | %.1f B | %.1f B |", m->type,
                size_name(a, m->n), m->module_bytes / n, m->malloc_bytes / n,
                m->flat_bytes / n);
        if (m->redis_bytes >= 0)
            fprintf(f, " %.1f B | %s |\n", (double)m->redis_bytes / n,
                    m->redis_enc);
        else
            fprintf(f, " not measured | |\n");
    }
    fprintf(f, "\n");
}

static void csv(FILE *f, const vb_cell *c, int nc, const vb_mem *mem, int nm)
{
    fprintf(f, "section,type,operation,n,way,metric,value\n");
    for (int i = 0; i < nc; i++)
        for (int w = 0; w < VB_WAYS; w++) {
            const cell_stat *st = &c[i].st[w];
            const char *sec = c[i].read ? "read" : "write";
            fprintf(f, "%s,%s,%s,%ld,%s,ns_per_op_median,%.2f\n", sec,
                    c[i].type, c[i].op, c[i].n, vb_way_names[w], st->med);
            fprintf(f, "%s,%s,%s,%ld,%s,ns_per_op_best,%.2f\n", sec,
                    c[i].type, c[i].op, c[i].n, vb_way_names[w], st->best);
            fprintf(f, "%s,%s,%s,%ld,%s,ns_per_op_worst,%.2f\n", sec,
                    c[i].type, c[i].op, c[i].n, vb_way_names[w], st->worst);
            fprintf(f, "%s,%s,%s,%ld,%s,repeats,%d\n", sec, c[i].type,
                    c[i].op, c[i].n, vb_way_names[w], st->n);
        }
    for (int i = 0; i < nm; i++) {
        const vb_mem *m = &mem[i];
        double n = (double)m->n;
        fprintf(f, "memory,%s,,%ld,persistent,module_bytes_per_elem,%.2f\n",
                m->type, m->n, m->module_bytes / n);
        fprintf(f, "memory,%s,,%ld,persistent,heap_bytes_per_elem,%.2f\n",
                m->type, m->n, m->malloc_bytes / n);
        fprintf(f, "memory,%s,,%ld,flat,heap_bytes_per_elem,%.2f\n", m->type,
                m->n, m->flat_bytes / n);
        if (m->redis_bytes >= 0)
            fprintf(f, "memory,%s,,%ld,redis,memory_usage_per_elem,%.2f\n",
                    m->type, m->n, (double)m->redis_bytes / n);
    }
}

/* One SVG: a panel per operation, ns/op against n, a line per way. */
static void plot(const char *dir, const char *stem, const char *kind,
                 const vb_cell *c, int nc, bool read)
{
    const char *names[32];
    int no = ops(c, nc, read, names);
    long sz[8];
    int k = sizes(c, nc, sz);
    if (no == 0 || k < 2)
        return;
    FILE *g = popen("gnuplot 2>/dev/null", "w");
    if (g == NULL) {
        fprintf(stderr, "values-bench: gnuplot not found; no plots\n");
        return;
    }
    int cols = no < 4 ? no : (no <= 6 ? 3 : 4), rows = (no + cols - 1) / cols;
    fprintf(g, "set terminal svg size %d,%d dynamic font 'sans,11'\n",
            330 * cols, 300 * rows + 40);
    fprintf(g, "set output '%s/%s-%s.svg'\n", dir, stem, kind);
    fprintf(g, "set multiplot layout %d,%d title 'Chapter 8: %s, ns per "
               "operation against elements n (log-log)'\n", rows, cols,
            read ? "point reads" : "one write");
    fprintf(g, "set logscale xy\nset format x '%%.0s%%c'\n"
               "set format y '%%.0s%%c'\nset grid\n");
    fprintf(g, "set key outside bottom center horizontal maxcols 3 samplen 2 "
               "font ',9'\nset ylabel 'ns/op'\n"
               "set xrange [%g:%g]\n",
            (double)sz[0] / 2, (double)sz[k - 1] * 2);
    for (int o = 0; o < no; o++) {
        const vb_cell *any = NULL;
        for (int s = 0; s < k && any == NULL; s++)
            any = find(c, nc, names[o], sz[s]);
        fprintf(g, "set title '%s (%s)'\n", names[o], any->type);
        fprintf(g, "$d%d << EOD\n", o);
        for (int s = 0; s < k; s++) {
            const vb_cell *x = find(c, nc, names[o], sz[s]);
            if (x == NULL)
                continue;
            fprintf(g, "%ld %.3f %.3f %.3f\n", x->n,
                    x->st[VB_PERSISTENT].med, x->st[VB_FLAT].med,
                    x->st[VB_INPLACE].med);
        }
        fprintf(g, "EOD\n");
        fprintf(g, "plot $d%d using 1:2 with linespoints title 'persistent', "
                   "$d%d using 1:3 with linespoints title 'flat', "
                   "$d%d using 1:4 with linespoints title 'in-place'\n",
                o, o, o);
    }
    fprintf(g, "unset multiplot\n");
    pclose(g);
}

int vb_report(const char *dir, const char *stem, const vb_meta *meta,
              const vb_cell *cells, int nc, const vb_mem *mem, int nm,
              bool plots)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.md", dir, stem);
    FILE *md = fopen(path, "w");
    snprintf(path, sizeof path, "%s/%s.csv", dir, stem);
    FILE *cv = fopen(path, "w");
    if (md == NULL || cv == NULL) {
        fprintf(stderr, "values-bench: cannot write %s: %m\n", path);
        if (md != NULL)
            fclose(md);
        if (cv != NULL)
            fclose(cv);
        return -1;
    }
    FILE *outs[2] = { md, stdout };
    for (int i = 0; i < 2; i++) {
        FILE *f = outs[i];
        fprintf(f, "# Chapter 8: one write to a big value, three ways "
                   "(make bench-values%s)\n\n",
                strcmp(meta->mode, "quick") == 0 ? " QUICK=1" : "");
        fprintf(f, "- machine: %s\n", meta->machine);
        fprintf(f, "- run: %s; each cell is %d repeats of about %.3g s of "
                   "CPU time (the thread's CPU clock), the three ways taking "
                   "turns repeat by repeat; a way stops repeating once a "
                   "cell has cost it %.3g s (the flat form at the largest "
                   "sizes); figures are medians [min–max over the "
                   "repeats]; whole run %.0f s\n", meta->mode, meta->reps,
                meta->budget_s, meta->cap_s, meta->wall_s);
        fprintf(f, "- persistent: chapter 8's module, an edit of a published "
                   "version giving a new version, the old one released; "
                   "flat rebuild: chapter 7's immutable layout, the whole "
                   "collection copied (and its index table rebuilt) per "
                   "write; in-place: the module's transient, never frozen, "
                   "so it owns every node and edits in place\n");
        fprintf(f, "- n is the number of elements (for SETBIT, bytes of "
                   "the bitmap); writes that add or remove elements run at "
                   "most n/10 + 1 of them per round from the same starting "
                   "collection\n");
        fprintf(f, "- redis: %s\n", meta->redis);
        if (meta->missing != NULL)
            fprintf(f, "- not measured: %s\n", meta->missing);
        fprintf(f, "\n## Writes: ns per operation\n\n");
        table(f, cells, nc, false);
        fprintf(f, "## Point reads: ns per operation\n\n");
        table(f, cells, nc, true);
        memory(f, mem, nm);
        targets(f, cells, nc, mem, nm);
    }
    fprintf(cv, "# machine: %s\n# run: %s, %d repeats of %.3g s CPU per "
                "cell, cap %.3g s per way; redis: %s\n", meta->machine,
            meta->mode, meta->reps, meta->budget_s, meta->cap_s, meta->redis);
    csv(cv, cells, nc, mem, nm);
    fclose(md);
    fclose(cv);
    if (plots) {
        plot(dir, stem, "writes", cells, nc, false);
        plot(dir, stem, "reads", cells, nc, true);
    }
    return 0;
}
