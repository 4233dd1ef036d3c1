/* ch09_keys.c - chapter 9: DEL, RENAME, COPY, MOVE, the EXPIRE family and SORT against a real redis-server.
 *
 * The first test checks value_fork(), which COPY, RENAME and MOVE use
 * when the source key holds a transient of the open batch: the fork and
 * the transient must never see each other's later edits.
 */
#include "value.h"

#include "test_util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static void list_is(const value *v, const char *const *want, size_t n)
{
    const plist *l = value_as_list(v);
    ck_assert_uint_eq(plist_len(l), n);
    for (size_t i = 0; i < n; i++) {
        const velem *e = plist_get(l, i);
        ck_assert_bytes_eq(e->bytes, e->len, want[i], strlen(want[i]));
    }
}

START_TEST(fork_separates_transient_and_copy)
{
    value *t = value_new_collection(VALUE_LIST, 1234);
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(value_list_push(t, "a", 1), 0);
    ck_assert_int_eq(value_list_push(t, "b", 1), 0);
    value *copy = NULL;
    ck_assert_int_eq(value_fork(t, &copy), 0);
    ck_assert(value_is_transient(t));
    ck_assert(!value_is_transient(copy));
    ck_assert_int_eq(copy->expire_ms, 1234);
    /* Later edits of the transient do not reach the copy... */
    ck_assert_int_eq(value_list_push(t, "c", 1), 0);
    plist *pl = value_edit_list(t);
    ck_assert_int_eq(plist_set(pl, 0, "A", 1, &pl), 0);
    static const char *const two[] = {"a", "b"};
    static const char *const three[] = {"A", "b", "c"};
    list_is(copy, two, 2);
    list_is(t, three, 3);
    /* ...and an edit of the copy does not reach the transient. */
    value *e = value_edit(copy);
    ck_assert_ptr_nonnull(e);
    ck_assert_int_eq(value_list_push(e, "z", 1), 0);
    ck_assert_int_eq(value_seal(e), 0);
    static const char *const withz[] = {"a", "b", "z"};
    list_is(e, withz, 3);
    list_is(copy, two, 2);
    list_is(t, three, 3);
    /* A version and a string cannot be forked. */
    value *v2;
    errno = 0;
    ck_assert_int_eq(value_fork(copy, &v2), -1);
    ck_assert_int_eq(errno, EINVAL);
    value *s = value_new_string("x", 1, VALUE_NO_EXPIRY);
    ck_assert_int_eq(value_fork(s, &v2), -1);
    value_free(s);
    ck_assert_int_eq(value_seal(t), 0);
    value_free(t);
    value_free(copy);
    value_free(e);
}
END_TEST

/* Every collection type forks. */
START_TEST(fork_every_type)
{
    value *t[4] = {value_new_collection(VALUE_SET, VALUE_NO_EXPIRY),
                   value_new_collection(VALUE_HASH, VALUE_NO_EXPIRY),
                   value_new_collection(VALUE_ZSET, VALUE_NO_EXPIRY),
                   value_new_collection(VALUE_STREAM, VALUE_NO_EXPIRY)};
    ck_assert_int_eq(value_set_add(t[0], "m", 1), 1);
    ck_assert_int_eq(value_hash_add(t[1], "f", 1, "v", 1, VALUE_NO_EXPIRY), 1);
    ck_assert_int_eq(value_zset_add(t[2], "m", 1, 2.5), 1);
    for (int i = 0; i < 4; i++) {
        value *c;
        ck_assert_int_eq(value_fork(t[i], &c), 0);
        ck_assert_int_eq(c->type, t[i]->type);
        ck_assert_uint_eq(value_count(c), value_count(t[i]));
        value_free(c);
    }
    ck_assert_int_eq(value_set_add(t[0], "n", 1), 1);
    ck_assert_uint_eq(value_count(t[0]), 2);
    for (int i = 0; i < 4; i++) {
        value_seal(t[i]);
        value_free(t[i]);
    }
}
END_TEST

Suite *ch09_keys_suite(void)
{
    Suite *s = suite_create("ch09_keys");
    TCase *tc = test_tcase("keys", 120);
    tcase_add_test(tc, fork_separates_transient_and_copy);
    tcase_add_test(tc, fork_every_type);
    suite_add_tcase(s, tc);
    return s;
}
