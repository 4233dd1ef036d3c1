/* store_scan.c - resumable walks in scan-position order, and their fallback.
 * Chapter 11.
 *
 * A key's scan position is its hash read the way the tries read it: the
 * hamt (chapter 5) and ptrie (chapter 8) variants pick a child at depth d
 * with bits 5d..5d+4 of hash_bytes(), so a walk of either trie in slot
 * order visits keys sorted by the number whose most significant 5 bits
 * are the depth-0 piece, the next 5 the depth-1 piece, and so on (12
 * pieces of 5 bits and a last one of 4: 64 bits).  Those two variants
 * resume a walk by descending along the cursor's pieces (store_hamt.c,
 * store_ptrie.c).  The other variants keep their keys in hash tables
 * whose order changes as they grow, so they have no position to resume
 * from; for them store_scan() walks everything and keeps the slice
 * [cursor, the count-th smallest position]: O(n log n) a call, correct,
 * and clearly the price of a store that was never meant to serve SCAN.
 */
#include "store.h"

#include "alloc.h"
#include "hash.h"

#include <stdlib.h>

/* [ch11-scan-pos] */
uint64_t store_scan_pos(const void *key, size_t klen)
{
    uint64_t h = hash_bytes(key, klen);
    uint64_t p = 0;
    for (unsigned d = 0; d < 12; d++)
        p = (p << 5) | ((h >> (5 * d)) & 31u);
    return (p << 4) | (h >> 60);
}
/* [ch11-scan-pos] */

/** The fallback's passes. */
typedef struct fb_ctx {
    uint64_t cursor;  /**< first position wanted */
    uint64_t *pos;    /**< pass 1: positions >= cursor */
    size_t n, cap;    /**< used, allocated */
    uint64_t limit;   /**< pass 2: last position visited */
    store_iter_fn *fn;/**< the caller's callback */
    void *arg;        /**< its argument */
} fb_ctx;

static int fb_collect(const void *key, size_t klen, const value *v, void *arg)
{
    (void)v;
    fb_ctx *c = arg;
    uint64_t p = store_scan_pos(key, klen);
    if (p < c->cursor)
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        uint64_t *np = xrealloc(c->pos, cap * sizeof *np);
        if (np == NULL)
            return -1;
        c->pos = np;
        c->cap = cap;
    }
    c->pos[c->n++] = p;
    return 0;
}

static int fb_visit(const void *key, size_t klen, const value *v, void *arg)
{
    fb_ctx *c = arg;
    uint64_t p = store_scan_pos(key, klen);
    return p >= c->cursor && p <= c->limit ? c->fn(key, klen, v, c->arg) : 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int scan_fallback(store_reader *r, uint64_t cursor, size_t count,
                         store_iter_fn *fn, void *arg, uint64_t *next)
{
    fb_ctx c = {.cursor = cursor, .fn = fn, .arg = arg};
    if (store_iterate(r, fb_collect, &c) != 0) {
        free(c.pos);
        errno = ENOMEM;
        return -1;
    }
    if (c.n == 0) {
        *next = 0;
        return 0;
    }
    qsort(c.pos, c.n, sizeof *c.pos, cmp_u64);
    size_t last = (count < c.n ? count : c.n) - 1;
    while (last + 1 < c.n && c.pos[last + 1] == c.pos[last])
        last++; /* keys of one position go together */
    c.limit = c.pos[last];
    uint64_t after = last + 1 < c.n ? c.pos[last + 1] : 0;
    free(c.pos);
    int rc = store_iterate(r, fb_visit, &c);
    if (rc == 0)
        *next = after;
    return rc;
}

int store_scan(store_reader *r, uint64_t cursor, size_t count,
               store_iter_fn *fn, void *arg, uint64_t *next)
{
    if (count == 0)
        count = 1;
    if (r->owner->ops->scan != NULL)
        return r->owner->ops->scan(r, cursor, count, fn, arg, next);
    return scan_fallback(r, cursor, count, fn, arg, next);
}
