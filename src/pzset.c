/* pzset.c - the persistent sorted set: versions, forms, and every read.
 * Chapter 8.
 *
 * The design is in pzset.h.  This file makes and frees versions, builds
 * one form from the other, and answers every read (score, rank, entry at
 * a rank, the rank of a bound, ranges and iterators) for both forms;
 * none of it touches a reference count except on the writer's paths
 * (new, retain, release, the form builders).  The edits are in
 * pzset_edit.c (one member) and pzset_range.c (many), the checker in
 * pzset_check.c, the entries and their order in pzset_entry.c.
 */
#include "pzset_private.h"
#include "alloc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- versions ------------------------------------------------------------- */

pzset *pzset_header_new(void)
{
    pzset *z = xcalloc(1, sizeof *z);
    if (z == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    z->refs = 1;
    return z;
}

pzset *pzset_new(void)
{
    return pzset_header_new();
}

pzset *pzset_retain(pzset *z)
{
    z->refs++;
    return z;
}

void pzset_flat_free(pzset_entry **a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pzset_entry_release(a[i]);
    free(a);
}

void pzset_drop_form(pzset *z)
{
    if (z->tree != NULL) {
        pbtree_release(z->tree);
        ptrie_release(z->dict);
    } else {
        pzset_flat_free(z->flat, z->len);
    }
    z->tree = NULL;
    z->dict = NULL;
    z->flat = NULL;
    z->cap = 0;
    z->len = 0;
}

void pzset_release(pzset *z)
{
    if (z == NULL || --z->refs > 0)
        return;
    pzset_drop_form(z);
    free(z);
}

pzset *pzset_unchanged(pzset *z)
{
    return z->transient ? z : pzset_retain(z);
}

size_t pzset_len(const pzset *z)
{
    return z->len;
}

const char *pzset_encoding(const pzset *z)
{
    return z->tree != NULL ? "skiplist" : "listpack";
}

bool pzset_was_tree(const pzset *z)
{
    return z->was_tree;
}

int pzset_mark_was_tree(pzset *z)
{
    if (!z->transient) {
        errno = EINVAL;
        return -1;
    }
    z->was_tree = true;
    return 0;
}

size_t pzset_bytes(const pzset *z)
{
    size_t b = sizeof *z;
    if (z->tree != NULL)
        return b + pbtree_bytes(z->tree) + ptrie_bytes(z->dict);
    b += z->cap * sizeof *z->flat;
    for (size_t i = 0; i < z->len; i++)
        b += pzset_entry_size(z->flat[i]);
    return b;
}

size_t pzset_root_bytes(const pzset *z)
{
    return sizeof *z;
}

/* ---- the two forms ---------------------------------------------------------- */

pzset_entry **pzset_flat_copy(pzset_entry *const *src, size_t n, size_t cap,
                              bool *failed)
{
    *failed = false;
    if (cap == 0)
        return NULL;
    pzset_entry **a = xmalloc(cap * sizeof *a);
    if (a == NULL) {
        *failed = true;
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        a[i] = pzset_entry_retain(src[i]);
    return a;
}

int pzset_build_tree(pzset_entry *const *e, size_t n, pbtree **tree,
                     ptrie **dict)
{
    pbtree *t;
    if (pbtree_from_array(&pzset_tree_ops, (void *const *)e, n, &t) != 0)
        return -1;
    ptrie *d0 = ptrie_new(&pzset_dict_ops);
    ptrie *d = d0 != NULL ? ptrie_edit_begin(d0) : NULL;
    ptrie_release(d0); /* the transient does not need it */
    if (d == NULL)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        ptrie *o;
        if (ptrie_put(d, e[i], false, &o) < 0)
            goto fail;
    }
    *tree = t;
    *dict = ptrie_edit_end(d);
    return 0;
fail:
    ptrie_release(d);
    pbtree_release(t);
    errno = ENOMEM;
    return -1;
}

bool pzset_should_flatten(const pbtree *tree)
{
    size_t n = pbtree_len(tree);
    if (n > pzset_max_entries / 2)
        return false;
    pbtree_iter it;
    for (pbtree_iter_seek(&it, tree, 0); pbtree_iter_valid(&it);
         pbtree_iter_next(&it)) {
        const pzset_entry *e = pbtree_iter_elem(&it);
        if (e->h.len > pzset_max_bytes)
            return false;
    }
    return true;
}

int pzset_flatten_into(pzset *z, const pbtree *tree)
{
    size_t n = pbtree_len(tree);
    pzset_entry **a = NULL;
    if (n > 0 && (a = xmalloc(n * sizeof *a)) == NULL)
        return -1;
    pbtree_iter it;
    size_t i = 0;
    for (pbtree_iter_seek(&it, tree, 0); pbtree_iter_valid(&it);
         pbtree_iter_next(&it))
        a[i++] = pzset_entry_retain(pbtree_iter_elem(&it));
    pzset_drop_form(z);
    z->flat = a;
    z->cap = n;
    z->len = n;
    return 0;
}

/* ---- reads ------------------------------------------------------------------ */

/* The entry holding member m, or NULL. */
static const pzset_entry *find(const pzset *z, const void *m, size_t mlen)
{
    if (z->tree != NULL)
        return ptrie_get(z->dict, m, mlen);
    size_t i = pzset_flat_find(z->flat, z->len, m, mlen);
    return i == SIZE_MAX ? NULL : z->flat[i];
}

bool pzset_score(const pzset *z, const void *m, size_t mlen, double *score)
{
    const pzset_entry *e = find(z, m, mlen);
    if (e != NULL && score != NULL)
        *score = e->h.score;
    return e != NULL;
}

bool pzset_rank(const pzset *z, const void *m, size_t mlen, size_t *rank)
{
    size_t r;
    if (z->tree != NULL) {
        const pzset_entry *e = ptrie_get(z->dict, m, mlen);
        if (e == NULL)
            return false;
        r = pbtree_rank(z->tree, e, NULL);
    } else {
        r = pzset_flat_find(z->flat, z->len, m, mlen);
        if (r == SIZE_MAX)
            return false;
    }
    if (rank != NULL)
        *rank = r;
    return true;
}

const pzset_entry *pzset_at(const pzset *z, size_t rank)
{
    if (rank >= z->len)
        return NULL;
    return z->tree != NULL ? pbtree_get(z->tree, rank) : z->flat[rank];
}

/* First rank not below a search key. */
static size_t rank_of_key(const pzset *z, const pzset_key *k)
{
    if (z->tree != NULL)
        return pbtree_rank(z->tree, k, NULL);
    return pzset_flat_rank(z->flat, z->len, k);
}

size_t pzset_rank_of_score(const pzset *z, double score, bool exclusive)
{
    pzset_key k = { .h = { .refs = 0, .score = score } };
    k.h.len = PZSET_KEY_BIT |
              (exclusive ? PZSET_KEY_SCORE_GT : PZSET_KEY_SCORE_GE);
    return rank_of_key(z, &k);
}

size_t pzset_rank_of_lex(const pzset *z, const void *m, size_t mlen,
                         bool exclusive)
{
    pzset_key k = { .h = { .refs = 0, .score = 0 }, .m = m, .mlen = mlen };
    k.h.len = PZSET_KEY_BIT |
              (exclusive ? PZSET_KEY_LEX_GT : PZSET_KEY_LEX_GE);
    return rank_of_key(z, &k);
}

void pzset_range_ranks(const pzset *z, const pzset_range *r, size_t *first,
                       size_t *end)
{
    size_t a, b;
    if (r->by_lex) {
        a = r->min_m == NULL
                ? 0
                : pzset_rank_of_lex(z, r->min_m, r->min_len, r->min_ex);
        /* The end is the first member past max: > max when max is in. */
        b = r->max_m == NULL
                ? z->len
                : pzset_rank_of_lex(z, r->max_m, r->max_len, !r->max_ex);
    } else if (isnan(r->min) || isnan(r->max)) {
        a = b = 0;
    } else {
        a = pzset_rank_of_score(z, r->min, r->min_ex);
        b = pzset_rank_of_score(z, r->max, !r->max_ex);
    }
    *first = a;
    *end = b > a ? b : a;
}

size_t pzset_count_range(const pzset *z, const pzset_range *r)
{
    size_t a, b;
    pzset_range_ranks(z, r, &a, &b);
    return b - a;
}

/* ---- iterators ---------------------------------------------------------------- */

void pzset_iter_seek(pzset_iter *it, const pzset *z, size_t rank)
{
    it->z = z;
    it->pos = rank < z->len ? rank : z->len;
    if (z->tree != NULL)
        pbtree_iter_seek(&it->tree, z->tree, it->pos);
}

bool pzset_iter_valid(const pzset_iter *it)
{
    return it->pos < it->z->len;
}

const pzset_entry *pzset_iter_entry(const pzset_iter *it)
{
    if (it->z->tree != NULL)
        return pbtree_iter_elem(&it->tree);
    return it->z->flat[it->pos];
}

size_t pzset_iter_rank(const pzset_iter *it)
{
    return it->pos;
}

void pzset_iter_next(pzset_iter *it)
{
    const pzset *z = it->z;
    if (z->tree != NULL) {
        pbtree_iter_next(&it->tree);
        it->pos = pbtree_iter_pos(&it->tree);
    } else if (it->pos == SIZE_MAX) {
        it->pos = z->len > 0 ? 0 : z->len;
    } else if (it->pos < z->len) {
        it->pos++;
    }
}

void pzset_iter_prev(pzset_iter *it)
{
    const pzset *z = it->z;
    if (z->tree != NULL) {
        pbtree_iter_prev(&it->tree);
        it->pos = pbtree_iter_pos(&it->tree);
    } else if (it->pos == 0 || it->pos == SIZE_MAX) {
        it->pos = SIZE_MAX;
    } else {
        it->pos--;
    }
}
