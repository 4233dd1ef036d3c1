/* ch03_stuck.c - chapter 3: a reader that stops inside its section.
 *
 * A replica must never stop applying the stream because one reader
 * misbehaved.  These tests take the two ways a reader can stop, dying
 * inside its section and stalling there, to the copy-on-write stores
 * (cow here, hamt of chapter 5 with it) and check that the writer keeps
 * going, that a dead reader's garbage is freed, that a live stuck reader's
 * garbage is reported, and that misuse is refused instead of corrupting
 * memory.  The last test checks that reader handles do not share lines.
 */
#include "store.h"
#include "store_cow.h"
#include "store_hamt.h"
#include "store_striped.h"
#include "test_util.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

static const store_ops *const variants[] = { &store_cow_ops,
                                             &store_hamt_ops };

static value *ver(long i)
{
    char b[32];
    int n = snprintf(b, sizeof b, "v%ld", i);
    return value_new_string(b, (size_t)n, VALUE_NO_EXPIRY);
}

/* 100 keys, each rewritten many times. */
static void write_rounds(store *s, long n)
{
    for (long i = 0; i < n; i++) {
        char k[16];
        int kl = snprintf(k, sizeof k, "k%ld", i % 100);
        ck_assert_int_eq(store_set(s, k, (size_t)kl, ver(i)), 0);
    }
}

typedef struct dying {
    store *s;
    store_reader *r;
} dying;

static void *begin_and_die(void *p)
{
    dying *d = p;
    d->r = store_reader_open(d->s);
    store_read_begin(d->r);
    (void)store_get(d->r, "k1", 2);
    return NULL; /* no store_read_end(): the thread exits inside */
}

/* [ch03-test-dead-reader] */
START_TEST(reader_that_exits_inside_holds_nothing)
{
    store *s = store_create(variants[_i]);
    write_rounds(s, 100);
    dying d = { .s = s };
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, begin_and_die, &d), 0);
    pthread_join(t, NULL);
    write_rounds(s, test_scale(20000, 400));
    store_stats st;
    store_stats_get(s, &st);
    /* Without the thread-exit cleanup this is every write's garbage
     * (165 MB on cow at full scale); with it, a few writes' worth. */
    ck_assert_msg(st.retired_bytes < 256 * 1024,
                  "%s: %zu bytes retired behind a reader that has exited",
                  variants[_i]->name, st.retired_bytes);
    if (variants[_i] == &store_cow_ops)
        store_cow_synchronize(s); /* returns: nobody is inside any more */
    store_reader_close(d.r); /* the handle outlives its thread */
    store_destroy(s);
}
END_TEST
/* [ch03-test-dead-reader] */

typedef struct alarms {
    int calls;
    ebr_report last;
} alarms;

static void on_alarm(void *arg, const ebr_report *rep)
{
    alarms *a = arg;
    a->calls++;
    a->last = *rep;
}

/* [ch03-test-stalled-reader] */
START_TEST(stalled_reader_is_reported_and_writer_goes_on)
{
    store *s = store_create(variants[_i]);
    alarms a = { 0 };
    if (variants[_i] == &store_cow_ops)
        store_cow_set_alarm(s, 64 * 1024, on_alarm, &a);
    else
        store_hamt_set_alarm(s, 64 * 1024, on_alarm, &a);
    write_rounds(s, 100);
    store_reader *r = store_reader_open(s);
    store_read_begin(r); /* and stays inside */
    const value *held = store_get(r, "k7", 2);
    long n = test_scale(2000, 1000);
    write_rounds(s, n); /* every write returns: the writer never waits */
    store_stats st;
    store_stats_get(s, &st);
    ck_assert_uint_ge(st.retired_bytes, 64 * 1024);
    /* The operator was told, with how much and for how long. */
    ck_assert_int_ge(a.calls, 1);
    ck_assert_uint_ge(a.last.pending_bytes, 64 * 1024);
    ck_assert_uint_le(a.last.pending_bytes, a.last.peak_bytes);
    ck_assert_uint_ge(st.retired_peak, st.retired_bytes); /* in the stats */
    ck_assert(a.last.stalled_s >= 0.0);
    ck_assert_bytes_str(value_str_bytes(held), value_str_len(held), "v7");
    store_read_end(r);
    write_rounds(s, 200); /* the reader has left: garbage drains */
    store_stats_get(s, &st);
    ck_assert_uint_lt(st.retired_bytes, 64 * 1024);
    ck_assert_uint_ge(st.retired_peak, 64 * 1024); /* the mark remains */
    store_reader_close(r);
    store_destroy(s);
}
END_TEST
/* [ch03-test-stalled-reader] */

/* [ch03-test-reader-lines] */
START_TEST(reader_handles_do_not_share_lines)
{
    /* A handle is written at every begin and end.  Handles opened one
     * after another by different threads must not share a 128-byte pair
     * of lines, or their writes would invalidate each other's line. */
    const store_ops *const all[] = { &store_cow_ops, &store_hamt_ops,
                                     &store_striped_ops };
    store *s = store_create(all[_i]);
    store_reader *r[6];
    for (int i = 0; i < 6; i++) {
        r[i] = store_reader_open(s);
        ck_assert_ptr_nonnull(r[i]);
        ck_assert_msg((uintptr_t)r[i] % 128 == 0,
                      "%s: reader %d at %p is not 128-byte aligned",
                      all[_i]->name, i, (void *)r[i]);
    }
    for (int i = 0; i < 6; i++)
        for (int j = 0; j < i; j++)
            ck_assert_uint_ne((uintptr_t)r[i] / 128, (uintptr_t)r[j] / 128);
    for (int i = 0; i < 6; i++)
        store_reader_close(r[i]);
    store_destroy(s);
}
END_TEST
/* [ch03-test-reader-lines] */

Suite *ch03_stuck_suite(void)
{
    Suite *s = suite_create("ch03_stuck");
    TCase *tc = test_tcase("stuck", 60);
    tcase_add_loop_test(tc, reader_that_exits_inside_holds_nothing, 0, 2);
    tcase_add_loop_test(tc, stalled_reader_is_reported_and_writer_goes_on, 0,
                        2);
    tcase_add_loop_test(tc, reader_handles_do_not_share_lines, 0, 3);
    suite_add_tcase(s, tc);
    return s;
}
