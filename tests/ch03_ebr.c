/* ch03_ebr.c - chapter 3: epoch-based reclamation frees late, never early.
 *
 * The deterministic tests pin down the bound of ebr.h: with no reader in a
 * section, a retired object is freed by the second epoch advance after its
 * retirement; a reader inside a section holds reclamation back (and only
 * reclamation: retiring never waits).  The concurrent test lets readers
 * chase a pointer that a writer keeps replacing and retiring; the free
 * function poisons each object first, so a reader that could touch a freed
 * object sees the poison even without a sanitizer.
 */
#include "ebr.h"
#include "test_util.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

static _Atomic long freed_count;

static void count_free(void *p)
{
    atomic_fetch_add(&freed_count, 1);
    free(p);
}

static void *obj(void)
{
    void *p = malloc(16);
    ck_assert_ptr_nonnull(p);
    return p;
}

static size_t pending(ebr *d)
{
    size_t n;
    ebr_stats(d, &n, NULL);
    return n;
}

/* [ch03-test-bound] */
START_TEST(freed_on_second_advance)
{
    ebr *d = ebr_create();
    ck_assert_ptr_nonnull(d);
    atomic_store(&freed_count, 0);
    uint64_t e0 = ebr_epoch(d);
    ck_assert_int_eq(ebr_retire(d, obj(), count_free, 16), 0);
    ck_assert_uint_eq(pending(d), 1);
    /* First advance: a reader of epoch e0 could still hold it. */
    ck_assert_uint_eq(ebr_reclaim(d), 0);
    ck_assert_uint_eq(ebr_epoch(d), e0 + 1);
    ck_assert_uint_eq(pending(d), 1);
    /* Second advance: every reader of e0 has left; freed now. */
    ck_assert_uint_eq(ebr_reclaim(d), 1);
    ck_assert_uint_eq(ebr_epoch(d), e0 + 2);
    ck_assert_uint_eq(pending(d), 0);
    ck_assert_int_eq(atomic_load(&freed_count), 1);
    ebr_destroy(d);
}
END_TEST

START_TEST(reader_in_section_blocks_only_reclamation)
{
    ebr *d = ebr_create();
    ebr_reader *r = ebr_register(d);
    ck_assert_ptr_nonnull(r);
    atomic_store(&freed_count, 0);
    uint64_t e0 = ebr_epoch(d);
    ebr_enter(r); /* a reader that stays inside its section */
    ck_assert_int_eq(ebr_retire(d, obj(), count_free, 16), 0);
    for (int i = 0; i < 10; i++)
        ck_assert_uint_eq(ebr_reclaim(d), 0);
    /* The epoch moved once, then stopped: the reader announced e0. */
    ck_assert_uint_eq(ebr_epoch(d), e0 + 1);
    size_t bytes;
    /* Writers are never blocked: retiring goes on, garbage piles up. */
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(ebr_retire(d, obj(), count_free, 16), 0);
    ebr_stats(d, NULL, &bytes);
    ck_assert_uint_eq(pending(d), 1001);
    ck_assert_uint_eq(bytes, 1001 * 16);
    ck_assert_int_eq(atomic_load(&freed_count), 0);
    ebr_exit(r);
    /* Once the reader has left, two advances free everything. */
    ebr_reclaim(d);
    ebr_reclaim(d);
    ck_assert_uint_eq(pending(d), 0);
    ck_assert_int_eq(atomic_load(&freed_count), 1001);
    ebr_unregister(r);
    ebr_destroy(d);
}
END_TEST
/* [ch03-test-bound] */

START_TEST(late_reader_blocks_second_advance)
{
    /* A reader that enters after the retirement cannot hold the object,
     * but epochs cannot tell: it allows one advance, then holds the next
     * until it leaves.  The bound is still "two advances after everyone
     * has passed a quiescent point". */
    ebr *d = ebr_create();
    ebr_reader *r = ebr_register(d);
    atomic_store(&freed_count, 0);
    uint64_t e0 = ebr_epoch(d);
    ck_assert_int_eq(ebr_retire(d, obj(), count_free, 16), 0);
    ebr_enter(r);
    ck_assert_uint_eq(ebr_reclaim(d), 0);
    ck_assert_uint_eq(ebr_epoch(d), e0 + 1);
    ck_assert_uint_eq(ebr_reclaim(d), 0);
    ck_assert_uint_eq(ebr_epoch(d), e0 + 1); /* blocked by the reader */
    ebr_exit(r);
    ck_assert_uint_eq(ebr_reclaim(d), 1);
    ck_assert_uint_eq(ebr_epoch(d), e0 + 2);
    /* A reader idle between sections blocks nothing. */
    ck_assert_int_eq(ebr_retire(d, obj(), count_free, 16), 0);
    ck_assert_uint_eq(ebr_reclaim(d), 0);
    ck_assert_uint_eq(ebr_reclaim(d), 1);
    ebr_unregister(r);
    ebr_destroy(d);
}
END_TEST

START_TEST(synchronize_and_destroy_free_everything)
{
    ebr *d = ebr_create();
    ebr_reader *r = ebr_register(d);
    atomic_store(&freed_count, 0);
    for (int i = 0; i < 100; i++)
        ck_assert_int_eq(ebr_retire(d, obj(), count_free, 16), 0);
    ebr_synchronize(d);
    ck_assert_uint_eq(pending(d), 0);
    ck_assert_int_eq(atomic_load(&freed_count), 100);
    /* Retired and never reclaimed: ebr_destroy frees it (Valgrind checks). */
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(ebr_retire(d, obj(), count_free, 16), 0);
    ebr_unregister(r);
    ebr_destroy(d);
    ck_assert_int_eq(atomic_load(&freed_count), 105);
}
END_TEST

/* --- synchronize waits for a reader -------------------------------------- */

typedef struct sync_arg {
    ebr *d;
    _Atomic int done;
} sync_arg;

static void *synchronizer(void *p)
{
    sync_arg *a = p;
    ebr_synchronize(a->d);
    atomic_store(&a->done, 1);
    return NULL;
}

START_TEST(synchronize_waits_for_reader)
{
    ebr *d = ebr_create();
    ebr_reader *r = ebr_register(d);
    atomic_store(&freed_count, 0);
    ebr_enter(r);
    ck_assert_int_eq(ebr_retire(d, obj(), count_free, 16), 0);
    sync_arg a = { .d = d };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, synchronizer, &a), 0);
    /* Give the synchronizer plenty of chances to finish wrongly. */
    for (int i = 0; i < 1000; i++)
        sched_yield();
    ck_assert_msg(atomic_load(&a.done) == 0,
                  "ebr_synchronize returned while a reader was inside");
    ck_assert_int_eq(atomic_load(&freed_count), 0);
    ebr_exit(r);
    pthread_join(t, NULL);
    ck_assert_int_eq(atomic_load(&a.done), 1);
    ck_assert_int_eq(atomic_load(&freed_count), 1);
    ebr_unregister(r);
    ebr_destroy(d);
}
END_TEST

/* --- readers chase a pointer the writer keeps retiring ------------------- */

#define LIVE 0x11feULL
#define DEAD 0xdeadULL

typedef struct box {
    _Atomic uint64_t canary; /* LIVE until its free function runs */
    uint64_t serial;
} box;

static void box_free(void *p)
{
    box *b = p;
    /* relaxed: a reader that could still see this store is exactly the
     * bug the test looks for; the store is atomic so that such a reader is
     * reported as a wrong value, not as a data race. */
    atomic_store_explicit(&b->canary, DEAD, memory_order_relaxed);
    atomic_fetch_add(&freed_count, 1);
    free(b);
}

typedef struct chase {
    ebr *d;
    _Atomic(box *) cur;
    _Atomic int stop;
    _Atomic long bad;
    _Atomic long reads;
} chase;

static box *box_new(uint64_t serial)
{
    box *b = malloc(sizeof *b);
    ck_assert_ptr_nonnull(b);
    atomic_init(&b->canary, LIVE);
    b->serial = serial;
    return b;
}

static void *chaser(void *p)
{
    chase *c = p;
    ebr_reader *r = ebr_register(c->d);
    long reads = 0;
    uint64_t last = 0;
    while (!atomic_load(&c->stop)) {
        ebr_enter(r);
        box *b = atomic_load_explicit(&c->cur, memory_order_acquire);
        for (int i = 0; i < 4; i++) { /* linger inside the section */
            if (atomic_load_explicit(&b->canary, memory_order_relaxed) != LIVE)
                atomic_fetch_add(&c->bad, 1);
            sched_yield();
        }
        if (b->serial < last) /* snapshots only move forward */
            atomic_fetch_add(&c->bad, 1);
        last = b->serial;
        ebr_exit(r);
        reads++;
    }
    atomic_fetch_add(&c->reads, reads);
    ebr_unregister(r);
    return NULL;
}

START_TEST(concurrent_readers_never_see_freed)
{
    chase c = { .d = ebr_create() };
    atomic_store(&freed_count, 0);
    atomic_init(&c.cur, box_new(0));
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, chaser, &c), 0);
    long n = test_scale(20000, 500);
    for (long i = 1; i <= n; i++) {
        box *old = atomic_exchange_explicit(&c.cur, box_new((uint64_t)i),
                                            memory_order_acq_rel);
        ck_assert_int_eq(ebr_retire(c.d, old, box_free, sizeof *old), 0);
        ebr_reclaim(c.d);
    }
    atomic_store(&c.stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&c.bad), 0);
    ck_assert_int_gt(atomic_load(&c.reads), 0);
    ebr_synchronize(c.d);
    ck_assert_uint_eq(pending(c.d), 0);
    ck_assert_int_eq(atomic_load(&freed_count), n);
    box_free(atomic_load(&c.cur));
    ebr_destroy(c.d);
}
END_TEST

Suite *ch03_ebr_suite(void)
{
    Suite *s = suite_create("ebr");
    TCase *tc = test_tcase("bound", 10);
    tcase_add_test(tc, freed_on_second_advance);
    tcase_add_test(tc, reader_in_section_blocks_only_reclamation);
    tcase_add_test(tc, late_reader_blocks_second_advance);
    tcase_add_test(tc, synchronize_and_destroy_free_everything);
    tcase_add_test(tc, synchronize_waits_for_reader);
    suite_add_tcase(s, tc);
    TCase *cc = test_tcase("concurrent", 120);
    tcase_add_test(cc, concurrent_readers_never_see_freed);
    suite_add_tcase(s, cc);
    return s;
}
