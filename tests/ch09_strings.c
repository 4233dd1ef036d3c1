/* ch09_strings.c - chapter 9: the string commands against a real redis-server.
 * Chapter 9.
 *
 * Every case runs a script through the oracle (tests/util/oracle.h) twice:
 * once DIRECT, where each command goes to redis-server and to the applier
 * and an error must be the same error, byte for byte, on both sides; once
 * AOF, where only redis-server sees the commands and the applier applies
 * what Redis appended to its AOF (the propagated forms: SET ... PXAT,
 * SET ... KEEPTTL for INCRBYFLOAT, PEXPIREAT/PERSIST/DEL for GETEX).
 * Either way oracle_check() then compares the whole keyspace with
 * Redis's own SAVE.  The scripts walk every option of SET and GETEX,
 * every invalid combination, the integer edge values (the 20-byte
 * extremes, "-0", " 1", "01", "+1") and INCRBYFLOAT's text (1.5e3,
 * 3.0000000000000001, 10.5 + 0.1); a seeded random sequence mixes them,
 * scaled by test_scale().  The first case checks cmd_num.c itself, with
 * no server.
 */
#include "alloc.h"
#include "cmd.h"
#include "cmd_num.h"
#include "oracle.h"
#include "test_util.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CMD(o, ...) oracle_cmd((o), __VA_ARGS__, (const char *)NULL)
#define ERR(o, ...) oracle_expect_error((o), __VA_ARGS__, (const char *)NULL)

/* The mode of the script being run (run_both() sets it). */
static unsigned mode_now = ORACLE_DIRECT;

/* Whether the applier can apply what Redis propagates for GETDEL and
 * GETEX: DEL, PEXPIREAT and PERSIST, the keys and expire families' (in
 * DIRECT mode the handlers here run themselves).  A build without them
 * skips those lines in AOF mode and says so. */
static bool propagated_forms_ok(void)
{
    static const char *const need[] = {"del", "pexpireat", "persist"};
    if (mode_now != ORACLE_AOF)
        return true;
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        if (cmd_lookup(need[i], strlen(need[i])) == NULL) {
            static bool said;
            if (!said)
                fprintf(stderr, "ch09_strings: no %s in the command table, "
                                "GETDEL/GETEX skipped in AOF mode\n",
                        need[i]);
            said = true;
            return false;
        }
    return true;
}

/* Run one script in both oracle modes, over two store variants. */
static void run_both(void (*script)(oracle *o))
{
    static const struct {
        const char *variant;
        unsigned mode;
    } runs[] = {{"cow", ORACLE_DIRECT}, {"hamt", ORACLE_AOF}};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        mode_now = runs[i].mode;
        oracle *o = oracle_start(runs[i].variant, runs[i].mode);
        ck_assert_ptr_nonnull(o);
        script(o);
        oracle_check(o);
        oracle_stop(o);
    }
}

/* A key of another type, for the WRONGTYPE cases: a list, when the
 * applier has the list family (its table is another file's; a build
 * without it skips these cases and says so). */
static bool make_list(oracle *o, const char *key)
{
    if (cmd_lookup("rpush", 5) == NULL) {
        static bool said;
        if (!said)
            fprintf(stderr, "ch09_strings: no RPUSH in the command table, "
                            "WRONGTYPE cases skipped\n");
        said = true;
        return false;
    }
    CMD(o, "RPUSH", key, "a");
    return true;
}

/* Whether long double arithmetic here has the x87's 64-bit mantissa, as
 * on the master.  Valgrind runs x87 code in double precision, so under it
 * INCRBYFLOAT cannot produce Redis's text (1e4932 even overflows); the
 * cases that depend on the precision are skipped there, and say so. */
static bool long_double_exact(void)
{
    volatile long double one = 1.0L, tiny = 0x1p-63L;
    bool exact = one + tiny != one;
    static bool said;
    if (!exact && !said)
        fprintf(stderr, "ch09_strings: long double has less than 64 bits "
                        "of mantissa here (valgrind?): INCRBYFLOAT text "
                        "cases skipped\n");
    said = !exact;
    return exact;
}

/* ---- cmd_num.c, without a server ------------------------------------------------ */

START_TEST(numbers_parse_and_print_as_redis)
{
    static const struct {
        const char *text;
        bool ok;
        long long v;
    } ll[] = {
        {"0", true, 0},
        {"-1", true, -1},
        {"9223372036854775807", true, LLONG_MAX},
        {"-9223372036854775808", true, LLONG_MIN},
        {"9223372036854775808", false, 0},
        {"-9223372036854775809", false, 0},
        {"18446744073709551616", false, 0},
        {"-0", false, 0},
        {"01", false, 0},
        {"+1", false, 0},
        {" 1", false, 0},
        {"1 ", false, 0},
        {"-", false, 0},
        {"", false, 0},
        {"1e3", false, 0},
        {"000000000000000000001", false, 0},
    };
    for (size_t i = 0; i < sizeof ll / sizeof ll[0]; i++) {
        long long v = 42;
        bool ok = cmd_num_string2ll(ll[i].text, strlen(ll[i].text), &v);
        ck_assert_msg(ok == ll[i].ok, "string2ll(\"%s\")", ll[i].text);
        if (ok) {
            ck_assert_int_eq(v, ll[i].v);
            /* An accepted text prints back to itself. */
            char buf[CMD_NUM_LL_SIZE];
            size_t n = cmd_num_ll2string(buf, sizeof buf, v);
            ck_assert_bytes_eq(buf, n, ll[i].text, strlen(ll[i].text));
        }
    }
    /* A number embedded in a longer buffer: only len bytes count. */
    long long v;
    ck_assert(cmd_num_string2ll("123xyz", 3, &v) && v == 123);
    char small[3];
    ck_assert_uint_eq(cmd_num_ll2string(small, sizeof small, 123), 0);

    char buf[CMD_NUM_D_SIZE];
    size_t n;

    static const struct {
        double v;
        const char *text;
    } d[] = {
        {0.0, "0"},       {-0.0, "-0"},    {1.5, "1.5"},
        {1e15, "1000000000000000"},        {-2.0, "-2"},
        {1e300, "1.0000000000000001e+300"}, {0.1, "0.10000000000000001"},
    };
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        n = cmd_num_d2string(buf, sizeof buf, d[i].v);
        ck_assert_bytes_eq(buf, n, d[i].text, strlen(d[i].text));
    }
    double x;
    ck_assert(cmd_num_string2d("2.5", 3, &x) && x == 2.5);
    ck_assert(!cmd_num_string2d("nan", 3, &x));
    ck_assert(!cmd_num_string2d(" 2", 2, &x));
    ck_assert(!cmd_num_string2d("1e400", 5, &x));
}
END_TEST

START_TEST(long_doubles_parse_and_print_as_redis)
{
    if (!long_double_exact())
        return;
    static const struct {
        const char *text;
        const char *human; /* NULL: refused */
    } ld[] = {
        {"1.5e3", "1500"},
        {"3.0000000000000001", "3.0000000000000001"},
        {"0.1", "0.1"},
        {"-0.0", "0"},
        {"-1e-30", "0"},
        {"1e-17", "0.00000000000000001"},
        {"1.", "1"},
        {".5", "0.5"},
        {"+3", "3"},
        {"0x10", "16"},
        {"inf", "inf"},
        {"-inf", "-inf"},
        {"nan", NULL},
        {" 1", NULL},
        {"1 ", NULL},
        {"", NULL},
        {"abc", NULL},
        {"1e5000", NULL},
        {"1e-5000", NULL},
    };
    for (size_t i = 0; i < sizeof ld / sizeof ld[0]; i++) {
        long double x;
        bool ok = cmd_num_string2ld(ld[i].text, strlen(ld[i].text), &x);
        ck_assert_msg(ok == (ld[i].human != NULL), "string2ld(\"%s\")",
                      ld[i].text);
        if (!ok)
            continue;
        char buf[CMD_NUM_LD_SIZE];
        size_t n = cmd_num_ld2string(buf, sizeof buf, x, CMD_NUM_LD_HUMAN);
        ck_assert_bytes_eq(buf, n, ld[i].human, strlen(ld[i].human));
    }
    char buf[CMD_NUM_LD_SIZE];
    long double a, b;
    ck_assert(cmd_num_string2ld("10.5", 4, &a) && cmd_num_string2ld("0.1", 3, &b));
    size_t n = cmd_num_ld2string(buf, sizeof buf, a + b, CMD_NUM_LD_HUMAN);
    ck_assert_bytes_str(buf, n, "10.6");
    n = cmd_num_ld2string(buf, sizeof buf, 1.0L / 3, CMD_NUM_LD_AUTO);
    ck_assert_bytes_str(buf, n, "0.33333333333333333");
    n = cmd_num_ld2string(buf, sizeof buf, 1.0L / 3, CMD_NUM_LD_HUMAN);
    ck_assert_bytes_str(buf, n, "0.33333333333333333");
    ck_assert_uint_eq(cmd_num_ld2string(buf, 3, 1234.0L, CMD_NUM_LD_HUMAN), 0);
}
END_TEST

/* ---- SET ------------------------------------------------------------------------- */

static void script_set(oracle *o)
{
    CMD(o, "SET", "k", "v");
    CMD(o, "set", "k", "v2", "XX");
    CMD(o, "SET", "k", "v3", "NX");          /* not set */
    CMD(o, "SET", "absent", "v", "XX");      /* not set */
    CMD(o, "SET", "n1", "v", "nx");
    CMD(o, "SET", "k", "v4", "GET");
    CMD(o, "SET", "g1", "v", "NX", "GET");
    CMD(o, "SET", "g1", "w", "NX", "GET");   /* exists: not set */
    CMD(o, "SET", "g1", "w", "XX", "GET", "GET");
    /* Expiries: relative (rewritten as PXAT by the master), absolute. */
    CMD(o, "SET", "e1", "v", "EX", "1000");
    CMD(o, "SET", "e2", "v", "PX", "1000000");
    CMD(o, "SET", "e3", "v", "EXAT", "4102444800");
    CMD(o, "SET", "e4", "v", "PXAT", "4102444800123");
    CMD(o, "SET", "e5", "v", "EX", "10", "EX", "2000"); /* the last wins */
    CMD(o, "SET", "e6", "v", "GET", "EX", "1000");
    CMD(o, "SET", "e1", "v2", "KEEPTTL");    /* TTL kept */
    CMD(o, "SET", "e2", "v2");               /* TTL dropped */
    CMD(o, "SET", "e3", "v2", "XX", "KEEPTTL", "GET");
    CMD(o, "SET", "e7", "v", "KEEPTTL");     /* new key: no TTL */
    /* Every invalid combination, with Redis's text. */
    ERR(o, "SET", "k", "v", "NX", "XX");
    ERR(o, "SET", "k", "v", "XX", "NX");
    ERR(o, "SET", "k", "v", "EX", "10", "PX", "10");
    ERR(o, "SET", "k", "v", "PX", "10", "EXAT", "10");
    ERR(o, "SET", "k", "v", "EXAT", "10", "PXAT", "10");
    ERR(o, "SET", "k", "v", "PXAT", "10", "EX", "10");
    ERR(o, "SET", "k", "v", "KEEPTTL", "EX", "10");
    ERR(o, "SET", "k", "v", "PX", "10", "KEEPTTL");
    ERR(o, "SET", "k", "v", "EX");
    ERR(o, "SET", "k", "v", "PXAT");
    ERR(o, "SET", "k", "v", "PERSIST");
    ERR(o, "SET", "k", "v", "FOO");
    ERR(o, "SET", "k", "v", "NXX");
    ERR(o, "SET", "k", "v", "EX", "0");
    ERR(o, "SET", "k", "v", "EX", "-5");
    ERR(o, "SET", "k", "v", "PX", "0");
    ERR(o, "SET", "k", "v", "EXAT", "0");
    ERR(o, "SET", "k", "v", "PXAT", "-1");
    ERR(o, "SET", "k", "v", "EX", "abc");
    ERR(o, "SET", "k", "v", "EX", "1.5");
    ERR(o, "SET", "k", "v", "EX", " 10");
    ERR(o, "SET", "k", "v", "EX", "9223372036854775");  /* overflows + now */
    ERR(o, "SET", "k", "v", "EX", "9223372036854776");  /* overflows * 1000 */
    ERR(o, "SET", "k", "v", "PX", "9223372036854775807");
    ERR(o, "SET", "k", "v", "PX", "9223372036854775808");
    ERR(o, "SET", "k");
    if (make_list(o, "list")) {
        ERR(o, "SET", "list", "v", "GET");
        ERR(o, "SET", "list", "v", "NX", "GET");
        ERR(o, "SET", "list", "v", "EX", "0", "GET"); /* expiry first */
        CMD(o, "SET", "list", "v", "NX");             /* exists: not set */
        CMD(o, "SET", "list", "now a string");        /* replaces it */
    }
}

START_TEST(set_every_option_and_error)
{
    run_both(script_set);
}
END_TEST

/* ---- SETNX, SETEX, PSETEX, GETSET, GETDEL, GETEX, MSET, MSETNX ---------------- */

static void script_variants(oracle *o)
{
    CMD(o, "SETNX", "a", "1");
    CMD(o, "SETNX", "a", "2");
    CMD(o, "SETEX", "b", "1000", "v");
    CMD(o, "PSETEX", "c", "1000000", "v");
    ERR(o, "SETEX", "b", "0", "v");
    ERR(o, "SETEX", "b", "-1", "v");
    ERR(o, "SETEX", "b", "x", "v");
    ERR(o, "SETEX", "b", "9223372036854776", "v");
    ERR(o, "PSETEX", "c", "0", "v");
    ERR(o, "PSETEX", "c", "9223372036854775807", "v");
    ERR(o, "SETNX", "a");
    CMD(o, "GETSET", "b", "new");            /* TTL dropped */
    CMD(o, "GETSET", "fresh", "x");
    bool list = make_list(o, "list");
    if (list) {
        ERR(o, "GETSET", "list", "x");
        if (propagated_forms_ok())
            ERR(o, "GETDEL", "list");
    }
    if (propagated_forms_ok()) {
        CMD(o, "GETDEL", "a");
        CMD(o, "GETDEL", "a");                   /* missing: nothing */
        /* GETEX: the key is looked up before its expiry is read. */
        CMD(o, "GETEX", "missing", "EX", "0");
        CMD(o, "SET", "g", "v");
        CMD(o, "GETEX", "g");
        CMD(o, "GETEX", "g", "EX", "1000");
        CMD(o, "GETEX", "g", "PERSIST");
        CMD(o, "GETEX", "g", "PERSIST");         /* no TTL: nothing */
        CMD(o, "GETEX", "g", "PX", "5000000");
        CMD(o, "GETEX", "g", "EXAT", "4102444800");
        CMD(o, "GETEX", "g", "PXAT", "4102444800999");
        CMD(o, "SET", "g2", "v");
        CMD(o, "GETEX", "g2", "EXAT", "1");      /* past: the key is deleted */
        CMD(o, "SET", "g3", "v", "EX", "1000");
        CMD(o, "GETEX", "g3", "PXAT", "1000");   /* past */
        ERR(o, "GETEX", "g", "EX", "0");
        ERR(o, "GETEX", "g", "EX", "abc");
        ERR(o, "GETEX", "g", "PX", "-1");
        ERR(o, "GETEX", "g", "EX", "9223372036854775");
        ERR(o, "GETEX", "g", "PERSIST", "EX", "10");
        ERR(o, "GETEX", "g", "EX", "10", "PERSIST");
        ERR(o, "GETEX", "g", "EX", "10", "PX", "10");
        ERR(o, "GETEX", "g", "KEEPTTL");
        ERR(o, "GETEX", "g", "NX");
        ERR(o, "GETEX", "g", "GET");
        ERR(o, "GETEX", "g", "EX");
        if (list) {
            ERR(o, "GETEX", "list", "EX", "10");
            ERR(o, "GETEX", "list", "EX", "abc"); /* the type is checked first */
        }
    }
    /* MSET and MSETNX: every TTL dropped; MSETNX all or nothing. */
    CMD(o, "SET", "m1", "old", "EX", "1000");
    CMD(o, "MSET", "m1", "1", "m2", "2", "m1", "3");
    CMD(o, "MSETNX", "m3", "3", "m4", "4");
    CMD(o, "MSETNX", "m4", "x", "m5", "5");  /* m4 exists: nothing */
    if (list)
        CMD(o, "MSETNX", "list", "x", "m6", "6"); /* any type counts */
    ERR(o, "MSET", "m1", "1", "m2");
    ERR(o, "MSETNX", "m1", "1", "m2");
    ERR(o, "MSET", "m1");
    CMD(o, "MSET", "list", "overwritten", "m7", "7");
}

START_TEST(set_variants_getex_and_mset)
{
    run_both(script_variants);
}
END_TEST

/* ---- INCR, DECR, INCRBY, DECRBY --------------------------------------------------- */

static void script_incr(oracle *o)
{
    CMD(o, "INCR", "i");
    CMD(o, "INCR", "i");
    CMD(o, "DECR", "i");
    CMD(o, "DECR", "d");
    CMD(o, "INCRBY", "i", "100");
    CMD(o, "INCRBY", "i", "-9223372036854775808");
    CMD(o, "DECRBY", "i", "9223372036854775807");
    CMD(o, "SET", "max", "9223372036854775807");
    ERR(o, "INCR", "max");
    ERR(o, "INCRBY", "max", "1");
    CMD(o, "INCRBY", "max", "-1");
    CMD(o, "INCRBY", "max", "1");
    CMD(o, "SET", "min", "-9223372036854775808");
    ERR(o, "DECR", "min");
    ERR(o, "DECRBY", "min", "1");
    ERR(o, "INCRBY", "min", "-1");
    CMD(o, "INCRBY", "min", "9223372036854775807");
    ERR(o, "DECRBY", "x", "-9223372036854775808");
    CMD(o, "DECRBY", "x", "-9223372036854775807");
    /* Only canonical integers count. */
    static const char *const not_ints[] = {
        "-0", " 1", "1 ", "01", "+1", "1.0", "1e3", "", "abc",
        "9223372036854775808", "-9223372036854775809", "0x10",
    };
    for (size_t i = 0; i < sizeof not_ints / sizeof not_ints[0]; i++) {
        CMD(o, "SET", "bad", not_ints[i]);
        ERR(o, "INCR", "bad");
        ERR(o, "DECRBY", "bad", "1");
        ERR(o, "INCRBY", "i", not_ints[i]);
        ERR(o, "DECRBY", "i", not_ints[i]);
    }
    CMD(o, "SET", "zero", "0");
    CMD(o, "DECR", "zero");
    CMD(o, "SET", "t", "41", "EX", "1000");
    CMD(o, "INCR", "t");                     /* TTL kept */
    if (make_list(o, "list")) {
        ERR(o, "INCR", "list");
        ERR(o, "INCRBY", "list", "abc");     /* the increment first */
    }
    ERR(o, "INCRBY", "i");
}

START_TEST(incr_integer_edges)
{
    run_both(script_incr);
}
END_TEST

/* ---- INCRBYFLOAT -------------------------------------------------------------------- */

static void script_incrbyfloat(oracle *o)
{
    CMD(o, "INCRBYFLOAT", "f", "1.5e3");
    CMD(o, "INCRBYFLOAT", "g", "3.0000000000000001");
    CMD(o, "INCRBYFLOAT", "h", "10.5");
    CMD(o, "INCRBYFLOAT", "h", "0.1");
    CMD(o, "INCRBYFLOAT", "h", "-10.6");
    CMD(o, "INCRBYFLOAT", "tiny", "1e-20");
    CMD(o, "INCRBYFLOAT", "ntiny", "-1e-20");
    CMD(o, "INCRBYFLOAT", "big", "1e300");
    CMD(o, "INCRBYFLOAT", "big", "1e300");
    CMD(o, "INCRBYFLOAT", "huge", "1e4000");
    CMD(o, "INCRBYFLOAT", "hex", "0x1p3");
    CMD(o, "INCRBYFLOAT", "dots", ".5");
    CMD(o, "INCRBYFLOAT", "dots", "1.");
    CMD(o, "INCRBYFLOAT", "dots", "+2");
    CMD(o, "SET", "int", "9223372036854775807");
    CMD(o, "INCRBYFLOAT", "int", "1");
    CMD(o, "SET", "txt", "1.50");
    CMD(o, "INCRBYFLOAT", "txt", "0");
    CMD(o, "SET", "t", "1.5", "PX", "100000000");
    CMD(o, "INCRBYFLOAT", "t", "1");         /* TTL kept (SET ... KEEPTTL) */
    ERR(o, "INCRBYFLOAT", "f", "inf");
    ERR(o, "INCRBYFLOAT", "f", "-inf");
    ERR(o, "INCRBYFLOAT", "f", "nan");
    ERR(o, "INCRBYFLOAT", "f", "abc");
    ERR(o, "INCRBYFLOAT", "f", "");
    ERR(o, "INCRBYFLOAT", "f", " 1");
    ERR(o, "INCRBYFLOAT", "f", "1e5000");
    CMD(o, "INCRBYFLOAT", "edge", "1e4932");
    ERR(o, "INCRBYFLOAT", "edge", "1e4932"); /* sum is infinite */
    CMD(o, "SET", "bad", "1 ");
    ERR(o, "INCRBYFLOAT", "bad", "1");
    CMD(o, "SET", "bad", "nan");
    ERR(o, "INCRBYFLOAT", "bad", "1");
    ERR(o, "INCRBYFLOAT", "bad", "abc");     /* the value first */
    if (make_list(o, "list"))
        ERR(o, "INCRBYFLOAT", "list", "1");
}

START_TEST(incrbyfloat_text)
{
    if (long_double_exact())
        run_both(script_incrbyfloat);
}
END_TEST

/* ---- APPEND and SETRANGE ------------------------------------------------------------- */

static void script_append_setrange(oracle *o)
{
    CMD(o, "APPEND", "a", "hello");
    CMD(o, "APPEND", "a", " world");
    CMD(o, "APPEND", "a", "");
    CMD(o, "APPEND", "empty", "");           /* creates "" */
    CMD(o, "SET", "t", "x", "EX", "1000");
    CMD(o, "APPEND", "t", "yz");             /* TTL kept */
    CMD(o, "SETRANGE", "t", "10", "!");      /* TTL kept, zero padded */
    CMD(o, "SETRANGE", "r", "0", "");        /* missing, empty: nothing */
    CMD(o, "SETRANGE", "r", "3", "abc");
    CMD(o, "SETRANGE", "r", "1", "ZZZZZZ");
    CMD(o, "SETRANGE", "r", "0", "");
    CMD(o, "SET", "n", "12345");
    CMD(o, "SETRANGE", "n", "2", "x");
    CMD(o, "APPEND", "n", "6");
    ERR(o, "SETRANGE", "r", "-1", "x");
    ERR(o, "SETRANGE", "r", "abc", "x");
    ERR(o, "SETRANGE", "r", "536870912", "x");
    ERR(o, "SETRANGE", "r", "536870911", "xy");
    ERR(o, "SETRANGE", "r", "9223372036854775807", "x");
    ERR(o, "SETRANGE", "new", "536870912", "x");
    CMD(o, "SETRANGE", "new", "536870912", "");  /* empty: no limit */
    if (make_list(o, "list")) {
        ERR(o, "APPEND", "list", "x");
        ERR(o, "SETRANGE", "list", "0", "x");
        ERR(o, "SETRANGE", "list", "0", "");
        ERR(o, "SETRANGE", "list", "-1", "x");
    }
    /* Past the inline threshold (4 KiB): the value becomes a pstring. */
    char *big = malloc(6000);
    ck_assert_ptr_nonnull(big);
    for (int i = 0; i < 6000; i++)
        big[i] = (char)('a' + i % 26);
    const char *argv[] = {"APPEND", "long", big};
    size_t lens[] = {6, 4, 3000};
    oracle_cmdv(o, 3, argv, lens);
    oracle_cmdv(o, 3, argv, lens);          /* 6000 bytes: a pstring */
    const char *sr[] = {"SETRANGE", "long", "5000", big};
    size_t srl[] = {8, 4, 4, 2000};
    oracle_cmdv(o, 4, sr, srl);
    CMD(o, "SETRANGE", "long", "10000", "end");
    CMD(o, "APPEND", "long", "tail");
    free(big);
}

START_TEST(append_and_setrange)
{
    run_both(script_append_setrange);
}
END_TEST

/* ---- out of memory: a failed allocation changes nothing -------------------------- */

/* Apply one command (C strings, NULL-terminated) and require success. */
static void apply(cmd_applier *a, const char *arg0, ...)
{
    const char *argv[16] = {arg0};
    size_t argc = 1;
    va_list ap;
    va_start(ap, arg0);
    const char *x;
    while ((x = va_arg(ap, const char *)) != NULL)
        argv[argc++] = x;
    va_end(ap);
    cmd_status st = cmd_apply_argv(a, argc, argv, NULL);
    ck_assert_msg(st == CMD_APPLIED, "%s: %s", arg0, cmd_applier_error(a));
}

/* The keys the scenarios touch. */
static const char *const oom_keys[] = {"s", "p", "h", "hs", "n", "f", "a",
                                       "b", "d", "m", "new", "bf"};

/* A fingerprint of those keys: presence, length, expiry, FNV-1a of the
 * bytes. */
static void fingerprint(keyspace *ks, char *out, size_t outsz)
{
    keyspace_reader *r = keyspace_reader_open(ks);
    ck_assert_ptr_nonnull(r);
    keyspace_read_begin(r);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < sizeof oom_keys / sizeof oom_keys[0]; i++) {
        const value *v = keyspace_get(r, 0, oom_keys[i], strlen(oom_keys[i]));
        uint64_t h = 0xcbf29ce484222325ULL;
        size_t len = 0;
        if (v) {
            len = value_str_len(v);
            unsigned char buf[512];
            for (size_t off = 0; off < len; off += sizeof buf) {
                size_t n = value_str_read(v, off, buf, sizeof buf);
                for (size_t j = 0; j < n; j++)
                    h = (h ^ buf[j]) * 0x100000001b3ULL;
            }
        }
        used += (size_t)snprintf(out + used, outsz - used, "%s:%d:%zu:%lld:%llx ",
                                 oom_keys[i], v != NULL, len,
                                 v ? (long long)v->expire_ms : 0LL,
                                 (unsigned long long)h);
        ck_assert_uint_lt(used, outsz);
    }
    keyspace_read_end(r);
    keyspace_reader_close(r);
}

/* The starting state: an inline string with a TTL, a 6000-byte pstring,
 * a dense and a sparse HLL (caches stale), a bitmap. */
static keyspace *oom_setup(cmd_applier **app)
{
    keyspace *ks = keyspace_create(store_variant("cow"), 16);
    ck_assert_ptr_nonnull(ks);
    *app = cmd_applier_create(ks, NULL);
    ck_assert_ptr_nonnull(*app);
    apply(*app, "SET", "s", "hello", "PXAT", "4102444800000", NULL);
    char *big = malloc(6001);
    ck_assert_ptr_nonnull(big);
    memset(big, 'x', 6000);
    big[6000] = '\0';
    apply(*app, "SET", "p", big, NULL);
    free(big);
    for (int i = 0; i < 4000; i += 8) {
        char e[8][16];
        for (int j = 0; j < 8; j++)
            snprintf(e[j], sizeof e[j], "e%d", i + j);
        apply(*app, "PFADD", "h", e[0], e[1], e[2], e[3], e[4], e[5], e[6],
              e[7], NULL);
    }
    apply(*app, "PFADD", "hs", "a", "b", NULL);
    apply(*app, "SETBIT", "bf", "100", "1", NULL);
    ck_assert_int_eq(cmd_applier_flush(*app), 0);
    return ks;
}

START_TEST(out_of_memory_changes_nothing)
{
    static const char *const scenarios[][12] = {
        {"SET", "s", "x", "PXAT", "4102444900000"},
        {"SET", "s", "y", "KEEPTTL", "GET"},
        {"APPEND", "p", "tail"},
        {"APPEND", "s", "more"},
        {"SETRANGE", "p", "5000", "abc"},
        {"SETRANGE", "new", "10", "x"},
        {"INCR", "n"},
        {"INCRBYFLOAT", "f", "1.5"},
        {"MSET", "a", "1", "b", "2"},
        {"MSETNX", "a", "1", "b", "2"},
        {"GETSET", "s", "z"},
        {"GETDEL", "p"},
        {"GETEX", "s", "PERSIST"},
        {"SETBIT", "p", "100", "0"},
        {"BITOP", "XOR", "d", "p", "s", "bf"},
        {"BITFIELD", "p", "SET", "u8", "#100", "7", "INCRBY", "i16", "3", "-1"},
        {"BITFIELD", "bf", "SET", "u8", "#700", "7"},
        {"PFADD", "hs", "c", "d", "e"},
        {"PFADD", "h", "zz"},
        {"PFMERGE", "m", "hs", "h"},
        {"PFCOUNT", "h"},
    };
    char before[2048], after[2048], want[2048];
    for (size_t i = 0; i < sizeof scenarios / sizeof scenarios[0]; i++) {
        const char *const *argv = scenarios[i];
        size_t argc = 0;
        while (argc < 12 && argv[argc])
            argc++;
        /* The result without any failure. */
        cmd_applier *a;
        keyspace *ks = oom_setup(&a);
        fingerprint(ks, before, sizeof before);
        ck_assert_int_eq(cmd_apply_argv(a, argc, argv, NULL), CMD_APPLIED);
        ck_assert_int_eq(cmd_applier_flush(a), 0);
        fingerprint(ks, want, sizeof want);
        ck_assert_msg(strcmp(want, before) != 0, "%s %s changes nothing",
                      argv[0], argv[1]);
        cmd_applier_destroy(a);
        keyspace_destroy(ks);
        /* Fail allocation 1, 2, ... until the command succeeds. */
        ks = oom_setup(&a);
        unsigned long nth;
        for (nth = 1; nth < 10000; nth++) {
            alloc_fail_nth(nth);
            cmd_status st = cmd_apply_argv(a, argc, argv, NULL);
            int e = errno;
            alloc_fail_off();
            if (st == CMD_APPLIED)
                break;
            ck_assert_msg(st == CMD_NOMEM && e == ENOMEM,
                          "%s: allocation %lu: status %d errno %d (%s)",
                          argv[0], nth, (int)st, e, cmd_applier_error(a));
            ck_assert_int_eq(cmd_applier_flush(a), 0);
            fingerprint(ks, after, sizeof after);
            ck_assert_msg(strcmp(after, before) == 0,
                          "%s: allocation %lu changed the keyspace", argv[0],
                          nth);
        }
        ck_assert_int_eq(cmd_applier_flush(a), 0);
        fingerprint(ks, after, sizeof after);
        ck_assert_str_eq(after, want);
        /* Every scenario allocates, except that a delete may not. */
        if (strcmp(argv[0], "GETDEL") != 0)
            ck_assert_msg(nth > 1, "%s: no allocation failed", argv[0]);
        cmd_applier_destroy(a);
        keyspace_destroy(ks);
    }
}
END_TEST

/* ---- a seeded random mix --------------------------------------------------------------- */

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

static bool ld_exact; /* long_double_exact(), for the random mix */
static const char *const keys[] = {"k0", "k1", "k2", "k3", "k4", "k5"};
static const char *const vals[] = {
    "0", "1", "-1", "41", "9223372036854775807", "-9223372036854775808",
    "-0", " 1", "01", "1.5", "3.0000000000000001", "1.5e3", "abc", "",
    "hello world", "10.5",
};
static const char *const floats[] = {
    "0.1", "-0.1", "1.5e3", "3.0000000000000001", "1e-5", "-2.25", "7",
    "1e20", "abc",
};
static const char *const ints[] = {
    "1", "-1", "7", "1000", "-9223372036854775808", "9223372036854775807",
    "x", "01",
};

/* One random string command; `expiry` adds the relative forms. */
static void random_command(oracle *o)
{
    const char *k = keys[pick(6)], *k2 = keys[pick(6)];
    const char *v = vals[pick(16)];
    char num[32];
    switch (pick(15)) {
    case 0: CMD(o, "SET", k, v); break;
    case 1: CMD(o, "SET", k, v, pick(2) ? "NX" : "XX"); break;
    case 2:
        snprintf(num, sizeof num, "%zu", 1000 + pick(5000));
        CMD(o, "SET", k, v, pick(2) ? "EX" : "PX", num, "GET");
        break;
    case 3: CMD(o, "SET", k, v, "KEEPTTL"); break;
    case 4: CMD(o, "APPEND", k, v); break;
    case 5:
        snprintf(num, sizeof num, "%zu", pick(40));
        CMD(o, "SETRANGE", k, num, v);
        break;
    case 6: CMD(o, "INCR", k); break;
    case 7: CMD(o, "INCRBY", k, ints[pick(8)]); break;
    case 8: CMD(o, "DECRBY", k, ints[pick(8)]); break;
    case 9:
        if (ld_exact)
            CMD(o, "INCRBYFLOAT", k, floats[pick(9)]);
        else
            CMD(o, "INCRBY", k, ints[pick(8)]);
        break;
    case 10: CMD(o, "GETSET", k, v); break;
    case 11: CMD(o, pick(2) && propagated_forms_ok() ? "GETDEL" : "DECR", k);
        break;
    case 12:
        if (!propagated_forms_ok()) {
            CMD(o, "SET", k, v, "XX", "KEEPTTL");
        } else if (pick(2)) {
            snprintf(num, sizeof num, "%zu", 100000 + pick(100000));
            CMD(o, "GETEX", k, "PX", num);
        } else {
            CMD(o, "GETEX", k, "PERSIST");
        }
        break;
    case 13: CMD(o, pick(2) ? "MSET" : "MSETNX", k, v, k2, vals[pick(16)]);
        break;
    default:
        snprintf(num, sizeof num, "%zu", 1000 + pick(5000));
        CMD(o, pick(2) ? "SETEX" : "PSETEX", k, num, v);
        break;
    }
}

static void random_run(unsigned mode, const char *variant, uint64_t seed)
{
    rng = seed;
    mode_now = mode;
    ld_exact = long_double_exact();
    oracle *o = oracle_start(variant, mode);
    ck_assert_ptr_nonnull(o);
    long n = test_scale(1500, 100);
    for (long i = 0; i < n; i++) {
        random_command(o);
        if (i % 250 == 249)
            oracle_check(o);
    }
    oracle_check(o);
    oracle_stop(o);
}

START_TEST(random_sequence_direct)
{
    random_run(ORACLE_DIRECT, "cow", 0x5EED0001);
}
END_TEST

START_TEST(random_sequence_aof)
{
    random_run(ORACLE_AOF, "ptrie", 0x5EED0002);
}
END_TEST

Suite *ch09_strings_suite(void)
{
    Suite *s = suite_create("ch09_strings");
    TCase *tc = test_tcase("strings", 120);
    tcase_add_checked_fixture(tc, NULL, oracle_teardown);
    tcase_add_test(tc, numbers_parse_and_print_as_redis);
    tcase_add_test(tc, long_doubles_parse_and_print_as_redis);
    tcase_add_test(tc, set_every_option_and_error);
    tcase_add_test(tc, set_variants_getex_and_mset);
    tcase_add_test(tc, incr_integer_edges);
    tcase_add_test(tc, incrbyfloat_text);
    tcase_add_test(tc, append_and_setrange);
    tcase_add_test(tc, random_sequence_direct);
    tcase_add_test(tc, random_sequence_aof);
    tcase_add_test(tc, out_of_memory_changes_nothing);
    suite_add_tcase(s, tc);
    return s;
}
