/* ch05_sharing.c - exercise 5.2: how much two versions share. */
#include "hamt_sharing.h"
#include "test_util.h"

#include <stdio.h>

static uint64_t token = 1000;

static void free_now(void *ctx, const hamt_garbage *g)
{
    (void)ctx;
    g->free_fn(g->p);
}

static void set(hamt_edit *e, long i, void *val)
{
    char k[24];
    void *old;
    int kl = snprintf(k, sizeof k, "s%ld", i);
    ck_assert_int_eq(hamt_edit_set(e, k, (size_t)kl, val, &old), 0);
}

START_TEST(one_write_shares_all_but_one_path)
{
    static int a, b;
    hamt_edit e = { 0 };
    hamt_edit_begin(&e, NULL, 0, token++, NULL);
    for (long i = 0; i < 10000; i++)
        set(&e, i, &a);
    hamt_node *v1 = e.root;
    size_t bytes = e.bytes;
    hamt_edit_end(&e, free_now, NULL);

    size_t total = hamt_count_nodes(v1);
    ck_assert_msg(total > 300, "exercise 5.2: hamt_count_nodes() in "
                  "exercises/ch05/hamt_sharing.c says %zu nodes for 10,000 "
                  "keys (a node holds at most 32 slots)", total);
    ck_assert_msg(hamt_shared_nodes(v1, v1) == total, "exercise 5.2: a "
                  "version shares all %zu nodes with itself, "
                  "hamt_shared_nodes() said %zu", total,
                  hamt_shared_nodes(v1, v1));

    hamt_edit_begin(&e, v1, bytes, token++, NULL);
    set(&e, 4242, &b); /* replace one value: copies one path */
    hamt_node *v2 = e.root;
    size_t copied = e.ngarbage; /* the nodes of v1 that v2 replaced */
    ck_assert_uint_eq(hamt_count_nodes(v2), total);
    size_t shared = hamt_shared_nodes(v1, v2);
    ck_assert_msg(shared == total - copied, "exercise 5.2: v2 copied %zu "
                  "nodes of %zu, so it shares %zu; hamt_shared_nodes() said "
                  "%zu", copied, total, total - copied, shared);
    ck_assert_uint_le(copied, HAMT_MAX_DEPTH);
    hamt_free_tree(v2, NULL);
    hamt_edit_end(&e, free_now, NULL);
    hamt_edit_release(&e);
}
END_TEST

START_TEST(separate_trees_share_nothing)
{
    static int a;
    hamt_edit e1 = { 0 }, e2 = { 0 };
    hamt_edit_begin(&e1, NULL, 0, token++, NULL);
    hamt_edit_begin(&e2, NULL, 0, token++, NULL);
    for (long i = 0; i < 500; i++) {
        set(&e1, i, &a);
        set(&e2, i, &a);
    }
    ck_assert_uint_eq(hamt_count_nodes(e1.root), hamt_count_nodes(e2.root));
    ck_assert_msg(hamt_shared_nodes(e1.root, e2.root) == 0, "exercise 5.2: "
                  "equal keys, but no node in common: expected 0");
    ck_assert_uint_eq(hamt_shared_nodes(NULL, e2.root), 0);
    ck_assert_uint_eq(hamt_count_nodes(NULL), 0);
    hamt_free_tree(e1.root, NULL);
    hamt_free_tree(e2.root, NULL);
    hamt_edit_release(&e1);
    hamt_edit_release(&e2);
}
END_TEST

Suite *ex05_sharing_suite(void)
{
    Suite *s = suite_create("ex05_sharing");
    TCase *tc = test_tcase("sharing", 30);
    tcase_add_test(tc, one_write_shares_all_but_one_path);
    tcase_add_test(tc, separate_trees_share_nothing);
    suite_add_tcase(s, tc);
    return s;
}
