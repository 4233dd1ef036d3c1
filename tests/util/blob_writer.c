/* blob_writer.c - listpacks and ziplists written by Redis's rules, for tests
 * (chapter 7; see blob_writer.h). */
#include "blob_writer.h"

#include <string.h>

/* --- listpack -------------------------------------------------------------- */

size_t lpw_backlen_width(uint64_t l)
{
    if (l <= 127)
        return 1;
    if (l < 16383)
        return 2;
    if (l < 2097151)
        return 3;
    if (l < 268435455)
        return 4;
    return 5;
}

/* The back-length of an l-byte entry, w bytes: most significant 7 bits
 * first, every byte after the first flagged 0x80 ("more before me"). */
void lpw_backlen(unsigned char *out, uint64_t l, size_t w)
{
    for (size_t i = 0; i < w; i++) {
        unsigned b = (unsigned)(l >> (7 * (w - 1 - i))) & 127;
        out[i] = (unsigned char)(i == 0 ? b : b | 128);
    }
}

void lpw_entry(bb *b, const unsigned char *hdr, size_t hl,
                      const void *data, size_t dlen)
{
    unsigned char bl[5];
    size_t w = lpw_backlen_width(hl + dlen);
    lpw_backlen(bl, hl + dlen, w);
    bb_raw(b, hdr, hl);
    if (dlen > 0)
        bb_raw(b, data, dlen);
    bb_raw(b, bl, w);
}

void lpw_str(bb *b, const char *s, size_t len)
{
    unsigned char h[5];
    size_t hl;
    if (len < 64) {
        h[0] = (unsigned char)(0x80 | len);
        hl = 1;
    } else if (len < 4096) {
        h[0] = (unsigned char)(0xE0 | len >> 8);
        h[1] = (unsigned char)len;
        hl = 2;
    } else {
        h[0] = 0xF0;
        for (int i = 0; i < 4; i++)
            h[1 + i] = (unsigned char)(len >> (8 * i));
        hl = 5;
    }
    lpw_entry(b, h, hl, s, len);
}

/* Returns the encoded size (header + payload) so tests can check that the
 * value sits in the width they meant. */
size_t lpw_int(bb *b, int64_t v)
{
    unsigned char h[9];
    size_t hl;
    uint64_t u = (uint64_t)v;
    if (v >= 0 && v <= 127) {
        h[0] = (unsigned char)v;
        hl = 1;
    } else if (v >= -4096 && v <= 4095) {
        h[0] = (unsigned char)(0xC0 | ((u >> 8) & 0x1f));
        h[1] = (unsigned char)u;
        hl = 2;
    } else {
        int bytes = v >= -32768 && v <= 32767 ? 2
                  : v >= -8388608 && v <= 8388607 ? 3
                  : v >= INT32_MIN && v <= INT32_MAX ? 4 : 8;
        h[0] = (unsigned char)(bytes == 2 ? 0xF1 : bytes == 3 ? 0xF2
                               : bytes == 4 ? 0xF3 : 0xF4);
        for (int i = 0; i < bytes; i++)
            h[1 + i] = (unsigned char)(u >> (8 * i));
        hl = 1 + (size_t)bytes;
    }
    lpw_entry(b, h, hl, NULL, 0);
    return hl;
}

void lpw_begin(bb *b)
{
    b->len = 0;
    bb_le(b, 0, 6);
}

void lpw_end(bb *b, size_t count)
{
    bb_u8(b, 0xFF);
    for (int i = 0; i < 4; i++)
        b->p[i] = (unsigned char)(b->len >> (8 * i));
    b->p[4] = (unsigned char)(count < 65535 ? count : 65535);
    b->p[5] = (unsigned char)((count < 65535 ? count : 65535) >> 8);
}

/* --- ziplist ----------------------------------------------------------------- */


void zlw_prevlen(zlw *z, bool force_large)
{
    if (z->prev < 254 && !force_large) {
        bb_u8(&z->b, (unsigned)z->prev);
    } else {
        bb_u8(&z->b, 0xFE);
        bb_le(&z->b, z->prev, 4);
    }
}

void zlw_str(zlw *z, const char *s, size_t len, bool force_large)
{
    size_t at = z->b.len;
    zlw_prevlen(z, force_large);
    if (len < 64) {
        bb_u8(&z->b, (unsigned)len);
    } else if (len < 16384) {
        bb_u8(&z->b, 0x40 | (unsigned)(len >> 8));
        bb_u8(&z->b, (unsigned)len & 0xff);
    } else {
        bb_u8(&z->b, 0x80);
        for (int i = 3; i >= 0; i--)
            bb_u8(&z->b, (unsigned)(len >> (8 * i)) & 0xff);
    }
    bb_raw(&z->b, s, len);
    z->last = at;
    z->prev = z->b.len - at;
    z->count++;
}

void zlw_int(zlw *z, int64_t v)
{
    size_t at = z->b.len;
    zlw_prevlen(z, false);
    if (v >= 0 && v <= 12) {
        bb_u8(&z->b, 0xF1 + (unsigned)v);
    } else if (v >= INT8_MIN && v <= INT8_MAX) {
        bb_u8(&z->b, 0xFE);
        bb_le(&z->b, (uint64_t)v, 1);
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
        bb_u8(&z->b, 0xC0);
        bb_le(&z->b, (uint64_t)v, 2);
    } else if (v >= -8388608 && v <= 8388607) {
        bb_u8(&z->b, 0xF0);
        bb_le(&z->b, (uint64_t)v, 3);
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        bb_u8(&z->b, 0xD0);
        bb_le(&z->b, (uint64_t)v, 4);
    } else {
        bb_u8(&z->b, 0xE0);
        bb_le(&z->b, (uint64_t)v, 8);
    }
    z->last = at;
    z->prev = z->b.len - at;
    z->count++;
}

void zlw_end(zlw *z)
{
    bb_u8(&z->b, 0xFF);
    unsigned char *p = z->b.p;
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(z->b.len >> (8 * i));
        p[4 + i] = (unsigned char)((z->count ? z->last : 10) >> (8 * i));
    }
    p[8] = (unsigned char)z->count;
    p[9] = (unsigned char)(z->count >> 8);
}
void zlw_begin(zlw *z)
{
    memset(z, 0, sizeof *z);
    bb_le(&z->b, 0, 8); /* zlbytes, zltail: filled by zlw_end */
    bb_le(&z->b, 0, 2); /* zllen */
}
