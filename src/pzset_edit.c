/* pzset_edit.c - sorted set edits of one member: add, change score, remove.
 * Chapter 8.
 *
 * Flat form: every edit is a splice of the entry array.  A version gets
 * a new array (the entries retained, not copied); a transient's own
 * array is changed in place, growing by doubling.
 *
 * Tree form: an edit changes both indexes, and must leave both as they
 * were when either fails.  For a version that is free: each index edit
 * returns a new version and leaves the old one alone, so a failure just
 * drops what was made.  A transient changes in place, so the order of
 * its edits matters.  Adding a new member, the edit a batch is made of,
 * puts it in the trie first and then in the tree; if the tree fails, the
 * member is removed from the trie again, and that removal cannot fail:
 * the put has just made the trie's path to it the transient's own, and a
 * trie removal on owned nodes allocates nothing (ptrie_edit.c).  A score
 * change or a removal has no undo that is sure not to need memory, so it
 * first freezes the transient's two indexes into versions (which is free)
 * and edits those as a version edit would; the transient takes the
 * results, and turns them back into transients at its next add.
 */
#include "pzset_private.h"
#include "alloc.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- flat form ------------------------------------------------------------- */

/*
 * The flat set z without the entry at index del (SIZE_MAX: none) and with
 * ins in order (NULL: none; its reference passes to the result on
 * success).  0, or -1 with errno ENOMEM and nothing changed.
 */
static int flat_splice(pzset *z, size_t del, pzset_entry *ins, pzset **out)
{
    size_t n = z->len - (del != SIZE_MAX) + (ins != NULL);
    if (z->transient) {
        if (n > z->cap) {
            size_t cap = z->cap < 4 ? 4 : z->cap * 2;
            pzset_entry **a = xrealloc(z->flat, cap * sizeof *a);
            if (a == NULL)
                return -1;
            z->flat = a;
            z->cap = cap;
        }
        if (del != SIZE_MAX) {
            pzset_entry_release(z->flat[del]);
            memmove(&z->flat[del], &z->flat[del + 1],
                    (z->len - del - 1) * sizeof *z->flat);
            z->len--;
        }
        if (ins != NULL) {
            size_t r = pzset_flat_rank(z->flat, z->len, ins);
            memmove(&z->flat[r + 1], &z->flat[r],
                    (z->len - r) * sizeof *z->flat);
            z->flat[r] = ins;
            z->len++;
        }
        if (z->len == 0) { /* an empty set holds no array */
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
    pzset_entry **a = NULL;
    if (n > 0 && (a = xmalloc(n * sizeof *a)) == NULL) {
        free(nz);
        errno = ENOMEM;
        return -1;
    }
    size_t k = 0;
    bool put = ins == NULL;
    for (size_t i = 0; i < z->len; i++) {
        if (i == del)
            continue;
        if (!put && pzset_cmp(z->flat[i], ins) > 0) {
            a[k++] = ins;
            put = true;
        }
        a[k++] = pzset_entry_retain(z->flat[i]);
    }
    if (!put)
        a[k++] = ins;
    nz->flat = a;
    nz->cap = nz->len = n;
    nz->was_tree = z->was_tree;
    *out = nz;
    return 0;
}

/*
 * Flat set z plus the new entry e, which takes it past the limits: the
 * tree form of all of them (the indexes retain e).
 */
static int flat_to_tree_add(pzset *z, pzset_entry *e, pzset **out)
{
    size_t n = z->len + 1;
    pzset_entry **a = xmalloc(n * sizeof *a);
    if (a == NULL)
        return -1;
    size_t r = pzset_flat_rank(z->flat, z->len, e);
    if (z->len > 0) { /* an empty set has no array to copy from */
        memcpy(a, z->flat, r * sizeof *a);
        memcpy(a + r + 1, z->flat + r, (z->len - r) * sizeof *a);
    }
    a[r] = e;
    pbtree *tree;
    ptrie *dict;
    int rc = pzset_build_tree(a, n, &tree, &dict);
    free(a);
    if (rc != 0)
        return -1;
    pzset *nz = z;
    if (!z->transient && (nz = pzset_header_new()) == NULL) {
        pbtree_release(tree);
        ptrie_release(dict);
        return -1;
    }
    if (nz == z)
        pzset_drop_form(z);
    nz->tree = tree;
    nz->dict = dict;
    nz->len = n;
    nz->was_tree = true;
    *out = nz;
    return 0;
}

/* ---- tree form, on versions of the two indexes ---------------------------- */

/* Wrap new index versions in a header: a new version, or transient z. */
static int tree_result(pzset *z, pbtree *nt, ptrie *nd, pzset **out)
{
    pzset *nz = z;
    if (!z->transient && (nz = pzset_header_new()) == NULL) {
        pbtree_release(nt);
        ptrie_release(nd);
        return -1;
    }
    if (nz == z)
        pzset_drop_form(z);
    nz->tree = nt;
    nz->dict = nd;
    nz->len = pbtree_len(nt);
    nz->was_tree = true;
    *out = nz;
    return 0;
}

void pzset_freeze(pzset *z)
{
    if (pbtree_is_transient(z->tree))
        z->tree = pbtree_edit_end(z->tree);
    if (ptrie_is_transient(z->dict))
        z->dict = ptrie_edit_end(z->dict);
}

/* Turn a transient's index versions back into transients (in place). */
static int own(pzset *z)
{
    if (!pbtree_is_transient(z->tree)) {
        pbtree *t = pbtree_edit_begin(z->tree);
        if (t == NULL)
            return -1;
        pbtree_release(z->tree);
        z->tree = t;
    }
    if (!ptrie_is_transient(z->dict)) {
        ptrie *d = ptrie_edit_begin(z->dict);
        if (d == NULL)
            return -1;
        ptrie_release(z->dict);
        z->dict = d;
    }
    return 0;
}

/* The tree with entry old (present) replaced by e (same member, another
 * score), in its new place: one set when the rank stays, else a delete
 * and an insert on a private transient. */
static int tree_move(pbtree *t, const pzset_entry *old, pzset_entry *e,
                     pbtree **out)
{
    size_t r_old = pbtree_rank(t, old, NULL);
    size_t r_new = pbtree_rank(t, e, NULL);
    if (r_new == r_old || r_new == r_old + 1)
        return pbtree_set(t, r_old, e, out);
    pbtree *w = pbtree_edit_begin(t), *o;
    if (w == NULL)
        return -1;
    if (pbtree_delete(w, r_old, &o) != 0 || pbtree_add(w, e, false, &o) < 0) {
        pbtree_release(w);
        return -1;
    }
    *out = pbtree_edit_end(w);
    return 0;
}

/* Score change of z's (tree form) entry old to e. */
static int tree_update(pzset *z, const pzset_entry *old, pzset_entry *e,
                       pzset **out)
{
    if (z->transient)
        pzset_freeze(z);
    pbtree *nt;
    ptrie *nd;
    if (tree_move(z->tree, old, e, &nt) != 0)
        return -1;
    if (ptrie_put(z->dict, e, true, &nd) < 0) {
        pbtree_release(nt);
        return -1;
    }
    return tree_result(z, nt, nd, out);
}

/* A new member e in a tree-form version. */
static int tree_insert_version(pzset *z, pzset_entry *e, pzset **out)
{
    pbtree *nt;
    ptrie *nd;
    if (pbtree_add(z->tree, e, false, &nt) < 0)
        return -1;
    if (ptrie_put(z->dict, e, false, &nd) < 0) {
        pbtree_release(nt);
        return -1;
    }
    return tree_result(z, nt, nd, out);
}

/* A new member e in a tree-form transient, in place. */
static int tree_insert_transient(pzset *z, pzset_entry *e, pzset **out)
{
    pbtree *ot;
    ptrie *od;
    if (own(z) != 0 || ptrie_put(z->dict, e, false, &od) < 0)
        return -1;
    if (pbtree_add(z->tree, e, false, &ot) < 0) {
        int saved = errno;
        if (ptrie_remove(z->dict, e->member, e->h.len, &od) != 1) {
            /* Cannot happen: see the comment at the top of the file. */
            fprintf(stderr, "pzset: undoing a trie insert failed\n");
            abort();
        }
        errno = saved;
        return -1;
    }
    z->len++;
    *out = z;
    return 0;
}

/* ---- add and remove ----------------------------------------------------------- */

int pzset_add(pzset *z, const void *m, size_t mlen, double score,
              pzset **out)
{
    if (isnan(score) || mlen > PZSET_MAX_MEMBER) {
        errno = EINVAL;
        return -1;
    }
    const pzset_entry *old;
    size_t at = SIZE_MAX;
    if (z->tree != NULL) {
        old = ptrie_get(z->dict, m, mlen);
    } else {
        at = pzset_flat_find(z->flat, z->len, m, mlen);
        old = at == SIZE_MAX ? NULL : z->flat[at];
    }
    bool existed = old != NULL;
    if (existed && !(old->h.score != score)) {
        *out = pzset_unchanged(z);
        return 0;
    }
    pzset_entry *e = pzset_entry_new(m, mlen, score);
    if (e == NULL)
        return -1;
    int rc;
    if (z->tree == NULL && old == NULL &&
        (z->len + 1 > pzset_max_entries || mlen > pzset_max_bytes))
        rc = flat_to_tree_add(z, e, out);
    else if (z->tree == NULL)
        rc = flat_splice(z, at, e, out);
    else if (old != NULL)
        rc = tree_update(z, old, e, out);
    else if (z->transient)
        rc = tree_insert_transient(z, e, out);
    else
        rc = tree_insert_version(z, e, out);
    if (rc != 0) {
        pzset_entry_release(e);
        errno = ENOMEM;
        return -1;
    }
    /* A flat array took our reference to e; the indexes retained their
     * own, so ours goes. */
    if ((*out)->tree != NULL)
        pzset_entry_release(e);
    return existed ? 0 : 1;
}

int pzset_remove(pzset *z, const void *m, size_t mlen, pzset **out)
{
    if (z->tree == NULL) {
        size_t at = pzset_flat_find(z->flat, z->len, m, mlen);
        if (at == SIZE_MAX) {
            *out = pzset_unchanged(z);
            return 0;
        }
        return flat_splice(z, at, NULL, out) == 0 ? 1 : -1;
    }
    const pzset_entry *old = ptrie_get(z->dict, m, mlen);
    if (old == NULL) {
        *out = pzset_unchanged(z);
        return 0;
    }
    size_t r = pbtree_rank(z->tree, old, NULL);
    return pzset_remove_range_by_rank(z, r, r + 1, out) == 0 ? 1 : -1;
}

/* ---- transients --------------------------------------------------------------- */

pzset *pzset_edit_begin(pzset *z)
{
    if (z->transient) {
        errno = EINVAL;
        return NULL;
    }
    pzset *t = pzset_header_new();
    if (t == NULL)
        return NULL;
    t->transient = true;
    t->was_tree = z->was_tree;
    if (z->tree != NULL) {
        t->tree = pbtree_edit_begin(z->tree);
        t->dict = t->tree != NULL ? ptrie_edit_begin(z->dict) : NULL;
        if (t->dict == NULL) {
            pbtree_release(t->tree);
            free(t);
            errno = ENOMEM;
            return NULL;
        }
    } else {
        bool failed;
        t->flat = pzset_flat_copy(z->flat, z->len, z->len, &failed);
        if (failed) {
            free(t);
            errno = ENOMEM;
            return NULL;
        }
        t->cap = z->len;
    }
    t->len = z->len;
    return t;
}

pzset *pzset_edit_end(pzset *z)
{
    if (z->tree != NULL)
        pzset_freeze(z);
    z->transient = false;
    return z;
}

bool pzset_is_transient(const pzset *z)
{
    return z->transient;
}
