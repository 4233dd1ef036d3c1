/* ch07_valkey.c - chapter 7: what Valkey 9 writes that Redis does not.
 *
 * Valkey 9.0 puts its own magic on its dumps ("VALKEY080") and, under that
 * magic only, gives byte 22 its own meaning: a hash whose fields may expire
 * (HASH_2), stored as (field, value, 8-byte expiry) triplets, where Redis
 * 7.4's release candidates used 22 for (TTL, field, value).  It also adds
 * opcode 0xF3, SLOT_IMPORT: an atomic slot migration that was in progress.
 * No Valkey server can be installed here, so every file below is built
 * byte by byte (tests/util/rdb_builder.h) with its CRC-64; the tests check
 * exact contents, the JSON rendering, every truncation, lying lengths, and
 * that the same type byte means different things under the two magics.
 */
#include "rdb.h"
#include "rdb_json.h"
#include "rdb_builder.h"
#include "store_naive.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- building Valkey files ---------------------------------------------- */

/* Start b afresh as a "VALKEY0vv" file with SELECTDB 0. */
static void vk_header(bb *b, int version)
{
    char m[16];
    b->len = 0;
    snprintf(m, sizeof m, "VALKEY%03d", version);
    bb_raw(b, m, 9);
    bb_u8(b, 0xFE);
    bb_len(b, 0);
}

/* One HASH_2 triplet: field, value, expiry (8 bytes little-endian, -1 for
 * none). */
static void hash2_field(bb *b, const char *f, const char *v, int64_t exp)
{
    bb_str(b, f);
    bb_str(b, v);
    bb_le(b, (uint64_t)exp, 8);
}

/* A complete VALKEY080 file: key "h", HASH_2 of f1 (expires at 1.7e12 ms),
 * f2 (no expiry) and f3 (expires at 0, i.e. long ago). */
static void hash2_file(bb *b)
{
    vk_header(b, 80);
    bb_u8(b, 22);
    bb_str(b, "h");
    bb_len(b, 3);
    hash2_field(b, "f1", "v1", INT64_C(1700000000000));
    hash2_field(b, "f2", "v2", -1);
    hash2_field(b, "f3", "v3", 0);
    bb_eof(b, 80);
}

static const char JOB[] = "0123456789abcdef0123456789abcdef01234567"; /* 40 */

/* SLOT_IMPORT: job name, range count, (start, end) per range. */
static void slot_import(bb *b, const char *name, const uint64_t *r, size_t n)
{
    bb_u8(b, 0xF3);
    bb_str(b, name);
    bb_len(b, n);
    for (size_t i = 0; i < 2 * n; i++)
        bb_len(b, r[i]);
}

/* --- running the parser ------------------------------------------------- */

typedef struct seen {
    int keys;
    value *first;
    rdb_key_info info;
    int imports;
    char job[64];
    size_t nranges;
    uint16_t ranges[8];
} seen;

static int on_key(void *arg, const rdb_buf *key, value *v,
                  const rdb_key_info *info)
{
    seen *s = arg;
    (void)key;
    if (s->keys++ == 0) {
        s->first = v;
        s->info = *info;
    } else {
        value_free(v);
    }
    return 0;
}

static int on_import(void *arg, const rdb_buf *name,
                     const rdb_slot_range *r, size_t n)
{
    seen *s = arg;
    s->imports++;
    snprintf(s->job, sizeof s->job, "%.*s", (int)name->len, name->p);
    s->nranges = n;
    for (size_t i = 0; i < n && i < 4; i++) {
        s->ranges[2 * i] = r[i].start;
        s->ranges[2 * i + 1] = r[i].end;
    }
    return 0;
}

/* Parse b from memory, or through 1-byte refills when chunked. */
static int parse(const bb *b, bool chunked, seen *s, rdb_result *res)
{
    rdb_reader r;
    rdb_mem_source m = {b->p, b->len, 0, 1};
    rdb_handler h = {.key = on_key, .slot_import = on_import, .arg = s};
    rdb_options opt = {.quiet = true};
    memset(s, 0, sizeof *s);
    if (chunked)
        ck_assert_int_eq(rdb_reader_init(&r, rdb_source_mem, &m), 0);
    else
        rdb_reader_init_mem(&r, b->p, b->len);
    int rc = rdb_parse(&r, &h, &opt, res);
    rdb_reader_free(&r);
    return rc;
}

static void assert_error(const bb *b, const char *needle)
{
    seen s;
    rdb_result res;
    int rc = parse(b, false, &s, &res);
    value_free(s.first);
    ck_assert_msg(rc != 0, "parse succeeded; expected error \"%s\"", needle);
    ck_assert_msg(strstr(res.error, needle) != NULL,
                  "error \"%s\" does not contain \"%s\"", res.error, needle);
    ck_assert_msg(strncmp(res.error, "offset ", 7) == 0,
                  "error without an offset: %s", res.error);
}

/* Field i (in iteration order, phash_nth()) of hash v must be (f, val,
 * exp). */
static void assert_field(const value *v, size_t i, const char *f,
                         const char *val, int64_t exp)
{
    ck_assert_uint_lt(i, value_count(v));
    const phash_field *pf = phash_nth(value_as_hash(v), i);
    size_t nl, vl;
    const unsigned char *name = phash_field_name(pf, &nl);
    const unsigned char *value_bytes_ = phash_field_value(pf, &vl);
    ck_assert_bytes_eq(name, nl, f, strlen(f));
    ck_assert_bytes_eq(value_bytes_, vl, val, strlen(val));
    ck_assert_int_eq(phash_field_expire(pf), exp);
}

/* Index of field f in hash v, in iteration order. */
static size_t field_index(const value *v, const char *f)
{
    for (size_t i = 0; i < value_count(v); i++) {
        size_t nl;
        const unsigned char *name =
            phash_field_name(phash_nth(value_as_hash(v), i), &nl);
        if (nl == strlen(f) && memcmp(name, f, nl) == 0)
            return i;
    }
    ck_abort_msg("field %s missing", f);
    return 0;
}

/* The rdb-dump JSON of b (caller frees). */
static char *json_of(const bb *b, int *rc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    ck_assert_ptr_nonnull(f);
    rdb_reader r;
    rdb_result res;
    rdb_options opt = {.quiet = true};
    rdb_reader_init_mem(&r, b->p, b->len);
    *rc = rdb_dump_json(&r, f, &opt, false, &res);
    rdb_reader_free(&r);
    fclose(f);
    return text;
}

/* --- tests -------------------------------------------------------------- */

START_TEST(hash2_is_decoded)
{
    bb b = {0};
    hash2_file(&b);
    for (int chunked = 0; chunked < 2; chunked++) {
        seen s;
        rdb_result res;
        ck_assert_msg(parse(&b, chunked, &s, &res) == 0, "%s", res.error);
        ck_assert(res.valkey);
        ck_assert_int_eq(res.version, 80);
        ck_assert_int_eq(res.crc, RDB_CRC_OK);
        ck_assert_int_eq(s.keys, 1);
        const value *v = s.first;
        ck_assert_int_eq(v->type, VALUE_HASH);
        ck_assert_uint_eq(value_count(v), 3);
        ck_assert_int_eq(v->expire_ms, VALUE_NO_EXPIRY);
        assert_field(v, field_index(v, "f1"), "f1", "v1",
                     INT64_C(1700000000000));
        assert_field(v, field_index(v, "f2"), "f2", "v2", VALUE_NO_EXPIRY);
        assert_field(v, field_index(v, "f3"), "f3", "v3", 0);
        ck_assert_int_eq(s.info.rdb_type, 22);
        ck_assert_str_eq(s.info.encoding, "hash_2");
        ck_assert_int_eq(s.info.min_expire_ms, -1);
        value_free(s.first);
    }
    free(b.p);
}
END_TEST

START_TEST(hash2_without_any_expiry_and_empty)
{
    /* Valkey writes HASH_2 only when some field is volatile, but a reader
     * must take every -1 too; and a count of 0 is an empty hash. */
    bb b = {0};
    vk_header(&b, 80);
    bb_u8(&b, 22);
    bb_str(&b, "h");
    bb_len(&b, 1);
    hash2_field(&b, "only", "one", -1);
    bb_u8(&b, 22);
    bb_str(&b, "empty");
    bb_len(&b, 0);
    bb_eof(&b, 80);
    seen s;
    rdb_result res;
    ck_assert_msg(parse(&b, false, &s, &res) == 0, "%s", res.error);
    ck_assert_int_eq(s.keys, 2);
    ck_assert_uint_eq(value_count(s.first), 1);
    ck_assert_uint_eq(phash_expiring_len(value_as_hash(s.first)), 0);
    assert_field(s.first, 0, "only", "one", VALUE_NO_EXPIRY);
    value_free(s.first);
    free(b.p);
}
END_TEST

START_TEST(hash2_json_matches_redis_field_expiry)
{
    /* The same hash as Redis 7.4 type 24 (min expiry 1.7e12, TTLs stored
     * relative + 1) and as Valkey HASH_2 must show the same
     * "field_expiry_ms" object in rdb-dump. */
    bb v = {0}, r = {0};
    vk_header(&v, 80);
    bb_u8(&v, 22);
    bb_str(&v, "h");
    bb_len(&v, 2);
    hash2_field(&v, "a", "1", INT64_C(1700000000000));
    hash2_field(&v, "b", "2", -1);
    bb_eof(&v, 80);
    bb_header(&r, 12);
    bb_u8(&r, 24);
    bb_str(&r, "h");
    bb_le(&r, UINT64_C(1700000000000), 8);
    bb_len(&r, 2);
    bb_len(&r, 1); /* min + 1 - 1 */
    bb_str(&r, "a");
    bb_str(&r, "1");
    bb_len(&r, 0); /* no TTL */
    bb_str(&r, "b");
    bb_str(&r, "2");
    bb_eof(&r, 12);
    int rc_v, rc_r;
    char *jv = json_of(&v, &rc_v), *jr = json_of(&r, &rc_r);
    ck_assert_msg(rc_v == 0, "%s", jv);
    ck_assert_msg(rc_r == 0, "%s", jr);
    const char *want = "\"field_expiry_ms\": {\"a\": 1700000000000}, "
                       "\"value\": {\"a\": \"1\", \"b\": \"2\"}";
    ck_assert_msg(strstr(jv, want) != NULL, "Valkey JSON: %s", jv);
    ck_assert_msg(strstr(jr, want) != NULL, "Redis JSON: %s", jr);
    ck_assert_msg(strstr(jv, "\"encoding\": \"hash_2\"") != NULL, "%s", jv);
    ck_assert_msg(strstr(jv, "\"magic\": \"VALKEY080\"") != NULL, "%s", jv);
    free(jv);
    free(jr);
    free(v.p);
    free(r.p);
}
END_TEST

START_TEST(type_22_depends_on_the_magic)
{
    /* Redis 7.4 rc type 22: count, then (TTL, field, value). */
    bb b = {0};
    bb_header(&b, 12);
    bb_u8(&b, 22);
    bb_str(&b, "h");
    size_t body = b.len;
    bb_len(&b, 1);
    bb_len(&b, 5000); /* TTL, absolute in the release candidates */
    bb_str(&b, "f");
    bb_str(&b, "v");
    bb_eof(&b, 12);
    seen s;
    rdb_result res;
    ck_assert_msg(parse(&b, false, &s, &res) == 0, "%s", res.error);
    ck_assert_str_eq(s.info.encoding, "hash_metadata_pre_ga");
    assert_field(s.first, 0, "f", "v", 5000);
    value_free(s.first);

    /* The same value bytes under VALKEY080 are read as a HASH_2 triplet:
     * TTL 5000 (0x53 0x88) is taken as a 14-bit field length of 5000
     * bytes that the file does not have. */
    bb vk = {0};
    vk_header(&vk, 80);
    bb_u8(&vk, 22);
    bb_str(&vk, "h");
    bb_raw(&vk, b.p + body, b.len - body - 9); /* value, without EOF+CRC */
    bb_eof(&vk, 80);
    assert_error(&vk, "unexpected end of input");

    /* And Valkey's HASH_2 value under the REDIS magic: the Redis reader
     * takes "f1"'s length byte 2 as the TTL and then 'f' (0x66) as a
     * 14-bit length of 9777 bytes. */
    bb v = {0};
    hash2_file(&v);
    bb rd = {0};
    bb_header(&rd, 12);
    bb_raw(&rd, v.p + 11, v.len - 11 - 9);
    bb_eof(&rd, 12);
    assert_error(&rd, "unexpected end of input");
    ck_assert_int_eq(parse(&v, false, &s, &res), 0);
    value_free(s.first);
    free(b.p);
    free(vk.p);
    free(v.p);
    free(rd.p);
}
END_TEST

START_TEST(hash2_bad_values_are_refused)
{
    bb b = {0};
    /* An expiry below -1 (Valkey refuses those too). */
    vk_header(&b, 80);
    bb_u8(&b, 22);
    bb_str(&b, "h");
    bb_len(&b, 1);
    hash2_field(&b, "f", "v", -2);
    bb_eof(&b, 80);
    assert_error(&b, "offset 19: hash field expiry -2 is not a Unix time "
                     "in ms nor -1 (none) (key \"h\")");
    /* A field twice. */
    vk_header(&b, 80);
    bb_u8(&b, 22);
    bb_str(&b, "h");
    bb_len(&b, 2);
    hash2_field(&b, "f", "v", -1);
    hash2_field(&b, "f", "w", -1);
    bb_eof(&b, 80);
    assert_error(&b, "duplicate hash field \"f\"");
    /* A count larger than the fields present: the EOF byte is read as a
     * field length (0xff is not a length). */
    vk_header(&b, 80);
    bb_u8(&b, 22);
    bb_str(&b, "h");
    bb_len(&b, 2);
    hash2_field(&b, "f", "v", -1);
    bb_eof(&b, 80);
    assert_error(&b, "offset 27: unknown string encoding 63");
    /* A count smaller: the third field's length byte (2) is then read as
     * a record type (set), its bytes as a key, and so on to an error. */
    hash2_file(&b);
    b.p[13] = 2;
    b.len -= 8;
    bb_eof(&b, 80);
    assert_error(&b, "offset ");
    /* A huge count costs a truncation error, not a huge allocation. */
    vk_header(&b, 80);
    bb_u8(&b, 22);
    bb_str(&b, "h");
    bb_len(&b, UINT64_C(1) << 40);
    hash2_field(&b, "f", "v", -1);
    bb_eof(&b, 80);
    assert_error(&b, "unknown string encoding");
    free(b.p);
}
END_TEST

START_TEST(slot_import_is_decoded)
{
    bb b = {0};
    vk_header(&b, 80);
    static const uint64_t r[] = {0, 100, 16000, 16383};
    slot_import(&b, JOB, r, 2);
    bb_u8(&b, 0);
    bb_str(&b, "k");
    bb_str(&b, "v");
    bb_eof(&b, 80);
    for (int chunked = 0; chunked < 2; chunked++) {
        seen s;
        rdb_result res;
        ck_assert_msg(parse(&b, chunked, &s, &res) == 0, "%s", res.error);
        ck_assert_int_eq(s.imports, 1);
        ck_assert_str_eq(s.job, JOB);
        ck_assert_uint_eq(s.nranges, 2);
        ck_assert_uint_eq(s.ranges[0], 0);
        ck_assert_uint_eq(s.ranges[1], 100);
        ck_assert_uint_eq(s.ranges[2], 16000);
        ck_assert_uint_eq(s.ranges[3], 16383);
        ck_assert_int_eq(s.keys, 1);
        value_free(s.first);
    }
    int rc;
    char *j = json_of(&b, &rc);
    ck_assert_msg(rc == 0, "%s", j);
    char want[160];
    snprintf(want, sizeof want, "\"slot_imports\": [\n  {\"name\": \"%s\", "
             "\"ranges\": [[0, 100], [16000, 16383]]}\n ]", JOB);
    ck_assert_msg(strstr(j, want) != NULL, "%s", j);
    free(j);
    free(b.p);
}
END_TEST

START_TEST(slot_import_bad_values_are_refused)
{
    bb b = {0};
    static const uint64_t past_end[] = {0, 16384};
    vk_header(&b, 80);
    slot_import(&b, JOB, past_end, 1);
    bb_eof(&b, 80);
    assert_error(&b, "offset 11: SLOT_IMPORT range 1: slots 0-16384 (a "
                     "cluster has slots 0 to 16383)");
    static const uint64_t reversed[] = {5, 6, 9, 3};
    vk_header(&b, 80);
    slot_import(&b, JOB, reversed, 2);
    bb_eof(&b, 80);
    assert_error(&b, "range 2: slots 9-3");
    /* The same opcode under the REDIS magic is not Valkey's. */
    b.len = 0;
    bb_header(&b, 11);
    slot_import(&b, JOB, reversed, 1);
    bb_eof(&b, 11);
    assert_error(&b, "offset 11: unknown opcode 0xf3");
    /* A huge range count ends in a truncation error. */
    vk_header(&b, 80);
    bb_u8(&b, 0xF3);
    bb_str(&b, JOB);
    bb_len(&b, UINT64_C(1) << 50);
    bb_eof(&b, 80);
    assert_error(&b, "offset ");
    free(b.p);
}
END_TEST

START_TEST(every_truncation_is_refused)
{
    /* One file with both of Valkey's additions, cut at every byte, read
     * from memory and through 1-byte refills. */
    bb b = {0};
    vk_header(&b, 80);
    static const uint64_t r[] = {10, 20};
    slot_import(&b, JOB, r, 1);
    bb_u8(&b, 22);
    bb_str(&b, "h");
    bb_len(&b, 2);
    hash2_field(&b, "f1", "v1", INT64_C(1700000000000));
    hash2_field(&b, "f2", "v2", -1);
    bb_eof(&b, 80);
    for (size_t cut = 0; cut < b.len; cut++) {
        bb part = {b.p, cut, cut};
        for (int chunked = 0; chunked < 2; chunked++) {
            seen s;
            rdb_result res;
            int rc = parse(&part, chunked, &s, &res);
            value_free(s.first);
            ck_assert_msg(rc != 0, "cut at %zu parsed", cut);
            ck_assert_msg(strncmp(res.error, "offset ", 7) == 0,
                          "cut at %zu: %s", cut, res.error);
            ck_assert_msg(strstr(res.error, "end of input") != NULL,
                          "cut at %zu: %s", cut, res.error);
        }
    }
    seen s;
    rdb_result res;
    ck_assert_msg(parse(&b, true, &s, &res) == 0, "%s", res.error);
    ck_assert_int_eq(s.imports, 1);
    value_free(s.first);
    free(b.p);
}
END_TEST

START_TEST(valkey_versions)
{
    bb b = {0};
    /* Valkey numbers its formats from 80: 12 to 79 are left to others. */
    vk_header(&b, 11);
    bb_eof(&b, 11);
    assert_error(&b, "offset 6: VALKEY magic with version 11");
    vk_header(&b, 79);
    bb_eof(&b, 79);
    assert_error(&b, "VALKEY magic with version 79");
    /* 81 (Valkey 9.2) adds encodings this reader does not know. */
    vk_header(&b, 81);
    bb_eof(&b, 81);
    assert_error(&b, "offset 6: unsupported Valkey RDB version 81");
    /* Valkey's numbers under the REDIS magic are not Redis versions. */
    b.len = 0;
    bb_header(&b, 80);
    bb_eof(&b, 80);
    assert_error(&b, "offset 5: unsupported RDB version 80");
    /* Types Valkey 9.0 does not define are not read with Redis's meaning. */
    for (unsigned t = 23; t <= 25; t++) {
        vk_header(&b, 80);
        bb_u8(&b, t);
        bb_str(&b, "h");
        bb_eof(&b, 80);
        char want[96];
        snprintf(want, sizeof want, "offset 11: value type %u is not "
                 "defined under the VALKEY magic", t);
        assert_error(&b, want);
    }
    /* Opcode 0xf2 (Valkey 9.2's UPDATE) is refused by name. */
    vk_header(&b, 80);
    bb_u8(&b, 0xF2);
    bb_eof(&b, 80);
    assert_error(&b, "offset 11: unknown opcode 0xf2");
    free(b.p);
}
END_TEST

START_TEST(hash2_loads_into_a_store)
{
    /* What a replica does with it: the hash and its field expiry arrive in
     * the store unchanged (a replica never expires anything itself). */
    bb b = {0};
    hash2_file(&b);
    store *st = store_create(&store_naive_ops);
    ck_assert_ptr_nonnull(st);
    rdb_reader r;
    rdb_result res;
    rdb_options opt = {.quiet = true};
    rdb_reader_init_mem(&r, b.p, b.len);
    ck_assert_msg(rdb_load_store(&r, st, 0, &opt, &res) == 0, "%s",
                  res.error);
    rdb_reader_free(&r);
    ck_assert_uint_eq(res.keys_stored, 1);
    store_reader *rd = store_reader_open(st);
    store_read_begin(rd);
    const value *v = store_get(rd, "h", 1);
    ck_assert_ptr_nonnull(v);
    assert_field(v, field_index(v, "f1"), "f1", "v1",
                 INT64_C(1700000000000));
    assert_field(v, field_index(v, "f3"), "f3", "v3", 0);
    store_read_end(rd);
    store_reader_close(rd);
    store_destroy(st);
    free(b.p);
}
END_TEST

Suite *ch07_valkey_suite(void)
{
    Suite *s = suite_create("ch07_valkey");
    TCase *tc = tcase_create("valkey");
    tcase_add_test(tc, hash2_is_decoded);
    tcase_add_test(tc, hash2_without_any_expiry_and_empty);
    tcase_add_test(tc, hash2_json_matches_redis_field_expiry);
    tcase_add_test(tc, type_22_depends_on_the_magic);
    tcase_add_test(tc, hash2_bad_values_are_refused);
    tcase_add_test(tc, slot_import_is_decoded);
    tcase_add_test(tc, slot_import_bad_values_are_refused);
    tcase_add_test(tc, every_truncation_is_refused);
    tcase_add_test(tc, valkey_versions);
    tcase_add_test(tc, hash2_loads_into_a_store);
    suite_add_tcase(s, tc);
    return s;
}
