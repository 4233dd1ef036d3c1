/* store_hamt.h - copy-on-write with a persistent trie: O(log n) per write.
 *
 * The same promise as chapter 3's store_cow (readers never lock, never
 * wait, never write a shared line) at a fraction of the write cost: the
 * published snapshot is a hamt (hamt.h), so a write copies the 2 to 4
 * nodes on one root-to-key path instead of the whole table, and only those
 * nodes, the replaced value and a deleted key are retired through the
 * store's epoch domain (ebr.h).
 *
 * It is also the first store with batches (store_apply()): the changes go
 * into one private version, whose new nodes are mutated in place, and the
 * version is published once.
 */
#ifndef STORE_HAMT_H
#define STORE_HAMT_H

#include "store.h"

/** Persistent-HAMT copy-on-write store ("hamt"). */
extern const store_ops store_hamt_ops;

#endif
