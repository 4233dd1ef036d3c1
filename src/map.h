/* map.h - an open-addressing hash map from byte-string keys to pointers.
 * Chapter 1; extended in chapter 5.
 *
 * Design.  One flat array of slots, linear probing, capacity a power of two,
 * at most 3/4 full.  Flat and linear because a lookup is then one hash and a
 * short walk through adjacent memory: for the 1,000-key tables of the seed
 * benchmark the whole array sits in the first-level cache.  Each slot keeps
 * the key's full 64-bit hash, so probing compares hashes before bytes and
 * growing never rehashes a key.
 *
 * Deletion uses backward shift instead of tombstones: after emptying a slot,
 * later entries of the same probe run move back to fill the hole, so the
 * table never fills with dead markers and lookups never walk over them.  A
 * replica deletes as often as the master does (DEL, expiry, eviction); with
 * tombstones its probe runs would only grow until the next resize.
 *
 * Ownership.  The map owns only its slot array.  Keys and values are
 * pointers owned by whoever uses the map (a store), because the stores
 * differ exactly in when they may free them: store_naive frees at once,
 * store_cow only after a grace period.  A key pointer must stay valid, and
 * its bytes unchanged, while its entry is in the map.
 *
 * Thread-safety: none.  A map is a plain data structure; the stores add
 * whatever synchronisation they need around it.
 */
#ifndef MAP_H
#define MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** A hash function for keys (hash_bytes() unless a test forces another). */
typedef uint64_t map_hash_fn(const void *key, size_t len);

/** One slot.  A slot is empty when key is NULL. */
typedef struct map_entry {
    uint64_t hash;            /**< full hash of the key */
    const unsigned char *key; /**< key bytes (owned by the map's user) */
    size_t klen;              /**< key length in bytes */
    void *val;                /**< the value pointer (owned by the user) */
} map_entry;

/** The map.  Treat the fields as read-only outside map.c. */
typedef struct map {
    map_entry *slots;  /**< cap slots */
    size_t cap;        /**< number of slots: 0 or a power of two */
    size_t count;      /**< occupied slots */
    map_hash_fn *hash; /**< key hash function */
} map;

/**
 * Initialise an empty map with room for `expected` keys before growing.
 *
 * \param m        the map to initialise.
 * \param expected keys to make room for (0 allocates nothing yet).
 * \param hash     hash function, or NULL for hash_bytes().
 * \return 0, or -1 if out of memory (m is then an empty, valid map).
 */
int map_init(map *m, size_t expected, map_hash_fn *hash);

/**
 * Free the slot array.  Keys and values are not touched: free them first
 * (iterate with map_next()) if you own them.
 *
 * \param m the map; it becomes an empty map that can be reused.
 */
void map_release(map *m);

/**
 * Find a key.
 *
 * \param m    the map.
 * \param key  key bytes (may be NULL when klen is 0).
 * \param klen key length.
 * \return the entry, or NULL if the key is absent.  The pointer is valid
 *         until the next insert or remove; the caller may change ->val.
 */
map_entry *map_find(const map *m, const void *key, size_t klen);

/**
 * Insert a key that is not in the map, growing the table when needed.
 *
 * \param m    the map.
 * \param key  key bytes; the pointer itself is stored, so it must be
 *             non-NULL and stay valid while the entry exists.
 * \param klen key length.
 * \param val  the value pointer.
 * \return 0, or -1 if growing failed (errno ENOMEM; the map is unchanged).
 *         Inserting a key that is present already is a caller bug: the map
 *         would then hold it twice.
 */
int map_insert(map *m, const void *key, size_t klen, void *val);

/**
 * Grow the table now, if needed, so that `more` inserts cannot fail: a
 * writer that must not fail half-way (a batch) reserves first.
 *
 * \param m    the map.
 * \param more inserts to make room for, beyond the present count.
 * \return 0, or -1 with errno ENOMEM (the map is unchanged).
 */
int map_reserve(map *m, size_t more);

/**
 * Remove a key, shifting the rest of its probe run back.
 *
 * \param m       the map.
 * \param key     key bytes.
 * \param klen    key length.
 * \param removed if not NULL, receives the removed entry so that its owner
 *                can free the key and value.
 * \return true if the key was present.
 */
bool map_remove(map *m, const void *key, size_t klen, map_entry *removed);

/**
 * Make dst a copy of src's slots.  Keys and values are shared, not copied:
 * this is the O(n) copy that a copy-on-write writer pays on every write.
 *
 * \param dst an uninitialised (or released) map.
 * \param src the map to copy.
 * \return 0, or -1 if out of memory (dst is then an empty, valid map).
 */
int map_clone(map *dst, const map *src);

/**
 * Iterate: return the next occupied slot at or after *pos and advance *pos.
 *
 * Start with *pos = 0.  The order is the slot order, which depends on the
 * hash key and so differs between runs.  Removing the returned entry during
 * iteration may move a not-yet-visited entry behind *pos; collect keys
 * first if you need to remove while iterating.
 *
 * \param m   the map.
 * \param pos iteration cursor.
 * \return the next entry, or NULL at the end.
 */
map_entry *map_next(const map *m, size_t *pos);

/**
 * Bytes of heap memory used by the slot array.
 *
 * \param m the map.
 * \return cap * sizeof(map_entry).
 */
size_t map_table_bytes(const map *m);

#endif
