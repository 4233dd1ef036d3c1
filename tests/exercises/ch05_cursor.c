/* ch05_cursor.c - exercise 5.1: a cursor over a hamt snapshot. */
#include "hamt_cursor.h"
#include "hash.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t token = 1;

static void free_now(void *ctx, const hamt_garbage *g)
{
    (void)ctx;
    g->free_fn(g->p);
}

/* Only 4 distinct hashes: deep paths and collision nodes. */
static uint64_t hash_four(const void *k, size_t n)
{
    return ((uint64_t)(hash_bytes(k, n) & 3) << 62) | 0x1234ULL;
}

/* A version with keys "c<i>" -> (void *)(i + 1), i < n. */
static hamt_node *build(long n, hamt_hash_fn *h, size_t *bytes)
{
    hamt_edit e = { 0 };
    hamt_edit_begin(&e, NULL, 0, token++, h);
    for (long i = 0; i < n; i++) {
        char k[24];
        void *old;
        int kl = snprintf(k, sizeof k, "c%ld", i);
        ck_assert_int_eq(hamt_edit_set(&e, k, (size_t)kl,
                                       (void *)(uintptr_t)(i + 1), &old), 0);
    }
    hamt_edit_end(&e, free_now, NULL);
    hamt_edit_release(&e);
    *bytes = e.bytes;
    return e.root;
}

/* Walk with the cursor; every key must come once, with its value. */
static void walk_all(const hamt_node *root, long n)
{
    char *seen = calloc((size_t)n, 1);
    hamt_cursor c;
    hamt_cursor_init(&c, root);
    const hamt_key *k;
    void *v;
    long got = 0;
    while (hamt_cursor_next(&c, &k, &v)) {
        long i = (long)(uintptr_t)v - 1;
        ck_assert_msg(i >= 0 && i < n, "exercise 5.1: value %p is not one "
                      "that was stored", v);
        char want[24];
        int wl = snprintf(want, sizeof want, "c%ld", i);
        ck_assert_bytes_eq(k->bytes, k->len, want, (size_t)wl);
        ck_assert_msg(!seen[i], "exercise 5.1: key %s returned twice", want);
        seen[i] = 1;
        got++;
    }
    ck_assert_msg(got == n, "exercise 5.1: hamt_cursor_next() in "
                  "exercises/ch05/hamt_cursor.c returned %ld keys of %ld",
                  got, n);
    ck_assert_int_eq(hamt_cursor_next(&c, &k, &v), 0); /* stays done */
    free(seen);
}

START_TEST(cursor_visits_every_key_once)
{
    size_t bytes;
    hamt_node *root = build(5000, hash_bytes, &bytes);
    walk_all(root, 5000);
    hamt_free_tree(root, NULL);
    walk_all(NULL, 0);
}
END_TEST

START_TEST(cursor_handles_collisions)
{
    size_t bytes;
    hamt_node *root = build(300, hash_four, &bytes);
    walk_all(root, 300);
    hamt_free_tree(root, NULL);
}
END_TEST

START_TEST(cursor_sees_its_snapshot_only)
{
    /* A cursor on v1 keeps returning v1 while v2 is written. */
    size_t bytes;
    hamt_node *v1 = build(2000, hash_bytes, &bytes);
    hamt_cursor c;
    hamt_cursor_init(&c, v1);
    const hamt_key *k;
    void *v;
    for (int i = 0; i < 500; i++)
        ck_assert_msg(hamt_cursor_next(&c, &k, &v), "exercise 5.1: the "
                      "cursor stopped early");
    hamt_edit e = { 0 };
    hamt_edit_begin(&e, v1, bytes, token++, NULL);
    for (long i = 0; i < 2000; i += 2) {
        char key[24];
        void *old;
        int kl = snprintf(key, sizeof key, "c%ld", i);
        ck_assert_int_eq(hamt_edit_del(&e, key, (size_t)kl, &old), 1);
    }
    long rest = 0;
    while (hamt_cursor_next(&c, &k, &v))
        rest++;
    ck_assert_int_eq(rest, 1500); /* v1 still has all 2000 keys */
    hamt_free_tree(e.root, NULL);
    hamt_edit_end(&e, free_now, NULL); /* v1's replaced nodes, keys */
    hamt_edit_release(&e);
}
END_TEST

Suite *ex05_cursor_suite(void)
{
    Suite *s = suite_create("ex05_cursor");
    TCase *tc = test_tcase("cursor", 30);
    tcase_add_test(tc, cursor_visits_every_key_once);
    tcase_add_test(tc, cursor_handles_collisions);
    tcase_add_test(tc, cursor_sees_its_snapshot_only);
    suite_add_tcase(s, tc);
    return s;
}
