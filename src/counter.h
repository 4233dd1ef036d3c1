/* counter.h - statistics counters that readers can bump without sharing.
 * Chapter 5.
 *
 * A server wants to count its reads.  The obvious counter, one atomic
 * integer incremented by every read, puts a write to one shared cache line
 * on every read: exactly the cost that chapter 3 removed from the read path
 * by getting rid of the reader-writer lock.  With two cores bumping it, the
 * line ping-pongs between them and the increment costs several times a
 * lookup.
 *
 * The fix is to give every thread its own counter, on its own cache line,
 * and to add them up only when someone asks (an INFO command, a benchmark
 * report).  A slot has one writer, so an increment is a plain relaxed load
 * and relaxed store, not a locked read-modify-write; the relaxed atomics
 * only make the reader of the sum (another thread) well defined.  The sum
 * is not a snapshot of one instant, but every increment that happened
 * before counter_sum() started is in it, and the sum never decreases.
 *
 * Padding.  Slots are `stride` bytes apart.  64 bytes is one cache line;
 * many x86 cores also prefetch the neighbouring line, so two slots 64 bytes
 * apart can still disturb each other.  The default stride is 128 bytes; the
 * chapter-5 benchmark measures both.
 */
#ifndef COUNTER_H
#define COUNTER_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/** The default distance between two threads' slots, in bytes. */
#define COUNTER_STRIDE 128

/** A set of per-thread slots.  Fields are read-only outside counter.c. */
typedef struct counter {
    unsigned char *base;   /**< nslots * stride bytes, stride-aligned */
    size_t stride;         /**< bytes between slots */
    unsigned nslots;       /**< number of slots */
    atomic_uint claimed;   /**< slots handed out so far */
} counter;

/**
 * Create a counter with room for nslots threads.
 *
 * \param nslots how many threads may claim a slot (at least 1).
 * \param stride bytes between slots: a power of two from 8 to 4096
 *               (COUNTER_STRIDE unless measuring).
 * \return the counter, or NULL with errno EINVAL (bad argument) or
 *         ENOMEM.  Free with counter_destroy().
 */
counter *counter_create(unsigned nslots, size_t stride);

/**
 * Free a counter.  \param c the counter, or NULL.  No thread may use it.
 */
void counter_destroy(counter *c);

/**
 * Claim a slot for the calling thread.
 * \param c the counter.
 * \return a slot index, or -1 with errno ENOSPC when all are taken.
 *         Thread-safe; a slot is then used by that one thread only.
 */
int counter_claim(counter *c);

/**
 * Add n to a slot.  Only the thread that claimed the slot may call this.
 * \param c    the counter.
 * \param slot the caller's slot from counter_claim().
 * \param n    the amount.
 */
static inline void counter_add(counter *c, int slot, uint64_t n)
{
    _Atomic uint64_t *p =
        (_Atomic uint64_t *)(void *)(c->base + (size_t)slot * c->stride);
    /* relaxed load + relaxed store: one writer per slot, so no increment
     * can be lost, and no lock prefix is needed.  Relaxed is enough: the
     * summing thread needs only the value, no other memory with it. */
    atomic_store_explicit(p, atomic_load_explicit(p, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/**
 * Add up every slot.
 * \param c the counter.
 * \return the total; every increment that returned before this call is
 *         included.  Thread-safe, never blocks the writers.
 */
uint64_t counter_sum(const counter *c);

#endif
