/* ch08_pset.c - chapter 8: the persistent set against a flat model.
 *
 * Every test drives pset edits and keeps a reference model: an array of
 * members in the order a listpack would keep them (new ones at the end),
 * and the form the set should be in, worked out from the limits and the
 * hysteresis rule.  After edits the set must hold exactly the model's
 * members (in the model's order while flat), report the encoding Redis's
 * rules give, and pass pset_check().  When a tree becomes flat the set's
 * order is the trie's, which the model then adopts.  Members come from a
 * pool of velem elements the test owns; half the adds share a pool
 * element (pset_add_elem()), half copy the bytes (pset_add()), and at the
 * end every pool element's reference count is back to 1.  Most tests use
 * tiny limits so that sizes cross the threshold both ways many times; one
 * run uses the defaults.  Sizes scale with TEST_SCALE.
 */
#include "pset.h"
#include "pset_private.h" /* check_catches_damage */
#include "alloc.h"
#include "ebr.h"
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

/* Check's ck_assert_* write on every call; the loops use these instead. */
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
#define REQ_STR_EQ(a, b)                                                    \
    do {                                                                    \
        const char *a_ = (a), *b_ = (b);                                    \
        if (strcmp(a_, b_) != 0)                                            \
            ck_abort_msg("%s == %s failed: \"%s\" != \"%s\"", #a, #b, a_, b_); \
    } while (0)
#define REQ_UINT_EQ(a, b)                                                   \
    do {                                                                    \
        uintmax_t a_ = (a), b_ = (b);                                       \
        if (a_ != b_)                                                       \
            ck_abort_msg("%s == %s failed: %ju != %ju", #a, #b, a_, b_);    \
    } while (0)

/* ---- limits and the pool of members ------------------------------------- */

static size_t g_max_entries = PSET_MAX_ENTRIES, g_max_bytes = PSET_MAX_BYTES,
              g_max_intset = PSET_MAX_INTSET;

static void limits(size_t entries, size_t bytes, size_t intset)
{
    REQ(pset_set_limits(entries, bytes) == 0);
    pset_set_intset_limit(intset);
    g_max_entries = entries;
    g_max_bytes = bytes;
    g_max_intset = intset;
}

static void default_limits(void)
{
    limits(PSET_MAX_ENTRIES, PSET_MAX_BYTES, PSET_MAX_INTSET);
}

/* Member id's bytes: mostly canonical integers, then plain strings, then
 * integers Redis would not keep in an intset, now and then a long one. */
static size_t member_bytes(char *buf, unsigned id)
{
    switch (id % 10) {
    case 0: case 1: case 2: case 3: case 4: case 5:
        return (size_t)sprintf(buf, "%d", (int)id - 100);
    case 6: case 7:
        return (size_t)sprintf(buf, "m%u", id);
    case 8:
        return (size_t)sprintf(buf, id % 20 == 8 ? "0%u" : "+%u", id);
    default:
        if (id % 60 == 9)
            return (size_t)sprintf(buf, "a-long-member-%u-past-the-limit", id);
        return (size_t)sprintf(buf, "s%u", id);
    }
}

typedef struct pool {
    velem **e;
    unsigned n;
} pool;

static pool pool_make(unsigned n)
{
    pool p = { calloc(n, sizeof(velem *)), n };
    REQ(p.e != NULL);
    for (unsigned i = 0; i < n; i++) {
        char buf[96];
        size_t len = member_bytes(buf, i);
        p.e[i] = velem_new(buf, len);
        REQ(p.e[i] != NULL);
    }
    return p;
}

static void pool_free(pool *p)
{
    for (unsigned i = 0; i < p->n; i++) {
        REQ_UINT_EQ(p->e[i]->refs, 1); /* every set let it go */
        velem_release(p->e[i]);
    }
    free(p->e);
}

/* ---- the model ---------------------------------------------------------------- */

typedef struct model {
    const velem **e; /* pool elements, in order */
    size_t n, cap;
    bool tree;
} model;

static long m_find(const model *m, const void *b, size_t len)
{
    for (size_t i = 0; i < m->n; i++)
        if (velem_eq(m->e[i], b, len))
            return (long)i;
    return -1;
}

static bool m_big(const model *m)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->e[i]->len > g_max_bytes)
            return true;
    return false;
}

static bool m_update_form(model *m)
{
    bool big = m_big(m);
    if (!m->tree && (m->n > g_max_entries || big)) {
        m->tree = true;
    } else if (m->tree && m->n <= g_max_entries / 2 && !big) {
        m->tree = false;
        return true;
    }
    return false;
}

static int m_add(model *m, const velem *e)
{
    if (m_find(m, e->bytes, e->len) >= 0)
        return 0;
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 16;
        m->e = realloc(m->e, m->cap * sizeof *m->e);
        REQ(m->e != NULL);
    }
    m->e[m->n++] = e;
    return 1;
}

static int m_remove(model *m, const void *b, size_t len)
{
    long i = m_find(m, b, len);
    if (i < 0)
        return 0;
    memmove(m->e + i, m->e + i + 1, (m->n - (size_t)i - 1) * sizeof *m->e);
    m->n--;
    return 1;
}

static const char *m_encoding(const model *m)
{
    size_t ints = 0;
    for (size_t i = 0; i < m->n; i++)
        ints += pset_is_canonical_int(m->e[i]->bytes, m->e[i]->len);
    if (ints == m->n && m->n <= g_max_intset)
        return "intset";
    return m->tree ? "hashtable" : "listpack";
}

static model m_copy(const model *m)
{
    model c = *m;
    c.e = malloc((m->cap ? m->cap : 1) * sizeof *c.e);
    REQ(c.e != NULL);
    if (m->n)
        memcpy(c.e, m->e, m->n * sizeof *c.e);
    return c;
}

/* ---- comparing a set with the model ----------------------------------------------- */

static void check_set(const pset *s)
{
    char err[256];
    if (pset_check(s, err, sizeof err) != 0)
        ck_abort_msg("pset_check: %s", err);
}

static void expect_member(const pset *s, const model *m, const void *b,
                          size_t len)
{
    const velem *e = pset_get(s, b, len);
    REQ((e != NULL) == (m_find(m, b, len) >= 0));
    REQ(e == NULL || velem_eq(e, b, len));
    REQ(pset_has(s, b, len) == (e != NULL));
    REQ_UINT_EQ(pset_len(s), m->n);
    REQ_STR_EQ(pset_encoding(s), m_encoding(m));
}

static void expect_model(const pset *s, const model *m)
{
    check_set(s);
    REQ_UINT_EQ(pset_len(s), m->n);
    REQ_STR_EQ(pset_encoding(s), m_encoding(m));
    char *seen = calloc(m->n + 1, 1);
    REQ(seen != NULL);
    pset_iter it;
    pset_iter_init(&it, s);
    size_t k = 0;
    for (const velem *e; (e = pset_iter_next(&it)) != NULL; k++) {
        REQ(k < m->n);
        REQ(pset_nth(s, k) == e);
        long i = m_find(m, e->bytes, e->len);
        REQ(i >= 0 && !seen[i]);
        if (!m->tree)
            REQ_INT_EQ(i, (long)k);
        seen[i] = 1;
        REQ(pset_get(s, e->bytes, e->len) == e);
    }
    REQ_UINT_EQ(k, m->n);
    REQ(pset_nth(s, m->n) == NULL);
    free(seen);
}

static void m_adopt_order(model *m, const pset *s)
{
    const velem **ne = malloc((m->cap ? m->cap : 1) * sizeof *ne);
    REQ(ne != NULL);
    pset_iter it;
    pset_iter_init(&it, s);
    size_t k = 0;
    for (const velem *e; (e = pset_iter_next(&it)) != NULL; k++) {
        long i = m_find(m, e->bytes, e->len);
        REQ(i >= 0 && k < m->n);
        ne[k] = m->e[i];
    }
    REQ_UINT_EQ(k, m->n);
    free(m->e);
    m->e = ne;
}

/* ---- random edits -------------------------------------------------------------------- */

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}
static size_t rndn(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

typedef struct cfg {
    size_t lo, hi;
    bool growing;
} cfg;

static void step(pset **s, pset *out, bool transient)
{
    if (transient) {
        REQ(out == *s);
    } else {
        pset_release(*s);
        *s = out;
    }
}

static void random_edit(pset **s, model *m, cfg *c, const pool *p,
                        bool transient)
{
    if (m->n >= c->hi)
        c->growing = false;
    else if (m->n <= c->lo)
        c->growing = true;
    bool add = rndn(100) < (c->growing ? 75u : 30u);
    const velem *e = p->e[rndn(p->n)];
    if (!add && m->n > 0 && rndn(10) != 0)
        e = m->e[rndn(m->n)];
    pset *out = NULL;
    int rc;
    if (add) {
        /* Share the pool's element, or copy its bytes. */
        rc = rndn(2) ? pset_add_elem(*s, (velem *)e, &out)
                     : pset_add(*s, e->bytes, e->len, &out);
        REQ_INT_EQ(rc, m_add(m, e));
    } else {
        rc = pset_remove(*s, e->bytes, e->len, &out);
        REQ_INT_EQ(rc, m_remove(m, e->bytes, e->len));
    }
    step(s, out, transient);
    if (m_update_form(m))
        m_adopt_order(m, *s);
    expect_member(*s, m, e->bytes, e->len);
}

static void run_random(long steps, cfg c, unsigned universe, long full_every,
                       long min_cross, long min_intset)
{
    pool p = pool_make(universe);
    model m = { NULL, 0, 0, false };
    pset *s = pset_new();
    REQ(s != NULL);
    enum { KEEP = 30 };
    pset *old[KEEP];
    model oldm[KEEP];
    int nold = 0;
    long crossings = 0, intsets = 0;
    bool was_tree = false;
    for (long i = 0; i < steps; i++) {
        if (rndn(40) == 0) {
            pset *t = pset_edit_begin(s);
            REQ(t != NULL && pset_is_transient(t));
            int k = 1 + (int)rndn(30);
            for (int j = 0; j < k; j++)
                random_edit(&t, &m, &c, &p, true);
            check_set(t);
            pset_release(s);
            s = pset_edit_end(t);
            REQ(!pset_is_transient(s));
        } else {
            random_edit(&s, &m, &c, &p, false);
        }
        if (m.tree != was_tree) {
            crossings++;
            was_tree = m.tree;
        }
        intsets += m.n > 0 && strcmp(pset_encoding(s), "intset") == 0;
        if (i % full_every == 0)
            expect_model(s, &m);
        if (i % (steps / KEEP + 1) == 0 && nold < KEEP) {
            old[nold] = pset_retain(s);
            oldm[nold++] = m_copy(&m);
        }
        if (i == steps / 2)
            for (int j = 0; j < nold; j++)
                expect_model(old[j], &oldm[j]);
    }
    expect_model(s, &m);
    if (crossings < min_cross || intsets < min_intset)
        ck_abort_msg("%ld form changes, %ld intset steps in %ld", crossings,
                     intsets, steps);
    for (int j = 0; j < nold; j++)
        expect_model(old[j], &oldm[j]);
    for (int j = 0; j < nold; j++) {
        pset_release(old[j]);
        free(oldm[j].e);
    }
    expect_model(s, &m);
    pset_release(s);
    free(m.e);
    pool_free(&p);
}

START_TEST(random_tiny_limits)
{
    limits(8, 16, 12);
    rng_state = 0x9e3779b97f4a7c15ull;
    cfg c = { 1, 16, true };
    run_random(test_scale(100000, 3000), c, 60, 97, 20, 1);
    default_limits();
}
END_TEST

START_TEST(random_default_limits)
{
    default_limits();
    rng_state = 0xabcdef987ull;
    cfg c = { 10, 220, true };
    long steps = test_scale(100000, 3000);
    /* Sizes drift across 128 slowly, and the members picked depend on the
     * trie's (per-process) order: a short run asks for one crossing. */
    run_random(steps, c, 600, 1000, steps >= 50000 ? 4 : 1, 0);
}
END_TEST

/* ---- fixed cases ------------------------------------------------------------------------ */

START_TEST(canonical_integers)
{
    const char *yes[] = { "0", "7", "-7", "10", "9223372036854775807",
                          "-9223372036854775808", "-1000000000000000000" };
    const char *no[] = { "", "-", "-0", "01", "+1", " 1", "1 ", "1a", "0x1",
                         "9223372036854775808", "-9223372036854775809",
                         "18446744073709551616", "99999999999999999999",
                         "1.0" };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        ck_assert_msg(pset_is_canonical_int(yes[i], strlen(yes[i])), "%s",
                      yes[i]);
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        ck_assert_msg(!pset_is_canonical_int(no[i], strlen(no[i])), "%s",
                      no[i]);
}
END_TEST

START_TEST(basics)
{
    default_limits();
    pset *e = pset_new(), *a, *b, *c, *out;
    REQ(e != NULL);
    check_set(e);
    ck_assert_uint_eq(pset_len(e), 0);
    ck_assert(!pset_has(e, "x", 1));
    ck_assert_ptr_null(pset_nth(e, 0));
    ck_assert_int_eq(pset_remove(e, "x", 1, &out), 0);
    ck_assert_ptr_eq(out, e);
    pset_release(out);
    ck_assert_int_eq(pset_add(e, "12", 2, &a), 1);
    ck_assert_str_eq(pset_encoding(a), "intset");
    ck_assert_int_eq(pset_add(a, "12", 2, &out), 0);
    ck_assert_ptr_eq(out, a);
    pset_release(out);
    velem *x = velem_new("x", 1);
    REQ(x != NULL);
    ck_assert_int_eq(pset_add_elem(a, x, &b), 1);
    ck_assert_uint_eq(x->refs, 2); /* shared, not copied */
    ck_assert_ptr_eq(pset_get(b, "x", 1), x);
    ck_assert_str_eq(pset_encoding(b), "listpack");
    ck_assert_str_eq(pset_encoding(a), "intset");
    ck_assert_uint_eq(pset_len(a), 1);
    ck_assert_ptr_eq(pset_get(a, "12", 2), pset_get(b, "12", 2));
    /* An equal member is kept, not replaced. */
    velem *x2 = velem_new("x", 1);
    ck_assert_int_eq(pset_add_elem(b, x2, &out), 0);
    ck_assert_ptr_eq(out, b);
    ck_assert_ptr_eq(pset_get(b, "x", 1), x);
    pset_release(out);
    velem_release(x2);
    ck_assert_int_eq(pset_remove(b, "12", 2, &c), 1);
    ck_assert_uint_eq(pset_len(c), 1);
    ck_assert_str_eq(pset_encoding(c), "listpack");
    ck_assert_str_eq((const char *)pset_nth(c, 0)->bytes, "x");
    /* The empty member is a member. */
    pset *d;
    ck_assert_int_eq(pset_add(c, "", 0, &d), 1);
    ck_assert(pset_has(d, "", 0));
    ck_assert(!pset_has(c, "", 0));
    errno = 0;
    ck_assert_int_eq(pset_set_limits(1u << 25, 64), -1);
    ck_assert_int_eq(errno, EINVAL);
    pset *t = pset_edit_begin(d);
    ck_assert_ptr_nonnull(t);
    errno = 0;
    ck_assert_ptr_null(pset_edit_begin(t));
    ck_assert_int_eq(errno, EINVAL);
    pset_release(t);
    ck_assert_uint_ge(pset_bytes(d), 2 * sizeof(velem));
    pset *all[] = { e, a, b, c, d };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        check_set(all[i]);
        pset_release(all[i]);
    }
    ck_assert_uint_eq(x->refs, 1);
    velem_release(x);
}
END_TEST

static pset *add_n(pset *s, const char *fmt, int from, int to)
{
    for (int i = from; i < to; i++) {
        char buf[32];
        int n = sprintf(buf, fmt, i);
        pset *out;
        REQ(pset_add(s, buf, (size_t)n, &out) == 1);
        pset_release(s);
        s = out;
    }
    return s;
}

/* Redis's rules at the defaults (redis/redis src/t_set.c): 512 integers
 * are an intset, 513 a hashtable; an intset of 100 with a string added is
 * a listpack, of 200 a hashtable; a member over 64 bytes, a hashtable. */
START_TEST(encodings_at_the_limits)
{
    default_limits();
    pset *s = add_n(pset_new(), "%d", 0, 512), *out;
    ck_assert_str_eq(pset_encoding(s), "intset");
    s = add_n(s, "%d", 512, 513);
    ck_assert_str_eq(pset_encoding(s), "hashtable");
    check_set(s);
    pset_release(s);
    s = add_n(pset_new(), "%d", 0, 100);
    ck_assert_str_eq(pset_encoding(s), "intset");
    ck_assert_int_eq(pset_add(s, "abc", 3, &out), 1);
    ck_assert_str_eq(pset_encoding(out), "listpack");
    pset_release(out);
    pset_release(s);
    s = add_n(pset_new(), "%d", 0, 200);
    ck_assert_str_eq(pset_encoding(s), "intset");
    ck_assert_int_eq(pset_add(s, "abc", 3, &out), 1);
    ck_assert_str_eq(pset_encoding(out), "hashtable");
    /* Hysteresis: a tree stays one down to 65 members, flat at 64. */
    pset *t = out;
    for (int i = 199; i >= 63; i--) {
        char buf[16];
        int n = sprintf(buf, "%d", i);
        REQ(pset_remove(t, buf, (size_t)n, &out) == 1);
        pset_release(t);
        t = out;
        ck_assert_str_eq(pset_encoding(t), i > 63 ? "hashtable" : "listpack");
    }
    check_set(t);
    pset_release(t);
    pset_release(s);
    char big[65];
    memset(big, 'y', sizeof big);
    s = pset_new();
    REQ(pset_add(s, big, 64, &out) == 1);
    ck_assert_str_eq(pset_encoding(out), "listpack");
    pset_release(s);
    s = out;
    REQ(pset_add(s, big, 65, &out) == 1);
    ck_assert_str_eq(pset_encoding(out), "hashtable");
    pset_release(s);
    REQ(pset_remove(out, big, 65, &s) == 1);
    ck_assert_str_eq(pset_encoding(s), "listpack");
    check_set(s);
    pset_release(s);
    pset_release(out);
}
END_TEST

/* set-max-listpack-entries 0: every non-empty set is a tree (and says
 * "hashtable" unless it is all integers: then "intset"). */
START_TEST(zero_entries_means_always_a_tree)
{
    limits(0, PSET_MAX_BYTES, PSET_MAX_INTSET);
    pset *e = pset_new(), *a, *b, *c;
    REQ(e != NULL);
    ck_assert_int_eq(pset_add(e, "x", 1, &a), 1);
    ck_assert_str_eq(pset_encoding(a), "hashtable");
    check_set(a);
    ck_assert_int_eq(pset_add(a, "1", 1, &b), 1);
    ck_assert_int_eq(pset_remove(b, "x", 1, &c), 1);
    ck_assert_str_eq(pset_encoding(c), "intset");
    ck_assert(c->tree);
    check_set(c);
    pset_release(b);
    ck_assert_int_eq(pset_remove(c, "1", 1, &b), 1);
    ck_assert(!b->tree);
    check_set(b);
    pset *all[] = { e, a, b, c };
    for (size_t i = 0; i < 4; i++)
        pset_release(all[i]);
    default_limits();
}
END_TEST

/* ---- allocation failure ------------------------------------------------------------------ */

enum { E_ADD, E_ADD_ELEM, E_ADD_BIG, E_ADD_HAVE, E_REMOVE, E_REMOVE_FIRST,
       E_REMOVE_ABSENT, E_KINDS };

static velem *g_new, *g_big;

static void build(size_t n, pset **s, model *m, const pool *p)
{
    *s = pset_new();
    REQ(*s != NULL);
    for (size_t i = 0; i < n; i++) {
        pset *out;
        REQ(pset_add_elem(*s, p->e[i], &out) == 1);
        m_add(m, p->e[i]);
        pset_release(*s);
        *s = out;
        if (m_update_form(m))
            m_adopt_order(m, *s);
    }
}

static int do_edit(pset *s, int kind, model *m, const pool *p, pset **out)
{
    size_t n = m->n;
    const velem *mid = n ? m->e[n / 2] : p->e[0];
    const velem *first = n ? m->e[0] : p->e[0];
    int rc = -1, want = -1;
    switch (kind) {
    case E_ADD:
        rc = pset_add(s, "new", 3, out);
        if (rc >= 0)
            want = m_add(m, g_new);
        break;
    case E_ADD_ELEM:
        rc = pset_add_elem(s, g_new, out);
        if (rc >= 0)
            want = m_add(m, g_new);
        break;
    case E_ADD_BIG:
        rc = pset_add_elem(s, g_big, out);
        if (rc >= 0)
            want = m_add(m, g_big);
        break;
    case E_ADD_HAVE:
        rc = pset_add(s, mid->bytes, mid->len, out);
        if (rc >= 0)
            want = m_add(m, mid);
        break;
    case E_REMOVE:
    case E_REMOVE_FIRST: {
        const velem *e = kind == E_REMOVE ? mid : first;
        rc = pset_remove(s, e->bytes, e->len, out);
        if (rc >= 0)
            want = m_remove(m, e->bytes, e->len);
        break;
    }
    case E_REMOVE_ABSENT:
        rc = pset_remove(s, "absent", 6, out);
        if (rc >= 0)
            want = m_remove(m, "absent", 6);
        break;
    }
    if (rc >= 0)
        REQ_INT_EQ(rc, want);
    return rc;
}

static void fail_every_allocation(size_t n, int kind, bool transient,
                                  const pool *p)
{
    model m = { NULL, 0, 0, false };
    pset *v;
    build(n, &v, &m, p);
    pset *s = v;
    if (transient) {
        s = pset_edit_begin(v);
        REQ(s != NULL);
        pset *o;
        REQ(pset_add_elem(s, p->e[p->n - 1], &o) == 1);
        m_add(&m, p->e[p->n - 1]);
        if (m_update_form(&m))
            m_adopt_order(&m, s);
    }
    expect_model(s, &m);
    for (unsigned long nth = 1;; nth++) {
        REQ(nth < 1000);
        model mm = m_copy(&m);
        pset *out = NULL;
        alloc_fail_nth(nth);
        errno = 0;
        int rc = do_edit(s, kind, &mm, p, &out);
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        if (rc >= 0) {
            REQ_UINT_EQ(fired, 0);
            if (m_update_form(&mm))
                m_adopt_order(&mm, out);
            expect_model(out, &mm);
            if (!transient) {
                expect_model(v, &m);
                pset_release(out);
            }
            free(mm.e);
            break;
        }
        if (errno != ENOMEM || fired != 1)
            ck_abort_msg("edit %d on %zu members, allocation %lu: rc %d errno "
                         "%d fired %lu", kind, n, nth, rc, errno, fired);
        REQ_UINT_EQ(g_new->refs, 1);
        REQ_UINT_EQ(g_big->refs, 1);
        expect_model(s, &m);
        free(mm.e);
    }
    pset_release(s);
    if (transient)
        pset_release(v);
    free(m.e);
}

static void oom_setup(pool *p)
{
    limits(8, 16, 12);
    *p = pool_make(40);
    g_new = velem_new("new", 3);
    g_big = velem_new("a member longer than sixteen bytes", 34);
    REQ(g_new != NULL && g_big != NULL);
}

static void oom_teardown(pool *p)
{
    REQ_UINT_EQ(g_new->refs, 1);
    REQ_UINT_EQ(g_big->refs, 1);
    velem_release(g_new);
    velem_release(g_big);
    pool_free(p);
    default_limits();
}

START_TEST(allocation_failure_every_edit)
{
    pool p;
    oom_setup(&p);
    size_t sizes[] = { 0, 1, 3, 4, 5, 7, 8, 9, 12, 30 };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (int kind = 0; kind < E_KINDS; kind++) {
            fail_every_allocation(sizes[i], kind, false, &p);
            fail_every_allocation(sizes[i], kind, true, &p);
        }
    oom_teardown(&p);
}
END_TEST

START_TEST(allocation_failure_in_a_batch)
{
    pool p;
    oom_setup(&p);
    model m0 = { NULL, 0, 0, false };
    pset *v;
    build(6, &v, &m0, &p);
    int kinds[] = { E_ADD, E_ADD_BIG, E_REMOVE, E_ADD_HAVE, E_REMOVE_FIRST,
                    E_REMOVE_ABSENT, E_REMOVE, E_REMOVE, E_ADD_ELEM,
                    E_REMOVE, E_REMOVE_FIRST };
    int nk = (int)(sizeof kinds / sizeof *kinds);
    for (unsigned long nth = 1;; nth++) {
        REQ(nth < 3000);
        model m = m_copy(&m0);
        alloc_fail_nth(nth);
        pset *t = pset_edit_begin(v), *out;
        int failed_at = -1;
        if (t == NULL) {
            alloc_fail_off();
            free(m.e);
            continue;
        }
        for (int j = 0; j < nk && failed_at < 0; j++) {
            model before = m_copy(&m);
            if (do_edit(t, kinds[j], &m, &p, &out) < 0) {
                failed_at = j;
                REQ(errno == ENOMEM);
                free(m.e);
                m = before;
            } else {
                free(before.e);
                REQ(out == t);
                if (m_update_form(&m))
                    m_adopt_order(&m, t);
            }
        }
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        expect_model(t, &m);
        t = pset_edit_end(t);
        expect_model(t, &m);
        pset_release(t);
        free(m.e);
        if (failed_at < 0) {
            REQ_UINT_EQ(fired, 0);
            break;
        }
    }
    expect_model(v, &m0);
    pset_release(v);
    free(m0.e);
    oom_teardown(&p);
}
END_TEST

/* ---- the checker ---------------------------------------------------------------------------- */

START_TEST(check_catches_damage)
{
    pool p;
    oom_setup(&p);
    model m = { NULL, 0, 0, false };
    pset *flat, *tree;
    build(5, &flat, &m, &p);
    free(m.e);
    m = (model){ NULL, 0, 0, false };
    build(20, &tree, &m, &p);
    free(m.e);
    pset *out; /* drop the one long member (id 9): 19 short ones, a tree */
    ck_assert_int_eq(pset_remove(tree, p.e[9]->bytes, p.e[9]->len, &out), 1);
    pset_release(tree);
    tree = out;
    ck_assert_str_eq(pset_encoding(tree), "hashtable");
    pset *ss[] = { flat, tree };
    char err[256];
    for (int i = 0; i < 2; i++) {
        pset *s = ss[i];
        ck_assert_int_eq(pset_check(s, err, sizeof err), 0);
        s->n++;
        ck_assert_int_eq(pset_check(s, err, sizeof err), -1);
        s->n--;
        s->nint++;
        ck_assert_int_eq(pset_check(s, err, sizeof err), -1);
        ck_assert_ptr_nonnull(strstr(err, "integer"));
        s->nint--;
        ck_assert_int_eq(pset_check(s, err, sizeof err), 0);
    }
    /* A member twice in a flat array. */
    velem *keep = flat->u.flat.items[1];
    flat->u.flat.items[1] = flat->u.flat.items[0];
    ck_assert_int_eq(pset_check(flat, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "twice"));
    flat->u.flat.items[1] = keep;
    limits(4, 16, 12);
    ck_assert_int_eq(pset_check(flat, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "over max entries"));
    limits(48, 16, 12);
    ck_assert_int_eq(pset_check(tree, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "small enough"));
    limits(8, 16, 12);
    pset_release(flat);
    pset_release(tree);
    oom_teardown(&p);
}
END_TEST

/* ---- readers in other threads --------------------------------------------------------------- */

typedef struct box {
    ebr_node node; /* first: the box is its node */
    pset *v;
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
    pset_release(b->v); /* the writer calls ebr_reclaim: its thread */
    free(b);
}

static void reader_check(const box *b, uint64_t *seed)
{
    const pset *v = b->v;
    REQ_UINT_EQ(pset_len(v), b->hi - b->lo);
    char buf[16];
    for (int i = 0; i < 8; i++) {
        *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned id = b->lo + (unsigned)((*seed >> 33) % (b->hi - b->lo + 4));
        int n = sprintf(buf, "%u", id);
        REQ(pset_has(v, buf, (size_t)n) == (id < b->hi));
    }
    if (b->lo > 0) {
        int n = sprintf(buf, "%u", b->lo - 1);
        REQ(!pset_has(v, buf, (size_t)n));
    }
    pset_iter it;
    pset_iter_init(&it, v);
    size_t n = 0;
    for (const velem *e; (e = pset_iter_next(&it)) != NULL; n++) {
        unsigned id = (unsigned)atoi((const char *)e->bytes);
        REQ(id >= b->lo && id < b->hi);
    }
    REQ_UINT_EQ(n, b->hi - b->lo);
    REQ_STR_EQ(pset_encoding(v), "intset"); /* all integers, few */
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
        /* acquire: pairs with the writer's release, so the version and
         * every member it reaches are seen complete. */
        box *b = atomic_load_explicit(&sh->cur, memory_order_acquire);
        reader_check(b, &seed);
        reader_check(b, &seed); /* an old version does not change */
        ebr_exit(r);
        atomic_fetch_add_explicit(&sh->reads, 1, memory_order_relaxed);
    }
    REQ_INT_EQ(ebr_unregister(r), 0);
    return NULL;
}

static void slide(pset **t, unsigned *lo, unsigned *hi, unsigned window,
                  bool transient)
{
    char buf[16];
    pset *out;
    int n = sprintf(buf, "%u", (*hi)++);
    REQ_INT_EQ(pset_add(*t, buf, (size_t)n, &out), 1);
    step(t, out, transient);
    while (*hi - *lo > window) {
        n = sprintf(buf, "%u", (*lo)++);
        REQ_INT_EQ(pset_remove(*t, buf, (size_t)n, &out), 1);
        step(t, out, transient);
    }
}

START_TEST(readers_while_writing)
{
    limits(16, 16, 512);
    shared sh;
    sh.d = ebr_create();
    REQ(sh.d != NULL);
    atomic_init(&sh.stop, false);
    atomic_init(&sh.reads, 0);
    box *b = calloc(1, sizeof *b);
    REQ(b != NULL);
    b->v = pset_new();
    REQ(b->v != NULL);
    atomic_init(&sh.cur, b);
    enum { READERS = 3 };
    pthread_t th[READERS];
    for (int i = 0; i < READERS; i++)
        REQ_INT_EQ(pthread_create(&th[i], NULL, reader_main, &sh), 0);
    long steps = test_scale(20000, 600);
    unsigned lo = 0, hi = 0;
    pset *v = pset_retain(b->v);
    for (long s = 0; s < steps; s++) {
        unsigned window = 2 + (unsigned)((s / 200) % 4) * 12;
        if (s % 5 == 0) {
            pset *t = pset_edit_begin(v);
            REQ(t != NULL);
            for (int e = 0; e < 4; e++)
                slide(&t, &lo, &hi, window, true);
            pset_release(v);
            v = pset_edit_end(t);
        } else {
            slide(&v, &lo, &hi, window, false);
        }
        box *nb = malloc(sizeof *nb);
        REQ(nb != NULL);
        nb->v = pset_retain(v);
        nb->lo = lo;
        nb->hi = hi;
        /* acq_rel: release publishes the complete version; the old box is
         * the writer's own store, so acquire costs nothing more here. */
        box *old = atomic_exchange_explicit(&sh.cur, nb, memory_order_acq_rel);
        ebr_retire(sh.d, &old->node, box_free, sizeof *old);
        if (s % 16 == 0)
            ebr_reclaim(sh.d);
    }
    while (atomic_load_explicit(&sh.reads, memory_order_relaxed) < READERS)
        sched_yield();
    atomic_store_explicit(&sh.stop, true, memory_order_relaxed);
    for (int i = 0; i < READERS; i++)
        REQ_INT_EQ(pthread_join(th[i], NULL), 0);
    box *last = atomic_load_explicit(&sh.cur, memory_order_relaxed);
    ebr_retire(sh.d, &last->node, box_free, sizeof *last);
    REQ_INT_EQ(ebr_destroy(sh.d), 0);
    check_set(v);
    REQ_UINT_EQ(pset_len(v), hi - lo);
    pset_release(v);
    default_limits();
}
END_TEST

/* ---- a big set: one edit costs O(log n) --------------------------------------------- */

/* SADD and SREM on a set of n members allocate a few objects (the new
 * member, a header, one trie path), whatever n is, and leave the old
 * version as it was; a batch that adds and removes the same few members
 * many times copies the paths to them once. */
START_TEST(large_edit_allocates_little)
{
    default_limits();
    long n = test_scale(100000, 5000);
    pset *e = pset_new(), *t, *v, *out;
    REQ(e != NULL);
    t = pset_edit_begin(e);
    REQ(t != NULL);
    pset_release(e);
    char buf[32];
    for (long i = 0; i < n; i++) {
        int len = sprintf(buf, "member:%06ld", i);
        REQ_INT_EQ(pset_add(t, buf, (size_t)len, &out), 1);
    }
    v = pset_edit_end(t);
    check_set(v);
    ck_assert_str_eq(pset_encoding(v), "hashtable");
    for (int k = 0; k < 3; k++) {
        int len = sprintf(buf, "member:%06ld", k == 0 ? n + 1 : n / 2);
        alloc_fail_nth(ULONG_MAX); /* count allocations */
        int rc = k == 0   ? pset_add(v, buf, (size_t)len, &out)
                 : k == 1 ? pset_remove(v, buf, (size_t)len, &out)
                          : pset_add(v, buf, (size_t)len, &out);
        unsigned long allocs = alloc_fail_seen();
        alloc_fail_off();
        REQ_INT_EQ(rc, k == 2 ? 0 : 1);
        if (allocs > 2 + PTRIE_LEVELS)
            ck_abort_msg("edit %d on %ld members: %lu allocations", k, n,
                         allocs);
        check_set(out);
        REQ(pset_has(v, buf, (size_t)len) == (k != 0));
        REQ_UINT_EQ(pset_len(v), (size_t)n);
        REQ(pset_has(out, buf, (size_t)len) == (k != 1));
        pset_release(out);
    }
    long edits = 1000;
    alloc_fail_nth(ULONG_MAX);
    t = pset_edit_begin(v);
    REQ(t != NULL);
    for (long i = 0; i < edits; i++) {
        int len = sprintf(buf, "member:%06ld", (i % 10) * 7 + 3);
        REQ_INT_EQ(pset_remove(t, buf, (size_t)len, &out), 1);
        REQ_INT_EQ(pset_add(t, buf, (size_t)len, &out), 1);
    }
    t = pset_edit_end(t);
    unsigned long allocs = alloc_fail_seen();
    alloc_fail_off();
    /* One new member per add; a trie node is allocated with exactly the
     * slots it uses (ptrie.h), so the node an add or remove changes is
     * reallocated, but the path above it is copied once for the batch:
     * nowhere near the 1000 * (2 + path length) of one version each.  A
     * member that shares a small node with one other member costs one
     * more: its remove folds the node into its parent (canonical form)
     * and its add makes the node again.  Which members do depends on the
     * process's hash key, so the bound allows it for every one. */
    if (allocs > 3 * (unsigned long)edits + 10 * PTRIE_LEVELS + 4)
        ck_abort_msg("batch of %ld edits: %lu allocations", edits, allocs);
    check_set(t);
    REQ_UINT_EQ(pset_len(t), (size_t)n);
    pset_release(t);
    pset_release(v);
}
END_TEST

Suite *ch08_pset_suite(void)
{
    Suite *s = suite_create("ch08_pset");
    TCase *tc = test_tcase("pset", 240);
    tcase_add_test(tc, canonical_integers);
    tcase_add_test(tc, basics);
    tcase_add_test(tc, encodings_at_the_limits);
    tcase_add_test(tc, zero_entries_means_always_a_tree);
    tcase_add_test(tc, check_catches_damage);
    tcase_add_test(tc, random_tiny_limits);
    tcase_add_test(tc, random_default_limits);
    tcase_add_test(tc, allocation_failure_every_edit);
    tcase_add_test(tc, allocation_failure_in_a_batch);
    tcase_add_test(tc, readers_while_writing);
    tcase_add_test(tc, large_edit_allocates_little);
    suite_add_tcase(s, tc);
    return s;
}
