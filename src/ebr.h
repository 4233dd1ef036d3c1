/* ebr.h - epoch-based reclamation: free memory once no reader can hold it.
 *
 * The problem.  A copy-on-write writer publishes a new snapshot and wants to
 * free the old one, but a reader that loaded the old pointer a moment ago
 * may still be reading it.  Go's garbage collector waits for that reader
 * automatically; C must be told.  This module is that waiting.
 *
 * The scheme.  A global epoch counter moves forward one step at a time.  A
 * reader entering a read-side critical section announces the epoch it saw
 * in its own slot (one cache line per reader, so readers never write a
 * shared line); leaving, it clears the slot.  A writer that has unlinked an
 * object retires it, tagged with the current epoch t.  The epoch may advance
 * from E to E+1 only when every reader slot is idle or announces E.  So once
 * the epoch has reached t+2, every reader that was inside a section when
 * the object was retired has left, and readers that entered later can only
 * have loaded the new pointer: the object is freed.
 *
 * Bound on garbage.  A retired object is freed by the second successful
 * advance after its retirement, no later: with all readers passing through
 * quiescent points, two ebr_reclaim() calls free it.  A reader that stays
 * inside a section blocks advances, and so reclamation, but never a writer:
 * ebr_retire() does not wait, it only lets garbage pile up (ebr_stats()
 * shows how much).
 *
 * Only C11 atomics are used, so ThreadSanitizer sees every happens-before
 * edge: a reader's exit is a release store that the writer's scan reads
 * with a seq_cst load before anything is freed.
 */
#ifndef EBR_H
#define EBR_H

#include <stddef.h>
#include <stdint.h>

/** A reclamation domain: one per data structure (one per store). */
typedef struct ebr ebr;
/** One registered reader thread's slot in a domain. */
typedef struct ebr_reader ebr_reader;

/**
 * Create a domain with no readers and nothing retired.
 * \return the domain, or NULL with errno ENOMEM.  Free with ebr_destroy().
 */
ebr *ebr_create(void);

/**
 * Destroy a domain, first freeing everything still retired.
 * \param d the domain, or NULL (does nothing).  Every reader must have been
 *          unregistered; no other thread may use d any more.
 */
void ebr_destroy(ebr *d);

/**
 * Register the calling thread as a reader.
 * \param d the domain.
 * \return the reader's slot, or NULL with errno ENOMEM.  A slot belongs to
 *         one thread at a time.  Thread-safe (takes the domain's mutex).
 */
ebr_reader *ebr_register(ebr *d);

/**
 * Unregister a reader and free its slot.
 * \param r the slot, or NULL.  Must be outside a critical section.
 */
void ebr_unregister(ebr_reader *r);

/**
 * Enter a read-side critical section.  Until the matching ebr_exit(), no
 * object that was still reachable when this call returned is freed, so a
 * pointer loaded inside the section stays valid to its end.  Retries only
 * if the epoch moves during the call.  Sections must not nest.
 * \param r the calling thread's slot.
 */
void ebr_enter(ebr_reader *r);

/**
 * Leave the read-side critical section: pointers loaded inside it must not
 * be used any more.  One release store.
 * \param r the calling thread's slot.
 */
void ebr_exit(ebr_reader *r);

/**
 * Hand an unlinked object to the domain, to be freed once every reader that
 * might hold it has left.  Never waits for readers.
 *
 * \param d       the domain.
 * \param p       the object; it must already be unreachable for readers
 *                that enter from now on.
 * \param free_fn called as free_fn(p) once it is safe, by whichever thread
 *                reclaims (with the domain's mutex held: it must not call
 *                back into this domain).
 * \param bytes   the object's size, for ebr_stats() only.
 * \return 0, or -1 with errno ENOMEM: then p was not retired and the caller
 *         must ebr_synchronize() and free it itself.  Thread-safe.
 */
int ebr_retire(ebr *d, void *p, void (*free_fn)(void *p), size_t bytes);

/**
 * Try once to advance the epoch, then free every retired object that has
 * become safe.  Never blocks on readers (only on the domain's mutex).
 * \param d the domain.
 * \return the number of objects freed by this call.  Thread-safe.
 */
size_t ebr_reclaim(ebr *d);

/**
 * Block until every object retired before this call has been freed: a full
 * grace period.  Must not be called from inside a critical section (it
 * would wait for itself forever).  Thread-safe.
 * \param d the domain.
 */
void ebr_synchronize(ebr *d);

/**
 * Read how much garbage is waiting.
 * \param d             the domain.
 * \param pending       if not NULL, receives the number of retired objects
 *                      not yet freed.
 * \param pending_bytes if not NULL, receives the sum of their bytes.
 */
void ebr_stats(ebr *d, size_t *pending, size_t *pending_bytes);

/**
 * The current global epoch, for tests and teaching output.  Starts at 1.
 * \param d the domain.
 * \return the epoch (it only ever grows).
 */
uint64_t ebr_epoch(ebr *d);

#endif
