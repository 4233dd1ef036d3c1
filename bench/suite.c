/* suite.c - the seed's table, every variant under the seed's harness, and
 * the ablation that takes the seed's harness apart.
 *
 * The seed table compares "rwlock" (the writer-preferring lock, as Go's
 * sync.RWMutex) with "cow" (atomic copy-on-write, as atomic.Value) at the
 * seed's settings: T = online CPUs (GOMAXPROCS), 1,000 keys, key strings
 * formatted with snprintf() inside the loop, writes that insert a new key
 * every time, and a shared read counter on the copy-on-write side only,
 * because only the seed's atomic.Value store had one.  The ablation then
 * starts from a clean harness and switches those three factors on one at a
 * time, to show how much of the seed's result each one made.
 */
#include "suite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* [ch04-seed-method] */
/* The seed's harness, as its Go benchmarks did it. */
static const bench_method SEED = {
    .format_keys = true,    /* fmt.Sprintf("key%d", i%1000) per operation */
    .growing_keys = true,   /* every write a new key: the map keeps growing */
    .shared_counter = true, /* atomic.Value's Get bumped one shared counter */
};
/* A harness that measures the store: keys built before the clock starts,
 * writes overwrite existing keys, nothing shared but the store. */
static const bench_method CLEAN = {false, false, false};
/* [ch04-seed-method] */

/* A variant this suite runs (see --variants), or NULL. */
static const store_ops *find(const suite *s, const char *name)
{
    for (int v = 0; v < s->nv; v++)
        if (strcmp(s->v[v]->name, name) == 0)
            return s->v[v];
    return NULL;
}

/* Whether name is in the comma-separated list (NULL: every name). */
static bool listed(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = list; p != NULL; p = strchr(p, ',')) {
        p += *p == ',';
        if (strncmp(p, name, n) == 0 && (p[n] == ',' || p[n] == '\0'))
            return true;
    }
    return list == NULL;
}

/* The seed's atomic.Value store counted reads; its RWMutex store did not.
 * Here the counter goes with every store that is not lock-based. */
static bool seed_counts_reads(const store_ops *ops)
{
    return strncmp(ops->name, "rwlock", 6) != 0 &&
           strcmp(ops->name, "striped") != 0 && !bench_is_floor(ops);
}

int suite_names(suite *s, size_t n)
{
    if (n <= s->nnames)
        return 0;
    char **names = realloc(s->names, n * sizeof *names);
    if (names == NULL)
        return -1;
    s->names = names;
    for (size_t i = s->nnames; i < n; i++) {
        char buf[32];
        snprintf(buf, sizeof buf, "key%zu", i);
        if ((names[i] = strdup(buf)) == NULL)
            return -1;
        s->nnames = i + 1;
    }
    return 0;
}

bench_config suite_config(const suite *s, int threads, size_t keys,
                          double read_pct)
{
    return (bench_config){
        .kind = BENCH_STORE,
        .threads = threads,
        .seconds = s->p->seconds,
        .warmup = s->p->warmup,
        .keys = keys,
        .read_pct = read_pct,
        .m = CLEAN,
        .grow_cap = s->p->grow_cap,
        .key_names = s->names,
    };
}

store *suite_prepared(suite *s, const store_ops *ops, size_t n,
                      double *took_s)
{
    *took_s = 0;
    store *st = store_create(ops);
    if (st == NULL)
        return NULL;
    if (bench_preload(st, 0, n, s->p->preload_budget, took_s) != 0) {
        store_destroy(st);
        return NULL;
    }
    return st;
}

static int cmp_res(const void *a, const void *b)
{
    double x = ((const bench_result *)a)->ns_per_op;
    double y = ((const bench_result *)b)->ns_per_op;
    if (isnan(x) || isnan(y))
        return isnan(x) - isnan(y);
    return x < y ? -1 : x > y;
}

int suite_run_jobs(suite *s, job *jobs, int n)
{
    int R = s->repeats;
    bench_result *all = calloc((size_t)(n * R), sizeof *all);
    if (all == NULL)
        return -1;
    for (int r = 0; r < R; r++) {
        for (int j = 0; j < n; j++) {
            job *jb = &jobs[j];
            if (jb->skip)
                continue;
            store *st = jb->st;
            double took;
            if (st == NULL &&
                (st = suite_prepared(s, jb->ops, jb->preload, &took)) == NULL) {
                jb->skip = true;
                if (s->log != NULL)
                    fprintf(s->log, "\nbench: %s: could not load %zu keys\n",
                            jb->ops->name, jb->preload);
                continue;
            }
            bench_config cfg = jb->cfg;
            cfg.st = st;
            if (bench_run(&cfg, &all[j * R + r]) != 0) {
                jb->skip = true;
                if (s->log != NULL)
                    fprintf(s->log, "\nbench: %s: a run failed (no memory or "
                            "no threads)\n", jb->ops->name);
            }
            if (st != jb->st)
                store_destroy(st);
            if (s->log != NULL) {
                fputc('.', s->log);
                fflush(s->log);
            }
        }
    }
    for (int j = 0; j < n; j++) {
        bench_result *rs = &all[j * R];
        /* Keep the repeats in the order they ran (for per-repeat ratios),
         * then sort a copy of them for the median. */
        jobs[j].nruns = R < SUITE_MAXR ? R : SUITE_MAXR;
        memcpy(jobs[j].runs, rs, (size_t)jobs[j].nruns * sizeof *rs);
        for (int r = 0; jobs[j].skip && r < jobs[j].nruns; r++)
            jobs[j].runs[r].ns_per_op = NAN;
        qsort(rs, (size_t)R, sizeof *rs, cmp_res);
        jobs[j].res = rs[(R - 1) / 2];
        if (jobs[j].skip)
            jobs[j].res.ns_per_op = jobs[j].res.thread_ns = NAN;
    }
    free(all);
    return 0;
}

/* [ch04-ratio-range] */
int suite_ratio_range(const job *num, const job *den, double *lo,
                      double *hi)
{
    int used = 0;
    *lo = *hi = NAN;
    int n = num->nruns < den->nruns ? num->nruns : den->nruns;
    for (int r = 0; r < n; r++) {
        /* Repeat r of num and repeat r of den ran in the same round, one
         * shortly after the other: their ratio cancels whatever the
         * machine was doing to both. */
        double x = num->runs[r].ns_per_op / den->runs[r].ns_per_op;
        if (isnan(x) || isinf(x))
            continue;
        if (used++ == 0 || x < *lo)
            *lo = x;
        if (used == 1 || x > *hi)
            *hi = x;
    }
    return used;
}
/* [ch04-ratio-range] */

char *suite_range_fmt(char *buf, double lo, double hi)
{
    char a[32], b[32];
    if (isnan(lo) || isnan(hi))
        snprintf(buf, 48, "n/a");
    else
        snprintf(buf, 48, "%s\u2013%s", bench_num(a, lo), bench_num(b, hi));
    return buf;
}

char *suite_range_cell(char *buf, const job *num, const job *den)
{
    double lo, hi;
    if (num->skip || den->skip)
        lo = hi = NAN;
    else
        suite_ratio_range(num, den, &lo, &hi);
    return suite_range_fmt(buf, lo, hi);
}

bench_table *suite_table(suite *s, const char *id, const char *title,
                         int ncols, const char *const *head)
{
    bench_report *rep = s->rep;
    if (rep->n == (int)(sizeof rep->t / sizeof rep->t[0]))
        return NULL;
    bench_table *t = &rep->t[rep->n++];
    bench_table_init(t, id, title, ncols, head);
    return t;
}

/* ---- the seed's table --------------------------------------------------- */

typedef struct seed_row {
    const char *name;
    double read_pct;
    size_t preload; /* the seed's Pure Writes started from an empty map */
    double rw, at;  /* published ns/op: RWMutex, atomic.Value */
    char winner[32];
    double ratio;
} seed_row;

static seed_row seed_rows[] = {
    {"Pure Reads", 100, 1000, NAN, NAN, "", NAN},
    {"Pure Writes", 0, 0, NAN, NAN, "", NAN},
    {"Read-Heavy (95% read 5% write)", 95, 1000, NAN, NAN, "", NAN},
};

/* Read the published figures from bench/seed-table.csv. */
static void read_seed_csv(const char *path)
{
    FILE *f = path != NULL ? fopen(path, "r") : NULL;
    char line[256];
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        if (line[0] == '#')
            continue;
        char *c1 = strchr(line, ',');
        if (c1 == NULL)
            continue;
        *c1 = '\0';
        for (size_t r = 0; r < 3; r++) {
            if (strcmp(line, seed_rows[r].name) != 0)
                continue;
            char w[32] = "";
            if (sscanf(c1 + 1, "%lf,%lf,%31[^,],%lf", &seed_rows[r].rw,
                       &seed_rows[r].at, w, &seed_rows[r].ratio) == 4)
                snprintf(seed_rows[r].winner, sizeof w, "%s", w);
        }
    }
    if (f != NULL)
        fclose(f);
}

static job seed_job(suite *s, const store_ops *ops, double read_pct,
                    size_t preload, bench_method m)
{
    job j = {.ops = ops, .preload = preload};
    j.cfg = suite_config(s, s->nproc, 1000, read_pct);
    j.cfg.m = m;
    if (!seed_counts_reads(ops))
        j.cfg.m.shared_counter = false;
    if (read_pct >= 100 || !m.growing_keys)
        j.cfg.m.growing_keys = false;
    if (!m.growing_keys && preload == 0)
        j.preload = 1000; /* fixed key set: writes overwrite existing keys */
    return j;
}

static void cell_ratio(char *buf, double a, double b)
{
    bench_num(buf, isnan(a) || isnan(b) ? NAN : a / b);
}

/* [ch04-seed-table] */
static int seed_table(suite *s)
{
    const store_ops *rw = find(s, "rwlock"), *cow = find(s, "cow");
    static const char *const head[] = {
        "Operation", "rwlock ns/op", "cow ns/op", "Winner", "Ratio",
        "cow/rwlock range", "seed RWMutex", "seed atomic", "seed winner",
        "seed ratio", "Agrees", "floor ns/op", "rwlock x floor",
        "cow x floor"};
    bench_table *t = suite_table(s, "seed", "The seed's table, this machine",
                                 14, head);
    if (t == NULL || rw == NULL)
        return -1;
    snprintf(t->note, sizeof t->note,
             "Seed harness (key formatting in the loop, growing keys, shared "
             "read counter on cow), T = %d threads = nproc, 1,000 keys, %.3g s "
             "per run, median of %d interleaved runs. ns/op = wall / total "
             "ops (Go). cow/rwlock range: min\u2013max over the repeats of "
             "cow's run over the rwlock run of the same round; a winner is "
             "named only when the whole range is on one side of 1. floor = "
             "naive map, pure reads, same harness.",
             s->nproc, s->p->seconds, s->repeats);
    read_seed_csv(s->p->seed_csv);
    double floor_ns = NAN;
    for (size_t r = 0; r < 3; r++) {
        const seed_row *sr = &seed_rows[r];
        job jobs[3];
        int n = 0;
        jobs[n++] = seed_job(s, rw, sr->read_pct, sr->preload, SEED);
        jobs[n] = seed_job(s, cow != NULL ? cow : rw, sr->read_pct,
                           sr->preload, SEED);
        jobs[n++].skip = cow == NULL;
        if (r == 0 && s->floor != NULL)
            jobs[n++] = seed_job(s, s->floor, 100, 1000, SEED);
        if (suite_run_jobs(s, jobs, n) != 0)
            return -1;
        if (r == 0 && n == 3)
            floor_ns = jobs[2].res.ns_per_op;
        double a = jobs[0].res.ns_per_op, b = jobs[1].res.ns_per_op;
        double lo, hi;
        if (jobs[1].skip || suite_ratio_range(&jobs[1], &jobs[0], &lo,
                                              &hi) == 0)
            lo = hi = NAN;
        const char *win = isnan(lo) ? "n/a"
                          : lo > 1  ? "rwlock"
                          : hi < 1  ? "cow" : "unstable here";
        const char *seedwin = strstr(sr->winner, "RWMutex") ? "rwlock"
                              : sr->winner[0] ? "cow" : "n/a";
        char c[14][48];
        bench_num(c[1], a);
        bench_num(c[2], b);
        cell_ratio(c[4], a > b ? a : b, a > b ? b : a);
        suite_range_fmt(c[5], lo, hi);
        bench_num(c[6], sr->rw);
        bench_num(c[7], sr->at);
        bench_num(c[9], sr->ratio);
        bench_num(c[11], floor_ns);
        cell_ratio(c[12], a, floor_ns);
        cell_ratio(c[13], b, floor_ns);
        const char *cells[14] = {
            sr->name, c[1], c[2], win, c[4], c[5], c[6], c[7], seedwin, c[9],
            strcmp(win, "n/a") == 0 || strcmp(win, "unstable here") == 0
                ? "n/a"
                : strcmp(win, seedwin) == 0 ? "yes" : "no",
            c[11], c[12], c[13]};
        if (bench_table_add(t, cells) != 0)
            return -1;
    }
    return 0;
}
/* [ch04-seed-table] */

/* ---- every variant under the seed's harness, five workloads ------------- */

static const struct {
    const char *name;
    double read_pct;
} workloads[] = {
    {"Pure Reads", 100}, {"Read-Heavy 95/5", 95}, {"Balanced 80/20", 80},
    {"Write-Heavy 50/50", 50}, {"Pure Writes", 0},
};

static int seed_all(suite *s)
{
    const char *head[2 + SUITE_MAXV];
    char hb[SUITE_MAXV][48];
    head[0] = "Workload";
    head[1] = "floor ns/op";
    for (int v = 0; v < s->nv; v++) {
        snprintf(hb[v], sizeof hb[v], "%s ns/op", s->v[v]->name);
        head[2 + v] = hb[v];
    }
    bench_table *t = suite_table(s, "seed-all",
                                 "Every variant under the seed's harness",
                                 2 + s->nv, head);
    if (t == NULL)
        return -1;
    snprintf(t->note, sizeof t->note,
             "Seed harness, T = %d, 1,000 keys preloaded (Pure Writes: "
             "empty), %.3g s per run. floor = naive, pure reads.",
             s->nproc, s->p->seconds);
    for (size_t w = 0; w < sizeof workloads / sizeof workloads[0]; w++) {
        job jobs[SUITE_MAXV + 1];
        int n = 0;
        double rp = workloads[w].read_pct;
        for (int v = 0; v < s->nv; v++)
            jobs[n++] = seed_job(s, s->v[v], rp, rp > 0 ? 1000 : 0, SEED);
        if (w == 0 && s->floor != NULL)
            jobs[n++] = seed_job(s, s->floor, 100, 1000, SEED);
        if (suite_run_jobs(s, jobs, n) != 0)
            return -1;
        char c[2 + SUITE_MAXV][32];
        const char *cells[2 + SUITE_MAXV];
        cells[0] = workloads[w].name;
        bench_num(c[1], w == 0 && s->floor ? jobs[s->nv].res.ns_per_op : NAN);
        cells[1] = c[1];
        for (int v = 0; v < s->nv; v++)
            cells[2 + v] = bench_num(c[2 + v], jobs[v].res.ns_per_op);
        if (bench_table_add(t, cells) != 0)
            return -1;
    }
    return 0;
}

/* ---- ablation ----------------------------------------------------------- */

static int ablation(suite *s)
{
    const store_ops *rw = find(s, "rwlock"), *cow = find(s, "cow");
    static const char *const head[] = {
        "Workload", "Harness", "rwlock ns/op", "cow ns/op", "cow / rwlock",
        "cow / rwlock range", "rwlock share %", "cow share %",
        "rwlock keys at end", "cow keys at end", "floor ns/op"};
    bench_table *t = suite_table(s, "ablation",
                                 "Ablation: the seed's harness factors one "
                                 "at a time", 11, head);
    if (t == NULL || rw == NULL)
        return -1;
    snprintf(t->note, sizeof t->note,
             "T = %d, 1,000 keys. share = (factor alone - clean) / (seed - "
             "clean): how much of the seed harness's change in ns/op that "
             "factor makes alone (factors interact; shares need not add up "
             "to 100; n/a when the seed harness changed ns/op by less than "
             "20%%). Keys at end: the dataset after the run (growing keys "
             "add one per write). floor = naive map, pure reads, keys made "
             "the same way (prebuilt or formatted).", s->nproc);
    static const struct {
        const char *name;
        bench_method m;
    } methods[] = {
        {"clean", {false, false, false}},
        {"+ format keys", {true, false, false}},
        {"+ growing keys", {false, true, false}},
        {"+ shared counter", {false, false, true}},
        {"seed (all three)", {true, true, true}},
    };
    const size_t wl[] = {0, 4, 1}; /* Pure Reads, Pure Writes, 95/5 */
    for (size_t w = 0; w < 3; w++) {
        double rp = workloads[wl[w]].read_pct;
        job jobs[12];
        int n = 0;
        for (size_t m = 0; m < 5; m++) {
            bool growing = methods[m].m.growing_keys;
            size_t pre = growing && rp == 0 ? 0 : 1000;
            jobs[n++] = seed_job(s, rw, rp, pre, methods[m].m);
            jobs[n] = seed_job(s, cow != NULL ? cow : rw, rp, pre,
                               methods[m].m);
            /* The counter is the cow store's own in this comparison. */
            jobs[n].cfg.m.shared_counter = methods[m].m.shared_counter;
            jobs[n++].skip = cow == NULL;
            /* Growing keys change nothing without writes, a read
             * counter nothing without reads. */
            bool applies = m == 0 || m == 4 ||
                           ((!growing || rp < 100) &&
                            (!methods[m].m.shared_counter || rp > 0));
            if (!applies)
                jobs[n - 1].skip = jobs[n - 2].skip = true;
        }
        /* The floor, with prebuilt (jobs[10]) and formatted keys. */
        jobs[n] = seed_job(s, s->floor != NULL ? s->floor : rw, 100, 1000,
                           methods[0].m);
        jobs[n++].skip = s->floor == NULL;
        jobs[n] = seed_job(s, s->floor != NULL ? s->floor : rw, 100, 1000,
                           methods[1].m);
        jobs[n++].skip = s->floor == NULL;
        if (suite_run_jobs(s, jobs, n) != 0)
            return -1;
        double rc = jobs[0].res.ns_per_op, cc = jobs[1].res.ns_per_op;
        double rs = jobs[8].res.ns_per_op, cs = jobs[9].res.ns_per_op;
        for (size_t m = 0; m < 5; m++) {
            double a = jobs[2 * m].res.ns_per_op;
            double b = jobs[2 * m + 1].res.ns_per_op;
            char c[11][48];
            bench_num(c[2], a);
            bench_num(c[3], b);
            cell_ratio(c[4], b, a);
            suite_range_cell(c[5], &jobs[2 * m + 1], &jobs[2 * m]);
            bench_num(c[6], fabs(rs - rc) >= 0.2 * rc
                                ? 100 * (a - rc) / (rs - rc) : NAN);
            bench_num(c[7], fabs(cs - cc) >= 0.2 * cc
                                ? 100 * (b - cc) / (cs - cc) : NAN);
            bench_num(c[8], isnan(a) ? NAN
                                     : (double)jobs[2 * m].res.keys_end);
            bench_num(c[9], isnan(b) ? NAN
                                     : (double)jobs[2 * m + 1].res.keys_end);
            bench_num(c[10], jobs[methods[m].m.format_keys ? 11 : 10]
                                 .res.ns_per_op);
            const char *cells[11] = {workloads[wl[w]].name, methods[m].name,
                                     c[2], c[3], c[4], c[5], c[6], c[7],
                                     c[8], c[9], c[10]};
            if (bench_table_add(t, cells) != 0)
                return -1;
        }
    }
    return 0;
}

int bench_suite(const bench_profile *p, bench_report *rep, FILE *log)
{
    suite s = {.p = p, .rep = rep, .log = log};
    long np = sysconf(_SC_NPROCESSORS_ONLN);
    s.nproc = np > 0 ? (int)np : 1;
    rep->nproc = s.nproc;
    for (size_t i = 0; store_variants[i] != NULL; i++) {
        if (bench_is_floor(store_variants[i]))
            s.floor = store_variants[i];
        else if (s.nv < SUITE_MAXV && listed(p->only, store_variants[i]->name))
            s.v[s.nv++] = store_variants[i];
    }
    /* Repeats: as many as the profile asks, but the seed table's runs
     * (3 rows of 2 variants, plus the floor) must fit the time budget. */
    double per = 7 * (p->seconds + p->warmup + 0.05);
    s.repeats = p->repeats < SUITE_MAXR ? p->repeats : SUITE_MAXR;
    if (p->budget_s > 0 && s.repeats * per > p->budget_s)
        s.repeats = (int)(p->budget_s / per) > 1 ? (int)(p->budget_s / per) : 1;
    rep->repeats = s.repeats;
    int rc = suite_names(&s, 1000);
    if (rc == 0)
        rc = seed_table(&s);
    if (rc == 0 && p->full)
        rc = seed_all(&s);
    if (rc == 0 && p->full)
        rc = ablation(&s);
    if (rc == 0 && p->full)
        rc = suite_sweeps(&s);
    if (rc == 0 && p->full)
        rc = bench_claims(rep);
    for (size_t i = 0; i < s.nnames; i++)
        free(s.names[i]);
    free(s.names);
    if (log != NULL)
        fputc('\n', log);
    return rc;
}
