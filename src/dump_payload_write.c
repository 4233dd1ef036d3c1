/* dump_payload_write.c - encoding a value as a DUMP payload (dump_payload.h).
 * Chapter 11.
 *
 * DUMP's bytes are the value as an RDB file holds it, then the RDB
 * version (10, Redis 7.0) and a CRC-64 (redis/redis src/cluster.c,
 * createDumpPayload(); src/rdb.c for the object).  Redis picks the
 * compact forms: listpacks, intsets, and LZF-compressed strings whenever
 * a string of more than 20 bytes compresses.  This encoder writes the
 * plain forms every RDB reader accepts (and RESTORE loads into the same
 * compact forms): a string as an integer (8, 16 or 32 bits, when it is
 * one, at most 11 bytes, as Redis tries) or as its length and bytes; a
 * list, set, hash and sorted set as RDB types 1, 2, 4 and 5, a count and
 * then the elements (sorted-set scores as binary doubles).  So the bytes
 * equal Redis's for every string of at most 20 bytes, every integer, and
 * longer strings that LZF cannot shrink; elsewhere they differ from
 * Redis's but RESTORE to the same value.  Streams and module values are
 * not encoded (DUMP_PAYLOAD_DATA).
 */
#include "dump_payload.h"

#include "alloc.h"
#include "crc64.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    RDB_STRING = 0, RDB_LIST = 1, RDB_SET = 2, RDB_HASH = 4, RDB_ZSET_2 = 5,
};

/** A growable byte buffer; err is set once an allocation failed. */
typedef struct wbuf {
    unsigned char *p;
    size_t len, cap;
    bool err;
} wbuf;

static void put(wbuf *b, const void *p, size_t n)
{
    if (b->err)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < b->len + n)
            cap *= 2;
        unsigned char *np = xrealloc(b->p, cap);
        if (np == NULL) {
            b->err = true;
            return;
        }
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void put_u8(wbuf *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    put(b, &c, 1);
}

/* The w low bytes of v, least significant first (RDB's integers,
 * binary doubles and the CRC-64 are little-endian). */
static void put_le(wbuf *b, uint64_t v, int w)
{
    unsigned char t[8];
    for (int i = 0; i < w; i++)
        t[i] = (unsigned char)(v >> (8 * i));
    put(b, t, (size_t)w);
}

/* An RDB length: 6, 14, 32 or 64 bits, big-endian after the tag. */
static void put_len(wbuf *b, uint64_t n)
{
    unsigned char t[9];
    if (n < 64) {
        put_u8(b, (unsigned)n);
    } else if (n < 16384) {
        t[0] = (unsigned char)(0x40 | (n >> 8));
        t[1] = (unsigned char)n;
        put(b, t, 2);
    } else {
        int w = n <= UINT32_MAX ? 4 : 8;
        t[0] = w == 4 ? 0x80 : 0x81;
        for (int i = 0; i < w; i++)
            t[1 + i] = (unsigned char)(n >> (8 * (w - 1 - i)));
        put(b, t, (size_t)w + 1);
    }
}

/* Redis's rdbTryIntegerEncoding(): a string that is exactly the decimal
 * form of an integer fitting 32 bits is stored as that integer. */
static bool put_int_string(wbuf *b, const unsigned char *s, size_t n)
{
    if (n == 0 || n > 11)
        return false;
    char buf[12];
    memcpy(buf, s, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    long long v = strtoll(buf, &end, 10);
    if (errno != 0 || *end != '\0')
        return false;
    char back[24];
    int bl = snprintf(back, sizeof back, "%lld", v);
    if ((size_t)bl != n || memcmp(back, buf, n) != 0)
        return false; /* "+1", "01", " 1": not canonical */
    /* The tag 0xC0 | k, then 8 << k bits (rdbEncodeInteger()). */
    unsigned k;
    if (v >= -128 && v <= 127)
        k = 0;
    else if (v >= -32768 && v <= 32767)
        k = 1;
    else if (v >= INT32_MIN && v <= INT32_MAX)
        k = 2;
    else
        return false;
    put_u8(b, 0xC0u | k);
    put_le(b, (uint64_t)v, 1 << k);
    return true;
}

/* A collection's start: its RDB type, then its element count. */
static void put_head(wbuf *b, unsigned type, uint64_t n)
{
    put_u8(b, type);
    put_len(b, n);
}

static void put_string(wbuf *b, const void *p, size_t n)
{
    if (put_int_string(b, p, n))
        return;
    put_len(b, n);
    put(b, p, n);
}

static void put_value_string(wbuf *b, const value *v)
{
    size_t n = value_str_len(v);
    const unsigned char *p = value_str_bytes(v);
    if (p != NULL) {
        put_string(b, p, n);
        return;
    }
    unsigned char *copy = xmalloc(n ? n : 1);
    if (copy == NULL) {
        b->err = true;
        return;
    }
    value_str_read(v, 0, copy, n);
    put_string(b, copy, n);
    free(copy);
}

static int put_object(wbuf *b, const value *v)
{
    switch ((value_type)v->type) {
    case VALUE_STRING:
        put_u8(b, RDB_STRING);
        put_value_string(b, v);
        return 0;
    case VALUE_LIST: {
        const plist *l = value_as_list(v);
        put_head(b, RDB_LIST, plist_len(l));
        plist_iter it;
        for (plist_iter_seek(&it, l, 0); plist_iter_valid(&it);
             plist_iter_next(&it)) {
            const velem *e = plist_iter_elem(&it);
            put_string(b, e->bytes, e->len);
        }
        return 0;
    }
    case VALUE_SET: {
        const pset *s = value_as_set(v);
        put_head(b, RDB_SET, pset_len(s));
        pset_iter it;
        const velem *e;
        for (pset_iter_init(&it, s); (e = pset_iter_next(&it)) != NULL;)
            put_string(b, e->bytes, e->len);
        return 0;
    }
    case VALUE_HASH: {
        const phash *h = value_as_hash(v);
        put_head(b, RDB_HASH, phash_len(h));
        phash_iter it;
        const phash_field *f;
        for (phash_iter_init(&it, h); (f = phash_iter_next(&it)) != NULL;) {
            size_t fl, vl;
            const unsigned char *fp = phash_field_name(f, &fl);
            const unsigned char *vp = phash_field_value(f, &vl);
            put_string(b, fp, fl);
            put_string(b, vp, vl);
        }
        return 0;
    }
    case VALUE_ZSET: {
        const pzset *z = value_as_zset(v);
        put_head(b, RDB_ZSET_2, pzset_len(z));
        pzset_iter it;
        for (pzset_iter_seek(&it, z, 0); pzset_iter_valid(&it);
             pzset_iter_next(&it)) {
            const pzset_entry *e = pzset_iter_entry(&it);
            size_t ml;
            const void *m = pzset_entry_member(e, &ml);
            put_string(b, m, ml);
            double d = pzset_entry_score(e);
            uint64_t bits;
            memcpy(&bits, &d, sizeof bits);
            put_le(b, bits, 8);
        }
        return 0;
    }
    default:
        return -1;
    }
}

dump_payload_status dump_payload_encode(const value *v, unsigned char **out,
                                        size_t *len)
{
    wbuf b = {0};
    *out = NULL;
    *len = 0;
    if (put_object(&b, v) != 0) {
        free(b.p);
        return DUMP_PAYLOAD_DATA;
    }
    unsigned char ver[2] = {DUMP_PAYLOAD_RDB_VERSION, 0};
    put(&b, ver, 2);
    if (!b.err)
        put_le(&b, crc64_update(0, b.p, b.len), 8);
    if (b.err) {
        free(b.p);
        errno = ENOMEM;
        return DUMP_PAYLOAD_NOMEM;
    }
    *out = b.p;
    *len = b.len;
    return DUMP_PAYLOAD_OK;
}
