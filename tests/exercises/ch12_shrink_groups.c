/* ch12_shrink_groups.c - tests for exercise 12.1 (exercises/ch12/shrink_groups_ex.c).
 *
 * The test functions are predicates over command indices that also
 * watch what they are given: every sequence shrink_groups() hands them
 * must be a union of whole groups of the original (a MULTI with all of
 * its block, or none of it), and so must the result.  The result must
 * fail, and removing any one of its groups must make it pass (1-minimal
 * at the level of groups).  A cause inside a MULTI block brings the
 * whole block; a sequence without transactions shrinks exactly as
 * check_shrink() shrinks it; DISCARD, a MULTI never ended, lower-case
 * names, an EXEC outside a transaction follow shrink_groups_ex.h; and
 * running out of memory at any allocation is an ENOMEM, nothing leaked.
 */
#include "alloc.h"
#include "shrink_groups_ex.h"
#include "test_util.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define HINT "exercise 12.1: write shrink_groups in exercises/ch12/shrink_groups_ex.c"

#define MAXC 256

/** A test over command indices, and the groups it checks its input by. */
typedef struct gtest {
    const char *const *cmds; /**< the sequence */
    size_t n;                /**< its length */
    int group[MAXC];         /**< group number of each command */
    size_t need[8];          /**< fails when all of these are present */
    size_t nneed;            /**< how many */
    size_t calls;            /**< how often it ran */
    int malformed;           /**< got a sequence that splits a group */
} gtest;

/* The groups, by the rules of shrink_groups_ex.h, written out plainly. */
static void number_groups(gtest *t)
{
    int g = -1, in_multi = 0;
    for (size_t i = 0; i < t->n; i++) {
        const char *c = t->cmds[i];
        if (in_multi) {
            t->group[i] = g;
            if (strcasecmp(c, "EXEC") == 0 || strcasecmp(c, "DISCARD") == 0)
                in_multi = 0;
            continue;
        }
        t->group[i] = ++g;
        in_multi = strcasecmp(c, "MULTI") == 0;
    }
}

/* 1 when idx[0..m) is increasing and a union of whole groups. */
static int well_formed(const gtest *t, const size_t *idx, size_t m)
{
    unsigned char in[MAXC] = {0};
    for (size_t i = 0; i < m; i++) {
        if (idx[i] >= t->n || (i > 0 && idx[i] <= idx[i - 1]))
            return 0;
        in[idx[i]] = 1;
    }
    for (size_t i = 1; i < t->n; i++)
        if (t->group[i] == t->group[i - 1] && in[i] != in[i - 1])
            return 0;
    return 1;
}

static int has(const size_t *idx, size_t m, size_t x)
{
    for (size_t i = 0; i < m; i++)
        if (idx[i] == x)
            return 1;
    return 0;
}

static int verdict(const gtest *t, const size_t *idx, size_t m)
{
    for (size_t k = 0; k < t->nneed; k++)
        if (!has(idx, m, t->need[k]))
            return 0;
    return 1;
}

static int test_fn(const size_t *idx, size_t m, void *arg)
{
    gtest *t = arg;
    t->calls++;
    if (!well_formed(t, idx, m))
        t->malformed = 1;
    return verdict(t, idx, m);
}

static void setup(gtest *t, const char *const *cmds, size_t n)
{
    memset(t, 0, sizeof *t);
    ck_assert_uint_le(n, MAXC);
    t->cmds = cmds;
    t->n = n;
    number_groups(t);
}

/* Shrink, expect success, check the result; returns it (free it). */
static size_t *shrink_ok(gtest *t, size_t *outn)
{
    size_t *out = NULL;
    errno = 0;
    int rc = shrink_groups(t->cmds, t->n, test_fn, t, &out, outn);
    ck_assert_msg(rc == 0, "shrink_groups returned %d (errno %d: %s); " HINT,
                  rc, errno, strerror(errno));
    ck_assert_ptr_nonnull(out);
    ck_assert_msg(t->malformed == 0, "the test was given a sequence that "
                  "splits a MULTI block; " HINT);
    ck_assert_msg(well_formed(t, out, *outn), "the result splits a MULTI block");
    ck_assert_msg(verdict(t, out, *outn), "the result does not fail");
    /* 1-minimal over groups: drop each group of the result in turn */
    size_t *less = malloc((*outn + 1) * sizeof *less);
    ck_assert_ptr_nonnull(less);
    for (size_t i = 0; i < *outn; i++) {
        if (i > 0 && t->group[out[i]] == t->group[out[i - 1]])
            continue;
        size_t m = 0;
        for (size_t j = 0; j < *outn; j++)
            if (t->group[out[j]] != t->group[out[i]])
                less[m++] = out[j];
        ck_assert_msg(!verdict(t, less, m), "not 1-minimal: still fails "
                      "without the group of command %zu", out[i]);
    }
    free(less);
    return out;
}

static void expect(const size_t *out, size_t outn, const size_t *want, size_t wn)
{
    char got[256] = "";
    for (size_t i = 0; i < outn && strlen(got) < 200; i++)
        snprintf(got + strlen(got), sizeof got - strlen(got), " %zu", out[i]);
    ck_assert_msg(outn == wn, "result {%s } has %zu commands, want %zu",
                  got, outn, wn);
    for (size_t i = 0; i < wn; i++)
        ck_assert_msg(out[i] == want[i], "result {%s }: command %zu is %zu, "
                      "want %zu", got, i, out[i], want[i]);
}

START_TEST(plain_commands_like_check_shrink)
{
    const char *cmds[40];
    for (size_t i = 0; i < 40; i++)
        cmds[i] = i % 3 ? "SET" : "INCR";
    gtest t;
    setup(&t, cmds, 40);
    t.need[0] = 7;
    t.need[1] = 31;
    t.nneed = 2;
    size_t outn;
    size_t *out = shrink_ok(&t, &outn);
    size_t want[] = {7, 31};
    expect(out, outn, want, 2);
    /* and check_shrink()'s result: with no transaction, nothing changes */
    size_t *ref, refn;
    ck_assert_int_eq(check_shrink(40, test_fn, &t, &ref, &refn, NULL), 0);
    expect(out, outn, ref, refn);
    free(ref);
    free(out);
}
END_TEST

START_TEST(cause_inside_multi_keeps_block)
{
    static const char *const cmds[] = {
        "SET", "SET", "MULTI", "INCR", "INCR", "EXEC", "SET", "DEL",
        "MULTI", "SET", "EXEC", "GET",
    };
    gtest t;
    setup(&t, cmds, 12);
    t.need[0] = 4; /* the second INCR */
    t.nneed = 1;
    size_t outn;
    size_t *out = shrink_ok(&t, &outn);
    size_t want[] = {2, 3, 4, 5};
    expect(out, outn, want, 4);
    free(out);
    /* a cause in two blocks and one plain command */
    setup(&t, cmds, 12);
    t.need[0] = 3;
    t.need[1] = 9;
    t.need[2] = 7;
    t.nneed = 3;
    out = shrink_ok(&t, &outn);
    size_t want2[] = {2, 3, 4, 5, 7, 8, 9, 10};
    expect(out, outn, want2, 8);
    free(out);
}
END_TEST

START_TEST(discard_unended_and_case)
{
    static const char *const cmds[] = {
        "set", "multi", "incr", "discard", "exec", "Multi", "MULTI", "SET",
        "Exec", "SET", "MULTI", "INCR", "SET",
    };
    gtest t;
    setup(&t, cmds, 13);
    /* DISCARD ends a block */
    t.need[0] = 2;
    t.nneed = 1;
    size_t outn;
    size_t *out = shrink_ok(&t, &outn);
    size_t w1[] = {1, 2, 3};
    expect(out, outn, w1, 3);
    free(out);
    /* an EXEC outside a transaction is a command of its own */
    setup(&t, cmds, 13);
    t.need[0] = 4;
    t.nneed = 1;
    out = shrink_ok(&t, &outn);
    size_t w2[] = {4};
    expect(out, outn, w2, 1);
    free(out);
    /* a nested MULTI is part of the block it is in */
    setup(&t, cmds, 13);
    t.need[0] = 6;
    t.nneed = 1;
    out = shrink_ok(&t, &outn);
    size_t w3[] = {5, 6, 7, 8};
    expect(out, outn, w3, 4);
    free(out);
    /* a MULTI never ended runs to the end */
    setup(&t, cmds, 13);
    t.need[0] = 12;
    t.nneed = 1;
    out = shrink_ok(&t, &outn);
    size_t w4[] = {10, 11, 12};
    expect(out, outn, w4, 3);
    free(out);
}
END_TEST

START_TEST(many_blocks_well_formed)
{
    /* 200 commands, a block of 2..6 every few commands; causes spread */
    const char *cmds[200];
    uint64_t x = 12345;
    size_t i = 0;
    while (i < 200) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t body = 1 + (size_t)(x >> 60) % 5;
        if ((x >> 40) % 3 == 0 && i + body + 2 <= 200) {
            cmds[i++] = "MULTI";
            for (size_t j = 0; j < body; j++)
                cmds[i++] = "INCR";
            cmds[i++] = (x >> 20) % 4 ? "EXEC" : "DISCARD";
        } else {
            cmds[i++] = "SET";
        }
    }
    gtest t;
    for (size_t a = 0; a < 200; a += 37) {
        setup(&t, cmds, 200);
        t.need[0] = a;
        t.need[1] = 199 - a / 2;
        t.need[2] = (a * 7) % 200;
        t.nneed = 3;
        size_t outn;
        size_t *out = shrink_ok(&t, &outn);
        ck_assert_uint_lt(outn, 25);
        ck_assert_msg(t.calls < 400, "%zu tries", t.calls);
        free(out);
    }
}
END_TEST

static int answer_error(const size_t *idx, size_t m, void *arg)
{
    (void)idx; (void)m;
    size_t *calls = arg;
    if (++*calls == 3) {
        errno = EIO;
        return -1;
    }
    return 1;
}

START_TEST(errors_and_nothing_to_shrink)
{
    static const char *const cmds[] = {"SET", "MULTI", "INCR", "EXEC", "GET"};
    gtest t;
    setup(&t, cmds, 5);
    t.need[0] = 99; /* never present: the whole sequence passes */
    t.nneed = 1;
    size_t *out = (size_t *)&t, outn = 3;
    ck_assert_int_eq(shrink_groups(cmds, 5, test_fn, &t, &out, &outn), 1);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(outn, 0);
    size_t calls = 0;
    errno = 0;
    ck_assert_int_eq(shrink_groups(cmds, 5, answer_error, &calls, &out, &outn), -1);
    ck_assert_int_eq(errno, EIO);
    ck_assert_ptr_null(out);
    ck_assert_uint_eq(calls, 3);
    const char *bad[] = {"SET", NULL, "GET"};
    errno = 0;
    ck_assert_int_eq(shrink_groups(bad, 3, test_fn, &t, &out, &outn), -1);
    ck_assert_int_eq(errno, EINVAL);
    ck_assert_ptr_null(out);
}
END_TEST

START_TEST(out_of_memory)
{
    static const char *const cmds[] = {
        "SET", "MULTI", "INCR", "EXEC", "SET", "SET", "MULTI", "SET", "EXEC",
    };
    unsigned failed = 0;
    for (unsigned long nth = 1;; nth++) {
        gtest t;
        setup(&t, cmds, 9);
        t.need[0] = 2;
        t.need[1] = 5;
        t.nneed = 2;
        size_t *out = (size_t *)&t, outn = 7;
        errno = 0;
        alloc_fail_nth(nth);
        int rc = shrink_groups(cmds, 9, test_fn, &t, &out, &outn);
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        if (fired == 0) {
            ck_assert_msg(rc == 0, "shrink_groups returned %d; " HINT, rc);
            size_t want[] = {1, 2, 3, 5};
            expect(out, outn, want, 4);
            free(out);
            break;
        }
        failed++;
        ck_assert_int_eq(rc, -1);
        ck_assert_int_eq(errno, ENOMEM);
        ck_assert_ptr_null(out);
    }
    ck_assert_uint_ge(failed, 1);
}
END_TEST

Suite *ex12_shrink_groups_suite(void)
{
    Suite *s = suite_create("ex12_shrink_groups");
    TCase *tc = test_tcase("shrink-groups", 30);
    tcase_add_test(tc, plain_commands_like_check_shrink);
    tcase_add_test(tc, cause_inside_multi_keeps_block);
    tcase_add_test(tc, discard_unended_and_case);
    tcase_add_test(tc, many_blocks_well_formed);
    tcase_add_test(tc, errors_and_nothing_to_shrink);
    tcase_add_test(tc, out_of_memory);
    suite_add_tcase(s, tc);
    return s;
}
