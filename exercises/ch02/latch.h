/* latch.h - primer exercise (chapter 1b, tested with chapter 2's exercises):
 * a count-down latch from one mutex and one condition variable.
 *
 * A latch starts at a count; latch_count_down() lowers it, and
 * latch_wait() blocks until it reaches zero.  A replica uses the idea to
 * start its reader threads only once the first snapshot is loaded.  The
 * point of the exercise is the wait: the predicate (count == 0) lives in
 * the struct, guarded by mu; the condition variable only says "look
 * again".  So wait in a while loop, change count only under mu, and wake
 * every waiter when it reaches zero (they can all go on).
 *
 * All fields are guarded by mu.  The tests read `waits` under mu to learn,
 * without sleeping, that a thread is blocked in latch_wait(), and broadcast
 * `zero` without changing anything to inject a spurious wake-up, so keep
 * waits exact: add one just before each pthread_cond_wait().
 */
#ifndef LATCH_H
#define LATCH_H

#include <pthread.h>
#include <stdbool.h>

/** A count-down latch; every field is guarded by mu. */
typedef struct latch {
    pthread_mutex_t mu;  /**< guards every field below */
    pthread_cond_t zero; /**< broadcast when count reaches 0 */
    unsigned count;      /**< count-downs still to come */
    unsigned waits;      /**< times a thread began to wait (for tests) */
} latch;

/**
 * Initialise a latch.
 * \param l     the latch.
 * \param count count-downs needed before waiters go on (0: open at once).
 * \return 0, or -1 with errno set if a pthread object could not be made.
 */
int latch_init(latch *l, unsigned count);

/** Destroy a latch no thread is waiting on.  \param l the latch. */
void latch_destroy(latch *l);

/**
 * Lower the count by one (no effect at 0); at 0, wake every waiter.
 * \param l the latch.  Thread-safe.
 */
void latch_count_down(latch *l);

/**
 * Block until the count is 0.  Returns at once if it already is.
 * \param l the latch.  Thread-safe; any number of threads may wait.
 */
void latch_wait(latch *l);

/**
 * \param l the latch.
 * \return true if the count is 0 (latch_wait() would not block).
 */
bool latch_is_open(latch *l);

#endif
