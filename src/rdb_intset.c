/* rdb_intset.c - walking an intset and a zipmap.
 * Chapter 7.
 *
 * Intset (sets of integers, every Redis version): u32 width (2, 4 or 8
 * bytes per member) | u32 count | count members, little-endian signed,
 * strictly ascending.  The blob size must be exactly 8 + width * count.
 *
 * Zipmap (small hashes before Redis 2.6, RDB type 9): u8 count (254 =
 * unknown) then, per pair: len key | len free value free-bytes, ending with
 * 0xFF.  A len is one byte if < 254, else 254 followed by a u32
 * (little-endian as Redis wrote it on x86).  "free" is slack left after the
 * value by in-place updates; it is skipped.  The two share a file because
 * both are tiny, flat and fully validated up front.
 */
#include "rdb_blob.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static uint64_t le(const unsigned char *p, int n)
{
    uint64_t u = 0;
    for (int i = n; i > 0; i--)
        u = u << 8 | p[i - 1];
    return u;
}

int rdb_intset_open(rdb_blob_iter *it, const unsigned char *p, size_t n)
{
    memset(it, 0, sizeof *it);
    it->p = p;
    it->n = n;
    if (n < 8) {
        snprintf(it->err, sizeof it->err, "intset too short (%zu bytes)", n);
        return -1;
    }
    uint64_t w = le(p, 4), count = le(p + 4, 4);
    if (w != 2 && w != 4 && w != 8) {
        snprintf(it->err, sizeof it->err, "intset width %" PRIu64
                 " (must be 2, 4 or 8)", w);
        return -1;
    }
    if ((n - 8) / w != count || (n - 8) % w != 0) {
        snprintf(it->err, sizeof it->err, "intset of %" PRIu64 " %d-byte "
                 "members needs %" PRIu64 " bytes, blob has %zu", count,
                 (int)w, 8 + w * count, n);
        return -1;
    }
    it->width = (int)w;
    it->declared = (size_t)count;
    it->pos = 8;
    return 0;
}

int rdb_intset_next(rdb_blob_iter *it, rdb_blob_entry *e)
{
    /* learn: ch07 rdb_intset_next "A history of encodings, and why parsers break" */
    if (it->index == it->declared)
        return 0;
    uint64_t u = le(it->p + it->pos, it->width);
    int64_t v = it->width == 2 ? (int16_t)u : it->width == 4 ? (int32_t)u
                                                             : (int64_t)u;
    if (it->index > 0 && v <= it->prev_int) {
        snprintf(it->err, sizeof it->err, "intset member %zu (%" PRId64
                 ") is not greater than the one before", it->index, v);
        return -1;
    }
    it->prev_int = v;
    e->is_int = true;
    e->ival = v;
    e->len = (size_t)snprintf(e->num, sizeof e->num, "%" PRId64, v);
    e->s = (const unsigned char *)e->num;
    it->pos += (size_t)it->width;
    it->index++;
    return 1;
    /* learn: end */
}

int rdb_zipmap_open(rdb_blob_iter *it, const unsigned char *p, size_t n)
{
    memset(it, 0, sizeof *it);
    it->p = p;
    it->n = n;
    if (n < 2) {
        snprintf(it->err, sizeof it->err, "zipmap too short (%zu bytes)", n);
        return -1;
    }
    it->declared = p[0] < 254 ? p[0] : SIZE_MAX;
    it->pos = 1;
    return 0;
}

static int zm_err(rdb_blob_iter *it, const char *what)
{
    snprintf(it->err, sizeof it->err, "zipmap %s %zu at blob offset %zu: %s",
             it->index % 2 ? "value" : "key", it->index / 2, it->pos, what);
    return -1;
}

int rdb_zipmap_next(rdb_blob_iter *it, rdb_blob_entry *e)
{
    const unsigned char *p = it->p;
    size_t at = it->pos, left = it->n - at;
    if (it->done)
        return 0;
    if (left == 0)
        return zm_err(it, "no end byte");
    if (p[at] == 0xFF && it->index % 2 == 0) {
        if (left != 1)
            return zm_err(it, "bytes after the end byte");
        if (it->declared != SIZE_MAX && it->declared != it->index / 2) {
            snprintf(it->err, sizeof it->err, "zipmap header says %zu pairs "
                     "but it holds %zu", it->declared, it->index / 2);
            return -1;
        }
        it->done = true;
        return 0;
    }
    size_t len, h = 1;
    if (p[at] < 254) {
        len = p[at];
    } else if (p[at] == 254) {
        if (left < 5)
            return zm_err(it, "truncated 5-byte length");
        len = (size_t)le(p + at + 1, 4);
        h = 5;
    } else {
        return zm_err(it, "invalid length byte 0xff");
    }
    size_t free_bytes = 0;
    if (it->index % 2 == 1) { /* a value: one "free" byte follows the len */
        if (left - h < 1)
            return zm_err(it, "truncated free-space byte");
        free_bytes = p[at + h];
        h++;
    }
    if (len > left - h || free_bytes > left - h - len)
        return zm_err(it, "string runs past the end of the zipmap");
    e->is_int = false;
    e->s = p + at + h;
    e->len = len;
    it->pos = at + h + len + free_bytes;
    it->index++;
    return 1;
}
