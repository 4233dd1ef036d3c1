/* store_contract.c - behaviour every store variant must have.
 *
 * Check test functions take no arguments, only a loop index.  The suite for
 * variant V therefore adds each test as a loop test over the single index of
 * V in store_variants[], and the test reads the variant back from there.
 */
#include "store_contract.h"
#include "alloc.h"
#include "store.h"
#include "store_hamt.h"
#include "test_util.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static store *mk(int i)
{
    store *s = store_create(store_variants[i]);
    ck_assert_ptr_nonnull(s);
    return s;
}

static value *str(const char *s)
{
    value *v = value_new_string(s, strlen(s), VALUE_NO_EXPIRY);
    ck_assert_ptr_nonnull(v);
    return v;
}

/* Read a key in its own read section and compare with the expected bytes;
 * expected NULL means the key must be absent. */
static void expect(store *s, const void *key, size_t klen,
                   const void *want, size_t wlen)
{
    store_reader *r = store_reader_open(s);
    ck_assert_ptr_nonnull(r);
    store_read_begin(r);
    const value *v = store_get(r, key, klen);
    if (want == NULL) {
        char k[128];
        ck_assert_msg(v == NULL, "key \"%s\" should be absent",
                      test_escape(k, sizeof k, key, klen));
    } else {
        char k[128];
        ck_assert_msg(v != NULL, "key \"%s\" should be present",
                      test_escape(k, sizeof k, key, klen));
        ck_assert_int_eq(v->type, VALUE_STRING);
        ck_assert_bytes_eq(value_str_bytes(v), value_str_len(v), want, wlen);
    }
    store_read_end(r);
    store_reader_close(r);
}

static size_t count(store *s)
{
    store_reader *r = store_reader_open(s);
    store_read_begin(r);
    size_t n = store_count(r);
    store_read_end(r);
    store_reader_close(r);
    return n;
}

START_TEST(empty_store)
{
    store *s = mk(_i);
    ck_assert_uint_eq(count(s), 0);
    expect(s, "missing", 7, NULL, 0);
    ck_assert_int_eq(store_del(s, "missing", 7), 0);
    store_destroy(s);
}
END_TEST

START_TEST(set_get_replace_delete)
{
    store *s = mk(_i);
    ck_assert_int_eq(store_set(s, "k", 1, str("v1")), 0);
    expect(s, "k", 1, "v1", 2);
    ck_assert_uint_eq(count(s), 1);
    ck_assert_int_eq(store_set(s, "k", 1, str("second")), 0);
    expect(s, "k", 1, "second", 6);
    ck_assert_uint_eq(count(s), 1);
    ck_assert_int_eq(store_del(s, "k", 1), 1);
    expect(s, "k", 1, NULL, 0);
    ck_assert_uint_eq(count(s), 0);
    ck_assert_int_eq(store_del(s, "k", 1), 0);
    store_destroy(s);
}
END_TEST

START_TEST(binary_and_empty_keys)
{
    store *s = mk(_i);
    static const char bin[] = { 'a', 0, (char)0xff, '\r', '\n', 0 };
    ck_assert_int_eq(store_set(s, bin, sizeof bin, str("binary")), 0);
    ck_assert_int_eq(store_set(s, "", 0, str("empty key")), 0);
    value *ev = value_new_string(NULL, 0, VALUE_NO_EXPIRY);
    ck_assert_int_eq(store_set(s, "ev", 2, ev), 0);
    expect(s, bin, sizeof bin, "binary", 6);
    expect(s, bin, sizeof bin - 1, NULL, 0); /* a prefix is another key */
    expect(s, "a", 1, NULL, 0);
    expect(s, "", 0, "empty key", 9);
    expect(s, "ev", 2, "", 0);
    ck_assert_uint_eq(count(s), 3);
    ck_assert_int_eq(store_del(s, "", 0), 1);
    expect(s, "", 0, NULL, 0);
    store_destroy(s);
}
END_TEST

START_TEST(many_keys_then_delete_half)
{
    store *s = mk(_i);
    long n = test_scale(20000, 500);
    char k[32], v[32];
    for (long j = 0; j < n; j++) {
        int kl = snprintf(k, sizeof k, "key:%ld", j);
        snprintf(v, sizeof v, "val:%ld", j);
        ck_assert_int_eq(store_set(s, k, (size_t)kl, str(v)), 0);
    }
    ck_assert_uint_eq(count(s), (size_t)n);
    for (long j = 0; j < n; j += 2) {
        int kl = snprintf(k, sizeof k, "key:%ld", j);
        ck_assert_int_eq(store_del(s, k, (size_t)kl), 1);
    }
    ck_assert_uint_eq(count(s), (size_t)(n / 2));
    store_reader *r = store_reader_open(s);
    store_read_begin(r);
    for (long j = 0; j < n; j++) {
        int kl = snprintf(k, sizeof k, "key:%ld", j);
        int vl = snprintf(v, sizeof v, "val:%ld", j);
        const value *got = store_get(r, k, (size_t)kl);
        if (j % 2 == 0) {
            ck_assert_msg(got == NULL, "deleted %s still present", k);
        } else {
            ck_assert_msg(got != NULL, "%s lost after deletes", k);
            ck_assert_bytes_eq(value_str_bytes(got), value_str_len(got), v,
                               (size_t)vl);
        }
    }
    store_read_end(r);
    store_reader_close(r);
    store_destroy(s);
}
END_TEST

static int count_cb(const void *key, size_t klen, const value *v, void *arg)
{
    (void)v;
    long *seen = arg;
    /* keys are "k<digit>" with digit 0..9; mark each one once */
    ck_assert_uint_eq(klen, 2);
    int d = ((const char *)key)[1] - '0';
    ck_assert_int_ge(d, 0);
    ck_assert_int_le(d, 9);
    ck_assert_int_eq(seen[d], 0);
    seen[d] = 1;
    return 0;
}

static int stop_cb(const void *key, size_t klen, const value *v, void *arg)
{
    (void)key; (void)klen; (void)v;
    return ++*(int *)arg == 3 ? 42 : 0;
}

START_TEST(iterate_visits_each_key_once)
{
    store *s = mk(_i);
    char k[3] = "k0";
    for (int d = 0; d < 10; d++) {
        k[1] = (char)('0' + d);
        ck_assert_int_eq(store_set(s, k, 2, str("x")), 0);
    }
    ck_assert_int_eq(store_del(s, "k3", 2), 1);
    long seen[10] = { 0 };
    store_reader *r = store_reader_open(s);
    store_read_begin(r);
    ck_assert_int_eq(store_iterate(r, count_cb, seen), 0);
    int calls = 0;
    ck_assert_int_eq(store_iterate(r, stop_cb, &calls), 42);
    ck_assert_int_eq(calls, 3);
    store_read_end(r);
    store_reader_close(r);
    for (int d = 0; d < 10; d++)
        ck_assert_int_eq(seen[d], d == 3 ? 0 : 1);
    store_destroy(s);
}
END_TEST

/* [ch01-contract-expiry] */
START_TEST(expiry_is_read_side)
{
    store *s = mk(_i);
    int64_t now = 1700000000000;
    ck_assert_int_eq(store_set(s, "gone", 4,
                               value_new_string("x", 1, now - 1)), 0);
    ck_assert_int_eq(store_set(s, "edge", 4,
                               value_new_string("x", 1, now)), 0);
    ck_assert_int_eq(store_set(s, "later", 5,
                               value_new_string("x", 1, now + 1)), 0);
    ck_assert_int_eq(store_set(s, "never", 5, str("x")), 0);
    store_reader *r = store_reader_open(s);
    store_read_begin(r);
    ck_assert_ptr_null(store_get_live(r, "gone", 4, now));
    ck_assert_ptr_null(store_get_live(r, "edge", 4, now));
    ck_assert_ptr_nonnull(store_get_live(r, "later", 5, now));
    ck_assert_ptr_nonnull(store_get_live(r, "never", 5, now));
    /* The replica never deletes on its own clock: still stored, counted. */
    ck_assert_ptr_nonnull(store_get(r, "gone", 4));
    ck_assert_uint_eq(store_count(r), 4);
    store_read_end(r);
    store_reader_close(r);
    store_destroy(s);
}
END_TEST
/* [ch01-contract-expiry] */

START_TEST(value_pointer_valid_in_section)
{
    /* A value read inside a section stays intact for the whole section,
     * even across further reads of other keys. */
    store *s = mk(_i);
    ck_assert_int_eq(store_set(s, "a", 1, str("alpha")), 0);
    ck_assert_int_eq(store_set(s, "b", 1, str("beta")), 0);
    store_reader *r = store_reader_open(s);
    store_read_begin(r);
    const value *a = store_get(r, "a", 1);
    const value *b = store_get(r, "b", 1);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    ck_assert_bytes_str(value_str_bytes(a), value_str_len(a), "alpha");
    ck_assert_bytes_str(value_str_bytes(b), value_str_len(b), "beta");
    store_read_end(r);
    store_reader_close(r);
    store_destroy(s);
}
END_TEST

START_TEST(stats_track_bytes)
{
    store *s = mk(_i);
    store_stats st;
    store_stats_get(s, &st);
    ck_assert_uint_eq(st.keys, 0);
    char big[4096];
    memset(big, 'z', sizeof big);
    ck_assert_int_eq(store_set(s, "big", 3,
                     value_new_string(big, sizeof big, VALUE_NO_EXPIRY)), 0);
    store_stats_get(s, &st);
    ck_assert_uint_eq(st.keys, 1);
    ck_assert_uint_ge(st.bytes, sizeof big);
    ck_assert_uint_ge(st.peak_bytes, st.bytes);
    ck_assert_int_eq(store_del(s, "big", 3), 1);
    store_stats_get(s, &st);
    ck_assert_uint_eq(st.keys, 0);
    ck_assert_uint_lt(st.bytes, sizeof big);
    ck_assert_uint_ge(st.peak_bytes, sizeof big);
    store_destroy(s);
}
END_TEST

/* ---- batches (store_apply) ---------------------------------------------- */

static store_stats stats(store *s)
{
    store_stats st;
    store_stats_get(s, &st);
    return st;
}

static store_change set_ch(const char *k, const char *v)
{
    return (store_change){ STORE_CHANGE_SET, k, strlen(k), str(v), 99 };
}

static store_change del_ch(const char *k)
{
    return (store_change){ STORE_CHANGE_DEL, k, strlen(k), NULL, 99 };
}

START_TEST(apply_in_order)
{
    store *s = mk(_i);
    ck_assert_int_eq(store_set(s, "old", 3, str("o")), 0);
    store_change ch[] = {
        set_ch("a", "1"), set_ch("b", "2"), del_ch("a"), set_ch("b", "3"),
        del_ch("missing"), del_ch("old"), set_ch("c", "4"),
    };
    ck_assert_int_eq(store_apply(s, ch, 7), 0);
    int want[] = { 0, 0, 1, 0, 0, 1, 0 };
    for (int j = 0; j < 7; j++)
        ck_assert_msg(ch[j].result == want[j], "change %d: result %d, want %d",
                      j, ch[j].result, want[j]);
    expect(s, "a", 1, NULL, 0);
    expect(s, "b", 1, "3", 1);
    expect(s, "c", 1, "4", 1);
    expect(s, "old", 3, NULL, 0);
    ck_assert_uint_eq(count(s), 2);
    store_destroy(s);
}
END_TEST

START_TEST(noop_writes_publish_nothing)
{
    store *s = mk(_i);
    ck_assert_int_eq(store_set(s, "k", 1, str("v")), 0);
    store_stats before = stats(s);
    ck_assert_int_eq(store_del(s, "absent", 6), 0);
    ck_assert_int_eq(store_apply(s, NULL, 0), 0);
    store_change dels[] = { del_ch("absent"), del_ch("gone") };
    ck_assert_int_eq(store_apply(s, dels, 2), 0);
    ck_assert_int_eq(dels[0].result, 0);
    ck_assert_int_eq(dels[1].result, 0);
    store_stats after = stats(s);
    ck_assert_msg(after.publishes == before.publishes,
                  "%s published %zu version(s) for writes that changed "
                  "nothing", store_variants[_i]->name,
                  after.publishes - before.publishes);
    ck_assert_uint_eq(after.retired_pending, before.retired_pending);
    expect(s, "k", 1, "v", 1);
    store_destroy(s);
}
END_TEST

START_TEST(apply_rejects_bad_change)
{
    store *s = mk(_i);
    ck_assert_int_eq(store_set(s, "k", 1, str("v")), 0);
    store_stats before = stats(s);
    store_change ch[] = { set_ch("a", "1"), del_ch("k"),
                          { STORE_CHANGE_SET, "b", 1, NULL, 99 },
                          set_ch("c", "3") };
    errno = 0;
    ck_assert_int_eq(store_apply(s, ch, 4), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(ch[2].result, -1); /* the SET without a value */
    ck_assert_int_eq(ch[0].result, 0);
    ck_assert_int_eq(ch[1].result, 0);
    ck_assert_int_eq(ch[3].result, 0);
    /* nothing applied, nothing published; the values were freed (the
     * leak checkers of the sanitizer runs see to that) */
    expect(s, "a", 1, NULL, 0);
    expect(s, "k", 1, "v", 1);
    ck_assert_uint_eq(count(s), 1);
    ck_assert_uint_eq(stats(s).publishes, before.publishes);
    store_destroy(s);
}
END_TEST

/* The old contents of the OOM test, and the batch it applies to them. */
#define OOM_OLD 24
#define OOM_K 9

static void oom_fill(store *s)
{
    char k[16], v[16];
    for (int j = 0; j < OOM_OLD; j++) {
        snprintf(k, sizeof k, "k%d", j);
        snprintf(v, sizeof v, "old%d", j);
        ck_assert_int_eq(store_set(s, k, strlen(k), str(v)), 0);
    }
}

/* Every kind of change: replace, insert, delete, delete of an absent key,
 * insert then delete, delete then insert, the same key twice. */
static void oom_batch(store_change *ch)
{
    ch[0] = set_ch("k1", "new1");
    ch[1] = set_ch("n1", "fresh1");
    ch[2] = del_ch("k2");
    ch[3] = del_ch("absent");
    ch[4] = set_ch("n2", "fresh2");
    ch[5] = del_ch("n2");
    ch[6] = del_ch("k3");
    ch[7] = set_ch("k3", "again3");
    ch[8] = set_ch("n1", "fresh1b");
}

/* Contents as a sorted text, "key=value;..." for a whole comparison. */
static int dump_cb(const void *key, size_t klen, const value *v, void *arg)
{
    char (*lines)[40] = ((char (**)[40])arg)[0];
    size_t *n = ((size_t **)arg)[1];
    ck_assert_uint_lt(*n, 64);
    snprintf(lines[(*n)++], 40, "%.*s=%.*s", (int)klen, (const char *)key,
             (int)value_str_len(v), value_str_bytes(v));
    return 0;
}

static int cmp_line(const void *a, const void *b)
{
    return strcmp(a, b);
}

static void dump(store *s, char *out, size_t outsz)
{
    static char lines[64][40];
    size_t n = 0;
    void *arg[2] = { lines, &n };
    store_reader *r = store_reader_open(s);
    ck_assert_ptr_nonnull(r);
    store_read_begin(r);
    ck_assert_int_eq(store_iterate(r, dump_cb, arg), 0);
    ck_assert_uint_eq(store_count(r), n);
    store_read_end(r);
    store_reader_close(r);
    qsort(lines, n, sizeof lines[0], cmp_line);
    out[0] = '\0';
    for (size_t j = 0; j < n; j++) {
        strncat(out, lines[j], outsz - strlen(out) - 1);
        strncat(out, ";", outsz - strlen(out) - 1);
    }
}

static void check_hamt(store *s, int i)
{
    char err[160] = "";
    if (store_variants[i] == &store_hamt_ops)
        ck_assert_msg(store_hamt_check(s, err, sizeof err) == 0,
                      "hamt_check: %s", err);
}

/* [ch05-contract-oom] */
START_TEST(apply_all_or_nothing_under_oom)
{
    char old[2048], want[2048], got[2048];
    store *s = mk(_i);
    oom_fill(s);
    dump(s, old, sizeof old);
    store_change ch[OOM_K];
    oom_batch(ch);
    ck_assert_int_eq(store_apply(s, ch, OOM_K), 0);
    dump(s, want, sizeof want); /* what the batch makes of old */
    store_destroy(s);

    unsigned long nth;
    for (nth = 1; nth < 10000; nth++) {
        s = mk(_i);
        oom_fill(s);
        store_reader *r = store_reader_open(s); /* opened before arming */
        ck_assert_ptr_nonnull(r);
        store_stats before = stats(s);
        oom_batch(ch);
        alloc_fail_nth(nth);
        errno = 0;
        int rc = store_apply(s, ch, OOM_K);
        int err = errno;
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        check_hamt(s, _i);
        dump(s, got, sizeof got);
        if (rc == 0) {
            /* the failure, if any, was one the store could absorb */
            ck_assert_msg(strcmp(got, want) == 0,
                          "allocation %lu: batch applied wrongly:\n%s\nwant\n%s",
                          nth, got, want);
        } else {
            ck_assert_msg(fired == 1, "apply failed with no failure injected");
            ck_assert_int_eq(err, ENOMEM);
            int failed = 0;
            for (int j = 0; j < OOM_K; j++)
                failed += ch[j].result == -1;
            ck_assert_msg(failed == 1, "allocation %lu: %d changes report "
                          "failure, want exactly one", nth, failed);
            ck_assert_msg(strcmp(got, old) == 0,
                          "allocation %lu failed and left a state the store "
                          "never had:\n%s\nwant the old one\n%s",
                          nth, got, old);
            store_stats after = stats(s);
            ck_assert_uint_eq(after.publishes, before.publishes);
            ck_assert_uint_eq(after.keys, OOM_OLD);
            store_read_begin(r);
            const value *v = store_get(r, "k1", 2);
            ck_assert_ptr_nonnull(v);
            ck_assert_bytes_str(value_str_bytes(v), value_str_len(v), "old1");
            ck_assert_ptr_null(store_get(r, "n1", 2));
            store_read_end(r);
        }
        store_reader_close(r);
        store_destroy(s);
        if (fired == 0)
            break; /* every allocation of the batch has failed once */
    }
    ck_assert_uint_gt(nth, 1); /* the batch allocates at least once */
    ck_assert_uint_lt(nth, 10000);
}
END_TEST
/* [ch05-contract-oom] */

/* Writers apply batches that set every key to one generation; readers
 * check, in each section, that all keys show the same generation. */
#define GEN_KEYS 8

typedef struct gen_ctx {
    store *s;
    long batches;
    bool snapshots;     /* sections see one version (not striped) */
    atomic_bool done;
    atomic_long checked; /* sections that read every key */
    atomic_int running;  /* readers that have finished their first section */
} gen_ctx;

static void gen_key(char *k, size_t sz, int j)
{
    snprintf(k, sz, "gen-key-%d", j);
}

static void *gen_reader(void *arg)
{
    gen_ctx *c = arg;
    store_reader *r = store_reader_open(c->s);
    ck_assert_ptr_nonnull(r);
    long last[GEN_KEYS] = { 0 };
    char k[32];
    bool counted = false;
    /* relaxed: done only ends the loop; the data comes through the store */
    while (!atomic_load_explicit(&c->done, memory_order_relaxed)) {
        store_read_begin(r);
        long first = -1;
        for (int j = 0; j < GEN_KEYS; j++) {
            gen_key(k, sizeof k, j);
            const value *v = store_get(r, k, strlen(k));
            ck_assert_ptr_nonnull(v);
            long g = strtol((const char *)value_str_bytes(v), NULL, 10);
            /* no reader goes back in time, whatever the store */
            ck_assert_msg(g >= last[j], "%s went from %ld back to %ld", k,
                          last[j], g);
            last[j] = g;
            if (first < 0)
                first = g;
            else if (c->snapshots)
                ck_assert_msg(g == first, "one section saw generations %ld "
                              "and %ld: half a batch", first, g);
        }
        if (c->snapshots)
            ck_assert_uint_eq(store_count(r), GEN_KEYS);
        store_read_end(r);
        atomic_fetch_add_explicit(&c->checked, 1, memory_order_relaxed);
        if (!counted) {
            counted = true;
            atomic_fetch_add(&c->running, 1);
        }
        /* A pause between sections: with a reader-preferring rwlock, two
         * readers whose sections always overlap would starve the writer. */
        nanosleep(&(struct timespec){ .tv_nsec = 20000 }, NULL);
    }
    store_reader_close(r);
    return NULL;
}

START_TEST(apply_is_atomic_for_readers)
{
    gen_ctx c = { .s = mk(_i), .batches = test_scale(3000, 200) };
    /* A striped store locks one shard per get: a section that reads keys
     * of several shards can see a batch in some and not yet in others
     * (store_striped.c).  Each key still never goes back in time. */
    c.snapshots = strcmp(store_variants[_i]->name, "striped") != 0;
    atomic_init(&c.done, false);
    atomic_init(&c.checked, 0);
    atomic_init(&c.running, 0);
    store_change ch[GEN_KEYS];
    char keys[GEN_KEYS][32], v[32];
    for (int j = 0; j < GEN_KEYS; j++)
        gen_key(keys[j], sizeof keys[j], j);
    for (int j = 0; j < GEN_KEYS; j++)
        ch[j] = (store_change){ STORE_CHANGE_SET, keys[j], strlen(keys[j]),
                                str("0"), 0 };
    ck_assert_int_eq(store_apply(c.s, ch, GEN_KEYS), 0);
    pthread_t t[2];
    for (int j = 0; j < 2; j++)
        ck_assert_int_eq(pthread_create(&t[j], NULL, gen_reader, &c), 0);
    /* Write only once both readers are reading: on a busy machine the
     * batches could otherwise all be applied before a reader runs, and the
     * test would have checked nothing (checked == 0 below). */
    while (atomic_load(&c.running) < 2)
        sched_yield();
    for (long g = 1; g <= c.batches; g++) {
        snprintf(v, sizeof v, "%ld", g);
        for (int j = 0; j < GEN_KEYS; j++)
            ch[j] = (store_change){ STORE_CHANGE_SET, keys[j],
                                    strlen(keys[j]), str(v), 0 };
        ck_assert_int_eq(store_apply(c.s, ch, GEN_KEYS), 0);
    }
    atomic_store_explicit(&c.done, true, memory_order_relaxed);
    for (int j = 0; j < 2; j++)
        pthread_join(t[j], NULL);
    ck_assert_int_gt(atomic_load(&c.checked), 0);
    store_destroy(c.s);
}
END_TEST

START_TEST(unknown_variant)
{
    ck_abort_msg("no store variant named in this suite exists in "
                 "store_variants[] (src/store_registry.c)");
}
END_TEST

Suite *store_contract_suite(const char *name, const char *variant)
{
    Suite *s = suite_create(name);
    TCase *tc = test_tcase("contract", 60);
    int idx = -1;
    for (int i = 0; store_variants[i] != NULL; i++)
        if (strcmp(store_variants[i]->name, variant) == 0)
            idx = i;
    if (idx < 0) {
        tcase_add_test(tc, unknown_variant);
    } else {
        tcase_add_loop_test(tc, empty_store, idx, idx + 1);
        tcase_add_loop_test(tc, set_get_replace_delete, idx, idx + 1);
        tcase_add_loop_test(tc, binary_and_empty_keys, idx, idx + 1);
        tcase_add_loop_test(tc, many_keys_then_delete_half, idx, idx + 1);
        tcase_add_loop_test(tc, iterate_visits_each_key_once, idx, idx + 1);
        tcase_add_loop_test(tc, expiry_is_read_side, idx, idx + 1);
        tcase_add_loop_test(tc, value_pointer_valid_in_section, idx, idx + 1);
        tcase_add_loop_test(tc, stats_track_bytes, idx, idx + 1);
        tcase_add_loop_test(tc, apply_in_order, idx, idx + 1);
        tcase_add_loop_test(tc, noop_writes_publish_nothing, idx, idx + 1);
        tcase_add_loop_test(tc, apply_rejects_bad_change, idx, idx + 1);
        tcase_add_loop_test(tc, apply_all_or_nothing_under_oom, idx, idx + 1);
        /* the naive store is for one thread only */
        if (strcmp(variant, "naive") != 0)
            tcase_add_loop_test(tc, apply_is_atomic_for_readers, idx, idx + 1);
    }
    suite_add_tcase(s, tc);
    return s;
}
