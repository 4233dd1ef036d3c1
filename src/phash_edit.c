/* phash_edit.c - the persistent hash's edits: one field replaced, added or deleted.
 * Chapter 8.
 *
 * Every edit (HSET, HPEXPIREAT/HPERSIST, HDEL) comes down to one change:
 * the field now under a name (old, or none) is replaced by a new field
 * (nf, or none).  apply() makes that change in whichever of four ways the
 * form before and after it asks for: flat to flat (copy the array, or
 * change a transient's array in place), flat to tree (build a trie and an
 * expiry index), tree to tree (one trie edit and at most two index
 * edits), tree to flat (read the trie into an array).  Each way allocates
 * everything it needs before it changes the hash, so a failure returns -1
 * with the hash as it was.  The expiry index is a version even in a
 * transient (phash.h explains why): it is edited first, into new
 * versions that are simply dropped if the trie edit then fails.
 */
#include "phash_private.h"

#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Smallest expiry among n fields. */
static int64_t flat_min(phash_field *const *items, size_t n)
{
    int64_t m = PHASH_NO_EXPIRE;
    for (size_t i = 0; i < n; i++) {
        int64_t e = phash_field_expire(items[i]);
        if (e != PHASH_NO_EXPIRE && (m == PHASH_NO_EXPIRE || e < m))
            m = e;
    }
    return m;
}

static int64_t index_min(const pbtree *idx)
{
    return idx ? phash_field_expire(pbtree_get(idx, 0)) : PHASH_NO_EXPIRE;
}

/* The counts after the change. */
typedef struct counts {
    size_t n, nexp, nbig;
} counts;

static counts counts_after(const phash *h, const phash_field *old,
                           const phash_field *nf)
{
    counts c = { h->n, h->nexp, h->nbig };
    if (old) {
        c.n--;
        c.nexp -= old->has_expire;
        c.nbig -= phash_field_big(old);
    }
    if (nf) {
        c.n++;
        c.nexp += nf->has_expire;
        c.nbig += phash_field_big(nf);
    }
    return c;
}

/* Write the fields after the change, in order, into dst (room for c.n):
 * the flat array with old replaced (or dropped) and nf appended when new.
 * Every field written is retained when retain is set. */
static void fill_flat(phash_field **dst, phash_field *const *src, size_t n,
                      const phash_field *old, phash_field *nf, bool retain)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        phash_field *f = src[i];
        if (f == old) {
            if (nf == NULL)
                continue;
            f = nf;
        }
        dst[k++] = retain ? phash_field_retain(f) : f;
    }
    if (old == NULL)
        dst[k] = retain ? phash_field_retain(nf) : nf;
}

/* The same from a trie (hash order). */
static void fill_from_trie(phash_field **dst, const ptrie *t,
                           const phash_field *old, phash_field *nf)
{
    ptrie_iter it;
    size_t k = 0;
    phash_field *f;
    ptrie_iter_init(&it, t);
    while ((f = ptrie_iter_next(&it)) != NULL) {
        if (f == old) {
            if (nf == NULL)
                continue;
            f = nf;
        }
        dst[k++] = phash_field_retain(f);
    }
    if (old == NULL)
        dst[k] = phash_field_retain(nf);
}

/* A new version header of the flat form with c.n pointers of room. */
static phash *flat_version(counts c)
{
    phash *nh = xmalloc(phash_header_bytes(c.n));
    if (nh == NULL)
        return NULL;
    memset(nh, 0, sizeof *nh);
    nh->refs = 1;
    nh->n = c.n;
    nh->nexp = c.nexp;
    nh->nbig = c.nbig;
    nh->u.flat.items = nh->inl;
    nh->u.flat.cap = c.n;
    return nh;
}

/* Release a transient's flat array (its references and its memory). */
static void drop_flat(phash *h)
{
    for (size_t i = 0; i < h->n; i++)
        phash_field_release(h->u.flat.items[i]);
    if (h->u.flat.items != h->inl)
        free(h->u.flat.items);
}

/* ---- the index ---------------------------------------------------------------- */

/* The expiry index after the change, as a new reference (NULL: empty),
 * from idx (a version or NULL), which is not changed. */
static int index_edit(pbtree *idx, phash_field *old, phash_field *nf,
                      pbtree **out)
{
    pbtree *cur = idx ? pbtree_retain(idx) : NULL, *t;
    if (old && old->has_expire) {
        if (pbtree_remove(cur, old, &t) < 0)
            goto fail;
        pbtree_release(cur);
        cur = t;
    }
    if (nf && nf->has_expire) {
        if (cur == NULL && (cur = pbtree_new(&phash_field_expiry_ops)) == NULL)
            return -1;
        if (pbtree_add(cur, nf, false, &t) < 0)
            goto fail;
        pbtree_release(cur);
        cur = t;
    }
    if (cur && pbtree_len(cur) == 0) {
        pbtree_release(cur);
        cur = NULL;
    }
    *out = cur;
    return 0;
fail:
    pbtree_release(cur);
    return -1;
}


static int cmp_expiry_ptr(const void *a, const void *b)
{
    return phash_field_expiry_cmp(*(phash_field *const *)a,
                                  *(phash_field *const *)b);
}

/* An index of the expiring fields among fields[0..n) (NULL when none),
 * built in order in one pass: O(n log n) for the sort, O(n) for the tree. */
static int index_build(phash_field *const *fields, size_t n, size_t nexp,
                       pbtree **out)
{
    *out = NULL;
    if (nexp == 0)
        return 0;
    phash_field **tmp = xmalloc(nexp * sizeof *tmp);
    if (tmp == NULL)
        return -1;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (fields[i]->has_expire)
            tmp[k++] = fields[i];
    qsort(tmp, k, sizeof *tmp, cmp_expiry_ptr);
    int rc = pbtree_from_array(&phash_field_expiry_ops, (void *const *)tmp, k,
                               out);
    free(tmp);
    return rc;
}

/* ---- the four ways ------------------------------------------------------------- */

/* Flat before and after. */
static int flat_to_flat(phash *h, phash_field *old, size_t pos,
                        phash_field *nf, counts c, phash **out)
{
    if (!h->transient) {
        phash *nh = flat_version(c);
        if (nh == NULL)
            return -1;
        fill_flat(nh->inl, h->u.flat.items, h->n, old, nf, true);
        nh->min_expire = flat_min(nh->inl, c.n);
        *out = nh;
        return 0;
    }
    /* A transient's own array, changed in place. */
    phash_field **items = h->u.flat.items;
    if (old == NULL) {
        if (h->n == h->u.flat.cap) {
            size_t cap = h->u.flat.cap ? 2 * h->u.flat.cap : 8;
            phash_field **ni =
                items == h->inl ? xmalloc(cap * sizeof *ni)
                                : xrealloc(items, cap * sizeof *ni);
            if (ni == NULL)
                return -1;
            if (items == h->inl)
                memcpy(ni, items, h->n * sizeof *ni);
            h->u.flat.items = items = ni;
            h->u.flat.cap = cap;
        }
        items[h->n] = phash_field_retain(nf);
    } else if (nf != NULL) {
        items[pos] = phash_field_retain(nf);
        phash_field_release(old);
    } else {
        memmove(items + pos, items + pos + 1,
                (h->n - pos - 1) * sizeof *items);
        phash_field_release(old);
    }
    h->n = c.n;
    h->nexp = c.nexp;
    h->min_expire = flat_min(items, c.n);
    *out = h;
    return 0;
}

/* Flat before, tree after: a trie and an index built from the fields. */
static int flat_to_tree(phash *h, phash_field *old, phash_field *nf,
                        counts c, phash **out)
{
    phash *nh = NULL;
    ptrie *t = NULL;
    pbtree *idx = NULL;
    phash_field **after = xmalloc((c.n ? c.n : 1) * sizeof *after);
    if (after == NULL)
        return -1;
    fill_flat(after, h->u.flat.items, h->n, old, nf, false);
    if (!h->transient && (nh = xmalloc(sizeof *nh)) == NULL)
        goto fail;
    ptrie *empty = ptrie_new(&phash_field_trie_ops);
    if (empty == NULL)
        goto fail;
    t = ptrie_edit_begin(empty);
    ptrie_release(empty);
    if (t == NULL)
        goto fail;
    for (size_t i = 0; i < c.n; i++) {
        ptrie *o;
        if (ptrie_put(t, after[i], false, &o) < 0)
            goto fail;
    }
    if (index_build(after, c.n, c.nexp, &idx) < 0)
        goto fail;
    free(after);
    if (nh == NULL) { /* the transient itself changes form */
        nh = h;
        drop_flat(h);
    } else {
        t = ptrie_edit_end(t);
        memset(nh, 0, sizeof *nh);
        nh->refs = 1;
    }
    nh->tree = true;
    nh->n = c.n;
    nh->nexp = c.nexp;
    nh->nbig = c.nbig;
    nh->min_expire = index_min(idx);
    nh->u.tree.fields = t;
    nh->u.tree.expiry = idx;
    *out = nh;
    return 0;
fail:
    ptrie_release(t);
    free(nh);
    free(after);
    return -1;
}

/* Tree before and after: the index first, then one trie edit. */
static int tree_to_tree(phash *h, phash_field *old, phash_field *nf,
                        counts c, phash **out)
{
    phash *nh = NULL;
    pbtree *idx;
    if (!h->transient && (nh = xmalloc(sizeof *nh)) == NULL)
        return -1;
    if (index_edit(h->u.tree.expiry, old, nf, &idx) < 0) {
        free(nh);
        return -1;
    }
    ptrie *t;
    int rc = nf ? ptrie_put(h->u.tree.fields, nf, true, &t)
                : ptrie_remove(h->u.tree.fields, phash_field_name(old, NULL),
                               old->flen, &t);
    if (rc < 0) {
        pbtree_release(idx);
        free(nh);
        return -1;
    }
    if (nh == NULL) {
        nh = h;
        pbtree_release(h->u.tree.expiry);
    } else {
        *nh = *h;
        nh->refs = 1;
    }
    nh->n = c.n;
    nh->nexp = c.nexp;
    nh->nbig = c.nbig;
    nh->min_expire = index_min(idx);
    nh->u.tree.fields = t;
    nh->u.tree.expiry = idx;
    *out = nh;
    return 0;
}

/* Tree before, flat after: the trie read into an array. */
static int tree_to_flat(phash *h, phash_field *old, phash_field *nf,
                        counts c, phash **out)
{
    if (!h->transient) {
        phash *nh = flat_version(c);
        if (nh == NULL)
            return -1;
        fill_from_trie(nh->inl, h->u.tree.fields, old, nf);
        nh->min_expire = flat_min(nh->inl, c.n);
        *out = nh;
        return 0;
    }
    size_t cap = c.n < 8 ? 8 : c.n;
    phash_field **items = xmalloc(cap * sizeof *items);
    if (items == NULL)
        return -1;
    fill_from_trie(items, h->u.tree.fields, old, nf);
    ptrie_release(h->u.tree.fields);
    pbtree_release(h->u.tree.expiry);
    h->tree = false;
    h->n = c.n;
    h->nexp = c.nexp;
    h->nbig = c.nbig;
    h->min_expire = flat_min(items, c.n);
    h->u.flat.items = items;
    h->u.flat.cap = cap;
    *out = h;
    return 0;
}

/* The field now under a name (old; NULL when there is none) becomes nf
 * (NULL: deleted).  pos is old's position in a flat array. */
static int apply(phash *h, phash_field *old, size_t pos, phash_field *nf,
                 phash **out)
{
    counts c = counts_after(h, old, nf);
    if (h->tree) {
        bool flat = c.n <= phash_max_entries_ / 2 && c.nbig == 0;
        return flat ? tree_to_flat(h, old, nf, c, out)
                    : tree_to_tree(h, old, nf, c, out);
    }
    bool tree = c.n > phash_max_entries_ || c.nbig > 0;
    return tree ? flat_to_tree(h, old, nf, c, out)
                : flat_to_flat(h, old, pos, nf, c, out);
}

/* ---- the edits ------------------------------------------------------------------ */

/* Find a name: the field and its flat position. */
static phash_field *find(const phash *h, const void *f, size_t flen,
                         size_t *pos)
{
    *pos = SIZE_MAX;
    if (h->tree)
        return ptrie_get(h->u.tree.fields, f, flen);
    *pos = phash_flat_find(h, f, flen);
    return *pos == SIZE_MAX ? NULL : h->u.flat.items[*pos];
}

/* The result of an edit that changes nothing. */
static void unchanged(phash *h, phash **out)
{
    *out = h->transient ? h : phash_retain(h);
}

int phash_set(phash *h, const void *f, size_t flen, const void *v,
              size_t vlen, int64_t expire_ms, phash **out)
{
    size_t pos;
    phash_field *old = find(h, f, flen, &pos);
    phash_field *nf = phash_field_new(f, flen, v, vlen, expire_ms);
    if (nf == NULL)
        return -1;
    int rc = apply(h, old, pos, nf, out);
    phash_field_release(nf); /* the hash holds its own reference */
    if (rc < 0)
        return -1;
    return old ? 0 : 1;
}

int phash_set_expire(phash *h, const void *f, size_t flen,
                     int64_t expire_ms, phash **out)
{
    if (expire_ms < -1) {
        errno = EINVAL;
        return -1;
    }
    size_t pos;
    phash_field *old = find(h, f, flen, &pos);
    if (old == NULL) {
        unchanged(h, out);
        return 0;
    }
    if (phash_field_expire(old) == expire_ms) {
        unchanged(h, out);
        return 1;
    }
    size_t vlen;
    const unsigned char *v = phash_field_value(old, &vlen);
    phash_field *nf = phash_field_new(f, flen, v, vlen, expire_ms);
    if (nf == NULL)
        return -1;
    int rc = apply(h, old, pos, nf, out);
    phash_field_release(nf);
    return rc < 0 ? -1 : 1;
}

int phash_del(phash *h, const void *f, size_t flen, phash **out)
{
    size_t pos;
    phash_field *old = find(h, f, flen, &pos);
    if (old == NULL) {
        unchanged(h, out);
        return 0;
    }
    return apply(h, old, pos, NULL, out) < 0 ? -1 : 1;
}
