/* store_hamt.h - copy-on-write with a persistent trie: O(log n) per write.
 * Chapter 5.
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

#include "ebr.h"
#include "store.h"

/** Persistent-HAMT copy-on-write store ("hamt"). */
extern const store_ops store_hamt_ops;

/**
 * Check the invariants of the published trie (hamt_check()), for tests.
 * \param s      a store made from store_hamt_ops.
 * \param err    receives the first violation found.
 * \param errlen size of err.
 * \return 0 if the trie is valid and canonical, -1 otherwise.
 * Thread-safety: takes the writer lock; call outside read sections.
 */
int store_hamt_check(store *s, char *err, size_t errlen);

/**
 * Set the alarm that reports garbage piling up behind a reader that stays
 * inside its section (see ebr_set_alarm(); by default one stderr line at
 * EBR_ALARM_BYTES).  Only for stores created from store_hamt_ops.
 * \param s     the store.
 * \param bytes the threshold in retired bytes; 0 turns the alarm off.
 * \param fn    the callback, or NULL for the default line on stderr.
 * \param arg   passed to fn.
 */
void store_hamt_set_alarm(store *s, size_t bytes, ebr_alarm_fn *fn,
                          void *arg);

#endif
