/* pzset.h - a persistent sorted set: Redis ZSET values that change cheaply.
 * Chapter 8.
 *
 * A Redis sorted set answers two kinds of question: by member (ZSCORE,
 * "what is this member's score?") and by order (ZRANK, ZRANGE,
 * ZRANGEBYSCORE, ZRANGEBYLEX, ZCOUNT: "what is at this position, or
 * between these bounds?").  Redis keeps a dict for the first and a skip
 * list for the second (redis/redis src/t_zset.c).  A pzset does the same
 * with persistent structures, so that an edit returns a new version in
 * O(log n) and leaves the old one intact for the readers that hold it:
 *
 *  - order: a pbtree (pbtree.h) of entries sorted by (score, member); its
 *    subtree counts give the rank of any entry, and the entry at any rank,
 *    in O(log n), and a range is a pair of ranks;
 *  - members: a ptrie (ptrie.h) from member bytes to entry, for ZSCORE in
 *    a few cache misses, and for finding the entry that ZRANK or ZREM
 *    must then look up in the tree.
 *
 * Entries.  A member and its score are one allocation (pzset_entry: a
 * reference count, the score, the length, the bytes and a NUL), shared by
 * both indexes and by every version that holds it; no index copies a
 * member.  The trie's slots hold the references; the tree, whose nodes
 * are always part of versions whose tries hold the same entries, borrows
 * them (pzset_entry.c says why that is safe and what it saves).  Changing a score makes a new entry (the tree is ordered by
 * score, so the entry moves) and drops the old one from both indexes.
 *
 * Order.  As Redis orders a skip list (zslInsert in t_zset.c): by score,
 * compared as doubles, so -0.0 and 0.0 are the same score and -inf and
 * +inf sort first and last; equal scores by member, compared byte by byte
 * with memcmp and then the shorter first (sdscmp).  A score is never NaN:
 * every edit given one fails with EINVAL, as ZADD and ZINCRBY refuse one.
 * A score is replaced only when the new one compares different (!=), as
 * zsetAdd does, so ZADD of -0.0 over 0.0 keeps 0.0.
 *
 * Two encodings.  A small set (at most max_entries members, none longer
 * than max_bytes bytes) is FLAT: one immutable array of entry pointers in
 * order.  Rank, range and entry-at-rank are a binary search or an index;
 * lookup by member is a linear scan, as in Redis's listpack, which at 128
 * entries is a few hundred nanoseconds and cheaper than any hash.  An
 * edit copies the array (at most 1 KiB of pointers), cheaper than the
 * two tree paths the other form copies.  A set that grows past the limits
 * becomes a TREE (the pbtree and the ptrie); it becomes flat again only
 * when it shrinks to max_entries / 2 members (all within max_bytes), so a
 * size going back and forth across the limit does not convert every time.
 * The defaults are Redis 7.0's zset-max-listpack-entries 128 and
 * zset-max-listpack-value 64 (redis/redis redis.conf); pzset_encoding()
 * names the forms as OBJECT ENCODING does, "listpack" and "skiplist".
 *
 * Versions and transients follow pbtree.h's conventions (the "edits"
 * block there).  A transient (pzset_edit_begin()) owns its flat array and
 * its two indexes' transients, so a batch of k ZADDs of new members (the
 * load of an RDB file) costs O(k log n) and copies each node once.  A
 * removal or a score change in a transient edits both indexes, and if the
 * second edit fails the first must be undone; undoing an index edit can
 * itself need memory, so these edits freeze the transient's indexes (free)
 * and edit private copies, which costs a path copy like an edit of a
 * version.  Every edit allocates what it needs before it changes what the
 * caller sees: on ENOMEM it returns -1, and the set given holds what it
 * held, with nothing leaked.
 *
 * Thread-safety.  One writer thread makes every edit and every
 * retain/release (reference counts are plain integers).  Readers (length,
 * score, rank, entry at, the rank-of-bound functions, counts, iterators)
 * never touch a count and may read a published version from any thread,
 * protected by epochs (chapter 3): the writer hands a replaced version to
 * ebr, which releases it after the grace period.
 */
#ifndef PZSET_H
#define PZSET_H

#include "pbtree.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Default most members of a flat set (zset-max-listpack-entries). */
#define PZSET_MAX_ENTRIES 128
/** Default longest member of a flat set (zset-max-listpack-value). */
#define PZSET_MAX_VALUE 64
/** The longest member: 2^31 - 1 bytes (Redis caps strings at 512 MB). */
#define PZSET_MAX_MEMBER ((size_t)INT32_MAX)

/** A version or a transient; opaque. */
typedef struct pzset pzset;

/** One member and its score, shared by versions and indexes; opaque
 *  (pzset_entry_member(), pzset_entry_score()). */
typedef struct pzset_entry pzset_entry;

/**
 * Set the limits of the flat form for every set from now on: a set is
 * flat while it has at most max_entries members and none longer than
 * max_bytes.  0 is allowed for both (every non-empty set is a tree, as
 * Redis does with zset-max-listpack-entries 0).
 * \param max_entries most members of a flat set.
 * \param max_bytes   longest member of a flat set.
 * Thread-safety: not thread-safe; the writer thread, before use (a set
 * made under other limits keeps its form until an edit crosses one).
 */
void pzset_set_limits(size_t max_entries, size_t max_bytes);

/**
 * Make an empty version.
 * \return the version (reference count 1), or NULL with errno ENOMEM.
 */
pzset *pzset_new(void);

/**
 * Take one more reference to a version (the writer thread only).
 * \param z a version (not a transient).
 * \return z.
 */
pzset *pzset_retain(pzset *z);

/**
 * Drop one reference to a version or a transient; the last one frees
 * what no other version shares, entries included.  Writer thread only;
 * for a published version, only after an epoch grace period.
 * \param z the set (NULL does nothing).
 */
void pzset_release(pzset *z);

/**
 * Number of members (ZCARD), O(1).
 * \param z the set.
 * \return the count.  Thread-safety: any reader.
 */
size_t pzset_len(const pzset *z);

/**
 * The name OBJECT ENCODING gives this set's form.
 * \param z the set.
 * \return "listpack" (flat) or "skiplist" (tree); a static string.
 */
const char *pzset_encoding(const pzset *z);

/**
 * Whether this set, or a version it was edited from, has had the tree
 * form: Redis never turns a skiplist back into a listpack when members
 * are removed, so a set that went flat again is still a skiplist there
 * (the sorted-set commands read this to answer as Redis; a new set, a
 * copy of members into a new set and an RDB load start without it).
 * \param z the set.
 * \return true once the set has been a tree.
 */
bool pzset_was_tree(const pzset *z);

/**
 * Remember that the set has been a tree without changing its form, as
 * Redis's SORT leaves a sorted set a skiplist (sortCommandGeneric()
 * converts its input).
 * \param z a transient (pzset_edit_begin()).
 * \return 0, or -1 with errno EINVAL when z is a version (shared with
 *         readers, so never changed).
 */
int pzset_mark_was_tree(pzset *z);

/**
 * Heap bytes this set occupies as if it shared nothing with other
 * versions: its header, its array or index nodes, and its entries.  O(n).
 * \param z the set.
 * \return the byte count.
 */
size_t pzset_bytes(const pzset *z);

/**
 * Bytes of this version's own header struct: not its array, index nodes and entries, which
 * versions share by structural sharing.  O(1), and the same for every
 * version; value_charge() counts it for a stored value.
 * \param z the set. \return sizeof the header struct.  Thread-safety:
 *         any reader.
 */
size_t pzset_root_bytes(const pzset *z);

/* ---- entries ------------------------------------------------------------ */

/**
 * Entries alive in the process, every set together: what tests compare
 * before and after to see that nothing leaked.
 * \return the count.  Thread-safety: any thread (a relaxed counter).
 */
size_t pzset_entries_live(void);

/**
 * The member of an entry.
 * \param e   the entry.
 * \param len receives the length (may be NULL).
 * \return the bytes, followed by a NUL; valid while a version holding e
 *         is.
 */
const void *pzset_entry_member(const pzset_entry *e, size_t *len);

/**
 * The score of an entry.
 * \param e the entry.
 * \return the score (never NaN).
 */
double pzset_entry_score(const pzset_entry *e);

/* ---- reads (any thread, on a published version) -------------------------- */

/**
 * Look a member's score up (ZSCORE): O(1)-ish in a tree (the ptrie),
 * a linear scan in a flat set.
 * \param z     the set.
 * \param m     the member bytes (may be NULL when mlen is 0).
 * \param mlen  their length.
 * \param score receives the score when the member is present (may be
 *              NULL).
 * \return true when present.
 */
bool pzset_score(const pzset *z, const void *m, size_t mlen, double *score);

/**
 * A member's rank, 0 for the lowest score (ZRANK; ZREVRANK is
 * pzset_len() - 1 - rank), O(log n) from the tree's subtree counts.
 * \param z    the set.
 * \param m    the member.
 * \param mlen its length.
 * \param rank receives the rank when present (may be NULL).
 * \return true when present.
 */
bool pzset_rank(const pzset *z, const void *m, size_t mlen, size_t *rank);

/**
 * The entry at a rank, O(log n).
 * \param z    the set.
 * \param rank 0-based.
 * \return the entry (the set's; valid while the version is), or NULL
 *         when rank >= length.
 */
const pzset_entry *pzset_at(const pzset *z, size_t rank);

/**
 * First rank whose score is >= score (exclusive false) or > score
 * (exclusive true), O(log n): the start of ZRANGEBYSCORE score ..., and,
 * with exclusive flipped, the end of ... score.
 * \param z         the set.
 * \param score     the bound; NaN is below every score (callers parse as
 *                  Redis does and never pass one).
 * \param exclusive whether the bound itself is excluded ("(" in Redis).
 * \return 0..length.
 */
size_t pzset_rank_of_score(const pzset *z, double score, bool exclusive);

/**
 * First rank whose member is >= m (exclusive false) or > m (exclusive
 * true), comparing members only, O(log n).  Meaningful when every score is
 * equal, as ZRANGEBYLEX and ZLEXCOUNT require (redis/redis t_zset.c):
 * then the order by (score, member) is the order by member.
 * \param z         the set.
 * \param m         the bound's bytes.
 * \param mlen      their length.
 * \param exclusive "(" in Redis.
 * \return 0..length.
 */
size_t pzset_rank_of_lex(const pzset *z, const void *m, size_t mlen,
                         bool exclusive);

/** A ZRANGEBYSCORE or ZRANGEBYLEX interval, as Redis parses one. */
typedef struct pzset_range {
    bool by_lex;        /**< false: by score (min, max); true: by member */
    bool min_ex;        /**< min excluded ("(") */
    bool max_ex;        /**< max excluded ("(") */
    double min;         /**< lowest score (by score; NaN: empty range) */
    double max;         /**< highest score (by score; NaN: empty range) */
    const void *min_m;  /**< lowest member (by lex); NULL is "-" */
    size_t min_len;     /**< its length */
    const void *max_m;  /**< highest member (by lex); NULL is "+" */
    size_t max_len;     /**< its length */
} pzset_range;

/**
 * The ranks a range covers, [*first, *end), in O(log n).  An empty range
 * (min above max, equal bounds with one excluded, a NaN bound) gives
 * *first == *end.  ("+" as a lex minimum or "-" as a maximum is empty too;
 * the caller answers those without asking.)
 * \param z     the set.
 * \param r     the range.
 * \param first receives the first rank inside.
 * \param end   receives the first rank after it, >= *first.
 */
void pzset_range_ranks(const pzset *z, const pzset_range *r, size_t *first,
                       size_t *end);

/**
 * Members inside a range (ZCOUNT, ZLEXCOUNT), O(log n) from two ranks.
 * \param z the set.
 * \param r the range.
 * \return the count.
 */
size_t pzset_count_range(const pzset *z, const pzset_range *r);

/** A position in a set, for walking ranks in either direction. */
typedef struct pzset_iter {
    const pzset *z;    /**< the set */
    size_t pos;        /**< rank, length at the end, SIZE_MAX before 0 */
    pbtree_iter tree;  /**< the tree's iterator (tree form) */
} pzset_iter;

/**
 * Place an iterator at a rank, O(log n).
 * \param it   the iterator.
 * \param z    the set; must stay alive and unchanged while it is used.
 * \param rank the rank; length (or more) is the end.
 */
void pzset_iter_seek(pzset_iter *it, const pzset *z, size_t rank);

/**
 * Whether the iterator is at an entry.
 * \param it the iterator.
 * \return false at the end or before the start.
 */
bool pzset_iter_valid(const pzset_iter *it);

/**
 * The entry at a valid iterator.
 * \param it the iterator.
 * \return the entry (the set's).
 */
const pzset_entry *pzset_iter_entry(const pzset_iter *it);

/**
 * The iterator's rank.
 * \param it the iterator.
 * \return 0..length-1, length at the end, SIZE_MAX before the start.
 */
size_t pzset_iter_rank(const pzset_iter *it);

/**
 * Move to the next rank (ZRANGE), amortised O(1); from before the start
 * to rank 0, and at the end it stays.
 * \param it the iterator.
 */
void pzset_iter_next(pzset_iter *it);

/**
 * Move to the previous rank (ZREVRANGE), amortised O(1); from the end to
 * the last rank, from rank 0 to before the start, where it stays.
 * \param it the iterator.
 */
void pzset_iter_prev(pzset_iter *it);

/* ---- edits (writer thread; pbtree.h's conventions) ----------------------- */

/**
 * Add a member or change its score (ZADD, ZINCRBY), O(log n) in a tree.
 * A changed score makes a new entry, which moves to its new rank.
 * \param z     the set (a version or a transient).
 * \param m     the member (copied into a new entry when needed).
 * \param mlen  its length, at most PZSET_MAX_MEMBER.
 * \param score the score, not NaN.
 * \param out   receives the result: a new version, z retained when
 *              nothing changed (the member was there with an equal
 *              score), or z itself for a transient.
 * \return 1 if added, 0 if present (score updated when it differed), -1
 *         with errno ENOMEM or EINVAL (NaN score, member too long): then
 *         *out is not written and z holds what it held.
 */
int pzset_add(pzset *z, const void *m, size_t mlen, double score,
              pzset **out);

/**
 * Remove a member (ZREM), O(log n) in a tree.
 * \param z    the set.
 * \param m    the member.
 * \param mlen its length.
 * \param out  receives the result (z retained when absent).
 * \return 1 if removed, 0 if absent, -1 with errno ENOMEM.
 */
int pzset_remove(pzset *z, const void *m, size_t mlen, pzset **out);

/**
 * Remove the ranks [i, j) (ZREMRANGEBYRANK; ZREMRANGEBYSCORE and
 * ZREMRANGEBYLEX compute the ranks first with pzset_range_ranks()): in a
 * tree, O(k log n + log^2 n) for k = j - i: one range delete in the
 * pbtree and k removals from the ptrie.
 * \param z   the set.
 * \param i   first rank removed.
 * \param j   first rank kept after them; clamped to the length, and
 *            i >= j removes nothing (*out is z retained).
 * \param out the result.
 * \return 0, or -1 with errno ENOMEM.
 */
int pzset_remove_range_by_rank(pzset *z, size_t i, size_t j, pzset **out);

/**
 * Remove the members inside a range (ZREMRANGEBYSCORE, ZREMRANGEBYLEX).
 * \param z       the set.
 * \param r       the range.
 * \param out     the result.
 * \param removed receives how many were removed (may be NULL).
 * \return 0, or -1 with errno ENOMEM.
 */
int pzset_remove_range(pzset *z, const pzset_range *r, pzset **out,
                       size_t *removed);

/**
 * Remove the count lowest members (ZPOPMIN; the caller reads them with
 * pzset_at() first).
 * \param z     the set.
 * \param count how many (more than the length removes all).
 * \param out   the result.
 * \return 0, or -1 with errno ENOMEM.
 */
int pzset_pop_min(pzset *z, size_t count, pzset **out);

/**
 * Remove the count highest members (ZPOPMAX).
 * \param z     the set.
 * \param count how many.
 * \param out   the result.
 * \return 0, or -1 with errno ENOMEM.
 */
int pzset_pop_max(pzset *z, size_t count, pzset **out);

/* ---- transients ----------------------------------------------------------- */

/**
 * Start a batch of edits on a version (a set loaded from an RDB file:
 * pzset_edit_begin(pzset_new()), many pzset_add(), pzset_edit_end()).
 * \param z the version (not modified; still the caller's).
 * \return the transient, or NULL with errno ENOMEM, or EINVAL when z is
 *         itself a transient.
 */
pzset *pzset_edit_begin(pzset *z);

/**
 * Freeze a transient into a version.
 * \param z the transient.
 * \return z, now a version with reference count 1.
 */
pzset *pzset_edit_end(pzset *z);

/**
 * Whether z is a transient.
 * \param z the set.
 * \return true between pzset_edit_begin() and pzset_edit_end().
 */
bool pzset_is_transient(const pzset *z);

/* ---- checking ------------------------------------------------------------- */

/**
 * Check every invariant, O(n): entries strictly increasing by (score,
 * member), no NaN, lengths, reference counts >= 1; for the tree form pbtree_check() and ptrie_check(), the same
 * length, and every entry of the tree found in the ptrie as the very same
 * entry.
 * \param z      the set.
 * \param err    receives a description of the first violation.
 * \param errlen size of err.
 * \return 0 if valid, -1 otherwise.
 */
int pzset_check(const pzset *z, char *err, size_t errlen);

#endif
