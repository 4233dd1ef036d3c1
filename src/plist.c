/* plist.c - persistent lists: versions, reads, iterators and the checker.
 * Chapter 8.
 *
 * The read side of plist.h and what every edit builds on.  A read looks
 * at the form once and goes to the flat array (one load) or to the tree
 * (pbtree_get(), a descent); neither touches a reference count, so any
 * number of readers may read a published version while the writer makes
 * the next one.  The edits live in plist_edit.c, LREM and LPOS in
 * plist_match.c.
 */
#include "plist_private.h"
#include "alloc.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

size_t plist_max_entries = PLIST_DEFAULT_MAX_ENTRIES;
size_t plist_max_bytes = PLIST_DEFAULT_MAX_BYTES;

const pbtree_ops plist_tree_ops = { velem_retain_op, velem_release_op, NULL,
                                    velem_size_op };

void plist_set_limits(size_t max_entries, size_t max_bytes)
{
    plist_max_entries = max_entries;
    plist_max_bytes = max_bytes;
}

plist *plist_alloc(size_t cap)
{
    plist *l = xmalloc(sizeof *l + cap * sizeof(velem *));
    if (l == NULL)
        return NULL;
    l->refs = 1;
    l->transient = false;
    l->len = 0;
    l->tree = NULL;
    l->bytes = 0;
    l->cap = cap;
    l->items = l->inl;
    return l;
}

plist *plist_new(void)
{
    return plist_alloc(0);
}

plist *plist_retain(plist *l)
{
    l->refs++;
    return l;
}

void plist_contents_release(plist *l)
{
    if (l->tree != NULL) {
        pbtree_release(l->tree);
        l->tree = NULL;
        return;
    }
    for (size_t i = 0; i < l->len; i++)
        velem_release(l->items[i]);
    if (l->items != l->inl)
        free(l->items);
    l->items = l->inl;
}

void plist_release(plist *l)
{
    if (l == NULL || --l->refs > 0)
        return;
    plist_contents_release(l);
    free(l);
}

size_t plist_len(const plist *l)
{
    return l->len;
}

const velem *plist_get(const plist *l, size_t i)
{
    if (i >= l->len)
        return NULL;
    return l->tree != NULL ? pbtree_get(l->tree, i) : l->items[i];
}

const char *plist_encoding(const plist *l)
{
    return l->tree != NULL ? "quicklist" : "listpack";
}

bool plist_is_transient(const plist *l)
{
    return l->transient;
}

size_t plist_range_bytes(const plist *l, size_t i, size_t j)
{
    size_t sum = 0;
    if (l->tree == NULL) {
        for (size_t k = i; k < j; k++)
            sum += l->items[k]->len;
        return sum;
    }
    pbtree_iter it;
    for (pbtree_iter_seek(&it, l->tree, i);
         pbtree_iter_valid(&it) && pbtree_iter_pos(&it) < j;
         pbtree_iter_next(&it))
        sum += ((const velem *)pbtree_iter_elem(&it))->len;
    return sum;
}

void plist_gather(const plist *l, size_t i, size_t j, velem *e, velem **dst)
{
    size_t n = l->len, d = 0;
    if (l->tree == NULL) {
        memcpy(dst, l->items, i * sizeof *dst);
        d = i;
        if (e != NULL)
            dst[d++] = e;
        memcpy(dst + d, l->items + j, (n - j) * sizeof *dst);
        return;
    }
    pbtree_iter it;
    for (pbtree_iter_seek(&it, l->tree, 0); pbtree_iter_pos(&it) < i;
         pbtree_iter_next(&it))
        dst[d++] = pbtree_iter_elem(&it);
    if (e != NULL)
        dst[d++] = e;
    for (pbtree_iter_seek(&it, l->tree, j); pbtree_iter_valid(&it);
         pbtree_iter_next(&it))
        dst[d++] = pbtree_iter_elem(&it);
}

size_t plist_bytes(const plist *l)
{
    if (l->tree != NULL)
        return sizeof *l + pbtree_bytes(l->tree);
    size_t sum = sizeof *l + l->cap * sizeof(velem *);
    for (size_t i = 0; i < l->len; i++)
        sum += velem_bytes(l->items[i]);
    return sum;
}

size_t plist_root_bytes(const plist *l)
{
    return sizeof *l;
}

int plist_from_array(velem *const *elems, size_t n, plist **out)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n && bytes <= plist_max_bytes; i++)
        bytes += elems[i]->len;
    bool flat = n <= plist_max_entries && bytes <= plist_max_bytes;
    plist *l = plist_alloc(flat ? n : 0);
    if (l == NULL)
        return -1;
    if (!flat) {
        if (pbtree_from_array(&plist_tree_ops, (void *const *)elems, n,
                              &l->tree) != 0) {
            free(l);
            return -1;
        }
    } else {
        for (size_t i = 0; i < n; i++)
            l->items[i] = velem_retain(elems[i]);
        l->bytes = bytes;
    }
    l->len = n;
    *out = l;
    return 0;
}

/* ---- transients --------------------------------------------------------- */

plist *plist_edit_begin(plist *l)
{
    if (l->transient) {
        errno = EINVAL;
        return NULL;
    }
    plist *t = plist_alloc(0);
    if (t == NULL)
        return NULL;
    if (l->tree != NULL) {
        t->tree = pbtree_edit_begin(l->tree);
        if (t->tree == NULL) {
            free(t);
            return NULL;
        }
    } else {
        /* A buffer of its own, with room to grow up to the limit. */
        size_t cap = l->len > plist_max_entries ? l->len : plist_max_entries;
        cap = cap > 0 ? cap : 1;
        t->items = xmalloc(cap * sizeof *t->items);
        if (t->items == NULL) {
            free(t);
            return NULL;
        }
        t->cap = cap;
        for (size_t i = 0; i < l->len; i++)
            t->items[i] = velem_retain(l->items[i]);
        t->bytes = l->bytes;
    }
    t->len = l->len;
    t->transient = true;
    return t;
}

plist *plist_edit_end(plist *l)
{
    if (l->tree != NULL && pbtree_is_transient(l->tree))
        l->tree = pbtree_edit_end(l->tree);
    l->transient = false;
    return l;
}

/* ---- iteration ---------------------------------------------------------- */

void plist_iter_seek(plist_iter *it, const plist *l, size_t i)
{
    it->l = l;
    it->pos = i < l->len ? i : l->len;
    if (l->tree != NULL)
        pbtree_iter_seek(&it->t, l->tree, it->pos);
}

bool plist_iter_valid(const plist_iter *it)
{
    return it->pos < it->l->len;
}

const velem *plist_iter_elem(const plist_iter *it)
{
    if (it->l->tree != NULL)
        return pbtree_iter_elem(&it->t);
    return it->l->items[it->pos];
}

size_t plist_iter_pos(const plist_iter *it)
{
    return it->pos;
}

void plist_iter_next(plist_iter *it)
{
    if (it->pos == it->l->len)
        return;
    it->pos = it->pos == SIZE_MAX ? 0 : it->pos + 1;
    if (it->l->tree != NULL)
        pbtree_iter_next(&it->t);
}

void plist_iter_prev(plist_iter *it)
{
    if (it->pos == SIZE_MAX)
        return;
    it->pos = it->pos == 0 ? SIZE_MAX : it->pos - 1;
    if (it->l->tree != NULL)
        pbtree_iter_prev(&it->t);
}

/* ---- checking ----------------------------------------------------------- */

int plist_check(const plist *l, char *err, size_t errlen)
{
    if (l->refs == 0) {
        snprintf(err, errlen, "plist: reference count 0");
        return -1;
    }
    if (l->tree == NULL) {
        if (l->len > l->cap) {
            snprintf(err, errlen, "plist: flat length %zu over capacity %zu",
                     l->len, l->cap);
            return -1;
        }
        size_t sum = 0;
        for (size_t i = 0; i < l->len; i++) {
            if (l->items[i] == NULL || l->items[i]->refs == 0) {
                snprintf(err, errlen, "plist: flat item %zu of %zu %s", i,
                         l->len, l->items[i] == NULL ? "missing"
                                                     : "has no reference");
                return -1;
            }
            sum += l->items[i]->len;
        }
        if (sum != l->bytes) {
            snprintf(err, errlen, "plist: flat byte total %zu, items hold %zu",
                     l->bytes, sum);
            return -1;
        }
        if (l->len > plist_max_entries || l->bytes > plist_max_bytes) {
            snprintf(err, errlen, "plist: flat with %zu items, %zu bytes: over "
                     "the limits %zu, %zu", l->len, l->bytes,
                     plist_max_entries, plist_max_bytes);
            return -1;
        }
        return 0;
    }
    if (pbtree_check(l->tree, err, errlen) != 0)
        return -1;
    if (pbtree_len(l->tree) != l->len) {
        snprintf(err, errlen, "plist: length %zu, tree holds %zu", l->len,
                 pbtree_len(l->tree));
        return -1;
    }
    if (!l->transient && pbtree_is_transient(l->tree)) {
        snprintf(err, errlen, "plist: a version holds a transient tree");
        return -1;
    }
    size_t sum = 0, i = 0;
    pbtree_iter it;
    for (pbtree_iter_seek(&it, l->tree, 0); pbtree_iter_valid(&it);
         pbtree_iter_next(&it), i++) {
        const velem *e = pbtree_iter_elem(&it);
        if (e == NULL || e->refs == 0) {
            snprintf(err, errlen, "plist: tree item %zu of %zu %s", i, l->len,
                     e == NULL ? "missing" : "has no reference");
            return -1;
        }
        sum += e->len;
    }
    if (l->len <= plist_max_entries / 2 && sum <= plist_max_bytes / 2) {
        snprintf(err, errlen, "plist: a tree of %zu items, %zu bytes, should "
                 "be flat (limits %zu, %zu, halved)", l->len, sum,
                 plist_max_entries, plist_max_bytes);
        return -1;
    }
    return 0;
}
