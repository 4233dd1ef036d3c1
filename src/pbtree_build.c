/* pbtree_build.c - build a B+tree from an array in one pass, for loading.
 * Chapter 8.
 *
 * Loading a list, a sorted set or a stream (from an RDB file,
 * or a command that makes a whole value at once) knows every element
 * before the tree exists, so it need not insert them one by one: it can
 * lay the leaves out left to right, full, and then build each level of
 * internal nodes over the one below, until one node is left, the root.
 * That is O(n) with no searching and no copying, and every node is full
 * except the last one or two of each level.  The last node of a level
 * holds what is left over; when that is fewer than PBTREE_MIN slots, the
 * last two nodes share their slots so that the last holds exactly
 * PBTREE_MIN and the one before it as many as remain (17 to 31).  So the
 * built tree meets even the strict rule (every non-root node at least
 * half full) that pbtree.h relaxes at the edges, and an edit that later
 * lands next to the end finds room.
 *
 * Failure.  Each level is built into an array of its nodes; a node, once
 * built, owns its children.  If an allocation fails, the nodes built so
 * far on the new level and the nodes of the level below that no parent
 * took yet are released (which frees everything beneath them and releases
 * every element once), so nothing leaks and the caller's elements are
 * left with the references they had.
 */
#include "pbtree_private.h"
#include "alloc.h"

#include <errno.h>
#include <stdlib.h>

/* Slots of node j of the k nodes that share m slots on one level. */
static unsigned slots_of(size_t m, size_t k, size_t j)
{
    size_t rest = m - PBTREE_SLOTS * (k - 1); /* the last node's share */
    if (k > 1 && rest < PBTREE_MIN) {         /* share with the one before */
        if (j == k - 1)
            return PBTREE_MIN;
        if (j == k - 2)
            return (unsigned)(PBTREE_SLOTS + rest - PBTREE_MIN);
    }
    return j == k - 1 ? (unsigned)rest : PBTREE_SLOTS;
}

static pbtree_node *node_new(bool leaf, unsigned n)
{
    pbtree_node *nd = xmalloc(pbtree_node_size(leaf));
    if (nd == NULL)
        return NULL;
    nd->edit = 0; /* a version's node: never changed in place */
    nd->refs = 1;
    nd->n = (uint16_t)n;
    nd->leaf = leaf;
    return nd;
}

/* Release nodes [from, to) of a level array. */
static void release_nodes(const pbtree *t, pbtree_node **nds, size_t from,
                          size_t to)
{
    for (size_t j = from; j < to; j++)
        pbtree_node_release(&t->ops, nds[j]);
}

/* The leaves over elems[0..n), n > 0: *k receives how many. */
static pbtree_node **build_leaves(pbtree *t, void *const *elems, size_t n,
                                  size_t *k)
{
    size_t nk = (n + PBTREE_SLOTS - 1) / PBTREE_SLOTS;
    pbtree_node **lv = xmalloc(nk * sizeof *lv);
    if (lv == NULL)
        return NULL;
    size_t off = 0;
    for (size_t j = 0; j < nk; j++) {
        unsigned c = slots_of(n, nk, j);
        lv[j] = node_new(true, c);
        if (lv[j] == NULL) {
            release_nodes(t, lv, 0, j);
            free(lv);
            return NULL;
        }
        pbtree_leaf *lf = pbtree_as_leaf(lv[j]);
        for (unsigned i = 0; i < c; i++) {
            lf->elems[i] = elems[off + i];
            pbtree_el_retain(t, lf->elems[i]);
        }
        off += c;
    }
    *k = nk;
    return lv;
}

/* The level above the k nodes of kids (k > 1), which it takes over;
 * *k receives the new count.  On failure every node of kids is released. */
static pbtree_node **build_level(pbtree *t, pbtree_node **kids, size_t *k)
{
    size_t m = *k, nk = (m + PBTREE_SLOTS - 1) / PBTREE_SLOTS, used = 0;
    pbtree_node **lv = xmalloc(nk * sizeof *lv);
    if (lv == NULL) {
        release_nodes(t, kids, 0, m);
        free(kids);
        return NULL;
    }
    for (size_t j = 0; j < nk; j++) {
        unsigned c = slots_of(m, nk, j);
        lv[j] = node_new(false, c);
        if (lv[j] == NULL) {
            release_nodes(t, lv, 0, j);     /* with the kids they took */
            release_nodes(t, kids, used, m); /* the kids no one took */
            free(lv);
            free(kids);
            return NULL;
        }
        for (unsigned i = 0; i < c; i++) /* the parent takes the reference */
            pbtree_set_inner_slot(t, pbtree_as_inner(lv[j]), i,
                                  kids[used + i]);
        used += c;
    }
    free(kids);
    *k = nk;
    return lv;
}

int pbtree_from_array(const pbtree_ops *ops, void *const *elems, size_t n,
                      pbtree **out)
{
    pbtree *t = pbtree_new(ops);
    if (t == NULL)
        return -1;
    if (n > 0) {
        size_t k;
        pbtree_node **lv = build_leaves(t, elems, n, &k);
        unsigned height = 1;
        while (lv != NULL && k > 1) {
            lv = build_level(t, lv, &k);
            height++;
        }
        if (lv == NULL) {
            pbtree_release(t);
            errno = ENOMEM;
            return -1;
        }
        t->root = lv[0];
        t->len = n;
        t->height = height;
        free(lv);
    }
    *out = t;
    return 0;
}
