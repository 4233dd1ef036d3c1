/* pbtree_private.h - the node layout pbtree.c and pbtree_check.c share; not an API.
 * Chapter 8.
 *
 * A node starts with the same 16-byte header whether it is a
 * leaf or internal; the leaf flag says which of the two layouts follows.
 * Internal nodes keep their three per-child arrays apart (counts, first
 * elements, children) rather than as an array of structs, so that a
 * positional descent reads only the 256 bytes of counts.  Nothing outside
 * pbtree.c and pbtree_check.c includes this header.
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

#endif
