/* ch08_ptrie.c - chapter 8: the persistent hash trie against a flat model.
 *
 * Every test drives ptrie edits and keeps a reference model, a plain array
 * indexed by member number (slot i holds member i's element or NULL),
 * updated the slow, obvious way.  After edits the trie must hold exactly
 * the model's elements and ptrie_check() must pass.  Elements count their
 * own references and the trie's node count is watched (a test hook in
 * ptrie_private.h), so a test can tell that every retain was matched by a
 * release and every node freed when the last version goes.  Hash
 * functions that map many keys to few values (ptrie_set_hash_fn()) force
 * the collision nodes that SipHash would need billions of keys to make.
 * Sizes scale with TEST_SCALE (test_scale()), so Valgrind runs stay short.
 */
#include "ptrie.h"
#include "ptrie_private.h" /* node counts, and check_catches_damage */
#include "alloc.h"
#include "ebr.h"
#include "hash.h"
#include "test_util.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- assertions ----------------------------------------------------------
 *
 * Check's ck_assert_* record where they are with a write() each time, even
 * when they pass; the loops here make millions of assertions, so they use
 * these, which call Check only when the condition fails (as
 * tests/ch08_pbtree.c does). */
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

/* A member: its number, and its key "m<number>" padded to a length that
 * varies with the number (so keys of one length are not all there is). */
typedef struct el {
    long refs;
    unsigned id;
    unsigned len;
    char key[24];
} el;

static long g_live;     /* elements allocated and not yet freed */
static long g_retains;  /* calls of the trie's retain */
static long g_releases; /* calls of the trie's release */
static long g_nodes0;   /* ptrie_live_nodes() when the test began */

static unsigned make_key(char *buf, unsigned id)
{
    int n = snprintf(buf, 24, "m%u%.*s", id, (int)(id % 7), "-------");
    return (unsigned)n;
}

static el *el_new(unsigned id)
{
    el *e = malloc(sizeof *e);
    REQ(e != NULL);
    e->refs = 1;
    e->id = id;
    e->len = make_key(e->key, id);
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

static const void *op_key(const void *p, size_t *len)
{
    const el *e = p;
    *len = e->len;
    return e->key;
}

static size_t op_size(const void *p)
{
    (void)p;
    return sizeof(el);
}

static const ptrie_ops ops = { op_retain, op_release, op_key, op_size };

static void counters_reset(void)
{
    g_live = g_retains = g_releases = 0;
    ptrie_count_nodes();
    g_nodes0 = ptrie_live_nodes();
}

/* Every element freed, every retain matched, every node freed. */
static void expect_all_released(void)
{
    REQ_INT_EQ(g_live, 0);
    REQ_INT_EQ(g_retains, g_releases);
    REQ_INT_EQ(ptrie_live_nodes(), g_nodes0);
}

/* ---- hash functions that collide ---------------------------------------- */

/* Eight values: every element ends in one of eight collision nodes, each
 * below a chain of one-child nodes. */
static uint64_t hash_eight(const void *key, size_t len)
{
    return hash_bytes(key, len) & 7u;
}

/* Sixteen bits kept, at both ends: elements part near the root, or at
 * depth 12 (the last four bits), or not at all (a collision node). */
static uint64_t hash_ends(const void *key, size_t len)
{
    return hash_bytes(key, len) & UINT64_C(0xF000000000000FFF);
}

/* ---- the model: element per member number, each holding a reference ---- */

typedef struct model {
    el **a;   /* a[id]: the member's element, or NULL */
    size_t k; /* member numbers 0..k-1 */
    size_t n; /* members present */
} model;

static model m_new(size_t k)
{
    model m = { calloc(k, sizeof(el *)), k, 0 };
    REQ(m.a != NULL);
    return m;
}

/* Set member id to e (NULL: absent). */
static void m_set(model *m, unsigned id, el *e)
{
    if (e != NULL)
        el_get(e);
    if (m->a[id] != NULL) {
        el_put(m->a[id]);
        m->n--;
    }
    m->a[id] = e;
    if (e != NULL)
        m->n++;
}

static model m_copy(const model *m)
{
    model c = m_new(m->k);
    for (size_t i = 0; i < m->k; i++)
        if (m->a[i] != NULL)
            m_set(&c, (unsigned)i, m->a[i]);
    return c;
}

static void m_free(model *m)
{
    for (size_t i = 0; i < m->k; i++)
        if (m->a[i] != NULL)
            el_put(m->a[i]);
    free(m->a);
    *m = (model){ 0 };
}

/* ---- comparing ---------------------------------------------------------- */

static void check_trie(const ptrie *t)
{
    char err[200] = "";
    if (ptrie_check(t, err, sizeof err) != 0)
        ck_abort_msg("ptrie_check: %s", err);
}

static void *get_id(const ptrie *t, unsigned id)
{
    char key[24];
    unsigned len = make_key(key, id);
    return ptrie_get(t, key, len);
}

/* The cheap comparison: the length and one member. */
static void expect_member(const ptrie *t, const model *m, unsigned id)
{
    REQ_UINT_EQ(ptrie_len(t), m->n);
    REQ_PTR_EQ(get_id(t, id), m->a[id]);
}

/* A hash as the trie orders it: its chunks from depth 0 down (twelve of 5
 * bits, the last of 4), the first the most significant. */
static uint64_t order_key(uint64_t h)
{
    uint64_t k = 0;
    for (unsigned d = 0; d + 1 < PTRIE_HASH_LEVELS; d++)
        k = k << PTRIE_BITS | ptrie_chunk(h, d);
    return k << 4 | ptrie_chunk(h, PTRIE_HASH_LEVELS - 1); /* 60 + 4 bits */
}

/* Iteration visits elements in hash order (equal hashes together). */
static void expect_hash_order(const ptrie *t)
{
    ptrie_iter it;
    ptrie_iter_init(&it, t);
    uint64_t prev = 0;
    for (const el *e; (e = ptrie_iter_next(&it)) != NULL;) {
        uint64_t k = order_key(ptrie_hash(t, e->key, e->len));
        if (it.pos > 1 && k < prev)
            ck_abort_msg("element %zu out of hash order", it.pos - 1);
        prev = k;
    }
}

/* The full comparison: the invariants, the length, every member found by
 * get, the iteration visiting each present member once, and ptrie_nth()
 * agreeing with the iteration at every position. */
static void expect_model(const ptrie *t, const model *m)
{
    check_trie(t);
    REQ_UINT_EQ(ptrie_len(t), m->n);
    unsigned char *seen = calloc(m->k ? m->k : 1, 1);
    REQ(seen != NULL);
    ptrie_iter it;
    ptrie_iter_init(&it, t);
    size_t i = 0;
    for (el *e; (e = ptrie_iter_next(&it)) != NULL; i++) {
        REQ(e->id < m->k);
        if (m->a[e->id] != e)
            ck_abort_msg("iteration %zu: member %u is not the model's", i,
                         e->id);
        REQ(!seen[e->id]);
        seen[e->id] = 1;
        REQ_PTR_EQ(ptrie_nth(t, i), e);
        REQ_UINT_EQ(it.pos, i + 1);
    }
    REQ_UINT_EQ(i, m->n);
    REQ(ptrie_iter_next(&it) == NULL); /* and stays at the end */
    expect_hash_order(t);
    ptrie_stats st;
    ptrie_stats_get(t, &st);
    REQ_UINT_EQ(st.elems, m->n);
    REQ_UINT_EQ(ptrie_bytes(t),
                sizeof(struct ptrie) + st.node_bytes + m->n * sizeof(el));
    REQ(ptrie_nth(t, i) == NULL);
    for (size_t id = 0; id < m->k; id++)
        REQ_PTR_EQ(get_id(t, (unsigned)id), m->a[id]);
    free(seen);
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
static void step_to(ptrie **v, ptrie *next)
{
    ptrie_release(*v); /* an unchanged result is *v with one more ref */
    *v = next;
}

/* A new empty version using hash function fn (NULL: SipHash). */
static ptrie *trie_new(ptrie_hash_fn *fn)
{
    ptrie *t = ptrie_new(&ops);
    REQ(t != NULL);
    REQ_INT_EQ(ptrie_set_hash_fn(t, fn), 0);
    return t;
}

/* ---- one random edit, applied to trie and model alike ------------------- */

/* Put member id (a new element; replace says whether one already there is
 * replaced), checking the return value against the model. */
static int put_id(ptrie *t, model *m, unsigned id, bool replace, ptrie **out)
{
    el *e = el_new(id);
    bool had = m->a[id] != NULL;
    int rc = ptrie_put(t, e, replace, out);
    if (rc >= 0) {
        REQ_INT_EQ(rc, had ? 0 : 1);
        if (!had || replace)
            m_set(m, id, e);
    }
    el_put(e);
    return rc;
}

static int remove_id(ptrie *t, model *m, unsigned id, ptrie **out)
{
    char key[24];
    unsigned len = make_key(key, id);
    bool had = m->a[id] != NULL;
    int rc = ptrie_remove(t, key, len, out);
    if (rc >= 0) {
        REQ_INT_EQ(rc, had ? 1 : 0);
        m_set(m, id, NULL);
    }
    return rc;
}

/* One random edit of t (a version or a transient) and m; the member it
 * touched is returned through *id.  grow tilts the mix towards puts. */
static int rand_edit(ptrie *t, model *m, bool grow, unsigned *id,
                     ptrie **out)
{
    *id = (unsigned)below(m->k);
    unsigned r = (unsigned)below(100);
    if (r < (grow ? 60u : 35u))
        return put_id(t, m, *id, false, out);
    if (r < (grow ? 75u : 50u))
        return put_id(t, m, *id, true, out);
    return remove_id(t, m, *id, out);
}

typedef struct saved {
    ptrie *v;
    model m;
} saved;

/* Release saved versions in a random order, each checked first. */
static void release_saved(saved *s, size_t ns)
{
    for (size_t k = ns; k > 0; k--) {
        size_t pick = below(k);
        saved tmp = s[pick];
        s[pick] = s[k - 1];
        s[k - 1] = tmp;
        expect_model(tmp.v, &tmp.m);
        ptrie_release(tmp.v);
        m_free(&tmp.m);
    }
}

/* The long random run: single edits of versions and transient batches,
 * the cheap comparison after every edit, the full one every 1000 steps,
 * and versions kept along the way, which must never change. */
static void random_run(ptrie_hash_fn *fn, long steps, size_t k, uint64_t seed)
{
    counters_reset();
    rng_state = seed;
    ptrie *v = trie_new(fn), *next;
    model m = m_new(k);
    enum { KEEP = 12 };
    saved keep[KEEP];
    size_t nkeep = 0;
    long next_full = 1000;
    for (long s = 0; s < steps;) {
        bool grow = (s / (steps / 8 + 1)) % 2 == 0; /* grow, shrink, ... */
        unsigned id;
        if (below(50) == 0) {
            /* A transient batch of several edits, checked at its end. */
            ptrie *t = ptrie_edit_begin(v);
            REQ(t != NULL);
            REQ(ptrie_is_transient(t));
            size_t len_v = ptrie_len(v);
            long n = 2 + (long)below(40);
            for (long i = 0; i < n; i++, s++) {
                REQ_INT_EQ(rand_edit(t, &m, grow, &id, &next) >= 0, 1);
                REQ_PTR_EQ(next, t);
                expect_member(t, &m, id);
            }
            REQ_UINT_EQ(ptrie_len(v), len_v); /* the version is untouched */
            if (below(3) == 0)
                check_trie(t);
            step_to(&v, ptrie_edit_end(t));
            REQ(!ptrie_is_transient(v));
        } else {
            REQ_INT_EQ(rand_edit(v, &m, grow, &id, &next) >= 0, 1);
            step_to(&v, next);
            expect_member(v, &m, id);
            s++;
        }
        if (s >= next_full) {
            next_full += 1000;
            expect_model(v, &m);
        }
        if (below(steps / 10 + 1) == 0) { /* keep this version */
            if (nkeep == KEEP) {         /* check and drop a random one */
                size_t pick = below(KEEP);
                release_saved(&keep[pick], 1);
                keep[pick] = keep[--nkeep];
            }
            keep[nkeep].v = ptrie_retain(v);
            keep[nkeep++].m = m_copy(&m);
        }
    }
    expect_model(v, &m);
    ptrie_release(v);
    m_free(&m);
    release_saved(keep, nkeep);
    expect_all_released();
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(basics)
{
    counters_reset();
    ptrie *v = ptrie_new(&ops), *next = NULL;
    REQ(v != NULL);
    check_trie(v);
    REQ_UINT_EQ(ptrie_len(v), 0);
    REQ(get_id(v, 1) == NULL);
    REQ(ptrie_nth(v, 0) == NULL);
    ptrie_iter it;
    ptrie_iter_init(&it, v);
    REQ(ptrie_iter_next(&it) == NULL);
    ptrie_stats st;
    ptrie_stats_get(v, &st);
    REQ_UINT_EQ(st.nodes + st.elems + st.depth, 0);
    REQ_UINT_EQ(ptrie_bytes(v), sizeof(struct ptrie));

    /* Removing from an empty trie changes nothing: the same version, one
     * more reference. */
    REQ_INT_EQ(ptrie_remove(v, "x", 1, &next), 0);
    REQ_PTR_EQ(next, v);
    ptrie_release(next);

    /* One element. */
    el *a = el_new(1), *a2 = el_new(1), *b = el_new(2);
    REQ_INT_EQ(ptrie_put(v, a, false, &next), 1);
    REQ_UINT_EQ(ptrie_len(v), 0); /* the old version is untouched */
    step_to(&v, next);
    check_trie(v);
    REQ_UINT_EQ(ptrie_len(v), 1);
    REQ_PTR_EQ(get_id(v, 1), a);
    REQ_PTR_EQ(ptrie_get_hashed(v, ptrie_hash(v, a->key, a->len), a->key,
                                a->len), a);
    REQ_UINT_EQ(ptrie_hash(v, a->key, a->len), hash_bytes(a->key, a->len));
    REQ(get_id(v, 2) == NULL);
    REQ_PTR_EQ(ptrie_nth(v, 0), a);
    REQ(ptrie_nth(v, 1) == NULL);
    REQ_INT_EQ(a->refs, 2); /* ours and the trie's */
    ptrie_stats_get(v, &st);
    REQ_UINT_EQ(st.nodes, 1);
    REQ_UINT_EQ(st.elems, 1);
    REQ_UINT_EQ(st.depth, 1);
    REQ_UINT_EQ(st.node_bytes, sizeof(ptrie_node) + sizeof(void *));
    REQ_UINT_EQ(ptrie_bytes(v),
                sizeof(struct ptrie) + st.node_bytes + sizeof(el));

    /* An equal key, not replaced: the same version, 0. */
    REQ_INT_EQ(ptrie_put(v, a2, false, &next), 0);
    REQ_PTR_EQ(next, v);
    ptrie_release(next);
    REQ_PTR_EQ(get_id(v, 1), a);
    REQ_INT_EQ(a2->refs, 1);
    /* Replaced: a new version holds a2, the old one still a. */
    REQ_INT_EQ(ptrie_put(v, a2, true, &next), 0);
    REQ(next != v);
    REQ_PTR_EQ(get_id(next, 1), a2);
    REQ_PTR_EQ(get_id(v, 1), a);
    step_to(&v, next);
    REQ_INT_EQ(a->refs, 1);
    REQ_INT_EQ(a2->refs, 2);
    /* Replacing an element by itself changes nothing. */
    REQ_INT_EQ(ptrie_put(v, a2, true, &next), 0);
    REQ_PTR_EQ(next, v);
    ptrie_release(next);
    REQ_INT_EQ(a2->refs, 2);

    REQ_INT_EQ(ptrie_put(v, b, false, &next), 1);
    step_to(&v, next);
    check_trie(v);
    REQ_UINT_EQ(ptrie_len(v), 2);
    ptrie_iter_init(&it, v);
    void *first = ptrie_iter_next(&it), *second = ptrie_iter_next(&it);
    REQ(ptrie_iter_next(&it) == NULL);
    REQ((first == a2 && second == b) || (first == b && second == a2));
    REQ_PTR_EQ(ptrie_nth(v, 0), first);
    REQ_PTR_EQ(ptrie_nth(v, 1), second);

    /* Remove an absent key, then both. */
    REQ_INT_EQ(ptrie_remove(v, "nope", 4, &next), 0);
    REQ_PTR_EQ(next, v);
    ptrie_release(next);
    REQ_INT_EQ(ptrie_remove(v, b->key, b->len, &next), 1);
    step_to(&v, next);
    check_trie(v);
    REQ_UINT_EQ(ptrie_len(v), 1);
    REQ(get_id(v, 2) == NULL);
    REQ_INT_EQ(b->refs, 1);
    REQ_INT_EQ(ptrie_remove(v, a2->key, a2->len, &next), 1);
    step_to(&v, next);
    check_trie(v);
    REQ_UINT_EQ(ptrie_len(v), 0);
    ptrie_stats_get(v, &st);
    REQ_UINT_EQ(st.nodes, 0);

    /* Errors. */
    ptrie_ops nokey = ops;
    nokey.key = NULL;
    errno = 0;
    REQ(ptrie_new(&nokey) == NULL);
    REQ_INT_EQ(errno, EINVAL);
    ptrie *t = ptrie_edit_begin(v);
    REQ(t != NULL);
    errno = 0; /* a transient of a transient would share nodes it owns */
    REQ(ptrie_edit_begin(t) == NULL);
    REQ_INT_EQ(errno, EINVAL);
    REQ_INT_EQ(ptrie_put(t, a, false, &next), 1);
    REQ_PTR_EQ(next, t);
    errno = 0; /* the hash cannot change under placed elements */
    REQ_INT_EQ(ptrie_set_hash_fn(t, hash_eight), -1);
    REQ_INT_EQ(errno, EINVAL);
    /* A transient's unchanged edits return the transient itself. */
    REQ_INT_EQ(ptrie_put(t, a, false, &next), 0);
    REQ_PTR_EQ(next, t);
    REQ_INT_EQ(ptrie_remove(t, "nope", 4, &next), 0);
    REQ_PTR_EQ(next, t);
    ptrie_release(t); /* a transient can be dropped unfinished */
    ptrie_release(v);
    el_put(a);
    el_put(a2);
    el_put(b);
    expect_all_released();
}
END_TEST

/* Elements that are not reference counted, and a zero-length key. */
static const void *raw_key(const void *p, size_t *len)
{
    const char *s = p;
    *len = strlen(s);
    return s;
}

START_TEST(uncounted_elements)
{
    counters_reset();
    static const ptrie_ops raw = { NULL, NULL, raw_key, NULL };
    static char words[][8] = { "", "a", "b", "ab", "ba", "abc" };
    size_t nw = sizeof words / sizeof *words;
    ptrie *t = ptrie_new(&raw), *next;
    REQ(t != NULL);
    for (size_t i = 0; i < nw; i++) {
        REQ_INT_EQ(ptrie_put(t, words[i], false, &next), 1);
        step_to(&t, next);
    }
    check_trie(t);
    REQ_UINT_EQ(ptrie_len(t), nw);
    REQ_PTR_EQ(ptrie_get(t, NULL, 0), words[0]);
    REQ_PTR_EQ(ptrie_get(t, "ab", 2), words[3]);
    REQ(ptrie_get(t, "abcd", 4) == NULL);
    REQ_UINT_EQ(ptrie_bytes(t) > sizeof(struct ptrie), 1);
    REQ_INT_EQ(ptrie_remove(t, NULL, 0, &next), 1);
    step_to(&t, next);
    REQ(ptrie_get(t, "", 0) == NULL);
    check_trie(t);
    ptrie_release(t);
    expect_all_released();
}
END_TEST

START_TEST(random_against_model)
{
    random_run(NULL, test_scale(120000, 4000), (size_t)test_scale(30000, 800),
               1);
}
END_TEST

START_TEST(random_with_collisions)
{
    random_run(hash_ends, test_scale(40000, 2000),
               (size_t)test_scale(6000, 400), 2);
    random_run(hash_eight, test_scale(20000, 1500),
               (size_t)test_scale(600, 200), 3);
}
END_TEST

/* Collision nodes: their shape, and that they empty out again. */
START_TEST(collisions)
{
    counters_reset();
    ptrie *v = trie_new(hash_eight), *next;
    size_t k = 200;
    model m = m_new(k);
    for (unsigned id = 0; id < k; id++) {
        REQ_INT_EQ(put_id(v, &m, id, false, &next), 1);
        step_to(&v, next);
    }
    expect_model(v, &m);
    ptrie_stats st;
    ptrie_stats_get(v, &st);
    REQ_UINT_EQ(st.collision_nodes, 8); /* one per hash value */
    REQ_UINT_EQ(st.depth, PTRIE_LEVELS);
    /* The root's eight chains of 12 one-child nodes, and the collision
     * nodes: 1 + 8 * 13 nodes. */
    REQ_UINT_EQ(st.nodes, 1 + 8 * 13);
    /* Replace and remove inside collision nodes, down to one element per
     * hash, which must then sit in the root. */
    for (unsigned id = 0; id < k; id++) {
        REQ_INT_EQ(put_id(v, &m, id, true, &next), 0);
        step_to(&v, next);
    }
    expect_model(v, &m);
    for (unsigned id = 0; id < k; id++) {
        uint64_t h = hash_eight(m.a[id]->key, m.a[id]->len);
        bool last = true; /* the last member left with this hash? */
        for (unsigned j = id + 1; j < k; j++)
            if (hash_eight(m.a[j]->key, m.a[j]->len) == h)
                last = false;
        if (last)
            continue;
        REQ_INT_EQ(remove_id(v, &m, id, &next), 1);
        step_to(&v, next);
        check_trie(v);
    }
    expect_model(v, &m);
    ptrie_stats_get(v, &st);
    REQ_UINT_EQ(st.nodes, 1);
    REQ_UINT_EQ(st.elems, 8);
    ptrie_release(v);
    m_free(&m);
    expect_all_released();
}
END_TEST

/* Canonical form: whatever was added and removed on the way, a trie holds
 * the shape of its elements alone: the same node count, bytes, depth and
 * iteration order as a trie built from just those elements. */
START_TEST(canonical_after_removes)
{
    counters_reset();
    ptrie_hash_fn *fns[] = { NULL, hash_ends, hash_eight };
    for (size_t f = 0; f < 3; f++) {
        rng_state = 40 + f;
        size_t k = (size_t)test_scale(5000, 500);
        ptrie *v = trie_new(fns[f]), *next;
        model m = m_new(k);
        for (unsigned id = 0; id < k; id++) {
            REQ_INT_EQ(put_id(v, &m, id, false, &next), 1);
            step_to(&v, next);
        }
        for (size_t r = 0; r < k * 9 / 10; r++) { /* most go again */
            REQ_INT_EQ(remove_id(v, &m, (unsigned)below(k), &next) >= 0, 1);
            step_to(&v, next);
        }
        expect_model(v, &m);
        ptrie *w = trie_new(fns[f]);
        for (unsigned id = 0; id < k; id++)
            if (m.a[id] != NULL) {
                REQ_INT_EQ(ptrie_put(w, m.a[id], false, &next), 1);
                step_to(&w, next);
            }
        ptrie_stats a, b;
        ptrie_stats_get(v, &a);
        ptrie_stats_get(w, &b);
        REQ_UINT_EQ(a.nodes, b.nodes);
        REQ_UINT_EQ(a.node_bytes, b.node_bytes);
        REQ_UINT_EQ(a.depth, b.depth);
        REQ_UINT_EQ(a.collision_nodes, b.collision_nodes);
        if (fns[f] != hash_eight) { /* collision nodes keep insertion order */
            ptrie_iter i1, i2;
            ptrie_iter_init(&i1, v);
            ptrie_iter_init(&i2, w);
            void *e;
            while ((e = ptrie_iter_next(&i1)) != NULL)
                REQ_PTR_EQ(ptrie_iter_next(&i2), e);
            REQ(ptrie_iter_next(&i2) == NULL);
        }
        /* And removing everything leaves nothing. */
        for (unsigned id = 0; id < k; id++) {
            REQ_INT_EQ(remove_id(v, &m, id, &next) >= 0, 1);
            step_to(&v, next);
        }
        REQ_UINT_EQ(ptrie_len(v), 0);
        ptrie_stats_get(v, &a);
        REQ_UINT_EQ(a.nodes, 0);
        ptrie_release(v);
        ptrie_release(w);
        m_free(&m);
    }
    expect_all_released();
}
END_TEST

/* A transient batch makes the same trie as the same edits one by one, and
 * copies each node at most once: fewer nodes allocated. */
START_TEST(batch_equals_one_by_one)
{
    counters_reset();
    size_t k = (size_t)test_scale(20000, 1000);
    rng_state = 7;
    ptrie *v = trie_new(NULL), *next;
    model m = m_new(k);
    for (size_t i = 0; i < k / 2; i++) {
        REQ_INT_EQ(put_id(v, &m, (unsigned)below(k), false, &next) >= 0, 1);
        step_to(&v, next);
    }
    model mb = m_copy(&m);
    ptrie *one = ptrie_retain(v), *t = ptrie_edit_begin(v);
    REQ(t != NULL);
    uint64_t seed = rng_state;
    unsigned long allocs_one, allocs_batch;
    unsigned id;
    alloc_fail_nth(ULONG_MAX); /* count allocations */
    for (size_t i = 0; i < k / 4; i++) {
        REQ_INT_EQ(rand_edit(one, &m, i % 2 == 0, &id, &next) >= 0, 1);
        step_to(&one, next);
    }
    allocs_one = alloc_fail_seen();
    alloc_fail_off();
    rng_state = seed;
    alloc_fail_nth(ULONG_MAX);
    for (size_t i = 0; i < k / 4; i++)
        REQ_INT_EQ(rand_edit(t, &mb, i % 2 == 0, &id, &next) >= 0, 1);
    allocs_batch = alloc_fail_seen();
    alloc_fail_off();
    t = ptrie_edit_end(t);
    expect_model(one, &m);
    expect_model(t, &mb);
    ck_assert_uint_lt(allocs_batch * 2, allocs_one);
    ptrie_release(one);
    ptrie_release(t);
    ptrie_release(v);
    m_free(&m);
    m_free(&mb);
    expect_all_released();
}
END_TEST

/* Versions kept along a long sequence of edits, some taken in the middle
 * of a transient batch's life (before and after it), never change; each
 * element's reference count is back to its start (the caller's one) once
 * every version is released, in a random order, and every node is freed. */
START_TEST(persistence)
{
    counters_reset();
    rng_state = 11;
    size_t k = (size_t)test_scale(4000, 400);
    el **pool = malloc(k * sizeof *pool);
    REQ(pool != NULL);
    for (unsigned id = 0; id < k; id++)
        pool[id] = el_new(id);
    enum { KEEP = 40 };
    saved keep[KEEP];
    size_t nkeep = 0;
    model m = m_new(k);
    ptrie *v = trie_new(NULL), *next;
    long steps = test_scale(40000, 2000);
    for (long s = 0; s < steps; s++) {
        unsigned id = (unsigned)below(k);
        bool batch = s % 3 == 0;
        ptrie *t = batch ? ptrie_edit_begin(v) : v;
        REQ(t != NULL);
        for (int e = 0; e < (batch ? 5 : 1); e++) {
            id = (unsigned)below(k);
            if (below(3) == 0) {
                REQ_INT_EQ(remove_id(t, &m, id, &next) >= 0, 1);
            } else {
                bool had = m.a[id] != NULL;
                REQ_INT_EQ(ptrie_put(t, pool[id], true, &next), !had);
                m_set(&m, id, pool[id]);
            }
            if (!batch)
                step_to(&v, t = next);
        }
        if (batch) {
            ptrie_release(v);
            v = ptrie_edit_end(t);
        }
        expect_member(v, &m, id);
        if (s % (steps / KEEP) == 0 && nkeep < KEEP) {
            keep[nkeep].v = ptrie_retain(v);
            keep[nkeep++].m = m_copy(&m);
        }
    }
    /* The latest version, then all the kept ones, in a random order. */
    expect_model(v, &m);
    ptrie_release(v);
    m_free(&m);
    release_saved(keep, nkeep);
    for (unsigned id = 0; id < k; id++) {
        REQ_INT_EQ(pool[id]->refs, 1);
        el_put(pool[id]);
    }
    free(pool);
    expect_all_released();
}
END_TEST

/* ---- allocation failure ------------------------------------------------- */

/* Fail allocation 1, 2, ... of one edit until it succeeds; after each
 * failure the trie must hold what it held and nothing may be lost.  The
 * edit is a put of a new member, a replace, a put of one present (not
 * replaced), or a remove. */
static void fail_each_allocation(ptrie *t, model *m, unsigned kind,
                                 unsigned id, ptrie **out)
{
    long live = g_live, bal = g_retains - g_releases;
    long nodes = ptrie_live_nodes();
    for (unsigned long nth = 1;; nth++) {
        model before = m_copy(m);
        alloc_fail_nth(nth);
        errno = 0;
        int rc = kind == 3 ? remove_id(t, m, id, out)
                           : put_id(t, m, id, kind == 1, out);
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        if (rc >= 0) {
            REQ_UINT_EQ(fired, 0);
            m_free(&before);
            return;
        }
        REQ_INT_EQ(rc, -1);
        REQ_INT_EQ(errno, ENOMEM);
        REQ_UINT_EQ(fired, 1);
        expect_model(t, m);
        expect_model(t, &before);
        m_free(&before);
        REQ_INT_EQ(g_live, live);
        REQ_INT_EQ(g_retains - g_releases, bal);
        REQ_INT_EQ(ptrie_live_nodes(), nodes);
        ck_assert_uint_lt(nth, 100);
    }
}

/* A version of n members 0..n-1 (with fn as its hash). */
static ptrie *build(model *m, size_t n, ptrie_hash_fn *fn)
{
    ptrie *v = trie_new(fn), *next;
    for (unsigned id = 0; id < n; id++) {
        REQ_INT_EQ(put_id(v, m, id, false, &next), 1);
        step_to(&v, next);
    }
    return v;
}

START_TEST(allocation_failure_leaves_version_intact)
{
    counters_reset();
    size_t sizes[] = { 0, 1, 2, 40, 700, (size_t)test_scale(3000, 300) };
    ptrie_hash_fn *fns[] = { NULL, hash_ends, hash_eight };
    for (size_t f = 0; f < 3; f++)
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
            for (unsigned kind = 0; kind < 4; kind++)
                for (unsigned r = 0; r < 4; r++) {
                    size_t n = sizes[s];
                    model m = m_new(n + 10);
                    ptrie *v = build(&m, n, fns[f]), *next;
                    model before = m_copy(&m);
                    /* Members present (r even) and absent (r odd). */
                    unsigned id = (unsigned)(r % 2 == 0 && n > 0
                                                 ? (r * 7919u) % n
                                                 : n + r);
                    fail_each_allocation(v, &m, kind, id, &next);
                    expect_model(v, &before); /* the input is intact */
                    expect_model(next, &m);   /* the result is right */
                    ptrie_release(next);
                    ptrie_release(v);
                    m_free(&m);
                    m_free(&before);
                }
    expect_all_released();
}
END_TEST

START_TEST(allocation_failure_in_a_batch)
{
    counters_reset();
    size_t sizes[] = { 0, 40, 700, 2500 };
    ptrie_hash_fn *fns[] = { NULL, hash_ends };
    for (size_t f = 0; f < 2; f++)
        for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
            rng_state = 500 + s;
            size_t n = sizes[s], k = n + 200;
            model m = m_new(k);
            ptrie *v = build(&m, n, fns[f]), *next;
            model before = m_copy(&m);
            /* Beginning the batch can fail too. */
            ptrie *t = NULL;
            for (unsigned long nth = 1; t == NULL; nth++) {
                alloc_fail_nth(nth);
                errno = 0;
                t = ptrie_edit_begin(v);
                alloc_fail_off();
                REQ(t != NULL || errno == ENOMEM);
            }
            /* Each edit of the batch fails at each of its allocations; the
             * transient keeps what the batch had done so far. */
            for (unsigned e = 0; e < 80; e++) {
                fail_each_allocation(t, &m, e % 4, (unsigned)below(k), &next);
                REQ_PTR_EQ(next, t);
            }
            ptrie *w = ptrie_edit_end(t);
            expect_model(w, &m);
            expect_model(v, &before);
            ptrie_release(w);
            ptrie_release(v);
            m_free(&m);
            m_free(&before);
        }
    expect_all_released();
}
END_TEST

/* ---- readers in other threads ------------------------------------------- */

/* The writer publishes versions holding members lo..hi-1 exactly, each in
 * a box that ebr frees once no reader can hold it. */
typedef struct box {
    ebr_node node; /* first: the box is its node */
    ptrie *v;
    unsigned lo, hi;
} box;

typedef struct shared {
    ebr *d;
    _Atomic(box *) cur;
    atomic_bool stop;
    atomic_long reads;
} shared;

static void box_free(ebr_node *n)
{
    box *b = (box *)n;
    ptrie_release(b->v); /* the writer calls ebr_reclaim: its thread */
    free(b);
}

static void reader_check(const box *b, uint64_t *seed)
{
    const ptrie *v = b->v;
    REQ_UINT_EQ(ptrie_len(v), b->hi - b->lo);
    for (int i = 0; i < 8; i++) {
        *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned span = b->hi - b->lo + 4;
        unsigned id = b->lo + (unsigned)((*seed >> 33) % span);
        const el *e = get_id(v, id);
        if (id < b->hi)
            REQ(e != NULL && e->id == id);
        else
            REQ(e == NULL);
        if (b->lo > 0)
            REQ(get_id(v, b->lo - 1) == NULL);
    }
    ptrie_iter it;
    ptrie_iter_init(&it, v);
    size_t n = 0;
    for (const el *e; (e = ptrie_iter_next(&it)) != NULL; n++)
        REQ(e->id >= b->lo && e->id < b->hi);
    REQ_UINT_EQ(n, b->hi - b->lo);
    if (n > 0) {
        const el *e = ptrie_nth(v, n / 2);
        REQ(e != NULL && e->id >= b->lo && e->id < b->hi);
    }
}

static void *reader_main(void *arg)
{
    shared *sh = arg;
    ebr_reader *r = ebr_register(sh->d);
    REQ(r != NULL);
    uint64_t seed = (uint64_t)(uintptr_t)&seed;
    /* relaxed: stop only ends the loop; what the reader reads is ordered
     * by the acquire load of cur inside the section. */
    while (!atomic_load_explicit(&sh->stop, memory_order_relaxed)) {
        ebr_enter(r);
        /* acquire: pairs with the writer's release store, so the version
         * and every node and element it reaches are seen complete. */
        box *b = atomic_load_explicit(&sh->cur, memory_order_acquire);
        reader_check(b, &seed);
        /* An old version read twice, with the writer moving on between:
         * it must not have changed. */
        reader_check(b, &seed);
        ebr_exit(r);
        atomic_fetch_add_explicit(&sh->reads, 1, memory_order_relaxed);
    }
    REQ_INT_EQ(ebr_unregister(r), 0);
    return NULL;
}

START_TEST(readers_while_writing)
{
    counters_reset();
    shared sh;
    sh.d = ebr_create();
    REQ(sh.d != NULL);
    atomic_init(&sh.stop, false);
    atomic_init(&sh.reads, 0);
    box *b = calloc(1, sizeof *b);
    REQ(b != NULL);
    b->v = trie_new(NULL);
    atomic_init(&sh.cur, b);
    enum { READERS = 3 };
    pthread_t th[READERS];
    for (int i = 0; i < READERS; i++)
        REQ_INT_EQ(pthread_create(&th[i], NULL, reader_main, &sh), 0);
    long steps = test_scale(20000, 600);
    unsigned window = 300, lo = 0, hi = 0;
    ptrie *v = ptrie_retain(b->v), *next;
    for (long s = 0; s < steps; s++) {
        /* Slide the window: add hi, drop lo once it is full; every few
         * steps as one transient batch. */
        bool batch = s % 5 == 0;
        ptrie *t = batch ? ptrie_edit_begin(v) : v;
        REQ(t != NULL);
        unsigned edits = batch ? 4 : 1;
        for (unsigned e = 0; e < edits; e++) {
            el *x = el_new(hi++);
            REQ_INT_EQ(ptrie_put(t, x, false, &next), 1);
            el_put(x);
            if (!batch)
                step_to(&t, next);
            if (hi - lo > window) {
                char key[24];
                unsigned len = make_key(key, lo++);
                REQ_INT_EQ(ptrie_remove(t, key, len, &next), 1);
                if (!batch)
                    step_to(&t, next);
            }
        }
        v = batch ? (ptrie_release(v), ptrie_edit_end(t)) : t;
        box *nb = malloc(sizeof *nb);
        REQ(nb != NULL);
        nb->v = ptrie_retain(v);
        nb->lo = lo;
        nb->hi = hi;
        /* release: the version is complete before a reader can load it;
         * acquire is not needed for old (the writer stored it itself), but
         * an exchange that is both costs nothing more here. */
        box *old = atomic_exchange_explicit(&sh.cur, nb, memory_order_acq_rel);
        ebr_retire(sh.d, &old->node, box_free, sizeof *old);
        if (s % 16 == 0)
            ebr_reclaim(sh.d);
    }
    /* Let the readers see the last version a while. */
    while (atomic_load_explicit(&sh.reads, memory_order_relaxed) < READERS)
        sched_yield();
    atomic_store_explicit(&sh.stop, true, memory_order_relaxed);
    for (int i = 0; i < READERS; i++)
        REQ_INT_EQ(pthread_join(th[i], NULL), 0);
    box *last = atomic_load_explicit(&sh.cur, memory_order_relaxed);
    ebr_retire(sh.d, &last->node, box_free, sizeof *last);
    REQ_INT_EQ(ebr_destroy(sh.d), 0); /* frees what is still retired */
    check_trie(v);
    REQ_UINT_EQ(ptrie_len(v), hi - lo);
    ptrie_release(v);
    expect_all_released();
}
END_TEST

/* ---- the checker -------------------------------------------------------- */

/* The checker itself must catch a broken trie (or every test above could
 * pass on a checker that accepts anything). */
START_TEST(check_catches_damage)
{
    counters_reset();
    model m = m_new(3000);
    ptrie *v = build(&m, 3000, NULL);
    check_trie(v);
    char err[200];
    ptrie_node *root = v->root;
    /* A wrong count. */
    root->count++;
    REQ_INT_EQ(ptrie_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "length"));
    root->count--;
    ptrie_node *kid = root->slot[ptrie_ndata(root)];
    kid->count++;
    REQ_INT_EQ(ptrie_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "count"));
    kid->count--;
    /* An element moved to a position its hash does not pick: swap two. */
    ptrie_node *deep = kid;
    while (ptrie_ndata(deep) < 2)
        deep = deep->slot[ptrie_ndata(deep)];
    void *e0 = deep->slot[0];
    deep->slot[0] = deep->slot[1];
    deep->slot[1] = e0;
    REQ_INT_EQ(ptrie_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "hash says"));
    deep->slot[1] = deep->slot[0];
    deep->slot[0] = e0;
    check_trie(v);
    /* Bitmaps that overlap. */
    uint32_t dm = root->datamap;
    root->datamap |= root->nodemap & -root->nodemap;
    REQ_INT_EQ(ptrie_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "share"));
    root->datamap = dm;
    /* A reference count of zero. */
    uint32_t kr = kid->refs;
    kid->refs = 0;
    REQ_INT_EQ(ptrie_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "reference"));
    kid->refs = kr;
    check_trie(v);
    /* A node a transient owns must not be shared. */
    ptrie *t = ptrie_edit_begin(v), *next;
    REQ_INT_EQ(remove_id(t, &m, 5, &next), 1);
    t->root->refs++;
    REQ_INT_EQ(ptrie_check(t, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "shared"));
    t->root->refs--;
    check_trie(t);
    ptrie_release(t);
    ptrie_release(v);
    m_free(&m);

    /* A duplicate key in a collision node. */
    model m2 = m_new(400);
    v = build(&m2, 400, hash_eight);
    check_trie(v);
    ptrie_node *coll = v->root->slot[ptrie_ndata(v->root)];
    while (!ptrie_is_collision(coll))
        coll = coll->slot[ptrie_ndata(coll)];
    void *c1 = coll->slot[1];
    coll->slot[1] = coll->slot[0];
    REQ_INT_EQ(ptrie_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "duplicate"));
    coll->slot[1] = c1;
    check_trie(v);
    ptrie_release(v);
    m_free(&m2);

    /* Not canonical: a node below the root left with one element.  Two
     * members whose hashes agree at depth 0 and part at depth 1 make a root
     * with one child holding both; hide one of them. */
    unsigned a = 0, b = 1;
    char ka[24], kb[24];
    for (;; b++) {
        uint64_t ha = hash_ends(ka, make_key(ka, a));
        uint64_t hb = hash_ends(kb, make_key(kb, b));
        if (ptrie_chunk(ha, 0) == ptrie_chunk(hb, 0) &&
            ptrie_chunk(ha, 1) != ptrie_chunk(hb, 1))
            break;
    }
    model m3 = m_new(b + 1);
    v = trie_new(hash_ends);
    REQ_INT_EQ(put_id(v, &m3, a, false, &next), 1);
    step_to(&v, next);
    REQ_INT_EQ(put_id(v, &m3, b, false, &next), 1);
    step_to(&v, next);
    check_trie(v);
    ptrie_node *pair = v->root->slot[0];
    REQ_UINT_EQ(ptrie_ndata(pair), 2);
    uint32_t pm = pair->datamap;
    pair->datamap = pm & -pm;
    pair->count = 1;
    v->root->count = 1;
    REQ_INT_EQ(ptrie_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "canonical"));
    pair->datamap = pm;
    pair->count = 2;
    v->root->count = 2;
    check_trie(v);
    ptrie_release(v);
    m_free(&m3);
    expect_all_released();
}
END_TEST

Suite *ch08_ptrie_suite(void)
{
    Suite *s = suite_create("ch08_ptrie");
    TCase *tc = test_tcase("ptrie", 180);
    tcase_add_test(tc, basics);
    tcase_add_test(tc, uncounted_elements);
    tcase_add_test(tc, check_catches_damage);
    tcase_add_test(tc, collisions);
    tcase_add_test(tc, canonical_after_removes);
    tcase_add_test(tc, batch_equals_one_by_one);
    tcase_add_test(tc, persistence);
    tcase_add_test(tc, random_against_model);
    tcase_add_test(tc, random_with_collisions);
    tcase_add_test(tc, allocation_failure_leaves_version_intact);
    tcase_add_test(tc, allocation_failure_in_a_batch);
    tcase_add_test(tc, readers_while_writing);
    suite_add_tcase(s, tc);
    return s;
}
