/* ch08_pstring_bits.c - chapter 8: BITFIELD and BITPOS on pstrings against a real redis-server.
 *
 * The reference here is Redis itself: a private redis-server (started by
 * tests/util/redis_server.c on a loopback port, stopped at the end) runs
 * the same seeded random BITFIELD commands (GET, SET, INCRBY, every width
 * and signedness, every OVERFLOW mode, offsets inside and past the end)
 * and BITPOS queries (every form of range) as the pstring, and every
 * reply and the resulting bytes (GET) must be equal.  The strings use
 * tiny limits (flat up to 64 bytes, chunks of 16) so that fields straddle
 * chunk boundaries all the time.  A last test builds a 100 MB string (at
 * test_scale()) and checks, with pstring's allocation counter, that an
 * INCRBY copies one or two chunks, not the string.
 */
#include "pstring.h"
#include "alloc.h"
#include "redis_server.h"
#include "resp_client.h"
#include "test_util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- a random number generator (splitmix64) ----------------------------- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

/* ---- helpers ------------------------------------------------------------ */

/* The whole string, in a malloc'd buffer (len in *n). */
static unsigned char *contents(const pstring *s, size_t *n)
{
    *n = pstring_len(s);
    unsigned char *b = malloc(*n + 1);
    REQ(b != NULL);
    REQ(pstring_read(s, 0, *n, b) == *n);
    return b;
}

static void check_str(const pstring *s)
{
    char err[256];
    if (pstring_check(s, err, sizeof err) != 0)
        ck_abort_msg("pstring_check: %s", err);
}

/* GET key on the server equals the pstring's bytes. */
static void expect_same_bytes(resp_client *c, const pstring *s, long round)
{
    resp_value v = { 0 };
    REQ(resp_client_calll(c, &v, "GET", "k", NULL) == 0);
    size_t n;
    unsigned char *b = contents(s, &n);
    if (v.type != RESP_BULK || v.len != n || memcmp(v.str, b, n) != 0)
        ck_abort_msg("round %ld: server holds %zu bytes (type %d), the "
                     "pstring %zu, or they differ", round, v.len,
                     (int)v.type, n);
    free(b);
    resp_value_clear(&v);
}

/* SET key to the pstring's bytes on the server. */
static void server_set(resp_client *c, const unsigned char *b, size_t n)
{
    const char *argv[] = { "SET", "k", (const char *)b };
    size_t lens[] = { 3, 1, n };
    resp_value v = { 0 };
    REQ(resp_client_call(c, &v, 3, argv, lens) == 0);
    REQ(v.type == RESP_SIMPLE);
    resp_value_clear(&v);
}

/* A string of runs (zeros, ones, random bytes), so bit searches have
 * something to find at every distance. */
static size_t random_bytes(unsigned char *b, size_t max)
{
    size_t n = (size_t)below(max + 1), i = 0;
    while (i < n) {
        size_t run = 1 + (size_t)below(40);
        unsigned kind = (unsigned)below(3);
        for (size_t k = 0; k < run && i < n; k++, i++)
            b[i] = kind == 0 ? 0x00 : kind == 1 ? 0xff
                                                : (unsigned char)rnd();
    }
    return n;
}

/* ---- BITFIELD ------------------------------------------------------------ */

enum { OP_GET, OP_SET, OP_INCRBY };

typedef struct bf_op {
    int op;
    bool is_signed;
    unsigned bits;
    uint64_t off;
    int64_t arg;
    pstring_overflow ov;
} bf_op;

/* A value worth trying for a field: small, near the type's limits, or
 * anything at all. */
static int64_t interesting(bool is_signed, unsigned bits)
{
    int64_t max = is_signed ? (bits == 64 ? INT64_MAX
                                          : (INT64_C(1) << (bits - 1)) - 1)
                            : (int64_t)((UINT64_C(1) << bits) - 1);
    int64_t min = is_signed ? -max - 1 : 0;
    switch (below(8)) {
    case 0: return max;
    case 1: return min;
    case 2: return max == INT64_MAX ? max : max + 1;
    case 3: return min == INT64_MIN ? min : min - 1;
    case 4: return (int64_t)rnd();
    case 5: return -(int64_t)below(5);
    case 6: return (int64_t)(rnd() >> below(64));
    default: return (int64_t)below(600) - 300;
    }
}

static bf_op random_op(size_t len)
{
    bf_op o;
    o.op = (int)below(3);
    o.is_signed = below(2) == 0;
    o.bits = 1 + (unsigned)below(o.is_signed ? 64 : 63);
    uint64_t span = (uint64_t)len * 8 + 64;
    o.off = below(10) == 0 ? below(span + 3000) : below(span);
    o.arg = interesting(o.is_signed, o.bits);
    o.ov = PSTRING_OVERFLOW_WRAP;
    return o;
}

static const char *ov_name(pstring_overflow ov)
{
    return ov == PSTRING_OVERFLOW_WRAP ? "WRAP"
           : ov == PSTRING_OVERFLOW_SAT ? "SAT" : "FAIL";
}

/* Run ops on *s (replacing it by each result); rep[i] is op i's reply
 * and nil[i] says it was nil (a write FAIL refused). */
static void apply_ops(pstring **s, bool transient, const bf_op *ops, int n,
                      int64_t *rep, bool *nil)
{
    for (int i = 0; i < n; i++) {
        const bf_op *o = &ops[i];
        pstring *next = NULL;
        int rc;
        nil[i] = false;
        switch (o->op) {
        case OP_GET:
            REQ_INT_EQ(pstring_bitfield_get(*s, o->off, o->bits, o->is_signed,
                                            &rep[i]), 0);
            continue;
        case OP_SET:
            rc = pstring_bitfield_set(*s, o->off, o->bits, o->is_signed,
                                      o->arg, o->ov, &rep[i], &next);
            break;
        default:
            rc = pstring_bitfield_incrby(*s, o->off, o->bits, o->is_signed,
                                         o->arg, o->ov, &rep[i], &next);
            break;
        }
        REQ(rc == 0 || rc == 1);
        nil[i] = rc == 0;
        if (transient) /* edited in place */
            REQ(next == *s);
        else /* next is a new version or *s with one more reference */
            pstring_release(*s);
        *s = next;
    }
}

/* Send one BITFIELD command with these ops; compare with our replies. */
static void expect_server_replies(resp_client *c, const bf_op *ops, int n,
                                  const int64_t *rep, const bool *nil,
                                  long round)
{
    const char *argv[2 + 6 * 8];
    char buf[6 * 8][32];
    size_t argc = 0, nb = 0;
    argv[argc++] = "BITFIELD";
    argv[argc++] = "k";
    for (int i = 0; i < n; i++) {
        const bf_op *o = &ops[i];
        argv[argc++] = "OVERFLOW";
        argv[argc++] = ov_name(o->ov);
        argv[argc++] = o->op == OP_GET ? "GET" : o->op == OP_SET ? "SET"
                                                                 : "INCRBY";
        snprintf(buf[nb], sizeof buf[nb], "%c%u", o->is_signed ? 'i' : 'u',
                 o->bits);
        argv[argc++] = buf[nb++];
        snprintf(buf[nb], sizeof buf[nb], "%" PRIu64, o->off);
        argv[argc++] = buf[nb++];
        if (o->op != OP_GET) {
            snprintf(buf[nb], sizeof buf[nb], "%" PRId64, o->arg);
            argv[argc++] = buf[nb++];
        }
    }
    resp_value v = { 0 };
    REQ(resp_client_call(c, &v, argc, argv, NULL) == 0);
    if (v.type != RESP_ARRAY || v.len != (size_t)n)
        ck_abort_msg("round %ld: BITFIELD replied type %d: %s", round,
                     (int)v.type, v.str ? v.str : "");
    for (int i = 0; i < n; i++) {
        const resp_value *e = &v.elems[i];
        const bf_op *o = &ops[i];
        bool ok = nil[i] ? e->type == RESP_NULL
                         : e->type == RESP_INTEGER && e->integer == rep[i];
        if (!ok)
            ck_abort_msg("round %ld op %d: OVERFLOW %s %s %c%u %" PRIu64
                         " %" PRId64 ": server %s%" PRId64 ", pstring %s%"
                         PRId64, round, i, ov_name(o->ov),
                         o->op == OP_GET ? "GET" : o->op == OP_SET ? "SET"
                                                                   : "INCRBY",
                         o->is_signed ? 'i' : 'u', o->bits, o->off, o->arg,
                         e->type == RESP_NULL ? "nil " : "", e->integer,
                         nil[i] ? "nil " : "", rep[i]);
    }
    resp_value_clear(&v);
}

typedef struct kept {
    pstring *s;
    unsigned char *b;
    size_t n;
} kept;

START_TEST(bitfield_matches_redis)
{
    redis_server rs;
    char err[1024];
    ck_assert_msg(redis_server_start(&rs, NULL, err, sizeof err) == 0,
                  "cannot start redis-server: %s", err);
    resp_client c;
    ck_assert_msg(resp_client_open(&c, rs.port) == 0, "%s", c.err);
    REQ(pstring_set_limits(64, 16) == 0);
    rng_state = 0xb17f1e1d;
    unsigned char init[400];
    size_t n0 = random_bytes(init, 200);
    pstring *s = pstring_new(init, n0);
    REQ(s != NULL);
    server_set(&c, init, n0);
    enum { NKEEP = 20 };
    kept keep[NKEEP];
    int nkeep = 0;
    long rounds = test_scale(4000, 150);
    long nil_seen = 0, grew = 0, chunked = 0;
    for (long r = 0; r < rounds; r++) {
        if (below(100) == 0) { /* start again from random bytes */
            size_t n = random_bytes(init, 300);
            pstring_release(s);
            s = pstring_new(init, n);
            REQ(s != NULL);
            server_set(&c, init, n);
        }
        bf_op ops[8];
        int n = 1 + (int)below(5);
        pstring_overflow ov = PSTRING_OVERFLOW_WRAP;
        size_t len0 = pstring_len(s);
        for (int i = 0; i < n; i++) {
            if (below(2) == 0)
                ov = (pstring_overflow)below(3);
            ops[i] = random_op(pstring_len(s));
            ops[i].ov = ov;
        }
        int64_t rep[8];
        bool nil[8];
        bool transient = below(10) == 0;
        if (transient) {
            pstring *t = pstring_edit_begin(s);
            REQ(t != NULL);
            pstring_release(s);
            s = t;
        }
        apply_ops(&s, transient, ops, n, rep, nil);
        if (transient)
            s = pstring_edit_end(s);
        expect_server_replies(&c, ops, n, rep, nil, r);
        expect_same_bytes(&c, s, r);
        check_str(s);
        for (int i = 0; i < n; i++)
            nil_seen += nil[i];
        grew += pstring_len(s) > len0;
        chunked += pstring_is_chunked(s);
        if (r % (rounds / NKEEP + 1) == 0 && nkeep < NKEEP) {
            keep[nkeep].s = pstring_retain(s);
            keep[nkeep].b = contents(s, &keep[nkeep].n);
            nkeep++;
        }
    }
    /* Old versions hold what they held, after every later edit. */
    for (int k = 0; k < nkeep; k++) {
        size_t n;
        unsigned char *b = contents(keep[k].s, &n);
        ck_assert_mem_eq(b, keep[k].b, keep[k].n);
        REQ(n == keep[k].n);
        free(b);
        free(keep[k].b);
        pstring_release(keep[k].s);
    }
    /* The run reached every path that matters. */
    ck_assert_int_gt(nil_seen, 0);
    ck_assert_int_gt(grew, 0);
    ck_assert_int_gt(chunked, rounds / 4);
    pstring_release(s);
    resp_client_close(&c);
    redis_server_stop(&rs);
    REQ(pstring_set_limits(PSTRING_THRESHOLD, PSTRING_CHUNK) == 0);
}
END_TEST

/* ---- BITPOS -------------------------------------------------------------- */

START_TEST(bitpos_matches_redis)
{
    redis_server rs;
    char err[1024];
    ck_assert_msg(redis_server_start(&rs, NULL, err, sizeof err) == 0,
                  "cannot start redis-server: %s", err);
    resp_client c;
    ck_assert_msg(resp_client_open(&c, rs.port) == 0, "%s", c.err);
    REQ(pstring_set_limits(64, 16) == 0);
    rng_state = 0xb1770505;
    long rounds = test_scale(300, 30);
    long found = 0;
    for (long r = 0; r < rounds; r++) {
        unsigned char b[400];
        size_t n = random_bytes(b, 300);
        pstring *s = pstring_new(b, n);
        REQ(s != NULL);
        server_set(&c, b, n);
        for (int q = 0; q < 20; q++) {
            int bit = (int)below(2);
            int form = (int)below(5); /* no range, start, start end,
                                         ... BYTE, ... BIT */
            bool bits = form == 4;
            int64_t total = (int64_t)n * (bits ? 8 : 1);
            int64_t st = (int64_t)below((uint64_t)(2 * total + 7)) - total - 3;
            int64_t en = (int64_t)below((uint64_t)(2 * total + 7)) - total - 3;
            char sa[32], ea[32], ba[2] = { (char)('0' + bit), 0 };
            snprintf(sa, sizeof sa, "%" PRId64, st);
            snprintf(ea, sizeof ea, "%" PRId64, en);
            const char *argv[] = { "BITPOS", "k", ba, sa, ea,
                                   bits ? "BIT" : "BYTE" };
            size_t argc = form == 0 ? 3 : form == 1 ? 4 : form == 2 ? 5 : 6;
            resp_value v = { 0 };
            REQ(resp_client_call(&c, &v, argc, argv, NULL) == 0);
            REQ(v.type == RESP_INTEGER);
            int64_t mine = pstring_bitpos(s, bit, form >= 1 ? &st : NULL,
                                          form >= 2 ? &en : NULL, bits);
            if (mine != v.integer)
                ck_abort_msg("round %ld: BITPOS k %d%s%s%s%s (%s) on %zu "
                             "bytes: server %" PRId64 ", pstring %" PRId64,
                             r, bit, form >= 1 ? " " : "", form >= 1 ? sa : "",
                             form >= 2 ? " " : "", form >= 2 ? ea : "",
                             argv[5], n, v.integer, mine);
            found += mine >= 0;
            resp_value_clear(&v);
        }
        pstring_release(s);
    }
    ck_assert_int_gt(found, rounds);
    /* A missing key: an endless run of zeros. */
    resp_value v = { 0 };
    REQ(resp_client_calll(&c, &v, "DEL", "k", NULL) == 0);
    resp_value_clear(&v);
    for (int bit = 0; bit <= 1; bit++) {
        char ba[2] = { (char)('0' + bit), 0 };
        REQ(resp_client_calll(&c, &v, "BITPOS", "k", ba, NULL) == 0);
        REQ(v.type == RESP_INTEGER);
        REQ_INT_EQ(pstring_bitpos(NULL, bit, NULL, NULL, false), v.integer);
        resp_value_clear(&v);
    }
    resp_client_close(&c);
    redis_server_stop(&rs);
    REQ(pstring_set_limits(PSTRING_THRESHOLD, PSTRING_CHUNK) == 0);
}
END_TEST

/* ---- edges and errors ---------------------------------------------------- */

START_TEST(edges_and_errors)
{
    pstring *s = pstring_new("\xf0", 1), *next = NULL;
    int64_t v = 7;
    errno = 0;
    REQ_INT_EQ(pstring_bitfield_get(s, 0, 64, false, &v), -1); /* no u64 */
    REQ_INT_EQ(errno, EINVAL);
    REQ_INT_EQ(pstring_bitfield_get(s, 0, 0, true, &v), -1);
    REQ_INT_EQ(pstring_bitfield_get(s, 0, 65, true, &v), -1);
    REQ_INT_EQ(pstring_bitfield_get(s, UINT64_MAX - 3, 8, true, &v), -1);
    REQ_INT_EQ(pstring_bitfield_set(s, 0, 64, false, 1,
                                    PSTRING_OVERFLOW_WRAP, &v, &next), -1);
    ck_assert_ptr_null(next);
    REQ_INT_EQ(v, 7);
    /* Bit 0 is the top bit of byte 0: 0xf0 is 1111 0000. */
    REQ_INT_EQ(pstring_bitfield_get(s, 0, 4, false, &v), 0);
    REQ_INT_EQ(v, 15);
    REQ_INT_EQ(pstring_bitfield_get(s, 0, 4, true, &v), 0);
    REQ_INT_EQ(v, -1);
    REQ_INT_EQ(pstring_bitfield_get(s, 2, 4, false, &v), 0);
    REQ_INT_EQ(v, 12); /* 1100 */
    REQ_INT_EQ(pstring_bitfield_get(NULL, 5, 20, true, &v), 0);
    REQ_INT_EQ(v, 0);
    /* Writing what is there changes nothing: the same version. */
    REQ_INT_EQ(pstring_bitfield_set(s, 0, 4, false, 15, PSTRING_OVERFLOW_WRAP,
                                    &v, &next), 1);
    ck_assert_ptr_eq(next, s);
    pstring_release(next);
    /* u8 SET -1 saturates to 255 (the value reads as 2^64 - 1). */
    REQ_INT_EQ(pstring_bitfield_set(s, 8, 8, false, -1, PSTRING_OVERFLOW_SAT,
                                    &v, &next), 1);
    REQ_INT_EQ(v, 0); /* the old value, past the end: zeros */
    REQ_INT_EQ(pstring_len(next), 2);
    REQ_INT_EQ(pstring_byte_at(next, 1), 255);
    pstring_release(next);
    /* FAIL refuses, but the string still grows to hold the field. */
    REQ_INT_EQ(pstring_bitfield_incrby(s, 20, 4, true, 8, PSTRING_OVERFLOW_FAIL,
                                       &v, &next), 0);
    REQ_INT_EQ(pstring_len(next), 3);
    REQ_INT_EQ(pstring_byte_at(next, 2), 0);
    REQ_INT_EQ(pstring_len(s), 1); /* the old version is as it was */
    pstring_release(next);
    /* i64 wraps through the top. */
    pstring *w;
    REQ_INT_EQ(pstring_bitfield_set(s, 0, 64, true, INT64_MAX,
                                    PSTRING_OVERFLOW_WRAP, &v, &w), 1);
    REQ_INT_EQ(pstring_bitfield_incrby(w, 0, 64, true, 1,
                                       PSTRING_OVERFLOW_WRAP, &v, &next), 1);
    REQ(v == INT64_MIN);
    pstring_release(next);
    REQ_INT_EQ(pstring_bitfield_incrby(w, 0, 64, true, 1,
                                       PSTRING_OVERFLOW_SAT, &v, &next), 1);
    REQ(v == INT64_MAX);
    pstring_release(next);
    pstring_release(w);
    /* BITPOS on an empty string and an empty range. */
    pstring *e = pstring_new(NULL, 0);
    REQ_INT_EQ(pstring_bitpos(e, 0, NULL, NULL, false), -1);
    REQ_INT_EQ(pstring_bitpos(e, 1, NULL, NULL, false), -1);
    int64_t a = 3, b = 1;
    REQ_INT_EQ(pstring_bitpos(s, 0, &a, &b, true), -1);
    REQ_INT_EQ(pstring_bitpos(s, 0, NULL, NULL, false), 4);
    pstring_release(e);
    pstring_release(s);
}
END_TEST

/* Every allocation of a bit-field edit fails once: -1, ENOMEM, nothing
 * changed, nothing leaked. */
START_TEST(allocation_failure)
{
    REQ(pstring_set_limits(64, 16) == 0);
    rng_state = 0xa110c;
    for (int t = 0; t < 60; t++) {
        unsigned char b[300];
        size_t n = random_bytes(b, 200);
        pstring *s = pstring_new(b, n);
        REQ(s != NULL);
        bf_op o = random_op(n);
        o.op = OP_SET + (int)below(2);
        o.ov = (pstring_overflow)below(3);
        size_t live = pstring_bytes_live();
        for (unsigned long nth = 1;; nth++) {
            pstring *next = NULL;
            int64_t rep;
            alloc_fail_nth(nth);
            int rc = o.op == OP_SET
                         ? pstring_bitfield_set(s, o.off, o.bits, o.is_signed,
                                                o.arg, o.ov, &rep, &next)
                         : pstring_bitfield_incrby(s, o.off, o.bits,
                                                   o.is_signed, o.arg, o.ov,
                                                   &rep, &next);
            alloc_fail_off();
            if (rc >= 0) {
                check_str(next);
                pstring_release(next);
                break;
            }
            REQ_INT_EQ(errno, ENOMEM);
            ck_assert_ptr_null(next);
            REQ(pstring_bytes_live() == live);
            size_t m;
            unsigned char *now = contents(s, &m);
            REQ(m == n && memcmp(now, b, n) == 0);
            free(now);
            ck_assert_uint_lt(nth, 1000);
        }
        pstring_release(s);
    }
    REQ(pstring_set_limits(PSTRING_THRESHOLD, PSTRING_CHUNK) == 0);
}
END_TEST

/* ---- a big bitmap: an INCRBY copies a chunk, not the string ------------- */

START_TEST(incrby_on_big_string_copies_a_chunk)
{
    REQ(pstring_set_limits(PSTRING_THRESHOLD, PSTRING_CHUNK) == 0);
    size_t total = (size_t)test_scale(100L << 20, 1L << 20);
    size_t piece = 1 << 20;
    unsigned char *buf = malloc(piece);
    REQ(buf != NULL);
    for (size_t i = 0; i < piece; i++)
        buf[i] = (unsigned char)(i * 131 + 7);
    pstring *base = pstring_new(NULL, 0), *next;
    pstring *t = pstring_edit_begin(base);
    REQ(t != NULL);
    pstring_release(base); /* the transient does not need it */
    for (size_t done = 0; done < total; done += piece)
        REQ_INT_EQ(pstring_append(t, buf, piece, &next), 0);
    pstring *s = pstring_edit_end(t);
    REQ(pstring_len(s) == total);
    REQ(pstring_is_chunked(s));

    /* An i32 inside one chunk, then one straddling two. */
    uint64_t inside = (uint64_t)(total / 2 + 100) * 8 + 3;
    uint64_t across = (uint64_t)(PSTRING_CHUNK * (total / PSTRING_CHUNK / 3))
                      * 8 - 13;
    uint64_t offs[] = { inside, across };
    size_t limits[] = { PSTRING_CHUNK, 2 * PSTRING_CHUNK };
    for (int k = 0; k < 2; k++) {
        int64_t before, after;
        REQ_INT_EQ(pstring_bitfield_get(s, offs[k], 32, true, &before), 0);
        size_t a0 = pstring_bytes_allocated();
        REQ_INT_EQ(pstring_bitfield_incrby(s, offs[k], 32, true, 1000,
                                           PSTRING_OVERFLOW_WRAP, &after,
                                           &next), 1);
        size_t copied = pstring_bytes_allocated() - a0;
        ck_assert_msg(copied > 0 && copied <= limits[k],
                      "INCRBY on %zu bytes allocated %zu bytes for bytes "
                      "(at most %zu)", total, copied, limits[k]);
        int64_t want = (int64_t)(int32_t)(uint32_t)((uint64_t)before + 1000);
        REQ_INT_EQ(after, want);
        int64_t reread;
        REQ_INT_EQ(pstring_bitfield_get(next, offs[k], 32, true, &reread), 0);
        REQ_INT_EQ(reread, want);
        REQ_INT_EQ(pstring_bitfield_get(s, offs[k], 32, true, &reread), 0);
        REQ_INT_EQ(reread, before); /* the old version is untouched */
        check_str(next);
        pstring_release(next);
    }
    /* BITPOS over the whole string finds the first 1 (byte 0 is 7). */
    REQ_INT_EQ(pstring_bitpos(s, 1, NULL, NULL, false), 5);
    pstring_release(s);
    free(buf);
}
END_TEST

Suite *ch08_pstring_bits_suite(void)
{
    Suite *s = suite_create("ch08_pstring_bits");
    TCase *tc = test_tcase("pstring_bits", 120);
    tcase_add_test(tc, edges_and_errors);
    tcase_add_test(tc, allocation_failure);
    tcase_add_test(tc, bitfield_matches_redis);
    tcase_add_test(tc, bitpos_matches_redis);
    tcase_add_test(tc, incrby_on_big_string_copies_a_chunk);
    suite_add_tcase(s, tc);
    return s;
}
