/* scan_ex.c - exercise 11.2: a SCAN that survives a full resync (see
 * scan_ex.h). */
#include "scan_ex.h"

/** The starter's walk. */
typedef struct skip_ctx {
    uint64_t skip;      /**< keys still to pass over */
    size_t left;        /**< keys still to visit */
    uint64_t seen;      /**< keys seen so far */
    store_iter_fn *fn;  /**< the caller's callback */
    void *arg;          /**< its argument */
    int rc;             /**< fn's non-zero result, if it stopped the walk */
} skip_ctx;

static int skip_one(const void *key, size_t klen, const value *v, void *arg)
{
    skip_ctx *s = arg;
    if (s->left == 0)
        return 1; /* one more key exists: stop, not done */
    s->seen++;
    if (s->skip > 0) {
        s->skip--;
        return 0;
    }
    s->left--;
    s->rc = s->fn(key, klen, v, s->arg);
    return s->rc != 0 ? 2 : 0; /* 1 is "count reached" */
}

/* Starter: the cursor counts the keys visited so far, in the store's
 * iteration order.  That order is the store's, not the keys': adding a
 * key before the cursor, or moving to a keyspace laid out differently,
 * shifts every later key.  Make the cursor a scan position instead
 * (scan_ex.h). */
int ex_scan(keyspace_reader *r, unsigned db, uint64_t cursor, size_t count,
            store_iter_fn *fn, void *arg, uint64_t *next)
{
    skip_ctx s = {.skip = cursor, .left = count ? count : 1, .fn = fn,
                  .arg = arg};
    int rc = keyspace_iterate(r, db, skip_one, &s);
    if (rc == 2)
        return s.rc;
    *next = rc == 1 ? s.seen : 0;
    return 0;
}
