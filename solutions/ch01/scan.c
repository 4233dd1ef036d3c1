/* scan.c - solution to exercise 1.1: the reverse-binary cursor. */
#include "scan.h"

/* [ch01-sol-scan] */
static size_t reverse_bits(size_t v)
{
    size_t r = 0;
    for (unsigned i = 0; i < sizeof v * 8; i++) {
        r = (r << 1) | (v & 1);
        v >>= 1;
    }
    return r;
}

size_t map_scan(const map *m, size_t cursor, map_scan_fn *fn, void *arg)
{
    if (m->cap == 0)
        return 0;
    size_t mask = m->cap - 1;
    size_t home = cursor & mask;
    /* Entries of this home are in the run that starts at the home slot. */
    for (size_t i = home; m->slots[i].key != NULL; i = (i + 1) & mask)
        if ((m->slots[i].hash & mask) == home)
            fn(&m->slots[i], arg);
    /* Set the bits above the mask so that the increment carries past them,
     * then add one at the top of the reversed cursor. */
    cursor |= ~mask;
    cursor = reverse_bits(cursor);
    cursor++;
    return reverse_bits(cursor);
}
/* [ch01-sol-scan] */
