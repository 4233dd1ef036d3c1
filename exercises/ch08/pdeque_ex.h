/* pdeque_ex.h - exercise 8.1: a persistent deque from two shared stacks.
 *
 * A persistent list shares its tail: pushing x on a stack makes one new
 * cell that points at the old top, and the old version is still the old
 * top.  A deque needs both ends, so keep two stacks: `front` (its top is
 * the first element) and `back` (its top is the last element).  Pushing
 * at either end makes one cell.  Popping from an end whose stack is empty
 * first rebuilds: take the other stack, keep its newer half where it is
 * and move the older half, reversed, to the empty side (new cells: the
 * old ones are still in use by the old version).  Splitting in half,
 * rather than moving everything, is what keeps alternating pops at the
 * two ends from moving the whole deque every time.
 *
 * Cells are reference counted: a cell is freed when no version and no
 * other cell points at it.  A version is released exactly once by whoever
 * made it (the tests do); releasing it drops its two stacks, which frees
 * every cell no other version still reaches.
 */
#ifndef EX_PDEQUE_H
#define EX_PDEQUE_H

#include <stddef.h>

/** A version of a deque; immutable once returned. */
typedef struct pdeque pdeque;

/**
 * The empty deque.
 * \return a new version (the caller releases it), or NULL if out of memory.
 */
pdeque *pdeque_empty(void);

/**
 * A version with x in front of d's elements; d is unchanged.
 * \param d the version. \param x the element.
 * \return the new version, or NULL if out of memory.
 */
pdeque *pdeque_push_front(const pdeque *d, long x);

/**
 * A version with x after d's elements; d is unchanged.
 * \param d the version. \param x the element.
 * \return the new version, or NULL if out of memory.
 */
pdeque *pdeque_push_back(const pdeque *d, long x);

/**
 * A version without d's first element, which goes to *x; d is unchanged.
 * \param d a non-empty version. \param x receives the element.
 * \return the new version, or NULL if out of memory or d is empty.
 */
pdeque *pdeque_pop_front(const pdeque *d, long *x);

/**
 * A version without d's last element, which goes to *x; d is unchanged.
 * \param d a non-empty version. \param x receives the element.
 * \return the new version, or NULL if out of memory or d is empty.
 */
pdeque *pdeque_pop_back(const pdeque *d, long *x);

/**
 * Number of elements. \param d the version. \return the count, O(1).
 */
size_t pdeque_len(const pdeque *d);

/**
 * Copy the elements, first to last, into out (for tests; O(n)).
 * \param d the version. \param out room for pdeque_len(d) elements.
 */
void pdeque_to_array(const pdeque *d, long *out);

/**
 * Release a version (NULL does nothing): cells no other version reaches
 * are freed.
 * \param d the version.
 */
void pdeque_release(pdeque *d);

/** \return cells allocated so far in this process (never decreases). */
size_t pdeque_cells_made(void);

/** \return cells allocated and not yet freed. */
size_t pdeque_cells_live(void);

#endif
