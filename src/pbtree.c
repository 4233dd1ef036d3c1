/* pbtree.c - the persistent B+tree: versions, transients, reads, iterators.
 * Chapter 8.
 *
 * This file holds what every reader and every writer starts
 * from: making and releasing versions, turning a version into a transient
 * and back, and the read side (length, get, rank, bytes, statistics, and
 * the iterators), none of which touches a reference count.  The edits
 * live next to it, one concept per file: pbtree_edit.c for one-element
 * edits, pbtree_range.c for range delete, pbtree_build.c for building a
 * tree from an array, pbtree_node.c for the node and path machinery they
 * share.
 *
 * An edit of a version is an edit of a one-edit transient: a new header
 * with a fresh token shares the old root (pbtree_header_fork()), the edit
 * copies the path under that token, and the header is frozen before it is
 * returned.  pbtree_writer_begin() and pbtree_writer_end() are that
 * wrapping, shared by every edit.
 */
#include "pbtree_private.h"
#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- versions ----------------------------------------------------------- */

pbtree *pbtree_new(const pbtree_ops *ops)
{
    pbtree *t = xcalloc(1, sizeof *t);
    if (t == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    t->ops = *ops;
    t->refs = 1;
    return t;
}

pbtree *pbtree_retain(pbtree *t)
{
    t->refs++;
    return t;
}

void pbtree_release(pbtree *t)
{
    if (t == NULL || --t->refs > 0)
        return;
    if (t->root != NULL)
        pbtree_node_release(&t->ops, t->root);
    free(t);
}

size_t pbtree_len(const pbtree *t)
{
    return t->len;
}

unsigned pbtree_height(const pbtree *t)
{
    return t->height;
}

bool pbtree_is_transient(const pbtree *t)
{
    return t->edit != 0;
}

/* A new header sharing t's root, under a fresh token. */
pbtree *pbtree_header_fork(pbtree *t)
{
    pbtree *w = xmalloc(sizeof *w);
    if (w == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    *w = *t;
    w->refs = 1;
    w->edit = pbtree_new_token();
    if (w->root != NULL)
        w->root->refs++;
    return w;
}

pbtree *pbtree_edit_begin(pbtree *t)
{
    if (t->edit != 0) { /* two transients would share nodes one owns */
        errno = EINVAL;
        return NULL;
    }
    return pbtree_header_fork(t);
}

pbtree *pbtree_edit_end(pbtree *t)
{
    t->edit = 0;
    return t;
}

/* What an edit works on: t itself when it is a transient, else a fork. */
pbtree *pbtree_writer_begin(pbtree *t)
{
    return t->edit != 0 ? t : pbtree_header_fork(t);
}

/* Undo pbtree_writer_begin() after a failed edit (which changed nothing). */
void pbtree_writer_abort(pbtree *t, pbtree *w)
{
    if (w != t)
        pbtree_release(w);
}

pbtree *pbtree_writer_end(pbtree *t, pbtree *w)
{
    if (w != t)
        w->edit = 0;
    return w;
}

/* The result of an edit that changed nothing. */
pbtree *pbtree_unchanged(pbtree *t)
{
    return t->edit != 0 ? t : pbtree_retain(t);
}


/* ---- reading ------------------------------------------------------------ */

void *pbtree_get(const pbtree *t, size_t i)
{
    if (i >= t->len)
        return NULL;
    pbtree_path p;
    pbtree_path_to(t, i, &p);
    return pbtree_as_leaf(p.nd[p.h - 1])->elems[p.idx[p.h - 1]];
}

static size_t node_bytes(const pbtree *t, const pbtree_node *nd)
{
    size_t b = pbtree_node_size(nd->leaf);
    for (unsigned i = 0; i < nd->n; i++)
        b += nd->leaf ? (t->ops.size != NULL
                             ? t->ops.size(((const pbtree_leaf *)nd)->elems[i])
                             : 0)
                      : node_bytes(t, ((const pbtree_inner *)nd)->kids[i]);
    return b;
}

size_t pbtree_bytes(const pbtree *t)
{
    return sizeof *t + (t->root != NULL ? node_bytes(t, t->root) : 0);
}

static void node_stats(const pbtree_node *nd, pbtree_stats *st)
{
    st->nodes++;
    st->slots += nd->n;
    if (nd->leaf) {
        st->leaves++;
        return;
    }
    for (unsigned i = 0; i < nd->n; i++)
        node_stats(((const pbtree_inner *)nd)->kids[i], st);
}

void pbtree_stats_get(const pbtree *t, pbtree_stats *st)
{
    *st = (pbtree_stats){ .height = t->height };
    if (t->root != NULL)
        node_stats(t->root, st);
}

size_t pbtree_rank(const pbtree *t, const void *key, bool *equal)
{
    const pbtree_node *nd = t->root;
    size_t rank = 0;
    const void *next = NULL; /* first element after the current subtree */
    if (equal != NULL)
        *equal = false;
    if (nd == NULL)
        return 0;
    while (!nd->leaf) {
        const pbtree_inner *in = (const pbtree_inner *)nd;
        /* The last child whose first element is < key holds the answer,
         * or the answer is the next child's first element. */
        unsigned lo = 0, hi = nd->n; /* children [lo, hi) unknown */
        while (lo < hi) {
            unsigned mid = (lo + hi) / 2;
            if (t->ops.compare(in->mins[mid], key) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        unsigned k = lo > 0 ? lo - 1 : 0;
        for (unsigned j = 0; j < k; j++)
            rank += in->counts[j];
        if (k + 1 < nd->n)
            next = in->mins[k + 1];
        nd = in->kids[k];
    }
    const pbtree_leaf *lf = (const pbtree_leaf *)nd;
    unsigned lo = 0, hi = nd->n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (t->ops.compare(lf->elems[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const void *at = lo < nd->n ? lf->elems[lo] : next;
    if (equal != NULL && at != NULL)
        *equal = t->ops.compare(at, key) == 0;
    return rank + lo;
}


/* ---- iterators ---------------------------------------------------------- */

void pbtree_iter_seek(pbtree_iter *it, const pbtree *t, size_t i)
{
    it->t = t;
    if (i >= t->len) {
        it->pos = t->len;
        return;
    }
    pbtree_path p;
    pbtree_path_to(t, i, &p);
    for (unsigned d = 0; d < p.h; d++) {
        it->nd[d] = p.nd[d];
        it->idx[d] = p.idx[d];
    }
    it->pos = i;
}

void pbtree_iter_seek_key(pbtree_iter *it, const pbtree *t, const void *key)
{
    pbtree_iter_seek(it, t, pbtree_rank(t, key, NULL));
}

bool pbtree_iter_valid(const pbtree_iter *it)
{
    return it->pos < it->t->len;
}

void *pbtree_iter_elem(const pbtree_iter *it)
{
    unsigned d = it->t->height - 1;
    return ((const pbtree_leaf *)it->nd[d])->elems[it->idx[d]];
}

size_t pbtree_iter_pos(const pbtree_iter *it)
{
    return it->pos;
}

void pbtree_iter_next(pbtree_iter *it)
{
    const pbtree *t = it->t;
    if (it->pos == SIZE_MAX) {
        pbtree_iter_seek(it, t, 0);
        return;
    }
    if (it->pos + 1 >= t->len) {
        it->pos = t->len;
        return;
    }
    it->pos++;
    /* Up while the node is done, one step right, then down leftmost. */
    unsigned d = t->height - 1;
    while (++it->idx[d] >= it->nd[d]->n)
        d--;
    for (; d + 1 < t->height; d++) {
        it->nd[d + 1] =
            ((const pbtree_inner *)it->nd[d])->kids[it->idx[d]];
        it->idx[d + 1] = 0;
    }
}

void pbtree_iter_prev(pbtree_iter *it)
{
    const pbtree *t = it->t;
    if (it->pos == SIZE_MAX)
        return;
    if (it->pos == 0) {
        it->pos = SIZE_MAX;
        return;
    }
    if (it->pos >= t->len) {
        pbtree_iter_seek(it, t, t->len - 1);
        return;
    }
    it->pos--;
    unsigned d = t->height - 1;
    while (it->idx[d] == 0)
        d--;
    it->idx[d]--;
    for (; d + 1 < t->height; d++) {
        const pbtree_node *kid =
            ((const pbtree_inner *)it->nd[d])->kids[it->idx[d]];
        it->nd[d + 1] = kid;
        it->idx[d + 1] = kid->n - 1u;
    }
}
