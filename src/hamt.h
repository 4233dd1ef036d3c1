/* hamt.h - a persistent hash array mapped trie: copy-on-write in O(log n).
 * Chapter 5.
 *
 * Chapter 3's copy-on-write store copies its whole table on every write, so
 * a write costs O(n).  A persistent trie shares almost everything between
 * versions: a write copies only the nodes on the path from the root to the
 * key (at most 13 of them for a 64-bit hash), and the new version points at
 * every other node of the old one.  Readers that still hold the old root see
 * the old version, unchanged; readers that load the new root see the new
 * one.  Neither ever sees a node being modified, because a node that has
 * been published is never modified again.
 *
 * Shape (Bagwell, "Ideal Hash Trees", 2001).  The key's 64-bit hash is cut
 * into 5-bit pieces; the piece at depth d (bits 5d..5d+4) picks one of 32
 * children.  A node stores only the children that exist, packed in order,
 * and a 32-bit bitmap that says which ones they are; the slot of index i is
 * popcount(bitmap & ((1 << i) - 1)).  So a node with 3 children costs 3
 * slots, not 32.  A slot holds either a key and its value, or a child node.
 * Two different keys with the same full 64-bit hash share a collision node,
 * a plain list compared byte by byte.
 *
 * Canonical form.  A subtree that holds a single key is always replaced by
 * that key in its parent, and empty nodes are removed, so the same set of
 * keys always has the same shape whatever order it was built in.
 *
 * Editing.  All writes go through a hamt_edit: a private version that
 * starts as some published root.  Nodes the edit creates carry its token
 * and are mutated in place for as long as the edit lasts (they are not
 * published yet, so nobody else can see them); any other node is copied
 * before it is changed, and the original goes on the edit's garbage list.
 * Publishing the edit's root and then retiring its garbage (to the epoch
 * scheme of chapter 3) is the caller's job: this module knows nothing about
 * threads.  One write is an edit of one change; a batch is an edit of many,
 * and the nodes near the root are copied once for the whole batch.
 *
 * Thread-safety: a published tree (every node reachable from a root that
 * no edit with a live token can reach) is immutable, so any number of
 * threads may read it with hamt_get(), hamt_size() and hamt_iterate().  An
 * edit belongs to one thread.
 */
#ifndef HAMT_H
#define HAMT_H

#include <stddef.h>
#include <stdint.h>

/** Bits of the hash consumed per level. */
#define HAMT_BITS 5
/** Children per branch node. */
#define HAMT_FANOUT (1u << HAMT_BITS)
/** Branch levels: shifts 0, 5, ..., 60 cover all 64 bits of the hash. */
#define HAMT_MAX_DEPTH 13

/** A hash function for keys (hash_bytes() unless a test forces another). */
typedef uint64_t hamt_hash_fn(const void *key, size_t len);

/** A key as the trie stores it: its hash, its length, its bytes. */
typedef struct hamt_key {
    uint64_t hash;         /**< full 64-bit hash of the bytes */
    size_t len;            /**< length in bytes */
    unsigned char bytes[]; /**< the key itself */
} hamt_key;

typedef struct hamt_node hamt_node;

/** One slot of a node: a key and its value, or (key NULL) a child node. */
typedef struct hamt_slot {
    const hamt_key *key; /**< the key, or NULL when this slot is a child */
    union {
        void *val;        /**< the value, when key is not NULL */
        hamt_node *child; /**< the subtree, when key is NULL */
    } u;                  /**< what the slot holds */
} hamt_slot;

/**
 * A node.  A branch node has a non-zero bitmap and one slot per set bit; a
 * collision node has bitmap 0 and n >= 2 key slots whose keys have the same
 * hash.  Treat the fields as read-only outside hamt.c.
 */
struct hamt_node {
    uint64_t edit;     /**< token of the edit that may still mutate it */
    uint32_t bitmap;   /**< branch: which of the 32 indices are present */
    uint32_t n;        /**< number of slots */
    size_t size;       /**< number of keys in this subtree */
    hamt_slot slots[]; /**< n slots, in index order */
};

/** Something a write replaced, to be freed once no reader can hold it. */
typedef struct hamt_garbage {
    void *p;                   /**< the object */
    void (*free_fn)(void *p);  /**< how to free it */
    size_t bytes;              /**< its size, for accounting */
} hamt_garbage;

/** A private version under construction.  Fields are read-only outside. */
typedef struct hamt_edit {
    hamt_node *root;       /**< the private version (NULL = empty) */
    hamt_node *base;       /**< the version the edit started from */
    size_t base_bytes;     /**< its bytes */
    uint64_t token;        /**< nodes with this edit value are ours */
    hamt_hash_fn *hash;    /**< key hash */
    size_t bytes;          /**< bytes of nodes and keys of the version */
    hamt_garbage *garbage; /**< replaced objects, oldest first */
    size_t ngarbage;       /**< entries used */
    size_t capgarbage;     /**< entries allocated */
} hamt_edit;

/**
 * Look up a key in a version.
 *
 * \param root the version's root (NULL is the empty version).
 * \param hash the key's hash, as the tree's hash function computes it.
 * \param key  key bytes (may be NULL when klen is 0).
 * \param klen key length.
 * \return the value, or NULL if the key is absent.
 *
 * Thread-safety: safe on a published version from any thread; the nodes
 * must stay allocated for the duration (an epoch read section).
 */
void *hamt_get(const hamt_node *root, uint64_t hash, const void *key,
               size_t klen);

/**
 * Number of keys in a version.
 * \param root the version's root (NULL: 0).
 * \return the count, in O(1).
 */
size_t hamt_size(const hamt_node *root);

/** Callback for hamt_iterate(): return non-zero to stop. */
typedef int hamt_iter_fn(const hamt_key *key, void *val, void *arg);

/**
 * Call fn for every key of a version, in hash order.
 * \param root the version's root.
 * \param fn   the callback.
 * \param arg  passed to fn.
 * \return 0 after visiting every key, or the first non-zero fn returned.
 */
int hamt_iterate(const hamt_node *root, hamt_iter_fn *fn, void *arg);

/**
 * Start an edit of a version.
 *
 * \param e     the edit: zero-initialised before its first use, or one
 *              that ended (its garbage array is reused).
 * \param root  the version to start from; it is not modified.
 * \param bytes the version's node and key bytes (hamt_edit.bytes of the
 *              edit that made it; 0 for the empty version).
 * \param token a value never used by an earlier edit of this tree (a
 *              counter), and not 0.
 * \param hash  the tree's hash function (NULL: hash_bytes()).
 */
void hamt_edit_begin(hamt_edit *e, hamt_node *root, size_t bytes,
                     uint64_t token, hamt_hash_fn *hash);

/**
 * Insert or replace a key in the private version.
 *
 * \param e        the edit.
 * \param key      key bytes, copied on first insert.
 * \param klen     key length.
 * \param val      the value (any non-NULL pointer the caller owns).
 * \param replaced receives the old value (the caller's now: retire it
 *                 after publishing), or NULL if the key was new.
 * \return 0, or -1 with errno ENOMEM: the version then still holds the
 *         same keys and values, in canonical form (val stays the caller's).
 */
int hamt_edit_set(hamt_edit *e, const void *key, size_t klen, void *val,
                  void **replaced);

/**
 * Delete a key from the private version.  Its key copy goes on the
 * garbage list.
 *
 * \param e       the edit.
 * \param key     key bytes.
 * \param klen    key length.
 * \param removed receives the value (the caller's now), when found.
 * \return 1 if deleted, 0 if absent (nothing copied), -1 with errno ENOMEM
 *         (the version unchanged).
 */
int hamt_edit_del(hamt_edit *e, const void *key, size_t klen, void **removed);

/** Garbage entries one set or delete may add (one node per level, plus
 *  a key). */
#define HAMT_EDIT_RESERVE (HAMT_MAX_DEPTH + 2)

/**
 * Make room on the garbage list, so that the next hamt_edit_set(),
 * hamt_edit_del() and hamt_edit_defer() calls that fit cannot fail for
 * lack of it.
 *
 * \param e the edit.
 * \param n entries to have free (HAMT_EDIT_RESERVE per set or delete, one
 *          per defer).
 * \return 0, or -1 with errno ENOMEM.
 */
int hamt_edit_reserve(hamt_edit *e, size_t n);

/**
 * Add an object of the caller's to the garbage list (e.g. a replaced
 * value), so that it is retired with the nodes.
 *
 * \param e       the edit.
 * \param p       the object.
 * \param free_fn how to free it.
 * \param bytes   its size.
 * \return 0, or -1 with errno ENOMEM (p is then not on the list); never
 *         fails when room was reserved with hamt_edit_reserve().
 */
int hamt_edit_defer(hamt_edit *e, void *p, void (*free_fn)(void *),
                    size_t bytes);

/**
 * End an edit: hand every garbage entry to retire() and forget them.  Call
 * after publishing e->root.  The nodes of the edit are frozen from now on,
 * because no later edit uses the same token.
 *
 * \param e      the edit.
 * \param retire called once per garbage entry, oldest first.
 * \param ctx    passed to retire.
 */
void hamt_edit_end(hamt_edit *e,
                   void (*retire)(void *ctx, const hamt_garbage *g),
                   void *ctx);

/**
 * Give up an edit instead of ending it: free every node and key copy the
 * edit made, forget its garbage list (those objects still belong to the
 * base version, or are the caller's, like deferred values) and make root
 * the base version again.  This is how a batch that fails half-way leaves
 * no trace: nothing was published, so nothing needs retiring.
 *
 * \param e the edit, begun and not ended.  The values the edit stored are
 *          not touched: they are the caller's again.  e->bytes is reset
 *          to the base version's.
 */
void hamt_edit_abort(hamt_edit *e);

/**
 * Free the edit's garbage array (after hamt_edit_end()).
 * \param e the edit; it may be begun again afterwards.
 */
void hamt_edit_release(hamt_edit *e);

/**
 * Free a whole version: nodes, keys and (with val_free) values.  Only for
 * a version that shares no node with any other live one (store destroy).
 *
 * \param root     the root (NULL does nothing).
 * \param val_free called on every value, or NULL to leave them.
 */
void hamt_free_tree(hamt_node *root, void (*val_free)(void *));

/**
 * Bytes a node of n slots occupies.
 * \param n number of slots.
 * \return sizeof(hamt_node) + n * sizeof(hamt_slot).
 */
size_t hamt_node_bytes(size_t n);

/**
 * Check a version's invariants: bitmaps match slot counts, sizes add up,
 * every key sits on its hash's path, collision nodes hold equal hashes,
 * and the form is canonical (no empty node, no single-key subtree).
 *
 * \param root the version.
 * \param err  receives a description of the first violation.
 * \param errlen size of err.
 * \return 0 if the tree is valid, -1 otherwise.
 */
int hamt_check(const hamt_node *root, char *err, size_t errlen);

#endif
