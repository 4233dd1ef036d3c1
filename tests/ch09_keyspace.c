/* ch09_keyspace.c - chapter 9: databases over one store, changed in batches.
 *
 * Every test runs over every store variant in store_variants[]: the
 * keyspace promises the same behaviour whichever store is under it.  The
 * tests cover what a batch sees (its own pending changes, the store
 * behind them), what a commit publishes (all of it at once, meta record
 * included), what an abort or a failed commit leaves (exactly the
 * keyspace as before, at every allocation the commit makes), SWAPDB,
 * FLUSHDB and FLUSHALL, transients edited in place and sealed at commit,
 * expiry on versions and transients, and a reader thread that checks an
 * invariant every batch keeps: it must never see half of one.
 */
#include "keyspace.h"
#include "value_equal.h"

#include "alloc.h"
#include "test_util.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers --------------------------------------------------------------- */

static value *str(const char *s)
{
    value *v = value_new_string(s, strlen(s), VALUE_NO_EXPIRY);
    ck_assert_ptr_nonnull(v);
    return v;
}

static void put(keyspace *ks, unsigned db, const char *k, const char *v)
{
    ck_assert_int_eq(keyspace_put(ks, db, k, strlen(k), str(v)), 0);
}

/* The string under key (in the batch), or NULL when absent. */
static const char *peek(keyspace *ks, unsigned db, const char *k)
{
    const value *v = keyspace_lookup(ks, db, k, strlen(k));
    if (v == NULL)
        return NULL;
    ck_assert_int_eq(v->type, VALUE_STRING);
    return (const char *)value_str_bytes(v);
}

/* Commit a batch of one put. */
static void put1(keyspace *ks, unsigned db, const char *k, const char *v)
{
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    put(ks, db, k, v);
    ck_assert_int_eq(keyspace_commit(ks), 0);
}

/* The published string under key, through a fresh section. */
static char got[256];
static const char *get(keyspace_reader *r, unsigned db, const char *k)
{
    keyspace_read_begin(r);
    const value *v = keyspace_get(r, db, k, strlen(k));
    const char *res = NULL;
    if (v != NULL) {
        ck_assert_int_eq(v->type, VALUE_STRING);
        snprintf(got, sizeof got, "%s", (const char *)value_str_bytes(v));
        res = got;
    }
    keyspace_read_end(r);
    return res;
}

static size_t dbsize(keyspace_reader *r, unsigned db)
{
    keyspace_read_begin(r);
    size_t n = keyspace_dbsize(r, db);
    keyspace_read_end(r);
    return n;
}

#define ck_assert_str_or_null(a, b)                                        \
    do {                                                                   \
        const char *a_ = (a), *b_ = (b);                                   \
        if (b_ == NULL)                                                    \
            ck_assert_msg(a_ == NULL, "%s: expected absent, got \"%s\"",  \
                          #a, a_);                                         \
        else {                                                             \
            ck_assert_msg(a_ != NULL, "%s: expected \"%s\", got absent",  \
                          #a, b_);                                         \
            ck_assert_str_eq(a_, b_);                                      \
        }                                                                  \
    } while (0)

/* A list of the given items, as a version. */
static value *list_of(const char *const *items, size_t n)
{
    value *v = value_new_collection(VALUE_LIST, VALUE_NO_EXPIRY);
    ck_assert_ptr_nonnull(v);
    for (size_t i = 0; i < n; i++)
        ck_assert_int_eq(value_list_push(v, items[i], strlen(items[i])), 0);
    ck_assert_int_eq(value_seal(v), 0);
    return v;
}

static size_t list_len(const value *v)
{
    ck_assert_int_eq(v->type, VALUE_LIST);
    return plist_len(value_as_list(v));
}

/* keyspace_iterate() callback: count the keys. */
static int count_key(const void *k, size_t klen, const value *v, void *arg)
{
    (void)k; (void)klen; (void)v;
    ++*(size_t *)arg;
    return 0;
}

#define FOR_EACH_VARIANT(ops) \
    for (const store_ops *const *ops##_p = store_variants; \
         (ops = *ops##_p) != NULL; ops##_p++)

static keyspace *make(const store_ops *ops, unsigned dbs)
{
    keyspace *ks = keyspace_create(ops, dbs);
    ck_assert_msg(ks != NULL, "%s: keyspace_create: %s", ops->name,
                  strerror(errno));
    return ks;
}

/* ---- creation --------------------------------------------------------------- */

START_TEST(create_checks_arguments)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        errno = 0;
        ck_assert_ptr_null(keyspace_create(ops, 0));
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_ptr_null(keyspace_create(ops, KEYSPACE_MAX_DBS + 1));
        ck_assert_int_eq(errno, EINVAL);
        keyspace *ks = make(ops, KEYSPACE_DEFAULT_DBS);
        ck_assert_uint_eq(keyspace_databases(ks), 16);
        ck_assert_ptr_nonnull(keyspace_store(ks));
        keyspace_reader *r = keyspace_reader_open(ks);
        for (unsigned d = 0; d < 17; d++)
            ck_assert_uint_eq(dbsize(r, d), 0);
        keyspace_reader_close(r);
        keyspace_destroy(ks);
    }
    store_ops noapply = *store_variants[0];
    noapply.apply = NULL;
    errno = 0;
    ck_assert_ptr_null(keyspace_create(&noapply, 16));
    ck_assert_int_eq(errno, ENOTSUP);
}
END_TEST

/* ---- batches and the overlay ---------------------------------------------- */

START_TEST(batch_reads_its_own_writes)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        keyspace *ks = make(ops, 16);
        keyspace_reader *r = keyspace_reader_open(ks);
        ck_assert(!keyspace_in_batch(ks));
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        ck_assert(keyspace_in_batch(ks));
        errno = 0;
        ck_assert_int_eq(keyspace_batch_begin(ks), -1);
        ck_assert_int_eq(errno, EBUSY);
        put(ks, 0, "k", "zero");
        put(ks, 1, "k", "one");
        put(ks, 0, "k", "zero again"); /* one entry per key */
        ck_assert_str_or_null(peek(ks, 0, "k"), "zero again");
        ck_assert_str_or_null(peek(ks, 1, "k"), "one");
        ck_assert_str_or_null(peek(ks, 2, "k"), NULL);
        ck_assert_uint_eq(keyspace_batch_dbsize(ks, 0), 1);
        ck_assert_uint_eq(keyspace_batch_dbsize(ks, 1), 1);
        ck_assert_uint_eq(keyspace_batch_dbsize(ks, 99), 0);
        /* readers see nothing yet */
        ck_assert_str_or_null(get(r, 0, "k"), NULL);
        ck_assert_uint_eq(dbsize(r, 0), 0);
        ck_assert_int_eq(keyspace_commit(ks), 0);
        ck_assert(!keyspace_in_batch(ks));
        ck_assert_str_or_null(get(r, 0, "k"), "zero again");
        ck_assert_str_or_null(get(r, 1, "k"), "one");
        ck_assert_uint_eq(dbsize(r, 0), 1);
        ck_assert_uint_eq(dbsize(r, 1), 1);
        ck_assert_uint_eq(dbsize(r, 2), 0);

        /* delete: stored key, pending key, absent key */
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        put(ks, 0, "new", "x");
        ck_assert_uint_eq(keyspace_batch_dbsize(ks, 0), 2);
        ck_assert_int_eq(keyspace_delete(ks, 0, "new", 3), 1);
        ck_assert_int_eq(keyspace_delete(ks, 0, "new", 3), 0);
        ck_assert_int_eq(keyspace_delete(ks, 0, "k", 1), 1);
        ck_assert_int_eq(keyspace_delete(ks, 0, "k", 1), 0);
        ck_assert_int_eq(keyspace_delete(ks, 3, "k", 1), 0);
        ck_assert_str_or_null(peek(ks, 0, "k"), NULL);
        ck_assert_uint_eq(keyspace_batch_dbsize(ks, 0), 0);
        ck_assert_str_or_null(get(r, 0, "k"), "zero again");
        put(ks, 1, "k", "one'"); /* replace: count unchanged */
        ck_assert_uint_eq(keyspace_batch_dbsize(ks, 1), 1);
        ck_assert_int_eq(keyspace_commit(ks), 0);
        ck_assert_str_or_null(get(r, 0, "k"), NULL);
        ck_assert_str_or_null(get(r, 0, "new"), NULL);
        ck_assert_str_or_null(get(r, 1, "k"), "one'");
        ck_assert_uint_eq(dbsize(r, 0), 0);
        ck_assert_uint_eq(dbsize(r, 1), 1);
        /* an empty batch and one that only reads */
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        ck_assert_int_eq(keyspace_commit(ks), 0);
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        ck_assert_str_or_null(peek(ks, 1, "k"), "one'");
        ck_assert_int_eq(keyspace_commit(ks), 0);
        /* the same key in every database; the store holds 16 + meta */
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        for (unsigned d = 0; d < 16; d++)
            put(ks, d, "same", "v");
        ck_assert_int_eq(keyspace_commit(ks), 0);
        for (unsigned d = 0; d < 16; d++)
            ck_assert_uint_eq(dbsize(r, d), d == 1 ? 2 : 1);
        keyspace_reader_close(r);
        keyspace_destroy(ks);
    }
}
END_TEST

START_TEST(binary_and_empty_keys)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        keyspace *ks = make(ops, 4);
        keyspace_reader *r = keyspace_reader_open(ks);
        static const char bin[] = {'\0', '\xff', '\0', 'x'};
        char big[1000];
        memset(big, 'b', sizeof big); /* longer than the inline buffer */
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        ck_assert_int_eq(keyspace_put(ks, 0, NULL, 0, str("empty")), 0);
        ck_assert_int_eq(keyspace_put(ks, 0, bin, sizeof bin, str("bin")), 0);
        ck_assert_int_eq(keyspace_put(ks, 3, big, sizeof big, str("big")), 0);
        ck_assert_int_eq(keyspace_commit(ks), 0);
        keyspace_read_begin(r);
        ck_assert_ptr_nonnull(keyspace_get(r, 0, NULL, 0));
        ck_assert_ptr_null(keyspace_get(r, 1, NULL, 0));
        ck_assert_ptr_nonnull(keyspace_get(r, 0, bin, sizeof bin));
        ck_assert_ptr_null(keyspace_get(r, 0, bin, 3));
        ck_assert_ptr_nonnull(keyspace_get(r, 3, big, sizeof big));
        ck_assert_ptr_null(keyspace_get(r, 3, big, sizeof big - 1));
        ck_assert_ptr_null(keyspace_get(r, 4, "x", 1)); /* out of range */
        ck_assert_uint_eq(keyspace_dbsize(r, 0), 2);
        ck_assert_uint_eq(keyspace_dbsize(r, 3), 1);
        keyspace_read_end(r);
        keyspace_reader_close(r);
        keyspace_destroy(ks);
    }
}
END_TEST

START_TEST(abort_drops_everything)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        keyspace *ks = make(ops, 16);
        keyspace_reader *r = keyspace_reader_open(ks);
        put1(ks, 0, "a", "1");
        put1(ks, 5, "b", "2");
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        put(ks, 0, "a", "changed");
        put(ks, 0, "c", "new");
        ck_assert_int_eq(keyspace_delete(ks, 5, "b", 1), 1);
        ck_assert_int_eq(keyspace_swap(ks, 0, 5), 0);
        ck_assert_int_eq(keyspace_flush(ks, 7), 0);
        ck_assert_int_eq(keyspace_set_expire(ks, 5, "a", 1, 123), 1);
        keyspace_abort(ks);
        ck_assert(!keyspace_in_batch(ks));
        keyspace_abort(ks); /* nothing open: nothing happens */
        ck_assert_str_or_null(get(r, 0, "a"), "1");
        ck_assert_str_or_null(get(r, 0, "c"), NULL);
        ck_assert_str_or_null(get(r, 5, "b"), "2");
        ck_assert_uint_eq(dbsize(r, 0), 1);
        ck_assert_uint_eq(dbsize(r, 5), 1);
        /* the writer's own map and counts are back too */
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        ck_assert_str_or_null(peek(ks, 0, "a"), "1");
        ck_assert_str_or_null(peek(ks, 5, "b"), "2");
        ck_assert_uint_eq(keyspace_batch_dbsize(ks, 0), 1);
        ck_assert_uint_eq(keyspace_batch_dbsize(ks, 5), 1);
        ck_assert_int_eq(keyspace_lookup(ks, 0, "a", 1)->expire_ms,
                         VALUE_NO_EXPIRY);
        ck_assert_int_eq(keyspace_commit(ks), 0);
        /* destroy with a batch still open */
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        put(ks, 1, "pending", "x");
        keyspace_reader_close(r);
        keyspace_destroy(ks);
    }
}
END_TEST

/* ---- SWAPDB, FLUSHDB, FLUSHALL ---------------------------------------------- */

START_TEST(swapdb_swaps_whole_databases)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        keyspace *ks = make(ops, 16);
        keyspace_reader *r = keyspace_reader_open(ks);
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        put(ks, 0, "a", "0a");
        put(ks, 0, "b", "0b");
        put(ks, 1, "a", "1a");
        ck_assert_int_eq(keyspace_commit(ks), 0);

        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        errno = 0;
        ck_assert_int_eq(keyspace_swap(ks, 0, 16), -1);
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(keyspace_swap(ks, 3, 3), 0);
        ck_assert_int_eq(keyspace_swap(ks, 0, 1), 0);
        /* the batch sees the swap at once, pending keys included */
        ck_assert_str_or_null(peek(ks, 0, "a"), "1a");
        ck_assert_str_or_null(peek(ks, 0, "b"), NULL);
        ck_assert_str_or_null(peek(ks, 1, "b"), "0b");
        ck_assert_uint_eq(keyspace_batch_dbsize(ks, 0), 1);
        ck_assert_uint_eq(keyspace_batch_dbsize(ks, 1), 2);
        put(ks, 0, "c", "new in 0"); /* lands in the old db 1 */
        ck_assert_int_eq(keyspace_swap(ks, 0, 2), 0);
        ck_assert_str_or_null(peek(ks, 2, "c"), "new in 0");
        ck_assert_uint_eq(keyspace_batch_dbsize(ks, 0), 0);
        ck_assert_uint_eq(keyspace_batch_dbsize(ks, 2), 2);
        ck_assert_str_or_null(get(r, 0, "a"), "0a"); /* not published */
        ck_assert_int_eq(keyspace_commit(ks), 0);
        ck_assert_str_or_null(get(r, 0, "a"), NULL);
        ck_assert_str_or_null(get(r, 1, "a"), "0a");
        ck_assert_str_or_null(get(r, 1, "b"), "0b");
        ck_assert_str_or_null(get(r, 2, "a"), "1a");
        ck_assert_str_or_null(get(r, 2, "c"), "new in 0");
        ck_assert_uint_eq(dbsize(r, 0), 0);
        ck_assert_uint_eq(dbsize(r, 1), 2);
        ck_assert_uint_eq(dbsize(r, 2), 2);
        /* swapping back and forth in one batch changes nothing */
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        ck_assert_int_eq(keyspace_swap(ks, 1, 2), 0);
        ck_assert_int_eq(keyspace_swap(ks, 2, 1), 0);
        ck_assert_int_eq(keyspace_commit(ks), 0);
        ck_assert_str_or_null(get(r, 1, "b"), "0b");
        keyspace_reader_close(r);
        keyspace_destroy(ks);
    }
}
END_TEST

/* keyspace_iterate() callback: count keys and check they are unprefixed. */
typedef struct seen {
    int n;
    char keys[8][16];
} seen;

static int note_key(const void *k, size_t klen, const value *v, void *arg)
{
    seen *s = arg;
    ck_assert_ptr_nonnull(v);
    if (s->n < 8 && klen < 16) {
        memcpy(s->keys[s->n], k, klen);
        s->keys[s->n][klen] = '\0';
    }
    s->n++;
    return 0;
}

static int stop_at_first(const void *k, size_t klen, const value *v,
                         void *arg)
{
    (void)k; (void)klen; (void)v;
    ++*(int *)arg;
    return 42;
}

START_TEST(iterate_strips_the_prefix)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        keyspace *ks = make(ops, 16);
        keyspace_reader *r = keyspace_reader_open(ks);
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        put(ks, 3, "only", "x");
        put(ks, 4, "a", "x");
        put(ks, 4, "b", "x");
        ck_assert_int_eq(keyspace_commit(ks), 0);
        seen s = {0};
        keyspace_read_begin(r);
        ck_assert_int_eq(keyspace_iterate(r, 3, note_key, &s), 0);
        ck_assert_int_eq(s.n, 1);
        ck_assert_str_eq(s.keys[0], "only");
        s.n = 0;
        ck_assert_int_eq(keyspace_iterate(r, 4, note_key, &s), 0);
        ck_assert_int_eq(s.n, 2);
        ck_assert(strcmp(s.keys[0], "a") == 0 || strcmp(s.keys[0], "b") == 0);
        s.n = 0;
        ck_assert_int_eq(keyspace_iterate(r, 0, note_key, &s), 0);
        ck_assert_int_eq(s.n, 0);
        ck_assert_int_eq(keyspace_iterate(r, 16, note_key, &s), 0);
        int calls = 0;
        ck_assert_int_eq(keyspace_iterate(r, 4, stop_at_first, &calls), 42);
        ck_assert_int_eq(calls, 1);
        keyspace_read_end(r);
        /* after a swap the reader's walk follows the map */
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        ck_assert_int_eq(keyspace_swap(ks, 3, 9), 0);
        ck_assert_int_eq(keyspace_commit(ks), 0);
        s.n = 0;
        keyspace_read_begin(r);
        ck_assert_int_eq(keyspace_iterate(r, 9, note_key, &s), 0);
        ck_assert_int_eq(s.n, 1);
        ck_assert_str_eq(s.keys[0], "only");
        s.n = 0;
        ck_assert_int_eq(keyspace_iterate(r, 3, note_key, &s), 0);
        ck_assert_int_eq(s.n, 0);
        keyspace_read_end(r);
        keyspace_reader_close(r);
        keyspace_destroy(ks);
    }
}
END_TEST

START_TEST(flushdb_and_flushall)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        keyspace *ks = make(ops, 16);
        keyspace_reader *r = keyspace_reader_open(ks);
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        char k[16];
        for (int i = 0; i < 50; i++) {
            snprintf(k, sizeof k, "k%d", i);
            put(ks, 0, k, "x");
            if (i < 20)
                put(ks, 1, k, "y");
        }
        put(ks, 2, "z", "z");
        ck_assert_int_eq(keyspace_commit(ks), 0);

        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        errno = 0;
        ck_assert_int_eq(keyspace_flush(ks, 16), -1);
        ck_assert_int_eq(errno, EINVAL);
        put(ks, 0, "pending", "p");           /* a new key, flushed too */
        put(ks, 0, "k3", "changed");          /* a changed key */
        ck_assert_int_eq(keyspace_flush(ks, 0), 51);
        ck_assert_int_eq(keyspace_flush(ks, 0), 0);
        ck_assert_int_eq(keyspace_flush(ks, 5), 0);
        ck_assert_str_or_null(peek(ks, 0, "k3"), NULL);
        ck_assert_str_or_null(peek(ks, 0, "pending"), NULL);
        ck_assert_str_or_null(peek(ks, 1, "k3"), "y");
        ck_assert_uint_eq(keyspace_batch_dbsize(ks, 0), 0);
        put(ks, 0, "after", "a");             /* written after the flush */
        ck_assert_uint_eq(keyspace_batch_dbsize(ks, 0), 1);
        ck_assert_uint_eq(dbsize(r, 0), 50);
        ck_assert_int_eq(keyspace_commit(ks), 0);
        ck_assert_uint_eq(dbsize(r, 0), 1);
        ck_assert_uint_eq(dbsize(r, 1), 20);
        ck_assert_str_or_null(get(r, 0, "after"), "a");
        ck_assert_str_or_null(get(r, 0, "k3"), NULL);
        ck_assert_str_or_null(get(r, 1, "k3"), "y");

        /* FLUSHALL after a swap, with pending keys in several dbs */
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        ck_assert_int_eq(keyspace_swap(ks, 1, 2), 0);
        put(ks, 7, "seven", "7");
        ck_assert_int_eq(keyspace_flush(ks, KEYSPACE_ALL_DBS), 23);
        ck_assert_int_eq(keyspace_flush(ks, KEYSPACE_ALL_DBS), 0);
        for (unsigned d = 0; d < 16; d++)
            ck_assert_uint_eq(keyspace_batch_dbsize(ks, d), 0);
        put(ks, 2, "k3", "after flushall");
        ck_assert_int_eq(keyspace_commit(ks), 0);
        for (unsigned d = 0; d < 16; d++)
            ck_assert_uint_eq(dbsize(r, d), d == 2 ? 1 : 0);
        ck_assert_str_or_null(get(r, 2, "k3"), "after flushall");
        ck_assert_str_or_null(get(r, 1, "k3"), NULL);
        /* the store holds one key and the meta record */
        store_stats st;
        store_stats_get(keyspace_store(ks), &st);
        ck_assert_uint_eq(st.keys, 2);
        keyspace_reader_close(r);
        keyspace_destroy(ks);
    }
}
END_TEST

/* ---- transients and expiry ------------------------------------------------ */

START_TEST(edit_makes_one_transient_sealed_at_commit)
{
    const store_ops *ops;
    static const char *const items[] = {"a", "b", "c"};
    FOR_EACH_VARIANT(ops) {
        keyspace *ks = make(ops, 16);
        keyspace_reader *r = keyspace_reader_open(ks);
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        ck_assert_int_eq(keyspace_put(ks, 0, "l", 1, list_of(items, 3)), 0);
        put(ks, 0, "s", "string");
        ck_assert_int_eq(keyspace_commit(ks), 0);

        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        const value *old = keyspace_lookup(ks, 0, "l", 1);
        ck_assert_ptr_nonnull(old);
        ck_assert(!value_is_transient(old));
        value *t = keyspace_edit(ks, 0, "l", 1);
        ck_assert_ptr_nonnull(t);
        ck_assert(value_is_transient(t));
        ck_assert_ptr_ne(t, old);
        ck_assert_int_eq(value_list_push(t, "d", 1), 0);
        /* a second edit of the batch edits the same transient */
        ck_assert_ptr_eq(keyspace_edit(ks, 0, "l", 1), t);
        ck_assert_int_eq(value_list_push(t, "e", 1), 0);
        ck_assert_ptr_eq(keyspace_lookup(ks, 0, "l", 1), t);
        ck_assert_uint_eq(list_len(t), 5);
        ck_assert_uint_eq(list_len(old), 3); /* the version is untouched */
        /* absent, string: no transient */
        errno = 123;
        ck_assert_ptr_null(keyspace_edit(ks, 0, "nope", 4));
        ck_assert_int_eq(errno, 0);
        ck_assert_ptr_null(keyspace_edit(ks, 0, "s", 1));
        ck_assert_int_eq(errno, EINVAL);
        ck_assert_int_eq(keyspace_commit(ks), 0);

        keyspace_read_begin(r);
        const value *v = keyspace_get(r, 0, "l", 1);
        ck_assert_ptr_nonnull(v);
        ck_assert(!value_is_transient(v));
        ck_assert_uint_eq(list_len(v), 5);
        const velem *e = plist_get(value_as_list(v), 4);
        ck_assert_bytes_str(e->bytes, e->len, "e");
        keyspace_read_end(r);

        /* a pending version (put in this batch) becomes a transient too */
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        ck_assert_int_eq(keyspace_put(ks, 1, "m", 1, list_of(items, 1)), 0);
        t = keyspace_edit(ks, 1, "m", 1);
        ck_assert_ptr_nonnull(t);
        ck_assert(value_is_transient(t));
        ck_assert_int_eq(value_list_push(t, "z", 1), 0);
        /* a new collection put as a transient is sealed at commit */
        value *fresh = value_new_collection(VALUE_LIST, VALUE_NO_EXPIRY);
        ck_assert_int_eq(value_list_push(fresh, "q", 1), 0);
        ck_assert_int_eq(keyspace_put(ks, 1, "fresh", 5, fresh), 0);
        ck_assert_ptr_eq(keyspace_edit(ks, 1, "fresh", 5), fresh);
        /* putting the pending value again changes nothing */
        ck_assert_int_eq(keyspace_put(ks, 1, "fresh", 5, fresh), 0);
        ck_assert_int_eq(keyspace_commit(ks), 0);
        keyspace_read_begin(r);
        ck_assert_uint_eq(list_len(keyspace_get(r, 1, "m", 1)), 2);
        ck_assert_uint_eq(list_len(keyspace_get(r, 1, "fresh", 5)), 1);
        ck_assert(!value_is_transient(keyspace_get(r, 1, "fresh", 5)));
        ck_assert_uint_eq(keyspace_dbsize(r, 1), 2);
        keyspace_read_end(r);
        keyspace_reader_close(r);
        keyspace_destroy(ks);
    }
}
END_TEST

START_TEST(set_expire_on_versions_and_transients)
{
    const store_ops *ops;
    static const char *const items[] = {"a"};
    FOR_EACH_VARIANT(ops) {
        keyspace *ks = make(ops, 16);
        keyspace_reader *r = keyspace_reader_open(ks);
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        put(ks, 0, "s", "v");
        ck_assert_int_eq(keyspace_put(ks, 0, "l", 1, list_of(items, 1)), 0);
        ck_assert_int_eq(keyspace_commit(ks), 0);

        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        const value *old = keyspace_lookup(ks, 0, "s", 1);
        ck_assert_int_eq(keyspace_set_expire(ks, 0, "s", 1, 1000), 1);
        ck_assert_int_eq(old->expire_ms, VALUE_NO_EXPIRY); /* a copy */
        ck_assert_int_eq(keyspace_lookup(ks, 0, "s", 1)->expire_ms, 1000);
        ck_assert_int_eq(keyspace_set_expire(ks, 0, "s", 1, 2000), 1);
        ck_assert_int_eq(keyspace_set_expire(ks, 0, "none", 4, 5), 0);
        value *t = keyspace_edit(ks, 0, "l", 1);
        ck_assert_int_eq(keyspace_set_expire(ks, 0, "l", 1, 3000), 1);
        ck_assert_ptr_eq(keyspace_lookup(ks, 0, "l", 1), t); /* in place */
        ck_assert_int_eq(t->expire_ms, 3000);
        ck_assert_int_eq(keyspace_commit(ks), 0);

        keyspace_read_begin(r);
        const value *s = keyspace_get(r, 0, "s", 1);
        ck_assert_int_eq(s->expire_ms, 2000);
        ck_assert_bytes_str(value_str_bytes(s), value_str_len(s), "v");
        ck_assert_int_eq(keyspace_get(r, 0, "l", 1)->expire_ms, 3000);
        /* expired keys are there for keyspace_get, not for get_live */
        ck_assert_ptr_nonnull(keyspace_get_live(r, 0, "s", 1, 1999));
        ck_assert_ptr_null(keyspace_get_live(r, 0, "s", 1, 2000));
        ck_assert_uint_eq(keyspace_dbsize(r, 0), 2);
        keyspace_read_end(r);

        /* PERSIST; the writer sees expired keys */
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        ck_assert_ptr_nonnull(keyspace_lookup(ks, 0, "s", 1));
        ck_assert_int_eq(keyspace_set_expire(ks, 0, "s", 1, VALUE_NO_EXPIRY),
                         1);
        ck_assert_int_eq(keyspace_commit(ks), 0);
        keyspace_read_begin(r);
        ck_assert_int_eq(keyspace_get(r, 0, "s", 1)->expire_ms,
                         VALUE_NO_EXPIRY);
        keyspace_read_end(r);
        keyspace_reader_close(r);
        keyspace_destroy(ks);
    }
}
END_TEST

/* A thousand databases: the meta record (10 KiB) is a chunked string, read
 * through value_str_read() rather than in place. */
START_TEST(many_databases)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        keyspace *ks = make(ops, 1000);
        keyspace_reader *r = keyspace_reader_open(ks);
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        put(ks, 999, "last", "999");
        put(ks, 500, "mid", "500");
        put(ks, 500, "mid2", "500");
        ck_assert_int_eq(keyspace_swap(ks, 0, 999), 0);
        ck_assert_int_eq(keyspace_commit(ks), 0);
        ck_assert_str_or_null(get(r, 0, "last"), "999");
        ck_assert_str_or_null(get(r, 999, "last"), NULL);
        ck_assert_uint_eq(dbsize(r, 0), 1);
        ck_assert_uint_eq(dbsize(r, 500), 2);
        ck_assert_uint_eq(dbsize(r, 999), 0);
        ck_assert_uint_eq(dbsize(r, 1000), 0);
        seen sn = {0};
        keyspace_read_begin(r);
        ck_assert_int_eq(keyspace_iterate(r, 0, note_key, &sn), 0);
        keyspace_read_end(r);
        ck_assert_int_eq(sn.n, 1);
        ck_assert_str_eq(sn.keys[0], "last");
        keyspace_reader_close(r);
        keyspace_destroy(ks);
    }
    keyspace *ks = make(store_variant("hamt"), KEYSPACE_MAX_DBS);
    put1(ks, KEYSPACE_MAX_DBS - 1, "top", "t");
    keyspace_reader *r = keyspace_reader_open(ks);
    ck_assert_str_or_null(get(r, KEYSPACE_MAX_DBS - 1, "top"), "t");
    ck_assert_uint_eq(dbsize(r, KEYSPACE_MAX_DBS - 1), 1);
    keyspace_reader_close(r);
    keyspace_destroy(ks);
}
END_TEST

/* ---- SWAPDB costs the same whatever the databases hold ------------------- */

/* Allocations made by one batch that swaps databases 0 and 1. */
static unsigned long swap_allocations(const store_ops *ops, int keys)
{
    keyspace *ks = make(ops, 16);
    char k[16];
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    for (int i = 0; i < keys; i++) {
        snprintf(k, sizeof k, "k%d", i);
        put(ks, 0, k, "v");
        put(ks, 1, k, "w");
    }
    ck_assert_int_eq(keyspace_commit(ks), 0);
    alloc_fail_nth(ULONG_MAX); /* count, never fail */
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    ck_assert_int_eq(keyspace_swap(ks, 0, 1), 0);
    ck_assert_int_eq(keyspace_commit(ks), 0);
    unsigned long n = alloc_fail_seen();
    alloc_fail_off();
    keyspace_reader *r = keyspace_reader_open(ks);
    keyspace_read_begin(r);
    const value *v = keyspace_get(r, 0, "k0", 2);
    ck_assert_bytes_str(value_str_bytes(v), value_str_len(v), "w");
    keyspace_read_end(r);
    keyspace_reader_close(r);
    keyspace_destroy(ks);
    return n;
}

START_TEST(swapdb_is_one_record)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        unsigned long small = swap_allocations(ops, 5);
        unsigned long large = swap_allocations(ops, 2000);
        /* One record rewritten: a trie copies its path to it (log n), no
         * store touches the 4000 data keys. */
        ck_assert_msg(large <= small + 8, "%s: a swap of 5-key databases "
                      "made %lu allocations, of 2000-key ones %lu", ops->name,
                      small, large);
    }
}
END_TEST

/* ---- a random walk against a model ------------------------------------------ */

#define M_DBS 4
#define M_KEYS 12

/** What the model holds for one key: absent, or a string and an expiry. */
typedef struct mkey {
    int val;        /* -1: absent; else the string is "v<val>" */
    int64_t exp;    /* its expiry */
} mkey;

typedef struct model {
    mkey k[M_DBS][M_KEYS];
} model;

static size_t model_count(const model *m, int db)
{
    size_t n = 0;
    for (int i = 0; i < M_KEYS; i++)
        n += m->k[db][i].val >= 0;
    return n;
}

/* The batch (lookups) or the readers (r != NULL) against the model. */
static void model_check(keyspace *ks, keyspace_reader *r, const model *m,
                        const char *name, long step)
{
    char k[8];
    if (r != NULL)
        keyspace_read_begin(r);
    for (int d = 0; d < M_DBS; d++) {
        size_t n = r ? keyspace_dbsize(r, (unsigned)d)
                     : keyspace_batch_dbsize(ks, (unsigned)d);
        ck_assert_msg(n == model_count(m, d), "%s step %ld: db %d has %zu "
                      "keys, not %zu (%s)", name, step, d, n,
                      model_count(m, d), r ? "reader" : "batch");
        if (r != NULL) {
            size_t walked = 0;
            keyspace_iterate(r, (unsigned)d, count_key, &walked);
            ck_assert_uint_eq(walked, n);
        }
        for (int i = 0; i < M_KEYS; i++) {
            snprintf(k, sizeof k, "k%d", i);
            const value *v = r ? keyspace_get(r, (unsigned)d, k, strlen(k))
                               : keyspace_lookup(ks, (unsigned)d, k,
                                                 strlen(k));
            const mkey *e = &m->k[d][i];
            if (e->val < 0) {
                ck_assert_msg(v == NULL, "%s step %ld: db %d %s present",
                              name, step, d, k);
                continue;
            }
            ck_assert_msg(v != NULL, "%s step %ld: db %d %s missing", name,
                          step, d, k);
            char want[16];
            snprintf(want, sizeof want, "v%d", e->val);
            ck_assert_bytes_eq(value_str_bytes(v), value_str_len(v), want,
                               strlen(want));
            ck_assert_int_eq(v->expire_ms, e->exp);
        }
    }
    if (r != NULL)
        keyspace_read_end(r);
}

START_TEST(random_batches_match_a_model)
{
    const store_ops *ops;
    long steps = test_scale(4000, 300);
    FOR_EACH_VARIANT(ops) {
        keyspace *ks = make(ops, M_DBS);
        keyspace_reader *r = keyspace_reader_open(ks);
        model pub, cur;
        for (int d = 0; d < M_DBS; d++)
            for (int i = 0; i < M_KEYS; i++)
                pub.k[d][i] = (mkey){-1, VALUE_NO_EXPIRY};
        cur = pub;
        unsigned seed = 12345;
        bool open = false;
        char k[8];
        for (long step = 0; step < steps; step++) {
            int op = rand_r(&seed) % 100;
            int d = rand_r(&seed) % M_DBS, i = rand_r(&seed) % M_KEYS;
            snprintf(k, sizeof k, "k%d", i);
            if (!open) {
                ck_assert_int_eq(keyspace_batch_begin(ks), 0);
                open = true;
            }
            mkey *e = &cur.k[d][i];
            if (op < 35) {                          /* SET */
                int val = rand_r(&seed) % 1000;
                char b[16];
                snprintf(b, sizeof b, "v%d", val);
                put(ks, (unsigned)d, k, b);
                *e = (mkey){val, VALUE_NO_EXPIRY};
            } else if (op < 50) {                   /* DEL */
                ck_assert_int_eq(keyspace_delete(ks, (unsigned)d, k,
                                                 strlen(k)), e->val >= 0);
                e->val = -1;
            } else if (op < 60) {                   /* PEXPIREAT, PERSIST */
                int64_t x = rand_r(&seed) % 3 ? 1000 + rand_r(&seed) % 9
                                              : VALUE_NO_EXPIRY;
                ck_assert_int_eq(keyspace_set_expire(ks, (unsigned)d, k,
                                                     strlen(k), x),
                                 e->val >= 0);
                if (e->val >= 0)
                    e->exp = x;
            } else if (op < 66) {                   /* SWAPDB */
                int b = rand_r(&seed) % M_DBS;
                ck_assert_int_eq(keyspace_swap(ks, (unsigned)d,
                                               (unsigned)b), 0);
                for (int j = 0; j < M_KEYS; j++) {
                    mkey t = cur.k[d][j];
                    cur.k[d][j] = cur.k[b][j];
                    cur.k[b][j] = t;
                }
            } else if (op < 69) {                   /* FLUSHDB / FLUSHALL */
                bool all = rand_r(&seed) % 3 == 0;
                size_t n = 0;
                for (int x = 0; x < M_DBS; x++)
                    if (all || x == d) {
                        n += model_count(&cur, x);
                        for (int j = 0; j < M_KEYS; j++)
                            cur.k[x][j].val = -1;
                    }
                ck_assert_int_eq(keyspace_flush(ks, all ? KEYSPACE_ALL_DBS
                                                        : (uint32_t)d),
                                 (long long)n);
            } else if (op < 75) {                   /* check the batch */
                model_check(ks, NULL, &cur, ops->name, step);
            } else if (op < 80) {                   /* abort */
                keyspace_abort(ks);
                open = false;
                cur = pub;
                model_check(ks, r, &pub, ops->name, step);
            } else if (op < 88) {                   /* commit */
                ck_assert_int_eq(keyspace_commit(ks), 0);
                open = false;
                pub = cur;
                model_check(ks, r, &pub, ops->name, step);
            }
        }
        if (open)
            ck_assert_int_eq(keyspace_commit(ks), 0);
        model_check(ks, r, &cur, ops->name, steps);
        keyspace_reader_close(r);
        keyspace_destroy(ks);
    }
}
END_TEST

/* ---- running out of memory ------------------------------------------------- */

/* The state the OOM tests start from, on any keyspace. */
static void oom_setup(keyspace *ks)
{
    static const char *const items[] = {"a", "b", "c"};
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    put(ks, 0, "a", "a0");
    put(ks, 0, "s", "s0");
    put(ks, 1, "b", "b1");
    put(ks, 2, "c", "c2");
    put(ks, 3, "d", "d3");
    put(ks, 3, "e", "e3");
    ck_assert_int_eq(keyspace_put(ks, 0, "list", 4, list_of(items, 3)), 0);
    ck_assert_int_eq(keyspace_commit(ks), 0);
}

/* One batch of every kind of change; returns -1 at the first failure (the
 * caller then aborts). */
static int oom_ops(keyspace *ks)
{
    char big[600];
    memset(big, 'k', sizeof big);
    value *v;
    if ((v = value_new_string("n", 1, VALUE_NO_EXPIRY)) == NULL ||
        keyspace_put(ks, 0, "new", 3, v) != 0)
        return -1;
    if ((v = value_new_string("A", 1, VALUE_NO_EXPIRY)) == NULL ||
        keyspace_put(ks, 0, "a", 1, v) != 0)
        return -1;
    if (keyspace_delete(ks, 1, "b", 1) != 1)
        return -1;
    for (int i = 0; i < 2; i++) {
        value *t = keyspace_edit(ks, 0, "list", 4);
        if (t == NULL || value_list_push(t, "x", 1) != 0)
            return -1;
    }
    if (keyspace_set_expire(ks, 0, "s", 1, 5000) != 1)
        return -1;
    if (keyspace_swap(ks, 1, 2) != 0)
        return -1;
    if (keyspace_flush(ks, 3) != 2)
        return -1;
    if ((v = value_new_string("w", 1, VALUE_NO_EXPIRY)) == NULL ||
        keyspace_put(ks, 2, "after swap", 10, v) != 0)
        return -1;
    if ((v = value_new_string("big", 3, VALUE_NO_EXPIRY)) == NULL ||
        keyspace_put(ks, 3, big, sizeof big, v) != 0)
        return -1;
    return 0;
}

/* The keyspace must equal ref, for readers and for the writer's counts. */
static void check_same(keyspace *ks, keyspace_reader *r, keyspace_reader *ref,
                       const char *when, unsigned long n)
{
    char why[300];
    ck_assert_msg(keyspace_diff(r, ref, 0, 0, why, sizeof why) == 0,
                  "%s (allocation %lu failed): %s", when, n, why);
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    keyspace_read_begin(ref);
    for (unsigned d = 0; d < keyspace_databases(ks); d++)
        ck_assert_msg(keyspace_batch_dbsize(ks, d) == keyspace_dbsize(ref, d),
                      "%s (allocation %lu failed): db %u counts %zu, not %zu",
                      when, n, d, keyspace_batch_dbsize(ks, d),
                      keyspace_dbsize(ref, d));
    keyspace_read_end(ref);
    keyspace_abort(ks);
}

START_TEST(failed_allocations_leave_the_keyspace_as_before)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        /* before: the start state; after: the start state and the batch */
        keyspace *before = make(store_variant("hamt"), 16);
        keyspace *after = make(store_variant("hamt"), 16);
        oom_setup(before);
        oom_setup(after);
        ck_assert_int_eq(keyspace_batch_begin(after), 0);
        ck_assert_int_eq(oom_ops(after), 0);
        ck_assert_int_eq(keyspace_commit(after), 0);
        keyspace_reader *rb = keyspace_reader_open(before);
        keyspace_reader *ra = keyspace_reader_open(after);

        keyspace *ks = make(ops, 16);
        keyspace_reader *r = keyspace_reader_open(ks);
        oom_setup(ks);
        unsigned long n, failed_commits = 0;
        for (n = 1; n < 100000; n++) {
            alloc_fail_nth(n);
            int rc = keyspace_batch_begin(ks);
            if (rc == 0 && (rc = oom_ops(ks)) == 0) {
                rc = keyspace_commit(ks);
                if (rc != 0) {
                    ck_assert_int_eq(errno, ENOMEM);
                    failed_commits++;
                }
            } else if (rc != 0) {
                keyspace_abort(ks);
            }
            unsigned long fired = alloc_fail_fired();
            alloc_fail_off();
            ck_assert(!keyspace_in_batch(ks));
            if (rc == 0 && fired == 0)
                break; /* every allocation of the batch has failed once */
            if (rc == 0) {
                /* A failure the store absorbed (an epoch queue, say): the
                 * batch must still be whole.  Start again from before. */
                check_same(ks, r, ra, ops->name, n);
                keyspace_reader_close(r);
                keyspace_destroy(ks);
                ks = make(ops, 16);
                r = keyspace_reader_open(ks);
                oom_setup(ks);
                continue;
            }
            check_same(ks, r, rb, ops->name, n);
        }
        ck_assert_msg(n > 3 && failed_commits > 0, "%s: %lu allocations, %lu "
                      "failed commits", ops->name, n, failed_commits);
        check_same(ks, r, ra, ops->name, 0);
        keyspace_reader_close(r);
        keyspace_destroy(ks);
        keyspace_reader_close(rb);
        keyspace_reader_close(ra);
        keyspace_destroy(before);
        keyspace_destroy(after);
    }
}
END_TEST

START_TEST(create_survives_failed_allocations)
{
    const store_ops *ops;
    FOR_EACH_VARIANT(ops) {
        keyspace *ks = NULL;
        unsigned long n;
        for (n = 1; n < 10000 && ks == NULL; n++) {
            alloc_fail_nth(n);
            ks = keyspace_create(ops, 16);
            unsigned long fired = alloc_fail_fired();
            alloc_fail_off();
            if (ks == NULL) {
                ck_assert_int_eq(errno, ENOMEM);
                ck_assert_uint_eq(fired, 1);
            }
        }
        ck_assert_ptr_nonnull(ks);
        put1(ks, 0, "k", "v");
        keyspace_destroy(ks);
    }
}
END_TEST

/* ---- a reader thread never sees half a batch ------------------------------ */

/*
 * The writer keeps, in every batch it commits:
 *   - db 0: keys k0..k9, all holding the batch's generation g;
 *   - db 1 and db 2: key "tag", "A" in db 1 when g is even (SWAPDB every
 *     batch swaps the two databases);
 *   - db 3: one key per batch since the last FLUSHALL, which it does every
 *     16th batch (and then writes the above again, in the same batch);
 *     so db 3 holds g % 16 keys.
 * The reader checks all of it inside each section.
 */
#define GEN_KEYS 10

typedef struct race {
    keyspace *ks;
    atomic_bool done;  /* the writer finished */
    atomic_long checks;
    char err[300];     /* the reader's first complaint ("" if none) */
} race;

static long str_long(const value *v)
{
    char b[32];
    size_t n = value_str_read(v, 0, b, sizeof b - 1);
    b[n] = '\0';
    return atol(b);
}

static void *reader_main(void *arg)
{
    race *rc = arg;
    keyspace_reader *r = keyspace_reader_open(rc->ks);
    char k[16];
    bool last = false;
    /* relaxed: `done` only ends the loop; one more section after the
     * writer finished (the acquire below) checks the final state. */
    while (!last && rc->err[0] == '\0') {
        last = atomic_load_explicit(&rc->done, memory_order_acquire);
        keyspace_read_begin(r);
        const value *v0 = keyspace_get(r, 0, "k0", 2);
        long g = v0 != NULL ? str_long(v0) : -1;
        for (int i = 0; i < GEN_KEYS && rc->err[0] == '\0'; i++) {
            snprintf(k, sizeof k, "k%d", i);
            const value *v = keyspace_get(r, 0, k, strlen(k));
            if (v == NULL || str_long(v) != g)
                snprintf(rc->err, sizeof rc->err, "generation %ld: %s holds "
                         "%ld", g, k, v != NULL ? str_long(v) : -1);
        }
        const value *t1 = keyspace_get(r, 1, "tag", 3);
        const value *t2 = keyspace_get(r, 2, "tag", 3);
        size_t in3 = 0;
        keyspace_iterate(r, 3, count_key, &in3);
        if (rc->err[0] != '\0') {
            /* already said */
        } else if (keyspace_dbsize(r, 0) != GEN_KEYS) {
            snprintf(rc->err, sizeof rc->err, "generation %ld: db 0 has %zu "
                     "keys", g, keyspace_dbsize(r, 0));
        } else if (t1 == NULL || t2 == NULL ||
                   value_str_bytes(t1)[0] != (g % 2 == 0 ? 'A' : 'B') ||
                   value_str_bytes(t2)[0] != (g % 2 == 0 ? 'B' : 'A')) {
            snprintf(rc->err, sizeof rc->err, "generation %ld: tags %s/%s "
                     "(half a SWAPDB)", g,
                     t1 ? (const char *)value_str_bytes(t1) : "-",
                     t2 ? (const char *)value_str_bytes(t2) : "-");
        } else if (keyspace_dbsize(r, 3) != (size_t)(g % 16) ||
                   in3 != (size_t)(g % 16)) {
            snprintf(rc->err, sizeof rc->err, "generation %ld: db 3 has %zu "
                     "keys (walk: %zu), not %ld (half a FLUSHALL)", g,
                     keyspace_dbsize(r, 3), in3, g % 16);
        }
        keyspace_read_end(r);
        atomic_fetch_add_explicit(&rc->checks, 1, memory_order_relaxed);
    }
    keyspace_reader_close(r);
    return NULL;
}

/* [ch09-test-reader] */
static void write_generation(keyspace *ks, long g)
{
    char k[32], v[24];
    snprintf(v, sizeof v, "%ld", g);
    if (g > 0 && g % 16 == 0) {
        ck_assert_int_eq(keyspace_flush(ks, KEYSPACE_ALL_DBS),
                         GEN_KEYS + 2 + 15);
        put(ks, 1, "tag", "B"); /* swapped just below */
        put(ks, 2, "tag", "A");
    } else if (g > 0) {
        snprintf(k, sizeof k, "n%ld", g);
        put(ks, 3, k, v);
    }
    for (int i = 0; i < GEN_KEYS; i++) {
        snprintf(k, sizeof k, "k%d", i);
        put(ks, 0, k, v);
    }
    if (g > 0)
        ck_assert_int_eq(keyspace_swap(ks, 1, 2), 0);
}

START_TEST(reader_never_sees_half_a_batch)
{
    const store_ops *ops;
    long batches = test_scale(1500, 100);
    FOR_EACH_VARIANT(ops) {
        race rc = {.ks = make(ops, 4)};
        ck_assert_int_eq(keyspace_batch_begin(rc.ks), 0);
        write_generation(rc.ks, 0);
        put(rc.ks, 1, "tag", "A");
        put(rc.ks, 2, "tag", "B");
        ck_assert_int_eq(keyspace_commit(rc.ks), 0);
        pthread_t t;
        ck_assert_int_eq(pthread_create(&t, NULL, reader_main, &rc), 0);
        for (long g = 1; g <= batches; g++) {
            ck_assert_int_eq(keyspace_batch_begin(rc.ks), 0);
            write_generation(rc.ks, g);
            ck_assert_int_eq(keyspace_commit(rc.ks), 0);
        }
        /* release: the reader's last section sees the last batch */
        atomic_store_explicit(&rc.done, true, memory_order_release);
        pthread_join(t, NULL);
        ck_assert_msg(rc.err[0] == '\0', "%s: %s", ops->name, rc.err);
        ck_assert_int_ge(atomic_load(&rc.checks), 1);
        keyspace_destroy(rc.ks);
    }
}
/* [ch09-test-reader] */
END_TEST

Suite *ch09_keyspace_suite(void)
{
    Suite *s = suite_create("ch09_keyspace");
    TCase *tc = test_tcase("keyspace", 60);
    tcase_add_test(tc, create_checks_arguments);
    tcase_add_test(tc, batch_reads_its_own_writes);
    tcase_add_test(tc, binary_and_empty_keys);
    tcase_add_test(tc, abort_drops_everything);
    tcase_add_test(tc, swapdb_swaps_whole_databases);
    tcase_add_test(tc, iterate_strips_the_prefix);
    tcase_add_test(tc, flushdb_and_flushall);
    tcase_add_test(tc, edit_makes_one_transient_sealed_at_commit);
    tcase_add_test(tc, set_expire_on_versions_and_transients);
    tcase_add_test(tc, many_databases);
    tcase_add_test(tc, swapdb_is_one_record);
    tcase_add_test(tc, random_batches_match_a_model);
    tcase_add_test(tc, failed_allocations_leave_the_keyspace_as_before);
    tcase_add_test(tc, create_survives_failed_allocations);
    suite_add_tcase(s, tc);
    TCase *tr = test_tcase("threads", 120);
    tcase_add_test(tr, reader_never_sees_half_a_batch);
    suite_add_tcase(s, tr);
    return s;
}
