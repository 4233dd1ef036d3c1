/* hll_private.h - what hll.c and hll_sparse.c share: the working copy.
 * Chapter 9.
 *
 * An edit of a HyperLogLog is made on a private, growable copy of the
 * value (hll_buf); the copy becomes the output when the edit is done.
 * Dense registers are read and written here, sparse ones in
 * hll_sparse.c, which may also turn the copy dense.  Not part of the
 * public interface: only the two .c files include it.
 */
#ifndef HLL_PRIVATE_H
#define HLL_PRIVATE_H

#include "hll.h"

#include <stddef.h>
#include <stdint.h>

/** A value being edited: len bytes in b, room for cap. */
typedef struct hll_buf {
    unsigned char *b;  /**< the bytes (xmalloc'd) */
    size_t len;        /**< bytes in use */
    size_t cap;        /**< bytes allocated */
} hll_buf;

/** The largest value a sparse VAL opcode holds; a bigger one needs dense. */
#define HLL_SPARSE_VAL_MAX 32

/**
 * Read dense register idx.
 * \param regs the 12288 register bytes (after the header).
 * \param idx  0 .. HLL_REGISTERS - 1.
 * \return its 6-bit value.
 */
static inline unsigned hll_dense_get(const unsigned char *regs, unsigned idx)
{
    /* Register idx is bits 6*idx .. 6*idx+5, least significant bit first:
     * it starts at bit fb of byte `byte` and spills into the next byte
     * when fb > 2.  The last register (fb = 2) never spills, so nothing
     * past the 12288 bytes is read. */
    size_t bit = (size_t)idx * 6, byte = bit / 8;
    unsigned fb = (unsigned)(bit % 8);
    unsigned v = regs[byte] >> fb;
    if (fb > 2)
        v |= (unsigned)regs[byte + 1] << (8 - fb);
    return v & 63;
}

/**
 * Write dense register idx.
 * \param regs the register bytes.
 * \param idx  0 .. HLL_REGISTERS - 1.
 * \param val  0 .. 63.
 */
static inline void hll_dense_put(unsigned char *regs, unsigned idx,
                                 unsigned val)
{
    size_t bit = (size_t)idx * 6, byte = bit / 8;
    unsigned fb = (unsigned)(bit % 8);
    regs[byte] = (unsigned char)((regs[byte] & ~(63u << fb)) | (val << fb));
    if (fb > 2) {
        unsigned hi = 8 - fb; /* bits that spill into the next byte: 6 - hi */
        regs[byte + 1] = (unsigned char)((regs[byte + 1] & ~(63u >> hi))
                                         | (val >> hi));
    }
}

/**
 * Make an empty sparse HLL (what PFADD creates for a missing key): the
 * header, all zero, and one XZERO opcode covering every register.
 * \param h receives it.
 * \return 0, or -1 with errno ENOMEM.
 */
int hll_sparse_new(hll_buf *h);

/**
 * Raise sparse register idx to count if it is lower, as Redis does: split
 * the opcode that covers it, merge equal neighbours, and turn the value
 * dense instead when count does not fit a VAL opcode or the value would
 * grow past max_bytes.  h must hold a sparse HLL with a valid header; the
 * body may be malformed, as Redis's PFADD allows (hll_sparse.c).
 * \param h         the value (may be reallocated, or replaced by its
 *                  dense form).
 * \param idx       the register.
 * \param count     the value offered, 1 .. 63.
 * \param max_bytes hll-sparse-max-bytes.
 * \return 1 if the register changed, 0 if not, -1 with errno ENOMEM
 *         (h is then still a valid HLL, changed or not) or EINVAL (the
 *         opcodes end before register idx, or a promotion to dense found
 *         them covering other than HLL_REGISTERS registers; Redis's
 *         "INVALIDOBJ").
 */
int hll_sparse_set(hll_buf *h, unsigned idx, unsigned count,
                   size_t max_bytes);

/**
 * Replace a sparse HLL by its dense form (same header, encoding 0).
 * \param h the value (header valid; the body is checked as Redis's
 *          hllSparseToDense() does).
 * \return 0, or -1 with errno ENOMEM or EINVAL (the opcodes do not cover
 *         exactly HLL_REGISTERS registers); h unchanged on failure.
 */
int hll_to_dense(hll_buf *h);

/**
 * Raise max[i] to register i of a valid HLL, for every i.
 * \param p   the value.
 * \param len its length.
 * \param max HLL_REGISTERS bytes.
 */
void hll_max_into(const unsigned char *p, size_t len, uint8_t *max);

/**
 * Count the registers of a valid HLL by value.
 * \param p     the value.
 * \param len   its length.
 * \param histo 64 counters, added to.
 */
void hll_histogram(const unsigned char *p, size_t len, int histo[64]);

#endif
