/* ch02_brlock.c - exercise 2.2: the big-reader lock with one mutex per
 * reader slot (exercises/ch02/brlock.c).
 *
 * Readers in different slots must not block each other, a reader in ANY
 * slot must keep a writer out, writers must exclude each other, and a
 * stress run under TSan must find no race.  Blocking is probed with the
 * try functions, so no test depends on timing.
 */
#include "brlock.h"
#include "test_util.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>

#define HINT "exercise 2.2 (exercises/ch02/brlock.c): "
enum { SLOTS = 4 };

static void init_or_fail(brlock *l, int nslots)
{
    ck_assert_msg(brlock_init(l, nslots) == 0,
                  HINT "brlock_init(l, %d) must allocate and initialise the "
                  "slots and return 0", nslots);
}

START_TEST(init_checks_slot_count)
{
    brlock l;
    errno = 0;
    ck_assert_msg(brlock_init(&l, 0) == -1 && errno == EINVAL,
                  HINT "brlock_init with 0 slots must fail with EINVAL");
    errno = 0;
    ck_assert_msg(brlock_init(&l, BRLOCK_MAX_SLOTS + 1) == -1 && errno == EINVAL,
                  HINT "brlock_init with too many slots must fail with EINVAL");
    init_or_fail(&l, BRLOCK_MAX_SLOTS);
    ck_assert_int_eq(l.nslots, BRLOCK_MAX_SLOTS);
    ck_assert_msg((uintptr_t)l.slots % 128 == 0,
                  HINT "allocate the slots with aligned_alloc so each sits "
                  "on its own 128-byte block");
    brlock_destroy(&l);
}
END_TEST

START_TEST(readers_in_different_slots_share)
{
    brlock l;
    init_or_fail(&l, SLOTS);
    brlock_rdlock(&l, 0);
    for (int s = 1; s < SLOTS; s++)
        ck_assert_msg(brlock_tryrdlock(&l, s),
                      HINT "a reader in slot %d must not wait for slot 0", s);
    for (int s = 0; s < SLOTS; s++)
        brlock_rdunlock(&l, s);
    brlock_destroy(&l);
}
END_TEST

START_TEST(reader_in_any_slot_keeps_writer_out)
{
    brlock l;
    init_or_fail(&l, SLOTS);
    for (int s = 0; s < SLOTS; s++) {
        brlock_rdlock(&l, s);
        ck_assert_msg(!brlock_trywrlock(&l),
                      HINT "a writer must not get in while slot %d is read", s);
        brlock_rdunlock(&l, s);
        /* trywrlock must have given back the slots it took: */
        for (int t = 0; t < SLOTS; t++) {
            ck_assert_msg(brlock_tryrdlock(&l, t),
                          HINT "a failed trywrlock left slot %d locked", t);
            brlock_rdunlock(&l, t);
        }
    }
    ck_assert_msg(brlock_trywrlock(&l), HINT "trywrlock on a free lock");
    for (int s = 0; s < SLOTS; s++)
        ck_assert_msg(!brlock_tryrdlock(&l, s),
                      HINT "no reader (slot %d) may enter while a writer is in",
                      s);
    ck_assert_msg(!brlock_trywrlock(&l), HINT "writers must exclude writers");
    brlock_wrunlock(&l);
    brlock_wrlock(&l);
    brlock_wrunlock(&l);
    brlock_destroy(&l);
}
END_TEST

typedef struct shared_pair {
    brlock l;
    long a, b, iters;
    atomic_long bad;
    atomic_int writers_left;
} shared_pair;

typedef struct reader_arg {
    shared_pair *p;
    int slot;
} reader_arg;

static void *stress_writer(void *arg)
{
    shared_pair *p = arg;
    for (long i = 0; i < p->iters; i++) {
        brlock_wrlock(&p->l);
        p->a++;
        p->b++;
        brlock_wrunlock(&p->l);
    }
    atomic_fetch_sub(&p->writers_left, 1);
    return NULL;
}

static void *stress_reader(void *arg)
{
    reader_arg *ra = arg;
    shared_pair *p = ra->p;
    while (atomic_load(&p->writers_left) > 0) {
        brlock_rdlock(&p->l, ra->slot);
        if (p->a != p->b)
            atomic_fetch_add(&p->bad, 1);
        brlock_rdunlock(&p->l, ra->slot);
    }
    return NULL;
}

START_TEST(stress_readers_and_writers)
{
    shared_pair p = {.iters = test_scale(20000, 300)};
    init_or_fail(&p.l, SLOTS);
    atomic_init(&p.writers_left, 2);
    pthread_t t[4];
    reader_arg ra[2] = {{&p, 0}, {&p, SLOTS - 1}};
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, stress_reader, &ra[i]), 0);
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
    brlock_destroy(&p.l);
}
END_TEST

Suite *ex02_brlock_suite(void)
{
    Suite *s = suite_create("ex02_brlock");
    TCase *tc = test_tcase("brlock", 30);
    tcase_add_test(tc, init_checks_slot_count);
    tcase_add_test(tc, readers_in_different_slots_share);
    tcase_add_test(tc, reader_in_any_slot_keeps_writer_out);
    tcase_add_test(tc, stress_readers_and_writers);
    suite_add_tcase(s, tc);
    return s;
}
