/* wp_rwlock.h - exercise 2.1: a writer-preferring reader-writer lock built
 * from one mutex and two condition variables.
 *
 * glibc's pthread_rwlock_t prefers writers only with the non-portable
 * PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP kind.  Building the same
 * policy yourself shows what "preference" means: it is nothing but the
 * condition a newly arriving reader waits on.  Here a reader waits while a
 * writer is inside OR WAITING; that one extra clause (writers_waiting > 0)
 * is the whole difference between writer and reader preference.
 *
 * All fields are protected by mu.  Tests read writers_waiting (under mu)
 * to learn, without sleeping, that a writer is blocked in wrlock, so keep
 * it exact: incremented when a writer starts waiting, decremented when it
 * gets in.
 */
#ifndef WP_RWLOCK_H
#define WP_RWLOCK_H

#include <pthread.h>
#include <stdbool.h>

/** A writer-preferring reader-writer lock; all fields guarded by mu. */
typedef struct wp_rwlock {
    pthread_mutex_t mu;        /**< guards every field below */
    pthread_cond_t readers_go; /**< broadcast when readers may enter */
    pthread_cond_t writer_go;  /**< signalled when a writer may enter */
    int readers;               /**< readers inside */
    int writers_waiting;       /**< writers blocked in wp_rwlock_wrlock() */
    bool writer;               /**< a writer is inside */
} wp_rwlock;

/**
 * Initialise an unlocked lock.
 * \param l the lock.
 * \return 0, or -1 with errno set if a pthread object could not be made.
 */
int wp_rwlock_init(wp_rwlock *l);

/** Destroy an unlocked lock.  \param l the lock. */
void wp_rwlock_destroy(wp_rwlock *l);

/**
 * Take the lock for reading; waits while a writer is inside or waiting.
 * \param l the lock.  A thread must not take it twice (it would wait for
 *          a waiting writer that waits for it).
 */
void wp_rwlock_rdlock(wp_rwlock *l);

/**
 * Take the lock for reading only if that needs no waiting.
 * \param l the lock.
 * \return true if taken (release with wp_rwlock_rdunlock()), false if a
 *         writer is inside or waiting.
 */
bool wp_rwlock_tryrdlock(wp_rwlock *l);

/** Release a read lock; the last reader out lets a waiting writer in.
 *  \param l the lock. */
void wp_rwlock_rdunlock(wp_rwlock *l);

/** Take the lock for writing; waits for readers and writers inside.
 *  \param l the lock. */
void wp_rwlock_wrlock(wp_rwlock *l);

/** Release the write lock: the next waiting writer goes first, otherwise
 *  all waiting readers.  \param l the lock. */
void wp_rwlock_wrunlock(wp_rwlock *l);

#endif
