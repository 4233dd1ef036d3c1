/* sweep.c - the sweeps that test the seed's claims one knob at a time.
 *
 * All sweeps use the clean harness (keys built before the clock starts, a
 * fixed key set, no shared counter), so what changes from row to row is the
 * knob and nothing else: threads, dataset size, read share, write rate.
 * Stores are loaded once per dataset size and reused across rows: clean
 * writes overwrite existing keys, so the size stays what the row says.
 * Every row also runs the naive map, reads only, as the floor: what a
 * lookup costs with no synchronization at all.
 */
#include "suite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Stores of every variant (and the floor) loaded with the same keys. */
typedef struct prep {
    store *st[SUITE_MAXV];
    double load_s[SUITE_MAXV];
    store *floor;
} prep;

static void prep_free(prep *pr)
{
    for (int v = 0; v < SUITE_MAXV; v++)
        store_destroy(pr->st[v]);
    store_destroy(pr->floor);
    memset(pr, 0, sizeof *pr);
}

static int prep_make(suite *s, prep *pr, size_t n)
{
    memset(pr, 0, sizeof *pr);
    if (suite_names(s, n) != 0)
        return -1;
    double took;
    for (int v = 0; v < s->nv; v++) {
        /* Once a load ran out of budget, larger ones are not tried. */
        if (s->gave_up_at[v] != 0 && n >= s->gave_up_at[v]) {
            pr->load_s[v] = NAN;
            continue;
        }
        pr->st[v] = suite_prepared(s, s->v[v], n, &took);
        pr->load_s[v] = pr->st[v] != NULL ? took : NAN;
        if (pr->st[v] == NULL) {
            s->gave_up_at[v] = n;
            if (s->log != NULL)
                fprintf(s->log, "\nbench: %s: loading %zu keys one set() at "
                        "a time gave up after %.3g s\n", s->v[v]->name, n,
                        took);
        }
    }
    if (s->floor != NULL)
        pr->floor = suite_prepared(s, s->floor, n, &took);
    return 0;
}

static job prep_job(suite *s, const prep *pr, int v, int threads, size_t n,
                    double read_pct)
{
    job j = {.ops = v < 0 ? s->floor : s->v[v]};
    j.st = v < 0 ? pr->floor : pr->st[v];
    j.skip = j.st == NULL;
    j.cfg = suite_config(s, threads, n, read_pct);
    return j;
}

/* The index of the rwlock variant (the seed's baseline), or -1. */
static int rwlock_index(const suite *s)
{
    for (int v = 0; v < s->nv; v++)
        if (strcmp(s->v[v]->name, "rwlock") == 0)
            return v;
    return -1;
}

/* Header: label, floor ns/op, then per variant "<v> ns/op" (the median
 * run), "<v> x floor" and, except for rwlock itself, "<v> / rwlock": the
 * last two are ranges of per-repeat ratios (suite_ratio_range()). */
static bench_table *cmp_table(suite *s, const char *id, const char *title,
                              const char *label)
{
    const char *head[2 + 3 * SUITE_MAXV];
    static char hb[3 * SUITE_MAXV][48];
    int n = 0, rw = rwlock_index(s);
    head[n++] = label;
    head[n++] = "floor ns/op";
    for (int v = 0; v < s->nv; v++) {
        snprintf(hb[3 * v], 48, "%s ns/op", s->v[v]->name);
        snprintf(hb[3 * v + 1], 48, "%s x floor", s->v[v]->name);
        snprintf(hb[3 * v + 2], 48, "%s / rwlock", s->v[v]->name);
        head[n++] = hb[3 * v];
        head[n++] = hb[3 * v + 1];
        if (rw >= 0 && v != rw)
            head[n++] = hb[3 * v + 2];
    }
    return suite_table(s, id, title, n, head);
}

/* One row of a cmp_table: jobs[0..nv-1] are the variants, fl the floor. */
static int cmp_row(suite *s, bench_table *t, const char *label,
                   const job *jobs, const job *fl)
{
    char c[2 + 3 * SUITE_MAXV][48];
    const char *cells[2 + 3 * SUITE_MAXV];
    int n = 0, rw = rwlock_index(s);
    cells[n] = label;
    n++;
    cells[n] = bench_num(c[n], fl->skip ? NAN : fl->res.ns_per_op);
    n++;
    for (int v = 0; v < s->nv; v++) {
        cells[n] = bench_num(c[n], jobs[v].res.ns_per_op);
        n++;
        cells[n] = suite_range_cell(c[n], &jobs[v], fl);
        n++;
        if (rw >= 0 && v != rw) {
            cells[n] = suite_range_cell(c[n], &jobs[v], &jobs[rw]);
            n++;
        }
    }
    return bench_table_add(t, cells);
}

static void note(bench_table *t, const suite *s, const char *what)
{
    snprintf(t->note, sizeof t->note,
             "Clean harness, %s, %.3g s per run, median of %d interleaved "
             "runs. ns/op = wall / total ops (Go). x floor and / rwlock are "
             "ranges, min\u2013max over the repeats of the ratio of two runs "
             "of the same round (floor = the naive map's pure reads at the "
             "same threads).", what, s->p->seconds, s->repeats);
}

/* Context switches per 1,000 operations of a job, median over repeats:
 * voluntary (the thread slept: a futex wait) or involuntary (preempted). */
static double csw_per_kop(const job *j, bool voluntary)
{
    double v[SUITE_MAXR];
    for (int r = 0; r < j->nruns; r++) {
        const bench_result *b = &j->runs[r];
        v[r] = b->ops == 0 || j->skip ? NAN
               : 1000.0 * (double)(voluntary ? b->vcsw : b->ivcsw)
                     / (double)b->ops;
    }
    return bench_median(v, (size_t)j->nruns);
}

/* The switch counts of one row of the 95% thread sweep. */
static int csw_row(suite *s, bench_table *t, const char *label,
                   const job *jobs)
{
    char c[1 + 2 * SUITE_MAXV][32];
    const char *cells[1 + 2 * SUITE_MAXV] = {label};
    for (int v = 0; v < s->nv; v++) {
        cells[1 + 2 * v] = bench_num(c[1 + 2 * v], csw_per_kop(&jobs[v], true));
        cells[2 + 2 * v] = bench_num(c[2 + 2 * v],
                                     csw_per_kop(&jobs[v], false));
    }
    return bench_table_add(t, cells);
}

/* [ch04-threads] */
static int sweep_threads(suite *s)
{
    bench_table *tr = cmp_table(s, "threads-reads",
                                "Pure reads vs threads", "threads");
    bench_table *tm = cmp_table(s, "threads-mixed",
                                "95% reads vs threads", "threads");
    const char *head[1 + 2 * SUITE_MAXV];
    static char hb[2 * SUITE_MAXV][48];
    head[0] = "threads";
    for (int v = 0; v < s->nv; v++) {
        snprintf(hb[2 * v], 48, "%s vcsw/kop", s->v[v]->name);
        snprintf(hb[2 * v + 1], 48, "%s ivcsw/kop", s->v[v]->name);
        head[1 + 2 * v] = hb[2 * v];
        head[2 + 2 * v] = hb[2 * v + 1];
    }
    bench_table *tc = suite_table(s, "csw-mixed", "Context switches, 95% "
                                  "reads vs threads", 1 + 2 * s->nv, head);
    if (tr == NULL || tm == NULL || tc == NULL)
        return -1;
    snprintf(tc->note, sizeof tc->note,
             "The runs of the table above: context switches of all worker "
             "threads in the timed phase per 1,000 operations (getrusage "
             "RUSAGE_THREAD), median of %d. vcsw = voluntary: the thread "
             "slept, which a worker only does when a lock sends it to wait "
             "in the kernel (futex); ivcsw = involuntary: the kernel took "
             "its CPU away (preemption, time slice over).", s->repeats);
    note(tr, s, "1,000 keys, 100% reads");
    note(tm, s, "1,000 keys, 95% reads (every 20th op overwrites a key)");
    prep pr;
    if (prep_make(s, &pr, 1000) != 0)
        return -1;
    int list[16], nt = 0;
    for (int t = 1; t <= s->nproc && nt < 12; t = t < 8 ? t + 1 : 2 * t)
        list[nt++] = t;
    if (list[nt - 1] != s->nproc)
        list[nt++] = s->nproc;
    list[nt++] = 2 * s->nproc; /* oversubscribed: more threads than CPUs */
    int rc = 0;
    for (int i = 0; i < nt && rc == 0; i++) {
        job jobs[2 * SUITE_MAXV + 1];
        int nv = s->nv;
        for (int v = 0; v < nv; v++) {
            jobs[v] = prep_job(s, &pr, v, list[i], 1000, 100);
            jobs[nv + v] = prep_job(s, &pr, v, list[i], 1000, 95);
        }
        jobs[2 * nv] = prep_job(s, &pr, -1, list[i], 1000, 100);
        rc = suite_run_jobs(s, jobs, 2 * nv + 1);
        char label[16];
        snprintf(label, sizeof label, "%d", list[i]);
        if (rc == 0)
            rc = cmp_row(s, tr, label, jobs, &jobs[2 * nv]);
        if (rc == 0)
            rc = cmp_row(s, tm, label, jobs + nv, &jobs[2 * nv]);
        if (rc == 0)
            rc = csw_row(s, tc, label, jobs + nv);
    }
    prep_free(&pr);
    return rc;
}
/* [ch04-threads] */

static int sweep_sizes(suite *s)
{
    bench_table *t95 = cmp_table(s, "sizes-95",
                                 "95% reads vs dataset size", "keys");
    bench_table *t999 = cmp_table(s, "sizes-999",
                                  "99.9% reads vs dataset size", "keys");
    const char *head[1 + SUITE_MAXV];
    char hb[SUITE_MAXV][48];
    head[0] = "keys";
    for (int v = 0; v < s->nv; v++) {
        snprintf(hb[v], 48, "%s load s", s->v[v]->name);
        head[1 + v] = hb[v];
    }
    bench_table *tl = suite_table(s, "load",
                                  "Loading the dataset one set() at a time",
                                  1 + s->nv, head);
    if (t95 == NULL || t999 == NULL || tl == NULL)
        return -1;
    char what[64];
    snprintf(what, sizeof what, "T = %d, 95%% reads", s->nproc);
    note(t95, s, what);
    snprintf(what, sizeof what, "T = %d, 99.9%% reads", s->nproc);
    note(t999, s, what);
    snprintf(tl->note, sizeof tl->note,
             "Seconds to insert the keys one store_set() at a time into an "
             "empty store; n/a = gave up after %.3g s (the variant is left "
             "out of that size).", s->p->preload_budget);
    int rc = 0;
    for (int i = 0; s->p->sizes[i] != 0 && rc == 0; i++) {
        size_t n = s->p->sizes[i];
        prep pr;
        if (prep_make(s, &pr, n) != 0)
            return -1;
        job jobs[2 * SUITE_MAXV + 1];
        int nv = s->nv;
        for (int v = 0; v < nv; v++) {
            jobs[v] = prep_job(s, &pr, v, s->nproc, n, 95);
            jobs[nv + v] = prep_job(s, &pr, v, s->nproc, n, 99.9);
        }
        jobs[2 * nv] = prep_job(s, &pr, -1, s->nproc, n, 100);
        rc = suite_run_jobs(s, jobs, 2 * nv + 1);
        char label[24], c[1 + SUITE_MAXV][32];
        snprintf(label, sizeof label, "%zu", n);
        if (rc == 0)
            rc = cmp_row(s, t95, label, jobs, &jobs[2 * nv]);
        if (rc == 0)
            rc = cmp_row(s, t999, label, jobs + nv, &jobs[2 * nv]);
        const char *cells[1 + SUITE_MAXV] = {label};
        for (int v = 0; v < nv; v++)
            cells[1 + v] = bench_num(c[1 + v], pr.load_s[v]);
        if (rc == 0)
            rc = bench_table_add(tl, cells);
        prep_free(&pr);
    }
    return rc;
}

static int sweep_shares(suite *s)
{
    bench_table *t = cmp_table(s, "shares", "ns/op vs read share", "read %");
    if (t == NULL)
        return -1;
    char what[64];
    snprintf(what, sizeof what, "T = %d, 1,000 keys", s->nproc);
    note(t, s, what);
    prep pr;
    if (prep_make(s, &pr, 1000) != 0)
        return -1;
    int rc = 0;
    for (int i = 0; s->p->shares[i] >= 0 && rc == 0; i++) {
        job jobs[SUITE_MAXV + 1];
        for (int v = 0; v < s->nv; v++)
            jobs[v] = prep_job(s, &pr, v, s->nproc, 1000, s->p->shares[i]);
        jobs[s->nv] = prep_job(s, &pr, -1, s->nproc, 1000, 100);
        rc = suite_run_jobs(s, jobs, s->nv + 1);
        char label[24];
        snprintf(label, sizeof label, "%g", s->p->shares[i]);
        if (rc == 0)
            rc = cmp_row(s, t, label, jobs, &jobs[s->nv]);
    }
    prep_free(&pr);
    return rc;
}

/* [ch04-rates] */
static int sweep_rates(suite *s)
{
    const char *head[2 + 5 * SUITE_MAXV];
    static char hb[5 * SUITE_MAXV][48];
    static const char *const col[] = {"read ns/op", "read / rwlock",
                                      "write p50 ns", "write p99 ns",
                                      "writes/s"};
    int n = 0, rw = rwlock_index(s);
    head[n++] = "target writes/s";
    for (int v = 0; v < s->nv; v++)
        for (int k = 0; k < 5; k++) {
            if (k == 1 && (rw < 0 || v == rw))
                continue; /* rwlock over itself */
            snprintf(hb[5 * v + k], 48, "%s %s", s->v[v]->name, col[k]);
            head[n++] = hb[5 * v + k];
        }
    head[n++] = "floor read ns/op";
    bench_table *t = suite_table(s, "rates",
                                 "Full-speed readers and one paced writer",
                                 n, head);
    if (t == NULL)
        return -1;
    snprintf(t->note, sizeof t->note,
             "Clean harness, %d reader threads at full speed plus one writer "
             "thread overwriting keys at the target rate, 1,000 keys, %.3g s "
             "per run, median of %d. read ns/op = wall / reads; read / rwlock "
             "= range of the per-repeat ratio; write latencies from every "
             "write; floor = naive map, the same readers, no writer.",
             s->nproc, s->p->seconds, s->repeats);
    prep pr;
    if (prep_make(s, &pr, 1000) != 0)
        return -1;
    int rc = 0;
    for (int i = 0; s->p->rates[i] >= 0 && rc == 0; i++) {
        job jobs[SUITE_MAXV + 1];
        for (int v = 0; v < s->nv; v++) {
            jobs[v] = prep_job(s, &pr, v, s->nproc, 1000, 100);
            jobs[v].cfg.write_rate = s->p->rates[i];
        }
        jobs[s->nv] = prep_job(s, &pr, -1, s->nproc, 1000, 100);
        rc = suite_run_jobs(s, jobs, s->nv + 1);
        char c[2 + 5 * SUITE_MAXV][48];
        const char *cells[2 + 5 * SUITE_MAXV];
        n = 0;
        snprintf(c[n], sizeof c[n], "%g", s->p->rates[i]);
        cells[n] = c[n];
        n++;
        for (int v = 0; v < s->nv; v++) {
            const bench_result *r = &jobs[v].res;
            bool w = s->p->rates[i] > 0;
            cells[n] = bench_num(c[n], r->ns_per_op);
            n++;
            if (rw >= 0 && v != rw) {
                cells[n] = suite_range_cell(c[n], &jobs[v], &jobs[rw]);
                n++;
            }
            cells[n] = bench_num(c[n], w ? r->write_p50 : NAN);
            n++;
            cells[n] = bench_num(c[n], w ? r->write_p99 : NAN);
            n++;
            cells[n] = bench_num(c[n], r->writes_per_s);
            n++;
        }
        cells[n] = bench_num(c[n], jobs[s->nv].res.ns_per_op);
        if (rc == 0)
            rc = bench_table_add(t, cells);
    }
    prep_free(&pr);
    return rc;
}
/* [ch04-rates] */

static int sweep_memory(suite *s)
{
    static const char *const head[] = {"variant", "keys", "bytes",
                                       "peak bytes", "peak / bytes",
                                       "peak / bytes range"};
    bench_table *t = suite_table(s, "memory", "Memory while writing", 6, head);
    if (t == NULL)
        return -1;
    snprintf(t->note, sizeof t->note,
             "store_stats() after loading the keys and then overwriting them "
             "from one thread for %.3g s: bytes held at the end, and the most "
             "held at once since the store was created.", s->p->seconds);
    int rc = 0;
    for (int i = 0; s->p->mem_keys[i] != 0 && rc == 0; i++) {
        size_t n = s->p->mem_keys[i];
        prep pr;
        if (prep_make(s, &pr, n) != 0)
            return -1;
        job jobs[SUITE_MAXV];
        for (int v = 0; v < s->nv; v++)
            jobs[v] = prep_job(s, &pr, v, 1, n, 0);
        rc = suite_run_jobs(s, jobs, s->nv);
        for (int v = 0; v < s->nv && rc == 0; v++) {
            const bench_result *r = &jobs[v].res;
            bool ok = !jobs[v].skip;
            /* Each repeat's peak (since the store was made) over its
             * final bytes. */
            double lo = NAN, hi = NAN;
            for (int k = 0; ok && k < jobs[v].nruns; k++) {
                const bench_result *q = &jobs[v].runs[k];
                double x = q->bytes_end ? (double)q->peak_bytes
                                              / (double)q->bytes_end : NAN;
                lo = isnan(lo) || x < lo ? x : lo;
                hi = isnan(hi) || x > hi ? x : hi;
            }
            char c[6][48];
            suite_range_fmt(c[5], lo, hi);
            const char *cells[6] = {
                s->v[v]->name, bench_num(c[1], (double)n),
                bench_num(c[2], ok ? (double)r->bytes_end : NAN),
                bench_num(c[3], ok ? (double)r->peak_bytes : NAN),
                bench_num(c[4], ok && r->bytes_end
                                    ? (double)r->peak_bytes / r->bytes_end
                                    : NAN), c[5]};
            rc = bench_table_add(t, cells);
        }
        prep_free(&pr);
    }
    return rc;
}

static int sweep_counters(suite *s)
{
    static const char *const head[] = {"threads", "shared ns/op per thread",
                                       "per-thread ns/op per thread",
                                       "shared / per-thread",
                                       "shared / per-thread range"};
    bench_table *t = suite_table(s, "counters",
                                 "A statistics counter: one shared atomic "
                                 "or one per thread", 5, head);
    if (t == NULL)
        return -1;
    snprintf(t->note, sizeof t->note,
             "Every thread does relaxed fetch_add in a loop, %.3g s; the cost "
             "one increment has for the thread doing it (threads x wall / "
             "ops).", s->p->seconds);
    int list[2] = {1, s->nproc};
    for (int i = 0; i < (s->nproc > 1 ? 2 : 1); i++) {
        job jobs[2];
        for (int k = 0; k < 2; k++) {
            jobs[k] = (job){.ops = s->v[0], .st = NULL, .skip = false};
            jobs[k].cfg = suite_config(s, list[i], 1, 100);
            jobs[k].cfg.kind = k == 0 ? BENCH_COUNTER_SHARED
                                      : BENCH_COUNTER_PRIVATE;
        }
        if (suite_run_jobs(s, jobs, 2) != 0)
            return -1;
        char c[5][48];
        double a = jobs[0].res.thread_ns, b = jobs[1].res.thread_ns;
        snprintf(c[0], sizeof c[0], "%d", list[i]);
        const char *cells[5] = {c[0], bench_num(c[1], a),
                                bench_num(c[2], b), bench_num(c[3], a / b),
                                suite_range_cell(c[4], &jobs[0], &jobs[1])};
        if (bench_table_add(t, cells) != 0)
            return -1;
    }
    return 0;
}

int suite_sweeps(suite *s)
{
    if (s->nv == 0)
        return -1;
    int rc = sweep_threads(s);
    if (rc == 0)
        rc = sweep_sizes(s);
    if (rc == 0)
        rc = sweep_shares(s);
    if (rc == 0)
        rc = sweep_rates(s);
    if (rc == 0)
        rc = sweep_memory(s);
    if (rc == 0)
        rc = sweep_counters(s);
    return rc;
}
