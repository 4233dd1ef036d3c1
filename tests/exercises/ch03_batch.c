/* ch03_batch.c - exercise 3.1: a batch is published as one snapshot. */
#include "batch.h"
#include "test_util.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define K 8 /* keys per batch: "k0".."k7" */

static value *ver(long v)
{
    char b[32];
    int n = snprintf(b, sizeof b, "%ld", v);
    return value_new_string(b, (size_t)n, VALUE_NO_EXPIRY);
}

static long parse(const value *v)
{
    return v ? strtol((const char *)value_str_bytes(v), NULL, 10) : -1;
}

static void set_all(batch_map *b, long version)
{
    static const char keys[K][3] = { "k0", "k1", "k2", "k3",
                                     "k4", "k5", "k6", "k7" };
    batch_change ch[K];
    for (int i = 0; i < K; i++)
        ch[i] = (batch_change){ keys[i], 2, ver(version) };
    ck_assert_int_eq(batch_map_apply(b, ch, K), 0);
}

START_TEST(one_publish_per_batch)
{
    batch_map *b = batch_map_create();
    ck_assert_ptr_nonnull(b);
    unsigned long before = batch_map_publishes(b);
    set_all(b, 1);
    unsigned long used = batch_map_publishes(b) - before;
    ck_assert_msg(used == 1,
                  "exercise 3.1: one batch of %d changes published %lu "
                  "snapshots; batch_map_apply() in exercises/ch03/batch.c "
                  "must clone once, apply all changes, publish once",
                  K, used);
    batch_map_destroy(b);
}
END_TEST

START_TEST(batch_sets_and_deletes)
{
    batch_map *b = batch_map_create();
    set_all(b, 1);
    batch_change ch[] = {
        { "k0", 2, NULL },     /* delete */
        { "k1", 2, ver(5) },   /* replace */
        { "new", 3, ver(6) },  /* insert */
        { "new", 3, ver(7) },  /* same key again: the later one wins */
        { "none", 4, NULL },   /* delete of an absent key: no-op */
    };
    ck_assert_int_eq(batch_map_apply(b, ch, 5), 0);
    ebr_reader *r = ebr_register(batch_map_domain(b));
    const kvmap *kv = batch_map_read_begin(b, r);
    ck_assert_ptr_null(kvmap_get(kv, "k0", 2));
    ck_assert_int_eq(parse(kvmap_get(kv, "k1", 2)), 5);
    ck_assert_int_eq(parse(kvmap_get(kv, "k2", 2)), 1);
    ck_assert_int_eq(parse(kvmap_get(kv, "new", 3)), 7);
    ck_assert_uint_eq(kv->m.count, K);
    batch_map_read_end(r);
    ebr_unregister(r);
    batch_map_destroy(b);
}
END_TEST

typedef struct race {
    batch_map *b;
    _Atomic int stop;
    _Atomic long torn;
} race;

static void *reader(void *p)
{
    race *rc = p;
    ebr_reader *r = ebr_register(batch_map_domain(rc->b));
    char k[3] = "k0";
    while (!atomic_load(&rc->stop)) {
        const kvmap *kv = batch_map_read_begin(rc->b, r);
        long first = parse(kvmap_get(kv, "k0", 2));
        for (int i = 1; i < K; i++) {
            k[1] = (char)('0' + i);
            if (parse(kvmap_get(kv, k, 2)) != first)
                atomic_fetch_add(&rc->torn, 1);
        }
        batch_map_read_end(r);
    }
    ebr_unregister(r);
    return NULL;
}

START_TEST(readers_never_see_half_a_batch)
{
    race rc = { .b = batch_map_create() };
    set_all(rc.b, 0);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, reader, &rc), 0);
    long n = test_scale(5000, 200);
    for (long v = 1; v <= n; v++)
        set_all(rc.b, v);
    atomic_store(&rc.stop, 1);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    ck_assert_msg(atomic_load(&rc.torn) == 0,
                  "exercise 3.1: readers saw %ld half-applied batches; "
                  "publish the whole batch with one store",
                  atomic_load(&rc.torn));
    batch_map_destroy(rc.b);
}
END_TEST

Suite *ex03_batch_suite(void)
{
    Suite *s = suite_create("ex03_batch");
    TCase *tc = test_tcase("batch", 60);
    tcase_add_test(tc, one_publish_per_batch);
    tcase_add_test(tc, batch_sets_and_deletes);
    tcase_add_test(tc, readers_never_see_half_a_batch);
    suite_add_tcase(s, tc);
    return s;
}
