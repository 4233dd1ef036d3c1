/* plist_private.h - what the plist*.c files share; not an API.
 * Chapter 8.
 *
 * One struct serves both forms.  A flat list keeps its items in `items`,
 * which points either at the struct's own tail (`inl`, one allocation
 * for a version made by an edit) or at a separate buffer (a transient's,
 * which grows in place, and what it leaves behind when frozen).  A tree
 * list keeps `tree`, a pbtree version or, in a transient, usually a
 * pbtree transient.  plist.c holds versions, reads, iterators and the
 * checker; plist_edit.c the positional edits; plist_match.c LREM and
 * LPOS.  Nothing outside plist*.c and the chapter 8 tests includes this.
 */
#ifndef PLIST_PRIVATE_H
#define PLIST_PRIVATE_H

#include "plist.h"

/** A version or a transient, in either form. */
struct plist {
    uint32_t refs;   /**< references (writer thread only) */
    bool transient;  /**< between plist_edit_begin() and plist_edit_end() */
    size_t len;      /**< items, in either form */
    pbtree *tree;    /**< tree form; NULL when flat */
    size_t bytes;    /**< flat form: item lengths added up */
    size_t cap;      /**< flat form: slots items can hold */
    velem **items;   /**< flat form: the items, each holding a reference */
    velem *inl[];    /**< a version's items when they follow the struct */
};

/** The limits in force (plist_set_limits()). */
extern size_t plist_max_entries;
/** See plist_max_entries. */
extern size_t plist_max_bytes;

/** The element operations of every plist tree (velem items). */
extern const pbtree_ops plist_tree_ops;

/** A struct with room for cap inline items (0: none), not yet holding
 *  anything: refs 1, flat, empty; NULL with errno ENOMEM. */
plist *plist_alloc(size_t cap);

/** Release what l holds (items or tree), not l itself. */
void plist_contents_release(plist *l);

/** Item lengths of positions [i, j) added up (an O(j - i) walk). */
size_t plist_range_bytes(const plist *l, size_t i, size_t j);

/** Write to dst the items of l at [0, i), then e unless it is NULL, then
 *  those at [j, len); no reference changes. */
void plist_gather(const plist *l, size_t i, size_t j, velem *e,
                  velem **dst);

#endif
