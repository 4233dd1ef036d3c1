/* ch07_intset.c - tests for exercise 7.2 (exercises/ch07/intset_ex.c). */
#include "intset_ex.h"
#include "test_util.h"

#include <string.h>

#define HINT "exercise 7.2: write ex_intset_decode in exercises/ch07/intset_ex.c"

/* Build an intset blob of the given width. */
static size_t build(unsigned char *b, unsigned width, const int64_t *v,
                    size_t n)
{
    size_t k = 0;
    for (int i = 0; i < 4; i++)
        b[k++] = (unsigned char)(width >> (8 * i));
    for (int i = 0; i < 4; i++)
        b[k++] = (unsigned char)(n >> (8 * i));
    for (size_t j = 0; j < n; j++)
        for (unsigned i = 0; i < width; i++)
            b[k++] = (unsigned char)((uint64_t)v[j] >> (8 * i));
    return k;
}

START_TEST(decodes_every_width)
{
    static const int64_t v16[] = {-32768, -1, 0, 7, 32767};
    static const int64_t v32[] = {-2147483647 - 1, -70000, 70000};
    static const int64_t v64[] = {INT64_MIN, -5000000000, 6000000000,
                                  INT64_MAX};
    const int64_t *sets[] = {v16, v32, v64};
    size_t sizes[] = {5, 3, 4};
    unsigned widths[] = {2, 4, 8};
    for (int s = 0; s < 3; s++) {
        unsigned char blob[64];
        int64_t out[8];
        size_t count = 99;
        size_t n = build(blob, widths[s], sets[s], sizes[s]);
        ck_assert_msg(ex_intset_decode(blob, n, out, 8, &count) == 0,
                      HINT " (a valid %u-byte intset was refused)", widths[s]);
        ck_assert_uint_eq(count, sizes[s]);
        for (size_t i = 0; i < count; i++)
            ck_assert_msg(out[i] == sets[s][i], HINT " (member %zu of the "
                          "%u-byte intset is wrong: sign-extend it)", i,
                          widths[s]);
    }
}
END_TEST

START_TEST(malformed_blobs_are_refused)
{
    static const int64_t v[] = {1, 2, 3};
    static const int64_t unsorted[] = {1, 3, 2};
    unsigned char blob[64];
    int64_t out[8];
    size_t count, n = build(blob, 2, v, 3);
    ck_assert_msg(ex_intset_decode(blob, 5, out, 8, &count) != 0,
                  HINT ": a blob shorter than its header must fail");
    ck_assert_msg(ex_intset_decode(blob, n - 1, out, 8, &count) != 0,
                  HINT ": a blob one byte short must fail");
    ck_assert_msg(ex_intset_decode(blob, n, out, 2, &count) != 0,
                  HINT ": more members than cap must fail");
    blob[0] = 3;
    ck_assert_msg(ex_intset_decode(blob, n, out, 8, &count) != 0,
                  HINT ": width 3 must fail");
    n = build(blob, 2, unsorted, 3);
    ck_assert_msg(ex_intset_decode(blob, n, out, 8, &count) != 0,
                  HINT ": members out of order must fail");
    n = build(blob, 4, v, 3);
    blob[4] = 0xff; /* count 255: size would not match */
    blob[5] = 0xff;
    blob[6] = 0xff;
    blob[7] = 0x7f;
    ck_assert_msg(ex_intset_decode(blob, n, out, 8, &count) != 0,
                  HINT ": a huge count must fail without overflow");
}
END_TEST

Suite *ex07_intset_suite(void)
{
    Suite *s = suite_create("ex07_intset");
    TCase *tc = test_tcase("intset", 10);
    tcase_add_test(tc, decodes_every_width);
    tcase_add_test(tc, malformed_blobs_are_refused);
    suite_add_tcase(s, tc);
    return s;
}
