/* store_striped.c - 16 shards, each a kvmap behind its own rwlock.
 *
 * A key's shard is picked by the top bits of its hash.  A read section may
 * touch several shards: get() read-locks a key's shard the first time the
 * section touches it and keeps it locked until read_end(), so that every
 * value pointer stays valid for the whole section, as the store contract
 * requires.  count() and iterate() lock every shard.
 *
 * Deadlock.  A section takes shard locks in whatever order its keys come,
 * so the locks are glibc's default kind, which prefers readers: a new
 * reader never queues behind a waiting writer.  With writer-preferring
 * locks, two readers holding shards A and B and each wanting the other's,
 * each behind a queued writer, would wait forever.  Writers hold one lock
 * at a time, so they cannot close a cycle.
 *
 * Cost.  Choosing the shard hashes the key once more (the kvmap hashes it
 * again inside); a benchmark that wanted the last nanosecond would pass
 * the hash down.
 */
#include "store_striped.h"
#include "hash.h"
#include "kvmap.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#define SHARD_BITS 4
#define SHARDS (1u << SHARD_BITS)

/** One shard, alone on its cache lines. */
typedef struct shard {
    _Alignas(128) pthread_rwlock_t lock; /**< guards kv and peak */
    kvmap kv;                            /**< this shard's keys */
    size_t peak;                         /**< most bytes it held */
} shard;

/** The striped store. */
typedef struct striped {
    store base;            /**< the shared part */
    shard shards[SHARDS];  /**< the shards, by top hash bits */
} striped;

/** A reader: which shards its current section holds. */
typedef struct striped_reader {
    store_reader base; /**< the shared part */
    uint32_t held;     /**< bit i: shard i is read-locked */
} striped_reader;

static unsigned shard_of(const void *key, size_t klen)
{
    return (unsigned)(hash_bytes(key, klen) >> (64 - SHARD_BITS));
}

static store *st_create(void)
{
    striped *s = aligned_alloc(128, sizeof *s);
    if (s == NULL)
        return NULL;
    for (unsigned i = 0; i < SHARDS; i++) {
        if (kvmap_init(&s->shards[i].kv, 0) != 0) {
            while (i-- > 0) {
                kvmap_free_all(&s->shards[i].kv);
                pthread_rwlock_destroy(&s->shards[i].lock);
            }
            free(s);
            return NULL;
        }
        pthread_rwlock_init(&s->shards[i].lock, NULL); /* prefers readers */
        s->shards[i].peak = 0;
    }
    s->base.ops = &store_striped_ops;
    return &s->base;
}

static void st_destroy(store *st)
{
    striped *s = (striped *)st;
    for (unsigned i = 0; i < SHARDS; i++) {
        kvmap_free_all(&s->shards[i].kv);
        pthread_rwlock_destroy(&s->shards[i].lock);
    }
    free(s);
}

static store_reader *st_reader_open(store *st)
{
    striped_reader *r = calloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->base.owner = st;
    return &r->base;
}

static void st_reader_close(store_reader *r)
{
    free(r);
}

static void st_read_begin(store_reader *rb)
{
    ((striped_reader *)rb)->held = 0; /* shards are locked on first use */
}

static void st_read_end(store_reader *rb)
{
    striped_reader *r = (striped_reader *)rb;
    striped *s = (striped *)rb->owner;
    for (unsigned i = 0; i < SHARDS; i++)
        if (r->held & (UINT32_C(1) << i))
            pthread_rwlock_unlock(&s->shards[i].lock);
    r->held = 0;
}

/* Read-lock shard i for the rest of the section, once. */
static kvmap *hold(striped_reader *r, unsigned i)
{
    striped *s = (striped *)r->base.owner;
    if (!(r->held & (UINT32_C(1) << i))) {
        pthread_rwlock_rdlock(&s->shards[i].lock);
        r->held |= UINT32_C(1) << i;
    }
    return &s->shards[i].kv;
}

static const value *st_get(store_reader *rb, const void *key, size_t klen)
{
    return kvmap_get(hold((striped_reader *)rb, shard_of(key, klen)), key,
                     klen);
}

static size_t st_count(store_reader *rb)
{
    size_t n = 0;
    for (unsigned i = 0; i < SHARDS; i++)
        n += hold((striped_reader *)rb, i)->m.count;
    return n;
}

static int st_iterate(store_reader *rb, store_iter_fn *fn, void *arg)
{
    for (unsigned i = 0; i < SHARDS; i++) {
        int rc = kvmap_iterate(hold((striped_reader *)rb, i), fn, arg);
        if (rc != 0)
            return rc;
    }
    return 0;
}

static int st_set(store *st, const void *key, size_t klen, value *v)
{
    shard *sh = &((striped *)st)->shards[shard_of(key, klen)];
    value *old = NULL;
    pthread_rwlock_wrlock(&sh->lock);
    int rc = kvmap_put(&sh->kv, key, klen, v, &old);
    if (rc == 0 && kvmap_bytes(&sh->kv) > sh->peak)
        sh->peak = kvmap_bytes(&sh->kv);
    pthread_rwlock_unlock(&sh->lock);
    value_free(rc == 0 ? old : v);
    return rc;
}

static int st_del(store *st, const void *key, size_t klen)
{
    shard *sh = &((striped *)st)->shards[shard_of(key, klen)];
    void *k = NULL;
    value *v = NULL;
    pthread_rwlock_wrlock(&sh->lock);
    bool found = kvmap_remove(&sh->kv, key, klen, &k, &v);
    pthread_rwlock_unlock(&sh->lock);
    free(k);
    value_free(v);
    return found ? 1 : 0;
}

static void st_stats(store *st, store_stats *out)
{
    striped *s = (striped *)st;
    *out = (store_stats){ 0 };
    for (unsigned i = 0; i < SHARDS; i++) {
        shard *sh = &s->shards[i];
        pthread_rwlock_rdlock(&sh->lock);
        out->keys += sh->kv.m.count;
        out->bytes += kvmap_bytes(&sh->kv);
        /* The sum of each shard's peak: an upper bound of the store's. */
        out->peak_bytes += sh->peak;
        pthread_rwlock_unlock(&sh->lock);
    }
}

const store_ops store_striped_ops = {
    .name = "striped",
    .summary = "16 shards, each a map behind its own rwlock",
    .create = st_create,
    .destroy = st_destroy,
    .reader_open = st_reader_open,
    .reader_close = st_reader_close,
    .read_begin = st_read_begin,
    .read_end = st_read_end,
    .get = st_get,
    .count = st_count,
    .iterate = st_iterate,
    .set = st_set,
    .del = st_del,
    .stats = st_stats,
};
