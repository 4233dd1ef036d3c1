/* pbtree_edit.c - one-element edits of the B+tree, failure-atomic.
 * Chapter 8.
 *
 * Every one-element edit runs in three steps.  First it walks
 * down without changing anything and records the path, and from what it
 * sees (which nodes on the path the edit owns, which are full, which
 * siblings a delete will borrow from) it counts exactly the nodes it will
 * allocate.  Second it allocates them all; if one allocation fails it
 * frees the others and returns -1, and nothing has been touched.  Third it
 * makes the path writable top-down (a node the edit owns is kept, any
 * other is copied and the copy put in its parent) and changes the tree
 * bottom-up, splitting full nodes on the way up for an insert, merging or
 * borrowing for a delete, and refreshing each parent's count and first
 * element.  That third step cannot fail, which is what makes failure
 * atomic for versions and transients alike.
 */
#include "pbtree_private.h"

#include <errno.h>
#include <stdlib.h>

/* ---- insert ------------------------------------------------------------- */

/* How many of the PBTREE_SLOTS + 1 slots a full node splits into stay on
 * the left.  An insert in the middle splits evenly (17 and 16), so that
 * both halves have room to grow.  An insert at the very end of the tree
 * (RPUSH, or loading an RDB list) keeps the left node full and starts a
 * right node with the one new slot: appends will fill that node next, and
 * nothing will ever be inserted into the full one again, so a node that
 * is left behind is full and n appends make ceil(n / 32) leaves.  An
 * insert at the very front (LPUSH) does the mirror image.  The one-slot
 * node is on the tree's edge, where pbtree.h allows fewer than
 * PBTREE_MIN slots. */
static unsigned split_left(const pbtree *t, size_t i, unsigned pos)
{
    if (i == t->len)
        return PBTREE_SLOTS;
    if (i == 0)
        return 1;
    return pos <= PBTREE_MIN ? PBTREE_MIN + 1 : PBTREE_MIN;
}

/* Split the full node nd for a new slot at pos, keeping `left` of the
 * PBTREE_SLOTS + 1 slots in nd and moving the others to right.  The node
 * and position the new slot goes to are returned through *into and *at
 * (the slot is not opened yet). */
static void split(pbtree_node *nd, pbtree_node *right, unsigned left,
                  unsigned pos, pbtree_node **into, unsigned *at)
{
    unsigned keep = pos < left ? left - 1 : left; /* old slots nd keeps */
    unsigned k = nd->n - keep;
    pbtree_slots_move(right, 0, nd, keep, k);
    right->n = (uint16_t)k;
    nd->n = (uint16_t)keep;
    *into = pos < left ? nd : right;
    *at = pos < left ? pos : pos - keep;
}

static int insert_at(pbtree *t, size_t i, void *elem)
{
    pbtree_pool pl;
    if (t->root == NULL) {
        if (pbtree_pool_fill(&pl, 1, 0) != 0)
            return -1;
        pbtree_node *lf = pbtree_pool_take(&pl, t, true);
        pbtree_as_leaf(lf)->elems[0] = elem;
        lf->n = 1;
        pbtree_el_retain(t, elem);
        t->root = lf;
        t->height = 1;
        t->len = 1;
        return 0;
    }
    pbtree_path p;
    pbtree_path_to(t, i, &p);
    unsigned need[2] = { 0, 0 };
    pbtree_count_copies(t, &p, need);
    int d = (int)p.h - 1; /* full nodes from the leaf up split */
    while (d >= 0 && p.nd[d]->n == PBTREE_SLOTS)
        need[p.nd[d--]->leaf]++;
    if (d < 0)
        need[0]++; /* a new root */
    if (pbtree_pool_fill(&pl, need[1], need[0]) != 0)
        return -1;

    /* Nothing below can fail. */
    pbtree_make_writable(t, &p, &pl);
    pbtree_el_retain(t, elem);
    pbtree_node *nd = p.nd[p.h - 1], *right = NULL, *into = nd;
    unsigned pos = p.idx[p.h - 1];
    if (nd->n == PBTREE_SLOTS) {
        right = pbtree_pool_take(&pl, t, true);
        split(nd, right, split_left(t, i, pos), pos, &into, &pos);
    }
    pbtree_open_slot(into, pos);
    pbtree_as_leaf(into)->elems[pos] = elem;

    for (d = (int)p.h - 2; d >= 0; d--) {
        pbtree_inner *pa = pbtree_as_inner(p.nd[d]);
        unsigned k = p.idx[d];
        if (right == NULL) {
            pa->counts[k]++;
            pbtree_refresh_min(t, pa, k);
            continue;
        }
        /* The child split: fix its slot, then add the new right half. */
        pa->counts[k] = pbtree_node_count(pa->kids[k]);
        pbtree_refresh_min(t, pa, k);
        pbtree_node *half = right, *pnode = &pa->h;
        right = NULL;
        pos = k + 1;
        if (pnode->n == PBTREE_SLOTS) {
            right = pbtree_pool_take(&pl, t, false);
            split(pnode, right, split_left(t, i, pos), pos, &pnode, &pos);
        }
        pbtree_open_slot(pnode, pos);
        pbtree_set_inner_slot(t, pbtree_as_inner(pnode), pos, half);
    }
    if (right != NULL) { /* the root split: grow a level */
        pbtree_node *root = pbtree_pool_take(&pl, t, false);
        root->n = 2;
        pbtree_set_inner_slot(t, pbtree_as_inner(root), 0, t->root);
        pbtree_set_inner_slot(t, pbtree_as_inner(root), 1, right);
        t->root = root;
        t->height++;
    }
    t->len++;
    pbtree_pool_free(&pl); /* empty: the plan was exact */
    return 0;
}


/* ---- delete ------------------------------------------------------------- */

/* Which nodes of a path are on the tree's left or right edge (the first
 * or last node of their level): those may hold fewer than PBTREE_MIN
 * slots (see pbtree.h).  The root counts as an edge. */
static void path_edges(const pbtree_path *p, bool edge[PBTREE_MAX_HEIGHT])
{
    bool first = true, last = true;
    for (unsigned d = 0; d < p->h; d++) {
        edge[d] = first || last;
        first = first && p->idx[d] == 0;
        last = last && p->idx[d] + 1u == p->nd[d]->n;
    }
}

/* Whether a node below the root, left with n slots, must be fixed: one on
 * an edge only when it is empty, any other below PBTREE_MIN. */
static bool needs_fix(bool edge, unsigned n)
{
    return n == 0 || (!edge && n < PBTREE_MIN);
}

/* Fix child k of pa, which needs_fix().  Returns the slot the child is at
 * afterwards. */
static unsigned fix_underflow(pbtree *t, pbtree_pool *pl, pbtree_inner *pa,
                              unsigned k)
{
    pbtree_node *nd = pa->kids[k];
    if (pa->h.n == 1) { /* an empty only child goes; pa's parent fixes pa */
        pbtree_el_release(&t->ops, pa->mins[0]);
        pbtree_node_release(&t->ops, nd);
        pa->h.n = 0;
        return 0;
    }
    unsigned sk = pbtree_sibling_of(&pa->h, k);
    pbtree_node *s = pa->kids[sk];
    if (s->n > PBTREE_MIN) { /* borrow one slot */
        if (!pbtree_owned(t, s))
            s = pbtree_copy_into(t, pl, s, pa, sk);
        if (sk < k) {
            pbtree_open_slot(nd, 0);
            pbtree_slots_move(nd, 0, s, s->n - 1u, 1);
            s->n--;
        } else {
            pbtree_slots_move(nd, nd->n, s, 0, 1);
            nd->n++;
            pbtree_slots_move(s, 0, s, 1, s->n - 1u);
            s->n--;
        }
        pa->counts[k] = pbtree_node_count(nd);
        pa->counts[sk] = pbtree_node_count(s);
        pbtree_refresh_min(t, pa, k);
        pbtree_refresh_min(t, pa, sk);
        return k;
    }
    /* Merge the sibling into nd (nd is writable, s need not be). */
    pbtree_slots_retain(t, s, 0, s->n);
    if (sk < k) {
        pbtree_slots_move(nd, s->n, nd, 0, nd->n);
        pbtree_slots_move(nd, 0, s, 0, s->n);
    } else {
        pbtree_slots_move(nd, nd->n, s, 0, s->n);
    }
    nd->n = (uint16_t)(nd->n + s->n);
    pbtree_el_release(&t->ops, pa->mins[sk]);
    pbtree_node_release(&t->ops, s);
    pbtree_slots_move(&pa->h, sk, &pa->h, sk + 1, pa->h.n - sk - 1u);
    pa->h.n--;
    if (sk < k)
        k--;
    pa->counts[k] = pbtree_node_count(nd);
    pbtree_refresh_min(t, pa, k);
    return k;
}

static int delete_at(pbtree *t, size_t i)
{
    pbtree_path p;
    pbtree_path_to(t, i, &p);
    unsigned need[2] = { 0, 0 };
    pbtree_count_copies(t, &p, need);
    /* Walk up as the fix-up will: a node that needs_fix() borrows from a
     * sibling that can spare a slot (copying it unless owned), or merges
     * with it (or, an empty only child, goes), and then its parent has
     * lost a child. */
    bool edge[PBTREE_MAX_HEIGHT];
    path_edges(&p, edge);
    unsigned left = p.nd[p.h - 1]->n - 1u;
    for (unsigned d = p.h - 1; d > 0 && needs_fix(edge[d], left); d--) {
        pbtree_node *pa = p.nd[d - 1];
        unsigned sk = pbtree_sibling_of(pa, p.idx[d - 1]);
        pbtree_node *s = pbtree_as_inner(pa)->kids[sk];
        if (pa->n > 1 && s->n > PBTREE_MIN) {
            if (!pbtree_owned(t, s))
                need[s->leaf]++;
            break;
        }
        left = pa->n - 1u;
    }
    pbtree_pool pl;
    if (pbtree_pool_fill(&pl, need[1], need[0]) != 0)
        return -1;

    pbtree_make_writable(t, &p, &pl);
    pbtree_node *lf = p.nd[p.h - 1];
    unsigned pos = p.idx[p.h - 1];
    pbtree_el_release(&t->ops, pbtree_as_leaf(lf)->elems[pos]);
    pbtree_slots_move(lf, pos, lf, pos + 1, lf->n - pos - 1u);
    lf->n--;
    for (int d = (int)p.h - 2; d >= 0; d--) {
        pbtree_inner *pa = pbtree_as_inner(p.nd[d]);
        unsigned k = p.idx[d];
        if (needs_fix(edge[d + 1], p.nd[d + 1]->n)) {
            p.idx[d] = fix_underflow(t, &pl, pa, k);
        } else {
            pa->counts[k]--;
            pbtree_refresh_min(t, pa, k);
        }
    }
    pbtree_node *root = t->root;
    if (root->n == 0) { /* the last element went */
        pbtree_node_release(&t->ops, root);
        t->root = NULL;
        t->height = 0;
    } else if (!root->leaf && root->n == 1) { /* shrink a level */
        t->root = pbtree_as_inner(root)->kids[0];
        t->root->refs++;
        pbtree_node_release(&t->ops, root);
        t->height--;
    }
    t->len--;
    pbtree_pool_free(&pl);
    return 0;
}

/* ---- set ---------------------------------------------------------------- */

static int set_at(pbtree *t, size_t i, void *elem)
{
    pbtree_path p;
    pbtree_path_to(t, i, &p);
    unsigned need[2] = { 0, 0 };
    pbtree_count_copies(t, &p, need);
    pbtree_pool pl;
    if (pbtree_pool_fill(&pl, need[1], need[0]) != 0)
        return -1;
    pbtree_make_writable(t, &p, &pl);
    pbtree_leaf *lf = pbtree_as_leaf(p.nd[p.h - 1]);
    pbtree_el_retain(t, elem);
    pbtree_el_release(&t->ops, lf->elems[p.idx[p.h - 1]]);
    lf->elems[p.idx[p.h - 1]] = elem;
    for (int d = (int)p.h - 2; d >= 0; d--)
        pbtree_refresh_min(t, pbtree_as_inner(p.nd[d]), p.idx[d]);
    return 0;
}


/* ---- the public edits --------------------------------------------------- */

typedef int edit_fn(pbtree *w, size_t i, void *elem);

static int del_fn(pbtree *w, size_t i, void *elem)
{
    (void)elem;
    return delete_at(w, i);
}

/* Run one positional edit on t (see pbtree.h for *out). */
static int run_edit(pbtree *t, edit_fn *fn, size_t i, void *elem,
                    pbtree **out)
{
    pbtree *w = pbtree_writer_begin(t);
    if (w == NULL)
        return -1;
    if (fn(w, i, elem) != 0) {
        pbtree_writer_abort(t, w);
        errno = ENOMEM;
        return -1;
    }
    *out = pbtree_writer_end(t, w);
    return 0;
}

int pbtree_insert(pbtree *t, size_t i, void *elem, pbtree **out)
{
    if (i > t->len) {
        errno = EINVAL;
        return -1;
    }
    return run_edit(t, insert_at, i, elem, out);
}

int pbtree_push_front(pbtree *t, void *elem, pbtree **out)
{
    return pbtree_insert(t, 0, elem, out);
}

int pbtree_push_back(pbtree *t, void *elem, pbtree **out)
{
    return pbtree_insert(t, t->len, elem, out);
}

int pbtree_set(pbtree *t, size_t i, void *elem, pbtree **out)
{
    if (i >= t->len) {
        errno = EINVAL;
        return -1;
    }
    return run_edit(t, set_at, i, elem, out);
}

int pbtree_delete(pbtree *t, size_t i, pbtree **out)
{
    if (i >= t->len) {
        errno = EINVAL;
        return -1;
    }
    return run_edit(t, del_fn, i, NULL, out);
}


int pbtree_add(pbtree *t, void *elem, bool replace, pbtree **out)
{
    if (t->ops.compare == NULL) {
        errno = EINVAL;
        return -1;
    }
    bool eq;
    size_t r = pbtree_rank(t, elem, &eq);
    if (eq && !replace) {
        *out = pbtree_unchanged(t);
        return 0;
    }
    if (run_edit(t, eq ? set_at : insert_at, r, elem, out) != 0)
        return -1;
    return eq ? 0 : 1;
}

int pbtree_remove(pbtree *t, const void *key, pbtree **out)
{
    if (t->ops.compare == NULL) {
        errno = EINVAL;
        return -1;
    }
    bool eq;
    size_t r = pbtree_rank(t, key, &eq);
    if (!eq) {
        *out = pbtree_unchanged(t);
        return 0;
    }
    if (run_edit(t, del_fn, r, NULL, out) != 0)
        return -1;
    return 1;
}

