/* hamt_private.h - what hamt.c and hamt_edit.c share; not an API.
 * Chapter 5.
 *
 * The trie is split in two files: reading and whole-tree walks (hamt.c)
 * and the path-copying edits (hamt_edit.c).  Both need the same small
 * helpers to turn a hash into a slot, so they live here as static inline
 * functions; the lookup itself is shared too, because an edit first asks
 * whether its key is present.  Nothing outside those two files includes
 * this header.
 */
#ifndef HAMT_PRIVATE_H
#define HAMT_PRIVATE_H

#include "hamt.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>


/* [ch05-popcount] */
/* The 5-bit piece of the hash that picks a child at this depth. */
static inline unsigned index_at(uint64_t h, unsigned shift)
{
    return (unsigned)(h >> shift) & (HAMT_FANOUT - 1);
}

/* Number of set bits.  Compilers turn __builtin_popcount into one popcnt
 * instruction only when told the CPU has it (-mpopcnt); the course builds
 * for any x86-64, so we count with shifts and masks (SWAR): add bits in
 * pairs, then nibbles, then let one multiplication add the four bytes. */
static inline unsigned popcount32(uint32_t x)
{
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0fu;
    return (x * 0x01010101u) >> 24;
}

/* Where the child of index i lives in the packed slot array: the number of
 * present children with a smaller index. */
static inline unsigned slot_pos(uint32_t bitmap, uint32_t bit)
{
    return popcount32(bitmap & (bit - 1));
}
/* [ch05-popcount] */

static inline bool is_collision(const hamt_node *nd)
{
    return nd->bitmap == 0 && nd->n > 0;
}

static inline bool key_is(const hamt_key *k, uint64_t h, const void *key,
                          size_t klen)
{
    return k->hash == h && k->len == klen &&
           (klen == 0 || memcmp(k->bytes, key, klen) == 0);
}

/* Bytes a key copy occupies: the header and the key bytes. */
static inline size_t key_bytes(const hamt_key *k)
{
    return sizeof *k + k->len;
}

/**
 * Find the slot holding a key.
 *
 * \param nd   the root of a version (may be NULL: the empty version).
 * \param h    the key's hash.
 * \param key  the key bytes.
 * \param klen their count.
 * \return the slot holding the key and its value, or NULL if absent.
 */
const hamt_slot *hamt_find_slot(const hamt_node *nd, uint64_t h,
                                const void *key, size_t klen);

#endif
