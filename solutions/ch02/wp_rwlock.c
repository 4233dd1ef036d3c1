/* wp_rwlock.c - exercise 2.1 solved: writer preference from a mutex and two
 * condition variables.
 *
 * Every operation takes mu, looks at the counts, and either proceeds or
 * waits on a condition variable.  Waiting is always in a loop: a wakeup
 * only says "look again" (spurious wakeups, and another thread may have
 * got in first).  Readers wait on readers_go, writers on writer_go; who is
 * woken on each release decides the policy.
 */
#include "wp_rwlock.h"

#include <errno.h>

int wp_rwlock_init(wp_rwlock *l)
{
    int rc = pthread_mutex_init(&l->mu, NULL);
    if (rc == 0 && (rc = pthread_cond_init(&l->readers_go, NULL)) != 0)
        pthread_mutex_destroy(&l->mu);
    if (rc == 0 && (rc = pthread_cond_init(&l->writer_go, NULL)) != 0) {
        pthread_cond_destroy(&l->readers_go);
        pthread_mutex_destroy(&l->mu);
    }
    if (rc != 0) {
        errno = rc;
        return -1;
    }
    l->readers = 0;
    l->writers_waiting = 0;
    l->writer = false;
    return 0;
}

void wp_rwlock_destroy(wp_rwlock *l)
{
    pthread_cond_destroy(&l->writer_go);
    pthread_cond_destroy(&l->readers_go);
    pthread_mutex_destroy(&l->mu);
}

/* The policy in one line: a reader may enter when no writer is inside and
 * none is waiting.  Drop "|| l->writers_waiting > 0" and you have reader
 * preference, with its starving writers. */
static bool reader_may_enter(const wp_rwlock *l)
{
    return !l->writer && l->writers_waiting == 0;
}

void wp_rwlock_rdlock(wp_rwlock *l)
{
    pthread_mutex_lock(&l->mu);
    while (!reader_may_enter(l))
        pthread_cond_wait(&l->readers_go, &l->mu);
    l->readers++;
    pthread_mutex_unlock(&l->mu);
}

bool wp_rwlock_tryrdlock(wp_rwlock *l)
{
    pthread_mutex_lock(&l->mu);
    bool ok = reader_may_enter(l);
    if (ok)
        l->readers++;
    pthread_mutex_unlock(&l->mu);
    return ok;
}

void wp_rwlock_rdunlock(wp_rwlock *l)
{
    pthread_mutex_lock(&l->mu);
    /* Only the last reader out can let a writer in; one writer suffices. */
    if (--l->readers == 0 && l->writers_waiting > 0)
        pthread_cond_signal(&l->writer_go);
    pthread_mutex_unlock(&l->mu);
}

void wp_rwlock_wrlock(wp_rwlock *l)
{
    pthread_mutex_lock(&l->mu);
    l->writers_waiting++;   /* from here on, new readers stay out */
    while (l->writer || l->readers > 0)
        pthread_cond_wait(&l->writer_go, &l->mu);
    l->writers_waiting--;
    l->writer = true;
    pthread_mutex_unlock(&l->mu);
}

void wp_rwlock_wrunlock(wp_rwlock *l)
{
    pthread_mutex_lock(&l->mu);
    l->writer = false;
    if (l->writers_waiting > 0)
        pthread_cond_signal(&l->writer_go);     /* writers first */
    else
        pthread_cond_broadcast(&l->readers_go); /* then every reader */
    pthread_mutex_unlock(&l->mu);
}
