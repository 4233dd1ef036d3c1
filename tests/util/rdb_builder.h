/* rdb_builder.h - writing small RDB files byte by byte, for tests.
 *
 * The corpus covers what real servers wrote; tests of what they did not
 * write (rare opcodes, new types, damaged files) build their input here:
 * a growable buffer and one function per RDB primitive, with the CRC-64
 * appended by rdb_bb_eof().  Assertion failures (out of memory) abort the
 * current Check test.
 */
#ifndef TEST_RDB_BUILDER_H
#define TEST_RDB_BUILDER_H

#include <stddef.h>
#include <stdint.h>

/** A growable byte buffer. */
typedef struct bb {
    unsigned char *p; /**< the bytes */
    size_t len;       /**< bytes written */
    size_t cap;       /**< bytes allocated */
} bb;

/** Append raw bytes.  \param b buffer \param p bytes \param n count */
void bb_raw(bb *b, const void *p, size_t n);
/** Append one byte.  \param b buffer \param v the byte */
void bb_u8(bb *b, unsigned v);
/** Append n bytes of v, little-endian.  \param b buffer \param v value
 *  \param n width in bytes */
void bb_le(bb *b, uint64_t v, int n);
/** Append an RDB length in its smallest form (6/14/32/64-bit).
 *  \param b buffer \param v the length */
void bb_len(bb *b, uint64_t v);
/** Append an RDB string (length + bytes).  \param b buffer \param s text */
void bb_str(bb *b, const char *s);
/** Append another buffer as an RDB string.  \param b buffer
 *  \param blob the bytes to wrap */
void bb_blob(bb *b, const bb *blob);
/** Append "REDIS00vv" and SELECTDB 0.  \param b buffer
 *  \param version RDB version */
void bb_header(bb *b, int version);
/** Append EOF and, from version 5, the CRC-64 of all bytes before.
 *  \param b buffer \param version RDB version */
void bb_eof(bb *b, int version);
/** Replace lp's contents with a listpack of strings (under 64 bytes) and
 *  small integers written "#n" (0..127).
 *  \param lp the buffer \param items the elements \param n how many */
void lp_build(bb *lp, const char *const *items, size_t n);

#endif
