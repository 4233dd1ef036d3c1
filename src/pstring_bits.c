/* pstring_bits.c - BITFIELD and BITPOS on a persistent long string, without copying it.
 * Chapter 8.
 *
 * A bit field is at most 64 bits wide, so wherever it starts it lies in
 * a window of 9 bytes.  A GET reads that window (pstring_read(), zeros
 * past the end) and shifts the field out of it; a SET or an INCRBY works
 * out the new value, puts it into the window and writes the window back
 * with pstring_setrange(), which copies only the chunks it touches (one,
 * or two when the window straddles a boundary) and the tree path above
 * them.  An INCRBY on a 100 MB bitmap therefore copies about 4 KiB, and
 * the version before it stays intact for the readers that hold it.
 *
 * Overflow.  The three modes follow redis/redis src/bitops.c
 * (checkSignedBitfieldOverflow(), checkUnsignedBitfieldOverflow() and
 * bitfieldGeneric()): the result of SET (the value given) or INCRBY (old
 * value + increment, computed exactly) is checked against the type's
 * range.  WRAP keeps the low bits, sign-extended for a signed type; SAT
 * clamps to the minimum or maximum; FAIL writes nothing and the reply is
 * nil (a SAT quirk of Redis's signed check is kept, see fit_signed()).
 * An unsigned SET reads its value as a 64-bit unsigned number, so a
 * negative value is "too big" and saturates to the maximum, as in Redis.
 * Redis makes room for every write of a BITFIELD command before it runs
 * any of them, so a refused write still grows the string; so does this
 * one.
 *
 * BITPOS scans the byte range piece by piece (the flat buffer or the
 * chunks), skipping 8 bytes at a time while they hold no candidate bit.
 */
#include "pstring_private.h"

#include <errno.h>
#include <string.h>

/* ---- the field inside its window ----------------------------------------- */

/* Bytes a field starting at bit `shift` (0..7) of its first byte spans. */
static unsigned window_bytes(unsigned shift, unsigned bits)
{
    return (shift + bits + 7) / 8;
}

/* The 64 bits of w[0..9) that start `shift` bits into w[0]. */
static uint64_t window_top(const unsigned char w[9], unsigned shift)
{
    uint64_t hi = 0;
    for (int i = 0; i < 8; i++)
        hi = hi << 8 | w[i];
    return shift ? hi << shift | (uint64_t)w[8] >> (8 - shift) : hi;
}

/* Put the low `bits` bits of v at bit `shift` of w, leaving the rest. */
static void window_put(unsigned char w[9], unsigned shift, unsigned bits,
                       uint64_t v)
{
    uint64_t m = ~UINT64_C(0) << (64 - bits); /* the field at the top */
    uint64_t t = v << (64 - bits);
    uint64_t hi = 0;
    for (int i = 0; i < 8; i++)
        hi = hi << 8 | w[i];
    hi = (hi & ~(m >> shift)) | t >> shift;
    for (int i = 7; i >= 0; i--, hi >>= 8)
        w[i] = (unsigned char)hi;
    if (shift) { /* the field's last `shift` bits spill into w[8] */
        unsigned char mx = (unsigned char)(m << (64 - shift) >> 56);
        unsigned char tx = (unsigned char)(t << (64 - shift) >> 56);
        w[8] = (unsigned char)((w[8] & ~mx) | tx);
    }
}

/* A field's bits as a signed value: sign-extend from bit bits - 1. */
static int64_t sign_extend(uint64_t u, unsigned bits)
{
    if (bits < 64 && (u >> (bits - 1) & 1))
        u |= ~UINT64_C(0) << bits;
    return (int64_t)u; /* two's complement, as every target of gcc/clang */
}

static bool width_ok(unsigned bits, bool is_signed)
{
    return bits >= 1 && bits <= (is_signed ? 64u : 63u);
}

/* Validate, and read the window of the field at bitoff into w. */
static int load(const pstring *s, uint64_t bitoff, unsigned bits,
                bool is_signed, unsigned char w[9])
{
    if (!width_ok(bits, is_signed) || bitoff > UINT64_MAX - bits ||
        (bitoff >> 3) > SIZE_MAX - 9) {
        errno = EINVAL;
        return -1;
    }
    memset(w, 0, 9);
    if (s != NULL)
        pstring_read(s, (size_t)(bitoff >> 3), 9, w);
    return 0;
}

int pstring_bitfield_get(const pstring *s, uint64_t bitoff, unsigned bits,
                         bool is_signed, int64_t *value)
{
    unsigned char w[9];
    if (load(s, bitoff, bits, is_signed, w) != 0)
        return -1;
    uint64_t u = window_top(w, (unsigned)(bitoff & 7)) >> (64 - bits);
    *value = is_signed ? sign_extend(u, bits) : (int64_t)u;
    return 0;
}

/* ---- overflow ------------------------------------------------------------ */

/* |v| as an unsigned number, INT64_MIN included. */
static uint64_t magnitude(int64_t v)
{
    return v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
}

/* Fit value + incr into u<bits>: *res is what the field gets (unless
 * FAIL); returns 0, or 1 / -1 for an overflow above / below. */
static int fit_unsigned(uint64_t value, int64_t incr, unsigned bits,
                        pstring_overflow ov, uint64_t *res)
{
    uint64_t max = (UINT64_C(1) << bits) - 1; /* bits <= 63 */
    int dir = 0;
    if (value > max || (incr > 0 && (uint64_t)incr > max - value))
        dir = 1;
    else if (incr < 0 && magnitude(incr) > value)
        dir = -1;
    uint64_t sum = value + (uint64_t)incr; /* modulo 2^64 */
    if (dir == 0 || ov == PSTRING_OVERFLOW_WRAP)
        *res = sum & max;
    else
        *res = dir > 0 ? max : 0;
    return dir;
}

/* The same for i<bits>.  One case follows Redis rather than arithmetic:
 * Redis computes max - value in 64-bit two's complement before it looks
 * at the sign of the overflow, so a SET value so far below the minimum
 * that max - value does not fit in 64 bits (e.g. i62 SET
 * -8530559166822722707) counts as an overflow upwards: SAT gives the
 * maximum, not the minimum.  WRAP and FAIL do not care which way. */
static int fit_signed(int64_t value, int64_t incr, unsigned bits,
                      pstring_overflow ov, int64_t *res)
{
    int64_t max = bits == 64 ? INT64_MAX : (INT64_C(1) << (bits - 1)) - 1;
    int64_t min = -max - 1;
    int dir = 0;
    /* max - incr and min - incr cannot overflow for the signs tested */
    if (value > max || (incr > 0 && value > max - incr))
        dir = 1;
    else if (bits < 64 && value < min && (int64_t)((uint64_t)max -
                                                    (uint64_t)value) < 0)
        dir = 1; /* Redis's quirk, kept: see below */
    else if (value < min || (incr < 0 && value < min - incr))
        dir = -1;
    if (dir == 0)
        *res = value + incr; /* in range, so no overflow */
    else if (ov == PSTRING_OVERFLOW_WRAP)
        *res = sign_extend(((uint64_t)value + (uint64_t)incr) &
                               (bits == 64 ? ~UINT64_C(0)
                                           : (UINT64_C(1) << bits) - 1),
                           bits);
    else
        *res = dir > 0 ? max : min;
    return dir;
}

/* ---- SET and INCRBY ----------------------------------------------------- */

static void same(pstring *s, pstring **out)
{
    *out = s->edit ? s : pstring_retain(s);
}

/* SET (incr false: arg is the value) or INCRBY (arg is the increment). */
static int field_edit(pstring *s, uint64_t bitoff, unsigned bits,
                      bool is_signed, int64_t arg, bool incr,
                      pstring_overflow ov, int64_t *reply, pstring **out)
{
    unsigned char w[9], before[9];
    if (load(s, bitoff, bits, is_signed, w) != 0)
        return -1;
    memcpy(before, w, sizeof w);
    unsigned shift = (unsigned)(bitoff & 7);
    uint64_t old_u = window_top(w, shift) >> (64 - bits), new_u;
    int64_t old_v = is_signed ? sign_extend(old_u, bits) : (int64_t)old_u;
    int64_t rep;
    int over;
    if (is_signed) {
        int64_t nv;
        over = incr ? fit_signed(old_v, arg, bits, ov, &nv)
                    : fit_signed(arg, 0, bits, ov, &nv);
        new_u = (uint64_t)nv;
        rep = incr ? nv : old_v;
    } else {
        over = incr ? fit_unsigned(old_u, arg, bits, ov, &new_u)
                    : fit_unsigned((uint64_t)arg, 0, bits, ov, &new_u);
        rep = incr ? (int64_t)new_u : old_v;
    }
    size_t first = (size_t)(bitoff >> 3);
    size_t n = window_bytes(shift, bits);
    bool grows = first + n > pstring_len(s);
    bool refused = over != 0 && ov == PSTRING_OVERFLOW_FAIL;
    if (!refused)
        window_put(w, shift, bits, new_u);
    if (!grows && memcmp(w, before, n) == 0) {
        same(s, out); /* the bytes are what they were */
    } else if (pstring_setrange(s, first, w, n, out) != 0) {
        return -1; /* a refused write still grows: w holds zeros there */
    }
    if (refused)
        return 0;
    *reply = rep;
    return 1;
}

int pstring_bitfield_set(pstring *s, uint64_t bitoff, unsigned bits,
                         bool is_signed, int64_t value, pstring_overflow ov,
                         int64_t *old, pstring **out)
{
    return field_edit(s, bitoff, bits, is_signed, value, false, ov, old, out);
}

int pstring_bitfield_incrby(pstring *s, uint64_t bitoff, unsigned bits,
                            bool is_signed, int64_t incr, pstring_overflow ov,
                            int64_t *result, pstring **out)
{
    return field_edit(s, bitoff, bits, is_signed, incr, true, ov, result,
                      out);
}

/* ---- BITPOS ------------------------------------------------------------- */

/* First bit of byte x (after the masks) that is set, 0..7, or 8. */
static unsigned first_one(unsigned x)
{
    if (x == 0)
        return 8;
    return (unsigned)__builtin_clz(x) - (unsigned)(sizeof(unsigned) * 8 - 8);
}

/* First bit in bits [sb, eb] (both inside the string) equal to bit, or
 * -1.  Looking for 0, each byte is inverted so both cases look for a 1;
 * the edge bytes drop the bits outside the range. */
static int64_t scan_bits(const pstring *s, int bit, uint64_t sb, uint64_t eb)
{
    size_t b0 = (size_t)(sb >> 3), b1 = (size_t)(eb >> 3);
    unsigned char flip = bit ? 0x00 : 0xff;
    uint64_t skip = bit ? 0 : ~UINT64_C(0);
    size_t C = s->tree ? s->chunk : (s->len ? s->len : 1);
    size_t i = b0;
    pbtree_iter it;
    if (s->tree)
        pbtree_iter_seek(&it, s->tree, b0 / C);
    while (i <= b1) {
        /* the piece holding byte i: the flat buffer or one chunk */
        const unsigned char *p;
        size_t base;
        if (s->tree) {
            const pchunk *c = pbtree_iter_elem(&it);
            p = c->b;
            base = (i / C) * C;
            pbtree_iter_next(&it);
        } else {
            p = s->flat;
            base = 0;
        }
        size_t stop = base + C - 1 < b1 ? base + C - 1 : b1;
        for (; i <= stop; i++) {
            if (i != b0 && i + 8 <= stop) { /* whole words with no candidate */
                uint64_t word;
                memcpy(&word, p + (i - base), 8);
                if (word == skip) {
                    i += 7;
                    continue;
                }
            }
            unsigned x = (unsigned)(p[i - base] ^ flip);
            if (i == b0)
                x &= 0xffu >> (sb & 7);
            if (i == b1)
                x &= (0xff00u >> ((eb & 7) + 1)) & 0xffu;
            if (x != 0)
                return (int64_t)i * 8 + first_one(x);
        }
    }
    return -1;
}

int64_t pstring_bitpos(const pstring *s, int bit, const int64_t *start,
                       const int64_t *end, bool bit_units)
{
    if (s == NULL) /* a missing key is an endless run of zeros */
        return bit ? -1 : 0;
    int64_t total = (int64_t)s->len * (bit_units ? 8 : 1);
    int64_t a = start ? *start : 0, b = end ? *end : total - 1;
    if (a < 0)
        a += total;
    if (b < 0)
        b += total;
    a = a < 0 ? 0 : a;
    b = b < 0 ? 0 : b;
    b = b >= total ? total - 1 : b;
    if (a > b)
        return -1;
    uint64_t sb = bit_units ? (uint64_t)a : (uint64_t)a * 8;
    uint64_t eb = bit_units ? (uint64_t)b : (uint64_t)b * 8 + 7;
    int64_t pos = scan_bits(s, bit ? 1 : 0, sb, eb);
    if (pos < 0 && !bit && end == NULL)
        return (int64_t)eb + 1; /* the zeros right of the string */
    return pos;
}
