/* store_contract.c - behaviour every store variant must have.
 *
 * Check test functions take no arguments, only a loop index.  The suite for
 * variant V therefore adds each test as a loop test over the single index of
 * V in store_variants[], and the test reads the variant back from there.
 */
#include "store_contract.h"
#include "store.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        ck_assert_bytes_eq(v->u.str.bytes, v->u.str.len, want, wlen);
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
            ck_assert_bytes_eq(got->u.str.bytes, got->u.str.len, v,
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
    ck_assert_bytes_str(a->u.str.bytes, a->u.str.len, "alpha");
    ck_assert_bytes_str(b->u.str.bytes, b->u.str.len, "beta");
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

START_TEST(unknown_variant)
{
    ck_abort_msg("no store variant named in this suite exists in "
                 "store_variants[] (src/store_registry.c)");
}
END_TEST

Suite *store_contract_suite(const char *variant)
{
    /* Check keeps the name pointer, so it must outlive the suite. */
    static char names[32][64];
    static int used;
    char *name = names[used < 31 ? used++ : 31];
    snprintf(name, sizeof names[0], "contract-%s", variant);
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
    }
    suite_add_tcase(s, tc);
    return s;
}
