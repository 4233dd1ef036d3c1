/* keyspace.h - Redis's numbered databases over one store, changed in batches.
 * Chapter 9; extended in chapter 11.
 *
 * A Redis server holds 16 databases by default (the `databases` setting),
 * and a replication stream moves between them with SELECT, swaps two with
 * SWAPDB, empties them with FLUSHDB and FLUSHALL, and changes several at
 * once inside one MULTI/EXEC.  A reader must see each of those changes all
 * at once, on every store variant.
 *
 * The keyspace keeps every database in one store, so that one
 * store_apply() publishes a change to any number of databases at once.  A
 * key of database d is stored under a 2-byte big-endian *physical* number
 * followed by its bytes; a small meta record, stored under a key of its own
 * (one byte, so it can never collide with a data key, which always has the
 * 2-byte prefix), maps each logical database to its physical number and
 * counts the keys of each.  SWAPDB then swaps two entries of the map: one
 * record rewritten, O(1) like Redis's own SWAPDB, and a reader that loaded
 * the map at the start of its section reads both databases as they were
 * before the swap or as they are after it.  (store_striped's sections are
 * per shard, not snapshots, so over it the keyspace adds a lock that a
 * batch holds for writing and a section for reading.)
 *
 * Writing.  One thread at a time writes, through a batch:
 * keyspace_batch_begin(), any number of lookups and changes (the writer
 * sees its own pending changes), then keyspace_commit() publishes them all
 * with one store_apply(), or keyspace_abort() drops them.  Pending changes
 * live in a private overlay, one entry per key however often the batch
 * changes it, so a batch that pushes a thousand times onto one list hands
 * the store one new version of that list.  A collection being changed is
 * held as a transient (chapter 8) that later commands of the same batch
 * edit in place; keyspace_commit() seals it.
 *
 * Expiry.  A replica never deletes a key on its own clock (the master's
 * DEL or UNLINK does), so the writer's lookups return keys whether or not
 * their time has passed, as Redis's do for commands from its master
 * (redis/redis src/db.c, expireIfNeeded()); readers use
 * keyspace_get_live(), which treats an expired key as missing.
 *
 * Thread-safety: any number of reader threads, each with its own
 * keyspace_reader, and one writer thread at a time (the batch functions
 * are not safe to call from two threads at once).
 */
#ifndef KEYSPACE_H
#define KEYSPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "value.h"

/** The default number of databases, as Redis's `databases 16`. */
#define KEYSPACE_DEFAULT_DBS 16u
/** The most databases a keyspace holds (physical numbers are 2 bytes, and
 *  0xFFFF is kept back). */
#define KEYSPACE_MAX_DBS 65535u
/** keyspace_flush(): every database (FLUSHALL). */
#define KEYSPACE_ALL_DBS UINT32_MAX

/** A keyspace: the databases, their store, the writer's batch. */
typedef struct keyspace keyspace;
/** One reading thread's handle on a keyspace. */
typedef struct keyspace_reader keyspace_reader;

/**
 * Create an empty keyspace over a new store of the given variant.
 * \param variant   the store variant (e.g. store_variant("cow")); it must
 *                  support store_apply().
 * \param databases how many databases, 1 to KEYSPACE_MAX_DBS.
 * \return the keyspace, or NULL with errno ENOMEM, EINVAL (databases out of
 *         range) or ENOTSUP (the variant has no batches).  Free with
 *         keyspace_destroy().
 */
keyspace *keyspace_create(const store_ops *variant, unsigned databases);

/**
 * Destroy a keyspace and everything in it.  No reader may be open; a batch
 * still open is dropped.
 * \param ks the keyspace; NULL does nothing.
 */
void keyspace_destroy(keyspace *ks);

/**
 * \param ks the keyspace.
 * \return how many databases it has.
 */
unsigned keyspace_databases(const keyspace *ks);

/**
 * \param ks the keyspace.
 * \return the store under it (for its statistics; changing it directly
 *         breaks the keyspace).
 */
store *keyspace_store(keyspace *ks);

/* ---- reading ------------------------------------------------------------- */

/**
 * Open a reader for the calling thread (see store_reader_open()).
 * \param ks the keyspace.
 * \return the reader, or NULL with errno ENOMEM.  Close it with
 *         keyspace_reader_close() before destroying the keyspace.
 */
keyspace_reader *keyspace_reader_open(keyspace *ks);

/**
 * Close a reader, outside any section.
 * \param r the reader; NULL does nothing.
 */
void keyspace_reader_close(keyspace_reader *r);

/**
 * Enter a read section: from here to keyspace_read_end() the reader sees
 * every database as of one published batch.
 * \param r the reader, not inside a section.
 */
void keyspace_read_begin(keyspace_reader *r);

/**
 * Leave the read section; values returned inside it are no longer valid.
 * \param r the reader, inside a section.
 */
void keyspace_read_end(keyspace_reader *r);

/**
 * Look up a key, expired or not.  Call inside a section.
 * \param r    the reader.
 * \param db   the database, below keyspace_databases() (else NULL).
 * \param key  key bytes (may be NULL when klen is 0).
 * \param klen key length.
 * \return the value, valid until keyspace_read_end(), or NULL.
 */
const value *keyspace_get(keyspace_reader *r, unsigned db, const void *key,
                          size_t klen);

/**
 * Look up a key as a client of a Redis replica sees it: a key whose expiry
 * has passed is missing.
 * \param r      the reader (inside a section).
 * \param db     the database.
 * \param key    key bytes.
 * \param klen   key length.
 * \param now_ms the reader's clock, Unix ms (value_now_ms()).
 * \return the value, valid until keyspace_read_end(), or NULL.
 */
const value *keyspace_get_live(keyspace_reader *r, unsigned db,
                               const void *key, size_t klen, int64_t now_ms);

/**
 * Number of keys in a database, expired ones included (Redis's DBSIZE).
 * O(1).  Call inside a section.
 * \param r  the reader.
 * \param db the database (0 for one out of range).
 * \return the count.
 */
size_t keyspace_dbsize(keyspace_reader *r, unsigned db);

/**
 * Call fn for every key of one database (expired ones included), in no
 * particular order, with the key as the client knows it (no prefix).
 * Call inside a section; fn must not write.  Costs a walk of the whole
 * store (every database), since the stores are hash tables.
 * \param r   the reader.
 * \param db  the database.
 * \param fn  the callback.
 * \param arg passed to fn.
 * \return 0 after every key, or the first non-zero fn returned.
 */
int keyspace_iterate(keyspace_reader *r, unsigned db, store_iter_fn *fn,
                     void *arg);

/**
 * One slice of a resumable walk of one database (SCAN): store_scan() over
 * the whole store, keeping this database's keys.  count bounds the store
 * keys visited (the other databases' included), so a call costs
 * O(count) on the hamt and ptrie stores whatever the sizes, and may hand
 * fn fewer than count keys, even none, with *next not 0.  The cursor is a
 * scan position of the encoded key (store.h): valid across keyspaces of
 * this process holding the database under the same physical number (a
 * fresh keyspace after a full resync numbers database d as d; only a
 * SWAPDB since the last resync renumbers one).
 * \param r      the reader, inside a section.
 * \param db     the database.
 * \param cursor where to resume (0: the start).
 * \param count  store keys to visit at least.
 * \param fn     called with each key of db (no prefix), expired included.
 * \param arg    passed to fn.
 * \param next   receives the cursor for the next call, 0 when done.
 * \return 0, fn's first non-zero result, or -1 with errno ENOMEM.
 */
int keyspace_scan(keyspace_reader *r, unsigned db, uint64_t cursor,
                  size_t count, store_iter_fn *fn, void *arg, uint64_t *next);

/* ---- writing: one batch at a time ------------------------------------------- */

/**
 * Open a batch.  Until keyspace_commit() or keyspace_abort(), changes are
 * pending: the writer's lookups see them, readers do not.
 * \param ks the keyspace, with no batch open.
 * \return 0, or -1 with errno EBUSY (a batch is already open) or ENOMEM.
 * Thread-safety: the writer thread.
 */
int keyspace_batch_begin(keyspace *ks);

/**
 * Whether a batch is open.
 * \param ks the keyspace.
 * \return true between keyspace_batch_begin() and commit or abort.
 */
bool keyspace_in_batch(const keyspace *ks);

/**
 * Look up a key as the batch sees it (pending changes first, then the
 * store), expired or not.
 * \param ks   the keyspace, inside a batch.
 * \param db   the database (must be in range).
 * \param key  key bytes.
 * \param klen key length.
 * \return the value, or NULL when absent.  It stays valid until the batch
 *         next changes this key (keyspace_put(), keyspace_delete(),
 *         keyspace_edit(), keyspace_set_expire(), a flush, a swap) or ends.
 *         It may be a transient of the batch: read it, do not change it;
 *         to change a collection call keyspace_edit().
 */
const value *keyspace_lookup(keyspace *ks, unsigned db, const void *key,
                             size_t klen);

/**
 * Store a value under a key, replacing what was there (its expiry too:
 * v carries its own).
 * \param ks   the keyspace, inside a batch.
 * \param db   the database.
 * \param key  key bytes, copied.
 * \param klen key length.
 * \param v    the value; the batch takes it, even on failure, except
 *             when v is already the key's pending value (a transient from
 *             keyspace_edit() put back): then nothing changes and the
 *             caller's reference, if it holds one, stays the caller's.  A
 *             transient is sealed at commit.  The same value may be stored
 *             under several keys if each holds a reference
 *             (value_retain()).
 * \return 0, or -1 with errno ENOMEM (the batch must then be aborted).
 */
int keyspace_put(keyspace *ks, unsigned db, const void *key, size_t klen,
                 value *v);

/**
 * Delete a key.
 * \param ks   the keyspace, inside a batch.
 * \param db   the database.
 * \param key  key bytes.
 * \param klen key length.
 * \return 1 when it existed, 0 when absent, -1 with errno ENOMEM.
 */
int keyspace_delete(keyspace *ks, unsigned db, const void *key, size_t klen);

/**
 * Get a collection to change in place: the batch's transient for the key,
 * made on first use with value_edit() (sharing the stored version's
 * payload) and kept pending, so later commands of the batch edit the same
 * transient.  Strings have no transients: change them with
 * value_str_append() and its siblings and keyspace_put() the result.
 * \param ks   the keyspace, inside a batch.
 * \param db   the database.
 * \param key  key bytes.
 * \param klen key length.
 * \return the transient, owned by the batch (valid as keyspace_lookup()'s
 *         result is); NULL with errno 0 when the key is absent, EINVAL when
 *         it holds a string or module value, ENOMEM when out of memory.
 *         A collection the caller empties must be deleted by the caller
 *         (Redis never keeps an empty collection).
 */
value *keyspace_edit(keyspace *ks, unsigned db, const void *key, size_t klen);

/**
 * Set or remove a key's expiry (PEXPIREAT, PERSIST): a transient's header
 * is changed in place, a version's header is copied (value_with_expire()).
 * \param ks        the keyspace, inside a batch.
 * \param db        the database.
 * \param key       key bytes.
 * \param klen      key length.
 * \param expire_ms absolute Unix ms, or VALUE_NO_EXPIRY.
 * \return 1 when the key exists (and now has that expiry), 0 when absent,
 *         -1 with errno ENOMEM.
 */
int keyspace_set_expire(keyspace *ks, unsigned db, const void *key,
                        size_t klen, int64_t expire_ms);

/**
 * Swap two databases (SWAPDB): O(1), whatever they hold.
 * \param ks the keyspace, inside a batch.
 * \param a  a database.
 * \param b  another (or the same: nothing happens).
 * \return 0, or -1 with errno EINVAL (out of range) or ENOMEM.
 */
int keyspace_swap(keyspace *ks, unsigned a, unsigned b);

/**
 * Empty one database (FLUSHDB) or all (FLUSHALL, db = KEYSPACE_ALL_DBS).
 * Walks the store once to find the keys.
 * \param ks the keyspace, inside a batch.
 * \param db the database or KEYSPACE_ALL_DBS.
 * \return the number of keys removed, or -1 with errno EINVAL or ENOMEM.
 */
long long keyspace_flush(keyspace *ks, uint32_t db);

/**
 * Number of keys a database holds as the batch sees it.
 * \param ks the keyspace, inside a batch.
 * \param db the database.
 * \return the count (0 for one out of range).
 */
size_t keyspace_batch_dbsize(keyspace *ks, unsigned db);

/**
 * Publish the batch: one store_apply() with every pending change and the
 * new meta record, so readers see all of it at once.  Transients are
 * sealed first.  The batch is closed whatever the outcome.
 * \param ks the keyspace, inside a batch.
 * \return 0, or -1 with errno ENOMEM: nothing was published and the
 *         keyspace is as it was before keyspace_batch_begin().
 */
int keyspace_commit(keyspace *ks);

/**
 * Drop the batch: every pending change is freed, nothing is published.
 * \param ks the keyspace; without an open batch nothing happens.
 */
void keyspace_abort(keyspace *ks);

#endif
