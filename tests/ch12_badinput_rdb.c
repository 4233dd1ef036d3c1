/* ch12_badinput_rdb.c - chapter 12: malformed RDB files.
 *
 * Each row builds one bad RDB file (tests/util/rdb_builder.h, or a file
 * of the corpus in tests/data/rdb with a byte changed) and loads it, as
 * the replica loads a snapshot, into a keyspace that already holds keys:
 * inside a batch, which is aborted when the load fails.  A row asserts the
 * load fails with the row's text, which names the byte offset ("offset N:
 * ..."), and that the keyspace, dumped as JSON before and after, is byte
 * for byte what it was: no key lost, none half-loaded.  Every row is read
 * twice, once from memory and once from a source that hands out 7 bytes
 * at a time (the reader's refill path), and must fail the same way.
 *
 * Two rows are sweeps: a small real file cut at every byte, each cut
 * failing with an offset no further than the cut.
 */
#include "ch12_badinput.h"

#include "cmd.h"
#include "corpus.h"
#include "keyspace.h"
#include "keyspace_rdb.h"
#include "rdb.h"
#include "rdb_builder.h"
#include "test_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- building blocks ---------------------------------------------------- */

/* Start a v11 file with one key of `type`. */
static void key_start(bb *b, unsigned type, const char *key)
{
    bb_header(b, 11);
    bb_u8(b, type);
    bb_str(b, key);
}

/* A ziplist of short strings (each < 64 bytes). */
static void zl_build(bb *zl, const char *const *items, size_t n)
{
    zl->len = 0;
    bb_le(zl, 0, 4); /* zlbytes, set below */
    bb_le(zl, 0, 4); /* zltail, set below */
    bb_le(zl, n, 2);
    size_t prev = 0, tail = 10;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(items[i]);
        tail = zl->len;
        bb_u8(zl, (unsigned)prev);
        bb_u8(zl, (unsigned)l);
        bb_raw(zl, items[i], l);
        prev = 2 + l;
    }
    bb_u8(zl, 0xFF);
    for (int i = 0; i < 4; i++) {
        zl->p[i] = (unsigned char)(zl->len >> (8 * i));
        zl->p[4 + i] = (unsigned char)(tail >> (8 * i));
    }
}

/* A key whose value is one blob, then the end of the file. */
static void blob_key(bb *b, unsigned type, const char *key, const bb *blob)
{
    key_start(b, type, key);
    bb_blob(b, blob);
    bb_eof(b, 11);
}

static const char *const two[] = {"a", "b"};

/* An intset: encoding, count, then the members as given. */
static void is_build(bb *is, unsigned enc, unsigned count,
                     const int64_t *v, size_t n)
{
    is->len = 0;
    bb_le(is, enc, 4);
    bb_le(is, count, 4);
    for (size_t i = 0; i < n; i++)
        bb_le(is, (uint64_t)v[i], (int)(enc == 3 ? 2 : enc));
}

/* ---- the rows' files ---------------------------------------------------- */

static void f_magic(bb *b)
{
    bb_raw(b, "RUDIS0011", 9);
    bb_eof(b, 11);
}

static void f_version_digits(bb *b)
{
    bb_raw(b, "REDIS00x1", 9);
    bb_eof(b, 11);
}

static void f_version_future(bb *b)
{
    bb_header(b, 13);
    bb_eof(b, 11);
}

static void f_short_magic(bb *b)
{
    bb_raw(b, "REDIS", 5);
}

static void f_bad_crc(bb *b)
{
    key_start(b, 0, "x");
    bb_str(b, "value");
    bb_eof(b, 11);
    b->p[b->len - 1] ^= 0x40;
}

static void f_value_type(bb *b)
{
    key_start(b, 26, "x");
    bb_str(b, "v");
    bb_eof(b, 11);
}

static void f_opcode(bb *b)
{
    bb_header(b, 11);
    bb_u8(b, 0xF0);
    bb_eof(b, 11);
}

static void f_string_enc(bb *b)
{
    key_start(b, 0, "x");
    bb_u8(b, 0xC5);
    bb_eof(b, 11);
}

static void f_len_is_string(bb *b)
{
    key_start(b, 1, "x"); /* a list whose count is an encoded string */
    bb_u8(b, 0xC0);
    bb_u8(b, 1);
    bb_eof(b, 11);
}

static void f_huge_string(bb *b)
{
    key_start(b, 0, "x");
    bb_len(b, UINT64_C(1) << 62);
    bb_raw(b, "abc", 3);
}

static void f_huge_list(bb *b)
{
    key_start(b, 1, "x");
    bb_len(b, UINT64_C(1) << 40);
    bb_str(b, "e");
}

static void f_huge_hash(bb *b)
{
    key_start(b, 4, "x");
    bb_len(b, UINT64_C(1) << 40);
    bb_str(b, "f");
    bb_str(b, "v");
}

static void f_empty_key_truncated(bb *b)
{
    bb_header(b, 11);
    bb_u8(b, 0);
    bb_len(b, 10); /* a key of 10 bytes, 2 there */
    bb_raw(b, "ab", 2);
}

static void f_lzf_huge(bb *b)
{
    key_start(b, 0, "x");
    bb_u8(b, 0xC3);
    bb_len(b, 4);
    bb_len(b, UINT64_C(1) << 40);
    bb_raw(b, "\x01xx\x00", 4);
    bb_eof(b, 11);
}

static void f_lzf_short(bb *b)
{
    key_start(b, 0, "x");
    bb_u8(b, 0xC3);
    bb_len(b, 3);
    bb_len(b, 5); /* says 5, holds 2 */
    bb_raw(b, "\x01xy", 3);
    bb_eof(b, 11);
}

static void f_lzf_long(bb *b)
{
    key_start(b, 0, "x");
    bb_u8(b, 0xC3);
    bb_len(b, 4);
    bb_len(b, 2); /* says 2, holds 3 */
    bb_raw(b, "\x02xyz", 4);
    bb_eof(b, 11);
}

static void f_lzf_zero(bb *b)
{
    key_start(b, 0, "x");
    bb_u8(b, 0xC3);
    bb_len(b, 0);
    bb_len(b, 5);
    bb_eof(b, 11);
}

static void f_lzf_backref(bb *b)
{
    key_start(b, 0, "x");
    bb_u8(b, 0xC3);
    bb_len(b, 4);
    bb_len(b, 6);
    /* one literal, then a back-reference 8 bytes behind the start */
    bb_raw(b, "\x00x\x20\x07", 4);
    bb_eof(b, 11);
}

static void f_zl_zlbytes(bb *b)
{
    bb zl = {0};
    zl_build(&zl, two, 2);
    zl.p[0]++;
    blob_key(b, 10, "x", &zl);
    free(zl.p);
}

static void f_zl_prevlen(bb *b)
{
    bb zl = {0};
    zl_build(&zl, two, 2);
    zl.p[13] = 9; /* the second entry's previous-entry length */
    blob_key(b, 10, "x", &zl);
    free(zl.p);
}

static void f_zl_int_enc(bb *b)
{
    bb zl = {0};
    zl_build(&zl, two, 2);
    zl.p[11] = 0xC1; /* the first entry's encoding: no such integer */
    blob_key(b, 10, "x", &zl);
    free(zl.p);
}

static void f_zl_no_end(bb *b)
{
    bb zl = {0};
    zl_build(&zl, two, 2);
    zl.p[zl.len - 1] = 0x00;
    blob_key(b, 10, "x", &zl);
    free(zl.p);
}

static void f_zl_cut_end(bb *b)
{
    bb zl = {0};
    zl_build(&zl, two, 2);
    zl.len--; /* no end byte, zlbytes says so */
    zl.p[0]--;
    blob_key(b, 10, "x", &zl);
    free(zl.p);
}

static void f_zl_entry_past_end(bb *b)
{
    bb zl = {0};
    zl_build(&zl, two, 2);
    zl.p[14] = 50; /* the second entry: 50 bytes */
    blob_key(b, 10, "x", &zl);
    free(zl.p);
}

static void f_zl_hash_odd(bb *b)
{
    bb zl = {0};
    const char *three[] = {"f", "v", "g"};
    zl_build(&zl, three, 3);
    blob_key(b, 13, "x", &zl);
    free(zl.p);
}

static void f_zl_zset_score(bb *b)
{
    bb zl = {0};
    const char *items[] = {"m", "abc"};
    zl_build(&zl, items, 2);
    blob_key(b, 12, "x", &zl);
    free(zl.p);
}

static void f_lp_total(bb *b)
{
    bb lp = {0};
    lp_build(&lp, two, 2);
    lp.p[0]++;
    blob_key(b, 20, "x", &lp);
    free(lp.p);
}

static void f_lp_backlen(bb *b)
{
    bb lp = {0};
    lp_build(&lp, two, 2);
    lp.p[lp.len - 2] = 9;
    blob_key(b, 20, "x", &lp);
    free(lp.p);
}

static void f_lp_no_end(bb *b)
{
    bb lp = {0};
    lp_build(&lp, two, 2);
    lp.p[lp.len - 1] = 0x01;
    blob_key(b, 20, "x", &lp);
    free(lp.p);
}

static void f_lp_cut_end(bb *b)
{
    bb lp = {0};
    lp_build(&lp, two, 2);
    lp.len--;
    lp.p[0]--;
    blob_key(b, 20, "x", &lp);
    free(lp.p);
}

static void f_lp_count(bb *b)
{
    bb lp = {0};
    lp_build(&lp, two, 2);
    lp.p[4] = 3;
    blob_key(b, 20, "x", &lp);
    free(lp.p);
}

static void f_lp_enc(bb *b)
{
    bb lp = {0};
    lp_build(&lp, two, 2);
    lp.p[6] = 0xF5; /* the first element's encoding byte */
    blob_key(b, 20, "x", &lp);
    free(lp.p);
}

static void f_lp_dup(bb *b)
{
    bb lp = {0};
    const char *dup[] = {"a", "a"};
    lp_build(&lp, dup, 2);
    blob_key(b, 20, "x", &lp);
    free(lp.p);
}

static void f_lp_hash_odd(bb *b)
{
    bb lp = {0};
    const char *three[] = {"f", "v", "g"};
    lp_build(&lp, three, 3);
    blob_key(b, 16, "x", &lp);
    free(lp.p);
}

static void f_lp_zset_score(bb *b)
{
    bb lp = {0};
    const char *items[] = {"m", "abc"};
    lp_build(&lp, items, 2);
    blob_key(b, 17, "x", &lp);
    free(lp.p);
}

static void f_is_enc(bb *b)
{
    bb is = {0};
    int64_t v[] = {1, 2};
    is_build(&is, 3, 2, v, 2);
    blob_key(b, 11, "x", &is);
    free(is.p);
}

static void f_is_len(bb *b)
{
    bb is = {0};
    int64_t v[] = {1, 2};
    is_build(&is, 2, 3, v, 2);
    blob_key(b, 11, "x", &is);
    free(is.p);
}

static void f_is_unsorted(bb *b)
{
    bb is = {0};
    int64_t v[] = {2, 1};
    is_build(&is, 2, 2, v, 2);
    blob_key(b, 11, "x", &is);
    free(is.p);
}

static void f_is_dup(bb *b)
{
    bb is = {0};
    int64_t v[] = {1, 1};
    is_build(&is, 4, 2, v, 2);
    blob_key(b, 11, "x", &is);
    free(is.p);
}

static void f_module_opcode(bb *b)
{
    key_start(b, 7, "x");
    bb_len(b, UINT64_C(0x123456789) << 10 | 1); /* a module id */
    bb_len(b, 2);                               /* UINT */
    bb_len(b, 5);
    bb_len(b, 9); /* no such data opcode */
    bb_eof(b, 11);
}

static void f_module_pre_ga(bb *b)
{
    key_start(b, 6, "x");
    bb_len(b, 1);
    bb_eof(b, 11);
}

static void f_module_truncated(bb *b)
{
    key_start(b, 7, "x");
    bb_len(b, UINT64_C(0x123456789) << 10 | 1);
    bb_len(b, 5); /* STRING */
    bb_len(b, 20);
    bb_raw(b, "short", 5);
}

/* A stream of one node (master ID 5-1) whose listpack is `lp`. */
static void stream_with_lp(bb *b, const bb *lp, uint64_t length,
                           uint64_t added)
{
    bb id = {0};
    for (int i = 7; i >= 0; i--)
        bb_u8(&id, i == 0 ? 5 : 0);
    for (int i = 7; i >= 0; i--)
        bb_u8(&id, i == 0 ? 1 : 0);
    key_start(b, 21, "x");
    bb_len(b, 1);
    bb_blob(b, &id);
    bb_blob(b, lp);
    bb_len(b, length);
    bb_len(b, 5), bb_len(b, 1); /* last ID */
    bb_len(b, 5), bb_len(b, 1); /* first ID */
    bb_len(b, 0), bb_len(b, 0); /* max deleted */
    bb_len(b, added);
    bb_len(b, 0); /* groups */
    bb_eof(b, 11);
    free(id.p);
}

/* A good master entry with one entry: count 1, deleted 0, 1 field "f",
 * 0; then the entry (flags 2: the master's fields) at ID diff 0-0, value
 * "v", lp-count 4 (fields + 3). */
static const char *const stream_items[] = {
    "#1", "#0", "#1", "f", "#0", "#2", "#0", "#0", "v", "#4",
};

static void f_stream_lp_end(bb *b)
{
    bb lp = {0};
    lp_build(&lp, stream_items, 10);
    lp.p[lp.len - 1] = 0x02;
    stream_with_lp(b, &lp, 1, 1);
    free(lp.p);
}

static void f_stream_lp_master(bb *b)
{
    bb lp = {0};
    const char *items[10];
    memcpy(items, stream_items, sizeof items);
    items[2] = "many"; /* the master field count is not a number */
    lp_build(&lp, items, 10);
    stream_with_lp(b, &lp, 1, 1);
    free(lp.p);
}

static void f_stream_lp_short(bb *b)
{
    bb lp = {0};
    lp_build(&lp, stream_items, 7); /* the entry cut off */
    stream_with_lp(b, &lp, 1, 1);
    free(lp.p);
}

static void f_stream_added(bb *b)
{
    bb lp = {0};
    lp_build(&lp, stream_items, 10);
    stream_with_lp(b, &lp, 1, 0);
    free(lp.p);
}

static void f_quicklist_container(bb *b)
{
    bb lp = {0};
    lp_build(&lp, two, 2);
    key_start(b, 18, "x");
    bb_len(b, 1);
    bb_len(b, 3); /* container: 1 plain, 2 packed */
    bb_blob(b, &lp);
    bb_eof(b, 11);
    free(lp.p);
}

static void f_selectdb(bb *b)
{
    bb_raw(b, "REDIS0011", 9);
    bb_u8(b, 0xFE);
    bb_len(b, 99);
    bb_u8(b, 0);
    bb_str(b, "x");
    bb_str(b, "v");
    bb_eof(b, 11);
}

static void f_expire_truncated(bb *b)
{
    bb_header(b, 11);
    bb_u8(b, 0xFC);
    bb_raw(b, "\x01\x02\x03", 3);
}

static void f_zset2_nan(bb *b)
{
    key_start(b, 5, "x");
    bb_len(b, 1);
    bb_str(b, "m");
    bb_le(b, UINT64_C(0x7ff8000000000000), 8);
    bb_eof(b, 11);
}

static void f_aux_truncated(bb *b)
{
    bb_raw(b, "REDIS0011", 9);
    bb_u8(b, 0xFA);
    bb_str(b, "redis-ver");
    bb_len(b, 30);
    bb_raw(b, "7.0", 3);
}

static void f_no_eof(bb *b)
{
    key_start(b, 0, "x");
    bb_str(b, "v");
}

/* Database 2 is empty in the keyspace the rows load into. */
static void f_dup_key(bb *b)
{
    bb_raw(b, "REDIS0011", 9);
    bb_u8(b, 0xFE);
    bb_len(b, 2);
    bb_u8(b, 0);
    bb_str(b, "x");
    bb_str(b, "v1");
    bb_u8(b, 0);
    bb_str(b, "x");
    bb_str(b, "v2");
    bb_eof(b, 11);
}

static void f_resizedb_huge(bb *b)
{
    bb_header(b, 11);
    bb_u8(b, 0xFB);
    bb_len(b, UINT64_C(1) << 60);
    bb_len(b, UINT64_C(1) << 60);
    bb_u8(b, 0);
    bb_str(b, "x");
    bb_str(b, "v");
    bb_u8(b, 0x42); /* no such type: the load must still fail cleanly */
}

static void f_set_dup(bb *b)
{
    key_start(b, 2, "x");
    bb_len(b, 2);
    bb_str(b, "m");
    bb_str(b, "m");
    bb_eof(b, 11);
}

static void f_hash_dup(bb *b)
{
    key_start(b, 4, "x");
    bb_len(b, 2);
    bb_str(b, "f"), bb_str(b, "v");
    bb_str(b, "f"), bb_str(b, "w");
    bb_eof(b, 11);
}

static void f_zset_dup(bb *b)
{
    key_start(b, 5, "x");
    bb_len(b, 2);
    bb_str(b, "m"), bb_le(b, 0, 8);
    bb_str(b, "m"), bb_le(b, 0, 8);
    bb_eof(b, 11);
}

static void f_lp_hash_dup(bb *b)
{
    bb lp = {0};
    const char *items[] = {"f", "v", "f", "w"};
    lp_build(&lp, items, 4);
    blob_key(b, 16, "x", &lp);
    free(lp.p);
}

static void f_lp_zset_dup(bb *b)
{
    bb lp = {0};
    const char *items[] = {"m", "#1", "m", "#2"};
    lp_build(&lp, items, 4);
    blob_key(b, 17, "x", &lp);
    free(lp.p);
}

/* ---- the table ---------------------------------------------------------- */

typedef struct rdb_row {
    const char *name;
    void (*build)(bb *b);
    const char *want; /* a substring of the error, its offset included */
} rdb_row;

static const rdb_row rdb_rows[] = {
    {"bad magic", f_magic,
     "offset 0: not an RDB file (magic \"RUDIS0011\", expected"},
    {"bad version digits", f_version_digits,
     "offset 0: bad version digits in magic \"REDIS00x1\""},
    {"future version", f_version_future,
     "offset 5: unsupported RDB version 13 (this reader knows versions 1 "
     "to 12)"},
    {"magic cut short", f_short_magic,
     "offset 5: unexpected end of input (needed 4 more bytes)"},
    {"bad CRC64", f_bad_crc, "offset 21: checksum mismatch: stored "
     "e5a45c8db8a968be, computed a5a45c8db8a968be"},
    {"unknown value type", f_value_type,
     "offset 11: unknown opcode or value type 0x1a (26)"},
    {"unknown opcode", f_opcode, "offset 11: unknown opcode 0xf0"},
    {"unknown string encoding", f_string_enc,
     "offset 14: unknown string encoding 5 (key \"x\")"},
    {"list count given as a string", f_len_is_string,
     "offset 14: expected a length, found string encoding byte 0xc0 (key "
     "\"x\")"},
    {"string of 2^62 bytes", f_huge_string,
     "offset 26: unexpected end of input (needed 4611686018427387901 more "
     "bytes) (key \"x\")"},
    {"list of 2^40 elements", f_huge_list,
     "offset 25: unexpected end of input (needed 1 more bytes) (key \"x\")"},
    {"hash of 2^40 fields", f_huge_hash,
     "offset 27: unexpected end of input (needed 1 more bytes) (key \"x\")"},
    {"key name cut short", f_empty_key_truncated,
     "offset 15: unexpected end of input (needed 8 more bytes)"},
    {"LZF claiming 2^40 bytes", f_lzf_huge,
     "offset 14: LZF string claims 1099511627776 bytes from 4 compressed "
     "(impossible) (key \"x\")"},
    {"LZF output shorter than declared", f_lzf_short,
     "offset 14: bad LZF string: output shorter than declared (key \"x\")"},
    {"LZF output longer than declared", f_lzf_long,
     "offset 14: bad LZF string: output longer than declared (key \"x\")"},
    {"LZF compressed length 0", f_lzf_zero,
     "offset 14: LZF string with compressed length 0 (key \"x\")"},
    {"LZF back-reference before the start", f_lzf_backref,
     "offset 14: bad LZF string: back-reference before the start of the "
     "output (key \"x\")"},
    {"ziplist zlbytes one too big", f_zl_zlbytes,
     "offset 14: ziplist header says 18 bytes but the blob has 17 (key "
     "\"x\")"},
    {"ziplist previous-entry length wrong", f_zl_prevlen,
     "offset 14: ziplist entry 1 at blob offset 13: previous-entry length "
     "does not match (key \"x\")"},
    {"ziplist invalid integer encoding", f_zl_int_enc,
     "offset 14: ziplist entry 0 at blob offset 10: invalid integer "
     "encoding (key \"x\")"},
    {"ziplist end byte replaced", f_zl_no_end,
     "offset 14: ziplist entry 2 at blob offset 16: previous-entry length "
     "does not match (key \"x\")"},
    {"ziplist without its end byte", f_zl_cut_end,
     "offset 14: ziplist entry 2 at blob offset 16: no end byte (key "
     "\"x\")"},
    {"ziplist entry past the end", f_zl_entry_past_end,
     "offset 14: ziplist entry 1 at blob offset 13: entry runs past the end "
     "of the ziplist (key \"x\")"},
    {"hash ziplist with an odd count", f_zl_hash_odd,
     "offset 14: ziplist holds 3 elements, not a multiple of 2 (key \"x\")"},
    {"zset ziplist with a score that is no number", f_zl_zset_score,
     "offset 14: sorted-set score \"abc\" is not a number (key \"x\")"},
    {"listpack total bytes one too big", f_lp_total,
     "offset 14: listpack header says 14 bytes but the blob has 13 (key "
     "\"x\")"},
    {"listpack back-length wrong", f_lp_backlen,
     "offset 14: listpack entry 1 at blob offset 9: back-length does not "
     "match the element size (key \"x\")"},
    {"listpack end byte replaced", f_lp_no_end,
     "offset 14: listpack entry 2 at blob offset 12: back-length runs past "
     "the end of the listpack (key \"x\")"},
    {"listpack without its end byte", f_lp_cut_end,
     "offset 14: listpack entry 2 at blob offset 12: no end byte (key "
     "\"x\")"},
    {"listpack element count wrong", f_lp_count,
     "offset 14: listpack header says 3 elements but it holds 2 (key "
     "\"x\")"},
    {"listpack invalid encoding byte", f_lp_enc,
     "offset 14: listpack entry 0 at blob offset 6: invalid encoding byte "
     "(key \"x\")"},
    {"set listpack with a duplicate member", f_lp_dup,
     "offset 14: duplicate set member \"a\" (key \"x\")"},
    {"hash listpack with an odd count", f_lp_hash_odd,
     "offset 14: listpack holds 3 elements, not a multiple of 2 (key "
     "\"x\")"},
    {"zset listpack with a score that is no number", f_lp_zset_score,
     "offset 14: sorted-set score \"abc\" is not a number (key \"x\")"},
    {"intset with encoding 3", f_is_enc,
     "offset 14: intset width 3 (must be 2, 4 or 8) (key \"x\")"},
    {"intset count beyond the blob", f_is_len,
     "offset 14: intset of 3 2-byte members needs 14 bytes, blob has 12 "
     "(key \"x\")"},
    {"intset unsorted", f_is_unsorted,
     "offset 14: intset member 1 (1) is not greater than the one before "
     "(key \"x\")"},
    {"intset with a duplicate", f_is_dup,
     "offset 14: intset member 1 (1) is not greater than the one before "
     "(key \"x\")"},
    {"module value with an unknown opcode", f_module_opcode,
     "offset 25: module AAAEjRWeJ: unknown data opcode 9 (key \"x\")"},
    {"pre-GA module value", f_module_pre_ga,
     "offset 13: module value of the Redis 4.0 release candidates (type 6, "
     "MODULE_PRE_GA) cannot be skipped without the module (key \"x\")"},
    {"module string cut short", f_module_truncated,
     "offset 30: unexpected end of input (needed 15 more bytes) (key "
     "\"x\")"},
    {"stream listpack without its end byte", f_stream_lp_end,
     "offset 32: listpack entry 10 at blob offset 28: back-length runs past "
     "the end of the listpack (key \"x\")"},
    {"stream master entry field count no number", f_stream_lp_master,
     "offset 32: stream listpack: master field count missing or not an "
     "integer at element 3 (key \"x\")"},
    {"stream listpack cut inside an entry", f_stream_lp_short,
     "offset 32: stream listpack: seq-diff missing or not an integer at "
     "element 7 (key \"x\")"},
    {"stream entries added below its length", f_stream_added,
     "offset 62: stream entries added 0 is below its length 1 (key "
     "\"x\")"},
    {"quicklist node container 3", f_quicklist_container,
     "offset 15: quicklist node container 3 (1 plain, 2 packed) (key "
     "\"x\")"},
    {"SELECTDB beyond the databases", f_selectdb,
     "offset 9: database 99 is out of range: this keyspace has 16 databases "
     "(0 to 15)"},
    {"EXPIRETIME_MS cut short", f_expire_truncated,
     "offset 15: unexpected end of input (needed 5 more bytes)"},
    {"sorted set score NaN", f_zset2_nan,
     "offset 15: sorted-set score is NaN (key \"x\")"},
    {"AUX value cut short", f_aux_truncated,
     "offset 24: unexpected end of input (needed 27 more bytes)"},
    {"no EOF opcode", f_no_eof,
     "offset 16: unexpected end of input (needed 1 more bytes)"},
    {"a key twice", f_dup_key,
     "offset 17: key \"x\" appears twice in database 2"},
    {"RESIZEDB 2^60 is only a hint", f_resizedb_huge,
     "offset 35: unknown opcode or value type 0x42 (66)"},
    {"set with a duplicate member", f_set_dup,
     "offset 17: duplicate set member \"m\" (key \"x\")"},
    {"hash with a duplicate field", f_hash_dup,
     "offset 19: duplicate hash field \"f\" (key \"x\")"},
    {"zset with a duplicate member", f_zset_dup,
     "offset 25: duplicate sorted-set member \"m\" (key \"x\")"},
    {"hash listpack with a duplicate field", f_lp_hash_dup,
     "offset 14: duplicate hash field \"f\" (key \"x\")"},
    {"zset listpack with a duplicate member", f_lp_zset_dup,
     "offset 14: duplicate sorted-set member \"m\" (key \"x\")"},
};

/* Two sweeps and two corpus files with one byte changed. */
#define SWEEP_FILE_1 "librdb/string_lzf.rdb"
#define SWEEP_FILE_2 "librdb/multiple_lists_strings.rdb"
#define CORPUS_ROWS 4

const size_t ch12_badinput_rdb_rows =
    sizeof rdb_rows / sizeof rdb_rows[0] + CORPUS_ROWS;

/* ---- loading into a keyspace that holds keys ---------------------------- */

static const char *const data_cmds[][5] = {
    {"SET", "k", "v"},         {"RPUSH", "list", "a", "b"},
    {"HSET", "h", "f", "v"},   {"SELECT", "1"},
    {"SET", "k1", "in-db1"},   {"SELECT", "0"},
};

static keyspace *make_keyspace(void)
{
    keyspace *ks = keyspace_create(store_variant("hamt"), 16);
    ck_assert_ptr_nonnull(ks);
    cmd_applier *a = cmd_applier_create(ks, NULL);
    ck_assert_ptr_nonnull(a);
    for (size_t i = 0; i < sizeof data_cmds / sizeof data_cmds[0]; i++) {
        size_t n = 0;
        while (n < 5 && data_cmds[i][n] != NULL)
            n++;
        ck_assert_int_eq(cmd_apply_argv(a, n, data_cmds[i], NULL),
                         CMD_APPLIED);
    }
    ck_assert_int_eq(cmd_applier_flush(a), 0);
    cmd_applier_destroy(a);
    return ks;
}

static char *dump(keyspace *ks)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    ck_assert_ptr_nonnull(f);
    keyspace_reader *r = keyspace_reader_open(ks);
    ck_assert_ptr_nonnull(r);
    keyspace_read_begin(r);
    ck_assert_int_eq(keyspace_dump_json(r, f), 0);
    keyspace_read_end(r);
    keyspace_reader_close(r);
    fclose(f);
    return buf;
}

/* Load p into ks inside a batch (chunk 0: from memory at once; else
 * through a source of `chunk` bytes a call), expect failure, abort.
 * Returns the error's offset; the message is copied to err. */
static uint64_t load_fails(keyspace *ks, const char *before,
                           const unsigned char *p, size_t len, size_t chunk,
                           const char *what, char *err, size_t errsz)
{
    rdb_reader r;
    rdb_mem_source src = {.p = p, .len = len, .chunk = chunk};
    if (chunk == 0)
        rdb_reader_init_mem(&r, p, len);
    else
        ck_assert_int_eq(rdb_reader_init(&r, rdb_source_mem, &src), 0);
    rdb_options opt = {.quiet = true};
    rdb_result res;
    ck_assert_int_eq(keyspace_batch_begin(ks), 0);
    int rc = keyspace_load_rdb(ks, &r, &opt, &res);
    ck_assert_msg(rc == -1, "%s: loaded (%" PRIu64 " keys)", what,
                  res.keys_stored);
    keyspace_abort(ks);
    rdb_reader_free(&r);
    ck_assert_msg(strncmp(res.error, "offset ", 7) == 0,
                  "%s: error names no offset: \"%s\"", what, res.error);
    char *after = dump(ks);
    ck_assert_msg(strcmp(before, after) == 0,
                  "%s: the keyspace changed:\n%s\nwas\n%s", what, after,
                  before);
    free(after);
    snprintf(err, errsz, "%s", res.error);
    return strtoull(res.error + 7, NULL, 10);
}

START_TEST(rdb_table)
{
    keyspace *ks = make_keyspace();
    char *before = dump(ks);
    for (size_t i = 0; i < sizeof rdb_rows / sizeof rdb_rows[0]; i++) {
        const rdb_row *row = &rdb_rows[i];
        bb b = {0};
        row->build(&b);
        char e1[600], e2[600];
        load_fails(ks, before, b.p, b.len, 0, row->name, e1, sizeof e1);
        load_fails(ks, before, b.p, b.len, 7, row->name, e2, sizeof e2);
        ck_assert_msg(strstr(e1, row->want) != NULL,
                      "%s: \"%s\", want \"%s\"", row->name, e1, row->want);
        ck_assert_msg(strcmp(e1, e2) == 0, "%s: \"%s\" from memory, \"%s\" "
                      "in 7-byte pieces", row->name, e1, e2);
        free(b.p);
    }
    free(before);
    keyspace_destroy(ks);
}
END_TEST

/* The rows' bases, unchanged, load: what fails above is the change. */
START_TEST(bases_load)
{
    bb b = {0}, blob = {0};
    static const int64_t sorted[] = {1, 2};
    const char *hash[] = {"f", "v"}, *zset[] = {"m", "1.5"};
    for (int i = 0; i < 8; i++) {
        b.len = 0;
        switch (i) {
        case 0: zl_build(&blob, two, 2); blob_key(&b, 10, "x", &blob); break;
        case 1: zl_build(&blob, hash, 2); blob_key(&b, 13, "x", &blob); break;
        case 2: zl_build(&blob, zset, 2); blob_key(&b, 12, "x", &blob); break;
        case 3: lp_build(&blob, two, 2); blob_key(&b, 20, "x", &blob); break;
        case 4: lp_build(&blob, hash, 2); blob_key(&b, 16, "x", &blob); break;
        case 5: is_build(&blob, 2, 2, sorted, 2);
                blob_key(&b, 11, "x", &blob); break;
        case 6: lp_build(&blob, stream_items, 10);
                stream_with_lp(&b, &blob, 1, 1); break;
        default:
            lp_build(&blob, two, 2);
            key_start(&b, 18, "x");
            bb_len(&b, 1);
            bb_len(&b, 2);
            bb_blob(&b, &blob);
            bb_eof(&b, 11);
        }
        keyspace *ks = keyspace_create(store_variant("hamt"), 16);
        ck_assert_ptr_nonnull(ks);
        rdb_reader r;
        rdb_reader_init_mem(&r, b.p, b.len);
        rdb_result res;
        ck_assert_msg(keyspace_load_rdb(ks, &r, NULL, &res) == 0,
                      "base %d: %s", i, res.error);
        ck_assert_uint_eq(res.keys_stored, 1);
        rdb_reader_free(&r);
        keyspace_destroy(ks);
    }
    free(blob.p);
    free(b.p);
}
END_TEST

static unsigned char *read_corpus(const char *rel, size_t *len)
{
    char path[1024], where[1400];
    corpus_path(path, sizeof path, rel);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s (corpus in %s)", path,
                  corpus_where(where, sizeof where));
    unsigned char *p = malloc(1 << 16);
    *len = fread(p, 1, 1 << 16, f);
    fclose(f);
    return p;
}

/* Every cut of a real file fails with an offset no further than the cut
 * (test_scale() thins the cuts under the slow sanitizers: every k-th). */
static void sweep(const char *rel)
{
    size_t len;
    unsigned char *p = read_corpus(rel, &len);
    keyspace *ks = make_keyspace();
    char *before = dump(ks);
    size_t cuts = (size_t)test_scale((long)len, 16);
    size_t step = len / cuts > 0 ? len / cuts : 1;
    for (size_t cut = 0; cut < len; cut += step) {
        char what[128], err[600];
        snprintf(what, sizeof what, "%s cut at %zu", rel, cut);
        uint64_t at = load_fails(ks, before, p, cut, cut % 2 ? 5 : 0, what,
                                 err, sizeof err);
        ck_assert_msg(at <= cut, "%s: \"%s\" is past the cut", what, err);
    }
    free(before);
    keyspace_destroy(ks);
    free(p);
}

START_TEST(truncation_sweeps)
{
    sweep(SWEEP_FILE_1);
    sweep(SWEEP_FILE_2);
}
END_TEST

/* A real file with its checksum's last byte changed, and with its version
 * digits made 99. */
START_TEST(corpus_files_changed)
{
    size_t len;
    unsigned char *p = read_corpus(SWEEP_FILE_2, &len);
    keyspace *ks = make_keyspace();
    char *before = dump(ks), err[600], want[64];
    p[len - 1] ^= 1;
    uint64_t at = load_fails(ks, before, p, len, 0, "bad CRC64", err,
                             sizeof err);
    ck_assert_uint_eq(at, len - 8);
    ck_assert_msg(strstr(err, "checksum mismatch") != NULL, "%s", err);
    p[len - 1] ^= 1;
    unsigned char v[2] = {p[7], p[8]};
    p[7] = p[8] = '9';
    load_fails(ks, before, p, len, 0, "version 99", err, sizeof err);
    snprintf(want, sizeof want, "offset 5: unsupported RDB version 99");
    ck_assert_msg(strstr(err, want) != NULL, "%s", err);
    p[7] = v[0], p[8] = v[1];
    free(before);
    keyspace_destroy(ks);
    free(p);
}
END_TEST

Suite *ch12_badinput_rdb_suite(void)
{
    Suite *s = suite_create("ch12_badinput_rdb");
    TCase *tc = test_tcase("table", 120);
    tcase_add_test(tc, bases_load);
    tcase_add_test(tc, rdb_table);
    tcase_add_test(tc, truncation_sweeps);
    tcase_add_test(tc, corpus_files_changed);
    suite_add_tcase(s, tc);
    return s;
}
