/* cli.c - the command line of build/bench.
 *
 * Two ways to use it.  With --variant it makes one run and prints one
 * line: the tool for trying a single store, workload and thread count by
 * hand.  Without it, it runs a profile (seed, quick or smoke), prints every
 * table as Markdown and writes the results files.  The code lives here,
 * not in main_bench.c, so that the chapter 4 test can call bench_main()
 * directly and the harness runs under the sanitizers too.
 */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const bench_profile profiles[] = {
    {.name = "seed", .seconds = 3, .warmup = 0.5, .repeats = 5,
     .budget_s = 170, .full = false, .preload_budget = 5,
     .grow_cap = 1000000, .plots = false},
    {.name = "quick", .seconds = 0.04, .warmup = 0.01, .repeats = 5,
     .full = true, .sizes = {10, 100, 1000, 10000, 100000},
     .shares = {50, 80, 90, 95, 99, 99.9, 100, -1},
     .rates = {0, 1, 10, 100, 1000, 10000, 100000, -1},
     .mem_keys = {1000, 100000}, .preload_budget = 2,
     .grow_cap = 1000000, .plots = true},
    {.name = "full", .seconds = 0.5, .warmup = 0.1, .repeats = 3,
     .full = true, .sizes = {10, 100, 1000, 10000, 100000, 1000000},
     .shares = {50, 80, 90, 95, 99, 99.9, 100, -1},
     .rates = {0, 1, 10, 100, 1000, 10000, 100000, -1},
     .mem_keys = {1000, 100000}, .preload_budget = 10,
     .grow_cap = 1000000, .plots = true},
    {.name = "smoke", .seconds = 0.02, .warmup = 0.005, .repeats = 1,
     .full = true, .sizes = {10, 100, 1000}, .shares = {50, 95, 100, -1},
     .rates = {0, 100, -1}, .mem_keys = {1000}, .preload_budget = 0.5,
     .grow_cap = 10000, .plots = false},
};

static void usage(FILE *f)
{
    fprintf(f,
        "usage: bench [--profile seed|quick|full|smoke] [--seconds S] [--repeats N]\n"
        "             [--out DIR] [--stem NAME] [--seed-csv FILE] [--no-plots]\n"
        "             [--variants A,B,...] [--quiet]\n"
        "       bench --variant NAME [--threads T] [--reads PCT] [--keys N]\n"
        "             [--rate W] [--harness seed|clean] [--seconds S]\n"
        "BENCH_SECONDS in the environment sets --seconds.  Variants:");
    for (size_t i = 0; store_variants[i] != NULL; i++)
        fprintf(f, " %s", store_variants[i]->name);
    fputc('\n', f);
}

/* One run of one variant, one line of output. */
static int single(const char *name, int threads, double reads, size_t keys,
                  double rate, bool seed, double seconds, FILE *out)
{
    const store_ops *ops = store_variant(name);
    if (ops == NULL) {
        fprintf(stderr, "bench: no store variant named \"%s\"\n", name);
        return 2;
    }
    if (bench_is_floor(ops) && (threads > 1 || reads < 100 || rate > 0)) {
        fprintf(stderr, "bench: \"%s\" is single-threaded: only --threads 1"
                " or pure reads\n", name);
        return 2;
    }
    char **names = calloc(keys, sizeof *names);
    store *st = store_create(ops);
    double took;
    int rc = names == NULL || st == NULL ? -1
             : bench_preload(st, 0, keys, 1e9, &took);
    for (size_t i = 0; rc == 0 && i < keys; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "key%zu", i);
        if ((names[i] = strdup(buf)) == NULL)
            rc = -1;
    }
    bench_config cfg = {
        .st = st, .threads = threads, .seconds = seconds,
        .warmup = fmin(0.5, seconds / 4), .keys = keys, .read_pct = reads,
        .write_rate = rate, .grow_cap = 1000000, .key_names = names,
        .m = {seed, seed, seed && strncmp(name, "rwlock", 6) != 0},
    };
    bench_result r;
    if (rc == 0)
        rc = bench_run(&cfg, &r);
    if (rc == 0) {
        fprintf(out, "variant=%s threads=%d reads=%g%% keys=%zu rate=%g "
                "harness=%s nproc=%ld\n", name, threads, reads, keys, rate,
                seed ? "seed" : "clean", sysconf(_SC_NPROCESSORS_ONLN));
        fprintf(out, "ns/op=%.4g per-thread-ns/op=%.4g ops/s=%.4g "
                "read-p50=%.0f read-p99=%.0f write-p50=%.0f write-p99=%.0f "
                "writes/s=%.4g keys-end=%zu misses=%llu\n", r.ns_per_op,
                r.thread_ns, r.ops_per_s, r.read_p50, r.read_p99,
                r.write_p50, r.write_p99, r.writes_per_s, r.keys_end,
                (unsigned long long)r.misses);
        fprintf(out, "ops=%llu vcsw=%llu ivcsw=%llu (context switches of "
                "the workers in the timed phase: voluntary, involuntary)\n",
                (unsigned long long)r.ops, (unsigned long long)r.vcsw,
                (unsigned long long)r.ivcsw);
    } else {
        fprintf(stderr, "bench: run failed (out of memory or threads)\n");
    }
    for (size_t i = 0; names != NULL && i < keys; i++)
        free(names[i]);
    free(names);
    store_destroy(st);
    return rc == 0 ? 0 : 1;
}

int bench_main(int argc, char **argv, FILE *out)
{
    bench_profile p = profiles[1];
    const char *dir = "bench/results", *stem = NULL, *variant = NULL;
    const char *seed_csv = "bench/seed-table.csv", *only = NULL;
    double seconds = NAN, reads = 100, rate = 0;
    int threads = 1, repeats = 0;
    size_t keys = 1000;
    bool seed = false, plots = true, quiet = false;
    const char *env = getenv("BENCH_SECONDS");
    if (env != NULL && *env != '\0')
        seconds = atof(env);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = true;
        if (strcmp(a, "--help") == 0) {
            usage(out);
            return 0;
        } else if (strcmp(a, "--no-plots") == 0) {
            plots = false;
            takes = false;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = true;
            takes = false;
        } else if (v == NULL) {
            fprintf(stderr, "bench: %s needs a value\n", a);
            usage(stderr);
            return 2;
        } else if (strcmp(a, "--profile") == 0) {
            size_t k = 0;
            size_t np = sizeof profiles / sizeof profiles[0];
            while (k < np && strcmp(profiles[k].name, v) != 0)
                k++;
            if (k == np) {
                fprintf(stderr, "bench: unknown profile \"%s\"\n", v);
                return 2;
            }
            p = profiles[k];
        } else if (strcmp(a, "--seconds") == 0) {
            seconds = atof(v);
        } else if (strcmp(a, "--repeats") == 0) {
            repeats = atoi(v);
        } else if (strcmp(a, "--out") == 0) {
            dir = v;
        } else if (strcmp(a, "--stem") == 0) {
            stem = v;
        } else if (strcmp(a, "--seed-csv") == 0) {
            seed_csv = v;
        } else if (strcmp(a, "--variants") == 0) {
            only = v;
        } else if (strcmp(a, "--variant") == 0) {
            variant = v;
        } else if (strcmp(a, "--threads") == 0) {
            threads = atoi(v);
        } else if (strcmp(a, "--reads") == 0) {
            reads = atof(v);
        } else if (strcmp(a, "--keys") == 0) {
            keys = (size_t)atol(v);
        } else if (strcmp(a, "--rate") == 0) {
            rate = atof(v);
        } else if (strcmp(a, "--harness") == 0) {
            seed = strcmp(v, "seed") == 0;
        } else {
            fprintf(stderr, "bench: unknown argument \"%s\"\n", a);
            usage(stderr);
            return 2;
        }
        i += takes;
    }
    if (!isnan(seconds) && !(seconds > 0 && seconds <= 3600)) {
        fprintf(stderr, "bench: --seconds must be in (0, 3600]\n");
        return 2;
    }
    if (variant != NULL) {
        if (threads < 1 || threads > 1024 || keys < 1 || reads < 0 ||
            reads > 100 || rate < 0) {
            fprintf(stderr, "bench: need 1 <= threads <= 1024, keys >= 1, "
                    "0 <= reads <= 100, rate >= 0\n");
            return 2;
        }
        return single(variant, threads, reads, keys, rate, seed,
                      isnan(seconds) ? 3 : seconds, out);
    }
    if (!isnan(seconds)) {
        p.seconds = seconds;
        p.warmup = fmin(p.warmup, seconds / 4);
    }
    if (repeats > 0)
        p.repeats = repeats;
    p.plots = p.plots && plots;
    p.seed_csv = seed_csv;
    p.only = only;
    if (p.only != NULL && store_variant("rwlock") != NULL &&
        strstr(p.only, "rwlock") == NULL) {
        fprintf(stderr, "bench: --variants must include rwlock (the seed's "
                "baseline)\n");
        return 2;
    }

    bench_report rep = {0};
    int rc = bench_suite(&p, &rep, quiet ? NULL : stderr);
    char name[300];
    if (stem == NULL) {
        char host[64] = "host", date[16];
        gethostname(host, sizeof host - 1);
        time_t now = time(NULL);
        strftime(date, sizeof date, "%Y-%m-%d", gmtime(&now));
        snprintf(name, sizeof name, "%s-%s-%s", date, host, p.name);
        stem = name;
    }
    if (rc == 0)
        rc = bench_write(&rep, &p, dir, stem, out);
    if (rc == 0) {
        char latest[64];
        snprintf(latest, sizeof latest, "latest-%s", p.name);
        rc = bench_write(&rep, &p, dir, latest, NULL);
        if (!quiet)
            fprintf(stderr, "bench: wrote %s/%s.md and .csv (and %s.*)\n",
                    dir, stem, latest);
    } else {
        fprintf(stderr, "bench: the suite failed (out of memory, or no "
                "thread-safe store variant)\n");
    }
    bench_report_free(&rep);
    return rc == 0 ? 0 : 1;
}
