/* ch01_shrink.c - tests for exercise 1.2 (exercises/ch01/shrink.c). */
#include "map.h"
#include "shrink.h"
#include "test_util.h"

#include <stdio.h>

static char keys[5000][12];

START_TEST(shrinks_after_mass_delete_and_keeps_the_rest)
{
    map m;
    map_init(&m, 0, NULL);
    size_t len[5000];
    for (int i = 0; i < 5000; i++) {
        len[i] = (size_t)snprintf(keys[i], sizeof keys[i], "k%d", i);
        ck_assert_int_eq(map_insert(&m, keys[i], len[i], (void *)(intptr_t)(i + 1)), 0);
    }
    for (int i = 10; i < 5000; i++)
        ck_assert(map_remove(&m, keys[i], len[i], NULL));
    ck_assert_int_eq(map_shrink_to_fit(&m), 0);
    ck_assert_msg(m.cap == 16,
                  "exercise 1.2: after deleting all but 10 keys the table "
                  "has %zu slots; map_shrink_to_fit (exercises/ch01/shrink.c)"
                  " should shrink it to 16", m.cap);
    for (int i = 0; i < 10; i++) {
        map_entry *e = map_find(&m, keys[i], len[i]);
        ck_assert_msg(e != NULL, "exercise 1.2: %s lost by shrinking", keys[i]);
        ck_assert_ptr_eq(e->val, (void *)(intptr_t)(i + 1));
    }
    ck_assert_uint_eq(m.count, 10);
    /* The shrunk map still grows normally. */
    for (int i = 10; i < 100; i++)
        ck_assert_int_eq(map_insert(&m, keys[i], len[i], (void *)(intptr_t)(i + 1)), 0);
    for (int i = 0; i < 100; i++)
        ck_assert_ptr_nonnull(map_find(&m, keys[i], len[i]));
    map_release(&m);
}
END_TEST

START_TEST(no_shrink_needed)
{
    map m;
    map_init(&m, 6, NULL);
    size_t cap = m.cap;
    ck_assert_int_eq(map_shrink_to_fit(&m), 0);
    ck_assert_uint_eq(m.cap, cap);
    map_release(&m);
}
END_TEST

Suite *ex01_shrink_suite(void)
{
    Suite *s = suite_create("ex01_shrink");
    TCase *tc = test_tcase("shrink", 20);
    tcase_add_test(tc, shrinks_after_mass_delete_and_keeps_the_rest);
    tcase_add_test(tc, no_shrink_needed);
    suite_add_tcase(s, tc);
    return s;
}
