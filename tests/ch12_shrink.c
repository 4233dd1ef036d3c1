/* ch12_shrink.c - chapter 12: check_shrink() finds a 1-minimal failing subsequence.
 * Chapter 12.
 *
 * The tests are predicates over index sequences, so no server is needed:
 * "contains 7" (a one-element cause), "contains 3 and 9" (two elements
 * that must stay together), "3 before 9 with 5 absent" (not monotone: a
 * superset of a failing sequence can pass), "at least 4 elements" (many
 * 1-minimal answers, any one will do).  Every result is checked for what
 * the header promises, independently of how it was found: indices
 * increasing and in range, the predicate failing on it, and passing on
 * each sequence with one element removed.  Around that: the test's own
 * error, a sequence that does not fail, the lengths 0 and 1, a cause of
 * two elements in 2000 found in far fewer than 2000 tries, and every
 * allocation failing in turn.
 */
#include "alloc.h"
#include "check_shrink.h"
#include "test_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** A predicate, with what it needs and what it saw. */
typedef struct pred {
    int (*fn)(struct pred *p, const size_t *idx, size_t n);
    size_t a, b, c;    /**< its parameters */
    size_t calls;      /**< how often it ran */
    size_t maxn;       /**< the original length, to check indices */
    int bad;           /**< got indices not increasing or out of range */
    size_t error_at;   /**< answer -1 at this call (0: never) */
} pred;

static int has_idx(const size_t *idx, size_t n, size_t x)
{
    for (size_t i = 0; i < n; i++)
        if (idx[i] == x)
            return 1;
    return 0;
}

static int run_pred(const size_t *idx, size_t n, void *arg)
{
    pred *p = arg;
    p->calls++;
    for (size_t i = 0; i < n; i++)
        if (idx[i] >= p->maxn || (i > 0 && idx[i] <= idx[i - 1]))
            p->bad = 1;
    if (p->error_at != 0 && p->calls == p->error_at) {
        errno = EIO;
        return -1;
    }
    return p->fn(p, idx, n);
}

static int contains_a(pred *p, const size_t *idx, size_t n)
{
    return has_idx(idx, n, p->a);
}

static int contains_a_and_b(pred *p, const size_t *idx, size_t n)
{
    return has_idx(idx, n, p->a) && has_idx(idx, n, p->b);
}

/* a before b (indices increase, so: both present) and c absent */
static int a_b_without_c(pred *p, const size_t *idx, size_t n)
{
    return has_idx(idx, n, p->a) && has_idx(idx, n, p->b) && !has_idx(idx, n, p->c);
}

static int at_least_a(pred *p, const size_t *idx, size_t n)
{
    (void)idx;
    return n >= p->a;
}

static int always(pred *p, const size_t *idx, size_t n)
{
    (void)p; (void)idx; (void)n;
    return 1;
}

static int never(pred *p, const size_t *idx, size_t n)
{
    (void)p; (void)idx; (void)n;
    return 0;
}

static int answers_two(pred *p, const size_t *idx, size_t n)
{
    (void)p; (void)idx;
    return n < 3 ? 1 : 2;
}

/* The header's promises about a result, checked without trusting it. */
static void check_result(pred *p, const size_t *out, size_t outn)
{
    size_t calls = p->calls;
    for (size_t i = 0; i < outn; i++) {
        ck_assert_uint_lt(out[i], p->maxn);
        if (i > 0)
            ck_assert_uint_gt(out[i], out[i - 1]);
    }
    ck_assert_int_eq(p->fn(p, out, outn), 1);
    size_t *less = malloc((outn + 1) * sizeof *less);
    ck_assert_ptr_nonnull(less);
    for (size_t skip = 0; skip < outn; skip++) {
        size_t m = 0;
        for (size_t i = 0; i < outn; i++)
            if (i != skip)
                less[m++] = out[i];
        ck_assert_msg(p->fn(p, less, m) == 0,
                      "not 1-minimal: still fails without index %zu", out[skip]);
    }
    free(less);
    ck_assert_int_eq(p->bad, 0);
    p->calls = calls;
}

/* Shrink 0..n-1 under p, expect rc 0, check, and return the result. */
static size_t *shrunk(pred *p, size_t n, size_t *outn, size_t *tries)
{
    size_t *out = NULL;
    p->maxn = n;
    p->calls = 0;
    ck_assert_int_eq(check_shrink(n, run_pred, p, &out, outn, tries), 0);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(*tries, p->calls);
    check_result(p, out, *outn);
    return out;
}

START_TEST(one_element_cause)
{
    pred p = {.fn = contains_a, .a = 7};
    size_t outn, tries;
    size_t *out = shrunk(&p, 20, &outn, &tries);
    ck_assert_uint_eq(outn, 1);
    ck_assert_uint_eq(out[0], 7);
    free(out);
    /* at either end too */
    for (size_t a = 0; a < 20; a += 19) {
        pred q = {.fn = contains_a, .a = a};
        out = shrunk(&q, 20, &outn, &tries);
        ck_assert_uint_eq(outn, 1);
        ck_assert_uint_eq(out[0], a);
        free(out);
    }
}
END_TEST

START_TEST(two_element_cause)
{
    pred p = {.fn = contains_a_and_b, .a = 3, .b = 9};
    size_t outn, tries;
    size_t *out = shrunk(&p, 16, &outn, &tries);
    ck_assert_uint_eq(outn, 2);
    ck_assert_uint_eq(out[0], 3);
    ck_assert_uint_eq(out[1], 9);
    free(out);
    /* neighbours, and odd lengths that split unevenly */
    for (size_t n = 2; n < 40; n += 5) {
        pred q = {.fn = contains_a_and_b, .a = n / 2 - 1, .b = n / 2};
        if (n / 2 == 0)
            continue;
        out = shrunk(&q, n, &outn, &tries);
        ck_assert_uint_eq(outn, 2);
        free(out);
    }
}
END_TEST

START_TEST(not_monotone)
{
    /* "3 before 9 with 5 absent": the whole of 0..19 holds 5, so it
     * passes, and there is nothing to shrink (one try, no result) */
    pred p = {.fn = a_b_without_c, .a = 3, .b = 9, .c = 5, .maxn = 20};
    size_t outn = 0, tries = 0;
    size_t *out = NULL;
    ck_assert_int_eq(check_shrink(20, run_pred, &p, &out, &outn, &tries), 1);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(tries, 1);
    /* over 0..4: 9 is not there, and nothing fails either */
    pred q = {.fn = a_b_without_c, .a = 3, .b = 9, .c = 5, .maxn = 5};
    ck_assert_int_eq(check_shrink(5, run_pred, &q, &out, &outn, &tries), 1);
}
END_TEST

/* A truly non-monotone test: fails with 3 and 9 unless 5 is there, or
 * when all of 0..n-1 is there (so the start fails). */
static int nonmono(pred *p, const size_t *idx, size_t n)
{
    if (n == p->maxn)
        return 1;
    return has_idx(idx, n, 3) && has_idx(idx, n, 9) && !has_idx(idx, n, 5);
}

START_TEST(not_monotone_superset_passes)
{
    pred p = {.fn = nonmono};
    size_t outn, tries;
    size_t *out = shrunk(&p, 20, &outn, &tries);
    /* 1-minimal (checked above); 5 can never be in it, 3 and 9 always */
    ck_assert(!has_idx(out, outn, 5));
    ck_assert_uint_eq(outn, 2);
    ck_assert_uint_eq(out[0], 3);
    ck_assert_uint_eq(out[1], 9);
    free(out);
}
END_TEST

START_TEST(length_at_least_four)
{
    pred p = {.fn = at_least_a, .a = 4};
    size_t outn, tries;
    size_t *out = shrunk(&p, 50, &outn, &tries);
    ck_assert_uint_eq(outn, 4);
    free(out);
}
END_TEST

START_TEST(test_error_stops_it)
{
    for (size_t at = 1; at <= 6; at++) {
        pred p = {.fn = contains_a_and_b, .a = 3, .b = 9, .maxn = 16,
                  .error_at = at};
        size_t *out = (size_t *)&p, outn = 99, tries = 0;
        errno = 0;
        ck_assert_int_eq(check_shrink(16, run_pred, &p, &out, &outn, &tries), -1);
        ck_assert_int_eq(errno, EIO); /* the test's own errno is kept */
        ck_assert_ptr_null(out);
        ck_assert_uint_eq(outn, 0);
        ck_assert_uint_eq(tries, at); /* it stopped at once */
    }
    /* an answer the contract does not allow is an error too */
    pred q = {.fn = answers_two, .maxn = 10};
    size_t *out, outn, tries;
    ck_assert_int_eq(check_shrink(10, run_pred, &q, &out, &outn, &tries), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_ptr_null(out);
}
END_TEST

START_TEST(whole_sequence_passes)
{
    pred p = {.fn = never, .maxn = 100};
    size_t *out = (size_t *)&p, outn = 5, tries = 0;
    ck_assert_int_eq(check_shrink(100, run_pred, &p, &out, &outn, &tries), 1);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(outn, 0);
    ck_assert_uint_eq(tries, 1);
    /* tries may be NULL */
    ck_assert_int_eq(check_shrink(100, run_pred, &p, &out, &outn, NULL), 1);
}
END_TEST

START_TEST(tiny_lengths)
{
    /* n = 1: the one element stays if the empty sequence passes */
    pred p = {.fn = contains_a, .a = 0};
    size_t outn, tries;
    size_t *out = shrunk(&p, 1, &outn, &tries);
    ck_assert_uint_eq(outn, 1);
    ck_assert_uint_eq(out[0], 0);
    ck_assert_uint_eq(tries, 2); /* all of it, then without its element */
    free(out);
    /* a test that fails on anything, the empty sequence included */
    pred q = {.fn = always};
    out = shrunk(&q, 1, &outn, &tries);
    ck_assert_uint_eq(outn, 0);
    free(out);
    out = shrunk(&q, 300, &outn, &tries);
    ck_assert_uint_eq(outn, 0);
    free(out);
    /* n = 0: the empty sequence fails (an array of nothing) or passes */
    out = shrunk(&q, 0, &outn, &tries);
    ck_assert_uint_eq(outn, 0);
    ck_assert_uint_eq(tries, 1);
    free(out);
    pred r = {.fn = never};
    ck_assert_int_eq(check_shrink(0, run_pred, &r, &out, &outn, &tries), 1);
    ck_assert_ptr_null(out);
}
END_TEST

START_TEST(large_two_element_cause)
{
    size_t n = 2000;
    size_t pairs[][2] = {{0, 1999}, {1000, 1001}, {17, 1234}, {1998, 1999}, {0, 1}};
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        pred p = {.fn = contains_a_and_b, .a = pairs[i][0], .b = pairs[i][1]};
        size_t outn, tries;
        size_t *out = shrunk(&p, n, &outn, &tries);
        ck_assert_uint_eq(outn, 2);
        ck_assert_uint_eq(out[0], pairs[i][0]);
        ck_assert_uint_eq(out[1], pairs[i][1]);
        /* 41 to 140 over 200 random pairs; the bound leaves room and is
         * still far below the n tries of removing one element at a time */
        ck_assert_msg(tries < 200, "%zu tries for {%zu, %zu} in %zu", tries,
                      pairs[i][0], pairs[i][1], n);
        free(out);
    }
    pred q = {.fn = contains_a, .a = 1357};
    size_t outn, tries;
    size_t *out = shrunk(&q, n, &outn, &tries);
    ck_assert_uint_eq(outn, 1);
    ck_assert_msg(tries < 100, "%zu tries for one element in %zu", tries, n);
    free(out);
}
END_TEST

START_TEST(out_of_memory)
{
    unsigned failed = 0;
    for (unsigned long nth = 1;; nth++) {
        pred p = {.fn = contains_a_and_b, .a = 3, .b = 9, .maxn = 64};
        size_t *out = (size_t *)&p, outn = 7, tries = 0;
        errno = 0;
        alloc_fail_nth(nth);
        int rc = check_shrink(64, run_pred, &p, &out, &outn, &tries);
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        if (fired == 0) {
            ck_assert_int_eq(rc, 0);
            check_result(&p, out, outn);
            free(out);
            break;
        }
        failed++;
        ck_assert_int_eq(rc, -1);
        ck_assert_int_eq(errno, ENOMEM);
        ck_assert_ptr_null(out);
        ck_assert_uint_eq(outn, 0);
        ck_assert_uint_eq(tries, 0); /* memory is taken before any replay */
    }
    ck_assert_uint_ge(failed, 1);
}
END_TEST

Suite *ch12_shrink_suite(void)
{
    Suite *s = suite_create("ch12_shrink");
    TCase *tc = test_tcase("ddmin", 60);
    tcase_add_test(tc, one_element_cause);
    tcase_add_test(tc, two_element_cause);
    tcase_add_test(tc, not_monotone);
    tcase_add_test(tc, not_monotone_superset_passes);
    tcase_add_test(tc, length_at_least_four);
    tcase_add_test(tc, test_error_stops_it);
    tcase_add_test(tc, whole_sequence_passes);
    tcase_add_test(tc, tiny_lengths);
    tcase_add_test(tc, large_two_element_cause);
    tcase_add_test(tc, out_of_memory);
    suite_add_tcase(s, tc);
    return s;
}
