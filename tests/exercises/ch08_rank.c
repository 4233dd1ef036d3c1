/* ch08_rank.c - tests for exercise 8.2 (exercises/ch08/rank_ex.c). */
#include "rank_ex.h"
#include "test_util.h"

#include <stdlib.h>

#define HINT "exercise 8.2: write ex_rank in exercises/ch08/rank_ex.c"

/* Elements are pointers into one array of even numbers, so odd keys are
 * absent and even ones present; comparisons are counted. */
static long compares;

static int cmp_long(const void *a, const void *b)
{
    compares++;
    long x = *(const long *)a, y = *(const long *)b;
    return x < y ? -1 : x > y;
}

static const pbtree_ops ops = { .compare = cmp_long };

/* Check every key from -1 to 2n against the rank a sorted array gives,
 * and that each lookup makes at most a binary search per level. */
static void check_all(const pbtree *t, long n)
{
    long most = 7L * (long)pbtree_height(t) + 2;
    for (long key = -1; key <= 2 * n; key++) {
        bool found = !(key % 2 == 0 && key >= 0 && key < 2 * n);
        compares = 0;
        size_t r = ex_rank(t, &key, &found);
        size_t want = key < 0 ? 0 : (size_t)((key + 1) / 2);
        if (want > (size_t)n)
            want = (size_t)n;
        ck_assert_msg(r == want, HINT ": rank of %ld in 0, 2, ..., %ld is "
                      "%zu, you said %zu", key, 2 * (n - 1), want, r);
        ck_assert_msg(found == (key % 2 == 0 && key >= 0 && key < 2 * n),
                      HINT ": found is wrong for key %ld", key);
        ck_assert_msg(compares <= most, HINT ": %ld comparisons for one "
                      "rank in a tree of %ld elements and %u levels; a "
                      "descent by subtree counts needs at most %ld",
                      compares, n, pbtree_height(t), most);
    }
}

START_TEST(rank_of_every_key)
{
    long sizes[] = { 0, 1, 31, 32, 33, 1000, 40000 };
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        long n = sizes[s];
        long *v = malloc((size_t)(n + 1) * sizeof *v);
        void **p = malloc((size_t)(n + 1) * sizeof *p);
        for (long i = 0; i < n; i++) {
            v[i] = 2 * i;
            p[i] = &v[i];
        }
        pbtree *t;
        ck_assert_int_eq(pbtree_from_array(&ops, p, (size_t)n, &t), 0);
        check_all(t, n);
        pbtree_release(t);
        free(p);
        free(v);
    }
}
END_TEST

/* A tree built by inserts in random order has nodes of every fill. */
START_TEST(rank_after_random_inserts)
{
    long n = test_scale(20000, 3000);
    long *v = malloc((size_t)n * sizeof *v);
    for (long i = 0; i < n; i++)
        v[i] = 2 * i;
    unsigned seed = 82;
    for (long i = n - 1; i > 0; i--) { /* shuffle the insertion order */
        long j = rand_r(&seed) % (i + 1), x = v[i];
        v[i] = v[j];
        v[j] = x;
    }
    pbtree *t = pbtree_new(&ops), *u;
    ck_assert_ptr_nonnull(t);
    for (long i = 0; i < n; i++) {
        ck_assert_int_eq(pbtree_add(t, &v[i], false, &u), 1);
        pbtree_release(t);
        t = u;
    }
    check_all(t, n);
    pbtree_release(t);
    free(v);
}
END_TEST

Suite *ex08_rank_suite(void)
{
    Suite *s = suite_create("ex08_rank");
    TCase *tc = test_tcase("rank", 60);
    tcase_add_test(tc, rank_of_every_key);
    tcase_add_test(tc, rank_after_random_inserts);
    suite_add_tcase(s, tc);
    return s;
}
