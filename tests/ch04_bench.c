/* ch04_bench.c - chapter 4: the benchmark harness produces well-formed
 * tables.
 *
 * Speed is never asserted here (it is measured by build/bench, not by
 * tests).  What is asserted is the shape of what the harness writes: the
 * seed's table has its three rows and its columns, every numeric cell is a
 * number, a range "lo–hi" or "n/a", every ratio behind a verdict has its
 * range column, the CSV holds the same tables, and every claim ends in a
 * verdict word from the allowed set, "unstable here" included.  The harness is linked into this test, so `make tsan`,
 * `make asan` and `make valgrind` check its threads and memory as well.
 */
#include "bench.h"
#include "test_util.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A short profile run into a temporary directory; output kept in memory. */
static char *run_bench(const char *profile, char *dir, size_t dirsz)
{
    snprintf(dir, dirsz, "/tmp/ch04-bench-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char secs[32];
    /* 20 ms per run; Valgrind and TSan runs scale it down, never below
     * 10 ms. */
    snprintf(secs, sizeof secs, "%g", 0.02 * test_scale(100, 50) / 100.0);
    /* One run per point when the run is slowed down (TEST_SCALE < 1), and
     * only the lock-based stores under Valgrind (TEST_SCALE < 0.05), whose
     * serialized threads make copy-on-write grace periods crawl. */
    char *repeats = test_scale(100, 1) < 100 ? "1" : "3";
    char *only = test_scale(100, 1) < 5 ? "rwlock,rwlock-rp"
                                        : "rwlock,rwlock-rp,cow,hamt,striped";
    char *argv[] = {"bench", "--profile", (char *)profile, "--seconds", secs,
                    "--out", dir, "--stem", "t", "--no-plots",
                    "--seed-csv", "bench/seed-table.csv", "--quiet",
                    "--repeats", repeats, "--variants", only, NULL};
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(out);
    int rc = bench_main(17, argv, out);
    fclose(out);
    ck_assert_msg(rc == 0, "bench_main(--profile %s) returned %d", profile,
                  rc);
    return buf;
}

static void cleanup(const char *dir)
{
    const char *files[] = {"t.md", "t.csv", "latest-smoke.md",
                           "latest-smoke.csv", "latest-seed.md",
                           "latest-seed.csv"};
    char p[512];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        unlink(p);
    }
    rmdir(dir);
}

/* The Markdown table that follows "### <title>": its lines, split. */
enum { MAXC = 32 };
typedef struct mdtab {
    int nrows, ncols;
    char head[MAXC][200];
    char cell[64][MAXC][200];
} mdtab;

static int split_row(const char *text, char out[MAXC][200])
{
    char line[4096];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(text, "\n"), text);
    int n = 0;
    const char *p = strchr(line, '|');
    while (p != NULL && n < MAXC) {
        const char *q = strchr(p + 1, '|');
        if (q == NULL)
            break;
        const char *a = p + 1, *b = q;
        while (a < b && *a == ' ')
            a++;
        while (b > a && b[-1] == ' ')
            b--;
        snprintf(out[n++], 200, "%.*s", (int)(b - a), a);
        p = q;
    }
    return n;
}

static void find_table(const char *md, const char *title, mdtab *t)
{
    char want[256];
    snprintf(want, sizeof want, "### %s\n", title);
    const char *p = strstr(md, want);
    ck_assert_msg(p != NULL, "no table titled \"%s\" in the output", title);
    p = strstr(p, "\n|");
    ck_assert_ptr_nonnull(p);
    memset(t, 0, sizeof *t);
    t->ncols = split_row(p + 1, t->head);
    p = strchr(p + 1, '\n'); /* the ---| line */
    p = p != NULL ? strchr(p + 1, '\n') : NULL;
    while (p != NULL && p[1] == '|' && t->nrows < 64) {
        int n = split_row(p + 1, t->cell[t->nrows]);
        ck_assert_msg(n == t->ncols, "table \"%s\" row %d has %d cells, "
                      "header has %d", title, t->nrows, n, t->ncols);
        t->nrows++;
        p = strchr(p + 1, '\n');
    }
}

static bool is_number(const char *s)
{
    char *end;
    if (strcmp(s, "n/a") == 0)
        return true;
    strtod(s, &end);
    return end != s && *end == '\0';
}

static bool is_real_number(const char *s)
{
    return strcmp(s, "n/a") != 0 && is_number(s);
}

/* "lo–hi" (an en dash between two numbers, lo <= hi) or "n/a". */
static bool is_range(const char *s)
{
    if (strcmp(s, "n/a") == 0)
        return true;
    char *end;
    double lo = strtod(s, &end);
    if (end == s || strncmp(end, "\u2013", strlen("\u2013")) != 0)
        return false;
    const char *p = end + strlen("\u2013");
    double hi = strtod(p, &end);
    return end != p && *end == '\0' && lo <= hi;
}

/* The index of the column named name, or -1. */
static int column(const mdtab *t, const char *name)
{
    for (int c = 0; c < t->ncols; c++)
        if (strcmp(t->head[c], name) == 0)
            return c;
    return -1;
}

START_TEST(seed_table_shape)
{
    char dir[64];
    char *md = run_bench("seed", dir, sizeof dir);
    static mdtab t;
    find_table(md, "The seed's table, this machine", &t);
    ck_assert_int_eq(t.nrows, 3);
    ck_assert_int_eq(t.ncols, 14);
    ck_assert_int_eq(column(&t, "cow/rwlock range"), 5);
    ck_assert_str_eq(t.cell[0][0], "Pure Reads");
    ck_assert_str_eq(t.cell[1][0], "Pure Writes");
    ck_assert_str_eq(t.cell[2][0], "Read-Heavy (95% read 5% write)");
    for (int r = 0; r < 3; r++) {
        /* The seed's figures come from the CSV.  Measured cells may be
         * n/a: under a sanitizer a 5 ms run can end before a thread that
         * waits for a lock gets its first operation done. */
        ck_assert_msg(is_real_number(t.cell[r][6]), "seed RWMutex \"%s\"",
                      t.cell[r][6]);
        for (int c = 1; c < 14; c++)
            if (c != 3 && c != 5 && c != 8 && c != 10)
                ck_assert_msg(is_number(t.cell[r][c]), "row %d col %d: "
                              "\"%s\" is not a number", r, c, t.cell[r][c]);
        ck_assert_msg(is_range(t.cell[r][5]), "row %d: range \"%s\"", r,
                      t.cell[r][5]);
        /* A winner is named only when the range is on one side of 1. */
        const char *w = t.cell[r][3];
        ck_assert_msg(strcmp(w, "rwlock") == 0 || strcmp(w, "cow") == 0 ||
                      strcmp(w, "unstable here") == 0 ||
                      strcmp(w, "n/a") == 0, "Winner \"%s\"", w);
        ck_assert_msg(strcmp(t.cell[r][10], "yes") == 0 ||
                      strcmp(t.cell[r][10], "no") == 0 ||
                      strcmp(t.cell[r][10], "n/a") == 0,
                      "Agrees column holds \"%s\"", t.cell[r][10]);
    }
    ck_assert_str_eq(t.cell[0][8], "rwlock"); /* the seed's winners */
    ck_assert_str_eq(t.cell[1][8], "cow");
    ck_assert_ptr_nonnull(strstr(md, "- cpu: "));
    ck_assert_ptr_nonnull(strstr(md, "- compiler: "));
    ck_assert_ptr_nonnull(strstr(md, "- repeats: "));
    ck_assert_ptr_nonnull(strstr(md, "- machine load when written: "));
    free(md);
    cleanup(dir);
}
END_TEST

START_TEST(claims_have_verdicts)
{
    char dir[64];
    char *md = run_bench("smoke", dir, sizeof dir);
    /* [ch04-test-verdicts] */
    static mdtab t;
    find_table(md, "The seed's claims, tested", &t);
    ck_assert_int_ge(t.nrows, 10);
    ck_assert_int_eq(t.ncols, 5);
    for (int r = 0; r < t.nrows; r++) {
        const char *v = t.cell[r][4];
        ck_assert_msg(strcmp(v, "holds") == 0 ||
                      strncmp(v, "does not hold", 13) == 0 ||
                      strncmp(v, "depends (on ", 12) == 0 ||
                      strncmp(v, "unstable here (ratio ", 21) == 0 ||
                      strcmp(v, "untested") == 0,
                      "claim %s: verdict \"%s\"", t.cell[r][0], v);
        /* Every figure a verdict rests on is quoted with its range. */
        ck_assert_msg(strstr(t.cell[r][2], "\u2013") != NULL ||
                      strstr(t.cell[r][2], "n/a") != NULL,
                      "claim %s quotes no range: \"%s\"", t.cell[r][0],
                      t.cell[r][2]);
    }
    /* [ch04-test-verdicts] */
    /* Every sweep table: first column a number, the rest numbers or n/a. */
    const char *sweeps[] = {"Pure reads vs threads", "95% reads vs threads",
                            "95% reads vs dataset size",
                            "ns/op vs read share",
                            "Full-speed readers and one paced writer"};
    for (size_t i = 0; i < sizeof sweeps / sizeof sweeps[0]; i++) {
        find_table(md, sweeps[i], &t);
        ck_assert_int_ge(t.nrows, 2);
        ck_assert_int_ge(t.ncols, 4);
        bool ranged = false;
        for (int c = 1; c < t.ncols; c++) {
            /* Ratio columns hold ranges; the others numbers. */
            bool ratio = strstr(t.head[c], " x floor") != NULL ||
                         strstr(t.head[c], "/ rwlock") != NULL;
            ranged |= strstr(t.head[c], "/ rwlock") != NULL;
            for (int r = 0; r < t.nrows; r++)
                ck_assert_msg(ratio ? is_range(t.cell[r][c])
                                    : is_number(t.cell[r][c]),
                              "%s row %d col %s: \"%s\"", sweeps[i], r,
                              t.head[c], t.cell[r][c]);
        }
        for (int r = 0; r < t.nrows; r++)
            ck_assert_msg(is_real_number(t.cell[r][0]), "%s row %d: \"%s\"",
                          sweeps[i], r, t.cell[r][0]);
        ck_assert_msg(ranged, "%s has no \"/ rwlock\" range column",
                      sweeps[i]);
    }
    /* Context switches are counted for the 95% thread sweep. */
    find_table(md, "Context switches, 95% reads vs threads", &t);
    ck_assert_int_ge(t.nrows, 2);
    ck_assert_int_ge(column(&t, "rwlock vcsw/kop"), 1);
    ck_assert_int_ge(column(&t, "rwlock ivcsw/kop"), 1);
    for (int r = 0; r < t.nrows; r++)
        for (int c = 1; c < t.ncols; c++)
            ck_assert_msg(is_number(t.cell[r][c]), "csw row %d col %d: "
                          "\"%s\"", r, c, t.cell[r][c]);
    /* The other ratios behind verdicts have their range columns too. */
    find_table(md, "Ablation: the seed's harness factors one at a time", &t);
    ck_assert_int_ge(column(&t, "cow / rwlock range"), 0);
    find_table(md, "A statistics counter: one shared atomic or one per "
               "thread", &t);
    ck_assert_int_ge(column(&t, "shared / per-thread range"), 0);
    find_table(md, "Memory while writing", &t);
    ck_assert_int_ge(column(&t, "peak / bytes range"), 0);
    /* The floor is the naive map, measured in every row. */
    find_table(md, "Pure reads vs threads", &t);
    ck_assert_str_eq(t.cell[0][0], "1");
    ck_assert_msg(is_real_number(t.cell[0][1]), "floor \"%s\"", t.cell[0][1]);
    free(md);

    /* The CSV holds the same tables: "table,..." headers and rows. */
    char p[512];
    snprintf(p, sizeof p, "%s/t.csv", dir);
    FILE *f = fopen(p, "r");
    ck_assert_msg(f != NULL, "no %s", p);
    char line[8192];
    int claims = 0, seed = 0, range_heads = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        claims += strncmp(line, "claims,C", 8) == 0;
        seed += strncmp(line, "seed,", 5) == 0;
        range_heads += strncmp(line, "table,", 6) == 0 &&
                       (strstr(line, "range") != NULL ||
                        strstr(line, "/ rwlock") != NULL);
    }
    fclose(f);
    ck_assert_int_ge(claims, 10);
    ck_assert_int_eq(seed, 3);
    /* seed, ablation, 2 thread sweeps, 2 size sweeps, shares, rates,
     * memory, counters. */
    ck_assert_int_ge(range_heads, 10);
    cleanup(dir);
}
END_TEST

/* A report holding one table, counters, whose 2-thread row has the given
 * shared / per-thread range; returns claim C9's verdict (static copy). */
static const char *c9_verdict(const char *range)
{
    static bench_report rep;
    static char v[200];
    memset(&rep, 0, sizeof rep);
    rep.nproc = 2;
    static const char *const head[] = {"threads", "shared ns/op per thread",
                                       "per-thread ns/op per thread",
                                       "shared / per-thread",
                                       "shared / per-thread range"};
    bench_table_init(&rep.t[rep.n++], "counters", "counters", 5, head);
    const char *row[] = {"2", "10", "5", "2", range};
    ck_assert_int_eq(bench_table_add(&rep.t[0], row), 0);
    ck_assert_int_eq(bench_claims(&rep), 0);
    const bench_table *cl = bench_find(&rep, "claims");
    ck_assert_ptr_nonnull(cl);
    ck_assert_int_ge(cl->nrows, 9);
    ck_assert_str_eq(cl->rows[8][0], "C9");
    snprintf(v, sizeof v, "%s", cl->rows[8][4]);
    /* Claims whose tables are missing are untested, never guessed. */
    ck_assert_str_eq(cl->rows[0][4], "untested");
    bench_report_free(&rep);
    return v;
}

/* The rule behind every verdict: the whole range on one side of the
 * criterion, or "unstable here".  The median (2.00 above) is the same in
 * all three cases; only the spread differs. */
START_TEST(verdicts_follow_the_range)
{
    ck_assert_str_eq(c9_verdict("1.20\u20131.90"), "holds");
    ck_assert_str_eq(c9_verdict("2.10\u20132.90"),
                     "depends (on update rate: contended at full speed, "
                     "fine when rare)");
    ck_assert_str_eq(c9_verdict("1.50\u20132.50"),
                     "unstable here (ratio 1.50\u20132.50)");
}
END_TEST

START_TEST(single_run_and_bad_arguments)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    char *ok[] = {"bench", "--variant", "rwlock", "--threads", "2", "--reads",
                  "95", "--keys", "100", "--seconds", "0.01", NULL};
    ck_assert_int_eq(bench_main(11, ok, out), 0);
    char *bad1[] = {"bench", "--variant", "no-such-store", NULL};
    ck_assert_int_eq(bench_main(3, bad1, out), 2);
    char *bad2[] = {"bench", "--seconds", "-1", NULL};
    ck_assert_int_eq(bench_main(3, bad2, out), 2);
    char *bad3[] = {"bench", "--variant", "naive", "--threads", "2", NULL};
    ck_assert_int_eq(bench_main(5, bad3, out), 2);
    fclose(out);
    ck_assert_ptr_nonnull(strstr(buf, "variant=rwlock threads=2"));
    ck_assert_ptr_nonnull(strstr(buf, "misses=0"));
    free(buf);
}
END_TEST

START_TEST(percentiles_and_medians)
{
    double v[] = {5, NAN, 1, 3, 2, 4};
    ck_assert_double_eq(bench_median(v, 6), 3);
    double w[] = {NAN};
    ck_assert(isnan(bench_median(w, 1)));
    char b[32];
    ck_assert_str_eq(bench_num(b, NAN), "n/a");
    ck_assert_str_eq(bench_num(b, 71.22), "71.2");
    ck_assert_str_eq(bench_num(b, 407019), "407019");
}
END_TEST

Suite *ch04_bench_suite(void)
{
    Suite *s = suite_create("ch04_bench");
    TCase *tc = test_tcase("harness", 120);
    tcase_add_test(tc, percentiles_and_medians);
    tcase_add_test(tc, verdicts_follow_the_range);
    tcase_add_test(tc, single_run_and_bad_arguments);
    tcase_add_test(tc, seed_table_shape);
    tcase_add_test(tc, claims_have_verdicts);
    suite_add_tcase(s, tc);
    return s;
}
