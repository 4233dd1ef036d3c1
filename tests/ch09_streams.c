/* ch09_streams.c - chapter 9: the stream commands against a real redis-server.
 * Chapter 9.
 *
 * Every test drives tests/util/oracle.h: in ORACLE_DIRECT mode each
 * command goes to a redis-server 7.0.15 and to the applier, which must
 * accept or refuse it alike (same reply text when refused); in ORACLE_AOF
 * mode the commands go to Redis only and the applier replays what Redis
 * appended to its AOF, the propagated forms (XADD with the generated ID,
 * `MAXLEN = n` for `~`, XCLAIM ... FORCE JUSTID LASTID for XREADGROUP and
 * XAUTOCLAIM, XGROUP SETID/CREATECONSUMER).  oracle_check() then compares
 * Redis's SAVE with the applier's keyspace: entries, last ID,
 * entries_added, max_deleted_entry_id, groups, PELs (delivery times within
 * the oracle's slack, counts), consumers.
 *
 * DIRECT mode uses explicit IDs only (the two clocks differ, so `*` would
 * make different IDs); `*` is tested in AOF mode.  Two things Redis 7.0.15
 * itself does not propagate are kept out of AOF mode: a history read
 * (XREADGROUP with an ID other than `>`: delivery counts move on the
 * master only), and the group's entries_read after an XREADGROUP without
 * NOACK (its XCLAIMs carry the last ID but not the counter; fixed in
 * Redis 7.2.4, redis/redis pull 12898) - where the AOF tests read that
 * way they restate the counter with XGROUP SETID ... ENTRIESREAD.
 */
#include "alloc.h"
#include "cmd.h"
#include "keyspace.h"
#include "oracle.h"
#include "pstream.h"
#include "store.h"
#include "test_util.h"
#include "value.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define O(...) oracle_cmd(o, __VA_ARGS__, (const char *)NULL)
#define OE(...) oracle_expect_error(o, __VA_ARGS__, (const char *)NULL)

/* xorshift64*: deterministic, seeded per test */
static uint64_t rng;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}
static unsigned below(unsigned n)
{
    return (unsigned)(rnd() % n);
}

/* An oracle over the "cow" store; its default slack (DIRECT: 2000 ms)
 * covers the delivery times client forms take from two clocks. */
static oracle *start(unsigned mode)
{
    oracle *o = oracle_start("cow", mode);
    ck_assert_ptr_nonnull(o);
    return o;
}

/* XADD key id f v for ids ms-0 in [from, to]. */
static void fill(oracle *o, const char *key, int from, int to)
{
    for (int i = from; i <= to; i++) {
        char id[32];
        snprintf(id, sizeof id, "%d-0", i);
        O("XADD", key, id, "f", "v");
    }
}

/* ---- XADD ------------------------------------------------------------------ */

START_TEST(xadd_ids_and_errors)
{
    oracle *o = start(ORACLE_DIRECT);
    OE("XADD", "s", "1-0", "f");                 /* odd field/value list */
    OE("XADD", "s", "0-0", "f", "v");
    O("XADD", "s", "0-*", "f", "v");              /* 0-1 */
    O("XADD", "s", "1-0", "f", "v");
    OE("XADD", "s", "1-0", "f", "v");             /* equal */
    OE("XADD", "s", "0-5", "f", "v");             /* smaller */
    O("XADD", "s", "1-*", "f", "v", "g", "w");    /* 1-1 */
    O("XADD", "s", "3", "f", "v");                /* 3-0 */
    O("XADD", "s", "+5-2", "f", "v");             /* strtoull's '+' */
    OE("XADD", "s", "-0-3", "f", "v");
    OE("XADD", "s", "abc", "f", "v");
    OE("XADD", "s", "5-x", "f", "v");
    OE("XADD", "s", "+", "f", "v");
    OE("XADD", "s", "-", "f", "v");
    OE("XADD", "s", "18446744073709551616-0", "f", "v");
    O("XADD", "nokey", "NOMKSTREAM", "7-0", "f", "v"); /* nil, no key */
    O("XADD", "s", "NOMKSTREAM", "7-0", "f", "");
    O("XADD", "s", "8-0", "", "");
    O("XADD", "t", "5-18446744073709551615", "f", "v");
    OE("XADD", "t", "5-*", "f", "v");             /* seq would overflow */
    O("XADD", "t", "18446744073709551615-18446744073709551615", "f", "v");
    OE("XADD", "t", "18446744073709551615-*", "f", "v"); /* exhausted */
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

START_TEST(xadd_trim_options)
{
    oracle *o = start(ORACLE_DIRECT);
    fill(o, "s", 1, 10);
    OE("XADD", "s", "MAXLEN", "-1", "11-0", "f", "v");
    OE("XADD", "s", "MAXLEN", "x", "11-0", "f", "v");
    OE("XADD", "s", "MAXLEN", "5", "MINID", "1", "11-0", "f", "v");
    OE("XADD", "s", "MINID", "1", "MAXLEN", "5", "11-0", "f", "v");
    OE("XADD", "s", "MAXLEN", "~", "5", "LIMIT", "-1", "11-0", "f", "v");
    OE("XADD", "s", "MAXLEN", "~", "5", "LIMIT", "x", "11-0", "f", "v");
    OE("XADD", "s", "LIMIT", "5", "11-0", "f", "v");
    OE("XADD", "s", "MINID", "+", "11-0", "f", "v");
    OE("XADD", "s", "MINID", "~", "-", "11-0", "f", "v");
    /* "MAXLEN 5 LIMIT 2" (LIMIT without ~) is refused by Redis from a
     * client but is its own propagated form: master_limit_after_equals. */
    OE("XADD", "s", "MAXLEN", "11-0", "f", "v");  /* 11-0 is no count */
    O("XADD", "s", "MAXLEN", "=", "8", "11-0", "f", "v");
    O("XADD", "s", "maxlen", "6", "nomkstream", "12-0", "f", "v");
    O("XADD", "s", "MINID", "=", "9", "13-0", "f", "v");
    O("XADD", "s", "MINID", "10-0", "14-0", "f", "v");
    O("XADD", "s", "MAXLEN", "0", "15-0", "f", "v"); /* trims itself */
    oracle_check(o);
    /* `~` removes whole nodes of 100 entries only: a fresh stream of small
     * entries, so the model of the nodes is exact here. */
    fill(o, "a", 1, 450);
    O("XADD", "a", "MAXLEN", "~", "420", "451-0", "f", "v"); /* nothing */
    O("XADD", "a", "MAXLEN", "~", "330", "452-0", "f", "v"); /* 1 node */
    O("XADD", "a", "MAXLEN", "~", "10", "LIMIT", "150", "453-0", "f", "v");
    O("XADD", "a", "MINID", "~", "390", "454-0", "f", "v");
    O("XADD", "a", "MAXLEN", "~", "0", "LIMIT", "0", "455-0", "f", "v");
    /* The head node after an exact trim holds fewer than 100. */
    fill(o, "b", 1, 150);
    O("XTRIM", "b", "MAXLEN", "~", "60");        /* 150 - 100 < 60: none */
    O("XTRIM", "b", "MAXLEN", "=", "140");       /* head node: 90 left */
    O("XTRIM", "b", "MAXLEN", "~", "60");        /* 140 - 90 < 60: none */
    O("XTRIM", "b", "MAXLEN", "~", "45");        /* the 90 go */
    O("XADD", "b", "MAXLEN", "~", "1", "151-0", "f", "v"); /* 50 + 1 */
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

/* ---- XDEL, XTRIM, XSETID ----------------------------------------------------- */

START_TEST(xdel_xtrim_xsetid)
{
    oracle *o = start(ORACLE_DIRECT);
    fill(o, "u", 1, 3);
    O("XDEL", "nokey", "bad");                    /* 0 before parsing */
    OE("XDEL", "u", "bad");
    OE("XDEL", "u", "1-0", "+");
    O("XDEL", "u", "1-0", "7-0", "1-0");
    O("XDEL", "u", "3-0");
    oracle_check(o);
    OE("XSETID", "u", "1-0");                     /* below the top entry */
    OE("XSETID", "nokey", "1-0");
    OE("XSETID", "u", "5-0", "ENTRIESADDED", "-1");
    OE("XSETID", "u", "5-0", "ENTRIESADDED", "x");
    OE("XSETID", "u", "5-0", "ENTRIESADDED", "0"); /* below the length */
    OE("XSETID", "u", "5-0", "MAXDELETEDID", "6-0");
    OE("XSETID", "u", "5-0", "MAXDELETEDID", "-");
    OE("XSETID", "u", "5-0", "FOO", "6-0");
    OE("XSETID", "u", "5-0", "ENTRIESADDED");
    OE("XSETID", "u", "+");
    O("XSETID", "u", "5-0", "ENTRIESADDED", "10", "MAXDELETEDID", "4-0");
    O("XSETID", "u", "4-5", "MAXDELETEDID", "3-0"); /* below the old one */
    O("XSETID", "u", "4-5", "MAXDELETEDID", "0-0"); /* 0-0: kept */
    oracle_check(o);

    fill(o, "v", 1, 30);
    OE("XTRIM", "v", "FOO");
    OE("XTRIM", "v", "MAXLEN");
    OE("XTRIM", "v", "NOMKSTREAM", "MAXLEN", "1");
    OE("XTRIM", "v", "LIMIT", "10");
    OE("XTRIM", "v", "MAXLEN", "5", "MINID", "3");
    OE("XTRIM", "v", "MAXLEN", "~", "5", "LIMIT", "-5");
    O("XTRIM", "nokey", "MAXLEN", "5");
    O("XTRIM", "v", "MAXLEN", "~", "5");          /* one node: nothing */
    O("XTRIM", "v", "MAXLEN", "25");
    O("XTRIM", "v", "MINID", "10");
    O("XTRIM", "v", "MINID", "=", "12-0");
    oracle_check(o);
    fill(o, "v", 31, 450);
    O("XTRIM", "v", "MAXLEN", "~", "250");
    O("XTRIM", "v", "MINID", "~", "380");
    O("XTRIM", "v", "MAXLEN", "~", "10", "LIMIT", "50");
    O("XTRIM", "v", "MAXLEN", "~", "0", "LIMIT", "100");
    O("XTRIM", "v", "MAXLEN", "0");
    O("XADD", "v", "451-0", "f", "v");
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

/* ---- consumer groups ------------------------------------------------------- */

START_TEST(xgroup_subcommands)
{
    oracle *o = start(ORACLE_DIRECT);
    fill(o, "s", 1, 10);
    OE("XGROUP", "FOO");
    OE("XGROUP", "CREATE", "s");
    OE("XGROUP", "CREATECONSUMER", "s", "g", "c", "x");
    OE("XGROUP", "DESTROY", "s", "g", "x");
    OE("XGROUP", "HELP", "x");
    OE("XGROUP", "CREATE", "nokey", "g", "$");
    OE("XGROUP", "CREATE", "s", "g", "$", "FOO");
    OE("XGROUP", "CREATE", "s", "g", "$", "ENTRIESREAD", "-2");
    OE("XGROUP", "CREATE", "s", "g", "$", "ENTRIESREAD", "x");
    OE("XGROUP", "CREATE", "s", "g", "$", "ENTRIESREAD");
    OE("XGROUP", "CREATE", "s", "g", "+");
    OE("XGROUP", "CREATE", "s", "g", "bad");
    OE("XGROUP", "SETID", "s", "nog", "$");
    OE("XGROUP", "CREATECONSUMER", "s", "nog", "c");
    OE("XGROUP", "DELCONSUMER", "s", "nog", "c");
    O("XGROUP", "DESTROY", "s", "nog");
    O("XGROUP", "CREATE", "s", "g", "$");
    OE("XGROUP", "CREATE", "s", "g", "$");        /* BUSYGROUP */
    OE("XGROUP", "CREATE", "s", "g", "0", "MKSTREAM");
    O("XGROUP", "CREATE", "s", "g0", "0", "ENTRIESREAD", "0");
    O("XGROUP", "CREATE", "s", "g2", "3", "MKSTREAM", "ENTRIESREAD", "3");
    O("XGROUP", "CREATE", "s", "g3", "4", "ENTRIESREAD", "-1");
    O("XGROUP", "CREATE", "m", "g", "$", "MKSTREAM");
    O("XGROUP", "CREATE", "m2", "g", "5-5", "MKSTREAM");
    OE("XGROUP", "SETID", "s", "g", "$", "MKSTREAM");
    OE("XGROUP", "SETID", "s", "g", "$", "ENTRIESREAD", "2", "x");
    OE("XGROUP", "SETID", "s", "g", "bad");
    O("XGROUP", "SETID", "s", "g", "-");
    O("XGROUP", "SETID", "s", "g", "3", "ENTRIESREAD", "3");
    O("XGROUP", "SETID", "s", "g3", "+");
    O("XGROUP", "CREATECONSUMER", "s", "g", "bob");
    O("XGROUP", "CREATECONSUMER", "s", "g", "bob");
    O("XGROUP", "CREATECONSUMER", "s", "g", "");
    O("XGROUP", "DELCONSUMER", "s", "g", "");
    O("XGROUP", "DELCONSUMER", "s", "g", "nobody");
    O("XGROUP", "DESTROY", "s", "g3");
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

START_TEST(xreadgroup_xack_direct)
{
    oracle *o = start(ORACLE_DIRECT);
    fill(o, "s", 1, 10);
    O("XGROUP", "CREATE", "s", "g", "3", "ENTRIESREAD", "3");
    O("XGROUP", "CREATE", "s", "g0", "0", "ENTRIESREAD", "0");
    O("XGROUP", "CREATE", "s", "g2", "0");        /* entries_read unknown */
    O("XGROUP", "CREATE", "m", "g", "$", "MKSTREAM");
    OE("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s");
    OE("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", "$");
    OE("XREADGROUP", "GROUP", "nog", "a", "STREAMS", "s", ">");
    OE("XREADGROUP", "GROUP", "g", "a", "STREAMS", "nokey", ">");
    OE("XREADGROUP", "COUNT", "x", "GROUP", "g", "a", "STREAMS", "s", ">");
    OE("XREADGROUP", "BLOCK", "-1", "GROUP", "g", "a", "STREAMS", "s", ">");
    OE("XREADGROUP", "BLOCK", "x", "GROUP", "g", "a", "STREAMS", "s", ">");
    OE("XREADGROUP", "FOO", "GROUP", "g", "a", "STREAMS", "s", ">");
    OE("XREADGROUP", "COUNT", "1", "NOACK", "STREAMS", "s", ">", "x");
    OE("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", "bad");
    OE("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", "m", ">", "+");
    O("XREADGROUP", "GROUP", "g", "a", "COUNT", "2", "STREAMS", "s", ">");
    O("XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", "m", ">", ">");
    O("XREADGROUP", "GROUP", "g", "b", "BLOCK", "10", "STREAMS", "s", ">");
    O("XREADGROUP", "GROUP", "g0", "c", "NOACK", "COUNT", "3", "STREAMS",
      "s", ">");
    O("XREADGROUP", "GROUP", "g2", "c", "COUNT", "-5", "STREAMS", "s", ">");
    /* history: redelivery of what still exists */
    O("XDEL", "s", "5-0");
    O("XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", "0");
    O("XREADGROUP", "GROUP", "g", "a", "COUNT", "1", "STREAMS", "s", "0");
    O("XREADGROUP", "GROUP", "g", "newc", "STREAMS", "s", "0");
    oracle_check(o);
    /* after a deletion entries_read is estimated again */
    O("XADD", "s", "11-0", "f", "v");
    O("XREADGROUP", "GROUP", "g0", "c", "STREAMS", "s", ">");
    O("XGROUP", "SETID", "s", "g", "2-0");       /* re-delivers 3-0 ... */
    O("XREADGROUP", "GROUP", "g", "d", "COUNT", "3", "STREAMS", "s", ">");
    O("XACK", "nokey", "g", "bad");
    O("XACK", "s", "nog", "bad");
    OE("XACK", "s", "g", "bad");
    OE("XACK", "s", "g", "1-0", "-");
    O("XACK", "s", "g", "4-0", "4-0", "9-0", "1-0");
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

START_TEST(xclaim_xautoclaim_direct)
{
    oracle *o = start(ORACLE_DIRECT);
    fill(o, "s", 1, 10);
    O("XGROUP", "CREATE", "s", "g", "0");
    O("XREADGROUP", "GROUP", "g", "a", "COUNT", "4", "STREAMS", "s", ">");
    O("XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">");
    OE("XCLAIM", "nokey", "g", "c", "0", "1-0");
    OE("XCLAIM", "s", "nog", "c", "0", "1-0");
    OE("XCLAIM", "s", "g", "c", "x", "1-0");
    OE("XCLAIM", "s", "g", "c", "0", "1-0", "FOO");
    OE("XCLAIM", "s", "g", "c", "0", "1-0", "IDLE", "x");
    OE("XCLAIM", "s", "g", "c", "0", "1-0", "TIME", "x");
    OE("XCLAIM", "s", "g", "c", "0", "1-0", "RETRYCOUNT", "x");
    OE("XCLAIM", "s", "g", "c", "0", "1-0", "LASTID", "x");
    OE("XCLAIM", "s", "g", "c", "0", "1-0", "JUSTID", "2-0");
    OE("XCLAIM", "s", "g", "c", "0", "1-0", "IDLE");
    O("XCLAIM", "s", "g", "d", "0", "5-0", "6-0", "JUSTID");
    O("XCLAIM", "s", "g", "d", "1000000000", "7-0");  /* not idle enough */
    O("XCLAIM", "s", "g", "e", "-5", "7-0", "8-0", "RETRYCOUNT", "7",
      "IDLE", "5000");
    O("XCLAIM", "s", "g", "e", "0", "1-0", "2-0", "FORCE");
    O("XCLAIM", "s", "g", "f", "0", "3-0", "FORCE", "JUSTID", "LASTID",
      "9-0");
    O("XCLAIM", "s", "g", "f", "0", "99-0", "FORCE", "TIME", "12345");
    O("XCLAIM", "s", "g", "h", "0", "1-0", "TIME", "99999999999999");
    O("XCLAIM", "s", "g", "h", "0", "2-0", "TIME", "-5", "IDLE", "-99");
    O("XCLAIM", "s", "g", "h", "0", "3-0", "3-0", "LASTID", "20-0",
      "LASTID", "2-0");
    O("XCLAIM", "s", "g", "nobody", "1000000000", "3-0"); /* no consumer */
    oracle_check(o);
    O("XDEL", "s", "1-0", "3-0");
    O("XCLAIM", "s", "g", "i", "0", "1-0", "2-0");   /* 1-0 is dropped */
    OE("XAUTOCLAIM", "nokey", "g", "c", "0", "0");
    OE("XAUTOCLAIM", "s", "g", "c", "x", "0");
    OE("XAUTOCLAIM", "s", "g", "c", "0", "bad");
    OE("XAUTOCLAIM", "s", "g", "c", "0",
       "(18446744073709551615-18446744073709551615");
    OE("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "0");
    OE("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "x");
    OE("XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT",
       "576460752303423488");
    OE("XAUTOCLAIM", "s", "g", "c", "0", "0", "FOO");
    OE("XAUTOCLAIM", "s", "nog", "c", "0", "0");
    O("XDEL", "s", "6-0");
    O("XAUTOCLAIM", "s", "g", "j", "0", "(2-0", "COUNT", "2");
    O("XAUTOCLAIM", "s", "g", "k", "1000000000", "-");
    O("XAUTOCLAIM", "s", "g", "k", "0", "-", "JUSTID");
    O("XAUTOCLAIM", "s", "g", "k", "0", "+");
    O("XGROUP", "DELCONSUMER", "s", "g", "k");
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

/* ---- propagated forms (AOF) ------------------------------------------------- */

START_TEST(propagated_forms_aof)
{
    oracle *o = start(ORACLE_AOF);
    /* XADD *: Redis's clock, its IDs, in the AOF. */
    for (int i = 0; i < 350; i++)
        O("XADD", "s", "MAXLEN", "~", "120", "*", "f", "v");
    for (int i = 0; i < 150; i++)
        O("XADD", "s", "MAXLEN", "~", "50", "LIMIT", "100", "*", "f", "v");
    O("XADD", "s", "MINID", "~", "0", "*", "f", "v");
    O("XADD", "s", "NOMKSTREAM", "5-*", "f", "v"); /* refused: below */
    O("XTRIM", "s", "MAXLEN", "~", "0");
    O("XTRIM", "s", "MINID", "~", "0", "LIMIT", "1000");
    oracle_check(o);
    /* XREADGROUP and XAUTOCLAIM become XCLAIMs; NOACK becomes XGROUP
     * CREATECONSUMER and SETID. */
    fill(o, "g", 1, 20);
    O("XGROUP", "CREATE", "g", "grp", "0", "ENTRIESREAD", "0");
    O("XREADGROUP", "GROUP", "grp", "a", "COUNT", "5", "STREAMS", "g", ">");
    O("XGROUP", "SETID", "g", "grp", "5-0", "ENTRIESREAD", "5");
    O("XREADGROUP", "GROUP", "grp", "b", "NOACK", "COUNT", "5", "STREAMS",
      "g", ">");
    O("XREADGROUP", "GROUP", "grp", "c", "COUNT", "5", "STREAMS", "g", ">");
    O("XGROUP", "SETID", "g", "grp", "15-0", "ENTRIESREAD", "15");
    O("XDEL", "g", "2-0", "12-0");
    O("XAUTOCLAIM", "g", "grp", "d", "0", "0", "COUNT", "3");
    O("XAUTOCLAIM", "g", "grp", "d", "0", "0", "COUNT", "3", "JUSTID");
    O("XCLAIM", "g", "grp", "e", "0", "13-0", "14-0", "IDLE", "100000");
    O("XCLAIM", "g", "grp", "e", "0", "12-0", "19-0", "FORCE", "LASTID",
      "19-0");
    O("XCLAIM", "g", "grp", "f", "0", "99-0", "LASTID", "20-0");
    O("XGROUP", "CREATECONSUMER", "g", "grp", "z");
    O("XGROUP", "DELCONSUMER", "g", "grp", "a");
    O("XACK", "g", "grp", "13-0");
    O("XSETID", "g", "30-0", "ENTRIESADDED", "40", "MAXDELETEDID", "25-0");
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

/* ---- forms only the applier sees -------------------------------------------- */

static int64_t fixed_now;
static int64_t fixed_clock(void *arg)
{
    (void)arg;
    return fixed_now;
}

/* Apply one command given as C strings; return its status. */
static cmd_status apply(cmd_applier *a, const char *arg0, ...)
{
    const char *argv[32];
    size_t n = 0;
    va_list ap;
    va_start(ap, arg0);
    for (const char *s = arg0; s != NULL && n < 32; s = va_arg(ap, const char *))
        argv[n++] = s;
    va_end(ap);
    return cmd_apply_argv(a, n, argv, NULL);
}
#define A(...) apply(a, __VA_ARGS__, (const char *)NULL)

/* A propagated approximate trim keeps its LIMIT after `=`, which Redis
 * refuses from a client but obeys from its master; XADD * takes the
 * applier's clock, and the last ID's successor when that clock is behind;
 * and the one XSETID a pstream cannot hold is refused by name. */
START_TEST(applier_only_forms)
{
    keyspace *ks = keyspace_create(store_variant("cow"), 16);
    ck_assert_ptr_nonnull(ks);
    cmd_options opt = { .clock_ms = fixed_clock };
    cmd_applier *a = cmd_applier_create(ks, &opt);
    ck_assert_ptr_nonnull(a);
    for (int i = 1; i <= 10; i++) {
        char id[32];
        snprintf(id, sizeof id, "%d-0", i);
        ck_assert_int_eq(A("XADD", "s", id, "f", "v"), CMD_APPLIED);
    }
    ck_assert_int_eq(A("XADD", "s", "MAXLEN", "=", "4", "LIMIT", "2", "11-0",
                       "f", "v"), CMD_APPLIED);
    ck_assert_int_eq(A("XTRIM", "s", "MINID", "=", "9-0", "LIMIT", "100"),
                     CMD_APPLIED);
    fixed_now = 5;                              /* behind the last ID */
    ck_assert_int_eq(A("XADD", "s", "*", "f", "v"), CMD_APPLIED); /* 11-1 */
    fixed_now = 20;
    ck_assert_int_eq(A("XADD", "s", "*", "f", "v"), CMD_APPLIED); /* 20-0 */
    ck_assert_int_eq(A("XADD", "s", "*", "f", "v"), CMD_APPLIED); /* 20-1 */
    ck_assert_int_eq(A("XDEL", "s", "20-1"), CMD_APPLIED);
    /* Redis 7.0.15 accepts a last ID below an existing max_deleted_entry_id;
     * a pstream cannot hold that, so it is refused by name. */
    ck_assert_int_eq(A("XSETID", "s", "20-0"), CMD_FAILED);
    ck_assert_ptr_nonnull(strstr(cmd_applier_reply_error(a),
                                 "max_deleted_entry_id"));
    ck_assert_int_eq(cmd_applier_flush(a), 0);

    keyspace_reader *r = keyspace_reader_open(ks);
    keyspace_read_begin(r);
    const value *v = keyspace_get(r, 0, "s", 1);
    ck_assert_ptr_nonnull(v);
    const pstream *s = value_as_stream(v);
    ck_assert_uint_eq(pstream_len(s), 5); /* 9-0 10-0 11-0 11-1 20-0 */
    ck_assert_uint_eq(pstream_first_id(s).ms, 9);
    const pstream_entry *e = pstream_get(s, (pstream_id){ 11, 1 });
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_nonnull(pstream_get(s, (pstream_id){ 20, 0 }));
    ck_assert_uint_eq(pstream_last_id(s).ms, 20);
    ck_assert_uint_eq(pstream_last_id(s).seq, 1);
    ck_assert_uint_eq(pstream_max_deleted_id(s).seq, 1);
    ck_assert_uint_eq(pstream_entries_added(s), 14);
    keyspace_read_end(r);
    keyspace_reader_close(r);
    cmd_applier_destroy(a);
    keyspace_destroy(ks);
}
END_TEST

/* Every command refuses a key of another type with Redis's WRONGTYPE text
 * and changes nothing.  (Checked against Redis by hand: the applier's
 * branch has no SET to make such a key through the oracle.) */
START_TEST(wrong_type_changes_nothing)
{
    static const char *const cmds[][10] = {
        { "XADD", "str", "9-0", "f", "v" },
        { "XADD", "str", "NOMKSTREAM", "*", "f", "v" },
        { "XDEL", "str", "1-0" },
        { "XTRIM", "str", "MAXLEN", "5" },
        { "XSETID", "str", "1-0" },
        { "XGROUP", "CREATE", "str", "g", "$", "MKSTREAM" },
        { "XGROUP", "DESTROY", "str", "g" },
        { "XREADGROUP", "GROUP", "g", "a", "STREAMS", "str", ">" },
        { "XACK", "str", "g", "1-0" },
        { "XCLAIM", "str", "g", "c", "0", "1-0" },
        { "XAUTOCLAIM", "str", "g", "c", "0", "0" },
    };
    keyspace *ks = keyspace_create(store_variant("cow"), 16);
    ck_assert_ptr_nonnull(ks);
    cmd_applier *a = cmd_applier_create(ks, NULL);
    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    ck_assert_int_eq(keyspace_put(ks, 0, "str", 3,
                                  value_new_string("x", 1, VALUE_NO_EXPIRY)),
                     0);
    ck_assert_int_eq(keyspace_commit(ks), 0);
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
        size_t argc = 0;
        while (argc < 10 && cmds[k][argc] != NULL)
            argc++;
        ck_assert_int_eq(cmd_apply_argv(a, argc, cmds[k], NULL), CMD_FAILED);
        ck_assert_str_eq(cmd_applier_reply_error(a), CMD_ERR_WRONGTYPE);
    }
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    keyspace_reader *r = keyspace_reader_open(ks);
    keyspace_read_begin(r);
    const value *v = keyspace_get(r, 0, "str", 3);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(v->type, VALUE_STRING);
    ck_assert_uint_eq(keyspace_dbsize(r, 0), 1);
    keyspace_read_end(r);
    keyspace_reader_close(r);
    cmd_applier_destroy(a);
    keyspace_destroy(ks);
}
END_TEST

/* ---- out of memory ---------------------------------------------------------- */

/* Append to a fixed buffer (a test's own dump; truncation only shortens
 * what is compared). */
static void put(char *buf, size_t sz, const char *fmt, ...)
{
    size_t n = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + n, n < sz ? sz - n : 0, fmt, ap);
    va_end(ap);
}

/* Everything a stream holds, as text: metadata, entries, groups, PELs and
 * consumers with their times. */
static void dump_stream(keyspace *ks, const char *key, char *buf, size_t sz)
{
    buf[0] = '\0';
    keyspace_reader *r = keyspace_reader_open(ks);
    ck_assert_ptr_nonnull(r);
    keyspace_read_begin(r);
    const value *v = keyspace_get(r, 0, key, strlen(key));
    if (v == NULL) {
        put(buf, sz, "absent");
    } else {
        const pstream *s = value_as_stream(v);
        pstream_id lo = { 0, 0 }, hi = { UINT64_MAX, UINT64_MAX };
        put(buf, sz, "len %zu last %" PRIu64 "-%" PRIu64 " md %" PRIu64
                     " added %" PRIu64 "\n", pstream_len(s),
            pstream_last_id(s).ms, pstream_last_id(s).seq,
            pstream_max_deleted_id(s).ms, pstream_entries_added(s));
        pstream_iter it;
        pstream_range(&it, s, lo, hi, false);
        for (const pstream_entry *e; (e = pstream_range_next(&it)) != NULL;)
            put(buf, sz, "e %" PRIu64 "-%" PRIu64 "\n", pstream_entry_id(e).ms,
                pstream_entry_id(e).seq);
        pstream_groups(&it, s);
        for (const pstream_group *g; (g = pstream_groups_next(&it)) != NULL;) {
            put(buf, sz, "g %.*s %" PRIu64 "-%" PRIu64 " %" PRIu64 "\n",
                (int)g->name_len, g->name, g->last_id.ms, g->last_id.seq,
                g->entries_read);
            pstream_iter pi;
            pstream_pel_range(&pi, g, lo, hi, false);
            for (const pstream_nack *n; (n = pstream_pel_next(&pi)) != NULL;)
                put(buf, sz, " p %" PRIu64 " %" PRId64 " %" PRIu64 "\n",
                    n->id.ms, n->delivery_time_ms, n->delivery_count);
            pstream_consumers(&pi, g);
            for (const pstream_consumer *c;
                 (c = pstream_consumers_next(&pi)) != NULL;)
                put(buf, sz, " c %.*s %" PRId64 " %zu\n", (int)c->name_len,
                    c->name, c->seen_time_ms, pstream_consumer_pel_len(c));
        }
    }
    keyspace_read_end(r);
    keyspace_reader_close(r);
}

/* Each command, with the n-th allocation failing for n = 1, 2, ... until
 * it succeeds: every failure must leave the stream exactly as it was. */
START_TEST(out_of_memory_changes_nothing)
{
    static const char *const cmds[][12] = {
        { "XADD", "s", "MAXLEN", "=", "5", "30-0", "f", "v", "g", "w" },
        { "XADD", "new", "1-0", "f", "v" },
        { "XADD", "s", "MAXLEN", "~", "1", "*", "f", "v" },
        { "XDEL", "s", "3-0", "4-0", "9-0" },
        { "XTRIM", "s", "MINID", "8" },
        { "XSETID", "s", "50-0", "ENTRIESADDED", "90", "MAXDELETEDID", "1-0" },
        { "XGROUP", "CREATE", "new", "g", "$", "MKSTREAM" },
        { "XGROUP", "CREATECONSUMER", "s", "g", "z" },
        { "XGROUP", "DELCONSUMER", "s", "g", "a" },
        { "XGROUP", "DESTROY", "s", "g" },
        { "XREADGROUP", "GROUP", "g", "b", "STREAMS", "s", ">" },
        { "XREADGROUP", "GROUP", "g", "a", "STREAMS", "s", "0" },
        { "XACK", "s", "g", "1-0", "2-0" },
        { "XCLAIM", "s", "g", "c", "0", "1-0", "7-0", "FORCE", "LASTID", "9-0" },
        { "XAUTOCLAIM", "s", "g", "c", "0", "0", "COUNT", "2" },
    };
    char before[4096], after[4096];
    cmd_options opt = { .clock_ms = fixed_clock };
    for (size_t k = 0; k < sizeof cmds / sizeof cmds[0]; k++) {
        size_t argc = 0;
        while (argc < 12 && cmds[k][argc] != NULL)
            argc++;
        const char *key = strcmp(cmds[k][0], "XGROUP") == 0 ? cmds[k][2]
                                                            : cmds[k][1];
        for (unsigned long n = 1;; n++) {
            keyspace *ks = keyspace_create(store_variant("cow"), 16);
            ck_assert_ptr_nonnull(ks);
            cmd_applier *a = cmd_applier_create(ks, &opt);
            ck_assert_ptr_nonnull(a);
            fixed_now = 1000;
            for (int i = 1; i <= 10; i++) {
                char id[32];
                snprintf(id, sizeof id, "%d-0", i);
                ck_assert_int_eq(A("XADD", "s", id, "f", "v"), CMD_APPLIED);
            }
            ck_assert_int_eq(A("XGROUP", "CREATE", "s", "g", "0"), CMD_APPLIED);
            ck_assert_int_eq(A("XREADGROUP", "GROUP", "g", "a", "COUNT", "3",
                               "STREAMS", "s", ">"), CMD_APPLIED);
            ck_assert_int_eq(cmd_applier_flush(a), 0);
            dump_stream(ks, key, before, sizeof before);
            fixed_now = 2000;
            alloc_fail_nth(n);
            cmd_status st = cmd_apply_argv(a, argc, cmds[k], NULL);
            int fl = cmd_applier_flush(a);
            bool fired = alloc_fail_fired() != 0;
            alloc_fail_off();
            if (!fired) {
                ck_assert_int_eq(st, CMD_APPLIED);
                ck_assert_int_eq(fl, 0);
            } else {
                ck_assert_msg(st == CMD_NOMEM || fl < 0,
                              "%s: allocation %lu failed but it applied",
                              cmds[k][0], n);
                dump_stream(ks, key, after, sizeof after);
                ck_assert_msg(strcmp(before, after) == 0,
                              "%s: allocation %lu failed and the stream "
                              "changed:\n%s\nbecame\n%s", cmds[k][0], n,
                              before, after);
            }
            cmd_applier_destroy(a);
            keyspace_destroy(ks);
            if (!fired)
                break;
        }
    }
}
END_TEST

/* ---- seeded random sequences ------------------------------------------------ */

/* One random command on keys s0..s2, groups g0..g1, consumers c0..c3.
 * DIRECT (aof false): explicit IDs, exact trims, minimum idle times far
 * from the two clocks' difference.  AOF: `*` and `ms-*`, `~`, no history
 * reads, and XREADGROUP with NOACK only (see the header comment); the
 * pending entries come from XCLAIM ... FORCE. */
static void random_step(oracle *o, bool aof, uint64_t *next_ms)
{
    char key[8], grp[8], con[8], id[48], id2[48], n[24];
    unsigned k = below(3);
    snprintf(key, sizeof key, "s%u", k);
    snprintf(grp, sizeof grp, "g%u", below(2));
    snprintf(con, sizeof con, "c%u", below(4));
    uint64_t top = next_ms[k];
    snprintf(id, sizeof id, "%" PRIu64 "-%u", top ? (uint64_t)below((unsigned)top) + 1 : 1,
             below(3));
    snprintf(id2, sizeof id2, "%" PRIu64 "-0", top + 1 + below(3));
    snprintf(n, sizeof n, "%u", below(40));
    switch (below(16)) {
    case 0: case 1: case 2: case 3: { /* XADD */
        /* AOF: s0 takes `*` (Redis's clock), s1 and s2 `ms-*` so that the
         * random IDs below hit their entries. */
        char gen[48];
        snprintf(gen, sizeof gen, "%" PRIu64 "-*", top + 1);
        const char *idarg = !aof ? id2 : k == 0 ? "*" : gen;
        next_ms[k] = top + 3;
        switch (below(6)) {
        case 0:
            O("XADD", key, "MAXLEN", aof && below(2) ? "~" : "=", n, idarg,
              "f", "v");
            break;
        case 1:
            if (aof)
                O("XADD", key, "MAXLEN", "~", n, "LIMIT", "150", idarg, "f",
                  "v", "g", "w");
            else
                O("XADD", key, "MINID", id, idarg, "f", "v");
            break;
        case 2:
            O("XADD", key, "NOMKSTREAM", idarg, "a", "1");
            break;
        default:
            O("XADD", key, idarg, "f", n);
        }
        break;
    }
    case 4:
        O("XDEL", key, id, id2);
        break;
    case 5:
        if (aof && below(2))
            O("XTRIM", key, "MAXLEN", "~", n);
        else
            O("XTRIM", key, "MINID", id);
        break;
    case 6:
        O("XGROUP", "CREATE", key, grp, below(2) ? "$" : "0", "MKSTREAM");
        break;
    case 7:
        O("XGROUP", "SETID", key, grp, id, "ENTRIESREAD", n);
        break;
    case 8:
        if (below(4) == 0)
            O("XGROUP", "DESTROY", key, grp);
        else if (below(2))
            O("XGROUP", "CREATECONSUMER", key, grp, con);
        else
            O("XGROUP", "DELCONSUMER", key, grp, con);
        break;
    case 9: case 10:
        if (aof || below(3) == 0)
            O("XREADGROUP", "GROUP", grp, con, "NOACK", "COUNT", "3",
              "STREAMS", key, ">");
        else
            O("XREADGROUP", "GROUP", grp, con, "COUNT", "4", "STREAMS", key,
              ">");
        break;
    case 11:
        if (!aof)
            O("XREADGROUP", "GROUP", grp, con, "COUNT", "2", "STREAMS", key,
              "0");
        else
            O("XACK", key, grp, id, id2);
        break;
    case 12:
        O("XACK", key, grp, id, id2);
        break;
    case 13:
        O("XCLAIM", key, grp, con, below(2) ? "0" : "1000000000", id, id2,
          below(2) ? "FORCE" : "JUSTID");
        break;
    case 14:
        O("XCLAIM", key, grp, con, "0", id, "RETRYCOUNT", n, "LASTID", id2,
          "IDLE", "1000");
        break;
    default:
        O("XAUTOCLAIM", key, grp, con, "0", below(2) ? "0" : id, "COUNT",
          "3");
        break;
    }
}

static void random_run(unsigned mode, uint64_t seed)
{
    oracle *o = start(mode);
    rng = seed;
    uint64_t next_ms[3] = { 0, 0, 0 };
    long steps = test_scale(1500, 100);
    for (long i = 0; i < steps; i++) {
        random_step(o, mode == ORACLE_AOF, next_ms);
        if (i % 250 == 249)
            oracle_check(o);
    }
    oracle_check(o);
    oracle_stop(o);
}

START_TEST(random_direct)
{
    random_run(ORACLE_DIRECT, 0x5eed0001u);
}
END_TEST

START_TEST(random_aof)
{
    random_run(ORACLE_AOF, 0x5eed0002u);
}
END_TEST

Suite *ch09_streams_suite(void)
{
    Suite *s = suite_create("ch09_streams");
    TCase *tc = test_tcase("streams", 120);
    tcase_add_checked_fixture(tc, NULL, oracle_teardown);
    tcase_add_test(tc, xadd_ids_and_errors);
    tcase_add_test(tc, xadd_trim_options);
    tcase_add_test(tc, xdel_xtrim_xsetid);
    tcase_add_test(tc, xgroup_subcommands);
    tcase_add_test(tc, xreadgroup_xack_direct);
    tcase_add_test(tc, xclaim_xautoclaim_direct);
    tcase_add_test(tc, propagated_forms_aof);
    tcase_add_test(tc, applier_only_forms);
    tcase_add_test(tc, wrong_type_changes_nothing);
    tcase_add_test(tc, out_of_memory_changes_nothing);
    tcase_add_test(tc, random_direct);
    tcase_add_test(tc, random_aof);
    suite_add_tcase(s, tc);
    return s;
}
