/* main_hamt_bench.c - chapter 5's figures, side by side in one run.
 *
 * Does cheap copy-on-write flip the seed's verdict?  This program measures
 * the answer's parts on one machine, in one run, so that the ratios compare
 * numbers taken under the same noise:
 *
 *   reads     one read section per lookup, 1,000 keys, at 1 and 2 threads:
 *             naive (no synchronisation, the floor), rwlock, cow, hamt
 *   counters  the cost of counting every read: one shared atomic counter
 *             against per-thread slots 64 and 128 bytes apart
 *   writes    ns per write at 1K/10K/100K/1M keys: rwlock in place, cow
 *             (whole-table copy), hamt (path copy), hamt in batches of 64
 *   memory    bytes per key and peak bytes (garbage included) per store
 *   mixed     the seed's headline: 95% reads / 5% writes, every thread
 *             doing both, total throughput, rwlock vs cow vs hamt (and
 *             the lock-striped store)
 *   writers   two writers and no readers: what lock striping fixes
 *
 * Method: each cell (hamt_cells.c) is run seven times and shows the
 * median [best].  Reads, counters, the mix and the two writers take turns
 * within each round (repeat r of every variant, then repeat r+1), so a
 * ratio between two of them is taken repeat by repeat and reported as the
 * range of those seven ratios (cell_paired()).  The write cells run their
 * repeats one store at a time, so their ratios get the widest range the
 * runs allow, best over worst to worst over best (cell_unpaired()).  The
 * closing table gives a verdict only when the whole range is on one side
 * of its target.  The mix also counts each thread's context switches
 * (voluntary: it slept on a futex; involuntary: it was preempted), the
 * evidence for what a lock's collapse at 2 threads is made of.  Absolute
 * nanoseconds belong to this machine (printed at the top); the ratios are
 * the result.
 *
 * Output: a report on stdout and in <out>/ch05-hamt-bench.txt, the final
 * table as Markdown in <out>/ch05-verdict.md (hamt_verdict.c; the chapter
 * includes it), and every cell in <out>/ch05-hamt-bench.csv.
 *
 * Usage: hamt-bench [-q] [-o dir] [-n max_keys] [-t threads] [-m variant]
 *   -q  quick: shorter cells, up to 100K keys (about 10 s)
 *   -o  output directory (default bench/results)
 *   -n  largest store for the write and memory tables (default 1000000)
 *   -t  a third thread count for the mix, after 1 and 2 (default: the
 *       CPUs online, when more than 2)
 *   -m  run one cell of the mix (95/5, 2 threads, 1 s) on this variant,
 *       print its throughput and context switches, write no file (for
 *       make bench-futex, which runs it under strace)
 */
#include "hamt_bench.h"

#include "bench.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static double cell_s = 0.05; /* seconds per timed run */
static FILE *report_f, *csv_f;

/* Print to stdout and to the report file. */
static void out(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    if (report_f != NULL) {
        va_start(ap, fmt);
        vfprintf(report_f, fmt, ap);
        va_end(ap);
    }
}

static void csv(const char *section, const char *what, long n, int threads,
                const char *metric, double x)
{
    fprintf(csv_f, "%s,%s,%ld,%d,%s,%.3f\n", section, what, n, threads,
            metric, x);
}

/* 1. Reads: the stores take turns within every run, so that a burst of
 * load from other programs hits all of them alike. */
static void reads_section(hamt_figures *f, const cell_keys *ks,
                          const unsigned *order)
{
    const char *readers[] = { "naive", "rwlock", "cow", "hamt", "striped" };
    enum { NR = 5 };
    store *rs[NR];
    for (int v = 0; v < NR; v++) {
        rs[v] = store_create(store_variant(readers[v]));
        cell_fill(rs[v], ks);
    }
    double samples[NR][2][CELL_REPS];
    for (int rep = 0; rep < CELL_REPS; rep++)
        for (int v = 0; v < NR; v++)
            for (int t = 0; t < 2; t++)
                samples[v][t][rep] = cell_read(rs[v], ks, order, t + 1,
                                               CELL_COUNT_NONE, cell_s);
    cell_stat(*rd)[2] = f->reads;
    out("1. Reads: one read section per lookup, %d keys (ns/read)\n",
        CELL_READ_KEYS);
    out("   %-8s %20s %20s\n", "store", "1 thread", "2 threads");
    for (int v = 0; v < NR; v++) {
        for (int t = 0; t < 2; t++) {
            rd[v][t] = cell_summarize(samples[v][t], CELL_REPS);
            csv("reads", readers[v], CELL_READ_KEYS, t + 1,
                "ns_per_read_best", rd[v][t].best);
            csv("reads", readers[v], CELL_READ_KEYS, t + 1,
                "ns_per_read_median", rd[v][t].med);
        }
        out("   %-8s %11.1f [%5.1f] %11.1f [%5.1f]\n", readers[v],
            rd[v][0].med, rd[v][0].best, rd[v][1].med, rd[v][1].best);
    }
    for (int v = 0; v < NR; v++)
        store_destroy(rs[v]);
    out("   / naive at 1 thread, range over the %d repeats:\n", CELL_REPS);
    for (int v = 1; v < NR; v++) {
        cell_range a = cell_paired(&rd[v][0], &rd[0][0]);
        cell_range b = cell_paired(&rd[v][1], &rd[0][0]);
        char j1[64], j2[64];
        out("   %-6s %.2f-%.2fx at 1 thread, %.2f-%.2fx at 2%s%s%s%s%s\n",
            readers[v], a.lo, a.hi, b.lo, b.hi,
            v == 3 ? "  (target <= 2.0x: " : "",
            v == 3 ? hamt_judge(a, 2.0, 1, j1) : "", v == 3 ? ", " : "",
            v == 3 ? hamt_judge(b, 2.0, 1, j2) : "", v == 3 ? ")" : "");
    }
    out("\n");
}

/* 2. Counting every read, then the increment alone. */
static void counters_section(hamt_figures *f, const cell_keys *ks,
                             const unsigned *order)
{
    out("2. Counting every read (hamt reads + one increment, ns/read)\n");
    out("   %-26s %20s %20s\n", "counter", "1 thread", "2 threads");
    cell_stat cnt[4][2];
    store *s = store_create(store_variant("hamt"));
    cell_fill(s, ks);
    double cs[4][2][CELL_REPS];
    for (int rep = 0; rep < CELL_REPS; rep++)
        for (int m = 0; m < 4; m++)
            for (int t = 0; t < 2; t++)
                cs[m][t][rep] = cell_read(s, ks, order, t + 1,
                                          (enum cell_count)m, cell_s);
    for (int m = 0; m < 4; m++) {
        for (int t = 0; t < 2; t++) {
            cnt[m][t] = cell_summarize(cs[m][t], CELL_REPS);
            csv("counters-in-reads", cell_count_names[m], CELL_READ_KEYS,
                t + 1, "ns_per_read_best", cnt[m][t].best);
        }
        out("   %-26s %11.1f [%5.1f] %11.1f [%5.1f]\n", cell_count_names[m],
            cnt[m][0].med, cnt[m][0].best, cnt[m][1].med, cnt[m][1].best);
    }
    store_destroy(s);
    out("   added per read at 2 threads (medians): shared %+.1f ns, "
        "64 B slots %+.1f ns, 128 B slots %+.1f ns\n",
        cnt[1][1].med - cnt[0][1].med, cnt[2][1].med - cnt[0][1].med,
        cnt[3][1].med - cnt[0][1].med);
    out("   the increment alone, no lookup (ns per increment):\n");
    cell_stat(*inc)[2] = f->inc;
    double is[4][2][CELL_REPS];
    for (int rep = 0; rep < CELL_REPS; rep++)
        for (int m = 1; m < 4; m++)
            for (int t = 0; t < 2; t++)
                is[m][t][rep] = cell_increment(t + 1, (enum cell_count)m,
                                               cell_s);
    for (int m = 1; m < 4; m++) {
        for (int t = 0; t < 2; t++) {
            inc[m][t] = cell_summarize(is[m][t], CELL_REPS);
            csv("counter-alone", cell_count_names[m], 0, t + 1,
                "ns_per_increment_best", inc[m][t].best);
        }
        out("   %-26s %11.2f [%5.2f] %11.2f [%5.2f]\n", cell_count_names[m],
            inc[m][0].med, inc[m][0].best, inc[m][1].med, inc[m][1].best);
    }
    out("\n");
}

/* One row of the memory table. */
typedef struct memrow {
    long n;
    const char *variant;
    double per_key, peak_ratio;
    int built;
} memrow;

/* 3 + 4. Writes and memory by store size, up to max_keys. */
static void writes_section(hamt_figures *f, long max_keys)
{
    out("3. Writes: ns per changed key, one writer, no readers (medians)\n");
    out("   %-9s %17s %17s %17s %17s\n", "keys", "rwlock (in place)",
        "cow (full copy)", "hamt (path copy)", "hamt batch 64");
    for (long n = 1000; n <= max_keys && f->nsizes < 8; n *= 10)
        f->sizes[f->nsizes++] = n;
    memrow mem[32];
    int nmem = 0;
    for (int z = 0; z < f->nsizes; z++) {
        long n = f->sizes[z];
        cell_keys wk = cell_keys_make(n);
        double budget = cell_s * 2;
        const char *vs[] = { "rwlock", "cow", "hamt" };
        cell_stat res[4] = { { 0 } };
        int cow_real = n <= 10000; /* filling cow is O(n^2) */
        for (int v = 0; v < 3; v++) {
            if (v == 1 && !cow_real) {
                res[1] = cell_clone(n, budget);
                mem[nmem++] = (memrow){ n, vs[v], 0, 0, 0 };
                continue;
            }
            store *s = store_create(store_variant(vs[v]));
            cell_fill(s, &wk);
            store_stats st0, st1;
            store_stats_get(s, &st0);
            res[v] = cell_write(s, &wk, 0, budget);
            if (v == 2)
                res[3] = cell_write(s, &wk, CELL_BATCH, budget);
            store_stats_get(s, &st1);
            mem[nmem++] = (memrow){ n, vs[v],
                                    (double)st0.bytes / (double)n,
                                    (double)st1.peak_bytes /
                                        (double)st1.bytes, 1 };
            store_destroy(s);
        }
        out("   %-9ld %17.0f %16.0f%s %17.0f %17.0f\n", n, res[0].med,
            res[1].med, cow_real ? " " : "*", res[2].med, res[3].med);
        const char *wn[4] = { "rwlock", cow_real ? "cow" : "cow-table-copy",
                              "hamt", "hamt-batch64" };
        for (int v = 0; v < 4; v++) {
            csv("writes", wn[v], n, 1, "ns_per_write", res[v].med);
            csv("writes", wn[v], n, 1, "ns_per_write_best", res[v].best);
            csv("writes", wn[v], n, 1, "ns_per_write_worst", res[v].worst);
        }
        f->wr[z] = res[0];
        f->wc[z] = res[1];
        f->wh[z] = res[2];
        f->whb[z] = res[3];
        cell_keys_free(&wk);
    }
    int last = f->nsizes - 1;
    if (f->nsizes > 0 && f->sizes[last] > 10000)
        out("   * table copy alone (map_clone of an n-key table): a cow "
            "store this large is not filled one write at a time (O(n^2))\n");
    cell_stat rw = hamt_at_1k(f, f->wr), h1 = hamt_at_1k(f, f->wh);
    cell_range hr = cell_unpaired(&h1, &rw);
    char jb[64];
    out("   hamt / rwlock at 1,000 keys: %.1fx (range %.1f-%.1f; target <= "
        "10x: %s); batched: %.1fx; cow: %.1fx\n", h1.med / rw.med, hr.lo,
        hr.hi, hamt_judge(hr, 10, 1, jb), hamt_at_1k(f, f->whb).med / rw.med,
        hamt_at_1k(f, f->wc).med / rw.med);
    if (f->nsizes > 1)
        out("   growth from %ld to %ld keys: hamt %.1fx, cow %.0fx "
            "(keys grew %.0fx)\n\n", f->sizes[0], f->sizes[last],
            f->wh[last].med / f->wh[0].med, f->wc[last].med / f->wc[0].med,
            (double)f->sizes[last] / (double)f->sizes[0]);

    out("4. Memory: bytes per key after filling; peak/live while writing\n");
    out("   %-9s %-8s %14s %14s\n", "keys", "store", "bytes/key",
        "peak / live");
    for (int i = 0; i < nmem; i++) {
        if (!mem[i].built) {
            out("   %-9ld %-8s %14s %14s\n", mem[i].n, mem[i].variant,
                "n/a*", "n/a*");
            continue;
        }
        out("   %-9ld %-8s %14.1f %14.2f\n", mem[i].n, mem[i].variant,
            mem[i].per_key, mem[i].peak_ratio);
        csv("memory", mem[i].variant, mem[i].n, 1, "bytes_per_key",
            mem[i].per_key);
        csv("memory", mem[i].variant, mem[i].n, 1, "peak_over_live",
            mem[i].peak_ratio);
    }
    out("\n");
}

/* CELL_REPS runs of a mix, the variants taking turns in every round;
 * throughput is higher-better, so it is negated for cell_summarize(). */
static void mix_cells(const char *const *vs, int nv, const cell_keys *ks,
                      int threads, int write_pct, cell_stat *res,
                      cell_csw *csw)
{
    double ms[4][CELL_REPS], vol[4][CELL_REPS], invol[4][CELL_REPS];
    for (int rep = 0; rep < CELL_REPS; rep++)
        for (int v = 0; v < nv; v++) {
            cell_csw c;
            ms[v][rep] = -cell_mix(vs[v], ks, threads, write_pct, cell_s,
                                   &c);
            vol[v][rep] = c.vol;
            invol[v][rep] = c.invol;
        }
    for (int v = 0; v < nv; v++) {
        cell_stat m = cell_summarize(ms[v], CELL_REPS);
        res[v] = m;
        res[v].med = -m.med;
        res[v].best = -m.best;   /* the highest throughput */
        res[v].worst = -m.worst; /* the lowest */
        for (int r = 0; r < m.n; r++)
            res[v].v[r] = -m.v[r];
        if (csw != NULL)
            csw[v] = (cell_csw){ bench_median(vol[v], CELL_REPS),
                                 bench_median(invol[v], CELL_REPS) };
    }
}

/* 5. The seed's headline, at 1 thread (no contention at all), 2 (the
 * seed's headline), and the CPUs online or -t when that is another
 * number.  6. What striping fixes: two writers, no readers. */
static void mix_section(hamt_figures *f, const cell_keys *ks, int extra)
{
    f->tcounts[0] = 1;
    f->tcounts[1] = 2;
    f->tcounts[2] = extra;
    f->ntc = extra > 2 ? 3 : 2;
    out("5. The seed's mix: 95%% reads / 5%% writes, %d keys, every thread "
        "reads and writes (Mops/s, higher is better)\n", CELL_READ_KEYS);
    const char *const mixers[] = { "rwlock", "cow", "hamt", "striped" };
    for (int t = 0; t < f->ntc; t++) {
        int tc = f->tcounts[t];
        cell_stat *mr = f->mix[t];
        cell_csw *mc = f->mixcsw[t];
        mix_cells(mixers, 4, ks, tc, 5, mr, mc);
        out("   %-10s %-8s %8s [%6s] %9s %9s\n", "", "", "Mops/s", "best",
            "vcsw/kop", "ivcsw/kop");
        for (int v = 0; v < 4; v++) {
            out("   %d thread%s %-8s %8.2f [%6.2f] %9.3f %9.3f\n", tc,
                tc > 1 ? "s" : " ", mixers[v], mr[v].med, mr[v].best,
                mc[v].vol, mc[v].invol);
            csv("mix95", mixers[v], CELL_READ_KEYS, tc, "mops_best",
                mr[v].best);
            csv("mix95", mixers[v], CELL_READ_KEYS, tc, "mops_median",
                mr[v].med);
            csv("mix95", mixers[v], CELL_READ_KEYS, tc, "mops_worst",
                mr[v].worst);
            csv("mix95", mixers[v], CELL_READ_KEYS, tc, "vcsw_per_kop",
                mc[v].vol);
            csv("mix95", mixers[v], CELL_READ_KEYS, tc, "ivcsw_per_kop",
                mc[v].invol);
        }
        int cv = mr[1].med > mr[2].med ? 1 : 2;
        cell_range cr = cell_paired(&mr[cv], &mr[0]);
        char jb[64];
        out("   %d thread%s: best COW (%s) / rwlock = %.2fx (medians), "
            "%.2f-%.2f repeat by repeat%s%s%s\n", tc, tc > 1 ? "s" : "",
            mixers[cv], mr[cv].med / mr[0].med, cr.lo, cr.hi,
            tc > 1 ? " (target >= 1.5x: " : "",
            tc > 1 ? hamt_judge(cr, 1.5, 0, jb) : "", tc > 1 ? ")" : "");
    }
    out("\n");

    out("6. Two writers, no readers, %d keys (Mops/s, higher is better)\n",
        CELL_READ_KEYS);
    const char *const writers[] = { "rwlock", "striped", "hamt" };
    cell_stat *wres = f->writers;
    mix_cells(writers, 3, ks, 2, 100, wres, NULL);
    for (int v = 0; v < 3; v++) {
        out("   2 writers %-8s %8.2f [%6.2f]\n", writers[v], wres[v].med,
            wres[v].best);
        csv("writers2", writers[v], CELL_READ_KEYS, 2, "mops_median",
            wres[v].med);
    }
    double floor1 = f->reads[0][0].med;
    out("   striped / rwlock: %.2fx with two writers; striped readers at 2 "
        "threads cost %.2fx naive's (rwlock %.2fx)\n\n",
        wres[1].med / wres[0].med, f->reads[4][1].med / floor1,
        f->reads[1][1].med / floor1);
}

int main(int argc, char **argv)
{
    const char *dir = "bench/results";
    long max_keys = 1000000;
    int quick = 0, opt, mix_threads = 0;
    const char *one_mix = NULL;
    while ((opt = getopt(argc, argv, "qo:n:t:m:")) != -1) {
        if (opt == 'q')
            quick = 1;
        else if (opt == 'o')
            dir = optarg;
        else if (opt == 'n')
            max_keys = atol(optarg);
        else if (opt == 't')
            mix_threads = atoi(optarg);
        else if (opt == 'm')
            one_mix = optarg;
        else {
            fprintf(stderr, "usage: hamt-bench [-q] [-o dir] [-n max_keys] "
                            "[-t threads] [-m variant]\n");
            return 2;
        }
    }
    if (one_mix != NULL) {
        if (store_variant(one_mix) == NULL) {
            fprintf(stderr, "hamt-bench: no store variant named \"%s\"\n",
                    one_mix);
            return 2;
        }
        cell_keys ks = cell_keys_make(CELL_READ_KEYS);
        cell_csw c;
        double mops = cell_mix(one_mix, &ks, 2, 5, 0.5, &c);
        printf("mix 95/5, 2 threads, %s: %.2f Mops/s, %.3g voluntary and "
               "%.3g involuntary context switches per 1,000 ops\n", one_mix,
               mops, c.vol, c.invol);
        cell_keys_free(&ks);
        return 0;
    }
    if (quick) {
        cell_s = 0.03;
        if (max_keys > 100000)
            max_keys = 100000;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/ch05-hamt-bench.txt", dir);
    report_f = fopen(path, "w");
    snprintf(path, sizeof path, "%s/ch05-hamt-bench.csv", dir);
    csv_f = fopen(path, "w");
    if (report_f == NULL || csv_f == NULL) {
        fprintf(stderr, "hamt-bench: cannot write to %s: %s\n", dir,
                strerror(errno));
        return 1;
    }
    fprintf(csv_f, "section,what,keys,threads,metric,value\n");
    static hamt_figures fig;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct utsname u;
    uname(&u);
    bench_cpu_model(fig.model, sizeof fig.model);
    out("hamt-bench: chapter 5 figures (%s run)\n", quick ? "quick" : "full");
    out("machine: %s, %ld CPUs online, %s %s; gcc -O2\n", fig.model, ncpu,
        u.sysname, u.release);
    double la[3] = { 0, 0, 0 };
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf == NULL || fscanf(lf, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3)
        la[0] = la[1] = la[2] = 0;
    if (lf != NULL)
        fclose(lf);
    out("load average at the start: %.2f %.2f %.2f (1, 5, 15 min)%s\n",
        la[0], la[1], la[2],
        la[1] > 0.5 * (double)ncpu ? "; the machine was shared with other "
                                     "work during this run" : "");
    out("cells: median of %d runs [best], %.2f s each; ratios are ranges "
        "over the repeats\n\n", CELL_REPS, cell_s);

    cell_keys ks = cell_keys_make(CELL_READ_KEYS);
    unsigned *order = malloc(CELL_ORDER * sizeof *order);
    unsigned seed = 42;
    for (int i = 0; i < CELL_ORDER; i++)
        order[i] = (unsigned)(rand_r(&seed) % CELL_READ_KEYS);
    reads_section(&fig, &ks, order);
    counters_section(&fig, &ks, order);
    writes_section(&fig, max_keys);
    int extra = mix_threads > 0 && mix_threads <= CELL_MAX_THREADS
                    ? mix_threads
                    : (int)(ncpu < CELL_MAX_THREADS ? ncpu : CELL_MAX_THREADS);
    mix_section(&fig, &ks, extra);

    snprintf(path, sizeof path, "%s/ch05-verdict.md", dir);
    if (hamt_verdict_write(&fig, path) != 0)
        fprintf(stderr, "hamt-bench: cannot write %s: %s\n", path,
                strerror(errno));
    out("written: %s/ch05-hamt-bench.txt, ch05-hamt-bench.csv, "
        "ch05-verdict.md\n", dir);
    free(order);
    cell_keys_free(&ks);
    fclose(report_f);
    fclose(csv_f);
    return 0;
}
