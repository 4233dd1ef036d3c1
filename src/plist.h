/* plist.h - a persistent Redis list: LPUSH, LSET and LTRIM that leave old versions intact.
 * Chapter 8.
 *
 * A Redis list value changes one element at a time (LPUSH, RPOP, LSET,
 * LINSERT, LREM, LTRIM).  A plist is a version like the other values
 * of this chapter: an edit returns a new version in O(log n), and the version
 * it was made from stays as it was for the readers that hold it.  Its
 * items are velem objects (velem.h), shared between versions by
 * reference count, so LMOVE hands the very same element from one list to
 * another.
 *
 * Two forms.  A small list is FLAT: one immutable array of element
 * pointers, copied whole by an edit.  A bigger one is a TREE: a pbtree
 * (pbtree.h) used by position, where an edit copies one root-to-leaf
 * path.  Which form a list has is invisible except through
 * plist_encoding(), which names what Redis's OBJECT ENCODING would say
 * of the same list: "listpack" for the flat form, "quicklist" for the
 * tree.
 *
 * Where the line is.  Redis 7.2 keeps a list as one listpack while its
 * bytes fit list-max-listpack-size (default -2: 8 KiB) and turns it back
 * into a listpack only when it has shrunk to half of that, so that a list
 * hovering at the limit is not converted on every edit (redis/redis
 * src/t_list.c, listTypeTryConvertListpack() and
 * listTypeTryConvertQuicklist(), which halves both limits when
 * shrinking; the limit itself is quicklistNodeLimit() in
 * src/quicklist.c).  The flat form here follows the same rule on the
 * bytes of its items (max_bytes, default 8192: the payload, where Redis
 * counts its encoded listpack), and adds a limit on entries (max_entries,
 * default 64) that Redis does not need: a listpack stores a small item
 * in two or three bytes, but each of our slots is an 8-byte pointer to an
 * element whose reference count an edit must raise, so an edit of the
 * flat form costs n retains and n releases (the old version's, when it
 * goes), where a tree edit copies one path (a 32-slot leaf and its
 * parents).  Measured side by side (a throwaway program editing versions
 * of a list of short items, 7 runs each), a flat LPUSH or LSET costs
 * about the same as the tree's at 64 items, 1.6 to 1.8 times as much at
 * 128 and 2.6 to 3 times at 256, while the flat form stays 2 to 3 times
 * faster to read by index and a fifth to a third smaller.  So a list is
 * flat while it has at most max_entries items whose lengths add up to at
 * most max_bytes; it turns into a tree when an edit takes it past
 * either, and back into the flat form when an edit that does not add an
 * item (a delete, a pop, LSET, LREM, LTRIM) leaves it with at most
 * max_entries / 2 items and max_bytes / 2 bytes.  Both limits are one
 * process-wide setting (plist_set_limits()).
 *
 * Versions and transients.  Exactly pbtree's conventions (the "edits"
 * block of pbtree.h), restated at the edits below.  plist_edit_begin()
 * returns a transient: its flat array is its own and grows in place, its
 * tree is a pbtree transient, so k edits of a transient cost O(k log n)
 * and copy each node at most once.  Loading a list from an RDB file is
 * plist_from_array() when every item is known, or a transient.
 *
 * Failure.  Every edit allocates what it needs before it changes
 * anything: on ENOMEM it returns -1, *out is not written, the list it was
 * given (version or transient) holds exactly what it held, and nothing is
 * leaked.
 *
 * Thread-safety.  One writer thread makes every edit and every
 * retain/release (reference counts are plain integers).  Readers
 * (plist_len(), plist_get(), plist_find(), the iterators, plist_bytes(),
 * plist_check()) never touch a count and may read a published version
 * from any thread, protected by epochs (chapter 3): the writer hands a
 * replaced version to ebr, whose callback (run by the writer's
 * ebr_reclaim()) calls plist_release().  A transient belongs to the
 * writer alone until plist_edit_end().
 */
#ifndef PLIST_H
#define PLIST_H

#include "pbtree.h"
#include "velem.h"

#include <stdbool.h>
#include <stddef.h>

/** Default most items of a flat list (see the file comment). */
#define PLIST_DEFAULT_MAX_ENTRIES 64
/** Default most bytes (item lengths added up) of a flat list: Redis's
 *  list-max-listpack-size -2, 8 KiB. */
#define PLIST_DEFAULT_MAX_BYTES 8192

/** A version or a transient; opaque. */
typedef struct plist plist;

/**
 * Set where the flat form ends, for every list of the process.
 * \param max_entries most items of a flat list.
 * \param max_bytes   most bytes (item lengths added up) of a flat list.
 * Thread-safety: the writer thread, before lists are made (a list made
 * under other limits is still correct, and takes the new limits at its
 * next edit; plist_check() checks against the current ones).
 */
void plist_set_limits(size_t max_entries, size_t max_bytes);

/**
 * Make an empty list (flat).
 * \return the version (reference count 1), or NULL with errno ENOMEM.
 */
plist *plist_new(void);

/**
 * Take one more reference to a version (the writer thread only).
 * \param l the version.
 * \return l.
 */
plist *plist_retain(plist *l);

/**
 * Drop one reference to a version or a transient; the last frees it and
 * releases what it holds (items another version holds live on).  Writer
 * thread only; for a published version only after an epoch grace period.
 * \param l the list (NULL does nothing).
 */
void plist_release(plist *l);

/**
 * Number of items (LLEN), O(1).
 * \param l the list.
 * \return the count.  Thread-safety: any reader.
 */
size_t plist_len(const plist *l);

/**
 * Item at a position (LINDEX), O(1) flat, O(log n) as a tree.
 * \param l the list.
 * \param i the position from the head, 0-based (a negative Redis index is
 *          the caller's to turn into len + index).
 * \return the item (still the list's: retain it to keep it beyond the
 *         version's life), or NULL when i >= length.
 * Thread-safety: any reader.
 */
const velem *plist_get(const plist *l, size_t i);

/**
 * The encoding OBJECT ENCODING would report for the same list.
 * \param l the list.
 * \return "listpack" (flat) or "quicklist" (tree), a static string.
 */
const char *plist_encoding(const plist *l);

/**
 * Heap bytes this list occupies as if it shared nothing: its header, its
 * array or tree nodes, and every item (velem_bytes()).  O(n).
 * \param l the list.
 * \return the byte count.  Thread-safety: any reader.
 */
size_t plist_bytes(const plist *l);

/**
 * Bytes of this version's own header struct: not its array or tree nodes and items, which
 * versions share by structural sharing.  O(1), and the same for every
 * version; value_charge() counts it for a stored value.
 * \param l the list. \return sizeof the header struct.  Thread-safety:
 *         any reader.
 */
size_t plist_root_bytes(const plist *l);

/**
 * Check every invariant: the length, each item present with a reference,
 * the flat form's byte total, the form matching the current limits (flat:
 * at most max_entries items and max_bytes bytes; tree: more than
 * max_entries / 2 items or more than max_bytes / 2 bytes), and
 * pbtree_check() of the tree.  O(n).
 * \param l      the list.
 * \param err    receives a description of the first violation.
 * \param errlen size of err.
 * \return 0 if valid, -1 otherwise.
 */
int plist_check(const plist *l, char *err, size_t errlen);

/**
 * Build a version holding elems[0..n) in that order (loading an RDB
 * list): flat when it fits the limits, otherwise a tree of full nodes
 * built at once (pbtree_from_array()), O(n).
 * \param elems the items, each retained once by the list; the array and
 *              its references stay the caller's.  May be NULL when n is 0.
 * \param n     how many.
 * \param out   receives the version (reference count 1).
 * \return 0, or -1 with errno ENOMEM (nothing leaked, every item's count
 *         as it was).
 */
int plist_from_array(velem *const *elems, size_t n, plist **out);

/* ---- edits --------------------------------------------------------------
 *
 * Every edit takes l (a version or a transient) and sets *out:
 *  - l a version: *out is a new version (reference count 1, the caller's)
 *    and l is untouched and still the caller's.  When the edit changes
 *    nothing, *out is l with one more reference.
 *  - l a transient: l is changed in place and *out is l.
 * On failure the return value is -1, errno says why (ENOMEM; EINVAL for a
 * position out of range or an item longer than VELEM_MAX_LEN), *out is
 * not written and l holds what it held.  Bytes given to an edit are
 * copied into a new velem; an element given to an edit is retained, and
 * the caller keeps its own reference.
 * Thread-safety: the writer thread only.
 */

/**
 * Insert a copy of some bytes at the head (LPUSH).
 * \param l the list. \param p the bytes (NULL when len is 0).
 * \param len their length. \param out the result.
 * \return 0, or -1 with errno ENOMEM or EINVAL.
 */
int plist_push_front(plist *l, const void *p, size_t len, plist **out);

/**
 * Append a copy of some bytes at the tail (RPUSH).
 * \param l the list. \param p the bytes. \param len their length.
 * \param out the result.
 * \return 0, or -1 with errno ENOMEM or EINVAL.
 */
int plist_push_back(plist *l, const void *p, size_t len, plist **out);

/**
 * Insert an existing element at the head, sharing it (LMOVE's push).
 * \param l the list. \param e the element (retained).
 * \param out the result.
 * \return 0, or -1 with errno ENOMEM.
 */
int plist_push_elem_front(plist *l, velem *e, plist **out);

/**
 * Append an existing element at the tail, sharing it.
 * \param l the list. \param e the element (retained).
 * \param out the result.
 * \return 0, or -1 with errno ENOMEM.
 */
int plist_push_elem_back(plist *l, velem *e, plist **out);

/**
 * Remove the head item (LPOP).
 * \param l      the list.
 * \param popped receives the item, with one reference that is the
 *               caller's (velem_release() it); not written on failure.
 * \param out    the result.
 * \return 0, or -1 with errno ENOMEM, or EINVAL when the list is empty.
 */
int plist_pop_front(plist *l, velem **popped, plist **out);

/**
 * Remove the tail item (RPOP).
 * \param l the list. \param popped receives the item (the caller's
 *          reference). \param out the result.
 * \return as plist_pop_front().
 */
int plist_pop_back(plist *l, velem **popped, plist **out);

/**
 * Replace the item at a position with a copy of some bytes (LSET).
 * \param l the list. \param i the position, < length.
 * \param p the bytes. \param len their length. \param out the result.
 * \return 0, or -1 with errno ENOMEM or EINVAL.
 */
int plist_set(plist *l, size_t i, const void *p, size_t len, plist **out);

/**
 * Insert a copy of some bytes so that it lands at position i (LINSERT:
 * the caller finds the pivot and passes its position for BEFORE, its
 * position + 1 for AFTER).
 * \param l the list. \param i 0..length. \param p the bytes.
 * \param len their length. \param out the result.
 * \return 0, or -1 with errno ENOMEM or EINVAL.
 */
int plist_insert(plist *l, size_t i, const void *p, size_t len,
                 plist **out);

/**
 * Delete the item at a position.
 * \param l the list. \param i the position, < length. \param out the result.
 * \return 0, or -1 with errno ENOMEM or EINVAL.
 */
int plist_delete(plist *l, size_t i, plist **out);

/**
 * Delete the positions [i, j) (LTRIM is two of these: [0, start) and
 * [stop + 1, length)), O(k + log^2 n) as a tree (pbtree_delete_range()).
 * \param l the list. \param i the first position deleted.
 * \param j the first position kept after them; i <= j <= length (i == j
 *          changes nothing).
 * \param out the result.
 * \return 0, or -1 with errno ENOMEM or EINVAL.
 */
int plist_delete_range(plist *l, size_t i, size_t j, plist **out);

/**
 * Delete the items equal to some bytes (LREM): count > 0 deletes the
 * first count from the head, count < 0 the first -count from the tail,
 * count == 0 all of them.  O(n) to find them plus O(m log n) to delete m.
 * \param l       the list.
 * \param p       the bytes compared (velem_eq()).
 * \param len     their length.
 * \param count   how many and from which end, as above.
 * \param removed receives how many were deleted (not written on failure).
 * \param out     the result (l with one more reference, or l itself for
 *                a transient, when none matched).
 * \return 0, or -1 with errno ENOMEM.
 */
int plist_remove_matching(plist *l, const void *p, size_t len, long count,
                          size_t *removed, plist **out);

/**
 * Called by plist_find() for each position it reports.
 * \param pos the position from the head.
 * \param arg the argument given to plist_find().
 */
typedef void plist_pos_fn(size_t pos, void *arg);

/**
 * Find the positions of items equal to some bytes, as LPOS does
 * (redis/redis src/t_list.c lposCommand()): scan from the head (rank > 0)
 * or from the tail (rank < 0); skip the first |rank| - 1 matches; report
 * matches until count have been reported (count 0: all); look at no more
 * than maxlen items (0: no limit).  LPOS without COUNT is count 1.
 * \param l      the list.
 * \param p      the bytes. \param len their length.
 * \param rank   which match is the first reported, not 0.
 * \param count  most positions reported, 0 for all.
 * \param maxlen most items compared, 0 for all.
 * \param fn     called with each position, in scan order.
 * \param arg    passed to fn.
 * \return the number of positions reported, or -1 with errno EINVAL when
 *         rank is 0.  Thread-safety: any reader; allocates nothing.
 */
long plist_find(const plist *l, const void *p, size_t len, long rank,
                size_t count, size_t maxlen, plist_pos_fn *fn, void *arg);

/* ---- transients --------------------------------------------------------- */

/**
 * Start a batch of edits on a version.
 * \param l the version (untouched, still the caller's; it may be
 *          released while the transient lives).
 * \return the transient, or NULL with errno ENOMEM, or EINVAL when l is a
 *         transient.
 */
plist *plist_edit_begin(plist *l);

/**
 * Freeze a transient into a version.
 * \param l the transient (it becomes the returned version).
 * \return l, now a version with reference count 1.
 */
plist *plist_edit_end(plist *l);

/**
 * Whether l is a transient.
 * \param l the list.
 * \return true between plist_edit_begin() and plist_edit_end().
 */
bool plist_is_transient(const plist *l);

/* ---- iteration (LRANGE) ------------------------------------------------- */

/** A position in a version; readers may use it freely (no references). */
typedef struct plist_iter {
    const plist *l;  /**< the list */
    size_t pos;      /**< position, length at the end, SIZE_MAX before 0 */
    pbtree_iter t;   /**< the tree's iterator (tree form only) */
} plist_iter;

/**
 * Place an iterator at a position, O(log n).
 * \param it the iterator.
 * \param l  the list; it must not change or be freed while it is used.
 * \param i  the position; length or more is the end.
 */
void plist_iter_seek(plist_iter *it, const plist *l, size_t i);

/**
 * Whether the iterator is at an item.
 * \param it the iterator.
 * \return false at the end or before the start.
 */
bool plist_iter_valid(const plist_iter *it);

/**
 * The item at a valid iterator.
 * \param it the iterator.
 * \return the item (the list's).
 */
const velem *plist_iter_elem(const plist_iter *it);

/**
 * The iterator's position.
 * \param it the iterator.
 * \return 0..length-1, length at the end, SIZE_MAX before the start.
 */
size_t plist_iter_pos(const plist_iter *it);

/**
 * Move towards the tail, amortised O(1); from before the start to 0; at
 * the end it stays there.
 * \param it the iterator.
 */
void plist_iter_next(plist_iter *it);

/**
 * Move towards the head, amortised O(1); from the end to the last item;
 * from 0 to before the start, where it stays.
 * \param it the iterator.
 */
void plist_iter_prev(plist_iter *it);

#endif
