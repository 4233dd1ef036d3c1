/* pbtree_node.c - B+tree nodes, allocation plans and path copying.
 * Chapter 8.
 *
 * The machinery every edit of the tree shares.  A node is
 * reference counted by its parents and versions; pbtree_node_release()
 * frees a node when the last reference goes and drops what it holds, each
 * element once per slot.  An edit never allocates while it changes the
 * tree: it first counts the nodes it needs, fills a pool with them (all
 * or none, pbtree_pool_fill()), and only then copies the nodes of its path
 * that it does not own (pbtree_make_writable(): a node whose edit token is
 * the transient's is changed in place, any other is copied once and the
 * copy put in its parent).  Taking a node from a filled pool cannot fail,
 * which is what makes every one-element edit atomic under ENOMEM.
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

uint64_t pbtree_new_token(void)
{
    return atomic_fetch_add_explicit(&next_token, 1, memory_order_relaxed);
}

/* ---- elements and nodes ------------------------------------------------- */

void pbtree_node_release(const pbtree_ops *ops, pbtree_node *nd)
{
    if (--nd->refs > 0)
        return;
    if (nd->leaf) {
        pbtree_leaf *lf = pbtree_as_leaf(nd);
        for (unsigned i = 0; i < nd->n; i++)
            pbtree_el_release(ops, lf->elems[i]);
    } else {
        pbtree_inner *in = pbtree_as_inner(nd);
        for (unsigned i = 0; i < nd->n; i++) {
            pbtree_el_release(ops, in->mins[i]);
            pbtree_node_release(ops, in->kids[i]);
        }
    }
    free(nd);
}

void pbtree_slots_retain(const pbtree *t, pbtree_node *nd, unsigned from,
                         unsigned to)
{
    if (nd->leaf) {
        for (unsigned i = from; i < to; i++)
            pbtree_el_retain(t, pbtree_as_leaf(nd)->elems[i]);
    } else {
        pbtree_inner *in = pbtree_as_inner(nd);
        for (unsigned i = from; i < to; i++) {
            pbtree_el_retain(t, in->mins[i]);
            in->kids[i]->refs++;
        }
    }
}

size_t pbtree_node_count(const pbtree_node *nd)
{
    if (nd->leaf)
        return nd->n;
    const pbtree_inner *in = (const pbtree_inner *)nd;
    size_t c = 0;
    for (unsigned i = 0; i < nd->n; i++)
        c += in->counts[i];
    return c;
}

void pbtree_slots_move(pbtree_node *dst, unsigned di, pbtree_node *src,
                       unsigned si, unsigned k)
{
    if (dst->leaf) {
        memmove(&pbtree_as_leaf(dst)->elems[di],
                &pbtree_as_leaf(src)->elems[si],
                k * sizeof(void *));
    } else {
        pbtree_inner *d = pbtree_as_inner(dst), *s = pbtree_as_inner(src);
        memmove(&d->counts[di], &s->counts[si], k * sizeof(size_t));
        memmove(&d->mins[di], &s->mins[si], k * sizeof(void *));
        memmove(&d->kids[di], &s->kids[si], k * sizeof(pbtree_node *));
    }
}

void pbtree_refresh_min(pbtree *t, pbtree_inner *pa, unsigned k)
{
    void *m = pbtree_node_first(pa->kids[k]);
    if (m != pa->mins[k]) {
        pbtree_el_retain(t, m);
        pbtree_el_release(&t->ops, pa->mins[k]);
        pa->mins[k] = m;
    }
}

/* ---- the allocation plan ------------------------------------------------ */

void pbtree_pool_free(pbtree_pool *p)
{
    for (int k = 0; k < 2; k++)
        while (p->n[k] > 0)
            free(p->nodes[k][--p->n[k]]);
}

/* Allocate nleaf leaves and ninner internal nodes, all or none. */
int pbtree_pool_fill(pbtree_pool *p, unsigned nleaf, unsigned ninner)
{
    unsigned want[2] = { ninner, nleaf };
    p->n[0] = p->n[1] = 0;
    for (int k = 0; k < 2; k++)
        while (p->n[k] < want[k]) {
            pbtree_node *nd = xmalloc(pbtree_node_size(k == 1));
            if (nd == NULL) {
                pbtree_pool_free(p);
                errno = ENOMEM;
                return -1;
            }
            p->nodes[k][p->n[k]++] = nd;
        }
    return 0;
}

pbtree_node *pbtree_pool_take(pbtree_pool *p, const pbtree *t, bool leaf)
{
    pbtree_node *nd = p->nodes[leaf][--p->n[leaf]];
    nd->edit = t->edit;
    nd->refs = 1;
    nd->n = 0;
    nd->leaf = leaf;
    return nd;
}

/* ---- paths -------------------------------------------------------------- */

/* The path to position i (for an insert, i may be the length: the end of
 * the last leaf).  A position on a boundary goes to the later child. */
/* [ch08-path-to] */
void pbtree_path_to(const pbtree *t, size_t i, pbtree_path *p)
{
    /* learn: ch08 pbtree_path_to "A B+tree that counts" */
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
    /* learn: end */
}
/* [ch08-path-to] */

/* Count the copies making the path writable needs, by kind. */
void pbtree_count_copies(const pbtree *t, const pbtree_path *p,
                         unsigned need[2])
{
    for (unsigned d = 0; d < p->h; d++)
        if (!pbtree_owned(t, p->nd[d]))
            need[p->nd[d]->leaf]++;
}

/* Put a writable copy of nd where the parent (or the root) points. */
pbtree_node *pbtree_copy_into(pbtree *t, pbtree_pool *pl, pbtree_node *nd,
                              pbtree_inner *pa, unsigned k)
{
    pbtree_node *c = pbtree_pool_take(pl, t, nd->leaf);
    memcpy((char *)c + sizeof *c, (char *)nd + sizeof *nd,
           pbtree_node_size(nd->leaf) - sizeof *nd);
    c->n = nd->n;
    pbtree_slots_retain(t, c, 0, c->n);
    if (pa == NULL)
        t->root = c;
    else
        pa->kids[k] = c;
    pbtree_node_release(&t->ops, nd); /* the reference the slot held */
    return c;
}

void pbtree_make_writable(pbtree *t, pbtree_path *p, pbtree_pool *pl)
{
    for (unsigned d = 0; d < p->h; d++) {
        if (pbtree_owned(t, p->nd[d]))
            continue;
        pbtree_inner *pa = d == 0 ? NULL : pbtree_as_inner(p->nd[d - 1]);
        p->nd[d] = pbtree_copy_into(t, pl, p->nd[d], pa,
                                    d == 0 ? 0 : p->idx[d - 1]);
    }
}

/* Open slot pos of a node that has room. */
void pbtree_open_slot(pbtree_node *nd, unsigned pos)
{
    pbtree_slots_move(nd, pos + 1, nd, pos, nd->n - pos);
    nd->n++;
}

void pbtree_set_inner_slot(pbtree *t, pbtree_inner *in, unsigned pos,
                           pbtree_node *kid)
{
    in->kids[pos] = kid;
    in->counts[pos] = pbtree_node_count(kid);
    in->mins[pos] = pbtree_node_first(kid);
    pbtree_el_retain(t, in->mins[pos]);
}

/* The sibling a node at slot k of pa merges with or borrows from. */
unsigned pbtree_sibling_of(const pbtree_node *pa, unsigned k)
{
    return k > 0 ? k - 1 : (pa->n > 1 ? k + 1 : k);
}
