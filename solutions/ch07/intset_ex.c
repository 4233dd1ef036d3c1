/* intset_ex.c - solution to exercise 7.2: decode and validate an intset. */
#include "intset_ex.h"

static uint64_t le(const unsigned char *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = n; i > 0; i--)
        v = v << 8 | p[i - 1];
    return v;
}

int ex_intset_decode(const unsigned char *blob, size_t n, int64_t *out,
                     size_t cap, size_t *count)
{
    *count = 0;
    if (n < 8)
        return -1;
    uint64_t width = le(blob, 4), members = le(blob + 4, 4);
    if (width != 2 && width != 4 && width != 8)
        return -1;
    /* Divide instead of multiplying: count * width could overflow. */
    if ((n - 8) % width != 0 || (n - 8) / width != members || members > cap)
        return -1;
    for (uint64_t i = 0; i < members; i++) {
        uint64_t u = le(blob + 8 + i * width, (unsigned)width);
        int64_t v = width == 2 ? (int16_t)u : width == 4 ? (int32_t)u
                                                         : (int64_t)u;
        if (i > 0 && v <= out[i - 1])
            return -1; /* must be strictly ascending */
        out[i] = v;
    }
    *count = (size_t)members;
    return 0;
}
