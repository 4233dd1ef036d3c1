/* ch01_empty_slot.c - chapter 1's map with the obvious, wrong deletion.
 *
 * Chapter 1 opens with the failure of the map suite against a map_remove()
 * that simply empties the slot of the removed key.  This file makes that
 * failure real instead of remembered: it compiles src/map.c unchanged, with
 * its map_remove() renamed out of the way, and supplies the obvious version
 * under the real name.  `make broken-ch01_empty_slot` links it with chapter
 * 1's suites in place of the library's map.o (every other symbol of map.c is
 * defined here too, so the linker never pulls map.o from libreplica.a).
 *
 * Why it is wrong: open addressing finds a key by walking from its home slot
 * to the first empty slot.  Emptying a slot in the middle of a run cuts the
 * run, and every key placed after the cut can no longer be found.
 * Never built into the library; only for docs/transcripts.
 */
#define map_remove map_remove_shift_back
#include "map.c"
#undef map_remove

bool map_remove(map *m, const void *key, size_t klen, map_entry *removed);

bool map_remove(map *m, const void *key, size_t klen, map_entry *removed)
{
    map_entry *e = map_find(m, key, klen);
    if (e == NULL)
        return false;
    if (removed != NULL)
        *removed = *e;
    *e = (map_entry){ 0 };          /* the bug: the run is cut here */
    m->count--;
    return true;
}
