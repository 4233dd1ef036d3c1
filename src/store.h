/* store.h - the one interface every store variant implements.
 * Chapter 1; extended in chapters 5, 11.
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
 * free what it replaced.  The nesting rule is per handle: a handle is in
 * at most one section at a time (store_read_begin(r) twice without
 * store_read_end(r) between is a bug, and an assertion in the wrappers
 * below stops it), and a handle belongs to one thread at a time.  One
 * thread may hold sections on several handles at once, as a test playing
 * several readers does; with the rwlock stores, though, a thread inside a
 * section that blocks for a second one can deadlock behind a waiting
 * writer, so such a thread takes the second with
 * store_rwlock_try_read_begin() (tests/ch02_preference.c does).
 * For the epoch-reclaimed stores the thread that opened a handle must
 * outlive its use: when that thread exits, a section the handle was left
 * in is closed, so a thread that dies inside a section holds no memory
 * back (another thread may then close the handle).
 *
 * Writers.  store_set() and store_del() take the store itself, not a reader:
 * a replica has one writer (the replication stream) but every store stays
 * correct with several.  A thread must not write while it is inside a read
 * section (the rwlock would deadlock on itself).
 *
 * Extending.  Later chapters add operations at the end of store_ops; a
 * variant that does not support one leaves it NULL and callers check.
 * Chapter 5 adds apply: a batch of changes applied all or nothing, and
 * published at once.
 */
#ifndef STORE_H
#define STORE_H

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
    size_t bytes;           /**< heap bytes held now: tables, keys,
                                 strings and value headers, each value
                                 at its value_charge() (O(1) to keep); a
                                 collection's nodes and elements are
                                 counted by value_bytes() on demand */
    size_t peak_bytes;      /**< most bytes held at once since creation */
    size_t retired_pending; /**< retired objects not yet freed (COW) */
    size_t retired_bytes;   /**< their bytes */
    size_t publishes;       /**< versions published since creation
                                 (snapshot stores; 0 for the others) */
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
    int result;             /**< out: what store_set()/store_del() return,
                                 or -1 for the change that failed */
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
    /** see store_scan() (chapter 11); optional: NULL uses the O(n)
     *  fallback of store_scan.c */
    int (*scan)(store_reader *r, uint64_t cursor, size_t count,
                store_iter_fn *fn, void *arg, uint64_t *next);
} store_ops;
/* [ch01-store-ops] */

/** The part of a store every variant shares. */
struct store {
    const store_ops *ops; /**< the variant's operations */
};

/** The part of a reader every variant shares. */
struct store_reader {
    store *owner;    /**< the store this reader reads */
    int in_section;  /**< 1 between read_begin and read_end (the wrappers
                          keep it, to catch a nested section) */
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

/**
 * Close a reader, outside any read section.  Closing a handle that is
 * inside a section aborts with a message; the variant checks it, because
 * only an epoch-reclaimed store knows that a section whose thread exited
 * was closed at that exit (its handle may then be closed by any thread).
 * \param r reader or NULL.
 */
static inline void store_reader_close(store_reader *r)
{
    if (r != NULL)
        r->owner->ops->reader_close(r);
}

/**
 * Enter a read-side critical section.  Sections on one handle do not nest:
 * calling this again before store_read_end() fails an assertion.
 * \param r the thread's reader, not inside a section.
 */
static inline void store_read_begin(store_reader *r)
{
    assert(!r->in_section && "store_read_begin: this handle is already "
                             "inside a section (sections do not nest)");
    r->owner->ops->read_begin(r);
    r->in_section = 1;
}

/**
 * Leave the read-side critical section.
 * \param r the thread's reader, inside a section (else an assertion fails).
 */
static inline void store_read_end(store_reader *r)
{
    assert(r->in_section && "store_read_end outside a read section");
    r->in_section = 0;
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
 * Apply a batch of changes: all of them or none, and readers see all of
 * them or none.
 *
 * The changes are applied in order, as store_set() and store_del() would
 * apply them one by one, and the result is made visible at once: a
 * snapshot store (cow, hamt) builds a private version and publishes it
 * once; a locking store (naive, rwlock, striped) holds its write lock(s)
 * for the whole batch.  A reader's section sees the store as it was before
 * the batch or as it is after it, never in between (striped: per shard,
 * since its sections are not snapshots).  A replica uses this to apply a
 * MULTI/EXEC, or one network read of the replication stream, as a unit.
 *
 * If any change fails, none is applied: the store keeps exactly its old
 * contents (a snapshot store keeps its old version published and publishes
 * nothing), and frees everything the batch allocated.
 *
 * A batch that changes nothing (no changes, or only deletes of absent
 * keys) publishes and retires nothing.
 *
 * \param s       the store.
 * \param changes the batch.  Every SET value passes to the store, even
 *                when the batch fails (it is then freed).  On success each
 *                result receives what store_set() (0) or store_del() (1 or
 *                0) would have returned; on failure the change that failed
 *                gets -1 and every other one 0 (a failure of the batch as a
 *                whole, such as copying the table, is charged to the first
 *                change that needed it).
 * \param n       number of changes (0 does nothing; changes may be NULL).
 * \return 0 when the whole batch was applied; -1 with errno EINVAL when a
 *         change is malformed (unknown kind, SET without a value, NULL key
 *         with a non-zero length), ENOMEM when memory ran out; -1 with
 *         errno ENOTSUP, changing nothing and taking no value, when the
 *         variant has no batches (its store_ops.apply is NULL).
 *
 * Thread-safety: like store_set(); must not be called inside a read section.
 */
static inline int store_apply(store *s, store_change *changes, size_t n)
{
    if (s->ops->apply == NULL) {
        errno = ENOTSUP;
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const store_change *c = &changes[i];
        bool bad = (c->kind != STORE_CHANGE_SET &&
                    c->kind != STORE_CHANGE_DEL) ||
                   (c->kind == STORE_CHANGE_SET && c->val == NULL) ||
                   (c->key == NULL && c->klen > 0);
        if (!bad)
            continue;
        for (size_t j = 0; j < n; j++) { /* reject the whole batch */
            changes[j].result = j == i ? -1 : 0;
            if (changes[j].kind == STORE_CHANGE_SET)
                value_free(changes[j].val);
        }
        errno = EINVAL;
        return -1;
    }
    return s->ops->apply(s, changes, n);
}

/* ---- resumable walks (chapter 11: SCAN) ----------------------------------
 *
 * SCAN hands a client a number and, on the next call, continues from it.
 * So every key gets a 64-bit *scan position* that depends on its bytes
 * alone (store_scan_pos(): its hash_bytes() with the 5-bit pieces the
 * tries consume read most significant first, which is the order in which
 * the hamt and ptrie variants already lay their keys out), and a walk
 * visits keys in increasing position.  A cursor is "the first position not
 * yet visited".  Because the position is a function of the key and of
 * this process's hash key, not of the store's shape or history, a cursor
 * taken on one store is just as good on another store of this process
 * holding the same keys (a full resync's fresh dataset): every key whose
 * position is below the cursor was visited, every other one will be. */

/**
 * A key's scan position (see above).
 * \param key  key bytes. \param klen their length.
 * \return the position.  Thread-safety: any thread.
 */
uint64_t store_scan_pos(const void *key, size_t klen);

/**
 * Visit a bounded slice of the keys, resuming at a cursor: every key
 * whose scan position is >= cursor, in increasing position, until at
 * least count keys were visited and the next key's position is larger
 * than the last visited (keys of one position are visited together).
 * The hamt and ptrie variants seek the cursor in O(log n) and visit in
 * O(count log n); any other variant (store_ops.scan NULL) walks the whole
 * store each call, O(n log n) (store_scan.c's fallback, fine for the
 * teaching variants, documented as such).
 * \param r      the reader, inside a section.
 * \param cursor the first position to visit (0: from the start).
 * \param count  how many keys at least (0 is taken as 1).
 * \param fn     called for each key, expired ones included; must not write.
 * \param arg    passed to fn.
 * \param next   receives the position of the first key not visited, or 0
 *               when no key is left (a key of position 0 can only be
 *               first, so 0 is never a position still to visit).
 * \return 0, the first non-zero fn returned (then *next is not set), or
 *         -1 with errno ENOMEM (the fallback's array).
 */
int store_scan(store_reader *r, uint64_t cursor, size_t count,
               store_iter_fn *fn, void *arg, uint64_t *next);

/** Every store variant, NULL-terminated, in the order chapters add them. */
extern const store_ops *const store_variants[];

/**
 * Find a store variant by name.
 * \param name e.g. "rwlock".
 * \return the variant, or NULL if there is none of that name.
 */
const store_ops *store_variant(const char *name);

#endif
