/* kvmap.h - a map that owns its keys: the part every store has in common.
 * Chapter 1; extended in chapter 5.
 *
 * map.h stores pointers and owns nothing.  Every store needs the same few
 * steps on top of it: copy the key on first insert, swap the value on
 * update, hand back what was replaced or removed, and count the bytes held.
 * What differs between stores is *when* the replaced value may be freed, so
 * kvmap never frees a replaced value itself: it returns it, and the store
 * frees it at once (naive, rwlock) or retires it until readers are done
 * (copy-on-write).
 *
 * Thread-safety: none; callers synchronise.
 */
#ifndef KVMAP_H
#define KVMAP_H

#include <stdbool.h>
#include <stddef.h>

#include "map.h"
#include "store.h"
#include "value.h"

/** A map from owned key copies to values, with a byte count. */
typedef struct kvmap {
    map m;             /**< the underlying table */
    size_t data_bytes; /**< bytes of keys and values held, each value at
                            its value_charge() (table excluded) */
} kvmap;

/**
 * Initialise an empty kvmap.
 * \param kv       the kvmap.
 * \param expected keys to make room for.
 * \return 0, or -1 if out of memory.
 */
int kvmap_init(kvmap *kv, size_t expected);

/**
 * Insert or replace.  The key is copied on first insert.
 *
 * \param kv       the kvmap.
 * \param key      key bytes.
 * \param klen     key length.
 * \param v        the new value; owned by kv on success, still the
 *                 caller's on failure.
 * \param replaced receives the old value (now the caller's to free or
 *                 retire), or NULL if the key was new.
 * \return 0, or -1 with errno ENOMEM (kv unchanged).
 */
int kvmap_put(kvmap *kv, const void *key, size_t klen, value *v,
              value **replaced);

/**
 * Remove a key.
 *
 * \param kv      the kvmap.
 * \param key     key bytes.
 * \param klen    key length.
 * \param old_key receives the key copy kv owned (now the caller's: free()).
 * \param old_val receives the value (now the caller's).
 * \return true if the key was present; false leaves the outputs untouched.
 */
bool kvmap_remove(kvmap *kv, const void *key, size_t klen, void **old_key,
                  value **old_val);

/**
 * Look up a key.
 * \return the value, or NULL.  Same lifetime rules as map_find().
 */
value *kvmap_get(const kvmap *kv, const void *key, size_t klen);

/**
 * Free every key, every value and the table.
 * \param kv the kvmap; it becomes empty and reusable.
 */
void kvmap_free_all(kvmap *kv);

/**
 * Heap bytes held: table, key copies and values (at value_charge()).
 * \param kv the kvmap.
 */
size_t kvmap_bytes(const kvmap *kv);

/**
 * Make room for `more` new keys, so that that many kvmap_batch_apply()
 * inserts cannot fail.  \param kv the kvmap.  \param more new keys.
 * \return 0, or -1 with errno ENOMEM (kv unchanged).
 */
int kvmap_reserve(kvmap *kv, size_t more);

/** What one change of a batch leaves behind (see kvmap_batch). */
typedef struct kvmap_left {
    void *key;  /**< before apply: the SET's key copy; after: the copy if
                     the key existed (unused), or a DEL's removed key */
    value *val; /**< after apply: the replaced or removed value */
} kvmap_left;

/**
 * A batch of changes for a kvmap, made in two phases so that it is all or
 * nothing.  kvmap_batch_prepare() makes every allocation the batch can
 * need (a key copy per SET), touching no map, so a locking store can call
 * it before it takes its lock; the store then reserves table room
 * (kvmap_reserve()) and, once nothing can fail any more, applies the
 * changes (kvmap_batch_apply()).  What the changes replaced or removed is
 * collected in left[] for the store to free or retire.
 */
typedef struct kvmap_batch {
    store_change *ch; /**< the changes */
    size_t n;         /**< their count */
    size_t sets;      /**< how many are SETs (at most that many new keys) */
    kvmap_left *left; /**< n entries, or NULL when n is 0 */
} kvmap_batch;

/**
 * Phase 1: allocate what the batch needs.
 * \param b  the batch to fill in.
 * \param ch the changes (already checked by store_apply()).
 * \param n  their count.
 * \return 0, or -1 with errno ENOMEM: then the change that could not get
 *         its memory has result -1, every other result is 0, every SET
 *         value has been freed and nothing is left allocated.
 */
int kvmap_batch_prepare(kvmap_batch *b, store_change *ch, size_t n);

/**
 * Phase 2: apply change i to kv; cannot fail once kvmap_reserve(kv, n)
 * succeeded for the SETs that go to kv.  Sets ch[i].result as store_set()
 * or store_del() would and fills left[i].
 * \param kv the kvmap.  \param b the batch.  \param i the change.
 */
void kvmap_batch_apply(kvmap *kv, kvmap_batch *b, size_t i);

/**
 * Give up a prepared batch that was not applied (reserving failed): frees
 * the key copies and every SET value, sets change `failed`'s result to -1
 * and the others to 0, and sets errno to ENOMEM.
 * \param b the batch.  \param failed the change the failure is charged to.
 */
void kvmap_batch_abort(kvmap_batch *b, size_t failed);

/**
 * The first SET of a batch: where a failure to reserve table room is
 * charged.  \param b the batch.  \return its index, or 0 if none.
 */
size_t kvmap_batch_first_set(const kvmap_batch *b);

/**
 * Finish an applied batch: free every key and value still in left[] (set
 * an entry to NULL first to keep or retire it yourself), and left[].
 * \param b the batch.
 */
void kvmap_batch_end(kvmap_batch *b);

/**
 * Call fn for every entry.
 * \return 0, or the first non-zero value fn returned.
 */
int kvmap_iterate(const kvmap *kv, store_iter_fn *fn, void *arg);

#endif
