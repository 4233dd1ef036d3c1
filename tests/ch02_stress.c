/* ch02_stress.c - chapter 2: readers and writers together, checking what a
 * broken lock would break.
 *
 * Two writers and two readers run on one store at once, on both rwlock
 * variants.  The writers are designed so that some facts hold after EVERY
 * single write (each store_set() or store_del() is its own critical
 * section, so no fact may need two writes to be true):
 *
 * - Versioned values.  Every value the writers store encodes one version
 *   number v: its length is 8 * (1 + v % 16) bytes and every 8-byte word
 *   holds v.  A reader that saw a value half-written, or freed and reused,
 *   would find a word that disagrees or a length that does not fit.
 * - Pairs.  The pair writer sets pair:a:i to version v and THEN pair:b:i to
 *   v, for v = 1, 2, ...  So at every instant a's version is b's or b's + 1.
 *   A reader that looks at both in one section must see that; a lock that
 *   let the writer run between the two gets could show a = v, b = v + 1.
 *   Per reader, versions never go backwards from one section to the next.
 * - Counts.  The churn writer keeps a sliding window of N keys churn:t ..
 *   churn:t+N-1: it inserts churn:t+N, then deletes churn:t.  So the store
 *   always holds 2 * PAIRS + N or 2 * PAIRS + N + 1 keys, the churn keys
 *   present are consecutive numbers, and iterating inside one section
 *   visits exactly store_count() keys.
 *
 * To watch the checks fail, point them at chapter 1's unsynchronised store:
 * STRESS_VARIANT=naive makes both runs use that variant instead.
 *
 * Readers do not call ck_assert (Check's assertions are not safe from
 * other threads when tests do not fork); they record the first violation
 * and the main thread fails the test with it after joining.
 */
#include "store_rwlock.h"
#include "test_util.h"

#include <inttypes.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PAIRS = 4, WINDOW = 100, READERS = 2 };

static const char *const variants[] = {"rwlock", "rwlock-rp"};

typedef struct stress {
    store *s;
    long versions;        /* pair writer: versions 1..versions */
    long churn_steps;     /* churn writer: steps */
    atomic_int writers_left;
    atomic_bool failed;
    char why[256];        /* first violation, written once */
    pthread_mutex_t why_lock;
} stress;

typedef struct reader_arg {
    stress *st;
    unsigned seed;
    long sections;
} reader_arg;

static void violation(stress *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));


static void violation(stress *st, const char *fmt, ...)
{
    pthread_mutex_lock(&st->why_lock);
    if (!atomic_load_explicit(&st->failed, memory_order_relaxed)) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st->why, sizeof st->why, fmt, ap);
        va_end(ap);
        atomic_store_explicit(&st->failed, true, memory_order_relaxed);
    }
    pthread_mutex_unlock(&st->why_lock);
}

/* [ch02-versioned-value] */
static value *versioned_value(uint64_t v)
{
    uint64_t words[16];
    size_t n = 1 + v % 16;
    for (size_t i = 0; i < n; i++)
        words[i] = v;
    return value_new_string(words, n * sizeof words[0], VALUE_NO_EXPIRY);
}

/* The version a value encodes, or -1 if its bytes disagree. */
static int64_t version_of(const value *val)
{
    size_t len = value_str_len(val);
    uint64_t v, w;
    if (len < 8 || len % 8 != 0)
        return -1;
    memcpy(&v, value_str_bytes(val), 8);
    if (len != 8 * (1 + v % 16) || v > INT64_MAX)
        return -1;
    for (size_t off = 8; off < len; off += 8) {
        memcpy(&w, value_str_bytes(val) + off, 8);
        if (w != v)
            return -1;
    }
    return (int64_t)v;
}
/* [ch02-versioned-value] */

static void set_key(store *s, const char *key, uint64_t v)
{
    /* store_set fails only on ENOMEM; then the test cannot say anything. */
    if (store_set(s, key, strlen(key), versioned_value(v)) != 0)
        abort();
}

static void *pair_writer(void *arg)
{
    stress *st = arg;
    char a[32], b[32];
    for (long v = 1; v <= st->versions; v++) {
        for (int i = 0; i < PAIRS; i++) {
            snprintf(a, sizeof a, "pair:a:%d", i);
            snprintf(b, sizeof b, "pair:b:%d", i);
            set_key(st->s, a, (uint64_t)v);
            set_key(st->s, b, (uint64_t)v);
        }
    }
    atomic_fetch_sub_explicit(&st->writers_left, 1, memory_order_release);
    return NULL;
}

static void *churn_writer(void *arg)
{
    stress *st = arg;
    char key[32];
    for (long t = 0; t < st->churn_steps; t++) {
        snprintf(key, sizeof key, "churn:%ld", t + WINDOW);
        set_key(st->s, key, (uint64_t)(t + WINDOW));
        snprintf(key, sizeof key, "churn:%ld", t);
        if (store_del(st->s, key, strlen(key)) != 1)
            violation(st, "churn writer: %s was not there to delete", key);
    }
    atomic_fetch_sub_explicit(&st->writers_left, 1, memory_order_release);
    return NULL;
}

/* What one iteration of the whole store saw. */
typedef struct census {
    stress *st;
    size_t keys, churn_keys;
    long churn_min, churn_max;
} census;

static int census_visit(const void *key, size_t klen, const value *v,
                        void *arg)
{
    census *c = arg;
    int64_t ver = version_of(v);
    c->keys++;
    if (ver < 0) {
        violation(c->st, "iterate: torn value under key %.*s", (int)klen,
             (const char *)key);
        return 1;
    }
    if (klen > 6 && memcmp(key, "churn:", 6) == 0) {
        char buf[32];
        snprintf(buf, sizeof buf, "%.*s", (int)(klen - 6),
                 (const char *)key + 6);
        long n = strtol(buf, NULL, 10);
        if (n != ver) {
            violation(c->st, "iterate: churn:%ld holds version %" PRId64, n, ver);
            return 1;
        }
        if (c->churn_keys == 0 || n < c->churn_min)
            c->churn_min = n;
        if (c->churn_keys == 0 || n > c->churn_max)
            c->churn_max = n;
        c->churn_keys++;
    }
    return 0;
}

/* [ch02-reader-checks] */
static void check_section(stress *st, store_reader *r, unsigned *seed,
                          int64_t last_a[PAIRS], bool full)
{
    char a[32], b[32];
    int i = (int)(rand_r(seed) % PAIRS);
    snprintf(a, sizeof a, "pair:a:%d", i);
    snprintf(b, sizeof b, "pair:b:%d", i);

    store_read_begin(r);
    const value *va = store_get(r, a, strlen(a));
    const value *vb = store_get(r, b, strlen(b));
    size_t count = store_count(r);
    int64_t x = va ? version_of(va) : -1, y = vb ? version_of(vb) : -1;
    census c = {.st = st};
    if (full)
        store_iterate(r, census_visit, &c);
    store_read_end(r);

    if (x < 0 || y < 0)
        violation(st, "%s/%s missing or torn (versions %" PRId64 ", %" PRId64 ")",
             a, b, x, y);
    else if (x != y && x != y + 1)
        violation(st, "one section saw %s = %" PRId64 " but %s = %" PRId64
             " (a must be b or b + 1)", a, x, b, y);
    else if (x < last_a[i])
        violation(st, "%s went back from version %" PRId64 " to %" PRId64, a,
             last_a[i], x);
    last_a[i] = x;
    if (count != 2 * PAIRS + WINDOW && count != 2 * PAIRS + WINDOW + 1)
        violation(st, "store_count() = %zu, must be %d or %d", count,
             2 * PAIRS + WINDOW, 2 * PAIRS + WINDOW + 1);
    if (full && c.keys != count)
        violation(st, "iterate visited %zu keys, store_count() said %zu", c.keys,
             count);
    if (full && (size_t)(c.churn_max - c.churn_min + 1) != c.churn_keys)
        violation(st, "churn keys %ld..%ld are not consecutive (%zu present)",
             c.churn_min, c.churn_max, c.churn_keys);
}
/* [ch02-reader-checks] */

static void *reader_main(void *arg)
{
    reader_arg *ra = arg;
    stress *st = ra->st;
    store_reader *r = store_reader_open(st->s);
    if (r == NULL)
        abort();
    int64_t last_a[PAIRS] = {0};
    /* acquire: pairs with the writers' release when they finish, so the
     * last sections see the final state. */
    while (atomic_load_explicit(&st->writers_left, memory_order_acquire) > 0
           && !atomic_load_explicit(&st->failed, memory_order_relaxed)) {
        check_section(st, r, &ra->seed, last_a, ra->sections % 16 == 0);
        ra->sections++;
    }
    check_section(st, r, &ra->seed, last_a, true);
    ra->sections++;
    store_reader_close(r);
    return NULL;
}

START_TEST(readers_and_writers_together)
{
    const char *variant = getenv("STRESS_VARIANT");
    if (variant == NULL || *variant == '\0')
        variant = variants[_i];
    ck_assert_msg(store_variant(variant) != NULL,
                  "STRESS_VARIANT=%s: no store variant of that name", variant);
    stress st = {.versions = test_scale(5000, 100),
                 .churn_steps = test_scale(20000, 400)};
    pthread_mutex_init(&st.why_lock, NULL);
    st.s = store_create(store_variant(variant));
    ck_assert_ptr_nonnull(st.s);
    char key[32];
    for (int i = 0; i < PAIRS; i++) {
        snprintf(key, sizeof key, "pair:a:%d", i);
        set_key(st.s, key, 0);
        snprintf(key, sizeof key, "pair:b:%d", i);
        set_key(st.s, key, 0);
    }
    for (long t = 0; t < WINDOW; t++) {
        snprintf(key, sizeof key, "churn:%ld", t);
        set_key(st.s, key, (uint64_t)t);
    }
    atomic_init(&st.writers_left, 2);

    pthread_t w[2], r[READERS];
    reader_arg ra[READERS];
    for (int i = 0; i < READERS; i++) {
        ra[i] = (reader_arg){.st = &st, .seed = 7u + (unsigned)i};
        ck_assert_int_eq(pthread_create(&r[i], NULL, reader_main, &ra[i]), 0);
    }
    ck_assert_int_eq(pthread_create(&w[0], NULL, pair_writer, &st), 0);
    ck_assert_int_eq(pthread_create(&w[1], NULL, churn_writer, &st), 0);
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_join(w[i], NULL), 0);
    for (int i = 0; i < READERS; i++)
        ck_assert_int_eq(pthread_join(r[i], NULL), 0);

    ck_assert_msg(!atomic_load(&st.failed), "%s: %s", variant, st.why);
    for (int i = 0; i < READERS; i++)
        ck_assert_int_gt(ra[i].sections, 0);

    /* The end state is exact. */
    store_reader *rd = store_reader_open(st.s);
    store_read_begin(rd);
    ck_assert_uint_eq(store_count(rd), 2 * PAIRS + WINDOW);
    for (int i = 0; i < PAIRS; i++) {
        snprintf(key, sizeof key, "pair:b:%d", i);
        const value *v = store_get(rd, key, strlen(key));
        ck_assert_ptr_nonnull(v);
        ck_assert_int_eq(version_of(v), st.versions);
    }
    snprintf(key, sizeof key, "churn:%ld", st.churn_steps);
    ck_assert_ptr_nonnull(store_get(rd, key, strlen(key)));
    snprintf(key, sizeof key, "churn:%ld", st.churn_steps - 1);
    ck_assert_ptr_null(store_get(rd, key, strlen(key)));
    store_read_end(rd);
    store_reader_close(rd);
    store_destroy(st.s);
    pthread_mutex_destroy(&st.why_lock);
}
END_TEST

/* The checker itself must be able to fail: a torn value is caught. */
START_TEST(version_check_catches_torn_values)
{
    value *good = versioned_value(37);
    ck_assert_int_eq(version_of(good), 37);
    /* tear the last word (the test's own value: inline, never stored) */
    ((unsigned char *)value_str_bytes(good))[value_str_len(good) - 1] ^= 1;
    ck_assert_int_eq(version_of(good), -1);
    value_free(good);
    value *shortv = value_new_string("12345678", 8, VALUE_NO_EXPIRY);
    ck_assert_int_eq(version_of(shortv), -1);       /* length does not fit */
    value_free(shortv);
}
END_TEST

Suite *ch02_stress_suite(void)
{
    Suite *s = suite_create("ch02_stress");
    TCase *tc = test_tcase("stress", 60);
    tcase_add_loop_test(tc, readers_and_writers_together, 0, 2);
    tcase_add_test(tc, version_check_catches_torn_values);
    suite_add_tcase(s, tc);
    return s;
}
