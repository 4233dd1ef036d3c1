/* wp_rwlock.c - exercise 2.1: write a writer-preferring reader-writer lock
 * from the mutex and two condition variables in wp_rwlock.h.
 *
 * Rules to implement (every function takes l->mu first):
 * - a reader may enter when no writer is inside AND none is waiting;
 * - a writer counts itself in writers_waiting, waits until no reader and no
 *   writer is inside, then stops waiting and enters;
 * - the last reader out signals a waiting writer;
 * - a writer leaving signals the next waiting writer, or else broadcasts to
 *   all waiting readers.
 * Wait on a condition variable in a while loop, never an if.
 * Run `make exercise CH=02` to test; `make solutions` shows the reference.
 */
#include "wp_rwlock.h"

#include <errno.h>

int wp_rwlock_init(wp_rwlock *l)
{
    /* TODO(exercise 2.1): initialise mu, readers_go, writer_go and the
     * counts; return 0 (or -1 with errno if a pthread_*_init fails). */
    (void)l;
    errno = ENOSYS;
    return -1;
}

void wp_rwlock_destroy(wp_rwlock *l)
{
    (void)l; /* TODO(exercise 2.1) */
}

void wp_rwlock_rdlock(wp_rwlock *l)
{
    (void)l; /* TODO(exercise 2.1) */
}

bool wp_rwlock_tryrdlock(wp_rwlock *l)
{
    (void)l; /* TODO(exercise 2.1) */
    return false;
}

void wp_rwlock_rdunlock(wp_rwlock *l)
{
    (void)l; /* TODO(exercise 2.1) */
}

void wp_rwlock_wrlock(wp_rwlock *l)
{
    (void)l; /* TODO(exercise 2.1) */
}

void wp_rwlock_wrunlock(wp_rwlock *l)
{
    (void)l; /* TODO(exercise 2.1) */
}
