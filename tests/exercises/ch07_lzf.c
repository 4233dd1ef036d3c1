/* ch07_lzf.c - tests for exercise 7.1 (exercises/ch07/lzf_ex.c). */
#include "lzf_ex.h"
#include "rdb_reader.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#define HINT "exercise 7.1: write ex_lzf_decompress in exercises/ch07/lzf_ex.c"

START_TEST(literal_runs_and_back_references)
{
    unsigned char out[64];
    /* "abc" as a literal run (control 2 = 3 bytes). */
    const unsigned char lit[] = {2, 'a', 'b', 'c'};
    ck_assert_msg(ex_lzf_decompress(lit, sizeof lit, out, 3) == 0, HINT
                  " (a literal run of 3 bytes failed)");
    ck_assert_bytes_str(out, 3, "abc");
    /* "ab" then a back-reference, distance 2, length 4: "ababab". */
    const unsigned char ref[] = {1, 'a', 'b', (2 << 5) | 0, 1};
    ck_assert_msg(ex_lzf_decompress(ref, sizeof ref, out, 6) == 0, HINT
                  " (back-reference of length 4, distance 2)");
    ck_assert_bytes_str(out, 6, "ababab");
    /* Overlap: "x" then distance 1, length 7 + 3 + 2 = 12: thirteen x. */
    const unsigned char run[] = {0, 'x', 7 << 5, 3, 0};
    ck_assert_msg(ex_lzf_decompress(run, sizeof run, out, 13) == 0, HINT
                  " (an extended-length back-reference overlapping itself)");
    ck_assert_bytes_str(out, 13, "xxxxxxxxxxxxx");
}
END_TEST

START_TEST(malformed_input_is_refused)
{
    unsigned char out[64];
    const unsigned char lit[] = {2, 'a', 'b', 'c'};
    ck_assert_msg(ex_lzf_decompress(lit, 3, out, 3) != 0, HINT
                  ": a literal run past the end of the input must fail");
    ck_assert_msg(ex_lzf_decompress(lit, 4, out, 2) != 0, HINT
                  ": output longer than declared must fail");
    ck_assert_msg(ex_lzf_decompress(lit, 4, out, 5) != 0, HINT
                  ": output shorter than declared must fail");
    const unsigned char before[] = {0, 'a', 1 << 5, 5};
    ck_assert_msg(ex_lzf_decompress(before, 4, out, 4) != 0, HINT
                  ": a reference before the start of the output must fail");
    const unsigned char cut[] = {0, 'a', 1 << 5};
    ck_assert_msg(ex_lzf_decompress(cut, 3, out, 4) != 0, HINT
                  ": a back-reference missing its distance byte must fail");
}
END_TEST

/* Random valid streams, checked against the library's decompressor. */
START_TEST(agrees_with_the_reader_on_random_streams)
{
    srand(7);
    for (int round = 0; round < test_scale(500, 20); round++) {
        unsigned char in[600], a[8000], b[8000];
        size_t ip = 0, op = 0;
        while (ip < 560) {
            if (op == 0 || rand() % 2) {
                size_t run = 1 + (size_t)rand() % 32;
                in[ip++] = (unsigned char)(run - 1);
                for (size_t i = 0; i < run; i++)
                    in[ip++] = (unsigned char)rand();
                op += run;
            } else {
                size_t dist = 1 + (size_t)rand() % (op < 8192 ? op : 8192);
                size_t len = 3 + (size_t)rand() % 20;
                size_t l = len - 2, d = dist - 1;
                if (l >= 7) {
                    in[ip++] = (unsigned char)(7 << 5 | d >> 8);
                    in[ip++] = (unsigned char)(l - 7);
                } else {
                    in[ip++] = (unsigned char)(l << 5 | d >> 8);
                }
                in[ip++] = (unsigned char)(d & 0xff);
                op += len;
            }
        }
        const char *why;
        ck_assert_int_eq(rdb_lzf_decompress(in, ip, b, op, &why), 0);
        ck_assert_msg(ex_lzf_decompress(in, ip, a, op) == 0, HINT
                      " (a valid random stream was refused)");
        ck_assert_msg(memcmp(a, b, op) == 0, HINT
                      " (output differs from the reader's)");
    }
}
END_TEST

Suite *ex07_lzf_suite(void)
{
    Suite *s = suite_create("ex07_lzf");
    TCase *tc = test_tcase("lzf", 30);
    tcase_add_test(tc, literal_runs_and_back_references);
    tcase_add_test(tc, malformed_input_is_refused);
    tcase_add_test(tc, agrees_with_the_reader_on_random_streams);
    suite_add_tcase(s, tc);
    return s;
}
