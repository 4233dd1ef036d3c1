/* hamt.c - a persistent hash array mapped trie: reading and whole trees.
 * Chapter 5.
 *
 * A version is a tree of nodes that never change once published, so a
 * reader walks it with plain loads and takes no lock.
 * Each level consumes five bits of the key's hash; a node stores only the
 * children that exist, packed in index order, and a bitmap says which
 * ones those are.  A lookup is therefore one bitmap test and one popcount
 * per level.  The edits that build new versions by path copying are in
 * hamt_edit.c; the helpers both files use are in hamt_private.h.
 */
#include "hamt_private.h"

#include <stdlib.h>

size_t hamt_node_bytes(size_t n)
{
    return sizeof(hamt_node) + n * sizeof(hamt_slot);
}

/* ---- reading ------------------------------------------------------------ */

/* [ch05-get] */
const hamt_slot *hamt_find_slot(const hamt_node *nd, uint64_t h,
                                const void *key, size_t klen)
{
    /* learn: ch05 hamt_find_slot "Bitmaps and popcount" */
    unsigned shift = 0;
    while (nd != NULL) {
        if (nd->bitmap == 0) { /* a collision node (or the empty root) */
            for (uint32_t i = 0; i < nd->n; i++)
                if (key_is(nd->slots[i].key, h, key, klen))
                    return &nd->slots[i];
            return NULL;
        }
        unsigned idx = index_at(h, shift);
        uint32_t bit = UINT32_C(1) << idx;
        if ((nd->bitmap & bit) == 0)
            return NULL;
        /* A full node (the root of any store over a few hundred keys) is a
         * plain array: slot = index, no counting on the critical path. */
        unsigned pos = nd->n == HAMT_FANOUT ? idx : slot_pos(nd->bitmap, bit);
        const hamt_slot *s = &nd->slots[pos];
        if (s->key == NULL) { /* a subtree: go one level down */
            nd = s->u.child;
            shift += HAMT_BITS;
            continue;
        }
        return key_is(s->key, h, key, klen) ? s : NULL;
    }
    return NULL;
    /* learn: end */
}

void *hamt_get(const hamt_node *root, uint64_t hash, const void *key,
               size_t klen)
{
    /* learn: ch05 hamt_get "Bitmaps and popcount" */
    const hamt_slot *s = hamt_find_slot(root, hash, key, klen);
    return s != NULL ? s->u.val : NULL;
    /* learn: end */
}
/* [ch05-get] */

size_t hamt_size(const hamt_node *root)
{
    return root != NULL ? root->size : 0;
}

int hamt_iterate(const hamt_node *nd, hamt_iter_fn *fn, void *arg)
{
    if (nd == NULL)
        return 0;
    for (uint32_t i = 0; i < nd->n; i++) {
        const hamt_slot *s = &nd->slots[i];
        int rc = s->key != NULL ? fn(s->key, s->u.val, arg)
                                : hamt_iterate(s->u.child, fn, arg);
        if (rc != 0)
            return rc;
    }
    return 0;
}

/* ---- whole trees -------------------------------------------------------- */

void hamt_free_tree(hamt_node *nd, void (*val_free)(void *))
{
    if (nd == NULL)
        return;
    for (uint32_t i = 0; i < nd->n; i++) {
        hamt_slot *s = &nd->slots[i];
        if (s->key == NULL) {
            hamt_free_tree(s->u.child, val_free);
        } else {
            if (val_free != NULL)
                val_free(s->u.val);
            free((void *)s->key);
        }
    }
    free(nd);
}
