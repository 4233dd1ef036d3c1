/* store_naive.c - a kvmap behind the store interface, with no locking.
 * Chapter 1; extended in chapter 5.
 *
 * Every operation goes straight to the map.  A value returned by get() stays
 * valid until the next write (not merely until read_end()), which is what
 * single-threaded code expects of a hash map, and is exactly the promise
 * that breaks as soon as a second thread writes.
 */
#include "store_naive.h"
#include "alloc.h"
#include "kvmap.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct naive {
    store base;
    kvmap kv;
    size_t peak;
} naive;

typedef struct naive_reader {
    store_reader base;
} naive_reader;

static store *naive_create(void)
{
    naive *s = xcalloc(1, sizeof *s);
    if (s == NULL || kvmap_init(&s->kv, 0) != 0) {
        free(s);
        return NULL;
    }
    s->base.ops = &store_naive_ops;
    return &s->base;
}

static void naive_destroy(store *st)
{
    naive *s = (naive *)st;
    kvmap_free_all(&s->kv);
    free(s);
}

static store_reader *naive_reader_open(store *st)
{
    naive_reader *r = xcalloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->base.owner = st;
    return &r->base;
}

static void naive_reader_close(store_reader *r)
{
    /* A section left open here would never end: for the rwlock its read
     * lock would be held for ever.  Nothing closes it for us. */
    if (r->in_section) {
        fprintf(stderr, "store_reader_close(naive): the reader is inside a "
                        "read section\n");
        abort();
    }
    free(r);
}

/* [ch01-naive-section] */
static void naive_read_begin(store_reader *r)
{
    (void)r; /* nothing to announce: nobody else is supposed to be here */
}

static void naive_read_end(store_reader *r)
{
    (void)r;
}

static const value *naive_get(store_reader *r, const void *key, size_t klen)
{
    naive *s = (naive *)r->owner;
    return kvmap_get(&s->kv, key, klen);
}
/* [ch01-naive-section] */

static size_t naive_count(store_reader *r)
{
    return ((naive *)r->owner)->kv.m.count;
}

static int naive_iterate(store_reader *r, store_iter_fn *fn, void *arg)
{
    return kvmap_iterate(&((naive *)r->owner)->kv, fn, arg);
}

static void note_peak(naive *s)
{
    size_t now = kvmap_bytes(&s->kv);
    if (now > s->peak)
        s->peak = now;
}

/* [ch01-naive-set] */
static int naive_set(store *st, const void *key, size_t klen, value *v)
{
    naive *s = (naive *)st;
    value *old;
    if (kvmap_put(&s->kv, key, klen, v, &old) != 0) {
        value_free(v);
        return -1;
    }
    value_free(old); /* nobody else can hold it: single-threaded by contract */
    note_peak(s);
    return 0;
}
/* [ch01-naive-set] */

static int naive_del(store *st, const void *key, size_t klen)
{
    naive *s = (naive *)st;
    void *k;
    value *v;
    if (!kvmap_remove(&s->kv, key, klen, &k, &v))
        return 0;
    free(k);
    value_free(v);
    return 1;
}

/* Prepare every allocation, then apply: nothing can fail half-way. */
static int naive_apply(store *st, store_change *ch, size_t n)
{
    naive *s = (naive *)st;
    kvmap_batch b;
    if (kvmap_batch_prepare(&b, ch, n) != 0)
        return -1;
    if (kvmap_reserve(&s->kv, b.sets) != 0) {
        kvmap_batch_abort(&b, kvmap_batch_first_set(&b));
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        kvmap_batch_apply(&s->kv, &b, i);
    note_peak(s);
    kvmap_batch_end(&b); /* nobody else can hold what it replaced */
    return 0;
}

static void naive_stats(store *st, store_stats *out)
{
    naive *s = (naive *)st;
    *out = (store_stats){
        .keys = s->kv.m.count,
        .bytes = kvmap_bytes(&s->kv),
        .peak_bytes = s->peak,
    };
}

const store_ops store_naive_ops = {
    .name = "naive",
    .summary = "no synchronisation (single thread only; the baseline)",
    .create = naive_create,
    .destroy = naive_destroy,
    .reader_open = naive_reader_open,
    .reader_close = naive_reader_close,
    .read_begin = naive_read_begin,
    .read_end = naive_read_end,
    .get = naive_get,
    .count = naive_count,
    .iterate = naive_iterate,
    .set = naive_set,
    .del = naive_del,
    .stats = naive_stats,
    .apply = naive_apply,
};
