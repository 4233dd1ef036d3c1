/* ptrie_check.c - the hash trie's invariants, checked the slow, obvious way.
 * Chapter 8.
 *
 * The tests in tests/ch08_ptrie.c call ptrie_check() after their edits.
 * It walks the whole trie, rehashes every element and re-derives what the
 * fast code relies on: each element sits at the position its hash picks
 * at its depth, below the positions its ancestors were reached by; the
 * two bitmaps of a node never share a position; collision nodes appear
 * only at full depth and hold elements of one hash with distinct keys;
 * every count is the number of elements below; every node but the root
 * holds at least two elements (the canonical form that deletes must
 * restore); and reference counts are sane (a node a transient may change
 * in place has exactly one reference, or an edit would change a node
 * another version sees).  Kept apart from the edits so that the fast code
 * reads without it.
 */
#include "ptrie_private.h"

#include <stdio.h>

typedef struct walk {
    const ptrie *t;
    size_t seen; /* elements seen so far */
    char *err;
    size_t errlen;
} walk;

static int fail(walk *w, unsigned depth, const char *what, size_t a, size_t b)
{
    snprintf(w->err, w->errlen,
             "depth %u, after %zu elements: %s (%zu, expected %zu)", depth,
             w->seen, what, a, b);
    return -1;
}

/* The bits of a hash that depths 0..d-1 consume. */
static uint64_t prefix_mask(unsigned d)
{
    return PTRIE_BITS * d >= 64 ? ~UINT64_C(0)
                                : (UINT64_C(1) << (PTRIE_BITS * d)) - 1u;
}

static int check_collision(walk *w, const ptrie_node *nd, uint64_t prefix)
{
    const ptrie *t = w->t;
    if (nd->count < 2)
        return fail(w, PTRIE_HASH_LEVELS, "collision node under 2 elements",
                    nd->count, 2);
    for (size_t i = 0; i < nd->count; i++) {
        if (ptrie_elem_hash(t, nd->slot[i]) != prefix)
            return fail(w, PTRIE_HASH_LEVELS,
                        "collision element of another hash at slot", i, 0);
        size_t len;
        const void *key = ptrie_key_of(t, nd->slot[i], &len);
        for (size_t j = 0; j < i; j++)
            if (ptrie_key_eq(t, nd->slot[j], key, len))
                return fail(w, PTRIE_HASH_LEVELS, "duplicate key at slots", j,
                            i);
        w->seen++;
    }
    return 0;
}

/* Check the subtree nd at depth, reached by the hash bits prefix;
 * *count receives its size. */
static int check_node(walk *w, const ptrie_node *nd, unsigned depth,
                      uint64_t prefix, size_t *count)
{
    const ptrie *t = w->t;
    if (nd->refs < 1)
        return fail(w, depth, "reference count below 1", nd->refs, 1);
    if (t->edit != 0 && nd->edit == t->edit && nd->refs != 1)
        return fail(w, depth, "node the transient owns is shared", nd->refs,
                    1);
    if (depth == PTRIE_HASH_LEVELS) {
        if (!ptrie_is_collision(nd))
            return fail(w, depth, "node with bitmaps at collision depth",
                        nd->datamap | nd->nodemap, 0);
        *count = nd->count;
        return check_collision(w, nd, prefix);
    }
    if (ptrie_is_collision(nd))
        return fail(w, depth, "node with no bitmaps above collision depth",
                    depth, PTRIE_HASH_LEVELS);
    if (nd->datamap & nd->nodemap)
        return fail(w, depth, "datamap and nodemap share positions",
                    nd->datamap & nd->nodemap, 0);
    if (depth == PTRIE_HASH_LEVELS - 1 &&
        ((nd->datamap | nd->nodemap) >> 16) != 0)
        return fail(w, depth, "position beyond the hash's last 4 bits",
                    (nd->datamap | nd->nodemap) >> 16, 0);
    size_t total = 0;
    for (unsigned b = 0; b < 32; b++) {
        uint32_t bit = 1u << b;
        uint64_t here = prefix | (uint64_t)b << (PTRIE_BITS * depth);
        if (nd->datamap & bit) {
            const void *e = nd->slot[ptrie_below(nd->datamap, bit)];
            uint64_t h = ptrie_elem_hash(t, e);
            if ((h & prefix_mask(depth + 1)) != here)
                return fail(w, depth, "element not where its hash says, "
                            "position", b, ptrie_chunk(h, depth));
            w->seen++;
            total++;
        } else if (nd->nodemap & bit) {
            const ptrie_node *kid = ptrie_child(nd, bit);
            size_t c = 0;
            if (kid == NULL)
                return fail(w, depth, "NULL child at position", b, 0);
            if (check_node(w, kid, depth + 1, here, &c) != 0)
                return -1;
            if (c != kid->count)
                return fail(w, depth + 1, "count differs from the subtree",
                            kid->count, c);
            if (c < 2)
                return fail(w, depth + 1,
                            "node below the root with one element (not "
                            "canonical)", c, 2);
            total += c;
        }
    }
    *count = total;
    return 0;
}

int ptrie_check(const ptrie *t, char *err, size_t errlen)
{
    walk w = { t, 0, err, errlen };
    if (t->refs < 1)
        return fail(&w, 0, "version reference count below 1", t->refs, 1);
    if (t->ops.key == NULL)
        return fail(&w, 0, "no key function", 0, 1);
    if (t->root == NULL)
        return 0;
    size_t c = 0;
    if (check_node(&w, t->root, 0, 0, &c) != 0)
        return -1;
    if (c != t->root->count)
        return fail(&w, 0, "length differs from the elements",
                    t->root->count, c);
    if (c == 0)
        return fail(&w, 0, "empty root (an empty trie has none)", c, 1);
    return 0;
}
