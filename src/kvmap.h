/* kvmap.h - a map that owns its keys: the part every store has in common.
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
    size_t data_bytes; /**< bytes of keys and values held (table excluded) */
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
 * Heap bytes held: table, key copies and values.
 * \param kv the kvmap.
 */
size_t kvmap_bytes(const kvmap *kv);

/**
 * Call fn for every entry.
 * \return 0, or the first non-zero value fn returned.
 */
int kvmap_iterate(const kvmap *kv, store_iter_fn *fn, void *arg);

#endif
