/* ch07_roundtrip.c - chapter 7: what a real redis-server saves, we load.
 *
 * Start a private redis-server (tests/util/redis_server.h), write keys of
 * every type through its protocol -- small ones (listpack, intset) and big
 * ones (hashtable, skiplist, many quicklist nodes, LZF-compressed nodes), a
 * stream with deletions, groups, consumers and pending entries, expiries,
 * a second database -- SAVE, load its dump.rdb into a store with
 * rdb_load_file(), and check every key against what was written.  The
 * server is stopped even when an assertion fails.
 */
#include "rdb.h"
#include "redis_server.h"
#include "store_naive.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int conn;
static char reply[256];

/* Send a command given as C strings; assert on an error reply. */
#define CMD(...)                                                           \
    do {                                                                   \
        int t_ = redis_commandl(conn, reply, sizeof reply, __VA_ARGS__,    \
                                NULL);                                     \
        ck_assert_msg(t_ > 0 && t_ != '-', "command failed: %s", reply);   \
    } while (0)

/* HSET / SADD / ZADD / RPUSH with n generated elements. */
static void bulk(const char *cmd, const char *key, int n, const char *fmt1,
                 const char *fmt2)
{
    int per = fmt2 ? 2 : 1, argc = 2 + n * per;
    const char **argv = calloc((size_t)argc, sizeof *argv);
    char *storage = calloc((size_t)argc, 48);
    argv[0] = cmd;
    argv[1] = key;
    for (int i = 0; i < n; i++) {
        char *a = storage + (size_t)(2 + i * per) * 48;
        snprintf(a, 48, fmt1, i);
        argv[2 + i * per] = a;
        if (fmt2) {
            char *b = a + 48;
            if (strcmp(fmt2, "score") == 0)
                snprintf(b, 48, "%g", i / 4.0 - 10);
            else
                snprintf(b, 48, fmt2, i);
            /* ZADD wants score before member */
            if (strcmp(cmd, "ZADD") == 0) {
                argv[2 + i * per] = b;
                argv[3 + i * per] = a;
            } else {
                argv[3 + i * per] = b;
            }
        }
    }
    int t = redis_command(conn, reply, sizeof reply, argc, argv, NULL);
    ck_assert_msg(t == ':', "%s %s: %s", cmd, key, reply);
    free(storage);
    free(argv);
}

static void write_everything(void)
{
    char big[2001];
    memset(big, 'a', 2000);
    big[2000] = '\0';
    CMD("CONFIG", "SET", "list-compress-depth", "1");
    CMD("CONFIG", "SET", "list-max-listpack-size", "8");
    CMD("SET", "str", "hello");
    CMD("SET", "int", "-123456");
    CMD("SET", "lzf", big);
    const char *bin[] = {"SET", "bin\x00key", "\x00\xff\x01"};
    size_t binl[] = {3, 7, 3};
    ck_assert_int_eq(redis_command(conn, reply, sizeof reply, 3, bin, binl),
                     '+');
    CMD("SET", "exp", "v", "PXAT", "4102444800123");
    CMD("RPUSH", "list-small", "a", "b", "1", "-2");
    bulk("RPUSH", "list-big", 100, "item-%03d", NULL);
    CMD("SADD", "set-int", "1", "-2", "70000", "-5000000000");
    CMD("SADD", "set-small", "x", "y", "z");
    bulk("SADD", "set-big", 600, "member-%d", NULL);
    CMD("ZADD", "zset-small", "1.5", "a", "-inf", "neg", "inf", "pos");
    bulk("ZADD", "zset-big", 200, "z%d", "score");
    CMD("HSET", "hash-small", "f", "v", "n", "42");
    bulk("HSET", "hash-big", 600, "f%d", "v%d");
    CMD("XADD", "stream", "1-1", "name", "a", "n", "1");
    CMD("XADD", "stream", "1-2", "name", "b", "n", "2");
    CMD("XADD", "stream", "2-1", "other", "c");
    CMD("XDEL", "stream", "1-2");
    CMD("XGROUP", "CREATE", "stream", "g1", "0");
    CMD("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "1", "STREAMS",
        "stream", ">");
    CMD("XGROUP", "CREATECONSUMER", "stream", "g1", "bob");
    CMD("SELECT", "1");
    CMD("SET", "db1-key", "one");
    CMD("SELECT", "0");
    CMD("SAVE");
}

static const value *get(store_reader *rd, const char *key, value_type t)
{
    const value *v = store_get(rd, key, strlen(key));
    ck_assert_msg(v != NULL, "key %s missing", key);
    ck_assert_msg(v->type == t, "key %s has type %s", key,
                  value_type_name(v->type));
    return v;
}

static void check_everything(store *s)
{
    store_reader *rd = store_reader_open(s);
    store_read_begin(rd);
    ck_assert_uint_eq(store_count(rd), 15);
    const value *v = get(rd, "str", VALUE_STRING);
    ck_assert_bytes_str(value_str_bytes(v), value_str_len(v), "hello");
    v = get(rd, "int", VALUE_STRING);
    ck_assert_bytes_str(value_str_bytes(v), value_str_len(v), "-123456");
    v = get(rd, "lzf", VALUE_STRING);
    ck_assert_uint_eq(value_str_len(v), 2000);
    ck_assert_int_eq(value_str_bytes(v)[1999], 'a');
    v = store_get(rd, "bin\x00key", 7);
    ck_assert_ptr_nonnull(v);
    ck_assert_bytes_eq(value_str_bytes(v), value_str_len(v), "\x00\xff\x01", 3);
    v = get(rd, "exp", VALUE_STRING);
    ck_assert_int_eq(v->expire_ms, INT64_C(4102444800123));

    v = get(rd, "list-small", VALUE_LIST);
    ck_assert_uint_eq(value_count(v), 4);
    const velem *it = plist_get(value_as_list(v), 3);
    ck_assert_bytes_str(it->bytes, it->len, "-2");
    v = get(rd, "list-big", VALUE_LIST);
    ck_assert_uint_eq(value_count(v), 100);
    for (int i = 0; i < 100; i++) {
        char e[16];
        snprintf(e, sizeof e, "item-%03d", i);
        it = plist_get(value_as_list(v), (size_t)i);
        ck_assert_bytes_eq(it->bytes, it->len, e, strlen(e));
    }
    v = get(rd, "set-int", VALUE_SET);
    ck_assert_uint_eq(value_count(v), 4);
    ck_assert(pset_has(value_as_set(v), "-5000000000", 11));
    v = get(rd, "set-small", VALUE_SET);
    ck_assert(pset_has(value_as_set(v), "y", 1));
    v = get(rd, "set-big", VALUE_SET);
    ck_assert_uint_eq(value_count(v), 600);
    ck_assert(pset_has(value_as_set(v), "member-599", 10));

    double sc;
    size_t len;
    const void *m;
    v = get(rd, "zset-small", VALUE_ZSET);
    ck_assert_uint_eq(value_count(v), 3);
    m = pzset_entry_member(pzset_at(value_as_zset(v), 0), &len);
    ck_assert_bytes_str(m, len, "neg");
    ck_assert(pzset_score(value_as_zset(v), "a", 1, &sc) && sc == 1.5);
    v = get(rd, "zset-big", VALUE_ZSET);
    ck_assert_uint_eq(value_count(v), 200);
    ck_assert(pzset_score(value_as_zset(v), "z199", 4, &sc) &&
              sc == 199 / 4.0 - 10);

    v = get(rd, "hash-small", VALUE_HASH);
    const phash_field *f = phash_get(value_as_hash(v), "n", 1);
    ck_assert_ptr_nonnull(f);
    m = phash_field_value(f, &len);
    ck_assert_bytes_str(m, len, "42");
    v = get(rd, "hash-big", VALUE_HASH);
    ck_assert_uint_eq(value_count(v), 600);
    f = phash_get(value_as_hash(v), "f321", 4);
    ck_assert_ptr_nonnull(f);
    m = phash_field_value(f, &len);
    ck_assert_bytes_str(m, len, "v321");

    v = get(rd, "stream", VALUE_STREAM);
    const pstream *st = value_as_stream(v);
    ck_assert_uint_eq(pstream_len(st), 2);
    ck_assert_uint_eq(value_count(v), 2);
    pstream_iter sit;
    pstream_range(&sit, st, (pstream_id){0, 0},
                  (pstream_id){UINT64_MAX, UINT64_MAX}, false);
    const pstream_entry *e = pstream_range_next(&sit);
    ck_assert_ptr_nonnull(e);
    e = pstream_range_next(&sit); /* the second entry */
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_null(pstream_range_next(&sit));
    ck_assert_uint_eq(pstream_entry_id(e).ms, 2);
    ck_assert_uint_eq(pstream_entry_nfields(e), 1);
    m = pstream_entry_value(e, 0, &len);
    ck_assert_bytes_str(m, len, "c");
    ck_assert_uint_eq(pstream_max_deleted_id(st).seq, 2);
    ck_assert_uint_eq(pstream_entries_added(st), 3);
    ck_assert_uint_eq(pstream_groups_len(st), 1);
    const pstream_group *grp = pstream_group_get(st, "g1", 2);
    ck_assert_ptr_nonnull(grp);
    ck_assert_uint_eq(pstream_group_pel_len(grp), 1);
    pstream_pel_range(&sit, grp, (pstream_id){0, 0},
                      (pstream_id){UINT64_MAX, UINT64_MAX}, false);
    const pstream_nack *n = pstream_pel_next(&sit);
    ck_assert_ptr_nonnull(n);
    ck_assert_uint_eq(n->id.seq, 1);
    ck_assert_uint_eq(pstream_group_consumers_len(grp), 2);
    store_read_end(rd);
    store_reader_close(rd);
}

START_TEST(redis_server_dump_loads_into_a_store)
{
    redis_server rs;
    char err[1024];
    ck_assert_msg(redis_server_start(&rs, NULL, err, sizeof err) == 0,
                  "cannot start redis-server: %s", err);
    conn = redis_server_connect(&rs);
    ck_assert_int_ge(conn, 0);
    write_everything();
    close(conn);

    char path[400];
    snprintf(path, sizeof path, "%s/dump.rdb", rs.dir);
    store *s = store_create(&store_naive_ops);
    rdb_result res;
    rdb_options opt = {.quiet = true};
    int rc = rdb_load_file(path, s, 0, &opt, &res);
    ck_assert_msg(rc == 0, "%s", res.error);
    ck_assert_int_eq(res.crc, RDB_CRC_OK);
    check_everything(s);
    store_destroy(s);

    s = store_create(&store_naive_ops);
    ck_assert_int_eq(rdb_load_file(path, s, 1, &opt, &res), 0);
    ck_assert_uint_eq(res.keys_stored, 1);
    store_destroy(s);
    redis_server_stop(&rs);
}
END_TEST

Suite *ch07_roundtrip_suite(void)
{
    Suite *s = suite_create("ch07_roundtrip");
    TCase *tc = test_tcase("redis-server", 60);
    tcase_add_test(tc, redis_server_dump_loads_into_a_store);
    suite_add_tcase(s, tc);
    return s;
}
