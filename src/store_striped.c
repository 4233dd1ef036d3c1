/* store_striped.c - 16 shards, each a kvmap behind its own rwlock.
 * Chapter 5.
 *
 * A key's shard is picked by the top bits of its hash.  A get() read-locks
 * the key's shard, looks the key up and unlocks again: readers never hold
 * two shard locks at once, so no order between shard locks exists that two
 * threads could take in opposite directions (ThreadSanitizer checks this).
 *
 * But the store contract says a value pointer stays valid until
 * read_end(), long after the shard lock is dropped, and a writer on that
 * shard may replace the value meanwhile.  So even a lock-based store needs
 * reclamation here: each shard has its own epoch domain, a reader enters
 * a shard's domain the first time its section touches that shard, and a
 * writer retires replaced values to it instead of freeing them.  Keys are
 * compared only under the shard lock, so a deleted key is freed at once.
 * The queue link for a retired value is allocated before the write takes
 * the shard lock, so retiring cannot fail and no write waits for readers.
 * One domain per shard keeps writers of different shards apart, which is
 * the whole point of striping.
 *
 * Cost.  Choosing the shard hashes the key once more (the kvmap hashes it
 * again inside); a benchmark that wanted the last nanosecond would pass
 * the hash down.
 */
#include "store_striped.h"
#include "alloc.h"
#include "ebr.h"
#include "hash.h"
#include "kvmap.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHARD_BITS 4
#define SHARDS (1u << SHARD_BITS)
#define RECLAIM_EVERY 16 /* writes to a shard between epoch advances */

/** One shard, alone on its cache lines. */
typedef struct shard {
    _Alignas(128) pthread_rwlock_t lock; /**< guards the fields below */
    kvmap kv;                            /**< this shard's keys */
    size_t peak;                         /**< most bytes it held */
    unsigned writes;                     /**< since the last reclaim */
    ebr *dom;                            /**< where its old values wait */
} shard;

/** The striped store. */
typedef struct striped {
    store base;           /**< the shared part */
    shard shards[SHARDS]; /**< the shards, by top hash bits */
} striped;

/** A reader: one epoch slot per shard, and which ones it entered.  Written
 *  at every begin and end, so each handle is alone on its 128 bytes. */
typedef struct striped_reader {
    _Alignas(128) store_reader base; /**< the shared part */
    uint32_t entered;       /**< bit i: inside shard i's epoch section */
    ebr_reader *er[SHARDS]; /**< this thread's slot in each shard's domain */
} striped_reader;

static unsigned shard_of(const void *key, size_t klen)
{
    return (unsigned)(hash_bytes(key, klen) >> (64 - SHARD_BITS));
}

/** A replaced value on its way through a shard's epoch domain. */
typedef struct retired_value {
    ebr_node node; /**< the domain's queue link */
    value *v;      /**< the value, freed with the box */
} retired_value;

static void retired_value_free(ebr_node *n)
{
    retired_value *rv =
        (retired_value *)(void *)((char *)n - offsetof(retired_value, node));
    value_free(rv->v);
    free(rv);
}

static void st_destroy(store *st)
{
    striped *s = (striped *)st;
    for (unsigned i = 0; i < SHARDS; i++) {
        /* frees the retired values, unless a reader is still open */
        if (ebr_destroy(s->shards[i].dom) != 0) {
            fprintf(stderr, "store_destroy(striped): a reader is still "
                            "open\n");
            abort();
        }
        kvmap_free_all(&s->shards[i].kv);
        pthread_rwlock_destroy(&s->shards[i].lock);
    }
    free(s);
}

static store *st_create(void)
{
    striped *s = xaligned_alloc(128, sizeof *s);
    if (s == NULL)
        return NULL;
    memset(s, 0, sizeof *s);
    s->base.ops = &store_striped_ops;
    bool ok = true;
    for (unsigned i = 0; i < SHARDS; i++) {
        /* glibc's default kind; a reader holds one shard lock at a time */
        pthread_rwlock_init(&s->shards[i].lock, NULL);
        s->shards[i].dom = ebr_create();
        if (s->shards[i].dom == NULL || kvmap_init(&s->shards[i].kv, 0) != 0)
            ok = false;
    }
    if (!ok) {
        st_destroy(&s->base);
        return NULL;
    }
    return &s->base;
}

static void st_reader_close(store_reader *rb)
{
    striped_reader *r = (striped_reader *)rb;
    for (unsigned i = 0; i < SHARDS; i++) {
        if (ebr_unregister(r->er[i]) != 0) { /* EBUSY: inside a section */
            fprintf(stderr, "store_reader_close(striped): the reader is "
                            "inside a read section\n");
            abort();
        }
    }
    free(r);
}

static store_reader *st_reader_open(store *st)
{
    striped_reader *r = xaligned_alloc(128, sizeof *r);
    if (r == NULL)
        return NULL;
    memset(r, 0, sizeof *r);
    r->base.owner = st;
    for (unsigned i = 0; i < SHARDS; i++) {
        r->er[i] = ebr_register(((striped *)st)->shards[i].dom);
        if (r->er[i] == NULL) {
            st_reader_close(&r->base);
            return NULL;
        }
    }
    return &r->base;
}

static void st_read_begin(store_reader *rb)
{
    ((striped_reader *)rb)->entered = 0; /* shards are entered on first use */
}

static void st_read_end(store_reader *rb)
{
    striped_reader *r = (striped_reader *)rb;
    for (unsigned i = 0; i < SHARDS; i++)
        if (r->entered & (UINT32_C(1) << i))
            ebr_exit(r->er[i]);
    r->entered = 0;
}

/* Enter shard i's epoch section for the rest of the read section, once,
 * then take its read lock. */
static shard *lock_shard(striped_reader *r, unsigned i)
{
    if (!(r->entered & (UINT32_C(1) << i))) {
        ebr_enter(r->er[i]);
        r->entered |= UINT32_C(1) << i;
    }
    shard *sh = &((striped *)r->base.owner)->shards[i];
    pthread_rwlock_rdlock(&sh->lock);
    return sh;
}

static const value *st_get(store_reader *rb, const void *key, size_t klen)
{
    shard *sh = lock_shard((striped_reader *)rb, shard_of(key, klen));
    const value *v = kvmap_get(&sh->kv, key, klen);
    pthread_rwlock_unlock(&sh->lock);
    return v; /* kept alive by the shard's epoch section, not the lock */
}

static size_t st_count(store_reader *rb)
{
    size_t n = 0;
    for (unsigned i = 0; i < SHARDS; i++) {
        shard *sh = lock_shard((striped_reader *)rb, i);
        n += sh->kv.m.count;
        pthread_rwlock_unlock(&sh->lock);
    }
    return n;
}

static int st_iterate(store_reader *rb, store_iter_fn *fn, void *arg)
{
    for (unsigned i = 0; i < SHARDS; i++) {
        shard *sh = lock_shard((striped_reader *)rb, i);
        int rc = kvmap_iterate(&sh->kv, fn, arg);
        pthread_rwlock_unlock(&sh->lock);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* Hand a replaced value to the shard's domain in the box allocated before
 * the write (freed unused if nothing was replaced); called without the
 * lock.  Cannot fail. */
static void retire_value(shard *sh, retired_value *box, value *old,
                         bool reclaim)
{
    if (old != NULL) {
        box->v = old;
        ebr_retire(sh->dom, &box->node, retired_value_free,
                   value_charge(old));
    } else {
        free(box);
    }
    if (reclaim)
        ebr_reclaim(sh->dom);
}

static int st_set(store *st, const void *key, size_t klen, value *v)
{
    shard *sh = &((striped *)st)->shards[shard_of(key, klen)];
    value *old = NULL;
    retired_value *box = xmalloc(sizeof *box); /* before any change */
    if (box == NULL) {
        value_free(v);
        errno = ENOMEM;
        return -1;
    }
    pthread_rwlock_wrlock(&sh->lock);
    int rc = kvmap_put(&sh->kv, key, klen, v, &old);
    if (rc == 0 && kvmap_bytes(&sh->kv) > sh->peak)
        sh->peak = kvmap_bytes(&sh->kv);
    bool reclaim = ++sh->writes % RECLAIM_EVERY == 0;
    pthread_rwlock_unlock(&sh->lock);
    if (rc != 0) {
        value_free(v); /* never stored: nobody can hold it */
        free(box);
        return rc;
    }
    retire_value(sh, box, old, reclaim);
    return 0;
}

static int st_del(store *st, const void *key, size_t klen)
{
    shard *sh = &((striped *)st)->shards[shard_of(key, klen)];
    void *k = NULL;
    value *v = NULL;
    retired_value *box = xmalloc(sizeof *box); /* before any change */
    if (box == NULL) {
        errno = ENOMEM;
        return -1;
    }
    pthread_rwlock_wrlock(&sh->lock);
    bool found = kvmap_remove(&sh->kv, key, klen, &k, &v);
    bool reclaim = ++sh->writes % RECLAIM_EVERY == 0;
    pthread_rwlock_unlock(&sh->lock);
    free(k); /* keys are only read under the shard lock */
    retire_value(sh, box, v, reclaim);
    return found ? 1 : 0;
}

/* A batch locks every shard it touches, in index order (so two batches
 * cannot deadlock), for the whole batch: a get() sees the batch's keys of
 * its shard all changed or none.  Key copies are made before locking and
 * table room reserved before changing anything (kvmap_batch.c), so a
 * failure changes nothing. */
static int st_apply(store *st, store_change *ch, size_t n)
{
    striped *s = (striped *)st;
    kvmap_batch b;
    if (kvmap_batch_prepare(&b, ch, n) != 0)
        return -1;
    /* One retire box per change, before any lock or change: whatever a
     * change replaces or removes can then be retired without allocating. */
    retired_value **boxes = n > 0 ? xcalloc(n, sizeof *boxes) : NULL;
    for (size_t i = 0; i < n; i++) {
        if (boxes != NULL)
            boxes[i] = xmalloc(sizeof *boxes[i]);
        if (boxes == NULL || boxes[i] == NULL) {
            for (size_t j = 0; boxes != NULL && j < i; j++)
                free(boxes[j]);
            free(boxes);
            kvmap_batch_abort(&b, i);
            return -1;
        }
    }
    uint32_t touched = 0;
    size_t sets[SHARDS] = { 0 }, first_set[SHARDS] = { 0 };
    for (size_t i = 0; i < n; i++) {
        unsigned k = shard_of(ch[i].key, ch[i].klen);
        touched |= UINT32_C(1) << k;
        if (ch[i].kind == STORE_CHANGE_SET && sets[k]++ == 0)
            first_set[k] = i;
    }
    for (unsigned k = 0; k < SHARDS; k++)
        if (touched & (UINT32_C(1) << k))
            pthread_rwlock_wrlock(&s->shards[k].lock);
    size_t failed = SIZE_MAX;
    for (unsigned k = 0; k < SHARDS && failed == SIZE_MAX; k++)
        if (sets[k] > 0 && kvmap_reserve(&s->shards[k].kv, sets[k]) != 0)
            failed = first_set[k];
    if (failed == SIZE_MAX)
        for (size_t i = 0; i < n; i++)
            kvmap_batch_apply(&s->shards[shard_of(ch[i].key, ch[i].klen)].kv,
                              &b, i);
    uint32_t reclaim = 0;
    for (unsigned k = 0; k < SHARDS; k++) {
        if (!(touched & (UINT32_C(1) << k)))
            continue;
        shard *sh = &s->shards[k];
        if (failed == SIZE_MAX) {
            if (kvmap_bytes(&sh->kv) > sh->peak)
                sh->peak = kvmap_bytes(&sh->kv);
            if (++sh->writes % RECLAIM_EVERY == 0)
                reclaim |= UINT32_C(1) << k;
        }
        pthread_rwlock_unlock(&sh->lock);
    }
    if (failed != SIZE_MAX) {
        for (size_t i = 0; i < n; i++)
            free(boxes[i]);
        free(boxes);
        kvmap_batch_abort(&b, failed);
        return -1;
    }
    /* Keys are only read under a shard lock: kvmap_batch_end frees them.
     * Values may still be in a reader's hands: retire those. */
    for (size_t i = 0; i < n; i++) {
        retire_value(&s->shards[shard_of(ch[i].key, ch[i].klen)], boxes[i],
                     b.left[i].val, false); /* frees an unused box */
        b.left[i].val = NULL;
    }
    free(boxes);
    for (unsigned k = 0; k < SHARDS; k++)
        if (reclaim & (UINT32_C(1) << k))
            ebr_reclaim(s->shards[k].dom);
    kvmap_batch_end(&b);
    return 0;
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
        ebr_report rep;
        ebr_report_get(sh->dom, &rep);
        out->retired_pending += rep.pending;
        out->retired_bytes += rep.pending_bytes;
        out->retired_peak += rep.peak_bytes; /* an upper bound, as above */
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
    .apply = st_apply,
};
