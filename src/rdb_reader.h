/* rdb_reader.h - the byte level of an RDB file, read as a stream.
 * Chapter 7.
 *
 * An RDB file is read front to back exactly once, so the reader is a pull
 * parser over a small window: it asks its source for up to 64 KiB at a
 * time, hands out bytes, lengths and strings, and slides the window on.
 * Nothing requires the whole file in memory; only one string (or one
 * ziplist/listpack blob, which Redis also loads as one string) is buffered
 * at a time, and that buffer grows as the bytes actually arrive, so a
 * corrupt length of 2^60 costs a clear "truncated" error, not a 2^60-byte
 * malloc.
 *
 * The source is a callback, rdb_read_fn, so the same reader loads a file
 * (rdb_source_fd), a memory buffer (rdb_reader_init_mem) or, in chapter 8,
 * the replication socket during a full sync: there the callback is a
 * blocking recv() limited to the announced payload length, and whatever the
 * reader buffered past the end of the RDB is returned by
 * rdb_reader_leftover() to be parsed as the command stream that follows.
 *
 * The CRC-64 is computed as bytes leave the window, so checking it costs
 * one pass over bytes that are already in cache.  Every failure is recorded
 * once, with the absolute byte offset where it was detected, and every
 * function then returns -1 so callers just propagate.
 */
#ifndef RDB_READER_H
#define RDB_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/**
 * Where the reader pulls bytes from.
 *
 * \param ctx the source's state.
 * \param buf where to put the bytes.
 * \param cap at most this many (> 0).
 * \return bytes stored (> 0), 0 at end of input, or -1 on error (errno set).
 */
typedef ssize_t rdb_read_fn(void *ctx, void *buf, size_t cap);

/** A growable byte buffer (a string being read). */
typedef struct rdb_buf {
    unsigned char *p; /**< the bytes, NUL-terminated when len < cap */
    size_t len;       /**< bytes used */
    size_t cap;       /**< bytes allocated */
} rdb_buf;

/** How a string was stored. */
typedef enum rdb_str_enc {
    RDB_STR_RAW,   /**< length-prefixed bytes */
    RDB_STR_INT8,  /**< an integer in 1 byte */
    RDB_STR_INT16, /**< an integer in 2 bytes */
    RDB_STR_INT32, /**< an integer in 4 bytes */
    RDB_STR_LZF,   /**< LZF-compressed bytes */
} rdb_str_enc;

/** The reader.  Fields are private to rdb_reader.c. */
typedef struct rdb_reader {
    rdb_read_fn *read;   /**< the source, NULL for a memory reader */
    void *ctx;           /**< the source's state */
    unsigned char *buf;  /**< the window */
    size_t cap;          /**< window size */
    size_t pos;          /**< next unread byte in buf */
    size_t end;          /**< bytes valid in buf */
    uint64_t base;       /**< absolute file offset of buf[0] */
    size_t crc_pos;      /**< bytes of buf already folded into crc */
    uint64_t crc;        /**< CRC-64 of bytes before buf + crc_pos */
    bool owns_buf;       /**< whether buf is ours to free */
    bool at_eof;         /**< the source reported end of input */
    bool failed;         /**< an error was recorded */
    rdb_buf scratch;     /**< LZF input */
    uint64_t need_after; /**< bytes a string still needs after the
                              current read (named when input ends) */
    char err[512];       /**< the first error, with its offset */
} rdb_reader;

/**
 * Initialise a reader over a source callback.
 * \param r    the reader.
 * \param read the source.
 * \param ctx  its state, passed to every call.
 * \return 0, or -1 if out of memory.
 */
int rdb_reader_init(rdb_reader *r, rdb_read_fn *read, void *ctx);

/**
 * Initialise a reader over bytes in memory (not copied; they must outlive
 * the reader).
 * \param r   the reader.
 * \param p   the bytes.
 * \param len how many.
 */
void rdb_reader_init_mem(rdb_reader *r, const void *p, size_t len);

/** Release a reader's buffers.  \param r the reader. */
void rdb_reader_free(rdb_reader *r);

/**
 * A source reading a file descriptor (ctx is the fd cast to intptr_t).
 * \param ctx (void *)(intptr_t)fd.
 * \param buf destination.
 * \param cap its size.
 * \return as rdb_read_fn; EINTR is retried.
 */
ssize_t rdb_source_fd(void *ctx, void *buf, size_t cap);

/**
 * State of rdb_source_mem(): bytes in memory, handed out in pieces.
 *
 * Unlike rdb_reader_init_mem(), which lets the reader see the whole buffer
 * at once, this goes through the reader's window refills; small chunks
 * exercise the refill and big-read paths (tests and the fuzz target use it).
 */
typedef struct rdb_mem_source {
    const unsigned char *p; /**< the bytes (not copied; must outlive it) */
    size_t len;             /**< how many */
    size_t pos;             /**< how many have been handed out so far */
    size_t chunk;           /**< the most bytes one call returns (>= 1) */
} rdb_mem_source;

/**
 * A source reading from memory, at most ctx->chunk bytes per call.
 * \param ctx an rdb_mem_source (pos advances as bytes are handed out).
 * \param buf destination.
 * \param cap its size.
 * \return as rdb_read_fn: the bytes copied, 0 at the end; never fails.
 */
ssize_t rdb_source_mem(void *ctx, void *buf, size_t cap);

/**
 * Record an error (only the first one is kept), prefixed with the current
 * offset.
 * \param r   the reader.
 * \param fmt printf format.
 * \param ... its arguments.
 * \return -1, so callers can write `return rdb_fail(r, ...)`.
 */
int rdb_fail(rdb_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/**
 * Record an error at a given offset (see rdb_fail()).
 * \param r      the reader.
 * \param offset the byte offset to report.
 * \param fmt    printf format.
 * \param ...    its arguments.
 * \return -1.
 */
int rdb_fail_at(rdb_reader *r, uint64_t offset, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/**
 * Absolute offset of the next byte to be read.
 * \param r the reader.
 * \return bytes consumed so far.
 */
uint64_t rdb_offset(const rdb_reader *r);

/**
 * Read exactly n bytes.
 * \param r   the reader.
 * \param dst destination (n bytes).
 * \param n   how many.
 * \return 0, or -1 (error recorded: "unexpected end of input" if short).
 */
int rdb_read(rdb_reader *r, void *dst, size_t n);

/**
 * Skip exactly n bytes (they still count towards the CRC).
 * \param r the reader.
 * \param n how many.
 * \return 0, or -1.
 */
int rdb_skip(rdb_reader *r, uint64_t n);

/**
 * Read one byte.
 * \param r   the reader.
 * \param out receives it.
 * \return 0, or -1.
 */
int rdb_read_u8(rdb_reader *r, uint8_t *out);

/**
 * Read a length (6, 14, 32 or 64 bit form) or a special string encoding.
 * \param r       the reader.
 * \param len     receives the length, or the special encoding number.
 * \param special receives whether it was a special encoding (may be NULL:
 *                then a special encoding is an error).
 * \return 0, or -1.
 */
int rdb_read_len(rdb_reader *r, uint64_t *len, bool *special);

/**
 * Read a string in any encoding; integers are rendered in decimal.
 * \param r   the reader.
 * \param out receives the bytes (grown as data arrives; NUL-terminated).
 * \param enc receives how it was stored (may be NULL).
 * \return 0, or -1.
 */
int rdb_read_string(rdb_reader *r, rdb_buf *out, rdb_str_enc *enc);

/**
 * Read a little-endian unsigned integer of 1..8 bytes.
 * \param r     the reader.
 * \param bytes its width.
 * \param out   receives it.
 * \return 0, or -1.
 */
int rdb_read_uint_le(rdb_reader *r, int bytes, uint64_t *out);

/**
 * Read a score stored as text: 1 length byte (253 nan, 254 inf, 255 -inf)
 * then that many ASCII characters (RDB types ZSET and module doubles before
 * RDB 8).
 * \param r   the reader.
 * \param out receives the value.
 * \return 0, or -1.
 */
int rdb_read_double_text(rdb_reader *r, double *out);

/**
 * Read an 8-byte little-endian IEEE double.
 * \param r   the reader.
 * \param out receives the value.
 * \return 0, or -1.
 */
int rdb_read_double_bin(rdb_reader *r, double *out);

/**
 * CRC-64 of every byte consumed so far.
 * \param r the reader.
 * \return the CRC.
 */
uint64_t rdb_crc(rdb_reader *r);

/**
 * Count (and discard) every byte left in the input.
 * \param r   the reader.
 * \param out receives the count.
 * \return 0, or -1 on a source error.
 */
int rdb_count_rest(rdb_reader *r, uint64_t *out);

/**
 * Bytes the reader took from its source but has not consumed (read ahead
 * past the end of the RDB payload).
 * \param r   the reader.
 * \param len receives how many.
 * \return a pointer to them, valid until the next call on r.
 */
const unsigned char *rdb_reader_leftover(const rdb_reader *r, size_t *len);

/**
 * Make room in a buffer.
 * \param b    the buffer.
 * \param need total bytes it must be able to hold (plus a NUL).
 * \return 0, or -1 if out of memory.
 */
int rdb_buf_reserve(rdb_buf *b, size_t need);

/** Free a buffer's memory.  \param b the buffer. */
void rdb_buf_free(rdb_buf *b);

/**
 * Decompress LZF data, requiring exactly out_len bytes of output.
 * \param in      compressed bytes.
 * \param in_len  their number.
 * \param out     destination.
 * \param out_len the expected decompressed size.
 * \param why     receives a static reason on failure.
 * \return 0, or -1.
 */
int rdb_lzf_decompress(const unsigned char *in, size_t in_len,
                       unsigned char *out, size_t out_len, const char **why);

#endif
