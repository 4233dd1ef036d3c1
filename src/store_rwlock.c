/* store_rwlock.c - many readers or one writer, enforced by pthread_rwlock_t.
 * Chapter 2; extended in chapter 5.
 *
 * read_begin() takes the read lock and read_end() drops it, so a value
 * returned by get() is safe exactly until read_end(): a writer can only get
 * the write lock, and so free the value it replaces, once every reader that
 * might hold that value has left.
 *
 * What this costs a reader is the point of chapter 2: taking a read lock is
 * an atomic read-modify-write of the lock word, so every reader on every
 * core writes the same cache line, and the line moves between cores on
 * every lock and unlock.  Readers never wait for each other, yet they do not
 * scale.
 */
#include "store_rwlock.h"
#include "alloc.h"
#include "kvmap.h"

#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/** A reader-writer lock store. */
typedef struct rw {
    store base;            /**< the common part; must be first */
    pthread_rwlock_t lock; /**< read lock for sections, write lock for writes */
    kvmap kv;              /**< the keys and values, guarded by lock */
    size_t peak;           /**< most bytes kv has held; guarded by lock */
} rw;

/** A reader: nothing of its own, the lock lives in the store. */
typedef struct rw_reader {
    store_reader base; /**< the common part; must be first */
} rw_reader;

/* [ch02-create] */
static store *rw_create_kind(const store_ops *ops, int kind)
{
    rw *s = xcalloc(1, sizeof *s);
    if (s == NULL)
        return NULL;
    pthread_rwlockattr_t attr;
    pthread_rwlockattr_init(&attr);
    pthread_rwlockattr_setkind_np(&attr, kind);
    int rc = pthread_rwlock_init(&s->lock, &attr);
    pthread_rwlockattr_destroy(&attr);
    if (rc != 0 || kvmap_init(&s->kv, 0) != 0) {
        if (rc == 0)
            pthread_rwlock_destroy(&s->lock);
        free(s);
        return NULL;
    }
    s->base.ops = ops;
    return &s->base;
}

static store *rw_create(void)
{
    /* PTHREAD_RWLOCK_PREFER_WRITER_NP would be ignored by glibc: POSIX lets
     * a thread take a read lock recursively, and blocking new readers would
     * deadlock such a thread.  Only the NONRECURSIVE kind, which forbids
     * recursive read locks, makes new readers queue behind a writer. */
    return rw_create_kind(&store_rwlock_ops,
                          PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
}
/* [ch02-create] */

static store *rw_create_rp(void)
{
    return rw_create_kind(&store_rwlock_rp_ops, PTHREAD_RWLOCK_PREFER_READER_NP);
}

static void rw_destroy(store *st)
{
    rw *s = (rw *)st;
    kvmap_free_all(&s->kv);
    pthread_rwlock_destroy(&s->lock);
    free(s);
}

static store_reader *rw_reader_open(store *st)
{
    rw_reader *r = xcalloc(1, sizeof *r);
    if (r == NULL)
        return NULL;
    r->base.owner = st;
    return &r->base;
}

static void rw_reader_close(store_reader *r)
{
    /* A section left open here would never end: for the rwlock its read
     * lock would be held for ever.  Nothing closes it for us. */
    if (r->in_section) {
        fprintf(stderr, "store_reader_close(rwlock): the reader is inside a "
                        "read section\n");
        abort();
    }
    free(r);
}

/* [ch02-read-section] */
static void rw_read_begin(store_reader *r)
{
    /* learn: ch02 rw_read_begin "The read section" */
    pthread_rwlock_rdlock(&((rw *)r->owner)->lock);
    /* learn: end */
}

static void rw_read_end(store_reader *r)
{
    /* learn: ch02 rw_read_end "The read section" */
    pthread_rwlock_unlock(&((rw *)r->owner)->lock);
    /* learn: end */
}

static const value *rw_get(store_reader *r, const void *key, size_t klen)
{
    /* learn: ch02 rw_get "The read section" */
    /* The caller holds the read lock: no writer can change the map, or free
     * the value we return, until it calls read_end(). */
    return kvmap_get(&((rw *)r->owner)->kv, key, klen);
    /* learn: end */
}
/* [ch02-read-section] */

static size_t rw_count(store_reader *r)
{
    return ((rw *)r->owner)->kv.m.count;
}

static int rw_iterate(store_reader *r, store_iter_fn *fn, void *arg)
{
    return kvmap_iterate(&((rw *)r->owner)->kv, fn, arg);
}

/* [ch02-set] */
static int rw_set(store *st, const void *key, size_t klen, value *v)
{
    /* learn: ch02 rw_set "The write" */
    rw *s = (rw *)st;
    value *old = NULL;
    pthread_rwlock_wrlock(&s->lock);
    int rc = kvmap_put(&s->kv, key, klen, v, &old);
    if (rc == 0 && kvmap_bytes(&s->kv) > s->peak)
        s->peak = kvmap_bytes(&s->kv);
    pthread_rwlock_unlock(&s->lock);
    /* Freed after unlocking: no reader can still see `old` (they all left
     * before we got the write lock, and new ones find `v`), and free() is
     * work that need not hold readers off. */
    value_free(rc == 0 ? old : v);
    return rc;
    /* learn: end */
}
/* [ch02-set] */

static int rw_del(store *st, const void *key, size_t klen)
{
    /* learn: ch02 rw_del "The write" */
    rw *s = (rw *)st;
    void *k = NULL;
    value *v = NULL;
    pthread_rwlock_wrlock(&s->lock);
    bool found = kvmap_remove(&s->kv, key, klen, &k, &v);
    pthread_rwlock_unlock(&s->lock);
    free(k);
    value_free(v);
    return found ? 1 : 0;
    /* learn: end */
}

/* [ch05-rwlock-apply] */
/* A batch under one hold of the write lock.  All or nothing by
 * pre-allocation, not an undo log: the key copies are made before the
 * lock is taken, the table room right after, and from then on applying is
 * pointer moves that cannot fail.  An undo log would have to re-insert
 * deleted keys on failure, which can itself need memory. */
static int rw_apply(store *st, store_change *ch, size_t n)
{
    rw *s = (rw *)st;
    kvmap_batch b;
    if (kvmap_batch_prepare(&b, ch, n) != 0)
        return -1;
    pthread_rwlock_wrlock(&s->lock);
    if (kvmap_reserve(&s->kv, b.sets) != 0) {
        pthread_rwlock_unlock(&s->lock);
        kvmap_batch_abort(&b, kvmap_batch_first_set(&b));
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        kvmap_batch_apply(&s->kv, &b, i);
    if (kvmap_bytes(&s->kv) > s->peak)
        s->peak = kvmap_bytes(&s->kv);
    pthread_rwlock_unlock(&s->lock);
    kvmap_batch_end(&b); /* as in rw_set: freed after unlocking */
    return 0;
}
/* [ch05-rwlock-apply] */

static void rw_stats(store *st, store_stats *out)
{
    rw *s = (rw *)st;
    pthread_rwlock_rdlock(&s->lock);
    *out = (store_stats){
        .keys = s->kv.m.count,
        .bytes = kvmap_bytes(&s->kv),
        .peak_bytes = s->peak,
    };
    pthread_rwlock_unlock(&s->lock);
}

#define RW_OPS_COMMON                  \
    .destroy = rw_destroy,             \
    .reader_open = rw_reader_open,     \
    .reader_close = rw_reader_close,   \
    .read_begin = rw_read_begin,       \
    .read_end = rw_read_end,           \
    .get = rw_get,                     \
    .count = rw_count,                 \
    .iterate = rw_iterate,             \
    .set = rw_set,                     \
    .del = rw_del,                     \
    .stats = rw_stats,                 \
    .apply = rw_apply

const store_ops store_rwlock_ops = {
    .name = "rwlock",
    .summary = "pthread rwlock, writer-preferring (like Go's sync.RWMutex)",
    .create = rw_create,
    RW_OPS_COMMON,
};

const store_ops store_rwlock_rp_ops = {
    .name = "rwlock-rp",
    .summary = "pthread rwlock, glibc default (reader-preferring)",
    .create = rw_create_rp,
    RW_OPS_COMMON,
};

/* [ch02-try-read] */
int store_rwlock_try_read_begin(store_reader *r)
{
    assert(!r->in_section && "store_rwlock_try_read_begin: this handle is "
                             "already inside a section");
    int rc = pthread_rwlock_tryrdlock(&((rw *)r->owner)->lock);
    if (rc == 0) {
        r->in_section = 1; /* as store_read_begin() would */
        return 1;
    }
    if (rc == EBUSY)
        return 0;
    errno = rc;
    return -1;
}
/* [ch02-try-read] */

/* [ch02-peek] */
store_rwlock_word store_rwlock_peek_lock(pthread_rwlock_t *lock)
{
    /* glibc changes this word only with atomic instructions; a relaxed
     * atomic load gives one consistent value of it, which is all a
     * snapshot can promise. */
    unsigned w = __atomic_load_n(&lock->__data.__readers, __ATOMIC_RELAXED);
    return (store_rwlock_word){
        .readers = w >> 3,
        .writer_claimed = (w & 2u) != 0,
        .write_phase = (w & 1u) != 0,
    };
}
/* [ch02-peek] */

store_rwlock_word store_rwlock_peek(store *s)
{
    return store_rwlock_peek_lock(&((rw *)s)->lock);
}
