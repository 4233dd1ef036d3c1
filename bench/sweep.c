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

/* Header: label, floor ns/op, then "<v> ns/op" and "<v> x floor". */
static bench_table *cmp_table(suite *s, const char *id, const char *title,
                              const char *label)
{
    const char *head[2 + 2 * SUITE_MAXV];
    static char hb[2 * SUITE_MAXV][48];
    head[0] = label;
    head[1] = "floor ns/op";
    for (int v = 0; v < s->nv; v++) {
        snprintf(hb[2 * v], 48, "%s ns/op", s->v[v]->name);
        snprintf(hb[2 * v + 1], 48, "%s x floor", s->v[v]->name);
        head[2 + 2 * v] = hb[2 * v];
        head[3 + 2 * v] = hb[2 * v + 1];
    }
    return suite_table(s, id, title, 2 + 2 * s->nv, head);
}

/* One row of a cmp_table: jobs[0..nv-1] are the variants. */
static int cmp_row(suite *s, bench_table *t, const char *label,
                   const job *jobs, double floor_ns)
{
    char c[2 + 2 * SUITE_MAXV][32];
    const char *cells[2 + 2 * SUITE_MAXV];
    cells[0] = label;
    cells[1] = bench_num(c[1], floor_ns);
    for (int v = 0; v < s->nv; v++) {
        double x = jobs[v].res.ns_per_op;
        cells[2 + 2 * v] = bench_num(c[2 + 2 * v], x);
        cells[3 + 2 * v] = bench_num(c[3 + 2 * v], x / floor_ns);
    }
    return bench_table_add(t, cells);
}

static void note(bench_table *t, const suite *s, const char *what)
{
    snprintf(t->note, sizeof t->note,
             "Clean harness, %s, %.3g s per run, median of %d. ns/op = wall "
             "/ total ops (Go); x floor = ns/op over the naive map's pure-read "
             "ns/op at the same threads.", what, s->p->seconds, s->repeats);
}

/* [ch04-threads] */
static int sweep_threads(suite *s)
{
    bench_table *tr = cmp_table(s, "threads-reads",
                                "Pure reads vs threads", "threads");
    bench_table *tm = cmp_table(s, "threads-mixed",
                                "95% reads vs threads", "threads");
    if (tr == NULL || tm == NULL)
        return -1;
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
        double fl = jobs[2 * nv].res.ns_per_op;
        if (rc == 0)
            rc = cmp_row(s, tr, label, jobs, fl);
        if (rc == 0)
            rc = cmp_row(s, tm, label, jobs + nv, fl);
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
        double fl = jobs[2 * nv].res.ns_per_op;
        if (rc == 0)
            rc = cmp_row(s, t95, label, jobs, fl);
        if (rc == 0)
            rc = cmp_row(s, t999, label, jobs + nv, fl);
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
            rc = cmp_row(s, t, label, jobs, jobs[s->nv].res.ns_per_op);
    }
    prep_free(&pr);
    return rc;
}

/* [ch04-rates] */
static int sweep_rates(suite *s)
{
    const char *head[2 + 4 * SUITE_MAXV];
    static char hb[4 * SUITE_MAXV][48];
    static const char *const col[] = {"read ns/op", "write p50 ns",
                                      "write p99 ns", "writes/s"};
    head[0] = "target writes/s";
    for (int v = 0; v < s->nv; v++)
        for (int k = 0; k < 4; k++) {
            snprintf(hb[4 * v + k], 48, "%s %s", s->v[v]->name, col[k]);
            head[1 + 4 * v + k] = hb[4 * v + k];
        }
    head[1 + 4 * s->nv] = "floor read ns/op";
    bench_table *t = suite_table(s, "rates",
                                 "Full-speed readers and one paced writer",
                                 2 + 4 * s->nv, head);
    if (t == NULL)
        return -1;
    snprintf(t->note, sizeof t->note,
             "Clean harness, %d reader threads at full speed plus one writer "
             "thread overwriting keys at the target rate, 1,000 keys, %.3g s "
             "per run. read ns/op = wall / reads; write latencies from every "
             "write; floor = naive map, the same readers, no writer.",
             s->nproc, s->p->seconds);
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
        char c[2 + 4 * SUITE_MAXV][32];
        const char *cells[2 + 4 * SUITE_MAXV];
        snprintf(c[0], sizeof c[0], "%g", s->p->rates[i]);
        cells[0] = c[0];
        for (int v = 0; v < s->nv; v++) {
            const bench_result *r = &jobs[v].res;
            bool w = s->p->rates[i] > 0;
            cells[1 + 4 * v] = bench_num(c[1 + 4 * v], r->ns_per_op);
            cells[2 + 4 * v] = bench_num(c[2 + 4 * v], w ? r->write_p50 : NAN);
            cells[3 + 4 * v] = bench_num(c[3 + 4 * v], w ? r->write_p99 : NAN);
            cells[4 + 4 * v] = bench_num(c[4 + 4 * v], r->writes_per_s);
        }
        cells[1 + 4 * s->nv] = bench_num(c[1 + 4 * s->nv],
                                         jobs[s->nv].res.ns_per_op);
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
                                       "peak bytes", "peak / bytes"};
    bench_table *t = suite_table(s, "memory", "Memory while writing", 5, head);
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
            char c[5][32];
            const char *cells[5] = {
                s->v[v]->name, bench_num(c[1], (double)n),
                bench_num(c[2], ok ? (double)r->bytes_end : NAN),
                bench_num(c[3], ok ? (double)r->peak_bytes : NAN),
                bench_num(c[4], ok && r->bytes_end
                                    ? (double)r->peak_bytes / r->bytes_end
                                    : NAN)};
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
                                       "shared / per-thread"};
    bench_table *t = suite_table(s, "counters",
                                 "A statistics counter: one shared atomic "
                                 "or one per thread", 4, head);
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
        char c[4][32];
        double a = jobs[0].res.thread_ns, b = jobs[1].res.thread_ns;
        snprintf(c[0], sizeof c[0], "%d", list[i]);
        const char *cells[4] = {c[0], bench_num(c[1], a),
                                bench_num(c[2], b), bench_num(c[3], a / b)};
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
