/* pset_check.c - the persistent set's invariants, and its byte count.
 * Chapter 8.
 *
 * pset_check() re-derives, the slow and obvious way, what the edits keep
 * up to date: the header's counts (members, integer members, long
 * members), the choice of form under the current limits with its
 * hysteresis, and that no member appears twice in a flat array (the trie
 * checks its own structure and uniqueness).  Kept apart from the edits so
 * that the fast code reads without it.
 */
#include "pset_private.h"

#include <stdio.h>

static int fail(char *err, size_t errlen, const char *what, size_t a,
                size_t b)
{
    snprintf(err, errlen, "pset: %s (%zu, expected %zu)", what, a, b);
    return -1;
}

typedef struct tally {
    size_t n, nint, nbig;
} tally;

static int count(tally *t, const velem *e, char *err, size_t errlen)
{
    if (e == NULL)
        return fail(err, errlen, "missing member at position", t->n, 0);
    if (e->refs < 1)
        return fail(err, errlen, "member with no reference at position",
                    t->n, 1);
    t->n++;
    t->nint += pset_is_canonical_int(e->bytes, e->len);
    t->nbig += pset_big(e);
    return 0;
}

static int compare_tally(const pset *s, const tally *t, char *err,
                         size_t errlen)
{
    if (t->n != s->n)
        return fail(err, errlen, "member count", s->n, t->n);
    if (t->nint != s->nint)
        return fail(err, errlen, "integer member count", s->nint, t->nint);
    if (t->nbig != s->nbig)
        return fail(err, errlen, "long member count", s->nbig, t->nbig);
    return 0;
}

int pset_check(const pset *s, char *err, size_t errlen)
{
    if (s->refs < 1)
        return fail(err, errlen, "reference count", s->refs, 1);
    if (s->transient && s->refs != 1)
        return fail(err, errlen, "transient reference count", s->refs, 1);
    tally t = { 0, 0, 0 };
    if (!s->tree) {
        if (s->n > s->u.flat.cap)
            return fail(err, errlen, "more members than room", s->n,
                        s->u.flat.cap);
        if (s->n > pset_max_entries_)
            return fail(err, errlen, "flat set over max entries", s->n,
                        pset_max_entries_);
        for (size_t i = 0; i < s->n; i++) {
            const velem *e = s->u.flat.items[i];
            if (count(&t, e, err, errlen) < 0)
                return -1;
            if (pset_big(e))
                return fail(err, errlen, "flat set holds a long member at",
                            i, 0);
            for (size_t j = 0; j < i; j++)
                if (velem_eq(s->u.flat.items[j], e->bytes, e->len))
                    return fail(err, errlen, "member twice, positions", j, i);
        }
        return compare_tally(s, &t, err, errlen);
    }
    char sub[200];
    if (ptrie_check(s->u.trie, sub, sizeof sub) != 0) {
        snprintf(err, errlen, "pset: trie: %s", sub);
        return -1;
    }
    if (ptrie_is_transient(s->u.trie) != s->transient)
        return fail(err, errlen, "trie transient flag",
                    ptrie_is_transient(s->u.trie), s->transient);
    if (ptrie_len(s->u.trie) != s->n)
        return fail(err, errlen, "trie length", ptrie_len(s->u.trie), s->n);
    if (s->n <= pset_max_entries_ / 2 && s->nbig == 0)
        return fail(err, errlen, "tree small enough to be flat", s->n,
                    pset_max_entries_ / 2 + 1);
    ptrie_iter it;
    const velem *e;
    ptrie_iter_init(&it, s->u.trie);
    while ((e = ptrie_iter_next(&it)) != NULL)
        if (count(&t, e, err, errlen) < 0)
            return -1;
    return compare_tally(s, &t, err, errlen);
}

size_t pset_bytes(const pset *s)
{
    if (s->tree)
        return sizeof *s + ptrie_bytes(s->u.trie);
    size_t b = s->u.flat.items == s->inl
                   ? pset_header_bytes(s->u.flat.cap)
                   : sizeof *s + s->u.flat.cap * sizeof(velem *);
    for (size_t i = 0; i < s->n; i++)
        b += velem_bytes(s->u.flat.items[i]);
    return b;
}

size_t pset_root_bytes(const pset *s)
{
    return sizeof *s;
}
