/* value_arena.c - element bytes of a flat collection, a few big chunks at a time.
 * Chapter 8.
 *
 * Chapter 7's flat collections and module values copy every element's
 * bytes into an arena owned by their payload: chunks bump-allocated front
 * to back, the first small (most collections are small), then doubling to
 * 64 KiB; an element bigger than that gets a chunk of its own.  Loading a
 * 100,000-member hash costs a handful of allocations instead of 200,000,
 * and freeing it is a walk over the chunks.  (The persistent modules of
 * chapter 8 cannot use one: their elements outlive the version that made
 * them, so each is its own reference-counted object, velem.h.)
 */
#include "value_internal.h"
#include "alloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_MIN 256
#define CHUNK_MAX 65536

int value_arena_copy(struct value_chunk **arena, const void *bytes,
                     size_t len, value_elem *out)
{
    struct value_chunk *c = *arena;
    if (len > SIZE_MAX / 2) {
        errno = ENOMEM;
        return -1;
    }
    if (c == NULL || c->cap - c->used < len + 1) {
        size_t cap = c == NULL ? CHUNK_MIN : c->cap * 2;
        if (cap > CHUNK_MAX)
            cap = CHUNK_MAX;
        if (cap < len + 1)
            cap = len + 1;
        struct value_chunk *n = xmalloc(sizeof *n + cap);
        if (n == NULL)
            return -1;
        n->cap = cap;
        n->used = 0;
        /* A dedicated big chunk goes behind the current one so that the
         * current chunk's free space stays usable for small elements. */
        if (c != NULL && len + 1 > CHUNK_MAX) {
            n->next = c->next;
            c->next = n;
        } else {
            n->next = c;
            *arena = n;
        }
        c = n;
    }
    out->bytes = c->data + c->used;
    out->len = len;
    if (len > 0)
        memcpy(out->bytes, bytes, len);
    out->bytes[len] = '\0';
    c->used += len + 1;
    return 0;
}

void value_arena_free(struct value_chunk *c)
{
    while (c != NULL) {
        struct value_chunk *next = c->next;
        free(c);
        c = next;
    }
}

size_t value_arena_bytes(const struct value_chunk *c)
{
    size_t b = 0;
    for (; c != NULL; c = c->next)
        b += sizeof *c + c->cap;
    return b;
}
