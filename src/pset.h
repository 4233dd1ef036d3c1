/* pset.h - a persistent Redis set of byte-string members.
 * Chapter 8.
 *
 * A Redis set is an unordered collection of distinct byte strings.  A
 * pset is its chapter 8 form: an edit (SADD, SREM, SPOP of one member)
 * returns a new version in O(log n) and leaves the old one intact for the
 * readers that hold it.  Members are velem elements (src/velem.h), one
 * allocation each, shared between versions and with other collections:
 * pset_add_elem() stores an element the caller already has (SMOVE,
 * SUNIONSTORE) without copying its bytes.
 *
 * Two forms.  A small set is FLAT: an immutable array of member pointers
 * in insertion order, searched linearly; an edit copies the array, at
 * most max_entries pointers, cheaper at that size than a tree path.  A
 * set with more than max_entries members, or with a member longer than
 * max_bytes, becomes a TREE: a CHAMP trie of members (src/ptrie.h).  It
 * becomes flat again only when its count falls to max_entries / 2 with
 * every member within max_bytes.  The defaults are Redis 7.2's
 * set-max-listpack-entries 128 and set-max-listpack-value 64 (redis/redis
 * redis.conf); pset_set_limits() changes them.
 *
 * Encoding names.  Redis (redis/redis src/t_set.c, setTypeAddAux() and
 * maybeConvertIntset()) keeps a set whose members are all integers in
 * canonical decimal form (what string2ll() accepts: no sign but '-', no
 * leading zero, no "-0", within 64 bits) as an intset while it has at most
 * set-max-intset-entries (512) members; a non-integer member turns it
 * into a listpack when the set is small enough (count below
 * set-max-listpack-entries, every member within set-max-listpack-value),
 * a hashtable otherwise; a listpack that outgrows those limits becomes a
 * hashtable.  Redis 7.0 had only the intset and the hashtable.  The
 * header counts the members in canonical integer form, so
 * pset_encoding() says "intset" when every member is one and there are at
 * most set-max-intset-entries of them, else "listpack" for the flat form
 * and "hashtable" for the tree, in O(1).  (Redis also never turns a
 * hashtable back into a listpack on SREM, and this set does; the name
 * reflects the contents, not the history.)
 *
 * Versions, transients, failure, threads: the chapter 8 conventions of
 * src/pbtree.h.  Edits and retain/release are the writer thread's; readers
 * (pset_len(), pset_has(), pset_nth(), the iterator) touch no reference
 * count and may read a published version from any thread under an epoch
 * (chapter 3).
 */
#ifndef PSET_H
#define PSET_H

#include "ptrie.h"
#include "velem.h"

#include <stdbool.h>
#include <stddef.h>

/** Default most members of a flat set (set-max-listpack-entries). */
#define PSET_MAX_ENTRIES 128
/** Default longest member of a flat set (set-max-listpack-value). */
#define PSET_MAX_BYTES 64
/** Default most members of a set OBJECT ENCODING calls an intset
 *  (set-max-intset-entries). */
#define PSET_MAX_INTSET 512

/** A version or a transient; opaque. */
typedef struct pset pset;

/**
 * Set the limits of the flat form (process-wide).
 * \param max_entries most members of a flat set (0: always a tree).
 * \param max_bytes   longest member of a flat set.
 * \return 0, or -1 with errno EINVAL when max_entries exceeds 2^24.
 * Thread-safety: not thread-safe; the writer thread, while no set exists
 * (a set's form is checked against the limits of the moment).
 */
int pset_set_limits(size_t max_entries, size_t max_bytes);

/**
 * Set the most members of a set pset_encoding() calls "intset"
 * (set-max-intset-entries; process-wide, read only by pset_encoding()).
 * \param max_intset the count.
 */
void pset_set_intset_limit(size_t max_intset);

/**
 * Whether bytes are an integer in the canonical form Redis keeps in an
 * intset (string2ll(): optional '-', no leading zero, no "-0", 64 bits).
 * \param p the bytes. \param len their length.
 * \return true if so.
 */
bool pset_is_canonical_int(const void *p, size_t len);

/**
 * Make an empty version.
 * \return the version (reference count 1), or NULL with errno ENOMEM.
 */
pset *pset_new(void);

/**
 * Take one more reference to a version (writer thread only).
 * \param s a version (not a transient). \return s.
 */
pset *pset_retain(pset *s);

/**
 * Drop one reference to a version, or free a transient; members no other
 * version holds are released.  Writer thread only; for a published version
 * only after an epoch grace period.
 * \param s the set (NULL does nothing).
 */
void pset_release(pset *s);

/**
 * Number of members, O(1).
 * \param s the set. \return the count.
 */
size_t pset_len(const pset *s);

/**
 * The member with these bytes (SISMEMBER): O(n) flat (n <= max_entries),
 * O(log n) tree.
 * \param s the set. \param m the bytes (may be NULL when mlen is 0).
 * \param mlen their length.
 * \return the element (the set's: valid while s is), or NULL.
 */
const velem *pset_get(const pset *s, const void *m, size_t mlen);

/**
 * Whether a member is in the set (SISMEMBER).
 * \param s the set. \param m the bytes. \param mlen their length.
 * \return true if it is.
 */
bool pset_has(const pset *s, const void *m, size_t mlen);

/**
 * The i-th member in iteration order (SRANDMEMBER, SPOP), O(1) flat,
 * O(log n) tree.
 * \param s the set. \param i the position.
 * \return the element, or NULL when i >= pset_len(s).
 */
const velem *pset_nth(const pset *s, size_t i);

/**
 * OBJECT ENCODING's name for the set (see the header comment).
 * \param s the set.
 * \return "intset", "listpack" or "hashtable"; a static string.
 */
const char *pset_encoding(const pset *s);

/**
 * Heap bytes this version occupies if it shared nothing: header, flat
 * array or trie, and every member.  O(n).
 * \param s the set. \return the byte count.
 */
size_t pset_bytes(const pset *s);

/**
 * Bytes of this version's own header struct: not its array or trie and members, which
 * versions share by structural sharing.  O(1), and the same for every
 * version; value_charge() counts it for a stored value.
 * \param s the set. \return sizeof the header struct.  Thread-safety:
 *         any reader.
 */
size_t pset_root_bytes(const pset *s);

/**
 * Check every invariant: the counts (members, integer members, long
 * members) against the contents, the form against the limits (flat: at
 * most max_entries members, none longer than max_bytes; tree: more than
 * max_entries / 2 or a long one), no member twice, the trie's own
 * invariants.  O(n) (O(n^2) flat).
 * \param s the set. \param err receives the first violation.
 * \param errlen size of err.
 * \return 0 if valid, -1 otherwise.
 */
int pset_check(const pset *s, char *err, size_t errlen);

/* ---- edits ----------------------------------------------------------------
 *
 * The chapter 8 conventions (src/pbtree.h): s a version -> *out is a new
 * version (reference count 1) and s is untouched; nothing changed -> *out
 * is s with one more reference; s a transient -> changed in place, *out is
 * s.  On failure -1 with errno (ENOMEM, EINVAL), *out is not written and
 * s holds what it held, nothing leaked.  Writer thread only.
 */

/**
 * SADD of one member (its bytes are copied into a new element).
 * \param s the set. \param m the bytes. \param mlen their length.
 * \param out receives the result.
 * \return 1 if added, 0 if it was there, -1 with errno ENOMEM or EINVAL
 *         (mlen over VELEM_MAX_LEN).
 */
int pset_add(pset *s, const void *m, size_t mlen, pset **out);

/**
 * Add an element the caller has (retained, not copied).
 * \param s the set. \param e the element (the caller keeps its reference).
 * \param out receives the result.
 * \return 1 if added, 0 if an equal member was there (kept), -1 with errno
 *         ENOMEM.
 */
int pset_add_elem(pset *s, velem *e, pset **out);

/**
 * SREM of one member.
 * \param s the set. \param m the bytes. \param mlen their length.
 * \param out receives the result.
 * \return 1 if removed, 0 if absent, -1 with errno ENOMEM.
 */
int pset_remove(pset *s, const void *m, size_t mlen, pset **out);

/* ---- transients ------------------------------------------------------------ */

/**
 * Start a batch of edits (SADD of many members, loading from RDB).
 * \param s the version (not modified; still the caller's; it may be
 *          released while the transient lives).
 * \return the transient, or NULL with errno ENOMEM, or EINVAL when s is a
 *         transient.
 */
pset *pset_edit_begin(pset *s);

/**
 * Freeze a transient into a version.
 * \param s the transient. \return s, now a version with reference count 1.
 */
pset *pset_edit_end(pset *s);

/**
 * Whether s is a transient.
 * \param s the set. \return true between pset_edit_begin() and
 *         pset_edit_end().
 */
bool pset_is_transient(const pset *s);

/* ---- iteration --------------------------------------------------------------- */

/** A walk over a version's members (insertion order flat, hash order
 *  tree); readers may use it freely, it holds no references. */
typedef struct pset_iter {
    const pset *s; /**< the set */
    size_t i;      /**< next position in the flat form */
    ptrie_iter it; /**< position in the tree form */
} pset_iter;

/**
 * Place an iterator before the first member.
 * \param it the iterator.
 * \param s  the set; must not change or be freed while it is used.
 */
void pset_iter_init(pset_iter *it, const pset *s);

/**
 * The next member.
 * \param it the iterator.
 * \return the element (the set's), or NULL at the end.
 */
const velem *pset_iter_next(pset_iter *it);

#endif
