/* ch07_soak.c - chapter 7: random datasets, a real server, our reader.
 *
 * Each seed draws redis-server's encoding settings and a dataset of every
 * type with elements on the sizes and values where Redis changes an
 * encoding, SAVEs it, loads the dump with our reader and compares every
 * key with what the server answers (tests/util/rdb_soak.h).  A few fixed
 * seeds run with every `make test`; `make soak-rdb SEEDS=N` runs many.
 * Under Valgrind and ThreadSanitizer TEST_SCALE shrinks the datasets and
 * the number of seeds, and 2 MiB elements are left out.
 */
#include "rdb_soak.h"
#include "test_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

START_TEST(random_datasets_load_as_the_server_holds_them)
{
    long seeds = test_scale(4, 1);
    double scale = (double)test_scale(1000, 50) / 1000.0;
    for (long i = 0; i < seeds; i++) {
        rdb_soak_opts o = {.seed = 0x5eed0000u + (uint64_t)i, .scale = scale,
                           .big = scale >= 1.0};
        rdb_soak_result res;
        int rc = rdb_soak_run(&o, &res);
        ck_assert_msg(rc == 0, "%s\n  settings: %s", res.diff, res.config);
        ck_assert_uint_gt(res.keys, 0);
        ck_assert_uint_gt(res.nenc, 3); /* several encodings were exercised */
    }
}
END_TEST

/* The comparison must notice a server that no longer matches the file;
 * otherwise the soak above could pass without looking. */
START_TEST(a_server_changed_after_save_is_a_difference)
{
    static const char *const want[] = {
        "", "keys, the file gave us", "string value", "expiry",
        "list length", "stream entries",
    };
    for (int m = 1; m <= 5; m++) {
        rdb_soak_opts o = {.seed = 77, .scale = 0.2, .tamper = m};
        rdb_soak_result res;
        int rc = rdb_soak_run(&o, &res);
        ck_assert_msg(rc == 1, "tamper %d: rc %d (%s)", m, rc, res.diff);
        ck_assert_msg(strstr(res.diff, want[m]) != NULL &&
                      strstr(res.diff, "seed 77") != NULL,
                      "tamper %d: %s", m, res.diff);
    }
}
END_TEST

Suite *ch07_soak_suite(void)
{
    Suite *s = suite_create("ch07_soak");
    TCase *tc = test_tcase("redis-server", 120);
    tcase_add_test(tc, random_datasets_load_as_the_server_holds_them);
    tcase_add_test(tc, a_server_changed_after_save_is_a_difference);
    suite_add_tcase(s, tc);
    return s;
}
