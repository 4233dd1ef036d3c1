/* ch07_rdb.c - chapter 7: the RDB reader on hand-made and damaged input.
 *
 * The corpus covers what real servers wrote; these tests cover what they
 * did not (EXPIRETIME in seconds, RDB 1, the VALKEY magic, Redis 7.4 GA
 * field-expiry types 24 and 25, a zipmap with a 5-byte length) and what a
 * broken file or a hostile peer can send: truncation at every byte, wrong
 * blob sizes, huge lengths, a bad checksum, unknown types and opcodes.
 * Each must end in a clear error with an offset, never a crash, a hang or
 * a huge allocation.  Files are built here byte by byte with a tiny writer
 * (bb_*), the CRC computed with crc64.h.
 */
#include "crc64.h"
#include "rdb.h"
#include "rdb_json.h"
#include "store_naive.h"
#include "test_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* --- a byte-buffer writer for synthetic dumps -------------------------- */

typedef struct bb {
    unsigned char *p;
    size_t len, cap;
} bb;

static void bb_raw(bb *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        ck_assert_ptr_nonnull(b->p);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void bb_u8(bb *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    bb_raw(b, &c, 1);
}

static void bb_le(bb *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        bb_u8(b, (unsigned)(v >> (8 * i)) & 0xff);
}

/* A length in the smallest of the 6/14/32/64-bit forms. */
static void bb_len(bb *b, uint64_t v)
{
    if (v < 64) {
        bb_u8(b, (unsigned)v);
    } else if (v < 16384) {
        bb_u8(b, 0x40 | (unsigned)(v >> 8));
        bb_u8(b, (unsigned)v & 0xff);
    } else if (v <= 0xffffffffu) {
        bb_u8(b, 0x80);
        for (int i = 3; i >= 0; i--)
            bb_u8(b, (unsigned)(v >> (8 * i)) & 0xff);
    } else {
        bb_u8(b, 0x81);
        for (int i = 7; i >= 0; i--)
            bb_u8(b, (unsigned)(v >> (8 * i)) & 0xff);
    }
}

static void bb_str(bb *b, const char *s)
{
    bb_len(b, strlen(s));
    bb_raw(b, s, strlen(s));
}

static void bb_blob(bb *b, const bb *blob)
{
    bb_len(b, blob->len);
    bb_raw(b, blob->p, blob->len);
}

/* Header "REDIS00vv" and SELECTDB 0. */
static void bb_header(bb *b, int version)
{
    char m[16];
    snprintf(m, sizeof m, "REDIS%04d", version);
    bb_raw(b, m, 9);
    bb_u8(b, 0xFE);
    bb_len(b, 0);
}

/* EOF and, from version 5, the CRC of everything before it. */
static void bb_eof(bb *b, int version)
{
    bb_u8(b, 0xFF);
    if (version >= 5)
        bb_le(b, crc64_update(0, b->p, b->len), 8);
}

/* A listpack of strings (6-bit lengths) and small integers ("#n"). */
static void lp_build(bb *lp, const char *const *items, size_t n)
{
    lp->len = 0;
    bb_le(lp, 0, 4);
    bb_le(lp, n, 2);
    for (size_t i = 0; i < n; i++) {
        const char *s = items[i];
        if (s[0] == '#') { /* 7-bit unsigned integer */
            bb_u8(lp, (unsigned)atoi(s + 1) & 0x7f);
            bb_u8(lp, 1);
        } else {
            size_t l = strlen(s);
            ck_assert_uint_lt(l, 64);
            bb_u8(lp, 0x80 | (unsigned)l);
            bb_raw(lp, s, l);
            bb_u8(lp, (unsigned)(l + 1));
        }
    }
    bb_u8(lp, 0xFF);
    for (int i = 0; i < 4; i++)
        lp->p[i] = (unsigned char)(lp->len >> (8 * i));
}

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
    ck_assert_bytes_str(g.first->u.str.bytes, g.first->u.str.len, "v");
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
    ck_assert_bytes_str(g.first->u.str.bytes, g.first->u.str.len, "valkey");
    value_free(g.first);
    /* Valkey's own hash-with-field-expiry type 22 is refused by name. */
    b.len = 11;
    bb_u8(&b, 22);
    bb_str(&b, "h");
    bb_eof(&b, 80);
    assert_error(&b, "VALKEY magic");
    free(b.p);
}
END_TEST

START_TEST(hash_field_expiry_ga_types)
{
    /* Type 24: min expire, count, then (ttl relative + 1, field, value). */
    bb b = {0};
    bb_header(&b, 12);
    bb_u8(&b, 24);
    bb_str(&b, "h24");
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
    ck_assert_uint_eq(v->u.hash.count, 2);
    ck_assert_ptr_nonnull(v->u.hash.field_expire_ms);
    ck_assert_int_eq(v->u.hash.field_expire_ms[0], VALUE_NO_EXPIRY);
    ck_assert_int_eq(v->u.hash.field_expire_ms[value_hash_find(v, "f2", 2)],
                     1000500);
    value_free(v);

    /* Type 25: min expire, then a listpack of field, value, ttl. */
    bb lp = {0};
    const char *items[] = {"a", "x", "#0", "b", "y", "#99"};
    lp_build(&lp, items, 6);
    b.len = 0;
    bb_header(&b, 12);
    bb_u8(&b, 25);
    bb_str(&b, "h25");
    bb_le(&b, 99, 8);
    bb_blob(&b, &lp);
    bb_eof(&b, 12);
    ck_assert_int_eq(parse_mem(&b, false, &g, &res), 0);
    v = g.first;
    ck_assert_uint_eq(v->u.hash.count, 2);
    ck_assert_int_eq(v->u.hash.field_expire_ms[0], VALUE_NO_EXPIRY);
    ck_assert_int_eq(v->u.hash.field_expire_ms[1], 99);
    ck_assert_bytes_str(v->u.hash.fv[3].bytes, v->u.hash.fv[3].len, "y");
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
    bb_header(&b, 3);
    bb_u8(&b, 9);
    bb_str(&b, "zm");
    bb_blob(&b, &zm);
    bb_eof(&b, 3);
    got g;
    rdb_result res;
    ck_assert_int_eq(parse_mem(&b, false, &g, &res), 0);
    ck_assert_uint_eq(g.first->u.hash.count, 1);
    ck_assert_uint_eq(g.first->u.hash.fv[1].len, 299);
    value_free(g.first);
    free(zm.p);
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
    bb_header(&b, 11);
    bb_u8(&b, 20);
    bb_str(&b, "s");
    bb_blob(&b, &lp);
    bb_eof(&b, 11);
    assert_error(&b, "listpack header says");
    /* Back-length of the second element wrong. */
    lp.p[0]--;
    lp.p[lp.len - 2] = 9;
    b.len = 0;
    bb_header(&b, 11);
    bb_u8(&b, 20);
    bb_str(&b, "s");
    bb_blob(&b, &lp);
    bb_eof(&b, 11);
    assert_error(&b, "back-length does not match the element size (key "
                     "\"s\")");
    /* Element count wrong. */
    lp.p[lp.len - 2] = 2;
    lp.p[4] = 3;
    b.len = 0;
    bb_header(&b, 11);
    bb_u8(&b, 20);
    bb_str(&b, "s");
    bb_blob(&b, &lp);
    bb_eof(&b, 11);
    assert_error(&b, "listpack header says 3 elements but it holds 2");
    /* Intset whose size does not match its count. */
    bb is = {0};
    bb_le(&is, 2, 4);
    bb_le(&is, 3, 4);
    bb_le(&is, 1, 2);
    bb_le(&is, 2, 2);
    b.len = 0;
    bb_header(&b, 11);
    bb_u8(&b, 11);
    bb_str(&b, "i");
    bb_blob(&b, &is);
    bb_eof(&b, 11);
    assert_error(&b, "intset of 3 2-byte members needs 14 bytes");
    /* Duplicate set members. */
    const char *dup[] = {"a", "a"};
    lp_build(&lp, dup, 2);
    b.len = 0;
    bb_header(&b, 11);
    bb_u8(&b, 20);
    bb_str(&b, "d");
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
    bb_header(&b, 11);
    bb_u8(&b, 0);
    bb_str(&b, "k");
    bb_len(&b, UINT64_C(1) << 62);
    bb_raw(&b, "abc", 3);
    assert_error(&b, "unexpected end of input");
    /* A list claiming 2^40 elements. */
    b.len = 0;
    bb_header(&b, 11);
    bb_u8(&b, 1);
    bb_str(&b, "l");
    bb_len(&b, UINT64_C(1) << 40);
    bb_str(&b, "x");
    assert_error(&b, "unexpected end of input (needed 1 more bytes) (key "
                     "\"l\")");
    /* LZF claiming 2^40 bytes from 4: refused before any allocation. */
    b.len = 0;
    bb_header(&b, 11);
    bb_u8(&b, 0);
    bb_str(&b, "z");
    bb_u8(&b, 0xC3);
    bb_len(&b, 4);
    bb_len(&b, UINT64_C(1) << 40);
    bb_raw(&b, "\x01xx\x00", 4);
    assert_error(&b, "impossible");
    /* LZF whose output is shorter than declared. */
    b.len = 0;
    bb_header(&b, 11);
    bb_u8(&b, 0);
    bb_str(&b, "z");
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
    bb_header(&b, 11);
    bb_u8(&b, 0);
    bb_str(&b, "key");
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
    ck_assert_bytes_str(g.first->u.str.bytes, g.first->u.str.len, "valuf");
    value_free(g.first);
    memset(b.p + b.len - 8, 0, 8); /* stored 0: checking disabled */
    ck_assert_int_eq(parse_mem(&b, false, &g, &res), 0);
    ck_assert_int_eq(res.crc, RDB_CRC_ZERO);
    value_free(g.first);
    free(b.p);
}
END_TEST

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s (is ../shared/rdb-corpus "
                  "there?)", path);
    char *p = malloc(1 << 20);
    *len = fread(p, 1, 1 << 20, f);
    fclose(f);
    return p;
}

static const char *corpus(const char *rel)
{
    static char path[1024];
    const char *env = getenv("RDB_CORPUS");
    snprintf(path, sizeof path, "%s/%s", env && *env ? env
                                                     : "../shared/rdb-corpus",
             rel);
    return path;
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

/* A source that hands out at most `chunk` bytes per call. */
typedef struct trickle {
    const unsigned char *p;
    size_t len, pos, chunk;
} trickle;

static ssize_t trickle_read(void *ctx, void *buf, size_t cap)
{
    trickle *t = ctx;
    size_t n = t->len - t->pos;
    if (n > t->chunk)
        n = t->chunk;
    if (n > cap)
        n = cap;
    memcpy(buf, t->p + t->pos, n);
    t->pos += n;
    return (ssize_t)n;
}

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
            trickle t = {(unsigned char *)data, len, 0, chunks[c]};
            size_t outlen;
            ck_assert_int_eq(rdb_reader_init(&r, trickle_read, &t), 0);
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
    trickle t = {(unsigned char *)data, len, 0, 1 << 20};
    rdb_reader r;
    rdb_result res;
    ck_assert_int_eq(rdb_reader_init(&r, trickle_read, &t), 0);
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
    ck_assert_uint_eq(v->u.stream->nentries, 100);
    ck_assert_uint_eq(v->u.stream->ngroups, 2);
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
    ck_assert_bytes_str(v->u.str.bytes, v->u.str.len, "yes");
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
    ck_assert_uint_eq(z->u.zset.count, 200);
    for (size_t i = 1; i < z->u.zset.count; i++) /* sorted by score */
        ck_assert(z->u.zset.entries[i - 1].score <=
                  z->u.zset.entries[i].score);
    double sc;
    ck_assert(value_zset_score(z, "z4", 2, &sc));
    ck_assert(sc == -9.0);
    const value *st = store_get(rd, "set-ht", 6);
    ck_assert(value_set_has(st, "member-599", 10));
    ck_assert(!value_set_has(st, "member-600", 10));
    const value *h = store_get(rd, "hash-ht", 7);
    long pos = value_hash_find(h, "f17", 3);
    ck_assert_int_ge(pos, 0);
    ck_assert_bytes_str(h->u.hash.fv[2 * pos + 1].bytes,
                        h->u.hash.fv[2 * pos + 1].len, "v17");
    const value *e = store_get(rd, "expire-px", 9);
    ck_assert_int_eq(e->expire_ms, INT64_C(4102444800123));
    ck_assert_uint_gt(value_bytes(h), 600 * 2 * 3);
    store_read_end(rd);
    store_reader_close(rd);
    store_destroy(s);
    free(data);
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
    suite_add_tcase(s, tc);
    tc = test_tcase("bad input", 120);
    tcase_add_test(tc, unknown_types_and_opcodes_are_named);
    tcase_add_test(tc, wrong_blob_sizes_are_caught);
    tcase_add_test(tc, huge_lengths_do_not_allocate);
    tcase_add_test(tc, checksum_is_verified_as_bytes_stream);
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
