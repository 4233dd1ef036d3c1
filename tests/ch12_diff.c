/* ch12_diff.c - chapter 12: what check_key_compare() and check_keys_diff() call a difference.
 * Chapter 12.
 *
 * Every verdict is produced from records built by hand, with no server:
 * the tolerance at its edges (a TTL difference of exactly tol is the
 * same, tol + 1 is not), a TTL on one side only, a key that expired
 * between the two reads in both directions (and one whose TTL was too
 * long for that excuse), binary keys holding NUL, and the descriptions,
 * which must name the database, the key escaped, and the evidence.  The
 * list walk is checked against sorting by check_key_order() (keys that
 * are prefixes of others, keys in several databases) and on long lists
 * whose differences sit at the start, the middle and the end.
 */
#include "check_diff.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TOL 2000

static check_key mk(int db, const char *key, const char *type, const char *val,
                    long long pttl)
{
    check_key k = {.db = db, .key = key, .keylen = strlen(key), .type = type,
                   .value = val, .valuelen = strlen(val), .pttl_ms = pttl};
    return k;
}

/* Compare, assert the verdict, and return the description. */
static const char *cmp_is(const check_key *m, const check_key *r, long long tol,
                          check_verdict want)
{
    static char why[512];
    strcpy(why, "(untouched)");
    check_verdict v = check_key_compare(m, r, tol, why, sizeof why);
    ck_assert_msg(v == want, "verdict %d, want %d (%s)", (int)v, (int)want, why);
    return why;
}

static void has(const char *why, const char *part)
{
    ck_assert_msg(strstr(why, part) != NULL, "\"%s\" lacks \"%s\"", why, part);
}

START_TEST(equal_keys_are_same)
{
    check_key a = mk(0, "k", "string", "v", -1), b = a;
    const char *why = cmp_is(&a, &b, TOL, CHECK_SAME);
    ck_assert_str_eq(why, "(untouched)");
    check_key c = mk(3, "h", "hash", "f=1;g=2", 5000), d = c;
    d.pttl_ms = 4000;
    cmp_is(&c, &d, TOL, CHECK_SAME);
    cmp_is(NULL, NULL, TOL, CHECK_SAME);
    /* why may be NULL */
    ck_assert_int_eq(check_key_compare(&a, NULL, TOL, NULL, 0), CHECK_MISSING);
}
END_TEST

START_TEST(type_differs)
{
    check_key a = mk(2, "k", "string", "v", -1), b = mk(2, "k", "list", "v", -1);
    const char *why = cmp_is(&a, &b, TOL, CHECK_TYPE);
    has(why, "db 2");
    has(why, "\"k\"");
    has(why, "string");
    has(why, "list");
}
END_TEST

START_TEST(value_differs_names_offset_and_excerpts)
{
    check_key a = mk(0, "user:1", "string", "hello world", -1);
    check_key b = mk(0, "user:1", "string", "hello World", -1);
    const char *why = cmp_is(&a, &b, TOL, CHECK_VALUE);
    has(why, "db 0");
    has(why, "\"user:1\"");
    has(why, "at byte 6");
    has(why, "\"hello world\"");
    has(why, "\"hello World\"");
    /* a prefix: the difference is where the shorter one ends */
    check_key c = mk(0, "p", "string", "abc", -1), d = mk(0, "p", "string", "abcd", -1);
    why = cmp_is(&c, &d, TOL, CHECK_VALUE);
    has(why, "at byte 3");
    has(why, "master 3 bytes");
    has(why, "replica 4 bytes");
    /* long values: an excerpt around the byte, not the whole value */
    char big1[300], big2[300];
    memset(big1, 'a', sizeof big1 - 1);
    big1[sizeof big1 - 1] = '\0';
    memcpy(big2, big1, sizeof big2);
    big2[150] = '\x01';
    check_key e = mk(1, "big", "string", big1, -1), f = mk(1, "big", "string", big2, -1);
    why = cmp_is(&e, &f, TOL, CHECK_VALUE);
    has(why, "at byte 150");
    has(why, "aaaaaaaa\\x01aaa");
    ck_assert_msg(strlen(why) < 200, "excerpt too long: %s", why);
    /* a value only differs from an empty one at byte 0 */
    check_key g = mk(0, "e", "string", "", -1), h = mk(0, "e", "string", "x", -1);
    g.value = NULL;
    why = cmp_is(&g, &h, TOL, CHECK_VALUE);
    has(why, "at byte 0");
    has(why, "master 0 bytes \"\"");
}
END_TEST

START_TEST(value_beats_ttl)
{
    /* both wrong: the value is the one reported */
    check_key a = mk(0, "k", "string", "1", -1), b = mk(0, "k", "string", "2", 100);
    cmp_is(&a, &b, TOL, CHECK_VALUE);
}
END_TEST

START_TEST(ttl_tolerance_edges)
{
    check_key a = mk(4, "t", "string", "v", 10000), b = a;
    b.pttl_ms = 10000 - TOL; /* exactly tol */
    cmp_is(&a, &b, TOL, CHECK_SAME);
    b.pttl_ms = 10000 + TOL; /* either direction */
    cmp_is(&a, &b, TOL, CHECK_SAME);
    b.pttl_ms = 10000 - TOL - 1; /* tol + 1 */
    const char *why = cmp_is(&a, &b, TOL, CHECK_TTL);
    has(why, "db 4");
    has(why, "10000 ms");
    has(why, "7999 ms");
    b.pttl_ms = 10000 + TOL + 1;
    cmp_is(&a, &b, TOL, CHECK_TTL);
    /* tolerance 0: only equal TTLs agree */
    b.pttl_ms = 10000;
    cmp_is(&a, &b, 0, CHECK_SAME);
    b.pttl_ms = 9999;
    cmp_is(&a, &b, 0, CHECK_TTL);
}
END_TEST

START_TEST(ttl_on_one_side_only)
{
    check_key a = mk(0, "t", "string", "v", -1), b = a;
    b.pttl_ms = 1; /* however close to expiring */
    const char *why = cmp_is(&a, &b, TOL, CHECK_TTL);
    has(why, "none");
    has(why, "1 ms");
    why = cmp_is(&b, &a, TOL, CHECK_TTL);
    has(why, "none");
    b.pttl_ms = 1000000;
    cmp_is(&a, &b, TOL, CHECK_TTL);
}
END_TEST

START_TEST(expired_between_reads)
{
    check_key k = mk(0, "e", "string", "v", TOL);
    /* read on the master with pttl <= tol, gone when the replica was read */
    cmp_is(&k, NULL, TOL, CHECK_SAME);
    k.pttl_ms = 0;
    cmp_is(&k, NULL, TOL, CHECK_SAME);
    /* gone on the master first, the replica not yet told */
    k.pttl_ms = TOL;
    cmp_is(NULL, &k, TOL, CHECK_SAME);
    k.pttl_ms = 3;
    cmp_is(NULL, &k, TOL, CHECK_SAME);
    /* beyond the tolerance: a real difference */
    k.pttl_ms = TOL + 1;
    const char *why = cmp_is(&k, NULL, TOL, CHECK_MISSING);
    has(why, "missing on the replica");
    has(why, "2001 ms");
    why = cmp_is(NULL, &k, TOL, CHECK_EXTRA);
    has(why, "extra on the replica");
    has(why, "2001 ms");
    /* no TTL at all: never excused */
    k.pttl_ms = -1;
    cmp_is(&k, NULL, TOL, CHECK_MISSING);
    cmp_is(NULL, &k, TOL, CHECK_EXTRA);
}
END_TEST

START_TEST(binary_keys_escaped)
{
    static const char key[] = "a\0b\n\xff\"\\z";
    check_key a = mk(7, "", "string", "v", -1);
    a.key = key;
    a.keylen = sizeof key - 1;
    const char *why = cmp_is(&a, NULL, TOL, CHECK_MISSING);
    has(why, "db 7 key \"a\\x00b\\x0a\\xff\\\"\\\\z\"");
    /* a NUL inside makes two keys differ that a C string would confuse */
    static const char k2[] = "a\0c";
    check_key b = a;
    b.key = k2;
    b.keylen = 3;
    ck_assert_int_lt(check_key_order(&a, &b), 0);
    /* and a long key is cut */
    char longkey[200];
    memset(longkey, 'q', sizeof longkey);
    check_key c = mk(0, "", "string", "v", -1);
    c.key = longkey;
    c.keylen = sizeof longkey;
    why = cmp_is(NULL, &c, TOL, CHECK_EXTRA);
    has(why, "qqq...\" (200 bytes)");
    ck_assert_msg(strlen(why) < 160, "key not cut: %s", why);
    /* cut between escapes, never inside one */
    char bin[100];
    memset(bin, 0x01, sizeof bin);
    c.key = bin;
    c.keylen = sizeof bin;
    why = cmp_is(NULL, &c, TOL, CHECK_EXTRA);
    has(why, "\\x01\\x01...\" (100 bytes)");
    /* a short why buffer is cut, not overrun */
    char tiny[8];
    memset(tiny, 'X', sizeof tiny);
    ck_assert_int_eq(check_key_compare(NULL, &c, TOL, tiny, 5), CHECK_EXTRA);
    ck_assert_int_eq(strlen(tiny), 4);
    ck_assert_int_eq(tiny[5], 'X');
}
END_TEST

START_TEST(order_db_then_bytes)
{
    check_key ks[] = {
        mk(1, "a", "string", "", -1), mk(0, "ab", "string", "", -1),
        mk(0, "a", "string", "", -1), mk(0, "", "string", "", -1),
        mk(2, "", "string", "", -1), mk(0, "b", "string", "", -1),
        mk(1, "\x80", "string", "", -1), mk(1, "\x7f", "string", "", -1),
        mk(0, "abc", "string", "", -1),
    };
    size_t n = sizeof ks / sizeof ks[0];
    qsort(ks, n, sizeof ks[0], check_key_order);
    const char *want[] = {"0:", "0:a", "0:ab", "0:abc", "0:b", "1:a",
                          "1:\x7f", "1:\x80", "2:"};
    for (size_t i = 0; i < n; i++) {
        char got[16];
        snprintf(got, sizeof got, "%d:%.*s", ks[i].db, (int)ks[i].keylen, ks[i].key);
        ck_assert_str_eq(got, want[i]);
    }
    /* the shorter first on a tie; equal is 0; signs are antisymmetric */
    check_key p = mk(0, "ab", "", "", -1), q = mk(0, "abc", "", "", -1);
    ck_assert_int_lt(check_key_order(&p, &q), 0);
    ck_assert_int_gt(check_key_order(&q, &p), 0);
    ck_assert_int_eq(check_key_order(&p, &p), 0);
    check_key d0 = mk(0, "z", "", "", -1), d1 = mk(1, "a", "", "", -1);
    ck_assert_int_lt(check_key_order(&d0, &d1), 0);
}
END_TEST

/** What the callback saw. */
typedef struct seen {
    size_t n;               /**< calls */
    check_verdict v[16];    /**< verdicts, in order */
    char key[16][32];       /**< "db:key" of each */
    int bad;                /**< a record was missing or present wrongly */
} seen;

static void record(const check_key *m, const check_key *r, check_verdict v,
                   const char *why, void *arg)
{
    seen *s = arg;
    const check_key *k = m ? m : r;
    if (v == CHECK_SAME || why == NULL || why[0] == '\0' || k == NULL ||
        (v == CHECK_MISSING && (m == NULL || r != NULL)) ||
        (v == CHECK_EXTRA && (r == NULL || m != NULL)) ||
        (v != CHECK_MISSING && v != CHECK_EXTRA && (m == NULL || r == NULL)))
        s->bad = 1;
    if (s->n < 16 && k != NULL) {
        s->v[s->n] = v;
        snprintf(s->key[s->n], sizeof s->key[0], "%d:%.*s", k->db,
                 (int)k->keylen, k->key);
    }
    s->n++;
}

START_TEST(diff_small_lists)
{
    check_key m[] = {
        mk(0, "a", "string", "1", -1), mk(0, "ab", "string", "2", -1),
        mk(0, "b", "list", "x", -1), mk(0, "gone", "string", "z", 50),
        mk(1, "a", "string", "1", 9000), mk(1, "m", "string", "1", -1),
    };
    check_key r[] = {
        mk(0, "a", "string", "1", -1), mk(0, "b", "set", "x", -1),
        mk(0, "c", "string", "3", -1), mk(1, "a", "string", "1", 5000),
        mk(1, "m", "string", "2", -1), mk(1, "late", "string", "q", 10),
    };
    size_t nm = 6, nr = 6;
    qsort(m, nm, sizeof m[0], check_key_order);
    qsort(r, nr, sizeof r[0], check_key_order);
    seen s = {0};
    ck_assert_uint_eq(check_keys_diff(m, nm, r, nr, TOL, record, &s), 5);
    ck_assert_uint_eq(s.n, 5);
    ck_assert_int_eq(s.bad, 0);
    const char *keys[] = {"0:ab", "0:b", "0:c", "1:a", "1:m"};
    check_verdict vs[] = {CHECK_MISSING, CHECK_TYPE, CHECK_EXTRA, CHECK_TTL,
                          CHECK_VALUE};
    for (int i = 0; i < 5; i++) {
        ck_assert_str_eq(s.key[i], keys[i]);
        ck_assert_int_eq(s.v[i], vs[i]);
    }
    /* fn NULL: only counted */
    ck_assert_uint_eq(check_keys_diff(m, nm, r, nr, TOL, NULL, NULL), 5);
    /* empty sides */
    ck_assert_uint_eq(check_keys_diff(NULL, 0, NULL, 0, TOL, record, &s), 0);
    ck_assert_uint_eq(check_keys_diff(m, nm, NULL, 0, TOL, NULL, NULL), 5);
    ck_assert_uint_eq(check_keys_diff(NULL, 0, r, nr, TOL, NULL, NULL), 5);
    ck_assert_uint_eq(check_keys_diff(m, nm, m, nm, TOL, NULL, NULL), 0);
}
END_TEST

START_TEST(diff_same_key_in_two_dbs)
{
    /* the same bytes in another database is another key */
    check_key m[] = {mk(0, "k", "string", "v", -1)};
    check_key r[] = {mk(1, "k", "string", "v", -1)};
    seen s = {0};
    ck_assert_uint_eq(check_keys_diff(m, 1, r, 1, TOL, record, &s), 2);
    ck_assert_int_eq(s.v[0], CHECK_MISSING);
    ck_assert_str_eq(s.key[0], "0:k");
    ck_assert_int_eq(s.v[1], CHECK_EXTRA);
    ck_assert_str_eq(s.key[1], "1:k");
    ck_assert_int_eq(s.bad, 0);
}
END_TEST

/* A long list of n keys, k%06zu in db i % 3, values equal on both sides. */
static check_key *long_list(size_t n, char (*names)[24])
{
    check_key *ks = malloc(n * sizeof *ks);
    ck_assert_ptr_nonnull(ks);
    for (size_t i = 0; i < n; i++) {
        snprintf(names[i], 24, "k%06zu", i);
        ks[i] = mk((int)(i % 3), names[i], "string", names[i], -1);
    }
    qsort(ks, n, sizeof *ks, check_key_order);
    return ks;
}

START_TEST(diff_long_lists)
{
    size_t n = (size_t)test_scale(30000, 300);
    char (*names)[24] = malloc(n * sizeof *names);
    ck_assert_ptr_nonnull(names);
    check_key *m = long_list(n, names);
    check_key *r = malloc(n * sizeof *r);
    ck_assert_ptr_nonnull(r);
    memcpy(r, m, n * sizeof *r);
    ck_assert_uint_eq(check_keys_diff(m, n, r, n, TOL, NULL, NULL), 0);
    /* start: the first key missing on the replica; middle: a value;
     * end: the last key's TTL */
    r[n / 2].value = "changed";
    r[n / 2].valuelen = 7;
    r[n - 1].pttl_ms = 100000;
    seen s = {0};
    ck_assert_uint_eq(check_keys_diff(m, n, r + 1, n - 1, TOL, record, &s), 3);
    ck_assert_int_eq(s.bad, 0);
    ck_assert_int_eq(s.v[0], CHECK_MISSING);
    ck_assert_int_eq(s.v[1], CHECK_VALUE);
    ck_assert_int_eq(s.v[2], CHECK_TTL);
    char want[32];
    snprintf(want, sizeof want, "%d:%.*s", m[0].db, (int)m[0].keylen, m[0].key);
    ck_assert_str_eq(s.key[0], want);
    snprintf(want, sizeof want, "%d:%.*s", m[n / 2].db, (int)m[n / 2].keylen,
             m[n / 2].key);
    ck_assert_str_eq(s.key[1], want);
    snprintf(want, sizeof want, "%d:%.*s", m[n - 1].db, (int)m[n - 1].keylen,
             m[n - 1].key);
    ck_assert_str_eq(s.key[2], want);
    /* the replica has one key more at the end and one fewer in the middle:
     * nothing else is misaligned by the gap */
    check_key *r2 = malloc((n + 1) * sizeof *r2);
    ck_assert_ptr_nonnull(r2);
    memcpy(r2, m, n * sizeof *r2);
    memmove(r2 + n / 2, r2 + n / 2 + 1, (n - n / 2 - 1) * sizeof *r2);
    r2[n - 1] = mk(9, "zz", "string", "v", -1);
    memset(&s, 0, sizeof s);
    ck_assert_uint_eq(check_keys_diff(m, n, r2, n, TOL, record, &s), 2);
    ck_assert_int_eq(s.v[0], CHECK_MISSING);
    ck_assert_int_eq(s.v[1], CHECK_EXTRA);
    ck_assert_str_eq(s.key[1], "9:zz");
    free(r2);
    free(r);
    free(m);
    free(names);
}
END_TEST

Suite *ch12_diff_suite(void)
{
    Suite *s = suite_create("ch12_diff");
    TCase *tc = test_tcase("compare", 30);
    tcase_add_test(tc, equal_keys_are_same);
    tcase_add_test(tc, type_differs);
    tcase_add_test(tc, value_differs_names_offset_and_excerpts);
    tcase_add_test(tc, value_beats_ttl);
    tcase_add_test(tc, ttl_tolerance_edges);
    tcase_add_test(tc, ttl_on_one_side_only);
    tcase_add_test(tc, expired_between_reads);
    tcase_add_test(tc, binary_keys_escaped);
    suite_add_tcase(s, tc);
    tc = test_tcase("lists", 60);
    tcase_add_test(tc, order_db_then_bytes);
    tcase_add_test(tc, diff_small_lists);
    tcase_add_test(tc, diff_same_key_in_two_dbs);
    tcase_add_test(tc, diff_long_lists);
    suite_add_tcase(s, tc);
    return s;
}
