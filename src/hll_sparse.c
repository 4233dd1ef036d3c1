/* hll_sparse.c - the sparse HyperLogLog encoding, edited exactly as Redis does.
 * Chapter 9.
 *
 * Most registers of a small HLL are zero, so Redis first stores the
 * 16384 registers run-length encoded, with three opcodes (redis/redis
 * src/hyperloglog.c, "sparse representation"):
 *
 *     ZERO   00xxxxxx           xxxxxx + 1 zero registers (1 .. 64)
 *     XZERO  01xxxxxx yyyyyyyy  14-bit x..y + 1 zero registers (1 .. 16384)
 *     VAL    1vvvvvxx           xx + 1 registers (1 .. 4) of value
 *                               vvvvv + 1 (1 .. 32)
 *
 * Design.  Decoding is easy; what makes a replica's bytes equal to its
 * master's is doing each edit the way Redis does it, because many opcode
 * sequences describe the same registers.  hll_sparse_set() follows Redis
 * 7.0's hllSparseSet() step for step: find the opcode covering the
 * register; if it is a VAL already as high, nothing changes; a VAL or
 * ZERO of one register is rewritten in place; otherwise the opcode is
 * split into up to three (zeros or old value before, the new VAL, zeros
 * or old value after, using XZERO only for runs over 64); and then,
 * starting at the opcode before the edited one, at most five opcodes are
 * scanned and adjacent VALs of equal value merged while their run fits
 * in four.  The merge is deliberately local: a global re-encoding would
 * often be shorter, and would differ from the master's bytes.  When the
 * value offered exceeds 32, or a split would take the value past
 * hll-sparse-max-bytes (header included), the HLL becomes dense first.
 *
 * Malformed bodies.  PFADD in Redis 7.0 checks only the header
 * (isHLLObjectOrReply()); the opcodes are read while the register is
 * looked for, and a value whose opcodes cover too many registers, or
 * carry bytes after the last one (APPEND to an HLL writes exactly that),
 * is edited like any other as long as the register is found; only a
 * promotion to dense, which must count exactly HLL_REGISTERS, refuses it.
 * A replica must do the same, or it refuses a PFADD its master applied.
 * So hll_sparse_set() and hll_to_dense() take any sparse body behind a
 * valid header and fail with EINVAL exactly where Redis's hllSparseSet()
 * and hllSparseToDense() return -1.  An XZERO cut off at the end has the
 * second byte Redis reads there, its string's NUL terminator, and a split
 * of it keeps what Redis's keeps: the new opcodes but their last byte,
 * which Redis writes past the string's new length.  Reading the registers
 * (hll_max_into(), hll_histogram()) still needs a value hll_validate()
 * accepted.
 */
#include "hll_private.h"

#include "alloc.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define OP_IS_ZERO(b) (((b) & 0xc0) == 0x00)
#define OP_IS_XZERO(b) (((b) & 0xc0) == 0x40)
#define OP_IS_VAL(b) (((b) & 0x80) != 0)

/* Registers covered by the opcode at p. */
static unsigned op_span(const unsigned char *p)
{
    if (OP_IS_ZERO(p[0]))
        return (p[0] & 0x3fu) + 1;
    if (OP_IS_XZERO(p[0]))
        return ((p[0] & 0x3fu) << 8 | p[1]) + 1;
    return (p[0] & 0x03u) + 1;
}

/* Registers covered by the opcode at pos of a body len bytes long; an
 * XZERO cut off at the end reads its second byte as 0, as Redis reads the
 * NUL after its string. */
static unsigned op_span_at(const unsigned char *b, size_t len, size_t pos)
{
    if (OP_IS_XZERO(b[pos]) && pos + 1 >= len)
        return ((b[pos] & 0x3fu) << 8) + 1;
    return op_span(b + pos);
}

/* Bytes of the opcode at p. */
static size_t op_size(const unsigned char *p)
{
    return OP_IS_XZERO(p[0]) ? 2 : 1;
}

/* The value of a VAL opcode. */
static unsigned val_value(unsigned char b)
{
    return ((b >> 2) & 0x1fu) + 1;
}

/* A VAL opcode: run registers (1 .. 4) of value v (1 .. 32). */
static unsigned char val_op(unsigned v, unsigned run)
{
    return (unsigned char)(0x80 | (v - 1) << 2 | (run - 1));
}

/* Write a run of n zero registers (1 .. 16384) as one opcode, ZERO when
 * it fits, else XZERO.  \return the bytes written. */
static size_t put_zeros(unsigned char *p, unsigned n)
{
    if (n > 64) {
        p[0] = (unsigned char)(0x40 | (n - 1) >> 8);
        p[1] = (unsigned char)((n - 1) & 0xff);
        return 2;
    }
    p[0] = (unsigned char)(n - 1);
    return 1;
}

/* Make room for need bytes; the value is untouched on failure. */
static int reserve(hll_buf *h, size_t need)
{
    if (need <= h->cap)
        return 0;
    size_t cap = h->cap * 2 > need ? h->cap * 2 : need;
    unsigned char *b = xrealloc(h->b, cap);
    if (!b)
        return -1;
    h->b = b;
    h->cap = cap;
    return 0;
}

int hll_sparse_new(hll_buf *h)
{
    size_t cap = 64; /* room for a few splits before the first realloc */
    unsigned char *b = xcalloc(1, cap);
    if (!b)
        return -1;
    memcpy(b, "HYLL", 4);
    b[4] = HLL_ENC_SPARSE;
    /* bytes 5-15 stay zero: a cached cardinality of 0, marked valid */
    put_zeros(b + HLL_HDR_SIZE, HLL_REGISTERS);
    h->b = b;
    h->len = HLL_HDR_SIZE + 2;
    h->cap = cap;
    return 0;
}

int hll_to_dense(hll_buf *h)
{
    unsigned char *d = xcalloc(1, HLL_DENSE_SIZE);
    if (!d)
        return -1;
    /* Magic, unused bytes and cached cardinality carry over unchanged,
     * as in Redis: whoever changes a register marks the cache stale. */
    memcpy(d, h->b, HLL_HDR_SIZE);
    d[4] = HLL_ENC_DENSE;
    /* hllSparseToDense(): a VAL that would run past the last register
     * stops the walk; the registers counted must then be exactly all. */
    size_t idx = 0;
    for (size_t pos = HLL_HDR_SIZE; pos < h->len; pos += op_size(h->b + pos)) {
        unsigned span = op_span_at(h->b, h->len, pos);
        if (OP_IS_VAL(h->b[pos])) {
            if (idx + span > HLL_REGISTERS)
                break;
            unsigned v = val_value(h->b[pos]);
            for (unsigned i = 0; i < span; i++)
                hll_dense_put(d + HLL_HDR_SIZE, (unsigned)idx + i, v);
        }
        idx += span;
    }
    if (idx != HLL_REGISTERS)
        goto invalid;
    free(h->b);
    h->b = d;
    h->len = h->cap = HLL_DENSE_SIZE;
    return 0;
invalid:
    free(d);
    errno = EINVAL;
    return -1;
}

int hll_sparse_set(hll_buf *h, unsigned idx, unsigned count, size_t max_bytes)
{
    if (count > HLL_SPARSE_VAL_MAX)
        goto promote;
    /* Step 1: the opcode at pos covers registers first .. first+span-1. */
    size_t pos = HLL_HDR_SIZE, prev = 0;
    bool has_prev = false;
    size_t first = 0;
    unsigned span = 0;
    for (;;) {
        if (pos >= h->len) {
            errno = EINVAL; /* the opcodes end before the register */
            return -1;
        }
        span = op_span_at(h->b, h->len, pos);
        if (idx < first + span)
            break;
        prev = pos;
        has_prev = true;
        pos += op_size(h->b + pos);
        first += span;
    }
    unsigned char op = h->b[pos];
    /* Step 2: the cases that rewrite one byte in place. */
    if (OP_IS_VAL(op)) {
        if (val_value(op) >= count)
            return 0;
        if (span == 1) {
            h->b[pos] = val_op(count, 1);
            goto merge;
        }
    } else if (OP_IS_ZERO(op) && span == 1) {
        h->b[pos] = val_op(count, 1);
        goto merge;
    }
    /* Step 3: split the opcode around the register. */
    unsigned char seq[5];
    size_t n = 0;
    unsigned last = (unsigned)first + span - 1;
    if (OP_IS_VAL(op)) {
        unsigned cur = val_value(op);
        if (idx != first)
            seq[n++] = val_op(cur, idx - (unsigned)first);
        seq[n++] = val_op(count, 1);
        if (idx != last)
            seq[n++] = val_op(cur, last - idx);
    } else {
        if (idx != first)
            n += put_zeros(seq + n, idx - (unsigned)first);
        seq[n++] = val_op(count, 1);
        if (idx != last)
            n += put_zeros(seq + n, last - idx);
    }
    size_t old = op_size(h->b + pos);
    if (n > old && h->len + (n - old) > max_bytes)
        goto promote;
    if (reserve(h, h->len + n) < 0)
        return -1;
    if (pos + old > h->len) {
        /* the cut-off XZERO: Redis's length grows by n - 2, and the last
         * opcode byte lands past it */
        memcpy(h->b + pos, seq, n - 1);
        h->len = h->len + n - old;
    } else {
        memmove(h->b + pos + n, h->b + pos + old, h->len - pos - old);
        memcpy(h->b + pos, seq, n);
        h->len = h->len + n - old;
    }
merge:
    /* Step 4: merge equal adjacent VALs, looking at no more than five
     * opcodes from the one before the edit. */
    pos = has_prev ? prev : HLL_HDR_SIZE;
    for (int scan = 5; pos < h->len && scan > 0; scan--) {
        unsigned char b = h->b[pos];
        if (!OP_IS_VAL(b)) {
            pos += op_size(h->b + pos);
            continue;
        }
        if (pos + 1 < h->len && OP_IS_VAL(h->b[pos + 1])
            && val_value(b) == val_value(h->b[pos + 1])) {
            unsigned run = op_span(h->b + pos) + op_span(h->b + pos + 1);
            if (run <= 4) {
                h->b[pos + 1] = val_op(val_value(b), run);
                memmove(h->b + pos, h->b + pos + 1, h->len - pos - 1);
                h->len--;
                continue; /* the merged VAL may merge again, rightwards */
            }
        }
        pos++;
    }
    h->b[HLL_HDR_SIZE - 1] |= 0x80; /* the cached cardinality is stale */
    return 1;
promote:
    if (hll_to_dense(h) < 0)
        return -1;
    hll_dense_put(h->b + HLL_HDR_SIZE, idx, count);
    h->b[HLL_HDR_SIZE - 1] |= 0x80;
    return 1;
}

void hll_max_into(const unsigned char *p, size_t len, uint8_t *max)
{
    if (p[4] == HLL_ENC_DENSE) {
        for (unsigned i = 0; i < HLL_REGISTERS; i++) {
            unsigned v = hll_dense_get(p + HLL_HDR_SIZE, i);
            if (v > max[i])
                max[i] = (uint8_t)v;
        }
        return;
    }
    unsigned idx = 0;
    for (size_t pos = HLL_HDR_SIZE; pos < len; pos += op_size(p + pos)) {
        unsigned span = op_span(p + pos);
        if (OP_IS_VAL(p[pos])) {
            unsigned v = val_value(p[pos]);
            for (unsigned i = idx; i < idx + span; i++)
                if (v > max[i])
                    max[i] = (uint8_t)v;
        }
        idx += span;
    }
}

void hll_histogram(const unsigned char *p, size_t len, int histo[64])
{
    if (p[4] == HLL_ENC_DENSE) {
        for (unsigned i = 0; i < HLL_REGISTERS; i++)
            histo[hll_dense_get(p + HLL_HDR_SIZE, i)]++;
        return;
    }
    for (size_t pos = HLL_HDR_SIZE; pos < len; pos += op_size(p + pos)) {
        unsigned span = op_span(p + pos);
        histo[OP_IS_VAL(p[pos]) ? val_value(p[pos]) : 0] += (int)span;
    }
}
