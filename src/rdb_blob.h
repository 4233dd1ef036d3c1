/* rdb_blob.h - iterators over the compact encodings stored inside RDB strings.
 * Chapter 7.
 *
 * Small collections are saved as one string holding Redis's in-memory
 * compact encoding: a zipmap (hashes, Redis < 2.6), a ziplist (lists,
 * hashes, sorted sets, Redis 2.6 - 6.2), a listpack (everything small since
 * Redis 7.0, and stream nodes since 5.0) or an intset (sets of integers).
 * Each iterator walks one such blob front to back and checks its structure
 * strictly as it goes: declared total size against the real size, entry
 * headers against the bytes left, the ziplist "previous entry length" and
 * tail offset, the listpack back-lengths, the declared entry count against
 * the entries found, the terminator byte.  A violation stops the walk with
 * a message naming the entry index and its offset inside the blob.
 *
 * Integers are decoded and also rendered in decimal (num), which is how a
 * client sees them.
 */
#ifndef RDB_BLOB_H
#define RDB_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** One element of a blob. */
typedef struct rdb_blob_entry {
    const unsigned char *s; /**< the bytes (inside the blob, or num) */
    size_t len;             /**< their length */
    bool is_int;            /**< stored as an integer */
    int64_t ival;           /**< the integer when is_int */
    char num[24];           /**< decimal rendering when is_int */
} rdb_blob_entry;

/** Iterator state; fields are private to the rdb_*.c decoders. */
typedef struct rdb_blob_iter {
    const unsigned char *p; /**< the blob */
    size_t n;               /**< its size */
    size_t pos;             /**< offset of the next entry */
    size_t index;           /**< entries returned so far */
    size_t declared;        /**< entry count from the header (or SIZE_MAX) */
    size_t prev;            /**< ziplist: length of the previous entry */
    size_t tail;            /**< ziplist: declared offset of the last entry */
    size_t last;            /**< ziplist: offset of the last entry seen */
    int width;              /**< intset: bytes per integer */
    int64_t prev_int;       /**< intset: the previous member */
    bool done;              /**< end reached */
    char err[160];          /**< why the walk failed */
} rdb_blob_iter;

/**
 * Start walking a ziplist (header checked here).
 * \param it the iterator.
 * \param p  the blob.
 * \param n  its size.
 * \return 0, or -1 with it->err set.
 */
int rdb_ziplist_open(rdb_blob_iter *it, const unsigned char *p, size_t n);

/**
 * Next ziplist entry.
 * \param it the iterator.
 * \param e  receives the entry.
 * \return 1 for an entry, 0 at a valid end, -1 with it->err set.
 */
int rdb_ziplist_next(rdb_blob_iter *it, rdb_blob_entry *e);

/**
 * Start walking a listpack (header checked here).
 * \param it the iterator.
 * \param p  the blob.
 * \param n  its size.
 * \return 0, or -1 with it->err set.
 */
int rdb_listpack_open(rdb_blob_iter *it, const unsigned char *p, size_t n);

/**
 * Next listpack entry.
 * \param it the iterator.
 * \param e  receives the entry.
 * \return 1 for an entry, 0 at a valid end, -1 with it->err set.
 */
int rdb_listpack_next(rdb_blob_iter *it, rdb_blob_entry *e);

/**
 * Start walking an intset (header and size checked here).
 * \param it the iterator.
 * \param p  the blob.
 * \param n  its size.
 * \return 0, or -1 with it->err set.
 */
int rdb_intset_open(rdb_blob_iter *it, const unsigned char *p, size_t n);

/**
 * Next intset member (must be strictly greater than the previous one).
 * \param it the iterator.
 * \param e  receives the member.
 * \return 1, 0 at the end, or -1 with it->err set.
 */
int rdb_intset_next(rdb_blob_iter *it, rdb_blob_entry *e);

/**
 * Start walking a zipmap.
 * \param it the iterator.
 * \param p  the blob.
 * \param n  its size.
 * \return 0, or -1 with it->err set.
 */
int rdb_zipmap_open(rdb_blob_iter *it, const unsigned char *p, size_t n);

/**
 * Next zipmap string: keys and values alternate.
 * \param it the iterator.
 * \param e  receives the string.
 * \return 1, 0 at a valid end, or -1 with it->err set.
 */
int rdb_zipmap_next(rdb_blob_iter *it, rdb_blob_entry *e);

#endif
