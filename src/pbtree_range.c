/* pbtree_range.c - range delete of the B+tree (LTRIM, ZREMRANGEBYRANK).
 * Chapter 8.
 *
 * Unlike a one-element edit, a range delete cannot know its
 * allocations before it starts, so it works on a private fork of the
 * tree: it may allocate as it goes, and if an allocation fails, releasing
 * the fork undoes everything.  It runs in two passes.  The cut drops every
 * child entirely inside the range (one release each, whatever its size)
 * and trims the at most two children at each level that the range's ends
 * fall in.  That leaves every count and first element right, but nodes on
 * the two boundary paths (to the last element before the range and the
 * first after it) may be under-full, down to a single slot.  The repair
 * then walks up from the leaves, level by level, and fixes the node on
 * each boundary path by merging it with a neighbour or taking slots from
 * one.
 */
#include "pbtree_private.h"

#include <errno.h>
#include <stdlib.h>

/* A writable copy of child k of pa (pa == NULL: the root), allocated now. */
static int writable_kid(pbtree *w, pbtree_inner *pa, unsigned k,
                        pbtree_node **nd)
{
    pbtree_node *cur = pa != NULL ? pa->kids[k] : w->root;
    if (pbtree_owned(w, cur)) {
        *nd = cur;
        return 0;
    }
    pbtree_pool pl;
    if (pbtree_pool_fill(&pl, cur->leaf ? 1 : 0, cur->leaf ? 0 : 1) != 0)
        return -1;
    *nd = pbtree_copy_into(w, &pl, cur, pa, k);
    return 0;
}

/* Drop slot k of an internal node, releasing what it holds. */
static void drop_slot(pbtree *w, pbtree_inner *in, unsigned k)
{
    pbtree_el_release(&w->ops, in->mins[k]);
    pbtree_node_release(&w->ops, in->kids[k]);
    pbtree_slots_move(&in->h, k, &in->h, k + 1, in->h.n - k - 1u);
    in->h.n--;
}

/* Remove positions [lo, hi) of the subtree nd (writable), which keeps at
 * least one element. */
static int cut(pbtree *w, pbtree_node *nd, size_t lo, size_t hi)
{
    if (nd->leaf) {
        pbtree_leaf *lf = pbtree_as_leaf(nd);
        for (size_t i = lo; i < hi; i++)
            pbtree_el_release(&w->ops, lf->elems[i]);
        pbtree_slots_move(nd, (unsigned)lo, nd, (unsigned)hi,
                          nd->n - (unsigned)hi);
        nd->n = (uint16_t)(nd->n - (hi - lo));
        return 0;
    }
    pbtree_inner *in = pbtree_as_inner(nd);
    size_t off = 0;
    for (unsigned k = 0; k < nd->n && off < hi;) {
        size_t a = off, b = off + in->counts[k];
        off = b;
        if (b <= lo) {
            k++;
        } else if (lo <= a && b <= hi) {
            drop_slot(w, in, k);
        } else {
            pbtree_node *kid;
            if (writable_kid(w, in, k, &kid) != 0 ||
                cut(w, kid, (lo > a ? lo : a) - a, (hi < b ? hi : b) - a) != 0)
                return -1;
            in->counts[k] = pbtree_node_count(kid);
            pbtree_refresh_min(w, in, k);
            k++;
        }
    }
    return 0;
}

/* The root has one child: let the child be the root. */
static void collapse_root(pbtree *w)
{
    pbtree_node *root = w->root;
    w->root = pbtree_as_inner(root)->kids[0];
    w->root->refs++;
    pbtree_node_release(&w->ops, root);
    w->height--;
}

/* Make the node at level lv (0 = leaves) on the path to position pos hold
 * at least PBTREE_MIN slots, unless it is (or becomes) the root. */
static int fix_at(pbtree *w, size_t pos, unsigned lv)
{
    for (;;) {
        if (lv + 1 >= w->height)
            return 0; /* the root may hold fewer */
        pbtree_path p;
        pbtree_path_to(w, pos, &p);
        unsigned d = p.h - 1 - lv; /* depth of the node */
        pbtree_node *nd = p.nd[d];
        if (nd->n >= PBTREE_MIN)
            return 0;
        pbtree_inner *pa = pbtree_as_inner(p.nd[d - 1]);
        if (pa->h.n == 1) { /* no neighbour: give the parent some first */
            if (d - 1 == 0)
                collapse_root(w);
            else if (fix_at(w, pos, lv + 1) != 0)
                return -1;
            continue;
        }
        /* Writable path down to the parent, then node and neighbour. */
        pbtree_node *cur;
        if (writable_kid(w, NULL, 0, &cur) != 0)
            return -1;
        for (unsigned e = 1; e < d; e++)
            if (writable_kid(w, pbtree_as_inner(cur), p.idx[e - 1], &cur) != 0)
                return -1;
        pa = pbtree_as_inner(cur);
        unsigned k = p.idx[d - 1], sk = pbtree_sibling_of(&pa->h, k);
        pbtree_node *s;
        if (writable_kid(w, pa, k, &nd) != 0 ||
            writable_kid(w, pa, sk, &s) != 0)
            return -1;
        if (nd->n + s->n <= PBTREE_SLOTS) { /* merge s into nd */
            pbtree_slots_retain(w, s, 0, s->n);
            if (sk < k) {
                pbtree_slots_move(nd, s->n, nd, 0, nd->n);
                pbtree_slots_move(nd, 0, s, 0, s->n);
            } else {
                pbtree_slots_move(nd, nd->n, s, 0, s->n);
            }
            nd->n = (uint16_t)(nd->n + s->n);
            drop_slot(w, pa, sk);
            if (sk < k)
                k--;
        } else { /* take slots from s until nd has half */
            unsigned m = (nd->n + s->n) / 2 - nd->n;
            if (sk < k) {
                pbtree_slots_move(nd, m, nd, 0, nd->n);
                pbtree_slots_move(nd, 0, s, s->n - m, m);
            } else {
                pbtree_slots_move(nd, nd->n, s, 0, m);
                pbtree_slots_move(s, 0, s, m, s->n - m);
            }
            nd->n = (uint16_t)(nd->n + m);
            s->n = (uint16_t)(s->n - m);
            pa->counts[sk] = pbtree_node_count(s);
            pbtree_refresh_min(w, pa, sk);
        }
        pa->counts[k] = pbtree_node_count(nd);
        pbtree_refresh_min(w, pa, k);
    }
}

/* Delete [i, j) from w (a fork, 0 < j - i < length). */
static int range_at(pbtree *w, size_t i, size_t j)
{
    pbtree_node *root;
    if (writable_kid(w, NULL, 0, &root) != 0 || cut(w, root, i, j) != 0)
        return -1;
    w->len -= j - i;
    for (unsigned lv = 0; lv + 1 < w->height; lv++) {
        if (i > 0 && fix_at(w, i - 1, lv) != 0)
            return -1;
        if (i < w->len && fix_at(w, i, lv) != 0)
            return -1;
    }
    while (!w->root->leaf && w->root->n == 1)
        collapse_root(w);
    return 0;
}

int pbtree_delete_range(pbtree *t, size_t i, size_t j, pbtree **out)
{
    if (i > j || j > t->len) {
        errno = EINVAL;
        return -1;
    }
    if (i == j) {
        *out = pbtree_unchanged(t);
        return 0;
    }
    /* Work on a fork, so that a failure half-way leaves t as it was. */
    pbtree *w = pbtree_header_fork(t);
    if (w == NULL)
        return -1;
    int rc = 0;
    if (j - i == t->len) { /* everything goes */
        pbtree_node_release(&w->ops, w->root);
        w->root = NULL;
        w->len = 0;
        w->height = 0;
    } else {
        rc = range_at(w, i, j);
    }
    if (rc != 0) {
        pbtree_release(w);
        errno = ENOMEM;
        return -1;
    }
    if (t->edit == 0) {
        *out = pbtree_edit_end(w);
        return 0;
    }
    /* A transient takes the fork's tree and its token: the fork's nodes
     * become the transient's, and the nodes it pbtree_owned before (some still
     * shared by the fork's copies) are copied if touched again. */
    if (t->root != NULL)
        pbtree_node_release(&t->ops, t->root);
    t->root = w->root;
    t->len = w->len;
    t->height = w->height;
    t->edit = w->edit;
    free(w);
    *out = t;
    return 0;
}

