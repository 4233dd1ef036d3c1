/* latch.c - primer exercise (chapter 1b): write the count-down latch of
 * latch.h from its mutex and condition variable.
 *
 * Rules to implement (every function but init/destroy takes l->mu first):
 * - latch_count_down() lowers count if it is above 0, and when it reaches
 *   0 broadcasts `zero` (signal would wake only one of several waiters);
 * - latch_wait() waits on `zero` in a while loop until count == 0, adding
 *   one to `waits` just before each pthread_cond_wait() (the tests inject
 *   a spurious wake-up; an `if` returns with the latch still closed);
 * - the count changes only with the mutex held, or a wake-up can be lost
 *   (chapter 1b, condvar scene 2).
 * Run `make exercise CH=02` to test; `make solutions` shows the reference.
 */
#include "latch.h"

#include <errno.h>

int latch_init(latch *l, unsigned count)
{
    /* TODO(primer exercise): initialise mu and zero, set count and waits;
     * return 0 (or -1 with errno if a pthread_*_init fails). */
    (void)l;
    (void)count;
    errno = ENOSYS;
    return -1;
}

void latch_destroy(latch *l)
{
    (void)l; /* TODO(primer exercise) */
}

void latch_count_down(latch *l)
{
    (void)l; /* TODO(primer exercise) */
}

void latch_wait(latch *l)
{
    (void)l; /* TODO(primer exercise) */
}

bool latch_is_open(latch *l)
{
    (void)l; /* TODO(primer exercise) */
    return false;
}
