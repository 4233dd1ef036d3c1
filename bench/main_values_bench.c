/* main_values_bench.c - chapter 8's figures: one write to a big value, persistent vs flat rebuild vs in place.
 * Chapter 8.
 *
 * Does a persistent value make a write to a big collection cheap?
 * Chapter 7's values are immutable and flat, so one LPUSH to a million-item
 * list copies a million items; chapter 8's modules copy one path of a
 * tree.  This program measures what that buys and what it costs, in one
 * run, so the ratios compare figures taken under the same noise:
 *
 *   writes    ns per LPUSH, RPUSH, LPOP, LSET (middle), HSET (new field,
 *             update), SADD, ZADD (new member, new score), XADD, SETBIT
 *   reads     ns per LINDEX (middle), HGET, SISMEMBER, ZSCORE, ZRANK
 *   sizes     1k, 10k, 100k and 1M elements
 *   ways      persistent (chapter 8), flat rebuild (chapter 7), in place
 *   memory    bytes per element of a 1M-element hash, sorted set and
 *             list: the module's count, the heap's growth, and a real
 *             redis-server's MEMORY USAGE of the same collection
 *
 * and checks chapter 8's targets: a persistent write at 1M costs at most
 * 3x the same write at 1k and at most 5x the in-place write at 1M; a point
 * read costs at most 1.5x the flat form's; a 1M-element hash, sorted set
 * and list take no more memory per element than Redis's.
 *
 * Method: values_harness.c (rounds, repeats, the ways taking turns);
 * one file per Redis type (values_<type>.c) with its three ways.  The
 * in-place way is the module's own transient, never frozen: a B+tree or
 * trie edited in place is exactly what a store behind a lock would keep,
 * and running the same nodes, the same elements and the same code paths
 * makes the persistent / in-place ratio the price of persistence alone
 * (the path copy, and releasing the old version), not of a different data
 * structure.  Freed memory stays in the process (mallopt), so that no
 * way's figure depends on when glibc hands pages back to the kernel.
 *
 * Output: the report on stdout and in <dir>/<stem>.md, every figure in
 * <dir>/<stem>.csv, the plots in <dir>/<stem>-writes.svg and
 * <dir>/<stem>-reads.svg.
 *
 * Usage: values-bench [-q] [-o dir] [-s stem] [-n max] [-R]
 *   -q  quick: sizes 1k and 10k, short repeats, no redis (seconds; CI)
 *   -o  output directory (default bench/results; quick: build)
 *   -s  file name stem (default ch08-values; quick: bench-values-quick)
 *   -n  largest size (default 1000000)
 *   -R  skip the redis-server measurement
 */
#include "values_bench.h"

#include "bench.h"
#include "values_flat.h"
#include "values_redis.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* Every type measured, in the order of the tables. */
static const vb_type *const types[] = {
    &vb_list_type,
    &vb_hash_type,
    &vb_set_type,
    &vb_zset_type,
    &vb_stream_type,
    &vb_string_type,
};
enum { NTYPES = sizeof types / sizeof types[0] };

/* What is not measured, and why: the report says so. */
static const char *const missing = NULL;

/* The hypervisor's name from CPUID (leaf 0x40000000), or "" on bare
 * metal: a figure from a virtual CPU is read differently. */
static void hypervisor(char *out, size_t n)
{
    out[0] = '\0';
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    __cpuid(1, a, b, c, d);
    if (!(c & (1u << 31)))
        return;
    __cpuid(0x40000000, a, b, c, d);
    char id[13];
    memcpy(id, &b, 4);
    memcpy(id + 4, &c, 4);
    memcpy(id + 8, &d, 4);
    id[12] = '\0';
    snprintf(out, n, "%s", strncmp(id, "KVMKVMKVM", 9) == 0 ? "KVM"
                           : strncmp(id, "Microsoft Hv", 12) == 0 ? "Hyper-V"
                           : strncmp(id, "VMwareVMware", 12) == 0 ? "VMware"
                                                                   : id);
#endif
}

static void describe_machine(char *out, size_t n)
{
    char model[256], hv[32];
    bench_cpu_model(model, sizeof model);
    hypervisor(hv, sizeof hv);
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct utsname u;
    uname(&u);
    double la[3] = { 0, 0, 0 };
    FILE *lf = fopen("/proc/loadavg", "r");
    if (lf == NULL || fscanf(lf, "%lf %lf %lf", &la[0], &la[1], &la[2]) != 3)
        la[0] = la[1] = la[2] = 0;
    if (lf != NULL)
        fclose(lf);
    snprintf(out, n, "%ld-%sCPU %s%s, %s, %s %s, "
#ifdef __clang__
             "clang " __clang_version__
#else
             "gcc " __VERSION__
#endif
             " -O2; load average %.2f %.2f %.2f at the start%s",
             ncpu, hv[0] ? "v" : "", hv[0] ? hv : "machine",
             hv[0] ? " guest" : "", model, u.sysname, u.release, la[0], la[1],
             la[2], la[1] > 0.5 * (double)ncpu
                        ? " (shared with other work: noisy)" : " (shared)");
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *stem = NULL;
    long max_n = 1000000;
    int quick = 0, no_redis = 0, opt;
    while ((opt = getopt(argc, argv, "qo:s:n:R")) != -1) {
        if (opt == 'q')
            quick = 1;
        else if (opt == 'o')
            dir = optarg;
        else if (opt == 's')
            stem = optarg;
        else if (opt == 'n')
            max_n = atol(optarg);
        else if (opt == 'R')
            no_redis = 1;
        else {
            fprintf(stderr, "usage: values-bench [-q] [-o dir] [-s stem] "
                            "[-n max] [-R]\n");
            return 2;
        }
    }
    if (max_n < 1000) {
        fprintf(stderr, "values-bench: -n %ld: the smallest size is 1000\n",
                max_n);
        return 2;
    }
    if (quick) {
        vb_verify = true; /* CI: check the flat baseline's every round */
        no_redis = 1;
        if (max_n > 10000)
            max_n = 10000;
    }
    if (dir == NULL)
        dir = quick ? "build" : "bench/results";
    if (stem == NULL)
        stem = quick ? "bench-values-quick" : "ch08-values";
    vb_meta meta = { .mode = quick ? "quick" : "full",
                     .reps = quick ? 3 : CELL_REPS,
                     .budget_s = quick ? 0.004 : 0.03,
                     .cap_s = quick ? 0.3 : 3.0,
                     .missing = missing };
    describe_machine(meta.machine, sizeof meta.machine);
    /* Keep freed memory in the process: otherwise whether a flat write's
     * megabytes come back from the heap or as fresh pages from the kernel
     * (a page fault each 4 KiB, charged as CPU time) depends on glibc's
     * trimming heuristics, run by run.  Blocks over 32 MiB are still
     * mmapped (the most glibc allows). */
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    struct timespec w0, w1;
    clock_gettime(CLOCK_MONOTONIC, &w0);

    static vb_cell cells[256];
    int nc = 0;
    for (int t = 0; t < NTYPES; t++)
        for (long n = 1000; n <= max_n; n *= 10) {
            if (nc + types[t]->nops > 256)
                break;
            fprintf(stderr, "values-bench: %s at %ld...\n", types[t]->name, n);
            vb_run_type(types[t], n, meta.reps, meta.budget_s, meta.cap_s,
                        &cells[nc]);
            nc += types[t]->nops;
        }

    /* Memory per element at the largest size, and Redis's figure. */
    vb_mem mem[8];
    int nm = 0;
    char err[512] = "";
    int have_redis = !no_redis && vb_redis_open(err, sizeof err) == 0;
    if (have_redis) {
        char ver[64];
        vb_redis_version(ver, sizeof ver);
        snprintf(meta.redis, sizeof meta.redis, "redis-server %s, default "
                 "configuration, MEMORY USAGE key SAMPLES 0", ver);
    } else {
        snprintf(meta.redis, sizeof meta.redis, "not measured (%s)",
                 no_redis ? (quick ? "quick run" : "-R") : err);
    }
    for (int t = 0; t < NTYPES && nm < 8; t++) {
        if (types[t]->bytes == NULL)
            continue;
        fprintf(stderr, "values-bench: memory of a %s of %ld...\n",
                types[t]->name, max_n);
        vb_measure_memory(types[t], max_n, &mem[nm]);
        if (have_redis) {
            vb_redis_fig fig;
            if (vb_redis_usage(types[t]->name, max_n, &fig, err,
                               sizeof err) != 0) {
                fprintf(stderr, "values-bench: redis %s: %s\n",
                        types[t]->name, err);
                vb_redis_close();
                return 1;
            }
            mem[nm].redis_bytes = fig.bytes;
            snprintf(mem[nm].redis_enc, sizeof mem[nm].redis_enc, "%s",
                     fig.encoding);
        }
        nm++;
    }
    vb_redis_close();
    clock_gettime(CLOCK_MONOTONIC, &w1);
    meta.wall_s = (double)(w1.tv_sec - w0.tv_sec) +
                  (double)(w1.tv_nsec - w0.tv_nsec) * 1e-9;
    if (vb_report(dir, stem, &meta, cells, nc, mem, nm, true) != 0)
        return 1;
    fprintf(stderr, "values-bench: written %s/%s.md, .csv, -writes.svg, "
                    "-reads.svg\n", dir, stem);
    return 0;
}
