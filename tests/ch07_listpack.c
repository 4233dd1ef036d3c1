/* ch07_listpack.c - chapter 7: listpacks at every size where the encoding
 * changes.
 *
 * A listpack entry is a header, the data, and a back-length: the size of
 * header + data written again at the end, 7 bits per byte, so the list can
 * be walked from the tail.  Three things change width with the size of what
 * is stored: the string header (1, 2 or 5 bytes for lengths under 64,
 * under 4096, and above), the integer encoding (7-bit, 13-bit, 16, 24, 32
 * and 64-bit), and the back-length (1 to 5 bytes).  A reader that is off by
 * one at any of those boundaries fails only on the one element size that
 * sits on it, which a hand-picked corpus easily misses.  These tests put an
 * element on each side of every boundary, twice: once through a real
 * redis-server (so the bytes are what Redis writes, not what we think it
 * writes) and once built by hand (tests/util/blob_writer.h), down to the
 * iterator, including the 5-byte back-length that needs a 256 MiB entry
 * (mapped, never touched).  Ziplists get the same treatment at their own
 * boundaries (prevlen 253/254, every integer form).
 */
#include "rdb.h"
#include "rdb_blob.h"
#include "blob_writer.h"
#include "rdb_builder.h"
#include "redis_server.h"
#include "resp_client.h"
#include "store_naive.h"
#include "test_util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* String lengths on each side of every boundary: the string header widths
 * (63/64, 4095/4096) and the back-length widths, which change at entry
 * sizes 127/128, 16382/16383 and 2097150/2097151 (see rdb_listpack.c).  A
 * 12-bit header adds 2 bytes to the length, a 32-bit one 5. */
static const size_t str_lens[] = {
    0, 1, 62, 63, 64, 65, 125, 126, 127, 4094, 4095, 4096, 4097,
    16376, 16377, 16378, 16379, 2097144, 2097145, 2097146, 2097147,
};
#define N_STR_LENS (sizeof str_lens / sizeof str_lens[0])

/* Integers on each side of every integer width of a listpack. */
static const int64_t ints[] = {
    0, 1, 127, 128, -1, 4095, 4096, -4096, -4097,
    32767, 32768, -32768, -32769, 8388607, 8388608, -8388608, -8388609,
    INT64_C(2147483647), INT64_C(2147483648), INT64_C(-2147483648),
    INT64_C(-2147483649), INT64_MAX, INT64_MIN,
};
#define N_INTS (sizeof ints / sizeof ints[0])

/* Deterministic, compressible but not constant bytes. */
static char *make_str(size_t len)
{
    char *s = malloc(len + 1);
    ck_assert_ptr_nonnull(s);
    for (size_t i = 0; i < len; i++)
        s[i] = (char)('a' + (i * 7 + len) % 26);
    s[len] = '\0';
    return s;
}

static void call_ok(resp_client *c, size_t argc, const char *const *argv,
                    const size_t *lens)
{
    resp_value r;
    ck_assert_msg(resp_client_call(c, &r, argc, argv, lens) == 0, "%s",
                  c->err);
    ck_assert_msg(r.type != RESP_ERROR, "%s: %s", argv[0], r.str);
    resp_value_clear(&r);
}

static void assert_bytes(const void *p, size_t plen, const char *want,
                         size_t len, const char *what, size_t i)
{
    ck_assert_msg(plen == len && memcmp(p, want, len) == 0,
                  "%s element %zu: length %zu, want %zu", what, i, plen,
                  len);
}

/* The next entry of a stream, which must have one. */
static const pstream_entry *next_entry(pstream_iter *it, const char *what,
                                       size_t i)
{
    const pstream_entry *e = pstream_range_next(it);
    ck_assert_msg(e != NULL, "%s entry %zu missing", what, i);
    return e;
}

/* Field (value: false) or value (true) f of a stream entry. */
static void assert_fv(const pstream_entry *e, size_t f, bool val,
                      const char *want, size_t len, const char *what,
                      size_t i)
{
    size_t n;
    const unsigned char *p = val ? pstream_entry_value(e, f, &n)
                                 : pstream_entry_field(e, f, &n);
    assert_bytes(p, n, want, len, what, i);
}

/* A list item (plist.h), checked like a stream's strings. */
static void assert_item(const value *l, size_t i, const char *want,
                        size_t len, const char *what)
{
    const velem *e = plist_get(value_as_list(l), i);
    ck_assert_msg(e != NULL, "%s element %zu missing", what, i);
    assert_bytes(e->bytes, e->len, want, len, what, i);
}

/* A hash field's value (phash.h). */
static void assert_field(const value *h, const char *f, const char *want,
                         size_t len, const char *what, size_t i)
{
    const phash_field *pf = phash_get(value_as_hash(h), f, strlen(f));
    ck_assert_msg(pf != NULL, "%s field %s missing", what, f);
    size_t vl;
    const unsigned char *val = phash_field_value(pf, &vl);
    assert_bytes(val, vl, want, len, what, i);
}

/* --- through a real redis-server ------------------------------------------ */

START_TEST(real_server_listpacks_at_every_boundary)
{
    redis_server rs;
    char err[1024];
    ck_assert_msg(redis_server_start(&rs, NULL, err, sizeof err) == 0,
                  "cannot start redis-server: %s", err);
    resp_client c;
    ck_assert_msg(resp_client_open(&c, rs.port) == 0, "%s", c.err);
    /* Let every element, however big, stay in a listpack. */
    static const char *const cfg[][2] = {
        {"hash-max-listpack-value", "3000000"},
        {"hash-max-listpack-entries", "100000"},
        {"zset-max-listpack-value", "3000000"},
        {"zset-max-listpack-entries", "1000"},
    };
    for (size_t i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
        const char *argv[] = {"CONFIG", "SET", cfg[i][0], cfg[i][1]};
        call_ok(&c, 4, argv, NULL);
    }
    char *strs[N_STR_LENS];
    for (size_t i = 0; i < N_STR_LENS; i++) {
        size_t len = str_lens[i];
        strs[i] = make_str(len);
        char field[32], score[32];
        snprintf(field, sizeof field, "f%zu", len);
        snprintf(score, sizeof score, "%zu", i);
        const char *xadd[] = {"XADD", "stream", "*", "f", strs[i]};
        size_t xl[] = {4, 6, 1, 1, len};
        call_ok(&c, 5, xadd, xl);
        const char *hset[] = {"HSET", "hash", field, strs[i]};
        size_t hl[] = {4, 4, strlen(field), len};
        call_ok(&c, 4, hset, hl);
        const char *zadd[] = {"ZADD", "zset", score, strs[i]};
        size_t zl[] = {4, 4, strlen(score), len};
        call_ok(&c, 4, zadd, zl);
        const char *rpush[] = {"RPUSH", "list", strs[i]};
        size_t rl[] = {5, 4, len};
        call_ok(&c, 3, rpush, rl);
    }
    for (size_t i = 0; i < N_INTS; i++) {
        char n[32];
        snprintf(n, sizeof n, "%" PRId64, ints[i]);
        const char *a[] = {"RPUSH", "ilist", n};
        call_ok(&c, 3, a, NULL);
        const char *b[] = {"XADD", "istream", "*", n, n};
        call_ok(&c, 5, b, NULL);
    }
    /* 33000 fields, 66000 listpack elements: more than the header's
     * 16-bit count holds, so it says 65535, "count them". */
    for (int i = 0; i < 33000; i += 500) {
        const char *argv[2 + 1000];
        char buf[1000][12];
        argv[0] = "HSET";
        argv[1] = "bighash";
        for (int j = 0; j < 500; j++) {
            snprintf(buf[2 * j], sizeof buf[0], "f%d", i + j);
            snprintf(buf[2 * j + 1], sizeof buf[0], "%d", i + j);
            argv[2 + 2 * j] = buf[2 * j];
            argv[3 + 2 * j] = buf[2 * j + 1];
        }
        call_ok(&c, 1002, argv, NULL);
    }
    resp_value r;
    static const char *const lp_keys[] = {"hash", "bighash"};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(resp_client_calll(&c, &r, "OBJECT", "ENCODING",
                                           lp_keys[i], NULL), 0);
        ck_assert_str_eq(r.str, "listpack");
        resp_value_clear(&r);
    }
    const char *save[] = {"SAVE"};
    call_ok(&c, 1, save, NULL);
    resp_client_close(&c);

    char path[400];
    snprintf(path, sizeof path, "%s/dump.rdb", rs.dir);
    store *s = store_create(&store_naive_ops);
    rdb_result res;
    rdb_options opt = {.quiet = true};
    int rc = rdb_load_file(path, s, 0, &opt, &res);
    ck_assert_msg(rc == 0, "%s", res.error);
    store_reader *rd = store_reader_open(s);
    store_read_begin(rd);
    const value *st = store_get(rd, "stream", 6);
    const value *h = store_get(rd, "hash", 4);
    const value *z = store_get(rd, "zset", 4);
    const value *l = store_get(rd, "list", 4);
    ck_assert(st && h && z && l);
    ck_assert_uint_eq(pstream_len(value_as_stream(st)), N_STR_LENS);
    ck_assert_uint_eq(value_count(l), N_STR_LENS);
    pstream_iter it;
    pstream_range(&it, value_as_stream(st), (pstream_id){0, 0},
                  (pstream_id){UINT64_MAX, UINT64_MAX}, false);
    for (size_t i = 0; i < N_STR_LENS; i++) {
        size_t len = str_lens[i];
        const pstream_entry *e = next_entry(&it, "stream", i);
        ck_assert_uint_eq(pstream_entry_nfields(e), 1);
        assert_fv(e, 0, true, strs[i], len, "stream", i);
        assert_item(l, i, strs[i], len, "list");
        char field[32];
        snprintf(field, sizeof field, "f%zu", len);
        assert_field(h, field, strs[i], len, "hash", i);
        double sc;
        ck_assert_msg(pzset_score(value_as_zset(z), strs[i], len, &sc) &&
                      sc == (double)i, "zset member of length %zu", len);
        free(strs[i]);
    }
    const value *bh = store_get(rd, "bighash", 7);
    ck_assert_ptr_nonnull(bh);
    ck_assert_uint_eq(value_count(bh), 33000);
    assert_field(bh, "f32999", "32999", 5, "bighash", 32999);
    const value *il = store_get(rd, "ilist", 5);
    const value *is = store_get(rd, "istream", 7);
    ck_assert(il && is);
    pstream_range(&it, value_as_stream(is), (pstream_id){0, 0},
                  (pstream_id){UINT64_MAX, UINT64_MAX}, false);
    for (size_t i = 0; i < N_INTS; i++) {
        char n[32];
        snprintf(n, sizeof n, "%" PRId64, ints[i]);
        assert_item(il, i, n, strlen(n), "int list");
        const pstream_entry *e = next_entry(&it, "int stream", i);
        assert_fv(e, 0, false, n, strlen(n), "int stream field", i);
        assert_fv(e, 0, true, n, strlen(n), "int stream value", i);
    }
    store_read_end(rd);
    store_reader_close(rd);
    store_destroy(s);
    redis_server_stop(&rs);
}
END_TEST

/* --- built by hand, walked by the iterator -------------------------------- */


START_TEST(listpack_strings_at_every_width)
{
    bb lp = {0};
    char *strs[N_STR_LENS];
    lpw_begin(&lp);
    for (size_t i = 0; i < N_STR_LENS; i++) {
        strs[i] = make_str(str_lens[i]);
        lpw_str(&lp, strs[i], str_lens[i]);
    }
    lpw_end(&lp, N_STR_LENS);
    rdb_blob_iter it;
    rdb_blob_entry e;
    ck_assert_msg(rdb_listpack_open(&it, lp.p, lp.len) == 0, "%s", it.err);
    for (size_t i = 0; i < N_STR_LENS; i++) {
        ck_assert_msg(rdb_listpack_next(&it, &e) == 1, "length %zu: %s",
                      str_lens[i], it.err);
        ck_assert(!e.is_int);
        ck_assert_msg(e.len == str_lens[i] &&
                      memcmp(e.s, strs[i], e.len) == 0,
                      "entry %zu: length %zu, want %zu", i, e.len,
                      str_lens[i]);
        free(strs[i]);
    }
    ck_assert_int_eq(rdb_listpack_next(&it, &e), 0);
    free(lp.p);
}
END_TEST

START_TEST(listpack_integers_at_every_width)
{
    /* The encoded size each value must get (header + payload). */
    static const size_t want_size[N_INTS] = {
        1, 1, 1, 2, 2, 2, 3, 2, 3, 3, 4, 3, 4, 4, 5, 4, 5, 5, 9, 5, 9, 9, 9,
    };
    bb lp = {0};
    lpw_begin(&lp);
    for (size_t i = 0; i < N_INTS; i++)
        ck_assert_uint_eq(lpw_int(&lp, ints[i]), want_size[i]);
    lpw_end(&lp, N_INTS);
    rdb_blob_iter it;
    rdb_blob_entry e;
    ck_assert_msg(rdb_listpack_open(&it, lp.p, lp.len) == 0, "%s", it.err);
    for (size_t i = 0; i < N_INTS; i++) {
        ck_assert_msg(rdb_listpack_next(&it, &e) == 1, "%s", it.err);
        ck_assert(e.is_int);
        ck_assert_msg(e.ival == ints[i], "entry %zu: %" PRId64 ", want %"
                      PRId64, i, e.ival, ints[i]);
        char n[32];
        snprintf(n, sizeof n, "%" PRId64, ints[i]);
        ck_assert_bytes_eq(e.s, e.len, n, strlen(n));
    }
    ck_assert_int_eq(rdb_listpack_next(&it, &e), 0);
    free(lp.p);
}
END_TEST

/* The 4- and 5-byte back-lengths need entries of 256 MiB.  The blob is an
 * anonymous mapping: only the header, the entry header and the tail are
 * written, the data pages in between are never touched (the iterator does
 * not read string data), so this costs a few pages of memory. */
START_TEST(listpack_four_and_five_byte_backlen)
{
    static const size_t entry_sizes[] = {268435454, 268435455, 268435456};
    for (size_t k = 0; k < 3; k++) {
        size_t esize = entry_sizes[k], w = lpw_backlen_width(esize);
        size_t dlen = esize - 5, total = 6 + esize + w + 1;
        ck_assert_uint_eq(w, k == 0 ? 4 : 5);
        unsigned char *p = mmap(NULL, total, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                                -1, 0);
        ck_assert(p != MAP_FAILED);
        for (int i = 0; i < 4; i++)
            p[i] = (unsigned char)(total >> (8 * i));
        p[4] = 1;
        p[5] = 0;
        p[6] = 0xF0;
        for (int i = 0; i < 4; i++)
            p[7 + i] = (unsigned char)(dlen >> (8 * i));
        lpw_backlen(p + 6 + esize, esize, w);
        p[total - 1] = 0xFF;
        rdb_blob_iter it;
        rdb_blob_entry e;
        ck_assert_msg(rdb_listpack_open(&it, p, total) == 0, "%s", it.err);
        ck_assert_msg(rdb_listpack_next(&it, &e) == 1, "entry of %zu bytes:"
                      " %s", esize, it.err);
        ck_assert_uint_eq(e.len, dlen);
        ck_assert_int_eq(rdb_listpack_next(&it, &e), 0);
        munmap(p, total);
    }
}
END_TEST

/* A back-length in the minimal width where Redis writes one byte more is
 * not what Redis writes, and must be refused with a clear error. */
START_TEST(listpack_minimal_backlen_at_16383_is_refused)
{
    bb lp = {0};
    char *s = make_str(16378);
    lpw_begin(&lp);
    unsigned char h[5] = {0xF0};
    for (int i = 0; i < 4; i++)
        h[1 + i] = (unsigned char)(16378 >> (8 * i));
    bb_raw(&lp, h, 5);
    bb_raw(&lp, s, 16378);
    unsigned char bl[2];
    lpw_backlen(bl, 16383, 2);
    bb_raw(&lp, bl, 2);
    lpw_int(&lp, 7);
    lpw_end(&lp, 2);
    rdb_blob_iter it;
    rdb_blob_entry e;
    ck_assert_int_eq(rdb_listpack_open(&it, lp.p, lp.len), 0);
    ck_assert_int_eq(rdb_listpack_next(&it, &e), -1);
    ck_assert_msg(strstr(it.err, "listpack entry 0 at blob offset 6") &&
                  strstr(it.err, "back-length"), "%s", it.err);
    free(s);
    free(lp.p);
}
END_TEST

/* --- ziplists: prevlen 253/254 and every integer form ------------------------ */


START_TEST(ziplist_prevlen_and_integers_at_every_width)
{
    static const int64_t zints[] = {
        0, 12, 13, -1, 127, 128, -128, -129, 32767, 32768, -32768, -32769,
        8388607, 8388608, -8388608, -8388609, INT32_MAX, INT64_C(2147483648),
        INT32_MIN, INT64_C(-2147483649), INT64_MAX, INT64_MIN,
    };
    /* Entry sizes 253 and 254 (1-byte prevlen, 2-byte header): the next
     * entry's prevlen is 1 byte after the first, 5 after the second.  Then
     * a 5-byte prevlen holding a small size, which Redis leaves behind
     * rather than shrinking an entry during a cascade update. */
    static const size_t zlens[] = {250, 251, 249, 10, 63, 64, 16383, 16384};
    zlw z;
    zlw_begin(&z);
    char *strs[8];
    for (size_t i = 0; i < 8; i++) {
        strs[i] = make_str(zlens[i]);
        zlw_str(&z, strs[i], zlens[i], i == 4);
    }
    for (size_t i = 0; i < sizeof zints / sizeof zints[0]; i++)
        zlw_int(&z, zints[i]);
    zlw_end(&z);
    rdb_blob_iter it;
    rdb_blob_entry e;
    ck_assert_msg(rdb_ziplist_open(&it, z.b.p, z.b.len) == 0, "%s", it.err);
    for (size_t i = 0; i < 8; i++) {
        ck_assert_msg(rdb_ziplist_next(&it, &e) == 1, "%s", it.err);
        ck_assert_msg(!e.is_int && e.len == zlens[i] &&
                      memcmp(e.s, strs[i], e.len) == 0, "string %zu", i);
        free(strs[i]);
    }
    for (size_t i = 0; i < sizeof zints / sizeof zints[0]; i++) {
        ck_assert_msg(rdb_ziplist_next(&it, &e) == 1, "%s", it.err);
        ck_assert_msg(e.is_int && e.ival == zints[i], "integer %zu: %" PRId64
                      ", want %" PRId64, i, e.ival, zints[i]);
    }
    ck_assert_msg(rdb_ziplist_next(&it, &e) == 0, "%s", it.err);
    free(z.b.p);
}
END_TEST

Suite *ch07_listpack_suite(void)
{
    Suite *s = suite_create("ch07_listpack");
    TCase *tc = test_tcase("redis-server", 120);
    tcase_add_test(tc, real_server_listpacks_at_every_boundary);
    suite_add_tcase(s, tc);
    tc = test_tcase("by-hand", 60);
    tcase_add_test(tc, listpack_strings_at_every_width);
    tcase_add_test(tc, listpack_integers_at_every_width);
    tcase_add_test(tc, listpack_four_and_five_byte_backlen);
    tcase_add_test(tc, listpack_minimal_backlen_at_16383_is_refused);
    tcase_add_test(tc, ziplist_prevlen_and_integers_at_every_width);
    suite_add_tcase(s, tc);
    return s;
}
