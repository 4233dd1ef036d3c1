/* ch05_hamt.c - chapter 5: the persistent trie on its own, no threads.
 *
 * Each test drives hamt_edit_* against a plain reference (an array indexed
 * by key number) and checks the tree's invariants (hamt_check) after every
 * change.  Weak hash functions force what SipHash almost never produces:
 * long shared prefixes and whole-hash collisions.
 */
#include "hamt.h"
#include "hash.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tokens must never repeat within a tree; tests use one counter. */
static uint64_t next_token = 1;

static void begin(hamt_edit *e, hamt_node *root, size_t bytes,
                  hamt_hash_fn *h)
{
    hamt_edit_begin(e, root, bytes, next_token++, h);
}

/* Garbage from tests is freed at once: no reader exists. */
static void free_now(void *ctx, const hamt_garbage *g)
{
    size_t *n = ctx;
    if (n != NULL)
        (*n)++;
    g->free_fn(g->p);
}

static void check_tree(const hamt_node *root)
{
    char err[160] = "";
    ck_assert_msg(hamt_check(root, err, sizeof err) == 0,
                  "hamt_check: %s", err);
}

/* Every key hashes to the same value: one big collision node. */
static uint64_t hash_const(const void *k, size_t n)
{
    (void)k; (void)n;
    return 0x5eedULL;
}

/* Only 3 distinct hashes, sharing the low 40 bits: long paths, then
 * collision nodes deep down. */
static uint64_t hash_three(const void *k, size_t n)
{
    return ((uint64_t)(hash_bytes(k, n) % 3) << 40) | 0xabcdef1234ULL;
}

/* Keys 0..n-1 with their values; vals[j] NULL when absent. */
typedef struct model {
    long n;
    char **vals;
} model;

static void keyname(char *buf, size_t sz, long j)
{
    snprintf(buf, sz, "key-%ld", j);
}

static void expect_model(const hamt_node *root, hamt_hash_fn *h,
                         const model *m)
{
    size_t present = 0;
    char k[32];
    for (long j = 0; j < m->n; j++) {
        keyname(k, sizeof k, j);
        void *got = hamt_get(root, h(k, strlen(k)), k, strlen(k));
        ck_assert_msg(got == m->vals[j], "%s: got %p, want %p", k, got,
                      (void *)m->vals[j]);
        present += m->vals[j] != NULL;
    }
    ck_assert_uint_eq(hamt_size(root), present);
}

/* Random sets and deletes, one edit each, checked against the model. */
static void random_ops(hamt_hash_fn *h, long nkeys, long steps)
{
    model m = { nkeys, calloc((size_t)nkeys, sizeof(char *)) };
    hamt_edit e = { 0 };
    hamt_node *root = NULL;
    size_t bytes = 0;
    unsigned seed = 12345;
    char k[32];
    for (long i = 0; i < steps; i++) {
        long j = rand_r(&seed) % nkeys;
        keyname(k, sizeof k, j);
        begin(&e, root, bytes, h);
        void *old = NULL;
        if (rand_r(&seed) % 3 != 0) {
            char *v = malloc(8);
            ck_assert_int_eq(hamt_edit_set(&e, k, strlen(k), v, &old), 0);
            ck_assert_ptr_eq(old, m.vals[j]);
            m.vals[j] = v;
        } else {
            int rc = hamt_edit_del(&e, k, strlen(k), &old);
            ck_assert_int_eq(rc, m.vals[j] != NULL);
            if (rc == 1)
                ck_assert_ptr_eq(old, m.vals[j]);
            m.vals[j] = NULL;
        }
        free(old);
        root = e.root;
        bytes = e.bytes;
        hamt_edit_end(&e, free_now, NULL);
        check_tree(root);
        if (i % 64 == 0 || i == steps - 1)
            expect_model(root, h, &m);
    }
    hamt_free_tree(root, free);
    hamt_edit_release(&e);
    free(m.vals);
}

START_TEST(random_ops_siphash)
{
    random_ops(hash_bytes, 2000, test_scale(20000, 2000));
}
END_TEST

START_TEST(random_ops_three_hashes)
{
    random_ops(hash_three, 60, test_scale(4000, 600));
}
END_TEST

START_TEST(random_ops_one_hash)
{
    random_ops(hash_const, 20, test_scale(2000, 300));
}
END_TEST

/* [ch05-test-persistent] */
START_TEST(old_version_unchanged_by_writes)
{
    /* Build v1 with 1000 keys, then derive v2 by changing one key and
     * deleting another: v1 must still answer exactly as before. */
    hamt_edit e = { 0 };
    char k[32];
    static int vals[1000], other;
    begin(&e, NULL, 0, NULL);
    for (long j = 0; j < 1000; j++) {
        void *old;
        keyname(k, sizeof k, j);
        ck_assert_int_eq(hamt_edit_set(&e, k, strlen(k), &vals[j], &old), 0);
    }
    hamt_node *v1 = e.root;
    size_t v1bytes = e.bytes;
    size_t garbage = 0;
    hamt_edit_end(&e, free_now, &garbage);
    ck_assert_uint_eq(garbage, 0); /* one edit: every node was its own */

    begin(&e, v1, v1bytes, NULL);
    void *old;
    ck_assert_int_eq(hamt_edit_set(&e, "key-7", 5, &other, &old), 0);
    ck_assert_ptr_eq(old, &vals[7]);
    ck_assert_int_eq(hamt_edit_del(&e, "key-8", 5, &old), 1);
    hamt_node *v2 = e.root;
    ck_assert_ptr_ne(v1, v2);

    ck_assert_uint_eq(hamt_size(v1), 1000);
    ck_assert_uint_eq(hamt_size(v2), 999);
    ck_assert_ptr_eq(hamt_get(v1, hash_bytes("key-7", 5), "key-7", 5),
                     &vals[7]);
    ck_assert_ptr_eq(hamt_get(v2, hash_bytes("key-7", 5), "key-7", 5),
                     &other);
    ck_assert_ptr_eq(hamt_get(v1, hash_bytes("key-8", 5), "key-8", 5),
                     &vals[8]);
    ck_assert_ptr_null(hamt_get(v2, hash_bytes("key-8", 5), "key-8", 5));
    /* Path copying: the second edit replaced only a few nodes of v1
     * (the ones on the two paths), plus the deleted key. */
    size_t gbytes = 0;
    for (size_t i = 0; i < e.ngarbage; i++)
        gbytes += e.garbage[i].bytes;
    ck_assert_uint_ge(e.ngarbage, 2);
    ck_assert_uint_le(e.ngarbage, 2 * HAMT_MAX_DEPTH + 1);
    ck_assert_msg(gbytes * 10 < v1bytes, "replaced %zu of %zu bytes",
                  gbytes, v1bytes);
    check_tree(v1);
    check_tree(v2);
    /* v1 and v2 share all other nodes: free v2's garbage would free v1's
     * path.  Keep v1 alive by not freeing garbage; free v2 then the
     * garbage nodes (v1's old path) and the key. */
    hamt_free_tree(v2, NULL);
    for (size_t i = 0; i < e.ngarbage; i++)
        e.garbage[i].free_fn(e.garbage[i].p);
    e.ngarbage = 0;
    hamt_edit_release(&e);
}
END_TEST
/* [ch05-test-persistent] */

/* [ch05-test-batch] */
START_TEST(batch_copies_each_node_once)
{
    /* One edit of 300 changes on a published version: a node is copied the
     * first time the edit touches it and changed in place afterwards, so
     * no published node can be on the garbage list twice. */
    hamt_edit e = { 0 };
    char k[32];
    static int vals[2000], newv;
    begin(&e, NULL, 0, NULL);
    for (long j = 0; j < 2000; j++) {
        void *old;
        keyname(k, sizeof k, j);
        ck_assert_int_eq(hamt_edit_set(&e, k, strlen(k), &vals[j], &old), 0);
    }
    hamt_node *v1 = e.root;
    size_t v1bytes = e.bytes;
    hamt_edit_end(&e, free_now, NULL);

    begin(&e, v1, v1bytes, NULL);
    for (long j = 0; j < 300; j++) {
        void *old;
        keyname(k, sizeof k, (j * 7) % 2000);
        ck_assert_int_eq(hamt_edit_set(&e, k, strlen(k), &newv, &old), 0);
    }
    for (size_t i = 0; i < e.ngarbage; i++)
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(e.garbage[i].p != e.garbage[j].p,
                          "node %p copied twice in one edit",
                          e.garbage[i].p);
    ck_assert_uint_eq(hamt_size(v1), 2000);
    ck_assert_uint_eq(hamt_size(e.root), 2000);
    ck_assert_ptr_eq(hamt_get(v1, hash_bytes("key-7", 5), "key-7", 5),
                     &vals[7]);
    ck_assert_ptr_eq(hamt_get(e.root, hash_bytes("key-7", 5), "key-7", 5),
                     &newv);
    check_tree(e.root);
    hamt_free_tree(e.root, NULL);
    hamt_edit_end(&e, free_now, NULL); /* v1's replaced nodes */
    hamt_edit_release(&e);
}
END_TEST
/* [ch05-test-batch] */

static int count_cb(const hamt_key *k, void *val, void *arg)
{
    (void)k; (void)val;
    ++*(size_t *)arg;
    return 0;
}

START_TEST(collisions_and_edge_keys)
{
    hamt_edit e = { 0 };
    static int a, b, c;
    void *old;
    begin(&e, NULL, 0, hash_const);
    ck_assert_int_eq(hamt_edit_set(&e, "", 0, &a, &old), 0);
    ck_assert_int_eq(hamt_edit_set(&e, "x", 1, &b, &old), 0);
    ck_assert_int_eq(hamt_edit_set(&e, "x\0", 2, &c, &old), 0);
    check_tree(e.root);
    ck_assert_ptr_eq(hamt_get(e.root, 0x5eed, "", 0), &a);
    ck_assert_ptr_eq(hamt_get(e.root, 0x5eed, "x", 1), &b);
    ck_assert_ptr_eq(hamt_get(e.root, 0x5eed, "x\0", 2), &c);
    ck_assert_ptr_null(hamt_get(e.root, 0x5eed, "y", 1));
    size_t n = 0;
    ck_assert_int_eq(hamt_iterate(e.root, count_cb, &n), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_int_eq(hamt_edit_del(&e, "x", 1, &old), 1);
    ck_assert_int_eq(hamt_edit_del(&e, "", 0, &old), 1);
    check_tree(e.root);
    ck_assert_int_eq(hamt_edit_del(&e, "x\0", 2, &old), 1);
    ck_assert_ptr_null(e.root);
    ck_assert_uint_eq(e.bytes, 0);
    hamt_edit_end(&e, free_now, NULL);
    hamt_edit_release(&e);
}
END_TEST

Suite *ch05_hamt_suite(void)
{
    Suite *s = suite_create("ch05_hamt");
    TCase *tc = test_tcase("hamt", 60);
    tcase_add_test(tc, random_ops_siphash);
    tcase_add_test(tc, random_ops_three_hashes);
    tcase_add_test(tc, random_ops_one_hash);
    tcase_add_test(tc, old_version_unchanged_by_writes);
    tcase_add_test(tc, batch_copies_each_node_once);
    tcase_add_test(tc, collisions_and_edge_keys);
    suite_add_tcase(s, tc);
    return s;
}
