/* eofmark_ex.h - exercise 10.1: find a diskless snapshot's end mark as the
 * bytes arrive.
 *
 * A master that streams its snapshot without writing it to disk cannot
 * announce its length, so it frames it as `$EOF:<40 characters>\r\n`, the
 * RDB, and the same 40 characters again (redis/redis src/rdb.c,
 * rdbSaveRioWithEOFMark()).  The replica reads the socket in whatever
 * pieces the network delivers, so the mark can arrive split between two
 * reads at any of its 40 positions, or spread over forty one-byte reads.
 *
 * This matcher owns the bytes it has not yet decided about: it hands out,
 * from each read, only the bytes that are certainly snapshot bytes, and
 * keeps back the last 39 (which could be the beginning of a mark the next
 * read completes).  Redis keeps the same tail in readSyncBulkPayload()
 * (its `lastbytes`); chapter 10's repl_eof_scan() is the library's form of
 * the same idea, over the link's input buffer instead of a private tail.
 */
#ifndef EX_EOFMARK_H
#define EX_EOFMARK_H

#include <stdbool.h>
#include <stddef.h>

/** Length of the mark. */
#define EX_MARK_LEN 40

/** The matcher's state. */
typedef struct ex_mark {
    unsigned char mark[EX_MARK_LEN];     /**< the mark to find */
    unsigned char tail[EX_MARK_LEN - 1]; /**< bytes held back, oldest first */
    size_t tail_len;                     /**< how many */
    bool done;                           /**< the mark has been seen */
} ex_mark;

/**
 * Start matching a mark.
 * \param m    the matcher.
 * \param mark the 40 bytes after "$EOF:" in the header.
 */
void ex_mark_init(ex_mark *m, const unsigned char mark[EX_MARK_LEN]);

/**
 * Feed the bytes of one read.
 * \param m        the matcher (not done).
 * \param in       the bytes.
 * \param n        how many.
 * \param out      receives the bytes now known to be snapshot bytes, in
 *                 order; room for n + EX_MARK_LEN - 1 bytes (bytes held
 *                 back from earlier reads may be released now).
 * \param consumed receives how many of the n input bytes were used: all of
 *                 them, unless the mark ends inside this read; then the
 *                 bytes after the mark are not consumed (they are the
 *                 command stream).
 * \return the number of bytes written to out.  When the mark has been
 *         read, m->done is true, and every byte before it has been handed
 *         out.
 */
size_t ex_mark_feed(ex_mark *m, const unsigned char *in, size_t n,
                    unsigned char *out, size_t *consumed);

#endif
