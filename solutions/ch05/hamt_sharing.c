/* hamt_sharing.c - exercise 5.2 (solution): count what two versions share.
 *
 * Two versions can only share a node at the same place: a node's position
 * is fixed by the hash bits of the keys under it.  So a walk in step finds
 * every shared subtree, and stops at the first equal pointer: it costs
 * O(changed paths), not O(n).
 */
#include "hamt_sharing.h"

size_t hamt_count_nodes(const hamt_node *root)
{
    if (root == NULL)
        return 0;
    size_t n = 1;
    for (uint32_t i = 0; i < root->n; i++)
        if (root->slots[i].key == NULL)
            n += hamt_count_nodes(root->slots[i].u.child);
    return n;
}

size_t hamt_shared_nodes(const hamt_node *a, const hamt_node *b)
{
    if (a == NULL || b == NULL)
        return 0;
    if (a == b)
        return hamt_count_nodes(b);
    if (a->bitmap == 0 || b->bitmap == 0)
        return 0; /* a collision node on either side: nothing more */
    size_t shared = 0;
    uint32_t both = a->bitmap & b->bitmap;
    while (both != 0) {
        uint32_t bit = both & -both; /* lowest index present in both */
        both &= both - 1;
        const hamt_slot *sa =
            &a->slots[__builtin_popcount(a->bitmap & (bit - 1))];
        const hamt_slot *sb =
            &b->slots[__builtin_popcount(b->bitmap & (bit - 1))];
        if (sa->key == NULL && sb->key == NULL)
            shared += hamt_shared_nodes(sa->u.child, sb->u.child);
    }
    return shared;
}
