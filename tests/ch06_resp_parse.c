/* ch06_resp_parse.c - chapter 6: every RESP type, split reads, offsets. */
#include "resp.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parse a whole buffer fed in pieces of `chunk` bytes (0 = all at once);
 * collect up to max values and their sizes.  Returns the final status
 * (RESP_NEED_MORE when the input ran out, RESP_ERR on an error) and leaves
 * the parser open so a test can look at it. */
static resp_status feed(resp_parser *p, const char *in, size_t len,
                        size_t chunk, resp_value *vals, uint64_t *sizes,
                        size_t max, size_t *n)
{
    *n = 0;
    size_t pos = 0;
    while (pos < len) {
        size_t piece = chunk && chunk < len - pos ? chunk : len - pos;
        size_t off = 0;
        while (off < piece) {
            size_t used;
            resp_value v;
            resp_status st = resp_parse(p, in + pos + off, piece - off, &used, &v);
            ck_assert_uint_le(used, piece - off);
            off += used;
            if (st == RESP_ERR) return st;
            if (st == RESP_OK) {
                if (*n < max) {          /* extra values are counted, dropped */
                    vals[*n] = v;
                    if (sizes) sizes[*n] = p->last_size;
                } else {
                    resp_value_clear(&v);
                }
                (*n)++;
            } else {
                ck_assert_uint_eq(off, piece); /* NEED_MORE ate everything */
            }
        }
        pos += piece;
    }
    return RESP_NEED_MORE;
}

/* Parse exactly one value from a literal; assert nothing is left over. */
static resp_value one(const char *in, size_t len)
{
    resp_parser p;
    resp_parser_init(&p, NULL);
    resp_value v;
    size_t n;
    ck_assert_int_eq(feed(&p, in, len, 0, &v, NULL, 1, &n), RESP_NEED_MORE);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(p.last_size, len);
    ck_assert_uint_eq(p.offset, len);
    resp_parser_free(&p);
    return v;
}
#define ONE(lit) one(lit, sizeof(lit) - 1)

START_TEST(simple_error_integer)
{
    resp_value v = ONE("+OK\r\n");
    ck_assert_int_eq(v.type, RESP_SIMPLE);
    ck_assert_bytes_str(v.str, v.len, "OK");
    ck_assert_int_eq(v.str[v.len], '\0');
    resp_value_clear(&v);

    v = ONE("+\r\n");
    ck_assert_int_eq(v.type, RESP_SIMPLE);
    ck_assert_uint_eq(v.len, 0);
    resp_value_clear(&v);

    v = ONE("-ERR unknown command 'foo'\r\n");
    ck_assert_int_eq(v.type, RESP_ERROR);
    ck_assert_bytes_str(v.str, v.len, "ERR unknown command 'foo'");
    resp_value_clear(&v);

    v = ONE(":0\r\n");
    ck_assert_int_eq(v.type, RESP_INTEGER);
    ck_assert_int_eq(v.integer, 0);
    v = ONE(":-42\r\n");
    ck_assert_int_eq(v.integer, -42);
    v = ONE(":9223372036854775807\r\n");
    ck_assert_int_eq(v.integer, INT64_MAX);
    v = ONE(":-9223372036854775808\r\n");
    ck_assert_int_eq(v.integer, INT64_MIN);
    v = ONE(":007\r\n");
    ck_assert_int_eq(v.integer, 7);
}
END_TEST

START_TEST(bulk_strings)
{
    resp_value v = ONE("$5\r\nhello\r\n");
    ck_assert_int_eq(v.type, RESP_BULK);
    ck_assert_bytes_str(v.str, v.len, "hello");
    resp_value_clear(&v);

    /* Binary-safe: CR, LF, NUL and 0xFF inside the payload are data. */
    v = ONE("$6\r\n\r\n\0\xff\r\n\r\n");
    ck_assert_bytes_str(v.str, v.len, "\r\n\0\xff\r\n");
    resp_value_clear(&v);

    v = ONE("$0\r\n\r\n");
    ck_assert_int_eq(v.type, RESP_BULK);
    ck_assert_uint_eq(v.len, 0);
    ck_assert_ptr_nonnull(v.str);
    resp_value_clear(&v);

    v = ONE("$-1\r\n");
    ck_assert_int_eq(v.type, RESP_NULL);
    ck_assert_ptr_null(v.str);
}
END_TEST

START_TEST(arrays_nested_and_null)
{
    resp_value v = ONE("*0\r\n");
    ck_assert_int_eq(v.type, RESP_ARRAY);
    ck_assert_uint_eq(v.len, 0);
    ck_assert_ptr_null(v.elems);

    v = ONE("*-1\r\n");
    ck_assert_int_eq(v.type, RESP_NULL_ARRAY);

    v = ONE("*3\r\n:1\r\n*2\r\n+a\r\n*0\r\n$-1\r\n");
    ck_assert_int_eq(v.type, RESP_ARRAY);
    ck_assert_uint_eq(v.len, 3);
    ck_assert_int_eq(v.elems[0].type, RESP_INTEGER);
    ck_assert_int_eq(v.elems[1].type, RESP_ARRAY);
    ck_assert_uint_eq(v.elems[1].len, 2);
    ck_assert_bytes_str(v.elems[1].elems[0].str, 1, "a");
    ck_assert_int_eq(v.elems[1].elems[1].type, RESP_ARRAY);
    ck_assert_uint_eq(v.elems[1].elems[1].len, 0);
    ck_assert_int_eq(v.elems[2].type, RESP_NULL);
    resp_value_clear(&v);

    /* Deep nesting that ends several arrays on one element. */
    v = ONE("*1\r\n*1\r\n*1\r\n*1\r\n:5\r\n");
    ck_assert_int_eq(v.elems[0].elems[0].elems[0].elems[0].integer, 5);
    resp_value_clear(&v);

    /* An array larger than the first allocation step. */
    char big[4096];
    size_t o = (size_t)snprintf(big, sizeof big, "*100\r\n");
    for (int i = 0; i < 100; i++) o += (size_t)snprintf(big + o, sizeof big - o, ":%d\r\n", i);
    v = one(big, o);
    ck_assert_uint_eq(v.len, 100);
    for (int i = 0; i < 100; i++) ck_assert_int_eq(v.elems[i].integer, i);
    resp_value_clear(&v);
}
END_TEST

START_TEST(inline_commands)
{
    resp_value v = ONE("PING\r\n");
    ck_assert_int_eq(v.type, RESP_ARRAY);
    ck_assert(v.is_inline);
    ck_assert_uint_eq(v.len, 1);
    ck_assert_int_eq(v.elems[0].type, RESP_BULK);
    ck_assert_bytes_str(v.elems[0].str, v.elems[0].len, "PING");
    resp_value_clear(&v);

    /* Bare LF ends a line too (telnet, nc); runs of spaces and tabs
     * separate arguments; quotes are plain bytes here (exercise 6.2). */
    v = ONE("  set\tkey   \"v\"  \n");
    ck_assert_uint_eq(v.len, 3);
    ck_assert_bytes_str(v.elems[0].str, v.elems[0].len, "set");
    ck_assert_bytes_str(v.elems[1].str, v.elems[1].len, "key");
    ck_assert_bytes_str(v.elems[2].str, v.elems[2].len, "\"v\"");
    resp_value_clear(&v);

    /* An inline command equals the same command as an array. */
    resp_value a = ONE("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n");
    v = ONE("GET k\r\n");
    ck_assert(resp_value_equal(&a, &v));
    ck_assert(!a.is_inline);
    resp_value_clear(&a);
    resp_value_clear(&v);
}
END_TEST

START_TEST(blank_lines_count_in_the_next_value)
{
    /* Blank lines are skipped, but their bytes are not lost: they count in
     * the next value's size, so sizes still add up to the offset. */
    const char in[] = "\n\r\n+OK\r\n\n";
    resp_parser p;
    resp_parser_init(&p, NULL);
    resp_value v[2];
    uint64_t sz[2];
    size_t n;
    ck_assert_int_eq(feed(&p, in, sizeof in - 1, 0, v, sz, 2, &n), RESP_NEED_MORE);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(sz[0], 8);
    ck_assert_uint_eq(p.offset, 9);
    ck_assert_uint_eq(p.value_start, 8);   /* the trailing LF is pending */
    resp_value_clear(&v[0]);
    resp_parser_free(&p);
}
END_TEST

/* A pipeline of several commands and replies of every type, as a master or
 * a client would send it in one write(). */
static const char pipeline[] =
    "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nva\r\nl\r\n"  /* 0: 33 bytes */
    "+OK\r\n"                                            /* 1: 5 */
    ":-17\r\n"                                           /* 2: 6 */
    "$-1\r\n"                                            /* 3: 5 */
    "*2\r\n*1\r\n$0\r\n\r\n-ERR x\r\n"                   /* 4: 22 */
    "PING\r\n"                                           /* 5: 6 */
    "*-1\r\n"                                            /* 6: 5 */
    "*1\r\n$4\r\nPING\r\n";                              /* 7: 14 */
static const uint64_t pipeline_sizes[] = { 33, 5, 6, 5, 22, 6, 5, 14 };
#define NPIPE (sizeof pipeline_sizes / sizeof pipeline_sizes[0])

/* how: which feeding is being checked, for the failure message. */
static void check_pipeline(const resp_value *v, const uint64_t *sz, size_t n,
                           const char *how, size_t k)
{
    ck_assert_msg(n == NPIPE, "%s %zu: %zu values, expected %zu", how, k, n, NPIPE);
    for (size_t i = 0; i < NPIPE; i++)
        ck_assert_msg(sz[i] == pipeline_sizes[i], "%s %zu: value %zu took %llu "
                      "bytes, expected %llu", how, k, i, (unsigned long long)sz[i],
                      (unsigned long long)pipeline_sizes[i]);
    ck_assert_int_eq(v[0].type, RESP_ARRAY);
    ck_assert_bytes_str(v[0].elems[2].str, v[0].elems[2].len, "va\r\nl");
    ck_assert_bytes_str(v[1].str, v[1].len, "OK");
    ck_assert_int_eq(v[2].integer, -17);
    ck_assert_int_eq(v[3].type, RESP_NULL);
    ck_assert_int_eq(v[4].elems[0].elems[0].type, RESP_BULK);
    ck_assert_bytes_str(v[4].elems[1].str, v[4].elems[1].len, "ERR x");
    ck_assert(v[5].is_inline);
    ck_assert(resp_value_equal(&v[5], &v[7]));
    ck_assert_int_eq(v[6].type, RESP_NULL_ARRAY);
}

START_TEST(pipeline_in_one_piece)
{
    resp_parser p;
    resp_parser_init(&p, NULL);
    resp_value v[NPIPE];
    uint64_t sz[NPIPE];
    size_t n;
    ck_assert_int_eq(feed(&p, pipeline, sizeof pipeline - 1, 0, v, sz, NPIPE, &n),
                     RESP_NEED_MORE);
    check_pipeline(v, sz, n, "whole", 0);
    ck_assert_uint_eq(p.offset, sizeof pipeline - 1);
    for (size_t i = 0; i < n; i++) resp_value_clear(&v[i]);
    resp_parser_free(&p);
}
END_TEST

/* [ch06-test-split] */
START_TEST(pipeline_split_at_every_point)
{
    /* A read() may return any prefix of what the peer sent.  Cut the
     * pipeline in two at every possible point: each cut must give the same
     * values, with the same sizes, as the whole. */
    size_t len = sizeof pipeline - 1;
    for (size_t cut = 0; cut <= len; cut++) {
        resp_parser p;
        resp_parser_init(&p, NULL);
        resp_value v[NPIPE];
        uint64_t sz[NPIPE];
        size_t n1;
        size_t n2 = 0;
        resp_status st = feed(&p, pipeline, cut, 0, v, sz, NPIPE, &n1);
        ck_assert_msg(n1 <= NPIPE, "cut at byte %zu: %zu values before the cut", cut, n1);
        if (st != RESP_ERR)
            st = feed(&p, pipeline + cut, len - cut, 0, v + n1, sz + n1,
                      NPIPE - n1, &n2);
        ck_assert_msg(st == RESP_NEED_MORE, "cut at byte %zu: %s", cut,
                      resp_parser_error(&p));
        check_pipeline(v, sz, n1 + n2, "cut at byte", cut);
        ck_assert_uint_eq(p.offset, len);
        for (size_t i = 0; i < n1 + n2; i++) resp_value_clear(&v[i]);
        resp_parser_free(&p);
    }
}
END_TEST
/* [ch06-test-split] */

START_TEST(pipeline_one_byte_at_a_time)
{
    for (size_t chunk = 1; chunk <= 7; chunk++) {
        resp_parser p;
        resp_parser_init(&p, NULL);
        resp_value v[NPIPE];
        uint64_t sz[NPIPE];
        size_t n;
        resp_status st = feed(&p, pipeline, sizeof pipeline - 1, chunk, v, sz,
                              NPIPE, &n);
        ck_assert_msg(st == RESP_NEED_MORE, "pieces of %zu bytes: %s", chunk,
                      resp_parser_error(&p));
        check_pipeline(v, sz, n, "pieces of", chunk);
        for (size_t i = 0; i < n; i++) resp_value_clear(&v[i]);
        resp_parser_free(&p);
    }
}
END_TEST

START_TEST(offsets_are_absolute_and_add_up)
{
    resp_parser p;
    resp_parser_init(&p, NULL);
    uint64_t total = 0;
    long rounds = test_scale(1000, 10);
    for (long r = 0; r < rounds; r++) {
        resp_value v;
        size_t used;
        size_t len = sizeof pipeline - 1, off = 0;
        while (off < len) {
            resp_status st = resp_parse(&p, pipeline + off, len - off, &used, &v);
            off += used;
            if (st == RESP_OK) {
                total += p.last_size;
                ck_assert_uint_eq(total, p.offset);
                resp_value_clear(&v);
            }
            ck_assert_int_ne(st, RESP_ERR);
        }
    }
    ck_assert_uint_eq(p.offset, (uint64_t)rounds * (sizeof pipeline - 1));
    resp_parser_free(&p);
}
END_TEST

START_TEST(parser_stops_at_the_end_of_a_value)
{
    /* The bytes after a value belong to the caller: here they are an RDB
     * payload that chapter 8 hands to the RDB reader. */
    const char in[] = "+FULLRESYNC 0123 42\r\nREDIS0010";
    resp_parser p;
    resp_parser_init(&p, NULL);
    resp_value v;
    size_t used;
    ck_assert_int_eq(resp_parse(&p, in, sizeof in - 1, &used, &v), RESP_OK);
    ck_assert_uint_eq(used, 21);
    ck_assert_bytes_str(in + used, sizeof in - 1 - used, "REDIS0010");
    resp_value_clear(&v);
    resp_parser_free(&p);
}
END_TEST

START_TEST(big_bulk_grows_with_the_bytes)
{
    /* A 1 MiB payload fed in odd-sized pieces: memory follows the bytes. */
    size_t n = 1 << 20;
    char *in = malloc(n + 32);
    ck_assert_ptr_nonnull(in);
    size_t h = (size_t)snprintf(in, 32, "$%zu\r\n", n);
    for (size_t i = 0; i < n; i++) in[h + i] = (char)(i * 7);
    memcpy(in + h + n, "\r\n", 2);
    resp_parser p;
    resp_parser_init(&p, NULL);
    resp_value v;
    size_t got;
    ck_assert_int_eq(feed(&p, in, h + n + 2, 4093, &v, NULL, 1, &got), RESP_NEED_MORE);
    ck_assert_uint_eq(got, 1);
    ck_assert_uint_eq(v.len, n);
    ck_assert(memcmp(v.str, in + h, n) == 0);
    resp_value_clear(&v);
    resp_parser_free(&p);
    free(in);
}
END_TEST

/* [ch06-test-sync] */
START_TEST(replication_framing_with_lines_and_raw_bytes)
{
    /* What a master sends after PSYNC: keep-alive newlines, the reply
     * line, the snapshot header, the raw snapshot (no CRLF after it), then
     * the command stream.  Lines, raw bytes and values share one offset. */
    const char in[] = "\n\n+FULLRESYNC 8de1 0\r\n$5\r\nRDB!!"
                      "*1\r\n$4\r\nPING\r\n";
    size_t len = sizeof in - 1, pos = 0, used, ll;
    const char *line;
    resp_parser p;
    resp_parser_init(&p, NULL);
    int blanks = 0;
    for (;;) {
        ck_assert_int_eq(resp_read_line(&p, in + pos, len - pos, &used, &line, &ll), RESP_OK);
        pos += used;
        if (ll > 0) break;
        blanks++;
    }
    ck_assert_int_eq(blanks, 2);
    ck_assert_bytes_str(line, ll, "+FULLRESYNC 8de1 0");
    ck_assert_int_eq(resp_read_line(&p, in + pos, len - pos, &used, &line, &ll), RESP_OK);
    pos += used;
    int64_t n;
    ck_assert_int_eq(line[0], '$');
    ck_assert_int_eq(resp_parse_int(line + 1, ll - 1, &n), 0);
    ck_assert_int_eq(n, 5);
    ck_assert_bytes_str(in + pos, (size_t)n, "RDB!!");  /* read raw */
    pos += (size_t)n;
    ck_assert_int_eq(resp_parser_advance(&p, (uint64_t)n), 0);
    resp_value v;
    ck_assert_int_eq(resp_parse(&p, in + pos, len - pos, &used, &v), RESP_OK);
    ck_assert_uint_eq(p.last_size, 14);        /* the replication offset */
    ck_assert_uint_eq(p.offset, len);
    resp_value_clear(&v);
    resp_parser_free(&p);
}
END_TEST
/* [ch06-test-sync] */

START_TEST(read_line_split_and_crlf)
{
    const char in[] = "$EOF:0123456789abcdef0123456789abcdef01234567\r\n";
    resp_parser p;
    resp_parser_init(&p, NULL);
    size_t used;
    const char *line = NULL;
    size_t ll = 0;
    for (size_t i = 0; i < sizeof in - 2; i++) {
        ck_assert_int_eq(resp_read_line(&p, in + i, 1, &used, &line, &ll), RESP_NEED_MORE);
        ck_assert_uint_eq(used, 1);
    }
    ck_assert_int_eq(resp_read_line(&p, in + sizeof in - 2, 1, &used, &line, &ll), RESP_OK);
    ck_assert_bytes_str(line, ll, "$EOF:0123456789abcdef0123456789abcdef01234567");
    ck_assert_uint_eq(p.last_size, sizeof in - 1);
    resp_parser_free(&p);
}
END_TEST

START_TEST(parse_int_strict)
{
    int64_t v;
    ck_assert_int_eq(resp_parse_int("0", 1, &v), 0);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(resp_parse_int("-9223372036854775808", 20, &v), 0);
    ck_assert_int_eq(v, INT64_MIN);
    ck_assert_int_eq(resp_parse_int("9223372036854775808", 19, &v), -1);
    ck_assert_int_eq(resp_parse_int("", 0, &v), -1);
    ck_assert_int_eq(resp_parse_int("-", 1, &v), -1);
    ck_assert_int_eq(resp_parse_int("12a", 3, &v), -1);
    ck_assert_int_eq(resp_parse_int("+1", 2, &v), -1);
}
END_TEST

Suite *ch06_resp_parse_suite(void)
{
    Suite *s = suite_create("ch06_resp_parse");
    TCase *tc = test_tcase("types", 10);
    tcase_add_test(tc, simple_error_integer);
    tcase_add_test(tc, bulk_strings);
    tcase_add_test(tc, arrays_nested_and_null);
    tcase_add_test(tc, inline_commands);
    tcase_add_test(tc, blank_lines_count_in_the_next_value);
    suite_add_tcase(s, tc);
    tc = test_tcase("streaming", 60);
    tcase_add_test(tc, pipeline_in_one_piece);
    tcase_add_test(tc, pipeline_split_at_every_point);
    tcase_add_test(tc, pipeline_one_byte_at_a_time);
    tcase_add_test(tc, offsets_are_absolute_and_add_up);
    tcase_add_test(tc, parser_stops_at_the_end_of_a_value);
    tcase_add_test(tc, big_bulk_grows_with_the_bytes);
    suite_add_tcase(s, tc);
    tc = test_tcase("lines", 10);
    tcase_add_test(tc, replication_framing_with_lines_and_raw_bytes);
    tcase_add_test(tc, read_line_split_and_crlf);
    tcase_add_test(tc, parse_int_strict);
    suite_add_tcase(s, tc);
    return s;
}
