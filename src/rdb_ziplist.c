/* rdb_ziplist.c - walking a ziplist (Redis 2.6 - 6.2 compact encoding).
 * Chapter 7.
 *
 * Layout (integers little-endian unless said otherwise):
 *   u32 zlbytes | u32 zltail | u16 zllen | entry... | 0xFF
 * zltail is the offset of the last entry (for O(1) tail access); zllen the
 * entry count, or 65535 meaning "count them".  Each entry is
 *   prevlen | encoding | data
 * prevlen is the previous entry's total size: one byte if < 254, else 0xFE
 * and a u32.  The encoding's top two bits tell strings from integers:
 *   00llllll              string, 6-bit length
 *   01llllll llllllll     string, 14-bit length (big-endian)
 *   10000000 + u32 BE     string, 32-bit length
 *   11000000 int16, 11010000 int32, 11100000 int64, 11110000 int24,
 *   11111110 int8, 1111xxxx (xxxx 1..13) the value xxxx - 1 (0..12).
 * The strict checks here are those a corrupt file most often trips:
 * zlbytes must equal the blob size, each prevlen must equal the size of the
 * entry before it, zltail must point at the last entry, zllen must match.
 */
#include "rdb_blob.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static int zl_err(rdb_blob_iter *it, const char *what)
{
    snprintf(it->err, sizeof it->err, "ziplist entry %zu at blob offset %zu: "
             "%s", it->index, it->pos, what);
    return -1;
}

int rdb_ziplist_open(rdb_blob_iter *it, const unsigned char *p, size_t n)
{
    memset(it, 0, sizeof *it);
    it->p = p;
    it->n = n;
    if (n < 11) {
        snprintf(it->err, sizeof it->err, "ziplist too short (%zu bytes, "
                 "header and end need 11)", n);
        return -1;
    }
    if (le32(p) != n) {
        snprintf(it->err, sizeof it->err, "ziplist header says %" PRIu32
                 " bytes but the blob has %zu", le32(p), n);
        return -1;
    }
    it->tail = le32(p + 4);
    it->declared = (size_t)(p[8] | p[9] << 8);
    if (it->declared == 65535)
        it->declared = SIZE_MAX;
    it->pos = 10;
    return 0;
}

int rdb_ziplist_next(rdb_blob_iter *it, rdb_blob_entry *e)
{
    /* learn: ch07 rdb_ziplist_next "A history of encodings, and why parsers break" */
    const unsigned char *p = it->p;
    size_t at = it->pos, left = it->n - at;
    if (it->done)
        return 0;
    if (left == 0)
        return zl_err(it, "no end byte");
    if (p[at] == 0xFF) {
        if (left != 1)
            return zl_err(it, "bytes after the end byte");
        if (it->declared != SIZE_MAX && it->declared != it->index) {
            snprintf(it->err, sizeof it->err, "ziplist header says %zu "
                     "entries but it holds %zu", it->declared, it->index);
            return -1;
        }
        if (it->tail != (it->index == 0 ? 10 : it->last)) {
            snprintf(it->err, sizeof it->err, "ziplist tail offset %zu does "
                     "not point at the last entry (%zu)", it->tail,
                     it->index == 0 ? (size_t)10 : it->last);
            return -1;
        }
        it->done = true;
        return 0;
    }
    /* [ch07-prevlen] */
    size_t h = 1, prevlen = p[at];
    if (prevlen == 0xFE) {
        if (left < 5)
            return zl_err(it, "truncated 5-byte previous length");
        prevlen = le32(p + at + 1);
        h = 5;
    }
    if (prevlen != it->prev)
        return zl_err(it, "previous-entry length does not match");
    /* [ch07-prevlen] */
    if (left - h < 1)
        return zl_err(it, "truncated encoding");
    unsigned enc = p[at + h];
    size_t dlen = 0, hl = 1;
    e->is_int = false;
    switch (enc >> 6) {
    case 0:
        dlen = enc & 0x3f;
        break;
    case 1:
        if (left - h < 2)
            return zl_err(it, "truncated 14-bit length");
        dlen = (size_t)(enc & 0x3f) << 8 | p[at + h + 1];
        hl = 2;
        break;
    case 2:
        if (enc != 0x80)
            return zl_err(it, "invalid string encoding");
        if (left - h < 5)
            return zl_err(it, "truncated 32-bit length");
        dlen = (size_t)p[at + h + 1] << 24 | (size_t)p[at + h + 2] << 16 |
               (size_t)p[at + h + 3] << 8 | p[at + h + 4];
        hl = 5;
        break;
    default:
        e->is_int = true;
        if (enc == 0xC0)
            dlen = 2;
        else if (enc == 0xD0)
            dlen = 4;
        else if (enc == 0xE0)
            dlen = 8;
        else if (enc == 0xF0)
            dlen = 3;
        else if (enc == 0xFE)
            dlen = 1;
        else if (enc >= 0xF1 && enc <= 0xFD)
            dlen = 0;
        else
            return zl_err(it, "invalid integer encoding");
    }
    if (dlen > left - h - hl)
        return zl_err(it, "entry runs past the end of the ziplist");
    const unsigned char *d = p + at + h + hl;
    if (e->is_int) {
        int64_t v;
        uint64_t u = 0;
        for (size_t i = dlen; i > 0; i--)
            u = u << 8 | d[i - 1];
        if (dlen == 0)
            v = (int64_t)(enc & 0x0f) - 1;
        else if (dlen == 1)
            v = (int8_t)u;
        else if (dlen == 2)
            v = (int16_t)u;
        else if (dlen == 3)
            v = (int32_t)(uint32_t)(u << 8) >> 8;
        else if (dlen == 4)
            v = (int32_t)u;
        else
            v = (int64_t)u;
        e->ival = v;
        e->len = (size_t)snprintf(e->num, sizeof e->num, "%" PRId64, v);
        e->s = (const unsigned char *)e->num;
    } else {
        e->s = d;
        e->len = dlen;
    }
    it->last = at;
    it->prev = h + hl + dlen;
    it->pos = at + it->prev;
    it->index++;
    return 1;
    /* learn: end */
}
