/* alloc.h - the library's allocator, with a switch that makes one fail.
 * Chapter 5.
 *
 * Every chapter after it uses it.  Every
 * allocation the library makes (store writes, trie edits, maps, values,
 * epochs, parsers) goes through xmalloc(), xcalloc(), xrealloc() or
 * xaligned_alloc() instead of the C library directly.  They behave exactly
 * like the functions they wrap, and what they return is freed with plain
 * free().  The point is the test hook: a test can say "let the next n
 * allocations succeed and fail the one after" (alloc_fail_nth()), run an
 * operation, and check that the failure left everything as it was.  Run
 * with n = 1, 2, 3, ... until the operation succeeds, and every allocation
 * the operation makes has been the one that failed once: no error path
 * goes untested.
 *
 * Cost when off: one relaxed load of a flag that nobody writes, and a
 * branch that always goes the same way; the counting lives out of line in
 * alloc.c, so nothing else is added to the fast path.
 *
 * Threads: the counter is one atomic counter for the whole process, so the
 * hook is thread-safe, but it counts every thread's allocations.  A test
 * that wants to know which allocation fails arms it around code that only
 * one thread is running (readers that do not allocate may run meanwhile).
 */
#ifndef ALLOC_H
#define ALLOC_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

/** Non-zero while a failure is armed; read by the inline fast path. */
extern atomic_bool alloc_fault_armed;

/**
 * Count one allocation of an armed hook and decide whether it fails.
 * Internal to the x* functions below; tests use alloc_fail_nth().
 * \return true if this allocation must fail.
 */
bool alloc_fault_hit(void);

/* True when the allocation being made must fail (and sets errno). */
static inline bool alloc_fault_now(void)
{
    /* relaxed: the flag only switches fault injection on or off; a thread
     * that sees the change a little late only makes one more (or one less)
     * real allocation, and alloc_fault_hit() orders what it reads itself. */
    if (__builtin_expect(!atomic_load_explicit(&alloc_fault_armed,
                                               memory_order_relaxed), 1))
        return false;
    if (!alloc_fault_hit())
        return false;
    errno = ENOMEM;
    return true;
}

/**
 * malloc(), unless an injected failure is due.
 * \param n bytes.
 * \return the block (free it with free()), or NULL with errno ENOMEM.
 */
static inline void *xmalloc(size_t n)
{
    return alloc_fault_now() ? NULL : malloc(n);
}

/**
 * calloc(), unless an injected failure is due.
 * \param count elements.
 * \param size  bytes each.
 * \return the zeroed block (free()), or NULL with errno ENOMEM.
 */
static inline void *xcalloc(size_t count, size_t size)
{
    return alloc_fault_now() ? NULL : calloc(count, size);
}

/**
 * realloc(), unless an injected failure is due; on failure p is untouched,
 * exactly as when realloc() itself fails.
 * \param p block to resize, or NULL.
 * \param n new size in bytes.
 * \return the block (free()), or NULL with errno ENOMEM.
 */
static inline void *xrealloc(void *p, size_t n)
{
    return alloc_fault_now() ? NULL : realloc(p, n);
}

/**
 * aligned_alloc(), unless an injected failure is due.
 * \param align alignment, a power of two.
 * \param n     bytes, a multiple of align.
 * \return the block (free()), or NULL with errno ENOMEM.
 */
static inline void *xaligned_alloc(size_t align, size_t n)
{
    return alloc_fault_now() ? NULL : aligned_alloc(align, n);
}

/**
 * Arm the hook: the next nth - 1 allocations succeed, allocation number nth
 * (counting from this call, every thread together) fails, and the ones
 * after it succeed again.
 * \param nth 1 for the very next allocation; 0 disarms (like alloc_fail_off()).
 * Thread-safety: may be called from any thread; meant for tests.
 */
void alloc_fail_nth(unsigned long nth);

/**
 * Arm the hook so that allocation number nth and every one after it fail,
 * until alloc_fail_off(): for code that must survive running out for good.
 * \param nth 1 for the very next allocation; 0 disarms.
 */
void alloc_fail_from(unsigned long nth);

/** Disarm the hook: every allocation goes to the C library again. */
void alloc_fail_off(void);

/**
 * Allocations counted since the hook was last armed (the failed ones
 * included).  Only counts while armed.
 * \return the count.
 */
unsigned long alloc_fail_seen(void);

/**
 * Failures injected since the hook was last armed.
 * \return 0 if the armed allocation was never reached.
 */
unsigned long alloc_fail_fired(void);

#endif
