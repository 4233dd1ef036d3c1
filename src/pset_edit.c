/* pset_edit.c - the persistent set's edits: one member added or removed.
 * Chapter 8.
 *
 * SADD and SREM both come down to one change, a member added (ne) or
 * removed (old), which apply() makes in whichever of four ways the form
 * before and after asks for: flat to flat (copy the array, or change a
 * transient's array in place), flat to tree (build a trie from the
 * array), tree to tree (one trie edit), tree to flat (read the trie into
 * an array).  Each way allocates everything it needs before it changes
 * the set, so a failure returns -1 with the set as it was.
 */
#include "pset_private.h"

#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* The counts after the change. */
typedef struct counts {
    size_t n, nint, nbig;
} counts;

static counts counts_after(const pset *s, const velem *old, const velem *ne)
{
    counts c = { s->n, s->nint, s->nbig };
    const velem *e = old ? old : ne;
    int d = old ? -1 : 1;
    c.n += (size_t)d;
    if (pset_is_canonical_int(e->bytes, e->len))
        c.nint += (size_t)d;
    if (pset_big(e))
        c.nbig += (size_t)d;
    return c;
}

/* Write the members after the change into dst (room for c.n), each
 * retained: the flat array minus old, or plus ne at the end. */
static void fill_flat(velem **dst, velem *const *src, size_t n,
                      const velem *old, velem *ne)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (src[i] != old)
            dst[k++] = velem_retain(src[i]);
    if (ne)
        dst[k] = velem_retain(ne);
}

/* The same from a trie (hash order). */
static void fill_from_trie(velem **dst, const ptrie *t, const velem *old,
                           velem *ne)
{
    ptrie_iter it;
    velem *e;
    size_t k = 0;
    ptrie_iter_init(&it, t);
    while ((e = ptrie_iter_next(&it)) != NULL)
        if (e != old)
            dst[k++] = velem_retain(e);
    if (ne)
        dst[k] = velem_retain(ne);
}

static pset *flat_version(counts c)
{
    pset *ns = xmalloc(pset_header_bytes(c.n));
    if (ns == NULL)
        return NULL;
    memset(ns, 0, sizeof *ns);
    ns->refs = 1;
    ns->n = c.n;
    ns->nint = c.nint;
    ns->nbig = c.nbig;
    ns->u.flat.items = ns->inl;
    ns->u.flat.cap = c.n;
    return ns;
}

static void set_counts(pset *s, counts c)
{
    s->n = c.n;
    s->nint = c.nint;
    s->nbig = c.nbig;
}

static int flat_to_flat(pset *s, velem *old, size_t pos, velem *ne,
                        counts c, pset **out)
{
    if (!s->transient) {
        pset *ns = flat_version(c);
        if (ns == NULL)
            return -1;
        fill_flat(ns->inl, s->u.flat.items, s->n, old, ne);
        *out = ns;
        return 0;
    }
    velem **items = s->u.flat.items;
    if (ne) {
        if (s->n == s->u.flat.cap) {
            size_t cap = s->u.flat.cap ? 2 * s->u.flat.cap : 8;
            velem **ni = items == s->inl ? xmalloc(cap * sizeof *ni)
                                         : xrealloc(items, cap * sizeof *ni);
            if (ni == NULL)
                return -1;
            if (items == s->inl)
                memcpy(ni, items, s->n * sizeof *ni);
            s->u.flat.items = items = ni;
            s->u.flat.cap = cap;
        }
        items[s->n] = velem_retain(ne);
    } else {
        memmove(items + pos, items + pos + 1,
                (s->n - pos - 1) * sizeof *items);
        velem_release(old);
    }
    set_counts(s, c);
    *out = s;
    return 0;
}

static int flat_to_tree(pset *s, velem *old, velem *ne, counts c,
                        pset **out)
{
    pset *ns = NULL;
    ptrie *t = NULL, *o;
    if (!s->transient && (ns = xmalloc(sizeof *ns)) == NULL)
        return -1;
    ptrie *empty = ptrie_new(&pset_trie_ops);
    if (empty == NULL)
        goto fail;
    t = ptrie_edit_begin(empty);
    ptrie_release(empty);
    if (t == NULL)
        goto fail;
    for (size_t i = 0; i < s->n; i++)
        if (s->u.flat.items[i] != old &&
            ptrie_put(t, s->u.flat.items[i], false, &o) < 0)
            goto fail;
    if (ne && ptrie_put(t, ne, false, &o) < 0)
        goto fail;
    if (ns == NULL) { /* the transient itself changes form */
        ns = s;
        for (size_t i = 0; i < s->n; i++)
            velem_release(s->u.flat.items[i]);
        if (s->u.flat.items != s->inl)
            free(s->u.flat.items);
    } else {
        t = ptrie_edit_end(t);
        memset(ns, 0, sizeof *ns);
        ns->refs = 1;
    }
    ns->tree = true;
    set_counts(ns, c);
    ns->u.trie = t;
    *out = ns;
    return 0;
fail:
    ptrie_release(t);
    free(ns);
    return -1;
}

static int tree_to_tree(pset *s, velem *old, velem *ne, counts c,
                        pset **out)
{
    pset *ns = NULL;
    ptrie *t;
    if (!s->transient && (ns = xmalloc(sizeof *ns)) == NULL)
        return -1;
    int rc = ne ? ptrie_put(s->u.trie, ne, false, &t)
                : ptrie_remove(s->u.trie, old->bytes, old->len, &t);
    if (rc < 0) {
        free(ns);
        return -1;
    }
    if (ns == NULL) {
        ns = s;
    } else {
        *ns = *s;
        ns->refs = 1;
    }
    set_counts(ns, c);
    ns->u.trie = t;
    *out = ns;
    return 0;
}

static int tree_to_flat(pset *s, velem *old, velem *ne, counts c,
                        pset **out)
{
    if (!s->transient) {
        pset *ns = flat_version(c);
        if (ns == NULL)
            return -1;
        fill_from_trie(ns->inl, s->u.trie, old, ne);
        *out = ns;
        return 0;
    }
    size_t cap = c.n < 8 ? 8 : c.n;
    velem **items = xmalloc(cap * sizeof *items);
    if (items == NULL)
        return -1;
    fill_from_trie(items, s->u.trie, old, ne);
    ptrie_release(s->u.trie);
    s->tree = false;
    set_counts(s, c);
    s->u.flat.items = items;
    s->u.flat.cap = cap;
    *out = s;
    return 0;
}

/* Add ne (old NULL) or remove old (ne NULL; pos is its flat position). */
static int apply(pset *s, velem *old, size_t pos, velem *ne, pset **out)
{
    counts c = counts_after(s, old, ne);
    if (s->tree) {
        bool flat = c.n <= pset_max_entries_ / 2 && c.nbig == 0;
        return flat ? tree_to_flat(s, old, ne, c, out)
                    : tree_to_tree(s, old, ne, c, out);
    }
    bool tree = c.n > pset_max_entries_ || c.nbig > 0;
    return tree ? flat_to_tree(s, old, ne, c, out)
                : flat_to_flat(s, old, pos, ne, c, out);
}

static void unchanged(pset *s, pset **out)
{
    *out = s->transient ? s : pset_retain(s);
}

int pset_add(pset *s, const void *m, size_t mlen, pset **out)
{
    if (pset_has(s, m, mlen)) {
        unchanged(s, out);
        return 0;
    }
    velem *e = velem_new(m, mlen);
    if (e == NULL)
        return -1;
    int rc = apply(s, NULL, 0, e, out);
    velem_release(e); /* the set holds its own reference */
    return rc < 0 ? -1 : 1;
}

int pset_add_elem(pset *s, velem *e, pset **out)
{
    if (pset_has(s, e->bytes, e->len)) {
        unchanged(s, out);
        return 0;
    }
    return apply(s, NULL, 0, e, out) < 0 ? -1 : 1;
}

int pset_remove(pset *s, const void *m, size_t mlen, pset **out)
{
    size_t pos = SIZE_MAX;
    velem *old;
    if (s->tree) {
        old = ptrie_get(s->u.trie, m, mlen);
    } else {
        pos = pset_flat_find(s, m, mlen);
        old = pos == SIZE_MAX ? NULL : s->u.flat.items[pos];
    }
    if (old == NULL) {
        unchanged(s, out);
        return 0;
    }
    return apply(s, old, pos, NULL, out) < 0 ? -1 : 1;
}
