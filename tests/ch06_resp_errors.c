/* ch06_resp_errors.c - chapter 6: malformed input and limits.
 *
 * Each case is a byte string, the limits to parse it under, and the exact
 * error the parser must give: the absolute offset of the offending byte and
 * what was expected there.  Every case is parsed whole, split at every
 * point, and one byte at a time; the error must not depend on the split.
 */
#include "resp.h"
#include "test_util.h"

#include <stdio.h>
#include <string.h>

typedef struct bad_case {
    const char *in;
    size_t len;
    /* limit overrides; 0 keeps the default */
    uint64_t max_bulk, max_array, max_value;
    unsigned max_depth;
    size_t max_line;
    bool no_inline;
    uint64_t offset;
    const char *msg;      /* the whole message, offset included */
} bad_case;

#define IN(lit) lit, sizeof(lit) - 1
#define TYPE_BYTE "expected a type byte ('+', '-', ':', '$' or '*')"

/* [ch06-test-bad] */
static const bad_case bad[] = {
    { IN("+OK\rX"), .offset = 4,
      .msg = "byte 4: expected '\\n' after '\\r', got 'X'" },
    { IN("+O\nK\r\n"), .offset = 2,
      .msg = "byte 2: expected '\\r' before '\\n' in simple string" },
    { IN("-ERR\n"), .offset = 4,
      .msg = "byte 4: expected '\\r' before '\\n' in error reply" },
    { IN(":\r\n"), .offset = 1,
      .msg = "byte 1: expected a digit or '-' in integer, got '\\r'" },
    { IN(":12a\r\n"), .offset = 3,
      .msg = "byte 3: expected a digit or '\\r' in integer, got 'a'" },
    { IN(":-\r\n"), .offset = 2,
      .msg = "byte 2: expected a digit in integer, got '\\r'" },
    { IN(":--1\r\n"), .offset = 2,
      .msg = "byte 2: expected a digit in integer, got '-'" },
    { IN(":9223372036854775808\r\n"), .offset = 19,
      .msg = "byte 19: integer does not fit in 64 bits" },
    { IN("$\r\n"), .offset = 1,
      .msg = "byte 1: expected a digit or '-' in bulk length, got '\\r'" },
    { IN("$-2\r\n"), .offset = 2,
      .msg = "byte 2: expected '1' after '-' (only -1 may be negative), got '2'" },
    { IN("$-10\r\n"), .offset = 3,
      .msg = "byte 3: expected '\\r' after -1, got '0'" },
    { IN("$3\nabc\r\n"), .offset = 2,
      .msg = "byte 2: expected a digit or '\\r' in bulk length, got '\\n'" },
    { IN("$3\r\nabcX"), .offset = 7,
      .msg = "byte 7: expected '\\r' after the 3-byte payload of a bulk string, got 'X'" },
    { IN("$3\r\nabc\rX"), .offset = 8,
      .msg = "byte 8: expected '\\n' after '\\r', got 'X'" },
    { IN("*1\r\n$1\r\na\n"), .offset = 9,
      .msg = "byte 9: expected '\\r' after the 1-byte payload of a bulk string, got '\\n'" },
    { IN("$2\r\nab\r\r"), .offset = 7,
      .msg = "byte 7: expected '\\n' after '\\r', got '\\r'" },
    { IN("* 1\r\n"), .offset = 1,
      .msg = "byte 1: expected a digit or '-' in array length, got ' '" },
    { IN("*1x\r\n"), .offset = 2,
      .msg = "byte 2: expected a digit or '\\r' in array length, got 'x'" },
    { IN("*2\r\n:1\r\nfoo\r\n"), .offset = 8,
      .msg = "byte 8: " TYPE_BYTE " for an array element, got 'f'" },
    { IN("*1\r\n\xff"), .offset = 4,
      .msg = "byte 4: " TYPE_BYTE " for an array element, got '\\xff'" },
    { IN("GET k\r\n"), .no_inline = true, .offset = 0,
      .msg = "byte 0: " TYPE_BYTE ", got 'G'" },
    { IN("+OK\r\n\r\n"), .no_inline = true, .offset = 5,
      .msg = "byte 5: " TYPE_BYTE ", got '\\r'" },
    { IN("+OK\r\n:1\r\r\n"), .offset = 8,
      .msg = "byte 8: expected '\\n' after '\\r', got '\\r'" },
    { IN("*1\r\n:1\r\n:2\r\n\x01\x02\r\n:x"), .offset = 17,
      .msg = "byte 17: expected a digit or '-' in integer, got 'x'" },
    /* limits */
    { IN("$2147483647\r\n"), .offset = 10,
      .msg = "byte 10: bulk length exceeds the limit of 536870912" },
    { IN("$11\r\n"), .max_bulk = 10, .offset = 2,
      .msg = "byte 2: bulk length exceeds the limit of 10" },
    { IN("*4\r\n"), .max_array = 3, .offset = 1,
      .msg = "byte 1: array length exceeds the limit of 3" },
    { IN("*99999999999\r\n"), .offset = 10,
      .msg = "byte 10: array length exceeds the limit of 2147483647" },
    { IN("*1\r\n*1\r\n*1\r\n:1\r\n"), .max_depth = 2, .offset = 8,
      .msg = "byte 8: arrays nested deeper than the limit of 2" },
    { IN("+123456789\r\n"), .max_line = 8, .offset = 9,
      .msg = "byte 9: simple string longer than the limit of 8 bytes" },
    { IN("PING PING\r\n"), .max_line = 8, .offset = 8,
      .msg = "byte 8: inline command longer than the limit of 8 bytes" },
    { IN("$000000001\r\nx\r\n"), .max_line = 4, .offset = 5,
      .msg = "byte 5: bulk length line longer than the limit of 4 bytes" },
    { IN("*3\r\n$5\r\nhello\r\n$5\r\nworld\r\n"), .max_value = 20, .offset = 15,
      .msg = "byte 15: a bulk string of 5 bytes would make the value longer "
             "than the limit of 20 bytes" },
    { IN("*3\r\n:1\r\n:2\r\n:3\r\n"), .max_value = 6, .offset = 8,
      .msg = "byte 8: value longer than the limit of 6 bytes" },
};
/* [ch06-test-bad] */
#define NBAD (sizeof bad / sizeof bad[0])

static resp_limits limits_of(const bad_case *c)
{
    resp_limits l = resp_limits_default();
    if (c->max_bulk) l.max_bulk = c->max_bulk;
    if (c->max_array) l.max_array = c->max_array;
    if (c->max_value) l.max_value = c->max_value;
    if (c->max_depth) l.max_depth = c->max_depth;
    if (c->max_line) l.max_line = c->max_line;
    l.allow_inline = !c->no_inline;
    return l;
}

/* Feed in[0..cut) then in[cut..len) in pieces of chunk bytes (0 = whole);
 * return the status of the last call.  Values are freed as they come. */
static resp_status feed_split(resp_parser *p, const char *in, size_t len,
                              size_t cut, size_t chunk)
{
    resp_status st = RESP_NEED_MORE;
    size_t pos = 0;
    while (pos < len) {
        size_t end = pos < cut ? cut : len;
        size_t piece = end - pos;
        if (chunk && chunk < piece) piece = chunk;
        size_t off = 0;
        while (off < piece) {
            size_t used;
            resp_value v;
            st = resp_parse(p, in + pos + off, piece - off, &used, &v);
            off += used;
            if (st == RESP_ERR) return st;
            if (st == RESP_OK) resp_value_clear(&v);
        }
        pos += piece;
    }
    return st;
}

static void expect_error(const bad_case *c, size_t cut, size_t chunk)
{
    resp_limits l = limits_of(c);
    resp_parser p;
    resp_parser_init(&p, &l);
    resp_status st = feed_split(&p, c->in, c->len, cut, chunk);
    ck_assert_msg(st == RESP_ERR, "input \"%s\" (cut %zu, chunk %zu): no error",
                  c->in, cut, chunk);
    ck_assert_str_eq(resp_parser_error(&p), c->msg);
    ck_assert_uint_eq(p.err_offset, c->offset);
    resp_parser_free(&p);
}

START_TEST(malformed_input_names_the_byte)
{
    const bad_case *c = &bad[_i];
    expect_error(c, c->len, 0);                      /* whole */
    expect_error(c, c->len, 1);                      /* byte by byte */
    for (size_t cut = 0; cut <= c->len; cut++) expect_error(c, cut, 0);
}
END_TEST

START_TEST(limits_allow_exactly_the_limit)
{
    resp_limits l = resp_limits_default();
    l.max_bulk = 3;
    l.max_array = 2;
    l.max_depth = 2;
    l.max_line = 4;
    l.max_value = 22;
    const char in[] = "*2\r\n*2\r\n$3\r\nabc\r\n+abcd\r\n:1\r\n"; /* 28 bytes */
    resp_parser p;
    resp_parser_init(&p, &l);
    ck_assert_int_eq(feed_split(&p, in, sizeof in - 1, sizeof in - 1, 0), RESP_ERR);
    ck_assert_str_eq(resp_parser_error(&p),
                     "byte 24: value longer than the limit of 22 bytes");
    resp_parser_free(&p);
    l.max_value = 28;
    resp_parser_init(&p, &l);
    ck_assert_int_eq(feed_split(&p, in, sizeof in - 1, sizeof in - 1, 0), RESP_OK);
    ck_assert_uint_eq(p.last_size, 28);
    resp_parser_free(&p);
}
END_TEST

START_TEST(a_huge_announcement_allocates_nothing_big)
{
    /* $536870912 is allowed, but the parser must not allocate 512 MiB
     * on the peer's word: memory follows the bytes that arrive.  The
     * buffer the parser holds after a few bytes of payload must be small
     * (bulk_cap is private; a test may look). */
    const char in[] = "$536870912\r\nabc";
    resp_parser p;
    resp_parser_init(&p, NULL);
    ck_assert_int_eq(feed_split(&p, in, sizeof in - 1, sizeof in - 1, 0), RESP_NEED_MORE);
    ck_assert_uint_le(p.bulk_cap, 4096);
    resp_parser_free(&p);
}
END_TEST

START_TEST(error_state_is_sticky)
{
    resp_parser p;
    resp_parser_init(&p, NULL);
    const char in[] = "+OK\r\n$x";
    ck_assert_int_eq(feed_split(&p, in, sizeof in - 1, sizeof in - 1, 0), RESP_ERR);
    const char *msg = "byte 6: expected a digit or '-' in bulk length, got 'x'";
    ck_assert_str_eq(resp_parser_error(&p), msg);
    size_t used = 99;
    resp_value v;
    ck_assert_int_eq(resp_parse(&p, "+OK\r\n", 5, &used, &v), RESP_ERR);
    ck_assert_uint_eq(used, 0);
    const char *line;
    size_t ll;
    ck_assert_int_eq(resp_read_line(&p, "x\n", 2, &used, &line, &ll), RESP_ERR);
    ck_assert_int_eq(resp_parser_advance(&p, 1), -1);
    ck_assert_str_eq(resp_parser_error(&p), msg);    /* the first error stays */
    ck_assert_uint_eq(p.err_offset, 6);
    resp_parser_free(&p);

    resp_parser_init(&p, NULL);
    ck_assert_ptr_null(resp_parser_error(&p));
    resp_parser_free(&p);
}
END_TEST

START_TEST(mixing_modes_mid_value_is_an_error)
{
    resp_parser p;
    resp_value v;
    const char *line;
    size_t used, ll;

    resp_parser_init(&p, NULL);
    ck_assert_int_eq(resp_parse(&p, "*2\r\n:1\r\n", 8, &used, &v), RESP_NEED_MORE);
    ck_assert_int_eq(resp_read_line(&p, "x\n", 2, &used, &line, &ll), RESP_ERR);
    ck_assert_str_eq(resp_parser_error(&p),
                     "byte 8: resp_read_line() called with a value half parsed");
    resp_parser_free(&p);

    resp_parser_init(&p, NULL);
    ck_assert_int_eq(resp_read_line(&p, "+FULL", 5, &used, &line, &ll), RESP_NEED_MORE);
    ck_assert_int_eq(resp_parse(&p, "+OK\r\n", 5, &used, &v), RESP_ERR);
    ck_assert_str_eq(resp_parser_error(&p),
                     "byte 5: resp_parse() called with a line half read");
    resp_parser_free(&p);

    resp_parser_init(&p, NULL);
    ck_assert_int_eq(resp_parse(&p, "$5\r\nab", 6, &used, &v), RESP_NEED_MORE);
    ck_assert_int_eq(resp_parser_advance(&p, 3), -1);
    ck_assert_str_eq(resp_parser_error(&p),
                     "byte 6: resp_parser_advance() called with a value or line half read");
    resp_parser_free(&p);
}
END_TEST

START_TEST(read_line_limit)
{
    resp_limits l = resp_limits_default();
    l.max_line = 4;
    resp_parser p;
    const char *line;
    size_t used, ll;

    resp_parser_init(&p, &l);                       /* 4 bytes + CR: fine */
    ck_assert_int_eq(resp_read_line(&p, "1234\r\n", 6, &used, &line, &ll), RESP_OK);
    ck_assert_bytes_str(line, ll, "1234");
    ck_assert_int_eq(resp_read_line(&p, "12345\n", 6, &used, &line, &ll), RESP_ERR);
    ck_assert_str_eq(resp_parser_error(&p), "byte 10: line longer than the limit of 4 bytes");
    resp_parser_free(&p);

    resp_parser_init(&p, &l);                       /* fed a byte at a time */
    const char in[] = "123456\r\n";
    resp_status st = RESP_NEED_MORE;
    for (size_t i = 0; i < sizeof in - 1 && st == RESP_NEED_MORE; i++)
        st = resp_read_line(&p, in + i, 1, &used, &line, &ll);
    ck_assert_int_eq(st, RESP_ERR);
    ck_assert_str_eq(resp_parser_error(&p), "byte 4: line longer than the limit of 4 bytes");
    resp_parser_free(&p);
}
END_TEST

Suite *ch06_resp_errors_suite(void)
{
    Suite *s = suite_create("ch06_resp_errors");
    TCase *tc = test_tcase("malformed", 30);
    tcase_add_loop_test(tc, malformed_input_names_the_byte, 0, (int)NBAD);
    suite_add_tcase(s, tc);
    tc = test_tcase("limits", 10);
    tcase_add_test(tc, limits_allow_exactly_the_limit);
    tcase_add_test(tc, a_huge_announcement_allocates_nothing_big);
    tcase_add_test(tc, read_line_limit);
    suite_add_tcase(s, tc);
    tc = test_tcase("error_state", 10);
    tcase_add_test(tc, error_state_is_sticky);
    tcase_add_test(tc, mixing_modes_mid_value_is_an_error);
    suite_add_tcase(s, tc);
    return s;
}
