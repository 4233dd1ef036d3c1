/* counter.c - per-thread counter slots, summed on demand.
 * Chapter 5.
 */
#include "counter.h"
#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

counter *counter_create(unsigned nslots, size_t stride)
{
    if (nslots == 0 || stride < sizeof(uint64_t) || stride > 4096 ||
        (stride & (stride - 1)) != 0) {
        errno = EINVAL;
        return NULL;
    }
    counter *c = xmalloc(sizeof *c);
    if (c == NULL)
        return NULL;
    /* Aligned to the stride, so that slot i starts at a line boundary. */
    c->base = xaligned_alloc(stride, (size_t)nslots * stride);
    if (c->base == NULL) {
        free(c);
        errno = ENOMEM;
        return NULL;
    }
    memset(c->base, 0, (size_t)nslots * stride);
    c->stride = stride;
    c->nslots = nslots;
    atomic_init(&c->claimed, 0);
    return c;
}

void counter_destroy(counter *c)
{
    if (c == NULL)
        return;
    free(c->base);
    free(c);
}

int counter_claim(counter *c)
{
    /* A compare-and-swap loop, not fetch_add: a fetch_add would keep
     * counting failed claims, wrap after 2^32 of them and hand out slot 0
     * again.  Here claimed never passes nslots, and a failed claim writes
     * nothing.  relaxed (success and failure): the slot index is all we
     * need; the slot's memory was zeroed before the counter was shared. */
    unsigned i = atomic_load_explicit(&c->claimed, memory_order_relaxed);
    do {
        if (i >= c->nslots) {
            errno = ENOSPC;
            return -1;
        }
    } while (!atomic_compare_exchange_weak_explicit(
        &c->claimed, &i, i + 1, memory_order_relaxed, memory_order_relaxed));
    return (int)i;
}

uint64_t counter_sum(const counter *c)
{
    uint64_t sum = 0;
    for (unsigned i = 0; i < c->nslots; i++) {
        _Atomic uint64_t *p =
            (_Atomic uint64_t *)(void *)(c->base + (size_t)i * c->stride);
        sum += atomic_load_explicit(p, memory_order_relaxed);
    }
    return sum;
}
