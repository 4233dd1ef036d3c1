/* ptrie.c - the persistent hash trie: versions, transients, reads.
 * Chapter 8.
 *
 * What every reader and writer starts from: making and releasing versions,
 * turning a version into a transient and back, and the read side (length,
 * get, nth, the iterator, bytes and statistics), none of which touches a
 * reference count.  As in the B+tree, an edit of a version is an edit of a
 * one-edit transient: a new header with a fresh token shares the old root
 * (ptrie_writer_begin()), the edit copies its path under that token, and
 * the header is frozen before it is returned.  The edits themselves are in
 * ptrie_edit.c, the node machinery in ptrie_node.c.
 */
#include "ptrie_private.h"
#include "alloc.h"
#include "hash.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- versions ----------------------------------------------------------- */

ptrie *ptrie_new(const ptrie_ops *ops)
{
    if (ops == NULL || ops->key == NULL) {
        errno = EINVAL;
        return NULL;
    }
    ptrie *t = xcalloc(1, sizeof *t);
    if (t == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    t->ops = *ops;
    t->refs = 1;
    return t;
}

int ptrie_set_hash_fn(ptrie *t, ptrie_hash_fn *fn)
{
    if (t->root != NULL) { /* elements already placed by the old hash */
        errno = EINVAL;
        return -1;
    }
    t->hash = fn;
    return 0;
}

uint64_t ptrie_hash(const ptrie *t, const void *key, size_t len)
{
    return t->hash != NULL ? t->hash(key, len) : hash_bytes(key, len);
}

ptrie *ptrie_retain(ptrie *t)
{
    t->refs++;
    return t;
}

void ptrie_release(ptrie *t)
{
    if (t == NULL || --t->refs > 0)
        return;
    if (t->root != NULL)
        ptrie_node_release(&t->ops, t->root);
    free(t);
}

size_t ptrie_len(const ptrie *t)
{
    return t->root != NULL ? t->root->count : 0;
}

bool ptrie_is_transient(const ptrie *t)
{
    return t->edit != 0;
}

/* A new header sharing t's root, under a fresh token. */
static ptrie *header_fork(ptrie *t)
{
    ptrie *w = xmalloc(sizeof *w);
    if (w == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    *w = *t;
    w->refs = 1;
    w->edit = ptrie_new_token();
    if (w->root != NULL)
        w->root->refs++;
    return w;
}

ptrie *ptrie_edit_begin(ptrie *t)
{
    if (t->edit != 0) { /* two transients would share nodes one owns */
        errno = EINVAL;
        return NULL;
    }
    return header_fork(t);
}

ptrie *ptrie_edit_end(ptrie *t)
{
    t->edit = 0;
    return t;
}

ptrie *ptrie_writer_begin(ptrie *t)
{
    return t->edit != 0 ? t : header_fork(t);
}

void ptrie_writer_abort(ptrie *t, ptrie *w)
{
    if (w != t)
        ptrie_release(w);
}

ptrie *ptrie_writer_end(ptrie *t, ptrie *w)
{
    if (w != t)
        w->edit = 0;
    return w;
}

ptrie *ptrie_unchanged(ptrie *t)
{
    return t->edit != 0 ? t : ptrie_retain(t);
}

/* ---- reading ------------------------------------------------------------ */

bool ptrie_key_eq(const ptrie *t, const void *e, const void *key, size_t len)
{
    size_t elen;
    const void *ek = ptrie_key_of(t, e, &elen);
    return elen == len && (len == 0 || memcmp(ek, key, len) == 0);
}

uint64_t ptrie_elem_hash(const ptrie *t, const void *e)
{
    size_t len;
    const void *k = ptrie_key_of(t, e, &len);
    return ptrie_hash(t, k, len);
}

void *ptrie_get(const ptrie *t, const void *key, size_t len)
{
    return ptrie_get_hashed(t, ptrie_hash(t, key, len), key, len);
}

void *ptrie_get_hashed(const ptrie *t, uint64_t hash, const void *key,
                       size_t len)
{
    const ptrie_node *nd = t->root;
    if (nd == NULL)
        return NULL;
    for (unsigned d = 0; d < PTRIE_HASH_LEVELS; d++) {
        uint32_t bit = 1u << ptrie_chunk(hash, d);
        if (nd->datamap & bit) {
            void *e = nd->slot[ptrie_below(nd->datamap, bit)];
            return ptrie_key_eq(t, e, key, len) ? e : NULL;
        }
        if (!(nd->nodemap & bit))
            return NULL;
        nd = ptrie_child(nd, bit);
    }
    for (size_t i = 0; i < nd->count; i++) /* a collision node */
        if (ptrie_key_eq(t, nd->slot[i], key, len))
            return nd->slot[i];
    return NULL;
}

void *ptrie_nth(const ptrie *t, size_t i)
{
    const ptrie_node *nd = t->root;
    if (nd == NULL || i >= nd->count)
        return NULL;
    /* Positions in order; an element counts one, a child its count. */
    while (!ptrie_is_collision(nd)) {
        uint32_t rest = nd->datamap | nd->nodemap;
        for (;;) {
            uint32_t bit = rest & -rest;
            rest &= rest - 1u;
            if (nd->datamap & bit) {
                if (i == 0)
                    return nd->slot[ptrie_below(nd->datamap, bit)];
                i--;
                continue;
            }
            const ptrie_node *kid = ptrie_child(nd, bit);
            if (i < kid->count) {
                nd = kid;
                break;
            }
            i -= kid->count;
        }
    }
    return nd->slot[i];
}

/* ---- iteration ---------------------------------------------------------- */

void ptrie_iter_init(ptrie_iter *it, const ptrie *t)
{
    it->t = t;
    it->pos = 0;
    it->depth = 0;
    if (t->root != NULL) {
        it->nd[0] = t->root;
        it->idx[0] = 0;
        it->depth = 1;
    }
}

void *ptrie_iter_next(ptrie_iter *it)
{
    while (it->depth > 0) {
        unsigned d = it->depth - 1;
        const ptrie_node *nd = it->nd[d];
        if (ptrie_is_collision(nd)) {
            if (it->idx[d] < nd->count) {
                it->pos++;
                return nd->slot[it->idx[d]++];
            }
            it->depth--;
            continue;
        }
        /* The positions at or after idx (idx 32: none). */
        uint32_t rest = (nd->datamap | nd->nodemap) &
                        (uint32_t)(UINT64_C(0xffffffff) << it->idx[d]);
        if (rest == 0) {
            it->depth--;
            continue;
        }
        unsigned b = (unsigned)__builtin_ctz(rest);
        uint32_t bit = 1u << b;
        it->idx[d] = b + 1;
        if (nd->datamap & bit) {
            it->pos++;
            return nd->slot[ptrie_below(nd->datamap, bit)];
        }
        it->nd[d + 1] = ptrie_child(nd, bit);
        it->idx[d + 1] = 0;
        it->depth++;
    }
    return NULL;
}

/* ---- accounting --------------------------------------------------------- */

static void node_stats(const ptrie *t, const ptrie_node *nd, unsigned depth,
                       ptrie_stats *st, size_t *elem_bytes)
{
    unsigned nd_data = ptrie_ndata(nd), n = ptrie_nslots(nd);
    st->nodes++;
    st->node_bytes += ptrie_node_size(n);
    if (ptrie_is_collision(nd))
        st->collision_nodes++;
    if (depth + 1 > st->depth)
        st->depth = depth + 1;
    for (unsigned i = 0; i < nd_data; i++) {
        st->elems++;
        if (elem_bytes != NULL && t->ops.size != NULL)
            *elem_bytes += t->ops.size(nd->slot[i]);
    }
    for (unsigned i = nd_data; i < n; i++)
        node_stats(t, nd->slot[i], depth + 1, st, elem_bytes);
}

void ptrie_stats_get(const ptrie *t, ptrie_stats *st)
{
    *st = (ptrie_stats){ 0 };
    if (t->root != NULL)
        node_stats(t, t->root, 0, st, NULL);
}

size_t ptrie_bytes(const ptrie *t)
{
    ptrie_stats st = { 0 };
    size_t elem_bytes = 0;
    if (t->root != NULL)
        node_stats(t, t->root, 0, &st, &elem_bytes);
    return sizeof *t + st.node_bytes + elem_bytes;
}
