/* rank_ex.h - exercise 8.2: ZRANK from subtree counts.
 *
 * A sorted set keeps its members in a pbtree ordered by (score, member).
 * ZRANK asks how many members come before a given one.  Walking the
 * leaves answers it in O(n); the internal nodes answer it in O(log n),
 * because every internal node stores, for each child, how many elements
 * lie below it (counts[]) and the child's first element (mins[]) (see
 * src/pbtree_private.h, struct pbtree_inner).  Descend from the root: in
 * each internal node find the child the key belongs to by its first
 * element (binary search over mins[]), add up the counts of the children
 * to its left, and go down; in the leaf, count the elements smaller than
 * the key.
 *
 * The starter in rank_ex.c walks every element: correct, but O(n).  The
 * tests count comparisons and accept at most a binary search per level.
 */
#ifndef EX_RANK_H
#define EX_RANK_H

#include <stdbool.h>
#include <stddef.h>

#include "pbtree.h"

/**
 * Rank of key in an ordered pbtree: the number of elements that compare
 * less than it.
 * \param t     a version built with ops.compare set.
 * \param key   what to look for (compare's second argument).
 * \param found receives whether an element equal to key is in t.
 * \return the rank, 0..pbtree_len(t).
 */
size_t ex_rank(const pbtree *t, const void *key, bool *found);

#endif
