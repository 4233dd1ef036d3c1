/* rdb_builder.c - writing small RDB files byte by byte (see rdb_builder.h). */
#include "rdb_builder.h"

#include "crc64.h"
#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void bb_raw(bb *b, const void *p, size_t n)
{
    if (n == 0)
        return; /* b->p may still be NULL, and NULL + 0 is undefined */
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        ck_assert_ptr_nonnull(b->p);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

void bb_u8(bb *b, unsigned v)
{
    unsigned char c = (unsigned char)v;
    bb_raw(b, &c, 1);
}

void bb_le(bb *b, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        bb_u8(b, (unsigned)(v >> (8 * i)) & 0xff);
}

void bb_len(bb *b, uint64_t v)
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

void bb_str(bb *b, const char *s)
{
    bb_len(b, strlen(s));
    bb_raw(b, s, strlen(s));
}

void bb_blob(bb *b, const bb *blob)
{
    bb_len(b, blob->len);
    bb_raw(b, blob->p, blob->len);
}

void bb_header(bb *b, int version)
{
    char m[16];
    snprintf(m, sizeof m, "REDIS%04d", version);
    bb_raw(b, m, 9);
    bb_u8(b, 0xFE);
    bb_len(b, 0);
}

void bb_eof(bb *b, int version)
{
    bb_u8(b, 0xFF);
    if (version >= 5)
        bb_le(b, crc64_update(0, b->p, b->len), 8);
}

void lp_build(bb *lp, const char *const *items, size_t n)
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

