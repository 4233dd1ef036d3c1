/* ch08_plist.c - chapter 8: the persistent list against a flat array of items.
 *
 * Every test drives plist edits and keeps a model, a plain array of the
 * same velem pointers, edited the slow, obvious way.  After edits the list
 * must hold exactly the model's items (the same objects, so sharing is
 * checked too) in the model's order, and plist_check() must pass.  A pool
 * of items the test holds itself is pushed by reference (LMOVE's way);
 * when the last version goes, every pool item must be back to the one
 * reference the test holds.  Most runs use tiny limits, so that lists
 * cross between the flat form and the tree both ways many times; one runs
 * with the defaults.  Sizes scale with TEST_SCALE (test_scale()).
 */
#include "plist.h"
#include "plist_private.h" /* check_catches_damage breaks a list */
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

/* ---- items -------------------------------------------------------------- */

/* Mostly short values from a small alphabet (so LREM and LPOS find
 * several), now and then a long one (so the byte limit is crossed). */
static size_t g_long_max = 40;

static size_t make_value(char *buf, size_t cap)
{
    if (below(25) == 0) {
        size_t n = 10 + below(g_long_max);
        n = n < cap ? n : cap;
        memset(buf, 'a' + (int)below(3), n);
        return n;
    }
    return (size_t)snprintf(buf, cap, "v%u", (unsigned)below(12));
}

enum { POOL = 24 };
static velem *g_pool[POOL];

static void pool_make(void)
{
    for (int i = 0; i < POOL; i++) {
        char b[16];
        int n = snprintf(b, sizeof b, "v%d", i % 12); /* equal to values */
        g_pool[i] = velem_new(b, (size_t)n);
        REQ(g_pool[i] != NULL);
    }
}

/* Every pool item is back to the test's own reference; then free them. */
static void pool_free(void)
{
    for (int i = 0; i < POOL; i++) {
        if (g_pool[i]->refs != 1)
            ck_abort_msg("pool item %d holds %u references, want 1", i,
                         g_pool[i]->refs);
        velem_release(g_pool[i]);
    }
}

/* Sum of pool reference counts: an edit that fails must not change it. */
static unsigned long pool_refs(void)
{
    unsigned long s = 0;
    for (int i = 0; i < POOL; i++)
        s += g_pool[i]->refs;
    return s;
}

/* ---- the model ---------------------------------------------------------- */

typedef struct model {
    velem **a;
    size_t n, cap;
} model;

static void m_insert(model *m, size_t i, velem *e)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 64;
        m->a = realloc(m->a, m->cap * sizeof *m->a);
        REQ(m->a != NULL);
    }
    memmove(&m->a[i + 1], &m->a[i], (m->n - i) * sizeof *m->a);
    m->a[i] = velem_retain(e);
    m->n++;
}

static void m_delete_range(model *m, size_t i, size_t j)
{
    if (m->a == NULL)
        return;
    for (size_t k = i; k < j; k++)
        velem_release(m->a[k]);
    memmove(&m->a[i], &m->a[j], (m->n - j) * sizeof *m->a);
    m->n -= j - i;
}

static void m_set(model *m, size_t i, velem *e)
{
    velem_retain(e);
    velem_release(m->a[i]);
    m->a[i] = e;
}

static model m_copy(const model *m)
{
    model c = { NULL, m->n, m->n };
    c.a = malloc((m->n ? m->n : 1) * sizeof *c.a);
    ck_assert_ptr_nonnull(c.a);
    for (size_t i = 0; i < m->n; i++)
        c.a[i] = velem_retain(m->a[i]);
    return c;
}

static void m_free(model *m)
{
    m_delete_range(m, 0, m->n);
    free(m->a);
    *m = (model){ 0 };
}

/* LREM on the model: the first |count| matches from one end (0: all). */
static size_t m_remove(model *m, const void *p, size_t len, long count)
{
    size_t want = count == 0 ? SIZE_MAX : (size_t)(count < 0 ? -count : count);
    size_t done = 0;
    if (count >= 0) {
        for (size_t i = 0; i < m->n && done < want;) {
            if (velem_eq(m->a[i], p, len)) {
                m_delete_range(m, i, i + 1);
                done++;
            } else {
                i++;
            }
        }
    } else {
        for (size_t i = m->n; i > 0 && done < want; i--) {
            if (velem_eq(m->a[i - 1], p, len)) {
                m_delete_range(m, i - 1, i);
                done++;
            }
        }
    }
    return done;
}

/* ---- comparing ---------------------------------------------------------- */

static void check_list(const plist *l)
{
    char err[256] = "";
    if (plist_check(l, err, sizeof err) != 0)
        ck_abort_msg("plist_check: %s", err);
}

/* Full compare: invariants, length, every item in order both ways. */
static void expect_model(const plist *l, const model *m)
{
    check_list(l);
    REQ_UINT_EQ(plist_len(l), m->n);
    plist_iter it;
    size_t i = 0;
    for (plist_iter_seek(&it, l, 0); plist_iter_valid(&it);
         plist_iter_next(&it), i++) {
        REQ_UINT_EQ(plist_iter_pos(&it), i);
        if (plist_iter_elem(&it) != m->a[i])
            ck_abort_msg("position %zu of %zu (%s): got \"%s\", want \"%s\"",
                         i, m->n, plist_encoding(l),
                         (const char *)plist_iter_elem(&it)->bytes,
                         (const char *)m->a[i]->bytes);
    }
    REQ_UINT_EQ(i, m->n);
    plist_iter_seek(&it, l, m->n);
    for (i = m->n; i > 0; i--) {
        plist_iter_prev(&it);
        REQ(plist_iter_valid(&it));
        REQ_PTR_EQ(plist_iter_elem(&it), m->a[i - 1]);
    }
    plist_iter_prev(&it);
    REQ(!plist_iter_valid(&it));
    REQ_UINT_EQ(plist_iter_pos(&it), SIZE_MAX);
    plist_iter_next(&it);
    REQ_UINT_EQ(plist_iter_pos(&it), m->n > 0 ? 0 : m->n);
}

/* Iterate k steps both ways from position i. */
static void expect_iter_from(const plist *l, const model *m, size_t i,
                             size_t k)
{
    plist_iter it;
    plist_iter_seek(&it, l, i);
    for (size_t s = 0; s < k && i + s < m->n; s++) {
        REQ_PTR_EQ(plist_iter_elem(&it), m->a[i + s]);
        plist_iter_next(&it);
    }
    if (m->n == 0)
        return;
    i = i < m->n ? i : m->n - 1;
    plist_iter_seek(&it, l, i);
    for (size_t s = 0; s <= i && s < k; s++) {
        REQ_PTR_EQ(plist_iter_elem(&it), m->a[i - s]);
        plist_iter_prev(&it);
    }
}

/* The form follows the limits: flat at or under them, and a tree only
 * when over half of them (plist_check() checks it too; this says which). */
static void expect_form(const plist *l, const model *m)
{
    size_t bytes = 0;
    for (size_t i = 0; i < m->n; i++)
        bytes += m->a[i]->len;
    bool flat = strcmp(plist_encoding(l), "listpack") == 0;
    if (flat)
        REQ(m->n <= plist_max_entries && bytes <= plist_max_bytes);
    else
        REQ(m->n > plist_max_entries / 2 || bytes > plist_max_bytes / 2);
}

/* ---- LPOS against the model --------------------------------------------- */

typedef struct found {
    size_t pos[64]; /* the first 64 positions */
    size_t n;       /* how many were reported */
} found;

static void note_pos(size_t pos, void *arg)
{
    found *f = arg;
    if (f->n < 64)
        f->pos[f->n] = pos;
    f->n++;
}

static void expect_find(const plist *l, const model *m, const void *p,
                        size_t len, long rank, size_t count, size_t maxlen)
{
    found got = { .n = 0 }, want = { .n = 0 };
    long rc = plist_find(l, p, len, rank, count, maxlen, note_pos, &got);
    REQ_INT_EQ(rc, (long)got.n);
    size_t skip = (size_t)(rank < 0 ? -rank : rank), matches = 0;
    for (size_t k = 0; k < m->n && (maxlen == 0 || k < maxlen); k++) {
        size_t i = rank > 0 ? k : m->n - 1 - k;
        if (velem_eq(m->a[i], p, len) && ++matches >= skip) {
            note_pos(i, &want);
            if (count != 0 && want.n >= count)
                break;
        }
    }
    REQ_UINT_EQ(got.n, want.n);
    for (size_t k = 0; k < got.n && k < 64; k++)
        REQ_UINT_EQ(got.pos[k], want.pos[k]);
}

/* ---- random edits, applied to list and model alike ---------------------- */

enum { E_PUSHF, E_PUSHB, E_PUSHEF, E_PUSHEB, E_POPF, E_POPB, E_SET,
       E_INSERT, E_DELETE, E_RANGE, E_REMOVE, E_FIND, E_KINDS };

/* Pick an edit kind: grow tilts the mix towards pushes and inserts. */
static unsigned pick_kind(size_t n, int grow)
{
    unsigned r = (unsigned)below(100);
    if (n == 0 || r < (grow ? 60u : 22u))
        return (unsigned)below(6) < 4 ? E_PUSHF + (unsigned)below(4)
                                      : E_INSERT;
    if (r < 75) {
        unsigned x = (unsigned)below(3);
        return x == 0 ? E_POPF : x == 1 ? E_POPB : E_DELETE;
    }
    if (r < 85)
        return E_SET;
    if (r < 92)
        return E_RANGE;
    if (r < 96) /* LREM of a common value removes a twelfth: shrinking only */
        return grow ? E_FIND : E_REMOVE;
    return E_FIND;
}

/* One edit of kind k on l (a version or a transient) and m.  *touched is
 * the position to look at afterwards (SIZE_MAX: none). */
static int do_edit(plist *l, model *m, unsigned k, int grow, plist **out,
                   size_t *touched)
{
    char buf[8192];
    size_t n = m->n, len, i, j;
    int rc;
    velem *e, *popped = NULL;
    *touched = SIZE_MAX;
    switch (k) {
    case E_PUSHF:
    case E_PUSHB:
        len = make_value(buf, sizeof buf);
        rc = k == E_PUSHF ? plist_push_front(l, buf, len, out)
                          : plist_push_back(l, buf, len, out);
        if (rc == 0) {
            i = k == E_PUSHF ? 0 : n;
            e = (velem *)plist_get(*out, i);
            REQ(e != NULL && velem_eq(e, buf, len));
            m_insert(m, i, e);
            *touched = i;
        }
        return rc;
    case E_PUSHEF:
    case E_PUSHEB:
        e = g_pool[below(POOL)];
        rc = k == E_PUSHEF ? plist_push_elem_front(l, e, out)
                           : plist_push_elem_back(l, e, out);
        if (rc == 0) {
            i = k == E_PUSHEF ? 0 : n;
            m_insert(m, i, e);
            REQ_PTR_EQ(plist_get(*out, i), e); /* shared, not copied */
            *touched = i;
        }
        return rc;
    case E_POPF:
    case E_POPB:
        rc = k == E_POPF ? plist_pop_front(l, &popped, out)
                         : plist_pop_back(l, &popped, out);
        if (n == 0) {
            REQ_INT_EQ(rc, -1);
            REQ_INT_EQ(errno, EINVAL);
            *out = l->transient ? l : plist_retain(l);
            return 0;
        }
        if (rc == 0) {
            i = k == E_POPF ? 0 : n - 1;
            REQ_PTR_EQ(popped, m->a[i]);
            m_delete_range(m, i, i + 1);
            REQ(popped->refs >= 1);
            velem_release(popped);
            *touched = k == E_POPF ? 0 : m->n - 1;
        }
        return rc;
    case E_SET:
        if (n == 0)
            return plist_delete_range(l, 0, 0, out);
        i = below(n);
        len = make_value(buf, sizeof buf);
        rc = plist_set(l, i, buf, len, out);
        if (rc == 0) {
            e = (velem *)plist_get(*out, i);
            REQ(velem_eq(e, buf, len));
            m_set(m, i, e);
            *touched = i;
        }
        return rc;
    case E_INSERT:
        i = below(n + 1);
        len = make_value(buf, sizeof buf);
        rc = plist_insert(l, i, buf, len, out);
        if (rc == 0) {
            e = (velem *)plist_get(*out, i);
            REQ(velem_eq(e, buf, len));
            m_insert(m, i, e);
            *touched = i;
        }
        return rc;
    case E_DELETE:
        if (n == 0)
            return plist_delete_range(l, 0, 0, out);
        i = below(n);
        rc = plist_delete(l, i, out);
        if (rc == 0) {
            m_delete_range(m, i, i + 1);
            *touched = i;
        }
        return rc;
    case E_RANGE:
        i = below(n + 1);
        j = i + below(grow ? 4 : below(10) == 0 ? n - i + 1 : 12);
        j = j > n ? n : j;
        rc = plist_delete_range(l, i, j, out);
        if (rc == 0) {
            m_delete_range(m, i, j);
            *touched = i;
        }
        return rc;
    case E_REMOVE: {
        len = make_value(buf, sizeof buf);
        long count = (long)below(5) - 2;
        size_t removed = 99;
        rc = plist_remove_matching(l, buf, len, count, &removed, out);
        if (rc == 0)
            REQ_UINT_EQ(removed, m_remove(m, buf, len, count));
        return rc;
    }
    default: /* E_FIND */
        len = make_value(buf, sizeof buf);
        expect_find(l, m, buf, len, below(2) ? 1 + (long)below(3)
                                              : -1 - (long)below(3),
                    below(4), below(3) == 0 ? below(n + 1) : 0);
        *out = l->transient ? l : plist_retain(l);
        return 0;
    }
}

static void step_to(plist **v, plist *next)
{
    plist_release(*v); /* an unchanged result is *v with one more ref */
    *v = next;
}

typedef struct saved {
    plist *v;
    model m;
} saved;

typedef struct run_stats {
    long to_tree, to_flat; /* form changes seen between steps */
    long cycles;           /* times the list grew and emptied again */
    size_t peak;           /* most items it held */
} run_stats;

/* [steps] random edits; the size goes up to a random target (at most
 * maxn) and back down to 0, over and over. */
static run_stats random_run(uint64_t seed, long steps, size_t maxn)
{
    rng_state = seed;
    pool_make();
    plist *v = plist_new();
    ck_assert_ptr_nonnull(v);
    model m = { 0 };
    enum { NSAVED = 40 };
    saved keep[NSAVED];
    size_t nkeep = 0;
    long every = steps / NSAVED > 0 ? steps / NSAVED : 1;
    int grow = 1;
    size_t target = 1 + below(maxn);
    run_stats rs = { 0, 0, 0, 0 };
    long cycles = 0;
    size_t peak = 0;
    for (long s = 0; s < steps; s++) {
        if (grow && m.n >= target) {
            grow = 0;
        } else if (!grow && m.n == 0) {
            grow = 1;
            cycles++;
            target = below(3) == 0 ? 1 + below(maxn) : 1 + below(maxn / 8 + 2);
        }
        const char *before = plist_encoding(v);
        plist *next;
        size_t touched;
        if (below(40) == 0) { /* a batch of edits in one transient */
            plist *t = plist_edit_begin(v);
            ck_assert_ptr_nonnull(t);
            REQ(plist_is_transient(t));
            size_t k = 1 + below(30);
            for (size_t e = 0; e < k; e++) {
                REQ_INT_EQ(do_edit(t, &m, pick_kind(m.n, grow), grow, &next,
                                   &touched), 0);
                REQ_PTR_EQ(next, t);
                if (e % 8 == 0)
                    expect_model(t, &m);
            }
            next = plist_edit_end(t);
            REQ(!plist_is_transient(next));
        } else {
            REQ_INT_EQ(do_edit(v, &m, pick_kind(m.n, grow), grow, &next,
                               &touched), 0);
            if (touched != SIZE_MAX && touched < m.n)
                REQ_PTR_EQ(plist_get(next, touched), m.a[touched]);
        }
        step_to(&v, next);
        peak = m.n > peak ? m.n : peak;
        const char *after = plist_encoding(v);
        if (strcmp(before, after) != 0) {
            if (after[0] == 'q')
                rs.to_tree++;
            else
                rs.to_flat++;
        }
        if (m.n < 40 || s % 1000 == 0) {
            expect_model(v, &m);
            expect_form(v, &m);
            expect_iter_from(v, &m, below(m.n + 1), 20);
        } else {
            size_t i = below(m.n);
            REQ_PTR_EQ(plist_get(v, i), m.a[i]);
        }
        if (s % every == 0 && nkeep < NSAVED) {
            keep[nkeep].v = plist_retain(v);
            keep[nkeep++].m = m_copy(&m);
        }
    }
    rs.cycles = cycles;
    rs.peak = peak;
    expect_model(v, &m);
    /* Old versions are as they were, however many edits came after. */
    for (size_t k = nkeep; k > 0; k--) {
        size_t pick = below(k);
        saved tmp = keep[pick];
        keep[pick] = keep[k - 1];
        expect_model(tmp.v, &tmp.m);
        plist_release(tmp.v);
        m_free(&tmp.m);
    }
    plist_release(v);
    m_free(&m);
    pool_free();
    return rs;
}

START_TEST(random_tiny_limits)
{
    plist_set_limits(8, 64);
    g_long_max = 40;
    long steps = test_scale(100000, 4000);
    run_stats rs = random_run(0x91157001, steps, (size_t)test_scale(400, 60));
    /* Both ways, many times (about one change each 400 steps). */
    ck_assert_int_ge(rs.to_tree, steps / 1000);
    ck_assert_int_ge(rs.to_flat, steps / 1000);
    ck_assert_int_ge(rs.cycles, steps / 5000);
    plist_set_limits(PLIST_DEFAULT_MAX_ENTRIES, PLIST_DEFAULT_MAX_BYTES);
}
END_TEST

START_TEST(random_default_limits)
{
    plist_set_limits(PLIST_DEFAULT_MAX_ENTRIES, PLIST_DEFAULT_MAX_BYTES);
    g_long_max = 1500;
    run_stats rs = random_run(0x91157002, test_scale(100000, 1500),
                              (size_t)test_scale(1500, 300));
    ck_assert_int_ge(rs.to_tree, 2);
    ck_assert_int_ge(rs.to_flat, 2);
    ck_assert_int_ge(rs.cycles, 2);
    ck_assert_uint_gt(rs.peak, PLIST_DEFAULT_MAX_ENTRIES); /* by entries */
    g_long_max = 40;
}
END_TEST

/* ---- the thresholds, exactly -------------------------------------------- */

START_TEST(thresholds_with_hysteresis)
{
    plist_set_limits(PLIST_DEFAULT_MAX_ENTRIES, PLIST_DEFAULT_MAX_BYTES);
    plist *v = plist_new(), *next;
    velem *pop;
    /* By entries: 64 stay flat, the 65th makes a tree ... */
    for (int i = 0; i < PLIST_DEFAULT_MAX_ENTRIES; i++) {
        REQ_INT_EQ(plist_push_back(v, "x", 1, &next), 0);
        step_to(&v, next);
    }
    ck_assert_str_eq(plist_encoding(v), "listpack");
    REQ_INT_EQ(plist_push_back(v, "x", 1, &next), 0);
    step_to(&v, next);
    ck_assert_str_eq(plist_encoding(v), "quicklist");
    /* ... which stays a tree down to 33 items, and is flat at 32. */
    while (plist_len(v) > PLIST_DEFAULT_MAX_ENTRIES / 2 + 1) {
        REQ_INT_EQ(plist_pop_front(v, &pop, &next), 0);
        velem_release(pop);
        step_to(&v, next);
        ck_assert_str_eq(plist_encoding(v), "quicklist");
    }
    REQ_INT_EQ(plist_pop_back(v, &pop, &next), 0);
    velem_release(pop);
    step_to(&v, next);
    ck_assert_str_eq(plist_encoding(v), "listpack");
    check_list(v);
    plist_release(v);

    /* By bytes: 8 items of 1 KiB are 8192 bytes, flat; one byte more is
     * a tree; LSET to small items brings it back under half. */
    char kb[1024];
    memset(kb, 'k', sizeof kb);
    v = plist_new();
    for (int i = 0; i < 8; i++) {
        REQ_INT_EQ(plist_push_front(v, kb, sizeof kb, &next), 0);
        step_to(&v, next);
    }
    ck_assert_str_eq(plist_encoding(v), "listpack");
    REQ_INT_EQ(plist_push_front(v, "y", 1, &next), 0);
    step_to(&v, next);
    ck_assert_str_eq(plist_encoding(v), "quicklist");
    for (size_t i = 0; i < 4; i++) { /* 5 KiB left: still a tree */
        REQ_INT_EQ(plist_set(v, 1 + i, "s", 1, &next), 0);
        step_to(&v, next);
        ck_assert_str_eq(plist_encoding(v), "quicklist");
    }
    REQ_INT_EQ(plist_set(v, 5, "s", 1, &next), 0); /* 3 KiB: flat */
    step_to(&v, next);
    ck_assert_str_eq(plist_encoding(v), "listpack");
    check_list(v);
    plist_release(v);
}
END_TEST

/* ---- edges, errors and sharing ------------------------------------------ */

START_TEST(edges_and_errors)
{
    plist_set_limits(4, 64);
    plist *v = plist_new(), *next = NULL;
    ck_assert_ptr_nonnull(v);
    check_list(v);
    REQ_UINT_EQ(plist_len(v), 0);
    ck_assert_ptr_null(plist_get(v, 0));
    ck_assert_str_eq(plist_encoding(v), "listpack");
    velem *pop = NULL;
    errno = 0;
    REQ_INT_EQ(plist_pop_front(v, &pop, &next), -1);
    REQ_INT_EQ(errno, EINVAL);
    REQ_INT_EQ(plist_pop_back(v, &pop, &next), -1);
    REQ_INT_EQ(plist_set(v, 0, "a", 1, &next), -1);
    REQ_INT_EQ(plist_insert(v, 1, "a", 1, &next), -1);
    REQ_INT_EQ(plist_delete(v, 0, &next), -1);
    REQ_INT_EQ(plist_delete_range(v, 0, 1, &next), -1);
    ck_assert_ptr_null(next);
    ck_assert_ptr_null(pop);
    errno = 0;
    REQ_INT_EQ(plist_find(v, "a", 1, 0, 0, 0, note_pos, NULL), -1);
    REQ_INT_EQ(errno, EINVAL);
    /* Nothing to do: the same version, one more reference. */
    REQ_INT_EQ(plist_delete_range(v, 0, 0, &next), 0);
    REQ_PTR_EQ(next, v);
    plist_release(next);
    size_t removed = 7;
    REQ_INT_EQ(plist_remove_matching(v, "a", 1, 0, &removed, &next), 0);
    REQ_PTR_EQ(next, v);
    REQ_UINT_EQ(removed, 0);
    plist_release(next);

    /* Shared elements: the same object in two lists and two places. */
    velem *e = velem_new("shared", 6);
    plist *a, *w, *p2, *p3;
    REQ_INT_EQ(plist_push_elem_back(v, e, &a), 0);
    REQ_INT_EQ(plist_push_elem_front(a, e, &w), 0);
    REQ_PTR_EQ(plist_get(w, 0), e);
    REQ_PTR_EQ(plist_get(w, 1), e);
    REQ_UINT_EQ(e->refs, 4); /* ours, a's, w's two */
    REQ_INT_EQ(plist_pop_front(w, &pop, &p2), 0);
    REQ_PTR_EQ(pop, e);      /* popped with a reference of its own */
    REQ_UINT_EQ(e->refs, 6); /* and p2 holds it once */
    velem_release(pop);
    plist_release(p2);
    REQ_UINT_EQ(e->refs, 4);
    /* An empty element is an element. */
    REQ_INT_EQ(plist_push_back(w, NULL, 0, &p3), 0);
    REQ_UINT_EQ(plist_get(p3, 2)->len, 0);
    REQ_UINT_EQ(e->refs, 6);
    plist_release(p3);
    plist_release(w);
    plist_release(a);
    REQ_UINT_EQ(e->refs, 1); /* only ours is left */
    velem_release(e);

    /* Iterating an empty list and a one-item list. */
    plist_iter it;
    plist_iter_seek(&it, v, 0);
    REQ(!plist_iter_valid(&it));
    plist_iter_prev(&it);
    REQ(!plist_iter_valid(&it));
    REQ_UINT_EQ(plist_iter_pos(&it), SIZE_MAX);

    /* A transient of a transient is refused. */
    plist *t = plist_edit_begin(v);
    ck_assert_ptr_nonnull(t);
    errno = 0;
    ck_assert_ptr_null(plist_edit_begin(t));
    REQ_INT_EQ(errno, EINVAL);
    plist_release(t);
    plist_release(v);
    plist_set_limits(PLIST_DEFAULT_MAX_ENTRIES, PLIST_DEFAULT_MAX_BYTES);
}
END_TEST

/* LMOVE: the popped element goes to the other list as the same object. */
START_TEST(lmove_shares_the_element)
{
    plist *a = NULL, *b = plist_new(), *next;
    REQ_INT_EQ(plist_from_array(NULL, 0, &a), 0);
    const char *vals[] = { "one", "two", "three" };
    for (int i = 0; i < 3; i++) {
        REQ_INT_EQ(plist_push_back(a, vals[i], strlen(vals[i]), &next), 0);
        step_to(&a, next);
    }
    /* LMOVE a b RIGHT LEFT: pop from a, push the same object on b. */
    velem *e;
    REQ_INT_EQ(plist_pop_back(a, &e, &next), 0);
    step_to(&a, next);
    REQ_INT_EQ(plist_push_elem_front(b, e, &next), 0);
    step_to(&b, next);
    REQ_PTR_EQ(plist_get(b, 0), e);
    REQ_UINT_EQ(e->refs, 2); /* b's and the pop's */
    velem_release(e);
    REQ_UINT_EQ(plist_len(a), 2);
    ck_assert(velem_eq(plist_get(b, 0), "three", 5));
    plist_release(a);
    plist_release(b);
}
END_TEST

/* The checker must catch a broken list, or every test could pass on a
 * checker that accepts anything. */
START_TEST(check_catches_damage)
{
    plist_set_limits(8, 64);
    plist *v = plist_new(), *next;
    for (int i = 0; i < 6; i++) {
        REQ_INT_EQ(plist_push_back(v, "abc", 3, &next), 0);
        step_to(&v, next);
    }
    char err[256];
    check_list(v);
    v->bytes++;
    REQ_INT_EQ(plist_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "byte total"));
    v->bytes--;
    plist_set_limits(4, 64); /* now over the limit: should be a tree */
    REQ_INT_EQ(plist_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "over the limits"));
    plist_set_limits(8, 64);
    velem *keep = v->items[2];
    v->items[2] = NULL;
    REQ_INT_EQ(plist_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "missing"));
    v->items[2] = keep;
    check_list(v);
    /* A tree small enough to be flat. */
    for (int i = 0; i < 3; i++) {
        REQ_INT_EQ(plist_push_back(v, "abc", 3, &next), 0);
        step_to(&v, next);
    }
    ck_assert_str_eq(plist_encoding(v), "quicklist");
    check_list(v);
    plist_set_limits(100, 6400);
    REQ_INT_EQ(plist_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "should be flat"));
    plist_set_limits(8, 64);
    v->len++;
    REQ_INT_EQ(plist_check(v, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "length"));
    v->len--;
    check_list(v);
    plist_release(v);
    plist_set_limits(PLIST_DEFAULT_MAX_ENTRIES, PLIST_DEFAULT_MAX_BYTES);
}
END_TEST

/* ---- building at once (RDB loading) ------------------------------------- */

START_TEST(from_array_all_sizes)
{
    plist_set_limits(PLIST_DEFAULT_MAX_ENTRIES, PLIST_DEFAULT_MAX_BYTES);
    pool_make();
    size_t sizes[] = { 0, 1, 32, 63, 64, 65, 128, 129, 1000, 5000 };
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        size_t n = sizes[s];
        model m = { 0 };
        for (size_t i = 0; i < n; i++)
            m_insert(&m, i, g_pool[i % POOL]);
        unsigned long refs = pool_refs();
        plist *v = NULL;
        for (unsigned long nth = 1;; nth++) { /* every allocation fails once */
            alloc_fail_nth(nth);
            int rc = plist_from_array(m.a, n, &v);
            alloc_fail_off();
            if (rc == 0)
                break;
            REQ_INT_EQ(errno, ENOMEM);
            REQ_UINT_EQ(pool_refs(), refs);
        }
        expect_model(v, &m);
        ck_assert_str_eq(plist_encoding(v), n <= PLIST_DEFAULT_MAX_ENTRIES
                                                ? "listpack" : "quicklist");
        plist_release(v);
        m_free(&m);
    }
    /* Few items, many bytes: a tree. */
    char big[5000];
    memset(big, 'b', sizeof big);
    velem *two[2] = { velem_new(big, sizeof big), velem_new(big, sizeof big) };
    plist *v;
    REQ_INT_EQ(plist_from_array(two, 2, &v), 0);
    ck_assert_str_eq(plist_encoding(v), "quicklist");
    check_list(v);
    plist_release(v);
    velem_release(two[0]);
    velem_release(two[1]);
    pool_free();
}
END_TEST

/* ---- allocation failure ------------------------------------------------- */

/* A list of n items (flat or tree by the limits) and its model. */
static plist *build(model *m, size_t n)
{
    plist *v = plist_new(), *next;
    for (size_t i = 0; i < n; i++) {
        velem *e = g_pool[i % POOL];
        REQ_INT_EQ(plist_push_elem_back(v, e, &next), 0);
        step_to(&v, next);
        m_insert(m, m->n, e);
    }
    return v;
}

/* Fail allocation 1, 2, ... of one edit until it succeeds; after each
 * failure the list must hold what it held, nothing may be lost. */
static void fail_each_allocation(plist *l, model *m, unsigned kind,
                                 uint64_t seed, plist **out)
{
    model before = m_copy(m);
    unsigned long refs = pool_refs();
    for (unsigned long nth = 1;; nth++) {
        rng_state = seed;
        size_t touched;
        alloc_fail_nth(nth);
        errno = 0;
        int rc = do_edit(l, m, kind, 0, out, &touched);
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        if (rc == 0) {
            REQ_UINT_EQ(fired, 0);
            break;
        }
        REQ_INT_EQ(rc, -1);
        REQ_INT_EQ(errno, ENOMEM);
        REQ_UINT_EQ(fired, 1);
        expect_model(l, &before);
        REQ_UINT_EQ(pool_refs(), refs);
        ck_assert_uint_lt(nth, 10000);
    }
    m_free(&before);
}

START_TEST(allocation_failure_every_edit)
{
    plist_set_limits(8, 64);
    pool_make();
    /* Around both thresholds (8 entries, 4 on the way down) and far. */
    size_t sizes[] = { 0, 1, 3, 4, 5, 7, 8, 9, 12, 40, 300 };
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        for (unsigned kind = 0; kind < E_KINDS; kind++) {
            for (uint64_t seed = 1; seed <= 3; seed++) {
                model m = { 0 };
                plist *v = build(&m, sizes[s]), *next;
                model before = m_copy(&m);
                fail_each_allocation(v, &m, kind, seed * 31 + kind, &next);
                expect_model(v, &before); /* the input is intact */
                expect_model(next, &m);   /* the result is right */
                plist_release(next);
                plist_release(v);
                m_free(&m);
                m_free(&before);
            }
        }
    }
    pool_free();
    plist_set_limits(PLIST_DEFAULT_MAX_ENTRIES, PLIST_DEFAULT_MAX_BYTES);
}
END_TEST

START_TEST(allocation_failure_in_a_batch)
{
    plist_set_limits(8, 64);
    pool_make();
    size_t sizes[] = { 0, 3, 8, 9, 60 };
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        model m = { 0 };
        plist *v = build(&m, sizes[s]), *next;
        model before = m_copy(&m);
        plist *t = NULL;
        for (unsigned long nth = 1; t == NULL; nth++) {
            alloc_fail_nth(nth);
            t = plist_edit_begin(v);
            alloc_fail_off();
            REQ(t != NULL || errno == ENOMEM);
        }
        /* Each edit of the batch fails at each of its allocations; the
         * transient keeps what the batch had done so far, across both
         * forms (the mix grows, then shrinks). */
        for (unsigned e = 0; e < 120; e++) {
            static const unsigned up[] = { E_PUSHF, E_PUSHB, E_PUSHEF,
                                           E_PUSHEB, E_INSERT, E_SET, E_FIND };
            static const unsigned down[] = { E_POPF, E_POPB, E_DELETE,
                                             E_RANGE, E_REMOVE, E_SET };
            unsigned kind = e < 60 ? up[e % 7] : down[e % 6];
            fail_each_allocation(t, &m, kind, 500 + e, &next);
            REQ_PTR_EQ(next, t);
        }
        plist *w = plist_edit_end(t);
        expect_model(w, &m);
        expect_model(v, &before);
        plist_release(w);
        plist_release(v);
        m_free(&m);
        m_free(&before);
    }
    pool_free();
    plist_set_limits(PLIST_DEFAULT_MAX_ENTRIES, PLIST_DEFAULT_MAX_BYTES);
}
END_TEST

/* ---- readers in threads, versions retired through ebr ------------------- */

/* A published version and what a reader must find in it. */
typedef struct box {
    ebr_node node; /* first: the node is the box */
    plist *l;
    size_t len;
    uint64_t sum;
} box;

static uint64_t content_sum(const plist *l)
{
    uint64_t s = 0;
    plist_iter it;
    for (plist_iter_seek(&it, l, 0); plist_iter_valid(&it);
         plist_iter_next(&it)) {
        const velem *e = plist_iter_elem(&it);
        s = s * 31 + e->len + (e->len > 0 ? e->bytes[e->len - 1] : 0);
    }
    return s;
}

static void box_free(ebr_node *n)
{
    box *b = (box *)(void *)n;
    plist_release(b->l); /* ebr_reclaim() runs on the writer */
    free(b);
}

typedef struct race {
    ebr *d;
    _Atomic(box *) cur;
    atomic_int stop;
    atomic_long bad;
    atomic_long reads;
} race;

static void *reader(void *p)
{
    race *r = p;
    ebr_reader *me = ebr_register(r->d);
    while (!atomic_load_explicit(&r->stop, memory_order_relaxed)) {
        ebr_enter(me);
        /* acquire: pairs with the writer's release exchange, so the
         * version's items and nodes, written before, are visible. */
        box *b = atomic_load_explicit(&r->cur, memory_order_acquire);
        uint64_t s = content_sum(b->l);
        size_t n = plist_len(b->l);
        const velem *mid = plist_get(b->l, n / 2);
        if (s != b->sum || n != b->len || (n > 0 && mid == NULL))
            atomic_fetch_add_explicit(&r->bad, 1, memory_order_relaxed);
        ebr_exit(me);
        atomic_fetch_add_explicit(&r->reads, 1, memory_order_relaxed);
    }
    ebr_unregister(me);
    return NULL;
}

START_TEST(readers_while_writer_edits)
{
    plist_set_limits(8, 64);
    rng_state = 0x7ead;
    pool_make();
    race r = { .d = ebr_create() };
    ck_assert_ptr_nonnull(r.d);
    box *b0 = malloc(sizeof *b0);
    b0->l = plist_new();
    b0->len = 0;
    b0->sum = content_sum(b0->l);
    atomic_init(&r.cur, b0);
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, reader, &r), 0);
    model m = { 0 };
    plist *v = plist_retain(b0->l);
    long n = test_scale(20000, 400);
    int grow = 1;
    for (long s = 0; s < n || atomic_load(&r.reads) < 50; s++) {
        if (grow && m.n >= 40)
            grow = 0;
        else if (!grow && m.n == 0)
            grow = 1;
        plist *next;
        size_t touched;
        REQ_INT_EQ(do_edit(v, &m, pick_kind(m.n, grow), grow, &next,
                           &touched), 0);
        step_to(&v, next);
        box *b = malloc(sizeof *b);
        REQ(b != NULL);
        b->l = plist_retain(v);
        b->len = plist_len(v);
        b->sum = content_sum(v);
        /* release: the version is complete before readers can see it. */
        box *old = atomic_exchange_explicit(&r.cur, b, memory_order_acq_rel);
        ebr_retire(r.d, &old->node, box_free, sizeof *old);
        ebr_reclaim(r.d);
        if (s >= n)
            sched_yield();
    }
    atomic_store(&r.stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(atomic_load(&r.bad), 0);
    ebr_synchronize(r.d);
    box *last = atomic_load(&r.cur);
    expect_model(last->l, &m);
    box_free(&last->node);
    ck_assert_int_eq(ebr_destroy(r.d), 0);
    plist_release(v);
    m_free(&m);
    pool_free();
    plist_set_limits(PLIST_DEFAULT_MAX_ENTRIES, PLIST_DEFAULT_MAX_BYTES);
}
END_TEST

Suite *ch08_plist_suite(void)
{
    Suite *s = suite_create("ch08_plist");
    TCase *tc = test_tcase("plist", 120);
    tcase_add_test(tc, edges_and_errors);
    tcase_add_test(tc, lmove_shares_the_element);
    tcase_add_test(tc, check_catches_damage);
    tcase_add_test(tc, thresholds_with_hysteresis);
    tcase_add_test(tc, from_array_all_sizes);
    tcase_add_test(tc, random_tiny_limits);
    tcase_add_test(tc, random_default_limits);
    tcase_add_test(tc, allocation_failure_every_edit);
    tcase_add_test(tc, allocation_failure_in_a_batch);
    tcase_add_test(tc, readers_while_writer_edits);
    suite_add_tcase(s, tc);
    return s;
}
