/* shrink.c - solution to exercise 1.2: rebuild the table smaller. */
#include "shrink.h"

#include <stdlib.h>

/* [ch01-sol-shrink] */
int map_shrink_to_fit(map *m)
{
    size_t cap = 8;
    while (cap - cap / 4 < m->count)
        cap *= 2;
    if (cap >= m->cap)
        return 0;
    map_entry *slots = calloc(cap, sizeof *slots);
    if (slots == NULL)
        return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key == NULL)
            continue;
        size_t j = m->slots[i].hash & (cap - 1);
        while (slots[j].key != NULL)
            j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}
/* [ch01-sol-shrink] */
