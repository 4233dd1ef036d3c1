/* ptrie_private.h - what the ptrie*.c files share; not an API.
 * Chapter 8.
 *
 * The node layout and the small helpers every part of the trie
 * uses: where a position's element or child is among the slots, which
 * chunk of a hash a depth reads, and the allocation pool that lets an
 * edit allocate everything before it changes anything.  The code is split
 * by concept (ptrie.c versions and reads, ptrie_node.c nodes, the pool and
 * path copying, ptrie_edit.c put and remove, ptrie_check.c the
 * invariants).  Nothing outside ptrie*.c and the chapter 8 tests includes
 * this header.
 */
#ifndef PTRIE_PRIVATE_H
#define PTRIE_PRIVATE_H

#include "ptrie.h"

/** A node: a 32-byte header, then its slots, elements first, then
 *  children.  A collision node (depth PTRIE_HASH_LEVELS) has both bitmaps
 *  zero and count elements. */
struct ptrie_node {
    uint32_t refs;     /**< parents and versions that point at it */
    uint32_t datamap;  /**< positions holding an element */
    uint32_t nodemap;  /**< positions holding a child */
    uint32_t unused;   /**< padding, kept zero */
    uint64_t edit;     /**< token of the transient that may change it */
    size_t count;      /**< elements below it, its own included */
    void *slot[];      /**< elements, then children (ptrie_node *) */
};

/** A version (edit 0) or a transient (edit = its token). */
struct ptrie {
    ptrie_ops ops;        /**< element operations */
    ptrie_hash_fn *hash;  /**< NULL: hash_bytes() */
    ptrie_node *root;     /**< NULL when empty */
    uint64_t edit;        /**< 0 for a version, the token of a transient */
    uint32_t refs;        /**< references to this version */
};

/** Whether a node is a collision node. */
static inline bool ptrie_is_collision(const ptrie_node *nd)
{
    return (nd->datamap | nd->nodemap) == 0;
}

/** Elements stored in a node itself. */
static inline unsigned ptrie_ndata(const ptrie_node *nd)
{
    return ptrie_is_collision(nd) ? (unsigned)nd->count
                                  : (unsigned)__builtin_popcount(nd->datamap);
}

/** Slots of a node. */
static inline unsigned ptrie_nslots(const ptrie_node *nd)
{
    return ptrie_ndata(nd) + (unsigned)__builtin_popcount(nd->nodemap);
}

/** Bytes of a node with n slots. */
static inline size_t ptrie_node_size(unsigned n)
{
    return sizeof(ptrie_node) + (size_t)n * sizeof(void *);
}

/** The position (0..31) the hash picks at depth d < PTRIE_HASH_LEVELS. */
static inline unsigned ptrie_chunk(uint64_t h, unsigned d)
{
    return (unsigned)(h >> (PTRIE_BITS * d)) & 31u;
}

/** Slots below bit among those of map. */
static inline unsigned ptrie_below(uint32_t map, uint32_t bit)
{
    return (unsigned)__builtin_popcount(map & (bit - 1u));
}

/** The slot of the child at bit (bit set in nodemap). */
static inline unsigned ptrie_child_slot(const ptrie_node *nd, uint32_t bit)
{
    return (unsigned)__builtin_popcount(nd->datamap) +
           ptrie_below(nd->nodemap, bit);
}

/** The child at bit (bit set in nodemap). */
static inline ptrie_node *ptrie_child(const ptrie_node *nd, uint32_t bit)
{
    return nd->slot[ptrie_child_slot(nd, bit)];
}

/** An element's key. */
static inline const void *ptrie_key_of(const ptrie *t, const void *e,
                                       size_t *len)
{
    return t->ops.key(e, len);
}

/** Whether element e has the key (key, len). */
bool ptrie_key_eq(const ptrie *t, const void *e, const void *key, size_t len);

/** The hash of element e's key. */
uint64_t ptrie_elem_hash(const ptrie *t, const void *e);

/** Take one reference to an element, if the trie counts them. */
static inline void ptrie_el_retain(const ptrie *t, void *e)
{
    if (t->ops.retain != NULL)
        t->ops.retain(e);
}

/** Drop one reference to an element, if the trie counts them. */
static inline void ptrie_el_release(const ptrie_ops *ops, void *e)
{
    if (ops->release != NULL)
        ops->release(e);
}

/** Whether the transient (or fork) t may change nd in place. */
static inline bool ptrie_owned(const ptrie *t, const ptrie_node *nd)
{
    return t->edit != 0 && nd->edit == t->edit;
}

/* ---- nodes (ptrie_node.c) ----------------------------------------------- */

/** A fresh edit token; tokens never repeat. */
uint64_t ptrie_new_token(void);
/** Free a node's memory (nothing it holds). */
void ptrie_node_free(ptrie_node *nd);
/** Test hook: from now on, count nodes allocated minus nodes freed (every
 *  thread together).  Costs one relaxed load per node while off. */
void ptrie_count_nodes(void);
/** The count ptrie_count_nodes() keeps: nodes allocated minus nodes freed
 *  since counting began.  A test reads it before and after its work: the
 *  same figure means every node it made was freed. */
long ptrie_live_nodes(void);
/** Drop one reference to a node; the last frees it and drops what it holds. */
void ptrie_node_release(const ptrie_ops *ops, ptrie_node *nd);
/** Retain every element and child a node holds (it is being copied). */
void ptrie_node_retain_slots(const ptrie *t, ptrie_node *nd);
/** A node copied from old now holds old's contents: make them its own
 *  (retain them, unless old was t's and is simply freed) and drop the
 *  reference to old that the copy replaces. */
void ptrie_adopt(ptrie *t, ptrie_node *old);

/* ---- the allocation plan (ptrie_node.c) --------------------------------- */

/** Most nodes one edit allocates: a copy per level, one resized node and a
 *  chain of new nodes down to the collision depth. */
#define PTRIE_POOL_MAX (2 * PTRIE_LEVELS + 2)

/** Nodes allocated before an edit changes anything, taken in order. */
typedef struct ptrie_pool {
    unsigned want[PTRIE_POOL_MAX];     /**< slots of each node planned */
    ptrie_node *nodes[PTRIE_POOL_MAX]; /**< the nodes, once allocated */
    unsigned n;                        /**< nodes planned */
    unsigned next;                     /**< next one to take */
} ptrie_pool;

/** Plan one more node of nslots slots. */
static inline void ptrie_pool_plan(ptrie_pool *p, unsigned nslots)
{
    p->want[p->n++] = nslots;
}

/** Allocate every planned node, all or none.
 *  \return 0, or -1 with errno ENOMEM and nothing allocated. */
int ptrie_pool_fill(ptrie_pool *p);
/** Free the nodes not taken. */
void ptrie_pool_free(ptrie_pool *p);
/** Take the next planned node: t's token, one reference, empty maps. */
ptrie_node *ptrie_pool_take(ptrie_pool *p, const ptrie *t);

/* ---- paths (ptrie_node.c) ----------------------------------------------- */

/** The nodes from the root to where a key is or would be. */
typedef struct ptrie_path {
    ptrie_node *nd[PTRIE_LEVELS]; /**< node per depth, root first */
    unsigned h;                   /**< nodes on the path */
} ptrie_path;

/** Plan a copy of every node of p->nd[0..upto) that t does not own. */
void ptrie_plan_copies(const ptrie *t, const ptrie_path *p, unsigned upto,
                       ptrie_pool *pl);
/** Make p->nd[0..upto) writable top-down, copying the nodes t does not
 *  own (taken from pl in the order ptrie_plan_copies() planned them). */
void ptrie_make_writable(ptrie *t, ptrie_path *p, unsigned upto,
                         uint64_t hash, ptrie_pool *pl);
/** Point where p->nd[d] hangs (the root, or its parent's slot) at nd. */
void ptrie_relink(ptrie *t, ptrie_path *p, unsigned d, uint64_t hash,
                  ptrie_node *nd);

/* ---- writers (ptrie.c) -------------------------------------------------- */

/** What an edit works on: t itself when it is a transient, else a new
 *  header sharing t's root under a fresh token (NULL: ENOMEM). */
ptrie *ptrie_writer_begin(ptrie *t);
/** Undo ptrie_writer_begin() after a failed edit (which changed nothing). */
void ptrie_writer_abort(ptrie *t, ptrie *w);
/** Finish an edit: freeze a fork into the version returned. */
ptrie *ptrie_writer_end(ptrie *t, ptrie *w);
/** The result of an edit that changed nothing. */
ptrie *ptrie_unchanged(ptrie *t);

#endif
