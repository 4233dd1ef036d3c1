/* ch07_rdb.c - chapter 7: the RDB reader on hand-made and damaged input.
 *
 * The corpus covers what real servers wrote; these tests cover what they
 * did not (EXPIRETIME in seconds, RDB 1, the VALKEY magic, Redis 7.4 GA
 * field-expiry types 24 and 25, a zipmap with a 5-byte length) and what a
 * broken file or a hostile peer can send: truncation at every byte, wrong
 * blob sizes, huge lengths, a bad checksum, unknown types and opcodes.
 * Each must end in a clear error with an offset, never a crash, a hang or
 * a huge allocation.  Files are built here byte by byte with a tiny writer
 * (tests/util/rdb_builder.h).  Truncation, streaming and loading into a
 * store are in ch07_stream.c.
 */
#include "rdb.h"
#include "rdb_json.h"
#include "rdb_builder.h"
#include "test_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- running the parser ------------------------------------------------- */

typedef struct got {
    int keys;
    char first_key[64];
    value *first;
} got;

static int keep_first(void *arg, const rdb_buf *key, value *v,
                      const rdb_key_info *info)
{
    got *g = arg;
    (void)info;
    if (g->keys++ == 0) {
        snprintf(g->first_key, sizeof g->first_key, "%s", key->p);
        g->first = v;
    } else {
        value_free(v);
    }
    return 0;
}

/* Parse bytes from memory; keeps the first key's value in *g. */
static int parse_mem(const bb *b, bool no_crc, got *g, rdb_result *res)
{
    rdb_reader r;
    rdb_handler h = {.key = keep_first, .arg = g};
    rdb_options opt = {.no_crc = no_crc, .quiet = true};
    memset(g, 0, sizeof *g);
    rdb_reader_init_mem(&r, b->p, b->len);
    int rc = rdb_parse(&r, &h, &opt, res);
    rdb_reader_free(&r);
    return rc;
}

static void assert_error(const bb *b, const char *needle)
{
    got g;
    rdb_result res;
    int rc = parse_mem(b, false, &g, &res);
    value_free(g.first);
    ck_assert_msg(rc != 0, "parse succeeded; expected error \"%s\"", needle);
    ck_assert_msg(strstr(res.error, needle) != NULL,
                  "error \"%s\" does not contain \"%s\"", res.error, needle);
    ck_assert_msg(strncmp(res.error, "offset ", 7) == 0,
                  "error without an offset: %s", res.error);
}

/* Start b afresh as an RDB file of the given version whose first record is
 * a key of the given type byte and name; the test appends the value. */
/* A hash field (phash.h) that must be there. */
static const phash_field *field(const value *v, const char *f)
{
    const phash_field *pf = phash_get(value_as_hash(v), f, strlen(f));
    ck_assert_msg(pf != NULL, "field %s missing", f);
    return pf;
}

static void key_start(bb *b, int version, unsigned type, const char *key)
{
    b->len = 0;
    bb_header(b, version);
    bb_u8(b, type);
    bb_str(b, key);
}

/* --- tests -------------------------------------------------------------- */

START_TEST(expiretime_in_seconds_and_version_1)
{
    bb b = {0};
    bb_header(&b, 1);
    bb_u8(&b, 0xFD); /* EXPIRETIME, seconds, 4 bytes */
    bb_le(&b, 2000000000u, 4); /* signed 32-bit, as Redis reads it */
    bb_u8(&b, 0);
    bb_str(&b, "k");
    bb_str(&b, "v");
    bb_eof(&b, 1);
    got g;
    rdb_result res;
    ck_assert_int_eq(parse_mem(&b, false, &g, &res), 0);
    ck_assert_int_eq(res.version, 1);
    ck_assert_int_eq(res.crc, RDB_CRC_NONE);
    ck_assert_ptr_nonnull(g.first);
    ck_assert_int_eq(g.first->expire_ms, INT64_C(2000000000000));
    ck_assert_bytes_str(value_str_bytes(g.first), value_str_len(g.first), "v");
    value_free(g.first);
    free(b.p);
}
END_TEST

START_TEST(valkey_magic_is_read)
{
    bb b = {0};
    bb_raw(&b, "VALKEY080", 9);
    bb_u8(&b, 0xFE);
    bb_len(&b, 0);
    bb_u8(&b, 0);
    bb_str(&b, "k");
    bb_str(&b, "valkey");
    bb_eof(&b, 80);
    got g;
    rdb_result res;
    ck_assert_int_eq(parse_mem(&b, false, &g, &res), 0);
    ck_assert(res.valkey);
    ck_assert_int_eq(res.version, 80);
    ck_assert_int_eq(res.crc, RDB_CRC_OK);
    ck_assert_bytes_str(value_str_bytes(g.first), value_str_len(g.first), "valkey");
    value_free(g.first);
    /* Valkey's own types and opcodes are tested in ch07_valkey.c. */
    free(b.p);
}
END_TEST

START_TEST(hash_field_expiry_ga_types)
{
    /* Type 24: min expire, count, then (ttl relative + 1, field, value). */
    bb b = {0};
    key_start(&b, 12, 24, "h24");
    bb_le(&b, 1000000, 8);
    bb_len(&b, 2);
    bb_len(&b, 0);
    bb_str(&b, "f1");
    bb_str(&b, "v1");
    bb_len(&b, 501); /* expires at 1000000 + 501 - 1 */
    bb_str(&b, "f2");
    bb_str(&b, "v2");
    bb_eof(&b, 12);
    got g;
    rdb_result res;
    ck_assert_int_eq(parse_mem(&b, false, &g, &res), 0);
    value *v = g.first;
    ck_assert_int_eq(v->type, VALUE_HASH);
    ck_assert_uint_eq(value_count(v), 2);
    ck_assert_uint_gt(phash_expiring_len(value_as_hash(v)), 0);
    ck_assert_int_eq(phash_field_expire(field(v, "f1")), VALUE_NO_EXPIRY);
    ck_assert_int_eq(phash_field_expire(field(v, "f2")), 1000500);
    value_free(v);

    /* Type 25: min expire, then a listpack of field, value, ttl. */
    bb lp = {0};
    const char *items[] = {"a", "x", "#0", "b", "y", "#99"};
    lp_build(&lp, items, 6);
    key_start(&b, 12, 25, "h25");
    bb_le(&b, 99, 8);
    bb_blob(&b, &lp);
    bb_eof(&b, 12);
    ck_assert_int_eq(parse_mem(&b, false, &g, &res), 0);
    v = g.first;
    ck_assert_uint_eq(value_count(v), 2);
    ck_assert_int_eq(phash_field_expire(field(v, "a")), VALUE_NO_EXPIRY);
    ck_assert_int_eq(phash_field_expire(field(v, "b")), 99);
    size_t vl;
    const unsigned char *val = phash_field_value(field(v, "b"), &vl);
    ck_assert_bytes_str(val, vl, "y");
    value_free(v);
    free(lp.p);
    free(b.p);
}
END_TEST

START_TEST(zipmap_with_five_byte_length)
{
    bb zm = {0}, b = {0};
    char big[300];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    bb_u8(&zm, 1);    /* one pair */
    bb_u8(&zm, 1);    /* key length */
    bb_raw(&zm, "k", 1);
    bb_u8(&zm, 254);  /* 5-byte value length */
    bb_le(&zm, 299, 4);
    bb_u8(&zm, 2);    /* two free bytes after the value */
    bb_raw(&zm, big, 299);
    bb_raw(&zm, "..", 2);
    bb_u8(&zm, 0xFF);
    key_start(&b, 3, 9, "zm");
    bb_blob(&b, &zm);
    bb_eof(&b, 3);
    got g;
    rdb_result res;
    ck_assert_int_eq(parse_mem(&b, false, &g, &res), 0);
    ck_assert_uint_eq(value_count(g.first), 1);
    size_t vl;
    phash_field_value(phash_nth(value_as_hash(g.first), 0), &vl);
    ck_assert_uint_eq(vl, 299);
    value_free(g.first);
    free(zm.p);
    free(b.p);
}
END_TEST

/* One stream node: master ID 5-1, master field "f". */
static void stream_record(bb *b, const char *const *lp_items, size_t n)
{
    bb lp = {0}, id = {0};
    lp_build(&lp, lp_items, n);
    for (int i = 7; i >= 0; i--)
        bb_u8(&id, i == 0 ? 5 : 0); /* ms = 5, big-endian */
    for (int i = 7; i >= 0; i--)
        bb_u8(&id, i == 0 ? 1 : 0); /* seq = 1 */
    b->len = 0;
    bb_header(b, 11);
    bb_u8(b, 21); /* STREAM_LISTPACKS_3 */
    bb_str(b, "s");
    bb_len(b, 1); /* one node */
    bb_blob(b, &id);
    bb_blob(b, &lp);
    bb_len(b, 1);                 /* length */
    bb_len(b, 5), bb_len(b, 2);   /* last ID 5-2 */
    bb_len(b, 5), bb_len(b, 2);   /* first ID */
    bb_len(b, 5), bb_len(b, 1);   /* max deleted ID */
    bb_len(b, 2);                 /* entries added */
    bb_len(b, 0);                 /* no groups */
    bb_eof(b, 11);
    free(lp.p);
    free(id.p);
}

START_TEST(stream_built_by_hand)
{
    /* Master: 1 live, 1 deleted, fields [f], 0.  Entry 5-1 deleted (flags
     * 1 | 2 same fields), entry 5-2 live with the master's fields, each
     * ending with its lp-count (fields + 3). */
    const char *items[] = {"#1", "#1", "#1", "f", "#0",
                           "#3", "#0", "#0", "gone", "#4",
                           "#2", "#0", "#1", "kept", "#4"};
    bb b = {0};
    stream_record(&b, items, 15);
    got g;
    rdb_result res;
    ck_assert_msg(parse_mem(&b, false, &g, &res) == 0, "%s", res.error);
    const pstream *st = value_as_stream(g.first);
    ck_assert_uint_eq(pstream_len(st), 1);
    ck_assert_ptr_null(pstream_get(st, (pstream_id){5, 1}));
    const pstream_entry *e = pstream_get(st, (pstream_id){5, 2});
    ck_assert_ptr_nonnull(e);
    ck_assert_uint_eq(pstream_entry_nfields(e), 1);
    size_t len;
    const unsigned char *p = pstream_entry_field(e, 0, &len);
    ck_assert_bytes_str(p, len, "f");
    p = pstream_entry_value(e, 0, &len);
    ck_assert_bytes_str(p, len, "kept");
    ck_assert_uint_eq(pstream_max_deleted_id(st).seq, 1);
    value_free(g.first);

    /* A field count the listpack cannot hold is refused before any
     * allocation is sized from it. */
    const char *bogus[] = {"#1", "#0", "#1", "f", "#0",
                           "#0", "#0", "#1", "#100", "x", "y", "#4"};
    stream_record(&b, bogus, 12);
    assert_error(&b, "field count 100 cannot fit");
    /* A wrong lp-count. */
    const char *badcount[] = {"#1", "#0", "#1", "f", "#0",
                              "#2", "#0", "#1", "v", "#9"};
    stream_record(&b, badcount, 10);
    assert_error(&b, "lp-count 9 does not match");
    free(b.p);
}
END_TEST

/* A raw 16-byte stream ID ms-seq, big-endian (a PEL's form). */
static void raw_id(bb *b, uint64_t ms, uint64_t seq)
{
    for (int i = 7; i >= 0; i--)
        bb_u8(b, (unsigned)(ms >> (8 * i)) & 0xff);
    for (int i = 7; i >= 0; i--)
        bb_u8(b, (unsigned)(seq >> (8 * i)) & 0xff);
}

/* A type-21 stream "s" with one live entry 5-2 (master 5-1) and the
 * metadata given, then the groups the caller wrote into groups. */
static void stream_with(bb *b, uint64_t entries_added, const bb *groups)
{
    const char *items[] = {"#1", "#0", "#1", "f", "#0",
                           "#2", "#0", "#1", "v", "#4"};
    bb lp = {0}, id = {0};
    lp_build(&lp, items, 10);
    raw_id(&id, 5, 1);
    b->len = 0;
    bb_header(b, 11);
    bb_u8(b, 21);
    bb_str(b, "s");
    bb_len(b, 1);
    bb_blob(b, &id);
    bb_blob(b, &lp);
    bb_len(b, 1);               /* length */
    bb_len(b, 5), bb_len(b, 2); /* last ID */
    bb_len(b, 5), bb_len(b, 2); /* first ID */
    bb_len(b, 0), bb_len(b, 0); /* max deleted ID */
    bb_len(b, entries_added);
    bb_raw(b, groups->p, groups->len);
    bb_eof(b, 11);
    free(lp.p);
    free(id.p);
}

/* A group with no PEL entries and no consumers yet: the caller adds the
 * PEL and consumer counts and records. */
static void group_head(bb *g, const char *name)
{
    bb_str(g, name);
    bb_len(g, 5), bb_len(g, 2); /* last delivered ID */
    bb_len(g, 1);               /* entries read */
}

static void consumer(bb *g, const char *name, const uint64_t *seqs, size_t n)
{
    bb_str(g, name);
    bb_le(g, 1000, 8); /* seen */
    bb_le(g, 900, 8);  /* active */
    bb_len(g, n);
    for (size_t i = 0; i < n; i++)
        raw_id(g, 5, seqs[i]);
}

/* One group PEL entry 5-seq delivered once at time 1000. */
static void nack(bb *g, uint64_t seq)
{
    raw_id(g, 5, seq);
    bb_le(g, 1000, 8);
    bb_len(g, 1);
}

START_TEST(stream_groups_built_by_hand)
{
    bb b = {0}, g = {0};
    const uint64_t two[] = {2}, one[] = {1};
    /* Two groups, "zz" first in the file; a consumer owning 5-2. */
    bb_len(&g, 2);
    group_head(&g, "zz");
    bb_len(&g, 1), nack(&g, 2);
    bb_len(&g, 2), consumer(&g, "c2", two, 1), consumer(&g, "c1", NULL, 0);
    group_head(&g, "aa");
    bb_len(&g, 0), bb_len(&g, 0);
    stream_with(&b, 1, &g);
    got gt;
    rdb_result res;
    ck_assert_msg(parse_mem(&b, false, &gt, &res) == 0, "%s", res.error);
    const pstream *st = value_as_stream(gt.first);
    ck_assert_uint_eq(pstream_groups_len(st), 2);
    const pstream_group *zz = pstream_group_get(st, "zz", 2);
    ck_assert_ptr_nonnull(zz);
    ck_assert_uint_eq(pstream_group_pel_len(zz), 1);
    const pstream_nack *n = pstream_pel_get(zz, (pstream_id){5, 2});
    ck_assert_ptr_nonnull(n);
    ck_assert_int_eq(n->delivery_time_ms, 1000);
    ck_assert_bytes_str(n->owner->bytes, n->owner->len, "c2");
    const pstream_consumer *c = pstream_consumer_get(zz, "c2", 2);
    ck_assert_ptr_nonnull(c);
    ck_assert_uint_eq(pstream_consumer_pel_len(c), 1);
    ck_assert_int_eq(c->seen_time_ms, 1000);
    ck_assert_int_eq(c->active_time_ms, 900);
    ck_assert_ptr_nonnull(pstream_consumer_get(zz, "c1", 2));
    ck_assert_ptr_nonnull(pstream_group_get(st, "aa", 2));
    value_free(gt.first);

    /* Each rule of the builder, with its offset. */
    g.len = 0; /* the same group twice (Redis refuses it too) */
    bb_len(&g, 2);
    group_head(&g, "g"), bb_len(&g, 0), bb_len(&g, 0);
    group_head(&g, "g"), bb_len(&g, 0), bb_len(&g, 0);
    stream_with(&b, 1, &g);
    assert_error(&b, "duplicate consumer group name");

    g.len = 0; /* a PEL entry that no consumer owns */
    bb_len(&g, 1);
    group_head(&g, "g");
    bb_len(&g, 1), nack(&g, 2);
    bb_len(&g, 0);
    stream_with(&b, 1, &g);
    assert_error(&b, "pending 5-2 has no consumer");

    g.len = 0; /* a consumer owning an ID the group does not have */
    bb_len(&g, 1);
    group_head(&g, "g");
    bb_len(&g, 1), nack(&g, 2);
    bb_len(&g, 1), consumer(&g, "c", one, 1);
    stream_with(&b, 1, &g);
    assert_error(&b, "consumer PEL entry 5-1 is not in the group's PEL");

    g.len = 0; /* two consumers owning one ID */
    bb_len(&g, 1);
    group_head(&g, "g");
    bb_len(&g, 1), nack(&g, 2);
    bb_len(&g, 2), consumer(&g, "a", two, 1), consumer(&g, "b", two, 1);
    stream_with(&b, 1, &g);
    assert_error(&b, "consumer PEL entry 5-2 is owned by another consumer");

    g.len = 0; /* the same consumer twice */
    bb_len(&g, 1);
    group_head(&g, "g");
    bb_len(&g, 0);
    bb_len(&g, 2), consumer(&g, "a", NULL, 0), consumer(&g, "a", NULL, 0);
    stream_with(&b, 1, &g);
    assert_error(&b, "duplicate consumer name");

    g.len = 0; /* group PEL out of order */
    bb_len(&g, 1);
    group_head(&g, "g");
    bb_len(&g, 2), nack(&g, 2), nack(&g, 1);
    bb_len(&g, 0);
    stream_with(&b, 1, &g);
    assert_error(&b, "group PEL IDs not ascending");

    g.len = 0; /* metadata: fewer entries ever added than held */
    bb_len(&g, 0);
    stream_with(&b, 0, &g);
    assert_error(&b, "entries added 0 is below its length 1");
    free(g.p);
    free(b.p);
}
END_TEST

START_TEST(unknown_types_and_opcodes_are_named)
{
    bb b = {0};
    bb_header(&b, 11);
    size_t body = b.len;
    bb_u8(&b, 26);
    bb_str(&b, "k");
    assert_error(&b, "unknown opcode or value type 0x1a (26)");
    b.len = body;
    bb_u8(&b, 8);
    assert_error(&b, "value type 0x08");
    b.len = body;
    bb_u8(&b, 0xF3);
    assert_error(&b, "offset 11: unknown opcode 0xf3");
    b.len = body;
    bb_u8(&b, 6);
    bb_str(&b, "m");
    assert_error(&b, "MODULE_PRE_GA");
    b.len = body;
    bb_u8(&b, 0xF6);
    assert_error(&b, "FUNCTION opcode 0xf6");
    b.len = body;
    bb_u8(&b, 0);
    bb_str(&b, "k");
    bb_u8(&b, 0xC5); /* string encoding 5 does not exist */
    assert_error(&b, "unknown string encoding 5 (key \"k\")");
    b.len = 0;
    bb_raw(&b, "REDIS0013", 9);
    assert_error(&b, "unsupported RDB version 13");
    b.len = 0;
    bb_raw(&b, "RUDIS0011", 9);
    assert_error(&b, "not an RDB file");
    free(b.p);
}
END_TEST

START_TEST(wrong_blob_sizes_are_caught)
{
    bb lp = {0}, b = {0};
    const char *items[] = {"a", "b"};
    lp_build(&lp, items, 2);
    /* Listpack total-bytes header one too big. */
    lp.p[0]++;
    key_start(&b, 11, 20, "s");
    bb_blob(&b, &lp);
    bb_eof(&b, 11);
    assert_error(&b, "listpack header says");
    /* Back-length of the second element wrong. */
    lp.p[0]--;
    lp.p[lp.len - 2] = 9;
    key_start(&b, 11, 20, "s");
    bb_blob(&b, &lp);
    bb_eof(&b, 11);
    assert_error(&b, "back-length does not match the element size (key "
                     "\"s\")");
    /* Element count wrong. */
    lp.p[lp.len - 2] = 2;
    lp.p[4] = 3;
    key_start(&b, 11, 20, "s");
    bb_blob(&b, &lp);
    bb_eof(&b, 11);
    assert_error(&b, "listpack header says 3 elements but it holds 2");
    /* Intset whose size does not match its count. */
    bb is = {0};
    bb_le(&is, 2, 4);
    bb_le(&is, 3, 4);
    bb_le(&is, 1, 2);
    bb_le(&is, 2, 2);
    key_start(&b, 11, 11, "i");
    bb_blob(&b, &is);
    bb_eof(&b, 11);
    assert_error(&b, "intset of 3 2-byte members needs 14 bytes");
    /* Duplicate set members. */
    const char *dup[] = {"a", "a"};
    lp_build(&lp, dup, 2);
    key_start(&b, 11, 20, "d");
    bb_blob(&b, &lp);
    bb_eof(&b, 11);
    assert_error(&b, "duplicate set member");
    free(is.p);
    free(lp.p);
    free(b.p);
}
END_TEST

/* [ch07-huge-test] */
START_TEST(huge_lengths_do_not_allocate)
{
    bb b = {0};
    /* A 2^62-byte string with 3 bytes behind it. */
    key_start(&b, 11, 0, "k");
    bb_len(&b, UINT64_C(1) << 62);
    bb_raw(&b, "abc", 3);
    assert_error(&b, "unexpected end of input");
    /* A list claiming 2^40 elements. */
    key_start(&b, 11, 1, "l");
    bb_len(&b, UINT64_C(1) << 40);
    bb_str(&b, "x");
    assert_error(&b, "unexpected end of input (needed 1 more bytes) (key "
                     "\"l\")");
    /* LZF claiming 2^40 bytes from 4: refused before any allocation. */
    key_start(&b, 11, 0, "z");
    bb_u8(&b, 0xC3);
    bb_len(&b, 4);
    bb_len(&b, UINT64_C(1) << 40);
    bb_raw(&b, "\x01xx\x00", 4);
    assert_error(&b, "impossible");
    /* LZF whose output is shorter than declared. */
    key_start(&b, 11, 0, "z");
    bb_u8(&b, 0xC3);
    bb_len(&b, 3);
    bb_len(&b, 5);
    bb_raw(&b, "\x01xy", 3);
    bb_eof(&b, 11);
    assert_error(&b, "output shorter than declared");
    free(b.p);
}
END_TEST
/* [ch07-huge-test] */

START_TEST(checksum_is_verified_as_bytes_stream)
{
    bb b = {0};
    key_start(&b, 11, 0, "key");
    bb_str(&b, "value");
    bb_eof(&b, 11);
    got g;
    rdb_result res;
    ck_assert_int_eq(parse_mem(&b, false, &g, &res), 0);
    ck_assert_int_eq(res.crc, RDB_CRC_OK);
    value_free(g.first);
    b.p[b.len - 10]++; /* one bit of the value: "valuf" */
    assert_error(&b, "checksum mismatch");
    ck_assert_int_eq(parse_mem(&b, true, &g, &res), 0);
    ck_assert_int_eq(res.crc, RDB_CRC_MISMATCH);
    ck_assert_bytes_str(value_str_bytes(g.first), value_str_len(g.first), "valuf");
    value_free(g.first);
    memset(b.p + b.len - 8, 0, 8); /* stored 0: checking disabled */
    ck_assert_int_eq(parse_mem(&b, false, &g, &res), 0);
    ck_assert_int_eq(res.crc, RDB_CRC_ZERO);
    value_free(g.first);
    free(b.p);
}
END_TEST

Suite *ch07_rdb_suite(void)
{
    Suite *s = suite_create("ch07_rdb");
    TCase *tc = test_tcase("synthetic", 30);
    tcase_add_test(tc, expiretime_in_seconds_and_version_1);
    tcase_add_test(tc, valkey_magic_is_read);
    tcase_add_test(tc, hash_field_expiry_ga_types);
    tcase_add_test(tc, zipmap_with_five_byte_length);
    tcase_add_test(tc, stream_built_by_hand);
    tcase_add_test(tc, stream_groups_built_by_hand);
    suite_add_tcase(s, tc);
    tc = test_tcase("bad input", 120);
    tcase_add_test(tc, unknown_types_and_opcodes_are_named);
    tcase_add_test(tc, wrong_blob_sizes_are_caught);
    tcase_add_test(tc, huge_lengths_do_not_allocate);
    tcase_add_test(tc, checksum_is_verified_as_bytes_stream);
    suite_add_tcase(s, tc);
    return s;
}
