/* overflow_ex.h - exercise 9.1: BITFIELD INCRBY's three overflow modes.
 *
 * BITFIELD treats a string as an array of integer fields of any width:
 * `i5` is a signed 5-bit field (-16 to 15), `u63` an unsigned 63-bit one
 * (0 to 2^63-1).  INCRBY adds to a field, and OVERFLOW chooses what an
 * out-of-range result becomes (redis/redis src/bitops.c,
 * checkSignedBitfieldOverflow() and checkUnsignedBitfieldOverflow()):
 *
 * - WRAP (the default): the result modulo 2^bits, as the hardware would
 *   for a register that wide (signed fields wrap around in two's
 *   complement: i8 127 + 1 is -128);
 * - SAT: the result clamps to the smallest or largest value of the field;
 * - FAIL: nothing is written and the command returns nil for that field.
 *
 * The catch is C itself: the exact sum of two 64-bit integers may not fit
 * in 64 bits, and signed overflow is undefined behaviour, so a solution
 * must decide overflow without computing an overflowing sum (the tests
 * run under UBSan in `make asan`).
 */
#ifndef EX_OVERFLOW_H
#define EX_OVERFLOW_H

#include <stdbool.h>
#include <stdint.h>

/** What an out-of-range INCRBY result becomes. */
typedef enum ex_overflow {
    EX_WRAP, /**< modulo 2^bits */
    EX_SAT,  /**< clamped to the field's range */
    EX_FAIL, /**< refused */
} ex_overflow;

/**
 * Add incr to a field's value as BITFIELD INCRBY does.
 * \param old       the field's value now: for a signed field in
 *                  [-2^(bits-1), 2^(bits-1)-1], for an unsigned one in
 *                  [0, 2^bits-1].
 * \param incr      the increment (any int64_t, negative included).
 * \param bits      the field's width: 1..64 signed, 1..63 unsigned (as
 *                  Redis allows).
 * \param is_signed true for an `i` field, false for a `u` field.
 * \param mode      the overflow mode.
 * \param out       receives the new value (in the field's range) unless
 *                  FAIL refuses.
 * \return 0 when *out was written, 1 when the result overflowed and mode
 *         is EX_FAIL (*out untouched).
 */
int ex_bitfield_incr(int64_t old, int64_t incr, unsigned bits, bool is_signed,
                     ex_overflow mode, int64_t *out);

#endif
