/* intset_ex.h - exercise 7.2: decode and validate an intset blob.
 *
 * A set made only of integers (and small enough) is saved as RDB type 11:
 * a string holding Redis's intset, little-endian throughout:
 *   u32 width   bytes per member: 2, 4 or 8
 *   u32 count   number of members
 *   count members, each a signed integer of `width` bytes, strictly
 *   ascending (an intset is a sorted array: SISMEMBER is a binary search).
 * A valid blob is exactly 8 + width * count bytes long.
 */
#ifndef EX_INTSET_H
#define EX_INTSET_H

#include <stddef.h>
#include <stdint.h>

/**
 * Decode an intset.
 *
 * \param blob  the bytes.
 * \param n     their number.
 * \param out   receives the members in order.
 * \param cap   room in out.
 * \param count receives the number of members.
 * \return 0; or -1 if the blob is malformed (shorter than 8 bytes, width
 *         not 2/4/8, size not 8 + width * count, members not strictly
 *         ascending) or holds more than cap members.
 */
int ex_intset_decode(const unsigned char *blob, size_t n, int64_t *out,
                     size_t cap, size_t *count);

#endif
