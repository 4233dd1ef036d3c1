/* ch04_zipf.c - exercise 4.2: zipfian ranks have the right frequencies. */
#include "zipf.h"
#include "test_util.h"

#include <math.h>
#include <stdlib.h>

#define HINT "exercise 4.2: write zipf_init() and zipf_next() in " \
             "exercises/ch04/zipf.c"

START_TEST(frequencies_follow_the_law)
{
    zipf z;
    ck_assert_msg(zipf_init(&z, 100, 1.0, 42) == 0,
                  HINT ": zipf_init(n=100, s=1) returned -1");
    enum { DRAWS = 200000 };
    static long seen[100];
    for (int i = 0; i < DRAWS; i++) {
        size_t k = zipf_next(&z);
        ck_assert_msg(k < 100, HINT ": rank %zu out of [0, 100)", k);
        seen[k]++;
    }
    double h = 0; /* harmonic number H_100: rank 0 has probability 1/H */
    for (int k = 1; k <= 100; k++)
        h += 1.0 / k;
    double p0 = (double)seen[0] / DRAWS;
    ck_assert_msg(fabs(p0 - 1 / h) < 0.01, HINT ": rank 0 drawn %.4f of the "
                  "time, expected %.4f", p0, 1 / h);
    double r = (double)seen[0] / (double)seen[1];
    ck_assert_msg(r > 1.8 && r < 2.2, HINT ": rank 0 / rank 1 = %.3f, "
                  "expected about 2", r);
    ck_assert_msg(seen[99] > 0, HINT ": rank 99 never drawn");
    zipf_free(&z);
}
END_TEST

START_TEST(uniform_and_deterministic)
{
    zipf a, b;
    ck_assert_msg(zipf_init(&a, 10, 0.0, 7) == 0 &&
                  zipf_init(&b, 10, 0.0, 7) == 0,
                  HINT ": zipf_init(n=10, s=0) returned -1");
    long seen[10] = {0};
    for (int i = 0; i < 100000; i++) {
        size_t x = zipf_next(&a), y = zipf_next(&b);
        ck_assert_msg(x == y, HINT ": the same seed must give the same ranks");
        ck_assert_uint_lt(x, 10);
        seen[x]++;
    }
    for (int k = 0; k < 10; k++)
        ck_assert_msg(seen[k] > 9000 && seen[k] < 11000, HINT ": with s = 0 "
                      "rank %d was drawn %ld times of 100000", k, seen[k]);
    zipf_free(&a);
    zipf_free(&b);
}
END_TEST

START_TEST(bad_arguments)
{
    zipf z;
    ck_assert_int_eq(zipf_init(&z, 0, 1.0, 1), -1);
    ck_assert_int_eq(zipf_init(&z, 10, -1.0, 1), -1);
    ck_assert_int_eq(zipf_init(&z, 10, NAN, 1), -1);
    ck_assert_int_eq(zipf_init(&z, 10, INFINITY, 1), -1);
    ck_assert_msg(zipf_init(&z, 1, 2.0, 1) == 0, HINT ": n = 1 is valid");
    ck_assert_uint_eq(zipf_next(&z), 0);
    zipf_free(&z);
}
END_TEST

Suite *ex04_zipf_suite(void)
{
    Suite *s = suite_create("ex04_zipf");
    TCase *tc = test_tcase("zipf", 20);
    tcase_add_test(tc, frequencies_follow_the_law);
    tcase_add_test(tc, uniform_and_deterministic);
    tcase_add_test(tc, bad_arguments);
    suite_add_tcase(s, tc);
    return s;
}
