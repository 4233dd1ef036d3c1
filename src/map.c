/* map.c - open addressing with linear probing and backward-shift deletion.
 * Chapter 1; extended in chapter 5.
 *
 * Invariant that every function keeps: for each entry, every slot from its
 * home slot (hash & mask) up to the slot it is in is occupied.  Lookup stops
 * at the first empty slot, so breaking the invariant loses keys; removal
 * therefore shifts entries back rather than leaving a hole.
 */
#include "map.h"
#include "alloc.h"
#include "hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MIN_CAP 8

/* Capacity for n keys at a load factor of at most 3/4. */
static size_t cap_for(size_t n)
{
    size_t cap = MIN_CAP;
    while (cap - cap / 4 < n) {
        if (cap > SIZE_MAX / 2 / sizeof(map_entry))
            return 0;
        cap *= 2;
    }
    return cap;
}

int map_init(map *m, size_t expected, map_hash_fn *hash)
{
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
    m->hash = hash ? hash : hash_bytes;
    if (expected == 0)
        return 0;
    size_t cap = cap_for(expected);
    m->slots = cap ? xcalloc(cap, sizeof *m->slots) : NULL;
    if (m->slots == NULL) {
        errno = ENOMEM;
        return -1;
    }
    m->cap = cap;
    return 0;
}

void map_release(map *m)
{
    free(m->slots);
    m->slots = NULL;
    m->cap = 0;
    m->count = 0;
}

/* [ch01-map-find] */
map_entry *map_find(const map *m, const void *key, size_t klen)
{
    /* learn: ch01 map_find "An open-addressing map" */
    if (m->count == 0)
        return NULL;
    uint64_t h = m->hash(key, klen);
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        map_entry *e = &m->slots[i];
        if (e->key == NULL)
            return NULL;                  /* end of the probe run */
        if (e->hash == h && e->klen == klen &&
            (klen == 0 || memcmp(e->key, key, klen) == 0))
            return e;
    }
    /* learn: end */
}
/* [ch01-map-find] */

/* Put an entry into the first empty slot of its probe run (no checks). */
static void place(map_entry *slots, size_t cap, const map_entry *e)
{
    size_t mask = cap - 1;
    size_t i = e->hash & mask;
    while (slots[i].key != NULL)
        i = (i + 1) & mask;
    slots[i] = *e;
}

static int grow(map *m, size_t need)
{
    size_t cap = cap_for(need);
    if (cap == 0) {
        errno = ENOMEM;
        return -1;
    }
    map_entry *slots = xcalloc(cap, sizeof *slots);
    if (slots == NULL) {
        errno = ENOMEM;
        return -1;
    }
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].key != NULL)
            place(slots, cap, &m->slots[i]);
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int map_insert(map *m, const void *key, size_t klen, void *val)
{
    /* learn: ch01 map_insert "An open-addressing map" */
    if (m->count + 1 > m->cap - m->cap / 4 && grow(m, m->count + 1) != 0)
        return -1;
    map_entry e = { m->hash(key, klen), key, klen, val };
    place(m->slots, m->cap, &e);
    m->count++;
    return 0;
    /* learn: end */
}

int map_reserve(map *m, size_t more)
{
    if (more > SIZE_MAX - m->count) {
        errno = ENOMEM;
        return -1;
    }
    size_t need = m->count + more;
    if (need <= m->cap - m->cap / 4)
        return 0; /* map_insert grows only past this load */
    return grow(m, need);
}

/* [ch01-map-remove] */
bool map_remove(map *m, const void *key, size_t klen, map_entry *removed)
{
    /* learn: ch01 map_remove "Deletion: why the first idea fails" */
    map_entry *e = map_find(m, key, klen);
    if (e == NULL)
        return false;
    if (removed != NULL)
        *removed = *e;
    size_t mask = m->cap - 1;
    size_t hole = (size_t)(e - m->slots);
    /* Walk the rest of the run.  An entry may move back into the hole only
     * if its home slot is not after the hole (cyclically): otherwise the
     * move would put it before its home, where lookups never look. */
    for (size_t j = (hole + 1) & mask; m->slots[j].key != NULL;
         j = (j + 1) & mask) {
        size_t home = m->slots[j].hash & mask;
        size_t dist_home = (j - home) & mask; /* how far j is from home */
        size_t dist_hole = (j - hole) & mask; /* how far j is from hole */
        if (dist_home >= dist_hole) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole] = (map_entry){ 0 };
    m->count--;
    return true;
    /* learn: end */
}
/* [ch01-map-remove] */

int map_clone(map *dst, const map *src)
{
    dst->hash = src->hash;
    dst->count = 0;
    dst->cap = 0;
    dst->slots = NULL;
    if (src->cap == 0)
        return 0;
    dst->slots = xmalloc(src->cap * sizeof *src->slots);
    if (dst->slots == NULL) {
        errno = ENOMEM;
        return -1;
    }
    memcpy(dst->slots, src->slots, src->cap * sizeof *src->slots);
    dst->cap = src->cap;
    dst->count = src->count;
    return 0;
}

map_entry *map_next(const map *m, size_t *pos)
{
    while (*pos < m->cap) {
        map_entry *e = &m->slots[(*pos)++];
        if (e->key != NULL)
            return e;
    }
    return NULL;
}

size_t map_table_bytes(const map *m)
{
    return m->cap * sizeof(map_entry);
}
