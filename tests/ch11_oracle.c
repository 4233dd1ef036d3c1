/* ch11_oracle.c - chapter 11: the reply scanner, the canonical comparison,
 * and the read oracle against a real redis-server. */
#include "read_oracle.h"
#include "resp_scan.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One reply of every type, RESP2 and RESP3. */
static const char *const samples[] = {
    "+OK\r\n",
    "-ERR no such thing\r\n",
    ":-42\r\n",
    "$0\r\n\r\n",
    "$5\r\na\r\nbc\r\n",
    "$-1\r\n",
    "*-1\r\n",
    "*0\r\n",
    "*3\r\n:1\r\n*2\r\n+a\r\n$1\r\nb\r\n$-1\r\n",
    "%2\r\n+k\r\n:1\r\n$2\r\nk2\r\n~2\r\n+x\r\n+y\r\n",
    "~1\r\n,1.5\r\n",
    ",-inf\r\n",
    "_\r\n",
    "#t\r\n",
    "#f\r\n",
    "(3492890328409238509324850943850943825024385\r\n",
    "=8\r\ntxt:hi\r\n\r\n",
    "!3\r\nbad\r\n",
    ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nm\r\n",
    "|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n",
};

START_TEST(scan_finds_each_reply_end)
{
    for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
        const char *s = samples[i];
        size_t len = strlen(s), used = 0;
        char why[200] = "";
        ck_assert_msg(resp_scan(s, len, &used, why, sizeof why) == 1,
                      "sample %zu: %s", i, why);
        ck_assert_uint_eq(used, len);
        /* Every proper prefix asks for more. */
        for (size_t k = 0; k < len; k++)
            ck_assert_msg(resp_scan(s, k, &used, why, sizeof why) == 0,
                          "sample %zu cut at %zu: not 'need more' (%s)", i,
                          k, why);
        /* Bytes after it are not part of it. */
        char two[256];
        snprintf(two, sizeof two, "%s+NEXT\r\n", s);
        ck_assert_int_eq(resp_scan(two, strlen(two), &used, NULL, 0), 1);
        ck_assert_uint_eq(used, len);
    }
}
END_TEST

START_TEST(scan_refuses_what_is_not_resp)
{
    static const struct {
        const char *bytes;
        const char *why;
    } cases[] = {
        {"?x\r\n", "byte 0: unknown type byte 0x3f"},
        {"$3\r\nabcd\r\n", "byte 7: string of 3 bytes not followed by CRLF"},
        {":12a\r\n", "byte 1: bad integer"},
        {"#x\r\n", "byte 1: boolean neither t nor f"},
        {"_x\r\n", "byte 1: null with text"},
        {"*-2\r\n", "byte 1: negative length -2"},
        {"%-1\r\n", "byte 1: negative length -1"},
        {"$abc\r\n", "byte 1: bad length \"abc\""},
        {"+OK\rX\n", "byte 4: CR not followed by LF"},
        {"*2\r\n:1\r\n!x\r\n", "byte 9: bad length \"x\""},
        {"=2\r\nab\r\n", "byte 4: verbatim string without a format"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char why[200] = "";
        size_t used;
        ck_assert_msg(resp_scan(cases[i].bytes, strlen(cases[i].bytes),
                                &used, why, sizeof why) == -1,
                      "case %zu accepted", i);
        ck_assert_str_eq(why, cases[i].why);
    }
    /* Nesting deeper than the limit. */
    char deep[1024] = "";
    for (int i = 0; i <= RESP_SCAN_MAX_DEPTH; i++)
        strcat(deep, "*1\r\n");
    strcat(deep, ":1\r\n");
    char why[200] = "";
    size_t used;
    ck_assert_int_eq(resp_scan(deep, strlen(deep), &used, why, sizeof why),
                     -1);
    ck_assert_ptr_nonnull(strstr(why, "nested deeper than 64"));
    char ok[1024] = "";
    for (int i = 0; i < RESP_SCAN_MAX_DEPTH; i++)
        strcat(ok, "*1\r\n");
    strcat(ok, ":1\r\n");
    ck_assert_int_eq(resp_scan(ok, strlen(ok), &used, NULL, 0), 1);
}
END_TEST

/* Equal under flags? (1, 0, -1 as resp_reply_equal) */
static int eq(const char *a, const char *b, unsigned flags)
{
    char why[200];
    return resp_reply_equal(a, strlen(a), b, strlen(b), flags, why,
                            sizeof why);
}

START_TEST(canonical_forms)
{
    const unsigned top = RESP_CANON_TOP, all = RESP_CANON_TOP |
                         RESP_CANON_NESTED;
    const char *ab = "*2\r\n$1\r\na\r\n$1\r\nb\r\n";
    const char *ba = "*2\r\n$1\r\nb\r\n$1\r\na\r\n";
    ck_assert_int_eq(eq(ab, ab, 0), 1);
    ck_assert_int_eq(eq(ab, ba, 0), 0);
    ck_assert_int_eq(eq(ab, ba, top), 1);
    /* Multisets: a a b is not a b b. */
    ck_assert_int_eq(eq("*3\r\n+a\r\n+a\r\n+b\r\n", "*3\r\n+a\r\n+b\r\n+b\r\n",
                        top), 0);
    /* Pairs stay pairs: {a:1, b:2} is not {a:2, b:1}. */
    const char *p1 = "*4\r\n+a\r\n:1\r\n+b\r\n:2\r\n";
    const char *p2 = "*4\r\n+b\r\n:2\r\n+a\r\n:1\r\n";
    const char *p3 = "*4\r\n+a\r\n:2\r\n+b\r\n:1\r\n";
    ck_assert_int_eq(eq(p1, p2, top | RESP_CANON_PAIRS), 1);
    ck_assert_int_eq(eq(p1, p3, top | RESP_CANON_PAIRS), 0);
    ck_assert_int_eq(eq(p1, p3, top), 1); /* as plain elements they match */
    /* RESP3 maps and sets at depth, with RESP_CANON_NESTED only. */
    const char *m1 = "*2\r\n%2\r\n+a\r\n~2\r\n:1\r\n:2\r\n+b\r\n:0\r\n_\r\n";
    const char *m2 = "*2\r\n%2\r\n+b\r\n:0\r\n+a\r\n~2\r\n:2\r\n:1\r\n_\r\n";
    ck_assert_int_eq(eq(m1, m2, top), 0);
    ck_assert_int_eq(eq(m1, m2, RESP_CANON_NESTED), 1);
    ck_assert_int_eq(eq(m1, m2, all), 1);
    /* Nested arrays keep their order. */
    ck_assert_int_eq(eq("*1\r\n*2\r\n:1\r\n:2\r\n", "*1\r\n*2\r\n:2\r\n:1\r\n",
                        all), 0);
    /* Types count: +a is not $1 a, RESP3's set is not an array. */
    ck_assert_int_eq(eq("+a\r\n", "$1\r\na\r\n", all), 0);
    ck_assert_int_eq(eq("~1\r\n:1\r\n", "*1\r\n:1\r\n", all), 0);
    /* An attribute is dropped. */
    ck_assert_int_eq(eq("|1\r\n+ttl\r\n:3\r\n$1\r\nv\r\n", "$1\r\nv\r\n", all),
                     1);
    /* The canonical form itself, sorted bytewise. */
    char *c;
    size_t n;
    char why[200] = "";
    ck_assert_int_eq(resp_canonical(p2, strlen(p2), top | RESP_CANON_PAIRS,
                                    &c, &n, why, sizeof why), 0);
    ck_assert_bytes_str(c, n, "*4\r\n+a\r\n:1\r\n+b\r\n:2\r\n");
    free(c);
    /* Malformed, cut short, or followed by more: an error naming why. */
    ck_assert_int_eq(eq(ab, "*2\r\n$1\r\na\r\n", top), -1);
    ck_assert_int_eq(resp_canonical("*1\r\n:1\r\n", 4, top, &c, &n, why,
                                    sizeof why), -1);
    ck_assert_str_eq(why, "byte 4: the reply is cut short");
    ck_assert_int_eq(resp_canonical("+a\r\n+b\r\n", 8, top, &c, &n, why,
                                    sizeof why), -1);
    ck_assert_str_eq(why, "byte 4: 4 bytes after the reply");
    ck_assert_int_eq(resp_canonical("*3\r\n:1\r\n:2\r\n:3\r\n", 16,
                                    top | RESP_CANON_PAIRS, &c, &n, why,
                                    sizeof why), -1);
    ck_assert_str_eq(why, "byte 1: odd number of elements for pairs");
}
END_TEST

/* SCAN-like replies: the cursor exact, the elements in any order. */
START_TEST(scan_replies)
{
    const char *a = "*2\r\n$1\r\n0\r\n*4\r\n+a\r\n:1\r\n+b\r\n:2\r\n";
    const char *b = "*2\r\n$1\r\n0\r\n*4\r\n+b\r\n:2\r\n+a\r\n:1\r\n";
    const char *c = "*2\r\n$1\r\n7\r\n*4\r\n+b\r\n:2\r\n+a\r\n:1\r\n";
    const char *d = "*2\r\n$1\r\n0\r\n*4\r\n+b\r\n:1\r\n+a\r\n:2\r\n";
    size_t la = strlen(a), lb = strlen(b), lc = strlen(c), ld = strlen(d);
    char why[200];
    ck_assert_int_eq(read_oracle_equal(a, la, b, lb, READ_SAME, why,
                                       sizeof why), 0);
    ck_assert_int_eq(read_oracle_equal(a, la, b, lb, READ_UNORDERED, why,
                                       sizeof why), 0);
    ck_assert_int_eq(read_oracle_equal(a, la, b, lb, READ_SCAN, why,
                                       sizeof why), 1);
    ck_assert_int_eq(read_oracle_equal(a, la, c, lc, READ_SCAN, why,
                                       sizeof why), 0);
    ck_assert_int_eq(read_oracle_equal(a, la, d, ld, READ_SCAN, why,
                                       sizeof why), 1);
    ck_assert_int_eq(read_oracle_equal(a, la, d, ld, READ_SCAN | READ_PAIRS,
                                       why, sizeof why), 0);
    ck_assert_int_eq(read_oracle_equal(a, la, b, lb, READ_SCAN | READ_PAIRS,
                                       why, sizeof why), 1);
    /* Not SCAN-shaped (an error): compared as the other flags say. */
    ck_assert_int_eq(read_oracle_equal("-ERR x\r\n", 8, "-ERR x\r\n", 8,
                                       READ_SCAN, why, sizeof why), 1);
}
END_TEST

static const char *const variants[] = {"hamt", "ptrie"};

/* Errors the dispatcher writes are Redis's, byte for byte, both protocols. */
START_TEST(dispatcher_errors_match_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    oracle *o = read_oracle_writer(ro);
    oracle_cmd(o, "SET", "k", "v", NULL);
    read_oracle_expect(ro, READ_SAME, "FOO", "a", "b", NULL);
    read_oracle_expect(ro, READ_SAME, "foo", NULL);
    read_oracle_expect(ro, READ_SAME, "SET", "k", NULL);
    read_oracle_expect(ro, READ_SAME, "hset", "k", "f", NULL);
    read_oracle_expect(ro, READ_SAME, "LPUSH", NULL);
    read_oracle_expect(ro, READ_UNORDERED, "ZADD", "k", "1", NULL);
    const char *bin[] = {"NOPE", "a\0b", ""};
    const size_t lens[] = {4, 3, 0};
    read_oracle_expectv(ro, READ_SAME, 3, bin, lens);
    read_oracle_select(ro, 5);
    read_oracle_expect(ro, READ_SAME, "BAR", "x", NULL);
    read_oracle_stop(ro);
}
END_TEST

/* A reply that differs is reported with the command and both replies. */
START_TEST(a_difference_is_reported)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    /* Written to Redis only: the keyspace never sees it. */
    size_t n;
    const char *r = read_oracle_redis(ro, 2, &n, "SET", "only", "x", NULL);
    ck_assert_bytes_str(r, n, "+OK\r\n");
    const char *argv[] = {"GET", "only"};
    char why[4500] = "";
    ck_assert_int_eq(read_oracle_comparev(ro, READ_SAME, 2, argv, NULL, why,
                                          sizeof why), 0);
    ck_assert_msg(strstr(why, "\"GET\" \"only\" (RESP2, db 0, bytes): "
                         "replies differ") != NULL, "%s", why);
    ck_assert_msg(strstr(why, "redis-server: $1\\r\\nx\\r\\n") != NULL, "%s",
                  why);
    ck_assert_int_eq(read_oracle_comparev(ro, READ_UNORDERED, 2, argv, NULL,
                                          why, sizeof why), 0);
    ck_assert_msg(strstr(why, "unordered") != NULL, "%s", why);
    /* The same command agrees once it is on both sides... in Redis's words
     * at least for an error every table gives. */
    const char *foo[] = {"FOO"};
    ck_assert_int_eq(read_oracle_comparev(ro, READ_SAME, 1, foo, NULL, why,
                                          sizeof why), 1);
    read_oracle_stop(ro);
}
END_TEST

/* The raw sides: RESP2 and RESP3 connections, our in-process run, SELECT. */
START_TEST(each_side_alone)
{
    read_oracle *ro = read_oracle_start(NULL);
    size_t n;
    const char *r = read_oracle_redis(ro, 2, &n, "CONFIG", "GET",
                                      "maxmemory", NULL);
    ck_assert_bytes_str(r, n, "*2\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
    r = read_oracle_redis(ro, 3, &n, "CONFIG", "GET", "maxmemory", NULL);
    ck_assert_bytes_str(r, n, "%1\r\n$9\r\nmaxmemory\r\n$1\r\n0\r\n");
    r = read_oracle_ours(ro, 3, &n, "zz", "1", NULL);
    ck_assert_bytes_str(r, n, "-ERR unknown command 'zz', with args "
                              "beginning with: '1' \r\n");
    ck_assert_uint_eq(strlen(r), n); /* NUL-terminated */
    oracle *o = read_oracle_writer(ro);
    oracle_cmd(o, "SELECT", "3", NULL);
    oracle_cmd(o, "SET", "a", "1", NULL);
    oracle_cmd(o, "SET", "b", "2", NULL);
    r = read_oracle_redis(ro, 2, &n, "DBSIZE", NULL);
    ck_assert_bytes_str(r, n, ":0\r\n");
    read_oracle_select(ro, 3);
    r = read_oracle_redis(ro, 3, &n, "DBSIZE", NULL);
    ck_assert_bytes_str(r, n, ":2\r\n");
    r = read_oracle_redis(ro, 2, &n, "MGET", "a", "b", "c", NULL);
    ck_assert_bytes_str(r, n, "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$-1\r\n");
    r = read_oracle_redis(ro, 3, &n, "MGET", "c", NULL);
    ck_assert_bytes_str(r, n, "*1\r\n_\r\n");
    read_oracle_stop(ro);
}
END_TEST

Suite *ch11_oracle_suite(void)
{
    Suite *s = suite_create("ch11_oracle");
    TCase *tc = test_tcase("comparator", 30);
    tcase_add_test(tc, scan_finds_each_reply_end);
    tcase_add_test(tc, scan_refuses_what_is_not_resp);
    tcase_add_test(tc, canonical_forms);
    tcase_add_test(tc, scan_replies);
    suite_add_tcase(s, tc);
    tc = test_tcase("oracle", 60);
    tcase_add_checked_fixture(tc, NULL, read_oracle_teardown);
    tcase_add_loop_test(tc, dispatcher_errors_match_redis, 0, 2);
    tcase_add_loop_test(tc, a_difference_is_reported, 0, 2);
    tcase_add_test(tc, each_side_alone);
    suite_add_tcase(s, tc);
    return s;
}
