/* ch05_hamt_oom.c - chapter 5: every trie edit survives running out of memory.
 *
 * For each scenario (a small tree, a hash function that shapes it, and a
 * list of changes), each change alone and then the whole list as one batch
 * is run with allocation number 1, 2, 3, ... failing (alloc_fail_nth()),
 * until it succeeds.  After each failure the private version must still be
 * a valid, canonical trie (hamt_check) with the keys it had, and
 * hamt_edit_abort() must bring back the base version and free everything
 * the edit made (the sanitizer and Valgrind runs check that nothing leaks).
 * Weak hash functions reach what SipHash almost never does: collision
 * nodes, and a key with another hash pushing a collision node down.
 */
#include "alloc.h"
#include "hamt.h"
#include "hash.h"
#include "test_util.h"

#include <stdio.h>
#include <string.h>

static uint64_t next_token = 1;

static void free_now(void *ctx, const hamt_garbage *g)
{
    (void)ctx;
    g->free_fn(g->p);
}

static void check_tree(const hamt_node *root, const char *when)
{
    char err[160] = "";
    ck_assert_msg(hamt_check(root, err, sizeof err) == 0, "%s: hamt_check: %s",
                  when, err);
}

/* Every key hashes alike: one collision node. */
static uint64_t hash_const(const void *k, size_t n)
{
    (void)k; (void)n;
    return 0x5eedULL;
}

/* Three hashes that agree on their low 40 bits: collision nodes 8 levels
 * down, and a new hash arriving at one pushes it down level by level. */
static uint64_t hash_three(const void *k, size_t n)
{
    return ((uint64_t)(hash_bytes(k, n) % 3) << 40) | 0xabcdef1234ULL;
}

#define UNIVERSE 48 /* keys key-0 .. key-47 */

static char vals[UNIVERSE][2]; /* value j is &vals[j][0], the new one [1] */

typedef struct change {
    bool set;
    int key;
} change;

typedef struct scenario {
    const char *name;
    hamt_hash_fn *hash;
    int nkeys;            /* the tree holds keys 0..nkeys-1 ... */
    int only_class;       /* ... of this hash_three class, or -1: all */
    change ch[8];
    int nch;
} scenario;

static void keyname(char *buf, size_t sz, int j)
{
    snprintf(buf, sz, "key-%d", j);
}

static int class_of(int j)
{
    char k[16];
    keyname(k, sizeof k, j);
    return (int)(hash_bytes(k, strlen(k)) % 3);
}

/* The j-th key of the universe that belongs in the scenario's tree. */
static bool in_tree(const scenario *sc, int j)
{
    if (sc->only_class < 0)
        return j < sc->nkeys;
    int seen = 0;
    for (int i = 0; i <= j; i++)
        if (class_of(i) == sc->only_class)
            seen++;
    return class_of(j) == sc->only_class && seen <= sc->nkeys;
}

static hamt_node *build(const scenario *sc, size_t *bytes, void **model)
{
    hamt_edit e = { 0 };
    hamt_edit_begin(&e, NULL, 0, next_token++, sc->hash);
    char k[16];
    for (int j = 0; j < UNIVERSE; j++) {
        model[j] = NULL;
        if (!in_tree(sc, j))
            continue;
        keyname(k, sizeof k, j);
        void *old;
        ck_assert_int_eq(hamt_edit_set(&e, k, strlen(k), &vals[j][0], &old),
                         0);
        model[j] = &vals[j][0];
    }
    hamt_edit_end(&e, free_now, NULL);
    hamt_edit_release(&e);
    *bytes = e.bytes;
    return e.root;
}

static void expect(const hamt_node *root, hamt_hash_fn *h, void **model,
                   const char *when)
{
    char k[16];
    size_t present = 0;
    for (int j = 0; j < UNIVERSE; j++) {
        keyname(k, sizeof k, j);
        void *got = hamt_get(root, h(k, strlen(k)), k, strlen(k));
        ck_assert_msg(got == model[j], "%s: %s is %p, want %p", when, k, got,
                      model[j]);
        present += model[j] != NULL;
    }
    ck_assert_uint_eq(hamt_size(root), present);
}

/* Apply changes [from, to) to e and the model; stops at a failure. */
static int run(hamt_edit *e, const scenario *sc, int from, int to,
               void **model)
{
    char k[16];
    for (int i = from; i < to; i++) {
        const change *c = &sc->ch[i];
        keyname(k, sizeof k, c->key);
        void *old = NULL;
        if (hamt_edit_reserve(e, HAMT_EDIT_RESERVE) != 0)
            return -1;
        if (c->set) {
            if (hamt_edit_set(e, k, strlen(k), &vals[c->key][1], &old) != 0)
                return -1;
            model[c->key] = &vals[c->key][1];
        } else {
            int rc = hamt_edit_del(e, k, strlen(k), &old);
            if (rc < 0)
                return -1;
            model[c->key] = NULL;
        }
    }
    return 0;
}

/* Changes [from, to) as one edit, with every allocation failing once. */
static void inject(const scenario *sc, int from, int to)
{
    char when[96];
    unsigned long nth;
    for (nth = 1; nth < 1000; nth++) {
        void *base_model[UNIVERSE];
        size_t bytes;
        hamt_node *base = build(sc, &bytes, base_model);
        void *m[UNIVERSE];
        memcpy(m, base_model, sizeof m);
        hamt_edit e = { 0 };
        hamt_edit_begin(&e, base, bytes, next_token++, sc->hash);
        alloc_fail_nth(nth);
        int rc = run(&e, sc, from, to, m);
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        snprintf(when, sizeof when, "%s, changes %d..%d, allocation %lu",
                 sc->name, from, to - 1, nth);
        check_tree(e.root, when);
        if (rc == 0) {
            expect(e.root, sc->hash, m, when);
            hamt_edit_end(&e, free_now, NULL);
            hamt_free_tree(e.root, NULL);
        } else {
            ck_assert_uint_eq(fired, 1);
            if (to - from == 1) /* a single failed change changes nothing */
                expect(e.root, sc->hash, base_model, when);
            hamt_edit_abort(&e);
            ck_assert_ptr_eq(e.root, base);
            ck_assert_uint_eq(e.bytes, bytes);
            ck_assert_uint_eq(e.ngarbage, 0);
            check_tree(base, when);
            expect(base, sc->hash, base_model, when);
            hamt_free_tree(base, NULL);
        }
        hamt_edit_release(&e);
        if (fired == 0)
            break;
    }
    ck_assert_uint_lt(nth, 1000);
}

static const scenario scenarios[] = {
    { "siphash", hash_bytes, 40, -1,
      { { true, 3 }, { true, 44 }, { false, 5 }, { false, 46 },
        { true, 45 }, { false, 45 }, { false, 7 }, { true, 7 } }, 8 },
    { "one hash", hash_const, 6, -1,
      { { true, 2 }, { true, 30 }, { false, 1 }, { false, 31 },
        { true, 31 }, { false, 0 }, { false, 3 }, { false, 4 } }, 8 },
    { "three hashes", hash_three, 30, -1,
      { { true, 2 }, { true, 40 }, { false, 1 }, { false, 41 },
        { true, 41 }, { false, 41 }, { false, 3 }, { true, 3 } }, 8 },
    /* Two keys of one class: a collision node; the changes bring keys of
     * the other classes, which push it down (set_in_collision). */
    { "push-down", hash_three, 2, 0,
      { { true, 40 }, { true, 41 }, { true, 42 }, { true, 43 },
        { false, 40 }, { true, 44 }, { false, 42 }, { true, 45 } }, 8 },
};

START_TEST(each_change_and_batch_under_oom)
{
    const scenario *sc = &scenarios[_i];
    for (int i = 0; i < sc->nch; i++)
        inject(sc, i, i + 1);
    inject(sc, 0, sc->nch);
}
END_TEST

Suite *ch05_hamt_oom_suite(void)
{
    Suite *s = suite_create("ch05_hamt_oom");
    TCase *tc = test_tcase("hamt-oom", 60);
    int n = (int)(sizeof scenarios / sizeof scenarios[0]);
    tcase_add_loop_test(tc, each_change_and_batch_under_oom, 0, n);
    suite_add_tcase(s, tc);
    return s;
}
