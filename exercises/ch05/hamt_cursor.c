/* hamt_cursor.c - exercise 5.1 (starter): a cursor over a hamt snapshot.
 *
 * Keep a stack: node[d] is the node at depth d of the current path and
 * next[d] the slot to look at next in it.  hamt_cursor_next() looks at the
 * top of the stack: if that node has no slot left, pop it; if the slot
 * holds a key, return it (and advance next[d]); if it holds a child, push
 * the child.  Read hamt.h for the node layout.
 */
#include "hamt_cursor.h"

void hamt_cursor_init(hamt_cursor *c, const hamt_node *root)
{
    /* Exercise 5.1: push root (unless it is NULL). */
    (void)root;
    c->depth = 0;
}

int hamt_cursor_next(hamt_cursor *c, const hamt_key **key, void **val)
{
    /* Exercise 5.1: walk the stack as described above. */
    (void)c;
    (void)key;
    (void)val;
    return 0;
}
