/* batch.h - exercise 3.1: publish a batch of changes as one snapshot.
 *
 * A replica applies the master's MULTI/EXEC transactions and pipelines as
 * groups.  With store_cow every single change copies the whole table and
 * publishes it, so a reader can see a transaction half applied, and a batch
 * of K changes costs K copies.  batch_map is a small copy-on-write map (the
 * same design as store_cow: one atomic snapshot pointer, ebr for the old
 * ones) whose writer applies a whole batch to one private copy and
 * publishes once.
 */
#ifndef BATCH_H
#define BATCH_H

#include <stddef.h>

#include "ebr.h"
#include "kvmap.h"
#include "value.h"

/** One change: set key to v, or delete key when v is NULL. */
typedef struct batch_change {
    const void *key; /**< key bytes */
    size_t klen;     /**< key length */
    value *v;        /**< new value (ownership passes to the map), or NULL */
} batch_change;

/** A copy-on-write map written in batches. */
typedef struct batch_map batch_map;

/**
 * Create an empty map.
 * \return the map, or NULL if out of memory.
 */
batch_map *batch_map_create(void);

/**
 * Destroy the map and everything in it.  No reader may be registered.
 * \param b the map, or NULL.
 */
void batch_map_destroy(batch_map *b);

/**
 * Apply every change to ONE copy of the current snapshot and publish it
 * once: a reader sees all of the batch or none of it.
 * \param b       the map.
 * \param changes the changes, applied in order (a later change to the same
 *                key wins).  The map takes ownership of every value, even
 *                on failure.
 * \param n       number of changes.
 * \return 0, or -1 with errno ENOMEM (then nothing was published).
 */
int batch_map_apply(batch_map *b, const batch_change *changes, size_t n);

/**
 * The map's reclamation domain: readers register here.
 * \param b the map.
 * \return the domain.
 */
ebr *batch_map_domain(batch_map *b);

/**
 * Enter a read section and load the current snapshot.
 * \param b the map.
 * \param r the calling thread's ebr slot (ebr_register(batch_map_domain(b))).
 * \return the snapshot, valid until batch_map_read_end().
 */
const kvmap *batch_map_read_begin(batch_map *b, ebr_reader *r);

/**
 * Leave the read section.
 * \param r the slot passed to batch_map_read_begin().
 */
void batch_map_read_end(ebr_reader *r);

/**
 * How many snapshots the map has published, for tests.
 * \param b the map.
 * \return the count since creation.
 */
unsigned long batch_map_publishes(batch_map *b);

#endif
