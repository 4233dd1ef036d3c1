/* hll.c - HyperLogLog values: validation, hashing, PFADD, PFMERGE, PFCOUNT.
 * Chapter 9.
 *
 * The commands as Redis 7.0 runs them (redis/redis src/hyperloglog.c),
 * over byte strings: hll.h has the layout, hll_sparse.c the sparse
 * encoding.  Three facts decide the bytes a replica must produce:
 *
 * - PFADD of a missing key creates an empty sparse HLL first, and any
 *   PFADD that changed something (creating the key counts) marks the
 *   cached cardinality stale by setting bit 7 of byte 15.  So PFADD k
 *   with no elements stores "HYLL", 1, eleven zero bytes but 0x80 in the
 *   last, and XZERO(16384).
 * - PFMERGE takes the maximum of every register over the destination and
 *   the sources; the destination turns dense if any input is dense, and
 *   otherwise receives the maxima one register at a time through the
 *   sparse edit, in register order.  The cache is then marked stale.
 * - PFCOUNT of one key with a stale cache computes the estimate and writes
 *   it into bytes 8-15, little endian (bit 7 of byte 15 is then clear:
 *   no estimate reaches 2^63).  That write is a change of the value and
 *   the master propagates it.
 *
 * Design.  Every public function validates its inputs completely first,
 * then works on private copies, so that an invalid value or a failed
 * allocation is reported before anything is half done and the inputs are
 * never modified.  The estimate is Ertl's improved estimator ("New
 * cardinality estimation algorithms for HyperLogLog sketches",
 * arXiv:1702.01284), the one Redis uses since 5.0, computed from the
 * histogram of register values in the same floating-point operations in
 * the same order, so the integer matches Redis's exactly.
 */
#include "hll.h"

#include "alloc.h"
#include "hll_private.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define HLL_Q 50 /* hash bits left after the 14 that pick a register */

/* --- errors ---------------------------------------------------------------- */

/* Fill err (if any): input, offset, and a message that names both (the
 * input only when the call had several).  Sets errno.  \return -1. */
static int fail(hll_error *err, size_t input, int many, size_t offset,
                const char *fmt, ...)
{
    if (err) {
        err->input = input;
        err->offset = offset;
        int k = 0;
        if (many)
            k = snprintf(err->msg, sizeof err->msg, "input %zu, ", input);
        if (k < 0 || (size_t)k >= sizeof err->msg)
            k = 0;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg + k, sizeof err->msg - (size_t)k, fmt, ap);
        va_end(ap);
    }
    errno = EINVAL;
    return -1;
}

/* hll_validate() for input number `input` of a call with `many` inputs;
 * with body 0 only what isHLLObjectOrReply() checks (the header, and a
 * dense value's length). */
static int check_ex(const unsigned char *p, size_t len, size_t input, int many,
                    int body, hll_error *err)
{
    if (len < HLL_HDR_SIZE)
        return fail(err, input, many, len,
                    "byte %zu: the value ends inside the 16-byte header "
                    "(%zu bytes)", len, len);
    for (size_t i = 0; i < 4; i++)
        if (p[i] != (unsigned char)"HYLL"[i])
            return fail(err, input, many, i,
                        "byte %zu: magic is not \"HYLL\" (byte 0x%02x)", i,
                        p[i]);
    if (p[4] == HLL_ENC_DENSE) {
        if (len != HLL_DENSE_SIZE)
            return fail(err, input, many,
                        len < HLL_DENSE_SIZE ? len : (size_t)HLL_DENSE_SIZE,
                        "byte %zu: a dense HLL is exactly %d bytes, this "
                        "one %zu", len < HLL_DENSE_SIZE ? len
                                   : (size_t)HLL_DENSE_SIZE,
                        HLL_DENSE_SIZE, len);
        return 0;
    }
    if (p[4] != HLL_ENC_SPARSE)
        return fail(err, input, many, 4,
                    "byte 4: encoding 0x%02x is neither 0 (dense) nor 1 "
                    "(sparse)", p[4]);
    if (!body)
        return 0;
    /* Sparse: every opcode complete, exactly HLL_REGISTERS in all. */
    size_t reg = 0, pos = HLL_HDR_SIZE;
    while (pos < len) {
        unsigned char b = p[pos];
        size_t span, size = 1;
        const char *name;
        if ((b & 0xc0) == 0x00) {
            name = "ZERO";
            span = (b & 0x3fu) + 1;
        } else if ((b & 0xc0) == 0x40) {
            name = "XZERO";
            if (pos + 1 >= len)
                return fail(err, input, many, pos,
                            "byte %zu: XZERO opcode 0x%02x is cut off (it "
                            "has 2 bytes, the value ends after 1)", pos, b);
            span = ((b & 0x3fu) << 8 | p[pos + 1]) + 1;
            size = 2;
        } else {
            name = "VAL";
            span = (b & 0x03u) + 1;
        }
        if (reg + span > HLL_REGISTERS)
            return fail(err, input, many, pos,
                        "byte %zu: %s opcode covers registers %zu..%zu, "
                        "past the last one (%d)", pos, name, reg,
                        reg + span - 1, HLL_REGISTERS - 1);
        reg += span;
        pos += size;
    }
    if (reg != HLL_REGISTERS)
        return fail(err, input, many, len,
                    "byte %zu: the sparse opcodes end after %zu of the %d "
                    "registers (truncated)", len, reg, HLL_REGISTERS);
    return 0;
}

static int check(const unsigned char *p, size_t len, size_t input, int many,
                 hll_error *err)
{
    return check_ex(p, len, input, many, 1, err);
}

int hll_validate(const unsigned char *p, size_t len, hll_error *err)
{
    return check(p, len, 0, 0, err);
}

/* --- hashing ----------------------------------------------------------------- */

/* MurmurHash64A (Austin Appleby's 64-bit MurmurHash2), reading 8-byte
 * words little endian whatever the machine, as Redis does.  Redis passes
 * the length as an int; for elements under 2 GiB the two agree. */
static uint64_t murmur64a(const unsigned char *p, size_t len, uint64_t seed)
{
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const int r = 47;
    uint64_t h = seed ^ ((uint64_t)len * m);
    size_t words = len / 8;
    for (size_t w = 0; w < words; w++, p += 8) {
        uint64_t k = 0;
        for (int i = 7; i >= 0; i--)
            k = k << 8 | p[i];
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    size_t tail = len & 7;
    if (tail) {
        for (size_t i = tail; i-- > 0;)
            h ^= (uint64_t)p[i] << (8 * i);
        h *= m;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

unsigned hll_pattern(const void *elem, size_t len, unsigned *index)
{
    uint64_t hash = murmur64a(elem, len, 0xadc83b19ULL);
    *index = (unsigned)(hash & (HLL_REGISTERS - 1));
    /* The value is 1 + the number of zero bits above the index, counted
     * from the low end; bit 50 of what is left is forced to 1 so the
     * count stops at 51. */
    hash = (hash >> 14) | (uint64_t)1 << HLL_Q;
    unsigned count = 1;
    while (!(hash & 1)) {
        count++;
        hash >>= 1;
    }
    return count;
}

/* --- the estimate ------------------------------------------------------------ */

/* Ertl's sigma(x) for the share x of zero registers. */
static double sigma(double x)
{
    if (x == 1.)
        return INFINITY;
    double y = 1, z = x, prev;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (prev != z);
    return z;
}

/* Ertl's tau(x) for the share x of registers below the maximum. */
static double tau(double x)
{
    if (x == 0. || x == 1.)
        return 0.;
    double y = 1.0, z = 1 - x, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= pow(1 - x, 2) * y;
    } while (prev != z);
    return z / 3;
}

/* The cardinality estimate from the histogram of register values. */
static uint64_t estimate(const int histo[64])
{
    const double m = HLL_REGISTERS;
    double z = m * tau((m - histo[HLL_Q + 1]) / m);
    for (int j = HLL_Q; j >= 1; j--) {
        z += histo[j];
        z *= 0.5;
    }
    z += m * sigma(histo[0] / m);
    /* 0.5 / ln 2, the constant Redis writes as HLL_ALPHA_INF */
    return (uint64_t)llroundl(0.721347520444481703680 * m * m / z);
}

/* --- the commands --------------------------------------------------------- */

/* A private, editable copy of a valid value. */
static int copy_in(hll_buf *h, const unsigned char *p, size_t len)
{
    size_t cap = len + (p[4] == HLL_ENC_SPARSE ? 16 : 0);
    h->b = xmalloc(cap);
    if (!h->b)
        return -1;
    memcpy(h->b, p, len);
    h->len = len;
    h->cap = cap;
    return 0;
}

/* Raise register idx of h to count if lower.  \return 1 changed, 0 not,
 * -1 out of memory. */
static int raise_register(hll_buf *h, unsigned idx, unsigned count,
                          size_t max_bytes)
{
    if (h->b[4] == HLL_ENC_SPARSE)
        return hll_sparse_set(h, idx, count, max_bytes);
    if (hll_dense_get(h->b + HLL_HDR_SIZE, idx) >= count)
        return 0;
    hll_dense_put(h->b + HLL_HDR_SIZE, idx, count);
    return 1;
}

int hll_add_ex(const unsigned char *in, size_t inlen,
               const void *const *elems, const size_t *lens, size_t n,
               size_t sparse_max_bytes, unsigned char **out, size_t *outlen,
               int *changed, hll_error *err)
{
    /* Only the header, as Redis's PFADD: a malformed sparse body is found
     * (or not) while the registers are looked for (hll_sparse.c). */
    if (in && check_ex(in, inlen, 0, 0, 0, err) < 0)
        return -1;
    hll_buf h;
    int any = 0;
    if (!in) {
        if (hll_sparse_new(&h) < 0)
            return -1;
        any = 1; /* creating the key is a change */
    } else if (copy_in(&h, in, inlen) < 0) {
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned idx, count = hll_pattern(elems[i], lens[i], &idx);
        int r = raise_register(&h, idx, count, sparse_max_bytes);
        if (r < 0) {
            int e = errno;
            if (e == EINVAL)
                fail(err, 0, 0, h.len, "byte %zu: the sparse opcodes do not "
                     "cover register %u as an HLL must (element %zu)", h.len,
                     idx, i + 1);
            free(h.b);
            errno = e;
            return -1;
        }
        any |= r;
    }
    if (!any) {
        free(h.b);
        *out = NULL;
        *outlen = 0;
        *changed = 0;
        return 0;
    }
    h.b[HLL_HDR_SIZE - 1] |= 0x80; /* the cached cardinality is stale */
    *out = h.b;
    *outlen = h.len;
    *changed = 1;
    return 0;
}

int hll_add(const unsigned char *in, size_t inlen, const void *const *elems,
            const size_t *lens, size_t n, unsigned char **out, size_t *outlen,
            int *changed, hll_error *err)
{
    return hll_add_ex(in, inlen, elems, lens, n, HLL_SPARSE_MAX_BYTES, out,
                      outlen, changed, err);
}

int hll_merge(const unsigned char *dest, size_t destlen,
              const unsigned char *const *srcs, const size_t *srclens,
              size_t nsrc, size_t sparse_max_bytes, unsigned char **out,
              size_t *outlen, hll_error *err)
{
    int many = nsrc > 0, dense = 0;
    if (dest) {
        if (check(dest, destlen, 0, many, err) < 0)
            return -1;
        dense |= dest[4] == HLL_ENC_DENSE;
    }
    for (size_t i = 0; i < nsrc; i++) {
        if (!srcs[i])
            continue;
        if (check(srcs[i], srclens[i], i + 1, many, err) < 0)
            return -1;
        dense |= srcs[i][4] == HLL_ENC_DENSE;
    }
    uint8_t max[HLL_REGISTERS];
    memset(max, 0, sizeof max);
    if (dest)
        hll_max_into(dest, destlen, max);
    for (size_t i = 0; i < nsrc; i++)
        if (srcs[i])
            hll_max_into(srcs[i], srclens[i], max);
    hll_buf h;
    if ((dest ? copy_in(&h, dest, destlen) : hll_sparse_new(&h)) < 0)
        return -1;
    if (dense && h.b[4] == HLL_ENC_SPARSE && hll_to_dense(&h) < 0) {
        free(h.b);
        return -1;
    }
    for (unsigned j = 0; j < HLL_REGISTERS; j++) {
        if (max[j] && raise_register(&h, j, max[j], sparse_max_bytes) < 0) {
            free(h.b);
            return -1;
        }
    }
    h.b[HLL_HDR_SIZE - 1] |= 0x80;
    *out = h.b;
    *outlen = h.len;
    return 0;
}

int hll_count(const unsigned char *const *hlls, const size_t *lens, size_t n,
              uint64_t *card, unsigned char cache[HLL_CACHE_LEN],
              int *changed, hll_error *err)
{
    if (n == 0)
        return fail(err, 0, 0, 0, "PFCOUNT needs at least one key");
    for (size_t i = 0; i < n; i++)
        if (hlls[i] && check(hlls[i], lens[i], i, n > 1, err) < 0)
            return -1;
    int histo[64] = {0};
    if (n == 1) {
        const unsigned char *p = hlls[0];
        *changed = 0;
        if (!p) {
            *card = 0;
            return 0;
        }
        const unsigned char *c = p + HLL_CACHE_OFFSET;
        if (!(c[7] & 0x80)) { /* a valid cached value */
            uint64_t v = 0;
            for (int i = 7; i >= 0; i--)
                v = v << 8 | c[i];
            *card = v;
            return 0;
        }
        hll_histogram(p, lens[0], histo);
        uint64_t v = estimate(histo);
        for (int i = 0; i < HLL_CACHE_LEN; i++)
            cache[i] = (unsigned char)(v >> (8 * i));
        *card = v;
        *changed = 1;
        return 0;
    }
    uint8_t max[HLL_REGISTERS];
    memset(max, 0, sizeof max);
    for (size_t i = 0; i < n; i++)
        if (hlls[i])
            hll_max_into(hlls[i], lens[i], max);
    for (unsigned j = 0; j < HLL_REGISTERS; j++)
        histo[max[j]]++;
    *card = estimate(histo);
    *changed = 0;
    return 0;
}
