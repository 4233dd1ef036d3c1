/* hamt_cursor.c - exercise 5.1 (solution): a cursor over a hamt snapshot.
 *
 * The recursion of hamt_iterate() with its call stack made explicit: each
 * stack entry is a node and the index of the next slot to look at.
 */
#include "hamt_cursor.h"

void hamt_cursor_init(hamt_cursor *c, const hamt_node *root)
{
    c->depth = 0;
    if (root != NULL) {
        c->node[0] = root;
        c->next[0] = 0;
        c->depth = 1;
    }
}

int hamt_cursor_next(hamt_cursor *c, const hamt_key **key, void **val)
{
    while (c->depth > 0) {
        int d = c->depth - 1;
        const hamt_node *nd = c->node[d];
        if (c->next[d] == nd->n) { /* this node is finished */
            c->depth--;
            continue;
        }
        const hamt_slot *s = &nd->slots[c->next[d]++];
        if (s->key != NULL) {
            *key = s->key;
            *val = s->u.val;
            return 1;
        }
        /* A child: descend.  The depth bound holds because a branch path
         * is at most HAMT_MAX_DEPTH long and only a collision node, which
         * has no children, can sit below its last branch. */
        c->node[c->depth] = s->u.child;
        c->next[c->depth] = 0;
        c->depth++;
    }
    return 0;
}
