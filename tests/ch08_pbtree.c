/* ch08_pbtree.c - chapter 8: the persistent B+tree against a flat array.
 *
 * Every test drives pbtree edits and keeps a reference model, a plain
 * array of the same element pointers, updated the slow, obvious way.
 * After edits the tree must hold exactly the model's elements in the
 * model's order, and pbtree_check() must pass.  Elements count their own
 * references, so a test can tell that every retain was matched by a
 * release and that nothing is left when the last version goes.  Sizes
 * scale with TEST_SCALE (test_scale()), so Valgrind runs stay short.
 */
#include "pbtree.h"
#include "pbtree_private.h" /* check_catches_damage breaks nodes */
#include "alloc.h"
#include "test_util.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- assertions ----------------------------------------------------------
 *
 * Check's ck_assert_* record where they are with a write() each time, even
 * when they pass; the loops here make millions of assertions, so they use
 * these, which call Check only when the condition fails. */
#define REQ(c)                                                              \
    do {                                                                    \
        if (!(c))                                                           \
            ck_abort_msg("%s failed", #c);                                  \
    } while (0)
#define REQ_INT_EQ(a, b)                                                    \
    do {                                                                    \
        intmax_t a_ = (a), b_ = (b);                                        \
        if (a_ != b_)                                                       \
            ck_abort_msg("%s == %s failed: %jd != %jd", #a, #b, a_, b_);    \
    } while (0)
#define REQ_UINT_EQ(a, b)                                                   \
    do {                                                                    \
        uintmax_t a_ = (a), b_ = (b);                                       \
        if (a_ != b_)                                                       \
            ck_abort_msg("%s == %s failed: %ju != %ju", #a, #b, a_, b_);    \
    } while (0)
#define REQ_PTR_EQ(a, b)                                                    \
    do {                                                                    \
        const void *a_ = (a), *b_ = (b);                                    \
        if (a_ != b_)                                                       \
            ck_abort_msg("%s == %s failed: %p != %p", #a, #b, a_, b_);      \
    } while (0)

/* ---- counted elements --------------------------------------------------- */

typedef struct el {
    long refs;
    long v;
} el;

static long g_live;     /* elements allocated and not yet freed */
static long g_retains;  /* calls of the tree's retain */
static long g_releases; /* calls of the tree's release */

static el *el_new(long v)
{
    el *e = malloc(sizeof *e);
    REQ(e != NULL);
    e->refs = 1;
    e->v = v;
    g_live++;
    return e;
}

static void el_get(el *e)
{
    e->refs++;
}

static void el_put(el *e)
{
    REQ(e->refs > 0);
    if (--e->refs == 0) {
        free(e);
        g_live--;
    }
}

static void op_retain(void *p)
{
    g_retains++;
    el_get(p);
}

static void op_release(void *p)
{
    g_releases++;
    el_put(p);
}

static int op_compare(const void *a, const void *b)
{
    long x = ((const el *)a)->v, y = ((const el *)b)->v;
    return (x > y) - (x < y);
}

static size_t op_size(const void *p)
{
    (void)p;
    return sizeof(el);
}

static const pbtree_ops list_ops = { op_retain, op_release, NULL, op_size };
static const pbtree_ops sorted_ops = { op_retain, op_release, op_compare,
                                       op_size };

static void counters_reset(void)
{
    g_live = g_retains = g_releases = 0;
}

/* Every element freed, every retain matched. */
static void expect_all_released(void)
{
    REQ_INT_EQ(g_live, 0);
    REQ_INT_EQ(g_retains, g_releases);
}

/* ---- the model: an array of element pointers, each holding a reference -- */

typedef struct model {
    el **a;
    size_t n, cap;
} model;

static void m_insert(model *m, size_t i, el *e)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->a = realloc(m->a, m->cap * sizeof *m->a);
        REQ(m->a != NULL);
    }
    memmove(&m->a[i + 1], &m->a[i], (m->n - i) * sizeof *m->a);
    m->a[i] = e;
    el_get(e);
    m->n++;
}

static void m_delete_range(model *m, size_t i, size_t j)
{
    if (m->a == NULL) /* never grown: empty */
        return;
    for (size_t k = i; k < j; k++)
        el_put(m->a[k]);
    memmove(&m->a[i], &m->a[j], (m->n - j) * sizeof *m->a);
    m->n -= j - i;
}

static void m_set(model *m, size_t i, el *e)
{
    el_get(e);
    el_put(m->a[i]);
    m->a[i] = e;
}

static model m_copy(const model *m)
{
    model c = { NULL, m->n, m->n };
    c.a = malloc((m->n ? m->n : 1) * sizeof *c.a);
    ck_assert_ptr_nonnull(c.a);
    for (size_t i = 0; i < m->n; i++) {
        c.a[i] = m->a[i];
        el_get(c.a[i]);
    }
    return c;
}

static void m_free(model *m)
{
    m_delete_range(m, 0, m->n);
    free(m->a);
    *m = (model){ 0 };
}

/* First index with value >= v, in a sorted model. */
static size_t m_lower(const model *m, long v)
{
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->a[mid]->v < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* ---- comparing ---------------------------------------------------------- */

static void check_tree(const pbtree *t)
{
    char err[200] = "";
    if (pbtree_check(t, err, sizeof err) != 0)
        ck_abort_msg("pbtree_check: %s", err);
}

/* Full compare: length, every element in order, and the invariants. */
static void expect_model(const pbtree *t, const model *m)
{
    check_tree(t);
    REQ_UINT_EQ(pbtree_len(t), m->n);
    pbtree_iter it;
    size_t i = 0;
    for (pbtree_iter_seek(&it, t, 0); pbtree_iter_valid(&it);
         pbtree_iter_next(&it), i++) {
        REQ_UINT_EQ(pbtree_iter_pos(&it), i);
        if (pbtree_iter_elem(&it) != m->a[i])
            ck_abort_msg("position %zu of %zu: got %ld, want %ld", i, m->n,
                         ((el *)pbtree_iter_elem(&it))->v, m->a[i]->v);
    }
    REQ_UINT_EQ(i, m->n);
}

/* Iterate k steps forwards and backwards from position i. */
static void expect_iter_from(const pbtree *t, const model *m, size_t i,
                             size_t k)
{
    pbtree_iter it;
    pbtree_iter_seek(&it, t, i);
    for (size_t s = 0; s < k && i + s < m->n; s++) {
        REQ(pbtree_iter_valid(&it));
        REQ_PTR_EQ(pbtree_iter_elem(&it), m->a[i + s]);
        pbtree_iter_next(&it);
    }
    pbtree_iter_seek(&it, t, i);
    if (i >= m->n) { /* from the end, prev is the last element */
        pbtree_iter_prev(&it);
        i = m->n - 1;
    }
    for (size_t s = 0; s < k && s <= i && m->n > 0; s++) {
        REQ(pbtree_iter_valid(&it));
        REQ_PTR_EQ(pbtree_iter_elem(&it), m->a[i - s]);
        pbtree_iter_prev(&it);
    }
}

/* ---- a random number generator (splitmix64) ----------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static size_t below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

/* Replace the current version by the result of an edit. */
static void step_to(pbtree **v, pbtree *next)
{
    pbtree_release(*v); /* an unchanged result is *v with one more ref */
    *v = next;
}

/* ---- positional edits, applied to tree and model alike ------------------ */

enum { OP_INSERT, OP_FRONT, OP_BACK, OP_DELETE, OP_SET, OP_RANGE, OP_COUNT };

/* One random positional edit of t (a version or a transient) and m.
 * grow tilts the mix towards inserts (1), deletes (0). */
static int pos_edit(pbtree *t, model *m, int grow, pbtree **out)
{
    size_t n = m->n;
    unsigned r = (unsigned)below(100);
    int rc;
    if (n == 0 || r < (grow ? 75u : 25u)) { /* insert somewhere */
        el *e = el_new((long)rnd());
        unsigned how = (unsigned)below(3);
        size_t i = how == 0 ? 0 : how == 1 ? n : below(n + 1);
        rc = how == 0   ? pbtree_push_front(t, e, out)
             : how == 1 ? pbtree_push_back(t, e, out)
                        : pbtree_insert(t, i, e, out);
        if (rc == 0)
            m_insert(m, i, e);
        el_put(e);
    } else if (r < 80) {
        size_t i = below(n);
        rc = pbtree_delete(t, i, out);
        if (rc == 0)
            m_delete_range(m, i, i + 1);
    } else if (r < 92) {
        el *e = el_new((long)rnd());
        size_t i = below(n);
        rc = pbtree_set(t, i, e, out);
        if (rc == 0)
            m_set(m, i, e);
        el_put(e);
    } else {
        size_t i = below(n + 1);
        size_t k = below(grow ? 4 : r == 99 ? n - i + 1 : 70);
        size_t j = i + k > n ? n : i + k;
        rc = pbtree_delete_range(t, i, j, out);
        if (rc == 0)
            m_delete_range(m, i, j);
    }
    return rc;
}

typedef struct saved {
    pbtree *v;
    model m;
} saved;

/* Release saved versions in a random order. */
static void release_saved(saved *s, size_t ns)
{
    for (size_t k = ns; k > 0; k--) {
        size_t pick = below(k);
        saved tmp = s[pick];
        s[pick] = s[k - 1];
        s[k - 1] = tmp;
        expect_model(tmp.v, &tmp.m);
        pbtree_release(tmp.v);
        m_free(&tmp.m);
    }
}

/* k pushes at one end of *v and m (RPUSH or LPUSH runs, as a loader
 * makes), one by one as versions or in one transient. */
static void push_burst(pbtree **v, model *m, size_t k, int front,
                       int transient)
{
    pbtree *t = transient ? pbtree_edit_begin(*v) : pbtree_retain(*v), *next;
    ck_assert_ptr_nonnull(t);
    for (size_t i = 0; i < k; i++) {
        el *e = el_new((long)rnd());
        REQ_INT_EQ(front ? pbtree_push_front(t, e, &next)
                         : pbtree_push_back(t, e, &next), 0);
        m_insert(m, front ? 0 : m->n, e);
        el_put(e);
        if (!transient)
            step_to(&t, next);
    }
    step_to(v, transient ? pbtree_edit_end(t) : t);
}

/* [steps] random edits, n going up to maxn and back to 0, twice. */
static void positional_run(uint64_t seed, long steps, size_t maxn)
{
    counters_reset();
    rng_state = seed;
    pbtree *v = pbtree_new(&list_ops);
    ck_assert_ptr_nonnull(v);
    model m = { 0 };
    enum { NSAVED = 50 };
    saved keep[NSAVED];
    size_t nkeep = 0;
    long every = steps / NSAVED > 0 ? steps / NSAVED : 1;
    int grow = 1, emptied = 0;
    size_t peak = 0;
    for (long s = 0; s < steps; s++) {
        if (grow && m.n >= maxn)
            grow = 0;
        else if (!grow && m.n == 0)
            grow = 1, emptied++;
        pbtree *next;
        if (grow && below(200) == 0) { /* a long run at one end */
            push_burst(&v, &m, 1 + below(maxn / 8 + 1), (int)below(2),
                       (int)below(2));
            next = pbtree_retain(v);
        } else if (below(50) == 0) { /* a batch of edits in one transient */
            pbtree *t = pbtree_edit_begin(v);
            ck_assert_ptr_nonnull(t);
            size_t k = 1 + below(40);
            for (size_t e = 0; e < k; e++) {
                REQ_INT_EQ(pos_edit(t, &m, grow, &next), 0);
                REQ_PTR_EQ(next, t);
            }
            next = pbtree_edit_end(t);
        } else {
            REQ_INT_EQ(pos_edit(v, &m, grow, &next), 0);
        }
        step_to(&v, next);
        peak = m.n > peak ? m.n : peak;
        if (m.n < 300 || s % 1000 == 0) {
            expect_model(v, &m);
            expect_iter_from(v, &m, below(m.n + 1), 40);
        } else {
            size_t i = below(m.n);
            REQ_PTR_EQ(pbtree_get(v, i), m.a[i]);
        }
        if (s % every == 0 && nkeep < NSAVED) {
            keep[nkeep].v = pbtree_retain(v);
            keep[nkeep++].m = m_copy(&m);
        }
    }
    ck_assert_uint_ge(peak, maxn);
    ck_assert_int_ge(emptied, 1); /* up to maxn and back down to 0 */
    expect_model(v, &m);
    REQ_UINT_EQ(nkeep, NSAVED);
    release_saved(keep, nkeep);
    pbtree_release(v);
    m_free(&m);
    expect_all_released();
}

START_TEST(positional_random)
{
    long steps = test_scale(120000, 3000);
    size_t maxn = (size_t)test_scale(50000, 600);
    positional_run(0x5eed0001, steps, maxn);
}
END_TEST

/* ---- fill --------------------------------------------------------------- */

/* Nodes of the smallest tree holding n elements: ceil(n / 32) leaves,
 * ceil(leaves / 32) parents above them, and so on up to one root. */
static size_t min_nodes(size_t n, unsigned *height)
{
    size_t total = 0, level = n;
    *height = 0;
    if (n == 0)
        return 0;
    do {
        level = (level + PBTREE_SLOTS - 1) / PBTREE_SLOTS;
        total += level;
        ++*height;
    } while (level > 1);
    return total;
}

/* The tree has as few nodes and levels as n elements allow. */
static void expect_minimal(const pbtree *t, const char *what)
{
    unsigned h;
    size_t want = min_nodes(pbtree_len(t), &h);
    pbtree_stats st;
    pbtree_stats_get(t, &st);
    REQ_UINT_EQ(st.height, pbtree_height(t));
    if (st.nodes != want || st.height != h)
        ck_abort_msg("%s, %zu elements: %zu nodes (%zu leaves), height %u; "
                     "the fewest are %zu nodes, height %u",
                     what, pbtree_len(t), st.nodes, st.leaves, st.height,
                     want, h);
}

/* n pushes at one end (front or back), on one transient or as versions. */
static void push_run(size_t n, int front, int transient)
{
    counters_reset();
    pbtree *v = pbtree_new(&list_ops), *next;
    ck_assert_ptr_nonnull(v);
    if (transient) {
        pbtree *t = pbtree_edit_begin(v);
        pbtree_release(v);
        v = t;
    }
    model m = { 0 };
    for (size_t i = 0; i < n; i++) {
        el *e = el_new((long)i);
        REQ_INT_EQ(front ? pbtree_push_front(v, e, &next)
                         : pbtree_push_back(v, e, &next), 0);
        m_insert(&m, front ? 0 : m.n, e);
        el_put(e);
        if (!transient)
            step_to(&v, next);
        if (i % 977 == 0 || i < 70) { /* every shape on the way up */
            check_tree(v);
            expect_minimal(v, front ? "push_front" : "push_back");
        }
    }
    if (transient)
        v = pbtree_edit_end(v);
    expect_model(v, &m);
    expect_minimal(v, front ? "push_front" : "push_back");
    pbtree_release(v);
    m_free(&m);
    expect_all_released();
}

/* Appending (RPUSH, loading an RDB list) or prepending fills every node
 * but the last on each level: no half-empty nodes, no extra level. */
START_TEST(pushes_fill_nodes)
{
    size_t n = (size_t)test_scale(40000, 3000);
    push_run(10000, 0, 1);
    push_run(10000, 1, 1);
    push_run(n, 0, 0);
    push_run(n, 1, 0);
}
END_TEST

/* Pushes past 32 * 32 leave a one-child node on the edge, over a
 * one-element leaf; pops at either end must empty and refill such edges
 * (an empty only child goes, and its parent borrows or merges). */
START_TEST(pops_empty_the_edges)
{
    counters_reset();
    for (int how = 0; how < 4; how++) {
        int front = how & 1, pop_front = how >> 1;
        pbtree *v = pbtree_new(&list_ops), *next;
        model m = { 0 };
        rng_state = 5 + (uint64_t)how;
        push_burst(&v, &m, PBTREE_SLOTS * PBTREE_SLOTS + 1, front, 0);
        expect_minimal(v, "pushes");
        REQ_UINT_EQ(pbtree_height(v), 3);
        for (size_t k = 0; m.n > 0; k++) {
            size_t i = pop_front ? 0 : m.n - 1;
            REQ_INT_EQ(pbtree_delete(v, i, &next), 0);
            m_delete_range(&m, i, i + 1);
            step_to(&v, next);
            if (k % 5 == 0) /* and pushes between the pops */
                push_burst(&v, &m, below(3), (int)below(2), (int)below(2));
            if (k < 80 || m.n < 80 || k % 37 == 0)
                expect_model(v, &m);
        }
        expect_model(v, &m);
        pbtree_release(v);
        m_free(&m);
    }
    expect_all_released();
}
END_TEST

/* ---- bulk build --------------------------------------------------------- */

/* Every node but the root at least half full, edges included. */
static void expect_strict_fill(const pbtree_node *nd, int root)
{
    if (!root && nd->n < PBTREE_MIN)
        ck_abort_msg("built node with %u slots", nd->n);
    if (!nd->leaf)
        for (unsigned i = 0; i < nd->n; i++)
            expect_strict_fill(((const pbtree_inner *)nd)->kids[i], 0);
}

/* A model of n fresh elements with values 0, 2, 4, ... */
static model m_fresh(size_t n)
{
    model m = { 0 };
    for (size_t i = 0; i < n; i++) {
        el *e = el_new((long)i * 2);
        m_insert(&m, i, e);
        el_put(e);
    }
    return m;
}

static void expect_built(const pbtree *v, const model *m)
{
    expect_model(v, m);
    expect_minimal(v, "pbtree_from_array");
    if (m->n > 0)
        expect_strict_fill(v->root, 1);
    REQ(!pbtree_is_transient(v));
}

START_TEST(build_from_array)
{
    counters_reset();
    size_t big[] = { 1023, 1024, 1025, 1040, 32 * 32 * 32, 32 * 32 * 32 + 1,
                     (size_t)test_scale(200000, 5000) };
    for (size_t s = 0; s < 301 + sizeof big / sizeof *big; s++) {
        size_t n = s <= 300 ? s : big[s - 301];
        model m = m_fresh(n);
        pbtree *v = NULL, *next;
        REQ_INT_EQ(pbtree_from_array(n % 2 ? &list_ops : &sorted_ops,
                                     (void *const *)m.a, n, &v), 0);
        expect_built(v, &m);
        if (n > 0 && n % 2 == 0) { /* ordered: rank finds every element */
            for (size_t i = 0; i < n; i += 1 + n / 50) {
                bool eq;
                el key = { 1, (long)i * 2 + 1 };
                REQ_UINT_EQ(pbtree_rank(v, m.a[i], &eq), i);
                REQ(eq);
                REQ_UINT_EQ(pbtree_rank(v, &key, &eq), i + 1);
                REQ(!eq);
            }
        }
        if (n % 2 == 1 && n % 3 == 0) { /* edits like any version */
            model m2 = m_copy(&m);
            rng_state = n;
            for (int e = 0; e < 60; e++) {
                REQ_INT_EQ(pos_edit(v, &m2, e % 2, &next), 0);
                if (e == 0) /* the first edit leaves v intact */
                    expect_model(v, &m);
                step_to(&v, next);
            }
            expect_model(v, &m2);
            m_free(&m2);
        }
        pbtree_release(v);
        m_free(&m);
    }
    expect_all_released();
}
END_TEST

START_TEST(build_allocation_failure)
{
    counters_reset();
    size_t sizes[] = { 0, 1, 32, 33, 47, 1100, 2100 };
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        model m = m_fresh(sizes[s]);
        long live = g_live, bal = g_retains - g_releases;
        pbtree *v = NULL;
        for (unsigned long nth = 1;; nth++) {
            alloc_fail_nth(nth);
            errno = 0;
            int rc = pbtree_from_array(&list_ops, (void *const *)m.a, m.n,
                                       &v);
            unsigned long fired = alloc_fail_fired();
            alloc_fail_off();
            if (rc == 0) {
                REQ_UINT_EQ(fired, 0);
                break;
            }
            REQ_INT_EQ(rc, -1);
            REQ_INT_EQ(errno, ENOMEM);
            REQ_UINT_EQ(fired, 1);
            ck_assert_ptr_null(v); /* *out not written */
            REQ_INT_EQ(g_live, live);
            REQ_INT_EQ(g_retains - g_releases, bal);
            for (size_t i = 0; i < m.n; i++)
                REQ_INT_EQ(m.a[i]->refs, 1); /* the model's own */
            ck_assert_uint_lt(nth, 10000);
        }
        expect_built(v, &m);
        pbtree_release(v);
        m_free(&m);
    }
    expect_all_released();
}
END_TEST

/* ---- ordered edits ------------------------------------------------------ */

/* One random ordered edit; keys are drawn from [0, range). */
static int ord_edit(pbtree *t, model *m, long range, int grow, pbtree **out)
{
    long key = (long)below((size_t)range);
    unsigned r = (unsigned)below(100);
    if (!grow && m->n > 0 && r >= 25) /* shrinking: mostly keys present */
        key = m->a[below(m->n)]->v;
    size_t at = m_lower(m, key);
    bool present = at < m->n && m->a[at]->v == key;
    int rc;
    if (!grow && r < 5) { /* ZREMRANGEBYRANK */
        size_t i = below(m->n + 1), j = i + below(70);
        j = j > m->n ? m->n : j;
        rc = pbtree_delete_range(t, i, j, out);
        if (rc == 0)
            m_delete_range(m, i, j);
    } else if (r < (grow ? 80u : 25u)) {
        el *e = el_new(key);
        bool replace = below(2) == 0;
        rc = pbtree_add(t, e, replace, out);
        if (rc >= 0) {
            REQ_INT_EQ(rc, present ? 0 : 1);
            if (!present)
                m_insert(m, at, e);
            else if (replace)
                m_set(m, at, e);
        }
        el_put(e);
    } else {
        el k = { 1, key };
        rc = pbtree_remove(t, &k, out);
        if (rc >= 0) {
            REQ_INT_EQ(rc, present ? 1 : 0);
            if (present)
                m_delete_range(m, at, at + 1);
        }
    }
    return rc < 0 ? -1 : 0;
}

/* Rank, equality and iteration from a key, both ways. */
static void expect_ranks(const pbtree *t, const model *m, long range)
{
    for (int q = 0; q < 8; q++) {
        long key = (long)below((size_t)range + 2) - 1;
        el k = { 1, key };
        bool eq;
        size_t r = pbtree_rank(t, &k, &eq);
        size_t want = m_lower(m, key);
        REQ_UINT_EQ(r, want);
        REQ(eq == (want < m->n && m->a[want]->v == key));
        pbtree_iter it;
        pbtree_iter_seek_key(&it, t, &k);
        REQ_UINT_EQ(pbtree_iter_pos(&it), want);
        for (size_t s = 0; s < 5 && want + s < m->n; s++, pbtree_iter_next(&it))
            REQ_PTR_EQ(pbtree_iter_elem(&it), m->a[want + s]);
        pbtree_iter_seek_key(&it, t, &k);
        pbtree_iter_prev(&it);
        for (size_t s = 1; s <= 5 && s <= want; s++, pbtree_iter_prev(&it))
            REQ_PTR_EQ(pbtree_iter_elem(&it), m->a[want - s]);
    }
}

START_TEST(ordered_random)
{
    counters_reset();
    rng_state = 0x5eed0002;
    long steps = test_scale(120000, 3000);
    size_t maxn = (size_t)test_scale(40000, 500);
    long range = (long)maxn * 4;
    pbtree *v = pbtree_new(&sorted_ops);
    ck_assert_ptr_nonnull(v);
    model m = { 0 };
    saved keep[50];
    size_t nkeep = 0;
    int grow = 1, emptied = 0;
    size_t peak = 0;
    for (long s = 0; s < steps; s++) {
        if (grow && m.n >= maxn)
            grow = 0;
        else if (!grow && m.n == 0)
            grow = 1, emptied++;
        pbtree *next;
        if (below(50) == 0) {
            pbtree *t = pbtree_edit_begin(v);
            ck_assert_ptr_nonnull(t);
            for (size_t e = 1 + below(40); e > 0; e--)
                REQ_INT_EQ(ord_edit(t, &m, range, grow, &next), 0);
            next = pbtree_edit_end(t);
        } else {
            REQ_INT_EQ(ord_edit(v, &m, range, grow, &next), 0);
        }
        step_to(&v, next);
        peak = m.n > peak ? m.n : peak;
        if (m.n < 300 || s % 1000 == 0) {
            expect_model(v, &m);
            expect_ranks(v, &m, range);
        }
        if (s % (steps / 50) == 0 && nkeep < 50) {
            keep[nkeep].v = pbtree_retain(v);
            keep[nkeep++].m = m_copy(&m);
        }
    }
    ck_assert_uint_ge(peak, maxn);
    ck_assert_int_ge(emptied, 1); /* up to maxn and back down to 0 */
    expect_model(v, &m);
    release_saved(keep, nkeep);
    pbtree_release(v);
    m_free(&m);
    expect_all_released();
}
END_TEST

/* Range deletes of every size, from every place, on versions and on a
 * transient: the cut and the repair along both ends of the range meet
 * under-full nodes at every level, single-child chains and root collapses. */
static pbtree *build_mixed(model *m, size_t n, const pbtree_ops *ops);

START_TEST(range_delete_all_shapes)
{
    counters_reset();
    rng_state = 0x5eed0003;
    size_t sizes[] = { 40, 700, 5000, (size_t)test_scale(30000, 5000) };
    long rounds = test_scale(300, 40);
    for (size_t z = 0; z < sizeof sizes / sizeof *sizes; z++) {
        model m = { 0 };
        pbtree *v = build_mixed(&m, sizes[z], &list_ops), *next;
        for (long r = 0; r < rounds; r++) {
            size_t n = m.n;
            /* a length of any magnitude: 1, 10, 100, ... up to n */
            size_t k = below(n + 1) >> below(16);
            size_t i = below(n - k + 1);
            model mr = m_copy(&m);
            REQ_INT_EQ(pbtree_delete_range(v, i, i + k, &next), 0);
            m_delete_range(&mr, i, i + k);
            expect_model(next, &mr);
            expect_model(v, &m);
            if (r % 3 == 0) { /* the same on a transient */
                pbtree *t = pbtree_edit_begin(v), *same;
                REQ_INT_EQ(pbtree_delete_range(t, i, i + k, &same), 0);
                REQ_PTR_EQ(same, t);
                expect_model(t, &mr);
                pbtree_release(t);
            }
            pbtree_release(v);
            m_free(&m);
            v = next;
            m = mr;
            /* keep the tree big: append as many as went */
            pbtree *t = pbtree_edit_begin(v);
            pbtree_release(v);
            for (size_t e = 0; e < k; e++) {
                el *x = el_new((long)rnd());
                REQ_INT_EQ(pbtree_push_back(t, x, &next), 0);
                m_insert(&m, m.n, x);
                el_put(x);
            }
            v = pbtree_edit_end(t);
        }
        expect_model(v, &m);
        pbtree_release(v);
        m_free(&m);
    }
    expect_all_released();
}
END_TEST

/* ---- transients --------------------------------------------------------- */

/* Allocations an action makes, counted with the hook armed far away. */
static unsigned long allocs_begin(void)
{
    alloc_fail_nth(ULONG_MAX);
    return 0;
}

static unsigned long allocs_end(void)
{
    unsigned long n = alloc_fail_seen();
    alloc_fail_off();
    return n;
}

START_TEST(batch_equals_one_by_one)
{
    counters_reset();
    size_t n = (size_t)test_scale(20000, 2000);
    size_t k = (size_t)test_scale(2000, 200);
    pbtree *base = pbtree_new(&list_ops), *next;
    model mb = { 0 };
    for (size_t i = 0; i < n; i++) {
        el *e = el_new((long)i);
        REQ_INT_EQ(pbtree_push_back(base, e, &next), 0);
        m_insert(&mb, i, e);
        el_put(e);
        step_to(&base, next);
    }
    expect_model(base, &mb);

    /* The same random edits, one by one on versions and in one batch. */
    model m1 = m_copy(&mb), m2 = m_copy(&mb);
    pbtree *v1 = pbtree_retain(base);
    allocs_begin();
    rng_state = 77;
    for (size_t e = 0; e < k; e++) {
        REQ_INT_EQ(pos_edit(v1, &m1, 1, &next), 0);
        step_to(&v1, next);
    }
    unsigned long single = allocs_end();

    allocs_begin();
    rng_state = 77;
    pbtree *t = pbtree_edit_begin(base);
    for (size_t e = 0; e < k; e++) {
        REQ_INT_EQ(pos_edit(t, &m2, 1, &next), 0);
        REQ_PTR_EQ(next, t);
    }
    pbtree *v2 = pbtree_edit_end(t);
    unsigned long batch = allocs_end();

    expect_model(v1, &m1);
    expect_model(v2, &m2);
    REQ_UINT_EQ(m1.n, m2.n);
    for (size_t i = 0; i < m1.n; i++) /* same edits: same values */
        REQ_INT_EQ(m1.a[i]->v, m2.a[i]->v);
    expect_model(base, &mb); /* the old version is untouched */
    /* A batch copies each node once; one by one copies a path per edit. */
    ck_assert_msg(batch * 2 < single, "batch %lu allocations, single %lu",
                  batch, single);

    /* Editing a frozen batch copies again: v2 is a version like any. */
    REQ_INT_EQ(pbtree_push_front(v2, m2.a[0], &next), 0);
    ck_assert_ptr_ne(next, v2);
    expect_model(v2, &m2);
    pbtree_release(next);

    pbtree_release(v1);
    pbtree_release(v2);
    pbtree_release(base);
    m_free(&m1);
    m_free(&m2);
    m_free(&mb);
    expect_all_released();
}
END_TEST

/* ---- allocation failure ------------------------------------------------- */

/* Build a list of n elements whose nodes have mixed fills: push n + n/3
 * and delete every fourth. */
static pbtree *build_mixed(model *m, size_t n, const pbtree_ops *ops)
{
    pbtree *v = pbtree_new(ops), *next;
    ck_assert_ptr_nonnull(v);
    pbtree *t = pbtree_edit_begin(v);
    pbtree_release(v);
    for (size_t i = 0; m->n < n + n / 3; i++) {
        el *e = el_new((long)i * 3);
        REQ_INT_EQ(pbtree_push_back(t, e, &next), 0);
        m_insert(m, m->n, e);
        el_put(e);
    }
    for (size_t i = 0; i < m->n && m->n > n; i += 3) {
        REQ_INT_EQ(pbtree_delete(t, i, &next), 0);
        m_delete_range(m, i, i + 1);
    }
    return pbtree_edit_end(t);
}

/* One kind of edit, with its arguments fixed by the caller's seed. */
static int one_edit(pbtree *t, model *m, unsigned kind, uint64_t seed,
                    pbtree **out)
{
    rng_state = seed;
    size_t n = m->n;
    el *e;
    int rc;
    size_t i, j;
    switch (kind) {
    case 0: /* insert in the middle */
    case 1: /* push front */
    case 2: /* push back */
        e = el_new(-1);
        i = kind == 1 ? 0 : kind == 2 ? n : below(n + 1);
        rc = pbtree_insert(t, i, e, out);
        if (rc == 0)
            m_insert(m, i, e);
        el_put(e);
        return rc;
    case 3: /* delete */
        if (n == 0)
            return pbtree_delete_range(t, 0, 0, out);
        i = below(n);
        rc = pbtree_delete(t, i, out);
        if (rc == 0)
            m_delete_range(m, i, i + 1);
        return rc;
    case 4: /* set */
        if (n == 0)
            return pbtree_delete_range(t, 0, 0, out);
        e = el_new(-2);
        i = below(n);
        rc = pbtree_set(t, i, e, out);
        if (rc == 0)
            m_set(m, i, e);
        el_put(e);
        return rc;
    case 5: /* a short range */
    default: /* most of the tree */
        i = below(n + 1);
        j = kind == 5 ? i + below(40) : n;
        if (kind != 5)
            i = below(n / 10 + 1);
        j = j > n ? n : j;
        rc = pbtree_delete_range(t, i, j, out);
        if (rc == 0)
            m_delete_range(m, i, j);
        return rc;
    }
}

/* Fail allocation 1, 2, ... of an edit until it succeeds; after each
 * failure the tree must hold what it held and no element may be lost. */
static void fail_each_allocation(pbtree *t, model *m, unsigned kind,
                                 uint64_t seed, pbtree **out)
{
    long live = g_live, bal = g_retains - g_releases;
    for (unsigned long nth = 1;; nth++) {
        alloc_fail_nth(nth);
        errno = 0;
        int rc = one_edit(t, m, kind, seed, out);
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        if (rc == 0) {
            REQ_UINT_EQ(fired, 0);
            return;
        }
        REQ_INT_EQ(rc, -1);
        REQ_INT_EQ(errno, ENOMEM);
        REQ_UINT_EQ(fired, 1);
        expect_model(t, m);
        REQ_INT_EQ(g_live, live);
        REQ_INT_EQ(g_retains - g_releases, bal);
        ck_assert_uint_lt(nth, 10000);
    }
}

START_TEST(allocation_failure_leaves_version_intact)
{
    counters_reset();
    size_t sizes[] = { 0, 1, 16, 32, 33, 100, 600, 1100, 3000 };
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        for (unsigned kind = 0; kind < 7; kind++) {
            for (uint64_t seed = 1; seed <= 3; seed++) {
                model m = { 0 };
                pbtree *v = build_mixed(&m, sizes[s], &list_ops), *next;
                model before = m_copy(&m);
                fail_each_allocation(v, &m, kind, seed * 7 + kind, &next);
                expect_model(v, &before); /* the input is intact */
                expect_model(next, &m);   /* the result is right */
                pbtree_release(next);
                pbtree_release(v);
                m_free(&m);
                m_free(&before);
            }
        }
    }
    expect_all_released();
}
END_TEST

START_TEST(allocation_failure_in_a_batch)
{
    counters_reset();
    size_t sizes[] = { 0, 40, 700, 2500 };
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        model m = { 0 };
        pbtree *v = build_mixed(&m, sizes[s], &list_ops), *next;
        model before = m_copy(&m);
        /* Beginning the batch can fail too. */
        pbtree *t = NULL;
        for (unsigned long nth = 1; t == NULL; nth++) {
            alloc_fail_nth(nth);
            t = pbtree_edit_begin(v);
            alloc_fail_off();
            REQ(t != NULL || errno == ENOMEM);
        }
        /* Each edit of the batch fails at each of its allocations; the
         * transient keeps what the batch had done so far. */
        for (unsigned e = 0; e < 60; e++) {
            fail_each_allocation(t, &m, e % 7, 1000 + e, &next);
            REQ_PTR_EQ(next, t);
        }
        pbtree *w = pbtree_edit_end(t);
        expect_model(w, &m);
        expect_model(v, &before);
        pbtree_release(w);
        pbtree_release(v);
        m_free(&m);
        m_free(&before);
    }
    expect_all_released();
}
END_TEST

START_TEST(allocation_failure_ordered)
{
    counters_reset();
    rng_state = 99;
    pbtree *v = pbtree_new(&sorted_ops), *next;
    model m = { 0 };
    long range = 4000;
    for (int s = 0; s < 3000; s++) {
        model before = m_copy(&m);
        long live = g_live;
        for (unsigned long nth = 1;; nth++) {
            uint64_t keep = rng_state;
            alloc_fail_nth(nth);
            int rc = ord_edit(v, &m, range, s < 2000, &next);
            alloc_fail_off();
            if (rc == 0)
                break;
            REQ_INT_EQ(errno, ENOMEM);
            expect_model(v, &before);
            REQ_INT_EQ(g_live, live);
            rng_state = keep; /* the same edit again */
        }
        step_to(&v, next);
        if (s % 100 == 0)
            expect_model(v, &m);
        m_free(&before);
    }
    expect_model(v, &m);
    pbtree_release(v);
    m_free(&m);
    expect_all_released();
}
END_TEST

/* ---- edges -------------------------------------------------------------- */

START_TEST(edges_and_errors)
{
    counters_reset();
    pbtree *v = pbtree_new(&list_ops), *next = NULL;
    check_tree(v);
    REQ_UINT_EQ(pbtree_len(v), 0);
    REQ_UINT_EQ(pbtree_height(v), 0);
    ck_assert_ptr_null(pbtree_get(v, 0));
    pbtree_iter it;
    pbtree_iter_seek(&it, v, 0);
    REQ(!pbtree_iter_valid(&it));
    pbtree_iter_prev(&it);
    REQ(!pbtree_iter_valid(&it));
    el *e = el_new(5);
    errno = 0;
    REQ_INT_EQ(pbtree_insert(v, 1, e, &next), -1);
    REQ_INT_EQ(errno, EINVAL);
    REQ_INT_EQ(pbtree_delete(v, 0, &next), -1);
    REQ_INT_EQ(pbtree_set(v, 0, e, &next), -1);
    REQ_INT_EQ(pbtree_delete_range(v, 0, 1, &next), -1);
    errno = 0;
    REQ_INT_EQ(pbtree_add(v, e, true, &next), -1);
    REQ_INT_EQ(errno, EINVAL);
    REQ_INT_EQ(pbtree_remove(v, e, &next), -1);
    ck_assert_ptr_null(next);
    /* An empty range is an unchanged version, with a new reference. */
    REQ_INT_EQ(pbtree_delete_range(v, 0, 0, &next), 0);
    REQ_PTR_EQ(next, v);
    pbtree_release(next);

    /* One element: iterate both ways and fall off each end. */
    REQ_INT_EQ(pbtree_push_back(v, e, &next), 0);
    REQ_UINT_EQ(pbtree_len(v), 0);
    REQ_UINT_EQ(pbtree_len(next), 1);
    REQ_UINT_EQ(pbtree_height(next), 1);
    ck_assert_uint_ge(pbtree_bytes(next), sizeof(el));
    pbtree_iter_seek(&it, next, 5);
    REQ_UINT_EQ(pbtree_iter_pos(&it), 1);
    pbtree_iter_prev(&it);
    REQ_PTR_EQ(pbtree_iter_elem(&it), e);
    pbtree_iter_prev(&it);
    REQ_UINT_EQ(pbtree_iter_pos(&it), SIZE_MAX);
    pbtree_iter_next(&it);
    REQ_PTR_EQ(pbtree_iter_elem(&it), e);
    pbtree_iter_next(&it);
    REQ(!pbtree_iter_valid(&it));
    pbtree_release(v);
    v = next;
    REQ_INT_EQ(pbtree_delete(v, 0, &next), 0);
    check_tree(next);
    REQ_UINT_EQ(pbtree_len(next), 0);
    pbtree_release(next);

    /* The same element stored many times is retained once per slot. */
    pbtree *t = pbtree_edit_begin(v);
    errno = 0; /* a transient of a transient would share its nodes */
    ck_assert_ptr_null(pbtree_edit_begin(t));
    REQ_INT_EQ(errno, EINVAL);
    pbtree_release(v);
    /* Prepends fill their leaves, so more than 32 * 32 make three levels. */
    for (int i = 0; i < 1100; i++)
        REQ_INT_EQ(pbtree_push_front(t, e, &next), 0);
    v = pbtree_edit_end(t);
    check_tree(v);
    REQ_UINT_EQ(pbtree_height(v), 3);
    REQ_UINT_EQ(pbtree_len(v), 1101); /* the one left above */
    REQ_INT_EQ(pbtree_delete_range(v, 0, 1101, &next), 0);
    check_tree(next);
    REQ_UINT_EQ(pbtree_len(next), 0);
    pbtree_release(next);
    pbtree_release(v);
    el_put(e);
    expect_all_released();
}
END_TEST

/* The checker itself must catch a broken tree (or every test above could
 * pass on a checker that accepts anything). */
START_TEST(check_catches_damage)
{
    counters_reset();
    model m = { 0 };
    pbtree *v = build_mixed(&m, 2000, &sorted_ops);
    check_tree(v);
    char err[200];
    /* Swap two elements: order is broken. */
    el *a = pbtree_get(v, 10), *b = pbtree_get(v, 11);
    long av = a->v;
    a->v = b->v + 1;
    REQ_INT_EQ(pbtree_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "order"));
    a->v = av;
    check_tree(v);
    /* A wrong count, a wrong first element, a wrong length. */
    pbtree_inner *in = pbtree_as_inner(v->root);
    in->counts[1]++;
    REQ_INT_EQ(pbtree_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "child count"));
    in->counts[1]--;
    void *m1 = in->mins[1];
    in->mins[1] = in->mins[0];
    REQ_INT_EQ(pbtree_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "first-element"));
    in->mins[1] = m1;
    /* A node inside a level (not its first or last) under half full; the
     * edges may hold less, but not this one. */
    ck_assert_uint_ge(in->h.n, 3);
    uint16_t n1 = in->kids[1]->n;
    in->kids[1]->n = PBTREE_MIN - 1;
    REQ_INT_EQ(pbtree_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "fill factor"));
    in->kids[1]->n = n1;
    check_tree(v);
    v->len++;
    REQ_INT_EQ(pbtree_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "length"));
    v->len--;
    /* A node a transient owns must not be shared. */
    pbtree *t = pbtree_edit_begin(v), *next;
    REQ_INT_EQ(pbtree_delete(t, 0, &next), 0);
    m_delete_range(&m, 0, 1);
    t->root->refs++;
    REQ_INT_EQ(pbtree_check(t, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "shared"));
    t->root->refs--;
    expect_model(t, &m);
    pbtree_release(t);
    check_tree(v);
    pbtree_release(v);
    m_free(&m);
    expect_all_released();
}
END_TEST

Suite *ch08_pbtree_suite(void)
{
    Suite *s = suite_create("ch08_pbtree");
    TCase *tc = test_tcase("pbtree", 120);
    tcase_add_test(tc, edges_and_errors);
    tcase_add_test(tc, check_catches_damage);
    tcase_add_test(tc, positional_random);
    tcase_add_test(tc, pushes_fill_nodes);
    tcase_add_test(tc, pops_empty_the_edges);
    tcase_add_test(tc, build_from_array);
    tcase_add_test(tc, build_allocation_failure);
    tcase_add_test(tc, ordered_random);
    tcase_add_test(tc, range_delete_all_shapes);
    tcase_add_test(tc, batch_equals_one_by_one);
    tcase_add_test(tc, allocation_failure_leaves_version_intact);
    tcase_add_test(tc, allocation_failure_in_a_batch);
    tcase_add_test(tc, allocation_failure_ordered);
    suite_add_tcase(s, tc);
    return s;
}
