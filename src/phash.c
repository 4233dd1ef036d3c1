/* phash.c - the persistent hash's life cycle, reads, iterator and transients.
 * Chapter 8.
 *
 * Everything here only reads a hash or makes and frees headers; the edits
 * (and the conversions between the flat and the tree form) are in
 * phash_edit.c, the checker and the byte count in phash_check.c.  Reads
 * dispatch on the form: a flat hash is searched linearly (at most
 * max_entries names of at most max_bytes, a few cache lines), a tree
 * through the trie.
 */
#include "phash_private.h"

#include "alloc.h"

#include <errno.h>
#include <string.h>

size_t phash_max_entries_ = PHASH_MAX_ENTRIES;
size_t phash_max_bytes_ = PHASH_MAX_BYTES;

int phash_set_limits(size_t max_entries, size_t max_bytes)
{
    if (max_entries > ((size_t)1 << 24) || max_bytes > PHASH_MAX_LEN) {
        errno = EINVAL;
        return -1;
    }
    phash_max_entries_ = max_entries;
    phash_max_bytes_ = max_bytes;
    return 0;
}

phash *phash_new(void)
{
    phash *h = xmalloc(sizeof *h);
    if (h == NULL)
        return NULL;
    memset(h, 0, sizeof *h);
    h->refs = 1;
    h->min_expire = PHASH_NO_EXPIRE;
    h->u.flat.items = h->inl;
    return h;
}

phash *phash_retain(phash *h)
{
    h->refs++;
    return h;
}

void phash_release(phash *h)
{
    if (h == NULL || --h->refs > 0)
        return;
    if (h->tree) {
        ptrie_release(h->u.tree.fields);
        pbtree_release(h->u.tree.expiry);
    } else {
        for (size_t i = 0; i < h->n; i++)
            phash_field_release(h->u.flat.items[i]);
        if (h->u.flat.items != h->inl)
            free(h->u.flat.items);
    }
    free(h);
}

size_t phash_len(const phash *h)
{
    return h->n;
}

size_t phash_flat_find(const phash *h, const void *f, size_t flen)
{
    for (size_t i = 0; i < h->n; i++)
        if (phash_field_is(h->u.flat.items[i], f, flen))
            return i;
    return SIZE_MAX;
}

const phash_field *phash_get(const phash *h, const void *f, size_t flen)
{
    if (h->tree)
        return ptrie_get(h->u.tree.fields, f, flen);
    size_t i = phash_flat_find(h, f, flen);
    return i == SIZE_MAX ? NULL : h->u.flat.items[i];
}

const phash_field *phash_nth(const phash *h, size_t i)
{
    if (i >= h->n)
        return NULL;
    if (h->tree)
        return ptrie_nth(h->u.tree.fields, i);
    return h->u.flat.items[i];
}

int64_t phash_min_expire(const phash *h)
{
    return h->min_expire;
}

size_t phash_expiring_len(const phash *h)
{
    return h->nexp;
}

const phash_field *phash_next_expiring(const phash *h)
{
    if (h->nexp == 0)
        return NULL;
    if (h->tree)
        return pbtree_get(h->u.tree.expiry, 0);
    const phash_field *best = NULL;
    for (size_t i = 0; i < h->n; i++) {
        const phash_field *f = h->u.flat.items[i];
        if (f->has_expire &&
            (best == NULL || phash_field_expiry_cmp(f, best) < 0))
            best = f;
    }
    return best;
}

const char *phash_encoding(const phash *h)
{
    if (h->tree)
        return "hashtable";
    return h->nexp > 0 ? "listpackex" : "listpack";
}

/* ---- transients -------------------------------------------------------------- */

phash *phash_edit_begin(phash *h)
{
    if (h->transient) {
        errno = EINVAL;
        return NULL;
    }
    phash *t = xmalloc(sizeof *t);
    if (t == NULL)
        return NULL;
    *t = *h;
    t->refs = 1;
    t->transient = true;
    if (h->tree) {
        t->u.tree.fields = ptrie_edit_begin(h->u.tree.fields);
        if (t->u.tree.fields == NULL) {
            free(t);
            return NULL;
        }
        if (h->u.tree.expiry)
            pbtree_retain(h->u.tree.expiry);
        return t;
    }
    /* A transient's array is its own allocation, so that it can grow
     * without moving the header (edits hand back the same pointer). */
    size_t cap = h->n < 8 ? 8 : h->n;
    t->u.flat.items = xmalloc(cap * sizeof *t->u.flat.items);
    if (t->u.flat.items == NULL) {
        free(t);
        return NULL;
    }
    t->u.flat.cap = cap;
    for (size_t i = 0; i < h->n; i++)
        t->u.flat.items[i] = phash_field_retain(h->u.flat.items[i]);
    return t;
}

phash *phash_edit_end(phash *h)
{
    if (h->tree)
        h->u.tree.fields = ptrie_edit_end(h->u.tree.fields);
    h->transient = false;
    return h;
}

bool phash_is_transient(const phash *h)
{
    return h->transient;
}

/* ---- iteration ------------------------------------------------------------------ */

void phash_iter_init(phash_iter *it, const phash *h)
{
    it->h = h;
    it->i = 0;
    if (h->tree)
        ptrie_iter_init(&it->it, h->u.tree.fields);
}

const phash_field *phash_iter_next(phash_iter *it)
{
    const phash *h = it->h;
    if (h->tree)
        return ptrie_iter_next(&it->it);
    return it->i < h->n ? h->u.flat.items[it->i++] : NULL;
}
