/* intset_ex.c - exercise 7.2: write ex_intset_decode() (see intset_ex.h).
 *
 * Hints: read the two header fields with explicit little-endian shifts
 * (never by casting the pointer: the blob may be unaligned), check the
 * size with a division rather than a multiplication that could overflow,
 * and sign-extend each member from its width.  Run `make exercise CH=07`.
 */
#include "intset_ex.h"

int ex_intset_decode(const unsigned char *blob, size_t n, int64_t *out,
                     size_t cap, size_t *count)
{
    /* Exercise 7.2: validate the header, then decode the members. */
    (void)blob;
    (void)n;
    (void)out;
    (void)cap;
    *count = 0;
    return -1;
}
