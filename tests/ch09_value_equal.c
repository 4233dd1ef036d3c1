/* ch09_value_equal.c - chapter 9: comparing values and keyspaces; a real SAVE.
 *
 * The oracle of chapter 9 ends every test with "load Redis's dump into a
 * fresh keyspace and diff", so the comparison must catch every kind of
 * difference a client could see, and nothing else.  Each kind is shown
 * here on a pair of values that differ in that one respect (value_equal()
 * must say false and name it), next to pairs that differ only in what a
 * client cannot see (encodings, or clock times within the slack).
 * keyspace_diff() must name the database and the key.  And the loader
 * that the oracle relies on is checked against a real redis-server's SAVE
 * of several databases, on every store variant: the same keys as chapter
 * 7's one-database loader finds, in the right databases, and a database
 * number the keyspace does not have is an error naming it and its offset.
 */
#include "keyspace.h"
#include "keyspace_rdb.h"
#include "value_equal.h"

#include "alloc.h"
#include "redis_server.h"
#include "test_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char why[600];

#define ck_differs(a, b, flags, slack, text)                                \
    do {                                                                    \
        ck_assert_msg(!value_equal((a), (b), (flags), (slack), why,        \
                                   sizeof why),                             \
                      "expected a difference (%s)", text);                  \
        ck_assert_msg(strstr(why, text) != NULL, "why \"%s\" lacks \"%s\"", \
                      why, text);                                           \
        ck_assert(!value_equal((b), (a), (flags), (slack), NULL, 0));       \
    } while (0)

#define ck_same(a, b, flags, slack)                                         \
    do {                                                                    \
        ck_assert_msg(value_equal((a), (b), (flags), (slack), why,         \
                                  sizeof why), "unexpected: %s", why);      \
        ck_assert_str_eq(why, "");                                          \
    } while (0)

static value *str_exp(const char *s, int64_t exp)
{
    value *v = value_new_string(s, strlen(s), exp);
    ck_assert_ptr_nonnull(v);
    return v;
}

static value *sealed(value *v)
{
    ck_assert_int_eq(value_seal(v), 0);
    return v;
}

static value *list_of(const char *items)
{
    value *v = value_new_collection(VALUE_LIST, VALUE_NO_EXPIRY);
    for (const char *p = items; *p; p++)
        ck_assert_int_eq(value_list_push(v, p, 1), 0);
    return sealed(v);
}

static value *set_of(const char *items, int extra_ints)
{
    value *v = value_new_collection(VALUE_SET, VALUE_NO_EXPIRY);
    for (const char *p = items; *p; p++)
        ck_assert_int_eq(value_set_add(v, p, 1), 1);
    char b[16];
    for (int i = 0; i < extra_ints; i++) { /* many: another encoding */
        snprintf(b, sizeof b, "m%d", i);
        ck_assert_int_eq(value_set_add(v, b, strlen(b)), 1);
    }
    return sealed(v);
}

/* ---- value_equal: each kind of difference --------------------------------- */

START_TEST(strings_and_expiry)
{
    value *a = str_exp("abc", VALUE_NO_EXPIRY), *b = str_exp("abd", -1);
    value *c = str_exp("abc", 1000), *d = str_exp("abc", 1005);
    value *e = str_exp("ab", -1), *a2 = str_exp("abc", -1);
    value *l = list_of("abc");
    ck_same(a, a2, 0, 0);
    ck_differs(a, b, 0, 0, "string byte 2: 0x63 vs 0x64");
    ck_differs(a, e, 0, 0, "string length: 3 vs 2");
    ck_differs(a, c, 0, 0, "expiry: none vs 1000");
    ck_differs(c, d, 0, 4, "expiry: 1000 vs 1005");
    ck_same(c, d, 0, 5);
    ck_differs(a, l, 0, 0, "type: string vs list");
    /* long strings (pstrings, read in chunks) and an inline one */
    size_t n = 10000;
    char *big = malloc(n);
    memset(big, 'x', n);
    value *p = value_new_string(big, n, -1);
    big[7777] = 'y';
    value *q = value_new_string(big, n, -1);
    big[7777] = 'x';
    value *r = value_new_string(big, n, -1);
    ck_same(p, r, 0, 0);
    ck_differs(p, q, 0, 0, "string byte 7777: 0x78 vs 0x79");
    free(big);
    value *vs[] = {a, b, c, d, e, a2, l, p, q, r};
    for (size_t i = 0; i < sizeof vs / sizeof *vs; i++)
        value_free(vs[i]);
}
END_TEST

START_TEST(lists_sets_hashes_zsets)
{
    value *l1 = list_of("abc"), *l2 = list_of("acb"), *l3 = list_of("ab");
    value *l4 = list_of("abc");
    ck_same(l1, l4, 0, 0);
    ck_differs(l1, l2, 0, 0, "list item 1: \"b\" vs \"c\"");
    ck_differs(l1, l3, 0, 0, "list length: 3 vs 2");

    value *s1 = set_of("abc", 0), *s2 = set_of("cba", 0);
    value *s3 = set_of("abd", 0), *s4 = set_of("ab", 0);
    value *s5 = set_of("abc", 300), *s6 = set_of("cab", 300);
    ck_same(s1, s2, 0, 0); /* membership, not order */
    ck_same(s5, s6, 0, 0); /* a hash-trie encoding */
    ck_differs(s1, s3, 0, 0, "set member \"c\": only in the first");
    ck_differs(s1, s4, 0, 0, "set size: 3 vs 2");

    value *h[6];
    for (int i = 0; i < 6; i++)
        h[i] = value_new_collection(VALUE_HASH, VALUE_NO_EXPIRY);
    ck_assert_int_eq(value_hash_add(h[0], "f", 1, "v", 1, -1), 1);
    ck_assert_int_eq(value_hash_add(h[0], "g", 1, "w", 1, 5000), 1);
    ck_assert_int_eq(value_hash_add(h[1], "g", 1, "w", 1, 5000), 1);
    ck_assert_int_eq(value_hash_add(h[1], "f", 1, "v", 1, -1), 1);
    ck_assert_int_eq(value_hash_add(h[2], "f", 1, "V", 1, -1), 1);
    ck_assert_int_eq(value_hash_add(h[2], "g", 1, "w", 1, 5000), 1);
    ck_assert_int_eq(value_hash_add(h[3], "f", 1, "v", 1, -1), 1);
    ck_assert_int_eq(value_hash_add(h[3], "g", 1, "w", 1, 5009), 1);
    ck_assert_int_eq(value_hash_add(h[4], "f", 1, "v", 1, -1), 1);
    ck_assert_int_eq(value_hash_add(h[4], "h", 1, "w", 1, 5000), 1);
    ck_assert_int_eq(value_hash_add(h[5], "f", 1, "v", 1, -1), 1);
    for (int i = 0; i < 6; i++)
        sealed(h[i]);
    ck_same(h[0], h[1], 0, 0);
    ck_differs(h[0], h[2], 0, 0, "hash field \"f\": value \"v\" vs \"V\"");
    ck_differs(h[0], h[3], 0, 8, "hash field \"g\": expiry 5000 vs 5009");
    ck_same(h[0], h[3], 0, 9);
    ck_assert(!value_equal(h[0], h[4], 0, 0, why, sizeof why));
    ck_assert(strstr(why, "only in the first") != NULL);
    ck_differs(h[0], h[5], 0, 0, "hash size: 2 vs 1");

    value *z[5];
    for (int i = 0; i < 5; i++)
        z[i] = value_new_collection(VALUE_ZSET, VALUE_NO_EXPIRY);
    ck_assert_int_eq(value_zset_add(z[0], "a", 1, 1.0), 1);
    ck_assert_int_eq(value_zset_add(z[0], "b", 1, 0.0), 1);
    ck_assert_int_eq(value_zset_add(z[1], "b", 1, 0.0), 1);
    ck_assert_int_eq(value_zset_add(z[1], "a", 1, 1.0), 1);
    ck_assert_int_eq(value_zset_add(z[2], "a", 1, 1.0), 1);
    ck_assert_int_eq(value_zset_add(z[2], "b", 1, -0.0), 1); /* bits */
    ck_assert_int_eq(value_zset_add(z[3], "a", 1, 1.0), 1);
    ck_assert_int_eq(value_zset_add(z[3], "c", 1, 0.0), 1);
    ck_assert_int_eq(value_zset_add(z[4], "a", 1, 1.0000000000000002), 1);
    ck_assert_int_eq(value_zset_add(z[4], "b", 1, 0.0), 1);
    for (int i = 0; i < 5; i++)
        sealed(z[i]);
    ck_same(z[0], z[1], 0, 0);
    ck_differs(z[0], z[2], 0, 0, "zset member \"b\": score 0 vs -0");
    ck_differs(z[0], z[3], 0, 0, "zset rank 0: member \"b\" vs \"c\"");
    ck_differs(z[0], z[4], 0, 0, "zset member \"a\": score 1 vs");

    value *all[] = {l1, l2, l3, l4, s1, s2, s3, s4, s5, s6};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        value_free(all[i]);
    for (int i = 0; i < 6; i++)
        value_free(h[i]);
    for (int i = 0; i < 5; i++)
        value_free(z[i]);
}
END_TEST

/* ---- streams: one knob changed at a time ------------------------------------ */

/** What a test stream is made of; stream_of() builds it. */
typedef struct knobs {
    const char *value3;     /* entry 3's value */
    uint64_t entries;       /* entries added (1..5 are added) */
    uint64_t last_ms;       /* XSETID */
    uint64_t max_del_ms;    /* max deleted entry ID's ms */
    bool del2;              /* XDEL 2-0 */
    const char *group;      /* group name */
    uint64_t group_last;    /* group last ID ms */
    uint64_t entries_read;
    int64_t dtime;          /* delivery time of 1-0 */
    uint64_t dcount;        /* delivery count of 1-0 */
    const char *owner4;     /* owner of 4-0: "alice" or "bob" */
    int64_t seen_bob;       /* bob's seen time */
    int64_t active_bob;     /* bob's active time */
    bool extra_consumer;    /* a consumer "carol" with nothing pending */
} knobs;

static const knobs base_knobs = {"v3", 5, 9, 2, true, "g", 4, 4, 1000, 1,
                                 "bob", 7000, 6000, false};

static value *stream_of(const knobs *k)
{
    value *v = value_new_collection(VALUE_STREAM, VALUE_NO_EXPIRY);
    ck_assert_ptr_nonnull(v);
    pstream *s = value_edit_stream(v), *out;
    for (uint64_t i = 1; i <= 5; i++) {
        pstream_str fv[2] = {{"f", 1}, {i == 3 ? k->value3 : "v", 0}};
        fv[1].len = strlen(fv[1].p);
        ck_assert_int_eq(pstream_add(s, (pstream_id){i, 0}, fv, 1, &out), 0);
        ck_assert_ptr_eq(out, s);
    }
    if (k->del2)
        ck_assert_int_eq(pstream_delete(s, (pstream_id){2, 0}, &out), 1);
    pstream_id md = {k->max_del_ms, 0};
    ck_assert_int_eq(pstream_set_id(s, (pstream_id){k->last_ms, 0},
                                    (long long)k->entries, &md, &out), 0);
    ck_assert_int_eq(pstream_group_create(s, k->group, strlen(k->group),
                                          (pstream_id){k->group_last, 0},
                                          k->entries_read, &out), 1);
    const char *g = k->group;
    size_t gl = strlen(g);
    ck_assert_int_eq(pstream_consumer_create(s, g, gl, "alice", 5, 5000,
                                             4000, &out), 1);
    ck_assert_int_eq(pstream_consumer_create(s, g, gl, "bob", 3, k->seen_bob,
                                             k->active_bob, &out), 1);
    if (k->extra_consumer)
        ck_assert_int_eq(pstream_consumer_create(s, g, gl, "carol", 5, 1, 1,
                                                 &out), 1);
    ck_assert_int_eq(pstream_pel_add(s, g, gl, (pstream_id){1, 0}, "alice", 5,
                                     k->dtime, k->dcount, &out), 1);
    ck_assert_int_eq(pstream_pel_add(s, g, gl, (pstream_id){4, 0}, k->owner4,
                                     strlen(k->owner4), 1500, 2, &out), 1);
    return sealed(v);
}

START_TEST(streams)
{
    value *a = stream_of(&base_knobs), *b = stream_of(&base_knobs);
    ck_same(a, b, 0, 0);
    struct {
        knobs k;
        unsigned flags;
        const char *text;
    } cases[12];
    int n = 0;
#define CASE(field, val, fl, txt)                                   \
    do {                                                            \
        cases[n].k = base_knobs;                                    \
        cases[n].k.field = val;                                     \
        cases[n].flags = fl;                                        \
        cases[n++].text = txt;                                      \
    } while (0)
    CASE(value3, "V3", 0, "stream entry 3-0 value 0: \"v3\" vs \"V3\"");
    CASE(entries, 6, 0, "stream entries added: 5 vs 6");
    CASE(last_ms, 10, 0, "stream last ID: 9-0 vs 10-0");
    CASE(max_del_ms, 3, 0, "stream max deleted entry ID: 2-0 vs 3-0");
    CASE(del2, false, 0, "stream length: 4 vs 5");
    CASE(group, "h", 0, "stream group \"g\" vs \"h\"");
    CASE(group_last, 5, 0, "group \"g\": last ID 4-0 vs 5-0");
    CASE(entries_read, 3, 0, "group \"g\": entries read 4 vs 3");
    CASE(dtime, 1001, 0, "group \"g\": pending 1-0: delivery time 1000 vs "
                         "1001");
    CASE(dcount, 2, 0, "group \"g\": pending 1-0: delivery count 1 vs 2");
    CASE(owner4, "alice", 0, "group \"g\": pending 4-0: owner \"bob\" vs "
                             "\"alice\"");
    CASE(seen_bob, 7001, 0, "group \"g\" consumer \"bob\": seen time 7000 "
                            "vs 7001");
    for (int i = 0; i < n; i++) {
        value *c = stream_of(&cases[i].k);
        ck_differs(a, c, cases[i].flags, 0, cases[i].text);
        value_free(c);
    }
    /* seen and active times: within the slack, or ignored */
    knobs k = base_knobs;
    k.seen_bob = 7001;
    k.active_bob = 6100;
    value *c = stream_of(&k);
    ck_differs(a, c, 0, 1, "group \"g\" consumer \"bob\": active time 6000 "
                           "vs 6100");
    ck_same(a, c, VALUE_EQ_IGNORE_SEEN, 0);
    value_free(c);
    k = base_knobs;
    k.extra_consumer = true;
    c = stream_of(&k);
    ck_differs(a, c, 0, 0, "group \"g\": 2 consumers vs 3");
    value_free(c);
    value_free(a);
    value_free(b);
}
END_TEST

/* ---- keyspace_diff --------------------------------------------------------- */

static void put(keyspace *ks, unsigned db, const char *k, value *v)
{
    ck_assert_int_eq(keyspace_put(ks, db, k, strlen(k), v), 0);
}

START_TEST(keyspace_diff_names_db_and_key)
{
    keyspace *a = keyspace_create(store_variant("hamt"), 16);
    keyspace *b = keyspace_create(store_variant("rwlock"), 16);
    keyspace_reader *ra = keyspace_reader_open(a);
    keyspace_reader *rb = keyspace_reader_open(b);
    keyspace *both[] = {a, b};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(keyspace_batch_begin(both[i]), 0);
        put(both[i], 0, "s", str_exp("x", -1));
        put(both[i], 2, "l", list_of("abc"));
        put(both[i], 2, "m", list_of("q"));
        ck_assert_int_eq(keyspace_commit(both[i]), 0);
    }
    ck_assert_int_eq(keyspace_diff(ra, rb, 0, 0, why, sizeof why), 0);
    ck_assert_str_eq(why, "");
    ck_assert_int_eq(keyspace_diff(ra, ra, 0, 0, NULL, 0), 0);
    /* a value differs */
    ck_assert_int_eq(keyspace_batch_begin(b), 0);
    put(b, 2, "l", list_of("abd"));
    ck_assert_int_eq(keyspace_commit(b), 0);
    ck_assert_int_eq(keyspace_diff(ra, rb, 0, 0, why, sizeof why), 1);
    ck_assert_str_eq(why, "db 2, key \"l\": list item 2: \"c\" vs \"d\"");
    /* a key only one side has, in front of the differing one */
    ck_assert_int_eq(keyspace_batch_begin(a), 0);
    put(a, 2, "a\x01", str_exp("x", -1));
    ck_assert_int_eq(keyspace_commit(a), 0);
    ck_assert_int_eq(keyspace_diff(ra, rb, 0, 0, why, sizeof why), 1);
    ck_assert_str_eq(why, "db 2, key \"a\\x01\": missing in the second "
                          "keyspace");
    ck_assert_int_eq(keyspace_diff(rb, ra, 0, 0, why, sizeof why), 1);
    ck_assert_str_eq(why, "db 2, key \"a\\x01\": missing in the first "
                          "keyspace");
    /* the same key in another database is another key */
    ck_assert_int_eq(keyspace_batch_begin(b), 0);
    put(b, 2, "a\x01", str_exp("x", -1));
    put(b, 2, "l", list_of("abc"));
    ck_assert_int_eq(keyspace_commit(b), 0);
    ck_assert_int_eq(keyspace_diff(ra, rb, 0, 0, why, sizeof why), 0);
    ck_assert_int_eq(keyspace_batch_begin(b), 0);
    ck_assert_int_eq(keyspace_swap(b, 0, 5), 0);
    ck_assert_int_eq(keyspace_commit(b), 0);
    ck_assert_int_eq(keyspace_diff(ra, rb, 0, 0, why, sizeof why), 1);
    ck_assert_str_eq(why, "db 0, key \"s\": missing in the second keyspace");
    /* inside a section already: used as it is */
    keyspace_read_begin(ra);
    ck_assert_int_eq(keyspace_diff(ra, rb, 0, 0, why, sizeof why), 1);
    keyspace_read_end(ra);
    /* a database only one side has */
    keyspace *c = keyspace_create(store_variant("cow"), 20);
    keyspace_reader *rc = keyspace_reader_open(c);
    ck_assert_int_eq(keyspace_batch_begin(c), 0);
    put(c, 0, "s", str_exp("x", -1));
    put(c, 2, "l", list_of("abc"));
    put(c, 2, "m", list_of("q"));
    put(c, 2, "a\x01", str_exp("x", -1));
    ck_assert_int_eq(keyspace_commit(c), 0);
    ck_assert_int_eq(keyspace_diff(ra, rc, 0, 0, why, sizeof why), 0);
    ck_assert_int_eq(keyspace_batch_begin(c), 0);
    put(c, 19, "far", str_exp("x", -1));
    ck_assert_int_eq(keyspace_commit(c), 0);
    ck_assert_int_eq(keyspace_diff(ra, rc, 0, 0, why, sizeof why), 1);
    ck_assert_str_eq(why, "db 19: 1 keys in the second keyspace, which the "
                          "other does not have");
    keyspace_reader_close(ra);
    keyspace_reader_close(rb);
    keyspace_reader_close(rc);
    keyspace_destroy(a);
    keyspace_destroy(b);
    keyspace_destroy(c);
}
END_TEST

/* ---- JSON ------------------------------------------------------------------ */

static char *dump(keyspace_reader *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_int_eq(keyspace_dump_json(r, f), 0);
    fclose(f);
    return buf;
}

START_TEST(dump_json_is_sorted_and_shaped_like_rdb_dump)
{
    char *first = NULL;
    const store_ops *const *ops;
    for (ops = store_variants; *ops != NULL; ops++) {
        keyspace *ks = keyspace_create(*ops, 16);
        keyspace_reader *r = keyspace_reader_open(ks);
        char *empty = dump(r);
        ck_assert_str_eq(empty, "{\n \"dbs\": {}\n}\n");
        free(empty);
        ck_assert_int_eq(keyspace_batch_begin(ks), 0);
        put(ks, 3, "zz", str_exp("last", -1));
        put(ks, 3, "b", str_exp("exp", 1700000000000));
        put(ks, 3, "a", list_of("xy"));
        value *h = value_new_collection(VALUE_HASH, VALUE_NO_EXPIRY);
        ck_assert_int_eq(value_hash_add(h, "f", 1, "1", 1, 42), 1);
        ck_assert_int_eq(value_hash_add(h, "g", 1, "2", 1, -1), 1);
        put(ks, 0, "h", h);
        ck_assert_int_eq(keyspace_commit(ks), 0);
        char *out = dump(r);
        ck_assert_str_eq(out,
            "{\n \"dbs\": {\n"
            "  \"0\": {\n"
            "   \"h\": {\"type\": \"hash\", \"field_expiry_ms\": {\"f\": 42}, "
            "\"value\": {\"f\": \"1\", \"g\": \"2\"}}\n"
            "  },\n"
            "  \"3\": {\n"
            "   \"a\": {\"type\": \"list\", \"value\": [\"x\", \"y\"]},\n"
            "   \"b\": {\"type\": \"string\", \"expiry_ms\": 1700000000000, "
            "\"value\": \"exp\"},\n"
            "   \"zz\": {\"type\": \"string\", \"value\": \"last\"}\n"
            "  }\n }\n}\n");
        if (first == NULL)
            first = out;
        else {
            ck_assert_str_eq(out, first);
            free(out);
        }
        keyspace_reader_close(r);
        keyspace_destroy(ks);
    }
    free(first);
}
END_TEST

/* ---- loading a real redis-server's SAVE ------------------------------------ */

static int conn;
static char reply[512];

#define CMD(...)                                                           \
    do {                                                                   \
        int t_ = redis_commandl(conn, reply, sizeof reply, __VA_ARGS__,    \
                                NULL);                                     \
        ck_assert_msg(t_ > 0 && t_ != '-', "command failed: %s", reply);   \
    } while (0)

/* Several databases, every type, an expired key and a stream with a group. */
static void write_databases(void)
{
    CMD("SET", "s", "zero");
    CMD("SET", "n", "12345");
    CMD("RPUSH", "l", "a", "b", "c");
    CMD("SADD", "set", "x", "y", "1", "2");
    CMD("HSET", "h", "f", "v", "g", "w");
    CMD("ZADD", "z", "1.5", "a", "-2", "b");
    CMD("PFADD", "hll", "a", "b", "c");
    /* Long past, so kept only while the server's active expiry is off
     * (from before the key is made: its cycle runs ten times a second). */
    CMD("DEBUG", "SET-ACTIVE-EXPIRE", "0");
    CMD("SET", "old", "expires", "PXAT", "1000");
    CMD("XADD", "st", "1-1", "f", "v");
    CMD("XADD", "st", "2-1", "f", "w");
    CMD("XGROUP", "CREATE", "st", "g", "0");
    CMD("XREADGROUP", "GROUP", "g", "alice", "COUNT", "1", "STREAMS", "st",
        ">");
    CMD("SELECT", "3");
    CMD("SET", "s", "three");
    CMD("RPUSH", "l", "only in 3");
    CMD("SELECT", "15");
    CMD("SET", "fifteen", "15");
    CMD("SELECT", "0");
    CMD("SAVE");
}

/** check_against_ch07()'s callback argument. */
typedef struct cmp_ctx {
    keyspace_reader *r;
    unsigned db;
} cmp_ctx;

static int cmp_key(const void *k, size_t kl, const value *v, void *arg)
{
    cmp_ctx *c = arg;
    const value *w = keyspace_get(c->r, c->db, k, kl);
    ck_assert_msg(w != NULL, "db %u: key %.*s missing", c->db, (int)kl,
                  (const char *)k);
    ck_assert_msg(value_equal(v, w, 0, 0, why, sizeof why), "db %u key %.*s: "
                  "%s", c->db, (int)kl, (const char *)k, why);
    return 0;
}

/* Every key of each database equals what chapter 7's loader puts in a
 * bare store for that database. */
static void check_against_ch07(keyspace_reader *r, const char *path)
{
    for (unsigned db = 0; db < 16; db++) {
        store *s = store_create(store_variant("naive"));
        rdb_result res;
        rdb_options opt = {.quiet = true};
        ck_assert_int_eq(rdb_load_file(path, s, db, &opt, &res), 0);
        store_reader *sr = store_reader_open(s);
        store_read_begin(sr);
        keyspace_read_begin(r);
        ck_assert_uint_eq(keyspace_dbsize(r, db), store_count(sr));
        cmp_ctx c = {r, db};
        ck_assert_int_eq(store_iterate(sr, cmp_key, &c), 0);
        keyspace_read_end(r);
        store_read_end(sr);
        store_reader_close(sr);
        store_destroy(s);
    }
}

START_TEST(loads_a_real_save_with_several_databases)
{
    redis_server rs;
    char err[1024];
    static const char *const extra[] = {"--enable-debug-command", "yes",
                                        NULL};
    ck_assert_msg(redis_server_start(&rs, extra, err, sizeof err) == 0,
                  "cannot start redis-server: %s", err);
    conn = redis_server_connect(&rs);
    ck_assert_int_ge(conn, 0);
    write_databases();
    close(conn);
    char path[400];
    snprintf(path, sizeof path, "%s/dump.rdb", rs.dir);

    rdb_options opt = {.quiet = true};
    keyspace *first = NULL;
    keyspace_reader *fr = NULL;
    for (const store_ops *const *ops = store_variants; *ops; ops++) {
        keyspace *ks = keyspace_create(*ops, 16);
        rdb_result res;
        ck_assert_msg(keyspace_load_rdb_file(ks, path, &opt, &res) == 0,
                      "%s: %s", (*ops)->name, res.error);
        ck_assert_uint_eq(res.keys_stored, 12);
        ck_assert_int_eq(res.crc, RDB_CRC_OK);
        keyspace_reader *r = keyspace_reader_open(ks);
        keyspace_read_begin(r);
        ck_assert_uint_eq(keyspace_dbsize(r, 0), 9);
        ck_assert_uint_eq(keyspace_dbsize(r, 3), 2);
        ck_assert_uint_eq(keyspace_dbsize(r, 15), 1);
        const value *v = keyspace_get(r, 3, "s", 1);
        ck_assert_bytes_str(value_str_bytes(v), value_str_len(v), "three");
        v = keyspace_get(r, 0, "old", 3); /* expired, kept */
        ck_assert_ptr_nonnull(v);
        ck_assert_int_eq(v->expire_ms, 1000);
        ck_assert_ptr_null(keyspace_get_live(r, 0, "old", 3, 1000));
        v = keyspace_get(r, 0, "st", 2);
        ck_assert_int_eq(v->type, VALUE_STREAM);
        const pstream_group *g = pstream_group_get(value_as_stream(v), "g", 1);
        ck_assert_ptr_nonnull(g);
        ck_assert_uint_eq(pstream_group_pel_len(g), 1);
        keyspace_read_end(r);
        check_against_ch07(r, path);
        if (first == NULL) {
            first = ks;
            fr = r;
        } else {
            ck_assert_msg(keyspace_diff(fr, r, 0, 0, why, sizeof why) == 0,
                          "%s: %s", (*ops)->name, why);
            keyspace_reader_close(r);
            keyspace_destroy(ks);
        }
    }
    /* Loading again into a batch the caller holds: all or nothing. */
    keyspace *ks = keyspace_create(store_variant("cow"), 16);
    keyspace_reader *r = keyspace_reader_open(ks);
    rdb_result res;
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    ck_assert_int_eq(keyspace_load_rdb_file(ks, path, &opt, &res), 0);
    ck_assert(keyspace_in_batch(ks));
    ck_assert_uint_eq(keyspace_batch_dbsize(ks, 0), 9);
    keyspace_read_begin(r);
    ck_assert_uint_eq(keyspace_dbsize(r, 0), 0);
    keyspace_read_end(r);
    ck_assert_int_eq(keyspace_commit(ks), 0);
    ck_assert_int_eq(keyspace_diff(fr, r, 0, 0, why, sizeof why), 0);
    keyspace_reader_close(r);
    keyspace_destroy(ks);

    /* A keyspace with fewer databases refuses the file, naming db 15. */
    ks = keyspace_create(store_variant("hamt"), 4);
    ck_assert_int_eq(keyspace_load_rdb_file(ks, path, &opt, &res), -1);
    ck_assert_msg(strstr(res.error, "database 15 is out of range: this "
                                    "keyspace has 4 databases (0 to 3)") &&
                  strncmp(res.error, "offset ", 7) == 0, "%s", res.error);
    /* ... and the offset is the SELECTDB 15 record's: 0xFE, then 15 */
    long at = atol(res.error + 7);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    unsigned char rec[2];
    ck_assert_int_eq(fseek(f, at, SEEK_SET), 0);
    ck_assert_uint_eq(fread(rec, 1, 2, f), 2);
    fclose(f);
    ck_assert_msg(rec[0] == 0xFE && rec[1] == 15, "offset %ld holds %02x %02x",
                  at, rec[0], rec[1]);
    /* nothing of database 15's batch was stored; the batches before it
     * (databases 0 and 3, under KEYSPACE_RDB_BATCH keys) were not either,
     * since they had not reached a commit */
    ck_assert(!keyspace_in_batch(ks));
    ck_assert_uint_eq(res.keys_stored, 0);
    keyspace_destroy(ks);
    /* Out of memory at each allocation of a load: an error, no batch left
     * open, exactly the committed keys stored, nothing leaked. */
    unsigned long n;
    for (n = 1; n < 100000; n++) {
        ks = keyspace_create(store_variant("ptrie"), 16);
        alloc_fail_nth(n);
        int lrc = keyspace_load_rdb_file(ks, path, &opt, &res);
        unsigned long fired = alloc_fail_fired();
        alloc_fail_off();
        ck_assert(!keyspace_in_batch(ks));
        keyspace_reader *lr = keyspace_reader_open(ks);
        size_t total = 0;
        keyspace_read_begin(lr);
        for (unsigned d = 0; d < 16; d++)
            total += keyspace_dbsize(lr, d);
        keyspace_read_end(lr);
        if (lrc == 0) {
            ck_assert_uint_eq(total, 12);
            ck_assert_int_eq(keyspace_diff(fr, lr, 0, 0, why, sizeof why), 0);
        } else {
            ck_assert_msg(fired == 1 && res.error[0] != '\0', "allocation %lu: "
                          "rc %d, error \"%s\"", n, lrc, res.error);
            ck_assert_uint_eq(total, res.keys_stored);
        }
        keyspace_reader_close(lr);
        keyspace_destroy(ks);
        if (lrc == 0 && fired == 0)
            break;
    }
    ck_assert_uint_gt(n, 12);
    /* A file that is not there. */
    ks = keyspace_create(store_variant("hamt"), 16);
    ck_assert_int_eq(keyspace_load_rdb_file(ks, "/nonexistent/dump.rdb", &opt,
                                            &res), -1);
    ck_assert(strstr(res.error, "/nonexistent/dump.rdb: No such file") != NULL);
    keyspace_destroy(ks);
    keyspace_reader_close(fr);
    keyspace_destroy(first);
    redis_server_stop(&rs);
}
END_TEST

Suite *ch09_value_equal_suite(void)
{
    Suite *s = suite_create("ch09_value_equal");
    TCase *tc = test_tcase("value_equal", 60);
    tcase_add_test(tc, strings_and_expiry);
    tcase_add_test(tc, lists_sets_hashes_zsets);
    tcase_add_test(tc, streams);
    tcase_add_test(tc, keyspace_diff_names_db_and_key);
    tcase_add_test(tc, dump_json_is_sorted_and_shaped_like_rdb_dump);
    tcase_add_test(tc, loads_a_real_save_with_several_databases);
    suite_add_tcase(s, tc);
    return s;
}
