/* brlock.c - exercise 2.2: write a big-reader lock (see brlock.h).
 *
 * - brlock_init: check nslots (1..BRLOCK_MAX_SLOTS, else EINVAL), allocate
 *   the slots with aligned_alloc(_Alignof(brlock_slot), ...), and init
 *   each slot's mutex.
 * - a reader locks and unlocks only its own slot's mutex;
 * - a writer locks every slot in index order (why the order?); trywrlock
 *   must give back the slots it took if one is busy.
 * Run `make exercise CH=02` to test; `make solutions` shows the reference.
 */
#include "brlock.h"

#include <errno.h>

int brlock_init(brlock *l, int nslots)
{
    /* TODO(exercise 2.2) */
    (void)l;
    (void)nslots;
    errno = ENOSYS;
    return -1;
}

void brlock_destroy(brlock *l)
{
    (void)l; /* TODO(exercise 2.2) */
}

void brlock_rdlock(brlock *l, int slot)
{
    (void)l; /* TODO(exercise 2.2) */
    (void)slot;
}

bool brlock_tryrdlock(brlock *l, int slot)
{
    (void)l; /* TODO(exercise 2.2) */
    (void)slot;
    return false;
}

void brlock_rdunlock(brlock *l, int slot)
{
    (void)l; /* TODO(exercise 2.2) */
    (void)slot;
}

void brlock_wrlock(brlock *l)
{
    (void)l; /* TODO(exercise 2.2) */
}

bool brlock_trywrlock(brlock *l)
{
    (void)l; /* TODO(exercise 2.2) */
    return false;
}

void brlock_wrunlock(brlock *l)
{
    (void)l; /* TODO(exercise 2.2) */
}
