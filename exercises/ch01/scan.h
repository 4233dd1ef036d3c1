/* scan.h - exercise 1.1: a SCAN-style cursor over a map that survives growth.
 *
 * Redis's SCAN walks a table a little at a time: each call takes a cursor,
 * visits some keys and returns the next cursor, 0 when done.  Between calls
 * the table may grow.  The promise: every key present for the whole scan is
 * visited at least once (some may be visited twice).
 *
 * With linear probing an entry may sit after its home slot, so the unit of
 * work is the *home* slot: a call visits every entry whose home is the
 * cursor.  When the table doubles, the entries of home h move to homes h and
 * h + old_cap.  Incrementing the cursor with its bits reversed (add one at
 * the top bit and carry downwards) visits homes in an order in which both of
 * those come after h, in the old table and in the new one.
 */
#ifndef EX_SCAN_H
#define EX_SCAN_H

#include <stddef.h>

#include "map.h"

/** Called once per visited entry. */
typedef void map_scan_fn(const map_entry *e, void *arg);

/**
 * Visit the entries whose home slot is `cursor` and return the next cursor.
 *
 * \param m      the map (may have grown since the previous call).
 * \param cursor 0 to start, else a value returned by the previous call.
 * \param fn     called for each entry whose home is cursor (masked to the
 *               current capacity).
 * \param arg    passed to fn.
 * \return the next cursor, or 0 when the scan is complete.
 */
size_t map_scan(const map *m, size_t cursor, map_scan_fn *fn, void *arg);

#endif
