/* pbtree.c - the persistent B+tree: versions, reads, edits, iterators.
 * Chapter 8.
 *
 * Every one-element edit runs in three steps.  First it walks down without
 * changing anything and records the path, and from what it sees (which
 * nodes on the path the edit owns, which are full, which siblings a
 * delete will borrow from) it counts exactly the nodes it will allocate.
 * Second it allocates them all; if one allocation fails it frees the
 * others and returns -1, and nothing has been touched.  Third it makes
 * the path writable top-down (a node the edit owns is kept, any other is
 * copied and the copy put in its parent) and changes the tree bottom-up,
 * splitting full nodes on the way up for an insert, merging or borrowing
 * for a delete, and refreshing each parent's count and first element.
 * That third step cannot fail, which is what makes failure atomic for
 * versions and transients alike.
 *
 * A range delete is the exception: it cannot know its allocations before
 * it starts, so it works on a private fork instead (see below).
 *
 * An edit of a version is an edit of a one-edit transient: a new header
 * with a fresh token shares the old root, the edit copies the path under
 * that token, and the header is frozen before it is returned.
 */
#include "pbtree_private.h"
#include "alloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Tokens never repeat, so a frozen node is never taken for a transient's.
 * relaxed: the counter only has to hand out distinct numbers; nothing
 * else is published through it. */
static atomic_uint_fast64_t next_token = 1;

static uint64_t new_token(void)
{
    return atomic_fetch_add_explicit(&next_token, 1, memory_order_relaxed);
}

/* ---- elements and nodes ------------------------------------------------- */

static void el_retain(const pbtree *t, void *e)
{
    if (t->ops.retain != NULL)
        t->ops.retain(e);
}

static void el_release(const pbtree_ops *ops, void *e)
{
    if (ops->release != NULL)
        ops->release(e);
}

static size_t node_size(bool leaf)
{
    return leaf ? sizeof(pbtree_leaf) : sizeof(pbtree_inner);
}

/* Drop one reference; the last frees the node and drops what it holds. */
static void node_release(const pbtree_ops *ops, pbtree_node *nd)
{
    if (--nd->refs > 0)
        return;
    if (nd->leaf) {
        pbtree_leaf *lf = pbtree_as_leaf(nd);
        for (unsigned i = 0; i < nd->n; i++)
            el_release(ops, lf->elems[i]);
    } else {
        pbtree_inner *in = pbtree_as_inner(nd);
        for (unsigned i = 0; i < nd->n; i++) {
            el_release(ops, in->mins[i]);
            node_release(ops, in->kids[i]);
        }
    }
    free(nd);
}

/* Retain what slots [from, to) of a node hold (they are being copied). */
static void slots_retain(const pbtree *t, pbtree_node *nd, unsigned from,
                         unsigned to)
{
    if (nd->leaf) {
        for (unsigned i = from; i < to; i++)
            el_retain(t, pbtree_as_leaf(nd)->elems[i]);
    } else {
        pbtree_inner *in = pbtree_as_inner(nd);
        for (unsigned i = from; i < to; i++) {
            el_retain(t, in->mins[i]);
            in->kids[i]->refs++;
        }
    }
}

static size_t node_count(const pbtree_node *nd)
{
    if (nd->leaf)
        return nd->n;
    const pbtree_inner *in = (const pbtree_inner *)nd;
    size_t c = 0;
    for (unsigned i = 0; i < nd->n; i++)
        c += in->counts[i];
    return c;
}

/* Move slots: dst[di..di+k) = src[si..si+k), no reference changes. */
static void slots_move(pbtree_node *dst, unsigned di, pbtree_node *src,
                       unsigned si, unsigned k)
{
    if (dst->leaf) {
        memmove(&pbtree_as_leaf(dst)->elems[di], &pbtree_as_leaf(src)->elems[si],
                k * sizeof(void *));
    } else {
        pbtree_inner *d = pbtree_as_inner(dst), *s = pbtree_as_inner(src);
        memmove(&d->counts[di], &s->counts[si], k * sizeof(size_t));
        memmove(&d->mins[di], &s->mins[si], k * sizeof(void *));
        memmove(&d->kids[di], &s->kids[si], k * sizeof(pbtree_node *));
    }
}

/* Set parent slot k's first element to its child's first. */
static void refresh_min(pbtree *t, pbtree_inner *pa, unsigned k)
{
    void *m = pbtree_node_first(pa->kids[k]);
    if (m != pa->mins[k]) {
        el_retain(t, m);
        el_release(&t->ops, pa->mins[k]);
        pa->mins[k] = m;
    }
}

/* ---- the allocation plan ------------------------------------------------ */

/* Most nodes one edit allocates: a copy and a split per level, a new root,
 * a borrowed sibling per level. */
#define POOL_MAX (3 * PBTREE_MAX_HEIGHT + 2)

typedef struct pool {
    pbtree_node *nodes[2][POOL_MAX]; /* [leaf] */
    unsigned n[2];
} pool;

static void pool_free(pool *p)
{
    for (int k = 0; k < 2; k++)
        while (p->n[k] > 0)
            free(p->nodes[k][--p->n[k]]);
}

/* Allocate nleaf leaves and ninner internal nodes, all or none. */
static int pool_fill(pool *p, unsigned nleaf, unsigned ninner)
{
    unsigned want[2] = { ninner, nleaf };
    p->n[0] = p->n[1] = 0;
    for (int k = 0; k < 2; k++)
        while (p->n[k] < want[k]) {
            pbtree_node *nd = xmalloc(node_size(k == 1));
            if (nd == NULL) {
                pool_free(p);
                errno = ENOMEM;
                return -1;
            }
            p->nodes[k][p->n[k]++] = nd;
        }
    return 0;
}

static pbtree_node *pool_take(pool *p, const pbtree *t, bool leaf)
{
    pbtree_node *nd = p->nodes[leaf][--p->n[leaf]];
    nd->edit = t->edit;
    nd->refs = 1;
    nd->n = 0;
    nd->leaf = leaf;
    return nd;
}

/* ---- paths -------------------------------------------------------------- */

typedef struct path {
    pbtree_node *nd[PBTREE_MAX_HEIGHT];
    unsigned idx[PBTREE_MAX_HEIGHT]; /* slot taken at each level */
    unsigned h;
} path;

/* The path to position i (for an insert, i may be the length: the end of
 * the last leaf).  A position on a boundary goes to the later child. */
static void path_to(const pbtree *t, size_t i, path *p)
{
    pbtree_node *nd = t->root;
    unsigned d = 0;
    while (!nd->leaf) {
        pbtree_inner *in = pbtree_as_inner(nd);
        unsigned k = 0;
        while (k + 1 < nd->n && i >= in->counts[k])
            i -= in->counts[k++];
        p->nd[d] = nd;
        p->idx[d++] = k;
        nd = in->kids[k];
    }
    p->nd[d] = nd;
    p->idx[d] = (unsigned)i;
    p->h = d + 1;
}

static bool owned(const pbtree *t, const pbtree_node *nd)
{
    return nd->edit == t->edit;
}

/* Count the copies making the path writable needs, by kind. */
static void count_copies(const pbtree *t, const path *p, unsigned need[2])
{
    for (unsigned d = 0; d < p->h; d++)
        if (!owned(t, p->nd[d]))
            need[p->nd[d]->leaf]++;
}

/* Put a writable copy of nd where the parent (or the root) points. */
static pbtree_node *copy_into(pbtree *t, pool *pl, pbtree_node *nd,
                              pbtree_inner *pa, unsigned k)
{
    pbtree_node *c = pool_take(pl, t, nd->leaf);
    memcpy((char *)c + sizeof *c, (char *)nd + sizeof *nd,
           node_size(nd->leaf) - sizeof *nd);
    c->n = nd->n;
    slots_retain(t, c, 0, c->n);
    if (pa == NULL)
        t->root = c;
    else
        pa->kids[k] = c;
    node_release(&t->ops, nd); /* the reference the slot held */
    return c;
}

static void make_writable(pbtree *t, path *p, pool *pl)
{
    for (unsigned d = 0; d < p->h; d++)
        if (!owned(t, p->nd[d]))
            p->nd[d] = copy_into(t, pl, p->nd[d],
                                 d == 0 ? NULL : pbtree_as_inner(p->nd[d - 1]),
                                 d == 0 ? 0 : p->idx[d - 1]);
}

/* ---- versions ----------------------------------------------------------- */

pbtree *pbtree_new(const pbtree_ops *ops)
{
    pbtree *t = xcalloc(1, sizeof *t);
    if (t == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    t->ops = *ops;
    t->refs = 1;
    return t;
}

pbtree *pbtree_retain(pbtree *t)
{
    t->refs++;
    return t;
}

void pbtree_release(pbtree *t)
{
    if (t == NULL || --t->refs > 0)
        return;
    if (t->root != NULL)
        node_release(&t->ops, t->root);
    free(t);
}

size_t pbtree_len(const pbtree *t)
{
    return t->len;
}

unsigned pbtree_height(const pbtree *t)
{
    return t->height;
}

bool pbtree_is_transient(const pbtree *t)
{
    return t->edit != 0;
}

/* A new header sharing t's root, under a fresh token. */
static pbtree *header_fork(pbtree *t)
{
    pbtree *w = xmalloc(sizeof *w);
    if (w == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    *w = *t;
    w->refs = 1;
    w->edit = new_token();
    if (w->root != NULL)
        w->root->refs++;
    return w;
}

pbtree *pbtree_edit_begin(pbtree *t)
{
    if (t->edit != 0) { /* two transients would share nodes one owns */
        errno = EINVAL;
        return NULL;
    }
    return header_fork(t);
}

pbtree *pbtree_edit_end(pbtree *t)
{
    t->edit = 0;
    return t;
}

/* What an edit works on: t itself when it is a transient, else a fork. */
static pbtree *writer_begin(pbtree *t)
{
    return t->edit != 0 ? t : header_fork(t);
}

/* Undo writer_begin() after a failed edit (which changed nothing). */
static void writer_abort(pbtree *t, pbtree *w)
{
    if (w != t)
        pbtree_release(w);
}

static pbtree *writer_end(pbtree *t, pbtree *w)
{
    if (w != t)
        w->edit = 0;
    return w;
}

/* The result of an edit that changed nothing. */
static pbtree *unchanged(pbtree *t)
{
    return t->edit != 0 ? t : pbtree_retain(t);
}

/* ---- reading ------------------------------------------------------------ */

void *pbtree_get(const pbtree *t, size_t i)
{
    if (i >= t->len)
        return NULL;
    path p;
    path_to(t, i, &p);
    return pbtree_as_leaf(p.nd[p.h - 1])->elems[p.idx[p.h - 1]];
}

static size_t node_bytes(const pbtree *t, const pbtree_node *nd)
{
    size_t b = node_size(nd->leaf);
    for (unsigned i = 0; i < nd->n; i++)
        b += nd->leaf ? (t->ops.size != NULL
                             ? t->ops.size(((const pbtree_leaf *)nd)->elems[i])
                             : 0)
                      : node_bytes(t, ((const pbtree_inner *)nd)->kids[i]);
    return b;
}

size_t pbtree_bytes(const pbtree *t)
{
    return sizeof *t + (t->root != NULL ? node_bytes(t, t->root) : 0);
}

size_t pbtree_rank(const pbtree *t, const void *key, bool *equal)
{
    const pbtree_node *nd = t->root;
    size_t rank = 0;
    const void *next = NULL; /* first element after the current subtree */
    if (equal != NULL)
        *equal = false;
    if (nd == NULL)
        return 0;
    while (!nd->leaf) {
        const pbtree_inner *in = (const pbtree_inner *)nd;
        /* The last child whose first element is < key holds the answer,
         * or the answer is the next child's first element. */
        unsigned lo = 0, hi = nd->n; /* children [lo, hi) unknown */
        while (lo < hi) {
            unsigned mid = (lo + hi) / 2;
            if (t->ops.compare(in->mins[mid], key) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        unsigned k = lo > 0 ? lo - 1 : 0;
        for (unsigned j = 0; j < k; j++)
            rank += in->counts[j];
        if (k + 1 < nd->n)
            next = in->mins[k + 1];
        nd = in->kids[k];
    }
    const pbtree_leaf *lf = (const pbtree_leaf *)nd;
    unsigned lo = 0, hi = nd->n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if (t->ops.compare(lf->elems[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    const void *at = lo < nd->n ? lf->elems[lo] : next;
    if (equal != NULL && at != NULL)
        *equal = t->ops.compare(at, key) == 0;
    return rank + lo;
}

/* ---- insert ------------------------------------------------------------- */

/* Split a full node: nd keeps the first PBTREE_MIN slots, right the rest. */
static void split(pbtree_node *nd, pbtree_node *right)
{
    unsigned k = nd->n - PBTREE_MIN;
    slots_move(right, 0, nd, PBTREE_MIN, k);
    right->n = (uint16_t)k;
    nd->n = PBTREE_MIN;
}

/* Open slot pos of a node that has room. */
static void open_slot(pbtree_node *nd, unsigned pos)
{
    slots_move(nd, pos + 1, nd, pos, nd->n - pos);
    nd->n++;
}

static void set_inner_slot(pbtree *t, pbtree_inner *in, unsigned pos,
                           pbtree_node *kid)
{
    in->kids[pos] = kid;
    in->counts[pos] = node_count(kid);
    in->mins[pos] = pbtree_node_first(kid);
    el_retain(t, in->mins[pos]);
}

static int insert_at(pbtree *t, size_t i, void *elem)
{
    pool pl;
    if (t->root == NULL) {
        if (pool_fill(&pl, 1, 0) != 0)
            return -1;
        pbtree_node *lf = pool_take(&pl, t, true);
        pbtree_as_leaf(lf)->elems[0] = elem;
        lf->n = 1;
        el_retain(t, elem);
        t->root = lf;
        t->height = 1;
        t->len = 1;
        return 0;
    }
    path p;
    path_to(t, i, &p);
    unsigned need[2] = { 0, 0 };
    count_copies(t, &p, need);
    int d = (int)p.h - 1; /* full nodes from the leaf up split */
    while (d >= 0 && p.nd[d]->n == PBTREE_SLOTS)
        need[p.nd[d--]->leaf]++;
    if (d < 0)
        need[0]++; /* a new root */
    if (pool_fill(&pl, need[1], need[0]) != 0)
        return -1;

    /* Nothing below can fail. */
    make_writable(t, &p, &pl);
    el_retain(t, elem);
    pbtree_node *nd = p.nd[p.h - 1], *right = NULL;
    unsigned pos = p.idx[p.h - 1];
    if (nd->n == PBTREE_SLOTS) {
        right = pool_take(&pl, t, true);
        split(nd, right);
    }
    pbtree_node *into = right != NULL && pos > nd->n ? right : nd;
    pos -= into == right ? nd->n : 0;
    open_slot(into, pos);
    pbtree_as_leaf(into)->elems[pos] = elem;

    for (d = (int)p.h - 2; d >= 0; d--) {
        pbtree_inner *pa = pbtree_as_inner(p.nd[d]);
        unsigned k = p.idx[d];
        if (right == NULL) {
            pa->counts[k]++;
            refresh_min(t, pa, k);
            continue;
        }
        /* The child split: fix its slot, then add the new right half. */
        pa->counts[k] = node_count(pa->kids[k]);
        refresh_min(t, pa, k);
        pbtree_node *half = right, *pnode = &pa->h;
        right = NULL;
        pos = k + 1;
        if (pnode->n == PBTREE_SLOTS) {
            right = pool_take(&pl, t, false);
            split(pnode, right);
            if (pos > pnode->n) {
                pos -= pnode->n;
                pnode = right;
            }
        }
        open_slot(pnode, pos);
        set_inner_slot(t, pbtree_as_inner(pnode), pos, half);
    }
    if (right != NULL) { /* the root split: grow a level */
        pbtree_node *root = pool_take(&pl, t, false);
        root->n = 2;
        set_inner_slot(t, pbtree_as_inner(root), 0, t->root);
        set_inner_slot(t, pbtree_as_inner(root), 1, right);
        t->root = root;
        t->height++;
    }
    t->len++;
    pool_free(&pl); /* empty: the plan was exact */
    return 0;
}

/* ---- delete ------------------------------------------------------------- */

/* The sibling a node at slot k of pa merges with or borrows from. */
static unsigned sibling_of(const pbtree_node *pa, unsigned k)
{
    return k > 0 ? k - 1 : (pa->n > 1 ? k + 1 : k);
}

/* Fix child k of pa, which has fewer than PBTREE_MIN slots.  Returns the
 * slot the child is at afterwards. */
static unsigned fix_underflow(pbtree *t, pool *pl, pbtree_inner *pa,
                              unsigned k)
{
    pbtree_node *nd = pa->kids[k];
    unsigned sk = sibling_of(&pa->h, k);
    pbtree_node *s = pa->kids[sk];
    if (s->n > PBTREE_MIN) { /* borrow one slot */
        if (!owned(t, s))
            s = copy_into(t, pl, s, pa, sk);
        if (sk < k) {
            open_slot(nd, 0);
            slots_move(nd, 0, s, s->n - 1u, 1);
            s->n--;
        } else {
            slots_move(nd, nd->n, s, 0, 1);
            nd->n++;
            slots_move(s, 0, s, 1, s->n - 1u);
            s->n--;
        }
        pa->counts[k] = node_count(nd);
        pa->counts[sk] = node_count(s);
        refresh_min(t, pa, k);
        refresh_min(t, pa, sk);
        return k;
    }
    /* Merge the sibling into nd (nd is writable, s need not be). */
    slots_retain(t, s, 0, s->n);
    if (sk < k) {
        slots_move(nd, s->n, nd, 0, nd->n);
        slots_move(nd, 0, s, 0, s->n);
    } else {
        slots_move(nd, nd->n, s, 0, s->n);
    }
    nd->n = (uint16_t)(nd->n + s->n);
    el_release(&t->ops, pa->mins[sk]);
    node_release(&t->ops, s);
    slots_move(&pa->h, sk, &pa->h, sk + 1, pa->h.n - sk - 1u);
    pa->h.n--;
    if (sk < k)
        k--;
    pa->counts[k] = node_count(nd);
    refresh_min(t, pa, k);
    return k;
}

static int delete_at(pbtree *t, size_t i)
{
    path p;
    path_to(t, i, &p);
    unsigned need[2] = { 0, 0 };
    count_copies(t, &p, need);
    /* Walk up as the fix-up will: a node left under PBTREE_MIN borrows
     * from a sibling that can spare a slot (copying it unless owned), or
     * merges with it, and then its parent has lost a child. */
    unsigned left = p.nd[p.h - 1]->n - 1u;
    for (unsigned d = p.h - 1; d > 0 && left < PBTREE_MIN; d--) {
        pbtree_node *pa = p.nd[d - 1];
        pbtree_node *s = pbtree_as_inner(pa)->kids[sibling_of(pa, p.idx[d - 1])];
        if (s->n > PBTREE_MIN) {
            if (!owned(t, s))
                need[s->leaf]++;
            break;
        }
        left = pa->n - 1u;
    }
    pool pl;
    if (pool_fill(&pl, need[1], need[0]) != 0)
        return -1;

    make_writable(t, &p, &pl);
    pbtree_node *lf = p.nd[p.h - 1];
    unsigned pos = p.idx[p.h - 1];
    el_release(&t->ops, pbtree_as_leaf(lf)->elems[pos]);
    slots_move(lf, pos, lf, pos + 1, lf->n - pos - 1u);
    lf->n--;
    for (int d = (int)p.h - 2; d >= 0; d--) {
        pbtree_inner *pa = pbtree_as_inner(p.nd[d]);
        unsigned k = p.idx[d];
        if (p.nd[d + 1]->n < PBTREE_MIN) {
            p.idx[d] = fix_underflow(t, &pl, pa, k);
        } else {
            pa->counts[k]--;
            refresh_min(t, pa, k);
        }
    }
    pbtree_node *root = t->root;
    if (root->n == 0) { /* the last element went */
        node_release(&t->ops, root);
        t->root = NULL;
        t->height = 0;
    } else if (!root->leaf && root->n == 1) { /* shrink a level */
        t->root = pbtree_as_inner(root)->kids[0];
        t->root->refs++;
        node_release(&t->ops, root);
        t->height--;
    }
    t->len--;
    pool_free(&pl);
    return 0;
}

/* ---- set ---------------------------------------------------------------- */

static int set_at(pbtree *t, size_t i, void *elem)
{
    path p;
    path_to(t, i, &p);
    unsigned need[2] = { 0, 0 };
    count_copies(t, &p, need);
    pool pl;
    if (pool_fill(&pl, need[1], need[0]) != 0)
        return -1;
    make_writable(t, &p, &pl);
    pbtree_leaf *lf = pbtree_as_leaf(p.nd[p.h - 1]);
    el_retain(t, elem);
    el_release(&t->ops, lf->elems[p.idx[p.h - 1]]);
    lf->elems[p.idx[p.h - 1]] = elem;
    for (int d = (int)p.h - 2; d >= 0; d--)
        refresh_min(t, pbtree_as_inner(p.nd[d]), p.idx[d]);
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
    pbtree *w = writer_begin(t);
    if (w == NULL)
        return -1;
    if (fn(w, i, elem) != 0) {
        writer_abort(t, w);
        errno = ENOMEM;
        return -1;
    }
    *out = writer_end(t, w);
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

/* ---- range delete ------------------------------------------------------
 *
 * A range delete works on a fork of the tree, so it may allocate as it
 * goes: if an allocation fails, releasing the fork undoes everything.  It
 * runs in two passes.  The cut drops every child entirely inside the range
 * (one release each, whatever its size) and trims the at most two
 * children at each level that the range's ends fall in.  That leaves
 * every count and first element right, but nodes on the two boundary
 * paths (to the last element before the range and the first after it)
 * may be under-full, down to a single slot.  The repair then walks up
 * from the leaves, level by level, and fixes the node on each boundary
 * path by merging it with a neighbour or taking slots from one. */

/* A writable copy of child k of pa (pa == NULL: the root), allocated now. */
static int writable_kid(pbtree *w, pbtree_inner *pa, unsigned k,
                        pbtree_node **nd)
{
    pbtree_node *cur = pa != NULL ? pa->kids[k] : w->root;
    if (owned(w, cur)) {
        *nd = cur;
        return 0;
    }
    pool pl;
    if (pool_fill(&pl, cur->leaf ? 1 : 0, cur->leaf ? 0 : 1) != 0)
        return -1;
    *nd = copy_into(w, &pl, cur, pa, k);
    return 0;
}

/* Drop slot k of an internal node, releasing what it holds. */
static void drop_slot(pbtree *w, pbtree_inner *in, unsigned k)
{
    el_release(&w->ops, in->mins[k]);
    node_release(&w->ops, in->kids[k]);
    slots_move(&in->h, k, &in->h, k + 1, in->h.n - k - 1u);
    in->h.n--;
}

/* Remove positions [lo, hi) of the subtree nd (writable), which keeps at
 * least one element. */
static int cut(pbtree *w, pbtree_node *nd, size_t lo, size_t hi)
{
    if (nd->leaf) {
        pbtree_leaf *lf = pbtree_as_leaf(nd);
        for (size_t i = lo; i < hi; i++)
            el_release(&w->ops, lf->elems[i]);
        slots_move(nd, (unsigned)lo, nd, (unsigned)hi, nd->n - (unsigned)hi);
        nd->n = (uint16_t)(nd->n - (hi - lo));
        return 0;
    }
    pbtree_inner *in = pbtree_as_inner(nd);
    size_t off = 0;
    for (unsigned k = 0; k < nd->n && off < hi;) {
        size_t a = off, b = off + in->counts[k];
        off = b;
        if (b <= lo) {
            k++;
        } else if (lo <= a && b <= hi) {
            drop_slot(w, in, k);
        } else {
            pbtree_node *kid;
            if (writable_kid(w, in, k, &kid) != 0 ||
                cut(w, kid, (lo > a ? lo : a) - a, (hi < b ? hi : b) - a) != 0)
                return -1;
            in->counts[k] = node_count(kid);
            refresh_min(w, in, k);
            k++;
        }
    }
    return 0;
}

/* The root has one child: let the child be the root. */
static void collapse_root(pbtree *w)
{
    pbtree_node *root = w->root;
    w->root = pbtree_as_inner(root)->kids[0];
    w->root->refs++;
    node_release(&w->ops, root);
    w->height--;
}

/* Make the node at level lv (0 = leaves) on the path to position pos hold
 * at least PBTREE_MIN slots, unless it is (or becomes) the root. */
static int fix_at(pbtree *w, size_t pos, unsigned lv)
{
    for (;;) {
        if (lv + 1 >= w->height)
            return 0; /* the root may hold fewer */
        path p;
        path_to(w, pos, &p);
        unsigned d = p.h - 1 - lv; /* depth of the node */
        pbtree_node *nd = p.nd[d];
        if (nd->n >= PBTREE_MIN)
            return 0;
        pbtree_inner *pa = pbtree_as_inner(p.nd[d - 1]);
        if (pa->h.n == 1) { /* no neighbour: give the parent some first */
            if (d - 1 == 0)
                collapse_root(w);
            else if (fix_at(w, pos, lv + 1) != 0)
                return -1;
            continue;
        }
        /* Writable path down to the parent, then node and neighbour. */
        pbtree_node *cur;
        if (writable_kid(w, NULL, 0, &cur) != 0)
            return -1;
        for (unsigned e = 1; e < d; e++)
            if (writable_kid(w, pbtree_as_inner(cur), p.idx[e - 1], &cur) != 0)
                return -1;
        pa = pbtree_as_inner(cur);
        unsigned k = p.idx[d - 1], sk = sibling_of(&pa->h, k);
        pbtree_node *s;
        if (writable_kid(w, pa, k, &nd) != 0 ||
            writable_kid(w, pa, sk, &s) != 0)
            return -1;
        if (nd->n + s->n <= PBTREE_SLOTS) { /* merge s into nd */
            slots_retain(w, s, 0, s->n);
            if (sk < k) {
                slots_move(nd, s->n, nd, 0, nd->n);
                slots_move(nd, 0, s, 0, s->n);
            } else {
                slots_move(nd, nd->n, s, 0, s->n);
            }
            nd->n = (uint16_t)(nd->n + s->n);
            drop_slot(w, pa, sk);
            if (sk < k)
                k--;
        } else { /* take slots from s until nd has half */
            unsigned m = (nd->n + s->n) / 2 - nd->n;
            if (sk < k) {
                slots_move(nd, m, nd, 0, nd->n);
                slots_move(nd, 0, s, s->n - m, m);
            } else {
                slots_move(nd, nd->n, s, 0, m);
                slots_move(s, 0, s, m, s->n - m);
            }
            nd->n = (uint16_t)(nd->n + m);
            s->n = (uint16_t)(s->n - m);
            pa->counts[sk] = node_count(s);
            refresh_min(w, pa, sk);
        }
        pa->counts[k] = node_count(nd);
        refresh_min(w, pa, k);
    }
}

/* Delete [i, j) from w (a fork, 0 < j - i < length). */
static int range_at(pbtree *w, size_t i, size_t j)
{
    pbtree_node *root;
    if (writable_kid(w, NULL, 0, &root) != 0 || cut(w, root, i, j) != 0)
        return -1;
    w->len -= j - i;
    for (unsigned lv = 0; lv + 1 < w->height; lv++) {
        if (i > 0 && fix_at(w, i - 1, lv) != 0)
            return -1;
        if (i < w->len && fix_at(w, i, lv) != 0)
            return -1;
    }
    while (!w->root->leaf && w->root->n == 1)
        collapse_root(w);
    return 0;
}

int pbtree_delete_range(pbtree *t, size_t i, size_t j, pbtree **out)
{
    if (i > j || j > t->len) {
        errno = EINVAL;
        return -1;
    }
    if (i == j) {
        *out = unchanged(t);
        return 0;
    }
    /* Work on a fork, so that a failure half-way leaves t as it was. */
    pbtree *w = header_fork(t);
    if (w == NULL)
        return -1;
    int rc = 0;
    if (j - i == t->len) { /* everything goes */
        node_release(&w->ops, w->root);
        w->root = NULL;
        w->len = 0;
        w->height = 0;
    } else {
        rc = range_at(w, i, j);
    }
    if (rc != 0) {
        pbtree_release(w);
        errno = ENOMEM;
        return -1;
    }
    if (t->edit == 0) {
        *out = pbtree_edit_end(w);
        return 0;
    }
    /* A transient takes the fork's tree and its token: the fork's nodes
     * become the transient's, and the nodes it owned before (some still
     * shared by the fork's copies) are copied if touched again. */
    if (t->root != NULL)
        node_release(&t->ops, t->root);
    t->root = w->root;
    t->len = w->len;
    t->height = w->height;
    t->edit = w->edit;
    free(w);
    *out = t;
    return 0;
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
        *out = unchanged(t);
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
        *out = unchanged(t);
        return 0;
    }
    if (run_edit(t, del_fn, r, NULL, out) != 0)
        return -1;
    return 1;
}

/* ---- iterators ---------------------------------------------------------- */

void pbtree_iter_seek(pbtree_iter *it, const pbtree *t, size_t i)
{
    it->t = t;
    if (i >= t->len) {
        it->pos = t->len;
        return;
    }
    path p;
    path_to(t, i, &p);
    for (unsigned d = 0; d < p.h; d++) {
        it->nd[d] = p.nd[d];
        it->idx[d] = p.idx[d];
    }
    it->pos = i;
}

void pbtree_iter_seek_key(pbtree_iter *it, const pbtree *t, const void *key)
{
    pbtree_iter_seek(it, t, pbtree_rank(t, key, NULL));
}

bool pbtree_iter_valid(const pbtree_iter *it)
{
    return it->pos < it->t->len;
}

void *pbtree_iter_elem(const pbtree_iter *it)
{
    unsigned d = it->t->height - 1;
    return ((const pbtree_leaf *)it->nd[d])->elems[it->idx[d]];
}

size_t pbtree_iter_pos(const pbtree_iter *it)
{
    return it->pos;
}

void pbtree_iter_next(pbtree_iter *it)
{
    const pbtree *t = it->t;
    if (it->pos == SIZE_MAX) {
        pbtree_iter_seek(it, t, 0);
        return;
    }
    if (it->pos + 1 >= t->len) {
        it->pos = t->len;
        return;
    }
    it->pos++;
    /* Up while the node is done, one step right, then down leftmost. */
    unsigned d = t->height - 1;
    while (++it->idx[d] >= it->nd[d]->n)
        d--;
    for (; d + 1 < t->height; d++) {
        it->nd[d + 1] =
            ((const pbtree_inner *)it->nd[d])->kids[it->idx[d]];
        it->idx[d + 1] = 0;
    }
}

void pbtree_iter_prev(pbtree_iter *it)
{
    const pbtree *t = it->t;
    if (it->pos == SIZE_MAX)
        return;
    if (it->pos == 0) {
        it->pos = SIZE_MAX;
        return;
    }
    if (it->pos >= t->len) {
        pbtree_iter_seek(it, t, t->len - 1);
        return;
    }
    it->pos--;
    unsigned d = t->height - 1;
    while (it->idx[d] == 0)
        d--;
    it->idx[d]--;
    for (; d + 1 < t->height; d++) {
        const pbtree_node *kid =
            ((const pbtree_inner *)it->nd[d])->kids[it->idx[d]];
        it->nd[d + 1] = kid;
        it->idx[d + 1] = kid->n - 1u;
    }
}
