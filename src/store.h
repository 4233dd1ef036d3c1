/* store.h - the one interface every store variant implements.
 *
 * The course builds the same key-value store several times (no locking, a
 * reader-writer lock, copy-on-write with epochs, a persistent trie) and asks
 * which is fastest and why.  That comparison is only fair if every variant
 * answers the same calls and passes the same tests, so each one fills in a
 * table of function pointers, store_ops, and one contract suite and one
 * benchmark harness drive them all through it.
 *
 * Readers.  A thread that reads opens its own store_reader and brackets
 * every group of reads with store_read_begin() / store_read_end(): the
 * read-side critical section.  For store_naive it costs nothing, for
 * store_rwlock it takes the read lock, for the copy-on-write stores it
 * announces the reader to the reclamation scheme and loads the current
 * snapshot.  A value pointer returned by store_get() is valid until
 * store_read_end(), never after: that is the promise that lets a writer
 * free what it replaced.  Sections must not nest, and a reader handle
 * belongs to one thread at a time.  For the epoch-reclaimed stores the
 * thread that opened it must outlive its use: when that thread exits, a
 * section the handle was left in is closed, so a thread that dies inside
 * a section holds no memory back (another thread may then close it).
 *
 * Writers.  store_set() and store_del() take the store itself, not a reader:
 * a replica has one writer (the replication stream) but every store stays
 * correct with several.  A thread must not write while it is inside a read
 * section (the rwlock would deadlock on itself).
 *
 * Extending.  Later chapters add operations at the end of store_ops; a
 * variant that does not support one leaves it NULL and callers check.
 * Chapter 5 adds apply: a batch of changes published at once.
 */
#ifndef STORE_H
#define STORE_H

#include <errno.h>
#include <stddef.h>

#include "value.h"

/** A store; each variant embeds this as its first member. */
typedef struct store store;
/** One thread's reading handle; each variant embeds this first. */
typedef struct store_reader store_reader;

/**
 * Callback for store_iterate(): called once per key.
 * \return 0 to continue, non-zero to stop (store_iterate returns it).
 */
typedef int store_iter_fn(const void *key, size_t klen, const value *v,
                          void *arg);

/** Memory and reclamation figures, for tests and benchmarks. */
typedef struct store_stats {
    size_t keys;            /**< keys stored now */
    size_t bytes;           /**< heap bytes held now: tables, keys, values */
    size_t peak_bytes;      /**< most bytes held at once since creation */
    size_t retired_pending; /**< retired objects not yet freed (COW) */
    size_t retired_bytes;   /**< their bytes */
    size_t retired_peak;    /**< high-water mark of retired_bytes */
} store_stats;

/** What one change of a batch does (see store_apply()). */
typedef enum store_change_kind {
    STORE_CHANGE_SET, /**< store val under key, like store_set() */
    STORE_CHANGE_DEL, /**< delete key, like store_del() */
} store_change_kind;

/** One change of a batch handed to store_apply(). */
typedef struct store_change {
    store_change_kind kind; /**< set or delete */
    const void *key;        /**< key bytes (copied by the store) */
    size_t klen;            /**< key length */
    value *val;             /**< SET: the value (the store takes it) */
    int result;             /**< out: what store_set()/store_del() return */
} store_change;

/* [ch01-store-ops] */
/** The operations of one store variant.  See the store_* wrappers. */
typedef struct store_ops {
    const char *name;    /**< short name: "naive", "rwlock", ... */
    const char *summary; /**< one line for help output */
    /** see store_create() */
    store *(*create)(void);
    /** see store_destroy() */
    void (*destroy)(store *s);
    /** see store_reader_open() */
    store_reader *(*reader_open)(store *s);
    /** see store_reader_close() */
    void (*reader_close)(store_reader *r);
    /** see store_read_begin() */
    void (*read_begin)(store_reader *r);
    /** see store_read_end() */
    void (*read_end)(store_reader *r);
    /** see store_get() */
    const value *(*get)(store_reader *r, const void *key, size_t klen);
    /** see store_count() */
    size_t (*count)(store_reader *r);
    /** see store_iterate() */
    int (*iterate)(store_reader *r, store_iter_fn *fn, void *arg);
    /** see store_set() */
    int (*set)(store *s, const void *key, size_t klen, value *v);
    /** see store_del() */
    int (*del)(store *s, const void *key, size_t klen);
    /** see store_stats_get() */
    void (*stats)(store *s, store_stats *out);
    /* Optional operations (chapter 5 on): NULL when unsupported. */
    /** see store_apply(); optional */
    int (*apply)(store *s, store_change *changes, size_t n);
} store_ops;
/* [ch01-store-ops] */

/** The part of a store every variant shares. */
struct store {
    const store_ops *ops; /**< the variant's operations */
};

/** The part of a reader every variant shares. */
struct store_reader {
    store *owner; /**< the store this reader reads */
};

/**
 * Create an empty store of the given variant.
 * \param ops the variant (e.g. &store_naive_ops).
 * \return the store, or NULL if out of memory.  Free with store_destroy().
 */
static inline store *store_create(const store_ops *ops)
{
    return ops->create();
}

/**
 * Destroy a store and every key and value in it.  No reader may be open.
 * \param s the store; NULL does nothing.
 */
static inline void store_destroy(store *s)
{
    if (s != NULL)
        s->ops->destroy(s);
}

/**
 * Open a reader for the calling thread.
 * \param s the store.
 * \return the reader, or NULL if out of memory.  Close it with
 *         store_reader_close() before destroying the store.
 */
static inline store_reader *store_reader_open(store *s)
{
    return s->ops->reader_open(s);
}

/** Close a reader (outside any read section).  \param r reader or NULL. */
static inline void store_reader_close(store_reader *r)
{
    if (r != NULL)
        r->owner->ops->reader_close(r);
}

/** Enter a read-side critical section.  \param r the thread's reader. */
static inline void store_read_begin(store_reader *r)
{
    r->owner->ops->read_begin(r);
}

/** Leave the read-side critical section.  \param r the thread's reader. */
static inline void store_read_end(store_reader *r)
{
    r->owner->ops->read_end(r);
}

/**
 * Look up a key, expired or not.  Call inside a read section.
 * \param r    the reader.
 * \param key  key bytes (may be NULL when klen is 0).
 * \param klen key length.
 * \return the value, valid until store_read_end(), or NULL if absent.
 */
static inline const value *store_get(store_reader *r, const void *key,
                                     size_t klen)
{
    return r->owner->ops->get(r, key, klen);
}

/**
 * Look up a key as a Redis client sees it: an expired key is missing.
 * \param r      the reader (inside a read section).
 * \param key    key bytes.
 * \param klen   key length.
 * \param now_ms current time in Unix ms (value_now_ms()).
 * \return the value, valid until store_read_end(), or NULL.
 */
static inline const value *store_get_live(store_reader *r, const void *key,
                                          size_t klen, int64_t now_ms)
{
    const value *v = store_get(r, key, klen);
    return v != NULL && !value_is_expired(v, now_ms) ? v : NULL;
}

/**
 * Number of keys, expired ones included.  Call inside a read section.
 * \param r the reader.
 * \return the count as of this section's view of the store.
 */
static inline size_t store_count(store_reader *r)
{
    return r->owner->ops->count(r);
}

/**
 * Call fn for every key (expired ones included), in no particular order.
 * Call inside a read section; fn must not write to the store.
 * \param r   the reader.
 * \param fn  the callback.
 * \param arg passed to fn.
 * \return 0 after visiting every key, or the first non-zero fn returned.
 */
static inline int store_iterate(store_reader *r, store_iter_fn *fn,
                                void *arg)
{
    return r->owner->ops->iterate(r, fn, arg);
}

/**
 * Store a value under a key, replacing any old value.
 *
 * \param s    the store.
 * \param key  key bytes, copied by the store.
 * \param klen key length.
 * \param v    the value; the store takes ownership even on failure.
 * \return 0, or -1 with errno ENOMEM (the store is then unchanged).
 */
static inline int store_set(store *s, const void *key, size_t klen, value *v)
{
    return s->ops->set(s, key, klen, v);
}

/**
 * Delete a key.
 * \param s    the store.
 * \param key  key bytes.
 * \param klen key length.
 * \return 1 if the key was deleted, 0 if it was absent, -1 with errno
 *         ENOMEM if a copy-on-write store could not make its copy.
 */
static inline int store_del(store *s, const void *key, size_t klen)
{
    return s->ops->del(s, key, klen);
}

/**
 * Read the store's memory figures.
 * \param s   the store.
 * \param out filled in; fields a variant does not track are 0.
 */
static inline void store_stats_get(store *s, store_stats *out)
{
    s->ops->stats(s, out);
}

/**
 * Apply a batch of changes so that readers see all of them or none.
 *
 * The changes are applied in order, as store_set() and store_del() would
 * apply them one by one, to a private version that is published once at
 * the end: a reader's section sees the store as it was before the batch or
 * as it is after it, never in between.  A replica uses this to publish once
 * per network read of the replication stream, or once per MULTI/EXEC.
 *
 * \param s       the store.
 * \param changes the batch; for each, result receives what store_set()
 *                (0 or -1) or store_del() (1, 0 or -1) would have returned.
 *                Every SET value passes to the store, even when its change
 *                fails; a failed change is skipped and the rest still apply.
 * \param n       number of changes (0 publishes nothing).
 * \return 0 when every change succeeded; -1 with errno ENOMEM when some
 *         failed (see their result); -1 with errno ENOTSUP, changing
 *         nothing and taking no value, when the variant has no batches
 *         (its store_ops.apply is NULL).
 *
 * Thread-safety: like store_set(); must not be called inside a read section.
 */
static inline int store_apply(store *s, store_change *changes, size_t n)
{
    if (s->ops->apply == NULL) {
        errno = ENOTSUP;
        return -1;
    }
    return s->ops->apply(s, changes, n);
}

/** Every store variant, NULL-terminated, in the order chapters add them. */
extern const store_ops *const store_variants[];

/**
 * Find a store variant by name.
 * \param name e.g. "rwlock".
 * \return the variant, or NULL if there is none of that name.
 */
const store_ops *store_variant(const char *name);

#endif
