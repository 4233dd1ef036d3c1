/* ch11_hash.c - chapter 11: the hash read commands against a real redis-server.
 *
 * Every deterministic reply is compared with Redis 7.0.15's, byte for
 * byte in RESP2 and RESP3 (as multisets where Redis's order is its hash
 * table's), on small hashes (a listpack in Redis, our flat form), big
 * ones (more than 128 fields) and ones with long values (a hashtable in
 * Redis, our trie).  HRANDFIELD and HSCAN over a big hash are checked by
 * their properties, and the RESP3 shape of HRANDFIELD ... WITHVALUES
 * against Redis's.  Fields whose own expiry passed (Redis 7.4, which the
 * 7.0 oracle cannot make) are checked on our side alone.
 */
#include "read_oracle.h"
#include "reply_tree.h"
#include "test_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const variants[] = {"hamt", "ptrie"};

static size_t g_len;
static rtree *tree_of(const char *r) { return rtree_parse(r, g_len); }
#define OURS(ro, proto, ...)                                                 \
    tree_of(read_oracle_ours((ro), (proto), &g_len, __VA_ARGS__, NULL))
#define REDIS(ro, proto, ...)                                                \
    tree_of(read_oracle_redis((ro), (proto), &g_len, __VA_ARGS__, NULL))

/* HSET key f<i> v<i> for i in [from, to), values padded to vlen. */
static void fill(oracle *o, const char *key, int from, int to, size_t vlen)
{
    for (int i = from; i < to; i++) {
        char f[32], v[256];
        snprintf(f, sizeof f, "f%d", i);
        int n = snprintf(v, sizeof v, "v%d", i);
        while ((size_t)n < vlen && (size_t)n < sizeof v - 1)
            v[n++] = '.';
        v[n] = '\0';
        oracle_cmd(o, "HSET", key, f, v, NULL);
    }
}

/* The small hash: empty value, binary field and value, a number. */
static void fill_small(oracle *o)
{
    const char *argv[] = {"HSET", "h", "f1", "v1", "f2", "", "a\0b", "x\0y",
                          "n", "123"};
    const size_t lens[] = {4, 1, 2, 2, 2, 0, 3, 3, 1, 3};
    oracle_cmdv(o, 10, argv, lens);
}

static void setup_data(read_oracle *ro)
{
    oracle *o = read_oracle_writer(ro);
    fill_small(o);
    fill(o, "big", 0, (int)test_scale(300, 140), 4);
    fill(o, "long", 0, 3, 100);
    oracle_cmd(o, "HSET", "one", "only", "1", NULL);
    oracle_cmd(o, "SET", "s", "x", NULL);
}

START_TEST(hash_reads_match_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    setup_data(ro);
    const char *keys[] = {"h", "big", "long", "one", "missing"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        const char *key = keys[k];
        read_oracle_expect(ro, READ_UNORDERED | READ_PAIRS, "HGETALL", key,
                           NULL);
        read_oracle_expect(ro, READ_UNORDERED, "HKEYS", key, NULL);
        read_oracle_expect(ro, READ_UNORDERED, "HVALS", key, NULL);
        read_oracle_expect(ro, READ_SAME, "HLEN", key, NULL);
        const char *fields[] = {"f1", "f2", "n", "f0", "f2", "nope", ""};
        for (size_t f = 0; f < sizeof fields / sizeof fields[0]; f++) {
            read_oracle_expect(ro, READ_SAME, "HGET", key, fields[f], NULL);
            read_oracle_expect(ro, READ_SAME, "HEXISTS", key, fields[f], NULL);
            read_oracle_expect(ro, READ_SAME, "HSTRLEN", key, fields[f], NULL);
        }
        read_oracle_expect(ro, READ_SAME, "HMGET", key, "f1", "nope", "f2",
                           "f0", "f1", NULL);
    }
    const char *bin[] = {"HGET", "h", "a\0b"};
    const size_t binlen[] = {4, 1, 3};
    read_oracle_expectv(ro, READ_SAME, 3, bin, binlen);
    const char *binm[] = {"HMGET", "h", "a\0b", "a"};
    const size_t binmlen[] = {5, 1, 3, 1};
    read_oracle_expectv(ro, READ_SAME, 4, binm, binmlen);
    const char *bins[] = {"HSTRLEN", "h", "a\0b"};
    read_oracle_expectv(ro, READ_SAME, 3, bins, binlen);
    read_oracle_stop(ro);
}
END_TEST

START_TEST(hash_errors_match_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    setup_data(ro);
    /* wrong type */
    read_oracle_expect(ro, READ_SAME, "HGET", "s", "f", NULL);
    read_oracle_expect(ro, READ_SAME, "HMGET", "s", "f", NULL);
    read_oracle_expect(ro, READ_SAME, "HGETALL", "s", NULL);
    read_oracle_expect(ro, READ_SAME, "HKEYS", "s", NULL);
    read_oracle_expect(ro, READ_SAME, "HVALS", "s", NULL);
    read_oracle_expect(ro, READ_SAME, "HLEN", "s", NULL);
    read_oracle_expect(ro, READ_SAME, "HEXISTS", "s", "f", NULL);
    read_oracle_expect(ro, READ_SAME, "HSTRLEN", "s", "f", NULL);
    read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "s", NULL);
    read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "s", "2", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "s", "0", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "s", "0", "COUNT", "0", NULL);
    /* wrong arity */
    read_oracle_expect(ro, READ_SAME, "HGET", "h", NULL);
    read_oracle_expect(ro, READ_SAME, "HGET", "h", "a", "b", NULL);
    read_oracle_expect(ro, READ_SAME, "HMGET", "h", NULL);
    read_oracle_expect(ro, READ_SAME, "HGETALL", NULL);
    read_oracle_expect(ro, READ_SAME, "HGETALL", "h", "x", NULL);
    read_oracle_expect(ro, READ_SAME, "HKEYS", NULL);
    read_oracle_expect(ro, READ_SAME, "HVALS", "a", "b", NULL);
    read_oracle_expect(ro, READ_SAME, "HLEN", NULL);
    read_oracle_expect(ro, READ_SAME, "HEXISTS", "h", NULL);
    read_oracle_expect(ro, READ_SAME, "HSTRLEN", "h", NULL);
    read_oracle_expect(ro, READ_SAME, "HRANDFIELD", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", NULL);
    /* HRANDFIELD's numbers and words (the count is read before the key) */
    read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "h", "abc", NULL);
    read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "missing", "abc", NULL);
    read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "h", "1.5", NULL);
    read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "h",
                       "-9223372036854775808", NULL);
    read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "h",
                       "9223372036854775808", NULL);
    read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "h",
                       "4611686018427387904", "WITHVALUES", NULL);
    read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "h",
                       "-4611686018427387904", "WITHVALUES", NULL);
    read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "h", "1", "WITHVALUE",
                       NULL);
    read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "h", "1", "WITHVALUES",
                       "x", NULL);
    /* HSCAN's cursor and options (the cursor is read before the key, the
     * options after it) */
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "abc", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", " 1", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "1x", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h",
                       "18446744073709551616", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "missing", "abc", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "missing", "0", "COUNT", "0",
                       NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "0", "COUNT", "0", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "0", "COUNT", "-1", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "0", "COUNT", "x", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "0", "COUNT", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "0", "MATCH", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "0", "TYPE", "hash",
                       NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "0", "FOO", "1", NULL);
    read_oracle_stop(ro);
}
END_TEST

/* A small hash is answered whole with cursor 0, in insertion order, as a
 * listpack is; and HRANDFIELD of a one-field hash is deterministic. */
START_TEST(small_scans_and_single_picks_match_redis)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    setup_data(ro);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "0", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "-1", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "123", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "0", "COUNT", "1", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "0", "MATCH", "f*", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "0", "MATCH", "*",
                       "COUNT", "100", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "h", "0", "match", "[a-f]?",
                       "count", "2", "MATCH", "n", NULL);
    read_oracle_expect(ro, READ_SAME, "HSCAN", "missing", "0", NULL);
    read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "one", NULL);
    read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "missing", NULL);
    read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "missing", "3", NULL);
    read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "missing", "-3",
                       "WITHVALUES", NULL);
    const char *counts[] = {"0", "1", "-1", "2", "-3", "100"};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "one", counts[i],
                           NULL);
        read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "one", counts[i],
                           "WITHVALUES", NULL);
        read_oracle_expect(ro, READ_SAME, "HRANDFIELD", "one", counts[i],
                           "withvalues", NULL);
    }
    /* every field of a hash no bigger than the count: unordered */
    read_oracle_expect(ro, READ_UNORDERED, "HRANDFIELD", "h", "4", NULL);
    read_oracle_expect(ro, READ_UNORDERED | READ_PAIRS | READ_RESP2_ONLY,
                       "HRANDFIELD",
                       "h", "10", "WITHVALUES", NULL);
    read_oracle_expect(ro, READ_UNORDERED, "HRANDFIELD", "long", "3", NULL);
    read_oracle_stop(ro);
}
END_TEST

/* ---- properties ---------------------------------------------------------- */

/* The value of field f in the test data of key "big" or "h" (NULL: none). */
static const char *big_value(const char *f, char *buf, size_t n)
{
    int i;
    char tail;
    if (sscanf(f, "f%d%c", &i, &tail) != 1)
        return NULL;
    int len = snprintf(buf, n, "v%d", i);
    while (len < 4)
        buf[len++] = '.';
    buf[len] = '\0';
    return buf;
}

/* Same types and counts all the way down. */
static bool same_shape(const rtree *a, const rtree *b)
{
    if (a->type != b->type || a->nkids != b->nkids)
        return false;
    for (size_t i = 0; i < a->nkids; i++)
        if (!same_shape(&a->kids[i], &b->kids[i]))
            return false;
    return true;
}

/* Check one HRANDFIELD big <count> [WITHVALUES] reply's properties. */
static void check_picks(read_oracle *ro, int proto, long count, bool wv,
                        long size)
{
    char cs[32];
    snprintf(cs, sizeof cs, "%ld", count);
    rtree *t = wv ? OURS(ro, proto, "HRANDFIELD", "big", cs, "WITHVALUES")
                  : OURS(ro, proto, "HRANDFIELD", "big", cs);
    long want = count >= 0 ? (count < size ? count : size) : -count;
    bool nested = wv && proto == 3;
    size_t per = wv && !nested ? 2 : 1;
    ck_assert_int_eq(t->type, '*');
    ck_assert_uint_eq(t->nkids, (size_t)want * per);
    char *seen = calloc((size_t)size, 1);
    for (size_t i = 0; i < t->nkids; i += per) {
        const rtree *name = &t->kids[i], *val = wv ? &t->kids[i + 1] : NULL;
        if (nested) {
            ck_assert_int_eq(t->kids[i].type, '*');
            ck_assert_uint_eq(t->kids[i].nkids, 2);
            name = &t->kids[i].kids[0];
            val = &t->kids[i].kids[1];
        }
        ck_assert_int_eq(name->type, '$');
        int idx = atoi(name->str + 1);
        ck_assert_msg(name->str[0] == 'f' && idx >= 0 && idx < size,
                      "HRANDFIELD big %s: no such field %s", cs, name->str);
        if (val != NULL) {
            char buf[64];
            ck_assert_str_eq(val->str, big_value(name->str, buf, sizeof buf));
        }
        if (count > 0)
            ck_assert_msg(!seen[idx], "HRANDFIELD big %s: %s twice", cs,
                          name->str);
        seen[idx] = 1;
    }
    free(seen);
    rtree_free(t);
}

START_TEST(hrandfield_properties)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    setup_data(ro);
    long size = test_scale(300, 140);
    const long counts[] = {1, 2, 5, 100, size - 1, size, size + 50, -1, -7,
                           -(size + 100)};
    for (int proto = 2; proto <= 3; proto++)
        for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
            check_picks(ro, proto, counts[i], false, size);
            check_picks(ro, proto, counts[i], true, size);
        }
    /* one field at a time: every field of a small hash shows up */
    int hits[3] = {0};
    for (int i = 0; i < 200; i++) {
        rtree *t = OURS(ro, 2, "HRANDFIELD", "long");
        ck_assert_int_eq(t->type, '$');
        int idx = atoi(t->str + 1);
        ck_assert(idx >= 0 && idx < 3);
        hits[idx]++;
        rtree_free(t);
    }
    ck_assert(hits[0] > 0 && hits[1] > 0 && hits[2] > 0);
    /* RESP3 shapes are Redis's */
    const char *shape_counts[] = {"5", "-5", "1", "-1"};
    for (size_t i = 0; i < 4; i++) {
        rtree *a = OURS(ro, 3, "HRANDFIELD", "big", shape_counts[i],
                        "WITHVALUES");
        rtree *b = REDIS(ro, 3, "HRANDFIELD", "big", shape_counts[i],
                         "WITHVALUES");
        ck_assert_msg(same_shape(a, b), "HRANDFIELD big %s WITHVALUES: "
                      "RESP3 shape differs", shape_counts[i]);
        rtree_free(a);
        rtree_free(b);
        a = OURS(ro, 3, "HRANDFIELD", "big", shape_counts[i]);
        b = REDIS(ro, 3, "HRANDFIELD", "big", shape_counts[i]);
        ck_assert(same_shape(a, b));
        rtree_free(a);
        rtree_free(b);
    }
    read_oracle_stop(ro);
}
END_TEST

/* One full HSCAN: each field name seen goes into seen[] (index of f<i>),
 * counted; edit() runs between calls.  Returns the number of calls. */
typedef void scan_edit_fn(read_oracle *ro, int call);

static int scan_all(read_oracle *ro, const char *key, const char *match,
                    const char *count, int *seen, long size,
                    scan_edit_fn *edit)
{
    char cursor[32] = "0";
    int calls = 0;
    do {
        rtree *t = match ? OURS(ro, 2, "HSCAN", key, cursor, "MATCH", match,
                                "COUNT", count)
                         : OURS(ro, 2, "HSCAN", key, cursor, "COUNT", count);
        ck_assert_uint_eq(t->nkids, 2);
        ck_assert_int_eq(t->kids[0].type, '$');
        snprintf(cursor, sizeof cursor, "%s", t->kids[0].str);
        const rtree *els = &t->kids[1];
        ck_assert_uint_eq(els->nkids % 2, 0);
        for (size_t i = 0; i < els->nkids; i += 2) {
            int idx = atoi(els->kids[i].str + 1);
            ck_assert(idx >= 0 && idx < size);
            char buf[64];
            ck_assert_str_eq(els->kids[i + 1].str,
                             big_value(els->kids[i].str, buf, sizeof buf));
            seen[idx]++;
        }
        rtree_free(t);
        if (edit != NULL)
            edit(ro, calls);
        ck_assert_msg(++calls < 10 * size + 10, "HSCAN %s never ends", key);
    } while (strcmp(cursor, "0") != 0);
    return calls;
}

static long g_size;

/* Between calls: delete every field f<i> with i % 5 == 1 (one per call),
 * and add new ones beyond the original range. */
static void edit_between(read_oracle *ro, int call)
{
    oracle *o = read_oracle_writer(ro);
    char f[32];
    int del = 1 + 5 * call;
    if (del < g_size) {
        snprintf(f, sizeof f, "f%d", del);
        oracle_cmd(o, "HDEL", "big", f, NULL);
    }
    if (call < g_size / 2) /* new fields stay below 4 * g_size */
        fill(o, "big", (int)g_size + 3 * call, (int)g_size + 3 * call + 3, 4);
}

START_TEST(hscan_returns_every_field)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    setup_data(ro);
    long size = test_scale(300, 140);
    int *seen = calloc((size_t)size * 4, sizeof *seen);
    const char *counts[] = {"1", "7", "10", "1000"};
    for (size_t c = 0; c < 4; c++) {
        memset(seen, 0, (size_t)size * sizeof *seen);
        int calls = scan_all(ro, "big", NULL, counts[c], seen, size, NULL);
        for (long i = 0; i < size; i++)
            ck_assert_msg(seen[i] == 1, "COUNT %s: f%ld seen %d times",
                          counts[c], i, seen[i]);
        if (c == 0)
            ck_assert_int_ge(calls, size / 2); /* a real cursor */
    }
    /* MATCH filters what COUNT looked at */
    memset(seen, 0, (size_t)size * sizeof *seen);
    scan_all(ro, "big", "f1*", "10", seen, size, NULL);
    for (long i = 0; i < size; i++) {
        char f[32];
        snprintf(f, sizeof f, "f%ld", i);
        ck_assert_int_eq(seen[i], f[1] == '1' ? 1 : 0);
    }
    /* Long values: a trie with few fields */
    memset(seen, 0, (size_t)size * sizeof *seen);
    rtree *t = OURS(ro, 2, "HSCAN", "long", "0", "COUNT", "1");
    ck_assert_uint_eq(t->kids[1].nkids, 2);
    rtree_free(t);
    /* Fields present for the whole scan come back while others go and
     * come */
    g_size = size;
    memset(seen, 0, (size_t)size * 4 * sizeof *seen);
    scan_all(ro, "big", NULL, "5", seen, size * 4, edit_between);
    for (long i = 0; i < size; i++)
        if (i % 5 != 1)
            ck_assert_msg(seen[i] >= 1, "f%ld was never returned", i);
    free(seen);
    read_oracle_stop(ro);
}
END_TEST

/* ---- fields whose own expiry passed -------------------------------------- */

static void apply(oracle *o, size_t argc, const char *const *argv)
{
    ck_assert_int_eq(cmd_apply_argv(o->app, argc, argv, NULL), CMD_APPLIED);
    ck_assert_int_eq(cmd_applier_flush(o->app), 0);
}

/* Expire field name f of key at absolute ms t, on our side only. */
static void expire_field(oracle *o, const char *key, const char *f, int64_t t)
{
    char ts[32];
    snprintf(ts, sizeof ts, "%" PRId64, t);
    const char *argv[] = {"HPEXPIREAT", key, ts, "FIELDS", "1", f};
    apply(o, 6, argv);
}

static bool tree_has(const rtree *t, const char *s)
{
    for (size_t i = 0; i < t->nkids; i++)
        if (t->kids[i].str != NULL && strcmp(t->kids[i].str, s) == 0)
            return true;
    return false;
}

#define OURS_IS(ro, proto, lit, ...)                                         \
    do {                                                                     \
        size_t n_;                                                           \
        const char *r_ = read_oracle_ours((ro), (proto), &n_, __VA_ARGS__,   \
                                          NULL);                             \
        ck_assert_bytes_eq(r_, n_, (lit), strlen(lit));                      \
    } while (0)

START_TEST(expired_fields_are_missing)
{
    read_oracle *ro = read_oracle_start(variants[_i]);
    oracle *o = read_oracle_writer(ro);
    int64_t past = 1000, future = value_now_ms() + 3600 * 1000;
    oracle_cmd(o, "HSET", "fe", "a", "1", "b", "22", "c", "333", "d", "4444",
               NULL);
    expire_field(o, "fe", "b", past);
    expire_field(o, "fe", "c", future);
    for (int proto = 2; proto <= 3; proto++) {
        const char *nul = proto == 2 ? "$-1\r\n" : "_\r\n";
        OURS_IS(ro, proto, nul, "HGET", "fe", "b");
        OURS_IS(ro, proto, "$3\r\n333\r\n", "HGET", "fe", "c");
        OURS_IS(ro, proto, ":0\r\n", "HEXISTS", "fe", "b");
        OURS_IS(ro, proto, ":1\r\n", "HEXISTS", "fe", "c");
        OURS_IS(ro, proto, ":0\r\n", "HSTRLEN", "fe", "b");
        OURS_IS(ro, proto, ":3\r\n", "HLEN", "fe");
        char want[64];
        snprintf(want, sizeof want, "*2\r\n$1\r\n1\r\n%s", nul);
        OURS_IS(ro, proto, want, "HMGET", "fe", "a", "b");
    }
    rtree *t = OURS(ro, 2, "HKEYS", "fe");
    ck_assert_uint_eq(t->nkids, 3);
    ck_assert(!tree_has(t, "b") && tree_has(t, "c"));
    rtree_free(t);
    t = OURS(ro, 3, "HGETALL", "fe");
    ck_assert_int_eq(t->type, '%');
    ck_assert_uint_eq(t->nkids, 6);
    ck_assert(!tree_has(t, "b") && !tree_has(t, "22"));
    rtree_free(t);
    t = OURS(ro, 2, "HVALS", "fe");
    ck_assert_uint_eq(t->nkids, 3);
    ck_assert(!tree_has(t, "22"));
    rtree_free(t);
    t = OURS(ro, 2, "HRANDFIELD", "fe", "10");
    ck_assert_uint_eq(t->nkids, 3);
    ck_assert(!tree_has(t, "b"));
    rtree_free(t);
    t = OURS(ro, 2, "HRANDFIELD", "fe", "2");
    ck_assert_uint_eq(t->nkids, 2);
    ck_assert(!tree_has(t, "b"));
    rtree_free(t);
    t = OURS(ro, 2, "HRANDFIELD", "fe", "-60");
    ck_assert_uint_eq(t->nkids, 60);
    ck_assert(!tree_has(t, "b"));
    rtree_free(t);
    for (int i = 0; i < 30; i++) {
        t = OURS(ro, 2, "HRANDFIELD", "fe");
        ck_assert_str_ne(t->str, "b");
        rtree_free(t);
    }
    t = OURS(ro, 2, "HSCAN", "fe", "0");
    ck_assert_uint_eq(t->kids[1].nkids, 6);
    ck_assert(!tree_has(&t->kids[1], "b"));
    rtree_free(t);

    /* A big hash (the trie form) with a third of its fields expired. */
    long size = test_scale(300, 140);
    fill(o, "bigfe", 0, (int)size, 4);
    long live = 0;
    for (long i = 0; i < size; i++) {
        char f[32];
        snprintf(f, sizeof f, "f%ld", i);
        if (i % 3 == 0)
            expire_field(o, "bigfe", f, past);
        else
            live++;
    }
    char want[32];
    snprintf(want, sizeof want, ":%ld\r\n", live);
    OURS_IS(ro, 2, want, "HLEN", "bigfe");
    t = OURS(ro, 2, "HKEYS", "bigfe");
    ck_assert_uint_eq(t->nkids, (size_t)live);
    rtree_free(t);
    char cs[32];
    snprintf(cs, sizeof cs, "%ld", size);
    t = OURS(ro, 2, "HRANDFIELD", "bigfe", cs);
    ck_assert_uint_eq(t->nkids, (size_t)live);
    for (size_t i = 0; i < t->nkids; i++)
        ck_assert_int_ne(atoi(t->kids[i].str + 1) % 3, 0);
    rtree_free(t);
    t = OURS(ro, 2, "HRANDFIELD", "bigfe", "5");
    ck_assert_uint_eq(t->nkids, 5);
    for (size_t i = 0; i < t->nkids; i++)
        ck_assert_int_ne(atoi(t->kids[i].str + 1) % 3, 0);
    rtree_free(t);
    int *seen = calloc((size_t)size, sizeof *seen);
    scan_all(ro, "bigfe", NULL, "10", seen, size, NULL);
    for (long i = 0; i < size; i++)
        ck_assert_int_eq(seen[i], i % 3 == 0 ? 0 : 1);
    free(seen);

    /* Every field expired: an empty hash */
    oracle_cmd(o, "HSET", "gone", "x", "1", NULL);
    expire_field(o, "gone", "x", past);
    OURS_IS(ro, 2, "$-1\r\n", "HRANDFIELD", "gone");
    OURS_IS(ro, 3, "_\r\n", "HRANDFIELD", "gone");
    OURS_IS(ro, 2, "*0\r\n", "HRANDFIELD", "gone", "-3");
    OURS_IS(ro, 2, ":0\r\n", "HLEN", "gone");
    OURS_IS(ro, 3, "%0\r\n", "HGETALL", "gone");
    OURS_IS(ro, 2, "*2\r\n$1\r\n0\r\n*0\r\n", "HSCAN", "gone", "0");

    /* SORT_RO reads hash fields through BY and GET: an expired one is
     * missing (GET: null; BY: score 0) */
    oracle_cmd(o, "RPUSH", "ids", "1", "2", "3", NULL);
    oracle_cmd(o, "HSET", "w_1", "v", "30", NULL);
    oracle_cmd(o, "HSET", "w_2", "v", "10", NULL);
    oracle_cmd(o, "HSET", "w_3", "v", "20", NULL);
    expire_field(o, "w_1", "v", past);
    OURS_IS(ro, 2, "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n", "SORT_RO",
            "ids", "BY", "w_*->v");
    OURS_IS(ro, 3, "*3\r\n_\r\n$2\r\n10\r\n$2\r\n20\r\n", "SORT_RO", "ids",
            "BY", "w_*->v", "GET", "w_*->v");
    read_oracle_stop(ro);
}
END_TEST

Suite *ch11_hash_suite(void)
{
    Suite *s = suite_create("ch11_hash");
    TCase *tc = test_tcase("oracle", 120);
    tcase_add_checked_fixture(tc, NULL, read_oracle_teardown);
    tcase_add_loop_test(tc, hash_reads_match_redis, 0, 2);
    tcase_add_loop_test(tc, hash_errors_match_redis, 0, 2);
    tcase_add_loop_test(tc, small_scans_and_single_picks_match_redis, 0, 2);
    tcase_add_loop_test(tc, hrandfield_properties, 0, 2);
    tcase_add_loop_test(tc, hscan_returns_every_field, 0, 2);
    tcase_add_loop_test(tc, expired_fields_are_missing, 0, 2);
    suite_add_tcase(s, tc);
    return s;
}
