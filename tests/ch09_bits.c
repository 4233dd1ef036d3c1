/* ch09_bits.c - chapter 9: SETBIT, BITOP, BITFIELD and the HyperLogLog commands against a real redis-server.
 * Chapter 9.
 *
 * As in ch09_strings.c, each script runs through the oracle in both
 * modes: DIRECT (every command to redis-server and to the applier, the
 * same errors on both sides) and AOF (the applier applies what Redis
 * propagated), and oracle_check() compares every key, bytes and TTL,
 * with Redis's SAVE.  For a HyperLogLog that comparison is the point:
 * a GET of the key returns its bytes, so the replica's PFADD, PFMERGE
 * and PFCOUNT (which writes the cached cardinality, and is propagated
 * when it does) must leave exactly the master's bytes, sparse or dense.
 * The random cases run seeded BITFIELD sequences (every width, both
 * signednesses, WRAP, SAT and FAIL, "#N" offsets), BITOP over random
 * binary strings (some past the 4 KiB inline limit) and PFADD/PFMERGE
 * over keys that cross from sparse to dense, scaled by test_scale().
 */
#include "oracle.h"
#include "test_util.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD(o, ...) oracle_cmd((o), __VA_ARGS__, (const char *)NULL)
#define ERR(o, ...) oracle_expect_error((o), __VA_ARGS__, (const char *)NULL)

/* splitmix64: deterministic per seed. */
static uint64_t rng;
static uint64_t rnd(void)
{
    uint64_t z = (rng += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
static size_t pick(size_t n)
{
    return (size_t)(rnd() % n);
}

/* Run one script in both oracle modes. */
static void run_both(void (*script)(oracle *o))
{
    static const struct {
        const char *variant;
        unsigned mode;
    } runs[] = {{"cow", ORACLE_DIRECT}, {"hamt", ORACLE_AOF}};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        rng = 0xB175 + i;
        oracle *o = oracle_start(runs[i].variant, runs[i].mode);
        ck_assert_ptr_nonnull(o);
        script(o);
        oracle_check(o);
        oracle_stop(o);
    }
}

/* SET key to n random bytes (any byte, NUL and 0xFF included). */
static void set_random(oracle *o, const char *key, size_t n)
{
    char *b = malloc(n + 1);
    ck_assert_ptr_nonnull(b);
    for (size_t i = 0; i < n; i++)
        b[i] = (char)pick(256);
    const char *argv[] = {"SET", key, b};
    size_t lens[] = {3, strlen(key), n};
    oracle_cmdv(o, 3, argv, lens);
    free(b);
}

/* ---- SETBIT ------------------------------------------------------------------------- */

static void script_setbit(oracle *o)
{
    CMD(o, "SETBIT", "b", "7", "1");
    CMD(o, "SETBIT", "b", "7", "1");          /* unchanged */
    CMD(o, "SETBIT", "b", "0", "1");
    CMD(o, "SETBIT", "b", "7", "0");
    CMD(o, "SETBIT", "b", "100", "1");        /* grows with zeros */
    CMD(o, "SETBIT", "z", "40", "0");         /* creates 6 zero bytes */
    CMD(o, "SET", "t", "abc", "EX", "1000");
    CMD(o, "SETBIT", "t", "3", "1");          /* TTL kept */
    CMD(o, "SETBIT", "big", "40000", "1");    /* past the inline limit */
    CMD(o, "SETBIT", "big", "3", "1");
    ERR(o, "SETBIT", "b", "-1", "1");
    ERR(o, "SETBIT", "b", "abc", "1");
    ERR(o, "SETBIT", "b", "01", "1");
    ERR(o, "SETBIT", "b", "4294967296", "1"); /* byte 512 MB */
    ERR(o, "SETBIT", "b", "9223372036854775807", "1");
    ERR(o, "SETBIT", "b", "1", "2");
    ERR(o, "SETBIT", "b", "1", "-1");
    ERR(o, "SETBIT", "b", "1", "abc");
    ERR(o, "SETBIT", "b", "1", "");
    ERR(o, "SETBIT", "b", "#1", "1");         /* no "#" form here */
    ERR(o, "SETBIT", "b", "1");
    CMD(o, "PFADD", "hll", "x");              /* a string too */
    CMD(o, "SETBIT", "hll", "200", "1");
}

START_TEST(setbit_edges)
{
    run_both(script_setbit);
}
END_TEST

/* ---- BITOP ----------------------------------------------------------------------------- */

static void script_bitop(oracle *o)
{
    CMD(o, "SET", "a", "abcdef");
    CMD(o, "SET", "b", "xyz");
    CMD(o, "SETBIT", "c", "70", "1");
    CMD(o, "BITOP", "AND", "d1", "a", "b");
    CMD(o, "BITOP", "or", "d2", "a", "b", "c", "missing");
    CMD(o, "BITOP", "Xor", "d3", "a", "a");
    CMD(o, "BITOP", "NOT", "d4", "a");
    CMD(o, "BITOP", "NOT", "d5", "missing");  /* empty: d5 not created */
    CMD(o, "SET", "d6", "old", "EX", "1000");
    CMD(o, "BITOP", "AND", "d6", "a", "c");   /* replaced, TTL dropped */
    CMD(o, "SET", "d7", "old");
    CMD(o, "BITOP", "OR", "d7", "missing", "missing2"); /* d7 deleted */
    CMD(o, "SET", "empty", "");
    CMD(o, "SET", "d8", "old");
    CMD(o, "BITOP", "XOR", "d8", "empty");    /* empty result: deleted */
    CMD(o, "BITOP", "AND", "a", "a", "b");    /* dest among the sources */
    ERR(o, "BITOP", "NAND", "d", "a");
    ERR(o, "BITOP", "NOT", "d", "a", "b");
    ERR(o, "BITOP", "AND", "d");
    CMD(o, "PFADD", "h", "e1");
    CMD(o, "BITOP", "NOT", "h2", "h");
}

START_TEST(bitop_edges)
{
    run_both(script_bitop);
}
END_TEST

/* BITOP over random binary strings, some longer than the inline limit. */
static void script_bitop_random(oracle *o)
{
    static const char *const srcs[] = {"s0", "s1", "s2", "s3", "s4", "s5"};
    static const char *const ops[] = {"AND", "OR", "XOR", "NOT"};
    static const char *const dests[] = {"d0", "d1", "d2", "s0"};
    for (size_t i = 0; i < 6; i++)
        set_random(o, srcs[i], i == 5 ? 6000 : pick(80));
    long n = test_scale(150, 20);
    for (long i = 0; i < n; i++) {
        const char *op = ops[pick(4)];
        const char *argv[8] = {"BITOP", op, dests[pick(4)]};
        size_t argc = 3;
        size_t nsrc = op[0] == 'N' ? 1 : 1 + pick(5);
        for (size_t j = 0; j < nsrc; j++)
            argv[argc++] = j == 4 ? "missing" : srcs[pick(6)];
        oracle_cmdv(o, argc, argv, NULL);
        if (pick(10) == 0)
            set_random(o, srcs[pick(5)], pick(100));
    }
}

START_TEST(bitop_random_strings)
{
    run_both(script_bitop_random);
}
END_TEST

/* ---- BITFIELD ---------------------------------------------------------------------------- */

static void script_bitfield(oracle *o)
{
    CMD(o, "BITFIELD", "f", "SET", "u8", "0", "255", "GET", "u8", "0");
    CMD(o, "BITFIELD", "f", "INCRBY", "u8", "0", "1");        /* wraps */
    CMD(o, "BITFIELD", "f", "OVERFLOW", "SAT", "INCRBY", "i8", "0", "200");
    CMD(o, "BITFIELD", "f", "OVERFLOW", "FAIL", "INCRBY", "i8", "0", "200",
        "SET", "u4", "#3", "7");
    CMD(o, "BITFIELD", "f", "SET", "i64", "8", "-9223372036854775808",
        "INCRBY", "i64", "8", "-1");
    CMD(o, "BITFIELD", "f", "OVERFLOW", "sat", "SET", "u63", "3",
        "-1", "INCRBY", "u63", "3", "9223372036854775807");
    CMD(o, "BITFIELD", "f", "overflow", "wrap", "set", "i5", "#7", "100");
    CMD(o, "BITFIELD", "f", "GET", "i64", "1000");            /* GET only */
    CMD(o, "BITFIELD", "missing", "GET", "u8", "0");          /* no key made */
    CMD(o, "BITFIELD", "f", "SET", "u1", "#1000", "1");       /* grows */
    CMD(o, "SET", "t", "xyz", "PX", "100000000");
    CMD(o, "BITFIELD", "t", "INCRBY", "u4", "3", "5");        /* TTL kept */
    CMD(o, "BITFIELD", "big", "SET", "u16", "#3000", "65535"); /* > 4 KiB */
    CMD(o, "BITFIELD", "big", "INCRBY", "i16", "#3000", "2", "GET", "u32",
        "47990");
    ERR(o, "BITFIELD", "f", "GET", "u64", "0");
    ERR(o, "BITFIELD", "f", "GET", "i65", "0");
    ERR(o, "BITFIELD", "f", "GET", "i0", "0");
    ERR(o, "BITFIELD", "f", "GET", "x8", "0");
    ERR(o, "BITFIELD", "f", "GET", "", "0");
    ERR(o, "BITFIELD", "f", "GET", "u8", "-1");
    ERR(o, "BITFIELD", "f", "GET", "u8", "#-1");
    ERR(o, "BITFIELD", "f", "GET", "u8", "abc");
    ERR(o, "BITFIELD", "f", "GET", "u8", "4294967296");
    ERR(o, "BITFIELD", "f", "SET", "u8", "#536870912", "1");
    ERR(o, "BITFIELD", "f", "SET", "u8", "0");
    ERR(o, "BITFIELD", "f", "SET", "u8", "0", "abc");
    ERR(o, "BITFIELD", "f", "INCRBY", "u8", "0", "1.5");
    ERR(o, "BITFIELD", "f", "OVERFLOW", "BOUNCE");
    ERR(o, "BITFIELD", "f", "OVERFLOW");
    ERR(o, "BITFIELD", "f", "FOO", "u8", "0");
    ERR(o, "BITFIELD", "f", "SET", "u8", "0", "1", "GET");
    /* Operations are all checked before anything runs. */
    ERR(o, "BITFIELD", "f", "SET", "u8", "0", "9", "GET", "u99", "0");
    CMD(o, "PFADD", "h", "x");
    CMD(o, "BITFIELD", "h", "SET", "u8", "#20", "1");
}

START_TEST(bitfield_edges)
{
    run_both(script_bitfield);
}
END_TEST

/* One random BITFIELD on one of four keys.  The master propagates a
 * BITFIELD only when a write changed something, although it grows the
 * string before any write runs, even one that FAIL then refuses; so in
 * AOF mode writes stay inside the 40 bytes each key starts with. */
static void random_bitfield(oracle *o, bool aof)
{
    static const char *const keys[] = {"r0", "r1", "r2", "r3"};
    static const char *const modes[] = {"WRAP", "SAT", "FAIL"};
    char buf[24][32];
    const char *argv[26] = {"BITFIELD", keys[pick(4)]};
    size_t argc = 2, nb = 0;
    size_t nops = 1 + pick(4);
    for (size_t i = 0; i < nops; i++) {
        if (pick(3) == 0) {
            argv[argc++] = "OVERFLOW";
            argv[argc++] = modes[pick(3)];
        }
        bool is_signed = pick(2);
        unsigned bits = 1 + (unsigned)pick(is_signed ? 64 : 63);
        size_t code = pick(3); /* GET, SET, INCRBY */
        unsigned max_off = code == 0 || !aof ? 400 : 320 - bits;
        argv[argc++] = code == 0 ? "GET" : code == 1 ? "SET" : "INCRBY";
        snprintf(buf[nb], sizeof buf[nb], "%c%u", is_signed ? 'i' : 'u',
                 bits);
        argv[argc++] = buf[nb++];
        if (pick(5) == 0)
            snprintf(buf[nb], sizeof buf[nb], "#%u",
                     (unsigned)pick(max_off / bits + 1));
        else
            snprintf(buf[nb], sizeof buf[nb], "%u",
                     (unsigned)pick(max_off + 1));
        argv[argc++] = buf[nb++];
        if (code != 0) {
            long long v;
            switch (pick(5)) {
            case 0: v = (long long)rnd(); break;
            case 1: v = (long long)pick(600) - 300; break;
            case 2: v = bits < 64 ? 1LL << (bits - 1) : -1; break;
            case 3: v = bits < 63 ? -(1LL << (bits - 1)) - 1 : 0; break;
            default: v = bits < 63 ? (1LL << bits) : 1; break;
            }
            snprintf(buf[nb], sizeof buf[nb], "%lld", v);
            argv[argc++] = buf[nb++];
        }
    }
    oracle_cmdv(o, argc, argv, NULL);
}

static void random_bitfield_run(unsigned mode, const char *variant,
                                uint64_t seed)
{
    rng = seed;
    oracle *o = oracle_start(variant, mode);
    ck_assert_ptr_nonnull(o);
    set_random(o, "r0", 40);
    set_random(o, "r1", 40);
    set_random(o, "r2", 40);
    set_random(o, "r3", 40);
    long n = test_scale(1000, 100);
    for (long i = 0; i < n; i++) {
        random_bitfield(o, mode == ORACLE_AOF);
        if (i % 250 == 249)
            oracle_check(o);
    }
    oracle_check(o);
    oracle_stop(o);
}

START_TEST(bitfield_random_direct)
{
    random_bitfield_run(ORACLE_DIRECT, "cow", 0xB1F0);
}
END_TEST

START_TEST(bitfield_random_aof)
{
    random_bitfield_run(ORACLE_AOF, "ptrie", 0xB1F1);
}
END_TEST

/* ---- HyperLogLog ---------------------------------------------------------------------------- */

/* PFADD key with n elements "e<random>". */
static void pfadd_random(oracle *o, const char *key, size_t n)
{
    const char **argv = malloc((n + 2) * sizeof *argv);
    char (*els)[24] = malloc(n * sizeof *els);
    ck_assert(argv != NULL && els != NULL);
    argv[0] = "PFADD";
    argv[1] = key;
    for (size_t i = 0; i < n; i++) {
        snprintf(els[i], sizeof els[i], "e%llu",
                 (unsigned long long)(rnd() % 1000000));
        argv[i + 2] = els[i];
    }
    oracle_cmdv(o, n + 2, argv, NULL);
    free(argv);
    free(els);
}

static void script_hll(oracle *o)
{
    CMD(o, "PFADD", "h0");                   /* empty sparse HLL */
    CMD(o, "PFADD", "h0");                   /* unchanged */
    CMD(o, "PFCOUNT", "h0");                 /* writes the cache */
    CMD(o, "PFADD", "h1", "a", "b", "c");
    CMD(o, "PFADD", "h1", "a");              /* unchanged */
    CMD(o, "PFCOUNT", "h1");
    CMD(o, "PFCOUNT", "h1");                 /* cached: nothing written */
    CMD(o, "PFCOUNT", "h1", "h0", "missing"); /* a union: nothing written */
    CMD(o, "PFCOUNT", "missing");
    pfadd_random(o, "sparse", 200);
    pfadd_random(o, "dense", 5000);          /* past 3000 bytes: dense */
    CMD(o, "PFCOUNT", "dense");
    CMD(o, "PFADD", "dense", "one more");
    CMD(o, "PFMERGE", "m1", "h1", "sparse");   /* sparse + sparse */
    CMD(o, "PFMERGE", "m2", "sparse", "dense"); /* dense result */
    CMD(o, "PFMERGE", "m3");                   /* a missing dest alone */
    CMD(o, "PFMERGE", "h1", "missing");
    CMD(o, "PFCOUNT", "m1");
    CMD(o, "PFCOUNT", "m2");
    /* An HLL with a TTL: PFADD k's bytes (an empty sparse HLL, cache
     * stale), stored by SET with PXAT. */
    static const char empty_hll[] = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xff";
    const char *tl[] = {"SET", "tl", empty_hll, "PXAT", "4102444800000"};
    size_t tll[] = {3, 2, sizeof empty_hll - 1, 4, 13};
    oracle_cmdv(o, 5, tl, tll);
    CMD(o, "PFADD", "tl", "a");
    CMD(o, "PFADD", "tl", "b");              /* TTL kept */
    CMD(o, "PFMERGE", "tl", "dense");        /* TTL kept */
    CMD(o, "PFCOUNT", "tl");
    /* Not an HLL. */
    CMD(o, "SET", "str", "not an hll at all, long enough");
    ERR(o, "PFADD", "str", "a");
    ERR(o, "PFCOUNT", "str");
    ERR(o, "PFCOUNT", "h1", "str");
    ERR(o, "PFMERGE", "str", "h1");
    ERR(o, "PFMERGE", "h1", "str");
    CMD(o, "SET", "num", "12345");
    ERR(o, "PFCOUNT", "num");
    /* A header that passes and a body that does not: one register short
     * (XZERO of 16383), and a dense value one byte short. */
    static const char short_sparse[] = "HYLL\x01\0\0\0\0\0\0\0\0\0\0\x80\x7f\xfe";
    const char *argv[] = {"SET", "bad", short_sparse};
    size_t lens[] = {3, 3, sizeof short_sparse - 1};
    oracle_cmdv(o, 3, argv, lens);
    ERR(o, "PFCOUNT", "bad");
    ERR(o, "PFMERGE", "m1", "bad");
    ERR(o, "PFCOUNT", "h1", "bad");
    char dense_short[12303];
    memset(dense_short, 0, sizeof dense_short);
    memcpy(dense_short, "HYLL", 4);
    const char *argv2[] = {"SET", "bad2", dense_short};
    size_t lens2[] = {3, 4, sizeof dense_short};
    oracle_cmdv(o, 3, argv2, lens2);
    ERR(o, "PFADD", "bad2", "a");
    ERR(o, "PFCOUNT", "bad2");
}

START_TEST(hll_sparse_dense_and_errors)
{
    run_both(script_hll);
}
END_TEST

static void script_hll_random(oracle *o)
{
    static const char *const keys[] = {"p0", "p1", "p2", "p3", "p4"};
    long n = test_scale(120, 15);
    for (long i = 0; i < n; i++) {
        switch (pick(4)) {
        case 0:
        case 1: {
            static const size_t sizes[] = {1, 5, 40, 300, 1500};
            pfadd_random(o, keys[pick(5)], sizes[pick(5)]);
            break;
        }
        case 2: {
            const char *argv[5] = {"PFMERGE", keys[pick(5)]};
            size_t argc = 2 + pick(3);
            for (size_t j = 2; j < argc; j++)
                argv[j] = keys[pick(5)];
            oracle_cmdv(o, argc, argv, NULL);
            break;
        }
        default:
            if (pick(2))
                CMD(o, "PFCOUNT", keys[pick(5)]);
            else
                CMD(o, "PFCOUNT", keys[pick(5)], keys[pick(5)]);
            break;
        }
    }
}

START_TEST(hll_random)
{
    run_both(script_hll_random);
}
END_TEST

Suite *ch09_bits_suite(void)
{
    Suite *s = suite_create("ch09_bits");
    TCase *tc = test_tcase("bits", 120);
    tcase_add_checked_fixture(tc, NULL, oracle_teardown);
    tcase_add_test(tc, setbit_edges);
    tcase_add_test(tc, bitop_edges);
    tcase_add_test(tc, bitop_random_strings);
    tcase_add_test(tc, bitfield_edges);
    tcase_add_test(tc, bitfield_random_direct);
    tcase_add_test(tc, bitfield_random_aof);
    tcase_add_test(tc, hll_sparse_dense_and_errors);
    tcase_add_test(tc, hll_random);
    suite_add_tcase(s, tc);
    return s;
}
