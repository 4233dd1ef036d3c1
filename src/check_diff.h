/* check_diff.h - compare two keyspaces, key by key, as read through RESP.
 * Chapter 12.
 *
 * The consistency checker of chapter 12 reads every key of every database
 * from the master and from the replica into check_key records (type, the
 * value in a canonical form, the time to live) and hands both lists to
 * check_keys_diff().  The canonical form is the caller's business (one
 * string of bytes per value, equal when the values are equal); this module
 * only decides what counts as a difference and describes it.
 *
 * Time is the one thing the two reads cannot share: the master is read a
 * moment before the replica, so a key's remaining time to live differs by
 * that moment, and a key whose time ran out in between is present on one
 * side only.  check_key_compare() allows both within a tolerance.
 */
#ifndef CHECK_DIFF_H
#define CHECK_DIFF_H

#include <stddef.h>

/** One key as read from one server. */
typedef struct check_key {
    int db;               /**< database number */
    const char *key;      /**< the key's bytes (not owned) */
    size_t keylen;        /**< how many */
    const char *type;     /**< TYPE's reply: "string", "hash", ... (not owned) */
    const char *value;    /**< the value in the caller's canonical form (not owned) */
    size_t valuelen;      /**< how many bytes */
    long long pttl_ms;    /**< PTTL's reply: -1 no expiry, else milliseconds left */
} check_key;

/** What check_key_compare() and check_keys_diff() found for one key. */
typedef enum check_verdict {
    CHECK_SAME = 0,       /**< equal, or different only within the tolerance */
    CHECK_MISSING,        /**< on the master, not on the replica */
    CHECK_EXTRA,          /**< on the replica, not on the master */
    CHECK_TYPE,           /**< types differ */
    CHECK_VALUE,          /**< values differ */
    CHECK_TTL,            /**< times to live differ by more than the tolerance,
                               or one side has none */
} check_verdict;

/**
 * Called by check_keys_diff() for every difference.
 * \param master the master's record, or NULL for CHECK_EXTRA.
 * \param replica the replica's record, or NULL for CHECK_MISSING.
 * \param v      the verdict (never CHECK_SAME).
 * \param why    a one-line description naming the db, the key (escaped),
 *               and the first differing byte or the two TTLs.
 * \param arg    the caller's pointer.
 */
typedef void (*check_diff_fn)(const check_key *master, const check_key *replica,
                              check_verdict v, const char *why, void *arg);

/**
 * Compare one key read from the master with the same key read from the
 * replica (either may be NULL: absent).  A key absent on one side whose
 * time to live on the other is at most tol_ms is CHECK_SAME (it expired
 * between the two reads).  TTLs agree when both are -1 or both are set and
 * differ by at most tol_ms.
 * \param master  the master's record or NULL.
 * \param replica the replica's record or NULL.
 * \param tol_ms  the tolerance in milliseconds (>= 0).
 * \param why     receives a description when the verdict is not CHECK_SAME
 *                (may be NULL).
 * \param whysz   size of why.
 * \return the verdict.  Pure function; thread-safe.
 */
check_verdict check_key_compare(const check_key *master, const check_key *replica,
                                long long tol_ms, char *why, size_t whysz);

/**
 * Walk two lists sorted by (db, key bytes) side by side and report every
 * difference through fn.
 * \param m   the master's keys, sorted (check_key_order()).
 * \param nm  how many.
 * \param r   the replica's keys, sorted.
 * \param nr  how many.
 * \param tol_ms the TTL tolerance, as for check_key_compare().
 * \param fn  called once per difference (may be NULL).
 * \param arg passed to fn.
 * \return the number of differences.  Thread-safe (no shared state).
 */
size_t check_keys_diff(const check_key *m, size_t nm, const check_key *r, size_t nr,
                       long long tol_ms, check_diff_fn fn, void *arg);

/**
 * The order check_keys_diff() expects: db, then key bytes (memcmp, the
 * shorter first on a tie), as a qsort() comparator over check_key.
 * \param a a check_key.
 * \param b a check_key.
 * \return <0, 0 or >0.
 */
int check_key_order(const void *a, const void *b);

#endif
