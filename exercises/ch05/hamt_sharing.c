/* hamt_sharing.c - exercise 5.2 (starter): count what two versions share.
 *
 * hamt_count_nodes(): one for this node plus the count of every child
 * (a slot whose key is NULL holds a child).
 * hamt_shared_nodes(): if a == b, the answer is hamt_count_nodes(b).
 * Otherwise, if both are branch nodes (bitmap != 0), for every index set in
 * both bitmaps whose slots are both children, add the shared count of
 * those two children.  popcount(bitmap & ((1 << i) - 1)) gives the slot of
 * index i (__builtin_popcount is fine here).
 */
#include "hamt_sharing.h"

size_t hamt_count_nodes(const hamt_node *root)
{
    /* Exercise 5.2: count the nodes of the subtree. */
    (void)root;
    return 0;
}

size_t hamt_shared_nodes(const hamt_node *a, const hamt_node *b)
{
    /* Exercise 5.2: walk a and b in step. */
    (void)a;
    (void)b;
    return 0;
}
