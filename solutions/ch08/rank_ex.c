/* rank_ex.c - exercise 8.2, solved: ZRANK from subtree counts. */
#include "rank_ex.h"

#include "pbtree_private.h"

/* Index of the first of the n elements of a[] that is >= key (strict
 * false) or > key (strict true): one binary search, log2(n) + 1
 * comparisons at most. */
static unsigned search(const pbtree *t, void *const *a, unsigned n,
                       const void *key, bool strict)
{
    unsigned lo = 0, hi = n;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        int c = t->ops.compare(a[mid], key);
        if (c < 0 || (strict && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t ex_rank(const pbtree *t, const void *key, bool *found)
{
    const pbtree_node *nd = t->root;
    size_t rank = 0;
    *found = false;
    if (nd == NULL)
        return 0;
    while (!nd->leaf) {
        const pbtree_inner *in = (const pbtree_inner *)nd;
        /* The key belongs to the last child whose first element is <=
         * key (child 0 when there is none): every element of the children
         * to its left is smaller than that first element, so smaller
         * than the key, and an element equal to the key can only be in
         * that child. */
        unsigned k = search(t, in->mins, nd->n, key, true);
        if (k > 0)
            k--;
        for (unsigned j = 0; j < k; j++)
            rank += in->counts[j];
        nd = in->kids[k];
    }
    const pbtree_leaf *lf = (const pbtree_leaf *)nd;
    unsigned i = search(t, lf->elems, nd->n, key, false);
    *found = i < nd->n && t->ops.compare(lf->elems[i], key) == 0;
    return rank + i;
}
