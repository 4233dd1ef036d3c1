/* plist_edit.c - positional edits of persistent lists: one splice behind them all.
 * Chapter 8.
 *
 * Every positional edit (push, pop, LSET, LINSERT, delete, LTRIM) is the
 * same splice: replace positions [i, j) by nothing or by one element.
 * plist_splice() first works out the form of the result (the hysteresis
 * rule of plist.h), then builds it in one of four ways: flat from flat
 * (a new array, or the transient's own array moved in place), tree from
 * tree (the pbtree edit), tree from flat (pbtree_from_array() of the
 * spliced items, when the list outgrows the limits) and flat from tree
 * (the spliced items read out of the tree, when it has shrunk to half).
 * Everything the result needs is allocated before anything is changed,
 * so a failure returns -1 with the list as it was.
 */
#include "plist_private.h"
#include "alloc.h"

#include <errno.h>
#include <string.h>

/* The pbtree edit for a splice of a tree (j - i <= 1 when e is given). */
static int tree_op(pbtree *t, size_t i, size_t j, velem *e, pbtree **out)
{
    if (e != NULL)
        return i == j ? pbtree_insert(t, i, e, out)
                      : pbtree_set(t, i, e, out);
    return j == i + 1 ? pbtree_delete(t, i, out)
                      : pbtree_delete_range(t, i, j, out);
}

/* A transient's tree, made a pbtree transient if it is still a version
 * (after a conversion, or after plist_remove_matching()). */
static int tree_own(plist *l)
{
    if (pbtree_is_transient(l->tree))
        return 0;
    pbtree *t = pbtree_edit_begin(l->tree);
    if (t == NULL)
        return -1;
    pbtree_release(l->tree);
    l->tree = t;
    return 0;
}

/* The spliced items in a fresh array, as a tree version. */
static int tree_from_splice(const plist *l, size_t i, size_t j, velem *e,
                            size_t nn, pbtree **out)
{
    velem **tmp = xmalloc(nn * sizeof *tmp);
    if (tmp == NULL)
        return -1;
    plist_gather(l, i, j, e, tmp);
    int rc = pbtree_from_array(&plist_tree_ops, (void *const *)tmp, nn, out);
    free(tmp);
    return rc;
}

/* Splice a version: the result is a new version. */
static int splice_version(plist *l, size_t i, size_t j, velem *e, size_t nn,
                          size_t nb, bool flat, plist **out)
{
    plist *r = plist_alloc(flat ? nn : 0);
    if (r == NULL)
        return -1;
    if (flat) {
        plist_gather(l, i, j, e, r->items);
        for (size_t k = 0; k < nn; k++)
            velem_retain(r->items[k]);
        r->bytes = nb;
    } else if ((l->tree != NULL ? tree_op(l->tree, i, j, e, &r->tree)
                                : tree_from_splice(l, i, j, e, nn, &r->tree))
               != 0) {
        free(r);
        return -1;
    }
    r->len = nn;
    *out = r;
    return 0;
}

/* Splice a flat transient into a flat result, in its own array. */
static int splice_flat_in_place(plist *l, size_t i, size_t j, velem *e,
                                size_t nn, size_t nb)
{
    if (nn > l->cap) {
        size_t cap = l->cap * 2 > nn ? l->cap * 2 : nn;
        velem **a = l->items == l->inl ? xmalloc(cap * sizeof *a)
                                       : xrealloc(l->items, cap * sizeof *a);
        if (a == NULL)
            return -1;
        if (l->items == l->inl)
            memcpy(a, l->items, l->len * sizeof *a);
        l->items = a;
        l->cap = cap;
    }
    velem_retain(e); /* first: e may be one of the items released */
    for (size_t k = i; k < j; k++)
        velem_release(l->items[k]);
    size_t add = e != NULL ? 1 : 0;
    memmove(&l->items[i + add], &l->items[j],
            (l->len - j) * sizeof *l->items);
    if (e != NULL)
        l->items[i] = e;
    l->len = nn;
    l->bytes = nb;
    return 0;
}

/* Splice a transient: changed in place. */
static int splice_transient(plist *l, size_t i, size_t j, velem *e,
                            size_t nn, size_t nb, bool flat)
{
    if (flat && l->tree == NULL)
        return splice_flat_in_place(l, i, j, e, nn, nb);
    if (flat) { /* tree -> flat: read the spliced items out of the tree */
        size_t cap = plist_max_entries > nn ? plist_max_entries : nn;
        velem **a = xmalloc((cap > 0 ? cap : 1) * sizeof *a);
        if (a == NULL)
            return -1;
        plist_gather(l, i, j, e, a);
        for (size_t k = 0; k < nn; k++)
            velem_retain(a[k]);
        pbtree_release(l->tree);
        l->tree = NULL;
        l->items = a;
        l->cap = cap > 0 ? cap : 1;
        l->bytes = nb;
    } else if (l->tree == NULL) { /* flat -> tree */
        pbtree *t;
        if (tree_from_splice(l, i, j, e, nn, &t) != 0)
            return -1;
        plist_contents_release(l); /* the old items, l->len of them */
        l->tree = t; /* a version: the next edit makes it a transient */
        l->cap = 0;
        l->bytes = 0;
    } else {
        pbtree *same;
        if (tree_own(l) != 0 || tree_op(l->tree, i, j, e, &same) != 0)
            return -1;
    }
    l->len = nn;
    return 0;
}

/* Replace positions [i, j) of l by e (NULL: by nothing). */
static int plist_splice(plist *l, size_t i, size_t j, velem *e, plist **out)
{
    size_t n = l->len;
    if (i > j || j > n || (e != NULL && j - i > 1)) {
        errno = EINVAL;
        return -1;
    }
    if (i == j && e == NULL) { /* nothing to do */
        *out = l->transient ? l : plist_retain(l);
        return 0;
    }
    size_t nn = n - (j - i) + (e != NULL ? 1 : 0);
    size_t elen = e != NULL ? e->len : 0;
    size_t nb = 0;
    bool flat;
    if (l->tree == NULL) {
        nb = l->bytes - plist_range_bytes(l, i, j) + elen;
        flat = nn <= plist_max_entries && nb <= plist_max_bytes;
    } else if (nn <= n && nn <= plist_max_entries / 2) {
        /* A shrinking tree: back to flat at half the limits.  At most
         * max_entries / 2 lengths to add up. */
        nb = plist_range_bytes(l, 0, i) + plist_range_bytes(l, j, n) + elen;
        flat = nb <= plist_max_bytes / 2;
    } else {
        flat = false;
    }
    int rc = l->transient ? splice_transient(l, i, j, e, nn, nb, flat)
                          : splice_version(l, i, j, e, nn, nb, flat, out);
    if (rc == 0 && l->transient)
        *out = l;
    return rc;
}

/* Splice with a new element made from bytes. */
static int splice_bytes(plist *l, size_t i, size_t j, const void *p,
                        size_t len, plist **out)
{
    velem *e = velem_new(p, len);
    if (e == NULL)
        return -1;
    int rc = plist_splice(l, i, j, e, out);
    velem_release(e);
    return rc;
}

int plist_push_front(plist *l, const void *p, size_t len, plist **out)
{
    return splice_bytes(l, 0, 0, p, len, out);
}

int plist_push_back(plist *l, const void *p, size_t len, plist **out)
{
    return splice_bytes(l, l->len, l->len, p, len, out);
}

int plist_push_elem_front(plist *l, velem *e, plist **out)
{
    return plist_splice(l, 0, 0, e, out);
}

int plist_push_elem_back(plist *l, velem *e, plist **out)
{
    return plist_splice(l, l->len, l->len, e, out);
}

/* Pop position i (the head or the tail). */
static int pop_at(plist *l, size_t i, velem **popped, plist **out)
{
    if (l->len == 0) {
        errno = EINVAL;
        return -1;
    }
    velem *e = velem_retain((velem *)plist_get(l, i));
    if (plist_splice(l, i, i + 1, NULL, out) != 0) {
        velem_release(e);
        return -1;
    }
    *popped = e;
    return 0;
}

int plist_pop_front(plist *l, velem **popped, plist **out)
{
    return pop_at(l, 0, popped, out);
}

int plist_pop_back(plist *l, velem **popped, plist **out)
{
    return pop_at(l, l->len - 1, popped, out);
}

int plist_set(plist *l, size_t i, const void *p, size_t len, plist **out)
{
    if (i >= l->len) {
        errno = EINVAL;
        return -1;
    }
    return splice_bytes(l, i, i + 1, p, len, out);
}

int plist_insert(plist *l, size_t i, const void *p, size_t len, plist **out)
{
    if (i > l->len) {
        errno = EINVAL;
        return -1;
    }
    return splice_bytes(l, i, i, p, len, out);
}

int plist_delete(plist *l, size_t i, plist **out)
{
    if (i >= l->len) {
        errno = EINVAL;
        return -1;
    }
    return plist_splice(l, i, i + 1, NULL, out);
}

int plist_delete_range(plist *l, size_t i, size_t j, plist **out)
{
    return plist_splice(l, i, j, NULL, out);
}
