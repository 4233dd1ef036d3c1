/* pset_private.h - the layout the pset*.c files share; not an API.
 * Chapter 8.
 *
 * A pset is a header over a flat array of member pointers or a trie of
 * members (pset.h says when each).  The header keeps the counts that make
 * pset_len(), pset_encoding() and the choice of form O(1).  Only the
 * writer changes a header; a version's never changes once published.
 */
#ifndef PSET_PRIVATE_H
#define PSET_PRIVATE_H

#include "pset.h"

/** A version or a transient. */
struct pset {
    uint32_t refs;  /**< references to a version; 1 for a transient */
    bool tree;      /**< the form: trie (true) or flat array */
    bool transient; /**< between edit_begin and edit_end */
    size_t n;       /**< members */
    size_t nint;    /**< members in canonical integer form */
    size_t nbig;    /**< members longer than max_bytes */
    union {
        struct {
            velem **items; /**< n members in insertion order: inl in a
                                version made by an edit, a separate array
                                in a transient */
            size_t cap;    /**< room at items */
        } flat;            /**< flat form */
        ptrie *trie;       /**< tree form */
    } u;                   /**< the form's data */
    velem *inl[];          /**< a flat version's own array */
};

/** Current limits (pset.c). */
extern size_t pset_max_entries_;
/** Current limits (pset.c). */
extern size_t pset_max_bytes_;

/** The trie operations for members (pset.c). */
extern const ptrie_ops pset_trie_ops;

/** Whether a member is too long for the flat form. */
static inline bool pset_big(const velem *e)
{
    return e->len > pset_max_bytes_;
}

/** Position of a member in a flat array, or SIZE_MAX (pset.c). */
size_t pset_flat_find(const pset *s, const void *m, size_t mlen);

/** Bytes of the header of a flat version with room for n pointers. */
static inline size_t pset_header_bytes(size_t n)
{
    return sizeof(pset) + n * sizeof(velem *);
}

#endif
