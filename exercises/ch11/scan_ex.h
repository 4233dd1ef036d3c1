/* scan_ex.h - exercise 11.2: a SCAN that survives a full resync.
 *
 * SCAN hands the client a cursor and continues from it on the next call,
 * perhaps seconds later.  Redis promises (redis/redis src/db.c,
 * scanGenericCommand()) that a key present from the first call to the
 * last is returned at least once, whatever was added or removed in
 * between.  A replica must keep that promise across something Redis never
 * sees: a full resync, after which its readers read a *fresh* keyspace
 * (dataset.h), built from a snapshot, in another order, maybe of another
 * store variant.
 *
 * So the cursor may depend on nothing but the keys.  store.h gives every
 * key a 64-bit scan position, store_scan_pos(), a function of its bytes
 * alone (within this process).  Visit keys in increasing position, and a
 * cursor is "the first position not yet visited": every key below it has
 * been returned, every key at or above it is still to come, on any
 * keyspace holding it.
 *
 * The contract of ex_scan(), the one store_scan() keeps: visit the keys
 * of one database whose position is >= cursor, in increasing position,
 * count of them (fewer at the end); keys sharing a position are visited
 * together, so the last one may take a call past count; *next is the
 * position of the first key not visited, or 0 when none is left (a key
 * of position 0 can only be the first one, so 0 never means "resume").
 *
 * Build it from keyspace_iterate() (every key, in the store's order) and
 * store_scan_pos(); afterwards compare it with keyspace_scan(), which
 * keeps the same promise in O(count log n) by seeking in the tries.
 */
#ifndef EX_SCAN_H
#define EX_SCAN_H

#include "keyspace.h"

#include <stddef.h>
#include <stdint.h>

/**
 * One slice of a resumable walk of one database.
 * \param r      the reader, inside a section.
 * \param db     the database.
 * \param cursor 0 to start, else a *next of an earlier call (on this or
 *               any keyspace of this process).
 * \param count  keys to visit (0 is taken as 1).
 * \param fn     called for each key (expired ones included), in increasing
 *               position; must not write.
 * \param arg    passed to fn.
 * \param next   receives the cursor for the next call, 0 when done.
 * \return 0, fn's first non-zero result (*next then not set), or -1 with
 *         errno ENOMEM.
 */
int ex_scan(keyspace_reader *r, unsigned db, uint64_t cursor, size_t count,
            store_iter_fn *fn, void *arg, uint64_t *next);

#endif
