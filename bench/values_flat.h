/* values_flat.h - chapter 7's flat immutable collection, rebuilt whole on every write: the baseline.
 * Chapter 8.
 *
 * Chapter 7 keeps a list, set, hash, sorted set or stream as flat arrays
 * in Redis's order, the element bytes in an arena the value owns, and for
 * sets, hashes and sorted sets an open-addressing table (map.h) from
 * member to position + 1.  Such a value is immutable, so a write makes a
 * new one: this is that write, written out for the benchmark rather than
 * taken from src/value.c (whose layout chapter 8 replaces), and written
 * to be as cheap as that layout allows: one memcpy of the old arena plus
 * the new bytes, one pass over the element array (each pointer moved to
 * the new arena, the edited position skipped or added), the score or ID
 * array copied with the same shift, and the index table rebuilt from the
 * new array, since every position after the edit has moved.  Bytes of an
 * element replaced or removed stay in the arena as garbage until the
 * round that made them ends (at most VB_ROUND_MAX small strings), which
 * only makes the copy slightly longer.
 *
 * A collection's element is `width` strings (1 for list items, set and
 * sorted-set members; 2 for a hash's field and value, a stream entry's
 * one field and value), and the index, when there is one, maps an
 * element's first string.
 */
#ifndef VALUES_FLAT_H
#define VALUES_FLAT_H

#include "map.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** One string of a flat collection: chapter 7's value_elem. */
typedef struct vb_felem {
    size_t len;                 /**< length in bytes */
    const unsigned char *bytes; /**< the bytes, in the arena, NUL after */
} vb_felem;

/** A flat immutable collection. */
typedef struct vb_flat {
    long count;            /**< elements */
    long cap;              /**< room in the arrays (building only) */
    int width;             /**< strings per element, 1 or 2 */
    vb_felem *e;           /**< count * width strings, in order */
    double *score;         /**< per element (sorted sets), or NULL */
    uint64_t *id;          /**< 2 per element, ms and seq (streams), or NULL */
    unsigned char *arena;  /**< every string's bytes */
    size_t used;           /**< bytes of the arena in use */
    size_t arena_cap;      /**< its size */
    map *index;            /**< first string -> position + 1, or NULL */
} vb_flat;

/**
 * An empty collection to build (vb_flat_push(), then vb_flat_index()).
 * \param width   strings per element, 1 or 2.
 * \param scored  keep a score per element.
 * \param ids     keep a stream ID per element.
 * \param cap     elements to make room for.
 * \return the collection (exits when out of memory).
 */
vb_flat *vb_flat_new(int width, bool scored, bool ids, long cap);

/**
 * Append an element while building (untimed).
 * \param f the collection. \param s width strings. \param len their lengths.
 * \param score its score (if scored). \param id its ID, 2 numbers (if ids).
 */
void vb_flat_push(vb_flat *f, const char *const *s, const size_t *len,
                  double score, const uint64_t *id);

/** Build the index table of a collection (first string -> position + 1).
 *  \param f the collection (exits when out of memory). */
void vb_flat_index(vb_flat *f);

/**
 * The write of chapter 7: a new collection equal to f with the element at
 * position del removed (del < 0: none) and then an element inserted at
 * position ins of the result (ins < 0: none); del == ins replaces.  f is
 * not changed.  The index is rebuilt when f has one.
 * \param f     the collection.
 * \param del   position removed, or -1.
 * \param ins   position of the new element in the result, or -1.
 * \param s     the new element's width strings (when ins >= 0).
 * \param len   their lengths.
 * \param score its score.  \param id its ID (2 numbers, or NULL).
 * \return the new collection (exits when out of memory).
 */
vb_flat *vb_flat_edit(const vb_flat *f, long del, long ins,
                      const char *const *s, const size_t *len, double score,
                      const uint64_t *id);

/**
 * Position of the element whose first string is key.
 * \param f an indexed collection. \param key the bytes. \param len length.
 * \return the position, or -1.
 */
long vb_flat_find(const vb_flat *f, const void *key, size_t len);

/**
 * The string at a position: `&f->e[i]`, but a call, as every read of the
 * other two ways is, so that a loop reading one position over and over
 * cannot be folded by the compiler into a single load.
 * \param f the collection. \param i the position (< count * width).
 * \return the string.
 */
const vb_felem *vb_flat_at(const vb_flat *f, long i);

/**
 * Check a collection: every string inside the arena and NUL-terminated,
 * the index mapping each element to its own position and nothing else,
 * sorted-set entries strictly ascending by (score, member), stream IDs
 * strictly ascending.  The quick run (CI) checks the last collection of
 * every flat write round with it, so a baseline that timed a wrong copy
 * fails loudly instead of reporting a figure.
 * \param f the collection. \param err receives the first violation.
 * \param errlen its size.
 * \return 0 if valid, -1 otherwise.
 */
int vb_flat_check(const vb_flat *f, char *err, size_t errlen);

/**
 * End a flat write round: check the round's last collection when
 * vb_verify is set (exits naming the violation), then free it unless it
 * is the base.
 * \param v the round's last collection. \param base the round's base.
 */
void vb_flat_finish(vb_flat *v, const void *base);

/** Whether vb_flat_finish() checks (the quick run sets it). */
extern bool vb_verify;

/** Heap bytes of a collection (arrays, arena, index).
 *  \param f the collection. \return the bytes. */
size_t vb_flat_bytes(const vb_flat *f);

/** Free a collection. \param f the collection (NULL does nothing). */
void vb_flat_free(vb_flat *f);

#endif
