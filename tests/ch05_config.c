/* ch05_config.c - chapter 5: reloading a config under readers. */
#include "config.h"
#include "test_util.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>

typedef struct race {
    config_live *cl;
    atomic_int done;
    atomic_long sections;
    atomic_int torn;
    atomic_int backwards;
} race;

/* Every published config has all fields derived from one number, so a
 * reader can tell whether it saw one config or a mixture of two. */
static void derived(config *c, unsigned long g)
{
    config_defaults(c);
    c->max_bulk_len = 1000 + g;
    c->max_multibulk_len = 2000 + g;
    c->max_inline_len = 3000 + g;
    c->max_batch = 4000 + g;
}

/* [ch05-test-config] */
static void *config_reader_thread(void *arg)
{
    race *r = arg;
    config_reader *cr = config_reader_open(r->cl);
    uint64_t last = 0;
    while (!atomic_load(&r->done)) {
        const config *c = config_read_begin(cr);
        size_t g = c->max_bulk_len - 1000;
        if (c->max_multibulk_len != 2000 + g ||
            c->max_inline_len != 3000 + g || c->max_batch != 4000 + g)
            atomic_store(&r->torn, 1);
        if (c->generation < last)
            atomic_store(&r->backwards, 1);
        last = c->generation;
        config_read_end(cr);
        atomic_fetch_add(&r->sections, 1);
    }
    config_reader_close(cr);
    return NULL;
}

START_TEST(reload_under_readers)
{
    config c;
    derived(&c, 0);
    race r = { .cl = config_live_create(&c) };
    ck_assert_ptr_nonnull(r.cl);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, config_reader_thread,
                                        &r), 0);
    while (atomic_load(&r.sections) < 2)
        sched_yield();
    long n = test_scale(20000, 500);
    char err[128];
    for (long g = 1; g <= n; g++) {
        derived(&c, (unsigned long)g);
        ck_assert_int_eq(config_live_publish(r.cl, &c, err, sizeof err), 0);
    }
    atomic_store(&r.done, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_msg(!atomic_load(&r.torn), "a reader saw a torn config");
    ck_assert_msg(!atomic_load(&r.backwards), "generation went backwards");
    config_reader *cr = config_reader_open(r.cl);
    const config *now = config_read_begin(cr);
    ck_assert_uint_eq(now->generation, (uint64_t)n + 1);
    ck_assert_uint_eq(now->max_batch, 4000 + (size_t)n);
    config_read_end(cr);
    config_reader_close(cr);
    config_live_destroy(r.cl);
}
END_TEST
/* [ch05-test-config] */

START_TEST(invalid_configs_are_refused)
{
    config c;
    config_defaults(&c);
    char err[128] = "";
    ck_assert_int_eq(config_validate(&c, err, sizeof err), 0);
    config_live *cl = config_live_create(&c);
    ck_assert_ptr_nonnull(cl);

    config bad = c;
    bad.max_batch = 0;
    ck_assert_int_eq(config_live_publish(cl, &bad, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "max-batch") != NULL, "error was: %s", err);
    config_reader *cr = config_reader_open(cl);
    ck_assert_uint_eq(config_read_begin(cr)->max_batch, c.max_batch);
    config_read_end(cr);
    config_reader_close(cr);

    ck_assert_int_eq(config_set(&bad, "max-batch", "64", err, sizeof err), 0);
    ck_assert_uint_eq(bad.max_batch, 64);
    ck_assert_int_eq(config_set(&bad, "read-timeout-ms", "1500", err,
                                sizeof err), 0);
    ck_assert_uint_eq(bad.read_timeout_ms, 1500);
    ck_assert_int_eq(config_set(&bad, "max-batch", "12x", err, sizeof err),
                     -1);
    ck_assert_str_eq(err, "max-batch: not a number in range: '12x'");
    ck_assert_int_eq(config_set(&bad, "max-batch", "-1", err, sizeof err),
                     -1);
    ck_assert_int_eq(config_set(&bad, "max-bath", "1", err, sizeof err), -1);
    ck_assert_str_eq(err, "unknown setting 'max-bath'");
    ck_assert_uint_eq(bad.max_batch, 64); /* unchanged by failures */
    bad.max_inline_len = 3;
    ck_assert_ptr_null(config_live_create(&bad));
    config_live_destroy(cl);
}
END_TEST

Suite *ch05_config_suite(void)
{
    Suite *s = suite_create("ch05_config");
    TCase *tc = test_tcase("config", 60);
    tcase_add_test(tc, reload_under_readers);
    tcase_add_test(tc, invalid_configs_are_refused);
    suite_add_tcase(s, tc);
    return s;
}
