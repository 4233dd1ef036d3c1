/* ch11_strings.c - chapter 11: GET, MGET, STRLEN, GETRANGE, SUBSTR, LCS,
 * GETBIT, BITCOUNT, BITPOS, BITFIELD_RO and PFCOUNT against a real
 * redis-server, RESP2 and RESP3. */
#include "read_oracle.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const variants[] = {"hamt", "ptrie"};

/* SET key to binary bytes on both sides. */
static void setbin(oracle *o, const char *key, const char *p, size_t n)
{
    const char *argv[] = {"SET", key, p};
    size_t lens[] = {3, strlen(key), n};
    oracle_cmdv(o, 3, argv, lens);
}

/* Strings of every form: empty, short, integer, binary, inline at the
 * limit, and big enough to be a chunked pstring. */
static void load_strings(oracle *o)
{
    oracle_cmd(o, "SET", "s", "hello world", NULL);
    oracle_cmd(o, "SET", "e", "", NULL);
    oracle_cmd(o, "SET", "n", "-12345", NULL);
    static const char bin[] = {'a', '\0', 'b', '\xff', '\0', '\x80'};
    const char *argv[] = {"SET", "bin", bin};
    size_t lens[] = {3, 3, sizeof bin};
    oracle_cmdv(o, 3, argv, lens);
    size_t big = 20000;
    char *b = malloc(big + 1);
    for (size_t i = 0; i < big; i++)
        b[i] = (char)('a' + (i * 7 + i / 13) % 26);
    b[big] = '\0';
    oracle_cmd(o, "SET", "big", b, NULL);
    b[4096] = '\0';
    oracle_cmd(o, "SET", "edge", b, NULL);
    free(b);
    oracle_cmd(o, "SET", "a", "ohmytext", NULL);
    oracle_cmd(o, "SET", "b", "mynewtext", NULL);
    setbin(o, "bits", "\xff\xf0\x00\x0f\x81", 5);
    setbin(o, "ones", "\xff\xff", 2);
    setbin(o, "zeros", "\x00\x00", 2);
    oracle_cmd(o, "RPUSH", "list", "x", NULL);
    oracle_cmd(o, "SET", "gone", "v", "PXAT", "1000", NULL);
}

static const char *const str_keys[] = {
    "s", "e", "n", "bin", "big", "edge", "a", "bits", "list", "gone",
    "missing",
};

START_TEST(strings_match_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    oracle *o = read_oracle_writer(ro);
    load_strings(o);
    static const char *const ranges[][2] = {
        {"0", "-1"}, {"0", "0"},     {"-3", "-1"},  {"5", "2"},
        {"-1", "-5"}, {"100", "200"}, {"-100", "3"}, {"3", "100000"},
        {"4000", "12000"}, {"-2", "-2"}, {"0", "-100"},
    };
    for (size_t i = 0; i < sizeof str_keys / sizeof *str_keys; i++) {
        const char *k = str_keys[i];
        read_oracle_expect(ro, READ_SAME, "GET", k, NULL);
        read_oracle_expect(ro, READ_SAME, "STRLEN", k, NULL);
        for (size_t r = 0; r < sizeof ranges / sizeof *ranges; r++) {
            read_oracle_expect(ro, READ_SAME, "GETRANGE", k, ranges[r][0],
                               ranges[r][1], NULL);
            read_oracle_expect(ro, READ_SAME, "SUBSTR", k, ranges[r][0],
                               ranges[r][1], NULL);
        }
    }
    read_oracle_expect(ro, READ_SAME, "MGET", "s", "missing", "list", "n",
                       "gone", "s", "bin", NULL);
    read_oracle_expect(ro, READ_SAME, "GETRANGE", "s", "x", "1", NULL);
    read_oracle_expect(ro, READ_SAME, "GETRANGE", "missing", "1", "x", NULL);
    read_oracle_expect(ro, READ_SAME, "GETRANGE", "list", "0", "1", NULL);
    read_oracle_expect(ro, READ_SAME, "GETRANGE", "s", "0", NULL);
    read_oracle_expect(ro, READ_SAME, "GET", NULL);
    read_oracle_expect(ro, READ_SAME, "GET", "a", "b", NULL);
    read_oracle_expect(ro, READ_SAME, "MGET", NULL);
    read_oracle_expect(ro, READ_SAME, "STRLEN", "a", "b", NULL);
    read_oracle_expect(ro, READ_SAME, "GETRANGE", "s", "1",
                       "99999999999999999999", NULL);
    read_oracle_stop(ro);
}
END_TEST

START_TEST(lcs_matches_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    oracle *o = read_oracle_writer(ro);
    load_strings(o);
    oracle_cmd(o, "SET", "c", "abcXdefYYghi", NULL);
    oracle_cmd(o, "SET", "d", "ZabcdefghiZZ", NULL);
    static const char *const pairs[][2] = {
        {"a", "b"}, {"b", "a"}, {"c", "d"}, {"a", "missing"},
        {"missing", "missing"}, {"a", "e"}, {"s", "bin"}, {"a", "a"},
        {"big", "s"}, {"gone", "a"},
    };
    static const char *const opts[][4] = {
        {NULL},
        {"LEN"},
        {"IDX"},
        {"IDX", "WITHMATCHLEN"},
        {"IDX", "MINMATCHLEN", "4"},
        {"IDX", "MINMATCHLEN", "2", "WITHMATCHLEN"},
        {"idx", "minmatchlen", "-5"},
        {"LEN", "MINMATCHLEN", "3"},
    };
    for (size_t p = 0; p < sizeof pairs / sizeof *pairs; p++) {
        for (size_t q = 0; q < sizeof opts / sizeof *opts; q++) {
            const char *argv[7] = {"LCS", pairs[p][0], pairs[p][1]};
            size_t argc = 3;
            for (size_t j = 0; j < 4 && opts[q][j]; j++)
                argv[argc++] = opts[q][j];
            read_oracle_expectv(ro, READ_SAME, argc, argv, NULL);
        }
    }
    /* A 20001 x 20001 table passes proto-max-bulk-len. */
    read_oracle_expect(ro, READ_SAME, "LCS", "big", "big", "LEN", NULL);
    read_oracle_expect(ro, READ_SAME, "LCS", "a", "list", NULL);
    read_oracle_expect(ro, READ_SAME, "LCS", "list", "missing", "LEN",
                       NULL);
    read_oracle_expect(ro, READ_SAME, "LCS", "a", "b", "LEN", "IDX", NULL);
    read_oracle_expect(ro, READ_SAME, "LCS", "a", "b", "FOO", NULL);
    read_oracle_expect(ro, READ_SAME, "LCS", "a", "b", "MINMATCHLEN", NULL);
    read_oracle_expect(ro, READ_SAME, "LCS", "a", "b", "MINMATCHLEN", "x",
                       NULL);
    read_oracle_expect(ro, READ_SAME, "LCS", "a", NULL);
    read_oracle_stop(ro);
}
END_TEST

START_TEST(bits_match_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    oracle *o = read_oracle_writer(ro);
    load_strings(o);
    static const char *const bkeys[] = {"bits", "ones", "zeros", "e", "s",
                                        "big", "missing", "gone"};
    static const char *const offs[] = {"0", "1", "7", "8", "12", "39", "40",
                                       "1000000", "159999"};
    static const char *const cnt[][3] = {
        {"0", "-1"}, {"1", "2"}, {"-2", "-1"}, {"-1", "-2"}, {"5", "100"},
        {"0", "-1", "BIT"}, {"3", "13", "bit"}, {"5", "5", "BIT"},
        {"-5", "-1", "BIT"}, {"1", "1", "BYTE"}, {"0", "0", "BIT"},
        {"100", "-100", "BIT"}, {"-100", "-90"}, {"7", "8", "BIT"},
    };
    for (size_t i = 0; i < sizeof bkeys / sizeof *bkeys; i++) {
        const char *k = bkeys[i];
        for (size_t j = 0; j < sizeof offs / sizeof *offs; j++)
            read_oracle_expect(ro, READ_SAME, "GETBIT", k, offs[j], NULL);
        read_oracle_expect(ro, READ_SAME, "BITCOUNT", k, NULL);
        for (size_t j = 0; j < sizeof cnt / sizeof *cnt; j++) {
            const char *argv[5] = {"BITCOUNT", k, cnt[j][0], cnt[j][1],
                                   cnt[j][2]};
            read_oracle_expectv(ro, READ_SAME, cnt[j][2] ? 5 : 4, argv,
                                NULL);
        }
        for (int bit = 0; bit <= 1; bit++) {
            const char *b = bit ? "1" : "0";
            read_oracle_expect(ro, READ_SAME, "BITPOS", k, b, NULL);
            read_oracle_expect(ro, READ_SAME, "BITPOS", k, b, "1", NULL);
            read_oracle_expect(ro, READ_SAME, "BITPOS", k, b, "-1", NULL);
            for (size_t j = 0; j < sizeof cnt / sizeof *cnt; j++) {
                const char *argv[6] = {"BITPOS", k, b, cnt[j][0], cnt[j][1],
                                       cnt[j][2]};
                read_oracle_expectv(ro, READ_SAME, cnt[j][2] ? 6 : 5, argv,
                                    NULL);
            }
        }
        read_oracle_expect(ro, READ_SAME, "BITFIELD_RO", k, "GET", "u8", "0",
                           "GET", "i5", "3", "GET", "i64", "1", "GET", "u63",
                           "#1", "GET", "u1", "100000", NULL);
        read_oracle_expect(ro, READ_SAME, "BITFIELD_RO", k, NULL);
    }
    /* Errors, in Redis's order of checks. */
    static const char *const bad[][8] = {
        {"GETBIT", "bits", "-1"},
        {"GETBIT", "bits", "x"},
        {"GETBIT", "bits", "#1"},
        {"GETBIT", "bits", "4294967296"},
        {"GETBIT", "list", "0"},
        {"GETBIT", "list", "x"},
        {"BITCOUNT", "bits", "0"},
        {"BITCOUNT", "bits", "x", "1"},
        {"BITCOUNT", "bits", "0", "1", "FOO"},
        {"BITCOUNT", "bits", "-1", "-2", "FOO"},
        {"BITCOUNT", "missing", "x", "1"},
        {"BITCOUNT", "list"},
        {"BITCOUNT", "bits", "0", "1", "BIT", "x"},
        {"BITPOS", "bits", "2"},
        {"BITPOS", "bits", "x"},
        {"BITPOS", "missing", "1", "x"},
        {"BITPOS", "list", "1"},
        {"BITPOS", "bits", "1", "x"},
        {"BITPOS", "bits", "1", "0", "x"},
        {"BITPOS", "bits", "1", "0", "1", "FOO"},
        {"BITPOS", "bits", "1", "x", "1", "FOO"},
        {"BITPOS", "bits", "1", "0", "x", "FOO"},
        {"BITPOS", "bits", "1", "0", "1", "BIT", "x"},
        {"BITFIELD_RO", "bits", "GET", "u64", "0"},
        {"BITFIELD_RO", "bits", "GET", "i65", "0"},
        {"BITFIELD_RO", "bits", "GET", "x8", "0"},
        {"BITFIELD_RO", "bits", "GET", "u8", "-1"},
        {"BITFIELD_RO", "bits", "GET", "u8"},
        {"BITFIELD_RO", "bits", "SET", "u8", "0", "1"},
        {"BITFIELD_RO", "bits", "INCRBY", "u8", "0", "1"},
        {"BITFIELD_RO", "bits", "OVERFLOW", "SAT", "GET", "u8", "0"},
        {"BITFIELD_RO", "bits", "OVERFLOW", "NOPE"},
        {"BITFIELD_RO", "bits", "SET", "u8", "0", "x"},
        {"BITFIELD_RO", "list", "GET", "u8", "0"},
        {"BITFIELD_RO", "list", "SET", "u8", "0", "1"},
        {"BITFIELD_RO", "bits", "FOO"},
        {"GETBIT", "bits"},
        {"BITPOS", "bits"},
        {"BITFIELD_RO"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t n = 0;
        while (n < 8 && bad[i][n] != NULL)
            n++;
        read_oracle_expectv(ro, READ_SAME, n, bad[i], NULL);
    }
    /* BITFIELD is a write command, even with GETs only: a replica refuses
     * it (Redis, a master here, would answer). */
    size_t n;
    ck_assert_str_eq(read_oracle_ours(ro, 2, &n, "BITFIELD", "bits", "GET",
                                      "u8", "0", NULL),
                     "-READONLY You can't write against a read only "
                     "replica.\r\n");
    read_oracle_stop(ro);
}
END_TEST

/* PFCOUNT of sparse and dense HLLs, unions, missing keys, errors; and it
 * never changes the value (GET after it shows the same bytes). */
START_TEST(pfcount_matches_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    oracle *o = read_oracle_writer(ro);
    load_strings(o);
    oracle_cmd(o, "PFADD", "h1", "a", "b", "c", NULL);
    oracle_cmd(o, "PFADD", "h2", "c", "d", "e", "f", NULL);
    oracle_cmd(o, "PFADD", "h0", NULL);
    size_t per = 500, rounds = 12; /* 6000 elements: dense */
    const char **argv = malloc((per + 2) * sizeof *argv);
    char (*el)[16] = malloc(per * sizeof *el);
    argv[0] = "PFADD";
    argv[1] = "dense";
    for (size_t r = 0; r < rounds; r++) {
        for (size_t i = 0; i < per; i++) {
            snprintf(el[i], sizeof el[i], "e%zu", r * per + i);
            argv[i + 2] = el[i];
        }
        oracle_cmdv(o, per + 2, argv, NULL);
    }
    free(argv);
    free(el);
    /* A sparse HLL whose opcodes cover too few registers: one XZERO. */
    static const char corrupt[] = {'H', 'Y', 'L', 'L', 1, 0, 0, 0, 0, 0, 0,
                                   0, 0, 0, 0, (char)0x80, 0x40, 0x00};
    const char *sv[] = {"SET", "corrupt", corrupt};
    size_t sl[] = {3, 7, sizeof corrupt};
    oracle_cmdv(o, 3, sv, sl);
    setbin(o, "shortdense", "HYLL\0xxxxxxxxxxxxxxxxxxxx", 25);
    static const char *const gets[] = {"h1", "h2", "h0", "dense"};
    for (size_t i = 0; i < 4; i++)
        read_oracle_expect(ro, READ_SAME, "GET", gets[i], NULL);
    size_t n;
    ck_assert_str_eq(read_oracle_ours(ro, 2, &n, "STRLEN", "dense", NULL),
                     ":12304\r\n"); /* HLL_DENSE_SIZE: really dense */
    char *before = strdup(read_oracle_ours(ro, 2, &n, "GET", "h1", NULL));
    static const char *const counts[][4] = {
        {"h1"}, {"h2"}, {"h0"}, {"dense"}, {"missing"},
        {"h1", "h2"}, {"h1", "missing"}, {"missing", "missing"},
        {"dense", "h1", "h2"}, {"h1", "h1"},
        {"s"}, {"list"}, {"corrupt"}, {"shortdense"}, {"e"},
        {"h1", "s"}, {"h1", "list", "s"}, {"h1", "corrupt"},
        {"missing", "corrupt", "s"}, {"gone"},
    };
    for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
        size_t k = 0;
        const char *args[5] = {"PFCOUNT"};
        while (k < 4 && counts[i][k] != NULL) {
            args[k + 1] = counts[i][k];
            k++;
        }
        read_oracle_expectv(ro, READ_SAME, k + 1, args, NULL);
    }
    read_oracle_expect(ro, READ_SAME, "PFCOUNT", NULL);
    ck_assert_str_eq(read_oracle_ours(ro, 3, &n, "PFADD", "h1", "z", NULL),
                     "-READONLY You can't write against a read only "
                     "replica.\r\n");
    /* Ours did not cache anything into the value. */
    ck_assert_str_eq(read_oracle_ours(ro, 2, &n, "GET", "h1", NULL), before);
    free(before);
    read_oracle_stop(ro);
}
END_TEST

Suite *ch11_strings_suite(void)
{
    Suite *s = suite_create("ch11_strings");
    TCase *tc = test_tcase("oracle", 180);
    tcase_add_checked_fixture(tc, NULL, read_oracle_teardown);
    tcase_add_loop_test(tc, strings_match_redis, 0, 2);
    tcase_add_loop_test(tc, lcs_matches_redis, 0, 2);
    tcase_add_loop_test(tc, bits_match_redis, 0, 2);
    tcase_add_loop_test(tc, pfcount_matches_redis, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
