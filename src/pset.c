/* pset.c - the persistent set's life cycle, reads, iterator, transients and names.
 * Chapter 8.
 *
 * Everything here only reads a set or makes and frees headers; the edits
 * and the conversions between forms are in pset_edit.c, the checker and
 * the byte count in pset_check.c.  Reads dispatch on the form: a flat set
 * is searched linearly (at most max_entries members of at most max_bytes),
 * a tree through the trie.
 */
#include "pset_private.h"

#include "alloc.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

size_t pset_max_entries_ = PSET_MAX_ENTRIES;
size_t pset_max_bytes_ = PSET_MAX_BYTES;
static size_t g_max_intset = PSET_MAX_INTSET;

const ptrie_ops pset_trie_ops = {
    .retain = velem_retain_op,
    .release = velem_release_op,
    .key = velem_key_op,
    .size = velem_size_op,
};

int pset_set_limits(size_t max_entries, size_t max_bytes)
{
    if (max_entries > ((size_t)1 << 24)) {
        errno = EINVAL;
        return -1;
    }
    pset_max_entries_ = max_entries;
    pset_max_bytes_ = max_bytes;
    return 0;
}

void pset_set_intset_limit(size_t max_intset)
{
    g_max_intset = max_intset;
}

bool pset_is_canonical_int(const void *p, size_t len)
{
    const unsigned char *s = p;
    if (len == 0 || len > 20)
        return false;
    if (len == 1 && s[0] == '0')
        return true;
    size_t i = s[0] == '-';
    if (i == len || s[i] < '1' || s[i] > '9')
        return false;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = s[i] - '0';
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    return s[0] == '-' ? v <= (uint64_t)INT64_MAX + 1 : v <= INT64_MAX;
}

pset *pset_new(void)
{
    pset *s = xmalloc(sizeof *s);
    if (s == NULL)
        return NULL;
    memset(s, 0, sizeof *s);
    s->refs = 1;
    s->u.flat.items = s->inl;
    return s;
}

pset *pset_retain(pset *s)
{
    s->refs++;
    return s;
}

void pset_release(pset *s)
{
    if (s == NULL || --s->refs > 0)
        return;
    if (s->tree) {
        ptrie_release(s->u.trie);
    } else {
        for (size_t i = 0; i < s->n; i++)
            velem_release(s->u.flat.items[i]);
        if (s->u.flat.items != s->inl)
            free(s->u.flat.items);
    }
    free(s);
}

size_t pset_len(const pset *s)
{
    return s->n;
}

size_t pset_flat_find(const pset *s, const void *m, size_t mlen)
{
    for (size_t i = 0; i < s->n; i++)
        if (velem_eq(s->u.flat.items[i], m, mlen))
            return i;
    return SIZE_MAX;
}

const velem *pset_get(const pset *s, const void *m, size_t mlen)
{
    if (s->tree)
        return ptrie_get(s->u.trie, m, mlen);
    size_t i = pset_flat_find(s, m, mlen);
    return i == SIZE_MAX ? NULL : s->u.flat.items[i];
}

bool pset_has(const pset *s, const void *m, size_t mlen)
{
    return pset_get(s, m, mlen) != NULL;
}

const velem *pset_nth(const pset *s, size_t i)
{
    if (i >= s->n)
        return NULL;
    return s->tree ? ptrie_nth(s->u.trie, i) : s->u.flat.items[i];
}

const char *pset_encoding(const pset *s)
{
    if (s->nint == s->n && s->n <= g_max_intset)
        return "intset";
    return s->tree ? "hashtable" : "listpack";
}

/* ---- transients -------------------------------------------------------------- */

pset *pset_edit_begin(pset *s)
{
    if (s->transient) {
        errno = EINVAL;
        return NULL;
    }
    pset *t = xmalloc(sizeof *t);
    if (t == NULL)
        return NULL;
    *t = *s;
    t->refs = 1;
    t->transient = true;
    if (s->tree) {
        t->u.trie = ptrie_edit_begin(s->u.trie);
        if (t->u.trie == NULL) {
            free(t);
            return NULL;
        }
        return t;
    }
    /* The transient's array is its own allocation, so that it can grow
     * without moving the header (edits hand back the same pointer). */
    size_t cap = s->n < 8 ? 8 : s->n;
    t->u.flat.items = xmalloc(cap * sizeof *t->u.flat.items);
    if (t->u.flat.items == NULL) {
        free(t);
        return NULL;
    }
    t->u.flat.cap = cap;
    for (size_t i = 0; i < s->n; i++)
        t->u.flat.items[i] = velem_retain(s->u.flat.items[i]);
    return t;
}

pset *pset_edit_end(pset *s)
{
    if (s->tree)
        s->u.trie = ptrie_edit_end(s->u.trie);
    s->transient = false;
    return s;
}

bool pset_is_transient(const pset *s)
{
    return s->transient;
}

/* ---- iteration ------------------------------------------------------------------ */

void pset_iter_init(pset_iter *it, const pset *s)
{
    it->s = s;
    it->i = 0;
    if (s->tree)
        ptrie_iter_init(&it->it, s->u.trie);
}

const velem *pset_iter_next(pset_iter *it)
{
    const pset *s = it->s;
    if (s->tree)
        return ptrie_iter_next(&it->it);
    return it->i < s->n ? s->u.flat.items[it->i++] : NULL;
}
