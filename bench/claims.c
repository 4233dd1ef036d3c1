/* claims.c - every claim of the seed, tested against this run's tables.
 *
 * Each claim gets one row: what the seed said, the figures here that test
 * it, the criterion written out, and a verdict computed from those figures
 * (never typed by hand).  Every ratio behind a verdict is a range: the
 * smallest and the largest of the per-repeat ratios, each taken between two
 * runs of the same interleaved round (suite_ratio_range()).  A verdict is
 * given only when the whole range is on one side of its criterion:
 * "holds", "does not hold", or "depends (on ...)" when the answer changes,
 * stably, with the harness, the threads or the workload.  When a range
 * straddles its criterion the verdict is "unstable here (ratio lo-hi)":
 * this machine, in this run, cannot tell, and a reader should not be told
 * otherwise.  A claim whose figures are missing (a variant not built, a
 * run skipped) is "untested".  Thresholds are deliberately loose (1.25x,
 * 2x): the point is the direction and the order of magnitude.
 */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A number for the text of a cell, "n/a" when missing. */
#define N(x) bench_num((char[32]){0}, (x))

static int col(const bench_table *t, const char *name)
{
    for (int c = 0; t != NULL && c < t->ncols; c++)
        if (strcmp(t->head[c], name) == 0)
            return c;
    return -1;
}

static int row(const bench_table *t, const char *label)
{
    for (int r = 0; t != NULL && r < t->nrows; r++)
        if (strcmp(t->rows[r][0], label) == 0)
            return r;
    return -1;
}

/* A range read back from a cell: "lo–hi", or one number (lo = hi). */
typedef struct range {
    double lo, hi;
} range;

static const range NO_RANGE = {NAN, NAN};

static range parse_range(const char *cell)
{
    char *end;
    range r = NO_RANGE;
    double lo = strtod(cell, &end);
    if (end == cell)
        return r;
    r.lo = r.hi = lo;
    /* Skip the dash (an en dash is three bytes in UTF-8). */
    const char *p = end;
    while (*p != '\0' && (*p == '-' || (unsigned char)*p >= 0x80))
        p++;
    if (p != end) {
        double hi = strtod(p, &end);
        r.hi = end == p ? NAN : hi;
    }
    return r;
}

/* The range in table id, row label, column name; NO_RANGE when absent. */
static range rng(const bench_report *rep, const char *id, const char *label,
                 const char *name)
{
    const bench_table *t = bench_find(rep, id);
    int r = row(t, label), c = col(t, name);
    return r < 0 || c < 0 ? NO_RANGE : parse_range(t->rows[r][c]);
}

/* The same by row index (for sweeps). */
static range rngi(const bench_table *t, int r, const char *name)
{
    int c = col(t, name);
    if (t == NULL || r < 0 || r >= t->nrows || c < 0)
        return NO_RANGE;
    return parse_range(t->rows[r][c]);
}

/* A single number (the median-run figures quoted next to a range). */
static double num(const bench_report *rep, const char *id, const char *label,
                  const char *name)
{
    return rng(rep, id, label, name).lo;
}

static double numi(const bench_table *t, int r, const char *name)
{
    return rngi(t, r, name).lo;
}

/* "lo–hi" for the text of a cell. */
static const char *R(char *buf, range r)
{
    char a[32], b[32];
    if (isnan(r.lo) || isnan(r.hi))
        snprintf(buf, 80, "n/a");
    else
        snprintf(buf, 80, "%s\u2013%s", bench_num(a, r.lo),
                 bench_num(b, r.hi));
    return buf;
}
#define RS(r) R((char[80]){0}, (r))

/* [ch04-verdict] */
/* What a range says about one criterion. */
typedef enum answer {
    MISSING,  /* no figures */
    PASS,     /* the whole range meets the criterion */
    FAIL,     /* the whole range misses it */
    UNSTABLE  /* some of the range meets it and some does not */
} answer;

/* Criterion "ratio <= limit" (use a limit of 1 for "faster or equal"). */
static answer at_most(range r, double limit)
{
    if (isnan(r.lo) || isnan(r.hi))
        return MISSING;
    return r.hi <= limit ? PASS : r.lo > limit ? FAIL : UNSTABLE;
}

/* Criterion "ratio > limit". */
static answer above(range r, double limit)
{
    answer a = at_most(r, limit);
    return a == PASS ? FAIL : a == FAIL ? PASS : a;
}

/* Criterion "within f of each other": 1/f <= ratio <= f. */
static answer within(range r, double f)
{
    if (isnan(r.lo) || isnan(r.hi))
        return MISSING;
    if (r.lo >= 1 / f && r.hi <= f)
        return PASS;
    if (r.hi < 1 / f || r.lo > f)
        return FAIL;
    return UNSTABLE;
}

/* The verdict for an answer: "unstable here (ratio lo–hi, <what>)" quotes
 * the range that straddled the criterion. */
static const char *verdict(char *buf, size_t n, answer a, const char *what,
                           range r)
{
    switch (a) {
    case PASS:
        return "holds";
    case FAIL:
        return "does not hold";
    case UNSTABLE:
        snprintf(buf, n, "unstable here (ratio %s%s%s)", RS(r),
                 what[0] ? ", " : "", what);
        return buf;
    default:
        return "untested";
    }
}

/* Verdict from the seed harness's answer and the clean harness's: both
 * must be stable before they can be compared. */
static const char *tri(char *buf, size_t n, answer seed, range rs,
                       answer clean, range rc)
{
    if (seed == MISSING || clean == MISSING)
        return "untested";
    if (seed == UNSTABLE)
        return verdict(buf, n, seed, "seed harness", rs);
    if (clean == UNSTABLE)
        return verdict(buf, n, clean, "clean harness", rc);
    if (seed == clean)
        return seed == PASS ? "holds" : "does not hold";
    return seed == PASS
               ? "depends (on the harness: holds only with the seed's)"
               : "depends (on the harness: holds only with the clean one)";
}
/* [ch04-verdict] */

typedef struct claims {
    bench_table *t;
    int n;
    char buf[10][160]; /* verdict texts, one per claim */
} claims;

static int add(claims *cl, const char *claim, const char *meas,
               const char *crit, const char *verdict)
{
    char id[16];
    snprintf(id, sizeof id, "C%d", ++cl->n);
    const char *cells[5] = {id, claim, meas, crit, verdict};
    return bench_table_add(cl->t, cells);
}

/* Room for the next claim's verdict text. */
#define VB(cl) (cl)->buf[(cl)->n % 10], sizeof (cl)->buf[0]

/* Seed table row vs clean figures: "within 1.25x" or "winner" claims.
 * rs and rc are the cow/rwlock ranges of the two harnesses. */
static int seed_row_claim(claims *cl, const bench_report *rep,
                          const char *claim, const char *op, double ca,
                          double cb, range rc, const char *crit, int kind)
{
    double a = num(rep, "seed", op, "rwlock ns/op");
    double b = num(rep, "seed", op, "cow ns/op");
    range rs = rng(rep, "seed", op, "cow/rwlock range");
    answer s_ok, c_ok;
    if (kind == 0) { /* comparable: within 1.25x */
        s_ok = within(rs, 1.25);
        c_ok = within(rc, 1.25);
    } else if (kind == 1) { /* cow no slower than 1.25x rwlock */
        s_ok = at_most(rs, 1.25);
        c_ok = at_most(rc, 1.25);
    } else { /* rwlock faster: cow / rwlock above 1 */
        s_ok = above(rs, 1);
        c_ok = above(rc, 1);
    }
    char m[320];
    snprintf(m, sizeof m,
             "seed harness: rwlock %s, cow %s ns/op (cow/rwlock %s); "
             "clean: rwlock %s, cow %s (%s)", N(a), N(b), RS(rs), N(ca),
             N(cb), RS(rc));
    return add(cl, claim, m, crit, tri(VB(cl), s_ok, rs, c_ok, rc));
}

/* Sweep rows: the answer over all rows, FAIL when any row stably fails,
 * PASS when every row stably passes, else UNSTABLE with the first row that
 * straddled (its label and range kept in *why_row, *why). */
typedef struct over_rows {
    answer a;
    range why;
    char why_row[32];
    bool any;
} over_rows;

static void over_add(over_rows *o, answer a, range r, const char *label)
{
    if (a == MISSING)
        return;
    if (!o->any) {
        o->any = true;
        o->a = PASS;
    }
    if (a == FAIL) {
        if (o->a != FAIL) {
            o->why = r;
            snprintf(o->why_row, sizeof o->why_row, "%s", label);
        }
        o->a = FAIL;
    } else if (a == UNSTABLE && o->a == PASS) {
        o->a = UNSTABLE;
        o->why = r;
        snprintf(o->why_row, sizeof o->why_row, "%s", label);
    }
}

/* Dataset sizes: cow must not win (cow / rwlock above 1) from 1,000 keys
 * up; also reports the largest size where cow won in every repeat. */
static over_rows size_rows(const bench_table *t, double *last_win,
                           range *at1k)
{
    over_rows o = {.a = MISSING};
    *last_win = NAN;
    *at1k = NO_RANGE;
    for (int r = 0; t != NULL && r < t->nrows; r++) {
        range x = rngi(t, r, "cow / rwlock");
        double keys = atof(t->rows[r][0]);
        if (keys == 1000)
            *at1k = x;
        if (at_most(x, 1) == PASS && x.hi < 1)
            *last_win = keys;
        if (keys >= 1000)
            over_add(&o, above(x, 1), x, t->rows[r][0]);
    }
    return o;
}

int bench_claims(bench_report *rep)
{
    static const char *const head[] = {"#", "The seed's claim",
                                       "Measured here", "Criterion",
                                       "Verdict"};
    if (rep->n == (int)(sizeof rep->t / sizeof rep->t[0]))
        return -1;
    static claims cl;
    memset(&cl, 0, sizeof cl);
    cl.t = &rep->t[rep->n++];
    bench_table_init(cl.t, "claims", "The seed's claims, tested", 5, head);
    snprintf(cl.t->note, sizeof cl.t->note,
             "Verdicts are computed from the tables above by the benchmark "
             "program. rwlock stands for sync.RWMutex, cow for atomic.Value. "
             "T = %d. Every ratio is a range, min\u2013max over the repeats "
             "of the ratio between two runs of the same interleaved round; a "
             "verdict is given only when the whole range is on one side of "
             "the criterion, otherwise it reads \"unstable here\".",
             rep->nproc);
    char np[16], m[400];
    snprintf(np, sizeof np, "%d", rep->nproc);
    int rc = 0;

    /* C1-C3: the seed's own table. */
    rc |= seed_row_claim(&cl, rep, "Pure reads: RWMutex and atomic.Value "
                         "are equal (71 vs 73 ns/op)", "Pure Reads",
                         num(rep, "threads-reads", np, "rwlock ns/op"),
                         num(rep, "threads-reads", np, "cow ns/op"),
                         rng(rep, "threads-reads", np, "cow / rwlock"),
                         "within 1.25x of each other", 0);
    rc |= seed_row_claim(&cl, rep, "Pure writes: comparable, atomic.Value "
                         "slightly faster (1.07x)", "Pure Writes",
                         num(rep, "ablation", "Pure Writes", "rwlock ns/op"),
                         num(rep, "ablation", "Pure Writes", "cow ns/op"),
                         rng(rep, "ablation", "Pure Writes",
                             "cow / rwlock range"),
                         "cow no slower than 1.25x rwlock", 1);
    rc |= seed_row_claim(&cl, rep, "95% reads: RWMutex 3.53x faster",
                         "Read-Heavy (95% read 5% write)",
                         num(rep, "threads-mixed", np, "rwlock ns/op"),
                         num(rep, "threads-mixed", np, "cow ns/op"),
                         rng(rep, "threads-mixed", np, "cow / rwlock"),
                         "rwlock faster (cow/rwlock above 1)", 2);

    /* C4: read locks are cheap. */
    range f1 = rng(rep, "threads-reads", "1", "rwlock x floor");
    range fn = rng(rep, "threads-reads", np, "rwlock x floor");
    answer a1 = at_most(f1, 2), an = at_most(fn, 2);
    snprintf(m, sizeof m, "rwlock pure reads cost %sx the naive map at 1 "
             "thread, %sx at %s threads", RS(f1), RS(fn), np);
    rc |= add(&cl, "Read locks are lightweight: they do not significantly "
              "impact read performance", m, "within 2x of the floor",
              a1 == MISSING || an == MISSING ? "untested"
              : a1 == UNSTABLE ? verdict(VB(&cl), a1, "1 thread", f1)
              : an == UNSTABLE ? verdict(VB(&cl), an, "T threads", fn)
              : a1 == PASS && an == PASS ? "holds"
              : a1 == PASS ? "depends (on threads: cheap only uncontended)"
                           : "does not hold");

    /* C5: dataset size. */
    double s95, s999;
    range k95r, k999r;
    over_rows o95 = size_rows(bench_find(rep, "sizes-95"), &s95, &k95r);
    over_rows o999 = size_rows(bench_find(rep, "sizes-999"), &s999, &k999r);
    char k95[32] = "none", k999[32] = "none";
    if (!isnan(s95))
        snprintf(k95, sizeof k95, "%.0f keys", s95);
    if (!isnan(s999))
        snprintf(k999, sizeof k999, "%.0f keys", s999);
    char w5[80];
    snprintf(w5, sizeof w5, "%s keys, %s reads",
             o95.a == UNSTABLE ? o95.why_row : o999.why_row,
             o95.a == UNSTABLE ? "95%" : "99.9%");
    snprintf(m, sizeof m, "largest dataset where cow beat rwlock in every "
             "repeat: %s at 95%% reads, %s at 99.9%% reads; cow / rwlock at "
             "1,000 keys %s (95%%), %s (99.9%%)", k95, k999, RS(k95r),
             RS(k999r));
    rc |= add(&cl, "Use atomic.Value only for datasets under 100 keys", m,
              "cow slower (cow / rwlock above 1) at every size from 1,000 "
              "keys up",
              o95.a == MISSING || o999.a == MISSING ? "untested"
              : o95.a == UNSTABLE ? verdict(VB(&cl), UNSTABLE, w5, o95.why)
              : o999.a == UNSTABLE ? verdict(VB(&cl), UNSTABLE, w5, o999.why)
              : o95.a == o999.a ? (o95.a == PASS ? "holds" : "does not hold")
                                : "depends (on the read share)");

    /* C6: write rate.  A rate counts only where cow's writer kept up with
     * the target (90%): fewer writes than asked would flatter its
     * readers. */
    const bench_table *rt = bench_find(rep, "rates");
    over_rows orr = {.a = MISSING};
    double wr = NAN;
    int r1 = -1;
    for (int r = 0; rt != NULL && r < rt->nrows; r++) {
        double target = atof(rt->rows[r][0]);
        range x = rngi(rt, r, "cow read / rwlock");
        bool kept = numi(rt, r, "cow writes/s") >= 0.9 * target;
        if (x.hi < 1 && kept) {
            wr = target;
            r1 = r;
        }
        if (target >= 10)
            over_add(&orr, kept ? above(x, 1) : at_most(x, INFINITY), x,
                     rt->rows[r][0]);
    }
    if (r1 < 0 && rt != NULL)
        r1 = rt->nrows - 1;
    char w6[64];
    snprintf(w6, sizeof w6, "%s writes/s", orr.why_row);
    char upto[64] = "at no write rate";
    if (!isnan(wr))
        snprintf(upto, sizeof upto, "up to %s writes/s", N(wr));
    snprintf(m, sizeof m, "cow readers faster than rwlock readers in every "
             "repeat, with cow's writer keeping up, %s; at %s writes/s cow "
             "read / rwlock read %s, cow wrote %s/s with p99 %s ns, rwlock "
             "%s/s with p99 %s ns", upto,
             rt != NULL && r1 >= 0 ? rt->rows[r1][0] : "n/a",
             RS(rngi(rt, r1, "cow read / rwlock")),
             N(numi(rt, r1, "cow writes/s")),
             N(numi(rt, r1, "cow write p99 ns")),
             N(numi(rt, r1, "rwlock writes/s")),
             N(numi(rt, r1, "rwlock write p99 ns")));
    rc |= add(&cl, "Use atomic.Value only below 1 write per second", m,
              "cow readers slower (cow read / rwlock above 1) at 10 "
              "writes/s and above, where cow's writer reached 90% of the "
              "target",
              verdict(VB(&cl), orr.a, w6, orr.why));

    /* C7: read share: cow wins at 99% and above, loses below. */
    const bench_table *sh = bench_find(rep, "shares");
    over_rows os = {.a = MISSING};
    double lowest = NAN;
    bool still = true;
    for (int r = sh != NULL ? sh->nrows - 1 : -1; r >= 0; r--) {
        range x = rngi(sh, r, "cow / rwlock");
        double pct = atof(sh->rows[r][0]);
        if (still && x.hi < 1)
            lowest = pct;
        else
            still = false;
        char w[48];
        snprintf(w, sizeof w, "%s%% reads", sh->rows[r][0]);
        over_add(&os, pct >= 99 ? at_most(x, 1) : above(x, 1), x, w);
    }
    char from[64] = "cow faster in every repeat at no read share";
    if (!isnan(lowest))
        snprintf(from, sizeof from, "cow faster in every repeat from %s%% "
                 "reads up", N(lowest));
    snprintf(m, sizeof m, "%s; cow / rwlock %s at 95%% reads, %s at 99%%",
             from,
             RS(rng(rep, "shares", "95", "cow / rwlock")),
             RS(rng(rep, "shares", "99", "cow / rwlock")));
    rc |= add(&cl, "Use atomic.Value only with 99%+ reads (not 95%)", m,
              "cow / rwlock at most 1 at 99% reads and above, above 1 "
              "below",
              verdict(VB(&cl), os.a, os.why_row, os.why));

    /* C8: memory: the largest dataset both variants were measured at. */
    const bench_table *mt = bench_find(rep, "memory");
    range prw = NO_RANGE, pcow = NO_RANGE;
    double keys = NAN;
    for (int r = 0; mt != NULL && r < mt->nrows; r++) {
        if (strcmp(mt->rows[r][0], "rwlock") != 0)
            continue;
        for (int q = 0; q < mt->nrows; q++) {
            range a = rngi(mt, r, "peak / bytes range");
            range b = rngi(mt, q, "peak / bytes range");
            if (strcmp(mt->rows[q][0], "cow") == 0 &&
                strcmp(mt->rows[q][1], mt->rows[r][1]) == 0 &&
                !isnan(a.lo) && !isnan(b.lo)) {
                prw = a;
                pcow = b;
                keys = numi(mt, r, "keys");
            }
        }
    }
    answer mr = at_most(prw, 1.5), mc = above(pcow, 1.8 - 1e-9);
    snprintf(m, sizeof m, "peak / final bytes while overwriting %s keys: "
             "rwlock %s, cow %s", N(keys), RS(prw), RS(pcow));
    rc |= add(&cl, "RWMutex: no temporary 2x memory during updates "
              "(atomic.Value needs it)", m,
              "rwlock peak under 1.5x, cow peak 1.8x or more",
              mr == MISSING || mc == MISSING ? "untested"
              : mr == UNSTABLE ? verdict(VB(&cl), mr, "rwlock", prw)
              : mc == UNSTABLE ? verdict(VB(&cl), mc, "cow", pcow)
              : mr == PASS && mc == PASS ? "holds"
              : mr == PASS ? "depends (on the variant: this cow needs less)"
                           : "does not hold");

    /* C9: counters. */
    double c1 = num(rep, "counters", "1", "shared ns/op per thread");
    double cn = num(rep, "counters", np, "shared ns/op per thread");
    double pn = num(rep, "counters", np, "per-thread ns/op per thread");
    range cr = rng(rep, "counters", np, "shared / per-thread range");
    answer ac = at_most(cr, 2);
    snprintf(m, sizeof m, "one shared atomic counter: %s ns per increment "
             "at 1 thread, %s at %s; per-thread counters %s (shared / "
             "per-thread %s)", N(c1), N(cn), np, N(pn), RS(cr));
    rc |= add(&cl, "Statistics counters: atomic.Uint64, high-frequency "
              "updates with minimal contention", m,
              "shared counter within 2x of per-thread counters at T threads",
              ac == PASS ? "holds"
              : ac == FAIL ? "depends (on update rate: contended at full "
                             "speed, fine when rare)"
                           : verdict(VB(&cl), ac, "", cr));

    /* C10: copy cost. */
    double wa = num(rep, "ablation", "Pure Writes", "rwlock ns/op");
    double wb = num(rep, "ablation", "Pure Writes", "cow ns/op");
    range wrg = rng(rep, "ablation", "Pure Writes", "cow / rwlock range");
    snprintf(m, sizeof m, "clean pure writes, 1,000 keys: cow %s ns/op, "
             "rwlock %s (cow / rwlock %s)", N(wb), N(wa), RS(wrg));
    rc |= add(&cl, "Copy-on-write overhead is not excessive at 1,000 keys",
              m, "cow write within 2x of rwlock write",
              verdict(VB(&cl), at_most(wrg, 2), "", wrg));
    return rc != 0 ? -1 : 0;
}
