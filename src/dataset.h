/* dataset.h - the replica's data: a keyspace that a full sync replaces whole.
 * Chapter 10.
 *
 * A full resync hands the replica a complete new copy of its master.  Redis
 * empties its databases and loads the snapshot, answering -LOADING in the
 * meantime; this replica loads the snapshot into a *fresh* keyspace while
 * its readers go on reading the old one, and then switches every reader to
 * the new one at once (what Redis does only with repl-diskless-load
 * swapdb).  A dataset is that indirection: one pointer to the current
 * generation (a keyspace), swapped by the writer, and reader handles that
 * follow it.
 *
 * Why not just swap a pointer to the keyspace?  A keyspace's readers are
 * per-thread registrations with its store (chapter 3's epoch slots), so a
 * reader cannot simply start using another keyspace: it must close its
 * reader on the old one and open one on the new.  A dataset reader does
 * that itself, on its own thread, at the first section that begins after
 * the switch (one relaxed load tells it; the move itself takes the
 * dataset's mutex, once per switch).  A retired generation counts the
 * readers still attached to it and is destroyed by the writer
 * (dataset_reclaim()) once none is: the same grace-period argument as
 * chapter 3's epochs, with "every reader has moved on" as the quiescent
 * state.  A reader thread that goes idle lets go with
 * dataset_reader_quiesce() (chapter 11's event loops call it from their
 * timers), so an idle thread cannot hold an old copy forever.
 *
 * Before the first sync completes the current generation is an empty
 * keyspace and dataset_loaded() is false: a server answers -LOADING then
 * (chapter 11).  After it, readers always see a complete copy: the old one
 * during a later full sync, the new one after.
 *
 * Thread-safety: one writer thread (the replication link) calls
 * dataset_fresh(), dataset_switch(), dataset_reclaim() and writes the
 * current keyspace; any number of reader threads, each with its own
 * dataset_reader.
 */
#ifndef DATASET_H
#define DATASET_H

#include <stdbool.h>
#include <stdint.h>

#include "keyspace.h"
#include "store.h"

/** The replica's data: generations of keyspaces, one current. */
typedef struct dataset dataset;
/** One reading thread's handle on a dataset. */
typedef struct dataset_reader dataset_reader;

/**
 * Create a dataset whose first generation is an empty keyspace.
 * \param variant   the store variant of every generation.
 * \param databases databases per keyspace (1 to KEYSPACE_MAX_DBS).
 * \return the dataset, or NULL with errno as keyspace_create() sets it.
 *         Free with dataset_destroy().
 */
dataset *dataset_create(const store_ops *variant, unsigned databases);

/**
 * Destroy a dataset and every generation.  Every reader must be closed.
 * \param d the dataset; NULL does nothing.
 */
void dataset_destroy(dataset *d);

/**
 * The current generation, for the writer (the applier writes it).
 * \param d the dataset.
 * \return the keyspace; valid until the writer itself switches.
 * Thread-safety: the writer thread only.
 */
keyspace *dataset_current(dataset *d);

/**
 * Make an empty keyspace of the dataset's shape (variant, databases) for a
 * full sync to load into.  Readers cannot see it until dataset_switch().
 * \param d the dataset.
 * \return the keyspace, owned by the caller until it is switched in (or
 *         freed with keyspace_destroy() if the load fails), or NULL with
 *         errno ENOMEM.
 * Thread-safety: the writer thread.
 */
keyspace *dataset_fresh(dataset *d);

/**
 * Publish a loaded keyspace as the current generation and mark the
 * dataset loaded.  Readers whose sections begin after this call see it;
 * those inside a section finish on the old one.  The old generation is
 * retired (destroyed by a later dataset_reclaim() once no reader holds
 * it).  No batch may be open on either keyspace.
 * \param d   the dataset.
 * \param ks  the new generation (from dataset_fresh()); the dataset owns
 *            it from now on.
 * \return 0, or -1 with errno ENOMEM (nothing changed; ks is still the
 *         caller's).
 * Thread-safety: the writer thread.
 */
int dataset_switch(dataset *d, keyspace *ks);

/**
 * Destroy every retired generation that no reader holds any more.
 * Cheap when there is nothing to do (the link calls it once a second).
 * \param d the dataset.
 * \return how many generations were destroyed.
 * Thread-safety: the writer thread.
 */
unsigned dataset_reclaim(dataset *d);

/**
 * Whether a full sync has completed (dataset_switch() was called once).
 * \param d the dataset.
 * \return true after the first switch.  Thread-safe (an acquire load).
 */
bool dataset_loaded(const dataset *d);

/**
 * How many full syncs have been switched in.
 * \param d the dataset.
 * \return the generation number of the current keyspace (0 before the
 *         first switch).  Thread-safe.
 */
uint64_t dataset_generation(const dataset *d);

/**
 * Retired generations not yet destroyed (a reader still holds them).
 * \param d the dataset.
 * \return the count.  Thread-safe.
 */
unsigned dataset_retired(const dataset *d);

/**
 * Open a reader for the calling thread.  It holds no generation until its
 * first section.
 * \param d the dataset.
 * \return the reader, or NULL with errno ENOMEM.  Close it with
 *         dataset_reader_close() before destroying the dataset.
 * Thread-safety: any thread; the reader then belongs to that thread.
 */
dataset_reader *dataset_reader_open(dataset *d);

/**
 * Close a reader (outside a section), letting go of its generation.
 * \param r the reader; NULL does nothing.
 * Thread-safety: the reader's thread.
 */
void dataset_reader_close(dataset_reader *r);

/**
 * Enter a read section on the current generation: the returned keyspace
 * reader is inside a section (keyspace_get(), keyspace_dbsize(), ...) and
 * sees one published batch of one generation until dataset_read_end().
 * If the reader cannot move to a newer generation (out of memory opening
 * its keyspace reader) it reads the one it holds, which is still a
 * complete copy, and tries again at its next section.
 * \param r the reader, not inside a section.
 * \return the keyspace reader to use inside the section (owned by r), or
 *         NULL with errno ENOMEM, outside any section, when the reader
 *         holds no generation to fall back on (its first section, or the
 *         first after dataset_reader_quiesce() let go) and cannot open
 *         one; a later call tries again.
 * Thread-safety: the reader's thread.
 */
keyspace_reader *dataset_read_begin(dataset_reader *r);

/**
 * Leave the read section.
 * \param r the reader, inside a section.
 */
void dataset_read_end(dataset_reader *r);

/**
 * Let go of a generation that is no longer current, outside a section, so
 * that the writer can free it even if this thread reads nothing for a long
 * time.  Costs one load when there is nothing to do.
 * \param r the reader, not inside a section.
 * Thread-safety: the reader's thread.
 */
void dataset_reader_quiesce(dataset_reader *r);

/**
 * Which generation a reader's last section read.
 * \param r the reader.
 * \return the generation number (as dataset_generation()), or 0 if the
 *         reader has not read yet.
 */
uint64_t dataset_reader_generation(const dataset_reader *r);

#endif
