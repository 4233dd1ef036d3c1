/* pbtree_check.c - the B+tree's invariants, checked the slow, obvious way.
 * Chapter 8.
 *
 * The tests in tests/ch08_pbtree.c call pbtree_check() after their
 * edits.  It walks the whole tree and re-derives everything the fast code
 * relies on: that all leaves are at the same depth, that every node but
 * the root is at least half full unless it is the first or the last of
 * its level (then it holds at least one slot), that each parent's count
 * and first element for a child are the child's real ones, that the
 * elements are in strictly increasing order when the tree is ordered,
 * and that reference counts are sane (a node a transient may change in
 * place has exactly one reference, or an edit would change a node another
 * version sees).  Kept apart from the edits so that the fast code reads
 * without it.
 */
#include "pbtree_private.h"

#include <stdio.h>

typedef struct walk {
    const pbtree *t;
    const void *prev; /* last element seen, for the order check */
    size_t seen;      /* elements seen so far */
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

/* A failure that names a slot rather than comparing two numbers. */
static int fail_at(walk *w, unsigned depth, const char *what, unsigned slot)
{
    snprintf(w->err, w->errlen, "depth %u, after %zu elements: %s %u", depth,
             w->seen, what, slot);
    return -1;
}

/* Check the subtree nd at depth (0 = root); *count receives its size.
 * first and last say whether nd is the first or last node of its level. */
static int check_node(walk *w, const pbtree_node *nd, unsigned depth,
                      bool first, bool last, size_t *count)
{
    const pbtree *t = w->t;
    if (nd->refs < 1)
        return fail(w, depth, "reference count below 1", nd->refs, 1);
    if (t->edit != 0 && nd->edit == t->edit && nd->refs != 1)
        return fail(w, depth, "node the transient owns is shared", nd->refs,
                    1);
    if (nd->n > PBTREE_SLOTS)
        return fail(w, depth, "more slots than a node has", nd->n,
                    PBTREE_SLOTS);
    unsigned least = depth == 0     ? (nd->leaf ? 1u : 2u)
                     : first || last ? 1u
                                     : PBTREE_MIN;
    if (nd->n < least)
        return fail(w, depth, "node under its fill factor", nd->n, least);
    if ((depth + 1 == t->height) != (nd->leaf != 0))
        return fail(w, depth, "leaf depth differs from the height",
                    depth + 1, t->height);
    if (nd->leaf) {
        const pbtree_leaf *lf = (const pbtree_leaf *)nd;
        for (unsigned i = 0; i < nd->n; i++) {
            if (t->ops.compare != NULL && w->seen > 0 &&
                t->ops.compare(w->prev, lf->elems[i]) >= 0)
                return fail_at(w, depth, "elements out of order at slot", i);
            w->prev = lf->elems[i];
            w->seen++;
        }
        *count = nd->n;
        return 0;
    }
    const pbtree_inner *in = (const pbtree_inner *)nd;
    size_t total = 0;
    for (unsigned i = 0; i < nd->n; i++) {
        size_t c = 0;
        if (in->kids[i] == NULL)
            return fail_at(w, depth, "NULL child at slot", i);
        if (check_node(w, in->kids[i], depth + 1, first && i == 0,
                       last && i + 1u == nd->n, &c) != 0)
            return -1;
        if (c != in->counts[i])
            return fail(w, depth, "child count differs from the subtree",
                        in->counts[i], c);
        if (in->mins[i] != pbtree_node_first(in->kids[i]))
            return fail_at(w, depth, "first-element pointer wrong at slot", i);
        total += c;
    }
    *count = total;
    return 0;
}

int pbtree_check(const pbtree *t, char *err, size_t errlen)
{
    walk w = { t, NULL, 0, err, errlen };
    if (t->refs < 1)
        return fail(&w, 0, "version reference count below 1", t->refs, 1);
    if (t->root == NULL) {
        if (t->len != 0 || t->height != 0)
            return fail(&w, 0, "empty tree with a length or height", t->len,
                        0);
        return 0;
    }
    if (t->height == 0 || t->height > PBTREE_MAX_HEIGHT)
        return fail(&w, 0, "height out of range", t->height,
                    PBTREE_MAX_HEIGHT);
    size_t c = 0;
    if (check_node(&w, t->root, 0, true, true, &c) != 0)
        return -1;
    if (c != t->len)
        return fail(&w, 0, "length differs from the elements", t->len, c);
    return 0;
}
