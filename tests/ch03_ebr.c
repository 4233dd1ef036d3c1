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
#define EBR_TEST_HOOKS /* the enter hook of ebr_private.h */
#include "ebr.h"
#include "ebr_private.h"
#include "test_util.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

static _Atomic long freed_count;

/* A retired object: the queue link first, so the node is the object. */
typedef struct item {
    ebr_node node;
    char payload[16];
} item;

static void count_free(ebr_node *n)
{
    atomic_fetch_add(&freed_count, 1);
    free(n);
}

static ebr_node *obj(void)
{
    item *p = malloc(sizeof *p);
    ck_assert_ptr_nonnull(p);
    return &p->node;
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
    ebr_retire(d, obj(), count_free, 16);
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
    ebr_retire(d, obj(), count_free, 16);
    for (int i = 0; i < 10; i++)
        ck_assert_uint_eq(ebr_reclaim(d), 0);
    /* The epoch moved once, then stopped: the reader announced e0. */
    ck_assert_uint_eq(ebr_epoch(d), e0 + 1);
    size_t bytes;
    /* Writers are never blocked: retiring goes on, garbage piles up. */
    for (int i = 0; i < 1000; i++)
        ebr_retire(d, obj(), count_free, 16);
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
    ebr_retire(d, obj(), count_free, 16);
    ebr_enter(r);
    ck_assert_uint_eq(ebr_reclaim(d), 0);
    ck_assert_uint_eq(ebr_epoch(d), e0 + 1);
    ck_assert_uint_eq(ebr_reclaim(d), 0);
    ck_assert_uint_eq(ebr_epoch(d), e0 + 1); /* blocked by the reader */
    ebr_exit(r);
    ck_assert_uint_eq(ebr_reclaim(d), 1);
    ck_assert_uint_eq(ebr_epoch(d), e0 + 2);
    /* A reader idle between sections blocks nothing. */
    ebr_retire(d, obj(), count_free, 16);
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
        ebr_retire(d, obj(), count_free, 16);
    ebr_synchronize(d);
    ck_assert_uint_eq(pending(d), 0);
    ck_assert_int_eq(atomic_load(&freed_count), 100);
    /* Retired and never reclaimed: ebr_destroy frees it (Valgrind checks). */
    for (int i = 0; i < 5; i++)
        ebr_retire(d, obj(), count_free, 16);
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
    ebr_retire(d, obj(), count_free, 16);
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
    ebr_node node;           /* first: the node is the box */
    _Atomic uint64_t canary; /* LIVE until its free function runs */
    uint64_t serial;
} box;

static void box_free(ebr_node *p)
{
    box *b = (box *)(void *)p;
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
        atomic_fetch_add(&c->reads, 1); /* the writer waits for some */
    }
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
    /* At least n replacements, and more until the readers have made a few
     * reads between them: on a busy machine the readers may not run at all
     * during the first n, and a chase nobody ran proves nothing. */
    for (long i = 1; i <= n || atomic_load(&c.reads) < 30; i++) {
        box *old = atomic_exchange_explicit(&c.cur, box_new((uint64_t)i),
                                            memory_order_acq_rel);
        ebr_retire(c.d, &old->node, box_free, sizeof *old);
        ebr_reclaim(c.d);
        if (i >= n) {
            n = i; /* freed_count below counts every replacement */
            sched_yield();
        }
    }
    atomic_store(&c.stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    ck_assert_int_eq(atomic_load(&c.bad), 0);
    ck_assert_int_gt(atomic_load(&c.reads), 0);
    ebr_synchronize(c.d);
    ck_assert_uint_eq(pending(c.d), 0);
    ck_assert_int_eq(atomic_load(&freed_count), n);
    box_free(&atomic_load(&c.cur)->node);
    ck_assert_int_eq(ebr_destroy(c.d), 0);
}
END_TEST


/* --- the window between loading the epoch and announcing it ------------- */

static ebr *hook_d;
static _Atomic(box *) hook_cur;
static int hook_calls;

/* Runs inside ebr_enter(), after the reader loaded the epoch and before it
 * announced it: replace the published box and reclaim as hard as possible.
 * The first call can advance twice (the slot is still idle) and free the
 * old box; the second finds the stale announcement and is held back. */
static void advance_in_window(ebr_reader *r, uint64_t seen)
{
    (void)r;
    (void)seen;
    if (++hook_calls > 2)
        return;
    box *old = atomic_exchange_explicit(&hook_cur, box_new(hook_calls),
                                        memory_order_acq_rel);
    ebr_retire(hook_d, &old->node, box_free, sizeof *old);
    ebr_reclaim(hook_d);
    ebr_reclaim(hook_d);
}

/* [ch03-test-enter-window] */
START_TEST(enter_announces_the_current_epoch)
{
    hook_d = ebr_create();
    ebr_reader *r = ebr_register(hook_d);
    atomic_store(&freed_count, 0);
    atomic_init(&hook_cur, box_new(0));
    hook_calls = 0;
    uint64_t e0 = ebr_epoch(hook_d);
    ebr_test_enter_hook = advance_in_window;
    ebr_enter(r);
    ebr_test_enter_hook = NULL;
    /* The epoch moved twice in the window: the reader noticed and
     * announced again, and what it announced is the epoch now. */
    ck_assert_int_eq(hook_calls, 2);
    ck_assert_uint_eq(ebr_epoch(hook_d), e0 + 2);
    ck_assert_uint_eq(atomic_load(&r->announced), ebr_epoch(hook_d));
    ck_assert_int_eq(atomic_load(&freed_count), 1); /* box 0, in the window */
    /* What the reader loads now stays alive while it is inside, however
     * hard the writer reclaims (AddressSanitizer checks the reads). */
    box *b = atomic_load_explicit(&hook_cur, memory_order_acquire);
    box *old = atomic_exchange_explicit(&hook_cur, box_new(99),
                                        memory_order_acq_rel);
    ck_assert_ptr_eq(old, b);
    ebr_retire(hook_d, &old->node, box_free, sizeof *old);
    for (int i = 0; i < 10; i++)
        ebr_reclaim(hook_d);
    ck_assert_uint_eq(atomic_load(&b->canary), LIVE);
    ck_assert_uint_eq(b->serial, 2);
    ebr_exit(r);
    ebr_synchronize(hook_d);
    ck_assert_int_eq(atomic_load(&freed_count), 3);
    box_free(&atomic_load(&hook_cur)->node);
    ck_assert_int_eq(ebr_unregister(r), 0);
    ck_assert_int_eq(ebr_destroy(hook_d), 0);
}
END_TEST
/* [ch03-test-enter-window] */

/* --- free functions run with no lock held -------------------------------- */

static ebr *reentrant_d;

static void free_and_retire(ebr_node *n)
{
    /* Calls back into the domain: deadlocks if the mutex is held. */
    ebr_report rep;
    ebr_report_get(reentrant_d, &rep);
    ck_assert_uint_eq(rep.pending, 0); /* n was taken off before the call */
    ebr_retire(reentrant_d, obj(), count_free, 16);
    count_free(n);
}

START_TEST(free_fn_may_call_the_domain)
{
    reentrant_d = ebr_create();
    atomic_store(&freed_count, 0);
    ebr_retire(reentrant_d, obj(), free_and_retire, 16);
    ebr_retire(reentrant_d, obj(), count_free, 16);
    ebr_reclaim(reentrant_d);
    ebr_reclaim(reentrant_d); /* frees both; the first retires a third */
    ck_assert_int_eq(atomic_load(&freed_count), 2);
    ck_assert_uint_eq(pending(reentrant_d), 1);
    ebr_synchronize(reentrant_d);
    ck_assert_int_eq(atomic_load(&freed_count), 3);
    ck_assert_int_eq(ebr_destroy(reentrant_d), 0);
}
END_TEST

/* --- misuse is reported, not undefined ----------------------------------- */

START_TEST(destroy_and_unregister_refuse_while_busy)
{
    ebr *d = ebr_create();
    ebr_reader *r = ebr_register(d);
    atomic_store(&freed_count, 0);
    ebr_retire(d, obj(), count_free, 16);
    errno = 0;
    ck_assert_int_eq(ebr_destroy(d), -1); /* a reader is registered */
    ck_assert_int_eq(errno, EBUSY);
    ebr_enter(r);
    errno = 0;
    ck_assert_int_eq(ebr_unregister(r), -1); /* inside its section */
    ck_assert_int_eq(errno, EBUSY);
    /* Both refusals left everything working. */
    ebr_reclaim(d);
    ck_assert_uint_eq(pending(d), 1);
    ebr_exit(r);
    ebr_reclaim(d);
    ck_assert_int_eq(atomic_load(&freed_count), 1);
    ck_assert_int_eq(ebr_unregister(r), 0);
    ck_assert_int_eq(ebr_destroy(d), 0);
}
END_TEST

/* --- a thread that exits inside its section ------------------------------ */

static void *enter_and_exit_thread(void *p)
{
    ebr_reader **slot = p;
    ebr_enter(*slot = ebr_register(reentrant_d));
    return NULL; /* no ebr_exit(): the thread dies inside its section */
}

START_TEST(thread_exit_closes_its_section)
{
    reentrant_d = ebr_create();
    atomic_store(&freed_count, 0);
    ebr_reader *r = NULL;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, enter_and_exit_thread, &r), 0);
    pthread_join(t, NULL);
    ebr_retire(reentrant_d, obj(), count_free, 16);
    ebr_reclaim(reentrant_d);
    ebr_reclaim(reentrant_d);
    ck_assert_int_eq(atomic_load(&freed_count), 1); /* not held back */
    ebr_report rep;
    ebr_report_get(reentrant_d, &rep);
    ck_assert_uint_eq(rep.forced_exits, 1);
    /* The slot stays registered until someone unregisters it. */
    ck_assert_int_eq(ebr_destroy(reentrant_d), -1);
    ck_assert_int_eq(ebr_unregister(r), 0);
    ck_assert_int_eq(ebr_destroy(reentrant_d), 0);
}
END_TEST

/* --- the alarm ----------------------------------------------------------- */

typedef struct alarm_log {
    int calls;
    ebr_report last;
} alarm_log;

static void record_alarm(void *arg, const ebr_report *rep)
{
    alarm_log *log = arg;
    log->calls++;
    log->last = *rep;
}

START_TEST(alarm_names_the_pile_and_re_arms)
{
    ebr *d = ebr_create();
    ebr_reader *r = ebr_register(d);
    alarm_log log = { 0 };
    ebr_set_alarm(d, 1000, record_alarm, &log);
    ebr_enter(r); /* stuck */
    for (int i = 0; i < 100; i++) { /* 100 x 16 bytes: crosses 1000 once */
        ebr_retire(d, obj(), count_free, 16);
        ebr_reclaim(d);
    }
    ck_assert_int_eq(log.calls, 1);
    ck_assert_uint_eq(log.last.pending_bytes, 1008); /* 63rd object */
    ck_assert_uint_eq(log.last.pending, 63);
    ck_assert(log.last.stalled_s >= 0.0);
    for (int i = 0; i < 100; i++) /* to 3200 bytes: 2000 raises it again */
        ebr_retire(d, obj(), count_free, 16);
    ck_assert_int_eq(log.calls, 2);
    ck_assert_uint_eq(log.last.pending_bytes, 2000);
    ebr_report rep;
    ebr_report_get(d, &rep);
    ck_assert_uint_eq(rep.peak_bytes, 3200);
    ebr_exit(r);
    ebr_synchronize(d); /* back under 1000: re-armed at 1000 */
    ck_assert_uint_eq(pending(d), 0);
    ebr_enter(r);
    for (int i = 0; i < 63; i++)
        ebr_retire(d, obj(), count_free, 16);
    ck_assert_int_eq(log.calls, 3);
    ebr_exit(r);
    ebr_report_get(d, &rep);
    ck_assert_uint_eq(rep.peak_bytes, 3200); /* a high-water mark */
    ck_assert_int_eq(ebr_unregister(r), 0);
    ck_assert_int_eq(ebr_destroy(d), 0);
}
END_TEST

/* --- layout: the lines the design says are not shared -------------------- */

/* [ch03-test-layout] */
START_TEST(epoch_and_slots_have_lines_of_their_own)
{
    /* The epoch, read by every reader on entry, shares its line with
     * nothing that writers touch on every write (the mutex, the lists). */
    ck_assert_uint_eq(offsetof(struct ebr, epoch), 0);
    ck_assert_uint_ge(_Alignof(struct ebr), EBR_LINE);
    ck_assert_uint_ge(offsetof(struct ebr, lock), EBR_LINE);
    ck_assert_uint_ge(offsetof(struct ebr, pending), EBR_LINE);
    ebr *d = ebr_create();
    ck_assert_uint_eq((uintptr_t)d % EBR_LINE, 0);
    /* Each reader slot is alone on its line pair. */
    ck_assert_uint_eq(sizeof(struct ebr_reader) % EBR_LINE, 0);
    ebr_reader *r[4];
    for (int i = 0; i < 4; i++) {
        r[i] = ebr_register(d);
        ck_assert_uint_eq((uintptr_t)r[i] % EBR_LINE, 0);
    }
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(ebr_unregister(r[i]), 0);
    ck_assert_int_eq(ebr_destroy(d), 0);
}
END_TEST
/* [ch03-test-layout] */

Suite *ch03_ebr_suite(void)
{
    Suite *s = suite_create("ch03_ebr");
    TCase *tc = test_tcase("bound", 10);
    tcase_add_test(tc, freed_on_second_advance);
    tcase_add_test(tc, reader_in_section_blocks_only_reclamation);
    tcase_add_test(tc, late_reader_blocks_second_advance);
    tcase_add_test(tc, synchronize_and_destroy_free_everything);
    tcase_add_test(tc, synchronize_waits_for_reader);
    tcase_add_test(tc, enter_announces_the_current_epoch);
    tcase_add_test(tc, free_fn_may_call_the_domain);
    tcase_add_test(tc, destroy_and_unregister_refuse_while_busy);
    tcase_add_test(tc, thread_exit_closes_its_section);
    tcase_add_test(tc, alarm_names_the_pile_and_re_arms);
    tcase_add_test(tc, epoch_and_slots_have_lines_of_their_own);
    suite_add_tcase(s, tc);
    TCase *cc = test_tcase("concurrent", 120);
    tcase_add_test(cc, concurrent_readers_never_see_freed);
    suite_add_tcase(s, cc);
    return s;
}
