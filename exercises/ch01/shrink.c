/* shrink.c - exercise 1.2: write map_shrink_to_fit() (see shrink.h).
 *
 * Steps:
 *  1. Find the target capacity: start at 8 and double while
 *     cap - cap / 4 < m->count.  If it is not smaller than m->cap, return 0.
 *  2. calloc the new slot array; on failure return -1.
 *  3. For each occupied old slot, place it in the new array at
 *     (hash & (new_cap - 1)), moving forward past occupied slots.
 *  4. Free the old array and update m->slots and m->cap.
 *  Run `make exercise CH=01` until it passes.
 */
#include "shrink.h"

int map_shrink_to_fit(map *m)
{
    (void)m;
    return 0; /* TODO(exercise 1.2): rebuild the table at the smaller size */
}
