/* ch07_stream.c - chapter 7: truncation, streaming sources, loading a store.
 *
 * A replica reads the RDB from a socket in whatever pieces the network
 * delivers, so the reader must give the same result for any split of the
 * input, fail cleanly when it stops early (a dropped connection mid-sync),
 * and hand back bytes it read past the end.  Then the loader: a database
 * into a store, module values skipped, lookups on the loaded values.
 */
#include "corpus.h"
#include "rdb.h"
#include "rdb_json.h"
#include "store_naive.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char where[1400];
    ck_assert_msg(f != NULL, "cannot open %s (RDB corpus looked for in %s)",
                  path, corpus_where(where, sizeof where));
    char *p = malloc(1 << 20);
    *len = fread(p, 1, 1 << 20, f);
    fclose(f);
    return p;
}

static const char *corpus(const char *rel)
{
    static char path[1024];
    return corpus_path(path, sizeof path, rel);
}

START_TEST(every_truncation_fails_cleanly)
{
    static const char *const rels[] = {"librdb/stream_v11.rdb",
                                        "redis-rdb-tools/parser_filters.rdb",
                                        ("generated-redis-7.0.15/"
                                         "quicklist2_plain_nodes.rdb")};
    for (size_t f = 0; f < 3; f++) {
        size_t len;
        char *data = read_file(corpus(rels[f]), &len);
        for (size_t cut = 0; cut < len; cut++) {
            rdb_reader r;
            rdb_result res;
            rdb_options opt = {.quiet = true};
            rdb_reader_init_mem(&r, data, cut);
            int rc = rdb_parse(&r, NULL, &opt, &res);
            rdb_reader_free(&r);
            ck_assert_msg(rc != 0, "%s cut at %zu parsed", rels[f], cut);
            ck_assert_msg(strstr(res.error, "unexpected end of input") != NULL,
                          "%s cut at %zu: %s", rels[f], cut, res.error);
        }
        free(data);
    }
}
END_TEST

static char *dump_with(rdb_reader *r, size_t *outlen)
{
    char *out = NULL;
    rdb_result res;
    rdb_options opt = {.quiet = true};
    FILE *mem = open_memstream(&out, outlen);
    int rc = rdb_dump_json(r, mem, &opt, true, &res);
    fclose(mem);
    ck_assert_msg(rc == 0, "%s", res.error);
    return out;
}

START_TEST(streaming_in_any_chunk_size_gives_the_same_result)
{
    static const char *const rels[] = {"librdb/misc_with_stream.rdb",
                                        "redis-rdb-tools/dictionary.rdb",
                                        "valkey/rdb-preamble.aof"};
    static const size_t chunks[] = {1, 7, 4096, 1 << 20};
    for (size_t f = 0; f < 3; f++) {
        size_t len, reflen;
        char *data = read_file(corpus(rels[f]), &len);
        rdb_reader r;
        rdb_reader_init_mem(&r, data, len);
        char *ref = dump_with(&r, &reflen);
        rdb_reader_free(&r);
        for (size_t c = 0; c < 4; c++) {
            rdb_mem_source t = {(unsigned char *)data, len, 0, chunks[c]};
            size_t outlen;
            ck_assert_int_eq(rdb_reader_init(&r, rdb_source_mem, &t), 0);
            char *out = dump_with(&r, &outlen);
            rdb_reader_free(&r);
            ck_assert_msg(outlen == reflen && memcmp(out, ref, reflen) == 0,
                          "%s read %zu bytes at a time differs", rels[f],
                          chunks[c]);
            free(out);
        }
        free(ref);
        free(data);
    }
}
END_TEST

START_TEST(leftover_bytes_after_the_checksum_are_kept)
{
    size_t len;
    char *data = read_file(corpus("valkey/rdb-preamble.aof"), &len);
    rdb_mem_source t = {(unsigned char *)data, len, 0, 1 << 20};
    rdb_reader r;
    rdb_result res;
    ck_assert_int_eq(rdb_reader_init(&r, rdb_source_mem, &t), 0);
    ck_assert_int_eq(rdb_parse(&r, NULL, NULL, &res), 0);
    size_t n;
    const unsigned char *rest = rdb_reader_leftover(&r, &n);
    ck_assert_uint_eq(n, 52);
    ck_assert_uint_eq(res.end_offset + 52, len);
    ck_assert_bytes_eq(rest, n, data + len - 52, 52);
    ck_assert_int_eq(rest[0], '*'); /* the AOF's first RESP command */
    rdb_reader_free(&r);
    free(data);
}
END_TEST

START_TEST(load_into_a_store)
{
    store *s = store_create(&store_naive_ops);
    rdb_result res;
    rdb_options opt = {.quiet = true};
    ck_assert_int_eq(rdb_load_file(corpus("librdb/misc_with_stream.rdb"), s,
                                   0, &opt, &res), 0);
    ck_assert_uint_gt(res.keys_stored, 5);
    store_reader *rd = store_reader_open(s);
    store_read_begin(rd);
    ck_assert_uint_eq(store_count(rd), res.keys_stored);
    const value *v = store_get(rd, "stream1", 7);
    ck_assert_ptr_nonnull(v);
    ck_assert_int_eq(v->type, VALUE_STREAM);
    ck_assert_uint_eq(pstream_len(value_as_stream(v)), 100);
    ck_assert_uint_eq(pstream_groups_len(value_as_stream(v)), 2);
    store_read_end(rd);
    store_reader_close(rd);
    store_destroy(s);

    /* A module value is skipped with a warning, not an error. */
    s = store_create(&store_naive_ops);
    ck_assert_int_eq(rdb_load_file(corpus("redis-rdb-tools/"
                                          "redis_40_with_module.rdb"),
                                   s, 0, &opt, &res), 0);
    ck_assert_uint_eq(res.keys, 2);
    ck_assert_uint_eq(res.keys_stored, 1);
    ck_assert_uint_ge(res.warnings, 1);
    store_destroy(s);

    /* Only the requested database is loaded. */
    s = store_create(&store_naive_ops);
    ck_assert_int_eq(rdb_load_file(corpus("generated-redis-7.0.15/"
                                          "misc_types_7_0.rdb"),
                                   s, 15, &opt, &res), 0);
    ck_assert_uint_eq(res.keys_stored, 1);
    rd = store_reader_open(s);
    store_read_begin(rd);
    v = store_get(rd, "in-db-15", 8);
    ck_assert_ptr_nonnull(v);
    ck_assert_bytes_str(value_str_bytes(v), value_str_len(v), "yes");
    store_read_end(rd);
    store_reader_close(rd);
    store_destroy(s);

    ck_assert_int_ne(rdb_load_file("/nonexistent.rdb", NULL, 0, NULL, &res),
                     0);
    ck_assert_ptr_nonnull(strstr(res.error, "/nonexistent.rdb"));
}
END_TEST

START_TEST(values_answer_lookups)
{
    size_t len;
    char *data = read_file(corpus("generated-redis-7.0.15/misc_types_7_0.rdb"),
                           &len);
    store *s = store_create(&store_naive_ops);
    rdb_reader r;
    rdb_result res;
    rdb_options opt = {.quiet = true};
    rdb_reader_init_mem(&r, data, len);
    ck_assert_int_eq(rdb_load_store(&r, s, 0, &opt, &res), 0);
    rdb_reader_free(&r);
    store_reader *rd = store_reader_open(s);
    store_read_begin(rd);
    const value *z = store_get(rd, "zset-skiplist", 13);
    ck_assert_int_eq(z->type, VALUE_ZSET);
    ck_assert_uint_eq(value_count(z), 200);
    for (size_t i = 1; i < value_count(z); i++) /* sorted by score */
        ck_assert(pzset_entry_score(pzset_at(value_as_zset(z), i - 1)) <=
                  pzset_entry_score(pzset_at(value_as_zset(z), i)));
    double sc;
    ck_assert(pzset_score(value_as_zset(z), "z4", 2, &sc));
    ck_assert(sc == -9.0);
    const value *st = store_get(rd, "set-ht", 6);
    ck_assert(pset_has(value_as_set(st), "member-599", 10));
    ck_assert(!pset_has(value_as_set(st), "member-600", 10));
    const value *h = store_get(rd, "hash-ht", 7);
    const phash_field *f17 = phash_get(value_as_hash(h), "f17", 3);
    ck_assert_ptr_nonnull(f17);
    size_t vl;
    const unsigned char *v17 = phash_field_value(f17, &vl);
    ck_assert_bytes_str(v17, vl, "v17");
    const value *e = store_get(rd, "expire-px", 9);
    ck_assert_int_eq(e->expire_ms, INT64_C(4102444800123));
    ck_assert_uint_gt(value_bytes(h), 600 * 2 * 3);
    store_read_end(rd);
    store_reader_close(rd);
    store_destroy(s);
    free(data);
}
END_TEST

Suite *ch07_stream_suite(void)
{
    Suite *s = suite_create("ch07_stream");
    TCase *tc = test_tcase("truncation", 120);
    tcase_add_test(tc, every_truncation_fails_cleanly);
    suite_add_tcase(s, tc);
    tc = test_tcase("streaming and loading", 60);
    tcase_add_test(tc, streaming_in_any_chunk_size_gives_the_same_result);
    tcase_add_test(tc, leftover_bytes_after_the_checksum_are_kept);
    tcase_add_test(tc, load_into_a_store);
    tcase_add_test(tc, values_answer_lookups);
    suite_add_tcase(s, tc);
    return s;
}
