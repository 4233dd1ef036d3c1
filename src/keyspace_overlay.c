/* keyspace_overlay.c - a batch's pending changes, one entry per key.
 * Chapter 9.
 *
 * The overlay holds one entry per key a batch touched: the entries sit in
 * an array in the order keys were first changed (the order commit hands
 * them to the store), an open-addressing index of 32-bit slots finds them
 * by hash (linear probing, at most half full, no deletes: an entry lives
 * until the batch ends), and their key bytes are copied into an arena of
 * 16 KiB blocks.  Ending a batch clears the slots its entries used and
 * keeps the array, the index and one block, so the next batch of the same
 * size allocates nothing here; an index grown past 64 Ki slots by one huge
 * batch (a FLUSHALL of a big keyspace) is freed instead of kept.
 */
#include "keyspace_internal.h"
#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_BYTES 16384u /* arena block for short keys */
#define MIN_SLOTS 64u      /* smallest index */

void ks_overlay_clear(ks_overlay *ov)
{
    for (size_t i = 0; i < ov->n; i++) {
        ks_ent *e = &ov->ents[i];
        value_free(e->v);
        e->v = NULL;
    }
    if (ov->idx != NULL) {
        /* Few entries: clear their slots; many: the whole index. */
        if (ov->n * 4 < ov->mask + 1) {
            for (size_t i = 0; i < ov->n; i++) {
                size_t s = (size_t)ov->ents[i].hash & ov->mask;
                while (ov->idx[s] != 0) {
                    ov->idx[s] = 0;
                    s = (s + 1) & ov->mask;
                }
            }
        } else {
            memset(ov->idx, 0, (ov->mask + 1) * sizeof *ov->idx);
        }
    }
    ov->n = 0;
    /* Keep the newest block for the next batch; free the others. */
    if (ov->arena != NULL) {
        ks_chunk *c = ov->arena->next;
        while (c != NULL) {
            ks_chunk *next = c->next;
            free(c);
            c = next;
        }
        ov->arena->next = NULL;
        ov->arena->used = 0;
        if (ov->arena->cap > CHUNK_BYTES) { /* one huge key: drop it */
            free(ov->arena);
            ov->arena = NULL;
        }
    }
    /* An index grown by one huge batch (a FLUSHALL) is not kept. */
    if (ov->mask + 1 > 65536) {
        free(ov->idx);
        free(ov->ents);
        ov->idx = NULL;
        ov->ents = NULL;
        ov->mask = 0;
        ov->cap = 0;
    }
}

void ks_overlay_free(ks_overlay *ov)
{
    ks_overlay_clear(ov);
    if (ov->arena != NULL)
        free(ov->arena);
    free(ov->idx);
    free(ov->ents);
    memset(ov, 0, sizeof *ov);
}

ks_ent *ks_overlay_find(const ks_overlay *ov, const unsigned char *k,
                       size_t klen, uint64_t h)
{
    if (ov->n == 0)
        return NULL;
    for (size_t s = (size_t)h & ov->mask;; s = (s + 1) & ov->mask) {
        uint32_t i = ov->idx[s];
        if (i == 0)
            return NULL;
        ks_ent *e = &ov->ents[i - 1];
        if (e->hash == h && e->klen == klen && memcmp(e->key, k, klen) == 0)
            return e;
    }
}

/* Make room for one more entry: grow the array and the index. */
static int ov_reserve(ks_overlay *ov)
{
    if (ov->n == ov->cap) {
        size_t cap = ov->cap ? ov->cap * 2 : 32;
        if (cap > UINT32_MAX - 1) {
            errno = ENOMEM;
            return -1;
        }
        ks_ent *e = xrealloc(ov->ents, cap * sizeof *e);
        if (e == NULL)
            return -1;
        ov->ents = e;
        ov->cap = cap;
    }
    if (ov->idx == NULL || (ov->n + 1) * 2 > ov->mask + 1) {
        size_t slots = ov->idx == NULL ? MIN_SLOTS : (ov->mask + 1) * 2;
        while ((ov->n + 1) * 2 > slots)
            slots *= 2;
        uint32_t *idx = xcalloc(slots, sizeof *idx);
        if (idx == NULL)
            return -1;
        for (size_t i = 0; i < ov->n; i++) {
            size_t s = (size_t)ov->ents[i].hash & (slots - 1);
            while (idx[s] != 0)
                s = (s + 1) & (slots - 1);
            idx[s] = (uint32_t)(i + 1);
        }
        free(ov->idx);
        ov->idx = idx;
        ov->mask = slots - 1;
    }
    return 0;
}

/* Copy an encoded key into the arena. */
static unsigned char *ov_keycopy(ks_overlay *ov, const unsigned char *k,
                                 size_t klen)
{
    ks_chunk *c = ov->arena;
    if (c == NULL || c->cap - c->used < klen) {
        size_t cap = klen > CHUNK_BYTES ? klen : CHUNK_BYTES;
        ks_chunk *nc = xmalloc(sizeof *nc + cap);
        if (nc == NULL)
            return NULL;
        nc->cap = cap;
        nc->used = 0;
        /* A big key's block goes behind the current one, which keeps
         * serving short keys. */
        if (c != NULL && klen > CHUNK_BYTES) {
            nc->next = c->next;
            c->next = nc;
        } else {
            nc->next = c;
            ov->arena = nc;
        }
        c = nc;
    }
    unsigned char *p = c->data + c->used;
    memcpy(p, k, klen);
    c->used += klen;
    return p;
}

ks_ent *ks_overlay_add(ks_overlay *ov, const unsigned char *k, size_t klen,
                      uint64_t h, bool existed)
{
    if (klen > UINT32_MAX) {
        errno = ENOMEM;
        return NULL;
    }
    if (ov_reserve(ov) != 0)
        return NULL;
    unsigned char *copy = ov_keycopy(ov, k, klen);
    if (copy == NULL)
        return NULL;
    size_t s = (size_t)h & ov->mask;
    while (ov->idx[s] != 0)
        s = (s + 1) & ov->mask;
    ks_ent *e = &ov->ents[ov->n];
    *e = (ks_ent){.hash = h, .key = copy, .klen = (uint32_t)klen,
                  .existed = existed, .v = NULL};
    ov->idx[s] = (uint32_t)(++ov->n);
    return e;
}
