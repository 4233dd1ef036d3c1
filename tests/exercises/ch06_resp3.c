/* ch06_resp3.c - exercise 6.1: RESP3 header lines (exercises/ch06/resp3.c). */
#include "resp.h"
#include "resp3.h"
#include "test_util.h"

#include <math.h>
#include <string.h>

/* Decode a literal; fail with the function's own message if it refuses. */
static resp3_item ok(const char *line)
{
    resp3_item it;
    char err[160] = "";
    int rc = resp3_decode_line(line, strlen(line), &it, err, sizeof err);
    ck_assert_msg(rc == 0, "resp3_decode_line(\"%s\") failed: %s", line, err);
    return it;
}

static void bad(const char *line)
{
    resp3_item it;
    char err[160] = "";
    int rc = resp3_decode_line(line, strlen(line), &it, err, sizeof err);
    ck_assert_msg(rc == -1, "resp3_decode_line(\"%s\") should fail "
                  "(exercise 6.1, exercises/ch06/resp3.c)", line);
    ck_assert_msg(err[0] != '\0', "an error for \"%s\" needs a message", line);
}

START_TEST(scalars)
{
    resp3_item it = ok("_");
    ck_assert_int_eq(it.kind, R3_NULL);
    it = ok("#t");
    ck_assert_int_eq(it.kind, R3_BOOLEAN);
    ck_assert(it.boolean);
    it = ok("#f");
    ck_assert(!it.boolean);
    it = ok(",3.25");
    ck_assert_int_eq(it.kind, R3_DOUBLE);
    ck_assert(it.dbl == 3.25);
    it = ok(",-1e3");
    ck_assert(it.dbl == -1000.0);
    it = ok(",inf");
    ck_assert(isinf(it.dbl) && it.dbl > 0);
    it = ok(",-inf");
    ck_assert(isinf(it.dbl) && it.dbl < 0);
    it = ok(",nan");
    ck_assert(isnan(it.dbl));
    it = ok("(3492890328409238509324850943850943825024385");
    ck_assert_int_eq(it.kind, R3_BIGNUM);
    ck_assert_bytes_str(it.text, it.text_len, "3492890328409238509324850943850943825024385");
    it = ok("(-12");
    ck_assert_bytes_str(it.text, it.text_len, "-12");
    it = ok(":-7");
    ck_assert_int_eq(it.kind, R3_INTEGER);
    ck_assert_int_eq(it.integer, -7);
    it = ok("+hello");
    ck_assert_int_eq(it.kind, R3_SIMPLE);
    ck_assert_bytes_str(it.text, it.text_len, "hello");
}
END_TEST

START_TEST(aggregates)
{
    resp3_item it = ok("%2");
    ck_assert_int_eq(it.kind, R3_MAP);
    ck_assert_uint_eq(it.count, 4);          /* two keys, two values */
    it = ok("~3");
    ck_assert_int_eq(it.kind, R3_SET);
    ck_assert_uint_eq(it.count, 3);
    it = ok(">0");
    ck_assert_int_eq(it.kind, R3_PUSH);
    ck_assert_uint_eq(it.count, 0);
    it = ok("*5");
    ck_assert_int_eq(it.kind, R3_ARRAY);
    ck_assert_uint_eq(it.count, 5);
}
END_TEST

START_TEST(malformed)
{
    const char *cases[] = { "", "_x", "#", "#true", "#T", ",", ",1.5x", ",abc",
                            "(", "(-", "(12a", ":", ":1.0", "%", "%-1", "~x",
                            ">1 ", "!5", "?" };
    ok("#t");                /* a good line first: refusing all is no answer */
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) bad(cases[i]);
}
END_TEST

START_TEST(walk_a_stream)
{
    /* A RESP3 reply split into lines by resp_read_line(): a map of two
     * pairs, one value a set.  Walking it with the counts must account
     * for every line and end exactly at the end of the stream. */
    const char in[] = "%2\r\n+proto\r\n:3\r\n+flags\r\n~3\r\n#t\r\n,0.5\r\n_\r\n";
    resp_parser p;
    resp_parser_init(&p, NULL);
    size_t pos = 0, used, ll;
    const char *line;
    uint64_t owed = 1;                      /* values still to read */
    int lines = 0;
    while (owed > 0) {
        ck_assert_int_eq(resp_read_line(&p, in + pos, sizeof in - 1 - pos,
                                        &used, &line, &ll), RESP_OK);
        pos += used;
        lines++;
        resp3_item it = ok(line);
        owed = owed - 1 + it.count;
    }
    ck_assert_int_eq(lines, 8);
    ck_assert_uint_eq(pos, sizeof in - 1);
    resp_parser_free(&p);
}
END_TEST

Suite *ex06_resp3_suite(void)
{
    Suite *s = suite_create("ex06_resp3");
    TCase *tc = test_tcase("resp3", 10);
    tcase_add_test(tc, scalars);
    tcase_add_test(tc, aggregates);
    tcase_add_test(tc, malformed);
    tcase_add_test(tc, walk_a_stream);
    suite_add_tcase(s, tc);
    return s;
}
