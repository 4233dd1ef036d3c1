/* overflow_ex.c - exercise 9.1 solved: BITFIELD overflow (see overflow_ex.h). */
#include "overflow_ex.h"

/* The low `bits` bits of u as a signed field: sign-extended, converted
 * without an out-of-range signed conversion. */
static int64_t sign_extend(uint64_t u, unsigned bits)
{
    if (bits < 64) {
        uint64_t mask = (UINT64_C(1) << bits) - 1;
        u &= mask;
        if (u >> (bits - 1))
            u |= ~mask;
    }
    return u <= (uint64_t)INT64_MAX ? (int64_t)u : -(int64_t)~u - 1;
}

int ex_bitfield_incr(int64_t old, int64_t incr, unsigned bits, bool is_signed,
                     ex_overflow mode, int64_t *out)
{
    bool up, down;
    int64_t lo, hi;
    if (is_signed) {
        hi = bits == 64 ? INT64_MAX
                        : (int64_t)((UINT64_C(1) << (bits - 1)) - 1);
        lo = -hi - 1;
        /* hi - incr and lo - incr stay in range for the signs tested. */
        up = incr > 0 && old > hi - incr;
        down = incr < 0 && old < lo - incr;
    } else {
        hi = (int64_t)((UINT64_C(1) << bits) - 1);
        lo = 0;
        up = incr > 0 && (uint64_t)incr > (uint64_t)(hi - old);
        /* -(incr + 1) + 1 is |incr| without negating INT64_MIN. */
        down = incr < 0 && (uint64_t)-(incr + 1) + 1 > (uint64_t)old;
    }
    if (!up && !down) {
        *out = old + incr;
        return 0;
    }
    if (mode == EX_FAIL)
        return 1;
    if (mode == EX_SAT) {
        *out = up ? hi : lo;
        return 0;
    }
    uint64_t sum = (uint64_t)old + (uint64_t)incr; /* modulo 2^64 */
    *out = is_signed ? sign_extend(sum, bits)
                     : (int64_t)(sum & (uint64_t)hi);
    return 0;
}
