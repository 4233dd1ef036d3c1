/* brlock.c - exercise 2.2 solved: one mutex per reader slot.
 *
 * A reader touches only its own slot's mutex, a line no other reader
 * writes, so readers on different cores never move a cache line between
 * them.  A writer takes every slot in index order; two writers therefore
 * queue on slot 0 and can never hold each other's slots (no deadlock).
 * Preference follows from the mutexes: a writer that holds slots 0..i-1
 * and waits for slot i keeps new readers of those slots out, but a reader
 * of slot j > i can still come and go until the writer reaches it.
 */
#include "brlock.h"

#include <errno.h>
#include <stdlib.h>

int brlock_init(brlock *l, int nslots)
{
    if (nslots < 1 || nslots > BRLOCK_MAX_SLOTS) {
        errno = EINVAL;
        return -1;
    }
    /* aligned_alloc: each slot starts on its own 128-byte block, so two
     * slots never share a line (nor the adjacent line the prefetcher pulls
     * in with it). */
    l->slots = aligned_alloc(_Alignof(brlock_slot),
                             (size_t)nslots * sizeof(brlock_slot));
    if (l->slots == NULL) {
        errno = ENOMEM;
        return -1;
    }
    for (int i = 0; i < nslots; i++) {
        int rc = pthread_mutex_init(&l->slots[i].mu, NULL);
        if (rc != 0) {
            while (i-- > 0)
                pthread_mutex_destroy(&l->slots[i].mu);
            free(l->slots);
            errno = rc;
            return -1;
        }
    }
    l->nslots = nslots;
    return 0;
}

void brlock_destroy(brlock *l)
{
    for (int i = 0; i < l->nslots; i++)
        pthread_mutex_destroy(&l->slots[i].mu);
    free(l->slots);
    l->slots = NULL;
    l->nslots = 0;
}

void brlock_rdlock(brlock *l, int slot)
{
    pthread_mutex_lock(&l->slots[slot].mu);
}

bool brlock_tryrdlock(brlock *l, int slot)
{
    return pthread_mutex_trylock(&l->slots[slot].mu) == 0;
}

void brlock_rdunlock(brlock *l, int slot)
{
    pthread_mutex_unlock(&l->slots[slot].mu);
}

void brlock_wrlock(brlock *l)
{
    for (int i = 0; i < l->nslots; i++)
        pthread_mutex_lock(&l->slots[i].mu);
}

bool brlock_trywrlock(brlock *l)
{
    for (int i = 0; i < l->nslots; i++) {
        if (pthread_mutex_trylock(&l->slots[i].mu) != 0) {
            while (i-- > 0)
                pthread_mutex_unlock(&l->slots[i].mu);
            return false;
        }
    }
    return true;
}

void brlock_wrunlock(brlock *l)
{
    for (int i = l->nslots - 1; i >= 0; i--)
        pthread_mutex_unlock(&l->slots[i].mu);
}
