/* main_check_consistency.c - build/check-consistency: runs of the consistency checker over seeds.
 * Chapter 12.
 *
 * A thin command line around cc_run(): each seed is one run (a master, the
 * replica, the workload in batches, a fault after each batch, a comparison
 * after each fault); the program prints what each run did and a summary
 * line, and exits 1 when any run found a difference or could not be
 * carried out, 2 on a bad command line.  `--faults list` prints the faults.
 */
#include "cc_dump.h"
#include "cc_run.h"
#include "cc_workload.h"
#include "check_diff.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: check-consistency [--seed N] [--seeds K] [--ops N] [--batch N]\n"
            "                         [--faults a,b,c | --faults list] [--store NAME]\n"
            "                         [--no-big] [--replica PATH] [--quiet]\n"
            "  --seed N      the first seed (default 1)\n"
            "  --seeds K     run seeds N..N+K-1 (default 1)\n"
            "  --ops N       commands per run (default 3000)\n"
            "  --batch N     commands between faults (default ops/10)\n"
            "  --faults L    the faults to cycle through, by name (default all);\n"
            "                'list' prints them, 'none' runs without faults\n"
            "  --store NAME  the replica's store (default its own)\n"
            "  --no-big      no big values or collections\n"
            "  --replica P   the replica program (default build/replica)\n"
            "  --quiet       only the per-seed figures and the summary\n"
            "  --compare P,Q compare the servers on ports P and Q (P the\n"
            "                master's side) and exit: no run\n");
}

static int bad(const char *flag, const char *why, const char *val)
{
    fprintf(stderr, "check-consistency: %s: %s%s%s%s\n", flag, why, val ? " '" : "",
            val ? val : "", val ? "'" : "");
    usage(stderr);
    return 2;
}

/* A whole decimal number in [min, max]. */
static int number(const char *s, unsigned long long min, unsigned long long max,
                  unsigned long long *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno || v < min || v > max)
        return -1;
    *out = v;
    return 0;
}

static void print_diff(const check_key *m, const check_key *r, check_verdict v,
                       const char *why, void *arg)
{
    (void)m;
    (void)r;
    (void)v;
    size_t *n = arg;
    if ((*n)++ < 50)
        printf("DIFFERENCE %s\n", why);
}

/* --compare P,Q: one comparison of two running servers. */
static int compare_ports(const char *val, long long tol)
{
    unsigned p, q;
    char tail;
    if (sscanf(val, "%u,%u%c", &p, &q, &tail) != 2 || p == 0 || p > 65535 || q == 0 ||
        q > 65535)
        return bad("--compare", "not two ports P,Q", val);
    cc_dump a, b;
    char err[1024];
    if (cc_dump_read((int)p, 16, &a, err, sizeof err) != 0) {
        fprintf(stderr, "check-consistency: %s\n", err);
        return 1;
    }
    if (cc_dump_read((int)q, 16, &b, err, sizeof err) != 0) {
        fprintf(stderr, "check-consistency: %s\n", err);
        cc_dump_free(&a);
        return 1;
    }
    size_t n = 0;
    size_t nd = check_keys_diff(a.keys, a.n, b.keys, b.n, tol, print_diff, &n);
    printf("check-consistency: ports %u and %u: %zu and %zu keys, %zu differences\n", p, q,
           a.n, b.n, nd);
    cc_dump_free(&a);
    cc_dump_free(&b);
    return nd ? 1 : 0;
}

static const cc_fault *fault_named(const char *name, size_t len)
{
    for (const cc_fault *f = cc_faults; f->name; f++)
        if (strlen(f->name) == len && memcmp(f->name, name, len) == 0)
            return f;
    return NULL;
}

int main(int argc, char **argv)
{
    cc_run_opts o;
    cc_run_opts_default(&o);
    unsigned long long seed = 1, seeds = 1, v;
    int quiet = 0;
    cc_fault chosen[CC_FAULTS_MAX];
    size_t nchosen = 0;
    int faults_given = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        int takes = 1;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--quiet")) {
            quiet = 1;
            takes = 0;
        } else if (!strcmp(a, "--no-big")) {
            o.big = 0;
            takes = 0;
        } else if (!val) {
            return bad(a, strncmp(a, "--", 2) ? "not a flag" : "needs a value", NULL);
        } else if (!strcmp(a, "--seed")) {
            if (number(val, 0, UINT64_MAX, &seed) != 0)
                return bad(a, "not a number", val);
        } else if (!strcmp(a, "--seeds")) {
            if (number(val, 1, 1000000, &seeds) != 0)
                return bad(a, "not a number from 1 to 1000000", val);
        } else if (!strcmp(a, "--ops")) {
            if (number(val, 1, 100000000, &v) != 0)
                return bad(a, "not a number from 1 to 100000000", val);
            o.ops = (size_t)v;
        } else if (!strcmp(a, "--batch")) {
            if (number(val, 1, 100000000, &v) != 0)
                return bad(a, "not a number from 1 to 100000000", val);
            o.batch = (size_t)v;
        } else if (!strcmp(a, "--compare")) {
            return compare_ports(val, o.ttl_tol_ms);
        } else if (!strcmp(a, "--store")) {
            o.store = val;
        } else if (!strcmp(a, "--replica")) {
            o.replica_path = val;
        } else if (!strcmp(a, "--faults")) {
            faults_given = 1;
            nchosen = 0;
            if (!strcmp(val, "list")) {
                for (const cc_fault *f = cc_faults; f->name; f++)
                    printf("%-20s %s\n", f->name, f->what);
                return 0;
            }
            if (strcmp(val, "none") != 0) {
                const char *p = val;
                for (;;) {
                    const char *c = strchr(p, ',');
                    size_t len = c ? (size_t)(c - p) : strlen(p);
                    const cc_fault *f = fault_named(p, len);
                    if (!f) {
                        char name[64];
                        snprintf(name, sizeof name, "%.*s", (int)(len < 60 ? len : 60), p);
                        return bad(a, "no fault named (try --faults list)", name);
                    }
                    if (nchosen == CC_FAULTS_MAX)
                        return bad(a, "too many faults", val);
                    chosen[nchosen++] = *f;
                    if (!c)
                        break;
                    p = c + 1;
                }
            }
        } else {
            return bad(a, "unknown flag", NULL);
        }
        i += takes;
    }
    if (faults_given) {
        o.faults = chosen;
        o.nfaults = nchosen;
    }
    const cc_fault *list = o.faults ? o.faults : cc_faults;
    size_t nlist = o.faults ? o.nfaults : 0;
    if (!o.faults)
        while (cc_faults[nlist].name)
            nlist++;

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t tot_ops = 0, tot_faults = 0, tot_full = 0, tot_part = 0, tot_keys = 0,
           tot_diff = 0, tot_redis = 0, failed = 0;
    for (unsigned long long s = seed; s < seed + seeds; s++) {
        o.seed = s;
        o.log = quiet ? NULL : stdout;
        cc_report rep;
        char err[2048];
        printf("seed %llu: %zu ops, batch %zu, %zu fault kind%s\n", s, o.ops,
               o.batch ? o.batch : (o.ops / 10 ? o.ops / 10 : 1), nlist,
               nlist == 1 ? "" : "s");
        fflush(stdout);
        int rc = cc_run(&o, &rep, err, sizeof err);
        cc_report_print(&rep, stdout);
        printf("  faults by name:");
        for (size_t i = 0; i < nlist; i++)
            printf(" %s %zu%s", list[i].name, rep.fault_counts[i], i + 1 < nlist ? "," : "");
        printf("\n");
        if (rep.errors_unexpected)
            printf("  warning: %zu unexpected error replies (a workload bug)\n",
                   rep.errors_unexpected);
        if (rc != 0) {
            printf("  FAILED: %s\n", err);
            failed++;
        } else if (rep.differences) {
            printf("  FAILED: %zu difference%s (reproduce: check-consistency --seed %llu "
                   "--ops %zu --batch %zu%s%s%s)\n", rep.differences,
                   rep.differences == 1 ? "" : "s", s, o.ops,
                   o.batch ? o.batch : (o.ops / 10 ? o.ops / 10 : 1),
                   o.big ? "" : " --no-big", o.store ? " --store " : "",
                   o.store ? o.store : "");
        }
        fflush(stdout);
        tot_ops += rep.ops;
        tot_faults += rep.faults;
        tot_full += rep.full_syncs;
        tot_part += rep.partial_ok;
        tot_keys += rep.keys_compared;
        tot_diff += rep.differences;
        tot_redis += rep.redis_divergences;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("check-consistency: %llu seeds, %zu ops, %zu faults, %zu full and %zu partial "
           "resyncs, %zu keys compared, %zu differences%s (%zu Redis divergences, "
           "%.1f s)\n", seeds, tot_ops, tot_faults, tot_full, tot_part, tot_keys,
           tot_diff, failed ? ", FAILED runs" : "", tot_redis, secs);
    if (failed)
        printf("check-consistency: %zu run%s could not be carried out\n", failed,
               failed == 1 ? "" : "s");
    return failed || tot_diff ? 1 : 0;
}
