/* ch08_phash.c - chapter 8: the persistent hash with per-field expiry against a flat model.
 *
 * Every test drives phash edits and keeps a reference model: an array of
 * (name, value, expiry) in the order Redis's listpack would keep them
 * (new fields at the end, updates in place), plus the form the hash
 * should be in, worked out from the limits and the hysteresis rule.  After
 * edits the hash must hold exactly the model's fields (in the model's
 * order while flat), report the model's minimum expiry and encoding, and
 * pass phash_check().  When a tree becomes flat the hash's order is the
 * trie's, which the model then adopts.  phash_fields_live() must be back
 * where it started when every version is gone.  Most tests use tiny
 * limits (8 fields, 16 bytes) so that sizes cross the threshold both ways
 * many times; one run uses the defaults.  Sizes scale with TEST_SCALE.
 */
#include "phash.h"
#include "phash_private.h" /* check_catches_damage */
#include "pbtree.h"
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

/* ---- the model ------------------------------------------------------------ */

typedef struct ment {
    char name[48];
    size_t nlen;
    unsigned char val[128];
    size_t vlen;
    int64_t exp;
} ment;

typedef struct model {
    ment *e;
    size_t n, cap;
    bool tree; /* the form the hash must be in */
} model;

static size_t g_max_entries = PHASH_MAX_ENTRIES, g_max_bytes = PHASH_MAX_BYTES;

static void limits(size_t entries, size_t bytes)
{
    REQ(phash_set_limits(entries, bytes) == 0);
    g_max_entries = entries;
    g_max_bytes = bytes;
}

static long m_find(const model *m, const void *name, size_t nlen)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->e[i].nlen == nlen && memcmp(m->e[i].name, name, nlen) == 0)
            return (long)i;
    return -1;
}

static bool m_big(const model *m)
{
    for (size_t i = 0; i < m->n; i++)
        if (m->e[i].nlen > g_max_bytes || m->e[i].vlen > g_max_bytes)
            return true;
    return false;
}

/* The form after an edit, by the rule in phash.h; true when the hash has
 * just turned flat (its order is then the trie's). */
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

static int m_set(model *m, const void *name, size_t nlen, const void *v,
                 size_t vlen, int64_t exp)
{
    long i = m_find(m, name, nlen);
    int fresh = i < 0;
    if (fresh) {
        if (m->n == m->cap) {
            m->cap = m->cap ? 2 * m->cap : 16;
            m->e = realloc(m->e, m->cap * sizeof *m->e);
            REQ(m->e != NULL);
        }
        i = (long)m->n++;
        memcpy(m->e[i].name, name, nlen);
        m->e[i].nlen = nlen;
    }
    REQ(vlen <= sizeof m->e[i].val);
    memcpy(m->e[i].val, v, vlen);
    m->e[i].vlen = vlen;
    m->e[i].exp = exp;
    return fresh;
}

static int m_del(model *m, const void *name, size_t nlen)
{
    long i = m_find(m, name, nlen);
    if (i < 0)
        return 0;
    memmove(m->e + i, m->e + i + 1, (m->n - (size_t)i - 1) * sizeof *m->e);
    m->n--;
    return 1;
}

static int64_t m_min(const model *m, const ment **first)
{
    int64_t best = PHASH_NO_EXPIRE;
    const ment *b = NULL;
    for (size_t i = 0; i < m->n; i++) {
        const ment *e = &m->e[i];
        if (e->exp == PHASH_NO_EXPIRE)
            continue;
        int c = 0;
        if (b) {
            c = e->exp < b->exp ? -1 : e->exp > b->exp ? 1 : 0;
            if (c == 0) {
                size_t k = e->nlen < b->nlen ? e->nlen : b->nlen;
                c = memcmp(e->name, b->name, k);
                if (c == 0)
                    c = e->nlen < b->nlen ? -1 : 1;
            }
        }
        if (b == NULL || c < 0) {
            b = e;
            best = e->exp;
        }
    }
    if (first)
        *first = b;
    return best;
}

static size_t m_nexp(const model *m)
{
    size_t k = 0;
    for (size_t i = 0; i < m->n; i++)
        k += m->e[i].exp != PHASH_NO_EXPIRE;
    return k;
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

/* ---- comparing a hash with the model ----------------------------------------- */

static void check_hash(const phash *h)
{
    char err[256];
    if (phash_check(h, err, sizeof err) != 0)
        ck_abort_msg("phash_check: %s", err);
}

static bool same(const phash_field *f, const ment *e)
{
    size_t nl, vl;
    const unsigned char *n = phash_field_name(f, &nl);
    const unsigned char *v = phash_field_value(f, &vl);
    return nl == e->nlen && memcmp(n, e->name, nl) == 0 && n[nl] == '\0' &&
           vl == e->vlen && memcmp(v, e->val, vl) == 0 && v[vl] == '\0' &&
           phash_field_expire(f) == e->exp;
}

/* The one field an edit touched. */
static void expect_field(const phash *h, const model *m, const void *name,
                         size_t nlen)
{
    long i = m_find(m, name, nlen);
    const phash_field *f = phash_get(h, name, nlen);
    if (i < 0)
        REQ(f == NULL);
    else
        REQ(f != NULL && same(f, &m->e[i]));
    REQ_UINT_EQ(phash_len(h), m->n);
    REQ_INT_EQ(phash_min_expire(h), m_min(m, NULL));
    REQ_UINT_EQ(phash_expiring_len(h), m_nexp(m));
}

static const char *m_encoding(const model *m)
{
    if (m->tree)
        return "hashtable";
    return m_nexp(m) ? "listpackex" : "listpack";
}

/* Everything: contents, order (flat), positions, minimum, encoding. */
static void expect_model(const phash *h, const model *m)
{
    check_hash(h);
    REQ_UINT_EQ(phash_len(h), m->n);
    REQ_STR_EQ(phash_encoding(h), m_encoding(m));
    const ment *first;
    REQ_INT_EQ(phash_min_expire(h), m_min(m, &first));
    const phash_field *nx = phash_next_expiring(h);
    REQ((nx == NULL) == (first == NULL));
    REQ(nx == NULL || same(nx, first));
    char *seen = calloc(m->n + 1, 1);
    REQ(seen != NULL);
    phash_iter it;
    phash_iter_init(&it, h);
    size_t k = 0;
    for (const phash_field *f; (f = phash_iter_next(&it)) != NULL; k++) {
        REQ(k < m->n);
        REQ(phash_nth(h, k) == f);
        size_t nl;
        const unsigned char *nm = phash_field_name(f, &nl);
        long i = m_find(m, nm, nl);
        REQ(i >= 0 && !seen[i] && same(f, &m->e[i]));
        if (!m->tree)
            REQ_INT_EQ(i, (long)k); /* flat: the listpack's order */
        seen[i] = 1;
        REQ(phash_get(h, nm, nl) == f);
    }
    REQ_UINT_EQ(k, m->n);
    REQ(phash_nth(h, m->n) == NULL);
    free(seen);
}

/* The hash has just become flat: its order is the trie's; adopt it. */
static void m_adopt_order(model *m, const phash *h)
{
    ment *ne = malloc((m->cap ? m->cap : 1) * sizeof *ne);
    REQ(ne != NULL);
    phash_iter it;
    phash_iter_init(&it, h);
    size_t k = 0;
    for (const phash_field *f; (f = phash_iter_next(&it)) != NULL; k++) {
        size_t nl;
        const unsigned char *nm = phash_field_name(f, &nl);
        long i = m_find(m, nm, nl);
        REQ(i >= 0 && k < m->n);
        ne[k] = m->e[i];
    }
    REQ_UINT_EQ(k, m->n);
    free(m->e);
    m->e = ne;
}

/* ---- random edits ------------------------------------------------------------ */

static uint64_t rng_state;
static uint64_t rnd(void)
{
    /* xorshift64*: deterministic, seeded per test */
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
    unsigned universe; /* field ids 0..universe-1 */
    size_t lo, hi;     /* size targets of the shrink and grow phases */
    bool growing;
} cfg;

/* A name for id: now and then one longer than max_bytes. */
static size_t make_name(char *buf, unsigned id)
{
    if (id % 97 == 96)
        return (size_t)sprintf(buf, "a-long-field-name-%u-past-the-limit-",
                               id);
    return (size_t)sprintf(buf, "f%u", id);
}

static int64_t random_expiry(void)
{
    /* A narrow range, so that expiries tie and the index orders by name. */
    return rndn(3) == 0 ? PHASH_NO_EXPIRE : (int64_t)(1700000000000 + rndn(40));
}

/* Replace *h by the result of an edit (a version: the old one released;
 * a transient: the same pointer). */
static void step(phash **h, phash *out, bool transient)
{
    if (transient) {
        REQ(out == *h);
    } else {
        phash_release(*h);
        *h = out;
    }
}

/* One random edit on *h and on m; returns the name it touched. */
static void random_edit(phash **h, model *m, cfg *c, bool transient)
{
    char name[48];
    size_t nlen;
    unsigned char val[128];
    if (m->n >= c->hi)
        c->growing = false;
    else if (m->n <= c->lo)
        c->growing = true;
    unsigned op = (unsigned)rndn(100);
    unsigned set_until = c->growing ? 70 : 30;
    /* Existing fields are the usual targets of expiry changes and deletes. */
    if (op >= set_until && m->n > 0 && rndn(10) != 0) {
        const ment *e = &m->e[rndn(m->n)];
        memcpy(name, e->name, e->nlen);
        nlen = e->nlen;
    } else {
        nlen = make_name(name, (unsigned)rndn(c->universe));
    }
    phash *out = NULL;
    int rc;
    if (op < set_until) {
        size_t vlen = rndn(25) == 0 ? g_max_bytes + 1 + rndn(20) : rndn(14);
        if (vlen > sizeof val)
            vlen = sizeof val;
        for (size_t i = 0; i < vlen; i++)
            val[i] = (unsigned char)rnd();
        int64_t exp = rndn(4) == 0 ? random_expiry() : PHASH_NO_EXPIRE;
        rc = phash_set(*h, name, nlen, val, vlen, exp, &out);
        REQ_INT_EQ(rc, m_set(m, name, nlen, val, vlen, exp));
    } else if (op < set_until + 15) {
        int64_t exp = random_expiry();
        rc = phash_set_expire(*h, name, nlen, exp, &out);
        long i = m_find(m, name, nlen);
        REQ_INT_EQ(rc, i >= 0);
        if (i >= 0)
            m->e[i].exp = exp;
    } else {
        rc = phash_del(*h, name, nlen, &out);
        REQ_INT_EQ(rc, m_del(m, name, nlen));
    }
    step(h, out, transient);
    bool adopt = m_update_form(m);
    if (adopt)
        m_adopt_order(m, *h);
    expect_field(*h, m, name, nlen);
    REQ_STR_EQ(phash_encoding(*h), m_encoding(m));
}

/* The random sequence: versions mostly, transient batches now and then,
 * old versions kept and compared at the end. */
static void run_random(long steps, cfg c, long full_every, long min_cross)
{
    size_t live0 = phash_fields_live();
    model m = { NULL, 0, 0, false };
    phash *h = phash_new();
    REQ(h != NULL);
    enum { KEEP = 30 };
    phash *old[KEEP];
    model oldm[KEEP];
    int nold = 0;
    long crossings = 0;
    bool was_tree = false;
    for (long s = 0; s < steps; s++) {
        if (rndn(40) == 0) {
            phash *t = phash_edit_begin(h);
            REQ(t != NULL);
            REQ(phash_is_transient(t));
            int k = 1 + (int)rndn(30);
            for (int j = 0; j < k; j++)
                random_edit(&t, &m, &c, true);
            check_hash(t);
            phash_release(h);
            h = phash_edit_end(t);
            REQ(!phash_is_transient(h));
        } else {
            random_edit(&h, &m, &c, false);
        }
        if (m.tree != was_tree) {
            crossings++;
            was_tree = m.tree;
        }
        if (s % full_every == 0)
            expect_model(h, &m);
        if (s % (steps / KEEP + 1) == 0 && nold < KEEP) {
            old[nold] = phash_retain(h);
            oldm[nold++] = m_copy(&m);
        }
        if (s == steps / 2) /* mid-sequence: the kept versions are intact */
            for (int i = 0; i < nold; i++)
                expect_model(old[i], &oldm[i]);
    }
    expect_model(h, &m);
    if (crossings < min_cross)
        ck_abort_msg("only %ld form changes in %ld steps", crossings, steps);
    for (int i = 0; i < nold; i++)
        expect_model(old[i], &oldm[i]);
    for (int i = 0; i < nold; i++) {
        phash_release(old[i]);
        free(oldm[i].e);
    }
    expect_model(h, &m);
    phash_release(h);
    free(m.e);
    REQ_UINT_EQ(phash_fields_live(), live0);
}

START_TEST(random_tiny_limits)
{
    limits(8, 16);
    rng_state = 0x9e3779b97f4a7c15ull;
    cfg c = { 40, 2, 16, true };
    run_random(test_scale(100000, 3000), c, 97, 20);
    limits(PHASH_MAX_ENTRIES, PHASH_MAX_BYTES);
}
END_TEST

START_TEST(random_default_limits)
{
    limits(PHASH_MAX_ENTRIES, PHASH_MAX_BYTES);
    rng_state = 0xfeedface12345ull;
    cfg c = { 400, 30, 220, true };
    long steps = test_scale(100000, 3000);
    /* Sizes drift across 128 slowly: a short (sanitizer) run sees fewer
     * crossings, so it asks for fewer. */
    run_random(steps, c, 1000, steps >= 50000 ? 4 : 1);
}
END_TEST

/* ---- fixed cases ------------------------------------------------------------------ */

START_TEST(basics)
{
    limits(PHASH_MAX_ENTRIES, PHASH_MAX_BYTES);
    size_t live0 = phash_fields_live();
    phash *e = phash_new(), *a, *b, *c, *out;
    REQ(e != NULL);
    check_hash(e);
    ck_assert_uint_eq(phash_len(e), 0);
    ck_assert_str_eq(phash_encoding(e), "listpack");
    ck_assert_int_eq(phash_min_expire(e), PHASH_NO_EXPIRE);
    ck_assert_ptr_null(phash_get(e, "x", 1));
    ck_assert_ptr_null(phash_nth(e, 0));
    ck_assert_ptr_null(phash_next_expiring(e));
    /* Edits that change nothing hand back the same version. */
    ck_assert_int_eq(phash_del(e, "x", 1, &out), 0);
    ck_assert_ptr_eq(out, e);
    phash_release(out);
    ck_assert_int_eq(phash_set_expire(e, "x", 1, 5, &out), 0);
    ck_assert_ptr_eq(out, e);
    phash_release(out);
    /* HSET a 1, b 2 (the empty name and value are fields too). */
    ck_assert_int_eq(phash_set(e, "a", 1, "1", 1, PHASH_NO_EXPIRE, &a), 1);
    ck_assert_int_eq(phash_set(a, "", 0, "", 0, PHASH_NO_EXPIRE, &b), 1);
    ck_assert_uint_eq(phash_len(b), 2);
    ck_assert_uint_eq(phash_len(a), 1);
    ck_assert_uint_eq(phash_len(e), 0);
    const phash_field *f = phash_get(b, "", 0);
    ck_assert_ptr_nonnull(f);
    size_t len;
    ck_assert_str_eq((const char *)phash_field_value(f, &len), "");
    ck_assert_uint_eq(len, 0);
    /* Versions share unchanged fields: the very same object. */
    ck_assert_ptr_eq(phash_get(a, "a", 1), phash_get(b, "a", 1));
    /* HPEXPIREAT on one field copies that field only; listpackex. */
    ck_assert_int_eq(phash_set_expire(b, "a", 1, 1700000000123, &c), 1);
    ck_assert_str_eq(phash_encoding(c), "listpackex");
    ck_assert_str_eq(phash_encoding(b), "listpack");
    ck_assert_int_eq(phash_min_expire(c), 1700000000123);
    ck_assert_int_eq(phash_field_expire(phash_get(c, "a", 1)), 1700000000123);
    ck_assert_int_eq(phash_field_expire(phash_get(b, "a", 1)), PHASH_NO_EXPIRE);
    ck_assert_ptr_eq(phash_get(b, "", 0), phash_get(c, "", 0));
    ck_assert_ptr_ne(phash_get(b, "a", 1), phash_get(c, "a", 1));
    ck_assert_str_eq((const char *)phash_field_value(phash_get(c, "a", 1), NULL),
                     "1");
    ck_assert_ptr_eq(phash_next_expiring(c), phash_get(c, "a", 1));
    /* The same expiry again changes nothing. */
    ck_assert_int_eq(phash_set_expire(c, "a", 1, 1700000000123, &out), 1);
    ck_assert_ptr_eq(out, c);
    phash_release(out);
    /* Insertion order; an update keeps its place. */
    phash *d;
    ck_assert_int_eq(phash_set(c, "z", 1, "26", 2, PHASH_NO_EXPIRE, &d), 1);
    ck_assert_int_eq(phash_set(d, "a", 1, "one", 3, PHASH_NO_EXPIRE, &out), 0);
    phash_release(d);
    d = out;
    const char *order[] = { "a", "", "z" };
    for (size_t i = 0; i < 3; i++)
        ck_assert_str_eq((const char *)phash_field_name(phash_nth(d, i), NULL),
                         order[i]);
    /* HSET cleared a's expiry. */
    ck_assert_int_eq(phash_min_expire(d), PHASH_NO_EXPIRE);
    ck_assert_str_eq(phash_encoding(d), "listpack");
    /* HPERSIST after HPEXPIREAT. */
    phash *p;
    ck_assert_int_eq(phash_set_expire(d, "z", 1, 9, &p), 1);
    ck_assert_int_eq(phash_set_expire(p, "z", 1, PHASH_NO_EXPIRE, &out), 1);
    ck_assert_int_eq(phash_min_expire(out), PHASH_NO_EXPIRE);
    ck_assert_int_eq(phash_min_expire(p), 9);
    phash_release(out);
    /* Bad arguments. */
    errno = 0;
    ck_assert_int_eq(phash_set(d, "q", 1, "v", 1, -2, &out), -1);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_int_eq(phash_set_expire(d, "a", 1, -5, &out), -1);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_int_eq(phash_set(d, "q", PHASH_MAX_LEN + 1, "v", 1,
                               PHASH_NO_EXPIRE, &out), -1);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_int_eq(phash_set_limits(1u << 25, 64), -1);
    ck_assert_int_eq(errno, EINVAL);
    phash *t = phash_edit_begin(d);
    ck_assert_ptr_nonnull(t);
    errno = 0;
    ck_assert_ptr_null(phash_edit_begin(t));
    ck_assert_int_eq(errno, EINVAL);
    phash_release(t);
    ck_assert_uint_ge(phash_bytes(d), 3 * sizeof(phash_field));
    phash *all[] = { e, a, b, c, d, p };
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
        check_hash(all[i]);
        phash_release(all[i]);
    }
    ck_assert_uint_eq(phash_fields_live(), live0);
}
END_TEST

/* The encodings and the hysteresis at the default limits: 129 fields make
 * a hashtable, which stays one down to 65 and is a listpack at 64; a value
 * of 65 bytes makes a hashtable at once. */
START_TEST(encodings_at_the_limits)
{
    limits(PHASH_MAX_ENTRIES, PHASH_MAX_BYTES);
    size_t live0 = phash_fields_live();
    phash *h = phash_new(), *out;
    REQ(h != NULL);
    char name[32];
    for (int i = 0; i < 129; i++) {
        int n = sprintf(name, "field:%d", i);
        ck_assert_int_eq(phash_set(h, name, (size_t)n, "v", 1,
                                   i == 7 ? 1000 + i : PHASH_NO_EXPIRE, &out),
                         1);
        phash_release(h);
        h = out;
        ck_assert_str_eq(phash_encoding(h), i < 7     ? "listpack"
                                            : i < 128 ? "listpackex"
                                                      : "hashtable");
    }
    check_hash(h);
    ck_assert_int_eq(phash_min_expire(h), 1007);
    for (int i = 128; i >= 64; i--) {
        int n = sprintf(name, "field:%d", i);
        ck_assert_int_eq(phash_del(h, name, (size_t)n, &out), 1);
        phash_release(h);
        h = out;
        check_hash(h);
        ck_assert_str_eq(phash_encoding(h), i > 64 ? "hashtable" : "listpackex");
    }
    ck_assert_uint_eq(phash_len(h), 64);
    char big[65];
    memset(big, 'x', sizeof big);
    ck_assert_int_eq(phash_set(h, "field:1", 7, big, 64, PHASH_NO_EXPIRE, &out),
                     0);
    ck_assert_str_eq(phash_encoding(out), "listpackex");
    phash_release(out);
    ck_assert_int_eq(phash_set(h, "field:1", 7, big, 65, PHASH_NO_EXPIRE, &out),
                     0);
    ck_assert_str_eq(phash_encoding(out), "hashtable");
    check_hash(out);
    /* Back to a short value: 64 fields, none long: flat again. */
    phash *back;
    ck_assert_int_eq(phash_set(out, "field:1", 7, "s", 1, PHASH_NO_EXPIRE,
                               &back), 0);
    ck_assert_str_eq(phash_encoding(back), "listpackex");
    check_hash(back);
    /* HPERSIST of the only expiring field: listpack. */
    phash *np;
    ck_assert_int_eq(phash_set_expire(back, "field:7", 7, PHASH_NO_EXPIRE, &np),
                     1);
    ck_assert_str_eq(phash_encoding(np), "listpack");
    phash_release(np);
    phash_release(back);
    phash_release(out);
    phash_release(h);
    ck_assert_uint_eq(phash_fields_live(), live0);
}
END_TEST

/* hash-max-listpack-entries 0: every non-empty hash is a hashtable. */
START_TEST(zero_entries_means_always_a_tree)
{
    limits(0, PHASH_MAX_BYTES);
    size_t live0 = phash_fields_live();
    phash *e = phash_new(), *a, *b;
    REQ(e != NULL);
    ck_assert_int_eq(phash_set(e, "f", 1, "v", 1, 3, &a), 1);
    ck_assert_str_eq(phash_encoding(a), "hashtable");
    ck_assert_int_eq(phash_min_expire(a), 3);
    check_hash(a);
    ck_assert_int_eq(phash_del(a, "f", 1, &b), 1);
    ck_assert_str_eq(phash_encoding(b), "listpack");
    ck_assert_uint_eq(phash_len(b), 0);
    ck_assert_int_eq(phash_min_expire(b), PHASH_NO_EXPIRE);
    check_hash(b);
    phash_release(e);
    phash_release(a);
    phash_release(b);
    ck_assert_uint_eq(phash_fields_live(), live0);
    limits(PHASH_MAX_ENTRIES, PHASH_MAX_BYTES);
}
END_TEST

/* ---- allocation failure ------------------------------------------------------------ */

enum { E_SET_NEW, E_SET_NEW_EXP, E_SET_BIG, E_SET_UPDATE, E_SET_UPDATE_EXP,
       E_EXPIRE, E_EXPIRE_CHANGE, E_PERSIST, E_DEL, E_DEL_EXP, E_KINDS };

/* A hash of n fields f0..f(n-1), every third expiring. */
static void build(size_t n, phash **h, model *m)
{
    *h = phash_new();
    REQ(*h != NULL);
    for (size_t i = 0; i < n; i++) {
        char name[24];
        size_t nl = (size_t)sprintf(name, "f%zu", i);
        int64_t exp = i % 3 == 0 ? (int64_t)(5000 - i) : PHASH_NO_EXPIRE;
        phash *out;
        REQ(phash_set(*h, name, nl, "val", 3, exp, &out) == 1);
        m_set(m, name, nl, "val", 3, exp);
        phash_release(*h);
        *h = out;
        if (m_update_form(m))
            m_adopt_order(m, *h);
    }
}

static int do_edit(phash *h, int kind, model *m, phash **out)
{
    char big[40];
    memset(big, 'b', sizeof big);
    size_t n = m->n;
    char name[24];
    size_t nl = (size_t)sprintf(name, "f%zu", n ? (n - 1) / 2 : 0);
    int rc = -1, want = -1;
    switch (kind) {
    case E_SET_NEW:
        rc = phash_set(h, "new", 3, "v", 1, PHASH_NO_EXPIRE, out);
        if (rc >= 0)
            want = m_set(m, "new", 3, "v", 1, PHASH_NO_EXPIRE);
        break;
    case E_SET_NEW_EXP:
        rc = phash_set(h, "new", 3, "v", 1, 77, out);
        if (rc >= 0)
            want = m_set(m, "new", 3, "v", 1, 77);
        break;
    case E_SET_BIG:
        rc = phash_set(h, "new", 3, big, sizeof big, PHASH_NO_EXPIRE, out);
        if (rc >= 0)
            want = m_set(m, "new", 3, big, sizeof big, PHASH_NO_EXPIRE);
        break;
    case E_SET_UPDATE:
        rc = phash_set(h, "f0", 2, "w", 1, PHASH_NO_EXPIRE, out);
        if (rc >= 0)
            want = m_set(m, "f0", 2, "w", 1, PHASH_NO_EXPIRE);
        break;
    case E_SET_UPDATE_EXP:
        rc = phash_set(h, name, nl, "w", 1, 12, out);
        if (rc >= 0)
            want = m_set(m, name, nl, "w", 1, 12);
        break;
    case E_EXPIRE:
    case E_EXPIRE_CHANGE:
    case E_PERSIST: {
        const char *nm = kind == E_EXPIRE_CHANGE ? "f0" : name;
        size_t l = kind == E_EXPIRE_CHANGE ? 2 : nl;
        int64_t exp = kind == E_PERSIST ? PHASH_NO_EXPIRE
                      : kind == E_EXPIRE ? 3 : 99999;
        rc = phash_set_expire(h, nm, l, exp, out);
        if (rc >= 0) {
            long i = m_find(m, nm, l);
            want = i >= 0;
            if (i >= 0)
                m->e[i].exp = exp;
        }
        break;
    }
    case E_DEL:
    case E_DEL_EXP: {
        const char *nm = kind == E_DEL_EXP ? "f0" : name;
        size_t l = kind == E_DEL_EXP ? 2 : nl;
        rc = phash_del(h, nm, l, out);
        if (rc >= 0)
            want = m_del(m, nm, l);
        break;
    }
    }
    if (rc >= 0)
        REQ_INT_EQ(rc, want);
    return rc;
}

static void fail_every_allocation(size_t n, int kind, bool transient)
{
    model m = { NULL, 0, 0, false };
    phash *v;
    build(n, &v, &m);
    phash *h = v;
    if (transient) { /* a transient that already owns some of its parts */
        h = phash_edit_begin(v);
        REQ(h != NULL);
        phash *o;
        REQ(phash_set(h, "pre", 3, "p", 1, 50, &o) == 1);
        m_set(&m, "pre", 3, "p", 1, 50);
        if (m_update_form(&m))
            m_adopt_order(&m, h);
    }
    expect_model(h, &m);
    for (unsigned long nth = 1;; nth++) {
        REQ(nth < 1000);
        model mm = m_copy(&m);
        size_t live = phash_fields_live();
        phash *out = NULL;
        alloc_fail_nth(nth);
        errno = 0;
        int rc = do_edit(h, kind, &mm, &out);
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        if (rc >= 0) {
            REQ_UINT_EQ(fired, 0);
            if (m_update_form(&mm))
                m_adopt_order(&mm, out);
            expect_model(out, &mm);
            if (!transient) {
                expect_model(v, &m); /* the old version is intact */
                phash_release(out);
            }
            free(mm.e);
            break;
        }
        if (errno != ENOMEM || fired != 1)
            ck_abort_msg("edit %d on %zu fields, allocation %lu: rc %d errno "
                         "%d fired %lu", kind, n, nth, rc, errno, fired);
        REQ_UINT_EQ(phash_fields_live(), live);
        expect_model(h, &m);
        free(mm.e);
    }
    phash_release(h);
    if (transient)
        phash_release(v);
    free(m.e);
}

START_TEST(allocation_failure_every_edit)
{
    limits(8, 16);
    size_t live0 = phash_fields_live();
    /* Around the limits: flat, at max/2, at max, tree, tree at max/2+1. */
    size_t sizes[] = { 0, 1, 3, 4, 5, 7, 8, 9, 12, 30 };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (int kind = 0; kind < E_KINDS; kind++) {
            fail_every_allocation(sizes[i], kind, false);
            fail_every_allocation(sizes[i], kind, true);
        }
    REQ_UINT_EQ(phash_fields_live(), live0);
    limits(PHASH_MAX_ENTRIES, PHASH_MAX_BYTES);
}
END_TEST

/* A batch on one transient with allocation nth failing: the edit that
 * fails leaves the transient as the edits before it made it. */
START_TEST(allocation_failure_in_a_batch)
{
    limits(8, 16);
    size_t live0 = phash_fields_live();
    model m0 = { NULL, 0, 0, false };
    phash *v;
    build(6, &v, &m0);
    int kinds[] = { E_SET_NEW, E_SET_UPDATE_EXP, E_SET_BIG, E_EXPIRE, E_DEL,
                    E_DEL_EXP, E_PERSIST, E_SET_NEW_EXP, E_EXPIRE_CHANGE,
                    E_SET_UPDATE, E_DEL, E_DEL, E_DEL, E_SET_NEW };
    int nk = (int)(sizeof kinds / sizeof *kinds);
    for (unsigned long nth = 1;; nth++) {
        REQ(nth < 3000);
        model m = m_copy(&m0);
        alloc_fail_nth(nth);
        phash *t = phash_edit_begin(v), *out;
        int failed_at = -1;
        if (t == NULL) {
            alloc_fail_off();
            free(m.e);
            continue;
        }
        for (int j = 0; j < nk && failed_at < 0; j++) {
            model before = m_copy(&m);
            if (do_edit(t, kinds[j], &m, &out) < 0) {
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
        t = phash_edit_end(t);
        expect_model(t, &m);
        phash_release(t);
        free(m.e);
        if (failed_at < 0) {
            REQ_UINT_EQ(fired, 0);
            break;
        }
    }
    expect_model(v, &m0);
    phash_release(v);
    free(m0.e);
    REQ_UINT_EQ(phash_fields_live(), live0);
    limits(PHASH_MAX_ENTRIES, PHASH_MAX_BYTES);
}
END_TEST

/* ---- the checker ------------------------------------------------------------------ */

/* phash_check() must catch a damaged header, or every test above could
 * pass on a checker that accepts anything. */
START_TEST(check_catches_damage)
{
    limits(8, 16);
    model m = { NULL, 0, 0, false };
    phash *flat, *tree;
    build(5, &flat, &m);
    free(m.e);
    m = (model){ NULL, 0, 0, false };
    build(20, &tree, &m);
    free(m.e);
    phash *hs[] = { flat, tree };
    char err[256];
    for (int i = 0; i < 2; i++) {
        phash *h = hs[i];
        ck_assert_int_eq(phash_check(h, err, sizeof err), 0);
        h->n++;
        ck_assert_int_eq(phash_check(h, err, sizeof err), -1);
        h->n--;
        h->nexp++;
        ck_assert_int_eq(phash_check(h, err, sizeof err), -1);
        ck_assert_ptr_nonnull(strstr(err, "expiring"));
        h->nexp--;
        h->min_expire++;
        ck_assert_int_eq(phash_check(h, err, sizeof err), -1);
        ck_assert_ptr_nonnull(strstr(err, "min expiry"));
        h->min_expire--;
        ck_assert_int_eq(phash_check(h, err, sizeof err), 0);
    }
    /* A flat hash over the limit, a tree under half of it. */
    limits(4, 16);
    ck_assert_int_eq(phash_check(flat, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "over max entries"));
    limits(48, 16);
    ck_assert_int_eq(phash_check(tree, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "small enough"));
    limits(8, 2);
    ck_assert_int_eq(phash_check(flat, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "long field"));
    limits(8, 16);
    /* A field in the index that the trie does not hold. */
    const phash_field *f0 = phash_get(tree, "f0", 2);
    phash_field *fake = phash_field_new("f0", 2, "val", 3,
                                        phash_field_expire(f0));
    pbtree *idx = tree->u.tree.expiry, *nidx, *nidx2;
    ck_assert_int_eq(pbtree_remove(idx, (void *)f0, &nidx), 1);
    ck_assert_int_eq(pbtree_add(nidx, fake, false, &nidx2), 1);
    tree->u.tree.expiry = nidx2;
    ck_assert_int_eq(phash_check(tree, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "not the trie's"));
    tree->u.tree.expiry = idx;
    pbtree_release(nidx);
    pbtree_release(nidx2);
    phash_field_release(fake);
    ck_assert_int_eq(phash_check(tree, err, sizeof err), 0);
    phash_release(flat);
    phash_release(tree);
    limits(PHASH_MAX_ENTRIES, PHASH_MAX_BYTES);
}
END_TEST

/* ---- readers in other threads ------------------------------------------------------- */

/* The writer publishes versions holding fields lo..hi-1 exactly (value
 * "v<i>", field i expiring at i when i % 3 == 0), each in a box that ebr
 * frees once no reader can hold it. */
typedef struct box {
    ebr_node node; /* first: the box is its node */
    phash *v;
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
    phash_release(b->v); /* the writer calls ebr_reclaim: its thread */
    free(b);
}

static size_t field_name(char *buf, unsigned i)
{
    return (size_t)sprintf(buf, "k%u", i);
}

static void reader_check(const box *b, uint64_t *seed)
{
    const phash *v = b->v;
    REQ_UINT_EQ(phash_len(v), b->hi - b->lo);
    char name[16], val[16];
    for (int i = 0; i < 8; i++) {
        *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned id = b->lo + (unsigned)((*seed >> 33) % (b->hi - b->lo + 4));
        size_t nl = field_name(name, id);
        const phash_field *f = phash_get(v, name, nl);
        if (id < b->hi) {
            REQ(f != NULL);
            int vl = sprintf(val, "v%u", id);
            size_t got;
            const unsigned char *p = phash_field_value(f, &got);
            REQ(got == (size_t)vl && memcmp(p, val, got) == 0);
            REQ(phash_field_expire(f) ==
                (id % 3 == 0 ? (int64_t)id : PHASH_NO_EXPIRE));
        } else {
            REQ(f == NULL);
        }
    }
    unsigned first = b->lo + (3 - b->lo % 3) % 3;
    REQ(phash_min_expire(v) ==
        (first < b->hi ? (int64_t)first : PHASH_NO_EXPIRE));
    phash_iter it;
    phash_iter_init(&it, v);
    size_t n = 0;
    for (const phash_field *f; (f = phash_iter_next(&it)) != NULL; n++) {
        unsigned id = (unsigned)atoi((const char *)phash_field_name(f, NULL) + 1);
        REQ(id >= b->lo && id < b->hi);
    }
    REQ_UINT_EQ(n, b->hi - b->lo);
    if (n > 0)
        REQ(phash_nth(v, n / 2) != NULL);
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
         * every field it reaches are seen complete. */
        box *b = atomic_load_explicit(&sh->cur, memory_order_acquire);
        reader_check(b, &seed);
        reader_check(b, &seed); /* an old version does not change */
        ebr_exit(r);
        atomic_fetch_add_explicit(&sh->reads, 1, memory_order_relaxed);
    }
    REQ_INT_EQ(ebr_unregister(r), 0);
    return NULL;
}

/* Add field hi (and drop lo once the window is full) on t. */
static void slide(phash **t, unsigned *lo, unsigned *hi, unsigned window,
                  bool transient)
{
    char name[16], val[16];
    phash *out;
    size_t nl = field_name(name, *hi);
    int vl = sprintf(val, "v%u", *hi);
    int64_t exp = *hi % 3 == 0 ? (int64_t)*hi : PHASH_NO_EXPIRE;
    REQ_INT_EQ(phash_set(*t, name, nl, val, (size_t)vl, exp, &out), 1);
    step(t, out, transient);
    ++*hi;
    if (*hi - *lo > window) {
        nl = field_name(name, (*lo)++);
        REQ_INT_EQ(phash_del(*t, name, nl, &out), 1);
        step(t, out, transient);
    }
}

START_TEST(readers_while_writing)
{
    limits(16, 16);
    size_t live0 = phash_fields_live();
    shared sh;
    sh.d = ebr_create();
    REQ(sh.d != NULL);
    atomic_init(&sh.stop, false);
    atomic_init(&sh.reads, 0);
    box *b = calloc(1, sizeof *b);
    REQ(b != NULL);
    b->v = phash_new();
    REQ(b->v != NULL);
    atomic_init(&sh.cur, b);
    enum { READERS = 3 };
    pthread_t th[READERS];
    for (int i = 0; i < READERS; i++)
        REQ_INT_EQ(pthread_create(&th[i], NULL, reader_main, &sh), 0);
    long steps = test_scale(20000, 600);
    unsigned lo = 0, hi = 0;
    phash *v = phash_retain(b->v);
    for (long s = 0; s < steps; s++) {
        /* The window grows and shrinks across the flat/tree limit. */
        unsigned window = 2 + (unsigned)((s / 200) % 4) * 12;
        if (s % 5 == 0) {
            phash *t = phash_edit_begin(v);
            REQ(t != NULL);
            for (int e = 0; e < 4; e++)
                slide(&t, &lo, &hi, window, true);
            phash_release(v);
            v = phash_edit_end(t);
        } else {
            slide(&v, &lo, &hi, window, false);
        }
        while (hi - lo > window) {
            char name[16];
            phash *out;
            size_t nl = field_name(name, lo++);
            REQ_INT_EQ(phash_del(v, name, nl, &out), 1);
            step(&v, out, false);
        }
        box *nb = malloc(sizeof *nb);
        REQ(nb != NULL);
        nb->v = phash_retain(v);
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
    REQ_INT_EQ(ebr_destroy(sh.d), 0); /* frees what is still retired */
    check_hash(v);
    REQ_UINT_EQ(phash_len(v), hi - lo);
    phash_release(v);
    REQ_UINT_EQ(phash_fields_live(), live0);
    limits(PHASH_MAX_ENTRIES, PHASH_MAX_BYTES);
}
END_TEST

/* ---- a big hash: one edit costs O(log n) ------------------------------------------- */

static size_t big_name(char *buf, long i)
{
    return (size_t)sprintf(buf, "field:%06ld", i);
}

/* Every edit of a hash of n fields allocates a few objects (the new field,
 * a header, one trie path, an index path), whatever n is, and leaves the
 * old version as it was; a batch that edits the same few fields many times
 * copies their paths once. */
START_TEST(large_edit_allocates_little)
{
    limits(PHASH_MAX_ENTRIES, PHASH_MAX_BYTES);
    size_t live0 = phash_fields_live();
    long n = test_scale(100000, 5000);
    phash *e = phash_new(), *t, *v, *out;
    REQ(e != NULL);
    t = phash_edit_begin(e);
    REQ(t != NULL);
    phash_release(e);
    char name[32], val[32];
    for (long i = 0; i < n; i++) {
        size_t nl = big_name(name, i);
        int vl = sprintf(val, "value:%06ld", i);
        int64_t exp = i % 10 == 0 ? 1700000000000 + i : PHASH_NO_EXPIRE;
        REQ_INT_EQ(phash_set(t, name, nl, val, (size_t)vl, exp, &out), 1);
    }
    v = phash_edit_end(t);
    check_hash(v);
    ck_assert_str_eq(phash_encoding(v), "hashtable");
    ck_assert_int_eq(phash_min_expire(v), 1700000000000);
    enum { K_NEW, K_UPDATE, K_EXPIRE, K_PERSIST, K_PERSIST_MIN, K_DEL,
           K_DEL_EXP, K_COUNT };
    for (int k = 0; k < K_COUNT; k++) {
        long id = k == K_NEW ? n + 5 : k == K_PERSIST_MIN ? 0 : (n / 2) | 1;
        if (k == K_PERSIST || k == K_DEL_EXP)
            id = (n / 2) / 10 * 10 + 10; /* an expiring field */
        size_t nl = big_name(name, id);
        const phash_field *before = phash_get(v, name, nl);
        int64_t exp0 = before ? phash_field_expire(before) : PHASH_NO_EXPIRE;
        /* [ch08-test-allocates-little] */
        alloc_fail_nth(ULONG_MAX); /* count allocations */
        int rc;
        switch (k) {
        case K_NEW:
        case K_UPDATE:
            rc = phash_set(v, name, nl, "x", 1, PHASH_NO_EXPIRE, &out);
            break;
        case K_EXPIRE:
            rc = phash_set_expire(v, name, nl, 5, &out);
            break;
        case K_PERSIST:
        case K_PERSIST_MIN:
            rc = phash_set_expire(v, name, nl, PHASH_NO_EXPIRE, &out);
            break;
        default:
            rc = phash_del(v, name, nl, &out);
            break;
        }
        unsigned long allocs = alloc_fail_seen();
        alloc_fail_off();
        REQ(rc >= 0);
        /* field + header + trie path + two index edits (path and header
         * each): a few dozen at most, never a copy of n. */
        if (allocs > 2 + PTRIE_LEVELS + 2 * (PBTREE_MAX_HEIGHT / 4 + 2))
            ck_abort_msg("edit %d on %ld fields: %lu allocations", k, n,
                         allocs);
        /* [ch08-test-allocates-little] */
        check_hash(out);
        /* The old version is intact. */
        REQ(phash_get(v, name, nl) == before);
        REQ(before == NULL || phash_field_expire(before) == exp0);
        REQ_UINT_EQ(phash_len(v), (size_t)n);
        ck_assert_int_eq(phash_min_expire(v), 1700000000000);
        const phash_field *after = phash_get(out, name, nl);
        if (k == K_DEL || k == K_DEL_EXP)
            REQ(after == NULL && phash_len(out) == (size_t)n - 1);
        else if (k == K_EXPIRE)
            REQ(after && phash_field_expire(after) == 5 &&
                phash_min_expire(out) == 5);
        else if (k == K_PERSIST_MIN)
            REQ(after && phash_min_expire(out) == 1700000000010);
        phash_release(out);
    }
    /* One batch: 10 fields set 100 times each. */
    long edits = 1000;
    alloc_fail_nth(ULONG_MAX);
    t = phash_edit_begin(v);
    REQ(t != NULL);
    for (long i = 0; i < edits; i++) {
        size_t nl = big_name(name, (i % 10) * 7 + 3);
        int vl = sprintf(val, "v%ld", i);
        REQ_INT_EQ(phash_set(t, name, nl, val, (size_t)vl, PHASH_NO_EXPIRE,
                             &out), 0);
    }
    t = phash_edit_end(t);
    unsigned long allocs = alloc_fail_seen();
    alloc_fail_off();
    /* One new field per edit, each path copied once, and the transient. */
    if (allocs > (unsigned long)edits + 10 * PTRIE_LEVELS + 4)
        ck_abort_msg("batch of %ld edits: %lu allocations", edits, allocs);
    check_hash(t);
    ck_assert_str_eq((const char *)phash_field_value(phash_get(t, "field:000066", 12),
                                                     NULL), "v999");
    phash_release(t);
    phash_release(v);
    REQ_UINT_EQ(phash_fields_live(), live0);
}
END_TEST

Suite *ch08_phash_suite(void)
{
    Suite *s = suite_create("ch08_phash");
    TCase *tc = test_tcase("phash", 240);
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
