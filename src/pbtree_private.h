/* pbtree_private.h - what the pbtree*.c files share; not an API.
 * Chapter 8.
 *
 * A node starts with the same 16-byte header whether it is a
 * leaf or internal; the leaf flag says which of the two layouts follows.
 * Internal nodes keep their three per-child arrays apart (counts, first
 * elements, children) rather than as an array of structs, so that a
 * positional descent reads only the 256 bytes of counts.  The tree's code
 * is split by concept (pbtree.c versions and reads, pbtree_node.c nodes
 * and path copying, pbtree_edit.c one-element edits, pbtree_range.c range
 * delete, pbtree_build.c bulk build, pbtree_check.c the invariants); the
 * helpers they share are declared here.  Nothing outside pbtree*.c and
 * the chapter 8 tests includes this header.
 */
#ifndef PBTREE_PRIVATE_H
#define PBTREE_PRIVATE_H

#include "pbtree.h"

/** The header every node starts with. */
struct pbtree_node {
    uint64_t edit; /**< token of the transient that may change it in place */
    uint32_t refs; /**< parents and versions that point at it */
    uint16_t n;    /**< slots in use */
    uint16_t leaf; /**< 1 for a leaf, 0 for an internal node */
};

/* [ch08-pbtree-nodes] */
/** A leaf: the elements themselves. */
typedef struct pbtree_leaf {
    pbtree_node h;                /**< header, leaf = 1 */
    void *elems[PBTREE_SLOTS];    /**< n elements, in order */
} pbtree_leaf;

/** An internal node: per child, its count, its first element, itself. */
typedef struct pbtree_inner {
    pbtree_node h;                    /**< header, leaf = 0 */
    size_t counts[PBTREE_SLOTS];      /**< elements below each child */
    void *mins[PBTREE_SLOTS];         /**< each child's first element,
                                           retained */
    pbtree_node *kids[PBTREE_SLOTS];  /**< the children */
} pbtree_inner;
/* [ch08-pbtree-nodes] */

/** A version (edit 0) or a transient (edit = its token). */
struct pbtree {
    pbtree_ops ops;     /**< element operations */
    pbtree_node *root;  /**< NULL when empty */
    size_t len;         /**< elements */
    uint64_t edit;      /**< 0 for a version, the token of a transient */
    uint32_t refs;      /**< references to this version */
    uint32_t height;    /**< levels, 0 when empty */
};

/** The leaf layout of a node. */
static inline pbtree_leaf *pbtree_as_leaf(pbtree_node *nd)
{
    return (pbtree_leaf *)nd;
}

/** The internal layout of a node. */
static inline pbtree_inner *pbtree_as_inner(pbtree_node *nd)
{
    return (pbtree_inner *)nd;
}

/** The first element below a node (a leaf's first, or its first child's). */
static inline void *pbtree_node_first(const pbtree_node *nd)
{
    return nd->leaf ? ((const pbtree_leaf *)nd)->elems[0]
                    : ((const pbtree_inner *)nd)->mins[0];
}

/* ---- elements and nodes (pbtree_node.c) --------------------------------- */

/** Take one reference to an element, if the tree counts them. */
static inline void pbtree_el_retain(const pbtree *t, void *e)
{
    if (t->ops.retain != NULL)
        t->ops.retain(e);
}

/** Drop one reference to an element, if the tree counts them. */
static inline void pbtree_el_release(const pbtree_ops *ops, void *e)
{
    if (ops->release != NULL)
        ops->release(e);
}

/** Bytes of a leaf or of an internal node. */
static inline size_t pbtree_node_size(bool leaf)
{
    return leaf ? sizeof(pbtree_leaf) : sizeof(pbtree_inner);
}

/* [ch08-owned] */
/** Whether the transient (or fork) t may change nd in place. */
static inline bool pbtree_owned(const pbtree *t, const pbtree_node *nd)
{
    return nd->edit == t->edit;
}
/* [ch08-owned] */

/** A fresh edit token; tokens never repeat. */
uint64_t pbtree_new_token(void);
/** Drop one reference to a node; the last frees it and drops what it holds. */
void pbtree_node_release(const pbtree_ops *ops, pbtree_node *nd);
/** Retain what slots [from, to) of a node hold (they are being copied). */
void pbtree_slots_retain(const pbtree *t, pbtree_node *nd, unsigned from,
                         unsigned to);
/** Elements below a node (a leaf's n, or the sum of its counts). */
size_t pbtree_node_count(const pbtree_node *nd);
/** dst[di..di+k) = src[si..si+k), no reference changes (may overlap). */
void pbtree_slots_move(pbtree_node *dst, unsigned di, pbtree_node *src,
                       unsigned si, unsigned k);
/** Set parent slot k's first element to its child's first. */
void pbtree_refresh_min(pbtree *t, pbtree_inner *pa, unsigned k);
/** Open slot pos of a node that has room. */
void pbtree_open_slot(pbtree_node *nd, unsigned pos);
/** Fill slot pos of an internal node with kid (its count, its first
 *  element, retained); the caller gave the slot kid's reference. */
void pbtree_set_inner_slot(pbtree *t, pbtree_inner *in, unsigned pos,
                           pbtree_node *kid);

/* ---- the allocation plan (pbtree_node.c) -------------------------------- */

/** Most nodes one edit allocates: a copy and a split per level, a new
 *  root, a borrowed sibling per level. */
#define PBTREE_POOL_MAX (3 * PBTREE_MAX_HEIGHT + 2)

/** Nodes allocated before an edit changes anything, by kind. */
typedef struct pbtree_pool {
    pbtree_node *nodes[2][PBTREE_POOL_MAX]; /**< [leaf] */
    unsigned n[2];                          /**< how many of each are left */
} pbtree_pool;

/** Free the nodes a pool still holds. */
void pbtree_pool_free(pbtree_pool *p);
/** Allocate nleaf leaves and ninner internal nodes, all or none.
 *  \return 0, or -1 with errno ENOMEM and the pool empty. */
int pbtree_pool_fill(pbtree_pool *p, unsigned nleaf, unsigned ninner);
/** Take a node from the pool: t's token, one reference, no slots. */
pbtree_node *pbtree_pool_take(pbtree_pool *p, const pbtree *t, bool leaf);

/* ---- paths (pbtree_node.c) ---------------------------------------------- */

/** The nodes from the root to a leaf, and the slot taken at each. */
typedef struct pbtree_path {
    pbtree_node *nd[PBTREE_MAX_HEIGHT]; /**< node per depth, root first */
    unsigned idx[PBTREE_MAX_HEIGHT];    /**< slot taken at each depth */
    unsigned h;                         /**< depths used */
} pbtree_path;

/** The path to position i of a non-empty tree (for an insert i may be the
 *  length: the end of the last leaf).  A boundary goes to the later child. */
void pbtree_path_to(const pbtree *t, size_t i, pbtree_path *p);
/** Add to need[leaf] the copies making the path writable takes. */
void pbtree_count_copies(const pbtree *t, const pbtree_path *p,
                         unsigned need[2]);
/** Put a writable copy of nd (taken from pl) where parent pa's slot k, or
 *  the root when pa is NULL, points; returns the copy. */
pbtree_node *pbtree_copy_into(pbtree *t, pbtree_pool *pl, pbtree_node *nd,
                              pbtree_inner *pa, unsigned k);
/** Copy every node on the path that t does not own, top-down. */
void pbtree_make_writable(pbtree *t, pbtree_path *p, pbtree_pool *pl);
/** The slot of pa a child at slot k merges with or borrows from. */
unsigned pbtree_sibling_of(const pbtree_node *pa, unsigned k);

/* ---- writers (pbtree.c) ------------------------------------------------- */

/** A new header sharing t's root, under a fresh token (NULL: ENOMEM). */
pbtree *pbtree_header_fork(pbtree *t);
/** What an edit works on: t itself when it is a transient, else a fork. */
pbtree *pbtree_writer_begin(pbtree *t);
/** Undo pbtree_writer_begin() after a failed edit (which changed nothing). */
void pbtree_writer_abort(pbtree *t, pbtree *w);
/** Finish an edit: freeze a fork into the version returned. */
pbtree *pbtree_writer_end(pbtree *t, pbtree *w);
/** The result of an edit that changed nothing. */
pbtree *pbtree_unchanged(pbtree *t);

#endif
