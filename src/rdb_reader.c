/* rdb_reader.c - buffered, checksummed, offset-tracking reads of RDB bytes.
 * Chapter 7.
 *
 * The window buf[0..end) holds bytes from the source; buf[0..pos) are
 * consumed.  Before the window slides, the consumed bytes not yet in the
 * CRC (buf[crc_pos..pos)) are folded in, so the CRC always covers exactly
 * the bytes handed out, whatever path (rdb_read, rdb_skip, big strings)
 * consumed them.  Big reads bypass the window: once it is drained, bytes
 * for a large destination are read straight into it and checksummed there.
 */
#include "rdb_reader.h"
#include "alloc.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crc64.h"

#define RDB_WINDOW (64 * 1024)
/* A string is grown by at most this much beyond the bytes seen so far.
 * (#ifndef only so that tests/broken/ch07_alloc_declared.c can put the
 * obvious, trusting reader back for chapter 7's failing test.) */
#ifndef RDB_GROW_STEP
#define RDB_GROW_STEP (1024 * 1024)
#endif

int rdb_reader_init(rdb_reader *r, rdb_read_fn *read, void *ctx)
{
    memset(r, 0, sizeof *r);
    r->read = read;
    r->ctx = ctx;
    r->buf = xmalloc(RDB_WINDOW);
    if (r->buf == NULL)
        return -1;
    r->cap = RDB_WINDOW;
    r->owns_buf = true;
    return 0;
}

void rdb_reader_init_mem(rdb_reader *r, const void *p, size_t len)
{
    memset(r, 0, sizeof *r);
    r->buf = (unsigned char *)p; /* never written through */
    r->cap = r->end = len;
    r->at_eof = true;
}

void rdb_reader_free(rdb_reader *r)
{
    if (r->owns_buf)
        free(r->buf);
    r->buf = NULL;
    rdb_buf_free(&r->scratch);
}

ssize_t rdb_source_fd(void *ctx, void *buf, size_t cap)
{
    int fd = (int)(intptr_t)ctx;
    for (;;) {
        ssize_t n = read(fd, buf, cap);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

ssize_t rdb_source_mem(void *ctx, void *buf, size_t cap)
{
    rdb_mem_source *m = ctx;
    size_t n = m->len - m->pos;
    if (n > m->chunk)
        n = m->chunk;
    if (n > cap)
        n = cap;
    memcpy(buf, m->p + m->pos, n);
    m->pos += n;
    return (ssize_t)n;
}

static int vfail(rdb_reader *r, uint64_t off, const char *fmt, va_list ap)
{
    if (!r->failed) {
        int n = snprintf(r->err, sizeof r->err, "offset %" PRIu64 ": ", off);
        if (n > 0 && (size_t)n < sizeof r->err)
            vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
        r->failed = true;
    }
    return -1;
}

int rdb_fail(rdb_reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(r, rdb_offset(r), fmt, ap);
    va_end(ap);
    return -1;
}

int rdb_fail_at(rdb_reader *r, uint64_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(r, offset, fmt, ap);
    va_end(ap);
    return -1;
}

uint64_t rdb_offset(const rdb_reader *r)
{
    return r->base + r->pos;
}

/* [ch07-crc] */
/* Fold consumed bytes into the CRC. */
static void crc_sync(rdb_reader *r)
{
    if (r->pos > r->crc_pos) {
        r->crc = crc64_update(r->crc, r->buf + r->crc_pos, r->pos - r->crc_pos);
        r->crc_pos = r->pos;
    }
}

uint64_t rdb_crc(rdb_reader *r)
{
    crc_sync(r);
    return r->crc;
}
/* [ch07-crc] */

/* Pull once from the source into buf[end..cap).  0 ok, -1 end/error. */
static int pull(rdb_reader *r)
{
    if (r->read == NULL || r->at_eof)
        return -1;
    if (r->end == r->cap) { /* slide: drop consumed bytes */
        crc_sync(r);
        memmove(r->buf, r->buf + r->pos, r->end - r->pos);
        r->base += r->pos;
        r->end -= r->pos;
        r->pos = r->crc_pos = 0;
    }
    ssize_t n = r->read(r->ctx, r->buf + r->end, r->cap - r->end);
    if (n < 0)
        return rdb_fail_at(r, r->base + r->end, "read error: %s",
                           strerror(errno));
    if (n == 0) {
        r->at_eof = true;
        return -1;
    }
    r->end += (size_t)n;
    return 0;
}

/* Make at least `need` (<= window) unread bytes available.  `total` is
 * how many bytes the caller's whole read still needs (>= need), which the
 * end-of-input message reports: a string cut short needs all its missing
 * bytes, not just the one this call waited for. */
static int ensure_for(rdb_reader *r, size_t need, uint64_t total)
{
    while (r->end - r->pos < need) {
        if (r->end == r->cap && r->pos > 0) {
            crc_sync(r);
            memmove(r->buf, r->buf + r->pos, r->end - r->pos);
            r->base += r->pos;
            r->end -= r->pos;
            r->pos = r->crc_pos = 0;
        }
        if (pull(r) != 0) {
            if (r->failed)
                return -1;
            return rdb_fail_at(r, r->base + r->end,
                               "unexpected end of input (needed %" PRIu64
                               " more bytes)", total - (r->end - r->pos));
        }
    }
    return 0;
}

static int ensure(rdb_reader *r, size_t need)
{
    return ensure_for(r, need, need);
}

int rdb_read(rdb_reader *r, void *dst, size_t n)
{
    unsigned char *d = dst;
    if (r->failed)
        return -1;
    while (n > 0) {
        if (r->pos == r->end) {
            /* Window empty: for a big read, go straight to dst. */
            if (n >= r->cap / 2 && r->read != NULL && !r->at_eof) {
                crc_sync(r);
                r->base += r->end;
                r->pos = r->end = r->crc_pos = 0;
                ssize_t got = r->read(r->ctx, d, n);
                if (got < 0)
                    return rdb_fail(r, "read error: %s", strerror(errno));
                if (got == 0) {
                    r->at_eof = true;
                    return rdb_fail(r, "unexpected end of input (needed %"
                                       PRIu64 " more bytes)",
                                    n + r->need_after);
                }
                r->crc = crc64_update(r->crc, d, (size_t)got);
                r->base += (uint64_t)got;
                d += got;
                n -= (size_t)got;
                continue;
            }
            if (ensure_for(r, 1, n + r->need_after) != 0)
                return -1;
        }
        size_t k = r->end - r->pos;
        if (k > n)
            k = n;
        memcpy(d, r->buf + r->pos, k);
        r->pos += k;
        d += k;
        n -= k;
    }
    return 0;
}

int rdb_skip(rdb_reader *r, uint64_t n)
{
    while (n > 0) {
        if (r->pos == r->end && ensure_for(r, 1, n) != 0)
            return -1;
        size_t k = r->end - r->pos;
        if (k > n)
            k = (size_t)n;
        r->pos += k;
        n -= k;
    }
    return 0;
}

int rdb_read_u8(rdb_reader *r, uint8_t *out)
{
    if (r->pos == r->end && ensure(r, 1) != 0)
        return -1;
    *out = r->buf[r->pos++];
    return 0;
}

int rdb_read_uint_le(rdb_reader *r, int bytes, uint64_t *out)
{
    unsigned char b[8];
    if (rdb_read(r, b, (size_t)bytes) != 0)
        return -1;
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = (v << 8) | b[i];
    *out = v;
    return 0;
}

/* [ch07-read-len] */
int rdb_read_len(rdb_reader *r, uint64_t *len, bool *special)
{
    /* learn: ch07 rdb_read_len "The format from the bytes up" */
    uint64_t at = rdb_offset(r);
    uint8_t b0, b1;
    if (special != NULL)
        *special = false;
    if (rdb_read_u8(r, &b0) != 0)
        return -1;
    switch (b0 >> 6) {
    case 0: /* 00xxxxxx: 6-bit length */
        *len = b0 & 0x3f;
        return 0;
    case 1: /* 01xxxxxx xxxxxxxx: 14-bit length, big-endian */
        if (rdb_read_u8(r, &b1) != 0)
            return -1;
        *len = ((uint64_t)(b0 & 0x3f) << 8) | b1;
        return 0;
    case 2: {
        unsigned char b[8];
        int n;
        if (b0 == 0x80)
            n = 4; /* 32-bit length, big-endian */
        else if (b0 == 0x81)
            n = 8; /* 64-bit length, big-endian */
        else
            return rdb_fail_at(r, at, "invalid length encoding byte 0x%02x",
                               b0);
        if (rdb_read(r, b, (size_t)n) != 0)
            return -1;
        uint64_t v = 0;
        for (int i = 0; i < n; i++)
            v = (v << 8) | b[i];
        *len = v;
        return 0;
    }
    default: /* 11xxxxxx: special string encoding */
        if (special == NULL)
            return rdb_fail_at(r, at, "expected a length, found string "
                                      "encoding byte 0x%02x", b0);
        *special = true;
        *len = b0 & 0x3f;
        return 0;
    }
    /* learn: end */
}
/* [ch07-read-len] */

int rdb_buf_reserve(rdb_buf *b, size_t need)
{
    if (need < b->cap)
        return 0;
    size_t cap = b->cap < 64 ? 64 : b->cap;
    while (cap <= need) {
        if (cap > SIZE_MAX / 2)
            return -1;
        cap *= 2;
    }
    unsigned char *p = xrealloc(b->p, cap);
    if (p == NULL)
        return -1;
    b->p = p;
    b->cap = cap;
    return 0;
}

void rdb_buf_free(rdb_buf *b)
{
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

/* [ch07-grow] */
/* Append n bytes from the input to b, growing b only as bytes arrive. */
static int read_into(rdb_reader *r, rdb_buf *b, uint64_t n)
{
    while (n > 0) {
        /* At most max(1 MiB, bytes already read) more, reserved before it
         * is read; rdb_buf_reserve() rounds up to a power of two above the
         * need.  So memory is 2 MiB until 1 MiB has arrived, then at most
         * four times the bytes that really arrived. */
        size_t limit = b->len > RDB_GROW_STEP ? b->len : RDB_GROW_STEP;
        size_t step = n > limit ? limit : (size_t)n;
        if (rdb_buf_reserve(b, b->len + step) != 0)
            return rdb_fail(r, "out of memory reading a %" PRIu64
                               "-byte string", n);
        r->need_after = n - step; /* for an end-of-input message */
        int rc = rdb_read(r, b->p + b->len, step);
        r->need_after = 0;
        if (rc != 0)
            return -1;
        b->len += step;
        n -= step;
    }
    return 0;
}
/* [ch07-grow] */

int rdb_read_string(rdb_reader *r, rdb_buf *out, rdb_str_enc *enc)
{
    /* learn: ch07 rdb_read_string "The format from the bytes up" */
    uint64_t at = rdb_offset(r);
    uint64_t len;
    bool special;
    out->len = 0;
    if (rdb_read_len(r, &len, &special) != 0)
        return -1;
    if (!special) {
        if (enc != NULL)
            *enc = RDB_STR_RAW;
        if (read_into(r, out, len) != 0)
            return -1;
    } else if (len <= 2) { /* 0, 1, 2: int8, int16, int32 */
        int width = 1 << len;
        uint64_t u;
        int64_t v;
        if (rdb_read_uint_le(r, width, &u) != 0)
            return -1;
        if (width == 1)
            v = (int8_t)u;
        else if (width == 2)
            v = (int16_t)u;
        else
            v = (int32_t)u;
        if (enc != NULL)
            *enc = (rdb_str_enc)(RDB_STR_INT8 + len);
        if (rdb_buf_reserve(out, 24) != 0)
            return rdb_fail(r, "out of memory");
        out->len = (size_t)snprintf((char *)out->p, 24, "%" PRId64, v);
    } else if (len == 3) { /* LZF */
        uint64_t clen, ulen;
        const char *why;
        if (rdb_read_len(r, &clen, NULL) != 0 ||
            rdb_read_len(r, &ulen, NULL) != 0)
            return -1;
        if (clen == 0 || ulen == 0)
            return rdb_fail_at(r, at, "LZF string with %s length 0",
                               clen == 0 ? "compressed" : "uncompressed");
        /* [ch07-lzf-bound] */
        /* One LZF back-reference (3 bytes) yields at most 264 bytes, so a
         * claimed expansion beyond 88x is corrupt: reject before allocating. */
        if (ulen / 88 > clen)
            return rdb_fail_at(r, at, "LZF string claims %" PRIu64 " bytes "
                               "from %" PRIu64 " compressed (impossible)",
                               ulen, clen);
        /* [ch07-lzf-bound] */
        r->scratch.len = 0;
        if (read_into(r, &r->scratch, clen) != 0)
            return -1;
        if (ulen > SIZE_MAX - 1 || rdb_buf_reserve(out, (size_t)ulen) != 0)
            return rdb_fail(r, "out of memory for a %" PRIu64 "-byte string",
                            ulen);
        if (rdb_lzf_decompress(r->scratch.p, (size_t)clen, out->p,
                               (size_t)ulen, &why) != 0)
            return rdb_fail_at(r, at, "bad LZF string: %s", why);
        out->len = (size_t)ulen;
        if (enc != NULL)
            *enc = RDB_STR_LZF;
    } else {
        return rdb_fail_at(r, at, "unknown string encoding %" PRIu64, len);
    }
    if (rdb_buf_reserve(out, out->len) != 0)
        return rdb_fail(r, "out of memory");
    out->p[out->len] = '\0';
    return 0;
    /* learn: end */
}

int rdb_read_double_text(rdb_reader *r, double *out)
{
    uint64_t at = rdb_offset(r);
    uint8_t n;
    char buf[256];
    if (rdb_read_u8(r, &n) != 0)
        return -1;
    switch (n) {
    case 253: *out = NAN; return 0;
    case 254: *out = INFINITY; return 0;
    case 255: *out = -INFINITY; return 0;
    }
    if (rdb_read(r, buf, n) != 0)
        return -1;
    buf[n] = '\0';
    char *end;
    errno = 0;
    *out = strtod(buf, &end);
    if (n == 0 || end != buf + n)
        return rdb_fail_at(r, at, "bad score text \"%s\"", buf);
    return 0;
}

int rdb_read_double_bin(rdb_reader *r, double *out)
{
    uint64_t u;
    if (rdb_read_uint_le(r, 8, &u) != 0)
        return -1;
    memcpy(out, &u, sizeof *out);
    return 0;
}

int rdb_count_rest(rdb_reader *r, uint64_t *out)
{
    uint64_t n = r->end - r->pos;
    r->pos = r->end;
    while (pull(r) == 0) {
        n += r->end - r->pos;
        r->pos = r->end;
    }
    *out = n;
    return r->failed && r->read != NULL && !r->at_eof ? -1 : 0;
}

const unsigned char *rdb_reader_leftover(const rdb_reader *r, size_t *len)
{
    *len = r->end - r->pos;
    return r->buf + r->pos;
}
