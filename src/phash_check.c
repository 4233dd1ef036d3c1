/* phash_check.c - the persistent hash's invariants, and its byte count.
 * Chapter 8.
 *
 * phash_check() re-derives, the slow and obvious way, everything the
 * edits keep up to date: the counts in the header (fields, expiring
 * fields, long fields) and the minimum expiry, the choice of form under
 * the current limits (with its hysteresis), no name twice, and that the
 * expiry index holds exactly the trie's expiring fields, the very same
 * objects.  The trie and the index check their own structure.  Kept
 * apart from the edits so that the fast code reads without it.
 */
#include "phash_private.h"

#include <stdio.h>
#include <string.h>

static int fail(char *err, size_t errlen, const char *what, size_t a,
                size_t b)
{
    snprintf(err, errlen, "phash: %s (%zu, expected %zu)", what, a, b);
    return -1;
}

/* What the fields themselves say, compared with the header. */
typedef struct tally {
    size_t n, nexp, nbig;
    int64_t min;
} tally;

static int count(tally *t, const phash_field *f, char *err, size_t errlen)
{
    if (f == NULL)
        return fail(err, errlen, "missing field at position", t->n, 0);
    if (f->refs < 1)
        return fail(err, errlen, "field with no reference at position",
                    t->n, 1);
    int64_t e = phash_field_expire(f);
    if (f->has_expire && e < 0)
        return fail(err, errlen, "stored expiry below 0 at position", t->n,
                    0);
    t->n++;
    t->nbig += phash_field_big(f);
    if (e != PHASH_NO_EXPIRE) {
        t->nexp++;
        if (t->min == PHASH_NO_EXPIRE || e < t->min)
            t->min = e;
    }
    return 0;
}

static int compare_tally(const phash *h, const tally *t, char *err,
                         size_t errlen)
{
    if (t->n != h->n)
        return fail(err, errlen, "field count", h->n, t->n);
    if (t->nexp != h->nexp)
        return fail(err, errlen, "expiring field count", h->nexp, t->nexp);
    if (t->nbig != h->nbig)
        return fail(err, errlen, "long field count", h->nbig, t->nbig);
    if (t->min != h->min_expire) {
        snprintf(err, errlen, "phash: min expiry %lld, fields say %lld",
                 (long long)h->min_expire, (long long)t->min);
        return -1;
    }
    return 0;
}

static int check_flat(const phash *h, char *err, size_t errlen)
{
    tally t = { 0, 0, 0, PHASH_NO_EXPIRE };
    if (h->n > h->u.flat.cap)
        return fail(err, errlen, "more fields than room", h->n,
                    h->u.flat.cap);
    if (h->n > phash_max_entries_)
        return fail(err, errlen, "flat hash over max entries", h->n,
                    phash_max_entries_);
    for (size_t i = 0; i < h->n; i++) {
        const phash_field *f = h->u.flat.items[i];
        if (count(&t, f, err, errlen) < 0)
            return -1;
        if (phash_field_big(f))
            return fail(err, errlen, "flat hash holds a long field at", i,
                        0);
        size_t len;
        const unsigned char *name = phash_field_name(f, &len);
        for (size_t j = 0; j < i; j++)
            if (phash_field_is(h->u.flat.items[j], name, len))
                return fail(err, errlen, "name twice, positions", j, i);
    }
    return compare_tally(h, &t, err, errlen);
}

static int check_tree(const phash *h, char *err, size_t errlen)
{
    const ptrie *tr = h->u.tree.fields;
    char sub[200];
    if (ptrie_check(tr, sub, sizeof sub) != 0) {
        snprintf(err, errlen, "phash: trie: %s", sub);
        return -1;
    }
    if (ptrie_is_transient(tr) != h->transient)
        return fail(err, errlen, "trie transient flag", ptrie_is_transient(tr),
                    h->transient);
    if (ptrie_len(tr) != h->n)
        return fail(err, errlen, "trie length", ptrie_len(tr), h->n);
    if (h->n <= phash_max_entries_ / 2 && h->nbig == 0)
        return fail(err, errlen, "tree small enough to be flat", h->n,
                    phash_max_entries_ / 2 + 1);
    tally t = { 0, 0, 0, PHASH_NO_EXPIRE };
    ptrie_iter it;
    const phash_field *f;
    ptrie_iter_init(&it, tr);
    while ((f = ptrie_iter_next(&it)) != NULL)
        if (count(&t, f, err, errlen) < 0)
            return -1;
    if (compare_tally(h, &t, err, errlen) < 0)
        return -1;
    const pbtree *idx = h->u.tree.expiry;
    if (idx == NULL)
        return h->nexp == 0 ? 0
                            : fail(err, errlen, "no index for expiring fields",
                                   h->nexp, 0);
    if (pbtree_check(idx, sub, sizeof sub) != 0) {
        snprintf(err, errlen, "phash: expiry index: %s", sub);
        return -1;
    }
    if (pbtree_is_transient(idx))
        return fail(err, errlen, "expiry index is a transient", 1, 0);
    if (pbtree_len(idx) != h->nexp)
        return fail(err, errlen, "expiry index length", pbtree_len(idx),
                    h->nexp);
    /* Strictly ordered (pbtree_check), as long as the expiring fields, and
     * each one the trie's own object: exactly the expiring fields. */
    pbtree_iter bi;
    size_t i = 0;
    for (pbtree_iter_seek(&bi, idx, 0); pbtree_iter_valid(&bi);
         pbtree_iter_next(&bi), i++) {
        const phash_field *e = pbtree_iter_elem(&bi);
        size_t len;
        const unsigned char *name = phash_field_name(e, &len);
        if (!e->has_expire)
            return fail(err, errlen, "index holds a field with no expiry at",
                        i, 0);
        if (ptrie_get(tr, name, len) != e)
            return fail(err, errlen, "index field not the trie's at", i, 0);
        if (i == 0 && phash_field_expire(e) != h->min_expire)
            return fail(err, errlen, "index minimum", 0, 0);
    }
    return 0;
}

int phash_check(const phash *h, char *err, size_t errlen)
{
    if (h->refs < 1)
        return fail(err, errlen, "reference count", h->refs, 1);
    if (h->transient && h->refs != 1)
        return fail(err, errlen, "transient reference count", h->refs, 1);
    return h->tree ? check_tree(h, err, errlen) : check_flat(h, err, errlen);
}

size_t phash_bytes(const phash *h)
{
    if (h->tree)
        return sizeof *h + ptrie_bytes(h->u.tree.fields) +
               (h->u.tree.expiry ? pbtree_bytes(h->u.tree.expiry) : 0);
    size_t b = h->u.flat.items == h->inl
                   ? phash_header_bytes(h->u.flat.cap)
                   : sizeof *h + h->u.flat.cap * sizeof(phash_field *);
    for (size_t i = 0; i < h->n; i++)
        b += phash_field_bytes(h->u.flat.items[i]);
    return b;
}

size_t phash_root_bytes(const phash *h)
{
    return sizeof *h;
}
