/* plist_match.c - LREM and LPOS on persistent lists: finding items by value.
 * Chapter 8.
 *
 * Both scan the list comparing each item with the bytes given; LPOS
 * (plist_find()) only reports positions, LREM (plist_remove_matching())
 * then deletes them.  The deletes run on a transient, from the last
 * position to the first so that the positions still to delete do not
 * move, and the result is frozen only once all of them have succeeded:
 * a failure half way drops the transient and leaves the list as it was.
 * A transient given to LREM is frozen first and edited through a fresh
 * transient for the same reason (a transient cannot be forked); the
 * nodes it owned are copied once more, a cost only this rare case pays.
 */
#include "plist_private.h"
#include "alloc.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>

/* |v| as an unsigned count, LONG_MIN included. */
static size_t magnitude(long v)
{
    return v < 0 ? (size_t)(-(v + 1)) + 1 : (size_t)v;
}

long plist_find(const plist *l, const void *p, size_t len, long rank,
                size_t count, size_t maxlen, plist_pos_fn *fn, void *arg)
{
    if (rank == 0) {
        errno = EINVAL;
        return -1;
    }
    bool back = rank < 0;
    size_t skip = magnitude(rank), matches = 0, index = 0;
    long reported = 0;
    plist_iter it;
    plist_iter_seek(&it, l, back && l->len > 0 ? l->len - 1 : 0);
    while (plist_iter_valid(&it) && (maxlen == 0 || index < maxlen)) {
        if (velem_eq(plist_iter_elem(&it), p, len) && ++matches >= skip) {
            fn(plist_iter_pos(&it), arg);
            reported++;
            if (count != 0 && (size_t)reported >= count)
                break;
        }
        index++;
        if (back)
            plist_iter_prev(&it);
        else
            plist_iter_next(&it);
    }
    return reported;
}

/* Positions of the first `want` matches from one end, in scan order (so
 * descending from the tail); returns how many (at most want). */
static size_t scan(const plist *l, const void *p, size_t len, bool back,
                   size_t want, size_t *pos)
{
    size_t m = 0;
    plist_iter it;
    plist_iter_seek(&it, l, back && l->len > 0 ? l->len - 1 : 0);
    while (plist_iter_valid(&it) && m < want) {
        if (velem_eq(plist_iter_elem(&it), p, len)) {
            if (pos != NULL)
                pos[m] = plist_iter_pos(&it);
            m++;
        }
        if (back)
            plist_iter_prev(&it);
        else
            plist_iter_next(&it);
    }
    return m;
}

/* Move what t holds into the transient l (whose old contents are
 * released) and free t's struct. */
static void adopt(plist *l, plist *t)
{
    plist_contents_release(l);
    l->len = t->len;
    l->tree = t->tree;
    l->bytes = t->bytes;
    l->cap = t->cap;
    l->items = t->items == t->inl ? l->inl : t->items;
    free(t);
}

int plist_remove_matching(plist *l, const void *p, size_t len, long count,
                          size_t *removed, plist **out)
{
    bool back = count < 0;
    size_t want = count == 0 ? SIZE_MAX : magnitude(count);
    size_t m = scan(l, p, len, back, want, NULL);
    if (m == 0) {
        *removed = 0;
        *out = l->transient ? l : plist_retain(l);
        return 0;
    }
    size_t *pos = xmalloc(m * sizeof *pos);
    if (pos == NULL)
        return -1;
    scan(l, p, len, back, m, pos);
    bool was_transient = l->transient;
    if (was_transient)
        plist_edit_end(l); /* freeze, to edit a fresh transient of it */
    plist *t = plist_edit_begin(l);
    l->transient = was_transient;
    if (t == NULL) {
        free(pos);
        return -1;
    }
    for (size_t k = 0; k < m; k++) {
        /* descending: from the tail they already are, from the head
         * take them last first */
        size_t at = back ? pos[k] : pos[m - 1 - k];
        plist *same;
        if (plist_delete(t, at, &same) != 0) {
            plist_release(t);
            free(pos);
            return -1;
        }
    }
    free(pos);
    if (was_transient) {
        adopt(l, t);
        *out = l;
    } else {
        *out = plist_edit_end(t);
    }
    *removed = m;
    return 0;
}
