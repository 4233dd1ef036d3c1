/* ch12_badinput.c - chapter 12: the bad-input table, counted.
 *
 * The rows live in tests/ch12_badinput_<target>.c, one suite per target;
 * this suite only counts them: each target has rows, and the whole table
 * has at least CH12_BADINPUT_MIN, so a table cut short by an edit fails
 * here rather than passing with fewer inputs than the chapter claims.
 */
#include "ch12_badinput.h"

#include "test_util.h"

#include <stdio.h>

START_TEST(table_has_enough_rows)
{
    const struct {
        const char *target;
        size_t rows;
    } t[] = {
        {"link (master -> replica)", ch12_badinput_link_rows},
        {"protocol (client -> server)", ch12_badinput_proto_rows},
        {"rdb", ch12_badinput_rdb_rows},
        {"applier", ch12_badinput_apply_rows},
        {"request (client -> server)", ch12_badinput_request_rows},
    };
    size_t total = 0;
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        ck_assert_msg(t[i].rows > 0, "no rows for %s", t[i].target);
        total += t[i].rows;
    }
    printf("bad-input table: %zu rows (link %zu, protocol %zu, rdb %zu, "
           "applier %zu, request %zu)\n", total, t[0].rows, t[1].rows,
           t[2].rows, t[3].rows, t[4].rows);
    ck_assert_uint_ge(total, CH12_BADINPUT_MIN);
}
END_TEST

Suite *ch12_badinput_suite(void)
{
    Suite *s = suite_create("ch12_badinput");
    TCase *tc = test_tcase("count", 10);
    tcase_add_test(tc, table_has_enough_rows);
    suite_add_tcase(s, tc);
    return s;
}
