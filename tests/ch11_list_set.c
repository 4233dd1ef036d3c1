/* ch11_list_set.c - chapter 11: list and set read commands and SORT_RO against a real redis-server.
 *
 * Deterministic replies are compared with Redis 7.0.15's byte for byte in
 * RESP2 and RESP3 (set replies as multisets), on small and big (more than
 * 128 elements, or long) lists and sets, binary and empty strings,
 * negative indexes, every option and every error.  SRANDMEMBER and SSCAN
 * over big sets are checked by their properties.
 */
#include "read_oracle.h"
#include "reply_tree.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const variants[] = {"hamt", "ptrie"};

static size_t g_len;
static rtree *tree_of(const char *r) { return rtree_parse(r, g_len); }
#define OURS(ro, proto, ...)                                                 \
    tree_of(read_oracle_ours((ro), (proto), &g_len, __VA_ARGS__, NULL))

/* cmd key <prefix><i> for i in [from, to), one element per command. */
static void fill(oracle *o, const char *cmd, const char *key,
                 const char *prefix, int from, int to)
{
    for (int i = from; i < to; i++) {
        char e[160];
        snprintf(e, sizeof e, "%s%d", prefix, i);
        oracle_cmd(o, cmd, key, e, NULL);
    }
}

/* ---- lists ---------------------------------------------------------------- */

static void lists(read_oracle *ro)
{
    oracle *o = read_oracle_writer(ro);
    const char *argv[] = {"RPUSH", "l", "a", "b", "c", "", "a", "x\0y", "b",
                          "a"};
    const size_t lens[] = {5, 1, 1, 1, 1, 0, 1, 3, 1, 1};
    oracle_cmdv(o, 10, argv, lens);
    fill(o, "RPUSH", "big", "item", 0, (int)test_scale(300, 140));
    oracle_cmd(o, "RPUSH", "big", "item7", "item7", NULL);
    char longv[200];
    memset(longv, 'z', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    oracle_cmd(o, "RPUSH", "long", longv, "short", longv, NULL);
    oracle_cmd(o, "SET", "s", "x", NULL);
}

START_TEST(list_reads_match_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    lists(ro);
    const char *keys[] = {"l", "big", "long", "missing"};
    const char *ranges[][2] = {
        {"0", "-1"}, {"1", "3"},    {"-3", "-1"}, {"-100", "100"},
        {"5", "2"},  {"100", "200"}, {"-1", "-1"}, {"0", "0"},
        {"100", "250"}, {"-50", "-10"}, {"-1000", "-900"}, {"3", "-4"},
        {"9223372036854775807", "-9223372036854775808"},
        {"-9223372036854775808", "9223372036854775807"},
    };
    const char *idx[] = {"0", "-1", "3", "5", "100", "-100", "150", "-150",
                         "9223372036854775807", "-9223372036854775808"};
    for (size_t k = 0; k < 4; k++) {
        for (size_t r = 0; r < sizeof ranges / sizeof ranges[0]; r++)
            read_oracle_expect(ro, READ_SAME, "LRANGE", keys[k],
                               ranges[r][0], ranges[r][1], NULL);
        read_oracle_expect(ro, READ_SAME, "LLEN", keys[k], NULL);
        for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++)
            read_oracle_expect(ro, READ_SAME, "LINDEX", keys[k], idx[i], NULL);
    }
    /* LPOS: every option */
    const char *el[] = {"a", "b", "", "zz", "item7", "item150", "short"};
    const char *opts[][6] = {
        {NULL},
        {"RANK", "2", NULL},
        {"RANK", "-1", NULL},
        {"RANK", "-2", NULL},
        {"RANK", "3", NULL},
        {"RANK", "100", NULL},
        {"COUNT", "0", NULL},
        {"COUNT", "2", NULL},
        {"COUNT", "1", NULL},
        {"MAXLEN", "3", NULL},
        {"MAXLEN", "0", NULL},
        {"RANK", "-1", "COUNT", "0", NULL},
        {"RANK", "2", "COUNT", "0", "MAXLEN", "6"},
        {"rank", "-2", "count", "5", "maxlen", "200"},
        {"RANK", "-9223372036854775808", NULL},
        {"RANK", "-9223372036854775808", "COUNT", "0", NULL},
        {"COUNT", "3", "COUNT", "0", NULL},
    };
    for (size_t k = 0; k < 4; k++)
        for (size_t e = 0; e < sizeof el / sizeof el[0]; e++)
            for (size_t p = 0; p < sizeof opts / sizeof opts[0]; p++) {
                const char *argv[9] = {"LPOS", keys[k], el[e]};
                size_t argc = 3;
                for (size_t j = 0; j < 6 && opts[p][j] != NULL; j++)
                    argv[argc++] = opts[p][j];
                read_oracle_expectv(ro, READ_SAME, argc, argv, NULL);
            }
    const char *bin[] = {"LPOS", "l", "x\0y", "COUNT", "0"};
    const size_t binlen[] = {4, 1, 3, 5, 1};
    read_oracle_expectv(ro, READ_SAME, 5, bin, binlen);
    read_oracle_stop(ro);
}
END_TEST

START_TEST(list_errors_match_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    lists(ro);
    read_oracle_expect(ro, READ_SAME, "LRANGE", "s", "0", "1", NULL);
    read_oracle_expect(ro, READ_SAME, "LRANGE", "l", "a", "1", NULL);
    read_oracle_expect(ro, READ_SAME, "LRANGE", "l", "0", "1.0", NULL);
    read_oracle_expect(ro, READ_SAME, "LRANGE", "missing", "x", "1", NULL);
    read_oracle_expect(ro, READ_SAME, "LRANGE", "s", "x", "1", NULL);
    read_oracle_expect(ro, READ_SAME, "LRANGE", "l", "0", NULL);
    read_oracle_expect(ro, READ_SAME, "LRANGE", "l", "0", "1", "2", NULL);
    read_oracle_expect(ro, READ_SAME, "LLEN", "s", NULL);
    read_oracle_expect(ro, READ_SAME, "LLEN", NULL);
    read_oracle_expect(ro, READ_SAME, "LLEN", "l", "l", NULL);
    read_oracle_expect(ro, READ_SAME, "LINDEX", "s", "0", NULL);
    read_oracle_expect(ro, READ_SAME, "LINDEX", "l", "abc", NULL);
    read_oracle_expect(ro, READ_SAME, "LINDEX", "l", "", NULL);
    read_oracle_expect(ro, READ_SAME, "LINDEX", "missing", "abc", NULL);
    read_oracle_expect(ro, READ_SAME, "LINDEX", "s", "abc", NULL);
    read_oracle_expect(ro, READ_SAME, "LINDEX", "l", NULL);
    read_oracle_expect(ro, READ_SAME, "LPOS", "s", "a", NULL);
    read_oracle_expect(ro, READ_SAME, "LPOS", "l", NULL);
    const char *bad[][4] = {
        {"RANK", "0", NULL},    {"RANK", "abc", NULL},
        {"COUNT", "-1", NULL},  {"COUNT", "abc", NULL},
        {"MAXLEN", "-1", NULL}, {"MAXLEN", "x", NULL},
        {"RANK", NULL},         {"FOO", "1", NULL},
        {"COUNT", "1", "MAXLEN", NULL},
        {"RANK", "1", "RANK", "0"},
        {"COUNT", "", NULL},
    };
    const char *keys[] = {"l", "missing", "s"};
    for (size_t k = 0; k < 3; k++)
        for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
            const char *argv[7] = {"LPOS", keys[k], "a"};
            size_t argc = 3;
            for (size_t j = 0; j < 4 && bad[b][j] != NULL; j++)
                argv[argc++] = bad[b][j];
            read_oracle_expectv(ro, READ_SAME, argc, argv, NULL);
        }
    read_oracle_stop(ro);
}
END_TEST

/* ---- sets ----------------------------------------------------------------- */

static long g_size;

static void sets(read_oracle *ro)
{
    oracle *o = read_oracle_writer(ro);
    const char *argv[] = {"SADD", "s1", "a", "b", "c", "", "x\0y", "7"};
    const size_t lens[] = {4, 2, 1, 1, 1, 0, 3, 1};
    oracle_cmdv(o, 8, argv, lens);
    oracle_cmd(o, "SADD", "s2", "b", "c", "d", "7", NULL);
    oracle_cmd(o, "SADD", "s3", "c", "zz", NULL);
    /* ascending, so an intset's order is the insertion order */
    oracle_cmd(o, "SADD", "si", "-5", "1", "2", "3", "10", "100", NULL);
    oracle_cmd(o, "SADD", "sone", "lonely", NULL);
    g_size = test_scale(300, 140);
    fill(o, "SADD", "sbig", "m", 0, (int)g_size);
    fill(o, "SADD", "sbig2", "m", (int)g_size / 2, (int)g_size + 50);
    char longv[120];
    memset(longv, 'q', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    oracle_cmd(o, "SADD", "slong", longv, "a", "b", NULL);
    oracle_cmd(o, "SET", "str", "x", NULL);
}

START_TEST(set_reads_match_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    sets(ro);
    const char *keys[] = {"s1", "s2", "si", "sone", "sbig", "slong",
                          "missing"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        read_oracle_expect(ro, READ_UNORDERED, "SMEMBERS", keys[k], NULL);
        read_oracle_expect(ro, READ_SAME, "SCARD", keys[k], NULL);
        const char *m[] = {"a", "", "7", "-5", "m10", "lonely", "nope"};
        for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
            read_oracle_expect(ro, READ_SAME, "SISMEMBER", keys[k], m[i], NULL);
        read_oracle_expect(ro, READ_SAME, "SMISMEMBER", keys[k], "a", "nope",
                           "7", "m10", "", "a", NULL);
        read_oracle_expect(ro, READ_UNORDERED, "SRANDMEMBER", keys[k],
                           "1000", NULL);
    }
    const char *bin[] = {"SISMEMBER", "s1", "x\0y"};
    const size_t binlen[] = {9, 2, 3};
    read_oracle_expectv(ro, READ_SAME, 3, bin, binlen);
    /* the algebra */
    const char *ops[] = {"SINTER", "SUNION", "SDIFF"};
    const char *combos[][4] = {
        {"s1", NULL},          {"s1", "s2", NULL},       {"s2", "s1", NULL},
        {"s1", "s2", "s3"},    {"s1", "missing", NULL},  {"missing", "s1", NULL},
        {"s1", "s1", NULL},    {"sbig", "sbig2", NULL},  {"sbig2", "sbig", NULL},
        {"si", "s1", "s2"},    {"missing", NULL},        {"s2", "s2", "s3"},
        {"slong", "s1", NULL}, {"sbig", "sbig2", "s1"},
    };
    for (size_t op = 0; op < 3; op++)
        for (size_t c = 0; c < sizeof combos / sizeof combos[0]; c++) {
            const char *argv[5] = {ops[op]};
            size_t argc = 1;
            for (size_t j = 0; j < 4 && combos[c][j] != NULL; j++)
                argv[argc++] = combos[c][j];
            read_oracle_expectv(ro, READ_UNORDERED, argc, argv, NULL);
        }
    read_oracle_expect(ro, READ_SAME, "SINTERCARD", "2", "s1", "s2", NULL);
    read_oracle_expect(ro, READ_SAME, "SINTERCARD", "1", "sbig", NULL);
    read_oracle_expect(ro, READ_SAME, "SINTERCARD", "2", "sbig", "sbig2",
                       NULL);
    read_oracle_expect(ro, READ_SAME, "SINTERCARD", "2", "sbig", "sbig2",
                       "LIMIT", "10", NULL);
    read_oracle_expect(ro, READ_SAME, "SINTERCARD", "2", "sbig", "sbig2",
                       "LIMIT", "0", NULL);
    read_oracle_expect(ro, READ_SAME, "SINTERCARD", "2", "sbig", "sbig2",
                       "limit", "100000", NULL);
    read_oracle_expect(ro, READ_SAME, "SINTERCARD", "2", "s1", "missing",
                       NULL);
    read_oracle_expect(ro, READ_SAME, "SINTERCARD", "3", "s1", "s2", "s3",
                       "LIMIT", "1", "LIMIT", "5", NULL);
    read_oracle_expect(ro, READ_SAME, "SINTERCARD", "1", "LIMIT", NULL);
    /* deterministic random replies */
    read_oracle_expect(ro, READ_SAME, "SRANDMEMBER", "sone", NULL);
    read_oracle_expect(ro, READ_SAME, "SRANDMEMBER", "missing", NULL);
    const char *counts[] = {"0", "1", "-1", "3", "-4"};
    for (size_t i = 0; i < 5; i++) {
        read_oracle_expect(ro, READ_SAME, "SRANDMEMBER", "sone", counts[i],
                           NULL);
        read_oracle_expect(ro, READ_SAME, "SRANDMEMBER", "missing", counts[i],
                           NULL);
    }
    /* SSCAN of an intset and a one-member set: everything, cursor 0 */
    read_oracle_expect(ro, READ_SAME, "SSCAN", "si", "0", NULL);
    read_oracle_expect(ro, READ_SAME, "SSCAN", "si", "0", "MATCH", "1*", NULL);
    read_oracle_expect(ro, READ_SAME, "SSCAN", "si", "0", "COUNT", "1", NULL);
    read_oracle_expect(ro, READ_SAME, "SSCAN", "si", "77", NULL);
    read_oracle_expect(ro, READ_SAME, "SSCAN", "sone", "0", NULL);
    read_oracle_expect(ro, READ_SAME, "SSCAN", "sone", "0", "MATCH", "x*",
                       NULL);
    read_oracle_expect(ro, READ_SAME, "SSCAN", "missing", "0", NULL);
    read_oracle_stop(ro);
}
END_TEST

START_TEST(set_errors_match_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    sets(ro);
    const char *one[] = {"SMEMBERS", "SCARD", "SRANDMEMBER"};
    for (size_t i = 0; i < 3; i++) {
        read_oracle_expect(ro, READ_SAME, one[i], "str", NULL);
        read_oracle_expect(ro, READ_SAME, one[i], NULL);
    }
    read_oracle_expect(ro, READ_SAME, "SMEMBERS", "s1", "s2", NULL);
    read_oracle_expect(ro, READ_SAME, "SCARD", "s1", "s2", NULL);
    read_oracle_expect(ro, READ_SAME, "SISMEMBER", "str", "a", NULL);
    read_oracle_expect(ro, READ_SAME, "SISMEMBER", "s1", NULL);
    read_oracle_expect(ro, READ_SAME, "SISMEMBER", "s1", "a", "b", NULL);
    read_oracle_expect(ro, READ_SAME, "SMISMEMBER", "str", "a", NULL);
    read_oracle_expect(ro, READ_SAME, "SMISMEMBER", "s1", NULL);
    read_oracle_expect(ro, READ_SAME, "SRANDMEMBER", "s1", "abc", NULL);
    read_oracle_expect(ro, READ_SAME, "SRANDMEMBER", "missing", "abc", NULL);
    read_oracle_expect(ro, READ_SAME, "SRANDMEMBER", "str", "abc", NULL);
    read_oracle_expect(ro, READ_SAME, "SRANDMEMBER", "str", "2", NULL);
    read_oracle_expect(ro, READ_SAME, "SRANDMEMBER", "s1",
                       "-9223372036854775808", NULL);
    read_oracle_expect(ro, READ_SAME, "SRANDMEMBER", "s1", "1", "2", NULL);
    read_oracle_expect(ro, READ_SAME, "SRANDMEMBER", "missing", "1", "2",
                       NULL);
    const char *ops[] = {"SINTER", "SUNION", "SDIFF"};
    for (size_t i = 0; i < 3; i++) {
        read_oracle_expect(ro, READ_SAME, ops[i], NULL);
        read_oracle_expect(ro, READ_SAME, ops[i], "str", NULL);
        read_oracle_expect(ro, READ_SAME, ops[i], "s1", "str", NULL);
        read_oracle_expect(ro, READ_SAME, ops[i], "missing", "str", NULL);
        read_oracle_expect(ro, READ_SAME, ops[i], "str", "missing", NULL);
    }
    const char *card[][6] = {
        {"0", "s1", NULL},
        {"-1", "s1", NULL},
        {"abc", "s1", NULL},
        {"", "s1", NULL},
        {"3", "s1", "s2", NULL},
        {"2", "s1", "s2", "LIMIT", "-1", NULL},
        {"2", "s1", "s2", "LIMIT", "x", NULL},
        {"2", "s1", "s2", "FOO", NULL},
        {"1", "s1", "LIMIT", NULL},
        {"2", "s1", "str", NULL},
        {"2", "missing", "str", NULL},
        {"1", "s1", "s2", NULL},
        {"1", NULL},
    };
    for (size_t c = 0; c < sizeof card / sizeof card[0]; c++) {
        const char *argv[7] = {"SINTERCARD"};
        size_t argc = 1;
        for (size_t j = 0; j < 6 && card[c][j] != NULL; j++)
            argv[argc++] = card[c][j];
        read_oracle_expectv(ro, READ_SAME, argc, argv, NULL);
    }
    read_oracle_expect(ro, READ_SAME, "SSCAN", "str", "0", NULL);
    read_oracle_expect(ro, READ_SAME, "SSCAN", "s1", "x", NULL);
    read_oracle_expect(ro, READ_SAME, "SSCAN", "s1", NULL);
    read_oracle_expect(ro, READ_SAME, "SSCAN", "missing", "-", NULL);
    read_oracle_expect(ro, READ_SAME, "SSCAN", "si", "0", "COUNT", "0", NULL);
    read_oracle_expect(ro, READ_SAME, "SSCAN", "si", "0", "COUNT", "y", NULL);
    read_oracle_expect(ro, READ_SAME, "SSCAN", "si", "0", "MATCH", NULL);
    read_oracle_expect(ro, READ_SAME, "SSCAN", "si", "0", "TYPE", "set",
                       NULL);
    read_oracle_stop(ro);
}
END_TEST

/* SRANDMEMBER sbig <count>: count right, members real, distinct when
 * positive. */
static void check_members(read_oracle *ro, int proto, long count)
{
    char cs[32];
    snprintf(cs, sizeof cs, "%ld", count);
    rtree *t = OURS(ro, proto, "SRANDMEMBER", "sbig", cs);
    long want = count >= 0 ? (count < g_size ? count : g_size) : -count;
    ck_assert_int_eq(t->type, '*');
    ck_assert_uint_eq(t->nkids, (size_t)want);
    char *seen = calloc((size_t)g_size, 1);
    for (size_t i = 0; i < t->nkids; i++) {
        const char *m = t->kids[i].str;
        int idx = atoi(m + 1);
        ck_assert_msg(m[0] == 'm' && idx >= 0 && idx < g_size,
                      "SRANDMEMBER sbig %s: no such member %s", cs, m);
        if (count > 0)
            ck_assert_msg(!seen[idx], "SRANDMEMBER sbig %s: %s twice", cs, m);
        seen[idx] = 1;
    }
    free(seen);
    rtree_free(t);
}

static void edit_between(read_oracle *ro, int call)
{
    oracle *o = read_oracle_writer(ro);
    char m[32];
    int del = 1 + 5 * call;
    if (del < g_size) {
        snprintf(m, sizeof m, "m%d", del);
        oracle_cmd(o, "SREM", "sbig", m, NULL);
    }
    if (call < g_size / 2) /* new members stay below 4 * g_size */
        fill(o, "SADD", "sbig", "m", (int)g_size + 3 * call,
             (int)g_size + 3 * call + 3);
}

static void scan_all(read_oracle *ro, const char *key, const char *match,
                     const char *count, int *seen, long size,
                     void (*edit)(read_oracle *, int))
{
    char cursor[32] = "0";
    int calls = 0;
    do {
        rtree *t = match ? OURS(ro, 3, "SSCAN", key, cursor, "MATCH", match,
                                "COUNT", count)
                         : OURS(ro, 3, "SSCAN", key, cursor, "COUNT", count);
        ck_assert_uint_eq(t->nkids, 2);
        snprintf(cursor, sizeof cursor, "%s", t->kids[0].str);
        ck_assert_int_eq(t->kids[1].type, '*');
        for (size_t i = 0; i < t->kids[1].nkids; i++) {
            int idx = atoi(t->kids[1].kids[i].str + 1);
            ck_assert(idx >= 0 && idx < size);
            seen[idx]++;
        }
        rtree_free(t);
        if (edit != NULL)
            edit(ro, calls);
        ck_assert_msg(++calls < 10 * size + 10, "SSCAN %s never ends", key);
    } while (strcmp(cursor, "0") != 0);
}

START_TEST(set_random_and_scan_properties)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    sets(ro);
    const long counts[] = {1, 2, 5, 50, g_size - 1, g_size, g_size + 9, -1,
                           -6, -(g_size + 70)};
    for (int proto = 2; proto <= 3; proto++)
        for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++)
            check_members(ro, proto, counts[i]);
    int *seen = calloc((size_t)g_size * 4, sizeof *seen);
    const char *cs[] = {"1", "10", "33", "5000"};
    for (size_t c = 0; c < 4; c++) {
        memset(seen, 0, (size_t)g_size * sizeof *seen);
        scan_all(ro, "sbig", NULL, cs[c], seen, g_size, NULL);
        for (long i = 0; i < g_size; i++)
            ck_assert_msg(seen[i] == 1, "COUNT %s: m%ld seen %d times", cs[c],
                          i, seen[i]);
    }
    memset(seen, 0, (size_t)g_size * sizeof *seen);
    scan_all(ro, "sbig", "m2?", "4", seen, g_size, NULL);
    for (long i = 0; i < g_size; i++)
        ck_assert_int_eq(seen[i], i >= 20 && i <= 29 ? 1 : 0);
    memset(seen, 0, (size_t)g_size * 4 * sizeof *seen);
    scan_all(ro, "sbig", NULL, "3", seen, g_size * 4, edit_between);
    for (long i = 0; i < g_size; i++)
        if (i % 5 != 1)
            ck_assert_msg(seen[i] >= 1, "m%ld was never returned", i);
    free(seen);
    read_oracle_stop(ro);
}
END_TEST

/* ---- SORT_RO -------------------------------------------------------------- */

static void sort_data(read_oracle *ro)
{
    oracle *o = read_oracle_writer(ro);
    oracle_cmd(o, "RPUSH", "nums", "3", "1", "2", "10", "-5", "1.5", "1e1",
               NULL);
    oracle_cmd(o, "RPUSH", "ids", "1", "2", "3", "4", NULL);
    oracle_cmd(o, "MSET", "w_1", "40", "w_2", "10", "w_3", "30", "w_4", "20",
               NULL);
    oracle_cmd(o, "MSET", "o_1", "one", "o_2", "two", "o_4", "four", NULL);
    oracle_cmd(o, "HSET", "h_1", "f", "H1", "g", "b", NULL);
    oracle_cmd(o, "HSET", "h_2", "f", "H2", "g", "a", NULL);
    oracle_cmd(o, "HSET", "h_3", "g", "d", NULL);
    oracle_cmd(o, "HSET", "h_4", "f", "H4", "g", "c", NULL);
    oracle_cmd(o, "RPUSH", "words", "pear", "apple", "fig", "banana", NULL);
    oracle_cmd(o, "SADD", "snum", "1", "3", "5", "9", NULL); /* intset order */
    oracle_cmd(o, "SADD", "swords", "kiwi", "lime", "date", NULL);
    oracle_cmd(o, "ZADD", "z", "3", "c", "1", "a", "2", "b", "5", "e", NULL);
    oracle_cmd(o, "ZADD", "zn", "1", "30", "2", "10", "3", "20", NULL);
    long n = test_scale(300, 140);
    for (long i = 0; i < n; i++) {
        char v[32];
        snprintf(v, sizeof v, "%ld", (i * 7919) % 1000);
        oracle_cmd(o, "RPUSH", "bignums", v, NULL);
        snprintf(v, sizeof v, "w%ld", i);
        oracle_cmd(o, "SADD", "bigset", v, NULL);
    }
    oracle_cmd(o, "SET", "str", "x", NULL);
    oracle_cmd(o, "HSET", "hash", "a", "1", NULL);
}

START_TEST(sort_ro_matches_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    sort_data(ro);
    const char *opts[][9] = {
        {NULL},
        {"DESC", NULL},
        {"ASC", NULL},
        {"DESC", "ASC", NULL},
        {"LIMIT", "0", "2", NULL},
        {"LIMIT", "2", "10", NULL},
        {"LIMIT", "-1", "2", NULL},
        {"LIMIT", "1", "-1", NULL},
        {"LIMIT", "1", "-5", NULL},
        {"LIMIT", "100", "5", NULL},
        {"LIMIT", "3", "0", NULL},
        {"LIMIT", "1", "2", "DESC", NULL},
        {"ALPHA", NULL},
        {"ALPHA", "DESC", "LIMIT", "1", "3", NULL},
        {"BY", "nosort", NULL},
        {"BY", "nosort", "DESC", NULL},
        {"BY", "nosort", "LIMIT", "1", "2", NULL},
        {"BY", "nosort", "DESC", "LIMIT", "1", "2", NULL},
        {"BY", "nosort", "LIMIT", "9", "2", NULL},
        {"BY", "w_*", NULL},
        {"BY", "w_*", "DESC", "GET", "#", "GET", "o_*", NULL},
        {"BY", "w_*", "LIMIT", "1", "2", "GET", "o_*", NULL},
        {"GET", "h_*->f", "GET", "#", "GET", "h_*->nope", NULL},
        {"GET", "nostar", NULL},
        {"GET", "o_*", "BY", "nosort", NULL},
        {"BY", "w_*->", NULL},
        {"BY", "nosort", "BY", "w_*", NULL},
        {"get", "#", "by", "w_*", "limit", "0", "1", "desc", NULL},
    };
    const char *keys[] = {"nums", "ids", "words", "snum", "z", "zn",
                          "bignums", "missing"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++)
        for (size_t p = 0; p < sizeof opts / sizeof opts[0]; p++) {
            const char *argv[12] = {"SORT_RO", keys[k]};
            size_t argc = 2;
            for (size_t j = 0; j < 9 && opts[p][j] != NULL; j++)
                argv[argc++] = opts[p][j];
            read_oracle_expectv(ro, READ_SAME, argc, argv, NULL);
        }
    /* ALPHA by a pattern: equal (or missing) BY values leave Redis's
     * order to its unstable partial sort, so only on keys where they all
     * differ */
    const char *alpha_by[][9] = {
        {"BY", "h_*->g", "ALPHA", "GET", "h_*->f", NULL},
        {"BY", "h_*->g", "ALPHA", "DESC", "LIMIT", "0", "3", NULL},
        {"BY", "h_*->g", "ALPHA", "LIMIT", "1", "2", "GET", "#", NULL},
        {"BY", "o_*", "ALPHA", NULL},
        {"BY", "o_*", "ALPHA", "DESC", "LIMIT", "1", "5", NULL},
    };
    for (size_t p = 0; p < sizeof alpha_by / sizeof alpha_by[0]; p++) {
        const char *argv[12] = {"SORT_RO", "ids"};
        size_t argc = 2;
        for (size_t j = 0; j < 9 && alpha_by[p][j] != NULL; j++)
            argv[argc++] = alpha_by[p][j];
        read_oracle_expectv(ro, READ_SAME, argc, argv, NULL);
    }
    /* a set "BY nosort" comes in the set's own order */
    read_oracle_expect(ro, READ_UNORDERED, "SORT_RO", "swords", "BY",
                       "nosort", NULL);
    read_oracle_expect(ro, READ_UNORDERED, "SORT_RO", "bigset", "BY", "x",
                       NULL);
    read_oracle_expect(ro, READ_SAME, "SORT_RO", "swords", "ALPHA", NULL);
    read_oracle_expect(ro, READ_SAME, "SORT_RO", "bigset", "ALPHA", "LIMIT",
                       "10", "20", NULL);
    read_oracle_expect(ro, READ_SAME, "SORT_RO", "bigset", "ALPHA", "DESC",
                       "GET", "#", "GET", "nope_*", NULL);
    /* errors */
    read_oracle_expect(ro, READ_SAME, "SORT_RO", NULL);
    read_oracle_expect(ro, READ_SAME, "SORT_RO", "nums", "STORE", "dst", NULL);
    read_oracle_expect(ro, READ_SAME, "SORT_RO", "nums", "LIMIT", "a", "1",
                       NULL);
    read_oracle_expect(ro, READ_SAME, "SORT_RO", "nums", "LIMIT", "1", "b",
                       NULL);
    read_oracle_expect(ro, READ_SAME, "SORT_RO", "nums", "LIMIT", "1", NULL);
    read_oracle_expect(ro, READ_SAME, "SORT_RO", "nums", "BY", NULL);
    read_oracle_expect(ro, READ_SAME, "SORT_RO", "nums", "GET", NULL);
    read_oracle_expect(ro, READ_SAME, "SORT_RO", "nums", "FOO", NULL);
    read_oracle_expect(ro, READ_SAME, "SORT_RO", "str", NULL);
    read_oracle_expect(ro, READ_SAME, "SORT_RO", "hash", NULL);
    read_oracle_expect(ro, READ_SAME, "SORT_RO", "str", "FOO", NULL);
    read_oracle_expect(ro, READ_SAME, "SORT_RO", "words", NULL);
    read_oracle_expect(ro, READ_SAME, "SORT_RO", "ids", "BY", "o_*", NULL);
    read_oracle_expect(ro, READ_SAME, "SORT_RO", "missing", "BY", "o_*",
                       NULL);
    read_oracle_stop(ro);
}
END_TEST

Suite *ch11_list_set_suite(void)
{
    Suite *s = suite_create("ch11_list_set");
    TCase *tc = test_tcase("oracle", 120);
    tcase_add_checked_fixture(tc, NULL, read_oracle_teardown);
    tcase_add_loop_test(tc, list_reads_match_redis, 0, 2);
    tcase_add_loop_test(tc, list_errors_match_redis, 0, 2);
    tcase_add_loop_test(tc, set_reads_match_redis, 0, 2);
    tcase_add_loop_test(tc, set_errors_match_redis, 0, 2);
    tcase_add_loop_test(tc, set_random_and_scan_properties, 0, 2);
    tcase_add_loop_test(tc, sort_ro_matches_redis, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
