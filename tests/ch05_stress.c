/* ch05_stress.c - chapter 5: readers racing a writer on the hamt store.
 *
 * Two properties a lock-free reader relies on, checked under real
 * concurrency (and under ThreadSanitizer by `make tsan`):
 *   - within one read section the snapshot never changes: reading the same
 *     key twice gives the same value pointer, and the count is stable;
 *   - every value a reader sees was published, complete: its bytes are
 *     well-formed and its generation is no newer than the writer's last
 *     announced one.
 * And for batches: a reader never sees half of one.
 */
#include "store.h"
#include "test_util.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NKEYS 64

typedef struct shared {
    store *s;
    atomic_long published; /* last generation the writer published */
    atomic_int done;
    atomic_long sections;  /* read sections completed */
    char err[200];         /* first failure, written by the failing thread */
    atomic_int failed;
} shared;

static void report(shared *sh, const char *msg)
{
    int expected = 0;
    if (atomic_compare_exchange_strong(&sh->failed, &expected, 1))
        snprintf(sh->err, sizeof sh->err, "%s", msg);
}

static value *genval(long key, long gen)
{
    char buf[48];
    int n = snprintf(buf, sizeof buf, "k%ld:g%ld", key, gen);
    return value_new_string(buf, (size_t)n, VALUE_NO_EXPIRY);
}

/* Parse "k<key>:g<gen>"; -1 if malformed. */
static long parse_gen(const value *v, long key)
{
    long k, g;
    char tail;
    if (value_str_len(v) > 40)
        return -1;
    if (sscanf((const char *)value_str_bytes(v), "k%ld:g%ld%c", &k, &g,
               &tail) != 2 || k != key)
        return -1;
    return g;
}

static void keyof(char *buf, size_t sz, long j)
{
    snprintf(buf, sz, "key:%ld", j);
}

/* [ch05-test-snapshot] */
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
        size_t n1 = store_count(r);
        for (long i = 0; i < NKEYS; i++) { /* other reads in between */
            char o[32];
            keyof(o, sizeof o, i);
            const value *v = store_get(r, o, strlen(o));
            if (v == NULL) {
                report(sh, "a key that is never deleted was missing");
            } else {
                long g = parse_gen(v, i);
                if (g < 0 || g > atomic_load(&sh->published))
                    report(sh, "saw a value that was not published");
            }
        }
        if (store_get(r, k, strlen(k)) != first)
            report(sh, "the same key gave two values in one section");
        if (store_count(r) != n1)
            report(sh, "the count changed inside one section");
        store_read_end(r);
        atomic_fetch_add(&sh->sections, 1);
    }
    store_reader_close(r);
    return NULL;
}
/* [ch05-test-snapshot] */

static void run_readers(shared *sh, void *(*fn)(void *), void (*writer)(shared *))
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, fn, sh), 0);
    /* Start writing only once readers are inside the loop, so that the
     * test always races them against publishes. */
    while (atomic_load(&sh->sections) < 2 && !atomic_load(&sh->failed))
        sched_yield();
    writer(sh);
    atomic_store(&sh->done, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_msg(!atomic_load(&sh->failed), "%s", sh->err);
}

static void fill(shared *sh)
{
    char k[32];
    for (long j = 0; j < NKEYS; j++) {
        keyof(k, sizeof k, j);
        ck_assert_int_eq(store_set(sh->s, k, strlen(k), genval(j, 0)), 0);
    }
}

static void single_writer(shared *sh)
{
    long rounds = test_scale(20000, 500);
    char k[32];
    for (long g = 1; g <= rounds; g++) {
        long j = g % NKEYS;
        keyof(k, sizeof k, j);
        /* Announce before publishing: a reader may see gen g as soon as
         * store_set publishes it. */
        atomic_store(&sh->published, g);
        ck_assert_int_eq(store_set(sh->s, k, strlen(k), genval(j, g)), 0);
        if (g % 3 == 0) { /* churn: a key that readers never look up */
            ck_assert_int_eq(store_set(sh->s, "tmp", 3, genval(0, 0)), 0);
            ck_assert_int_eq(store_del(sh->s, "tmp", 3), 1);
        }
    }
}

START_TEST(snapshot_stable_through_publishes)
{
    shared sh = { .s = store_create(store_variant("hamt")) };
    ck_assert_ptr_nonnull(sh.s);
    fill(&sh);
    run_readers(&sh, snapshot_reader, single_writer);
    store_stats st;
    store_stats_get(sh.s, &st);
    ck_assert_uint_eq(st.keys, NKEYS);
    store_destroy(sh.s);
}
END_TEST

/* For the striped store, which locks a shard per lookup: a section is not
 * a snapshot there (a writer may replace the key between two lookups), but
 * the first value must stay intact until the section ends. */
static void *short_reader(void *arg)
{
    shared *sh = arg;
    store_reader *r = store_reader_open(sh->s);
    char k[32];
    unsigned seed = (unsigned)(uintptr_t)&k;
    while (!atomic_load(&sh->done) && !atomic_load(&sh->failed)) {
        long j = rand_r(&seed) % NKEYS;
        keyof(k, sizeof k, j);
        store_read_begin(r);
        const value *v = store_get(r, k, strlen(k));
        long g = v != NULL ? parse_gen(v, j) : -1;
        if (g < 0 || g > atomic_load(&sh->published))
            report(sh, "missing, malformed or unpublished value");
        const value *again = store_get(r, k, strlen(k));
        if (again == NULL || parse_gen(again, j) < g)
            report(sh, "a second lookup went back in time");
        if (v != NULL && parse_gen(v, j) != g) /* still intact? */
            report(sh, "a value changed inside its section");
        store_read_end(r);
        atomic_fetch_add(&sh->sections, 1);
    }
    store_reader_close(r);
    return NULL;
}

START_TEST(striped_readers_and_writer)
{
    shared sh = { .s = store_create(store_variant("striped")) };
    ck_assert_ptr_nonnull(sh.s);
    fill(&sh);
    run_readers(&sh, short_reader, single_writer);
    store_destroy(sh.s);
}
END_TEST

/* [ch05-test-batch-atomic] */
/* A batch sets every key to generation g and moves a token from key
 * "a:<g-1 mod 2>" to "a:<g mod 2>": in any section all keys must carry the
 * same generation, and exactly one token key must exist. */
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
            report(sh, "the token was on neither or both keys: half a batch");
        store_read_end(r);
        atomic_fetch_add(&sh->sections, 1);
    }
    store_reader_close(r);
    return NULL;
}

static void batch_writer(shared *sh)
{
    long rounds = test_scale(3000, 100);
    static char keys[NKEYS][32];
    store_change ch[NKEYS + 2];
    for (long g = 1; g <= rounds; g++) {
        for (long j = 0; j < NKEYS; j++) {
            keyof(keys[j], sizeof keys[j], j);
            ch[j] = (store_change){ STORE_CHANGE_SET, keys[j],
                                    strlen(keys[j]), genval(j, g), 0 };
        }
        ch[NKEYS] = (store_change){ STORE_CHANGE_DEL, g % 2 ? "a:0" : "a:1",
                                    3, NULL, 0 };
        ch[NKEYS + 1] = (store_change){ STORE_CHANGE_SET,
                                        g % 2 ? "a:1" : "a:0", 3,
                                        genval(0, 0), 0 };
        atomic_store(&sh->published, g);
        ck_assert_int_eq(store_apply(sh->s, ch, NKEYS + 2), 0);
        ck_assert_int_eq(ch[NKEYS].result, 1);
    }
}
/* [ch05-test-batch-atomic] */

START_TEST(batches_are_all_or_nothing)
{
    shared sh = { .s = store_create(store_variant("hamt")) };
    ck_assert_ptr_nonnull(sh.s);
    fill(&sh);
    ck_assert_int_eq(store_set(sh.s, "a:0", 3, genval(0, 0)), 0);
    run_readers(&sh, batch_reader, batch_writer);
    store_destroy(sh.s);
}
END_TEST

START_TEST(apply_results_and_unsupported)
{
    store *s = store_create(store_variant("hamt"));
    store_change ch[] = {
        { STORE_CHANGE_SET, "x", 1, genval(1, 1), 7 },
        { STORE_CHANGE_DEL, "x", 1, NULL, 7 },
        { STORE_CHANGE_DEL, "x", 1, NULL, 7 },
        { STORE_CHANGE_SET, "y", 1, genval(2, 2), 7 },
    };
    ck_assert_int_eq(store_apply(s, ch, 4), 0);
    ck_assert_int_eq(ch[0].result, 0);
    ck_assert_int_eq(ch[1].result, 1);
    ck_assert_int_eq(ch[2].result, 0);
    ck_assert_int_eq(ch[3].result, 0);
    ck_assert_int_eq(store_apply(s, ch, 0), 0);
    store_destroy(s);
    /* A variant without batches (every store here has them; a new one
     * may not yet) says so and takes nothing: only the ops table is read. */
    store_ops no_batches = { .name = "no-batches", .apply = NULL };
    store fake = { .ops = &no_batches };
    value *v = genval(1, 1);
    store_change one = { STORE_CHANGE_SET, "x", 1, v, 0 };
    errno = 0;
    ck_assert_int_eq(store_apply(&fake, &one, 1), -1);
    ck_assert_int_eq(errno, ENOTSUP);
    value_free(v);
}
END_TEST

Suite *ch05_stress_suite(void)
{
    Suite *s = suite_create("ch05_stress");
    TCase *tc = test_tcase("stress", 120);
    tcase_add_test(tc, snapshot_stable_through_publishes);
    tcase_add_test(tc, batches_are_all_or_nothing);
    tcase_add_test(tc, apply_results_and_unsupported);
    tcase_add_test(tc, striped_readers_and_writer);
    suite_add_tcase(s, tc);
    return s;
}
