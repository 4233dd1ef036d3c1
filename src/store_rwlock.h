/* store_rwlock.h - a kvmap behind one pthread reader-writer lock (chapter 2).
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
 */
#ifndef STORE_RWLOCK_H
#define STORE_RWLOCK_H

#include "store.h"

/** Reader-writer lock store, writer-preferring (like Go's RWMutex). */
extern const store_ops store_rwlock_ops;

/** Reader-writer lock store with glibc's default reader preference. */
extern const store_ops store_rwlock_rp_ops;

#endif
