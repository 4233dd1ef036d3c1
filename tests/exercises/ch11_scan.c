/* ch11_scan.c - tests for exercise 11.2 (exercises/ch11/scan_ex.c).
 *
 * Four promises, each checked by walking with ex_scan() and counting how
 * often each key came back: a full scan of an unchanged keyspace returns
 * every key exactly once; COUNT bounds the keys per call; a key present
 * for the whole scan is returned even when keys are added and removed
 * between calls; and a scan begun on one keyspace continues on a fresh
 * one switched in by dataset_switch(), as after a full resync, of another
 * store variant and filled in another order, with every key the two have
 * in common returned exactly once.
 */
#include "dataset.h"
#include "scan_ex.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HINT "exercise 11.2: write ex_scan in exercises/ch11/scan_ex.c"

/** Keys are "key:<i>" for i < MAXK; seen[i] counts the returns. */
#define MAXK 4000

typedef struct seen_ctx {
    unsigned seen[MAXK]; /**< returns per key */
    size_t calls_keys;   /**< keys returned by the current call */
    int bad;             /**< a key not of this test's form came back */
} seen_ctx;

static int key_of(char *buf, size_t n, int i)
{
    return snprintf(buf, n, "key:%d", i);
}

static int seen_one(const void *key, size_t klen, const value *v, void *arg)
{
    (void)v;
    seen_ctx *s = arg;
    char buf[32];
    int i;
    if (klen >= sizeof buf)
        return s->bad = 1, 0;
    memcpy(buf, key, klen);
    buf[klen] = '\0';
    if (sscanf(buf, "key:%d", &i) != 1 || i < 0 || i >= MAXK)
        return s->bad = 1, 0;
    s->seen[i]++;
    s->calls_keys++;
    return 0;
}

static void put_keys(keyspace *ks, int from, int to, int step)
{
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    for (int i = from; step > 0 ? i < to : i > to; i += step) {
        char k[32];
        int n = key_of(k, sizeof k, i);
        value *v = value_new_string("v", 1, VALUE_NO_EXPIRY);
        ck_assert_ptr_nonnull(v);
        ck_assert_int_eq(keyspace_put(ks, 0, k, (size_t)n, v), 0);
    }
    ck_assert_int_eq(keyspace_commit(ks), 0);
}

static void del_keys(keyspace *ks, int from, int to)
{
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    for (int i = from; i < to; i++) {
        char k[32];
        int n = key_of(k, sizeof k, i);
        ck_assert_int_ge(keyspace_delete(ks, 0, k, (size_t)n), 0);
    }
    ck_assert_int_eq(keyspace_commit(ks), 0);
}

/* One call in its own section; returns the next cursor. */
static uint64_t one_call(keyspace_reader *r, uint64_t cursor, size_t count,
                         seen_ctx *s)
{
    uint64_t next = 12345;
    s->calls_keys = 0;
    keyspace_read_begin(r);
    int rc = ex_scan(r, 0, cursor, count, seen_one, s, &next);
    keyspace_read_end(r);
    ck_assert_msg(rc == 0, HINT ": ex_scan returned %d", rc);
    ck_assert_msg(!s->bad, HINT ": ex_scan returned a key that is not in "
                  "the keyspace");
    ck_assert_msg(s->calls_keys <= count, HINT ": COUNT %zu, but one call "
                  "returned %zu keys", count, s->calls_keys);
    ck_assert_msg(next == 0 || s->calls_keys > 0, HINT ": a call returned no"
                  " key, yet the scan is not over (next %llu)",
                  (unsigned long long)next);
    return next;
}

static const char *const variants[] = {"hamt", "ptrie", "cow", "naive"};

START_TEST(full_scan_once)
{
    for (size_t vi = 0; vi < 4; vi++) {
        keyspace *ks = keyspace_create(store_variant(variants[vi]), 16);
        ck_assert_ptr_nonnull(ks);
        put_keys(ks, 0, 1000, 1);
        keyspace_reader *r = keyspace_reader_open(ks);
        ck_assert_ptr_nonnull(r);
        static seen_ctx s;
        memset(&s, 0, sizeof s);
        uint64_t c = 0;
        size_t calls = 0;
        do {
            c = one_call(r, c, 7, &s);
            ck_assert_msg(++calls <= 1000, HINT ": %s: the scan never "
                          "ends", variants[vi]);
        } while (c != 0);
        for (int i = 0; i < 1000; i++)
            ck_assert_msg(s.seen[i] == 1, HINT ": %s: key:%d returned %u "
                          "times by a scan of an unchanged keyspace",
                          variants[vi], i, s.seen[i]);
        keyspace_reader_close(r);
        keyspace_destroy(ks);
    }
}
END_TEST

START_TEST(count_bounds_each_call)
{
    keyspace *ks = keyspace_create(store_variant("hamt"), 16);
    ck_assert_ptr_nonnull(ks);
    put_keys(ks, 0, 300, 1);
    keyspace_reader *r = keyspace_reader_open(ks);
    static const size_t counts[] = {1, 10, 299, 300, 1000};
    for (size_t ci = 0; ci < 5; ci++) {
        static seen_ctx s;
        memset(&s, 0, sizeof s);
        uint64_t c = 0;
        size_t calls = 0;
        do {
            c = one_call(r, c, counts[ci], &s);
            if (c != 0) /* every call but the last is a full one */
                ck_assert_msg(s.calls_keys == counts[ci], HINT ": COUNT %zu:"
                              " a call returned %zu keys", counts[ci],
                              s.calls_keys);
            calls++;
        } while (c != 0);
        size_t want = (300 + counts[ci] - 1) / counts[ci];
        ck_assert_msg(calls == want, HINT ": COUNT %zu over 300 keys took %zu"
                      " calls, want %zu", counts[ci], calls, want);
    }
    keyspace_reader_close(r);
    keyspace_destroy(ks);
}
END_TEST

/* Keys 0..399 stay; between calls, 400.. are added 25 at a time and the
 * oldest added ones removed. */
START_TEST(keys_added_and_removed)
{
    for (size_t vi = 0; vi < 2; vi++) {
        keyspace *ks = keyspace_create(store_variant(variants[vi]), 16);
        ck_assert_ptr_nonnull(ks);
        put_keys(ks, 0, 400, 1);
        keyspace_reader *r = keyspace_reader_open(ks);
        static seen_ctx s;
        memset(&s, 0, sizeof s);
        uint64_t c = 0;
        int added = 400, removed = 400;
        do {
            c = one_call(r, c, 10, &s);
            put_keys(ks, added, added + 25, 1);
            added += 25;
            if (added - removed > 100) {
                del_keys(ks, removed, removed + 20);
                removed += 20;
            }
            ck_assert_msg(added < MAXK, HINT ": %s: the scan never ends",
                          variants[vi]);
        } while (c != 0);
        for (int i = 0; i < 400; i++)
            ck_assert_msg(s.seen[i] >= 1, HINT ": %s: key:%d was there for "
                          "the whole scan but never returned (keys were "
                          "added and removed between calls)", variants[vi],
                          i);
        keyspace_reader_close(r);
        keyspace_destroy(ks);
    }
}
END_TEST

/* Start on a generation of variant a holding 0..799, switch after a few
 * calls to a fresh generation of variant b filled in reverse order,
 * holding 40..899 (the master moved on), and finish there. */
static void resync(const char *a, const char *b)
{
    dataset *d = dataset_create(store_variant(a), 16);
    ck_assert_ptr_nonnull(d);
    put_keys(dataset_current(d), 0, 800, 1);
    keyspace *fresh = keyspace_create(store_variant(b), 16);
    ck_assert_ptr_nonnull(fresh);
    put_keys(fresh, 899, 39, -1);
    dataset_reader *dr = dataset_reader_open(d);
    ck_assert_ptr_nonnull(dr);
    static seen_ctx s;
    memset(&s, 0, sizeof s);
    uint64_t c = 0;
    size_t calls = 0;
    do {
        if (calls == 30) /* 300 keys in: the full resync */
            ck_assert_int_eq(dataset_switch(d, fresh), 0);
        keyspace_reader *r = dataset_read_begin(dr);
        ck_assert_ptr_nonnull(r);
        uint64_t next = 0;
        s.calls_keys = 0;
        int rc = ex_scan(r, 0, c, 10, seen_one, &s, &next);
        dataset_read_end(dr);
        ck_assert_msg(rc == 0 && !s.bad, HINT ": ex_scan failed");
        c = next;
        ck_assert_msg(++calls < 500, HINT ": %s -> %s: the scan never ends",
                      a, b);
    } while (c != 0);
    ck_assert_msg(dataset_reader_generation(dr) == 1, "the switch did not "
                  "happen (the scan ended after %zu calls)", calls);
    for (int i = 40; i < 800; i++)
        ck_assert_msg(s.seen[i] == 1, HINT ": %s -> %s: key:%d, in both "
                      "keyspaces, returned %u times across the resync", a, b,
                      i, s.seen[i]);
    dataset_reader_close(dr);
    dataset_destroy(d);
}

START_TEST(survives_full_resync)
{
    resync("hamt", "ptrie");
    resync("ptrie", "hamt");
    resync("hamt", "cow");
    resync("naive", "ptrie");
}
END_TEST

Suite *ex11_scan_suite(void)
{
    Suite *s = suite_create("ex11_scan");
    TCase *tc = test_tcase("scan", 60);
    tcase_add_test(tc, full_scan_once);
    tcase_add_test(tc, count_bounds_each_call);
    tcase_add_test(tc, keys_added_and_removed);
    tcase_add_test(tc, survives_full_resync);
    suite_add_tcase(s, tc);
    return s;
}
