/* ptrie.h - a persistent hash trie (CHAMP): hash fields, set members.
 * Chapter 8.
 *
 * Introduced in chapter 8 ("Values that change cheaply").  A hash, a set,
 * and the member index of a sorted set are unordered collections looked up
 * by key.  This trie gives them a persistent form: an edit copies only the
 * nodes on one root-to-element path (4 or 5 for a million elements) and
 * the new version shares every other node with the old one, which stays
 * intact for the readers that still hold it.  Chapter 5's HAMT is the key
 * table of one store and frees through garbage lists; this one is its
 * generic sibling with reference-counted nodes, the convention of every
 * chapter 8 structure (src/pbtree.h), so that thousands of small values
 * can each share structure between versions.
 *
 * Shape.  The design is CHAMP (Steindorfer and Vinju, "Optimizing
 * Hash-Array Mapped Tries for Fast and Lean Immutable JVM Collections",
 * OOPSLA 2015).  A 64-bit hash of the element's key is cut into 5-bit
 * chunks; the chunk at depth d picks one of 32 positions of a node.  A
 * node keeps two 32-bit bitmaps: datamap (positions holding an element)
 * and nodemap (positions holding a child), never both for one position.
 * Its slots are one array, the elements first (in position order), then
 * the children (in position order), each slot ONE 8-byte pointer: an
 * element's place is popcount(datamap below its bit), a child's is the
 * number of elements plus popcount(nodemap below its bit).  A classic
 * HAMT (Bagwell 2001), and chapter 5's, marks each 16-byte slot as
 * element or child; CHAMP's second bitmap says that instead, so a slot is
 * half the size, and a node is allocated with exactly as many slots as it
 * uses.
 *
 * Memory and cache lines.  A node is a 32-byte header (reference count,
 * the two bitmaps, the edit token of a transient, the number of elements
 * below it) and 8 bytes per slot.  Every element costs its one slot; the
 * rest is the nodes' headers and child pointers.  With keyed random
 * hashes, a million elements fill the root, its 32 children and their
 * 1024 children almost completely; about 30 elements meet in each of the
 * 32768 nodes below those, and wherever two of them share a chunk they
 * need a small node one level further down.  Measured (ptrie_stats_get(),
 * node_bytes / elems): 308,023 nodes, 20.3 bytes per element, of which 8
 * are the element's own slot; chapter 5's HAMT spends 16 per slot.  A
 * lookup reads, per level, the header's line and the line of the one slot
 * it needs (a 32-byte header leaves room for four slots in a 64-byte
 * line, so in small nodes the two are often one).  Elements
 * come before children in a node, and most lookups end at an element
 * stored in a node, one key comparison away.
 *
 * Hashes are not stored.  Whenever a hash is needed (a lookup, or an
 * insert that must push an existing element one level down) the key bytes
 * are hashed again with hash_bytes() (SipHash-1-3, keyed per process,
 * src/hash.h).  Storing them would cost 8 bytes per element, as much as
 * the slot itself; a push-down rehashes one element, and is rare.
 *
 * Canonical form.  Every node other than the root holds at least two
 * elements below it: when a delete leaves a subtree with one element, that
 * element moves up into the slot where the subtree was (and further up
 * while its parent would be left with one).  So the shape depends only on
 * the set of elements, never on the order of edits: each element sits at
 * the shallowest depth where no other element shares its hash chunks, two
 * versions with the same elements have the same nodes and iterate in the
 * same order (elements of one full hash aside, see below), and no chain of
 * one-child nodes outlives the elements that needed it.
 *
 * Collisions.  Twelve levels use 60 bits and the thirteenth the last 4;
 * elements whose 64-bit hashes are equal meet at depth PTRIE_HASH_LEVELS
 * (13) in a collision node: no bitmaps, just the elements in a short
 * array, searched by comparing keys.  With SipHash that needs about 2^32
 * elements to happen once by chance; ptrie_set_hash_fn() lets a test force
 * it.
 *
 * Order and positions.  Iteration visits elements in hash order: at each
 * node, positions from 0 to 31, an element or a whole child subtree at a
 * time (within a collision node, in the order they were added).  Every
 * node counts the elements below it, so ptrie_nth() finds the i-th
 * element of that order in O(log n) (at most 32 child counts a level), for
 * the random picks of SRANDMEMBER, HRANDFIELD and SPOP.
 *
 * Elements.  The trie stores opaque pointers: the ptrie_ops given at
 * creation say how to retain and release one (an element shared by several
 * versions is retained once per node slot that holds it), where its key
 * bytes are, and how big it is (accounting).
 *
 * The price of reference counts.  Copying a node for an edit of a version
 * takes a reference to each of its children (up to 32 a level, one cache
 * line each), and releasing the replaced version drops them again, where
 * chapter 5's HAMT, which frees through garbage lists, touches no child.
 * So a one-element edit of a big version costs about twice the HAMT's
 * (lookups cost less: the slots are half the size).  What buys it: any
 * number of versions of any number of values share nodes safely, and a
 * transient batch copies each node once and touches no count after that.
 *
 * Versions and transients, failure, threads: exactly as for the B+tree
 * (src/pbtree.h).  A version is reference counted and never changes; an
 * edit returns a new version.  A transient (ptrie_edit_begin()) changes
 * the nodes it made itself in place, so a batch copies each node at most
 * once.  Every edit allocates all it needs before it changes anything, so
 * on ENOMEM it returns -1 and the trie holds what it held.  One writer
 * thread makes every edit, retain and release (plain counts); readers
 * (ptrie_len(), ptrie_get(), ptrie_nth(), the iterator) touch no count and
 * are protected by epochs (chapter 3): the writer retires a replaced
 * version through ebr and releases it after the grace period.
 */
#ifndef PTRIE_H
#define PTRIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Bits of the hash each level consumes. */
#define PTRIE_BITS 5
/** Depth of the collision nodes: levels 0..12 consume the 64 hash bits
 *  (5 each, the last one 4). */
#define PTRIE_HASH_LEVELS 13
/** Most nodes on a path from the root: the hash levels and a collision
 *  node. */
#define PTRIE_LEVELS (PTRIE_HASH_LEVELS + 1)

/** What the trie needs to know about its elements. */
typedef struct ptrie_ops {
    /** Take one more reference to an element (NULL: elements are not
     *  reference counted). */
    void (*retain)(void *elem);
    /** Drop one reference (NULL: nothing to do). */
    void (*release)(void *elem);
    /** The element's key bytes and their length; required.  Two elements
     *  are the same member when their keys are equal byte for byte. */
    const void *(*key)(const void *elem, size_t *len);
    /** Bytes an element occupies, for ptrie_bytes() (NULL: 0). */
    size_t (*size)(const void *elem);
} ptrie_ops;

/** A version or a transient; opaque. */
typedef struct ptrie ptrie;
/** A node; opaque outside ptrie*.c. */
typedef struct ptrie_node ptrie_node;

/** A hash function of key bytes (ptrie_set_hash_fn()). */
typedef uint64_t ptrie_hash_fn(const void *key, size_t len);

/**
 * Make an empty version.
 * \param ops the element operations; copied, so the table need not
 *            outlive the call.  ops->key must be set.
 * \return the version (reference count 1), or NULL with errno ENOMEM
 *         (EINVAL when ops->key is NULL).
 */
ptrie *ptrie_new(const ptrie_ops *ops);

/**
 * Replace the hash function of an empty trie, for tests: a function that
 * maps many keys to one value makes collision nodes, which SipHash would
 * need billions of keys to make.  Versions and transients made from t
 * inherit it.
 * \param t  an empty version or transient.
 * \param fn the function, or NULL for hash_bytes() (the default).
 * \return 0, or -1 with errno EINVAL when t is not empty.
 */
int ptrie_set_hash_fn(ptrie *t, ptrie_hash_fn *fn);

/**
 * The hash t uses for a key: hash_bytes() unless ptrie_set_hash_fn() set
 * another.  For ptrie_get_hashed().
 * \param t the trie. \param key the key bytes. \param len their length.
 * \return the 64-bit hash.  Thread-safety: any reader.
 */
uint64_t ptrie_hash(const ptrie *t, const void *key, size_t len);

/**
 * Take one more reference to a version (the writer thread only).
 * \param t a version.
 * \return t.
 */
ptrie *ptrie_retain(ptrie *t);

/**
 * Drop one reference to a version or a transient.  When the last goes,
 * every node no other live version reaches is freed and its elements
 * released, each exactly once.  Writer thread only; for a published
 * version, only after an epoch grace period (readers hold no reference).
 * \param t the version (NULL does nothing).
 */
void ptrie_release(ptrie *t);

/**
 * Number of elements.
 * \param t the version.
 * \return the count, O(1).  Thread-safety: any reader.
 */
size_t ptrie_len(const ptrie *t);

/**
 * Find the element with a key.
 * \param t   the version.
 * \param key the key bytes (may be NULL when len is 0).
 * \param len their length.
 * \return the element (still the trie's), or NULL.  Thread-safety: any
 *         reader, on a version that is not freed meanwhile.
 */
void *ptrie_get(const ptrie *t, const void *key, size_t len);

/**
 * ptrie_get() with the hash already computed, for a caller that looks the
 * same key up in several tries.
 * \param t    the version.
 * \param hash ptrie_hash(t, key, len) (hash_bytes(key, len) by default).
 * \param key  the key bytes. \param len their length.
 * \return the element, or NULL.  Thread-safety: any reader.
 */
void *ptrie_get_hashed(const ptrie *t, uint64_t hash, const void *key,
                       size_t len);

/**
 * The i-th element in iteration (hash) order, O(log n).
 * \param t the version.
 * \param i the position, 0-based.
 * \return the element, or NULL when i >= length.  Thread-safety: any
 *         reader.
 */
void *ptrie_nth(const ptrie *t, size_t i);

/**
 * Bytes this version occupies if it shared nothing: its header and nodes,
 * plus what ops.size says of each element.  O(n).
 * \param t the version.
 * \return the byte count.
 */
size_t ptrie_bytes(const ptrie *t);

/** Shape of a trie, for tests and reports (ptrie_stats_get()). */
typedef struct ptrie_stats {
    size_t nodes;           /**< nodes, collision nodes included */
    size_t elems;           /**< elements (ptrie_len()) */
    size_t collision_nodes; /**< nodes at depth PTRIE_HASH_LEVELS */
    size_t node_bytes;      /**< bytes of the nodes (headers and slots) */
    unsigned depth;         /**< levels: 0 empty, 1 only a root */
} ptrie_stats;

/**
 * Count the nodes of a version or transient, O(nodes).  A node shared with
 * other versions counts as if it were this trie's alone.
 * \param t  the trie.
 * \param st receives the figures.
 * Thread-safety: any reader.
 */
void ptrie_stats_get(const ptrie *t, ptrie_stats *st);

/* ---- edits --------------------------------------------------------------
 *
 * Every edit takes t (a version or a transient) and sets *out, exactly as
 * pbtree's edits do:
 *  - t a version: *out is a new version (reference count 1, the caller's),
 *    and t is untouched and still the caller's.  When an edit changes
 *    nothing (a key that is absent, or present and not replaced, or
 *    replaced by the very element it holds), *out is t with one more
 *    reference.
 *  - t a transient: t is changed in place and *out is t.
 * On failure the return value is -1, errno is ENOMEM, *out is not written
 * and t holds what it held, with nothing leaked.  Elements given to an edit
 * are retained by the trie; the caller keeps its own reference.
 * Thread-safety: the writer thread only.
 */

/**
 * Add an element, or replace the one with an equal key.
 * \param t       the trie.
 * \param elem    the element (not NULL; retained when stored).
 * \param replace whether an element with an equal key is replaced by elem
 *                (released) or left as it is.
 * \param out     receives the result (see above).
 * \return 1 if inserted, 0 if an element with an equal key was there, -1
 *         with errno ENOMEM.
 */
int ptrie_put(ptrie *t, void *elem, bool replace, ptrie **out);

/**
 * Remove the element with a key, if any.
 * \param t   the trie.
 * \param key the key bytes. \param len their length.
 * \param out receives the result (see above).
 * \return 1 if removed (released), 0 if absent, -1 with errno ENOMEM.
 */
int ptrie_remove(ptrie *t, const void *key, size_t len, ptrie **out);

/* ---- transients --------------------------------------------------------- */

/**
 * Start a batch of edits on a version.  The transient shares every node
 * with t; each node an edit copies is copied once for the whole batch.
 * \param t the version (not modified; still the caller's; it may be
 *          released while the transient lives).
 * \return the transient, or NULL with errno ENOMEM, or EINVAL when t is
 *         itself a transient.
 */
ptrie *ptrie_edit_begin(ptrie *t);

/**
 * Freeze a transient into a version: its nodes are never changed again.
 * \param t the transient (it becomes the returned version).
 * \return t, now a version with reference count 1.
 */
ptrie *ptrie_edit_end(ptrie *t);

/**
 * Whether t is a transient (between ptrie_edit_begin() and
 * ptrie_edit_end()).
 * \param t the trie.
 * \return true for a transient.
 */
bool ptrie_is_transient(const ptrie *t);

/* ---- iteration ---------------------------------------------------------- */

/** A walk through a version in hash order; readers may use it freely (it
 *  holds no references). */
typedef struct ptrie_iter {
    const ptrie *t;                      /**< the version */
    const ptrie_node *nd[PTRIE_LEVELS];  /**< node per level, root first */
    unsigned idx[PTRIE_LEVELS];          /**< per level, the next position
                                              (0..32) of a node, or the
                                              next element of a collision
                                              node */
    unsigned depth;                      /**< levels on the stack; 0 at
                                              the end */
    size_t pos;                          /**< elements returned so far */
} ptrie_iter;

/**
 * Place an iterator before the first element.
 * \param it the iterator.
 * \param t  the version; must not change or be freed while it is used.
 */
void ptrie_iter_init(ptrie_iter *it, const ptrie *t);

/**
 * The next element, amortised O(1).
 * \param it the iterator.
 * \return the element (the trie's), or NULL at the end (and after it).
 */
void *ptrie_iter_next(ptrie_iter *it);

/* ---- checking ----------------------------------------------------------- */

/**
 * Check every invariant of a version or transient: the two bitmaps of a
 * node are disjoint (and use 4 bits at depth 12), each element sits at the
 * position its hash says, a collision node (depth 13, no bitmaps) holds
 * two or more elements of one hash and no two equal keys, each node's
 * count is the elements below it and the root's is the length, every node
 * but the root holds two or more elements (canonical form), reference
 * counts are >= 1 (exactly 1 on a node a transient owns).  O(n).
 * \param t      the trie.
 * \param err    receives a description of the first violation.
 * \param errlen size of err.
 * \return 0 if valid, -1 otherwise.
 */
int ptrie_check(const ptrie *t, char *err, size_t errlen);

#endif
