/* brlock.h - exercise 2.2: a "big-reader" lock whose readers do not share
 * a cache line.
 *
 * Chapter 2 measures why pthread_rwlock_t readers do not scale: each one
 * writes the same lock word.  A big-reader lock gives every reader thread
 * its own slot, a mutex on its own cache line.  A reader locks only its
 * slot, so two readers on two cores never touch the same line.  A writer
 * pays instead: it locks every slot, in index order (so two writers cannot
 * deadlock each other), and so waits for every reader.  Reads become cheap
 * and scalable; writes become O(slots).  Reader slots are chosen by the
 * caller: one per reader thread.
 */
#ifndef BRLOCK_H
#define BRLOCK_H

#include <pthread.h>
#include <stdbool.h>

/** Most slots a brlock may have. */
#define BRLOCK_MAX_SLOTS 64

/** One reader's slot, alone on its (128-byte, two-line) cache block. */
typedef struct brlock_slot {
    _Alignas(128) pthread_mutex_t mu; /**< held by the slot's reader, or a writer */
} brlock_slot;

/** A big-reader lock. */
typedef struct brlock {
    int nslots;         /**< number of slots */
    brlock_slot *slots; /**< nslots slots, 128-byte aligned (aligned_alloc) */
} brlock;

/**
 * Initialise an unlocked lock with nslots reader slots.
 * \param l      the lock.
 * \param nslots 1..BRLOCK_MAX_SLOTS.
 * \return 0, or -1 with errno EINVAL (nslots out of range) or ENOMEM.
 */
int brlock_init(brlock *l, int nslots);

/** Destroy an unlocked lock and free its slots.  \param l the lock. */
void brlock_destroy(brlock *l);

/** Take the read lock in one slot.  \param l the lock.
 *  \param slot 0..nslots-1, used by one thread at a time. */
void brlock_rdlock(brlock *l, int slot);

/**
 * Take the read lock in one slot only if that needs no waiting.
 * \param l the lock.  \param slot as for brlock_rdlock().
 * \return true if taken, false if a writer holds (or is taking) the lock.
 */
bool brlock_tryrdlock(brlock *l, int slot);

/** Release the read lock of one slot.  \param l the lock.
 *  \param slot the slot passed to brlock_rdlock(). */
void brlock_rdunlock(brlock *l, int slot);

/** Take the write lock: every slot, in index order.  \param l the lock. */
void brlock_wrlock(brlock *l);

/**
 * Take the write lock only if no slot is held.
 * \param l the lock.
 * \return true if taken; false (holding nothing) if any slot was held.
 */
bool brlock_trywrlock(brlock *l);

/** Release the write lock.  \param l the lock. */
void brlock_wrunlock(brlock *l);

#endif
