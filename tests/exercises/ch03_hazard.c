/* ch03_hazard.c - exercise 3.2: hazard pointers free late, never early. */
#include "hazard.h"
#include "test_util.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

static _Atomic long freed;

typedef struct obj {
    _Atomic uint64_t canary; /* 0x11fe while alive */
    long serial;
} obj;

static void obj_free(void *p)
{
    obj *o = p;
    atomic_store_explicit(&o->canary, 0xdead, memory_order_relaxed);
    atomic_fetch_add(&freed, 1);
    free(o);
}

static obj *obj_new(long serial)
{
    obj *o = malloc(sizeof *o);
    ck_assert_ptr_nonnull(o);
    atomic_init(&o->canary, 0x11fe);
    o->serial = serial;
    return o;
}

START_TEST(protected_object_survives_scan)
{
    hp_domain *d = hp_create();
    hp_slot *h = hp_register(d);
    ck_assert_ptr_nonnull(h);
    atomic_store(&freed, 0);
    void *_Atomic src = obj_new(1);
    obj *p = hp_protect(h, &src);
    ck_assert_ptr_nonnull(p);
    /* The writer replaces and retires p while the reader holds it. */
    void *old = atomic_exchange(&src, obj_new(2));
    ck_assert_ptr_eq(old, p);
    ck_assert_int_eq(hp_retire(d, old, obj_free), 0);
    hp_scan(d);
    ck_assert_msg(atomic_load(&freed) == 0,
                  "exercise 3.2: hp_scan() freed an object a reader "
                  "protects; implement hp_protect() (announce + re-check) "
                  "and hp_scan() (skip protected objects) in "
                  "exercises/ch03/hazard.c");
    ck_assert_int_eq(p->serial, 1);
    ck_assert_uint_eq(hp_pending(d), 1);
    hp_clear(h);
    ck_assert_uint_eq(hp_scan(d), 1);
    ck_assert_uint_eq(hp_pending(d), 0);
    hp_unregister(h);
    obj_free(atomic_load(&src));
    hp_destroy(d);
}
END_TEST

START_TEST(unprotected_objects_are_freed)
{
    hp_domain *d = hp_create();
    hp_slot *h = hp_register(d);
    atomic_store(&freed, 0);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(hp_retire(d, obj_new(i), obj_free), 0);
    ck_assert_uint_eq(hp_scan(d), 10);
    ck_assert_uint_eq(hp_pending(d), 0);
    hp_unregister(h);
    hp_destroy(d);
}
END_TEST

typedef struct chase {
    hp_domain *d;
    void *_Atomic cur;
    _Atomic int stop;
    _Atomic long bad;
} chase;

static void *reader(void *arg)
{
    chase *c = arg;
    hp_slot *h = hp_register(c->d);
    long last = 0;
    while (!atomic_load(&c->stop)) {
        obj *o = hp_protect(h, &c->cur);
        for (int i = 0; i < 3; i++) {
            if (atomic_load_explicit(&o->canary, memory_order_relaxed) != 0x11fe)
                atomic_fetch_add(&c->bad, 1);
            sched_yield();
        }
        if (o->serial < last)
            atomic_fetch_add(&c->bad, 1);
        last = o->serial;
        hp_clear(h);
    }
    hp_unregister(h);
    return NULL;
}

START_TEST(concurrent_readers_never_see_freed)
{
    chase c = { .d = hp_create() };
    atomic_init(&c.cur, obj_new(0));
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, reader, &c), 0);
    long n = test_scale(20000, 500);
    for (long i = 1; i <= n; i++) {
        void *old = atomic_exchange(&c.cur, obj_new(i));
        ck_assert_int_eq(hp_retire(c.d, old, obj_free), 0);
        if (i % 8 == 0)
            hp_scan(c.d);
    }
    atomic_store(&c.stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_msg(atomic_load(&c.bad) == 0,
                  "exercise 3.2: readers used %ld freed objects",
                  atomic_load(&c.bad));
    hp_scan(c.d);
    ck_assert_uint_eq(hp_pending(c.d), 0);
    obj_free(atomic_load(&c.cur));
    hp_destroy(c.d);
}
END_TEST

Suite *ex03_hazard_suite(void)
{
    Suite *s = suite_create("ex03_hazard");
    TCase *tc = test_tcase("hazard", 60);
    tcase_add_test(tc, protected_object_survives_scan);
    tcase_add_test(tc, unprotected_objects_are_freed);
    tcase_add_test(tc, concurrent_readers_never_see_freed);
    suite_add_tcase(s, tc);
    return s;
}
