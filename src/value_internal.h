/* value_internal.h - what the value files share: arenas and payload operations.
 * Chapter 8.
 *
 * value.c owns the header and dispatches every payload operation (retain,
 * release, copy for an edit, seal, count, bytes) by type to the code that
 * holds that type's payload: a chapter-8 module (plist.h, pset.h, phash.h,
 * pzset.h, pstream.h, pstring.h) or the module values of
 * value_module.c.  Not for use outside src/value*.c.
 */
#ifndef VALUE_INTERNAL_H
#define VALUE_INTERNAL_H

#include "value.h"

/** One arena chunk; elements are bump-allocated from data[]. */
struct value_chunk {
    struct value_chunk *next; /**< older chunks */
    size_t used;              /**< bytes of data[] handed out */
    size_t cap;               /**< bytes of data[] */
    unsigned char data[];     /**< the element bytes */
};

/**
 * Copy bytes into an arena (value_arena.c).
 * \param arena the arena's head pointer (NULL for an empty arena).
 * \param bytes the bytes (NULL only when len is 0).
 * \param len   how many.
 * \param out   receives the copy, NUL-terminated.
 * \return 0, or -1 with errno ENOMEM (the arena is unchanged).
 */
int value_arena_copy(struct value_chunk **arena, const void *bytes,
                     size_t len, value_elem *out);

/**
 * Free every chunk of an arena.
 * \param c the head (NULL does nothing).
 */
void value_arena_free(struct value_chunk *c);

/**
 * Heap bytes of an arena.
 * \param c the head.
 * \return the bytes requested from malloc.
 */
size_t value_arena_bytes(const struct value_chunk *c);

/* ---- the header (value.c) ----------------------------------------------- */

/** A header with a payload to be set by the caller: refs 1, flags 0, or
 *  NULL + ENOMEM. */
value *value_header_new(value_type type, int64_t expire_ms);
/** Take one more reference to v's payload (a version's). */
void value_payload_retain(const value *v);
/** Drop v's reference to its payload. */
void value_payload_release(value *v);

/* ---- module values (value_module.c) ------------------------------------- */

/** An empty module payload (refs 1), or NULL + ENOMEM. */
value_module *value_module_new(void);
/** Drop one reference; the last frees everything. */
void value_module_release(value_module *m);
/** Heap bytes, the struct included. */
size_t value_module_bytes(const value_module *m);

#endif
