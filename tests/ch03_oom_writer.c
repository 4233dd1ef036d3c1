/* ch03_oom_writer.c - chapter 3: running out of memory with a reader stuck.
 *
 * The likeliest moment to run out of memory is when garbage piles up behind
 * a reader that stays inside its section.  A write that then fails must
 * fail at once and leave the store as it was; it must never wait for that
 * reader (an earlier design fell back to ebr_synchronize() under the writer
 * lock when it could not queue its garbage, and hung for as long as the
 * reader stayed).  Each test holds a reader inside its section on another
 * thread, fails every allocation of one write in turn (alloc_fail_nth()),
 * and checks that the write returned, what it returned, and that the store
 * still holds exactly what it held before.  A hang is caught by the test's
 * timeout.
 */
#include "alloc.h"
#include "store.h"
#include "store_cow.h"
#include "store_hamt.h"
#include "store_striped.h"
#include "test_util.h"

#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>

static const store_ops *const variants[] = { &store_cow_ops, &store_hamt_ops,
                                             &store_striped_ops };

/* A reader thread that enters its section and stays until released. */
typedef struct stuck {
    store *s;
    sem_t inside, release;
    pthread_t t;
} stuck;

static void *stay_inside(void *p)
{
    stuck *k = p;
    store_reader *r = store_reader_open(k->s);
    ck_assert_ptr_nonnull(r);
    store_read_begin(r);
    (void)store_get(r, "k0", 2);
    sem_post(&k->inside);
    sem_wait(&k->release); /* stuck here while the writer runs out */
    store_read_end(r);
    store_reader_close(r);
    return NULL;
}

static void stuck_start(stuck *k, store *s)
{
    k->s = s;
    sem_init(&k->inside, 0, 0);
    sem_init(&k->release, 0, 0);
    ck_assert_int_eq(pthread_create(&k->t, NULL, stay_inside, k), 0);
    sem_wait(&k->inside);
}

static void stuck_stop(stuck *k)
{
    sem_post(&k->release);
    pthread_join(k->t, NULL);
    sem_destroy(&k->inside);
    sem_destroy(&k->release);
}

static value *str(const char *s)
{
    return value_new_string(s, strlen(s), VALUE_NO_EXPIRY);
}

/* The store must map key i to want[i] for every i < n (NULL: absent). */
static void expect_contents(store *s, const char *const *want, int n,
                            const char *what)
{
    store_reader *r = store_reader_open(s);
    ck_assert_ptr_nonnull(r);
    store_read_begin(r);
    for (int i = 0; i < n; i++) {
        char k[16];
        int kl = snprintf(k, sizeof k, "k%d", i);
        const value *v = store_get(r, k, (size_t)kl);
        if (want[i] == NULL) {
            ck_assert_msg(v == NULL, "%s: %s: key %s should be absent",
                          s->ops->name, what, k);
            continue;
        }
        ck_assert_msg(v != NULL, "%s: %s: key %s is missing", s->ops->name,
                      what, k);
        size_t len = value_str_len(v);
        const char *b = (const char *)value_str_bytes(v);
        ck_assert_msg(len == strlen(want[i]) && memcmp(b, want[i], len) == 0,
                      "%s: %s: key %s holds \"%.*s\", want \"%s\"",
                      s->ops->name, what, k, (int)len, b, want[i]);
    }
    store_read_end(r);
    store_reader_close(r);
}

#define NKEYS 8

static store *filled(const store_ops *ops)
{
    store *s = store_create(ops);
    ck_assert_ptr_nonnull(s);
    for (int i = 0; i < NKEYS; i++) {
        char k[16], v[16];
        int kl = snprintf(k, sizeof k, "k%d", i);
        snprintf(v, sizeof v, "old%d", i);
        ck_assert_int_eq(store_set(s, k, (size_t)kl, str(v)), 0);
    }
    return s;
}

static const char *const old_contents[NKEYS] = {
    "old0", "old1", "old2", "old3", "old4", "old5", "old6", "old7",
};

START_TEST(failed_set_with_reader_stuck_returns_and_changes_nothing)
{
    store *s = filled(variants[_i]);
    stuck k;
    stuck_start(&k, s);
    int failures = 0;
    for (unsigned long nth = 1;; nth++) {
        value *v = str("new3"); /* made before arming: not the write's */
        alloc_fail_nth(nth);
        int rc = store_set(s, "k3", 2, v); /* must return, not wait */
        bool fired = alloc_fail_fired() != 0;
        alloc_fail_off();
        if (!fired) {
            ck_assert_int_eq(rc, 0);
            break;
        }
        failures++;
        if (rc == 0)
            break; /* a failure the write could live with */
        expect_contents(s, old_contents, NKEYS, "after a failed set");
    }
    stuck_stop(&k);
    const char *want[NKEYS];
    memcpy(want, old_contents, sizeof want);
    want[3] = "new3";
    expect_contents(s, want, NKEYS, "after the set succeeded");
    ck_assert_msg(failures > 0, "%s: store_set allocated nothing to fail",
                  s->ops->name);
    store_destroy(s);
}
END_TEST

START_TEST(failed_del_with_reader_stuck_returns_and_changes_nothing)
{
    store *s = filled(variants[_i]);
    stuck k;
    stuck_start(&k, s);
    for (unsigned long nth = 1;; nth++) {
        alloc_fail_nth(nth);
        int rc = store_del(s, "k5", 2);
        bool fired = alloc_fail_fired() != 0;
        alloc_fail_off();
        if (!fired || rc == 1) {
            ck_assert_int_eq(rc, 1);
            break;
        }
        ck_assert_int_eq(rc, -1);
        expect_contents(s, old_contents, NKEYS, "after a failed del");
    }
    stuck_stop(&k);
    const char *want[NKEYS];
    memcpy(want, old_contents, sizeof want);
    want[5] = NULL;
    expect_contents(s, want, NKEYS, "after the del succeeded");
    store_destroy(s);
}
END_TEST

START_TEST(failed_batch_with_reader_stuck_returns_and_changes_nothing)
{
    store *s = filled(variants[_i]);
    stuck k;
    stuck_start(&k, s);
    for (unsigned long nth = 1;; nth++) {
        store_change ch[3] = {
            { .kind = STORE_CHANGE_SET, .key = "k1", .klen = 2,
              .val = str("b1") },
            { .kind = STORE_CHANGE_DEL, .key = "k2", .klen = 2 },
            { .kind = STORE_CHANGE_SET, .key = "k9", .klen = 2,
              .val = str("b9") },
        };
        alloc_fail_nth(nth);
        int rc = store_apply(s, ch, 3);
        bool fired = alloc_fail_fired() != 0;
        alloc_fail_off();
        if (!fired || rc == 0) {
            ck_assert_int_eq(rc, 0);
            break;
        }
        ck_assert_int_eq(rc, -1);
        expect_contents(s, old_contents, NKEYS, "after a failed batch");
    }
    stuck_stop(&k);
    const char *want[NKEYS];
    memcpy(want, old_contents, sizeof want);
    want[1] = "b1";
    want[2] = NULL;
    expect_contents(s, want, NKEYS, "after the batch succeeded");
    store_destroy(s);
}
END_TEST

Suite *ch03_oom_writer_suite(void)
{
    Suite *s = suite_create("ch03_oom_writer");
    TCase *tc = test_tcase("oom_writer", 30);
    int n = (int)(sizeof variants / sizeof variants[0]);
    tcase_add_loop_test(
        tc, failed_set_with_reader_stuck_returns_and_changes_nothing, 0, n);
    tcase_add_loop_test(
        tc, failed_del_with_reader_stuck_returns_and_changes_nothing, 0, n);
    tcase_add_loop_test(
        tc, failed_batch_with_reader_stuck_returns_and_changes_nothing, 0, n);
    suite_add_tcase(s, tc);
    return s;
}
