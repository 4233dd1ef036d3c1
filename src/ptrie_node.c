/* ptrie_node.c - trie nodes, allocation plans and path copying.
 * Chapter 8.
 *
 * The machinery every edit of the trie shares, in the B+tree's pattern
 * (src/pbtree_node.c).  A node is reference counted by its parents and
 * versions; ptrie_node_release() frees it when the last reference goes and
 * drops what it holds.  An edit never allocates while it changes the trie:
 * it first plans every node it will need (ptrie_pool_plan(): a copy of
 * each node on its path that it does not own, a node one slot bigger or
 * smaller, a chain of new nodes), allocates them all or none
 * (ptrie_pool_fill()), and only then changes anything.  A node is sized to
 * its slots, so a node that gains a slot is always a new node, even in a
 * transient; the old one is then freed (when the transient owned it) or
 * loses one reference (when another version still shares it).
 */
#include "ptrie_private.h"
#include "alloc.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Tokens never repeat, so a frozen node is never taken for a transient's.
 * relaxed: the counter only has to hand out distinct numbers; nothing
 * else is published through it. */
static atomic_uint_fast64_t next_token = 1;

uint64_t ptrie_new_token(void)
{
    return atomic_fetch_add_explicit(&next_token, 1, memory_order_relaxed);
}

/* The test hook's node count.  relaxed: a test reads the count after the
 * threads that changed it have been joined (or from the only writer), so
 * the figure needs no ordering with anything else; the flag only switches
 * counting on, like alloc.h's. */
static atomic_bool counting;
static atomic_long live_nodes;

void ptrie_count_nodes(void)
{
    atomic_store_explicit(&counting, true, memory_order_relaxed);
}

long ptrie_live_nodes(void)
{
    return atomic_load_explicit(&live_nodes, memory_order_relaxed);
}

static void count(long k)
{
    if (atomic_load_explicit(&counting, memory_order_relaxed))
        atomic_fetch_add_explicit(&live_nodes, k, memory_order_relaxed);
}

void ptrie_node_free(ptrie_node *nd)
{
    count(-1);
    free(nd);
}

/* ---- nodes -------------------------------------------------------------- */

void ptrie_node_release(const ptrie_ops *ops, ptrie_node *nd)
{
    if (--nd->refs > 0)
        return;
    unsigned nd_data = ptrie_ndata(nd), n = ptrie_nslots(nd);
    for (unsigned i = 0; i < nd_data; i++)
        ptrie_el_release(ops, nd->slot[i]);
    for (unsigned i = nd_data; i < n; i++) /* at most 13 levels deep */
        ptrie_node_release(ops, nd->slot[i]);
    ptrie_node_free(nd);
}

void ptrie_node_retain_slots(const ptrie *t, ptrie_node *nd)
{
    unsigned nd_data = ptrie_ndata(nd), n = ptrie_nslots(nd);
    for (unsigned i = 0; i < nd_data; i++)
        ptrie_el_retain(t, nd->slot[i]);
    for (unsigned i = nd_data; i < n; i++)
        ((ptrie_node *)nd->slot[i])->refs++;
}

void ptrie_adopt(ptrie *t, ptrie_node *old)
{
    if (ptrie_owned(t, old)) { /* nobody else sees it: move, and free */
        ptrie_node_free(old);
        return;
    }
    /* Retain first: if old's last reference goes below, what it drops is
     * what the copy has just taken. */
    ptrie_node_retain_slots(t, old);
    ptrie_node_release(&t->ops, old);
}

/* ---- the allocation plan ------------------------------------------------ */

int ptrie_pool_fill(ptrie_pool *p)
{
    p->next = 0;
    for (unsigned i = 0; i < p->n; i++) {
        p->nodes[i] = xmalloc(ptrie_node_size(p->want[i]));
        if (p->nodes[i] == NULL) {
            while (i > 0)
                ptrie_node_free(p->nodes[--i]);
            p->n = 0;
            errno = ENOMEM;
            return -1;
        }
        count(1);
    }
    return 0;
}

void ptrie_pool_free(ptrie_pool *p)
{
    while (p->next < p->n)
        ptrie_node_free(p->nodes[p->next++]);
}

ptrie_node *ptrie_pool_take(ptrie_pool *p, const ptrie *t)
{
    ptrie_node *nd = p->nodes[p->next++];
    nd->refs = 1;
    nd->datamap = nd->nodemap = 0;
    nd->unused = 0;
    nd->edit = t->edit;
    nd->count = 0;
    return nd;
}

/* ---- paths -------------------------------------------------------------- */

void ptrie_plan_copies(const ptrie *t, const ptrie_path *p, unsigned upto,
                       ptrie_pool *pl)
{
    for (unsigned d = 0; d < upto; d++)
        if (!ptrie_owned(t, p->nd[d]))
            ptrie_pool_plan(pl, ptrie_nslots(p->nd[d]));
}

void ptrie_relink(ptrie *t, ptrie_path *p, unsigned d, uint64_t hash,
                  ptrie_node *nd)
{
    if (d == 0) {
        t->root = nd;
    } else {
        ptrie_node *pa = p->nd[d - 1];
        uint32_t bit = 1u << ptrie_chunk(hash, d - 1);
        pa->slot[ptrie_child_slot(pa, bit)] = nd;
    }
    p->nd[d] = nd;
}

void ptrie_make_writable(ptrie *t, ptrie_path *p, unsigned upto,
                         uint64_t hash, ptrie_pool *pl)
{
    for (unsigned d = 0; d < upto; d++) {
        ptrie_node *old = p->nd[d];
        if (ptrie_owned(t, old))
            continue;
        ptrie_node *c = ptrie_pool_take(pl, t);
        c->datamap = old->datamap;
        c->nodemap = old->nodemap;
        c->count = old->count;
        memcpy(c->slot, old->slot, ptrie_nslots(old) * sizeof(void *));
        ptrie_adopt(t, old);
        ptrie_relink(t, p, d, hash, c);
    }
}
