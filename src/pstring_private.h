/* pstring_private.h - the layout pstring.c and pstring_read.c share; not an API.
 * Chapter 8.
 *
 * A pstring is a header over either one flat buffer or a pbtree of
 * chunks; both files need the two structs, and nothing else does.  Only
 * the writer changes them (reference counts are plain integers, see
 * pstring.h); readers only read len, flat and the chunks' bytes.
 */
#ifndef PSTRING_PRIVATE_H
#define PSTRING_PRIVATE_H

#include "pstring.h"

#include <stdint.h>

/** An immutable piece of a chunked string (mutable only by its owner). */
typedef struct pchunk {
    size_t refs;   /**< slots (in every version) that hold it */
    uint64_t edit; /**< the transient that may write it in place, or 0 */
    uint32_t len;  /**< bytes used */
    uint32_t cap;  /**< bytes allocated in b */
    unsigned char b[];  /**< the bytes */
} pchunk;

/** A version or a transient: a header over the flat or chunked form. */
struct pstring {
    size_t refs;         /**< references to a version; 1 for a transient */
    size_t len;          /**< bytes */
    uint64_t edit;       /**< 0 for a version, the edit id of a transient */
    size_t threshold;    /**< longest flat string */
    size_t chunk;        /**< bytes per chunk */
    unsigned char *flat; /**< flat form (tree NULL): len bytes, cap room */
    size_t cap;          /**< bytes allocated at flat */
    pbtree *tree;        /**< chunked form: pchunk elements */
};

#endif
