/* ch11_idle.c - an idle serving thread must let go of the old copy.
 * Chapter 11.
 *
 * After a full sync the link switches readers to a fresh keyspace and the
 * old one, the whole previous dataset, waits until no reader holds it
 * (chapter 10, dataset.h).  A reader moves on at the start of its next
 * section.  A serving thread whose clients have gone quiet starts no
 * section, so unless it says it holds nothing (dataset_reader_quiesce()),
 * the old dataset stays in memory for as long as nobody asks that thread
 * anything: in C nothing else will ever free it.  This suite is the
 * chapter's failing test: `make broken-ch11_pinned SUITE=ch11_idle`
 * builds the server whose loops never quiesce.
 */
#include "cmd.h"
#include "dataset.h"
#include "resp_raw.h"
#include "server.h"
#include "store.h"
#include "test_util.h"

#include <check.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Put n keys into a fresh keyspace of the dataset and switch to it. */
static void load_generation(dataset *ds, int n, const char *tag)
{
    keyspace *ks = dataset_fresh(ds);
    ck_assert_ptr_nonnull(ks);
    cmd_applier *a = cmd_applier_create(ks, NULL);
    ck_assert_ptr_nonnull(a);
    for (int i = 0; i < n; i++) {
        char k[32], v[64];
        snprintf(k, sizeof k, "key:%d", i);
        snprintf(v, sizeof v, "%s-%d", tag, i);
        const char *argv[] = {"SET", k, v};
        ck_assert_int_eq(cmd_apply_argv(a, 3, argv, NULL), CMD_APPLIED);
    }
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    cmd_applier_destroy(a);
    ck_assert_int_eq(dataset_switch(ds, ks), 0);
}

/* [ch11-test-idle] */
START_TEST(idle_thread_releases_the_old_copy)
{
    dataset *ds = dataset_create(store_variant("hamt"), 16);
    ck_assert_ptr_nonnull(ds);
    load_generation(ds, 1000, "first");

    server_options o = server_options_default();
    o.port = -1;
    o.threads = 1;
    o.log_level = SERVER_LOG_WARNING;
    char err[256];
    server *s = server_create(&o, ds, NULL, err, sizeof err);
    ck_assert_msg(s != NULL, "server_create: %s", err);
    ck_assert_int_eq(server_start(s), 0);

    /* One client reads once, then goes quiet: its thread read the first
     * copy and has nothing more to do. */
    resp_raw c;
    ck_assert_msg(resp_raw_open(&c, server_port(s)) == 0, "%s", c.err);
    const char *get[] = {"GET", "key:7"};
    const char *r;
    size_t rl;
    ck_assert_int_eq(resp_raw_call(&c, 2, get, NULL, &r, &rl), 0);
    test_assert_bytes(__FILE__, __LINE__, "GET", r, rl, "$7\r\nfirst-7\r\n",
                      13);

    /* A full sync: a second copy, and readers switched to it. */
    load_generation(ds, 1000, "second");
    server_notify_change(s);

    /* The link frees the first copy once no reader holds it; give the
     * idle thread five seconds (it needs one tick, 100 ms). */
    for (int i = 0; i < 500 && dataset_retired(ds) > 0; i++) {
        usleep(10000);
        dataset_reclaim(ds);
    }
    ck_assert_msg(dataset_retired(ds) == 0,
                  "%u old copies of the dataset still held 5 s after the "
                  "switch: an idle serving thread never said it holds "
                  "nothing", dataset_retired(ds));

    /* And the quiet client, asking again, reads the new copy. */
    ck_assert_int_eq(resp_raw_call(&c, 2, get, NULL, &r, &rl), 0);
    test_assert_bytes(__FILE__, __LINE__, "GET", r, rl,
                      "$8\r\nsecond-7\r\n", 14);
    resp_raw_close(&c);
    server_stop(s);
    server_destroy(s);
    dataset_destroy(ds);
}
END_TEST
/* [ch11-test-idle] */

Suite *ch11_idle_suite(void)
{
    Suite *s = suite_create("ch11_idle");
    TCase *tc = tcase_create("idle");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, idle_thread_releases_the_old_copy);
    suite_add_tcase(s, tc);
    return s;
}
