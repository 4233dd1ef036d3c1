/* ch02_latch.c - the primer's exercise (chapter 1b), run with chapter 2's
 * exercises: a count-down latch from a mutex and a condition variable
 * (exercises/ch02/latch.c).
 *
 * No test sleeps.  "A thread is blocked in latch_wait()" is learnt from
 * l->waits under the latch's own mutex: the waiter adds one just before
 * pthread_cond_wait(), which releases the mutex atomically, so a thread
 * that then gets the mutex knows the waiter is asleep.  A spurious wake-up
 * is injected by broadcasting `zero` with nothing changed; the waiter must
 * then be seen waiting again (waits grows), never returned.
 */
#include "latch.h"
#include "test_util.h"

#include <sched.h>
#include <stdatomic.h>

#define HINT "primer exercise (exercises/ch02/latch.c): "

typedef struct waiter {
    latch *l;
    atomic_bool returned; /* latch_wait() has returned */
} waiter;

static void *wait_thread(void *arg)
{
    waiter *w = arg;
    latch_wait(w->l);
    /* release: the test that reads true also sees what we did before. */
    atomic_store_explicit(&w->returned, true, memory_order_release);
    return NULL;
}

static unsigned waits(latch *l)
{
    pthread_mutex_lock(&l->mu);
    unsigned n = l->waits;
    pthread_mutex_unlock(&l->mu);
    return n;
}

/* Spin until l->waits reaches n or some waiter has returned. */
static void until_waits(latch *l, unsigned n, waiter *w, int nw)
{
    for (;;) {
        if (waits(l) >= n)
            return;
        for (int i = 0; i < nw; i++)
            if (atomic_load_explicit(&w[i].returned, memory_order_acquire))
                return;
        sched_yield();
    }
}

static void init_or_fail(latch *l, unsigned count)
{
    ck_assert_msg(latch_init(l, count) == 0,
                  HINT "latch_init() must initialise the mutex and the "
                  "condition variable, set the counts, and return 0");
}

START_TEST(open_latch_does_not_block)
{
    latch l;
    init_or_fail(&l, 0);
    ck_assert_msg(latch_is_open(&l), HINT "a latch made with count 0 is open");
    latch_wait(&l); /* must return at once (the tcase timeout catches a hang) */
    latch_count_down(&l);
    ck_assert_msg(latch_is_open(&l), HINT "counting down an open latch "
                  "leaves it open (the count must not wrap below 0)");
    latch_destroy(&l);
}
END_TEST

START_TEST(counts_down_to_open)
{
    latch l;
    init_or_fail(&l, 2);
    ck_assert_msg(!latch_is_open(&l), HINT "a latch made with count 2 is closed");
    latch_count_down(&l);
    ck_assert_msg(!latch_is_open(&l), HINT "one count-down of two: still closed");
    latch_count_down(&l);
    ck_assert_msg(latch_is_open(&l), HINT "two count-downs of two: open");
    latch_destroy(&l);
}
END_TEST

START_TEST(spurious_wake_up_does_not_open)
{
    latch l;
    init_or_fail(&l, 1);
    waiter w = { .l = &l };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, wait_thread, &w), 0);
    until_waits(&l, 1, &w, 1);
    ck_assert_msg(!atomic_load(&w.returned),
                  HINT "latch_wait() returned while the latch was closed");
    pthread_mutex_lock(&l.mu);            /* the waiter is asleep now */
    pthread_cond_broadcast(&l.zero);      /* wake it, change nothing */
    pthread_mutex_unlock(&l.mu);
    until_waits(&l, 2, &w, 1);            /* waits again, or returned */
    ck_assert_msg(!atomic_load_explicit(&w.returned, memory_order_acquire),
                  HINT "after a wake-up with count still 1, latch_wait() "
                  "returned: wait in a while loop, not an if");
    latch_count_down(&l);
    pthread_join(t, NULL);
    ck_assert(atomic_load(&w.returned));
    latch_destroy(&l);
}
END_TEST

START_TEST(zero_wakes_every_waiter)
{
    latch l;
    init_or_fail(&l, 1);
    waiter w[3] = { { .l = &l }, { .l = &l }, { .l = &l } };
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, wait_thread, &w[i]), 0);
    until_waits(&l, 3, w, 3);             /* all three asleep */
    for (int i = 0; i < 3; i++)
        ck_assert_msg(!atomic_load(&w[i].returned),
                      HINT "latch_wait() returned while the latch was closed");
    latch_count_down(&l);                 /* one count-down opens it */
    /* A latch that signals instead of broadcasting leaves two waiters
     * asleep for ever: the join hangs and the tcase timeout fails it. */
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    latch_destroy(&l);
}
END_TEST

Suite *ex02_latch_suite(void)
{
    Suite *s = suite_create("ex02_latch");
    TCase *tc = test_tcase("latch", 10);
    tcase_add_test(tc, open_latch_does_not_block);
    tcase_add_test(tc, counts_down_to_open);
    tcase_add_test(tc, spurious_wake_up_does_not_open);
    tcase_add_test(tc, zero_wakes_every_waiter);
    suite_add_tcase(s, tc);
    return s;
}
