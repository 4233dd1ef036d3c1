/* ch01_map.c - chapter 1: SipHash, the open-addressing map and values. */
#include "hash.h"
#include "map.h"
#include "test_util.h"
#include "value.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- SipHash ------------------------------------------------------------- */

START_TEST(siphash24_reference_vectors)
{
    /* The paper's test vectors use key 00 01 .. 0f and messages 00 01 ..
     * of growing length.  SipHash-1-3 differs only in round counts, so
     * passing these checks the shared code path. */
    uint8_t key[16], msg[15];
    for (int i = 0; i < 16; i++) key[i] = (uint8_t)i;
    for (int i = 0; i < 15; i++) msg[i] = (uint8_t)i;
    ck_assert_uint_eq(hash_siphash(key, 2, 4, msg, 0), 0x726fdb47dd0e0e31ULL);
    ck_assert_uint_eq(hash_siphash(key, 2, 4, msg, 15), 0xa129ca6149be45e5ULL);
}
END_TEST

START_TEST(hash_bytes_is_keyed_and_stable)
{
    uint64_t a = hash_bytes("hello", 5);
    ck_assert_uint_eq(a, hash_bytes("hello", 5));
    ck_assert_uint_ne(a, hash_bytes("hellp", 5));
    ck_assert_uint_ne(hash_bytes("", 0), hash_bytes("\0", 1));
    /* Not a fixed public function: it must differ from SipHash-1-3 under
     * the all-zero key (which is what an uninitialised key would give). */
    uint8_t zero[16] = { 0 };
    ck_assert_uint_ne(a, hash_siphash(zero, 1, 3, "hello", 5));
}
END_TEST

/* --- map ----------------------------------------------------------------- */

/* A terrible hash, so that every key collides: probing must still work. */
static uint64_t const_hash(const void *k, size_t n)
{
    (void)k; (void)n;
    return 7;
}

/* Keys are stored by pointer, so tests keep them alive in this array. */
static char keys[2048][16];

static const char *key(int i, size_t *len)
{
    *len = (size_t)snprintf(keys[i], sizeof keys[i], "k%d", i);
    return keys[i];
}

START_TEST(grows_and_finds_everything)
{
    map m;
    ck_assert_int_eq(map_init(&m, 0, NULL), 0);
    ck_assert_uint_eq(m.cap, 0);
    for (int i = 0; i < 2000; i++) {
        size_t n;
        const char *k = key(i, &n);
        ck_assert_int_eq(map_insert(&m, k, n, (void *)(intptr_t)(i + 1)), 0);
        ck_assert_uint_le(m.count * 4, m.cap * 3); /* load <= 3/4 */
    }
    ck_assert_uint_eq(m.count, 2000);
    ck_assert_uint_eq(m.cap & (m.cap - 1), 0); /* power of two */
    for (int i = 0; i < 2000; i++) {
        size_t n;
        const char *k = key(i, &n);
        map_entry *e = map_find(&m, k, n);
        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq((intptr_t)e->val, i + 1);
    }
    ck_assert_ptr_null(map_find(&m, "nope", 4));
    map_release(&m);
}
END_TEST

START_TEST(all_keys_colliding)
{
    map m;
    ck_assert_int_eq(map_init(&m, 4, const_hash), 0);
    for (int i = 0; i < 100; i++) {
        size_t n;
        const char *k = key(i, &n);
        ck_assert_int_eq(map_insert(&m, k, n, (void *)(intptr_t)i), 0);
    }
    for (int i = 0; i < 100; i++) {
        size_t n;
        const char *k = key(i, &n);
        map_entry *e = map_find(&m, k, n);
        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq((intptr_t)e->val, i);
    }
    map_release(&m);
}
END_TEST

START_TEST(delete_shifts_back_and_reinsert)
{
    /* With every key colliding, keys form one long probe run; deleting from
     * its middle must not cut off the keys after the hole. */
    map m;
    ck_assert_int_eq(map_init(&m, 64, const_hash), 0);
    for (int i = 0; i < 40; i++) {
        size_t n;
        const char *k = key(i, &n);
        ck_assert_int_eq(map_insert(&m, k, n, (void *)(intptr_t)i), 0);
    }
    for (int i = 0; i < 40; i += 3) {
        size_t n;
        const char *k = key(i, &n);
        map_entry old;
        ck_assert(map_remove(&m, k, n, &old));
        ck_assert_int_eq((intptr_t)old.val, i);
        ck_assert(!map_remove(&m, k, n, NULL));
    }
    for (int i = 0; i < 40; i++) {
        size_t n;
        const char *k = key(i, &n);
        if (i % 3 == 0)
            ck_assert_ptr_null(map_find(&m, k, n));
        else
            ck_assert_ptr_nonnull(map_find(&m, k, n));
    }
    for (int i = 0; i < 40; i += 3) {
        size_t n;
        const char *k = key(i, &n);
        ck_assert_int_eq(map_insert(&m, k, n, (void *)(intptr_t)(i + 100)), 0);
    }
    ck_assert_uint_eq(m.count, 40);
    for (int i = 0; i < 40; i++) {
        size_t n;
        const char *k = key(i, &n);
        map_entry *e = map_find(&m, k, n);
        ck_assert_ptr_nonnull(e);
        ck_assert_int_eq((intptr_t)e->val, i % 3 == 0 ? i + 100 : i);
    }
    map_release(&m);
}
END_TEST

/* Hash = first byte, so that a test can place keys at chosen home slots,
 * including runs that wrap around the end of the table. */
static uint64_t first_byte_hash(const void *k, size_t n)
{
    return n ? ((const unsigned char *)k)[0] : 0;
}

/* [ch01-test-wrapped-delete] */
START_TEST(delete_in_wrapped_run)
{
    map m;
    ck_assert_int_eq(map_init(&m, 6, first_byte_hash), 0); /* cap 8 */
    ck_assert_uint_eq(m.cap, 8);
    /* homes 6, 6, 7, 7, 1 -> slots 6, 7, 0, 1, 2 */
    static const char *ks[] = { "\x06" "a", "\x06" "b", "\x07" "c",
                                "\x07" "d", "\x01" "e" };
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(map_insert(&m, ks[i], 2, (void *)(intptr_t)i), 0);
    ck_assert(map_remove(&m, ks[0], 2, NULL));
    for (int i = 1; i < 5; i++) {
        map_entry *e = map_find(&m, ks[i], 2);
        ck_assert_msg(e != NULL, "key %d lost after wrapped delete", i);
        ck_assert_int_eq((intptr_t)e->val, i);
    }
    map_release(&m);
}
END_TEST
/* [ch01-test-wrapped-delete] */

START_TEST(binary_keys)
{
    map m;
    ck_assert_int_eq(map_init(&m, 0, NULL), 0);
    static const unsigned char a[] = { 0, 0, 0 };
    static const unsigned char b[] = { 0, 0 };
    static const unsigned char c[] = { 0xff, 0x00, 0xff };
    static const unsigned char empty[1] = { 0 };
    ck_assert_int_eq(map_insert(&m, a, 3, (void *)1), 0);
    ck_assert_int_eq(map_insert(&m, b, 2, (void *)2), 0);
    ck_assert_int_eq(map_insert(&m, c, 3, (void *)3), 0);
    ck_assert_int_eq(map_insert(&m, empty, 0, (void *)4), 0);
    ck_assert_ptr_eq(map_find(&m, a, 3)->val, (void *)1);
    ck_assert_ptr_eq(map_find(&m, b, 2)->val, (void *)2);
    ck_assert_ptr_eq(map_find(&m, c, 3)->val, (void *)3);
    ck_assert_ptr_eq(map_find(&m, "", 0)->val, (void *)4);
    ck_assert_ptr_null(map_find(&m, a, 1));
    map_release(&m);
}
END_TEST

START_TEST(iterate_and_clone)
{
    map m, c;
    ck_assert_int_eq(map_init(&m, 0, NULL), 0);
    for (int i = 0; i < 300; i++) {
        size_t n;
        const char *k = key(i, &n);
        ck_assert_int_eq(map_insert(&m, k, n, (void *)(intptr_t)(i + 1)), 0);
    }
    ck_assert_int_eq(map_clone(&c, &m), 0);
    ck_assert(map_remove(&m, "k5", 2, NULL)); /* the clone is independent */
    long sum = 0;
    int n = 0;
    size_t pos = 0;
    for (map_entry *e; (e = map_next(&c, &pos)) != NULL; n++)
        sum += (intptr_t)e->val;
    ck_assert_int_eq(n, 300);
    ck_assert_int_eq(sum, 300 * 301 / 2);
    ck_assert_ptr_nonnull(map_find(&c, "k5", 2));
    ck_assert_ptr_null(map_find(&m, "k5", 2));
    map_release(&m);
    map_release(&c);
}
END_TEST

START_TEST(one_million_keys)
{
    long n = test_scale(1000000, 5000);
    unsigned char *buf = malloc((size_t)n * 8);
    ck_assert_ptr_nonnull(buf);
    map m;
    ck_assert_int_eq(map_init(&m, 0, NULL), 0);
    for (long i = 0; i < n; i++) {
        memcpy(buf + i * 8, &i, 8);
        ck_assert_int_eq(map_insert(&m, buf + i * 8, 8, (void *)(i + 1)), 0);
    }
    ck_assert_uint_eq(m.count, (size_t)n);
    for (long i = 0; i < n; i++) {
        long k = i;
        map_entry *e = map_find(&m, &k, 8);
        ck_assert_ptr_nonnull(e);
        ck_assert_ptr_eq(e->val, (void *)(i + 1));
    }
    for (long i = 0; i < n; i += 2) {
        long k = i;
        ck_assert(map_remove(&m, &k, 8, NULL));
    }
    for (long i = 0; i < n; i++) {
        long k = i;
        ck_assert((map_find(&m, &k, 8) != NULL) == (i % 2 == 1));
    }
    map_release(&m);
    free(buf);
}
END_TEST

/* --- values -------------------------------------------------------------- */

START_TEST(string_values)
{
    static const char bytes[] = { 'x', 0, (char)0xff };
    value *v = value_new_string(bytes, 3, 1234);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(v->type, VALUE_STRING);
    ck_assert_bytes_eq(value_str_bytes(v), value_str_len(v), bytes, 3);
    ck_assert_int_eq(value_str_bytes(v)[3], 0); /* NUL-terminated */
    ck_assert(!value_is_expired(v, 1233));
    ck_assert(value_is_expired(v, 1234));
    ck_assert_uint_ge(value_bytes(v), sizeof *v + 3);
    value_free(v);
    value *e = value_new_string(NULL, 0, VALUE_NO_EXPIRY);
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(value_str_len(e), 0);
    ck_assert(!value_is_expired(e, INT64_MAX));
    value_free(e);
    value_free(NULL);
    ck_assert_int_gt(value_now_ms(), 1600000000000);
}
END_TEST

Suite *ch01_map_suite(void)
{
    Suite *s = suite_create("ch01_map");
    TCase *tc = test_tcase("hash", 10);
    tcase_add_test(tc, siphash24_reference_vectors);
    tcase_add_test(tc, hash_bytes_is_keyed_and_stable);
    suite_add_tcase(s, tc);
    tc = test_tcase("map", 120);
    tcase_add_test(tc, grows_and_finds_everything);
    tcase_add_test(tc, all_keys_colliding);
    tcase_add_test(tc, delete_shifts_back_and_reinsert);
    tcase_add_test(tc, delete_in_wrapped_run);
    tcase_add_test(tc, binary_keys);
    tcase_add_test(tc, iterate_and_clone);
    tcase_add_test(tc, one_million_keys);
    suite_add_tcase(s, tc);
    tc = test_tcase("value", 10);
    tcase_add_test(tc, string_values);
    suite_add_tcase(s, tc);
    return s;
}
