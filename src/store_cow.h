/* store_cow.h - atomic copy-on-write: readers never wait, writers copy.
 * Chapter 3.
 *
 * The store is one pointer to an immutable snapshot.  A reader loads that
 * pointer once per read section and reads a map nobody will ever change; a
 * writer copies the map, changes the copy and swings the pointer.  This is
 * the C version of the seed report's atomic.Value design, with the part Go's
 * garbage collector did silently made explicit: the old snapshot is retired
 * to an epoch-based reclamation domain (ebr.h) and freed only once every
 * reader that could hold it has left.
 */
#ifndef STORE_COW_H
#define STORE_COW_H

#include "ebr.h"
#include "store.h"

/** Copy-on-write snapshots reclaimed by epochs ("cow"). */
extern const store_ops store_cow_ops;

/**
 * Create a copy-on-write store that frees each old snapshot the moment it
 * publishes the new one, as Go code may but C code must not.  It exists
 * only to be broken: tests/demo/asan_ch03_free_at_once.c shows a reader
 * using the freed table.  Not in store_variants[].
 * \return the store (destroy with store_destroy()), or NULL if out of memory.
 */
store *store_cow_create_unsafe_free(void);

/**
 * Wait for a grace period and free everything the store has retired.
 * Call it outside any read section of the calling thread.  Only for stores
 * created from store_cow_ops (it does nothing for the unsafe variant).
 * \param s the store.
 */
void store_cow_synchronize(store *s);

/**
 * Set the alarm that reports garbage piling up behind a reader that stays
 * inside its section (see ebr_set_alarm(); by default one stderr line at
 * EBR_ALARM_BYTES).  Only for stores created from store_cow_ops.
 * \param s     the store.
 * \param bytes the threshold in retired bytes; 0 turns the alarm off.
 * \param fn    the callback, or NULL for the default line on stderr.
 * \param arg   passed to fn.
 */
void store_cow_set_alarm(store *s, size_t bytes, ebr_alarm_fn *fn, void *arg);

#endif
