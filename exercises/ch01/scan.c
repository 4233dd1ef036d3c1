/* scan.c - exercise 1.1: write map_scan() (see scan.h for the contract).
 *
 * Steps:
 *  1. If the map is empty (cap 0) the scan is complete: return 0.
 *  2. mask = cap - 1; home = cursor & mask.  Walk the probe run from slot
 *     `home` until an empty slot; call fn for each entry whose
 *     (hash & mask) == home.
 *  3. Return the reverse-binary successor of cursor:
 *       cursor |= ~mask;  reverse the bits;  add 1;  reverse the bits.
 *     (reversing a size_t: swap bit i with bit 63 - i.)
 *  Run `make exercise CH=01` until it passes.
 */
#include "scan.h"

size_t map_scan(const map *m, size_t cursor, map_scan_fn *fn, void *arg)
{
    (void)m;
    (void)cursor;
    (void)fn;
    (void)arg;
    return 0; /* TODO(exercise 1.1): visit the entries of one home slot */
}
