/* check_shrink.h - shrink a failing command sequence to a minimal one.
 * Chapter 12.
 *
 * When the consistency checker finds a difference, the run that found it
 * has thousands of commands, most of them irrelevant.  check_shrink() is
 * delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating
 * Failure-Inducing Input", IEEE TSE 28(2), 2002): it tries the sequence
 * with chunks removed, keeps any smaller sequence that still fails, and
 * halves the chunks until no single element can go.  The result is
 * 1-minimal: removing any one element makes the failure disappear.
 *
 * The sequence is abstract: elements are indices 0..n-1 into the caller's
 * own list of commands (or groups of commands), and the caller's test
 * replays a subsequence and says whether it still fails.
 */
#ifndef CHECK_SHRINK_H
#define CHECK_SHRINK_H

#include <stddef.h>

/**
 * Replay a subsequence and say whether the failure is still there.
 * \param idx  indices into the original sequence, increasing.
 * \param n    how many.
 * \param arg  the caller's pointer.
 * \return 1 if it still fails, 0 if it passes, -1 on an error of the test
 *         itself (shrinking stops and check_shrink() returns -1).
 */
typedef int (*check_fails_fn)(const size_t *idx, size_t n, void *arg);

/**
 * Find a 1-minimal failing subsequence of 0..n-1.
 * \param n     length of the original sequence; fails(0..n-1) must be 1.
 * \param fails the test.
 * \param arg   passed to fails.
 * \param out   receives a malloc'd array of increasing indices (the caller
 *              frees it); NULL when the return is not 0.
 * \param outn  receives its length.
 * \param tries if not NULL, receives how many times fails() was called.
 * \return 0; 1 if the whole sequence does not fail (nothing to shrink);
 *         -1 if fails() returned -1 or memory ran out (errno ENOMEM).
 * Thread-safety: as safe as fails().
 */
int check_shrink(size_t n, check_fails_fn fails, void *arg, size_t **out,
                 size_t *outn, size_t *tries);

#endif
