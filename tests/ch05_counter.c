/* ch05_counter.c - chapter 5: per-thread counters lose no increment. */
#include "counter.h"
#include "test_util.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>

typedef struct job {
    counter *c;
    long n;
} job;

static void *bump(void *arg)
{
    job *j = arg;
    int slot = counter_claim(j->c);
    ck_assert_int_ge(slot, 0);
    for (long i = 0; i < j->n; i++)
        counter_add(j->c, slot, 1);
    return NULL;
}

/* [ch05-test-counter] */
START_TEST(threads_sum_exactly)
{
    /* Three threads add concurrently while this thread keeps summing: the
     * running sums never go down, and the final sum is exact. */
    size_t stride = _i == 0 ? 64 : 128;
    counter *c = counter_create(4, stride);
    ck_assert_ptr_nonnull(c);
    long n = test_scale(200000, 1000);
    job j = { c, n };
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, bump, &j), 0);
    uint64_t last = 0;
    for (int k = 0; k < 1000; k++) {
        uint64_t s = counter_sum(c);
        ck_assert_uint_ge(s, last);
        last = s;
    }
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    ck_assert_uint_eq(counter_sum(c), (uint64_t)(3 * n));
    counter_destroy(c);
}
END_TEST
/* [ch05-test-counter] */

START_TEST(slots_run_out_and_bad_arguments)
{
    counter *c = counter_create(2, COUNTER_STRIDE);
    ck_assert_int_eq(counter_claim(c), 0);
    ck_assert_int_eq(counter_claim(c), 1);
    errno = 0;
    ck_assert_int_eq(counter_claim(c), -1);
    ck_assert_int_eq(errno, ENOSPC);
    counter_add(c, 1, 5);
    ck_assert_uint_eq(counter_sum(c), 5);
    /* slots really are stride bytes apart and aligned */
    ck_assert_uint_eq((uintptr_t)c->base % COUNTER_STRIDE, 0);
    counter_destroy(c);
    errno = 0;
    ck_assert_ptr_null(counter_create(0, 64));
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_ptr_null(counter_create(4, 96)); /* not a power of two */
    ck_assert_ptr_null(counter_create(4, 4));  /* smaller than a slot */
}
END_TEST


/* [ch05-test-counter-wrap] */
START_TEST(failed_claims_never_wrap)
{
    /* A claim that fails must leave the counter as it was.  Counting
     * failures too (a fetch_add) wraps the 32-bit count after 2^32 of
     * them and then hands out slot 0 again, to a second thread. */
    counter *c = counter_create(2, COUNTER_STRIDE);
    ck_assert_int_eq(counter_claim(c), 0);
    ck_assert_int_eq(counter_claim(c), 1);
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(counter_claim(c), -1);
    unsigned claimed = atomic_load(&c->claimed);
    ck_assert_uint_eq(claimed, 2); /* the failures left no trace */
    /* Start the count where 2^32 - 2 failed claims would have left a
     * counting implementation, and claim on past the wrap. */
    atomic_store(&c->claimed, UINT_MAX - 1);
    for (int i = 0; i < 4; i++) {
        errno = 0;
        ck_assert_int_eq(counter_claim(c), -1);
        ck_assert_int_eq(errno, ENOSPC);
    }
    counter_destroy(c);
}
END_TEST
/* [ch05-test-counter-wrap] */

Suite *ch05_counter_suite(void)
{
    Suite *s = suite_create("ch05_counter");
    TCase *tc = test_tcase("counter", 60);
    tcase_add_loop_test(tc, threads_sum_exactly, 0, 2);
    tcase_add_test(tc, slots_run_out_and_bad_arguments);
    tcase_add_test(tc, failed_claims_never_wrap);
    suite_add_tcase(s, tc);
    return s;
}
