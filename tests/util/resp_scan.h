/* resp_scan.h - one RESP2 or RESP3 reply as bytes: where it ends, and a
 * canonical form for comparing replies whose order is a hash table's.
 * Chapter 11.
 *
 * Chapter 6's parser reads RESP2 into values, which is what a server needs
 * from its clients.  Checking a server's replies needs something else: the
 * exact bytes, in both protocols, so that a difference in a header, a
 * double's digits or a RESP3 type byte shows.  So the read tests keep
 * replies as bytes, and this scanner only answers two questions about
 * them.  Where does the first complete reply end (resp_scan(): a socket
 * reader calls it on what it has read so far)?  And what is the reply with
 * the elements of its unordered containers sorted (resp_canonical())?  Two
 * replies are equal as multisets exactly when their canonical forms are
 * equal bytes, because RESP is self-delimiting: a sorted concatenation of
 * elements can be read back in one way only.
 *
 * Types: + - : $ * and RESP3's % ~ , _ # ( = ! > |.  An attribute (`|`)
 * is skipped, with the value that follows it taken as the reply.  Nesting
 * deeper than RESP_SCAN_MAX_DEPTH is refused.
 *
 * Thread-safety: the functions touch only their arguments.
 */
#ifndef TEST_RESP_SCAN_H
#define TEST_RESP_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/** Deepest nesting resp_scan() accepts. */
#define RESP_SCAN_MAX_DEPTH 64

/** resp_canonical() flags. */
enum {
    RESP_CANON_TOP = 1u,    /**< the top-level array's (or set's, map's)
                                 elements in any order */
    RESP_CANON_PAIRS = 2u,  /**< with RESP_CANON_TOP: a top-level array
                                 holds pairs, kept together */
    RESP_CANON_NESTED = 4u, /**< every RESP3 set and map at any depth in
                                 any order (a map's pairs kept together) */
};

/**
 * Find the end of the first reply in buf.
 * \param buf   the bytes read so far.
 * \param len   their count.
 * \param used  receives the length of the reply when complete.
 * \param err   receives why, on a malformed reply (may be NULL).
 * \param errsz size of err.
 * \return 1 when a whole reply is there, 0 when more bytes are needed, -1
 *         when the bytes are not RESP (err names the byte offset).
 */
int resp_scan(const char *buf, size_t len, size_t *used, char *err,
              size_t errsz);

/**
 * The canonical form of one complete reply: the same bytes with the
 * elements of the containers the flags name sorted (bytewise), attributes
 * removed.
 * \param buf   exactly one reply.
 * \param len   its length.
 * \param flags RESP_CANON_* flags.
 * \param out   receives a malloc'd copy (the caller frees it), NUL-terminated.
 * \param outlen receives its length.
 * \param err   receives why on failure (may be NULL).
 * \param errsz size of err.
 * \return 0, or -1 when buf is not exactly one reply or memory ran out.
 */
int resp_canonical(const char *buf, size_t len, unsigned flags, char **out,
                   size_t *outlen, char *err, size_t errsz);

/**
 * Are two replies equal under flags (0: byte for byte)?
 * \param a     the first reply.
 * \param alen  its length.
 * \param b     the second.
 * \param blen  its length.
 * \param flags RESP_CANON_* flags.
 * \param err   receives why when one of them is malformed (may be NULL).
 * \param errsz size of err.
 * \return 1 equal, 0 different, -1 malformed or out of memory.
 */
int resp_reply_equal(const char *a, size_t alen, const char *b, size_t blen,
                     unsigned flags, char *err, size_t errsz);

#endif
