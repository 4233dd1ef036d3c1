/* rank_ex.c - exercise 8.2: make ex_rank() O(log n) (see rank_ex.h). */
#include "rank_ex.h"

#include "pbtree_private.h"

/* Correct but O(n): walks the elements in order.  Replace it with a
 * descent that uses the internal nodes' counts[] and mins[]. */
size_t ex_rank(const pbtree *t, const void *key, bool *found)
{
    pbtree_iter it;
    size_t rank = 0;
    *found = false;
    for (pbtree_iter_seek(&it, t, 0); pbtree_iter_valid(&it);
         pbtree_iter_next(&it)) {
        int c = t->ops.compare(pbtree_iter_elem(&it), key);
        if (c >= 0) {
            *found = c == 0;
            break;
        }
        rank++;
    }
    return rank;
}
