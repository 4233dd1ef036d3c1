/* reply_tree.h - a RESP2/RESP3 reply as a tree, for tests that check properties.
 * Chapter 11.
 *
 * Random replies (HRANDFIELD, SRANDMEMBER) and cursors (HSCAN, SSCAN)
 * cannot be compared byte for byte with Redis's; their tests check what
 * must hold instead: the shape, the count, that every element exists.
 * This parses one reply into nodes that a test can walk.  Any malformed
 * input fails the current Check test with the byte offset.
 *
 * Thread-safety: pure functions; a tree belongs to its caller.
 */
#ifndef TEST_REPLY_TREE_H
#define TEST_REPLY_TREE_H

#include <stddef.h>

/** One element of a reply. */
typedef struct rtree {
    char type;            /**< the RESP type byte: '$', ':', '*', '%', '~',
                               '_', '+', '-', ',', '#' */
    long long num;        /**< ':' the integer; '$' -1 for a RESP2 null */
    char *str;            /**< '$' '+' '-' ',': the bytes (NUL-terminated) */
    size_t len;           /**< their length */
    struct rtree *kids;   /**< aggregates: the elements (a map's 2n) */
    size_t nkids;         /**< how many */
} rtree;

/**
 * Parse exactly one reply.
 * \param buf the bytes. \param len their count.
 * \return the tree (free with rtree_free()); fails the test on bad input.
 */
rtree *rtree_parse(const char *buf, size_t len);

/** Free a tree.  \param t the tree (NULL is fine). */
void rtree_free(rtree *t);

#endif
