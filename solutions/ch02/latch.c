/* latch.c - primer exercise (chapter 1b), reference solution: a count-down
 * latch from one mutex and one condition variable.
 *
 * The predicate is count == 0, kept under mu.  The waiter re-checks it in
 * a while loop after every wake-up, because a wake-up only means "look
 * again" (spurious wake-ups are allowed, and the tests inject one).  The
 * count changes only under mu, so a count-down cannot fall between a
 * waiter's check and its wait (the lost wake-up of chapter 1b).  Reaching
 * zero broadcasts: every waiter may go on, and signal would wake only one.
 */
#include "latch.h"

#include <errno.h>

int latch_init(latch *l, unsigned count)
{
    int rc = pthread_mutex_init(&l->mu, NULL);
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    rc = pthread_cond_init(&l->zero, NULL);
    if (rc != 0) {
        pthread_mutex_destroy(&l->mu);
        errno = rc;
        return -1;
    }
    l->count = count;
    l->waits = 0;
    return 0;
}

void latch_destroy(latch *l)
{
    pthread_cond_destroy(&l->zero);
    pthread_mutex_destroy(&l->mu);
}

void latch_count_down(latch *l)
{
    pthread_mutex_lock(&l->mu);
    if (l->count > 0 && --l->count == 0)
        pthread_cond_broadcast(&l->zero); /* every waiter may go on */
    pthread_mutex_unlock(&l->mu);
}

void latch_wait(latch *l)
{
    pthread_mutex_lock(&l->mu);
    while (l->count > 0) {      /* look again after every wake-up */
        l->waits++;
        pthread_cond_wait(&l->zero, &l->mu);
    }
    pthread_mutex_unlock(&l->mu);
}

bool latch_is_open(latch *l)
{
    pthread_mutex_lock(&l->mu);
    bool open = l->count == 0;
    pthread_mutex_unlock(&l->mu);
    return open;
}
