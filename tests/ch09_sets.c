/* ch09_sets.c - chapter 9: the set commands against a real redis-server.
 *
 * SADD, SREM, SMOVE, SPOP and the three *STORE commands through the
 * oracle (tests/util/oracle.h).  DIRECT mode compares every command's
 * success or exact error with redis-server 7.0.15's; AOF mode applies
 * what Redis appended, where SPOP has become SREM of the members Redis
 * chose (or DEL when it took them all).  SPOP's client form chooses at
 * random, so in DIRECT mode it is sent only where any choice gives the
 * same set (a count that takes every member); its random choices are
 * checked on their own: the members popped are members, distinct, and
 * exactly count of them.  Sets cross Redis's intset limit (512 integers)
 * and pset's flat limits (128 members, 64 bytes a member).
 */
#include "alloc.h"
#include "cmd.h"
#include "cmd_oom.h"
#include "keyspace_rdb.h"
#include "oracle.h"
#include "test_util.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
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

/* SPOP key count.  Redis propagates a count that takes the whole set as
 * DEL, which is the keys family's command (cmd_keys.c): where the applier
 * has no DEL, an AOF test asks Redis for the size first and keeps the
 * count below it, so that SREMs are propagated instead.  (DIRECT mode
 * sends it as it is: the applier pops the whole set itself.) */
static void spop(oracle *o, const char *key, const char *count)
{
    char n[24];
    if (o->flags == ORACLE_AOF && cmd_lookup("del", 3) == NULL) {
        C(o, "SCARD", key);
        long long card = atoll(oracle_last_reply(o));
        if (atoll(count) >= card) {
            snprintf(n, sizeof n, "%lld", card > 0 ? card - 1 : 0);
            count = n;
        }
    }
    C(o, "SPOP", key, count);
}

/* Everything but SPOP with a count below the size (random). */
static void script_sets(oracle *o)
{
    C(o, "RPUSH", "lst", "x"); /* the wrong type */
    C(o, "SADD", "s", "a", "b", "c", "a");
    C(o, "SADD", "ints", "1", "2", "3", "-5", "007", "-0");
    E(o, "SADD", "lst", "x");
    E(o, "SADD", "s");
    C(o, "SREM", "s", "a", "zz");
    C(o, "SREM", "s", "zz");
    C(o, "SREM", "nos", "a");
    E(o, "SREM", "lst", "x");
    C(o, "SADD", "one", "x");
    C(o, "SREM", "one", "x"); /* emptied: deleted */
    /* SMOVE */
    C(o, "SMOVE", "s", "d", "b");
    C(o, "SMOVE", "s", "d", "nomember");
    C(o, "SMOVE", "s", "s", "c");
    C(o, "SMOVE", "nos", "lst", "x"); /* no source: 0 before type checks */
    E(o, "SMOVE", "s", "lst", "c");
    E(o, "SMOVE", "lst", "s", "x");
    C(o, "SADD", "d", "c");
    C(o, "SMOVE", "s", "d", "c"); /* already in d; s emptied, deleted */
    C(o, "SMOVE", "ints", "d", "2");
    /* SPOP where every choice gives the same set */
    C(o, "SADD", "p", "a", "b", "c");
    spop(o, "p", "0");
    spop(o, "p", "3"); /* all: deleted */
    C(o, "SADD", "p", "a", "b");
    spop(o, "p", "100");
    C(o, "SADD", "p", "a");
    C(o, "SPOP", "p");
    C(o, "SPOP", "nos");
    spop(o, "nos", "2");
    E(o, "SPOP", "p", "-1");
    E(o, "SPOP", "p", "x");
    E(o, "SPOP", "p", "1", "2");
    E(o, "SPOP", "lst");
    E(o, "SPOP", "lst", "-1");
    E(o, "SPOP", "lst", "1");
    /* *STORE */
    C(o, "SADD", "x1", "a", "b", "c", "d", "1", "2");
    C(o, "SADD", "x2", "c", "d", "e", "2", "3");
    C(o, "SADD", "x3", "d", "2", "9");
    C(o, "SINTERSTORE", "i", "x1", "x2", "x3");
    C(o, "SUNIONSTORE", "u", "x1", "x2", "x3", "nos");
    C(o, "SDIFFSTORE", "df", "x1", "x2", "nos");
    C(o, "SDIFFSTORE", "df2", "x1", "x1");       /* empty: not created */
    C(o, "SINTERSTORE", "i", "x1", "nos");      /* empty: i deleted */
    C(o, "SDIFFSTORE", "u", "nos", "x1");       /* empty: u deleted */
    C(o, "SUNIONSTORE", "u", "nos");
    C(o, "SUNIONSTORE", "x1", "x1", "x2");      /* destination is a source */
    C(o, "SINTERSTORE", "x2", "x2", "x3");
    C(o, "SUNIONSTORE", "lst2", "x3");
    E(o, "RPUSH", "lst2", "y");                 /* lst2 is a set now */
    C(o, "RPUSH", "dest-list", "y");
    C(o, "SUNIONSTORE", "dest-list", "x3");     /* overwrites another type */
    C(o, "SINTERSTORE", "ints-only", "ints", "ints");
    E(o, "SINTERSTORE", "i", "x1", "lst");
    E(o, "SINTERSTORE", "i", "nos", "lst"); /* every source's type checked */
    E(o, "SUNIONSTORE", "i", "lst", "x1");
    E(o, "SDIFFSTORE", "i", "x1", "lst");
    E(o, "SINTERSTORE", "i");
}

/* intset at most 512 integers, flat pset at most 128 members and 64-byte
 * members; growing past and shrinking back. */
static void script_boundaries(oracle *o)
{
    char m[80];
    for (int n = 0; n < 520; n++) {
        snprintf(m, sizeof m, "%d", n * 7 - 1000);
        C(o, "SADD", "is", m);
    }
    C(o, "SADD", "is", "not-an-int");
    C(o, "SREM", "is", "not-an-int");
    for (int n = 0; n < 140; n++) {
        snprintf(m, sizeof m, "m%d", n);
        C(o, "SADD", "lp", m);
        if (n == 127 || n == 128)
            C(o, "SREM", "lp", "m0");
    }
    for (int n = 0; n < 100; n++) {
        snprintf(m, sizeof m, "m%d", n);
        C(o, "SREM", "lp", m);
    }
    memset(m, 'w', 65);
    m[65] = '\0';
    C(o, "SADD", "wide", "a", m);
    m[64] = '\0';
    C(o, "SADD", "wide2", "a", m);
    C(o, "SUNIONSTORE", "all", "is", "lp", "wide", "wide2");
    C(o, "SINTERSTORE", "some", "all", "is");
    C(o, "SDIFFSTORE", "rest", "all", "is", "wide");
    C(o, "SMOVE", "all", "is", "a");
    spop(o, "wide", "2");
}

START_TEST(scripted_direct)
{
    oracle *o = oracle_start("cow", ORACLE_DIRECT);
    script_sets(o);
    oracle_check(o);
    script_boundaries(o);
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

START_TEST(scripted_aof_with_random_spop)
{
    oracle *o = oracle_start("hamt", ORACLE_AOF);
    script_sets(o);
    oracle_check(o);
    script_boundaries(o);
    /* random choices: Redis propagates SREM for each, DEL for all */
    C(o, "SPOP", "all");
    spop(o, "all", "5");
    spop(o, "all", "300");
    spop(o, "rest", "1");
    spop(o, "some", "100000");
    oracle_check(o);
    oracle_stop(o);
}
END_TEST

/* SPOP's client form in the applier alone: count distinct members leave,
 * the rest stay. */
START_TEST(spop_client_form_chooses_members)
{
    keyspace *ks = keyspace_create(store_variant("ptrie"), 16);
    ck_assert_ptr_nonnull(ks);
    cmd_applier *a = cmd_applier_create(ks, NULL);
    ck_assert_ptr_nonnull(a);
    char m[16];
    for (int n = 0; n < 300; n++) {
        snprintf(m, sizeof m, "%d", n);
        const char *add[] = {"SADD", "s", m};
        ck_assert_int_eq(cmd_apply_argv(a, 3, add, NULL), CMD_APPLIED);
    }
    const char *p1[] = {"SPOP", "s"};
    const char *p2[] = {"SPOP", "s", "99"};
    const char *p3[] = {"SPOP", "s", "150"};
    ck_assert_int_eq(cmd_apply_argv(a, 2, p1, NULL), CMD_APPLIED);
    ck_assert_int_eq(cmd_apply_argv(a, 3, p2, NULL), CMD_APPLIED);
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    ck_assert_int_eq(cmd_apply_argv(a, 3, p3, NULL), CMD_APPLIED);
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    keyspace_reader *r = keyspace_reader_open(ks);
    keyspace_read_begin(r);
    const value *v = keyspace_get(r, 0, "s", 1);
    ck_assert_ptr_nonnull(v);
    const pset *s = value_as_set(v);
    ck_assert_uint_eq(pset_len(s), 50);
    char err[200];
    ck_assert_msg(pset_check(s, err, sizeof err) == 0, "%s", err);
    size_t left = 0;
    for (int n = 0; n < 300; n++) {
        snprintf(m, sizeof m, "%d", n);
        left += pset_has(s, m, strlen(m));
    }
    ck_assert_uint_eq(left, 50);
    keyspace_read_end(r);
    keyspace_reader_close(r);
    cmd_applier_destroy(a);
    keyspace_destroy(ks);
}
END_TEST

static const char *const members[] = {"a", "b", "c", "d", "1", "2", "3",
                                      "-7", "100", "member-long-xxxxxxxx"};
#define NMEM (sizeof members / sizeof members[0])

static void random_set_command(oracle *o, bool random_spop)
{
    char k1[8], k2[8], k3[8], n1[16];
    snprintf(k1, sizeof k1, "s%u", below(4));
    snprintf(k2, sizeof k2, "s%u", below(4));
    snprintf(k3, sizeof k3, "s%u", below(4));
    const char *m1 = members[below(NMEM)], *m2 = members[below(NMEM)];
    switch (below(random_spop ? 10 : 8)) {
    case 0:
    case 1: C(o, "SADD", k1, m1, m2, members[below(NMEM)]); break;
    case 2: C(o, "SREM", k1, m1, m2); break;
    case 3: C(o, "SMOVE", k1, k2, m1); break;
    case 4: C(o, "SINTERSTORE", k1, k2, k3); break;
    case 5: C(o, "SUNIONSTORE", k1, k2, k3); break;
    case 6: C(o, "SDIFFSTORE", k1, k2, k3); break;
    case 7: spop(o, k1, "1000"); break; /* all of it: DEL */
    case 8: C(o, "SPOP", k1); break;
    default:
        snprintf(n1, sizeof n1, "%u", below(6));
        spop(o, k1, n1);
        break;
    }
}

static void random_run(const char *variant, unsigned flags, uint64_t seed,
                       long steps)
{
    oracle *o = oracle_start(variant, flags);
    rng = seed;
    for (long i = 0; i < steps; i++) {
        random_set_command(o, flags == ORACLE_AOF);
        if (i % 200 == 199)
            oracle_check(o);
    }
    oracle_check(o);
    oracle_stop(o);
}

START_TEST(random_direct)
{
    random_run("cow", ORACLE_DIRECT, 0x5E75ull + (uint64_t)_i,
               test_scale(1500, 100));
}
END_TEST

START_TEST(random_aof)
{
    random_run(_i ? "rwlock" : "ptrie", ORACLE_AOF, 0x5A0Full + (uint64_t)_i,
               test_scale(600, 60));
}
END_TEST

/* ---- out of memory ------------------------------------------------------------------- */

static void oom_setup(cmd_applier *a)
{
    apply_many(a, "SADD", "s1", "m", 200, 0);
    apply_many(a, "SADD", "s2", "m", 50, 0);
    apply_many(a, "SADD", "i", "", 20, 0);
}

/* Every allocation a set command makes, failed in turn, leaves the
 * keyspace as it was (the applier drops the batch). */
START_TEST(out_of_memory_changes_nothing)
{
    static const char *const cmds[][8] = {
        {"SINTERSTORE", "d", "s1", "s2", NULL},
        {"SUNIONSTORE", "s2", "s1", "s2", "i", NULL},
        {"SDIFFSTORE", "d", "s1", "s2", NULL},
        {"SMOVE", "s1", "new", "m5", NULL},
        {"SMOVE", "i", "s2", "3", NULL},
        {"SPOP", "s1", "5", NULL},
        {"SPOP", "i", NULL},
        {"SREM", "s1", "m1", "m2", NULL},
        {"SADD", "new", "a", "1", NULL},
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        ck_assert_uint_gt(oom_walk(oom_setup, cmds[i]), 0);
}
END_TEST

Suite *ch09_sets_suite(void)
{
    Suite *s = suite_create("ch09_sets");
    TCase *tc = test_tcase("sets", 120);
    tcase_add_checked_fixture(tc, NULL, oracle_teardown);
    tcase_add_test(tc, scripted_direct);
    tcase_add_test(tc, scripted_aof_with_random_spop);
    tcase_add_test(tc, spop_client_form_chooses_members);
    tcase_add_test(tc, out_of_memory_changes_nothing);
    tcase_add_loop_test(tc, random_direct, 0, 2);
    tcase_add_loop_test(tc, random_aof, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
