/* pzset_range.c - removing a run of ranks: ZREMRANGEBY*, ZPOPMIN/MAX, ZREM.
 * Chapter 8.
 *
 * Every removal is a removal of ranks [i, j): a single member is the run
 * of its one rank, a score or lex range is the run its bounds give
 * (pzset_range_ranks()), a pop is a run at one end.  In the tree form the
 * order tree drops the run with one range delete, O(k + log^2 n), and the
 * member trie loses the k members one by one on a private transient,
 * O(k log n), so the whole is O(k log n + log^2 n).  Both results are new
 * versions until they are complete, so a failure anywhere drops them and
 * leaves the set as it was (a transient's indexes are frozen first, as
 * for a score change, pzset_edit.c).  A removal that leaves a tree with
 * max_entries / 2 members or fewer, all short, turns it flat again.
 */
#include "pzset_private.h"
#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Flat set z without ranks [i, j), 0 < j - i. */
static int flat_remove(pzset *z, size_t i, size_t j, pzset **out)
{
    size_t n = z->len - (j - i);
    if (z->transient) {
        for (size_t k = i; k < j; k++)
            pzset_entry_release(z->flat[k]);
        memmove(&z->flat[i], &z->flat[j], (z->len - j) * sizeof *z->flat);
        z->len = n;
        if (n == 0) {
            free(z->flat);
            z->flat = NULL;
            z->cap = 0;
        }
        *out = z;
        return 0;
    }
    pzset *nz = pzset_header_new();
    if (nz == NULL)
        return -1;
    bool failed;
    pzset_entry **a = pzset_flat_copy(z->flat, i, n, &failed);
    if (failed) {
        free(nz);
        errno = ENOMEM;
        return -1;
    }
    for (size_t k = j; k < z->len; k++)
        a[i + k - j] = pzset_entry_retain(z->flat[k]);
    nz->flat = a;
    nz->cap = nz->len = n;
    nz->was_tree = z->was_tree;
    *out = nz;
    return 0;
}

/* The trie d (a version) without the members of tree t's ranks [i, j). */
static int dict_remove_ranks(ptrie *d, const pbtree *t, size_t i, size_t j,
                             ptrie **out)
{
    ptrie *w = ptrie_edit_begin(d), *o;
    if (w == NULL)
        return -1;
    pbtree_iter it;
    pbtree_iter_seek(&it, t, i);
    for (size_t k = i; k < j; k++, pbtree_iter_next(&it)) {
        const pzset_entry *e = pbtree_iter_elem(&it);
        if (ptrie_remove(w, e->member, e->h.len, &o) < 0) {
            ptrie_release(w);
            return -1;
        }
    }
    *out = ptrie_edit_end(w);
    return 0;
}

/* Tree-form set z without ranks [i, j), 0 < j - i. */
static int tree_remove(pzset *z, size_t i, size_t j, pzset **out)
{
    if (z->transient) /* edit versions; see pzset_edit.c */
        pzset_freeze(z);
    pbtree *nt;
    ptrie *nd;
    if (pbtree_delete_range(z->tree, i, j, &nt) != 0)
        return -1;
    if (dict_remove_ranks(z->dict, z->tree, i, j, &nd) != 0) {
        pbtree_release(nt);
        return -1;
    }
    pzset *nz = z;
    if (!z->transient && (nz = pzset_header_new()) == NULL)
        goto fail;
    nz->was_tree = true;
    if (pzset_should_flatten(nt)) {
        /* nz is new or z: either way its form is replaced by a flat one */
        if (pzset_flatten_into(nz, nt) != 0) {
            if (nz != z)
                free(nz);
            goto fail;
        }
        pbtree_release(nt);
        ptrie_release(nd);
    } else {
        if (nz == z)
            pzset_drop_form(z);
        nz->tree = nt;
        nz->dict = nd;
        nz->len = pbtree_len(nt);
    }
    *out = nz;
    return 0;
fail:
    pbtree_release(nt);
    ptrie_release(nd);
    errno = ENOMEM;
    return -1;
}

int pzset_remove_range_by_rank(pzset *z, size_t i, size_t j, pzset **out)
{
    if (j > z->len)
        j = z->len;
    if (i >= j) {
        *out = pzset_unchanged(z);
        return 0;
    }
    return z->tree != NULL ? tree_remove(z, i, j, out)
                           : flat_remove(z, i, j, out);
}

int pzset_remove_range(pzset *z, const pzset_range *r, pzset **out,
                       size_t *removed)
{
    size_t i, j;
    pzset_range_ranks(z, r, &i, &j);
    if (pzset_remove_range_by_rank(z, i, j, out) != 0)
        return -1;
    if (removed != NULL)
        *removed = j - i;
    return 0;
}

int pzset_pop_min(pzset *z, size_t count, pzset **out)
{
    return pzset_remove_range_by_rank(z, 0, count, out);
}

int pzset_pop_max(pzset *z, size_t count, pzset **out)
{
    size_t n = z->len;
    return pzset_remove_range_by_rank(z, count < n ? n - count : 0, n, out);
}
