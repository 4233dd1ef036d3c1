/* ch08_pzset.c - chapter 8: the persistent sorted set against a sorted array.
 *
 * The model is a plain array of (member, score) kept sorted the way Redis
 * sorts a zset (score as a double, then member by memcmp and length) and
 * edited the obvious way.  Every test drives pzset edits and the model
 * side by side: after each edit the member touched must have the model's
 * score and rank, and at intervals the whole set must hold the model's
 * entries in order (forwards, backwards, by rank, by member) and pass
 * pzset_check().  Old versions must keep what they held; allocation
 * failures must leave sets as they were; and when everything is released,
 * pzset_entries_live() must be back where it started.  Most tests use
 * tiny limits so that small sets cross the flat/tree threshold both ways
 * many times; one run uses Redis's defaults.  Sizes scale with TEST_SCALE.
 */
#include "pzset.h"
#include "pzset_private.h"
#include "alloc.h"
#include "ebr.h"
#include "test_util.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
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
            ck_abort_msg("%s:%d: %s failed", __FILE__, __LINE__, #c);       \
    } while (0)
#define REQ_UINT_EQ(a, b)                                                   \
    do {                                                                    \
        uintmax_t a_ = (a), b_ = (b);                                       \
        if (a_ != b_)                                                       \
            ck_abort_msg("%s:%d: %s == %s failed: %ju != %ju", __FILE__,    \
                         __LINE__, #a, #b, a_, b_);                         \
    } while (0)

/* ---- the model ------------------------------------------------------------ */

enum { MAXM = 128 };

typedef struct mitem {
    unsigned char m[MAXM];
    size_t len;
    double score;
} mitem;

typedef struct model {
    mitem *a;
    size_t n, cap;
} model;

static int mem_cmp(const void *a, size_t alen, const void *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    return c ? c : (alen < blen ? -1 : alen > blen);
}

static int item_cmp(const mitem *x, double score, const void *m, size_t len)
{
    if (x->score < score)
        return -1;
    if (x->score > score)
        return 1;
    return mem_cmp(x->m, x->len, m, len);
}

static size_t m_find(const model *md, const void *m, size_t len)
{
    for (size_t i = 0; i < md->n; i++)
        if (md->a[i].len == len && memcmp(md->a[i].m, m, len) == 0)
            return i;
    return SIZE_MAX;
}

static void m_remove_ranks(model *md, size_t i, size_t j)
{
    if (j > md->n)
        j = md->n;
    if (i >= j)
        return;
    memmove(&md->a[i], &md->a[j], (md->n - j) * sizeof *md->a);
    md->n -= j - i;
}

/* ZADD on the model: 1 added, 0 present (score replaced if !=). */
static int m_add(model *md, const void *m, size_t len, double score)
{
    size_t at = m_find(md, m, len);
    if (at != SIZE_MAX) {
        if (!(md->a[at].score != score))
            return 0;
        m_remove_ranks(md, at, at + 1);
    }
    if (md->n == md->cap) {
        md->cap = md->cap ? md->cap * 2 : 64;
        md->a = realloc(md->a, md->cap * sizeof *md->a);
        REQ(md->a != NULL);
    }
    size_t r = 0;
    while (r < md->n && item_cmp(&md->a[r], score, m, len) < 0)
        r++;
    memmove(&md->a[r + 1], &md->a[r], (md->n - r) * sizeof *md->a);
    REQ(len <= MAXM);
    memcpy(md->a[r].m, m, len);
    md->a[r].len = len;
    md->a[r].score = score;
    md->n++;
    return at == SIZE_MAX ? 1 : 0;
}

static model m_copy(const model *md)
{
    model c = { NULL, md->n, md->n };
    if (md->n) {
        c.a = malloc(md->n * sizeof *c.a);
        REQ(c.a != NULL);
        memcpy(c.a, md->a, md->n * sizeof *c.a);
    }
    return c;
}

static size_t m_rank_of_score(const model *md, double s, bool ex)
{
    size_t i = 0;
    while (i < md->n && !(ex ? md->a[i].score > s : md->a[i].score >= s))
        i++;
    return i;
}

static size_t m_rank_of_lex(const model *md, const void *m, size_t len,
                            bool ex)
{
    size_t i = 0;
    while (i < md->n) {
        int c = mem_cmp(md->a[i].m, md->a[i].len, m, len);
        if (ex ? c > 0 : c >= 0)
            break;
        i++;
    }
    return i;
}

static bool m_all_scores_equal(const model *md)
{
    for (size_t i = 1; i < md->n; i++)
        if (md->a[i].score != md->a[0].score)
            return false;
    return true;
}

/* The ranks of a range on the model, by definition (not by pzset's
 * two-bound arithmetic): the run of entries inside it. */
static void m_range(const model *md, const pzset_range *r, size_t *first,
                    size_t *end)
{
    size_t a = SIZE_MAX, b = 0;
    for (size_t i = 0; i < md->n; i++) {
        bool in;
        const mitem *x = &md->a[i];
        if (r->by_lex) {
            int lo = r->min_m ? mem_cmp(x->m, x->len, r->min_m, r->min_len)
                              : 1;
            int hi = r->max_m ? mem_cmp(x->m, x->len, r->max_m, r->max_len)
                              : -1;
            in = (r->min_ex ? lo > 0 : lo >= 0) &&
                 (r->max_ex ? hi < 0 : hi <= 0);
        } else {
            in = (r->min_ex ? x->score > r->min : x->score >= r->min) &&
                 (r->max_ex ? x->score < r->max : x->score <= r->max);
        }
        if (in) {
            if (a == SIZE_MAX)
                a = i;
            REQ(b == 0 || b == i); /* the entries inside are one run */
            b = i + 1;
        }
    }
    if (a == SIZE_MAX)
        a = b = 0;
    *first = a;
    *end = b;
}

/* ---- helpers ------------------------------------------------------------- */

static void check_set(const pzset *z)
{
    char err[256];
    if (pzset_check(z, err, sizeof err) != 0)
        ck_abort_msg("pzset_check: %s", err);
}

static bool same_score(double a, double b)
{
    return memcmp(&a, &b, sizeof a) == 0; /* -0.0 and 0.0 differ here */
}

static void expect_entry(const pzset_entry *e, const mitem *x, size_t rank)
{
    if (e == NULL)
        ck_abort_msg("rank %zu: no entry", rank);
    size_t len;
    const unsigned char *m = pzset_entry_member(e, &len);
    if (len != x->len || memcmp(m, x->m, len) != 0 || m[len] != '\0' ||
        !same_score(pzset_entry_score(e), x->score))
        ck_abort_msg("rank %zu: (%.17g, \"%.*s\") but the model has "
                     "(%.17g, \"%.*s\")", rank, pzset_entry_score(e),
                     (int)len, (const char *)m, x->score, (int)x->len,
                     (const char *)x->m);
}

/* The set holds exactly the model, every way it can be read. */
static void expect_model(const pzset *z, const model *md)
{
    check_set(z);
    REQ_UINT_EQ(pzset_len(z), md->n);
    pzset_iter it;
    size_t i = 0;
    for (pzset_iter_seek(&it, z, 0); pzset_iter_valid(&it);
         pzset_iter_next(&it), i++) {
        REQ_UINT_EQ(pzset_iter_rank(&it), i);
        expect_entry(pzset_iter_entry(&it), &md->a[i], i);
    }
    REQ_UINT_EQ(i, md->n);
    pzset_iter_seek(&it, z, SIZE_MAX);
    for (pzset_iter_prev(&it); pzset_iter_valid(&it); pzset_iter_prev(&it)) {
        i--;
        expect_entry(pzset_iter_entry(&it), &md->a[i], i);
    }
    REQ_UINT_EQ(i, 0);
    REQ(pzset_iter_rank(&it) == SIZE_MAX);
    for (i = 0; i < md->n; i++) {
        double sc;
        size_t rk;
        REQ(pzset_score(z, md->a[i].m, md->a[i].len, &sc));
        REQ(same_score(sc, md->a[i].score));
        REQ(pzset_rank(z, md->a[i].m, md->a[i].len, &rk));
        REQ_UINT_EQ(rk, i);
        expect_entry(pzset_at(z, i), &md->a[i], i);
    }
    REQ(pzset_at(z, md->n) == NULL);
}

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

/* Member number id: "m<id>", some with a NUL inside, some long (past
 * the byte limit given). */
static size_t make_member(unsigned id, unsigned char *buf, size_t long_len)
{
    int n = snprintf((char *)buf, MAXM, "m%u", id);
    size_t len = (size_t)n;
    if (id % 7 == 3) {
        buf[len++] = '\0';
        buf[len++] = 'z';
    }
    if (id % 23 == 5) {
        for (; len < long_len && len < MAXM; len++)
            buf[len] = (unsigned char)('a' + len % 26);
    }
    return len;
}

/* Scores with many ties, both zeros and both infinities. */
static double rnd_score(bool zeros_only)
{
    static const double special[] = { 0.0, -0.0, INFINITY, -INFINITY };
    if (zeros_only)
        return special[rndn(2)];
    switch (rndn(8)) {
    case 0:
        return special[rndn(4)];
    case 1:
    case 2:
        return (double)((long)rndn(11) - 5);
    case 3:
        return (double)((long)rndn(11) - 5) + 0.5;
    default:
        return ((double)(rnd() >> 11) / 9007199254740992.0 - 0.5) * 200.0;
    }
}

/* Replace the caller's set by an edit's result (a version's old self is
 * released), or check that a transient came back as itself. */
static void step_to(pzset **z, pzset *out, bool transient)
{
    if (transient) {
        REQ(out == *z);
        return;
    }
    pzset_release(*z);
    *z = out;
}

static pzset_range rnd_score_range(void)
{
    pzset_range r = { .by_lex = false };
    r.min = rnd_score(false);
    r.max = rndn(4) == 0 ? r.min : rnd_score(false);
    if (rndn(3) == 0 && r.min > r.max) {
        double t = r.min;
        r.min = r.max;
        r.max = t;
    }
    r.min_ex = rndn(3) == 0;
    r.max_ex = rndn(3) == 0;
    return r;
}

static unsigned char lexbuf[2][MAXM];

static pzset_range rnd_lex_range(unsigned pool, size_t long_len)
{
    pzset_range r = { .by_lex = true };
    if (rndn(6) != 0) {
        r.min_m = lexbuf[0];
        r.min_len = make_member((unsigned)rndn(pool), lexbuf[0], long_len);
    }
    if (rndn(6) != 0) {
        r.max_m = lexbuf[1];
        r.max_len = make_member((unsigned)rndn(pool), lexbuf[1], long_len);
    }
    r.min_ex = rndn(3) == 0;
    r.max_ex = rndn(3) == 0;
    return r;
}

/* ---- one random edit, on the set and the model ----------------------------- */

typedef struct run {
    unsigned pool;     /* member ids 0..pool-1 */
    size_t long_len;   /* length of the long members */
    size_t target;     /* size the walk heads for */
    size_t lo, hi;     /* it turns round at these */
    bool zeros;        /* phase where every new score is a zero */
} run;

static void random_edit(pzset **z, model *md, run *rn, bool transient)
{
    unsigned char mb[MAXM];
    pzset *out = NULL;
    size_t n = md->n;
    unsigned op = (unsigned)rndn(100);
    bool grow = n < rn->target;
    if (op < 45 && !grow && rndn(2))
        op += 45; /* shrinking: fewer adds */
    else if (op >= 50 && op < 90 && grow && rndn(2))
        op = (unsigned)rndn(30); /* growing: more adds */
    int rc;
    if (op < 30 || n == 0) { /* ZADD, mostly new members */
        size_t len = make_member((unsigned)rndn(rn->pool), mb, rn->long_len);
        double s = rnd_score(rn->zeros);
        rc = pzset_add(*z, mb, len, s, &out);
        REQ(rc == m_add(md, mb, len, s));
    } else if (op < 45) { /* score change of a present member */
        mitem x = md->a[rndn(n)];
        double s = rnd_score(rn->zeros);
        rc = pzset_add(*z, x.m, x.len, s, &out);
        REQ_UINT_EQ(rc, 0);
        bool changed = x.score != s;
        m_add(md, x.m, x.len, s);
        if (!changed)
            REQ(out == *z); /* nothing changed: the same set back */
    } else if (op < 50) { /* NaN is refused; nothing changes */
        mitem x = md->a[rndn(n)];
        errno = 0;
        REQ(pzset_add(*z, x.m, x.len, NAN, &out) == -1);
        REQ(errno == EINVAL);
        return;
    } else if (op < 62) { /* ZREM of a present member */
        mitem x = md->a[rndn(n)];
        rc = pzset_remove(*z, x.m, x.len, &out);
        REQ_UINT_EQ(rc, 1);
        size_t at = m_find(md, x.m, x.len);
        m_remove_ranks(md, at, at + 1);
        REQ(!pzset_score(out, x.m, x.len, NULL));
    } else if (op < 65) { /* ZREM of a member that may be absent */
        size_t len = make_member((unsigned)rndn(rn->pool * 2), mb, rn->long_len);
        size_t at = m_find(md, mb, len);
        rc = pzset_remove(*z, mb, len, &out);
        REQ_UINT_EQ(rc, at != SIZE_MAX);
        if (at != SIZE_MAX)
            m_remove_ranks(md, at, at + 1);
        else
            REQ(out == *z);
    } else if (op < 71) { /* ZREMRANGEBYRANK */
        size_t i = rndn(n + 1), j = i + (rndn(5) ? rndn(4) : rndn(n + 2));
        rc = pzset_remove_range_by_rank(*z, i, j, &out);
        REQ_UINT_EQ(rc, 0);
        m_remove_ranks(md, i, j);
    } else if (op < 77) { /* ZREMRANGEBYSCORE */
        pzset_range r = rnd_score_range();
        size_t a, b, removed = SIZE_MAX;
        m_range(md, &r, &a, &b);
        rc = pzset_remove_range(*z, &r, &out, &removed);
        REQ_UINT_EQ(rc, 0);
        REQ_UINT_EQ(removed, b - a);
        m_remove_ranks(md, a, b);
    } else if (op < 82) { /* ZREMRANGEBYLEX, where it is meaningful */
        if (!m_all_scores_equal(md))
            return;
        pzset_range r = rnd_lex_range(rn->pool, rn->long_len);
        size_t a, b, removed = SIZE_MAX;
        m_range(md, &r, &a, &b);
        rc = pzset_remove_range(*z, &r, &out, &removed);
        REQ_UINT_EQ(rc, 0);
        REQ_UINT_EQ(removed, b - a);
        m_remove_ranks(md, a, b);
    } else if (op < 86) { /* ZPOPMIN */
        size_t k = rndn(4);
        rc = pzset_pop_min(*z, k, &out);
        REQ_UINT_EQ(rc, 0);
        m_remove_ranks(md, 0, k);
    } else if (op < 90) { /* ZPOPMAX */
        size_t k = rndn(4);
        rc = pzset_pop_max(*z, k, &out);
        REQ_UINT_EQ(rc, 0);
        m_remove_ranks(md, k < n ? n - k : 0, n);
    } else { /* a present member again, with its own score: no change */
        mitem x = md->a[rndn(n)];
        rc = pzset_add(*z, x.m, x.len, x.score, &out);
        REQ_UINT_EQ(rc, 0);
        REQ(out == *z);
    }
    step_to(z, out, transient);
}

/* Random reads of z against the model. */
static void random_reads(const pzset *z, const model *md, const run *rn)
{
    unsigned char mb[MAXM];
    size_t n = md->n;
    /* ZSCORE / ZRANK of a member that may be absent */
    size_t len = make_member((unsigned)rndn(rn->pool * 2), mb, rn->long_len);
    size_t at = m_find(md, mb, len), rk = SIZE_MAX;
    double sc = 12345;
    REQ(pzset_score(z, mb, len, &sc) == (at != SIZE_MAX));
    REQ(pzset_rank(z, mb, len, &rk) == (at != SIZE_MAX));
    if (at != SIZE_MAX) {
        REQ(same_score(sc, md->a[at].score));
        REQ_UINT_EQ(rk, at);
    }
    /* the rank of a score bound, and a range by score */
    double s = rnd_score(false);
    REQ_UINT_EQ(pzset_rank_of_score(z, s, false), m_rank_of_score(md, s, false));
    REQ_UINT_EQ(pzset_rank_of_score(z, s, true), m_rank_of_score(md, s, true));
    pzset_range r = rnd_score_range();
    size_t a, b, za, zb;
    m_range(md, &r, &a, &b);
    pzset_range_ranks(z, &r, &za, &zb);
    if (a == b)
        REQ(za == zb);
    else
        REQ(za == a && zb == b);
    REQ_UINT_EQ(pzset_count_range(z, &r), b - a);
    /* by lex, where it is meaningful */
    if (m_all_scores_equal(md)) {
        len = make_member((unsigned)rndn(rn->pool), mb, rn->long_len);
        bool ex = rndn(2);
        REQ_UINT_EQ(pzset_rank_of_lex(z, mb, len, ex),
                    m_rank_of_lex(md, mb, len, ex));
        r = rnd_lex_range(rn->pool, rn->long_len);
        m_range(md, &r, &a, &b);
        pzset_range_ranks(z, &r, &za, &zb);
        if (a == b)
            REQ(za == zb);
        else
            REQ(za == a && zb == b);
        REQ_UINT_EQ(pzset_count_range(z, &r), b - a);
    }
    /* a few ranks forwards and backwards from a random one */
    size_t start = rndn(n + 1);
    pzset_iter it;
    pzset_iter_seek(&it, z, start);
    for (size_t k = 0; k < 4 && start + k < n; k++, pzset_iter_next(&it)) {
        REQ(pzset_iter_valid(&it));
        expect_entry(pzset_iter_entry(&it), &md->a[start + k], start + k);
    }
    pzset_iter_seek(&it, z, start);
    for (size_t k = 0; k < 4; k++) {
        pzset_iter_prev(&it);
        if (start < k + 1) {
            REQ(!pzset_iter_valid(&it));
            break;
        }
        expect_entry(pzset_iter_entry(&it), &md->a[start - k - 1],
                     start - k - 1);
    }
    if (n > 0) {
        size_t i = rndn(n);
        expect_entry(pzset_at(z, i), &md->a[i], i);
    }
}

static void walk_random(uint64_t seed, long steps, size_t max_entries,
                        size_t max_bytes, size_t lo, size_t hi,
                        long min_crossings)
{
    pzset_set_limits(max_entries, max_bytes);
    size_t live0 = pzset_entries_live();
    rng_state = seed;
    run rn = { .pool = (unsigned)(hi * 3), .long_len = max_bytes + 8,
               .target = hi, .lo = lo, .hi = hi, .zeros = false };
    model md = { NULL, 0, 0 };
    pzset *z = pzset_new();
    REQ(z != NULL);
    enum { KEEP = 30 };
    pzset *old[KEEP] = { 0 };
    model oldm[KEEP];
    int nold = 0;
    long crossings = 0, lex_checks = 0;
    bool was_tree = false;
    long phase = steps / 16 > 200 ? steps / 16 : 200;
    for (long step = 0; step < steps; step++) {
        /* every third phase adds only zeros, so that all scores end up
         * equal and the lex ranges can be checked */
        if (step % phase == 0)
            rn.zeros = (step / phase) % 3 == 2;
        if (md.n >= rn.hi)
            rn.target = rn.lo;
        else if (md.n <= rn.lo)
            rn.target = rn.hi;
        if (rndn(50) == 0) { /* a batch on a transient */
            pzset *t = pzset_edit_begin(z);
            REQ(t != NULL);
            REQ(pzset_is_transient(t));
            model before = m_copy(&md);
            int k = 1 + (int)rndn(20);
            for (int j = 0; j < k; j++)
                random_edit(&t, &md, &rn, true);
            check_set(t);
            expect_model(z, &before); /* the version it came from */
            free(before.a);
            pzset_release(z);
            z = pzset_edit_end(t);
            REQ(!pzset_is_transient(z));
            check_set(z);
        } else {
            random_edit(&z, &md, &rn, false);
        }
        bool is_tree = strcmp(pzset_encoding(z), "skiplist") == 0;
        if (is_tree != was_tree) {
            crossings++;
            was_tree = is_tree;
        }
        if (m_all_scores_equal(&md))
            lex_checks++;
        random_reads(z, &md, &rn);
        if (step % 500 == 0 || md.n < 6)
            expect_model(z, &md);
        if (step % (steps / KEEP + 1) == 0 && nold < KEEP) {
            old[nold] = pzset_retain(z);
            oldm[nold++] = m_copy(&md);
        }
    }
    expect_model(z, &md);
    if (getenv("PZSET_DEBUG"))
        fprintf(stderr, "crossings %ld lex %ld\n", crossings, lex_checks);
    if (crossings < min_crossings)
        ck_abort_msg("only %ld crossings of the threshold", crossings);
    REQ(lex_checks > steps / 20);
    for (int i = 0; i < nold; i++)
        expect_model(old[i], &oldm[i]);
    for (int i = nold; i > 0; i--) {
        int j = (int)rndn((size_t)i);
        pzset_release(old[j]);
        free(oldm[j].a);
        old[j] = old[i - 1];
        oldm[j] = oldm[i - 1];
        if (i > 1)
            expect_model(old[0], &oldm[0]);
    }
    expect_model(z, &md);
    pzset_release(z);
    free(md.a);
    REQ_UINT_EQ(pzset_entries_live(), live0);
    pzset_set_limits(PZSET_MAX_ENTRIES, PZSET_MAX_VALUE);
}

/* ---- tests ------------------------------------------------------------------ */

START_TEST(random_tiny_limits)
{
    walk_random(0x9e3779b97f4a7c15ull, test_scale(100000, 3000), 8, 10, 2,
                24, 20);
}
END_TEST

START_TEST(random_default_limits)
{
    walk_random(0x1234567887654321ull, test_scale(30000, 1500),
                PZSET_MAX_ENTRIES, PZSET_MAX_VALUE, 20, 300, 2);
}
END_TEST

/* Add, or fail the test. */
static pzset *add(pzset *z, const char *m, double s, int want)
{
    pzset *out;
    int rc = pzset_add(z, m, strlen(m), s, &out);
    ck_assert_int_eq(rc, want);
    pzset_release(z);
    return out;
}

static double score_of(const pzset *z, const char *m)
{
    double s = NAN;
    ck_assert(pzset_score(z, m, strlen(m), &s));
    return s;
}

static const char *member_at(const pzset *z, size_t rank)
{
    const pzset_entry *e = pzset_at(z, rank);
    ck_assert_ptr_nonnull(e);
    return pzset_entry_member(e, NULL);
}

START_TEST(basics)
{
    pzset_set_limits(PZSET_MAX_ENTRIES, PZSET_MAX_VALUE);
    size_t live0 = pzset_entries_live();
    pzset *z = pzset_new(), *out;
    ck_assert_ptr_nonnull(z);
    check_set(z);
    ck_assert_uint_eq(pzset_len(z), 0);
    ck_assert_str_eq(pzset_encoding(z), "listpack");
    ck_assert(!pzset_score(z, "a", 1, NULL));
    ck_assert(!pzset_rank(z, "a", 1, NULL));
    ck_assert_ptr_null(pzset_at(z, 0));
    ck_assert_uint_eq(pzset_rank_of_score(z, 1, false), 0);
    ck_assert_int_eq(pzset_remove(z, "a", 1, &out), 0);
    ck_assert_ptr_eq(out, z);
    pzset_release(out);
    ck_assert_int_eq(pzset_pop_min(z, 3, &out), 0);
    ck_assert_ptr_eq(out, z);
    pzset_release(out);
    /* Order: -inf, then scores, ties by member bytes then length, +inf. */
    z = add(z, "b", 1, 1);
    z = add(z, "a", 1, 1);
    z = add(z, "ab", 1, 1);
    z = add(z, "top", INFINITY, 1);
    z = add(z, "bottom", -INFINITY, 1);
    z = add(z, "zero", 0.0, 1);
    check_set(z);
    const char *want[] = { "bottom", "zero", "a", "ab", "b", "top" };
    for (size_t i = 0; i < 6; i++)
        ck_assert_str_eq(member_at(z, i), want[i]);
    size_t rk;
    ck_assert(pzset_rank(z, "ab", 2, &rk));
    ck_assert_uint_eq(rk, 3);
    /* ZADD -0.0 over 0.0 changes nothing (zsetAdd compares with !=). */
    ck_assert_int_eq(pzset_add(z, "zero", 4, -0.0, &out), 0);
    ck_assert_ptr_eq(out, z);
    pzset_release(out);
    ck_assert(!signbit(score_of(z, "zero")));
    /* -0.0 and 0.0 are one score: ties ordered by member. */
    z = add(z, "nzero", -0.0, 1);
    ck_assert_str_eq(member_at(z, 1), "nzero");
    ck_assert(signbit(score_of(z, "nzero")));
    ck_assert_uint_eq(pzset_rank_of_score(z, 0.0, false), 1);
    ck_assert_uint_eq(pzset_rank_of_score(z, -0.0, true), 3);
    /* NaN is refused, and so is a member past the longest. */
    errno = 0;
    ck_assert_int_eq(pzset_add(z, "x", 1, NAN, &out), -1);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_int_eq(pzset_add(z, "x", PZSET_MAX_MEMBER + 1, 1, &out), -1);
    ck_assert_int_eq(errno, EINVAL);
    /* A score change moves the member; the old version keeps it. */
    pzset *v1 = pzset_retain(z);
    z = add(z, "a", 100, 0);
    ck_assert_str_eq(member_at(z, 5), "a");
    ck_assert_str_eq(member_at(z, 6), "top");
    ck_assert(score_of(v1, "a") == 1);
    ck_assert_str_eq(member_at(v1, 3), "a");
    /* Ranges as Redis reads them. */
    pzset_range r = { .min = 0, .max = 1 };
    ck_assert_uint_eq(pzset_count_range(z, &r), 4); /* nzero zero ab b */
    r.min_ex = true;
    ck_assert_uint_eq(pzset_count_range(z, &r), 2);
    r.min = 2; /* min above max */
    ck_assert_uint_eq(pzset_count_range(z, &r), 0);
    r = (pzset_range){ .min = 1, .max = 1, .max_ex = true };
    ck_assert_uint_eq(pzset_count_range(z, &r), 0);
    r = (pzset_range){ .min = -INFINITY, .max = INFINITY };
    ck_assert_uint_eq(pzset_count_range(z, &r), 7);
    r.min_ex = r.max_ex = true; /* (-inf (+inf leaves out both ends */
    ck_assert_uint_eq(pzset_count_range(z, &r), 5);
    r.min = NAN;
    ck_assert_uint_eq(pzset_count_range(z, &r), 0);
    /* ZRANGEBYLEX on a set whose scores are all equal. */
    pzset *l = pzset_new();
    const char *words[] = { "a", "b", "c", "d", "e", "f", "g" };
    for (int i = 0; i < 7; i++)
        l = add(l, words[6 - i], 0, 1);
    pzset_range lr = { .by_lex = true, .max_m = "c", .max_len = 1 };
    ck_assert_uint_eq(pzset_count_range(l, &lr), 3); /* - [c */
    lr.max_ex = true;
    ck_assert_uint_eq(pzset_count_range(l, &lr), 2); /* - (c */
    lr = (pzset_range){ .by_lex = true, .min_m = "aaa", .min_len = 3,
                        .max_m = "g", .max_len = 1, .max_ex = true };
    size_t a, b;
    pzset_range_ranks(l, &lr, &a, &b);
    ck_assert_uint_eq(a, 1);
    ck_assert_uint_eq(b, 6);
    lr = (pzset_range){ .by_lex = true };
    ck_assert_uint_eq(pzset_count_range(l, &lr), 7); /* - + */
    size_t removed = 0;
    lr = (pzset_range){ .by_lex = true, .min_m = "b", .min_len = 1,
                        .max_m = "d", .max_len = 1 };
    ck_assert_int_eq(pzset_remove_range(l, &lr, &out, &removed), 0);
    ck_assert_uint_eq(removed, 3);
    ck_assert_uint_eq(pzset_len(out), 4);
    ck_assert_str_eq(member_at(out, 1), "e");
    pzset_release(out);
    /* Iterators stop at both ends and come back. */
    pzset_iter it;
    pzset_iter_seek(&it, l, 6);
    pzset_iter_next(&it);
    ck_assert(!pzset_iter_valid(&it));
    pzset_iter_next(&it);
    ck_assert_uint_eq(pzset_iter_rank(&it), 7);
    pzset_iter_prev(&it);
    ck_assert_str_eq(pzset_entry_member(pzset_iter_entry(&it), NULL), "g");
    pzset_iter_seek(&it, l, 0);
    pzset_iter_prev(&it);
    ck_assert(!pzset_iter_valid(&it));
    pzset_iter_prev(&it);
    pzset_iter_next(&it);
    ck_assert_str_eq(pzset_entry_member(pzset_iter_entry(&it), NULL), "a");
    /* Pops. */
    ck_assert_int_eq(pzset_pop_max(l, 2, &out), 0);
    ck_assert_uint_eq(pzset_len(out), 5);
    ck_assert_str_eq(member_at(out, 4), "e");
    pzset_release(out);
    ck_assert_int_eq(pzset_pop_min(l, 10, &out), 0);
    ck_assert_uint_eq(pzset_len(out), 0);
    check_set(out);
    pzset_release(out);
    ck_assert_uint_gt(pzset_bytes(l), 7 * 16);
    /* Transients: not nested, and not retained. */
    pzset *t = pzset_edit_begin(l);
    ck_assert_ptr_nonnull(t);
    errno = 0;
    ck_assert_ptr_null(pzset_edit_begin(t));
    ck_assert_int_eq(errno, EINVAL);
    pzset_release(t);
    pzset_release(l);
    pzset_release(v1);
    pzset_release(z);
    ck_assert_uint_eq(pzset_entries_live(), live0);
}
END_TEST

/* The flat form's limits and their hysteresis, at Redis's defaults. */
START_TEST(thresholds)
{
    pzset_set_limits(PZSET_MAX_ENTRIES, PZSET_MAX_VALUE);
    size_t live0 = pzset_entries_live();
    pzset *z = pzset_new();
    char m[100];
    for (int i = 0; i < PZSET_MAX_ENTRIES; i++) {
        snprintf(m, sizeof m, "member:%d", i);
        z = add(z, m, i % 10, 1);
        ck_assert_str_eq(pzset_encoding(z), "listpack");
    }
    z = add(z, "one more", 3, 1); /* 129 > 128 */
    ck_assert_str_eq(pzset_encoding(z), "skiplist");
    check_set(z);
    pzset *out;
    /* Shrinking: a tree until 64 = 128 / 2. */
    while (pzset_len(z) > PZSET_MAX_ENTRIES / 2 + 1) {
        ck_assert_int_eq(pzset_pop_min(z, 1, &out), 0);
        pzset_release(z);
        z = out;
        ck_assert_str_eq(pzset_encoding(z), "skiplist");
    }
    ck_assert_int_eq(pzset_pop_max(z, 1, &out), 0);
    pzset_release(z);
    z = out;
    ck_assert_uint_eq(pzset_len(z), 64);
    ck_assert_str_eq(pzset_encoding(z), "listpack");
    check_set(z);
    /* A member of 64 bytes stays flat, 65 does not. */
    memset(m, 'x', 65);
    ck_assert_int_eq(pzset_add(z, m, 64, 1, &out), 1);
    ck_assert_str_eq(pzset_encoding(out), "listpack");
    pzset_release(out);
    ck_assert_int_eq(pzset_add(z, m, 65, 1000, &out), 1);
    ck_assert_str_eq(pzset_encoding(out), "skiplist");
    check_set(out);
    /* ... and a tree holding a long member stays one when it shrinks. */
    pzset *small;
    ck_assert_int_eq(pzset_pop_min(out, 60, &small), 0);
    ck_assert_str_eq(pzset_encoding(small), "skiplist");
    check_set(small);
    ck_assert(pzset_score(small, m, 65, NULL));
    pzset *gone;
    ck_assert_int_eq(pzset_remove(small, m, 65, &gone), 1);
    ck_assert_str_eq(pzset_encoding(gone), "listpack");
    check_set(gone);
    pzset_release(gone);
    pzset_release(small);
    pzset_release(out);
    /* zset-max-listpack-entries 0: every non-empty set is a tree. */
    pzset_set_limits(0, PZSET_MAX_VALUE);
    ck_assert_int_eq(pzset_add(z, "new", 4, 1, &out), 1);
    ck_assert_str_eq(pzset_encoding(out), "skiplist");
    check_set(out);
    pzset_release(out);
    pzset_set_limits(PZSET_MAX_ENTRIES, PZSET_MAX_VALUE);
    pzset_release(z);
    ck_assert_uint_eq(pzset_entries_live(), live0);
}
END_TEST

/* ---- allocation failure ------------------------------------------------------- */

enum { E_ADD, E_ADD_LONG, E_UPDATE_NEAR, E_UPDATE_FAR, E_REMOVE, E_REMOVE_RANK,
       E_REMOVE_SCORE, E_POP_MIN, E_POP_MAX, E_KINDS };

/* One edit of each kind, chosen from the model; rc as the API's. */
static int do_edit(pzset *z, int kind, model *md, pzset **out)
{
    unsigned char mb[MAXM];
    size_t n = md->n, len;
    int rc = -1;
    switch (kind) {
    case E_ADD:
    case E_ADD_LONG:
        len = make_member(kind == E_ADD ? 100000 : 100005, mb, 40);
        rc = pzset_add(z, mb, len, 2.5, out);
        if (rc >= 0)
            REQ(rc == m_add(md, mb, len, 2.5));
        break;
    case E_UPDATE_NEAR:
    case E_UPDATE_FAR: {
        if (n == 0) { /* nothing to change: add one instead */
            rc = pzset_add(z, "x", 1, 1, out);
            if (rc >= 0)
                m_add(md, "x", 1, 1);
            return rc;
        }
        mitem x = md->a[n / 2];
        double s = kind == E_UPDATE_NEAR ? nextafter(x.score, INFINITY)
                                         : -1000.0 - (double)n;
        rc = pzset_add(z, x.m, x.len, s, out);
        if (rc >= 0)
            m_add(md, x.m, x.len, s);
        break;
    }
    case E_REMOVE: {
        if (n == 0)
            return pzset_remove(z, "x", 1, out);
        mitem x = md->a[n / 3];
        rc = pzset_remove(z, x.m, x.len, out);
        if (rc >= 0)
            m_remove_ranks(md, n / 3, n / 3 + 1);
        break;
    }
    case E_REMOVE_RANK:
        rc = pzset_remove_range_by_rank(z, n / 4, n / 4 + 3, out);
        if (rc >= 0)
            m_remove_ranks(md, n / 4, n / 4 + 3);
        break;
    case E_REMOVE_SCORE: {
        pzset_range r = { .min = 1, .max = 2, .max_ex = true };
        size_t a, b;
        m_range(md, &r, &a, &b);
        rc = pzset_remove_range(z, &r, out, NULL);
        if (rc >= 0)
            m_remove_ranks(md, a, b);
        break;
    }
    case E_POP_MIN:
        rc = pzset_pop_min(z, 2, out);
        if (rc >= 0)
            m_remove_ranks(md, 0, 2);
        break;
    case E_POP_MAX:
        rc = pzset_pop_max(z, 2, out);
        if (rc >= 0)
            m_remove_ranks(md, n > 2 ? n - 2 : 0, n);
        break;
    }
    return rc;
}

/* A version of n members "m<i>" with scores i % 5 (and the model). */
static pzset *build(size_t n, model *md)
{
    pzset *z = pzset_new(), *out;
    REQ(z != NULL);
    md->n = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char mb[MAXM];
        size_t len = make_member((unsigned)i * 2, mb, 8);
        REQ(pzset_add(z, mb, len, (double)(i % 5), &out) == 1);
        m_add(md, mb, len, (double)(i % 5));
        pzset_release(z);
        z = out;
    }
    return z;
}

static void fail_every_allocation(size_t n, int kind, bool transient)
{
    model m = { NULL, 0, 0 };
    pzset *v = build(n, &m), *s = v;
    if (transient) { /* a transient that already owns part of itself */
        s = pzset_edit_begin(v);
        REQ(s != NULL);
        pzset *o;
        REQ(pzset_add(s, "own", 3, 1.5, &o) == 1);
        m_add(&m, "own", 3, 1.5);
    }
    for (unsigned long nth = 1;; nth++) {
        REQ(nth < 1000);
        model mm = m_copy(&m);
        pzset *out = NULL;
        alloc_fail_nth(nth);
        errno = 0;
        int rc = do_edit(s, kind, &mm, &out);
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        if (rc >= 0) {
            REQ_UINT_EQ(fired, 0);
            expect_model(out, &mm);
            if (!transient) {
                expect_model(v, &m); /* the old version is intact */
                pzset_release(out);
            } else {
                REQ(out == s);
            }
            free(mm.a);
            break;
        }
        if (errno != ENOMEM || fired != 1)
            ck_abort_msg("edit %d on %zu members, allocation %lu: rc %d "
                         "errno %d fired %lu", kind, n, nth, rc, errno, fired);
        REQ(out == NULL);
        expect_model(s, &m);
        free(mm.a);
    }
    pzset_release(s);
    if (transient)
        pzset_release(v);
    free(m.a);
}

START_TEST(allocation_failure_every_edit)
{
    pzset_set_limits(8, 10);
    size_t live0 = pzset_entries_live();
    /* flat; flat at the limit; a tree that flattens when it loses one or
     * two; trees of two and three levels. */
    size_t sizes[] = { 0, 3, 8, 9, 40, (size_t)test_scale(700, 100),
                       (size_t)test_scale(2000, 200) };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (int kind = 0; kind < E_KINDS; kind++) {
            fail_every_allocation(sizes[i], kind, false);
            fail_every_allocation(sizes[i], kind, true);
        }
    REQ_UINT_EQ(pzset_entries_live(), live0);
    pzset_set_limits(PZSET_MAX_ENTRIES, PZSET_MAX_VALUE);
}
END_TEST

/* A batch on one transient with allocation nth failing (once, or from
 * then on): each edit that fails leaves the transient as the edits before
 * it made it, and the batch goes on. */
static void batch_with_failures(bool forever)
{
    static const int kinds[] = { E_ADD, E_UPDATE_FAR, E_ADD_LONG, E_REMOVE,
                                 E_POP_MIN, E_UPDATE_NEAR, E_REMOVE_SCORE,
                                 E_ADD, E_REMOVE_RANK, E_POP_MAX, E_ADD };
    int nk = (int)(sizeof kinds / sizeof *kinds);
    size_t sizes[] = { 6, 12, (size_t)test_scale(300, 40) };
    for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++) {
        model m0 = { NULL, 0, 0 };
        pzset *v = build(sizes[si], &m0);
        for (unsigned long nth = 1;; nth++) {
            REQ(nth < 3000);
            model m = m_copy(&m0);
            if (forever)
                alloc_fail_from(nth);
            else
                alloc_fail_nth(nth);
            pzset *t = pzset_edit_begin(v), *out;
            if (t == NULL) {
                alloc_fail_off();
                free(m.a);
                continue;
            }
            int failures = 0;
            for (int j = 0; j < nk; j++) {
                model before = m_copy(&m);
                out = NULL;
                if (do_edit(t, kinds[j], &m, &out) < 0) {
                    failures++;
                    REQ(errno == ENOMEM && out == NULL);
                    free(m.a);
                    m = before;
                } else {
                    free(before.a);
                    REQ(out == t);
                }
            }
            unsigned long fired = alloc_fail_fired();
            alloc_fail_off();
            expect_model(t, &m);
            t = pzset_edit_end(t);
            expect_model(t, &m);
            pzset_release(t);
            free(m.a);
            if (fired == 0) {
                REQ(failures == 0);
                break;
            }
        }
        expect_model(v, &m0);
        pzset_release(v);
        free(m0.a);
    }
}

START_TEST(allocation_failure_in_a_batch)
{
    pzset_set_limits(8, 10);
    size_t live0 = pzset_entries_live();
    batch_with_failures(false);
    batch_with_failures(true);
    REQ_UINT_EQ(pzset_entries_live(), live0);
    pzset_set_limits(PZSET_MAX_ENTRIES, PZSET_MAX_VALUE);
}
END_TEST

/* A bulk load (one transient, many new members) is an RDB load: it must
 * cost about one allocation per member and per node, not a path copy
 * per member. */
START_TEST(batch_load_allocates_little)
{
    pzset_set_limits(PZSET_MAX_ENTRIES, PZSET_MAX_VALUE);
    size_t live0 = pzset_entries_live();
    long n = test_scale(20000, 2000);
    pzset *e = pzset_new(), *t, *out;
    REQ(e != NULL);
    alloc_fail_nth(ULONG_MAX);
    t = pzset_edit_begin(e);
    REQ(t != NULL);
    pzset_release(e);
    rng_state = 99;
    for (long i = 0; i < n; i++) {
        char m[32];
        int len = snprintf(m, sizeof m, "member:%ld", i);
        REQ(pzset_add(t, m, (size_t)len, (double)rndn(1000000), &out) == 1);
    }
    t = pzset_edit_end(t);
    unsigned long allocs = alloc_fail_seen();
    alloc_fail_off();
    /* an entry and about one resized trie node per member, and a tree
     * leaf now and then (2.06 per member measured); an edit of a version
     * per member would copy both paths, some 8 allocations */
    if (allocs > (unsigned long)n * 3)
        ck_abort_msg("%ld adds in one transient made %lu allocations", n,
                     allocs);
    check_set(t);
    REQ_UINT_EQ(pzset_len(t), (size_t)n);
    pzset_release(t);
    REQ_UINT_EQ(pzset_entries_live(), live0);
}
END_TEST

/* ---- readers in other threads --------------------------------------------- */

/* The writer publishes versions holding members "w<id>" for ids lo..hi-1,
 * each with score id, in a box that ebr frees once no reader can hold it. */
typedef struct box {
    ebr_node node; /* first: the box is its node */
    pzset *v;
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
    pzset_release(b->v); /* only the writer calls ebr_reclaim: its thread */
    free(b);
}

static size_t wname(char *buf, unsigned id)
{
    return (size_t)snprintf(buf, 24, "w%u", id);
}

static void reader_check(const box *b, uint64_t *seed)
{
    const pzset *v = b->v;
    REQ_UINT_EQ(pzset_len(v), b->hi - b->lo);
    char m[24];
    for (int i = 0; i < 8; i++) {
        *seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
        unsigned id = b->lo + (unsigned)((*seed >> 33) % (b->hi - b->lo + 4));
        size_t len = wname(m, id), rk;
        double s;
        bool in = id < b->hi;
        REQ(pzset_score(v, m, len, &s) == in);
        REQ(pzset_rank(v, m, len, &rk) == in);
        if (in)
            REQ(s == id && rk == id - b->lo);
        REQ_UINT_EQ(pzset_rank_of_score(v, id, false),
                    (in ? id : b->hi) - b->lo);
    }
    pzset_iter it;
    size_t n = 0;
    for (pzset_iter_seek(&it, v, 0); pzset_iter_valid(&it);
         pzset_iter_next(&it), n++) {
        const pzset_entry *e = pzset_iter_entry(&it);
        REQ(pzset_entry_score(e) == b->lo + n);
    }
    REQ_UINT_EQ(n, b->hi - b->lo);
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
        /* acquire: pairs with the writer's release exchange, so the
         * version and every node and entry it reaches are seen complete */
        box *b = atomic_load_explicit(&sh->cur, memory_order_acquire);
        reader_check(b, &seed);
        reader_check(b, &seed); /* read twice: it must not change */
        ebr_exit(r);
        atomic_fetch_add_explicit(&sh->reads, 1, memory_order_relaxed);
    }
    REQ(ebr_unregister(r) == 0);
    return NULL;
}

START_TEST(readers_while_writing)
{
    pzset_set_limits(16, PZSET_MAX_VALUE);
    size_t live0 = pzset_entries_live();
    shared sh;
    sh.d = ebr_create();
    REQ(sh.d != NULL);
    atomic_init(&sh.stop, false);
    atomic_init(&sh.reads, 0);
    box *b = calloc(1, sizeof *b);
    REQ(b != NULL);
    b->v = pzset_new();
    REQ(b->v != NULL);
    atomic_init(&sh.cur, b);
    enum { READERS = 3 };
    pthread_t th[READERS];
    for (int i = 0; i < READERS; i++)
        REQ(pthread_create(&th[i], NULL, reader_main, &sh) == 0);
    long steps = test_scale(20000, 600);
    unsigned lo = 0, hi = 0, window = 100;
    pzset *v = pzset_retain(b->v), *next;
    char m[24];
    for (long s = 0; s < steps; s++) {
        if (s % 500 == 0) /* the window shrinks to flat and grows back */
            window = window == 100 ? 4 : 100;
        bool batch = s % 5 == 0;
        pzset *t = batch ? pzset_edit_begin(v) : v;
        REQ(t != NULL);
        for (unsigned e = 0; e < (batch ? 4u : 1u); e++) {
            size_t len = wname(m, hi);
            REQ(pzset_add(t, m, len, hi, &next) == 1);
            hi++;
            if (!batch) {
                pzset_release(t);
                t = next;
            }
            while (hi - lo > window) {
                len = wname(m, lo++);
                REQ(pzset_remove(t, m, len, &next) == 1);
                if (!batch) {
                    pzset_release(t);
                    t = next;
                }
            }
        }
        if (batch) {
            pzset_release(v);
            v = pzset_edit_end(t);
        } else {
            v = t;
        }
        box *nb = malloc(sizeof *nb);
        REQ(nb != NULL);
        nb->v = pzset_retain(v);
        nb->lo = lo;
        nb->hi = hi;
        /* release: the version is complete before a reader can load it */
        box *old = atomic_exchange_explicit(&sh.cur, nb, memory_order_acq_rel);
        ebr_retire(sh.d, &old->node, box_free, sizeof *old);
        if (s % 16 == 0)
            ebr_reclaim(sh.d);
    }
    while (atomic_load_explicit(&sh.reads, memory_order_relaxed) < READERS)
        sched_yield();
    atomic_store_explicit(&sh.stop, true, memory_order_relaxed);
    for (int i = 0; i < READERS; i++)
        REQ(pthread_join(th[i], NULL) == 0);
    box *last = atomic_load_explicit(&sh.cur, memory_order_relaxed);
    ebr_retire(sh.d, &last->node, box_free, sizeof *last);
    REQ(ebr_destroy(sh.d) == 0); /* frees what is still retired */
    check_set(v);
    REQ_UINT_EQ(pzset_len(v), hi - lo);
    pzset_release(v);
    REQ_UINT_EQ(pzset_entries_live(), live0);
    pzset_set_limits(PZSET_MAX_ENTRIES, PZSET_MAX_VALUE);
}
END_TEST

/* ---- the checker ---------------------------------------------------------- */

/* The checker must catch a broken set, or every test above could pass on
 * a checker that accepts anything. */
START_TEST(check_catches_damage)
{
    pzset_set_limits(8, 10);
    size_t live0 = pzset_entries_live();
    char err[256];
    model md = { NULL, 0, 0 };
    /* flat: two entries out of order */
    pzset *f = build(5, &md);
    ck_assert_int_eq(pzset_check(f, err, sizeof err), 0);
    pzset_entry *x = f->flat[1];
    f->flat[1] = f->flat[2];
    f->flat[2] = x;
    ck_assert_int_eq(pzset_check(f, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "not above"));
    f->flat[2] = f->flat[1];
    f->flat[1] = x;
    /* a NaN score */
    double keep = f->flat[3]->h.score;
    f->flat[3]->h.score = NAN;
    ck_assert_int_eq(pzset_check(f, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "NaN"));
    f->flat[3]->h.score = keep;
    ck_assert_int_eq(pzset_check(f, err, sizeof err), 0);
    pzset_release(f);
    /* tree: the trie holding another entry for a member, and lengths */
    pzset *t = build(40, &md), *o;
    ck_assert_str_eq(pzset_encoding(t), "skiplist");
    ck_assert_int_eq(pzset_check(t, err, sizeof err), 0);
    pzset_entry *other = pzset_entry_new("m0", 2, 0);
    ptrie *d2;
    ck_assert_int_eq(ptrie_put(t->dict, other, true, &d2), 0);
    pzset_entry_release(other);
    ptrie *keepd = t->dict;
    t->dict = d2;
    ck_assert_int_eq(pzset_check(t, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "another entry"));
    ck_assert_int_eq(ptrie_remove(keepd, "m0", 2, &d2), 1);
    ptrie_release(t->dict);
    t->dict = d2;
    ck_assert_int_eq(pzset_check(t, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "length"));
    ptrie_release(t->dict);
    t->dict = keepd;
    ck_assert_int_eq(pzset_check(t, err, sizeof err), 0);
    t->len++;
    ck_assert_int_eq(pzset_check(t, err, sizeof err), -1);
    t->len--;
    (void)o;
    pzset_release(t);
    free(md.a);
    ck_assert_uint_eq(pzset_entries_live(), live0);
    pzset_set_limits(PZSET_MAX_ENTRIES, PZSET_MAX_VALUE);
}
END_TEST

Suite *ch08_pzset_suite(void)
{
    Suite *s = suite_create("ch08_pzset");
    TCase *tc = test_tcase("basics", 60);
    tcase_add_test(tc, basics);
    tcase_add_test(tc, thresholds);
    tcase_add_test(tc, check_catches_damage);
    suite_add_tcase(s, tc);
    tc = test_tcase("random", 300);
    tcase_add_test(tc, random_tiny_limits);
    tcase_add_test(tc, random_default_limits);
    suite_add_tcase(s, tc);
    tc = test_tcase("allocation_failure", 300);
    tcase_add_test(tc, allocation_failure_every_edit);
    tcase_add_test(tc, allocation_failure_in_a_batch);
    tcase_add_test(tc, batch_load_allocates_little);
    suite_add_tcase(s, tc);
    tc = test_tcase("threads", 300);
    tcase_add_test(tc, readers_while_writing);
    suite_add_tcase(s, tc);
    return s;
}
