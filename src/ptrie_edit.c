/* ptrie_edit.c - put and remove, failure-atomic, keeping canonical form.
 * Chapter 8.
 *
 * Both edits run in three steps, like the B+tree's (src/pbtree_edit.c).
 * First a walk from the root, changing nothing, records the path to where
 * the key is or would go and decides what the edit is.  For a put: a new
 * element in a free position (the node there grows by a slot), a replaced
 * element, or a position taken by another key, whose element is rehashed
 * and pushed down with the new one into a chain of new nodes that ends
 * where their hashes part (or in a collision node).  For a remove: the
 * node loses a slot, or, when that would leave a node other than the root
 * with one element, the survivor moves up into the slot of the highest
 * node that would be left with one, and that subtree goes (canonical
 * form).  Second, every node the edit needs is allocated (copies of the
 * path nodes it does not own, a resized node, the chain), all or none.
 * Third, the path is made writable top-down and changed; that step cannot
 * fail, so on ENOMEM the trie given holds exactly what it held.
 */
#include "ptrie_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* What a put does, decided by the walk. */
enum put_kind {
    PUT_ROOT,      /* the trie is empty: a root with one element */
    PUT_INSERT,    /* a free position: the node grows by one element */
    PUT_REPLACE,   /* an equal key: its slot gets the new element */
    PUT_PUSH_DOWN, /* another key's element: both go into a new subtree */
    PUT_COLLIDE    /* a collision node without the key: it grows */
};

/* Walk to where key (hash h) is or would go; fills p and *at (the slot of
 * the element met, for REPLACE and PUSH_DOWN). */
static enum put_kind put_walk(const ptrie *t, uint64_t h, const void *key,
                              size_t len, ptrie_path *p, unsigned *at)
{
    ptrie_node *nd = t->root;
    p->h = 0;
    if (nd == NULL)
        return PUT_ROOT;
    for (unsigned d = 0;; d++) {
        p->nd[d] = nd;
        p->h = d + 1;
        if (d == PTRIE_HASH_LEVELS) {
            for (unsigned i = 0; i < nd->count; i++)
                if (ptrie_key_eq(t, nd->slot[i], key, len)) {
                    *at = i;
                    return PUT_REPLACE;
                }
            return PUT_COLLIDE;
        }
        uint32_t bit = 1u << ptrie_chunk(h, d);
        if (nd->datamap & bit) {
            *at = ptrie_below(nd->datamap, bit);
            return ptrie_key_eq(t, nd->slot[*at], key, len) ? PUT_REPLACE
                                                            : PUT_PUSH_DOWN;
        }
        if (!(nd->nodemap & bit))
            return PUT_INSERT;
        nd = ptrie_child(nd, bit);
    }
}

/* The depth below d where hashes a and b (equal up to d) part, or
 * PTRIE_HASH_LEVELS when they are equal. */
static unsigned parting_depth(uint64_t a, uint64_t b, unsigned d)
{
    for (unsigned k = d + 1; k < PTRIE_HASH_LEVELS; k++)
        if (ptrie_chunk(a, k) != ptrie_chunk(b, k))
            return k;
    return PTRIE_HASH_LEVELS;
}

/* A node that is old plus one element: elem in slot at (a new position
 * bit of a bitmap node, or the end of a collision node). */
static ptrie_node *grown(ptrie *t, ptrie_pool *pl, const ptrie_node *old,
                         uint32_t bit, unsigned at, void *elem)
{
    ptrie_node *nn = ptrie_pool_take(pl, t);
    unsigned n = ptrie_nslots(old);
    nn->datamap = old->datamap | bit;
    nn->nodemap = old->nodemap;
    nn->count = old->count + 1;
    memcpy(nn->slot, old->slot, at * sizeof(void *));
    nn->slot[at] = elem;
    memcpy(nn->slot + at + 1, old->slot + at, (n - at) * sizeof(void *));
    return nn;
}

/* The new subtree holding elements e (hash he, already in the trie) and
 * elem (hash h) below depth d: one-child nodes down to depth dp where the
 * hashes part, and there a node with both (or a collision node). */
static ptrie_node *push_down(ptrie *t, ptrie_pool *pl, void *e, uint64_t he,
                             void *elem, uint64_t h, unsigned d, unsigned dp)
{
    ptrie_node *bottom = ptrie_pool_take(pl, t);
    bottom->count = 2;
    if (dp == PTRIE_HASH_LEVELS) {
        bottom->slot[0] = e;
        bottom->slot[1] = elem;
    } else {
        unsigned ce = ptrie_chunk(he, dp), cn = ptrie_chunk(h, dp);
        bottom->datamap = (1u << ce) | (1u << cn);
        bottom->slot[ce < cn ? 0 : 1] = e;
        bottom->slot[ce < cn ? 1 : 0] = elem;
    }
    ptrie_node *kid = bottom;
    for (unsigned k = dp - 1; k > d; k--) {
        ptrie_node *up = ptrie_pool_take(pl, t);
        up->nodemap = 1u << ptrie_chunk(h, k);
        up->count = 2;
        up->slot[0] = kid;
        kid = up;
    }
    return kid;
}

int ptrie_put(ptrie *t, void *elem, bool replace, ptrie **out)
{
    size_t len;
    const void *key = ptrie_key_of(t, elem, &len);
    uint64_t h = ptrie_hash(t, key, len), he = 0;
    ptrie_path p;
    unsigned at = 0, dp = 0;
    enum put_kind kind = put_walk(t, h, key, len, &p, &at);
    /* Not replacing, or replacing an element by itself: nothing changes. */
    if (kind == PUT_REPLACE &&
        (!replace || p.nd[p.h - 1]->slot[at] == elem)) {
        *out = ptrie_unchanged(t);
        return 0;
    }
    unsigned dt = p.h - 1; /* depth of the last node on the path */

    /* Plan the nodes, in the order they are taken below. */
    ptrie_pool pl = { .n = 0 };
    switch (kind) {
    case PUT_ROOT:
        ptrie_pool_plan(&pl, 1);
        break;
    case PUT_INSERT:
    case PUT_COLLIDE:
        ptrie_plan_copies(t, &p, dt, &pl);
        ptrie_pool_plan(&pl, ptrie_nslots(p.nd[dt]) + 1);
        break;
    case PUT_REPLACE:
        ptrie_plan_copies(t, &p, dt + 1, &pl);
        break;
    case PUT_PUSH_DOWN:
        ptrie_plan_copies(t, &p, dt + 1, &pl);
        he = ptrie_elem_hash(t, p.nd[dt]->slot[at]);
        dp = parting_depth(h, he, dt);
        ptrie_pool_plan(&pl, 2);
        for (unsigned k = dt + 1; k < dp; k++)
            ptrie_pool_plan(&pl, 1);
        break;
    }
    ptrie *w = ptrie_writer_begin(t);
    if (w == NULL)
        return -1;
    if (ptrie_pool_fill(&pl) != 0) {
        ptrie_writer_abort(t, w);
        return -1;
    }

    /* Nothing below can fail. */
    ptrie_el_retain(w, elem);
    if (kind == PUT_ROOT) {
        ptrie_node *root = ptrie_pool_take(&pl, w);
        root->datamap = 1u << ptrie_chunk(h, 0);
        root->count = 1;
        root->slot[0] = elem;
        w->root = root;
        *out = ptrie_writer_end(t, w);
        return 1;
    }
    bool term_writable = kind == PUT_REPLACE || kind == PUT_PUSH_DOWN;
    ptrie_make_writable(w, &p, term_writable ? dt + 1 : dt, h, &pl);
    ptrie_node *nd = p.nd[dt];
    switch (kind) {
    case PUT_REPLACE:
        ptrie_el_release(&w->ops, nd->slot[at]);
        nd->slot[at] = elem;
        *out = ptrie_writer_end(t, w);
        return 0;
    case PUT_INSERT: {
        uint32_t bit = 1u << ptrie_chunk(h, dt);
        ptrie_node *nn = grown(w, &pl, nd, bit, ptrie_below(nd->datamap, bit),
                               elem);
        ptrie_adopt(w, nd);
        ptrie_relink(w, &p, dt, h, nn);
        break;
    }
    case PUT_COLLIDE: {
        ptrie_node *nn = grown(w, &pl, nd, 0, (unsigned)nd->count, elem);
        ptrie_adopt(w, nd);
        ptrie_relink(w, &p, dt, h, nn);
        break;
    }
    default: { /* PUT_PUSH_DOWN: the element's slot becomes a child's */
        uint32_t bit = 1u << ptrie_chunk(h, dt);
        ptrie_node *kid = push_down(w, &pl, nd->slot[at], he, elem, h, dt, dp);
        unsigned nd_data = ptrie_ndata(nd);
        unsigned ni = ptrie_below(nd->nodemap, bit);
        memmove(&nd->slot[at], &nd->slot[at + 1],
                (nd_data - 1 - at + ni) * sizeof(void *));
        nd->slot[nd_data - 1 + ni] = kid;
        nd->datamap &= ~bit;
        nd->nodemap |= bit;
        nd->count++;
        break;
    }
    }
    for (unsigned d = 0; d < dt; d++)
        p.nd[d]->count++;
    *out = ptrie_writer_end(t, w);
    return 1;
}

/* ---- remove ------------------------------------------------------------- */

/* Walk to the element with key (hash h); fills p and *at (its slot).
 * Returns whether it is there. */
static bool remove_walk(const ptrie *t, uint64_t h, const void *key,
                        size_t len, ptrie_path *p, unsigned *at)
{
    ptrie_node *nd = t->root;
    if (nd == NULL)
        return false;
    for (unsigned d = 0;; d++) {
        p->nd[d] = nd;
        p->h = d + 1;
        if (d == PTRIE_HASH_LEVELS) {
            for (unsigned i = 0; i < nd->count; i++)
                if (ptrie_key_eq(t, nd->slot[i], key, len)) {
                    *at = i;
                    return true;
                }
            return false;
        }
        uint32_t bit = 1u << ptrie_chunk(h, d);
        if (nd->datamap & bit) {
            *at = ptrie_below(nd->datamap, bit);
            return ptrie_key_eq(t, nd->slot[*at], key, len);
        }
        if (!(nd->nodemap & bit))
            return false;
        nd = ptrie_child(nd, bit);
    }
}

/* Drop slot at (an element) of a node the edit owns, in place. */
static void shrink_in_place(ptrie *t, ptrie_node *nd, uint32_t bit,
                            unsigned at)
{
    unsigned n = ptrie_nslots(nd);
    ptrie_el_release(&t->ops, nd->slot[at]);
    memmove(&nd->slot[at], &nd->slot[at + 1], (n - at - 1) * sizeof(void *));
    nd->datamap &= ~bit;
    nd->count--;
}

/* A copy of old without its element at slot at. */
static ptrie_node *shrunk(ptrie *t, ptrie_pool *pl, ptrie_node *old,
                          uint32_t bit, unsigned at)
{
    ptrie_node *nn = ptrie_pool_take(pl, t);
    unsigned n = ptrie_nslots(old);
    void *gone = old->slot[at];
    nn->datamap = old->datamap & ~bit;
    nn->nodemap = old->nodemap;
    nn->count = old->count - 1;
    memcpy(nn->slot, old->slot, at * sizeof(void *));
    memcpy(nn->slot + at, old->slot + at + 1, (n - at - 1) * sizeof(void *));
    ptrie_adopt(t, old);            /* nn holds all of old's but gone */
    ptrie_el_release(&t->ops, gone); /* the reference old's slot held */
    return nn;
}

int ptrie_remove(ptrie *t, const void *key, size_t len, ptrie **out)
{
    uint64_t h = ptrie_hash(t, key, len);
    ptrie_path p;
    unsigned at = 0;
    if (!remove_walk(t, h, key, len, &p, &at)) {
        *out = ptrie_unchanged(t);
        return 0;
    }
    unsigned dt = p.h - 1;
    /* The highest node below the root that would be left with one
     * element (0: none).  Counts shrink with depth, so it and every node
     * below it hold two elements now, the last two being elements. */
    unsigned k = 0;
    for (unsigned d = 1; d <= dt && k == 0; d++)
        if (p.nd[d]->count <= 2)
            k = d;
    ptrie_pool pl = { .n = 0 };
    ptrie_node *term = p.nd[dt];
    bool emptied = dt == 0 && term->count == 1;
    bool in_place = ptrie_owned(t, term);
    if (k > 0) {
        ptrie_plan_copies(t, &p, k, &pl);
    } else if (!emptied) {
        ptrie_plan_copies(t, &p, dt, &pl);
        if (!in_place)
            ptrie_pool_plan(&pl, ptrie_nslots(term) - 1);
    }
    ptrie *w = ptrie_writer_begin(t);
    if (w == NULL)
        return -1;
    if (ptrie_pool_fill(&pl) != 0) {
        ptrie_writer_abort(t, w);
        return -1;
    }

    /* Nothing below can fail. */
    if (emptied) { /* the last element goes with the root */
        ptrie_node_release(&w->ops, w->root);
        w->root = NULL;
        *out = ptrie_writer_end(t, w);
        return 1;
    }
    if (k > 0) {
        /* The survivor replaces the subtree at depth k in its parent. */
        ptrie_make_writable(w, &p, k, h, &pl);
        ptrie_node *pa = p.nd[k - 1], *sub = p.nd[k];
        void *survivor = term->slot[1 - at];
        uint32_t bit = 1u << ptrie_chunk(h, k - 1);
        unsigned di = ptrie_below(pa->datamap, bit);
        unsigned ni = ptrie_below(pa->nodemap, bit);
        unsigned nd_data = ptrie_ndata(pa);
        ptrie_el_retain(w, survivor);
        memmove(&pa->slot[di + 1], &pa->slot[di],
                (nd_data - di + ni) * sizeof(void *));
        pa->slot[di] = survivor;
        pa->datamap |= bit;
        pa->nodemap &= ~bit;
        ptrie_node_release(&w->ops, sub);
        for (unsigned d = 0; d < k; d++)
            p.nd[d]->count--;
        *out = ptrie_writer_end(t, w);
        return 1;
    }
    ptrie_make_writable(w, &p, dt, h, &pl);
    uint32_t bit = dt == PTRIE_HASH_LEVELS ? 0 : 1u << ptrie_chunk(h, dt);
    if (in_place)
        shrink_in_place(w, term, bit, at);
    else
        ptrie_relink(w, &p, dt, h, shrunk(w, &pl, term, bit, at));
    for (unsigned d = 0; d < dt; d++)
        p.nd[d]->count--;
    *out = ptrie_writer_end(t, w);
    return 1;
}
