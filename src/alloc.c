/* alloc.c - the counting half of the allocation hook (see alloc.h).
 * Chapter 5.
 *
 * Arming stores the target first and the flag
 * last, with release; alloc_fault_hit() reads the flag again with acquire
 * before it reads the target, so a thread that counts an allocation sees
 * the target that goes with the flag it saw.  The counter itself is one
 * fetch-add: every allocation gets its own number, whichever thread
 * makes it.
 */
#include "alloc.h"

atomic_bool alloc_fault_armed;
static atomic_ulong target; /* the allocation number that fails */
static atomic_bool sticky;  /* and every one after it, too */
static atomic_ulong seen;   /* allocations counted since arming */
static atomic_ulong fired;  /* failures injected since arming */

bool alloc_fault_hit(void)
{
    /* acquire: pairs with the release store in arm(). */
    if (!atomic_load_explicit(&alloc_fault_armed, memory_order_acquire))
        return false;
    /* relaxed: only the count must be atomic, not ordered with anything */
    unsigned long k = atomic_fetch_add_explicit(&seen, 1,
                                                memory_order_relaxed) + 1;
    unsigned long t = atomic_load_explicit(&target, memory_order_relaxed);
    bool fail = k == t ||
                (k > t && atomic_load_explicit(&sticky, memory_order_relaxed));
    if (fail)
        atomic_fetch_add_explicit(&fired, 1, memory_order_relaxed);
    return fail;
}

static void arm(unsigned long nth, bool stick)
{
    atomic_store_explicit(&alloc_fault_armed, false, memory_order_relaxed);
    if (nth == 0)
        return;
    atomic_store_explicit(&target, nth, memory_order_relaxed);
    atomic_store_explicit(&sticky, stick, memory_order_relaxed);
    atomic_store_explicit(&seen, 0, memory_order_relaxed);
    atomic_store_explicit(&fired, 0, memory_order_relaxed);
    /* release: the stores above are visible to whoever acquires the flag */
    atomic_store_explicit(&alloc_fault_armed, true, memory_order_release);
}

void alloc_fail_nth(unsigned long nth)
{
    arm(nth, false);
}

void alloc_fail_from(unsigned long nth)
{
    arm(nth, true);
}

void alloc_fail_off(void)
{
    atomic_store_explicit(&alloc_fault_armed, false, memory_order_relaxed);
}

unsigned long alloc_fail_seen(void)
{
    return atomic_load_explicit(&seen, memory_order_relaxed);
}

unsigned long alloc_fail_fired(void)
{
    return atomic_load_explicit(&fired, memory_order_relaxed);
}
