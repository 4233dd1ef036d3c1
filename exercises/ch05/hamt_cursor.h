/* hamt_cursor.h - exercise 5.1: walk a snapshot without callbacks.
 *
 * hamt_iterate() calls you back for every key, which is awkward when the
 * caller wants to stop and resume (a SCAN command returns a page of keys
 * at a time) or to merge two walks.  A cursor turns the recursion inside
 * out: it keeps its own stack of (node, next slot) pairs, and every call
 * to hamt_cursor_next() returns one key.  Because a published version never
 * changes, a cursor over it sees exactly that version however many writes
 * happen meanwhile (as long as its nodes stay allocated).
 */
#ifndef HAMT_CURSOR_H
#define HAMT_CURSOR_H

#include "hamt.h"

/* A branch path is at most HAMT_MAX_DEPTH nodes long, plus one collision
 * node at its end. */
#define HAMT_CURSOR_STACK (HAMT_MAX_DEPTH + 1)

typedef struct hamt_cursor {
    const hamt_node *node[HAMT_CURSOR_STACK]; /* the path from the root */
    uint32_t next[HAMT_CURSOR_STACK];         /* next slot to visit there */
    int depth;                                /* entries used; 0 = done */
} hamt_cursor;

/* Start a walk of the version `root` (NULL: the empty version). */
void hamt_cursor_init(hamt_cursor *c, const hamt_node *root);

/* Return 1 and the next key and value, or 0 when every key was returned
 * (and on every later call).  Keys come in the same order as
 * hamt_iterate() visits them.  No allocation, no recursion. */
int hamt_cursor_next(hamt_cursor *c, const hamt_key **key, void **val);

#endif
