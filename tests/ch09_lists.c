/* ch09_lists.c - chapter 9: the list commands against a real redis-server.
 *
 * Every list write, in the form a client sends and in the form Redis
 * propagates, goes through the oracle (tests/util/oracle.h): in DIRECT
 * mode each command goes both to redis-server 7.0.15 and to the applier,
 * which must succeed or fail exactly when Redis does, with Redis's reply
 * text; in AOF mode only Redis sees the commands and the applier gets
 * what Redis appended to its AOF (a served BLPOP as LPOP, LMPOP as LPOP
 * key count).  Each test ends with oracle_check(): Redis's SAVE, loaded
 * into a fresh keyspace, must equal the applier's.  The scripted tests
 * walk every option and error text and the index edge values, and push
 * lists across plist's flat/tree line and Redis's listpack/quicklist
 * one; the random tests run seeded sequences.
 */
#include "alloc.h"
#include "cmd.h"
#include "cmd_oom.h"
#include "keyspace_rdb.h"
#include "oracle.h"
#include "test_util.h"

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define C(o, ...) oracle_cmd((o), __VA_ARGS__, (const char *)NULL)
#define E(o, ...) oracle_expect_error((o), __VA_ARGS__, (const char *)NULL)

static uint64_t rng;
static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}
static unsigned below(unsigned n) { return (unsigned)(rnd() % n); }

/* ---- scripted: every option and error ------------------------------------------- */

static void script_pushes_and_edits(oracle *o)
{
    C(o, "RPUSH", "l", "a", "b", "c");
    C(o, "LPUSH", "l", "z", "y");
    C(o, "LPUSHX", "nol", "x");
    C(o, "RPUSHX", "nol", "x");
    C(o, "LPUSHX", "l", "h1", "h2");
    C(o, "RPUSHX", "l", "t1", "t2");
    C(o, "SADD", "str", "v"); /* a set: the wrong type */
    E(o, "LPUSH", "str", "x");
    E(o, "RPUSHX", "str", "x");
    E(o, "LPUSH", "l");
    /* LINSERT */
    C(o, "LINSERT", "l", "BEFORE", "a", "before-a");
    C(o, "LINSERT", "l", "after", "c", "after-c");
    C(o, "LINSERT", "l", "AFTER", "t2", "last");
    C(o, "LINSERT", "l", "before", "h2", "first");
    C(o, "LINSERT", "l", "BEFORE", "nopivot", "x");
    C(o, "LINSERT", "nol", "BEFORE", "a", "x");
    E(o, "LINSERT", "l", "MIDDLE", "a", "x");
    E(o, "LINSERT", "nol", "MIDDLE", "a", "x");
    E(o, "LINSERT", "str", "BEFORE", "a", "x");
    /* LSET: the order of its checks, and the index edges */
    E(o, "LSET", "nol", "0", "x");
    E(o, "LSET", "nol", "abc", "x");
    E(o, "LSET", "str", "0", "x");
    E(o, "LSET", "l", "abc", "x");
    E(o, "LSET", "l", "1.5", "x");
    E(o, "LSET", "l", "100", "x");
    E(o, "LSET", "l", "-100", "x");
    E(o, "LSET", "l", "9223372036854775807", "x");
    E(o, "LSET", "l", "-9223372036854775808", "x");
    E(o, "LSET", "l", "99999999999999999999", "x");
    C(o, "LSET", "l", "0", "set0");
    C(o, "LSET", "l", "-1", "set-last");
    C(o, "LSET", "l", "3", "set3");
    /* LREM count semantics */
    C(o, "RPUSH", "r", "x", "a", "x", "b", "x", "c", "x", "d", "x");
    C(o, "LREM", "r", "2", "x");
    C(o, "LREM", "r", "-1", "x");
    C(o, "LREM", "r", "0", "nothing");
    C(o, "LREM", "r", "0", "x");
    C(o, "LREM", "nol", "0", "x");
    E(o, "LREM", "r", "x", "x");
    E(o, "LREM", "str", "0", "x");
    C(o, "RPUSH", "r2", "q", "q", "q");
    C(o, "LREM", "r2", "-9223372036854775808", "q"); /* empties: deleted */
    C(o, "RPUSH", "r3", "q", "w", "q");
    C(o, "LREM", "r3", "9223372036854775807", "q");
    /* LTRIM edges */
    C(o, "RPUSH", "t", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    C(o, "LTRIM", "t", "0", "-1");
    C(o, "LTRIM", "t", "-100", "100");
    C(o, "LTRIM", "t", "1", "-2");
    C(o, "LTRIM", "t", "-5", "-1");
    C(o, "LTRIM", "nol", "0", "1");
    E(o, "LTRIM", "t", "a", "1");
    E(o, "LTRIM", "t", "0", "b");
    E(o, "LTRIM", "str", "0", "1");
    C(o, "RPUSH", "t2", "a", "b", "c");
    C(o, "LTRIM", "t2", "2", "1"); /* start > end: emptied, deleted */
    C(o, "RPUSH", "t3", "a", "b", "c");
    C(o, "LTRIM", "t3", "5", "10");
    C(o, "RPUSH", "t4", "a", "b", "c");
    C(o, "LTRIM", "t4", "0", "-4");
    C(o, "RPUSH", "t5", "a", "b", "c");
    C(o, "LTRIM", "t5", "-9223372036854775808", "9223372036854775807");
}

static void script_pops_and_moves(oracle *o)
{
    C(o, "SADD", "str", "v"); /* a set: the wrong type */
    C(o, "RPUSH", "p", "1", "2", "3", "4", "5", "6", "7");
    C(o, "LPOP", "p");
    C(o, "RPOP", "p");
    C(o, "LPOP", "p", "0");
    C(o, "LPOP", "p", "2");
    C(o, "RPOP", "p", "1");
    E(o, "LPOP", "p", "-1");
    E(o, "RPOP", "p", "abc");
    E(o, "LPOP", "p", "1", "2");
    E(o, "LPOP", "str");
    E(o, "RPOP", "str", "2");
    E(o, "LPOP", "str", "-1"); /* the count is checked before the type */
    C(o, "LPOP", "nol");
    C(o, "LPOP", "nol", "3");
    C(o, "RPOP", "p", "100"); /* more than there are: all, key deleted */
    C(o, "RPUSH", "p1", "only");
    C(o, "LPOP", "p1"); /* emptied: deleted */
    /* RPOPLPUSH and LMOVE, every direction */
    C(o, "RPUSH", "m", "a", "b", "c", "d");
    C(o, "RPOPLPUSH", "m", "m2");
    C(o, "LMOVE", "m", "m2", "LEFT", "LEFT");
    C(o, "LMOVE", "m", "m2", "left", "right");
    C(o, "LMOVE", "m2", "m", "RIGHT", "LEFT");
    C(o, "LMOVE", "m2", "m", "RIGHT", "RIGHT");
    C(o, "LMOVE", "m", "m", "LEFT", "RIGHT"); /* rotation */
    C(o, "RPOPLPUSH", "m", "m");
    C(o, "RPUSH", "one", "x");
    C(o, "LMOVE", "one", "one", "LEFT", "LEFT"); /* stays, not deleted */
    C(o, "RPOPLPUSH", "one", "fresh"); /* source deleted, dest created */
    C(o, "RPOPLPUSH", "nol", "str"); /* no source: no type check of dest */
    E(o, "RPOPLPUSH", "m", "str");
    E(o, "RPOPLPUSH", "str", "m");
    E(o, "LMOVE", "m", "m2", "UP", "LEFT");
    E(o, "LMOVE", "m", "m2", "LEFT", "DOWN");
    E(o, "LMOVE", "nol", "m2", "LEFT", "DOWN");
    E(o, "LMOVE", "m", "str", "LEFT", "LEFT");
    /* LMPOP */
    C(o, "RPUSH", "mp1", "a", "b", "c");
    C(o, "RPUSH", "mp2", "d", "e");
    C(o, "LMPOP", "2", "nol", "mp1", "LEFT");
    C(o, "LMPOP", "2", "mp2", "mp1", "RIGHT", "COUNT", "5");
    C(o, "LMPOP", "3", "nol", "mp2", "mp1", "left", "count", "1");
    C(o, "LMPOP", "1", "nol", "LEFT");
    E(o, "LMPOP", "0", "mp1", "LEFT");
    E(o, "LMPOP", "-1", "mp1", "LEFT");
    E(o, "LMPOP", "abc", "mp1", "LEFT");
    E(o, "LMPOP", "5", "mp1", "LEFT");
    E(o, "LMPOP", "2", "mp1", "LEFT");
    E(o, "LMPOP", "1", "mp1", "MIDDLE");
    E(o, "LMPOP", "1", "mp1", "LEFT", "COUNT");
    E(o, "LMPOP", "1", "mp1", "LEFT", "COUNT", "0");
    E(o, "LMPOP", "1", "mp1", "LEFT", "COUNT", "-3");
    E(o, "LMPOP", "1", "mp1", "LEFT", "COUNT", "x");
    E(o, "LMPOP", "1", "mp1", "LEFT", "COUNT", "1", "COUNT", "1");
    E(o, "LMPOP", "1", "mp1", "LEFT", "LIMIT", "1");
    E(o, "LMPOP", "2", "str", "mp1", "LEFT");
    E(o, "LMPOP", "9223372036854775807", "mp1", "LEFT");
    C(o, "LMPOP", "2", "mp1", "str", "LEFT"); /* served before str is seen */
    /* the blocking forms, served at once because the data is there */
    C(o, "RPUSH", "b1", "a", "b", "c", "d", "e", "f");
    C(o, "BLPOP", "nol", "b1", "0");
    C(o, "BRPOP", "b1", "nol", "0.5");
    C(o, "BLMOVE", "b1", "b2", "LEFT", "RIGHT", "0");
    C(o, "BRPOPLPUSH", "b1", "b2", "1");
    C(o, "BLMPOP", "0", "2", "nol", "b1", "RIGHT", "COUNT", "10");
    E(o, "BLPOP", "b2", "abc");
    E(o, "BLPOP", "b2", "-1");
    E(o, "BRPOP", "str", "0");
    E(o, "BLMOVE", "b2", "b3", "LEFT", "RIGHT", "x");
    E(o, "BLMOVE", "b2", "b3", "SIDE", "RIGHT", "0");
    E(o, "BRPOPLPUSH", "b2", "b3", "-0.5");
    E(o, "BLMPOP", "0", "0", "b2", "LEFT");
    E(o, "BLMPOP", "x", "1", "b2", "LEFT");
    E(o, "BLMPOP", "-2", "1", "b2", "LEFT");
    E(o, "BLMPOP", "0", "1", "b2", "LEFT", "COUNT", "0");
}

/* Lists across both lines: plist's flat form ends at 64 items or 8 KiB,
 * Redis's listpack at 8 KiB per node; edits in the middle of a
 * quicklist of several nodes. */
static void script_boundaries(oracle *o)
{
    char item[300], idx[32];
    for (int n = 0; n < 200; n++) {
        snprintf(item, sizeof item, "%d", n);
        C(o, "RPUSH", "small", item);
        if (n == 62 || n == 63 || n == 64 || n == 127 || n == 128)
            C(o, "LSET", "small", "-1", "edge");
    }
    for (int n = 0; n < 120; n++) {
        memset(item, 'a' + n % 26, 250);
        snprintf(item + 250, sizeof item - 250, "%03d", n);
        C(o, "LPUSH", "big", item);
    }
    C(o, "LINSERT", "big", "BEFORE", item, "pivot-head");
    C(o, "LSET", "big", "60", "middle");
    C(o, "LINSERT", "big", "AFTER", "middle", "after-middle");
    C(o, "LREM", "big", "0", "middle");
    C(o, "LTRIM", "big", "10", "-10");
    C(o, "LPOP", "big", "30");
    C(o, "RPOP", "big", "40");
    for (int n = 0; n < 40; n++) {
        snprintf(idx, sizeof idx, "%d", n % 2 ? -1 - n : n);
        C(o, "LSET", "big", idx, "s");
    }
    C(o, "LREM", "big", "-5", "s");
    C(o, "LTRIM", "small", "0", "31"); /* back under the flat limits */
    C(o, "LMOVE", "big", "small", "LEFT", "RIGHT");
    /* one item larger than a whole listpack node */
    static char huge[10000];
    memset(huge, 'h', sizeof huge - 1);
    C(o, "RPUSH", "small", huge);
    C(o, "LPUSH", "big", huge);
    C(o, "LINSERT", "small", "BEFORE", huge, "before-huge");
}

START_TEST(scripted_direct)
{
    oracle *o = oracle_start("cow", ORACLE_DIRECT);
    script_pushes_and_edits(o);
    oracle_check(o);
    script_pops_and_moves(o);
    oracle_check(o);
    script_boundaries(o);
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

START_TEST(scripted_aof)
{
    /* Redis propagates only what changed; BLPOP as LPOP, LMPOP as LPOP key
     * count, BLMOVE as LMOVE.  Errors reach neither the AOF nor the
     * applier. */
    oracle *o = oracle_start("hamt", ORACLE_AOF);
    script_pushes_and_edits(o);
    script_pops_and_moves(o);
    oracle_check(o);
    script_boundaries(o);
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

/* ---- the blocking forms with nothing to serve ------------------------------------ */

/* Redis would block the client; its AOF loader's client cannot block and
 * takes it as a timeout.  The applier does the same: applied, nothing
 * changes.  (A real redis-server cannot be asked: it would block.) */
START_TEST(blocking_without_data_changes_nothing)
{
    keyspace *ks = keyspace_create(store_variant("cow"), 16);
    ck_assert_ptr_nonnull(ks);
    cmd_applier *a = cmd_applier_create(ks, NULL);
    ck_assert_ptr_nonnull(a);
    const char *push[] = {"RPUSH", "l", "a", "b"};
    ck_assert_int_eq(cmd_apply_argv(a, 4, push, NULL), CMD_APPLIED);
    const char *b1[] = {"BLPOP", "none", "0"};
    const char *b2[] = {"BLMOVE", "none", "l", "LEFT", "LEFT", "0"};
    const char *b3[] = {"BLMPOP", "0", "1", "none", "LEFT"};
    const char *b4[] = {"BRPOPLPUSH", "none", "l", "0"};
    ck_assert_int_eq(cmd_apply_argv(a, 3, b1, NULL), CMD_APPLIED);
    ck_assert_int_eq(cmd_apply_argv(a, 6, b2, NULL), CMD_APPLIED);
    ck_assert_int_eq(cmd_apply_argv(a, 5, b3, NULL), CMD_APPLIED);
    ck_assert_int_eq(cmd_apply_argv(a, 4, b4, NULL), CMD_APPLIED);
    /* a bad timeout is still refused */
    const char *bad[] = {"BLPOP", "none", "soon"};
    ck_assert_int_eq(cmd_apply_argv(a, 3, bad, NULL), CMD_FAILED);
    ck_assert_str_eq(cmd_applier_reply_error(a),
                     "ERR timeout is not a float or out of range");
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    keyspace_reader *r = keyspace_reader_open(ks);
    keyspace_read_begin(r);
    ck_assert_uint_eq(keyspace_dbsize(r, 0), 1);
    const value *v = keyspace_get(r, 0, "l", 1);
    ck_assert_ptr_nonnull(v);
    const plist *l = value_as_list(v);
    ck_assert_uint_eq(plist_len(l), 2);
    ck_assert(velem_eq(plist_get(l, 0), "a", 1));
    ck_assert(velem_eq(plist_get(l, 1), "b", 1));
    keyspace_read_end(r);
    keyspace_reader_close(r);
    cmd_applier_destroy(a);
    keyspace_destroy(ks);
}
END_TEST

/* ---- seeded random sequences -------------------------------------------------------- */

static const char *const items[] = {"a", "b", "c", "1", "2", "-3", "10",
                                    "long-item-xxxxxxxxxxxxxxxxxxxxxxxxxx"};
#define NITEMS (sizeof items / sizeof items[0])
static const char *const sides[] = {"LEFT", "RIGHT"};

static void random_list_command(oracle *o, bool blocking)
{
    char k1[8], k2[8], n1[24], n2[24];
    snprintf(k1, sizeof k1, "l%u", below(4));
    snprintf(k2, sizeof k2, "l%u", below(4));
    snprintf(n1, sizeof n1, "%d", (int)below(14) - 7);
    snprintf(n2, sizeof n2, "%d", (int)below(14) - 7);
    const char *i1 = items[below(NITEMS)], *i2 = items[below(NITEMS)];
    switch (below(blocking ? 16 : 14)) {
    case 0: C(o, "LPUSH", k1, i1, i2); break;
    case 1: C(o, "RPUSH", k1, i1, i2, i1); break;
    case 2: C(o, below(2) ? "LPUSHX" : "RPUSHX", k1, i1); break;
    case 3: C(o, "LINSERT", k1, below(2) ? "BEFORE" : "AFTER", i1, i2); break;
    case 4: C(o, "LSET", k1, n1, i2); break;
    case 5: C(o, "LREM", k1, n1, i1); break;
    case 6: C(o, "LTRIM", k1, n1, n2); break;
    case 7: C(o, below(2) ? "LPOP" : "RPOP", k1); break;
    case 8:
        snprintf(n1, sizeof n1, "%u", below(5));
        C(o, below(2) ? "LPOP" : "RPOP", k1, n1);
        break;
    case 9: C(o, "RPOPLPUSH", k1, k2); break;
    case 10:
        C(o, "LMOVE", k1, k2, sides[below(2)], sides[below(2)]);
        break;
    case 11:
        snprintf(n1, sizeof n1, "%u", 1 + below(4));
        C(o, "LMPOP", "2", k1, k2, sides[below(2)], "COUNT", n1);
        break;
    case 12:
    case 13: C(o, "RPUSH", k1, i1, i2, i1, i2); break;
    case 14: /* blocking: only with data there, or Redis would block */
        C(o, "RPUSH", k1, i1);
        C(o, below(2) ? "BLPOP" : "BRPOP", k1, k2, "0");
        break;
    default:
        C(o, "RPUSH", k1, i1);
        C(o, "BLMOVE", k1, k2, sides[below(2)], sides[below(2)], "0");
        break;
    }
}

static void random_run(const char *variant, unsigned flags, uint64_t seed,
                       long steps)
{
    oracle *o = oracle_start(variant, flags);
    rng = seed;
    for (long i = 0; i < steps; i++) {
        random_list_command(o, true);
        if (i % 200 == 199)
            oracle_check(o);
    }
    oracle_check(o);
    oracle_stop(o);
}

START_TEST(random_direct)
{
    random_run("cow", ORACLE_DIRECT, 0x1157ull + (uint64_t)_i,
               test_scale(1500, 100));
}
END_TEST

START_TEST(random_aof)
{
    random_run(_i ? "striped" : "ptrie", ORACLE_AOF, 0xA0F1ull + (uint64_t)_i,
               test_scale(600, 60));
}
END_TEST

/* ---- out of memory ------------------------------------------------------------------- */

static void oom_setup(cmd_applier *a)
{
    apply_many(a, "RPUSH", "a", "item", 100, 0);
    apply_many(a, "RPUSH", "b", "x", 3, 0);
}

/* Every allocation a list command makes, failed in turn, leaves the
 * keyspace as it was (the applier drops the batch). */
START_TEST(out_of_memory_changes_nothing)
{
    static const char *const cmds[][8] = {
        {"LMOVE", "a", "b", "LEFT", "RIGHT", NULL},
        {"RPOPLPUSH", "b", "new", NULL},
        {"LMOVE", "b", "b", "LEFT", "RIGHT", NULL},
        {"LTRIM", "a", "10", "-10", NULL},
        {"LINSERT", "a", "BEFORE", "item50", "z", NULL},
        {"LREM", "a", "0", "item7", NULL},
        {"LSET", "a", "70", "z", NULL},
        {"LMPOP", "2", "none", "a", "RIGHT", "COUNT", "70", NULL},
        {"LPOP", "b", "3", NULL},
        {"LPUSH", "new", "p", "q", NULL},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        ck_assert_uint_gt(oom_walk(oom_setup, cmds[i]), 0);
}
END_TEST

Suite *ch09_lists_suite(void)
{
    Suite *s = suite_create("ch09_lists");
    TCase *tc = test_tcase("lists", 120);
    tcase_add_checked_fixture(tc, NULL, oracle_teardown);
    tcase_add_test(tc, scripted_direct);
    tcase_add_test(tc, scripted_aof);
    tcase_add_test(tc, blocking_without_data_changes_nothing);
    tcase_add_test(tc, out_of_memory_changes_nothing);
    tcase_add_loop_test(tc, random_direct, 0, 2);
    tcase_add_loop_test(tc, random_aof, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
