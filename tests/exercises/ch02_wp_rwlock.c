/* ch02_wp_rwlock.c - exercise 2.1: the writer-preferring lock built from a
 * mutex and condition variables (exercises/ch02/wp_rwlock.c).
 *
 * Exclusion and preference are tested without timing: "a writer is
 * waiting" is read from writers_waiting under the lock's own mutex, and the
 * would-it-wait question is asked with wp_rwlock_tryrdlock().  The stress
 * test lets TSan see every access a broken lock would let race.
 */
#include "wp_rwlock.h"
#include "test_util.h"

#include <sched.h>
#include <stdatomic.h>

#define HINT "exercise 2.1 (exercises/ch02/wp_rwlock.c): "

static void init_or_fail(wp_rwlock *l)
{
    ck_assert_msg(wp_rwlock_init(l) == 0,
                  HINT "wp_rwlock_init() must initialise the mutex, both "
                  "condition variables and the counts, and return 0");
}

static int writers_waiting(wp_rwlock *l)
{
    pthread_mutex_lock(&l->mu);
    int n = l->writers_waiting;
    pthread_mutex_unlock(&l->mu);
    return n;
}

START_TEST(readers_share)
{
    wp_rwlock l;
    init_or_fail(&l);
    ck_assert_msg(wp_rwlock_tryrdlock(&l),
                  HINT "tryrdlock on a free lock must succeed");
    ck_assert_msg(wp_rwlock_tryrdlock(&l),
                  HINT "a second reader must share the lock with the first");
    wp_rwlock_rdunlock(&l);
    wp_rwlock_rdunlock(&l);
    wp_rwlock_rdlock(&l);
    wp_rwlock_rdunlock(&l);
    wp_rwlock_destroy(&l);
}
END_TEST

START_TEST(writer_excludes_readers)
{
    wp_rwlock l;
    init_or_fail(&l);
    wp_rwlock_wrlock(&l);
    ck_assert_msg(!wp_rwlock_tryrdlock(&l),
                  HINT "no reader may enter while a writer is inside");
    wp_rwlock_wrunlock(&l);
    ck_assert_msg(wp_rwlock_tryrdlock(&l),
                  HINT "after wrunlock a reader must get in");
    wp_rwlock_rdunlock(&l);
    wp_rwlock_destroy(&l);
}
END_TEST

typedef struct scene {
    wp_rwlock l;
    atomic_bool writer_done;
    atomic_bool reader_saw_writer_done;
} scene;

static void *writer_thread(void *arg)
{
    scene *sc = arg;
    wp_rwlock_wrlock(&sc->l);
    atomic_store(&sc->writer_done, true);
    wp_rwlock_wrunlock(&sc->l);
    return NULL;
}

static void *late_reader_thread(void *arg)
{
    scene *sc = arg;
    wp_rwlock_rdlock(&sc->l);
    atomic_store(&sc->reader_saw_writer_done, atomic_load(&sc->writer_done));
    wp_rwlock_rdunlock(&sc->l);
    return NULL;
}

START_TEST(waiting_writer_goes_before_new_readers)
{
    scene sc = {0};
    init_or_fail(&sc.l);
    wp_rwlock_rdlock(&sc.l);                     /* reader A inside */
    pthread_t w, b;
    ck_assert_int_eq(pthread_create(&w, NULL, writer_thread, &sc), 0);
    while (writers_waiting(&sc.l) == 0)          /* the writer waits for A */
        sched_yield();
    ck_assert_msg(!atomic_load(&sc.writer_done),
                  HINT "wrlock must wait while a reader is inside");
    ck_assert_msg(!wp_rwlock_tryrdlock(&sc.l),
                  HINT "writer preference: a new reader must not enter while "
                  "a writer is waiting (check writers_waiting in rdlock)");
    ck_assert_int_eq(pthread_create(&b, NULL, late_reader_thread, &sc), 0);
    wp_rwlock_rdunlock(&sc.l);                   /* A leaves */
    ck_assert_int_eq(pthread_join(w, NULL), 0);
    ck_assert_int_eq(pthread_join(b, NULL), 0);
    ck_assert_msg(atomic_load(&sc.reader_saw_writer_done),
                  HINT "the reader that arrived while the writer waited must "
                  "get in only after the writer");
    ck_assert_int_eq(writers_waiting(&sc.l), 0);
    wp_rwlock_destroy(&sc.l);
}
END_TEST

/* Stress: writers keep a == b under the write lock; readers check it under
 * the read lock.  Plain ints on purpose: with a broken lock TSan reports
 * the race, and without TSan a reader may see a != b. */
typedef struct shared_pair {
    wp_rwlock l;
    long a, b;
    long iters;
    atomic_long bad;
    atomic_int writers_left;
} shared_pair;

static void *stress_writer(void *arg)
{
    shared_pair *p = arg;
    for (long i = 0; i < p->iters; i++) {
        wp_rwlock_wrlock(&p->l);
        p->a++;
        p->b++;
        wp_rwlock_wrunlock(&p->l);
    }
    atomic_fetch_sub(&p->writers_left, 1);
    return NULL;
}

static void *stress_reader(void *arg)
{
    shared_pair *p = arg;
    while (atomic_load(&p->writers_left) > 0) {
        wp_rwlock_rdlock(&p->l);
        if (p->a != p->b)
            atomic_fetch_add(&p->bad, 1);
        wp_rwlock_rdunlock(&p->l);
    }
    return NULL;
}

START_TEST(stress_readers_and_writers)
{
    shared_pair p = {.iters = test_scale(20000, 300)};
    init_or_fail(&p.l);
    atomic_init(&p.writers_left, 2);
    pthread_t t[4];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, stress_reader, &p), 0);
    for (int i = 2; i < 4; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, stress_writer, &p), 0);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    ck_assert_msg(atomic_load(&p.bad) == 0,
                  HINT "%ld read sections saw a writer half-way",
                  atomic_load(&p.bad));
    ck_assert_msg(p.a == 2 * p.iters && p.b == 2 * p.iters,
                  HINT "lost updates: a=%ld b=%ld, want %ld", p.a, p.b,
                  2 * p.iters);
    wp_rwlock_destroy(&p.l);
}
END_TEST

Suite *ex02_wp_rwlock_suite(void)
{
    Suite *s = suite_create("ex02_wp_rwlock");
    TCase *tc = test_tcase("wp_rwlock", 30);
    tcase_add_test(tc, readers_share);
    tcase_add_test(tc, writer_excludes_readers);
    tcase_add_test(tc, waiting_writer_goes_before_new_readers);
    tcase_add_test(tc, stress_readers_and_writers);
    suite_add_tcase(s, tc);
    return s;
}
