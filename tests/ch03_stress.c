/* ch03_stress.c - chapter 3: a reader's snapshot never changes under it.
 *
 * A writer thread publishes rounds: in round i it sets "a" to version i,
 * then "b" to version i, then flips "c" (present in odd rounds).  Readers
 * run sections while it writes and check what a snapshot promises:
 *   - every value has the exact bytes the writer produced ("a:17"), and a
 *     version the writer has already started: nothing was invented, torn,
 *     or read from freed memory;
 *   - a and b come from one moment: version(a) is version(b) or one more
 *     (a is written first), never less;
 *   - re-reading a key in the same section returns the same pointer, and
 *     the count does not change within a section.
 * A store that re-loaded the current snapshot on each get, or freed a table
 * while a reader was inside, fails one of these.
 */
#include "store.h"
#include "store_cow.h"
#include "test_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct shared {
    store *s;
    long rounds;
    _Atomic long started; /* rounds the writer has begun */
    _Atomic int stop;
    _Atomic long sections;
    char err[256];        /* first failure seen by a reader */
    _Atomic int failed;
} shared;

static value *ver(const char *key, long i)
{
    char b[48];
    int n = snprintf(b, sizeof b, "%s:%ld", key, i);
    return value_new_string(b, (size_t)n, VALUE_NO_EXPIRY);
}

/* Parse "<key>:<n>" strictly; -1 if v is not exactly that. */
static long parse(const value *v, const char *key)
{
    char want[48], got[48];
    long n = -1;
    if (value_str_len(v) >= sizeof got)
        return -1;
    memcpy(got, value_str_bytes(v), value_str_len(v));
    got[value_str_len(v)] = '\0';
    if (sscanf(got, "%*[^:]:%ld", &n) != 1 || n < 0)
        return -1;
    snprintf(want, sizeof want, "%s:%ld", key, n);
    return strcmp(want, got) == 0 ? n : -1;
}

static void note_failure(shared *sh, const char *msg, long x, long y)
{
    if (atomic_exchange(&sh->failed, 1) == 0)
        snprintf(sh->err, sizeof sh->err, "%s (%ld, %ld)", msg, x, y);
}

static void *writer(void *p)
{
    shared *sh = p;
    for (long i = 1; i <= sh->rounds; i++) {
        atomic_store(&sh->started, i);
        if (store_set(sh->s, "a", 1, ver("a", i)) != 0 ||
            store_set(sh->s, "b", 1, ver("b", i)) != 0)
            note_failure(sh, "writer: store_set failed", i, 0);
        if (i % 2)
            store_set(sh->s, "c", 1, ver("c", i));
        else
            store_del(sh->s, "c", 1);
    }
    atomic_store(&sh->stop, 1);
    return NULL;
}

/* [ch03-test-snapshot] */
static void one_section(shared *sh, store_reader *r)
{
    store_read_begin(r);
    size_t n0 = store_count(r);
    const value *a = store_get(r, "a", 1);
    const value *b = store_get(r, "b", 1);
    const value *c = store_get(r, "c", 1);
    long limit = atomic_load(&sh->started);
    long va = a ? parse(a, "a") : 0, vb = b ? parse(b, "b") : 0;
    if (va < 0 || vb < 0 || va > limit || vb > limit)
        note_failure(sh, "value never published (torn or freed?)", va, vb);
    if (!(va == vb || va == vb + 1))
        note_failure(sh, "a and b from different snapshots", va, vb);
    if (c != NULL && parse(c, "c") < 0)
        note_failure(sh, "value of c never published", 0, 0);
    for (int k = 0; k < 8; k++) { /* linger: writers publish meanwhile */
        if (store_get(r, "a", 1) != a || store_get(r, "b", 1) != b ||
            store_get(r, "c", 1) != c)
            note_failure(sh, "a key changed inside one section", va, vb);
        if (a != NULL && parse(a, "a") != va)
            note_failure(sh, "a value's bytes changed inside one section", va, 0);
    }
    if (store_count(r) != n0)
        note_failure(sh, "count changed inside one section", (long)n0,
             (long)store_count(r));
    store_read_end(r);
}
/* [ch03-test-snapshot] */

static void *reader(void *p)
{
    shared *sh = p;
    store_reader *r = store_reader_open(sh->s);
    if (r == NULL) {
        note_failure(sh, "store_reader_open failed", 0, 0);
        return NULL;
    }
    long n = 0;
    do {
        one_section(sh, r);
        n++;
    } while (!atomic_load(&sh->stop));
    atomic_fetch_add(&sh->sections, n);
    store_reader_close(r);
    return NULL;
}

START_TEST(readers_see_one_snapshot_per_section)
{
    shared sh = { .s = store_create(&store_cow_ops),
                  .rounds = test_scale(20000, 300) };
    ck_assert_ptr_nonnull(sh.s);
    /* Some keys, so that every write copies a table of real size. */
    char k[16];
    for (int i = 0; i < 200; i++) {
        int kl = snprintf(k, sizeof k, "fill:%d", i);
        ck_assert_int_eq(store_set(sh.s, k, (size_t)kl, ver("fill", i)), 0);
    }
    pthread_t w, rd[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&rd[i], NULL, reader, &sh), 0);
    ck_assert_int_eq(pthread_create(&w, NULL, writer, &sh), 0);
    pthread_join(w, NULL);
    for (int i = 0; i < 2; i++)
        pthread_join(rd[i], NULL);
    ck_assert_msg(!atomic_load(&sh.failed), "%s", sh.err);
    ck_assert_int_ge(atomic_load(&sh.sections), 2);
    store_destroy(sh.s);
}
END_TEST

/* --- several writers ----------------------------------------------------- */

typedef struct mw {
    store *s;
    const char *key;
    long n;
} mw;

static void *key_writer(void *p)
{
    mw *w = p;
    for (long i = 1; i <= w->n; i++)
        if (store_set(w->s, w->key, strlen(w->key), ver(w->key, i)) != 0)
            return (void *)1;
    return NULL;
}

START_TEST(two_writers_lose_nothing)
{
    /* Writers are serialised by the store's mutex: each copies the latest
     * snapshot, so neither can publish a copy that drops the other's key. */
    shared sh = { .s = store_create(&store_cow_ops) };
    long n = test_scale(3000, 100);
    mw w[2] = { { sh.s, "x", n }, { sh.s, "y", n } };
    pthread_t t[2], rd;
    ck_assert_int_eq(pthread_create(&rd, NULL, reader, &sh), 0);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, key_writer, &w[i]), 0);
    for (int i = 0; i < 2; i++) {
        void *rc;
        pthread_join(t[i], &rc);
        ck_assert_ptr_null(rc);
    }
    atomic_store(&sh.stop, 1);
    pthread_join(rd, NULL);
    ck_assert_msg(!atomic_load(&sh.failed), "%s", sh.err);
    store_reader *r = store_reader_open(sh.s);
    store_read_begin(r);
    ck_assert_int_eq(parse(store_get(r, "x", 1), "x"), n);
    ck_assert_int_eq(parse(store_get(r, "y", 1), "y"), n);
    ck_assert_uint_eq(store_count(r), 2);
    store_read_end(r);
    store_reader_close(r);
    store_destroy(sh.s);
}
END_TEST

/* --- memory accounting -------------------------------------------------- */

/* [ch03-test-memory] */
START_TEST(garbage_waits_for_reader_then_is_freed)
{
    store *s = store_create(&store_cow_ops);
    ck_assert_ptr_nonnull(s);
    ck_assert_int_eq(store_set(s, "k", 1, ver("k", 0)), 0);
    store_reader *r = store_reader_open(s);
    ck_assert_ptr_nonnull(r);
    store_read_begin(r);
    const value *old = store_get(r, "k", 1);
    /* The reader is stuck inside; writers carry on regardless. */
    for (long i = 1; i <= 100; i++)
        ck_assert_int_eq(store_set(s, "k", 1, ver("k", i)), 0);
    ck_assert_int_eq(store_del(s, "k", 1), 1);
    store_stats st;
    store_stats_get(s, &st);
    ck_assert_uint_eq(st.keys, 0);
    /* 101 old snapshots, each retired with what only it referenced: the
     * 100 replaced values, then the deleted key and its value */
    ck_assert_uint_ge(st.retired_pending, 101);
    ck_assert_uint_gt(st.retired_bytes, 0);
    ck_assert_uint_ge(st.peak_bytes, st.bytes + st.retired_bytes);
    /* The reader's snapshot is intact: the value it found is still there. */
    ck_assert_bytes_str(value_str_bytes(old), value_str_len(old), "k:0");
    ck_assert_ptr_eq(store_get(r, "k", 1), old);
    store_read_end(r);
    /* Once it has left, one grace period frees every byte of garbage. */
    store_cow_synchronize(s);
    store_stats_get(s, &st);
    ck_assert_uint_eq(st.retired_pending, 0);
    ck_assert_uint_eq(st.retired_bytes, 0);
    store_reader_close(r);
    store_destroy(s);
}
END_TEST
/* [ch03-test-memory] */

START_TEST(garbage_is_bounded_without_readers)
{
    /* No reader inside: each write's reclaim frees what the write two
     * epochs earlier retired, so garbage stays a few writes deep. */
    store *s = store_create(&store_cow_ops);
    store_reader *r = store_reader_open(s); /* registered, but idle */
    for (long i = 0; i < 1000; i++) {
        ck_assert_int_eq(store_set(s, "k", 1, ver("k", i)), 0);
        store_stats st;
        store_stats_get(s, &st);
        ck_assert_msg(st.retired_pending <= 4,
                      "write %ld: %zu objects still retired with no reader",
                      i, st.retired_pending);
    }
    store_reader_close(r);
    store_destroy(s);
}
END_TEST

Suite *ch03_stress_suite(void)
{
    Suite *s = suite_create("ch03_stress");
    TCase *tc = test_tcase("snapshot", 120);
    tcase_add_test(tc, readers_see_one_snapshot_per_section);
    tcase_add_test(tc, two_writers_lose_nothing);
    suite_add_tcase(s, tc);
    TCase *mc = test_tcase("memory", 30);
    tcase_add_test(mc, garbage_waits_for_reader_then_is_freed);
    tcase_add_test(mc, garbage_is_bounded_without_readers);
    suite_add_tcase(s, mc);
    return s;
}
