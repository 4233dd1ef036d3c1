/* store_ptrie.h - chapter 5's trie store, rebuilt to hold a key in 64 bytes.
 * Chapter 8.
 *
 * The same promise as store_hamt (readers never lock, never wait, never
 * write a shared line; a write path-copies O(log n) nodes; batches are
 * all or nothing) on chapter 8's reference-counted CHAMP trie (ptrie.h),
 * whose slots are 8 bytes, and with every key kept in one compact entry:
 * the key's length and bytes and, for a short string value, the value
 * itself.  It meets chapter 8's memory target: the 1M-key dataset of
 * DEBUG POPULATE takes fewer heap bytes per key than Redis's used_memory
 * grows by for it (85.6 against 88.5 on the course machine; the
 * arithmetic is in store_ptrie.c, bench/main_mem_bench.c measures it).
 *
 * Reference counting replaces garbage lists: a version kept by a reader's
 * snapshot is one reference, dropped when its grace period ends, and
 * whatever nodes and entries no newer version shares are freed then.
 */
#ifndef STORE_PTRIE_H
#define STORE_PTRIE_H

#include "store.h"

/** Persistent-CHAMP store with compact key entries ("ptrie"). */
extern const store_ops store_ptrie_ops;

/**
 * Check the published trie's invariants (ptrie_check()) and that every
 * entry is well formed, for tests.
 * \param s      a store made from store_ptrie_ops.
 * \param err    receives the first violation found.
 * \param errlen size of err.
 * \return 0 if valid, -1 otherwise.
 * Thread-safety: takes the writer lock; call outside read sections.
 */
int store_ptrie_check(store *s, char *err, size_t errlen);

#endif
