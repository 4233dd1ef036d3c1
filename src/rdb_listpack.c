/* rdb_listpack.c - walking a listpack (Redis 5.0+ streams, 7.0+ everything).
 * Chapter 7.
 *
 * Layout: u32 total bytes | u16 element count (65535 = unknown) |
 * element... | 0xFF.  Each element is encoding+data followed by its
 * "back-length": the size of encoding+data written in 1..5 bytes, 7 bits
 * per byte, so the list can also be walked from the tail (the width is
 * Redis's, one more than needed at 16383, 2097151 and 268435455; see
 * backlen_size()).  Read backwards
 * from its last byte, each byte gives 7 more bits and its high bit says
 * whether another byte precedes.  Encodings, by the first byte:
 *   0xxxxxxx             7-bit unsigned integer
 *   10xxxxxx             string, 6-bit length
 *   110xxxxx xxxxxxxx    13-bit signed integer
 *   1110xxxx xxxxxxxx    string, 12-bit length
 *   11110000 + u32 LE    string, 32-bit length
 *   11110001/2/3/4       int16 / int24 / int32 / int64, little-endian
 *   11111111             end of listpack
 * Unlike a ziplist entry, nothing refers to the previous element, which is
 * why Redis 7 replaced ziplists: an insert no longer cascades updates.
 * Strict checks: total size, element count, every back-length.
 */
#include "rdb_blob.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static int lp_err(rdb_blob_iter *it, const char *what)
{
    snprintf(it->err, sizeof it->err, "listpack entry %zu at blob offset "
             "%zu: %s", it->index, it->pos, what);
    return -1;
}

int rdb_listpack_open(rdb_blob_iter *it, const unsigned char *p, size_t n)
{
    memset(it, 0, sizeof *it);
    it->p = p;
    it->n = n;
    if (n < 7) {
        snprintf(it->err, sizeof it->err, "listpack too short (%zu bytes, "
                 "header and end need 7)", n);
        return -1;
    }
    uint32_t total = (uint32_t)p[0] | (uint32_t)p[1] << 8 |
                     (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    if (total != n) {
        snprintf(it->err, sizeof it->err, "listpack header says %" PRIu32
                 " bytes but the blob has %zu", total, n);
        return -1;
    }
    it->declared = (size_t)(p[4] | p[5] << 8);
    if (it->declared == 65535)
        it->declared = SIZE_MAX;
    it->pos = 6;
    return 0;
}

/* (#ifndef only so that tests/broken/ch07_backlen_width.c can supply the
 * first, smallest-that-fits backlen_size() for chapter 7's failing test.) */
#ifndef RDB_LP_BACKLEN_SIZE_GIVEN
/* [ch07-backlen-width] */
/* Bytes of the back-length that Redis writes for an entry of l bytes.
 * Seven bits per byte would fit 16383 in two bytes, but Redis's writer
 * (lpEncodeBacklen in redis/redis src/listpack.c) compares with "<"
 * against 16383, 2097151 and 268435455, so an entry of exactly 16383,
 * 2097151 or 268435455 bytes gets one byte more than it needs (the extra
 * byte is a leading 0).  The width is not stored anywhere: a reader walking
 * forward must compute it the way the writer did, or it reads the wrong
 * bytes as the back-length. */
static size_t backlen_size(size_t l)
{
    return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3
                                        : l < 268435455 ? 4 : 5;
}
/* [ch07-backlen-width] */
#endif

int rdb_listpack_next(rdb_blob_iter *it, rdb_blob_entry *e)
{
    /* learn: ch07 rdb_listpack_next "A history of encodings, and why parsers break" */
    const unsigned char *p = it->p;
    size_t at = it->pos, left = it->n - at;
    if (it->done)
        return 0;
    if (left == 0)
        return lp_err(it, "no end byte");
    unsigned b = p[at];
    if (b == 0xFF) {
        if (left != 1)
            return lp_err(it, "bytes after the end byte");
        if (it->declared != SIZE_MAX && it->declared != it->index) {
            snprintf(it->err, sizeof it->err, "listpack header says %zu "
                     "elements but it holds %zu", it->declared, it->index);
            return -1;
        }
        it->done = true;
        return 0;
    }
    size_t hl, dlen;
    int ibytes = -1; /* integer payload bytes, or -1 for a string */
    int64_t v = 0;
    if ((b & 0x80) == 0) {
        hl = 1; dlen = 0; ibytes = 0; v = b & 0x7f;
    } else if ((b & 0xC0) == 0x80) {
        hl = 1; dlen = b & 0x3f;
    } else if ((b & 0xE0) == 0xC0) {
        if (left < 2)
            return lp_err(it, "truncated 13-bit integer");
        hl = 2; dlen = 0; ibytes = 0;
        v = (int64_t)((b & 0x1f) << 8 | p[at + 1]);
        if (v >= 4096)
            v -= 8192;
    } else if ((b & 0xF0) == 0xE0) {
        if (left < 2)
            return lp_err(it, "truncated 12-bit length");
        hl = 2; dlen = (size_t)(b & 0x0f) << 8 | p[at + 1];
    } else if (b == 0xF0) {
        if (left < 5)
            return lp_err(it, "truncated 32-bit length");
        hl = 5;
        dlen = (size_t)p[at + 1] | (size_t)p[at + 2] << 8 |
               (size_t)p[at + 3] << 16 | (size_t)p[at + 4] << 24;
    } else if (b >= 0xF1 && b <= 0xF4) {
        static const int w[] = {2, 3, 4, 8};
        hl = 1; ibytes = w[b - 0xF1]; dlen = (size_t)ibytes;
    } else {
        return lp_err(it, "invalid encoding byte");
    }
    if (dlen > left - hl || hl > left)
        return lp_err(it, "element runs past the end of the listpack");
    size_t elen = hl + dlen, bl = backlen_size(elen);
    if (bl > left - elen)
        return lp_err(it, "back-length runs past the end of the listpack");
    /* [ch07-backlen] */
    /* Decode the back-length from its last byte backwards. */
    size_t got = 0, shift = 0;
    const unsigned char *q = p + at + elen + bl - 1;
    for (size_t i = 0; i < bl; i++, q--, shift += 7) {
        got |= (size_t)(*q & 0x7f) << shift;
        bool more = (*q & 0x80) != 0;
        if (more != (i + 1 < bl))
            return lp_err(it, "malformed back-length");
    }
    if (got != elen)
        return lp_err(it, "back-length does not match the element size");
    /* [ch07-backlen] */
    e->is_int = ibytes >= 0;
    if (ibytes > 0) {
        uint64_t u = 0;
        for (int i = ibytes; i > 0; i--)
            u = u << 8 | p[at + (size_t)i];
        if (ibytes == 2)
            v = (int16_t)u;
        else if (ibytes == 3)
            v = (int32_t)(uint32_t)(u << 8) >> 8;
        else if (ibytes == 4)
            v = (int32_t)u;
        else
            v = (int64_t)u;
    }
    if (e->is_int) {
        e->ival = v;
        e->len = (size_t)snprintf(e->num, sizeof e->num, "%" PRId64, v);
        e->s = (const unsigned char *)e->num;
    } else {
        e->s = p + at + hl;
        e->len = dlen;
    }
    it->pos = at + elen + bl;
    it->index++;
    return 1;
    /* learn: end */
}
