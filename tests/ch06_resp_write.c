/* ch06_resp_write.c - chapter 6: the writer, and write -> parse round trips. */
#include "resp.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

START_TEST(each_writer_writes_exact_bytes)
{
    resp_buf b;
    resp_buf_init(&b);
    ck_assert_int_eq(resp_write_simple(&b, "OK", 2), 0);
    ck_assert_int_eq(resp_write_error(&b, "ERR no", 6), 0);
    ck_assert_int_eq(resp_write_integer(&b, -42), 0);
    ck_assert_int_eq(resp_write_integer(&b, INT64_MIN), 0);
    ck_assert_int_eq(resp_write_bulk(&b, "a\r\nb", 4), 0);
    ck_assert_int_eq(resp_write_bulk(&b, NULL, 0), 0);
    ck_assert_int_eq(resp_write_null(&b), 0);
    ck_assert_int_eq(resp_write_null_array(&b), 0);
    ck_assert_int_eq(resp_write_array(&b, 0), 0);
    ck_assert_bytes_str(b.data, b.len,
        "+OK\r\n-ERR no\r\n:-42\r\n:-9223372036854775808\r\n"
        "$4\r\na\r\nb\r\n$0\r\n\r\n$-1\r\n*-1\r\n*0\r\n");
    resp_buf_free(&b);
    ck_assert_ptr_null(b.data);
}
END_TEST

/* [ch06-test-command] */
START_TEST(command_from_argv)
{
    resp_buf b;
    resp_buf_init(&b);
    const char *argv[] = { "SET", "key", "v\0x" };
    const size_t lens[] = { 3, 3, 3 };
    ck_assert_int_eq(resp_write_command(&b, 3, argv, lens), 0);
    ck_assert_bytes_str(b.data, b.len,
        "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$3\r\nv\0x\r\n");
    b.len = 0;
    const char *ping[] = { "REPLCONF", "ACK", "1267" };
    ck_assert_int_eq(resp_write_command(&b, 3, ping, NULL), 0);
    ck_assert_bytes_str(b.data, b.len,
        "*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$4\r\n1267\r\n");
    resp_buf_free(&b);
}
END_TEST
/* [ch06-test-command] */

START_TEST(line_types_refuse_cr_and_lf)
{
    /* "+OK\r\n+INJECTED" would read as two replies: refuse, write nothing. */
    resp_buf b;
    resp_buf_init(&b);
    ck_assert_int_eq(resp_write_simple(&b, "x", 1), 0);
    ck_assert_int_eq(resp_write_simple(&b, "OK\r\n+INJECTED", 13), -1);
    ck_assert_int_eq(resp_write_error(&b, "ERR\n", 4), -1);
    ck_assert_int_eq(resp_write_simple(&b, "a\rb", 3), -1);
    ck_assert_bytes_str(b.data, b.len, "+x\r\n");

    resp_value bad[2];
    memset(bad, 0, sizeof bad);
    bad[0].type = RESP_ARRAY;
    bad[0].len = 1;
    bad[0].elems = &bad[1];
    bad[1].type = RESP_SIMPLE;
    bad[1].str = "a\nb";
    bad[1].len = 3;
    ck_assert_int_eq(resp_write_value(&b, &bad[0]), -1);
    ck_assert_bytes_str(b.data, b.len, "+x\r\n"); /* header rolled back */
    resp_buf_free(&b);
}
END_TEST

START_TEST(buffer_grows)
{
    resp_buf b;
    resp_buf_init(&b);
    long n = test_scale(10000, 100);
    for (long i = 0; i < n; i++) ck_assert_int_eq(resp_write_integer(&b, i), 0);
    ck_assert_uint_le(b.len, b.cap);
    /* Spot check the end. */
    char tail[32];
    int k = snprintf(tail, sizeof tail, ":%ld\r\n", n - 1);
    ck_assert_bytes_eq(b.data + b.len - (size_t)k, (size_t)k, tail, (size_t)k);
    resp_buf_free(&b);
}
END_TEST

/* Parse exactly one value out of b; assert it used every byte. */
static resp_value reparse(const resp_buf *b)
{
    resp_parser p;
    resp_limits l = resp_limits_default();
    l.allow_inline = false;
    resp_parser_init(&p, &l);
    resp_value v;
    size_t used;
    ck_assert_int_eq(resp_parse(&p, b->data, b->len, &used, &v), RESP_OK);
    ck_assert_uint_eq(used, b->len);
    ck_assert_uint_eq(p.last_size, b->len);
    resp_parser_free(&p);
    return v;
}

/* [ch06-test-roundtrip] */
START_TEST(round_trips)
{
    static const char *const inputs[] = {
        "+OK\r\n", "-ERR wrong\r\n", ":0\r\n", ":-9223372036854775808\r\n",
        "$0\r\n\r\n", "$3\r\n\0\r\n\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n",
        "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
        "*4\r\n*2\r\n:1\r\n*0\r\n+s\r\n-e\r\n*1\r\n*1\r\n$-1\r\n",
    };
    static const size_t lens[] = { 5, 12, 4, 23, 6, 9, 5, 5, 4, 27, 37 };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        resp_parser p;
        resp_parser_init(&p, NULL);
        resp_value v;
        size_t used;
        ck_assert_int_eq(resp_parse(&p, inputs[i], lens[i], &used, &v), RESP_OK);
        ck_assert_uint_eq(used, lens[i]);
        resp_buf b;
        resp_buf_init(&b);
        ck_assert_int_eq(resp_write_value(&b, &v), 0);
        /* Canonical input comes back byte for byte ... */
        ck_assert_bytes_eq(b.data, b.len, inputs[i], lens[i]);
        /* ... and parses to an equal value. */
        resp_value w = reparse(&b);
        ck_assert(resp_value_equal(&v, &w));
        resp_value_clear(&v);
        resp_value_clear(&w);
        resp_buf_free(&b);
        resp_parser_free(&p);
    }
}
END_TEST
/* [ch06-test-roundtrip] */

START_TEST(non_canonical_input_round_trips_to_canonical)
{
    /* Leading zeros and inline commands are accepted, and written back in
     * the one canonical form. */
    static const char *const in[][2] = {
        { ":007\r\n", ":7\r\n" },
        { "$03\r\nabc\r\n", "$3\r\nabc\r\n" },
        { "GET  k\n", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n" },
    };
    for (size_t i = 0; i < 3; i++) {
        resp_parser p;
        resp_parser_init(&p, NULL);
        resp_value v;
        size_t used;
        ck_assert_int_eq(resp_parse(&p, in[i][0], strlen(in[i][0]), &used, &v), RESP_OK);
        resp_buf b;
        resp_buf_init(&b);
        ck_assert_int_eq(resp_write_value(&b, &v), 0);
        ck_assert_bytes_eq(b.data, b.len, in[i][1], strlen(in[i][1]));
        resp_value w = reparse(&b);
        ck_assert(resp_value_equal(&v, &w));
        resp_value_clear(&v);
        resp_value_clear(&w);
        resp_buf_free(&b);
        resp_parser_free(&p);
    }
}
END_TEST

START_TEST(random_values_round_trip)
{
    /* Build random trees with the writer, parse them split at random
     * points, write them again: the bytes must match exactly. */
    unsigned seed = 12345;
    long rounds = test_scale(300, 20);
    for (long r = 0; r < rounds; r++) {
        resp_buf b;
        resp_buf_init(&b);
        int open = 1;                 /* values still owed */
        ck_assert_int_eq(resp_write_array(&b, 1), 0);
        while (open > 0) {
            seed = seed * 1103515245u + 12345u;
            unsigned k = (seed >> 16) % 8;
            char s[16];
            size_t n = (seed >> 20) % 16;
            for (size_t i = 0; i < n; i++) s[i] = (char)('a' + (seed >> (i % 24)) % 26);
            open--;
            switch (k) {
            case 0: resp_write_simple(&b, s, n); break;
            case 1: resp_write_error(&b, s, n); break;
            case 2: resp_write_integer(&b, (int64_t)seed - (1 << 30)); break;
            case 3: resp_write_null(&b); break;
            case 4: resp_write_null_array(&b); break;
            case 5:
                if (b.len < 2000) { resp_write_array(&b, n % 4); open += (int)(n % 4); }
                else resp_write_array(&b, 0);
                break;
            default: resp_write_bulk(&b, s, n);
            }
        }
        resp_parser p;
        resp_parser_init(&p, NULL);
        resp_value v;
        size_t pos = 0, used;
        resp_status st = RESP_NEED_MORE;
        while (st == RESP_NEED_MORE) {
            seed = seed * 1103515245u + 12345u;
            size_t piece = 1 + (seed >> 16) % 9;
            if (piece > b.len - pos) piece = b.len - pos;
            st = resp_parse(&p, b.data + pos, piece, &used, &v);
            pos += used;
        }
        ck_assert_int_eq(st, RESP_OK);
        ck_assert_uint_eq(pos, b.len);
        resp_buf out;
        resp_buf_init(&out);
        ck_assert_int_eq(resp_write_value(&out, &v), 0);
        ck_assert_bytes_eq(out.data, out.len, b.data, b.len);
        resp_value_clear(&v);
        resp_parser_free(&p);
        resp_buf_free(&out);
        resp_buf_free(&b);
    }
}
END_TEST

Suite *ch06_resp_write_suite(void)
{
    Suite *s = suite_create("ch06_resp_write");
    TCase *tc = test_tcase("writer", 10);
    tcase_add_test(tc, each_writer_writes_exact_bytes);
    tcase_add_test(tc, command_from_argv);
    tcase_add_test(tc, line_types_refuse_cr_and_lf);
    tcase_add_test(tc, buffer_grows);
    suite_add_tcase(s, tc);
    tc = test_tcase("round_trip", 30);
    tcase_add_test(tc, round_trips);
    tcase_add_test(tc, non_canonical_input_round_trips_to_canonical);
    tcase_add_test(tc, random_values_round_trip);
    suite_add_tcase(s, tc);
    return s;
}
