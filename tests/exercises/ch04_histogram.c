/* ch04_histogram.c - exercise 4.1: percentiles from a log-linear
 * histogram are never below the exact answer and at most 1/16 above it. */
#include "histogram.h"
#include "test_util.h"

#include <stdlib.h>

static hist h;

#define HINT "exercise 4.1: write hist_record() and hist_percentile() in " \
             "exercises/ch04/histogram.c"

START_TEST(small_values_are_exact)
{
    hist_init(&h);
    for (uint64_t v = 1; v <= 10; v++)
        hist_record(&h, v);
    ck_assert_msg(h.count == 10, HINT ": count is %llu after 10 records",
                  (unsigned long long)h.count);
    ck_assert_msg(hist_percentile(&h, 50) == 5, HINT ": p50 of 1..10 is 5, "
                  "got %llu", (unsigned long long)hist_percentile(&h, 50));
    ck_assert_uint_eq(hist_percentile(&h, 100), 10);
    ck_assert_uint_eq(hist_percentile(&h, 1), 1);
    ck_assert_uint_eq(hist_percentile(&h, 0), 1);
}
END_TEST

START_TEST(large_values_within_one_sixteenth)
{
    hist_init(&h);
    for (uint64_t v = 1; v <= 100000; v++)
        hist_record(&h, v);
    const double ps[] = {50, 90, 99, 99.9};
    for (size_t i = 0; i < sizeof ps / sizeof ps[0]; i++) {
        uint64_t exact = (uint64_t)(ps[i] * 1000); /* nearest rank */
        uint64_t got = hist_percentile(&h, ps[i]);
        ck_assert_msg(got >= exact && got <= exact + exact / 16,
                      HINT ": p%g of 1..100000 should be in [%llu, %llu], "
                      "got %llu", ps[i], (unsigned long long)exact,
                      (unsigned long long)(exact + exact / 16),
                      (unsigned long long)got);
    }
    ck_assert_uint_eq(hist_percentile(&h, 100), 100000);
    ck_assert_uint_eq(h.max, 100000);
}
END_TEST

START_TEST(extremes)
{
    hist_init(&h);
    ck_assert_uint_eq(hist_percentile(&h, 50), 0); /* empty */
    hist_record(&h, 0);
    hist_record(&h, UINT64_MAX);
    ck_assert_msg(h.count == 2, HINT ": count is %llu after 2 records",
                  (unsigned long long)h.count);
    ck_assert_uint_eq(hist_percentile(&h, 50), 0);
    ck_assert_uint_eq(hist_percentile(&h, 100), UINT64_MAX);
    uint64_t total = 0;
    for (int b = 0; b < HIST_BUCKETS; b++)
        total += h.buckets[b];
    ck_assert_uint_eq(total, 2);
}
END_TEST

Suite *ex04_histogram_suite(void)
{
    Suite *s = suite_create("ex04_histogram");
    TCase *tc = test_tcase("histogram", 10);
    tcase_add_test(tc, small_values_are_exact);
    tcase_add_test(tc, large_values_within_one_sixteenth);
    tcase_add_test(tc, extremes);
    suite_add_tcase(s, tc);
    return s;
}
