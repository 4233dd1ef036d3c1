/* ch11_zset.c - chapter 11: the sorted-set read commands against redis-server 7.0.
 *
 * Every reply is compared with a real redis-server's, RESP2 and RESP3,
 * byte for byte (read_oracle.h), on the "hamt" and "ptrie" stores, over
 * small (listpack) and big (skiplist, more than 128 members) sets, ties
 * ordered by member, infinite scores, binary and empty members.
 * ZRANDMEMBER and big ZSCANs, whose replies are random or in Redis's hash
 * order, are checked by their properties and their shape.
 */
#include "read_oom.h"
#include "read_oracle.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const variants[] = {"hamt", "ptrie"};

#define SAME(...) read_oracle_expect(ro, READ_SAME, __VA_ARGS__, NULL)

/* The data every test reads: both sides get the same commands. */
static read_oracle *start(int i)
{
    read_oracle *ro = read_oracle_start(variants[i]);
    oracle *o = read_oracle_writer(ro);
    oracle_cmd(o, "ZADD", "zs", "1", "a", "2", "b", "2", "c", "3", "d",
               "-inf", "ninf", "inf", "pinf", "0", "z", "2.5", "", "-0",
               "negzero", "0.1", "tenth", NULL);
    const char *bin[] = {"ZADD", "zs", "1.5", "b\0in"};
    const size_t binlen[] = {4, 2, 3, 4};
    oracle_cmdv(o, 4, bin, binlen);
    oracle_cmd(o, "ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0",
               "e", "0", "f", "0", "aa", "0", "", NULL);
    oracle_cmd(o, "ZADD", "z2", "10", "a", "20", "x", "5", "b", "inf", "d",
               NULL);
    oracle_cmd(o, "ZADD", "z3", "1", "a", "1", "x", "-inf", "d", NULL);
    oracle_cmd(o, "SADD", "s", "a", "b", "q", NULL);
    oracle_cmd(o, "SET", "str", "v", NULL);
    oracle_cmd(o, "HSET", "h", "f", "v", NULL);
    /* Big sets: skiplist in Redis, the tree form here. */
    for (int k = 0; k < 300; k++) {
        char score[32], member[32];
        snprintf(score, sizeof score, "%d.%d", (k * 7) % 50, k % 3);
        snprintf(member, sizeof member, "m%03d", k);
        oracle_cmd(o, "ZADD", "big", score, member, NULL);
        snprintf(member, sizeof member, "k%03d", k);
        oracle_cmd(o, "ZADD", "biglex", "0", member, NULL);
    }
    oracle_cmd(o, "ZADD", "big", "-0", "negzero", "inf", "top", "-inf",
               "bottom", NULL);
    return ro;
}

START_TEST(ranges_by_rank)
{
    read_oracle *ro = start(_i);
    static const char *const keys[] = {"zs", "big", "missing"};
    for (size_t k = 0; k < 3; k++) {
        const char *key = keys[k];
        SAME("ZRANGE", key, "0", "-1");
        SAME("ZRANGE", key, "0", "-1", "WITHSCORES");
        SAME("ZRANGE", key, "0", "-1", "withscores", "REV");
        SAME("ZRANGE", key, "2", "5");
        SAME("ZRANGE", key, "-3", "-1", "WITHSCORES");
        SAME("ZRANGE", key, "-1000", "1");
        SAME("ZRANGE", key, "5", "2");
        SAME("ZRANGE", key, "1000", "2000");
        SAME("ZRANGE", key, "0", "1000000", "REV");
        SAME("ZRANGE", key, "-2", "-1", "REV", "WITHSCORES");
        SAME("ZREVRANGE", key, "0", "3");
        SAME("ZREVRANGE", key, "0", "-1", "WITHSCORES");
        SAME("ZREVRANGE", key, "-5", "-2");
        SAME("ZRANGE", key, "100", "200", "WITHSCORES");
    }
    /* Errors, in Redis's order: options, then the numbers, then the type. */
    SAME("ZRANGE", "zs", "a", "1");
    SAME("ZRANGE", "zs", "0", "1.5");
    SAME("ZRANGE", "str", "0", "1");
    SAME("ZRANGE", "str", "x", "1");
    SAME("ZRANGE", "zs", "0", "1", "LIMIT", "0", "1");
    SAME("ZRANGE", "zs", "0", "1", "BOGUS");
    SAME("ZRANGE", "zs", "0", "1", "REV", "REV");
    SAME("ZRANGE", "zs", "0", "1", "LIMIT", "0");
    SAME("ZRANGE", "zs", "0");
    SAME("ZREVRANGE", "zs", "0", "1", "REV");
    SAME("ZREVRANGE", "zs", "0", "1", "BYSCORE");
    SAME("ZREVRANGE", "zs", "0", "1", "LIMIT", "0", "1");
    SAME("ZRANGE", "zs", "0", "99999999999999999999");
    read_oracle_stop(ro);
}
END_TEST

START_TEST(ranges_by_score)
{
    read_oracle *ro = start(_i);
    static const char *const keys[] = {"zs", "big", "missing"};
    for (size_t k = 0; k < 3; k++) {
        const char *key = keys[k];
        SAME("ZRANGE", key, "-inf", "+inf", "BYSCORE");
        SAME("ZRANGE", key, "-inf", "inf", "BYSCORE", "WITHSCORES");
        SAME("ZRANGE", key, "(1", "3", "BYSCORE", "WITHSCORES");
        SAME("ZRANGE", key, "1", "(3", "BYSCORE");
        SAME("ZRANGE", key, "(2", "(2", "BYSCORE");
        SAME("ZRANGE", key, "2", "2", "BYSCORE");
        SAME("ZRANGE", key, "5", "1", "BYSCORE");
        SAME("ZRANGE", key, "+inf", "-inf", "BYSCORE", "REV", "WITHSCORES");
        SAME("ZRANGE", key, "(3", "1", "BYSCORE", "REV");
        SAME("ZRANGE", key, "-inf", "inf", "BYSCORE", "LIMIT", "2", "3");
        SAME("ZRANGE", key, "-inf", "inf", "BYSCORE", "LIMIT", "2", "-1",
             "WITHSCORES");
        SAME("ZRANGE", key, "-inf", "inf", "BYSCORE", "LIMIT", "-1", "3");
        SAME("ZRANGE", key, "-inf", "inf", "BYSCORE", "LIMIT", "0", "0");
        SAME("ZRANGE", key, "-inf", "inf", "BYSCORE", "LIMIT", "1000", "1");
        SAME("ZRANGE", key, "inf", "-inf", "BYSCORE", "REV", "LIMIT", "1",
             "4", "WITHSCORES");
        SAME("ZRANGEBYSCORE", key, "-inf", "+inf");
        SAME("ZRANGEBYSCORE", key, "0", "2", "WITHSCORES");
        SAME("ZRANGEBYSCORE", key, "(0", "(10", "LIMIT", "1", "5");
        SAME("ZRANGEBYSCORE", key, "-0", "0", "WITHSCORES");
        SAME("ZRANGEBYSCORE", key, "inf", "inf", "WITHSCORES");
        SAME("ZREVRANGEBYSCORE", key, "+inf", "-inf");
        SAME("ZREVRANGEBYSCORE", key, "3", "(1", "WITHSCORES");
        SAME("ZREVRANGEBYSCORE", key, "10", "0", "WITHSCORES", "LIMIT", "3",
             "4");
        SAME("ZCOUNT", key, "-inf", "+inf");
        SAME("ZCOUNT", key, "(1", "3");
        SAME("ZCOUNT", key, "2", "(2");
        SAME("ZCOUNT", key, "10", "20");
    }
    SAME("ZRANGE", "zs", "a", "1", "BYSCORE");
    SAME("ZRANGE", "zs", "1", "(x", "BYSCORE");
    SAME("ZRANGE", "zs", "nan", "1", "BYSCORE");
    SAME("ZRANGE", "str", "0", "1", "BYSCORE");
    SAME("ZRANGE", "str", "x", "1", "BYSCORE");
    SAME("ZRANGE", "zs", "0", "1", "BYSCORE", "LIMIT", "x", "1");
    SAME("ZRANGE", "zs", "0", "1", "BYSCORE", "BYLEX");
    SAME("ZRANGEBYSCORE", "zs", "0", "1", "REV");
    SAME("ZRANGEBYSCORE", "zs", "0", "1", "BYSCORE");
    SAME("ZRANGEBYSCORE", "zs", "0", "1", "LIMIT", "1");
    SAME("ZCOUNT", "zs", "x", "1");
    SAME("ZCOUNT", "str", "x", "1");
    SAME("ZCOUNT", "str", "0", "1");
    SAME("ZCOUNT", "zs", "0");
    read_oracle_stop(ro);
}
END_TEST

START_TEST(ranges_by_lex)
{
    read_oracle *ro = start(_i);
    static const char *const keys[] = {"lex", "biglex", "missing"};
    for (size_t k = 0; k < 3; k++) {
        const char *key = keys[k];
        SAME("ZRANGE", key, "-", "+", "BYLEX");
        SAME("ZRANGE", key, "[a", "(c", "BYLEX");
        SAME("ZRANGE", key, "(a", "[k100", "BYLEX");
        SAME("ZRANGE", key, "[", "[b", "BYLEX");
        SAME("ZRANGE", key, "(", "+", "BYLEX", "LIMIT", "1", "2");
        SAME("ZRANGE", key, "+", "-", "BYLEX");
        SAME("ZRANGE", key, "+", "-", "BYLEX", "REV");
        SAME("ZRANGE", key, "[k200", "(k1", "BYLEX", "REV", "LIMIT", "2",
             "5");
        SAME("ZRANGE", key, "-", "+", "BYLEX", "LIMIT", "-1", "5");
        SAME("ZRANGE", key, "-", "+", "BYLEX", "LIMIT", "3", "-5");
        SAME("ZRANGEBYLEX", key, "-", "[c");
        SAME("ZRANGEBYLEX", key, "[aa", "[aa");
        SAME("ZRANGEBYLEX", key, "(aa", "(aa");
        SAME("ZRANGEBYLEX", key, "[k050", "+", "LIMIT", "0", "10");
        SAME("ZREVRANGEBYLEX", key, "+", "-");
        SAME("ZREVRANGEBYLEX", key, "(e", "[aa", "LIMIT", "1", "2");
        SAME("ZLEXCOUNT", key, "-", "+");
        SAME("ZLEXCOUNT", key, "[b", "(e");
        SAME("ZLEXCOUNT", key, "(k010", "[k020");
        SAME("ZLEXCOUNT", key, "+", "-");
    }
    SAME("ZRANGE", "lex", "a", "+", "BYLEX");
    SAME("ZRANGE", "lex", "-", "c", "BYLEX");
    SAME("ZRANGE", "lex", "--", "+", "BYLEX");
    SAME("ZRANGE", "lex", "-", "+", "BYLEX", "WITHSCORES");
    SAME("ZRANGEBYLEX", "lex", "-", "+", "WITHSCORES");
    SAME("ZRANGEBYLEX", "str", "-", "+");
    SAME("ZRANGEBYLEX", "str", "x", "+");
    SAME("ZREVRANGEBYLEX", "lex", "-", "+", "BYLEX");
    SAME("ZLEXCOUNT", "lex", "a", "+");
    SAME("ZLEXCOUNT", "str", "-", "+");
    SAME("ZLEXCOUNT", "str", "x", "+");
    read_oracle_stop(ro);
}
END_TEST

/* Lex ranges over sets whose scores differ: Redis walks in score order
 * from the first member inside the near bound (zzlFirstInLexRange(),
 * zslFirstInLexRange()), skips LIMIT's offset members whatever they are,
 * and ZLEXCOUNT subtracts ranks on a skiplist.  The big set is two
 * ascending runs (m100..m199, then m000..m099) and its ranges are chosen
 * so that a skiplist's descent, whose path depends on random node levels,
 * can find only one member. */
START_TEST(ranges_by_lex_mixed_scores)
{
    read_oracle *ro = start(_i);
    oracle *o = read_oracle_writer(ro);
    oracle_cmd(o, "ZADD", "mix", "1", "d", "2", "a", "3", "f", "4", "b", "5",
               "e", "6", "c", NULL);
    for (int k = 0; k < 200; k++) {
        char score[16], member[16];
        snprintf(score, sizeof score, "%d", (k + 100) % 200);
        snprintf(member, sizeof member, "m%03d", k);
        oracle_cmd(o, "ZADD", "bigmix", score, member, NULL);
    }
    static const char *const small[][2] = {
        {"[a", "[e"}, {"[b", "[d"}, {"(a", "(f"}, {"-", "[c"}, {"[c", "+"},
        {"[e", "[b"}, {"-", "+"}, {"(d", "[f"}, {"[b", "[c"}, {"[a", "(a"}};
    char off[8];
    for (size_t k = 0; k < sizeof small / sizeof small[0]; k++) {
        const char *mn = small[k][0], *mx = small[k][1];
        SAME("ZRANGEBYLEX", "mix", mn, mx);
        SAME("ZREVRANGEBYLEX", "mix", mx, mn);
        SAME("ZLEXCOUNT", "mix", mn, mx);
        for (int f = 0; f < 5; f++) {
            snprintf(off, sizeof off, "%d", f);
            SAME("ZRANGE", "mix", mn, mx, "BYLEX", "LIMIT", off, "2");
            SAME("ZRANGE", "mix", mx, mn, "BYLEX", "REV", "LIMIT", off, "-1");
        }
    }
    /* forward: min at or below m000, or inside the first run only */
    static const char *const fwd[][2] = {
        {"-", "[m150"}, {"(m", "(m120"}, {"[m150", "+"}, {"(m120", "[m180"},
        {"[m100", "[m050"}, {"-", "[m050"}, {"[m150", "[m110"}};
    for (size_t k = 0; k < sizeof fwd / sizeof fwd[0]; k++) {
        const char *mn = fwd[k][0], *mx = fwd[k][1];
        SAME("ZRANGEBYLEX", "bigmix", mn, mx);
        SAME("ZRANGEBYLEX", "bigmix", mn, mx, "LIMIT", "60", "10");
        SAME("ZRANGE", "bigmix", mn, mx, "BYLEX", "LIMIT", "20", "5");
    }
    /* reverse: max at or above m199, or below m099 */
    static const char *const rev[][2] = {
        {"[m150", "+"}, {"-", "[m199"}, {"[m020", "(n"}, {"-", "[m050"},
        {"(m010", "(m090"}};
    for (size_t k = 0; k < sizeof rev / sizeof rev[0]; k++) {
        const char *mn = rev[k][0], *mx = rev[k][1];
        SAME("ZREVRANGEBYLEX", "bigmix", mx, mn);
        SAME("ZREVRANGEBYLEX", "bigmix", mx, mn, "LIMIT", "120", "10");
        SAME("ZRANGE", "bigmix", mx, mn, "BYLEX", "REV", "LIMIT", "3", "4");
    }
    /* ZLEXCOUNT needs both walks to be unambiguous */
    static const char *const cnt[][2] = {
        {"[m150", "+"}, {"-", "[m050"}, {"(m120", "[m199"}, {"-", "+"},
        {"[m020", "(m090"}};
    for (size_t k = 0; k < sizeof cnt / sizeof cnt[0]; k++)
        SAME("ZLEXCOUNT", "bigmix", cnt[k][0], cnt[k][1]);
    /* a set that outgrew the listpack and shrank is still a skiplist */
    oracle_cmd(o, "ZREMRANGEBYRANK", "bigmix", "10", "-1", NULL);
    SAME("OBJECT", "ENCODING", "bigmix");
    SAME("OBJECT", "ENCODING", "mix");
    SAME("ZLEXCOUNT", "bigmix", "[m105", "+");
    SAME("ZRANGEBYLEX", "bigmix", "[m105", "+", "LIMIT", "2", "3");
    read_oracle_stop(ro);
}
END_TEST

START_TEST(lookups)
{
    read_oracle *ro = start(_i);
    static const char *const keys[] = {"zs", "big", "missing", "str"};
    for (size_t k = 0; k < 4; k++) {
        const char *key = keys[k];
        SAME("ZSCORE", key, "a");
        SAME("ZSCORE", key, "ninf");
        SAME("ZSCORE", key, "pinf");
        SAME("ZSCORE", key, "negzero");
        SAME("ZSCORE", key, "tenth");
        SAME("ZSCORE", key, "m150");
        SAME("ZSCORE", key, "nope");
        SAME("ZSCORE", key, "");
        SAME("ZMSCORE", key, "a", "nope", "tenth", "m007", "top", "");
        SAME("ZCARD", key);
        SAME("ZRANK", key, "a");
        SAME("ZRANK", key, "m123");
        SAME("ZRANK", key, "nope");
        SAME("ZRANK", key, "top");
        SAME("ZREVRANK", key, "a");
        SAME("ZREVRANK", key, "m299");
        SAME("ZREVRANK", key, "bottom");
        SAME("ZREVRANK", key, "nope");
    }
    const char *bin[] = {"ZSCORE", "zs", "b\0in"};
    const size_t binlen[] = {6, 2, 4};
    read_oracle_expectv(ro, READ_SAME, 3, bin, binlen);
    bin[0] = "ZRANK";
    const size_t rlen[] = {5, 2, 4};
    read_oracle_expectv(ro, READ_SAME, 3, bin, rlen);
    SAME("ZSCORE", "zs");
    SAME("ZSCORE", "zs", "a", "b");
    SAME("ZMSCORE", "zs");
    SAME("ZCARD", "zs", "x");
    SAME("ZRANK", "zs", "a", "WITHSCORE"); /* 7.0: no WITHSCORE */
    SAME("ZREVRANK", "zs");
    SAME("ZMSCORE", "h", "f");
    read_oracle_stop(ro);
}
END_TEST

START_TEST(unions_intersections_differences)
{
    read_oracle *ro = start(_i);
    SAME("ZUNION", "2", "zs", "z2");
    SAME("ZUNION", "2", "zs", "z2", "WITHSCORES");
    SAME("ZUNION", "3", "zs", "z2", "s", "WITHSCORES");
    SAME("ZUNION", "2", "zs", "z2", "WEIGHTS", "2", "0.5", "WITHSCORES");
    SAME("ZUNION", "2", "zs", "z2", "WEIGHTS", "0", "1", "WITHSCORES");
    SAME("ZUNION", "2", "zs", "z2", "AGGREGATE", "MIN", "WITHSCORES");
    SAME("ZUNION", "2", "zs", "z2", "AGGREGATE", "max", "withscores");
    SAME("ZUNION", "2", "z2", "z3", "WITHSCORES");
    SAME("ZUNION", "2", "big", "zs", "WITHSCORES");
    SAME("ZUNION", "1", "big", "WITHSCORES");
    SAME("ZUNION", "2", "missing", "nope");
    SAME("ZUNION", "1", "s", "WITHSCORES");
    SAME("ZUNION", "2", "zs", "zs", "WITHSCORES", "WEIGHTS", "1", "-1");
    SAME("ZINTER", "2", "zs", "z2", "WITHSCORES");
    SAME("ZINTER", "2", "zs", "z2");
    SAME("ZINTER", "3", "zs", "z2", "s", "WITHSCORES");
    SAME("ZINTER", "2", "zs", "z2", "WEIGHTS", "-1", "2", "AGGREGATE",
         "SUM", "WITHSCORES");
    SAME("ZINTER", "2", "z2", "z3", "AGGREGATE", "MIN", "WITHSCORES");
    SAME("ZINTER", "2", "z2", "z3", "WEIGHTS", "0", "1", "WITHSCORES");
    SAME("ZINTER", "2", "big", "big", "WITHSCORES");
    SAME("ZINTER", "2", "zs", "missing", "WITHSCORES");
    SAME("ZDIFF", "2", "zs", "z2", "WITHSCORES");
    SAME("ZDIFF", "1", "zs");
    SAME("ZDIFF", "3", "big", "zs", "z2");
    SAME("ZDIFF", "2", "s", "z2", "WITHSCORES");
    SAME("ZDIFF", "2", "missing", "zs");
    SAME("ZINTERCARD", "2", "zs", "z2");
    SAME("ZINTERCARD", "2", "zs", "z2", "LIMIT", "1");
    SAME("ZINTERCARD", "2", "zs", "z2", "LIMIT", "0");
    SAME("ZINTERCARD", "2", "big", "big", "LIMIT", "100");
    SAME("ZINTERCARD", "1", "missing");
    /* Errors. */
    SAME("ZUNION", "0", "zs");
    SAME("ZINTER", "-1", "zs");
    SAME("ZINTERCARD", "0", "zs");
    SAME("ZDIFF", "0", "zs");
    SAME("ZUNION", "x", "zs");
    SAME("ZUNION", "3", "zs", "z2");
    SAME("ZUNION", "2", "zs", "str");
    SAME("ZUNION", "2", "str", "zs", "BOGUS");
    SAME("ZUNION", "2", "zs", "z2", "BOGUS");
    SAME("ZUNION", "2", "zs", "z2", "WEIGHTS", "1");
    SAME("ZUNION", "2", "zs", "z2", "WEIGHTS", "1", "x");
    SAME("ZUNION", "2", "zs", "z2", "AGGREGATE", "AVG");
    SAME("ZUNION", "2", "zs", "z2", "AGGREGATE");
    SAME("ZDIFF", "2", "zs", "z2", "WEIGHTS", "1", "1");
    SAME("ZDIFF", "2", "zs", "z2", "AGGREGATE", "MIN");
    SAME("ZINTERCARD", "2", "zs", "z2", "WITHSCORES");
    SAME("ZINTERCARD", "2", "zs", "z2", "LIMIT", "-1");
    SAME("ZINTERCARD", "2", "zs", "z2", "LIMIT", "x");
    SAME("ZINTERCARD", "2", "zs", "z2", "LIMIT");
    SAME("ZINTERCARD", "2", "zs", "z2", "WEIGHTS", "1", "1");
    SAME("ZINTER", "1", "h");
    SAME("ZUNION", "1");
    read_oracle_stop(ro);
}
END_TEST

/* Small sets come back whole with cursor 0, as Redis sends them. */
START_TEST(zscan_small_sets_are_redis_bytes)
{
    read_oracle *ro = start(_i);
    SAME("ZSCAN", "zs", "0");
    SAME("ZSCAN", "zs", "0", "COUNT", "1");
    SAME("ZSCAN", "zs", "0", "MATCH", "*");
    SAME("ZSCAN", "zs", "0", "MATCH", "?", "COUNT", "100");
    SAME("ZSCAN", "lex", "0", "MATCH", "a*");
    SAME("ZSCAN", "z2", "0");
    SAME("ZSCAN", "missing", "0");
    SAME("ZSCAN", "missing", "0", "COUNT", "0");
    SAME("ZSCAN", "zs", "x");
    SAME("ZSCAN", "zs", " 1");
    SAME("ZSCAN", "zs", "99999999999999999999999");
    SAME("ZSCAN", "str", "0");
    SAME("ZSCAN", "str", "0", "COUNT", "0");
    SAME("ZSCAN", "zs", "0", "COUNT", "0");
    SAME("ZSCAN", "zs", "0", "COUNT", "x");
    SAME("ZSCAN", "zs", "0", "MATCH");
    SAME("ZSCAN", "zs", "0", "TYPE", "zset");
    SAME("ZSCAN", "zs");
    read_oracle_stop(ro);
}
END_TEST

/* Parse one ZSCAN reply (RESP2): the cursor and each member/score. */
static unsigned long long scan_page(const char *r, size_t n, char seen[300],
                                    size_t *members)
{
    unsigned long long cursor;
    int len, used = 0;
    ck_assert_msg(sscanf(r, "*2\r\n$%d\r\n%llu\r\n%n", &len, &cursor,
                         &used) == 2 && used > 0,
                  "bad ZSCAN reply %.*s", (int)n, r);
    const char *p = r + used;
    size_t pairs;
    ck_assert_int_eq(sscanf(p, "*%zu\r\n%n", &pairs, &used), 1);
    p += used;
    ck_assert_uint_eq(pairs % 2, 0);
    for (size_t k = 0; k < pairs; k += 2) {
        int ml, sl, num;
        char member[64], score[64];
        ck_assert_int_eq(sscanf(p, "$%d\r\n%63[^\r]\r\n%n", &ml, member,
                                &used), 2);
        p += used;
        ck_assert_int_eq(sscanf(p, "$%d\r\n%63[^\r]\r\n%n", &sl, score,
                                &used), 2);
        p += used;
        if (member[0] == 'k' && sscanf(member + 1, "%d", &num) == 1) {
            ck_assert_int_lt(num, 300);
            ck_assert_msg(!seen[num], "%s returned twice", member);
            seen[num] = 1;
            ck_assert_str_eq(score, "0");
        }
        (*members)++;
    }
    ck_assert_ptr_eq(p, r + n);
    return cursor;
}

/* A big set: every member exactly once over the pages, whatever COUNT. */
START_TEST(zscan_big_sets_return_every_member)
{
    read_oracle *ro = start(_i);
    static const char *const counts[] = {"1", "7", "10", "1000"};
    for (size_t c = 0; c < 4; c++) {
        char seen[300] = {0}, cur[32] = "0";
        size_t members = 0, pages = 0;
        do {
            size_t n;
            const char *r = read_oracle_ours(ro, 2, &n, "ZSCAN", "biglex",
                                             cur, "COUNT", counts[c], NULL);
            unsigned long long next = scan_page(r, n, seen, &members);
            snprintf(cur, sizeof cur, "%llu", next);
            ck_assert_uint_lt(++pages, 400);
        } while (strcmp(cur, "0") != 0);
        ck_assert_uint_eq(members, 300);
        if (atoi(counts[c]) >= 300)
            ck_assert_uint_eq(pages, 1);
    }
    /* MATCH filters a page; RESP3 has the same shape as Redis's. */
    size_t n;
    char seen[300] = {0};
    size_t members = 0;
    const char *r = read_oracle_ours(ro, 2, &n, "ZSCAN", "biglex", "0",
                                     "MATCH", "k1*", "COUNT", "1000", NULL);
    ck_assert_uint_eq(scan_page(r, n, seen, &members), 0);
    ck_assert_uint_eq(members, 100);
    r = read_oracle_ours(ro, 3, &n, "ZSCAN", "big", "0", NULL);
    ck_assert_msg(strncmp(r, "*2\r\n$", 5) == 0, "%s", r);
    ck_assert_msg(strstr(r, "\r\n*20\r\n") != NULL, "%s", r);
    r = read_oracle_redis(ro, 3, &n, "ZSCAN", "big", "0", NULL);
    ck_assert_msg(strncmp(r, "*2\r\n$", 5) == 0, "%s", r);
    read_oracle_stop(ro);
}
END_TEST

/* Count the elements of a flat RESP2 array reply of bulk strings. */
static size_t bulk_count(const char *r)
{
    size_t n;
    ck_assert_int_eq(sscanf(r, "*%zu\r\n", &n), 1);
    return n;
}

START_TEST(zrandmember_properties)
{
    read_oracle *ro = start(_i);
    size_t n;
    /* Errors and empty answers are Redis's bytes. */
    SAME("ZRANDMEMBER", "missing");
    SAME("ZRANDMEMBER", "missing", "5");
    SAME("ZRANDMEMBER", "missing", "-5", "WITHSCORES");
    SAME("ZRANDMEMBER", "zs", "0");
    SAME("ZRANDMEMBER", "zs", "0", "WITHSCORES");
    SAME("ZRANDMEMBER", "zs", "x");
    SAME("ZRANDMEMBER", "zs", "1", "x");
    SAME("ZRANDMEMBER", "zs", "1", "WITHSCORES", "x");
    SAME("ZRANDMEMBER", "zs", "-9223372036854775808");
    SAME("ZRANDMEMBER", "zs", "9223372036854775807", "WITHSCORES");
    SAME("ZRANDMEMBER", "zs", "-4611686018427387904", "WITHSCORES");
    SAME("ZRANDMEMBER", "str");
    SAME("ZRANDMEMBER", "str", "3");
    /* The whole set when count covers it: a small one in its order. */
    SAME("ZRANDMEMBER", "zs", "100");
    SAME("ZRANDMEMBER", "zs", "11", "WITHSCORES");
    SAME("ZRANDMEMBER", "lex", "8");
    /* One member: a bulk string naming a member. */
    for (int k = 0; k < 20; k++) {
        const char *r = read_oracle_ours(ro, 2, &n, "ZRANDMEMBER", "z3",
                                         NULL);
        ck_assert_msg(strcmp(r, "$1\r\na\r\n") == 0 ||
                      strcmp(r, "$1\r\nx\r\n") == 0 ||
                      strcmp(r, "$1\r\nd\r\n") == 0, "%s", r);
    }
    /* Distinct members, count of them, for a positive count; repetitions
     * allowed for a negative one; both sizes of set. */
    static const char *const keys[] = {"biglex", "biglex", "biglex"};
    static const char *const cnt[] = {"5", "150", "299"};
    for (size_t k = 0; k < 3; k++) {
        const char *r = read_oracle_ours(ro, 2, &n, "ZRANDMEMBER", keys[k],
                                         cnt[k], NULL);
        size_t want = (size_t)atoi(cnt[k]);
        ck_assert_uint_eq(bulk_count(r), want);
        char seen[300] = {0};
        const char *p = strstr(r, "\r\n") + 2;
        for (size_t e = 0; e < want; e++) {
            int num;
            ck_assert_int_eq(sscanf(p, "$4\r\nk%03d\r\n", &num), 1);
            ck_assert_msg(!seen[num], "k%03d twice", num);
            seen[num] = 1;
            p += 10;
        }
        ck_assert_ptr_eq(p, r + n);
    }
    const char *r = read_oracle_ours(ro, 2, &n, "ZRANDMEMBER", "z2", "-50",
                                     NULL);
    ck_assert_uint_eq(bulk_count(r), 50);
    /* Shapes against Redis's: RESP2 flat pairs, RESP3 nested pairs. */
    r = read_oracle_ours(ro, 2, &n, "ZRANDMEMBER", "z2", "-3", "WITHSCORES",
                         NULL);
    ck_assert_uint_eq(bulk_count(r), 6);
    r = read_oracle_redis(ro, 2, &n, "ZRANDMEMBER", "z2", "-3",
                          "WITHSCORES", NULL);
    ck_assert_uint_eq(bulk_count(r), 6);
    r = read_oracle_ours(ro, 3, &n, "ZRANDMEMBER", "big", "2", "WITHSCORES",
                         NULL);
    ck_assert_msg(strncmp(r, "*2\r\n*2\r\n$", 9) == 0, "%s", r);
    ck_assert_msg(strchr(r, ',') != NULL, "%s", r);
    r = read_oracle_redis(ro, 3, &n, "ZRANDMEMBER", "big", "2",
                          "WITHSCORES", NULL);
    ck_assert_msg(strncmp(r, "*2\r\n*2\r\n$", 9) == 0, "%s", r);
    /* Every member of a small set turns up over many draws. */
    char got[256] = {0};
    for (int k = 0; k < 400; k++) {
        r = read_oracle_ours(ro, 2, &n, "ZRANDMEMBER", "z3", NULL);
        got[(unsigned char)r[4]] = 1; /* "$1\r\nX" */
    }
    ck_assert(got['a'] && got['x'] && got['d']);
    read_oracle_stop(ro);
}
END_TEST

/* The data of the out-of-memory walks: a small set, a big one, a set. */
static void oom_setup(cmd_applier *a)
{
    const char *small[] = {"ZADD", "small", "1", "a", "2", "b", "-0", "z",
                           "inf", "top"};
    ck_assert_int_eq(cmd_apply_argv(a, 10, small, NULL), CMD_APPLIED);
    const char *set[] = {"SADD", "s", "a", "m010", "q"};
    ck_assert_int_eq(cmd_apply_argv(a, 5, set, NULL), CMD_APPLIED);
    for (int k = 0; k < 200; k++) {
        char score[16], member[16];
        snprintf(score, sizeof score, "%d", k % 37);
        snprintf(member, sizeof member, "m%03d", k);
        const char *add[] = {"ZADD", "big", score, member};
        ck_assert_int_eq(cmd_apply_argv(a, 4, add, NULL), CMD_APPLIED);
    }
}

/* Every allocation a handler makes may fail: -1 and nothing written, or
 * the very reply it gives with memory to spare. */
START_TEST(out_of_memory_at_every_allocation)
{
    static const char *const cmds[][12] = {
        {"ZRANGE", "big", "0", "-1", "WITHSCORES", NULL},
        {"ZRANGE", "big", "(3", "30", "BYSCORE", "REV", "LIMIT", "2", "40",
         "WITHSCORES", NULL},
        {"ZRANGEBYLEX", "small", "-", "+", NULL},
        {"ZMSCORE", "big", "m001", "nope", "m100", NULL},
        {"ZUNION", "3", "big", "small", "s", "WITHSCORES", NULL},
        {"ZINTER", "2", "big", "s", "WEIGHTS", "2", "3", "WITHSCORES", NULL},
        {"ZDIFF", "2", "big", "small", NULL},
        {"ZINTERCARD", "2", "big", "big", "LIMIT", "50", NULL},
        {"ZSCAN", "big", "0", "COUNT", "25", "MATCH", "m1*", NULL},
        {"ZSCAN", "small", "0", NULL},
        {"ZRANDMEMBER", "big", "150", "WITHSCORES", NULL},
        {"ZRANDMEMBER", "big", "20", NULL},
        {"ZRANDMEMBER", "big", "-30", "WITHSCORES", NULL},
        {"ZRANDMEMBER", "big", "300", NULL},
    };
    unsigned total = 0;
    for (size_t c = 0; c < sizeof cmds / sizeof cmds[0]; c++)
        total += read_oom_walk(variants[_i], oom_setup, cmds[c]);
    ck_assert_uint_gt(total, 14);
}
END_TEST

Suite *ch11_zset_suite(void)
{
    Suite *s = suite_create("ch11_zset");
    TCase *tc = test_tcase("zset", 120);
    tcase_add_checked_fixture(tc, NULL, read_oracle_teardown);
    tcase_add_loop_test(tc, ranges_by_rank, 0, 2);
    tcase_add_loop_test(tc, ranges_by_score, 0, 2);
    tcase_add_loop_test(tc, ranges_by_lex, 0, 2);
    tcase_add_loop_test(tc, ranges_by_lex_mixed_scores, 0, 2);
    tcase_add_loop_test(tc, lookups, 0, 2);
    tcase_add_loop_test(tc, unions_intersections_differences, 0, 2);
    tcase_add_loop_test(tc, zscan_small_sets_are_redis_bytes, 0, 2);
    tcase_add_loop_test(tc, zscan_big_sets_return_every_member, 0, 2);
    tcase_add_loop_test(tc, zrandmember_properties, 0, 2);
    tcase_add_loop_test(tc, out_of_memory_at_every_allocation, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
