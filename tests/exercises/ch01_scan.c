/* ch01_scan.c - tests for exercise 1.1 (exercises/ch01/scan.c). */
#include "map.h"
#include "scan.h"
#include "test_util.h"

#include <stdio.h>
#include <string.h>

enum { N0 = 1000, N1 = 6000 };
static char keys[N1][12];
static int seen[N1];

static void mark(const map_entry *e, void *arg)
{
    (void)arg;
    seen[(int)(intptr_t)e->val]++;
}

static void fill(map *m, int from, int to)
{
    for (int i = from; i < to; i++) {
        int n = snprintf(keys[i], sizeof keys[i], "key%d", i);
        ck_assert_int_eq(map_insert(m, keys[i], (size_t)n, (void *)(intptr_t)i), 0);
    }
}

START_TEST(scan_visits_each_key_once_on_a_stable_table)
{
    map m;
    map_init(&m, 0, NULL);
    fill(&m, 0, N0);
    memset(seen, 0, sizeof seen);
    size_t cursor = 0;
    int calls = 0;
    do {
        cursor = map_scan(&m, cursor, mark, NULL);
        ck_assert_msg(++calls <= (int)m.cap,
                      "exercise 1.1: map_scan (exercises/ch01/scan.c) made "
                      "more calls than the table has slots; is the cursor "
                      "advancing in reverse-binary order?");
    } while (cursor != 0);
    for (int i = 0; i < N0; i++)
        ck_assert_msg(seen[i] == 1,
                      "exercise 1.1: key%d was visited %d times, expected "
                      "once; write map_scan in exercises/ch01/scan.c", i,
                      seen[i]);
    map_release(&m);
}
END_TEST

START_TEST(scan_survives_growth)
{
    map m;
    map_init(&m, 0, NULL);
    fill(&m, 0, N0);
    memset(seen, 0, sizeof seen);
    size_t cursor = 0;
    int calls = 0;
    size_t cap_before = m.cap;
    do {
        cursor = map_scan(&m, cursor, mark, NULL);
        if (++calls == 100)
            fill(&m, N0, N1); /* the table grows in the middle of the scan */
    } while (cursor != 0 && calls < 1 << 20);
    for (int i = 0; i < N0; i++)
        ck_assert_msg(seen[i] >= 1,
                      "exercise 1.1: key%d, present for the whole scan, was "
                      "never visited (the table grew after call 100)", i);
    ck_assert_uint_gt(m.cap, cap_before); /* the test did exercise growth */
    map_release(&m);
}
END_TEST

Suite *ex01_scan_suite(void)
{
    Suite *s = suite_create("ex01_scan");
    TCase *tc = test_tcase("scan", 20);
    tcase_add_test(tc, scan_visits_each_key_once_on_a_stable_table);
    tcase_add_test(tc, scan_survives_growth);
    suite_add_tcase(s, tc);
    return s;
}
