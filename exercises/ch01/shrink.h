/* shrink.h - exercise 1.2: give memory back after mass deletion.
 *
 * map.c grows but never shrinks: after a master deletes most of its keys
 * (FLUSHDB of a big set, expiry of a batch), the replica's table keeps its
 * peak size, and every iteration walks all of its empty slots.
 */
#ifndef EX_SHRINK_H
#define EX_SHRINK_H

#include "map.h"

/**
 * Shrink the slot array to the smallest power of two (at least 8) that
 * holds m->count entries at a load factor of at most 3/4.
 *
 * Every entry must still be found afterwards: re-place each one from its
 * stored hash, as growing does.  Keys and values are not touched.
 *
 * \param m the map.
 * \return 0 (also when nothing needed to change), or -1 if the new array
 *         could not be allocated (the map is then unchanged).
 */
int map_shrink_to_fit(map *m);

#endif
