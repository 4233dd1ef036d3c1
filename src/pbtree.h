/* pbtree.h - a persistent B+tree with subtree counts: lists, sorted sets, streams.
 * Chapter 8.
 *
 * Introduced in chapter 8 ("Values that change cheaply").  A value of
 * chapter 7 is flat and immutable, so changing one element of a big list,
 * sorted set or stream copies all of it.  This tree gives those types a
 * persistent representation: an edit copies only the nodes on one
 * root-to-leaf path (4 or 5 nodes for a million elements) and the new
 * version shares every other node with the old one, which stays intact
 * for the readers that still hold it.
 *
 * Why a B+tree.  Elements live in leaves only, in order; every internal
 * node keeps, per child, the number of elements below it and a pointer to
 * the child's first (smallest) element.  The counts give positions (get,
 * insert or delete at index i, rank of a key) in O(log n); the first
 * elements give ordered search without visiting a child to learn where it
 * starts.  A rope is a binary tree: the same O(log n), but about 20 levels
 * for a million elements, each a cache miss and a node to copy on every
 * edit.  A finger tree makes the ends O(1) but its middle edits and its
 * constant factors are far worse, and lists are rarely pushed without
 * being read.  A skip list cannot be persistent cheaply: a node is
 * reachable from many predecessors at many levels, so changing one
 * element would copy everything that points at it.  A B+tree has one
 * parent per node, few levels, and nodes that are arrays: the best shape
 * for both path copying and the cache.
 *
 * Fan-out.  A node has PBTREE_SLOTS = 32 slots.  A leaf is a 16-byte
 * header and 32 element pointers: 272 bytes, about four 64-byte cache
 * lines, read front to back (the hardware prefetcher follows).  An
 * internal node keeps three arrays of 32 (counts, first elements,
 * children): a positional descent reads only the counts, 256 bytes = 4
 * lines, and the one child pointer it picks; an ordered descent binary
 * searches the first elements (5 comparisons).  With nodes between 16 and
 * 32 full, a million elements is 4 or 5 levels (4 when the nodes are
 * full), and a path copy is 3 to 4 KiB of memcpy.  64 slots would save
 * one level but double every copy (an edit copies whole nodes), 16 would
 * add a level of misses: 32 is the balance.
 *
 * Fill.  Every node other than the root holds at least PBTREE_MIN = 16
 * slots, except the first and the last node of each level (the tree's
 * left and right edges), which hold at least one; the root holds at least
 * one element as a leaf and two children as an internal node.  The edges
 * are the exception because of how lists are built: RPUSH, and loading a
 * list from an RDB file, append at the end over and over.  Were a full
 * node split evenly there, every node left behind would stay half full
 * forever (a million appends: 20 MB of nodes for 8 MB of pointers, 5
 * levels).  So an insert at the tree's very end splits a full node into a
 * full left node and a right node holding only the new slot, and an
 * insert at the very front does the mirror image: n appends or prepends
 * leave ceil(n / 32) full leaves but the last and the fewest levels
 * possible (a million: 9.3 MB, 4 levels).  The one-slot node is always on
 * an edge, and nothing can later be put beside it on the outside, so the
 * relaxed rule covers it; a delete fixes an edge node only when it
 * empties, any other one when it drops under PBTREE_MIN.  Inserts in the
 * middle split evenly, and pbtree_from_array() builds full nodes directly.
 *
 * Elements.  The tree stores opaque pointers and never looks inside them:
 * the pbtree_ops given at creation say how to retain and release one (an
 * element shared by several versions is retained once per slot that holds
 * it, a first-element pointer in an internal node included), how to
 * compare two (only for ordered use) and how big one is (accounting).
 *
 * Versions and transients.  A version (pbtree *) is reference counted.
 * An edit of a version returns a new version and leaves the old one as it
 * was.  pbtree_edit_begin() returns a transient instead: the nodes an edit
 * of a transient creates carry the transient's edit token, and the next
 * edits of the same transient change those nodes in place, so a batch of
 * k edits copies each node at most once; pbtree_edit_end() freezes it into
 * a version.  This is chapter 5's edit token, applied to a B+tree.
 *
 * Failure.  Every edit allocates what it needs before it changes anything
 * (a range delete, which cannot know that in advance, works on a private
 * fork and drops it), so on ENOMEM it returns -1 and the tree it was given
 * (version or transient) holds exactly what it held, with nothing leaked.
 *
 * Thread-safety.  One writer thread makes every edit and every
 * retain/release; reference counts are plain integers because only that
 * thread touches them.  Readers (pbtree_len(), pbtree_get(),
 * pbtree_rank(), the iterators) never touch a reference count: a reader
 * is protected by the project's epochs (chapter 3), and the writer hands a
 * version it replaces to ebr, which calls pbtree_release() after the grace
 * period, once no reader can still hold it.  A published version is never
 * modified, so any number of readers may read it at once.  A transient
 * belongs to the writer alone until pbtree_edit_end().
 */
#ifndef PBTREE_H
#define PBTREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Slots per node (children of an internal node, elements of a leaf). */
#define PBTREE_SLOTS 32
/** Fewest slots of a node other than the root. */
#define PBTREE_MIN (PBTREE_SLOTS / 2)
/** Levels a tree may have: a full 16-way tree of this height is far
 *  beyond 2^64 elements. */
#define PBTREE_MAX_HEIGHT 20

/** What the tree needs to know about its elements. */
typedef struct pbtree_ops {
    /** Take one more reference to an element (NULL: elements are not
     *  reference counted). */
    void (*retain)(void *elem);
    /** Drop one reference (NULL: nothing to do). */
    void (*release)(void *elem);
    /** Order of two elements, <0, 0, >0; b may be a search key of the same
     *  form.  NULL for positional use only (lists). */
    int (*compare)(const void *a, const void *b);
    /** Bytes an element occupies, for pbtree_bytes() (NULL: 0). */
    size_t (*size)(const void *elem);
} pbtree_ops;

/** A version or a transient; opaque. */
typedef struct pbtree pbtree;
/** A node; opaque outside pbtree*.c. */
typedef struct pbtree_node pbtree_node;

/**
 * Make an empty version.
 * \param ops the element operations; copied, so the table need not
 *            outlive the call.
 * \return the version (reference count 1), or NULL with errno ENOMEM.
 */
pbtree *pbtree_new(const pbtree_ops *ops);

/**
 * Take one more reference to a version (the writer thread only).
 * \param t a version (not a transient).
 * \return t.
 */
pbtree *pbtree_retain(pbtree *t);

/**
 * Drop one reference to a version or a transient.  When the last goes,
 * every node no other live version reaches is freed and its elements
 * released, each exactly once.  Writer thread only; for a published
 * version, only after an epoch grace period (readers hold no reference).
 * \param t the version (NULL does nothing).
 */
void pbtree_release(pbtree *t);

/**
 * Number of elements.
 * \param t the version.
 * \return the count, O(1).  Thread-safety: any reader.
 */
size_t pbtree_len(const pbtree *t);

/**
 * Height of the tree (0 when empty, 1 when the root is a leaf).
 * \param t the version.
 * \return the number of levels.
 */
unsigned pbtree_height(const pbtree *t);

/**
 * Element at a position, O(log n).
 * \param t the version.
 * \param i the position, 0-based.
 * \return the element (still the tree's), or NULL when i >= length.
 */
void *pbtree_get(const pbtree *t, size_t i);

/**
 * Bytes this version occupies if it shared nothing: its nodes, plus what
 * ops.size says of each element.  O(n); for accounting and reports.
 * \param t the version.
 * \return the byte count.
 */
size_t pbtree_bytes(const pbtree *t);

/** Shape of a tree, for tests and reports (pbtree_stats()). */
typedef struct pbtree_stats {
    size_t nodes;  /**< nodes, leaves included */
    size_t leaves; /**< leaves */
    size_t slots;  /**< slots in use: elements in leaves plus children of
                        internal nodes; nodes * PBTREE_SLOTS is the most */
    unsigned height; /**< levels (pbtree_height()) */
} pbtree_stats;

/**
 * Count the nodes and used slots of a version or transient, O(n / 16).
 * A node shared with other versions counts as if it were this tree's
 * alone.
 * \param t the tree.
 * \param st receives the figures.
 * Thread-safety: any reader.
 */
void pbtree_stats_get(const pbtree *t, pbtree_stats *st);

/* ---- edits --------------------------------------------------------------
 *
 * Every edit takes t (a version or a transient) and sets *out:
 *  - t a version: *out is a new version (reference count 1, the caller's),
 *    and t is untouched and still the caller's.  When an edit changes
 *    nothing (a key that is absent), *out is t with one more reference.
 *  - t a transient: t is changed in place and *out is t.
 * On failure the return value is -1, errno says why (ENOMEM; EINVAL for a
 * position out of range or an ordered edit of a tree without compare), *out
 * is not written and t holds what it held.  Elements given to an edit are
 * retained by the tree; the caller keeps its own reference.
 * Thread-safety: the writer thread only.
 */

/**
 * Insert an element at a position, O(log n).
 * \param t    the tree.
 * \param i    where, 0..length (length appends).
 * \param elem the element (retained).
 * \param out  receives the result (see above).
 * \return 0, or -1 with errno ENOMEM or EINVAL (i > length).
 */
int pbtree_insert(pbtree *t, size_t i, void *elem, pbtree **out);

/**
 * Insert at the front (LPUSH).
 * \param t the tree. \param elem the element. \param out the result.
 * \return as pbtree_insert().
 */
int pbtree_push_front(pbtree *t, void *elem, pbtree **out);

/**
 * Append at the back (RPUSH).
 * \param t the tree. \param elem the element. \param out the result.
 * \return as pbtree_insert().
 */
int pbtree_push_back(pbtree *t, void *elem, pbtree **out);

/**
 * Replace the element at a position (LSET), O(log n).
 * \param t    the tree.
 * \param i    the position, < length.
 * \param elem the new element (retained; the old one is released).
 * \param out  the result.
 * \return 0, or -1 with errno ENOMEM or EINVAL.
 */
int pbtree_set(pbtree *t, size_t i, void *elem, pbtree **out);

/**
 * Delete the element at a position, O(log n).
 * \param t   the tree.
 * \param i   the position, < length.
 * \param out the result.
 * \return 0, or -1 with errno ENOMEM or EINVAL.
 */
int pbtree_delete(pbtree *t, size_t i, pbtree **out);

/**
 * Delete the positions [i, j) (LTRIM, ZREMRANGEBYRANK) in O(k + log^2 n)
 * for k = j - i: a subtree wholly inside the range is dropped with one
 * release (freeing it is the O(k), and costs nothing while another version
 * still shares it), and only the nodes on the paths to the range's two
 * ends are copied and rebalanced.
 * \param t   the tree.
 * \param i   first position deleted.
 * \param j   first position kept after them; i <= j <= length.
 * \param out the result.
 * \return 0, or -1 with errno ENOMEM or EINVAL.
 */
int pbtree_delete_range(pbtree *t, size_t i, size_t j, pbtree **out);

/**
 * Build a version holding elems[0..n) in that order, O(n), for loading a
 * value whose elements are all known (an RDB list, a sorted set given in
 * order).  Every node is full except the last one or two of each level,
 * which share what is left (the last holds at least PBTREE_MIN unless it
 * is alone on its level): about n * 8 * 33/32 bytes of nodes, and the
 * fewest levels possible.  For ordered use the caller gives the elements
 * strictly increasing under ops.compare (not checked here; pbtree_check()
 * does).
 * \param ops   the element operations (copied).
 * \param elems the elements, each retained once by the tree; the array
 *              stays the caller's.  May be NULL when n is 0.
 * \param n     how many.
 * \param out   receives the version (reference count 1, the caller's).
 * \return 0, or -1 with errno ENOMEM: then *out is not written, nothing
 *         is leaked and every element has the references it had.
 * Thread-safety: any thread; the result is a version like any other.
 */
int pbtree_from_array(const pbtree_ops *ops, void *const *elems, size_t n,
                      pbtree **out);

/* ---- ordered use (ops.compare set) -------------------------------------- */

/**
 * Rank of the first element >= key, O(log n) comparisons.
 * \param t     the version (its ops.compare must be set).
 * \param key   what to look for, passed as compare's second argument.
 * \param equal receives whether the element at that rank equals key (may
 *              be NULL).
 * \return the rank, 0..length (length: every element is smaller).
 */
size_t pbtree_rank(const pbtree *t, const void *key, bool *equal);

/**
 * Insert an element in order.  Elements are unique under compare: when an
 * equal one is present, it is replaced by elem if replace is true, and
 * left as it is otherwise.
 * \param t       the tree.
 * \param elem    the element (retained when stored).
 * \param replace whether an equal element is replaced.
 * \param out     the result.
 * \return 1 if inserted, 0 if an equal element was present, -1 with errno
 *         ENOMEM or EINVAL (no compare).
 */
int pbtree_add(pbtree *t, void *elem, bool replace, pbtree **out);

/**
 * Delete the element equal to key, if any.
 * \param t   the tree.
 * \param key the key.
 * \param out the result.
 * \return 1 if deleted, 0 if absent, -1 with errno ENOMEM or EINVAL.
 */
int pbtree_remove(pbtree *t, const void *key, pbtree **out);

/* ---- transients --------------------------------------------------------- */

/**
 * Start a batch of edits on a version.  The transient shares every node
 * with t; each node an edit copies is copied once for the whole batch.
 * \param t the version (not modified; still the caller's; it may be
 *          released while the transient lives).
 * \return the transient, or NULL with errno ENOMEM, or EINVAL when t is
 *         itself a transient.
 */
pbtree *pbtree_edit_begin(pbtree *t);

/**
 * Freeze a transient into a version: its nodes are never changed again.
 * \param t the transient (it becomes the returned version).
 * \return t, now a version with reference count 1.
 */
pbtree *pbtree_edit_end(pbtree *t);

/**
 * Whether t is a transient (between pbtree_edit_begin() and
 * pbtree_edit_end()).
 * \param t the tree.
 * \return true for a transient.
 */
bool pbtree_is_transient(const pbtree *t);

/* ---- iteration ---------------------------------------------------------- */

/** A position in a version; readers may use it freely (no references). */
typedef struct pbtree_iter {
    const pbtree *t;                            /**< the version */
    const pbtree_node *nd[PBTREE_MAX_HEIGHT];   /**< node per level */
    unsigned idx[PBTREE_MAX_HEIGHT];            /**< slot per level */
    size_t pos;                                 /**< position, or
                                                     SIZE_MAX before 0 */
} pbtree_iter;

/**
 * Place an iterator at a position, O(log n).
 * \param it the iterator.
 * \param t  the version; must not change or be freed while it is used.
 * \param i  the position; length (or more) is the end.
 */
void pbtree_iter_seek(pbtree_iter *it, const pbtree *t, size_t i);

/**
 * Place an iterator at the first element >= key (ops.compare set).
 * \param it the iterator. \param t the version. \param key the key.
 */
void pbtree_iter_seek_key(pbtree_iter *it, const pbtree *t, const void *key);

/**
 * Whether the iterator is at an element.
 * \param it the iterator.
 * \return false at the end or before the start.
 */
bool pbtree_iter_valid(const pbtree_iter *it);

/**
 * The element at the iterator.
 * \param it a valid iterator.
 * \return the element (the tree's).
 */
void *pbtree_iter_elem(const pbtree_iter *it);

/**
 * The iterator's position.
 * \param it the iterator.
 * \return 0..length-1, length at the end, SIZE_MAX before the start.
 */
size_t pbtree_iter_pos(const pbtree_iter *it);

/**
 * Move forward one element, amortised O(1).  From before the start it goes
 * to position 0; at the end it stays there.
 * \param it the iterator.
 */
void pbtree_iter_next(pbtree_iter *it);

/**
 * Move back one element, amortised O(1).  From the end it goes to the last
 * element; from position 0 to before the start, where it stays.
 * \param it the iterator.
 */
void pbtree_iter_prev(pbtree_iter *it);

/* ---- checking ----------------------------------------------------------- */

/**
 * Check every invariant of a version or transient: the length, uniform
 * depth, fill (1..32 elements in a leaf root, 2..32 children in an
 * internal root, 1..32 slots in the first and last node of every other
 * level, 16..32 slots in every other node), the count and first-element
 * pointer of every child, order (strictly increasing when ops.compare is
 * set), reference counts >= 1 (and exactly 1 on a node a transient
 * owns).  O(n).
 * \param t      the tree.
 * \param err    receives a description of the first violation.
 * \param errlen size of err.
 * \return 0 if valid, -1 otherwise.
 */
int pbtree_check(const pbtree *t, char *err, size_t errlen);

#endif
