/* store_naive.h - the store with no synchronisation at all.
 * Chapter 1.
 *
 * Correct for one thread, and the baseline every benchmark reports: the cost
 * of a lookup with nothing in the way.  With two threads it is a data race,
 * which chapter 1 lets ThreadSanitizer show (tests/demo/tsan_ch01_race.c).
 */
#ifndef STORE_NAIVE_H
#define STORE_NAIVE_H

#include "store.h"

/** The unsynchronised store: read sections are no-ops.  Single thread only. */
extern const store_ops store_naive_ops;

#endif
