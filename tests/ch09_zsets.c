/* ch09_zsets.c - chapter 9: the sorted-set writes applied exactly as redis-server applies them.
 *
 * Every test runs against a real redis-server through the oracle
 * (tests/util/oracle.h), in both of its modes: DIRECT (each command goes
 * to the server and to the applier, which must succeed or fail with the
 * server's very reply text) and AOF (the commands go to the server only,
 * and the applier replays what the server appended to its AOF: the
 * propagated forms, ZPOPMIN for ZMPOP and BZPOPMIN, ZADD for GEOADD).
 * Each test ends with oracle_check(): the server's SAVE loaded into a
 * fresh keyspace must equal the applier's, scores compared bit for bit
 * (so -0 and 0 differ, as they do in Redis).
 *
 * The scripted tests walk every option and every error text of ZADD,
 * ZINCRBY, ZREM, the range removals, the pops and the *STORE commands,
 * with the awkward numbers (-0, inf, NaN results, denormals, hex, 17
 * significant digits) and the listpack/skiplist limits (128 members, 64
 * bytes).  The random test runs seeded sequences of all of them over a
 * few keys, scaled with test_scale().
 */
#include "cmd.h"
#include "oracle.h"
#include "test_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C(...) oracle_cmd(o, __VA_ARGS__, NULL)
#define E(...) oracle_expect_error(o, __VA_ARGS__, NULL)

/* Loop index -> (variant, mode): even DIRECT, odd AOF. */
static const char *const variants[] = {"cow", "hamt"};
#define N_RUNS 4

static oracle *start(int i)
{
    oracle *o = oracle_start(variants[(i / 2) % 2],
                             i % 2 ? ORACLE_AOF : ORACLE_DIRECT);
    ck_assert_ptr_nonnull(o);
    return o;
}

/* Whether the applier has a command of another family (merged later):
 * the parts that need a key of another type say so when they skip. */
static bool have(const char *name)
{
    if (cmd_lookup(name, strlen(name)))
        return true;
    fprintf(stderr, "ch09_zsets: no %s in the command table: its part "
                    "is skipped\n", name);
    return false;
}

/* ---- ZADD and ZINCRBY --------------------------------------------------------------- */

START_TEST(zadd_options)
{
    oracle *o = start(_i);
    C("ZADD", "z", "1", "a", "2", "b", "3", "c");
    C("ZADD", "z", "NX", "10", "a", "4", "d");
    C("ZADD", "z", "XX", "20", "b", "5", "e");
    C("ZADD", "z", "GT", "1", "c", "30", "c");
    C("ZADD", "z", "LT", "100", "a", "0", "a");
    C("ZADD", "z", "XX", "GT", "CH", "50", "b", "1", "b");
    C("ZADD", "z", "xx", "lt", "ch", "1", "b");
    C("ZADD", "z", "INCR", "2.5", "a");
    C("ZADD", "z", "XX", "INCR", "1", "nosuch");
    C("ZADD", "z", "NX", "INCR", "1", "a");
    C("ZADD", "z", "GT", "INCR", "-1", "a");
    C("ZADD", "z", "LT", "INCR", "-1", "a");
    C("ZADD", "z", "GT", "XX", "CH", "INCR", "7", "a");
    C("ZADD", "z", "CH", "CH", "NX", "NX", "9", "f");
    C("ZADD", "nokey", "XX", "1", "a");           /* nothing created */
    C("ZADD", "z2", "GT", "1", "a", "2", "a");    /* new key: added, then GT */
    C("ZADD", "z3", "LT", "5", "a", "9", "a");
    C("ZINCRBY", "z", "3", "b");
    C("ZINCRBY", "z", "-3", "new");
    C("ZINCRBY", "z", "0.1", "p");
    C("ZINCRBY", "z", "0.2", "p");               /* 0.30000000000000004 */
    oracle_check(o);

    /* Every incompatible combination, and nothing changes. */
    E("ZADD", "z", "NX", "XX", "1", "a");
    E("ZADD", "z", "XX", "NX", "GT", "1", "a");
    E("ZADD", "z", "GT", "LT", "1", "a");
    E("ZADD", "z", "NX", "GT", "1", "a");
    E("ZADD", "z", "NX", "LT", "1", "a");
    E("ZADD", "z", "INCR", "1", "a", "2", "b");
    E("ZADD", "z", "1");
    E("ZADD", "z", "1", "a", "2");
    E("ZADD", "z", "NX", "XX");
    E("ZADD", "z", "abc", "a");
    E("ZADD", "z", "1", "a", "x", "b");          /* the second score */
    E("ZADD", "z", "nan", "a");
    E("ZADD", "z", " 1", "a");
    E("ZADD", "z", "1 ", "a");
    E("ZADD", "z", "", "a");
    E("ZADD", "z", "1e400", "a");
    E("ZADD", "z", "-1e400", "a");
    E("ZINCRBY", "z", "x", "a");
    E("ZINCRBY", "z", "nx", "a");
    E("ZINCRBY", "z", "nan", "a");
    /* NaN results: refused, and the member keeps its score. */
    C("ZADD", "z", "inf", "i");
    E("ZADD", "z", "INCR", "-inf", "i");
    E("ZINCRBY", "z", "-inf", "i");
    E("ZADD", "z", "GT", "INCR", "-inf", "i");
    C("ZADD", "z", "NX", "INCR", "-inf", "i"); /* NX: no sum, no NaN */
    C("ZADD", "z", "INCR", "inf", "i");
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

START_TEST(scores)
{
    oracle *o = start(_i);
    /* -0 and 0 compare equal: a later 0 does not replace -0. */
    C("ZADD", "z", "-0", "negzero", "0", "zero", "-0.0", "nz2");
    C("ZADD", "z", "0", "negzero");
    C("ZADD", "z", "-0", "zero");
    C("ZINCRBY", "z", "0", "nz2");
    C("ZINCRBY", "z", "-0", "fresh");
    C("ZADD", "z", "inf", "top", "-inf", "bottom", "+inf", "top2",
      "-INF", "b2", "Infinity", "t3");
    C("ZADD", "z", "1e-320", "denormal", "0x10", "hex", ".5", "half",
      "5.", "five", "+5", "plus", "1e308", "big", "-1.7976931348623157e308",
      "min", "4.9406564584124654e-324", "tiny");
    C("ZADD", "z", "0.1", "a", "0.30000000000000004", "b",
      "3.0000000000000001", "c", "123456789012345678", "d");
    C("ZINCRBY", "z", "1e-17", "c");
    C("ZINCRBY", "z", "inf", "top");
    C("ZINCRBY", "z", "-5", "bottom");
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

/* 128 members and 64 bytes: Redis's listpack limits (the RDB holds a
 * listpack on one side and a skiplist on the other; the keyspaces must
 * still agree). */
START_TEST(encoding_boundaries)
{
    oracle *o = start(_i);
    char m[80], s[32];
    for (int i = 0; i < 129; i++) {
        snprintf(m, sizeof m, "m%03d", i);
        snprintf(s, sizeof s, "%d.25", i * 7 % 50);
        C("ZADD", "big", s, m);
        if (i == 127 || i == 128)
            oracle_check(o);
    }
    C("ZREM", "big", "m000", "m001");
    C("ZREMRANGEBYRANK", "big", "0", "70");
    oracle_check(o);
    /* 56 members: flat here, still a skiplist in Redis, which keeps -0
     * (found by the consistency checker, chapter 12) */
    C("ZADD", "big", "-0", "negzero");
    C("ZINCRBY", "big", "-0", "negzero2");
    oracle_check(o);
    memset(m, 'x', 64);
    m[64] = '\0';
    C("ZADD", "long", "1", m);
    oracle_check(o);
    m[64] = 'y';
    m[65] = '\0';
    C("ZADD", "long", "2", m);
    oracle_check(o);
    C("ZREM", "long", m);
    oracle_check(o);
    C("ZADD", "long", "-0", "z"); /* one member, a skiplist in Redis */
    oracle_check(o);
    /* SORT converts a sorted set to a skiplist for good (sort.c) */
    C("ZADD", "sorted", "2", "a", "1", "b");
    C("SORT", "sorted", "ALPHA", "STORE", "sortedlist");
    C("ZADD", "sorted", "-0", "c");
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

/* ---- removals ------------------------------------------------------------------------ */

START_TEST(removals)
{
    oracle *o = start(_i);
    C("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f",
      "-inf", "lo", "inf", "hi");
    C("ZREM", "z", "a", "nosuch", "a");
    C("ZREM", "nokey", "a");
    C("ZREMRANGEBYSCORE", "z", "(2", "3");
    C("ZREMRANGEBYSCORE", "z", "-inf", "(-inf");
    C("ZREMRANGEBYSCORE", "z", "(5", "+inf");
    C("ZREMRANGEBYSCORE", "z", "5", "1");
    C("ZREMRANGEBYSCORE", "nokey", "0", "1");
    E("ZREMRANGEBYSCORE", "z", "x", "1");
    E("ZREMRANGEBYSCORE", "z", "1", "nan");
    E("ZREMRANGEBYSCORE", "z", "((1", "2");
    E("ZREMRANGEBYSCORE", "z", "1", "2x");
    C("ZREMRANGEBYSCORE", "z", "", "(");       /* strtod reads "" as 0 */
    C("ZREMRANGEBYSCORE", "z", "-inf", "(-inf");
    oracle_check(o);
    C("ZADD", "r", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
    C("ZREMRANGEBYRANK", "r", "-2", "-1");
    C("ZREMRANGEBYRANK", "r", "5", "10");
    C("ZREMRANGEBYRANK", "r", "2", "1");
    C("ZREMRANGEBYRANK", "r", "-100", "0");
    E("ZREMRANGEBYRANK", "r", "a", "1");
    E("ZREMRANGEBYRANK", "r", "0", "1.5");
    E("ZREMRANGEBYRANK", "r", "0", "99999999999999999999");
    C("ZREMRANGEBYRANK", "r", "0", "-1");      /* empties: deleted */
    oracle_check(o);
    C("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "",
      "0", "ab");
    C("ZREMRANGEBYLEX", "l", "[b", "(d");
    C("ZREMRANGEBYLEX", "l", "+", "-");
    C("ZREMRANGEBYLEX", "l", "+", "+");
    C("ZREMRANGEBYLEX", "l", "-", "-");
    C("ZREMRANGEBYLEX", "l", "(", "[a");
    C("ZREMRANGEBYLEX", "l", "(e", "+");
    E("ZREMRANGEBYLEX", "l", "a", "[b");
    E("ZREMRANGEBYLEX", "l", "[a", "b");
    E("ZREMRANGEBYLEX", "l", "++", "[b");
    E("ZREMRANGEBYLEX", "l", "[a", "");
    C("ZREMRANGEBYLEX", "nokey", "-", "+");
    oracle_check(o);
    C("ZREMRANGEBYLEX", "l", "-", "+");
    oracle_check(o);
    if (have("set")) {
        C("SET", "str", "v");
        E("ZADD", "str", "1", "a");
        E("ZINCRBY", "str", "1", "a");
        E("ZREM", "str", "a");
        E("ZREMRANGEBYSCORE", "str", "0", "1");
        E("ZREMRANGEBYRANK", "str", "0", "1");
        E("ZREMRANGEBYLEX", "str", "-", "+");
        E("ZREMRANGEBYSCORE", "str", "x", "1"); /* the range first */
        E("ZPOPMIN", "str");
        E("ZPOPMIN", "str", "0");
        oracle_check(o);
    }
    oracle_stop(o);
}
END_TEST

/* Found by the consistency checker (chapter 12): ZREMRANGEBYLEX and
 * ZRANGESTORE BYLEX over a set whose scores differ.  Redis walks in score order from the first member
 * >= min while members are <= max (a listpack only when its last member
 * is >= min and its first <= max); a search by member removed other
 * members.  A listpack-sized set and a skiplist-sized one (155 members,
 * the checker's), each with ranges that start early, late and nowhere. */
START_TEST(remrangebylex_mixed_scores)
{
    oracle *o = start(_i);
    C("ZADD", "s", "1", "m5", "2", "m0", "3", "m7", "4", "m1", "5", "m3", "6", "m2");
    C("ZREMRANGEBYLEX", "s", "[m1", "(m3");  /* the last member is < min */
    C("ZREMRANGEBYLEX", "s", "(m0", "[m7");  /* from m5 while <= m7 */
    oracle_check(o);
    C("ZADD", "t", "1", "b", "2", "a", "3", "c", "4", "e", "5", "d");
    /* ZRANGESTORE BYLEX walks the same way (forward, REV, LIMIT) */
    C("ZADD", "u", "1", "m17", "2", "m1", "3", "m3", "4", "m0", "5", "m2", "6", "m9");
    C("ZRANGESTORE", "d1", "u", "[m1", "+", "BYLEX");
    C("ZRANGESTORE", "d2", "u", "[m2", "-", "BYLEX", "REV");
    C("ZRANGESTORE", "d3", "u", "[m1", "+", "BYLEX", "LIMIT", "1", "2");
    C("ZRANGESTORE", "d4", "u", "+", "(m0", "BYLEX", "REV", "LIMIT", "0", "2");
    C("ZRANGESTORE", "d5", "u", "[m18", "[m9", "BYLEX");
    /* LIMIT's offset skips members whatever they are: past m3 to m0, m2 */
    C("ZRANGESTORE", "d6", "u", "[m1", "[m2", "BYLEX", "LIMIT", "3", "5");
    C("ZRANGESTORE", "d7", "u", "[m1", "[m2", "BYLEX", "REV", "LIMIT", "2", "5");
    C("ZREMRANGEBYLEX", "t", "[b", "[c");    /* b, a and c: a < min is <= max */
    C("ZREMRANGEBYLEX", "t", "-", "(d");
    oracle_check(o);
    const char *argv[2 + 2 * 155];
    char bufs[155][2][16];
    argv[0] = "ZADD";
    argv[1] = "big";
    for (int i = 0; i < 155; i++) {
        snprintf(bufs[i][0], 16, "%d", i);
        snprintf(bufs[i][1], 16, "m%d", i);
        argv[2 + 2 * i] = bufs[i][0];
        argv[3 + 2 * i] = bufs[i][1];
    }
    oracle_cmdv(o, 2 + 2 * 155, argv, NULL);
    /* only m0 is below m1, so a skiplist's descent ends before m1 at any
     * node levels; a range whose smaller members are scattered (say
     * "(m5" "+") is decided by Redis's random levels, and Redis's own
     * replica may then differ from its master */
    C("ZREMRANGEBYLEX", "big", "[m1", "(m3");
    /* a read's skiplist also needs its last member >= min: m154 < m9 */
    C("ZRANGESTORE", "d8", "big", "[m9", "+", "BYLEX");
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

/* ---- pops ------------------------------------------------------------------------------ */

START_TEST(pops)
{
    oracle *o = start(_i);
    C("ZADD", "p", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f",
      "7", "g", "8", "h");
    C("ZPOPMIN", "p");
    C("ZPOPMAX", "p");
    C("ZPOPMIN", "p", "2");
    C("ZPOPMAX", "p", "0");
    C("ZPOPMIN", "nokey", "3");
    E("ZPOPMIN", "p", "-1");
    E("ZPOPMIN", "p", "x");
    E("ZPOPMIN", "p", "1", "2");
    E("ZPOPMAX", "p", "1.5");
    C("ZMPOP", "2", "nokey", "p", "MIN");
    C("ZMPOP", "1", "p", "max", "COUNT", "1");
    C("ZMPOP", "3", "x", "y", "nokey", "MIN", "COUNT", "5");
    E("ZMPOP", "0", "p", "MIN");
    E("ZMPOP", "-1", "p", "MIN");
    E("ZMPOP", "x", "p", "MIN");
    E("ZMPOP", "2", "p", "MIN");
    E("ZMPOP", "1", "p", "MID");
    E("ZMPOP", "1", "p", "MIN", "COUNT", "0");
    E("ZMPOP", "1", "p", "MIN", "COUNT", "x");
    E("ZMPOP", "1", "p", "MIN", "COUNT", "1", "COUNT", "1");
    E("ZMPOP", "1", "p", "MIN", "COUNT");
    E("ZMPOP", "1", "p", "MIN", "EXTRA");
    oracle_check(o);
    /* The blocking forms, served at once (a key is never empty here:
     * an empty one would park the server's client). */
    C("ZADD", "q", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e");
    C("BZPOPMIN", "nokey", "q", "0");
    C("BZPOPMAX", "q", "1.5");
    C("BZMPOP", "0", "2", "nokey", "q", "MIN", "COUNT", "2");
    C("BZMPOP", "0.01", "1", "q", "MAX");
    E("BZPOPMIN", "q", "x");
    E("BZPOPMIN", "q", "-1");
    E("BZPOPMIN", "q", "nan");
    E("BZMPOP", "x", "1", "q", "MIN");
    E("BZMPOP", "-0.5", "1", "q", "MIN");
    E("BZMPOP", "0", "0", "q", "MIN");
    E("BZMPOP", "0", "1", "q", "MIN", "COUNT", "-2");
    C("ZPOPMIN", "q", "100");                   /* empties: deleted */
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

/* ---- the *STORE commands --------------------------------------------------------------- */

START_TEST(setops)
{
    oracle *o = start(_i);
    C("ZADD", "a", "1", "x", "2", "y", "inf", "i", "-inf", "ni", "-0", "nz",
      "0.1", "f");
    C("ZADD", "b", "10", "y", "20", "z", "-inf", "i", "inf", "ni", "0", "nz",
      "0.2", "f");
    C("ZADD", "c", "3", "y", "0.30000000000000004", "f", "5", "w");
    C("ZUNIONSTORE", "u", "2", "a", "b");
    C("ZUNIONSTORE", "u2", "3", "a", "b", "c", "WEIGHTS", "1", "0", "-1");
    C("ZUNIONSTORE", "u3", "3", "c", "b", "a", "AGGREGATE", "MIN");
    C("ZUNIONSTORE", "u4", "3", "a", "b", "c", "AGGREGATE", "max",
      "WEIGHTS", "2", "inf", "-0");
    C("ZUNIONSTORE", "u5", "2", "a", "nokey", "WEIGHTS", "0", "1",
      "AGGREGATE", "sum", "AGGREGATE", "sum");
    C("ZINTERSTORE", "i1", "2", "a", "b");
    C("ZINTERSTORE", "i2", "3", "a", "b", "c", "WEIGHTS", "1", "2", "3");
    C("ZINTERSTORE", "i3", "2", "a", "a", "AGGREGATE", "MIN", "WEIGHTS",
      "-1", "0");
    C("ZINTERSTORE", "i4", "2", "a", "b", "WEIGHTS", "0", "0");
    C("ZINTERSTORE", "i5", "2", "a", "nokey");   /* empty: not created */
    C("ZDIFFSTORE", "d1", "2", "a", "b");
    C("ZDIFFSTORE", "d2", "3", "a", "c", "nokey");
    C("ZDIFFSTORE", "d3", "1", "nokey");
    C("ZUNIONSTORE", "a", "2", "a", "c");        /* destination is a source */
    oracle_check(o);
    C("ZINTERSTORE", "u", "2", "u", "nokey");    /* empty: deletes u */
    C("ZDIFFSTORE", "u2", "2", "u2", "u2");
    E("ZUNIONSTORE", "u", "0", "a");
    E("ZINTERSTORE", "u", "0", "a");
    E("ZDIFFSTORE", "u", "0", "a");
    E("ZUNIONSTORE", "u", "-1", "a");
    E("ZUNIONSTORE", "u", "x", "a");
    E("ZUNIONSTORE", "u", "3", "a", "b");
    E("ZUNIONSTORE", "u", "2", "a", "b", "WEIGHTS", "1");
    E("ZUNIONSTORE", "u", "2", "a", "b", "WEIGHTS", "1", "x");
    E("ZUNIONSTORE", "u", "2", "a", "b", "WEIGHTS", "1", "nan");
    E("ZUNIONSTORE", "u", "2", "a", "b", "AGGREGATE", "avg");
    E("ZUNIONSTORE", "u", "2", "a", "b", "AGGREGATE");
    E("ZUNIONSTORE", "u", "2", "a", "b", "WITHSCORES");
    E("ZDIFFSTORE", "u", "2", "a", "b", "WEIGHTS", "1", "1");
    E("ZDIFFSTORE", "u", "2", "a", "b", "AGGREGATE", "MIN");
    oracle_check(o);
    if (have("sadd")) {
        C("SADD", "s", "x", "y", "q", "1", "2");
        C("ZUNIONSTORE", "su", "2", "s", "b", "WEIGHTS", "inf", "1");
        C("ZINTERSTORE", "si", "2", "s", "a", "AGGREGATE", "MAX");
        C("ZDIFFSTORE", "sd", "2", "s", "a");
        C("ZUNIONSTORE", "ss", "1", "s");
        C("SET", "str", "v");
        E("ZUNIONSTORE", "u", "2", "a", "str");
        E("ZUNIONSTORE", "u", "2", "str", "a", "AGGREGATE", "x");
        C("ZUNIONSTORE", "str", "1", "a");       /* overwrites a string */
        oracle_check(o);
    }
    oracle_stop(o);
}
END_TEST

START_TEST(rangestore)
{
    oracle *o = start(_i);
    C("ZADD", "s", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "6", "f",
      "-inf", "lo", "inf", "hi");
    C("ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e");
    C("ZRANGESTORE", "r1", "s", "0", "2");
    C("ZRANGESTORE", "r2", "s", "-3", "-1", "REV");
    C("ZRANGESTORE", "r3", "s", "(1", "5", "BYSCORE");
    C("ZRANGESTORE", "r4", "s", "5", "(1", "BYSCORE", "REV", "LIMIT", "1", "2");
    C("ZRANGESTORE", "r5", "s", "-inf", "+inf", "BYSCORE", "LIMIT", "2", "-1");
    C("ZRANGESTORE", "r6", "l", "[b", "(e", "BYLEX");
    C("ZRANGESTORE", "r7", "l", "+", "[b", "BYLEX", "REV", "LIMIT", "0", "2");
    C("ZRANGESTORE", "r8", "s", "0", "-1", "LIMIT", "5", "-1");
    C("ZRANGESTORE", "r9", "s", "0", "10", "byscore", "rev");
    oracle_check(o);
    C("ZRANGESTORE", "r1", "s", "5", "1");                 /* empty */
    C("ZRANGESTORE", "r2", "nokey", "0", "-1");
    C("ZRANGESTORE", "r3", "s", "1", "5", "BYSCORE", "LIMIT", "-1", "2");
    C("ZRANGESTORE", "r4", "s", "1", "5", "BYSCORE", "LIMIT", "10", "2");
    C("ZRANGESTORE", "r5", "s", "1", "5", "BYSCORE", "LIMIT", "0", "0");
    C("ZRANGESTORE", "r6", "l", "-", "+", "BYLEX", "LIMIT", "4", "10");
    C("ZRANGESTORE", "s", "s", "2", "3");                  /* dst == src */
    E("ZRANGESTORE", "x", "s", "0", "1", "LIMIT", "0", "1");
    E("ZRANGESTORE", "x", "s", "0", "1", "WITHSCORES");
    E("ZRANGESTORE", "x", "s", "0", "1", "BYSCORE", "BYLEX");
    E("ZRANGESTORE", "x", "s", "0", "1", "REV", "REV");
    E("ZRANGESTORE", "x", "s", "0", "1", "BYSCORE", "LIMIT", "0");
    E("ZRANGESTORE", "x", "s", "0", "1", "BYSCORE", "LIMIT", "a", "1");
    E("ZRANGESTORE", "x", "s", "a", "1");
    E("ZRANGESTORE", "x", "s", "a", "1", "BYSCORE");
    E("ZRANGESTORE", "x", "s", "a", "1", "BYLEX");
    E("ZRANGESTORE", "x", "s", "[a", "1", "BYLEX", "REV");
    E("ZRANGESTORE", "x", "s", "0", "1", "FOO");
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

/* ---- seeded random sequences ------------------------------------------------------------ */

static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}
static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }

static const char *const scores_pool[] = {
    "0", "-0", "1", "-1", "2.5", "0.1", "0.2", "1e-17", "inf", "-inf",
    "3", "7", "100", "-3.25", "1e300", "0.30000000000000004",
};
static const char *const keys[] = {"k0", "k1", "k2", "k3"};

static const char *member(char *buf, size_t sz)
{
    unsigned r = below(100);
    if (r < 3) { /* long: past zset-max-listpack-value */
        snprintf(buf, sz, "long-%070u", below(4));
    } else {
        snprintf(buf, sz, "m%u", below(r < 60 ? 40 : 300));
    }
    return buf;
}

static const char *score(void)
{
    static char buf[4][32];
    static unsigned n;
    char *b = buf[n++ % 4];
    if (below(3) == 0)
        return scores_pool[below(sizeof scores_pool / sizeof *scores_pool)];
    snprintf(b, 32, "%d.%u", (int)below(200) - 100, below(1000));
    return b;
}

static const char *key(void) { return keys[below(4)]; }

START_TEST(random_sequences)
{
    oracle *o = start(_i);
    rng_state = 0x25e7ull + (uint64_t)_i * 7919;
    long n = test_scale(1500, 150);
    char m1[96], m2[96], m3[96], num[2][24];
    for (long step = 0; step < n; step++) {
        unsigned op = below(100);
        if (op < 35) {
            static const char *const fl[][3] = {
                {NULL}, {"NX"}, {"XX"}, {"GT"}, {"LT"}, {"XX", "GT"},
                {"XX", "LT", "CH"}, {"CH"},
            };
            const char *argv[16];
            size_t argc = 0;
            argv[argc++] = "ZADD";
            argv[argc++] = key();
            unsigned f = below(8);
            for (int j = 0; j < 3 && fl[f][j]; j++)
                argv[argc++] = fl[f][j];
            unsigned pairs = 1 + below(5);
            char mb[5][96];
            for (unsigned j = 0; j < pairs; j++) {
                argv[argc++] = score();
                argv[argc++] = member(mb[j], sizeof mb[j]);
            }
            oracle_cmdv(o, argc, argv, NULL);
        } else if (op < 45) {
            C("ZINCRBY", key(), score(), member(m1, sizeof m1));
        } else if (op < 50) {
            C("ZADD", key(), below(2) ? "INCR" : "GT", score(),
              member(m1, sizeof m1));
        } else if (op < 58) {
            C("ZREM", key(), member(m1, sizeof m1), member(m2, sizeof m2),
              member(m3, sizeof m3));
        } else if (op < 62) {
            snprintf(num[0], 24, "%d", (int)below(20) - 10);
            snprintf(num[1], 24, "%d", (int)below(20) - 10);
            C("ZREMRANGEBYRANK", key(), num[0], num[1]);
        } else if (op < 66) {
            const char *lo = score(), *hi = score();
            snprintf(m1, sizeof m1, "%s%s", below(2) ? "(" : "", lo);
            snprintf(m2, sizeof m2, "%s%s", below(2) ? "(" : "", hi);
            C("ZREMRANGEBYSCORE", key(), m1, m2);
        } else if (op < 68) {
            /* Lex ranges are defined only over equal scores (t_zset.c
             * walks them as if the set were sorted by member alone), so
             * they use klex, whose scores are all 0. */
            snprintf(m1, sizeof m1, "m%u", below(40));
            snprintf(m2, sizeof m2, "m%u", below(40));
            C("ZADD", "klex", "0", m1, "0", m2, "0", member(m3, sizeof m3));
            snprintf(m1, sizeof m1, "[m%u", below(40));
            snprintf(m2, sizeof m2, "(m%u", below(40));
            C("ZREMRANGEBYLEX", "klex", m1, m2);
            C("ZRANGESTORE", key(), "klex", m2, m1, "BYLEX", "REV");
        } else if (op < 73) {
            snprintf(num[0], 24, "%u", below(4));
            C(below(2) ? "ZPOPMIN" : "ZPOPMAX", key(), num[0]);
        } else if (op < 76) {
            snprintf(num[0], 24, "%u", 1 + below(5));
            C("ZMPOP", "2", key(), key(), below(2) ? "MIN" : "MAX", "COUNT",
              num[0]);
        } else if (op < 88) {
            static const char *const ops[] = {"ZUNIONSTORE", "ZINTERSTORE",
                                              "ZDIFFSTORE"};
            static const char *const aggs[] = {"SUM", "MIN", "MAX"};
            const char *argv[16];
            size_t argc = 0;
            unsigned which = below(3);
            argv[argc++] = ops[which];
            argv[argc++] = key();
            unsigned nk = 1 + below(3);
            snprintf(num[0], 24, "%u", nk);
            argv[argc++] = num[0];
            for (unsigned j = 0; j < nk; j++)
                argv[argc++] = key();
            if (which != 2 && below(2)) {
                argv[argc++] = "WEIGHTS";
                for (unsigned j = 0; j < nk; j++)
                    argv[argc++] = score();
            }
            if (which != 2 && below(2)) {
                argv[argc++] = "AGGREGATE";
                argv[argc++] = aggs[below(3)];
            }
            oracle_cmdv(o, argc, argv, NULL);
        } else if (op < 96) {
            snprintf(num[0], 24, "%d", (int)below(10) - 3);
            snprintf(num[1], 24, "%d", (int)below(10) - 3);
            unsigned form = below(3);
            if (form == 0) {
                C("ZRANGESTORE", key(), key(), num[0], num[1],
                  below(2) ? "REV" : "BYSCORE");
            } else if (form == 1) {
                C("ZRANGESTORE", key(), key(), "-inf", "+inf", "BYSCORE",
                  "LIMIT", num[0], num[1]);
            } else {
                C("ZRANGESTORE", key(), key(), "+", "-", "BYLEX", "REV",
                  "LIMIT", num[0], num[1]);
            }
        } else {
            /* kfull is never empty, so BZPOPMIN never blocks */
            C("ZADD", "kfull", "1", "keep", "2", "keep2");
            C("BZPOPMIN", "k0", "k1", "k2", "k3", "kfull", "0");
        }
        if (step % 250 == 249)
            oracle_check(o);
    }
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

Suite *ch09_zsets_suite(void)
{
    Suite *s = suite_create("ch09_zsets");
    TCase *tc = test_tcase("zsets", 120);
    tcase_add_checked_fixture(tc, NULL, oracle_teardown);
    tcase_add_loop_test(tc, zadd_options, 0, N_RUNS);
    tcase_add_loop_test(tc, scores, 0, N_RUNS);
    tcase_add_loop_test(tc, encoding_boundaries, 0, 2);
    tcase_add_loop_test(tc, removals, 0, N_RUNS);
    tcase_add_loop_test(tc, remrangebylex_mixed_scores, 0, N_RUNS);
    tcase_add_loop_test(tc, pops, 0, N_RUNS);
    tcase_add_loop_test(tc, setops, 0, N_RUNS);
    tcase_add_loop_test(tc, rangestore, 0, N_RUNS);
    tcase_add_loop_test(tc, random_sequences, 0, N_RUNS);
    suite_add_tcase(s, tc);
    return s;
}
