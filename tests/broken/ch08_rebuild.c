/* ch08_rebuild.c - chapter 8's trie with chapter 7's way of writing: rebuild it all.
 *
 * Chapter 8 opens with the test that a write to a big hash must allocate a
 * few dozen objects, not a copy of the hash.  This file makes the failure
 * of a flat, rebuild-on-write value real: it compiles src/ptrie_edit.c
 * unchanged with its ptrie_put() renamed out of the way, and supplies a
 * ptrie_put() that, given a version, first copies every element into a
 * fresh trie and then inserts into the copy, which is what one HSET costs
 * when a value is immutable and flat.  The contents are right; only the
 * cost is wrong, and the allocation-counting tests say so.
 * `make broken-ch08_rebuild` links it with chapter 8's suites in place of
 * the library's ptrie_edit.o.  Never built into the library.
 */
#define ptrie_put ptrie_put_in_place
#include "ptrie_edit.c"
#undef ptrie_put

int ptrie_put(ptrie *t, void *elem, bool replace, ptrie **out);

int ptrie_put(ptrie *t, void *elem, bool replace, ptrie **out)
{
    if (ptrie_is_transient(t))
        return ptrie_put_in_place(t, elem, replace, out);
    /* The bug: a write to a version rebuilds the whole collection. */
    ptrie *e = ptrie_new(&t->ops), *copy;
    if (e == NULL)
        return -1;
    e->hash = t->hash;
    copy = ptrie_edit_begin(e);
    ptrie_release(e);
    if (copy == NULL)
        return -1;
    ptrie_iter it;
    ptrie_iter_init(&it, t);
    ptrie *same;
    for (void *x; (x = ptrie_iter_next(&it)) != NULL;)
        if (ptrie_put_in_place(copy, x, false, &same) < 0) {
            ptrie_release(copy);
            return -1;
        }
    int rc = ptrie_put_in_place(copy, elem, replace, &same);
    if (rc < 0) {
        ptrie_release(copy);
        return -1;
    }
    *out = ptrie_edit_end(copy);
    return rc;
}
