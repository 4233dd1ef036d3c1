/* ch09_overflow.c - tests for exercise 9.1 (exercises/ch09/overflow_ex.c).
 *
 * Every width, every mode, the edge values of each field and of int64_t,
 * against exact 128-bit arithmetic; then a sample against a real
 * redis-server's BITFIELD, the definition the arithmetic must match.
 */
#include "overflow_ex.h"
#include "redis_server.h"
#include "resp_client.h"
#include "test_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HINT "exercise 9.1: write ex_bitfield_incr in exercises/ch09/overflow_ex.c"

static const char *const mode_name[] = { "WRAP", "SAT", "FAIL" };

/* The expected outcome from the exact sum. */
static int expect(int64_t old, int64_t incr, unsigned bits, bool sgn,
                  ex_overflow mode, int64_t *out)
{
    __int128 lo = sgn ? -((__int128)1 << (bits - 1)) : 0;
    __int128 hi = sgn ? ((__int128)1 << (bits - 1)) - 1
                      : ((__int128)1 << bits) - 1;
    __int128 r = (__int128)old + incr;
    if (r >= lo && r <= hi) {
        *out = (int64_t)r;
        return 0;
    }
    if (mode == EX_FAIL)
        return 1;
    if (mode == EX_SAT) {
        *out = (int64_t)(r > hi ? hi : lo);
        return 0;
    }
    __int128 span = (__int128)1 << bits;
    __int128 w = (r - lo) % span;
    if (w < 0)
        w += span;
    *out = (int64_t)(w + lo);
    return 0;
}

static void check_one(int64_t old, int64_t incr, unsigned bits, bool sgn,
                      ex_overflow mode)
{
    int64_t want = 0, got = 0x5a5a5a5a;
    int wr = expect(old, incr, bits, sgn, mode, &want);
    int gr = ex_bitfield_incr(old, incr, bits, sgn, mode, &got);
    ck_assert_msg(gr == wr, HINT ": %c%u %" PRId64 " INCRBY %" PRId64
                  " OVERFLOW %s returned %d, want %d", sgn ? 'i' : 'u', bits,
                  old, incr, mode_name[mode], gr, wr);
    if (wr == 0)
        ck_assert_msg(got == want, HINT ": %c%u %" PRId64 " INCRBY %" PRId64
                      " OVERFLOW %s gave %" PRId64 ", want %" PRId64,
                      sgn ? 'i' : 'u', bits, old, incr, mode_name[mode],
                      got, want);
}

/* The values worth trying for a field: its ends and its middle. */
static size_t field_edges(unsigned bits, bool sgn, int64_t *v)
{
    __int128 lo = sgn ? -((__int128)1 << (bits - 1)) : 0;
    __int128 hi = sgn ? ((__int128)1 << (bits - 1)) - 1
                      : ((__int128)1 << bits) - 1;
    size_t n = 0;
    __int128 c[] = { lo, lo + 1, 0, 1, hi - 1, hi, -1 };
    for (size_t i = 0; i < sizeof c / sizeof *c; i++)
        if (c[i] >= lo && c[i] <= hi)
            v[n++] = (int64_t)c[i];
    return n;
}

START_TEST(every_width_and_edge)
{
    int64_t incs[] = { 0, 1, -1, 2, -2, INT64_MAX, INT64_MIN, INT64_MAX - 1,
                       INT64_MIN + 1, 1000, -1000 };
    for (int sgn = 0; sgn <= 1; sgn++)
        for (unsigned bits = 1; bits <= (sgn ? 64u : 63u); bits++) {
            int64_t olds[8];
            size_t n = field_edges(bits, sgn, olds);
            for (size_t i = 0; i < n; i++) {
                for (size_t j = 0; j < sizeof incs / sizeof *incs; j++)
                    for (int m = EX_WRAP; m <= EX_FAIL; m++)
                        check_one(olds[i], incs[j], bits, sgn, m);
                /* the increments that just reach and just pass an end */
                for (size_t k = 0; k < n; k++) {
                    __int128 d = (__int128)olds[k] - olds[i];
                    for (int e = -1; e <= 1; e++) {
                        __int128 x = d + e;
                        if (x < INT64_MIN || x > INT64_MAX)
                            continue;
                        for (int m = EX_WRAP; m <= EX_FAIL; m++)
                            check_one(olds[i], (int64_t)x, bits, sgn, m);
                    }
                }
            }
        }
}
END_TEST

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

START_TEST(random_against_exact_sums)
{
    uint64_t s = 0x9e3779b97f4a7c15u;
    long rounds = test_scale(200000, 5000);
    for (long r = 0; r < rounds; r++) {
        bool sgn = rnd(&s) & 1;
        unsigned bits = 1 + (unsigned)(rnd(&s) % (sgn ? 64 : 63));
        int64_t olds[8];
        size_t n = field_edges(bits, sgn, olds);
        int64_t old = olds[rnd(&s) % n];
        if (rnd(&s) & 1) { /* a random value of the field */
            uint64_t u = rnd(&s);
            if (bits < 64)
                u &= (UINT64_C(1) << bits) - 1;
            old = sgn && bits < 64 && (u >> (bits - 1))
                      ? (int64_t)(u | ~((UINT64_C(1) << bits) - 1))
                      : (int64_t)u;
        }
        int64_t incr = (int64_t)rnd(&s) >> (rnd(&s) % 64);
        check_one(old, incr, bits, sgn, (ex_overflow)(rnd(&s) % 3));
    }
}
END_TEST

/* The same questions asked of BITFIELD itself. */
START_TEST(agrees_with_redis)
{
    redis_server rs;
    char err[256];
    ck_assert_msg(redis_server_start(&rs, NULL, err, sizeof err) == 0,
                  "redis-server: %s", err);
    resp_client cl;
    ck_assert_int_eq(resp_client_open(&cl, rs.port), 0);
    uint64_t s = 42;
    long rounds = test_scale(400, 100);
    for (long r = 0; r < rounds; r++) {
        bool sgn = rnd(&s) & 1;
        unsigned bits = 1 + (unsigned)(rnd(&s) % (sgn ? 64 : 63));
        int64_t olds[8];
        size_t n = field_edges(bits, sgn, olds);
        int64_t old = olds[rnd(&s) % n];
        int64_t incr = (int64_t)rnd(&s) >> (rnd(&s) % 64);
        ex_overflow mode = (ex_overflow)(rnd(&s) % 3);
        char type[8], oldtxt[32], inctxt[32];
        snprintf(type, sizeof type, "%c%u", sgn ? 'i' : 'u', bits);
        snprintf(oldtxt, sizeof oldtxt, "%" PRId64, old);
        snprintf(inctxt, sizeof inctxt, "%" PRId64, incr);
        resp_value v;
        ck_assert_int_eq(resp_client_calll(&cl, &v, "BITFIELD", "f", "SET",
                                           type, "0", oldtxt, NULL), 0);
        resp_value_clear(&v);
        ck_assert_int_eq(resp_client_calll(&cl, &v, "BITFIELD", "f",
                                           "OVERFLOW", mode_name[mode],
                                           "INCRBY", type, "0", inctxt,
                                           NULL), 0);
        ck_assert_msg(v.type == RESP_ARRAY && v.len == 1,
                      "BITFIELD replied a %s", resp_type_name(v.type));
        int64_t got = 0x5a5a5a5a;
        int gr = ex_bitfield_incr(old, incr, bits, sgn, mode, &got);
        char theirs[64], mine[64];
        if (v.elems[0].type == RESP_NULL)
            snprintf(theirs, sizeof theirs, "nil");
        else
            snprintf(theirs, sizeof theirs, "%" PRId64, v.elems[0].integer);
        resp_value_clear(&v);
        if (gr == 1)
            snprintf(mine, sizeof mine, "nil");
        else
            snprintf(mine, sizeof mine, "%" PRId64, got);
        ck_assert_msg(strcmp(theirs, mine) == 0, HINT ": BITFIELD f SET %s 0 "
                      "%s, then OVERFLOW %s INCRBY %s 0 %s: Redis replies %s, "
                      "you said %s", type, oldtxt, mode_name[mode], type,
                      inctxt, theirs, mine);
    }
    resp_client_close(&cl);
    redis_server_stop(&rs);
}
END_TEST

Suite *ex09_overflow_suite(void)
{
    Suite *s = suite_create("ex09_overflow");
    TCase *tc = test_tcase("overflow", 120);
    tcase_add_test(tc, every_width_and_edge);
    tcase_add_test(tc, random_against_exact_sums);
    tcase_add_test(tc, agrees_with_redis);
    suite_add_tcase(s, tc);
    return s;
}
