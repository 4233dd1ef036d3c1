/* ch04_bench.c - chapter 4: the benchmark harness produces well-formed
 * tables.
 *
 * Speed is never asserted here (it is measured by build/bench, not by
 * tests).  What is asserted is the shape of what the harness writes: the
 * seed's table has its three rows and its columns, every numeric cell is a
 * number or "n/a", the CSV holds the same tables, and every claim ends in a
 * verdict word.  The harness is linked into this test, so `make tsan`,
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
typedef struct mdtab {
    int nrows, ncols;
    char cell[64][16][200];
} mdtab;

static int split_row(const char *text, char out[16][200])
{
    char line[2048];
    snprintf(line, sizeof line, "%.*s", (int)strcspn(text, "\n"), text);
    int n = 0;
    const char *p = strchr(line, '|');
    while (p != NULL && n < 16) {
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
    char head[16][200];
    t->ncols = split_row(p + 1, head);
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

START_TEST(seed_table_shape)
{
    char dir[64];
    char *md = run_bench("seed", dir, sizeof dir);
    static mdtab t;
    find_table(md, "The seed's table, this machine", &t);
    ck_assert_int_eq(t.nrows, 3);
    ck_assert_int_eq(t.ncols, 13);
    ck_assert_str_eq(t.cell[0][0], "Pure Reads");
    ck_assert_str_eq(t.cell[1][0], "Pure Writes");
    ck_assert_str_eq(t.cell[2][0], "Read-Heavy (95% read 5% write)");
    for (int r = 0; r < 3; r++) {
        /* The seed's figures come from the CSV.  Measured cells may be
         * n/a: under a sanitizer a 5 ms run can end before a thread that
         * waits for a lock gets its first operation done. */
        ck_assert_msg(is_real_number(t.cell[r][5]), "seed RWMutex \"%s\"",
                      t.cell[r][5]);
        for (int c = 1; c < 13; c++)
            if (c != 3 && c != 7 && c != 9)
                ck_assert_msg(is_number(t.cell[r][c]), "row %d col %d: "
                              "\"%s\" is not a number", r, c, t.cell[r][c]);
        ck_assert_msg(strcmp(t.cell[r][9], "yes") == 0 ||
                      strcmp(t.cell[r][9], "no") == 0 ||
                      strcmp(t.cell[r][9], "n/a") == 0,
                      "Agrees column holds \"%s\"", t.cell[r][9]);
    }
    ck_assert_str_eq(t.cell[0][7], "rwlock"); /* the seed's winners */
    ck_assert_str_eq(t.cell[1][7], "cow");
    ck_assert_ptr_nonnull(strstr(md, "- cpu: "));
    ck_assert_ptr_nonnull(strstr(md, "- compiler: "));
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
                      strcmp(v, "untested") == 0,
                      "claim %s: verdict \"%s\"", t.cell[r][0], v);
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
        for (int r = 0; r < t.nrows; r++)
            for (int c = 0; c < t.ncols; c++)
                ck_assert_msg(c == 0 ? is_real_number(t.cell[r][c])
                                     : is_number(t.cell[r][c]),
                              "%s row %d col %d: \"%s\"", sweeps[i], r, c,
                              t.cell[r][c]);
    }
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
    char line[2048];
    int claims = 0, seed = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        claims += strncmp(line, "claims,C", 8) == 0;
        seed += strncmp(line, "seed,", 5) == 0;
    }
    fclose(f);
    ck_assert_int_ge(claims, 10);
    ck_assert_int_eq(seed, 3);
    cleanup(dir);
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
    tcase_add_test(tc, single_run_and_bad_arguments);
    tcase_add_test(tc, seed_table_shape);
    tcase_add_test(tc, claims_have_verdicts);
    suite_add_tcase(s, tc);
    return s;
}
