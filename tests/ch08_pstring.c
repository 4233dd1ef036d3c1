/* ch08_pstring.c - chapter 8: the persistent long string against a flat buffer.
 *
 * Every test drives pstring edits and keeps a model, a plain growable
 * byte buffer edited the obvious way (memcpy, memset).  After edits the
 * string must hold exactly the model's bytes and pstring_check() must
 * pass; old versions must still hold what they held; and when the last
 * version goes, pstring_bytes_live() must be back where it started.
 * Most tests use tiny limits (threshold 64, chunks of 16 bytes) so that
 * short strings cross the threshold both ways and span many chunks;
 * the large-string test uses the defaults.  Sizes scale with TEST_SCALE.
 */
#include "pstring.h"
#include "alloc.h"
#include "test_util.h"

#include <errno.h>
#include <limits.h>
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
#define REQ_UINT_EQ(a, b)                                                   \
    do {                                                                    \
        uintmax_t a_ = (a), b_ = (b);                                       \
        if (a_ != b_)                                                       \
            ck_abort_msg("%s == %s failed: %ju != %ju", #a, #b, a_, b_);    \
    } while (0)

/* ---- the model ------------------------------------------------------------ */

typedef struct model {
    unsigned char *b;
    size_t len, cap;
} model;

static void m_reserve(model *m, size_t n)
{
    if (n <= m->cap)
        return;
    size_t c = m->cap ? m->cap : 64;
    while (c < n)
        c *= 2;
    m->b = realloc(m->b, c);
    REQ(m->b != NULL);
    m->cap = c;
}

static void m_write(model *m, size_t off, const void *d, size_t n)
{
    if (n == 0)
        return;
    m_reserve(m, off + n);
    if (off > m->len)
        memset(m->b + m->len, 0, off - m->len);
    memcpy(m->b + off, d, n);
    if (off + n > m->len)
        m->len = off + n;
}

static int m_setbit(model *m, uint64_t bit, int v)
{
    size_t byte = (size_t)(bit >> 3);
    unsigned char zero = 0;
    if (byte >= m->len)
        m_write(m, byte, &zero, 1);
    unsigned char mask = (unsigned char)(0x80u >> (bit & 7));
    int old = (m->b[byte] & mask) != 0;
    if (v)
        m->b[byte] |= mask;
    else
        m->b[byte] &= (unsigned char)~mask;
    return old;
}

static uint64_t m_bitcount(const model *m, size_t a, size_t b)
{
    uint64_t c = 0;
    if (a >= m->len || a > b)
        return 0;
    if (b >= m->len)
        b = m->len - 1;
    for (size_t i = a; i <= b; i++)
        c += (uint64_t)__builtin_popcount(m->b[i]);
    return c;
}

static model m_copy(const model *m)
{
    model c = { NULL, 0, 0 };
    m_write(&c, 0, m->b, m->len);
    return c;
}

/* ---- helpers ---------------------------------------------------------------- */

static void check_str(const pstring *s)
{
    char err[256];
    if (pstring_check(s, err, sizeof err) != 0)
        ck_abort_msg("pstring_check: %s", err);
}

/* The string holds exactly the model's bytes, by read and by iterator. */
static void expect_model(const pstring *s, const model *m)
{
    REQ_UINT_EQ(pstring_len(s), m->len);
    unsigned char *buf = malloc(m->len + 1);
    REQ(buf != NULL);
    REQ_UINT_EQ(pstring_read(s, 0, m->len + 10, buf), m->len);
    if (m->len && memcmp(buf, m->b, m->len) != 0)
        ck_abort_msg("bytes differ from the model (length %zu)", m->len);
    pstring_iter it;
    const unsigned char *p;
    size_t n, at = 0;
    for (pstring_iter_init(&it, s); pstring_iter_next(&it, &p, &n); at += n) {
        REQ(n >= 1 && at + n <= m->len);
        REQ(memcmp(p, m->b + at, n) == 0);
    }
    REQ_UINT_EQ(at, m->len);
    free(buf);
}

static void set_small_limits(void)
{
    REQ(pstring_set_limits(64, 16) == 0);
}

static void set_default_limits(void)
{
    REQ(pstring_set_limits(PSTRING_THRESHOLD, PSTRING_CHUNK) == 0);
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

static void fill_random(unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)rnd();
}

/* ---- one random edit, on the string and the model ------------------------ */

enum { MAXLEN = 3000 };

/* Apply one random edit to *s (a version: replaced by the result, the
 * old one released; a transient: changed in place) and to m. */
static void random_edit(pstring **s, model *m, bool transient)
{
    unsigned char data[300] = { 0 };
    pstring *out = NULL;
    size_t len = m->len;
    unsigned op = (unsigned)rndn(100);
    int rc;
    if (len > MAXLEN)
        op = 95; /* keep it bounded: shrink */
    if (op < 30) { /* APPEND */
        size_t n = rndn(10) == 0 ? rndn(sizeof data) : rndn(24);
        fill_random(data, n);
        rc = pstring_append(*s, data, n, &out);
        m_write(m, m->len, data, n);
    } else if (op < 60) { /* SETRANGE, sometimes past the end */
        size_t off = rndn(len + 80), n = rndn(5) == 0 ? rndn(200) : rndn(20);
        fill_random(data, n);
        rc = pstring_setrange(*s, off, data, n, &out);
        m_write(m, off, data, n);
    } else if (op < 90) { /* SETBIT */
        uint64_t bit = rndn((len + 24) * 8);
        int v = (int)rndn(2), old = -1;
        rc = pstring_setbit(*s, bit, v, &out, &old);
        int mold = m_setbit(m, bit, v);
        REQ(rc != 0 || old == mold);
    } else { /* truncate: down to the flat range now and then */
        size_t nl = rndn(3) == 0 ? rndn(40) : rndn(len + 1);
        if (nl > len)
            nl = len;
        rc = pstring_truncate(*s, nl, &out);
        if (nl <= m->len)
            m->len = nl;
    }
    REQ(rc == 0);
    if (!transient)
        pstring_release(*s);
    else
        REQ(out == *s);
    *s = out;
    check_str(*s);
}

/* Random reads of s against m. */
static void random_reads(const pstring *s, const model *m)
{
    unsigned char buf[200];
    size_t len = m->len;
    size_t off = rndn(len + 10), n = rndn(sizeof buf);
    size_t want = off >= len ? 0 : (len - off < n ? len - off : n);
    REQ_UINT_EQ(pstring_read(s, off, n, buf), want);
    REQ(want == 0 || memcmp(buf, m->b + off, want) == 0);
    size_t i = rndn(len + 3);
    REQ(pstring_byte_at(s, i) == (i < len ? m->b[i] : -1));
    uint64_t bit = rndn((len + 3) * 8);
    int mb = (bit >> 3) < len ? (m->b[bit >> 3] >> (7 - (bit & 7))) & 1 : 0;
    REQ(pstring_getbit(s, bit) == mb);
    size_t a = rndn(len + 2), b = a + rndn(len + 2);
    REQ_UINT_EQ(pstring_bitcount(s, a, b), m_bitcount(m, a, b));
}

/* ---- tests ------------------------------------------------------------------ */

START_TEST(random_against_model)
{
    set_small_limits();
    size_t live0 = pstring_bytes_live();
    rng_state = 0x9e3779b97f4a7c15ull;
    long steps = test_scale(100000, 3000);
    model m = { NULL, 0, 0 };
    pstring *s = pstring_new(NULL, 0);
    REQ(s != NULL);
    enum { KEEP = 30 };
    pstring *old[KEEP] = { 0 };
    model oldm[KEEP];
    int nold = 0;
    long crossings = 0;
    bool was_chunked = false;
    for (long step = 0; step < steps; step++) {
        if (rndn(50) == 0) { /* a batch on a transient */
            pstring *t = pstring_edit_begin(s);
            REQ(t != NULL);
            int k = 1 + (int)rndn(20);
            for (int j = 0; j < k; j++)
                random_edit(&t, &m, true);
            pstring_release(s);
            s = pstring_edit_end(t);
            check_str(s);
        } else {
            random_edit(&s, &m, false);
        }
        if (pstring_is_chunked(s) != was_chunked) {
            crossings++;
            was_chunked = !was_chunked;
        }
        random_reads(s, &m);
        if (m.len < 500 || step % 64 == 0)
            expect_model(s, &m);
        if (step % (steps / KEEP + 1) == 0 && nold < KEEP) {
            old[nold] = pstring_retain(s);
            oldm[nold++] = m_copy(&m);
        }
    }
    expect_model(s, &m);
    ck_assert_int_ge(crossings, 20); /* both ways, many times */
    /* Every kept version is intact; release them in random order. */
    for (int i = 0; i < nold; i++)
        expect_model(old[i], &oldm[i]);
    for (int i = nold; i > 0; i--) {
        int j = (int)rndn((size_t)i);
        pstring_release(old[j]);
        free(oldm[j].b);
        old[j] = old[i - 1];
        oldm[j] = oldm[i - 1];
        if (i > 1)
            expect_model(old[0], &oldm[0]);
    }
    expect_model(s, &m);
    pstring_release(s);
    free(m.b);
    REQ_UINT_EQ(pstring_bytes_live(), live0);
    set_default_limits();
}
END_TEST

START_TEST(edges_and_errors)
{
    set_default_limits();
    size_t live0 = pstring_bytes_live();
    pstring *e = pstring_new(NULL, 0), *out;
    REQ(e != NULL);
    check_str(e);
    REQ_UINT_EQ(pstring_len(e), 0);
    REQ(pstring_byte_at(e, 0) == -1);
    REQ(pstring_getbit(e, 12345) == 0);
    REQ_UINT_EQ(pstring_bitcount(e, 0, 100), 0);
    pstring_iter it;
    const unsigned char *p;
    size_t n;
    pstring_iter_init(&it, e);
    REQ(!pstring_iter_next(&it, &p, &n));
    errno = 0;
    ck_assert_int_eq(pstring_truncate(e, 1, &out), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_int_eq(pstring_setrange(e, SIZE_MAX - 2, "abcd", 4, &out), -1);
    ck_assert_int_eq(errno, EINVAL);
    /* Empty edits change nothing and hand back the same version. */
    ck_assert_int_eq(pstring_setrange(e, 1000, "", 0, &out), 0);
    ck_assert_ptr_eq(out, e);
    pstring_release(out);
    ck_assert_int_eq(pstring_append(e, "", 0, &out), 0);
    ck_assert_ptr_eq(out, e);
    pstring_release(out);
    /* Redis bit order: bit 0 is the top bit of byte 0; SETBIT 7 1 on an
     * empty string gives "\x01", SETBIT 0 1 then "\x81". */
    int old = -1;
    pstring *a, *b;
    ck_assert_int_eq(pstring_setbit(e, 7, 1, &a, &old), 0);
    ck_assert_int_eq(old, 0);
    ck_assert_int_eq(pstring_byte_at(a, 0), 0x01);
    ck_assert_int_eq(pstring_setbit(a, 0, 1, &b, &old), 0);
    ck_assert_int_eq(pstring_byte_at(b, 0), 0x81);
    ck_assert_int_eq(pstring_getbit(b, 0), 1);
    ck_assert_int_eq(pstring_getbit(b, 1), 0);
    ck_assert_int_eq(pstring_byte_at(a, 0), 0x01); /* a is intact */
    ck_assert_int_eq(pstring_setbit(b, 0, 1, &out, &old), 0);
    ck_assert_int_eq(old, 1);
    ck_assert_ptr_eq(out, b);
    pstring_release(out);
    /* SETRANGE past the end pads with zeros, and crosses the threshold. */
    pstring *c;
    ck_assert_int_eq(pstring_setrange(b, 10000, "xyz", 3, &c), 0);
    REQ(pstring_is_chunked(c));
    check_str(c);
    ck_assert_uint_eq(pstring_len(c), 10003);
    ck_assert_int_eq(pstring_byte_at(c, 0), 0x81);
    ck_assert_int_eq(pstring_byte_at(c, 9999), 0);
    ck_assert_int_eq(pstring_byte_at(c, 10002), 'z');
    ck_assert_uint_eq(pstring_bitcount(c, 0, SIZE_MAX), 2 + 4 + 5 + 5);
    ck_assert_uint_ge(pstring_bytes_used(c), 10003);
    /* The iterator gives whole chunks. */
    size_t pieces = 0, total = 0;
    for (pstring_iter_init(&it, c); pstring_iter_next(&it, &p, &n); pieces++)
        total += n;
    ck_assert_uint_eq(pieces, 3);
    ck_assert_uint_eq(total, 10003);
    /* Truncate: stays chunked above threshold / 2, flat at or below. */
    pstring *d, *f;
    ck_assert_int_eq(pstring_truncate(c, 2049, &d), 0);
    REQ(pstring_is_chunked(d));
    check_str(d);
    ck_assert_int_eq(pstring_truncate(d, 2048, &f), 0);
    REQ(!pstring_is_chunked(f));
    check_str(f);
    ck_assert_int_eq(pstring_byte_at(f, 0), 0x81);
    pstring *t = pstring_edit_begin(f);
    ck_assert_ptr_nonnull(t);
    errno = 0;
    ck_assert_ptr_null(pstring_edit_begin(t));
    ck_assert_int_eq(errno, EINVAL);
    pstring_release(t);
    pstring_release(e);
    pstring_release(a);
    pstring_release(b);
    pstring_release(c);
    pstring_release(d);
    pstring_release(f);
    ck_assert_int_eq(pstring_set_limits(0, 16), -1);
    ck_assert_int_eq(pstring_set_limits(16, 0), -1);
    REQ_UINT_EQ(pstring_bytes_live(), live0);
}
END_TEST

/* Build a string of n pseudo-random bytes (byte i = f(i)) with appends
 * of 1 MiB on one transient, and keep the model. */
static unsigned char pattern(size_t i)
{
    return (unsigned char)((i * 2654435761u) >> 13);
}

START_TEST(large_edit_allocates_little)
{
    set_default_limits();
    size_t live0 = pstring_bytes_live();
    size_t n = (size_t)test_scale(100L << 20, 4L << 20);
    size_t piece = 1 << 20;
    unsigned char *buf = malloc(piece);
    REQ(buf != NULL);
    pstring *empty = pstring_new(NULL, 0), *v = NULL, *out;
    REQ(empty != NULL);
    pstring *t = pstring_edit_begin(empty);
    REQ(t != NULL);
    pstring_release(empty);
    for (size_t at = 0; at < n; at += piece) {
        for (size_t i = 0; i < piece; i++)
            buf[i] = pattern(at + i);
        ck_assert_int_eq(pstring_append(t, buf, piece, &out), 0);
    }
    v = pstring_edit_end(t);
    check_str(v);
    ck_assert_uint_eq(pstring_len(v), n);
    /* Each edit: count allocations (hook armed, never firing) and bytes. */
    struct {
        const char *what;
        int kind;
        size_t off;
    } edits[] = {
        { "SETRANGE middle", 0, n / 2 + 100 },
        { "SETRANGE across a chunk edge", 0, 3 * PSTRING_CHUNK - 5 },
        { "SETBIT middle", 1, n / 3 },
        { "APPEND", 2, 0 },
        { "SETBIT past the end", 1, n + 10 },
    };
    for (size_t e = 0; e < sizeof edits / sizeof *edits; e++) {
        size_t bytes0 = pstring_bytes_allocated();
        alloc_fail_nth(ULONG_MAX);
        int rc;
        if (edits[e].kind == 0)
            rc = pstring_setrange(v, edits[e].off, "0123456789", 10, &out);
        else if (edits[e].kind == 1)
            rc = pstring_setbit(v, (uint64_t)edits[e].off * 8 + 3,
                                !((pattern(edits[e].off) >> 4) & 1), &out,
                                NULL);
        else
            rc = pstring_append(v, "tail", 4, &out);
        unsigned long allocs = alloc_fail_seen();
        alloc_fail_off();
        size_t bytes = pstring_bytes_allocated() - bytes0;
        ck_assert_int_eq(rc, 0);
        /* O(chunk + log n): two chunks at most, and a header, a tree
         * transient and one node per level (3 levels for 100 MB). */
        if (bytes > 2 * PSTRING_CHUNK || allocs > 12)
            ck_abort_msg("%s on %zu bytes: %zu bytes of chunks in %lu "
                         "allocations", edits[e].what, n, bytes, allocs);
        check_str(out);
        ck_assert_uint_eq(pstring_len(v), n); /* the old one is intact */
        ck_assert_int_eq(pstring_byte_at(v, edits[e].off % n),
                         pattern(edits[e].off % n));
        if (edits[e].kind == 0) {
            unsigned char got[10];
            pstring_read(out, edits[e].off, 10, got);
            ck_assert(memcmp(got, "0123456789", 10) == 0);
        }
        pstring_release(out);
    }
    /* A batch of k small APPENDs allocates about one chunk per chunk
     * filled, not k copies. */
    long k = 1000;
    size_t bytes0 = pstring_bytes_allocated();
    alloc_fail_nth(ULONG_MAX);
    pstring *b = pstring_edit_begin(v);
    REQ(b != NULL);
    for (long i = 0; i < k; i++)
        ck_assert_int_eq(pstring_append(b, "0123456789", 10, &out), 0);
    b = pstring_edit_end(b);
    unsigned long allocs = alloc_fail_seen();
    alloc_fail_off();
    size_t bytes = pstring_bytes_allocated() - bytes0;
    size_t chunks = (size_t)k * 10 / PSTRING_CHUNK + 2;
    if (bytes > chunks * PSTRING_CHUNK || allocs > chunks + 20)
        ck_abort_msg("batch of %ld appends: %zu bytes in %lu allocations", k,
                     bytes, allocs);
    ck_assert_uint_eq(pstring_len(b), n + (size_t)k * 10);
    ck_assert_int_eq(pstring_byte_at(b, n + 10 * (size_t)k - 1), '9');
    check_str(b);
    pstring_release(b);
    pstring_release(v);
    free(buf);
    REQ_UINT_EQ(pstring_bytes_live(), live0);
}
END_TEST

/* Every edit kind, on strings of every form, with allocation number 1,
 * 2, 3, ... failing until the edit succeeds: a failure leaves the string
 * (version or transient) exactly as it was, and the success is right. */
enum { E_APPEND, E_APPEND_BIG, E_SETRANGE, E_SETRANGE_FAR, E_SETBIT,
       E_SETBIT_FAR, E_TRUNC, E_TRUNC_FLAT, E_KINDS };

static int do_edit(pstring *s, int kind, model *m, pstring **out)
{
    static unsigned char d[400];
    size_t len = m->len;
    for (size_t i = 0; i < sizeof d; i++)
        d[i] = (unsigned char)(i * 7 + 1);
    int rc = -1;
    switch (kind) {
    case E_APPEND:
        rc = pstring_append(s, d, 5, out);
        if (rc == 0)
            m_write(m, len, d, 5);
        break;
    case E_APPEND_BIG:
        rc = pstring_append(s, d, sizeof d, out);
        if (rc == 0)
            m_write(m, len, d, sizeof d);
        break;
    case E_SETRANGE:
        rc = pstring_setrange(s, len / 3, d, 50, out);
        if (rc == 0)
            m_write(m, len / 3, d, 50);
        break;
    case E_SETRANGE_FAR:
        rc = pstring_setrange(s, len + 100, d, 3, out);
        if (rc == 0)
            m_write(m, len + 100, d, 3);
        break;
    case E_SETBIT:
    case E_SETBIT_FAR: {
        uint64_t bit = kind == E_SETBIT ? (uint64_t)len * 4 + 1
                                        : (uint64_t)(len + 30) * 8 + 2;
        int v = !((bit >> 3) < len && ((m->b[bit >> 3] >> (7 - (bit & 7))) & 1));
        rc = pstring_setbit(s, bit, v, out, NULL);
        if (rc == 0)
            m_setbit(m, bit, v);
        break;
    }
    case E_TRUNC:
        rc = pstring_truncate(s, len - len / 4, out);
        if (rc == 0)
            m->len = len - len / 4;
        break;
    case E_TRUNC_FLAT:
        rc = pstring_truncate(s, len / 8, out);
        if (rc == 0)
            m->len = len / 8;
        break;
    }
    return rc;
}

static void fail_every_allocation(size_t len, int kind, bool transient)
{
    unsigned char *bytes = malloc(len + 1);
    REQ(bytes != NULL);
    fill_random(bytes, len);
    model m = { NULL, 0, 0 };
    m_write(&m, 0, bytes, len);
    pstring *v = pstring_new(bytes, len);
    REQ(v != NULL);
    /* A transient that already owns some chunks: edit it once first. */
    pstring *s = v;
    if (transient) {
        s = pstring_edit_begin(v);
        REQ(s != NULL);
        pstring *o;
        REQ(pstring_append(s, "ab", 2, &o) == 0);
        m_write(&m, m.len, "ab", 2);
    }
    for (unsigned long nth = 1;; nth++) {
        REQ(nth < 1000);
        model mm = m_copy(&m);
        pstring *out = NULL;
        alloc_fail_nth(nth);
        errno = 0;
        int rc = do_edit(s, kind, &mm, &out);
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        if (rc == 0) {
            REQ_UINT_EQ(fired, 0);
            check_str(out);
            expect_model(out, &mm);
            if (!transient) {
                expect_model(v, &m); /* the old version is intact */
                pstring_release(out);
            }
            free(mm.b);
            break;
        }
        if (errno != ENOMEM || fired != 1)
            ck_abort_msg("edit %d on %zu bytes, allocation %lu: rc %d errno "
                         "%d fired %lu", kind, len, nth, rc, errno, fired);
        check_str(s);
        expect_model(s, &m);
        free(mm.b);
    }
    pstring_release(s);
    if (transient)
        pstring_release(v);
    free(m.b);
    free(bytes);
}

START_TEST(allocation_failure_every_edit)
{
    set_small_limits();
    size_t live0 = pstring_bytes_live();
    rng_state = 12345;
    size_t sizes[] = { 0, 10, 60, 64, 65, 200, 1000 };
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
        for (int kind = 0; kind < E_KINDS; kind++) {
            fail_every_allocation(sizes[i], kind, false);
            fail_every_allocation(sizes[i], kind, true);
        }
    REQ_UINT_EQ(pstring_bytes_live(), live0);
    set_default_limits();
}
END_TEST

/* A batch on one transient with allocation nth failing: the edit that
 * fails leaves the transient as the previous edits made it. */
START_TEST(allocation_failure_in_a_batch)
{
    set_small_limits();
    size_t live0 = pstring_bytes_live();
    unsigned char init[300];
    rng_state = 777;
    fill_random(init, sizeof init);
    pstring *v = pstring_new(init, sizeof init);
    REQ(v != NULL);
    int kinds[] = { E_APPEND, E_SETRANGE, E_SETBIT, E_APPEND_BIG,
                    E_SETRANGE_FAR, E_TRUNC, E_SETBIT_FAR, E_APPEND,
                    E_TRUNC_FLAT, E_APPEND_BIG, E_SETRANGE };
    int nk = (int)(sizeof kinds / sizeof *kinds);
    for (unsigned long nth = 1;; nth++) {
        REQ(nth < 2000);
        model m = { NULL, 0, 0 };
        m_write(&m, 0, init, sizeof init);
        alloc_fail_nth(nth);
        pstring *t = pstring_edit_begin(v), *out;
        int failed_at = -1;
        if (!t) {
            alloc_fail_off();
            free(m.b);
            continue;
        }
        for (int j = 0; j < nk && failed_at < 0; j++) {
            model before = m_copy(&m);
            if (do_edit(t, kinds[j], &m, &out) != 0) {
                failed_at = j;
                REQ(errno == ENOMEM);
                free(m.b);
                m = before;
            } else {
                free(before.b);
                REQ(out == t);
            }
        }
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        check_str(t);
        expect_model(t, &m);
        t = pstring_edit_end(t);
        check_str(t);
        expect_model(t, &m);
        pstring_release(t);
        free(m.b);
        if (failed_at < 0) {
            REQ_UINT_EQ(fired, 0);
            break;
        }
    }
    model m0 = { NULL, 0, 0 };
    m_write(&m0, 0, init, sizeof init);
    expect_model(v, &m0);
    free(m0.b);
    pstring_release(v);
    REQ_UINT_EQ(pstring_bytes_live(), live0);
    set_default_limits();
}
END_TEST

Suite *ch08_pstring_suite(void)
{
    Suite *s = suite_create("ch08_pstring");
    TCase *tc = test_tcase("pstring", 240);
    tcase_add_test(tc, edges_and_errors);
    tcase_add_test(tc, random_against_model);
    tcase_add_test(tc, allocation_failure_every_edit);
    tcase_add_test(tc, allocation_failure_in_a_batch);
    tcase_add_test(tc, large_edit_allocates_little);
    suite_add_tcase(s, tc);
    return s;
}
