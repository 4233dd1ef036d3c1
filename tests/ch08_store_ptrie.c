/* ch08_store_ptrie.c - chapter 8: the compact-entry trie store.
 *
 * Three things on top of the contract every store passes:
 *   - compact entries: a short string is embedded in its key's entry (the
 *     store hands back a copy living in the entry, not the value given),
 *     a long one or a collection is pointed to, and the requested bytes
 *     per short key stay within one entry plus the trie's share;
 *   - running out of memory: every allocation of a set (new key, replaced
 *     key, embedded or pointed-to value), a delete and a batch fails once
 *     in turn; each failure leaves the store exactly as it was (contents,
 *     invariants, nothing published) and nothing leaks (ASan, Valgrind);
 *   - readers racing a writer (under ThreadSanitizer in `make tsan`): a
 *     section's snapshot never changes, a value read in it stays intact to
 *     its end however many times the key is replaced meanwhile (the
 *     version it belongs to is released only after the grace period), and
 *     a batch is seen whole or not at all.
 */
#include "alloc.h"
#include "pset.h"
#include "store.h"
#include "store_contract.h"
#include "store_ptrie.h"
#include "test_util.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static store *new_store(void)
{
    store *s = store_create(store_variant("ptrie"));
    ck_assert_ptr_nonnull(s);
    return s;
}

static value *str(const char *text)
{
    value *v = value_new_string(text, strlen(text), VALUE_NO_EXPIRY);
    ck_assert_ptr_nonnull(v);
    return v;
}

static void check_store(store *s, const char *when)
{
    char err[200] = "";
    ck_assert_msg(store_ptrie_check(s, err, sizeof err) == 0,
                  "%s: store_ptrie_check: %s", when, err);
}

/* ---- compact entries ---------------------------------------------------- */

START_TEST(short_strings_embedded_long_ones_pointed_to)
{
    store *s = new_store();
    value *shrt = str("value:1");
    static char big[5000];
    memset(big, 'b', sizeof big);
    value *lng = value_new_string(big, sizeof big, VALUE_NO_EXPIRY);
    value *set = value_new_collection(VALUE_SET, VALUE_NO_EXPIRY);
    ck_assert_int_eq(value_set_add(set, "m", 1), 1);
    ck_assert_int_eq(value_seal(set), 0);
    ck_assert_int_eq(store_set(s, "key:1", 5, shrt), 0);
    ck_assert_int_eq(store_set(s, "big", 3, lng), 0);
    ck_assert_int_eq(store_set(s, "set", 3, set), 0);
    store_reader *r = store_reader_open(s);
    store_read_begin(r);
    const value *a = store_get(r, "key:1", 5);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_ne(a, shrt); /* a copy, inside the entry */
    ck_assert_bytes_str(value_str_bytes(a), value_str_len(a), "value:1");
    ck_assert_ptr_eq(store_get(r, "big", 3), lng);
    ck_assert_ptr_eq(store_get(r, "set", 3), set);
    ck_assert(pset_has(value_as_set(store_get(r, "set", 3)), "m", 1));
    store_read_end(r);
    store_reader_close(r);
    check_store(s, "three kinds of value");
    store_destroy(s);
}
END_TEST

/* The requested bytes of n short keys: one entry each (header, value
 * struct, bytes, key) plus the trie's nodes, which cost well under 40
 * bytes a key at any size (a 32-byte header per node and 8 per slot). */
START_TEST(short_keys_cost_an_entry_and_a_share_of_nodes)
{
    store *s = new_store();
    long n = test_scale(20000, 2000);
    char k[32], v[32];
    for (long i = 0; i < n; i++) {
        snprintf(k, sizeof k, "key:%ld", i);
        snprintf(v, sizeof v, "value:%ld", i);
        ck_assert_int_eq(store_set(s, k, strlen(k), str(v)), 0);
    }
    store_stats st;
    store_stats_get(s, &st);
    ck_assert_uint_eq(st.keys, (size_t)n);
    /* the longest key and value of the run */
    size_t entry = 8 + sizeof(value) + strlen(v) + 1 + strlen(k);
    ck_assert_msg(st.bytes <= (size_t)n * (entry + 40),
                  "%zu bytes for %ld keys: %.1f a key, more than an entry "
                  "(%zu) and 40", st.bytes, n, (double)st.bytes / (double)n,
                  entry);
    check_store(s, "after the load");
    store_destroy(s);
}
END_TEST

/* ---- running out of memory ---------------------------------------------- */

#define UNIVERSE 40

/* The store holds "k<j>" -> "v<j>" for j < 30, "big" -> 5000 bytes. */
static store *oom_base(void)
{
    store *s = new_store();
    char k[16], v[16];
    for (int j = 0; j < 30; j++) {
        snprintf(k, sizeof k, "k%d", j);
        snprintf(v, sizeof v, "v%d", j);
        ck_assert_int_eq(store_set(s, k, strlen(k), str(v)), 0);
    }
    static char big[5000];
    memset(big, 'x', sizeof big);
    ck_assert_int_eq(store_set(s, "big", 3, value_new_string(
                                   big, sizeof big, VALUE_NO_EXPIRY)), 0);
    return s;
}

/* Every key of the base is there with its value, and nothing else. */
static void expect_base(store *s, const char *when)
{
    check_store(s, when);
    store_reader *r = store_reader_open(s);
    ck_assert_ptr_nonnull(r);
    store_read_begin(r);
    char k[16], v[16];
    for (int j = 0; j < UNIVERSE; j++) {
        snprintf(k, sizeof k, "k%d", j);
        snprintf(v, sizeof v, "v%d", j);
        const value *got = store_get(r, k, strlen(k));
        if (j < 30) {
            ck_assert_msg(got != NULL, "%s: %s is missing", when, k);
            ck_assert_bytes_eq(value_str_bytes(got), value_str_len(got), v,
                               strlen(v));
        } else {
            ck_assert_msg(got == NULL, "%s: %s appeared", when, k);
        }
    }
    const value *b = store_get(r, "big", 3);
    ck_assert_msg(b != NULL && value_str_len(b) == 5000, "%s: big changed",
                  when);
    ck_assert_uint_eq(store_count(r), 31);
    store_read_end(r);
    store_reader_close(r);
}

typedef enum op_kind { SET_NEW, SET_REPLACE, SET_BIG, DEL, BATCH } op_kind;
static const char *const op_names[] = {"set a new key", "replace a key",
                                       "set a long value", "delete a key",
                                       "apply a batch"};

/* Run op with allocation nth failing (0: none); values are made first. */
static int run_op(store *s, op_kind op, unsigned long nth, int *err,
                  unsigned long *fired)
{
    static char big[6000];
    memset(big, 'y', sizeof big);
    store_change ch[] = {
        {STORE_CHANGE_SET, "k31", 3, str("a"), 0},
        {STORE_CHANGE_DEL, "k6", 2, NULL, 0},
        {STORE_CHANGE_SET, "k7", 2, str("b"), 0},
        {STORE_CHANGE_SET, "big", 3,
         value_new_string(big, sizeof big, VALUE_NO_EXPIRY), 0},
        {STORE_CHANGE_DEL, "k39", 3, NULL, 0},
        {STORE_CHANGE_SET, "k32", 3, str("c"), 0},
    };
    size_t nch = sizeof ch / sizeof ch[0];
    value *one = op == SET_NEW       ? str("new")
                 : op == SET_REPLACE ? str("replaced")
                 : op == SET_BIG ? value_new_string(big, sizeof big,
                                                    VALUE_NO_EXPIRY)
                                 : NULL;
    if (op != BATCH) /* only the batch takes them */
        for (size_t i = 0; i < nch; i++)
            value_free(ch[i].val);
    int rc = -1;
    errno = 0;
    alloc_fail_nth(nth);
    switch (op) {
    case SET_NEW:
        rc = store_set(s, "k35", 3, one);
        break;
    case SET_REPLACE:
        rc = store_set(s, "k3", 2, one);
        break;
    case SET_BIG:
        rc = store_set(s, "k4", 2, one);
        break;
    case DEL:
        rc = store_del(s, "k5", 2) == 1 ? 0 : -1;
        break;
    case BATCH:
        rc = store_apply(s, ch, nch);
        break;
    }
    *err = errno;
    *fired = alloc_fail_fired();
    alloc_fail_off();
    if (op == BATCH && rc == 0)
        ck_assert_int_eq(ch[1].result, 1);
    return rc;
}

START_TEST(every_allocation_of_a_write_fails_once)
{
    op_kind op = (op_kind)_i;
    unsigned long nth;
    char when[96];
    for (nth = 1; nth < 200; nth++) {
        store *s = oom_base();
        store_stats before;
        store_stats_get(s, &before);
        int err;
        unsigned long fired;
        int rc = run_op(s, op, nth, &err, &fired);
        snprintf(when, sizeof when, "%s, allocation %lu failing",
                 op_names[op], nth);
        if (fired == 0) { /* every allocation of the write has failed */
            ck_assert_int_eq(rc, 0);
            check_store(s, when);
            store_destroy(s);
            break;
        }
        ck_assert_msg(rc == -1, "%s: the write succeeded", when);
        ck_assert_msg(err == ENOMEM, "%s: errno %d, not ENOMEM", when, err);
        store_stats after;
        store_stats_get(s, &after);
        ck_assert_uint_eq(after.publishes, before.publishes);
        ck_assert_uint_eq(after.bytes, before.bytes);
        expect_base(s, when);
        store_destroy(s);
    }
    ck_assert_uint_gt(nth, 1); /* the write allocates at all */
    ck_assert_uint_lt(nth, 200);
}
END_TEST

/* ---- readers racing a writer -------------------------------------------- */

#define NKEYS 64

typedef struct shared {
    store *s;
    atomic_long published; /* last generation the writer announced */
    atomic_int done;
    atomic_long sections;
    atomic_int failed;
    char err[200];
} shared;

static void report(shared *sh, const char *msg)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&sh->failed, &expected, 1))
        snprintf(sh->err, sizeof sh->err, "%s", msg);
}

/* "k<key>:g<gen>", padded past the embedding limit when long. */
static value *genval(long key, long gen, bool lng)
{
    char buf[5000];
    int n = snprintf(buf, 48, "k%ld:g%ld", key, gen);
    size_t len = (size_t)n;
    if (lng) {
        memset(buf + n, '.', sizeof buf - (size_t)n);
        len = sizeof buf;
    }
    return value_new_string(buf, len, VALUE_NO_EXPIRY);
}

/* The generation in a value of key, or -1 if malformed.  A long value is
 * a chunked pstring: its bytes are read out, not pointed to. */
static long parse_gen(const value *v, long key)
{
    static _Thread_local char buf[5001];
    size_t len = value_str_len(v);
    if (len < 4 || len >= sizeof buf ||
        value_str_read(v, 0, buf, len) != len)
        return -1;
    buf[len] = '\0';
    long k, g;
    int used = 0;
    if (sscanf(buf, "k%ld:g%ld%n", &k, &g, &used) != 2 || k != key)
        return -1;
    for (size_t i = (size_t)used; i < len; i++)
        if (buf[i] != '.')
            return -1;
    return g;
}

static void keyof(char *buf, size_t sz, long j)
{
    snprintf(buf, sz, "key:%ld", j);
}

/* Holds a section open across many writes: what it read first must stay
 * the same pointer, with the same bytes, until it leaves. */
static void *snapshot_reader(void *arg)
{
    shared *sh = arg;
    store_reader *r = store_reader_open(sh->s);
    char k[32];
    unsigned seed = (unsigned)(uintptr_t)&k;
    while (!atomic_load(&sh->done) && !atomic_load(&sh->failed)) {
        store_read_begin(r);
        long j = rand_r(&seed) % NKEYS;
        keyof(k, sizeof k, j);
        const value *first = store_get(r, k, strlen(k));
        long g0 = first != NULL ? parse_gen(first, j) : -1;
        size_t n1 = store_count(r);
        for (int pass = 0; pass < 4; pass++) {
            for (long i = 0; i < NKEYS; i++) {
                char o[32];
                keyof(o, sizeof o, i);
                const value *v = store_get(r, o, strlen(o));
                long g = v != NULL ? parse_gen(v, i) : -1;
                if (g < 0 || g > atomic_load(&sh->published))
                    report(sh, "missing, malformed or unpublished value");
            }
            sched_yield(); /* let the writer replace keys meanwhile */
        }
        if (store_get(r, k, strlen(k)) != first)
            report(sh, "the same key gave two values in one section");
        else if (first == NULL || parse_gen(first, j) != g0)
            report(sh, "a value read in a section changed before its end");
        if (store_count(r) != n1)
            report(sh, "the count changed inside one section");
        store_read_end(r);
        atomic_fetch_add(&sh->sections, 1);
    }
    store_reader_close(r);
    return NULL;
}

/* All keys carry one generation and exactly one token key exists. */
static void *batch_reader(void *arg)
{
    shared *sh = arg;
    store_reader *r = store_reader_open(sh->s);
    char k[32];
    while (!atomic_load(&sh->done) && !atomic_load(&sh->failed)) {
        store_read_begin(r);
        long gen = -1;
        for (long j = 0; j < NKEYS; j++) {
            keyof(k, sizeof k, j);
            const value *v = store_get(r, k, strlen(k));
            long g = v != NULL ? parse_gen(v, j) : -1;
            if (g < 0)
                report(sh, "missing or malformed value");
            else if (gen >= 0 && g != gen)
                report(sh, "one section saw two generations: half a batch");
            gen = g;
        }
        int tokens = (store_get(r, "a:0", 3) != NULL) +
                     (store_get(r, "a:1", 3) != NULL);
        if (tokens != 1)
            report(sh, "the token was on neither or both keys");
        store_read_end(r);
        atomic_fetch_add(&sh->sections, 1);
    }
    store_reader_close(r);
    return NULL;
}

static void fill(shared *sh)
{
    char k[32];
    for (long j = 0; j < NKEYS; j++) {
        keyof(k, sizeof k, j);
        ck_assert_int_eq(store_set(sh->s, k, strlen(k),
                                   genval(j, 0, j % 8 == 0)), 0);
    }
    ck_assert_int_eq(store_set(sh->s, "a:0", 3, genval(0, 0, false)), 0);
}

static void single_writer(shared *sh)
{
    long rounds = test_scale(20000, 400);
    char k[32];
    for (long g = 1; g <= rounds; g++) {
        long j = g % NKEYS;
        keyof(k, sizeof k, j);
        atomic_store(&sh->published, g); /* announce, then publish */
        ck_assert_int_eq(store_set(sh->s, k, strlen(k),
                                   genval(j, g, j % 8 == 0)), 0);
        if (g % 3 == 0) { /* churn on a key readers never look up */
            ck_assert_int_eq(store_set(sh->s, "tmp", 3,
                                       genval(0, 0, false)), 0);
            ck_assert_int_eq(store_del(sh->s, "tmp", 3), 1);
        }
    }
}

static void batch_writer(shared *sh)
{
    long rounds = test_scale(3000, 80);
    static char keys[NKEYS][32];
    store_change ch[NKEYS + 2];
    for (long g = 1; g <= rounds; g++) {
        for (long j = 0; j < NKEYS; j++) {
            keyof(keys[j], sizeof keys[j], j);
            ch[j] = (store_change){STORE_CHANGE_SET, keys[j],
                                   strlen(keys[j]),
                                   genval(j, g, j % 8 == 0), 0};
        }
        ch[NKEYS] = (store_change){STORE_CHANGE_DEL, g % 2 ? "a:0" : "a:1",
                                   3, NULL, 0};
        ch[NKEYS + 1] = (store_change){STORE_CHANGE_SET,
                                       g % 2 ? "a:1" : "a:0", 3,
                                       genval(0, 0, false), 0};
        atomic_store(&sh->published, g);
        ck_assert_int_eq(store_apply(sh->s, ch, NKEYS + 2), 0);
        ck_assert_int_eq(ch[NKEYS].result, 1);
    }
}

static void race(void *(*reader)(void *), void (*writer)(shared *))
{
    shared sh = {.s = new_store()};
    fill(&sh);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, reader, &sh), 0);
    while (atomic_load(&sh.sections) < 2 && !atomic_load(&sh.failed))
        sched_yield(); /* race the readers, not their start-up */
    writer(&sh);
    atomic_store(&sh.done, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_msg(!atomic_load(&sh.failed), "%s", sh.err);
    store_stats st;
    store_stats_get(sh.s, &st);
    ck_assert_uint_eq(st.keys, NKEYS + 1);
    check_store(sh.s, "after the race");
    store_destroy(sh.s);
}

START_TEST(snapshots_stay_intact_through_publishes)
{
    race(snapshot_reader, single_writer);
}
END_TEST

START_TEST(batches_are_seen_whole)
{
    race(batch_reader, batch_writer);
}
END_TEST

Suite *ch08_store_ptrie_suite(void)
{
    Suite *s = store_contract_suite("ch08_store_ptrie", "ptrie");
    TCase *tc = test_tcase("ptrie-entries", 60);
    tcase_add_test(tc, short_strings_embedded_long_ones_pointed_to);
    tcase_add_test(tc, short_keys_cost_an_entry_and_a_share_of_nodes);
    suite_add_tcase(s, tc);
    tc = test_tcase("ptrie-oom", 60);
    tcase_add_loop_test(tc, every_allocation_of_a_write_fails_once, SET_NEW,
                        BATCH + 1);
    suite_add_tcase(s, tc);
    tc = test_tcase("ptrie-stress", 120);
    tcase_add_test(tc, snapshots_stay_intact_through_publishes);
    tcase_add_test(tc, batches_are_seen_whole);
    suite_add_tcase(s, tc);
    return s;
}
