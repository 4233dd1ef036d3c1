/* scan_ex.c - exercise 11.2, solved: a SCAN that survives a full resync
 * (see scan_ex.h). */
#include "scan_ex.h"

#include "alloc.h"

#include <errno.h>
#include <stdlib.h>

/** A key still to visit, with its position. */
typedef struct scan_key {
    uint64_t pos;       /**< store_scan_pos() of the key */
    const void *key;    /**< the key (valid for the section) */
    size_t klen;        /**< its length */
    const value *v;     /**< its value */
} scan_key;

/** The walk that collects the keys at or past the cursor. */
typedef struct collect_ctx {
    uint64_t cursor;    /**< the first position to keep */
    scan_key *k;        /**< the keys kept */
    size_t n, cap;      /**< used, allocated */
} collect_ctx;

static int collect_one(const void *key, size_t klen, const value *v,
                       void *arg)
{
    collect_ctx *c = arg;
    uint64_t pos = store_scan_pos(key, klen);
    if (pos < c->cursor)
        return 0; /* visited by an earlier call */
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        scan_key *nk = xrealloc(c->k, cap * sizeof *nk);
        if (nk == NULL)
            return -1;
        c->k = nk;
        c->cap = cap;
    }
    c->k[c->n++] = (scan_key){pos, key, klen, v};
    return 0;
}

static int by_pos(const void *a, const void *b)
{
    uint64_t x = ((const scan_key *)a)->pos, y = ((const scan_key *)b)->pos;
    return (x > y) - (x < y);
}

/* One walk of the database keeps the keys at or past the cursor; sorted
 * by position, the first count of them (and any sharing the last one's
 * position) are this call's, and the position of the one after is the
 * next cursor.  O(n log n) per call and O(n) memory: the price of a
 * store that cannot seek (keyspace_scan() can). */
int ex_scan(keyspace_reader *r, unsigned db, uint64_t cursor, size_t count,
            store_iter_fn *fn, void *arg, uint64_t *next)
{
    collect_ctx c = {.cursor = cursor};
    if (count == 0)
        count = 1;
    if (keyspace_iterate(r, db, collect_one, &c) != 0) {
        free(c.k);
        errno = ENOMEM;
        return -1;
    }
    qsort(c.k, c.n, sizeof *c.k, by_pos);
    size_t i = 0;
    int rc = 0;
    while (i < c.n && (i < count || c.k[i].pos == c.k[i - 1].pos)) {
        rc = fn(c.k[i].key, c.k[i].klen, c.k[i].v, arg);
        if (rc != 0)
            break;
        i++;
    }
    if (rc == 0)
        *next = i < c.n ? c.k[i].pos : 0;
    free(c.k);
    return rc;
}
