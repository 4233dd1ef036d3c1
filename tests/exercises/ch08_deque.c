/* ch08_deque.c - tests for exercise 8.1 (exercises/ch08/pdeque_ex.c). */
#include "pdeque_ex.h"
#include "test_util.h"

#include <stdlib.h>
#include <string.h>

#define HINT "exercise 8.1: write the deque in exercises/ch08/pdeque_ex.c"

/* The model: a plain array holding the same elements. */
typedef struct model {
    long *a;
    size_t n;
} model;

static void expect(const pdeque *d, const model *m, const char *what)
{
    ck_assert_msg(d != NULL, HINT " (%s returned NULL)", what);
    ck_assert_msg(pdeque_len(d) == m->n, HINT ": after %s, length %zu, "
                  "expected %zu", what, pdeque_len(d), m->n);
    long *got = malloc((m->n + 1) * sizeof *got);
    ck_assert_ptr_nonnull(got);
    pdeque_to_array(d, got);
    for (size_t i = 0; i < m->n; i++)
        ck_assert_msg(got[i] == m->a[i], HINT ": after %s, element %zu is "
                      "%ld, expected %ld", what, i, got[i], m->a[i]);
    free(got);
}

START_TEST(both_ends)
{
    pdeque *e = pdeque_empty();
    ck_assert_msg(e != NULL, HINT " (pdeque_empty returned NULL)");
    pdeque *a = pdeque_push_back(e, 2);
    pdeque *b = pdeque_push_front(a, 1);
    pdeque *c = pdeque_push_back(b, 3);
    long want[] = { 1, 2, 3 };
    expect(c, &(model){ want, 3 }, "push_back, push_front, push_back");
    long x = 0;
    pdeque *d = pdeque_pop_front(c, &x);
    ck_assert_msg(x == 1, HINT ": pop_front gave %ld, expected 1", x);
    pdeque *f = pdeque_pop_back(d, &x);
    ck_assert_msg(x == 3, HINT ": pop_back gave %ld, expected 3", x);
    expect(f, &(model){ want + 1, 1 }, "two pops");
    /* The older versions are untouched. */
    expect(c, &(model){ want, 3 }, "popping newer versions");
    expect(e, &(model){ want, 0 }, "everything (the empty version)");
    ck_assert_msg(pdeque_pop_front(e, &x) == NULL, HINT ": popping the "
                  "empty deque must return NULL");
    pdeque *vs[] = { e, a, b, c, d, f };
    for (size_t i = 0; i < 6; i++)
        pdeque_release(vs[i]);
    ck_assert_msg(pdeque_cells_live() == 0, HINT ": %zu cells still "
                  "allocated after releasing every version",
                  pdeque_cells_live());
}
END_TEST

/* A seeded random walk that keeps some old versions and checks them at
 * the end; then everything is released and no cell may be left. */
START_TEST(random_walk_keeps_old_versions)
{
    enum { KEEP = 64 };
    long ops = test_scale(20000, 2000);
    unsigned seed = 8;
    model m = { malloc((size_t)ops * sizeof(long)), 0 };
    pdeque *kept[KEEP] = { 0 };
    model km[KEEP] = { { 0 } };
    pdeque *d = pdeque_empty();
    ck_assert_msg(d != NULL, HINT " (pdeque_empty returned NULL)");
    size_t made0 = pdeque_cells_made();
    for (long i = 0; i < ops; i++) {
        int op = rand_r(&seed) % 4;
        long x = i;
        pdeque *n;
        if (m.n == 0 || op < 2) {
            if (op % 2 == 0) {
                n = pdeque_push_front(d, x);
                memmove(m.a + 1, m.a, m.n * sizeof *m.a);
                m.a[0] = x;
            } else {
                n = pdeque_push_back(d, x);
                m.a[m.n] = x;
            }
            m.n++;
        } else {
            long want = op == 2 ? m.a[0] : m.a[m.n - 1];
            n = op == 2 ? pdeque_pop_front(d, &x) : pdeque_pop_back(d, &x);
            ck_assert_msg(n != NULL && x == want, HINT ": step %ld popped "
                          "%ld, expected %ld", i, x, want);
            if (op == 2)
                memmove(m.a, m.a + 1, (m.n - 1) * sizeof *m.a);
            m.n--;
        }
        ck_assert_msg(n != NULL, HINT " (step %ld returned NULL)", i);
        ck_assert_msg(pdeque_len(n) == m.n, HINT ": step %ld: length %zu, "
                      "expected %zu", i, pdeque_len(n), m.n);
        if (i % 997 == 0)
            expect(n, &m, "a random step");
        int slot = rand_r(&seed) % (KEEP * 8);
        if (slot < KEEP) { /* keep the old version d, with its contents */
            pdeque_release(kept[slot]);
            free(km[slot].a);
            kept[slot] = d;
            size_t on = pdeque_len(d);
            km[slot].a = malloc((on + 1) * sizeof(long));
            pdeque_to_array(d, km[slot].a);
            km[slot].n = on;
        } else {
            pdeque_release(d);
        }
        d = n;
    }
    expect(d, &m, "the whole walk");
    size_t made = pdeque_cells_made() - made0;
    ck_assert_msg(made <= 6 * (size_t)ops, HINT ": %ld operations made %zu "
                  "cells; a deque that shares its stacks makes O(1) cells "
                  "per operation on average (at most 6 here)", ops, made);
    for (int k = 0; k < KEEP; k++) {
        if (kept[k] != NULL)
            expect(kept[k], &km[k], "later edits (a kept old version)");
        pdeque_release(kept[k]);
        free(km[k].a);
    }
    pdeque_release(d);
    free(m.a);
    ck_assert_msg(pdeque_cells_live() == 0, HINT ": %zu cells leaked",
                  pdeque_cells_live());
}
END_TEST

Suite *ex08_deque_suite(void)
{
    Suite *s = suite_create("ex08_deque");
    TCase *tc = test_tcase("deque", 30);
    tcase_add_test(tc, both_ends);
    tcase_add_test(tc, random_walk_keeps_old_versions);
    suite_add_tcase(s, tc);
    return s;
}
