/* hamt_sharing.h - exercise 5.2: see path copying with your own eyes.
 *
 * After one write, the new version of a trie shares every node with the
 * old one except the few on the path to the changed key.  Count it: walk
 * two versions side by side, and wherever both have the very same node
 * pointer at the same place, the whole subtree below is shared.
 */
#ifndef HAMT_SHARING_H
#define HAMT_SHARING_H

#include <stddef.h>

#include "hamt.h"

/* Number of nodes (branch and collision) in a version. */
size_t hamt_count_nodes(const hamt_node *root);

/* Number of nodes of version b that are also nodes of version a, found by
 * walking both from their roots in step: when the two pointers at the same
 * position are equal, every node of that subtree is shared; when both are
 * branch nodes, compare the children they both have, index by index.
 * (With SipHash keys, collision nodes practically never occur; you need
 * not look for a collision node that moved to another depth.) */
size_t hamt_shared_nodes(const hamt_node *a, const hamt_node *b);

#endif
