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
 * Method: keys and values are built before timing; each cell is run seven
 * times, the variants taking turns within each round, and shows the
 * median [best]; ratios divide medians.  The mix also compares
 * copy-on-write's median with rwlock's best run, the conservative side: on
 * an oversubscribed machine rwlock's median suffers from preempted lock
 * holders, which flatters copy-on-write.  ns per
 * operation is the thread's CPU time (clock_gettime's per-thread clock), so
 * time a thread spends descheduled while other programs run is not
 * counted; the mix alone reports wall-clock throughput, because there a
 * thread waiting for a preempted lock holder is part of the cost; threads are pinned to
 * CPUs 0..n-1 when the machine allows.  Absolute nanoseconds belong to this
 * machine (printed at the top); the ratios are the result.
 *
 * Output: a report on stdout and in <out>/ch05-hamt-bench.txt, the final
 * table as Markdown in <out>/ch05-verdict.md (the chapter includes it),
 * and every cell in <out>/ch05-hamt-bench.csv.
 *
 * Usage: hamt-bench [-q] [-o dir] [-n max_keys] [-t threads]
 *   -q  quick: shorter cells, up to 100K keys (about 10 s)
 *   -o  output directory (default bench/results)
 *   -n  largest store for the write and memory tables (default 1000000)
 *   -t  a third thread count for the mix, after 1 and 2 (default: the
 *       CPUs online, when more than 2)
 */
#include "counter.h"
#include "map.h"
#include "store.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#define REPS 7
#define READ_KEYS 1000
#define MAX_THREADS 8
#define BATCH 64

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

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU time of the calling thread: time it spent descheduled while other
 * programs ran does not count. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void pin(int cpu)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % (n > 0 ? n : 1), &set);
    (void)pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Median and best of REPS samples (lower is better). */
typedef struct stat5 {
    double med, best;
} stat5;

static stat5 summarize(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return (stat5){ v[n / 2], v[0] };
}

static void csv(const char *section, const char *what, long n, int threads,
                const char *metric, double x)
{
    fprintf(csv_f, "%s,%s,%ld,%d,%s,%.3f\n", section, what, n, threads,
            metric, x);
}

/* ---- keys --------------------------------------------------------------- */

typedef struct keyset {
    long n;
    char (*k)[16];
    unsigned char *len;
} keyset;

static keyset keys_make(long n)
{
    keyset ks = { n, malloc((size_t)n * 16), malloc((size_t)n) };
    if (ks.k == NULL || ks.len == NULL) {
        fprintf(stderr, "hamt-bench: out of memory for %ld keys\n", n);
        exit(1);
    }
    for (long i = 0; i < n; i++)
        ks.len[i] = (unsigned char)snprintf(ks.k[i], 16, "key:%ld", i);
    return ks;
}

static void keys_free(keyset *ks)
{
    free(ks->k);
    free(ks->len);
}

static value *val_for(long i)
{
    char b[16];
    int n = snprintf(b, sizeof b, "v%08ld", i);
    return value_new_string(b, (size_t)n, VALUE_NO_EXPIRY);
}

/* Fill a store with keys 0..n-1, in batches where the store has them. */
static void fill(store *s, const keyset *ks)
{
    store_change ch[1024];
    for (long i = 0; i < ks->n;) {
        long m = 0;
        for (; m < 1024 && i + m < ks->n; m++)
            ch[m] = (store_change){ STORE_CHANGE_SET, ks->k[i + m],
                                    ks->len[i + m], val_for(i + m), 0 };
        if (store_apply(s, ch, (size_t)m) != 0) {
            if (errno != ENOTSUP) {
                fprintf(stderr, "hamt-bench: fill failed\n");
                exit(1);
            }
            for (long j = 0; j < m; j++)
                store_set(s, ch[j].key, ch[j].klen, ch[j].val);
        }
        i += m;
    }
}

/* ---- reads -------------------------------------------------------------- */

enum count_mode { COUNT_NONE, COUNT_SHARED, COUNT_SLOT64, COUNT_SLOT128 };
static const char *const count_names[] = { "none", "shared atomic",
                                           "per-thread, 64 B apart",
                                           "per-thread, 128 B apart" };

static _Alignas(128) _Atomic uint64_t shared_count;

typedef struct read_job {
    store *s;
    const keyset *ks;
    const unsigned *order; /* random lookup order, 4096 entries */
    enum count_mode mode;
    counter *ctr;
    int cpu;
    pthread_barrier_t *bar;
    double ns_per_op;
    size_t sink;
} read_job;

/* [ch05-bench-read] */
static void *read_thread(void *arg)
{
    read_job *j = arg;
    pin(j->cpu);
    store_reader *r = store_reader_open(j->s);
    int slot = j->ctr != NULL ? counter_claim(j->ctr) : -1;
    size_t sink = 0;
    pthread_barrier_wait(j->bar);
    long ops = 0;
    double t0 = now_s(), t1, c0 = cpu_s();
    do {
        for (int i = 0; i < 4096; i++) {
            unsigned k = j->order[i];
            store_read_begin(r);
            const value *v = store_get(r, j->ks->k[k], j->ks->len[k]);
            sink += v->u.str.len;
            store_read_end(r);
            if (j->mode == COUNT_SHARED)
                atomic_fetch_add_explicit(&shared_count, 1,
                                          memory_order_relaxed);
            else if (slot >= 0)
                counter_add(j->ctr, slot, 1);
        }
        ops += 4096;
        t1 = now_s();
    } while (t1 - t0 < cell_s);
    j->ns_per_op = (cpu_s() - c0) * 1e9 / (double)ops;
    j->sink = sink;
    store_reader_close(r);
    return NULL;
}
/* [ch05-bench-read] */

/* One timed run: ns per read, averaged over the threads. */
static double read_once(store *s, const keyset *ks, const unsigned *order,
                        int threads, enum count_mode mode)
{
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)threads);
    counter *ctr = NULL;
    if (mode == COUNT_SLOT64 || mode == COUNT_SLOT128)
        ctr = counter_create(MAX_THREADS, mode == COUNT_SLOT64 ? 64 : 128);
    read_job jobs[MAX_THREADS];
    pthread_t t[MAX_THREADS];
    for (int i = 0; i < threads; i++) {
        jobs[i] = (read_job){ s, ks, order, mode, ctr, i, &bar, 0, 0 };
        pthread_create(&t[i], NULL, read_thread, &jobs[i]);
    }
    double sum = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        sum += jobs[i].ns_per_op;
    }
    counter_destroy(ctr);
    pthread_barrier_destroy(&bar);
    return sum / threads;
}

/* The counter alone, no lookup: ns per increment. */
typedef struct inc_job {
    enum count_mode mode;
    counter *ctr;
    int cpu;
    pthread_barrier_t *bar;
    double ns_per_op;
} inc_job;

static void *inc_thread(void *arg)
{
    inc_job *j = arg;
    pin(j->cpu);
    int slot = j->ctr != NULL ? counter_claim(j->ctr) : -1;
    pthread_barrier_wait(j->bar);
    long ops = 0;
    double t0 = now_s(), t1, c0 = cpu_s();
    do {
        for (int i = 0; i < 65536; i++) {
            if (j->mode == COUNT_SHARED)
                atomic_fetch_add_explicit(&shared_count, 1,
                                          memory_order_relaxed);
            else
                counter_add(j->ctr, slot, 1);
        }
        ops += 65536;
        t1 = now_s();
    } while (t1 - t0 < cell_s / 2);
    j->ns_per_op = (cpu_s() - c0) * 1e9 / (double)ops;
    return NULL;
}

static double inc_once(int threads, enum count_mode mode)
{
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)threads);
    counter *ctr = mode == COUNT_SHARED
                       ? NULL
                       : counter_create(MAX_THREADS,
                                        mode == COUNT_SLOT64 ? 64 : 128);
    inc_job jobs[MAX_THREADS];
    pthread_t t[MAX_THREADS];
    for (int i = 0; i < threads; i++) {
        jobs[i] = (inc_job){ mode, ctr, i, &bar, 0 };
        pthread_create(&t[i], NULL, inc_thread, &jobs[i]);
    }
    double sum = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        sum += jobs[i].ns_per_op;
    }
    counter_destroy(ctr);
    pthread_barrier_destroy(&bar);
    return sum / threads;
}

/* ---- writes -------------------------------------------------------------- */

/* ns per changed key: single writes (batch 0) or store_apply batches. */
static stat5 write_cell(store *s, const keyset *ks, int batch,
                        double budget_s)
{
    double v[REPS];
    unsigned seed = 7;
    long maxw = 1 << 20;
    value **vals = malloc((size_t)maxw * sizeof *vals);
    long *which = malloc((size_t)maxw * sizeof *which);
    for (int rep = 0; rep < REPS; rep++) {
        /* Values and key choices made before timing; at most maxw writes,
         * and never longer than the budget. */
        long w = 0;
        double t0 = cpu_s(), t1 = t0;
        long prepared = 0;
        while (t1 - t0 < budget_s && w < maxw) {
            long chunk = batch > 0 ? batch : 64;
            if (w + chunk > maxw)
                break;
            double p0 = cpu_s();
            for (long i = 0; i < chunk; i++) {
                which[w + i] = rand_r(&seed) % ks->n;
                vals[w + i] = val_for(w + i);
            }
            prepared += chunk;
            double p1 = cpu_s();
            t0 += p1 - p0; /* preparation does not count */
            if (batch > 0) {
                store_change ch[BATCH];
                for (long i = 0; i < chunk; i++)
                    ch[i] = (store_change){ STORE_CHANGE_SET,
                                            ks->k[which[w + i]],
                                            ks->len[which[w + i]],
                                            vals[w + i], 0 };
                store_apply(s, ch, (size_t)chunk);
            } else {
                for (long i = 0; i < chunk; i++)
                    store_set(s, ks->k[which[w + i]], ks->len[which[w + i]],
                              vals[w + i]);
            }
            w += chunk;
            t1 = cpu_s();
        }
        v[rep] = (t1 - t0) * 1e9 / (double)(prepared > 0 ? prepared : 1);
    }
    free(vals);
    free(which);
    return summarize(v, REPS);
}

/* The part of a cow write that grows with n: copying the table. */
static stat5 clone_cell(long n, double budget_s)
{
    map m;
    keyset ks = keys_make(n);
    map_init(&m, (size_t)n, NULL);
    for (long i = 0; i < n; i++)
        map_insert(&m, ks.k[i], ks.len[i], NULL);
    double v[REPS];
    for (int rep = 0; rep < REPS; rep++) {
        long c = 0;
        double t0 = cpu_s(), t1;
        do {
            map copy;
            map_clone(&copy, &m);
            map_release(&copy);
            c++;
            t1 = cpu_s();
        } while (t1 - t0 < budget_s);
        v[rep] = (t1 - t0) * 1e9 / (double)c;
    }
    map_release(&m);
    keys_free(&ks);
    return summarize(v, REPS);
}

/* ---- the 95/5 mix --------------------------------------------------------- */

typedef struct mix_job {
    store *s;
    const keyset *ks;
    int write_pct;
    int cpu;
    pthread_barrier_t *bar;
    long ops;
    double secs;
} mix_job;

/* [ch05-bench-mix] */
static void *mix_thread(void *arg)
{
    mix_job *j = arg;
    pin(j->cpu);
    store_reader *r = store_reader_open(j->s);
    unsigned seed = (unsigned)j->cpu * 7919u + 1;
    /* Values for the writes are made before timing, like the keys. */
    enum { NV = 65536 };
    value **vals = malloc(NV * sizeof *vals);
    for (long i = 0; i < NV; i++)
        vals[i] = val_for(i);
    long nv = 0;
    size_t sink = 0;
    pthread_barrier_wait(j->bar);
    long ops = 0;
    double t0 = now_s(), t1;
    do {
        for (int i = 0; i < 1000; i++) {
            long k = rand_r(&seed) % j->ks->n;
            if ((int)(rand_r(&seed) % 100) < j->write_pct && nv < NV) {
                store_set(j->s, j->ks->k[k], j->ks->len[k], vals[nv++]);
            } else {
                store_read_begin(r);
                const value *v = store_get(r, j->ks->k[k], j->ks->len[k]);
                sink += v->u.str.len;
                store_read_end(r);
            }
        }
        ops += 1000;
        t1 = now_s();
    } while (t1 - t0 < cell_s * 2 && nv < NV);
    j->ops = ops + (long)(sink & 0);
    j->secs = t1 - t0;
    for (long i = nv; i < NV; i++)
        value_free(vals[i]);
    free(vals);
    store_reader_close(r);
    return NULL;
}
/* [ch05-bench-mix] */

/* One timed run of the mix: total throughput in Mops/s. */
static double mix_once(const char *variant, const keyset *ks, int threads,
                       int write_pct)
{
    store *s = store_create(store_variant(variant));
    fill(s, ks);
    pthread_barrier_t bar;
    pthread_barrier_init(&bar, NULL, (unsigned)threads);
    mix_job jobs[MAX_THREADS];
    pthread_t t[MAX_THREADS];
    for (int i = 0; i < threads; i++) {
        jobs[i] = (mix_job){ s, ks, write_pct, i, &bar, 0, 0 };
        pthread_create(&t[i], NULL, mix_thread, &jobs[i]);
    }
    double total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        total += (double)jobs[i].ops / jobs[i].secs;
    }
    pthread_barrier_destroy(&bar);
    store_destroy(s);
    return total / 1e6;
}

/* ---- main ----------------------------------------------------------------- */

static const char *verdict(double x, double target, int le)
{
    return (le ? x <= target : x >= target) ? "met" : "NOT met";
}

int main(int argc, char **argv)
{
    const char *dir = "bench/results";
    long max_keys = 1000000;
    int quick = 0, opt, mix_threads = 0;
    while ((opt = getopt(argc, argv, "qo:n:t:")) != -1) {
        if (opt == 'q')
            quick = 1;
        else if (opt == 'o')
            dir = optarg;
        else if (opt == 'n')
            max_keys = atol(optarg);
        else if (opt == 't')
            mix_threads = atoi(optarg);
        else {
            fprintf(stderr, "usage: hamt-bench [-q] [-o dir] [-n max_keys] "
                            "[-t threads]\n");
            return 2;
        }
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
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct utsname u;
    uname(&u);
    char model[256] = "unknown CPU";
    FILE *ci = fopen("/proc/cpuinfo", "r");
    if (ci != NULL) {
        char line[256];
        while (fgets(line, sizeof line, ci) != NULL)
            if (strncmp(line, "model name", 10) == 0) {
                char *c = strchr(line, ':');
                snprintf(model, sizeof model, "%s", c != NULL ? c + 2 : line);
                model[strcspn(model, "\n")] = '\0';
                break;
            }
        fclose(ci);
    }
    out("hamt-bench: chapter 5 figures (%s run)\n", quick ? "quick" : "full");
    out("machine: %s, %ld CPUs online, %s %s; gcc -O2\n", model, ncpu,
        u.sysname, u.release);
    out("cells: median of %d runs [best], %.2f s each\n\n", REPS, cell_s);

    /* 1. reads: the stores take turns within every run, so that a burst
     * of load from other programs hits all of them alike. */
    keyset ks = keys_make(READ_KEYS);
    unsigned *order = malloc(4096 * sizeof *order);
    unsigned seed = 42;
    for (int i = 0; i < 4096; i++)
        order[i] = (unsigned)(rand_r(&seed) % READ_KEYS);
    const char *readers[] = { "naive", "rwlock", "cow", "hamt", "striped" };
    enum { NR = 5 };
    store *rs[NR];
    for (int v = 0; v < NR; v++) {
        rs[v] = store_create(store_variant(readers[v]));
        fill(rs[v], &ks);
    }
    double samples[NR][2][REPS];
    for (int rep = 0; rep < REPS; rep++)
        for (int v = 0; v < NR; v++)
            for (int t = 0; t < 2; t++)
                samples[v][t][rep] = read_once(rs[v], &ks, order, t + 1,
                                               COUNT_NONE);
    stat5 rd[NR][2];
    out("1. Reads: one read section per lookup, %d keys (ns/read)\n",
        READ_KEYS);
    out("   %-8s %20s %20s\n", "store", "1 thread", "2 threads");
    for (int v = 0; v < NR; v++) {
        for (int t = 0; t < 2; t++) {
            rd[v][t] = summarize(samples[v][t], REPS);
            csv("reads", readers[v], READ_KEYS, t + 1, "ns_per_read_best",
                rd[v][t].best);
            csv("reads", readers[v], READ_KEYS, t + 1, "ns_per_read_median",
                rd[v][t].med);
        }
        out("   %-8s %11.1f [%5.1f] %11.1f [%5.1f]\n", readers[v],
            rd[v][0].med, rd[v][0].best, rd[v][1].med, rd[v][1].best);
    }
    for (int v = 0; v < NR; v++)
        store_destroy(rs[v]);
    double floor1 = rd[0][0].med;
    for (int v = 1; v < NR; v++) {
        double a = rd[v][0].med / floor1, b = rd[v][1].med / floor1;
        out("   %-6s / naive at 1 thread (medians): %.2fx at 1 thread, "
            "%.2fx at 2; vs naive at 2 threads: %.2fx%s\n",
            readers[v], a, b, rd[v][1].med / rd[0][1].med,
            v == 1 || v == 4 ? "" : (a <= 2.0 && b <= 2.0 ? "  (target <= 2.0x: met)"
                                                : "  (target <= 2.0x: NOT met)"));
    }
    out("\n");

    /* 2. counters */
    out("2. Counting every read (hamt reads + one increment, ns/read)\n");
    out("   %-26s %20s %20s\n", "counter", "1 thread", "2 threads");
    stat5 cnt[4][2];
    {
        store *s = store_create(store_variant("hamt"));
        fill(s, &ks);
        double cs[4][2][REPS];
        for (int rep = 0; rep < REPS; rep++)
            for (int m = 0; m < 4; m++)
                for (int t = 0; t < 2; t++)
                    cs[m][t][rep] = read_once(s, &ks, order, t + 1,
                                              (enum count_mode)m);
        for (int m = 0; m < 4; m++) {
            for (int t = 0; t < 2; t++) {
                cnt[m][t] = summarize(cs[m][t], REPS);
                csv("counters-in-reads", count_names[m], READ_KEYS, t + 1,
                    "ns_per_read_best", cnt[m][t].best);
            }
            out("   %-26s %11.1f [%5.1f] %11.1f [%5.1f]\n", count_names[m],
                cnt[m][0].med, cnt[m][0].best, cnt[m][1].med,
                cnt[m][1].best);
        }
        store_destroy(s);
    }
    out("   added per read at 2 threads (medians): shared %+.1f ns, "
        "64 B slots %+.1f ns, 128 B slots %+.1f ns\n",
        cnt[1][1].med - cnt[0][1].med, cnt[2][1].med - cnt[0][1].med,
        cnt[3][1].med - cnt[0][1].med);
    out("   the increment alone, no lookup (ns per increment):\n");
    stat5 inc[4][2];
    {
        double is[4][2][REPS];
        for (int rep = 0; rep < REPS; rep++)
            for (int m = 1; m < 4; m++)
                for (int t = 0; t < 2; t++)
                    is[m][t][rep] = inc_once(t + 1, (enum count_mode)m);
        for (int m = 1; m < 4; m++) {
            for (int t = 0; t < 2; t++) {
                inc[m][t] = summarize(is[m][t], REPS);
                csv("counter-alone", count_names[m], 0, t + 1,
                    "ns_per_increment_best", inc[m][t].best);
            }
            out("   %-26s %11.2f [%5.2f] %11.2f [%5.2f]\n", count_names[m],
                inc[m][0].med, inc[m][0].best, inc[m][1].med,
                inc[m][1].best);
        }
    }
    out("\n");

    /* 3 + 4. writes and memory by size */
    out("3. Writes: ns per changed key, one writer, no readers (medians)\n");
    out("   %-9s %17s %17s %17s %17s\n", "keys", "rwlock (in place)",
        "cow (full copy)", "hamt (path copy)", "hamt batch 64");
    double w1k_rw = 0, w1k_h = 0, w1k_hb = 0, w1k_cow = 0;
    double wh[8] = { 0 }, wc[8] = { 0 }, wr[8] = { 0 };
    long sizes[8];
    int nsizes = 0;
    for (long n = 1000; n <= max_keys && nsizes < 8; n *= 10)
        sizes[nsizes++] = n;
    typedef struct memrow {
        long n;
        const char *variant;
        double per_key, peak_ratio;
        int built;
    } memrow;
    memrow mem[32];
    int nmem = 0;
    for (int z = 0; z < nsizes; z++) {
        long n = sizes[z];
        keyset wk = keys_make(n);
        double budget = cell_s * 2;
        const char *vs[] = { "rwlock", "cow", "hamt" };
        double res[4] = { 0 };
        int cow_real = n <= 10000; /* filling cow is O(n^2) */
        for (int v = 0; v < 3; v++) {
            if (v == 1 && !cow_real) {
                stat5 c = clone_cell(n, budget);
                res[1] = c.med;
                mem[nmem++] = (memrow){ n, vs[v], 0, 0, 0 };
                continue;
            }
            store *s = store_create(store_variant(vs[v]));
            fill(s, &wk);
            store_stats st0, st1;
            store_stats_get(s, &st0);
            res[v] = write_cell(s, &wk, 0, budget).med;
            if (v == 2)
                res[3] = write_cell(s, &wk, BATCH, budget).med;
            store_stats_get(s, &st1);
            mem[nmem++] = (memrow){ n, vs[v],
                                    (double)st0.bytes / (double)n,
                                    (double)st1.peak_bytes /
                                        (double)st1.bytes, 1 };
            store_destroy(s);
        }
        out("   %-9ld %17.0f %16.0f%s %17.0f %17.0f\n", n, res[0], res[1],
            cow_real ? " " : "*", res[2], res[3]);
        csv("writes", "rwlock", n, 1, "ns_per_write", res[0]);
        csv("writes", cow_real ? "cow" : "cow-table-copy", n, 1,
            "ns_per_write", res[1]);
        csv("writes", "hamt", n, 1, "ns_per_write", res[2]);
        csv("writes", "hamt-batch64", n, 1, "ns_per_write", res[3]);
        wh[z] = res[2];
        wr[z] = res[0];
        wc[z] = res[1];
        if (n == 1000) {
            w1k_rw = res[0];
            w1k_cow = res[1];
            w1k_h = res[2];
            w1k_hb = res[3];
        }
        keys_free(&wk);
    }
    if (nsizes > 0 && sizes[nsizes - 1] > 10000)
        out("   * table copy alone (map_clone of an n-key table): a cow "
            "store this large is not filled one write at a time (O(n^2))\n");
    out("   hamt / rwlock at 1,000 keys: %.1fx (target <= 10x: %s); "
        "batched: %.1fx; cow: %.1fx\n", w1k_h / w1k_rw,
        verdict(w1k_h / w1k_rw, 10, 1), w1k_hb / w1k_rw, w1k_cow / w1k_rw);
    if (nsizes > 1)
        out("   growth from %ld to %ld keys: hamt %.1fx, cow %.0fx "
            "(keys grew %.0fx)\n\n", sizes[0], sizes[nsizes - 1],
            wh[nsizes - 1] / wh[0], wc[nsizes - 1] / wc[0],
            (double)sizes[nsizes - 1] / (double)sizes[0]);

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

    /* 5. the seed's headline, the stores taking turns in every run */
    /* 1 thread (no contention at all), 2 (the seed's headline), and the
     * CPUs online or -t when that is another number. */
    int extra = mix_threads > 0 && mix_threads <= MAX_THREADS
                    ? mix_threads
                    : (int)(ncpu < MAX_THREADS ? ncpu : MAX_THREADS);
    int tcounts[3] = { 1, 2, extra };
    int ntc = extra > 2 ? 3 : 2;
    out("5. The seed's mix: 95%% reads / 5%% writes, %d keys, every thread "
        "reads and writes (Mops/s, higher is better)\n", READ_KEYS);
    const char *mixers[] = { "rwlock", "cow", "hamt", "striped" };
    stat5 mixres[3][4];
    for (int t = 0; t < ntc; t++) {
        double ms[4][REPS];
        for (int rep = 0; rep < REPS; rep++)
            for (int v = 0; v < 4; v++) /* negated: "best" sorts first */
                ms[v][rep] = -mix_once(mixers[v], &ks, tcounts[t], 5);
        for (int v = 0; v < 4; v++) {
            stat5 m = summarize(ms[v], REPS);
            mixres[t][v] = (stat5){ -m.med, -m.best };
            out("   %d thread%s %-8s %8.2f [%6.2f]\n", tcounts[t],
                tcounts[t] > 1 ? "s" : " ", mixers[v],
                mixres[t][v].med, mixres[t][v].best);
            csv("mix95", mixers[v], READ_KEYS, tcounts[t], "mops_best",
                mixres[t][v].best);
            csv("mix95", mixers[v], READ_KEYS, tcounts[t], "mops_median",
                mixres[t][v].med);
        }
        double cmed = mixres[t][1].med > mixres[t][2].med
                          ? mixres[t][1].med : mixres[t][2].med;
        out("   %d thread%s: best COW / rwlock = %.2fx (medians); %.2fx "
            "against rwlock's best run%s%s%s\n", tcounts[t],
            tcounts[t] > 1 ? "s" : "", cmed / mixres[t][0].med,
            cmed / mixres[t][0].best,
            tcounts[t] > 1 ? " (target >= 1.5x: medians " : "",
            tcounts[t] > 1 ? verdict(cmed / mixres[t][0].med, 1.5, 0) : "",
            tcounts[t] > 1 ? (cmed / mixres[t][0].best >= 1.5
                                  ? ", against the best run met)"
                                  : ", against the best run NOT met)")
                           : "");
    }
    out("\n");

    /* 6. what striping fixes: two writers, no readers */
    out("6. Two writers, no readers, %d keys (Mops/s, higher is better)\n",
        READ_KEYS);
    const char *writers[] = { "rwlock", "striped", "hamt" };
    stat5 wres[3];
    {
        double ws[3][REPS];
        for (int rep = 0; rep < REPS; rep++)
            for (int v = 0; v < 3; v++)
                ws[v][rep] = -mix_once(writers[v], &ks, 2, 100);
        for (int v = 0; v < 3; v++) {
            stat5 m = summarize(ws[v], REPS);
            wres[v] = (stat5){ -m.med, -m.best };
            out("   2 writers %-8s %8.2f [%6.2f]\n", writers[v], wres[v].med,
                wres[v].best);
            csv("writers2", writers[v], READ_KEYS, 2, "mops_median",
                wres[v].med);
        }
    }
    out("   striped / rwlock: %.2fx with two writers; striped readers at 2 "
        "threads cost %.2fx naive's (rwlock %.2fx)\n\n",
        wres[1].med / wres[0].med, rd[4][1].med / floor1,
        rd[1][1].med / floor1);

    /* The chapter's closing table, as Markdown. */
    snprintf(path, sizeof path, "%s/ch05-verdict.md", dir);
    FILE *md = fopen(path, "w");
    if (md != NULL) {
        fprintf(md, "| question | the seed | measured here (%s) | target or "
                    "expectation |\n",
                model);
        fprintf(md, "|---|---|---|---|\n");
        for (int t = 0; t < 2; t++)
            fprintf(md, "| read cost / unsynchronised lookup (1 thread), "
                    "%d thread%s | not measured | rwlock %.2fx, cow %.2fx, "
                    "hamt %.2fx | hamt <= 2.0x: %s |\n", t + 1,
                    t ? "s" : "", rd[1][t].med / floor1,
                    rd[2][t].med / floor1, rd[3][t].med / floor1,
                    verdict(rd[3][t].med / floor1, 2.0, 1));
        fprintf(md, "| write cost at 1,000 keys / rwlock in place | COW "
                "writes copy the map | cow %.1fx, hamt %.1fx, hamt in "
                "batches of %d %.1fx | hamt <= 10x: %s |\n",
                w1k_cow / w1k_rw, w1k_h / w1k_rw, BATCH, w1k_hb / w1k_rw,
                verdict(w1k_h / w1k_rw, 10, 1));
        if (nsizes > 1) {
            fprintf(md, "| write cost, %ld keys / %ld keys | not measured "
                    "| cow%s %.0fx, hamt %.1fx, rwlock %.1fx | hamt nearly "
                    "flat |\n", sizes[nsizes - 1], sizes[0],
                    sizes[nsizes - 1] > 10000 ? " (table copy)" : "",
                    wc[nsizes - 1] / wc[0], wh[nsizes - 1] / wh[0],
                    wr[nsizes - 1] / wr[0]);
            fprintf(md, "| hamt write / rwlock write, by size | not "
                    "measured | ");
            for (int z = 0; z < nsizes; z++)
                fprintf(md, "%s%ldK: %.1fx", z ? ", " : "", sizes[z] / 1000,
                        wh[z] / wr[z]);
            fprintf(md, " | stays a small factor |\n");
        }
        fprintf(md, "| one increment at 2 threads | not measured | shared "
                "%.1f ns, per-thread 64 B %.1f ns, 128 B %.1f ns | "
                "per-thread flat |\n", inc[1][1].med, inc[2][1].med,
                inc[3][1].med);
        fprintf(md, "| lock striping (16 shards) | not measured | two "
                "writers %.2fx rwlock's throughput; its readers %.2fx naive "
                "at 2 threads (rwlock %.2fx) | should help writers, not readers |\n",
                wres[1].med / wres[0].med, rd[4][1].med / floor1,
                rd[1][1].med / floor1);
        for (int t = 0; t < ntc; t++) {
            double cmed = mixres[t][1].med > mixres[t][2].med
                              ? mixres[t][1].med : mixres[t][2].med;
            fprintf(md, "| 95%%/5%% mix, %d thread%s: best COW / rwlock | "
                    "rwlock wins, COW 3.5x slower | %.2fx against rwlock's "
                    "best run, %.2fx median to median (rwlock %.2f [best "
                    "%.2f], cow %.2f, hamt %.2f Mops/s) | %s%s |\n",
                    tcounts[t], tcounts[t] > 1 ? "s" : "",
                    cmed / mixres[t][0].best, cmed / mixres[t][0].med,
                    mixres[t][0].med, mixres[t][0].best, mixres[t][1].med,
                    mixres[t][2].med,
                    tcounts[t] == 1 ? "" : ">= 1.5x: medians ",
                    tcounts[t] == 1 ? "(no contention: for reference)"
                    : cmed / mixres[t][0].med < 1.5 ? "NOT met"
                    : cmed / mixres[t][0].best >= 1.5
                        ? "met, also against the best run"
                        : "met; against the best run NOT met");
        }
        fclose(md);
    }
    out("written: %s/ch05-hamt-bench.txt, ch05-hamt-bench.csv, "
        "ch05-verdict.md\n", dir);
    free(order);
    keys_free(&ks);
    fclose(report_f);
    fclose(csv_f);
    return 0;
}
