/* pstring.h - a persistent long string: Redis string values that change cheaply.
 * Chapter 8.
 *
 * A Redis string value is changed in place by APPEND, SETRANGE and
 * SETBIT.  Chapter 7's values are flat and immutable, so one SETBIT on a
 * 100 MB bitmap would copy 100 MB to make the new version.  A pstring is
 * a version like the others of chapter 8: an edit returns a new version,
 * the old one stays intact for the readers that hold it, and an edit
 * costs O(log n + bytes written), never a copy of the whole string.
 *
 * Why chunks.  A short string stays one flat byte array (at most the
 * threshold, PSTRING_THRESHOLD = 4 KiB by default): copying it whole is
 * cheaper than any tree, and most Redis strings are short.  Above the
 * threshold the bytes are cut into immutable, reference-counted chunks
 * held by a pbtree (pbtree.h), one chunk per element.  Every chunk but
 * the last holds exactly PSTRING_CHUNK bytes, so the chunk of byte i is
 * i / PSTRING_CHUNK: no per-chunk lengths to search, one O(log n)
 * descent.  The operations that can grow a string (APPEND, and SETRANGE
 * or SETBIT past the end) only ever write to the last chunk and push new
 * ones, so the rule holds without rebalancing; an edit inside the string
 * replaces the chunks it touches with new copies of the same lengths.
 *
 * Chunk size.  PSTRING_CHUNK = 4 KiB.  One SETBIT copies one chunk plus
 * the tree path (about 300 bytes a level, 3 levels for 100 MB), so the
 * chunk is the bigger half of an edit; 2 KiB would halve it but double
 * the tree (25,600 chunk pointers for 100 MB at 4 KiB, about 210 KB of
 * nodes, 0.2 %).  4 KiB is a page, a good memcpy size, and keeps the
 * per-chunk header (24 bytes) under 1 %.  Both limits are settings
 * (pstring_set_limits()) so tests can use tiny chunks.
 *
 * Hysteresis.  A string becomes chunked when it grows past the threshold
 * and becomes flat again only when it shrinks (pstring_truncate()) to
 * half the threshold or less.  Without the gap, a string whose length
 * goes back and forth across one value would be rebuilt on every edit.
 *
 * Transients.  pstring_edit_begin() returns a transient: chunks it
 * creates carry its edit id (a number never reused) and are written in
 * place by its later edits, and its tree is a pbtree transient, so k
 * APPENDs to one key cost O(k + bytes appended), not O(k * n).
 * pstring_edit_end() freezes it into a version.
 *
 * Failure.  Every edit allocates what it needs before it changes
 * anything; on ENOMEM it returns -1, the version (or transient) it was
 * given holds exactly what it held, and nothing is leaked.  A transient
 * edit that must undo a tree change it had made does so on tree nodes the
 * transient already owns, which allocates nothing.
 *
 * Thread-safety.  As for pbtree: one writer thread makes every edit and
 * every retain/release (reference counts are plain integers); readers
 * (length, reads, iterators, bit counts) never touch a count and may read
 * a published version from any thread, protected by epochs (chapter 3).
 * A transient belongs to the writer alone until pstring_edit_end().
 */
#ifndef PSTRING_H
#define PSTRING_H

#include "pbtree.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Default longest flat string, in bytes. */
#define PSTRING_THRESHOLD 4096
/** Default chunk size, in bytes. */
#define PSTRING_CHUNK 4096

/** A version or a transient; opaque. */
typedef struct pstring pstring;

/**
 * Set the threshold and chunk size used by strings made from now on
 * (each string keeps the limits it was made with).
 * \param threshold longest flat string, >= 1.
 * \param chunk     bytes per chunk, 1..2^31.
 * \return 0, or -1 with errno EINVAL for a value out of range.
 * Thread-safety: not thread-safe; call before strings are made.
 */
int pstring_set_limits(size_t threshold, size_t chunk);

/**
 * Make a version holding a copy of bytes[0..len).
 * \param bytes the bytes (may be NULL when len is 0).
 * \param len   how many.
 * \return the version (reference count 1), or NULL with errno ENOMEM.
 */
pstring *pstring_new(const void *bytes, size_t len);

/**
 * Take one more reference to a version (writer thread only).
 * \param s a version (not a transient).
 * \return s.
 */
pstring *pstring_retain(pstring *s);

/**
 * Drop one reference to a version, or free a transient.  Chunks no other
 * version shares are freed.  Writer thread only; for a published version
 * only after an epoch grace period.
 * \param s the string (NULL does nothing).
 */
void pstring_release(pstring *s);

/**
 * Length in bytes, O(1).
 * \param s the string.
 * \return the length.
 */
size_t pstring_len(const pstring *s);

/**
 * Whether the string is in chunked form.
 * \param s the string.
 * \return true when chunked, false when flat.
 */
bool pstring_is_chunked(const pstring *s);

/**
 * Bytes this string occupies if it shared nothing: header, flat buffer or
 * tree nodes and chunks.  O(n / chunk) when chunked.
 * \param s the string.
 * \return the byte count.
 */
size_t pstring_bytes_used(const pstring *s);

/**
 * What a store charges for this string, in O(1): the header and the
 * flat buffer (then exactly pstring_bytes_used()), or the header and one
 * full chunk (chunk header and chunk size) per chunk the length needs,
 * the last one rounded up, without the tree's nodes.  Depends only on the
 * length, the form, the flat capacity and the chunk size, so a version
 * always gives the same figure.
 * \param s the string.
 * \return the byte count.  Thread-safety: any reader.
 */
size_t pstring_charge(const pstring *s);

/**
 * Bytes of flat buffers and chunks allocated by every pstring since the
 * program started (never decreases).  For tests and reports: the
 * difference across one edit is what that edit allocated for bytes.
 * \return the count.  Thread-safety: any thread (relaxed atomic).
 */
size_t pstring_bytes_allocated(void);

/**
 * Bytes of flat buffers and chunks allocated by pstrings and not yet
 * freed, in the whole program.  For tests (every release frees what no
 * version shares: back to the start when all are gone) and reports.
 * \return the count.  Thread-safety: any thread (relaxed atomic).
 */
size_t pstring_bytes_live(void);

/* ---- reads (any reader of a published version) --------------------------- */

/**
 * Copy bytes [offset, offset + len) into out, clamped to the string.
 * \param s      the string.
 * \param offset first byte.
 * \param len    how many wanted.
 * \param out    receives them (room for len bytes).
 * \return the number copied: min(len, length - offset), 0 past the end.
 */
size_t pstring_read(const pstring *s, size_t offset, size_t len, void *out);

/**
 * One byte, O(log n).
 * \param s the string.
 * \param i the position.
 * \return the byte 0..255, or -1 when i >= length.
 */
int pstring_byte_at(const pstring *s, size_t i);

/**
 * Bit of the string in Redis order (bit 0 is the most significant bit of
 * byte 0), GETBIT.
 * \param s      the string.
 * \param bitoff the bit's offset.
 * \return 0 or 1; 0 past the end.
 */
int pstring_getbit(const pstring *s, uint64_t bitoff);

/**
 * Number of set bits in bytes start..end, both included (BITCOUNT with a
 * byte range the caller has clamped); end is clamped to the last byte.
 * \param s     the string.
 * \param start first byte.
 * \param end   last byte.
 * \return the count; 0 when start > end or start >= length.
 */
uint64_t pstring_bitcount(const pstring *s, size_t start, size_t end);

/** A walk over a string's bytes, one contiguous piece at a time. */
typedef struct pstring_iter {
    const pstring *s; /**< the string */
    pbtree_iter it;   /**< position in the chunk tree (chunked form) */
    bool done;        /**< no piece left */
} pstring_iter;

/**
 * Start a walk over the pieces of s (a flat string is one piece).
 * \param it the iterator.
 * \param s  the string; must not change or be freed during the walk.
 */
void pstring_iter_init(pstring_iter *it, const pstring *s);

/**
 * Next piece, in order, without copying (for GET and for writing a value
 * out).
 * \param it the iterator.
 * \param p  receives the piece's bytes (the string's; read only).
 * \param n  receives its length (>= 1).
 * \return true with a piece, false when the walk is over.
 */
bool pstring_iter_next(pstring_iter *it, const unsigned char **p, size_t *n);

/* ---- edits ---------------------------------------------------------------
 *
 * Every edit takes s (a version or a transient) and sets *out:
 *  - s a version: *out is a new version (reference count 1, the caller's)
 *    and s is untouched; when nothing changes *out is s, retained.
 *  - s a transient: s is changed in place and *out is s.
 * On failure the return is -1, errno says why (ENOMEM; EINVAL for a
 * length that overflows size_t), *out is not written and s holds what it
 * held.  Cost O(log n + bytes written) (plus the zero padding); a flat
 * string is copied whole (it is at most the threshold).
 * Thread-safety: the writer thread only.
 */

/**
 * Append bytes (APPEND).
 * \param s the string. \param bytes the bytes (NULL only when len is 0).
 * \param len how many. \param out the result.
 * \return 0, or -1 with errno ENOMEM or EINVAL.
 */
int pstring_append(pstring *s, const void *bytes, size_t len, pstring **out);

/**
 * Overwrite bytes from offset (SETRANGE), zero-padding first when offset
 * is past the end.  len 0 changes nothing (as Redis).
 * \param s the string. \param offset where. \param bytes the bytes.
 * \param len how many. \param out the result.
 * \return 0, or -1 with errno ENOMEM or EINVAL.
 */
int pstring_setrange(pstring *s, size_t offset, const void *bytes, size_t len,
                     pstring **out);

/**
 * Set or clear one bit (SETBIT), growing with zero bytes when needed.
 * \param s      the string.
 * \param bitoff the bit, Redis order (see pstring_getbit()).
 * \param bit    0 or 1 (any non-zero is 1).
 * \param out    the result.
 * \param oldbit receives the bit's previous value (may be NULL).
 * \return 0, or -1 with errno ENOMEM or EINVAL.
 */
int pstring_setbit(pstring *s, uint64_t bitoff, int bit, pstring **out,
                   int *oldbit);

/**
 * Cut the string to its first len bytes; a chunked string at half the
 * threshold or less becomes flat again.
 * \param s the string. \param len the new length (<= length).
 * \param out the result.
 * \return 0, or -1 with errno ENOMEM or EINVAL (len > length).
 */
int pstring_truncate(pstring *s, size_t len, pstring **out);

/* ---- transients ---------------------------------------------------------- */

/**
 * Start a batch of edits on a version.
 * \param s the version (not changed; still the caller's).
 * \return the transient, or NULL with errno ENOMEM (or EINVAL when s is a
 *         transient).
 */
pstring *pstring_edit_begin(pstring *s);

/**
 * Freeze a transient into a version.
 * \param s the transient.
 * \return s, now a version with reference count 1.
 */
pstring *pstring_edit_end(pstring *s);

/**
 * Check every invariant: length = sum of the chunks, no empty chunk,
 * every chunk but the last exactly the chunk size, flat form at most the
 * threshold, chunked form above half of it, the tree's own invariants.
 * O(n / chunk).
 * \param s the string. \param err receives the first violation.
 * \param errlen size of err.
 * \return 0 if valid, -1 otherwise.
 */
int pstring_check(const pstring *s, char *err, size_t errlen);

/* ---- bit fields and bit search (pstring_bits.c) ---------------------------
 *
 * BITFIELD's GET, SET and INCRBY and BITPOS, on the string in place: a
 * field is at most 64 bits, so it spans at most 9 bytes, and an edit
 * rewrites those bytes with pstring_setrange() (one or two chunks copied,
 * whatever the string's length).  Bits are numbered as Redis numbers
 * them: bit 0 is the most significant bit of byte 0.  Reads past the end
 * see zeros; writes past the end first grow the string with zero bytes.
 */

/** What BITFIELD SET and INCRBY do with a result that does not fit. */
typedef enum pstring_overflow {
    PSTRING_OVERFLOW_WRAP, /**< keep the low bits (two's complement) */
    PSTRING_OVERFLOW_SAT,  /**< clamp to the type's minimum or maximum */
    PSTRING_OVERFLOW_FAIL  /**< write nothing, reply nil */
} pstring_overflow;

/**
 * Read a field (BITFIELD GET).
 * \param s         the string (NULL: a missing key, all zeros).
 * \param bitoff    the field's first bit.
 * \param bits      its width: 1..64 when signed, 1..63 when not.
 * \param is_signed i<bits> (two's complement) or u<bits>.
 * \param value     receives the value.
 * \return 0, or -1 with errno EINVAL for a bad width or an offset whose
 *         field would end past 2^64 bits.  Thread-safety: any reader.
 */
int pstring_bitfield_get(const pstring *s, uint64_t bitoff, unsigned bits,
                         bool is_signed, int64_t *value);

/**
 * Write a field (BITFIELD SET), growing the string with zeros to cover it.
 * \param s         the string (a version or a transient, as every edit).
 * \param bitoff    the field's first bit. \param bits its width.
 * \param is_signed the type's signedness.
 * \param value     the value (for u<bits>, read as the unsigned 64-bit
 *                  number of the same bits, as Redis does).
 * \param ov        what to do when value does not fit.
 * \param old       receives the field's previous value (when written).
 * \param out       the result; also set when FAIL refuses the write (the
 *                  string is then still grown to cover the field, as Redis
 *                  grows it before running the operations).
 * \return 1 when written, 0 when FAIL refused (reply nil), -1 with errno
 *         EINVAL or ENOMEM (*out not written, s as it was).
 */
int pstring_bitfield_set(pstring *s, uint64_t bitoff, unsigned bits,
                         bool is_signed, int64_t value, pstring_overflow ov,
                         int64_t *old, pstring **out);

/**
 * Add to a field (BITFIELD INCRBY), growing the string as SET does.
 * \param s the string. \param bitoff the field's first bit.
 * \param bits its width. \param is_signed its signedness.
 * \param incr      the increment (may be negative).
 * \param ov        what to do when the sum does not fit.
 * \param result    receives the new value (when written).
 * \param out       the result, as for pstring_bitfield_set().
 * \return 1 when written, 0 when FAIL refused, -1 with errno EINVAL or
 *         ENOMEM.
 */
int pstring_bitfield_incrby(pstring *s, uint64_t bitoff, unsigned bits,
                            bool is_signed, int64_t incr, pstring_overflow ov,
                            int64_t *result, pstring **out);

/**
 * First bit equal to bit (BITPOS key bit [start [end [BYTE|BIT]]]).
 * start and end are Redis's: negative counts from the end, both are
 * clamped to the string, in bytes or (bit_units) in bits.
 * \param s         the string (NULL: a missing key).
 * \param bit       0 or 1.
 * \param start     first byte or bit, or NULL for the whole string.
 * \param end       last byte or bit (included), or NULL for the end.
 * \param bit_units start and end count bits (BIT), not bytes (BYTE).
 * \return the bit's position from bit 0, or -1 when the range holds none
 *         (or is empty).  Looking for 0 without an end, a string of ones
 *         answers its length in bits (the zeros to its right); a missing
 *         key answers 0 for bit 0, -1 for bit 1.
 * Thread-safety: any reader.
 */
int64_t pstring_bitpos(const pstring *s, int bit, const int64_t *start,
                       const int64_t *end, bool bit_units);

#endif
