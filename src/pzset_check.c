/* pzset_check.c - the sorted set's invariants, checked in one pass.
 * Chapter 8.
 *
 * What must hold: entries strictly increase by (score, member), no score
 * is NaN, every entry is held (reference count >= 1) and its member ends
 * in a NUL.  A flat set has its array (none when empty, room for its
 * entries); a tree-form set has two valid indexes of the same length,
 * and each entry the tree holds is the very entry the trie finds for its
 * member, so the two indexes hold the same entries (same count, and the
 * tree's members are distinct because they increase).  Tests call it
 * after every edit they compare.
 */
#include "pzset_private.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (errlen > 0)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* One entry at rank i, after prev (NULL for the first). */
static int check_entry(const pzset_entry *e, const pzset_entry *prev,
                       size_t i, char *err, size_t errlen)
{
    if (e == NULL)
        return fail(err, errlen, "rank %zu: no entry", i);
    if (e->h.refs == 0)
        return fail(err, errlen, "rank %zu: entry with no reference", i);
    if (e->h.len & PZSET_KEY_BIT)
        return fail(err, errlen, "rank %zu: a search key stored", i);
    if (isnan(e->h.score))
        return fail(err, errlen, "rank %zu: score is NaN", i);
    if (e->member[e->h.len] != '\0')
        return fail(err, errlen, "rank %zu: member not NUL-terminated", i);
    if (prev != NULL && pzset_cmp(prev, e) >= 0)
        return fail(err, errlen,
                    "rank %zu: (%.17g, \"%s\") not above (%.17g, \"%s\")", i,
                    e->h.score, (const char *)e->member, prev->h.score,
                    (const char *)prev->member);
    return 0;
}

int pzset_check(const pzset *z, char *err, size_t errlen)
{
    if (z->refs == 0)
        return fail(err, errlen, "set with no reference");
    if (z->transient && z->refs != 1)
        return fail(err, errlen, "transient with %u references", z->refs);
    if (z->tree == NULL) {
        if (z->dict != NULL)
            return fail(err, errlen, "flat set with a member trie");
        if (z->len > z->cap)
            return fail(err, errlen, "flat set of %zu in room for %zu",
                        z->len, z->cap);
        if ((z->flat == NULL) != (z->cap == 0))
            return fail(err, errlen, "flat array and room disagree");
        if (z->len == 0 && z->flat != NULL)
            return fail(err, errlen, "empty flat set with an array");
        for (size_t i = 0; i < z->len; i++)
            if (check_entry(z->flat[i], i ? z->flat[i - 1] : NULL, i, err,
                            errlen) != 0)
                return -1;
        return 0;
    }
    if (z->dict == NULL)
        return fail(err, errlen, "tree-form set without a member trie");
    char sub[200];
    if (pbtree_check(z->tree, sub, sizeof sub) != 0)
        return fail(err, errlen, "order tree: %s", sub);
    if (ptrie_check(z->dict, sub, sizeof sub) != 0)
        return fail(err, errlen, "member trie: %s", sub);
    if (pbtree_is_transient(z->tree) && !z->transient)
        return fail(err, errlen, "a version holding a transient tree");
    if (ptrie_is_transient(z->dict) && !z->transient)
        return fail(err, errlen, "a version holding a transient trie");
    if (pbtree_len(z->tree) != z->len || ptrie_len(z->dict) != z->len)
        return fail(err, errlen, "length %zu, tree %zu, trie %zu", z->len,
                    pbtree_len(z->tree), ptrie_len(z->dict));
    pbtree_iter it;
    const pzset_entry *prev = NULL;
    size_t i = 0;
    for (pbtree_iter_seek(&it, z->tree, 0); pbtree_iter_valid(&it);
         pbtree_iter_next(&it), i++) {
        const pzset_entry *e = pbtree_iter_elem(&it);
        if (check_entry(e, prev, i, err, errlen) != 0)
            return -1;
        if (ptrie_get(z->dict, e->member, e->h.len) != e)
            return fail(err, errlen,
                        "rank %zu: the trie holds another entry for \"%s\"",
                        i, (const char *)e->member);
        prev = e;
    }
    return 0;
}
