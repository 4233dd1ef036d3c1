/* store_rwlock.h - a kvmap behind one pthread reader-writer lock.
 * Chapter 2.
 *
 * Two variants that differ only in the lock's preference:
 *
 * - store_rwlock_ops ("rwlock") prefers writers: once a writer waits, new
 *   readers wait behind it (PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP).
 *   That is what Go's sync.RWMutex does, so it is the variant compared with
 *   the seed report, and what a replica wants: its one writer is the
 *   replication stream, and a starved writer means unbounded lag.
 * - store_rwlock_rp_ops ("rwlock-rp") keeps glibc's default, which prefers
 *   readers: a steady stream of readers can hold a writer off for ever.
 *   Chapter 2 measures that starvation.
 *
 * Under the writer-preferring kind a thread must never take the read lock
 * twice (a read section must not nest): with a writer queued between the two
 * acquisitions the thread would wait for the writer, which waits for it.
 *
 * Two extras serve tests and teaching, and work on both variants only:
 * store_rwlock_try_read_begin() asks "could a reader enter now without
 * waiting?", and store_rwlock_peek() decodes glibc's lock word (readers
 * inside, writer waiting), so that tests can watch preference at work
 * without sleeping.
 */
#ifndef STORE_RWLOCK_H
#define STORE_RWLOCK_H

#include <pthread.h>
#include <stdbool.h>

#include "store.h"

/** Reader-writer lock store, writer-preferring (like Go's RWMutex). */
extern const store_ops store_rwlock_ops;

/** Reader-writer lock store with glibc's default reader preference. */
extern const store_ops store_rwlock_rp_ops;

/**
 * Try to enter a read section without waiting.
 *
 * The non-blocking twin of store_read_begin() (pthread_rwlock_tryrdlock()).
 * It exists so that a test can ask, without any timing, the question that
 * separates the two variants: "a reader is inside and a writer is waiting;
 * may a new reader come in?"  Under "rwlock-rp" the answer is yes (and so a
 * stream of overlapping readers can hold the writer off for ever); under
 * "rwlock" it is no: the new reader would queue behind the writer.
 *
 * \param r a reader of a store made from store_rwlock_ops or
 *          store_rwlock_rp_ops (any other store is a programming error),
 *          not inside a read section.
 * \return 1 if the read section was entered (end it with store_read_end()),
 *         0 if entering would have to wait for a writer (nothing changed),
 *         -1 with errno EAGAIN if the lock's reader count is exhausted.
 *
 * Thread-safety: like store_read_begin(): any thread, with its own reader.
 */
int store_rwlock_try_read_begin(store_reader *r);

/**
 * What glibc's lock word says at one instant.
 *
 * glibc (2.25 and later) keeps the state readers care about in one 32-bit
 * word, `__data.__readers` of pthread_rwlock_t: bit 0 says the lock is in
 * its write phase, bit 1 that a writer holds or has claimed the lock and is
 * waiting for the readers to drain, and the bits from 3 up count the readers
 * inside (or entering).  Every rdlock adds 8 to that word and every unlock
 * subtracts it again: that one shared word is why readers do not scale.
 * The layout is glibc's private business; it is decoded here only to teach
 * and to let tests wait for "a writer is waiting" without guessing with
 * sleeps.
 */
typedef struct store_rwlock_word {
    unsigned readers;    /**< readers holding (or entering) the read lock */
    bool writer_claimed; /**< a writer holds the lock or waits for it */
    bool write_phase;    /**< the lock is in its write phase */
} store_rwlock_word;

/**
 * Decode the lock word of any glibc pthread_rwlock_t.
 *
 * \param lock an initialised lock; it is only read (one atomic load).
 * \return the decoded word, a snapshot that may be stale at once.
 *
 * Thread-safety: safe from any thread at any time.
 */
store_rwlock_word store_rwlock_peek_lock(pthread_rwlock_t *lock);

/**
 * Decode the lock word of a reader-writer lock store.
 *
 * \param s a store made from store_rwlock_ops or store_rwlock_rp_ops.
 * \return the decoded word of its lock (see store_rwlock_peek_lock()).
 *
 * Thread-safety: safe from any thread at any time.
 */
store_rwlock_word store_rwlock_peek(store *s);

#endif
