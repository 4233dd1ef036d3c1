/* blob_writer.h - listpacks and ziplists written by Redis's rules, for tests.
 *
 * rdb_builder.h's lp_build() writes the small listpacks most tests need.
 * Tests of the encodings themselves need every form: integers of every
 * width, string headers of 1, 2 and 5 bytes, back-lengths of 1 to 5 bytes,
 * ziplist prevlens of 1 and 5 bytes.  These writers follow the rules of
 * redis/redis src/listpack.c and src/ziplist.c -- the narrowest integer
 * form that holds a value, the narrowest string header, and for listpack
 * back-lengths the width lpEncodeBacklen chooses, which is one byte more
 * than needed at 16383, 2097151 and 268435455 -- so a test can put an
 * element on either side of any boundary and know what Redis would have
 * written.  They are written independently of the readers in src/, so a
 * misreading of the format shows as a disagreement.  Out of memory aborts
 * the current Check test (bb_raw).
 */
#ifndef TEST_BLOB_WRITER_H
#define TEST_BLOB_WRITER_H

#include "rdb_builder.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Bytes of the back-length Redis writes for an entry of l bytes.
 * \param l entry size (header + data).
 * \return 1 to 5.
 */
size_t lpw_backlen_width(uint64_t l);

/**
 * Write the back-length of an l-byte entry in w bytes: most significant 7
 * bits first, every byte after the first flagged 0x80.
 * \param out receives w bytes.
 * \param l   the entry size.
 * \param w   the width (usually lpw_backlen_width(l)).
 */
void lpw_backlen(unsigned char *out, uint64_t l, size_t w);

/**
 * Append an entry: header, data, back-length.
 * \param b    the listpack being written.
 * \param hdr  the encoding bytes.
 * \param hl   their count.
 * \param data the payload (may be NULL when dlen is 0).
 * \param dlen its size.
 */
void lpw_entry(bb *b, const unsigned char *hdr, size_t hl, const void *data,
               size_t dlen);

/**
 * Append a string with the narrowest header (6, 12 or 32-bit length).
 * \param b   the listpack.
 * \param s   the bytes.
 * \param len their count.
 */
void lpw_str(bb *b, const char *s, size_t len);

/**
 * Append an integer in the narrowest form (7-bit, 13-bit, 16, 24, 32, 64).
 * \param b the listpack.
 * \param v the value.
 * \return the encoded size (header + payload, without the back-length).
 */
size_t lpw_int(bb *b, int64_t v);

/** Start a listpack (header placeholder).  \param b the buffer, emptied */
void lpw_begin(bb *b);

/**
 * Finish a listpack: end byte, total size and count (65535 when it does not
 * fit, as Redis writes it).
 * \param b     the listpack.
 * \param count elements written.
 */
void lpw_end(bb *b, size_t count);

/** A ziplist being written. */
typedef struct zlw {
    bb b;         /**< the bytes */
    size_t prev;  /**< size of the previous entry */
    size_t last;  /**< offset of the last entry */
    size_t count; /**< entries written */
} zlw;

/** Start a ziplist (header placeholder).  \param z the writer, reset */
void zlw_begin(zlw *z);

/**
 * Append a string entry (6, 14 or 32-bit length).
 * \param z           the ziplist.
 * \param s           the bytes.
 * \param len         their count.
 * \param force_large write the prevlen in 5 bytes even when it fits in one,
 *                    as Redis leaves it after a cascade update.
 */
void zlw_str(zlw *z, const char *s, size_t len, bool force_large);

/**
 * Append an integer entry in the narrowest form (4-bit immediate 0..12,
 * int8, int16, int24, int32, int64).
 * \param z the ziplist.
 * \param v the value.
 */
void zlw_int(zlw *z, int64_t v);

/** Finish a ziplist: end byte, zlbytes, zltail, zllen.  \param z the
 *  ziplist */
void zlw_end(zlw *z);

#endif
